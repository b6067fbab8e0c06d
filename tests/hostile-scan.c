/* hostile-scan.c: hostile-input entries for the reductions and scans of issue 14 (area scan,
 * libl2/ops/reduce3.c, scan.c): every dtype and hostile tensor kind, bad dims, NULLs, and
 * out-arguments left NULL after a failure. */
#include "hostile.h"

#include <math.h>
#include <stddef.h>

/* NULL, bad dims, every dtype and kind (not the 2^62-element one), a backward through the
 * result: for the ops of (t, dim). any0d: a 0-d input takes any dim (cummax, cummin). */
static void sweep_dim1x(l2_tensor *(*f)(const l2_tensor *, int), bool any0d)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, f(NULL, 0));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("(2,3) dim %d", h_bad_dims[i])
    FAIL_T(L2_ERR_DIM, f(MK(L2_FLOAT32, 2, 3), h_bad_dims[i]));
    if (any0d)
        CASE("0-d dim 1") OK_T(f(mk_kind(K_0D, L2_FLOAT32), 1));
    else
        CASE("0-d dim 1") FAIL_T(L2_ERR_DIM, f(mk_kind(K_0D, L2_FLOAT32), 1));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_HUGE; k++)
            for (int dim = -1; dim <= 0; dim++)
                CASE("%s %s dim %d", l2_dtype_name(h_dtypes[d]), h_kind_name[k], dim)
    ANY_T(f(mk_kind(k, h_dtypes[d]), dim));
    CASE("rank 8 dim -8") ANY_T(f(MK(L2_FLOAT32, 1, 2, 1, 2, 1, 2, 1, 2), -8));
    CASE("requires grad, then backward")
    {
        l2_tensor *r = ANY_T(f(mk_leaf(L2_FLOAT64), 1));
        if (r && l2_requires_grad(r))
            ANY_S(l2_backward(l2_sum(r), NULL, false));
    }
}

static void sweep_dim1(l2_tensor *(*f)(const l2_tensor *, int))
{
    sweep_dim1x(f, false);
}

/* ---- amax, amin, aminmax, nansum, nanmean, count_nonzero, var_mean, std_mean ---- */

static l2_tensor *d_amax(const l2_tensor *t, int n, const int *d) { return l2_amax(t, n, d, true); }
static l2_tensor *d_amin(const l2_tensor *t, int n, const int *d)
{
    return l2_amin(t, n, d, false);
}
static l2_tensor *d_nansum(const l2_tensor *t, int n, const int *d)
{
    return l2_nansum(t, n, d, true);
}
static l2_tensor *d_nanmean(const l2_tensor *t, int n, const int *d)
{
    return l2_nanmean(t, n, d, false);
}
static l2_tensor *d_count(const l2_tensor *t, int n, const int *d)
{
    return l2_count_nonzero(t, n, d);
}

/* var_mean / std_mean: *mean must be NULL after a failure. */
static l2_tensor *d_var_mean(const l2_tensor *t, int n, const int *d)
{
    l2_tensor *m = (l2_tensor *)1;
    l2_tensor *r = l2_var_mean(t, n, d, 1, false, &m);
    if (!r && m)
        h_bad(__LINE__, "var_mean failed but left *mean non-NULL");
    return r;
}

static l2_tensor *d_std_mean(const l2_tensor *t, int n, const int *d)
{
    l2_tensor *m = (l2_tensor *)1;
    l2_tensor *r = l2_std_mean(t, n, d, 0, true, &m);
    if (!r && m)
        h_bad(__LINE__, "std_mean failed but left *mean non-NULL");
    return r;
}

static l2_tensor *i_aminmax(const l2_tensor *t, int dim)
{
    l2_tensor *mx = (l2_tensor *)1;
    l2_tensor *r = l2_aminmax(t, &dim, false, &mx);
    if (!r && mx)
        h_bad(__LINE__, "aminmax failed but left *max non-NULL");
    return r;
}

static l2_tensor *u_aminmax(const l2_tensor *t)
{
    l2_tensor *mx = NULL;
    return l2_aminmax(t, NULL, true, &mx);
}

