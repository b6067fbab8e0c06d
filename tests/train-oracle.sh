#!/bin/sh
# The training oracle (oracle/train_oracle.py): libl2 vs PyTorch over 100 SGD and 100 Adam steps.
if [ "${HAVE_TORCH:-no}" != yes ]; then
    echo "1..0 # SKIP torch not found by configure"
    exit 0
fi
exec "$PYTHON_TORCH" "$L2_SRCDIR/oracle/train_oracle.py" "$L2_BUILDDIR"
