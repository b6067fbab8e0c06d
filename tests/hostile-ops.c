/* hostile-ops.c: hostile-input entries for the elementwise ops, with the generic unary, binary
 * and tensor-number sweeps that most of them share. */
#include "hostile.h"

/* Every kind of tensor in every dtype, and NULL. */
void sweep_unary(h_unary_fn f)
{
    sweep_unary_kinds(f, K_COUNT);
}

/* The same with the kinds below nkinds (K_HUGE excluded for reductions, whose work over 2^59
 * elements is real, not a hang). */
void sweep_unary_kinds(h_unary_fn f, int nkinds)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, f(NULL));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < nkinds; k++)
            CASE("%s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(f(mk_kind(k, h_dtypes[d])));
    CASE("requires grad, then backward")
    {
        l2_tensor *r = ANY_T(f(mk_leaf(L2_FLOAT64)));
        if (r && l2_requires_grad(r))
            ANY_S(l2_backward(l2_sum(r), NULL, false));
    }
}

/* NULLs, all dtype pairs, broadcasting failures, empty, 0-d against huge, specials. */
void sweep_binary(h_binary_fn f)
{
    CASE("NULL, t") FAIL_T(L2_ERR_NULL, f(NULL, MK(L2_FLOAT32, 2)));
    CASE("t, NULL") FAIL_T(L2_ERR_NULL, f(MK(L2_FLOAT32, 2), NULL));
    for (int a = 0; a < L2_DTYPE_COUNT; a++)
        for (int b = 0; b < L2_DTYPE_COUNT; b++)
            CASE("%s (2,3), %s (3)", l2_dtype_name(h_dtypes[a]), l2_dtype_name(h_dtypes[b]))
    ANY_T(f(MK(h_dtypes[a], 2, 3), MK(h_dtypes[b], 3)));
    CASE("(2,3) and (4)") FAIL_T(L2_ERR_SHAPE, f(MK(L2_FLOAT32, 2, 3), MK(L2_FLOAT32, 4)));
    CASE("(0,3) and (2,1)") FAIL_T(L2_ERR_SHAPE, f(MK(L2_FLOAT32, 0, 3), MK(L2_FLOAT32, 2, 1)));
    CASE("(0,3) and (1)") ANY_T(f(MK(L2_FLOAT32, 0, 3), MK(L2_FLOAT32, 1)));
    CASE("rank 8 and rank 8 broadcasting to 2^62")
    ANY_T(f(l2_expand(MK(L2_FLOAT32, 1), L2_SHAPE(1, 1, 1, 1, 1, 1, 1, (int64_t)1 << 62)),
            l2_expand(MK(L2_FLOAT32, 1), L2_SHAPE(1, 1, 1, 1, 1, 1, 1, 1))));
    for (int k = 0; k < K_COUNT; k++)
        CASE("float32 %s, int64 %s", h_kind_name[k], h_kind_name[k])
    ANY_T(f(mk_kind(k, L2_FLOAT32), mk_kind(k, L2_INT64)));
    CASE("0-d, huge") ANY_T(f(mk_kind(K_0D, L2_FLOAT64), mk_kind(K_HUGE, L2_FLOAT64)));
    CASE("huge (2^30,2^29), (2^30,1)")
    ANY_T(f(mk_kind(K_HUGE, L2_BOOL), l2_expand(MK(L2_BOOL, 1, 1), L2_SHAPE((int64_t)1 << 30, 1))));
    CASE("special float64, special int64")
    ANY_T(f(mk_kind(K_SPECIAL, L2_FLOAT64), mk_kind(K_SPECIAL, L2_INT64)));
    CASE("int64 special with itself")
    ANY_T(f(mk_kind(K_SPECIAL, L2_INT64), mk_kind(K_SPECIAL, L2_INT64)));
    CASE("requires grad, then backward")
    {
        l2_tensor *r = ANY_T(f(mk_leaf(L2_FLOAT32), mk_kind(K_EXPANDED, L2_FLOAT32)));
        if (r && l2_requires_grad(r))
            ANY_S(l2_backward(l2_sum(r), NULL, false));
    }
}

