/* clip.c: gradient clipping with torch.nn.utils' computation (torch 1.13): clip_grad_norm_
 * (the norm of each grad, then the norm of those norms; clip_coef = max_norm / (total + 1e-6)
 * as torch evaluates it, clamped to 1, each grad scaled in place) and clip_grad_value_ (each
 * grad clamped to [-clip_value, clip_value]). Everything is checked and every norm computed
 * before any grad is written: a failed call changes nothing. */
#include "../l2-impl.h"
#include "../ops/reduce-impl.h"

#include <math.h>
#include <string.h>

/* Speed: a contiguous grad of at least CLIP_BIG elements is cut into CLIP_CHUNKS fixed chunks
 * (l2__part), whose sums (1-norm: |x|; 2-norm: x^2 in AVX2 float64 lanes, l2__vrow_sq_*) run
 * on the threads and add up in chunk order, so the total is the same at every thread count; the
 * scaling pass runs on the threads too, over the grads in reverse order (the grads read last by
 * the norm pass are the ones still in the cache), with AVX2 where the CPU has it. */
enum { CLIP_CHUNKS = 64, CLIP_BIG = 1 << 16 };

#if defined(__GNUC__) && defined(__x86_64__)
#define CLIP_AVX2 1
#endif

/* Element k (row-major order) of t's data, for any strides. */
static char *elem(const l2_tensor *t, int64_t k)
{
    int64_t off = 0;
    for (int d = t->ndim - 1; d >= 0; d--) {
        int64_t s = t->shape[d];
        off += (k % s) * t->stride[d];
        k /= s;
    }
    return l2__data(t) + off * (int64_t)l2__esize(t->dtype);
}

static double load(const l2_tensor *t, bool contig, int64_t k)
{
    const char *p = contig ? l2__data(t) + k * (int64_t)l2__esize(t->dtype) : elem(t, k);
    return t->dtype == L2_FLOAT32 ? (double)*(const float *)p : *(const double *)p;
}

/* torch.norm(v, p) of n values got by at(k), accumulated in double and rounded to the dtype
 * (f32: float). p 0 counts non-zeros, +-inf is the max / min of |v| (n 0: 0, as torch.norm). */
typedef double (*at_fn)(const void *ctx, int64_t k);

static double pnorm(const void *ctx, at_fn at, int64_t n, double p, bool f32)
{
    double acc = 0;
    if (p == INFINITY || p == -INFINITY) {
        if (n == 0)
            return 0;
        acc = fabs(at(ctx, 0));
        for (int64_t k = 1; k < n && !isnan(acc); k++) {
            double a = fabs(at(ctx, k));
            if (isnan(a) || (p > 0 ? a > acc : a < acc))
                acc = a;
        }
    } else if (p == 0) {
        for (int64_t k = 0; k < n; k++)
            acc += at(ctx, k) != 0;
    } else if (p == 1) {
        for (int64_t k = 0; k < n; k++)
            acc += fabs(at(ctx, k));
    } else if (p == 2) {
        for (int64_t k = 0; k < n; k++) {
            double v = at(ctx, k);
            acc += v * v;
        }
        acc = sqrt(acc);
    } else {
        for (int64_t k = 0; k < n; k++)
            acc += pow(fabs(at(ctx, k)), p);
        acc = pow(acc, 1 / p);
    }
    return f32 ? (double)(float)acc : acc;
}

typedef struct {
    const l2_tensor *t;
    bool contig;
} grad_ctx;

static double grad_at(const void *ctx, int64_t k)
{
    const grad_ctx *c = ctx;
    return load(c->t, c->contig, k);
}

static double arr_at(const void *ctx, int64_t k) { return ((const double *)ctx)[k]; }

/* The sums of |x|, x^2 (p 1, 2) of a contiguous array in double, in 8 interleaved partial sums
 * (vectorisable; the order differs from torch's anyway). */
#define CONTIG_SUM(NAME, T)                                                                   \
    static double NAME(const T *x, int64_t n, int p)                                          \
    {                                                                                         \
        double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};                                               \
        int64_t k = 0;                                                                        \
        if (p == 1)                                                                           \
            for (; k + 8 <= n; k += 8)                                                        \
                for (int j = 0; j < 8; j++)                                                   \
                    a[j] += fabs((double)x[k + j]);                                           \
        else                                                                                  \
            for (; k + 8 <= n; k += 8)                                                        \
                for (int j = 0; j < 8; j++)                                                   \
                    a[j] += (double)x[k + j] * (double)x[k + j];                              \
        for (; k < n && !l2__fault("clip_sum_tail"); k++) /* mutation test: tail dropped */  \
            a[0] += p == 1 ? fabs((double)x[k]) : (double)x[k] * (double)x[k];               \
        return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));             \
    }
