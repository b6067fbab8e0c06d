"""gen.py: what the oracle feeds the ops: shapes, layouts, values, dims, broadcast sets.

Two drawers share one interface so every argument generator in registry.py is written once:
CuratedDrawer walks fixed lists (shapes incl. 0-d, zero-size, size-1, 7, 23, 45x65, ..., every
layout class), each list in its own seeded order per op and dtype, so shapes, layouts and
upstream-gradient layouts combine independently, and HypDrawer draws from Hypothesis strategies
(which shrink a failure to a minimal case). Bulk values are never drawn by Hypothesis: it draws
a seed, numpy makes the values. A tensor is described by a JSON-able spec (shape, strides,
offset, storage size, dtype, value kind, seed), so any case can be saved and replayed exactly.
"""
import zlib

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# ---- curated lists ------------------------------------------------------------------------

SHAPES = [(), (0,), (1,), (7,), (23,), (1, 1), (3, 4), (1, 0, 3), (5, 1, 7), (2, 3, 4),
          (45, 65), (4, 1), (2, 1, 3, 1, 2), (6, 0, 0, 0), (812,), (3, 8, 5), (1026,), (17, 9),
          (2, 2, 2, 2, 3)]
DEEP_SHAPES = [(1029, 917), (2048, 1024)]  # ~1M and ~2M elements: deep profile only

BCAST = [[(), ()], [(5,), ()], [(), (5,)], [(5, 1), (5,)], [(10, 1, 5), (1, 10, 5)],
         [(0, 1, 3), (0, 10, 3)], [(3, 1, 2), (1, 3, 2)], [(3, 4), (3, 4)], [(1,), (7,)],
         [(2, 3, 4), (4,)], [(45, 65), (45, 1)], [(4, 1, 6), (5, 1)], [(7,), (7,)],
         [(1, 1), (23,)], [(2, 0), (1,)]]

# Layout classes. Inputs may use all of them; written (in-place) tensors only the non-overlapping.
LAYOUTS = ["contiguous", "transposed", "permuted", "stepped", "offset", "nan_gap", "expanded",
           "mixed", "overlap"]
WRITABLE_LAYOUTS = ["contiguous", "transposed", "permuted", "stepped", "offset", "nan_gap",
                    "mixed"]

VALUE_KINDS = ["uniform", "normal", "special", "ties", "positive", "unit", "nonzero", "prob",
               "small_int", "uniform01", "special_finite", "special_finite_acc", "wide",
               "near_overflow", "near_zero", "int_big", "distinct"]
# Kinds with non-finite values: gradients are compared only where torch's is not NaN.
NONFINITE_KINDS = ("special", "near_overflow")
INT64_MAX = 2**63 - 1
# int64 values that overflow when added, multiplied, summed or raised to a power (torch wraps)
INT_BIG = [INT64_MAX, -INT64_MAX - 1, 2**62, -2**62, 2**32 + 1, -(2**31), 3037000500, 0, -1, 1]


