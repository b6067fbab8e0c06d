/* test-reduce.c: reductions (sum, mean, prod, max/min and their indices, argmax/argmin, var, std,
 * logsumexp, norm, cumsum, all/any): hand-checked values in float32 and float64, keepdim both
 * ways, negative and repeated dims, empty inputs, int/bool dtype rules, long inputs that take the
 * parallel paths, and every error path. (Gradients: test-reduce-grad.c.) */
#include <l2.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

/* A tensor of dtype dt holding vals (row-major). */
static l2_tensor *mk(const double *vals, int ndim, const int64_t *shape, l2_dtype dt)
{
    l2_tensor *d = l2_from_data(vals, ndim, shape, L2_FLOAT64);
    l2_tensor *r = l2_to_dtype(d, dt);
    l2_tensor_release(d);
    return r;
}

#define SHAPE_OK(t, name, ...) ok(same_shape(t, L2_SHAPE(__VA_ARGS__)), "%s: shape", name)

/* An error check: NULL result, the status, and a message naming the op. */
static void check_err(const l2_tensor *r, l2_status st, const char *op, const char *name)
{
    ok(!r && l2_last_status() == st && strstr(l2_last_error(), op) != NULL,
       "%s -> %s: \"%s\"", name, l2_status_name(st), l2_last_error());
}

static const l2_dtype FLOATS[2] = {L2_FLOAT32, L2_FLOAT64};

/* ---- forward values ------------------------------------------------------------------------ */

static void test_sum_mean(void)
{
    for (int k = 0; k < 2; k++) {
        l2_dtype dt = FLOATS[k];
        const char *dn = l2_dtype_name(dt);
        /* x = [[0,1,2],[3,4,5]] */
        l2_tensor *x = mk((const double[]){0, 1, 2, 3, 4, 5}, L2_SHAPE(2, 3), dt);
        l2_tensor *s = l2_sum(x);
        ok(s && l2_ndim(s) == 0 && l2_dtype_of(s) == dt, "sum %s: 0-d, same dtype", dn);
        is_near(item(s), 15, 0, "sum all");
        l2_tensor *s0 = l2_sum_dims(x, 1, (const int[]){0}, false);
        SHAPE_OK(s0, "sum dim 0", 3);
        is_near(at(s0, (const int64_t[]){0}), 3, 0, "sum dim 0 [0]");
        is_near(at(s0, (const int64_t[]){2}), 7, 0, "sum dim 0 [2]");
        l2_tensor *s1 = l2_sum_dims(x, 1, (const int[]){-1}, true);
        SHAPE_OK(s1, "sum dim -1 keepdim", 2, 1);
        is_near(at(s1, (const int64_t[]){1, 0}), 12, 0, "sum dim -1 keepdim [1,0]");
        l2_tensor *s01 = l2_sum_dims(x, 2, (const int[]){-1, 0}, true);
        SHAPE_OK(s01, "sum dims {-1,0} keepdim", 1, 1);
        is_near(at(s01, (const int64_t[]){0, 0}), 15, 0, "sum both dims");
        l2_tensor *sk = l2_sum_dims(x, 0, NULL, true);
        SHAPE_OK(sk, "sum over every dim with keepdim", 1, 1);
        is_near(at(sk, (const int64_t[]){0, 0}), 15, 0, "sum over every dim with keepdim");
        l2_tensor_release(sk);
        l2_tensor *m = l2_mean(x);
        is_near(item(m), 2.5, 0, "mean all");
        l2_tensor *m1 = l2_mean_dims(x, 1, (const int[]){1}, false);
        SHAPE_OK(m1, "mean dim 1", 2);
        is_near(at(m1, (const int64_t[]){0}), 1, 0, "mean dim 1 [0]");
        is_near(at(m1, (const int64_t[]){1}), 4, 0, "mean dim 1 [1]");
        l2_tensor *m0 = l2_mean_dims(x, 1, (const int[]){-2}, true);
        SHAPE_OK(m0, "mean dim -2 keepdim", 1, 3);
        is_near(at(m0, (const int64_t[]){0, 2}), 3.5, 0, "mean dim -2 [0,2]");
        /* A transposed view: sum over dim 0 of x^T is the row sums of x. */
        l2_tensor *xt = l2_t(x);
        l2_tensor *st = l2_sum_dims(xt, 1, (const int[]){0}, false);
        is_near(at(st, (const int64_t[]){1}), 12, 0, "sum of a transposed view");
        l2_tensor *tt[] = {x, s, s0, s1, s01, m, m1, m0, xt, st};
        for (size_t i = 0; i < sizeof tt / sizeof tt[0]; i++)
            l2_tensor_release(tt[i]);
    }
    /* 0-d input: dims 0 and -1 are accepted and reduce nothing. */
    l2_tensor *z = l2_scalar(4, L2_FLOAT64);
    l2_tensor *zs = l2_sum_dims(z, 1, (const int[]){-1}, true);
    ok(zs && l2_ndim(zs) == 0, "sum of a 0-d tensor over dim -1 is 0-d");
    is_near(item(zs), 4, 0, "sum of a 0-d tensor");
    l2_tensor *zi = NULL;
    l2_tensor *zm = l2_max_dim(z, 0, true, &zi);
    ok(zm && zi && l2_ndim(zm) == 0 && item(zm) == 4 && item(zi) == 0,
       "max_dim of a 0-d tensor: the value and index 0");
    ok(itemr(l2_argmin(z)) == 0 && itemr(l2_prod_dim(z, -1, false)) == 4 &&
           itemr(l2_cumsum(z, 0)) == 4 && itemr(l2_any_dim(z, 0, false)) == 1,
       "argmin, prod_dim, cumsum, any_dim of a 0-d tensor");
    l2_tensor_release(zm);
    l2_tensor_release(zi);
    l2_tensor_release(zs);
    l2_tensor_release(z);
    /* A 3-d sum over non-adjacent dims of a permuted view, against a direct loop. */
    l2_tensor *a = l2_arange(0, 24, 1, L2_FLOAT64);
    l2_tensor *a3 = l2_reshape(a, L2_SHAPE(2, 3, 4));
    l2_tensor *p = l2_permute(a3, (const int[]){2, 0, 1}); /* (4,2,3): p[i,j,k] = a3[j,k,i] */
    l2_tensor *ps = l2_sum_dims(p, 2, (const int[]){0, 2}, false); /* over i and k -> (2) */
    SHAPE_OK(ps, "sum over dims {0,2} of a permuted view", 2);
    for (int j = 0; j < 2; j++) {
        double want = 0;
        for (int k = 0; k < 3; k++)
            for (int i = 0; i < 4; i++)
                want += 12 * j + 4 * k + i;
        is_near(at(ps, (const int64_t[]){j}), want, 0, "permuted sum value");
    }
    l2_tensor_release(ps);
    l2_tensor_release(p);
    l2_tensor_release(a3);
    l2_tensor_release(a);
}

