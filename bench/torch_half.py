"""torch_half.py: the torch twins of bench/cases-half.c (bfloat16 compute, issue 16), used by
torch_bench.py's build_case: the inputs in torch.bfloat16 with the C case's shapes, the forward
expression, and for a +bwd case y.backward(ones) with a bfloat16 upstream gradient."""
import torch
import torch.nn.functional as F

from torch_ops14 import finish


def _r(*s):
    return torch.randn(*s).to(torch.bfloat16)


# base -> shape -> (inputs by name, forward expression, the leaves: names joined by commas)
TWINS = {
    "linear": lambda s: ({"x": _r(*s[0]), "w": _r(*s[1]), "b": _r(s[1][0])},
                         "F.linear(x, w, b)", "x,w,b"),
    "gelu": lambda s: ({"x": _r(*s)}, "F.gelu(x)", "x"),
    "softmax": lambda s: ({"x": _r(*s)}, "torch.softmax(x, 1)", "x"),
    "conv2d": lambda s: ({"x": _r(*s[0]), "w": _r(*s[1]), "b": _r(s[1][0])},
                         "F.conv2d(x, w, b, 1, 1)", "x,w,b"),
}


def build(base, dt, grad, shape, g, bwd_stmt):
    """(stmt, globals) of the twin of a bfloat16 case of cases-half.c, or None when dt is not
    bf16 or base is not one of them."""
    if dt != "bf16" or base not in TWINS:
        return None
    inputs, fwd, leaves = TWINS[base](shape)
    return finish(inputs, fwd, leaves, grad, g, bwd_stmt, torch.bfloat16)
