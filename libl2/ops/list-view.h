/* Views and copies (libl2/ops/view.c, libl2/ops/copy.c). */
#define L2__OPS_VIEW(X)                                                                      \
    X(VIEW, view, L2__MAY_SAVE)                                                              \
    X(PERMUTE, permute, L2__MAY_SAVE)                                                        \
    X(EXPAND, expand, L2__MAY_SAVE)                                                          \
    X(SLICE, slice, L2__MAY_SAVE)                                                            \
    X(SELECT, select, L2__MAY_SAVE)                                                          \
    X(AS_STRIDED, as_strided, L2__MAY_SAVE)                                                  \
    X(CLONE, clone, L2__MAY_SAVE)                                                            \
    X(TO_DTYPE, to_dtype, L2__MAY_SAVE)                                                      \
    X(CAT, cat, L2__MAY_SAVE)                                                                \
    X(COPY_, copy_, L2__MAY_SAVE)

/* create_graph (issue 15): the ops of this family with a differentiable backward
 * (l2__name_backward_cg, autograd-impl.h). */
#define L2__CG_VIEW(X)                                                                   \
    X(VIEW, view)                                                                        \
    X(EXPAND, expand)                                                                    \
    X(PERMUTE, permute)                                                                  \
    X(SLICE, slice)                                                                      \
    X(SELECT, select)                                                                    \
    X(CLONE, clone)                                                                      \
    X(TO_DTYPE, to_dtype)                                                                \
    X(CAT, cat)                                                                          \
    X(COPY_, copy_)                                                                      \
    X(AS_STRIDED, as_strided)
