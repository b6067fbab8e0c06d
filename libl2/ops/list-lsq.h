/* least squares, cholesky_solve and the norms of issue 15, area lsqnorm (libl2/ops/linalg-lstsq.c,
 * linalg-norm.c). */
#define L2__OPS_LSQ(X)                                                                       \
    X(CHOLESKY_SOLVE, cholesky_solve, L2__SAVES)                                             \
    X(LINALG_VECTOR_NORM, linalg_vector_norm, L2__SAVES)                                     \
    X(LINALG_LSTSQ, linalg_lstsq, L2__SAVES)

/* create_graph (issue 15): the ops of this family with a differentiable backward
 * (l2__name_backward_cg, linalg-lsq-cg.c). */
#define L2__CG_LSQ(X)                                                                        \
    X(CHOLESKY_SOLVE, cholesky_solve)                                                        \
    X(LINALG_VECTOR_NORM, linalg_vector_norm)                                                \
    X(LINALG_LSTSQ, linalg_lstsq)
