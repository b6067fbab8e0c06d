/* nn-loss.c: loss functions with fused forward and backward kernels: cross_entropy (class
 * indices with ignore_index and label smoothing, or class probabilities), nll_loss, and the
 * pointwise losses mse_loss, l1_loss, binary_cross_entropy, binary_cross_entropy_with_logits.
 * Sums are taken in float64. Class weights and pos_weight are not implemented.
 *
 * Dimension letters: N batch, C classes, d1.. extra (spatial) dims; a "position" is one
 * (n, d1, ..) entry, i.e. one lane of the input along its class dim. The forward keeps each
 * position's logsumexp for the backward (in the node's extra block). */
#include "nn-impl.h"
#include "../vmath.h"

static bool check_reduction(const char *op, l2_reduction r)
{
    L2__CHECK((unsigned)r <= (unsigned)L2_REDUCTION_SUM, false, L2_ERR_ARG,
              "%s: invalid reduction %d (expected L2_REDUCTION_NONE, _MEAN or _SUM)", op, (int)r);
    return true;
}

/* Sum of a contiguous float64 array in 64 fixed chunks (the same result for any thread count). */
static double sum_f64(const double *v, int64_t n)
{
    enum { CHUNKS = L2__LOSS_CHUNKS };
    double part[CHUNKS];
    int nt = l2__nn_threads(n);
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
    for (int c = 0; c < CHUNKS; c++) {
        double s = 0;
        for (int64_t i = l2__part(n, c, CHUNKS); i < l2__part(n, c + 1, CHUNKS); i++)
            s += v[i];
        part[c] = s;
    }
    double s = 0;
    for (int c = 0; c < CHUNKS; c++)
        s += part[c];
    return s;
}

/* ---- cross_entropy / nll_loss ---------------------------------------------------------------- */

enum { CLS_CE, CLS_CE_PROB, CLS_NLL };

/* One position's loss. x: C logits (or log-probabilities for NLL) with stride xs. t: the class
 * index (index modes); tp: the C target probabilities with stride ts (CLS_CE_PROB). With
 * lse = logsumexp(x) and smoothing e:
 *   CE:      (1-e) * (lse - x[t]) + e * (lse - sum(x)/C)
 *   CE_PROB: -sum_c t'_c * (x_c - lse),  t' = t * (1-e) + e/C
 *   NLL:     -x[t] */
#define NN_CLS_FWD(T, SFX, EXP, LSE)                                                         \
    L2__NN_INLINE double cls_fwd_##SFX##_(const T *x, int64_t xs, int64_t C, int mode,       \
                                          int64_t t, const T *tp, int64_t ts, double e,      \
                                          double *mx_out, double *ls_out)                    \
    {                                                                                        \
        if (mode == CLS_NLL)                                                                 \
            return -(double)x[t * xs];                                                       \
        T mx = -INFINITY;                                                                    \
        _Pragma("omp simd reduction(max : mx)")                                              \
        for (int64_t k = 0; k < C; k++)                                                      \
            mx = x[k * xs] > mx ? x[k * xs] : mx;                                            \
        double s = 0, sx = 0; /* sx: sum of x - max */                                      \
        _Pragma("omp simd reduction(+ : s, sx)")                                             \
        for (int64_t k = 0; k < C; k++) {                                                    \
            s += (double)EXP(x[k * xs] - mx);                                                \
            sx += (double)x[k * xs] - (double)mx;                                            \
        }                                                                                    \
        double ls = log(s);                                                                  \
        *mx_out = (double)mx;                                                                \
        *ls_out = ls;                                                                        \
        /* lse - x[t] as log(s) - (x[t] - max), as torch's -log_softmax: a large max would   \
         * swallow log(s) in lse. No smoothing term at e == 0: 0 * inf is NaN. */           \
        if (mode == CLS_CE)                                                                  \
            return (1 - e) * (ls - ((double)x[t * xs] - (double)mx)) +                       \
                   (e != 0 ? e * (ls - sx / (double)C) : 0);                                 \
        double l = 0, u = e / (double)C;                                                     \
        _Pragma("omp simd reduction(+ : l)")                                                 \
        for (int64_t k = 0; k < C; k++)                                                      \
            l -= ((double)tp[k * ts] * (1 - e) + u) * (((double)x[k * xs] - mx) - ls);       \
        return l;                                                                            \
    }                                                                                        \
    L2__NN_HOT                                                                               \
    static double cls_fwd_##SFX(const char *x, int64_t xs, int64_t C, int mode, int64_t t,   \
                                const char *tp, int64_t ts, double e, double *mx, double *ls) \
    {                                                                                        \
        double (*lsef)(int64_t, const T *, double *) = LSE;                                  \
        if (xs == 1 && mode == CLS_CE && e == 0 && lsef) { /* vmath's row kernel (issue 12) */ \
            *ls = lsef(C, (const T *)x, mx);                                                 \
            return *ls - ((double)((const T *)x)[t] - *mx);                                  \
        }                                                                                    \
        if (xs == 1 && (ts == 1 || !tp))                                                     \
            return cls_fwd_##SFX##_((const T *)x, 1, C, mode, t, (const T *)tp, 1, e, mx,    \
                                    ls);                                                     \
        return cls_fwd_##SFX##_((const T *)x, xs, C, mode, t, (const T *)tp, ts, e, mx, ls); \
    }
