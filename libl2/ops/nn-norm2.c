/* nn-norm2.c: the norms of issue 14: group_norm (a kernel and a node of its own, serial loops,
 * float64 statistics, its backward below it), instance_norm (group_norm with C groups, or
 * batch_norm in eval mode; it updates its running statistics itself, outside autograd) and
 * local_response_norm (composed of mul, pad, avg_pool2d and elementwise ops, as torch).
 * The arguments are checked first, in torch 1.13's order, so that no inner op fails but for
 * memory. Not here: layer_norm and batch_norm (nn-norm.c).
 *
 * Dimension letters: N batch, C channels, S the product of the spatial dims, G groups. */
#include "nn-impl.h"

static l2_tensor *bump(l2_tensor *t, l2_tensor *prev)
{
    l2_tensor_release(prev);
    return t;
}

/* ---- the group_norm kernel (a node of its own, NativeGroupNormBackward's formulas) -------- */

/* Group r = (n, g) of x: Cg = C / G channels of S positions, D = Cg S contiguous elements from
 * r D. Forward: mean, rstd = 1 / sqrt(var + eps) (biased var), in float64; y = (x - mean) rstd
 * w[c] + b[c]. */
#define NN_GN_FWD(T, SFX)                                                                    \
    static void gn_fwd_##SFX(const T *x, T *y, int64_t Cg, int64_t S, int64_t c0,            \
                             const double *w, const double *b, double eps, double *mean,     \
                             double *rstd)                                                   \
    {                                                                                        \
        int64_t D = Cg * S;                                                                  \
        double m = 0, v = 0;                                                                 \
        for (int64_t j = 0; j < D; j++)                                                      \
            m += (double)x[j];                                                               \
        m /= (double)D;                                                                      \
        for (int64_t j = 0; j < D; j++)                                                      \
            v += ((double)x[j] - m) * ((double)x[j] - m);                                    \
        double rs = 1 / sqrt(v / (double)D + eps);                                           \
        for (int64_t k = 0; k < Cg; k++) {                                                   \
            double wc = w ? w[c0 + k] : 1, bc = b ? b[c0 + k] : 0;                           \
            for (int64_t s = 0; s < S; s++)                                                  \
                y[k * S + s] = (T)(((double)x[k * S + s] - m) * rs * wc + bc);               \
        }                                                                                    \
        *mean = m;                                                                           \
        *rstd = rs;                                                                          \
    }
NN_GN_FWD(float, f32)
NN_GN_FWD(double, f64)

/* Backward of one group: with xhat = (x - mean) rstd and dn = dy w[c],
 *   dx = rstd (dn - mean(dn) - xhat mean(dn xhat))   (means over the group's D elements)
 *   dw[c] += sum_s dy xhat,  db[c] += sum_s dy        (float64 accumulators; NULL: not wanted) */
#define NN_GN_BWD(T, SFX)                                                                    \
    static void gn_bwd_##SFX(const T *x, const T *g, T *dx, int64_t Cg, int64_t S,           \
                             int64_t c0, const double *w, double mean, double rstd,          \
                             double *dw, double *db, double keep)                            \
    {                                                                                        \
        double a = 0, q = 0;                                                                 \
        for (int64_t k = 0; k < Cg; k++) {                                                   \
            double wc = w ? w[c0 + k] : 1, sw = 0, sb = 0;                                   \
            for (int64_t s = 0; s < S; s++) {                                                \
                double h = ((double)x[k * S + s] - mean) * rstd, gv = (double)g[k * S + s];  \
                a += gv * wc;                                                                \
                q += gv * wc * h;                                                            \
                sw += gv * h;                                                                \
                sb += gv;                                                                    \
            }                                                                                \
            if (dw)                                                                          \
                dw[c0 + k] += sw;                                                            \
            if (db)                                                                          \
                db[c0 + k] += sb;                                                            \
        }                                                                                    \
        if (!dx)                                                                             \
            return;                                                                          \
        double D = (double)(Cg * S);                                                         \
        a = a / D * keep; /* keep: 1 (0 under the mutation test: mean(dn) dropped) */        \
        q /= D;                                                                              \
        for (int64_t k = 0; k < Cg; k++) {                                                   \
            double wc = w ? w[c0 + k] : 1;                                                   \
            for (int64_t s = 0; s < S; s++) {                                                \
                double h = ((double)x[k * S + s] - mean) * rstd;                             \
                dx[k * S + s] = (T)(rstd * ((double)g[k * S + s] * wc - a - h * q));         \
            }                                                                                \
        }                                                                                    \
    }
