/* test-cg-act.c: second derivatives (create_graph, issue 15) of the activations of activation.c
 * and of prelu (libl2/ops/act-cg.c): gradgradcheck (tests/gradcheck.h) in float64 against central
 * differences of libl2's plain first derivative, for the inputs and the upstream gradient, on
 * contiguous and expanded (stride 0) inputs, the parameter variants (hardtanh's bounds, relu6,
 * celu's alpha), prelu with one weight (0-d and [1]) and one per channel (2-d, 3-d, 4-d x), and
 * a composition. The oracle (oracle/gradgrad.py) compares the same with torch. */
#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

#include <l2.h>
#include <math.h>
#include <string.h>

enum { HARDTANH, RELU6, HARDSIGMOID, HARDSWISH, MISH, SELU, CELU, LOGSIGMOID, SOFTSIGN,
       TANHSHRINK, CHAIN };

typedef struct {
    const char *name;
    int op;
    double lo, hi; /* input values uniform in [lo, hi) */
    double p0, p1;
} acase;

static l2_tensor *apply(const acase *c, const l2_tensor *x)
{
    switch (c->op) {
    case HARDTANH: return l2_hardtanh(x, c->p0, c->p1);
    case RELU6: return l2_relu6(x);
    case HARDSIGMOID: return l2_hardsigmoid(x);
    case HARDSWISH: return l2_hardswish(x);
    case MISH: return l2_mish(x);
    case SELU: return l2_selu(x);
    case CELU: return l2_celu(x, c->p0);
    case LOGSIGMOID: return l2_logsigmoid(x);
    case SOFTSIGN: return l2_softsign(x);
    case TANHSHRINK: return l2_tanhshrink(x);
    case CHAIN: { /* mish(softsign(x)) * logsigmoid(x) + selu(x): several nodes and mul */
        l2_tensor *a = l2_softsign(x), *b = l2_mish(a), *c2 = l2_logsigmoid(x), *d = l2_mul(b, c2);
        l2_tensor *e = l2_selu(x), *r = l2_add(d, e);
        l2_tensor *all[] = {a, b, c2, d, e};
        for (size_t i = 0; i < sizeof all / sizeof *all; i++)
            l2_tensor_release(all[i]);
        return r;
    }
    }
    return NULL;
}

static int expanded; /* 1: x [3, 1] expanded to [3, 4] */

static l2_tensor *f1(l2_tensor *const *in, void *ctx)
{
    const acase *c = ctx;
    if (!expanded)
        return apply(c, in[0]);
    l2_tensor *t = l2_expand(in[0], 2, (int64_t[]){3, 4}), *r = t ? apply(c, t) : NULL;
    l2_tensor_release(t);
    return r;
}

static const acase cases[] = {
    {"hardtanh", HARDTANH, -2, 2, -1, 1},
    {"hardtanh [-0.3, 1.4]", HARDTANH, -2, 2, -0.3, 1.4},
    {"relu6", RELU6, -2, 8, 0, 0},
    {"hardswish", HARDSWISH, -5, 5, 0, 0},
    {"mish", MISH, -4, 4, 0, 0},
    {"mish (large x)", MISH, 15, 25, 0, 0},
    {"selu", SELU, -2, 2, 0, 0},
    {"celu 1", CELU, -2, 2, 1, 0},
    {"celu 0.4", CELU, -2, 2, 0.4, 0},
    {"celu -1.5", CELU, -2, 2, -1.5, 0},
    {"logsigmoid", LOGSIGMOID, -4, 4, 0, 0},
    {"softsign", SOFTSIGN, -3, 3, 0, 0},
    {"tanhshrink", TANHSHRINK, -2, 2, 0, 0},
    {"chain", CHAIN, -2, 2, 0, 0},
};

/* prelu: x of shape xs (nd dims), weight of nw elements (wnd 0: 0-d) */
typedef struct {
    const char *name;
    int nd, wnd;
    int64_t xs[4], nw;
    int expand_x;
} pcase;

static const pcase *pc;

static l2_tensor *fprelu(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    if (!pc->expand_x)
        return l2_prelu(in[0], in[1]);
    int64_t sh[4];
    memcpy(sh, pc->xs, sizeof sh);
    sh[pc->nd - 1] = 3;
    l2_tensor *t = l2_expand(in[0], pc->nd, sh), *r = t ? l2_prelu(t, in[1]) : NULL;
    l2_tensor_release(t);
    return r;
}