NN_CLS_FWD(float, f32, l2__nn_expf, l2__vmath_lse_f32())
NN_CLS_FWD(double, f64, exp, (double (*)(int64_t, const double *, double *))NULL)

/* One position's gradients, g being the upstream gradient of its loss (already divided by the
 * mean's denominator), logsumexp(x) = mx + ls saved by the forward in two parts (x - mx - ls
 * keeps ls where mx is large); dx and dt (either may be NULL) were zeroed. With p = softmax(x)
 * = exp(x - lse):
 *   CE:      dx_c = g * (p_c - e/C - (1-e) * [c == t])
 *   CE_PROB: dx_c = g * (p_c * sum(t') - t'_c),  dt_c = -g * (1-e) * (x_c - lse)
 *   NLL:     dx_t = -g */
#define NN_CLS_BWD(T, SFX, EXP)                                                              \
    L2__NN_INLINE void cls_bwd_##SFX##_(const T *x, int64_t xs, int64_t C, int mode,         \
                                        int64_t t, const T *tp, int64_t ts, double e,        \
                                        double mx, double ls, double g, T *dx, int64_t dxs,  \
                                        T *dt,                                               \
                                        int64_t dts)                                         \
    {                                                                                        \
        if (mode == CLS_NLL) {                                                               \
            if (dx)                                                                          \
                dx[t * dxs] = (T)-g;                                                         \
            return;                                                                          \
        }                                                                                    \
        double u = e / (double)C;                                 \
        if (mode == CLS_CE && dx) {                                                          \
            T gt = (T)g, ut = (T)u; /* x - mx - ls in float64: T would round at x's scale */  \
            _Pragma("omp simd")                                                              \
            for (int64_t k = 0; k < C; k++)                                                  \
                dx[k * dxs] = gt * (EXP((T)(((double)x[k * xs] - mx) - ls)) - ut);          \
            dx[t * dxs] = (T)(dx[t * dxs] - g * (1 - e));                                    \
        }                                                                                    \
        if (mode == CLS_CE)                                                                  \
            return;                                                                          \
        double st = 0;                                                                       \
        _Pragma("omp simd reduction(+ : st)")                                                \
        for (int64_t k = 0; k < C; k++)                                                      \
            st += (double)tp[k * ts] * (1 - e) + u;                                          \
        _Pragma("omp simd")                                                                  \
        for (int64_t k = 0; k < C; k++) {                                                    \
            double lp = ((double)x[k * xs] - mx) - ls;                                       \
            if (dx)                                                                          \
                dx[k * dxs] = (T)(g * (exp(lp) * st - ((double)tp[k * ts] * (1 - e) + u)));  \
            if (dt)                                                                          \
                dt[k * dts] = (T)(-g * (1 - e) * lp);                                        \
        }                                                                                    \
    }                                                                                        \
    L2__NN_HOT                                                                               \
    static void cls_bwd_##SFX(const char *x, int64_t xs, int64_t C, int mode, int64_t t,     \
                              const char *tp, int64_t ts, double e, double mx, double ls,    \
                              double g, char *dx, int64_t dxs, char *dt, int64_t dts)        \
    {                                                                                        \
        if (mode == CLS_CE && xs == 1 && dxs == 1)                                           \
            cls_bwd_##SFX##_((const T *)x, 1, C, mode, t, NULL, 0, e, mx, ls, g, (T *)dx, 1, \
                             NULL, 0);                                                       \
        else                                                                                 \
            cls_bwd_##SFX##_((const T *)x, xs, C, mode, t, (const T *)tp, ts, e, mx, ls, g,  \
                             (T *)dx, dxs, (T *)dt, dts);                                    \
    }
NN_CLS_BWD(float, f32, l2__nn_expf)
NN_CLS_BWD(double, f64, exp)

typedef struct {
    int mode;
    int cdim;      /* the class dim of the input */
    int64_t C;     /* classes */
    int64_t npos;  /* positions */
    int64_t ignore;
    double eps;    /* label smoothing */
} cls_info;

/* The class index at position r (index modes). */
static int64_t cls_target(const l2_tensor *tgt, int64_t r)
{
    return ((const int64_t *)l2__data(tgt))[l2__nn_lane(tgt, -1, r)];
}

/* loss[r] and the logsumexp's two parts mx[r] + ls[r] (unless NLL) for every position; tgt is
 * int64 (index modes) or of x's dtype (CLS_CE_PROB). */
