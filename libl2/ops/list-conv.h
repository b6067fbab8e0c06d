/* conv ops (libl2/ops/conv2d.c, pool.c, pad.c). */
#define L2__OPS_CONV(X)                                                                      \
    X(CONV2D, conv2d, L2__SAVES)                                                             \
    X(MAX_POOL2D, max_pool2d, L2__SAVES)                                                     \
    X(AVG_POOL2D, avg_pool2d, L2__SAVES)                                                     \
    X(ADAPTIVE_AVG_POOL2D, adaptive_avg_pool2d, L2__SAVES)                                   \
    X(CONSTANT_PAD_ND, constant_pad_nd, L2__MAY_SAVE)

/* create_graph (issue 15): the ops of this family with a differentiable backward
 * (l2__name_backward_cg, autograd-impl.h). */
#define L2__CG_CONV(X)                                                                       \
    X(CONV2D, conv2d)                                                                        \
    X(MAX_POOL2D, max_pool2d)                                                                \
    X(AVG_POOL2D, avg_pool2d)                                                                \
    X(ADAPTIVE_AVG_POOL2D, adaptive_avg_pool2d)                                              \
    X(CONSTANT_PAD_ND, constant_pad_nd)
