/* hostile-conv2.c: hostile-input entries for the conv2 family (issue 14, libl2/ops/
 * conv-transpose.c): NULLs, every dtype and hostile tensor kind, hostile scalar arguments in
 * every position (huge strides, paddings, output paddings, dilations, groups), bad ranks. */
#include "hostile.h"

#include <stddef.h>

static const int64_t h_args[] = {INT64_MIN, -1, 0, 1, 2, (int64_t)1 << 40, INT64_MAX / 2 + 1,
                                 INT64_MAX};
#define N_ARGS ((int)(sizeof h_args / sizeof h_args[0]))

void h_l2_conv_transpose2d(void)
{
    CASE("NULL x") FAIL_T(L2_ERR_NULL, l2_conv_transpose2d(NULL, MK(L2_FLOAT32, 1, 1, 1, 1), NULL,
                                                           NULL, NULL, NULL, 1, NULL));
    CASE("NULL w") FAIL_T(L2_ERR_NULL, l2_conv_transpose2d(MK(L2_FLOAT32, 1, 1, 3, 3), NULL, NULL,
                                                           NULL, NULL, NULL, 1, NULL));
    for (int i = 0; i < N_ARGS; i++) {
        int64_t v = h_args[i];
        CASE("stride, padding, output_padding, dilation, groups %lld", (long long)v)
        {
            const int64_t a[2] = {v, v}, one[2] = {1, 1};
            ANY_T(l2_conv_transpose2d(MK(L2_FLOAT32, 1, 1, 3, 3), MK(L2_FLOAT32, 1, 1, 2, 2),
                                      NULL, a, NULL, NULL, 1, NULL));
            ANY_T(l2_conv_transpose2d(MK(L2_FLOAT32, 1, 1, 3, 3), MK(L2_FLOAT32, 1, 1, 2, 2),
                                      NULL, NULL, a, NULL, 1, NULL));
            ANY_T(l2_conv_transpose2d(MK(L2_FLOAT32, 1, 1, 3, 3), MK(L2_FLOAT32, 1, 1, 2, 2),
                                      NULL, a, NULL, one, 1, NULL));
            ANY_T(l2_conv_transpose2d(MK(L2_FLOAT32, 1, 1, 3, 3), MK(L2_FLOAT32, 1, 1, 2, 2),
                                      NULL, a, NULL, a, 1, a));
            ANY_T(l2_conv_transpose2d(MK(L2_FLOAT32, 1, 1, 3, 3), MK(L2_FLOAT32, 1, 1, 2, 2),
                                      NULL, NULL, NULL, NULL, 1, a));
            ANY_T(l2_conv_transpose2d(MK(L2_FLOAT32, 1, 2, 3, 3), MK(L2_FLOAT32, 2, 1, 2, 2),
                                      NULL, NULL, NULL, NULL, v, NULL));
            ANY_T(l2_conv_transpose2d(MK(L2_FLOAT32, 1, 1, 2, 2), MK(L2_FLOAT32, 1, 1, 2, 2),
                                      NULL, a, a, one, 1, a));
        }
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s x and w", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
            {
                ANY_T(l2_conv_transpose2d(mk_kind(k, h_dtypes[d]), MK(L2_FLOAT32, 2, 1, 1, 1),
                                          NULL, NULL, NULL, NULL, 1, NULL));
                ANY_T(l2_conv_transpose2d(MK(L2_FLOAT32, 1, 2, 3, 3), mk_kind(k, h_dtypes[d]),
                                          NULL, NULL, NULL, NULL, 1, NULL));
                ANY_T(l2_conv_transpose2d(MK(L2_FLOAT32, 1, 2, 3, 3), MK(L2_FLOAT32, 2, 3, 1, 1),
                                          mk_kind(k, h_dtypes[d]), NULL, NULL, NULL, 1, NULL));
            }
    CASE("rank 2 and rank 5 x, rank 3 w")
    {
        FAIL_T(L2_ERR_SHAPE, l2_conv_transpose2d(MK(L2_FLOAT32, 3, 3), MK(L2_FLOAT32, 1, 1, 1, 1),
                                                 NULL, NULL, NULL, NULL, 1, NULL));
        FAIL_T(L2_ERR_SHAPE, l2_conv_transpose2d(MK(L2_FLOAT32, 1, 1, 1, 3, 3),
                                                 MK(L2_FLOAT32, 1, 1, 1, 1), NULL, NULL, NULL,
                                                 NULL, 1, NULL));
        FAIL_T(L2_ERR_SHAPE, l2_conv_transpose2d(MK(L2_FLOAT32, 1, 1, 3, 3),
                                                 MK(L2_FLOAT32, 1, 1, 1), NULL, NULL, NULL, NULL,
                                                 1, NULL));
    }
}

void h_l2_conv_transpose1d(void)
{
    CASE("NULL x") FAIL_T(L2_ERR_NULL, l2_conv_transpose1d(NULL, MK(L2_FLOAT32, 1, 1, 1), NULL,
                                                           1, 0, 0, 1, 1));
    CASE("NULL w") FAIL_T(L2_ERR_NULL, l2_conv_transpose1d(MK(L2_FLOAT32, 1, 1, 3), NULL, NULL,
                                                           1, 0, 0, 1, 1));
    for (int i = 0; i < N_ARGS; i++) {
        int64_t v = h_args[i];
        CASE("stride, padding, output_padding, groups, dilation %lld", (long long)v)
        {
            ANY_T(l2_conv_transpose1d(MK(L2_FLOAT32, 1, 1, 3), MK(L2_FLOAT32, 1, 1, 2), NULL, v,
                                      0, 0, 1, 1));
            ANY_T(l2_conv_transpose1d(MK(L2_FLOAT32, 1, 1, 3), MK(L2_FLOAT32, 1, 1, 2), NULL, 1,
                                      v, 0, 1, 1));
            ANY_T(l2_conv_transpose1d(MK(L2_FLOAT32, 1, 1, 3), MK(L2_FLOAT32, 1, 1, 2), NULL, v,
                                      0, v == INT64_MIN ? v : v - 1, 1, 1));
            ANY_T(l2_conv_transpose1d(MK(L2_FLOAT32, 1, 2, 3), MK(L2_FLOAT32, 2, 1, 2), NULL, 1,
                                      0, 0, v, 1));
            ANY_T(l2_conv_transpose1d(MK(L2_FLOAT32, 1, 1, 3), MK(L2_FLOAT32, 1, 1, 2), NULL, 1,
                                      0, 0, 1, v));
        }
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s x", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(l2_conv_transpose1d(mk_kind(k, h_dtypes[d]), MK(L2_FLOAT32, 3, 1, 1), NULL, 1, 0, 0, 1,
                              1));
    CASE("rank 1 and rank 4 x, rank 4 w")
    {
        FAIL_T(L2_ERR_SHAPE, l2_conv_transpose1d(MK(L2_FLOAT32, 3), MK(L2_FLOAT32, 1, 1, 1), NULL,
                                                 1, 0, 0, 1, 1));
        FAIL_T(L2_ERR_SHAPE, l2_conv_transpose1d(MK(L2_FLOAT32, 1, 1, 1, 3),
                                                 MK(L2_FLOAT32, 1, 1, 1), NULL, 1, 0, 0, 1, 1));
        FAIL_T(L2_ERR_SHAPE, l2_conv_transpose1d(MK(L2_FLOAT32, 1, 1, 3),
                                                 MK(L2_FLOAT32, 1, 1, 1, 1), NULL, 1, 0, 0, 1, 1));
    }
}

