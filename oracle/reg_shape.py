"""reg_shape.py: the oracle registry's entries for the shape family (issue 14,
libl2/ops/shape*.c). registry.py imports this module at its end.

Ops returning several tensors (split, split_with_sizes, chunk, unbind, tensor_split,
meshgrid) are marked `pieces`: their count may be any (0 included); onecase.py checks that
libl2 returns as many as torch, compares each piece, checks each piece's aliasing of input 0
for views, and runs the backward through every piece with its own random upstream gradient."""
import ctypes as C
import math

import numpy as np
import torch

from registry import ALL, REGISTRY, T, add, i32a, i64a, tarr


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


# ---- tensor_split, meshgrid ----------------------------------------------------------------

def g_tsplit(d, dt):
    s = _shape(d)
    dim = _dim(d, s)
    n = _size(s, dim)
    sec = d.int(1, min(n + 2, 34)) if d.int(0, 24) else d.choice([0, -1])
    return {"inputs": [d.tensor(s, dt)], "args": {"dim": dim, "sections": sec}}


add_pieces("l2_tensor_split", "S:TliPlL", g_tsplit,
           lambda ts, a: torch.tensor_split(ts[0], a["sections"], a["dim"]),
           lambda f, xs, a, o, cap, p: f(xs[0], a["sections"], a["dim"], o, cap, p),
           dtypes=ALL, view=True)


def g_tsplit_idx(d, dt):
    s = _shape(d)
    dim = _dim(d, s)
    n = _size(s, dim)
    idx = [d.int(-n - 2, n + 2) for _ in range(d.int(0, 4))]
    if d.bool():
        idx.sort()
    return {"inputs": [d.tensor(s, dt)], "args": {"dim": dim, "indices": idx}}


def c_tsplit_idx(f, xs, a, o, cap, p):
    ix = (C.c_int64 * max(len(a["indices"]), 1))(*a["indices"])
    return f(xs[0], len(a["indices"]), ix, a["dim"], o, cap, p)


add_pieces("l2_tensor_split_indices", "S:TlLiPlL", g_tsplit_idx,
           lambda ts, a: torch.tensor_split(ts[0], a["indices"], a["dim"]), c_tsplit_idx,
           dtypes=ALL, view=True)


def g_meshgrid(d, dt):
    ins = []
    for _ in range(d.int(1, 4)):
        r = d.int(0, 3)
        sh = () if r == 0 else ((d.int(0, 7),) if r < 3 or d.int(0, 9) else (2, 2))
        ins.append(d.tensor(sh, dt if d.int(0, 29) else d.choice(ALL)))
    return {"inputs": ins, "args": {"indexing": d.choice(["ij", "xy"])}}


def c_meshgrid(f, xs, a, o, cap, p):
    return f(len(xs), tarr(xs), a["indexing"].encode(), o, cap, p)


# results are views of input i (not input 0): no aliasing check
add_pieces("l2_meshgrid", "S:iAsPlL", g_meshgrid,
           lambda ts, a: torch.meshgrid(*ts, indexing=a["indexing"]), c_meshgrid, dtypes=ALL)


# ---- single-result ops ---------------------------------------------------------------------

def _dims(d, s, k=None):
    """k (or a random count of) dims of shape s, distinct, some negative; one case in 25 a
    repeated or out-of-range dim."""
    r = max(len(s), 1)
    pool = list(range(r))
    k = d.int(0, r) if k is None else k
    out = [pool.pop(d.int(0, len(pool) - 1)) for _ in range(min(k, r))]
    out = [x - r if d.bool() else x for x in out]
    if d.int(0, 24) == 0:
        out.append(out[0] if out and d.bool() else r + 1)
    return out


def g_movedim(d, dt):
    s = _shape(d)
    src = _dims(d, s)
    dst = (_dims(d, s, len(src)) + [0] * len(src))[:len(src)]  # one count for both
    return {"inputs": [d.tensor(s, dt)], "args": {"src": src, "dst": dst}}


