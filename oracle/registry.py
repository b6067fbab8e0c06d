"""registry.py: one entry per public libl2 op: how to call it, its torch reference, its argument
generator, its tolerance class and its differentiable inputs.

An entry whose symbol the loaded library lacks is reported SKIP (its family is not merged yet);
coverage_missing() parses libl2/l2.h and names every declared op that has no entry here.

Generators take (d, dtype) with d a gen.py drawer and return {"inputs": [spec or None, ...],
"args": {...}}; torch callables take (tensors, args); l2 callables take (f, l2 tensors, args).
Tolerance classes: exact (data movement, ints, bools, comparisons, max/min), elementwise
(torch.testing defaults), accumulating (torch float64 as the precise reference, libl2's error at
most 4x torch float32's own), loose (transcendental compositions: elementwise x 4).
"""
import math
import re

import torch
import torch.nn.functional as F

from l2lib import i64a, i32a, tarr, T
import mags
import ctypes as C

FLOATS = ("float32", "float64")
NUM = ("float32", "float64", "int64")
ALL = ("float32", "float64", "int64", "bool")
INT64_MAX = 2**63 - 1
RED = {0: "none", 1: "mean", 2: "sum"}  # l2_reduction values


class Op:
    def __init__(self, name, sig, gen, ref, call=None, tol="elementwise", dtypes=FLOATS,
                 diff=None, family="core", inplace=None, view=False, check=None, mutates=(),
                 outputs=1, nograd=False, mag=None, threads_bitwise=None):
        self.name = name            # public symbol, e.g. "l2_add"
        self.sig = sig              # ctypes signature, "T:TT" (see l2lib._CT)
        self.gen = gen              # (drawer, dtype) -> {"inputs": [...], "args": {...}}
        self.ref = ref              # (torch tensors, args) -> tensor / tuple
        self.call = call or (lambda f, xs, a: f(*xs))
        self.tol = tol
        self.dtypes = dtypes
        self.diff = diff            # indices of differentiable inputs (None: every float input)
        self.family = family
        self.inplace = inplace      # index of the input written in place (returns a status)
        self.view = view            # result must share the storage of input 0 (as torch's)
        self.check = check          # custom property check instead of torch values (random ops)
        self.mutates = mutates      # inputs torch and libl2 both modify (separate buffers)
        self.outputs = outputs
        self.nograd = nograd
        self.mag = mag              # magnitude reference of the tolerances (compare.py), or None
        # the float64 reference formula (compare.precise), where torch's own float64 op is less
        # accurate than the tolerances assume (None: ref itself)
        self.ref64 = None
        # results at 1, 2 and 3 threads must agree bitwise, not only within the tolerance: the
        # op's order of operations does not depend on the thread count (default: every op but
        # the accumulating ones and the random ones)
        self.threads_bitwise = threads_bitwise if threads_bitwise is not None else (
            tol != "accumulating" and check != "dropout")


REGISTRY = {}


def add(name, *a, **k):
    assert name not in REGISTRY, name
    REGISTRY[name] = Op(name, *a, **k)


# ---- shared generators ------------------------------------------------------------------

def _vk(d, kind, dt=None, stress=None, acc=False):
    """Value kind: mostly kind; in one case of twelve each special values with inf and NaN,
    finite special values (+-0, huge, denormal), and in one of six the op's stress kind (wide
    ranges, near overflow, near 0) for floats or values near the int64 limits for int64."""
    r = d.int(0, 11)
    if r == 0:
        return "special"
    if r == 1:
        if dt == "int64":
            return "int_big"
        return "special_finite_acc" if acc else "special_finite"
    if r in (2, 3):
        if dt == "int64":
            return "int_big"
        if stress and dt != "bool":
            return stress
    return kind


def _other_dt(d, dt, p=6):
    """Mixed dtypes: in one case of p, another of float32, float64, int64, bool than dt."""
    if d.int(0, p - 1):
        return dt
    return d.choice([x for x in ALL if x != dt])


def g_unary(kind="uniform", stress="wide"):
    def gen(d, dt):
        # float ops also see int64 and bool inputs now and then (torch's dtype rules)
        xdt = _other_dt(d, dt, 8) if dt in FLOATS else dt
        return {"inputs": [d.tensor(d.shape(), xdt, _vk(d, kind, xdt, stress))], "args": {}}
    return gen


def g_unary_args(kind, stress="wide", **choices):
    def gen(d, dt):
        return {"inputs": [d.tensor(d.shape(), dt, _vk(d, kind, dt, stress))],
                "args": {k: d.choice(v) for k, v in choices.items()}}
    return gen


def _bad_pair(d):
    return d.choice([[(3,), (4,)], [(2, 3), (3, 2)], [(5, 1, 2), (4, 3)]])


def g_binary(ka="uniform", kb="uniform", dtb=None, stress="wide"):
    def gen(d, dt):
        shapes = _bad_pair(d) if d.int(0, 29) == 0 else d.bshapes(2)
        dts = [dt, dtb or dt]
        if dtb is None:  # mixed dtypes: one operand of another dtype, sometimes 0-d
            k = d.int(0, 1)
            dts[k] = _other_dt(d, dt, 4)
            if dts[k] != dt and d.int(0, 2) == 0:
                shapes = list(shapes)
                shapes[k] = ()
        # a foreign operand keeps the plain kind: torch 1.13 differentiates atan2, div... in the
        # operand's integer dtype (atan2's a * a wraps for a near 2^32)
        kinds = [_vk(d, k_, x, stress) if x == dt else k_ for k_, x in zip((ka, kb), dts)]
        return {"inputs": [d.tensor(shapes[0], dts[0], kinds[0]),
                           d.tensor(shapes[1], dts[1], kinds[1])],
                "args": {}}
    return gen


SCALARS = [2.5, -1.0, 0.0, 0.5, 3.0, -0.75, 1e-3]


def _num(s):
    """A number as libl2's tensor-number ops read it: an int when integral, else a float."""
    return int(s) if math.isfinite(s) and float(s).is_integer() else s


def g_scalar(kind="uniform", scalars=SCALARS):
    def gen(d, dt):
        return {"inputs": [d.tensor(d.shape(), dt, _vk(d, kind, dt, "wide"))],
                "args": {"s": d.choice(scalars)}}
    return gen


def g_reduce_dims(kind="uniform", min_numel=0, stress="wide"):
    def gen(d, dt):
        s = d.shape(min_side=min_numel and 1)
        dims = d.dims(len(s))
        if d.int(0, 24) == 0:
            dims = dims + [len(s) + 1]
        return {"inputs": [d.tensor(s, dt, _vk(d, kind, dt, stress, acc=True))],
                "args": {"dims": dims, "keepdim": d.bool()}}
    return gen


def g_reduce_dim(kind="uniform"):
    def gen(d, dt):
        s = d.shape()
        dim = d.dim(len(s)) if d.int(0, 24) else len(s) + 2
        return {"inputs": [d.tensor(s, dt, _vk(d, kind, dt, "wide", acc=True))],
                "args": {"dim": dim, "keepdim": d.bool()}}
    return gen


def alldims(t, dims):
    return tuple(dims) if dims else tuple(range(t.dim()))


# ---- core: views ------------------------------------------------------------------------

def _factor_shape(d, n):
    """A random shape with n elements (maybe with one -1)."""
    out = []
    rest = n
    while rest > 1 and len(out) < 4:
        fs = [f for f in range(2, rest + 1) if rest % f == 0]
        f = d.choice(fs)
        out.append(f)
        rest //= f
    if d.bool():
        out.append(1)
    if n == 0:
        out = [0] + [d.int(1, 3) for _ in range(d.int(0, 2))]
    out = out[::-1] if d.bool() else out
    if out and d.int(0, 2) == 0 and n > 0:
        out[d.int(0, len(out) - 1)] = -1
    if d.int(0, 24) == 0:
        out.append(2)  # wrong element count: error parity
    return out


