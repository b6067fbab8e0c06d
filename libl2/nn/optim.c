/* optim.c: SGD, Adam and AdamW with torch.optim's update formulas (the single-tensor path of
 * torch 1.13, each elementwise step in the parameter's dtype, in torch's order), and closed-form
 * learning-rate schedules. Updates are fused single passes over contiguous parameters
 * (vectorised, threaded above L2__GRAIN_OPTIM), run under no grad. */
#include "../autograd-impl.h"
#include "../vmath.h"
#include "optim-impl.h"
#include "state-impl.h"

#include <math.h>
#include <string.h>

/* opt_kind and struct l2_optimizer are in state-impl.h (issue 16: the state dict). */

l2_sgd_options l2_sgd_defaults(double lr) { return (l2_sgd_options){.lr = lr}; }

l2_adam_options l2_adam_defaults(void)
{
    return (l2_adam_options){.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
}

l2_adam_options l2_adamw_defaults(void)
{
    l2_adam_options o = l2_adam_defaults();
    o.weight_decay = 1e-2;
    return o;
}

void l2_optimizer_free(l2_optimizer *o)
{
    if (!o)
        return;
    for (int i = 0; i < o->n; i++) {
        l2_tensor_release(o->params ? o->params[i] : NULL);
        l2_tensor_release(o->buf1 ? o->buf1[i] : NULL);
        l2_tensor_release(o->buf2 ? o->buf2[i] : NULL);
        l2_tensor_release(o->buf3 ? o->buf3[i] : NULL);
    }
    l2__free(o->params);
    l2__free(o->buf1);
    l2__free(o->buf2);
    l2__free(o->buf3);
    l2__free(o->steps);
    l2__free(o);
}

static l2_optimizer *make(const char *op, opt_kind kind, int n, l2_tensor *const *params)
{
    L2__CHECK(n >= 1 && params, NULL, L2_ERR_ARG, "%s: needs at least one parameter", op);
    for (int i = 0; i < n; i++) {
        const l2_tensor *p = params[i];
        L2__CHECK(p, NULL, L2_ERR_NULL, "%s: parameter %d is NULL", op, i);
        L2__CHECK(l2__is_float(p->dtype) && p->requires_grad && !p->grad_fn, NULL, L2_ERR_ARG,
                  "%s: parameter %d must be a float leaf that requires grad", op, i);
        L2__CHECK(l2__is_contiguous(p), NULL, L2_ERR_ARG, "%s: parameter %d is not contiguous",
                  op, i);
    }
    l2_optimizer *o = l2__calloc(sizeof *o, op);
    if (!o)
        return NULL;
    o->kind = kind;
    o->n = n;
    size_t sz = sizeof(l2_tensor *) * (size_t)n;
    o->params = l2__calloc(sz, op);
    o->buf1 = l2__calloc(sz, op);
    o->buf2 = l2__calloc(sz, op);
    o->buf3 = l2__calloc(sz, op);
    o->steps = l2__calloc(sizeof(int64_t) * (size_t)n, op);
    if (!o->params || !o->buf1 || !o->buf2 || !o->buf3 || !o->steps) {
        l2_optimizer_free(o);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        o->params[i] = l2_tensor_ref(params[i]);
    return o;
}

l2_optimizer *l2_sgd(int n, l2_tensor *const *params, l2_sgd_options opts)
{
    const char *op = "sgd";
    L2__CHECK(opts.lr >= 0 && opts.momentum >= 0 && opts.weight_decay >= 0, NULL, L2_ERR_ARG,
              "%s: invalid lr %g, momentum %g or weight_decay %g", op, opts.lr, opts.momentum,
              opts.weight_decay);
    L2__CHECK(!opts.nesterov || (opts.momentum > 0 && opts.dampening == 0), NULL, L2_ERR_ARG,
              "%s: nesterov momentum requires a momentum and zero dampening", op);
    l2_optimizer *o = make(op, OPT_SGD, n, params);
    if (o)
        o->sgd = opts;
    return o;
}

static l2_optimizer *adam_like(const char *op, opt_kind kind, int n, l2_tensor *const *params,
                               l2_adam_options opts)
{
    L2__CHECK(opts.lr >= 0 && opts.eps >= 0 && opts.weight_decay >= 0, NULL, L2_ERR_ARG,
              "%s: invalid lr %g, eps %g or weight_decay %g", op, opts.lr, opts.eps,
              opts.weight_decay);
    L2__CHECK(opts.beta1 >= 0 && opts.beta1 < 1 && opts.beta2 >= 0 && opts.beta2 < 1, NULL,
              L2_ERR_ARG, "%s: invalid betas (%g, %g)", op, opts.beta1, opts.beta2);
    l2_optimizer *o = make(op, kind, n, params);
    if (o)
        o->adam = opts;
    return o;
}

l2_optimizer *l2_adam(int n, l2_tensor *const *params, l2_adam_options opts)
{
    return adam_like("adam", OPT_ADAM, n, params, opts);
}

l2_optimizer *l2_adamw(int n, l2_tensor *const *params, l2_adam_options opts)
{
    return adam_like("adamw", OPT_ADAMW, n, params, opts);
}

/* ---- fused update kernels (threads area, issue 12) -------------------------------------- */

/* One parameter's update, every operand contiguous: p (param), g (grad), b1..b3 (state buffers:
 * momentum / exp_avg, exp_avg_sq, max_exp_avg_sq), with the step's scalars. Each kernel is one
 * pass over [lo, hi) with no temporaries and no option test inside the element loop, and
 * every element is rounded as in the single-tensor path of torch 1.13 (one in-place op per
 * line, in the parameter's dtype, scalars converted to it; no contraction into FMA). */
typedef struct {
    void *p, *b1, *b2, *b3;
    const void *g;
    bool wd, first; /* weight decay applies; the momentum buffer is new (sgd) */
    double sign;    /* -1 to maximize */
    /* sgd */
    double lr, momentum, damp1, decay;
    bool mom, nesterov;
    /* adam: decay is weight_decay (adam) or 1 - lr * weight_decay (adamw) */
    double beta1, beta2, eps, step_size, bc2_sqrt;
    bool adamw, amsgrad;
} upd;

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__)
#define OPT_HOT __attribute__((target_clones("avx2", "default")))
#else
#define OPT_HOT
#endif
#ifdef _OPENMP
#define OPT_SIMD _Pragma("omp simd")
#else
#define OPT_SIMD
#endif

/* The element loops are written once with their options as macro arguments (literal 0 or 1)
 * and expanded for each combination, so that each expansion is a straight-line loop body. The
 * sgd loops vectorise; adam's do not while sqrt may set errno (GCC 12 needs -fno-math-errno on
 * the command line: the optimize attribute does not do it), so they only run threaded. */

/* SGD: d = sign g (+ decay p); buf = first ? d : buf momentum + (1 - dampening) d;
 * d = nesterov ? d + momentum buf : buf; p = p - lr d. MOM 0: no buffer. */
#define SGD_LOOP(T, DEC, MOM, FIRST, NES)                                                   \
    OPT_SIMD for (int64_t k = 0; k < n; k++)                                                 \
    {                                                                                        \
        T pk = p[k], d = sg * g[k];                                                          \
        if (DEC)                                                                             \
            d = d + wd * pk;                                                                 \
        if (MOM) {                                                                           \
            T bk = FIRST ? d : b[k] * mom + damp1 * d;                                       \
            b[k] = bk;                                                                       \
            d = NES ? d + mom * bk : bk;                                                     \
        }                                                                                    \
        p[k] = pk + nlr * d;                                                                 \
    }
#define SGD_KERNEL(NAME, T)                                                                  \
    OPT_HOT static void NAME(const upd *u, int64_t lo, int64_t hi)                           \
    {                                                                                        \
        T *restrict p = (T *)u->p + lo, *restrict b = u->mom ? (T *)u->b1 + lo : NULL;       \
        const T *restrict g = (const T *)u->g + lo;                                          \
        const T sg = (T)u->sign, wd = (T)u->decay, nlr = (T)(-u->lr);                        \
        const T mom = (T)u->momentum, damp1 = (T)u->damp1;                                   \
        int64_t n = hi - lo;                                                                 \
        switch (u->wd * 8 + u->mom * 4 + u->first * 2 + u->nesterov) {                       \
        case 0: case 1: case 2: case 3: SGD_LOOP(T, 0, 0, 0, 0) break;                       \
        case 4: SGD_LOOP(T, 0, 1, 0, 0) break;                                               \
        case 5: SGD_LOOP(T, 0, 1, 0, 1) break;                                               \
        case 6: SGD_LOOP(T, 0, 1, 1, 0) break;                                               \
        case 7: SGD_LOOP(T, 0, 1, 1, 1) break;                                               \
        case 8: case 9: case 10: case 11: SGD_LOOP(T, 1, 0, 0, 0) break;                     \
        case 12: SGD_LOOP(T, 1, 1, 0, 0) break;                                              \
        case 13: SGD_LOOP(T, 1, 1, 0, 1) break;                                              \
        case 14: SGD_LOOP(T, 1, 1, 1, 0) break;                                              \
        default: SGD_LOOP(T, 1, 1, 1, 1) break;                                              \
        }                                                                                    \
    }
SGD_KERNEL(sgd_f32, float)
SGD_KERNEL(sgd_f64, double)

/* Adam / AdamW: adamw: p = p (1 - lr wd); adam: g = g + wd p; m = m beta1 + (1 - beta1) g;
 * v = v beta2 + (1 - beta2) g g; (amsgrad: vmax = max(vmax, v), used for v);
 * p = p - step_size m / (sqrt(v) / sqrt(1 - beta2^t) + eps), step_size = lr / (1 - beta1^t).
 * DEC: 0 none, 1 adam's (into g), 2 adamw's (into p). */
#define ADAM_LOOP(T, SQRT, DEC, AMS)                                                         \
    OPT_SIMD for (int64_t k = 0; k < n; k++)                                                 \
    {                                                                                        \
        T gk = sg * g[k], pk = p[k];                                                         \
        if (DEC == 1)                                                                        \
            gk = gk + dc * pk;                                                               \
        if (DEC == 2)                                                                        \
            pk = pk * dc;                                                                    \
        T m = ea[k] * b1 + c1 * gk, v = es[k] * b2 + c2 * gk * gk;                           \
        ea[k] = m;                                                                           \
        es[k] = v;                                                                           \
        if (AMS) {                                                                           \
            T mk = mx[k];                                                                    \
            v = mk > v ? mk : v;                                                             \
            mx[k] = v;                                                                       \
        }                                                                                    \
        p[k] = pk + nss * (m / (SQRT(v) / bc2 + eps));                                       \
    }
#define ADAM_KERNEL(NAME, T, SQRT)                                                           \
    OPT_HOT static void NAME(const upd *u, int64_t lo, int64_t hi)                           \
    {                                                                                        \
        T *restrict p = (T *)u->p + lo, *restrict ea = (T *)u->b1 + lo;                      \
        T *restrict es = (T *)u->b2 + lo, *restrict mx = u->amsgrad ? (T *)u->b3 + lo : NULL; \
        const T *restrict g = (const T *)u->g + lo;                                          \
        const T sg = (T)u->sign, dc = (T)u->decay, b1 = (T)u->beta1, b2 = (T)u->beta2;       \
        const T c1 = (T)(1 - u->beta1), c2 = (T)(1 - u->beta2), eps = (T)u->eps;             \
        const T bc2 = (T)u->bc2_sqrt, nss = (T)(-u->step_size);                              \
        int64_t n = hi - lo;                                                                 \
        int dec = u->adamw ? 2 : u->wd ? 1 : 0;                                              \
        switch (dec * 2 + u->amsgrad) {                                                      \
        case 0: ADAM_LOOP(T, SQRT, 0, 0) break;                                              \
        case 1: ADAM_LOOP(T, SQRT, 0, 1) break;                                              \
        case 2: ADAM_LOOP(T, SQRT, 1, 0) break;                                              \
        case 3: ADAM_LOOP(T, SQRT, 1, 1) break;                                              \
        case 4: ADAM_LOOP(T, SQRT, 2, 0) break;                                              \
        default: ADAM_LOOP(T, SQRT, 2, 1) break;                                             \
        }                                                                                    \
    }
ADAM_KERNEL(adam_f32, float, sqrtf)
ADAM_KERNEL(adam_f64, double, sqrt)

/* Adam with AVX2 intrinsics (issue 12): the loop above does not vectorise (sqrt's errno), so
 * this is the same update written on 8 floats / 4 doubles at a time, with the same operations
 * in the same order (IEEE mul, add, div, sqrt and max are exact-rounded and nothing contracts
 * into FMA), so every element is bit for bit what the scalar loop gives; the n % width tail
 * runs through the scalar kernel. Chosen where vmath's AVX2+FMA kernels are on (L2_NO_VEC,
 * l2_debug_vector_math). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__)
#define OPT_VEC 1
#pragma GCC push_options
#pragma GCC target("avx2")
#include <immintrin.h>

#define ADAM_VLOOP(T, V, W, X, DEC, AMS)                                                     \
    for (k = 0; k + W <= n; k += W) {                                                        \
        V gk = _mm256_mul_##X(sg, _mm256_loadu_##X(g + k)), pk = _mm256_loadu_##X(p + k);    \
        if (DEC == 1)                                                                        \
            gk = _mm256_add_##X(gk, _mm256_mul_##X(dc, pk));                                 \
        if (DEC == 2)                                                                        \
            pk = _mm256_mul_##X(pk, dc);                                                     \
        V m = _mm256_add_##X(_mm256_mul_##X(_mm256_loadu_##X(ea + k), b1),                   \
                             _mm256_mul_##X(c1, gk));                                        \
        V v = _mm256_add_##X(_mm256_mul_##X(_mm256_loadu_##X(es + k), b2),                   \
                             _mm256_mul_##X(_mm256_mul_##X(c2, gk), gk));                    \
        _mm256_storeu_##X(ea + k, m);                                                        \
        _mm256_storeu_##X(es + k, v);                                                        \
        if (AMS) {                                                                           \
            v = _mm256_max_##X(_mm256_loadu_##X(mx + k), v); /* mk > v ? mk : v */           \
            _mm256_storeu_##X(mx + k, v);                                                    \
        }                                                                                    \
        V den = _mm256_add_##X(_mm256_div_##X(_mm256_sqrt_##X(v), bc2), eps);                \
        _mm256_storeu_##X(p + k, _mm256_add_##X(pk, _mm256_mul_##X(nss, _mm256_div_##X(m, den)))); \
    }
