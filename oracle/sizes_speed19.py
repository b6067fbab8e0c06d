"""sizes_speed19.py: the sized plans of the speed area bcast (issue 12); sizes_plans.py adds them.

A float32 broadcast gradient summed over its leading rows back to K >= sumto_rows_min inner
outputs (a bias of shape (K) or (1, K) against (R, K)) goes straight into the float32 result
(libl2/sum-rows.c l2__sum_rows_f32): tiles of 512 outputs, rows in groups of 4 (then the R % 4
last rows one at a time), eight outputs a vector (then the K % 8 outputs of the tile one by one).
Plans for the binary ops whose gradient is summed back (add, sub, mul, div): K one below the
threshold (the generic loop), at it (tail only), 8, 9, 15, 17 (vectors and tails); R from 1 to 9
(no group, whole groups, every R % 4); 512 and 513 outputs (one whole tile, a tile of one) and a
three-dim gradient of R = 3 rows of (41, 1031). The float32 path needs a contiguous gradient:
the same shapes with a transposed upstream gradient and strided inputs take the generic loop
(the other side of the path's condition)."""

OPS = ("l2_add", "l2_sub", "l2_mul", "l2_div")


def plans(op, th, deep):
    k = th.get("sumto_rows_min")
    if not k or op.name not in OPS:
        return []
    rows = (1, 2, 3, 4, 5, 7, 8, 9) if deep else (1, 3, 4, 6, 9)
    ks = (k - 1, k, 8, 9, 15, 17)
    out = []
    for i, kk in enumerate(ks):
        for j, r in enumerate(rows):
            lb = ("below:sumto_rows_min" if kk < k else "at:sumto_rows_min" if kk == k else
                  "tail:sumto_rows_min" if kk % 8 else "vec:sumto_rows_min")
            bshape = (1, kk) if (i + j) % 2 else (kk,)
            out.append({"shape": (r, kk), "bshape": bshape, "layouts": ["contiguous"] * 2,
                        "grad_layout": "contiguous", "label": lb})
    for shape, bshape, lb in (((6, 512), (512,), "tile:sumto_rows_min"),
                              ((7, 513), (1, 513), "tile:sumto_rows_min"),
                              ((3, 41, 1031), (41, 1031), "large")):
        out.append({"shape": shape, "bshape": bshape, "layouts": ["contiguous"] * 2,
                    "grad_layout": "contiguous", "label": lb})
    # the generic loop at the same sizes: a non-contiguous upstream gradient, strided inputs
    for shape, bshape, lay in (((9, 17), (17,), "transposed"), ((5, 513), (513,), "stepped"),
                               ((7, 40), (1, 40), "nan_gap")):
        out.append({"shape": shape, "bshape": bshape, "layouts": [lay] * 2,
                    "grad_layout": lay, "label": "strided:sumto_rows_min"})
    return out
