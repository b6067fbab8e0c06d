"""torch_svd.py: the torch twins of bench/cases-svd.c (issue 15, area svd: linalg_svd), used by
torch_bench.py's build_case: randn matrices, torch.linalg.svd(a, full_matrices=False).U, and
for a +bwd case U.backward(ones) (S and Vh computed and dropped, as libl2's)."""
import torch

from torch_ops14 import finish

TWINS = {
    "linalg_svd": lambda s: ({"a": torch.randn(*s)},
                             "torch.linalg.svd(a, full_matrices=False).U", "a"),
}


def build(base, grad, shape, g, bwd_stmt):
    """(stmt, globals) of the twin of base (a cases-svd.c op), or None when base is not one."""
    if base not in TWINS:
        return None
    inputs, fwd, leaves = TWINS[base](tuple(shape))
    return finish(inputs, fwd, leaves, grad, g, bwd_stmt)
