"""compare.py: how the oracle compares libl2's results with torch's: tolerance classes, error
statistics, mismatch reports, the float64 reference for accumulating ops, argmax-style index
comparison and the dropout check. See oracle/README.md, "What a case checks"."""
import warnings

import numpy as np
import torch

FLOATS = ("float32", "float64")
TOL = {  # (rtol, atol) per dtype for elementwise results
    "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}
GRAD_TOL = {"float32": (1e-3, 1e-4), "float64": (1e-6, 1e-6)}
ACC_FACTOR = 4.0
LOOSE_FACTOR = 4.0


# ---- comparison -------------------------------------------------------------------------

def as_np(t):
    if t.dtype == torch.bool:
        return t.detach().cpu().numpy().copy()
    return t.detach().cpu().numpy().copy()


def errors(got, want):
    """(max abs, max rel, max ulp) over finite positions."""
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
    if got.dtype in (np.float32, np.float64):
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


def compare(got, want, tol, dtype, ref64=None, grad=False):
    """None if got matches want under tol, else a message. got/want numpy, same shape."""
    if got.shape != want.shape:
        return "shape: libl2 %s torch %s" % (list(got.shape), list(want.shape))
    if got.dtype != want.dtype:
        return "dtype: libl2 %s torch %s" % (got.dtype, want.dtype)
    if got.size == 0:
        return None
    if got.dtype in (np.float32, np.float64):
        dtype = str(got.dtype)  # mixed-dtype ops: the result's own precision decides
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
