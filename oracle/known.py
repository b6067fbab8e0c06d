#!/usr/bin/env python3
"""known.py: known failures of the op oracle, each a departure of torch 1.13 (not of libl2).

An entry names the ops, the dtypes, the side that fails ("forward": outputs, error parity,
integrity; "backward": gradients) and a predicate for the exact input class. A failing case
excuses itself only if all four match; the runner counts matches per entry and, in the CI
profile, fails when an entry matches more cases than its max_ci. Each entry carries a torch-only
demo of torch's behaviour:

    known.py --check     # runs every demo against this torch; exit 1 if one no longer shows it

A libl2 bug gets no entry here: it is fixed in libl2, its repro kept in oracle/corpus/.
"""
import os
import sys

import numpy as np

FLOATS = ("float32", "float64")


def _strided(s):
    """(storage, view) of a spec as l2lib.Buffer lays it out, in float64: elements that share
    storage keep the last write."""
    from gen import spec_values
    vals = np.asarray(spec_values(s), dtype=np.float64).reshape(s["shape"])
    store = np.zeros(s["storage"] + 1, dtype=np.float64)
    view = np.lib.stride_tricks.as_strided(
        store[s["offset"]:], shape=tuple(s["shape"]),
        strides=tuple(8 * st for st in s["strides"]))
    if view.size:
        view[...] = vals
    return store, view


def logical_values(s):
    """The values a spec's tensor really holds."""
    return _strided(s)[1].copy()


# ---- predicates: the exact input class of each entry -------------------------------------------

def _subnormal_divisor(case):
    """The divisor holds a value that is subnormal in the case's dtype."""
    dt = np.float32 if case["dtype"] == "float32" else np.float64
    v = np.asarray(logical_values(case["inputs"][1])).astype(dt)
    return bool(np.any((v != 0) & (np.abs(v) < np.finfo(dt).tiny)))


def _var_0d_correction1(case):
    """var of a 0-d input with correction 1 (one element, N - correction == 0): the gradient is
    0/0."""
    return case["inputs"][0]["shape"] == [] and case["args"]["correction"] == 1.0


def _std_constant_group(case):
    """std over a reduction group of at least two equal values with N - correction > 0: the
    standard deviation is exactly 0, where torch's rounding of the mean leaves a tiny non-zero
    one."""
    s = case["inputs"][0]
    x = np.asarray(logical_values(s), dtype=np.float64)
    nd = x.ndim
    dims = [d % nd for d in case["args"]["dims"] if -nd <= d < nd] if nd else []
    if len(dims) != len(case["args"]["dims"]):
        return False  # a dim out of range: an error in both
    dims = sorted(set(dims)) or list(range(nd))
    keep = [d for d in range(nd) if d not in dims]
    if x.size == 0:
        return False
    g = np.transpose(x, keep + dims).reshape(
        int(np.prod([x.shape[d] for d in keep])) if keep else 1, -1)
    n = g.shape[1]
    if n < 2 or n - case["args"]["correction"] <= 0 or g.shape[0] == 0:
        return False
    return bool(np.any(np.all(g == g[:, :1], axis=1) & np.all(np.isfinite(g), axis=1)))


