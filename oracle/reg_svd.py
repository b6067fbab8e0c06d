"""reg_svd.py: the oracle registry's entries for the SVD and pseudo-inverse of issue 15 (area svd;
libl2/ops/linalg-svd.c): linalg_svd, linalg_svdvals, linalg_pinv. registry.py imports this
module at its end.

Signs: a singular vector is unique up to sign only (U's column j and Vh's row j flip together).
Both sides flip each column of U and each row of Vh by la_signs.py's rule, so the factors
compare directly, and the gradient checked is that of this sign-invariant function of U and Vh
(sign's gradient is 0), with a random upstream
gradient per result (the pieces path of onecase.py: S, U and Vh together). With full_matrices
and M != N the extra columns of U (rows of Vh) are compared the same way; torch's and libl2's
gradients both ignore them. pinv is unique: compared directly.

Inputs come from matgen.py's spectra ("mat:KIND:M:N"): "cond" (singular values in [1, 3], at
least 0.2 apart) for the gradient cases; "rankdef" (one singular value 0) and "svrep" (the two
largest equal) for forward cases where the result is unique (svdvals, pinv with an rtol far from
the noise, svd of square rank-deficient matrices); symmetric "sym" matrices for the hermitian
pinv. Plain randn matrices for svdvals too. Error parity: a 1-d or int64 input, a non-square
hermitian pinv. NaN input (gesdd fails, torch raises) is in tests/test-linalg-svd.c."""
import ctypes as C
import math

import torch

from la_signs import align_l2 as _align_l2, align_torch as _align_torch, release as _release
from reg_decomp import _bad, _lead, _mn, _singular
from registry import REGISTRY, T, add

def _svd_gen(d, dt):
    r = d.int(0, 15)
    full = d.bool()
    if r == 0:
        return {"inputs": [_bad(d, dt)], "args": {"full": full}, "nograd": True}
    if r == 1:  # square rank-deficient: the null vectors are unique up to sign (forward)
        n = d.choice([2, 3, 5, 8])
        x = d.tensor(_lead(d) + (n, n), dt, "mat:rankdef:%d:%d" % (n, n), writable=True)
        return {"inputs": [x], "args": {"full": full}, "nograd": True}
    m, n = _mn(d)
    x = d.tensor(_lead(d) + (m, n), dt, "mat:cond:%d:%d" % (m, n), writable=True)
    return {"inputs": [x], "args": {"full": full}, "nograd": False}


def _svd_call(f, xs, a):
    S, Vh = T(), T()
    U = f(xs[0], a["full"], C.byref(S), C.byref(Vh))
    if not U:
        return None
    Ua = _align_l2(U, -2)
    Va = _align_l2(Vh.value, -1) if Ua else None
    if not Va:
        for t in (Ua, S.value, None if Ua else Vh.value):
            if t:
                _release(t)
        return None
    return (Ua, S.value, Va)


def _svd_ref(ts, a):
    U, S, Vh = torch.linalg.svd(ts[0], full_matrices=a["full"])
    return (_align_torch(U, -2), S, _align_torch(Vh, -1))


add("l2_linalg_svd", "T:TbPP", _svd_gen, _svd_ref, _svd_call,
    tol="accumulating", family="svd", mag="perturb", outputs=3)
REGISTRY["l2_linalg_svd"].pieces = True


def _svdvals_gen(d, dt):
    r = d.int(0, 11)
    if r == 0:
        return {"inputs": [_bad(d, dt)], "args": {}, "nograd": True}
    m, n = _mn(d)
    if r <= 2:  # rank-deficient or repeated values: unique values, a gradient that is not
        kind = "rankdef" if r == 1 else "svrep"
        x = d.tensor(_lead(d) + (m, n), dt, "mat:%s:%d:%d" % (kind, m, n))
        return {"inputs": [x], "args": {}, "nograd": True}
    if r <= 4:
        x = d.tensor(_lead(d) + (m, n), dt, "normal")
        return {"inputs": [x], "args": {}, "nograd": _singular(x)}
    x = d.tensor(_lead(d) + (m, n), dt, "mat:cond:%d:%d" % (m, n))
    return {"inputs": [x], "args": {}, "nograd": _singular(x)}