/* Every hostile number against every dtype, and NULL. */
void sweep_scalar(h_scalar_fn f)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, f(NULL, 1));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int i = 0; i < h_nscalars; i++)
            CASE("%s special, %g", l2_dtype_name(h_dtypes[d]), h_scalars[i])
    ANY_T(f(mk_kind(K_SPECIAL, h_dtypes[d]), h_scalars[i]));
    for (int k = 0; k < K_COUNT; k++)
        CASE("int64 %s, 2", h_kind_name[k]) ANY_T(f(mk_kind(k, L2_INT64), 2));
    CASE("requires grad, then backward")
    {
        l2_tensor *r = ANY_T(f(mk_leaf(L2_FLOAT64), 3));
        if (r && l2_requires_grad(r))
            ANY_S(l2_backward(l2_sum(r), NULL, false));
    }
}

#define UNARY(n)                                                                                   \
    void h_##n(void)                                                                               \
    {                                                                                              \
        sweep_unary(n);                                                                            \
    }
#define BINARY(n)                                                                                  \
    void h_##n(void)                                                                               \
    {                                                                                              \
        sweep_binary(n);                                                                           \
    }
#define SCALAR(n)                                                                                  \
    void h_##n(void)                                                                               \
    {                                                                                              \
        sweep_scalar(n);                                                                           \
    }

UNARY(l2_neg)
UNARY(l2_abs)
UNARY(l2_sign)
UNARY(l2_exp)
UNARY(l2_exp2)
UNARY(l2_expm1)
UNARY(l2_log)
UNARY(l2_log2)
UNARY(l2_log10)
UNARY(l2_log1p)
UNARY(l2_sqrt)
UNARY(l2_rsqrt)
UNARY(l2_square)
UNARY(l2_reciprocal)
UNARY(l2_sin)
UNARY(l2_cos)
UNARY(l2_tan)
UNARY(l2_asin)
UNARY(l2_acos)
UNARY(l2_atan)
UNARY(l2_sinh)
UNARY(l2_cosh)
UNARY(l2_tanh)
UNARY(l2_sigmoid)
UNARY(l2_relu)
UNARY(l2_silu)
UNARY(l2_erf)
UNARY(l2_floor)
UNARY(l2_ceil)
UNARY(l2_round)
UNARY(l2_trunc)
UNARY(l2_logical_not)

BINARY(l2_add)
BINARY(l2_mul)
BINARY(l2_div)
BINARY(l2_maximum)
BINARY(l2_minimum)
BINARY(l2_atan2)
BINARY(l2_eq)
BINARY(l2_ne)
BINARY(l2_lt)
BINARY(l2_le)
BINARY(l2_gt)
BINARY(l2_ge)
BINARY(l2_logical_and)
BINARY(l2_logical_or)
BINARY(l2_logical_xor)

SCALAR(l2_add_scalar)
SCALAR(l2_mul_scalar)
SCALAR(l2_div_scalar)
SCALAR(l2_eq_scalar)
SCALAR(l2_ne_scalar)
SCALAR(l2_lt_scalar)
SCALAR(l2_le_scalar)
SCALAR(l2_gt_scalar)
SCALAR(l2_ge_scalar)

void h_l2_sub(void)
{
    sweep_binary(l2_sub);
    /* torch: "Subtraction, the `-` operator, with a bool tensor is not supported". */
    CASE("float32, bool") FAIL_T(L2_ERR_DTYPE, l2_sub(MK(L2_FLOAT32, 3), MK(L2_BOOL, 3)));
    CASE("bool, int64") FAIL_T(L2_ERR_DTYPE, l2_sub(MK(L2_BOOL, 3), MK(L2_INT64, 3)));
    CASE("bool, bool") FAIL_T(L2_ERR_DTYPE, l2_sub(MK(L2_BOOL, 3), MK(L2_BOOL, 3)));
    CASE("int64 INT64_MIN - 1 wraps")
    {
        l2_tensor *r = OK_T(l2_sub(l2_full(0, NULL, -9.3e18, L2_INT64), MK(L2_INT64, 2)));
        (void)r;
    }
}

void h_l2_sub_scalar(void)
{
    sweep_scalar(l2_sub_scalar);
    CASE("bool, 2") FAIL_T(L2_ERR_DTYPE, l2_sub_scalar(MK(L2_BOOL, 3), 2));
    CASE("bool, 1.5") FAIL_T(L2_ERR_DTYPE, l2_sub_scalar(MK(L2_BOOL, 3), 1.5));
}

