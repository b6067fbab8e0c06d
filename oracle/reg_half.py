"""reg_half.py: bfloat16 and float16 in the op oracle (issue 16).

The entries below take the half dtypes besides their own (registry.HALF added to their dtypes):
the case's tensors are drawn as float32 values (gen.py: float16's kinds scaled to its range) and
rounded to the half dtype by torch; libl2 and torch read the same 16-bit patterns (l2lib.py).
Results are compared by compare.compare_half (exact ops bit for bit), gradients too.

HALF_TORCH_F32 marks the documented departure of l2.h: torch 1.13's CPU kernels refuse many ops
in float16 ("not implemented for 'Half'") and a few in bfloat16; libl2 computes them (in
float32, rounded once). For the ops listed there a torch refusal of that kind is not an error to
match: the reference is torch in float32 on the same inputs, rounded to the half dtype
(onecase.ref_via_f32), and the gradients likewise. An op torch refuses that is NOT listed keeps
error parity (libl2 must refuse too), so the list names exactly the departures. HALF_TORCH_BUGS:
torch 1.13 errors in a half dtype that are torch's bugs (float32 takes the same inputs): the
reference is torch in float32 too, and when float32 raises as well, error parity holds.
"""
import os

import known as K
import registry as R

# Views and element moves (the storage dtypes, before half compute)
VIEWS = [
    "l2_view", "l2_reshape", "l2_permute", "l2_transpose", "l2_t", "l2_slice", "l2_select",
    "l2_narrow", "l2_squeeze", "l2_squeeze_dim", "l2_unsqueeze", "l2_expand",
    "l2_broadcast_to", "l2_flatten", "l2_unflatten", "l2_as_strided", "l2_detach",
    "l2_contiguous", "l2_clone", "l2_to_dtype", "l2_cat", "l2_stack", "l2_copy_", "l2_fill_",
    "l2_zero_",
]
# The half route (s16-half, l2.h at L2_BFLOAT16): elementwise ops, in-place forms, activations
ELEMENTWISE = [
    "l2_add", "l2_add_alpha", "l2_sub", "l2_mul", "l2_div", "l2_pow", "l2_atan2", "l2_fmod",
    "l2_remainder", "l2_maximum", "l2_minimum", "l2_eq", "l2_ne", "l2_lt", "l2_le", "l2_gt",
    "l2_ge", "l2_add_scalar", "l2_sub_scalar", "l2_mul_scalar", "l2_div_scalar",
    "l2_pow_scalar", "l2_rsub_scalar", "l2_eq_scalar", "l2_ne_scalar", "l2_lt_scalar",
    "l2_le_scalar", "l2_gt_scalar", "l2_ge_scalar", "l2_logical_and", "l2_logical_or",
    "l2_logical_xor", "l2_logical_not", "l2_where", "l2_masked_fill", "l2_clamp", "l2_neg",
    "l2_abs", "l2_sign", "l2_exp", "l2_exp2", "l2_expm1", "l2_log", "l2_log2", "l2_log10",
    "l2_log1p", "l2_sqrt", "l2_rsqrt", "l2_square", "l2_reciprocal", "l2_sin", "l2_cos",
    "l2_tan", "l2_asin", "l2_acos", "l2_atan", "l2_sinh", "l2_cosh", "l2_tanh", "l2_sigmoid",
    "l2_relu", "l2_silu", "l2_erf", "l2_floor", "l2_ceil", "l2_round", "l2_trunc",
    "l2_leaky_relu", "l2_elu", "l2_gelu", "l2_softplus", "l2_hardtanh", "l2_relu6",
    "l2_hardsigmoid", "l2_hardswish", "l2_mish", "l2_selu", "l2_celu", "l2_logsigmoid",
    "l2_softsign", "l2_tanhshrink", "l2_prelu", "l2_glu",
    "l2_add_", "l2_sub_", "l2_mul_", "l2_div_", "l2_add_scalar_", "l2_mul_scalar_",
    "l2_clamp_", "l2_relu_",
]
REDUCTIONS = [
    "l2_sum", "l2_sum_dims", "l2_mean", "l2_mean_dims", "l2_prod", "l2_prod_dim", "l2_max",
    "l2_min", "l2_max_dim", "l2_min_dim", "l2_argmax", "l2_argmin", "l2_argmax_dim",
    "l2_argmin_dim", "l2_var", "l2_std", "l2_var_mean", "l2_std_mean", "l2_logsumexp",
    "l2_norm", "l2_cumsum", "l2_cumprod", "l2_cummax", "l2_cummin", "l2_logcumsumexp",
    "l2_amax", "l2_amin", "l2_aminmax", "l2_nansum", "l2_nanmean", "l2_count_nonzero",
    "l2_softmax", "l2_log_softmax", "l2_dropout",
]
PRODUCTS_CONV_NN = [
    "l2_matmul", "l2_mm", "l2_bmm", "l2_mv", "l2_dot", "l2_outer", "l2_addmm", "l2_baddbmm",
    "l2_addbmm", "l2_linear", "l2_conv1d", "l2_conv2d", "l2_conv3d", "l2_conv_transpose1d",
    "l2_conv_transpose2d", "l2_conv_transpose3d", "l2_max_pool2d", "l2_avg_pool2d",
    "l2_adaptive_avg_pool2d", "l2_layer_norm", "l2_cross_entropy", "l2_nll_loss",
    "l2_mse_loss", "l2_l1_loss", "l2_binary_cross_entropy",
    "l2_binary_cross_entropy_with_logits", "l2_one_hot",
]
HALF_OPS = VIEWS + ELEMENTWISE + REDUCTIONS + PRODUCTS_CONV_NN

