/* baddbmm (issue 15; libl2/ops/baddbmm.c). addbmm is composed (l2_addmm) and has no node. */
#define L2__OPS_BADDBMM(X) X(BADDBMM, baddbmm, L2__MAY_SAVE)

/* create_graph (issue 15): the ops of this family with a differentiable backward
 * (l2__name_backward_cg, autograd-impl.h). */
#define L2__CG_BADDBMM(X) X(BADDBMM, baddbmm)