#define ADAM_VKERNEL(NAME, SCALAR, T, V, W, X)                                               \
    static void NAME(const upd *u, int64_t lo, int64_t hi)                                   \
    {                                                                                        \
        T *restrict p = (T *)u->p + lo, *restrict ea = (T *)u->b1 + lo;                      \
        T *restrict es = (T *)u->b2 + lo, *restrict mx = u->amsgrad ? (T *)u->b3 + lo : NULL; \
        const T *restrict g = (const T *)u->g + lo;                                          \
        const V sg = _mm256_set1_##X((T)u->sign), dc = _mm256_set1_##X((T)u->decay);        \
        const V b1 = _mm256_set1_##X((T)u->beta1), b2 = _mm256_set1_##X((T)u->beta2);        \
        const V c1 = _mm256_set1_##X((T)(1 - u->beta1));                                     \
        const V c2 = _mm256_set1_##X((T)(1 - u->beta2)), eps = _mm256_set1_##X((T)u->eps);   \
        const V bc2 = _mm256_set1_##X((T)u->bc2_sqrt);                                       \
        const V nss = _mm256_set1_##X((T)(-u->step_size));                                   \
        int64_t n = hi - lo, k;                                                              \
        switch ((u->adamw ? 2 : u->wd ? 1 : 0) * 2 + u->amsgrad) {                           \
        case 0: ADAM_VLOOP(T, V, W, X, 0, 0) break;                                          \
        case 1: ADAM_VLOOP(T, V, W, X, 0, 1) break;                                          \
        case 2: ADAM_VLOOP(T, V, W, X, 1, 0) break;                                          \
        case 3: ADAM_VLOOP(T, V, W, X, 1, 1) break;                                          \
        case 4: ADAM_VLOOP(T, V, W, X, 2, 0) break;                                          \
        default: ADAM_VLOOP(T, V, W, X, 2, 1) break;                                         \
        }                                                                                    \
        if (k < n && !l2__fault("adam_vec")) /* mutation test: the n % width tail left out */ \
            SCALAR(u, lo + k, hi);                                                           \
    }
