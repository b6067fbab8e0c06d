#!/usr/bin/env python3
"""compare_flag.py: the statistics of `make bench-compare` (run by bench/compare.sh).

Merges the interleaved rounds of each side (repetitions only, no aggregates), runs Google
Benchmark's compare.py (Debian libbenchmark-tools: per-case change and a two-sided Mann-Whitney U
test) on the two merged files, then flags a case as a REGRESSION only when the head's median real
time is more than 10% above the base's AND the U test's p-value is below alpha (0.05); the same
rule the other way marks an improvement. Writes compare.md; exit status 3 when anything regressed.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

COMPARE = "/usr/share/benchmark/compare.py"


def merge(outdir, side, rounds):
    merged = None
    for i in range(1, rounds + 1):
        with open(os.path.join(outdir, f"{side}-{i}.json")) as f:
            data = json.load(f)
        runs = [b for b in data["benchmarks"] if b.get("run_type") == "iteration"]
        if merged is None:
            merged = {"context": data["context"], "benchmarks": []}
        merged["benchmarks"].extend(runs)
    path = os.path.join(outdir, f"{side}.json")
    with open(path, "w") as f:
        json.dump(merged, f)
    return path, merged


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threshold", type=float, default=0.10)
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--base-label", default="base")
    ap.add_argument("--head-label", default="working tree")
    args = ap.parse_args()
    base_path, base = merge(args.out, "base", args.rounds)
    head_path, head = merge(args.out, "head", args.rounds)
    diff_path = os.path.join(args.out, "diff.json")
    cmd = [sys.executable, COMPARE, "--no-color", "-a", "--alpha", str(args.alpha),
           "-d", diff_path, "benchmarks", base_path, head_path]
    p = subprocess.run(cmd, capture_output=True, text=True)
    with open(os.path.join(args.out, "compare-py.txt"), "w") as f:
        f.write(p.stdout + p.stderr)
    if p.returncode != 0:
        sys.stderr.write(p.stdout + p.stderr)
        sys.exit("compare_flag: compare.py failed (is python3-scipy installed?)")
    with open(diff_path) as f:
        diff = json.load(f)
    pvalues = {d["name"]: d["utest"].get("time_pvalue") for d in diff if d.get("utest")}

    def times(data):
        t = {}
        for b in data["benchmarks"]:
            t.setdefault(b["name"], []).append(b["real_time"])
        return t
    tb, th = times(base), times(head)
    rows = []
    for name in tb:
        if name not in th:
            continue
        mb, mh = statistics.median(tb[name]), statistics.median(th[name])
        change = mh / mb - 1
        pv = pvalues.get(name)
        sig = pv is not None and pv < args.alpha
        verdict = ""
        if change > args.threshold and sig:
            verdict = "REGRESSION"
        elif change < -args.threshold and sig:
            verdict = "improvement"
        short = name.replace("/process_time", "").replace("/real_time", "")
        rows.append((short, len(tb[name]), len(th[name]), mb, mh, change, pv, verdict))
    rows.sort(key=lambda r: -r[5])
    reg = [r for r in rows if r[7] == "REGRESSION"]
    imp = [r for r in rows if r[7] == "improvement"]
    lines = [f"# bench-compare: base {args.base_label} -> head {args.head_label}\n",
             f"Rule: regression = median real time +{args.threshold:.0%} or more AND "
             f"Mann-Whitney U p < {args.alpha} (compare.py, two-sided). "
             f"{len(rows)} cases, {len(reg)} regressions, {len(imp)} improvements.\n",
             "| case | reps base/head | base median | head median | change | U-test p | verdict |",
             "|---|---|---|---|---|---|---|"]
    for name, nb, nh, mb, mh, change, pv, verdict in rows:
        lines.append(f"| {name} | {nb}/{nh} | {mb:.4g} ns | {mh:.4g} ns | {change:+.1%} | "
                     f"{'-' if pv is None else f'{pv:.4f}'} | {verdict} |")
    with open(os.path.join(args.out, "compare.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    for r in reg + imp:
        print(f"{r[7]}: {r[0]}: {r[5]:+.1%} (p = {r[6]:.4f}, {r[1]} vs {r[2]} repetitions)")
    print(f"bench-compare: {len(rows)} cases, {len(reg)} regressions, {len(imp)} improvements "
          f"(median change > {args.threshold:.0%} and U test p < {args.alpha}); "
          f"table in {os.path.join(args.out, 'compare.md')}")
    sys.exit(3 if reg else 0)


if __name__ == "__main__":
    main()
