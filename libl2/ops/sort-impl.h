/* sort-impl.h: what the sorting family's files share (libl2/ops/sort.c, scan.c, search.c,
 * sort-reduce.c): the geometry of rows along one dim and the backward of the ops that select
 * elements. Internal, never installed. */
#ifndef L2_SORT_IMPL_H
#define L2_SORT_IMPL_H

#include "../autograd-impl.h"

/* What sort_rows picks from each sorted row. */
enum { SEL_RANGE, SEL_MEDIAN, SEL_MODE };

/* A tensor seen as (outer, S, inner) around dim d (a 0-d tensor: 1, 1, 1); sst is the stride of
 * d in elements (0 for a 0-d tensor). */
typedef struct {
    int64_t outer, S, inner, sst;
} l2__sgeom;

void l2__sort_geom(const l2_tensor *t, int d, l2__sgeom *g);
/* The element offset of row r (r = outer position * inner + inner position) of a tensor of rank
 * nd with shape and strides st, rows running along d. */
int64_t l2__sort_row_off(int nd, const int64_t *shape, int d, const int64_t *st, int64_t r);
/* Remove dim d (of size 1) from a fresh contiguous tensor; NULL and 0-d tensors are left. */
void l2__sort_squeeze(l2_tensor *r, int d);
/* The backward of a selection along dim nd->i[0] with the int64 indices nd->saved[0]
 * (contiguous, the output's shape): dy added into zeros_like(x) at the indices. */
l2_status l2__pick_backward(l2__node *nd, const l2_tensor *gout, l2_tensor **gin);

#endif
