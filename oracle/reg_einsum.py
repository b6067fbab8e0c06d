"""reg_einsum.py: the oracle registry's entries for the composed linear algebra of issue 15 (area
compose; libl2/ops/einsum.c, tensordot.c). registry.py imports this module at its end. The einsum generator
draws random valid equations (1-4 operands, upper- and lower-case letters, repeated letters
within a term, ellipses with broadcast dims, size-1 letters, implicit and explicit outputs,
spaces) with shapes consistent with them, and in about one case of eight an invalid one (each of
torch's parser and size errors) for error parity. Results are accumulations, judged against torch
in float64 with the einsum of |inputs| as magnitudes."""
import torch

from mags import _sum_to
from registry import FLOATS, add, i32a, tarr, _vk

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


# ---- tensordot and linalg.cross (libl2/ops/tensordot.c) ----------------------------------------

def _other(d, dt, shapes=()):
    """dt, or in one case of twenty the other float dtype (an error in torch and libl2; not with
    an empty operand, where torch's product skips its dtype check)."""
    if any(0 in s for s in shapes) or d.int(0, 19):
        return dt
    return "float32" if dt == "float64" else "float64"


def _td_shapes(d):
    """a's shape, b's shape and the pairs (dims of a, dims of b) of a valid tensordot."""
    na = d.int(0, 4)
    sa = [d.int(0, 4) if d.int(0, 9) == 0 else d.int(1, 4) for _ in range(na)]
    k = d.int(0, min(na, 3))
    da = [int(x) for x in d.rng().permutation(na)[:k]]
    nfree = d.int(0, 3)
    nb = k + nfree
    pos = [int(x) for x in d.rng().permutation(nb)]
    db, sb = pos[:k], [d.int(1, 4) for _ in range(nb)]
    for i in range(k):
        s = sa[da[i]]
        r = d.int(0, 7)
        sb[db[i]] = 1 if r == 0 else s
        if r == 1:
            sa[da[i]] = 1  # a size-1 dim on a's side
    da = [x - na if d.bool() else x for x in da]
    db = [x - nb if d.bool() else x for x in db]
    return sa, sb, da, db


def g_tensordot(d, dt):
    sa, sb, da, db = _td_shapes(d)
    r = d.int(0, 11)
    if r == 0:
        da = da + [0] if sa else da[:-1] if da else [0]  # lengths differ
    elif r == 1 and da:
        da, db = da + [da[0]], db + [db[0]]  # a repeated pair
    elif r == 2:
        da, db = da + [len(sa) + 1], db + [0]  # out of range
    elif r == 3 and da:
        i = d.int(0, len(da) - 1)
        sa[da[i]] = sa[da[i]] + 2 if sa[da[i]] > 1 else 5  # sizes differ
    return {"inputs": [d.tensor(sa, dt, _vk(d, "normal", dt, acc=True)),
                       d.tensor(sb, _other(d, dt, (sa, sb)), _vk(d, "normal", dt, acc=True))],
            "args": {"da": da, "db": db}}


def g_tensordot_n(d, dt):
    na = d.int(0, 4)
    sa = [d.int(0, 4) if d.int(0, 9) == 0 else d.int(1, 4) for _ in range(na)]
    n = d.int(0, na)
    sb = [s if d.int(0, 7) else 1 for s in sa[na - n:]] + [d.int(1, 4) for _ in range(d.int(0, 2))]
    r = d.int(0, 11)
    if r == 0:
        n = -1
    elif r == 1:
        n = na + 1
    elif r == 2 and n:
        sb[0] = sb[0] + 2 if sb[0] > 1 else 5
    return {"inputs": [d.tensor(sa, dt, _vk(d, "normal", dt, acc=True)),
                       d.tensor(sb, _other(d, dt, (sa, sb)), _vk(d, "normal", dt, acc=True))],
            "args": {"n": n}}


add("l2_tensordot", "T:TTiIiI", g_tensordot,
    lambda ts, a: torch.tensordot(ts[0], ts[1], dims=(a["da"], a["db"])),
    lambda f, xs, a: f(xs[0], xs[1], len(a["da"]), i32a(a["da"]), len(a["db"]), i32a(a["db"])),
    tol="accumulating", dtypes=FLOATS, family="compose")
add("l2_tensordot_n", "T:TTl", g_tensordot_n,
    lambda ts, a: torch.tensordot(ts[0], ts[1], dims=a["n"]),
    lambda f, xs, a: f(xs[0], xs[1], a["n"]), tol="accumulating", dtypes=FLOATS,
    family="compose")


def _cross_terms(x, y, dim):
    """|x_{i+1}| |y_{i+2}| + |x_{i+2}| |y_{i+1}| along dim: the size of the two products whose
    difference is cross(x, y)_i (torch's float32 kernel rounds them differently; the
    difference cancels)."""
    x, y = x.abs(), y.abs()
    return (x.roll(-1, dim) * y.roll(-2, dim) + x.roll(-2, dim) * y.roll(-1, dim))


def mag_cross(xs, a, g):
    a_, b_ = xs
    dim = a["dim"]
    if g is None:
        return [_cross_terms(a_, b_, dim)]
    shp = torch.broadcast_shapes(a_.shape, b_.shape)
    ae, be, ge = a_.expand(shp), b_.expand(shp), g.expand(shp)
    # da = b x g and db = g x a per element, summed over what was broadcast
    return [_sum_to(_cross_terms(be, ge, dim), a_.shape),
            _sum_to(_cross_terms(ge, ae, dim), b_.shape)]


def g_cross(d, dt):
    nd = d.int(1, 4)
    s = [d.int(1, 4) if d.int(0, 9) else 0 for _ in range(nd)]
    dim = d.int(-nd, nd - 1)
    s[dim] = 3
    sb = [x if d.int(0, 3) or i == dim % nd else 1 for i, x in enumerate(s)]
    sa = [x if d.int(0, 5) or i == dim % nd else 1 for i, x in enumerate(s)]
    r = d.int(0, 11)
    if r == 0:
        sb[dim] = d.choice([1, 2, 4])
    elif r == 1:
        sb = sb + [3]  # ranks differ
    elif r == 2:
        dim = nd + d.int(0, 1)
    elif r == 3 and len(s) > 1:
        j = (dim + 1) % nd
        sa[j], sb[j] = 2, 3  # batch dims that do not broadcast
    return {"inputs": [d.tensor(sa, dt, _vk(d, "normal", dt)),
                       d.tensor(sb, _other(d, dt), _vk(d, "normal", dt))],
            "args": {"dim": dim}}


add("l2_linalg_cross", "T:TTi", g_cross,
    lambda ts, a: torch.linalg.cross(ts[0], ts[1], dim=a["dim"]),
    lambda f, xs, a: f(xs[0], xs[1], a["dim"]), tol="elementwise", dtypes=FLOATS,
    family="compose", mag=mag_cross)
