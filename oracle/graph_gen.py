"""graph_gen.py: the graph oracle's generator: seeded random DAGs over graph_ir's ops
(graph_oracle.py)."""
import numpy as np

import gen as G
from graph_ir import INPLACE, Graph

FLOATS = ("float32", "float64")
MODES = ("backward", "twice_retain", "twice_noretain", "grad_subset")
SHAPES = [(), (1,), (4,), (6,), (2, 3), (3, 4), (4, 1), (2, 3, 2), (1, 4, 3), (2, 2, 2, 2)]
LEAF_LAYOUTS = ["contiguous", "contiguous", "transposed", "stepped", "nan_gap", "offset",
                "permuted", "expanded"]
UP_LAYOUTS = ["contiguous", "transposed", "stepped", "nan_gap", "expanded", "permuted"]
SCALARS = [0.5, -1.5, 2.0, 0.25]


def numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def factorizations(n, rng):
    """A random shape (rank 1..3) with n elements."""
    if n == 0:
        return [0]
    for _ in range(8):
        r = int(rng.integers(1, 4))
        shape, rest = [], n
        for _d in range(r - 1):
            divs = [d for d in range(1, rest + 1) if rest % d == 0]
            d = int(divs[int(rng.integers(0, len(divs)))])
            shape.append(d)
            rest //= d
        shape.append(rest)
        if len(shape) <= 4:
            return shape
    return [n]