def g_view(d, dt):
    s = d.shape()
    n = 1
    for x in s:
        n *= x
    return {"inputs": [d.tensor(s, dt, "uniform")], "args": {"shape": _factor_shape(d, n)}}


add("l2_view", "T:TiL", g_view, lambda ts, a: ts[0].view(a["shape"]),
    lambda f, xs, a: f(xs[0], len(a["shape"]), i64a(a["shape"])), tol="exact", dtypes=ALL,
    view=True)
add("l2_reshape", "T:TiL", g_view, lambda ts, a: ts[0].reshape(a["shape"]),
    lambda f, xs, a: f(xs[0], len(a["shape"]), i64a(a["shape"])), tol="exact", dtypes=ALL)


def g_permute(d, dt):
    s = d.shape()
    pool = list(range(len(s)))
    p = [pool.pop(d.int(0, len(pool) - 1)) for _ in range(len(s))]
    p = [x - len(s) if d.bool() else x for x in p]
    if len(p) >= 2 and d.int(0, 19) == 0:
        p[-1] = p[0]  # repeated dim: error parity
    return {"inputs": [d.tensor(s, dt)], "args": {"dims": p}}


add("l2_permute", "T:TI", g_permute, lambda ts, a: ts[0].permute(a["dims"]),
    lambda f, xs, a: f(xs[0], i32a(a["dims"])), tol="exact", dtypes=ALL, view=True)


def g_two_dims(d, dt):
    s = d.shape()
    return {"inputs": [d.tensor(s, dt)],
            "args": {"d0": d.dim(len(s)), "d1": d.dim(len(s)) if d.int(0, 19) else 7}}


add("l2_transpose", "T:Tii", g_two_dims, lambda ts, a: ts[0].transpose(a["d0"], a["d1"]),
    lambda f, xs, a: f(xs[0], a["d0"], a["d1"]), tol="exact", dtypes=ALL, view=True)
add("l2_t", "T:T", lambda d, dt: {"inputs": [d.tensor(d.shape(max_dims=3), dt)], "args": {}},
    lambda ts, a: ts[0].t(), tol="exact", dtypes=ALL, view=True)


def _endpoint(d, n):
    return d.choice([None, 0, d.int(-n - 3, n + 3), -1, n, n + 5, -n - 5, 1])


def g_slice(d, dt):
    s = d.shape(min_dims=0)
    step = d.choice([1, 1, 2, 3, 4, 5]) if d.int(0, 29) else d.choice([0, -1])
    dim = d.dim(len(s))
    n = s[dim] if s else 0
    return {"inputs": [d.tensor(s, dt)], "args": {"dim": dim, "start": _endpoint(d, n),
                                                  "stop": _endpoint(d, n), "step": step}}


def t_slice(ts, a):
    x = ts[0]
    dim = a["dim"] % max(x.dim(), 1)
    if x.dim() == 0:
        raise IndexError("slice of a 0-d tensor")
    idx = (slice(None),) * dim + (slice(a["start"], a["stop"], a["step"]),)
    return x[idx]


add("l2_slice", "T:Tilll", g_slice, t_slice,
    lambda f, xs, a: f(xs[0], a["dim"], 0 if a["start"] is None else a["start"],
                       INT64_MAX if a["stop"] is None else a["stop"], a["step"]),
    tol="exact", dtypes=ALL, view=True)


def _index_item(d, n):
    k = d.int(0, 9)
    if k <= 1:
        return str(d.int(-n - 1 if d.int(0, 9) == 0 else -max(n, 1), max(n, 1) - (
            0 if d.int(0, 9) == 0 else 1)))
    if k == 2:
        return "None"
    parts = []
    for _ in range(2):
        v = _endpoint(d, n)
        parts.append("" if v is None else str(v))
    if d.bool():
        st_ = d.choice([1, 2, 3, 5]) if d.int(0, 29) else d.choice([0, -1])
        return "%s:%s:%d" % (parts[0], parts[1], st_)
    return "%s:%s" % (parts[0], parts[1])


def g_index(d, dt):
    s = d.shape()
    items = []
    dims = list(s)
    ell = d.int(0, 3) == 0
    for i in range(d.int(0, len(s) + (1 if d.int(0, 9) == 0 else 0))):
        items.append(_index_item(d, dims[i] if i < len(dims) else 1))
    if ell:
        items.insert(d.int(0, len(items)), "...")
    spec_ = ", ".join(items)
    if d.int(0, 29) == 0:
        spec_ = d.choice(["1:2:3:4", "abc", "1,,2", "1.5"])
    return {"inputs": [d.tensor(s, dt)], "args": {"spec": spec_}}


def t_index(ts, a):
    x = ts[0]  # noqa: F841 (used by eval)
    if a["spec"].strip() == "":
        return x[()]
    return eval("x[" + a["spec"] + "]", {"x": x})


add("l2_index", "T:Ts", g_index, t_index, lambda f, xs, a: f(xs[0], a["spec"].encode()),
    tol="exact", dtypes=ALL, view=True)


def g_select(d, dt):
    s = d.shape()
    dim = d.dim(len(s))
    n = s[dim] if s else 1
    index = d.int(-n, n - 1) if n and d.int(0, 9) else d.choice([n, -n - 1, 2**40])
    return {"inputs": [d.tensor(s, dt)], "args": {"dim": dim, "index": index}}


add("l2_select", "T:Til", g_select, lambda ts, a: ts[0].select(a["dim"], a["index"]),
    lambda f, xs, a: f(xs[0], a["dim"], a["index"]), tol="exact", dtypes=ALL, view=True)


def g_narrow(d, dt):
    s = d.shape(min_dims=1)
    dim = d.dim(len(s))
    n = s[dim]
    start = d.int(-n, n) if d.int(0, 19) else n + 1
    length = d.int(0, max(0, n - (start % max(n, 1) if start < 0 else start))) if d.int(0, 19) \
        else n + 1
    return {"inputs": [d.tensor(s, dt)], "args": {"dim": dim, "start": start, "length": length}}


add("l2_narrow", "T:Till", g_narrow,
    lambda ts, a: ts[0].narrow(a["dim"], a["start"], a["length"]),
    lambda f, xs, a: f(xs[0], a["dim"], a["start"], a["length"]), tol="exact", dtypes=ALL,
    view=True)
add("l2_squeeze", "T:T", lambda d, dt: {"inputs": [d.tensor(d.shape(max_side=2), dt)],
                                        "args": {}},
    lambda ts, a: ts[0].squeeze(), tol="exact", dtypes=ALL, view=True)


def g_dim(extra=0, max_side=None):
    def gen(d, dt):
        s = d.shape(max_side=max_side)
        r = len(s) + extra
        dim = d.dim(r) if d.int(0, 19) else r + 1
        return {"inputs": [d.tensor(s, dt)], "args": {"dim": dim}}
    return gen


add("l2_squeeze_dim", "T:Ti", g_dim(0, 2), lambda ts, a: ts[0].squeeze(a["dim"]),
    lambda f, xs, a: f(xs[0], a["dim"]), tol="exact", dtypes=ALL, view=True)
add("l2_unsqueeze", "T:Ti", g_dim(1), lambda ts, a: ts[0].unsqueeze(a["dim"]),
    lambda f, xs, a: f(xs[0], a["dim"]), tol="exact", dtypes=ALL, view=True)


def g_expand(minus):
    def gen(d, dt):
        s = d.shape(max_side=4)
        lead = [d.int(0, 3) for _ in range(d.int(0, 2))]
        tgt = lead + [d.int(1, 4) if n == 1 and d.bool() else (-1 if minus and d.bool() else n)
                      for n in s]
        if d.int(0, 19) == 0 and tgt:
            tgt[-1] = 5 if tgt[-1] != 5 else 6
        return {"inputs": [d.tensor(s, dt)], "args": {"shape": tgt}}
    return gen


