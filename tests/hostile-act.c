/* hostile-act.c: hostile-input entries for the activations, distances and losses of issue 14
 * (area act; libl2/ops/activation.c ...). */
#include "hostile.h"

#include <math.h>

void h_l2_hardtanh(void)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_hardtanh(NULL, -1, 1));
    CASE("NaN bound") FAIL_T(L2_ERR_ARG, l2_hardtanh(MK(L2_FLOAT32, 3), NAN, 1));
    CASE("bool") FAIL_T(L2_ERR_DTYPE, l2_hardtanh(MK(L2_BOOL, 3), -1, 1));
    CASE("int64, bound 1e300") FAIL_T(L2_ERR_ARG, l2_hardtanh(MK(L2_INT64, 3), 0, 1e300));
    CASE("int64, bound -inf") FAIL_T(L2_ERR_ARG, l2_hardtanh(MK(L2_INT64, 3), -INFINITY, 1));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            for (int i = 0; i < h_nscalars; i++)
                CASE("%s %s [%g, 1]", l2_dtype_name(h_dtypes[d]), h_kind_name[k], h_scalars[i])
    ANY_T(l2_hardtanh(mk_kind(k, h_dtypes[d]), h_scalars[i], 1));
    CASE("lo > hi, requires grad, then backward")
    {
        l2_tensor *r = ANY_T(l2_hardtanh(mk_leaf(L2_FLOAT64), 1, -1));
        if (r)
            ANY_S(l2_backward(l2_sum(r), NULL, false));
    }
}

void h_l2_relu6(void) { sweep_unary(l2_relu6); }
void h_l2_hardsigmoid(void) { sweep_unary(l2_hardsigmoid); }
void h_l2_hardswish(void) { sweep_unary(l2_hardswish); }
void h_l2_mish(void) { sweep_unary(l2_mish); }
void h_l2_selu(void) { sweep_unary(l2_selu); }

void h_l2_celu(void)
{
    sweep_scalar(l2_celu);
    CASE("alpha 0") FAIL_T(L2_ERR_ARG, l2_celu(MK(L2_FLOAT32, 3), 0));
    CASE("alpha NaN") FAIL_T(L2_ERR_ARG, l2_celu(MK(L2_FLOAT32, 3), NAN));
    CASE("int64") FAIL_T(L2_ERR_DTYPE, l2_celu(MK(L2_INT64, 3), 1));
}

void h_l2_logsigmoid(void) { sweep_unary(l2_logsigmoid); }
void h_l2_softsign(void) { sweep_unary(l2_softsign); }
void h_l2_tanhshrink(void) { sweep_unary(l2_tanhshrink); }

void h_l2_prelu(void)
{
    CASE("NULL x") FAIL_T(L2_ERR_NULL, l2_prelu(NULL, MK(L2_FLOAT32, 1)));
    CASE("NULL weight") FAIL_T(L2_ERR_NULL, l2_prelu(MK(L2_FLOAT32, 2, 3), NULL));
    CASE("weight of 2 for 3 channels")
    FAIL_T(L2_ERR_SHAPE, l2_prelu(MK(L2_FLOAT32, 2, 3), MK(L2_FLOAT32, 2)));
    CASE("2-d weight") FAIL_T(L2_ERR_SHAPE, l2_prelu(MK(L2_FLOAT32, 2, 3), MK(L2_FLOAT32, 3, 1)));
    CASE("empty weight") FAIL_T(L2_ERR_SHAPE, l2_prelu(MK(L2_FLOAT32, 2, 3), MK(L2_FLOAT32, 0)));
    CASE("mixed dtypes") FAIL_T(L2_ERR_DTYPE, l2_prelu(MK(L2_FLOAT32, 2, 3), MK(L2_FLOAT64, 3)));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s, one weight", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(l2_prelu(mk_kind(k, h_dtypes[d]), mk_kind(K_0D, h_dtypes[d])));
    CASE("special weights") ANY_T(l2_prelu(mk_kind(K_SMALL, L2_FLOAT64),
                                           mk_kind(K_SPECIAL, L2_FLOAT64)));
    CASE("requires grad, then backward")
    {
        l2_tensor *r = ANY_T(l2_prelu(mk_leaf(L2_FLOAT64), MK(L2_FLOAT64, 3)));
        if (r)
            ANY_S(l2_backward(l2_sum(r), NULL, false));
    }
}

