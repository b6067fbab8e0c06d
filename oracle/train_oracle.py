"""The training oracle: replays examples/train_check's runs in PyTorch 1.13 and compares.

For SGD with momentum and for Adam, the C program trains the MLP for 100 steps from weights it
draws and saves; this script loads those weights (a safetensors file written by libl2), runs the
same steps on the same batches in torch, and requires every step's loss to match within 1e-4
relative and the final parameters within the oracle's gradient tolerances (rtol 1e-3, atol 1e-4).
It also writes a safetensors file from Python and has libl2 read it back (through ctypes).
Output is TAP. Usage: train_oracle.py BUILDDIR [DATA_DIR]
"""
import ctypes
import gzip
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np

import tap
from tap import ok

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "BOOL": np.bool_}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        out[name] = np.frombuffer(data[b:end], dtype=DTYPES[e["dtype"]]).reshape(e["shape"]).copy()
    return out


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    tags = {v: k for k, v in DTYPES.items()}
    for name, a in tensors.items():
        a = np.ascontiguousarray(a)
        header[name] = {"dtype": tags[a.dtype.type], "shape": list(a.shape),
                        "data_offsets": [off, off + a.nbytes]}
        blobs.append(a.tobytes())
        off += a.nbytes
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw[4 + 4 * ndim:], dtype=np.uint8).reshape(dims)


def torch_run(torch, init, x, y, opt_name, steps):
    w1 = torch.tensor(init["fc1.weight"], requires_grad=True)
    b1 = torch.tensor(init["fc1.bias"], requires_grad=True)
    w2 = torch.tensor(init["fc2.weight"], requires_grad=True)
    b2 = torch.tensor(init["fc2.bias"], requires_grad=True)
    params = [w1, b1, w2, b2]
    if opt_name == "adam":
        opt = torch.optim.Adam(params, foreach=False)
    else:
        opt = torch.optim.SGD(params, lr=0.05, momentum=0.9, foreach=False)
    losses = []
    for s in range(steps):
        xb = torch.tensor(x[s * 64:(s + 1) * 64].reshape(64, 784))
        yb = torch.tensor(y[s * 64:(s + 1) * 64].astype(np.int64))
        h = torch.relu(torch.nn.functional.linear(xb, w1, b1))
        loss = torch.nn.functional.cross_entropy(torch.nn.functional.linear(h, w2, b2), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, {"fc1.weight": w1, "fc1.bias": b1, "fc2.weight": w2, "fc2.bias": b2}


def main():
    build = sys.argv[1]
    data = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"
    prog = os.path.join(build, "examples", "train_check")
    if not os.path.exists(os.path.join(data, "train-images-idx3-ubyte.gz")):
        print("1..0 # SKIP Fashion-MNIST not installed")
        return 0
    try:
        import torch
    except ImportError:
        print("1..0 # SKIP torch not importable")
        return 0
    torch.set_num_threads(1)
    x = (read_idx(os.path.join(data, "train-images-idx3-ubyte.gz")).astype(np.float32)
         / np.float32(255.0))
    y = read_idx(os.path.join(data, "train-labels-idx1-ubyte.gz"))
    steps = 100
    with tempfile.TemporaryDirectory() as tmp:
        for opt_name in ("sgd", "adam"):
            f = {k: os.path.join(tmp, f"{opt_name}-{k}") for k in ("init", "losses", "final")}
            r = subprocess.run([prog, "--opt", opt_name, "--steps", str(steps), "--data", data,
                                "--init", f["init"], "--losses", f["losses"], "--final",
                                f["final"]], capture_output=True, text=True)
            ok(r.returncode == 0, f"{opt_name}: libl2 training run", r.stderr)
            if r.returncode != 0:
                continue
            init = read_safetensors(f["init"])
            ok(sorted(init) == ["fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight"]
               and init["fc1.weight"].shape == (256, 784),
               f"{opt_name}: libl2's safetensors file reads in Python")
            l2_losses = [float(v) for v in open(f["losses"]).read().split()]
            t_losses, t_params = torch_run(torch, init, x, y, opt_name, steps)
            rel = [abs(a - b) / max(abs(b), 1e-12) for a, b in zip(l2_losses, t_losses)]
            worst = max(range(len(rel)), key=lambda i: rel[i])
            ok(len(l2_losses) == steps and rel[worst] <= 1e-4,
               f"{opt_name}: {steps} step losses match torch within 1e-4 relative "
               f"(worst {rel[worst]:.2e} at step {worst})",
               f"libl2 {l2_losses[worst]!r} torch {t_losses[worst]!r}")
            final = read_safetensors(f["final"])
            for name, tp in t_params.items():
                tp = tp.detach().numpy()
                err = np.abs(final[name] - tp) - (1e-4 + 1e-3 * np.abs(tp))
                i = np.unravel_index(np.argmax(err), err.shape)
                ok(err.max() <= 0, f"{opt_name}: final {name} matches torch",
                   f"worst at {i}: libl2 {final[name][i]!r} torch {tp[i]!r}")
        # Python -> libl2: a file written here loads in libl2 with identical values.
        lib = ctypes.CDLL(os.path.join(build, "libl2", ".libs", "libl2.so"))
        lib.l2_load_safetensors.restype = ctypes.c_void_p
        lib.l2_load_safetensors.argtypes = [ctypes.c_char_p]
        lib.l2_named_get.restype = ctypes.c_void_p
        lib.l2_named_get.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.l2_get.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int64),
                               ctypes.POINTER(ctypes.c_double)]
        lib.l2_named_free.argtypes = [ctypes.c_void_p]
        rng = np.random.default_rng(5)
        tensors = {"a": rng.standard_normal((3, 5)).astype(np.float32),
                   "b": rng.standard_normal((4,)), "c": np.arange(-3, 3, dtype=np.int64),
                   "d": np.array([True, False, True])}
        path = os.path.join(tmp, "py.safetensors")
        write_safetensors(path, tensors)
        d = lib.l2_load_safetensors(path.encode())
        same = bool(d)
        for name, a in tensors.items():
            t = lib.l2_named_get(d, name.encode()) if d else None
            for idx in np.ndindex(a.shape):
                v = ctypes.c_double()
                arr = (ctypes.c_int64 * max(1, len(idx)))(*idx)
                if not t or lib.l2_get(t, arr, ctypes.byref(v)) != 0 or v.value != float(a[idx]):
                    same = False
        lib.l2_named_free(d)
        ok(same, "a safetensors file written by Python loads in libl2 with identical values")
    return tap.plan()


if __name__ == "__main__":
    sys.exit(main())
