#!/bin/sh
# dist-bench.sh BUILDDIR: make bench-dist. All-reduce bandwidth and bucketing (bench/dist-bench,
# 2 ranks), then examples/s of examples/fashion_mnist (MLP, 1 epoch, global batch 64) with 1 rank
# and with 2 ranks (--distributed, batch 32 per rank). One OpenMP/OpenBLAS thread per rank.
B=${1:-.}
MPIRUN=${MPIRUN:-mpirun}
root=""
if [ "$(id -u)" -eq 0 ]; then root="--allow-run-as-root"; fi
run() { "$MPIRUN" $root --oversubscribe -x OMP_NUM_THREADS=1 -x OPENBLAS_NUM_THREADS=1 "$@"; }
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
run -np 2 "$B/bench/dist-bench" || exit 1
echo
echo "fashion_mnist (MLP, 1 epoch, 60000 images, global batch 64):"
t1=$( { /usr/bin/time -f %e "$B/examples/fashion_mnist" --model mlp --epochs 1 --batch 64 \
        --progress no --test no >/dev/null; } 2>&1 | tail -n 1)
t2=$( { /usr/bin/time -f %e sh -c "$(command -v "$MPIRUN") $root --oversubscribe -np 2 \
        -x OMP_NUM_THREADS=1 -x OPENBLAS_NUM_THREADS=1 $B/examples/fashion_mnist \
        --distributed --model mlp --epochs 1 --batch 32 --progress no --test no >/dev/null"; } \
      2>&1 | tail -n 1)
t3=$( { /usr/bin/time -f %e sh -c "$(command -v "$MPIRUN") $root --oversubscribe -np 2 \
        -x OMP_NUM_THREADS=1 -x OPENBLAS_NUM_THREADS=1 $B/examples/fashion_mnist \
        --distributed --overlap no --model mlp --epochs 1 --batch 32 --progress no --test no \
        >/dev/null"; } 2>&1 | tail -n 1)
awk -v a="$t1" -v b="$t2" -v c="$t3" 'BEGIN {
  printf "| ranks | wall s (whole run, data loading included) | examples/s |\n|---:|---:|---:|\n";
  printf "| 1 | %.2f | %.0f |\n| 2, --overlap yes (default) | %.2f | %.0f |\n", a, 60000 / a, b, 60000 / b
  printf "| 2, --overlap no | %.2f | %.0f |\n", c, 60000 / c }'