NN_GN_BWD(float, f32)
NN_GN_BWD(double, f64)

/* A float64 contiguous copy of an optional parameter (NULL stays NULL); *fail on out of memory. */
static l2_tensor *param64(const char *op, const l2_tensor *p, bool *fail)
{
    l2_tensor *r = p ? l2__nn_contig(op, p, L2_FLOAT64) : NULL;
    *fail |= p && !r;
    return r;
}

static const double *data64(const l2_tensor *t) { return t ? (const double *)l2__data(t) : NULL; }

/* x (N, C, S...) normalised over each of N * G groups of C / G channels (biased variance),
 * then the per-channel affine, one node (GROUP_NORM) for x, weight and bias. Arguments already
 * checked (x float, G > 0 dividing C, parameters (C) in x's dtype). Serial loops. */
static l2_tensor *group_norm_run(const l2_tensor *x, int64_t G, const l2_tensor *weight,
                                 const l2_tensor *bias, double eps)
{
    const char *op = "group_norm";
    int64_t N = x->shape[0], C = x->shape[1], S = l2__numel(x->ndim - 2, x->shape + 2);
    int64_t Cg = C / G, R = N * G, D = Cg * S;
    bool fail = false;
    l2_tensor *xc = l2__nn_contig(op, x, x->dtype);
    l2_tensor *w = xc ? param64(op, weight, &fail) : NULL;
    l2_tensor *b = xc && !fail ? param64(op, bias, &fail) : NULL;
    double *stats = xc && !fail ? l2__malloc((size_t)(2 * R + 1) * sizeof(double), op) : NULL;
    l2_tensor *y = stats ? l2__new(op, x->ndim, x->shape, x->dtype, false) : NULL;
    for (int64_t r = 0; y && r < R; r++) {
        int64_t c0 = (r % G) * Cg;
        if (x->dtype == L2_FLOAT32)
            gn_fwd_f32((const float *)l2__data(xc) + r * D, (float *)l2__data(y) + r * D, Cg, S,
                       c0, data64(w), data64(b), eps, &stats[r], &stats[R + r]);
        else
            gn_fwd_f64((const double *)l2__data(xc) + r * D, (double *)l2__data(y) + r * D, Cg,
                       S, c0, data64(w), data64(b), eps, &stats[r], &stats[R + r]);
    }
    l2_tensor_release(xc);
    l2_tensor_release(w);
    l2_tensor_release(b);
    l2__node *node = l2__norm_record(L2__OP_GROUP_NORM, &y, x, weight, bias, stats);
    if (node) { /* extra: mean[R], rstd[R] */
        node->i[0] = G;
        node->ni = 1;
        node->f[0] = eps; /* create_graph recomputes the statistics (nn-norm-cg.c) */
        stats = NULL;
    }
    l2__free(stats);
    return y;
}

