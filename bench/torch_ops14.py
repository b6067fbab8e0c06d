"""torch_ops14.py: the torch twins of bench/cases-ops14.c, cases-ops14b.c and cases-ops14c.c
(issue 14's ops), used by torch_bench.py's build_case. Each twin: the inputs as the C case makes
them (shapes, dtypes, which require grad), the forward expression, and for a +bwd case
y.backward(ones). Run alone (python3 bench/torch_ops14.py CASE...) it prints each case's result
shape, to compare with l2bench's under L2_BENCH_SHAPES=1."""
import sys

import torch
import torch.nn.functional as F


# The cases of cases-ops14.c, cases-ops14b.c, cases-ops14c.c: "op/variant" -> pieces ->
# (inputs by name, forward expression, the leaves of the +bwd case joined by commas ("": no +bwd
# case), the expression +bwd differentiates or None for the forward's). The inputs are made as
# the C rows' IN_* kinds (cases.h) say: below, one function per kind.


def randn(s):
    return {"x": torch.randn(*s[0])}


def rand(s):
    return {"x": torch.rand(*s[0])}


def randn2(s):
    return {"a": torch.randn(*s[0]), "b": torch.randn(*s[1])}


def sort0(s):  # IN_SORT0: piece 0 sorted along its last dim
    return {"s": torch.sort(torch.randn(*s[0]), -1)[0], "v": torch.randn(*s[1])}


def index(s, distinct=True):  # IN_INDEX (distinct) and IN_INDEX_ANY
    i = torch.randperm(s[0][0])[:s[1][0]] if distinct else torch.randint(0, s[0][0], (s[1][0],))
    d = {"x": torch.randn(*s[0]), "i": i}
    if len(s[1]) > 1:
        d["src"] = torch.randn(*s[1])
    return d


def index_any(s):
    return index(s, False)


def gather(s, whole=False):  # IN_GATHER and IN_TAKE (whole: indices over every element)
    x = torch.randn(*s[0])
    return {"x": x, "i": torch.randint(0, x.numel() if whole else s[0][-1], tuple(s[0]))}


def take(s):
    return gather(s, True)


def conv(s):  # IN_CONV: the bias has the weight's size 1 (transposed convolutions)
    return {"x": torch.randn(*s[0]), "w": torch.randn(*s[1]), "b": torch.randn(s[1][1])}


def mask(s):  # IN_MASK
    d = {"x": torch.randn(*s[0]), "m": torch.rand(*s[0]) < 0.5}
    if len(s) > 1:
        d["src"] = torch.randn(*s[1])
    return d


def relu(s):  # IN_RELU
    return {"x": torch.relu(torch.randn(*s[0]))}


