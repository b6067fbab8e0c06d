#!/bin/sh
# mha-state.sh: a torch nn.MultiheadAttention state_dict (safetensors) loads into libl2's
# attention layer and gives torch's output (oracle/mha_state.py). TAP; SKIP without torch.
if [ "x$HAVE_TORCH" != xyes ]; then
    echo "1..0 # SKIP torch not found (configure: no Python that imports torch, numpy, hypothesis)"
    exit 0
fi
exec "${PYTHON_TORCH:-/usr/bin/python3}" "${L2_SRCDIR:-.}/oracle/mha_state.py"
