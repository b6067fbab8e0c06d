/* conv.c: 2-d convolution (im2col + OpenBLAS gemm), max / average / adaptive average pooling and
 * constant padding, each with its backward below it. Float32 and float64 (pad: any dtype), NCHW
 * or unbatched CHW. Not here: transposed or 1-d/3-d convolution, ceil_mode, pooling dilation,
 * count_include_pad=false, reflect/replicate padding.
 * Letters: N batch, C input channels, O output channels, H,W input size, P,Q output size,
 * L = P*Q output positions, K = (C/groups)*kH*kW rows of the im2col matrix. */
#include "../autograd-impl.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>

/* ---- shared helpers ---------------------------------------------------------------------- */


/* Read an optional pair: p ? p[0..1] : (def0, def1). */
static void pair(const int64_t *p, int64_t def0, int64_t def1, int64_t *out)
{
    out[0] = p ? p[0] : def0;
    out[1] = p ? p[1] : def1;
}

/* Check that x is a float tensor of rank 3 (C,H,W) or 4 (N,C,H,W); sets *n, *c, *h, *w. */
static bool check_nchw(const char *op, const l2_tensor *x, int64_t *n, int64_t *c, int64_t *h,
                       int64_t *w)
{
    char s[L2__SHAPE_STR];
    L2__CHECK(l2__is_float(x->dtype), false, L2_ERR_DTYPE, "%s: expected a float32 or float64 "
              "input, got %s", op, l2_dtype_name(x->dtype));
    L2__CHECK(x->ndim == 3 || x->ndim == 4, false, L2_ERR_SHAPE, "%s: expected 3D (unbatched) "
              "or 4D (batched) input, but got input of size %s", op,
              l2__shape_str(s, x->ndim, x->shape));
    int b = x->ndim - 3;
    *n = b ? x->shape[0] : 1;
    *c = x->shape[b];
    *h = x->shape[b + 1];
    *w = x->shape[b + 2];
    return true;
}

/* Geometry of a 2-d sliding window over one (C, H, W) sample. */
typedef struct {
    int64_t c, h, w;       /* input channels (per im2col call) and size */
    int64_t kh, kw;        /* kernel */
    int64_t sh, sw;        /* stride */
    int64_t ph, pw;        /* padding */
    int64_t dh, dw;        /* dilation */
    int64_t oh, ow;        /* output size */
} win;

/* Output size along one dim: floor((in + 2 pad - dil (k - 1) - 1) / stride) + 1, or -1 when the
 * (dilated) kernel does not fit in the padded input, or -2 when the padded input in + 2 pad does
 * not fit in int64. Arguments are in range (in, pad >= 0; k, s, d >= 1). Every window index
 * the kernels form (o s + j d - pad, o < out, j < k) then lies in [-pad, in + pad). */
static int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d)
{
    int64_t padded, span;
    if (l2__mul_ovf(p, 2, &padded) || l2__add_ovf(padded, in, &padded))
        return -2;
    /* The dilated kernel spans d (k - 1) + 1 cells; when that overflows it cannot fit. */
    if (l2__mul_ovf(d, k - 1, &span) || span >= padded)
        return -1;
    return (padded - span - 1) / s + 1;
}

/* in + 2 pad and d (k - 1) + 1 for messages, saturating. */
static int64_t padded_sat(int64_t in, int64_t p)
{
    int64_t r;
    return l2__mul_ovf(p, 2, &r) || l2__add_ovf(r, in, &r) ? INT64_MAX : r;
}
static int64_t dilated_sat(int64_t k, int64_t d)
{
    int64_t r;
    return l2__mul_ovf(d, k - 1, &r) || l2__add_ovf(r, 1, &r) ? INT64_MAX : r;
}

/* ---- kernels (float and double) ---------------------------------------------------------- */

/* cols (C*kH*kW, L): row (c, i, j), column (y, x) holds x[c, y*sh - ph + i*dh, x*sw - pw + j*dw]
 * or 0 in the padding. Split over channels. */
#define L2__IM2COL(SUF, T)                                                                   \
    static void im2col_##SUF(const T *x, T *cols, const win *g)                              \
    {                                                                                        \
        int64_t L = g->oh * g->ow;                                                           \
        int nt = l2__threads_for(l2__mul_sat(g->c * g->kh * g->kw, L));                      \
        _Pragma("omp parallel for num_threads(nt) schedule(static) if (nt > 1)")             \
        for (int64_t c = 0; c < g->c; c++) {                                                 \
            const T *xc = x + c * g->h * g->w;                                               \
            for (int64_t i = 0; i < g->kh; i++)                                              \
                for (int64_t j = 0; j < g->kw; j++) {                                        \
                    T *row = cols + ((c * g->kh + i) * g->kw + j) * L;                       \
                    for (int64_t oy = 0; oy < g->oh; oy++) {                                 \
                        int64_t iy = oy * g->sh - g->ph + i * g->dh;                         \
                        T *r = row + oy * g->ow;                                             \
                        if (iy < 0 || iy >= g->h) {                                          \
                            for (int64_t ox = 0; ox < g->ow; ox++)                           \
                                r[ox] = 0;                                                   \
                            continue;                                                        \
                        }                                                                    \
                        const T *xr = xc + iy * g->w;                                        \
                        for (int64_t ox = 0; ox < g->ow; ox++) {                             \
                            int64_t ix = ox * g->sw - g->pw + j * g->dw;                     \
                            ix += g->pw > 0 && l2__fault("conv_pad"); /* mutation test */    \
                            r[ox] = (ix >= 0 && ix < g->w) ? xr[ix] : (T)0;                  \
                        }                                                                    \
                    }                                                                        \
                }                                                                            \
        }                                                                                    \
    }

/* The adjoint of im2col: dx[c, y*sh - ph + i*dh, x*sw - pw + j*dw] += cols[(c,i,j), (y,x)].
 * Channels never collide, so the split over channels is safe. */