add("l2_expand", "T:TiL", g_expand(True), lambda ts, a: ts[0].expand(a["shape"]),
    lambda f, xs, a: f(xs[0], len(a["shape"]), i64a(a["shape"])), tol="exact", dtypes=ALL,
    view=True)
add("l2_broadcast_to", "T:TiL", g_expand(False),
    lambda ts, a: torch.broadcast_to(ts[0], a["shape"]),
    lambda f, xs, a: f(xs[0], len(a["shape"]), i64a(a["shape"])), tol="exact", dtypes=ALL,
    view=True)


def g_flatten(d, dt):
    s = d.shape()
    a, b = d.dim(len(s)), d.dim(len(s))
    return {"inputs": [d.tensor(s, dt)], "args": {"start": a, "end": b}}


add("l2_flatten", "T:Tii", g_flatten, lambda ts, a: ts[0].flatten(a["start"], a["end"]),
    lambda f, xs, a: f(xs[0], a["start"], a["end"]), tol="exact", dtypes=ALL)


def g_unflatten(d, dt):
    s = d.shape(min_dims=1)
    dim = d.dim(len(s))
    return {"inputs": [d.tensor(s, dt)],
            "args": {"dim": dim, "sizes": [x for x in _factor_shape(d, s[dim])] or [1]}}


add("l2_unflatten", "T:TiiL", g_unflatten, lambda ts, a: ts[0].unflatten(a["dim"], a["sizes"]),
    lambda f, xs, a: f(xs[0], a["dim"], len(a["sizes"]), i64a(a["sizes"])), tol="exact",
    dtypes=ALL, view=True)


def g_as_strided(d, dt):
    from l2lib import GUARD
    s = d.shape(max_side=5)
    x = d.tensor(s, dt)
    nd = d.int(0, 3)
    shape = [d.int(0 if d.int(0, 9) == 0 else 1, 4) for _ in range(nd)]
    strides = [d.int(0, 4) for _ in range(nd)]
    ext = sum((n - 1) * st_ for n, st_ in zip(shape, strides)) if all(shape) else 0
    room = x["storage"] - 1 - ext
    off = GUARD + (d.int(0, room) if room >= 0 else 0)
    if room < 0:
        shape = [1] * nd
    return {"inputs": [x], "args": {"shape": shape, "strides": strides, "offset": off}}


add("l2_as_strided", "T:TiLLl", g_as_strided,
    lambda ts, a: torch.as_strided(ts[0], a["shape"], a["strides"], a["offset"]),
    lambda f, xs, a: f(xs[0], len(a["shape"]), i64a(a["shape"]), i64a(a["strides"]),
                       a["offset"]), tol="exact", dtypes=ALL, view=True)
add("l2_detach", "T:T", lambda d, dt: {"inputs": [d.tensor(d.shape(), dt)], "args": {}},
    lambda ts, a: ts[0].detach(), tol="exact", dtypes=ALL, view=True, nograd=True)

# ---- core: copies -----------------------------------------------------------------------
add("l2_contiguous", "T:T", lambda d, dt: {"inputs": [d.tensor(d.shape(), dt)], "args": {}},
    lambda ts, a: ts[0].contiguous(), tol="exact", dtypes=ALL)
add("l2_clone", "T:T", lambda d, dt: {"inputs": [d.tensor(d.shape(), dt)], "args": {}},
    lambda ts, a: ts[0].clone(), tol="exact", dtypes=ALL)
DT_ENUM = {"float32": 0, "float64": 1, "int64": 2, "bool": 3}
add("l2_to_dtype", "T:Ti",
    lambda d, dt: {"inputs": [d.tensor(d.shape(), dt, d.choice(["uniform", "special",
                                                                 "small_int"]))],
                   "args": {"to": d.choice(ALL)}},
    lambda ts, a: ts[0].to(getattr(torch, a["to"])),
    lambda f, xs, a: f(xs[0], DT_ENUM[a["to"]]), tol="exact", dtypes=ALL, check="to_dtype")


def g_cat(stack):
    def gen(d, dt):
        s = d.shape(max_dims=3)
        n = d.int(1, 4)
        r = len(s) + (1 if stack else 0)
        dim = d.dim(r) if d.int(0, 19) else r + 1
        ins = []
        for k in range(n):
            sh = list(s)
            if not stack and sh:
                sh[dim % len(sh) if dim < r else 0] = d.int(0, 4)
            if not stack and d.int(0, 9) == 0:
                sh = [0]
            if d.int(0, 29) == 0 and sh:
                sh[0] += 1  # mismatch: error parity
            kdt = dt if d.int(0, 4) else d.choice(ALL)
            ins.append(d.tensor(sh, kdt))
        return {"inputs": ins, "args": {"dim": dim}}
    return gen


add("l2_cat", "T:iAi", g_cat(False), lambda ts, a: torch.cat(ts, a["dim"]),
    lambda f, xs, a: f(len(xs), tarr(xs), a["dim"]), tol="exact", dtypes=ALL)
add("l2_stack", "T:iAi", g_cat(True), lambda ts, a: torch.stack(ts, a["dim"]),
    lambda f, xs, a: f(len(xs), tarr(xs), a["dim"]), tol="exact", dtypes=ALL)


def g_copy(d, dt):
    s = d.shape()
    if d.int(0, 3):
        rng = d.rng()
        from gen import _bcast_reduce
        ss = _bcast_reduce(s, rng)
    else:
        ss = d.shape()
    return {"inputs": [d.tensor(s, dt, writable=True), d.tensor(ss, d.choice(ALL))], "args": {}}


def t_copy(ts, a):
    return ts[0].copy_(ts[1])


add("l2_copy_", "S:TT", g_copy, t_copy, tol="exact", dtypes=ALL, inplace=0)

# ---- elementwise ------------------------------------------------------------------------
E = "elementwise"


def _no_min_by_minus1(ts):
    """torch 1.13 dies of SIGFPE on int64 INT64_MIN fmod / remainder -1; the result is 0 (l2.h),
    as it is for 0 by -1: torch gets 0 in place of INT64_MIN there."""
    a, b = ts[0], ts[1]
    if a.dtype == torch.int64 and b.dtype == torch.int64:
        m = (a == -INT64_MAX - 1) & (b == -1)
        if m.any():  # only then: torch's own output layout stays for the layout check
            a, b = torch.broadcast_tensors(a, b)
            a = torch.where(m, torch.zeros_like(a), a)
    return a, b
def _pow_float_base(ts, a):
    """torch.pow with an integer base and a float exponent, the base given in the result's float
    dtype (the same forward values): torch 1.13's exponent gradient takes the integer base's log()
    in the default dtype, float32, even for a float64 result (a float32-precision gradient);
    libl2 computes it in the result's dtype."""
    x, b = ts[0], ts[1]
    rt = torch.result_type(x, b)
    if rt.is_floating_point and not x.is_floating_point() and x.dtype != torch.bool:
        x = x.to(rt)
    return torch.pow(x, b)


for nm, fn, ka, kb, dts in [
        ("add", torch.add, "uniform", "uniform", NUM),
        ("sub", torch.sub, "uniform", "uniform", NUM),
        ("mul", torch.mul, "uniform", "uniform", NUM),
        ("div", torch.div, "uniform", "nonzero", NUM),
        ("pow", None, "positive", "uniform", NUM),
        ("maximum", torch.maximum, "uniform", "uniform", NUM),
        ("minimum", torch.minimum, "uniform", "uniform", NUM),
        ("atan2", torch.atan2, "uniform", "nonzero", FLOATS),
        ("fmod", torch.fmod, "uniform", "nonzero", NUM),
        ("remainder", torch.remainder, "uniform", "nonzero", NUM)]:
    # pow: wide exponents only overflow (forward and gradient alike)
    add("l2_" + nm, "T:TT", g_binary(ka, kb, stress=None if nm == "pow" else "wide"),
        (lambda fn: lambda ts, a: fn(*_no_min_by_minus1(ts)))(fn) if nm in ("fmod", "remainder")
        else _pow_float_base if nm == "pow" else (lambda fn: lambda ts, a: fn(ts[0], ts[1]))(fn),
        tol="exact_unsigned" if nm in ("maximum", "minimum")
        else "loose" if nm in ("pow", "atan2", "fmod", "remainder")
        else E,
        dtypes=dts, family="elementwise")


