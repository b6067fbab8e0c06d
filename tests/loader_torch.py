#!/usr/bin/env python3
"""loader_torch.py: l2_loader against torch.utils.data.DataLoader over a TensorDataset (torch 1.13).

For each dataset size N, batch size B and drop_last, without shuffle the batches must be the
same examples in the same order, and len() must agree; with shuffle (the orders come from
different generators, so they are not compared) every epoch must have torch's batch sizes and
len(), hold each example at most once (exactly once without drop_last), and epochs must differ
(for N >= 4). N 0 with shuffle: torch refuses it (ValueError), libl2 gives empty epochs. tests/loader-dump prints libl2's batches. TAP; usage: loader_torch.py BUILDDIR
"""
import subprocess
import sys

import torch
from torch.utils.data import DataLoader, TensorDataset


def libl2(builddir, n, b, drop, shuffle, epochs):
    out = subprocess.run([f"{builddir}/tests/loader-dump", str(n), str(b), str(int(drop)),
                          str(int(shuffle)), str(epochs)], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    if out[0].startswith("error"):
        return out[0], None
    length = int(out[0].split()[1])
    per = [[] for _ in range(epochs)]
    for line in out[1:]:
        e, rest = line.split(":")
        if "bad" in rest:
            raise AssertionError(f"a row does not match its label: {line}")
        per[int(e)].append([int(v) for v in rest.split()])
    return length, per


def torch_batches(n, b, drop, shuffle, epochs):
    ds = TensorDataset(torch.arange(n))
    g = torch.Generator().manual_seed(0)
    dl = DataLoader(ds, batch_size=b, drop_last=drop, shuffle=shuffle, generator=g)
    return len(dl), [[t[0].tolist() for t in dl] for _ in range(epochs)]


def main():
    builddir = sys.argv[1]
    cases = [(n, b, d) for n in (0, 1, 10, 23) for b in (1, 3, 10, 64) for d in (False, True)]
    fails = 0
    count = 0
    for shuffle in (False, True):
        for n, b, d in cases:
            count += 1
            name = f"N {n}, batch {b}, drop_last {d}, shuffle {shuffle}"
            ll, lb = libl2(builddir, n, b, d, shuffle, 3)
            why = None
            if n == 0 and shuffle:
                # torch's RandomSampler refuses an empty dataset (ValueError); libl2 deliberately
                # gives empty epochs (l2.h).
                try:
                    torch_batches(n, b, d, shuffle, 1)
                    why = "torch now accepts an empty shuffled dataset"
                except ValueError:
                    if ll != 0 or lb != [[], [], []]:
                        why = f"libl2 gives len {ll}, batches {lb}, not empty epochs"
                tl = None
            else:
                tl, tb = torch_batches(n, b, d, shuffle, 3)
            if tl is None:
                pass
            elif ll != tl:
                why = f"len {ll}, torch {tl}"
            elif not shuffle and lb != tb:
                why = f"batches {lb[0]}, torch {tb[0]}"
            elif shuffle:
                for e in range(3):
                    flat = [i for bt in lb[e] for i in bt]
                    if [len(x) for x in lb[e]] != [len(x) for x in tb[e]]:
                        why = f"epoch {e} sizes {[len(x) for x in lb[e]]}"
                    elif len(set(flat)) != len(flat) or not set(flat) <= set(range(n)):
                        why = f"epoch {e} repeats or invents examples: {flat}"
                    elif not d and sorted(flat) != list(range(n)):
                        why = f"epoch {e} misses examples: {flat}"
                if why is None and n >= 4 and not d and lb[0] == lb[1] == lb[2]:
                    why = "the same order every epoch"
            if why:
                fails += 1
                print(f"not ok {count} - {name}: {why}")
            else:
                print(f"ok {count} - {name}")
    print(f"1..{count}")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
