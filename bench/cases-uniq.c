/* cases-uniq.c: issue 14's scatter and unique ops (libl2/ops/scatter.c, unique.c; area uniq),
 * forward and, where torch has a gradient, forward + backward, float32, in every profile (quick
 * too: 33 cases, a few seconds a side). Rows for the generic runner of cases-ops14.c
 * (ops14_add_rows_always; the inputs: IN_* in cases.h). The torch twins are in
 * bench/torch_uniq.py (torch-py) and bench/torch-cases-ops14.cc (libtorch) under "op/variant".
 * - unique, unique_dim, unique_consecutive: float32 values drawn from 0..63 (IN_INTS: repeated
 *   values, as labels or token ids; unique_consecutive on them sorted), return_inverse and
 *   return_counts asked; the case keeps the values. libl2's unique always sorts: the twins ask
 *   sorted=True. No gradient in torch (no +bwd case).
 * - scatter, scatter_value, scatter_reduce: destination randn(piece 0), index randint over the
 *   destination's size at dim (repeats included) shaped as piece 1, src randn(piece 1); the +bwd
 *   cases differentiate the destination and src (scatter_value: the destination). */
#include "cases.h"

/* The unique values (inverse and counts made and dropped, as the twin's tuple). */
static l2_tensor *values(l2_tensor *y, l2_tensor *inverse, l2_tensor *counts)
{
    l2_tensor_release(inverse);
    l2_tensor_release(counts);
    return y;
}

static l2_tensor *f_unique(l2_tensor **t)
{
    l2_tensor *i = NULL, *c = NULL, *y = l2_unique(t[0], true, &i, &c);
    return values(y, i, c);
}
static l2_tensor *f_unique_dim0(l2_tensor **t)
{
    l2_tensor *i = NULL, *c = NULL, *y = l2_unique_dim(t[0], 0, true, &i, &c);
    return values(y, i, c);
}
static l2_tensor *f_unique_consecutive(l2_tensor **t)
{
    l2_tensor *i = NULL, *c = NULL, *y = l2_unique_consecutive(t[0], &i, &c);
    return values(y, i, c);
}

static l2_tensor *f_scatter0(l2_tensor **t) { return l2_scatter(t[0], 0, t[1], t[2]); }
static l2_tensor *f_scatter1(l2_tensor **t) { return l2_scatter(t[0], 1, t[1], t[2]); }
static l2_tensor *f_scatter_value1(l2_tensor **t) { return l2_scatter_value(t[0], 1, t[1], -1.0); }

#define SR(mode, self)                                                                            \
    static l2_tensor *f_sr_##mode##_##self(l2_tensor **t)                                        \
    {                                                                                             \
        return l2_scatter_reduce(t[0], 0, t[1], t[2], L2_SCATTER_##mode, self);                   \
    }
SR(SUM, true)
SR(SUM, false)
SR(PROD, true)
SR(PROD, false)
SR(MEAN, true)
SR(MEAN, false)
SR(AMAX, true)
SR(AMAX, false)
SR(AMIN, true)
SR(AMIN, false)
#undef SR

#define ROW(op, var, shape, in, grad, f) {#op, var, shape, in, grad, f, NULL}
/* scatter_reduce along dim 0: 2048 x 256 src rows into 512 x 256 (about 4 per position; 512K
 * src elements, to keep the quick profile short: 22 cases of the 33). */
#define SR_ROW(name, mode, self)                                                                  \
    ROW(scatter_reduce, name, "512x256-2048x256", IN_SCATTER0, 5, f_sr_##mode##_##self)

static const ops14_row rows[] = {
    ROW(unique, "sorted_inv_cnt", "1048576", IN_INTS, 0, f_unique),
    ROW(unique, "sorted_inv_cnt", "256x256", IN_INTS, 0, f_unique),
    ROW(unique_dim, "dim0_inv_cnt", "256x256", IN_INTS, 0, f_unique_dim0),
    ROW(unique_dim, "dim0_inv_cnt", "65536x2", IN_INTS, 0, f_unique_dim0),
    ROW(unique_consecutive, "inv_cnt", "1048576", IN_INTS_SORTED, 0, f_unique_consecutive),
    ROW(scatter, "dim0", "1024x1024-1024x1024", IN_SCATTER0, 5, f_scatter0),
    ROW(scatter, "dim1", "1024x1024-1024x1024", IN_SCATTER1, 5, f_scatter1),
    ROW(scatter_value, "dim1", "1024x1024-1024x1024", IN_SCATTER1, 1, f_scatter_value1),
    SR_ROW("sum_self", SUM, true),
    SR_ROW("sum_noself", SUM, false),
    SR_ROW("prod_self", PROD, true),
    SR_ROW("prod_noself", PROD, false),
    SR_ROW("mean_self", MEAN, true),
    SR_ROW("mean_noself", MEAN, false),
    SR_ROW("amax_self", AMAX, true),
    SR_ROW("amax_noself", AMAX, false),
    SR_ROW("amin_self", AMIN, true),
    SR_ROW("amin_noself", AMIN, false),
    ROW(scatter_reduce, "sum_self", "256x256-256x256", IN_SCATTER0, 5, f_sr_SUM_true),
};

void bench_cases_uniq(void) { ops14_add_rows_always(rows, (int)(sizeof rows / sizeof rows[0])); }