def g_add_alpha(d, dt):
    r = g_binary()(d, dt)
    r["args"]["alpha"] = d.choice([1.0, -1.0, 2.5, 0.0, 0.3])
    return r


add("l2_add_alpha", "T:TTd", g_add_alpha, lambda ts, a: torch.add(ts[0], ts[1],
                                                                  alpha=a["alpha"]),
    lambda f, xs, a: f(xs[0], xs[1], a["alpha"]), family="elementwise")

_sc = lambda f, xs, a: f(xs[0], a["s"])  # noqa: E731
for nm, fn, kind, scal in [
        ("add_scalar", torch.add, "uniform", SCALARS),
        ("sub_scalar", torch.sub, "uniform", SCALARS),
        ("mul_scalar", torch.mul, "uniform", SCALARS),
        ("div_scalar", torch.div, "uniform", [2.5, -1.0, 0.5, 3.0, 1e-3, 0.0]),
        ("pow_scalar", torch.pow, "positive",
         [2.0, 3.0, 0.5, -0.5, -1.0, -2.0, 0.0, 1.5, -2.5]),
        ("rsub_scalar", lambda x, s: s - x, "uniform", SCALARS)]:
    # int64 (and bool) tensors with integral and non-integral numbers; the number is an int
    # when integral, as l2.h says (torch.add(int64 tensor, 3) stays int64)
    add("l2_" + nm, "T:Td", g_scalar(kind, scal),
        (lambda fn: lambda ts, a: fn(ts[0], _num(a["s"])))(fn), _sc,
        tol="loose" if nm == "pow_scalar" else E, family="elementwise",
        dtypes=ALL if nm in ("add_scalar", "sub_scalar", "mul_scalar") else NUM)

for nm, fn in [("eq", torch.eq), ("ne", torch.ne), ("lt", torch.lt), ("le", torch.le),
               ("gt", torch.gt), ("ge", torch.ge)]:
    add("l2_" + nm, "T:TT", g_binary("ties", "ties"),
        (lambda fn: lambda ts, a: fn(ts[0], ts[1]))(fn), tol="exact", dtypes=ALL,
        family="elementwise")
    add("l2_%s_scalar" % nm, "T:Td", g_scalar("ties", [0.0, 1.0, -1.0, 0.5, float("nan")]),
        (lambda fn: lambda ts, a: fn(ts[0], a["s"]))(fn), _sc, tol="exact", dtypes=NUM,
        family="elementwise")
for nm, fn in [("logical_and", torch.logical_and), ("logical_or", torch.logical_or),
               ("logical_xor", torch.logical_xor)]:
    add("l2_" + nm, "T:TT", g_binary("ties", "ties"),
        (lambda fn: lambda ts, a: fn(ts[0], ts[1]))(fn), tol="exact", dtypes=ALL,
        family="elementwise")
add("l2_logical_not", "T:T", g_unary("ties"), lambda ts, a: torch.logical_not(ts[0]),
    tol="exact", dtypes=ALL, family="elementwise")


def g_where(d, dt):
    sh = d.bshapes(3)
    return {"inputs": [d.tensor(sh[0], "bool"), d.tensor(sh[1], dt), d.tensor(sh[2], dt)],
            "args": {}}


add("l2_where", "T:TTT", g_where, lambda ts, a: torch.where(ts[0], ts[1], ts[2]), tol="exact",
    dtypes=ALL, diff=(1, 2), family="elementwise")


def g_masked_fill(d, dt):
    s = d.shape()
    from gen import _bcast_reduce
    ms = _bcast_reduce(s, d.rng()) if d.int(0, 19) else (7, 7, 7)
    return {"inputs": [d.tensor(s, dt), d.tensor(ms, "bool")],
            "args": {"value": d.choice([0.0, -1.5, 3.0, float("inf")])}}


add("l2_masked_fill", "T:TTd", g_masked_fill,
    lambda ts, a: ts[0].masked_fill(ts[1], a["value"]),
    lambda f, xs, a: f(xs[0], xs[1], a["value"]), tol="exact", dtypes=NUM, diff=(0,),
    family="elementwise")
CLAMPS = [(-0.5, 0.5), (-math.inf, 0.0), (0.0, math.inf), (1.0, -1.0), (-1.0, 1.0),
          (-math.inf, math.inf)]


def g_clamp(writable=False):
    def gen(d, dt):
        lo, hi = d.choice(CLAMPS)
        return {"inputs": [d.tensor(d.shape(), dt, _vk(d, "uniform", dt, "wide"),
                                     writable=writable)],
                "args": {"min": lo, "max": hi}}
    return gen


def t_clamp(x, a):
    return torch.clamp(x, a["min"], a["max"])


add("l2_clamp", "T:Tdd", g_clamp(), lambda ts, a: t_clamp(ts[0], a),
    lambda f, xs, a: f(xs[0], a["min"], a["max"]), tol="exact", family="elementwise")

UNARY = [("neg", torch.neg, "uniform", NUM, "exact"), ("abs", torch.abs, "uniform", NUM, "exact"),
         ("sign", torch.sign, "ties", NUM, "exact"), ("exp", torch.exp, "uniform", FLOATS, E),
         ("exp2", torch.exp2, "uniform", FLOATS, E), ("expm1", torch.expm1, "uniform", FLOATS, E),
         ("log", torch.log, "positive", FLOATS, E), ("log2", torch.log2, "positive", FLOATS, E),
         ("log10", torch.log10, "positive", FLOATS, E),
         ("log1p", torch.log1p, "positive", FLOATS, E),
         ("sqrt", torch.sqrt, "positive", FLOATS, E),
         ("rsqrt", torch.rsqrt, "positive", FLOATS, E),
         ("square", torch.square, "uniform", NUM, E),
         ("reciprocal", torch.reciprocal, "nonzero", FLOATS, E),
         ("sin", torch.sin, "uniform", FLOATS, E), ("cos", torch.cos, "uniform", FLOATS, E),
         ("tan", torch.tan, "unit", FLOATS, E), ("asin", torch.asin, "unit", FLOATS, E),
         ("acos", torch.acos, "unit", FLOATS, E), ("atan", torch.atan, "uniform", FLOATS, E),
         ("sinh", torch.sinh, "uniform", FLOATS, E), ("cosh", torch.cosh, "uniform", FLOATS, E),
         ("tanh", torch.tanh, "uniform", FLOATS, E),
         ("sigmoid", torch.sigmoid, "normal", FLOATS, E),
         ("relu", torch.relu, "ties", FLOATS, "exact"), ("silu", F.silu, "normal", FLOATS, E),
         ("erf", torch.erf, "normal", FLOATS, E),
         ("floor", torch.floor, "normal", FLOATS, "exact"),
         ("ceil", torch.ceil, "normal", FLOATS, "exact"),
         ("round", torch.round, "small_int", FLOATS, "exact"),
         ("trunc", torch.trunc, "normal", FLOATS, "exact")]
# stress kinds: exp-like functions near their overflow, log-like ones near 0, the rest wide
STRESS = {**{nm: "near_overflow" for nm in ("exp", "exp2", "expm1", "sigmoid", "silu", "tanh",
                                            "elu", "softplus")},
          **{nm: "near_zero" for nm in ("log", "log2", "log10", "log1p", "sqrt", "rsqrt",
                                        "reciprocal")}}
for nm, fn, kind, dts, tol in UNARY:
    if nm == "round":
        kind = "halves"
    add("l2_" + nm, "T:T", g_unary(kind, STRESS.get(nm, "wide")),
        (lambda fn: lambda ts, a: fn(ts[0]))(fn), tol=tol,
        dtypes=dts, family="elementwise")