def _pad_empty_negative(case):
    """pad with a negative entry of an input with a zero-size padded dim (one of the last
    len(pad) / 2): torch's backward pads the gradient with the negated pads, and its check that
    every padded size stays positive refuses the 0 it comes back to."""
    shape, pad = case["inputs"][0]["shape"], case["args"]["pad"]
    padded = shape[len(shape) - len(pad) // 2:] if len(pad) // 2 <= len(shape) else []
    return 0 in padded and any(v < 0 for v in pad)


# ---- torch-only demos: (torch still shows the behaviour, one line of what it does) -------------

def _demo_fmod():
    import torch
    a = torch.ones(16, dtype=torch.float64)
    b = torch.full((16,), 5e-324, dtype=torch.float64)
    f, r = torch.fmod(a, b), torch.remainder(a, b)
    shows = bool(torch.isnan(f).any() and torch.isnan(r).any())
    return shows, "fmod(1, 5e-324) over 16 elements: %s (C fmod: 0.0); remainder: %s" % (
        f[0].item(), r[0].item())


def _demo_var():
    import torch
    x = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    torch.var(x, dim=None, correction=1).backward(torch.tensor(0.3, dtype=torch.float64))
    y = torch.tensor([0.7], dtype=torch.float64, requires_grad=True)
    torch.var(y, dim=0, correction=1).backward(torch.tensor(0.3, dtype=torch.float64))
    shows = bool(torch.isinf(x.grad).all() and torch.isnan(y.grad).all())
    return shows, "d var/dx of a 0-d input, correction 1: %s (the same 1 element as shape (1,): " \
        "%s; 0/0)" % (x.grad.item(), y.grad[0].item())


def _nearest_maps(n_in, n_out, sf):
    """torch 1.13's two index maps of interpolate mode "nearest" along one axis with scale factor
    sf: its forward's for several planes (floor(o * s) in float32, s = 1 / sf) and its
    backward's (the same, but a copy when out == in and a halving when out == 2 in)."""
    s = np.float32(1.0 / sf)
    fwd = [min(int(np.floor(np.float32(o) * s)), n_in - 1) for o in range(n_out)]
    bwd = list(range(n_out)) if n_out == n_in else (
        [o >> 1 for o in range(n_out)] if n_out == 2 * n_in else fwd)
    return fwd, bwd


def _nearest_scale_backward(case):
    """interpolate mode "nearest" from a scale factor where torch's backward maps an axis by a
    size shortcut its forward did not use: torch's gradient is not its forward's adjoint;
    libl2's is."""
    a = case["args"]
    if a.get("mode") != 0 or not a.get("scale"):
        return False
    shape = case["inputs"][0]["shape"]
    return any(f != b for n, sf in zip(shape[2:], a["scale"])
               for f, b in [_nearest_maps(n, int(np.floor(n * sf)), sf)])


def _demo_nearest_bwd():
    import torch
    import torch.nn.functional as F
    x = torch.zeros(1, 2, 3, 1, requires_grad=True)
    y = F.interpolate(x, scale_factor=(1.3, 1.0), mode="nearest")
    with torch.no_grad():
        rows = F.interpolate(torch.arange(6.0).reshape(1, 2, 3, 1), scale_factor=(1.3, 1.0),
                             mode="nearest")[0, 0, :, 0].tolist()
    y.backward(torch.ones_like(y))
    g = x.grad[0, 0, :, 0].tolist()
    return rows == [0.0, 0.0, 1.0] and g == [1.0, 1.0, 1.0], \
        "nearest (3,) rows, scale 1.3, two planes: the forward reads rows %s, the gradient of " \
        "ones gives %s (the adjoint: [2, 1, 0])" % (rows, g)


def _demo_nearest():
    import torch
    import torch.nn.functional as F
    x = torch.arange(18.0).reshape(1, 2, 3, 3)
    cl = x.contiguous(memory_format=torch.channels_last)
    r = [F.interpolate(t, scale_factor=(1.3, 3.0), mode="nearest")[0, 0, :, 0].tolist()
         for t in (x[:, :1], x, cl)]
    return r[0] != r[1] and r[2] != r[1], "interpolate nearest (3,3) scale (1.3, 3.0), " \
        "column 0 of plane 0: computed alone %s, beside a second plane %s, channels-last %s" \
        % tuple(r)


def _interp_nonfinite(case):
    """bilinear and bicubic on the "special" values (infinities, NaN, 1e30): which zero-weight
    taps torch multiplies (0 * inf = NaN) depends on its kernel's internal paths, and its fused
    float32 sums of 1e30-sized terms leave rounding residues (libl2 sums in float64)."""
    return case["args"].get("mode") in (2, 3) and case["inputs"][0].get("values") == "special"


def _demo_bicubic():
    import torch
    import torch.nn.functional as F
    x = torch.tensor([1.0, float("inf"), 3.0, 4.0]).reshape(1, 1, 1, 4)
    y = F.interpolate(x, size=(1, 7), mode="bicubic", align_corners=True)[0, 0, 0]
    return bool(torch.isnan(y[0])), "bicubic of [1, inf, 3, 4] to 7 columns, align_corners: " \
        "output 0, at the source cell 0 exactly, is %s" % y[0].item()


def _bicubic_same_backward(case):
    """bicubic from scale factors that keep both sizes but not the step (say 1.3 on 3 rows):
    torch's forward interpolates with the scale, its backward copies the gradient (its legacy
    same-size shortcut); libl2's gradient is the forward's adjoint."""
    a = case["args"]
    if a.get("mode") != 3 or not a.get("scale"):
        return False
    hw = case["inputs"][0]["shape"][2:]
    return all(int(np.floor(n * sf)) == n for n, sf in zip(hw, a["scale"])) and \
        any(sf != 1.0 for sf in a["scale"])


def _demo_bicubic_same():
    import torch
    import torch.nn.functional as F
    x = torch.arange(9.0).reshape(1, 1, 3, 3).requires_grad_()
    y = F.interpolate(x, scale_factor=(1.3, 1.3), mode="bicubic")
    g = torch.zeros_like(y)
    g[0, 0, 0, 0] = 1
    y.backward(g)
    moved = bool((y - x).abs().max() > 0.1)
    return moved and x.grad[0, 0, 0, 0].item() == 1.0 and x.grad.abs().sum().item() == 1.0, \
        "bicubic (3,3) scale 1.3: the forward changes values (max move %.2f) but the gradient " \
        "of output 0 is %s, a copy" % ((y - x).abs().max().item(), x.grad.flatten().tolist())


def _conv_special_products(case):
    """conv2d/conv1d of the "special" values on both operands in float32: a product of two 1e30s
    overflows to inf in an unfused multiply (OpenBLAS's Prescott kernels, small products) and
    meets a -inf term (NaN), where torch's oneDNN fuses the multiply-add and keeps -inf."""
    ins = [i for i in case["inputs"] if i]
    return case["dtype"] == "float32" and len(ins) >= 2 and \
        all(i.get("values") == "special" for i in ins[:2])


def _demo_conv_special():
    import torch
    import torch.nn.functional as F
    # the oracle's case: x f32[1, 2, 1, 7] and w f32[4, 1, 1, 2] of "special" values, groups 2
    sx = {"shape": [1, 2, 1, 7], "strides": [14, 7, 7, 1], "offset": 0, "storage": 14,
          "dtype": "float32", "layout": "permuted", "values": "special", "seed": 74845286}
    sw = {"shape": [4, 1, 1, 2], "strides": [2, 2, 2, 1], "offset": 0, "storage": 8,
          "dtype": "float32", "layout": "contiguous", "values": "special", "seed": 29526560}
    x, w = (torch.from_numpy(np.ascontiguousarray(logical_values(s))) for s in (sx, sw))
    y = F.conv2d(x, w, groups=2)[0, 1, 0, 0].item()
    x64, w64 = x.double(), w.double()
    prods = (x64[0, 0, 0, :2] * w64[1, 0, 0]).tolist()
    return y == float("-inf") and any(abs(p) > 3.4e38 for p in prods), \
        "conv2d float32 (the oracle's case): output [0, 1, 0, 0] is %s in torch, its products " \
        "in float64 %s (an unfused float32 product overflows)" % (y, prods)


def _demo_std():
    import torch
    x = torch.full((7,), 0.1, dtype=torch.float32, requires_grad=True)
    s = x.std()
    s.backward()
    shows = bool(s.item() != 0 and torch.isfinite(x.grad).all() and x.grad.abs().max() > 0.1)
    return shows, "std of seven equal float32 values 0.1: %.3g (exactly 0), gradient %s" % (
        s.item(), x.grad[0].item())


def _demo_pad():
    import torch
    import torch.nn.functional as F
    x = torch.zeros(3, 0, dtype=torch.float64, requires_grad=True)
    y = F.pad(x, (1, 1, -1, 0), "constant", 0.0)  # (3, 0) -> (2, 2)
    try:
        y.backward(torch.ones(y.shape, dtype=torch.float64))
    except Exception as e:  # noqa: BLE001 - any error is the behaviour shown
        return True, "pad (1, 1, -1, 0) of a (3, 0) input: backward raises %s: %s" % (
            type(e).__name__, str(e).split("\n")[0][:100])
    return False, "pad (1, 1, -1, 0) of a (3, 0) input: backward succeeds"


def _demo_bn():
    import torch
    import torch.nn.functional as F
    torch.manual_seed(0)
    x = torch.randn(5, 2, 1, 2)
    g = torch.randn(5, 2, 1, 2)
    xs = torch.empty_strided((5, 2, 1, 2), (4, 1, 1, 2)).copy_(x)  # channels-last, H stride 1
    dx = []
    for xx in (xs, x):
        xx = xx.detach().requires_grad_()
        F.batch_norm(xx, torch.zeros(2), torch.ones(2), None, None, False).backward(g)
        dx.append(xx.grad)
    d = (dx[0] - dx[1]).abs().max().item()
    return d > 1e-3, "batch_norm backward of one (5,2,1,2) input, strides (4,1,1,2) vs " \
        "contiguous: gradients differ by up to %.3g" % d


def _demo_bn_weight():
    import torch
    import torch.nn.functional as F
    x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    w = torch.full((9,), float("nan"), dtype=torch.float64).as_strided((3,), (3,), 0)
    w.copy_(torch.tensor([0.5, 1.0, 1.5]))
    w = w.detach().requires_grad_()
    F.batch_norm(x, torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64),
                 w, None, False).backward(torch.ones(4, 3, dtype=torch.float64))
    return bool(torch.isnan(x.grad).any()), "batch_norm backward with a weight of stride 3 " \
        "(NaN gaps): input gradient %s (reads the gaps)" % x.grad[0].tolist()


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


