"""reg_sample.py: the oracle registry's entries for the sampling ops and the norms of issue 14
(libl2/ops/sample.c, nn-norm2.c). registry.py imports this module at its end.

The sampling ops draw other numbers than torch, so their values are checked by their properties
(Op.check is a function): torch runs on the same inputs for the shape, the dtype, the errors and
the (zero) gradients; libl2 runs from the seed in args at 1, 2 and 3 threads and must give the
same bits each time (reproducible, independent of the thread count); then the values must be
possible (0/1, categories of positive weight, no repeats, mean where std is 0) and frequencies
and moments must lie within bounds computed from the sample size, which a correct sampler
exceeds with probability below 4e-9 (TAIL below)."""
import math

import numpy as np
import torch
import torch.nn.functional as F

import mags
from registry import ALL, add, _other_dt

# Every statistical bound is exceeded with probability below 2 exp(-TAIL) (4e-9) for a correct
# sampler: Bernstein's inequality for sums of independent indicators, the Gaussian tail for a
# sum of standard normals and Laurent and Massart's for a chi-squared sum.
TAIL = 20.0


def _near(got, want, var, what, slack=0.0):
    """Bernstein: a sum of independent variables within 1 of their means, of total variance var,
    lies within t = TAIL/3 + sqrt((TAIL/3)^2 + 2 TAIL var) of its mean (slack: rounding)."""
    t = TAIL / 3 + math.sqrt((TAIL / 3) ** 2 + 2 * TAIL * max(var, 0.0)) + slack
    if abs(got - want) <= t:
        return None
    return "%s: %.6g, expected %.6g +- %.4g (variance %.4g)" % (what, got, want, t, var)


def _seed(d):
    return d.int(0, 2**31 - 1)


# ---- bernoulli ----------------------------------------------------------------------------

def _bern_props(got, p):
    """got: 0/1 samples with probabilities p (broadcast numpy float64)."""
    g = got.astype(np.float64)
    if not np.all((g == 0) | (g == 1)):
        return "values other than 0 and 1"
    if np.any(g[p == 0] != 0) or np.any(g[p == 1] != 1):
        return "a one where p = 0 or a zero where p = 1"
    return _near(g.sum(), p.sum(), (p * (1 - p)).sum(), "number of ones")


def c_bernoulli(got, xs, a):
    return _bern_props(got, xs[0].astype(np.float64))


def c_bernoulli_p(got, xs, a):
    return _bern_props(got, np.full(got.shape, a["p"]))


def g_bernoulli(d, dt):
    r = d.int(0, 19)
    # mostly probabilities in [0, 1] with exact 0s and 1s; one case in 20 outside (error parity)
    kind = "special" if r == 0 else "uniform" if r == 1 else "uniform01"
    return {"inputs": [d.tensor(d.shape(), _other_dt(d, dt, 10), kind)],
            "args": {"seed": _seed(d)}}


add("l2_bernoulli", "T:T", g_bernoulli, lambda ts, a: torch.bernoulli(ts[0]),
    family="sample", check=c_bernoulli)


def g_bernoulli_p(d, dt):
    return {"inputs": [d.tensor(d.shape(), dt)],
            "args": {"p": d.choice([0.0, 0.25, 0.5, 0.9, 1.0, -0.5, 1.5]), "seed": _seed(d)}}


add("l2_bernoulli_p", "T:Td", g_bernoulli_p, lambda ts, a: torch.bernoulli(ts[0], a["p"]),
    lambda f, xs, a: f(xs[0], a["p"]), dtypes=ALL, family="sample", check=c_bernoulli_p)


# ---- multinomial --------------------------------------------------------------------------