add("l2_leaky_relu", "T:Td", g_unary_args("ties", slope=[0.01, 0.2, -0.5, 0.0]),
    lambda ts, a: F.leaky_relu(ts[0], a["slope"]), lambda f, xs, a: f(xs[0], a["slope"]),
    family="elementwise")
add("l2_elu", "T:Td", g_unary_args("normal", "near_overflow", alpha=[1.0, 0.5, 2.0]),
    lambda ts, a: F.elu(ts[0], a["alpha"]), lambda f, xs, a: f(xs[0], a["alpha"]),
    family="elementwise")
add("l2_gelu", "T:Tb", g_unary_args("normal", tanh=[False, True]),
    lambda ts, a: F.gelu(ts[0], approximate="tanh" if a["tanh"] else "none"),
    lambda f, xs, a: f(xs[0], a["tanh"]), tol="loose", family="elementwise")
add("l2_softplus", "T:Tdd", g_unary_args("normal", "near_overflow", beta=[1.0, 2.0, 0.5],
                                         threshold=[20.0, 1.0]),
    lambda ts, a: F.softplus(ts[0], a["beta"], a["threshold"]),
    lambda f, xs, a: f(xs[0], a["beta"], a["threshold"]), tol="loose", family="elementwise")


# in-place: the first input is written (writable layouts only; broadcast the other to it)
def g_inplace_binary(kb="uniform"):
    def gen(d, dt):
        s = d.shape()
        from gen import _bcast_reduce
        ss = _bcast_reduce(s, d.rng()) if d.int(0, 19) else d.shape()
        bdt = _other_dt(d, dt, 6)
        return {"inputs": [d.tensor(s, dt, writable=True),
                           d.tensor(ss, bdt, _vk(d, kb, bdt, "wide"))],
                "args": {}}
    return gen


for nm, kb, dts in [("add_", "uniform", NUM), ("sub_", "uniform", NUM), ("mul_", "uniform", NUM),
                    ("div_", "nonzero", FLOATS)]:
    add("l2_" + nm, "S:TT", g_inplace_binary(kb),
        (lambda nm: lambda ts, a: getattr(ts[0], nm)(ts[1]))(nm), dtypes=dts, inplace=0,
        family="elementwise")


def g_inplace_scalar(d, dt):
    return {"inputs": [d.tensor(d.shape(), dt, writable=True)], "args": {"s": d.choice(SCALARS)}}


add("l2_add_scalar_", "S:Td", g_inplace_scalar, lambda ts, a: ts[0].add_(a["s"]), _sc,
    inplace=0, family="elementwise")
add("l2_mul_scalar_", "S:Td", g_inplace_scalar, lambda ts, a: ts[0].mul_(a["s"]), _sc,
    inplace=0, family="elementwise")
add("l2_fill_", "S:Td", g_inplace_scalar, lambda ts, a: ts[0].fill_(a["s"]), _sc, tol="exact",
    inplace=0, family="elementwise")
add("l2_clamp_", "S:Tdd", g_clamp(True),
    lambda ts, a: ts[0].clamp_(a["min"], a["max"]),
    lambda f, xs, a: f(xs[0], a["min"], a["max"]), tol="exact", inplace=0, family="elementwise")
add("l2_relu_", "S:T", lambda d, dt: {"inputs": [d.tensor(d.shape(), dt, "ties", writable=True)],
                                      "args": {}},
    lambda ts, a: ts[0].relu_(), tol="exact", inplace=0, family="elementwise")
add("l2_zero_", "S:T", lambda d, dt: {"inputs": [d.tensor(d.shape(), dt, writable=True)],
                                      "args": {}},
    lambda ts, a: ts[0].zero_(), tol="exact", dtypes=ALL, inplace=0, family="elementwise")

# ---- reductions -------------------------------------------------------------------------
A = "accumulating"
_dims = lambda f, xs, a: f(xs[0], len(a["dims"]), i32a(a["dims"]), a["keepdim"])  # noqa: E731
g_all = lambda d, dt: {"inputs": [d.tensor(d.shape(), dt,  # noqa
                                            _vk(d, "uniform", dt, "wide", acc=True))],
                       "args": {}}


def t_red(fn):
    def ref(ts, a):
        x = ts[0]
        if x.dim() == 0 and not a["dims"]:
            return fn(x)
        return fn(x, dim=alldims(x, a["dims"]), keepdim=a["keepdim"])
    return ref


add("l2_sum", "T:T", g_all, lambda ts, a: torch.sum(ts[0]), tol=A, dtypes=ALL, family="reduce")
add("l2_sum_dims", "T:TiIb", g_reduce_dims(), t_red(torch.sum), _dims, tol=A, dtypes=ALL,
    family="reduce")
add("l2_mean", "T:T", g_all, lambda ts, a: torch.mean(ts[0]), tol=A, family="reduce")
add("l2_mean_dims", "T:TiIb", g_reduce_dims(), t_red(torch.mean), _dims, tol=A, family="reduce")
add("l2_prod", "T:T", g_all, lambda ts, a: torch.prod(ts[0]), tol=A, dtypes=NUM,
    family="reduce")
_dimk = lambda f, xs, a: f(xs[0], a["dim"], a["keepdim"])  # noqa: E731
add("l2_prod_dim", "T:Tib", g_reduce_dim(), lambda ts, a: torch.prod(ts[0], a["dim"],
                                                                     a["keepdim"]),
    _dimk, tol=A, dtypes=NUM, family="reduce")
add("l2_max", "T:T", g_all, lambda ts, a: torch.max(ts[0]), tol="exact", dtypes=NUM,
    family="reduce")
add("l2_min", "T:T", g_all, lambda ts, a: torch.min(ts[0]), tol="exact", dtypes=NUM,
    family="reduce")


def c_maxdim(f, xs, a):
    idx = T()
    v = f(xs[0], a["dim"], a["keepdim"], C.byref(idx))
    return (v, idx.value) if v else None


add("l2_max_dim", "T:TibP", g_reduce_dim(), lambda ts, a: tuple(torch.max(ts[0], a["dim"],
                                                                          a["keepdim"])),
    c_maxdim, tol="exact", dtypes=NUM, family="reduce", outputs=2, check="argext")
add("l2_min_dim", "T:TibP", g_reduce_dim(), lambda ts, a: tuple(torch.min(ts[0], a["dim"],
                                                                          a["keepdim"])),
    c_maxdim, tol="exact", dtypes=NUM, family="reduce", outputs=2, check="argext")
add("l2_argmax", "T:T", g_all, lambda ts, a: torch.argmax(ts[0]), tol="exact", dtypes=NUM,
    family="reduce", check="argext")
add("l2_argmin", "T:T", g_all, lambda ts, a: torch.argmin(ts[0]), tol="exact", dtypes=NUM,
    family="reduce", check="argext")
add("l2_argmax_dim", "T:Tib", g_reduce_dim(), lambda ts, a: torch.argmax(ts[0], a["dim"],
                                                                         a["keepdim"]),
    _dimk, tol="exact", dtypes=NUM, family="reduce", check="argext")
add("l2_argmin_dim", "T:Tib", g_reduce_dim(), lambda ts, a: torch.argmin(ts[0], a["dim"],
                                                                         a["keepdim"]),
    _dimk, tol="exact", dtypes=NUM, family="reduce", check="argext")


def g_var(d, dt):
    r = g_reduce_dims()(d, dt)
    r["args"]["correction"] = d.choice([0.0, 1.0, 2.0])
    return r


def t_var(fn):
    def ref(ts, a):
        x = ts[0]
        return fn(x, dim=alldims(x, a["dims"]) if x.dim() or a["dims"] else None,
                  correction=int(a["correction"]), keepdim=a["keepdim"])
    return ref


_var = lambda f, xs, a: f(xs[0], len(a["dims"]), i32a(a["dims"]), a["correction"],  # noqa
                          a["keepdim"])
