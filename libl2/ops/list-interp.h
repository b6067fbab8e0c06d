/* Interpolation, unfold and fold (libl2/ops/interp.c, unfold.c; issue 14). torch's upsample
 * and col2im nodes save nothing; its im2col node (unfold) does: a second backward through it
 * without retain_graph raises (oracle/torch_saves.py --check). */
#define L2__OPS_INTERP(X)                                                                    \
    X(UPSAMPLE2D, upsample2d, L2__MAY_SAVE)                                                  \
    X(UNFOLD, unfold, L2__SAVES)                                                             \
    X(FOLD, fold, L2__MAY_SAVE)

/* create_graph (issue 15): the ops of this family with a differentiable backward
 * (l2__name_backward_cg, autograd-impl.h). */
#define L2__CG_INTERP(X)                                                                 \
    X(UPSAMPLE2D, upsample2d)                                                            \
    X(UNFOLD, unfold)                                                                    \
    X(FOLD, fold)
