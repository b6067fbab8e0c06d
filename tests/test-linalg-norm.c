/* test-linalg-norm.c: linalg_vector_norm, linalg_matrix_norm and linalg_norm of issue 15, area
 * lsqnorm (libl2/ops/linalg-norm.c): hand-computed values for every order, dims and keepdim,
 * torch's subgradients (at zero, at ties of the inf norms), linalg_norm's dispatch, float64
 * finite-difference gradients, the error paths and an out-of-memory sweep. */
#include <l2.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

static void test_vector_values(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    double tol = dt == L2_FLOAT32 ? 1e-6 : 1e-14;
    l2_tensor *x = vec1d(3, (double[]){3, -4, 0}, dt);
    struct {
        double ord, want;
    } c[] = {{2, 5},          {1, 7},   {INFINITY, 4}, {-INFINITY, 0}, {0, 2},
             {3, cbrt(91.0)}, {-1, 0},  {0.5, (sqrt(3.0) + 2) * (sqrt(3.0) + 2)}};
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        double got = itemr(l2_linalg_vector_norm(x, c[k].ord, NULL, 0, false));
        ok(fabs(got - c[k].want) <= tol * fmax(1, c[k].want),
           "%s vector_norm([3,-4,0], %g) = %.9g (want %.9g)", dn, c[k].ord, got, c[k].want);
    }
    l2_tensor *y = vec1d(2, (double[]){1, 2}, dt);
    is_near(itemr(l2_linalg_vector_norm(y, -1, NULL, 0, false)), 2.0 / 3, tol,
            "vector_norm([1,2], -1) = 2/3");
    is_near(itemr(l2_linalg_vector_norm(y, -INFINITY, NULL, 0, false)), 1.0, 0,
            "vector_norm([1,2], -inf) = 1");
    /* dims and keepdim: (2, 3) over dim 1, over dim -2 kept, over both via dims () */
    l2_tensor *m = mat(2, 3, (double[]){1, 2, 2, -3, 0, 4}, dt);
    l2_tensor *r1 = l2_linalg_vector_norm(m, 2, (int[]){1}, 1, false);
    ok(same_shape(r1, 1, (int64_t[]){2}) && fabs(flat(r1, 0) - 3) < tol &&
           fabs(flat(r1, 1) - 5) < tol,
       "%s vector_norm over dim 1: [%g, %g] (want [3, 5])", dn, r1 ? flat(r1, 0) : NAN,
       r1 ? flat(r1, 1) : NAN);
    l2_tensor *r2 = l2_linalg_vector_norm(m, -INFINITY, (int[]){-2}, 1, true);
    ok(same_shape(r2, 2, (int64_t[]){1, 3}) && flat(r2, 0) == 1 && flat(r2, 1) == 0 &&
           flat(r2, 2) == 2,
       "%s vector_norm -inf over dim -2, keepdim: (1, 3) [1, 0, 2]", dn);
    l2_tensor *r3 = l2_linalg_vector_norm(m, 0, (int[]){0, 1}, 2, true);
    ok(same_shape(r3, 2, (int64_t[]){1, 1}) && flat(r3, 0) == 5,
       "%s vector_norm 0 over both dims, keepdim: [[5]]", dn);
    /* a 0-d x takes dim 0 and -1; empty reductions of the orders with an identity give 0 */
    l2_tensor *s = l2_scalar(-3, dt);
    is_near(itemr(l2_linalg_vector_norm(s, 2, (int[]){-1}, 1, false)), 3.0, 0,
            "vector_norm of a 0-d tensor over dim -1");
    l2_tensor *e = l2_zeros(2, (int64_t[]){3, 0}, dt);
    l2_tensor *re = l2_linalg_vector_norm(e, 3, (int[]){1}, 1, false);
    ok(same_shape(re, 1, (int64_t[]){3}) && flat(re, 0) == 0 && flat(re, 2) == 0,
       "%s vector_norm 3 over an empty dim: zeros", dn);
    l2_tensor *re2 = l2_linalg_vector_norm(e, INFINITY, (int[]){0}, 1, false);
    ok(same_shape(re2, 1, (int64_t[]){0}), "%s vector_norm inf over a non-empty dim of an empty "
       "tensor: (0,)", dn);
    RELEASE(x, y, m, r1, r2, r3, s, e, re, re2);
}

