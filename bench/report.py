#!/usr/bin/env python3
"""report.py: `make bench-report`: libl2 against PyTorch 1.13, same cases, same machine, same run.

For each thread count (1 and the online cores), in processes of their own with the threads
pinned (thread_env), it runs bench/l2bench (Google Benchmark, C) group by group, the libtorch
twins of the same cases (bench/torchbench, C++, when built or given as JSON) and the torch twins
from Python (bench/torch_bench.py --serve, one process per thread count), so that the sides see
the same machine state. It records wall and process CPU time, marks each case trusted or not
(spread, load), checks on GEMM cases that no side used more threads than set, runs a few groups
twice (independence), measures the machine's limits (limit.* cases) and training throughput
(bench/train_twin.py), writes bench/out/report.md with PNG plots and appends a record to
bench/history/<machine>.jsonl. Profiles: quick (a few minutes) and full.
"""
import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time

from report_confirm import confirm
import report_confirm
from report_plots import history_steps, plots
from report_targets import (RULES, RULES_NOTE, add_record_fields, comparable, measure_rss,
                            step_limits, targets)
import report_targets

PROFILES = {
    # min time per repetition (s) and repetitions, the same on every side
    "quick": {"min_time": 0.01, "reps": 5},
    "full": {"min_time": 0.05, "reps": 9},
}


def log(msg):
    print(msg, flush=True)