#define L2__COL2IM(SUF, T)                                                                   \
    static void col2im_##SUF(const T *cols, T *dx, const win *g)                             \
    {                                                                                        \
        int64_t L = g->oh * g->ow;                                                           \
        int nt = l2__threads_for(l2__mul_sat(g->c * g->kh * g->kw, L));                      \
        _Pragma("omp parallel for num_threads(nt) schedule(static) if (nt > 1)")             \
        for (int64_t c = 0; c < g->c; c++) {                                                 \
            T *xc = dx + c * g->h * g->w;                                                    \
            for (int64_t i = 0; i < g->kh; i++)                                              \
                for (int64_t j = 0; j < g->kw; j++) {                                        \
                    const T *row = cols + ((c * g->kh + i) * g->kw + j) * L;                 \
                    for (int64_t oy = 0; oy < g->oh; oy++) {                                 \
                        int64_t iy = oy * g->sh - g->ph + i * g->dh;                         \
                        if (iy < 0 || iy >= g->h)                                            \
                            continue;                                                        \
                        const T *r = row + oy * g->ow;                                       \
                        T *xr = xc + iy * g->w;                                              \
                        for (int64_t ox = 0; ox < g->ow; ox++) {                             \
                            int64_t ix = ox * g->sw - g->pw + j * g->dw;                     \
                            if (ix >= 0 && ix < g->w)                                        \
                                xr[ix] += r[ox];                                             \
                        }                                                                    \
                    }                                                                        \
                }                                                                            \
        }                                                                                    \
    }

/* Max pooling over `planes` (H, W) planes into (P, Q) planes; arg (if not NULL) receives the
 * flat position y*W + x of each maximum: the first one on ties, a NaN wins (as torch). */
#define L2__MAXPOOL(SUF, T)                                                                  \
    static void maxpool_##SUF(const T *x, T *y, int64_t *arg, int64_t planes, const win *g)  \
    {                                                                                        \
        int64_t hw = g->h * g->w, pq = g->oh * g->ow;                                        \
        int64_t work = l2__mul_sat(planes * pq, l2__mul_sat(g->kh, g->kw));                  \
        int nt = l2__threads_for(work);                                                      \
        _Pragma("omp parallel for num_threads(nt) schedule(static) if (nt > 1)")             \
        for (int64_t p = 0; p < planes; p++) {                                               \
            const T *xp = x + p * hw;                                                        \
            for (int64_t oy = 0; oy < g->oh; oy++)                                           \
                for (int64_t ox = 0; ox < g->ow; ox++) {                                     \
                    int64_t y0 = oy * g->sh - g->ph, x0 = ox * g->sw - g->pw;                \
                    int64_t y1 = y0 + g->kh < g->h ? y0 + g->kh : g->h;                      \
                    int64_t x1 = x0 + g->kw < g->w ? x0 + g->kw : g->w;                      \
                    y0 = y0 < 0 ? 0 : y0;                                                    \
                    x0 = x0 < 0 ? 0 : x0;                                                    \
                    T best = (T)-INFINITY;                                                   \
                    int64_t at = y0 * g->w + x0;                                             \
                    for (int64_t iy = y0; iy < y1; iy++)                                     \
                        for (int64_t ix = x0; ix < x1; ix++) {                               \
                            T v = xp[iy * g->w + ix];                                        \
                            if (v > best || isnan(v)) {                                      \
                                best = v;                                                    \
                                at = iy * g->w + ix;                                         \
                            }                                                                \
                        }                                                                    \
                    y[p * pq + oy * g->ow + ox] = best;                                      \
                    if (arg)                                                                 \
                        arg[p * pq + oy * g->ow + ox] = at;                                  \
                }                                                                            \
        }                                                                                    \
    }

/* dx[p, arg[p, o]] += dy[p, o]: planes are independent. */
#define L2__MAXPOOL_BWD(SUF, T)                                                              \
    static void maxpool_bwd_##SUF(const T *dy, const int64_t *arg, T *dx, int64_t planes,    \
                                  int64_t hw, int64_t pq)                                    \
    {                                                                                        \
        int nt = l2__threads_for(planes * pq);                                               \
        _Pragma("omp parallel for num_threads(nt) schedule(static) if (nt > 1)")             \
        for (int64_t p = 0; p < planes; p++)                                                 \
            for (int64_t o = 0; o < pq; o++)                                                 \
                dx[p * hw + arg[p * pq + o]] += dy[p * pq + o];                              \
    }

/* Average pooling with count_include_pad: y = sum over the window's in-bounds cells / (kH kW).
 * With bwd set, the adjoint instead: dx[window] += dy / (kH kW) (x is dy, y is dx). */
#define L2__AVGPOOL(SUF, T)                                                                  \
    static void avgpool_##SUF(const T *x, T *y, int64_t planes, const win *g, bool bwd)      \
    {                                                                                        \
        int64_t hw = g->h * g->w, pq = g->oh * g->ow;                                        \
        double inv = 1.0 / ((double)g->kh * (double)g->kw);                                  \
        int64_t work = l2__mul_sat(planes * pq, l2__mul_sat(g->kh, g->kw));                  \
        int nt = l2__threads_for(work);                                                      \
        _Pragma("omp parallel for num_threads(nt) schedule(static) if (nt > 1)")             \
        for (int64_t p = 0; p < planes; p++)                                                 \
            for (int64_t oy = 0; oy < g->oh; oy++)                                           \
                for (int64_t ox = 0; ox < g->ow; ox++) {                                     \
                    int64_t y0 = oy * g->sh - g->ph, x0 = ox * g->sw - g->pw;                \
                    int64_t y1 = y0 + g->kh < g->h ? y0 + g->kh : g->h;                      \
                    int64_t x1 = x0 + g->kw < g->w ? x0 + g->kw : g->w;                      \
                    y0 = y0 < 0 ? 0 : y0;                                                    \
                    x0 = x0 < 0 ? 0 : x0;                                                    \
                    int64_t o = p * pq + oy * g->ow + ox;                                    \
                    if (bwd) {                                                               \
                        T gv = (T)(x[o] * inv);                                              \
                        for (int64_t iy = y0; iy < y1; iy++)                                 \
                            for (int64_t ix = x0; ix < x1; ix++)                             \
                                y[p * hw + iy * g->w + ix] += gv;                            \
                    } else {                                                                 \
                        double s = 0;                                                        \
                        for (int64_t iy = y0; iy < y1; iy++)                                 \
                            for (int64_t ix = x0; ix < x1; ix++)                             \
                                s += x[p * hw + iy * g->w + ix];                             \
                        y[o] = (T)(s * inv);                                                 \
                    }                                                                        \
                }                                                                            \
    }

