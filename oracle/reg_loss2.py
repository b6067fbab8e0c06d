"""reg_loss2.py: the oracle registry's entries for the threshold activation and the losses of
issue 14 (area loss; libl2/ops/loss2.c, loss2-act.c). registry.py imports this module at its
end. Losses are judged as accumulations against torch in float64 with "perturb" magnitudes."""
import warnings

import torch
import torch.nn.functional as F

from mags import _sum_to
from registry import FLOATS, RED, REGISTRY, _vk, add

RED4 = {**RED, 3: "batchmean"}  # l2_reduction values, kl_div's batchmean too


def mag_terms(ref, diff, bidx=None):
    """Gradient magnitudes: the sensitivity plus, for each differentiable input, the sum of
    |terms| its gradient adds up over what was broadcast (torch's float64 sum of +-1 terms of a
    smooth_l1 gradient cancels to 1e-17 where the sensitivity is 0): each input of bidx
    (default: all) expanded to the broadcast shape as its own leaf, the per-element gradients
    taken with g, |.| summed back to the input's shape."""
    def mag(xs, a, g):
        if g is None:
            return "perturb"
        idx = bidx if bidx is not None else range(len(xs))
        shp = torch.broadcast_shapes(*[xs[i].shape for i in idx])
        ins = list(xs)
        for i in idx:
            ins[i] = xs[i].detach().expand(shp).clone().requires_grad_(True)
        with torch.enable_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # kl_div's "mean" warning
            out = ref(ins, a)
            gr = torch.autograd.grad(out, [ins[i] for i in diff], g, allow_unused=True)
        return "perturb", [torch.zeros_like(xs[i]) if t is None else _sum_to(t.abs(), xs[i].shape)
                           for i, t in zip(diff, gr)]
    return mag


def g_threshold(d, dt):
    return {"inputs": [d.tensor(d.shape(), dt, _vk(d, "halves", dt, "wide"))],
            "args": {"th": d.choice([0.5, -1.0, 0.0, 1.5, -0.75]),
                     "value": d.choice([0.0, 2.5, -3.0, 20.0])}}


add("l2_nn_threshold", "T:Tdd", g_threshold,
    lambda ts, a: F.threshold(ts[0], a["th"], a["value"]),
    lambda f, xs, a: f(xs[0], a["th"], a["value"]), tol="exact",
    dtypes=FLOATS + ("int64",), family="loss")


def _pair(d, dt, ki, kt, stress="wide"):
    """input and target: one shape mostly, a broadcast pair in one case of four."""
    if d.int(0, 3):
        s = d.shape()
        sh = (s, s)
    else:
        sh = d.bshapes(2)
    return [d.tensor(sh[0], dt, _vk(d, ki, dt, stress, acc=True)),
            d.tensor(sh[1], dt, kt if kt.startswith("randint") else _vk(d, kt, dt, acc=True))]


def g_pw(ki, kt, nred=3, **choices):
    def gen(d, dt):
        return {"inputs": _pair(d, dt, ki, kt),
                "args": dict({"reduction": d.int(0, nred - 1)},
                             **{k: d.choice(v) for k, v in choices.items()})}
    return gen


def _red(a):
    return RED4[a["reduction"]]


add("l2_smooth_l1_loss", "T:TTid", g_pw("normal", "normal", beta=[1.0, 0.5, 2.0, 0.0, 1e-3, -1.0]),
    lambda ts, a: F.smooth_l1_loss(ts[0], ts[1], reduction=_red(a), beta=a["beta"]),
    lambda f, xs, a: f(xs[0], xs[1], a["reduction"], a["beta"]), tol="accumulating",
    family="loss", mag="perturb")
add("l2_huber_loss", "T:TTid", g_pw("normal", "normal", delta=[1.0, 0.5, 2.0, 1e-3, 0.0]),
    lambda ts, a: F.huber_loss(ts[0], ts[1], reduction=_red(a), delta=a["delta"]),
    lambda f, xs, a: f(xs[0], xs[1], a["reduction"], a["delta"]), tol="accumulating",
    family="loss", mag="perturb")


def g_kl(d, dt):
    lt = d.bool()
    return {"inputs": _pair(d, dt, "normal", "normal" if lt else "uniform01"),
            "args": {"reduction": d.int(0, 3), "log_target": lt}}