add("l2_movedim", "T:TiII", g_movedim, lambda ts, a: torch.movedim(ts[0], a["src"], a["dst"]),
    lambda f, xs, a: f(xs[0], len(a["src"]), i32a(a["src"]), i32a(a["dst"])), tol="exact",
    dtypes=ALL, view=True, family="shape")


def g_flip(d, dt):
    s = _shape(d)
    return {"inputs": [d.tensor(s, dt)], "args": {"dims": _dims(d, s)}}


add("l2_flip", "T:TiI", g_flip, lambda ts, a: torch.flip(ts[0], a["dims"]),
    lambda f, xs, a: f(xs[0], len(a["dims"]), i32a(a["dims"])), tol="exact", dtypes=ALL,
    family="shape")


def g_roll(d, dt):
    s = _shape(d)
    dims = _dims(d, s) if d.int(0, 2) else []
    k = max(len(dims), 1)
    if d.int(0, 24) == 0:
        k += 1  # shifts and dims do not align: error parity
    n = max(s) if s else 1
    shifts = [d.int(-2 * n - 3, 2 * n + 3) for _ in range(k)]
    return {"inputs": [d.tensor(s, dt)], "args": {"shifts": shifts, "dims": dims}}


add("l2_roll", "T:TiLiI", g_roll, lambda ts, a: torch.roll(ts[0], a["shifts"], a["dims"]),
    lambda f, xs, a: f(xs[0], len(a["shifts"]), i64a(a["shifts"]), len(a["dims"]),
                       i32a(a["dims"])), tol="exact", dtypes=ALL, family="shape")


def g_tri(d, dt):
    s = d.shape(min_dims=2) if d.int(0, 14) else d.shape(max_dims=1)
    n = max(s[-2:]) if len(s) >= 2 else 2
    return {"inputs": [d.tensor(s, dt)], "args": {"k": d.int(-n - 1, n + 1)}}


add("l2_tril", "T:Tl", g_tri, lambda ts, a: torch.tril(ts[0], a["k"]),
    lambda f, xs, a: f(xs[0], a["k"]), tol="exact", dtypes=ALL, family="shape")
add("l2_triu", "T:Tl", g_tri, lambda ts, a: torch.triu(ts[0], a["k"]),
    lambda f, xs, a: f(xs[0], a["k"]), tol="exact", dtypes=ALL, family="shape")


def g_diag(d, dt):
    r = d.int(0, 19)
    s = d.shape(min_dims=1, max_dims=1, max_numel=64) if r < 9 else (
        d.shape(min_dims=2, max_dims=2) if r < 18 else d.shape(max_dims=3))
    n = max(s) if s else 1
    return {"inputs": [d.tensor(s, dt)], "args": {"k": d.int(-n - 1, n + 1)}}


add("l2_diag", "T:Tl", g_diag, lambda ts, a: torch.diag(ts[0], a["k"]),
    lambda f, xs, a: f(xs[0], a["k"]), tol="exact", dtypes=ALL, family="shape")


def g_diagonal(d, dt):
    s = _shape(d)
    dd = _dims(d, s, 2)
    while len(dd) < 2:
        dd.append(dd[0] if dd else 0)
    n = max(s) if s else 1
    return {"inputs": [d.tensor(s, dt)],
            "args": {"k": d.int(-n - 1, n + 1), "d1": dd[0], "d2": dd[1]}}


add("l2_diagonal", "T:Tlii", g_diagonal,
    lambda ts, a: torch.diagonal(ts[0], a["k"], a["d1"], a["d2"]),
    lambda f, xs, a: f(xs[0], a["k"], a["d1"], a["d2"]), tol="exact", dtypes=ALL, view=True,
    family="shape")


