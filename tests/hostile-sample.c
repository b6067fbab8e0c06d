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

void h_l2_group_norm(void)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_group_norm(NULL, 1, NULL, NULL, 1e-5));
    static const int64_t gs[] = {0, -1, -3, 4, INT64_MAX, INT64_MIN};
    static const int want[] = {L2_ERR_ARG, L2_ERR_ARG, L2_ERR_ARG, L2_ERR_SHAPE, L2_ERR_SHAPE,
                               L2_ERR_SHAPE};
    for (int i = 0; i < 6; i++)
        CASE("num_groups %lld", (long long)gs[i])
    FAIL_T(want[i], l2_group_norm(MK(L2_FLOAT32, 2, 6, 3), gs[i], NULL, NULL, 1e-5));
    for (int i = 0; i < h_nscalars; i++)
        CASE("eps %g", h_scalars[i])
    ANY_T(l2_group_norm(mk_kind(K_SPECIAL, L2_FLOAT64), 3, NULL, NULL, h_scalars[i]));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(l2_group_norm(mk_kind(k, h_dtypes[d]), 1, NULL, NULL, 1e-5));
    CASE("weight of the wrong shape")
    FAIL_T(L2_ERR_SHAPE, l2_group_norm(MK(L2_FLOAT32, 2, 3), 3, MK(L2_FLOAT32, 2), NULL, 1e-5));
    CASE("bias of another dtype")
    FAIL_T(L2_ERR_DTYPE, l2_group_norm(MK(L2_FLOAT32, 2, 3), 3, NULL, MK(L2_FLOAT64, 3), 1e-5));
    CASE("0-d") FAIL_T(L2_ERR_DIM, l2_group_norm(l2_scalar(1, L2_FLOAT32), 1, NULL, NULL, 1e-5));
}

void h_l2_instance_norm(void)
{
    CASE("NULL")
    FAIL_T(L2_ERR_NULL, l2_instance_norm(NULL, NULL, NULL, NULL, NULL, true, 0.1, 1e-5));
    CASE("eval without running stats")
    FAIL_T(L2_ERR_NULL,
           l2_instance_norm(MK(L2_FLOAT32, 2, 3, 2), NULL, NULL, NULL, NULL, false, 0.1, 1e-5));
    CASE("one spatial element")
    FAIL_T(L2_ERR_SHAPE,
           l2_instance_norm(MK(L2_FLOAT32, 2, 3, 1), NULL, NULL, NULL, NULL, true, 0.1, 1e-5));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            for (int u = 0; u < 2; u++)
                CASE("%s %s, use_input_stats %d", l2_dtype_name(h_dtypes[d]), h_kind_name[k], u)
    {
        l2_tensor *rm = l2_zeros(L2_SHAPE(3), L2_FLOAT32), *rv = l2_ones(L2_SHAPE(3), L2_FLOAT32);
        l2_tensor *s = h_snap(rv);
        if (!ANY_T(l2_instance_norm(mk_kind(k, h_dtypes[d]), rm, rv, NULL, NULL, u, 0.1, 1e-5)))
            h_same(s, rv, __LINE__);
    }
    CASE("running_mean of the wrong shape")
    {
        l2_tensor *rm = MK(L2_FLOAT32, 4), *rv = l2_ones(L2_SHAPE(3), L2_FLOAT32);
        l2_tensor *s = h_snap(rv);
        FAIL_T(L2_ERR_SHAPE,
               l2_instance_norm(MK(L2_FLOAT32, 2, 3, 2), rm, rv, NULL, NULL, true, 0.1, 1e-5));
        h_same(s, rv, __LINE__);
    }
    for (int i = 0; i < h_nscalars; i++)
        CASE("momentum and eps %g", h_scalars[i])
    {
        l2_tensor *rm = l2_zeros(L2_SHAPE(3), L2_FLOAT64), *rv = l2_ones(L2_SHAPE(3), L2_FLOAT64);
        ANY_T(l2_instance_norm(mk_kind(K_SPECIAL, L2_FLOAT64), rm, rv, NULL, NULL, true,
                               h_scalars[i], h_scalars[i]));
    }
}

void h_l2_local_response_norm(void)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_local_response_norm(NULL, 2, 1e-4, 0.75, 1));
    static const int64_t sz[] = {0, -1, INT64_MIN};
    for (int i = 0; i < 3; i++)
        CASE("size %lld", (long long)sz[i])
    FAIL_T(L2_ERR_ARG, l2_local_response_norm(MK(L2_FLOAT32, 1, 2, 3), sz[i], 1e-4, 0.75, 1));
    CASE("size INT64_MAX") ANY_T(l2_local_response_norm(MK(L2_FLOAT32, 1, 2, 3), INT64_MAX, 1e-4,
                                                        0.75, 1));
    CASE("size 2^40") ANY_T(l2_local_response_norm(MK(L2_FLOAT32, 1, 2, 3), (int64_t)1 << 40,
                                                   1e-4, 0.75, 1));
    for (int i = 0; i < h_nscalars; i++)
        CASE("alpha, beta, k %g", h_scalars[i])
    ANY_T(l2_local_response_norm(mk_kind(K_SPECIAL, L2_FLOAT64), 2, h_scalars[i], h_scalars[i],
                                 h_scalars[i]));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(l2_local_response_norm(mk_kind(k, h_dtypes[d]), 3, 1e-4, 0.75, 1));
    CASE("3-d of 2^62 elements")
    ANY_T(l2_local_response_norm(l2_expand(l2_scalar(1, L2_FLOAT32), L2_SHAPE(1 << 20, 1 << 21,
                                                                              1 << 21)),
                                 2, 1e-4, 0.75, 1));
}