static void cls_forward_kernel(const l2_tensor *x, const l2_tensor *tgt, const cls_info *ci,
                               double *loss, double *mx, double *ls)
{
    int64_t es = (int64_t)l2__esize(x->dtype), xs = x->stride[ci->cdim];
    int64_t ts = ci->mode == CLS_CE_PROB ? tgt->stride[ci->cdim] : 0;
    const char *xd = l2__data(x), *td = l2__data(tgt);
    bool f32 = x->dtype == L2_FLOAT32;
    int nt = l2__nn_threads(ci->npos * ci->C);
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
    for (int64_t r = 0; r < ci->npos; r++) {
        const char *xp = xd + l2__nn_lane(x, ci->cdim, r) * es, *tp = NULL;
        int64_t t = 0;
        if (ci->mode == CLS_CE_PROB) {
            tp = td + l2__nn_lane(tgt, ci->cdim, r) * es;
        } else {
            t = cls_target(tgt, r);
            if (t == ci->ignore) {
                loss[r] = mx[r] = ls[r] = 0;
                continue;
            }
        }
        mx[r] = ls[r] = 0;
        loss[r] = f32 ? cls_fwd_f32(xp, xs, ci->C, ci->mode, t, tp, ts, ci->eps, &mx[r], &ls[r])
                      : cls_fwd_f64(xp, xs, ci->C, ci->mode, t, tp, ts, ci->eps, &mx[r], &ls[r]);
    }
}

/* dx, dt (either may be NULL; zeroed, contiguous, x's shape and dtype) for upstream gradient g:
 * per position (reduction none) or one value (g0, already divided for the mean). */
static void cls_backward_kernel(const l2_tensor *x, const l2_tensor *tgt, const cls_info *ci,
                                const double *lse2, const l2_tensor *g, double g0, l2_tensor *dx,
                                l2_tensor *dt)
{
    int64_t es = (int64_t)l2__esize(x->dtype), xs = x->stride[ci->cdim];
    int64_t ts = ci->mode == CLS_CE_PROB ? tgt->stride[ci->cdim] : 0;
    int64_t dxs = dx ? dx->stride[ci->cdim] : 0, dts = dt ? dt->stride[ci->cdim] : 0;
    const char *xd = l2__data(x), *td = l2__data(tgt);
    char *dxd = dx ? l2__data(dx) : NULL, *dtd = dt ? l2__data(dt) : NULL;
    bool f32 = x->dtype == L2_FLOAT32;
    int nt = l2__nn_threads(ci->npos * ci->C);
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
    for (int64_t r = 0; r < ci->npos; r++) {
        const char *xp = xd + l2__nn_lane(x, ci->cdim, r) * es, *tp = NULL;
        int64_t t = 0;
        if (ci->mode == CLS_CE_PROB) {
            tp = td + l2__nn_lane(tgt, ci->cdim, r) * es;
        } else {
            t = cls_target(tgt, r);
            if (t == ci->ignore)
                continue;
        }
        double gr = g ? l2__load(l2__data(g) + l2__nn_lane(g, -1, r) * es, g->dtype) : g0;
        char *dxp = dx ? dxd + l2__nn_lane(dx, ci->cdim, r) * es : NULL;
        char *dtp = dt ? dtd + l2__nn_lane(dt, ci->cdim, r) * es : NULL;
        if (f32)
            cls_bwd_f32(xp, xs, ci->C, ci->mode, t, tp, ts, ci->eps, lse2[r], lse2[ci->npos + r],
                        gr, dxp, dxs, dtp, dts);
        else
            cls_bwd_f64(xp, xs, ci->C, ci->mode, t, tp, ts, ci->eps, lse2[r], lse2[ci->npos + r],
                        gr, dxp, dxs, dtp, dts);
    }
}

/* Validate cross_entropy / nll_loss arguments and fill ci and the positions' shape (pshape,
 * rank *pnd). nll selects nll_loss's rules. Returns false with the error set. */
static bool cls_check(const char *op, bool nll, const l2_tensor *input, const l2_tensor *target,
                      l2_reduction red, int64_t ignore, double eps, cls_info *ci, int *pnd,
                      int64_t *pshape)
{
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR], s3[L2__SHAPE_STR];
    L2__CHECK_T(input, false, op);
    L2__CHECK_T(target, false, op);
    if (!check_reduction(op, red))
        return false;
    L2__CHECK(l2__is_float(input->dtype), false, L2_ERR_DTYPE,
              "%s: expected a float32 or float64 input, got %s", op,
              l2_dtype_name(input->dtype));
    L2__CHECK(input->ndim >= 1, false, L2_ERR_DIM,
              "%s: expected an input of shape (C), (N,C) or (N,C,d1,...), got a 0-d tensor", op);
    L2__CHECK(eps >= 0 && eps <= 1, false, L2_ERR_ARG,
              "%s: label_smoothing must be between 0.0 and 1.0, got %g", op, eps);
    ci->cdim = input->ndim == 1 ? 0 : 1;
    ci->C = input->shape[ci->cdim];
    ci->ignore = ignore;
    ci->eps = eps;
    *pnd = 0;
    for (int d = 0; d < input->ndim; d++)
        if (d != ci->cdim)
            pshape[(*pnd)++] = input->shape[d];
    ci->npos = l2__numel(*pnd, pshape);
    bool same = target->ndim == input->ndim;
    for (int d = 0; same && d < input->ndim; d++)
        same = target->shape[d] == input->shape[d];
    if (!nll && same) {
        ci->mode = CLS_CE_PROB;
        L2__CHECK(l2__is_float(target->dtype), false, L2_ERR_DTYPE,
                  "%s: expected a float target for class probabilities (target of the input's "
                  "shape %s), got %s", op, l2__shape_str(s1, input->ndim, input->shape),
                  l2_dtype_name(target->dtype));
        L2__CHECK(ignore < 0, false, L2_ERR_ARG,
                  "%s: ignore_index (%lld) is not supported for class-probability targets; pass "
                  "a negative value such as -100", op, (long long)ignore);
        return true;
    }
    ci->mode = nll ? CLS_NLL : CLS_CE;
    L2__CHECK(target->dtype == L2_INT64, false, L2_ERR_DTYPE,
              "%s: expected an int64 target of class indices%s, got %s", op,
              nll ? "" : " (or a float target of the input's shape)",
              l2_dtype_name(target->dtype));
    same = target->ndim == *pnd;
    for (int d = 0; same && d < *pnd; d++)
        same = target->shape[d] == pshape[d];
    L2__CHECK(same, false, L2_ERR_SHAPE, "%s: expected a target of shape %s for input of shape "
              "%s, got %s", op, l2__shape_str(s1, *pnd, pshape),
              l2__shape_str(s2, input->ndim, input->shape),
              l2__shape_str(s3, target->ndim, target->shape));
    return true;
}

