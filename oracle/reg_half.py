"""reg_half.py: bfloat16 and float16 in the op oracle (issue 16).

The entries below take the half dtypes besides their own (registry.HALF added to their dtypes):
the case's tensors are drawn as float32 values (gen.py: float16's kinds scaled to its range) and
rounded to the half dtype by torch; libl2 and torch read the same 16-bit patterns (l2lib.py).
Results are compared by compare.compare_half (exact ops bit for bit), gradients too.

HALF_TORCH_F32 marks the documented departure of l2.h: torch 1.13's CPU kernels refuse some ops
in float16 ("not implemented for 'Half'") or bfloat16; libl2 computes them (in float32, rounded
once). For the ops listed there a torch refusal of that kind is not an error to match: the
reference is torch in float32 on the same inputs, rounded to the half dtype (onecase.ref_via_f32),
and the gradients likewise. An op torch refuses that is NOT listed keeps error parity (libl2 must
refuse too), so the list names exactly the departures.
"""
import os

import registry as R

# Views and element moves (accept the halves since the storage dtypes landed, before compute)
VIEWS = [
    "l2_view", "l2_reshape", "l2_permute", "l2_transpose", "l2_t", "l2_slice",
    "l2_select", "l2_narrow", "l2_squeeze", "l2_squeeze_dim", "l2_unsqueeze", "l2_expand",
    "l2_broadcast_to", "l2_flatten", "l2_unflatten", "l2_as_strided", "l2_detach",
    "l2_contiguous", "l2_clone", "l2_to_dtype", "l2_cat", "l2_stack", "l2_copy_",
]

HALF_OPS = VIEWS

# torch 1.13 CPU refuses these in float16 (or bfloat16); libl2 computes them
HALF_TORCH_F32 = set()


def _extend(names):
    for n in names:
        op = R.REGISTRY[n]
        op.dtypes = tuple(op.dtypes) + tuple(h for h in R.HALF if h not in op.dtypes)


_extend(HALF_OPS)
# ORACLE_HALF_ALL=1: every entry with float32 takes the halves (to find what a new libl2 takes:
# run.py --dtypes bfloat16,float16 --half-cases 4 lists the ops that refuse them)
if os.environ.get("ORACLE_HALF_ALL"):
    _extend([n for n, op in R.REGISTRY.items() if "float32" in op.dtypes])
    HALF_TORCH_F32 = set(R.REGISTRY)
