#!/usr/bin/env python3
"""run.py: the PyTorch oracle. Runs every registry op forward and backward against torch 1.13 on
curated and Hypothesis-drawn shapes, layouts and values, libl2 at 1, 2 and 3 threads, and prints
TAP: one test point for the coverage check, one for the corpus replay, one per op, and one for the
coverage table (coverage.py; cells filled in oracle/coverage-ci.txt must stay filled).

    run.py --profile ci              # derandomized, >= 10,000 cases (make check)
    run.py --profile deep [--seed N] # >= 100,000 cases, random seed printed, progress on stderr
    run.py --ops l2_add,l2_sum       # only these ops
    run.py --case oracle/corpus/X.json   # replay one saved case, verbosely
    run.py --json summary.json       # per-op summary as JSON too
    run.py --threads 1,3             # libl2's thread counts (default 1,2,3; torch runs at 1)
    run.py --profile deep --minutes 30   # a time budget, spread over the ops
    run.py --coverage-out FILE       # the whole coverage table (make oracle-coverage)

A failing case prints a one-line repro and the worst mismatches, and is saved under
oracle/corpus/ (or $ORACLE_CORPUS_DIR); every run replays that corpus first.
"""
import argparse
import glob
import hashlib
import json
import os
import sys
import time
import traceback
import warnings
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# libl2 runs at up to 3 threads on 2 cores: OpenMP's default busy-wait would stall it (read by
# libgomp when it loads, so set before torch and libl2 load; the supervisor sets it for workers)
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

try:
    import numpy as np
    import torch
    import hypothesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
except ImportError as e:  # no torch: the whole oracle is skipped
    print("1..0 # SKIP torch not found (%s)" % e)
    sys.exit(0)


def _cache_lambda_descriptions():
    """Hypothesis describes the function of every mapped value it draws (for its reports); for a
    lambda that means parsing the lambda's source file, each time (about 4 ms per case, 8% of
    the CI profile). A lambda's description depends only on its code: cache it by code object."""
    import hypothesis.control as hc
    orig = getattr(hc, "get_pretty_function_description", None)
    if orig is None:
        return
    cache = {}

    def describe(f):
        code = getattr(f, "__code__", None)
        if code is None or getattr(f, "__name__", None) != "<lambda>":
            return orig(f)
        if code not in cache:
            cache[code] = orig(f)
        return cache[code]
    hc.get_pretty_function_description = describe


_cache_lambda_descriptions()

import gen as G  # noqa: E402
import l2lib  # noqa: E402
import registry as R  # noqa: E402
import sizes as S  # noqa: E402
import known as K  # noqa: E402
import errkind as EK  # noqa: E402
import coverage as CV  # noqa: E402
from compare import (FLOATS, as_np, check_dropout, compare, errors,  # noqa: E402
                     precise, reference64, take_along)

# Upstream gradients in every layout class, overlapping ones included (they are read-only).
GRAD_LAYOUTS = G.LAYOUTS
CORPUS_DIR = os.environ.get("ORACLE_CORPUS_DIR") or os.path.join(HERE, "corpus")
ERRLOG = os.environ.get("ORACLE_ERRLOG")  # one JSON line per error-parity case (kinds triage)
EK_KEYS = ("ek_matched", "ek_unmapped", "ek_departure", "ek_differ")
NO_SHRINK = bool(os.environ.get("ORACLE_NO_SHRINK"))  # mutation.sh: a failure is enough


class CaseFailure(Exception):
    pass



# ---- one case ---------------------------------------------------------------------------

# libl2's thread counts for a case that does not name its own (main sets them from --threads)
THREADS = [1]


# gemm (issue 12): the float32 product each case of these ops runs with (l2_debug_gemm): libl2's
# own kernel forced, auto (own where OpenBLAS runs pre-Haswell kernels) or OpenBLAS; chosen per
# case from its seeds (sizes.py's plans name theirs). Forced-own mm/bmm/addmm results must agree
# bitwise across thread counts (one thread computes each element, in one K order).
GEMM_OPS = ("l2_mm", "l2_matmul", "l2_bmm", "l2_addmm", "l2_linear", "l2_conv2d")
GEMM_MODES = {"auto": 0, "own": 1, "blas": 2}
GEMM_BITWISE = ("l2_mm", "l2_bmm", "l2_addmm")
_gemm_bitwise = False


def set_gemm(lib, mode):
    f = lib.fn("l2_debug_gemm", "i:i")
    if f is not None:
        f(GEMM_MODES[mode])


def make_case(op, dtype, d, threads=None):
    r = op.gen(d, dtype)
    case = {"op": op.name, "dtype": dtype, "inputs": r["inputs"], "args": r["args"],
            "grad": {"layout": d.pick("grad", GRAD_LAYOUTS), "seed": d.int(0, 2**31 - 1)}}
    if op.name in GEMM_OPS and dtype == "float32":  # from the case's seeds: no draw
        key = json.dumps([s and s["seed"] for s in case["inputs"]] + [case["grad"]["seed"]])
        case["gemm"] = ("own", "auto", "blas")[zlib.crc32(key.encode()) % 3]
    threads = list(threads or THREADS)
    if threads != [1]:
        case["threads"] = threads  # libl2 runs at each (run_case)
    return case


def spec_str(s):
    if s is None:
        return "None"
    return "%s%s/st%s/off%d/%s/%s:%d" % (s["dtype"][0] + s["dtype"][-2:].strip("t"),
                                         s["shape"], s["strides"], s["offset"],
                                         s.get("layout", "?"), s["values"], s["seed"])