static void test_matrix_values(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    double tol = dt == L2_FLOAT32 ? 1e-6 : 1e-14;
    /* [[1, -2], [3, 4]]: column sums 4, 6; row sums 3, 7 */
    l2_tensor *A = mat(2, 2, (double[]){1, -2, 3, 4}, dt);
    struct {
        const char *ord;
        double want;
    } c[] = {{NULL, sqrt(30.0)}, {"fro", sqrt(30.0)}, {"1", 6}, {"-1", 4},
             {"inf", 7},         {"-inf", 3},         {"1.0", 6}};
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        double got = itemr(l2_linalg_matrix_norm(A, c[k].ord, NULL, false));
        ok(fabs(got - c[k].want) <= tol * c[k].want, "%s matrix_norm(%s) = %.9g (want %.9g)",
           dn, c[k].ord ? c[k].ord : "NULL", got, c[k].want);
    }
    /* dims (1, 0): the transpose's norms; batched with keepdim */
    is_near(itemr(l2_linalg_matrix_norm(A, "1", (int[]){1, 0}, false)), 7.0, tol,
            "matrix_norm 1 over dims (1, 0) is the inf norm");
    l2_tensor *B = l2_stack(2, (l2_tensor *const[]){A, A}, 0);
    l2_tensor *rb = l2_linalg_matrix_norm(B, "inf", NULL, true);
    ok(same_shape(rb, 3, (int64_t[]){2, 1, 1}) && flat(rb, 1) == 7,
       "%s matrix_norm inf batched, keepdim: (2, 1, 1)", dn);
    /* linalg_norm's dispatch */
    is_near(itemr(l2_linalg_norm(A, "1", NULL, 0, false)), 6.0, tol,
            "linalg_norm(2-D, '1') is the matrix 1-norm");
    is_near(itemr(l2_linalg_norm(A, NULL, NULL, 0, false)), sqrt(30.0), tol,
            "linalg_norm(2-D) is the 2-norm of every element");
    is_near(itemr(l2_linalg_norm(B, NULL, NULL, 0, false)), sqrt(60.0), tol,
            "linalg_norm(3-D) flattens");
    l2_tensor *rm = l2_linalg_norm(B, "-inf", (int[]){1, 2}, 2, false);
    ok(same_shape(rm, 1, (int64_t[]){2}) && flat(rm, 0) == 3 && flat(rm, 1) == 3,
       "%s linalg_norm(3-D, '-inf', dims (1, 2)) is a matrix norm: [3, 3]", dn);
    l2_tensor *rv = l2_linalg_norm(A, "inf", (int[]){1}, 1, false);
    ok(same_shape(rv, 1, (int64_t[]){2}) && flat(rv, 0) == 2 && flat(rv, 1) == 4,
       "%s linalg_norm(2-D, 'inf', dim 1) is a vector norm: [2, 4]", dn);
    l2_tensor *v = vec1d(2, (double[]){3, -4}, dt);
    is_near(itemr(l2_linalg_norm(v, "0.5", NULL, 0, false)), pow(sqrt(3.0) + 2, 2), tol * 20,
            "linalg_norm(1-D, '0.5')");
    RELEASE(A, B, rb, rm, rv, v);
}

/* torch 1.13's subgradients: the gradient of sum(w * norm) for a given x. */
static l2_tensor *grad_of(const double *xv, int64_t n, double ord)
{
    l2_tensor *x = vec1d(n, xv, L2_FLOAT64);
    l2_set_requires_grad(x, true);
    l2_tensor *r = l2_linalg_vector_norm(x, ord, NULL, 0, false);
    l2_tensor *g = l2_scalar(2.0, L2_FLOAT64);
    l2_tensor *gr = NULL;
    if (r && l2_backward(r, g, false) == L2_OK)
        gr = l2_grad(x) ? l2_clone(l2_grad(x)) : l2_zeros(1, &n, L2_FLOAT64);
    RELEASE(x, r, g);
    return gr;
}

