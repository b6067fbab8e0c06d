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

from l2lib import i64a, i32a, tarr, T  # noqa: F401 (T: the split entry files)
import mags
import ctypes as C  # noqa: F401 (the split entry files)

FLOATS = ("float32", "float64")
NUM = ("float32", "float64", "int64")
ALL = ("float32", "float64", "int64", "bool")
HALF = ("bfloat16", "float16")  # issue 16: the entries that take them are listed in reg_half.py
FLOATS_H = FLOATS + HALF
ALL_H = ALL + HALF
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
        # custom property check instead of torch values (random ops): "dropout", or a function
        # (libl2's result, the inputs as numpy, args) -> None or a message, run after a seed of
        # args["seed"] (onecase.py)
        self.check = check
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


def with_out(call):
    """A libl2 call with a tensor out-argument (indices, say): call(f, xs, a, pointer) gives
    the result; the entry's call returns (result, out) or None."""
    def c(f, xs, a):
        out = T()
        v = call(f, xs, a, C.byref(out))
        return (v, out.value) if v else None
    return c


def _other_dt(d, dt, p=6):
    """Mixed dtypes: in one case of p, another of float32, float64, int64, bool than dt."""
    if d.int(0, p - 1):
        return dt
    if dt in HALF:  # a half with float32/float64/int64/bool or the other half (-> float32)
        return d.choice([x for x in ALL_H if x != dt])
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
        r = {"inputs": [d.tensor(shapes[0], dts[0], kinds[0]),
                        d.tensor(shapes[1], dts[1], kinds[1])],
             "args": {}}
        # a half beside a float of another dtype (issue 16): forward only. torch 1.13's
        # backward formulas then round intermediates to the half (atan2's other * other in
        # bfloat16 beside a float64 self: 5e-4 relative), where libl2's are exact; with no
        # float64 reference for mixed cases the comparison would judge torch's rounding
        if dt in HALF and any(x != dt and x in FLOATS + HALF for x in dts):
            r["nograd"] = True
        return r
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
DT_ENUM = {"float32": 0, "float64": 1, "int64": 2, "bool": 3, "bfloat16": 4, "float16": 5}
add("l2_to_dtype", "T:Ti",
    lambda d, dt: {"inputs": [d.tensor(d.shape(), dt, d.choice(["uniform", "special",
                                                                 "small_int"]))],
                   "args": {"to": d.choice(ALL_H if dt in HALF else ALL)}},
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

# ---- elementwise, reductions, linalg, indexing, nn: in their own files ---------------
from reg_elementwise import *  # noqa: E402,F401,F403
from reg_reduce import *  # noqa: E402,F401,F403
from reg_nn import *  # noqa: E402,F401,F403

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
    """Ops declared in l2.h: `L2_API l2_tensor *l2_x(` and `L2_API l2_status l2_x(` (in-place
    ops, and ops that hand results back through an array) in the op sections, minus NOT_OPS."""
    start = header_text.find(OP_SECTIONS_START)
    end = header_text.find(OP_SECTIONS_END)
    body = header_text[start:end if end > 0 else None]
    # drop non-op sections: a title (a one-line comment between two rule lines) and the body
    # up to the next title
    parts = re.split(r"/\* -{20,} \*/\n", body)
    keep, skip = [], False
    for p in parts:
        lines = p.strip().split("\n")
        if len(lines) == 1 and lines[0].startswith("/*") and lines[0].endswith("*/"):
            skip = any(t in lines[0] for t in NON_OP_SECTIONS)
        if not skip:
            keep.append(p)
    text = "\n".join(keep)
    names = re.findall(r"L2_API\s+l2_tensor\s*\*\s*(l2_\w+)\s*\(", text)
    names += re.findall(r"L2_API\s+l2_status\s+(l2_\w+)\s*\(", text)
    out = []
    for n in names:
        if n not in NOT_OPS and n not in out:
            out.append(n)
    return out


def coverage_missing(header_text):
    return [n for n in declared_ops(header_text) if n not in REGISTRY]
REGISTRY["l2_fmod"].mag = mags.fmod_like(False)
REGISTRY["l2_remainder"].mag = mags.fmod_like(True)

# the convolution family's composed members (issue 14)
import reg_conv_compose  # noqa: E402,F401

# the indexing ops of issue 14 (index2)
import reg_index2  # noqa: E402,F401

# sorting, selection and scans (issue 14, sort)
import reg_sort  # noqa: E402,F401
# the sampling ops and more norms of issue 14 (sample)
import reg_sample  # noqa: E402,F401
# reductions and scans of issue 14 (scan)
import reg_scan  # noqa: E402,F401
# the activations, distances and losses of issue 14 (act)
import reg_act  # noqa: E402,F401

# the shape family (issue 14, shape)
import reg_shape  # noqa: E402,F401
# the conv2 family of issue 14 (transposed convolution, more pools)
import reg_conv2  # noqa: E402,F401
# the indexing ops of issue 14 (index3)
import reg_index3  # noqa: E402,F401
# the conv3 family of issue 14 (conv3d, 3-d pools, adaptive max pool, max unpool)
import reg_conv3  # noqa: E402,F401
# the threshold activation and the losses of issue 14 (loss)
import reg_loss2  # noqa: E402,F401
# scatter, scatter_reduce, unique, unique_consecutive (issue 14, uniq)
import reg_uniq  # noqa: E402,F401
# advanced indexing of issue 14 (adv)
import reg_adv  # noqa: E402,F401
# the recurrent layers of issue 15 (rnn)
import reg_rnn  # noqa: E402,F401
import reg_decomp  # noqa: E402,F401  # LAPACK decompositions (issue 15, la2)
# einsum, tensordot, norms, cross (issue 15, compose)
import reg_einsum  # noqa: E402,F401
import reg_lapack  # noqa: E402,F401
# multi-head attention (issue 15, mha)
import reg_mha  # noqa: E402,F401
# SVD, svdvals, pinv (issue 15, svd)
import reg_svd  # noqa: E402,F401
import reg_norm  # noqa: E402,F401  # norms, least squares, cholesky_solve (issue 15, lsqnorm)
# baddbmm, addbmm (issue 15, baddbmm)
import reg_baddbmm  # noqa: E402,F401
# bfloat16 / float16 (issue 16): the entries that take the half dtypes, and the ops torch 1.13
# refuses in float16 that libl2 computes (the reference there: torch in float32, rounded)
from reg_half import (HALF_TORCH_F32, HALF_TORCH_BUGS, HALF_FORWARD_ONLY,  # noqa: E402,F401
                      HALF_TORCH_ALWAYS_F32, HALF_SIZED_CI)