def repro(case):
    case = {k: v for k, v in case.items() if not k.startswith("_")}
    op = R.REGISTRY.get(case["op"])
    return "op=%s dtype=%s inputs=[%s] args=%s grad=%s tol=%s%s" % (
        case["op"], case["dtype"], ", ".join(spec_str(s) for s in case["inputs"]),
        json.dumps(case["args"]), json.dumps(case["grad"]), op.tol if op else "?",
        " gemm=" + case["gemm"] if "gemm" in case else "")


def threads_of(case):
    """The thread counts a case runs at: its own, else --threads (whichever phase made it)."""
    return case.get("threads") or list(THREADS)


def same_bits(a, b):
    """a and b (numpy) have the same shape, dtype and bits (NaN payloads, signs of zeros)."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    it = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}.get(a.dtype.itemsize)
    if it is None:
        return a.tobytes() == b.tobytes()
    return bool(np.array_equal(np.ascontiguousarray(a).reshape(-1).view(it),
                               np.ascontiguousarray(b).reshape(-1).view(it)))


def thread_check(op, got, first, n, n0, what, full):
    """The n-thread result got of what (e.g. "output 0") against first, the n0-thread result
    that already passed against torch. Bitwise equal passes at once (the cheap path). Otherwise
    an op whose order of operations does not depend on the thread count (op.threads_bitwise)
    fails naming both counts, and any other op is compared with torch again (full() returns
    None or a message)."""
    if first is not None and same_bits(got, first):
        return None
    if first is not None and (op.threads_bitwise or (_gemm_bitwise and what == "output 0")):
        if got.shape != first.shape or got.dtype != first.dtype:
            diff = "%s %s vs %s %s" % (list(first.shape), first.dtype, list(got.shape), got.dtype)
        else:
            diff = compare(got, first, "exact", str(got.dtype))
            diff = diff or "equal values, different bits (the sign of a zero or a NaN payload)"
        return "threads: %s at %d and %d threads differ; they must agree bitwise (the op's " \
               "order of operations does not depend on the thread count): %s" % (
                   what, n0, n, diff.replace("libl2 ", "%d-thread " % n).replace(
                       "torch ", "%d-thread " % n0))
    m = full()
    if m and first is not None:
        return "threads: %s at %d threads (at %d it passes): %s" % (what, n, n0, m)
    return m


def run_case(lib, op, case, stats=None):
    """run_case_mode with the case's gemm mode (l2_debug_gemm) set, then auto again."""
    global _gemm_bitwise
    set_gemm(lib, case.get("gemm", "auto"))
    _gemm_bitwise = case.get("gemm") == "own" and op.name in GEMM_BITWISE
    try:
        return run_case_mode(lib, op, case, stats)
    finally:
        set_gemm(lib, "auto")
        _gemm_bitwise = False


def run_case_mode(lib, op, case, stats=None):
    """Run one case; returns None on success, else a failure message (multi-line).

    torch runs once (one thread); libl2 runs at every thread count in case["threads"] (default
    [1]), each time on fresh leaves over the same bytes (inputs it writes are restored first),
    forward and backward, and each run is checked against torch (see thread_check). Records in
    case["_side"] the side in progress: "forward", then "backward" once gradients start."""
    case["_side"] = "forward"
    note_state(case)
    if os.environ.get("ORACLE_SELFTEST_CRASH") == op.name:  # tests the crash supervision
        os.kill(os.getpid(), 11)
    dtype = case["dtype"]
    a = case["args"]
    f = lib.fn(op.name, op.sig)
    bufs, tbufs = [], {}
    l2_outs = []
    ctx = {"first": None, "ref64": {}, "torch_overflow": False, "gb": None, "refused": False,
           "pre": [None, None], "pg": (None, None), "no_torch_grad": False}
    try:
        for s in case["inputs"]:
            bufs.append(l2lib.Buffer(lib, s, G.spec_values(s)) if s is not None else None)
        sep = set(op.mutates) | ({op.inplace} if op.inplace is not None else set())
        for i in sep:
            if case["inputs"][i] is not None:
                tbufs[i] = l2lib.Buffer(lib, case["inputs"][i], G.spec_values(case["inputs"][i]))
        # inf / NaN inputs: gradients compared where torch's gradient is not NaN
        special = any(s is not None and s["values"] in G.NONFINITE_KINDS
                      for s in case["inputs"])
        diff = [i for i in (op.diff if op.diff is not None else range(len(bufs)))
                if bufs[i] is not None and bufs[i].dtype in FLOATS]
        do_grad = (dtype in FLOATS and not op.nograd and bool(diff) and op.inplace is None)
        # torch
        tin = [(tbufs[i].torch if i in tbufs else b.torch) if b is not None else None
               for i, b in enumerate(bufs)]
        if do_grad:
            for i in diff:
                tin[i].requires_grad_(True)
        # torch in float64 on the same inputs (before torch's call: it may update running stats)
        if dtype in FLOATS and op.tol != "exact" and op.check is None:
            ctx["pre"] = precise(op, tin, a)
        terr = None
        tout = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tout = op.ref(tin, a)
        except Exception as e:  # torch refuses: libl2 must refuse too
            terr = e
        touts = list(tout) if isinstance(tout, tuple) else [tout]
        threads = threads_of(case)
        for j, n in enumerate(threads):
            if j:
                lib.set_num_threads(n)
                for i, b in enumerate(bufs):
                    if b is not None:
                        if i in sep:
                            b.restore()
                        b.fresh()
            try:
                msg = l2_run(lib, op, case, f, bufs, tbufs, tin, touts, terr, do_grad, diff,
                             special, sep, n, threads[0], ctx, l2_outs, stats)
            finally:
                for o in l2_outs:
                    if o:
                        lib.tensor_release(o)
                del l2_outs[:]
                if j:
                    lib.set_num_threads(threads[0])
            if msg:
                return msg
        if op.inplace is not None and dtype in FLOATS and not op.nograd and not ctx["refused"]:
            case["_side"] = "backward"
            cov = stats.get("cover") if stats is not None else None
            return "\n".join(inplace_grad(lib, op, case, f, threads, cov, special)) or None
        return None
    finally:
        for b in bufs + list(tbufs.values()) + [ctx["gb"]]:
            if b is not None:
                b.release()


