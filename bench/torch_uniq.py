"""torch_uniq.py: the torch twins of bench/cases-uniq.c (issue 14's scatter and unique ops), used
by torch_bench.py's build_case. Each twin: the inputs as the C row's IN_* kind makes them
(bench/cases.h: shapes, dtypes, index distribution, which require grad), the forward expression,
and for a +bwd case y.backward(ones) (torch_ops14.finish). libl2's unique always sorts: the twins
ask sorted=True. Run alone (python3 bench/torch_uniq.py CASE...) it prints each case's result
shape, to compare with l2bench's under L2_BENCH_SHAPES=1."""
import torch

import torch_ops14
from torch_ops14 import finish, pieces


def ints(s, sort=False):  # IN_INTS (float32 values from 0..63) and IN_INTS_SORTED
    x = torch.randint(0, 64, tuple(s[0])).float()
    return {"x": torch.sort(x, -1)[0] if sort else x}


def ints_sorted(s):
    return ints(s, True)


def scatter(s, dim=0):  # IN_SCATTER0 / IN_SCATTER1: index over the destination's size at dim
    return {"x": torch.randn(*s[0]), "i": torch.randint(0, s[0][dim], tuple(s[1])),
            "src": torch.randn(*s[1])}


def scatter1(s):
    return scatter(s, 1)


UNIQ = "return_inverse=True, return_counts=True"
ROWS = {  # "op/variant" -> (inputs, forward, leaves of the +bwd case ("": none))
    "unique/sorted_inv_cnt": (ints, f"torch.unique(x, sorted=True, {UNIQ})", ""),
    "unique_dim/dim0_inv_cnt": (ints, f"torch.unique(x, sorted=True, {UNIQ}, dim=0)", ""),
    "unique_consecutive/inv_cnt": (ints_sorted, f"torch.unique_consecutive(x, {UNIQ})", ""),
    "scatter/dim0": (scatter, "x.scatter(0, i, src)", "x,src"),
    "scatter/dim1": (scatter1, "x.scatter(1, i, src)", "x,src"),
    "scatter_value/dim1": (scatter1, "x.scatter(1, i, -1.0)", "x"),
}
for _mode in ("sum", "prod", "mean", "amax", "amin"):
    for _self in (True, False):
        ROWS[f"scatter_reduce/{_mode}_{'self' if _self else 'noself'}"] = (
            scatter, f"x.scatter_reduce(0, i, src, '{_mode}', include_self={_self})", "x,src")


def build(base, variant, grad, shape, g, bwd_stmt):
    """(stmt, globals) of the twin of base (a cases-uniq.c op), or None when base is not one;
    bwd_stmt is torch_bench's (y = fwd; y.backward(g); leaves' grads dropped)."""
    row = ROWS.get(base + "/" + variant)
    if not row:
        return None
    make, fwd, leaves = row
    return finish(make(pieces(shape)), fwd, leaves, grad, g, bwd_stmt)


if __name__ == "__main__":
    torch_ops14.main(build)
