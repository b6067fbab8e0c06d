"""sizes_speed21.py: the sized plans of the radix sort (issue 12, session 12); sizes_plans.py adds
them.

Rows of at least l2_threshold("sort_radix_min") float32, float64 or int64 elements sort by a
stable LSD radix sort (libl2/ops/sort.c), shorter ones by the merge sort, in the same order
(NaN last, -0.0 equal to 0.0, ties in index order). Every op that sorts rows gets rows one below
the threshold, at it and past it, along the last dim (contiguous rows) and along dim 0 (strided
rows), layouts cycling, with the registry's own values (sort, argsort, msort: ties and specials;
the selecting ops: distinct floats, ties for int64), plus one large case; unique and median of
all elements sort the flattened input (numel at and below the threshold)."""

ROW_OPS = ("l2_sort", "l2_argsort", "l2_kthvalue", "l2_median_dim", "l2_mode", "l2_topk")
FLAT_OPS = ("l2_median", "l2_unique")


def plans(op, th, deep):
    t = th.get("sort_radix_min")
    if not t:
        return []
    ps = []
    rows = ((t - 1, "below:sort_radix_min"), (t, "at:sort_radix_min"),
            (t + 37, "above:sort_radix_min"))
    if op.name in ROW_OPS:
        for n, lb in rows:
            ps += [{"shape": (3, n), "dim": 1, "label": lb},
                   {"shape": (n, 4), "dim": 0, "label": lb}]
            if op.name == "l2_topk":  # k past topk_select: the sort path
                ps[-2]["k"] = ps[-1]["k"] = th.get("topk_select", 32) + 5
        ps.append({"shape": (2, 40 * t + 3), "dim": 1, "label": "large"})
        if deep:
            ps.append({"shape": (6 * t, 5), "dim": 0, "label": "large"})
    elif op.name == "l2_msort":
        for n, lb in rows:
            ps.append({"shape": (n, 3), "dim": 0, "label": lb})
    elif op.name in FLAT_OPS:
        for n, lb in rows:
            ps.append({"shape": (n,), "label": lb})
        ps.append({"shape": (7, t // 7 + 3), "label": "above:sort_radix_min"})
    return ps
