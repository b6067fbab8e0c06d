/* indexing ops of issue 14, family index3 (libl2/ops/index3.c, index4.c). */
#define L2__OPS_INDEX3(X)                                                                    \
    X(INDEX_FILL, index_fill, L2__SAVES)                                                     \
    X(INDEX_COPY, index_copy, L2__SAVES)                                                     \
    X(INDEX_ADD, index_add, L2__MAY_SAVE)                                                    \
    X(MASKED_SELECT, masked_select, L2__SAVES)                                               \
    X(MASKED_SCATTER, masked_scatter, L2__SAVES)

/* create_graph (issue 15): the ops of this family with a differentiable backward
 * (l2__name_backward_cg, autograd-impl.h). */
#define L2__CG_INDEX3(X)                                                                 \
    X(INDEX_FILL, index_fill)                                                            \
    X(INDEX_COPY, index_copy)                                                            \
    X(INDEX_ADD, index_add)                                                              \
    X(MASKED_SELECT, masked_select)                                                      \
    X(MASKED_SCATTER, masked_scatter)
