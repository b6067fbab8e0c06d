/* index ops (libl2/ops/index.c). */
#define L2__OPS_INDEX(X)