void h_l2_rsub_scalar(void)
{
    sweep_scalar(l2_rsub_scalar);
    CASE("bool, 2") FAIL_T(L2_ERR_DTYPE, l2_rsub_scalar(MK(L2_BOOL, 3), 2));
}

void h_l2_pow_scalar(void)
{
    sweep_scalar(l2_pow_scalar);
    CASE("pow_scalar(-inf, 0.5) is NaN")
    {
        double v = 0;
        l2_tensor *r = OK_T(l2_pow_scalar(l2_scalar(-INFINITY, L2_FLOAT64), 0.5));
        if (r && l2_item(r, &v) == L2_OK)
            EXPECT(isnan(v), "pow_scalar(-inf, 0.5) = %g, torch gives nan", v);
    }
    CASE("pow_scalar(-inf float32, 0.5) is NaN")
    {
        double v = 0;
        l2_tensor *r = OK_T(l2_pow_scalar(l2_scalar(-INFINITY, L2_FLOAT32), 0.5));
        if (r && l2_item(r, &v) == L2_OK)
            EXPECT(isnan(v), "pow_scalar(-inf, 0.5) = %g, torch gives nan", v);
    }
    CASE("int64, -1") FAIL_T(L2_ERR_ARG, l2_pow_scalar(MK(L2_INT64, 3), -1));
    CASE("int64 INT64_MIN, 2") ANY_T(l2_pow_scalar(l2_full(0, NULL, -9.3e18, L2_INT64), 2));
    CASE("int64, 1e300") ANY_T(l2_pow_scalar(MK(L2_INT64, 3), 1e300));
}

void h_l2_pow(void)
{
    sweep_binary(l2_pow);
    CASE("bool, bool") FAIL_T(L2_ERR_DTYPE, l2_pow(MK(L2_BOOL, 2), MK(L2_BOOL, 2)));
    CASE("int64 special ** int64 special")
    ANY_T(l2_pow(mk_kind(K_SPECIAL, L2_INT64), mk_kind(K_SPECIAL, L2_INT64)));
}

void h_l2_add_alpha(void)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_add_alpha(NULL, MK(L2_FLOAT32, 2), 1));
    CASE("int64, alpha 0.5")
    FAIL_T(L2_ERR_ARG, l2_add_alpha(MK(L2_INT64, 2), MK(L2_INT64, 2), 0.5));
    for (int i = 0; i < h_nscalars; i++) {
        CASE("int64, alpha %g", h_scalars[i])
        ANY_T(l2_add_alpha(MK(L2_INT64, 2), MK(L2_INT64, 2), h_scalars[i]));
        CASE("float32, alpha %g", h_scalars[i])
        ANY_T(l2_add_alpha(mk_kind(K_SPECIAL, L2_FLOAT32), MK(L2_BOOL, 3), h_scalars[i]));
    }
    CASE("bool, bool, alpha 2") ANY_T(l2_add_alpha(MK(L2_BOOL, 2), MK(L2_BOOL, 2), 2));
    CASE("shape mismatch")
    FAIL_T(L2_ERR_SHAPE, l2_add_alpha(MK(L2_FLOAT32, 2), MK(L2_FLOAT32, 3), 1));
}

static void int_zero_divisor(h_binary_fn f)
{
    CASE("int64 by a zero") FAIL_T(L2_ERR_ARG, f(MK(L2_INT64, 3), l2_zeros(L2_SHAPE(3), L2_INT64)));
    CASE("INT64_MIN by -1")
    {
        l2_tensor *a = l2_from_data((const int64_t[]){INT64_MIN}, L2_SHAPE(1), L2_INT64);
        ANY_T(f(a, l2_full(L2_SHAPE(1), -1, L2_INT64)));
    }
    CASE("bool by bool") ANY_T(f(MK(L2_BOOL, 3), l2_ones(L2_SHAPE(3), L2_BOOL)));
}

void h_l2_fmod(void)
{
    sweep_binary(l2_fmod);
    int_zero_divisor(l2_fmod);
}

void h_l2_remainder(void)
{
    sweep_binary(l2_remainder);
    int_zero_divisor(l2_remainder);
}

