"""sizes_speed17.py: the sized plans of the speed area sred (issue 12, scatter_reduce's amax and
amin); sizes_plans.py adds them.

scatter_reduce's amax and amin (libl2/ops/scatter.c) reduce in the tensor's dtype (float32 no
longer through float64) and save their result, from which the backward (extreme_backward) counts
the maxima per position N = (t == R) + #(src == R), divides dy by N and hands each maximum its
share, walking the index (GS_WALK: runs of its last dim, an odometer over the others) three
times, a fourth to zero dt's reached positions without include_self. Strided t, src and dy are
copied contiguous first, a strided index too. No threshold: the plans reach the paths by shape,
layout and values: dims 0, last and middle; an index as large as t's other dims and smaller (t
positions not reached); more index rows along dim than t has (collisions) and fewer; runs of 1,
7, 8, 9 and long; ties (values -2..2, so t and several src values share the maximum), special
values (NaN, inf, +-0) and plain ones; contiguous and strided t, index and src; include_self on
and off; and sum, prod, mean next to them (the float64 path, which no longer handles amax and
amin). Floats get src of the index's shape (torch 1.13's backward needs it; reg_uniq.py)."""

# (t shape, index shape, dim, label)
GEOMS = (
    ((37, 45), (120, 45), 0, "sred:dim0"),
    ((45, 37), (45, 120), 1, "sred:dim_last"),
    ((5, 13, 7), (5, 40, 7), 1, "sred:dim_middle"),
    ((6, 13, 9), (4, 30, 8), 1, "sred:index_smaller"),
    ((9, 11, 8), (3, 11, 40), -1, "sred:dim_last_runs8"),
    ((50,), (7,), 0, "sred:1d_fewer"),
    ((31,), (200,), 0, "sred:1d"),
    ((40, 1), (90, 1), 0, "sred:runs1"),
)
# the benchmark's shape (about 4 src rows per position) and a large one along the last dim
LARGE = (((512, 256), (2048, 256), 0, "large"),
         ((300, 400), (300, 1100), 1, "large"))
# layouts of (t, index, src)
LAYS = (("contiguous", "contiguous", "contiguous"),
        ("transposed", "stepped", "nan_gap"),
        ("offset", "permuted", "transposed"),
        ("nan_gap", "contiguous", "stepped"))
VALUES = ("ties", "special", "ties", "uniform")


def g_sized_sred(d, dt):
    """t, index (randint over t's size at dim, repeats included) and src of the plan's shapes
    and layouts, the plan's values, reduce and include_self."""
    p = d.plan
    ts, ish, dim = p["t"], p["index"], p["dim"]
    dd = dim % len(ts)
    lt, li, ls = p["lays"]
    kind = p["values"] if dt != "int64" else ("ties" if p["values"] != "uniform" else "uniform")
    ins = [d.tensor(ts, dt, kind, layout=lt),
           d.tensor(ish, "int64", "randint:0:%d" % ts[dd], layout=li),
           d.tensor(ish, dt, kind, layout=ls)]
    return {"inputs": ins, "args": {"dim": dim, "reduce": p["reduce"],
                                    "include_self": p["self"]}}


def _or_registry(d, dt):
    if "index" in d.plan:
        return g_sized_sred(d, dt)
    import reg_uniq  # the registry's entry (imported late: registry imports its parts last)
    return reg_uniq.g_scatter_reduce(d, dt)


CUSTOM = {"l2_scatter_reduce": _or_registry}


def plans(op, th, deep):
    if op.name != "l2_scatter_reduce":
        return []
    ps = []
    k = 0
    for ts, ish, dim, lb in GEOMS:
        for red in (3, 4):  # amax, amin
            for self_ in (True, False):
                ps.append({"t": ts, "index": ish, "dim": dim, "reduce": red, "self": self_,
                           "lays": LAYS[k % len(LAYS)],  # values shifted per geometry
                           "values": VALUES[(k + k // len(LAYS)) % len(VALUES)], "label": lb})
                k += 1
    for n, (ts, ish, dim, lb) in enumerate(LARGE):
        for red in (3, 4):
            for self_ in (True, False):
                ps.append({"t": ts, "index": ish, "dim": dim, "reduce": red, "self": self_,
                           "lays": LAYS[(k + n) % 2 * 3], "values": VALUES[k % 3],
                           "label": lb})
                k += 1
    # sum, prod, mean: the float64 path beside the amax / amin one
    for red in (0, 1, 2):
        for ts, ish, dim, lb in (GEOMS[2], GEOMS[3]):
            ps.append({"t": ts, "index": ish, "dim": dim, "reduce": red, "self": red != 1,
                       "lays": LAYS[k % len(LAYS)], "values": "ties", "label": lb + "_f64"})
            k += 1
    if deep:
        for ts, ish, dim, lb in GEOMS:
            ps.append({"t": ts, "index": ish, "dim": dim, "reduce": 3 + k % 2, "self": k % 3 > 0,
                       "lays": LAYS[(k + 1) % len(LAYS)], "values": "special", "label": lb})
            k += 1
    return ps
