#!/bin/sh
# mutation.sh: proves that make check's checks can fail. Builds libl2 once in a temporary
# directory with --enable-fault-injection, then for each realistic fault in the table below
# (a hook `if (l2__fault("name"))` in the kernel, switched on by L2_FAULT=name) runs only the
# checks that should catch it: C test programs of make check built against that library, and the
# oracle on a few ops (run.py --ops, its own case phases, the smallest case budget, no
# shrinking). A fault is caught when a check fails under it and passes without it (baselines
# without L2_FAULT come first); the TAP line names every check that caught it. A fault whose
# hook is not in the sources is SKIPped. TAP on stdout.
# Env: L2_SRCDIR (source tree), PYTHON_TORCH, MAKE, ORACLE_MUT_CASES (run.py --cases, default
# 1: the per-op minimum), ORACLE_MUT_FAULTS (comma-separated subset), ORACLE_MUT_JOBS (oracle
# runs at once, default 2), ORACLE_MUT_NO_ORACLE=1 (C tests only).
set -u
src=${L2_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
py=${PYTHON_TORCH:-/usr/bin/python3}
make=${MAKE:-make}
cases=${ORACLE_MUT_CASES:-1}
jobs=${ORACLE_MUT_JOBS:-2}
t0=$(date +%s)

# name | C test programs | oracle ops ("graph": the whole-graph oracle; "gg_X": the second
# derivatives of l2_X, gradgrad.py --ops l2_X, its lines renamed l2_gg_X) | the fault
table() {
    cat <<'EOF'
stride|test-view test-elementwise test-elementwise-grad|clone,contiguous|copy reads its source as contiguous
grad_sign|test-view test-coverage-layouts|clone|clone's gradient has its sign flipped
tiled_stride|test-reduce test-threads|max_dim,norm,var|a short last tile read at its width
iter_chunk|test-threads|add,exp|each thread of an elementwise loop drops its last element
reduce_chunk|test-threads|sum_dims,max_dim|each thread of a reduction drops its last output
scan_bw_rows|test-scan|cumprod,cummax,logcumsumexp|scans (issue 14, scan): each thread of a scan backward leaves its last row out
vred_tail|test-reduce test-reduce-grad|sum_dims,mean_dims|outer-dim sums skip the partial block of outputs
vcols_rows|test-reduce|sum_dims,mean_dims|float32 column sums drop the rows after the last whole group of 8
vred_lane|test-reduce test-reduce-grad test-threads|sum,sum_dims,mean_dims,var,norm|vector sums drop a lane
vec_tail|test-elementwise test-elementwise-grad|add,mul|the contiguous binary loop skips its n % 8 tail
pow_guard|test-elementwise test-elementwise-grad|pow|pow's d/db without its x == 0 guard
softmax_max|test-nn|softmax,log_softmax|softmax without max subtraction
bn_unbiased|test-nn test-nn-grad|batch_norm|batch_norm normalises by the unbiased variance
exp_f32|test-elementwise test-elementwise-grad test-autograd|exp|float64 exp computed in float32
bcast_grad|test-elementwise-grad test-reduce test-reduce-grad|add,mul|broadcast gradients assigned, not summed
inplace_contig|test-elementwise test-elementwise-grad test-coverage-layouts|relu_,add_|in-place output as contiguous
blas_lda|test-linalg|mm,matmul|BLAS lda of a transposed operand ignores padding
baddbmm_small_beta|test-baddbmm|baddbmm|baddbmm below its BLAS threshold (K*M*N < 400, torch's loop) with beta taken as 1
baddbmm_gemm_alpha|test-baddbmm|baddbmm|baddbmm at and above its BLAS threshold with alpha taken as 1
conv_pad|test-conv|conv2d|im2col pads one column too few on the left
im2col_row|test-conv|conv2d|an im2col row copy one element short at the padded right edge
im2col_same|test-conv test-conv-blocks|conv2d|the same-size im2col leaves the wrapped cells at the right edge
col2im_same|test-conv test-conv-blocks|conv2d|the same-size col2im adds the wrapped cells at the right edge into the next row
pool2x2_edge|test-conv|max_pool2d|the 2x2 stride-2 pool reads the wrong window at the last column
pool2x2_bwd|test-conv|max_pool2d|the 2x2 pool backward sends the last column gradient aside
pool2x2_vec|test-conv|max_pool2d|the AVX2 2x2 max pool reports the last cell of a window as the third (float32 gradients misplaced)
pool2x2_bwdvec|test-conv|max_pool2d|the AVX2 2x2 max pool backward sends the gradient of a maximum at the second row's first cell to the first row
pool2x2_tail|test-conv|max_pool2d|the AVX2 2x2 max pool (forward and backward) stores a partial vector one element short
conv_group_tail|test-conv-blocks|conv2d|conv2d skips the partial last sample block of a slot
conv_bias|test-conv test-conv-blocks|conv2d|conv2d's fused scatter adds the next channel's bias
conv_db_tail|test-conv test-conv-blocks|conv2d|conv2d's bias gradient drops each row's L % 8 tail
conv_small_tap|test-conv test-conv-blocks|conv2d|conv2d's direct small-K path reads its last tap one cell to the right (forward and weight gradient)
conv_small_out|test-conv test-conv-blocks|conv2d|conv2d's direct small-K forward leaves the last cell of each channel unwritten
conv_small_db|test-conv test-conv-blocks|conv2d|conv2d's direct small-K bias gradient drops each channel's last block of 24 positions
conv_small_mask|test-conv-blocks|conv2d|conv2d's direct small-K weight gradient multiplies the thrown-away positions' cells too (0 * inf gives NaN)
conv_small_flip|test-conv-blocks|conv2d|conv2d's direct small-K dx convolves dy with the kernel unflipped
index_axpy|test-index3 test-adv-put|index_add,index_put|index_add's float row add (also index_put with accumulate) leaves each row's last element out
index_bounds|test-index|index_select,gather|an index equal to the dim size is accepted
take_bounds|test-index2|take|take accepts an index equal to numel (reads one past the end)
bernoulli_flip|test-sample|bernoulli,bernoulli_p|bernoulli's comparison turned round (ones with probability 1 - p)
gn_mean|test-norm2|group_norm,instance_norm|group_norm's dx drops the mean(dy w) term
diagonal_bwd|test-shape|diagonal,diag|diagonal's backward leaves its gradient zero (shape)
index3_bounds|test-index3|index_copy,index_add|index_fill/copy/add accept an index equal to the dim size
scatter_grad_self|test-uniq|scatter,scatter_value|scatter's gradient of t keeps dy at the scattered positions (uniq)
adv_nowrap|test-adv|index_tensors|index_tensors reads a negative index as 0 instead of wrapping it
put_acc_first|test-adv-put|index_put,index_put_|index_put with accumulate=true overwrites repeated positions instead of adding them up
scope_leak|test-ownership||l2_scope_end leaves the scope's first tensor alive
grain_class|test-threads|exp,sin|math-class loops run on the default grain's team: ranges skipped
optim_fused|test-optim||the fused adam step forgets exp_avg_sq's bias correction
vexp_tail|test-vmath|exp,sigmoid|vector math kernels leave the n % 8 tail's inputs as output
vmath_poly|test-vmath|exp,sigmoid,silu|float32 vector exp: degree-4 coefficient 1/20, not 1/24
rng_stream|test-random||each thread of a random fill counts from 0: threads draw the same block
layout_follow|test-layout|relu,tanh,add|an output laid out after its inputs written as contiguous
tile_edge|test-layout|add,contiguous|the partial tiles of a mixed-layout loop are skipped
alloc_reuse|test-alloc|add,mm|a cached block is handed out while still in its free list
grad_adopt|test-alloc||a gradient still shared is adopted as .grad
fill_tail|test-fills|fill_|fills (issue 12): a fill run with a vector tail leaves its last element
arange_lane|test-fills||fills (issue 12): arange's lanes count from start, not torch's rounded base
sumto_tail|test-sumto|add,mul|broadcast gradients' row path leaves the K % 4 outputs out
ew_rows|test-elementwise test-elementwise-grad|add,mul|elementwise rows (issue 12, bcast): a two-dim iteration on one thread leaves its last row out
sumrows_block|test-reduce|sum_dims,mean_dims,sum|float32 row sums (issue 12, bcast): a row longer than one block keeps only its first block
sumto_rows4|test-sumto|add,mul|float32 broadcast gradients (issue 12, bcast): the R % 4 rows after the last group of four left out
vgelu_poly|test-vmath|gelu|float32 vector gelu (issue 12): the erfc fit's constant -1.3, not -1.3649
adam_vec|test-optim||AVX2 adam step (issue 12, elementwise area): the n % width tail left out
softmax_vec_tail|test-nn test-nn-grad|softmax,log_softmax,cross_entropy|float32 vmath softmax rows: no n % 8 tail
randn_lane|test-random||random (issue 12): float32 normal lanes: lane 5 of 16 takes its left neighbour's counter
maxrow_tail|test-maxrow|max_dim,argmax_dim|reductions (issue 12): float32 max/min rows skip their n % 8 tail
maxrow_nan|test-maxrow|max_dim,min_dim|reductions (issue 12): float32 max/min rows do not look for NaN
bcast_fill|test-copies|clone,contiguous,copy_|copies (issue 12): a copy from a broadcast source leaves each run's last element
copyt_edge|test-copies|contiguous,clone,copy_|copies (issue 12): transposed 4-byte copies leave a block's columns past a multiple of 8
cast_tail|test-fills test-elementwise test-elementwise-grad|to_dtype|cast loops (issue 12): a widening cast leaves each run's last element
gelut_k|test-vmath|gelu|float32 vector gelu, tanh form: the exp's argument halved
trig_lane|test-vmath|sin,cos|sin/cos lane-by-lane path: every lane takes lane 0's value
gemm_edge|test-gemm|mm,addmm,conv2d|gemm (issue 12): the own sgemm's edge tiles lose a column
gemm_kc|test-gemm|mm,linear,conv2d|gemm (issue 12): the own sgemm drops its second K block
gemm_swap|test-gemm|mm,linear,conv2d|gemm (issue 12): the transposed product for N < 16 read back untransposed
gemm_tpack|test-gemm|mm,conv2d|gemm (issue 12): the AVX2 transposing packs swap two k of each 8
cols_red|test-reduce|sum_dims,mean_dims|reductions (issue 12, opsp): float32 sums over dim 0 in long tiles leave out the last partial tile
vcols_g8|test-reduce|sum_dims,mean_dims|reductions (issue 12, opsp, speed16): float32 column sums skip their first group of 8 rows
smback_tail|test-vmath|softmax,log_softmax|softmax (issue 12, opsp): the float32 vector backward row leaves the n % 8 tail out of its sum
bcast_rows|test-copies|copy_,contiguous,clone|copies (issue 12, opsp): a copy repeating a row block leaves out its last repeat
loss2_chunks|test-loss2|smooth_l1_loss,kl_div,gaussian_nll_loss|losses (issue 14, loss): the last of the 64 ranges of a loss sum stops one element short
topk_select|test-sort|topk|speed (issue 12, speed8): topk's selection leaves a replacing element last, its buffer unsorted
sort_radix|test-sort|sort,unique|speed (issue 12): the radix sort skips its top byte's pass
mish_bw_sq|test-act|mish|mish (issue 12, speed9): the one-exp backward's 1 - t^2 divided by (n + 2) once, not squared
repeat_pairs|test-speed10|repeat,tile|shape (issue 12, speed10): repeat's expanded view pairs each dim as (size, reps), not (reps, size)
roll_pick|test-shape|roll|shape (issue 12, speed10): roll's pieces forget the shift (a shift of 0)
grad_region|test-speed10|graph|shape (issue 12, speed10): a view piece's gradient overwrites its input's accumulated gradient in place instead of adding to it
repeat_index|test-speed10|repeat,tile|shape (issue 12, speed10): repeat's index path (more than 8 dims of (reps, size) pairs) forgets the first dim's repeats
copy_run_tail|test-view|clone,contiguous|copies (issue 12, speed16): the copy kernel's own vector moves leave out a run's last bytes under 32 (the end move)
cat_rows|test-copies|cat,stack|cat (issue 12, area cat): the whole-row cat leaves each thread's last row out
cat_small|test-copies|cat,stack|cat (issue 12, area cat): a piece under 32 bytes is copied with its first move only
gs_walk_rewind|test-index|gather,scatter|index (issue 12, speed16): the gather/scatter walk does not rewind the index-shaped tensor's offset after a run of the last dim
index_any_tail|test-index|index_select|index (issue 12, speed16): the vector bounds check of an index leaves its n % 4 last entries unchecked
unique_cols|test-uniq|unique_dim|unique (issue 12, speed16): the slices' merge sort does not compare their last column
unique_group|test-uniq|unique,unique_consecutive,unique_dim|unique (issue 12, speed16): grouping ignores each row's last element (a single element: every element one group)
unique_run|test-uniq|unique_consecutive|unique (issue 12): the single-element grouping in t's order starts a group at element 1 whatever its value
extcols_nan|test-extcols|amax,amin|reductions (issue 12, speed11): amax/amin column vectors do not propagate a NaN (one-vector loop)
extcols_tail|test-extcols|amax,aminmax|reductions (issue 12, speed11): amax/amin columns skip the nb % width outputs
nansum_mask|test-extcols|nansum,nanmean|reductions (issue 12, speed11): one-pass nansum/nanmean float32 rows add NaN instead of 0 (16-lane loop)
nansum_tail|test-extcols|nansum,nanmean|reductions (issue 12, speed11): one-pass nansum/nanmean float32 rows skip the n % 16 tail
prelu_chan|test-act test-prelu|prelu|speed (issue 12, speed12): prelu's row weight taken from the batch index, not the channel
hardtanh_nan|test-prelu|hardtanh,relu6|speed (issue 12, speed12): the vectorised clamp loses its NaN guard (NaN gives max_val)
sred_count|test-uniq|scatter_reduce|scatter_reduce (issue 12, sred): the amax/amin backward leaves t's own maximum out of the count of ties N
sred_ident|test-uniq|scatter_reduce|scatter_reduce (issue 12, sred): amax/amin without include_self start the reached positions from 0, not from -inf / +inf
sred_zero|test-uniq|scatter_reduce|scatter_reduce (issue 12, sred): the amax/amin backward without include_self keeps dt at the reached positions (the walk that hands out dy / N does not zero them)
qr_trsm|test-linalg-decomp|linalg_qr|qr (issue 15, la2): the backward's BLAS solve X R1^T = Y drops the transpose (solves X R1 = Y)
eigh_gemm|test-linalg-decomp|linalg_eigh|eigh (issue 15, la2): the backward's BLAS product M = V^T gV computed as V gV
cg_mul_const|test-cg-binary|gg_mul|create_graph (issue 15): mul's differentiable backward takes the other operand as a constant (drops the cross term of the second derivative)
cg_conv3d_w_const|test-cg-conv|gg_conv3d|create_graph (issue 15, session 15): conv3d's differentiable backward takes w as a constant in dx (drops the d(dx)/dw cross term)
clip_sum_tail|test-sched||clip_grad_norm_ (issue 16): the contiguous fast path of the 1- and 2-norms drops the n % 8 tail of each grad
half_cvt_tail|test-half||half compute (issue 16): the vectorised float32 -> bfloat16 conversion leaves the n % 8 tail of a contiguous run unconverted
half_grad_sum|test-half-compute||half compute (issue 16): a sum of bfloat16 / float16 gradients keeps its first term
EOF
}
want=",${ORACLE_MUT_FAULTS:-all},"
selected() { [ "$want" = ",all," ] || case "$want" in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
[ "${ORACLE_MUT_NO_ORACLE:-}" = 1 ] && noracle=1 || noracle=""
"$py" -c "import torch" 2>/dev/null || noracle=1

# Cheap check first: the faults whose hooks are in the sources; none means nothing to build.
hooks="" tests="" n=0 names=""
while IFS='|' read -r f ct ops what; do
    names="$names $f"
    selected "$f" || continue
    n=$((n + 1))
    if grep -rqs "l2__fault(\"$f\")" "$src/libl2"; then
        hooks="$hooks $f"
        for t in $ct; do
            case " $tests " in *" tests/$t "*) ;; *) tests="$tests tests/$t" ;; esac
        done
    fi
done <<EOF
$(table)
EOF
for f in $(echo "${ORACLE_MUT_FAULTS:-}" | tr ',' ' '); do
    case " $names all " in *" $f "*) ;; *) echo "# ORACLE_MUT_FAULTS: no fault named $f" ;; esac
