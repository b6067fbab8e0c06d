/* sampling ops of issue 14 (libl2/ops/sample.c) with a node: the zero gradients torch 1.13
 * gives bernoulli's probabilities and normal's mean and std. */
#define L2__OPS_SAMPLE(X)                                                                    \
    X(BERNOULLI, bernoulli, L2__MAY_SAVE)                                                    \
    X(NORMAL, normal, L2__MAY_SAVE)
