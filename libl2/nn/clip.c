/* clip.c: gradient clipping with torch.nn.utils' computation (torch 1.13): clip_grad_norm_
 * (the norm of each grad, then the norm of those norms; clip_coef = max_norm / (total + 1e-6)
 * as torch evaluates it, clamped to 1, each grad scaled in place) and clip_grad_value_ (each
 * grad clamped to [-clip_value, clip_value]). Everything is checked and every norm computed
 * before any grad is written: a failed call changes nothing. */
#include "../l2-impl.h"

#include <math.h>

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
        const void *x = l2__data(g);
        double acc = f32 ? sum_f32(x, k, (int)p) : sum_f64(x, k, (int)p);
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

static void scale(l2_tensor *g, double coef)
{
    int64_t n = l2__numel(g->ndim, g->shape);
    bool contig = l2__is_contiguous(g);
    if (contig && g->dtype == L2_FLOAT32) {
        float c = (float)coef, *x = (float *)l2__data(g);
        for (int64_t k = 0; k < n; k++)
            x[k] = x[k] * c;
    } else if (contig) {
        double *x = (double *)l2__data(g);
        for (int64_t k = 0; k < n; k++)
            x[k] = x[k] * coef;
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
    for (int i = 0; i < m; i++)
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
