#!/bin/sh
# torch-run.sh: run bench/torchbench (the libtorch C++ twin of l2bench) to one Google Benchmark
# JSON file, one process per thread count with OMP_NUM_THREADS and OPENBLAS_NUM_THREADS pinned to
# that count (torchbench also sets at::set_num_threads and openblas_set_num_threads per case) and
# OMP_WAIT_POLICY=PASSIVE unless set (OpenMP's busy-wait stalls 2-thread timings on a busy host).
# The case list is l2bench's (`l2bench --l2_list`), so the names pair with l2bench's JSON.
# Usage (from the build directory, or with L2_BUILDDIR set):
#     sh bench/torch-run.sh [OUT.json] [Google Benchmark flags ...]
# Environment: L2_BENCH_PROFILE (quick|full), L2_BENCH_THREADS ("1" or "1,2"; default 1 and the
# online cores), PYTHON_TORCH (any python3: merges the per-thread JSON files).
set -eu
builddir=${L2_BUILDDIR:-$PWD}
out=${1:-$builddir/bench/out/torchbench.json}
[ $# -gt 0 ] && shift
py=${PYTHON_TORCH:-python3}
threads=${L2_BENCH_THREADS:-1,$(getconf _NPROCESSORS_ONLN)}
mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/torchbench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
parts=""
for t in $(echo "$threads" | tr ',' ' ' | xargs -n1 | sort -un); do
    L2_BENCH_THREADS=$t "$builddir/bench/l2bench" --l2_list >"$tmp/list.$t"
    OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE} \
        "$builddir/bench/torchbench" --torch_list="$tmp/list.$t" \
        --benchmark_out="$tmp/t$t.json" --benchmark_out_format=json "$@" >&2
    parts="$parts $tmp/t$t.json"
done
# One file: the first run's context (plus each run's thread count), every run's benchmarks.
"$py" - "$out" $parts <<'PY'
import json, sys
out, parts = sys.argv[1], sys.argv[2:]
merged = None
for p in parts:
    d = json.load(open(p))
    if merged is None:
        merged = d
        merged["context"]["torchbench_runs"] = []
    else:
        merged["benchmarks"].extend(d["benchmarks"])
    merged["context"]["torchbench_runs"].append(
        {"omp_num_threads": p.rsplit("/t", 1)[1][:-5], "date": d["context"].get("date")})
with open(out, "w") as f:
    json.dump(merged, f, indent=1)
print(f"torch-run: {len(merged['benchmarks'])} results in {out}", file=sys.stderr)
PY
