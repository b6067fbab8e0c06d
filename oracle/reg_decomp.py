"""reg_decomp.py: the oracle registry's entries for the LAPACK decompositions of issue 15 (area
la2; libl2/ops/linalg-decomp.c): linalg_qr. registry.py imports this module at its end.

Inputs come from matgen.py's spectra ("mat:KIND:M:N"): well-conditioned matrices with distinct
singular values for the gradient cases, rank-deficient ones for the forward only. Every result
gets its own random upstream gradient (the pieces path of onecase.py), so the gradients of Q
and R are checked together. QR is unique once R's diagonal signs are fixed, and libl2 and torch
take them from the same LAPACK (geqrf): the factors are compared directly."""
import torch

from registry import REGISTRY, add, with_out


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
