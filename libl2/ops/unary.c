/* unary.c: unary elementwise ops (math functions, activations, rounding, clamp, logical_not)
 * and their in-place forms relu_ and clamp_. One driver (unary_impl) over the strided iterator
 * with one typed loop per op and dtype; each op's backward loop sits next to its forward loop,
 * with the formula. Integer inputs to float-only ops are promoted to float32, as torch. */
#include "elementwise-impl.h"
#include "../vmath.h"

#include <tgmath.h>

#define LN2 0.693147180559945309417232121458176568
#define LN10 2.30258509299404568401799145468436421
#define TWO_OVER_SQRTPI 1.12837916709551257389615890312154517
#define SQRT1_2 0.707106781186547524400844362104849039
#define INV_SQRT_2PI 0.398942280401432677939946059934381868
#define SQRT_2_OVER_PI 0.797884560802865355879892119868763737
#define GELU_C 0.044715

#define U64(v) ((uint64_t)(v))

/* Helpers whose expressions need temporaries, for float and double. */
#define DEF_HELPERS(T, SFX)                                                                  \
    /* silu: dx = g * s * (1 + x * (1 - s)), s = sigmoid(x) */                               \
    static inline T silu_bw_##SFX(T g, T x)                                                  \
    {                                                                                        \
        T s = (T)1 / ((T)1 + exp(-x));                                                       \
        return g * s * ((T)1 + x * ((T)1 - s));                                              \
    }                                                                                        \
    /* gelu: 0.5 x (1 + erf(x / sqrt 2)); tanh form: 0.5 x (1 + tanh(k (x + c x^3))) */       \
    static inline T gelu_fn_##SFX(T x, bool approx)                                             \
    {                                                                                        \
        if (approx)                                                                          \
            return (T)0.5 * x *                                                              \
                   ((T)1 + tanh((T)SQRT_2_OVER_PI * (x + (T)GELU_C * x * x * x)));           \
        return (T)0.5 * x * ((T)1 + erf(x * (T)SQRT1_2));                                    \
    }                                                                                        \
    /* gelu: dx = g * (0.5 (1 + erf(x / sqrt 2)) + x exp(-x^2 / 2) / sqrt(2 pi));            \
     * tanh form: dx = g * (0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 c x^2)), t = tanh(u) */    \
    static inline T gelu_bw_##SFX(T g, T x, bool approx)                                     \
    {                                                                                        \
        if (approx) {                                                                        \
            T k = (T)SQRT_2_OVER_PI;                                                         \
            T t = tanh(k * (x + (T)GELU_C * x * x * x));                                     \
            return g * ((T)0.5 * ((T)1 + t) +                                                \
                        (T)0.5 * x * ((T)1 - t * t) * k * ((T)1 + (T)(3 * GELU_C) * x * x)); \
        }                                                                                    \
        return g * ((T)0.5 * ((T)1 + erf(x * (T)SQRT1_2)) +                                  \
                    x * exp((T)-0.5 * x * x) * (T)INV_SQRT_2PI);                             \
    }
DEF_HELPERS(float, f32)
DEF_HELPERS(double, f64)
#define SILU_BW(g, x) _Generic((x), float: silu_bw_f32, default: silu_bw_f64)(g, x)
#define GELU(x, a) _Generic((x), float: gelu_fn_f32, default: gelu_fn_f64)(x, a)
#define GELU_BW(g, x, a) _Generic((x), float: gelu_bw_f32, default: gelu_bw_f64)(g, x, a)