static void test_int_rules(void)
{
    l2_tensor *b = mk((const double[]){1, 0, 1, 1}, L2_SHAPE(2, 2), L2_BOOL);
    l2_tensor *bs = l2_sum(b);
    ok(bs && l2_dtype_of(bs) == L2_INT64, "sum of bool is int64");
    is_near(item(bs), 3, 0, "sum of bool counts trues");
    l2_tensor *bs1 = l2_sum_dims(b, 1, (const int[]){0}, false);
    is_near(at(bs1, (const int64_t[]){1}), 1, 0, "sum of bool over dim 0");
    /* int64 sums are exact beyond 2^53. */
    int64_t big[2] = {(int64_t)1 << 60, 1};
    l2_tensor *i = l2_from_data(big, L2_SHAPE(2), L2_INT64);
    l2_tensor *is = l2_sum(i);
    int64_t got = 0;
    ok(is && l2_dtype_of(is) == L2_INT64 && l2_get_int64(is, NULL, &got) == L2_OK &&
           got == ((int64_t)1 << 60) + 1, "int64 sum is exact: %lld", (long long)got);
    l2_tensor *ip = l2_prod(i);
    ok(ip && l2_dtype_of(ip) == L2_INT64 && l2_get_int64(ip, NULL, &got) == L2_OK &&
           got == (int64_t)1 << 60, "int64 prod is exact: %lld", (long long)got);
    l2_tensor *bp = l2_prod(b);
    ok(bp && l2_dtype_of(bp) == L2_INT64 && item(bp) == 0, "prod of bool is int64 0");
    l2_tensor *im = l2_max(i);
    ok(im && l2_dtype_of(im) == L2_INT64 && l2_get_int64(im, NULL, &got) == L2_OK &&
           got == (int64_t)1 << 60, "max of int64 keeps int64 and is exact");
    l2_tensor *bm = l2_max(b);
    ok(bm && l2_dtype_of(bm) == L2_BOOL && item(bm) == 1, "max of bool is bool true");
    l2_tensor *ic = l2_cumsum(b, 1);
    ok(ic && l2_dtype_of(ic) == L2_INT64, "cumsum of bool is int64");
    is_near(at(ic, (const int64_t[]){1, 1}), 2, 0, "cumsum of bool value");
    check_err(l2_mean(i), L2_ERR_DTYPE, "mean", "mean of int64");
    ok(strstr(l2_last_error(), "could not infer output dtype") != NULL, "mean message as torch");
    check_err(l2_mean_dims(b, 1, (const int[]){0}, false), L2_ERR_DTYPE, "mean", "mean of bool");
    check_err(l2_var(i, 0, NULL, 1, false), L2_ERR_DTYPE, "var", "var of int64");
    check_err(l2_std(b, 0, NULL, 1, false), L2_ERR_DTYPE, "std", "std of bool");
    check_err(l2_logsumexp(i, 0, NULL, false), L2_ERR_DTYPE, "logsumexp", "logsumexp of int64");
    check_err(l2_norm(i, 2, 0, NULL, false), L2_ERR_DTYPE, "norm", "norm of int64");
    check_err(l2_argmax(b), L2_ERR_DTYPE, "argmax", "argmax of bool");
    l2_tensor *tt[] = {b, bs, bs1, i, is, ip, bp, im, bm, ic};
    for (size_t k = 0; k < sizeof tt / sizeof tt[0]; k++)
        l2_tensor_release(tt[k]);
}

