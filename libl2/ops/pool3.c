/* pool3.c: the 3-d pools (issue 14, conv3): max_pool3d with dilation, ceil_mode and indices
 * (l2_max_pool3d) and avg_pool3d with ceil_mode, count_include_pad and divisor_override
 * (l2_avg_pool3d), each with its backward below it. Float32 and float64, NCDHW or unbatched
 * CDHW; plain loops (one thread) with torch 1.13's CPU kernels' window, tie and divisor rules.
 * Letters: N batch, C channels, D,H,W input size, T,P,Q output size. */
#include "conv-impl.h"

#include <math.h>
#include <string.h>

/* Geometry of a 3-d window over one (D, H, W) plane; axis 0 is depth. */
typedef struct {
    int64_t in[3], k[3], s[3], p[3], d[3], out[3];
} win3;

/* Validate a 3-d pooling call (torch's pool3d_shape_check order) and fill its window. dilation
 * NULL means 1; avg adds avg_pool3d's check that the input is at least the kernel (torch checks
 * it for avg_pool3d only, padding aside). *planes gets N C. */
static bool pool3_setup(const char *op, const l2_tensor *x, const int64_t kernel[3],
                        const int64_t stride[3], const int64_t padding[3],
                        const int64_t dilation[3], bool ceil, bool avg, win3 *g,
                        int64_t *planes)
{
    char sh[L2__SHAPE_STR];
    L2__CHECK_T(x, false, op);
    L2__CHECK(kernel, false, L2_ERR_NULL, "%s: argument 'kernel' is NULL", op);
    L2__CHECK(l2__is_float(x->dtype), false, L2_ERR_DTYPE, "%s: expected a float32 or float64 "
              "input, got %s", op, l2_dtype_name(x->dtype));
    for (int i = 0; i < 3; i++) {
        g->k[i] = kernel[i];
        g->s[i] = stride ? stride[i] : kernel[i];
        g->p[i] = padding ? padding[i] : 0;
        g->d[i] = dilation ? dilation[i] : 1;
    }
    L2__CHECK(g->k[0] > 0 && g->k[1] > 0 && g->k[2] > 0, false, L2_ERR_ARG, "%s: kernel size "
              "should be greater than zero, but got kT: %lld kH: %lld kW: %lld", op,
              (long long)g->k[0], (long long)g->k[1], (long long)g->k[2]);
    L2__CHECK(g->s[0] > 0 && g->s[1] > 0 && g->s[2] > 0, false, L2_ERR_ARG, "%s: stride should "
              "be greater than zero, but got dT: %lld dH: %lld dW: %lld", op,
              (long long)g->s[0], (long long)g->s[1], (long long)g->s[2]);
    L2__CHECK(g->d[0] > 0 && g->d[1] > 0 && g->d[2] > 0, false, L2_ERR_ARG, "%s: dilation "
              "should be greater than zero, but got dilationT: %lld dilationH: %lld dilationW: "
              "%lld", op, (long long)g->d[0], (long long)g->d[1], (long long)g->d[2]);
    L2__CHECK(x->ndim == 4 || x->ndim == 5, false, L2_ERR_SHAPE, "%s: Expected 4D or 5D tensor "
              "for input, but got: %s", op, l2__shape_str(sh, x->ndim, x->shape));
    int b = x->ndim - 4;
    for (int i = b; i < x->ndim; i++)
        L2__CHECK(x->shape[i] > 0, false, L2_ERR_SHAPE, "%s: Expected input's non-batch "
                  "dimensions to have positive length, but input has a shape of %s and "
                  "non-batch dimension %lld has length zero!", op,
                  l2__shape_str(sh, x->ndim, x->shape), (long long)x->shape[i]);
    const int64_t *in = x->shape + b + 1;
    L2__CHECK(!avg || (in[0] >= g->k[0] && in[1] >= g->k[1] && in[2] >= g->k[2]), false,
              L2_ERR_SHAPE, "%s: input image (T: %lld H: %lld W: %lld) smaller than kernel "
              "size (kT: %lld kH: %lld kW: %lld)", op, (long long)in[0], (long long)in[1],
              (long long)in[2], (long long)g->k[0], (long long)g->k[1], (long long)g->k[2]);
    for (int i = 0; i < 3; i++)
        L2__CHECK(g->p[i] >= 0 && g->p[i] <= g->k[i] / 2, false, L2_ERR_ARG, "%s: pad should be "
                  "smaller than or equal to half of kernel size, but got kT: %lld kW: %lld kH: "
                  "%lld padT: %lld padW: %lld padH: %lld", op, (long long)g->k[0],
                  (long long)g->k[2], (long long)g->k[1], (long long)g->p[0],
                  (long long)g->p[2], (long long)g->p[1]);
    for (int i = 0; i < 3; i++) {
        g->in[i] = x->shape[b + 1 + i];
        g->out[i] = l2__pool_out(g->in[i], g->k[i], g->s[i], g->p[i], g->d[i], ceil);
        L2__CHECK(g->out[i] != -2, false, L2_ERR_OVERFLOW, "%s: the padded input size or the "
                  "dilated kernel of input %s overflows int64", op,
                  l2__shape_str(sh, x->ndim, x->shape));
    }
    L2__CHECK(g->out[0] > 0 && g->out[1] > 0 && g->out[2] > 0, false, L2_ERR_SHAPE, "%s: Given "
              "input size: (%lldx%lldx%lldx%lld). Calculated output size: (%lldx%lldx%lldx%lld)"
              ". Output size is too small", op, (long long)x->shape[b], (long long)g->in[0],
              (long long)g->in[1], (long long)g->in[2], (long long)x->shape[b],
              (long long)g->out[0], (long long)g->out[1], (long long)g->out[2]);
    *planes = (b ? x->shape[0] : 1) * x->shape[b];
    return true;
}

