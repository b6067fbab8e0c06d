"""reg_elementwise.py: the oracle registry's entries for elementwise ops (unary, binary,
scalar and comparison ops).
registry.py imports this module where the entries stood, so REGISTRY keeps its order."""
import math  # noqa: F401

import torch  # noqa: F401
import torch.nn.functional as F  # noqa: F401

from registry import *  # noqa: F401,F403
from registry import _num, _other_dt, _vk  # noqa: F401


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


def _pow_mag(ins, a, g):
    """pow's gradient magnitudes: the "abs" mode's (|a|^|b| log|a| keeps log's sign, so a
    broadcast operand's terms still cancel) plus the sums of the terms' absolute values over the
    broadcast dims, |g b a^(b-1)| and |g a^b log a|. Forward: none (the output is one value)."""
    x, b = ins[0], ins[1]
    if g is None or x is None or b is None:
        return None if g is None else "abs"
    with torch.no_grad():
        xb, bb = torch.broadcast_tensors(x.double(), b.double())
        ga = g.abs()
        da = (ga * (bb * torch.pow(xb, bb - 1)).abs()).sum_to_size(x.shape)
        db = (ga * (torch.pow(xb, bb) * torch.log(xb)).abs()).sum_to_size(b.shape)
    # one entry per differentiated (float) input, in order
    return "abs", [m for m, t in ((da, x), (db, b)) if t.is_floating_point()]


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
        dtypes=dts, family="elementwise", mag=_pow_mag if nm == "pow" else None)


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