static void test_prod_max(void)
{
    for (int k = 0; k < 2; k++) {
        l2_dtype dt = FLOATS[k];
        l2_tensor *x = mk((const double[]){1, 2, 3, 4, 5, 6}, L2_SHAPE(2, 3), dt);
        l2_tensor *p = l2_prod(x);
        is_near(item(p), 720, 0, "prod all");
        ok(l2_dtype_of(p) == dt, "prod keeps the float dtype");
        l2_tensor *p0 = l2_prod_dim(x, 0, false);
        SHAPE_OK(p0, "prod dim 0", 3);
        is_near(at(p0, (const int64_t[]){2}), 18, 0, "prod dim 0 [2]");
        l2_tensor *p1 = l2_prod_dim(x, -1, true);
        SHAPE_OK(p1, "prod dim -1 keepdim", 2, 1);
        is_near(at(p1, (const int64_t[]){1, 0}), 120, 0, "prod dim -1 [1]");

        /* y = [[1,3,3],[5,2,5]]: ties resolve to the first index. */
        l2_tensor *y = mk((const double[]){1, 3, 3, 5, 2, 5}, L2_SHAPE(2, 3), dt);
        is_near(itemr((l2_max(y))), 5, 0, "max all");
        l2_tensor *ix = NULL;
        l2_tensor *mv = l2_max_dim(y, 1, false, &ix);
        SHAPE_OK(mv, "max dim 1", 2);
        ok(ix && l2_dtype_of(ix) == L2_INT64, "max_dim indices are int64");
        SHAPE_OK(ix, "max dim 1 indices", 2);
        is_near(at(mv, (const int64_t[]){0}), 3, 0, "max dim 1 [0]");
        is_near(at(ix, (const int64_t[]){0}), 1, 0, "max dim 1 index [0]: first of the tie");
        is_near(at(ix, (const int64_t[]){1}), 0, 0, "max dim 1 index [1]: first of the tie");
        l2_tensor *iy = NULL;
        l2_tensor *nv = l2_min_dim(y, -2, true, &iy);
        SHAPE_OK(nv, "min dim -2 keepdim", 1, 3);
        SHAPE_OK(iy, "min dim -2 keepdim indices", 1, 3);
        is_near(at(nv, (const int64_t[]){0, 1}), 2, 0, "min dim -2 [0,1]");
        is_near(at(iy, (const int64_t[]){0, 1}), 1, 0, "min dim -2 index [0,1]");
        is_near(at(iy, (const int64_t[]){0, 2}), 0, 0, "min dim -2 index [0,2]: first of the tie");
        l2_tensor *mv2 = l2_max_dim(y, 0, false, NULL);
        is_near(at(mv2, (const int64_t[]){2}), 5, 0, "max_dim without indices");
        l2_tensor *mn = l2_min(y);
        is_near(item(mn), 1, 0, "min all");

        /* argmax over a transposed view counts in the view's row-major order. */
        l2_tensor *w = mk((const double[]){0, 9, 2, 3, 4, 5}, L2_SHAPE(2, 3), dt);
        l2_tensor *wt = l2_t(w); /* [[0,3],[9,4],[2,5]] */
        l2_tensor *am = l2_argmax(wt), *an = l2_argmin(wt);
        ok(am && l2_dtype_of(am) == L2_INT64 && l2_ndim(am) == 0, "argmax is 0-d int64");
        is_near(item(am), 2, 0, "argmax of a transposed view");
        is_near(item(an), 0, 0, "argmin of a transposed view");
        l2_tensor *ad = l2_argmax_dim(wt, 1, true);
        SHAPE_OK(ad, "argmax_dim keepdim", 3, 1);
        is_near(at(ad, (const int64_t[]){0, 0}), 1, 0, "argmax_dim [0]");
        is_near(at(ad, (const int64_t[]){1, 0}), 0, 0, "argmax_dim [1]");
        l2_tensor *ae = l2_argmin_dim(wt, 0, false);
        SHAPE_OK(ae, "argmin_dim", 2);
        is_near(at(ae, (const int64_t[]){1}), 0, 0, "argmin_dim [1]");
        is_near(at(ae, (const int64_t[]){0}), 0, 0, "argmin_dim [0]");

        /* NaN propagates; its index is reported. */
        l2_tensor *q = mk((const double[]){1, NAN, 7, NAN}, L2_SHAPE(4), dt);
        ok(isnan(itemr((l2_max(q)))) && isnan(itemr((l2_min(q)))),
           "max/min propagate NaN");
        l2_tensor *qa = l2_argmax(q), *qn = l2_argmin(q);
        is_near(item(qa), 1, 0, "argmax is the first NaN");
        is_near(item(qn), 1, 0, "argmin is the first NaN");
        l2_tensor *qi = NULL;
        l2_tensor *qm = l2_max_dim(q, 0, false, &qi);
        ok(isnan(item(qm)) && item(qi) == 1, "max_dim picks the first NaN");
        l2_tensor *tt[] = {x, p, p0, p1, y, ix, mv, iy, nv, mv2, mn, w, wt, am, an, ad, ae, q, qa,
                           qn, qi, qm};
        for (size_t i = 0; i < sizeof tt / sizeof tt[0]; i++)
            l2_tensor_release(tt[i]);
    }
}