void h_l2_where(void)
{
    l2_tensor *(*f)(const l2_tensor *, const l2_tensor *, const l2_tensor *) = l2_where;
    CASE("NULL cond") FAIL_T(L2_ERR_NULL, f(NULL, MK(L2_FLOAT32, 2), MK(L2_FLOAT32, 2)));
    CASE("NULL a") FAIL_T(L2_ERR_NULL, f(MK(L2_BOOL, 2), NULL, MK(L2_FLOAT32, 2)));
    CASE("NULL b") FAIL_T(L2_ERR_NULL, f(MK(L2_BOOL, 2), MK(L2_FLOAT32, 2), NULL));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        CASE("cond %s", l2_dtype_name(h_dtypes[d]))
    ANY_T(f(MK(h_dtypes[d], 2), MK(L2_FLOAT32, 2), MK(L2_FLOAT32, 2)));
    CASE("cond float")
    FAIL_T(L2_ERR_DTYPE, f(MK(L2_FLOAT32, 2), MK(L2_FLOAT32, 2), MK(L2_FLOAT32, 2)));
    for (int k = 0; k < K_COUNT; k++)
        CASE("all %s", h_kind_name[k])
    ANY_T(f(mk_kind(k, L2_BOOL), mk_kind(k, L2_INT64), mk_kind(k, L2_FLOAT64)));
    CASE("shapes (2),(3),(1)")
    FAIL_T(L2_ERR_SHAPE, f(MK(L2_BOOL, 2), MK(L2_FLOAT32, 3), MK(L2_FLOAT32, 1)));
}

void h_l2_masked_fill(void)
{
    CASE("NULL t") FAIL_T(L2_ERR_NULL, l2_masked_fill(NULL, MK(L2_BOOL, 2), 1));
    CASE("NULL mask") FAIL_T(L2_ERR_NULL, l2_masked_fill(MK(L2_FLOAT32, 2), NULL, 1));
    CASE("float mask")
    FAIL_T(L2_ERR_DTYPE, l2_masked_fill(MK(L2_FLOAT32, 2), MK(L2_FLOAT32, 2), 1));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int i = 0; i < h_nscalars; i++)
            CASE("%s, %g", l2_dtype_name(h_dtypes[d]), h_scalars[i])
    ANY_T(
        l2_masked_fill(mk_kind(K_SPECIAL, h_dtypes[d]), mk_kind(K_OVERLAP, L2_BOOL), h_scalars[i]));
    CASE("mask broadcasting larger") ANY_T(l2_masked_fill(MK(L2_FLOAT32, 3), MK(L2_BOOL, 2, 3), 1));
    CASE("huge") ANY_T(l2_masked_fill(mk_kind(K_HUGE, L2_FLOAT32), MK(L2_BOOL, 1), 1));
}

void h_l2_clamp(void)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_clamp(NULL, 0, 1));
    CASE("NaN min") FAIL_T(L2_ERR_ARG, l2_clamp(MK(L2_FLOAT32, 3), NAN, 1));
    CASE("NaN max") FAIL_T(L2_ERR_ARG, l2_clamp(MK(L2_FLOAT32, 3), 0, NAN));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int i = 0; i < h_nscalars; i++)
            CASE("%s, [%g, inf]", l2_dtype_name(h_dtypes[d]), h_scalars[i])
    ANY_T(l2_clamp(mk_kind(K_SPECIAL, h_dtypes[d]), h_scalars[i], INFINITY));
    CASE("int64, [1e300, -1e300]") ANY_T(l2_clamp(MK(L2_INT64, 3), 1e300, -1e300));
    CASE("huge") ANY_T(l2_clamp(mk_kind(K_HUGE, L2_FLOAT32), 0, 1));
}

static void act_sweep(l2_tensor *(*f)(const l2_tensor *, double))
{
    sweep_scalar(f);
}

void h_l2_leaky_relu(void)
{
    act_sweep(l2_leaky_relu);
}

void h_l2_elu(void)
{
    act_sweep(l2_elu);
}

void h_l2_gelu(void)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_gelu(NULL, false));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(l2_gelu(mk_kind(k, h_dtypes[d]), k & 1));
}

