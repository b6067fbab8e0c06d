/* Views and copies (libl2/ops/view.c, libl2/ops/copy.c). */
#define L2__OPS_VIEW(X)                                                                      \
    X(VIEW, view)                                                                            \
    X(PERMUTE, permute)                                                                      \
    X(EXPAND, expand)                                                                        \
    X(SLICE, slice)                                                                          \
    X(SELECT, select)                                                                        \
    X(AS_STRIDED, as_strided)                                                                \
    X(CLONE, clone)                                                                          \
    X(TO_DTYPE, to_dtype)                                                                    \
    X(CAT, cat)                                                                              \
    X(COPY_, copy_)
