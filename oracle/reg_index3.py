"""reg_index3.py: the oracle registry's entries for the indexing ops of issue 14, family index3
(libl2/ops/index3.c): index_fill, index_copy, index_add. registry.py imports this module at its
end. index_copy draws distinct indices ("perm:" values): with a repeated index torch leaves the
winning row unspecified."""
import torch

from registry import ALL, add


def _value(d, dt):
    """A fill value / alpha fitting dt: an integer for int64 and bool (now and then a fraction,
    truncated alike), a float otherwise with inf and NaN now and then."""
    if dt == "bool":
        return float(d.int(0, 1))
    if dt == "int64":
        return d.int(-5, 5) + (0.5 if d.int(0, 7) == 0 else 0.0)
    r = d.int(0, 15)
    if r == 0:
        return float("nan")
    if r == 1:
        return float("-inf")
    return d.float(-3, 3)


def _rows(d, s):
    """(dim, size along dim) for shape s; a 0-d s has size 1 at dim 0 / -1."""
    dim = d.dim(len(s))
    return dim, (s[dim] if s else 1)


def g_index_fill(d, dt):
    s = d.shape()
    dim, n = _rows(d, s)
    bad = d.int(0, 24) == 0
    # an index into a size-0 dim: torch 1.13 fails in setStorage (a shape-kind message), not
    # with an index error; libl2's L2_ERR_INDEX there is checked by test-index3
    ish = () if d.int(0, 7) == 0 and n else (d.int(0, 6) if n else 0,)
    # negative indices count from the end; one case in 25 reaches one past either end
    lo, hi = (-n - 1, n) if bad and d.bool() else (-n, n + (1 if bad else 0))
    idx = d.tensor(ish, "int64", "randint:%d:%d" % (lo, hi))
    return {"inputs": [d.tensor(s, dt), idx], "args": {"dim": dim, "value": _value(d, dt)}}


add("l2_index_fill", "T:TiTd", g_index_fill,
    lambda ts, a: torch.index_fill(ts[0], a["dim"], ts[1], a["value"]),
    lambda f, xs, a: f(xs[0], a["dim"], xs[1], a["value"]), tol="exact", dtypes=ALL,
    diff=(0,), family="index")


def g_index_copy_add(copy):
    def gen(d, dt):
        s = d.shape()
        dim, n = _rows(d, s)
        bad = d.int(0, 24) == 0
        if n == 0:  # as index_fill: no index into a size-0 dim
            k, vals = 0, "randint:0:1"
        elif copy and not bad:
            k = d.int(0, n) if n <= 6 else d.int(0, 6)
            vals = "perm:%d" % n
        else:
            k = d.int(0, 6)
            vals = "randint:%d:%d" % (-1 if bad and d.bool() else 0, n + (1 if bad else 0))
        ish = () if (k == 1 and d.int(0, 3) == 0) else (k,)
        sshape = list(s) if s else [1]
        sshape[dim] = k
        if not s and d.bool():
            sshape = []  # a 0-d source for a 0-d t (k == 1 only)
        if not s and k != 1:  # torch 1.13 does not check these: index_add corrupts its heap
            k, ish, sshape = 1, (1,), [1]
        ins = [d.tensor(s, dt), d.tensor(ish, "int64", vals), d.tensor(tuple(sshape), dt)]
        args = {"dim": dim}
        if not copy:
            args["alpha"] = _value(d, dt) if dt != "bool" else 1.0
            if args["alpha"] != args["alpha"] or abs(args["alpha"]) == float("inf"):
                args["alpha"] = 2.0
        return {"inputs": ins, "args": args}
    return gen


add("l2_index_copy", "T:TiTT", g_index_copy_add(True),
    lambda ts, a: torch.index_copy(ts[0], a["dim"], ts[1], ts[2]),
    lambda f, xs, a: f(xs[0], a["dim"], xs[1], xs[2]), tol="exact", dtypes=ALL,
    diff=(0, 2), family="index")
add("l2_index_add", "T:TiTTd", g_index_copy_add(False),
    lambda ts, a: torch.index_add(ts[0], a["dim"], ts[1], ts[2], alpha=a["alpha"]),
    lambda f, xs, a: f(xs[0], a["dim"], xs[1], xs[2], a["alpha"]), tol="accumulating",
    dtypes=ALL, diff=(0, 2), family="index")


# ---- masked_select, nonzero, masked_scatter (libl2/ops/index4.c) ----------------------------

def _mask_pair(d):
    """(t's shape, mask's shape) broadcasting together: either may be the reduced one; now and
    then a pair that does not broadcast."""
    from gen import _bcast_reduce
    s = d.shape()
    r = _bcast_reduce(s, d.rng())
    if d.int(0, 19) == 0:
        return s, (7, 7, 7)
    return (s, r) if d.bool() else (r, s)


def g_masked_select(d, dt):
    s, ms = _mask_pair(d)
    return {"inputs": [d.tensor(s, dt), d.tensor(ms, "bool")], "args": {}}


# torch 1.13's masked_select backward scatters dy in memory order into zeros laid out like t
# (expanded to the mask's shape): a transposed t, or one whose size-1 dims have odd strides,
# gets its gradient permuted (known.py WORKAROUNDS masked-select-noncontig). torch reads
# row-major copies (the gradient flows through them); libl2 is still given every layout.
def _rowmajor(t):
    return t.clone(memory_format=torch.contiguous_format)


add("l2_masked_select", "T:TT", g_masked_select,
    lambda ts, a: torch.masked_select(_rowmajor(ts[0]), _rowmajor(ts[1])), tol="exact",
    dtypes=ALL, diff=(0,), family="index")


def g_nonzero(d, dt):
    kind = d.choice(["ties", "special", "uniform"]) if dt != "bool" else "uniform"
    return {"inputs": [d.tensor(d.shape(), dt, kind)], "args": {}}


add("l2_nonzero", "T:T", g_nonzero, lambda ts, a: torch.nonzero(ts[0]), tol="exact",
    dtypes=ALL, diff=(), family="index", nograd=True)


def g_masked_scatter(d, dt):
    import math
    s, ms = _mask_pair(d)
    try:
        n = math.prod(torch.broadcast_shapes(tuple(s), tuple(ms)))
    except RuntimeError:
        n = 4
    # the source: any shape with at least numel(broadcast) elements (then every mask fits),
    # one case in 25 a few elements fewer
    k = n + d.int(0, 3) if d.int(0, 24) else max(n - d.int(1, 3), 0)
    ss = d.choice([(k,), (1, k), (k, 1)]) if d.int(0, 3) else (k,)
    return {"inputs": [d.tensor(s, dt), d.tensor(ms, "bool"), d.tensor(ss, dt)], "args": {}}


add("l2_masked_scatter", "T:TTT", g_masked_scatter,
    lambda ts, a: torch.masked_scatter(ts[0], ts[1], ts[2]), tol="exact", dtypes=ALL,
    diff=(0, 2), family="index")
