/* activations, distances and losses of issue 14 (libl2/ops/activation.c): the pointwise
 * activations with a node of their own (relu6 records hardtanh's, as torch). */
#define L2__OPS_ACT(X)                                                                       \
    X(HARDTANH, hardtanh, L2__SAVES)                                                         \
    X(HARDSIGMOID, hardsigmoid, L2__SAVES)                                                   \
    X(HARDSWISH, hardswish, L2__SAVES)                                                       \
    X(MISH, mish, L2__SAVES)                                                                 \
    X(SELU, selu, L2__SAVES)                                                                 \
    X(CELU, celu, L2__SAVES)                                                                 \
    X(LOGSIGMOID, logsigmoid, L2__SAVES)                                                     \
    X(SOFTSIGN, softsign, L2__SAVES)                                                         \
    X(TANHSHRINK, tanhshrink, L2__SAVES)                                                     \
    X(PRELU, prelu, L2__SAVES) /* speed12 (issue 12): libl2/ops/prelu.c */

/* create_graph (issue 15): the ops of this family with a differentiable backward
 * (l2__name_backward_cg, autograd-impl.h). Not hardsigmoid: torch 1.13 has no double backward
 * for it either. */
#define L2__CG_ACT(X)                                                                        \
    X(HARDTANH, hardtanh)                                                                    \
    X(HARDSWISH, hardswish)                                                                  \
    X(MISH, mish)                                                                            \
    X(SELU, selu)                                                                            \
    X(CELU, celu)                                                                            \
    X(LOGSIGMOID, logsigmoid)                                                                \
    X(SOFTSIGN, softsign)                                                                    \
    X(TANHSHRINK, tanhshrink)                                                                \
    X(PRELU, prelu) /* libl2/ops/act-cg.c */