static void test_var_lse_norm(void)
{
    for (int k = 0; k < 2; k++) {
        l2_dtype dt = FLOATS[k];
        double tol = dt == L2_FLOAT32 ? 1e-5 : 1e-12;
        l2_tensor *x = mk((const double[]){1, 2, 3, 4, 2, 2, 2, 6}, L2_SHAPE(2, 4), dt);
        l2_tensor *v = l2_var(x, 1, (const int[]){1}, 1, false);
        SHAPE_OK(v, "var dim 1", 2);
        is_near(at(v, (const int64_t[]){0}), 5.0 / 3, tol, "var unbiased [1,2,3,4]");
        is_near(at(v, (const int64_t[]){1}), 4.0, tol, "var unbiased [2,2,2,6]");
        l2_tensor *v0 = l2_var(x, 1, (const int[]){-1}, 0, true);
        SHAPE_OK(v0, "var keepdim", 2, 1);
        is_near(at(v0, (const int64_t[]){0, 0}), 1.25, tol, "var biased");
        l2_tensor *s = l2_std(x, 0, NULL, 1, false);
        /* mean 2.75; squares of deviations: 3.0625 .5625 .0625 1.5625 .5625 .5625 .5625 10.5625 */
        is_near(item(s), sqrt(17.5 / 7), tol, "std over all");
        l2_tensor *v1 = l2_var(x, 0, NULL, 1, false);
        is_near(item(v1), 17.5 / 7, tol, "var over all");
        l2_tensor *one = mk((const double[]){3}, L2_SHAPE(1), dt);
        ok(isnan(itemr((l2_var(one, 0, NULL, 1, false)))), "unbiased var of one element "
           "is NaN");

        l2_tensor *y = mk((const double[]){1, 2, 3, 1000, 1000, -INFINITY}, L2_SHAPE(2, 3), dt);
        l2_tensor *l = l2_logsumexp(y, 1, (const int[]){1}, false);
        is_near(at(l, (const int64_t[]){0}), log(exp(1) + exp(2) + exp(3)), tol, "logsumexp");
        is_near(at(l, (const int64_t[]){1}), 1000 + log(2), tol * 1000,
                "logsumexp is stable for large values");
        l2_tensor *ni = mk((const double[]){-INFINITY, -INFINITY}, L2_SHAPE(2), dt);
        l2_tensor *li = l2_logsumexp(ni, 0, NULL, false);
        ok(isinf(item(li)) && item(li) < 0, "logsumexp of all -inf is -inf");
        l2_tensor *pi = mk((const double[]){INFINITY, 1}, L2_SHAPE(2), dt);
        l2_tensor *lp = l2_logsumexp(pi, 0, NULL, true);
        ok(isinf(at(lp, (const int64_t[]){0})) && l2_ndim(lp) == 1, "logsumexp with +inf is +inf");

        l2_tensor *z = mk((const double[]){3, -4, 0, 0}, L2_SHAPE(2, 2), dt);
        l2_tensor *n2 = l2_norm(z, 2, 0, NULL, false);
        is_near(item(n2), 5, tol, "2-norm");
        l2_tensor *n1 = l2_norm(z, 1, 0, NULL, false);
        is_near(item(n1), 7, tol, "1-norm");
        l2_tensor *nf = l2_norm(z, INFINITY, 0, NULL, false);
        is_near(item(nf), 4, tol, "inf-norm");
        l2_tensor *n3 = l2_norm(z, 3, 1, (const int[]){1}, true);
        SHAPE_OK(n3, "3-norm keepdim", 2, 1);
        is_near(at(n3, (const int64_t[]){0, 0}), cbrt(91), tol * 10, "3-norm");
        is_near(at(n3, (const int64_t[]){1, 0}), 0, 0, "3-norm of zeros");
        l2_tensor *nh = l2_norm(z, 0.5, 1, (const int[]){-1}, false);
        is_near(at(nh, (const int64_t[]){0}), pow(sqrt(3) + 2, 2), tol * 10, "0.5-norm");

        l2_tensor *tt[] = {x, v, v0, s, v1, one, y, l, ni, li, pi, lp, z, n2, n1, nf, n3, nh};
        for (size_t i = 0; i < sizeof tt / sizeof tt[0]; i++)
            l2_tensor_release(tt[i]);
    }
}

static void test_cumsum_allany(void)
{
    for (int k = 0; k < 2; k++) {
        l2_dtype dt = FLOATS[k];
        l2_tensor *x = mk((const double[]){1, 2, 3, 4, 5, 6}, L2_SHAPE(2, 3), dt);
        l2_tensor *c1 = l2_cumsum(x, -1);
        SHAPE_OK(c1, "cumsum keeps the shape", 2, 3);
        ok(l2_dtype_of(c1) == dt, "cumsum keeps the float dtype");
        is_near(at(c1, (const int64_t[]){0, 2}), 6, 0, "cumsum dim -1 [0,2]");
        is_near(at(c1, (const int64_t[]){1, 1}), 9, 0, "cumsum dim -1 [1,1]");
        l2_tensor *xt = l2_t(x);
        l2_tensor *c0 = l2_cumsum(xt, 1); /* along the rows of x^T = columns of x */
        is_near(at(c0, (const int64_t[]){2, 1}), 9, 0, "cumsum of a transposed view");
        is_near(at(c0, (const int64_t[]){0, 0}), 1, 0, "cumsum first element");
        l2_tensor *tt[] = {x, c1, xt, c0};
        for (size_t i = 0; i < sizeof tt / sizeof tt[0]; i++)
            l2_tensor_release(tt[i]);
    }
    l2_tensor *a = mk((const double[]){1, 0, 2, NAN, 3, -1}, L2_SHAPE(2, 3), L2_FLOAT64);
    l2_tensor *al = l2_all(a), *an = l2_any(a);
    ok(al && l2_dtype_of(al) == L2_BOOL && l2_ndim(al) == 0, "all is a 0-d bool");
    is_near(item(al), 0, 0, "all is false with a zero");
    is_near(item(an), 1, 0, "any is true");
    l2_tensor *ad = l2_all_dim(a, 1, false), *nd = l2_any_dim(a, 0, true);
    SHAPE_OK(ad, "all_dim", 2);
    is_near(at(ad, (const int64_t[]){0}), 0, 0, "all_dim row with a zero");
    is_near(at(ad, (const int64_t[]){1}), 1, 0, "all_dim row with NaN is true");
    SHAPE_OK(nd, "any_dim keepdim", 1, 3);
    is_near(at(nd, (const int64_t[]){0, 1}), 1, 0, "any_dim column");
    l2_tensor *zi = l2_zeros(L2_SHAPE(3), L2_INT64);
    l2_tensor *za = l2_any(zi);
    is_near(item(za), 0, 0, "any of int zeros is false");
    l2_tensor *tt[] = {a, al, an, ad, nd, zi, za};
    for (size_t i = 0; i < sizeof tt / sizeof tt[0]; i++)
        l2_tensor_release(tt[i]);
}

