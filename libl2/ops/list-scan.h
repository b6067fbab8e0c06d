/* reductions and scans (issue 14, area scan; libl2/ops/reduce3.c, scan.c). aminmax is amin's
 * and amax's nodes; nansum, nanmean, count_nonzero, var_mean, std_mean are composed of public
 * ops; searchsorted, bucketize, unique and unique_consecutive are not differentiable. */
#define L2__OPS_SCAN(X)                                                                      \
    X(AMAX, amax, L2__SAVES)                                                                 \
    X(AMIN, amin, L2__SAVES)                                                                 \
    X(CUMPROD, cumprod, L2__SAVES)                                                           \
    X(CUMMAX, cummax, L2__SAVES)                                                             \
    X(CUMMIN, cummin, L2__SAVES)                                                             \
    X(LOGCUMSUMEXP, logcumsumexp, L2__SAVES)

/* create_graph (issue 15): the ops of this family with a differentiable backward
 * (l2__name_backward_cg, autograd-impl.h). */
#define L2__CG_SCAN(X)                                                                   \
    X(AMAX, amax)                                                                        \
    X(AMIN, amin)                                                                        \
    X(CUMPROD, cumprod)                                                                  \
    X(CUMMAX, cummax)                                                                    \
    X(CUMMIN, cummin)                                                                    \
    X(LOGCUMSUMEXP, logcumsumexp)