CONTIG_SUM(sum_f32, float)
CONTIG_SUM(sum_f64, double)

/* The norm of a grad: the fast path for contiguous grads and p 1, 2. */
static double grad_norm(const l2_tensor *g, double p)
{
    int64_t k = l2__numel(g->ndim, g->shape);
    bool f32 = g->dtype == L2_FLOAT32, contig = l2__is_contiguous(g);
    if (contig && p == INFINITY && k > 0) { /* max |x|, NaN if any */
        bool nan = false;
        if (f32) {
            const float *x = (const float *)l2__data(g);
            float m = 0;
            for (int64_t j = 0; j < k; j++) {
                float a = fabsf(x[j]);
                nan |= a != a;
                m = a > m ? a : m;
            }
            return nan ? NAN : (double)m;
        }
        const double *x = (const double *)l2__data(g);
        double m = 0;
        for (int64_t j = 0; j < k; j++) {
            double a = fabs(x[j]);
            nan |= a != a;
            m = a > m ? a : m;
        }
        return nan ? NAN : m;
    }
    if (contig && (p == 1 || p == 2)) {
        const char *x = l2__data(g);
        double acc = 0;
        if (k < CLIP_BIG) {
            acc = p == 2 ? (f32 ? l2__vrow_sq_f32((const float *)x, k, 0)
                                : l2__vrow_sq_f64((const double *)x, k, 0))
                         : (f32 ? sum_f32((const float *)x, k, 1)
                                : sum_f64((const double *)x, k, 1));
        } else {
            double part[CLIP_CHUNKS];
            size_t es = f32 ? sizeof(float) : sizeof(double);
            int nt = l2__threads_for(k);
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
            for (int c = 0; c < CLIP_CHUNKS; c++) {
                int64_t b = l2__part(k, c, CLIP_CHUNKS), e = l2__part(k, c + 1, CLIP_CHUNKS);
                const void *q = x + b * (int64_t)es;
                part[c] = p == 2 ? (f32 ? l2__vrow_sq_f32(q, e - b, 0)
                                        : l2__vrow_sq_f64(q, e - b, 0))
                                 : (f32 ? sum_f32(q, e - b, 1) : sum_f64(q, e - b, 1));
            }
            /* mutation test: the last chunk's sum is dropped */
            int used = l2__fault("clip_chunk") ? CLIP_CHUNKS - 1 : CLIP_CHUNKS;
            for (int c = 0; c < used; c++)
                acc += part[c];
        }
        acc = p == 2 ? sqrt(acc) : acc;
        return f32 ? (double)(float)acc : acc;
    }
    grad_ctx c = {g, contig};
    return pnorm(&c, grad_at, k, p, f32);
}

/* The grads to clip: every non-NULL params[i]->grad, checked (float dtype, no overlapping
 * elements, not released). Returns the count, -1 on error. */
static int collect(const char *op, int n, l2_tensor *const *params, l2_tensor **grads)
{
    int m = 0;
    for (int i = 0; i < n; i++) {
        L2__CHECK_TN(params[i], -1, op, "params[i]");
        l2_tensor *g = params[i]->grad;
        if (!g)
            continue;
        L2__CHECK_TN(g, -1, op, "params[i]->grad");
        L2__CHECK(l2__is_float(g->dtype), -1, L2_ERR_DTYPE,
                  "%s: the grad of parameter %d is not float32 or float64", op, i);
        for (int d = 0; d < g->ndim; d++)
            L2__CHECK(g->stride[d] != 0 || g->shape[d] <= 1, -1, L2_ERR_ARG,
                      "%s: the grad of parameter %d has elements sharing memory (an expanded "
                      "tensor): it cannot be written in place",
                      op, i);
        grads[m++] = g;
    }
    return m;
}

/* x[0..n) *= c, in float32 (f32) or float64: the same products as the scalar loop. */
static void scale_gen(void *x, int64_t n, double c, bool f32)
{
    if (f32) {
        float cf = (float)c, *v = x;
        for (int64_t k = 0; k < n; k++)
            v[k] = v[k] * cf;
    } else {
        double *v = x;
        for (int64_t k = 0; k < n; k++)
            v[k] = v[k] * c;
    }
}

