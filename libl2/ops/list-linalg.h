/* linalg ops (libl2/ops/linalg.c). */
#define L2__OPS_LINALG(X)
