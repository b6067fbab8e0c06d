#!/bin/sh
# dist.sh: libl2-dist (issue 17). TAP. Without MPI (configure --with-mpi) only the first check
# runs: the core libl2 has no MPI symbol, library or header. The rest needs mpirun (skipped with a
# reason otherwise): 2 ranks (--oversubscribe, --allow-run-as-root as root, one thread each):
# tests/dist-train train (broadcast, DDP equals one process with batch 2B, SUM, mismatched lists),
# die and stall (a failing rank gives errors, not a hang; each under `timeout 60`), tests/dist-overlap
# overlap and stall (l2_dist_ddp, the all-reduce overlapped with backward), and without
# mpirun tests/dist-args (error statuses without MPI calls, the sampler's coverage) and its index
# lists against torch's DistributedSampler (when torch is found).
B=${L2_BUILDDIR:-.}
S=${L2_SRCDIR:-.}
n=0
fails=0
t_ok() { n=$((n + 1)); echo "ok $n - $1"; }
t_notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
t_skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
diag() { sed 's/^/# /'; }

# 1. The core library stays free of MPI.
lib=$B/libl2/.libs/libl2.so
if [ ! -f "$lib" ]; then lib=$B/libl2/.libs/libl2.a; fi
mpi_syms=$(nm -D "$lib" 2>/dev/null | grep -Ei ' (U|T) (MPI_|PMPI_|ompi_)' | head -3)
mpi_dep=$(readelf -d "$lib" 2>/dev/null | grep -i 'NEEDED.*mpi')
mpi_inc=$(grep -l 'mpi\.h' "$S"/libl2/*.c "$S"/libl2/*.h "$S"/libl2/ops/*.c "$S"/libl2/nn/*.c \
    "$S"/libl2/io/*.c 2>/dev/null)
if [ -f "$lib" ] && [ -z "$mpi_syms$mpi_dep$mpi_inc" ]; then
    t_ok "libl2 has no MPI symbol, no libmpi dependency, no mpi.h ($lib)"
else
    t_notok "libl2 is not free of MPI ($lib): ${mpi_syms}${mpi_dep}${mpi_inc}"
fi

if [ "x$HAVE_MPI" != xyes ]; then
    t_skip "libl2-dist not built (configure found no MPI: --with-mpi)"
    echo "1..$n"
    exit 0
fi

# 2. Errors without MPI calls, the sampler's coverage (no mpirun).
out=$("$B/tests/dist-args" 2>&1)
rc=$?
if [ $rc -eq 0 ]; then t_ok "dist-args: $(echo "$out" | grep -c '^ok') checks"
else echo "$out" | grep -v '^ok' | diag; t_notok "dist-args failed ($rc)"; fi
"$B/tests/dist-args" abort >/dev/null 2>&1
rc=$?
if [ $rc -eq 5 ]; then t_ok "l2_dist_abort(5) before init ends the process with status 5"
else t_notok "l2_dist_abort(5) before init: status $rc"; fi

# 3. The sampler's index lists against torch's DistributedSampler.
if [ "x$HAVE_TORCH" = xyes ]; then
    out=$("$B/tests/dist-args" dump | "${PYTHON_TORCH:-/usr/bin/python3}" \
          "$S/tests/dist_sampler_torch.py" 2>&1)
    rc=$?
    echo "$out" | diag
    if [ $rc -eq 0 ]; then t_ok "sampler index lists equal torch's DistributedSampler"
    else t_notok "sampler index lists differ from torch's"; fi
else
    t_skip "torch not found: sampler not compared with torch's DistributedSampler"
fi

MPIRUN=${MPIRUN:-mpirun}
if ! command -v "$MPIRUN" >/dev/null 2>&1; then
    for what in "2 ranks train as 1" "a dying rank" "a stalled rank" "overlap" "overlap stall"; do
        t_skip "mpirun not found: $what"
    done
    echo "1..$n"
    exit 0
fi
root=""
if [ "$(id -u)" -eq 0 ]; then root="--allow-run-as-root"; fi
# Leak checks make no sense for MPI processes that are killed on purpose or keep MPI's own state.
# Last, so that it wins over a detect_leaks=1 the caller set (CI's ASan build does).
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS
run2() {
    timeout 60 "$MPIRUN" $root --oversubscribe -np 2 -x OMP_NUM_THREADS=1 \
        -x OPENBLAS_NUM_THREADS=1 -x ASAN_OPTIONS "$B/tests/dist-train" "$@" 2>&1
}

# 4. (a) (b): 2 ranks.
out=$(run2 train)
rc=$?
echo "$out" | grep -v '^ok' | diag
if [ $rc -eq 0 ] && ! echo "$out" | grep -q '^not ok'; then
    t_ok "2 ranks: $(echo "$out" | grep -c '^ok') checks (broadcast, DDP = one process, SUM, mismatch)"
else
    t_notok "2 ranks: dist-train train failed (exit $rc)"
fi

# 5. (d) a rank that exits: mpirun ends the job with a non-zero status, well within the timeout.
start=$(date +%s)
out=$(run2 die)
rc=$?
el=$(( $(date +%s) - start ))
echo "$out" | diag
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && echo "$out" | grep -q 'exited on signal\|non-zero status\|exit code\|exit status'; then
    t_ok "a rank that exits with 3: the job fails (mpirun status $rc) in ${el} s, no hang"
else
    t_notok "a rank that exits with 3: mpirun status $rc after ${el} s (124: timeout, a hang)"
fi

# 6. (d) a rank that stops taking part: the other's all-reduce times out (2 s) with L2_ERR_COMM.
start=$(date +%s)
out=$(run2 stall)
rc=$?
el=$(( $(date +%s) - start ))
echo "$out" | diag
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ "$el" -lt 25 ] &&
   echo "$out" | grep -q 'rank 0, step 3: L2_ERR_COMM: l2_dist_allreduce_grads: timed out after 2 s'; then
    t_ok "a stalled rank: rank 0 gets L2_ERR_COMM (timed out after 2 s) and aborts the job in ${el} s"
else
    t_notok "a stalled rank: mpirun status $rc after ${el} s, no L2_ERR_COMM timeout message"
fi

# 7. l2_dist_ddp: the all-reduce overlapped with backward (2 ranks), and its stall case.
run2o() {
    timeout 60 "$MPIRUN" $root --oversubscribe -np 2 -x OMP_NUM_THREADS=1 \
        -x OPENBLAS_NUM_THREADS=1 -x ASAN_OPTIONS "$B/tests/dist-overlap" "$@" 2>&1
}
out=$(run2o overlap)
rc=$?
echo "$out" | grep -v '^ok' | diag
if [ $rc -eq 0 ] && ! echo "$out" | grep -q '^not ok'; then
    t_ok "overlap, 2 ranks: $(echo "$out" | grep -c '^ok') checks (= l2_dist_allreduce_grads bitwise, buckets started in backward, discard, errors)"
else
    t_notok "overlap, 2 ranks: dist-overlap overlap failed (exit $rc)"
fi
start=$(date +%s)
out=$(run2o stall)
rc=$?
el=$(( $(date +%s) - start ))
echo "$out" | diag
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ "$el" -lt 25 ] &&
   echo "$out" | grep -q 'rank 0, step 3: L2_ERR_COMM: l2_dist_ddp_wait: timed out after 2 s'; then
    t_ok "overlap, a rank that skips the wait: rank 0 gets L2_ERR_COMM (timed out after 2 s) in ${el} s"
else
    t_notok "overlap, a rank that skips the wait: mpirun status $rc after ${el} s, no timeout message"
fi

echo "1..$n"
[ $fails -eq 0 ]
