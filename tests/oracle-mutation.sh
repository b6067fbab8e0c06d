#!/bin/sh
# oracle-mutation.sh: proves the oracle can fail (oracle/mutation.sh does the work).
if [ "x$HAVE_TORCH" != xyes ]; then
    echo "1..0 # SKIP torch not found"
    exit 0
fi
exec "${SHELL:-/bin/sh}" "${L2_SRCDIR:-.}/oracle/mutation.sh"
