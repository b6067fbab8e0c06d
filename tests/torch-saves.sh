#!/bin/sh
# torch-saves.sh: the op table's torch-saves flags (libl2/ops/list-*.h) against torch 1.13:
# oracle/torch_saves.py --check runs each op twice without retain_graph in torch. TAP; SKIP
# without a Python that imports torch.
if [ "x$HAVE_TORCH" != xyes ]; then
    echo "1..0 # SKIP torch not found (configure: no Python that imports torch, numpy, hypothesis)"
    exit 0
fi
echo "1..1"
out=$("${PYTHON_TORCH:-/usr/bin/python3}" "${L2_SRCDIR:-.}/oracle/torch_saves.py" --check 2>&1)
st=$?
echo "$out" | sed 's/^/# /'
if [ $st -eq 0 ]; then
    echo "ok 1 - every op of the op table has torch 1.13's saves flag and a torch variant"
else
    echo "not ok 1 - op table flags differ from torch 1.13 (lines marked <-), or an op lacks a variant"
fi