def g_repeat(d, dt, tile):
    if d.int(0, 9) == 0:
        # 5 to 7 dims of size 2 or 3, each repeated 2 or 3 times: the (reps, size) pairs of
        # repeat's expanded view need more than 8 dims, so libl2 takes its index path
        n = d.int(5, 7)
        s = [d.int(2, 3) for _ in range(n)]
        reps = [d.int(2, 3) if i < 5 else d.int(1, 2) for i in range(n)]
        if math.prod(s) * math.prod(reps) > 1 << 16:  # at most 64K elements out
            s, reps = [2] * n, [2] * 5 + [1] * (n - 5)
        return {"inputs": [d.tensor(tuple(s), dt)], "args": {"reps": reps}}
    s = _shape(d, max_numel=4096)
    k = d.int(0 if tile else len(s), len(s) + 2)
    if not tile and d.int(0, 24) == 0:
        k = max(len(s) - 1, 0)  # fewer repeats than dims: error parity
    reps = [d.int(0, 3) for _ in range(k)]
    if reps and d.int(0, 29) == 0:
        reps[0] = -1
    return {"inputs": [d.tensor(s, dt)], "args": {"reps": reps}}


add("l2_repeat", "T:TiL", lambda d, dt: g_repeat(d, dt, False),
    lambda ts, a: ts[0].repeat(a["reps"]),
    lambda f, xs, a: f(xs[0], len(a["reps"]), i64a(a["reps"])), tol="exact", dtypes=ALL,
    family="shape")
add("l2_tile", "T:TiL", lambda d, dt: g_repeat(d, dt, True),
    lambda ts, a: torch.tile(ts[0], a["reps"]),
    lambda f, xs, a: f(xs[0], len(a["reps"]), i64a(a["reps"])), tol="exact", dtypes=ALL,
    family="shape")


def g_ri(d, dt):
    s = _shape(d, max_numel=4096)
    dim = _dim(d, s) if d.int(0, 3) else None
    return {"inputs": [d.tensor(s, dt)],
            "args": {"repeats": d.int(0, 3) if d.int(0, 24) else -1, "dim": dim}}


def _optdim(a):
    return None if a["dim"] is None else C.byref(C.c_int(a["dim"]))


add("l2_repeat_interleave", "T:TlI", g_ri,
    lambda ts, a: torch.repeat_interleave(ts[0], a["repeats"], dim=a["dim"]),
    lambda f, xs, a: f(xs[0], a["repeats"], _optdim(a)), tol="exact", dtypes=ALL,
    family="shape")


def g_ri_t(d, dt):
    s = _shape(d, max_numel=4096)
    dim = _dim(d, s) if d.int(0, 3) else None
    n = (_size(s, dim) if dim is not None else int(np.prod(s))) if s or dim is None else 1
    r = d.int(0, 9)
    rs = (n,) if r < 6 else ((1,) if r < 8 else ())
    if d.int(0, 24) == 0:
        rs = d.choice([(n + 1,), (2, 2)])
    kind = "randint:0:4" if d.int(0, 24) else "randint:-1:2"
    return {"inputs": [d.tensor(s, dt), d.tensor(rs, "int64", kind)], "args": {"dim": dim}}


add("l2_repeat_interleave_tensor", "T:TTI", g_ri_t,
    lambda ts, a: torch.repeat_interleave(ts[0], ts[1], dim=a["dim"]),
    lambda f, xs, a: f(xs[0], xs[1], _optdim(a)), tol="exact", dtypes=ALL, diff=(0,),
    family="shape")


def g_rot90(d, dt):
    s = d.shape(min_dims=2) if d.int(0, 14) else d.shape(max_dims=1)
    dd = _dims(d, s, 2)
    while len(dd) < 2:
        dd.append(0)
    return {"inputs": [d.tensor(s, dt)], "args": {"k": d.int(-6, 6), "dims": dd[:2]}}


add("l2_rot90", "T:TlI", g_rot90, lambda ts, a: torch.rot90(ts[0], a["k"], a["dims"]),
    lambda f, xs, a: f(xs[0], a["k"], i32a(a["dims"])), tol="exact", dtypes=ALL,
    family="shape")
