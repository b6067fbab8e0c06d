"""mags.py: magnitude references for the oracle's per-element tolerances (compare.py) where the
class defaults do not fit: the size of the terms where torch's own float64 formula cancels
(elu's exp(x) - 1, gelu's 1 + erf, the x - mean of var/std and layer/batch norm) or where a
gradient cancels (softmax, log_softmax, cross_entropy, the norms, sigmoid, silu, tanh).
registry.py attaches them to its entries (Op.mag).

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


def _norm_terms(x, dims, rstd, w, b, g, pdims=None):
    """Magnitudes of a normalisation over dims (x-hat = (x - mu) rstd, y = x-hat w + b) and of
    its gradients. (x - mu) cancels: X = (|x| + mean |x|) rstd 2 (1 + log2 n) bounds x-hat's
    terms (torch's float64 mean and variance of n terms carry up to log2 n roundings each, of the
    size of the terms summed: mean |x|, not |mu|, which is far smaller when the x cancel; the
    variance's reaching x-hat through rstd); the output's terms are
    X |w| and |b|. With g' = g w, dx = rstd (g' - mean(g') - x-hat mean(g' x-hat)) has terms
    rstd (|g'| + mean|g'| + X mean|g' X|); dw = sum g x-hat: sum |g| X; db = sum |g| (over the
    other dims)."""
    n = 1
    for d in dims:
        n *= x.shape[d]
    big = (x.abs() + x.abs().mean(dims, keepdim=True)) * rstd * 2 * (1 + math.log2(max(n, 1)))
    wa = w.abs() if w is not None else 1.0
    if g is None:
        return [big * wa + (b.abs() if b is not None else 0.0)]
    ga = g.abs()
    gw = ga * wa
    # w and b span pdims (layer_norm: the normalized dims; batch_norm: the channel dim): their
    # gradients sum over the rest
    pdims = dims if pdims is None else pdims
    other = tuple(d for d in range(x.dim()) if d not in pdims)
    out = [rstd * (gw + gw.mean(dims, keepdim=True) + big * (gw * big).mean(dims, keepdim=True))]
    for t, m in ((w, ga * big), (b, ga)):
        if t is not None:
            out.append((m.sum(other) if other else m).reshape(t.shape))
    return out


def layer_norm(xs, a, g):
    x, w, b = xs[0], xs[1], xs[2]
    dims = tuple(range(x.dim() - len(a["normalized_shape"]), x.dim()))
    rstd = 1 / torch.sqrt(x.var(dims, unbiased=False, keepdim=True) + a["eps"])
    return _norm_terms(x, dims, rstd, w, b, g)


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
    rstd = 1 / torch.sqrt(x.var(dims, unbiased=False, keepdim=True) + a["eps"])
    out = _norm_terms(x, dims, rstd, wb, bb, g, (1,))
    if g is not None:
        out = out[:1] + [m.reshape(-1) for m in out[1:]]
    return out


def softmax(log):
    """Gradients: softmax's dx = y (g - sum g y) and log_softmax's dx = g - y sum g cancel when g
    is nearly constant along dim: add their terms y (|g| + sum |g| y) and |g| + y sum |g| to the
    sensitivity (which covers y's own error, y |x - max|). log_softmax's value x - max - log S
    adds a term 1: S = sum exp(x - max) >= 1 carries roundings of its own size whatever the
    inputs, so log S is off by a few eps absolutely (torch's float64 result too: found at outputs
    near 0, where one element dominates its row)."""
    def mag(xs, a, g):
        if g is None:
            return ("perturb", [torch.ones_like(xs[0])]) if log else "perturb"
        y = torch.softmax(xs[0], a["dim"])
        ga = g.abs()
        if log:
            return "perturb", [ga + y * ga.sum(a["dim"], keepdim=True)]
        return "perturb", [y * (ga + (ga * y).sum(a["dim"], keepdim=True))]
    return mag


def unary_grad(terms):
    """Elementwise gradients whose derivative formula cancels (1 - s for sigmoid and silu, 1 - y^2
    for tanh): terms(x) gives the size of the derivative's terms, times |g|, added to the
    sensitivity (which only sees the function's own condition)."""
    def mag(xs, a, g):
        if g is None:
            return None
        return "perturb", [g.abs() * terms(xs[0])]
    return mag


def _sig_terms(x):
    s = torch.sigmoid(x)
    return s * (1 + s)


def _silu_terms(x):
    s = torch.sigmoid(x)
    return s * (1 + x.abs() * (1 + s))


def _tanh_terms(x):
    y = torch.tanh(x)
    return 1 + y * y


sigmoid = unary_grad(_sig_terms)
silu = unary_grad(_silu_terms)
tanh = unary_grad(_tanh_terms)


def var(std):
    """var/std: (x - mean)^2 cancels in x - mean: with X = (|x| + mean |x|) (1 + log2 n) (the
    mean's roundings are of the size of the terms it sums, as in _norm_terms), the terms
    are mean(2 X |x - mean| + eps X^2) (the last: mean's rounding squared, what a near-constant
    input leaves); std = sqrt(var) turns an allowance A of var into about sqrt(A) (0 at a
    constant input) or A / (2 std). Gradients: the sensitivity."""
    def mag(xs, a, g):
        x = xs[0]
        dims = tuple(a["dims"]) if a["dims"] else tuple(range(x.dim()))
        n = 1
        for d in dims:
            n *= x.shape[d]
        mu = x.mean(dims, keepdim=True) if dims else x
        big = (x.abs() + (x.abs().mean(dims, keepdim=True) if dims else x.abs())) * (
            1 + math.log2(max(n, 1)))
        eps = 2.0 ** -52
        dof = max(n - a["correction"], 1)
        v = torch.var(x, dim=dims, correction=int(a["correction"]), keepdim=True) if dims \
            else x * 0
        if g is not None:  # dx = 2 (x - mean) g / dof (std: / (2 std)): x - mean's terms
            gg = g.abs() if a["keepdim"] or not dims else g.abs().reshape(v.shape)
            m = 2 * big * gg / dof
            if std:
                m = m / (2 * v.sqrt())
            return "perturb", [m]
        t = 2 * big * (x - mu).abs() + eps * big * big
        t = t.mean(dims, keepdim=True) * n / dof if dims else t
        if std:
            # the allowance K eps m must cover min(sqrt(K eps t), K eps t / (2 std))
            k = 16.0  # compare.K["accumulating"]
            t = torch.minimum(torch.sqrt(t / (k * eps)), t / (2 * v.sqrt().clamp_min(1e-300)))
        if dims and not a["keepdim"]:
            t = t.reshape(torch.var(x, dim=dims, keepdim=False).shape)
        return "perturb", [t]
    return mag


def cross_entropy(xs, a, g):
    """Gradient (softmax(x) - target) g / count cancels when the target's class takes nearly
    all the probability: terms 2 softmax(x) |g| / count. Probability targets t: the input's
    terms also |t| |g| / count, the target's gradient -(1 - e) log_softmax(x) g / count has
    terms |log_softmax(x)| |g| / count."""
    if g is None:
        return "perturb"
    x, t = xs[0], xs[1]
    cd = 1 if x.dim() > 1 else 0
    p = torch.softmax(x, cd)
    red = a["reduction"]  # 0 none, 1 mean, 2 sum
    prob = t.is_floating_point()
    if red == 0:
        w = g.abs().unsqueeze(cd) if x.dim() > 1 else g.abs()
    else:
        if prob:
            cnt = x.numel() // max(x.shape[cd], 1) if red == 1 else 1
        else:
            cnt = int((t != a["ignore_index"]).sum()) if red == 1 else 1
        w = g.abs() / max(cnt, 1)
    if not prob:
        return "perturb", [2 * p * w]
    ta = t.detach().abs()
    return "perturb", [(2 * p + ta) * w, torch.log_softmax(x, cd).abs() * w]


def _sum_to(t, shape):
    """t summed over the dims it was broadcast along, to shape."""
    shape = tuple(shape)
    while t.dim() > len(shape):
        t = t.sum(0)
    for d, n in enumerate(shape):
        if n == 1 and t.shape[d] != 1:
            t = t.sum(d, keepdim=True)
    return t


def fmod_like(floor):
    """fmod / remainder: a - q b with q = trunc(a/b) or floor(a/b). The gradient of b sums
    -g q over broadcast dims: terms |g q| (|inputs| would change q); a's sums |g|."""
    def hook(xs, a, g):
        if g is None:
            return None
        x, y = xs[0], xs[1]
        q = torch.floor(x / y) if floor else torch.trunc(x / y)
        q = torch.where(torch.isfinite(q), q, torch.zeros_like(q))
        ga = g.abs()
        return [_sum_to(ga, x.shape), _sum_to((ga * q.abs()), y.shape)]
    return hook