static void test_empty(void)
{
    l2_tensor *e = l2_zeros(L2_SHAPE(0, 3), L2_FLOAT32);
    is_near(itemr((l2_sum(e))), 0, 0, "sum of empty is 0");
    l2_tensor *s0 = l2_sum_dims(e, 1, (const int[]){0}, false);
    SHAPE_OK(s0, "sum of (0,3) over dim 0", 3);
    is_near(at(s0, (const int64_t[]){2}), 0, 0, "sum over an empty dim is 0");
    l2_tensor *s1 = l2_sum_dims(e, 1, (const int[]){1}, true);
    SHAPE_OK(s1, "sum of (0,3) over dim 1 keepdim", 0, 1);
    ok(isnan(itemr((l2_mean(e)))), "mean of empty is NaN");
    l2_tensor *m0 = l2_mean_dims(e, 1, (const int[]){0}, false);
    ok(isnan(at(m0, (const int64_t[]){1})), "mean over an empty dim is NaN");
    is_near(itemr((l2_prod(e))), 1, 0, "prod of empty is 1");
    is_near(itemr((l2_norm(e, 2, 0, NULL, false))), 0, 0, "norm of empty is 0");
    double lse = itemr((l2_logsumexp(e, 0, NULL, false)));
    ok(isinf(lse) && lse < 0, "logsumexp of empty is -inf");
    ok(isnan(itemr((l2_var(e, 0, NULL, 1, false)))), "var of empty is NaN");
    is_near(itemr((l2_all(e))), 1, 0, "all of empty is true");
    is_near(itemr((l2_any(e))), 0, 0, "any of empty is false");
    check_err(l2_max(e), L2_ERR_ARG, "max", "max of empty");
    check_err(l2_min(e), L2_ERR_ARG, "min", "min of empty");
    check_err(l2_argmax(e), L2_ERR_ARG, "argmax", "argmax of empty");
    check_err(l2_argmin(e), L2_ERR_ARG, "argmin", "argmin of empty");
    l2_tensor *ix = (l2_tensor *)1;
    check_err(l2_max_dim(e, 0, false, &ix), L2_ERR_ARG, "max", "max_dim over an empty dim");
    ok(ix == NULL, "indices set to NULL on failure");
    ok(strstr(l2_last_error(), "dim 0 to have non-zero size") != NULL, "message names the dim");
    check_err(l2_argmin_dim(e, -2, false), L2_ERR_ARG, "argmin", "argmin_dim over an empty dim");
    l2_tensor *mi = NULL;
    l2_tensor *md = l2_max_dim(e, 1, false, &mi); /* reducing the non-empty dim is fine */
    SHAPE_OK(md, "max_dim of (0,3) over dim 1", 0);
    SHAPE_OK(mi, "max_dim of (0,3) over dim 1, indices", 0);
    l2_tensor *c = l2_cumsum(e, 0);
    SHAPE_OK(c, "cumsum of empty", 0, 3);
    l2_tensor *tt[] = {e, s0, s1, m0, md, mi, c};
    for (size_t i = 0; i < sizeof tt / sizeof tt[0]; i++)
        l2_tensor_release(tt[i]);
}

/* The vector sums (reduce-vec.c) at the edges of their block: R x K matrices summed over dim 0
 * (blocks of vb outputs and the K % vb left) and over dim 1 (vb lanes, float32 groups of 8
 * steps, the K % vb tail), with var and the 2-norm over dim 1, against float64 loops over the
 * same values, at 1, 2 and 3 threads. Allowed: 1e-6 (float32) or 1e-13 (float64) of sum |x|. */
static void test_vec_blocks(void)
{
    const int64_t vb = l2_threshold("reduce_vec_block");
    const int64_t ks[] = {vb - 1, vb, 3 * vb - 1, 17 * vb + 5};
    /* rows: and float32 sums over dim 0 in long tiles (issue 12, area opsp): one partial tile,
     * two whole ones and a partial one */
    const int64_t cr = l2_threshold("reduce_cols32_red"), rs[] = {67, cr - 1, 2 * cr + 5};
    enum { NK = sizeof ks / sizeof ks[0], NR = sizeof rs / sizeof rs[0] };
    int bad[2] = {0, 0}, nchk = 0, nt0 = l2_get_num_threads();
    l2_manual_seed(11);
    for (int nt = 1; nt <= 3; nt++) {
        l2_set_num_threads(nt);
        for (int di = 0; di < 2; di++) {
            for (size_t ki = 0; ki < NR * NK; ki++) {
                const int64_t R = rs[ki / NK], K = ks[ki % NK];
                l2_tensor *a64 = l2_randn(L2_SHAPE(R, K), L2_FLOAT64);
                l2_tensor *a = l2_to_dtype(a64, FLOATS[di]);
                l2_tensor *b = l2_to_dtype(a, L2_FLOAT64); /* the values a holds */
                const double *x = l2_data_ptr(b);
                const double rel = di == 0 ? 1e-6 : 1e-13;
                l2_tensor *s0 = l2_sum_dims(a, 1, (const int[]){0}, false);
                l2_tensor *s1 = l2_sum_dims(a, 1, (const int[]){1}, false);
                l2_tensor *v1 = l2_var(a, 1, (const int[]){1}, 0, false);
                l2_tensor *n1 = l2_norm(a, 2, 1, (const int[]){1}, false);
                for (int64_t j = 0; j < K; j++) {
                    double s = 0, m = 0;
                    for (int64_t i = 0; i < R; i++) {
                        s += x[i * K + j];
                        m += fabs(x[i * K + j]);
                    }
                    bad[di] += fabs(at(s0, (const int64_t[]){j}) - s) > rel * m;
                    nchk++;
                }
                for (int64_t i = 0; i < R; i++) {
                    double s = 0, m = 0, q = 0, v = 0;
                    for (int64_t j = 0; j < K; j++) {
                        s += x[i * K + j];
                        m += fabs(x[i * K + j]);
                        q += x[i * K + j] * x[i * K + j];
                    }
                    for (int64_t j = 0; j < K; j++)
                        v += (x[i * K + j] - s / K) * (x[i * K + j] - s / K);
                    bad[di] += fabs(at(s1, (const int64_t[]){i}) - s) > rel * m;
                    bad[di] += fabs(at(v1, (const int64_t[]){i}) - v / K) > rel * q / K;
                    bad[di] += fabs(at(n1, (const int64_t[]){i}) - sqrt(q)) > rel * sqrt(q);
                    nchk += 3;
                }
                l2_tensor *tt[] = {a64, a, b, s0, s1, v1, n1};
                for (size_t k = 0; k < sizeof tt / sizeof tt[0]; k++)
                    l2_tensor_release(tt[k]);
            }
        }
    }
    l2_set_num_threads(nt0);
    ok(bad[0] == 0, "float32 vector sums at block edges match float64 loops (%d of %d bad)",
       bad[0], nchk / 2);
    ok(bad[1] == 0, "float64 vector sums at block edges match float64 loops (%d of %d bad)",
       bad[1], nchk / 2);
}