void h_l2_softplus(void)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_softplus(NULL, 1, 20));
    CASE("beta 0") FAIL_T(L2_ERR_ARG, l2_softplus(MK(L2_FLOAT32, 3), 0, 20));
    for (int i = 0; i < h_nscalars; i++) {
        CASE("beta %g", h_scalars[i])
        ANY_T(l2_softplus(mk_kind(K_SPECIAL, L2_FLOAT32), h_scalars[i], 20));
        CASE("threshold %g", h_scalars[i])
        ANY_T(l2_softplus(mk_kind(K_SPECIAL, L2_FLOAT64), 1, h_scalars[i]));
    }
    CASE("int64") FAIL_T(L2_ERR_DTYPE, l2_softplus(MK(L2_INT64, 3), 1, 20));
}

/* ---- In-place ops -----------------------------------------------------------------------------
 */

typedef l2_status (*h_ip_bin)(l2_tensor *, const l2_tensor *);

static void sweep_ip_binary(h_ip_bin f)
{
    CASE("NULL self") FAIL_S(L2_ERR_NULL, f(NULL, MK(L2_FLOAT32, 3)));
    CASE("NULL other")
    {
        l2_tensor *a = MK(L2_FLOAT32, 3);
        FAIL_IP(L2_ERR_NULL, a, f(a, NULL));
    }
    CASE("expanded self")
    {
        l2_tensor *a = mk_kind(K_EXPANDED, L2_FLOAT32);
        FAIL_IP(L2_ERR_ARG, a, f(a, MK(L2_FLOAT32, 3)));
    }
    CASE("huge expanded self")
    {
        l2_tensor *a = mk_kind(K_HUGE, L2_FLOAT32);
        FAIL_S(L2_ERR_ARG, f(a, MK(L2_FLOAT32, 1)));
    }
    CASE("overlapping as_strided self")
    {
        l2_tensor *a = mk_kind(K_OVERLAP, L2_FLOAT32);
        ANY_IP(a, f(a, MK(L2_FLOAT32, 2, 3)));
    }
    CASE("self, self")
    {
        l2_tensor *a = MK(L2_FLOAT64, 2, 3);
        ANY_IP(a, f(a, a));
    }
    CASE("self, a stride-0 view of self")
    {
        l2_tensor *a = MK(L2_FLOAT64, 4);
        l2_tensor *v = l2_as_strided(a, L2_SHAPE(4), (const int64_t[]){0}, 0);
        ANY_IP(a, f(a, v));
    }
    CASE("self, its own transpose")
    {
        l2_tensor *a = MK(L2_FLOAT64, 3, 3);
        ANY_IP(a, f(a, l2_t(a)));
    }
    CASE("leaf that requires grad")
    {
        l2_tensor *a = mk_leaf(L2_FLOAT32);
        FAIL_IP(L2_ERR_AUTOGRAD, a, f(a, MK(L2_FLOAT32, 3)));
    }
    CASE("view of a leaf that requires grad")
    {
        l2_tensor *a = l2_select(mk_leaf(L2_FLOAT32), 0, 0);
        FAIL_IP(L2_ERR_AUTOGRAD, a, f(a, MK(L2_FLOAT32, 3)));
    }
    CASE("broadcast grows self")
    {
        l2_tensor *a = MK(L2_FLOAT32, 3);
        FAIL_IP(L2_ERR_SHAPE, a, f(a, MK(L2_FLOAT32, 2, 3)));
    }
    CASE("0-d self, (3) other")
    {
        l2_tensor *a = MK(L2_FLOAT32, 1);
        FAIL_IP(L2_ERR_SHAPE, a, f(l2_squeeze(a), MK(L2_FLOAT32, 3)));
    }
    CASE("int64 self, float other")
    {
        l2_tensor *a = MK(L2_INT64, 3);
        ANY_IP(a, f(a, MK(L2_FLOAT32, 3)));
    }
    CASE("bool self, int64 other")
    {
        l2_tensor *a = MK(L2_BOOL, 3);
        ANY_IP(a, f(a, MK(L2_INT64, 3)));
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int e = 0; e < L2_DTYPE_COUNT; e++)
            CASE("%s special self, %s special other", l2_dtype_name(h_dtypes[d]),
                 l2_dtype_name(h_dtypes[e]))
            {
                l2_tensor *a = mk_kind(K_SPECIAL, h_dtypes[d]);
                ANY_IP(a, f(a, mk_kind(K_SPECIAL, h_dtypes[e])));
            }
    CASE("empty self")
    {
        l2_tensor *a = mk_kind(K_EMPTY, L2_FLOAT32);
        ANY_IP(a, f(a, MK(L2_FLOAT32, 3)));
    }
    CASE("saved for backward, then backward")
    {
        l2_tensor *x = mk_leaf(L2_FLOAT32);
        l2_tensor *y = l2_mul(x, x);
        l2_tensor *z = l2_mul(y, y);
        if (ANY_S(f(y, MK(L2_FLOAT32, 3))) == L2_OK)
            FAIL_S(L2_ERR_AUTOGRAD, l2_backward(l2_sum(z), NULL, false));
    }
}

