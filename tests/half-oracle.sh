#!/bin/sh
# The bfloat16 / float16 oracle (oracle/half_oracle.py): libl2's half dtypes against torch 1.13
# (conversions bit for bit, safetensors both ways, printing).
if [ "${HAVE_TORCH:-no}" != yes ]; then
    echo "1..0 # SKIP torch not found by configure"
    exit 0
fi
exec "$PYTHON_TORCH" "$L2_SRCDIR/oracle/half_oracle.py" "$L2_BUILDDIR"