def l2_run(lib, op, case, f, bufs, tbufs, tin, touts, terr, do_grad, diff, special, sep, n, n0,
           ctx, l2_outs, stats):
    """libl2's side of one case at n threads (n0: the first count, whose results ctx["first"]
    holds once it passed). Returns None or a failure message; sets ctx["refused"] when both
    refused."""
    dtype = case["dtype"]
    a = case["args"]
    first = ctx["first"]
    rec = {"outs": [], "grads": {}, "inplace": None, "mutated": {}}
    fails = []
    cov = stats.get("cover") if stats is not None else None
    if do_grad:
        for i in diff:
            if lib.set_requires_grad(bufs[i].l2, True) != 0:
                return "set_requires_grad failed: " + lib.error()
    lib.clear_error()
    xs = [b.l2 if b is not None else None for b in bufs]
    r = op.call(f, xs, a)
    if op.inplace is not None:
        l2_ok = (r == 0)
    elif op.outputs > 1:
        l2_ok = r is not None and bool(r[0])
        if l2_ok:
            l2_outs.extend(r)
    else:
        l2_ok = bool(r)
        if l2_ok:
            l2_outs.append(r)
    if terr is not None or not l2_ok:
        where = "" if first is None else "at %d threads (not at %d): " % (n, n0)
        if terr is not None and l2_ok:
            return where + "error parity: torch raises %s: %s; libl2 succeeded" % (
                type(terr).__name__, str(terr).split("\n")[0][:200])
        if terr is None:
            return where + "error parity: libl2 failed (%s) but torch succeeded" % lib.error()
        if not lib.error():
            return where + "libl2 failed without an error message"
        m = error_kind(lib, op, terr, stats if first is None else None)
        if first is None:
            ctx["first"] = rec
        ctx["refused"] = True
        return where + m if m else None
    where = "" if first is None else "at %d threads: " % n
    # integrity of read-only inputs
    for i, b in enumerate(bufs):
        if b is None or i in sep:
            continue
        if not b.intact():
            fails.append(where + "input %d modified or guard zone written (%s)" % (
                i, "guards" if not b.guards_intact() else "inside"))
    if op.inplace is not None:
        i = op.inplace
        lb, tb = bufs[i], tbufs[i]
        if not lb.guards_intact() or not lb.gaps_intact():
            fails.append(where + "in-place: write outside the destination's elements")
        got, want = as_np(lb.torch), as_np(tb.torch)
        m = thread_check(op, got, first and first["inplace"], n, n0, "in-place result",
                         lambda: compare(got, want, op.tol, dtype,
                                         precise_ref=_pk(ctx["pre"], 0)))
        if m:
            fails.append(m if first else "in-place result: " + m)
        rec["inplace"] = got
        if cov is not None:
            cov.add(case, "forward", n)
        ctx["first"] = first or rec
        return "\n".join(fails) or None
    for i in op.mutates:
        if i in tbufs:
            got, want = as_np(bufs[i].torch), as_np(tbufs[i].torch)
            m = thread_check(op, got, first and first["mutated"].get(i), n, n0,
                             "mutated input %d" % i,
                             lambda: compare(got, want, "accumulating", dtype))
            if m:
                fails.append(m if first else "mutated input %d: %s" % (i, m))
            rec["mutated"][i] = got
    # outputs
    for k, lo in enumerate(l2_outs):
        gt = lib.to_torch(lo)
        got = as_np(gt)
        rec["outs"].append(got)
        want_t = touts[k] if k < len(touts) else None
        if op.view and k == 0 and want_t is not None and want_t.numel():
            t_alias = bufs[0].contains(want_t.data_ptr())
            l_alias = bufs[0].contains(lib.data_ptr(lo))
            if t_alias != l_alias:
                fails.append(where + "view parity: torch result %s input 0, libl2's %s" % (
                    "aliases" if t_alias else "does not alias",
                    "does" if l_alias else "does not"))
        del gt
        m = layout_check(lib, op, lo, want_t)
        if m:
            fails.append(where + m)
        fk = first["outs"][k] if first is not None and k < len(first["outs"]) else None
        m = thread_check(op, got, fk, n, n0, "output %d" % k,
                         lambda: compare_output(op, case, got, want_t, k, l2_outs, tin, bufs,
                                                ctx, stats))
        if m:
            fails.append(m if first else "output %d: %s" % (k, m))
    if cov is not None:
        cov.add(case, "forward", n)
    if fails:
        return "\n".join(fails)
    # backward
    t0 = touts[0]
    if do_grad and t0 is not None and t0.requires_grad and t0.dtype.is_floating_point \
            and t0.numel() > 0 and not ctx["torch_overflow"]:
        out = l2_outs[0]
        case["_side"] = "backward"
        odt = str(t0.dtype).split(".")[-1]  # the precision the gradients are computed in
        if not lib.requires_grad(out):
            return where + "output does not require grad (torch's does)"
        if ctx["no_torch_grad"]:
            ctx["first"] = first or rec
            return None
        gb = ctx["gb"]
        if gb is None:
            gsp = G.spec(list(t0.shape), l2lib.DTYPE_NAMES[lib.dtype_of(out)],
                         case["grad"]["layout"], np.random.default_rng(case["grad"]["seed"]),
                         "normal", seed=case["grad"]["seed"])
            case["_grad_spec"] = gsp  # runtime only (known-failure triage); never saved
            gb = ctx["gb"] = l2lib.Buffer(lib, gsp, G.spec_values(gsp))
            # torch gets a contiguous copy of the upstream gradient: torch 1.13's gelu backward
            # reads garbage from a transposed one (libl2 still gets the strided buffer)
            gup = gb.torch.contiguous()
            ctx["pg"] = precise(op, tin, a, diff, gup) if op.check is None else (None, None)
            try:
                t0.backward(gup)
            except RuntimeError:  # torch has no gradient (atan2 of a bool tensor): none to compare
                ctx["no_torch_grad"] = True
                ctx["first"] = first or rec
                return None
        st_ = lib.backward(out, gb.l2, False)
        if st_ != 0:
            return where + "l2_backward failed: " + lib.error()
        if not gb.intact():
            fails.append(where + "upstream gradient buffer modified")
        for j, i in enumerate(diff):
            tg = tin[i].grad
            got, m = grad_pair(lib, tg, lib.grad(bufs[i].l2))
            if m:
                fails.append(where + "grad of input %d: %s" % (i, m))
            if got is None:
                rec["grads"][i] = None
                continue
            rec["grads"][i] = got
            fg = first["grads"].get(i) if first is not None else None
            m = thread_check(op, got, fg, n, n0, "grad of input %d" % i,
                             lambda: compare_grad(got, as_np(tg), op.tol, odt, special,
                                                  _pk(ctx["pg"], j)))
            if m:
                fails.append(m if first else "grad of input %d: %s" % (i, m))
        for i, b in enumerate(bufs):
            if b is not None and i not in sep and not b.intact():
                fails.append(where + "input %d modified by backward" % i)
        if cov is not None:
            cov.add(case, "backward", n)
    ctx["first"] = first or rec
    return "\n".join(fails) or None