add("l2_var", "T:TiIdb", g_var, t_var(torch.var), _var, tol=A, family="reduce")
add("l2_std", "T:TiIdb", g_var, t_var(torch.std), _var, tol=A, family="reduce")
add("l2_logsumexp", "T:TiIb", g_reduce_dims(),
    lambda ts, a: torch.logsumexp(ts[0], alldims(ts[0], a["dims"]), a["keepdim"]), _dims, tol=A,
    family="reduce")


def g_norm(d, dt):
    r = g_reduce_dims("nonzero")(d, dt)
    r["args"]["p"] = d.choice([2.0, 1.0, 3.0, math.inf, 0.5])
    return r


add("l2_norm", "T:TdiIb", g_norm,
    lambda ts, a: torch.linalg.vector_norm(ts[0], a["p"], alldims(ts[0], a["dims"]) or None,
                                           a["keepdim"]),
    lambda f, xs, a: f(xs[0], a["p"], len(a["dims"]), i32a(a["dims"]), a["keepdim"]), tol=A,
    family="reduce")
add("l2_cumsum", "T:Ti", g_dim(0), lambda ts, a: torch.cumsum(ts[0], a["dim"]),
    lambda f, xs, a: f(xs[0], a["dim"]), tol=A, dtypes=NUM, family="reduce")
for nm, fn in [("all", torch.all), ("any", torch.any)]:
    add("l2_" + nm, "T:T", lambda d, dt: {"inputs": [d.tensor(d.shape(), dt, "ties")],
                                          "args": {}},
        (lambda fn: lambda ts, a: fn(ts[0]))(fn), tol="exact", dtypes=ALL, family="reduce")
    add("l2_%s_dim" % nm, "T:Tib",
        lambda d, dt: dict(g_reduce_dim("ties")(d, dt)),
        (lambda fn: lambda ts, a: fn(ts[0], a["dim"], a["keepdim"]))(fn), _dimk, tol="exact",
        dtypes=ALL, family="reduce")

# ---- linalg -----------------------------------------------------------------------------


def g_mm(kind):
    def gen(d, dt):
        m, k, n = d.int(0, 9), d.int(0, 9), d.int(0, 9)
        if d.int(0, 7) == 0:
            m, k, n = d.choice([(45, 65, 23), (1, 128, 1), (33, 17, 64)])
        b = d.int(1, 3)
        bad = d.int(0, 24) == 0
        k2 = k + 1 if bad else k
        sh = {"mm": [(m, k), (k2, n)], "bmm": [(b, m, k), (b, k2, n)], "mv": [(m, k), (k2,)],
              "dot": [(k,), (k2,)], "outer": [(m,), (n,)]}.get(kind)
        if kind == "matmul":
            ra, rb = d.int(1, 4), d.int(1, 4)
            bat = [d.int(1, 3) for _ in range(2)]
            sa = ([1 if d.bool() else x for x in bat][:max(ra - 2, 0)] + [m, k])[-ra:]
            sb = (bat[:max(rb - 2, 0)] + [k2, n])[-rb:] if rb > 1 else [k2]
            if ra == 1:
                sa = [k]
            sh = [tuple(sa), tuple(sb)]
        return {"inputs": [d.tensor(s, dt, _vk(d, "uniform", dt, "wide", acc=True)) for s in sh],
                "args": {}}
    return gen


for nm in ("matmul", "mm", "bmm", "mv", "dot", "outer"):
    add("l2_" + nm, "T:TT", g_mm(nm), (lambda fn: lambda ts, a: fn(ts[0], ts[1]))(
        getattr(torch, nm)), tol=A, dtypes=NUM, family="linalg")


def g_addmm(d, dt):
    m, k, n = d.int(0, 8), d.int(0, 8), d.int(0, 8)
    cs = d.choice([(m, n), (n,), (1, n), (m, 1), ()])
    # int64: integral beta and alpha (libl2 refuses others, l2.h; torch 1.13 truncates them)
    fl = dt != "int64"
    return {"inputs": [d.tensor(cs, dt), d.tensor((m, k), dt), d.tensor((k, n), dt)],
            "args": {"beta": d.choice([1.0, 0.5 if fl else 2.0, 0.0]),
                     "alpha": d.choice([1.0, -2.0, 0.25 if fl else 3.0])}}


add("l2_addmm", "T:TTTdd", g_addmm,
    lambda ts, a: torch.addmm(ts[0], ts[1], ts[2], beta=_num(a["beta"]),
                              alpha=_num(a["alpha"])),
    lambda f, xs, a: f(xs[0], xs[1], xs[2], a["beta"], a["alpha"]), tol=A, dtypes=NUM,
    family="linalg")


def g_linear(d, dt):
    lead = d.shape(max_dims=2, max_side=5)
    i, o = d.int(0, 9), d.int(0, 9)
    x = d.tensor(tuple(lead) + (i,), dt)
    return {"inputs": [x, d.tensor((o, i), dt), d.tensor((o,), dt) if d.bool() else None],
            "args": {}}


add("l2_linear", "T:TTT", g_linear, lambda ts, a: F.linear(ts[0], ts[1], ts[2]), tol=A,
    dtypes=NUM, family="linalg")

# ---- indexing ---------------------------------------------------------------------------


def g_index_select(d, dt):
    s = d.shape(min_dims=1)
    dim = d.dim(len(s))
    n = s[dim]
    bad = d.int(0, 24) == 0
    idx = d.tensor((d.int(0, 6),), "int64", "randint:%d:%d" % (-n if False else 0,
                                                                n + (1 if bad else 0)))
    return {"inputs": [d.tensor(s, dt), idx], "args": {"dim": dim}}


add("l2_index_select", "T:TiT", g_index_select,
    lambda ts, a: torch.index_select(ts[0], a["dim"], ts[1]),
    lambda f, xs, a: f(xs[0], a["dim"], xs[1]), tol="exact", dtypes=ALL, diff=(0,),
    family="index")


def g_gather(scatter):
    def gen(d, dt):
        s = d.shape(min_dims=1, min_side=1)
        dim = d.dim(len(s))
        n = s[dim]
        ish = [d.int(0, x) for x in s]
        ish[dim] = d.int(0, 5)
        bad = d.int(0, 24) == 0
        idx = d.tensor(ish, "int64", "randint:0:%d" % (n + (1 if bad else 0)))
        ins = [d.tensor(s, dt), idx]
        if scatter:
            ins.append(d.tensor(ish, dt))
        return {"inputs": ins, "args": {"dim": dim}}
    return gen


add("l2_gather", "T:TiT", g_gather(False), lambda ts, a: torch.gather(ts[0], a["dim"], ts[1]),
    lambda f, xs, a: f(xs[0], a["dim"], xs[1]), tol="exact", dtypes=ALL, diff=(0,),
    family="index")
add("l2_scatter_add", "T:TiTT", g_gather(True),
    lambda ts, a: torch.scatter_add(ts[0], a["dim"], ts[1], ts[2]),
    lambda f, xs, a: f(xs[0], a["dim"], xs[1], xs[2]), tol=A, dtypes=NUM, diff=(0, 2),
    family="index")


def g_embedding(d, dt):
    n, e = d.int(1, 9), d.int(0, 6)
    bad = d.int(0, 24) == 0
    return {"inputs": [d.tensor((n, e), dt), d.tensor(d.shape(max_dims=3), "int64",
                                                      "randint:0:%d" % (n + bad))], "args": {}}


add("l2_embedding", "T:TT", g_embedding, lambda ts, a: F.embedding(ts[1], ts[0]), tol=A,
    diff=(0,), family="index")


def g_one_hot(d, dt):
    k = d.int(1, 6)
    return {"inputs": [d.tensor(d.shape(max_dims=3), "int64", "randint:0:%d" % k)],
            "args": {"num_classes": d.choice([k, k + 2, -1, k - 1 if k > 1 else -1])}}


