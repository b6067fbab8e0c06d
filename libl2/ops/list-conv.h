/* conv ops (libl2/ops/conv.c). */
#define L2__OPS_CONV(X)                                                                      \
    X(CONV2D, conv2d)                                                                        \
    X(MAX_POOL2D, max_pool2d)                                                                \
    X(AVG_POOL2D, avg_pool2d)                                                                \
    X(ADAPTIVE_AVG_POOL2D, adaptive_avg_pool2d)                                              \
    X(CONSTANT_PAD_ND, constant_pad_nd)