# Forward only in the half dtypes: the in-place ops, whose half self with an operand that
# requires grad is L2_ERR_UNSUPPORTED (documented in l2.h; torch differentiates them). (The
# views', cat's, copy_'s and fill_'s half backward came with s16-half dd5e9b8.)
HALF_FORWARD_ONLY = {
    "l2_add_", "l2_sub_", "l2_mul_", "l2_div_", "l2_add_scalar_", "l2_mul_scalar_",
    "l2_clamp_", "l2_relu_",
}

# torch 1.13 CPU refuses these in float16 ("not implemented for 'Half'") or bfloat16; libl2
# computes them (l2.h): the reference is torch in float32, rounded
HALF_TORCH_F32 = {
    "l2_acos", "l2_adaptive_avg_pool2d", "l2_addbmm", "l2_addmm", "l2_aminmax", "l2_asin",
    "l2_atan", "l2_atan2", "l2_avg_pool2d", "l2_baddbmm", "l2_binary_cross_entropy",
    "l2_binary_cross_entropy_with_logits", "l2_bmm", "l2_ceil", "l2_celu", "l2_clamp",
    "l2_clamp_", "l2_conv1d", "l2_conv2d", "l2_conv3d", "l2_conv_transpose1d",
    "l2_conv_transpose2d", "l2_conv_transpose3d", "l2_cos", "l2_cosh", "l2_cross_entropy",
    "l2_cummax", "l2_cummin", "l2_cumprod", "l2_cumsum", "l2_dot", "l2_elu", "l2_erf",
    "l2_exp", "l2_expm1", "l2_floor", "l2_gelu", "l2_glu", "l2_hardsigmoid", "l2_hardswish",
    "l2_hardtanh", "l2_layer_norm", "l2_leaky_relu", "l2_linear", "l2_log", "l2_log10",
    "l2_log1p", "l2_log2", "l2_log_softmax", "l2_logcumsumexp", "l2_logsigmoid",
    "l2_logsumexp", "l2_matmul", "l2_max_pool2d", "l2_mish", "l2_mm", "l2_mse_loss", "l2_mv",
    "l2_nll_loss", "l2_prelu", "l2_prod", "l2_prod_dim", "l2_relu", "l2_relu6", "l2_relu_",
    "l2_round", "l2_rsqrt", "l2_selu", "l2_sigmoid", "l2_silu", "l2_sin", "l2_sinh",
    "l2_softmax", "l2_softplus", "l2_sqrt", "l2_tan", "l2_tanh", "l2_tanhshrink", "l2_trunc",
}
# torch 1.13's bfloat16 conv_transpose checks the channels as a forward convolution's
# (F.conv_transpose2d(x.bfloat16(), w.bfloat16()) with x (3, 1, 4, 5), w (1, 3, 2, 1): "expected
# input[3, 1, 4, 5] to have 3 channels"; float32 gives (3, 3, 5, 5))
HALF_TORCH_BUGS = {n: r"to have \d+ channels, but got" for n in (
    "l2_conv_transpose1d", "l2_conv_transpose2d", "l2_conv_transpose3d")}


