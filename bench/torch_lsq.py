"""torch_lsq.py: the torch twins of bench/cases-lsq.c (issue 15, area lsqnorm): vector_norm ord 2
of a 4096x4096 randn over every element ("all") and over dim 1 ("dim1"), and linalg.lstsq
(driver gelsy, torch's CPU default) of 64 32x16 randn matrices with 4 right-hand sides. Forward
only."""
import torch

from torch_ops14 import finish

TWINS = {
    ("linalg_vector_norm", "all"): lambda s: ({"a": torch.randn(*s)},
                                              "torch.linalg.vector_norm(a, 2)", "a"),
    ("linalg_vector_norm", "dim1"): lambda s: ({"a": torch.randn(*s)},
                                               "torch.linalg.vector_norm(a, 2, 1)", "a"),
    ("linalg_lstsq", "gelsy"): lambda s: ({"a": torch.randn(*s), "b": torch.randn(*s[:-1], 4)},
                                          "torch.linalg.lstsq(a, b, driver='gelsy').solution",
                                          "a,b"),
}


def build(base, variant, grad, shape, g, bwd_stmt):
    """(stmt, globals) of the twin of a cases-lsq.c case, or None when it is not one."""
    if (base, variant) not in TWINS:
        return None
    inputs, fwd, leaves = TWINS[(base, variant)](tuple(shape))
    return finish(inputs, fwd, leaves, grad, g, bwd_stmt)
