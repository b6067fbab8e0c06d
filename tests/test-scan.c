/* test-scan.c: reductions and scans of issue 14 (area scan; libl2/ops/reduce3.c, scan.c):
 * amax, amin, aminmax, nansum, nanmean, count_nonzero, var_mean, std_mean on hand-checked
 * values (NaN, ties, bool and int64), errors (torch 1.13's kinds, out-arguments NULL after a
 * failure), gradients by finite differences and tie splitting, out-of-memory sweeps. */
#include <l2.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

/* amax / amin over several dims, aminmax, nansum, nanmean, count_nonzero, var_mean, std_mean. */
static void test_reductions(void)
{
    /* x (2, 3): [[1, 5, NaN], [5, -2, 0]] */
    l2_tensor *x = l2_from_data((const double[]){1, 5, NAN, 5, -2, 0}, L2_SHAPE(2, 3),
                                L2_FLOAT64);
    l2_tensor *r = l2_amax(x, 1, (const int[]){0}, false);
    ok(holds(r, 3, (const double[]){5, 5, NAN}), "amax over dim 0: NaN propagates");
    l2_tensor_release(r);
    r = l2_amin(x, 2, (const int[]){-1, 0}, true);
    ok(same_shape(r, L2_SHAPE(1, 1)) && isnan(at(r, (const int64_t[]){0, 0})),
       "amin over both dims, keepdim, with a NaN");
    l2_tensor_release(r);
    /* without NaN: (2, 3) int64 [[1, 5, 3], [5, -2, 0]] over dim 1 */
    l2_tensor *xi = l2_from_data((const int64_t[]){1, 5, 3, 5, -2, 0}, L2_SHAPE(2, 3), L2_INT64);
    r = l2_amin(xi, 1, (const int[]){1}, false);
    ok(holds(r, 2, (const double[]){1, -2}) && l2_dtype_of(r) == L2_INT64, "amin of int64");
    l2_tensor_release(r);
    r = l2_amax(xi, 1, (const int[]){-1}, false);
    ok(holds(r, 2, (const double[]){5, 5}), "amax of int64 over dim -1");
    l2_tensor_release(r);
    l2_tensor_release(xi);
    l2_tensor *mx = NULL;
    l2_tensor *lo = l2_aminmax(x, (const int[]){1}, false, &mx);
    ok(holds(lo, 2, (const double[]){NAN, -2}) && holds(mx, 2, (const double[]){NAN, 5}),
       "aminmax along dim 1");
    l2_tensor_release(lo);
    l2_tensor_release(mx);
    r = l2_nansum(x, 1, (const int[]){1}, false);
    ok(holds(r, 2, (const double[]){6, 3}), "nansum skips NaN");
    l2_tensor_release(r);
    r = l2_nanmean(x, 0, NULL, false);
    ok(r && l2_ndim(r) == 0 && item(r) == 9.0 / 5, "nanmean of all: 9 / 5 non-NaN elements");
    l2_tensor_release(r);
    r = l2_count_nonzero(x, 1, (const int[]){0});
    ok(holds(r, 3, (const double[]){2, 2, 1}) && l2_dtype_of(r) == L2_INT64,
       "count_nonzero over dim 0 (NaN counts)");
    l2_tensor_release(r);
    l2_tensor_release(x);
    /* nanmean of an all-NaN row: NaN; nansum of int64: int64. */
    l2_tensor *nn = vec1d(2, (const double[]){NAN, NAN}, L2_FLOAT32);
    ok(isnan(itemr(l2_nanmean(nn, 0, NULL, false))), "nanmean of NaN only: NaN");
    ok(itemr(l2_nansum(nn, 0, NULL, false)) == 0, "nansum of NaN only: 0");
    l2_tensor *iv = vec1d(3, (const double[]){4, 0, -1}, L2_INT64);
    r = l2_nansum(iv, 0, NULL, false);
    ok(r && item(r) == 3 && l2_dtype_of(r) == L2_INT64, "nansum of int64");
    l2_tensor_release(r);
    l2_tensor *bv = vec1d(3, (const double[]){1, 0, 1}, L2_BOOL);
    mx = NULL;
    lo = l2_aminmax(bv, NULL, false, &mx);
    ok(lo && item(lo) == 0 && item(mx) == 1 && l2_dtype_of(mx) == L2_BOOL, "aminmax of bool");
    l2_tensor_release(lo);
    l2_tensor_release(mx);
    /* var_mean: [1, 2, 4]: mean 7/3, var (correction 1) 7/3. */
    l2_tensor *v3 = vec1d(3, (const double[]){1, 2, 4}, L2_FLOAT64), *m = NULL;
    r = l2_var_mean(v3, 0, NULL, 1, false, &m);
    ok(r && m && fabs(item(r) - 7.0 / 3) < 1e-15 && fabs(item(m) - 7.0 / 3) < 1e-15,
       "var_mean: unbiased variance and mean");
    l2_tensor_release(r);
    l2_tensor_release(m);
    r = l2_std_mean(v3, 1, (const int[]){0}, 0, true, &m);
    ok(same_shape(r, L2_SHAPE(1)) && fabs(at(r, (const int64_t[]){0}) - sqrt(14.0 / 9)) < 1e-15,
       "std_mean with correction 0 and keepdim");
    l2_tensor_release(r);
    l2_tensor_release(m);
    l2_tensor *list[] = {nn, iv, bv, v3};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

static void test_reduction_errors(void)
{
    l2_tensor *e = l2_zeros(L2_SHAPE(2, 0), L2_FLOAT32), *t = ar(L2_SHAPE(2, 3), L2_INT64);
    is_err(l2_amax(e, 0, NULL, false), L2_ERR_ARG, "numel() == 0", "amax of an empty tensor");
    is_err(l2_amax(e, 1, (const int[]){1}, false), L2_ERR_ARG, "non-zero size",
           "amax over an empty dim");
    l2_tensor *r = l2_amax(e, 1, (const int[]){0}, false);
    ok(same_shape(r, L2_SHAPE(0)), "amax of (2, 0) over dim 0: (0,)");
    l2_tensor_release(r);
    is_err(l2_amin(t, 2, (const int[]){0, -2}, false), L2_ERR_ARG, "", "amin: a dim twice");
    is_err(l2_amin(t, 1, (const int[]){2}, false), L2_ERR_DIM, "", "amin: dim out of range");
    l2_tensor *mx = (l2_tensor *)&mx;
    is_err(l2_aminmax(e, NULL, false, &mx), L2_ERR_ARG, "no identity", "aminmax of empty");
    ok(mx == NULL, "aminmax: *max NULL after a failure");
    is_err(l2_nanmean(t, 0, NULL, false), L2_ERR_DTYPE, "floating point", "nanmean of int64");
    l2_tensor *m = (l2_tensor *)&m;
    is_err(l2_var_mean(t, 0, NULL, 1, false, &m), L2_ERR_DTYPE, "floating point",
           "var_mean of int64");
    ok(m == NULL, "var_mean: *mean NULL after a failure");
    is_err(l2_std_mean(NULL, 0, NULL, 1, false, NULL), L2_ERR_NULL, "", "std_mean: NULL");
    is_err(l2_count_nonzero(t, 1, NULL), L2_ERR_NULL, "", "count_nonzero: dims NULL");
    is_err(l2_nansum(t, 1, (const int[]){-3}, false), L2_ERR_DIM, "", "nansum: dim -3");
    l2_tensor_release(e);
    l2_tensor_release(t);
}

static l2_tensor *f_amax(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_amax(in[0], 2, (const int[]){1, 0}, true);
}

static l2_tensor *f_amin(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_amin(in[0], 1, (const int[]){-1}, false);
}

static l2_tensor *f_aminmax_max(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    l2_tensor *mx = NULL;
    l2_tensor *lo = l2_aminmax(in[0], (const int[]){0}, false, &mx);
    l2_tensor_release(lo);
    return mx;
}

static l2_tensor *f_nansum(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_nansum(in[0], 1, (const int[]){0}, false);
}

static l2_tensor *f_nanmean(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_nanmean(in[0], 1, (const int[]){1}, true);
}

static l2_tensor *f_var_mean(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    l2_tensor *m = NULL;
    l2_tensor *v = l2_var_mean(in[0], 1, (const int[]){1}, 1, false, &m);
    l2_tensor *r = v && m ? l2_add(v, m) : NULL;
    l2_tensor_release(v);
    l2_tensor_release(m);
    return r;
}

static l2_tensor *f_std_mean(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    l2_tensor *m = NULL;
    l2_tensor *v = l2_std_mean(in[0], 0, NULL, 0, false, &m);
    l2_tensor *r = v && m ? l2_mul(v, m) : NULL;
    l2_tensor_release(v);
    l2_tensor_release(m);
    return r;
}

static void test_reduction_grads(void)
{
    l2_manual_seed(7);
    l2_tensor *x = gc_leaf(L2_SHAPE(4, 5), -1, 1);
    ok(gradcheck("amax", f_amax, 1, &x, NULL), "gradcheck: amax over both dims");
    ok(gradcheck("amin", f_amin, 1, &x, NULL), "gradcheck: amin over dim -1");
    ok(gradcheck("aminmax", f_aminmax_max, 1, &x, NULL), "gradcheck: aminmax's max");
    ok(gradcheck("nansum", f_nansum, 1, &x, NULL), "gradcheck: nansum");
    ok(gradcheck("nanmean", f_nanmean, 1, &x, NULL), "gradcheck: nanmean");
    ok(gradcheck("var_mean", f_var_mean, 1, &x, NULL), "gradcheck: var + mean of var_mean");
    ok(gradcheck("std_mean", f_std_mean, 1, &x, NULL), "gradcheck: std * mean of std_mean");
    oom_check("amax", f_amax, 1, &x, NULL);
    oom_check("nanmean", f_nanmean, 1, &x, NULL);
    oom_check("var_mean", f_var_mean, 1, &x, NULL);
    l2_tensor_release(x);
    /* ties: amax's gradient split evenly, nansum's and nanmean's zero at the NaN */
    l2_tensor *y = l2_from_data((const double[]){3, 1, 3, 3, NAN, 2}, L2_SHAPE(2, 3),
                                L2_FLOAT64);
    l2_set_requires_grad(y, true);
    l2_tensor *s = l2_slice(y, 0, 0, 1, 1); /* [[3, 1, 3]] */
    l2_tensor *r = l2_amax(s, 0, NULL, false);
    l2_tensor *g = l2_scalar(4, L2_FLOAT64);
    const l2_tensor *gy = NULL;
    ok(r && l2_backward(r, g, false) == L2_OK && (gy = l2_grad(y)) &&
           at(gy, (const int64_t[]){0, 0}) == 2 && at(gy, (const int64_t[]){0, 1}) == 0 &&
           at(gy, (const int64_t[]){0, 2}) == 2 && at(gy, (const int64_t[]){1, 0}) == 0,
       "amax: dy split evenly between the two 3s");
    l2_tensor_release(r);
    l2_set_grad_none(y);
    r = l2_nanmean(y, 0, NULL, false);
    ok(r && l2_backward(r, g, false) == L2_OK && (gy = l2_grad(y)) &&
           at(gy, (const int64_t[]){1, 1}) == 0 && at(gy, (const int64_t[]){0, 0}) == 4.0 / 5,
       "nanmean: dy / count, 0 at the NaN");
    l2_tensor_release(r);
    l2_tensor_release(g);
    l2_tensor_release(s);
    l2_tensor_release(y);
}

/* ---- cumprod, cummax, cummin, logcumsumexp ---- */

static void test_scans(void)
{
    l2_tensor *x = vec1d(5, (const double[]){2, 3, 0, 4, -1}, L2_FLOAT64), *ix = NULL, *r0;
    ok(holds((r0 = l2_cumprod(x, 0)), 5, (const double[]){2, 6, 0, 0, -0.0}),
       "cumprod: the zero stays (and -0 after it)");
    l2_tensor_release(r0);
    l2_tensor *xi = vec1d(4, (const double[]){3, -2, 5, 7}, L2_INT64);
    l2_tensor *r = l2_cumprod(xi, -1);
    ok(holds(r, 4, (const double[]){3, -6, -30, -210}) && l2_dtype_of(r) == L2_INT64,
       "cumprod of int64");
    l2_tensor_release(r);
    l2_tensor *xb = vec1d(3, (const double[]){1, 1, 0}, L2_BOOL);
    r = l2_cumprod(xb, 0);
    ok(holds(r, 3, (const double[]){1, 1, 0}) && l2_dtype_of(r) == L2_INT64, "cumprod of bool");
    l2_tensor_release(r);
    l2_tensor *xm = vec1d(6, (const double[]){1, 3, 3, 2, NAN, 5}, L2_FLOAT32);
    r = l2_cummax(xm, 0, &ix);
    ok(holds(r, 6, (const double[]){1, 3, 3, 3, NAN, NAN}) &&
           holds(ix, 6, (const double[]){0, 1, 2, 2, 4, 4}),
       "cummax: a tie moves the index on, NaN propagates");
    l2_tensor_release(r);
    l2_tensor_release(ix);
    l2_tensor *xn = vec1d(6, (const double[]){3, 1, 1, NAN, NAN, 0}, L2_FLOAT64);
    r = l2_cummin(xn, -1, &ix);
    ok(holds(r, 6, (const double[]){3, 1, 1, NAN, NAN, NAN}) &&
           holds(ix, 6, (const double[]){0, 1, 2, 3, 4, 4}),
       "cummin: later NaN moves the index");
    l2_tensor_release(r);
    l2_tensor_release(ix);
    r = l2_cummin(xi, 0, &ix);
    ok(holds(r, 4, (const double[]){3, -2, -2, -2}) && holds(ix, 4, (const double[]){0, 1, 1, 1}),
       "cummin of int64");
    l2_tensor_release(r);
    l2_tensor_release(ix);
    /* (2, 3) over dim 0: columns scanned (the tiled walk of the driver) */
    l2_tensor *x2 = l2_from_data((const double[]){1, 5, 2, 4, 0, 2}, L2_SHAPE(2, 3), L2_FLOAT64);
    r = l2_cummax(x2, 0, &ix);
    ok(r && at(r, (const int64_t[]){1, 0}) == 4 && at(r, (const int64_t[]){1, 1}) == 5 &&
           at(ix, (const int64_t[]){1, 1}) == 0 && at(ix, (const int64_t[]){1, 2}) == 1,
       "cummax over dim 0");
    l2_tensor_release(r);
    l2_tensor_release(ix);
    l2_tensor *xl = vec1d(4, (const double[]){-INFINITY, 0, 0, 1000}, L2_FLOAT64);
    r = l2_logcumsumexp(xl, 0);
    ok(r && at(r, (const int64_t[]){0}) == -INFINITY && at(r, (const int64_t[]){1}) == 0 &&
           fabs(at(r, (const int64_t[]){2}) - log(2.0)) < 1e-15 &&
           at(r, (const int64_t[]){3}) == 1000,
       "logcumsumexp: -inf start, log 2, no overflow at 1000");
    l2_tensor_release(r);
    l2_tensor *list[] = {x, xi, xb, xm, xn, x2, xl};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

static void test_scan_errors(void)
{
    l2_tensor *t = ar(L2_SHAPE(2, 3), L2_INT64), *z = l2_scalar(2, L2_FLOAT32);
    is_err(l2_logcumsumexp(t, 0), L2_ERR_DTYPE, "not implemented", "logcumsumexp of int64");
    is_err(l2_cumprod(t, 2), L2_ERR_DIM, "", "cumprod: dim 2 of rank 2");
    is_err(l2_cumprod(NULL, 0), L2_ERR_NULL, "", "cumprod: NULL");
    l2_tensor *ix = (l2_tensor *)&ix;
    is_err(l2_cummax(t, -3, &ix), L2_ERR_DIM, "", "cummax: dim -3 of rank 2");
    ok(ix == NULL, "cummax: *indices NULL after a failure");
    l2_tensor *r = l2_cummin(z, 5, &ix);
    ok(r && ix && l2_ndim(r) == 0 && item(ix) == 0, "cummin of 0-d: any dim (torch 1.13)");
    l2_tensor_release(r);
    l2_tensor_release(ix);
    l2_tensor_release(t);
    l2_tensor_release(z);
}

static l2_tensor *f_cumprod(l2_tensor *const *in, void *ctx)
{
    return l2_cumprod(in[0], *(const int *)ctx);
}

static l2_tensor *f_cummax(l2_tensor *const *in, void *ctx)
{
    return l2_cummax(in[0], *(const int *)ctx, NULL);
}

static l2_tensor *f_cummin(l2_tensor *const *in, void *ctx)
{
    return l2_cummin(in[0], *(const int *)ctx, NULL);
}

static l2_tensor *f_lcse(l2_tensor *const *in, void *ctx)
{
    return l2_logcumsumexp(in[0], *(const int *)ctx);
}

static void test_scan_grads(void)
{
    l2_manual_seed(11);
    l2_tensor *x = gc_leaf(L2_SHAPE(4, 5), -2, 2);
    for (int dim = -1; dim <= 0; dim++) {
        ok(gradcheck("cumprod", f_cumprod, 1, &x, &dim), "gradcheck: cumprod dim %d", dim);
        ok(gradcheck("cummax", f_cummax, 1, &x, &dim), "gradcheck: cummax dim %d", dim);
        ok(gradcheck("cummin", f_cummin, 1, &x, &dim), "gradcheck: cummin dim %d", dim);
        ok(gradcheck("logcumsumexp", f_lcse, 1, &x, &dim), "gradcheck: logcumsumexp dim %d", dim);
    }
    int d1 = 1;
    oom_check("cumprod", f_cumprod, 1, &x, &d1);
    oom_check("cummax", f_cummax, 1, &x, &d1);
    oom_check("logcumsumexp", f_lcse, 1, &x, &d1);
    l2_tensor_release(x);
    /* rows with one and with two zeros (the gradient's three cases) */
    l2_tensor *z = l2_from_data((const double[]){2, 0, 3, -1, 0, 5, 0.5, 4, -3, 0, 2, 1.5},
                                L2_SHAPE(2, 6), L2_FLOAT64);
    l2_set_requires_grad(z, true);
    ok(gradcheck("cumprod zeros", f_cumprod, 1, &z, &d1), "gradcheck: cumprod with zeros");
    /* cumprod of [2, 0, 3, -1, 0, 5], dy = 1: dx = [1 + 0, 2 (1 + 3 - 3), 0, 0, 0, 0] */
    l2_set_grad_none(z);
    l2_tensor *r = l2_slice(z, 0, 0, 1, 1), *c = r ? l2_cumprod(r, 1) : NULL;
    const l2_tensor *gz = NULL;
    l2_tensor *sc = c ? l2_sum(c) : NULL;
    ok(sc && l2_backward(sc, NULL, false) == L2_OK && (gz = l2_grad(z)) &&
           at(gz, (const int64_t[]){0, 0}) == 1 && at(gz, (const int64_t[]){0, 1}) == 2 &&
           at(gz, (const int64_t[]){0, 2}) == 0 && at(gz, (const int64_t[]){0, 5}) == 0,
       "cumprod: dx at the first zero, 0 after it");
    l2_tensor_release(sc);
    l2_tensor_release(c);
    l2_tensor_release(r);
    l2_set_grad_none(z);
    /* cummax: dy_k goes to the index of k */
    l2_tensor *m = vec1d(4, (const double[]){1, 3, 3, 2}, L2_FLOAT64);
    l2_set_requires_grad(m, true);
    c = l2_cummax(m, 0, NULL);
    sc = c ? l2_sum(c) : NULL;
    ok(sc && l2_backward(sc, NULL, false) == L2_OK &&
           holds(l2_grad(m), 4, (const double[]){1, 1, 2, 0}),
       "cummax: dy gathered at the indices");
    l2_tensor_release(sc);
    l2_tensor_release(c);
    l2_tensor_release(m);
    l2_tensor_release(z);
}

/* The threaded backward rows (more than L2__GRAIN_REDUCE elements) at 1, 2 and 3 threads: the
 * same gradients, bitwise, and cumprod's equal to dy y / x on rows without zeros. */
static void test_scan_threads(void)
{
    const int nt0 = l2_get_num_threads();
    l2_manual_seed(5);
    l2_tensor *x = l2_uniform(L2_SHAPE(301, 1001), 0.5, 1.5, L2_FLOAT64);
    l2_set_requires_grad(x, true);
    l2_tensor *g[3] = {NULL, NULL, NULL};
    for (int t = 0; t < 3; t++) {
        l2_set_num_threads(t + 1);
        l2_scope_begin();
        l2_tensor *a = l2_cumprod(x, 0), *b = l2_logcumsumexp(x, 1), *m = l2_cummax(x, 0, NULL);
        l2_tensor *s = l2_add(l2_add(l2_sum(a), l2_sum(b)), l2_sum(m));
        l2_status st = s ? l2_backward(s, NULL, false) : L2_ERR_NULL;
        l2_scope_end();
        if (st == L2_OK)
            g[t] = l2_clone(l2_grad(x));
        l2_set_grad_none(x);
    }
    l2_set_num_threads(nt0);
    for (int t = 1; t < 3; t++) {
        l2_tensor *d = g[0] && g[t] ? l2_sub(g[0], g[t]) : NULL;
        l2_tensor *ad = d ? l2_abs(d) : NULL, *mx = ad ? l2_amax(ad, 0, NULL, false) : NULL;
        ok(mx && item(mx) == 0, "scan gradients at %d threads equal those at 1", t + 1);
        l2_tensor_release(mx);
        l2_tensor_release(ad);
        l2_tensor_release(d);
    }
    for (int t = 0; t < 3; t++)
        l2_tensor_release(g[t]);
    l2_tensor_release(x);
}

/* ---- searchsorted, bucketize ---- */

static void test_search(void)
{
    l2_tensor *b = vec1d(5, (const double[]){1, 3, 3, 5, NAN}, L2_FLOAT64);
    l2_tensor *v = vec1d(6, (const double[]){0, 1, 3, 4, 6, NAN}, L2_FLOAT64);
    l2_tensor *r = l2_searchsorted(b, v, false, NULL);
    /* torch's loop moves right past a NaN boundary (!(NaN >= v)): 4 and 6 land after it */
    ok(holds(r, 6, (const double[]){0, 0, 1, 5, 5, 5}) && l2_dtype_of(r) == L2_INT64,
       "searchsorted left: the first position >= v (NaN as torch)");
    l2_tensor_release(r);
    r = l2_searchsorted(b, v, true, NULL);
    ok(holds(r, 6, (const double[]){0, 1, 5, 5, 5, 5}), "searchsorted right: the first > v");
    l2_tensor_release(r);
    l2_tensor *b3 = vec1d(4, (const double[]){1, 3, 3, 5}, L2_FLOAT64);
    r = l2_searchsorted(b3, v, false, NULL);
    ok(holds(r, 6, (const double[]){0, 0, 1, 3, 4, 4}), "searchsorted left without NaN");
    l2_tensor_release(r);
    r = l2_searchsorted(b3, v, true, NULL);
    ok(holds(r, 6, (const double[]){0, 1, 3, 3, 4, 4}), "searchsorted right without NaN");
    l2_tensor_release(r);
    /* 2-d rows: each value row searches its own boundary row; int64 values promote */
    l2_tensor *b2 = l2_from_data((const double[]){0, 2, 4, 10, 20, 30}, L2_SHAPE(2, 3),
                                 L2_FLOAT64);
    l2_tensor *v2 = l2_from_data((const int64_t[]){3, 25}, L2_SHAPE(2, 1), L2_INT64);
    r = l2_searchsorted(b2, v2, false, NULL);
    ok(r && at(r, (const int64_t[]){0, 0}) == 2 && at(r, (const int64_t[]){1, 0}) == 2,
       "searchsorted of rows, int64 values");
    l2_tensor_release(r);
    /* sorter: [5, 1, 3] sorted by [1, 2, 0] */
    l2_tensor *u = vec1d(3, (const double[]){5, 1, 3}, L2_FLOAT32);
    l2_tensor *so = vec1d(3, (const double[]){1, 2, 0}, L2_INT64);
    l2_tensor *w = vec1d(3, (const double[]){2, 3, 9}, L2_FLOAT32);
    r = l2_searchsorted(u, w, true, so);
    ok(holds(r, 3, (const double[]){1, 2, 3}), "searchsorted with a sorter");
    l2_tensor_release(r);
    r = l2_bucketize(w, b, false);
    ok(holds(r, 3, (const double[]){1, 1, 5}), "bucketize");
    l2_tensor_release(r);
    l2_tensor *z = l2_scalar(3, L2_FLOAT64);
    r = l2_bucketize(z, b, true);
    ok(r && l2_ndim(r) == 0 && item(r) == 5, "bucketize of a 0-d value");
    l2_tensor_release(r);
    /* errors */
    is_err(l2_searchsorted(b2, v, false, NULL), L2_ERR_SHAPE, "first N-1 dimensions",
           "searchsorted: leading dims differ");
    is_err(l2_searchsorted(b2, z, false, NULL), L2_ERR_SHAPE, "scalar",
           "searchsorted: 0-d values with 2-d boundaries");
    is_err(l2_searchsorted(z, v, false, NULL), L2_ERR_SHAPE, "positive dimension",
           "searchsorted: 0-d boundaries");
    is_err(l2_searchsorted(u, w, false, b), L2_ERR_SHAPE, "same size", "searchsorted: sorter size");
    is_err(l2_searchsorted(u, w, false, u), L2_ERR_DTYPE, "long", "searchsorted: float sorter");
    l2_tensor *bad = vec1d(3, (const double[]){0, 3, 1}, L2_INT64);
    is_err(l2_searchsorted(u, w, false, bad), L2_ERR_INDEX, "out of range",
           "searchsorted: a sorter index out of range");
    l2_tensor *bb = vec1d(2, (const double[]){0, 1}, L2_BOOL);
    is_err(l2_bucketize(bb, bb, false), L2_ERR_DTYPE, "Bool", "bucketize of bool");
    is_err(l2_bucketize(w, b2, false), L2_ERR_SHAPE, "1 dimension", "bucketize: 2-d boundaries");
    is_err(l2_bucketize(NULL, b, false), L2_ERR_NULL, "", "bucketize: NULL");
    l2_tensor *list[] = {b, v, b2, v2, u, so, w, z, bad, bb, b3};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

int main(void)
{
    test_reductions();
    test_reduction_errors();
    test_reduction_grads();
    test_scans();
    test_scan_errors();
    test_scan_grads();
    test_scan_threads();
    test_search();
    return tap_done();
}
