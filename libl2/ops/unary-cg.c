/* unary-cg.c: the differentiable backwards (create_graph, issue 15) of the unary elementwise ops
 * of unary.c: the same derivative as each op's gradient loop there, written with recorded public
 * ops on the saved x or y read attached to its graph (l2__saved_graph), so that its own
 * derivative is torch 1.13's double backward (derivatives.yaml at v1.13). Where torch's backward
 * is a masked kernel (threshold_backward, leaky_relu_backward, clamp_backward, ...) the mask is
 * a constant bool tensor and the gradient w.r.t. x through it is zero, as torch's. The rounding
 * ops and sign give zeros without history (torch: zeros_like(grad)).
 *
 * Node layout (unary.c, unary_impl): saved[0] is x or y (the table's SAVE_X / SAVE_Y), f[0] and
 * f[1] the op's parameters (leaky_relu's slope, elu's alpha, gelu's tanh flag, softplus's beta
 * and threshold, clamp's bounds). */
#include "cg-scratch.h"

#include <math.h>

#define LN2 0.693147180559945309417232121458176568
#define LN10 2.30258509299404568401799145468436421
#define TWO_OVER_SQRTPI 1.12837916709551257389615890312154517
#define SQRT1_2 0.707106781186547524400844362104849039
#define INV_SQRT_2PI 0.398942280401432677939946059934381868
#define SQRT_2_OVER_PI 0.797884560802865355879892119868763737
#define GELU_C 0.044715

/* gelu's derivative factor (unary.c, gelu_bw) of x attached: exact
 * 0.5 (1 + erf(x / sqrt 2)) + x exp(-x^2 / 2) / sqrt(2 pi); tanh form
 * 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 c x^2), t = tanh(k (x + c x^3)). */
static l2_tensor *gelu_factor(cg_scratch *sp, l2_tensor *x, bool approx)
{
    cg_scratch S = *sp;
    l2_tensor *r;
    if (!approx) {
        l2_tensor *e = CG(l2_erf(CG(l2_mul_scalar(x, SQRT1_2))));
        l2_tensor *a = CG(l2_mul_scalar(CG(l2_add_scalar(e, 1)), 0.5));
        l2_tensor *q = CG(l2_exp(CG(l2_mul_scalar(CG(l2_mul(x, x)), -0.5))));
        l2_tensor *b = CG(l2_mul_scalar(CG(l2_mul(x, q)), INV_SQRT_2PI));
        r = CG(l2_add(a, b));
    } else {
        l2_tensor *x2 = CG(l2_mul(x, x));
        l2_tensor *in = CG(l2_add(x, CG(l2_mul_scalar(CG(l2_mul(x2, x)), GELU_C))));
        l2_tensor *t = CG(l2_tanh(CG(l2_mul_scalar(in, SQRT_2_OVER_PI))));
        l2_tensor *a = CG(l2_mul_scalar(CG(l2_add_scalar(t, 1)), 0.5));
        l2_tensor *omt = CG(l2_rsub_scalar(CG(l2_mul(t, t)), 1));
        l2_tensor *p = CG(l2_add_scalar(CG(l2_mul_scalar(x2, 3 * GELU_C)), 1));
        l2_tensor *b = CG(l2_mul(CG(l2_mul_scalar(CG(l2_mul(x, omt)), 0.5 * SQRT_2_OVER_PI)), p));
        r = CG(l2_add(a, b));
    }
    *sp = S;
    return r;
}

/* gin[0] for node n of op with gradient g (every unary op's single input has an edge: its node
 * exists only then). */