def _demo_prod_dim():
    import math
    import torch
    x = torch.tensor([[math.inf, 0.], [2., 1.]], requires_grad=True)
    x.prod(0).sum().backward()
    return bool(x.grad[0, 0] == 2), "prod over dim 0 of [[inf, 0], [2, 1]]: d/dx[0,0] = %s " \
        "(the product of the others; dy * P / x would be NaN)" % x.grad[0, 0].item()


def _demo_norm():
    import torch
    x = torch.tensor(1e-30, requires_grad=True)
    n = torch.linalg.vector_norm(x)
    n.backward()
    return bool(n.item() == 0 and x.grad.item() == 0), "2-norm of float32 1e-30: %s, " \
        "gradient %s (the square underflows)" % (n.item(), x.grad.item())


# ---- the entries ----------------------------------------------------------------------------
# max_ci: how many cases of the CI profile (run.py --profile ci, the default budget) the entry may
# match as failures; the run fails beyond it. Counted with that run's per-entry lines.

def _aminmax_0d_keepdim(case):  # scan (issue 14)
    """aminmax of a 0-d input along dim 0 with keepdim."""
    a = case["args"]
    return case["inputs"][0]["shape"] == [] and a["dim"] is not None and a["keepdim"]


def _demo_aminmax_0d():
    import torch
    lo = torch.aminmax(torch.tensor(2.0), dim=0, keepdim=True)[0]
    return tuple(lo.shape) == (1,), "aminmax(tensor(2.), dim=0, keepdim=True): shape %s " \
        "(amin of the same: %s)" % (tuple(lo.shape), tuple(torch.amin(torch.tensor(2.0), 0,
                                                                        True).shape))


