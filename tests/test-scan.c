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

static l2_tensor *vec(int64_t n, const double *v, l2_dtype dt)
{
    l2_tensor *t = l2_empty(1, &n, dt);
    for (int64_t i = 0; i < n; i++)
        l2_set(t, &i, v[i]);
    return t;
}

/* Whether the 1-D tensor t holds v (NaN matching NaN; the sign of zero compared). */
static int holds(const l2_tensor *t, int64_t n, const double *v)
{
    if (!t || l2_ndim(t) != 1 || l2_shape(t)[0] != n)
        return 0;
    for (int64_t i = 0; i < n; i++) {
        double x = at(t, &i);
        if (isnan(v[i]) ? !isnan(x) : (x != v[i] || signbit(x) != signbit(v[i])))
            return 0;
    }
    return 1;
}

static void is_err(l2_tensor *r, l2_status st, const char *want, const char *name)
{
    int good = r == NULL && l2_last_status() == st && strstr(l2_last_error(), want) != NULL;
    if (!ok(good, "%s", name))
        printf("#   status %s, message \"%s\", wanted \"%s\"\n", l2_status_name(l2_last_status()),
               l2_last_error(), want);
    l2_tensor_release(r);
}

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
    l2_tensor *nn = vec(2, (const double[]){NAN, NAN}, L2_FLOAT32);
    ok(isnan(itemr(l2_nanmean(nn, 0, NULL, false))), "nanmean of NaN only: NaN");
    ok(itemr(l2_nansum(nn, 0, NULL, false)) == 0, "nansum of NaN only: 0");
    l2_tensor *iv = vec(3, (const double[]){4, 0, -1}, L2_INT64);
    r = l2_nansum(iv, 0, NULL, false);
    ok(r && item(r) == 3 && l2_dtype_of(r) == L2_INT64, "nansum of int64");
    l2_tensor_release(r);
    l2_tensor *bv = vec(3, (const double[]){1, 0, 1}, L2_BOOL);
    mx = NULL;
    lo = l2_aminmax(bv, NULL, false, &mx);
    ok(lo && item(lo) == 0 && item(mx) == 1 && l2_dtype_of(mx) == L2_BOOL, "aminmax of bool");
    l2_tensor_release(lo);
    l2_tensor_release(mx);
    /* var_mean: [1, 2, 4]: mean 7/3, var (correction 1) 7/3. */
    l2_tensor *v3 = vec(3, (const double[]){1, 2, 4}, L2_FLOAT64), *m = NULL;
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

int main(void)
{
    test_reductions();
    test_reduction_errors();
    test_reduction_grads();
    return tap_done();
}
