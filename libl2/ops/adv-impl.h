/* adv-impl.h: the internals advanced indexing shares (family adv, issue 14): index-adv.c
 * builds them, index-put.c reuses them (one index walk for reading and writing). */
#ifndef L2_ADV_IMPL_H
#define L2_ADV_IMPL_H
#include "../l2-impl.h"

/* Check the index entries: dtypes, mask shapes, the number of dims of x consumed. */
bool l2__adv_check(const char *op, const l2_tensor *x, int n, const l2_tensor *const *ind);
/* The advanced entries as int64 tensors (masks expanded by nonzero) at dims pos[]; *m of them,
 * owned references in idx[]. False on failure (all released). Public ops: call inside
 * l2__enter / l2__leave. */
bool l2__adv_collect(int n, const l2_tensor *const *ind, int *m, int *pos, l2_tensor **idx);
/* The broadcast shape (*nb, bshape) of the m entries idx[] (L2_ERR_SHAPE when they do not). */
bool l2__adv_bshape(const char *op, int m, l2_tensor *const *idx, int *nb, int64_t *bshape);
/* The row-major linear index (int64, normalized to [0, P)) over the advanced dims of x, of the
 * broadcast shape (*nb, bshape); L2_ERR_INDEX for an entry out of range. */
l2_tensor *l2__adv_linear(const char *op, const l2_tensor *x, int m, const int *pos,
                          l2_tensor *const *idx, int *nb, int64_t *bshape);

/* How x is read at a linear index of shape (nb, bshape): x permuted by perm (shape pshape) and reshaped to rshape (r dims) puts
 * the advanced dims into one dim at base, of size P; the result has shape oshape (o dims);
 * nlin elements in lin. */
typedef struct {
    int perm[L2_MAX_DIMS], base, r, o;
    int64_t pshape[L2_MAX_DIMS], rshape[L2_MAX_DIMS], oshape[L2_MAX_DIMS], nlin;
} l2__adv_lay;
bool l2__adv_layout(const char *op, const l2_tensor *x, int m, const int *pos, int nb,
                    const int64_t *bshape, l2__adv_lay *L);

#endif