void h_l2_glu(void)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_glu(NULL, 0));
    CASE("0-d") FAIL_T(L2_ERR_SHAPE, l2_glu(mk_kind(K_0D, L2_FLOAT32), 0));
    CASE("odd") FAIL_T(L2_ERR_SHAPE, l2_glu(MK(L2_FLOAT32, 2, 3), 1));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i]) FAIL_T(L2_ERR_DIM, l2_glu(MK(L2_FLOAT32, 2, 4), h_bad_dims[i]));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(l2_glu(mk_kind(k, h_dtypes[d]), 0));
    CASE("requires grad, then backward")
    {
        l2_tensor *r = ANY_T(l2_glu(mk_leaf(L2_FLOAT64), 0));
        if (r)
            ANY_S(l2_backward(l2_sum(r), NULL, false));
    }
}

/* ---- distances ---- */

static void sweep_pair(l2_tensor *(*f)(const l2_tensor *, const l2_tensor *, double), double arg)
{
    CASE("NULL x1") FAIL_T(L2_ERR_NULL, f(NULL, MK(L2_FLOAT32, 3), arg));
    CASE("NULL x2") FAIL_T(L2_ERR_NULL, f(MK(L2_FLOAT32, 3), NULL, arg));
    CASE("no broadcast") FAIL_T(L2_ERR_SHAPE, f(MK(L2_FLOAT32, 2, 3), MK(L2_FLOAT32, 4), arg));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(f(mk_kind(k, h_dtypes[d]), mk_kind(K_SMALL, h_dtypes[d]), arg));
    for (int i = 0; i < h_nscalars; i++)
        CASE("arg %g", h_scalars[i])
    ANY_T(f(mk_kind(K_SPECIAL, L2_FLOAT64), mk_kind(K_SMALL, L2_FLOAT64), h_scalars[i]));
    CASE("requires grad, then backward")
    {
        l2_tensor *r = ANY_T(f(mk_leaf(L2_FLOAT64), mk_leaf(L2_FLOAT64), arg));
        if (r)
            ANY_S(l2_backward(l2_sum(r), NULL, false));
    }
}

static l2_tensor *cos_eps(const l2_tensor *a, const l2_tensor *b, double eps)
{
    return l2_cosine_similarity(a, b, -1, eps);
}

static l2_tensor *pd_p(const l2_tensor *a, const l2_tensor *b, double p)
{
    return l2_pairwise_distance(a, b, p, 1e-6, false);
}

void h_l2_cosine_similarity(void)
{
    sweep_pair(cos_eps, 1e-8);
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
    FAIL_T(L2_ERR_DIM, l2_cosine_similarity(MK(L2_FLOAT32, 2, 3), MK(L2_FLOAT32, 3),
                                            h_bad_dims[i], 1e-8));
}

void h_l2_pairwise_distance(void)
{
    sweep_pair(pd_p, 2);
    CASE("p 0") FAIL_T(L2_ERR_ARG, l2_pairwise_distance(MK(L2_FLOAT32, 3), MK(L2_FLOAT32, 3), 0,
                                                        1e-6, true));
}

static l2_tensor *normalize_p(const l2_tensor *t, double p) { return l2_normalize(t, p, 0, 1e-12); }

void h_l2_normalize(void)
{
    sweep_scalar(normalize_p);
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
    FAIL_T(L2_ERR_DIM, l2_normalize(MK(L2_FLOAT32, 2, 3), 2, h_bad_dims[i], 1e-12));
    for (int k = 0; k < K_HUGE; k++) /* K_HUGE: real work over 2^62 elements, not a hang */
        CASE("%s", h_kind_name[k]) ANY_T(l2_normalize(mk_kind(k, L2_FLOAT32), 2, -1, 1e-12));
}