def c_multinomial(got, xs, a):
    if got.size == 0:
        return None
    w = xs[0].astype(np.float64)
    w2 = w.reshape(1, -1) if w.ndim == 1 else w
    g = got.reshape(w2.shape[0], -1)
    n, K = g.shape[1], w2.shape[1]
    if np.any((g < 0) | (g >= K)):
        return "an index outside [0, %d)" % K
    rows = np.arange(w2.shape[0])[:, None]
    pos = w2 > 0
    npos = pos.sum(1)
    drawn_pos = pos[rows, g]
    if a["replacement"]:
        if not drawn_pos.all():
            return "a category of weight 0 drawn with replacement"
        # each category's count over all rows: a sum of binomials
        p = w2 / w2.sum(1, keepdims=True)
        for c in range(K):
            m = _near(float((g == c).sum()), float(n * p[:, c].sum()),
                      float(n * (p[:, c] * (1 - p[:, c])).sum()), "count of category %d" % c)
            if m:
                return m
        return None
    for r in range(g.shape[0]):
        if len(set(g[r].tolist())) != n:
            return "row %d repeats a category without replacement: %s" % (r, g[r].tolist())
        k = min(n, int(npos[r]))
        if not drawn_pos[r, :k].all():
            return "row %d: a zero weight drawn before the positive ones are used up" % r
    # the first draw of each row: a categorical draw with p
    p = w2 / w2.sum(1, keepdims=True)
    for c in range(K):
        m = _near(float((g[:, 0] == c).sum()), float(p[:, c].sum()),
                  float((p[:, c] * (1 - p[:, c])).sum()), "first draws of category %d" % c)
        if m:
            return m
    return None


def g_multinomial(d, dt):
    r = d.int(0, 24)
    K = d.int(1, 9)
    shape = (K,) if d.bool() else (d.int(0, 5), K)
    if r == 0:  # error parity: another rank
        shape = d.choice([(), (2, 2, K)])
    # weights: positive; tiny with exact zeros (near_zero: a row of zeros now and then, weights
    # down to denormals); now and then negative, inf or NaN (errors)
    kind = {1: "special", 2: "uniform"}.get(r, "near_zero" if r < 10 else "positive")
    w = d.tensor(shape, _other_dt(d, dt, 10), kind)
    repl = d.bool()
    n = d.int(1, K) if not repl or d.bool() else d.int(1, 40)
    if r == 3:
        n = d.choice([0, -1, K + 1])
    return {"inputs": [w], "args": {"n": n, "replacement": repl, "seed": _seed(d)}}


add("l2_multinomial", "T:Tlb", g_multinomial,
    lambda ts, a: torch.multinomial(ts[0], a["n"], a["replacement"]),
    lambda f, xs, a: f(xs[0], a["n"], a["replacement"]), family="sample",
    check=c_multinomial, nograd=True)


# ---- normal -------------------------------------------------------------------------------

def _normal_props(got, mean, std):
    """got: samples of N(mean, std) (mean, std: numpy float64 broadcast to got's shape)."""
    g = got.astype(np.float64)
    fin = np.isfinite(mean) & np.isfinite(std)
    z0 = fin & (std == 0)
    if np.any(g[z0] != mean[z0].astype(got.dtype)):
        return "std = 0 but the sample differs from mean"
    sel = fin & (std > 0)
    if not np.all(np.isfinite(g[sel])):
        return "a sample is not finite"
    n = int(sel.sum())
    if n == 0:
        return None
    z = (g[sel] - mean[sel]) / std[sel]
    # rounding of the float32 sample: |mean| ulp over std
    if got.dtype == np.float32 and np.any(np.abs(mean[sel]) / std[sel] > 1e3):
        return None
    t = math.sqrt(2 * TAIL * n) + 1e-3 * n  # the Gaussian tail of a sum of n normals
    if abs(z.sum()) > t:
        return "sum of %d standardised samples: %.6g, beyond +-%.4g" % (n, z.sum(), t)
    # sum of z^2 is chi-squared with n degrees of freedom (Laurent and Massart's bounds)
    q = float((z * z).sum())
    hi, lo = n + 2 * math.sqrt(n * TAIL) + 2 * TAIL, n - 2 * math.sqrt(n * TAIL)
    if not lo - 1e-3 * n <= q <= hi + 1e-3 * n:
        return "sum of %d squared standardised samples: %.6g, outside [%.4g, %.4g]" % (
            n, q, lo, hi)
    return None


def _bc(x, shape):
    return np.broadcast_to(np.asarray(x, dtype=np.float64), shape)


def c_normal_tt(got, xs, a):
    return _normal_props(got, _bc(xs[0], got.shape), _bc(xs[1], got.shape))


def c_normal_tf(got, xs, a):
    return _normal_props(got, _bc(xs[0], got.shape), _bc(a["std"], got.shape))


def c_normal_ft(got, xs, a):
    return _normal_props(got, _bc(a["mean"], got.shape), _bc(xs[0], got.shape))


def _std_kind(d):
    """std values: positive; one case in 12 any sign (error parity), one in 12 with zeros."""
    r = d.int(0, 11)
    return "uniform" if r == 0 else "uniform01" if r == 1 else "positive"


