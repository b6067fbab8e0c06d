"""reg_einsum.py: the oracle registry's entries for the composed linear algebra of issue 15 (area
compose; libl2/ops/einsum.c). registry.py imports this module at its end. The einsum generator
draws random valid equations (1-4 operands, upper- and lower-case letters, repeated letters
within a term, ellipses with broadcast dims, size-1 letters, implicit and explicit outputs,
spaces) with shapes consistent with them, and in about one case of eight an invalid one (each of
torch's parser and size errors) for error parity. Results are accumulations, judged against torch
in float64 with the einsum of |inputs| as magnitudes."""
import torch

from registry import FLOATS, add, tarr, _vk

LETTERS = "ijklmnabAB"


def _equation(d):
    """(equation, operand shapes) of a valid einsum: at most 8 distinct letters plus ellipsis
    dims (libl2's L2_MAX_DIMS), sizes 0-4."""
    n = d.choice([1, 1, 2, 2, 2, 3, 3, 4])
    pool = list(LETTERS)
    nlet = d.int(1, 5)
    letters = []
    while len(letters) < nlet:
        c = d.choice(pool)
        pool.remove(c)
        letters.append(c)
    size = {c: d.choice([1, 2, 2, 3, 3, 4, 0] if d.int(0, 9) == 0 else [1, 2, 3, 3, 4])
            for c in letters}
    use_ell = d.int(0, 2) == 0
    ell_nd = d.int(0, 2) if use_ell else 0
    if len(letters) + ell_nd > 8:
        ell_nd = 0
    ell_sizes = [d.int(2, 3) for _ in range(ell_nd)]
    terms, shapes = [], []
    for _ in range(n):
        k = d.int(0, 4 if d.int(0, 2) == 0 else 3)
        term = [d.choice(letters) for _ in range(k)]
        shape = []
        for c in term:
            s = size[c]
            # a letter of size 1 in some operands broadcasts (not on a repeated letter's dims)
            if term.count(c) == 1 and d.int(0, 7) == 0:
                s = 1
            shape.append(s)
        # a repeated letter's dims have one size
        for i, c in enumerate(term):
            j = term.index(c)
            shape[i] = shape[j]
        if use_ell and d.int(0, 3):
            ne = d.int(0, ell_nd)
            es = [s if d.int(0, 4) else 1 for s in ell_sizes[ell_nd - ne:]]
            pos = d.int(0, len(term))
            term = term[:pos] + ["..."] + term[pos:]
            shape = shape[:pos] + es + shape[pos:]
        terms.append(term)
        shapes.append(shape)
    used = sorted({c for t in terms for c in t if c != "..."})
    any_ell = any("..." in t for t in terms)
    lhs = ",".join("".join(t) for t in terms)
    if d.int(0, 4) < 2:
        eq = lhs  # implicit output
    else:
        out = [c for c in used if d.int(0, 2)]
        out = [out[i] for i in d.rng().permutation(len(out))]
        if any_ell and d.int(0, 3):
            pos = d.int(0, len(out))
            out = out[:pos] + ["..."] + out[pos:]
        eq = lhs + "->" + "".join(out)
    if d.int(0, 9) == 0:  # spaces anywhere but inside "..." and "->"
        toks = eq.replace("...", "\0").replace("->", "\1")
        toks = "".join(ch + (" " if d.int(0, 3) == 0 else "") for ch in toks)
        eq = toks.replace("\0", "...").replace("\1", "->")
    return eq, shapes, used


def _invalid(d, eq, shapes, used):
    """One of torch's errors, applied to a valid (eq, shapes)."""
    kind = d.int(0, 8)
    arrow = "->" in eq
    if kind == 0:  # an invalid character
        p = d.int(0, len(eq))
        eq = eq[:p] + d.choice("$1_.-") + eq[p:]
    elif kind == 1 and used:  # an output letter repeated
        c = d.choice(used)
        eq = (eq if arrow else eq + "->") + c + c
    elif kind == 2:  # an output letter that no operand has
        free = [c for c in "pqrZ" if c not in used]
        eq = (eq if arrow else eq + "->") + free[0]
    elif kind == 3:  # one dim more or less than the term has letters
        i = d.int(0, len(shapes) - 1)
        s = list(shapes[i])
        if s and d.bool():
            s.pop(d.int(0, len(s) - 1))
        else:
            s.insert(d.int(0, len(s)), d.int(2, 3))
        shapes[i] = s
    elif kind == 4:  # a size that does not broadcast
        cands = [(i, j) for i, s in enumerate(shapes) for j, n in enumerate(s) if n >= 1]
        if cands:
            i, j = d.choice(cands)
            s = list(shapes[i])
            s[j] = s[j] + 2
            shapes[i] = s
    elif kind == 5:  # one operand fewer or more than the terms
        if len(shapes) > 1 and d.bool():
            shapes = shapes[:-1]
        else:
            shapes = shapes + [[2]]
    elif kind == 6:  # a stray dot or a second ellipsis
        p = eq.find("->")
        lhs = eq if p < 0 else eq[:p]
        q = d.int(0, len(lhs))
        eq = eq[:q] + d.choice([".", "..", "......"]) + eq[q:]
    elif kind == 7:  # a second arrow or an output ellipsis twice
        eq = (eq if arrow else eq + "->") + d.choice(["->", "......", ".."])
    else:  # a repeated letter on dims of different sizes
        eq = "ii" + ("->" + "i" if d.bool() else "")
        shapes = [[2, 3]]
    return eq, shapes


def g_einsum(d, dt):
    eq, shapes, used = _equation(d)
    if d.int(0, 7) == 0:
        eq, shapes = _invalid(d, eq, shapes, used)
    # one dtype: with mixed float32 / float64 operands torch promotes in its products (l2_mul's
    # rule, which libl2 follows) but sums the float32 operands in float32 first, which the
    # float64 reference cannot judge; tests/test-einsum.c checks the mixed cases
    ins = [d.tensor(s, dt, _vk(d, "normal", dt, acc=True)) for s in shapes]
    return {"inputs": ins, "args": {"eq": eq}}


add("l2_einsum", "T:ciA", g_einsum, lambda ts, a: torch.einsum(a["eq"], *ts),
    lambda f, xs, a: f(a["eq"].encode(), len(xs), tarr(xs)), tol="accumulating",
    dtypes=FLOATS, family="compose")
