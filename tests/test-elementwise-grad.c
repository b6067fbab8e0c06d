/* test-elementwise-grad.c: gradients of the elementwise ops (binary, unary and the others)
 * against finite differences on contiguous, transposed, stepped-slice and broadcast inputs, and
 * the in-place ops with their autograd safety. (Values and errors: test-elementwise.c.) */
#include <l2.h>
#include <math.h>
#include <stdint.h>

#include "tap.h"
#include "gradcheck.h"
#include "elementwise-util.h"

/* ---- gradients ---------------------------------------------------------------------------- */

typedef l2_tensor *(*bin_fn)(const l2_tensor *, const l2_tensor *);

static const struct {
    const char *name;
    bin_fn f;
    double alo, ahi, blo, bhi;
} BINARY[] = {
    {"add", l2_add, -1, 1, -1, 1},
    {"sub", l2_sub, -1, 1, -1, 1},
    {"mul", l2_mul, -1, 1, -1, 1},
    {"div", l2_div, -1, 1, 0.5, 2},
    {"pow", l2_pow, 0.5, 2, -1.5, 1.5},
    {"maximum", l2_maximum, -1, 1, -1, 1},
    {"minimum", l2_minimum, -1, 1, -1, 1},
    {"atan2", l2_atan2, -1, 1, -1, 1},
    {"fmod", l2_fmod, -2.6, -2.2, 1.5, 1.7},
    {"remainder", l2_remainder, -2.6, -2.2, 1.5, 1.7},
};

/* Layouts: both (3,4); a transposed (4,3)^T with b a stepped slice (3,8)[:, ::2]; a (3,4) with
 * b (4,); a (3,1) with b (1,4). */
enum { L_CONTIG, L_STRIDED, L_BCAST_ROW, L_BCAST_BOTH, L_COUNT };
static const char *const LAYOUT[L_COUNT] = {"contiguous", "transposed/stepped", "broadcast (4,)",
                                            "broadcast (3,1)x(1,4)"};

typedef struct {
    int op, layout;
} gctx;

static void leaves_for(int layout, l2_tensor **a, l2_tensor **b, double alo, double ahi,
                       double blo, double bhi)
{
    switch (layout) {
    case L_CONTIG:
        *a = gc_leaf(L2_SHAPE(3, 4), alo, ahi);
        *b = gc_leaf(L2_SHAPE(3, 4), blo, bhi);
        break;
    case L_STRIDED:
        *a = gc_leaf(L2_SHAPE(4, 3), alo, ahi);
        *b = gc_leaf(L2_SHAPE(3, 8), blo, bhi);
        break;
    case L_BCAST_ROW:
        *a = gc_leaf(L2_SHAPE(3, 4), alo, ahi);
        *b = gc_leaf(L2_SHAPE(4), blo, bhi);
        break;
    default:
        *a = gc_leaf(L2_SHAPE(3, 1), alo, ahi);
        *b = gc_leaf(L2_SHAPE(1, 4), blo, bhi);
        break;
    }
}

/* The layout's view of leaf k (0: a, 1: b) inside the caller's scope. */
static l2_tensor *layout_view(int layout, int k, l2_tensor *t)
{
    if (layout != L_STRIDED)
        return t;
    return k == 0 ? l2_t(t) : l2_slice(t, 1, 0, INT64_MAX, 2);
}

static l2_tensor *g_binary(l2_tensor *const *in, void *vctx)
{
    const gctx *c = vctx;
    l2_scope_begin();
    l2_tensor *a = layout_view(c->layout, 0, in[0]), *b = layout_view(c->layout, 1, in[1]);
    l2_tensor *r = l2_keep(BINARY[c->op].f(a, b));
    l2_scope_end();
    return r;
}

