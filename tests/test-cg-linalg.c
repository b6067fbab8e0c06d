/* test-cg-linalg.c: second derivatives (create_graph, issue 15) of the matrix products (matmul in
 * each of its rank cases, mm, bmm, mv, dot, outer, addmm, linear), checked by gradgradcheck
 * (tests/gradcheck.h: float64 central differences of libl2's own first derivative, for every
 * input and the upstream gradient), on plain, transposed (non-contiguous) and broadcast operands;
 * plus a gradient through a stand-in (an operand whose gradient is not wanted). The oracle
 * (oracle/gradgrad.py) compares the same ops with torch. */
#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

#include <l2.h>
#include <string.h>

enum { MATMUL, MM, BMM, MV, DOT, OUTER, ADDMM, LINEAR, LINEAR_NOB };

typedef struct {
    int op;
    bool trans_a; /* the first leaf is a transposed (non-contiguous) view, given as is */
    double beta, alpha;
} prod_ctx;

/* A float64 leaf requiring grad of shape sh; with trans, the transpose of its last two dims
 * (a leaf with swapped strides: non-contiguous). */
static l2_tensor *leaf(int nd, const int64_t *sh, bool trans)
{
    if (!trans)
        return gc_leaf(nd, sh, -1, 1);
    int64_t s2[4];
    memcpy(s2, sh, sizeof s2);
    s2[nd - 2] = sh[nd - 1];
    s2[nd - 1] = sh[nd - 2];
    l2_tensor *base = l2_uniform(nd, s2, -1, 1, L2_FLOAT64), *t = l2_transpose(base, -2, -1);
    l2_tensor_release(base);
    l2_set_requires_grad(t, true);
    return t;
}

/* The product op of c over in[0], in[1] (and in[2] for addmm/linear), then squared elementwise
 * so that the second derivative in the inputs is not trivially the bilinear one. */
static l2_tensor *prod(l2_tensor *const *in, void *vc)
{
    const prod_ctx *c = vc;
    l2_tensor *a = in[0], *r = NULL;
    switch (c->op) {
    case MATMUL: r = l2_matmul(a, in[1]); break;
    case MM: r = l2_mm(a, in[1]); break;
    case BMM: r = l2_bmm(a, in[1]); break;
    case MV: r = l2_mv(a, in[1]); break;
    case DOT: r = l2_dot(a, in[1]); break;
    case OUTER: r = l2_outer(a, in[1]); break;
    case ADDMM: r = l2_addmm(in[2], a, in[1], c->beta, c->alpha); break;
    case LINEAR: r = l2_linear(a, in[1], in[2]); break;
    case LINEAR_NOB: r = l2_linear(a, in[1], NULL); break;
    }
    l2_tensor *sq = r ? l2_mul(r, r) : NULL;
    l2_tensor_release(r);
    return sq;
}

typedef struct {
    const char *name;
    prod_ctx c;
    int n;
    int nd[3];
    int64_t sh[3][4];
} prod_case;

static const prod_case cases[] = {
    {"matmul 2-d x 2-d", {MATMUL, false, 0, 0}, 2, {2, 2}, {{2, 3}, {3, 4}}},
    {"matmul 2-d^T x 2-d", {MATMUL, true, 0, 0}, 2, {2, 2}, {{2, 3}, {3, 4}}},
    {"matmul 1-d x 1-d", {MATMUL, false, 0, 0}, 2, {1, 1}, {{3}, {3}}},
    {"matmul 1-d x 2-d", {MATMUL, false, 0, 0}, 2, {1, 2}, {{3}, {3, 2}}},
    {"matmul 2-d x 1-d", {MATMUL, false, 0, 0}, 2, {2, 1}, {{2, 3}, {3}}},
    {"matmul 1-d x 3-d", {MATMUL, false, 0, 0}, 2, {1, 3}, {{3}, {2, 3, 2}}},
    {"matmul 3-d x 1-d", {MATMUL, false, 0, 0}, 2, {3, 1}, {{2, 2, 3}, {3}}},
    {"matmul 3-d x 2-d (folded dB)", {MATMUL, false, 0, 0}, 2, {3, 2}, {{2, 2, 3}, {3, 2}}},
    {"matmul 2-d x 3-d", {MATMUL, false, 0, 0}, 2, {2, 3}, {{2, 3}, {2, 3, 2}}},
    {"matmul broadcast batch [2,1] x [3]", {MATMUL, true, 0, 0}, 2, {4, 3},
     {{2, 1, 2, 3}, {3, 3, 2}}},
    {"mm", {MM, false, 0, 0}, 2, {2, 2}, {{3, 2}, {2, 2}}},
    {"mm a^T", {MM, true, 0, 0}, 2, {2, 2}, {{3, 2}, {2, 2}}},
    {"bmm", {BMM, false, 0, 0}, 2, {3, 3}, {{2, 2, 3}, {2, 3, 2}}},
    {"bmm a^T", {BMM, true, 0, 0}, 2, {3, 3}, {{2, 2, 3}, {2, 3, 2}}},
    {"mv", {MV, false, 0, 0}, 2, {2, 1}, {{2, 3}, {3}}},
    {"mv a^T", {MV, true, 0, 0}, 2, {2, 1}, {{2, 3}, {3}}},
    {"dot", {DOT, false, 0, 0}, 2, {1, 1}, {{4}, {4}}},
    {"outer", {OUTER, false, 0, 0}, 2, {1, 1}, {{3}, {2}}},
    {"addmm beta 0.5 alpha -2, c (N)", {ADDMM, false, 0.5, -2}, 3, {2, 2, 1},
     {{2, 3}, {3, 2}, {2}}},
    {"addmm beta 1 alpha 1, c (M, N), a^T", {ADDMM, true, 1, 1}, 3, {2, 2, 2},
     {{2, 3}, {3, 2}, {2, 2}}},
    {"linear 2-d", {LINEAR, false, 0, 0}, 3, {2, 2, 1}, {{2, 3}, {2, 3}, {2}}},
    {"linear 1-d x", {LINEAR, false, 0, 0}, 3, {1, 2, 1}, {{3}, {2, 3}, {2}}},
    {"linear 3-d x, no bias", {LINEAR_NOB, false, 0, 0}, 2, {3, 2}, {{2, 2, 3}, {2, 3}}},
    {"linear x^T", {LINEAR, true, 0, 0}, 3, {2, 2, 1}, {{2, 3}, {4, 3}, {4}}},
};

