/* index ops (libl2/ops/index.c). */
#define L2__OPS_INDEX(X)                                                                     \
    X(INDEX_SELECT, index_select, L2__SAVES)                                                 \
    X(GATHER, gather, L2__SAVES)                                                             \
    X(SCATTER_ADD, scatter_add, L2__MAY_SAVE)                                                \
    X(EMBEDDING, embedding, L2__SAVES)

/* create_graph (issue 15): the ops of this family with a differentiable backward
 * (l2__name_backward_cg, autograd-impl.h). */
#define L2__CG_INDEX(X)                                                                  \
    X(INDEX_SELECT, index_select)                                                        \
    X(GATHER, gather)                                                                    \
    X(SCATTER_ADD, scatter_add)                                                          \
    X(EMBEDDING, embedding)
