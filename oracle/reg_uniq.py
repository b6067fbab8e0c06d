"""reg_uniq.py: the oracle registry's entries for scatter, scatter_value and scatter_reduce
(libl2/ops/scatter.c) and unique, unique_consecutive (unique.c), issue 14 area uniq.
registry.py imports this module at its end.

scatter draws indices distinct along dim ("dimperm:" values, in layouts that repeat no
element): with a repeated position torch leaves the winner unspecified. scatter_reduce draws
repeated positions freely (its result does not depend on the winner); its float cases have src
of the index's shape (torch 1.13's src gradient is wrong or fails otherwise; libl2's is zero at
the src elements the index does not reach)."""
import math

import torch

from registry import ALL, NUM, _vk, add

# layouts in which no two logical elements share memory (expanded and overlap repeat values)
NOREPEAT = ("contiguous", "transposed", "permuted", "stepped", "offset", "nan_gap", "mixed")


def _scatter_case(d, dt, distinct, with_src=True):
    """t, index (and src) of one rank with torch's shape rules; one case in 25 with an index
    out of range."""
    s = d.shape(max_numel=4096)
    if not s:  # 0-d: one position
        ins = [d.tensor((), dt), d.tensor(d.choice([(), (1,)]), "int64", "randint:0:1")]
        if with_src:
            ins.append(d.tensor(d.choice([(), (1,)]), dt))
        return ins, d.dim(0)
    dim = d.dim(len(s))
    dd = dim % len(s)
    bad = d.int(0, 24) == 0
    src = [n + (d.int(0, 2) if d.int(0, 3) == 0 else 0) for n in s]
    ish = [d.int(0, n) if d.int(0, 2) == 0 else n for n in s]
    if distinct:
        ish[dd] = min(ish[dd], s[dd])
    else:
        ish[dd] = d.int(0, src[dd] + 2) if s[dd] else 0
        src[dd] = max(src[dd], ish[dd])
    if 0 in ish or s[dd] == 0:
        vals = "randint:0:%d" % max(s[dd], 1)
    elif bad:
        vals = "randint:%d:%d" % (-1 if d.bool() else 0, s[dd] + 1)
    elif distinct:
        vals = "dimperm:%d:%d:%d" % (s[dd], ish[dd], math.prod(ish[dd + 1:]))
    else:
        vals = "randint:0:%d" % s[dd]
    kind = _vk(d, d.choice(["uniform", "ties"]), dt)
    ins = [d.tensor(s, dt, kind),
           d.tensor(tuple(ish), "int64", vals, layout=d.choice(NOREPEAT))]
    if with_src:
        ins.append(d.tensor(tuple(src), dt, kind))
    return ins, dim


def g_scatter(d, dt):
    ins, dim = _scatter_case(d, dt, True)
    return {"inputs": ins, "args": {"dim": dim}}


add("l2_scatter", "T:TiTT", g_scatter,
    lambda ts, a: torch.scatter(ts[0], a["dim"], ts[1], ts[2]),
    lambda f, xs, a: f(xs[0], a["dim"], xs[1], xs[2]), tol="exact", dtypes=ALL,
    diff=(0, 2), family="index")


def g_scatter_value(d, dt):
    ins, dim = _scatter_case(d, dt, False, with_src=False)
    v = d.choice([0.0, 1.0, -2.5, 3.0]) if dt != "bool" else float(d.int(0, 1))
    if dt == "int64":
        v = float(int(v))
    return {"inputs": ins, "args": {"dim": dim, "value": v}}


add("l2_scatter_value", "T:TiTd", g_scatter_value,
    lambda ts, a: torch.scatter(ts[0], a["dim"], ts[1], a["value"]),
    lambda f, xs, a: f(xs[0], a["dim"], xs[1], a["value"]), tol="exact", dtypes=ALL,
    diff=(0,), family="index")

REDUCE = ("sum", "prod", "mean", "amax", "amin")


def g_scatter_reduce(d, dt):
    ins, dim = _scatter_case(d, dt, False)
    if dt in ("float32", "float64") and ins[2]["shape"] != ins[1]["shape"]:
        # torch 1.13's backward fails (sum, mean) or broadcasts dy over src (prod, amax,
        # amin) when src is larger than the index: floats get src of the index's shape
        ins[2] = d.tensor(tuple(ins[1]["shape"]), dt, ins[2]["values"])
    return {"inputs": ins, "args": {"dim": dim, "reduce": d.int(0, 4),
                                    "include_self": d.bool()}}