/* Adaptive average pooling: cell (i, j) averages rows floor(i H / P) .. ceil((i+1) H / P) - 1
 * and the same for columns. With bwd set, the adjoint (x is dy, y is dx). */
#define L2__ADAPTIVE(SUF, T)                                                                 \
    static void adaptive_##SUF(const T *x, T *y, int64_t planes, const win *g, bool bwd)     \
    {                                                                                        \
        int64_t hw = g->h * g->w, pq = g->oh * g->ow;                                        \
        int nt = l2__threads_for(planes * hw);                                               \
        _Pragma("omp parallel for num_threads(nt) schedule(static) if (nt > 1)")             \
        for (int64_t p = 0; p < planes; p++)                                                 \
            for (int64_t oy = 0; oy < g->oh; oy++) {                                         \
                int64_t y0 = oy * g->h / g->oh;                                              \
                int64_t y1 = ((oy + 1) * g->h + g->oh - 1) / g->oh;                          \
                for (int64_t ox = 0; ox < g->ow; ox++) {                                     \
                    int64_t x0 = ox * g->w / g->ow;                                          \
                    int64_t x1 = ((ox + 1) * g->w + g->ow - 1) / g->ow;                      \
                    double inv = 1.0 / (double)((y1 - y0) * (x1 - x0));                      \
                    int64_t o = p * pq + oy * g->ow + ox;                                    \
                    if (bwd) {                                                               \
                        T gv = (T)(x[o] * inv);                                              \
                        for (int64_t iy = y0; iy < y1; iy++)                                 \
                            for (int64_t ix = x0; ix < x1; ix++)                             \
                                y[p * hw + iy * g->w + ix] += gv;                            \
                    } else {                                                                 \
                        double s = 0;                                                        \
                        for (int64_t iy = y0; iy < y1; iy++)                                 \
                            for (int64_t ix = x0; ix < x1; ix++)                             \
                                s += x[p * hw + iy * g->w + ix];                             \
                        y[o] = (T)(s * inv);                                                 \
                    }                                                                        \
                }                                                                            \
            }                                                                                \
    }

L2__IM2COL(f32, float)
L2__IM2COL(f64, double)
L2__COL2IM(f32, float)
L2__COL2IM(f64, double)
L2__MAXPOOL(f32, float)
L2__MAXPOOL(f64, double)
L2__MAXPOOL_BWD(f32, float)
L2__MAXPOOL_BWD(f64, double)
L2__AVGPOOL(f32, float)
L2__AVGPOOL(f64, double)
L2__ADAPTIVE(f32, float)
L2__ADAPTIVE(f64, double)

/* Dtype-generic entry points: data pointers are char * and dt picks the instance. */
static void im2col(l2_dtype dt, const char *x, char *cols, const win *g)
{
    if (dt == L2_FLOAT32)
        im2col_f32((const float *)x, (float *)cols, g);
    else
        im2col_f64((const double *)x, (double *)cols, g);
}

static void col2im(l2_dtype dt, const char *cols, char *dx, const win *g)
{
    if (dt == L2_FLOAT32)
        col2im_f32((const float *)cols, (float *)dx, g);
    else
        col2im_f64((const double *)cols, (double *)dx, g);
}

/* C (M,N) = alpha op(A) op(B) + beta C, row-major, through OpenBLAS. Sizes fit in int (checked
 * by the callers); empty products only scale C. */
static void gemm(l2_dtype dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const char *a,
                 int64_t lda, const char *b, int64_t ldb, double beta, char *c, int64_t ldc)
{
    if (m == 0 || n == 0)
        return;
    if (k == 0) {
        size_t es = l2__esize(dt);
        for (int64_t i = 0; i < m; i++)
            if (beta == 0)
                memset(c + (size_t)(i * ldc) * es, 0, (size_t)n * es);
        return;
    }
    enum CBLAS_TRANSPOSE A = ta ? CblasTrans : CblasNoTrans, B = tb ? CblasTrans : CblasNoTrans;
    if (dt == L2_FLOAT32)
        cblas_sgemm(CblasRowMajor, A, B, (int)m, (int)n, (int)k, 1.0f, (const float *)a,
                    (int)lda, (const float *)b, (int)ldb, (float)beta, (float *)c, (int)ldc);
    else
        cblas_dgemm(CblasRowMajor, A, B, (int)m, (int)n, (int)k, 1.0, (const double *)a,
                    (int)lda, (const double *)b, (int)ldb, beta, (double *)c, (int)ldc);
}

/* ---- conv2d ------------------------------------------------------------------------------ */

/* The convolution's geometry from x's and w's shapes and the node/call parameters. */
typedef struct {
    int64_t n, c, h, w, o, groups;
    win g;             /* per group: g.c = C / groups */
    int64_t cg, og, k, l;
    bool direct;       /* 1x1 kernel, stride 1, no padding: the im2col matrix is x itself */
} conv_geom;

static void conv_geom_fill(conv_geom *cg, const int64_t *p)
{
    cg->g.sh = p[0];
    cg->g.sw = p[1];
    cg->g.ph = p[2];
    cg->g.pw = p[3];
    cg->g.dh = p[4];
    cg->g.dw = p[5];
    cg->groups = p[6];
    cg->cg = cg->c / cg->groups;
    cg->og = cg->o / cg->groups;
    cg->g.c = cg->c; /* im2col runs over every channel of a sample at once */
    cg->g.h = cg->h;
    cg->g.w = cg->w;
    cg->g.oh = out_size(cg->h, cg->g.kh, cg->g.sh, cg->g.ph, cg->g.dh);
    cg->g.ow = out_size(cg->w, cg->g.kw, cg->g.sw, cg->g.pw, cg->g.dw);
    /* Both fit once the call validated the weight and the output shape (l2__check_shape). */
    cg->k = l2__mul_sat(l2__mul_sat(cg->cg, cg->g.kh), cg->g.kw);
    cg->l = l2__mul_sat(cg->g.oh, cg->g.ow);
    cg->direct = cg->g.kh == 1 && cg->g.kw == 1 && cg->g.sh == 1 && cg->g.sw == 1 &&
                 cg->g.ph == 0 && cg->g.pw == 0;
}

