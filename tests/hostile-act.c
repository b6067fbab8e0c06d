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