add("l2_kl_div", "T:TTib", g_kl,
    lambda ts, a: F.kl_div(ts[0], ts[1], reduction=_red(a), log_target=a["log_target"]),
    lambda f, xs, a: f(xs[0], xs[1], a["reduction"], a["log_target"]), tol="accumulating",
    family="loss", mag="perturb")


def g_margin_ranking(d, dt):
    sh = [tuple(s) for s in d.bshapes(3)]
    if d.int(0, 7):  # same number of dims (as torch wants) in most cases
        nd = max(len(s) for s in sh)
        sh = [(1,) * (nd - len(s)) + s for s in sh]
    xs = [d.tensor(sh[0], dt, _vk(d, "normal", dt, "wide", acc=True)),
          d.tensor(sh[1], dt, _vk(d, "normal", dt, "wide", acc=True)),
          d.tensor(sh[2], dt, "randint:-1:2" if d.int(0, 2) else _vk(d, "normal", dt))]
    return {"inputs": xs, "args": {"margin": d.choice([0.0, 0.5, -0.25, 1.0]),
                                   "reduction": d.int(0, 2)}}


add("l2_margin_ranking_loss", "T:TTTdi", g_margin_ranking,
    lambda ts, a: F.margin_ranking_loss(ts[0], ts[1], ts[2], margin=a["margin"],
                                        reduction=_red(a)),
    lambda f, xs, a: f(xs[0], xs[1], xs[2], a["margin"], a["reduction"]), tol="accumulating",
    family="loss", mag="perturb")


def g_hinge(d, dt):
    return {"inputs": _pair(d, dt, "normal", "randint:-1:2" if d.int(0, 3) else "ties"),
            "args": {"margin": d.choice([1.0, 0.5, -0.5, 2.0]), "reduction": d.int(0, 2)}}


add("l2_hinge_embedding_loss", "T:TTdi", g_hinge,
    lambda ts, a: F.hinge_embedding_loss(ts[0], ts[1], margin=a["margin"], reduction=_red(a)),
    lambda f, xs, a: f(xs[0], xs[1], a["margin"], a["reduction"]), tol="accumulating",
    diff=(0,), family="loss", mag="perturb")


def g_cosine_emb(d, dt):
    s = d.shape(min_dims=1, max_dims=2)
    r = d.int(0, 15)
    if r == 0:  # a target of the wrong rank
        ts = (2, 2)
    else:
        ts = s[:-1]
    s2 = s
    if len(s) == 2 and r in (1, 2):  # a broadcast row
        s2 = (1, s[1])
    xs = [d.tensor(s, dt, _vk(d, "normal", dt, "wide", acc=True)),
          d.tensor(s2, dt, _vk(d, "normal", dt, "wide", acc=True)),
          d.tensor(ts, dt, "randint:-1:2")]
    return {"inputs": xs, "args": {"margin": d.choice([0.0, 0.5, -0.3]),
                                   "reduction": d.int(0, 2)}}


add("l2_cosine_embedding_loss", "T:TTTdi", g_cosine_emb,
    lambda ts, a: F.cosine_embedding_loss(ts[0], ts[1], ts[2], margin=a["margin"],
                                          reduction=_red(a)),
    lambda f, xs, a: f(xs[0], xs[1], xs[2], a["margin"], a["reduction"]), tol="accumulating",
    diff=(0, 1), family="loss", mag="perturb")


def g_poisson(d, dt):
    li = d.bool()
    return {"inputs": _pair(d, dt, "normal" if li else "positive", "positive"),
            "args": {"log_input": li, "full": d.bool(), "eps": d.choice([1e-8, 0.1]),
                     "reduction": d.int(0, 2)}}


add("l2_poisson_nll_loss", "T:TTbbdi", g_poisson,
    lambda ts, a: F.poisson_nll_loss(ts[0], ts[1], log_input=a["log_input"], full=a["full"],
                                     eps=a["eps"], reduction=_red(a)),
    lambda f, xs, a: f(xs[0], xs[1], a["log_input"], a["full"], a["eps"], a["reduction"]),
    tol="accumulating", family="loss", mag="perturb")


