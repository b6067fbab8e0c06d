"""dist_sampler_torch.py: torch's DistributedSampler index lists for the configurations that
`tests/dist-args dump` prints (libl2's l2_dist_sampler), compared line by line. Reads libl2's lines
on stdin; prints the number of lines compared and exits 1 at the first difference."""
import sys

import torch
from torch.utils.data.distributed import DistributedSampler

n_lines = 0
for line in sys.stdin:
    head, _, rest = line.partition(":")
    n, w, r, shuffle, drop_last, epoch, length = (int(v) for v in head.split())
    got = [int(v) for v in rest.split()]
    s = DistributedSampler(range(n), num_replicas=w, rank=r, shuffle=bool(shuffle), seed=42,
                           drop_last=bool(drop_last))
    s.set_epoch(epoch)
    want = list(iter(s))
    if got != want or length != len(s):
        print(f"n {n} W {w} rank {r} shuffle {shuffle} drop_last {drop_last} epoch {epoch}: "
              f"libl2 {got} (len {length}), torch {want} (len {len(s)})")
        sys.exit(1)
    n_lines += 1
print(f"{n_lines} index lists equal torch {torch.__version__}'s")
