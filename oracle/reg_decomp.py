"""reg_decomp.py: the oracle registry's entries for the LAPACK decompositions of issue 15 (area
la2; libl2/ops/linalg-decomp.c): linalg_qr, linalg_eigh, linalg_eigvalsh. registry.py imports
this module at its end.

Inputs come from matgen.py's spectra ("mat:KIND:M:N"): well-conditioned matrices with distinct
singular values for the gradient cases, rank-deficient ones for the forward only. Every result
gets its own random upstream gradient (the pieces path of onecase.py), so the gradients of Q
and R are checked together. QR is unique once R's diagonal signs are fixed, and libl2 and torch
take them from the same LAPACK (geqrf): the factors are compared directly."""
import ctypes as C

import torch

from la_signs import align_l2, align_torch, release
from registry import REGISTRY, T, add, with_out


def _lead(d):
    """Leading (batch) dims: none, one or two small ones (0 now and then)."""
    r = d.int(0, 5)
    if r <= 1:
        return ()
    if r <= 3:
        return (d.choice([1, 2, 3, 0]),)
    return (d.choice([2, 1]), d.choice([3, 2]))


def _mn(d):
    """Matrix sizes: small, square, tall, wide, empty, and a larger one now and then."""
    return d.choice([(3, 3), (4, 2), (2, 4), (5, 3), (3, 5), (1, 1), (6, 6), (7, 4), (4, 7),
                     (1, 3), (3, 1), (0, 3), (3, 0), (0, 0), (17, 9), (9, 17), (24, 24)])


def _mat(d, dt, kind):
    m, n = _mn(d)
    return d.tensor(_lead(d) + (m, n), dt, "mat:%s:%d:%d" % (kind, m, n)), m, n


def _bad(d, dt):
    """Error cases: a 1-d or 0-d input, an int64 input."""
    r = d.int(0, 1)
    if r == 0:
        return d.tensor(d.choice([(4,), ()]), dt, "normal")
    return d.tensor((3, 3), "int64", "randint:-3:4")


def _singular(x):
    """An expanded (stride 0) or overlapping layout repeats elements: the matrix is singular
    whatever its values (forward only)."""
    return x["layout"] in ("expanded", "overlap")


QR_MODES = ("reduced", "complete", "r")


def g_qr(d, dt):
    r = d.int(0, 15)
    mode = d.choice(QR_MODES)
    if r == 0:
        return {"inputs": [_bad(d, dt)], "args": {"mode": mode}, "nograd": True}
    if r == 1:
        x, m, n = _mat(d, dt, "cond")
        return {"inputs": [x], "args": {"mode": "full"}, "nograd": True}
    kind = "rankdef" if r == 2 else "cond"
    x, m, n = _mat(d, dt, kind)
    # torch has no gradient for mode 'r' and for 'complete' with M > N (its backward raises;
    # libl2's backward fails the same way: tests/test-linalg-decomp.c); rank-deficient inputs
    # divide by R's zero diagonal
    ng = kind == "rankdef" or mode == "r" or (mode == "complete" and m > n) or _singular(x)
    return {"inputs": [x], "args": {"mode": mode}, "nograd": ng}


add("l2_linalg_qr", "T:TsP", g_qr,
    lambda ts, a: tuple(torch.linalg.qr(ts[0], mode=a["mode"])),
    with_out(lambda f, xs, a, p: f(xs[0], a["mode"].encode(), p)),
    tol="accumulating", family="decomp", mag="perturb", outputs=2)
REGISTRY["l2_linalg_qr"].pieces = True


# ---- eigh, eigvalsh ----------------------------------------------------------------------
# Eigenvectors are unique up to sign: both sides flip each column of V by la_signs.py's rule, so
# the results compare directly and the gradient is that of a sign-invariant function of V. Inputs: symmetric matrices with
# eigenvalues at least 0.3 apart (gradients), general matrices (only the uplo triangle is
# read: forward only), repeated eigenvalues (eigvalsh only, forward only: V is not unique and
# the gradient depends on the basis LAPACK picks).

