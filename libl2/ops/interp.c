/* interp.c: 2-d interpolation (torch.nn.functional.interpolate on (N, C, H, W)): nearest,
 * nearest-exact, bilinear and bicubic, from an output size or a scale factor, and its backward
 * (the adjoint: each output's gradient spread over the input cells it read, with the same
 * weights). The index and weight rules are torch 1.13's, float32 index arithmetic of the
 * nearest modes included, so that the same cells are picked. */
#include "../autograd-impl.h"

#include <math.h>
#include <string.h>

/* One spatial axis: input size, output size, the user's scale factor (0: none). */
typedef struct {
    int64_t in, out;
    double scale;
} axis;

/* torch's area_pixel_compute_scale: the input step per output step. */
static double lin_scale(const axis *a, bool align)
{
    if (align)
        return a->out > 1 ? (double)(a->in - 1) / (double)(a->out - 1) : 0.0;
    return a->scale > 0 ? 1.0 / a->scale : (double)a->in / (double)a->out;
}

/* torch's area_pixel_compute_source_index: the real input coordinate of output index i, in the
 * input's precision (float32 inputs: float32 arithmetic, fused as torch's build fuses it), so
 * that both libraries pick the same cells where the coordinate is near an integer. */
static double lin_source(double s, int64_t i, bool align, bool cubic, bool f32)
{
    if (f32) {
        float sf = (float)s;
        if (align)
            return (double)(sf * (float)i);
        float r = fmaf(sf, (float)i + 0.5f, -0.5f);
        return (!cubic && r < 0) ? 0.0 : (double)r;
    }
    if (align)
        return s * (double)i;
    double r = fma(s, (double)i + 0.5, -0.5);
    return (!cubic && r < 0) ? 0.0 : r;
}

/* torch's float32 scale: (float)(in - 1) / (out - 1), 1 / scale rounded, or (float)in / out. */
static double lin_scale_f32(const axis *a, bool align)
{
    if (align)
        return a->out > 1 ? (double)((float)(a->in - 1) / (float)(a->out - 1)) : 0.0;
    return a->scale > 0 ? (double)(float)(1.0 / a->scale) : (double)((float)a->in / (float)a->out);
}

/* The nearest modes' input index of output index i (torch computes the scale and the product
 * in float32). A given scale factor is used even where the sizes make the step 1 or 1/2, as in
 * torch's kernel for several planes (its one-plane kernel and its backward copy or halve). */
static int64_t near_source(const axis *a, int64_t i, bool exact)
{
    float s = a->scale > 0 ? (float)(1.0 / a->scale) : (float)a->in / (float)a->out;
    float v = exact ? (float)(((double)i + 0.5) * (double)s) : (float)i * s;
    int64_t k = (int64_t)floorf(v);
    return k < a->in - 1 ? k : a->in - 1;
}

/* Up to four taps of one axis for output index i: input indices and weights. */
typedef struct {
    int n;
    int64_t idx[4];
    double w[4];
} taps;

static double cubic1(double x, double A) { return ((A + 2) * x - (A + 3)) * x * x + 1; }
static double cubic2(double x, double A) { return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; }

/* The taps of output index i along axis a. same: the axis keeps its size. Bilinear then copies
 * it whatever the scale factor (torch's rule), reading cell i with weight 1 and again with
 * weight 0, so that an infinity there still gives NaN, as torch's; bicubic copies it (one
 * tap) when its step is exactly 1, and otherwise reads all four taps, zero weights included
 * (torch's NaN next to an infinity). */
