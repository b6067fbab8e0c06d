"""sizes_speed8.py: the sized plans of the speed area (issue 12, session 8); sizes.py adds them.

topk selects (a sorted buffer of k, libl2/ops/sort.c) when k < l2_threshold("topk_select") and k
is less than the row, and sorts the row otherwise: k one below the threshold and at it, over
contiguous rows (dim 1) and strided ones (dim 0), rows just longer than k, k = 1 over long rows,
and a large case of k = 10 (the benchmark's). Float inputs hold distinct values in layouts that
repeat no element (torch leaves the order of ties open), as reg_sort.py draws them."""

# layouts in which no two logical elements share memory (reg_sort.NOREPEAT)
NOREPEAT = ("contiguous", "transposed", "permuted", "stepped", "offset", "nan_gap", "mixed")


def g_sized_topk(d, dt):
    s = d.shape(min_dims=1)
    dim = d.dim(len(s))
    n = s[dim]
    k = min(d.plan.get("k", d.int(0, n)), n)
    if dt in ("float32", "float64"):
        lay = d.plan.get("layout")
        x = d.tensor(s, dt, "distinct", layout=lay if lay in NOREPEAT else d.choice(NOREPEAT))
    else:
        x = d.tensor(s, dt, d.choice(["ties", "uniform", "distinct"]))
    return {"inputs": [x], "args": {"k": k, "dim": dim, "largest": d.bool(),
                                    "sorted": d.bool(), "keepdim": True}}


CUSTOM = {"l2_topk": g_sized_topk}


def plans(op, th, deep):
    t = th.get("topk_select")
    if op.name != "l2_topk" or not t:
        return []
    ps = []
    for k, lb in ((t - 1, "below:topk_select"), (t, "at:topk_select")):
        ps += [{"shape": (5, 3 * t + 5), "dim": 1, "k": k, "label": lb},
               {"shape": (3 * t + 4, 6), "dim": 0, "k": k, "label": lb},
               {"shape": (4, k + 1), "dim": 1, "k": k, "label": lb}]
    ps += [{"shape": (7, 4099), "dim": 1, "k": 1, "label": "below:topk_select"},
           {"shape": (401, 1000), "dim": 1, "k": 10, "label": "large"}]
    if deep:
        ps.append({"shape": (1000, 403), "dim": 0, "k": t + 1, "label": "above:topk_select"})
    return ps
