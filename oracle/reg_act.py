"""reg_act.py: the oracle registry's entries for the activations, distances and losses of issue
14 (area act; libl2/ops/activation.c ...), with their magnitude hooks (see mags.py) where
torch's float64 formula cancels. registry.py imports this module at its end."""
import math

import torch
import torch.nn.functional as F

from mags import _sum_to
from registry import FLOATS, REGISTRY, _vk, add, g_unary, g_unary_args

SELU_K = 1.6732632423543772848170429916717 * 1.0507009873554804934193349852946


def _grad_terms(terms):
    """Gradient magnitudes: terms(x) times |g| on top of the sensitivity."""
    def mag(xs, a, g):
        if g is None:
            return None
        return "perturb", [g.abs() * terms(xs[0], a)]
    return mag


def mag_selu(xs, a, g):
    """torch: (exp(x) - 1) scale alpha for x <= 0 (libl2 expm1): terms k exp(x) and k."""
    if g is not None:
        return "perturb"
    x = xs[0]
    return [torch.where(x > 0, x.abs() * 1.0507009873554804934193349852946,
                        SELU_K * (x.exp() + 1))]


def mag_celu(xs, a, g):
    """torch: alpha (exp(x / alpha) - 1) for x <= 0: terms |alpha| (exp(x / alpha) + 1)."""
    if g is not None:
        return "perturb"
    x, al = xs[0], a["alpha"]
    return [torch.where(x > 0, x.abs(), abs(al) * ((x / al).exp() + 1))]


def mag_tanhshrink(xs, a, g):
    """x - tanh(x) cancels near 0: terms |x| + |tanh x|; torch's gradient g - g (1 - t^2):
    terms |g| (2 + t^2)."""
    x = xs[0]
    t = torch.tanh(x)
    if g is None:
        return [x.abs() + t.abs()]
    return "perturb", [g.abs() * (2 + t * t)]


def _softsign_terms(x, a):
    """torch's gradient of x / (|x| + 1): g / (|x| + 1) - g x sgn(x) / (|x| + 1)^2."""
    d = 1 + x.abs()
    return 1 / d + x.abs() / (d * d)


def _mish_terms(x, a):
    """t + x s (1 - t^2) with t = tanh(softplus(x)), s = sigmoid(x): 1 - t^2 cancels."""
    t = torch.tanh(F.softplus(x))
    return t.abs() + x.abs() * torch.sigmoid(x) * (1 + t * t)


def _logsig_terms(x, a):
    z = torch.exp(-x.abs())
    return 1 + z / (1 + z)


def g_nonan(kind, stress="wide", **choices):
    """g_unary_args without NaN where a gradient is taken: torch's gradient at NaN differs between
    its vector loop and its scalar loop (short tensors, tails) for hardtanh, relu6 and hardswish;
    libl2 follows the vector loop (l2.h) and test-act checks it. The forward at NaN is compared:
    a "special" draw (NaN, +-inf, +-0, ...) makes a forward-only case (nograd)."""
    def gen(d, dt):
        k = _vk(d, kind, dt, stress)
        r = {"inputs": [d.tensor(d.shape(), dt, k)],
             "args": {n: d.choice(v) for n, v in choices.items()}}
        if k == "special":
            r["nograd"] = True
        return r
    return gen


HARDTANH_BOUNDS = [(-1.0, 1.0), (-0.5, 2.0), (0.0, 6.0), (1.0, -1.0), (-2.5, 1.7),
                   (-math.inf, 0.5)]


def g_hardtanh(d, dt):
    lo, hi = d.choice(HARDTANH_BOUNDS)
    c = g_nonan("halves")(d, dt)
    c["args"] = {"min": lo, "max": hi}
    return c


add("l2_hardtanh", "T:Tdd", g_hardtanh, lambda ts, a: F.hardtanh(ts[0], a["min"], a["max"]),
    lambda f, xs, a: f(xs[0], a["min"], a["max"]), tol="exact",
    dtypes=FLOATS + ("int64",), family="act")
add("l2_relu6", "T:T", g_nonan("halves"), lambda ts, a: F.relu6(ts[0]),
    tol="exact", dtypes=FLOATS + ("int64",), family="act")
add("l2_hardsigmoid", "T:T", g_unary_args("small_int", "wide"),
    lambda ts, a: F.hardsigmoid(ts[0]), family="act")
# (exact 3 never drawn: torch's gradient there differs between its vector and scalar loops)
add("l2_hardswish", "T:T", g_nonan("normal"),
    lambda ts, a: F.hardswish(ts[0]), family="act")
add("l2_mish", "T:T", g_unary_args("normal", "near_overflow"), lambda ts, a: F.mish(ts[0]),
    tol="loose", family="act", mag=_grad_terms(_mish_terms))
add("l2_selu", "T:T", g_unary_args("normal", "near_overflow"), lambda ts, a: F.selu(ts[0]),
    family="act", mag=mag_selu)
