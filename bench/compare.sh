#!/bin/sh
# compare.sh BASE [HEAD]: `make bench-compare BASE=<commit> [HEAD=<commit>]`. Builds libl2 at BASE
# (and at HEAD if given; else the working tree's build is the head) in temporary git worktrees
# under the build directory, links the working tree's bench/ sources against both libraries with
# the same commands, runs the two binaries interleaved
# (rounds alternate base and head; each round runs every case with repetitions in random
# interleaved order; 3 x 3 = 9 repetitions per side by default), and hands the results to
# compare_flag.py: a regression is a median slowdown > 10% with a significant Mann-Whitney U test.
# Environment: BENCH_FILTER (regex, default all), BENCH_ROUNDS (3), BENCH_REPS (3),
# L2_BENCH_PROFILE (quick), L2_BENCH_THREADS, BENCH_MIN_TIME (0.02), KEEP_BASE=1 keeps the tree.
set -eu
base=${1:-}
headrev=${2:-}
if [ -z "$base" ]; then
    echo "usage: make bench-compare BASE=<commit> [HEAD=<commit>]" >&2
    exit 2
fi
srcdir=${L2_SRCDIR:?run through make bench-compare}
builddir=${L2_BUILDDIR:?run through make bench-compare}
py=${PYTHON_TORCH:-python3}
rounds=${BENCH_ROUNDS:-3}
reps=${BENCH_REPS:-3}
filter=${BENCH_FILTER:-.}
min_time=${BENCH_MIN_TIME:-0.02}
export L2_BENCH_PROFILE=${L2_BENCH_PROFILE:-quick}

out=$builddir/bench/compare
mkdir -p "$out"

# 1. Libraries at the commits, each built in its own worktree (kept between runs unless removed).
build_lib() { # $1 commit sha; prints the worktree path
    wt=${BENCH_BASE_DIR:-$builddir/bench-base}/$(echo "$1" | cut -c1-10)
    if [ ! -f "$wt/_build/libl2/libl2.la" ]; then
        rm -rf "$wt"
        git -C "$srcdir" worktree add -f --detach "$wt" "$1" >/dev/null 2>&1
        echo "bench-compare: building libl2 at $(echo "$1" | cut -c1-10) in $wt" >&2
        (cd "$wt" && autoreconf -fi >/dev/null 2>&1 && mkdir -p _build && cd _build &&
            ../configure --disable-static >/dev/null && make -j2 libl2/libl2.la >/dev/null) >&2
    fi
    echo "$wt"
}
sha=$(git -C "$srcdir" rev-parse --verify "$base^{commit}")
short=$(echo "$sha" | cut -c1-10)
wt=$(build_lib "$sha")
if [ -n "$headrev" ]; then
    hsha=$(git -C "$srcdir" rev-parse --verify "$headrev^{commit}")
    hlabel=$(echo "$hsha" | cut -c1-10)
    hwt=$(build_lib "$hsha")
    hsrc=$hwt
    hbuild=$hwt/_build
else
    hlabel="working tree ($(git -C "$srcdir" rev-parse --short HEAD))"
    hwt=
    hsrc=$srcdir
    hbuild=$builddir
    make -C "$builddir" libl2/libl2.la >/dev/null
fi
echo "bench-compare: base $short ($(git -C "$srcdir" log -1 --format=%s "$sha")), head $hlabel"

# 2. The same bench sources linked against each library, with the same commands.
build_bench() { # $1 libl2 source dir, $2 libl2 build dir, $3 output binary
    objdir=$(dirname "$3")/obj-$(basename "$3")
    mkdir -p "$objdir"
    ${BENCH_CXX:-c++} -std=c++17 -O2 -I"$1/libl2" -I"$srcdir/bench" ${BENCHMARK_CFLAGS:-} \
        -c "$srcdir/bench/shim.cc" -o "$objdir/shim.o"
    for f in main cases-core cases-ops cases-nn cases-limits; do
        ${BENCH_CC:-cc} -std=c11 -D_GNU_SOURCE -O2 ${OPENMP_CFLAGS:-} ${OPENBLAS_CFLAGS:-} \
            -I"$1/libl2" -I"$srcdir/bench" -c "$srcdir/bench/$f.c" -o "$objdir/$f.o"
    done
    ${BENCH_CXX:-c++} -o "$3" "$objdir"/*.o -L"$2/libl2/.libs" -ll2 \
        -Wl,-rpath,"$2/libl2/.libs" ${BENCHMARK_LIBS:-} ${OPENBLAS_LIBS:-} \
        ${OPENMP_CFLAGS:-} -ldl -lm
}
build_bench "$wt" "$wt/_build" "$out/l2bench-base"
build_bench "$hsrc" "$hbuild" "$out/l2bench-head"

# 3. Interleaved runs.
i=1
while [ "$i" -le "$rounds" ]; do
    for side in base head; do
        echo "bench-compare: round $i/$rounds, $side ($reps repetitions per case)"
        "$out/l2bench-$side" --benchmark_filter="$filter" --benchmark_min_time="$min_time" \
            --benchmark_repetitions="$reps" --benchmark_enable_random_interleaving=true \
            --benchmark_out="$out/$side-$i.json" --benchmark_out_format=json \
            --benchmark_context=side="$side" >/dev/null 2>"$out/$side-$i.log" ||
            { cat "$out/$side-$i.log" >&2; exit 1; }
    done
    i=$((i + 1))
done

# 4. Statistics.
status=0
"$py" "$srcdir/bench/compare_flag.py" --out "$out" --rounds "$rounds" \
    --base-label "$short" --head-label "$hlabel" || status=$?
if [ "${KEEP_BASE:-0}" != 1 ]; then
    for w in "$wt" $hwt; do
        git -C "$srcdir" worktree remove --force "$w" && rm -rf "$w"
    done
fi
exit $status
