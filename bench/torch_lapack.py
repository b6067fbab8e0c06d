"""torch_lapack.py: the torch twins of bench/cases-lapack.c (issue 15: linalg_solve,
linalg_inv, linalg_eigh, linalg_qr), used by torch_bench.py's build_case: the well-conditioned
matrices randn + n I (and solve's 8 right-hand sides), the symmetric s + s^T and randn as the C
cases make them, the forward expression, and for a +bwd case y.backward(ones)."""
import torch

from torch_ops14 import finish


def _sym(s):
    r = torch.randn(*s)
    return r + r.transpose(-2, -1)


def _well(s):
    return torch.randn(*s) + s[-1] * torch.eye(s[-1])


TWINS = {
    "linalg_solve": lambda s: ({"a": _well(s), "b": torch.randn(*s[:-1], 8)},
                               "torch.linalg.solve(a, b)", "a,b"),
    "linalg_inv": lambda s: ({"a": _well(s)}, "torch.linalg.inv(a)", "a"),
    "linalg_eigh": lambda s: ({"a": _sym(s)}, "torch.linalg.eigh(a)[1]", "a"),
    "linalg_qr": lambda s: ({"a": torch.randn(*s)}, "torch.linalg.qr(a)[0]", "a"),
}


def build(base, grad, shape, g, bwd_stmt):
    """(stmt, globals) of the twin of base (a cases-lapack.c op), or None when base is not one."""
    if base not in TWINS:
        return None
    inputs, fwd, leaves = TWINS[base](tuple(shape))
    return finish(inputs, fwd, leaves, grad, g, bwd_stmt)
