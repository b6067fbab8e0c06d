"""reg_lapack.py: the oracle registry's entries for the LAPACK solvers of issue 15, area la1
(libl2/ops/linalg-solve.c): linalg_solve, linalg_inv, linalg_det, linalg_slogdet. registry.py
imports this module at its end.

Matrices come from gen.py's "sqmat:<class>:N" value kinds: mostly well-conditioned (uniform + N I),
a share ill-conditioned (Q diag(s) Q^T, cond 1e2..1e5) and singular ones (a zero row: an
exactly zero pivot, torch raises for solve and inv, det is 0). Tolerance: "accumulating" with
"perturb" magnitudes: every float input is scaled by 1 + h r (h = 2^-20) and the change of each
output element over h is its sensitivity, which for a solve is about cond(A) |x| (the
condition-number scaling; solve and inv add n |A^-1| (|A| |X| + |B|), LU's componentwise error
bound); the allowance is 16 eps (|ref| + magnitude) per element (x4 for gradients), plus, in
float32, twice torch float32's own error against torch float64."""
import torch

from registry import FLOATS, T, add
import ctypes as C

# layouts that keep a matrix's values (expanded and overlapping layouts repeat elements, which
# makes any matrix singular: they appear in one case of eight, judged by error parity)
_KEEP = ["contiguous", "transposed", "permuted", "stepped", "offset", "nan_gap", "mixed"]
_ALL = _KEEP + ["expanded", "overlap"]
_SIZES = [0, 1, 2, 3, 4, 5, 8, 17]


def _cls(d):
    r = d.int(0, 15)
    return "ill" if r < 3 else "singular" if r == 3 else "well"


def _batch(d):
    return tuple(d.shape(max_dims=2, max_side=3)) if d.int(0, 3) else ()


def _mat(d, dt, batch, n, cls=None):
    lay = d.pick("layout_A", _ALL if not d.int(0, 7) else _KEEP)
    return d.tensor(batch + (n, n), dt, "sqmat:%s:%d" % (cls or _cls(d), n), layout=lay)


def _bad_shape(d, dt):
    """A non-square or 1-d A (torch raises): one case of twelve."""
    s = d.choice([(3,), (2, 3), (4, 3, 2), (0, 2)])
    return d.tensor(s, dt, "normal")


def g_square_of(singular=True):
    def gen(d, dt):
        if not d.int(0, 11):
            return {"inputs": [_bad_shape(d, dt)], "args": {}}
        n = d.choice(_SIZES)
        cls = _cls(d)
        if cls == "singular" and not singular:
            cls = "well"
        return {"inputs": [_mat(d, dt, _batch(d), n, cls)], "args": {}}
    return gen


g_square = g_square_of()
# slogdet's gradient at a singular matrix is +-inf / NaN whose signs depend on the order of
# getrs's operations (torch's and libl2's differ): its singular forward is in the C test
g_square_nonsingular = g_square_of(False)


def mag_lu(kind):
    """Magnitudes of solve's and inv's results: the perturbation sensitivity plus n times the
    componentwise bound of LU with partial pivoting, |A^-1| (|A| |X| + |B|) (B = I for inv,
    whose |B| term is then dropped as |A^-1||A||A^-1| dominates): two correct float64 solvers
    of an ill-conditioned system differ by about that much. Gradients: sensitivity only."""
    def mag(xs, a, g):
        if g is not None:
            return "perturb"
        try:
            A = xs[0].detach()
            n = A.shape[-1]
            Ai = torch.linalg.inv(A).abs()
            if kind == "inv":
                e = Ai @ (A.abs() @ Ai)
            else:
                B = xs[1].detach()
                vec = B.dim() == 1 or (B.dim() == A.dim() - 1 and B.shape == A.shape[:-1])
                Bm = B.unsqueeze(-1) if vec else B
                X = torch.linalg.solve(A, Bm).abs()
                e = Ai @ (A.abs() @ X + Bm.abs())
                e = e.squeeze(-1) if vec else e
            return ("perturb", [n * e])
        except Exception:
            return "perturb"
    return mag


def g_solve(d, dt):
    n = d.choice(_SIZES)
    r = d.int(0, 11)
    if r == 0:
        return {"inputs": [_bad_shape(d, dt), d.tensor((3,), dt, "normal")], "args": {}}
    ab = _batch(d)
    A = _mat(d, dt, ab, n)
    if r == 1:  # B's n does not match (torch raises)
        return {"inputs": [A, d.tensor(ab + (n + 1, 2), dt, "normal")], "args": {}}
    kind = d.int(0, 3)
    if kind == 0:  # one vector
        bs = (n,)
    elif kind == 1:  # a batch of vectors shaped A.shape[:-1]
        bs = ab + (n,)
    else:  # matrices, the batch dims broadcast against A's
        k = d.choice([1, 2, 3, 0])
        bb = ab
        if d.bool() and ab:
            bb = tuple(1 if d.bool() else s for s in ab)[d.int(0, len(ab)):]
        elif d.bool():
            bb = (2,) + tuple(1 for _ in ab) if len(ab) < 2 else ab
        bs = bb + (n, k)
    bdt = dt if d.int(0, 15) else ("float64" if dt == "float32" else "float32")  # torch raises
    return {"inputs": [A, d.tensor(bs, bdt, "normal")], "args": {}}


def c_slogdet(f, xs, a):
    la = T()
    s = f(xs[0], C.byref(la))
    return (la.value, s) if s else None


add("l2_linalg_solve", "T:TT", g_solve, lambda ts, a: torch.linalg.solve(ts[0], ts[1]),
    tol="accumulating", family="lapack", mag=mag_lu("solve"))
add("l2_linalg_inv", "T:T", g_square, lambda ts, a: torch.linalg.inv(ts[0]),
    tol="accumulating", family="lapack", mag=mag_lu("inv"))
add("l2_linalg_det", "T:T", g_square, lambda ts, a: torch.linalg.det(ts[0]),
    tol="accumulating", family="lapack", mag="perturb")
# outputs reordered (logabsdet, sign): the upstream gradient goes to output 0, the
# differentiable one (libl2's sign does not require grad; torch's has a zero gradient)
add("l2_linalg_slogdet", "T:TP", g_square_nonsingular,
    lambda ts, a: tuple(reversed(torch.linalg.slogdet(ts[0]))), c_slogdet,
    tol="accumulating", family="lapack", mag="perturb", outputs=2)


def g_cholesky(d, dt):
    if not d.int(0, 11):
        return {"inputs": [_bad_shape(d, dt)], "args": {"upper": False}}
    n = d.choice(_SIZES)
    r = d.int(0, 7)
    # mostly symmetric positive-definite; "well" (diagonally dominant: its lower triangle's
    # mirror is positive-definite too) and indefinite "ill" ones (torch raises) now and then
    cls = "spd" if r < 5 else "well" if r == 5 else "ill"
    return {"inputs": [_mat(d, dt, _batch(d), n, cls)], "args": {"upper": d.bool()}}


add("l2_linalg_cholesky", "T:Tb", g_cholesky,
    lambda ts, a: torch.linalg.cholesky(ts[0], upper=a["upper"]),
    lambda f, xs, a: f(xs[0], a["upper"]), tol="accumulating", family="lapack", mag="perturb")