def sh(cmd, cwd=None):
    try:
        return subprocess.run(cmd, cwd=cwd, check=True, capture_output=True,
                              text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def machine_info(srcdir):
    try:
        with open("/etc/machine-id") as f:
            raw = f.read().strip()
    except OSError:
        raw = platform.node()
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    cc = os.environ.get("BENCH_CC", "cc")
    commit = sh(["git", "-C", srcdir, "rev-parse", "HEAD"]) or "unknown"
    dirty = bool(sh(["git", "-C", srcdir, "status", "--porcelain", "--untracked-files=no"]))
    return {
        "machine": hashlib.sha256(raw.encode()).hexdigest()[:12],
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "compiler": (sh(cc.split() + ["--version"]).splitlines() or [cc])[0],
        "cflags": os.environ.get("BENCH_CFLAGS", "").strip(),
        "commit": commit,
        "dirty": dirty,
        "subject": sh(["git", "-C", srcdir, "log", "-1", "--format=%s"]),
    }


def list_cases(l2bench, env):
    out = subprocess.run([l2bench, "--l2_list"], check=True, capture_output=True, text=True,
                         env=env).stdout
    cases = []
    for line in out.splitlines():
        name, status, items, nbytes, flops = line.split("\t")
        cases.append({"name": name, "status": status, "items": float(items),
                      "bytes": float(nbytes), "flops": float(flops)})
    return cases


def group_of(name):
    return name.split("/", 1)[0]


UNIT = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def fmt_time(s):
    if s is None:
        return "-"
    for unit, scale in (("s", 1), ("ms", 1e-3), ("us", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s * 1e9:.3g} ns"


def limit_for(case, limits, min_bytes):
    """(limit value, unit, what) for a case, or None. Matmul-type cases against raw gemm at the
    same size and threads; cases moving >= min_bytes per call (twice the largest cache) against
    the streaming add: smaller ones run from cache, faster than memory streams."""
    name = case["name"]
    op, dt, variant, shape, th = name.split("/")
    if case["flops"] > 0 and op.split("+")[0] in ("mm", "bmm"):
        n = shape.split("x")[-1]
        kind = "dgemm" if dt == "f64" else "sgemm"
        lim = limits.get(f"limit.{kind}/{dt}/raw/{n}x{n}/{th}")
        if lim:
            return lim, "GFLOP/s", kind
    if case["bytes"] >= min_bytes:
        lim = next((v for k, v in limits.items()
                    if k.startswith("limit.stream_add/") and k.endswith("/" + th)), None)
        if lim:
            return lim, "GB/s", "stream add"
    return None


def rate_of(case, seconds):
    if not seconds:
        return None, ""
    if case["flops"] > 0:
        return case["flops"] / seconds / 1e9, "GFLOP/s"
    if case["bytes"] > 0:
        return case["bytes"] / seconds / 1e9, "GB/s"
    return None, ""


def gmean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


# ---- running the sides ----

SUFFIX = re.compile(r"(/(process_time|real_time|manual_time|min_time:[^/]*|repeats:\d+"
                    r"|iterations:\d+|threads:\d+))+$")


def case_name(b):
    """A Google Benchmark result's case name without the suffixes its options add."""
    return SUFFIX.sub("", b.get("run_name", b["name"]))


def quantile(xs, q):
    xs = sorted(xs)
    if len(xs) == 1:
        return xs[0]
    k = (len(xs) - 1) * q
    lo = math.floor(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def summarize(r):
    """Median wall and CPU time and the spread (p90 - p10) / median of the wall times."""
    if r.get("times"):
        r["median"] = statistics.median(r["times"])
        r["spread"] = (quantile(r["times"], 0.9) - quantile(r["times"], 0.1)) / r["median"]
    if r.get("cpu_times"):
        r["cpu_median"] = statistics.median(r["cpu_times"])
    return r


def gb_results(data):
    """{case: {"times": wall s per repetition, "cpu_times": CPU s, "median", ...}} of a Google
    Benchmark JSON (l2bench, or bench/torchbench with the same case names)."""
    res = {}
    for b in data.get("benchmarks", []):
        r = res.setdefault(case_name(b), {"times": [], "cpu_times": []})
        if b.get("error_occurred"):
            r["error"] = b.get("error_message", "error")
            continue
        if b.get("run_type", "iteration") == "iteration":
            r["times"].append(b["real_time"] * UNIT[b["time_unit"]])
            r["cpu_times"].append(b["cpu_time"] * UNIT[b["time_unit"]])
    return {k: summarize(v) for k, v in res.items()}


def run_gbench(binary, env, regex, prof, out_json, commit, to_stdout=False):
    """Run the cases matching regex in a fresh process; (results, context). to_stdout: JSON on
    stdout instead of --benchmark_out (the repeat check uses the other output path)."""
    cmd = [binary, "--benchmark_filter=" + regex,
           f"--benchmark_min_time={prof['min_time']}",
           f"--benchmark_repetitions={prof['reps']}",
           "--benchmark_context=commit=" + commit]
    if to_stdout:
        cmd.append("--benchmark_format=json")
    else:
        cmd += ["--benchmark_out=" + out_json, "--benchmark_out_format=json"]
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        raise SystemExit(f"report: {os.path.basename(binary)} failed on {regex} "
                         f"(status {p.returncode})")
    try:
        if to_stdout:
            data = json.loads(p.stdout)
        else:
            with open(out_json) as f:
                data = json.load(f)
    except (OSError, ValueError):  # no case matched (torchbench skips what has no twin)
        data = {}
    return gb_results(data), data.get("context", {})


def loadavg():
    """(1-min load average, runnable tasks now) from /proc/loadavg."""
    try:
        with open("/proc/loadavg") as f:
            parts = f.read().split()
        return float(parts[0]), int(parts[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return 0.0, 0


def target_isa(base):
    """The environment that runs both sides on the instruction sets of the project's machine
    class (x86-64-v3: AVX2 and FMA, no AVX-512; libl2 is built for it). On a CPU with more,
    torch's oneDNN convolutions use AVX-512 kernels the project's machines lack; on a CPU that
    Debian's OpenBLAS 0.3.21 does not recognise (this VM's), OpenBLAS (libl2's and torch's)
    falls back to SSE3 (Prescott) kernels that those machines never run. Unless
    L2_BENCH_ISA=native, every process gets ONEDNN_MAX_CPU_ISA=AVX2 and OPENBLAS_CORETYPE=Haswell
    (the kernels OpenBLAS picks on AVX2+FMA CPUs), where the CPU has AVX2 and FMA and the user
    has not set them. Returns (env, a note for the report)."""
    env = dict(base)
    if env.get("L2_BENCH_ISA", "").lower() == "native":
        return env, "native (L2_BENCH_ISA=native: each library picks its kernels for this CPU)"
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((ln.split(":", 1)[1].split() for ln in f if ln.startswith("flags")), [])
    except OSError:
        flags = []
    if "avx2" not in flags or "fma" not in flags:
        return env, "native (this CPU lacks AVX2 or FMA)"
    set_ = []
    for k, v in (("ONEDNN_MAX_CPU_ISA", "AVX2"), ("DNNL_MAX_CPU_ISA", "AVX2"),
                 ("OPENBLAS_CORETYPE", "Haswell")):
        if k not in env:
            env[k] = v
        set_.append(f"{k}={env[k]}")
    return env, "AVX2+FMA on both sides (" + ", ".join(set_) + ")"


def thread_env(base, t):
    """The environment of every process of thread count t. OpenBLAS (libl2's and torch's) reads
    OPENBLAS_NUM_THREADS at start; OpenMP reads OMP_NUM_THREADS and OMP_WAIT_POLICY (PASSIVE: a
    waiting thread sleeps instead of spinning, which otherwise stalls 2-thread runs by
    milliseconds whenever another process wants the core). glibc's malloc thresholds are fixed
    at the values its dynamic rule ends at in a long-running program (mmap 32 MiB, trim 64 MiB):
    dynamic, a case's time depended on what the process had freed before."""
    env = dict(base)
    for k in ("L2_BENCH_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS",
              "MKL_NUM_THREADS"):
        env[k] = str(t)
    env["OMP_WAIT_POLICY"] = "PASSIVE"
    env["MALLOC_MMAP_THRESHOLD_"] = str(MALLOC_MMAP)
    env["MALLOC_TRIM_THRESHOLD_"] = str(2 * MALLOC_MMAP)
    return env


# glibc's largest dynamic mmap threshold on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX); the dynamic
# trim threshold is twice the mmap threshold.
MALLOC_MMAP = 32 << 20


class TorchWorker:
    """bench/torch_bench.py --serve THREADS in its own process, with thread_env(THREADS)."""

    def __init__(self, threads, env, prof):
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_bench.py")
        self.p = subprocess.Popen(
            [sys.executable, script, "--serve", str(threads), "--min-time",
             str(prof["min_time"]), "--reps", str(prof["reps"])],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True)
        self.info = json.loads(self.p.stdout.readline() or "{}")

    def time(self, name):
        self.p.stdin.write(name + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line:
            return {"error": "torch worker exited"}
        r = json.loads(line)
        return summarize(r) if r.get("times") else (r or None)

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def load_libtorch_json(paths):
    """Results of bench/torchbench read from Google Benchmark JSON files (same case names)."""
    res = {}
    for path in paths:
        with open(path) as f:
            res.update(gb_results(json.load(f)))
    return res


# ---- trust ----

TRUST_SPREAD = 0.25
GEMM_SLACK = 0.15
SIDES = (("l2", "libl2"), ("cpp", "libtorch"), ("py", "torch-py"))


def is_gemm(name):
    op = name.split("/", 1)[0]
    return op.split("+")[0] in ("mm", "bmm") or op in ("limit.sgemm", "limit.dgemm",
                                                       "limit.step_gemm")


def gemm_check(name, threads, side, r):
    """A reason the run is invalid, or None: on a GEMM case, CPU time above threads x wall time
    by more than GEMM_SLACK means more threads ran than were set."""
    if not r or not is_gemm(name) or not r.get("median") or not r.get("cpu_median"):
        return None
    use = r["cpu_median"] / (threads * r["median"])
    if use > 1 + GEMM_SLACK:
        return (f"{side} {name}: CPU time {fmt_time(r['cpu_median'])} is {use:.2f} x "
                f"{threads} thread(s) x wall time {fmt_time(r['median'])}: more threads ran "
                "than were set")
    return None


def trust(row, max_load):
    """Per-column trust: row["why"][col] lists why libl2/col is untrusted (empty: trusted;
    None: that side was not run)."""
    th = row["threads"]
    base = []
    if th > 1 and row["load"] > max_load:
        base.append(f"load {row['load']:.1f} > {max_load:g}")
    if row.get("l2") and row["l2"].get("error"):
        base.append(f"libl2 error: {row['l2']['error']}")
    row["why"] = {}
    for col in ("cpp", "py"):
        if row.get(col) is None:
            row["why"][col] = None
            continue
        why = list(base)
        for key in ("l2", col):
            r = row.get(key)
            if not r or not r.get("median"):
                why.append(f"no {dict(SIDES)[key]} time")
            elif r["spread"] > TRUST_SPREAD:
                why.append(f"{dict(SIDES)[key]} spread {100 * r['spread']:.0f}%")
        row["why"][col] = why


# ---- the run ----

REPEAT_GROUPS = ("add", "mm", "cat+bwd", "softmax", "sum")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="quick")
    ap.add_argument("--out", default=None)
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--no-history", action="store_true")
    ap.add_argument("--no-train", action="store_true")
    ap.add_argument("--no-rss", action="store_true", help="skip the resident-memory check "
                    "(l2bench --l2_rss: the MLP step 10,000 times, untimed)")
    ap.add_argument("--filter", default="", help="only groups (op names) matching this regex")
    ap.add_argument("--threads", default="", help="thread counts, e.g. 1,2 (default: 1 and "
                    "the online cores)")
    ap.add_argument("--libtorch-json", action="append", default=[],
                    help="bench/torchbench results (Google Benchmark JSON, same case names) "
                    "instead of running bench/torchbench")
    ap.add_argument("--max-load", type=float, default=None,
                    help="multi-thread cases are trusted only when the 1-min load average "
                    "before and after their group is below this (default: cores + 0.5)")
    args = ap.parse_args()
    profile = args.profile or "quick"
    if profile not in PROFILES:
        sys.exit(f"report: unknown profile {profile!r} (quick or full)")
    prof = PROFILES[profile]
    builddir = os.environ.get("L2_BUILDDIR", os.getcwd())
    srcdir = os.path.realpath(os.environ.get(
        "L2_SRCDIR", os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    l2bench = os.path.join(builddir, "bench", "l2bench")
    torchbench = os.path.join(builddir, "bench", "torchbench")
    outdir = args.out or os.path.join(srcdir, "bench", "out")
    os.makedirs(outdir, exist_ok=True)
    env, isa_note = target_isa(dict(os.environ, L2_BENCH_PROFILE=profile))
    cores = os.cpu_count() or 1
    # The run itself keeps up to `cores` threads runnable in its multi-thread part: a load
    # average above cores + 0.5 means another process competes for the cores.
    max_load = args.max_load if args.max_load is not None else cores + 0.5
    threads = ([int(x) for x in args.threads.split(",") if x] if args.threads
               else sorted({1, cores}))
    t0 = time.time()
    info = machine_info(srcdir)
    info["isa"] = isa_note
    use_torch = not args.no_torch and subprocess.run(
        [sys.executable, "-c", "import torch"], capture_output=True).returncode == 0
    cpp_json = load_libtorch_json(args.libtorch_json) if args.libtorch_json else None
    run_cpp = cpp_json is None and os.access(torchbench, os.X_OK)
    log(f"report: instruction sets {isa_note}")
    log(f"report: profile {profile}, threads {threads}, commit {info['commit'][:10]}"
        f"{' (dirty)' if info['dirty'] else ''}; torch from Python: "
        f"{'yes' if use_torch else 'no'}; libtorch: "
        + ("from " + ", ".join(args.libtorch_json) if cpp_json is not None
           else "bench/torchbench" if run_cpp else "no (bench/torchbench not built)"))

    rows, cases, limits, context, invalid, workers = [], [], {}, {}, [], {}
    limit_times, limit_cpu = {}, {}
    phases = {}  # seconds per part of the run, for the report's own duration
    for th in threads:
        t_phase = time.time()
        env_t = thread_env(env, th)
        tcases = list_cases(l2bench, env_t)
        cases += tcases
        by_name = {c["name"]: c for c in tcases}
        runnable = [c for c in tcases if c["status"] == "ok"]
        groups = []
        for c in runnable:
            g = group_of(c["name"])
            if g not in groups and (g.startswith("limit.") or re.search(args.filter, g)):
                groups.append(g)
        groups.sort(key=lambda g: not g.startswith("limit."))
        worker = TorchWorker(th, env_t, prof) if use_torch else None
        workers[th] = worker.info if worker else None
        log(f"report: {th} thread(s): {len(groups)} groups, one torch process "
            f"(torch threads {worker.info.get('threads') if worker else '-'})")
        for g in groups:
            la0 = loadavg()
            regex = "^" + re.escape(g) + "/"
            l2res, ctx = run_gbench(l2bench, env_t, regex, prof,
                                    os.path.join(outdir, "l2bench.json"), info["commit"])
            context = context or ctx
            cppres = {}
            if run_cpp and not g.startswith("limit."):
                cppres, _ = run_gbench(torchbench, env_t, regex, prof,
                                       os.path.join(outdir, "torchbench.json"), info["commit"])
            elif cpp_json is not None:
                cppres = cpp_json
            names = [c["name"] for c in runnable if group_of(c["name"]) == g]
            pyres = {}
            for name in names:
                if worker and not g.startswith("limit."):
                    pyres[name] = worker.time(name)
            la1 = loadavg()
            for name in names:
                r = l2res.get(name, {"error": "no result"})
                if g.startswith("limit."):
                    if r.get("median"):
                        c = by_name[name]
                        limits[name] = (c["flops"] or c["bytes"]) / r["median"] / 1e9
                        limit_times[name] = r["median"]
                        limit_cpu[name] = r.get("cpu_median")
                    why = gemm_check(name, th, "libl2 (raw OpenBLAS)", r)
                    invalid += [why] if why else []
                    continue
                row = {"name": name, "threads": th, "case": by_name[name], "l2": r,
                       "cpp": cppres.get(name), "py": pyres.get(name),
                       "load": max(la0[0], la1[0]), "running": max(la0[1], la1[1])}
                for key, label in SIDES:
                    why = gemm_check(name, th, label, row[key])
                    invalid += [why] if why else []
                rows.append(row)
                log(f"  {name}: libl2 {fmt_time(r.get('median'))}"
                    + (f", libtorch {fmt_time(row['cpp'].get('median'))}" if row["cpp"] else "")
                    + (f", torch-py {fmt_time(row['py'].get('median'))}" if row["py"] else ""))
        # Independence: a few groups again, fresh processes, JSON on stdout this time.
        for g in [g for g in REPEAT_GROUPS if g in groups]:
            again, _ = run_gbench(l2bench, env_t, "^" + re.escape(g) + "/", prof, "",
                                  info["commit"], to_stdout=True)
            for row in rows:
                if row["threads"] == th and row["name"] in again:
                    row["again"] = again[row["name"]]
        if worker:
            worker.close()
        phases[f"cases at {th} thread(s)"] = time.time() - t_phase

    # Streaming share for cases moving at least twice the largest cache per call, or as much as
    # the streaming limit itself moves: a VM may report its host's L3 (260 MiB here), more than
    # any case moves.
    caches = [x.get("size", 0) for x in context.get("caches", [])]
    min_bytes = min([2 * max(caches, default=32 << 20)]
                    + [c["bytes"] for c in cases if c["name"].startswith("limit.stream_add/")])
    for row in rows:
        trust(row, max_load)
        c = row["case"]
        l2t = row["l2"].get("median")
        for col in ("cpp", "py"):
            other = row[col].get("median") if row[col] else None
            row["ratio_" + col] = l2t / other if l2t and other else None
        row["ratio"] = row["ratio_py"]  # the history and the plots follow torch-from-Python
        row["rate"], row["unit"] = rate_of(c, l2t)
        lim = limit_for(c, limits, min_bytes)
        row["share"] = (row["rate"] / lim[0] if lim and row["rate"] and lim[1] == row["unit"]
                        else None)
        row["limit"] = lim

    # The second round: the 1-thread cases the verdicts hinge on, measured again interleaved.
    t_phase = time.time()
    if 1 in threads:
        confirm(rows, cases, run_gbench, l2bench, torchbench if run_cpp else None,
                thread_env(env, 1), info["commit"], log)
        phases["second round"] = time.time() - t_phase

    train = []
    t_phase = time.time()
    if not args.no_train:
        try:
            sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
            import train_twin
            train = train_twin.run_all(builddir, threads, profile,
                                       lambda t: thread_env(env, t), log)
        except Exception as e:  # the table says why it is missing
            train = [{"error": f"{type(e).__name__}: {e}"}]

    phases["training"] = time.time() - t_phase
    rss, t_phase = None, time.time()
    if not args.no_rss:
        rss = measure_rss(l2bench, thread_env(env, 1), log)
        phases["resident memory"] = time.time() - t_phase
    heads = headlines(rows, threads)
    lim_steps = step_limits(limit_times, threads, limit_cpu)
    tgts = targets(rows, heads, train, lim_steps, rss, threads, profile, max_load)
    record = history_record(info, rows, threads, profile, context, limits, heads, workers)
    add_record_fields(record, tgts, rss, lim_steps, time.time() - t0)
    record["phase_seconds"] = {k: round(v) for k, v in phases.items()}
    hist_dir = os.path.join(srcdir, "bench", "history")
    hist_file = os.path.join(hist_dir, info["machine"] + ".jsonl")
    history = []
    if not args.no_history:
        os.makedirs(hist_dir, exist_ok=True)
        with open(hist_file, "a") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")
    if os.path.exists(hist_file):
        with open(hist_file) as f:
            history = [json.loads(line) for line in f if line.strip()]
    history = comparable(history, record) if history else history
    steps = history_steps(history)
    title = f"libl2 vs torch {record['torch']} (Python), {profile}, {info['commit'][:10]}"
    pngs = plots([r for r in rows if r["why"]["py"] == []], outdir, history, title)
    md = os.path.join(outdir, "report.md")
    extra = report_targets.markdown(rows, lim_steps, limit_times, tgts, threads) + \
        report_confirm.markdown(rows)
    write_markdown(md, rows, cases, limits, heads, invalid, train, info, record, context, prof,
                   profile, pngs, steps, hist_file, srcdir, max_load, extra, len(history))
    for t in tgts:
        log(f"report: target: {t['target']}: {t['value']} (goal {t['goal']}): {t['verdict']}")
    for th in threads:
        h = heads[th]
        log(f"report: {th} thread(s): libl2/libtorch {fmt_ratio(h['cpp'])}, "
            f"libl2/torch-py {fmt_ratio(h['py'])} (trusted cases only)")
    if invalid:
        log("report: RUN INVALID: " + "; ".join(invalid))
    log(f"report: wrote {md} in {time.time() - t0:.0f} s; history: {hist_file}")


def fmt_ratio(h):
    return f"{h[0]:.3f} over {h[1]} trusted of {h[2]}" if h and h[0] else "-"


def headlines(rows, threads):
    """{threads: {"cpp": (geomean, trusted, all), "py": ...}}: never mixing thread counts."""
    out = {}
    for th in threads:
        out[th] = {}
        for col in ("cpp", "py"):
            mine = [r for r in rows if r["threads"] == th and r["ratio_" + col]]
            ok = [r["ratio_" + col] for r in mine if r["why"][col] == []]
            out[th][col] = (gmean(ok), len(ok), len(mine)) if mine else None
    return out


def history_record(info, rows, threads, profile, context, limits, heads, workers):
    torch_version = next((w.get("torch") for w in workers.values() if w), None)
    return {
        "commit": info["commit"], "dirty": info["dirty"], "subject": info["subject"],
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": info["machine"], "cpu": info["cpu"], "cores": info["cores"],
        "isa": info.get("isa"),
        "compiler": info["compiler"], "cflags": info["cflags"], "threads": threads,
        "profile": profile, "torch": torch_version,
        "benchmark_build": context.get("library_build_type"),
        "blas_core": context.get("l2_blas_core"),
        "load_avg": context.get("load_avg"),
        "geomean_ratio": heads[threads[0]]["py"][0] if heads[threads[0]]["py"] else None,
        "headlines": {str(th): {col: (h[0] if h else None) for col, h in heads[th].items()}
                      for th in threads},
        "limits": limits,
        "cases": {r["name"]: {"median": r["l2"].get("median"), "cpu": r["l2"].get("cpu_median"),
                              "torch": r["py"].get("median") if r["py"] else None,
                              "libtorch": r["cpp"].get("median") if r["cpp"] else None,
                              "ratio": r["ratio_py"], "ratio_libtorch": r["ratio_cpp"],
                              "spread": r["l2"].get("spread"),
                              "trusted": r["why"]["py"] == []}
                  for r in rows if r["l2"].get("median")},
    }


def fmt_spread(r):
    if not r or r.get("spread") is None:
        return "-"
    return f"{100 * r['spread']:.0f}%{'!' if r['spread'] > TRUST_SPREAD else ''}"


def write_markdown(path, rows, cases, limits, heads, invalid, train, info, record, context, prof,
                   profile, pngs, steps, hist_file, srcdir, max_load, extra=(), n_history=0):
    L = []
    L.append(f"# libl2 against PyTorch {record['torch'] or '(not run)'}: {profile} profile\n")
    L.append(f"Commit `{info['commit'][:12]}`{' + uncommitted changes' if info['dirty'] else ''}"
             f" ({info['subject']}), {record['date']}.\n")
    if invalid:
        L.append("**RUN INVALID** (a side used more threads than it was given):\n")
        L += [f"- {why}" for why in invalid]
        L.append("")
    L.append("## Headline: geometric mean of libl2 time / other time, trusted cases only\n")
    L.append("One line per thread count (never mixed); < 1: libl2 faster. libtorch: torch's C++ "
             "API under Google Benchmark (no interpreter on either side: the strict "
             "comparison). torch-py: torch called from Python (what a Python user pays).\n")
    L.append("| threads | libl2 / libtorch | libl2 / torch-py |")
    L.append("|---|---|---|")
    for th, h in heads.items():
        L.append(f"| {th} | {fmt_ratio(h['cpp'])} | {fmt_ratio(h['py'])} |")
    L.append("")
    trusted = [r for r in rows if r["ratio_py"] and r["why"]["py"] == []]
    worst = sorted(trusted, key=lambda r: -r["ratio_py"])[:10]
    if worst:
        L.append("Slowest trusted cases against torch-py: " + ", ".join(
            f"{r['name']} {r['ratio_py']:.2f}" for r in worst) + ".\n")
    L += list(extra)
    L.append("## Training throughput (examples/fashion_mnist against bench/train_twin.py)\n")
    if not train:
        L.append("Not run (--no-train).\n")
    elif train[0].get("error"):
        L.append(f"Not measured: {train[0]['error']}\n")
    else:
        L.append("Same model, initial weights (saved by libl2 as safetensors, loaded by the "
                 "twin), Adam with the same cosine schedule, batch and data order; training "
                 "loop only (data loading excluded).\n")
        L.append(f"Medians of {train[0]['runs']} runs per side, interleaved; trusted as the "
                 "cases (spread (max - min) / median below 25%, load rule at 2+ threads).\n")
        L.append("| model | threads | steps | libl2 ex/s | torch ex/s | libl2 / torch time "
                 "| libl2 ex/CPU-s | torch ex/CPU-s | first loss libl2 / torch | trusted |")
        L.append("|---|---|---|---|---|---|---|---|---|---|")
        for t in train:
            why = [f"{side} spread {100 * t[k]:.0f}%" for side, k in
                   (("libl2", "l2_spread"), ("torch", "torch_spread")) if t[k] > TRUST_SPREAD]
            if t["threads"] > 1 and t["load"] > max_load:
                why.append(f"load {t['load']:.1f} > {max_load:g}")
            L.append(f"| {t['model']} | {t['threads']} | {t['steps']} | {t['l2_eps']:.0f} | "
                     f"{t['torch_eps']:.0f} | {t['torch_eps'] / t['l2_eps']:.2f} | "
                     f"{t['l2_epc']:.0f} | {t['torch_epc']:.0f} | "
                     f"{t['l2_loss0']:.5f} / {t['torch_loss0']:.5f} | "
                     f"{'no: ' + '; '.join(why) if why else 'yes'} |")
        L.append("")
    L.append("## Machine and method\n")
    L.append(f"- Machine `{info['machine']}` (sha256 of /etc/machine-id), {info['cpu']}, "
             f"{info['cores']} cores. Compiler: {info['compiler']}; flags `{info['cflags']}`. "
             f"OpenBLAS kernels: {context.get('l2_blas_core', 'unknown')} (what "
             "openblas_get_corename() reports in l2bench; an old core such as Prescott on a "
             "modern CPU means OpenBLAS did not recognise it and runs slow SSE kernels). "
             f"Instruction sets: {info.get('isa', 'native')} (bench/report.py target_isa: "
             "the project's machines are AVX2+FMA without AVX-512).")
    L.append("- Threads: each thread count runs in its own processes (l2bench per group, one "
             "torch process, bench/torchbench per group) with OMP_NUM_THREADS, "
             "OPENBLAS_NUM_THREADS (torch's OpenBLAS ignores torch.set_num_threads) and "
             "torch.set_num_threads / l2_set_num_threads all set to it, and "
             "OMP_WAIT_POLICY=PASSIVE (OpenMP's default spinning stalls 2-thread runs by "
             "milliseconds whenever another process wants the core). glibc's malloc mmap and "
             f"trim thresholds are fixed on every side at {MALLOC_MMAP >> 20} and "
             f"{MALLOC_MMAP >> 19} MiB (where its dynamic rule ends in a long-running program), "
             "so that a case's time does not depend on the process's heap history.")
    L.append("- Validity: on every GEMM case (mm, bmm, raw sgemm/dgemm), each side's process CPU "
             f"time must stay within threads x wall time + {100 * GEMM_SLACK:.0f}%, else the "
             "run is marked invalid above.")
    L.append(f"- Trusted: spread (p90 - p10) / median of the wall times over the repetitions "
             f"below {100 * TRUST_SPREAD:.0f}% on both sides compared, and for multi-thread "
             f"cases the 1-min load average before and after the case's group below "
             f"{max_load:g} (cores + 0.5: the run itself keeps up to one thread per core "
             "busy; above that another process competes for the cores). "
             "Headlines use trusted cases only; the others are listed apart with the reason.")
    bt = context.get("library_build_type", "?")
    L.append(f"- libl2: bench/l2bench (Google Benchmark, library build type **{bt}**"
             + (": Debian's libbenchmark is a debug build; it slows only the harness loop"
                if bt == "debug" else "")
             + f"), {prof['reps']} repetitions of >= {prof['min_time']} s, wall time and "
             "process CPU time (MeasureProcessCPUTime). libtorch: bench/torchbench, the same. "
             "torch-py: bench/torch_bench.py, the same repetitions, time.perf_counter and "
             "time.process_time around a loop of calls.")
    L.append(f"- This report took {record['report_seconds']} s: " + ", ".join(
        f"{k} {v} s" for k, v in record.get("phase_seconds", {}).items()) + ".")
    if record.get("load_avg"):
        L.append("- Load average when the run started (1, 5, 15 min): "
                 + ", ".join(f"{x:.2f}" for x in record["load_avg"]) + ".")
    L.append("")
    L.append("## Independence check\n")
    again = [r for r in rows if r.get("again") and r["l2"].get("median")]
    if again:
        L.append(f"{len(again)} libl2 cases ({', '.join(REPEAT_GROUPS)}) ran again at the end of "
                 "their thread count, each group in a fresh process writing its JSON to stdout "
                 "instead of a file. |second / first - 1| over these cases:\n")
        for key, label in (("median", "wall"), ("cpu_median", "CPU")):
            d = sorted((abs(r["again"][key] / r["l2"][key] - 1), r["name"]) for r in again
                       if r["again"].get(key) and r["l2"].get(key))
            if not d:
                continue
            med = statistics.median(x for x, _ in d)
            L.append(f"- {label} time: median {100 * med:.1f}% "
                     f"({'PASS' if med < 0.10 else 'FAIL'}: rule < 10%), max {100 * d[-1][0]:.1f}%"
                     f" ({d[-1][1]}); {sum(1 for x, _ in d if x >= 0.10)} of {len(d)} over 10%.")
        L.append("")
    else:
        L.append("Not run (none of the repeat groups selected).\n")
    L.append("## Machine limits (measured in this run)\n")
    L.append("| limit | threads | rate |")
    L.append("|---|---|---|")
    for k in sorted(limits):
        unit = "GB/s" if "stream" in k or "update" in k else "GFLOP/s"
        L.append(f"| {k.rsplit('/', 1)[0]} | {k.rsplit('t:', 1)[1]} | {limits[k]:.1f} {unit} |")
    L.append("")
    for png in pngs:
        L.append(f"![{png}]({png})\n")
    L.append("## Cases, slowest relative to torch-py first\n")
    L.append("Times are medians per call; CPU is process CPU time; spread (p90 - p10) / median "
             "(`!` above 25%); share: libl2's rate / the machine limit measured in this run.\n")
    L.append("| case | thr | libl2 | libl2 CPU | libtorch | torch-py | torch-py CPU "
             "| l2/libtorch | l2/torch-py | share | spread l2 / cpp / py | load |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    order = sorted(rows, key=lambda r: (r["ratio_py"] is None, -(r["ratio_py"] or 0)))
    for r in order:
        name = r["name"].rsplit("/t:", 1)[0]
        g = lambda x, k="median": fmt_time(x.get(k)) if x else "-"  # noqa: E731
        rc = f"{r['ratio_cpp']:.2f}" if r["ratio_cpp"] else "-"
        rp = f"{r['ratio_py']:.2f}" if r["ratio_py"] else (
            "error: " + r["l2"]["error"] if r["l2"].get("error") else "-")
        share = f"{100 * r['share']:.0f}% of {r['limit'][2]}" if r["share"] else "-"
        L.append(f"| {name} | {r['threads']} | {g(r['l2'])} | {g(r['l2'], 'cpu_median')} | "
                 f"{g(r['cpp'])} | {g(r['py'])} | {g(r['py'], 'cpu_median')} | {rc} | {rp} | "
                 f"{share} | {' / '.join(fmt_spread(r[k]) for k in ('l2', 'cpp', 'py'))} | "
                 f"{r['load']:.1f} |")
    L.append("")
    untrusted = [r for r in rows if r["why"]["py"] or r["why"]["cpp"]]
    L.append(f"## Untrusted cases ({len(untrusted)} of {len(rows)}), left out of the "
             "headlines\n")
    for r in untrusted:
        why = sorted(set(r["why"]["py"] or []) | set(r["why"]["cpp"] or []))
        L.append(f"- {r['name']}: {'; '.join(why)}")
    L.append("")
    missing = {}
    for c in cases:
        if c["status"] != "ok":
            missing.setdefault(c["status"].replace("missing: ", ""), []).append(c["name"])
    if missing:
        L.append(f"## Cases not run: ops libl2 lacks ({sum(map(len, missing.values()))})\n")
        for why, names in sorted(missing.items()):
            short = sorted({n.rsplit("/t:", 1)[0] for n in names})
            L.append(f"- {why}: {', '.join(short)}")
        L.append("")
    L.append("## History\n")
    rel = os.path.relpath(hist_file, srcdir)
    L.append(f"Records in `{rel}`; history.png plots each case's libl2 / torch-py ratio per run, "
             f"and the steps below compare, over the {n_history} records comparable with this "
             f"one: same rules (version {RULES}: {RULES_NOTE[RULES]}), profile and threads.")
    if steps:
        L.append("Steps (latest ratio vs rolling median of the previous 5 runs, > 5%):\n")
        for name, med, cur in steps[:30]:
            L.append(f"- {name}: {med:.3f} -> {cur:.3f}")
    else:
        L.append("No steps above 5% against the rolling median (or fewer than 4 runs recorded).")
    L.append("")
    with open(path, "w") as f:
        f.write("\n".join(L))


if __name__ == "__main__":
    main()