def g_normal_tt(d, dt):
    shapes = d.bshapes(2)
    # std of another dtype in one case of 6 (converted to mean's dtype, as torch)
    sdt = dt if d.int(0, 5) else d.choice([x for x in ALL if x != dt])
    return {"inputs": [d.tensor(shapes[0], _other_dt(d, dt, 10), "uniform"),
                       d.tensor(shapes[1], sdt, _std_kind(d))],
            "args": {"seed": _seed(d)}}


add("l2_normal_tensor_tensor", "T:TT", g_normal_tt, lambda ts, a: torch.normal(ts[0], ts[1]),
    family="sample", check=c_normal_tt)


def g_normal_tf(d, dt):
    return {"inputs": [d.tensor(d.shape(), _other_dt(d, dt, 10), "uniform")],
            "args": {"std": d.choice([1.0, 0.5, 0.0, 3.0, -1.0]), "seed": _seed(d)}}


add("l2_normal_tensor_float", "T:Td", g_normal_tf, lambda ts, a: torch.normal(ts[0], a["std"]),
    lambda f, xs, a: f(xs[0], a["std"]), family="sample", check=c_normal_tf)


def g_normal_ft(d, dt):
    return {"inputs": [d.tensor(d.shape(), _other_dt(d, dt, 10), _std_kind(d))],
            "args": {"mean": d.choice([0.0, -2.5, 10.0]), "seed": _seed(d)}}


add("l2_normal_float_tensor", "T:dT", g_normal_ft, lambda ts, a: torch.normal(a["mean"], ts[0]),
    lambda f, xs, a: f(a["mean"], xs[0]), family="sample", check=c_normal_ft)


# ---- norms (nn-norm2.c) -------------------------------------------------------------------
# Compared with torch as layer_norm is: accumulating tolerance, torch float64 as the precise
# reference, magnitudes from the normalisation's terms (mags._norm_terms).