static void test_binary_grads(void)
{
    l2_manual_seed(11);
    for (size_t k = 0; k < sizeof BINARY / sizeof BINARY[0]; k++) {
        for (int l = 0; l < L_COUNT; l++) {
            l2_tensor *in[2];
            leaves_for(l, &in[0], &in[1], BINARY[k].alo, BINARY[k].ahi, BINARY[k].blo,
                       BINARY[k].bhi);
            gctx c = {(int)k, l};
            char name[80];
            snprintf(name, sizeof name, "%s %s", BINARY[k].name, LAYOUT[l]);
            ok(gradcheck(name, g_binary, 2, in, &c), "gradcheck %s", name);
            l2_tensor_release(in[0]);
            l2_tensor_release(in[1]);
        }
    }
    /* 0-d operands: a 0-d result, and a 0-d leaf broadcast against a matrix. */
    l2_tensor *s2 = l2_scalar(2, L2_FLOAT64), *s3 = l2_scalar(3, L2_INT64);
    check(l2_mul(s2, s3), L2_FLOAT64, 0, NULL, (double[]){6}, 0, "0-d * 0-d is 0-d");
    l2_tensor_release(s2);
    l2_tensor_release(s3);
    for (size_t k = 0; k < sizeof BINARY / sizeof BINARY[0]; k++) {
        l2_tensor *in[2] = {gc_leaf(L2_SHAPE(2, 3), BINARY[k].alo, BINARY[k].ahi),
                            gc_leaf(0, NULL, BINARY[k].blo, BINARY[k].bhi)};
        gctx c = {(int)k, L_CONTIG};
        ok(gradcheck(BINARY[k].name, g_binary, 2, in, &c), "gradcheck %s with a 0-d operand",
           BINARY[k].name);
        l2_tensor_release(in[0]);
        l2_tensor_release(in[1]);
    }
    /* Ties of maximum split the gradient; pow's gradient at exponent 0 and base 0. */
    l2_tensor *a = l2_full(L2_SHAPE(2), 1.5, L2_FLOAT64), *b = l2_full(L2_SHAPE(2), 1.5,
                                                                        L2_FLOAT64);
    l2_set_requires_grad(a, true);
    l2_set_requires_grad(b, true);
    l2_tensor *m = l2_maximum(a, b);
    l2_tensor *g = l2_ones(L2_SHAPE(2), L2_FLOAT64);
    l2_backward(m, g, false);
    check(l2_tensor_ref(l2_grad(a)), L2_FLOAT64, L2_SHAPE(2), (double[]){0.5, 0.5}, 0,
          "maximum tie: half the gradient to a");
    check(l2_tensor_ref(l2_grad(b)), L2_FLOAT64, L2_SHAPE(2), (double[]){0.5, 0.5}, 0,
          "maximum tie: half the gradient to b");
    l2_tensor_release(m);
    l2_tensor *z = mk(L2_FLOAT64, L2_SHAPE(2), (double[]){0, 2});
    l2_set_requires_grad(z, true);
    l2_tensor *e = mk(L2_FLOAT64, L2_SHAPE(2), (double[]){0, 0});
    l2_set_requires_grad(e, true);
    l2_tensor *pw = l2_pow(z, e);
    l2_backward(pw, g, false);
    check(l2_tensor_ref(l2_grad(z)), L2_FLOAT64, L2_SHAPE(2), (double[]){0, 0}, 0,
          "pow: zero gradient to the base where the exponent is 0");
    check(l2_tensor_ref(l2_grad(e)), L2_FLOAT64, L2_SHAPE(2), (double[]){0, log(2.0)}, 1e-15,
          "pow: d/db = a^b log a, 0 at a = 0");
    l2_tensor *rel[] = {a, b, g, z, e, pw};
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++)
        l2_tensor_release(rel[i]);
    /* A float32 leaf with an int64 operand: gradient in float32, none for the integer. */
    l2_tensor *f = l2_ones(L2_SHAPE(3), L2_FLOAT32), *i = mk(L2_INT64, L2_SHAPE(3),
                                                              (double[]){1, 2, 3});
    l2_set_requires_grad(f, true);
    l2_tensor *fi = l2_mul(f, i);
    l2_tensor *g3 = l2_ones(L2_SHAPE(3), L2_FLOAT32);
    ok(fi && l2_dtype_of(fi) == L2_FLOAT32 && l2_backward(fi, g3, false) == L2_OK,
       "float32 * int64 backward");
    check(l2_tensor_ref(l2_grad(f)), L2_FLOAT32, L2_SHAPE(3), (double[]){1, 2, 3}, 0,
          "gradient of float32 * int64");
    is_str(l2_grad_fn_name(fi), "mul", "grad_fn name mul");
    l2_tensor_release(fi);
    l2_tensor_release(g3);
    l2_tensor_release(f);
    l2_tensor_release(i);
}