#ifdef CLIP_AVX2
typedef float clip_v8f __attribute__((vector_size(32), aligned(4)));
typedef double clip_v4d __attribute__((vector_size(32), aligned(8)));
__attribute__((target("avx2"))) static void scale_avx2(void *x, int64_t n, double c, bool f32)
{
    int64_t k = 0;
    if (f32) {
        float cf = (float)c;
        clip_v8f *v = x, cv = {cf, cf, cf, cf, cf, cf, cf, cf};
        for (; k + 8 <= n; k += 8)
            v[k / 8] = v[k / 8] * cv;
    } else {
        clip_v4d *v = x, cv = {c, c, c, c};
        for (; k + 4 <= n; k += 4)
            v[k / 4] = v[k / 4] * cv;
    }
    scale_gen((char *)x + k * (int64_t)(f32 ? sizeof(float) : sizeof(double)), n - k, c, f32);
}
#endif

/* x[0..n) *= c for a contiguous grad, on the threads for a big one (fixed chunks). */
static void scale_contig(void *x, int64_t n, double c, bool f32)
{
    void (*fn)(void *, int64_t, double, bool) = scale_gen;
#ifdef CLIP_AVX2
    if (__builtin_cpu_supports("avx2"))
        fn = scale_avx2;
#endif
    if (n < CLIP_BIG) {
        fn(x, n, c, f32);
        return;
    }
    size_t es = f32 ? sizeof(float) : sizeof(double);
    int nt = l2__threads_for(n);
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
    for (int ch = 0; ch < CLIP_CHUNKS; ch++) {
        int64_t b = l2__part(n, ch, CLIP_CHUNKS), e = l2__part(n, ch + 1, CLIP_CHUNKS);
        fn((char *)x + b * (int64_t)es, e - b, c, f32);
    }
}

static void scale(l2_tensor *g, double coef)
{
    int64_t n = l2__numel(g->ndim, g->shape);
    bool contig = l2__is_contiguous(g);
    if (contig && (g->dtype == L2_FLOAT32 || g->dtype == L2_FLOAT64)) {
        scale_contig(l2__data(g), n, coef, g->dtype == L2_FLOAT32);
    } else if (g->dtype == L2_FLOAT32) {
        float c = (float)coef;
        for (int64_t k = 0; k < n; k++) {
            float *p = contig ? (float *)l2__data(g) + k : (float *)elem(g, k);
            *p = *p * c;
        }
    } else {
        for (int64_t k = 0; k < n; k++) {
            double *p = contig ? (double *)l2__data(g) + k : (double *)elem(g, k);
            *p = *p * coef;
        }
    }
    l2__bump_version(g);
}