l2_tensor *l2_conv2d(const l2_tensor *x, const l2_tensor *w, const l2_tensor *b,
                     const int64_t stride[2], const int64_t padding[2],
                     const int64_t dilation[2], int64_t groups)
{
    const char *op = "conv2d";
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
    L2__CHECK_T(x, NULL, op);
    L2__CHECK_T(w, NULL, op);
    conv_geom cg;
    if (!check_nchw(op, x, &cg.n, &cg.c, &cg.h, &cg.w))
        return NULL;
    L2__CHECK(w->dtype == x->dtype, NULL, L2_ERR_DTYPE, "%s: input type (%s) and weight type "
              "(%s) should be the same", op, l2_dtype_name(x->dtype), l2_dtype_name(w->dtype));
    L2__CHECK(w->ndim == 4, NULL, L2_ERR_SHAPE, "%s: expected 4-dimensional weight (O, C/groups, "
              "kH, kW), but got weight of size %s", op, l2__shape_str(s1, w->ndim, w->shape));
    int64_t p[7];
    pair(stride, 1, 1, p);
    pair(padding, 0, 0, p + 2);
    pair(dilation, 1, 1, p + 4);
    p[6] = groups;
    L2__CHECK(p[0] > 0 && p[1] > 0, NULL, L2_ERR_ARG, "%s: stride must be positive (got %lld, "
              "%lld)", op, (long long)p[0], (long long)p[1]);
    L2__CHECK(p[2] >= 0 && p[3] >= 0, NULL, L2_ERR_ARG, "%s: negative padding is not supported "
              "(got %lld, %lld)", op, (long long)p[2], (long long)p[3]);
    L2__CHECK(p[4] > 0 && p[5] > 0, NULL, L2_ERR_ARG, "%s: dilation must be positive (got %lld, "
              "%lld)", op, (long long)p[4], (long long)p[5]);
    L2__CHECK(groups > 0, NULL, L2_ERR_ARG, "%s: non-positive groups is not supported (got "
              "%lld)", op, (long long)groups);
    cg.o = w->shape[0];
    cg.g.kh = w->shape[2];
    cg.g.kw = w->shape[3];
    L2__CHECK(cg.o % groups == 0, NULL, L2_ERR_SHAPE, "%s: given groups=%lld, expected weight "
              "%s to be divisible by %lld at dimension 0", op, (long long)groups,
              l2__shape_str(s1, w->ndim, w->shape), (long long)groups);
    int64_t wc_total;
    L2__CHECK(!l2__mul_ovf(w->shape[1], groups, &wc_total) && cg.c == wc_total, NULL,
              L2_ERR_SHAPE, "%s: given groups=%lld, weight "
              "of size %s, expected input %s to have %lld channels, but got %lld channels "
              "instead", op, (long long)groups, l2__shape_str(s1, w->ndim, w->shape),
              l2__shape_str(s2, x->ndim, x->shape), (long long)l2__mul_sat(w->shape[1], groups),
              (long long)cg.c);
    if (b) {
        L2__CHECK(b->dtype == x->dtype, NULL, L2_ERR_DTYPE, "%s: input type (%s) and bias type "
                  "(%s) should be the same", op, l2_dtype_name(x->dtype),
                  l2_dtype_name(b->dtype));
        L2__CHECK(b->ndim == 1 && b->shape[0] == cg.o, NULL, L2_ERR_SHAPE, "%s: expected bias "
                  "of shape [%lld], got %s", op, (long long)cg.o,
                  l2__shape_str(s1, b->ndim, b->shape));
    }
    conv_geom_fill(&cg, p);
    L2__CHECK(cg.g.oh != -2 && cg.g.ow != -2, NULL, L2_ERR_OVERFLOW, "%s: padded input size "
              "(%lld + 2 * %lld, %lld + 2 * %lld) overflows int64", op, (long long)cg.h,
              (long long)p[2], (long long)cg.w, (long long)p[3]);
    L2__CHECK(cg.g.oh > 0 && cg.g.ow > 0, NULL, L2_ERR_SHAPE, "%s: calculated padded input size "
              "per channel: (%lld x %lld). Kernel size: (%lld x %lld) (dilated). Kernel size "
              "can't be greater than actual input size", op, (long long)padded_sat(cg.h, p[2]),
              (long long)padded_sat(cg.w, p[3]), (long long)dilated_sat(cg.g.kh, p[4]),
              (long long)dilated_sat(cg.g.kw, p[5]));
    int64_t oshape4[4] = {cg.n, cg.o, cg.g.oh, cg.g.ow};
    if (!l2__check_shape(op, 4, oshape4, x->dtype, NULL))
        return NULL;
    int64_t colsz;
    L2__CHECK(cg.k <= INT_MAX && cg.l <= INT_MAX && cg.o <= INT_MAX &&
              !l2__mul_ovf(cg.k, cg.groups, &colsz) && !l2__mul_ovf(colsz, cg.l, &colsz) &&
              colsz <= INT64_MAX / 8, NULL, L2_ERR_OVERFLOW, "%s: the im2col matrix (%lld x "
              "%lld per group) is too large for BLAS", op, (long long)cg.k, (long long)cg.l);

    int64_t oshape[4] = {cg.n, cg.o, cg.g.oh, cg.g.ow};
    int rank = x->ndim;
    const int64_t *osh = rank == 4 ? oshape : oshape + 1;
    l2_tensor *xc = l2__convert(op, x, x->dtype, true);
    l2_tensor *wc = xc ? l2__convert(op, w, w->dtype, true) : NULL;
    l2_tensor *bc = wc && b ? l2__convert(op, b, b->dtype, true) : NULL;
    l2_tensor *r = wc && (bc || !b) ? l2__new(op, rank, osh, x->dtype, false) : NULL;
    char *cols = NULL;
    size_t es = l2__esize(x->dtype);
    if (r && !cg.direct)
        cols = l2__malloc((size_t)(cg.c * cg.g.kh * cg.g.kw * cg.l) * es + 1, op);
    if (!r || (!cg.direct && !cols))
        goto fail;

    /* y[n, g] (Og, L) = W_g (Og, K) @ cols_g (K, L), then y[n, o, :] += b[o]. */
    for (int64_t n = 0; n < cg.n; n++) {
        const char *xn = l2__data(xc) + (size_t)(n * cg.c * cg.h * cg.w) * es;
        char *yn = l2__data(r) + (size_t)(n * cg.o * cg.l) * es;
        const char *cn = xn;
        if (!cg.direct) {
            im2col(x->dtype, xn, cols, &cg.g);
            cn = cols;
        }
        for (int64_t gi = 0; gi < cg.groups; gi++)
            gemm(x->dtype, false, false, cg.og, cg.l, cg.k,
                 l2__data(wc) + (size_t)(gi * cg.og * cg.k) * es, cg.k,
                 cn + (size_t)(gi * cg.k * cg.l) * es, cg.l, 0,
                 yn + (size_t)(gi * cg.og * cg.l) * es, cg.l);
        if (bc) {
            L2__DISPATCH_FLOAT(x->dtype, {
                const T *bv = (const T *)l2__data(bc);
                T *yv = (T *)yn;
                for (int64_t o = 0; o < cg.o; o++)
                    for (int64_t l = 0; l < cg.l; l++)
                        yv[o * cg.l + l] += bv[o];
            });
        }
    }
    l2__free(cols);
    cols = NULL;
    const l2_tensor *in[3] = {x, w, b};
    if (l2__needs_grad(3, in)) {
        const l2_tensor *save[2] = {x, w};
        bool need[2] = {w->requires_grad, x->requires_grad}; /* dx reads w, dw reads x */
        l2__node *node = l2__record_save_needed(L2__OP_CONV2D, r, 3, in, 2, save, need);
        if (!node)
            goto fail;
        memcpy(node->i, p, sizeof p);
        node->ni = 7;
    }
    l2_tensor_release(xc);
    l2_tensor_release(wc);
    l2_tensor_release(bc);
    return l2__ret(r);
fail:
    l2__free(cols);
    l2_tensor_release(r);
    l2_tensor_release(xc);
    l2_tensor_release(wc);
    l2_tensor_release(bc);
    return NULL;
}