/* The formulas of NN_GN_BWD, group by group; dw and db summed in float64. */
l2_status l2__group_norm_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "group_norm_backward";
    const l2_tensor *x = n->saved[0], *weight = n->n_saved > 1 ? n->saved[1] : NULL;
    int64_t G = n->i[0], N = x->shape[0], C = x->shape[1];
    int64_t S = l2__numel(x->ndim - 2, x->shape + 2), Cg = C / G, R = N * G, D = Cg * S;
    const double *stats = n->extra;
    bool want_x = l2__nn_wants(n, 0), want_w = l2__nn_wants(n, 1), want_b = l2__nn_wants(n, 2);
    bool fail = false;
    l2_tensor *xc = l2__nn_contig(op, x, x->dtype);
    l2_tensor *gc = xc ? l2__nn_contig(op, gout, x->dtype) : NULL;
    l2_tensor *w = gc ? param64(op, weight, &fail) : NULL;
    l2_tensor *dx = NULL, *dw = NULL, *db = NULL;
    bool ok = gc && !fail;
    if (ok && want_x)
        ok = (dx = l2__new(op, x->ndim, x->shape, x->dtype, false)) != NULL;
    if (ok && want_w)
        ok = (dw = l2__new(op, 1, &C, L2_FLOAT64, true)) != NULL;
    if (ok && want_b)
        ok = (db = l2__new(op, 1, &C, L2_FLOAT64, true)) != NULL;
    double keep = l2__fault("gn_mean") ? 0 : 1;
    for (int64_t r = 0; ok && r < R; r++) {
        int64_t c0 = (r % G) * Cg;
        double *pw = dw ? (double *)l2__data(dw) : NULL, *pb = db ? (double *)l2__data(db) : NULL;
        if (x->dtype == L2_FLOAT32)
            gn_bwd_f32((const float *)l2__data(xc) + r * D, (const float *)l2__data(gc) + r * D,
                       dx ? (float *)l2__data(dx) + r * D : NULL, Cg, S, c0, data64(w),
                       stats[r], stats[R + r], pw, pb, keep);
        else
            gn_bwd_f64((const double *)l2__data(xc) + r * D,
                       (const double *)l2__data(gc) + r * D,
                       dx ? (double *)l2__data(dx) + r * D : NULL, Cg, S, c0, data64(w),
                       stats[r], stats[R + r], pw, pb, keep);
    }
    l2_tensor_release(w);
    l2_tensor_release(gc);
    l2_tensor_release(xc);
    return l2__nn_give3(ok, dx, dw, db, gin);
}

/* A per-channel parameter of group_norm / instance_norm: NULL, or 1-d of C elements
 * (L2_ERR_SHAPE) in x's dtype (checked with the dtypes, last). */
static bool param_shape(const char *op, const char *name, const l2_tensor *p, int64_t C,
                        const l2_tensor *x, bool torch_gn)
{
    if (!p || (p->ndim == 1 && p->shape[0] == C))
        return true;
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
    if (torch_gn)
        l2__fail(L2_ERR_SHAPE, "%s: Expected %s to be a vector of size equal to the number of "
                 "channels in input, but got %s of shape %s and input of shape %s", op, name,
                 name, l2__shape_str(s1, p->ndim, p->shape), l2__shape_str(s2, x->ndim, x->shape));
    else
        l2__fail(L2_ERR_SHAPE, "%s: %s should be a vector of %lld elements (the channels), "
                 "got shape %s", op, name, (long long)C, l2__shape_str(s1, p->ndim, p->shape));
    return false;
}

static bool param_dtype(const char *op, const char *name, const l2_tensor *p, l2_dtype dt)
{
    L2__CHECK(!p || p->dtype == dt, false, L2_ERR_DTYPE, "%s: expected scalar type %s but found "
              "%s (%s)", op, l2_dtype_name(dt), l2_dtype_name(p->dtype), name);
    return true;
}

/* ---- group_norm -------------------------------------------------------------------------- */

l2_tensor *l2_group_norm(const l2_tensor *x, int64_t num_groups, const l2_tensor *weight,
                         const l2_tensor *bias, double eps)
{
    const char *op = "group_norm";
    char s1[L2__SHAPE_STR];
    L2__CHECK_T(x, NULL, op);
    int64_t G = num_groups;
    L2__CHECK(x->ndim >= 2, NULL, L2_ERR_DIM, "%s: Dimension out of range: the input of shape "
              "%s has no channel dim 1", op, l2__shape_str(s1, x->ndim, x->shape));
    L2__CHECK(G != 0, NULL, L2_ERR_ARG, "%s: integer division or modulo by zero (num_groups "
              "0)", op);
    int64_t N = x->shape[0], C = x->shape[1], S = l2__numel(x->ndim - 2, x->shape + 2);
    /* torch's batch-size check: (N C // G) * S == 1 (Python's floor division; N C >= 0 and
     * beyond int64 only when S == 0) */
    int64_t NC, q = 0;
    if (!l2__mul_ovf(N, C, &NC) && G != INT64_MIN)
        q = NC / G - (NC % G != 0 && G < 0);
    L2__CHECK(!(q == 1 && S == 1), NULL, L2_ERR_SHAPE, "%s: Expected more than 1 value per "
              "channel when training, got input size %s", op,
              l2__shape_str(s1, x->ndim, x->shape));
    L2__CHECK(C % G == 0, NULL, L2_ERR_SHAPE, "%s: Expected number of channels in input to be "
              "divisible by num_groups, but got input of shape %s and num_groups=%lld", op,
              l2__shape_str(s1, x->ndim, x->shape), (long long)G);
    if (!param_shape(op, "weight", weight, C, x, true) ||
        !param_shape(op, "bias", bias, C, x, true))
        return NULL;
    L2__CHECK(G > 0, NULL, L2_ERR_ARG, "%s: Expected num groups to be greater than 0, got %lld",
              op, (long long)G);
    L2__CHECK(l2__is_float(x->dtype), NULL, L2_ERR_DTYPE, "%s: \"GroupNormKernelImpl\" not "
              "implemented for '%s'", op, l2_dtype_name(x->dtype));
    if (!param_dtype(op, "weight", weight, x->dtype) || !param_dtype(op, "bias", bias, x->dtype))
        return NULL;
    return l2__ret(group_norm_run(x, G, weight, bias, eps));
}