def layout_check(lib, op, lo, want_t):
    """The elementwise output layout rule (l2.h): a new result of an elementwise op has torch's
    memory order. Strides are compared on the dims of size > 1 (any stride is right for a size-1
    dim); empty results are not compared. None or a failure message. (Area: layout.)"""
    if op.family != "elementwise" or op.view or op.inplace is not None or want_t is None or \
            want_t.numel() == 0:
        return None
    shape, strides, _, _ = lib.meta(lo)
    if list(shape) != list(want_t.shape):
        return None  # the value comparison reports it
    keep = [i for i, n in enumerate(shape) if n > 1]
    got = [strides[i] for i in keep]
    want = [want_t.stride()[i] for i in keep]
    if got != want:
        return "layout: output strides %s, torch's %s (shape %s)" % (
            list(strides), list(want_t.stride()), list(shape))
    return None


def grad_pair(lib, tg, lg):
    """(libl2's gradient as numpy or None, a presence mismatch message or None) for torch's
    gradient tg and libl2's lg. A NULL libl2 gradient equals an all-zero (or empty) torch one;
    got is None when there is nothing to compare."""
    if tg is not None and not lg and not tg.any():
        return None, None
    if (tg is None) != (not lg):
        return None, "torch %s, libl2 %s" % ("None" if tg is None else "a tensor",
                                              "NULL" if not lg else "a tensor")
    if tg is None:
        return None, None
    gt = lib.to_torch(lg)
    got = as_np(gt)
    del gt
    return got, None


def compare_output(op, case, got, want_t, k, l2_outs, tin, bufs, ctx, stats):
    """Output k of libl2 (got, numpy) against torch's (want_t) by the op's rule."""
    dtype = case["dtype"]
    a = case["args"]
    if op.check == "dropout" and want_t is None:
        return check_dropout(got, as_np(bufs[0].torch), a)
    want = as_np(want_t)
    if op.check == "argext" and got.dtype == np.int64 and k == len(l2_outs) - 1 and \
            got.shape == want.shape:
        x = tin[0].detach()
        dim = a.get("dim")
        kd = a.get("keepdim", False)
        try:
            vg = take_along(x, torch.from_numpy(got), dim, kd)
            vw = take_along(x, torch.from_numpy(want), dim, kd)
            m = compare(as_np(vg), as_np(vw), "exact", dtype)
        except Exception as e:
            m = "indices out of range: %s" % e
        return "(indices) " + m if m else None
    if op.check == "to_dtype" and a["to"] in ("int64",) and dtype in FLOATS:
        src = as_np(tin[0].detach()).astype(np.float64)
        ok = np.isfinite(src) & (np.abs(src) < 2**62)
        got, want = np.where(ok, got, 0), np.where(ok, want, 0)
    ref64 = None
    pre = ctx["pre"]
    if op.tol == "accumulating" and dtype == "float32" and got.dtype == np.float32 and \
            pre[0] is None:
        if k not in ctx["ref64"]:
            ctx["ref64"][k] = reference64(op, tin, a, k)
        ref64 = ctx["ref64"][k]
    m = compare(got, want, op.tol, dtype, ref64, precise_ref=_pk(pre, k))
    if m is None and got.dtype.kind == "f" and got.shape == want.shape and \
            np.any(~np.isfinite(want) & np.isfinite(got)):
        ctx["torch_overflow"] = True  # accepted against the float64 reference: grads diverge
    if stats is not None and m is None and got.shape == want.shape:
        pk = _pk(pre, k)
        e = errors(got, want if pk is None or pk[0].shape != got.shape else pk[0])
        if got.dtype.kind == "f":
            key = "ulp_" + str(got.dtype)
            stats[key] = max(stats.get(key, 0), e[2])
        stats["max_abs"] = max(stats["max_abs"], e[0])
        stats["max_rel"] = max(stats["max_rel"], e[1])
        stats["max_ulp"] = max(stats["max_ulp"], e[2])
    return m