static l2_tensor *cls_loss(const char *op, bool nll, l2__op node_op, const l2_tensor *input,
                           const l2_tensor *target, l2_reduction red, int64_t ignore, double eps)
{
    cls_info ci;
    int pnd;
    int64_t pshape[L2_MAX_DIMS];
    if (!cls_check(op, nll, input, target, red, ignore, eps, &ci, &pnd, pshape))
        return NULL;
    /* Class indices: every non-ignored target must name a class; count them for the mean. */
    int64_t count = ci.npos;
    if (ci.mode != CLS_CE_PROB) {
        count = 0;
        for (int64_t r = 0; r < ci.npos; r++) {
            int64_t t = cls_target(target, r);
            if (t == ignore)
                continue;
            L2__CHECK(t >= 0 && t < ci.C, NULL, L2_ERR_INDEX,
                      "%s: target %lld is out of bounds (%lld classes) at position %lld", op,
                      (long long)t, (long long)ci.C, (long long)r);
            count++;
        }
    }
    l2_tensor *tg = l2__nn_as(op, target, ci.mode == CLS_CE_PROB ? input->dtype : L2_INT64);
    /* loss[npos], then the logsumexp's parts mx[npos], ls[npos] (kept for the backward) */
    double *loss = tg ? l2__malloc((size_t)(3 * ci.npos + 1) * sizeof(double), op) : NULL;
    l2_tensor *out = NULL;
    if (loss)
        out = red == L2_REDUCTION_NONE ? l2__new(op, pnd, pshape, input->dtype, false)
                                       : l2__new(op, 0, NULL, input->dtype, false);
    if (!out) {
        l2__free(loss);
        l2_tensor_release(tg);
        return NULL;
    }
    cls_forward_kernel(input, tg, &ci, loss, loss + ci.npos, loss + 2 * ci.npos);
    l2_tensor_release(tg);
    if (red == L2_REDUCTION_NONE) {
        char *o = l2__data(out);
        for (int64_t r = 0; r < ci.npos; r++)
            l2__store(o + r * (int64_t)l2__esize(out->dtype), out->dtype, loss[r]);
    } else {
        double s = sum_f64(loss, ci.npos);
        /* mean over the non-ignored positions; none left gives 0/0 = NaN, as torch */
        l2__store(l2__data(out), out->dtype, red == L2_REDUCTION_MEAN ? s / (double)count : s);
    }
    const l2_tensor *in[2] = {input, target};
    if (l2__needs_grad(2, in)) {
        l2__node *node = l2__record_save(node_op, out, 2, in, 2, in);
        if (!node) {
            l2__free(loss);
            l2_tensor_release(out);
            return NULL;
        }
        memmove(loss, loss + ci.npos, (size_t)(2 * ci.npos) * sizeof(double));
        node->extra = loss; /* mx[npos], ls[npos] */
        loss = NULL;
        node->i[0] = ci.mode;
        node->i[1] = red;
        node->i[2] = ignore;
        node->i[3] = count;
        node->ni = 4;
        node->f[0] = eps;
    }
    l2__free(loss);
    return l2__ret(out);
}

l2_tensor *l2_cross_entropy(const l2_tensor *input, const l2_tensor *target,
                            l2_reduction reduction, int64_t ignore_index, double label_smoothing)
{
    L2__HALF_ROUTE(l2_cross_entropy(H_[0], H_[1], reduction, ignore_index, label_smoothing),
                   input, target);
    return cls_loss("cross_entropy", false, L2__OP_CROSS_ENTROPY, input, target, reduction,
                    ignore_index, label_smoothing);
}

l2_tensor *l2_nll_loss(const l2_tensor *input, const l2_tensor *target, l2_reduction reduction,
                       int64_t ignore_index)
{
    L2__HALF_ROUTE(l2_nll_loss(H_[0], H_[1], reduction, ignore_index), input, target);
    return cls_loss("nll_loss", true, L2__OP_NLL_LOSS, input, target, reduction, ignore_index,
                    0.0);
}

