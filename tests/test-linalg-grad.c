/* test-linalg-grad.c: matmul, mm, bmm, mv, dot, outer, addmm and linear: finite-difference
 * gradients in every operand layout, errors and out-of-memory paths, and the operands each
 * backward saves. */
#include <l2.h>
#include <stdint.h>
#include <stdlib.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"
#include "linalg-layouts.h"

/* ---- gradients --------------------------------------------------------------------------- */

enum { OP_MATMUL, OP_MM, OP_BMM, OP_MV, OP_DOT, OP_OUTER, OP_ADDMM, OP_LINEAR };

typedef struct {
    int op, n;
    int lay[3];
    int nd[3];
    int64_t shape[3][4];
    double beta, alpha;
} gc_ctx;

static l2_tensor *f_gc(l2_tensor *const *in, void *vctx)
{
    const gc_ctx *c = vctx;
    l2_tensor *x[3] = {NULL, NULL, NULL};
    l2_scope_begin();
    for (int i = 0; i < c->n; i++) {
        bool plain = c->lay[i] == L_CONTIG || (c->lay[i] == L_TRANS && c->nd[i] < 2);
        /* Views made inside the scope belong to it. */
        x[i] = plain ? in[i] : apply_layout(in[i], c->lay[i], c->nd[i], c->shape[i]);
    }
    l2_tensor *r = NULL;
    switch (c->op) {
    case OP_MATMUL: r = l2_matmul(x[0], x[1]); break;
    case OP_MM: r = l2_mm(x[0], x[1]); break;
    case OP_BMM: r = l2_bmm(x[0], x[1]); break;
    case OP_MV: r = l2_mv(x[0], x[1]); break;
    case OP_DOT: r = l2_dot(x[0], x[1]); break;
    case OP_OUTER: r = l2_outer(x[0], x[1]); break;
    case OP_ADDMM: r = l2_addmm(x[0], x[1], x[2], c->beta, c->alpha); break;
    case OP_LINEAR: r = l2_linear(x[0], x[1], c->n > 2 ? x[2] : NULL); break;
    }
    r = l2_keep(r);
    l2_scope_end();
    return r;
}

static void run_gc(const char *name, gc_ctx c)
{
    l2_tensor *in[3] = {NULL, NULL, NULL};
    for (int i = 0; i < c.n; i++) {
        int64_t bs[4];
        base_shape(c.lay[i], c.nd[i], c.shape[i], bs);
        in[i] = gc_leaf(c.nd[i], bs, -1, 1);
    }
    ok(gradcheck(name, f_gc, c.n, in, &c), "gradcheck: %s", name);
    for (int i = 0; i < c.n; i++)
        l2_tensor_release(in[i]);
}

#define S(...) {__VA_ARGS__}

