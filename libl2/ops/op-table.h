/* op-table.h: every differentiable op, family by family. X(ENUM, name, saves) yields L2__OP_ENUM,
 * the name "name" (shown by l2_grad_fn_name) and the backward function l2__name_backward, which
 * must be defined in the family's source file next to the forward. saves is L2__SAVES when torch
 * 1.13's node for the op saves something (a tensor or a wrapped number) in every variant, so
 * that a second backward without retain_graph through it fails even where libl2 saved nothing;
 * L2__MAY_SAVE otherwise (the node counts as saving when libl2 saved a tensor, or when the
 * forward sets l2__node.torch_saves). oracle/torch_saves.py --check compares the flags with
 * torch. Each family keeps its list in its own file, list-<family>.h. */
#ifndef L2_OP_TABLE_H
#define L2_OP_TABLE_H

#define L2__SAVES true
#define L2__MAY_SAVE false

#include "list-view.h"
#include "list-elementwise.h"
#include "list-reduce.h"
#include "list-linalg.h"
#include "list-index.h"
#include "list-nn.h"
#include "list-conv.h"
#include "list-interp.h"
#include "list-index2.h" /* index2 (issue 14) */
#include "list-sort.h"   /* sort (issue 14) */
#include "list-sample.h" /* sample (issue 14) */
#include "list-scan.h"   /* scan (issue 14) */
#include "list-act.h"    /* act (issue 14) */
#include "list-shape.h"  /* shape (issue 14) */
#include "list-conv2.h"  /* conv2 (issue 14) */
#include "list-index3.h" /* index3 (issue 14) */
#include "list-conv3.h"  /* conv3 (issue 14) */
#include "list-loss2.h"  /* loss (issue 14) */
#include "list-uniq.h"   /* uniq (issue 14) */
#include "list-decomp.h" /* la2 (issue 15) */
#include "list-lapack.h" /* la1 (issue 15) */
#include "list-svd.h"    /* svd (issue 15) */
#include "list-lsq.h"    /* lsqnorm (issue 15) */
#include "list-baddbmm.h" /* baddbmm (issue 15) */

#define L2__OP_LIST(X)                                                                       \
    L2__OPS_VIEW(X)                                                                          \
    L2__OPS_ELEMENTWISE(X)                                                                   \
    L2__OPS_REDUCE(X)                                                                        \
    L2__OPS_LINALG(X)                                                                        \
    L2__OPS_INDEX(X)                                                                         \
    L2__OPS_NN(X)                                                                            \
    L2__OPS_CONV(X)                                                                          \
    L2__OPS_INTERP(X)                                                                        \
    L2__OPS_INDEX2(X)                                                                        \
    L2__OPS_SORT(X)                                                                          \
    L2__OPS_SAMPLE(X)                                                                        \
    L2__OPS_SCAN(X)                                                                          \
    L2__OPS_ACT(X)                                                                           \
    L2__OPS_SHAPE(X)                                                                         \
    L2__OPS_CONV2(X)                                                                         \
    L2__OPS_INDEX3(X)                                                                        \
    L2__OPS_CONV3(X)                                                                         \
    L2__OPS_LOSS2(X)                                                                         \
    L2__OPS_UNIQ(X)                                                                          \
    L2__OPS_DECOMP(X)                                                                        \
    L2__OPS_LAPACK(X)                                                                        \
    L2__OPS_SVD(X)                                                                       \
    L2__OPS_LSQ(X)                                                                           \
    L2__OPS_BADDBMM(X)

/* create_graph (issue 15): the ops with a differentiable backward, family by family. */
#define L2__CG_LIST(X)                                                                   \
    L2__CG_VIEW(X)                                                                       \
    L2__CG_ELEMENTWISE(X)                                                                \
    L2__CG_REDUCE(X)                                                                     \
    L2__CG_LINALG(X)                                                                     \
    L2__CG_INDEX(X)                                                                      \
    L2__CG_NN(X)                                                                         \
    L2__CG_CONV(X)                                                                       \
    L2__CG_INTERP(X)                                                                     \
    L2__CG_INDEX2(X)                                                                     \
    L2__CG_SORT(X)                                                                       \
    L2__CG_SAMPLE(X)                                                                     \
    L2__CG_SCAN(X)                                                                       \
    L2__CG_ACT(X)                                                                        \
    L2__CG_SHAPE(X)                                                                      \
    L2__CG_CONV2(X)                                                                      \
    L2__CG_INDEX3(X)                                                                     \
    L2__CG_CONV3(X)                                                                      \
    L2__CG_LOSS2(X)                                                                      \
    L2__CG_UNIQ(X)                                                                       \
    L2__CG_DECOMP(X)                                                                     \
    L2__CG_LAPACK(X)                                                                     \
    L2__CG_SVD(X)                                                                        \
    L2__CG_BADDBMM(X)                                                                    \
    L2__CG_LSQ(X)

#endif
