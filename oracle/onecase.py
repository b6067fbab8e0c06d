"""onecase.py: one oracle case (run.py drives the ops and cases): build the case, run it
through libl2 at each thread count and through torch, compare values, gradients, layouts and
error kinds; and the crash supervision state the worker notes before each case."""
import json
import os
import re
import warnings
import zlib

import numpy as np
import torch

import gen as G
import l2lib
import registry as R
import errkind as EK
from compare import (FLOATS, as_np, check_dropout, compare, errors,  # noqa: F401
                     precise, reference64, take_along, FLOATS_H, HALF, half_of,
                     dtype_mismatch, half_ulps)

# Upstream gradients in every layout class, overlapping ones included (they are read-only).
GRAD_LAYOUTS = G.LAYOUTS
ERRLOG = os.environ.get("ORACLE_ERRLOG")  # one JSON line per error-parity case (kinds triage)


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
    if dtype in HALF and op.name in R.HALF_FORWARD_ONLY:  # libl2 refuses their half gradients
        r["nograd"] = True
    if r.get("nograd"):  # forward only: no input requires grad (a generator's choice)
        case["nograd"] = True
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


# ---- bfloat16 / float16: where torch 1.13's CPU kernels refuse the dtype ------------------

def half_refused(op, terr, tin):
    """torch refused a half input with "not implemented for 'Half'/'BFloat16'" and the op is in
    registry.HALF_TORCH_F32 (libl2 computes it: the documented departure), or with one of
    torch's half bugs (reg_half.HALF_TORCH_BUGS)."""
    if not any(half_of(t) for t in tin):
        return False
    m = str(terr)
    if "reg_half.HALF_TORCH_ALWAYS_F32" in m:
        return True
    bug = R.HALF_TORCH_BUGS.get(op.name)
    if bug and re.search(bug, m):
        return True
    return op.name in R.HALF_TORCH_F32 and (
        "not implemented for 'Half'" in m or "not implemented for 'BFloat16'" in m)


def ref_via_f32(op, tin, a):
    """torch in float32 on the same inputs (halves converted exactly, differentiably: the
    gradients flow back into the half leaves, rounded there), float32 results rounded to the
    half dtype: the reference where torch refuses the half dtype. Mixed with a float32 /
    float64 operand the result stays that float (torch.promote_types)."""
    halves = [half_of(t) for t in tin]
    # the result dtype torch's category rule gives (torch.result_type, folded over the float
    # tensors: a 0-d float32 beside a half tensor keeps the half)
    fl = [t for t in tin if isinstance(t, torch.Tensor) and t.is_floating_point()]
    rt = fl[0].dtype if fl else None
    for i in range(1, len(fl)):
        rt = torch.result_type(fl[0].to(rt) if fl[0].dim() else fl[0], fl[i]) \
            if fl[0].dim() >= fl[i].dim() else torch.result_type(fl[i], fl[0].to(rt))
    to = rt if rt in (torch.bfloat16, torch.float16) else None
    xs = [t.float() if h else t for t, h in zip(tin, halves)]
    r = op.ref(xs, a)
    k = op.inplace
    if k is not None and halves[k]:  # the in-place result goes back into torch's half self
        with torch.no_grad():
            tin[k].copy_(xs[k])

    def rd(o):
        if to is not None and isinstance(o, torch.Tensor) and o.dtype == torch.float32:
            return o.to(to)
        return o
    return tuple(rd(o) for o in r) if isinstance(r, tuple) else rd(r)


def torch_f32_half(op, tin, a):
    """torch in float32 on clones of the (half) inputs, float results rounded to the half: a
    float64 numpy array per output (None where not float), or None when torch raises."""
    xs = [t.detach().clone() if isinstance(t, torch.Tensor) else t for t in tin]
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = ref_via_f32(op, xs, a)
    except Exception:
        return None
    if op.inplace is not None:
        r = xs[op.inplace]
    outs = list(r) if isinstance(r, tuple) else [r]
    return [o.detach().double().numpy() if isinstance(o, torch.Tensor) and
            o.is_floating_point() else None for o in outs]