static void test_grads(void)
{
    run_gc("matmul 2-d", (gc_ctx){OP_MATMUL, 2, {0, 0}, {2, 2}, {S(3, 4), S(4, 5)}, 0, 0});
    run_gc("matmul transposed a and b",
           (gc_ctx){OP_MATMUL, 2, {L_TRANS, L_TRANS}, {2, 2}, {S(3, 4), S(4, 5)}, 0, 0});
    run_gc("matmul stepped a, narrow b",
           (gc_ctx){OP_MATMUL, 2, {L_STEP_COLS, L_NARROW}, {2, 2}, {S(3, 4), S(4, 2)}, 0, 0});
    run_gc("matmul stepped rows a, expanded b",
           (gc_ctx){OP_MATMUL, 2, {L_STEP_ROWS, L_EXPAND}, {2, 2}, {S(3, 4), S(4, 2)}, 0, 0});
    run_gc("matmul broadcast batch (2,1,3,4)@(5,4,2)",
           (gc_ctx){OP_MATMUL, 2, {0, 0}, {4, 3}, {S(2, 1, 3, 4), S(5, 4, 2)}, 0, 0});
    run_gc("matmul broadcast batch, transposed",
           (gc_ctx){OP_MATMUL, 2, {L_TRANS, L_TRANS}, {4, 3}, {S(2, 1, 3, 4), S(5, 4, 2)}, 0, 0});
    run_gc("matmul expanded batch a",
           (gc_ctx){OP_MATMUL, 2, {L_EXPAND, 0}, {3, 3}, {S(3, 2, 4), S(3, 4, 2)}, 0, 0});
    run_gc("matmul batch @ shared matrix (folded dB)",
           (gc_ctx){OP_MATMUL, 2, {0, L_TRANS}, {3, 2}, {S(2, 3, 4), S(4, 5)}, 0, 0});
    run_gc("matmul transposed batch @ shared matrix",
           (gc_ctx){OP_MATMUL, 2, {L_TRANS, 0}, {3, 2}, {S(2, 3, 4), S(4, 5)}, 0, 0});
    run_gc("matmul shared matrix @ batch",
           (gc_ctx){OP_MATMUL, 2, {0, 0}, {2, 3}, {S(3, 4), S(2, 4, 5)}, 0, 0});
    run_gc("matmul 1-d @ batch", (gc_ctx){OP_MATMUL, 2, {0, 0}, {1, 3}, {S(4), S(2, 4, 3)}, 0, 0});
    run_gc("matmul batch @ 1-d",
           (gc_ctx){OP_MATMUL, 2, {L_TRANS, L_STEP_COLS}, {3, 1}, {S(2, 3, 4), S(4)}, 0, 0});
    run_gc("matmul 1-d @ 2-d", (gc_ctx){OP_MATMUL, 2, {0, L_TRANS}, {1, 2}, {S(4), S(4, 3)}, 0, 0});
    run_gc("matmul 2-d @ 1-d", (gc_ctx){OP_MATMUL, 2, {0, 0}, {2, 1}, {S(3, 4), S(4)}, 0, 0});
    run_gc("matmul 1-d @ 1-d",
           (gc_ctx){OP_MATMUL, 2, {L_STEP_COLS, 0}, {1, 1}, {S(5), S(5)}, 0, 0});
    run_gc("mm transposed", (gc_ctx){OP_MM, 2, {L_TRANS, 0}, {2, 2}, {S(2, 3), S(3, 4)}, 0, 0});
    run_gc("bmm", (gc_ctx){OP_BMM, 2, {0, L_TRANS}, {3, 3}, {S(2, 3, 4), S(2, 4, 2)}, 0, 0});
    run_gc("mv", (gc_ctx){OP_MV, 2, {L_TRANS, 0}, {2, 1}, {S(3, 4), S(4)}, 0, 0});
    run_gc("dot", (gc_ctx){OP_DOT, 2, {0, L_STEP_COLS}, {1, 1}, {S(6), S(6)}, 0, 0});
    run_gc("outer", (gc_ctx){OP_OUTER, 2, {L_STEP_COLS, 0}, {1, 1}, {S(3), S(4)}, 0, 0});
    run_gc("addmm c broadcast row",
           (gc_ctx){OP_ADDMM, 3, {0, 0, L_TRANS}, {1, 2, 2}, {S(4), S(3, 5), S(5, 4)}, 0.5,
                    -2});
    run_gc("addmm c (1,1), transposed a",
           (gc_ctx){OP_ADDMM, 3, {0, L_TRANS, 0}, {2, 2, 2}, {S(1, 1), S(3, 5), S(5, 4)}, 2,
                    1.5});
    run_gc("addmm c full, beta 0",
           (gc_ctx){OP_ADDMM, 3, {0, 0, 0}, {2, 2, 2}, {S(3, 4), S(3, 2), S(2, 4)}, 0, 1});
    run_gc("linear 3-d x with bias",
           (gc_ctx){OP_LINEAR, 3, {0, 0, 0}, {3, 2, 1}, {S(2, 3, 4), S(5, 4), S(5)}, 0, 0});
    run_gc("linear transposed x, transposed w",
           (gc_ctx){OP_LINEAR, 3, {L_TRANS, L_TRANS, 0}, {3, 2, 1}, {S(2, 3, 4), S(5, 4), S(5)},
                    0, 0});
    run_gc("linear 1-d x",
           (gc_ctx){OP_LINEAR, 3, {0, 0, 0}, {1, 2, 1}, {S(4), S(3, 4), S(3)}, 0, 0});
    run_gc("linear no bias, stepped x",
           (gc_ctx){OP_LINEAR, 2, {L_STEP_COLS, 0}, {2, 2}, {S(3, 4), S(2, 4)}, 0, 0});

    /* Grad-fn names, and a saved operand modified in place fails backward. */
    l2_tensor *a = gc_leaf(L2_SHAPE(2, 3), -1, 1), *b = l2_randn(L2_SHAPE(3, 2), L2_FLOAT64);
    l2_tensor *r = l2_matmul(a, b);
    is_str(l2_grad_fn_name(r), "matmul", "grad_fn name");
    l2_set(b, (const int64_t[]){0, 0}, 5);
    l2_tensor *s = l2_ones(L2_SHAPE(2, 2), L2_FLOAT64);
    ok(l2_backward(r, s, false) == L2_ERR_AUTOGRAD, "backward after modifying a saved operand: %s",
       l2_last_error());
    l2_tensor_release(r);
    l2_tensor *bt = l2_t(b);
    r = l2_linear(a, bt, NULL);
    is_str(l2_grad_fn_name(r), "linear", "grad_fn name linear");
    l2_tensor_release(r);
    l2_tensor_release(bt);
    l2_no_grad_begin();
    r = l2_matmul(a, b);
    ok(r && !l2_requires_grad(r), "no graph in no-grad mode");
    l2_no_grad_end();
    l2_tensor_release(r);
    l2_tensor_release(a);
    l2_tensor_release(b);
    l2_tensor_release(s);
}

