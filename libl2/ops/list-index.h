/* index ops (libl2/ops/index.c). */
#define L2__OPS_INDEX(X)                                                                     \
    X(INDEX_SELECT, index_select)                                                            \
    X(GATHER, gather)                                                                        \
    X(SCATTER_ADD, scatter_add)                                                              \
    X(EMBEDDING, embedding)