/* A call with an indices out-argument: it must be NULL after a failure. */
static l2_tensor *mp_ex(const l2_tensor *x, const int64_t *k, const int64_t *s, const int64_t *p,
                        const int64_t *d, bool ceil)
{
    l2_tensor *ix = (l2_tensor *)1;
    l2_tensor *r = l2_max_pool2d_ex(x, k, s, p, d, ceil, &ix);
    if (!r && ix)
        h_bad(__LINE__, "max_pool2d_ex failed but left *indices non-NULL");
    return r;
}

void h_l2_max_pool2d_ex(void)
{
    const int64_t two[2] = {2, 2};
    CASE("NULL x") FAIL_T(L2_ERR_NULL, mp_ex(NULL, two, NULL, NULL, NULL, false));
    CASE("NULL kernel") FAIL_T(L2_ERR_NULL, mp_ex(MK(L2_FLOAT32, 1, 1, 3, 3), NULL, NULL, NULL,
                                                   NULL, false));
    for (int i = 0; i < N_ARGS; i++) {
        int64_t v = h_args[i];
        CASE("kernel, stride, padding, dilation %lld", (long long)v)
        {
            const int64_t a[2] = {v, v}, h[2] = {v / 2, v / 2};
            for (int c = 0; c < 2; c++) {
                ANY_T(mp_ex(MK(L2_FLOAT32, 1, 1, 3, 3), a, NULL, NULL, NULL, c));
                ANY_T(mp_ex(MK(L2_FLOAT32, 1, 1, 3, 3), two, a, NULL, NULL, c));
                ANY_T(mp_ex(MK(L2_FLOAT32, 1, 1, 3, 3), two, NULL, a, NULL, c));
                ANY_T(mp_ex(MK(L2_FLOAT32, 1, 1, 3, 3), two, NULL, NULL, a, c));
                ANY_T(mp_ex(MK(L2_FLOAT32, 1, 1, 3, 3), a, a, h, a, c));
                ANY_T(mp_ex(MK(L2_FLOAT32, 1, 1, 3, 3), a, (const int64_t[]){1, 1}, h, NULL, c));
            }
        }
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
            {
                ANY_T(mp_ex(mk_kind(k, h_dtypes[d]), (const int64_t[]){1, 1}, NULL, NULL, NULL,
                            false));
                ANY_T(l2_max_pool2d_ex(mk_kind(k, h_dtypes[d]), (const int64_t[]){1, 2}, NULL,
                                       NULL, NULL, true, NULL));
            }
    CASE("rank 2 and rank 5")
    {
        FAIL_T(L2_ERR_SHAPE, mp_ex(MK(L2_FLOAT32, 3, 3), two, NULL, NULL, NULL, false));
        FAIL_T(L2_ERR_SHAPE, mp_ex(MK(L2_FLOAT32, 1, 1, 1, 3, 3), two, NULL, NULL, NULL, false));
    }
}

void h_l2_avg_pool2d_ex(void)
{
    const int64_t two[2] = {2, 2};
    CASE("NULL x") FAIL_T(L2_ERR_NULL, l2_avg_pool2d_ex(NULL, two, NULL, NULL, false, true, 0));
    CASE("NULL kernel") FAIL_T(L2_ERR_NULL, l2_avg_pool2d_ex(MK(L2_FLOAT32, 1, 1, 3, 3), NULL,
                                                              NULL, NULL, false, true, 0));
    for (int i = 0; i < N_ARGS; i++) {
        int64_t v = h_args[i];
        CASE("kernel, stride, padding, divisor %lld", (long long)v)
        {
            const int64_t a[2] = {v, v}, h[2] = {v / 2, v / 2};
            for (int c = 0; c < 4; c++) {
                bool ceil = c & 1, inc = c & 2;
                ANY_T(l2_avg_pool2d_ex(MK(L2_FLOAT32, 1, 1, 3, 3), a, NULL, NULL, ceil, inc, 0));
                ANY_T(l2_avg_pool2d_ex(MK(L2_FLOAT32, 1, 1, 3, 3), two, a, NULL, ceil, inc, v));
                ANY_T(l2_avg_pool2d_ex(MK(L2_FLOAT32, 1, 1, 3, 3), two, NULL, a, ceil, inc, 0));
                ANY_T(l2_avg_pool2d_ex(MK(L2_FLOAT32, 1, 1, 3, 3), a, a, h, ceil, inc, v));
                ANY_T(l2_avg_pool2d_ex(MK(L2_FLOAT32, 1, 1, 3, 3), a, (const int64_t[]){1, 1}, h,
                                       ceil, inc, 0));
            }
        }
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(l2_avg_pool2d_ex(mk_kind(k, h_dtypes[d]), (const int64_t[]){1, 2}, NULL, NULL, true,
                           false, 0));
    CASE("rank 2 and rank 5")
    {
        FAIL_T(L2_ERR_SHAPE, l2_avg_pool2d_ex(MK(L2_FLOAT32, 3, 3), two, NULL, NULL, false, true,
                                              0));
        FAIL_T(L2_ERR_SHAPE, l2_avg_pool2d_ex(MK(L2_FLOAT32, 1, 1, 1, 3, 3), two, NULL, NULL,
                                              false, true, 0));
    }
}
