/* conv ops (libl2/ops/conv2d.c, pool.c, pad.c). */
#define L2__OPS_CONV(X)                                                                      \
    X(CONV2D, conv2d, L2__SAVES)                                                             \
    X(MAX_POOL2D, max_pool2d, L2__SAVES)                                                     \
    X(AVG_POOL2D, avg_pool2d, L2__SAVES)                                                     \
    X(ADAPTIVE_AVG_POOL2D, adaptive_avg_pool2d, L2__SAVES)                                   \
    X(CONSTANT_PAD_ND, constant_pad_nd, L2__MAY_SAVE)