/* The formulas are those of NN_CLS_BWD; the mean divides g by the count of non-ignored
 * positions (class indices) or by the number of positions (probabilities). */
static l2_status cls_backward(const char *op, l2__node *n, const l2_tensor *gout,
                              l2_tensor **gin)
{
    const l2_tensor *x = n->saved[0], *target = n->saved[1];
    cls_info ci = {.mode = (int)n->i[0], .ignore = n->i[2], .eps = n->f[0]};
    l2_reduction red = (l2_reduction)n->i[1];
    ci.cdim = x->ndim == 1 ? 0 : 1;
    ci.C = x->shape[ci.cdim];
    ci.npos = 1;
    for (int d = 0; d < x->ndim; d++)
        if (d != ci.cdim)
            ci.npos = l2__mul_sat(ci.npos, x->shape[d]);
    bool want_x = l2__nn_wants(n, 0), want_t = ci.mode == CLS_CE_PROB && l2__nn_wants(n, 1);
    l2_tensor *tg = l2__nn_as(op, target, ci.mode == CLS_CE_PROB ? x->dtype : L2_INT64);
    l2_tensor *dx = NULL, *dt = NULL;
    if (tg && want_x)
        dx = l2__new(op, x->ndim, x->shape, x->dtype, true);
    if (tg && want_t && (dx || !want_x))
        dt = l2__new(op, x->ndim, x->shape, x->dtype, true);
    if (!tg || (want_x && !dx) || (want_t && !dt)) {
        l2_tensor_release(tg);
        l2_tensor_release(dx);
        l2_tensor_release(dt);
        return l2_last_status();
    }
    double g0 = 0;
    if (red != L2_REDUCTION_NONE) {
        g0 = l2__load(l2__data(gout), gout->dtype);
        if (red == L2_REDUCTION_MEAN)
            g0 /= (double)n->i[3];
    }
    cls_backward_kernel(x, tg, &ci, n->extra, red == L2_REDUCTION_NONE ? gout : NULL, g0, dx,
                        dt);
    l2_tensor_release(tg);
    gin[0] = dx;
    gin[1] = dt;
    return L2_OK;
}

l2_status l2__cross_entropy_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return cls_backward("cross_entropy_backward", n, gout, gin);
}

l2_status l2__nll_loss_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return cls_backward("nll_loss_backward", n, gout, gin);
}

/* ---- pointwise losses -------------------------------------------------------------------- */

enum { PW_MSE, PW_L1, PW_BCE, PW_BCE_LOGITS };

typedef struct {
    l2_dtype dt;  /* dtype of the inputs (and of the output unless out64) */
    int kind;
    int which;    /* backward: 0 for d/dinput, 1 for d/dtarget */
    double scale; /* backward: 1/numel for the mean, else 1 */
    double acc;   /* forward with a reduction: the running sum */
} pw_ctx;

/* Elementwise loss v of input a and target b (doubles):
 *   mse: (a-b)^2;  l1: |a-b|;
 *   bce: -(b * max(log a, -100) + (1-b) * max(log(1-a), -100));
 *   bce_with_logits: (1-b) * a + max(-a, 0) + log1p(exp(-|a|)). */
#define PW_FWD(T, BODY)                                                                      \
    if (s[0] == sizeof(T) && s[1] == sizeof(T) && s[2] == sizeof(T)) {                       \
        T *o = (T *)p[0];                                                                    \
        const T *xa = (const T *)p[1], *ta = (const T *)p[2];                                \
        _Pragma("omp simd")                                                                  \
        for (int64_t i = 0; i < n; i++) {                                                    \
            double a = (double)xa[i], b = (double)ta[i], v;                                  \
            BODY;                                                                            \
            o[i] = (T)v;                                                                     \
        }                                                                                    \
    } else {                                                                                 \
        for (int64_t i = 0; i < n; i++) {                                                    \
            double a = (double)*(const T *)(p[1] + i * s[1]);                                \
            double b = (double)*(const T *)(p[2] + i * s[2]);                                \
            double v;                                                                        \
            BODY;                                                                            \
            *(T *)(p[0] + i * s[0]) = (T)v;                                                  \
        }                                                                                    \
    }

L2__NN_HOT static void pw_fwd_loop(int64_t n, char **p, const int64_t *s, void *vctx)
{
    const pw_ctx *c = vctx;
    L2__DISPATCH_FLOAT(c->dt, {
        switch (c->kind) {
        case PW_MSE: PW_FWD(T, v = (a - b) * (a - b)); break;
        case PW_L1: PW_FWD(T, v = fabs(a - b)); break;
        case PW_BCE:
            PW_FWD(T, v = -(b * fmax(log(a), -100.0) + (1 - b) * fmax(log1p(-a), -100.0)));
            break;
        default: PW_FWD(T, v = (1 - b) * a + fmax(-a, 0.0) + log1p(exp(-fabs(a)))); break;
        }
    });
}

/* The same losses summed (in float64) into c->acc instead of stored; p[0] is the input and
 * p[1] the target. */
