"""graph_run.py: one graph through libl2 (ctypes) and through torch, and the comparison of
values and gradients (graph_oracle.py)."""
import warnings

import numpy as np
import torch

import gen as G
import l2lib
from compare import GRAD_TOL, TOL, mismatch_report, nonfinite_mismatch
from graph_ir import INPLACE, l2_call, torch_call

class Run:
    """What one library did with a graph: where the forward failed (value id, message), each
    value as made (numpy), and each backward phase (name, ok, message, {id: grad or None})."""

    def __init__(self):
        self.fail_at = None
        self.msg = ""
        self.values = {}
        self.contig = {}
        self.phases = []
        self.env = None


def np_of(t):
    return t.detach().cpu().numpy().copy()


def make_buffers(lib, g, dtype):
    """One Buffer per leaf and per upstream gradient (spec values in dtype)."""
    bufs = {}
    for i, v in enumerate(g.vals):
        if v["op"] == "leaf":
            s = dict(v["spec"], dtype=dtype)
            bufs[i] = l2lib.Buffer(lib, s, G.spec_values(s))
    ups = []
    for s in g.ups:
        if s is None:
            ups.append(None)
        else:
            s = dict(s, dtype=dtype)
            ups.append(l2lib.Buffer(lib, s, G.spec_values(s)))
    return bufs, ups


def backward_modes(g, nout, back):
    """The backward phases of g's mode through back(name, output, retain) -> ok: False for
    grad_subset, which each library runs its own way."""
    if g.mode == "backward":
        for k in range(nout):
            if not back("backward %d" % k, k, k < nout - 1):
                break
    elif g.mode in ("twice_retain", "twice_noretain"):
        if back("backward 1", 0, g.mode == "twice_retain"):
            back("backward 2", 0, False)
    else:
        return False
    return True


def replay_l2(lib, g, bufs, each=None):
    """g's values through libl2 (in the caller's open scope), the leaves that require grad marked
    so: (env, None, "") or (env, i, message) when value i's op fails. each(i, t), when given, sees
    every computed value."""
    env = []
    for i, v in enumerate(g.vals):
        if v["op"] == "leaf":
            t = bufs[i].l2
            if v["rg"] and lib.set_requires_grad(t, True) != 0:
                raise RuntimeError("set_requires_grad: " + lib.error())
            env.append(t)
            continue
        xs = [env[j] for j in v["ins"]]
        if v["ng"]:
            lib.no_grad_begin()
        res = l2_call(lib, v, xs)
        if v["ng"]:
            lib.no_grad_end()
        ok = (res == 0) if v["op"] in INPLACE else bool(res)
        if not ok:
            return env, i, lib.error() or "(no message)"
        t = xs[0] if v["op"] in INPLACE else res
        env.append(t)
        if each:
            each(i, t)
    return env, None, ""


def run_l2(lib, g, bufs, ups):
    r = Run()
    lib.clear_error()
    if lib.scope_begin() != 0:
        raise RuntimeError("l2_scope_begin failed: " + lib.error())
    try:
        def each(i, t):
            r.values[i] = np_of(lib.to_torch(t))
            r.contig[i] = bool(lib.is_contiguous(t))

        env, r.fail_at, r.msg = replay_l2(lib, g, bufs, each)
        if r.fail_at is not None:
            return r
        outs = [env[o] for o in g.outputs]
        upt = [u.l2 if u is not None else None for u in ups]
        leaves = g.leaves()

        def grads():
            d = {}
            for i in leaves:
                p = lib.grad(env[i])
                d[i] = np_of(lib.to_torch(p)) if p else None
            return d

        def back(name, k, retain):
            lib.clear_error()
            st = lib.backward(outs[k], upt[k], retain)
            r.phases.append((name, st == 0, lib.error() if st else "", grads()))
            return st == 0

        if not backward_modes(g, len(outs), back):
            n_in = len(g.subset)
            res = (l2lib.T * max(n_in, 1))()
            lib.clear_error()
            st = lib.autograd_grad(len(outs), l2lib.tarr(outs), l2lib.tarr(upt), n_in,
                    l2lib.tarr([env[i] for i in g.subset]), res, False, g.allow_unused)
            d = {}
            if st == 0:
                for k, i in enumerate(g.subset):
                    d[k] = np_of(lib.to_torch(res[k])) if res[k] else None  # scope owns it
            r.phases.append(("autograd_grad", st == 0, lib.error() if st else "", d))
        return r
    finally:
        lib.scope_end()