def _has_inf(case):  # scan (issue 14)
    """The input holds an infinity."""
    return bool(np.isinf(np.asarray(logical_values(case["inputs"][0]), dtype=np.float64)).any())


def _demo_var_mean_inf():
    import torch
    x = torch.tensor([float("inf"), 1.0])
    m = torch.var_mean(x)[1]
    return bool(torch.isnan(m)), "var_mean(tensor([inf, 1.])) mean %s, torch.mean %s" % (
        m.item(), torch.mean(x).item())


def _normalize_expanded_long(case):  # act (issue 14)
    """normalize along a long dim of stride 0 (one value repeated n times): torch 1.13's norm
    adds the repeated terms one after another (error about n eps), libl2 pairwise."""
    s, a = case["inputs"][0], case["args"]
    if not s["shape"]:
        return False
    d = a.get("dim", 1) % len(s["shape"])
    return s["strides"][d] == 0 and s["shape"][d] >= 4096


def _demo_normalize_expanded():
    import torch
    x = torch.tensor([-0.1], dtype=torch.float64).expand(262144)
    y = torch.nn.functional.normalize(x, 1.0, 0)[0].item()
    return y != -1 / 262144, "normalize(-0.1 repeated 262144 times by stride 0, p=1)[0] = %r, " \
        "exactly %r" % (y, -1 / 262144)


