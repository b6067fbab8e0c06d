"""reg_adv.py: the oracle registry's entries for the advanced indexing of issue 14, family adv
(libl2/ops/index-adv.c, index-put.c): index_tensors (x[i0, i1, ...] with int64 index tensors,
bool masks and full slices), index_put and index_put_ (x[i0, ...] = values, or +=). registry.py imports this module at its end. args["pat"] says per entry: "S" a full
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


def _put_shape(s, pat, shapes):
    """The indexed shape of x[pat] (no masks: shapes are the index shapes; a mask counts as a
    (1,) index here, its true count unknown before the values are drawn)."""
    b = ()
    for sh in shapes:
        b = tuple(torch.broadcast_shapes(b, sh))
    dims, k = [], 0
    for c, kd in pat:
        dims.append((c, k, kd))
        k += kd
    adv = [i for i, (c, _, _) in enumerate(dims) if c != "S"]
    rest = [s[k0] for c, k0, _ in dims if c == "S"] + list(s[k:])
    if adv == list(range(adv[0], adv[-1] + 1)):
        before = [s[k0] for c, k0, _ in dims[:adv[0]]]
        return tuple(before) + b + tuple(rest[len(before):])
    return b + tuple(rest)


def g_index_put(inplace):
    def g(d, dt):
        s = d.shape(min_dims=1)
        n = d.int(1, len(s))
        acc = d.bool()
        bad = acc and d.int(0, 24) == 0
        nb = d.int(1, 2)
        bshape = tuple(d.int(0, 3) for _ in range(nb))
        pat, idx, shapes, k = [], [], [], 0
        while k < n:
            r = d.int(0, 5)
            if r == 0 or (r < 4 and s[k] == 0):
                pat, k = pat + [("S", 1)], k + 1
            elif r < 4:
                pat, k = pat + [("I", 1)], k + 1
            else:
                kd = min(d.int(1, 2), n - k)
                pat, k = pat + [("M", kd)], k + kd
        # no trailing full slices: torch 1.13 sends x[mask, :] = v (one element) to masked_fill
        # with the mask aligned to x's last dims (its bug); they mean nothing anyway
        while len(pat) > 1 and pat[-1][0] == "S":
            pat.pop()
        if all(c == "S" for c, _ in pat):  # at least one index tensor (torch asserts else)
            j = d.int(0, len(pat) - 1)
            pat[j] = ("I" if s[sum(kd for _, kd in pat[:j])] else "M", 1)
        masks = any(c == "M" for c, _ in pat)
        sizes = [s[sum(kd for _, kd in pat[:j])] for j, (c, _) in enumerate(pat) if c == "I"]
        if not acc:  # unique positions: the first index distinct over the whole index shape
            lim = min(sizes) if sizes else 0
            if masks:
                bshape = (1,)
            while bshape and (bshape[0] * max(1, len(bshape) > 1 and bshape[1]) > lim or
                              0 in bshape[1:]):
                bshape = bshape[1:]
        first, k = True, 0
        for c, kd in pat:
            if c == "I":
                if not acc and first:
                    sh, vals = bshape, "perm:%d" % s[k]
                else:
                    sh = bshape[d.int(0, len(bshape) - 1):] if bshape and acc else bshape
                    lo, hi = (-s[k] - 1, s[k]) if bad and d.bool() else (-s[k], s[k] - 1 + bad)
                    vals = "randint:%d:%d" % (lo, hi + 1)
                first = False
                idx.append(d.tensor(sh, "int64", vals))
                shapes.append(sh)
            elif c == "M":
                idx.append(d.tensor(tuple(s[k:k + kd]), "bool"))
                shapes.append((1,))
            k += kd
        try:
            vs = list(_put_shape(s, pat, shapes))
        except RuntimeError:  # index shapes that do not broadcast: an error case anyway
            vs = []
        if masks:  # the mask's true count is unknown: 1 broadcasts to it
            vs = [1 if v == 1 else v for v in vs]
        vs = vs[d.int(0, len(vs)):] if d.int(0, 2) == 0 else vs
        vs = [1 if v and d.int(0, 3) == 0 else v for v in vs]
        if vs and d.int(0, 24) == 0:
            vs[d.int(0, len(vs) - 1)] += 1
        vdt = dt if d.int(0, 24) else d.choice([x for x in ALL if x != dt])
        ins = [d.tensor(s, dt, writable=inplace), d.tensor(tuple(vs), vdt)] + idx
        return {"inputs": ins, "args": {"pat": "".join(c for c, _ in pat), "acc": acc}}
    return g


def _key(ts, a):
    it, key = iter(ts[2:]), []
    for c in a["pat"]:
        key.append(None if c == "S" else next(it))
    return key


def _call_put(f, xs, a):
    it, arr = iter(xs[2:]), []
    for c in a["pat"]:
        arr.append(None if c == "S" else next(it))
    return f(xs[0], len(arr), (T * max(len(arr), 1))(*arr), xs[1], a["acc"])


# tolerance as index_add (which it runs): repeated positions with accumulate add up in an
# order of libl2's own (torch sorts the indices first)
add("l2_index_put", "T:TiATb", g_index_put(False),
    lambda ts, a: torch.ops.aten.index_put(ts[0], _key(ts, a), ts[1], a["acc"]), _call_put,
    tol="accumulating", dtypes=ALL, diff=(0, 1), family="index")
add("l2_index_put_", "S:TiATb", g_index_put(True),
    lambda ts, a: torch.ops.aten.index_put_(ts[0], _key(ts, a), ts[1], a["acc"]), _call_put,
    tol="accumulating", dtypes=ALL, diff=(0, 1), family="index", inplace=0)