def _pk(pre, k):
    """(reference, magnitude) of result k from compare.precise's answer, or None."""
    if pre is None or pre[0] is None or k >= len(pre[0]) or pre[0][k] is None:
        return None
    return pre[0][k], pre[1][k]


class _CloneThen:
    """The in-place op applied to a clone (y = x.clone(); y.op_(...); y), for compare.precise."""
    def __init__(self, op):
        self.op, self.tol, self.mag, self.name = op, op.tol, op.mag, op.name

    def ref(self, ts, a):
        y = ts[0].clone()
        self.op.ref([y] + list(ts[1:]), a)
        return y



def error_kind(lib, op, terr, stats):
    """Both sides failed: the kind of torch's exception must match libl2's status class."""
    status = lib.fn("l2_status_name", "c:i")(lib.last_status()).decode()
    res, msg = EK.check(op.name, terr, status, lib.error())
    if stats is not None:
        stats["errors"] += 1
        stats["ek_" + res] += 1
    if ERRLOG:
        with open(ERRLOG, "a") as fh:
            fh.write(json.dumps({"op": op.name, "res": res, "torch": type(terr).__name__,
                                 "kind": EK.torch_kind(terr), "status": status,
                                 "msg": str(terr).split("\n")[0][:200],
                                 "l2": lib.error()[:200]}) + "\n")
    return msg


def compare_grad(got, want, tol, dtype, special, precise_ref=None):
    """Gradients compare as results do (NaN == NaN); at inf / NaN inputs only where torch's
    gradient is defined (not NaN)."""
    if special and got.shape == want.shape and want.dtype.kind == "f":
        undef = np.isnan(want)
        got = np.where(undef, 0, got).astype(got.dtype)
        want = np.where(undef, 0, want).astype(want.dtype)
    return compare(got, want, tol, dtype, grad=True, precise_ref=precise_ref)


def inplace_grad(lib, op, case, f, threads=(1,), cov=None, special=False):
    """Gradients through an in-place op: torch y = x.clone(); y.op_(...); y.backward(g), and the
    same in libl2 with l2_clone, at every thread count (torch once)."""
    dtype = case["dtype"]
    a = case["args"]
    bufs = [l2lib.Buffer(lib, s, G.spec_values(s)) if s is not None else None
            for s in case["inputs"]]
    extra, outs = [], []
    try:
        diff = [i for i, b in enumerate(bufs) if b is not None and b.dtype in FLOATS]
        tin = [b.torch if b is not None else None for b in bufs]
        for i in diff:
            tin[i].requires_grad_(True)
        y = tin[0].clone()
        try:
            op.ref([y] + tin[1:], a)
        except Exception:
            return []
        if not y.requires_grad:
            return []
        gsp = G.spec(list(y.shape), dtype, case["grad"]["layout"],
                     np.random.default_rng(case["grad"]["seed"]), "normal",
                     seed=case["grad"]["seed"])
        gb = l2lib.Buffer(lib, gsp, G.spec_values(gsp))
        extra.append(gb)
        gup = gb.torch.contiguous()
        pg = precise(_CloneThen(op), tin, a, diff, gup)
        try:
            y.backward(gup)
        except RuntimeError:  # torch has no gradient: none to compare
            return []
        fails = []
        firsts = {}
        for j, n in enumerate(threads):
            where = "" if not j else "at %d threads: " % n
            lib.set_num_threads(n)
            try:
                if j:
                    for b in bufs:
                        if b is not None:
                            b.fresh()
                for i in diff:
                    lib.set_requires_grad(bufs[i].l2, True)
                c = lib.clone(bufs[0].l2)
                outs.append(c)
                if op.call(f, [c] + [b.l2 if b else None for b in bufs[1:]], a) != 0:
                    return [where + "in-place on a clone failed: " + lib.error()]
                if lib.backward(c, gb.l2, False) != 0:
                    return [where + "l2_backward after in-place failed: " + lib.error()]
            finally:
                lib.set_num_threads(threads[0])
            for jd, i in enumerate(diff):
                tg = tin[i].grad
                got, m = grad_pair(lib, tg, lib.grad(bufs[i].l2))
                if m:
                    fails.append(where + "in-place grad of input %d: %s" % (i, m))
                if got is None:
                    continue
                m = thread_check(op, got, firsts.get(i) if j else None, n, threads[0],
                                 "in-place grad of input %d" % i,
                                 lambda: compare_grad(got, as_np(tg), op.tol, dtype, special,
                                                      _pk(pg, jd)))
                if m:
                    fails.append(m if j else "in-place grad of input %d: %s" % (i, m))
                firsts.setdefault(i, got)
            if cov is not None:
                cov.add(case, "backward", n)
            if fails:
                return fails
        return fails
    finally:
        for o in outs:
            lib.tensor_release(o)
        for b in bufs + extra:
            if b is not None:
                b.release()


