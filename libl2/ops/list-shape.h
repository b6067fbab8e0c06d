/* The shape family (libl2/ops/shape*.c, issue 14): diagonal's view node; the other shape ops
 * are views or compositions recorded through other families' nodes. */
#define L2__OPS_SHAPE(X) X(DIAGONAL, diagonal, L2__MAY_SAVE)

/* create_graph (issue 15): the ops of this family with a differentiable backward
 * (l2__name_backward_cg, autograd-impl.h). */
#define L2__CG_SHAPE(X) X(DIAGONAL, diagonal)
