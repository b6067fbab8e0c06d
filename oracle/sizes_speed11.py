"""sizes_speed11.py: the sized plans of the speed area speed11 (issue 12, session 9);
sizes_plans.py adds them.

amax, amin and aminmax over an outer dim run the cols loop of libl2/ops/reduce-extcols.c: blocks
of neighbouring outputs in vectors (4 x 8 float32 or 4 x 4 float64 lanes, then one vector, then
the nb % width outputs one by one). Plans: dim-0 reductions of (R, nb) with nb a tail only, one
vector, a block with and without a vector and a tail, and more than reduce_tile_out outputs; R
over two reduce_tile_red tiles (the first tile starts the extremes, later tiles continue them);
two reduced dims (the loop called once per outer position); each with NaN-rich "special" values
(NaN propagates per lane) and with the op's own values; and parallel_grain's sides with NaN.

nansum and nanmean of float inputs without a gradient run in one pass (reduce-nan.c): float32
rows of 16 lanes with NaN masked, then the n % 16 tail; outer dims by a cols loop. Plans: rows
of 15 (a tail only), 16 (no tail), 33 and 1000 (blocks and a tail) with NaN-rich values, columns
over two row tiles, and parallel_grain's sides along dim 1 with NaN; each once with a gradient
and once without (case["nograd"]: onecase.py then runs the forward only)."""

FLOATS = ("float32", "float64")
EXT_OPS = ("l2_amax", "l2_amin", "l2_aminmax")
NAN_OPS = ("l2_nansum", "l2_nanmean")


def _with_values(gen):
    def g(d, dt):
        r = gen(d, dt)
        if dt in FLOATS and d.plan.get("values"):
            r["inputs"][0]["values"] = d.plan["values"]
        return r
    return g


def g_sized_ext(d, dt):
    import reg_scan  # registry's entries (imported late: registry imports its parts last)
    return _with_values(reg_scan.g_ext_dims)(d, dt)


def g_sized_aminmax(d, dt):
    s = d.shape()
    r = {"inputs": [d.tensor(s, dt, d.choice(["uniform", "ties"]))],
         "args": {"dim": d.dim(len(s)), "keepdim": d.bool()}}
    if dt in FLOATS and d.plan.get("values"):
        r["inputs"][0]["values"] = d.plan["values"]
    return r


def g_sized_nan(d, dt):
    import reg_scan
    r = _with_values(reg_scan.g_nan_dims)(d, dt)
    if d.plan.get("nograd"):  # the one-pass path serves only inputs without a gradient
        r["nograd"] = True
    return r


CUSTOM = {"l2_amax": g_sized_ext, "l2_amin": g_sized_ext, "l2_aminmax": g_sized_aminmax,
          "l2_nansum": g_sized_nan, "l2_nanmean": g_sized_nan}


def _nan_plans(th):
    tr, grain = th["reduce_tile_red"], th["parallel_grain"]
    ps = [{"shape": (5, n), "dims": [1], "dim": 1, "values": "special",
           "label": "nanrow:n%d" % n} for n in (15, 16, 33, 1000)]
    ps += [{"shape": (tr + 7, 21), "dims": [0], "dim": 0, "values": "special",
            "label": "nancols"},
           {"shape": (255, grain // 256 - 1), "dims": [1], "dim": 1, "values": "special",
            "label": "below:parallel_grain"},
           {"shape": (257, grain // 256 + 3), "dims": [1], "dim": 1, "values": "special",
            "label": "at:parallel_grain"}]
    # each once with a gradient (the general path) and once without (the one-pass path)
    return ps + [dict(p, nograd=True, label=p["label"] + ":nograd") for p in ps]


def plans(op, th, deep):
    if op.name in NAN_OPS:
        return _nan_plans(th)
    if op.name not in EXT_OPS:
        return []
    to, tr, grain = th["reduce_tile_out"], th["reduce_tile_red"], th["parallel_grain"]
    ps = []
    for nb in (3, 4, 7, 8, 9, 16, 31, 32, 47):
        for v in ("special", None):
            p = {"shape": (tr + 7, nb), "dims": [0], "dim": 0, "label": "extcols:nb%d" % nb}
            if v:
                p["values"] = v
            ps.append(p)
    ps += [{"shape": (5, to + 9), "dims": [0], "dim": 0, "values": "special",
            "label": "extcols:tile_out"},
           {"shape": (tr + 3, 5, 13), "dims": [0, 1], "dim": 0, "values": "special",
            "label": "extcols:two_dims"},
           {"shape": (grain // (2 * to) - 1, 2 * to + 1), "dims": [0], "dim": 0,
            "values": "special", "label": "below:parallel_grain"},
           {"shape": (grain // (2 * to) + 2, 2 * to + 7), "dims": [0], "dim": 0,
            "values": "special", "label": "at:parallel_grain"}]
    return ps
