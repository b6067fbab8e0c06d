"""reg_norm.py: the oracle registry's entries for issue 15, area lsqnorm (libl2/ops/linalg-lstsq.c,
linalg-norm.c): cholesky_solve, linalg_vector_norm, linalg_matrix_norm, linalg_norm and
linalg_lstsq. registry.py imports this module at its end.

Factors and matrices come from gen.py's "sqmat:<class>:N" value kinds (reg_lapack.py): a "well"
matrix (uniform(-1, 1) + N I) is a well-conditioned triangular factor in either triangle.
Tolerances: "accumulating" with "perturb" magnitudes (each output's sensitivity to relative
perturbations of the inputs: the condition-number scaling of a solve)."""
import ctypes as C
import math

import torch

from l2lib import i32a
from mags import _sum_to
from registry import T, _vk, add
from reg_lapack import _ALL, _KEEP, _SIZES, _batch


def mag_chol(xs, a, g):
    """Magnitudes of cholesky_solve: the perturbation sensitivity plus n times the componentwise
    bound of a Cholesky solve, E(X) = |A^-1| (|L| |L^T| |X| + |B|); for the gradients the same
    bound of dB = cholesky_solve(g, L) and the terms of dL = -(dB X^T + X dB^T) L with each
    factor widened by its bound (an ill-conditioned factor's float64 gradient cancels there)."""
    try:
        B, L = xs[0].detach().double(), xs[1].detach().double()
        up = a["upper"]
        F = L.triu() if up else L.tril()
        n = L.shape[-1]
        FF = F.abs().mT @ F.abs() if up else F.abs() @ F.abs().mT
        A = F.mT @ F if up else F @ F.mT
        Ai = torch.linalg.inv(A).abs()
        X = torch.cholesky_solve(B, L, upper=up)
        EX = n * (Ai @ (FF @ X.abs() + B.abs()))
        if g is None:
            return ("perturb", [EX])
        g = g.double()
        gB = torch.cholesky_solve(g, L, upper=up)
        EgB = n * (Ai @ (FF @ gB.abs() + g.abs()))
        Xw, gw = X.abs() + EX, gB.abs() + EgB
        T = gw @ Xw.mT + Xw @ gw.mT
        EL = F.abs() @ T if up else T @ F.abs()
        return ("perturb", [_sum_to(EgB, B.shape), _sum_to(EL, L.shape)])
    except Exception:
        return "perturb"


def g_cholesky_solve(d, dt):
    r = d.int(0, 15)
    if r == 0:  # a 1-d B or L, or a non-square L (torch raises)
        bad = d.choice([((3,), (3, 3)), ((3, 2), (3,)), ((3, 2), (3, 4)), ((2, 3, 2), (3, 3, 3))])
        return {"inputs": [d.tensor(bad[0], dt, "normal"), d.tensor(bad[1], dt, "normal")],
                "args": {"upper": False}}
    n = d.choice(_SIZES)
    lb = _batch(d)
    k = d.choice([1, 2, 3, 0])
    bb = lb
    if lb and d.bool():  # batch dims broadcast against L's
        bb = tuple(1 if d.bool() else s for s in lb)[d.int(0, len(lb)):]
    elif d.int(0, 3) == 0:
        bb = (2,) + tuple(1 for _ in lb) if len(lb) < 2 else lb
    bn = n + 1 if r == 1 else n  # B's rows do not match (torch raises)
    bdt = dt if r != 2 else ("float64" if dt == "float32" else "float32")  # torch raises
    cls = "ill" if r == 3 else "well"
    lay = d.pick("layout_L", _ALL if not d.int(0, 7) else _KEEP)
    L = d.tensor(lb + (n, n), dt, "sqmat:%s:%d" % (cls, n), layout=lay)
    B = d.tensor(bb + (bn, k), bdt, _vk(d, "normal", bdt, acc=True))
    return {"inputs": [B, L], "args": {"upper": d.bool()}}


add("l2_cholesky_solve", "T:TTb", g_cholesky_solve,
    lambda ts, a: torch.cholesky_solve(ts[0], ts[1], upper=a["upper"]),
    lambda f, xs, a: f(xs[0], xs[1], a["upper"]), tol="accumulating", family="lsqnorm",
    mag=mag_chol)


# ---- norms ------------------------------------------------------------------------------------

_VORDS = [2.0, 1.0, 0.0, math.inf, -math.inf, 3.0, 0.5, 1.5, -1.0, -0.5, 4.0]


def _norm_values(d, dt):
    """Mostly normal values (special ones now and then); ties and exact zeros (small integers,
    halves) in one case of four: the inf norms' ties, the subgradients at 0."""
    r = d.int(0, 7)
    if r < 2:
        return d.choice(["ties", "halves"])
    return _vk(d, "normal", dt, "wide", acc=True)