done
if [ -z "$hooks" ]; then
    echo "1..0 # SKIP no fault hooks in libl2 sources (or none selected)"
    exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/l2-mutation.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
# CPPFLAGS too: configure puts L2_FAULT_INJECTION in config.h, which no libl2 source includes.
# An in-tree configured source cannot host a second build: build from a fresh copy of the
# distributed sources (make distdir in the current build directory) whenever one can be made.
buildsrc=$src
if [ -f Makefile ] && grep -q '^distdir:' Makefile &&
    $make distdir distdir="$tmp/src" >"$tmp/distdir.out" 2>&1; then
    buildsrc="$tmp/src"
fi
mkdir -p "$tmp/build"
if ! (cd "$tmp/build" && "$buildsrc/configure" --enable-fault-injection --enable-oracle=no \
          CPPFLAGS="-DL2_FAULT_INJECTION=1" >config.out 2>&1 &&
      $make -j2 libl2/libl2.la $tests >make.out 2>&1); then
    echo "1..1"
    echo "not ok 1 - build libl2 and$tests with --enable-fault-injection"
    tail -20 "$tmp/build/config.out" "$tmp/build/make.out" 2>/dev/null | sed 's/^/# /'
    exit 1
fi
so="$tmp/build/libl2/.libs/libl2.so"
if ! nm "$so" 2>/dev/null | grep -q 'l2__fault'; then
    echo "1..0 # SKIP $so has no l2__fault symbol (L2_FAULT_INJECTION not defined?)"
    exit 0