static void test_subgradients(void)
{
    double z[3] = {0, 0, 0}, t[4] = {2, -2, 1, 0}, w[4] = {0, 1, -1, 2};
    double orders[] = {2, 1, 3, 0.5, 1.5, -1, INFINITY, -INFINITY, 0};
    for (size_t k = 0; k < sizeof orders / sizeof orders[0]; k++) {
        l2_tensor *g = grad_of(z, 3, orders[k]);
        ok(g && flat(g, 0) == 0 && flat(g, 1) == 0 && flat(g, 2) == 0,
           "vector_norm %g at 0: the zero subgradient", orders[k]);
        l2_tensor_release(g);
    }
    /* inf: the tie 2, -2 shares the gradient: 2 * [0.5, -0.5, 0, 0] */
    l2_tensor *gi = grad_of(t, 4, INFINITY);
    ok(gi && flat(gi, 0) == 1 && flat(gi, 1) == -1 && flat(gi, 2) == 0 && flat(gi, 3) == 0,
       "vector_norm inf: a tie shares the gradient evenly [%g %g %g %g]", gi ? flat(gi, 0) : NAN,
       gi ? flat(gi, 1) : NAN, gi ? flat(gi, 2) : NAN, gi ? flat(gi, 3) : NAN);
    /* -inf of [0, 1, -1, 2]: the minimum |x| is the 0 element, whose sign is 0 */
    l2_tensor *gm = grad_of(w, 4, -INFINITY);
    ok(gm && flat(gm, 0) == 0 && flat(gm, 1) == 0 && flat(gm, 2) == 0 && flat(gm, 3) == 0,
       "vector_norm -inf with a zero minimum: zero gradient");
    /* 0.5 with a zero element: 0 there, sgn(x) |x|^-0.5 norm^0.5 elsewhere */
    l2_tensor *gh = grad_of(w, 4, 0.5);
    double nrm = pow(2 + sqrt(2.0), 2);
    ok(gh && flat(gh, 0) == 0 && fabs(flat(gh, 1) - 2 * sqrt(nrm)) < 1e-12 &&
           fabs(flat(gh, 3) - 2 * sqrt(nrm / 2)) < 1e-12,
       "vector_norm 0.5 at a zero element: 0 there (%g), the formula elsewhere (%g)",
       gh ? flat(gh, 0) : NAN, gh ? flat(gh, 1) : NAN);
    /* -1 of [1, 2]: norm 2/3, dx = g sgn(x) |x|^-2 norm^2 */
    l2_tensor *gn = grad_of((double[]){1, -2}, 2, -1);
    ok(gn && fabs(flat(gn, 0) - 2 * 4.0 / 9) < 1e-14 && fabs(flat(gn, 1) + 2 * 1.0 / 9) < 1e-14,
       "vector_norm -1 of [1, -2]: [%g, %g] (want [8/9, -2/9])", gn ? flat(gn, 0) : NAN,
       gn ? flat(gn, 1) : NAN);
    RELEASE(gi, gm, gh, gn);
}

