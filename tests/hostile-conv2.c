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
                                      0, v - 1, 1, 1));
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
