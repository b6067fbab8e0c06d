/* pool2.c: the 2-d pools with torch's full argument lists (issue 14, conv2): max_pool2d with
 * dilation, ceil_mode and its indices (l2_max_pool2d_ex), each with its backward below it.
 * Float32 and float64, NCHW or unbatched CHW; plain loops (one thread), torch's CPU kernels'
 * window and tie rules. The simpler l2_max_pool2d / l2_avg_pool2d (pool.c) are unchanged.
 * Letters: N batch, C channels, H,W input size, P,Q output size. */
#include "conv-impl.h"

#include <math.h>
#include <string.h>

/* Validate a pooling call with dilation and ceil_mode and fill its window; d may be NULL
 * (dilation 1). */
static bool pool2_setup(const char *op, const l2_tensor *x, const int64_t kernel[2],
                        const int64_t stride[2], const int64_t padding[2],
                        const int64_t dilation[2], bool ceil, win *g, int64_t *planes)
{
    int64_t n, k[2], s[2], p[2], d[2];
    char sh[L2__SHAPE_STR];
    L2__CHECK_T(x, false, op);
    L2__CHECK(kernel, false, L2_ERR_NULL, "%s: argument 'kernel' is NULL", op);
    if (!check_nchw(op, x, &n, &g->c, &g->h, &g->w))
        return false;
    L2__CHECK(g->c > 0 && g->h > 0 && g->w > 0, false, L2_ERR_SHAPE, "%s: expected 3D or 4D "
              "(batch mode) tensor with optional 0 dim batch size for input, but got: %s", op,
              l2__shape_str(sh, x->ndim, x->shape));
    pair(kernel, 0, 0, k);
    pair(stride, k[0], k[1], s);
    pair(padding, 0, 0, p);
    pair(dilation, 1, 1, d);
    L2__CHECK(k[0] > 0 && k[1] > 0, false, L2_ERR_ARG, "%s: kernel size should be greater than "
              "zero, but got (%lld, %lld)", op, (long long)k[0], (long long)k[1]);
    L2__CHECK(s[0] > 0 && s[1] > 0, false, L2_ERR_ARG, "%s: stride should be greater than zero, "
              "but got (%lld, %lld)", op, (long long)s[0], (long long)s[1]);
    L2__CHECK(d[0] > 0 && d[1] > 0, false, L2_ERR_ARG, "%s: dilation should be greater than "
              "zero, but got (%lld, %lld)", op, (long long)d[0], (long long)d[1]);
    L2__CHECK(p[0] >= 0 && p[1] >= 0 && p[0] <= k[0] / 2 && p[1] <= k[1] / 2, false, L2_ERR_ARG,
              "%s: pad should be at most half of kernel size, but got pad=(%lld, %lld) and "
              "kernel_size=(%lld, %lld)", op, (long long)p[0], (long long)p[1], (long long)k[0],
              (long long)k[1]);
    *g = (win){g->c, g->h, g->w, k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], 0, 0};
    g->oh = l2__pool_out(g->h, k[0], s[0], p[0], d[0], ceil);
    g->ow = l2__pool_out(g->w, k[1], s[1], p[1], d[1], ceil);
    L2__CHECK(g->oh != -2 && g->ow != -2, false, L2_ERR_OVERFLOW, "%s: the padded input size or "
              "the dilated kernel of input %s overflows int64", op,
              l2__shape_str(sh, x->ndim, x->shape));
    L2__CHECK(g->oh > 0 && g->ow > 0, false, L2_ERR_SHAPE, "%s: given input size: (%lldx%lldx"
              "%lld). Calculated output size: (%lldx%lldx%lld). Output size is too small", op,
              (long long)g->c, (long long)g->h, (long long)g->w, (long long)g->c,
              (long long)g->oh, (long long)g->ow);
    *planes = n * g->c;
    return true;
}

