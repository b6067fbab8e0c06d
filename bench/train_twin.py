#!/usr/bin/env python3
"""train_twin.py: the torch twin of examples/fashion_mnist, for training throughput.

The same model (MLP 784-256-10, or the CNN: conv 3x3 16 + relu + maxpool 2, conv 3x3 32 + relu +
maxpool 2, linear 1568-10), the same initial weights (libl2's trainer saves them with --init, the
twin loads them), Adam with the same learning-rate schedule (torch's CosineAnnealingLR over all
steps, after --warmup steps of LinearLR from lr/100 in a SequentialLR, stepped once per batch: the
torch schedulers fashion_mnist's l2_lr_scheduler reproduces), the same gradient clipping (--clip:
clip_grad_norm_ of the 2-norm), the same batch size and data
order (--order file: the training images in file order) and the same per-step work (loss.item()
and the count of correct predictions). It times the training loop alone, wall and process CPU.

    python3 bench/train_twin.py --model mlp --init FILE --steps 200 [--threads T]

run_all() (bench/report.py) runs the libl2 trainer and this twin at each thread count, each in a
process of its own with the threads pinned, and returns the rows of the report's table.
"""
import argparse
import gzip
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time

DATA = "/usr/share/datasets/fashion-mnist"
# Steps per model and profile: quick keeps the report short, full measures longer.
STEPS = {"quick": {"mlp": 200, "cnn": 30}, "full": {"mlp": 1000, "cnn": 200}}
# Runs per side, interleaved libl2, torch, libl2, torch ...: the table gives the median.
RUNS = {"quick": 3, "full": 5}
BATCH = 64


def read_idx(path, limit):
    """An IDX file (gzip) as a uint8 numpy array of its shape, the first `limit` rows."""
    import numpy
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    a = numpy.frombuffer(raw, dtype=numpy.uint8, offset=4 + 4 * ndim).reshape(dims)
    return a[:limit] if limit else a


def twin(args):
    """Train with torch; return the summary dict."""
    import torch
    import torch.nn.functional as F
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from torch_bench import load_safetensors
    torch.set_num_threads(args.threads)
    limit = args.limit or 0
    x = torch.from_numpy(read_idx(os.path.join(args.data, "train-images-idx3-ubyte.gz"),
                                  limit).astype("float32") / 255)
    y = torch.from_numpy(read_idx(os.path.join(args.data, "train-labels-idx1-ubyte.gz"),
                                  limit).astype("int64"))
    w = {k: v.requires_grad_() for k, v in load_safetensors(args.init).items()}
    if args.model == "mlp":
        params = [w["fc1.weight"], w["fc1.bias"], w["fc2.weight"], w["fc2.bias"]]

        def forward(xb):
            h = torch.relu(F.linear(xb.reshape(-1, 784), w["fc1.weight"], w["fc1.bias"]))
            return F.linear(h, w["fc2.weight"], w["fc2.bias"])
    else:
        names = ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc.weight",
                 "fc.bias"]
        params = [w[k] for k in names]

        def forward(xb):
            h = xb.reshape(-1, 1, 28, 28)
            h = F.max_pool2d(torch.relu(F.conv2d(h, w["conv1.weight"], w["conv1.bias"],
                                                 padding=1)), 2)
            h = F.max_pool2d(torch.relu(F.conv2d(h, w["conv2.weight"], w["conv2.bias"],
                                                 padding=1)), 2)
            return F.linear(h.flatten(1), w["fc.weight"], w["fc.bias"])
    lr = args.lr or (2e-3 if args.model == "cnn" else 1e-3)
    opt = torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-8)
    n = x.shape[0]
    total = args.epochs * ((n + args.batch - 1) // args.batch)
    if args.warmup:  # made in fashion_mnist's order
        warm = torch.optim.lr_scheduler.LinearLR(opt, 0.01, 1.0, args.warmup)
        cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - args.warmup)
        sched = torch.optim.lr_scheduler.SequentialLR(opt, [warm, cos], [args.warmup])
    else:
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total)
    step, seen, loss0, loss1 = 0, 0, 0.0, 0.0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(args.epochs):
        if args.steps and step >= args.steps:
            break
        order = torch.arange(n)
        for s in range(0, n, args.batch):
            if args.steps and step >= args.steps:
                break
            step += 1
            idx = order[s:s + args.batch]
            xb, yb = x.index_select(0, idx), y.index_select(0, idx)
            logits = forward(xb)
            loss = F.cross_entropy(logits, yb)
            loss.backward()
            if args.clip:
                torch.nn.utils.clip_grad_norm_(params, args.clip)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            lv = loss.item()
            loss0 = lv if step == 1 else loss0
            loss1 = lv
            seen += idx.shape[0]
            with torch.no_grad():
                (logits.argmax(1) == yb).sum().item()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {"steps": step, "examples": seen, "wall": wall, "cpu": cpu, "loss0": loss0,
            "loss1": loss1, "threads": torch.get_num_threads()}


