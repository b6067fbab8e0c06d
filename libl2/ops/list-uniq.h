/* scatter and unique (issue 14, area uniq; libl2/ops/scatter.c, unique.c). unique and
 * unique_consecutive have no gradient. */
#define L2__OPS_UNIQ(X)                                                                      \
    X(SCATTER, scatter, L2__SAVES)                                                           \
    X(SCATTER_VALUE, scatter_value, L2__SAVES)                                               \
    X(SCATTER_REDUCE, scatter_reduce, L2__SAVES)

/* create_graph (issue 15): the ops of this family with a differentiable backward
 * (l2__name_backward_cg, autograd-impl.h). */
#define L2__CG_UNIQ(X)                                                                   \
    X(SCATTER, scatter)                                                                  \
    X(SCATTER_VALUE, scatter_value)                                                      \
    X(SCATTER_REDUCE, scatter_reduce)