def _index_tensors_empty(case):  # adv (issue 14)
    """advanced indexing of an empty tensor (a size-0 dim outside the indexed ones): torch 1.13
    checks no index and returns the empty result; libl2 refuses an out-of-range index always."""
    return 0 in case["inputs"][0]["shape"]


def _demo_index_tensors_empty():
    import torch
    x = torch.zeros(1, 0, 3, dtype=torch.float64)
    try:
        y = x[torch.tensor([1])]
    except IndexError:
        return False, "x[[1]] of a (1, 0, 3) tensor raises"
    return True, "x[[1]] of a (1, 0, 3) tensor (index 1 on a dim of size 1) gives %s, no error" % (
        tuple(y.shape),)


def _lstsq_nonfinite(case):  # cg-lsq (issue 15)
    """linalg_lstsq with an infinity or NaN in A or B."""
    return any(bool(np.isnan(v).any() or np.isinf(v).any())
               for v in (np.asarray(logical_values(s), dtype=np.float64)
                         for s in case["inputs"][:2] if s is not None))


def _demo_lstsq_nonfinite():
    import torch
    A = torch.tensor([[-0.3572, 1.0796]])
    both = torch.linalg.lstsq(A, torch.tensor([[float("nan"), -float("inf")]])).solution[:, 1]
    alone = torch.linalg.lstsq(A, torch.tensor([[-float("inf")]])).solution[:, 0]
    same = bool(((torch.isnan(both) == torch.isnan(alone)) & ((both == alone) |
                                                            torch.isnan(both))).all())
    return not same, "lstsq column [-inf] beside a NaN column: %s, alone: %s (the true " \
        "minimum-norm solution: (+inf, -inf))" % (both.tolist(), alone.tolist())


