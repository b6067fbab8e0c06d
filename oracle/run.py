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
import coverage as CV  # noqa: E402
import onecase as OC  # noqa: E402
from onecase import CaseFailure, make_case, note_state, repro, run_case  # noqa: E402

CORPUS_DIR = os.environ.get("ORACLE_CORPUS_DIR") or os.path.join(HERE, "corpus")
EK_KEYS = ("ek_matched", "ek_unmapped", "ek_departure", "ek_differ")
NO_SHRINK = bool(os.environ.get("ORACLE_NO_SHRINK"))  # mutation.sh: a failure is enough


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


def op_dtypes(op, only=None):
    """op's dtypes, those in only (a set) when given (--dtypes)."""
    return [d for d in op.dtypes if only is None or d in only]


def half_budget(per_dtype, profile, n=None):
    """(curated, hypothesis) cases per op and half dtype: a third of the others' (CI: 5 + 5),
    or n (--half-cases) split the same way. The half dtypes are not counted in the budget's
    division, so adding them leaves the other dtypes' cases as they were."""
    n = n if n is not None else max(4, per_dtype // 3)
    return n // 2, n - n // 2


def run_op(lib, op, n_curated, n_hyp, profile, seed, out, progress, threads=(1,),
           deadline=None, only=None, half_n=(5, 5)):
    """Run op's cases; with a deadline (time.time() value), the time left is spread over the
    op's dtypes (half for curated cases, half for Hypothesis) and the op stops when it is up.
    Half dtypes (bfloat16, float16) run half_n (curated, hypothesis) cases, and their sized
    cases in the deep profile (in CI only the ops of reg_half.HALF_SIZED_CI)."""
    stats = new_stats()
    deep = profile == "deep"
    dts = op_dtypes(op, only)
    n_cur0, n_hyp0 = n_curated, n_hyp
    for di, dtype in enumerate(dts):
        n_curated, n_hyp = half_n if dtype in R.HALF else (n_cur0, n_hyp0)
        t_dt = t_cur = None
        if deadline is not None:
            now = time.time()
            t_dt = now + (deadline - now) / (len(dts) - di)
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
    for dtype in dts:
        if dtype in R.HALF and not deep and op.name not in R.HALF_SIZED_CI:
            continue
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
    ap.add_argument("--dtypes", default=None,
                    help="only these dtypes, e.g. bfloat16,float16 (default: every op's own)")
    ap.add_argument("--half-cases", type=int, default=None,
                    help="cases per op and half dtype (default: a third of the others')")
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
    OC.STATE = args.state
    OC.THREADS = threads
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
    # the half dtypes are not counted here: they run half_budget's cases (issue 16)
    ndt = sum(len([d for d in o.dtypes if d not in R.HALF]) for o in avail) or 1
    per_dtype = max(30 if args.profile == "ci" else 300, budget // ndt + 1)
    n_cur = per_dtype // 2
    n_hyp = per_dtype - n_cur
    half_n = half_budget(per_dtype, args.profile, args.half_cases)
    only = set(args.dtypes.split(",")) if args.dtypes else None
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
        s = run_op(lib, op, n_cur, n_hyp, args.profile, seed, out, progress, threads, deadline,
                   only, half_n)
        dt = time.time() - t0
        for key in total:
            total[key] += s[key]
        line = "%s: %d run, %d passed, %d failed (%d error-parity), worst abs %.3g rel %.3g " \
               "ulp %d (vs float64: f32 %d, f64 %d), %.1fs" % (
                   op.name, s["run"], s["passed"], s["failed"], s["errors"], s["max_abs"],
                   s["max_rel"], s["max_ulp"], s.get("ulp_float32", 0),
                   s.get("ulp_float64", 0), dt)
        line += " (%d sized, %.1fs)" % (s["sized"], s["sized_seconds"])
        hl = ["%s %d ulp, %d from torch's" % (h, s.get("ulp_" + h, 0), s["ulp_torch_" + h])
              if "ulp_torch_" + h in s else "%s %d ulp" % (h, s.get("ulp_" + h, 0))
              for h in R.HALF if h in op_dtypes(op, only)]
        if hl:
            line += "; half vs float64: " + ", ".join(hl)
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
            "known_by", "ulp_float32", "ulp_float64", "sized", "sized_seconds", "ulp_bfloat16",
            "ulp_float16", "ulp_torch_bfloat16", "ulp_torch_float16") + EK_KEYS}
        summary[op.name]["seconds"] = round(dt, 2)
        summary[op.name]["cells"] = s["cover"].export(op.name)
        summary[op.name]["failures"] = [{"repro": repro(x["case"]), "message": x["message"],
                                         "file": x["file"]} for x in s["failures"]]
        if OC.STATE:
            with open(OC.STATE + ".summary", "a") as fh:
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
