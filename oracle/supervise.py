"""supervise.py: the op oracle's TAP run is a supervisor around worker processes (run.py
--worker). The worker notes the test point and the case it is running in a state file; when it
dies (a crash in libl2), the supervisor reports that test point as failed with the case's repro,
saves the case and starts a new worker at the next test point. At the end it sums the workers'
per-op results, prints the coverage table's summary and its TAP point (coverage.py), and the
totals with cases per second."""
import json
import os
import subprocess
import sys
import tempfile
import time

import coverage as CV

COMMITTED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "coverage-ci.txt")

def supervise(args, script, save_case, repro, known_counts, ek_keys):
    """Run run.py (script) as workers until the last test point; save_case and repro are
    run.py's (a crashed case is saved to the corpus and printed)."""
    fd, state = tempfile.mkstemp(prefix="oracle-state-", suffix=".json")
    os.close(fd)
    point_state = state + ".point"
    open(state + ".summary", "w").close()
    argv = [sys.executable, os.path.abspath(script), "--worker", "--profile", args.profile,
            "--state", state]
    if args.seed is not None:
        argv += ["--seed", str(args.seed)]
    if args.ops:
        argv += ["--ops", args.ops]
    if args.cases:
        argv += ["--cases", str(args.cases)]
    argv += ["--threads", args.threads]
    if getattr(args, "dtypes", None):
        argv += ["--dtypes", args.dtypes]
    if getattr(args, "half_cases", None) is not None:
        argv += ["--half-cases", str(args.half_cases)]
    if args.minutes:
        argv += ["--deadline", repr(time.time() + 60.0 * args.minutes)]
    env = dict(os.environ, OMP_WAIT_POLICY="passive")
    plan = None
    start = 1
    crashes = 0
    seed_line = None
    t0 = time.time()
    try:
        while True:
            last_case = None
            p = subprocess.Popen(argv + ["--from", str(start)], stdout=subprocess.PIPE,
                                 text=True, bufsize=1, env=env)
            last_point = start - 1
            for line in p.stdout:
                sys.stdout.write(line)
                sys.stdout.flush()
                if line.startswith("# oracle: profile"):
                    seed_line = line
                if line.startswith("1..") and line[3:].strip().isdigit():
                    plan = int(line[3:])
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
                                     sys.executable, os.path.relpath(script),
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
        tot = {"run": 0, "passed": 0, "failed": 0, "known": 0, **{k: 0 for k in ek_keys}}
        ops = {}
        known_by = {}
        cov = CV.Coverage()
        with open(state + ".summary") as fh:
            for line in fh:
                e = json.loads(line)
                cov.merge(e["op"], e["stats"].pop("cells", []))
                ops[e["op"]] = e["stats"]
                for k in tot:
                    tot[k] += e["stats"].get(k, 0)
                for k, n in e["stats"].get("known_by", {}).items():
                    known_by[k] = known_by.get(k, 0) + n
        if plan:  # the last but one test point: known failures per entry (max_ci: CI budget)
            lines, ok, what = known_counts(known_by, args.profile == "ci" and not args.ops
                                           and not args.cases and args.seed is None
                                           and args.threads == "1,2,3")
            print("\n".join(lines + ["%s %d - %s" % ("ok" if ok else "not ok", plan - 1, what)]))
        coverage_point(args, cov, plan, tot)
        el = time.time() - t0
        print("# total: %d cases, %d passed, %d failed, %d known failures, %d crashes, %d ops run, "
              "%.1fs, %.1f cases/s (threads %s)" % (
                  tot["run"], tot["passed"], tot["failed"], tot["known"], crashes, len(ops), el,
                  tot["run"] / max(el, 1e-9), args.threads))
        print("# error kinds: %d error-parity cases, %d kinds matched, %d unmapped (torch's or "
              "libl2's kind unclassifiable), %d documented departures, %d differ" % tuple(
                  [sum(tot[k] for k in ek_keys)] + [tot[k] for k in ek_keys]))
        half_line(ops)
        if seed_line:
            print(seed_line.rstrip().replace("# oracle:", "# (replay:") + ")")
        if args.json:
            with open(args.json, "w") as fh:
                json.dump({"profile": args.profile, "total": tot, "crashes": crashes,
                           "seconds": el, "cases_per_second": tot["run"] / max(el, 1e-9),
                           "threads": args.threads, "ops": ops}, fh, indent=1)
        return 0
    finally:
        for pth in (state, state + ".summary", point_state):
            try:
                os.unlink(pth)
            except OSError:
                pass


def half_line(ops):
    """bfloat16 / float16 (issue 16): the largest distance, in ulps of the half dtype, of libl2's
    results from the float64 reference rounded to the half and from torch's own half result
    (where torch computed natively in the half), with the op."""
    parts = []
    for h in ("bfloat16", "float16"):
        for key, what in (("ulp_" + h, "from float64 rounded"), ("ulp_torch_" + h,
                                                                 "from torch's own")):
            vals = [(st.get(key), op) for op, st in ops.items() if st.get(key) is not None]
            if vals:
                v, op = max(vals)
                parts.append("%s %s %d (%s)" % (h, what, v, op))
    if parts:
        print("# half ulps (max over ops): " + "; ".join(parts))


def coverage_config(args):
    """What a coverage table depends on: only a run like the committed one is checked."""
    return "profile %s, seed %s, cases %s, threads %s, ops %s" % (
        args.profile, args.seed if args.seed is not None else "default",
        args.cases or "default", args.threads, args.ops or "all") + (
        ", dtypes %s" % args.dtypes if getattr(args, "dtypes", None) else "") + (
        ", half cases %d" % args.half_cases if getattr(args, "half_cases", None) is not None
        else "")


def coverage_point(args, cov, plan, tot):
    """The coverage table: summary lines, --coverage-out, and the last TAP point (cells that
    the committed CI table oracle/coverage-ci.txt has filled must still be filled)."""
    for line in cov.summary():
        print(line)
    if plan is not None:  # against the committed table before --coverage-out may replace it
        ok, msg, detail = CV.check(COMMITTED, cov, coverage_config(args))
        print("%s %d - coverage table: %s" % ("ok" if ok else "not ok", plan, msg))
        for line in detail:
            print(line)
    if args.coverage_out:
        cov.write(args.coverage_out, coverage_config(args))
        print("# coverage table written to %s" % args.coverage_out)