/* float32 sums and means over a contiguous last dim run one loop over the outputs (issue 12,
 * bcast: reduce-kern.c sum_rows), each row in blocks of 256 x reduce_vec_block elements: rows
 * one below, at and above a block, three blocks and a tail, as (R, K) over dim 1, (2, 3, K) over
 * dim 2 and a whole tensor, at 1, 2 and 3 threads, against float64 loops over the same values.
 * Allowed: 1e-6 of sum |x| (the mean: of sum |x| / K). */
static void test_rows_f32(void)
{
    const int64_t fb = 256 * l2_threshold("reduce_vec_block");
    const int64_t ks[] = {fb - 1, fb, fb + 1, 3 * fb + 7};
    int bad = 0, nchk = 0, nt0 = l2_get_num_threads();
    l2_manual_seed(12);
    for (int nt = 1; nt <= 3; nt++) {
        l2_set_num_threads(nt);
        for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
            const int64_t K = ks[ki], R = 6;
            l2_tensor *a = l2_randn(L2_SHAPE(R, K), L2_FLOAT32);
            l2_tensor *b = l2_to_dtype(a, L2_FLOAT64);
            l2_tensor *a3 = l2_reshape(a, L2_SHAPE(2, 3, K));
            const double *x = l2_data_ptr(b);
            l2_tensor *s1 = l2_sum_dims(a, 1, (const int[]){1}, false);
            l2_tensor *m1 = l2_mean_dims(a, 1, (const int[]){-1}, true);
            l2_tensor *s3 = l2_sum_dims(a3, 1, (const int[]){2}, false);
            l2_tensor *sa = l2_sum(a);
            double ts = 0, tm = 0;
            for (int64_t i = 0; i < R; i++) {
                double s = 0, m = 0;
                for (int64_t j = 0; j < K; j++) {
                    s += x[i * K + j];
                    m += fabs(x[i * K + j]);
                }
                ts += s;
                tm += m;
                bad += !s1 || fabs(flat(s1, i) - s) > 1e-6 * m;
                bad += !m1 || fabs(flat(m1, i) - s / K) > 1e-6 * m / K;
                bad += !s3 || fabs(flat(s3, i) - s) > 1e-6 * m;
                nchk += 3;
            }
            bad += !sa || fabs(flat(sa, 0) - ts) > 1e-6 * tm;
            nchk++;
            l2_tensor *tt[] = {a, b, a3, s1, m1, s3, sa};
            for (size_t k = 0; k < sizeof tt / sizeof tt[0]; k++)
                l2_tensor_release(tt[k]);
        }
    }
    l2_set_num_threads(nt0);
    ok(bad == 0, "float32 row sums and means across block edges match float64 loops (%d of %d "
       "bad)", bad, nchk);
}