add("l2_one_hot", "T:Tl", g_one_hot, lambda ts, a: F.one_hot(ts[0], a["num_classes"]),
    lambda f, xs, a: f(xs[0], a["num_classes"]), tol="exact", dtypes=("int64",),
    family="index")

# ---- nn ---------------------------------------------------------------------------------
def g_softmax(d, dt):
    """softmax / log_softmax: inputs up to +-1e4 in a quarter of the cases (max subtraction)."""
    r = g_dim(0)(d, dt)
    k = d.int(0, 3)
    r["inputs"][0]["values"] = "wide" if k == 0 else _vk(d, "uniform", dt, acc=True)
    return r


add("l2_softmax", "T:Ti", g_softmax, lambda ts, a: torch.softmax(ts[0], a["dim"]),
    lambda f, xs, a: f(xs[0], a["dim"]), tol=A, family="nn")
add("l2_log_softmax", "T:Ti", g_softmax, lambda ts, a: torch.log_softmax(ts[0], a["dim"]),
    lambda f, xs, a: f(xs[0], a["dim"]), tol=A, family="nn")


def g_ce(smoothing):
    def gen(d, dt):
        c = d.int(1, 7)
        form = d.int(0, 2)
        nb = d.int(0, 6)
        ish = [(c,), (nb, c), (nb, c, d.int(1, 3))][form]
        tsh = [(), (nb,), (nb, ish[2] if form == 2 else 1)][form]
        ign = d.choice([-100, 0, 1])
        tv = "randint:0:%d" % c if d.int(0, 24) else "randint:0:%d" % (c + 1)
        kind = _vk(d, "normal", dt, "wide", acc=True) if smoothing else "uniform01"
        return {"inputs": [d.tensor(ish, dt, kind),
                           d.tensor(tsh, "int64", tv)],
                "args": {"reduction": d.int(0, 2), "ignore_index": ign,
                         "label_smoothing": d.choice([0.0, 0.1, 0.5]) if smoothing else 0.0}}
    return gen


add("l2_cross_entropy", "T:TTild", g_ce(True),
    lambda ts, a: F.cross_entropy(ts[0], ts[1], reduction=RED[a["reduction"]],
                                  ignore_index=a["ignore_index"],
                                  label_smoothing=a["label_smoothing"]),
    lambda f, xs, a: f(xs[0], xs[1], a["reduction"], a["ignore_index"], a["label_smoothing"]),
    tol=A, diff=(0,), family="nn")
add("l2_nll_loss", "T:TTil", g_ce(False),
    lambda ts, a: F.nll_loss(ts[0], ts[1], reduction=RED[a["reduction"]],
                             ignore_index=a["ignore_index"]),
    lambda f, xs, a: f(xs[0], xs[1], a["reduction"], a["ignore_index"]), tol=A, diff=(0,),
    family="nn")


def g_loss(ki, kt):
    def gen(d, dt):
        sh = d.shape()
        tsh = sh if d.int(0, 29) else (9, 9)
        stress = "near_zero" if ki == "prob" else "wide"
        return {"inputs": [d.tensor(sh, dt, _vk(d, ki, dt, stress, acc=True)),
                           d.tensor(tsh, dt, _vk(d, kt, dt, acc=True) if ki != "prob" else kt)],
                "args": {"reduction": d.int(0, 2)}}
    return gen


for nm, fn, ki, kt, diff in [("mse_loss", F.mse_loss, "uniform", "uniform", None),
                             ("l1_loss", F.l1_loss, "uniform", "uniform", None),
                             ("binary_cross_entropy", F.binary_cross_entropy, "prob",
                              "uniform01", (0,)),
                             ("binary_cross_entropy_with_logits",
                              F.binary_cross_entropy_with_logits, "normal", "uniform01", None)]:
    add("l2_" + nm, "T:TTi", g_loss(ki, kt),
        (lambda fn: lambda ts, a: fn(ts[0], ts[1], reduction=RED[a["reduction"]]))(fn),
        lambda f, xs, a: f(xs[0], xs[1], a["reduction"]), tol=A, diff=diff, family="nn")
add("l2_dropout", "T:Tdb",
    lambda d, dt: {"inputs": [d.tensor(d.shape(), dt, "nonzero")],
                   "args": {"p": d.choice([0.0, 0.3, 0.5, 1.0, 1.5]), "training": d.bool()}},
    lambda ts, a: F.dropout(ts[0], a["p"], a["training"]) if (
        not a["training"] or a["p"] in (0.0, 1.0) or not 0 <= a["p"] <= 1) else None,
    lambda f, xs, a: f(xs[0], a["p"], a["training"]), family="nn", check="dropout")


def g_layer_norm(d, dt):
    s = d.shape(min_dims=1, min_side=1)
    n = d.int(1, len(s))
    ns = list(s[len(s) - n:])
    if d.int(0, 24) == 0:
        ns[-1] += 1
    w = d.tensor(ns, dt) if d.bool() else None
    b = d.tensor(ns, dt) if d.bool() else None
    return {"inputs": [d.tensor(s, dt, "normal"), w, b],
            "args": {"normalized_shape": ns, "eps": d.choice([1e-5, 1e-3])}}


add("l2_layer_norm", "T:TiLTTd", g_layer_norm,
    lambda ts, a: F.layer_norm(ts[0], a["normalized_shape"], ts[1], ts[2], a["eps"]),
    lambda f, xs, a: f(xs[0], len(a["normalized_shape"]), i64a(a["normalized_shape"]), xs[1],
                       xs[2], a["eps"]), tol=A, family="nn")


def g_batch_norm(d, dt):
    return batch_norm_case(d, dt, (d.int(2, 5), d.int(1, 4)) +
                           tuple(d.int(1, 4) for _ in range(d.int(0, 2))))


def batch_norm_case(d, dt, s):
    """batch_norm's inputs for an input of shape s (sizes.py draws large ones)."""
    c = s[1]
    return {"inputs": [d.tensor(s, dt, "normal"), d.tensor((c,), dt, writable=True),
                       d.tensor((c,), dt, "positive", writable=True),
                       d.tensor((c,), dt) if d.bool() else None,
                       d.tensor((c,), dt) if d.bool() else None],
            "args": {"training": d.bool(), "momentum": d.choice([0.1, 0.5]),
                     "eps": d.choice([1e-5, 1e-3])}}


def _contig(t):
    return t.contiguous() if t is not None else None


add("l2_batch_norm", "T:TTTTTbdd", g_batch_norm,
    # torch 1.13's backward misreads strided running stats (eval mode), a strided weight and a
    # channels-last input with an odd size-1 stride (known.WORKAROUNDS): torch gets contiguous
    # copies of those, gradients flow back through the copies; libl2 gets the strided tensors
    lambda ts, a: F.batch_norm(ts[0].contiguous(), ts[1] if a["training"] else ts[1].contiguous(),
                               ts[2] if a["training"] else ts[2].contiguous(), _contig(ts[3]),
                               _contig(ts[4]), a["training"], a["momentum"], a["eps"]),
    lambda f, xs, a: f(xs[0], xs[1], xs[2], xs[3], xs[4], a["training"], a["momentum"],
                       a["eps"]), tol=A, diff=(0, 3, 4), mutates=(1, 2), family="nn")



def _batch_norm_ref64(ts, a):
    """Training-mode batch_norm by the two-pass formula: torch 1.13's float64 batch_norm
    computes its statistics with a running (Welford) update whose error grows with the count,
    up to 2,000 ulps of the output over 65,536 elements (found against an 80-bit reference:
    libl2's result was the exact one rounded). Eval mode: torch's op."""
    if not a["training"]:
        return REGISTRY["l2_batch_norm"].ref(ts, a)
    x = ts[0]
    dims = [d for d in range(x.dim()) if d != 1]
    shape = [1, x.shape[1]] + [1] * (x.dim() - 2)
    mu = x.mean(dims, keepdim=True)
    y = (x - mu) / torch.sqrt(((x - mu) ** 2).mean(dims, keepdim=True) + a["eps"])
    if ts[3] is not None:
        y = y * ts[3].reshape(shape)
    if ts[4] is not None:
        y = y + ts[4].reshape(shape)
    return y