ADAM_VKERNEL(adam_f32_avx2, adam_f32, float, __m256, 8, ps)
ADAM_VKERNEL(adam_f64_avx2, adam_f64, double, __m256d, 4, pd)
#pragma GCC pop_options
#endif

typedef void (*upd_fn)(const upd *u, int64_t lo, int64_t hi);

/* Run f over m elements, split across threads above the optimizer grain. Cannot fail. */
static void upd_run(upd_fn f, const upd *u, int64_t m)
{
    int nt = l2__threads_grain(m, L2__GRAIN_OPTIM);
    if (nt <= 1) {
        f(u, 0, m);
        return;
    }
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int t = 0; t < nt; t++)
        f(u, l2__part(m, t, nt), l2__part(m, t + 1, nt));
}

/* The scratch of one step: new state buffers and contiguous copies of gradients, made for every
 * parameter before any parameter is touched. */
typedef struct {
    l2_tensor *buf[3];
    l2_tensor *gc;
} step_scratch;

static void scratch_free(step_scratch *sc, int n)
{
    for (int i = 0; sc && i < n; i++) {
        for (int k = 0; k < 3; k++)
            l2_tensor_release(sc[i].buf[k]);
        l2_tensor_release(sc[i].gc);
    }
    l2__free(sc);
}

