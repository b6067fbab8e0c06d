"""torch_loss2.py: the torch twins of bench/cases-loss2.c (issue 14, area loss: threshold and
the losses), used by torch_bench.py's build_case. Each twin: the inputs as the C case makes them
(shapes, dtypes, which require grad), the forward expression, and for a +bwd case
y.backward(ones)."""
import torch

from torch_ops14 import finish


def _pm1(*s):
    return torch.where(torch.rand(*s) < 0.5, 1.0, -1.0)


# (targets are named lab: y and g are the benchmark statement's own names)
# base -> shape -> (inputs by name, forward expression, the leaves: names joined by commas)
TWINS = {
    "nn_threshold": lambda s: ({"x": torch.randn(*s)}, "F.threshold(x, 0.1, 0.0)", "x"),
    "smooth_l1_loss": lambda s: ({"x": torch.randn(*s), "t": torch.randn(*s)},
                                 "F.smooth_l1_loss(x, t, beta=1.0)", "x,t"),
    "huber_loss": lambda s: ({"x": torch.randn(*s), "t": torch.randn(*s)},
                             "F.huber_loss(x, t, delta=1.0)", "x,t"),
    "kl_div": lambda s: ({"x": torch.log_softmax(torch.randn(*s), 1), "t": torch.rand(*s)},
                         "F.kl_div(x, t, reduction='batchmean')", "x"),
    "margin_ranking_loss": lambda s: ({"a": torch.randn(*s), "b": torch.randn(*s),
                                       "lab": _pm1(*s)},
                                      "F.margin_ranking_loss(a, b, lab, 0.1)", "a,b"),
    "hinge_embedding_loss": lambda s: ({"x": torch.randn(*s), "lab": _pm1(*s)},
                                       "F.hinge_embedding_loss(x, lab, 1.0)", "x"),
    "cosine_embedding_loss": lambda s: ({"a": torch.randn(*s), "b": torch.randn(*s),
                                         "lab": _pm1(s[0])},
                                        "F.cosine_embedding_loss(a, b, lab, 0.0)", "a,b"),
    "poisson_nll_loss": lambda s: ({"x": torch.randn(*s), "t": torch.rand(*s)},
                                   "F.poisson_nll_loss(x, t)", "x"),
    "gaussian_nll_loss": lambda s: ({"x": torch.randn(*s), "t": torch.randn(*s),
                                     "v": torch.rand(*s)},
                                    "F.gaussian_nll_loss(x, t, v)", "x,t"),
}


def build(base, grad, shape, g, bwd_stmt):
    """(stmt, globals) of the twin of base (a cases-loss2.c op), or None when base is not one;
    bwd_stmt is torch_bench's (y = fwd; y.backward(g); leaves' grads dropped)."""
    if base not in TWINS:
        return None
    inputs, fwd, leaves = TWINS[base](shape if isinstance(shape, (tuple, list)) else (shape,))
    return finish(inputs, fwd, leaves, grad, g, bwd_stmt)
