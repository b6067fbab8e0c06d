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
(the other side of the path's condition).

Elementwise iterations of two dims on one thread (an operand broadcast along the rows keeps the
iterator from coalescing them) walk their rows in libl2/ops/elementwise.c ew_rows: plans with
a row operand (K), a column operand (R, 1) (a scalar per row), a (3, 5, 7) + (5, 7) pair (dims
coalesce to two), a (3, 5, 7) + (3, 1, 7) pair (three dims: the iterator), a transposed first
operand (the output follows it), and rows of 1000 one below and at parallel_grain elements
(threads split the larger one at 2 and 3 threads).

float32 sums and means whose one reduced dim is contiguous and whose outputs walk at most one
dim run one loop over the outputs (libl2/ops/reduce-kern.c sum_rows), each row in blocks of
256 x reduce_vec_block elements. Plans for sum_dims and mean_dims over the last dim: rows one
below, at and above a block, and three blocks with a tail; a (2, 3, K) input over dim 2 (the
outputs coalesce); outputs one below and at grain_reduce elements of work (threads split the
outputs above it); two long rows above the grain (few outputs: one thread per output at 1 thread,
the split range at 2 and 3 when a row holds two parallel_chunks); and the generic loops at the
same sizes: transposed (outputs along two dims), stepped (a strided reduced dim), float64. For
sum and mean of a whole tensor: numel one below, at and above a block."""

OPS = ("l2_add", "l2_sub", "l2_mul", "l2_div", "l2_pow")
ROW_OPS = ("l2_sum_dims", "l2_mean_dims")
ALL_OPS = ("l2_sum", "l2_mean")


def row_plans(op, th, deep):
    vb, grain, chunk = th.get("reduce_vec_block"), th.get("grain_reduce"), th.get("parallel_chunk")
    if not vb or not grain or not chunk:
        return []
    fb = 256 * vb  # float32 elements per block
    if op.name in ALL_OPS:
        return [{"numel": n, "label": lb, "layout": "contiguous"}
                for n, lb in ((fb - 1, "below:sum_rows_block"), (fb, "at:sum_rows_block"),
                              (fb + 1, "above:sum_rows_block"))]
    if op.name not in ROW_OPS:
        return []
    out = []
    for k, lb in ((fb - 1, "below:sum_rows_block"), (fb, "at:sum_rows_block"),
                  (fb + 1, "above:sum_rows_block"), (3 * fb + 7, "tail:sum_rows_block")):
        out.append({"shape": (3, k), "dims": [1], "dim": 1, "label": lb, "layout": "contiguous"})
    out += [{"shape": (2, 3, 517), "dims": [2], "dim": 2, "label": "rows3d:sum_rows",
             "layout": "contiguous"},
            {"shape": (grain // 1000, 1000), "dims": [1], "dim": 1,
             "label": "below:grain_reduce", "layout": "contiguous"},
            {"shape": (grain // 1000 + 1, 1000), "dims": [1], "dim": 1,
             "label": "at:grain_reduce", "layout": "contiguous"},
            {"shape": (2, 2 * chunk + 9), "dims": [1], "dim": 1, "label": "large",
             "layout": "contiguous"}]
    for shape, lay in (((7, 1029), "transposed"), ((5, fb + 1), "stepped"),
                       ((3, 4, 301), "permuted")):
        out.append({"shape": shape, "dims": [len(shape) - 1], "dim": len(shape) - 1,
                    "label": "strided:sum_rows", "layout": lay})
    return out


def plans(op, th, deep):
    k = th.get("sumto_rows_min")
    if op.name in ROW_OPS or op.name in ALL_OPS:
        return row_plans(op, th, deep)
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
    # ew_rows: rows walked by the elementwise driver, and the iterator's cases beside them
    grain = th.get("parallel_grain")
    for shape, bshape, lays, lb in (((37, 19), (37, 1), ["contiguous"] * 2, "col:ew_rows"),
                                    ((3, 5, 7), (5, 7), ["contiguous"] * 2, "rows3d:ew_rows"),
                                    ((3, 5, 7), (3, 1, 7), ["contiguous"] * 2, "dims3:ew_rows"),
                                    ((23, 45), (45,), ["transposed", "contiguous"],
                                     "transposed:ew_rows")):
        out.append({"shape": shape, "bshape": bshape, "layouts": lays,
                    "grad_layout": "contiguous", "label": lb})
    if grain:
        for r, lb in ((grain // 1000, "below:parallel_grain"),
                      (grain // 1000 + 1, "at:parallel_grain")):
            out.append({"shape": (r, 1000), "bshape": (1000,), "layouts": ["contiguous"] * 2,
                        "grad_layout": "contiguous", "label": lb})
    # the generic loop at the same sizes: a non-contiguous upstream gradient, strided inputs
    for shape, bshape, lay in (((9, 17), (17,), "transposed"), ((5, 513), (513,), "stepped"),
                               ((7, 40), (1, 40), "nan_gap")):
        out.append({"shape": shape, "bshape": bshape, "layouts": [lay] * 2,
                    "grad_layout": lay, "label": "strided:sumto_rows_min"})
    return out