l2_status l2_optimizer_step(l2_optimizer *o)
{
    const char *op = "optimizer_step";
    L2__CHECK_ST(o, L2_ERR_NULL, "%s: optimizer is NULL", op);
    /* Validate everything first. */
    for (int i = 0; i < o->n; i++) {
        l2_tensor *par = o->params[i], *g = par->grad;
        L2__CHECK_ST(!par->grad_fn, L2_ERR_AUTOGRAD, "%s: parameter %d is no longer a leaf (it "
                     "has a grad_fn '%s' from an in-place op with grad mode on; write parameters "
                     "under l2_no_grad_begin)", op, i, l2__op_names[par->grad_fn->op]);
        if (!g)
            continue;
        char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
        bool same = g->ndim == par->ndim && g->dtype == par->dtype;
        for (int d = 0; same && d < par->ndim; d++)
            same = g->shape[d] == par->shape[d];
        L2__CHECK_ST(same, L2_ERR_SHAPE, "%s: grad %s (%s) of parameter %d does not match its "
                     "shape %s (%s)", op, l2__shape_str(s1, g->ndim, g->shape),
                     l2_dtype_name(g->dtype), i, l2__shape_str(s2, par->ndim, par->shape),
                     l2_dtype_name(par->dtype));
    }
    /* Then make every allocation: missing state buffers and contiguous gradients. */
    step_scratch *sc = l2__calloc(sizeof *sc * (size_t)o->n, op);
    if (!sc)
        return l2_last_status();
    bool need[3] = {o->kind != OPT_SGD || o->sgd.momentum != 0, o->kind != OPT_SGD,
                    o->kind != OPT_SGD && o->adam.amsgrad};
    for (int i = 0; i < o->n; i++) {
        l2_tensor *par = o->params[i], *g = par->grad;
        if (!g)
            continue;
        l2_tensor *const have[3] = {o->buf1[i], o->buf2[i], o->buf3[i]};
        for (int k = 0; k < 3; k++)
            if (need[k] && !have[k] &&
                !(sc[i].buf[k] = l2__new(op, par->ndim, par->shape, par->dtype, true)))
                goto fail;
        if (!l2__is_contiguous(g)) {
            if (!(sc[i].gc = l2__new(op, g->ndim, g->shape, g->dtype, false)))
                goto fail;
            l2__copy_kernel(sc[i].gc, g);
        }
    }
    /* The commit: nothing below fails. */
    for (int i = 0; i < o->n; i++) {
        l2_tensor *par = o->params[i], *grad = sc[i].gc ? sc[i].gc : par->grad;
        if (!grad)
            continue;
        l2_tensor **bufs[3] = {&o->buf1[i], &o->buf2[i], &o->buf3[i]};
        for (int k = 0; k < 3; k++)
            if (sc[i].buf[k]) {
                *bufs[k] = sc[i].buf[k];
                sc[i].buf[k] = NULL;
            }
        int64_t m = l2__numel(par->ndim, par->shape);
        bool first = o->steps[i] == 0, f32 = par->dtype == L2_FLOAT32;
        o->steps[i]++;
        upd u = {.p = l2__data(par), .g = l2__data(grad), .b1 = o->buf1[i] ? l2__data(o->buf1[i])
                                                                            : NULL,
                 .b2 = o->buf2[i] ? l2__data(o->buf2[i]) : NULL,
                 .b3 = o->buf3[i] ? l2__data(o->buf3[i]) : NULL, .first = first};
        if (o->kind == OPT_SGD) {
            const l2_sgd_options *sg = &o->sgd;
            u.sign = sg->maximize ? -1 : 1;
            u.wd = sg->weight_decay != 0;
            u.decay = sg->weight_decay;
            u.lr = sg->lr;
            u.mom = sg->momentum != 0;
            u.momentum = sg->momentum;
            u.damp1 = 1 - sg->dampening;
            u.nesterov = sg->nesterov;
            upd_run(f32 ? sgd_f32 : sgd_f64, &u, m);
        } else {
            const l2_adam_options *a = &o->adam;
            double t = (double)o->steps[i];
            double bc1 = 1 - pow(a->beta1, t), bc2 = 1 - pow(a->beta2, t);
            u.sign = a->maximize ? -1 : 1;
            u.adamw = o->kind == OPT_ADAMW;
            u.wd = a->weight_decay != 0;
            u.decay = u.adamw ? 1 - a->lr * a->weight_decay : a->weight_decay;
            u.beta1 = a->beta1;
            u.beta2 = a->beta2;
            u.eps = a->eps;
            u.step_size = a->lr / bc1;
            u.bc2_sqrt = sqrt(bc2);
            if (l2__fault("optim_fused")) /* mutation test: no bias correction of exp_avg_sq */
                u.bc2_sqrt = 1;
            u.amsgrad = a->amsgrad;
            upd_fn f = f32 ? adam_f32 : adam_f64;
#ifdef OPT_VEC
            if (l2__vmath_f32(L2__VM_EXP)) /* the AVX2 kernels are on */
                f = f32 ? adam_f32_avx2 : adam_f64_avx2;
#endif
            upd_run(f, &u, m);
        }
        l2__bump_version(par);
        for (int k = 0; k < 3; k++)
            if (*bufs[k])
                l2__bump_version(*bufs[k]);
    }
    scratch_free(sc, o->n);
    return L2_OK;
fail:
    scratch_free(sc, o->n);
    return l2_last_status();
}

