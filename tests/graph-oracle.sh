#!/bin/sh
# graph-oracle.sh: whole-graph autograd parity with torch (oracle/graph_oracle.py, CI profile:
# seed 0, 2,500 random graphs per dtype). TAP on stdout; SKIP without torch.
if [ "x$HAVE_TORCH" != xyes ]; then
    echo "1..0 # SKIP torch not found (configure: no Python that imports torch, numpy, hypothesis)"
    exit 0
fi
exec "${PYTHON_TORCH:-/usr/bin/python3}" "${L2_SRCDIR:-.}/oracle/graph_oracle.py" --profile ci