void h_l2_add_(void)
{
    sweep_ip_binary(l2_add_);
}

void h_l2_sub_(void)
{
    sweep_ip_binary(l2_sub_);
    CASE("float self, bool other")
    {
        l2_tensor *a = MK(L2_FLOAT32, 3);
        FAIL_IP(L2_ERR_DTYPE, a, l2_sub_(a, MK(L2_BOOL, 3)));
    }
}

void h_l2_mul_(void)
{
    sweep_ip_binary(l2_mul_);
}

void h_l2_div_(void)
{
    sweep_ip_binary(l2_div_);
    CASE("int64 self")
    {
        l2_tensor *a = MK(L2_INT64, 3);
        FAIL_IP(L2_ERR_DTYPE, a, l2_div_(a, MK(L2_INT64, 3)));
    }
}

typedef l2_status (*h_ip_sc)(l2_tensor *, double);

static void sweep_ip_scalar(h_ip_sc f)
{
    CASE("NULL") FAIL_S(L2_ERR_NULL, f(NULL, 1));
    CASE("expanded self")
    {
        l2_tensor *a = mk_kind(K_EXPANDED, L2_FLOAT32);
        FAIL_IP(L2_ERR_ARG, a, f(a, 1));
    }
    CASE("huge expanded self") FAIL_S(L2_ERR_ARG, f(mk_kind(K_HUGE, L2_FLOAT64), 1));
    CASE("overlapping self")
    {
        l2_tensor *a = mk_kind(K_OVERLAP, L2_FLOAT32);
        ANY_IP(a, f(a, 2));
    }
    CASE("leaf that requires grad")
    {
        l2_tensor *a = mk_leaf(L2_FLOAT64);
        FAIL_IP(L2_ERR_AUTOGRAD, a, f(a, 1));
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int i = 0; i < h_nscalars; i++)
            CASE("%s special, %g", l2_dtype_name(h_dtypes[d]), h_scalars[i])
            {
                l2_tensor *a = mk_kind(K_SPECIAL, h_dtypes[d]);
                ANY_IP(a, f(a, h_scalars[i]));
            }
    CASE("0-d and empty")
    {
        l2_tensor *a = mk_kind(K_0D, L2_INT64), *b = mk_kind(K_EMPTY, L2_BOOL);
        ANY_IP(a, f(a, 3));
        ANY_IP(b, f(b, 3));
    }
}

void h_l2_add_scalar_(void)
{
    sweep_ip_scalar(l2_add_scalar_);
    CASE("int64 self, 0.5")
    {
        l2_tensor *a = MK(L2_INT64, 3);
        FAIL_IP(L2_ERR_DTYPE, a, l2_add_scalar_(a, 0.5));
    }
}

void h_l2_mul_scalar_(void)
{
    sweep_ip_scalar(l2_mul_scalar_);
}

void h_l2_fill_(void)
{
    sweep_ip_scalar(l2_fill_);
}

static l2_status clamp_lo(l2_tensor *t, double v)
{
    return l2_clamp_(t, v, INFINITY);
}

static l2_status relu_ip(l2_tensor *t, double v)
{
    (void)v;
    return l2_relu_(t);
}

static l2_status zero_ip(l2_tensor *t, double v)
{
    (void)v;
    return l2_zero_(t);
}

void h_l2_clamp_(void)
{
    sweep_ip_scalar(clamp_lo);
    CASE("NaN bound")
    {
        l2_tensor *a = MK(L2_FLOAT32, 3);
        FAIL_IP(L2_ERR_ARG, a, l2_clamp_(a, 0, NAN));
    }
}

void h_l2_relu_(void)
{
    sweep_ip_scalar(relu_ip);
}

void h_l2_zero_(void)
{
    sweep_ip_scalar(zero_ip);
}