#define PW_SUM(T, BODY)                                                                      \
    if (s[0] == sizeof(T) && s[1] == sizeof(T)) {                                            \
        const T *xa = (const T *)p[0], *ta = (const T *)p[1];                                \
        _Pragma("omp simd reduction(+ : acc)")                                               \
        for (int64_t i = 0; i < n; i++) {                                                    \
            double a = (double)xa[i], b = (double)ta[i], v;                                  \
            BODY;                                                                            \
            acc += v;                                                                        \
        }                                                                                    \
    } else {                                                                                 \
        _Pragma("omp simd reduction(+ : acc)")                                               \
        for (int64_t i = 0; i < n; i++) {                                                    \
            double a = (double)*(const T *)(p[0] + i * s[0]);                                \
            double b = (double)*(const T *)(p[1] + i * s[1]);                                \
            double v;                                                                        \
            BODY;                                                                            \
            acc += v;                                                                        \
        }                                                                                    \
    }

L2__NN_HOT static void pw_sum_loop(int64_t n, char **p, const int64_t *s, void *vctx)
{
    pw_ctx *c = vctx;
    double acc = 0;
    L2__DISPATCH_FLOAT(c->dt, {
        switch (c->kind) {
        case PW_MSE: PW_SUM(T, v = (a - b) * (a - b)); break;
        case PW_L1: PW_SUM(T, v = fabs(a - b)); break;
        case PW_BCE:
            PW_SUM(T, v = -(b * fmax(log(a), -100.0) + (1 - b) * fmax(log1p(-a), -100.0)));
            break;
        default: PW_SUM(T, v = (1 - b) * a + fmax(-a, 0.0) + log1p(exp(-fabs(a)))); break;
        }
    });
    c->acc += acc;
}

/* The sum of the losses of the iterator's elements, over 64 fixed element ranges (the same
 * result for any thread count). */
static double pw_sum(const l2__iter *it, const pw_ctx *proto)
{
    enum { CHUNKS = L2__LOSS_CHUNKS };
    double part[CHUNKS];
    int nt = l2__nn_threads(it->numel);
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
    for (int k = 0; k < CHUNKS; k++) {
        pw_ctx c = *proto;
        c.acc = 0;
        l2__iter_run_range(it, l2__part(it->numel, k, CHUNKS), l2__part(it->numel, k + 1, CHUNKS),
                           pw_sum_loop, &c);
        part[k] = c.acc;
    }
    double s = 0;
    for (int k = 0; k < CHUNKS; k++)
        s += part[k];
    return s;
}

/* Gradient element d = g * scale * (d loss / d input) or (d loss / d target):
 *   mse: 2(a-b), -2(a-b);  l1: sign(a-b), -sign(a-b);
 *   bce: (a-b) / max(a(1-a), 1e-12f), log(1-a) - log(a)  (torch: -logit(a));
 *   bce_with_logits: sigmoid(a) - b, -a. */
#define PW_BWD(T, BODY)                                                                      \
    if (s[0] == sizeof(T) && s[1] == sizeof(T) && s[2] == sizeof(T) &&                       \
        (s[3] == sizeof(T) || s[3] == 0)) {                                                  \
        T *o = (T *)p[0];                                                                    \
        const T *xa = (const T *)p[1], *ta = (const T *)p[2], *ga = (const T *)p[3];         \
        int64_t gs = s[3] ? 1 : 0;                                                           \
        _Pragma("omp simd")                                                                  \
        for (int64_t i = 0; i < n; i++) {                                                    \
            double a = (double)xa[i], b = (double)ta[i], g = (double)ga[i * gs] * c->scale;  \
            double v;                                                                        \
            (void)b;                                                                         \
            BODY;                                                                            \
            o[i] = (T)v;                                                                     \
        }                                                                                    \
    } else {                                                                                 \
        for (int64_t i = 0; i < n; i++) {                                                    \
            double a = (double)*(const T *)(p[1] + i * s[1]);                                \
            double b = (double)*(const T *)(p[2] + i * s[2]);                                \
            double g = (double)*(const T *)(p[3] + i * s[3]) * c->scale;                     \
            double v;                                                                        \
            (void)b;                                                                         \
            BODY;                                                                            \
            *(T *)(p[0] + i * s[0]) = (T)v;                                                  \
        }                                                                                    \
    }

/* torch 1.13 clamps bce's denominator at a float constant 1e-12f (9.99999996e-13 as a double),
 * in float64 too: the same constant keeps float64 gradients torch-exact. */
#define BCE_EPS ((double)1e-12f)

static double sgn(double v) { return (double)((v > 0) - (v < 0)); }

L2__NN_HOT static void pw_bwd_loop(int64_t n, char **p, const int64_t *s, void *vctx)
{
    const pw_ctx *c = vctx;
    double w = c->which ? -1.0 : 1.0;
    L2__DISPATCH_FLOAT(c->dt, {
        switch (c->kind) {
        case PW_MSE: PW_BWD(T, v = w * 2 * (a - b) * g); break;
        case PW_L1: PW_BWD(T, v = w * sgn(a - b) * g); break;
        case PW_BCE:
            if (c->which) {
                PW_BWD(T, v = (log1p(-a) - log(a)) * g)
            } else {
                PW_BWD(T, v = (a - b) / fmax(a * (1 - a), BCE_EPS) * g)
            }
            break;
        default:
            if (c->which) {
                PW_BWD(T, v = -a * g)
            } else {
                PW_BWD(T, v = (1 / (1 + exp(-a)) - b) * g)
            }
            break;
        }
    });
}