fi
t_build=$(($(date +%s) - t0))

# Oracle runs: out-<fault> holds run.py's TAP for that fault's ops (out-base: every op, no fault).
# The op name "graph" stands for the whole-graph oracle (graph_oracle.py, 1000 graphs per dtype),
# "gg_X" for gradgrad.py on l2_X (second derivatives, create_graph; its CI cases of the op).
oracle() { # name fault ops
    mkdir -p "$tmp/corpus-$1"
    ops=$(echo "$3" | tr ',' '\n' | grep -v '^graph$' | grep -v '^gg_' | paste -sd, -)
    gg=$(echo "$3" | tr ',' '\n' | sed -n 's/^gg_\(.*\)/l2_\1/p' | paste -sd, -)
    : >"$tmp/out-$1"
    if [ -n "$ops" ]; then
        L2_LIB="$so" L2_FAULT="$2" ORACLE_CORPUS_DIR="$tmp/corpus-$1" ORACLE_NO_SHRINK=1 \
            L2_SRCDIR="$src" "$py" "$src/oracle/run.py" --profile ci --cases "$cases" \
            --ops "$ops" >"$tmp/out-$1" 2>&1
    fi
    if [ -n "$gg" ]; then
        L2_LIB="$so" L2_FAULT="$2" L2_SRCDIR="$src" "$py" "$src/oracle/gradgrad.py" --ops "$gg" \
            2>&1 | sed 's/^\(\(not \)*ok [0-9]* - \)l2_/\1l2_gg_/' >>"$tmp/out-$1"
    fi
    case ",$3," in *,graph,*)
        L2_LIB="$so" L2_FAULT="$2" "$py" "$src/oracle/graph_oracle.py" --graphs 1000 \
            --no-shrink >"$tmp/graph-$1" 2>&1
        k=$(sed -n 's/^# \([0-9]*\) failed graphs.*/\1/p' "$tmp/graph-$1")
        if [ "${k:-x}" = x ]; then
            echo "not ok - l2_graph: CRASH (no summary line)" >>"$tmp/out-$1"
        elif [ "$k" != 0 ]; then
            echo "not ok - l2_graph: graph oracle, $k failed graphs" >>"$tmp/out-$1"
        else
            echo "ok - l2_graph: graph oracle, 0 failed graphs" >>"$tmp/out-$1"
        fi ;;
    esac
}
# Oracle ops that failed, as "name N cases" or "name a crash", one a line.
ofail() {
    sed -n -e 's/^not ok [0-9]* - \(l2_[a-z0-9_]*\): CRASH.*/\1 a crash/p' \
        -e 's/^not ok - l2_graph: graph oracle, \([0-9]*\) failed.*/l2_graph \1 graphs/p' \
        -e 's/^not ok [0-9]* - \(l2_[a-z0-9_]*\): .* \([0-9]*\) failed.*/\1 \2 cases/p' "$1"
}
allops=""
while IFS='|' read -r f ct ops what; do
    case " $hooks " in *" $f "*) ;; *) continue ;; esac
    for o in $(echo "$ops" | tr ',' ' '); do
        case ",$allops," in *",$o,"*) ;; *) allops="${allops:+$allops,}$o" ;; esac
    done
