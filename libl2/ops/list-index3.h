/* indexing ops of issue 14, family index3 (libl2/ops/index3.c, index4.c). */
#define L2__OPS_INDEX3(X)                                                                    \
    X(INDEX_FILL, index_fill, L2__SAVES)                                                     \
    X(INDEX_COPY, index_copy, L2__SAVES)                                                     \
    X(INDEX_ADD, index_add, L2__MAY_SAVE)                                                    \
    X(MASKED_SELECT, masked_select, L2__SAVES)                                               \
    X(MASKED_SCATTER, masked_scatter, L2__SAVES)
