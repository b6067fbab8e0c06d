/* linalg ops (libl2/ops/linalg.c). */
#define L2__OPS_LINALG(X)                                                                    \
    X(MATMUL, matmul)                                                                        \
    X(MM, mm)                                                                                \
    X(BMM, bmm)                                                                              \
    X(MV, mv)                                                                                \
    X(DOT, dot)                                                                              \
    X(OUTER, outer)                                                                          \
    X(ADDMM, addmm)                                                                          \
    X(LINEAR, linear)
