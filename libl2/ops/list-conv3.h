/* conv3 ops (issue 14; libl2/ops/conv3d.c, pool3.c, unpool.c; issue 15:
 * conv-transpose3d.c). */
#define L2__OPS_CONV3(X)                                                                     \
    X(CONV3D, conv3d, L2__SAVES)                                                             \
    X(MAX_POOL3D, max_pool3d, L2__SAVES)                                                     \
    X(AVG_POOL3D, avg_pool3d, L2__SAVES)                                                     \
    X(ADAPTIVE_MAX_POOL2D, adaptive_max_pool2d, L2__SAVES)                                   \
    X(MAX_UNPOOL2D, max_unpool2d, L2__SAVES)                                                 \
    X(CONV_TRANSPOSE3D, conv_transpose3d, L2__SAVES)

/* create_graph (issue 15): the ops of this family with a differentiable backward
 * (l2__name_backward_cg, autograd-impl.h). */
#define L2__CG_CONV3(X)                                                                      \
    X(MAX_POOL3D, max_pool3d)                                                                \
    X(AVG_POOL3D, avg_pool3d)                                                                \
    X(ADAPTIVE_MAX_POOL2D, adaptive_max_pool2d)                                              \
    X(MAX_UNPOOL2D, max_unpool2d)                                                            \
    X(CONV3D, conv3d)                                                                        \
    X(CONV_TRANSPOSE3D, conv_transpose3d)
