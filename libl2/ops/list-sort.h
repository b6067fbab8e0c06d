/* sorting, selection and scans (issue 14; libl2/ops/sort.c, scan.c, sort-reduce.c). argsort,
 * msort (sort's node), searchsorted and bucketize have none of their own. */
#define L2__OPS_SORT(X)                                                                      \
    X(SORT, sort, L2__SAVES)                                                                 \
    X(TOPK, topk, L2__SAVES)                                                                 \
    X(KTHVALUE, kthvalue, L2__SAVES)                                                         \
    X(MEDIAN, median, L2__SAVES)                                                             \
    X(MEDIAN_DIM, median_dim, L2__SAVES)                                                     \
    X(MODE, mode, L2__SAVES)

/* create_graph (issue 15): the ops of this family with a differentiable backward
 * (l2__name_backward_cg, autograd-impl.h). */
#define L2__CG_SORT(X)                                                                   \
    X(SORT, sort)                                                                        \
    X(TOPK, topk)                                                                        \
    X(KTHVALUE, kthvalue)                                                                \
    X(MEDIAN, median)                                                                    \
    X(MEDIAN_DIM, median_dim)                                                            \
    X(MODE, mode)
