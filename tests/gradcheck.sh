#!/bin/sh
# gradcheck.sh: the float64 finite-difference gradient check (oracle/gradcheck.py) and the
# self-test of the oracle's tolerance rules. TAP; SKIP without a Python that imports torch.
if [ "x$HAVE_TORCH" != xyes ]; then
    echo "1..0 # SKIP torch not found (configure: no Python that imports torch, numpy, hypothesis)"
    exit 0
fi
exec "${PYTHON_TORCH:-/usr/bin/python3}" "${L2_SRCDIR:-.}/oracle/gradcheck.py"
