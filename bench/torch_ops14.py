"""torch_ops14.py: the torch twins of bench/cases-ops14.c (issue 14's ops of session 7), used by
torch_bench.py's build_case. Each twin: the inputs as the C case makes them (shapes, dtypes,
which require grad), the forward expression, and for a +bwd case y.backward(ones)."""
import torch

# base -> shape -> (inputs by name, forward expression, the leaves: names joined by commas)
TWINS = {
    "sort": lambda s: ({"x": torch.randn(*s)}, "torch.sort(x, 1)[0]", "x"),
    "topk": lambda s: ({"x": torch.randn(*s)}, "torch.topk(x, 10, 1)[0]", "x"),
    "cumprod": lambda s: ({"x": torch.randn(*s)}, "torch.cumprod(x, 1)", "x"),
    "cummax": lambda s: ({"x": torch.randn(*s)}, "torch.cummax(x, 1)[0]", "x"),
    "logcumsumexp": lambda s: ({"x": torch.randn(*s)}, "torch.logcumsumexp(x, 1)", "x"),
    "amax": lambda s: ({"x": torch.randn(*s)}, "torch.amax(x, 0)", "x"),
    "nansum": lambda s: ({"x": torch.randn(*s)}, "torch.nansum(x, 1)", "x"),
    "hardswish": lambda s: ({"x": torch.randn(*s)}, "F.hardswish(x)", "x"),
    "mish": lambda s: ({"x": torch.randn(*s)}, "F.mish(x)", "x"),
    "flip": lambda s: ({"x": torch.randn(*s)}, "torch.flip(x, (0,))", "x"),
    "roll": lambda s: ({"x": torch.randn(*s)}, "torch.roll(x, 1, 1)", "x"),
    "tril": lambda s: ({"x": torch.randn(*s)}, "torch.tril(x)", "x"),
    "repeat": lambda s: ({"x": torch.randn(*s)}, "x.repeat(2, 2)", "x"),
    "index_add": lambda s: ({"x": torch.randn(*s[0]), "i": torch.randint(0, s[0][0], (s[1][0],)),
                             "src": torch.randn(*s[1])}, "x.index_add(0, i, src)", "x,src"),
    "masked_select": lambda s: ({"x": torch.randn(*s), "m": torch.rand(*s) < 0.5},
                                "torch.masked_select(x, m)", "x"),
    "take": lambda s: ({"x": torch.randn(*s), "i": torch.randint(0, s[0] * s[1], tuple(s))},
                       "torch.take(x, i)", "x"),
    "conv_transpose2d": lambda s: ({"x": torch.randn(*s[0]), "w": torch.randn(*s[1]),
                                    "b": torch.randn(s[1][1])},
                                   "F.conv_transpose2d(x, w, b, 2, 1)", "x,w,b"),
}


def build(base, grad, shape, g, bwd_stmt):
    """(stmt, globals) of the twin of base (a cases-ops14.c op), or None when base is not one;
    bwd_stmt is torch_bench's (y = fwd; y.backward(g); leaves' grads dropped)."""
    if base not in TWINS:
        return None
    inputs, fwd, leaves = TWINS[base](shape)
    leaves = leaves.split(",")
    for name in leaves:
        inputs[name].requires_grad_(grad)
    g.update(inputs)
    if not grad:
        return fwd, g
    with torch.no_grad():
        g["g"] = torch.ones_like(eval(fwd, dict(g)))
    return bwd_stmt(fwd, leaves), g