KNOWN = [
    {"name": "lstsq-nonfinite", "ops": ("l2_linalg_lstsq",), "dtypes": FLOATS,
     "side": "forward", "match": _lstsq_nonfinite, "max_ci": 3,
     "torch_demo": _demo_lstsq_nonfinite,
     "reason": "lstsq of an inf or NaN: gelsy's orthogonal transforms turn an infinity into inf "
               "or NaN by their order of operations (torch's result for one column of B even "
               "depends on the other columns); libl2's LAPACK and torch's differ there"},
    {"name": "index-tensors-empty-unchecked",
     "ops": ("l2_index_tensors", "l2_index_put", "l2_index_put_"),
     "dtypes": ("float32", "float64", "int64", "bool"), "side": "forward",
     "match": _index_tensors_empty, "max_ci": 4, "torch_demo": _demo_index_tensors_empty,
     "reason": "torch 1.13 does not bounds-check advanced indices when the tensor is empty; "
               "libl2 does (a bad index is an error whatever the other sizes)"},
    {"name": "normalize-expanded-long", "ops": ("l2_normalize",), "dtypes": FLOATS,
     "side": "forward", "match": _normalize_expanded_long, "max_ci": 2,
     "torch_demo": _demo_normalize_expanded,
     "reason": "torch 1.13's norm over a long stride-0 dim adds the repeated value n times in "
               "sequence (error ~ n eps); libl2's result is the exact one"},
    {"name": "prod-dim-exclusive", "ops": ("l2_prod_dim",), "dtypes": FLOATS,
     "side": "backward", "match": _prod_dim_inexact, "max_ci": 3,
     "torch_demo": _demo_prod_dim,
     "reason": "prod_dim backward at inf/NaN/subnormal elements when any slice has a zero: torch "
               "takes exclusive cumprods, libl2 dy * (P / x)"},
    {"name": "norm-float32-underflow", "ops": ("l2_norm",), "dtypes": ("float32",),
     "side": "backward", "match": _norm_underflow, "max_ci": 0, "torch_demo": _demo_norm,
     "reason": "torch's float32 norm underflows (x^2 < 1e-38): zero norm, zero gradient"},
    {"name": "pad-empty-negative", "ops": ("l2_pad",), "dtypes": FLOATS, "side": "backward",
     "match": _pad_empty_negative, "max_ci": 0, "torch_demo": _demo_pad,
     "reason": "torch 1.13's pad backward raises for a zero-size input with a negative pad"},
    {"name": "fmod-subnormal-divisor", "ops": ("l2_fmod", "l2_remainder"),
     "dtypes": ("float64",), "side": "forward", "match": _subnormal_divisor, "max_ci": 5,
     "torch_demo": _demo_fmod,
     "reason": "torch's Sleef fmod gives NaN for a subnormal divisor; libl2 the exact C fmod"},
    {"name": "var-0d-correction1", "ops": ("l2_var",), "dtypes": FLOATS, "side": "backward",
     "match": _var_0d_correction1, "max_ci": 4, "torch_demo": _demo_var,
     "reason": "gradient of var of a 0-d input with correction 1 is 0/0: torch inf, libl2 NaN"},
    {"name": "var-mean-0d-correction1", "ops": ("l2_var_mean", "l2_std_mean"),
     "dtypes": FLOATS, "side": "backward", "match": _var_0d_correction1, "max_ci": 8,
     "torch_demo": _demo_var, "reason": "var_mean/std_mean (scan): as var-0d-correction1"},
    {"name": "std-mean-constant-group", "ops": ("l2_std_mean",), "dtypes": FLOATS,
     "side": "backward", "match": _std_constant_group, "max_ci": 4, "torch_demo": _demo_std,
     "reason": "std_mean (scan): as std-constant-group"},
    {"name": "var-mean-infinite", "ops": ("l2_var_mean", "l2_std_mean"), "dtypes": FLOATS,
     "side": "forward", "match": _has_inf, "max_ci": 30, "torch_demo": _demo_var_mean_inf,
     "reason": "torch 1.13's var_mean/std_mean take the mean by Welford updates: an infinity "
               "gives NaN (or inf, by its position); libl2's mean is l2_mean_dims (inf)"},
    {"name": "aminmax-0d-keepdim", "ops": ("l2_aminmax",), "dtypes": ("float32", "float64",
                                                                     "int64", "bool"),
     "side": "forward", "match": _aminmax_0d_keepdim, "max_ci": 8,
     "torch_demo": _demo_aminmax_0d,
     "reason": "torch 1.13's aminmax of a 0-d input along dim 0 with keepdim resizes its result "
               "to (1,) (with a warning); libl2 gives 0-d results, as amin and amax do"},
    {"name": "std-constant-group", "ops": ("l2_std",), "dtypes": FLOATS, "side": "backward",
     "match": _std_constant_group, "max_ci": 2, "torch_demo": _demo_std,
     "reason": "gradient of std over equal values: torch's rounding leaves std > 0 and a "
               "finite gradient, libl2's std is exactly 0"},
    {"name": "interp-nonfinite", "ops": ("l2_interpolate",), "dtypes": FLOATS,
     "side": "forward", "match": _interp_nonfinite, "max_ci": 30,
     "torch_demo": _demo_bicubic,
     "reason": "bilinear/bicubic of infinities and 1e30s: torch's kernels multiply some "
               "zero-weight taps (NaN) and skip others by internal path, and round fused "
               "float32 sums; libl2 reads every tap (but on an axis copied at step 1) and sums "
               "in float64"},
    {"name": "bicubic-same-size-backward", "ops": ("l2_interpolate",), "dtypes": FLOATS,
     "side": "backward", "match": _bicubic_same_backward, "max_ci": 30,
     "torch_demo": _demo_bicubic_same,
     "reason": "bicubic keeping both sizes by scale factors != 1: torch's forward "
               "interpolates, its backward copies; libl2's gradient is the forward's adjoint"},
    {"name": "conv-special-products", "ops": ("l2_conv2d", "l2_conv1d"), "dtypes": ("float32",),
     "side": "forward", "match": _conv_special_products, "max_ci": 3,
     "torch_demo": _demo_conv_special,
     "reason": "float32 convolution of 1e30s and infinities: an unfused 1e30 * 1e30 overflows "
               "and meets -inf (NaN) where torch's fused oneDNN kernel gives -inf"},
    {"name": "nearest-scale-backward", "ops": ("l2_interpolate",), "dtypes": FLOATS,
     "side": "backward", "match": _nearest_scale_backward, "max_ci": 40,
     "torch_demo": _demo_nearest_bwd,
     "reason": "interpolate nearest from a scale factor: torch's backward copies an axis that "
               "keeps its size (halves one that doubles) where its forward used the scale; "
               "libl2's gradient is the adjoint of the forward"},
]

