/* test-reduce-grad.c: gradients of the reductions (sum, mean, prod, max/min, var, std,
 * logsumexp, norm, cumsum): hand-checked values, and finite differences on contiguous,
 * transposed, stepped-slice, expanded and permuted inputs. (Forward values: test-reduce.c.) */
#include <l2.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

/* ---- gradients ----------------------------------------------------------------------------- */

enum {
    G_SUM_M1, G_SUM_0K, G_SUM_ALL, G_SUM_2K, G_MEAN_0, G_MEAN_ALL, G_MEAN_2, G_PROD_ALL,
    G_PROD_0, G_PROD_M1K, G_MAX, G_MIN, G_MAXD_1, G_MIND_0K, G_VAR1_M1, G_VAR0_ALL, G_VAR_2K,
    G_STD1_0, G_STD0_ALL, G_LSE_M1, G_LSE_ALL, G_LSE_2K, G_NORM2_M1, G_NORM1_ALL, G_NORM3_0,
    G_NORMH_M1, G_NORMI_M1, G_NORMI_ALL, G_CUMSUM_0, G_CUMSUM_M1, G_COUNT
};
static const char *const G_NAMES[G_COUNT] = {
    "sum dim -1", "sum dim 0 keepdim", "sum", "sum dims {0,-1} keepdim", "mean dim 0", "mean",
    "mean dims {0,-1}", "prod", "prod dim 0", "prod dim -1 keepdim", "max", "min",
    "max_dim 1", "min_dim 0 keepdim", "var dim -1", "var correction 0", "var dims {0,-1} keepdim",
    "std dim 0", "std correction 0", "logsumexp dim -1", "logsumexp", "logsumexp dims {0,-1}",
    "2-norm dim -1", "1-norm", "3-norm dim 0", "0.5-norm dim -1", "inf-norm dim -1", "inf-norm",
    "cumsum 0", "cumsum -1",
};

enum { L_CONTIG, L_TRANSPOSED, L_STEPPED, L_EXPANDED, L_PERMUTED, L_COUNT };
static const char *const L_NAMES[L_COUNT] = {"contiguous", "transposed", "stepped slice",
                                             "expanded", "permuted 3-d"};

typedef struct {
    int op, layout;
} gctx;

static l2_tensor *apply(int op, const l2_tensor *v)
{
    const int m1[1] = {-1}, z[1] = {0}, both[2] = {0, -1};
    l2_tensor *r = NULL;
    switch (op) {
    case G_SUM_M1: return l2_sum_dims(v, 1, m1, false);
    case G_SUM_0K: return l2_sum_dims(v, 1, z, true);
    case G_SUM_ALL: return l2_sum(v);
    case G_SUM_2K: return l2_sum_dims(v, 2, both, true);
    case G_MEAN_0: return l2_mean_dims(v, 1, z, false);
    case G_MEAN_ALL: return l2_mean(v);
    case G_MEAN_2: return l2_mean_dims(v, 2, both, false);
    case G_PROD_ALL: return l2_prod(v);
    case G_PROD_0: return l2_prod_dim(v, 0, false);
    case G_PROD_M1K: return l2_prod_dim(v, -1, true);
    case G_MAX: return l2_max(v);
    case G_MIN: return l2_min(v);
    case G_MAXD_1: {
        l2_tensor *ix = NULL;
        r = l2_max_dim(v, 1, false, &ix);
        l2_tensor_release(ix);
        return r;
    }
    case G_MIND_0K: return l2_min_dim(v, 0, true, NULL);
    case G_VAR1_M1: return l2_var(v, 1, m1, 1, false);
    case G_VAR0_ALL: return l2_var(v, 0, NULL, 0, false);
    case G_VAR_2K: return l2_var(v, 2, both, 1, true);
    case G_STD1_0: return l2_std(v, 1, z, 1, false);
    case G_STD0_ALL: return l2_std(v, 0, NULL, 0, false);
    case G_LSE_M1: return l2_logsumexp(v, 1, m1, false);
    case G_LSE_ALL: return l2_logsumexp(v, 0, NULL, false);
    case G_LSE_2K: return l2_logsumexp(v, 2, both, true);
    case G_NORM2_M1: return l2_norm(v, 2, 1, m1, false);
    case G_NORM1_ALL: return l2_norm(v, 1, 0, NULL, false);
    case G_NORM3_0: return l2_norm(v, 3, 1, z, true);
    case G_NORMH_M1: return l2_norm(v, 0.5, 1, m1, false);
    case G_NORMI_M1: return l2_norm(v, INFINITY, 1, m1, false);
    case G_NORMI_ALL: return l2_norm(v, INFINITY, 0, NULL, false);
    case G_CUMSUM_0: return l2_cumsum(v, 0);
    case G_CUMSUM_M1: return l2_cumsum(v, -1);
    default: return NULL;
    }
}