def make_layout(shape, kind, rng):
    """(strides, offset, storage) in elements for shape laid out as kind."""
    nd = len(shape)
    perm = list(range(nd))
    steps = [1] * nd
    offset = 0
    pad = 0
    if kind == "transposed":
        perm = perm[::-1]
    elif kind == "permuted":
        rng.shuffle(perm)
    elif kind == "stepped":
        for d in range(nd):
            if d == nd - 1 or rng.random() < 0.5:
                steps[d] = int(rng.integers(2, 6))
    elif kind == "offset":
        offset = int(rng.integers(1, 8))
        pad = int(rng.integers(0, 5))
    elif kind == "nan_gap":
        if nd:
            steps[-1] = 2
    elif kind == "mixed":
        rng.shuffle(perm)
        for d in range(nd):
            if rng.random() < 0.5:
                steps[d] = int(rng.integers(2, 4))
        offset = int(rng.integers(0, 6))
        pad = int(rng.integers(0, 3))
    strides = [0] * nd
    acc = 1
    for d in reversed(perm):  # perm[0] outermost in memory, perm[-1] innermost
        strides[d] = acc * steps[d]
        acc *= max(shape[d], 1) * steps[d]
    if kind == "expanded":
        cands = [d for d in range(nd)]
        if cands:
            for d in cands:
                if rng.random() < 0.5 or d == cands[-1]:
                    strides[d] = 0
        offset = int(rng.integers(0, 3))
    elif kind == "overlap":
        # rows that start before the previous one ended: element (i, j) and (i+1, j-k) coincide
        inner = 1
        for d in reversed(range(nd)):
            strides[d] = int(rng.integers(0 if d < nd - 1 else 1, max(inner, 1) + 1))
            inner = max(inner, (shape[d] - 1) * strides[d] + 1)
        offset = int(rng.integers(0, 3))
    hi = offset
    for n, s in zip(shape, strides):
        if n == 0:
            hi = offset - 1
            break
        hi += (n - 1) * s
    storage = max(hi + 1, offset + 1) + pad + (1 if kind in ("stepped", "nan_gap") else 0)
    return strides, offset, storage


