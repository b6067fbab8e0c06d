"""reg_nn.py: the oracle registry's entries for nn ops (activations with parameters, losses,
norms, softmax, dropout, embedding).
registry.py imports this module where the entries stood, so REGISTRY keeps its order."""
import math  # noqa: F401

import torch  # noqa: F401
import torch.nn.functional as F  # noqa: F401

from registry import *  # noqa: F401,F403
from registry import _vk  # noqa: F401


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
        r = {"inputs": [d.tensor(ish, dt, kind),
                        d.tensor(tsh, "int64", tv)],
             "args": {"reduction": d.int(0, 2), "ignore_index": ign,
                      "label_smoothing": d.choice([0.0, 0.1, 0.5]) if smoothing else 0.0}}
        if smoothing and d.int(0, 3) == 0:
            # class probabilities (input's shape and dtype, the int target's layout class, so
            # the coverage cells stay), a differentiable input: ignore_index must be negative
            r["inputs"][1] = d.tensor(ish, dt, "prob", layout=r["inputs"][1]["layout"])
            r["args"]["ignore_index"] = -100
        return r
    return gen


add("l2_cross_entropy", "T:TTild", g_ce(True),
    lambda ts, a: F.cross_entropy(ts[0], ts[1], reduction=RED[a["reduction"]],
                                  ignore_index=a["ignore_index"],
                                  label_smoothing=a["label_smoothing"]),
    lambda f, xs, a: f(xs[0], xs[1], a["reduction"], a["ignore_index"], a["label_smoothing"]),
    tol=A, diff=(0, 1), family="nn")  # (the target when it is float: class probabilities)
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