static taps axis_taps(const axis *a, l2_interp_mode mode, bool align, bool same, bool f32,
                      int64_t i)
{
    taps t = {0};
    if (same && mode == L2_INTERP_BILINEAR) {
        t.n = 2;
        t.idx[0] = t.idx[1] = i;
        t.w[0] = 1;
        return t;
    }
    if (mode == L2_INTERP_NEAREST || mode == L2_INTERP_NEAREST_EXACT) {
        t.n = 1;
        t.idx[0] = near_source(a, i, mode == L2_INTERP_NEAREST_EXACT);
        t.w[0] = 1;
        return t;
    }
    double s = f32 ? lin_scale_f32(a, align) : lin_scale(a, align);
    if (mode == L2_INTERP_BILINEAR) {
        double r = lin_source(s, i, align, false, f32);
        int64_t k = (int64_t)r;
        int64_t step = k < a->in - 1 ? 1 : 0;
        double l1 = f32 ? (double)((float)r - (float)k) : r - (double)k;
        t.n = 2;
        t.idx[0] = k;
        t.idx[1] = k + step;
        t.w[0] = 1 - l1;
        t.w[1] = l1;
        return t;
    }
    /* bicubic, A = -0.75, taps clamped to the edge */
    double r = lin_source(s, i, align, true, f32), f = floor(r), x = r - f, A = -0.75;
    t.n = 4;
    t.w[0] = cubic2(x + 1, A);
    t.w[1] = cubic1(x, A);
    t.w[2] = cubic1(1 - x, A);
    t.w[3] = cubic2((1 - x) + 1, A); /* torch's rounding: (1 - t) + 1, not 2 - t */
    if (same && s == 1.0) {
        t.n = 1;
        t.idx[0] = i;
        t.w[0] = 1;
        return t;
    }
    for (int j = 0; j < 4; j++) {
        int64_t k = (int64_t)f - 1 + j;
        t.idx[j] = k < 0 ? 0 : k >= a->in ? a->in - 1 : k;
    }
    return t;
}

/* The taps of every output row and column (rows first), or NULL on out-of-memory. */
static taps *all_taps(const char *op, const axis *ax, l2_interp_mode mode, bool align, bool f32)
{
    int64_t n = ax[0].out + ax[1].out;
    taps *t = l2__malloc((size_t)n * sizeof *t, op);
    if (!t)
        return NULL;
    bool same0 = ax[0].in == ax[0].out, same1 = ax[1].in == ax[1].out;
    for (int64_t i = 0; i < ax[0].out; i++)
        t[i] = axis_taps(&ax[0], mode, align, same0, f32, i);
    for (int64_t j = 0; j < ax[1].out; j++)
        t[ax[0].out + j] = axis_taps(&ax[1], mode, align, same1, f32, j);
    return t;
}

/* Forward (y = interp(x)) or backward (dx += adjoint(dy)) over planes of contiguous data. The
 * sums run in double; each output (forward) or plane (backward) is one thread's, so the result
 * does not depend on the thread count. */
#define L2__INTERP(SUF, T)                                                                   \
    static void interp_##SUF(const T *in, T *out, int64_t planes, const axis *ax,            \
                             const taps *tp, bool bwd)                                       \
    {                                                                                        \
        int64_t H = ax[0].in, W = ax[1].in, P = ax[0].out, Q = ax[1].out;                    \
        const taps *rows = tp, *cols = tp + P;                                               \
        for (int64_t p = 0; p < planes; p++) {                                               \
            const T *src = bwd ? in + p * P * Q : in + p * H * W;                            \
            T *dst = bwd ? out + p * H * W : out + p * P * Q;                                \
            for (int64_t i = 0; i < P; i++)                                                  \
                for (int64_t j = 0; j < Q; j++) {                                            \
                    const taps *r = &rows[i], *c = &cols[j];                                 \
                    if (bwd) {                                                               \
                        double g = (double)src[i * Q + j];                                   \
                        for (int a = 0; a < r->n; a++)                                       \
                            for (int b = 0; b < c->n; b++)                                   \
                                dst[r->idx[a] * W + c->idx[b]] +=                            \
                                    (T)(g * r->w[a] * c->w[b]);                              \
                        continue;                                                            \
                    }                                                                        \
                    double acc = 0;                                                          \
                    for (int a = 0; a < r->n; a++) {                                         \
                        double rowacc = 0;                                                   \
                        for (int b = 0; b < c->n; b++)                                       \
                            rowacc += c->w[b] * (double)src[r->idx[a] * W + c->idx[b]];      \
                        acc += r->w[a] * rowacc;                                             \
                    }                                                                        \
                    dst[i * Q + j] = (T)acc;                                                 \
                }                                                                            \
        }                                                                                    \
    }

L2__INTERP(f32, float)
L2__INTERP(f64, double)

static void run_interp(l2_dtype dt, const char *in, char *out, int64_t planes, const axis *ax,
                       const taps *tp, bool bwd)
{
    if (dt == L2_FLOAT32)
        interp_f32((const float *)in, (float *)out, planes, ax, tp, bwd);
    else
        interp_f64((const double *)in, (double *)out, planes, ax, tp, bwd);
}