ROWS = {
    # cases-ops14.c (session 7)
    "sort/dim1": (randn, "torch.sort(x, 1)[0]", "x", None),
    "topk/k10": (randn, "torch.topk(x, 10, 1)[0]", "x", None),
    "cumprod/dim1": (randn, "torch.cumprod(x, 1)", "x", None),
    "cummax/dim1": (randn, "torch.cummax(x, 1)[0]", "x", None),
    "logcumsumexp/dim1": (randn, "torch.logcumsumexp(x, 1)", "x", None),
    "amax/dim0": (randn, "torch.amax(x, 0)", "x", None),
    "nansum/dim1": (randn, "torch.nansum(x, 1)", "x", None),
    "hardswish/contig": (randn, "F.hardswish(x)", "x", None),
    "mish/contig": (randn, "F.mish(x)", "x", None),
    "flip/dim0": (randn, "torch.flip(x, (0,))", "x", None),
    "roll/s1d1": (randn, "torch.roll(x, 1, 1)", "x", None),
    "tril/d0": (randn, "torch.tril(x)", "x", None),
    "repeat/2x2": (randn, "x.repeat(2, 2)", "x", None),
    "index_add/dim0": (index_any, "x.index_add(0, i, src)", "x,src", None),
    "masked_select/half": (mask, "torch.masked_select(x, m)", "x", None),
    "take/perm": (take, "torch.take(x, i)", "x", None),
    "conv_transpose2d/s2p1": (conv, "F.conv_transpose2d(x, w, b, 2, 1)", "x,w,b", None),
    # cases-ops14b.c
    "argsort/dim1": (randn, "torch.argsort(x, 1)", "", None),
    "msort/dim0": (randn, "torch.msort(x)", "x", None),
    "kthvalue/k512dim1": (randn, "torch.kthvalue(x, 512, 1)[0]", "x", None),
    "median/all": (randn, "torch.median(x)", "x", None),
    "median/dim1": (randn, "torch.median(x, 1)[0]", "x", None),
    "mode/dim1": (randn, "torch.mode(x, 1)[0]", "x", None),
    "searchsorted/rows": (sort0, "torch.searchsorted(s, v)", "", None),
    "bucketize/b1024": (sort0, "torch.bucketize(v, s)", "", None),
    "cummin/dim1": (randn, "torch.cummin(x, 1)[0]", "x", None),
    "amin/dim0": (randn, "torch.amin(x, 0)", "x", None),
    "aminmax/dim1": (randn, "torch.aminmax(x, dim=1)[0]", "", None),
    "nanmean/dim1": (randn, "torch.nanmean(x, 1)", "x", None),
    "count_nonzero/half": (relu, "torch.count_nonzero(x, 1)", "", None),
    "var_mean/dim1": (randn, "torch.var_mean(x, 1)[0]", "x", None),
    "std_mean/dim1": (randn, "torch.std_mean(x, 1)[0]", "x", None),
    "bernoulli_p/p0.5": (rand, "torch.bernoulli(x, 0.5)", "", None),
    "hardtanh/m1p1": (randn, "F.hardtanh(x, -1.0, 1.0)", "x", None),
    "relu6/contig": (randn, "F.relu6(x)", "x", None),
    "hardsigmoid/contig": (randn, "F.hardsigmoid(x)", "x", None),
    "selu/contig": (randn, "F.selu(x)", "x", None),
    "celu/a1": (randn, "F.celu(x, 1.0)", "x", None),
    "logsigmoid/contig": (randn, "F.logsigmoid(x)", "x", None),
    "softsign/contig": (randn, "F.softsign(x)", "x", None),
    "tanhshrink/contig": (randn, "F.tanhshrink(x)", "x", None),
    "prelu/c16": (randn2, "F.prelu(a, b)", "a,b", None),
    "glu/dim1": (randn, "F.glu(x, 1)", "x", None),
    "gelu/tanh": (randn, "F.gelu(x, approximate='tanh')", "x", None),
    "gelu/exact": (randn, "F.gelu(x)", "x", None),
    "cosine_similarity/dim1": (randn2, "F.cosine_similarity(a, b, 1, 1e-8)", "a,b", None),
    "pairwise_distance/p2": (randn2, "F.pairwise_distance(a, b, 2.0, 1e-6)", "a,b", None),
    "normalize/p2dim1": (randn, "F.normalize(x, 2.0, 1, 1e-12)", "x", None),
    # cases-ops14c.c
    "split/s256d1": (randn, "torch.split(x, 256, 1)", "x", "torch.cat(torch.split(x, 256, 1), 1)"),
    "chunk/c4d0": (randn, "torch.chunk(x, 4, 0)", "x", "torch.cat(torch.chunk(x, 4, 0), 0)"),
    "unbind/dim0": (randn, "torch.unbind(x, 0)", "x", "torch.stack(torch.unbind(x, 0), 0)"),
    "tensor_split/s3d1": (randn, "torch.tensor_split(x, 3, 1)", "x",
                          "torch.cat(torch.tensor_split(x, 3, 1), 1)"),
    "movedim/1to3": (randn, "torch.movedim(x, 1, 3)", "x", None),
    "triu/d0": (randn, "torch.triu(x, 0)", "x", None),
    "diag/vec": (randn, "torch.diag(x, 0)", "x", None),
    "diagonal/o0": (randn, "torch.diagonal(x, 0, 0, 1)", "x", None),
    "tile/2x2": (randn, "torch.tile(x, (2, 2))", "x", None),
    "repeat_interleave/r2d1": (randn, "torch.repeat_interleave(x, 2, 1)", "x", None),
    "rot90/k1": (randn, "torch.rot90(x, 1, (0, 1))", "x", None),
    "meshgrid/ij": (randn2, "torch.meshgrid(a, b, indexing='ij')", "a,b",
                    "torch.add(*torch.meshgrid(a, b, indexing='ij'))"),
    "index_fill/dim0": (index, "x.index_fill(0, i, -1.0)", "x", None),
    "index_copy/dim0": (index, "x.index_copy(0, i, src)", "x,src", None),
    "nonzero/half": (relu, "torch.nonzero(x)", "", None),
    "masked_scatter/half": (mask, "x.masked_scatter(m, src)", "x,src", None),
    "take_along_dim/dim1": (gather, "torch.take_along_dim(x, i, 1)", "x", None),
    "conv_transpose1d/s2p1": (conv, "F.conv_transpose1d(x, w, b, 2, 1, 0, 1, 1)", "x,w,b", None),
    "max_pool2d_ex/k3s2d2ceil": (randn, "F.max_pool2d(x, 3, 2, 0, 2, ceil_mode=True)", "x",
                                 None),
    "avg_pool2d_ex/k3s2p1nopad": (randn, "F.avg_pool2d(x, 3, 2, 1, False, False)", "x", None),
}


