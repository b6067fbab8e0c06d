/* hostile-conv3.c: hostile-input entries for the conv3 family (issue 14, libl2/ops/conv3d.c,
 * pool3.c, unpool.c): NULLs, every dtype and hostile tensor kind, hostile scalar arguments in
 * every position (huge strides, paddings, dilations, groups, kernels, output sizes), bad ranks,
 * out-of-range indices. */
#include "hostile.h"

#include <stddef.h>

static const int64_t h_args[] = {INT64_MIN, -1, 0, 1, 2, (int64_t)1 << 40, INT64_MAX / 2 + 1,
                                 INT64_MAX};
#define N_ARGS ((int)(sizeof h_args / sizeof h_args[0]))

#define X5 MK(L2_FLOAT32, 1, 1, 3, 3, 3)
#define W5 MK(L2_FLOAT32, 1, 1, 2, 2, 2)

void h_l2_conv3d(void)
{
    CASE("NULL x") FAIL_T(L2_ERR_NULL, l2_conv3d(NULL, W5, NULL, NULL, NULL, NULL, 1));
    CASE("NULL w") FAIL_T(L2_ERR_NULL, l2_conv3d(X5, NULL, NULL, NULL, NULL, NULL, 1));
    for (int i = 0; i < N_ARGS; i++) {
        int64_t v = h_args[i];
        CASE("stride, padding, dilation, groups %lld", (long long)v)
        {
            const int64_t a[3] = {v, v, v}, one[3] = {1, 1, 1};
            ANY_T(l2_conv3d(X5, W5, NULL, a, NULL, NULL, 1));
            ANY_T(l2_conv3d(X5, W5, NULL, NULL, a, NULL, 1));
            ANY_T(l2_conv3d(X5, W5, NULL, NULL, NULL, a, 1));
            ANY_T(l2_conv3d(X5, W5, NULL, a, a, a, 1));
            ANY_T(l2_conv3d(X5, W5, NULL, one, a, one, 1));
            ANY_T(l2_conv3d(MK(L2_FLOAT32, 1, 2, 3, 3, 3), MK(L2_FLOAT32, 2, 1, 1, 1, 1), NULL,
                            NULL, NULL, NULL, v));
        }
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s x, w and b", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
            {
                ANY_T(l2_conv3d(mk_kind(k, h_dtypes[d]), MK(L2_FLOAT32, 1, 1, 1, 1, 1), NULL,
                                NULL, NULL, NULL, 1));
                ANY_T(l2_conv3d(MK(L2_FLOAT32, 1, 1, 2, 2, 2), mk_kind(k, h_dtypes[d]), NULL,
                                NULL, NULL, NULL, 1));
                ANY_T(l2_conv3d(X5, MK(L2_FLOAT32, 1, 1, 1, 1, 1), mk_kind(k, h_dtypes[d]),
                                NULL, NULL, NULL, 1));
            }
    CASE("rank 3 and rank 6 x, rank 4 w, kernel 0")
    {
        FAIL_T(L2_ERR_SHAPE, l2_conv3d(MK(L2_FLOAT32, 1, 3, 3), W5, NULL, NULL, NULL, NULL, 1));
        FAIL_T(L2_ERR_SHAPE, l2_conv3d(MK(L2_FLOAT32, 1, 1, 1, 3, 3, 3), W5, NULL, NULL, NULL,
                                       NULL, 1));
        FAIL_T(L2_ERR_SHAPE, l2_conv3d(X5, MK(L2_FLOAT32, 1, 1, 2, 2), NULL, NULL, NULL, NULL,
                                       1));
        FAIL_T(L2_ERR_SHAPE, l2_conv3d(X5, MK(L2_FLOAT32, 1, 1, 0, 2, 2), NULL, NULL, NULL, NULL,
                                       1));
    }
}

/* A call with an indices out-argument: it must be NULL after a failure. */
static l2_tensor *mp3(const l2_tensor *x, const int64_t *k, const int64_t *s, const int64_t *p,
                      const int64_t *d, bool ceil)
{
    l2_tensor *ix = (l2_tensor *)1;
    l2_tensor *r = l2_max_pool3d(x, k, s, p, d, ceil, &ix);
    if (!r && ix)
        h_bad(__LINE__, "max_pool3d failed but left *indices non-NULL");
    return r;
}

void h_l2_max_pool3d(void)
{
    const int64_t two[3] = {2, 2, 2}, one[3] = {1, 1, 1};
    CASE("NULL x") FAIL_T(L2_ERR_NULL, mp3(NULL, two, NULL, NULL, NULL, false));
    CASE("NULL kernel") FAIL_T(L2_ERR_NULL, mp3(X5, NULL, NULL, NULL, NULL, false));
    for (int i = 0; i < N_ARGS; i++) {
        int64_t v = h_args[i];
        CASE("kernel, stride, padding, dilation %lld", (long long)v)
        {
            const int64_t a[3] = {v, v, v}, h[3] = {v / 2, v / 2, v / 2};
            for (int c = 0; c < 2; c++) {
                ANY_T(mp3(X5, a, NULL, NULL, NULL, c));
                ANY_T(mp3(X5, two, a, NULL, NULL, c));
                ANY_T(mp3(X5, two, NULL, a, NULL, c));
                ANY_T(mp3(X5, two, NULL, NULL, a, c));
                ANY_T(mp3(X5, a, a, h, a, c));
                ANY_T(mp3(X5, a, one, h, NULL, c));
            }
        }
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
            {
                ANY_T(mp3(mk_kind(k, h_dtypes[d]), one, NULL, NULL, NULL, false));
                ANY_T(l2_max_pool3d(mk_kind(k, h_dtypes[d]), (const int64_t[]){1, 1, 2}, NULL,
                                    NULL, NULL, true, NULL));
            }
    CASE("rank 3 and rank 6")
    {
        FAIL_T(L2_ERR_SHAPE, mp3(MK(L2_FLOAT32, 1, 3, 3), two, NULL, NULL, NULL, false));
        FAIL_T(L2_ERR_SHAPE, mp3(MK(L2_FLOAT32, 1, 1, 1, 3, 3, 3), two, NULL, NULL, NULL, false));
    }
}

void h_l2_avg_pool3d(void)
{
    const int64_t two[3] = {2, 2, 2}, one[3] = {1, 1, 1};
    CASE("NULL x") FAIL_T(L2_ERR_NULL, l2_avg_pool3d(NULL, two, NULL, NULL, false, true, 0));
    CASE("NULL kernel") FAIL_T(L2_ERR_NULL, l2_avg_pool3d(X5, NULL, NULL, NULL, false, true, 0));
    for (int i = 0; i < N_ARGS; i++) {
        int64_t v = h_args[i];
        CASE("kernel, stride, padding, divisor %lld", (long long)v)
        {
            const int64_t a[3] = {v, v, v}, h[3] = {v / 2, v / 2, v / 2};
            for (int c = 0; c < 4; c++) {
                bool ceil = c & 1, inc = c & 2;
                ANY_T(l2_avg_pool3d(X5, a, NULL, NULL, ceil, inc, 0));
                ANY_T(l2_avg_pool3d(X5, two, a, NULL, ceil, inc, v));
                ANY_T(l2_avg_pool3d(X5, two, NULL, a, ceil, inc, 0));
                ANY_T(l2_avg_pool3d(X5, a, a, h, ceil, inc, v));
                ANY_T(l2_avg_pool3d(X5, a, one, h, ceil, inc, 0));
            }
        }
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(l2_avg_pool3d(mk_kind(k, h_dtypes[d]), one, NULL, NULL, true, false, 0));
    CASE("rank 3 and rank 6")
    {
        FAIL_T(L2_ERR_SHAPE, l2_avg_pool3d(MK(L2_FLOAT32, 3, 3, 3), two, NULL, NULL, false, true,
                                           0));
        FAIL_T(L2_ERR_SHAPE, l2_avg_pool3d(MK(L2_FLOAT32, 1, 1, 1, 3, 3, 3), two, NULL, NULL,
                                           false, true, 0));
    }
}

static l2_tensor *amp(const l2_tensor *x, const int64_t *out)
{
    l2_tensor *ix = (l2_tensor *)1;
    l2_tensor *r = l2_adaptive_max_pool2d(x, out, &ix);
    if (!r && ix)
        h_bad(__LINE__, "adaptive_max_pool2d failed but left *indices non-NULL");
    return r;
}

void h_l2_adaptive_max_pool2d(void)
{
    const int64_t two[2] = {2, 2};
    CASE("NULL x") FAIL_T(L2_ERR_NULL, amp(NULL, two));
    CASE("NULL output_size") FAIL_T(L2_ERR_NULL, amp(MK(L2_FLOAT32, 1, 3, 3), NULL));
    for (int i = 0; i < N_ARGS; i++) {
        int64_t v = h_args[i];
        CASE("output size %lld", (long long)v)
        {
            ANY_T(amp(MK(L2_FLOAT32, 1, 3, 3), (const int64_t[]){v, v}));
            ANY_T(amp(MK(L2_FLOAT32, 1, 3, 3), (const int64_t[]){1, v}));
            ANY_T(l2_adaptive_max_pool2d(MK(L2_FLOAT64, 2, 1, 3, 3), (const int64_t[]){v, 2},
                                         NULL));
        }
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(amp(mk_kind(k, h_dtypes[d]), two));
    CASE("rank 2 and rank 5")
    {
        FAIL_T(L2_ERR_SHAPE, amp(MK(L2_FLOAT32, 3, 3), two));
        FAIL_T(L2_ERR_SHAPE, amp(MK(L2_FLOAT32, 1, 1, 1, 3, 3), two));
    }
}

void h_l2_max_unpool2d(void)
{
    const int64_t two[2] = {2, 2};
    l2_tensor *ix = l2_zeros(L2_SHAPE(1, 1, 2, 2), L2_INT64);
    CASE("NULL x") FAIL_T(L2_ERR_NULL, l2_max_unpool2d(NULL, ix, two, NULL, NULL, NULL));
    CASE("NULL indices") FAIL_T(L2_ERR_NULL, l2_max_unpool2d(MK(L2_FLOAT32, 1, 1, 2, 2), NULL,
                                                              two, NULL, NULL, NULL));
    CASE("NULL kernel") FAIL_T(L2_ERR_NULL, l2_max_unpool2d(MK(L2_FLOAT32, 1, 1, 2, 2), ix,
                                                             NULL, NULL, NULL, NULL));
    for (int i = 0; i < N_ARGS; i++) {
        int64_t v = h_args[i];
        CASE("kernel, stride, padding, output size %lld", (long long)v)
        {
            const int64_t a[2] = {v, v};
            ANY_T(l2_max_unpool2d(MK(L2_FLOAT32, 1, 1, 2, 2), ix, a, NULL, NULL, NULL));
            ANY_T(l2_max_unpool2d(MK(L2_FLOAT32, 1, 1, 2, 2), ix, two, a, NULL, NULL));
            ANY_T(l2_max_unpool2d(MK(L2_FLOAT32, 1, 1, 2, 2), ix, two, NULL, a, NULL));
            ANY_T(l2_max_unpool2d(MK(L2_FLOAT32, 1, 1, 2, 2), ix, two, NULL, NULL, a));
            ANY_T(l2_max_unpool2d(MK(L2_FLOAT32, 1, 1, 2, 2), ix, a, a, a, a));
            l2_tensor *bad = l2_full(L2_SHAPE(1, 1, 2, 2), (double)v, L2_INT64);
            ANY_T(l2_max_unpool2d(MK(L2_FLOAT32, 1, 1, 2, 2), bad, two, NULL, NULL, NULL));
            l2_tensor_release(bad);
        }
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s x and indices", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
            {
                ANY_T(l2_max_unpool2d(mk_kind(k, h_dtypes[d]), ix, two, NULL, NULL, NULL));
                ANY_T(l2_max_unpool2d(MK(L2_FLOAT32, 1, 1, 2, 2), mk_kind(k, h_dtypes[d]), two,
                                      NULL, NULL, NULL));
            }
    CASE("rank 2 and rank 5")
    {
        FAIL_T(L2_ERR_SHAPE, l2_max_unpool2d(MK(L2_FLOAT32, 2, 2), MK(L2_INT64, 2, 2), two, NULL,
                                             NULL, NULL));
        FAIL_T(L2_ERR_SHAPE, l2_max_unpool2d(MK(L2_FLOAT32, 1, 1, 1, 2, 2),
                                             MK(L2_INT64, 1, 1, 1, 2, 2), two, NULL, NULL, NULL));
    }
    l2_tensor_release(ix);
}