/* Per sample n and group g, with cols = im2col(x[n]):
 *   dx[n] = col2im(W_g^T @ dy[n, g])     (K, L) = (K, Og) @ (Og, L)
 *   dW_g += dy[n, g] @ cols_g^T          (Og, K) = (Og, L) @ (L, K)
 *   db[o] = sum over n and L of dy[n, o] */
l2_status l2__conv2d_backward(l2__node *node, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "conv2d";
    const l2_tensor *x = node->saved[0], *w = node->saved[1];
    bool need_x = node->next[0].fn || node->next[0].leaf;
    bool need_w = node->next[1].fn || node->next[1].leaf;
    bool need_b = node->next[2].fn || node->next[2].leaf;
    conv_geom cg;
    check_nchw(op, x, &cg.n, &cg.c, &cg.h, &cg.w);
    cg.o = w->shape[0];
    cg.g.kh = w->shape[2];
    cg.g.kw = w->shape[3];
    conv_geom_fill(&cg, node->i);
    l2_dtype dt = x->dtype;
    size_t es = l2__esize(dt);
    l2_tensor *dy = l2__convert(op, gout, gout->dtype, true);
    l2_tensor *xc = NULL, *wc = NULL, *dx = NULL, *dw = NULL, *db = NULL;
    char *cols = NULL;
    if (!dy)
        goto fail;
    if (need_x && (!(wc = l2__convert(op, w, w->dtype, true)) ||
                   !(dx = l2__new(op, x->ndim, x->shape, dt, true))))
        goto fail;
    if (need_w && (!(xc = l2__convert(op, x, x->dtype, true)) ||
                   !(dw = l2__new(op, 4, w->shape, dt, true))))
        goto fail;
    if (need_b && !(db = l2__new(op, 1, &cg.o, dt, false)))
        goto fail;
    if ((need_x || need_w) && !cg.direct &&
        !(cols = l2__malloc((size_t)(cg.c * cg.g.kh * cg.g.kw * cg.l) * es + 1, op)))
        goto fail;

    for (int64_t n = 0; n < cg.n; n++) {
        const char *dyn = l2__data(dy) + (size_t)(n * cg.o * cg.l) * es;
        size_t xoff = (size_t)(n * cg.c * cg.h * cg.w) * es;
        if (need_x) {
            char *dxn = l2__data(dx) + xoff;
            char *cn = cg.direct ? dxn : cols;
            for (int64_t gi = 0; gi < cg.groups; gi++)
                gemm(dt, true, false, cg.k, cg.l, cg.og,
                     l2__data(wc) + (size_t)(gi * cg.og * cg.k) * es, cg.k,
                     dyn + (size_t)(gi * cg.og * cg.l) * es, cg.l, 0,
                     cn + (size_t)(gi * cg.k * cg.l) * es, cg.l);
            if (!cg.direct)
                col2im(dt, cols, dxn, &cg.g);
        }
        if (need_w) {
            const char *xn = l2__data(xc) + xoff, *cn = xn;
            if (!cg.direct) {
                im2col(dt, xn, cols, &cg.g);
                cn = cols;
            }
            for (int64_t gi = 0; gi < cg.groups; gi++)
                gemm(dt, false, true, cg.og, cg.k, cg.l, dyn + (size_t)(gi * cg.og * cg.l) * es,
                     cg.l, cn + (size_t)(gi * cg.k * cg.l) * es, cg.l, 1,
                     l2__data(dw) + (size_t)(gi * cg.og * cg.k) * es, cg.k);
        }
    }
    if (need_b) {
        L2__DISPATCH_FLOAT(dt, {
            const T *g = (const T *)l2__data(dy);
            T *bv = (T *)l2__data(db);
            for (int64_t o = 0; o < cg.o; o++) {
                double s = 0;
                for (int64_t n = 0; n < cg.n; n++)
                    for (int64_t l = 0; l < cg.l; l++)
                        s += g[(n * cg.o + o) * cg.l + l];
                bv[o] = (T)s;
            }
        });
    }
    l2__free(cols);
    l2_tensor_release(dy);
    l2_tensor_release(xc);
    l2_tensor_release(wc);
    gin[0] = dx;
    gin[1] = dw;
    gin[2] = db;
    return L2_OK;
fail:
    l2__free(cols);
    l2_tensor_release(dy);
    l2_tensor_release(xc);
    l2_tensor_release(wc);
    l2_tensor_release(dx);
    l2_tensor_release(dw);
    l2_tensor_release(db);
    return l2_last_status();
}