def torch_half_grads(op, tin, a, diff, gup):
    """torch's backward refused the half dtype (the forward took it): the gradients from
    torch in float32 (ref_via_f32 on fresh leaves), rounded into the half inputs' .grad."""
    xs = [t.detach().requires_grad_(True) if i in diff else
          (t.detach() if isinstance(t, torch.Tensor) else t) for i, t in enumerate(tin)]
    o = ref_via_f32(op, xs, a)
    o = o[0] if isinstance(o, tuple) else o
    gs = torch.autograd.grad(o, [xs[i] for i in diff], gup.to(o.dtype), allow_unused=True)
    for i, g in zip(diff, gs):
        tin[i].grad = None if g is None else g.to(tin[i].dtype)


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
           "pre": [None, None], "pg": (None, None), "no_torch_grad": False, "gbs": {}}
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
                if bufs[i] is not None and bufs[i].dtype in FLOATS_H]
        do_grad = (dtype in FLOATS_H and not op.nograd and bool(diff) and op.inplace is None
                   and not case.get("nograd"))
        # torch
        tin = [(tbufs[i].torch if i in tbufs else b.torch) if b is not None else None
               for i, b in enumerate(bufs)]
        if do_grad:
            for i in diff:
                tin[i].requires_grad_(True)
        # torch in float64 on the same inputs (before torch's call: it may update running stats)
        if dtype in FLOATS_H and op.tol != "exact" and op.check is None:
            ctx["pre"] = precise(op, tin, a)
        terr = None
        tout = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tout = op.ref(tin, a)
        except Exception as e:  # torch refuses: libl2 must refuse too
            terr = e
        if dtype in HALF and op.tol not in ("exact", "exact_unsigned") and op.check is None:
            ctx["t32h"] = torch_f32_half(op, tin, a)  # libl2 may be as far off as torch's
            # float32 kernel rounded to the half (compare_half)
        if dtype in HALF and op.name in R.HALF_TORCH_ALWAYS_F32 and \
                any(half_of(t) == "bfloat16" for t in tin):  # whatever torch said
            terr = RuntimeError("torch's bfloat16 %s is wrong (reg_half.HALF_TORCH_ALWAYS_F32)"
                                % op.name)
        if terr is not None and half_refused(op, terr, tin):
            # torch 1.13's CPU kernel lacks the half dtype, libl2 computes it (a departure,
            # registry.HALF_TORCH_F32): torch in float32 on the same inputs, rounded
            ctx["t32"] = True
            terr = None
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    tout = ref_via_f32(op, tin, a)
            except Exception as e:
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
        if op.inplace is not None and dtype in FLOATS_H and not op.nograd and not ctx["refused"] \
                and not (dtype in HALF and op.name in R.HALF_FORWARD_ONLY):
            case["_side"] = "backward"
            cov = stats.get("cover") if stats is not None else None
            return "\n".join(inplace_grad(lib, op, case, f, threads, cov, special)) or None
        return None
    finally:
        for b in bufs + list(tbufs.values()) + [ctx["gb"]] + list(ctx["gbs"].values()):
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
    if callable(op.check):  # a random op checked by its properties: the same seed every run
        lib.manual_seed(a.get("seed", 0))
    r = op.call(f, xs, a)
    if op.inplace is not None:
        l2_ok = (r == 0)
    elif op.outputs > 1:  # a tuple (op.pieces: of any length, empty included)
        l2_ok = r is not None and (not r or bool(r[0]))
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
    if getattr(op, "pieces", False) and len(l2_outs) != len(touts):
        return where + "outputs: libl2 returned %d tensors, torch %d" % (len(l2_outs), len(touts))
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
                                         precise_ref=_pk(ctx["pre"], 0),
                                         half=half_of(lb.torch),
                                         t32=(ctx.get("t32h") or [None])[0]))
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
                             lambda: compare(got, want, "accumulating", dtype,
                                             half=half_of(bufs[i].torch)))
            if m:
                fails.append(m if first else "mutated input %d: %s" % (i, m))
            rec["mutated"][i] = got
    # outputs
    for k, lo in enumerate(l2_outs):
        gt = lib.to_torch(lo)
        got = as_np(gt)
        rec["outs"].append(got)
        want_t = touts[k] if k < len(touts) else None
        m = dtype_mismatch(gt, want_t) if isinstance(want_t, torch.Tensor) else None
        if m:
            fails.append(where + "output %d: %s" % (k, m))
            continue
        if op.view and (k == 0 or getattr(op, "pieces", False)) and want_t is not None and \
                want_t.numel():
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
    if getattr(op, "pieces", False):
        if do_grad and not ctx["torch_overflow"]:
            fails = pieces_backward(lib, case, tin, touts, l2_outs, bufs, diff, special, sep,
                                    ctx, rec, where, n, n0, op)
            if fails:
                return "\n".join(fails)
            if cov is not None:
                cov.add(case, "backward", n)
        ctx["first"] = first or rec
        return None
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
            except RuntimeError as e:
                try:
                    if not half_refused(op, e, tin):
                        raise
                    torch_half_grads(op, tin, a, diff, gup)
                except RuntimeError:  # torch has no gradient (atan2 of a bool tensor): none
                    ctx["no_torch_grad"] = True  # to compare
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
                                                  _pk(ctx["pg"], j), half_of(tg)))
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
    m = dtype_mismatch(gt, tg)
    del gt
    return (None, m) if m else (got, None)