def mag_svdvals(xs, a, g):
    """A singular value moves by about eps ||A|| (Weyl); the gradient U diag(gS) Vh sums the
    terms |U_il gS_l Vh_lj|. Both besides "perturb"."""
    U, S, Vh = torch.linalg.svd(xs[0], full_matrices=False)
    if g is None:
        nrm = S[..., :1] if S.shape[-1] else S
        return "perturb", [nrm.expand_as(S)]
    return "perturb", [(U.abs() * g.abs().unsqueeze(-2)) @ Vh.abs()]


add("l2_linalg_svdvals", "T:T", _svdvals_gen, lambda ts, a: torch.linalg.svdvals(ts[0]),
    lambda f, xs, a: f(xs[0]), tol="accumulating", family="svd", mag=mag_svdvals)


def _pinv_gen(d, dt):
    r = d.int(0, 15)
    herm = r in (3, 4, 5, 6)
    atol, rtol = None, None
    if d.int(0, 3) == 0:  # given tolerances well inside the cond spectra's gaps
        atol = d.choice([None, 0.0, 1e-3, 0.5])
        rtol = d.choice([None, 0.0, 1e-4])
    args = {"hermitian": herm, "atol": atol, "rtol": rtol}
    if r == 0:
        return {"inputs": [_bad(d, dt)], "args": args, "nograd": True}
    if r == 1:  # hermitian of a non-square matrix
        args["hermitian"] = True
        return {"inputs": [d.tensor(_lead(d) + (3, 4), dt, "normal")], "args": args,
                "nograd": True}
    if r == 2:  # rank-deficient: the zero singular value cut by an rtol far above the noise
        m, n = _mn(d)
        args["rtol"] = 1e-3
        x = d.tensor(_lead(d) + (m, n), dt, "mat:rankdef:%d:%d" % (m, n), writable=True)
        return {"inputs": [x], "args": args, "nograd": True}
    if herm:
        n = d.choice([0, 1, 2, 3, 5, 8])
        x = d.tensor(_lead(d) + (n, n), dt, "mat:sym:%d:%d" % (n, n), writable=True)
        return {"inputs": [x], "args": args, "nograd": False}
    m, n = _mn(d)
    x = d.tensor(_lead(d) + (m, n), dt, "mat:cond:%d:%d" % (m, n), writable=True)
    return {"inputs": [x], "args": args, "nograd": False}


def _nan(v):
    return math.nan if v is None else v


def mag_pinv(xs, a, g):
    """Besides "perturb" (elementwise), the normwise first-order bound: a backward error of
    eps ||A|| (LAPACK's, which depends on OpenBLAS's thread count) moves A+ by about
    ||A+||^2 ||A|| eps and the gradient by about ||G|| ||A+||^2 kappa, kappa = ||A|| ||A+||
    (2-norms per matrix, from the singular values kept: the cut ones do not count)."""
    x = xs[0]
    if x.numel() == 0:
        return "perturb"
    S = torch.linalg.svdvals(x)
    smax = S[..., :1]
    P = torch.linalg.pinv(x, atol=a["atol"], rtol=a["rtol"], hermitian=a["hermitian"])
    pn = torch.linalg.matrix_norm(P, 2).unsqueeze(-1).unsqueeze(-1) if P.numel() else P
    kap = smax.unsqueeze(-1) * pn
    if g is None:
        return "perturb", [(pn * kap).expand_as(P)]
    gn = torch.linalg.matrix_norm(g, "fro").unsqueeze(-1).unsqueeze(-1)
    return "perturb", [(gn * pn * pn * kap).expand_as(x)]


add("l2_linalg_pinv", "T:Tddb", _pinv_gen,
    lambda ts, a: torch.linalg.pinv(ts[0], atol=a["atol"], rtol=a["rtol"],
                                    hermitian=a["hermitian"]),
    lambda f, xs, a: f(xs[0], _nan(a["atol"]), _nan(a["rtol"]), a["hermitian"]),
    tol="accumulating", family="svd", mag=mag_pinv)