REGISTRY["l2_batch_norm"].ref64 = _batch_norm_ref64

# ---- conv -------------------------------------------------------------------------------


def g_conv(d, dt):
    g = d.choice([1, 1, 2])
    cin, cout = g * d.int(1, 3), g * d.int(1, 3)
    kh, kw = d.int(1, 3), d.int(1, 3)
    x = (d.int(1, 3), cin, d.int(kh, 8), d.int(kw, 8))
    return {"inputs": [d.tensor(x, dt, _vk(d, "uniform", dt, "wide", acc=True)),
                       d.tensor((cout, cin // g, kh, kw), dt,
                                _vk(d, "uniform", dt, "wide", acc=True)),
                       d.tensor((cout,), dt) if d.bool() else None],
            "args": {"stride": [d.int(1, 3), d.int(1, 2)], "padding": [d.int(0, 2), d.int(0, 1)],
                     "dilation": [d.int(1, 2), 1], "groups": g}}


add("l2_conv2d", "T:TTTLLLl", g_conv,
    lambda ts, a: F.conv2d(ts[0], ts[1], ts[2], a["stride"], a["padding"], a["dilation"],
                           a["groups"]),
    lambda f, xs, a: f(xs[0], xs[1], xs[2], i64a(a["stride"]), i64a(a["padding"]),
                       i64a(a["dilation"]), a["groups"]), tol=A, family="conv")


def g_pool(d, dt):
    k = [d.int(1, 3), d.int(1, 3)]
    x = (d.int(1, 2), d.int(1, 3), d.int(k[0], 8), d.int(k[1], 8))
    return {"inputs": [d.tensor(x, dt, "normal")],
            "args": {"kernel": k, "stride": [d.int(1, 3), d.int(1, 3)],
                     "padding": [d.int(0, k[0] // 2), d.int(0, k[1] // 2)]}}


_pool = lambda f, xs, a: f(xs[0], i64a(a["kernel"]), i64a(a["stride"]),  # noqa: E731
                           i64a(a["padding"]))
add("l2_max_pool2d", "T:TLLL", g_pool,
    lambda ts, a: F.max_pool2d(ts[0], a["kernel"], a["stride"], a["padding"]), _pool,
    tol="exact", family="conv")
add("l2_avg_pool2d", "T:TLLL", g_pool,
    lambda ts, a: F.avg_pool2d(ts[0], a["kernel"], a["stride"], a["padding"]), _pool, tol=A,
    family="conv")
add("l2_adaptive_avg_pool2d", "T:TL",
    lambda d, dt: {"inputs": [d.tensor((d.int(1, 2), d.int(1, 3), d.int(1, 9), d.int(1, 9)),
                                       dt)],
                   "args": {"out": [d.int(1, 5), d.int(1, 5)]}},
    lambda ts, a: F.adaptive_avg_pool2d(ts[0], a["out"]),
    lambda f, xs, a: f(xs[0], i64a(a["out"])), tol=A, family="conv")


def g_pad(d, dt):
    s = d.shape(min_dims=1, max_dims=4)
    n = d.int(1, len(s))
    pad = [d.int(-1 if d.int(0, 4) == 0 else 0, 3) for _ in range(2 * n)]
    return {"inputs": [d.tensor(s, dt)], "args": {"pad": pad,
                                                  "value": d.choice([0.0, -1.5, 2.0])}}


add("l2_pad", "T:TiLd", g_pad, lambda ts, a: F.pad(ts[0], a["pad"], "constant", a["value"]),
    lambda f, xs, a: f(xs[0], len(a["pad"]), i64a(a["pad"]), a["value"]), tol="exact",
    family="conv")

# ---- magnitude references -----------------------------------------------------------------
# Ops whose function |inputs| changes (softmax of |x| is another distribution, mse of |x|,|y|
# another distance, var of |x| another spread) take their element magnitudes from a float64
# sensitivity run instead (compare.py, "perturb"). Norms keep "abs": norm(|x|) = norm(x), and
# each element of its gradient is linear in the upstream gradient.
for _n in ("l2_logsumexp", "l2_mse_loss", "l2_l1_loss",
           "l2_binary_cross_entropy", "l2_binary_cross_entropy_with_logits"):
    REGISTRY[_n].mag = "perturb"
# a + alpha b rounds alpha b first: element i's terms are |a_i| and |alpha b_i|
REGISTRY["l2_add_alpha"].mag = "abs"


# Where torch's float64 reference itself cancels, or a gradient does, the magnitude is the size
# of the terms (oracle/mags.py).
REGISTRY["l2_softmax"].mag = mags.softmax(False)
REGISTRY["l2_log_softmax"].mag = mags.softmax(True)
REGISTRY["l2_elu"].mag = mags.elu
REGISTRY["l2_gelu"].mag = mags.gelu
REGISTRY["l2_layer_norm"].mag = mags.layer_norm
REGISTRY["l2_batch_norm"].mag = mags.batch_norm
REGISTRY["l2_cross_entropy"].mag = mags.cross_entropy
REGISTRY["l2_var"].mag = mags.var(False)
REGISTRY["l2_std"].mag = mags.var(True)
for _n in ("sigmoid", "silu", "tanh"):
    REGISTRY["l2_" + _n].mag = getattr(mags, _n)

# ---- coverage ---------------------------------------------------------------------------

# Declared functions that are not ops (creation, properties, autograd, scopes, I/O, DLPack):
# the coverage check ignores exactly these.
NOT_OPS = {
    "l2_tensor_ref", "l2_keep", "l2_empty", "l2_zeros", "l2_ones", "l2_full", "l2_scalar",
    "l2_empty_like", "l2_zeros_like", "l2_ones_like", "l2_full_like", "l2_arange",
    "l2_linspace", "l2_eye", "l2_from_data", "l2_from_blob", "l2_rand", "l2_randn",
    "l2_uniform", "l2_normal", "l2_randint", "l2_rand_like", "l2_randn_like", "l2_uniform_",
    "l2_normal_", "l2_from_dlpack", "l2_grad", "l2_scope_begin", "l2_scope_end",
}
# Sections of l2.h whose declarations are ops: from "Views" up to (not including) "Layers".
OP_SECTIONS_START = "Views (no copy"
OP_SECTIONS_END = "Layers, optimizers"
# Inside that range these sections hold non-op API and are skipped.
NON_OP_SECTIONS = ("DLPack exchange", "Autograd", "Testing and configuration")


def declared_ops(header_text):
    """Ops declared in l2.h: `L2_API l2_tensor *l2_x(` and `L2_API l2_status l2_x_(` in the op
    sections, minus NOT_OPS."""
    start = header_text.find(OP_SECTIONS_START)
    end = header_text.find(OP_SECTIONS_END)
    body = header_text[start:end if end > 0 else None]
    # drop non-op sections: a section runs from its title line to the next rule line
    parts = re.split(r"/\* -{20,} \*/\n", body)
    keep = []
    for p in parts:
        title = p.strip().split("\n")[0]
        if any(t in title for t in NON_OP_SECTIONS):
            continue
        keep.append(p)
    text = "\n".join(keep)
    names = re.findall(r"L2_API\s+l2_tensor\s*\*\s*(l2_\w+)\s*\(", text)
    names += re.findall(r"L2_API\s+l2_status\s+(l2_\w+_)\s*\(", text)
    out = []
    for n in names:
        if n not in NOT_OPS and n not in out:
            out.append(n)
    return out


def coverage_missing(header_text):
    return [n for n in declared_ops(header_text) if n not in REGISTRY]
REGISTRY["l2_fmod"].mag = mags.fmod_like(False)
REGISTRY["l2_remainder"].mag = mags.fmod_like(True)