# ---- crash supervision ---------------------------------------------------------------------
# The TAP run is a supervisor (supervise.py) that starts this script as a worker. The worker
# notes the test point and the case it is running in a state file, so that the supervisor can
# report and save the case a crash interrupted.
STATE = None


def note_state(obj):
    if STATE:
        with open(STATE, "w") as fh:
            fh.write(json.dumps({k: v for k, v in obj.items() if not k.startswith("_")}))


# ---- driving ----------------------------------------------------------------------------

def save_case(case, msg):
    case = {k: v for k, v in case.items() if not k.startswith("_")}
    h = hashlib.sha1(json.dumps(case, sort_keys=True).encode()).hexdigest()[:10]
    path = os.path.join(CORPUS_DIR, "%s-%s-%s.json" % (case["op"], case["dtype"], h))
    try:
        os.makedirs(CORPUS_DIR, exist_ok=True)
        with open(path, "w") as fh:
            json.dump(dict(case, failure=msg.split("\n")[0][:300]), fh, indent=1)
        return path
    except OSError:
        return None


def new_stats():
    return {"run": 0, "passed": 0, "failed": 0, "errors": 0, "max_abs": 0.0, "max_rel": 0.0,
            "max_ulp": 0, "failures": [], "known": 0, "known_reasons": set(),
            "known_by": {}, "known_passing": 0, "sized": 0, "sized_seconds": 0.0,
            "cover": CV.Coverage(), **{k: 0 for k in EK_KEYS}}


def record_failure(stats, case, msg, seed, out):
    path = save_case(case, msg)
    rel = os.path.relpath(path) if path else "(not saved)"
    out.append("# FAIL %s\n#   repro: %s seed=%s\n#   replay: %s %s --case %s\n%s" % (
        case["op"], repro(case), seed, sys.executable, os.path.relpath(__file__), rel,
        "\n".join("#   " + line for line in msg.split("\n"))))
    stats["failures"].append({"case": case, "message": msg, "file": path})


def triage(case, msg, stats):
    """Known failures (known.KNOWN) are counted apart, per entry; returns the message if still a
    failure. An entry excuses only a failure on its own side (case["_side"])."""
    try:
        k = K.known_entry(case, case.get("_side", "forward"))
        also = k or any(K.known_entry(case, sd) for sd in ("forward", "backward"))
    except Exception:
        return (msg + "\n" if msg else "") + "known-failure predicate raised:\n" + \
            traceback.format_exc(limit=3)
    if msg:
        if k is None:
            return msg
        stats["known"] += 1
        stats["known_reasons"].add(k["reason"])
        stats["known_by"][k["name"]] = stats["known_by"].get(k["name"], 0) + 1
        stats["passed"] -= 1  # the caller counts a None as passed
        return None
    if also:
        stats["known_passing"] += 1
    return None


def known_counts(known_by, checked):
    """Lines (one per entry with matches) and a TAP verdict: in the CI profile (checked), an
    entry matching more cases than its max_ci fails."""
    lines, over = [], []
    for k in K.KNOWN:
        n = known_by.get(k["name"], 0)
        if n:
            lines.append("# known %s: %d cases (max_ci %d): %s" % (k["name"], n, k["max_ci"],
                                                                   k["reason"]))
        if checked and n > k["max_ci"]:
            over.append("%s matches %d > max_ci %d" % (k["name"], n, k["max_ci"]))
    total = sum(known_by.values())
    if over:
        return lines, False, "known failures: %s" % "; ".join(over)
    return lines, True, "known failures: %d cases over %d entries%s" % (
        total, len([k for k in K.KNOWN if known_by.get(k["name"])]),
        ", each within its max_ci" if checked else " (max_ci not checked: not the CI budget)")


def run_counted(lib, op, case, stats, seed, out):
    """Run one curated or sized case and count it in stats."""
    stats["run"] += 1
    try:
        msg = run_case(lib, op, case, stats)
    except Exception:
        msg = "oracle exception:\n" + traceback.format_exc(limit=4)
    msg = triage(case, msg, stats)
    if msg:
        stats["failed"] += 1
        if stats["failed"] <= 3:
            record_failure(stats, case, msg, seed, out)
    else:
        stats["passed"] += 1


