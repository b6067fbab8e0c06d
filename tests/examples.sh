#!/bin/sh
# The README's quick start must run and fit w close to (1, 1, 1); fashion_mnist must train a few
# steps on a slice of the data when the data set is installed; the quick start must link statically
# against libl2.a with the flags of `pkg-config --static --libs l2`. TAP.
b=${L2_BUILDDIR:-.}
s=${L2_SRCDIR:-..}
echo "1..5"
out=$("$b/examples/quickstart" 2>&1)
if [ $? -eq 0 ] && echo "$out" | grep -Eq "tensor\(\[\[(1\.|1\.0000|0\.9999|1\.0001)\]," ; then
    echo "ok 1 - quickstart runs and learns w = 1"
else
    echo "not ok 1 - quickstart runs and learns w = 1"
    echo "$out" | sed 's/^/#   /'
fi
if [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    out=$("$b/examples/fashion_mnist" --model cnn --epochs 1 --limit 512 --batch 64 2>&1)
    # stderr is not a terminal here: l2_progress's plain lines, the last one 8/8 before the
    # epoch's summary.
    if [ $? -eq 0 ] && echo "$out" | grep -q "test accuracy" &&
        echo "$out" | grep -A1 -E "^epoch 1/1: 8/8 \(100\.0%\), [0-9.]+ it/s, ETA 0:00, loss [0-9.]+$" |
        grep -q "^epoch 1: loss"; then
        echo "ok 2 - fashion_mnist trains a CNN on 512 images, with progress lines"
    else
        echo "not ok 2 - fashion_mnist trains a CNN on 512 images, with progress lines"
        echo "$out" | sed 's/^/#   /'
    fi
else
    echo "ok 2 # SKIP Fashion-MNIST not installed"
fi

# Static link: libl2.a plus Libs.private from the uninstalled l2.pc (OpenMP, OpenBLAS, zlib, libm).
if [ -f "$b/libl2/.libs/libl2.a" ] && command -v pkg-config >/dev/null; then
    libs=$(pkg-config --static --libs-only-l --libs-only-other "$b/libl2/l2.pc" | sed 's/-ll2//')
    own="-L$(pkg-config --variable=libdir "$b/libl2/l2.pc")"
    ldirs=$(pkg-config --static --libs-only-L "$b/libl2/l2.pc" | tr ' ' '\n' | grep -vxF -- "$own")
    tmp=$(mktemp -d)
    # A sanitizer or coverage build's archive needs those runtimes at link time.
    san=""
    syms=$(nm "$b/libl2/.libs/libl2.a" 2>/dev/null)
    echo "$syms" | grep -q ' U __asan_' && san="$san -fsanitize=address"
    echo "$syms" | grep -q ' U __ubsan_' && san="$san -fsanitize=undefined"
    echo "$syms" | grep -q ' U __gcov_' && san="$san --coverage"
    if ${CC:-cc} $san -std=c11 -I"$s/libl2" "$s/examples/quickstart.c" "$b/libl2/.libs/libl2.a" \
        $ldirs $libs -o "$tmp/qs" 2>"$tmp/err" && "$tmp/qs" >/dev/null 2>&1; then
        echo "ok 3 - quickstart links against libl2.a with pkg-config --static --libs l2"
    else
        echo "not ok 3 - quickstart links against libl2.a with pkg-config --static --libs l2"
        echo "#   libs: $ldirs $libs"
        sed 's/^/#   /' "$tmp/err" | head -n 20
    fi
    rm -rf "$tmp"
else
    echo "ok 3 # SKIP no static libl2.a or no pkg-config"
fi

# examples/evaluate (issue 16): a checkpoint and a weights file written by fashion_mnist load in
# eval mode and give the test accuracy fashion_mnist printed, with a 10x10 confusion matrix.
if [ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
    tmp=$(mktemp -d)
    want=$("$b/examples/fashion_mnist" --model mlp --epochs 1 --limit 512 --batch 64 \
        --checkpoint "$tmp/c.safetensors" --out "$tmp/w.safetensors" 2>&1 | grep "test accuracy")
    for n in 4 5; do
        if [ $n = 4 ]; then what=checkpoint; f=c; else what=weights; f=w; fi
        out=$("$b/examples/evaluate" --model mlp --$what "$tmp/$f.safetensors" 2>&1)
        rows=$(echo "$out" | grep -Ec '^[A-Za-z-]+ +( +[0-9]+){10}$')
        if [ -n "$want" ] && echo "$out" | grep -qxF "$want" && [ "$rows" = 10 ]; then
            echo "ok $n - evaluate reads fashion_mnist's $what file: $want, a 10x10 confusion matrix"
        else
            echo "not ok $n - evaluate reads fashion_mnist's $what file (want '$want')"
            echo "$out" | sed 's/^/#   /'
        fi
    done
    rm -rf "$tmp"
else
    echo "ok 4 # SKIP Fashion-MNIST not installed"
    echo "ok 5 # SKIP Fashion-MNIST not installed"
fi
