/* The singular value decomposition (libl2/ops/linalg-svd.c): linalg_svd's node sits on its
 * packed result (linalg_svdvals' too when a gradient is needed); linalg_pinv's on its result
 * (torch's own formula, saving A and A+). */
#define L2__OPS_SVD(X)                                                                       \
    X(LINALG_SVD, linalg_svd, L2__SAVES)                                                     \
    X(LINALG_PINV, linalg_pinv, L2__SAVES)

/* create_graph (issue 15): the ops of this family with a differentiable backward
 * (l2__name_backward_cg, autograd-impl.h; linalg-svd-cg.c). */
#define L2__CG_SVD(X)                                                                        \
    X(LINALG_SVD, linalg_svd)                                                                \
    X(LINALG_PINV, linalg_pinv)