def compare_output(op, case, got, want_t, k, l2_outs, tin, bufs, ctx, stats):
    """Output k of libl2 (got, numpy) against torch's (want_t) by the op's rule."""
    dtype = case["dtype"]
    a = case["args"]
    if op.check == "dropout" and want_t is None:
        return check_dropout(got, as_np(bufs[0].torch), a)
    if callable(op.check):  # random values: shape and dtype against torch's, then properties
        if got.shape != tuple(want_t.shape) or got.dtype != as_np(want_t).dtype:
            return "result %s %s, torch's %s %s" % (list(got.shape), got.dtype,
                                                    list(want_t.shape), as_np(want_t).dtype)
        return op.check(got, [as_np(b.torch.detach()) if b is not None else None
                              for b in bufs], a)
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
    if op.check == "to_dtype" and a["to"] in ("int64",) and dtype in FLOATS_H:
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
    half = half_of(want_t)
    t32 = ctx.get("t32h")
    t32 = t32[k] if half and t32 is not None and k < len(t32) else None
    m = compare(got, want, op.tol, dtype, ref64, precise_ref=_pk(pre, k), half=half, t32=t32)
    if half and m is None and stats is not None and got.shape == want.shape and \
            not ctx.get("t32"):  # libl2 from torch's own half result, in half ulps
        key = "ulp_torch_" + half
        stats[key] = max(stats.get(key, 0), half_ulps(got, want, half))
    if m is None and got.dtype.kind == "f" and got.shape == want.shape and \
            np.any(~np.isfinite(want) & np.isfinite(got)):
        ctx["torch_overflow"] = True  # accepted against the float64 reference: grads diverge
    if stats is not None and m is None and got.shape == want.shape:
        pk = _pk(pre, k)
        e = errors(got, want if pk is None or pk[0].shape != got.shape else pk[0], half)
        if got.dtype.kind == "f":
            key = "ulp_" + (half or str(got.dtype))
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


def compare_grad(got, want, tol, dtype, special, precise_ref=None, half=None):
    """Gradients compare as results do (NaN == NaN); at inf / NaN inputs only where torch's
    gradient is defined (not NaN). half: the gradient's dtype when it is bfloat16 / float16."""
    if special and got.shape == want.shape and want.dtype.kind == "f":
        undef = np.isnan(want)
        got = np.where(undef, 0, got).astype(got.dtype)
        want = np.where(undef, 0, want).astype(want.dtype)
    return compare(got, want, tol, dtype, grad=True, precise_ref=precise_ref, half=half)


def inplace_grad(lib, op, case, f, threads=(1,), cov=None, special=False):
    """Gradients through an in-place op: torch y = x.clone(); y.op_(...); y.backward(g), and the
    same in libl2 with l2_clone, at every thread count (torch once)."""
    dtype = case["dtype"]
    a = case["args"]
    bufs = [l2lib.Buffer(lib, s, G.spec_values(s)) if s is not None else None
            for s in case["inputs"]]
    extra, outs = [], []
    try:
        diff = [i for i, b in enumerate(bufs) if b is not None and b.dtype in FLOATS_H]
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
                                                      _pk(pg, jd), half_of(tg)))
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


def pieces_backward(lib, case, tin, touts, l2_outs, bufs, diff, special, sep, ctx, rec, where,
                    n, n0, op):
    """Gradients of an op returning any number of pieces (op.pieces: split, chunk, unbind...):
    piece k gets its own random upstream gradient (the case's grad layout, seed + k); torch's
    backward runs once through all pieces, libl2's through each piece in turn (the leaves'
    gradients accumulate). Returns a list of failure messages."""
    fails = []
    live = [k for k, t in enumerate(touts)
            if t is not None and t.requires_grad and t.dtype.is_floating_point and t.numel()]
    if not live:
        return fails
    gbs = ctx["gbs"]
    if not gbs:
        for k in live:
            seed = case["grad"]["seed"] + k
            gsp = G.spec(list(touts[k].shape), l2lib.DTYPE_NAMES[lib.dtype_of(l2_outs[k])],
                         case["grad"]["layout"], np.random.default_rng(seed), "normal",
                         seed=seed)
            gbs[k] = l2lib.Buffer(lib, gsp, G.spec_values(gsp))
        torch.autograd.backward([touts[k] for k in live],
                                [gbs[k].torch.contiguous() for k in live])
    case["_side"] = "backward"
    for k in live:
        if not lib.requires_grad(l2_outs[k]):
            return [where + "output %d does not require grad (torch's does)" % k]
        # the pieces may share a node that saves tensors (linalg_qr's packed result): keep
        # the graph until the last piece's backward
        if lib.backward(l2_outs[k], gbs[k].l2, k != live[-1]) != 0:
            return [where + "l2_backward of output %d failed: %s" % (k, lib.error())]
        if not gbs[k].intact():
            fails.append(where + "upstream gradient buffer %d modified" % k)
    first = ctx["first"]
    for i in diff:
        tg = tin[i].grad
        got, m = grad_pair(lib, tg, lib.grad(bufs[i].l2))
        if m:
            fails.append(where + "grad of input %d: %s" % (i, m))
        rec["grads"][i] = got
        if got is None:
            continue
        fg = first["grads"].get(i) if first is not None else None
        odt = str(tg.dtype).split(".")[-1]
        m = thread_check(op, got, fg, n, n0, "grad of input %d" % i,
                         lambda: compare_grad(got, as_np(tg), op.tol, odt, special,
                                              half=half_of(tg)))
        if m:
            fails.append(m if first else "grad of input %d: %s" % (i, m))
    for i, b in enumerate(bufs):
        if b is not None and i not in sep and not b.intact():
            fails.append(where + "input %d modified by backward" % i)
    return fails
