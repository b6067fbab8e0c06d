/* linalg ops (libl2/ops/linalg.c). */
#define L2__OPS_LINALG(X)                                                                    \
    X(MATMUL, matmul, L2__SAVES)                                                             \
    X(MM, mm, L2__SAVES)                                                                     \
    X(BMM, bmm, L2__SAVES)                                                                   \
    X(MV, mv, L2__SAVES)                                                                     \
    X(DOT, dot, L2__SAVES)                                                                   \
    X(OUTER, outer, L2__SAVES)                                                               \
    X(ADDMM, addmm, L2__MAY_SAVE)                                                            \
    X(LINEAR, linear, L2__MAY_SAVE)

/* create_graph (issue 15): the ops of this family with a differentiable backward
 * (l2__name_backward_cg, autograd-impl.h). */
#define L2__CG_LINALG(X)                                                                     \
    X(MATMUL, matmul)                                                                        \
    X(MM, mm)                                                                                \
    X(BMM, bmm)                                                                              \
    X(MV, mv)                                                                                \
    X(DOT, dot)                                                                              \
    X(OUTER, outer)                                                                          \
    X(ADDMM, addmm)                                                                          \
    X(LINEAR, linear)
