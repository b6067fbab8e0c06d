"""torch_conv3.py: the torch twins of bench/cases-conv3.c (issue 14's conv3 ops), used by
torch_bench.py's build_case. Each twin: the inputs as the C case makes them (shapes, dtypes,
which require grad), the forward expression, and for a +bwd case y.backward(ones)."""
import torch
import torch.nn.functional as F

from torch_ops14 import finish


def _unpool_inputs(s):
    """max_unpool2d's input and indices: max_pool2d (kernel 2) of a (N, C, 2H, 2W) input."""
    n, c, h, w = s
    y, i = F.max_pool2d(torch.randn(n, c, 2 * h, 2 * w), 2, return_indices=True)
    return {"x": y, "i": i}


# base -> shape -> (inputs by name, forward expression, the leaves: names joined by commas)
TWINS = {
    "conv3d": lambda s: ({"x": torch.randn(*s[0]), "w": torch.randn(*s[1]),
                          "b": torch.randn(s[1][0])}, "F.conv3d(x, w, b, 1, 1)", "x,w,b"),
    "max_pool3d": lambda s: ({"x": torch.randn(*s)}, "F.max_pool3d(x, 2, return_indices=True)[0]",
                             "x"),
    "avg_pool3d": lambda s: ({"x": torch.randn(*s)}, "F.avg_pool3d(x, 2)", "x"),
    "adaptive_max_pool2d": lambda s: ({"x": torch.randn(*s)},
                                      "F.adaptive_max_pool2d(x, 7, True)[0]", "x"),
    "max_unpool2d": lambda s: (_unpool_inputs(s), "F.max_unpool2d(x, i, 2)", "x"),
    "conv_transpose3d": lambda s: ({"x": torch.randn(*s[0]), "w": torch.randn(*s[1]),
                                    "b": torch.randn(s[1][1])},
                                   "F.conv_transpose3d(x, w, b, 2, 1, 1)", "x,w,b"),
}


def build(base, grad, shape, g, bwd_stmt):
    """(stmt, globals) of the twin of base (a cases-conv3.c op), or None when base is not one;
    bwd_stmt is torch_bench's (y = fwd; y.backward(g); leaves' grads dropped)."""
    if base not in TWINS:
        return None
    inputs, fwd, leaves = TWINS[base](shape)
    return finish(inputs, fwd, leaves, grad, g, bwd_stmt)
