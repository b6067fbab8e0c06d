#!/bin/sh
# The checkpoint oracle (oracle/train_resume.py, issue 16): a BatchNorm CNN trained, checkpointed
# and resumed by libl2, replayed and resumed from libl2's checkpoint by PyTorch.
if [ "${HAVE_TORCH:-no}" != yes ]; then
    echo "1..0 # SKIP torch not found by configure"
    exit 0
fi
exec "$PYTHON_TORCH" "$L2_SRCDIR/oracle/train_resume.py" "$L2_BUILDDIR"
