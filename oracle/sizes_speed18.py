"""sizes_speed18.py: the sized plans of the speed area cat (issue 12); sizes_plans.py adds them.

cat along a dim after the first (libl2/ops/copy.c cat_rows) of inputs that are all contiguous
and of the result's dtype writes the result a whole row at a time: the result seen as (O, W), O
the product of the dims before the cat dim, input k supplying a piece of w_k (its size along the
dim times the later dims) elements of each row (libl2/iter.c l2__copy_pieces). Only when every
piece has at least cat_piece_min elements (empty inputs skipped); pieces under 32 bytes go in
two overlapping moves of 16, 8, 4 or 2 (and 1) bytes, longer ones in the copy runs' moves.
Threads split the rows when the result has parallel_grain elements or more, never more threads
than rows. stack (cat of unsqueezed inputs) takes the same path.

Plans: pieces one below, at and above cat_piece_min (also through the later dims), widths whose
pieces cross 2, 4, 8, 16 and 32 bytes in every dtype, several inputs of different widths, dims
1, the last and a middle one of 4 dims, dim 0 (not this path), a non-contiguous or
other-dtype input among contiguous ones (the iterator instead), zero-width and 1-d empty
inputs, results one below and above the grain, fewer rows than threads, and stack along each
dim."""

C = "contiguous"


def g_sized_cat18(d, dt):
    """cat (or stack) of the plan's inputs: shape lead + (w,) + trail for each width w (stack:
    the plan's shape for each), the plan's layouts (contiguous unless said), the plan's dtypes
    (None: the case's), None as a width: a 1-d empty tensor."""
    p = d.plan
    ins = []
    dts = p.get("dtypes") or [None] * len(p["widths"])
    for w, kdt in zip(p["widths"], dts):
        sh = (0,) if w is None else tuple(p["lead"]) + (w,) + tuple(p["trail"])
        ins.append(d.tensor(sh, kdt or dt))
    return {"inputs": ins, "args": {"dim": p["dim"]}}


def g_sized_stack18(d, dt):
    p = d.plan
    return {"inputs": [d.tensor(tuple(p["shape0"]), dt) for _ in range(p["n"])],
            "args": {"dim": p["dim"]}}


def _or_registry(name):
    """This area's generators for its plans (with "widths" / "shape0"), the registry's (or
    sizes_plans' sized cat) for the plans sizes.py makes for every op."""
    def g(d, dt):
        if "widths" in d.plan:
            return g_sized_cat18(d, dt)
        if "shape0" in d.plan:
            return g_sized_stack18(d, dt)
        if name == "l2_cat":
            import sizes_plans  # imported late: sizes_plans imports this file
            return sizes_plans.g_sized_cat(d, dt)
        import registry
        return registry.g_cat(True)(d, dt)
    return g


CUSTOM = {"l2_cat": _or_registry("l2_cat"), "l2_stack": _or_registry("l2_stack")}


def _cat(lead, widths, trail, dim, label, layouts=None, dtypes=None):
    p = {"lead": tuple(lead), "widths": list(widths), "trail": tuple(trail), "dim": dim,
         "label": label, "layouts": list(layouts or [C] * len(widths))}
    if dtypes:
        p["dtypes"] = list(dtypes)
    return p


def _cat_plans(th, deep):
    pm, g = th["cat_piece_min"], th["parallel_grain"]
    ps = [
        # the piece threshold: a one-element piece among others (the iterator), at, above
        _cat((5,), (pm - 1, pm), (), 1, "below:cat_piece_min"),
        _cat((6,), (pm, pm), (), 1, "at:cat_piece_min"),
        _cat((7,), (pm + 1, pm, 5), (), -1, "above:cat_piece_min"),
        # ... and through the later dims: (3, w, c) pieces of w * c elements
        _cat((3,), (1, 1), (pm - 1,), 1, "below:cat_piece_min"),
        _cat((3,), (1, 2), (pm,), 1, "at:cat_piece_min"),
        # pieces crossing 2, 4, 8, 16 and 32 bytes in every dtype (the two-move copies)
        _cat((4,), (2, 3, 4, 5), (), 1, "tail:cat_small"),
        _cat((3,), (6, 7, 8, 9), (), 1, "tail:cat_small"),
        _cat((5,), (15, 16, 17), (), 1, "tail:cat_small"),
        _cat((3,), (31, 32, 33, 64), (), 1, "tail:cat_small"),
        _cat((2, 3), (3, 5), (4,), 2, "tail:cat_small"),       # dim 2 of 4: rows of 2 * 3
        _cat((2, 3), (7, 1), (), -1, "below:cat_piece_min"),   # the last dim, a 1-wide piece
        _cat((2, 3), (9, 2), (), -1, "tail:cat_small"),        # the last dim
        _cat((), (3, 4), (5,), 0, "tail:cat_small"),           # dim 0: not this path
        # a non-contiguous input among contiguous ones: the iterator for all
        _cat((4,), (5, 6, 7), (3,), 1, "tail:cat_small", layouts=[C, "transposed", C]),
        _cat((4,), (5, 6), (), 1, "tail:cat_small", layouts=["nan_gap", C]),
        _cat((6,), (3, 4), (2,), 1, "tail:cat_small", layouts=[C, "stepped"]),
        _cat((3,), (2, 5), (), 1, "tail:cat_small", layouts=[C, "expanded"]),
        # an input of another dtype: promoted through the iterator
        _cat((5,), (4, 6), (), 1, "tail:cat_small", dtypes=[None, "int64"]),
        _cat((5,), (4, 6), (), 1, "tail:cat_small", dtypes=["bool", None]),
        # empty inputs are skipped: a zero-width one, a 1-d empty one
        _cat((4,), (0, 5, 3), (), 1, "tail:cat_small"),
        _cat((4,), (6, None, 3), (), 1, "tail:cat_small"),
        # threads: results one below the grain (one thread) and above it, fewer rows than threads
        _cat(((g - 1) // 337,), (100, 200, 37), (), 1, "below:parallel_grain"),
        _cat((g // 337 + 1,), (100, 200, 37), (), 1, "above:parallel_grain"),
        _cat((2,), (g // 4 + 3, g // 4 - 1), (), 1, "above:parallel_grain"),
        _cat((3, 7), (g // 63 + 5, 13, 2), (), 2, "large"),
    ]
    if deep:
        ps += [_cat((g // 40 + 3,), (1, 39), (), 1, "above:parallel_grain"),
               _cat((g // 96 + 1,), (33, 31, 32), (), 1, "above:parallel_grain")]
    return ps


def _stack_plans(th):
    g = th["parallel_grain"]
    ps = [{"shape0": (5, 3), "n": 3, "dim": d, "label": lb, "layouts": [C] * 3}
          for d, lb in ((0, "tail:cat_small"), (1, "above:cat_piece_min"),
                        (2, "below:cat_piece_min"), (-2, "above:cat_piece_min"))]
    ps.append({"shape0": (g // 96 + 1, 32), "n": 3, "dim": 1, "label": "above:parallel_grain",
               "layouts": [C] * 3})
    return ps


def plans(op, th, deep):
    if "cat_piece_min" not in th:
        return []
    if op.name == "l2_cat":
        return _cat_plans(th, deep)
    if op.name == "l2_stack":
        return _stack_plans(th)
    return []