# The sized cases (both sides of the thresholds: parallel grain, reduction tiles, softmax
# column block; large inputs) run for the halves in the deep profile, and in CI for these:
# an elementwise op, the tiled reductions, softmax, the products and conv2d
HALF_SIZED_CI = {"l2_exp", "l2_add", "l2_sum_dims", "l2_mean_dims", "l2_softmax",
                 "l2_log_softmax", "l2_mm", "l2_linear", "l2_conv2d"}

# torch 1.13's bfloat16 conv_transpose is wrong outright on CPU: F.conv_transpose1d(x, w,
# stride=2) with x (2, 3, 5), w (3, 3, 2) gives shape (2, 3, 2) in bfloat16, (2, 3, 10) in
# float32: the reference is always torch in float32, rounded
HALF_TORCH_ALWAYS_F32 = {"l2_conv_transpose1d", "l2_conv_transpose2d", "l2_conv_transpose3d"}


# libl2 refuses a float32 / float64 operand beside half ones in the products (l2.h: "the
# products and convolutions with a float32 operand"), where torch's baddbmm takes a float32
# self: the half cases of these ops draw every float operand (the other half too) in the
# case's half dtype
HALF_NO_FLOAT_MIX = {"l2_baddbmm"}


def _no_float_mix(gen):
    def g(d, dt):
        r = gen(d, dt)
        if dt in R.HALF:
            for sp in r["inputs"]:
                if sp is not None and sp["dtype"] in R.FLOATS_H:
                    sp["dtype"] = dt
        return r
    return g


def _extend(names):
    for n in names:
        op = R.REGISTRY[n]
        op.dtypes = tuple(op.dtypes) + tuple(h for h in R.HALF if h not in op.dtypes)


_extend(HALF_OPS)
for _n in HALF_NO_FLOAT_MIX:
    R.REGISTRY[_n].gen = _no_float_mix(R.REGISTRY[_n].gen)
# torch's departures in known.py that do not depend on the dtype (the 0/0 gradient of var of a
# 0-d input, var_mean's Welford mean of an infinity, ...) hold for the halves too
# (their CI allowance max_ci grows by half: the halves run a third of the float dtypes' cases)
for _k in K.KNOWN:
    if set(_k["ops"]) & set(HALF_OPS) and "float32" in _k["dtypes"]:
        _k["dtypes"] = tuple(_k["dtypes"]) + tuple(h for h in R.HALF if h not in _k["dtypes"])
        _k["max_ci"] += max(1, _k["max_ci"] // 2)
# ORACLE_HALF_ALL=1: every entry with float32 takes the halves and every refusal by torch is a
# departure (to find what a new libl2 takes: run.py --dtypes bfloat16,float16 --half-cases 4
# then fails the ops that refuse them with "libl2 failed ... not supported yet")
if os.environ.get("ORACLE_HALF_ALL"):
    _extend([n for n, op in R.REGISTRY.items() if "float32" in op.dtypes])
    HALF_TORCH_F32 = set(R.REGISTRY)
