#!/bin/sh
# mutation.sh: proves the oracle can fail. Builds libl2 in a temporary directory with
# --enable-fault-injection, then runs the oracle twice: with L2_FAULT=stride (the copy kernel
# ignores the source's stride) and with L2_FAULT=grad_sign (a gradient's sign is flipped). Each
# run must report failures. A fault whose hook is not compiled into the library is SKIPped with
# the reason. TAP on stdout. Env: L2_SRCDIR (source tree), PYTHON_TORCH, MAKE, ORACLE_MUT_CASES,
# ORACLE_MUT_OPS.
set -u
src=${L2_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
py=${PYTHON_TORCH:-/usr/bin/python3}
make=${MAKE:-make}
cases=${ORACLE_MUT_CASES:-2000}
# a cross-section of ops keeps the three oracle runs short (ORACLE_MUT_OPS=all: every op)
default_ops=view,reshape,permute,transpose,slice,expand,flatten,contiguous,clone,to_dtype,cat
default_ops=$default_ops,stack,copy_,add,mul,exp,add_,relu_,sum,mean_dims,matmul,linear,softmax
default_ops=$default_ops,gather,conv2d
ops=${ORACLE_MUT_OPS:-$default_ops}
[ "$ops" = all ] && ops=""
faults="stride grad_sign"

# Cheap check first: no hook in the sources means nothing to build.
hooks=""
for f in $faults; do
    if grep -rqs "l2__fault(\"$f\")" "$src/libl2"; then hooks="$hooks $f"; fi
done
if [ -z "$hooks" ]; then
    echo "1..0 # SKIP no fault hooks in libl2 sources (git apply oracle/fault-hooks.patch adds" \
         "l2__fault(\"stride\") to the copy kernel, l2__fault(\"grad_sign\") to the grad sum)"
    exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/l2-mutation.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
# CPPFLAGS too: configure puts L2_FAULT_INJECTION in config.h, which no libl2 source includes yet.
# An in-tree configured source cannot host a second build: build from a fresh copy of the
# distributed sources (make distdir in the current build directory) whenever one can be made.
buildsrc=$src
if [ -f Makefile ] && grep -q '^distdir:' Makefile &&
    $make distdir distdir="$tmp/src" >"$tmp/distdir.out" 2>&1; then
    buildsrc="$tmp/src"
fi
mkdir -p "$tmp/build"
if ! (cd "$tmp/build" && "$buildsrc/configure" --enable-fault-injection --enable-oracle=no \
          CPPFLAGS="-DL2_FAULT_INJECTION=1" >config.out 2>&1 &&
      $make -j2 libl2/libl2.la >make.out 2>&1); then
    echo "1..1"
    echo "not ok 1 - build libl2 with --enable-fault-injection"
    tail -20 "$tmp/build/config.out" "$tmp/build/make.out" 2>/dev/null | sed 's/^/# /'
    exit 1
fi
so="$tmp/build/libl2/.libs/libl2.so"
if ! nm "$so" 2>/dev/null | grep -q 'l2__fault'; then
    echo "1..0 # SKIP $so has no l2__fault symbol (L2_FAULT_INJECTION not defined?)"
    exit 0
fi

# Baseline without a fault: only test points that fail under a fault and not here count.
L2_LIB="$so" ORACLE_CORPUS_DIR="$tmp/corpus-base" L2_SRCDIR="$src" \
    "$py" "$src/oracle/run.py" --profile ci --cases "$cases" ${ops:+--ops "$ops"} \
    >"$tmp/out-base" 2>&1
failing() { grep '^not ok' "$1" | sed 's/^not ok [0-9]* - \([a-z0-9_]*\).*/\1/' | sort -u; }
failing "$tmp/out-base" >"$tmp/fail-base"

echo "1..2"
n=0
nskip=0
for f in $faults; do
    n=$((n + 1))
    if ! strings "$so" | grep -qx "$f"; then
        echo "ok $n - L2_FAULT=$f # SKIP no l2__fault(\"$f\") hook in the built library"
        nskip=$((nskip + 1))
        continue
    fi
    mkdir -p "$tmp/corpus-$f"
    L2_LIB="$so" L2_FAULT="$f" ORACLE_CORPUS_DIR="$tmp/corpus-$f" L2_SRCDIR="$src" \
        "$py" "$src/oracle/run.py" --profile ci --cases "$cases" ${ops:+--ops "$ops"} \
        >"$tmp/out-$f" 2>&1
    failing "$tmp/out-$f" | comm -23 - "$tmp/fail-base" >"$tmp/fail-$f"
    nfail=$(wc -l <"$tmp/fail-$f")
    if [ "$nfail" -gt 0 ]; then
        flist=$(tr '\n' ' ' <"$tmp/fail-$f")
        echo "ok $n - L2_FAULT=$f: the oracle reports $nfail ops that pass without it ($flist)"
        grep -m 3 '^#   ' "$tmp/out-$f" | cut -c1-200
    else
        echo "not ok $n - L2_FAULT=$f: the hook is compiled in but no op fails (beyond the" \
             "$(wc -l <"$tmp/fail-base") failing without a fault)"
        tail -3 "$tmp/out-$f" | sed 's/^/# /'
    fi
done
exit 0
