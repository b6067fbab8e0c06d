#!/usr/bin/env python3
"""torch_bench.py: the PyTorch twin of every l2bench case, timed with torch.utils.benchmark.

A case name is "op/dtype/variant/shape/t:threads" (bench/cases.h). build_case() turns it into a
statement and the tensors it uses, with the same shapes, dtypes, layouts and thread count as the
C case; time_case() times it with Timer.blocked_autorange and returns the median. The report
(bench/report.py) imports this module and alternates it with l2bench, group by group; run alone:

    python3 bench/torch_bench.py --l2bench _build/bench/l2bench --out torch.json [--filter RE]

Cases named "limit.*" are machine limits measured in C only: build_case() returns None for them.
"""
import argparse
import json
import re
import subprocess
import sys

import torch
import torch.nn.functional as F
from torch.utils.benchmark import Timer

DTYPES = {"f32": torch.float32, "f64": torch.float64}

VIEWS = {
    "view": "a.view(-1)",
    "reshape": "a.reshape(16, -1)",
    "transpose": "a.transpose(0, 1)",
    "slice": "a[:, 1::2]",
    "index": "a[1:3, ::2]",
    "select": "a.select(0, 1)",
    "narrow": "a.narrow(1, 1, 8)",
    "unsqueeze": "a.unsqueeze(0)",
    "permute": "a.permute(1, 0)",
    "expand": "r.expand(n, n)",
}
CREATE = {
    "empty": "torch.empty(s)",
    "zeros": "torch.zeros(s)",
    "ones": "torch.ones(s)",
    "full": "torch.full(s, 1.5)",
    "rand": "torch.rand(s)",
    "randn": "torch.randn(s)",
    "arange": "torch.arange(0, nn, 1, dtype=torch.float32)",
}
UNARY = {"relu", "exp", "tanh", "sigmoid"}
BINARY = {"add", "mul", "div"}


def parse_name(name):
    """op, dtype, variant, shape (list of ints, or list of lists for '-'), threads."""
    parts = name.split("/")
    if len(parts) < 5 or not parts[-1].startswith("t:"):
        raise ValueError(f"bad case name {name!r}")
    op, dt, variant, shape = parts[0], parts[1], parts[2], parts[3]
    threads = int(parts[-1][2:])
    dims = [[int(x) for x in piece.split("x")] for piece in shape.split("-")]
    return op, dt, variant, dims[0] if len(dims) == 1 else dims, threads


def square_inputs(n, dtype, variant, grad=False):
    """a, b for an n x n case in the layout `variant` (contig, transposed, broadcast)."""
    a = torch.randn(n, n, dtype=dtype)
    if variant == "broadcast":
        b = torch.randn(n, dtype=dtype)
    else:
        b = torch.randn(n, n, dtype=dtype)
    if variant == "transposed":
        a, b = a.t(), b.t()
    if grad:
        a = a.detach().requires_grad_(True)
        b = b.detach().requires_grad_(True)
    return a, b


