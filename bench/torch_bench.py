#!/usr/bin/env python3
"""torch_bench.py: the PyTorch twin of every l2bench case, timed from Python.

A case name is "op/dtype/variant/shape/t:threads" (bench/cases.h). build_case() turns it into a
statement and the tensors it uses, with the same shapes, dtypes, layouts and thread count as the
C case; time_case() runs it in repetitions of n calls (n chosen so that a repetition lasts at
least min_time) and records each repetition's wall time (time.perf_counter) and process CPU time
(time.process_time), per call. bench/report.py starts one process per thread count
(`--serve THREADS`, with OMP_NUM_THREADS and OPENBLAS_NUM_THREADS set in its environment: torch's
OpenBLAS ignores torch.set_num_threads) and sends it the cases group by group. Run alone:

    python3 bench/torch_bench.py --l2bench _build/bench/l2bench --out torch.json [--filter RE]

Cases named "limit.*" are machine limits measured in C only: build_case() returns None for them.
"""
import argparse
import json
import os
import re
import statistics
import struct
import subprocess
import sys
import time

import numpy
import torch
import torch.nn.functional as F

import torch_ops14
import torch_conv3  # conv3 (issue 14)
import torch_half  # half compute (issue 16)
import torch_loss2  # loss (issue 14)
import torch_compose  # compose (issue 15)
import torch_lapack  # la1 (issue 15)
import torch_lsq  # lsqnorm (issue 15)
import torch_uniq  # uniq (issue 14, bench9)
import torch_adv  # adv (issue 14)
import torch_rnn  # rnn (issue 15)
import torch_svd  # svd (issue 15)
import torch_state  # state: checkpoints (issue 16)
import torch_baddbmm  # baddbmm (issue 15)

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
POSITIVE = {"log": "torch.log(a)", "gelu": "F.gelu(a)", "erf": "torch.erf(a)",
            "pow": "torch.pow(a, b)"}
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

    built = torch_half.build(base, dt, grad, shape, g, bwd_stmt)  # half compute (issue 16)
    if built:
        return built
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

    # The transcendental set on inputs in [0.5, 1.5) (cases-nn.c).
    if op in POSITIVE and variant in ("contig", "transposed", "broadcast"):
        n = shape[0]
        a = torch.empty(n, n).uniform_(0.5, 1.5)
        b = torch.empty(n if variant == "broadcast" else (n, n)).uniform_(0.5, 1.5)
        if variant == "transposed":
            a, b = a.t(), b.t()
        g.update(a=a, b=b)
        return POSITIVE[op], g
    built = build_nn_case(op, base, grad, variant, shape, g)
    if built:
        return built
    built = torch_conv3.build(base, grad, shape, g, bwd_stmt)  # conv3 (issue 14)
    if built:
        return built
    built = torch_loss2.build(base, grad, shape, g, bwd_stmt)  # loss (issue 14)
    if built:
        return built
    built = torch_compose.build(base, grad, shape, g, bwd_stmt)  # compose (issue 15)
    if built:
        return built
    built = torch_lapack.build(base, grad, shape, g, bwd_stmt)  # la1 (issue 15)
    if built:
        return built
    built = torch_svd.build(base, grad, shape, g, bwd_stmt)  # svd (issue 15)
    if built:
        return built
    built = torch_state.build(base, grad, shape, g, bwd_stmt)  # state (issue 16)
    if built:
        return built
    built = torch_baddbmm.build(base, grad, shape, g, bwd_stmt)  # baddbmm (issue 15)
    if built:
        return built
    built = torch_lsq.build(base, variant, grad, shape, g, bwd_stmt)  # lsqnorm (issue 15)
    if built:
        return built
    built = torch_uniq.build(base, variant, grad, shape, g, bwd_stmt)  # uniq (issue 14, bench9)
    if built:
        return built

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


def bwd_stmt(fwd, leaves):
    """y = fwd; y.backward(g); each leaf's grad dropped (as the C cases' finish_bwd)."""
    return f"y = {fwd}\ny.backward(g)\n" + "".join(f"{x}.grad = None\n" for x in leaves)