add("l2_celu", "T:Td", g_unary_args("normal", "near_overflow", alpha=[1.0, 0.5, 2.0, -1.5]),
    lambda ts, a: F.celu(ts[0], a["alpha"]), lambda f, xs, a: f(xs[0], a["alpha"]),
    family="act", mag=mag_celu)
add("l2_logsigmoid", "T:T", g_unary_args("normal", "near_overflow"),
    lambda ts, a: F.logsigmoid(ts[0]), family="act", mag=_grad_terms(_logsig_terms))
add("l2_softsign", "T:T", g_unary("normal", "wide"), lambda ts, a: F.softsign(ts[0]),
    family="act", mag=_grad_terms(_softsign_terms))
add("l2_tanhshrink", "T:T", g_unary("normal", "wide"), lambda ts, a: F.tanhshrink(ts[0]),
    tol="loose", family="act", mag=mag_tanhshrink)


def g_prelu(d, dt):
    s = d.shape()
    c = s[1] if len(s) >= 2 else 1
    r = d.int(0, 11)
    if r == 0:
        ws = ()  # a 0-d weight
    elif r == 1:
        ws = (c + 1,)  # a mismatch (unless c + 1 == 1, i.e. never)
    elif r < 6:
        ws = (1,)
    else:
        ws = (c,)
    x = d.tensor(s, dt, _vk(d, "normal", dt, "wide"))
    return {"inputs": [x, d.tensor(ws, dt, "normal")], "args": {}}


def mag_prelu(xs, a, g):
    """The weight's gradient sums g x over x <= 0 and all but the channel dim: its terms are
    |g x| there (the default, prelu of |inputs|, has none); dx's terms |g| max(1, |w|)."""
    if g is None:
        return None
    x, w = xs
    c = w.numel() != 1
    wb = w.reshape([-1] + [1] * (x.dim() - 2)) if c else w.reshape(())
    t = torch.where(x > 0, torch.zeros_like(x), (g * x).abs())
    dims = [i for i in range(x.dim()) if not (c and i == 1)]
    dw = t.sum(dims) if dims else t
    return "perturb", [g.abs() * torch.clamp(wb.abs(), min=1), dw.reshape(w.shape)]


# the weight gradient is a sum over all but the channel dim: accumulating
add("l2_prelu", "T:TT", g_prelu, lambda ts, a: F.prelu(ts[0], ts[1]), tol="accumulating",
    family="act", mag=mag_prelu)


def g_glu(d, dt):
    s = list(d.shape(min_dims=1))
    dim = d.dim(len(s))
    if d.int(0, 15) and s[dim] % 2:  # odd sizes (an error) in about one case of 16
        s[dim] += 1
    return {"inputs": [d.tensor(tuple(s), dt, _vk(d, "normal", dt, "near_overflow"))],
            "args": {"dim": dim}}


add("l2_glu", "T:Ti", g_glu, lambda ts, a: F.glu(ts[0], a["dim"]),
    lambda f, xs, a: f(xs[0], a["dim"]), tol="loose", family="act")


def g_cosine(d, dt):
    sh = d.bshapes(2)
    nd = max(len(sh[0]), len(sh[1]))
    dim = d.dim(nd) if nd else d.choice([0, -1])
    xs = [d.tensor(s, dt, _vk(d, "normal", dt, "wide", acc=True)) for s in sh]
    return {"inputs": xs, "args": {"dim": dim, "eps": d.choice([1e-8, 1e-3, 0.5])}}


def mag_cosine(xs, a, g):
    """cos = sum u1 u2 (u = x / n, n = max(|x|, eps)) cancels: terms sum |u1 u2|; dx1 = g (u2 - cos
    u1) / n1 cancels too: terms |g| (|u2| +
    |cos| |u1|) / n1, summed over what was broadcast, plus the sensitivity."""
    x1, x2 = torch.broadcast_tensors(xs[0], xs[1])
    d = a["dim"] if x1.dim() else None
    if d is None:
        n1, n2 = x1.abs().clamp(min=a["eps"]), x2.abs().clamp(min=a["eps"])
    else:
        n1 = x1.norm(2, d, keepdim=True).clamp(min=a["eps"])
        n2 = x2.norm(2, d, keepdim=True).clamp(min=a["eps"])
    u1, u2 = x1.abs() / n1, x2.abs() / n2
    if g is None:  # the sum of the products u1 u2 cancels: its terms
        return ["perturb", [(u1 * u2).sum(d) if d is not None else u1 * u2]][1]
    ga = g.abs().unsqueeze(d) if d is not None else g.abs()
    c = ((u1 * u2).sum(d, keepdim=True) if d is not None else u1 * u2)
    t1 = ga * (u2 + c * u1) / n1
    t2 = ga * (u1 + c * u2) / n2
    return "perturb", [_sum_to(t1, xs[0].shape), _sum_to(t2, xs[1].shape)]