l2_tensor *l2_optimizer_state(const l2_optimizer *o, int i, const char *name)
{
    const char *op = "optimizer_state";
    L2__CHECK(o && name, NULL, L2_ERR_NULL, "%s: optimizer or name is NULL", op);
    L2__CHECK(i >= 0 && i < o->n, NULL, L2_ERR_INDEX, "%s: parameter %d out of range [0, %d)", op,
              i, o->n);
    bool sgd = o->kind == OPT_SGD;
    if (sgd && strcmp(name, "momentum_buffer") == 0)
        return o->buf1[i];
    if (!sgd && strcmp(name, "exp_avg") == 0)
        return o->buf1[i];
    if (!sgd && strcmp(name, "exp_avg_sq") == 0)
        return o->buf2[i];
    if (!sgd && strcmp(name, "max_exp_avg_sq") == 0)
        return o->buf3[i];
    return l2__fail(L2_ERR_ARG, "%s: no state '%s' in this optimizer", op, name), NULL;
}

int64_t l2_optimizer_step_count(const l2_optimizer *o, int i)
{
    const char *op = "optimizer_step_count";
    L2__CHECK(o, -1, L2_ERR_NULL, "%s: optimizer is NULL", op);
    L2__CHECK(i >= 0 && i < o->n, -1, L2_ERR_INDEX, "%s: parameter %d out of range [0, %d)", op,
              i, o->n);
    return o->steps[i];
}

