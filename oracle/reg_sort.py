"""reg_sort.py: the oracle registry's entries for sorting, selection and scans (issue 14;
libl2/ops/sort.c, scan.c, search.c, sort-reduce.c). registry.py imports this module at its end.

Ties: libl2 sorts stably, so sort, argsort and msort are compared with torch's stable sort (any
values, ties included). Where torch's choice among equal elements is unspecified (topk,
kthvalue, median along a dim, mode), float inputs hold distinct values in layouts that repeat
no element (so the gradient, which follows the index, is comparable), and int64/bool inputs,
which have no gradient, hold ties: their indices are compared by the values they select
(check "argext"). tests/test-sort.c checks ties and NaN for what torch documents."""

import torch

from registry import ALL, NUM, _vk, add, with_out

# layouts in which no two logical elements share memory (expanded and overlap repeat values)
NOREPEAT = ("contiguous", "transposed", "permuted", "stepped", "offset", "nan_gap", "mixed")



def _dim(d, s):
    """A dim of shape s; one case in 25 out of range (error parity)."""
    return d.dim(len(s)) if d.int(0, 24) else len(s) + 1


def _any_values(d, dt):
    """Any values: ties, specials (NaN, +-inf, +-0) and wide ranges included."""
    return _vk(d, d.choice(["uniform", "ties", "normal"]), dt, "wide")


def _tensor_select(d, dt, s):
    """An input for the ops whose choice among ties is unspecified in torch: distinct values in a
    layout that repeats no element for floats; ties for int64 and bool (no gradient)."""
    if dt in ("float32", "float64"):
        return d.tensor(s, dt, "distinct", layout=d.choice(NOREPEAT))
    return d.tensor(s, dt, d.choice(["ties", "uniform", "distinct"]))


# ---- sort, argsort, msort ----------------------------------------------------------------

def g_sort(d, dt):
    s = d.shape()
    return {"inputs": [d.tensor(s, dt, _any_values(d, dt))],
            "args": {"dim": _dim(d, s), "descending": d.bool(), "stable": d.bool()}}


add("l2_sort", "T:TibbP", g_sort,
    lambda ts, a: tuple(torch.sort(ts[0], dim=a["dim"], descending=a["descending"],
                                   stable=True)),
    with_out(lambda f, xs, a, p: f(xs[0], a["dim"], a["descending"], a["stable"], p)),
    tol="exact", dtypes=ALL, family="sort", outputs=2)
add("l2_argsort", "T:Tibb", g_sort,
    lambda ts, a: torch.argsort(ts[0], dim=a["dim"], descending=a["descending"], stable=True),
    lambda f, xs, a: f(xs[0], a["dim"], a["descending"], a["stable"]), tol="exact",
    dtypes=ALL, family="sort")


def t_msort(ts, a):
    torch.msort(ts[0])  # torch's errors; its order of ties is open: compare with the stable one
    return torch.sort(ts[0], dim=0, stable=True)[0]


add("l2_msort", "T:T", lambda d, dt: {"inputs": [d.tensor(d.shape(), dt, _any_values(d, dt))],
                                      "args": {}},
    t_msort, tol="exact", dtypes=ALL, family="sort")


# ---- topk, kthvalue ----------------------------------------------------------------------

def g_topk(d, dt):
    s = d.shape()
    dim = _dim(d, s)
    n = s[dim] if s and -len(s) <= dim < len(s) else 1
    k = d.int(0, n) if d.int(0, 24) else d.choice([n + 1, -1])
    return {"inputs": [_tensor_select(d, dt, s)],
            "args": {"k": k, "dim": dim, "largest": d.bool(), "sorted": d.bool(),
                     "keepdim": True}}


add("l2_topk", "T:TlibbP", g_topk,
    lambda ts, a: tuple(torch.topk(ts[0], a["k"], a["dim"], a["largest"], True)),
    with_out(lambda f, xs, a, p: f(xs[0], a["k"], a["dim"], a["largest"], a["sorted"], p)),
    tol="exact", dtypes=NUM, family="sort", outputs=2, check="argext")


def g_kth(d, dt):
    s = d.shape()
    dim = _dim(d, s)
    n = s[dim] if s and -len(s) <= dim < len(s) else 1
    k = d.int(1, max(n, 1)) if d.int(0, 24) else d.choice([0, n + 1])
    return {"inputs": [_tensor_select(d, dt, s)],
            "args": {"k": k, "dim": dim, "keepdim": d.bool()}}


add("l2_kthvalue", "T:TlibP", g_kth,
    lambda ts, a: tuple(torch.kthvalue(ts[0], a["k"], a["dim"], a["keepdim"])),
    with_out(lambda f, xs, a, p: f(xs[0], a["k"], a["dim"], a["keepdim"], p)),
    tol="exact", dtypes=NUM, family="sort", outputs=2, check="argext")


# ---- median, mode ------------------------------------------------------------------------

# median of all elements: ties are fine (the value is unique, the gradient split evenly), but
# for a tie of -0.0 and 0.0 torch may return either zero: the sign of zero is not compared
add("l2_median", "T:T", lambda d, dt: {"inputs": [d.tensor(d.shape(), dt, _any_values(d, dt))],
                                       "args": {}},
    lambda ts, a: torch.median(ts[0]), tol="exact_unsigned", dtypes=NUM, family="sort")


def g_red1(d, dt):
    s = d.shape()
    return {"inputs": [_tensor_select(d, dt, s)],
            "args": {"dim": _dim(d, s), "keepdim": d.bool()}}


_red1 = with_out(lambda f, xs, a, p: f(xs[0], a["dim"], a["keepdim"], p))
# torch 1.13's median along a dim of stride 0 reads the wrong elements (known.py WORKAROUNDS
# median-dim-stride0): torch gets a contiguous copy, libl2 every layout
add("l2_median_dim", "T:TibP", g_red1,
    lambda ts, a: tuple(torch.median(ts[0].contiguous(), a["dim"], a["keepdim"])), _red1,
    tol="exact",
    dtypes=NUM, family="sort", outputs=2, check="argext")
# mode: floats distinct (the mode is the smallest value, at one index); int64 and bool ties
add("l2_mode", "T:TibP", g_red1,
    lambda ts, a: tuple(torch.mode(ts[0], a["dim"], a["keepdim"])), _red1, tol="exact",
    dtypes=ALL, family="sort", outputs=2, check="argext")