add("l2_cosine_similarity", "T:TTid", g_cosine,
    lambda ts, a: F.cosine_similarity(ts[0], ts[1], a["dim"], a["eps"]),
    lambda f, xs, a: f(xs[0], xs[1], a["dim"], a["eps"]), tol="accumulating", family="act",
    mag=mag_cosine)


def g_pairwise(d, dt):
    sh = d.bshapes(2)
    xs = [d.tensor(s, dt, _vk(d, "normal", dt, "wide", acc=True)) for s in sh]
    return {"inputs": xs, "args": {"p": d.choice([2.0, 1.0, 3.0, 0.5, math.inf]),
                                   "eps": d.choice([1e-6, 0.0, 0.1]), "keepdim": d.bool()}}


def mag_pairwise(xs, a, g):
    """The norm of d = x1 - x2 + eps: terms the norm of |x1| + |x2| + |eps| times the roundings
    of its sum, 2 (1 + log2 n) (as mags._norm_terms); gradients: the sensitivity."""
    if g is not None:
        return "perturb"
    x1, x2 = torch.broadcast_tensors(xs[0], xs[1])
    t = x1.abs() + x2.abs() + abs(a["eps"])
    if t.dim() == 0:
        return [t]
    n = t.shape[-1]
    return [torch.linalg.vector_norm(t, a["p"], -1, a["keepdim"]) * 2 *
            (1 + math.log2(max(n, 1)))]


add("l2_pairwise_distance", "T:TTddb", g_pairwise,
    lambda ts, a: F.pairwise_distance(ts[0], ts[1], a["p"], a["eps"], a["keepdim"]),
    lambda f, xs, a: f(xs[0], xs[1], a["p"], a["eps"], a["keepdim"]), tol="accumulating",
    family="act", mag=mag_pairwise)


def g_normalize(d, dt):
    s = d.shape()
    dim = d.dim(len(s)) if s else d.choice([0, -1])
    return {"inputs": [d.tensor(s, dt, _vk(d, "normal", dt, "wide", acc=True))],
            "args": {"p": d.choice([2.0, 1.0, 3.0, math.inf]), "dim": dim,
                     "eps": d.choice([1e-12, 0.5])}}


def mag_normalize(xs, a, g):
    """y = x / n carries the norm's roundings: |y| 2 (1 + log2 n) (n elements along dim).
    dx = g / n - x |x|^(p-2) sum(g x) / n^(p+1) cancels: terms |g| / n + |x|^(p-1)
    sum(|g x|) / n^p (p = inf: 1 / n^2 for the sum), n = max(norm, eps)."""
    x, p = xs[0], a["p"]
    d = a["dim"] if x.dim() else None
    if g is None:  # the norm's roundings (1 + log2 n of them, as mags._norm_terms) reach y
        n = x.shape[d] if d is not None else 1
        return [F.normalize(x, p, d if d is not None else 0, a["eps"]).abs() * 2 *
                (1 + math.log2(max(n, 1)))]
    if d is None or x.numel() == 0:
        n = x.abs().clamp(min=a["eps"])
        s = (g * x).abs()
    else:
        n = x.norm(p, d, keepdim=True).clamp(min=a["eps"])
        s = (g * x).abs().sum(d, keepdim=True)
    if math.isinf(p):
        t = g.abs() / n + s / (n * n)
    else:
        t = g.abs() / n + x.abs() ** (p - 1) * s / n ** (p + 1)
    return "perturb", [t]


add("l2_normalize", "T:Tdid", g_normalize,
    lambda ts, a: F.normalize(ts[0], a["p"], a["dim"], a["eps"]),
    lambda f, xs, a: f(xs[0], a["p"], a["dim"], a["eps"]), tol="accumulating", family="act",
    mag=mag_normalize)


def _psum_norm(t, p, dim, keepdim):
    """The p-norm over dim with numpy's pairwise sum (torch's float64 sum of 262144 terms is off by
    30 ulp where the pairwise one is exact): the precise reference of
    pairwise_distance."""
    import numpy as np
    a = t.detach().double().abs().numpy()
    if math.isinf(p):
        r = a.max(axis=dim, keepdims=keepdim, initial=0.0)
    else:
        r = np.sum(a ** p, axis=dim, keepdims=keepdim) ** (1.0 / p)
    return torch.from_numpy(np.asarray(r, dtype=np.float64))


def ref64_pairwise(ts, a):
    x1, x2 = ts[0].double(), ts[1].double()
    d = x1 - x2 + a["eps"]
    if d.dim() == 0 or d.shape[-1] == 0:
        return F.pairwise_distance(x1, x2, a["p"], a["eps"], a["keepdim"])
    return _psum_norm(d, a["p"], d.dim() - 1, a["keepdim"])


# (normalize keeps torch as its reference: this numpy one carries no gradient; its one large
# sized case still fails on torch's float64 sum, see the report)
REGISTRY_ACT_REF64 = {"l2_pairwise_distance": ref64_pairwise}
for _n, _f in REGISTRY_ACT_REF64.items():
    REGISTRY[_n].ref64 = _f
