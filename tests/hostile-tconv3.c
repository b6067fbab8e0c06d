/* hostile-tconv3.c: hostile-input entries for l2_conv_transpose3d (issue 15, session 15;
 * libl2/ops/conv-transpose3d.c): NULLs, every dtype and hostile tensor kind, hostile scalar
 * arguments in every position (huge strides, paddings, output paddings, dilations, groups), bad
 * ranks. */
#include "hostile.h"

#include <stddef.h>

static const int64_t h_args[] = {INT64_MIN, -1, 0, 1, 2, (int64_t)1 << 40, INT64_MAX / 2 + 1,
                                 INT64_MAX};
#define N_ARGS ((int)(sizeof h_args / sizeof h_args[0]))

#define X5 MK(L2_FLOAT32, 1, 1, 3, 3, 3)
#define W5 MK(L2_FLOAT32, 1, 1, 2, 2, 2)

void h_l2_conv_transpose3d(void)
{
    CASE("NULL x") FAIL_T(L2_ERR_NULL, l2_conv_transpose3d(NULL, W5, NULL, NULL, NULL, NULL, 1,
                                                           NULL));
    CASE("NULL w") FAIL_T(L2_ERR_NULL, l2_conv_transpose3d(X5, NULL, NULL, NULL, NULL, NULL, 1,
                                                           NULL));
    for (int i = 0; i < N_ARGS; i++) {
        int64_t v = h_args[i];
        CASE("stride, padding, output_padding, dilation, groups %lld", (long long)v)
        {
            const int64_t a[3] = {v, v, v}, one[3] = {1, 1, 1}, mix[3] = {1, v, 1};
            ANY_T(l2_conv_transpose3d(X5, W5, NULL, a, NULL, NULL, 1, NULL));
            ANY_T(l2_conv_transpose3d(X5, W5, NULL, NULL, a, NULL, 1, NULL));
            ANY_T(l2_conv_transpose3d(X5, W5, NULL, a, NULL, one, 1, NULL));
            ANY_T(l2_conv_transpose3d(X5, W5, NULL, a, NULL, a, 1, a));
            ANY_T(l2_conv_transpose3d(X5, W5, NULL, NULL, NULL, NULL, 1, a));
            ANY_T(l2_conv_transpose3d(X5, W5, NULL, mix, mix, NULL, 1, mix));
            ANY_T(l2_conv_transpose3d(MK(L2_FLOAT32, 1, 2, 3, 3, 3),
                                      MK(L2_FLOAT32, 2, 1, 2, 2, 2), NULL, NULL, NULL, NULL, v,
                                      NULL));
            ANY_T(l2_conv_transpose3d(MK(L2_FLOAT32, 1, 1, 2, 2, 2), W5, NULL, a, a, one, 1, a));
        }
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s x, w and b", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
            {
                ANY_T(l2_conv_transpose3d(mk_kind(k, h_dtypes[d]), MK(L2_FLOAT32, 1, 1, 1, 1, 1),
                                          NULL, NULL, NULL, NULL, 1, NULL));
                ANY_T(l2_conv_transpose3d(MK(L2_FLOAT32, 1, 1, 2, 2, 2), mk_kind(k, h_dtypes[d]),
                                          NULL, NULL, NULL, NULL, 1, NULL));
                ANY_T(l2_conv_transpose3d(X5, MK(L2_FLOAT32, 1, 1, 1, 1, 1),
                                          mk_kind(k, h_dtypes[d]), NULL, NULL, NULL, 1, NULL));
            }
    CASE("rank 3 and rank 6 x, rank 4 w, kernel 0, depth 0")
    {
        FAIL_T(L2_ERR_SHAPE, l2_conv_transpose3d(MK(L2_FLOAT32, 1, 3, 3), W5, NULL, NULL, NULL,
                                                 NULL, 1, NULL));
        FAIL_T(L2_ERR_SHAPE, l2_conv_transpose3d(MK(L2_FLOAT32, 1, 1, 1, 3, 3, 3), W5, NULL,
                                                 NULL, NULL, NULL, 1, NULL));
        FAIL_T(L2_ERR_SHAPE, l2_conv_transpose3d(X5, MK(L2_FLOAT32, 1, 1, 2, 2), NULL, NULL,
                                                 NULL, NULL, 1, NULL));
        FAIL_T(L2_ERR_SHAPE, l2_conv_transpose3d(X5, MK(L2_FLOAT32, 1, 1, 0, 2, 2), NULL, NULL,
                                                 NULL, NULL, 1, NULL));
        FAIL_T(L2_ERR_SHAPE, l2_conv_transpose3d(MK(L2_FLOAT32, 1, 1, 0, 3, 3), W5, NULL, NULL,
                                                 NULL, NULL, 1, NULL));
    }
}
