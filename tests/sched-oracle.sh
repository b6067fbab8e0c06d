#!/bin/sh
# sched-oracle.sh: every learning rate of libl2's schedulers and the grads clipped by
# l2_clip_grad_norm_ / l2_clip_grad_value_ against torch 1.13 (oracle/sched_oracle.py).
# TAP; SKIP without torch.
if [ "x$HAVE_TORCH" != xyes ]; then
    echo "1..0 # SKIP torch not found (configure: no Python that imports torch, numpy, hypothesis)"
    exit 0
fi
exec "${PYTHON_TORCH:-/usr/bin/python3}" "${L2_SRCDIR:-.}/oracle/sched_oracle.py"