def _demo_shuffle():
    import torch
    import torch.nn.functional as F
    x = torch.empty_strided((1, 2, 1, 3, 3), (324, 3, 324, 108, 18)).normal_()
    try:
        F.pixel_unshuffle(x, 1)
    except RuntimeError as e:
        return True, "pixel_unshuffle of a (1,2,1,3,3) input, strides (324,3,324,108,18): " \
            "torch raises '%s'" % e
    return False, "pixel_unshuffle of that input no longer raises"


def _demo_median_stride0():  # sort (issue 14)
    import torch
    v, i = torch.median(torch.tensor([7]).expand(5), 0)
    if int(v) != 7:
        return True, "torch.median(tensor([7]).expand(5), 0) gives %d at index %d" % (v, i)
    return False, "median along a dim of stride 0 now gives the right value"


def _demo_masked_select():
    import torch
    a = torch.tensor([[1., 2.], [3., 4.]]).t().requires_grad_()
    torch.masked_select(a, torch.tensor(True)).backward(torch.tensor([10., 20., 30., 40.]))
    return bool(a.grad[0, 1] == 30), "masked_select of a transposed (2,2) input, dy = " \
        "[10,20,30,40]: grad %s (transposed; [[10,20],[30,40]] is right)" % a.grad.tolist()


# torch bugs the reference avoids (registry.py gives torch contiguous copies there, so libl2 is
# still compared on every layout); --check runs their demos too.
WORKAROUNDS = [
    {"name": "batch-norm-size1-channels-last", "where": "registry.py l2_batch_norm",
     "torch_demo": _demo_bn},
    {"name": "batch-norm-strided-weight", "where": "registry.py l2_batch_norm",
     "torch_demo": _demo_bn_weight},
    {"name": "nearest-one-channel", "where": "reg_conv_compose.py l2_interpolate",
     "torch_demo": _demo_nearest},
    {"name": "pixel-shuffle-memory-format", "where": "reg_conv_compose.py l2_pixel_shuffle",
     "torch_demo": _demo_shuffle},
    {"name": "median-dim-stride0", "where": "reg_sort.py l2_median_dim",
     "torch_demo": _demo_median_stride0},
    {"name": "masked-select-noncontig", "where": "reg_index3.py l2_masked_select",
     "torch_demo": _demo_masked_select},  # index3
]


def known_entry(case, side):
    """The entry that excuses a failure of case on side ("forward" or "backward"), or None."""
    if os.environ.get("ORACLE_NO_KNOWN"):  # report known failures as failures
        return None
    for k in KNOWN:
        if case["op"] in k["ops"] and case["dtype"] in k["dtypes"] and k["side"] == side \
                and k["match"](case):
            return k
    return None


def known_failure(case, side=None):
    """The reason of the entry matching case (side: the case's recorded side), or None."""
    k = known_entry(case, side or case.get("_side", "forward"))
    return k["reason"] if k else None


def check():
    """Run every torch demo; print whether torch 1.13 still shows each behaviour."""
    import torch
    print("# torch %s" % torch.__version__)
    bad = 0
    for k in KNOWN + WORKAROUNDS:
        try:
            shows, what = k["torch_demo"]()
        except Exception as e:  # noqa: BLE001
            shows, what = False, "demo raised %s: %s" % (type(e).__name__, e)
        bad += not shows
        print("%s %s: %s" % ("shows" if shows else "GONE ", k["name"], what))
    n = len(KNOWN) + len(WORKAROUNDS)
    print("%d of %d entries (known failures and reference workarounds): torch still shows the "
          "behaviour" % (n - bad, n))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    if sys.argv[1:] == ["--check"]:
        sys.exit(check())
    print(__doc__)
    sys.exit(2)