def _group_terms(x, G, w, b, eps, g):
    """mags._norm_terms over x viewed as (N, G, C / G, S), the parameters per channel."""
    N, C = x.shape[0], x.shape[1]
    if x.numel() == 0 or G <= 0 or C % G:
        return "perturb"
    shp = (N, G, C // G, -1)
    x4 = x.reshape(shp)
    pshape = (1, G, C // G, 1)
    rstd = 1 / torch.sqrt(x4.var((2, 3), unbiased=False, keepdim=True) + eps)
    out = mags._norm_terms(x4, (2, 3), rstd, w.reshape(pshape) if w is not None else None,
                           b.reshape(pshape) if b is not None else None,
                           g.reshape(x4.shape) if g is not None else None, (1, 2))
    return [out[0].reshape(x.shape)] + [m.reshape(-1) for m in out[1:]]


def _params(d, dt, C, bad):
    """Optional weight and bias of shape (C) (one of the wrong size when bad)."""
    w = d.tensor((C + (1 if bad == 1 else 0),), dt) if d.bool() else None
    b = d.tensor((C + (1 if bad == 2 else 0),), dt) if d.bool() else None
    return w, b


def g_group_norm(d, dt):
    r = d.int(0, 29)
    G = d.int(1, 4)
    C = G * d.int(1, 3)
    s = (d.int(0, 4), C) + tuple(d.int(0, 4) for _ in range(d.int(0, 2)))
    if r == 0:  # error parity: C not divisible, G 0 or negative, rank 1
        G = d.choice([C + 1, 0, -1, -C])
    if r == 1:
        s = (C,)
    w, b = _params(d, dt, C, d.int(0, 2) if r == 2 else 0)
    return {"inputs": [d.tensor(s, dt, "normal"), w, b],
            "args": {"G": G, "eps": d.choice([1e-5, 1e-3])}}


add("l2_group_norm", "T:TlTTd", g_group_norm,
    lambda ts, a: F.group_norm(ts[0], a["G"], ts[1], ts[2], a["eps"]),
    lambda f, xs, a: f(xs[0], a["G"], xs[1], xs[2], a["eps"]), tol="accumulating",
    family="nn", mag=lambda xs, a, g: _group_terms(xs[0], a["G"], xs[1], xs[2], a["eps"], g))


def g_instance_norm(d, dt):
    r = d.int(0, 29)
    C = d.int(1, 4)
    s = (d.int(0, 3), C) + tuple(d.int(1, 5) for _ in range(d.int(1, 2)))
    if r == 0:  # error parity: one spatial element, too few dims
        s = d.choice([(2, C, 1), (2, C), (C,)])
    use = d.int(0, 3) > 0
    rm = d.tensor((C,), dt, writable=True) if d.bool() or not use else None
    rv = d.tensor((C,), dt, "positive", writable=True) if rm is not None or d.bool() else None
    if r == 1:
        rm = None
    w, b = _params(d, dt, C, d.int(0, 2) if r == 2 else 0)
    if any(t is not None for t in (rm, rv, w, b)) and s[0] == 0:
        # an empty batch: torch 1.13 writes NaN into the running statistics or fails (select()
        # out of range, with weight or bias); libl2 returns the empty result (a departure, l2.h)
        s = (1,) + s[1:]
    return {"inputs": [d.tensor(s, dt, "normal"), rm, rv, w, b],
            "args": {"use": use, "momentum": d.choice([0.1, 0.5]),
                     "eps": d.choice([1e-5, 1e-3])}}


def _instance_terms(xs, a, g):
    x, rm, rv, w, b = xs
    if a["use"]:
        return _group_terms(x, x.shape[1] if x.dim() >= 2 else 0, w, b, a["eps"], g)
    return mags.batch_norm(xs, {"training": False, "eps": a["eps"]}, g)


add("l2_instance_norm", "T:TTTTTbdd", g_instance_norm,
    lambda ts, a: F.instance_norm(ts[0], ts[1], ts[2], ts[3], ts[4], a["use"], a["momentum"],
                                  a["eps"]),
    lambda f, xs, a: f(xs[0], xs[1], xs[2], xs[3], xs[4], a["use"], a["momentum"], a["eps"]),
    tol="accumulating", diff=(0, 3, 4), mutates=(1, 2), family="nn", mag=_instance_terms)


def g_lrn(d, dt):
    r = d.int(0, 29)
    C = d.int(1, 6)
    s = (d.int(0, 3), C) + tuple(d.int(1, 4) for _ in range(d.int(1, 3)))
    if r == 0:  # error parity: too few dims
        s = (2, C)
    # a negative size: torch 1.13 fails in its padding (a shape error); libl2 says L2_ERR_ARG
    size = d.int(1, C + 2) if r != 1 else 0
    return {"inputs": [d.tensor(s, dt, d.choice(["normal", "wide"]))],
            "args": {"size": size, "alpha": d.choice([1e-4, 0.1, 1.0]),
                     "beta": d.choice([0.75, 0.5, 2.0]), "k": d.choice([1.0, 2.0])}}


def _lrn_terms(xs, a, g):
    """Gradients: with D = k + alpha avg_window(x^2), dx = g D^-beta - x (2 alpha beta / size)
    sum over the windows holding x of g x D^(-beta-1): the two terms cancel; their magnitudes
    |g| D^-beta and |x| (2 alpha beta / size) sum |g x| D^(-beta-1) (the sum over the mirrored
    window). Values: the float64 sensitivity run."""
    if g is None:
        return "perturb"
    x = xs[0]
    size, alpha, beta, k = a["size"], a["alpha"], a["beta"], a["k"]
    N, C = x.shape[0], x.shape[1]
    v = (x * x).reshape(N, 1, C, -1)
    D = F.avg_pool2d(F.pad(v, (0, 0, size // 2, (size - 1) // 2)), (size, 1), 1)
    D = (k + alpha * D).reshape(x.shape)
    t = (g * x).abs() * D.pow(-beta - 1)
    w = F.avg_pool2d(F.pad(t.reshape(N, 1, C, -1), (0, 0, (size - 1) // 2, size // 2)),
                     (size, 1), 1).reshape(x.shape) * size
    return [g.abs() * D.pow(-beta) + x.abs() * (2 * alpha * beta / size) * w]


add("l2_local_response_norm", "T:Tlddd", g_lrn,
    # torch 1.13 views x (4 or more dims) where only a reshape works: a contiguous copy (the
    # gradient flows back through it); libl2 gets the strided input
    lambda ts, a: F.local_response_norm(ts[0].contiguous(), a["size"], a["alpha"], a["beta"],
                                        a["k"]),
    lambda f, xs, a: f(xs[0], a["size"], a["alpha"], a["beta"], a["k"]), tol="accumulating",
    family="nn", mag=_lrn_terms)