def g_gaussian(d, dt):
    s = d.shape()
    ts = s
    r = d.int(0, 11)
    if r == 0 and len(s):
        ts = (1,) + s[1:]  # a broadcast target
    vs = s
    if len(s) and r in (1, 2, 3):
        vs = s[:-1]
    elif len(s) and r in (4, 5, 6):
        vs = s[:-1] + (1,)
    elif r == 7:
        vs = s + (2,)  # of incorrect size
    xs = [d.tensor(s, dt, _vk(d, "normal", dt, "wide", acc=True)),
          d.tensor(ts, dt, _vk(d, "normal", dt, acc=True)),
          d.tensor(vs, dt, _vk(d, "positive", dt) if d.int(0, 3) else "near_zero")]
    # var near 0 is clamped at eps (torch's no_grad clamp: not the derivative finite differences
    # see); gradcheck.py smooths near_zero to positive (>= 0.1), above every eps here
    return {"inputs": xs, "args": {"full": d.bool(), "eps": d.choice([1e-6, 0.05]),
                                   "reduction": d.int(0, 2)}}


add("l2_gaussian_nll_loss", "T:TTTbdi", g_gaussian,
    lambda ts, a: F.gaussian_nll_loss(ts[0], ts[1], ts[2], full=a["full"], eps=a["eps"],
                                      reduction=_red(a)),
    lambda f, xs, a: f(xs[0], xs[1], xs[2], a["full"], a["eps"], a["reduction"]),
    tol="accumulating", family="loss", mag="perturb")


def mag_cos_emb(xs, a, g):
    """Forward: the terms of 1 - cos (below). Gradients: cos = s / sqrt(m1 m2) (s = sum x1 x2,
    m = sum x^2 + 1e-12 along the last dim) has the gradient (x2 - cos x1 sqrt(m2 / m1)) /
    sqrt(m1 m2), which cancels: its terms |g'| (|x2| / sqrt(m1 m2) + |cos| |x1| / m1), g' the
    row's upstream gradient (over the rows for the mean), summed to each input's shape;
    likewise for x2."""
    x1, x2 = torch.broadcast_tensors(xs[0], xs[1])
    d = x1.dim() - 1
    m1 = (x1 * x1).sum(d, keepdim=True) + 1e-12
    m2 = (x2 * x2).sum(d, keepdim=True) + 1e-12
    r = (m1 * m2).sqrt()
    cos = (x1 * x2).sum(d, keepdim=True).abs() / r
    if g is None:  # 1 - cos cancels: the row's terms 1 + sum |x1 x2| / r (|margin| for -1)
        ct = ((x1 * x2).abs().sum(d, keepdim=True) / r).squeeze(d)
        t = xs[2]
        row = torch.where(t == 1, 1 + ct, torch.where(t == -1, ct + abs(a["margin"]),
                                                      torch.zeros_like(ct)))
        if a["reduction"] == 0:
            return "perturb", [row]
        tot = row.sum()
        return "perturb", [tot / max(row.numel(), 1) if a["reduction"] == 1 else tot]
    ga = g.abs()
    if a["reduction"] == 1:
        ga = ga / max(cos.numel(), 1)
    if ga.dim():
        ga = ga.unsqueeze(-1)
    t1 = ga * (x2.abs() / r + cos * x1.abs() / m1)
    t2 = ga * (x1.abs() / r + cos * x2.abs() / m2)
    return "perturb", [_sum_to(t1, xs[0].shape), _sum_to(t2, xs[1].shape)]


for _n, _d, _b in [("l2_smooth_l1_loss", (0, 1), None), ("l2_huber_loss", (0, 1), None),
                   ("l2_kl_div", (0, 1), None), ("l2_margin_ranking_loss", (0, 1, 2), None),
                   ("l2_hinge_embedding_loss", (0,), None),
                   ("l2_poisson_nll_loss", (0, 1), None),
                   ("l2_gaussian_nll_loss", (0, 1, 2), (0, 1))]:
    REGISTRY[_n].mag = mag_terms(REGISTRY[_n].ref, _d, _b)
REGISTRY["l2_cosine_embedding_loss"].mag = mag_cos_emb

assert all(n in REGISTRY for n in ("l2_nn_threshold", "l2_gaussian_nll_loss"))
