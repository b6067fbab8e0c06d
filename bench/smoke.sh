#!/bin/sh
# smoke.sh: the CI check of the benchmarks: build bench/l2bench, run a few quick-profile cases at
# one thread for a few seconds with --benchmark_out JSON, and assert that the JSON holds results
# without errors and that every listed case has a torch twin. It never asserts a time.
# Usage (from the build directory, or with L2_BUILDDIR set): sh bench/smoke.sh
set -eu
builddir=${L2_BUILDDIR:-$PWD}
srcdir=${L2_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
py=${PYTHON_TORCH:-/usr/bin/python3} # Debian's torch imports only there
make -C "$builddir" bench/l2bench >/dev/null
out=$(mktemp "${TMPDIR:-/tmp}/l2bench-smoke.XXXXXX")
trap 'rm -f "$out" "$out.init"' EXIT INT TERM
limits='limit\.sgemm|limit\.step_gemm|limit\.step_update'
L2_BENCH_PROFILE=quick L2_BENCH_THREADS=1 "$builddir/bench/l2bench" \
    --benchmark_filter="^(zeros|clone|contiguous|view|cat|copy_|add|mm|sum|softmax|$limits)/" \
    --benchmark_min_time=0.01 --benchmark_out="$out" --benchmark_out_format=json \
    >/dev/null 2>&1
"$py" - "$out" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
runs = [b for b in data.get("benchmarks", []) if b.get("run_type") == "iteration"]
errors = [b["name"] + ": " + b.get("error_message", "") for b in runs if b.get("error_occurred")]
if not runs:
    sys.exit("smoke: l2bench produced no results")
if errors:
    sys.exit("smoke: cases failed:\n  " + "\n  ".join(errors))
if not any(b["name"].startswith("limit.sgemm/") for b in runs):
    sys.exit("smoke: the machine-limit cases did not run")
for part in ("step_gemm/f32/mlp.", "step_gemm/f32/cnn.", "step_update/f32/mlp.",
             "step_update/f32/cnn."):
    if not any(b["name"].startswith("limit." + part) for b in runs):
        sys.exit(f"smoke: no limit.{part}* result (the training steps' limits)")
print(f"smoke: {len(runs)} l2bench results in the JSON "
      f"(library build type {data['context'].get('library_build_type')})")
PY
# Every case, including those whose op libl2 lacks, must have a torch twin.
if "$py" -c 'import torch' >/dev/null 2>&1; then
    "$builddir/bench/l2bench" --l2_list | cut -f1 | "$py" -c '
import sys
sys.path.insert(0, sys.argv[1])
import torch_bench
names = [l.strip() for l in sys.stdin if l.strip()]
for n in names:
    torch_bench.parse_name(n)
    if "4096" not in n:
        built = torch_bench.build_case(n)
        if built:
            torch_bench.cleanup(built[1])
print(f"smoke: {len(names)} cases listed, each with a torch twin")
' "$srcdir/bench"
fi
# The report's mechanics on the smoke JSON and on made-up numbers (no time is asserted).
"$py" - "$srcdir/bench" "$out" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
import report
res = report.gb_results(json.load(open(sys.argv[2])))
mm = res.get("mm/f32/contig/64x64/t:1")
if not mm or len(mm["cpu_times"]) != 1 or not mm["cpu_median"] > 0:
    sys.exit(f"smoke: no wall and CPU time for mm/f32/contig/64x64/t:1 in {sorted(res)[:3]}")
name = "mm/f32/contig/256x256/t:1"
if not report.gemm_check(name, 1, "torch-py", {"median": 1.0, "cpu_median": 1.9}):
    sys.exit("smoke: the GEMM thread check missed CPU time 1.9 x wall at 1 thread")
if report.gemm_check(name, 1, "torch-py", {"median": 1.0, "cpu_median": 1.1}):
    sys.exit("smoke: the GEMM thread check fired on CPU time 1.1 x wall at 1 thread")
ok = {"median": 1.0, "spread": 0.05}
row = {"threads": 2, "load": 9.0, "l2": ok, "cpp": None, "py": {"median": 1.0, "spread": 0.4}}
report.trust(row, 2.0)
if len(row["why"]["py"]) != 2:
    sys.exit(f"smoke: trust() should name the load and the spread: {row['why']['py']}")
if row["why"]["cpp"] is not None:
    sys.exit("smoke: trust() judged a libtorch column that was not run")
row = dict(row, threads=1, py=ok)
report.trust(row, 2.0)
if row["why"]["py"] != []:
    sys.exit(f"smoke: trust() rejected a quiet 1-thread case: {row['why']['py']}")
print("smoke: report mechanics (CPU time, GEMM thread check, trust rule) ok")
# Issue 12's fields: step limits from the limit.step_* results, one target line each with a
# verdict, the history record's rules / targets / rss / step_limits, comparable records only.
import report_targets as rt
times = {k: v["median"] for k, v in res.items() if k.startswith("limit.") and v.get("median")}
cpu = {k: v["cpu_median"] for k, v in res.items() if k.startswith("limit.")}
lim = rt.step_limits(times, [1], cpu)
for model in ("mlp", "cnn"):
    if not lim.get((model, 1), {}).get("time", 0) > 0 or not lim[(model, 1)]["cpu"]:
        sys.exit(f"smoke: no {model} step limit (wall and CPU) from the limit.step_* results")
tg = rt.targets([], {1: {"cpp": None, "py": None}}, [], lim, {"error": "x"}, [1], "quick")
if len(tg) < 10 or any(set(t) != {"target", "value", "goal", "verdict", "note"} for t in tg):
    sys.exit(f"smoke: targets() should give every target with its fields: {tg[:2]}")
rec = rt.add_record_fields({"profile": "quick", "threads": [1]}, tg, None, lim, 1.0)
for key in ("rules", "targets", "rss", "step_limits", "report_seconds"):
    if key not in rec:
        sys.exit(f"smoke: the history record lacks {key}")
old = {"profile": "quick", "threads": [1]}
if rt.rules_of(old) == rt.RULES or rt.comparable([old, rec], rec) != [rec]:
    sys.exit("smoke: a record of older rules (no 'rules', no 'headlines') compared with a new one")
print(f"smoke: step limits, {len(tg)} targets, history record fields and rules ok")
PY
# The resident-memory mode prints its JSON (a few steps of the small model; no size asserted).
L2_BENCH_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
    "$builddir/bench/l2bench" --l2_rss=small,2,5 | "$py" -c '
import json, sys
r = json.loads(sys.stdin.read().strip().splitlines()[-1])
for key in ("model", "threads", "steps", "rss_kib", "maxrss_kib", "seconds"):
    if key not in r:
        sys.exit(f"smoke: l2bench --l2_rss JSON lacks {key}: {r}")
if r["steps"] != [2, 5] or min(r["rss_kib"] + r["maxrss_kib"]) <= 0:
    sys.exit(f"smoke: l2bench --l2_rss gave no resident sizes: {r}")
print("smoke: l2bench --l2_rss JSON fields ok")
'
# The training twin is the same model, schedule and clipping: 20 steps (5 of warmup, clipped to
# norm 1) on both sides give the same first and last losses.
data=/usr/share/datasets/fashion-mnist
if [ -f "$data/train-images-idx3-ubyte.gz" ] && "$py" -c 'import torch' >/dev/null 2>&1; then
    make -C "$builddir" examples/fashion_mnist >/dev/null
    init=$out.init
    args="--model mlp --steps 20 --limit 1280 --epochs 1 --batch 64 --warmup 5 --clip 1.0"
    l2=$(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$builddir/examples/fashion_mnist" $args \
        --order file --test no --progress no --init "$init" |
        sed -n 's/.*first loss \([^,]*\), last loss \(.*\)$/\1 \2/p')
    tw=$(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$py" "$srcdir/bench/train_twin.py" $args \
        --init "$init" 2>/dev/null | sed -n 's/.*first loss \([^,]*\), last loss \(.*\)$/\1 \2/p')
    rm -f "$init"
    "$py" -c 'import sys; a, b = sys.argv[1].split(), sys.argv[2].split(); sys.exit(
        0 if len(a) == len(b) == 2 and all(abs(float(x) - float(y)) < 1e-4 for x, y in zip(a, b))
        else f"smoke: losses (first, last) libl2 {a} != twin {b}")' "$l2" "$tw"
    echo "smoke: training twin agrees (first and last loss libl2 $l2, torch $tw)"
else
    echo "smoke: training twin NOT checked (no Fashion-MNIST in $data or no torch in $py)"
fi
echo "smoke: ok"