static const pcase pcases[] = {
    {"prelu x [2, 3], weight 0-d", 2, 0, {2, 3}, 1, 0},
    {"prelu x [2, 3], weight [1]", 2, 1, {2, 3}, 1, 0},
    {"prelu x [2, 3], weight [3]", 2, 1, {2, 3}, 3, 0},
    {"prelu x [2, 3, 2], weight [3]", 3, 1, {2, 3, 2}, 3, 0},
    {"prelu x [1, 2, 2, 2], weight [2]", 4, 1, {1, 2, 2, 2}, 2, 0},
    {"prelu x [4], weight [1]", 1, 1, {4}, 1, 0},
    {"prelu x [3], weight 0-d", 1, 0, {3}, 1, 0},
    {"prelu x [2, 3, 1] expanded to [2, 3, 3], weight [3]", 3, 1, {2, 3, 1}, 3, 1},
};

int main(void)
{
    l2_manual_seed(1514);
    int64_t live0 = l2_live_tensors();
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        const acase *c = &cases[k];
        for (expanded = 0; expanded < 2; expanded++) {
            l2_tensor *x = gc_leaf(2, (int64_t[]){3, expanded ? 1 : 4}, c->lo, c->hi);
            char name[96];
            snprintf(name, sizeof name, "%s%s", c->name, expanded ? " (expanded)" : "");
            ok(gradgradcheck(name, f1, 1, &x, (void *)c), "gradgradcheck: %s", name);
            l2_tensor_release(x);
        }
    }
    for (size_t k = 0; k < sizeof pcases / sizeof *pcases; k++) {
        pc = &pcases[k];
        l2_tensor *in[2];
        in[0] = gc_leaf(pc->nd, pc->xs, -2, 2);
        in[1] = gc_leaf(pc->wnd, (int64_t[]){pc->nw}, -1, 1);
        ok(gradgradcheck(pc->name, fprelu, 2, in, NULL), "gradgradcheck: %s", pc->name);
        /* the weight alone requiring grad */
        l2_set_requires_grad(in[0], false);
        l2_tensor *y = l2_prelu(in[0], in[1]), *v = l2_randn_like(y), *g = NULL, *h = NULL;
        l2_set_requires_grad(v, true);
        l2_status st = l2_autograd_grad_ex(1, &y, &v, 1, &in[1], &g, true, true, false);
        l2_tensor *s = g ? l2_sum(g) : NULL;
        if (s)
            st = l2_autograd_grad(1, &s, NULL, 1, &v, &h, false, false);
        ok(st == L2_OK && g && h && l2_ndim(g) == pc->wnd,
           "%s: weight alone: create_graph gradient of the weight's shape, differentiable in v",
           pc->name);
        l2_tensor *rel[] = {y, v, g, h, s, in[0], in[1]};
        for (size_t i = 0; i < sizeof rel / sizeof *rel; i++)
            l2_tensor_release(rel[i]);
    }
    { /* hardsigmoid: torch 1.13 does not implement its double backward; libl2 refuses it */
        l2_tensor *x = gc_leaf(1, (int64_t[]){5}, -4, 4), *h = l2_hardsigmoid(x), *g = NULL;
        l2_tensor *y = l2_sum(h);
        l2_tensor_release(h);
        l2_status st = l2_autograd_grad_ex(1, &y, NULL, 1, &x, &g, true, true, false);
        ok(st == L2_ERR_AUTOGRAD && !g && strstr(l2_last_error(), "hardsigmoid") &&
               !l2_has_double_backward("hardsigmoid"),
           "hardsigmoid: create_graph refused as torch (%s)", l2_last_error());
        st = l2_autograd_grad(1, &y, NULL, 1, &x, &g, false, false);
        ok(st == L2_OK && g, "hardsigmoid: the first derivative still works");
        l2_tensor_release(g);
        l2_tensor_release(y);
        l2_tensor_release(x);
    }
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        const acase *c = &cases[k];
        if (c->op == HARDSWISH || c->op == MISH || c->op == CHAIN) {
            l2_tensor *x = gc_leaf(2, (int64_t[]){3, 4}, c->lo, c->hi);
            expanded = 0;
            cg_oom_sweep(c->name, f1, 1, &x, (void *)c);
            l2_tensor_release(x);
        }
    }
    {
        pc = &pcases[3];
        l2_tensor *in[2] = {gc_leaf(pc->nd, pc->xs, -2, 2), gc_leaf(1, (int64_t[]){3}, -1, 1)};
        cg_oom_sweep(pc->name, fprelu, 2, in, NULL);
        l2_tensor_release(in[0]);
        l2_tensor_release(in[1]);
    }
    is_int(l2_live_tensors(), live0, "no tensor leaked");
    return tap_done();
}