/* Long inputs take the multi-threaded paths (split reductions, many outputs). */
static void test_large(void)
{
    const int64_t n = 1000003;
    l2_tensor *f = l2_full(L2_SHAPE(n), 0.1, L2_FLOAT32);
    double want = (double)n * (double)0.1f;
    is_near(itemr((l2_sum(f))), want, want * 1e-7, "float32 sum of 1e6 values is accurate");
    is_near(itemr((l2_mean(f))), (double)0.1f, 1e-8, "float32 mean of 1e6 values");
    /* Ties far apart: the first wins even when the range is split across threads. */
    l2_tensor *r = l2_zeros(L2_SHAPE(n), L2_FLOAT64);
    l2_set(r, (const int64_t[]){10}, 5);
    l2_set(r, (const int64_t[]){900000}, 5);
    l2_set(r, (const int64_t[]){500000}, -2);
    is_near(itemr((l2_argmax(r))), 10, 0, "argmax of a long tensor: first of the ties");
    is_near(itemr((l2_argmin(r))), 500000, 0, "argmin of a long tensor");
    is_near(itemr((l2_max(r))), 5, 0, "max of a long tensor");
    l2_set(r, (const int64_t[]){700000}, NAN);
    ok(isnan(itemr((l2_max(r)))), "NaN found in a long tensor");
    is_near(itemr((l2_argmin(r))), 700000, 0, "argmin finds a late NaN across parts");
    ok(itemr((l2_all(r))) == 0 && itemr((l2_any(r))) == 1, "all/any of a long tensor");

    /* A (300, 500) random matrix: sums over each dim of it and of its transpose. */
    l2_manual_seed(7);
    l2_tensor *a = l2_randn(L2_SHAPE(300, 500), L2_FLOAT64);
    l2_tensor *at0 = l2_sum_dims(a, 1, (const int[]){0}, false);
    l2_tensor *at1 = l2_sum_dims(a, 1, (const int[]){1}, false);
    l2_tensor *tr = l2_t(a);
    l2_tensor *tt0 = l2_sum_dims(tr, 1, (const int[]){0}, false);
    l2_tensor *cs = l2_cumsum(a, 0);
    l2_tensor *lv = l2_var(tr, 1, (const int[]){1}, 1, false);
    const double *d = l2_data_ptr(a);
    int bad0 = 0, bad1 = 0, badt = 0, badc = 0, badv = 0;
    for (int j = 0; j < 500; j++) {
        double s = 0, sq = 0;
        for (int i = 0; i < 300; i++)
            s += d[i * 500 + j];
        for (int i = 0; i < 300; i++)
            sq += (d[i * 500 + j] - s / 300) * (d[i * 500 + j] - s / 300);
        bad0 += fabs(at(at0, (const int64_t[]){j}) - s) > 1e-10;
        badc += fabs(at(cs, (const int64_t[]){299, j}) - s) > 1e-10;
        badv += fabs(at(lv, (const int64_t[]){j}) - sq / 299) > 1e-10;
    }
    for (int i = 0; i < 300; i++) {
        double s = 0;
        for (int j = 0; j < 500; j++)
            s += d[i * 500 + j];
        bad1 += fabs(at(at1, (const int64_t[]){i}) - s) > 1e-10;
        badt += fabs(at(tt0, (const int64_t[]){i}) - s) > 1e-10;
    }
    /* Reductions over dim 0 go through the tiled paths: check them against direct loops. */
    l2_tensor *ix = NULL;
    l2_tensor *mx = l2_max_dim(a, 0, false, &ix);
    l2_tensor *amn = l2_argmin_dim(a, 0, true);
    l2_tensor *lse = l2_logsumexp(a, 1, (const int[]){0}, false);
    l2_tensor *ai = l2_to_dtype(a, L2_INT64); /* truncated towards zero: -2..2 */
    l2_tensor *ci = l2_cumsum(ai, 0);
    l2_tensor *si = l2_sum_dims(ai, 1, (const int[]){0}, false);
    const int64_t *di = l2_data_ptr(ai);
    int badm = 0, badi = 0, badl = 0, badci = 0;
    for (int j = 0; j < 500; j++) {
        double best = -INFINITY, lo = INFINITY, se = 0;
        int64_t bi = -1, li = -1, isum = 0;
        for (int i = 0; i < 300; i++) {
            double v = d[i * 500 + j];
            if (v > best) {
                best = v;
                bi = i;
            }
            if (v < lo) {
                lo = v;
                li = i;
            }
            isum += di[i * 500 + j];
        }
        for (int i = 0; i < 300; i++)
            se += exp(d[i * 500 + j] - best);
        badm += at(mx, (const int64_t[]){j}) != best || at(ix, (const int64_t[]){j}) != bi;
        badi += at(amn, (const int64_t[]){0, j}) != li;
        badl += fabs(at(lse, (const int64_t[]){j}) - (best + log(se))) > 1e-12;
        badci += at(ci, (const int64_t[]){299, j}) != isum || at(si, (const int64_t[]){j}) != isum;
    }
    ok(!badm && !badi, "max_dim / argmin_dim over dim 0 match a direct loop (%d %d bad)", badm,
       badi);
    ok(!badl, "logsumexp over dim 0 matches a direct loop (%d bad)", badl);
    ok(!badci, "int64 cumsum and sum over dim 0 match a direct loop (%d bad)", badci);
    /* The reverse cumsum of the backward, over dim 0: dx[i][j] = 300 - i for dy = 1. */
    l2_tensor *lf = l2_clone(a);
    l2_set_requires_grad(lf, true);
    l2_tensor *lc = l2_cumsum(lf, 0);
    l2_tensor *one = l2_ones_like(lc);
    ok(l2_backward(lc, one, false) == L2_OK, "cumsum backward over dim 0 of a long tensor");
    int badg = 0;
    for (int i = 0; i < 300; i += 7)
        for (int j = 0; j < 500; j += 11)
            badg += at(l2_grad(lf), (const int64_t[]){i, j}) != 300 - i;
    ok(!badg, "cumsum gradient over dim 0 is the reverse cumsum (%d bad)", badg);
    l2_tensor *more[] = {ix, mx, amn, lse, ai, ci, si, lf, lc, one};
    for (size_t k = 0; k < sizeof more / sizeof more[0]; k++)
        l2_tensor_release(more[k]);
    ok(!bad0 && !bad1 && !badt, "sums over each dim match a direct loop (%d %d %d bad)", bad0,
       bad1, badt);
    ok(!badc, "cumsum along dim 0 ends in the column sums (%d bad)", badc);
    ok(!badv, "var over the rows of a transpose matches a direct loop (%d bad)", badv);
    l2_tensor *tt[] = {f, r, a, at0, at1, tr, tt0, cs, lv};
    for (size_t i = 0; i < sizeof tt / sizeof tt[0]; i++)
        l2_tensor_release(tt[i]);
}

