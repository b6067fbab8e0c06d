"""reg_scan.py: the oracle registry's entries for the reductions and scans of issue 14 (area
scan; libl2/ops/reduce3.c, scan.c). registry.py imports this module at its end. (The entries of
amax .. std_mean were first drafted, uncommitted, by the sort helper in reg_sort.py.)"""
import ctypes as C

import torch

import mags
from registry import ALL, REGISTRY, T, _other_dt, _vk, add, alldims, g_reduce_dims, i32a
from registry import with_out
from reg_reduce import g_var, t_var



def _dim(d, s):
    """A dim of shape s; one case in 25 out of range (error parity)."""
    return d.dim(len(s)) if d.int(0, 24) else len(s) + 1


# ---- amax, amin, aminmax (reduce3.c) -------------------------------------------------

def g_ext_dims(d, dt):
    r = g_reduce_dims(d.choice(["uniform", "ties"]))(d, dt)
    return r


# a tie of -0.0 and 0.0 may give either zero (torch's order of visits differs): unsigned
for _nm, _fn in (("amax", torch.amax), ("amin", torch.amin)):
    add("l2_" + _nm, "T:TiIb", g_ext_dims,
        (lambda fn: lambda ts, a: fn(ts[0], alldims(ts[0], a["dims"]), a["keepdim"]))(_fn),
        lambda f, xs, a: f(xs[0], len(a["dims"]), i32a(a["dims"]), a["keepdim"]),
        tol="exact_unsigned", dtypes=ALL, family="scan")


def g_aminmax(d, dt):
    s = d.shape()
    dim = None if d.int(0, 2) == 0 else _dim(d, s)
    # a 0-d input along dim 0 with keepdim: torch 1.13 resizes its results to (1,) (known.py
    # aminmax-0d-keepdim): drawn in one such case in ten
    kd = d.bool() and (s != () or dim is None or d.int(0, 9) == 0)
    return {"inputs": [d.tensor(s, dt, _vk(d, d.choice(["uniform", "ties"]), dt, "wide"))],
            "args": {"dim": dim, "keepdim": kd}}


def c_aminmax(f, xs, a):
    mx = T()
    v = f(xs[0], None if a["dim"] is None else i32a([a["dim"]]), a["keepdim"], C.byref(mx))
    return (v, mx.value) if v else None


# torch 1.13 has no aminmax gradient (its backward raises: nothing to compare)
add("l2_aminmax", "T:TIbP", g_aminmax,
    lambda ts, a: tuple(torch.aminmax(ts[0], dim=a["dim"], keepdim=a["keepdim"])), c_aminmax,
    tol="exact_unsigned", dtypes=ALL, family="scan", outputs=2)


# ---- nansum, nanmean, count_nonzero, var_mean, std_mean ------------------------------------

def g_nan_dims(d, dt):
    r = g_reduce_dims()(d, dt)
    if dt in ("float32", "float64") and d.int(0, 2) == 0:  # NaN in a third of the cases
        r["inputs"][0]["values"] = "special"
    return r


_dims = lambda f, xs, a: f(xs[0], len(a["dims"]), i32a(a["dims"]), a["keepdim"])  # noqa: E731
add("l2_nansum", "T:TiIb", g_nan_dims,
    lambda ts, a: torch.nansum(ts[0], alldims(ts[0], a["dims"]), a["keepdim"]), _dims,
    tol="accumulating", dtypes=ALL, family="scan")
add("l2_nanmean", "T:TiIb", g_nan_dims,
    lambda ts, a: torch.nanmean(ts[0], alldims(ts[0], a["dims"]), a["keepdim"]), _dims,
    tol="accumulating", family="scan")


def g_count(d, dt):
    r = g_reduce_dims("ties")(d, dt)
    del r["args"]["keepdim"]
    return r


add("l2_count_nonzero", "T:TiI", g_count,
    lambda ts, a: torch.count_nonzero(ts[0], alldims(ts[0], a["dims"])),
    lambda f, xs, a: f(xs[0], len(a["dims"]), i32a(a["dims"])), tol="exact", dtypes=ALL,
    family="scan")


def _var_mag(std):
    """var's magnitudes (mags.var) for output 0; the mean's (output 1) by perturbation."""
    inner = mags.var(std)

    def mag(xs, a, g):
        r = inner(xs, a, g)
        if g is None and isinstance(r, tuple):
            return r[0], list(r[1]) + [None]
        return r
    return mag


_vm = with_out(lambda f, xs, a, p: f(xs[0], len(a["dims"]), i32a(a["dims"]), a["correction"],
                                      a["keepdim"], p))
for _nm, _fn, _std in (("var_mean", torch.var_mean, False), ("std_mean", torch.std_mean, True)):
    add("l2_" + _nm, "T:TiIdbP", g_var, (lambda fn: lambda ts, a: tuple(t_var(fn)(ts, a)))(_fn),
        _vm, tol="accumulating", family="scan", outputs=2)
    REGISTRY["l2_" + _nm].mag = _var_mag(_std)


# ---- cumprod, cummax, cummin, logcumsumexp (scan.c) ----------------------------------------

