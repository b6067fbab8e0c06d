/* indexing ops of issue 14 (libl2/ops/index2.c). take_along_dim is composed (gather's node). */
#define L2__OPS_INDEX2(X) X(TAKE, take, L2__SAVES)