def run_op(lib, op, n_curated, n_hyp, profile, seed, out, progress, threads=(1,),
           deadline=None):
    """Run op's cases; with a deadline (time.time() value), the time left is spread over the
    op's dtypes (half for curated cases, half for Hypothesis) and the op stops when it is up."""
    stats = new_stats()
    deep = profile == "deep"
    for di, dtype in enumerate(op.dtypes):
        t_dt = t_cur = None
        if deadline is not None:
            now = time.time()
            t_dt = now + (deadline - now) / (len(op.dtypes) - di)
            t_cur = now + (t_dt - now) / 2
        # curated: every curated shape and every layout class, each in its own order
        salt = zlib.crc32((op.name + dtype).encode())
        for k in range(n_curated):
            if t_cur is not None and k and time.time() > t_cur:
                break
            run_counted(lib, op, make_case(op, dtype, G.CuratedDrawer(k, seed, deep, salt),
                                           threads), stats, seed, out)
        if n_hyp <= 0:
            continue
        last = {"dtype": dtype}

        def body(data):
            case = make_case(op, last["dtype"], G.HypDrawer(data, deep), threads)
            try:
                msg = run_case(lib, op, case, stats)
            except Exception:
                msg = "oracle exception:\n" + traceback.format_exc(limit=4)
            msg = triage(case, msg, stats)
            if msg:
                last["case"], last["msg"] = case, msg
                raise CaseFailure(msg)
            stats["run"] += 1
            stats["passed"] += 1

        # an explicit seed in both profiles: derandomize alone seeds from the test function's
        # source, so any edit of body() would redraw every CI case (and move the coverage table)
        hseed = seed * 1000003 + zlib.crc32((op.name + dtype).encode())
        # with a time budget, Hypothesis runs in chunks (each its own seed) until the dtype's
        # share is spent: an example cannot stop a Hypothesis run without upsetting it
        left, chunk = n_hyp, 0
        while left > 0 and (t_dt is None or chunk == 0 or time.time() < t_dt):
            n = left if t_dt is None else min(left, 40)
            left -= n
            test = settings(max_examples=n, derandomize=not deep, database=None, deadline=None,
                            suppress_health_check=list(HealthCheck), print_blob=False,
                            phases=[Phase.generate] + ([] if NO_SHRINK else [Phase.shrink]),
                            report_multiple_bugs=False)(
                given(st.data())(body))
            test = hypothesis.seed(hseed + 7919 * chunk)(test)
            chunk += 1
            try:
                test()
            except Exception as e:
                stats["run"] += 1
                stats["failed"] += 1
                if "case" in last:
                    record_failure(stats, last["case"], last["msg"], seed, out)
                else:
                    out.append("# FAIL %s: hypothesis: %s" % (op.name, str(e).split("\n")[0]))
                break
        if progress:
            progress(op.name, dtype, stats)
    # sized: both sides of every internal threshold the op meets, and large inputs (sizes.py)
    t0 = time.time()
    for dtype in op.dtypes:
        for case in S.sized_cases(lib, op, dtype, profile, seed, make_case):
            run_counted(lib, op, case, stats, seed, out)
            stats["sized"] += 1
    stats["sized_seconds"] += time.time() - t0
    return stats


def replay_corpus(lib, out):
    files = sorted(glob.glob(os.path.join(CORPUS_DIR, "*.json")))
    n = skipped = 0
    bad = []
    st_ = new_stats()
    for path in files:
        try:
            with open(path) as fh:
                case = json.load(fh)
            case.pop("failure", None)
            op = R.REGISTRY.get(case["op"])
            if op is None or lib.fn(op.name, op.sig) is None:
                skipped += 1
                continue
            n += 1
            msg = triage(case, run_case(lib, op, case), st_)
        except Exception:
            msg = "oracle exception: " + traceback.format_exc(limit=3)
        if msg:
            bad.append("# corpus %s still fails:\n#   repro: %s\n%s" % (
                os.path.basename(path), repro(case) if "op" in case else "?",
                "\n".join("#   " + x for x in msg.split("\n"))))
    return len(files), n, skipped, bad, st_["known"]