def g_scan(kinds, stress=None, ext=False):
    """ext (cummax, cummin): torch 1.13 accepts any dim for a 0-d or empty input but its
    backward then raises IndexError: those inputs get dims in range."""
    def gen(d, dt):
        s = d.shape()
        dim = _dim(d, s)
        if ext and (not s or 0 in s):
            dim = d.dim(len(s))
        return {"inputs": [d.tensor(s, dt, _vk(d, d.choice(kinds), dt, stress))],
                "args": {"dim": dim}}
    return gen


_scan = lambda f, xs, a: f(xs[0], a["dim"])  # noqa: E731
# cumprod: zeros ("ties": 0, 1, 2) exercise the gradient's cases with zeros
add("l2_cumprod", "T:Ti", g_scan(["uniform", "ties", "normal"]),
    lambda ts, a: torch.cumprod(ts[0], a["dim"]), _scan, tol="accumulating", dtypes=ALL,
    family="scan")
for _nm, _fn in (("cummax", torch.cummax), ("cummin", torch.cummin)):
    add("l2_" + _nm, "T:TiP", g_scan(["uniform", "ties", "normal"], "wide", True),
        (lambda fn: lambda ts, a: tuple(fn(ts[0], a["dim"])))(_fn),
        with_out(lambda f, xs, a, p: f(xs[0], a["dim"], p)), tol="exact", dtypes=ALL,
        family="scan", outputs=2)


def _lcse_mag(xs, a, g):
    """logcumsumexp: the output by perturbation; the gradient sum_{k >= j} g_k exp(x_j - y_k)
    cancels (torch takes it as a difference of its positive and negative parts): its terms'
    magnitudes sum_{k >= j} |g_k| exp(x_j - y_k), by a reverse logcumsumexp, times the size of
    the exponents' arguments (1 + |x_j| + max_k |y_k|): float64 rounds x_j - y_k to eps times
    that, and torch's float64 reference (Sleef's log and exp) is no closer than that."""
    if g is None:
        return "perturb"
    x = xs[0]
    if x.dim() == 0:
        return [g.abs()]
    d = a["dim"]
    y = torch.logcumsumexp(x, d)
    rev = torch.logcumsumexp((g.abs().log() - y).flip(d), d).flip(d)
    def fin(t):  # |t| where finite (an infinite y_k's terms are 0), else 0
        return torch.where(torch.isfinite(t), t.abs(), torch.zeros_like(t))
    return [torch.exp(rev + x) * (1 + fin(x) + fin(y).amax(d, keepdim=True))]


add("l2_logcumsumexp", "T:Ti", g_scan(["uniform", "normal", "ties"], "wide"),
    lambda ts, a: torch.logcumsumexp(ts[0], a["dim"]), _scan, tol="accumulating",
    family="scan", mag=_lcse_mag)


# ---- searchsorted, bucketize (search.c) ----------------------------------------------------

# layouts in which no two logical elements share memory: sorted rows stay sorted
NOREPEAT = ("contiguous", "transposed", "permuted", "stepped", "offset", "nan_gap", "mixed")


def g_search(d, dt):
    """Boundaries sorted along the last dim (NaN last) or, with a sorter, in any order with a
    random in-range sorter (libl2 and torch run the same binary search: any order compares);
    values of the boundaries' dtype or, in one case of six, another (promotion); one case in 25
    with mismatched leading dims (error parity)."""
    vs = d.shape()
    m = d.int(0, 9)
    ss = (m,) if d.int(0, 1) == 0 or not vs else tuple(vs[:-1]) + (m,)
    if len(ss) > 1 and d.int(0, 24) == 0:
        ss = (ss[0] + 1,) + ss[1:]
    sorter = d.int(0, 3) == 0
    kind = _vk(d, d.choice(["uniform", "ties", "normal"]), dt, "wide")
    ins = [d.tensor(ss, dt, kind if sorter else "sorted:" + kind, layout=d.choice(NOREPEAT)),
           d.tensor(vs, _other_dt(d, dt), _vk(d, d.choice(["uniform", "ties"]), dt, "wide"))]
    if sorter:
        ins.append(d.tensor(ss, "int64", "randint:0:%d" % max(m, 1)))
    return {"inputs": ins, "args": {"right": d.bool(), "sorter": sorter}}


def t_search(ts, a):
    return torch.searchsorted(ts[0], ts[1], right=a["right"],
                              sorter=ts[2] if a["sorter"] else None)


add("l2_searchsorted", "T:TTbT", g_search, t_search,
    lambda f, xs, a: f(xs[0], xs[1], a["right"], xs[2] if a["sorter"] else None),
    tol="exact", dtypes=ALL, family="scan")


def g_bucketize(d, dt):
    vs = d.shape()
    bs = (d.int(0, 9),) if d.int(0, 24) else (2, d.int(0, 4))
    kind = _vk(d, d.choice(["uniform", "ties", "normal"]), dt, "wide")
    return {"inputs": [d.tensor(vs, _other_dt(d, dt), _vk(d, "uniform", dt, "wide")),
                       d.tensor(bs, dt, "sorted:" + kind, layout=d.choice(NOREPEAT))],
            "args": {"right": d.bool()}}


add("l2_bucketize", "T:TTb", g_bucketize,
    lambda ts, a: torch.bucketize(ts[0], ts[1], right=a["right"]),
    lambda f, xs, a: f(xs[0], xs[1], a["right"]), tol="exact", dtypes=ALL, family="scan")
