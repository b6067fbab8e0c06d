/* the threshold activation and the losses of issue 14, area loss (libl2/ops/loss2.c,
 * loss2-act.c). cosine_embedding_loss is composed and has no node of its own. */
#define L2__OPS_LOSS2(X)                                                                     \
    X(NN_THRESHOLD, nn_threshold, L2__SAVES)                                                 \
    X(SMOOTH_L1_LOSS, smooth_l1_loss, L2__SAVES)                                             \
    X(HUBER_LOSS, huber_loss, L2__SAVES)                                                     \
    X(KL_DIV, kl_div, L2__SAVES)                                                             \
    X(MARGIN_RANKING_LOSS, margin_ranking_loss, L2__SAVES)                                   \
    X(HINGE_EMBEDDING_LOSS, hinge_embedding_loss, L2__SAVES)                                 \
    X(POISSON_NLL_LOSS, poisson_nll_loss, L2__SAVES)                                         \
    X(GAUSSIAN_NLL_LOSS, gaussian_nll_loss, L2__SAVES)

/* create_graph (issue 15): the ops of this family with a differentiable backward
 * (l2__name_backward_cg, autograd-impl.h), all of them (libl2/ops/loss2-cg.c). */
#define L2__CG_LOSS2(X)                                                                      \
    X(NN_THRESHOLD, nn_threshold)                                                            \
    X(SMOOTH_L1_LOSS, smooth_l1_loss)                                                        \
    X(HUBER_LOSS, huber_loss)                                                                \
    X(KL_DIV, kl_div)                                                                        \
    X(MARGIN_RANKING_LOSS, margin_ranking_loss)                                              \
    X(HINGE_EMBEDDING_LOSS, hinge_embedding_loss)                                            \
    X(POISSON_NLL_LOSS, poisson_nll_loss)                                                    \
    X(GAUSSIAN_NLL_LOSS, gaussian_nll_loss) /* libl2/ops/loss2-cg.c */
