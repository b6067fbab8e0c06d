"""torch_compose.py: the torch twins of bench/cases-compose.c (issue 15, area compose: einsum),
used by torch_bench.py's build_case: the inputs as the C case makes them, torch.einsum, and for a
+bwd case y.backward(ones)."""
import torch

from torch_ops14 import finish

TWINS = {
    "einsum_bmm": lambda s: ({"a": torch.randn(*s), "b": torch.randn(*s)},
                             "torch.einsum('bij,bjk->bik', a, b)", "a,b"),
    "einsum_chain3": lambda s: ({"a": torch.randn(*s), "b": torch.randn(*s), "c": torch.randn(*s)},
                                "torch.einsum('ij,jk,kl->il', a, b, c)", "a,b,c"),
}


def build(base, grad, shape, g, bwd_stmt):
    """(stmt, globals) of the twin of base (a cases-compose.c op), or None when base is not one."""
    if base not in TWINS:
        return None
    inputs, fwd, leaves = TWINS[base](shape if isinstance(shape, (tuple, list)) else (shape,))
    return finish(inputs, fwd, leaves, grad, g, bwd_stmt)
