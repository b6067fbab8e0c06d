/* the LAPACK solvers of issue 15, area la1 (libl2/ops/linalg-solve.c, linalg-cholesky.c). */
#define L2__OPS_LAPACK(X)                                                                    \
    X(LINALG_SOLVE, linalg_solve, L2__SAVES)                                                 \
    X(LINALG_INV, linalg_inv, L2__SAVES)                                                     \
    X(LINALG_DET, linalg_det, L2__SAVES)                                                     \
    X(LINALG_SLOGDET, linalg_slogdet, L2__SAVES)                                             \
    X(LINALG_CHOLESKY, linalg_cholesky, L2__SAVES)

/* create_graph (issue 15): the ops of this family with a differentiable backward
 * (l2__name_backward_cg, autograd-impl.h). */
#define L2__CG_LAPACK(X)                                                                     \
    X(LINALG_SOLVE, linalg_solve)                                                            \
    X(LINALG_INV, linalg_inv)                                                                \
    X(LINALG_DET, linalg_det)                                                                \
    X(LINALG_SLOGDET, linalg_slogdet)                                                        \
    X(LINALG_CHOLESKY, linalg_cholesky)