/* ---- pooling ----------------------------------------------------------------------------- */

/* Validate a pooling call and fill its window (dilation 1, ceil_mode false). */
static bool pool_setup(const char *op, const l2_tensor *x, const int64_t kernel[2],
                       const int64_t stride[2], const int64_t padding[2], win *g, int64_t *planes)
{
    int64_t n, k[2], s[2], p[2];
    char sh[L2__SHAPE_STR];
    L2__CHECK_T(x, false, op);
    L2__CHECK(kernel, false, L2_ERR_NULL, "%s: argument 'kernel' is NULL", op);
    if (!check_nchw(op, x, &n, &g->c, &g->h, &g->w))
        return false;
    L2__CHECK(g->c > 0 && g->h > 0 && g->w > 0, false, L2_ERR_SHAPE, "%s: expected input with "
              "non-zero channels and spatial size, got %s", op,
              l2__shape_str(sh, x->ndim, x->shape));
    pair(kernel, 0, 0, k);
    pair(stride, k[0], k[1], s);
    pair(padding, 0, 0, p);
    L2__CHECK(k[0] > 0 && k[1] > 0, false, L2_ERR_ARG, "%s: kernel size should be greater than "
              "zero, but got (%lld, %lld)", op, (long long)k[0], (long long)k[1]);
    L2__CHECK(s[0] > 0 && s[1] > 0, false, L2_ERR_ARG, "%s: stride should be greater than zero, "
              "but got (%lld, %lld)", op, (long long)s[0], (long long)s[1]);
    L2__CHECK(p[0] >= 0 && p[1] >= 0 && p[0] <= k[0] / 2 && p[1] <= k[1] / 2, false, L2_ERR_ARG,
              "%s: pad should be at most half of effective kernel size, but got pad=(%lld, "
              "%lld) and kernel_size=(%lld, %lld)", op, (long long)p[0], (long long)p[1],
              (long long)k[0], (long long)k[1]);
    *g = (win){g->c, g->h, g->w, k[0], k[1], s[0], s[1], p[0], p[1], 1, 1, 0, 0};
    g->oh = out_size(g->h, k[0], s[0], p[0], 1);
    g->ow = out_size(g->w, k[1], s[1], p[1], 1);
    L2__CHECK(g->oh != -2 && g->ow != -2, false, L2_ERR_OVERFLOW, "%s: padded input size "
              "(%lld + 2 * %lld, %lld + 2 * %lld) overflows int64", op, (long long)g->h,
              (long long)p[0], (long long)g->w, (long long)p[1]);
    L2__CHECK(g->oh > 0 && g->ow > 0, false, L2_ERR_SHAPE, "%s: given input size: (%lldx%lldx"
              "%lld) and kernel size (%lldx%lld); calculated output size: (%lldx%lldx%lld). "
              "Output size is too small", op, (long long)g->c, (long long)g->h, (long long)g->w,
              (long long)k[0], (long long)k[1], (long long)g->c,
              (long long)(g->oh < 0 ? 0 : g->oh), (long long)(g->ow < 0 ? 0 : g->ow));
    *planes = n * g->c;
    return true;
}

/* The output shape of a pooling: x's with the last two dims replaced by (P, Q). */
static void pool_shape(const l2_tensor *x, const win *g, int64_t *shape)
{
    memcpy(shape, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    shape[x->ndim - 2] = g->oh;
    shape[x->ndim - 1] = g->ow;
}

/* The window of a pooling node from its parameters and input / output shapes. */
static void pool_win_of(const l2__node *n, win *g, int64_t *planes)
{
    int nd = n->in_ndim[0];
    const int64_t *is = n->in_shape[0];
    *g = (win){is[nd - 3], is[nd - 2], is[nd - 1], n->i[0], n->i[1], n->i[2], n->i[3],
               n->i[4], n->i[5], 1, 1, n->out_shape[nd - 2], n->out_shape[nd - 1]};
    *planes = (nd == 4 ? is[0] : 1) * g->c;
}

static void pool_save_params(l2__node *n, const win *g)
{
    int64_t p[6] = {g->kh, g->kw, g->sh, g->sw, g->ph, g->pw};
    memcpy(n->i, p, sizeof p);
    n->ni = 6;
}

l2_tensor *l2_max_pool2d(const l2_tensor *x, const int64_t kernel[2], const int64_t stride[2],
                         const int64_t padding[2])
{
    const char *op = "max_pool2d";
    win g;
    int64_t planes, shape[4];
    if (!pool_setup(op, x, kernel, stride, padding, &g, &planes))
        return NULL;
    pool_shape(x, &g, shape);
    bool grad = l2__needs_grad(1, &x);
    l2_tensor *xc = l2__convert(op, x, x->dtype, true);
    l2_tensor *r = xc ? l2__new(op, x->ndim, shape, x->dtype, false) : NULL;
    int64_t *arg = NULL;
    if (r && grad)
        arg = l2__malloc(sizeof(int64_t) * (size_t)(planes * g.oh * g.ow) + 1, op);
    if (!r || (grad && !arg)) {
        l2_tensor_release(r);
        l2_tensor_release(xc);
        return NULL;
    }
    if (x->dtype == L2_FLOAT32)
        maxpool_f32((const float *)l2__data(xc), (float *)l2__data(r), arg, planes, &g);
    else
        maxpool_f64((const double *)l2__data(xc), (double *)l2__data(r), arg, planes, &g);
    l2_tensor_release(xc);
    if (grad) {
        l2__node *node = l2__record(L2__OP_MAX_POOL2D, r, 1, &x);
        if (!node) {
            l2__free(arg);
            l2_tensor_release(r);
            return NULL;
        }
        pool_save_params(node, &g);
        node->extra = arg;
    }
    return l2__ret(r);
}

/* dx[argmax] += dy: each output's gradient goes to the (first) maximum of its window. */
l2_status l2__max_pool2d_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "max_pool2d";
    win g;
    int64_t planes;
    pool_win_of(n, &g, &planes);
    l2_tensor *dy = l2__convert(op, gout, gout->dtype, true);
    l2_tensor *dx = dy ? l2__new(op, n->in_ndim[0], n->in_shape[0], gout->dtype, true) : NULL;
    if (!dx) {
        l2_tensor_release(dy);
        return l2_last_status();
    }
    const int64_t *arg = n->extra;
    if (dx->dtype == L2_FLOAT32)
        maxpool_bwd_f32((const float *)l2__data(dy), arg, (float *)l2__data(dx), planes,
                        g.h * g.w, g.oh * g.ow);
    else
        maxpool_bwd_f64((const double *)l2__data(dy), arg, (double *)l2__data(dx), planes,
                        g.h * g.w, g.oh * g.ow);
    l2_tensor_release(dy);
    gin[0] = dx;
    return L2_OK;
}

