"""reg_shape.py: the oracle registry's entries for the shape family (issue 14,
libl2/ops/shape*.c). registry.py imports this module at its end.

Ops returning several tensors (split, split_with_sizes, chunk, unbind, tensor_split,
meshgrid) are marked `pieces`: their count may be any (0 included); onecase.py checks that
libl2 returns as many as torch, compares each piece, checks each piece's aliasing of input 0
for views, and runs the backward through every piece with its own random upstream gradient."""
import ctypes as C

import torch

from registry import ALL, REGISTRY, T, add


def _pieces(call):
    """A libl2 call of the multi-output protocol (..., out, cap, count): asks for the count
    (out NULL), then fills an array of that many; the pieces as a tuple, or None."""
    def c(f, xs, a):
        n = C.c_int64(-1)
        if call(f, xs, a, None, 0, C.byref(n)) != 0:
            return None
        out = (T * max(n.value, 1))()
        if call(f, xs, a, out, n.value, C.byref(n)) != 0:
            return None
        return tuple(out[i] for i in range(n.value))
    return c


def add_pieces(name, sig, gen, ref, call, **k):
    add(name, sig, gen, lambda ts, a: tuple(ref(ts, a)), _pieces(call), tol="exact",
        family="shape", outputs=2, **k)
    REGISTRY[name].pieces = True


def _dim(d, s):
    """A dim of shape s (its rank at least 1); one case in 25 out of range (error parity)."""
    return d.dim(len(s)) if d.int(0, 24) else d.choice([len(s) + 1, -len(s) - 2])


def _shape(d, **k):
    """A shape of rank >= 1 in nine cases of ten (0-d inputs are an error for most of these
    ops: error parity, not too often)."""
    return d.shape(min_dims=1, **k) if d.int(0, 9) else d.shape(**k)


def _size(s, dim):
    n = len(s)
    return s[dim] if n and -n <= dim < n else 0


# ---- split, split_with_sizes, chunk, unbind ----------------------------------------------

def g_split(d, dt):
    s = _shape(d)
    dim = _dim(d, s)
    n = _size(s, dim)
    r = d.int(0, 24)
    # at most about 32 pieces (large sized inputs would give thousands)
    size = d.int(max(1, n // 32), max(n, 1) + 1) if r else d.choice([0, -1])
    return {"inputs": [d.tensor(s, dt)], "args": {"dim": dim, "split_size": size}}


add_pieces("l2_split", "S:TliPlL", g_split,
           lambda ts, a: torch.split(ts[0], a["split_size"], a["dim"]),
           lambda f, xs, a, o, cap, p: f(xs[0], a["split_size"], a["dim"], o, cap, p),
           dtypes=ALL, view=True)


def g_split_sizes(d, dt):
    s = _shape(d)
    dim = _dim(d, s)
    n = _size(s, dim)
    sizes = []
    rest = n
    while rest > 0 and len(sizes) < 6:
        k = d.int(0, rest)
        sizes.append(k)
        rest -= k
    if rest:
        sizes.append(rest)
    if d.int(0, 24) == 0:  # a wrong sum or a negative size: error parity
        sizes.append(d.choice([1, -1]))
    return {"inputs": [d.tensor(s, dt)], "args": {"dim": dim, "sizes": sizes}}


def c_split_sizes(f, xs, a, o, cap, p):
    sz = (C.c_int64 * max(len(a["sizes"]), 1))(*a["sizes"])
    return f(xs[0], len(a["sizes"]), sz, a["dim"], o, cap, p)


add_pieces("l2_split_with_sizes", "S:TlLiPlL", g_split_sizes,
           lambda ts, a: torch.split(ts[0], a["sizes"], a["dim"]), c_split_sizes,
           dtypes=ALL, view=True)


def g_chunk(d, dt):
    s = _shape(d)
    dim = _dim(d, s)
    n = _size(s, dim)
    chunks = d.int(1, min(max(n, 1) + 2, 34)) if d.int(0, 24) else d.choice([0, -2])
    return {"inputs": [d.tensor(s, dt)], "args": {"dim": dim, "chunks": chunks}}


add_pieces("l2_chunk", "S:TliPlL", g_chunk,
           lambda ts, a: torch.chunk(ts[0], a["chunks"], a["dim"]),
           lambda f, xs, a, o, cap, p: f(xs[0], a["chunks"], a["dim"], o, cap, p),
           dtypes=ALL, view=True)


def g_unbind(d, dt):
    s = _shape(d, max_numel=4096)
    return {"inputs": [d.tensor(s, dt)], "args": {"dim": _dim(d, s)}}


add_pieces("l2_unbind", "S:TiPlL", g_unbind, lambda ts, a: torch.unbind(ts[0], a["dim"]),
           lambda f, xs, a, o, cap, p: f(xs[0], a["dim"], o, cap, p), dtypes=ALL, view=True)
