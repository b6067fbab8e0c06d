/* nn-norm.c: layer_norm and batch_norm with fused backward kernels for the input, weight and
 * bias (statistics in float64, biased variance for normalising, as torch). batch_norm updates
 * the running statistics in place in training mode. Inputs of any layout are first made
 * contiguous; the per-row statistics live in the node's extra block for the backward.
 *
 * Dimension letters: M rows of N normalised elements (layer_norm); N batch, C channels, S the
 * product of the spatial dims (batch_norm). */
#include "nn-impl.h"
#include "reduce-impl.h" /* the vector row sums (reduce-vec.c) */

/* A float64 contiguous copy of an optional parameter (NULL stays NULL); *fail on out-of-memory. */
static l2_tensor *param64(const char *op, const l2_tensor *p, bool *fail)
{
    if (!p)
        return NULL;
    l2_tensor *r = l2__nn_contig(op, p, L2_FLOAT64);
    if (!r)
        *fail = true;
    return r;
}

static const double *data64(const l2_tensor *t) { return t ? (const double *)l2__data(t) : NULL; }

/* ---- layer_norm ------------------------------------------------------------------------------ */

/* One row of N: mean, rstd = 1/sqrt(var + eps) (biased var), y = (x - mean) * rstd * w + b. */
#define NN_LN_FWD(T, SFX)                                                                    \
    L2__NN_HOT                                                                               \
    static void ln_fwd_##SFX(const char *xc, char *yc, int64_t N, const double *w,           \
                             const double *b, double eps, double *mean, double *rstd)        \
    {                                                                                        \
        const T *x = (const T *)xc;                                                          \
        T *y = (T *)yc;                                                                      \
        /* the statistics by the reductions' vector row sums (float64 lanes) */              \
        double m = l2__vrow_sum_##SFX(x, N, 0) / (double)N;                                  \
        double v = l2__vrow_sqdev_##SFX(x, N, m);                                            \
        double rs = 1 / sqrt(v / (double)N + eps);                                           \
        _Pragma("omp simd")                                                                  \
        for (int64_t j = 0; j < N; j++) {                                                    \
            double h = ((double)x[j] - m) * rs;                                              \
            y[j] = (T)(h * (w ? w[j] : 1.0) + (b ? b[j] : 0.0));                             \
        }                                                                                    \
        *mean = m;                                                                           \
        *rstd = rs;                                                                          \
    }
NN_LN_FWD(float, f32)
NN_LN_FWD(double, f64)

/* One row's backward (llm.c's layernorm_backward): with xhat = (x - mean) * rstd,
 * dnorm = dy * w:
 *   dx = (dnorm - mean(dnorm) - xhat * mean(dnorm * xhat)) * rstd
 *   dw += dy * xhat,  db += dy  (into this chunk's float64 accumulators; either may be NULL) */
#define NN_LN_BWD(T, SFX)                                                                    \
    L2__NN_HOT                                                                               \
    static void ln_bwd_##SFX(const char *xc, const char *gc, char *dc, int64_t N,            \
                             const double *w, double mean, double rstd, double *dw,          \
                             double *db)                                                     \
    {                                                                                        \
        const T *x = (const T *)xc, *g = (const T *)gc;                                      \
        T *dx = (T *)dc;                                                                     \
        double dm = 0, dnm = 0;                                                              \
        _Pragma("omp simd reduction(+ : dm, dnm)")                                           \
        for (int64_t j = 0; j < N; j++) {                                                    \
            double h = ((double)x[j] - mean) * rstd;                                         \
            double dn = (double)g[j] * (w ? w[j] : 1.0);                                     \
            dm += dn;                                                                        \
            dnm += dn * h;                                                                   \
            if (dw)                                                                          \
                dw[j] += (double)g[j] * h;                                                   \
            if (db)                                                                          \
                db[j] += (double)g[j];                                                       \
        }                                                                                    \
        dm /= (double)N;                                                                     \
        dnm /= (double)N;                                                                    \
        if (!dx)                                                                             \
            return;                                                                          \
        _Pragma("omp simd")                                                                  \
        for (int64_t j = 0; j < N; j++) {                                                    \
            double h = ((double)x[j] - mean) * rstd;                                         \
            double dn = (double)g[j] * (w ? w[j] : 1.0);                                     \
            dx[j] = (T)((dn - dm - h * dnm) * rstd);                                         \
        }                                                                                    \
    }