/* The (3,4) or (2,3,4) view of the leaf for a layout. */
static l2_tensor *layout_view(int layout, l2_tensor *leaf)
{
    switch (layout) {
    case L_TRANSPOSED: return l2_t(leaf);                          /* (4,3) -> (3,4) */
    case L_STEPPED: return l2_slice(leaf, 1, 1, INT64_MAX, 2);     /* (3,8) -> (3,4) */
    case L_EXPANDED: return l2_expand(leaf, L2_SHAPE(3, 4));        /* (3,1) -> (3,4) */
    case L_PERMUTED: return l2_permute(leaf, (const int[]){1, 2, 0}); /* (4,2,3) -> (2,3,4) */
    default: return l2_tensor_ref(leaf);
    }
}

static l2_tensor *gfun(l2_tensor *const *in, void *vctx)
{
    const gctx *c = vctx;
    l2_tensor *v = layout_view(c->layout, in[0]);
    l2_tensor *r = apply(c->op, v);
    l2_tensor_release(v);
    return r;
}

/* A float64 leaf requiring grad with distinct values, |x| in [0.3, 1.3), about a third negative. */
static l2_tensor *leaf(int ndim, const int64_t *shape)
{
    double vals[64];
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    l2_tensor *u = l2_rand(ndim, shape, L2_FLOAT64);
    const double *ud = l2_data_ptr(u);
    for (int64_t k = 0; k < n; k++)
        vals[k] = (0.3 + ud[k]) * (k % 3 == 1 ? -1 : 1);
    l2_tensor_release(u);
    l2_tensor *t = l2_from_data(vals, ndim, shape, L2_FLOAT64);
    l2_set_requires_grad(t, true);
    return t;
}

static l2_tensor *layout_leaf(int layout)
{
    switch (layout) {
    case L_TRANSPOSED: return leaf(L2_SHAPE(4, 3));
    case L_STEPPED: return leaf(L2_SHAPE(3, 8));
    case L_EXPANDED: return leaf(L2_SHAPE(3, 1));
    case L_PERMUTED: return leaf(L2_SHAPE(4, 2, 3));
    default: return leaf(L2_SHAPE(3, 4));
    }
}

static void test_gradcheck(void)
{
    l2_manual_seed(3);
    for (int op = 0; op < G_COUNT; op++) {
        for (int lay = 0; lay < L_COUNT; lay++) {
            l2_tensor *x = layout_leaf(lay);
            gctx c = {op, lay};
            char name[96];
            snprintf(name, sizeof name, "%s, %s", G_NAMES[op], L_NAMES[lay]);
            ok(gradcheck(name, gfun, 1, &x, &c), "gradcheck: %s", name);
            l2_tensor_release(x);
        }
    }
    /* prod with zeros: one zero in a row (its gradient is the product of the others), two zeros
     * in another (all gradients 0), and a column with one zero. */
    l2_tensor *x = leaf(L2_SHAPE(3, 4));
    l2_no_grad_begin();
    l2_set(x, (const int64_t[]){0, 1}, 0);
    l2_set(x, (const int64_t[]){2, 1}, 0);
    l2_set(x, (const int64_t[]){2, 3}, 0);
    l2_no_grad_end();
    for (int op = G_PROD_ALL; op <= G_PROD_M1K; op++) {
        gctx c = {op, L_CONTIG};
        ok(gradcheck(G_NAMES[op], gfun, 1, &x, &c), "gradcheck with zeros: %s", G_NAMES[op]);
    }
    l2_tensor_release(x);
}