/* ---- instance_norm ----------------------------------------------------------------------- */

/* running = (1 - m) running + m mean_n(v[n][c]) for c < C (v: N x C float64), in place, outside
 * autograd; scale multiplies v (the unbiased variance's S / (S - 1)). */
static void in_update(l2_tensor *running, const double *v, int64_t N, int64_t C, double scale,
                      double m)
{
    for (int64_t c = 0; c < C; c++) {
        double s = 0;
        for (int64_t n = 0; n < N; n++)
            s += v[n * C + c];
        char *p = l2__elem_ptr(running, &c);
        l2__store(p, running->dtype,
                  (1 - m) * l2__load(p, running->dtype) + m * (s / (double)N) * scale);
    }
    l2__bump_version(running);
}

/* The mean and biased variance of each of the N * C rows of S elements of contiguous x. */
static void row_stats(const l2_tensor *x, int64_t R, int64_t S, double *mean, double *var)
{
    L2__DISPATCH_FLOAT(x->dtype, {
        const T *p = (const T *)l2__data(x);
        for (int64_t r = 0; r < R; r++) {
            const T *row = p + r * S;
            double s = 0;
            double q = 0;
            for (int64_t j = 0; j < S; j++)
                s += (double)row[j];
            double m = s / (double)S;
            for (int64_t j = 0; j < S; j++)
                q += ((double)row[j] - m) * ((double)row[j] - m);
            mean[r] = m;
            var[r] = q / (double)S;
        }
    });
}