/* Run the average-type kernel (adaptive or not) forwards (x -> y) or backwards (dy -> dx). */
static void run_avg(bool adaptive, l2_dtype dt, const char *in, char *out, int64_t planes,
                    const win *g, bool bwd)
{
    if (dt == L2_FLOAT32) {
        if (adaptive)
            adaptive_f32((const float *)in, (float *)out, planes, g, bwd);
        else
            avgpool_f32((const float *)in, (float *)out, planes, g, bwd);
    } else {
        if (adaptive)
            adaptive_f64((const double *)in, (double *)out, planes, g, bwd);
        else
            avgpool_f64((const double *)in, (double *)out, planes, g, bwd);
    }
}

/* Shared forward of avg_pool2d and adaptive_avg_pool2d once the window is known. */
static l2_tensor *avg_forward(const char *op, l2__op node_op, const l2_tensor *x, const win *g,
                              int64_t planes, bool adaptive)
{
    int64_t shape[4];
    pool_shape(x, g, shape);
    l2_tensor *xc = l2__convert(op, x, x->dtype, true);
    l2_tensor *r = xc ? l2__new(op, x->ndim, shape, x->dtype, false) : NULL;
    if (!r) {
        l2_tensor_release(xc);
        return NULL;
    }
    run_avg(adaptive, x->dtype, l2__data(xc), l2__data(r), planes, g, false);
    l2_tensor_release(xc);
    if (l2__needs_grad(1, &x)) {
        l2__node *node = l2__record(node_op, r, 1, &x);
        if (!node) {
            l2_tensor_release(r);
            return NULL;
        }
        pool_save_params(node, g);
    }
    return l2__ret(r);
}

/* Shared backward: dx = the adjoint of the averaging applied to dy. */
static l2_status avg_backward(const char *op, l2__node *n, const l2_tensor *gout, l2_tensor **gin,
                              bool adaptive)
{
    win g;
    int64_t planes;
    pool_win_of(n, &g, &planes);
    l2_tensor *dy = l2__convert(op, gout, gout->dtype, true);
    l2_tensor *dx = dy ? l2__new(op, n->in_ndim[0], n->in_shape[0], gout->dtype, true) : NULL;
    if (!dx) {
        l2_tensor_release(dy);
        return l2_last_status();
    }
    run_avg(adaptive, dx->dtype, l2__data(dy), l2__data(dx), planes, &g, true);
    l2_tensor_release(dy);
    gin[0] = dx;
    return L2_OK;
}

l2_tensor *l2_avg_pool2d(const l2_tensor *x, const int64_t kernel[2], const int64_t stride[2],
                         const int64_t padding[2])
{
    const char *op = "avg_pool2d";
    win g;
    int64_t planes;
    if (!pool_setup(op, x, kernel, stride, padding, &g, &planes))
        return NULL;
    return avg_forward(op, L2__OP_AVG_POOL2D, x, &g, planes, false);
}

/* dx[window] += dy / (kH kW) for every output (padding cells count in the divisor). */
l2_status l2__avg_pool2d_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return avg_backward("avg_pool2d", n, gout, gin, false);
}

l2_tensor *l2_adaptive_avg_pool2d(const l2_tensor *x, const int64_t output_size[2])
{
    const char *op = "adaptive_avg_pool2d";
    char sh[L2__SHAPE_STR];
    L2__CHECK_T(x, NULL, op);
    L2__CHECK(output_size, NULL, L2_ERR_NULL, "%s: argument 'output_size' is NULL", op);
    win g = {0};
    int64_t n;
    if (!check_nchw(op, x, &n, &g.c, &g.h, &g.w))
        return NULL;
    L2__CHECK(g.c > 0 && g.h > 0 && g.w > 0, NULL, L2_ERR_SHAPE, "%s: expected input to have "
              "non-zero size for non-batch dimensions, but input has shape %s", op,
              l2__shape_str(sh, x->ndim, x->shape));
    L2__CHECK(output_size[0] >= 0 && output_size[1] >= 0, NULL, L2_ERR_ARG, "%s: output size "
              "must be non-negative, got (%lld, %lld)", op, (long long)output_size[0],
              (long long)output_size[1]);
    g.oh = output_size[0];
    g.ow = output_size[1];
    /* The windows are computed as (i + 1) H + P - 1 over P; that must fit in int64. The output
     * shape itself is checked when it is allocated. */
    int64_t t1, t2;
    L2__CHECK(!l2__mul_ovf(g.oh, g.h + 1, &t1) && !l2__mul_ovf(g.ow, g.w + 1, &t2), NULL,
              L2_ERR_OVERFLOW, "%s: output size (%lld, %lld) for input size (%lld, %lld) "
              "overflows int64 window arithmetic", op, (long long)g.oh, (long long)g.ow,
              (long long)g.h, (long long)g.w);
    return avg_forward(op, L2__OP_ADAPTIVE_AVG_POOL2D, x, &g, n * g.c, true);
}

/* dx[rows(i), cols(j)] += dy[i, j] / area(i, j) with torch's adaptive windows. */
l2_status l2__adaptive_avg_pool2d_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return avg_backward("adaptive_avg_pool2d", n, gout, gin, true);
}

/* ---- constant padding -------------------------------------------------------------------- */

/* Per dim d of a pad: where x's kept part starts in x (src) and in the result (dst), and its
 * length; npad pads apply to the last npad/2 dims, last dim first. Returns the first dim whose
 * arithmetic overflows int64 (a pad of INT64_MIN, or a result size beyond INT64_MAX), or -1. */
