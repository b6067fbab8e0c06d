/* indexing ops of issue 14 (libl2/ops/index2.c). take_along_dim is composed (gather's node). */
#define L2__OPS_INDEX2(X) X(TAKE, take, L2__SAVES)

/* create_graph (issue 15): the ops of this family with a differentiable backward
 * (l2__name_backward_cg, autograd-impl.h). */
#define L2__CG_INDEX2(X) X(TAKE, take)