def g_vector_norm(d, dt):
    s = d.shape()
    dims = d.dims(len(s))
    r = d.int(0, 24)
    if r == 0:  # out of range (torch raises)
        dims = dims + [len(s) + 1]
    elif r == 1 and dims:  # repeated (torch raises)
        dims = dims + [dims[0] - len(s) if dims[0] >= 0 else dims[0] + len(s)]
    return {"inputs": [d.tensor(s, dt, _norm_values(d, dt))],
            "args": {"ord": d.choice(_VORDS), "dims": dims, "keepdim": d.bool(),
                     "null": not dims and d.bool()}}


def t_vector_norm(ts, a):
    return torch.linalg.vector_norm(ts[0], a["ord"], tuple(a["dims"]) or None, a["keepdim"])


add("l2_linalg_vector_norm", "T:TdIib", g_vector_norm, t_vector_norm,
    lambda f, xs, a: f(xs[0], a["ord"], None if a["null"] else i32a(a["dims"]), len(a["dims"]),
                       a["keepdim"]), tol="accumulating", family="lsqnorm")

_MORDS = [None, "fro", "1", "-1", "inf", "-inf", "nuc", "2", "-2"]


def _tord(o):
    """The torch order of a libl2 order text."""
    return None if o is None else o if o in ("fro", "nuc") else float(o)


def _mat_dims(d, nd):
    a = d.int(0, nd - 1)
    b = d.choice([x for x in range(nd) if x != a])
    return [a - nd if d.bool() else a, b - nd if d.bool() else b]


def g_matrix_norm(d, dt):
    r = d.int(0, 15)
    s = d.shape(min_dims=2, max_dims=4, max_side=6) if r else d.shape(max_dims=1)
    dims = _mat_dims(d, len(s)) if len(s) >= 2 and d.bool() else None
    if r == 1 and dims:  # equal dims (torch raises)
        dims = [dims[0], dims[0]]
    ords = _MORDS + (["3"] if r == 2 else [])
    return {"inputs": [d.tensor(s, dt, _norm_values(d, dt))],
            "args": {"ord": d.choice(ords), "dims": dims, "keepdim": d.bool()}}


def t_matrix_norm(ts, a):
    o = _tord(a["ord"])
    return torch.linalg.matrix_norm(ts[0], "fro" if o is None else o,
                                    tuple(a["dims"]) if a["dims"] else (-2, -1), a["keepdim"])


def _cstr(o):
    return None if o is None else o.encode()


add("l2_linalg_matrix_norm", "T:TsIb", g_matrix_norm, t_matrix_norm,
    lambda f, xs, a: f(xs[0], _cstr(a["ord"]), i32a(a["dims"]) if a["dims"] else None,
                       a["keepdim"]), tol="accumulating", family="lsqnorm")


def g_norm(d, dt):
    s = d.shape(max_dims=4, max_side=6)
    r = d.int(0, 3)
    dims = None
    if r == 1 and len(s) >= 1:
        dims = [d.dim(len(s))]
    elif r == 2 and len(s) >= 2:
        dims = _mat_dims(d, len(s))
    elif r == 3 and d.int(0, 3) == 0:  # three dims or none (torch raises)
        dims = [] if len(s) < 3 else [0, 1, 2]
    o = d.choice([None, None, "fro", "1", "-1", "inf", "-inf", "0", "3", "0.5", "2", "-2"])
    matrix = o in ("fro", "nuc") or (o is not None and (len(dims) == 2 if dims is not None
                                                        else len(s) == 2))
    return {"inputs": [d.tensor(s, dt, _norm_values(d, dt))],
            "args": {"ord": o, "dims": dims, "keepdim": d.bool()}}


add("l2_linalg_norm", "T:TsIib", g_norm,
    lambda ts, a: torch.linalg.norm(ts[0], _tord(a["ord"]),
                                    tuple(a["dims"]) if a["dims"] is not None else None,
                                    a["keepdim"]),
    lambda f, xs, a: f(xs[0], _cstr(a["ord"]), i32a(a["dims"]) if a["dims"] is not None else None,
                       len(a["dims"] or []), a["keepdim"]), tol="accumulating", family="lsqnorm")


# ---- lstsq ------------------------------------------------------------------------------------

def g_lstsq(d, dt):
    r = d.int(0, 15)
    if r == 0:  # a 1-d A, a 0-d B, or B of a higher rank (torch raises)
        bad = d.choice([((3,), (3,)), ((3, 2), ()), ((3, 2), (1, 1, 3, 2))])
        return {"inputs": [d.tensor(bad[0], dt, "normal"), d.tensor(bad[1], dt, "normal")],
                "args": {}}
    m, n = d.choice([0, 1, 2, 3, 5, 8]), d.choice([0, 1, 2, 3, 4, 7])
    ab = _batch(d)
    lay = d.pick("layout_A", _KEEP)
    A = d.tensor(ab + (m, n), dt, "normal", layout=lay)  # full rank (almost surely)
    vec = d.int(0, 3) == 0
    bm = m + 1 if r == 1 else m  # B's m does not match (torch raises)
    if vec:
        bs = ab + (bm,)
    else:
        bb = ab
        if ab and d.bool():  # the batch dims broadcast against A's
            bb = tuple(1 if d.bool() else s for s in ab)
        bs = bb + (bm, d.choice([1, 2, 3, 0]))
    bdt = dt if r != 2 else ("float64" if dt == "float32" else "float32")  # torch raises
    return {"inputs": [A, d.tensor(bs, bdt, _vk(d, "normal", bdt, acc=True))], "args": {}}


