/* LAPACK decompositions (libl2/ops/linalg-decomp.c): each op's node sits on its packed result. */
#define L2__OPS_DECOMP(X)                                                                    \
    X(LINALG_QR, linalg_qr, L2__SAVES)                                                       \
    X(LINALG_EIGH, linalg_eigh, L2__SAVES)

/* create_graph (issue 15): the ops of this family with a differentiable backward
 * (l2__name_backward_cg, autograd-impl.h). */
#define L2__CG_DECOMP(X)                                                                     \
    X(LINALG_QR, linalg_qr)                                                                  \
    X(LINALG_EIGH, linalg_eigh)