typedef struct {
    int op, layout;
} uctx;

static l2_tensor *g_unary(l2_tensor *const *in, void *vctx)
{
    const uctx *c = vctx;
    l2_scope_begin();
    l2_tensor *t = in[0];
    if (c->layout == 1)
        t = l2_t(t);
    else if (c->layout == 2)
        t = l2_slice(t, 1, 1, INT64_MAX, 2);
    else if (c->layout == 3)
        t = l2_expand(t, L2_SHAPE(3, 4));
    l2_tensor *r = l2_keep(UNARY[c->op].f(t));
    l2_scope_end();
    return r;
}

static void test_unary_grads(void)
{
    static const char *const names[4] = {"contiguous", "transposed", "stepped slice",
                                         "expanded"};
    l2_manual_seed(12);
    for (size_t u = 0; u < N_UNARY; u++) {
        for (int l = 0; l < 4; l++) {
            double lo = UNARY[u].lo, hi = UNARY[u].hi;
            l2_tensor *x = l == 0   ? gc_leaf(L2_SHAPE(3, 4), lo, hi)
                           : l == 1 ? gc_leaf(L2_SHAPE(4, 3), lo, hi)
                           : l == 2 ? gc_leaf(L2_SHAPE(3, 9), lo, hi)
                                    : gc_leaf(L2_SHAPE(1, 4), lo, hi);
            uctx c = {(int)u, l};
            char name[80];
            snprintf(name, sizeof name, "%s %s", UNARY[u].name, names[l]);
            ok(gradcheck(name, g_unary, 1, &x, &c), "gradcheck %s", name);
            l2_tensor_release(x);
        }
    }
    /* clamp passes the gradient at the bounds themselves (min <= x <= max), as torch. */
    l2_tensor *x = mk(L2_FLOAT64, L2_SHAPE(4), (double[]){-1, -0.5, 0.5, 1});
    l2_set_requires_grad(x, true);
    l2_tensor *y = l2_clamp(x, -0.5, 0.5);
    l2_tensor *g = l2_ones(L2_SHAPE(4), L2_FLOAT64);
    l2_backward(y, g, false);
    check(l2_tensor_ref(l2_grad(x)), L2_FLOAT64, L2_SHAPE(4), (double[]){0, 1, 1, 0}, 0,
          "clamp gradient at the bounds");
    l2_tensor_release(y);
    l2_set_grad_none(x);
    y = l2_floor(x);
    ok(y && l2_requires_grad(y) && l2_backward(y, g, false) == L2_OK,
       "floor records a node (zero gradient)");
    check(l2_tensor_ref(l2_grad(x)), L2_FLOAT64, L2_SHAPE(4), (double[]){0, 0, 0, 0}, 0,
          "floor gradient is zero");
    is_str(l2_grad_fn_name(y), "floor", "grad_fn name floor");
    l2_tensor_release(y);
    l2_tensor_release(x);
    l2_tensor_release(g);
}

/* Tensor-number ops, where and masked_fill. */
typedef struct {
    int which;
} sctx;

static l2_tensor *g_misc(l2_tensor *const *in, void *vctx)
{
    const sctx *c = vctx;
    l2_scope_begin();
    l2_tensor *a = l2_t(in[0]); /* (3, 4) from (4, 3) */
    l2_tensor *r = NULL;
    switch (c->which) {
    case 0: r = l2_add_scalar(a, 0.7); break;
    case 1: r = l2_sub_scalar(a, -1.5); break;
    case 2: r = l2_mul_scalar(a, -2.5); break;
    case 3: r = l2_div_scalar(a, 3); break;
    case 4: r = l2_pow_scalar(a, 2.5); break;
    case 5: r = l2_rsub_scalar(a, 2); break;
    case 6: r = l2_pow_scalar(a, 0); break;
    case 7: {
        l2_tensor *cond = l2_gt_scalar(in[1], 1); /* (4,) broadcast */
        r = l2_where(cond, a, in[1]);
        break;
    }
    case 8: {
        l2_tensor *mask = l2_lt_scalar(in[1], 1);
        r = l2_masked_fill(a, mask, 3);
        break;
    }
    case 9: r = l2_add_alpha(a, in[1], -0.75); break;
    }
    r = l2_keep(r);
    l2_scope_end();
    return r;
}

