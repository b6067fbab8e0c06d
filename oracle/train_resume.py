"""The checkpoint oracle (issue 16): examples/train_resume against PyTorch 1.13.

examples/train_resume trains a CNN with BatchNorm for K steps from an initial state it saves,
writes a checkpoint (l2_checkpoint_save), loads it into a fresh model and optimizer and trains K
more steps. Here, for SGD (momentum, weight decay) and Adam:
  - the checkpoint is a valid safetensors file (header rules, "__metadata__" a string map,
    data covered exactly) whose model names are torch's state_dict names in torch's order;
  - BatchNorm model: torch trains the same model from the same initial state for K steps; the
    losses match within 1e-4 relative, and the checkpoint's parameters, buffers (running_mean,
    running_var, num_batches_tracked exactly) and optimizer state (momentum buffers, Adam
    moments, step counts exactly, hyperparameters) match torch's within rtol 1e-3, atol 1e-4;
  - resume: torch loads the checkpoint's tensors into a fresh nn.Module (load_state_dict) and
    torch.optim optimizer (load_state_dict), trains K more steps, and libl2's continuation
    matches: losses within 1e-4 relative, final parameters and buffers within rtol 1e-3, atol
    1e-4, and the eval-mode logits of the next batch likewise.
Output is TAP. Usage: train_resume.py BUILDDIR [DATA_DIR]
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np

import train_oracle as T

B = 32
K = 15


def check_format(path):
    """The safetensors rules a strict reader applies; returns (header, problems)."""
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    problems = []
    header = json.loads(raw[8:8 + n])
    meta = header.get("__metadata__", {})
    if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                             for k, v in meta.items()):
        problems.append("__metadata__ is not a map of strings")
    spans = sorted(tuple(e["data_offsets"]) for k, e in header.items() if k != "__metadata__")
    end = 0
    for b, e in spans:
        if b != end:
            problems.append(f"hole or overlap at {b}")
        end = e
    if end != len(raw) - 8 - n:
        problems.append(f"data {len(raw) - 8 - n} bytes, tensors cover {end}")
    if n % 8:
        problems.append("header length not a multiple of 8")
    return header, problems


def make_net(torch):
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 8, 3, padding=1, bias=False)
            self.bn = nn.BatchNorm2d(8)
            self.fc = nn.Linear(8 * 14 * 14, 10)

        def forward(self, x):
            h = torch.nn.functional.max_pool2d(torch.relu(self.bn(self.conv(x))), 2)
            return self.fc(torch.flatten(h, 1))

    return Net()


def make_opt(torch, net, name):
    if name == "adam":
        return torch.optim.Adam(net.parameters(), foreach=False)
    return torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4,
                           foreach=False)


def run(torch, net, opt, x, y, lo, hi):
    losses = []
    net.train()
    for s in range(lo, hi):
        xb = torch.tensor(x[s * B:(s + 1) * B].reshape(B, 1, 28, 28))
        yb = torch.tensor(y[s * B:(s + 1) * B].astype(np.int64))
        loss = torch.nn.functional.cross_entropy(net(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def close(a, b, exact=False):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return False, f"shapes {a.shape} vs {b.shape}"
    if exact:
        return bool(np.array_equal(a, b)), f"{a} vs {b}"
    err = np.abs(a - b) - (1e-4 + 1e-3 * np.abs(b))
    if err.size == 0:
        return True, ""
    i = np.unravel_index(np.argmax(err), err.shape)
    return bool(err.max() <= 0), f"worst at {i}: libl2 {a[i]!r} torch {b[i]!r}"


def compare_losses(tag, mine, theirs):
    rel = [abs(a - b) / max(abs(b), 1e-12) for a, b in zip(mine, theirs)]
    w = max(range(len(rel)), key=lambda i: rel[i])
    T.ok(len(mine) == len(theirs) and rel[w] <= 1e-4,
         f"{tag}: {len(theirs)} step losses match torch within 1e-4 relative (worst "
         f"{rel[w]:.2e})", f"libl2 {mine[w]!r} torch {theirs[w]!r}")


def compare_state(tag, mine, net):
    bad = []
    for name, t in net.state_dict().items():
        good, why = close(mine[name], t.detach().numpy(), exact=name.endswith("tracked"))
        if not good:
            bad.append(f"{name}: {why}")
    T.ok(not bad, f"{tag}: parameters and buffers match torch's", "\n".join(bad))


def main():
    build = sys.argv[1]
    data = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"
    prog = os.path.join(build, "examples", "train_resume")
    if not os.path.exists(os.path.join(data, "train-images-idx3-ubyte.gz")):
        print("1..0 # SKIP Fashion-MNIST not installed")
        return 0
    try:
        import torch
    except ImportError:
        print("1..0 # SKIP torch not importable")
        return 0
    torch.set_num_threads(1)
    x = (T.read_idx(os.path.join(data, "train-images-idx3-ubyte.gz"))[:(2 * K + 1) * B]
         .astype(np.float32) / np.float32(255.0))
    y = T.read_idx(os.path.join(data, "train-labels-idx1-ubyte.gz"))[:(2 * K + 1) * B]
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("sgd", "adam"):
            f = {k: os.path.join(tmp, f"{name}-{k}") for k in ("init", "ckpt", "losses", "final")}
            r = subprocess.run([prog, "--opt", name, "--steps", str(K), "--data", data,
                                "--init", f["init"], "--ckpt", f["ckpt"], "--losses",
                                f["losses"], "--final", f["final"]], capture_output=True,
                               text=True)
            T.ok(r.returncode == 0, f"{name}: libl2 run with a checkpoint at step {K}", r.stderr)
            if r.returncode != 0:
                continue
            header, problems = check_format(f["ckpt"])
            meta = header.get("__metadata__", {})
            T.ok(not problems and meta.get("format") == "libl2.checkpoint"
                 and meta.get("optimizer") == name,
                 f"{name}: the checkpoint is a valid safetensors file with its metadata",
                 "\n".join(problems) + f"\n{meta}")
            ck = T.read_safetensors(f["ckpt"])
            init = T.read_safetensors(f["init"])
            losses = [float(v) for v in open(f["losses"]).read().split()]
            final = T.read_safetensors(f["final"])

            # BatchNorm model from the same initial state.
            torch.manual_seed(0)
            net = make_net(torch)
            T.ok(list(init) == list(net.state_dict()),
                 f"{name}: libl2's state dict has torch's names in torch's order",
                 f"{list(init)}\n{list(net.state_dict())}")
            net.load_state_dict({k: torch.tensor(v) for k, v in init.items()})
            opt = make_opt(torch, net, name)
            compare_losses(f"{name} BatchNorm model", losses[:K], run(torch, net, opt, x, y, 0, K))
            compare_state(f"{name} BatchNorm model at step {K}",
                          {k[6:]: v for k, v in ck.items() if k.startswith("model.")}, net)
            bad = []
            params = list(net.parameters())
            for i, p in enumerate(params):
                st = opt.state[p]
                if int(ck[f"optimizer.state.{i}.step"]) != int(st.get("step", K)):
                    bad.append(f"step {i}: {ck[f'optimizer.state.{i}.step']} vs {st.get('step')}")
                for key, v in st.items():
                    if key == "step":
                        continue
                    good, why = close(ck[f"optimizer.state.{i}.{key}"], v.numpy())
                    if not good:
                        bad.append(f"state.{i}.{key}: {why}")
            g = opt.param_groups[0]
            if float(ck["optimizer.param_groups.0.lr"]) != g["lr"]:
                bad.append("lr")
            T.ok(not bad, f"{name}: the checkpoint's optimizer state matches torch's at step {K}",
                 "\n".join(bad))

            # Resume in torch from libl2's checkpoint.
            torch.manual_seed(1)
            net2 = make_net(torch)
            net2.load_state_dict({k[6:]: torch.tensor(v) for k, v in ck.items()
                                  if k.startswith("model.")})
            opt2 = make_opt(torch, net2, name)
            sd = opt2.state_dict()
            grp = sd["param_groups"][0]
            grp["lr"] = float(ck["optimizer.param_groups.0.lr"])
            grp["weight_decay"] = float(ck["optimizer.param_groups.0.weight_decay"])
            if name == "adam":
                grp["betas"] = tuple(float(b) for b in ck["optimizer.param_groups.0.betas"])
                grp["eps"] = float(ck["optimizer.param_groups.0.eps"])
                grp["amsgrad"] = bool(ck["optimizer.param_groups.0.amsgrad"])
            else:
                grp["momentum"] = float(ck["optimizer.param_groups.0.momentum"])
                grp["dampening"] = float(ck["optimizer.param_groups.0.dampening"])
                grp["nesterov"] = bool(ck["optimizer.param_groups.0.nesterov"])
            state = {}
            for i in range(len(params)):
                s = {}
                for key in ("momentum_buffer", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
                    if f"optimizer.state.{i}.{key}" in ck:
                        s[key] = torch.tensor(ck[f"optimizer.state.{i}.{key}"])
                if name == "adam" and f"optimizer.state.{i}.step" in ck:
                    s["step"] = torch.tensor(float(ck[f"optimizer.state.{i}.step"]))
                if s:
                    state[i] = s
            sd["state"] = state
            opt2.load_state_dict(sd)
            compare_losses(f"{name} resumed", losses[K:], run(torch, net2, opt2, x, y, K, 2 * K))
            compare_state(f"{name} resumed, at step {2 * K}", final, net2)
            net2.eval()
            with torch.no_grad():
                xb = torch.tensor(x[2 * K * B:(2 * K + 1) * B].reshape(B, 1, 28, 28))
                good, why = close(final["eval.logits"], net2(xb).numpy())
            T.ok(good, f"{name} resumed: eval-mode logits match torch's", why)
    return T.tap.plan()


if __name__ == "__main__":
    sys.exit(main())
