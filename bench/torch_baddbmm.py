"""torch_baddbmm.py: the torch twins of bench/cases-baddbmm.c (issue 15, area baddbmm), used by
torch_bench.py's build_case: randn input (128) and batches (32,128,64), (32,64,128),
torch.baddbmm(c, a, b, beta=1, alpha=0.125), and for a +bwd case y.backward(ones) into all
three."""
import torch

from torch_ops14 import finish


def build(base, grad, shape, g, bwd_stmt):
    """(stmt, globals) of the twin of base (a cases-baddbmm.c op), or None when base is not
    one."""
    if base != "baddbmm":
        return None
    (bb, m, k), (_, _, n) = shape
    inputs = {"c": torch.randn(n), "a": torch.randn(bb, m, k), "b": torch.randn(bb, k, n)}
    return finish(inputs, "torch.baddbmm(c, a, b, beta=1, alpha=0.125)", "c,a,b", grad, g,
                  bwd_stmt)