static void test_misc_grads(void)
{
    static const char *const names[] = {"add_scalar", "sub_scalar", "mul_scalar", "div_scalar",
                                        "pow_scalar", "rsub_scalar", "pow_scalar 0", "where",
                                        "masked_fill", "add_alpha"};
    l2_manual_seed(13);
    for (int k = 0; k < 10; k++) {
        l2_tensor *in[2] = {gc_leaf(L2_SHAPE(4, 3), 0.3, 2), gc_leaf(L2_SHAPE(4), 0, 2)};
        sctx c = {k};
        ok(gradcheck(names[k], g_misc, 2, in, &c), "gradcheck %s (transposed, broadcast)",
           names[k]);
        l2_tensor_release(in[0]);
        l2_tensor_release(in[1]);
    }
}

/* ---- in-place ops ------------------------------------------------------------------------- */

static l2_tensor *g_inplace(l2_tensor *const *in, void *vctx)
{
    const sctx *c = vctx;
    l2_scope_begin();
    l2_tensor *t = l2_mul_scalar(in[0], 1.5); /* a non-leaf to write into */
    l2_tensor *b = l2_t(in[1]);               /* (3, 4) transposed */
    l2_tensor *row = l2_select(in[1], 0, 0);  /* (3,) */
    l2_tensor *bb = l2_expand(l2_unsqueeze(row, 1), L2_SHAPE(3, 4)); /* (3, 4), stride 0 */
    l2_status st = L2_OK;
    switch (c->which) {
    case 0: st = l2_add_(t, b); break;
    case 1: st = l2_sub_(t, b); break;
    case 2: st = l2_mul_(t, b); break;
    case 3: st = l2_div_(t, b); break;
    case 4: st = l2_add_scalar_(t, -0.25); break;
    case 5: st = l2_mul_scalar_(t, -3); break;
    case 6: st = l2_clamp_(t, 0.8, 2.2); break;
    case 7:
        if ((st = l2_add_scalar_(t, -1.5)) == L2_OK)
            st = l2_relu_(t);
        break;
    case 8: st = l2_mul_(t, bb); break;
    case 9:
        if ((st = l2_mul_(t, b)) == L2_OK && (st = l2_div_(t, bb)) == L2_OK)
            st = l2_add_(t, t);
        break;
    }
    l2_tensor *r = st == L2_OK ? l2_keep(l2_mul(t, t)) : NULL;
    l2_scope_end();
    return r;
}

