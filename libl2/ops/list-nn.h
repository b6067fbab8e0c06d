/* nn ops (libl2/ops/nn-softmax.c, nn-loss.c, nn-norm.c). */
#define L2__OPS_NN(X)                                                                        \
    X(SOFTMAX, softmax, L2__SAVES)                                                           \
    X(LOG_SOFTMAX, log_softmax, L2__SAVES)                                                   \
    X(DROPOUT, dropout, L2__SAVES)                                                           \
    X(CROSS_ENTROPY, cross_entropy, L2__SAVES)                                               \
    X(NLL_LOSS, nll_loss, L2__SAVES)                                                         \
    X(MSE_LOSS, mse_loss, L2__SAVES)                                                         \
    X(L1_LOSS, l1_loss, L2__SAVES)                                                           \
    X(BINARY_CROSS_ENTROPY, binary_cross_entropy, L2__SAVES)                                 \
    X(BINARY_CROSS_ENTROPY_WITH_LOGITS, binary_cross_entropy_with_logits, L2__SAVES)         \
    X(LAYER_NORM, layer_norm, L2__SAVES)                                                     \
    X(BATCH_NORM, batch_norm, L2__SAVES)

/* create_graph (issue 15): the ops of this family with a differentiable backward
 * (l2__name_backward_cg, autograd-impl.h). */
#define L2__CG_NN(X)                                                                         \
    X(SOFTMAX, softmax)                                                                      \
    X(LOG_SOFTMAX, log_softmax)                                                              \
    X(DROPOUT, dropout)                                                                      \
    X(CROSS_ENTROPY, cross_entropy)                                                          \
    X(NLL_LOSS, nll_loss)                                                                    \
    X(MSE_LOSS, mse_loss)                                                                    \
    X(L1_LOSS, l1_loss)                                                                      \
    X(BINARY_CROSS_ENTROPY, binary_cross_entropy)                                            \
    X(BINARY_CROSS_ENTROPY_WITH_LOGITS, binary_cross_entropy_with_logits)                    \
    X(LAYER_NORM, layer_norm)                                                                \
    X(BATCH_NORM, batch_norm)
