"""reg_index2.py: the oracle registry's entries for the indexing ops of issue 14
(libl2/ops/index2.c): take and take_along_dim. registry.py imports this module at its end."""
import math

import torch

from registry import ALL, add


def g_take(d, dt):
    s = d.shape()
    n = math.prod(s)
    bad = d.int(0, 24) == 0
    ish = d.shape(max_dims=3)
    if n == 0 and not bad:
        ish = (0,) if d.bool() else (d.int(0, 2), 0)
    # negative indices count from the end; one case in 25 reaches one past either end
    lo, hi = (-n - 1, n) if bad and d.bool() else (-n, n + (1 if bad else 0))
    idx = d.tensor(ish, "int64", "randint:%d:%d" % (lo, hi))
    return {"inputs": [d.tensor(s, dt), idx], "args": {}}


add("l2_take", "T:TT", g_take, lambda ts, a: torch.take(ts[0], ts[1]), tol="exact",
    dtypes=ALL, diff=(0,), family="index")


def g_take_along_dim(d, dt):
    s = d.shape(min_dims=1)
    dim = d.dim(len(s), allow_neg=False)
    # indices: each other dim the input's size or 1, and the input may have 1 where indices
    # do not (both broadcast); any count along dim
    ish = [x if d.int(0, 3) else 1 for x in s]
    ish[dim] = d.int(0, 5)
    s = list(s)
    for k in range(len(s)):
        if k != dim and ish[k] != 1 and d.int(0, 5) == 0:
            s[k] = 1
    n = s[dim]
    bad = d.int(0, 24) == 0
    idx = d.tensor(ish, "int64", "randint:0:%d" % (n + (1 if bad else 0)))
    return {"inputs": [d.tensor(tuple(s), dt), idx], "args": {"dim": dim - len(s) * d.int(0, 1)}}


add("l2_take_along_dim", "T:TTi", g_take_along_dim,
    lambda ts, a: torch.take_along_dim(ts[0], ts[1], a["dim"]),
    lambda f, xs, a: f(xs[0], xs[1], a["dim"]), tol="exact", dtypes=ALL,
    diff=(0,), family="index")