def torch_leaves(g, bufs, dtype):
    env = {}
    for i, v in enumerate(g.vals):
        if v["op"] == "leaf":
            t = bufs[i].torch.detach()
            if dtype != bufs[i].dtype:
                t = t.to(TD[dtype])
            env[i] = t.requires_grad_(v["rg"])
    return env


TD = {"float32": torch.float32, "float64": torch.float64}


def run_torch(g, bufs, ups, dtype, keep_env=False):
    """g through torch; leaves and upstream gradients from bufs/ups converted to dtype."""
    r = Run()
    lv = torch_leaves(g, bufs, dtype)
    env = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, v in enumerate(g.vals):
            if v["op"] == "leaf":
                env.append(lv[i])
                continue
            xs = [env[j] for j in v["ins"]]
            try:
                with torch.set_grad_enabled(not v["ng"]):
                    t = torch_call(v, xs)
            except Exception as e:  # noqa: BLE001 (torch's refusal is the datum)
                r.fail_at, r.msg = i, "%s: %s" % (type(e).__name__, str(e).split("\n")[0])
                r.env = env
                return r
            env.append(t)
            r.values[i] = np_of(t)
        r.env = env if keep_env else None
        outs = [env[o] for o in g.outputs]
        # torch may adopt an upstream gradient as a leaf's .grad and accumulate into it later:
        # it gets a fresh copy on every call
        upt = [u.torch.detach().to(TD[dtype]) if u is not None else None for u in ups]
        leaves = g.leaves()

        def grads():
            return {i: (np_of(env[i].grad) if env[i].grad is not None else None)
                    for i in leaves}

        def back(name, k, retain):
            try:
                up = upt[k].clone() if upt[k] is not None else None
                outs[k].backward(up, retain_graph=retain)
                r.phases.append((name, True, "", grads()))
                return True
            except Exception as e:  # noqa: BLE001
                r.phases.append((name, False, "%s: %s" % (type(e).__name__,
                                                          str(e).split("\n")[0]), grads()))
                return False

        if not backward_modes(g, len(outs), back):
            try:
                res = torch.autograd.grad(
                    outs, [env[i] for i in g.subset],
                    [u.clone() if u is not None else None for u in upt],
                    allow_unused=g.allow_unused)
                d = {k: (np_of(x) if x is not None else None) for k, x in enumerate(res)}
                r.phases.append(("autograd_grad", True, "", d))
            except Exception as e:  # noqa: BLE001
                r.phases.append(("autograd_grad", False, "%s: %s" % (
                    type(e).__name__, str(e).split("\n")[0]), {}))
    return r


# ---- comparison ------------------------------------------------------------------------------

def close(got, want, ref, dtype, grad):
    """None when got (libl2) matches want (torch in the same dtype) per element, else a message.
    For float32, ref is torch's float64 result of the same graph: the allowance per element is
    4x torch float32's own error there plus rtol|ref| + atol (the op oracle's accumulating rule,
    gradients with its gradient tolerances)."""
    if got.shape != want.shape:
        return "shape: libl2 %s torch %s" % (list(got.shape), list(want.shape))
    if got.dtype != want.dtype:
        return "dtype: libl2 %s torch %s" % (got.dtype, want.dtype)
    if got.size == 0:
        return None
    rtol, atol = GRAD_TOL[dtype] if grad else TOL[dtype]
    if not grad and dtype == "float64":
        rtol, atol = rtol * 10, atol * 10
    g64, w64 = got.astype(np.float64), want.astype(np.float64)
    r64 = ref.astype(np.float64) if ref is not None and ref.shape == got.shape else w64
    bad = nonfinite_mismatch(got, want)
    fin = np.isfinite(g64) & np.isfinite(w64) & np.isfinite(r64)
    with np.errstate(invalid="ignore", over="ignore"):
        bound = 4 * np.abs(w64 - r64) + atol + rtol * np.abs(r64)
        bad |= fin & (np.abs(g64 - r64) > bound) & (np.abs(g64 - w64) > atol + rtol * abs(w64))
    return mismatch_report(got, want, bad) if bad.any() else None


def zero_like_none(a):
    return a is None or a.size == 0 or not np.any(a)


def compare_grads(lg, tg, rg, dtype, what):
    fails = []
    for k in tg:
        a, b = lg.get(k), tg[k]
        if a is None or b is None:
            if not (zero_like_none(a) and zero_like_none(b)):
                fails.append("%s%s: libl2 %s, torch %s" % (
                    what, k, "NULL" if a is None else "a gradient",
                    "None" if b is None else "a nonzero gradient"))
            continue
        m = close(a, b, (rg or {}).get(k), dtype, True)
        if m:
            fails.append("%s%s: %s" % (what, k, m))
    return fails