l2_status l2_clip_grad_norm_(int n, l2_tensor *const *params, double max_norm, double norm_type,
                             bool error_if_nonfinite, double *total_norm)
{
    const char *op = "clip_grad_norm_";
    L2__CHECK_ST(n >= 0, L2_ERR_ARG, "%s: negative parameter count %d", op, n);
    L2__CHECK_ST(n == 0 || params, L2_ERR_NULL, "%s: params is NULL", op);
    L2__CHECK_ST(!isnan(norm_type), L2_ERR_ARG, "%s: norm_type is NaN", op);
    if (total_norm)
        *total_norm = 0;
    if (n == 0)
        return L2_OK;
    l2_tensor **grads = l2__malloc(sizeof *grads * (size_t)n, op);
    double *norms = l2__malloc(sizeof *norms * (size_t)n, op);
    l2_status st = L2_OK;
    if (!grads || !norms) {
        st = L2_ERR_NOMEM;
        goto out;
    }
    int m = collect(op, n, params, grads);
    if (m < 0) {
        st = l2_last_status();
        goto out;
    }
    if (m == 0) /* torch.tensor(0.) */
        goto out;
    bool f32 = true; /* the dtype of torch.stack(norms): float64 if any grad is */
    for (int i = 0; i < m; i++) {
        const l2_tensor *g = grads[i];
        int64_t k = l2__numel(g->ndim, g->shape);
        if (norm_type == INFINITY && k == 0) {
            st = l2__fail(L2_ERR_ARG, "%s: the inf norm of an empty grad (torch's max() of an "
                          "empty tensor raises)", op);
            goto out;
        }
        norms[i] = grad_norm(g, norm_type);
        f32 = f32 && g->dtype == L2_FLOAT32;
    }
    double total;
    if (norm_type == INFINITY) {
        total = norms[0];
        for (int i = 1; i < m && !isnan(total); i++)
            if (isnan(norms[i]) || norms[i] > total)
                total = norms[i];
    } else {
        total = pnorm(norms, arr_at, m, norm_type, f32);
    }
    if (error_if_nonfinite && !isfinite(total)) {
        st = l2__fail(L2_ERR_ARG, "%s: the total norm of order %g for gradients from `parameters` "
                      "is non-finite, so it cannot be clipped (error_if_nonfinite)", op,
                      norm_type);
        goto out;
    }
    /* clip_coef = max_norm / (total_norm + 1e-6): a Python float over a tensor is
     * reciprocal(tensor) * max_norm, each step rounded to the norm's dtype; then clamp(max=1). */
    double coef;
    if (f32) {
        float d = (float)total + (float)1e-6;
        float r = 1.0f / d;
        float c = r * (float)max_norm;
        coef = c > 1.0f ? 1.0 : (double)c;
    } else {
        double r = 1.0 / (total + 1e-6);
        coef = r * max_norm;
        coef = coef > 1.0 ? 1.0 : coef;
    }
    if (l2__fault("clip_norm")) /* mutation test: the coefficient is not clamped */
        coef = f32 ? (double)((1.0f / ((float)total + (float)1e-6)) * (float)max_norm)
                   : (1.0 / (total + 1e-6)) * max_norm;
    for (int i = m - 1; i >= 0; i--) /* the last grads read are still in the cache */
        scale(grads[i], coef);
    if (total_norm)
        *total_norm = total;
out:
    l2__free(grads);
    l2__free(norms);
    return st;
}

l2_status l2_clip_grad_value_(int n, l2_tensor *const *params, double clip_value)
{
    const char *op = "clip_grad_value_";
    L2__CHECK_ST(n >= 0, L2_ERR_ARG, "%s: negative parameter count %d", op, n);
    L2__CHECK_ST(n == 0 || params, L2_ERR_NULL, "%s: params is NULL", op);
    if (n == 0)
        return L2_OK;
    l2_tensor **grads = l2__malloc(sizeof *grads * (size_t)n, op);
    if (!grads)
        return L2_ERR_NOMEM;
    int m = collect(op, n, params, grads);
    if (m < 0) {
        l2__free(grads);
        return l2_last_status();
    }
    /* torch's clamp_(min=-clip_value, max=clip_value): max then min, NaN kept; when min > max
     * every element becomes max; a NaN bound makes every element NaN. */

    for (int i = 0; i < m; i++) {
        l2_tensor *g = grads[i];
        if (isnan(clip_value)) { /* x * NaN: every element NaN (bumps the version) */
            scale(g, NAN);
            continue;
        }
        int64_t k = l2__numel(g->ndim, g->shape);
        bool contig = l2__is_contiguous(g);
        if (contig && g->dtype == L2_FLOAT32) { /* NaN fails both tests: kept */
            float lo = (float)-clip_value, hi = (float)clip_value, *x = (float *)l2__data(g);
            for (int64_t j = 0; j < k; j++) {
                float v = x[j] < lo ? lo : x[j];
                x[j] = v > hi ? hi : v;
            }
        } else if (contig) {
            double lo = -clip_value, hi = clip_value, *x = (double *)l2__data(g);
            for (int64_t j = 0; j < k; j++) {
                double v = x[j] < lo ? lo : x[j];
                x[j] = v > hi ? hi : v;
            }
        } else if (g->dtype == L2_FLOAT32) {
            float lo = (float)-clip_value, hi = (float)clip_value;
            for (int64_t j = 0; j < k; j++) {
                float *p = contig ? (float *)l2__data(g) + j : (float *)elem(g, j);
                float v = *p;
                if (isnan(v))
                    continue;
                v = v < lo ? lo : v;
                *p = v > hi ? hi : v;
            }
        } else {
            double lo = -clip_value, hi = clip_value;
            for (int64_t j = 0; j < k; j++) {
                double *p = contig ? (double *)l2__data(g) + j : (double *)elem(g, j);
                double v = *p;
                if (isnan(v))
                    continue;
                v = v < lo ? lo : v;
                *p = v > hi ? hi : v;
            }
        }
        l2__bump_version(g);
    }
    l2__free(grads);
    return L2_OK;
}
