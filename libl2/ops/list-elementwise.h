/* elementwise ops (libl2/ops/elementwise.c). */
#define L2__OPS_ELEMENTWISE(X)