static l2_status unary_cg(l2__node *n, const l2_tensor *gc, l2_tensor **gin)
{
    cg_scratch S = {0};
    l2_tensor *g = (l2_tensor *)gc, *v = NULL, *r = NULL, *zero = NULL;
    double a = n->f[0], b = n->f[1];
    switch (n->op) {
    case L2__OP_SIGN: case L2__OP_FLOOR: case L2__OP_CEIL: case L2__OP_ROUND:
    case L2__OP_TRUNC:
        r = CG(l2_zeros_like(g)); /* torch: zeros_like(grad), no history */
        return cg_finish(&S, r, gin);
    case L2__OP_NEG:
        r = CG(l2_neg(g));
        return cg_finish(&S, r, gin);
    default:
        break;
    }
    v = CG(l2__saved_graph(n, 0));
    zero = CG(l2_scalar(0, g->dtype));
    switch (n->op) {
    case L2__OP_ABS: /* g sgn(x) */
        r = CG(l2_mul(g, CG(l2_sign(v))));
        break;
    case L2__OP_EXP: /* g y */
        r = CG(l2_mul(g, v));
        break;
    case L2__OP_EXP2: /* g y ln 2 */
        r = CG(l2_mul_scalar(CG(l2_mul(g, v)), LN2));
        break;
    case L2__OP_EXPM1: /* g (y + 1) */
        r = CG(l2_mul(g, CG(l2_add_scalar(v, 1))));
        break;
    case L2__OP_LOG: /* g / x */
        r = CG(l2_div(g, v));
        break;
    case L2__OP_LOG2: /* g / (x ln 2) */
        r = CG(l2_div(g, CG(l2_mul_scalar(v, LN2))));
        break;
    case L2__OP_LOG10: /* g / (x ln 10) */
        r = CG(l2_div(g, CG(l2_mul_scalar(v, LN10))));
        break;
    case L2__OP_LOG1P: /* g / (x + 1) */
        r = CG(l2_div(g, CG(l2_add_scalar(v, 1))));
        break;
    case L2__OP_SQRT: /* g / (2 y) */
        r = CG(l2_div(g, CG(l2_mul_scalar(v, 2))));
        break;
    case L2__OP_RSQRT: /* -0.5 g y^3 */
        r = CG(l2_mul(CG(l2_mul_scalar(g, -0.5)), CG(l2_pow_scalar(v, 3))));
        break;
    case L2__OP_SQUARE: /* g (2 x) (torch: pow's backward, exponent 2) */
        r = CG(l2_mul(g, CG(l2_mul_scalar(v, 2))));
        break;
    case L2__OP_RECIPROCAL: /* -g y^2 */
        r = CG(l2_mul(CG(l2_neg(g)), CG(l2_mul(v, v))));
        break;
    case L2__OP_SIN: /* g cos x */
        r = CG(l2_mul(g, CG(l2_cos(v))));
        break;
    case L2__OP_COS: /* g (-sin x) */
        r = CG(l2_mul(g, CG(l2_neg(CG(l2_sin(v))))));
        break;
    case L2__OP_TAN: /* g (1 + y^2) */
        r = CG(l2_mul(g, CG(l2_add_scalar(CG(l2_mul(v, v)), 1))));
        break;
    case L2__OP_ASIN: /* g rsqrt(1 - x^2) */
        r = CG(l2_mul(g, CG(l2_rsqrt(CG(l2_rsub_scalar(CG(l2_mul(v, v)), 1))))));
        break;
    case L2__OP_ACOS: /* g (-rsqrt(1 - x^2)) */
        r = CG(l2_mul(g, CG(l2_neg(CG(l2_rsqrt(CG(l2_rsub_scalar(CG(l2_mul(v, v)), 1))))))));
        break;
    case L2__OP_ATAN: /* g / (x^2 + 1) */
        r = CG(l2_div(g, CG(l2_add_scalar(CG(l2_mul(v, v)), 1))));
        break;
    case L2__OP_SINH: /* g cosh x */
        r = CG(l2_mul(g, CG(l2_cosh(v))));
        break;
    case L2__OP_COSH: /* g sinh x */
        r = CG(l2_mul(g, CG(l2_sinh(v))));
        break;
    case L2__OP_TANH: /* g (1 - y^2) */
        r = CG(l2_mul(g, CG(l2_rsub_scalar(CG(l2_mul(v, v)), 1))));
        break;
    case L2__OP_SIGMOID: /* g y (1 - y) */
        r = CG(l2_mul(CG(l2_mul(g, v)), CG(l2_rsub_scalar(v, 1))));
        break;
    case L2__OP_RELU: /* y <= 0 ? 0 : g (threshold_backward: zero w.r.t. y) */
        r = CG(l2_where(CG(l2_le_scalar(v, 0)), zero, g));
        break;
    case L2__OP_SILU: { /* g s (1 + x (1 - s)), s = sigmoid(x) */
        l2_tensor *s = CG(l2_sigmoid(v));
        l2_tensor *f = CG(l2_add_scalar(CG(l2_mul(v, CG(l2_rsub_scalar(s, 1)))), 1));
        r = CG(l2_mul(CG(l2_mul(g, s)), f));
        break;
    }
    case L2__OP_ERF: /* g 2/sqrt(pi) exp(-x^2) */
        r = CG(l2_mul(g, CG(l2_mul_scalar(CG(l2_exp(CG(l2_neg(CG(l2_mul(v, v)))))),
                                          TWO_OVER_SQRTPI))));
        break;
    case L2__OP_LEAKY_RELU: /* x > 0 ? g : g slope (zero w.r.t. x) */
        r = CG(l2_where(CG(l2_gt_scalar(v, 0)), g, CG(l2_mul_scalar(g, a))));
        break;
    case L2__OP_ELU: /* x <= 0 ? g alpha e^x : g */
        r = CG(l2_where(CG(l2_le_scalar(v, 0)),
                        CG(l2_mul(CG(l2_mul_scalar(g, a)), CG(l2_exp(v)))), g));
        break;
    case L2__OP_GELU:
        r = CG(l2_mul(g, gelu_factor(&S, v, a != 0)));
        break;
    case L2__OP_SOFTPLUS: { /* beta x > threshold ? g : g sigmoid(beta x); torch's double
                             * backward is zero unless beta x < threshold (a tie: zero) */
        l2_tensor *bx = CG(l2_mul_scalar(v, a));
        l2_tensor *gt = CG(l2_gt_scalar(bx, b)), *lt = CG(l2_lt_scalar(bx, b));
        l2_tensor *s = CG(l2_sigmoid(S.st ? NULL : cg_attach_where(&S, lt, bx)));
        r = CG(l2_where(gt, g, CG(l2_mul(g, s))));
        break;
    }
    case L2__OP_CLAMP: /* lo <= x <= hi ? g : 0 (clamp_backward; NaN: 0) */
        r = CG(l2_where(CG(l2_logical_and(CG(l2_ge_scalar(v, a)), CG(l2_le_scalar(v, b)))), g,
                        zero));
        break;
    default:
        l2__fail(L2_ERR_AUTOGRAD, "backward: create_graph: %s is not a unary op",
                 l2__op_names[n->op]);
        S.st = S.st ? S.st : L2_ERR_AUTOGRAD;
        break;
    }
    return cg_finish(&S, r, gin);
}

#define U_CG(E, name)                                                                        \
    l2_status l2__##name##_backward_cg(l2__node *n, const l2_tensor *g, l2_tensor **gin)     \
    {                                                                                        \
        return unary_cg(n, g, gin);                                                          \
    }
L2__CG_UNARY(U_CG)
#undef U_CG
