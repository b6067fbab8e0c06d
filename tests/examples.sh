#!/bin/sh
# The README's quick start must run and fit w close to (1, 1, 1); fashion_mnist must train a few
# steps on a slice of the data when the data set is installed. TAP.
b=${L2_BUILDDIR:-.}
echo "1..2"
out=$("$b/examples/quickstart" 2>&1)
if [ $? -eq 0 ] && echo "$out" | grep -Eq "tensor\(\[\[(1\.|1\.0000|0\.9999|1\.0001)\]," ; then
    echo "ok 1 - quickstart runs and learns w = 1"
else
    echo "not ok 1 - quickstart runs and learns w = 1"
    echo "$out" | sed 's/^/#   /'
fi
if [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    out=$("$b/examples/fashion_mnist" --model cnn --epochs 1 --limit 512 --batch 64 2>&1)
    if [ $? -eq 0 ] && echo "$out" | grep -q "test accuracy"; then
        echo "ok 2 - fashion_mnist trains a CNN on 512 images"
    else
        echo "not ok 2 - fashion_mnist trains a CNN on 512 images"
        echo "$out" | sed 's/^/#   /'
    fi
else
    echo "ok 2 # SKIP Fashion-MNIST not installed"
fi
