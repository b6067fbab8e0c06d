/* hostile-sample.c: the hostile-input entries of the sampling ops and norms of issue 14
 * (libl2/ops/sample.c, nn-norm2.c): NULLs, every dtype and kind of tensor, bad probabilities,
 * weights, sample counts and stds, huge sizes. */
#include "hostile.h"

static const double h_bad_p[] = {-0.1, 1.1, NAN, INFINITY, -INFINITY, -0.0 - 1e-300};

void h_l2_bernoulli(void)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_bernoulli(NULL));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(l2_bernoulli(mk_kind(k, h_dtypes[d])));
    CASE("p of 0 and 1") OK_T(l2_bernoulli(l2_eye(3, 4, L2_FLOAT64)));
    CASE("p above 1") FAIL_T(L2_ERR_ARG, l2_bernoulli(MK(L2_FLOAT32, 2, 3)));
    CASE("special p") FAIL_T(L2_ERR_ARG, l2_bernoulli(mk_kind(K_SPECIAL, L2_FLOAT64)));
    CASE("int64 p") FAIL_T(L2_ERR_DTYPE, l2_bernoulli(MK(L2_INT64, 2)));
}

void h_l2_bernoulli_p(void)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_bernoulli_p(NULL, 0.5));
    for (int i = 0; i < 6; i++)
        CASE("p %g", h_bad_p[i]) FAIL_T(L2_ERR_ARG, l2_bernoulli_p(MK(L2_FLOAT32, 3), h_bad_p[i]));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s, p 0.5", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(l2_bernoulli_p(mk_kind(k, h_dtypes[d]), 0.5));
}

void h_l2_multinomial(void)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_multinomial(NULL, 1, true));
    static const int64_t ns[] = {0, -1, INT64_MIN, 4};
    for (int i = 0; i < 4; i++)
        CASE("%lld samples without replacement", (long long)ns[i])
    FAIL_T(L2_ERR_ARG, l2_multinomial(MK(L2_FLOAT32, 3), ns[i], false));
    CASE("INT64_MAX samples") FAIL_T(H_BIG, l2_multinomial(MK(L2_FLOAT32, 2, 3), INT64_MAX, true));
    CASE("2^40 samples") FAIL_T(H_BIG, l2_multinomial(MK(L2_FLOAT64, 3), (int64_t)1 << 40, true));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            for (int r = 0; r < 2; r++)
                CASE("%s %s, replacement %d", l2_dtype_name(h_dtypes[d]), h_kind_name[k], r)
    ANY_T(l2_multinomial(mk_kind(k, h_dtypes[d]), 2, r));
    CASE("0-d") FAIL_T(L2_ERR_SHAPE, l2_multinomial(l2_scalar(1, L2_FLOAT32), 1, true));
    CASE("3-d") FAIL_T(L2_ERR_SHAPE, l2_multinomial(MK(L2_FLOAT32, 1, 1, 2), 1, true));
    CASE("first weight 0") OK_T(l2_multinomial(MK(L2_FLOAT32, 2, 3), 3, false));
    CASE("a row of zeros") FAIL_T(L2_ERR_ARG, l2_multinomial(MK(L2_FLOAT32, 3, 1), 1, true));
    CASE("no categories") FAIL_T(L2_ERR_ARG, l2_multinomial(MK(L2_FLOAT32, 2, 0), 1, true));
    CASE("no rows") OK_T(l2_multinomial(MK(L2_FLOAT32, 0, 3), 2, false));
}

void h_l2_normal_tensor_tensor(void)
{
    CASE("NULL mean") FAIL_T(L2_ERR_NULL, l2_normal_tensor_tensor(NULL, MK(L2_FLOAT32, 2)));
    CASE("NULL std") FAIL_T(L2_ERR_NULL, l2_normal_tensor_tensor(MK(L2_FLOAT32, 2), NULL));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++) {
            CASE("mean %s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
            ANY_T(l2_normal_tensor_tensor(mk_kind(k, h_dtypes[d]), MK(L2_FLOAT32, 3)));
            CASE("std %s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
            ANY_T(l2_normal_tensor_tensor(MK(L2_FLOAT64, 2, 1), mk_kind(k, h_dtypes[d])));
        }
    CASE("no broadcast")
    FAIL_T(L2_ERR_SHAPE, l2_normal_tensor_tensor(MK(L2_FLOAT32, 3), MK(L2_FLOAT32, 4)));
    CASE("special std")
    FAIL_T(L2_ERR_ARG, l2_normal_tensor_tensor(MK(L2_FLOAT32, 3), mk_kind(K_SPECIAL, L2_FLOAT32)));
}

void h_l2_normal_tensor_float(void)
{
    CASE("NULL mean") FAIL_T(L2_ERR_NULL, l2_normal_tensor_float(NULL, 1));
    for (int i = 0; i < h_nscalars; i++)
        CASE("std %g", h_scalars[i]) ANY_T(l2_normal_tensor_float(MK(L2_FLOAT32, 3), h_scalars[i]));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("mean %s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(l2_normal_tensor_float(mk_kind(k, h_dtypes[d]), 2));
    CASE("std -1") FAIL_T(L2_ERR_ARG, l2_normal_tensor_float(MK(L2_FLOAT32, 3), -1));
    CASE("std NaN") FAIL_T(L2_ERR_ARG, l2_normal_tensor_float(MK(L2_FLOAT32, 3), NAN));
}

void h_l2_normal_float_tensor(void)
{
    CASE("NULL std") FAIL_T(L2_ERR_NULL, l2_normal_float_tensor(0, NULL));
    for (int i = 0; i < h_nscalars; i++)
        CASE("mean %g", h_scalars[i])
    ANY_T(l2_normal_float_tensor(h_scalars[i], MK(L2_FLOAT64, 3)));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("std %s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(l2_normal_float_tensor(1, mk_kind(k, h_dtypes[d])));
    CASE("special std")
    FAIL_T(L2_ERR_ARG, l2_normal_float_tensor(0, mk_kind(K_SPECIAL, L2_FLOAT64)));
}