/* ---- errors ------------------------------------------------------------------------------ */

#define EXPECT_ERR(call, status, what)                                                       \
    do {                                                                                     \
        l2_clear_error();                                                                    \
        l2_tensor *r_ = (call);                                                              \
        ok(!r_ && l2_last_status() == (status) && l2_last_error()[0], "%s: %s", what,        \
           l2_last_error());                                                                 \
        l2_tensor_release(r_);                                                               \
    } while (0)

static void test_errors(void)
{
    l2_tensor *a23 = l2_ones(L2_SHAPE(2, 3), L2_FLOAT32), *b45 = l2_ones(L2_SHAPE(4, 5),
                                                                        L2_FLOAT32);
    l2_tensor *s = l2_scalar(1, L2_FLOAT32), *v3 = l2_ones(L2_SHAPE(3), L2_FLOAT32);
    l2_tensor *v4 = l2_ones(L2_SHAPE(4), L2_FLOAT32), *d32 = l2_ones(L2_SHAPE(3, 2), L2_FLOAT64);
    l2_tensor *bo = l2_ones(L2_SHAPE(3, 2), L2_BOOL), *bo23 = l2_ones(L2_SHAPE(2, 3), L2_BOOL);
    l2_tensor *t234 = l2_ones(L2_SHAPE(2, 3, 4), L2_FLOAT32);
    l2_tensor *t345 = l2_ones(L2_SHAPE(3, 4, 5), L2_FLOAT32);
    l2_tensor *i23 = l2_ones(L2_SHAPE(2, 3), L2_INT64), *i32 = l2_ones(L2_SHAPE(3, 2), L2_INT64);
    l2_tensor *f32 = l2_ones(L2_SHAPE(3, 2), L2_FLOAT32);

    EXPECT_ERR(l2_matmul(a23, b45), L2_ERR_SHAPE, "matmul K mismatch");
    is_str(l2_last_error(), "matmul: shapes [2,3] and [4,5] are not compatible (3 != 4)",
           "the message names both shapes");
    EXPECT_ERR(l2_matmul(NULL, b45), L2_ERR_NULL, "matmul NULL a");
    EXPECT_ERR(l2_matmul(a23, NULL), L2_ERR_NULL, "matmul NULL b");
    EXPECT_ERR(l2_matmul(s, v3), L2_ERR_SHAPE, "matmul 0-d");
    EXPECT_ERR(l2_matmul(v3, v4), L2_ERR_SHAPE, "matmul 1-d lengths differ");
    EXPECT_ERR(l2_matmul(a23, v4), L2_ERR_SHAPE, "matmul 2-d @ 1-d mismatch");
    EXPECT_ERR(l2_matmul(a23, d32), L2_ERR_DTYPE, "matmul float32 @ float64");
    ok(strstr(l2_last_error(), "expected scalar type") != NULL, "dtype message: %s",
       l2_last_error());
    EXPECT_ERR(l2_matmul(bo23, bo), L2_ERR_DTYPE, "matmul bool");
    EXPECT_ERR(l2_matmul(t234, t345), L2_ERR_SHAPE, "matmul batch dims do not broadcast");
    EXPECT_ERR(l2_mm(t234, f32), L2_ERR_SHAPE, "mm 3-d");
    EXPECT_ERR(l2_mm(a23, v3), L2_ERR_SHAPE, "mm 1-d");
    EXPECT_ERR(l2_mm(a23, b45), L2_ERR_SHAPE, "mm K mismatch");
    EXPECT_ERR(l2_bmm(a23, f32), L2_ERR_SHAPE, "bmm 2-d");
    EXPECT_ERR(l2_bmm(t234, t345), L2_ERR_SHAPE, "bmm batch mismatch");
    EXPECT_ERR(l2_mv(a23, f32), L2_ERR_SHAPE, "mv with a matrix");
    EXPECT_ERR(l2_mv(a23, v4), L2_ERR_SHAPE, "mv length mismatch");
    EXPECT_ERR(l2_mv(NULL, v4), L2_ERR_NULL, "mv NULL");
    EXPECT_ERR(l2_dot(a23, v3), L2_ERR_SHAPE, "dot 2-d");
    EXPECT_ERR(l2_dot(v3, v4), L2_ERR_SHAPE, "dot lengths differ");
    EXPECT_ERR(l2_dot(v3, NULL), L2_ERR_NULL, "dot NULL");
    EXPECT_ERR(l2_outer(a23, v3), L2_ERR_SHAPE, "outer 2-d");
    l2_tensor *bv = l2_ones(L2_SHAPE(2), L2_BOOL);
    EXPECT_ERR(l2_outer(bv, bv), L2_ERR_DTYPE, "outer bool");
    EXPECT_ERR(l2_addmm(v4, a23, f32, 1, 1), L2_ERR_SHAPE, "addmm c does not broadcast");
    EXPECT_ERR(l2_addmm(v3, a23, b45, 1, 1), L2_ERR_SHAPE, "addmm K mismatch");
    EXPECT_ERR(l2_addmm(v3, t234, f32, 1, 1), L2_ERR_SHAPE, "addmm 3-d");
    EXPECT_ERR(l2_addmm(NULL, a23, f32, 1, 1), L2_ERR_NULL, "addmm NULL c");
    EXPECT_ERR(l2_addmm(v3, a23, d32, 1, 1), L2_ERR_DTYPE, "addmm dtypes differ");
    l2_tensor *iv = l2_ones(L2_SHAPE(2), L2_INT64);
    EXPECT_ERR(l2_addmm(iv, i23, i32, 1, 0.5), L2_ERR_ARG, "addmm int64 with fractional alpha");
    l2_tensor *c22 = l2_ones(L2_SHAPE(2, 2), L2_FLOAT32);
    EXPECT_ERR(l2_addmm(c22, a23, f32, NAN, 1), L2_ERR_ARG, "addmm NaN beta");
    l2_tensor_release(c22);
    l2_tensor *w53 = l2_ones(L2_SHAPE(5, 3), L2_FLOAT32), *b4 = l2_ones(L2_SHAPE(4), L2_FLOAT32);
    EXPECT_ERR(l2_linear(a23, b45, NULL), L2_ERR_SHAPE, "linear in mismatch");
    EXPECT_ERR(l2_linear(a23, w53, b4), L2_ERR_SHAPE, "linear bias shape");
    EXPECT_ERR(l2_linear(s, w53, NULL), L2_ERR_SHAPE, "linear 0-d x");
    EXPECT_ERR(l2_linear(a23, v3, NULL), L2_ERR_SHAPE, "linear 1-d w");
    EXPECT_ERR(l2_linear(NULL, w53, NULL), L2_ERR_NULL, "linear NULL x");
    EXPECT_ERR(l2_linear(a23, w53, iv), L2_ERR_DTYPE, "linear bias dtype");
    l2_tensor *r = l2_matmul(i23, i32);
    ok(r && l2_dtype_of(r) == L2_INT64, "int64 matmul works");
    l2_tensor_release(r);

    /* Out of memory at every allocation of a product that copies and records a node: each
     * attempt fails cleanly (valgrind checks for leaks) until one succeeds. */
    l2_tensor *x = gc_leaf(L2_SHAPE(3, 4, 6), -1, 1);
    l2_tensor *xs = l2_slice(x, -1, 0, INT64_MAX, 2); /* (3,4,3), stepped: copied */
    l2_tensor *w = gc_leaf(L2_SHAPE(3, 2), -1, 1);
    int failures = 0, n;
    for (n = 0; n < 50; n++) {
        l2_debug_fail_alloc_after(n);
        r = l2_matmul(xs, w);
        l2_debug_fail_alloc_after(-1);
        if (r)
            break;
        failures += l2_last_status() == L2_ERR_NOMEM;
    }
    ok(r && failures == n, "out of memory: %d failing attempts, all L2_ERR_NOMEM, then success",
       n);
    for (n = 0; r && n < 50; n++) {
        l2_tensor *g = l2_ones_like(r);
        l2_debug_fail_alloc_after(n);
        l2_status st = l2_backward(r, g, true);
        l2_debug_fail_alloc_after(-1);
        l2_tensor_release(g);
        if (st == L2_OK)
            break;
    }
    ok(n < 50, "backward succeeds after %d out-of-memory attempts", n);
    l2_tensor_release(r);
    l2_tensor *tt[] = {a23, b45, s, v3, v4, d32, bo, bo23, t234, t345, i23, i32, f32, bv, iv,
                       w53, b4, x, xs, w};
    for (size_t i = 0; i < sizeof tt / sizeof tt[0]; i++)
        l2_tensor_release(tt[i]);
}