NN_LN_BWD(float, f32)
NN_LN_BWD(double, f64)

/* Validate a parameter of layer_norm: NULL or float of shape normalized_shape. */
static bool ln_check_param(const char *op, const char *name, const l2_tensor *p, int nn,
                           const int64_t *ns)
{
    if (!p)
        return true;
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
    L2__CHECK(l2__is_float(p->dtype), false, L2_ERR_DTYPE, "%s: %s must be float32 or float64, "
              "got %s", op, name, l2_dtype_name(p->dtype));
    bool same = p->ndim == nn;
    for (int d = 0; same && d < nn; d++)
        same = p->shape[d] == ns[d];
    L2__CHECK(same, false, L2_ERR_SHAPE, "%s: expected %s of shape %s, got %s", op, name,
              l2__shape_str(s1, nn, ns), l2__shape_str(s2, p->ndim, p->shape));
    return true;
}

l2_tensor *l2_layer_norm(const l2_tensor *x, int n_normalized, const int64_t *normalized_shape,
                         const l2_tensor *weight, const l2_tensor *bias, double eps)
{
    L2__HALF_ROUTE(l2_layer_norm(H_[0], n_normalized, normalized_shape, H_[1], H_[2], eps),
                   x, weight, bias);
    const char *op = "layer_norm";
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR], s3[L2__SHAPE_STR];
    L2__CHECK_T(x, NULL, op);
    L2__CHECK(l2__is_float(x->dtype), NULL, L2_ERR_DTYPE,
              "%s: expected a float32 or float64 input, got %s", op, l2_dtype_name(x->dtype));
    L2__CHECK(n_normalized >= 1 && n_normalized <= L2_MAX_DIMS, NULL, L2_ERR_ARG,
              "%s: normalized_shape must have 1..%d dims, got %d", op, L2_MAX_DIMS,
              n_normalized);
    L2__CHECK(normalized_shape, NULL, L2_ERR_NULL, "%s: normalized_shape is NULL", op);
    bool fits = n_normalized <= x->ndim;
    for (int d = 0; fits && d < n_normalized; d++)
        fits = x->shape[x->ndim - n_normalized + d] == normalized_shape[d];
    L2__CHECK(fits, NULL, L2_ERR_SHAPE, "%s: given normalized_shape=%s, expected input with "
              "shape [*, %s, but got input of size %s", op,
              l2__shape_str(s1, n_normalized, normalized_shape),
              l2__shape_str(s2, n_normalized, normalized_shape) + 1,
              l2__shape_str(s3, x->ndim, x->shape));
    if (!ln_check_param(op, "weight", weight, n_normalized, normalized_shape) ||
        !ln_check_param(op, "bias", bias, n_normalized, normalized_shape))
        return NULL;
    int64_t N = l2__numel(n_normalized, normalized_shape), numel = l2__numel(x->ndim, x->shape);
    int64_t M = N ? numel / N : 0;
    bool fail = false;
    l2_tensor *xc = l2__nn_contig(op, x, x->dtype);
    l2_tensor *w = xc ? param64(op, weight, &fail) : NULL;
    l2_tensor *b = xc && !fail ? param64(op, bias, &fail) : NULL;
    double *stats = xc && !fail ? l2__malloc((size_t)(2 * M + 1) * sizeof(double), op) : NULL;
    l2_tensor *y = stats ? l2__new(op, x->ndim, x->shape, x->dtype, false) : NULL;
    if (y) {
        int64_t es = (int64_t)l2__esize(x->dtype);
        const char *xd = l2__data(xc);
        char *yd = l2__data(y);
        const double *wd = data64(w), *bd = data64(b);
        bool f32 = x->dtype == L2_FLOAT32;
        int nt = l2__nn_threads(numel);
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
        for (int64_t r = 0; r < M; r++) {
            if (f32)
                ln_fwd_f32(xd + r * N * es, yd + r * N * es, N, wd, bd, eps, &stats[r],
                           &stats[M + r]);
            else
                ln_fwd_f64(xd + r * N * es, yd + r * N * es, N, wd, bd, eps, &stats[r],
                           &stats[M + r]);
        }
    }
    l2_tensor_release(xc);
    l2_tensor_release(w);
    l2_tensor_release(b);
    l2__node *node = l2__norm_record(L2__OP_LAYER_NORM, &y, x, weight, bias, stats);
    if (node) { /* extra: mean[M], rstd[M] */
        node->i[0] = M;
        node->i[1] = N;
        node->ni = 2;
        node->f[0] = eps; /* create_graph recomputes the statistics (nn-norm-cg.c) */
        stats = NULL;
    }
    l2__free(stats);
    return l2__ret(y);
}

