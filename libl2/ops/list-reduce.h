/* reduce ops (libl2/ops/reduce.c). */
#define L2__OPS_REDUCE(X)                                                                    \
    X(SUM, sum, L2__MAY_SAVE)                                                                \
    X(MEAN, mean, L2__MAY_SAVE)                                                              \
    X(PROD, prod, L2__SAVES)                                                                 \
    X(MAX, max, L2__SAVES)                                                                   \
    X(MIN, min, L2__SAVES)                                                                   \
    X(MAX_DIM, max_dim, L2__SAVES)                                                           \
    X(MIN_DIM, min_dim, L2__SAVES)                                                           \
    X(VAR, var, L2__SAVES)                                                                   \
    X(STD, std, L2__SAVES)                                                                   \
    X(LOGSUMEXP, logsumexp, L2__SAVES)                                                       \
    X(NORM, norm, L2__SAVES)                                                                 \
    X(CUMSUM, cumsum, L2__MAY_SAVE)

/* create_graph (issue 15): the ops of this family with a differentiable backward
 * (l2__name_backward_cg, autograd-impl.h). */
#define L2__CG_REDUCE(X)                                                                 \
    X(SUM, sum)                                                                          \
    X(MEAN, mean)                                                                        \
    X(PROD, prod)                                                                        \
    X(MAX, max)                                                                          \
    X(MIN, min)                                                                          \
    X(MAX_DIM, max_dim)                                                                  \
    X(MIN_DIM, min_dim)                                                                  \
    X(VAR, var)                                                                          \
    X(STD, std)                                                                          \
    X(LOGSUMEXP, logsumexp)                                                              \
    X(NORM, norm)                                                                        \
    X(CUMSUM, cumsum)
