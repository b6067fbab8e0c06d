/* nn ops (libl2/ops/nn.c). */
#define L2__OPS_NN(X)
