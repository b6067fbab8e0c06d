#!/bin/sh
# smoke.sh: the CI check of the benchmarks: build bench/l2bench, run a few quick-profile cases at
# one thread for a few seconds with --benchmark_out JSON, and assert that the JSON holds results
# without errors and that every listed case has a torch twin. It never asserts a time.
# Usage (from the build directory, or with L2_BUILDDIR set): sh bench/smoke.sh
set -eu
builddir=${L2_BUILDDIR:-$PWD}
srcdir=${L2_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
py=${PYTHON_TORCH:-python3}
make -C "$builddir" bench/l2bench >/dev/null
out=$(mktemp "${TMPDIR:-/tmp}/l2bench-smoke.XXXXXX")
trap 'rm -f "$out"' EXIT INT TERM
L2_BENCH_PROFILE=quick L2_BENCH_THREADS=1 "$builddir/bench/l2bench" \
    --benchmark_filter='^(zeros|clone|contiguous|view|cat|copy_|add|mm|sum|softmax|limit\.sgemm)/' \
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
        torch_bench.build_case(n)
print(f"smoke: {len(names)} cases listed, each with a torch twin")
' "$srcdir/bench"
fi
echo "smoke: ok"