def pieces(shape):
    """The case's input shapes as a list of lists (torch_bench.parse_name gives a flat list for
    one piece)."""
    return shape if shape and isinstance(shape[0], list) else [shape]


def build(base, variant, grad, shape, g, bwd_stmt):
    """(stmt, globals) of the twin of base (a cases-ops14*.c op), or None when base is not one;
    bwd_stmt is torch_bench's (y = fwd; y.backward(g); leaves' grads dropped)."""
    row = ROWS.get(base + "/" + variant)
    if not row:
        return None
    make, fwd, leaves, bwd = row
    return finish(make(pieces(shape)), bwd or fwd if grad else fwd, leaves, grad, g, bwd_stmt)


def finish(inputs, fwd, leaves, grad, g, bwd_stmt, dtype=torch.float32):
    """The shell every twin table shares (torch_ops14, torch_conv3, torch_loss2, torch_uniq):
    inputs (name -> tensor) into the globals g, the leaves (names joined by commas, "" for none)
    requiring grad in a +bwd case; (stmt, g): the expression fwd, or for a +bwd case bwd_stmt's
    (y = fwd; y.backward(g); the leaves' grads dropped) with g["g"] = contiguous ones shaped as
    fwd's result (as l2bench's; ones_like would keep a view's strides) in dtype."""
    leaves = leaves.split(",") if leaves else []
    for name in leaves:
        inputs[name].requires_grad_(grad)
    g.setdefault("torch", torch)
    g.setdefault("F", F)
    g.update(inputs)
    if not grad:
        return fwd, g
    with torch.no_grad():
        g["g"] = torch.ones(eval(fwd, dict(g)).shape, dtype=dtype)
    return bwd_stmt(fwd, leaves), g


def result_shape(name, builder=None):
    """The shape of the twin's result for a case name (op/dtype/variant/shape[/t:n]); builder:
    the table's build (default this file's; torch_uniq.py passes its own)."""
    parts = name.split("/")
    base, _, suffix = parts[0].partition("+")
    shape = [[int(x) for x in piece.split("x")] for piece in parts[3].split("-")]
    shape = shape[0] if len(shape) == 1 else shape
    g = {"torch": torch, "F": F}
    built = (builder or build)(base, parts[2], suffix == "bwd", shape, g, lambda f, leaves: f)
    if built is None:
        return None
    stmt, g = built
    y = eval(stmt, g)
    y = y[0] if isinstance(y, (tuple, list)) else y
    return "(" + ", ".join(str(n) for n in y.shape) + ")"  # as l2bench prints it


def main(builder=None):
    torch.manual_seed(0)
    for case in sys.argv[1:]:
        print(f"{case}\t{result_shape(case, builder)}")


if __name__ == "__main__":
    main()