/* Products save only the operands the needed gradients read (issue 13 #3): with b not
 * requiring grad, writing to a after the product does not invalidate it (torch: h = 2a;
 * c = mm(h, b); h.add_(1); sum(c).backward() works), while writing to b does. */
static void test_saved_operands(void)
{
    for (int op = 0; op < 6; op++) {
        static const char *names[] = {"mm", "matmul", "linear", "addmm", "bmm", "conv2d"};
        l2_tensor *a = gc_leaf(L2_SHAPE(2, 2), -1, 1);
        l2_tensor *b = l2_ones(L2_SHAPE(2, 2), L2_FLOAT64);
        l2_tensor *a3 = op == 4 ? l2_unsqueeze(a, 0) : NULL;
        l2_tensor *b3 = op == 4 ? l2_unsqueeze(b, 0) : NULL;
        l2_tensor *a4 = op == 5 ? l2_reshape(a, L2_SHAPE(1, 1, 2, 2)) : NULL;
        l2_tensor *b4 = op == 5 ? l2_reshape(b, L2_SHAPE(1, 1, 2, 2)) : NULL;
        for (int which = 0; which < 2; which++) {
            l2_tensor *h = l2_mul_scalar(op == 4 ? a3 : op == 5 ? a4 : a, 2);
            l2_tensor *bb = l2_clone(op == 4 ? b3 : op == 5 ? b4 : b);
            l2_tensor *c = NULL;
            switch (op) {
            case 0: c = l2_mm(h, bb); break;
            case 1: c = l2_matmul(h, bb); break;
            case 2: c = l2_linear(h, bb, NULL); break;
            case 3: c = l2_addmm(bb, h, bb, 1, 1); break;
            case 4: c = l2_bmm(h, bb); break;
            default: c = l2_conv2d(h, bb, NULL, (const int64_t[]){1, 1},
                                   (const int64_t[]){0, 0}, (const int64_t[]){1, 1}, 1);
            }
            /* which 0: write to h (only dB would read it: not needed); 1: write to bb. */
            ok(c && l2_add_scalar_(which ? bb : h, 1) == L2_OK, "%s: in-place after it", names[op]);
            l2_tensor *s = c ? l2_sum(c) : NULL;
            l2_status st = s ? l2_backward(s, NULL, false) : L2_ERR_ARG;
            if (which == 0)
                ok(st == L2_OK, "%s: writing the operand whose partner needs no grad is fine: %s",
                   names[op], st ? l2_last_error() : "ok");
            else
                ok(st == L2_ERR_AUTOGRAD, "%s: writing the operand dA reads is refused",
                   names[op]);
            l2_tensor_release(s);
            l2_tensor_release(c);
            l2_tensor_release(h);
            l2_tensor_release(bb);
        }
        if (op == 0) {
            l2_set_grad_none(a);
            l2_tensor *h = l2_mul_scalar(a, 2), *c = l2_mm(h, b);
            l2_tensor *s = l2_sum(c);
            ok(l2_backward(s, NULL, false) == L2_OK, "mm: backward");
            /* d sum(2a @ ones) / da = 2 * rowsum(ones) = 4 everywhere. */
            is_near(at(l2_grad(a), (const int64_t[]){1, 0}), 4, 1e-12, "mm: a's gradient");
            l2_tensor_release(s);
            l2_tensor_release(c);
            l2_tensor_release(h);
        }
        l2_tensor *tt[] = {a, b, a3, b3, a4, b4};
        for (size_t i = 0; i < sizeof tt / sizeof tt[0]; i++)
            l2_tensor_release(tt[i]);
    }
}

int main(void)
{
    l2_manual_seed(1);
    test_grads();
    test_errors();
    test_saved_operands();
    return tap_done();
}