def t_scatter_reduce(ts, a):
    return torch.scatter_reduce(ts[0], a["dim"], ts[1], ts[2], REDUCE[a["reduce"]],
                                include_self=a["include_self"])


add("l2_scatter_reduce", "T:TiTTib", g_scatter_reduce, t_scatter_reduce,
    lambda f, xs, a: f(xs[0], a["dim"], xs[1], xs[2], a["reduce"], a["include_self"]),
    tol="accumulating", dtypes=NUM, diff=(0, 2), family="index")


# ---- unique, unique_consecutive (libl2/ops/unique.c) ----------------------------------------
# Values: many ties; no NaN for unique (torch 1.13's sorted kernel mis-orders and mis-counts NaN,
# libl2 counts each NaN once: tests/test-uniq.c) nor for the dim forms (torch orders slices
# holding NaN by comparisons that NaN breaks); unique_consecutive (==, each NaN apart, as
# torch) gets NaN too. sorted=False is compared with torch's sorted result (torch's CPU kernel
# then returns a hash order, which torch leaves open). -0.0 and 0.0 are one value, either may
# be kept: the sign of zero is not compared. Results never require grad (nograd).

def _uq_values(d, dt, nan):
    if dt == "bool":
        return "uniform"
    r = d.int(0, 11)
    if nan and r == 0:
        return "special"
    if r == 1 and dt != "int64":
        return "halves"
    return "ties" if r < 9 else "uniform"


def g_unique(dim, nan):
    def gen(d, dt):
        s = d.shape()
        a = {"sorted": d.bool(), "inverse": d.bool(), "counts": d.bool()}
        if dim:
            a["dim"] = d.dim(len(s)) if d.int(0, 24) else len(s) + 1
        return {"inputs": [d.tensor(s, dt, _uq_values(d, dt, nan))], "args": a}
    return gen


def _uq_call(form):
    """A libl2 call with inverse/counts out-arguments: (values[, inverse][, counts]) or None."""
    import ctypes as C
    from registry import T

    def c(f, xs, a):
        inv, cnt = T(), T()
        pi = C.byref(inv) if a["inverse"] else None
        pc = C.byref(cnt) if a["counts"] else None
        if form == "unique":
            v = f(xs[0], a["sorted"], pi, pc)
        elif form == "unique_dim":
            v = f(xs[0], a["dim"], a["sorted"], pi, pc)
        elif form == "consecutive":
            v = f(xs[0], pi, pc)
        else:
            v = f(xs[0], a["dim"], pi, pc)
        if not v:
            return None
        return (v,) + ((inv.value,) if a["inverse"] else ()) + ((cnt.value,) if a["counts"]
                                                                 else ())
    return c


def _tuple(r):
    return tuple(r) if isinstance(r, tuple) else (r,)


def t_unique(ts, a):
    kw = {"return_inverse": a["inverse"], "return_counts": a["counts"]}
    if "dim" in a:
        kw["dim"] = a["dim"]
    return _tuple(torch.unique(ts[0].detach(), sorted=True, **kw))


def t_unique_consecutive(ts, a):
    kw = {"return_inverse": a["inverse"], "return_counts": a["counts"]}
    if "dim" in a:
        kw["dim"] = a["dim"]
    return _tuple(torch.unique_consecutive(ts[0].detach(), **kw))


add("l2_unique", "T:TbPP", g_unique(False, False), t_unique, _uq_call("unique"),
    tol="exact_unsigned", dtypes=ALL, family="index", outputs=3, nograd=True)
add("l2_unique_dim", "T:TibPP", g_unique(True, False), t_unique, _uq_call("unique_dim"),
    tol="exact_unsigned", dtypes=ALL, family="index", outputs=3, nograd=True)
add("l2_unique_consecutive", "T:TPP", g_unique(False, True), t_unique_consecutive,
    _uq_call("consecutive"), tol="exact_unsigned", dtypes=ALL, family="index", outputs=3,
    nograd=True)
add("l2_unique_consecutive_dim", "T:TiPP", g_unique(True, True), t_unique_consecutive,
    _uq_call("consecutive_dim"), tol="exact_unsigned", dtypes=ALL, family="index", outputs=3,
    nograd=True)
