"""mags.py: magnitude references for the oracle's per-element tolerances (compare.py) where the
class defaults do not fit: the size of the terms where torch's own float64 formula cancels
(elu's exp(x) - 1, gelu's 1 + erf, the x - mean of layer and batch norm) or where a gradient
cancels (softmax, log_softmax, layer and batch norm). registry.py attaches them to its entries (Op.mag).

Each hook takes (float64 inputs, args, float64 upstream gradient or None) and returns the
magnitudes of the outputs (g None) or of the gradients of the differentiable inputs: a list of
tensors, a mode name of compare.py ("perturb", "abs", ...), or (mode, list) for both, added.
"""
import math

import torch


def elu(xs, a, g):
    """torch computes alpha (exp(x) - 1) (libl2 expm1): terms alpha exp(x) and alpha."""
    if g is not None:
        return "perturb"
    x = xs[0]
    return [torch.where(x > 0, x.abs(), abs(a["alpha"]) * (x.exp() + 1))]


def gelu(xs, a, g):
    """0.5 x (1 + erf(x / sqrt 2)) (or tanh) cancels for x < 0: terms 0.5 |x| (1 + |erf|); the
    gradient's terms 0.5 (1 + |erf|) and the derivative part, times |g|."""
    x = xs[0]
    k = math.sqrt(2 / math.pi)
    if a["tanh"]:
        t = torch.tanh(k * (x + 0.044715 * x ** 3))
        if g is None:
            return [0.5 * x.abs() * (1 + t.abs())]
        return [g.abs() * (0.5 * (1 + t.abs()) +
                           0.5 * x.abs() * (1 + t * t) * k * (1 + 3 * 0.044715 * x * x))]
    e = torch.erf(x / math.sqrt(2))
    if g is None:
        return [0.5 * x.abs() * (1 + e.abs())]
    return [g.abs() * (0.5 * (1 + e.abs()) + x.abs() * torch.exp(-0.5 * x * x) / math.sqrt(
        2 * math.pi))]


def _norm_terms(x, dims, mu, rstd, w, b, g):
    """Magnitudes of a normalisation over dims (x-hat = (x - mu) rstd, y = x-hat w + b) and of
    its gradients. (x - mu) cancels: X = (|x| + |mu|) rstd 2 (1 + log2 n) bounds x-hat's terms
    (torch's float64 mean and variance of n terms carry up to log2 n roundings each, the
    variance's reaching x-hat through rstd); the output's terms are
    X |w| and |b|. With g' = g w, dx = rstd (g' - mean(g') - x-hat mean(g' x-hat)) has terms
    rstd (|g'| + mean|g'| + X mean|g' X|); dw = sum g x-hat: sum |g| X; db = sum |g| (over the
    other dims)."""
    n = 1
    for d in dims:
        n *= x.shape[d]
    big = (x.abs() + mu.abs()) * rstd * 2 * (1 + math.log2(max(n, 1)))
    wa = w.abs() if w is not None else 1.0
    if g is None:
        return [big * wa + (b.abs() if b is not None else 0.0)]
    ga = g.abs()
    gw = ga * wa
    other = tuple(d for d in range(x.dim()) if d not in dims)
    out = [rstd * (gw + gw.mean(dims, keepdim=True) + big * (gw * big).mean(dims, keepdim=True))]
    for t, m in ((w, ga * big), (b, ga)):
        if t is not None:
            out.append((m.sum(other) if other else m).reshape(t.shape))
    return out


def layer_norm(xs, a, g):
    x, w, b = xs[0], xs[1], xs[2]
    dims = tuple(range(x.dim() - len(a["normalized_shape"]), x.dim()))
    mu = x.mean(dims, keepdim=True)
    rstd = 1 / torch.sqrt(x.var(dims, unbiased=False, keepdim=True) + a["eps"])
    return _norm_terms(x, dims, mu, rstd, w, b, g)


def batch_norm(xs, a, g):
    """Training: _norm_terms over every dim but 1. Eval: y = (x - running mean) rstd w + b, whose
    terms are (|x| + |mean|) rstd |w| and |b|; its gradients cancel nothing ("perturb")."""
    x, rm, rv, w, b = xs
    shape = [1, x.shape[1]] + [1] * (x.dim() - 2)
    wb = w.reshape(shape) if w is not None else None
    bb = b.reshape(shape) if b is not None else None
    if not a["training"]:
        if g is not None:
            return "perturb"
        m = (x.abs() + rm.reshape(shape).abs()) / torch.sqrt(rv.reshape(shape) + a["eps"])
        return [m * (wb.abs() if wb is not None else 1.0) + (bb.abs() if bb is not None else 0.0)]
    dims = tuple(d for d in range(x.dim()) if d != 1)
    mu = x.mean(dims, keepdim=True)
    rstd = 1 / torch.sqrt(x.var(dims, unbiased=False, keepdim=True) + a["eps"])
    out = _norm_terms(x, dims, mu, rstd, wb, bb, g)
    if g is not None:
        out = out[:1] + [m.reshape(-1) for m in out[1:]]
    return out


def softmax(log):
    """Gradients: softmax's dx = y (g - sum g y) and log_softmax's dx = g - y sum g cancel when g
    is nearly constant along dim: add their terms y (|g| + sum |g| y) and |g| + y sum |g| to the
    sensitivity (which covers y's own error, y |x - max|)."""
    def mag(xs, a, g):
        if g is None:
            return "perturb"
        y = torch.softmax(xs[0], a["dim"])
        ga = g.abs()
        if log:
            return "perturb", [ga + y * ga.sum(a["dim"], keepdim=True)]
        return "perturb", [y * (ga + (ga * y).sum(a["dim"], keepdim=True))]
    return mag