done <<EOF
$(table)
EOF
running=0
if [ -z "$noracle" ] && [ -n "$allops" ]; then
    oracle base "" "$allops" &
    running=1
fi

# C tests: the baseline, then each fault's programs (while the oracle baseline runs).
crun() { # fault program -> prints the failure count (0: passed)
    L2_FAULT="$1" "$tmp/build/tests/$2" >"$tmp/c-$1-$2" 2>&1
    rc=$?
    k=$(grep -c '^not ok' "$tmp/c-$1-$2")
    [ "$k" -eq 0 ] && [ "$rc" -ne 0 ] && k="exit $rc"
    echo "$k"
}
for t in $tests; do
    crun "" "${t#tests/}" >"$tmp/cbase-${t#tests/}"
done
while IFS='|' read -r f ct ops what; do
    case " $hooks " in *" $f "*) ;; *) continue ;; esac
    for t in $ct; do
        echo "$t $(crun "$f" "$t")" >>"$tmp/cfail-$f"
    done
done <<EOF
$(table)
EOF

# Oracle per fault, $jobs at a time.
if [ -z "$noracle" ]; then
    while IFS='|' read -r f ct ops what; do
        case " $hooks " in *" $f "*) ;; *) continue ;; esac
        [ -n "$ops" ] || continue
        oracle "$f" "$f" "$ops" &
        running=$((running + 1))
        if [ "$running" -ge "$jobs" ]; then
            wait
            running=0
        fi
    done <<EOF
