#!/usr/bin/env python3
"""run.py: the PyTorch oracle. Runs every registry op forward and backward against torch 1.13 on
curated and Hypothesis-drawn shapes, layouts and values, and prints TAP: one test point for the
coverage check, one for the corpus replay, one per op.

    run.py --profile ci              # derandomized, >= 10,000 cases (make check)
    run.py --profile deep [--seed N] # >= 100,000 cases, random seed printed, progress on stderr
    run.py --ops l2_add,l2_sum       # only these ops
    run.py --case oracle/corpus/X.json   # replay one saved case, verbosely
    run.py --json summary.json       # per-op summary as JSON too

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

try:
    import numpy as np
    import torch
    import hypothesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
except ImportError as e:  # no torch: the whole oracle is skipped
    print("1..0 # SKIP torch not found (%s)" % e)
    sys.exit(0)

import gen as G  # noqa: E402
import l2lib  # noqa: E402
import registry as R  # noqa: E402
import sizes as S  # noqa: E402
import known as K  # noqa: E402
import errkind as EK  # noqa: E402
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

def make_case(op, dtype, d):
    r = op.gen(d, dtype)
    return {"op": op.name, "dtype": dtype, "inputs": r["inputs"], "args": r["args"],
            "grad": {"layout": d.pick("grad", GRAD_LAYOUTS), "seed": d.int(0, 2**31 - 1)}}


def spec_str(s):
    if s is None:
        return "None"
    return "%s%s/st%s/off%d/%s/%s:%d" % (s["dtype"][0] + s["dtype"][-2:].strip("t"),
                                         s["shape"], s["strides"], s["offset"],
                                         s.get("layout", "?"), s["values"], s["seed"])


def repro(case):
    case = {k: v for k, v in case.items() if not k.startswith("_")}
    op = R.REGISTRY.get(case["op"])
    return "op=%s dtype=%s inputs=[%s] args=%s grad=%s tol=%s" % (
        case["op"], case["dtype"], ", ".join(spec_str(s) for s in case["inputs"]),
        json.dumps(case["args"]), json.dumps(case["grad"]), op.tol if op else "?")


def run_case(lib, op, case, stats=None):
    """Run one case; returns None on success, else a failure message (multi-line). Records in
    case["_side"] the side in progress: "forward", then "backward" once gradients start."""
    case["_side"] = "forward"
    note_state(case)
    if os.environ.get("ORACLE_SELFTEST_CRASH") == op.name:  # tests the crash supervision
        os.kill(os.getpid(), 11)
    dtype = case["dtype"]
    a = case["args"]
    f = lib.fn(op.name, op.sig)
    bufs, tbufs, extra = [], {}, []
    l2_outs = []
    fails = []
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
        pre = [None, None]
        if dtype in FLOATS and op.tol != "exact" and op.check is None:
            pre = precise(op, tin, a)
        terr = None
        tout = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tout = op.ref(tin, a)
        except Exception as e:  # torch refuses: libl2 must refuse too
            terr = e
        # libl2
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
            if terr is not None and l2_ok:
                return "error parity: torch raises %s: %s; libl2 succeeded" % (
                    type(terr).__name__, str(terr).split("\n")[0][:200])
            if terr is None:
                return "error parity: libl2 failed (%s) but torch succeeded" % lib.error()
            if not lib.error():
                return "libl2 failed without an error message"
            return error_kind(lib, op, terr, stats)
        # integrity of read-only inputs
        for i, b in enumerate(bufs):
            if b is None or i in sep:
                continue
            if not b.intact():
                fails.append("input %d modified or guard zone written (%s)" % (
                    i, "guards" if not b.guards_intact() else "inside"))
        if op.inplace is not None:
            i = op.inplace
            lb, tb = bufs[i], tbufs[i]
            if not lb.guards_intact() or not lb.gaps_intact():
                fails.append("in-place: write outside the destination's elements")
            got, want = as_np(lb.torch), as_np(tb.torch)
            m = compare(got, want, op.tol, dtype, precise_ref=_pk(pre, 0))
            if m:
                fails.append("in-place result: " + m)
            if not fails and dtype in FLOATS and not op.nograd:
                case["_side"] = "backward"
                fails += inplace_grad(lib, op, case, f, special)
            return "\n".join(fails) or None
        for i in op.mutates:
            if i in tbufs:
                m = compare(as_np(bufs[i].torch), as_np(tbufs[i].torch), "accumulating", dtype)
                if m:
                    fails.append("mutated input %d: %s" % (i, m))
        # outputs
        touts = list(tout) if isinstance(tout, tuple) else [tout]
        torch_overflow = False
        for k, lo in enumerate(l2_outs):
            gt = lib.to_torch(lo)
            got = as_np(gt)
            want_t = touts[k] if k < len(touts) else None
            if op.view and k == 0 and want_t is not None and want_t.numel():
                t_alias = bufs[0].contains(want_t.data_ptr())
                l_alias = bufs[0].contains(lib.data_ptr(lo))
                if t_alias != l_alias:
                    fails.append("view parity: torch result %s input 0, libl2's %s" % (
                        "aliases" if t_alias else "does not alias",
                        "does" if l_alias else "does not"))
            del gt
            if op.check == "dropout" and want_t is None:
                m = check_dropout(got, as_np(bufs[0].torch), a)
                if m:
                    fails.append(m)
                continue
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
                if m:
                    fails.append("output %d (indices): %s" % (k, m))
                continue
            if op.check == "to_dtype" and a["to"] in ("int64",) and dtype in FLOATS:
                src = as_np(tin[0].detach()).astype(np.float64)
                ok = np.isfinite(src) & (np.abs(src) < 2**62)
                got, want = np.where(ok, got, 0), np.where(ok, want, 0)
            ref64 = None
            if op.tol == "accumulating" and dtype == "float32" and got.dtype == np.float32 \
                    and pre[0] is None:
                ref64 = reference64(op, tin, a, k)
            m = compare(got, want, op.tol, dtype, ref64, precise_ref=_pk(pre, k))
            if m is None and got.dtype.kind == "f" and got.shape == want.shape and \
                    np.any(~np.isfinite(want) & np.isfinite(got)):
                torch_overflow = True  # accepted against the float64 reference: grads diverge
            if stats is not None and m is None and got.shape == want.shape:
                pk = _pk(pre, k)
                e = errors(got, want if pk is None or pk[0].shape != got.shape else pk[0])
                if got.dtype.kind == "f":
                    key = "ulp_" + str(got.dtype)
                    stats[key] = max(stats.get(key, 0), e[2])
                stats["max_abs"] = max(stats["max_abs"], e[0])
                stats["max_rel"] = max(stats["max_rel"], e[1])
                stats["max_ulp"] = max(stats["max_ulp"], e[2])
            if m:
                fails.append("output %d: %s" % (k, m))
        if fails:
            return "\n".join(fails)
        # backward
        t0 = touts[0]
        if do_grad and t0 is not None and t0.requires_grad and t0.dtype.is_floating_point \
                and t0.numel() > 0 and not torch_overflow:
            out = l2_outs[0]
            case["_side"] = "backward"
            if not lib.requires_grad(out):
                return "output does not require grad (torch's does)"
            gsp = G.spec(list(t0.shape), l2lib.DTYPE_NAMES[lib.dtype_of(out)],
                         case["grad"]["layout"], np.random.default_rng(case["grad"]["seed"]),
                         "normal", seed=case["grad"]["seed"])
            case["_grad_spec"] = gsp  # runtime only (known-failure triage); never saved
            gb = l2lib.Buffer(lib, gsp, G.spec_values(gsp))
            extra.append(gb)
            # torch gets a contiguous copy of the upstream gradient: torch 1.13's gelu backward
            # reads garbage from a transposed one (libl2 still gets the strided buffer)
            gup = gb.torch.contiguous()
            pg = precise(op, tin, a, diff, gup) if op.check is None else (None, None)
            try:
                t0.backward(gup)
            except RuntimeError:  # torch has no gradient (atan2 of a bool tensor): none to compare
                return None
            st_ = lib.backward(out, gb.l2, False)
            if st_ != 0:
                return "l2_backward failed: " + lib.error()
            if not gb.intact():
                fails.append("upstream gradient buffer modified")
            for j, i in enumerate(diff):
                tg = tin[i].grad
                lg = lib.grad(bufs[i].l2)
                if tg is not None and not lg and not tg.any():
                    continue  # NULL grad in libl2 == all-zero (or empty) grad in torch
                if (tg is None) != (not lg):
                    fails.append("grad of input %d: torch %s, libl2 %s" % (
                        i, "None" if tg is None else "a tensor", "NULL" if not lg else "a tensor"))
                    continue
                if tg is None:
                    continue
                gt = lib.to_torch(lg)
                m = compare_grad(as_np(gt), as_np(tg), op.tol, dtype, special, _pk(pg, j))
                del gt
                if m:
                    fails.append("grad of input %d: %s" % (i, m))
            for i, b in enumerate(bufs):
                if b is not None and i not in sep and not b.intact():
                    fails.append("input %d modified by backward" % i)
        return "\n".join(fails) or None
    finally:
        for o in l2_outs:
            if o:
                lib.tensor_release(o)
        for b in bufs + list(tbufs.values()) + extra:
            if b is not None:
                b.release()


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
    if got.shape == want.shape and got.dtype == want.dtype and got.dtype.kind == "f":
        # torch's inf where libl2 stays within 64x of the largest finite number (same sign): the
        # order of the products decides which intermediate overflows (g * y * y or g / (x * x))
        big = np.finfo(got.dtype).max / 64
        near = np.isinf(want) & np.isfinite(got) & (np.abs(got) >= big) & \
            (np.sign(got) == np.sign(want))
        if near.any():
            got = np.where(near, want, got).astype(got.dtype)
    return compare(got, want, tol, dtype, grad=True, precise_ref=precise_ref)


def inplace_grad(lib, op, case, f, special=False):
    """Gradients through an in-place op: torch y = x.clone(); y.op_(...); y.backward(g), and the
    same in libl2 with l2_clone."""
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
            lib.set_requires_grad(bufs[i].l2, True)
        y = tin[0].clone()
        try:
            op.ref([y] + tin[1:], a)
        except Exception:
            return []
        if not y.requires_grad:
            return []
        c = lib.clone(bufs[0].l2)
        outs.append(c)
        if op.call(f, [c] + [b.l2 if b else None for b in bufs[1:]], a) != 0:
            return ["in-place on a clone failed: " + lib.error()]
        gsp = G.spec(list(y.shape), dtype, case["grad"]["layout"],
                     np.random.default_rng(case["grad"]["seed"]), "normal",
                     seed=case["grad"]["seed"])
        gb = l2lib.Buffer(lib, gsp, G.spec_values(gsp))
        extra.append(gb)
        gup = gb.torch.contiguous()
        pg = precise(_CloneThen(op), tin, a, diff, gup)
        y.backward(gup)
        if lib.backward(c, gb.l2, False) != 0:
            return ["l2_backward after in-place failed: " + lib.error()]
        fails = []
        for j, i in enumerate(diff):
            tg, lg = tin[i].grad, lib.grad(bufs[i].l2)
            if tg is not None and not lg and not tg.any():
                continue  # NULL grad in libl2 == all-zero (or empty) grad in torch
            if (tg is None) != (not lg):
                fails.append("in-place grad of input %d: presence differs" % i)
                continue
            if tg is None:
                continue
            gt = lib.to_torch(lg)
            m = compare_grad(as_np(gt), as_np(tg), op.tol, dtype, special, _pk(pg, j))
            del gt
            if m:
                fails.append("in-place grad of input %d: %s" % (i, m))
        return fails
    finally:
        for o in outs:
            lib.tensor_release(o)
        for b in bufs + extra:
            if b is not None:
                b.release()


# ---- crash supervision ---------------------------------------------------------------------
# The TAP run is a supervisor that starts this script as a worker. The worker notes the test
# point and the case it is running in a state file; when it dies (a crash in libl2), the
# supervisor reports that test point as failed with the case's repro, saves the case and starts
# a new worker at the next test point.
STATE = None


def note_state(obj):
    if STATE:
        with open(STATE, "w") as fh:
            fh.write(json.dumps({k: v for k, v in obj.items() if not k.startswith("_")}))


def supervise(args):
    import subprocess
    import tempfile
    fd, state = tempfile.mkstemp(prefix="oracle-state-", suffix=".json")
    os.close(fd)
    point_state = state + ".point"
    open(state + ".summary", "w").close()
    argv = [sys.executable, os.path.abspath(__file__), "--worker", "--profile", args.profile,
            "--state", state]
    if args.seed is not None:
        argv += ["--seed", str(args.seed)]
    if args.ops:
        argv += ["--ops", args.ops]
    if args.cases:
        argv += ["--cases", str(args.cases)]
    start = 1
    crashes = 0
    seed_line = None
    plan = None
    t0 = time.time()
    try:
        while True:
            last_case = None
            p = subprocess.Popen(argv + ["--from", str(start)], stdout=subprocess.PIPE,
                                 text=True, bufsize=1)
            last_point = start - 1
            for line in p.stdout:
                sys.stdout.write(line)
                sys.stdout.flush()
                if line.startswith("# oracle: profile"):
                    seed_line = line
                if line.startswith("1.."):
                    plan = int(line[3:].split()[0])
                m = line.split(" ", 3)
                if line.startswith("ok ") or line.startswith("not ok "):
                    num = m[2] if line.startswith("not") else m[1]
                    if num.isdigit():
                        last_point = int(num)
            rc = p.wait()
            if rc == 0:
                break
            crashes += 1
            try:
                with open(state) as fh:
                    last_case = json.load(fh)
            except (OSError, ValueError):
                last_case = None
            point = last_point + 1
            what = "signal %d" % -rc if rc < 0 else "exit status %d" % rc
            if last_case and "op" in last_case and "inputs" in last_case:
                path = save_case(last_case, "crash (%s)" % what)
                print("not ok %d - %s: CRASH (%s) in a case\n#   repro: %s\n#   replay: %s %s "
                      "--case %s" % (point, last_case["op"], what, repro(last_case),
                                     sys.executable, os.path.relpath(__file__),
                                     os.path.relpath(path) if path else "(not saved)"))
            else:
                print("not ok %d - CRASH (%s) outside a case (%s)" % (point, what, last_case))
            sys.stdout.flush()
            if start == 1 and last_point == 0 and point == 1 and not seed_line:
                print("Bail out! the oracle worker dies before its first test point")
                return 1
            start = point + 1
            if crashes > 20:
                print("Bail out! more than 20 crashes")
                return 1
        # totals over all workers
        tot = {"run": 0, "passed": 0, "failed": 0, "known": 0, **{k: 0 for k in EK_KEYS}}
        ops = {}
        known_by = {}
        with open(state + ".summary") as fh:
            for line in fh:
                e = json.loads(line)
                ops[e["op"]] = e["stats"]
                for k in tot:
                    tot[k] += e["stats"].get(k, 0)
                for k, n in e["stats"].get("known_by", {}).items():
                    known_by[k] = known_by.get(k, 0) + n
        if plan:  # the last test point: known failures per entry, max_ci in the CI budget
            lines, ok, what = known_counts(known_by, args.profile == "ci" and not args.ops
                                           and not args.cases and not args.seed)
            print("\n".join(lines + ["%s %d - %s" % ("ok" if ok else "not ok", plan, what)]))
        print("# total: %d cases, %d passed, %d failed, %d known failures, %d crashes, %d ops run, "
              "%.1fs" % (tot["run"], tot["passed"], tot["failed"], tot["known"], crashes, len(ops),
                         time.time() - t0))
        print("# error kinds: %d error-parity cases, %d kinds matched, %d unmapped (torch's or "
              "libl2's kind unclassifiable), %d documented departures, %d differ" % tuple(
                  [sum(tot[k] for k in EK_KEYS)] + [tot[k] for k in EK_KEYS]))
        if seed_line:
            print(seed_line.rstrip().replace("# oracle:", "# (replay:") + ")")
        if args.json:
            with open(args.json, "w") as fh:
                json.dump({"profile": args.profile, "total": tot, "crashes": crashes,
                           "seconds": time.time() - t0, "ops": ops}, fh, indent=1)
        return 0
    finally:
        for pth in (state, state + ".summary", point_state):
            try:
                os.unlink(pth)
            except OSError:
                pass


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
            **{k: 0 for k in EK_KEYS}}


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


def run_op(lib, op, n_curated, n_hyp, profile, seed, out, progress):
    stats = new_stats()
    deep = profile == "deep"
    for dtype in op.dtypes:
        # curated: every curated shape and every layout class, each in its own order
        salt = zlib.crc32((op.name + dtype).encode())
        for k in range(n_curated):
            run_counted(lib, op, make_case(op, dtype, G.CuratedDrawer(k, seed, deep, salt)),
                        stats, seed, out)
        if n_hyp <= 0:
            continue
        last = {"dtype": dtype}

        def body(data):
            case = make_case(op, last["dtype"], G.HypDrawer(data, deep))
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

        test = settings(max_examples=n_hyp, derandomize=not deep, database=None, deadline=None,
                        suppress_health_check=list(HealthCheck), print_blob=False,
                        phases=[Phase.generate] + ([] if NO_SHRINK else [Phase.shrink]),
                        report_multiple_bugs=False)(
            given(st.data())(body))
        if deep:
            test = hypothesis.seed(seed * 1000003 + zlib.crc32((op.name + dtype).encode()))(test)
        try:
            test()
        except Exception as e:
            stats["run"] += 1
            stats["failed"] += 1
            if "case" in last:
                record_failure(stats, last["case"], last["msg"], seed, out)
            else:
                out.append("# FAIL %s: hypothesis: %s" % (op.name, str(e).split("\n")[0]))
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
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--from", dest="start", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--state", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not args.worker and not args.case:
        return supervise(args)
    global STATE
    STATE = args.state
    import faulthandler
    faulthandler.enable()

    torch.set_num_threads(1)
    lib = l2lib.Lib()
    lib.set_num_threads(1)

    if args.case:
        with open(args.case) as fh:
            case = json.load(fh)
        case.pop("failure", None)
        op = R.REGISTRY[case["op"]]
        if lib.fn(op.name, op.sig) is None:
            print("1..0 # SKIP %s not in %s" % (op.name, lib.path))
            return 0
        print("# repro: " + repro(case))
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
    print("# oracle: profile %s, seed %d, library %s" % (args.profile, seed, lib.path))
    print("# torch %s, hypothesis %s; %d registry entries, %d in this library; %d cases per "
          "op and dtype (%d curated + %d hypothesis)" % (torch.__version__, hypothesis.__version__,
                                                          len(R.REGISTRY), len(avail), per_dtype,
                                                          n_cur, n_hyp))
    sys.stdout.flush()
    if args.start == 1:
        print("1..%d" % (len(ops) + 3))  # the last point (known failures): the supervisor
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
        s = run_op(lib, op, n_cur, n_hyp, args.profile, seed, out, progress)
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