/* Forward loops (x) and backward loops (g: incoming gradient, v: the saved x or y). */
#define UF(N, EXPR)                                                                          \
    L2__EW_LOOP1(N##_f32, float, float, x, EXPR)                                             \
    L2__EW_LOOP1(N##_f64, double, double, x, EXPR)
#define UI(N, EXPR) L2__EW_LOOP1(N##_i64, int64_t, int64_t, x, EXPR)
#define UB(N, EXPR) L2__EW_LOOP1(N##_b, bool, bool, x, EXPR)
#define GF(N, EXPR)                                                                          \
    L2__EW_LOOP2(N##_gf32, float, float, float, g, v, EXPR)                                  \
    L2__EW_LOOP2(N##_gf64, double, double, double, g, v, EXPR)

UF(neg, -x) UI(neg, (int64_t)(0 - U64(x)))
GF(neg, -g)                                              /* dx = -g */
UF(abs, fabs(x)) UI(abs, x < 0 ? (int64_t)(0 - U64(x)) : x)
GF(abs, v > 0 ? g : v < 0 ? -g : (T)0)                   /* dx = g * sgn(x) */
UF(sign, (T)((x > 0) - (x < 0))) UI(sign, (x > 0) - (x < 0)) UB(sign, x)
UF(exp, l2__fault("exp_f32") ? (T)expf((float)x) : exp(x)) /* mutation test: in float32 */
GF(exp, g * v)                                           /* dx = g * y */
UF(exp2, exp2(x))
GF(exp2, g * v * (T)LN2)                                 /* dx = g * y * ln 2 */
UF(expm1, expm1(x))
GF(expm1, g * (v + (T)1))                                /* dx = g * (y + 1) */
UF(log, log(x))
GF(log, g / v)                                           /* dx = g / x */
UF(log2, log2(x))
GF(log2, g / (v * (T)LN2))                               /* dx = g / (x ln 2) */
UF(log10, log10(x))
GF(log10, g / (v * (T)LN10))                             /* dx = g / (x ln 10) */
UF(log1p, log1p(x))
GF(log1p, g / (v + (T)1))                                /* dx = g / (1 + x) */
UF(sqrt, sqrt(x))
GF(sqrt, g / ((T)2 * v))                                 /* dx = g / (2 y) */
UF(rsqrt, (T)1 / sqrt(x))
GF(rsqrt, (T)-0.5 * g * v * v * v)                       /* dx = -g y^3 / 2 */
UF(square, x * x) UI(square, (int64_t)(U64(x) * U64(x)))
GF(square, (T)2 * g * v)                                 /* dx = 2 g x */
UF(reciprocal, (T)1 / x)
GF(reciprocal, -g * v * v)                               /* dx = -g y^2 */
UF(sin, sin(x))
GF(sin, g * cos(v))                                      /* dx = g cos x */
UF(cos, cos(x))
GF(cos, -g * sin(v))                                     /* dx = -g sin x */
UF(tan, tan(x))
GF(tan, g * ((T)1 + v * v))                              /* dx = g (1 + y^2) */
UF(asin, asin(x))
GF(asin, g / sqrt((T)1 - v * v))                         /* dx = g / sqrt(1 - x^2) */
UF(acos, acos(x))
GF(acos, -g / sqrt((T)1 - v * v))                        /* dx = -g / sqrt(1 - x^2) */
UF(atan, atan(x))
GF(atan, g / ((T)1 + v * v))                             /* dx = g / (1 + x^2) */
UF(sinh, sinh(x))
GF(sinh, g * cosh(v))                                    /* dx = g cosh x */
UF(cosh, cosh(x))
GF(cosh, g * sinh(v))                                    /* dx = g sinh x */
UF(tanh, tanh(x))
GF(tanh, g * ((T)1 - v * v))                             /* dx = g (1 - y^2) */
UF(sigmoid, (T)1 / ((T)1 + exp(-x)))
GF(sigmoid, g * v * ((T)1 - v))                          /* dx = g y (1 - y) */
UF(relu, x < 0 ? (T)0 : x) UI(relu, x < 0 ? 0 : x)       /* NaN stays NaN */
GF(relu, v <= 0 ? (T)0 : g)                              /* dx = 0 where y <= 0 (NaN: g) */
UF(silu, x / ((T)1 + exp(-x)))
GF(silu, SILU_BW(g, v))                                  /* see silu_bw */
UF(erf, erf(x))
GF(erf, g * (T)TWO_OVER_SQRTPI * exp(-v * v))            /* dx = g 2/sqrt(pi) exp(-x^2) */
UF(floor, floor(x)) UI(floor, x)                         /* dx = 0 for the rounding ops */
UF(ceil, ceil(x)) UI(ceil, x)
UF(round, nearbyint(x)) UI(round, x)                     /* half to even */
UF(trunc, trunc(x)) UI(trunc, x)
UF(leaky_relu, x > 0 ? x : x * (T)A)
GF(leaky_relu, v > 0 ? g : g * (T)A)                     /* dx = g (x > 0 ? 1 : slope) */
/* elu: alpha expm1(x) for x <= 0 (more accurate than torch's exp(x) - 1 near 0); a zero result
 * takes torch's sign, that of 0 * alpha (elu(-0.0) is +0.0 for alpha > 0, as torch) */
UF(elu, x > 0 ? x : ((T)A * expm1(x) != 0 ? (T)A * expm1(x) : (T)0 * (T)A))
GF(elu, v <= 0 ? g * (T)A * exp(v) : g)                  /* dx = g (x <= 0 ? alpha e^x : 1) */
UF(gelu, GELU(x, A != 0))
GF(gelu, GELU_BW(g, v, A != 0))                          /* see gelu_bw */
/* softplus: x when beta x > threshold, else log(1 + exp(beta x)) / beta */
UF(softplus, x * (T)A > (T)B ? x : log1p(exp(x * (T)A)) / (T)A)
GF(softplus, v * (T)A > (T)B ? g : g / ((T)1 + exp(-v * (T)A))) /* dx = g sigmoid(beta x) */
/* clamp: min(max(x, lo), hi), NaN kept; lo > hi gives hi everywhere, as torch */
UF(clamp, x != x ? x : x < (T)A ? ((T)A > (T)B ? (T)B : (T)A) : x > (T)B ? (T)B : x)
UI(clamp, x < IA ? (IA > IB ? IB : IA) : x > IB ? IB : x)
GF(clamp, (v >= (T)A && v <= (T)B) ? g : (T)0)           /* dx = g where lo <= x <= hi */
L2__EW_LOOP1(lnot_f32, bool, float, x, x == 0)
L2__EW_LOOP1(lnot_f64, bool, double, x, x == 0)
L2__EW_LOOP1(lnot_i64, bool, int64_t, x, x == 0)
L2__EW_LOOP1(lnot_b, bool, bool, x, !x)

/* vmath (issue 12): loops N_vf32 / N_vf64 run the vector kernel of FN (vmath.c) when it is on,
 * else the generic loops above (the same function by libm). Strided runs are gathered into a
 * buffer of VBUF elements, computed there and scattered, so that a value does not depend on its
 * layout. FN may read the loop's parameters through c_ (gelu: the tanh form when c_->a != 0). */
#define VBUF 256
#define UV_ONE(N, SFX, T, GET)                                                               \
    static void N##_v##SFX(int64_t n, char **p, const int64_t *s, void *ctx)                 \
    {                                                                                        \
        const l2__ew_ctx *c_ = ctx;                                                          \
        (void)c_;                                                                            \
        void (*f)(int64_t, T *, const T *) = GET;                                            \
        if (!f) {                                                                            \
            N##_##SFX(n, p, s, ctx);                                                         \
        } else if (s[0] == (int64_t)sizeof(T) && s[1] == (int64_t)sizeof(T)) {               \
            f(n, (T *)p[0], (const T *)p[1]);                                                \
        } else {                                                                             \
            T b_[VBUF];                                                                      \
            for (int64_t i0 = 0; i0 < n; i0 += VBUF) {                                       \
                int64_t m = n - i0 < VBUF ? n - i0 : VBUF;                                   \
                for (int64_t i = 0; i < m; i++)                                              \
                    b_[i] = *(const T *)(p[1] + (i0 + i) * s[1]);                            \
                f(m, b_, b_);                                                                \
                for (int64_t i = 0; i < m; i++)                                              \
                    *(T *)(p[0] + (i0 + i) * s[0]) = b_[i];                                  \
            }                                                                                \
        }                                                                                    \
    }
#define UV(N, FN) UV_ONE(N, f32, float, l2__vmath_f32(FN)) UV_ONE(N, f64, double, l2__vmath_f64(FN))
UV(exp, l2__fault("exp_f32") ? L2__VM_COUNT : L2__VM_EXP)
UV(log, L2__VM_LOG)
UV(sin, L2__VM_SIN)
UV(cos, L2__VM_COS)
UV(tanh, L2__VM_TANH)
UV(erf, L2__VM_ERF)
UV(sigmoid, L2__VM_SIGMOID)
UV(silu, L2__VM_SILU)
UV(gelu, c_->a != 0 ? L2__VM_GELU_TANH : L2__VM_GELU)

/* ---- the op table ------------------------------------------------------------------------- */

/* Ops with a public function of t alone. */
#define PLAIN_UNARY(X)                                                                       \
    X(NEG, neg) X(ABS, abs) X(SIGN, sign) X(EXP, exp) X(EXP2, exp2) X(EXPM1, expm1)         \
    X(LOG, log) X(LOG2, log2) X(LOG10, log10) X(LOG1P, log1p) X(SQRT, sqrt) X(RSQRT, rsqrt) \
    X(SQUARE, square) X(RECIPROCAL, reciprocal) X(SIN, sin) X(COS, cos) X(TAN, tan)         \
    X(ASIN, asin) X(ACOS, acos) X(ATAN, atan) X(SINH, sinh) X(COSH, cosh) X(TANH, tanh)     \
    X(SIGMOID, sigmoid) X(RELU, relu) X(SILU, silu) X(ERF, erf) X(FLOOR, floor)             \
    X(CEIL, ceil) X(ROUND, round) X(TRUNC, trunc)
/* Ops with a node (all but logical_not). */
#define NODE_UNARY(X)                                                                        \
    PLAIN_UNARY(X) X(LEAKY_RELU, leaky_relu) X(ELU, elu) X(GELU, gelu) X(SOFTPLUS, softplus) \
    X(CLAMP, clamp)

enum {
#define U_ENUM(E, name) U_##E,
    NODE_UNARY(U_ENUM)
#undef U_ENUM
    U_LNOT,
    U_COUNT
};

enum { SAVE_NONE, SAVE_X, SAVE_Y, ZERO_GRAD };
#define NOPROMO L2_DTYPE_COUNT

typedef struct {
    const char *name, *iname;
    int node;         /* -1: not differentiable */
    int save;         /* what backward reads, or ZERO_GRAD */
    l2_dtype promote; /* dtype for inputs without a kernel; NOPROMO refuses them */
    l2__loop_fn fwd[L2_DTYPE_COUNT];
    l2__loop_fn bwd[2];
} udef;

#define FWD_F(N) {N##_f32, N##_f64, NULL, NULL}
#define FWD_FI(N) {N##_f32, N##_f64, N##_i64, NULL}
#define FWD_ALL(N) {N##_f32, N##_f64, N##_i64, N##_b}
#define FWD_V(N) {N##_vf32, N##_vf64, NULL, NULL}
#define BWD(N) {N##_gf32, N##_gf64}
#define MATH(E, N, SAVE) [U_##E] = {#N, #N "_", L2__OP_##E, SAVE, L2_FLOAT32, FWD_F(N), BWD(N)}
#define MATHV(E, N, SAVE) [U_##E] = {#N, #N "_", L2__OP_##E, SAVE, L2_FLOAT32, FWD_V(N), BWD(N)}
#define ACTV(E, N, SAVE) [U_##E] = {#N, #N "_", L2__OP_##E, SAVE, NOPROMO, FWD_V(N), BWD(N)}
#define ACT(E, N, SAVE) [U_##E] = {#N, #N "_", L2__OP_##E, SAVE, NOPROMO, FWD_F(N), BWD(N)}
#define ROUNDING(E, N) [U_##E] = {#N, #N "_", L2__OP_##E, ZERO_GRAD, NOPROMO, FWD_FI(N), {0}}

static const udef udefs[U_COUNT] = {
    [U_NEG] = {"neg", "neg_", L2__OP_NEG, SAVE_NONE, NOPROMO, FWD_FI(neg), BWD(neg)},
    [U_ABS] = {"abs", "abs_", L2__OP_ABS, SAVE_X, NOPROMO, FWD_FI(abs), BWD(abs)},
    [U_SIGN] = {"sign", "sign_", L2__OP_SIGN, ZERO_GRAD, NOPROMO, FWD_ALL(sign), {0}},
    MATHV(EXP, exp, SAVE_Y),
    MATH(EXP2, exp2, SAVE_Y),
    MATH(EXPM1, expm1, SAVE_Y),
    MATHV(LOG, log, SAVE_X),
    MATH(LOG2, log2, SAVE_X),
    MATH(LOG10, log10, SAVE_X),
    MATH(LOG1P, log1p, SAVE_X),
    MATH(SQRT, sqrt, SAVE_Y),
    MATH(RSQRT, rsqrt, SAVE_Y),
    [U_SQUARE] = {"square", "square_", L2__OP_SQUARE, SAVE_X, L2_INT64, FWD_FI(square),
                  BWD(square)},
    MATH(RECIPROCAL, reciprocal, SAVE_Y),
    MATHV(SIN, sin, SAVE_X),
    MATHV(COS, cos, SAVE_X),
    MATH(TAN, tan, SAVE_Y),
    MATH(ASIN, asin, SAVE_X),
    MATH(ACOS, acos, SAVE_X),
    MATH(ATAN, atan, SAVE_X),
    MATH(SINH, sinh, SAVE_X),
    MATH(COSH, cosh, SAVE_X),
    MATHV(TANH, tanh, SAVE_Y),
    MATHV(SIGMOID, sigmoid, SAVE_Y),
    [U_RELU] = {"relu", "relu_", L2__OP_RELU, SAVE_Y, NOPROMO, FWD_FI(relu), BWD(relu)},
    ACTV(SILU, silu, SAVE_X),
    MATHV(ERF, erf, SAVE_X),
    ROUNDING(FLOOR, floor),
    ROUNDING(CEIL, ceil),
    ROUNDING(ROUND, round),
    ROUNDING(TRUNC, trunc),
    ACT(LEAKY_RELU, leaky_relu, SAVE_X),
    ACT(ELU, elu, SAVE_X),
    ACTV(GELU, gelu, SAVE_X),
    ACT(SOFTPLUS, softplus, SAVE_X),
    [U_CLAMP] = {"clamp", "clamp_", L2__OP_CLAMP, SAVE_X, NOPROMO, FWD_FI(clamp), BWD(clamp)},
    [U_LNOT] = {"logical_not", "logical_not_", -1, SAVE_NONE, NOPROMO, FWD_ALL(lnot), {0}},
};

/* Threads area (issue 12): the parallel grain of op u's forward loop (backward: of its gradient
 * loop). Loops that call libm per element are the math class (L2__GRAIN_MATH, parallel from
 * much smaller sizes); arithmetic, comparisons and rounding stay on the cheap class's grain. */
static int64_t unary_grain(int u, bool backward)
{
    switch (u) {
    case U_NEG: case U_ABS: case U_SIGN: case U_SQUARE: case U_RELU: case U_FLOOR: case U_CEIL:
    case U_ROUND: case U_TRUNC: case U_CLAMP: case U_LEAKY_RELU: case U_LNOT: case U_SQRT:
    case U_RSQRT: case U_RECIPROCAL:
        return L2__PARALLEL_GRAIN;
    case U_SIN: case U_COS: case U_SINH: case U_COSH: case U_SILU: case U_ERF: case U_ELU:
    case U_GELU: case U_SOFTPLUS:
        return L2__GRAIN_MATH;
    default: /* the gradients of the rest are arithmetic on x or y (exp: g * y) */
        return backward ? L2__PARALLEL_GRAIN : L2__GRAIN_MATH;
    }
}

/* The dtype op u computes t in, or L2_DTYPE_COUNT (error set) when it does not support t's. */
static l2_dtype unary_dtype(int u, const l2_tensor *t, const char *op)
{
    const udef *d = &udefs[u];
    if (d->fwd[t->dtype])
        return t->dtype;
    if (d->promote != NOPROMO && d->fwd[d->promote] && !l2__is_half(t->dtype))
        return d->promote; /* int64 / bool computed in float32; half refused (issue 16) */
    l2__fail(L2_ERR_DTYPE, "%s: not implemented for '%s'", op, l2_dtype_name(t->dtype));
    return L2_DTYPE_COUNT;
}

/* out = op(t) computed in dtype ct with parameters c (c.a, c.b go to node->f[0..1]). With self
 * set (== t), writes into self and returns it (borrowed). */
static l2_tensor *unary_impl(int u, const l2_tensor *t, l2__ew_ctx c, l2_dtype ct,
                             l2_tensor *self)
{
    const udef *d = &udefs[u];
    const char *op = self ? d->iname : d->name;
    l2_dtype od = u == U_LNOT ? L2_BOOL : ct;
    if (self && !l2__ew_check_inplace(op, self, od))
        return NULL;
    l2_tensor *xc = l2__ew_convert(op, t, ct), *out = NULL, *old = NULL;
    if (!xc)
        return NULL;
    if (!self || od != self->dtype)
        if (!(out = l2__new_like(op, t->ndim, t->shape, od, L2_DTYPE_COUNT, 1, &t)))
            goto fail;
    l2__node *node = NULL;
    if (d->node >= 0 && l2__is_float(od) && l2__needs_grad(1, &t)) {
        const l2_tensor *save = NULL;
        if (d->save == SAVE_X)
            save = self ? (old = l2__ew_fresh(op, self)) : t; /* x before the write */
        else if (d->save == SAVE_Y)
            save = self ? self : out; /* its version is fixed up after the write */
        if (d->save == SAVE_X && !save)
            goto fail;
        node = l2__record_save(d->node, self ? self : out, 1, &t, save ? 1 : 0, &save);
        if (!node)
            goto fail;
        if (self && d->save == SAVE_X) /* create_graph: the old value is the input's */
            l2__saved_from_input(node, 0, 0);
        node->f[0] = c.a;
        node->f[1] = c.b;
    }
    const l2_tensor *in = xc;
    c.grain = unary_grain(u, false);
    l2__ew_run(out ? out : self, 1, &in, d->fwd[ct], &c);
    if (self) {
        if (out) {
            l2__copy_kernel(self, out);
            l2_tensor_release(out);
        }
        l2__bump_version(self);
        if (node && d->save == SAVE_Y)
            node->saved_version[0] = atomic_load(&self->storage->version);
        out = self;
    }
    l2_tensor_release(xc);
    l2_tensor_release(old);
    return out;
fail:
    l2_tensor_release(xc);
    l2_tensor_release(out);
    l2_tensor_release(old);
    return NULL;
}

static l2_tensor *unary(int u, const l2_tensor *t, double p0, double p1)
{
    L2__CHECK(t, NULL, L2_ERR_NULL, "%s: argument 't' is NULL", udefs[u].name);
    L2__HALF_ROUTE(unary(u, H_[0], p0, p1), t); /* issue 16: half in float32 */
    l2_dtype ct = unary_dtype(u, t, udefs[u].name);
    if (ct == L2_DTYPE_COUNT)
        return NULL;
    return l2__ret(unary_impl(u, t, (l2__ew_ctx){.a = p0, .b = p1}, ct, NULL));
}

/* dx from the saved tensor with the op's gradient loop; zeros for the rounding ops. */
static l2_status unary_backward(int u, l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    const udef *d = &udefs[u];
    if (d->save == ZERO_GRAD) {
        gin[0] = l2__new("backward", g->ndim, g->shape, g->dtype, true);
        return gin[0] ? L2_OK : L2_ERR_NOMEM;
    }
    l2_tensor *v = d->save == SAVE_NONE ? l2_tensor_ref((l2_tensor *)g)
                                        : l2__ew_convert("backward", n->saved[0], g->dtype);
    const l2_tensor *ins[2] = {g, v};
    l2_tensor *r =
        v ? l2__new_like("backward", g->ndim, g->shape, g->dtype, L2_DTYPE_COUNT, 2, ins) : NULL;
    if (r) {
        l2__ew_ctx c = {.a = n->f[0], .b = n->f[1], .grain = unary_grain(u, true)};
        l2__ew_run(r, 2, ins, d->bwd[g->dtype == L2_FLOAT64], &c);
    }
    l2_tensor_release(v);
    gin[0] = r;
    return r ? L2_OK : L2_ERR_NOMEM;
}

#define U_PUBLIC(E, name)                                                                    \
    l2_tensor *l2_##name(const l2_tensor *t) { return unary(U_##E, t, 0, 0); }
PLAIN_UNARY(U_PUBLIC)
#undef U_PUBLIC

#define U_BACKWARD(E, name)                                                                  \
    l2_status l2__##name##_backward(l2__node *n, const l2_tensor *g, l2_tensor **gin)        \
    {                                                                                        \
        return unary_backward(U_##E, n, g, gin);                                             \
    }
NODE_UNARY(U_BACKWARD)
#undef U_BACKWARD

l2_tensor *l2_leaky_relu(const l2_tensor *t, double negative_slope)
{
    return unary(U_LEAKY_RELU, t, negative_slope, 0);
}

l2_tensor *l2_elu(const l2_tensor *t, double alpha) { return unary(U_ELU, t, alpha, 0); }

l2_tensor *l2_gelu(const l2_tensor *t, bool tanh_approx)
{
    return unary(U_GELU, t, tanh_approx ? 1 : 0, 0);
}

l2_tensor *l2_softplus(const l2_tensor *t, double beta, double threshold)
{
    L2__CHECK(beta != 0 && !isnan(beta), NULL, L2_ERR_ARG, "softplus: beta must be non-zero "
              "(got %g)", beta);
    return unary(U_SOFTPLUS, t, beta, threshold);
}

l2_tensor *l2_logical_not(const l2_tensor *t) { return unary(U_LNOT, t, 0, 0); }

/* ---- clamp and the in-place unary ops ----------------------------------------------------- */

/* clamp's compute dtype: t's for floats; int64 for integer or bool tensors with integral (or
 * infinite) bounds; float32 otherwise (a non-integral bound promotes, as a Python float). */
static l2__ew_ctx clamp_ctx(const l2_tensor *t, double lo, double hi, l2_dtype *ct)
{
    l2__ew_ctx c = {.a = lo, .b = hi};
    if (l2__is_float(t->dtype)) {
        *ct = t->dtype;
        return c;
    }
    bool lo_int = isinf(lo) || lo == floor(lo), hi_int = isinf(hi) || hi == floor(hi);
    *ct = lo_int && hi_int ? L2_INT64 : L2_FLOAT32;
    l2__store(&c.ia, L2_INT64, lo); /* saturates: -inf is INT64_MIN */
    l2__store(&c.ib, L2_INT64, hi);
    return c;
}

l2_tensor *l2_clamp(const l2_tensor *t, double min, double max)
{
    L2__HALF_ROUTE(l2_clamp(H_[0], min, max), t);
    L2__CHECK_T(t, NULL, "clamp");
    L2__CHECK(!isnan(min) && !isnan(max), NULL, L2_ERR_ARG,
              "clamp: bounds must not be NaN (got %g, %g)", min, max);
    l2_dtype ct;
    l2__ew_ctx c = clamp_ctx(t, min, max, &ct);
    return l2__ret(unary_impl(U_CLAMP, t, c, ct, NULL));
}

l2_status l2_clamp_(l2_tensor *t, double min, double max)
{
    L2__HALF_INPLACE("clamp_", l2_clamp(t, min, max), t, NULL);
    L2__CHECK_T(t, l2_last_status(), "clamp_");
    L2__CHECK_ST(!isnan(min) && !isnan(max), L2_ERR_ARG,
                 "clamp_: bounds must not be NaN (got %g, %g)", min, max);
    l2_dtype ct;
    l2__ew_ctx c = clamp_ctx(t, min, max, &ct);
    return unary_impl(U_CLAMP, t, c, ct, t) ? L2_OK : l2_last_status();
}

l2_status l2_relu_(l2_tensor *t)
{
    L2__HALF_INPLACE("relu_", l2_relu(t), t, NULL);
    L2__CHECK_T(t, l2_last_status(), "relu_");
    l2_dtype ct = unary_dtype(U_RELU, t, "relu_");
    if (ct == L2_DTYPE_COUNT)
        return l2_last_status();
    return unary_impl(U_RELU, t, (l2__ew_ctx){0}, ct, t) ? L2_OK : l2_last_status();
}
