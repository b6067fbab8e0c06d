/* linalg-layouts.h: the operand layouts test-linalg and test-linalg-grad draw (contiguous,
 * transposed, stepped, narrowed, expanded) and how a view of each is made from its base tensor. */
#ifndef L2_TESTS_LINALG_LAYOUTS_H
#define L2_TESTS_LINALG_LAYOUTS_H

#include <l2.h>
#include <stdint.h>

enum {
    L_CONTIG,    /* contiguous */
    L_TRANS,     /* transpose of a contiguous tensor (column-major matrices) */
    L_STEP_COLS, /* every other column: inner stride 2, BLAS cannot read it in place */
    L_STEP_ROWS, /* every other row: row stride 2 * cols, BLAS can */
    L_NARROW,    /* columns 2.. of a wider tensor: an offset and a larger row stride */
    L_EXPAND,    /* dim 0 expanded from 1 (stride 0): a broadcast batch, or repeated rows */
    L_COUNT
};

/* The shape of the tensor a layout starts from. */
static inline void base_shape(int lay, int nd, const int64_t *shape, int64_t *base)
{
    for (int i = 0; i < nd; i++)
        base[i] = shape[i];
    if (nd == 0)
        return;
    switch (lay) {
    case L_TRANS:
        if (nd >= 2) {
            base[nd - 1] = shape[nd - 2];
            base[nd - 2] = shape[nd - 1];
        }
        break;
    case L_STEP_COLS: base[nd - 1] = 2 * shape[nd - 1]; break;
    case L_STEP_ROWS: base[nd >= 2 ? nd - 2 : 0] *= 2; break;
    case L_NARROW: base[nd - 1] = shape[nd - 1] + 3; break;
    case L_EXPAND: base[0] = 1; break;
    default: break;
    }
}

/* The view of base (of base_shape(lay, ...)) with logical shape `shape` (a new reference). */
static inline l2_tensor *apply_layout(l2_tensor *base, int lay, int nd,
                                       const int64_t *shape)
{
    switch (lay) {
    case L_TRANS: return nd >= 2 ? l2_transpose(base, -1, -2) : l2_tensor_ref(base);
    case L_STEP_COLS: return l2_slice(base, -1, 0, INT64_MAX, 2);
    case L_STEP_ROWS: return l2_slice(base, nd >= 2 ? -2 : 0, 0, INT64_MAX, 2);
    case L_NARROW: return l2_narrow(base, -1, 2, shape[nd - 1]);
    case L_EXPAND: return l2_expand(base, nd, shape);
    default: return l2_tensor_ref(base);
    }
}

#endif
