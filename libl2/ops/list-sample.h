/* the sample family of issue 14 with a node: the zero gradients torch 1.13 gives bernoulli's
 * probabilities and normal's mean and std (libl2/ops/sample.c); group_norm (nn-norm2.c). */
#define L2__OPS_SAMPLE(X)                                                                    \
    X(BERNOULLI, bernoulli, L2__MAY_SAVE)                                                    \
    X(NORMAL, normal, L2__MAY_SAVE)                                                          \
    X(GROUP_NORM, group_norm, L2__SAVES)

/* create_graph (issue 15): the ops of this family with a differentiable backward
 * (l2__name_backward_cg, autograd-impl.h). */
#define L2__CG_SAMPLE(X)                                                                     \
    X(BERNOULLI, bernoulli)                                                                  \
    X(NORMAL, normal)                                                                        \
    X(GROUP_NORM, group_norm)