/* Sets *bad when a float64 element is outside [0, 1] (or NaN). */
static void unit_check_loop(int64_t n, char **p, const int64_t *s, void *vctx)
{
    bool *bad = vctx;
    for (int64_t i = 0; i < n; i++) {
        double v = *(const double *)(p[0] + i * s[0]);
        if (!(v >= 0 && v <= 1))
            *bad = true;
    }
}

/* Shape (*nd, shape) of a pointwise loss of x and t: broadcast (bcast) or identical. */
static bool pw_shape(const char *op, const l2_tensor *x, const l2_tensor *t, bool bcast, int *nd,
                     int64_t *shape)
{
    if (bcast) {
        *nd = l2__broadcast_shapes(op, x->ndim, x->shape, t->ndim, t->shape, shape);
        return *nd >= 0;
    }
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
    bool same = x->ndim == t->ndim;
    for (int d = 0; same && d < x->ndim; d++)
        same = x->shape[d] == t->shape[d];
    L2__CHECK(same, false, L2_ERR_SHAPE, "%s: target size %s must be the same as input size %s",
              op, l2__shape_str(s1, t->ndim, t->shape), l2__shape_str(s2, x->ndim, x->shape));
    *nd = x->ndim;
    memcpy(shape, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    return true;
}

static l2_tensor *pw_loss(const char *op, int kind, l2__op node_op, const l2_tensor *x,
                          const l2_tensor *t, l2_reduction red, bool bcast)
{
    L2__CHECK_T(x, NULL, op);
    L2__CHECK_T(t, NULL, op);
    if (!check_reduction(op, red))
        return NULL;
    l2_dtype R = l2__result_type(x, t);
    L2__CHECK(l2__is_float(R), NULL, L2_ERR_DTYPE,
              "%s: expected float inputs, got %s input and %s target", op,
              l2_dtype_name(x->dtype), l2_dtype_name(t->dtype));
    /* torch 1.13's dtype rules beyond promotion: l1 subtracts (no bool), binary_cross_entropy
     * wants one dtype, the logits form works in place on float operands. */
    L2__CHECK(kind != PW_L1 || (x->dtype != L2_BOOL && t->dtype != L2_BOOL), NULL,
              L2_ERR_DTYPE, "%s: subtraction with a bool tensor is not supported", op);
    L2__CHECK(kind != PW_BCE || x->dtype == t->dtype, NULL, L2_ERR_DTYPE,
              "%s: expected input and target of the same dtype, got %s input and %s target", op,
              l2_dtype_name(x->dtype), l2_dtype_name(t->dtype));
    L2__CHECK(kind != PW_BCE_LOGITS || (l2__is_float(x->dtype) && l2__is_float(t->dtype)), NULL,
              L2_ERR_DTYPE, "%s: expected float input and target, got %s input and %s target",
              op, l2_dtype_name(x->dtype), l2_dtype_name(t->dtype));
    int nd;
    int64_t shape[L2_MAX_DIMS];
    if (!pw_shape(op, x, t, bcast, &nd, shape))
        return NULL;
    int64_t numel = l2__numel(nd, shape);
    l2_tensor *xa = l2__nn_as(op, x, R), *ta = xa ? l2__nn_as(op, t, R) : NULL;
    l2_tensor *xb = ta ? l2__nn_bcast(xa, nd, shape) : NULL;
    l2_tensor *tb = xb ? l2__nn_bcast(ta, nd, shape) : NULL;
    /* The output first: a shape too large to hold fails before the range scan reads it all. */
    l2_tensor *out = NULL;
    if (tb)
        out = red == L2_REDUCTION_NONE ? l2__new(op, nd, shape, R, false)
                                       : l2__new(op, 0, NULL, R, false);
    if (out && kind == PW_BCE) {
        bool bad = false;
        l2_tensor *x64 = l2__nn_as(op, xb, L2_FLOAT64);
        if (x64) {
            l2__iter it;
            const l2_tensor *ops[1] = {x64};
            l2__iter_init(&it, 1, ops);
            l2__iter_run_range(&it, 0, it.numel, unit_check_loop, &bad);
            l2_tensor_release(x64);
            if (bad)
                l2__fail(L2_ERR_ARG, "%s: all elements of input should be between 0 and 1", op);
        }
        if (!x64 || bad) {
            l2_tensor_release(out);
            out = NULL;
        }
    }
    if (out) {
        pw_ctx c = {.dt = R, .kind = kind};
        l2__iter it;
        if (red == L2_REDUCTION_NONE) {
            const l2_tensor *ops[3] = {out, xb, tb};
            l2__iter_init(&it, 3, ops);
            l2__iter_run(&it, pw_fwd_loop, &c);
        } else {
            const l2_tensor *ops[2] = {xb, tb};
            l2__iter_init(&it, 2, ops);
            double sum = pw_sum(&it, &c);
            /* the mean of nothing is 0/0 = NaN, as torch */
            l2__store(l2__data(out), R, red == L2_REDUCTION_MEAN ? sum / (double)numel : sum);
        }
    }
    l2_tensor_release(tb);
    l2_tensor_release(xb);
    l2_tensor_release(ta);
    l2_tensor_release(xa);
    if (!out)
        return NULL;
    const l2_tensor *in[2] = {x, t};
    if (l2__needs_grad(2, in)) {
        l2__node *node = l2__record_save(node_op, out, 2, in, 2, in);
        if (!node) {
            l2_tensor_release(out);
            return NULL;
        }
        node->i[0] = red;
        node->i[1] = kind;
        node->ni = 2;
    }
    return l2__ret(out);
}

/* Gradients of a pointwise loss in the broadcast shape (the engine sums them to each input's
 * shape): d = g * scale * f'(input, target) with the formulas of pw_bwd_loop. */
static l2_status pw_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = l2__op_names[n->op];
    const l2_tensor *x = n->saved[0], *t = n->saved[1];
    l2_reduction red = (l2_reduction)n->i[0];
    l2_dtype R = n->out_dtype;
    int nd;
    int64_t shape[L2_MAX_DIMS];
    if (!pw_shape(op, x, t, true, &nd, shape))
        return l2_last_status();
    int64_t numel = l2__numel(nd, shape);
    l2_tensor *xa = l2__nn_as(op, x, R), *ta = xa ? l2__nn_as(op, t, R) : NULL;
    l2_tensor *ga = ta ? l2__nn_as(op, gout, R) : NULL;
    l2_tensor *xb = ga ? l2__nn_bcast(xa, nd, shape) : NULL;
    l2_tensor *tb = xb ? l2__nn_bcast(ta, nd, shape) : NULL;
    l2_tensor *gb = tb ? l2__nn_bcast(ga, nd, shape) : NULL;
    l2_status st = gb ? L2_OK : l2_last_status();
    for (int k = 0; k < 2 && st == L2_OK; k++) {
        if (!l2__nn_wants(n, k))
            continue;
        gin[k] = l2__new(op, nd, shape, R, false);
        if (!gin[k]) {
            st = l2_last_status();
            break;
        }
        pw_ctx c = {.dt = R, .kind = (int)n->i[1], .which = k,
                    .scale = red == L2_REDUCTION_MEAN ? 1.0 / (double)numel : 1.0};
        const l2_tensor *ops[4] = {gin[k], xb, tb, gb};
        l2__iter it;
        l2__iter_init(&it, 4, ops);
        l2__iter_run(&it, pw_bwd_loop, &c);
    }
    l2_tensor *tmp[] = {gb, tb, xb, ga, ta, xa};
    for (size_t i = 0; i < sizeof tmp / sizeof tmp[0]; i++)
        l2_tensor_release(tmp[i]);
    return st;
}