/* Hand-checked gradients where finite differences cannot judge (ties, zero norms). */
static void test_grad_values(void)
{
    /* max with ties: dy split evenly (torch 1.13). */
    l2_tensor *x = l2_from_data((const double[]){1, 3, 3, 2}, L2_SHAPE(4), L2_FLOAT64);
    l2_set_requires_grad(x, true);
    l2_tensor *m = l2_max(x);
    ok(l2_grad_fn_name(m) && strcmp(l2_grad_fn_name(m), "max") == 0, "grad_fn of max is max");
    ok(l2_backward(m, NULL, false) == L2_OK, "max backward");
    const l2_tensor *g = l2_grad(x);
    is_near(at(g, (const int64_t[]){1}), 0.5, 0, "max tie: half the gradient");
    is_near(at(g, (const int64_t[]){2}), 0.5, 0, "max tie: other half");
    is_near(at(g, (const int64_t[]){0}), 0, 0, "max: no gradient off the maximum");
    l2_tensor_release(m);
    /* max_dim with ties: the whole gradient goes to the first index. */
    l2_set_grad_none(x);
    l2_tensor *md = l2_max_dim(x, 0, false, NULL);
    ok(l2_backward(md, NULL, false) == L2_OK, "max_dim backward");
    is_near(at(l2_grad(x), (const int64_t[]){1}), 1, 0, "max_dim tie: gradient to the first");
    is_near(at(l2_grad(x), (const int64_t[]){2}), 0, 0, "max_dim tie: none to the second");
    l2_tensor_release(md);
    /* prod with zeros, by hand. */
    l2_tensor *p = l2_from_data((const double[]){2, 0, 3}, L2_SHAPE(3), L2_FLOAT64);
    l2_set_requires_grad(p, true);
    l2_tensor *pr = l2_prod(p);
    l2_backward(pr, NULL, false);
    is_near(at(l2_grad(p), (const int64_t[]){1}), 6, 0, "prod grad at the zero");
    is_near(at(l2_grad(p), (const int64_t[]){0}), 0, 0, "prod grad elsewhere with a zero");
    l2_tensor_release(pr);
    /* 2-norm of the zero vector: gradient 0 (not NaN), as torch. */
    l2_tensor *z = l2_zeros(L2_SHAPE(3), L2_FLOAT64);
    l2_set_requires_grad(z, true);
    l2_tensor *nz = l2_norm(z, 2, 0, NULL, false);
    ok(l2_backward(nz, NULL, false) == L2_OK, "norm backward at zero");
    is_near(at(l2_grad(z), (const int64_t[]){0}), 0, 0, "2-norm gradient at zero is 0");
    l2_tensor_release(nz);
    /* std of a constant: the gradient is 0, not NaN (torch 1.13). */
    l2_tensor *cst = l2_full(L2_SHAPE(4), 2, L2_FLOAT64);
    l2_set_requires_grad(cst, true);
    l2_tensor *sdv = l2_std(cst, 0, NULL, 1, false);
    ok(l2_backward(sdv, NULL, false) == L2_OK, "std backward of a constant");
    is_near(at(l2_grad(cst), (const int64_t[]){2}), 0, 0, "std gradient at std 0 is 0");
    l2_tensor_release(sdv);
    l2_tensor_release(cst);
    /* mean backward in float32: dy / N. */
    l2_tensor *f = l2_ones(L2_SHAPE(2, 5), L2_FLOAT32);
    l2_set_requires_grad(f, true);
    l2_tensor *fm = l2_mean(f);
    l2_backward(fm, NULL, false);
    ok(l2_dtype_of(l2_grad(f)) == L2_FLOAT32, "float32 gradient stays float32");
    is_near(at(l2_grad(f), (const int64_t[]){1, 4}), 0.1, 1e-7, "mean gradient is 1/N");
    l2_tensor_release(fm);
    /* cumsum backward: reverse cumsum of ones is [3, 2, 1]. */
    l2_tensor *cs = l2_cumsum(x, 0);
    l2_set_grad_none(x);
    l2_tensor *ones = l2_ones(L2_SHAPE(4), L2_FLOAT64);
    l2_backward(cs, ones, false);
    is_near(at(l2_grad(x), (const int64_t[]){0}), 4, 0, "cumsum gradient [0]");
    is_near(at(l2_grad(x), (const int64_t[]){3}), 1, 0, "cumsum gradient [3]");
    l2_tensor_release(cs);
    /* Not differentiable: argmax and all do not require grad. */
    l2_tensor *am = l2_argmax(x), *al = l2_all(x);
    ok(!l2_requires_grad(am) && !l2_requires_grad(al), "argmax and all do not require grad");
    /* A saved input modified in place is detected at backward. */
    l2_tensor *y = l2_from_data((const double[]){1, 2}, L2_SHAPE(2), L2_FLOAT64);
    l2_set_requires_grad(y, true);
    l2_tensor *yc = l2_clone(y);
    l2_tensor *yp = l2_prod(yc);
    l2_set(yc, (const int64_t[]){0}, 5);
    ok(l2_backward(yp, NULL, false) == L2_ERR_AUTOGRAD, "prod backward after an in-place write "
       "fails: %s", l2_last_error());
    l2_tensor *tt[] = {x, p, z, f, ones, am, al, y, yc, yp};
    for (size_t i = 0; i < sizeof tt / sizeof tt[0]; i++)
        l2_tensor_release(tt[i]);
}

int main(void)
{
    test_grad_values();
    test_gradcheck();
    {
        /* prod backward with a subnormal product: dy * (P / x), as torch (dy * P underflowed to
         * -0.0 and gave a zero gradient; found by the oracle). */
        double xs[2] = {-0.587, 4.9406564584124654e-324};
        l2_tensor *x = l2_from_data(xs, L2_SHAPE(2), L2_FLOAT64);
        l2_set_requires_grad(x, true);
        l2_tensor *p = l2_prod_dim(x, 0, false);
        l2_tensor *g = l2_full(0, NULL, 0.25, L2_FLOAT64);
        l2_backward(p, g, false);
        double g1 = at(l2_grad(x), (const int64_t[]){1});
        ok(g1 == -0.25, "prod_dim gradient at a subnormal product is dy * (P / x) (got %g)", g1);
        l2_tensor_release(p);
        l2_tensor_release(g);
        l2_tensor_release(x);
    }
    return tap_done();
}