/* The formulas are those of NN_LN_BWD; dw and db are summed over rows in per-chunk float64
 * buffers (one chunk per thread), then added in chunk order. */
l2_status l2__layer_norm_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "layer_norm_backward";
    const l2_tensor *x = n->saved[0], *weight = n->n_saved > 1 ? n->saved[1] : NULL;
    int64_t M = n->i[0], N = n->i[1];
    const double *stats = n->extra;
    bool want_x = l2__nn_wants(n, 0), want_w = l2__nn_wants(n, 1), want_b = l2__nn_wants(n, 2);
    int nt = l2__nn_threads(M * N);
    int nchunks = nt < M ? nt : (M > 0 ? (int)M : 1);
    bool fail = false;
    l2_tensor *xc = l2__nn_contig(op, x, x->dtype);
    l2_tensor *gc = xc ? l2__nn_contig(op, gout, x->dtype) : NULL;
    l2_tensor *w = gc ? param64(op, weight, &fail) : NULL;
    double *acc = gc && !fail && (want_w || want_b)
                      ? l2__calloc((size_t)(2 * nchunks * N + 1) * sizeof(double), op)
                      : NULL;
    l2_tensor *dx = NULL, *dw = NULL, *db = NULL;
    bool ok = gc && !fail && (acc || !(want_w || want_b));
    if (ok && want_x)
        ok = (dx = l2__new(op, x->ndim, x->shape, x->dtype, false)) != NULL;
    if (ok && want_w)
        ok = (dw = l2__new(op, n->in_ndim[1], n->in_shape[1], L2_FLOAT64, false)) != NULL;
    if (ok && want_b)
        ok = (db = l2__new(op, n->in_ndim[2], n->in_shape[2], L2_FLOAT64, false)) != NULL;
    if (ok) {
        int64_t es = (int64_t)l2__esize(x->dtype);
        const char *xd = l2__data(xc), *gd = l2__data(gc);
        char *dd = dx ? l2__data(dx) : NULL;
        const double *wd = data64(w);
        bool f32 = x->dtype == L2_FLOAT32;
#pragma omp parallel for num_threads(nchunks) if (nchunks > 1) schedule(static)
        for (int c = 0; c < nchunks; c++) {
            double *cdw = want_w ? acc + (size_t)c * 2 * N : NULL;
            double *cdb = want_b ? acc + (size_t)c * 2 * N + N : NULL;
            for (int64_t r = l2__part(M, c, nchunks); r < l2__part(M, c + 1, nchunks); r++) {
                char *dp = dd ? dd + r * N * es : NULL;
                if (f32)
                    ln_bwd_f32(xd + r * N * es, gd + r * N * es, dp, N, wd, stats[r],
                               stats[M + r], cdw, cdb);
                else
                    ln_bwd_f64(xd + r * N * es, gd + r * N * es, dp, N, wd, stats[r],
                               stats[M + r], cdw, cdb);
            }
        }
        for (int64_t j = 0; j < N; j++) {
            double sw = 0, sb = 0;
            for (int c = 0; c < nchunks; c++) {
                sw += acc ? acc[(size_t)c * 2 * N + j] : 0;
                sb += acc ? acc[(size_t)c * 2 * N + N + j] : 0;
            }
            if (dw)
                ((double *)l2__data(dw))[j] = sw;
            if (db)
                ((double *)l2__data(db))[j] = sb;
        }
    }
    l2__free(acc);
    l2_tensor_release(w);
    l2_tensor_release(gc);
    l2_tensor_release(xc);
    return l2__nn_give3(ok, dx, dw, db, gin);
}