def _align_torch(V):
    return align_torch(V, -2)


def _align_l2(V):
    return align_l2(V, -2)


def _sq(d):
    return d.choice([0, 1, 2, 3, 4, 5, 6, 8, 16, 24])


def g_eigh(rep):
    def gen(d, dt):
        r = d.int(0, 15)
        uplo = d.choice(["L", "U"])
        if r == 0:
            return {"inputs": [_bad(d, dt)], "args": {"uplo": uplo}, "nograd": True}
        if r == 1:  # non-square, or an unknown uplo
            if d.bool():
                return {"inputs": [d.tensor(_lead(d) + (3, 4), dt, "normal")],
                        "args": {"uplo": uplo}, "nograd": True}
            return {"inputs": [d.tensor((3, 3), dt, "mat:sym:3:3")],
                    "args": {"uplo": d.choice(["X", "LU", "l"])}, "nograd": True}
        n = _sq(d)
        kind = "cond" if r in (2, 3) else ("symrep" if rep and r in (4, 5) else "sym")
        x = d.tensor(_lead(d) + (n, n), dt, "mat:%s:%d:%d" % (kind, n, n), writable=True)
        # repeated eigenvalues: forward only (the gradient depends on the basis LAPACK picks)
        return {"inputs": [x], "args": {"uplo": uplo}, "nograd": kind != "sym"}
    return gen


def _eigh_call(f, xs, a):
    V = T()
    L = f(xs[0], a["uplo"].encode(), C.byref(V))
    if not L:
        return None
    Vs = _align_l2(V.value)
    if not Vs:
        release(L)
        return None
    return (L, Vs)


def _eigh_ref(ts, a):
    L, V = torch.linalg.eigh(ts[0], UPLO=a["uplo"])
    return (L, _align_torch(V))


def mag_eigh(xs, a, g):
    """Forward magnitudes: besides "perturb", the conditioning of each result (Davis-Kahan): an
    eigenvalue moves by about eps ||A||, column j of V by eps ||A|| / gap_j with gap_j the
    distance of L_j to the nearest other eigenvalue. Gradients: "perturb"."""
    if g is not None:
        return "perturb"
    L, V = torch.linalg.eigh(xs[0], UPLO=a["uplo"])
    nrm = L.abs().amax(-1, keepdim=True) if L.shape[-1] else L
    if L.shape[-1] > 1:
        d = (L.unsqueeze(-1) - L.unsqueeze(-2)).abs()
        d = d + torch.diag_embed(torch.full_like(L, float("inf")))
        gap = d.amin(-2)
    else:
        gap = torch.full_like(L, float("inf"))
    return "perturb", [nrm.expand_as(L), (nrm / gap).unsqueeze(-2).expand_as(V)]


add("l2_linalg_eigh", "T:TsP", g_eigh(False), _eigh_ref, _eigh_call,
    tol="accumulating", family="decomp", mag=mag_eigh, outputs=2)
REGISTRY["l2_linalg_eigh"].pieces = True
def mag_eigvalsh(xs, a, g):
    """An eigenvalue moves by about eps ||A||; the gradient V diag(gL) V^T sums the terms
    |V_il gL_l V_jl| (it cancels to ~0 off the diagonal)."""
    L, V = torch.linalg.eigh(xs[0], UPLO=a["uplo"])
    if g is None:
        nrm = L.abs().amax(-1, keepdim=True) if L.shape[-1] else L
        return "perturb", [nrm.expand_as(L)]
    return "perturb", [(V.abs() * g.abs().unsqueeze(-2)) @ V.abs().transpose(-2, -1)]


add("l2_linalg_eigvalsh", "T:Ts", g_eigh(True),
    lambda ts, a: torch.linalg.eigvalsh(ts[0], UPLO=a["uplo"]),
    lambda f, xs, a: f(xs[0], a["uplo"].encode()),
    tol="accumulating", family="decomp", mag=mag_eigvalsh)
