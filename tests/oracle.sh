#!/bin/sh
# oracle.sh: the PyTorch oracle in make check (CI profile: derandomized, >= 10,000 cases).
# TAP on stdout; SKIP when configure found no Python with torch, numpy and hypothesis.
if [ "x$HAVE_TORCH" != xyes ]; then
    echo "1..0 # SKIP torch not found (configure: no Python that imports torch, numpy, hypothesis)"
    exit 0
fi
exec "${PYTHON_TORCH:-/usr/bin/python3}" "${L2_SRCDIR:-.}/oracle/run.py" --profile ci