/* ---- batch_norm ------------------------------------------------------------------------------ */

/* Channel c's mean and biased variance over N x S (contiguous (N, C, S) x), in float64. */
#define NN_BN_STATS(T, SFX)                                                                  \
    L2__NN_HOT                                                                               \
    static void bn_stats_##SFX(const char *xc, int64_t N, int64_t C, int64_t S, int64_t c,   \
                               double *mean, double *var)                                    \
    {                                                                                        \
        const T *x = (const T *)xc;                                                          \
        double m = 0, v = 0; /* by the reductions' vector row sums (float64 lanes) */        \
        for (int64_t b = 0; b < N; b++)                                                      \
            m += l2__vrow_sum_##SFX(x + (b * C + c) * S, S, 0);                              \
        m /= (double)(N * S);                                                                \
        for (int64_t b = 0; b < N; b++)                                                      \
            v += l2__vrow_sqdev_##SFX(x + (b * C + c) * S, S, m);                            \
        *mean = m;                                                                           \
        /* mutation test: the unbiased variance (n - 1) normalises */                      \
        *var = v / (double)(N * S - (N * S > 1 && l2__fault("bn_unbiased")));                \
    }
NN_BN_STATS(float, f32)
NN_BN_STATS(double, f64)

/* Channel c: y = (x - mean) * invstd * w + b. */
#define NN_BN_FWD(T, SFX)                                                                    \
    L2__NN_HOT                                                                               \
    static void bn_fwd_##SFX(const char *xc, char *yc, int64_t N, int64_t C, int64_t S,      \
                             int64_t c, double mean, double invstd, double w, double b)      \
    {                                                                                        \
        const T *x = (const T *)xc;                                                          \
        T *y = (T *)yc;                                                                      \
        for (int64_t n = 0; n < N; n++)                                                      \
            _Pragma("omp simd")                                                              \
            for (int64_t s = 0; s < S; s++) {                                                \
                int64_t i = (n * C + c) * S + s;                                             \
                y[i] = (T)(((double)x[i] - mean) * invstd * w + b);                          \
            }                                                                                \
    }
NN_BN_FWD(float, f32)
NN_BN_FWD(double, f64)

/* Channel c's backward, with xhat = (x - mean) * invstd and K = N * S:
 *   dw = sum(dy * xhat), db = sum(dy)
 *   training: dx = w * invstd / K * (K * dy - db - xhat * dw)
 *   eval:     dx = dy * w * invstd   (the statistics are constants) */
#define NN_BN_BWD(T, SFX)                                                                    \
    L2__NN_HOT                                                                               \
    static void bn_bwd_##SFX(const char *xc, const char *gc, char *dc, int64_t N, int64_t C, \
                             int64_t S, int64_t c, double mean, double invstd, double w,     \
                             bool training, double *dw, double *db)                          \
    {                                                                                        \
        const T *x = (const T *)xc, *g = (const T *)gc;                                      \
        T *dx = (T *)dc;                                                                     \
        double sg = 0, sgh = 0, K = (double)(N * S);                                         \
        for (int64_t n = 0; n < N; n++) {                                                    \
            const T *xr = x + (n * C + c) * S, *gr = g + (n * C + c) * S;                    \
            _Pragma("omp simd reduction(+ : sg, sgh)")                                       \
            for (int64_t s = 0; s < S; s++) {                                                \
                sg += (double)gr[s];                                                         \
                sgh += (double)gr[s] * ((double)xr[s] - mean) * invstd;                      \
            }                                                                                \
        }                                                                                    \
        *dw = sgh;                                                                           \
        *db = sg;                                                                            \
        if (!dx)                                                                             \
            return;                                                                          \
        for (int64_t n = 0; n < N; n++)                                                      \
            _Pragma("omp simd")                                                              \
            for (int64_t s = 0; s < S; s++) {                                                \
                int64_t i = (n * C + c) * S + s;                                             \
                double h = ((double)x[i] - mean) * invstd;                                   \
                dx[i] = (T)(training ? w * invstd / K * (K * (double)g[i] - sg - h * sgh)    \
                                     : (double)g[i] * w * invstd);                           \
            }                                                                                \
    }
