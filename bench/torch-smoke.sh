#!/bin/sh
# torch-smoke.sh: the CI check of bench/torchbench (run by make bench-smoke when it is built):
# every l2bench case has a libtorch twin except the machine limits, safetensors and checkpoints (their
# twins are torch.save in Python) and the data loader (torch's DataLoader is Python), and a few
# quick cases run at one thread into JSON without errors under l2bench's names. Never a time.
# Usage (from the build directory, or with L2_BUILDDIR set): sh bench/torch-smoke.sh
set -eu
builddir=${L2_BUILDDIR:-$PWD}
py=${PYTHON_TORCH:-python3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/torch-smoke.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
export L2_BENCH_PROFILE=quick L2_BENCH_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
"$builddir/bench/l2bench" --l2_list | cut -f1 >"$tmp/l2names"
"$builddir/bench/torchbench" --torch_list_cases >"$tmp/cases" 2>/dev/null
bad=$(grep -v '	ok$' "$tmp/cases" | grep -v -E '^(limit\.|safetensors_|checkpoint_|loader_)' || true)
if [ -n "$bad" ]; then
    echo "torch-smoke: l2bench cases without a libtorch twin:"; echo "$bad"; exit 1
fi
"$builddir/bench/torchbench" \
    --benchmark_filter='^(zeros|slice|cat\+bwd|add|exp|sum|mm|softmax\+bwd|conv2d)/' \
    --benchmark_min_time=0.01 --benchmark_out="$tmp/out.json" --benchmark_out_format=json \
    >/dev/null 2>&1
"$py" - "$tmp/out.json" "$tmp/l2names" <<'PY'
import json, re, sys
data = json.load(open(sys.argv[1]))
names = set(open(sys.argv[2]).read().split())
runs = [b for b in data.get("benchmarks", []) if b.get("run_type") == "iteration"]
if len(runs) < 10:
    sys.exit(f"torch-smoke: only {len(runs)} torchbench results")
errors = [b["name"] + ": " + b.get("error_message", "") for b in runs if b.get("error_occurred")]
if errors:
    sys.exit("torch-smoke: cases failed:\n  " + "\n  ".join(errors))
strip = re.compile(r"/(process_time|real_time)")
alien = [b["name"] for b in runs if strip.sub("", b["name"]) not in names]
if alien:
    sys.exit("torch-smoke: names l2bench does not list: " + ", ".join(alien))
if not all(b["cpu_time"] > 0 and b["real_time"] > 0 for b in runs):
    sys.exit("torch-smoke: a result without CPU or wall time")
print(f"torch-smoke: {len(runs)} torchbench results, all under l2bench's names")
PY
echo "torch-smoke: ok"