/* A leaf that is constant for the check (no requires_grad): the other operand's gradient only
 * (its own gradient's operand is a stand-in when it does not require grad). */
static l2_tensor *mm_const_b(l2_tensor *const *in, void *ctx)
{
    l2_tensor *b = ctx, *r = l2_mm(in[0], b), *sq = r ? l2_mul(r, r) : NULL;
    l2_tensor_release(r);
    return sq;
}

int main(void)
{
    int64_t live0 = l2_live_tensors();
    l2_manual_seed(15);
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        const prod_case *pc = &cases[k];
        l2_tensor *in[3] = {0};
        for (int i = 0; i < pc->n; i++)
            in[i] = leaf(pc->nd[i], pc->sh[i], i == 0 && pc->c.trans_a);
        ok(gradgradcheck(pc->name, prod, pc->n, in, (void *)&pc->c), "gradgradcheck: %s",
           pc->name);
        cg_oom_sweep(pc->name, prod, pc->n, in, (void *)&pc->c);
        for (int i = 0; i < pc->n; i++)
            l2_tensor_release(in[i]);
    }
    {
        l2_tensor *a = gc_leaf(L2_SHAPE(2, 3), -1, 1);
        l2_tensor *b = l2_uniform(L2_SHAPE(3, 2), -1, 1, L2_FLOAT64);
        ok(gradgradcheck("mm, b constant", mm_const_b, 1, &a, b),
           "gradgradcheck: mm with a constant b (the saved a is a stand-in)");
        l2_tensor_release(a);
        l2_tensor_release(b);
    }
    /* the second derivative of a matmul-only function in its own input: sum((x @ x)^2) */
    {
        l2_tensor *x = gc_leaf(L2_SHAPE(3, 3), -1, 1), *y = NULL;
        l2_tensor *xx = l2_matmul(x, x), *s = l2_mul(xx, xx), *l = l2_sum(s), *g = NULL, *h = NULL;
        l2_status st = l2_autograd_grad_ex(1, &l, NULL, 1, &x, &g, true, true, false);
        ok(st == L2_OK && g && l2_requires_grad(g) && l2_grad_fn_name(g),
           "create_graph through matmul: the gradient has a graph");
        y = g ? l2_sum(g) : NULL;
        st = y ? l2_autograd_grad(1, &y, NULL, 1, &x, &h, false, false) : L2_ERR_NULL;
        ok(st == L2_OK && h && l2_numel(h) == 9, "the gradient of the gradient exists");
        l2_tensor *all[] = {x, y, xx, s, l, g, h};
        for (size_t i = 0; i < sizeof all / sizeof *all; i++)
            l2_tensor_release(all[i]);
    }
    ok(l2_has_double_backward("matmul") && l2_has_double_backward("linear") &&
           l2_has_double_backward("addmm") && l2_has_double_backward("outer"),
       "has_double_backward: the products");
    ok(l2_live_tensors() == live0, "no tensor leaked (%lld live, %lld at start)",
       (long long)l2_live_tensors(), (long long)live0);
    return tap_done();
}