def main():
    np.seterr(all="ignore")
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=["ci", "deep"], default="ci")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--ops", default="")
    ap.add_argument("--case", default=None, help="replay one JSON case and print the details")
    ap.add_argument("--json", default=None, help="write the per-op summary here")
    ap.add_argument("--cases", type=int, default=None, help="total case budget")
    ap.add_argument("--threads", default="1,2,3",
                    help="libl2 thread counts every case runs at (torch runs at 1)")
    ap.add_argument("--minutes", type=float, default=None,
                    help="time budget: spread over the ops, the run stops when it is spent")
    ap.add_argument("--coverage-out", default=None, help="write the coverage table here")
    ap.add_argument("--deadline", type=float, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--from", dest="start", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--state", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    try:
        threads = [int(x) for x in args.threads.split(",")]
        if not threads or min(threads) < 1:
            raise ValueError
    except ValueError:
        ap.error("--threads: a list of thread counts >= 1, e.g. 1,2,3")
    if not args.worker and not args.case:
        import supervise
        return supervise.supervise(args, __file__, save_case, repro, known_counts, EK_KEYS)
    global STATE, THREADS
    STATE = args.state
    THREADS = threads
    import faulthandler
    faulthandler.enable()

    torch.set_num_threads(1)
    lib = l2lib.Lib()
    lib.set_num_threads(threads[0])
    CV.THRESHOLDS = S.thresholds(lib)

    if args.case:
        with open(args.case) as fh:
            case = json.load(fh)
        case.pop("failure", None)
        op = R.REGISTRY[case["op"]]
        if lib.fn(op.name, op.sig) is None:
            print("1..0 # SKIP %s not in %s" % (op.name, lib.path))
            return 0
        print("# repro: " + repro(case))
        case.setdefault("threads", threads)
        msg = run_case(lib, op, case)
        if msg and K.known_failure(case):
            print("# known failure: " + K.known_failure(case))
        print("1..1")
        print(("ok 1 - %s" % op.name) if not msg else ("not ok 1 - %s\n%s" % (
            op.name, "\n".join("# " + x for x in msg.split("\n")))))
        return 0 if not msg else 1

    seed = args.seed
    if seed is None:
        seed = 0 if args.profile == "ci" else int.from_bytes(os.urandom(4), "little")
    srcdir = os.environ.get("L2_SRCDIR") or os.path.join(HERE, "..")
    header = open(os.path.join(srcdir, "libl2", "l2.h")).read()

    ops = list(R.REGISTRY.values())
    if args.ops:
        want = set(("l2_" + x if not x.startswith("l2_") else x) for x in args.ops.split(","))
        ops = [o for o in ops if o.name in want]
    avail = [o for o in ops if lib.fn(o.name, o.sig) is not None]
    budget = args.cases or (12000 if args.profile == "ci" else 120000)
    ndt = sum(len(o.dtypes) for o in avail) or 1
    per_dtype = max(30 if args.profile == "ci" else 300, budget // ndt + 1)
    n_cur = per_dtype // 2
    n_hyp = per_dtype - n_cur
    print("# oracle: profile %s, seed %d, library %s, libl2 threads %s" % (
        args.profile, seed, lib.path, ",".join(map(str, threads))))
    print("# torch %s, hypothesis %s; %d registry entries, %d in this library; %d cases per "
          "op and dtype (%d curated + %d hypothesis)" % (torch.__version__, hypothesis.__version__,
                                                          len(R.REGISTRY), len(avail), per_dtype,
                                                          n_cur, n_hyp))
    sys.stdout.flush()
    if args.start == 1:
        # the last two points (the supervisor's): known failures per entry, the coverage table
        print("1..%d" % (len(ops) + 4))
    t_start = time.time()
    # 1: coverage
    missing = R.coverage_missing(header)
    if args.start > 1:
        pass
    elif missing:
        print("not ok 1 - coverage: ops declared in l2.h without a registry entry: " +
              ", ".join(missing))
    else:
        print("ok 1 - coverage: every op declared in l2.h has a registry entry (%d declared)" %
              len(R.declared_ops(header)))
    # 2: corpus replay
    if args.start <= 2:
        note_state({"point": 2, "op": "corpus replay"})
        nfiles, nrun, nskip, bad, nknown = replay_corpus(lib, [])
    if args.start > 2:
        pass
    elif bad:
        print("not ok 2 - corpus replay: %d of %d cases fail" % (len(bad), nrun))
        print("\n".join(bad))
    else:
        print("ok 2 - corpus replay: %d cases pass, %d of them known failures (%d skipped: op "
              "not in library)" % (nrun, nknown, nskip))
    sys.stdout.flush()

    def progress(name, dtype, s):
        if args.profile == "deep":
            sys.stderr.write("[%6.0fs] %-32s %-8s run %d failed %d\n" % (
                time.time() - t_start, name, dtype, s["run"], s["failed"]))
            sys.stderr.flush()

    summary = {}
    total = {"run": 0, "passed": 0, "failed": 0}
    for k, op in enumerate(ops, start=3):
        if k < args.start:
            continue
        note_state({"point": k, "op": op.name})
        if lib.fn(op.name, op.sig) is None:
            print("ok %d - %s # SKIP not in this libl2 (family %s not merged)" % (
                k, op.name, op.family))
            summary[op.name] = {"skipped": True}
            continue
        out = []
        t0 = time.time()
        deadline = None
        if args.deadline is not None:
            left = sum(1 for o in ops[k - 3:] if lib.fn(o.name, o.sig) is not None)
            deadline = time.time() + (args.deadline - time.time()) / max(left, 1)
        s = run_op(lib, op, n_cur, n_hyp, args.profile, seed, out, progress, threads, deadline)
        dt = time.time() - t0
        for key in total:
            total[key] += s[key]
        line = "%s: %d run, %d passed, %d failed (%d error-parity), worst abs %.3g rel %.3g " \
               "ulp %d (vs float64: f32 %d, f64 %d), %.1fs" % (
                   op.name, s["run"], s["passed"], s["failed"], s["errors"], s["max_abs"],
                   s["max_rel"], s["max_ulp"], s.get("ulp_float32", 0),
                   s.get("ulp_float64", 0), dt)
        line += " (%d sized, %.1fs)" % (s["sized"], s["sized_seconds"])
        if s["known_passing"]:
            line += "; %d cases of known-failure patterns pass" % s["known_passing"]
        if s["known"]:
            line += "; %d known failures (%s)" % (s["known"], "; ".join(sorted(s["known_reasons"])))
        print(("ok %d - " if not s["failed"] else "not ok %d - ") % k + line)
        for o in out:
            print(o)
        sys.stdout.flush()
        summary[op.name] = {key: s.get(key, 0) for key in (
            "run", "passed", "failed", "errors", "max_abs", "max_rel", "max_ulp", "known",
            "known_by", "ulp_float32", "ulp_float64", "sized", "sized_seconds") + EK_KEYS}
        summary[op.name]["seconds"] = round(dt, 2)
        summary[op.name]["cells"] = s["cover"].export(op.name)
        summary[op.name]["failures"] = [{"repro": repro(x["case"]), "message": x["message"],
                                         "file": x["file"]} for x in s["failures"]]
        if STATE:
            with open(STATE + ".summary", "a") as fh:
                fh.write(json.dumps({"op": op.name, "stats": summary[op.name]}) + "\n")
    el = time.time() - t_start
    print("# worker: %d cases, %d passed, %d failed, %d ops run, %d skipped, %.1fs (seed %d)" % (
        total["run"], total["passed"], total["failed"], len(avail), len(ops) - len(avail), el,
        seed))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"profile": args.profile, "seed": seed, "total": total, "seconds": el,
                       "ops": summary}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