NN_BN_BWD(float, f32)
NN_BN_BWD(double, f64)

/* Validate a per-channel tensor of batch_norm: NULL or float of shape (C). */
static bool bn_check_param(const char *op, const char *name, const l2_tensor *p, int64_t C)
{
    if (!p)
        return true;
    char s1[L2__SHAPE_STR];
    L2__CHECK(l2__is_float(p->dtype), false, L2_ERR_DTYPE, "%s: %s must be float32 or float64, "
              "got %s", op, name, l2_dtype_name(p->dtype));
    L2__CHECK(p->ndim == 1 && p->shape[0] == C, false, L2_ERR_SHAPE,
              "%s: expected %s of shape [%lld], got %s", op, name, (long long)C,
              l2__shape_str(s1, p->ndim, p->shape));
    return true;
}

/* running = (1 - momentum) * running + momentum * v, in place, outside autograd. */
static void bn_update(l2_tensor *running, const double *v, double scale, int64_t C,
                      double momentum)
{
    for (int64_t c = 0; c < C; c++) {
        char *p = l2__elem_ptr(running, &c);
        l2__store(p, running->dtype,
                  (1 - momentum) * l2__load(p, running->dtype) + momentum * v[c] * scale);
    }
    l2__bump_version(running);
}

l2_tensor *l2_batch_norm(const l2_tensor *x, l2_tensor *running_mean, l2_tensor *running_var,
                         const l2_tensor *weight, const l2_tensor *bias, bool training,
                         double momentum, double eps)
{
    const char *op = "batch_norm";
    char s1[L2__SHAPE_STR];
    L2__CHECK_T(x, NULL, op);
    L2__CHECK(l2__is_float(x->dtype), NULL, L2_ERR_DTYPE,
              "%s: expected a float32 or float64 input, got %s", op, l2_dtype_name(x->dtype));
    L2__CHECK(x->ndim >= 2, NULL, L2_ERR_DIM, "%s: expected an input of shape (N,C,*) with at "
              "least 2 dims, got %s", op, l2__shape_str(s1, x->ndim, x->shape));
    int64_t N = x->shape[0], C = x->shape[1], S = l2__numel(x->ndim - 2, x->shape + 2);
    L2__CHECK(training || (running_mean && running_var), NULL, L2_ERR_NULL,
              "%s: running_mean and running_var are required in eval mode", op);
    if (!bn_check_param(op, "running_mean", running_mean, C) ||
        !bn_check_param(op, "running_var", running_var, C) ||
        !bn_check_param(op, "weight", weight, C) || !bn_check_param(op, "bias", bias, C))
        return NULL;
    L2__CHECK(!training || N * S > 1, NULL, L2_ERR_ARG, "%s: expected more than 1 value per "
              "channel when training, got input size %s", op,
              l2__shape_str(s1, x->ndim, x->shape));
    bool fail = false;
    l2_tensor *xc = l2__nn_contig(op, x, x->dtype);
    l2_tensor *w = xc ? param64(op, weight, &fail) : NULL;
    l2_tensor *b = xc && !fail ? param64(op, bias, &fail) : NULL;
    double *stats = xc && !fail ? l2__malloc((size_t)(3 * C + 1) * sizeof(double), op) : NULL;
    l2_tensor *y = stats ? l2__new(op, x->ndim, x->shape, x->dtype, false) : NULL;
    if (y) {
        /* stats: mean[C], invstd[C], then the batch variance[C] (training) */
        double *mean = stats, *invstd = stats + C, *var = stats + 2 * C;
        const double *wd = data64(w), *bd = data64(b);
        const char *xd = l2__data(xc);
        char *yd = l2__data(y);
        bool f32 = x->dtype == L2_FLOAT32;
        int nt = l2__nn_threads(N * C * S);
        if (nt > C)
            nt = C > 0 ? (int)C : 1;
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
        for (int64_t c = 0; c < C; c++) {
            if (training) {
                if (f32)
                    bn_stats_f32(xd, N, C, S, c, &mean[c], &var[c]);
                else
                    bn_stats_f64(xd, N, C, S, c, &mean[c], &var[c]);
                invstd[c] = 1 / sqrt(var[c] + eps);
            } else {
                mean[c] = l2__load(l2__elem_ptr(running_mean, &c), running_mean->dtype);
                invstd[c] = 1 / sqrt(l2__load(l2__elem_ptr(running_var, &c),
                                              running_var->dtype) + eps);
            }
            double wc = wd ? wd[c] : 1, bc = bd ? bd[c] : 0;
            if (f32)
                bn_fwd_f32(xd, yd, N, C, S, c, mean[c], invstd[c], wc, bc);
            else
                bn_fwd_f64(xd, yd, N, C, S, c, mean[c], invstd[c], wc, bc);
        }
    }
    l2_tensor_release(xc);
    l2_tensor_release(w);
    l2_tensor_release(b);
    l2__node *node = l2__norm_record(L2__OP_BATCH_NORM, &y, x, weight, bias, stats);
    bool kept = node != NULL; /* stats belongs to the node */
    if (node) {
        node->i[0] = training;
        node->ni = 1;
        node->f[0] = eps; /* create_graph recomputes the statistics (nn-norm-cg.c) */
    }
    /* The running statistics are updated last, once nothing can fail, not even the hand-over to
     * an open scope (stats stays alive: it is freed below, or by the node). */
    y = l2__ret(y);
    if (y && training && running_mean)
        bn_update(running_mean, stats, 1, C, momentum);
    if (y && training && running_var) /* the unbiased variance, as torch */
        bn_update(running_var, stats + 2 * C, (double)(N * S) / (double)(N * S - 1), C,
                  momentum);
    if (!kept)
        l2__free(stats);
    return y;
}