def _mag_lstsq_x(xs):
    """The solution's magnitude: its perturbation sensitivity plus max(m, n) times the first-order
    componentwise bound of a backward-stable least-squares solver (as solve's LU bound in
    reg_lapack.py), from dX = P (dB - dA X) + (A^T A)^-1 dA^T r (m >= n, r = B - A X) or
    + (I - P A) dA^T P^T X (m < n, the minimum-norm solution) with |dA| <= eps |A|,
    |dB| <= eps |B|: |P| (|B| + |A| |X|) + |(A^T A)^-1| |A|^T |r| or + |I - P A| |A|^T |P|^T |X|.
    Two correct float64 solvers (torch's gelsy and the reference's) of an ill-conditioned or
    underdetermined system differ by about that much; the rank gets none."""
    try:
        A, B = xs[0].detach().double(), xs[1].detach().double()
        vec = B.dim() == A.dim() - 1
        Bm = B.unsqueeze(-1) if vec else B
        P = torch.linalg.pinv(A)
        X = P @ Bm
        m, n = A.shape[-2:]
        Aa, Pa = A.abs(), P.abs()
        e = Pa @ (Bm.abs() + Aa @ X.abs())
        if m >= n:
            e = e + torch.linalg.pinv(A.mT @ A).abs() @ (Aa.mT @ (Bm - A @ X).abs())
        else:
            ipa = torch.eye(n, dtype=A.dtype) - P @ A
            e = e + ipa.abs() @ (Aa.mT @ (Pa.mT @ X.abs()))
        e = max(m, n, 1) * (e.squeeze(-1) if vec else e)
        if not bool(torch.isfinite(e).all()):
            return "perturb"
        return ("perturb", [e, None])
    except Exception:
        return "perturb"


def mag_lstsq(xs, a, g):
    """The solution's sensitivity plus, for its gradients, the terms of the formulas (l2.h)
    with magnitudes, dB and X widened by their solves' componentwise bounds: |P^T| |dX| for dB, |dB| |X^T| + |B - A X| |P dB|^T (m >= n) or
    |P^T| |X| (|dX| + |P A| |dX|)^T (m < n) for dA, P the pseudo-inverse."""
    if g is None:
        return _mag_lstsq_x(xs)
    try:
        A, B = xs[0].detach().double(), xs[1].detach().double()
        vec = B.dim() == A.dim() - 1
        Bm = B.unsqueeze(-1) if vec else B
        gm = g.double().unsqueeze(-1) if vec else g.double()
        P = torch.linalg.pinv(A)
        X = P @ Bm
        m, n = A.shape[-2:]
        gB = P.abs().mT @ gm.abs()
        # each factor widened by its solver's componentwise bound (as mag_chol): dB = P^T dX
        # is a solve with A^T, X one with A (an ill-conditioned A's gradients cancel there)
        Pa, Aa = P.abs(), A.abs()
        gB = gB + Pa.mT @ (gm.abs() + Aa.mT @ gB)
        Xa = X.abs() + Pa @ (Bm.abs() + Aa @ X.abs())
        if m >= n:
            gA = gB @ Xa.mT + (Bm.abs() + Aa @ Xa) @ (Pa @ gB).mT
        else:
            gA = gB @ Xa.mT + (Pa.mT @ Xa) @ (gm.abs() + (Pa @ Aa) @ gm.abs()).mT
        k = max(m, n, 1)
        gB = gB.squeeze(-1) if vec else gB
        return ("perturb", [k * _sum_to(gA, A.shape), k * _sum_to(gB, B.shape)])
    except Exception:
        return "perturb"


def c_lstsq(f, xs, a):
    rk = T()
    x = f(xs[0], xs[1], float("nan"), None, C.byref(rk))
    return (x, rk.value) if x else None


# outputs: the solution and the gelsy rank (torch's residuals and singular values are empty)
def t_lstsq(ts, a):
    """torch's solution and rank; a vector B (one dim fewer than A) through the matrix case,
    the same values, because torch 1.13's backward raises for vector B (l2.h)."""
    A, B = ts
    vec = B.dim() == A.dim() - 1
    r = torch.linalg.lstsq(A, B.unsqueeze(-1) if vec else B)
    return (r.solution.squeeze(-1) if vec else r.solution), r.rank


add("l2_linalg_lstsq", "T:TTdsP", g_lstsq, t_lstsq, c_lstsq, tol="accumulating",
    family="lsqnorm", mag=mag_lstsq, outputs=2)