def make_values(kind, dtype, n, seed):
    """n logical values of the given kind, deterministic in seed."""
    if kind.startswith("mat:"):  # decompositions (issue 15, la2): matrices of chosen spectra
        import matgen
        return matgen.values(kind, n, seed).astype(
            "float32" if dtype in ("bfloat16", "float16") else dtype)
    rng = np.random.default_rng(seed)
    if kind.startswith("perm:"):  # index3: n distinct indices from [0, hi) (n <= hi)
        return rng.permutation(max(int(kind.split(":")[1]), n))[:n]
    if kind.startswith("dimperm:"):  # uniq: dimperm:hi:k:inner, rows (outer, k, inner) whose
        hi, k, inner = (int(x) for x in kind.split(":")[1:4])  # k entries along k are distinct
        outer = n // (k * inner) if k * inner else 0
        a = np.argsort(rng.random((outer, max(hi, k), inner)), axis=1)[:, :k, :]
        return a.reshape(-1)
    if kind.startswith("randint:"):  # index tensors: randint:lo:hi (hi exclusive)
        lo, hi = (int(x) for x in kind.split(":")[1:3])
        return rng.integers(lo, max(hi, lo + 1), n)
    if kind.startswith("sorted:"):  # scan (issue 14): kind's values ascending, NaN last
        return np.sort(make_values(kind[7:], dtype, n, seed))
    if kind.startswith("sqmat:"):  # la1 (issue 15): square matrices, see _matrices
        return _matrices(kind, n, rng)
    if dtype == "bool":
        return rng.random(n) < 0.5
    if dtype == "int64":
        if kind in ("int_big", "special"):  # wrap-around: a third of the values near the limits
            v = rng.integers(-9, 10, n)
            m = rng.random(n) < (0.5 if kind == "int_big" else 0.3)
            big = np.array(INT_BIG, dtype=np.int64)
            v[m] = big[rng.integers(0, len(big), int(m.sum()))]
            return v
        if kind in ("positive", "prob", "uniform01", "near_zero"):
            return rng.integers(1, 10, n)
        if kind == "ties":
            return rng.integers(0, 3, n)
        if kind == "distinct":  # sort (issue 14)
            return rng.permutation(n) - n // 2
        if kind == "nonzero":
            v = rng.integers(1, 10, n)
            return v * np.where(rng.random(n) < 0.5, -1, 1)
        return rng.integers(-9, 10, n)
    if kind == "uniform":
        v = rng.uniform(-2, 2, n)
    elif kind == "normal":
        v = rng.standard_normal(n)
    elif kind == "uniform01":
        v = rng.uniform(0, 1, n)
    elif kind == "positive":
        v = rng.uniform(0.1, 4, n)
    elif kind == "unit":
        v = rng.uniform(-0.95, 0.95, n)
    elif kind == "prob":
        v = rng.uniform(0.02, 0.98, n)
    elif kind == "nonzero":
        v = rng.uniform(0.2, 2, n) * np.where(rng.random(n) < 0.5, -1, 1)
    elif kind == "ties":
        v = rng.integers(-2, 3, n).astype(np.float64)
    elif kind == "halves":
        v = rng.integers(-8, 9, n) / 2.0
    elif kind == "small_int":
        v = rng.integers(-4, 5, n).astype(np.float64)
    elif kind == "special":
        v = rng.uniform(-2, 2, n)
        specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e30, -1e30, 1e-30, 5e-324,
                             1.0, -1.0, 0.5])
        m = rng.random(n) < 0.4
        v[m] = specials[rng.integers(0, len(specials), int(m.sum()))]
    elif kind in ("special_finite", "special_finite_acc"):  # gradients defined everywhere
        v = rng.uniform(-2, 2, n)
        # large but with finite squares (the overflow of float32 intermediates depends on the
        # order of operations, which differs between libraries), tiny, denormal; not for
        # accumulations (_acc), where +-big cancel and the order of the terms decides
        big = {"float32": 1e18, "bfloat16": 1e18, "float16": 200.0}.get(dtype, 1e150)
        specials = np.array([0.0, -0.0, 1e-30, -1e-30, 1e-40, 5e-324, -5e-324, 1e4, -1e4, 1.0,
                             -1.0] + ([big, -big] if kind == "special_finite" else []))
        if dtype == "float16":  # float16's own tiny values: subnormal (6e-8, 1e-5), least normal
            specials = np.array([0.0, -0.0, 6e-8, -1e-5, 6.1e-5, 1e-3, 1e3, -1e3, 1.0, -1.0] +
                                ([big, -big] if kind == "special_finite" else []))
        m = rng.random(n) < 0.4
        v[m] = specials[rng.integers(0, len(specials), int(m.sum()))]
    elif kind == "wide":  # magnitudes up to 1e4 (softmax / logsumexp stability, large products)
        v = np.where(rng.random(n) < 0.5, rng.uniform(-1e4, 1e4, n),
                     10.0 ** rng.uniform(-3, 4, n) * np.where(rng.random(n) < 0.5, -1, 1))
    elif kind == "near_overflow":  # exp, exp2, sinh, cosh... around the overflow threshold
        # bfloat16 has float32's exponent range; float16 overflows at 65504 (exp at 11.09,
        # exp2 at 16)
        lim = {"float32": 88.7, "bfloat16": 88.7, "float16": 11.09}.get(dtype, 709.8)
        v = rng.uniform(lim - 4, lim + 2, n) * np.where(rng.random(n) < 0.7, 1, -1)
        if dtype in ("float32", "bfloat16", "float16"):  # exp2's own limit: some values there
            m = rng.random(n) < 0.25
            e2 = 16 if dtype == "float16" else 128
            v[m] = rng.uniform(e2 - 4, e2 + 2, int(m.sum()))
    elif kind == "near_zero":  # log, sqrt, reciprocal... near 0, with zeros and denormals
        lo = {"float32": -44, "bfloat16": -40, "float16": -7.2}.get(dtype, -320)
        v = 10.0 ** rng.uniform(lo, -1, n)
        m = rng.random(n) < 0.1
        v[m] = 0.0
    elif kind == "int_big":
        v = rng.uniform(-2, 2, n)
    elif kind == "distinct":  # sort (issue 14): no two values equal, steps of 1/8 (float32-exact)
        v = (rng.permutation(n) - n // 2) / 8.0
    else:
        raise ValueError("unknown value kind " + kind)
    return v


def _matrices(kind, n, rng):
    """la1 (issue 15): a batch of N x N matrices (the last two dims of the logical shape),
    kind "sqmat:<class>:N": well (uniform(-1, 1) + N I: cond(A) below about 3), ill (Q diag(s)
    Q^T with Q orthogonal and s from 1 down to 10^-k, k uniform in [2, 5] per matrix: cond(A)
    10^k), spd (B B^T + N I) or singular (uniform(-1, 1) with one row zero: every LU
    implementation meets an exactly zero pivot, which a repeated row does not guarantee)."""
    _, cls, size = kind.split(":")
    N = int(size)
    nm = n // (N * N) if N else 0
    out = np.zeros((nm, N, N))
    for b in range(nm):
        if cls == "well":
            m = rng.uniform(-1, 1, (N, N)) + N * np.eye(N)
        elif cls == "ill":
            q, _ = np.linalg.qr(rng.standard_normal((N, N)))
            s = np.logspace(0, -rng.uniform(2, 5), N) * np.where(rng.random(N) < 0.5, -1, 1)
            m = (q * s) @ q.T
        elif cls == "spd":
            c = rng.uniform(-1, 1, (N, N))
            m = c @ c.T + N * np.eye(N)
        elif cls == "singular":
            m = rng.uniform(-1, 1, (N, N))
            m[rng.integers(0, N)] = 0.0
        else:
            raise ValueError("unknown matrix class " + kind)
        out[b] = m
    return out.reshape(-1)


def spec(shape, dtype, layout, rng, values="uniform", seed=None):
    """A JSON-able tensor spec."""
    shape = [int(s) for s in shape]
    strides, offset, storage = make_layout(shape, layout, rng)
    return {"shape": shape, "strides": strides, "offset": offset, "storage": storage,
            "dtype": dtype, "layout": layout, "values": values,
            "seed": int(rng.integers(0, 2**31)) if seed is None else seed}


def spec_values(s):
    n = int(np.prod(s["shape"])) if s["shape"] else 1
    v = make_values(s["values"], s["dtype"], n, s["seed"])
    if s["dtype"] in ("bfloat16", "float16"):  # the values the tensor holds (float32, rounded)
        import torch
        t = torch.from_numpy(np.ascontiguousarray(np.asarray(v, dtype=np.float64)).reshape(-1))
        v = t.float().to(getattr(torch, s["dtype"])).double().numpy()
    return v


def _bcast_reduce(shape, rng):
    """A shape broadcastable to shape: some dims set to 1, some leading dims dropped."""
    out = [1 if rng.random() < 0.3 else n for n in shape]
    k = int(rng.integers(0, len(out) + 1)) if rng.random() < 0.4 else 0
    return tuple(out[k:])


# ---- drawers ------------------------------------------------------------------------------

class BaseDrawer:
    """Interface used by argument generators. All draws go through int/choice/shape."""

    def rng(self):
        return np.random.default_rng(self.int(0, 2**31 - 1))

    def bool(self):
        return self.int(0, 1) == 1

    def choice(self, seq):
        seq = list(seq)
        return seq[self.int(0, len(seq) - 1)]

    def pick(self, axis, seq):
        """An element of seq for one axis of a case (shape, layout of input i, upstream
        gradient layout, ...); the curated drawer walks each axis in its own order."""
        return self.choice(seq)

    def float(self, lo, hi):
        return lo + (hi - lo) * self.int(0, 1000) / 1000.0

    def dim(self, ndim, allow_neg=True):
        r = max(ndim, 1)
        lo = -r if allow_neg else 0
        return self.int(lo, r - 1)

    def dims(self, ndim):
        """A random dim set (possibly empty: all dims) with some negative entries."""
        if ndim == 0:
            return []
        k = self.int(0, ndim)
        ds = []
        pool = list(range(ndim))
        for _ in range(k):
            d = pool.pop(self.int(0, len(pool) - 1))
            ds.append(d - ndim if self.bool() else d)
        return ds

    def tensor(self, shape, dtype, values="uniform", layout=None, writable=False):
        if layout is None:
            layout = self.layout(writable)
        return spec(shape, dtype, layout, self.rng(), values)


class CuratedDrawer(BaseDrawer):
    """Deterministic: each axis of a case (the curated shape, the layout class of each input, the
    upstream gradient's layout, the broadcast pair) walks its list in its own seeded order, a
    new permutation every len(list) cases, so within n cases every element of a list of n occurs
    once and the axes combine independently; salt (the op and dtype) varies the orders between
    ops. Other choices come from a seeded numpy generator."""

    def __init__(self, k, seed, deep=False, salt=0):
        self.k = k
        self.seed = seed
        self.salt = salt
        self.r = np.random.default_rng([seed, k, salt])
        self.deep = deep
        self.nshape = 0
        self.nlayout = 0

    def int(self, lo, hi):
        return int(self.r.integers(lo, hi + 1))

    def pick(self, axis, seq):
        seq = list(seq)
        n = len(seq)
        order = np.random.default_rng([self.seed, self.salt, zlib.crc32(axis.encode()), n,
                                       self.k // n]).permutation(n)
        return seq[int(order[self.k % n])]

    def layout(self, writable=False):
        ls = WRITABLE_LAYOUTS if writable else LAYOUTS
        self.nlayout += 1
        return self.pick("layout%d%s" % (self.nlayout, "w" if writable else ""), ls)

    def shape(self, min_dims=0, max_dims=5, min_side=0, max_side=None, max_numel=None):
        pool = SHAPES
        big = self.k - len(SHAPES)
        if self.deep and 0 <= big < len(DEEP_SHAPES):  # one case per big shape (deep only)
            pool = [DEEP_SHAPES[big]]
            self.k = 0
        ok = [s for s in pool if min_dims <= len(s) <= max_dims and
              all(n >= min_side for n in s) and (max_side is None or all(n <= max_side for n in s))
              and (max_numel is None or int(np.prod(s)) <= max_numel)]
        self.nshape += 1
        if ok and self.nshape == 1:
            return tuple(self.pick("shape", ok))
        return random_shape(self.r, min_dims, min(max_dims, 4), min_side,
                            max_side if max_side is not None else 6)

    def bshapes(self, n=2, min_dims=0):
        ok = [p for p in BCAST if min(len(s) for s in p) >= min_dims]
        p = [tuple(s) for s in self.pick("bshapes", ok)]
        while len(p) < n:
            p.append(_bcast_reduce(p[0], self.r))
        return p[:n]


def random_shape(r, min_dims, max_dims, min_side, max_side):
    nd = int(r.integers(min_dims, max_dims + 1))
    return tuple(int(r.integers(min_side, max_side + 1)) for _ in range(nd))


class HypDrawer(BaseDrawer):
    """Draws through Hypothesis (st.data()), so failing cases shrink."""

    def __init__(self, data, deep=False):
        self.data = data
        self.deep = deep

    def int(self, lo, hi):
        return self.data.draw(st.integers(lo, hi))

    def layout(self, writable=False):
        return self.data.draw(st.sampled_from(WRITABLE_LAYOUTS if writable else LAYOUTS))

    def shape(self, min_dims=0, max_dims=5, min_side=0, max_side=None, max_numel=None):
        ms = max_side if max_side is not None else (9 if self.deep else 6)
        max_dims = min(max_dims, 4)
        # zero-size dims in about one case of eight (Hypothesis would favour them)
        lo = min_side if min_side > 0 or self.data.draw(st.integers(0, 7)) == 0 else 1
        strat = hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=lo,
                                 max_side=max(ms, lo))
        # Hypothesis seldom draws 0-d: offer it explicitly
        if min_dims == 0 and self.data.draw(st.integers(0, 9)) == 0:
            strat = st.just(())
        s = self.data.draw(strat)
        if max_numel is not None and int(np.prod(s)) > max_numel:
            s = tuple(min(n, 2) for n in s)
        return tuple(s)

    def bshapes(self, n=2, min_dims=0):
        r = self.data.draw(hnp.mutually_broadcastable_shapes(
            num_shapes=n, min_dims=min_dims, max_dims=4, min_side=0,
            max_side=7 if self.deep else 5))
        return [tuple(s) for s in r.input_shapes]
