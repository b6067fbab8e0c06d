#!/bin/sh
# l2_loader against torch's DataLoader (tests/loader_torch.py): batch contents without shuffle,
# batch sizes, len() and coverage with shuffle, drop_last both ways.
if [ "${HAVE_TORCH:-no}" != yes ]; then
    echo "1..0 # SKIP torch not found by configure"
    exit 0
fi
exec "$PYTHON_TORCH" "$L2_SRCDIR/tests/loader_torch.py" "$L2_BUILDDIR"