def save_safetensors(path, name, t):
    """The safetensors format written with numpy (no safetensors package in Debian 12): an
    8-byte header length, a JSON header padded to 8 bytes, the raw data."""
    a = t.detach().contiguous().numpy()
    head = json.dumps({name: {"dtype": "F32", "shape": list(a.shape),
                              "data_offsets": [0, a.nbytes]}}).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        f.write(a.tobytes())


def load_safetensors(path):
    """{name: tensor} from a float32 safetensors file, each tensor a fresh copy."""
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    head = json.loads(raw[8:8 + n])
    out = {}
    for k, v in head.items():
        b, e = v["data_offsets"]
        arr = numpy.frombuffer(raw, dtype=numpy.float32, count=(e - b) // 4, offset=8 + n + b)
        out[k] = torch.from_numpy(arr.reshape(v["shape"]).copy())
    return out


def build_nn_case(op, base, grad, variant, shape, g):
    """(stmt, globals) for the cases of cases-nn.c (layers, optimizers, safetensors), else None."""
    if base == "layer_norm":
        r, k = shape
        x = torch.randn(r, k, requires_grad=grad)
        w = torch.empty(k).uniform_(0.5, 1.5).requires_grad_(grad)
        b = torch.randn(k, requires_grad=grad)
        g.update(x=x, w=w, b=b, g=torch.ones(r, k), k=k)
        fwd = "F.layer_norm(x, (k,), w, b, 1e-5)"
        return (bwd_stmt(fwd, "xwb") if grad else fwd), g
    if base == "batch_norm":
        n, c, h, w_ = shape
        x = torch.randn(n, c, h, w_, requires_grad=grad)
        g.update(x=x, w=torch.ones(c, requires_grad=grad), b=torch.zeros(c, requires_grad=grad),
                 rm=torch.zeros(c), rv=torch.ones(c), g=torch.ones(n, c, h, w_))
        fwd = "F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.1, eps=1e-5)"
        return (bwd_stmt(fwd, "xwb") if grad else fwd), g
    if base == "embedding":
        (v, d), (m,) = shape
        g.update(w=torch.randn(v, d, requires_grad=grad), idx=torch.randint(0, v, (m,)),
                 g=torch.ones(m, d))
        fwd = "F.embedding(idx, w)"
        return (bwd_stmt(fwd, "w") if grad else fwd), g
    if base == "max_pool2d":
        n, c, h, w_ = shape
        g.update(x=torch.randn(n, c, h, w_, requires_grad=grad),
                 g=torch.ones(n, c, h // 2, w_ // 2))
        fwd = "F.max_pool2d(x, 2)"
        return (bwd_stmt(fwd, "x") if grad else fwd), g
    if base == "conv1d":  # the composed conv members (issue 14)
        xs, ws = shape
        g.update(x=torch.randn(*xs, requires_grad=grad), w=torch.randn(*ws, requires_grad=grad),
                 b=torch.randn(ws[0], requires_grad=grad), g=torch.ones(xs[0], ws[0], xs[2]))
        fwd = "F.conv1d(x, w, b, padding=1)"
        return (bwd_stmt(fwd, "xwb") if grad else fwd), g
    if base in ("max_pool1d", "avg_pool1d"):
        n, c, length = shape
        g.update(x=torch.randn(n, c, length, requires_grad=grad), g=torch.ones(n, c, length // 2))
        fwd = "F.%s(x, 2)" % base
        return (bwd_stmt(fwd, "x") if grad else fwd), g
    if base in ("pixel_shuffle", "pixel_unshuffle"):
        n, c, h, w_ = shape
        up = base == "pixel_shuffle"
        out = (n, c // 4, h * 2, w_ * 2) if up else (n, c * 4, h // 2, w_ // 2)
        g.update(x=torch.randn(n, c, h, w_, requires_grad=grad), g=torch.ones(*out))
        fwd = "F.%s(x, 2)" % base
        return (bwd_stmt(fwd, "x") if grad else fwd), g
    if base in ("unfold", "fold"):
        if base == "unfold":
            n, c, h, w_ = shape
            g.update(x=torch.randn(n, c, h, w_, requires_grad=grad),
                     g=torch.ones(n, c * 9, h * w_))
            fwd = "F.unfold(x, 3, padding=1)"
        else:
            n, k, L = shape
            g.update(x=torch.randn(n, k, L, requires_grad=grad), g=torch.ones(n, k // 9, 28, 28))
            fwd = "F.fold(x, (28, 28), 3, padding=1)"
        return (bwd_stmt(fwd, "x") if grad else fwd), g
    if base == "interpolate":
        n, c, h, w_ = shape
        g.update(x=torch.randn(n, c, h, w_, requires_grad=grad),
                 g=torch.ones(n, c, 2 * h, 2 * w_))
        fwd = "F.interpolate(x, size=(%d, %d), mode=\"bilinear\")" % (2 * h, 2 * w_)
        return (bwd_stmt(fwd, "x") if grad else fwd), g
    if base in ("group_norm", "instance_norm", "local_response_norm"):  # sample (issue 14)
        n, c, h, w_ = shape
        g.update(x=torch.randn(n, c, h, w_, requires_grad=grad),
                 w=torch.ones(c, requires_grad=grad), b=torch.zeros(c, requires_grad=grad),
                 rm=torch.zeros(c), rv=torch.ones(c), g=torch.ones(n, c, h, w_))
        fwd = {"group_norm": "F.group_norm(x, 8, w, b, 1e-5)",
               "instance_norm": "F.instance_norm(x, rm, rv, w, b, True, 0.1, 1e-5)",
               "local_response_norm": "F.local_response_norm(x, 5, 1e-4, 0.75, 1.0)"}[base]
        return (bwd_stmt(fwd, "x" if base == "local_response_norm" else "xwb") if grad
                else fwd), g
    if base == "bernoulli":
        g.update(p=torch.rand(*shape))
        return "torch.bernoulli(p)", g
    if base == "multinomial":
        g.update(w=torch.rand(*shape))
        return "torch.multinomial(w, 10, %s)" % (variant == "repl10"), g
    if base == "normal":
        ms, ss = shape
        g.update(m=torch.randn(*ms), s=torch.rand(*ss))
        return "torch.normal(m, s)", g
    built = torch_ops14.build(base, variant, grad, shape, g, bwd_stmt)  # issue 14's ops
    if built:
        return built
    built = torch_adv.build(base, variant, grad, shape, g, bwd_stmt)  # adv (issue 14)
    if built:
        return built
    built = torch_rnn.build(base, grad, variant, shape, g, bwd_stmt)  # rnn (issue 15)
    if built:
        return built
    if op in ("sgd_step", "adam_step"):
        k, r, c = shape
        params = []
        for _ in range(k):
            p = torch.randn(r, c, requires_grad=True)
            p.grad = torch.ones(r, c)
            params.append(p)
        if op == "sgd_step":
            opt = torch.optim.SGD(params, lr=0.01, momentum=0.9)
        else:
            opt = torch.optim.Adam(params)
        g.update(opt=opt)
        return "opt.step()", g
    if op in ("safetensors_save", "safetensors_load"):
        path = os.path.join(os.environ.get("TMPDIR") or "/tmp",
                            f"torchbench-{os.getpid()}.safetensors")
        t = torch.randn(*shape)
        save_safetensors(path, "w", t)
        g.update(save=save_safetensors, load=load_safetensors, path=path, t=t)
        if op == "safetensors_save":
            return "save(path, 'w', t)", g
        return "load(path)", g
    return None


def cleanup(g):
    """Remove the file a case wrote (the safetensors cases)."""
    if isinstance(g.get("path"), str) and os.path.exists(g["path"]):
        os.remove(g["path"])


def compile_stmt(stmt, g):
    """A function of no arguments that runs stmt with g as its globals."""
    body = "".join("    " + line + "\n" for line in stmt.splitlines())
    exec(compile("def _bench_fn():\n" + body, "<case>", "exec"), g)
    return g["_bench_fn"]


def measure(fn, min_time, reps):
    """Wall (perf_counter) and process CPU (process_time) seconds per call over reps
    repetitions, each of n calls, n chosen so that one repetition lasts >= min_time."""
    fn()
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_time or n >= 1 << 24:
            break
        n = max(2 * n, int(n * 1.2 * min_time / max(dt, 1e-9)))
    walls, cpus = [], []
    for _ in range(reps):
        c0, t0 = time.process_time(), time.perf_counter()
        for _ in range(n):
            fn()
        t1, c1 = time.perf_counter(), time.process_time()
        walls.append((t1 - t0) / n)
        cpus.append((c1 - c0) / n)
    return walls, cpus, n


def time_case(name, min_time, reps=5):
    """The torch twin's per-call times: {"times": wall per repetition, "cpu_times": process CPU
    per repetition, "median", "cpu_median", "number_per_run"}, or None (no twin: limit.*).
    The thread count comes from the process (see serve()); torch.set_num_threads is set to the
    case's anyway."""
    _, _, _, _, threads = parse_name(name)
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    built = build_case(name)
    if built is None:
        return None
    stmt, g = built
    try:
        walls, cpus, n = measure(compile_stmt(stmt, g), min_time, reps)
    finally:
        cleanup(g)
    return {"times": walls, "cpu_times": cpus, "median": statistics.median(walls),
            "cpu_median": statistics.median(cpus), "number_per_run": n}


def serve(threads, min_time, reps):
    """One process per thread count: the parent (report.py) sets OMP_NUM_THREADS,
    OPENBLAS_NUM_THREADS and OMP_WAIT_POLICY before starting it, and writes case names on stdin,
    one a line; each answer is one JSON line on stdout ({} when the case has no twin)."""
    torch.set_num_threads(threads)
    out = sys.stdout
    sys.stdout = sys.stderr
    info = {"torch": torch.__version__, "threads": torch.get_num_threads(),
            "env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                   "OMP_WAIT_POLICY")}}
    out.write(json.dumps(info) + "\n")
    out.flush()
    for line in sys.stdin:
        name = line.strip()
        if not name:
            continue
        try:
            r = time_case(name, min_time, reps) or {}
        except Exception as e:  # report the failure, keep serving
            r = {"error": f"{type(e).__name__}: {e}"}
        out.write(json.dumps(r) + "\n")
        out.flush()


def list_cases(l2bench):
    """All case names l2bench knows (including ops libl2 lacks), from --l2_list."""
    out = subprocess.run([l2bench, "--l2_list"], check=True, capture_output=True, text=True)
    return [line.split("\t")[0] for line in out.stdout.splitlines() if line.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--l2bench")
    ap.add_argument("--out")
    ap.add_argument("--filter", default="")
    ap.add_argument("--min-time", type=float, default=0.05)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--serve", type=int, metavar="THREADS",
                    help="answer case names on stdin at this thread count (report.py)")
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.min_time, args.reps)
        return
    if not args.l2bench or not args.out:
        ap.error("--l2bench and --out are required (or --serve)")
    names = [n for n in list_cases(args.l2bench) if re.search(args.filter, n)]
    res = {}
    for i, name in enumerate(names):
        r = time_case(name, args.min_time, args.reps)
        if r is not None:
            res[name] = r
            print(f"[torch {i + 1}/{len(names)}] {name}: {r['median'] * 1e6:.2f} us",
                  file=sys.stderr)
    ctx = {"torch": torch.__version__, "config": torch.__config__.parallel_info()}
    with open(args.out, "w") as f:
        json.dump({"context": ctx, "cases": res}, f, indent=1)


if __name__ == "__main__":
    main()
