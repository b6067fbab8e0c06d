"""known.py: known failures of the op oracle. A case matching a predicate that fails is counted
as "known" (not a failure); one that passes is reported so the entry can be removed."""
import os

import numpy as np

# ---- known failures ---------------------------------------------------------------------
# Core bugs the oracle found, reported upstream. A case matching a predicate that fails is counted
# as "known" (not a failure); one that passes is reported so the entry can be removed.

def _inputs(case):
    return [s for s in case["inputs"] if s is not None]


def _subnormal_divisor(case):
    """fmod/remainder with a subnormal divisor: torch 1.13's vectorised kernel (Sleef) returns NaN
    where C's fmod (libl2) returns the exact result."""
    from gen import spec_values
    v = np.asarray(spec_values(case["inputs"][1]), dtype=np.float64)
    return bool(np.any((v != 0) & (np.abs(v) < np.finfo(np.float64).tiny)))


def _single_element_var(case):
    """var/std of one element with correction 1: the gradient is 0/0; torch returns inf, libl2
    NaN (both non-finite)."""
    s = case["inputs"][0]
    return int(np.prod(s["shape"])) == 1


def _pad_empty_negative(case):
    """pad of an input with a zero-size dim and a negative pad: torch 1.13's backward pads dy with
    the negated pads and trips its own size check (RuntimeError), so torch has no gradient."""
    return 0 in case["inputs"][0]["shape"] and any(v < 0 for v in case["args"]["pad"])


def _overlapping_input0(case):
    from l2lib import addressed
    s = case["inputs"][0]
    idx = addressed(s)
    return idx.size != np.unique(idx).size


def _std_constant(case):
    """std/var/norm of an expanded (constant along some dims) input: the gradient at a zero
    standard deviation is 0/0; torch's float rounding leaves a tiny non-zero std there."""
    s = case["inputs"][0]
    return s["layout"] == "expanded"


def _prod_dim_inexact(case):
    """prod_dim backward with a zero somewhere and an inf, NaN or subnormal element: torch 1.13
    then takes the exact product of the other elements of every slice (exclusive cumprods),
    libl2 takes dy * (P / x) in the slices without a zero (NaN at an inf, rounding at a
    subnormal). Torch:  x = torch.tensor([[math.inf, 0.], [2., 1.]], requires_grad=True);
    x.prod(0).sum().backward(); x.grad[0, 0] == 2 (libl2 NaN)."""
    from gen import spec_values
    s = case["inputs"][0]
    if s["dtype"] not in ("float32", "float64"):
        return False
    v = np.asarray(spec_values(s), dtype=s["dtype"])
    tiny = np.finfo(v.dtype).tiny
    odd = ~np.isfinite(v) | ((v != 0) & (np.abs(v) < tiny))
    return bool(np.any(v == 0) and np.any(odd))


def _norm_underflow(case):
    """2-norm (p > 1) of float32 values whose squares all underflow (|x| < 1e-19): torch sums
    the squares in float32 and gets a zero norm and a zero gradient; libl2 accumulates in
    float64 (the true gradient, sign(x) dy for one element). Torch: x = torch.tensor(1e-30,
    requires_grad=True); torch.linalg.vector_norm(x).backward(); x.grad == 0."""
    from gen import spec_values
    s = case["inputs"][0]
    if s["dtype"] != "float32" or not case["args"].get("p", 2) > 1:
        return False
    v = np.abs(np.asarray(spec_values(s), dtype=np.float32))
    if not np.all(np.isfinite(v)):
        return False
    v = v[v != 0]
    return bool(v.size and np.all(v < 1e-19))


KNOWN = [
    {"ops": ("l2_norm",), "match": _norm_underflow,
     "reason": "torch's float32 norm underflows (x^2 < 1e-38): zero norm, zero gradient"},
    {"ops": ("l2_prod_dim",), "match": _prod_dim_inexact,
     "reason": "prod_dim backward at inf/NaN/subnormal elements when any slice has a zero: torch "
               "takes exclusive cumprods, libl2 dy * (P / x)"},
    {"ops": ("l2_pad",), "match": _pad_empty_negative,
     "reason": "torch 1.13's pad backward raises for a zero-size input with a negative pad"},
    {"ops": ("l2_fmod", "l2_remainder"), "match": _subnormal_divisor,
     "reason": "torch's Sleef fmod gives NaN for a subnormal divisor; libl2 the exact C fmod"},
    {"ops": ("l2_var", "l2_std"), "match": _single_element_var,
     "reason": "gradient of var/std of one element with correction 1 is 0/0: torch inf, libl2 NaN"},
    {"ops": ("l2_std",), "match": _std_constant,
     "reason": "ill-conditioned: gradient of std at a constant input (0/0)"},
    {"ops": ("l2_as_strided",), "match": _overlapping_input0,
     "reason": "as_strided backward on an input whose elements overlap in memory: torch divides "
               "the gradient by the overlap count (as_strided_backward), libl2 does not"},
]


def known_failure(case):
    if os.environ.get("ORACLE_NO_KNOWN"):  # report known failures as failures
        return None
    for k in KNOWN:
        if case["op"] in k["ops"] and k["match"](case):
            return k["reason"]
    return None
