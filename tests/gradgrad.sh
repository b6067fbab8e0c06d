#!/bin/sh
# gradgrad.sh: second derivatives (create_graph) of every differentiable op against torch and
# against finite differences of libl2's own first derivative (oracle/gradgrad.py). TAP; SKIP
# without a Python that imports torch.
if [ "x$HAVE_TORCH" != xyes ]; then
    echo "1..0 # SKIP torch not found (configure: no Python that imports torch, numpy, hypothesis)"
    exit 0
fi
exec "${PYTHON_TORCH:-/usr/bin/python3}" "${L2_SRCDIR:-.}/oracle/gradgrad.py"
