/* conv ops (libl2/ops/conv.c). */
#define L2__OPS_CONV(X)