/* The formulas are those of NN_BN_BWD, one channel per iteration. */
l2_status l2__batch_norm_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "batch_norm_backward";
    const l2_tensor *x = n->saved[0], *weight = n->n_saved > 1 ? n->saved[1] : NULL;
    int64_t N = x->shape[0], C = x->shape[1], S = l2__numel(x->ndim - 2, x->shape + 2);
    bool training = n->i[0] != 0;
    const double *mean = n->extra, *invstd = mean + C;
    bool fail = false;
    l2_tensor *xc = l2__nn_contig(op, x, x->dtype);
    l2_tensor *gc = xc ? l2__nn_contig(op, gout, x->dtype) : NULL;
    l2_tensor *w = gc ? param64(op, weight, &fail) : NULL;
    double *acc = gc && !fail ? l2__malloc((size_t)(2 * C + 1) * sizeof(double), op) : NULL;
    l2_tensor *dx = NULL, *dw = NULL, *db = NULL;
    bool ok = acc != NULL;
    if (ok && l2__nn_wants(n, 0))
        ok = (dx = l2__new(op, x->ndim, x->shape, x->dtype, false)) != NULL;
    if (ok && l2__nn_wants(n, 1))
        ok = (dw = l2__new(op, 1, &C, L2_FLOAT64, false)) != NULL;
    if (ok && l2__nn_wants(n, 2))
        ok = (db = l2__new(op, 1, &C, L2_FLOAT64, false)) != NULL;
    if (ok) {
        const double *wd = data64(w);
        const char *xd = l2__data(xc), *gd = l2__data(gc);
        char *dd = dx ? l2__data(dx) : NULL;
        bool f32 = x->dtype == L2_FLOAT32;
        int nt = l2__nn_threads(N * C * S);
        if (nt > C)
            nt = C > 0 ? (int)C : 1;
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
        for (int64_t c = 0; c < C; c++) {
            double wc = wd ? wd[c] : 1;
            if (f32)
                bn_bwd_f32(xd, gd, dd, N, C, S, c, mean[c], invstd[c], wc, training, &acc[c],
                           &acc[C + c]);
            else
                bn_bwd_f64(xd, gd, dd, N, C, S, c, mean[c], invstd[c], wc, training, &acc[c],
                           &acc[C + c]);
        }
        if (dw)
            memcpy(l2__data(dw), acc, (size_t)C * sizeof(double));
        if (db)
            memcpy(l2__data(db), acc + C, (size_t)C * sizeof(double));
    }
    l2__free(acc);
    l2_tensor_release(w);
    l2_tensor_release(gc);
    l2_tensor_release(xc);
    return l2__nn_give3(ok, dx, dw, db, gin);
}