l2_tensor *l2_mse_loss(const l2_tensor *input, const l2_tensor *target, l2_reduction r)
{
    L2__HALF_ROUTE(l2_mse_loss(H_[0], H_[1], r), input, target);
    return pw_loss("mse_loss", PW_MSE, L2__OP_MSE_LOSS, input, target, r, true);
}

/* dx = 2 (x - t) dy scale, dt = -dx */
l2_status l2__mse_loss_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return pw_backward(n, gout, gin);
}

l2_tensor *l2_l1_loss(const l2_tensor *input, const l2_tensor *target, l2_reduction r)
{
    L2__HALF_ROUTE(l2_l1_loss(H_[0], H_[1], r), input, target);
    return pw_loss("l1_loss", PW_L1, L2__OP_L1_LOSS, input, target, r, true);
}

/* dx = sign(x - t) dy scale, dt = -dx */
l2_status l2__l1_loss_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return pw_backward(n, gout, gin);
}

l2_tensor *l2_binary_cross_entropy(const l2_tensor *input, const l2_tensor *target,
                                   l2_reduction r)
{
    L2__HALF_ROUTE(l2_binary_cross_entropy(H_[0], H_[1], r), input, target);
    return pw_loss("binary_cross_entropy", PW_BCE, L2__OP_BINARY_CROSS_ENTROPY, input, target, r,
                   false);
}

/* dx = dy scale (x - t) / max(x (1 - x), 1e-12f), dt = dy scale (log(1 - x) - log(x)) */
l2_status l2__binary_cross_entropy_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return pw_backward(n, gout, gin);
}

l2_tensor *l2_binary_cross_entropy_with_logits(const l2_tensor *input, const l2_tensor *target,
                                               l2_reduction r)
{
    L2__HALF_ROUTE(l2_binary_cross_entropy_with_logits(H_[0], H_[1], r), input, target);
    return pw_loss("binary_cross_entropy_with_logits", PW_BCE_LOGITS,
                   L2__OP_BINARY_CROSS_ENTROPY_WITH_LOGITS, input, target, r, false);
}

/* dx = dy scale (sigmoid(x) - t), dt = -dy scale x */
l2_status l2__binary_cross_entropy_with_logits_backward(l2__node *n, const l2_tensor *gout,
                                                        l2_tensor **gin)
{
    return pw_backward(n, gout, gin);
}
