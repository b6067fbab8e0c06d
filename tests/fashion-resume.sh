#!/bin/sh
# examples/fashion_mnist --resume (issue 16): a run stopped and resumed from its --checkpoint ends,
# at one thread, with the same weights file, byte for byte (cmp), and prints the same epoch
# summaries (loss, accuracy) and the same run totals (steps, examples, first and last loss) as
# the run that did not stop. MLP: stopped inside epoch 1 (--steps 20), resumed to the end of
# epoch 1 (--stop-after-epoch 1, checkpointing again), resumed to the end; CNN with warmup and
# clipping: stopped inside epoch 2 (--steps 45), resumed to the end. Then resuming from a missing,
# truncated, foreign, tampered or conflicting checkpoint fails with a message and exit 1. TAP.
b=${L2_BUILDDIR:-.}
fm="$b/examples/fashion_mnist"
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    echo "1..0 # SKIP Fashion-MNIST not installed"
    exit 0
fi
echo "1..9"
OMP_NUM_THREADS=1
export OMP_NUM_THREADS
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { # run NAME ARGS...: stdout to $tmp/NAME.out, its status to $tmp/NAME.rc
    name=$1
    shift
    "$fm" --limit 2000 --epochs 2 --test no --progress no "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
    echo $? >"$tmp/$name.rc"
}
# The lines that must agree: epoch summaries without the rate, the totals without the times.
lines() {
    cat "$@" | sed -n -e 's/^\(epoch [0-9]*: loss [0-9.]*, train accuracy [0-9.]*\),.*/\1/p' \
        -e 's/^\(train: [0-9]* steps, [0-9]* examples\), .*\(, first loss .*\)/\1\2/p'
}
n=0
check() { # check DESCRIPTION STRAIGHT RESUMED-OUTPUTS...: weights and printed lines equal
    n=$((n + 1))
    what=$1 s=$2
    shift 2
    # The stopped runs' own summaries of a partial epoch and totals are not the straight run's:
    # compare the straight run's lines with the last line of each kind that the runs printed.
    want=$(lines "$tmp/$s.out")
    got=$(for e in 1 2; do lines "$@" | grep "^epoch $e:" | tail -n 1; done;
          lines "$@" | grep "^train:" | tail -n 1)
    if cmp "$tmp/$s.st" "$tmp/r.st" && [ -n "$want" ] && [ "$want" = "$got" ] &&
        [ "$(cat "$tmp"/*.rc | sort -u)" = 0 ]; then
        echo "ok $n - $what"
    else
        echo "not ok $n - $what"
        echo "$want" | sed 's/^/#   straight: /'
        echo "$got" | sed 's/^/#   resumed:  /'
        cat "$tmp"/*.err | sed 's/^/#   /'
    fi
    rm -f "$tmp"/*.rc "$tmp"/*.err
}

run s --out "$tmp/s.st"
run a --steps 20 --checkpoint "$tmp/c.st"
run b --resume "$tmp/c.st" --stop-after-epoch 1 --checkpoint "$tmp/c.st"
run c --resume "$tmp/c.st" --out "$tmp/r.st"
check "MLP stopped at step 20 and after epoch 1, resumed twice: the same weights and losses" \
    s "$tmp/a.out" "$tmp/b.out" "$tmp/c.out"

cnn="--model cnn --warmup 5 --clip 1"
run s2 $cnn --out "$tmp/s2.st"
run a2 $cnn --steps 45 --checkpoint "$tmp/c2.st"
run b2 --resume "$tmp/c2.st" --out "$tmp/r.st"
check "CNN (warmup, clipping) stopped at step 45 in epoch 2, resumed: the same weights and losses" \
    s2 "$tmp/a2.out" "$tmp/b2.out"

# Errors: nothing trained, a message naming the checkpoint, exit 1.
fails() { # fails DESCRIPTION PATTERN ARGS...
    n=$((n + 1))
    what=$1 pat=$2
    shift 2
    run e "$@"
    if [ "$(cat "$tmp/e.rc")" = 1 ] && grep -q "^fashion_mnist: cannot resume from .*$pat" \
        "$tmp/e.err" && ! grep -q "^epoch" "$tmp/e.out"; then
        echo "ok $n - $what: $(cat "$tmp/e.err")"
    else
        echo "not ok $n - $what (want exit 1 and '$pat')"
        cat "$tmp/e.rc" "$tmp/e.out" "$tmp/e.err" | sed 's/^/#   /'
    fi
}
fails "a missing checkpoint" "No such file" --resume "$tmp/none.st"
head -c 3000 "$tmp/c2.st" >"$tmp/cut.st"
fails "a truncated checkpoint" "exceeds the file" --resume "$tmp/cut.st"
fails "a weights file, not a checkpoint" "no fashion_mnist run state" --resume "$tmp/s.st"
# Same-length edits of the header: a step count past the epoch's end; a model tensor renamed.
LC_ALL=C sed 's/"extra.run.epoch_steps":"13"/"extra.run.epoch_steps":"99"/' "$tmp/c2.st" \
    >"$tmp/t1.st"
fails "a tampered run position" "inconsistent" --resume "$tmp/t1.st"
LC_ALL=C sed 's/"model.fc.bias"/"model.fc.bian"/' "$tmp/c2.st" >"$tmp/t2.st"
fails "a checkpoint of another model" "model.fc.bia" --resume "$tmp/t2.st"
fails "an option that differs from the checkpoint's" "--batch differs" --resume "$tmp/c2.st" \
    --batch 32
fails "a checkpoint of a run with another --limit" "--limit differs" --resume "$tmp/c2.st" \
    --limit 1000
