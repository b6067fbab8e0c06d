/* activation.c: the pointwise activations of issue 14 (hardtanh, relu6, hardsigmoid, hardswish,
 * mish, selu, celu, logsigmoid, softsign, tanhshrink) over the strided iterator, one typed loop
 * per op and dtype with its backward loop and formula beside it, and the composed glu (prelu:
 * prelu.c). Results follow the elementwise output layout rule (l2__new_like). No in-place
 * variants. */
/* speed12 (issue 12): GCC keeps a select between a value and an FP operation (x > 0 ? x : w x,
 * the clamps' comparisons) out of vector loops while FP operations may trap (-ftrapping-math,
 * the default); libl2 never reads the FP exception flags, so this file drops the assumption and
 * its contiguous loops vectorise. Results are unchanged (no reassociation, NaN and -0.0 kept). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include "elementwise-impl.h"
#include "../vmath.h"

#include <tgmath.h>

#define SELU_ALPHA 1.6732632423543772848170429916717
#define SELU_SCALE 1.0507009873554804934193349852946

/* Helpers whose expressions need temporaries, for float and double. */
#define DEF_ACT_HELPERS(T, SFX)                                                              \
    /* mish: x tanh(softplus(x)) with one exp (issue 12): e = exp(x), n = e (e + 2) =         \
     * (1 + e)^2 - 1, so tanh(log1p(e)) = n / (n + 2); x > 20 gives x (tanh rounds to 1 in   \
     * both dtypes there, and n would overflow past 44) */                                    \
    static inline T mish_fn_##SFX(T x)                                                       \
    {                                                                                        \
        T e = exp(x), n = e * (e + (T)2);                                                    \
        return x > (T)20 ? x : x * (n / (n + (T)2));                                         \
    }                                                                                        \
    /* mish: dx = g (t + x s (1 - t^2)), t = n / (n + 2), s = sigmoid(x),                    \
     * 1 - t^2 = 4 (n + 1) / (n + 2)^2 (no cancellation); x > 20: g, as t = 1 there */       \
    static inline T mish_bw_##SFX(T g, T x)                                                  \
    {                                                                                        \
        T e = exp(x), n = e * (e + (T)2), d = n + (T)2;                                      \
        T u = (T)4 * (n + (T)1) / (l2__fault("mish_bw_sq") ? d : d * d); /* mutation test */ \
        T s = (T)1 / ((T)1 + exp(-x)); /* torch's sigmoid: 0 once exp(-x) overflows */        \
        return x > (T)20 ? g : g * (n / d + x * s * u);                                      \
    }                                                                                        \
    /* logsigmoid: min(x, 0) - log1p(exp(-|x|)), stable for either sign */                   \
    static inline T logsig_fn_##SFX(T x)                                                     \
    {                                                                                        \
        return (x < 0 ? x : (T)0) - log1p(exp(-fabs(x)));                                    \
    }                                                                                        \
    /* logsigmoid: dx = g sigmoid(-x) = g (x < 0 ? 1 - z / (1 + z) : z / (1 + z)),           \
     * z = exp(-|x|) */                                                                      \
    static inline T logsig_bw_##SFX(T g, T x)                                                \
    {                                                                                        \
        T z = exp(-fabs(x));                                                                 \
        return g * (x < 0 ? (T)1 / ((T)1 + z) : z / ((T)1 + z));                             \
    }
DEF_ACT_HELPERS(float, f32)
DEF_ACT_HELPERS(double, f64)
#define MISH(x) _Generic((x), float: mish_fn_f32, default: mish_fn_f64)(x)
#define MISH_BW(g, x) _Generic((x), float: mish_bw_f32, default: mish_bw_f64)(g, x)
#define LOGSIG(x) _Generic((x), float: logsig_fn_f32, default: logsig_fn_f64)(x)
#define LOGSIG_BW(g, x) _Generic((x), float: logsig_bw_f32, default: logsig_bw_f64)(g, x)