/* The output's shape: x's with the last three sizes replaced. */
static void pool3_shape(const l2_tensor *x, const win3 *g, int64_t *shape)
{
    memcpy(shape, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    for (int i = 0; i < 3; i++)
        shape[x->ndim - 3 + i] = g->out[i];
}

/* ---- max_pool3d ---------------------------------------------------------------------------- */

/* One window's cells along axis i (l2__pool_cells). */
static inline void cells3(const win3 *g, int i, int64_t o, int64_t *c0, int64_t *cnt)
{
    l2__pool_cells(o, g->s[i], g->p[i], g->k[i], g->d[i], g->in[i], c0, cnt);
}

/* The flat position (z0 H + y0) W + x0 of a window's first cell (saturating: a window with no
 * cell inside names a position past the plane, never read). */
static inline int64_t first_cell(const win3 *g, int64_t z0, int64_t y0, int64_t x0)
{
    int64_t r;
    if (l2__mul_ovf(z0, g->in[1], &r) || l2__add_ovf(r, y0, &r) ||
        l2__mul_ovf(r, g->in[2], &r) || l2__add_ovf(r, x0, &r))
        return INT64_MAX;
    return r;
}

/* Max over each window's cells inside the input; arg gets the flat position of the maximum,
 * starting at the window's first cell (kept when every cell is -inf or the window has no cell
 * inside: then the value is -inf); a later cell wins when greater or NaN, as torch 1.13. */
#define L2__MAXPOOL3(SUF, T)                                                                 \
    static void maxpool3_##SUF(const T *x, T *y, int64_t *arg, int64_t planes,               \
                               const win3 *g)                                                \
    {                                                                                        \
        int64_t hw = g->in[1] * g->in[2], dhw = g->in[0] * hw;                               \
        int64_t o = 0;                                                                       \
        for (int64_t pl = 0; pl < planes; pl++) {                                            \
            const T *xp = x + pl * dhw;                                                      \
            for (int64_t ot = 0; ot < g->out[0]; ot++) {                                     \
                int64_t z0, nz;                                                              \
                cells3(g, 0, ot, &z0, &nz);                                                  \
                for (int64_t oy = 0; oy < g->out[1]; oy++) {                                 \
                    int64_t y0, ny;                                                          \
                    cells3(g, 1, oy, &y0, &ny);                                              \
                    for (int64_t ox = 0; ox < g->out[2]; ox++, o++) {                        \
                        int64_t x0, nx;                                                      \
                        cells3(g, 2, ox, &x0, &nx);                                          \
                        T best = (T)-INFINITY;                                               \
                        int64_t at = first_cell(g, z0, y0, x0);                              \
                        for (int64_t i = 0; i < nz; i++)                                     \
                            for (int64_t j = 0; j < ny; j++)                                 \
                                for (int64_t l = 0; l < nx; l++) {                           \
                                    int64_t c = ((z0 + i * g->d[0]) * g->in[1] + y0 +        \
                                                 j * g->d[1]) * g->in[2] + x0 + l * g->d[2]; \
                                    T v = xp[c];                                             \
                                    if (v > best || isnan(v)) {                              \
                                        best = v;                                            \
                                        at = c;                                              \
                                    }                                                        \
                                }                                                            \
                        y[o] = best;                                                         \
                        arg[o] = at;                                                         \
                    }                                                                        \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
    }

L2__MAXPOOL3(f32, float)
L2__MAXPOOL3(f64, double)

l2_tensor *l2_max_pool3d(const l2_tensor *x, const int64_t kernel[3], const int64_t stride[3],
                         const int64_t padding[3], const int64_t dilation[3], bool ceil_mode,
                         l2_tensor **indices)
{
    const char *op = "max_pool3d";
    if (indices)
        *indices = NULL;
    win3 g;
    int64_t planes, shape[5];
    if (!pool3_setup(op, x, kernel, stride, padding, dilation, ceil_mode, false, &g, &planes))
        return NULL;
    pool3_shape(x, &g, shape);
    if (!l2__check_shape(op, x->ndim, shape, x->dtype, NULL))
        return NULL;
    size_t n = (size_t)(planes * g.out[0] * g.out[1] * g.out[2]);
    l2_tensor *xc = l2__convert(op, x, x->dtype, true);
    l2_tensor *r = xc ? l2__new(op, x->ndim, shape, x->dtype, false) : NULL;
    l2_tensor *ix = r && indices ? l2__new(op, x->ndim, shape, L2_INT64, false) : NULL;
    int64_t *arg = r && (!indices || ix) ? l2__malloc(sizeof(int64_t) * n + 1, op) : NULL;
    if (arg && x->dtype == L2_FLOAT32)
        maxpool3_f32((const float *)l2__data(xc), (float *)l2__data(r), arg, planes, &g);
    else if (arg)
        maxpool3_f64((const double *)l2__data(xc), (double *)l2__data(r), arg, planes, &g);
    return l2__argpool_end(L2__OP_MAX_POOL3D, x, xc, r, ix, arg, n, indices);
}

/* dx[argmax] += dy: each output's gradient goes to its window's maximum. */
l2_status l2__max_pool3d_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int nd = n->in_ndim[0];
    const int64_t *is = n->in_shape[0], *os = n->out_shape;
    return l2__argpool_backward("max_pool3d", n, gout, (nd == 5 ? is[0] : 1) * is[nd - 4],
                                is[nd - 3] * is[nd - 2] * is[nd - 1],
                                os[nd - 3] * os[nd - 2] * os[nd - 1], gin);
}

/* ---- avg_pool3d ---------------------------------------------------------------------------- */

/* One axis of torch's avg_pool3d window: [*a, *b) clipped to the input, and its length within
 * the padded input (*pool, for count_include_pad). */
static inline void avg_axis(const win3 *g, int i, int64_t o, int64_t *a, int64_t *b,
                            int64_t *pool)
{
    int64_t s = o * g->s[i] - g->p[i];
    int64_t e = s + g->k[i] < g->in[i] + g->p[i] ? s + g->k[i] : g->in[i] + g->p[i];
    *pool = e - s;
    *a = s < 0 ? 0 : s;
    *b = e < g->in[i] ? e : g->in[i];
}

/* The windows of one output cell (ot, oy, ox) and its divisor: divisor_override, or the window's
 * size within the padded input, or its number of cells inside. 0 when the window is empty. */
static inline double avg3_window(const win3 *g, int64_t ot, int64_t oy, int64_t ox, bool inc,
                                 int64_t divisor, int64_t a[3], int64_t b[3])
{
    int64_t pool[3], o[3] = {ot, oy, ox};
    for (int i = 0; i < 3; i++)
        avg_axis(g, i, o[i], &a[i], &b[i], &pool[i]);
    if (a[0] >= b[0] || a[1] >= b[1] || a[2] >= b[2])
        return 0;
    if (divisor)
        return (double)divisor;
    if (inc)
        return (double)pool[0] * (double)pool[1] * (double)pool[2];
    return (double)(b[0] - a[0]) * (double)(b[1] - a[1]) * (double)(b[2] - a[2]);
}

/* y = (sum of the window's cells, in double) / divisor; an empty window gives 0. With bwd set,
 * the adjoint: dx[cell] += dy / divisor over each window's cells (x is dy, y is a zeroed dx). */
#define L2__AVGPOOL3(SUF, T)                                                                 \
    static void avgpool3_##SUF(const T *x, T *y, int64_t planes, const win3 *g, bool inc,    \
                               int64_t divisor, bool bwd)                                    \
    {                                                                                        \
        int64_t hw = g->in[1] * g->in[2], dhw = g->in[0] * hw, o = 0;                        \
        for (int64_t pl = 0; pl < planes; pl++)                                              \
            for (int64_t ot = 0; ot < g->out[0]; ot++)                                       \
                for (int64_t oy = 0; oy < g->out[1]; oy++)                                   \
                    for (int64_t ox = 0; ox < g->out[2]; ox++, o++) {                        \
                        int64_t a[3], b[3];                                                  \
                        double div = avg3_window(g, ot, oy, ox, inc, divisor, a, b);         \
                        if (div == 0) {                                                      \
                            if (!bwd)                                                        \
                                y[o] = 0;                                                    \
                            continue;                                                        \
                        }                                                                    \
                        T v = bwd ? (T)(x[o] / div) : 0;                                     \
                        double acc = 0;                                                      \
                        for (int64_t z = a[0]; z < b[0]; z++)                                \
                            for (int64_t yy = a[1]; yy < b[1]; yy++)                         \
                                for (int64_t xx = a[2]; xx < b[2]; xx++) {                   \
                                    int64_t c = pl * dhw + z * hw + yy * g->in[2] + xx;      \
                                    if (bwd)                                                 \
                                        y[c] += v;                                           \
                                    else                                                     \
                                        acc += x[c];                                         \
                                }                                                            \
                        if (!bwd)                                                            \
                            y[o] = (T)(acc / div);                                           \
                    }                                                                        \
    }

L2__AVGPOOL3(f32, float)
L2__AVGPOOL3(f64, double)

static void run_avg3(l2_dtype dt, const char *in, char *out, int64_t planes, const win3 *g,
                     bool inc, int64_t divisor, bool bwd)
{
    if (dt == L2_FLOAT32)
        avgpool3_f32((const float *)in, (float *)out, planes, g, inc, divisor, bwd);
    else
        avgpool3_f64((const double *)in, (double *)out, planes, g, inc, divisor, bwd);
}

l2_tensor *l2_avg_pool3d(const l2_tensor *x, const int64_t kernel[3], const int64_t stride[3],
                         const int64_t padding[3], bool ceil_mode, bool count_include_pad,
                         int64_t divisor_override)
{
    const char *op = "avg_pool3d";
    win3 g;
    int64_t planes, shape[5];
    if (!pool3_setup(op, x, kernel, stride, padding, NULL, ceil_mode, true, &g, &planes))
        return NULL;
    pool3_shape(x, &g, shape);
    if (!l2__check_shape(op, x->ndim, shape, x->dtype, NULL))
        return NULL;
    l2_tensor *xc = l2__convert(op, x, x->dtype, true);
    l2_tensor *r = xc ? l2__new(op, x->ndim, shape, x->dtype, false) : NULL;
    if (!r) {
        l2_tensor_release(xc);
        return NULL;
    }
    run_avg3(x->dtype, l2__data(xc), l2__data(r), planes, &g, count_include_pad,
             divisor_override, false);
    l2_tensor_release(xc);
    if (l2__needs_grad(1, &x)) {
        l2__node *node = l2__record(L2__OP_AVG_POOL3D, r, 1, &x);
        if (!node) {
            l2_tensor_release(r);
            return NULL;
        }
        int64_t ip[11] = {g.k[0], g.k[1], g.k[2], g.s[0], g.s[1], g.s[2], g.p[0], g.p[1], g.p[2],
                          count_include_pad, divisor_override};
        memcpy(node->i, ip, sizeof ip);
        node->ni = 11;
    }
    return l2__ret(r);
}

/* dx[cell] += dy[window] / divisor over the windows holding the cell. */
l2_status l2__avg_pool3d_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "avg_pool3d";
    int nd = n->in_ndim[0];
    const int64_t *is = n->in_shape[0], *ip = n->i;
    win3 g;
    for (int i = 0; i < 3; i++) {
        g.in[i] = is[nd - 3 + i];
        g.out[i] = n->out_shape[nd - 3 + i];
        g.k[i] = ip[i];
        g.s[i] = ip[3 + i];
        g.p[i] = ip[6 + i];
        g.d[i] = 1;
    }
    int64_t planes = (nd == 5 ? is[0] : 1) * is[nd - 4];
    l2_tensor *dy = l2__convert(op, gout, gout->dtype, true);
    l2_tensor *dx = dy ? l2__new(op, nd, is, gout->dtype, true) : NULL;
    if (!dx) {
        l2_tensor_release(dy);
        return l2_last_status();
    }
    run_avg3(dx->dtype, l2__data(dy), l2__data(dx), planes, &g, ip[9], ip[10], true);
    l2_tensor_release(dy);
    gin[0] = dx;
    return L2_OK;
}