static void test_inplace(void)
{
    static const char *const names[] = {"add_", "sub_", "mul_", "div_", "add_scalar_",
                                        "mul_scalar_", "clamp_", "relu_", "mul_ broadcast",
                                        "mul_ div_ add_ chain"};
    l2_manual_seed(14);
    for (int k = 0; k < 10; k++) {
        l2_tensor *in[2] = {gc_leaf(L2_SHAPE(3, 4), 0.4, 1.6), gc_leaf(L2_SHAPE(4, 3), 0.5, 2)};
        sctx c = {k};
        ok(gradcheck(names[k], g_inplace, 2, in, &c), "gradcheck in-place %s", names[k]);
        l2_tensor_release(in[0]);
        l2_tensor_release(in[1]);
    }

    /* Values, dtype casting and version bumps. */
    l2_tensor *a = mk(L2_FLOAT32, L2_SHAPE(2, 2), (double[]){1, 2, 3, 4});
    l2_tensor *b64 = mk(L2_FLOAT64, L2_SHAPE(2), (double[]){0.5, -1});
    ok(l2_add_(a, b64) == L2_OK, "float32 += float64 (broadcast) is allowed");
    check(l2_tensor_ref(a), L2_FLOAT32, L2_SHAPE(2, 2), (double[]){1.5, 1, 3.5, 3}, 0,
          "add_ value keeps float32");
    ok(l2_mul_scalar_(a, 2) == L2_OK && l2_sub_(a, b64) == L2_OK && l2_div_(a, b64) == L2_OK,
       "mul_scalar_, sub_, div_");
    check(l2_tensor_ref(a), L2_FLOAT32, L2_SHAPE(2, 2), (double[]){5, -3, 13, -7}, 0,
          "in-place chain value");
    ok(l2_clamp_(a, -4, 6) == L2_OK && l2_relu_(a) == L2_OK, "clamp_, relu_");
    check(l2_tensor_ref(a), L2_FLOAT32, L2_SHAPE(2, 2), (double[]){5, 0, 6, 0}, 0,
          "clamp_ then relu_");
    ok(l2_fill_(a, 2.5) == L2_OK, "fill_");
    check(l2_tensor_ref(a), L2_FLOAT32, L2_SHAPE(2, 2), (double[]){2.5, 2.5, 2.5, 2.5}, 0,
          "fill_ value");
    l2_tensor *at = l2_t(a);
    l2_tensor *col1 = l2_select(at, 0, 1); /* a[:, 1] */
    ok(l2_add_scalar_(at, 1) == L2_OK && l2_zero_(col1) == L2_OK,
       "in-place on a transposed view and a selected column");
    check(l2_tensor_ref(a), L2_FLOAT32, L2_SHAPE(2, 2), (double[]){3.5, 0, 3.5, 0}, 0,
          "writes through views reach the base");
    l2_tensor_release(col1);
    l2_tensor *i = mk(L2_INT64, L2_SHAPE(2), (double[]){5, 6});
    ok(l2_add_scalar_(i, 3) == L2_OK && l2_mul_(i, i) == L2_OK, "int64 += 3, *= itself");
    check(l2_tensor_ref(i), L2_INT64, L2_SHAPE(2), (double[]){64, 81}, 0, "int in-place value");

    /* Errors: nothing is written. */
    check_err(l2_add_(i, b64) != L2_OK, L2_ERR_DTYPE, "int64 += float64", "float64", "int64");
    check_err(l2_add_scalar_(i, 0.5) != L2_OK, L2_ERR_DTYPE, "int64 += 0.5", "add_", NULL);
    check_err(l2_div_(i, i) != L2_OK, L2_ERR_DTYPE, "int64 /= int64", "div_", "float32");
    check_err(l2_clamp_(i, 0.5, 10) != L2_OK, L2_ERR_DTYPE, "int64 clamp_ with 0.5", NULL, NULL);
    l2_tensor *bo = mk(L2_BOOL, L2_SHAPE(2), (double[]){1, 0});
    check_err(l2_add_(bo, i) != L2_OK, L2_ERR_DTYPE, "bool += int64", "bool", NULL);
    check(l2_tensor_ref(i), L2_INT64, L2_SHAPE(2), (double[]){64, 81}, 0,
          "failed in-place ops wrote nothing");
    l2_tensor *wide = l2_ones(L2_SHAPE(3, 2), L2_FLOAT32);
    check_err(l2_add_(b64, wide) != L2_OK, L2_ERR_SHAPE, "in-place broadcast growing self",
              "[2]", "[3,2]");
    l2_tensor *ex = l2_expand(b64, L2_SHAPE(3, 2));
    check_err(l2_mul_scalar_(ex, 2) != L2_OK, L2_ERR_ARG, "in-place into an expanded view",
              "single memory location", NULL);
    check_err(l2_add_(NULL, a) != L2_OK, L2_ERR_NULL, "add_ NULL", "add_", NULL);
    check_err(l2_relu_(NULL) != L2_OK, L2_ERR_NULL, "relu_ NULL", "relu_", NULL);
    check_err(l2_fill_(NULL, 1) != L2_OK, L2_ERR_NULL, "fill_ NULL", "fill_", NULL);

    /* Autograd safety. */
    l2_tensor *leaf = l2_ones(L2_SHAPE(2), L2_FLOAT64);
    l2_set_requires_grad(leaf, true);
    check_err(l2_add_(leaf, b64) != L2_OK, L2_ERR_AUTOGRAD, "add_ on a leaf requiring grad",
              "leaf", NULL);
    check_err(l2_relu_(leaf) != L2_OK, L2_ERR_AUTOGRAD, "relu_ on a leaf", "relu_", NULL);
    check_err(l2_zero_(leaf) != L2_OK, L2_ERR_AUTOGRAD, "zero_ on a leaf", "zero_", NULL);
    l2_tensor *lv = l2_select(leaf, 0, 1), *lvv = l2_unsqueeze(lv, 0);
    check_err(l2_mul_scalar_(lvv, 2) != L2_OK, L2_ERR_AUTOGRAD, "mul_scalar_ on a view of a leaf",
              "view of a leaf", NULL);
    l2_tensor *lc = l2_mul_scalar(lv, 1); /* a copy, not a view: allowed */
    ok(l2_relu_(lc) == L2_OK, "in-place on a non-view result of a leaf is allowed");
    l2_tensor_release(lc);
    l2_tensor_release(lvv);
    l2_tensor_release(lv);
    l2_no_grad_begin();
    ok(l2_mul_scalar_(leaf, 3) == L2_OK, "in-place on a leaf under no_grad");
    l2_no_grad_end();
    ok(l2_is_leaf(leaf) && l2_grad_fn_name(leaf) == NULL, "no_grad in-place records nothing");

    /* exp saves its output; modifying it in place makes backward fail. */
    l2_tensor *y = l2_exp(leaf);
    l2_tensor *g = l2_ones(L2_SHAPE(2), L2_FLOAT64);
    ok(l2_mul_scalar_(y, 2) == L2_OK, "in-place on exp's output (non-leaf) is allowed");
    is_str(l2_grad_fn_name(y), "mul", "in-place op replaces the grad_fn");
    check_err(l2_backward(y, g, false) != L2_OK, L2_ERR_AUTOGRAD,
              "backward after a saved tensor was modified", "modified by an in-place", NULL);
    l2_tensor_release(y);
    /* mul saves its inputs: modifying one afterwards breaks backward; an untouched one works. */
    l2_tensor *h = l2_mul_scalar(leaf, 1);
    l2_tensor *p = l2_mul(h, leaf);
    ok(l2_add_scalar_(h, 1) == L2_OK, "add_scalar_ on a saved non-leaf");
    check_err(l2_backward(p, g, false) != L2_OK, L2_ERR_AUTOGRAD,
              "backward through mul after its input changed", "version", NULL);
    l2_tensor_release(p);
    p = l2_mul(h, leaf);
    ok(l2_backward(p, g, false) == L2_OK, "backward without modification succeeds");
    /* leaf = 3 (scaled under no_grad), h = leaf * 1 + 1 = 4: d(h * leaf)/dleaf = h + leaf. */
    check(l2_tensor_ref(l2_grad(leaf)), L2_FLOAT64, L2_SHAPE(2), (double[]){7, 7}, 0,
          "gradient through an in-place op uses the history before it");
    l2_tensor_release(p);
    /* fill_ cuts the history: the gradient to what came before is zero. */
    l2_set_grad_none(leaf);
    l2_tensor *q = l2_mul_scalar(leaf, 5);
    ok(l2_fill_(q, 1) == L2_OK && l2_requires_grad(q), "fill_ on a non-leaf keeps requires_grad");
    ok(l2_backward(q, g, false) == L2_OK, "backward through fill_");
    check(l2_tensor_ref(l2_grad(leaf)), L2_FLOAT64, L2_SHAPE(2), (double[]){0, 0}, 0,
          "fill_ gives a zero gradient");
    l2_tensor_release(q);

    l2_tensor *rel[] = {a, b64, at, i, bo, wide, ex, leaf, g, h};
    for (size_t k = 0; k < sizeof rel / sizeof rel[0]; k++)
        l2_tensor_release(rel[k]);
}

int main(void)
{
    test_binary_grads();
    test_unary_grads();
    test_misc_grads();
    test_inplace();
    return tap_done();
}