/* Forward loops (x) and backward loops (g: incoming gradient, v: the saved x). A, B are the
 * op's parameters (hardtanh's bounds, celu's alpha). */
#define AF(N, EXPR)                                                                          \
    L2__EW_LOOP1(N##_f32, float, float, x, EXPR)                                             \
    L2__EW_LOOP1(N##_f64, double, double, x, EXPR)
#define AG(N, EXPR)                                                                          \
    L2__EW_LOOP2(N##_gf32, float, float, float, g, v, EXPR)                                  \
    L2__EW_LOOP2(N##_gf64, double, double, double, g, v, EXPR)

/* hardtanh: min(max(x, lo), hi) with NaN kept and lo > hi giving hi (clamp's rule, as torch);
 * a vector loop (see the pragma above). Mutation test: the NaN guard lost (NaN gives hi, as a
 * max/min in the wrong operand order would) */
AF(hardtanh, x != x ? (l2__fault("hardtanh_nan") ? (T)B : x)
             : x < (T)A ? ((T)A > (T)B ? (T)B : (T)A) : x > (T)B ? (T)B : x)
L2__EW_LOOP1(hardtanh_i64, int64_t, int64_t, x, x < IA ? (IA > IB ? IB : IA) : x > IB ? IB : x)
/* dx = g where lo < x < hi, else 0 (NaN: 0, as torch's vector loop; its scalar loop gives g) */
AG(hardtanh, ((T)A < v && v < (T)B) ? g : (T)0)
/* min(max(x + 3, 0), 6) in torch's order of comparisons (NaN kept) */
#define RELU6_3(x) ((x) + (T)3 < (T)0 ? (T)0 : (T)6 < (x) + (T)3 ? (T)6 : (x) + (T)3)
/* hardsigmoid: min(max(x + 3, 0), 6) / 6 */
AF(hardsigmoid, RELU6_3(x) / (T)6)
/* dx = g / 6 where -3 < x < 3, else 0; 1/6 rounded to float32 in both dtypes, as torch */
AG(hardsigmoid, (v > (T)-3 && v < (T)3) ? g * (T)(1.0f / 6.0f) : (T)0)
/* hardswish: x min(max(x + 3, 0), 6) / 6 (so -0.0 below -3, as torch) */
AF(hardswish, x * RELU6_3(x) / (T)6)
/* dx = 0 for x < -3, g for x >= 3, else g (x / 3 + 1/2) (NaN: NaN), as torch's vector loop
 * (its scalar loop gives g (x / 3 + 1/2) at 3 and g for NaN) */
AG(hardswish, v < (T)-3 ? (T)0 : v >= (T)3 ? g : g * (v / (T)3 + (T)0.5))
AF(mish, MISH(x))
AG(mish, MISH_BW(g, v))                                  /* see mish_bw */
/* selu: scale (x > 0 ? x : alpha (exp(x) - 1)), computed with expm1 (torch: exp(x) - 1); a
 * zero result is +0.0, as torch's */
#define SELU_K ((T)(SELU_SCALE * SELU_ALPHA))
AF(selu, x <= 0 ? (expm1(x) != 0 ? SELU_K * expm1(x) : (T)0) : (T)SELU_SCALE * x)
AG(selu, v <= 0 ? g * SELU_K * exp(v) : g * (T)SELU_SCALE) /* torch's branches (NaN: g scale) */
/* celu: x > 0 ? x : alpha (exp(x / alpha) - 1), x / alpha as torch's x * (1 / alpha); a zero
 * result takes the sign of 0 * alpha, as torch's */
#define CELU_NEG(x) ((T)A * expm1((x) * (T)(1.0 / A)))
AF(celu, x <= 0 ? (CELU_NEG(x) != 0 ? CELU_NEG(x) : (T)0 * (T)A) : x)
/* dx = g (x > 0 ? 1 : e^(x / alpha)) in torch's order: g (1 / alpha) alpha exp(x (1 / alpha)) */
AG(celu, v <= 0 ? g * (T)(1.0 / A) * (T)A * exp(v * (T)(1.0 / A)) : g)
AF(logsigmoid, LOGSIG(x))
AG(logsigmoid, LOGSIG_BW(g, v))                          /* see logsig_bw */
/* softsign: x / (1 + |x|) */
AF(softsign, x / ((T)1 + fabs(x)))
/* int64: torch computes |x| + 1 in int64 (wrapping at the limits), then divides in float32 */
L2__EW_LOOP1(softsign_i64, float, int64_t, x,
             (float)x / (float)(int64_t)((x < 0 ? 0 - (uint64_t)x : (uint64_t)x) + 1))
AG(softsign, g / (((T)1 + fabs(v)) * ((T)1 + fabs(v)))) /* dx = g / (1 + |x|)^2 */
/* tanhshrink: x - tanh(x) */
AF(tanhshrink, x - tanh(x))
AG(tanhshrink, g * tanh(v) * tanh(v))                    /* dx = g tanh(x)^2 */

/* ---- the op table ------------------------------------------------------------------------- */

#define ACT_OPS(X)                                                                           \
    X(HARDTANH, hardtanh, false) X(HARDSIGMOID, hardsigmoid, false)                          \
    X(HARDSWISH, hardswish, false) X(MISH, mish, true) X(SELU, selu, true)                   \
    X(CELU, celu, true) X(LOGSIGMOID, logsigmoid, true) X(SOFTSIGN, softsign, false)         \
    X(TANHSHRINK, tanhshrink, true)

enum {
#define A_ENUM(E, name, math) A_##E,
    ACT_OPS(A_ENUM)
#undef A_ENUM
    A_COUNT
};

typedef struct {
    const char *name;
    l2__op node;
    bool math;        /* calls libm per element: the math class's parallel grain */
    bool promote;     /* int64 inputs without a loop are computed in float32 (else refused) */
    bool int_float;   /* the int64 loop writes float32 */
    l2__loop_fn fwd[L2_DTYPE_COUNT];
    l2__loop_fn bwd[2];
} adef;

#define A_DEF(E, N, M, P) [A_##E] = {#N, L2__OP_##E, M, P, false,                         \
                                     {N##_f32, N##_f64, NULL, NULL}, {N##_gf32, N##_gf64}}
static const adef adefs[A_COUNT] = {
    [A_HARDTANH] = {"hardtanh", L2__OP_HARDTANH, false, false, false,
                    {hardtanh_f32, hardtanh_f64, hardtanh_i64, NULL},
                    {hardtanh_gf32, hardtanh_gf64}},
    A_DEF(HARDSIGMOID, hardsigmoid, false, false),
    A_DEF(HARDSWISH, hardswish, false, false),
    A_DEF(MISH, mish, true, false),
    A_DEF(SELU, selu, true, false),
    A_DEF(CELU, celu, true, false),
    A_DEF(LOGSIGMOID, logsigmoid, true, false),
    [A_SOFTSIGN] = {"softsign", L2__OP_SOFTSIGN, false, false, true,
                    {softsign_f32, softsign_f64, softsign_i64, NULL},
                    {softsign_gf32, softsign_gf64}},
    A_DEF(TANHSHRINK, tanhshrink, true, true),
};

/* out = op(t) in t's dtype (float32 for int64 t where the op promotes it), parameters c.a, c.b
 * kept in node->f[0..1] for the backward. op names the public function for messages (relu6). */
static l2_tensor *act_impl(int u, const char *op, const l2_tensor *t, l2__ew_ctx c)
{
    const adef *d = &adefs[u];
    L2__HALF_ROUTE(act_impl(u, op, H_[0], c), t); /* issue 16: half in float32 */
    L2__CHECK_TN(t, NULL, op, "t");
    l2_dtype ct = t->dtype, od = ct;
    if (!d->fwd[ct]) {
        L2__CHECK(d->promote && ct == L2_INT64, NULL, L2_ERR_DTYPE,
                  "%s: not implemented for '%s'", op, l2_dtype_name(t->dtype));
        ct = od = L2_FLOAT32;
    } else if (ct == L2_INT64 && d->int_float) {
        od = L2_FLOAT32;
    }
    l2_tensor *xc = l2__ew_convert(op, t, ct), *out = NULL;
    if (!xc)
        return NULL;
    if (!(out = l2__new_like(op, t->ndim, t->shape, od, L2_DTYPE_COUNT, 1, &t)))
        goto fail;
    if (l2__is_float(od) && l2__needs_grad(1, &t)) {
        const l2_tensor *save = t;
        l2__node *node = l2__record_save(d->node, out, 1, &t, 1, &save);
        if (!node)
            goto fail;
        node->f[0] = c.a;
        node->f[1] = c.b;
    }
    const l2_tensor *in = xc;
    c.grain = d->math ? L2__GRAIN_MATH : L2__PARALLEL_GRAIN;
    l2__ew_run(out, 1, &in, d->fwd[ct], &c);
    l2_tensor_release(xc);
    return l2__ret(out);
fail:
    l2_tensor_release(xc);
    l2_tensor_release(out);
    return NULL;
}

/* dx from the saved x with the op's gradient loop. */
static l2_status act_backward(int u, l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    const adef *d = &adefs[u];
    l2_tensor *v = l2__ew_convert("backward", n->saved[0], g->dtype);
    const l2_tensor *ins[2] = {g, v};
    l2_tensor *r =
        v ? l2__new_like("backward", g->ndim, g->shape, g->dtype, L2_DTYPE_COUNT, 2, ins) : NULL;
    if (r) {
        l2__ew_ctx c = {.a = n->f[0], .b = n->f[1], .grain = d->math ? L2__GRAIN_MATH
                                                                      : L2__PARALLEL_GRAIN};
        l2__ew_run(r, 2, ins, d->bwd[g->dtype == L2_FLOAT64], &c);
    }
    l2_tensor_release(v);
    gin[0] = r;
    return r ? L2_OK : L2_ERR_NOMEM;
}

#define A_BACKWARD(E, name, math)                                                            \
    l2_status l2__##name##_backward(l2__node *n, const l2_tensor *g, l2_tensor **gin)        \
    {                                                                                        \
        return act_backward(A_##E, n, g, gin);                                               \
    }
ACT_OPS(A_BACKWARD)
#undef A_BACKWARD

/* hardtanh's bounds: NaN refused; for an int64 t each is truncated to an integer (as torch's
 * Scalar conversion) and must fit int64. */
static bool hardtanh_ctx(const char *op, const l2_tensor *t, double lo, double hi, l2__ew_ctx *c)
{
    L2__CHECK(!isnan(lo) && !isnan(hi), false, L2_ERR_ARG,
              "%s: bounds must not be NaN (got %g, %g)", op, lo, hi);
    *c = (l2__ew_ctx){.a = lo, .b = hi};
    if (t && t->dtype == L2_INT64) {
        double tl = trunc(lo), th = trunc(hi);
        L2__CHECK(tl >= -0x1p63 && tl < 0x1p63 && th >= -0x1p63 && th < 0x1p63, false,
                  L2_ERR_ARG, "%s: bounds %g, %g cannot be converted to int64 without "
                  "overflow", op, lo, hi);
        c->ia = (int64_t)tl;
        c->ib = (int64_t)th;
    }
    return true;
}

l2_tensor *l2_hardtanh(const l2_tensor *t, double min_val, double max_val)
{
    L2__HALF_ROUTE(l2_hardtanh(H_[0], min_val, max_val), t);
    l2__ew_ctx c;
    L2__CHECK_T(t, NULL, "hardtanh");
    L2__CHECK(t->dtype != L2_BOOL, NULL, L2_ERR_DTYPE, "hardtanh: not implemented for 'bool'");
    if (!hardtanh_ctx("hardtanh", t, min_val, max_val, &c))
        return NULL;
    return act_impl(A_HARDTANH, "hardtanh", t, c);
}

l2_tensor *l2_relu6(const l2_tensor *t)
{
    L2__HALF_ROUTE(l2_relu6(H_[0]), t);
    l2__ew_ctx c;
    L2__CHECK_T(t, NULL, "relu6");
    L2__CHECK(t->dtype != L2_BOOL, NULL, L2_ERR_DTYPE, "relu6: not implemented for 'bool'");
    if (!hardtanh_ctx("relu6", t, 0, 6, &c))
        return NULL;
    return act_impl(A_HARDTANH, "relu6", t, c);
}

l2_tensor *l2_hardsigmoid(const l2_tensor *t)
{
    return act_impl(A_HARDSIGMOID, "hardsigmoid", t, (l2__ew_ctx){0});
}

l2_tensor *l2_hardswish(const l2_tensor *t)
{
    return act_impl(A_HARDSWISH, "hardswish", t, (l2__ew_ctx){0});
}

l2_tensor *l2_mish(const l2_tensor *t) { return act_impl(A_MISH, "mish", t, (l2__ew_ctx){0}); }

l2_tensor *l2_selu(const l2_tensor *t) { return act_impl(A_SELU, "selu", t, (l2__ew_ctx){0}); }

l2_tensor *l2_celu(const l2_tensor *t, double alpha)
{
    L2__HALF_ROUTE(l2_celu(H_[0], alpha), t);
    L2__CHECK_T(t, NULL, "celu");
    L2__CHECK(alpha != 0 && !isnan(alpha), NULL, L2_ERR_ARG,
              "celu: alpha must be non-zero (got %g)", alpha);
    return act_impl(A_CELU, "celu", t, (l2__ew_ctx){.a = alpha});
}

l2_tensor *l2_logsigmoid(const l2_tensor *t)
{
    return act_impl(A_LOGSIGMOID, "logsigmoid", t, (l2__ew_ctx){0});
}

l2_tensor *l2_softsign(const l2_tensor *t)
{
    return act_impl(A_SOFTSIGN, "softsign", t, (l2__ew_ctx){0});
}

l2_tensor *l2_tanhshrink(const l2_tensor *t)
{
    return act_impl(A_TANHSHRINK, "tanhshrink", t, (l2__ew_ctx){0});
}

/* ---- glu, composed ----------------------------------------------------------------------- */
/* Built from public ops between l2__enter and l2__leave (its intermediates stay out of the
 * caller's scope), so its gradients are those of the ops composed. Every argument is checked
 * first: the inner calls can then only fail on out-of-memory. */

/* prelu: libl2/ops/prelu.c (a node of its own, issue 12). */

/* glu: a * sigmoid(b), a and b the first and second half of x along dim. */
l2_tensor *l2_glu(const l2_tensor *x, int dim)
{
    L2__HALF_ROUTE(l2_glu(H_[0], dim), x);
    const char *op = "glu";
    L2__CHECK_T(x, NULL, op);
    L2__CHECK(x->ndim > 0, NULL, L2_ERR_SHAPE, "%s: glu does not support scalars because "
              "halving size must be even", op);
    int d = l2__wrap_dim(op, dim, x->ndim);
    if (d < 0)
        return NULL;
    L2__CHECK(l2__is_float(x->dtype), NULL, L2_ERR_DTYPE, "%s: not implemented for '%s'", op,
              l2_dtype_name(x->dtype));
    int64_t n = x->shape[d];
    L2__CHECK(n % 2 == 0, NULL, L2_ERR_SHAPE, "%s: halving dimension must be even, but "
              "dimension %d is size %lld", op, d, (long long)n);
    l2__enter();
    l2_tensor *a = l2_narrow(x, d, 0, n / 2);
    l2_tensor *b = a ? l2_narrow(x, d, n / 2, n / 2) : NULL;
    l2_tensor *s = b ? l2_sigmoid(b) : NULL;
    l2_tensor *r = s ? l2_mul(a, s) : NULL;
    l2_tensor_release(a);
    l2_tensor_release(b);
    l2_tensor_release(s);
    l2__leave();
    return l2__ret(r);
}