static int pad_regions(int ndim, const int64_t *shape, int npad, const int64_t *pad,
                       int64_t *src, int64_t *dst, int64_t *len, int64_t *out)
{
    for (int d = 0; d < ndim; d++) {
        int k = 2 * (ndim - 1 - d);
        int64_t lo = k < npad ? pad[k] : 0, hi = k + 1 < npad ? pad[k + 1] : 0;
        int64_t cut_hi;
        if (l2__add_ovf(shape[d], lo, &out[d]) || l2__add_ovf(out[d], hi, &out[d]) ||
            l2__sub_ovf(0, lo < 0 ? lo : 0, &src[d]) || l2__sub_ovf(0, hi < 0 ? hi : 0, &cut_hi))
            return d;
        dst[d] = lo > 0 ? lo : 0;
        /* shape - src - cut_hi: both subtrahends are >= 0, so only a huge cut can go below. */
        if (l2__sub_ovf(shape[d], src[d], &len[d]) || l2__sub_ovf(len[d], cut_hi, &len[d]))
            len[d] = 0;
        if (len[d] < 0)
            len[d] = 0;
    }
    return -1;
}

/* A view of t over the box start[d] .. start[d] + len[d]. */
static l2_tensor *box(const l2_tensor *t, const int64_t *start, const int64_t *len)
{
    int64_t off = t->offset;
    for (int d = 0; d < t->ndim; d++)
        off += start[d] * t->stride[d]; /* inside t: the box is non-empty (callers check) */
    return l2__alias(t, t->ndim, len, t->stride, off);
}

l2_tensor *l2_pad(const l2_tensor *x, int npad, const int64_t *pad, double value)
{
    const char *op = "pad";
    L2__CHECK_T(x, NULL, op);
    L2__CHECK(npad >= 0 && npad % 2 == 0, NULL, L2_ERR_ARG, "%s: padding length must be even "
              "and non-negative (got %d)", op, npad);
    L2__CHECK(npad / 2 <= x->ndim, NULL, L2_ERR_ARG, "%s: padding length %d is too large for a "
              "tensor of rank %d (at most %d)", op, npad, x->ndim, 2 * x->ndim);
    L2__CHECK(npad == 0 || pad, NULL, L2_ERR_NULL, "%s: argument 'pad' is NULL", op);
    int64_t src[L2_MAX_DIMS], dst[L2_MAX_DIMS], len[L2_MAX_DIMS], out[L2_MAX_DIMS];
    int bad = pad_regions(x->ndim, x->shape, npad, pad, src, dst, len, out);
    L2__CHECK(bad < 0, NULL, L2_ERR_OVERFLOW, "%s: padding (%lld, %lld) of dimension %d (size "
              "%lld) overflows int64", op, (long long)pad[2 * (x->ndim - 1 - bad)],
              (long long)pad[2 * (x->ndim - 1 - bad) + 1], bad, (long long)x->shape[bad]);
    /* torch 1.13's rules: negative pads narrow first (a negative length is an error); when any
     * pad is positive, every padded dim must come out with size > 0. */
    bool all_nonpos = true;
    for (int k = 0; k < npad; k++)
        all_nonpos &= pad[k] <= 0;
    for (int d = 0; d < x->ndim; d++) {
        int k = 2 * (x->ndim - 1 - d);
        if (k >= npad)
            continue;
        int64_t cur = x->shape[d];
        bool ok = (pad[k] >= 0 || (cur += pad[k]) >= 0) &&
                  (pad[k + 1] >= 0 || (cur += pad[k + 1]) >= 0) && (all_nonpos || out[d] > 0);
        L2__CHECK(ok, NULL, L2_ERR_SHAPE, "%s: the input size %lld, plus negative padding %lld "
                  "and %lld resulted in a negative output size, which is invalid. Check "
                  "dimension %d of your input", op, (long long)x->shape[d], (long long)pad[k],
                  (long long)pad[k + 1], d);
    }
    l2_tensor *r = l2__new(op, x->ndim, out, x->dtype, false);
    if (!r)
        return NULL;
    int64_t total = l2__numel(r->ndim, r->shape), kept = l2__numel(x->ndim, len);
    l2_tensor *from = kept ? box(x, src, len) : NULL, *to = kept ? box(r, dst, len) : NULL;
    if (kept && (!from || !to))
        goto fail;
    char cell[8];
    l2__store(cell, x->dtype, value); /* converted as l2_full converts */
    L2__DISPATCH(x->dtype, {
        T v;
        memcpy(&v, cell, sizeof v);
        T *o = (T *)l2__data(r);
        for (int64_t k = 0; k < total; k++)
            o[k] = v;
    });
    if (kept)
        l2__copy_kernel(to, from);
    l2_tensor_release(from);
    l2_tensor_release(to);
    if (l2__is_float(x->dtype) && l2__needs_grad(1, &x)) {
        l2__node *node = l2__record(L2__OP_CONSTANT_PAD_ND, r, 1, &x);
        if (!node) {
            l2_tensor_release(r);
            return NULL;
        }
        node->i[0] = npad;
        memcpy(node->i + 1, pad, sizeof(int64_t) * (size_t)npad);
        node->ni = 1 + npad;
    }
    return l2__ret(r);
fail:
    l2_tensor_release(from);
    l2_tensor_release(to);
    l2_tensor_release(r);
    return NULL;
}

/* dx = dy over the kept box (the interior for positive pads), 0 where x was cropped away. */
l2_status l2__constant_pad_nd_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int nd = n->in_ndim[0];
    int64_t src[L2_MAX_DIMS], dst[L2_MAX_DIMS], len[L2_MAX_DIMS], out[L2_MAX_DIMS];
    (void)pad_regions(nd, n->in_shape[0], (int)n->i[0], n->i + 1, src, dst, len, out);
    l2_tensor *dx = l2__new("pad", nd, n->in_shape[0], gout->dtype, true);
    if (!dx)
        return l2_last_status();
    if (l2__numel(nd, len) > 0) {
        l2_tensor *from = box(gout, dst, len), *to = from ? box(dx, src, len) : NULL;
        if (!to) {
            l2_tensor_release(from);
            l2_tensor_release(dx);
            return l2_last_status();
        }
        l2__copy_kernel(to, from);
        l2_tensor_release(from);
        l2_tensor_release(to);
    }
    gin[0] = dx;
    return L2_OK;
}
