/* conv2 ops (issue 14; libl2/ops/conv-transpose.c, pool2.c). conv_transpose1d has no node of its
 * own (conv_transpose2d's over a height of 1). */
#define L2__OPS_CONV2(X)                                                                     \
    X(CONV_TRANSPOSE2D, conv_transpose2d, L2__SAVES)                                         \
    X(MAX_POOL2D_EX, max_pool2d_ex, L2__SAVES)                                               \
    X(AVG_POOL2D_EX, avg_pool2d_ex, L2__SAVES)

/* create_graph (issue 15): the ops of this family with a differentiable backward
 * (l2__name_backward_cg, autograd-impl.h). */
#define L2__CG_CONV2(X)                                                                      \
    X(CONV_TRANSPOSE2D, conv_transpose2d)                                                    \
    X(MAX_POOL2D_EX, max_pool2d_ex)                                                          \
    X(AVG_POOL2D_EX, avg_pool2d_ex)