/* ---- max_pool2d with dilation, ceil_mode and indices --------------------------------------- */

/* The flat position y0 W + x0 of a window with no cell inside (saturating: never read). */
static inline int64_t past_cell(int64_t y0, int64_t x0, int64_t w)
{
    int64_t r;
    return l2__mul_ovf(y0, w, &r) || l2__add_ovf(r, x0, &r) ? INT64_MAX : r;
}

/* Max over each window's cells inside the input; arg gets the flat position y W + x of the
 * first maximum (a NaN wins), starting at the window's first cell, as torch's kernel: a window
 * whose cells are all -inf keeps it, and one with no cell inside gives -inf at its first cell
 * past the top-left padding. */
#define L2__MAXPOOL_EX(SUF, T)                                                               \
    static void maxpool_ex_##SUF(const T *x, T *y, int64_t *arg, int64_t planes,             \
                                 const win *g)                                               \
    {                                                                                        \
        int64_t hw = g->h * g->w, pq = g->oh * g->ow;                                        \
        for (int64_t p = 0; p < planes; p++) {                                               \
            const T *xp = x + p * hw;                                                        \
            for (int64_t oy = 0; oy < g->oh; oy++) {                                         \
                int64_t y0, ny;                                                              \
                l2__pool_cells(oy, g->sh, g->ph, g->kh, g->dh, g->h, &y0, &ny);              \
                for (int64_t ox = 0; ox < g->ow; ox++) {                                     \
                    int64_t x0, nx;                                                          \
                    l2__pool_cells(ox, g->sw, g->pw, g->kw, g->dw, g->w, &x0, &nx);          \
                    T best = (T)-INFINITY;                                                   \
                    int64_t at = past_cell(y0, x0, g->w);                                    \
                    for (int64_t i = 0; i < ny; i++)                                         \
                        for (int64_t j = 0; j < nx; j++) {                                   \
                            int64_t c = (y0 + i * g->dh) * g->w + x0 + j * g->dw;            \
                            T v = xp[c];                                                     \
                            if (v > best || isnan(v)) {                                      \
                                best = v;                                                    \
                                at = c;                                                      \
                            }                                                                \
                        }                                                                    \
                    y[p * pq + oy * g->ow + ox] = best;                                      \
                    arg[p * pq + oy * g->ow + ox] = at;                                      \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
    }

L2__MAXPOOL_EX(f32, float)
L2__MAXPOOL_EX(f64, double)

l2_tensor *l2_max_pool2d_ex(const l2_tensor *x, const int64_t kernel[2], const int64_t stride[2],
                            const int64_t padding[2], const int64_t dilation[2], bool ceil_mode,
                            l2_tensor **indices)
{
    const char *op = "max_pool2d";
    if (indices)
        *indices = NULL;
    win g;
    int64_t planes, shape[4];
    if (!pool2_setup(op, x, kernel, stride, padding, dilation, ceil_mode, &g, &planes))
        return NULL;
    memcpy(shape, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    shape[x->ndim - 2] = g.oh;
    shape[x->ndim - 1] = g.ow;
    if (!l2__check_shape(op, x->ndim, shape, x->dtype, NULL))
        return NULL;
    size_t npq = (size_t)(planes * g.oh * g.ow);
    l2_tensor *xc = l2__convert(op, x, x->dtype, true);
    l2_tensor *r = xc ? l2__new(op, x->ndim, shape, x->dtype, false) : NULL;
    l2_tensor *ix = r && indices ? l2__new(op, x->ndim, shape, L2_INT64, false) : NULL;
    int64_t *arg = r && (!indices || ix) ? l2__malloc(sizeof(int64_t) * npq + 1, op) : NULL;
    if (arg && x->dtype == L2_FLOAT32)
        maxpool_ex_f32((const float *)l2__data(xc), (float *)l2__data(r), arg, planes, &g);
    else if (arg)
        maxpool_ex_f64((const double *)l2__data(xc), (double *)l2__data(r), arg, planes, &g);
    return l2__argpool_end(L2__OP_MAX_POOL2D_EX, x, xc, r, ix, arg, npq, indices);
}

/* dx[argmax] += dy: each output's gradient goes to the (first) maximum of its window. */
l2_status l2__max_pool2d_ex_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int nd = n->in_ndim[0];
    const int64_t *is = n->in_shape[0];
    return l2__argpool_backward("max_pool2d", n, gout, (nd == 4 ? is[0] : 1) * is[nd - 3],
                                is[nd - 2] * is[nd - 1],
                                n->out_shape[nd - 2] * n->out_shape[nd - 1], gin);
}

/* ---- avg_pool2d with ceil_mode, count_include_pad and divisor_override ------------------- */

/* One window of torch's CPU kernel: [y0, y1) x [x0, x1) clipped to the input, and its divisor
 * (divisor_override, or the window's size within the padded input, or its cells inside). */
typedef struct {
    int64_t y0, y1, x0, x1;
    double div;
} avg_win;

static inline avg_win avg_window(const win *g, int64_t oy, int64_t ox, bool include_pad,
                                 int64_t divisor)
{
    avg_win a;
    a.y0 = oy * g->sh - g->ph;
    a.x0 = ox * g->sw - g->pw;
    a.y1 = a.y0 + g->kh < g->h + g->ph ? a.y0 + g->kh : g->h + g->ph;
    a.x1 = a.x0 + g->kw < g->w + g->pw ? a.x0 + g->kw : g->w + g->pw;
    double pool = (double)(a.y1 - a.y0) * (double)(a.x1 - a.x0);
    a.y0 = a.y0 < 0 ? 0 : a.y0;
    a.x0 = a.x0 < 0 ? 0 : a.x0;
    a.y1 = a.y1 < g->h ? a.y1 : g->h;
    a.x1 = a.x1 < g->w ? a.x1 : g->w;
    a.div = divisor ? (double)divisor
            : include_pad ? pool
                          : (double)(a.y1 - a.y0) * (double)(a.x1 - a.x0);
    return a;
}

/* y = (sum of the window's cells, in double) / divisor; an empty window gives 0. */
#define L2__AVGPOOL_EX(SUF, T)                                                               \
    static void avgpool_ex_##SUF(const T *x, T *y, int64_t planes, const win *g, bool inc,   \
                                 int64_t divisor)                                            \
    {                                                                                        \
        int64_t hw = g->h * g->w, pq = g->oh * g->ow;                                        \
        for (int64_t p = 0; p < planes; p++)                                                 \
            for (int64_t oy = 0; oy < g->oh; oy++)                                           \
                for (int64_t ox = 0; ox < g->ow; ox++) {                                     \
                    avg_win a = avg_window(g, oy, ox, inc, divisor);                         \
                    double acc = 0;                                                          \
                    for (int64_t iy = a.y0; iy < a.y1; iy++)                                 \
                        for (int64_t ix = a.x0; ix < a.x1; ix++)                             \
                            acc += x[p * hw + iy * g->w + ix];                               \
                    bool empty = a.y0 >= a.y1 || a.x0 >= a.x1;                               \
                    y[p * pq + oy * g->ow + ox] = empty ? (T)0 : (T)(acc / a.div);           \
                }                                                                            \
    }

/* dx[cell] += dy / divisor over each window's cells, into a zeroed dx. */
#define L2__AVGPOOL_EX_BWD(SUF, T)                                                           \
    static void avgpool_ex_bwd_##SUF(const T *dy, T *dx, int64_t planes, const win *g,       \
                                     bool inc, int64_t divisor)                              \
    {                                                                                        \
        int64_t hw = g->h * g->w, pq = g->oh * g->ow;                                        \
        for (int64_t p = 0; p < planes; p++)                                                 \
            for (int64_t oy = 0; oy < g->oh; oy++)                                           \
                for (int64_t ox = 0; ox < g->ow; ox++) {                                     \
                    avg_win a = avg_window(g, oy, ox, inc, divisor);                         \
                    T v = (T)(dy[p * pq + oy * g->ow + ox] / a.div);                         \
                    for (int64_t iy = a.y0; iy < a.y1; iy++)                                 \
                        for (int64_t ix = a.x0; ix < a.x1; ix++)                             \
                            dx[p * hw + iy * g->w + ix] += v;                                \
                }                                                                            \
    }

L2__AVGPOOL_EX(f32, float)
L2__AVGPOOL_EX(f64, double)
L2__AVGPOOL_EX_BWD(f32, float)
L2__AVGPOOL_EX_BWD(f64, double)

l2_tensor *l2_avg_pool2d_ex(const l2_tensor *x, const int64_t kernel[2], const int64_t stride[2],
                            const int64_t padding[2], bool ceil_mode, bool count_include_pad,
                            int64_t divisor_override)
{
    const char *op = "avg_pool2d";
    win g;
    int64_t planes, shape[4];
    if (!pool2_setup(op, x, kernel, stride, padding, NULL, ceil_mode, &g, &planes))
        return NULL;
    memcpy(shape, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    shape[x->ndim - 2] = g.oh;
    shape[x->ndim - 1] = g.ow;
    if (!l2__check_shape(op, x->ndim, shape, x->dtype, NULL))
        return NULL;
    l2_tensor *xc = l2__convert(op, x, x->dtype, true);
    l2_tensor *r = xc ? l2__new(op, x->ndim, shape, x->dtype, false) : NULL;
    if (!r) {
        l2_tensor_release(xc);
        return NULL;
    }
    if (x->dtype == L2_FLOAT32)
        avgpool_ex_f32((const float *)l2__data(xc), (float *)l2__data(r), planes, &g,
                       count_include_pad, divisor_override);
    else
        avgpool_ex_f64((const double *)l2__data(xc), (double *)l2__data(r), planes, &g,
                       count_include_pad, divisor_override);
    l2_tensor_release(xc);
    if (l2__needs_grad(1, &x)) {
        l2__node *node = l2__record(L2__OP_AVG_POOL2D_EX, r, 1, &x);
        if (!node) {
            l2_tensor_release(r);
            return NULL;
        }
        int64_t ip[8] = {g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, count_include_pad,
                         divisor_override};
        memcpy(node->i, ip, sizeof ip);
        node->ni = 8;
    }
    return l2__ret(r);
}

/* dx[cell] += dy[window] / divisor over the windows holding the cell. */
l2_status l2__avg_pool2d_ex_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "avg_pool2d";
    int nd = n->in_ndim[0];
    const int64_t *is = n->in_shape[0], *ip = n->i;
    win g = {is[nd - 3], is[nd - 2], is[nd - 1], ip[0], ip[1], ip[2], ip[3], ip[4], ip[5], 1, 1,
             n->out_shape[nd - 2], n->out_shape[nd - 1]};
    int64_t planes = (nd == 4 ? is[0] : 1) * g.c;
    l2_tensor *dy = l2__convert(op, gout, gout->dtype, true);
    l2_tensor *dx = dy ? l2__new(op, nd, is, gout->dtype, true) : NULL;
    if (!dx) {
        l2_tensor_release(dy);
        return l2_last_status();
    }
    if (dx->dtype == L2_FLOAT32)
        avgpool_ex_bwd_f32((const float *)l2__data(dy), (float *)l2__data(dx), planes, &g,
                           ip[6], ip[7]);
    else
        avgpool_ex_bwd_f64((const double *)l2__data(dy), (double *)l2__data(dx), planes, &g,
                           ip[6], ip[7]);
    l2_tensor_release(dy);
    gin[0] = dx;
    return L2_OK;
}
