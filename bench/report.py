#!/usr/bin/env python3
"""report.py: `make bench-report`: libl2 against PyTorch 1.13, same cases, same machine, same run.

For each op group it runs bench/l2bench (Google Benchmark, C) on that group, then the torch twins
of the same cases (bench/torch_bench.py, torch.utils.benchmark in this interpreter), so that both
sides see the same machine state. It measures the machine's limits in the same run (raw OpenBLAS
gemm GFLOP/s, streaming-add GB/s: the limit.* cases), writes bench/out/report.md and PNG plots,
and appends one record per run to bench/history/<machine>.jsonl, whose ratios it plots over
commits. Profiles: quick (seconds, the default) and full (minutes).
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

PROFILES = {
    # l2bench min time per repetition (s), repetitions, torch min_run_time (s)
    "quick": {"min_time": 0.005, "reps": 5, "torch_min_run": 0.02},
    "full": {"min_time": 0.05, "reps": 9, "torch_min_run": 0.3},
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


def run_l2bench(l2bench, env, group, prof, out_json, commit):
    """Run one group; return {case: {"median": s, "times": [...]}} and the JSON context."""
    cmd = [l2bench, "--benchmark_filter=^" + re.escape(group) + "/",
           f"--benchmark_min_time={prof['min_time']}",
           f"--benchmark_repetitions={prof['reps']}",
           "--benchmark_out=" + out_json, "--benchmark_out_format=json",
           "--benchmark_context=commit=" + commit]
    p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        raise SystemExit(f"report: l2bench failed on group {group} (status {p.returncode})")
    with open(out_json) as f:
        data = json.load(f)
    res = {}
    for b in data.get("benchmarks", []):
        name = b.get("run_name", b["name"]).replace("/real_time", "")
        r = res.setdefault(name, {"times": []})
        if b.get("error_occurred"):
            r["error"] = b.get("error_message", "error")
            continue
        if b.get("run_type") == "iteration":
            r["times"].append(b["real_time"] * UNIT[b["time_unit"]])
    for r in res.values():
        if r["times"]:
            r["median"] = statistics.median(r["times"])
            r["spread"] = (max(r["times"]) - min(r["times"])) / r["median"]
    return res, data.get("context", {})


UNIT = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def fmt_time(s):
    if s is None:
        return "-"
    for unit, scale in (("s", 1), ("ms", 1e-3), ("us", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s * 1e9:.3g} ns"


def shape_key(name):
    """The first size of a case (for plotting against size)."""
    parts = name.split("/")
    nums = [int(x) for x in re.findall(r"\d+", parts[3])]
    total = 1
    for x in nums[:2]:
        total *= x
    return total


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


def plots(rows, outdir, history, title):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        log(f"report: no plots ({e}); install python3-matplotlib")
        return []
    files = []

    # 1. Every ratio, slowest first.
    both = [r for r in rows if r.get("ratio")]
    if both:
        both = sorted(both, key=lambda r: -r["ratio"])
        h = max(4, 0.16 * len(both) + 1)
        fig, ax = plt.subplots(figsize=(9, h))
        colors = ["tab:red" if r["ratio"] > 1 else "tab:green" for r in both]
        ax.barh(range(len(both)), [r["ratio"] for r in both], color=colors)
        ax.set_yticks(range(len(both)))
        ax.set_yticklabels([r["name"] for r in both], fontsize=6)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.axvline(1.0, color="black", lw=0.8)
        ax.set_xlabel("libl2 time / torch time (log; < 1: libl2 faster)")
        ax.set_title(title)
        fig.tight_layout()
        fig.savefig(os.path.join(outdir, "ratios.png"), dpi=110)
        plt.close(fig)
        files.append("ratios.png")

    # 2. Ratio against size: one panel per op, one line per variant, dtype and thread count.
    series = {}
    for r in rows:
        if r.get("ratio") is None:
            continue
        op, dt, variant, _, th = r["name"].split("/")
        series.setdefault(op, {}).setdefault(f"{variant}/{dt}/{th}", []).append(r)
    panels = {op: v for op, v in series.items() if any(len(rs) > 1 for rs in v.values())}
    if panels:
        cols = 5
        nrows = (len(panels) + cols - 1) // cols
        fig, axes = plt.subplots(nrows, cols, figsize=(3.2 * cols, 2.6 * nrows), squeeze=False)
        for ax, (op, lines) in zip(axes.flat, panels.items()):
            for label, rs in sorted(lines.items()):
                rs = sorted(rs, key=lambda r: shape_key(r["name"]))
                style = "-" if label.endswith("t:1") else "--"
                ax.plot([shape_key(r["name"]) for r in rs], [r["ratio"] for r in rs], style,
                        marker="o", ms=3, lw=1, label=label)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.axhline(1.0, color="black", lw=0.6)
            ax.set_title(op, fontsize=9)
            ax.tick_params(labelsize=6)
            ax.legend(fontsize=5)
        for ax in list(axes.flat)[len(panels):]:
            ax.axis("off")
        fig.suptitle("libl2 time / torch time against elements (solid: 1 thread, dashed: more)")
        fig.tight_layout()
        fig.savefig(os.path.join(outdir, "sizes.png"), dpi=100)
        plt.close(fig)
        files.append("sizes.png")

    # 3. History: each case's ratio over the recorded runs on this machine.
    if history:
        fig, ax = plt.subplots(figsize=(9, 5))
        names = sorted({n for rec in history for n in rec["cases"]})
        xs = list(range(len(history)))
        for n in names:
            ys = [rec["cases"].get(n, {}).get("ratio") for rec in history]
            ax.plot(xs, [y if y else float("nan") for y in ys], lw=0.6, alpha=0.5, marker=".")
        gm = [rec.get("geomean_ratio") or float("nan") for rec in history]
        ax.plot(xs, gm, lw=2.5, color="black", marker="o", label="geometric mean")
        ax.set_xticks(xs)
        ax.set_xticklabels([rec["commit"][:8] + ("+" if rec.get("dirty") else "")
                            for rec in history], rotation=45, fontsize=7)
        ax.set_yscale("log")
        ax.axhline(1.0, color="grey", lw=0.8)
        ax.set_ylabel("libl2 time / torch time")
        ax.set_title(f"Ratio per case over commits ({len(names)} cases, {len(history)} runs)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(os.path.join(outdir, "history.png"), dpi=110)
        plt.close(fig)
        files.append("history.png")
    return files


def history_steps(history, window=5, threshold=0.05):
    """Cases whose latest ratio differs from the rolling median of the previous `window` records
    by more than threshold: [(case, median before, latest)]."""
    if len(history) < 2:
        return []
    steps = []
    last = history[-1]["cases"]
    for name, cur in last.items():
        prev = [rec["cases"][name]["ratio"] for rec in history[-1 - window:-1]
                if rec["cases"].get(name, {}).get("ratio")]
        if len(prev) >= 3 and cur.get("ratio"):
            med = statistics.median(prev)
            if abs(cur["ratio"] / med - 1) > threshold:
                steps.append((name, med, cur["ratio"]))
    return sorted(steps, key=lambda s: -abs(math.log(s[2] / s[1])))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="quick")
    ap.add_argument("--out", default=None)
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--no-history", action="store_true")
    ap.add_argument("--filter", default="", help="only groups (op names) matching this regex")
    args = ap.parse_args()
    profile = args.profile or "quick"
    if profile not in PROFILES:
        sys.exit(f"report: unknown profile {profile!r} (quick or full)")
    prof = PROFILES[profile]
    builddir = os.environ.get("L2_BUILDDIR", os.getcwd())
    srcdir = os.path.realpath(os.environ.get(
        "L2_SRCDIR", os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    l2bench = os.path.join(builddir, "bench", "l2bench")
    outdir = args.out or os.path.join(srcdir, "bench", "out")
    os.makedirs(outdir, exist_ok=True)
    env = dict(os.environ, L2_BENCH_PROFILE=profile)
    t0 = time.time()

    info = machine_info(srcdir)
    torch_bench = None
    if not args.no_torch:
        try:
            sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
            import torch_bench as tb
            torch_bench = tb
        except ImportError as e:
            log(f"report: torch not importable ({e}); libl2 only")

    cases = list_cases(l2bench, env)
    by_name = {c["name"]: c for c in cases}
    runnable = [c for c in cases if c["status"] == "ok"]
    groups = []
    for c in runnable:
        g = group_of(c["name"])
        if g not in groups and re.search(args.filter, g):
            groups.append(g)
    # Limits first, then everything else in registration order.
    groups.sort(key=lambda g: not g.startswith("limit."))
    n_run = sum(1 for c in runnable if group_of(c["name"]) in groups)
    log(f"report: profile {profile}, {n_run} libl2 cases in {len(groups)} groups "
        f"({len(cases) - len(runnable)} listed cases need ops libl2 lacks), commit "
        f"{info['commit'][:10]}{' (dirty)' if info['dirty'] else ''}")

    l2res, torchres, context = {}, {}, {}
    done = 0
    for gi, g in enumerate(groups):
        res, ctx = run_l2bench(l2bench, env, g, prof, os.path.join(outdir, "l2bench.json"),
                               info["commit"])
        context = context or ctx
        l2res.update(res)
        for name in [c["name"] for c in runnable if group_of(c["name"]) == g]:
            done += 1
            r = res.get(name, {})
            line = f"[{done}/{n_run}] {name}: libl2 {fmt_time(r.get('median'))}"
            if r.get("error"):
                line += f" ERROR {r['error']}"
            if torch_bench and not g.startswith("limit."):
                tr = torch_bench.time_case(name, prof["torch_min_run"])
                if tr:
                    torchres[name] = tr
                    line += f", torch {fmt_time(tr['median'])}"
                    if r.get("median"):
                        line += f", ratio {r['median'] / tr['median']:.2f}"
            log(line)

    # Combine.
    limits = {}
    for name, r in l2res.items():
        if name.startswith("limit.") and r.get("median"):
            c = by_name[name]
            limits[name] = (c["flops"] or c["bytes"]) / r["median"] / 1e9
    caches = [c.get("size", 0) for c in context.get("caches", [])]
    stream_min_bytes = 2 * max(caches, default=32 << 20)
    rows = []
    for name, r in l2res.items():
        if name.startswith("limit."):
            continue
        c = by_name[name]
        tr = torchres.get(name)
        row = {"name": name, "l2": r.get("median"), "torch": tr["median"] if tr else None,
               "error": r.get("error"), "case": c}
        row["ratio"] = row["l2"] / row["torch"] if row["l2"] and row["torch"] else None
        row["l2_spread"] = r.get("spread")
        row["torch_spread"] = tr["iqr"] / tr["median"] if tr and tr["median"] else None
        row["rate"], row["unit"] = rate_of(c, row["l2"])
        lim = limit_for(c, limits, stream_min_bytes)
        same_unit = lim and row["rate"] and lim[1] == row["unit"]
        row["share"] = row["rate"] / lim[0] if same_unit else None
        row["limit"] = lim
        rows.append(row)
    ratios = [r["ratio"] for r in rows if r["ratio"]]
    geo = gmean(ratios)
    threads = sorted({int(n.rsplit("t:", 1)[1]) for n in l2res})

    # History.
    hist_dir = os.path.join(srcdir, "bench", "history")
    hist_file = os.path.join(hist_dir, info["machine"] + ".jsonl")
    record = {
        "commit": info["commit"], "dirty": info["dirty"], "subject": info["subject"],
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": info["machine"], "cpu": info["cpu"], "cores": info["cores"],
        "compiler": info["compiler"], "cflags": info["cflags"], "threads": threads,
        "profile": profile, "torch": torch_bench.torch.__version__ if torch_bench else None,
        "benchmark_build": context.get("library_build_type"),
        "load_avg": context.get("load_avg"),
        "geomean_ratio": geo, "limits": limits,
        "cases": {r["name"]: {"median": r["l2"], "torch": r["torch"], "ratio": r["ratio"],
                          "spread": r["l2_spread"]}
                  for r in rows if r["l2"]},
    }
    history = []
    if not args.no_history:
        os.makedirs(hist_dir, exist_ok=True)
        with open(hist_file, "a") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")
    if os.path.exists(hist_file):
        with open(hist_file) as f:
            history = [json.loads(line) for line in f if line.strip()]
    steps = history_steps(history)

    title = f"libl2 vs torch {record['torch']}, {profile} profile, {info['commit'][:10]}"
    pngs = plots(rows, outdir, history, title)
    write_markdown(os.path.join(outdir, "report.md"), rows, cases, limits, geo, info, record,
                   context, prof, profile, pngs, steps, hist_file, srcdir)
    log(f"report: {len(rows)} cases, geometric-mean ratio "
        f"{geo:.3f}" if geo else "report: no ratios (torch missing?)")
    log(f"report: wrote {os.path.join(outdir, 'report.md')}"
        + (f" and {', '.join(pngs)}" if pngs else "")
        + f" in {time.time() - t0:.0f} s; history: {hist_file}")


def write_markdown(path, rows, cases, limits, geo, info, record, context, prof, profile, pngs,
                   steps, hist_file, srcdir):
    L = []
    L.append(f"# libl2 against PyTorch {record['torch'] or '(not run)'}: {profile} profile\n")
    L.append(f"Commit `{info['commit'][:12]}`{' + uncommitted changes' if info['dirty'] else ''}"
             f" ({info['subject']}), {record['date']}.\n")
    if geo:
        L.append(f"**Geometric-mean time ratio libl2 / torch: {geo:.3f}** over "
                 f"{sum(1 for r in rows if r['ratio'])} cases (< 1: libl2 faster).")
        for th in record["threads"]:
            g = gmean([r["ratio"] for r in rows if r["ratio"] and r["name"].endswith(f"/t:{th}")])
            if g:
                L.append(f"- {th} thread{'s' if th > 1 else ''}: {g:.3f}")
        fams = {}
        for r in rows:
            if r["ratio"]:
                fams.setdefault(group_of(r["name"]), []).append(r["ratio"])
        L.append("- per op: " + ", ".join(f"{k} {gmean(v):.2f}" for k, v in
                                          sorted(fams.items(), key=lambda kv: -gmean(kv[1]))))
        L.append("")
    L.append("## Machine and method\n")
    L.append(f"- Machine `{info['machine']}` (sha256 of /etc/machine-id), {info['cpu']}, "
             f"{info['cores']} cores; threads per case: {', '.join(map(str, record['threads']))} "
             "(libl2, OpenBLAS and torch all set to the case's count).")
    L.append(f"- Compiler: {info['compiler']}; flags `{info['cflags']}`.")
    if record.get("load_avg"):
        L.append("- Load average when the run started (1, 5, 15 min): "
                 + ", ".join(f"{x:.2f}" for x in record["load_avg"])
                 + ": with more runnable processes than cores, multi-thread cases stall.")
    bt = context.get("library_build_type", "?")
    L.append(f"- libl2 side: bench/l2bench, Google Benchmark (library build type: **{bt}**"
             + (": Debian's libbenchmark is a debug build; this slows only the harness loop "
                "around the code measured, not libl2" if bt == "debug" else "")
             + f"), real time, median of {prof['reps']} repetitions of >= {prof['min_time']} s.")
    L.append(f"- torch side: torch.utils.benchmark.Timer.blocked_autorange(min_run_time="
             f"{prof['torch_min_run']}) median, called from Python: torch's times include its "
             "Python dispatch (~1 us per op), as a torch user pays it; libl2 is timed from C.")
    L.append("- Both sides run group by group, alternating, in the same run; absolute numbers "
             "from other runs or machines are never compared.")
    L.append("- ratio = libl2 time / torch time; rate = counted work / libl2 time; share = rate "
             "/ the machine limit measured in this run (gemm at the same size and threads for "
             "matmul; streaming add for cases moving more than twice the largest cache per "
             "call).\n")
    L.append("## Machine limits (measured in this run)\n")
    L.append("| limit | threads | rate |")
    L.append("|---|---|---|")
    for k in sorted(limits):
        unit = "GB/s" if "stream" in k else "GFLOP/s"
        L.append(f"| {k.rsplit('/', 1)[0]} | {k.rsplit('t:', 1)[1]} | {limits[k]:.1f} {unit} |")
    L.append("")
    for png in pngs:
        L.append(f"![{png}]({png})\n")
    L.append("## Cases, slowest relative to torch first\n")
    L.append("Spread: libl2 (max - min) / median over the repetitions, torch IQR / median over "
             "the blocks; `!` marks a spread above 25% (a noisy measurement, usually a 2-thread "
             "case stalled by other load on the machine).\n")
    L.append("| case | threads | libl2 | torch | ratio | rate | share of limit "
             "| spread libl2 / torch |")
    L.append("|---|---|---|---|---|---|---|---|")
    order = sorted(rows, key=lambda r: (r["ratio"] is None, -(r["ratio"] or 0)))
    for r in order:
        name, th = r["name"].rsplit("/t:", 1)
        rate = f"{r['rate']:.3g} {r['unit']}" if r["rate"] else "-"
        share = f"{100 * r['share']:.0f}% of {r['limit'][2]}" if r["share"] else "-"
        ratio = f"{r['ratio']:.2f}" if r["ratio"] else ("error: " + r["error"] if r["error"]
                                                        else "-")
        spread = " / ".join("-" if x is None else f"{100 * x:.0f}%{'!' if x > 0.25 else ''}"
                            for x in (r["l2_spread"], r["torch_spread"]))
        L.append(f"| {name} | {th} | {fmt_time(r['l2'])} | {fmt_time(r['torch'])} | {ratio} | "
                 f"{rate} | {share} | {spread} |")
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
    L.append(f"Records in `{rel}`; history.png plots each case's ratio per recorded run.")
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