void h_l2_amax(void)
{
    sweep_dims(d_amax);
    CASE("empty, every dim") FAIL_T(L2_ERR_ARG, l2_amax(MK(L2_FLOAT32, 0), 0, NULL, false));
}

void h_l2_amin(void)
{
    sweep_dims(d_amin);
    CASE("empty dim") FAIL_T(L2_ERR_ARG, l2_amin(MK(L2_FLOAT32, 2, 0), 1, (const int[]){1}, 0));
}

void h_l2_aminmax(void)
{
    sweep_dim1(i_aminmax);
    sweep_unary_kinds(u_aminmax, K_HUGE);
    CASE("empty") FAIL_T(L2_ERR_ARG, l2_aminmax(MK(L2_FLOAT32, 0), NULL, false, NULL));
}

void h_l2_nansum(void)
{
    sweep_dims(d_nansum);
}

void h_l2_nanmean(void)
{
    sweep_dims(d_nanmean);
    CASE("int64") FAIL_T(L2_ERR_DTYPE, l2_nanmean(MK(L2_INT64, 3), 0, NULL, false));
}

void h_l2_count_nonzero(void)
{
    sweep_dims(d_count);
}

void h_l2_var_mean(void)
{
    sweep_dims(d_var_mean);
    CASE("bool") FAIL_T(L2_ERR_DTYPE, l2_var_mean(MK(L2_BOOL, 3), 0, NULL, 1, false, NULL));
}

void h_l2_std_mean(void)
{
    sweep_dims(d_std_mean);
    CASE("NaN correction") ANY_T(l2_std_mean(MK(L2_FLOAT32, 3), 0, NULL, NAN, false, NULL));
}

/* ---- cumprod, cummax, cummin, logcumsumexp ---- */

static l2_tensor *i_cummax(const l2_tensor *t, int dim)
{
    l2_tensor *ix = (l2_tensor *)1;
    l2_tensor *r = l2_cummax(t, dim, &ix);
    if (!r && ix)
        h_bad(__LINE__, "cummax failed but left *indices non-NULL");
    return r;
}

static l2_tensor *i_cummin(const l2_tensor *t, int dim)
{
    l2_tensor *ix = (l2_tensor *)1;
    l2_tensor *r = l2_cummin(t, dim, &ix);
    if (!r && ix)
        h_bad(__LINE__, "cummin failed but left *indices non-NULL");
    return r;
}

void h_l2_cumprod(void)
{
    sweep_dim1(l2_cumprod);
    CASE("huge") FAIL_T(H_BIG, l2_cumprod(mk_kind(K_HUGE, L2_FLOAT32), 0));
}

void h_l2_cummax(void)
{
    sweep_dim1x(i_cummax, true);
    CASE("NULL indices") OK_T(l2_cummax(MK(L2_FLOAT32, 2, 3), 1, NULL));
}

void h_l2_cummin(void)
{
    sweep_dim1x(i_cummin, true);
}

void h_l2_logcumsumexp(void)
{
    sweep_dim1(l2_logcumsumexp);
    CASE("int64") FAIL_T(L2_ERR_DTYPE, l2_logcumsumexp(MK(L2_INT64, 3), 0));
    CASE("bool") FAIL_T(L2_ERR_DTYPE, l2_logcumsumexp(MK(L2_BOOL, 3), 0));
}

/* ---- searchsorted, bucketize ---- */

static l2_tensor *b_search(const l2_tensor *a, const l2_tensor *b)
{
    return l2_searchsorted(a, b, false, NULL);
}

static l2_tensor *b_bucket(const l2_tensor *a, const l2_tensor *b)
{
    return l2_bucketize(b, a, true); /* boundaries first, as searchsorted's sorted */
}

void h_l2_searchsorted(void)
{
    sweep_binary(b_search);
    CASE("NULL values") FAIL_T(L2_ERR_NULL, l2_searchsorted(MK(L2_FLOAT32, 3), NULL, 0, NULL));
    CASE("0-d sorter")
    FAIL_T(L2_ERR_SHAPE, l2_searchsorted(MK(L2_FLOAT32, 3), MK(L2_FLOAT32, 2), true,
                                         mk_kind(K_0D, L2_INT64)));
}

void h_l2_bucketize(void)
{
    sweep_binary(b_bucket);
}
