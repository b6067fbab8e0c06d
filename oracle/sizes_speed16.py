"""sizes_speed16.py: the sized plans of the speed area speed16 (issue 12, copy runs);
sizes_plans.py adds them.

A same-dtype copy whose source and destination are contiguous along a run (clone, contiguous,
copy_, cat, ... through libl2/iter.c's copy kernel) moves runs shorter than copy_run_bytes with
libl2's own 32-byte vector moves (four a step, then single moves, then one move that ends at the
run's end) and longer ones, and runs under 32 bytes, with memcpy. Plans for clone and contiguous
(the layouts sizes.py draws make runs of the last dim, or of the whole tensor when contiguous):
last dims of 7 and 9 elements (under 32 bytes in float32 / a tail), 8, 31, 32, 33 and 40 (the
step of 128 bytes, single moves, the end move), and the threshold's sides in elements of the
dtype (one below, at, one above).

gather and scatter walk the index (libl2/ops/index-impl.h GS_WALK) in runs of its last dim, an
odometer over the other dims between runs; gather splits the positions over threads above
parallel_grain, so a thread's range starts and ends inside a run. Plans for gather: index shapes
(3, m) and (m, 3) with 3m one below and just above the grain, along dim 0 and the last dim; for
scatter: runs of 1, 3 and 9 with the index smaller than the destination."""

import math

RUNS = (7, 8, 9, 31, 32, 33, 40)
OPS = ("l2_clone", "l2_contiguous")


def g_sized_walk(d, dt):
    """gather, or scatter with a src (plan "src"), of an index of the plan's shape along its dim
    into a destination one larger in every dim (two larger along dim); scatter's index distinct
    along dim (torch leaves the order of colliding writes open)."""
    ish, dim = d.plan["ishape"], d.plan["dim"]
    s = [k + 1 for k in ish]
    s[dim] = ish[dim] + 2
    if d.plan.get("src"):
        vals = "dimperm:%d:%d:%d" % (s[dim], ish[dim], math.prod(ish[dim + 1:]))
    else:
        vals = "randint:0:%d" % s[dim]
    ins = [d.tensor(tuple(s), dt), d.tensor(tuple(ish), "int64", vals)]
    if d.plan.get("src"):
        ins.append(d.tensor(tuple(ish), dt))
    return {"inputs": ins, "args": {"dim": dim}}


def _or_registry(name):
    """g_sized_walk for this area's plans (with "ishape"), the registry's generator for the
    sized plans sizes.py makes for every op."""
    def g(d, dt):
        if "ishape" in d.plan:
            return g_sized_walk(d, dt)
        import reg_reduce  # registry's entries (imported late: registry imports its parts last)
        import reg_uniq
        return (reg_uniq.g_scatter if name == "l2_scatter" else reg_reduce.g_gather(False))(d, dt)
    return g


CUSTOM = {"l2_gather": _or_registry("l2_gather"), "l2_scatter": _or_registry("l2_scatter")}


def _walk_plans(op, th):
    if op.name == "l2_gather":
        m = th["parallel_grain"] // 3
        return [{"ishape": sh, "dim": dim, "label": lb, "shape": sh}
                for sh, lb in (((3, m - 1), "below:parallel_grain"),
                               ((3, m + 7), "above:parallel_grain"),
                               ((m + 7, 3), "above:parallel_grain"))
                for dim in (0, 1)]
    if op.name == "l2_scatter":
        return [{"ishape": (4, k), "dim": dim, "src": True, "label": "tail:gs_walk",
                 "shape": (4, k)} for k in (1, 3, 9) for dim in (0, 1)]
    return []


def plans(op, th, deep):
    if op.name in ("l2_gather", "l2_scatter"):
        return _walk_plans(op, th)
    if op.name not in OPS:
        return []
    ps = []
    for k in RUNS:
        ps += [{"shape": (3, k), "label": "tail:copy_run"},
               {"shape": (2, 3, k), "label": "tail:copy_run"}]
    b = th["copy_run_bytes"]
    for es in (4, 8):  # float32 / int64 and float64 runs of the threshold's sides
        n = b // es
        ps += [{"shape": (2, n - 1), "label": "below:copy_run_bytes"},
               {"shape": (2, n), "label": "at:copy_run_bytes"},
               {"shape": (2, n + 1), "label": "above:copy_run_bytes"}]
    return ps