l2_tensor *l2_instance_norm(const l2_tensor *x, l2_tensor *running_mean, l2_tensor *running_var,
                            const l2_tensor *weight, const l2_tensor *bias, bool use_input_stats,
                            double momentum, double eps)
{
    const char *op = "instance_norm";
    char s1[L2__SHAPE_STR];
    L2__CHECK_T(x, NULL, op);
    int64_t S = x->ndim >= 2 ? l2__numel(x->ndim - 2, x->shape + 2) : 1;
    L2__CHECK(!use_input_stats || S != 1, NULL, L2_ERR_SHAPE, "%s: Expected more than 1 spatial "
              "element when training, got input size %s", op,
              l2__shape_str(s1, x->ndim, x->shape));
    L2__CHECK(use_input_stats || (running_mean && running_var), NULL, L2_ERR_NULL,
              "%s: Expected running_mean and running_var to be defined when use_input_stats is "
              "false", op);
    L2__CHECK(x->ndim >= 2, NULL, L2_ERR_DIM, "%s: Dimension out of range: the input of shape "
              "%s has no channel dim 1", op, l2__shape_str(s1, x->ndim, x->shape));
    int64_t N = x->shape[0], C = x->shape[1];
    if (!param_shape(op, "weight", weight, C, x, false) ||
        !param_shape(op, "bias", bias, C, x, false) ||
        !param_shape(op, "running_mean", running_mean, C, x, false) ||
        !param_shape(op, "running_var", running_var, C, x, false))
        return NULL;
    L2__CHECK(l2__is_float(x->dtype), NULL, L2_ERR_DTYPE, "%s: \"batch_norm\" not implemented "
              "for '%s'", op, l2_dtype_name(x->dtype));
    if (!param_dtype(op, "weight", weight, x->dtype) || !param_dtype(op, "bias", bias, x->dtype) ||
        !param_dtype(op, "running_mean", running_mean, x->dtype) ||
        !param_dtype(op, "running_var", running_var, x->dtype))
        return NULL;
    if (!use_input_stats) { /* the running statistics normalise: batch_norm in eval mode */
        l2__enter();
        l2_tensor *y = l2_batch_norm(x, running_mean, running_var, weight, bias, false,
                                     momentum, eps);
        l2__leave();
        return l2__ret(y);
    }
    int64_t R = N * C;
    bool update = (running_mean || running_var) && R * S > 0;
    double *st = NULL;
    if (update) { /* the statistics of each instance, for the running statistics */
        l2_tensor *xc = l2__nn_contig(op, x, x->dtype);
        st = xc ? l2__malloc((size_t)(2 * R) * sizeof(double), op) : NULL;
        if (st)
            row_stats(xc, R, S, st, st + R);
        l2_tensor_release(xc);
        if (!st)
            return NULL;
    }
    l2_tensor *y = C > 0 ? group_norm_run(x, C, weight, bias, eps) : NULL;
    if (C == 0) { /* no channel: an empty result (no group to form) */
        l2__enter();
        y = l2_mul_scalar(x, 1);
        l2__leave();
    }
    /* the running statistics last, once nothing can fail (as batch_norm) */
    y = l2__ret(y);
    if (y && update && running_mean)
        in_update(running_mean, st, N, C, 1, momentum);
    if (y && update && running_var)
        in_update(running_var, st + R, N, C, (double)S / (double)(S - 1), momentum);
    l2__free(st);
    return y;
}

/* ---- local_response_norm ----------------------------------------------------------------- */

l2_tensor *l2_local_response_norm(const l2_tensor *x, int64_t size, double alpha, double beta,
                                  double k)
{
    const char *op = "local_response_norm";
    L2__CHECK_T(x, NULL, op);
    L2__CHECK(x->ndim >= 3, NULL, L2_ERR_SHAPE, "%s: Expected 3D or higher dimensionality input "
              "(got %d dimensions)", op, x->ndim);
    L2__CHECK(l2__is_float(x->dtype), NULL, L2_ERR_DTYPE, "%s: expected a float32 or float64 "
              "input, got %s (libl2's pooling is float only)", op, l2_dtype_name(x->dtype));
    int64_t numel = l2__numel(x->ndim, x->shape);
    if (numel == 0) /* torch returns the input itself */
        return l2__ret(l2_tensor_ref((l2_tensor *)x));
    L2__CHECK(size > 0, NULL, L2_ERR_ARG, "%s: kernel size should be greater than zero, but got "
              "kH: %lld kW: 1", op, (long long)size);
    int64_t N = x->shape[0], C = x->shape[1];
    /* div = avg over a window of size channels of x^2, zero-padded by size / 2 before and
     * (size - 1) / 2 after: x^2 viewed as (N, 1, C, S), padded, avg_pool2d over (size, 1) */
    int64_t v4[4] = {N, 1, C, numel / (N * C)};
    int64_t pad[4] = {0, 0, size / 2, (size - 1) / 2};
    const int64_t kern[2] = {size, 1}, one[2] = {1, 1}, zero[2] = {0, 0};
    l2__enter();
    l2_tensor *sq = l2_mul(x, x);
    l2_tensor *d = sq ? l2_reshape(sq, 4, v4) : NULL;
    d = d ? bump(l2_pad(d, 4, pad, 0), d) : NULL;
    d = d ? bump(l2_avg_pool2d(d, kern, one, zero), d) : NULL;
    d = d ? bump(l2_reshape(d, x->ndim, x->shape), d) : NULL;
    d = d ? bump(l2_mul_scalar(d, alpha), d) : NULL;
    d = d ? bump(l2_add_scalar(d, k), d) : NULL;
    d = d ? bump(l2_pow_scalar(d, beta), d) : NULL;
    l2_tensor *y = d ? l2_div(x, d) : NULL;
    l2_tensor_release(d);
    l2_tensor_release(sq);
    l2__leave();
    return l2__ret(y);
}
