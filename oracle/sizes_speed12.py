"""sizes_speed12.py: the sized plans of the speed area speed12 (issue 12); sizes_plans.py adds them.

prelu (libl2/ops/prelu.c) runs over a contiguous copy of x viewed as (N, C, I) in segments: a
row of I elements with its channel's weight as a scalar, or, for x of shape (N, C) with C
weights, a row of C elements with the weights as a vector. Each segment is an 8-lane vector loop
with a tail: row lengths 7 (tail only), 8 (no tail), 9 and 17 (vectors and a tail), with one
weight per channel and a single weight (one segment of all elements), in the layouts sizes.py
draws (strided x is copied first). Threads split the elements (not the rows) above
parallel_grain: shapes one below and at the grain whose thread ranges start mid-row, and a large
one that 3 threads split; dweight is summed per thread and channel, then across threads."""

ROWS = (7, 8, 9, 17)


def g_sized_prelu(d, dt):
    s = d.shape(min_dims=1)
    c = s[1] if len(s) >= 2 else 1
    w = d.plan.get("weight", "chan")
    ws = (c,) if w == "chan" else () if w == "0d" else (1,)
    x = d.tensor(s, dt, d.choice(["normal", "wide"]))
    return {"inputs": [x, d.tensor(ws, dt, "normal")], "args": {}}


CUSTOM = {"l2_prelu": g_sized_prelu}


def plans(op, th, deep):
    if op.name != "l2_prelu":
        return []
    grain = th["parallel_grain"]
    ps = []
    for k in ROWS:
        lb = "tail:prelu_row" if k % 8 else "at:prelu_row"
        ps += [{"shape": (5, k), "weight": "chan", "label": lb},          # rows of C weights
               {"shape": (3, 4, k), "weight": "chan", "label": lb},       # rows of I, scalar w
               {"shape": (2, 3, k), "weight": "one", "label": lb}]        # one segment
    # thread ranges that start inside a row: (3, 5, I) with 15 I one below / at the grain
    i = grain // 15
    ps += [{"shape": (3, 5, i), "weight": "chan", "label": "below:parallel_grain"},
           {"shape": (3, 5, i + 1), "weight": "chan", "label": "at:parallel_grain"},
           {"shape": (grain // 9 + 1, 9), "weight": "chan", "label": "at:parallel_grain"},
           {"shape": (7, 3, grain // 7 + 5), "weight": "chan", "label": "large"},
           {"shape": (5, 3, grain // 5 + 3), "weight": "0d", "label": "large"}]
    if deep:
        ps.append({"shape": (grain // 17 - 1, 17), "weight": "chan",
                   "label": "below:parallel_grain"})
    return ps