TRAIN_LINE = re.compile(r"train: (\d+) steps, (\d+) examples, ([\d.]+) s wall, ([\d.]+) s CPU, "
                        r"first loss ([\d.naif-]+), last loss ([\d.naif-]+)")


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0


def median_spread(xs):
    """Median and (max - min) / median of a few runs."""
    xs = sorted(xs)
    m = xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2
    return m, (xs[-1] - xs[0]) / m


def run_pair(trainer, common, init, th, env):
    """One libl2 run (which saves the initial weights to init) and one twin run: the libl2
    numbers [steps, examples, wall, CPU, first loss, last loss] and the twin's dict."""
    p = subprocess.run([trainer, *common, "--order", "file", "--test", "no", "--init", init],
                       env=env, capture_output=True, text=True)
    m = TRAIN_LINE.search(p.stdout)
    if p.returncode != 0 or not m:
        raise RuntimeError(f"fashion_mnist failed: {p.stderr.strip()[-200:]}")
    p2 = subprocess.run([sys.executable, os.path.abspath(__file__), *common, "--init", init,
                         "--threads", str(th), "--json"], env=env, capture_output=True,
                        text=True)
    if p2.returncode != 0:
        raise RuntimeError(f"train_twin failed: {p2.stderr.strip()[-200:]}")
    return [float(v) for v in m.groups()], json.loads(p2.stdout.strip().splitlines()[-1])


def run_all(builddir, threads, profile, env_for, log):
    """Rows of the training table: per model and thread count, RUNS[profile] runs of libl2's
    trainer and of the twin, interleaved, each in a fresh process with env_for(threads); the
    medians of examples/s and examples/CPU-s, the spreads and the load average around them."""
    trainer = os.path.join(builddir, "examples", "fashion_mnist")
    if not os.access(trainer, os.X_OK):
        raise RuntimeError(f"{trainer} not built")
    if not os.path.exists(os.path.join(DATA, "train-images-idx3-ubyte.gz")):
        raise RuntimeError(f"no Fashion-MNIST in {DATA} (dataset-fashion-mnist)")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        init = os.path.join(tmp, "init.safetensors")
        for model in ("mlp", "cnn"):
            steps = STEPS[profile][model]
            common = ["--model", model, "--steps", str(steps), "--limit", str(steps * BATCH),
                      "--epochs", "1", "--batch", str(BATCH)]
            for th in threads:
                load0 = loadavg()
                runs = [run_pair(trainer, common, init, th, env_for(th))
                        for _ in range(RUNS[profile])]
                l2_eps, l2_spread = median_spread([r[0][1] / r[0][2] for r in runs])
                t_eps, t_spread = median_spread([r[1]["examples"] / r[1]["wall"] for r in runs])
                l2, t = runs[0]
                row = {"model": model, "threads": th, "steps": int(l2[0]), "runs": len(runs),
                       "l2_eps": l2_eps, "torch_eps": t_eps,
                       "l2_epc": median_spread([r[0][1] / r[0][3] for r in runs])[0],
                       "torch_epc": median_spread([r[1]["examples"] / r[1]["cpu"]
                                                   for r in runs])[0],
                       "l2_spread": l2_spread, "torch_spread": t_spread,
                       "load": max(load0, loadavg()),
                       "l2_loss0": l2[4], "torch_loss0": t["loss0"], "l2_loss1": l2[5],
                       "torch_loss1": t["loss1"]}
                rows.append(row)
                log(f"  train {model} t:{th}: libl2 {row['l2_eps']:.0f} ex/s, torch "
                    f"{row['torch_eps']:.0f} ex/s; first loss {row['l2_loss0']:.5f} / "
                    f"{row['torch_loss0']:.5f}")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=("mlp", "cnn"), default="mlp")
    ap.add_argument("--init", required=True, help="initial weights from fashion_mnist --init")
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch", type=int, default=BATCH)
    ap.add_argument("--lr", type=float, default=0)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--steps", type=int, default=0)
    ap.add_argument("--warmup", type=int, default=0)
    ap.add_argument("--clip", type=float, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    r = twin(args)
    if args.json:
        print(json.dumps(r))
    else:
        print(f"train: {r['steps']} steps, {r['examples']} examples, {r['wall']:.6f} s wall, "
              f"{r['cpu']:.6f} s CPU, first loss {r['loss0']:.6f}, last loss {r['loss1']:.6f}")


if __name__ == "__main__":
    main()
