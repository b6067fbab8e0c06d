"""sizes_speed16.py: the sized plans of the speed area speed16 (issue 12, copy runs);
sizes_plans.py adds them.

A same-dtype copy whose source and destination are contiguous along a run (clone, contiguous,
copy_, cat, ... through libl2/iter.c's copy kernel) moves runs shorter than copy_run_bytes with
libl2's own 32-byte vector moves (four a step, then single moves, then one move that ends at the
run's end) and longer ones, and runs under 32 bytes, with memcpy. Plans for clone and contiguous
(the layouts sizes.py draws make runs of the last dim, or of the whole tensor when contiguous):
last dims of 7 and 9 elements (under 32 bytes in float32 / a tail), 8, 31, 32, 33 and 40 (the
step of 128 bytes, single moves, the end move), and the threshold's sides in elements of the
dtype (one below, at, one above)."""

RUNS = (7, 8, 9, 31, 32, 33, 40)
OPS = ("l2_clone", "l2_contiguous")
CUSTOM = {}


def plans(op, th, deep):
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