l2_status l2_optimizer_zero_grad(l2_optimizer *o, bool set_to_none)
{
    L2__CHECK_ST(o, L2_ERR_NULL, "optimizer_zero_grad: optimizer is NULL");
    for (int i = 0; i < o->n; i++)
        if (set_to_none)
            l2_set_grad_none(o->params[i]);
        else
            l2_zero_grad(o->params[i]);
    return L2_OK;
}

l2_status l2_optimizer_set_lr(l2_optimizer *o, double lr)
{
    L2__CHECK_ST(o, L2_ERR_NULL, "optimizer_set_lr: optimizer is NULL");
    L2__CHECK_ST(lr >= 0, L2_ERR_ARG, "optimizer_set_lr: invalid learning rate %g", lr);
    if (o->kind == OPT_SGD)
        o->sgd.lr = lr;
    else
        o->adam.lr = lr;
    return L2_OK;
}

double l2_optimizer_get_lr(const l2_optimizer *o)
{
    L2__CHECK(o, 0, L2_ERR_NULL, "optimizer_get_lr: optimizer is NULL");
    return o->kind == OPT_SGD ? o->sgd.lr : o->adam.lr;
}

double l2_lr_step(double base_lr, int64_t epoch, int64_t step_size, double gamma)
{
    L2__CHECK(step_size >= 1, NAN, L2_ERR_ARG, "lr_step: step_size must be >= 1 (got %lld)",
              (long long)step_size);
    return base_lr * pow(gamma, (double)(epoch / step_size));
}

double l2_lr_cosine(double base_lr, int64_t epoch, int64_t t_max, double eta_min)
{
    L2__CHECK(t_max >= 1, NAN, L2_ERR_ARG, "lr_cosine: t_max must be >= 1 (got %lld)",
              (long long)t_max);
    return eta_min + (base_lr - eta_min) * (1 + cos(M_PI * (double)epoch / (double)t_max)) / 2;
}

/* ---- for the schedulers (sched.c) -------------------------------------------------------- */

void l2__optimizer_put_lr(l2_optimizer *o, double lr)
{
    if (o->kind == OPT_SGD)
        o->sgd.lr = lr;
    else
        o->adam.lr = lr;
}

bool l2__optimizer_initial_lr(const l2_optimizer *o, double *lr)
{
    *lr = o->initial_lr;
    return o->has_initial_lr;
}

void l2__optimizer_set_initial_lr(l2_optimizer *o, double lr)
{
    o->initial_lr = lr;
    o->has_initial_lr = true;
}

void l2__optimizer_unset_initial_lr(l2_optimizer *o) { o->has_initial_lr = false; }