$(table)
EOF
    wait
    # No baseline when none of the selected faults names an oracle op.
    if [ -f "$tmp/out-base" ]; then ofail "$tmp/out-base"; fi >"$tmp/ofail-base"
fi

echo "1..$n"
i=0
while IFS='|' read -r f ct ops what; do
    selected "$f" || continue
    i=$((i + 1))
    case " $hooks " in *" $f "*) ;; *)
        echo "ok $i - $f: $what # SKIP no l2__fault(\"$f\") hook in libl2"
        continue ;;
    esac
    by="" missed="" note=""
    for t in $ct; do
        k=$(sed -n "s/^$t //p" "$tmp/cfail-$f")
        b=$(cat "$tmp/cbase-$t")
        if [ "$b" != 0 ]; then
            note="$note; $t fails without the fault ($b)"
        elif [ "$k" != 0 ]; then
            case $k in exit*) by="$by, $t ($k)" ;; *) by="$by, $t ($k failed)" ;; esac
        else
            missed="$missed, $t"
        fi
    done
    if [ -z "$noracle" ] && [ -n "$ops" ]; then
        for o in $(echo "$ops" | tr ',' ' '); do
            k=$(ofail "$tmp/out-$f" | sed -n "s/^l2_$o //p")
            if grep -q "^l2_$o " "$tmp/ofail-base"; then
                note="$note; oracle l2_$o fails without the fault"
            elif [ -n "$k" ]; then
                by="$by, oracle l2_$o ($k)"
            elif grep -q " - l2_$o:" "$tmp/out-$f"; then
                missed="$missed, oracle l2_$o"
            else
                note="$note; oracle l2_$o did not run"
            fi
        done
    fi
    missed=${missed:+; not by ${missed#, }}
    if [ -n "$by" ]; then
        echo "ok $i - $f: caught by ${by#, }$missed$note"
    else
        echo "not ok $i - $f: not caught$missed$note"
    fi
    echo "#   fault: $what"
    [ -n "$by" ] || for t in $ct; do tail -3 "$tmp/c-$f-$t" | sed 's/^/#   /'; done
done <<EOF
$(table)
EOF
[ -n "$noracle" ] && echo "# the oracle was not run (no torch, or ORACLE_MUT_NO_ORACLE=1)"
echo "# $(($(date +%s) - t0)) s in all ($t_build s to build libl2 and$tests)"
exit 0
