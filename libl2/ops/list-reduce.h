/* reduce ops (libl2/ops/reduce.c). */
#define L2__OPS_REDUCE(X)
