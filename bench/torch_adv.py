"""torch_adv.py: the torch twins of bench/cases-adv.c (issue 14, family adv: index_tensors,
index_put), used by torch_bench.py's build_case; inputs made as the C rows' IN_* kinds say (the
helpers of torch_ops14.py). Run alone (python3 bench/torch_adv.py CASE...) it prints each case's
result shape, to compare with l2bench's under L2_BENCH_SHAPES=1."""
import sys

import torch

import torch_ops14 as o

# "op/variant" -> (inputs maker, forward expression, the leaves of the +bwd case)
ROWS = {
    "index_tensors/rows": (o.index_any, "x[i]", "x"),
    "index_put/acc": (o.index_any, "torch.index_put(x, (i,), src, True)", "x,src"),
    "index_put/noacc": (o.index, "torch.index_put(x, (i,), src, False)", "x,src"),
}


def build(base, variant, grad, shape, g, bwd_stmt):
    """(stmt, globals) of the twin of base (a cases-adv.c op), or None when base is not one."""
    row = ROWS.get(base + "/" + variant)
    if not row:
        return None
    make, fwd, leaves = row
    inputs = make(o.pieces(shape))
    leaves = leaves.split(",")
    for name in leaves:
        inputs[name].requires_grad_(grad)
    g.update(inputs)
    if not grad:
        return fwd, g
    with torch.no_grad():
        g["g"] = torch.ones(eval(fwd, dict(g)).shape)
    return bwd_stmt(fwd, leaves), g


if __name__ == "__main__":
    torch.manual_seed(0)
    for case in sys.argv[1:]:
        parts = case.split("/")
        base, _, suffix = parts[0].partition("+")
        sh = [[int(x) for x in p.split("x")] for p in parts[3].split("-")]
        built = build(base, parts[2], suffix == "bwd", sh, {"torch": torch}, lambda f, lv: f)
        y = eval(built[0], built[1]) if built else None
        print(f"{case}\t{tuple(y.shape) if y is not None else None}")
