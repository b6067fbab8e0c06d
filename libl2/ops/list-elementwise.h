/* Elementwise ops: binary ones in libl2/ops/elementwise.c, unary ones in libl2/ops/unary.c,
 * where, masked_fill, fill_ and zero_ in libl2/ops/where.c. */
#define L2__OPS_ELEMENTWISE(X)                                                           \
    X(ADD, add, L2__MAY_SAVE)                                                            \
    X(SUB, sub, L2__MAY_SAVE)                                                            \
    X(MUL, mul, L2__SAVES)                                                               \
    X(DIV, div, L2__SAVES)                                                               \
    X(POW, pow, L2__SAVES)                                                               \
    X(MAXIMUM, maximum, L2__SAVES)                                                       \
    X(MINIMUM, minimum, L2__SAVES)                                                       \
    X(ATAN2, atan2, L2__SAVES)                                                           \
    X(FMOD, fmod, L2__MAY_SAVE)                                                          \
    X(REMAINDER, remainder, L2__MAY_SAVE)                                                \
    X(WHERE, where, L2__SAVES)                                                           \
    X(MASKED_FILL, masked_fill, L2__SAVES)                                               \
    X(FILL_, fill_, L2__MAY_SAVE)                                                        \
    X(ZERO_, zero_, L2__MAY_SAVE)                                                        \
    X(SET_, set_, L2__MAY_SAVE)                                                          \
    X(NEG, neg, L2__MAY_SAVE)                                                            \
    X(ABS, abs, L2__SAVES)                                                               \
    X(SIGN, sign, L2__MAY_SAVE)                                                          \
    X(EXP, exp, L2__SAVES)                                                               \
    X(EXP2, exp2, L2__SAVES)                                                             \
    X(EXPM1, expm1, L2__SAVES)                                                           \
    X(LOG, log, L2__SAVES)                                                               \
    X(LOG2, log2, L2__SAVES)                                                             \
    X(LOG10, log10, L2__SAVES)                                                           \
    X(LOG1P, log1p, L2__SAVES)                                                           \
    X(SQRT, sqrt, L2__SAVES)                                                             \
    X(RSQRT, rsqrt, L2__SAVES)                                                           \
    X(SQUARE, square, L2__SAVES)                                                         \
    X(RECIPROCAL, reciprocal, L2__SAVES)                                                 \
    X(SIN, sin, L2__SAVES)                                                               \
    X(COS, cos, L2__SAVES)                                                               \
    X(TAN, tan, L2__SAVES)                                                               \
    X(ASIN, asin, L2__SAVES)                                                             \
    X(ACOS, acos, L2__SAVES)                                                             \
    X(ATAN, atan, L2__SAVES)                                                             \
    X(SINH, sinh, L2__SAVES)                                                             \
    X(COSH, cosh, L2__SAVES)                                                             \
    X(TANH, tanh, L2__SAVES)                                                             \
    X(SIGMOID, sigmoid, L2__SAVES)                                                       \
    X(RELU, relu, L2__SAVES)                                                             \
    X(SILU, silu, L2__SAVES)                                                             \
    X(ERF, erf, L2__SAVES)                                                               \
    X(FLOOR, floor, L2__MAY_SAVE)                                                        \
    X(CEIL, ceil, L2__MAY_SAVE)                                                          \
    X(ROUND, round, L2__MAY_SAVE)                                                        \
    X(TRUNC, trunc, L2__MAY_SAVE)                                                        \
    X(LEAKY_RELU, leaky_relu, L2__SAVES)                                                 \
    X(ELU, elu, L2__SAVES)                                                               \
    X(GELU, gelu, L2__SAVES)                                                             \
    X(SOFTPLUS, softplus, L2__SAVES)                                                     \
    X(CLAMP, clamp, L2__SAVES)

/* create_graph (issue 15): the ops of this family with a differentiable backward
 * (l2__name_backward_cg, autograd-impl.h). */
#define L2__CG_ELEMENTWISE(X)                                                            \
    X(DIV, div)                                                                          \
    X(POW, pow)                                                                          \
    X(MAXIMUM, maximum)                                                                  \
    X(MINIMUM, minimum)                                                                  \
    X(ATAN2, atan2)                                                                      \
    X(FMOD, fmod)                                                                        \
    X(REMAINDER, remainder)                                                              \
    X(WHERE, where)                                                                      \
    X(MASKED_FILL, masked_fill)                                                          \
    X(FILL_, fill_)                                                                      \
    X(ZERO_, zero_)                                                                      \
    X(SET_, set_)                                                                        \
    X(ADD, add)                                                                          \
    X(SUB, sub)                                                                          \
    X(MUL, mul)                                                                          \
    L2__CG_UNARY(X)

/* The unary ops' differentiable backwards (libl2/ops/unary-cg.c, issue 15). */
#define L2__CG_UNARY(X)                                                                  \
    X(NEG, neg)                                                                          \
    X(ABS, abs)                                                                          \
    X(SIGN, sign)                                                                        \
    X(EXP, exp)                                                                          \
    X(EXP2, exp2)                                                                        \
    X(EXPM1, expm1)                                                                      \
    X(LOG, log)                                                                          \
    X(LOG2, log2)                                                                        \
    X(LOG10, log10)                                                                      \
    X(LOG1P, log1p)                                                                      \
    X(SQRT, sqrt)                                                                        \
    X(RSQRT, rsqrt)                                                                      \
    X(SQUARE, square)                                                                    \
    X(RECIPROCAL, reciprocal)                                                            \
    X(SIN, sin)                                                                          \
    X(COS, cos)                                                                          \
    X(TAN, tan)                                                                          \
    X(ASIN, asin)                                                                        \
    X(ACOS, acos)                                                                        \
    X(ATAN, atan)                                                                        \
    X(SINH, sinh)                                                                        \
    X(COSH, cosh)                                                                        \
    X(TANH, tanh)                                                                        \
    X(SIGMOID, sigmoid)                                                                  \
    X(RELU, relu)                                                                        \
    X(SILU, silu)                                                                        \
    X(ERF, erf)                                                                          \
    X(FLOOR, floor)                                                                      \
    X(CEIL, ceil)                                                                        \
    X(ROUND, round)                                                                      \
    X(TRUNC, trunc)                                                                      \
    X(LEAKY_RELU, leaky_relu)                                                            \
    X(ELU, elu)                                                                          \
    X(GELU, gelu)                                                                        \
    X(SOFTPLUS, softplus)                                                                \
    X(CLAMP, clamp)
