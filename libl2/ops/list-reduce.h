/* reduce ops (libl2/ops/reduce.c). */
#define L2__OPS_REDUCE(X)                                                                    \
    X(SUM, sum)                                                                              \
    X(MEAN, mean)                                                                            \
    X(PROD, prod)                                                                            \
    X(MAX, max)                                                                              \
    X(MIN, min)                                                                              \
    X(MAX_DIM, max_dim)                                                                      \
    X(MIN_DIM, min_dim)                                                                      \
    X(VAR, var)                                                                              \
    X(STD, std)                                                                              \
    X(LOGSUMEXP, logsumexp)                                                                  \
    X(NORM, norm)                                                                            \
    X(CUMSUM, cumsum)
