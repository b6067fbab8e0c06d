"""compare.py: how the oracle compares libl2's results with torch's: tolerance classes, error
statistics, mismatch reports, the float64 reference for accumulating ops, argmax-style index
comparison and the dropout check. See oracle/README.md, "What a case checks"."""
import math
import warnings

import numpy as np
import torch

FLOATS = ("float32", "float64")
HALF = ("bfloat16", "float16")
FLOATS_H = FLOATS + HALF
TORCH_HALF = {torch.bfloat16: "bfloat16", torch.float16: "float16"}
TOL = {  # (rtol, atol) per dtype for elementwise results
    "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}
GRAD_TOL = {"float32": (1e-3, 1e-4), "float64": (1e-6, 1e-6)}
ACC_FACTOR = 4.0
LOOSE_FACTOR = 4.0


# ---- comparison -------------------------------------------------------------------------

def as_np(t):
    """A numpy copy of t; bfloat16 / float16 as float32 (exact; numpy has no bfloat16): the
    callers keep the half dtype's name (half_of) and pass it to compare(half=...)."""
    if t.dtype in TORCH_HALF:
        return t.detach().cpu().float().numpy().copy()
    return t.detach().cpu().numpy().copy()


def half_of(t):
    """"bfloat16" / "float16" for a torch tensor of that dtype, else None."""
    return TORCH_HALF.get(t.dtype) if isinstance(t, torch.Tensor) else None


def dtype_mismatch(gt, wt):
    """A message when libl2's torch view gt and torch's wt differ in dtype (None otherwise):
    needed for the halves, which as_np turns into float32 like a float32 result."""
    if gt is None or wt is None or gt.dtype == wt.dtype:
        return None
    return "dtype: libl2 %s torch %s" % (str(gt.dtype)[6:], str(wt.dtype)[6:])


def round_half(x, half):
    """float64/float32 numpy x rounded to the half dtype (torch's round to nearest even, from
    float64 directly), returned as float64."""
    x = np.asarray(x, dtype=np.float64)
    t = torch.from_numpy(np.ascontiguousarray(x).reshape(-1))
    return t.to(getattr(torch, half)).double().numpy().reshape(x.shape)


def half_ulps(got, want, half):
    """The largest distance in units in the last place of the half dtype between got and want
    (float arrays holding half values; finite positions of magnitude >= 1e-3)."""
    g, w = np.asarray(got, np.float64), np.asarray(want, np.float64)
    fin = np.isfinite(g) & np.isfinite(w) & (np.abs(w) >= 1e-3)
    if not fin.any():
        return 0
    td = getattr(torch, half)
    a = torch.from_numpy(g[fin]).to(td).view(torch.int16).numpy().astype(np.int64)
    b = torch.from_numpy(w[fin]).to(td).view(torch.int16).numpy().astype(np.int64)
    a = np.where(a < 0, -32768 - a, a)
    b = np.where(b < 0, -32768 - b, b)
    return int(np.max(np.abs(a - b)))


def errors(got, want, half=None):
    """(max abs, max rel, max ulp) over finite positions (ulps of the half dtype for half
    results)."""
    if got.size == 0 or got.dtype == np.bool_:
        return 0.0, 0.0, 0
    g = got.astype(np.float64)
    w = want.astype(np.float64)
    fin = np.isfinite(g) & np.isfinite(w)
    if not fin.any():
        return 0.0, 0.0, 0
    ab = np.abs(g[fin] - w[fin])
    rel = ab / np.maximum(np.abs(w[fin]), 1e-300)
    big = fin & (np.abs(w) >= 1e-3)  # ulps near 0 say nothing
    ulp = 0
    if half:
        ulp = half_ulps(got, want, half)
    elif got.dtype in (np.float32, np.float64):
        it = np.int32 if got.dtype == np.float32 else np.int64
        a = got[big].view(it).astype(np.int64)
        b = want.astype(got.dtype)[big].view(it).astype(np.int64)
        a = np.where(a < 0, np.iinfo(it).min - a, a)
        b = np.where(b < 0, np.iinfo(it).min - b, b)
        ulp = int(np.max(np.abs(a - b))) if a.size else 0
    return float(ab.max()), float(rel.max()), ulp


def mismatch_report(got, want, bad, limit=3):
    idx = np.argwhere(bad)
    out = []
    diff = np.abs(got.astype(np.float64) - want.astype(np.float64)) if got.dtype != np.bool_ \
        else bad.astype(np.float64)
    diff = np.where(np.isnan(diff), np.inf, diff)
    order = np.argsort(-diff[bad], kind="stable")[:limit]
    for k in order:
        i = tuple(int(x) for x in idx[k])
        out.append("%s: libl2 %r torch %r" % (list(i), got[i].item(), want[i].item()))
    return "%d/%d mismatched; worst: %s" % (int(bad.sum()), got.size, "; ".join(out))


def nonfinite_mismatch(got, want):
    if np.isfinite(got).all() and np.isfinite(want).all():  # cheap for large results
        return np.zeros(np.broadcast_shapes(got.shape, want.shape), dtype=bool)
    gn, wn = np.isnan(got), np.isnan(want)
    gi, wi = np.isinf(got), np.isinf(want)
    return (gn != wn) | (gi != wi) | (gi & wi & (np.sign(got) != np.sign(want)))


def signed_zero(got, want):
    """Positions where both results are zero but with different signs (-0.0 vs 0.0): compared
    for exact and elementwise results (neg, abs, mul, copies, rounding...), not for gradients
    or accumulations, whose zero sign depends on the order of the terms."""
    if got.dtype.kind != "f" or want.dtype.kind != "f":
        return np.zeros(got.shape, dtype=bool)
    return (got == 0) & (want == 0) & (np.signbit(got) != np.signbit(want))


def early_overflow(got, want):
    """got with torch's +-inf where torch overflows early: torch's result is +-inf, libl2's is
    finite with the same sign and within 2^10 of the largest finite number (torch's formula
    overflows in an intermediate - sinh and cosh through exp, 1/(x*x) - where the true result,
    or libl2's, is still finite)."""
    if got.dtype.kind != "f" or got.shape != want.shape or got.dtype != want.dtype:
        return got
    big = np.finfo(got.dtype).max / 1024
    with np.errstate(invalid="ignore"):
        near = np.isinf(want) & np.isfinite(got) & (np.abs(got) >= big) & \
            (np.sign(got) == np.sign(want))
    return np.where(near, want, got).astype(got.dtype) if near.any() else got


def compare(got, want, tol, dtype, ref64=None, grad=False, precise_ref=None, half=None,
            t32=None):
    """None if got matches want under tol, else a message. got/want numpy, same shape.
    precise_ref (ref, mag): torch's float64 result and the element magnitudes: the per-element
    rule (compare_precise); without it the older rules (graph oracle, mutated inputs).
    half: "bfloat16" / "float16" when both results are of that dtype (got and want then hold
    its values as float32: as_np), None otherwise; t32: torch's float32 result rounded to it."""
    if got.shape != want.shape:
        return "shape: libl2 %s torch %s" % (list(got.shape), list(want.shape))
    if got.dtype != want.dtype:
        return "dtype: libl2 %s torch %s" % (got.dtype, want.dtype)
    if got.size == 0:
        return None
    if grad and dtype in HALF and got.dtype.kind == "f" and \
            (half is None or U_HALF[half] < U_HALF[dtype]):
        # a float32 / float64 / other-half operand's gradient through a half op (a 0-d operand
        # beside a half tensor): torch computes it in the op's half and casts it: judged at
        # that precision
        half = dtype
    if half:
        dtype = half
    elif got.dtype in (np.float32, np.float64) and not (grad and dtype == "float32"):
        # mixed-dtype ops: the result's own precision decides. Not for a float64 input's
        # gradient through a float32 op (grad: dtype is the op's output dtype): torch computes
        # it in float32 and casts it after.
        dtype = str(got.dtype)
    signed = tol != "exact_unsigned"  # maximum/minimum: the sign of a tie of +-0 is free
    tol = "exact" if tol == "exact_unsigned" else tol
    if got.dtype.kind in "biu" or (tol == "exact" and not grad):
        if got.dtype.kind == "f":
            bad = ~((got == want) | (np.isnan(got) & np.isnan(want)))
            if signed:
                bad |= signed_zero(got, want)
        else:
            bad = got != want
        return mismatch_report(got, want, bad) if bad.any() else None
    if got.dtype == np.float64:  # float32: the float64 reference already tells overflow apart
        got = early_overflow(got, want)
    if precise_ref is not None and precise_ref[0] is not None \
            and precise_ref[0].shape == got.shape:
        if half:
            return compare_half(got, want, precise_ref[0], precise_ref[1], tol, half, grad, t32)
        return compare_precise(got, want, precise_ref[0], precise_ref[1], tol, dtype, grad)
    if half:  # no float64 reference (it raised): against torch's half result, a few half-ulps
        bad = nonfinite_mismatch(got, want)
        fin = np.isfinite(got) & np.isfinite(want)
        w64 = want.astype(np.float64)
        lim = (HALF_K_GRAD if grad else 4.0) * EPS[half] * np.abs(w64) + TINY_HALF[half]
        bad |= fin & (np.abs(got.astype(np.float64) - w64) > lim)
        return mismatch_report(got, want, bad) if bad.any() else None
    rtol, atol = (GRAD_TOL if grad else TOL)[dtype]
    if tol == "loose" and not grad:
        rtol, atol = rtol * LOOSE_FACTOR, atol * LOOSE_FACTOR
    g64, w64 = got.astype(np.float64), want.astype(np.float64)
    bad = nonfinite_mismatch(got, want)
    fin = np.isfinite(g64) & np.isfinite(w64)
    if tol == "accumulating" and ref64 is not None and dtype == "float32" and not grad \
            and ref64.shape == got.shape:
        r = ref64.astype(np.float64)
        # a non-finite torch float32 result may be torch's own overflow: matching the precise
        # reference (rounded to float32) is as good as matching torch
        bad &= nonfinite_mismatch(got, ref64.astype(np.float32))
        tfin = np.isfinite(w64) & np.isfinite(r)
        torch_err = np.abs(w64 - r)[tfin].max() if tfin.any() else 0.0
        bound = ACC_FACTOR * torch_err + atol + rtol * np.abs(r)
        fin = np.isfinite(g64) & np.isfinite(r)
        bad |= fin & (np.abs(g64 - r) > bound)
    else:
        if tol == "accumulating" and not grad:
            rtol, atol = rtol * 10, atol * 10 if dtype == "float64" else atol
        bad |= fin & (np.abs(g64 - w64) > atol + rtol * np.abs(w64))
        if tol == "elementwise" and not grad:
            bad |= signed_zero(got, want)
    return mismatch_report(got, want, bad) if bad.any() else None


# ---- per-element tolerances against torch in float64 ----------------------------------------
# Every float result (forward and gradient, float32 and float64) is compared element by element
# with torch's float64 result on the same inputs (the precise reference). Element i may differ by
#     K x eps(dtype) x (|ref_i| + mag_i) + tiny(dtype)   [+ TORCH_FACTOR x |torch32_i - ref_i|]
# where mag_i is element i's own magnitude reference (below), K depends on the tolerance class
# (x GRAD_K for gradients), tiny(dtype) absorbs gradual underflow, and the bracketed term (float32
# only) lets libl2 be as wrong as torch's own float32 result at the same element (never at another
# element: one 1e30 elsewhere in the output unlocks nothing).
# Magnitude references (registry.Op.mag; None picks the class default):
#   None      mag = 0: the allowance is relative to the element itself (elementwise forward);
#   "abs"     the op in float64 on |float inputs|, |float arguments| and |upstream gradient|: for
#             sums, means, products, matmul, conv, pooling, embedding, cumsum, norms (and their
#             gradients, linear in the upstream gradient) that is element i's sum of |terms|;
#   "absg"    only the upstream gradient made |g|: the gradients of data movement and piecewise
#             linear ops (views, cat, max, relu, clamp), which add copies of upstream elements;
#   "perturb" sensitivity: every float input (and the upstream gradient) multiplied by 1 + h r
#             (r uniform in [-1, 1], h = 2^-20, two draws), mag_i = max |f_i(x') - f_i(x)| / h:
#             element i's condition, for ops where |inputs| changes the function (softmax,
#             log_softmax, logsumexp, var/std, losses, layer/batch norm) and for gradients of
#             elementwise ops (a broadcast input's gradient sums terms of either sign).
EPS = {"float32": 2.0 ** -23, "float64": 2.0 ** -52, "bfloat16": 2.0 ** -7,
       "float16": 2.0 ** -10}
TINY = {"float32": float(np.finfo(np.float32).tiny), "float64": float(np.finfo(np.float64).tiny)}
K = {"elementwise": 4.0, "loose": 16.0, "accumulating": 16.0, "exact": 4.0}
GRAD_K = 4.0
TORCH_FACTOR = 2.0
PERTURB_H = 2.0 ** -20


def _to64(t, tf=None):
    """A float64 copy of tensor t with t's own strides and storage offset over a float64 copy of
    its whole storage (as_strided and overlapping inputs mean the same elements), the storage
    transformed by tf; non-float tensors are returned detached."""
    if t is None or not isinstance(t, torch.Tensor):
        return t
    t = t.detach()
    if not t.is_floating_point():
        return t
    st = t.storage()
    full = torch.tensor([], dtype=t.dtype).set_(st, 0, (st.size(),), (1,))
    full = full.to(torch.float64, copy=True)
    if tf is not None:
        full = tf(full)
    return full.as_strided(t.shape, t.stride(), t.storage_offset()).detach()


def _np(t):
    if t is None or not isinstance(t, torch.Tensor) or not t.is_floating_point():
        return None
    return t.detach().numpy().astype(np.float64)


def eval64(op, tin, a, diff=(), gup=None, mode=None, rng=None):
    """op.ref in float64 on copies of tin (transformed by mode: None, "abs", "absg", "perturb");
    with gup (the upstream gradient of output 0) also the gradients of the inputs in diff.
    Returns (outputs, gradients) as float64 numpy arrays (None where not float)."""
    def tf(full):
        if mode == "abs":
            return full.abs()
        if mode == "perturb":
            return full * (1 + PERTURB_H * torch.from_numpy(rng.uniform(-1, 1, full.numel())))
        return full
    xs = []
    for i, t in enumerate(tin):
        x = _to64(t, tf)
        if x is not None and x.is_floating_point() and gup is not None and i in diff:
            x.requires_grad_(True)
        xs.append(x)
    args = {k: (abs(v) if mode == "abs" and isinstance(v, float) else v) for k, v in a.items()}
    with warnings.catch_warnings(), torch.enable_grad():
        warnings.simplefilter("ignore")
        r = (getattr(op, "ref64", None) or op.ref)(xs, args)
        outs = list(r) if isinstance(r, tuple) else [r]
        grads = None
        if gup is not None:
            g = _to64(gup, torch.abs if mode in ("abs", "absg") else tf)
            leaves = [xs[i] for i in diff]
            o = outs[0]
            if o.requires_grad:
                gs = torch.autograd.grad(o, leaves, g, allow_unused=True)
            else:
                gs = [None] * len(leaves)
            grads = [_np(x) for x in gs]
    return [_np(o) for o in outs], grads


def mag_mode(op, grad, nfloat=1):
    """The magnitude reference of op's outputs (grad False) or gradients; nfloat: how many float
    inputs. Elementwise gradients: a unary op's is one product g f'(x) ("perturb" finds where
    f'(x) cancels; |x| would change f'), a binary op's may sum over broadcast dims ("abs": add,
    sub, mul, div are linear in each input's sign)."""
    if getattr(op, "mag", None) is not None:
        return op.mag
    if op.tol == "accumulating":
        return "abs"
    if op.tol in ("exact", "exact_unsigned"):
        return "absg" if grad else None
    if not grad:
        return None
    return "abs" if nfloat > 1 else "perturb"


def precise(op, tin, a, diff=(), gup=None):
    """(references, magnitudes) for the outputs (gup None) or for the gradients of the inputs in
    diff: lists of float64 arrays; None when torch's float64 reference fails. op.mag may be a
    callable (float64 inputs, args, float64 upstream gradient or None) returning the magnitudes
    (a list of tensors), the name of a mode to use instead, or (mode, list): both, added."""
    grad = gup is not None
    fdt = set(t.dtype for t in tin if isinstance(t, torch.Tensor) and t.is_floating_point())
    if len(fdt) > 1:
        # mixed float32 / float64 operands. A float32 result (a 0-d float64 operand beside a
        # float32 tensor) is computed by torch on the float64 operand rounded to float32: so is
        # the reference, in float64 from there. Other mixes (three operands, a float64 result
        # from float32 0-d scalars in odd categories): no reference.
        fl = [t for t in tin if isinstance(t, torch.Tensor) and t.is_floating_point()]
        if len(fl) != 2 or torch.result_type(fl[0], fl[1]) != torch.float32:
            return None, None
        tin = [t.detach().to(torch.float32) if isinstance(t, torch.Tensor) and
               t.dtype == torch.float64 else t for t in tin]
    try:
        o, g = eval64(op, tin, a, diff, gup)
        ref = g if grad else o
        nfloat = sum(1 for t in tin if isinstance(t, torch.Tensor) and t.is_floating_point())
        mode = mag_mode(op, grad, nfloat)
        extra = None
        if callable(mode):
            mode = mode([_to64(t) for t in tin], a, _to64(gup) if grad else None)
            if isinstance(mode, tuple):  # (a mode, terms to add to its magnitudes)
                mode, extra = mode
            if isinstance(mode, list):
                mode, extra = None, mode
        if extra is not None:
            extra = [None if x is None else np.abs(x.detach().numpy()) for x in extra]
        if mode is None:
            mags = [None] * len(ref)
        elif mode in ("abs", "absg"):
            o, g = eval64(op, tin, a, diff, gup, mode)
            mags = [None if x is None else np.abs(x) for x in (g if grad else o)]
        else:
            rng = np.random.default_rng(12345)
            mags = [None if x is None else np.zeros_like(x) for x in ref]
            for _ in range(2):
                o, g = eval64(op, tin, a, diff, gup, "perturb", rng)
                for j, (x, y) in enumerate(zip(ref, g if grad else o)):
                    if x is not None and y is not None and y.shape == x.shape:
                        d = np.abs(y - x) / PERTURB_H
                        mags[j] = np.maximum(mags[j], np.where(np.isfinite(d), d, 0.0))
        if extra is not None:
            mags = [e if m is None else (m if e is None or e.shape != m.shape else m + e)
                    for m, e in zip(mags, extra)]
        # gradients of any class: a broadcast input's gradient sums the upstream's terms
        if op.tol == "accumulating" or grad:
            mags = _cascade(ref, mags, tin, gup)
        return ref, mags
    except Exception:
        return None, None


def _cascade(ref, mags, tin, gup):
    """Accumulated results: torch's float64 reference sums n terms per element by cascade
    (pairwise) summation, whose own error grows as log2(n) eps sum|terms| (45 ulps for a variance
    of 2M elements, where libl2's compensated sum was exact): the allowance |ref| + mag is
    multiplied by 1 + log2(n), n estimated as the largest input's element count over the
    result's (gradients: over the forward result's, or the upstream's over the gradient's)."""
    big = max([t.numel() for t in tin if isinstance(t, torch.Tensor)] + [1])
    out = []
    for r, m in zip(ref, mags):
        if r is None:
            out.append(m)
            continue
        n = big / max(r.size, 1)
        if gup is not None:  # a gradient: the forward's sums, or its own (summed broadcasts)
            n = max(big / max(gup.numel(), 1), gup.numel() / max(r.size, 1))
        f = 1 + math.log2(max(n, 1))
        ar = np.abs(r)
        out.append(f * (ar + (m if m is not None else 0)) - ar)
    return out


def compare_precise(got, want, ref, mag, tol, dtype, grad=False):
    """Per-element comparison of a float result with torch's float64 reference (see above)."""
    g64, w64, r = got.astype(np.float64), want.astype(np.float64), ref.astype(np.float64)
    bad = nonfinite_mismatch(got, want)
    # torch's own overflow (float32; float64 where the op has a ref64 formula that does not
    # overflow early): the reference, rounded to the result's dtype, is as good. For float64
    # without ref64 the reference is torch's own result, so this changes nothing there.
    with np.errstate(over="ignore"):
        bad &= nonfinite_mismatch(got, ref.astype(got.dtype))
    k = K.get(tol, K["accumulating"]) * (GRAD_K if grad else 1.0)
    m = np.abs(r)
    if mag is not None and mag.shape == r.shape:
        m = m + np.where(np.isfinite(mag), mag, 0.0)
    allow = k * EPS[dtype] * m + k * TINY[dtype]  # below k normals: gradual underflow noise
    if dtype == "float32":
        te = np.abs(w64 - r)
        allow = allow + TORCH_FACTOR * np.where(np.isfinite(te), te, 0.0)
    fin = np.isfinite(g64) & np.isfinite(r)
    with np.errstate(invalid="ignore"):
        bad |= fin & ~(np.abs(g64 - r) <= allow)
        # no finite reference (float64 trouble torch float32 did not have): compare with torch
        alt = np.isfinite(g64) & np.isfinite(w64) & ~np.isfinite(r)
        bad |= alt & ~(np.abs(g64 - w64) <= k * EPS[dtype] * np.abs(w64) + TINY[dtype])
    if not bad.any():
        return None
    return mismatch_report(got, want, bad) + "; " + ref_report(r, m, allow, got, bad)


# ---- bfloat16 / float16 (issue 16) -----------------------------------------------------------
# libl2 computes a half op in float32 on the exactly converted inputs and rounds the float32
# result ONCE to the half dtype (l2.h); gradients likewise (each op's backward in float32,
# rounded where the gradient enters a half input). So element i is compared with torch's float64
# result on the same half-exact inputs (the precise reference) with
#     allow32_i x (1 + u) + u x |ref_i| + halftiny          (forward)
#     allow32_i x (1 + u) + HALF_K_GRAD x u x (|ref_i| + mag_i) + halftiny  (gradients)
# where allow32_i is the float32 rule's allowance at that element (K x 2^-23 x (|ref_i| + mag_i)
# + K x float32 tiny, the accumulation error of a float32 computation, mag_i and the cascade
# factor as for float32), u the half's unit roundoff (2^-8 bfloat16, 2^-11 float16: one rounding
# to nearest moves a value by at most u |value|) and halftiny half the spacing of the half's
# subnormals (the rounding error of a result below its least normal). The forward rule is
# tight: a result truncated instead of rounded to nearest, or computed in half precision, fails.
# Gradients get HALF_K_GRAD = 4 half roundings of the terms: a backward that reuses the op's
# half-rounded result (exp's g x exp(x), tanh's g (1 - y^2)) carries that rounding times the
# derivative's sensitivity (mag_i), as torch's own half gradients do at every node; plus, as
# for float32, TORCH_FACTOR x torch's own half gradient's error at the same element (a
# composite op rounds its intermediates to the half, as torch does: glu's sigmoid).
# Forward, like the float32 rule's torch term: + TORCH_FACTOR x |t32_i - ref_i|, t32 torch's
# float32 result on the same inputs rounded to the half (a float32 kernel's own limits, shared
# by torch, are not the half's: silu(-88.7) underflows to -0 in both float32 kernels), not
# torch's half result (its bfloat16 matmul accumulates in bfloat16: hundreds of ulps).
# torch's own half result (native where torch 1.13's CPU kernel takes the dtype, else torch in
# float32 on the same inputs rounded: registry.HALF_TORCH_F32) is used for the non-finite
# pattern and for the statistics (ulps of libl2 from torch's half result, run.py's line).
HALF_K_GRAD = 4.0
U_HALF = {"bfloat16": 2.0 ** -8, "float16": 2.0 ** -11}
TINY_HALF = {"bfloat16": 2.0 ** -134, "float16": 2.0 ** -25}


def compare_half(got, want, ref, mag, tol, half, grad=False, t32=None):
    """Per-element comparison of a bfloat16 / float16 result (see above); t32: torch's float32
    result on the same inputs rounded to the half (forward)."""
    g64, r = got.astype(np.float64), ref.astype(np.float64)
    bad = nonfinite_mismatch(got, want)
    with np.errstate(over="ignore", invalid="ignore"):
        # torch's own overflow (an intermediate in half): the reference rounded is as good
        bad &= nonfinite_mismatch(got, round_half(r, half))
    k = K.get(tol, K["accumulating"]) * (GRAD_K if grad else 1.0)
    m = np.abs(r)
    if mag is not None and mag.shape == r.shape:
        m = m + np.where(np.isfinite(mag), mag, 0.0)
    u = U_HALF[half]
    allow32 = k * EPS["float32"] * m + k * TINY["float32"]
    if grad:
        allow = allow32 * (1 + u) + HALF_K_GRAD * u * m + TINY_HALF[half]
        # torch's own half gradient rounds after every node: libl2 may be as far from the
        # reference as torch is at the same element (a composite op's half intermediates)
        te = np.abs(want.astype(np.float64) - r)
        allow = allow + TORCH_FACTOR * np.where(np.isfinite(te), te, 0.0)
    else:
        allow = allow32 * (1 + u) + u * np.abs(r) + TINY_HALF[half]
        if t32 is not None and t32.shape == r.shape:
            # as the float32 rule: as far off as torch's own float32 kernel (rounded to the
            # half) at the same element, e.g. silu(-88.7) = x / (1 + exp(-x)) is -0 in float32
            te = np.abs(t32 - r)
            allow = allow + TORCH_FACTOR * np.where(np.isfinite(te), te, 0.0)
    fin = np.isfinite(g64) & np.isfinite(r)
    with np.errstate(invalid="ignore"):
        bad |= fin & ~(np.abs(g64 - r) <= allow)
        w64 = want.astype(np.float64)
        alt = np.isfinite(g64) & np.isfinite(w64) & ~np.isfinite(r)
        bad |= alt & ~(np.abs(g64 - w64) <= 4 * u * np.abs(w64) + TINY_HALF[half])
    if not bad.any():
        return None
    return mismatch_report(got, want, bad) + "; " + ref_report(r, m, allow, got, bad)


def ref_report(r, m, allow, got, bad):
    """The float64 reference, magnitude and allowance at the worst mismatch."""
    idx = np.argwhere(bad)
    d = np.abs(got.astype(np.float64) - r)
    d = np.where(np.isnan(d), np.inf, d)
    i = tuple(int(x) for x in idx[int(np.argmax(d[bad]))])
    return "at %s float64 reference %r, magnitude %.3g, allowed %.3g" % (
        list(i), float(r[i]), float(m[i]), float(allow[i]))


def take_along(x, idx, dim, keepdim):
    """Values of x at argmax-style indices idx (dim None: flat)."""
    if dim is None:
        return x.reshape(-1)[idx.reshape(-1)].reshape(idx.shape)
    if x.dim() == 0:
        return x.reshape(()) if idx.numel() else x
    i = idx if keepdim else idx.unsqueeze(dim)
    v = torch.gather(x, dim, i)
    return v if keepdim else v.squeeze(dim)


def reference64(op, tin, a, k):
    """torch in float64 on the same inputs: the precise reference for accumulating ops."""
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t64 = [t.detach().double() if t is not None and t.dtype == torch.float32 else
                   (t.detach() if t is not None else None) for t in tin]
            r = op.ref(t64, a)
        r = list(r) if isinstance(r, tuple) else [r]
        return as_np(r[k])
    except Exception:
        return None


def check_dropout(got, x, a):
    p = a["p"]
    scale = 1.0 / (1.0 - p)
    want = x.astype(np.float64) * scale
    ok = (got == 0) | (np.abs(got - want) <= 1e-5 + 1e-5 * np.abs(want))
    if not ok.all():
        return "dropout: elements neither 0 nor x/(1-p): " + mismatch_report(
            got, want.astype(got.dtype), ~ok)
    if got.size >= 2000:
        frac = float((got == 0).mean())
        if abs(frac - p) > 0.1:
            return "dropout: zero fraction %.3f for p=%g" % (frac, p)
    return None


# ---- self-test of the rules (gradcheck.py's first test point) -----------------------------

def selftest():
    """Examples each rule must fail or pass: a list of (description, holds)."""
    out = []
    f32, f64 = np.float32, np.float64

    def fails(got, want, ref, mag, tol, dtype, grad=False):
        return compare(got, want, tol, dtype, grad=grad, precise_ref=(ref, mag)) is not None

    # issue 10: one 1e30 element must not unlock the others (it did under the old rule)
    ref = np.array([1e30, 1.0, 2.0])
    got = np.array([1e30, 1.5, -7.0], dtype=f32)
    want = np.array([1.0000001e30, 1.0, 2.0], dtype=f32)
    out.append(("accumulating float32 [1e30, 1.5, -7] against [1e30, 1, 2] fails",
                fails(got, want, ref, np.abs(ref), "accumulating", "float32")))
    out.append(("(the old rule passed it)",
                compare(got, want, "accumulating", "float32", ref64=ref) is None))
    # float64 computed in float32 must fail; a few ulp must pass
    x = np.linspace(-3, 3, 101).astype(f32).astype(f64)  # float32 inputs: only exp differs
    ref = np.exp(x)
    out.append(("float64 exp computed in float32 fails",
                fails(np.exp(x).astype(f32).astype(f64), ref, ref, None, "elementwise",
                      "float64")))
    out.append(("(the old rule passed it)",
                compare(np.exp(x).astype(f32).astype(f64), ref, "elementwise", "float64")
                is None))
    two_ulp = np.nextafter(np.nextafter(ref, np.inf), np.inf)
    out.append(("float64 2 ulp passes", not fails(two_ulp, ref, ref, None, "elementwise",
                                                  "float64")))
    out.append(("float64 40 ulp fails", fails(ref * (1 + 40 * EPS["float64"]), ref, ref, None,
                                              "elementwise", "float64")))
    # float32 against the float64 reference: correctly rounded passes, 1e-5 relative fails
    r32 = ref.astype(f32)
    out.append(("float32 correctly rounded passes", not fails(r32, r32, ref, None,
                                                              "elementwise", "float32")))
    out.append(("float32 gradient 1e-5 relative fails (old rtol 1e-3)",
                fails((ref * (1 + 1e-5)).astype(f32), r32, ref, None, "elementwise", "float32",
                      grad=True)))
    # a sum's cancelled element: allowance from its own terms, not from its value
    terms = np.array([[1e8, -1e8, 1.0], [1.0, 2.0, 3.0]])
    ref = terms.sum(1)
    mag = np.abs(terms).sum(1)
    got = (ref + np.array([4.0, 0.0])).astype(f32)
    out.append(("float32 sum: error 4 on terms of 1e8 passes", not fails(
        got, ref.astype(f32), ref, mag, "accumulating", "float32")))
    got = (ref + np.array([0.0, 1e-4])).astype(f32)
    out.append(("float32 sum: error 1e-4 on 1+2+3 fails", fails(
        got, ref.astype(f32), ref, mag, "accumulating", "float32")))
    # torch's own float32 overflow: the reference rounded (inf) is accepted, a finite value not
    ref = np.array([1e39, 1.0])
    want = np.array([np.inf, 1.0], dtype=f32)
    out.append(("float32 overflow: inf where the reference overflows float32 passes",
                not fails(np.array([np.inf, 1.0], dtype=f32), want, ref, None, "accumulating",
                          "float32")))
    out.append(("float32 overflow: a finite value there fails",
                fails(np.array([3e38, 1.0], dtype=f32), want, ref, None, "accumulating",
                      "float32")))
    out += selftest_half()
    return out


def selftest_half():
    """The half rule (compare_half): rounded once passes, truncated or summed in half fails."""
    out = []
    rng = np.random.default_rng(16)
    x = rng.uniform(-3, 3, 4000)
    ref = np.exp(x)
    for h in HALF:
        td = getattr(torch, h)
        rn = torch.from_numpy(ref).to(td).float().numpy()  # correctly rounded from float64
        r32 = torch.from_numpy(ref.astype(np.float32)).to(td).float().numpy()  # via float32
        # truncated toward zero: drop the bits below the half's mantissa
        keep = 16 if h == "bfloat16" else None
        if keep:
            tr = (ref.astype(np.float32).view(np.uint32) & np.uint32(0xFFFF0000)).view(np.float32)
        else:
            f16 = ref.astype(np.float16)
            tr = np.where(np.abs(f16.astype(np.float64)) > np.abs(ref),
                          np.nextafter(f16, np.float16(0)), f16).astype(np.float32)

        def hfails(got, mag=None, tol="elementwise", grad=False):
            return compare(got, rn, tol, h, grad=grad, precise_ref=(ref, mag),
                           half=h) is not None
        out.append(("%s exp rounded to nearest from float64 passes" % h, not hfails(rn)))
        out.append(("%s exp rounded via float32 (double rounding) passes" % h, not hfails(r32)))
        out.append(("%s exp truncated instead of rounded fails" % h, hfails(tr)))
        out.append(("%s 2 half-ulps off fails" % h, hfails(
            torch.from_numpy(rn * (1 + 4 * U_HALF[h])).to(td).float().numpy())))
        # a sum of 256 terms: float32 accumulation rounded once passes, half accumulation fails
        t = rng.uniform(0, 1, (64, 256))
        th = torch.from_numpy(t).to(td)
        t64 = th.double().numpy()
        sref = t64.sum(1)
        good = torch.from_numpy(t64.astype(np.float32).sum(1)).to(td).float().numpy()
        acc = th[:, 0].clone()
        for j in range(1, 256):
            acc = acc + th[:, j]  # rounded to the half after every term
        out.append(("%s sum: float32 accumulation rounded once passes" % h,
                    compare(good, good, "accumulating", h, precise_ref=(sref, sref),
                            half=h) is None))
        out.append(("%s sum: accumulated in %s fails" % (h, h),
                    compare(acc.float().numpy(), good, "accumulating", h,
                            precise_ref=(sref, sref), half=h) is not None))
    return out