static void test_errors(void)
{
    l2_tensor *x = l2_randn(2, (int64_t[]){3, 4}, L2_FLOAT32);
    l2_tensor *v = l2_randn(1, (int64_t[]){3}, L2_FLOAT32);
    l2_tensor *I = l2_zeros(2, (int64_t[]){3, 4}, L2_INT64);
    l2_tensor *e = l2_zeros(2, (int64_t[]){3, 0}, L2_FLOAT32);
    is_err(l2_linalg_vector_norm(NULL, 2, NULL, 0, false), L2_ERR_NULL, "'x'",
           "vector_norm: NULL x");
    is_err(l2_linalg_vector_norm(I, 2, NULL, 0, false), L2_ERR_DTYPE, "floating point",
           "vector_norm: int64");
    is_err(l2_linalg_vector_norm(x, 2, (int[]){1, -1}, 2, false), L2_ERR_DIM,
           "appears multiple times", "vector_norm: a repeated dim");
    is_err(l2_linalg_vector_norm(x, 2, (int[]){2}, 1, false), L2_ERR_DIM, "out of range",
           "vector_norm: dim 2 of a 2-d tensor");
    is_err(l2_linalg_vector_norm(x, NAN, NULL, 0, false), L2_ERR_ARG, "NaN",
           "vector_norm: a NaN ord");
    is_err(l2_linalg_vector_norm(x, 2, (int[]){1}, -1, false), L2_ERR_ARG, "ndims",
           "vector_norm: ndims -1");
    double bad[] = {INFINITY, -INFINITY, -1};
    for (int k = 0; k < 3; k++)
        is_err(l2_linalg_vector_norm(e, bad[k], (int[]){1}, 1, false), L2_ERR_ARG,
               "does not have an identity", "vector_norm: inf, -inf, -1 over an empty dim");
    is_err(l2_linalg_vector_norm(e, INFINITY, NULL, 0, false), L2_ERR_ARG, "identity",
           "vector_norm: inf of an empty tensor");
    is_err(l2_linalg_matrix_norm(v, "fro", NULL, false), L2_ERR_DIM, "at least 2",
           "matrix_norm: 1-d");
    is_err(l2_linalg_matrix_norm(I, "fro", NULL, false), L2_ERR_DTYPE, "floating point",
           "matrix_norm: int64");
    is_err(l2_linalg_matrix_norm(x, "3", NULL, false), L2_ERR_ARG, "not supported",
           "matrix_norm: order 3");
    is_err(l2_linalg_matrix_norm(x, "abc", NULL, false), L2_ERR_ARG, "not supported",
           "matrix_norm: order abc");
    is_err(l2_linalg_matrix_norm(x, "fro", (int[]){0, -2}, false), L2_ERR_ARG, "different",
           "matrix_norm: equal dims");
    is_err(l2_linalg_matrix_norm(x, "fro", (int[]){0, 2}, false), L2_ERR_DIM, "out of range",
           "matrix_norm: dim 2");
    {
        /* the singular-value norms against the singular values themselves (batch, dims
         * swapped, keepdim) */
        l2_tensor *b = l2_randn(3, (int64_t[]){2, 3, 4}, L2_FLOAT64);
        l2_tensor *bt = l2_transpose(b, 1, 2), *s = l2_linalg_svdvals(bt);
        const char *svd[] = {"nuc", "2", "-2"};
        for (int k = 0; k < 3; k++) {
            l2_tensor *r = l2_linalg_matrix_norm(b, svd[k], (int[]){2, 1}, true);
            int good = r && l2_ndim(r) == 3 && l2_shape(r)[0] == 2 && l2_shape(r)[1] == 1 &&
                       l2_shape(r)[2] == 1;
            for (int64_t i = 0; good && i < 2; i++) {
                double want = 0, sv;
                for (int64_t j = 0; j < 3; j++) {
                    l2_get(s, (int64_t[]){i, j}, &sv);
                    want = k == 0 ? want + sv : j == 0 ? sv : k == 1 ? fmax(want, sv) : fmin(want, sv);
                }
                good = fabs(flat(r, i) - want) < 1e-12 * (1 + want);
            }
            ok(good, "matrix_norm %s of a batch over dims (2, 1), keepdim: from the singular values",
               svd[k]);
            l2_tensor_release(r);
        }
        l2_tensor_release(s);
        l2_tensor_release(bt);
        l2_tensor_release(b);
    }
    is_err(l2_linalg_matrix_norm(e, "1", NULL, false), L2_ERR_ARG, "",
           "matrix_norm: 1 of a (3, 0) matrix (amax of an empty dim)");
    l2_tensor *x3 = l2_randn(3, (int64_t[]){2, 2, 2}, L2_FLOAT32);
    is_err(l2_linalg_norm(x3, "2", NULL, 0, false), L2_ERR_ARG, "1D or 2D",
           "linalg_norm: ord with a 3-D input and no dims");
    is_err(l2_linalg_norm(x3, NULL, (int[]){0, 1, 2}, 3, false), L2_ERR_ARG, "length 1 or 2",
           "linalg_norm: 3 dims");
    is_err(l2_linalg_norm(x, "fro", (int[]){1}, 1, false), L2_ERR_ARG, "2-tuple",
           "linalg_norm: fro with one dim");
    is_err(l2_linalg_norm(v, "fro", NULL, 0, false), L2_ERR_DIM, "at least 2",
           "linalg_norm: fro of a vector");
    is_err(l2_linalg_norm(v, "x1", NULL, 0, false), L2_ERR_ARG, "order",
           "linalg_norm: a malformed order");
    is_err(l2_linalg_norm(NULL, NULL, NULL, 0, false), L2_ERR_NULL, "'x'", "linalg_norm: NULL");
    RELEASE(x, v, I, e, x3);
}

