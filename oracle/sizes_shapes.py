"""sizes_shapes.py: the shapes of the sized cases (sizes.py): factoring a size into a shape of
a given rank, the size constants, and SizedDrawer, which hands a plan's sizes to the
registry's generators while every other draw stays seeded."""
import numpy as np

import gen as G

LARGE = 300000          # "large": at least this many (of the op's measure)
HUGE = 1000003          # the deep profile's well-beyond size
SIZED_LAYOUTS = ["transposed", "expanded", "contiguous", "permuted", "mixed", "stepped",
                 "offset", "nan_gap", "overlap"]


# ---- shapes -------------------------------------------------------------------------------

def factors(n):
    """Prime factors of n >= 1, ascending."""
    out, p = [], 2
    while p * p <= n:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    if n > 1:
        out.append(n)
    return out


def shape_for(n, r, min_dims=1, max_dims=4, min_side=0):
    """A shape with exactly n elements and between min_dims and max_dims dims (random split of
    n's prime factors), or None when it cannot have that many dims (n prime and min_dims > 1 is
    fine: the other dims are 1, unless min_side > 1)."""
    lo, hi = max(min_dims, 1), max(max_dims, 1)
    if lo > hi:
        return None
    nd = int(r.integers(lo, hi + 1))
    dims = [1] * nd
    for f in factors(n):
        dims[int(r.integers(0, nd))] *= f
    if any(x < min_side for x in dims):
        return None
    r.shuffle(dims)
    return tuple(dims)


def numel(shape):
    return int(np.prod(shape)) if len(shape) else 1


class SizedDrawer(G.BaseDrawer):
    """A drawer whose shapes hit a planned size: shape() returns plan["shape"] (or a shape of
    plan["numel"] elements fitting the generator's constraints), bshapes() broadcastable shapes
    whose result has that shape, dims()/dim() the planned reduced dims when the plan has them.
    The first layout is plan["layout"]; ints, choices, further layouts come from seed."""

    def __init__(self, plan, seed):
        self.plan = plan
        self.r = np.random.default_rng(seed)
        self.nlayout = 0
        self._shape = plan.get("shape")

    def int(self, lo, hi):
        return int(self.r.integers(lo, hi + 1))

    def layout(self, writable=False):
        ls = G.WRITABLE_LAYOUTS if writable else G.LAYOUTS
        self.nlayout += 1
        want = self.plan.get("layout")
        if self.nlayout == 1 and want in ls:
            return want
        more = self.plan.get("layouts", ())  # plans fixing later tensors' layouts too
        if self.nlayout <= len(more) and more[self.nlayout - 1] in ls:
            return more[self.nlayout - 1]
        return ls[self.int(0, len(ls) - 1)]

    def tensor(self, shape, dtype, values="uniform", layout=None, writable=False):
        # Large inputs: redraw layouts whose storage would exceed a few times the elements
        # (stepped dims multiply), so a case stays cheap; contiguous as the last resort.
        n = numel(shape)
        for _ in range(4):
            lay = layout if layout is not None else self.layout(writable)
            s = G.spec(shape, dtype, lay, self.rng(), values)
            if s["storage"] <= 6 * n + 64:
                return s
            layout = None
        return G.spec(shape, dtype, "contiguous", self.rng(), values)

    def shape(self, min_dims=0, max_dims=5, min_side=0, max_side=None, max_numel=None):
        s = self._shape
        if s is None:
            s = shape_for(self.plan["numel"], self.r, max(min_dims, 1), min(max_dims, 4),
                          min_side)
            if s is None:
                s = (self.plan["numel"],)
            self._shape = s  # later calls (a second tensor of the same op) get the same shape
        ok = (min_dims <= len(s) <= max_dims and all(x >= min_side for x in s) and
              (max_side is None or all(x <= max_side for x in s)) and
              (max_numel is None or numel(s) <= max_numel))
        if ok:
            return tuple(s)
        # the generator constrains sizes (squeeze, expand, as_strided): a small shape; the
        # case is dropped by sized_cases as not reaching its size
        return G.random_shape(self.r, min_dims, min(max_dims, 4), min_side,
                              max_side if max_side is not None else 6)

    def bshapes(self, n=2, min_dims=0):
        out = tuple(self.shape(min_dims=max(min_dims, 1)))
        shapes = [out]
        while len(shapes) < n:
            if "bshape" in self.plan and len(shapes) == 1:  # a planned broadcast operand
                shapes.append(tuple(self.plan["bshape"]))
                continue
            shapes.append(out if self.bool() else G._bcast_reduce(out, self.r))
        # the full shape need not be first: any operand may be the broadcast one
        k = self.int(0, n - 1)
        shapes[0], shapes[k] = shapes[k], shapes[0]
        return shapes

    def dims(self, ndim):
        if "dims" in self.plan and ndim:
            return [d - ndim if self.bool() else d for d in self.plan["dims"] if d < ndim]
        return super().dims(ndim)

    def dim(self, ndim, allow_neg=True):
        if "dim" in self.plan and ndim:
            d = self.plan["dim"] % ndim
            return d - ndim if allow_neg and self.bool() else d
        return super().dim(ndim, allow_neg)