static void test_errors(void)
{
    l2_tensor *x = l2_zeros(L2_SHAPE(2, 3), L2_FLOAT32);
    const int rep[2] = {1, -1};
    check_err(l2_sum_dims(x, 2, rep, false), L2_ERR_ARG, "sum", "repeated dim");
    ok(strstr(l2_last_error(), "dim 1 appears multiple times") != NULL, "repeated dim message");
    check_err(l2_sum_dims(x, 1, (const int[]){2}, false), L2_ERR_DIM, "sum", "dim out of range");
    check_err(l2_mean_dims(x, 1, (const int[]){-3}, false), L2_ERR_DIM, "mean", "dim -3");
    check_err(l2_sum_dims(x, 1, NULL, false), L2_ERR_NULL, "sum", "dims NULL");
    check_err(l2_sum_dims(x, -1, rep, false), L2_ERR_ARG, "sum", "ndims < 0");
    check_err(l2_var(x, 2, rep, 1, false), L2_ERR_ARG, "var", "var repeated dim");
    check_err(l2_std(x, 1, (const int[]){5}, 1, false), L2_ERR_DIM, "std", "std bad dim");
    check_err(l2_logsumexp(x, 2, (const int[]){0, 0}, false), L2_ERR_ARG, "logsumexp",
              "logsumexp repeated dim");
    check_err(l2_norm(x, 2, 1, (const int[]){3}, false), L2_ERR_DIM, "norm", "norm bad dim");
    check_err(l2_norm(x, 0, 0, NULL, false), L2_ERR_ARG, "norm", "norm p = 0");
    check_err(l2_norm(x, -1, 0, NULL, false), L2_ERR_ARG, "norm", "norm p < 0");
    check_err(l2_norm(x, NAN, 0, NULL, false), L2_ERR_ARG, "norm", "norm p NaN");
    check_err(l2_var(x, 0, NULL, NAN, false), L2_ERR_ARG, "var", "var correction NaN");
    check_err(l2_prod_dim(x, 2, false), L2_ERR_DIM, "prod", "prod bad dim");
    check_err(l2_max_dim(x, -3, false, NULL), L2_ERR_DIM, "max", "max_dim bad dim");
    check_err(l2_min_dim(x, 2, false, NULL), L2_ERR_DIM, "min", "min_dim bad dim");
    check_err(l2_argmax_dim(x, 2, false), L2_ERR_DIM, "argmax", "argmax_dim bad dim");
    check_err(l2_argmin_dim(x, 2, false), L2_ERR_DIM, "argmin", "argmin_dim bad dim");
    check_err(l2_cumsum(x, 2), L2_ERR_DIM, "cumsum", "cumsum bad dim");
    check_err(l2_all_dim(x, 2, false), L2_ERR_DIM, "all", "all_dim bad dim");
    check_err(l2_any_dim(x, -3, false), L2_ERR_DIM, "any", "any_dim bad dim");
    /* NULL tensors. */
    check_err(l2_sum(NULL), L2_ERR_NULL, "sum", "sum NULL");
    check_err(l2_sum_dims(NULL, 0, NULL, false), L2_ERR_NULL, "sum", "sum_dims NULL");
    check_err(l2_mean(NULL), L2_ERR_NULL, "mean", "mean NULL");
    check_err(l2_mean_dims(NULL, 0, NULL, false), L2_ERR_NULL, "mean", "mean_dims NULL");
    check_err(l2_prod(NULL), L2_ERR_NULL, "prod", "prod NULL");
    check_err(l2_prod_dim(NULL, 0, false), L2_ERR_NULL, "prod", "prod_dim NULL");
    check_err(l2_max(NULL), L2_ERR_NULL, "max", "max NULL");
    check_err(l2_min(NULL), L2_ERR_NULL, "min", "min NULL");
    l2_tensor *ix = (l2_tensor *)1;
    check_err(l2_max_dim(NULL, 0, false, &ix), L2_ERR_NULL, "max", "max_dim NULL");
    ok(ix == NULL, "max_dim NULL leaves *indices NULL");
    check_err(l2_min_dim(NULL, 0, false, NULL), L2_ERR_NULL, "min", "min_dim NULL");
    check_err(l2_argmax(NULL), L2_ERR_NULL, "argmax", "argmax NULL");
    check_err(l2_argmin(NULL), L2_ERR_NULL, "argmin", "argmin NULL");
    check_err(l2_argmax_dim(NULL, 0, false), L2_ERR_NULL, "argmax", "argmax_dim NULL");
    check_err(l2_argmin_dim(NULL, 0, false), L2_ERR_NULL, "argmin", "argmin_dim NULL");
    check_err(l2_var(NULL, 0, NULL, 1, false), L2_ERR_NULL, "var", "var NULL");
    check_err(l2_std(NULL, 0, NULL, 1, false), L2_ERR_NULL, "std", "std NULL");
    check_err(l2_logsumexp(NULL, 0, NULL, false), L2_ERR_NULL, "logsumexp", "logsumexp NULL");
    check_err(l2_norm(NULL, 2, 0, NULL, false), L2_ERR_NULL, "norm", "norm NULL");
    check_err(l2_cumsum(NULL, 0), L2_ERR_NULL, "cumsum", "cumsum NULL");
    check_err(l2_all(NULL), L2_ERR_NULL, "all", "all NULL");
    check_err(l2_any(NULL), L2_ERR_NULL, "any", "any NULL");
    check_err(l2_all_dim(NULL, 0, false), L2_ERR_NULL, "all", "all_dim NULL");
    check_err(l2_any_dim(NULL, 0, false), L2_ERR_NULL, "any", "any_dim NULL");
    l2_tensor_release(x);

    /* Out of memory: every failing allocation returns an error and leaks nothing (valgrind). */
    l2_tensor *g = l2_rand(L2_SHAPE(3, 4), L2_FLOAT64);
    l2_set_requires_grad(g, true);
    int fails = 0, wrong = 0;
    for (int n = 0; n < 12; n++) {
        l2_debug_fail_alloc_after(n);
        l2_tensor *ri = NULL;
        l2_tensor *r[5] = {l2_std(g, 1, (const int[]){0}, 1, false),
                           l2_max_dim(g, 1, true, &ri), l2_prod(g),
                           l2_norm(g, INFINITY, 0, NULL, false), l2_cumsum(g, 1)};
        for (int k = 0; k < 5; k++) {
            if (!r[k]) {
                fails++;
                wrong += l2_last_status() != L2_ERR_NOMEM;
            } else {
                l2_tensor *one = l2_ones_like(r[k]);
                if (!one || l2_backward(r[k], one, false) != L2_OK)
                    fails++;
                l2_tensor_release(one);
            }
            l2_tensor_release(r[k]);
        }
        l2_debug_fail_alloc_after(-1);
        l2_tensor_release(ri);
    }
    ok(fails > 0 && wrong == 0, "allocation failures give L2_ERR_NOMEM (%d failures)", fails);
    l2_tensor_release(g);
}

int main(void)
{
    test_sum_mean();
    test_int_rules();
    test_prod_max();
    test_var_lse_norm();
    test_cumsum_allany();
    test_empty();
    test_large();
    test_vec_blocks();
    test_rows_f32();
    test_errors();
    {
        /* torch refuses an inf norm over an empty dim (no identity). */
        l2_tensor *e = l2_zeros(L2_SHAPE(2, 0), L2_FLOAT32);
        ok(!l2_norm(e, INFINITY, 1, (const int[]){1}, false) && l2_last_status() == L2_ERR_ARG,
           "inf norm over an empty dim: %s", l2_last_error());
        l2_tensor *r = l2_norm(e, INFINITY, 1, (const int[]){0}, false);
        ok(r != NULL, "inf norm over a non-empty dim of an empty tensor is fine");
        l2_tensor_release(r);
        l2_tensor_release(e);
    }
    return tap_done();
}