static const char *mode_name(l2_interp_mode m)
{
    switch (m) {
    case L2_INTERP_NEAREST: return "nearest";
    case L2_INTERP_NEAREST_EXACT: return "nearest-exact";
    case L2_INTERP_BILINEAR: return "bilinear";
    default: return "bicubic";
    }
}

/* The output size of one axis from a scale factor: floor(in * scale), as torch; -1 (error set)
 * when that is not a finite int64. */
static int64_t scaled_size(const char *op, int64_t in, double scale)
{
    double v = floor((double)in * scale);
    L2__CHECK(isfinite(scale) && v < 9.2e18, -1, L2_ERR_OVERFLOW, "%s: scale factor %g gives "
              "an output size that is not a finite int64", op, scale);
    return (int64_t)(v > -1 ? v : -1);
}

l2_tensor *l2_interpolate(const l2_tensor *x, const int64_t size[2], const double scale_factor[2],
                          l2_interp_mode mode, bool align_corners)
{
    const char *op = "interpolate";
    char sh[L2__SHAPE_STR];
    L2__CHECK_T(x, NULL, op);
    L2__CHECK(mode >= L2_INTERP_NEAREST && mode <= L2_INTERP_BICUBIC, NULL, L2_ERR_ARG,
              "%s: unknown mode %d", op, (int)mode);
    L2__CHECK(l2__is_float(x->dtype), NULL, L2_ERR_DTYPE, "%s: expected a float32 or float64 "
              "input, got %s", op, l2_dtype_name(x->dtype));
    L2__CHECK(x->ndim == 4, NULL, L2_ERR_SHAPE, "%s: expected a 4-d input (N, C, H, W), got "
              "input of size %s (1-d and 3-d interpolation are not provided)", op,
              l2__shape_str(sh, x->ndim, x->shape));
    L2__CHECK((size == NULL) != (scale_factor == NULL), NULL, L2_ERR_ARG, "%s: %s", op,
              size ? "only one of size or scale_factor should be defined"
                   : "either size or scale_factor should be defined");
    bool nearest = mode == L2_INTERP_NEAREST || mode == L2_INTERP_NEAREST_EXACT;
    L2__CHECK(!(nearest && align_corners), NULL, L2_ERR_ARG, "%s: align_corners option can only "
              "be set with the interpolating modes: linear | bilinear | bicubic | trilinear "
              "(mode %s)", op, mode_name(mode));
    axis ax[2];
    for (int d = 0; d < 2; d++) {
        ax[d].in = x->shape[2 + d];
        ax[d].scale = scale_factor ? scale_factor[d] : 0;
        ax[d].out = size ? size[d] : scaled_size(op, ax[d].in, scale_factor[d]);
        if (ax[d].out == -1 && scale_factor && l2_last_status() == L2_ERR_OVERFLOW)
            return NULL;
    }
    L2__CHECK(ax[0].in > 0 && ax[1].in > 0 && ax[0].out > 0 && ax[1].out > 0, NULL,
              L2_ERR_SHAPE, "%s: input and output sizes should be greater than 0, but got input "
              "(H: %lld, W: %lld) output (H: %lld, W: %lld)", op, (long long)ax[0].in,
              (long long)ax[1].in, (long long)ax[0].out, (long long)ax[1].out);
    int64_t shape[4] = {x->shape[0], x->shape[1], ax[0].out, ax[1].out}, tapn;
    L2__CHECK(!l2__add_ovf(ax[0].out, ax[1].out, &tapn) &&
                  !l2__mul_ovf(tapn, (int64_t)sizeof(taps), &tapn),
              NULL, L2_ERR_OVERFLOW, "%s: output size (%lld, %lld) overflows", op,
              (long long)ax[0].out, (long long)ax[1].out);
    if (!l2__check_shape(op, 4, shape, x->dtype, NULL))
        return NULL;
    l2_tensor *xc = l2__convert(op, x, x->dtype, true);
    l2_tensor *r = xc ? l2__new(op, 4, shape, x->dtype, false) : NULL;
    taps *tp = r ? all_taps(op, ax, mode, align_corners, x->dtype == L2_FLOAT32) : NULL;
    if (!tp) {
        l2_tensor_release(xc);
        l2_tensor_release(r);
        return NULL;
    }
    run_interp(x->dtype, l2__data(xc), l2__data(r), x->shape[0] * x->shape[1], ax, tp, false);
    l2__free(tp);
    l2_tensor_release(xc);
    if (l2__needs_grad(1, &x)) {
        l2__node *node = l2__record(L2__OP_UPSAMPLE2D, r, 1, &x);
        if (!node) {
            l2_tensor_release(r);
            return NULL;
        }
        node->i[0] = mode;
        node->i[1] = align_corners;
        node->ni = 2;
        node->f[0] = ax[0].scale;
        node->f[1] = ax[1].scale;
    }
    return l2__ret(r);
}

