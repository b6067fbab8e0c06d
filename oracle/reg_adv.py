"""reg_adv.py: the oracle registry's entries for the advanced indexing of issue 14, family adv
(libl2/ops/index-adv.c): index_tensors (x[i0, i1, ...] with int64 index tensors, bool masks and
full slices). registry.py imports this module at its end. args["pat"] says per entry: "S" a full
slice (NULL), "I" an int64 index tensor, "M" a bool mask (the next inputs in order)."""
import torch

from registry import ALL, add
from l2lib import T


def g_index_tensors(d, dt):
    s = d.shape(min_dims=1)
    n = d.int(1, len(s))
    bad = d.int(0, 24) == 0
    # no 0-d index tensors: torch 1.13's Python indexing takes a 0-d int64 tensor as an integer
    # (a select applied at once, outside the advanced-index rule, with quirky mask checks);
    # libl2 treats it as an advanced index of shape () (numpy's rule), see l2.h
    bshape = tuple(d.int(0, 3) for _ in range(d.int(1, 2)))
    pat, ins, k = "", [d.tensor(s, dt)], 0
    while k < n:
        r = d.int(0, 5)
        if r == 0 or (r < 4 and s[k] == 0):
            pat, k = pat + "S", k + 1
        elif r < 4:
            sh = bshape[d.int(0, len(bshape) - 1):]
            lo, hi = (-s[k] - 1, s[k]) if bad and d.bool() else (-s[k], s[k] - 1 + bad)
            ins.append(d.tensor(sh, "int64", "randint:%d:%d" % (lo, hi + 1)))
            pat, k = pat + "I", k + 1
        else:
            kd = min(d.int(1, 2), n - k)
            ins.append(d.tensor(tuple(s[k:k + kd]), "bool"))
            pat, k = pat + "M", k + kd
    return {"inputs": ins, "args": {"pat": pat}}


def _ref(ts, a):
    it, key = iter(ts[1:]), []
    for c in a["pat"]:
        key.append(slice(None) if c == "S" else next(it))
    return ts[0][tuple(key)].clone()


def _call(f, xs, a):
    it, arr = iter(xs[1:]), []
    for c in a["pat"]:
        arr.append(None if c == "S" else next(it))
    return f(xs[0], len(arr), (T * max(len(arr), 1))(*arr))


add("l2_index_tensors", "T:TiA", g_index_tensors, _ref, _call, tol="exact", dtypes=ALL,
    diff=(0,), family="index")