/* ---- finite differences (float64) ------------------------------------------------------------ */

typedef struct {
    double ord;
    const char *mord;
    int ndims;
    int dims[2];
    bool keepdim;
} nctx;

static l2_tensor *g_vnorm(l2_tensor *const *in, void *ctx)
{
    const nctx *c = ctx;
    return l2_linalg_vector_norm(in[0], c->ord, c->ndims ? c->dims : NULL, c->ndims, c->keepdim);
}

static l2_tensor *g_mnorm(l2_tensor *const *in, void *ctx)
{
    const nctx *c = ctx;
    return l2_linalg_matrix_norm(in[0], c->mord, c->ndims ? c->dims : NULL, c->keepdim);
}

static l2_tensor *g_norm(l2_tensor *const *in, void *ctx)
{
    const nctx *c = ctx;
    return l2_linalg_norm(in[0], c->mord, c->ndims ? c->dims : NULL, c->ndims, c->keepdim);
}

static void test_gradcheck(void)
{
    /* values in [0.5, 1.5) with random signs keep |x| away from 0 and ties (inf norms) */
    l2_tensor *u = l2_uniform(3, (int64_t[]){2, 3, 4}, 0.5, 1.5, L2_FLOAT64);
    l2_tensor *sg = l2_randn(3, (int64_t[]){2, 3, 4}, L2_FLOAT64);
    l2_tensor *sn = l2_sign(sg);
    l2_tensor *x = l2_mul(u, sn);
    l2_set_requires_grad(x, true);
    nctx vc[] = {{2, NULL, 0, {0}, false},         {2, NULL, 1, {1}, true},
                 {3, NULL, 2, {0, 2}, false},       {0.5, NULL, 1, {-1}, false},
                 {1.5, NULL, 1, {0}, true},         {1, NULL, 1, {2}, false},
                 {-1, NULL, 1, {1}, false},         {-0.5, NULL, 2, {2, 0}, true},
                 {INFINITY, NULL, 1, {2}, false},   {-INFINITY, NULL, 1, {1}, true},
                 {-INFINITY, NULL, 0, {0}, false},  {0, NULL, 1, {1}, false}};
    for (size_t k = 0; k < sizeof vc / sizeof vc[0]; k++)
        ok(gradcheck("vector_norm", g_vnorm, 1, &x, &vc[k]),
           "gradcheck: vector_norm ord %g, %d dims, keepdim %d", vc[k].ord, vc[k].ndims,
           vc[k].keepdim);
    nctx mc[] = {{0, "fro", 0, {0}, false}, {0, "1", 0, {0}, false},
                 {0, "-1", 2, {2, 0}, true}, {0, "inf", 2, {0, 1}, false},
                 {0, "-inf", 0, {0}, true}};
    for (size_t k = 0; k < sizeof mc / sizeof mc[0]; k++)
        ok(gradcheck("matrix_norm", g_mnorm, 1, &x, &mc[k]), "gradcheck: matrix_norm %s",
           mc[k].mord);
    nctx lc[] = {{0, NULL, 0, {0}, false}, {0, "-inf", 1, {1}, false}, {0, "1", 2, {1, 2}, true}};
    for (size_t k = 0; k < sizeof lc / sizeof lc[0]; k++)
        ok(gradcheck("linalg_norm", g_norm, 1, &x, &lc[k]), "gradcheck: linalg_norm %s",
           lc[k].mord ? lc[k].mord : "NULL");
    oom_check("vector_norm -1", g_vnorm, 1, &x, &vc[6]);
    oom_check("vector_norm -inf", g_vnorm, 1, &x, &vc[9]);
    oom_check("matrix_norm 1", g_mnorm, 1, &x, &mc[1]);
    RELEASE(u, sg, sn, x);
}

int main(void)
{
    l2_manual_seed(15);
    test_vector_values(L2_FLOAT32);
    test_vector_values(L2_FLOAT64);
    test_matrix_values(L2_FLOAT32);
    test_matrix_values(L2_FLOAT64);
    test_subgradients();
    test_errors();
    test_gradcheck();
    return tap_done();
}