def build_case(name):
    """(stmt, globals) for the case, or None when it has no torch twin (limit.*)."""
    op, dt, variant, shape, _ = parse_name(name)
    if op.startswith("limit."):
        return None
    dtype = DTYPES.get(dt, torch.float32)
    g = {"torch": torch, "F": F}
    base, _, suffix = op.partition("+")
    grad = suffix == "bwd"

    if variant == "new":
        n = shape[0]
        g.update(s=(n, n), nn=n * n)
        return CREATE[op], g
    if variant == "view":
        n = shape[0]
        g.update(a=torch.randn(n, n), r=torch.randn(1, n), n=n)
        return VIEWS[op], g
    if op in ("clone", "contiguous"):
        a, _ = square_inputs(shape[0], dtype, variant)
        g.update(a=a)
        return f"a.{op}()", g
    if op in ("cat", "stack"):
        a, b = square_inputs(shape[0], dtype, "contig")
        g.update(l=[a, b])
        return f"torch.{op}(l, {variant[-1]})", g
    if op == "to_dtype":
        a, _ = square_inputs(shape[0], dtype, "contig")
        g.update(a=a)
        return f"a.to({DTYPES[variant]})", g
    if op == "copy_":
        n = shape[0]
        _, b = square_inputs(n, dtype, variant)
        g.update(d=torch.ones(n, n, dtype=dtype), b=b)
        return "d.copy_(b)", g
    if op == "clone+bwd":
        a, _ = square_inputs(shape[0], dtype, "contig", grad=True)
        g.update(a=a, g=torch.ones(shape[0], shape[0], dtype=dtype))
        return "y = a.clone()\ny.backward(g)\na.grad = None", g
    if op == "cat+bwd":
        n = shape[0]
        a, b = square_inputs(n, dtype, "contig", grad=True)
        g.update(a=a, b=b, l=[a, b], g=torch.ones(2 * n, n, dtype=dtype))
        return "y = torch.cat(l, 0)\ny.backward(g)\na.grad = None\nb.grad = None", g

    # Elementwise.
    if base in UNARY:
        a, _ = square_inputs(shape[0], dtype, variant, grad=grad)
        g.update(a=a)
        if not grad:
            return f"torch.{op}(a)", g
        g.update(g=torch.ones(shape[0], shape[0], dtype=dtype))
        return f"y = torch.{base}(a)\ny.backward(g)\na.grad = None", g
    if base in BINARY:
        a, b = square_inputs(shape[0], dtype, variant, grad=grad)
        g.update(a=a, b=b)
        if not grad:
            return f"torch.{op}(a, b)", g
        g.update(g=torch.ones(shape[0], shape[0], dtype=dtype))
        return f"y = torch.{base}(a, b)\ny.backward(g)\na.grad = None\nb.grad = None", g
    if op == "add_":
        a, b = square_inputs(shape[0], dtype, variant)
        g.update(a=a, b=b)
        return "a.add_(b)", g
    if op == "mul_scalar":
        a, _ = square_inputs(shape[0], dtype, variant)
        g.update(a=a)
        return "torch.mul(a, 1.0001)", g

    # Reductions.
    if base in ("sum", "mean", "max"):
        a, _ = square_inputs(shape[0], dtype, "contig", grad=grad)
        g.update(a=a)
        if grad:
            return "y = torch.sum(a)\ny.backward()\na.grad = None", g
        if variant == "all":
            return f"torch.{op}(a)", g
        return f"torch.{op}(a, {variant[-1]})", g

    # Linear algebra.
    if base == "mm":
        a, b = square_inputs(shape[0], dtype, variant, grad=grad)
        g.update(a=a, b=b)
        if not grad:
            return "torch.mm(a, b)", g
        g.update(g=torch.ones(shape[0], shape[0], dtype=dtype))
        return "y = torch.mm(a, b)\ny.backward(g)\na.grad = None\nb.grad = None", g
    if op == "bmm":
        g.update(a=torch.randn(*shape, dtype=dtype), b=torch.randn(*shape, dtype=dtype))
        return "torch.bmm(a, b)", g

    # nn.
    if base in ("softmax", "log_softmax"):
        r, k = shape
        a = torch.randn(r, k, requires_grad=grad)
        g.update(a=a)
        if not grad:
            return f"torch.{base}(a, 1)", g
        g.update(g=torch.ones(r, k))
        return f"y = torch.{base}(a, 1)\ny.backward(g)\na.grad = None", g
    if base == "cross_entropy":
        r, k = shape
        g.update(a=torch.randn(r, k, requires_grad=grad), tgt=torch.randint(0, k, (r,)))
        if not grad:
            return "F.cross_entropy(a, tgt)", g
        return "y = F.cross_entropy(a, tgt)\ny.backward()\na.grad = None", g
    if base == "conv2d":
        xs, ws = shape
        x = torch.randn(*xs, requires_grad=grad)
        w = torch.randn(*ws, requires_grad=grad)
        bias = torch.randn(ws[0], requires_grad=grad)
        g.update(x=x, w=w, bias=bias)
        if not grad:
            return "F.conv2d(x, w, bias, padding=1)", g
        g.update(g=torch.ones(xs[0], ws[0], xs[2], xs[3]))
        return ("y = F.conv2d(x, w, bias, padding=1)\ny.backward(g)\n"
                "x.grad = None\nw.grad = None\nbias.grad = None"), g
    if op == "mlp_step":
        (bsz, nin), (nh,), (nout,) = [shape[0][:2], shape[1], shape[2]]
        w1 = torch.empty(nh, nin).uniform_(-nin ** -0.5, nin ** -0.5).requires_grad_()
        b1 = torch.empty(nh).uniform_(-nin ** -0.5, nin ** -0.5).requires_grad_()
        w2 = torch.empty(nout, nh).uniform_(-nh ** -0.5, nh ** -0.5).requires_grad_()
        b2 = torch.empty(nout).uniform_(-nh ** -0.5, nh ** -0.5).requires_grad_()
        g.update(x=torch.randn(bsz, nin), y=torch.randint(0, nout, (bsz,)),
                 params=[w1, b1, w2, b2], w1=w1, b1=b1, w2=w2, b2=b2)
        stmt = """\
h = torch.relu(F.linear(x, w1, b1))
loss = F.cross_entropy(F.linear(h, w2, b2), y)
loss.backward()
with torch.no_grad():
    for p in params:
        p.sub_(torch.mul(p.grad, 0.01))
for p in params:
    p.grad = None"""
        return stmt, g
    if op == "cnn_step":
        (bsz, cin, hh, ww), (c1,), (c2,), (nout,) = shape
        def u(*sz, fan):
            return torch.empty(*sz).uniform_(-fan ** -0.5, fan ** -0.5).requires_grad_()
        w1, b1 = u(c1, cin, 3, 3, fan=cin * 9), u(c1, fan=cin * 9)
        w2, b2 = u(c2, c1, 3, 3, fan=c1 * 9), u(c2, fan=c1 * 9)
        nflat = c2 * (hh // 4) * (ww // 4)
        w3, b3 = u(nout, nflat, fan=nflat), u(nout, fan=nflat)
        params = [w1, b1, w2, b2, w3, b3]
        g.update(x=torch.rand(bsz, cin, hh, ww), y=torch.randint(0, nout, (bsz,)), params=params,
                 w1=w1, b1=b1, w2=w2, b2=b2, w3=w3, b3=b3)
        stmt = """\
h = F.max_pool2d(torch.relu(F.conv2d(x, w1, b1, padding=1)), 2)
h = F.max_pool2d(torch.relu(F.conv2d(h, w2, b2, padding=1)), 2)
loss = F.cross_entropy(F.linear(h.flatten(1), w3, b3), y)
loss.backward()
with torch.no_grad():
    for p in params:
        p.sub_(torch.mul(p.grad, 0.01))
for p in params:
    p.grad = None"""
        return stmt, g
    raise ValueError(f"torch_bench: no torch twin for case {name!r}")


def time_case(name, min_run_time):
    """Median seconds per call (and the block times) of the torch twin, or None if none."""
    _, _, _, _, threads = parse_name(name)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    built = build_case(name)
    if built is None:
        return None
    stmt, g = built
    t = Timer(stmt=stmt, globals=g, num_threads=threads, label=name)
    m = t.blocked_autorange(min_run_time=min_run_time)
    return {"median": m.median, "iqr": m.iqr, "times": list(m.times),
            "number_per_run": m.number_per_run}


def list_cases(l2bench):
    """All case names l2bench knows (including ops libl2 lacks), from --l2_list."""
    out = subprocess.run([l2bench, "--l2_list"], check=True, capture_output=True, text=True)
    return [line.split("\t")[0] for line in out.stdout.splitlines() if line.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--l2bench", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--filter", default="")
    ap.add_argument("--min-run-time", type=float, default=0.05)
    args = ap.parse_args()
    names = [n for n in list_cases(args.l2bench) if re.search(args.filter, n)]
    res = {}
    for i, name in enumerate(names):
        r = time_case(name, args.min_run_time)
        if r is not None:
            res[name] = r
            print(f"[torch {i + 1}/{len(names)}] {name}: {r['median'] * 1e6:.2f} us",
                  file=sys.stderr)
    ctx = {"torch": torch.__version__, "config": torch.__config__.parallel_info()}
    with open(args.out, "w") as f:
        json.dump({"context": ctx, "cases": res}, f, indent=1)


if __name__ == "__main__":
    main()