/* dx = the adjoint of the interpolation applied to dy (zeros, then each output's gradient added
 * to the cells it read, with its weights). */
l2_status l2__upsample2d_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "interpolate";
    axis ax[2];
    for (int d = 0; d < 2; d++)
        ax[d] = (axis){n->in_shape[0][2 + d], n->out_shape[2 + d], n->f[d]};
    l2_tensor *dy = l2__convert(op, gout, gout->dtype, true);
    l2_tensor *dx = dy ? l2__new(op, 4, n->in_shape[0], gout->dtype, true) : NULL;
    taps *tp = dx ? all_taps(op, ax, (l2_interp_mode)n->i[0], n->i[1] != 0,
                             gout->dtype == L2_FLOAT32)
                  : NULL;
    if (!tp) {
        l2_tensor_release(dy);
        l2_tensor_release(dx);
        return l2_last_status();
    }
    run_interp(dx->dtype, l2__data(dy), l2__data(dx), n->in_shape[0][0] * n->in_shape[0][1], ax,
               tp, true);
    l2__free(tp);
    l2_tensor_release(dy);
    gin[0] = dx;
    return L2_OK;
}

/* The (out x in) matrix of one axis's taps tp (one per output), weights added where
 * taps repeat an index (bicubic at the borders). New tensor or NULL. */
static l2_tensor *axis_matrix(const axis *a, const taps *tp, l2_dtype dt)
{
    l2_tensor *m = l2_zeros(2, (int64_t[]){a->out, a->in}, L2_FLOAT64);
    if (!m)
        return NULL;
    double *p = (double *)l2__data(m);
    for (int64_t i = 0; i < a->out; i++)
        for (int j = 0; j < tp[i].n; j++)
            p[i * a->in + tp[i].idx[j]] += tp[i].w[j];
    if (dt == L2_FLOAT64)
        return m;
    l2_tensor *r = l2_to_dtype(m, dt);
    l2_tensor_release(m);
    return r;
}

/* create_graph (issue 15): the backward is linear in dy with constant weights, so with the
 * axes' tap matrices Mh (OH x IH) and Mw (OW x IW), dx = Mh^T dy Mw as recorded matmuls: its
 * derivative in dy is the interpolation itself (torch 1.13's double backward: upsample of the
 * gradient), in x zero. The matrices take O(out in) memory per axis. */
l2_status l2__upsample2d_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "interpolate";
    axis ax[2];
    for (int d = 0; d < 2; d++)
        ax[d] = (axis){n->in_shape[0][2 + d], n->out_shape[2 + d], n->f[d]};
    taps *tp = all_taps(op, ax, (l2_interp_mode)n->i[0], n->i[1] != 0,
                        gout->dtype == L2_FLOAT32);
    if (!tp)
        return l2_last_status();
    l2_tensor *mh = axis_matrix(&ax[0], tp, gout->dtype);
    l2_tensor *mw = mh ? axis_matrix(&ax[1], tp + ax[0].out, gout->dtype) : NULL;
    l2__free(tp);
    l2_tensor *mt = mw ? l2_transpose(mh, 0, 1) : NULL;
    l2_tensor *t = mt ? l2_matmul(gout, mw) : NULL;
    gin[0] = t ? l2_matmul(mt, t) : NULL;
    l2_tensor_release(mh);
    l2_tensor_release(mw);
    l2_tensor_release(mt);
    l2_tensor_release(t);
    return gin[0] ? L2_OK : l2_last_status();
}