class Gen:
    """Draws one graph from rng. Tracks each value's shape and whether it requires grad, so that
    ops get operands they can take and outputs are mostly differentiable."""

    def __init__(self, rng, dtype):
        self.rng = rng
        self.dtype = dtype
        self.g = Graph()
        self.shape = []
        self.rg = []

    def choice(self, xs):
        return xs[int(self.rng.integers(0, len(xs)))]

    def leaf(self, shape, rg=None):
        rng = self.rng
        if rg is None:
            rg = rng.random() < 0.75
        layout = self.choice(LEAF_LAYOUTS)
        values = "uniform" if rng.random() < 0.8 else "normal"
        s = G.spec(shape, self.dtype, layout, rng, values)
        self.g.vals.append({"op": "leaf", "spec": s, "rg": bool(rg)})
        self.shape.append(tuple(shape))
        self.rg.append(bool(rg))
        return len(self.shape) - 1

    def add(self, op, ins, args, shape, ng):
        rg = any(self.rg[i] for i in ins) and op != "detach" and not ng
        if op in INPLACE:  # the target's identity carries on, now with the new history
            rg = rg or (self.rg[ins[0]] and not ng)
        self.g.vals.append({"op": op, "ins": list(ins), "args": args, "ng": ng})
        self.shape.append(tuple(int(d) for d in shape))
        self.rg.append(bool(rg))
        return len(self.shape) - 1

    def pick(self):
        """A value, preferring recent ones (chains) but reusing old ones (shared subexpressions
        and diamonds)."""
        c = list(range(len(self.shape)))
        if self.rng.random() < 0.6:
            c = c[-3:]
        return self.choice(c)

    def operand(self, shape, bcast=True):
        """A second operand that broadcasts to shape: an existing value or a new leaf."""
        rng = self.rng
        same = [i for i in range(len(self.shape)) if self.shape[i] == tuple(shape)]
        if same and rng.random() < 0.5:
            return self.choice(same)
        if bcast and shape and rng.random() < 0.4:
            return self.leaf(self.choice([(), tuple(shape[-1:]), (1,) * len(shape)]))
        return self.leaf(shape)

    def draw(self):
        rng = self.rng
        for _ in range(int(rng.integers(1, 4))):
            self.leaf(self.choice(SHAPES))
        n_ops = int(rng.integers(3, 26))
        ng = False
        n = 0
        while n < n_ops:
            if rng.random() < 0.08:
                ng = not ng  # enter or leave a no_grad island
            self.step(ng)
            n = sum(1 for v in self.g.vals if v["op"] != "leaf")
        self.finish()
        return self.g

    def step(self, ng):
        rng = self.rng
        r = rng.random()
        x = self.pick()
        sx = self.shape[x]
        nd = len(sx)
        if r < 0.22:
            op = self.choice(["exp", "tanh", "sigmoid", "sin", "square", "neg", "abs", "relu",
                              "clone", "contiguous", "detach", "add_scalar", "mul_scalar"])
            if op == "exp":  # keep values bounded: exp of a squashed value
                x = self.add("tanh", [x], {}, sx, ng)
            args = {"s": self.choice(SCALARS)} if op.endswith("scalar") else {}
            self.add(op, [x], args, sx, ng)
        elif r < 0.40:
            op = self.choice(["add", "sub", "mul", "div"])
            y = self.operand(sx)
            sy = self.shape[y]
            if op == "div":  # denominator kept away from 0: 1 + y^2
                y = self.add("square", [y], {}, sy, ng)
                y = self.add("add_scalar", [y], {"s": 1.0}, sy, ng)
            self.add(op, [x, y], {}, np.broadcast_shapes(sx, sy), ng)
        elif r < 0.56:
            self.view_op(x, sx, ng)
        elif r < 0.64:
            op = "sum" if nd == 0 else self.choice(["sum", "sum_dims", "mean_dims"])
            if op == "sum":
                self.add(op, [x], {}, (), ng)
            else:
                k = int(rng.integers(1, nd + 1))
                dims = sorted(int(d) for d in rng.choice(nd, k, replace=False))
                kd = bool(rng.random() < 0.4)
                shape = [1 if d in dims else s for d, s in enumerate(sx)] if kd else \
                    [s for d, s in enumerate(sx) if d not in dims]
                self.add(op, [x], {"dims": dims, "keepdim": kd}, shape, ng)
        elif r < 0.74:
            self.linalg(x, sx, ng)
        elif r < 0.80:
            self.join(x, sx, ng)
        else:
            self.inplace(x, sx, ng)

    def view_op(self, x, sx, ng):
        rng = self.rng
        nd = len(sx)
        ops = ["reshape", "reshape", "view", "unsqueeze", "flatten"]
        if nd >= 2:
            ops += ["transpose", "permute"]
        if nd >= 1 and max(sx) >= 2:
            ops += ["slice", "select"]
        if 1 in sx:
            ops += ["expand"]
        op = self.choice(ops)
        if op in ("slice", "select") and rng.random() < 0.4:
            return self.pieces(x, sx, op, ng)
        if op in ("reshape", "view"):
            shape = factorizations(numel(sx), rng)
            self.add(op, [x], {"shape": shape}, shape, ng)
        elif op == "unsqueeze":
            d = int(rng.integers(-nd - 1, nd + 1))
            shape = list(sx)
            shape.insert(d if d >= 0 else d + nd + 1, 1)
            self.add(op, [x], {"dim": d}, shape, ng)
        elif op == "flatten":
            self.add(op, [x], {}, (numel(sx),), ng)
        elif op == "transpose":
            d0, d1 = (int(d) for d in rng.integers(0, nd, 2))
            shape = list(sx)
            shape[d0], shape[d1] = sx[d1], sx[d0]
            self.add(op, [x], {"d0": d0, "d1": d1}, shape, ng)
        elif op == "permute":
            perm = [int(d) for d in rng.permutation(nd)]
            self.add(op, [x], {"perm": perm}, [sx[d] for d in perm], ng)
        elif op == "slice":
            d = self.choice([i for i in range(nd) if sx[i] >= 2])
            start = int(rng.integers(0, sx[d]))
            stop = int(rng.integers(start + 1, sx[d] + 1))
            step = int(rng.integers(1, 3))
            shape = list(sx)
            shape[d] = len(range(start, stop, step))
            self.add(op, [x], {"dim": d, "start": start, "stop": stop, "step": step}, shape, ng)
        elif op == "select":
            d = self.choice([i for i in range(nd) if sx[i] >= 2])
            i = int(rng.integers(-sx[d], sx[d]))
            self.add(op, [x], {"dim": d, "index": i}, [s for k, s in enumerate(sx) if k != d],
                     ng)
        else:
            shape = [3 if s == 1 and rng.random() < 0.7 else s for s in sx]
            self.add(op, [x], {"shape": shape}, shape, ng)

    def pieces(self, x, sx, op, ng):
        """2 or 3 slices (one length, any starts: they may overlap or repeat) or selects of x
        along one dim, added up: the engine adds the second and later pieces' gradients into
        x's accumulated gradient in place (autograd-engine.c region_add)."""
        rng = self.rng
        nd = len(sx)
        d = self.choice([i for i in range(nd) if sx[i] >= 2])
        k = int(rng.integers(2, 4))
        if op == "select":
            ps = [self.add(op, [x], {"dim": d, "index": int(rng.integers(-sx[d], sx[d]))},
                           [s for j, s in enumerate(sx) if j != d], ng) for _ in range(k)]
        else:
            n = int(rng.integers(1, sx[d] + 1))
            shape = list(sx)
            shape[d] = n
            ps = []
            for _ in range(k):
                start = int(rng.integers(0, sx[d] - n + 1))
                ps.append(self.add(op, [x], {"dim": d, "start": start, "stop": start + n,
                                             "step": 1}, shape, ng))
        y = ps[0]
        for p in ps[1:]:
            y = self.add("add", [y, p], {}, self.shape[p], ng)
        return y

    def linalg(self, x, sx, ng):
        rng = self.rng
        nd = len(sx)
        n = int(rng.integers(1, 4))
        if nd == 2 and rng.random() < 0.5:
            same = [i for i in range(len(self.shape)) if len(self.shape[i]) == 2 and
                    self.shape[i][0] == sx[1]]
            w = self.choice(same) if same and rng.random() < 0.3 else self.leaf((sx[1], n))
            self.add("mm", [x, w], {}, (sx[0], self.shape[w][1]), ng)
        elif 1 <= nd <= 3 and rng.random() < 0.5:
            wshape = self.choice([(sx[-1],), (sx[-1], n)])
            w = self.leaf(wshape)
            self.add("matmul", [x, w], {}, sx[:-1] + wshape[1:], ng)
        elif nd >= 1:
            ins = [x, self.leaf((n, sx[-1]))]
            if rng.random() < 0.6:
                ins.append(self.leaf(self.choice([(n,), ()])))
            self.add("linear", ins, {}, sx[:-1] + (n,), ng)
        else:
            self.add("mul_scalar", [x], {"s": 2.0}, sx, ng)

    def join(self, x, sx, ng):
        rng = self.rng
        if not sx:
            x = self.add("unsqueeze", [x], {"dim": 0}, (1,), ng)
            sx = (1,)
        nd = len(sx)
        if rng.random() < 0.6:
            d = int(rng.integers(0, nd))
            fits = [i for i in range(len(self.shape)) if len(self.shape[i]) == nd and all(
                a == b for k, (a, b) in enumerate(zip(self.shape[i], sx)) if k != d)]
            ins = [x]
            for _ in range(int(rng.integers(1, 3))):
                if rng.random() < 0.15:
                    ins.append(self.leaf((0,)))  # 1-d empty: skipped by cat, still connected
                elif fits and rng.random() < 0.6:
                    ins.append(self.choice(fits))
                else:
                    ins.append(self.leaf(tuple(int(rng.integers(1, 3)) if k == d else s
                                               for k, s in enumerate(sx))))
            if rng.random() < 0.5:
                ins = [ins[i] for i in rng.permutation(len(ins))]
            shape = list(sx)
            shape[d] = sum(self.shape[i][d] for i in ins if self.shape[i] != (0,))
            self.add("cat", ins, {"dim": d - nd if rng.random() < 0.3 else d}, shape, ng)
        else:
            same = [i for i in range(len(self.shape)) if self.shape[i] == sx]
            d = int(rng.integers(-nd - 1, nd + 1))
            shape = list(sx)
            shape.insert(d if d >= 0 else d + nd + 1, 2)
            self.add("stack", [x, self.choice(same)], {"dim": d}, shape, ng)

    def inplace(self, x, sx, ng):
        if self.g.vals[x]["op"] == "leaf" and self.rg[x] and self.rng.random() < 0.85:
            # an in-place op on a leaf that requires grad is an error in both libraries: keep a
            # few, write to an intermediate (or a leaf without grad) otherwise
            c = [i for i in range(len(self.shape))
                 if self.g.vals[i]["op"] != "leaf" or not self.rg[i]]
            if c:
                x = self.choice(c[-4:])
                sx = self.shape[x]
        op = self.choice(list(INPLACE))
        if INPLACE[op][2]:
            y = self.operand(sx)
            if op == "copy_" and y == x:  # torch skips a self-copy before checking anything
                y = self.leaf(sx)
            self.add(op, [x, y], {}, sx, ng)
        else:
            args = {"s": self.choice(SCALARS)} if "scalar" in op else {}
            self.add(op, [x], args, sx, ng)

    def finish(self):
        rng = self.rng
        g = self.g
        cand = [i for i, v in enumerate(g.vals) if v["op"] != "leaf" and self.rg[i]]
        outs = [len(g.vals) - 1]
        if cand and not self.rg[outs[0]]:
            outs = [cand[-1]]
        for _ in range(int(rng.integers(0, 3))):
            if cand:
                o = self.choice(cand)
                if o not in outs:
                    outs.append(o)
        g.outputs = outs
        g.mode = self.choice(MODES)
        leaves = g.leaves()
        rgl = [i for i in leaves if g.vals[i]["rg"]]
        if g.mode == "grad_subset":
            k = int(rng.integers(1, len(rgl) + 1)) if rgl else 0
            sub = sorted(int(i) for i in rng.choice(rgl, k, replace=False)) if k else []
            if rng.random() < 0.08 or not sub:
                sub.append(self.choice(leaves))  # sometimes one that needs no grad
            g.subset = sub
            g.allow_unused = bool(rng.random() < 0.5)
        g.ups = []
        for o in outs:
            sh = self.shape[o]
            if not sh and rng.random() < 0.3:
                g.ups.append(None)
            else:
                g.ups.append(G.spec(sh, self.dtype, self.choice(UP_LAYOUTS), rng, "normal"))


def draw_graph(seed, k, dtype):
    rng = np.random.default_rng([seed, k, FLOATS.index(dtype)])
    return Gen(rng, dtype).draw()
