/* conv2d.c: 2-d convolution (im2col + OpenBLAS gemm) and its backward. Float32 and float64, NCHW
 * or unbatched CHW, with stride, padding, dilation and groups; samples in blocks (one GEMM per
 * block and group) split over threads. Not here: transposed or 1-d/3-d convolution. Letters:
 * N batch, C input channels, O output channels, H,W input size, P,Q output size, L = P*Q output
 * positions, K = (C/groups)*kH*kW rows of the im2col matrix. */
#include "conv-impl.h"
#include "gemm.h" /* gemm (issue 12) */

#include <cblas.h>
#include <limits.h>
#include <string.h>

/* ---- kernels (float and double) ---------------------------------------------------------- */

/* The output columns ox whose input column ox*s + off lies in [0, w): [*lo, *hi), clamped to
 * [0, ow) (empty when none does). The rest of an im2col row is padding. */
static inline void col_range(int64_t off, int64_t s, int64_t w, int64_t ow, int64_t *lo,
                             int64_t *hi)
{
    int64_t a = off >= 0 ? 0 : -off / s + (-off % s != 0); /* ceil(-off / s), no overflow */
    int64_t b = off >= w ? 0 : (w - 1 - off) / s + 1;
    a = a < ow ? a : ow;
    b = b < ow ? b : ow;
    *lo = a;
    *hi = b > a ? b : a;
}

/* cols (C*kH*kW, L), rows ld apart (ld >= L: several samples side by side): row (c, i, j),
 * column (y, x) holds x[c, y*sh - ph + i*dh, x*sw - pw + j*dw] or 0 in the padding. Row by
 * row: each output row of a column-matrix row is a shifted copy of one input row (a plain copy
 * for stride 1, a strided gather otherwise) between zeroed padded edges, with no per-element
 * bounds check. The rows are short (14 and 28 in the CNN) and the edges a pad wide, so they
 * are loops, not memset/memcpy calls (GCC would turn the loops back into calls: the attribute
 * stops it). Split over the C*kH*kW rows (one thread inside the driver's sample split). */
#if defined(__GNUC__) && !defined(__clang__)
#define L2__NO_LIBCALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define L2__NO_LIBCALLS
#endif
#define L2__IM2COL(SUF, T)                                                                   \
    L2__NO_LIBCALLS static void im2col_##SUF(const T *x, T *cols, int64_t ld, const win *g)  \
    {                                                                                        \
        int64_t L = g->oh * g->ow, ow = g->ow, kk = g->kh * g->kw, rows = g->c * kk;         \
        int nt = l2__threads_for(l2__mul_sat(rows, L));                                      \
        _Pragma("omp parallel for num_threads(nt) schedule(static) if (nt > 1)")             \
        for (int64_t rr = 0; rr < rows; rr++) {                                              \
            int64_t c = rr / kk, i = rr % kk / g->kw, j = rr % g->kw;                        \
            const T *xc = x + c * g->h * g->w;                                               \
            T *row = cols + rr * ld;                                                         \
            int64_t off = j * g->dw - g->pw, lo, hi;                                         \
            off += g->pw > 0 && l2__fault("conv_pad"); /* mutation test */                   \
            col_range(off, g->sw, g->w, ow, &lo, &hi);                                       \
            /* mutation test: the copy one element short at the padded right edge */         \
            hi -= hi > lo && hi < ow && l2__fault("im2col_row");                             \
            for (int64_t oy = 0; oy < g->oh; oy++) {                                         \
                int64_t iy = oy * g->sh - g->ph + i * g->dh;                                 \
                T *r = row + oy * ow;                                                        \
                if (iy < 0 || iy >= g->h) {                                                  \
                    _Pragma("omp simd")                                                      \
                    for (int64_t ox = 0; ox < ow; ox++)                                      \
                        r[ox] = 0;                                                           \
                    continue;                                                                \
                }                                                                            \
                const T *xr = xc + iy * g->w;                                                \
                for (int64_t ox = 0; ox < lo; ox++)                                          \
                    r[ox] = 0;                                                               \
                if (g->sw == 1) {                                                            \
                    const T *xs = xr + off;                                                  \
                    _Pragma("omp simd")                                                      \
                    for (int64_t ox = lo; ox < hi; ox++)                                     \
                        r[ox] = xs[ox];                                                      \
                } else {                                                                     \
                    for (int64_t ox = lo; ox < hi; ox++)                                     \
                        r[ox] = xr[ox * g->sw + off];                                        \
                }                                                                            \
                for (int64_t ox = hi; ox < ow; ox++)                                         \
                    r[ox] = 0;                                                               \
            }                                                                                \
        }                                                                                    \
    }

/* The adjoint of im2col: dx[c, y*sh - ph + i*dh, x*sw - pw + j*dw] += cols[(c,i,j), (y,x)],
 * row by row over the in-bounds columns (a contiguous row add for stride 1). Channels never
 * collide, so the split over channels is safe. */
#define L2__COL2IM(SUF, T)                                                                   \
    static void col2im_##SUF(const T *cols, int64_t ld, T *dx, const win *g)                 \
    {                                                                                        \
        int64_t L = g->oh * g->ow, ow = g->ow;                                               \
        int nt = l2__threads_for(l2__mul_sat(g->c * g->kh * g->kw, L));                      \
        _Pragma("omp parallel for num_threads(nt) schedule(static) if (nt > 1)")             \
        for (int64_t c = 0; c < g->c; c++) {                                                 \
            T *xc = dx + c * g->h * g->w;                                                    \
            for (int64_t i = 0; i < g->kh; i++)                                              \
                for (int64_t j = 0; j < g->kw; j++) {                                        \
                    const T *row = cols + ((c * g->kh + i) * g->kw + j) * ld;                \
                    int64_t off = j * g->dw - g->pw, lo, hi;                                 \
                    col_range(off, g->sw, g->w, ow, &lo, &hi);                               \
                    for (int64_t oy = 0; oy < g->oh; oy++) {                                 \
                        int64_t iy = oy * g->sh - g->ph + i * g->dh;                         \
                        if (iy < 0 || iy >= g->h || hi == lo)                                \
                            continue;                                                        \
                        const T *r = row + oy * ow;                                          \
                        T *xr = xc + iy * g->w;                                              \
                        if (g->sw == 1) {                                                    \
                            T *restrict d = xr + (lo + off);                                 \
                            const T *restrict s = r + lo;                                    \
                            for (int64_t k = 0; k < hi - lo; k++)                            \
                                d[k] += s[k];                                                \
                        } else {                                                             \
                            for (int64_t ox = lo; ox < hi; ox++)                             \
                                xr[ox * g->sw + off] += r[ox];                               \
                        }                                                                    \
                    }                                                                        \
                }                                                                            \
        }                                                                                    \
    }

L2__IM2COL(f32, float)
L2__IM2COL(f64, double)
L2__COL2IM(f32, float)
L2__COL2IM(f64, double)

/* Dtype-generic entry points: data pointers are char * and dt picks the instance. */
/* The same-size case (stride 1, dilation 1, output size = input size: 2 pad = k - 1 on both
 * axes, the CNN's 3x3 padding 1): row (c, i, j) of cols is channel c shifted by (i - pH) rows
 * and (j - pW) columns. One contiguous copy of the span from the first to the last valid cell,
 * then zeros over the rows wholly in the padding and over the few columns at each row's edges
 * that the flat copy filled with the neighbouring row's cells. */
#define L2__IM2COL_SAME(SUF, T)                                                              \
    L2__NO_LIBCALLS L2__CONV_HOT static void im2col_same_##SUF(const T *x, T *cols,          \
                                                               int64_t ld, const win *g)     \
    {                                                                                        \
        int64_t h = g->h, w = g->w, kk = g->kh * g->kw, rows = g->c * kk, L = h * w;         \
        int nt = l2__threads_for(l2__mul_sat(rows, L));                                      \
        _Pragma("omp parallel for num_threads(nt) schedule(static) if (nt > 1)")             \
        for (int64_t rr = 0; rr < rows; rr++) {                                              \
            int64_t c = rr / kk, di = rr % kk / g->kw - g->ph, dj = rr % g->kw - g->pw;      \
            const T *xs = x + c * L + di * w + dj; /* xs[y w + x]: the shifted cell */      \
            T *row = cols + rr * ld;                                                         \
            int64_t y0 = di < 0 ? -di : 0, y1 = di > 0 ? h - di : h;                         \
            int64_t x0 = dj < 0 ? -dj : 0, x1 = dj > 0 ? w - dj : w;                         \
            int64_t s = y0 * w + x0, e = (y1 - 1) * w + x1;                                  \
            if (y1 <= y0 || x1 <= x0) { /* wholly in the padding */                          \
                for (int64_t k = 0; k < L; k++)                                              \
                    row[k] = 0;                                                              \
                continue;                                                                    \
            }                                                                                \
            for (int64_t k = 0; k < s; k++)                                                  \
                row[k] = 0;                                                                  \
            _Pragma("omp simd")                                                              \
            for (int64_t k = s; k < e; k++)                                                  \
                row[k] = xs[k];                                                              \
            for (int64_t k = e; k < L; k++)                                                  \
                row[k] = 0;                                                                  \
            /* mutation test: the right edge's wrapped cells left in place */                \
            int64_t xe = l2__fault("im2col_same") ? w : x1;                                  \
            for (int64_t y = y0; y < y1; y++) {                                              \
                for (int64_t k = 0; k < x0; k++)                                             \
                    row[y * w + k] = 0;                                                      \
                for (int64_t k = xe; k < w; k++)                                             \
                    row[y * w + k] = 0;                                                      \
            }                                                                                \
        }                                                                                    \
    }

L2__IM2COL_SAME(f32, float)
L2__IM2COL_SAME(f64, double)

/* col2im for the same-size case: row (c, i, j) of cols adds into channel c shifted by
 * (i - pH, j - pW). The row's cells that map outside the image at the left and right edges are
 * zeroed in cols first (cols is the backward's scratch), then the whole valid span is one flat
 * add: the zeroed cells add +0 to their row neighbours, which changes nothing (dx starts at +0
 * and only receives sums, so no cell is -0), and each cell of dx receives the same terms in the
 * same order as in col2im. Channels never collide, so the split over them is safe. */
#define L2__COL2IM_SAME(SUF, T)                                                              \
    L2__NO_LIBCALLS L2__CONV_HOT static void col2im_same_##SUF(T *cols, int64_t ld, T *dx,   \
                                                               const win *g)                 \
    {                                                                                        \
        int64_t h = g->h, w = g->w, L = h * w;                                               \
        int nt = l2__threads_for(l2__mul_sat(g->c * g->kh * g->kw, L));                      \
        /* mutation test: the wrapped cells at the right edge added to the next row */        \
        const bool keep_wrapped = l2__fault("col2im_same");                                  \
        _Pragma("omp parallel for num_threads(nt) schedule(static) if (nt > 1)")             \
        for (int64_t c = 0; c < g->c; c++) {                                                 \
            for (int64_t ij = 0; ij < g->kh * g->kw; ij++) {                                 \
                int64_t di = ij / g->kw - g->ph, dj = ij % g->kw - g->pw;                    \
                T *row = cols + (c * g->kh * g->kw + ij) * ld;                               \
                T *xs = dx + c * L + di * w + dj; /* xs[y w + x]: the shifted cell */        \
                int64_t y0 = di < 0 ? -di : 0, y1 = di > 0 ? h - di : h;                     \
                int64_t x0 = dj < 0 ? -dj : 0, x1 = dj > 0 ? w - dj : w;                     \
                if (y1 <= y0 || x1 <= x0)                                                    \
                    continue;                                                                \
                int64_t xe = keep_wrapped ? w : x1;                                          \
                for (int64_t y = y0; y < y1; y++) {                                          \
                    for (int64_t k = 0; k < x0; k++)                                         \
                        row[y * w + k] = 0;                                                  \
                    for (int64_t k = xe; k < w; k++)                                         \
                        row[y * w + k] = 0;                                                  \
                }                                                                            \
                int64_t s = y0 * w + x0, e = (y1 - 1) * w + x1;                              \
                _Pragma("omp simd")                                                          \
                for (int64_t k = s; k < e; k++)                                              \
                    xs[k] += row[k];                                                         \
            }                                                                                \
        }                                                                                    \
    }

L2__COL2IM_SAME(f32, float)
L2__COL2IM_SAME(f64, double)

/* True when g is the same-size case above. */
static bool same_size(const win *g)
{
    return g->sh == 1 && g->sw == 1 && g->dh == 1 && g->dw == 1 && g->oh == g->h &&
           g->ow == g->w;
}

static void im2col(l2_dtype dt, const char *x, char *cols, int64_t ld, const win *g)
{
    bool same = same_size(g);
    if (dt == L2_FLOAT32 && same)
        im2col_same_f32((const float *)x, (float *)cols, ld, g);
    else if (dt == L2_FLOAT32)
        im2col_f32((const float *)x, (float *)cols, ld, g);
    else if (same)
        im2col_same_f64((const double *)x, (double *)cols, ld, g);
    else
        im2col_f64((const double *)x, (double *)cols, ld, g);
}

/* With `flat` (conv2d's backward: cols is scratch and dx starts at +0) the same-size case runs
 * col2im_same, which zeroes cells of cols; else the row-by-row col2im, which only reads it (a
 * dx holding a bias, -0 included, keeps it exactly). */
static void col2im(l2_dtype dt, char *cols, int64_t ld, char *dx, const win *g, bool flat)
{
    bool same = flat && same_size(g);
    if (dt == L2_FLOAT32 && same)
        col2im_same_f32((float *)cols, ld, (float *)dx, g);
    else if (same)
        col2im_same_f64((double *)cols, ld, (double *)dx, g);
    else if (dt == L2_FLOAT32)
        col2im_f32((const float *)cols, ld, (float *)dx, g);
    else
        col2im_f64((const double *)cols, ld, (double *)dx, g);
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

/* ---- the batched driver ------------------------------------------------------------------ */

/* Samples go in blocks of up to `gmax`: the block's column matrices sit side by side in one
 * (C*kH*kW, gs*L) matrix, so each group of channels runs one GEMM over gs*L columns instead of
 * gs GEMMs over L. Threads split the samples into contiguous slots, each with its own buffers;
 * BLAS runs single-threaded inside them. */


/* y[s0 + s, o0 + o, :] = t[o, s*L : (s+1)*L] + b[o0 + o] for the gs samples of a block, with
 * t (og, gs*L) a GEMM result; t may be y itself when gs == 1 (then only the bias is added). */
#define L2__CONV_SCATTER(SUF, T)                                                             \
    L2__CONV_HOT static void scatter_##SUF(const T *t, int64_t gs, int64_t og, int64_t l,    \
                                           T *y, int64_t oall, int64_t o0, const T *b)       \
    {                                                                                        \
        for (int64_t s = 0; s < gs; s++)                                                     \
            for (int64_t o = 0; o < og; o++) {                                               \
                int64_t bo = o0 + o;                                                         \
                /* mutation test: the bias of the next channel */                            \
                bo += bo + 1 < oall && l2__fault("conv_bias");                               \
                T bv = b ? b[bo] : 0;                                                        \
                const T *src = t + (o * gs + s) * l;                                         \
                T *dst = y + (s * oall + o0 + o) * l;                                        \
                _Pragma("omp simd")                                                          \
                for (int64_t k = 0; k < l; k++)                                              \
                    dst[k] = src[k] + bv;                                                    \
            }                                                                                \
    }
L2__CONV_SCATTER(f32, float)
L2__CONV_SCATTER(f64, double)

static void scatter(l2_dtype dt, const char *t, int64_t gs, int64_t og, int64_t l, char *y,
                    int64_t oall, int64_t o0, const char *b)
{
    if (dt == L2_FLOAT32)
        scatter_f32((const float *)t, gs, og, l, (float *)y, oall, o0, (const float *)b);
    else
        scatter_f64((const double *)t, gs, og, l, (double *)y, oall, o0, (const double *)b);
}

/* The inverse gather without bias: t (oall, gs*L) from dy[s0 .. s0+gs) (N, O, L). */
static void gather(size_t es, const char *dy, int64_t gs, int64_t oall, int64_t l, char *t)
{
    for (int64_t o = 0; o < oall; o++)
        for (int64_t s = 0; s < gs; s++)
            memcpy(t + (size_t)((o * gs + s) * l) * es, dy + (size_t)((s * oall + o) * l) * es,
                   (size_t)l * es);
}

/* Samples per block: as many column matrices as fit in L2__CONV_COLS_BYTES (at least one, at
 * most `most`); one on the direct path, which has no column matrix. */
static int64_t block_samples(const conv_geom *cg, size_t es, int64_t most)
{
    if (cg->direct || most < 2)
        return 1;
    int64_t per = cg->k * cg->groups * cg->l * (int64_t)es; /* fits: checked by the call */
    int64_t g = L2__CONV_COLS_BYTES / per;
    return g < 1 ? 1 : g > most ? most : g;
}

/* Threads for `work` multiply-adds over `slots` sample ranges. */
static int conv_threads(int64_t work, int64_t slots)
{
    int nt = l2__threads_grain(work, L2__CONV_GRAIN);
    return nt > slots ? (int)(slots > 0 ? slots : 1) : nt;
}

/* dw (n) = the sum of the slots' partials p[0 .. slots) (n each), added in slot order. */
static void sum_slots(l2_dtype dt, const char *p, int64_t slots, int64_t n, char *dw)
{
    L2__DISPATCH_FLOAT(dt, {
        const T *pv = (const T *)p;
        T *d = (T *)dw;
        for (int64_t i = 0; i < n; i++) {
            T acc = pv[i];
            for (int64_t sl = 1; sl < slots; sl++)
                acc += pv[sl * n + i];
            d[i] = acc;
        }
    });
}

/* Bytes of nt per-thread buffer sets of `per` bytes each and `extra` more (and one, so never
 * 0), saturating: an impossible size fails in the allocator. */
static size_t slot_bytes(size_t per, int64_t nt, size_t extra)
{
    int64_t r;
    if (l2__mul_ovf((int64_t)per, nt, &r) || l2__add_ovf(r, (int64_t)extra, &r) ||
        l2__add_ovf(r, 1, &r))
        r = INT64_MAX;
    return (size_t)r;
}

/* What one forward or backward call shares with its workers. */
typedef struct {
    l2_dtype dt;
    size_t es;
    const conv_geom *cg;
    int64_t gmax;                  /* samples per block */
    const char *x, *w, *b, *dy;    /* b may be NULL */
    char *y, *dx;                  /* y (forward), dx (backward; NULL when not needed) */
} conv_job;

/* The next block of samples [s0, s0 + *gs) within [s0, n1); false when a mutation test skips
 * the last, partial block. */
static bool next_block(const conv_job *j, int64_t s0, int64_t n1, int64_t *gs)
{
    *gs = n1 - s0 < j->gmax ? n1 - s0 : j->gmax;
    /* mutation test: the partial last block of a slot is skipped */
    return !(*gs < j->gmax && l2__fault("conv_group_tail"));
}

/* im2col of samples [s0, s0 + gs) side by side into cols (C*kH*kW, gs*L); the direct path's
 * column matrix is the sample itself. */
static const char *block_cols(const conv_job *j, int64_t s0, int64_t gs, char *cols)
{
    const conv_geom *cg = j->cg;
    size_t xs = (size_t)(cg->c * cg->h * cg->w) * j->es;
    if (cg->direct)
        return j->x + (size_t)s0 * xs;
    for (int64_t s = 0; s < gs; s++)
        im2col(j->dt, j->x + (size_t)(s0 + s) * xs, cols + (size_t)(s * cg->l) * j->es,
               gs * cg->l, &cg->g);
    return cols;
}

/* Forward over samples [n0, n1): per block and group g,
 * t (Og, gs*L) = W_g (Og, K) @ cols_g (K, gs*L), scattered to y with the bias added. A block of
 * one sample writes y directly (ld = L) and adds the bias in place. */
static void conv_fwd_slot(const conv_job *j, int64_t n0, int64_t n1, char *cols, char *t)
{
    const conv_geom *cg = j->cg;
    size_t es = j->es;
    for (int64_t s0 = n0, gs; s0 < n1; s0 += gs) {
        if (!next_block(j, s0, n1, &gs))
            continue;
        int64_t ld = gs * cg->l;
        const char *cn = block_cols(j, s0, gs, cols);
        char *ys = j->y + (size_t)(s0 * cg->o * cg->l) * es;
        for (int64_t gi = 0; gi < cg->groups; gi++) {
            char *dst = gs == 1 ? ys + (size_t)(gi * cg->og * cg->l) * es : t;
            l2__conv_gemm(j->dt, false, false, cg->og, ld, cg->k,
                 j->w + (size_t)(gi * cg->og * cg->k) * es, cg->k,
                 cn + (size_t)(gi * cg->k * ld) * es, ld, 0, dst, ld);
            if (gs > 1 || j->b)
                scatter(j->dt, dst, gs, cg->og, cg->l, ys, cg->o, gi * cg->og, j->b);
        }
    }
}

/* Backward over samples [n0, n1): per block, with dyb = dy of the block as (O, gs*L),
 *   pw_g (Og, K) (+)= dyb_g (Og, gs*L) @ cols_g^T      (the first block writes, later add)
 *   cols_g (K, gs*L) = W_g^T (K, Og) @ dyb_g, then col2im into dx per sample.
 * pw is this slot's partial dW (NULL when not needed). */
static void conv_bwd_slot(const conv_job *j, int64_t n0, int64_t n1, char *cols, char *t,
                          char *pw)
{
    const conv_geom *cg = j->cg;
    size_t es = j->es;
    bool first = true;
    for (int64_t s0 = n0, gs; s0 < n1; s0 += gs) {
        if (!next_block(j, s0, n1, &gs))
            continue;
        int64_t ld = gs * cg->l;
        const char *dyb = j->dy + (size_t)(s0 * cg->o * cg->l) * es;
        if (gs > 1) {
            gather(es, dyb, gs, cg->o, cg->l, t);
            dyb = t;
        }
        if (pw) {
            const char *cn = block_cols(j, s0, gs, cols);
            for (int64_t gi = 0; gi < cg->groups; gi++)
                l2__conv_gemm(j->dt, false, true, cg->og, cg->k, ld,
                              dyb + (size_t)(gi * cg->og * ld) * es, ld,
                              cn + (size_t)(gi * cg->k * ld) * es, ld, first ? 0 : 1,
                              pw + (size_t)(gi * cg->og * cg->k) * es, cg->k);
            first = false;
        }
        if (j->dx) {
            size_t xs = (size_t)(cg->c * cg->h * cg->w) * es;
            char *dc = cg->direct ? j->dx + (size_t)s0 * xs : cols;
            for (int64_t gi = 0; gi < cg->groups; gi++)
                l2__conv_gemm(j->dt, true, false, cg->k, ld, cg->og,
                     j->w + (size_t)(gi * cg->og * cg->k) * es, cg->k,
                     dyb + (size_t)(gi * cg->og * ld) * es, ld, 0,
                     dc + (size_t)(gi * cg->k * ld) * es, ld);
            if (!cg->direct)
                for (int64_t s = 0; s < gs; s++)
                    col2im(j->dt, cols + (size_t)(s * cg->l) * es, ld,
                           j->dx + (size_t)(s0 + s) * xs, &cg->g, true);
        }
    }
}

l2_tensor *l2_conv2d(const l2_tensor *x, const l2_tensor *w, const l2_tensor *b,
                     const int64_t stride[2], const int64_t padding[2],
                     const int64_t dilation[2], int64_t groups)
{
    L2__HALF_ROUTE(l2_conv2d(H_[0], H_[1], H_[2], stride, padding, dilation, groups), x, w, b);
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
    L2__CHECK(
        cg.g.oh > 0 && cg.g.ow > 0, NULL, L2_ERR_SHAPE,
        "%s: calculated padded input size "
        "per channel: (%lld x %lld). Kernel size: (%lld x %lld) (dilated). Kernel size "
        "can't be greater than actual input size",
        op, (long long)l2__conv_padded_sat(cg.h, p[2]), (long long)l2__conv_padded_sat(cg.w, p[3]),
        (long long)l2__conv_span_sat(cg.g.kh, p[4]), (long long)l2__conv_span_sat(cg.g.kw, p[5]));
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
    l2__conv_io io;
    bool ok = l2__conv_io_start(op, &io, x, w, b, rank, osh);
    size_t es = l2__esize(x->dtype);
    int nt = conv_threads(l2__mul_sat(l2__mul_sat(cg.n, cg.o), l2__mul_sat(cg.k, cg.l)), cg.n);
    if (ok && l2__conv_small_ok(x->dtype, cg.n, cg.o, cg.groups, &cg.g)) { /* issue 12 */
        ok = l2__conv_small_fwd(op, (const float *)l2__data(io.xc),
                                (const float *)l2__data(io.wc),
                                io.bc ? (const float *)l2__data(io.bc) : NULL,
                                (float *)l2__data(io.r), cg.n, cg.o, &cg.g, nt);
        return l2__conv_io_end(&io, ok, L2__OP_CONV2D, x, w, b, p, 7);
    }
    conv_job j = {.dt = x->dtype, .es = es, .cg = &cg,
                  .gmax = block_samples(&cg, es, (cg.n + nt - 1) / nt)};
    /* Per thread: the block's column matrix (C*kH*kW, gmax*L) and GEMM result (Og, gmax*L).
     * Both are bounded by the (checked) column matrix of the batch. */
    size_t csz = cg.direct ? 0 : (size_t)(cg.k * cg.groups * cg.l * j.gmax) * es;
    size_t tsz = j.gmax > 1 ? (size_t)(cg.og * cg.l * j.gmax) * es : 0;
    char *buf = ok ? l2__malloc(slot_bytes(csz + tsz, nt, 0), op) : NULL;
    ok = buf != NULL;
    if (ok) {
        j.x = l2__data(io.xc);
        j.w = l2__data(io.wc);
        j.b = io.bc ? l2__data(io.bc) : NULL;
        j.y = l2__data(io.r);
        if (nt <= 1) {
            conv_fwd_slot(&j, 0, cg.n, buf, buf + csz);
        } else {
#pragma omp parallel for num_threads(nt) schedule(static)
            for (int t = 0; t < nt; t++) {
                char *mine = buf + (csz + tsz) * (size_t)t;
                conv_fwd_slot(&j, l2__part(cg.n, t, nt), l2__part(cg.n, t + 1, nt), mine,
                              mine + csz);
            }
        }
    }
    l2__free(buf);
    return l2__conv_io_end(&io, ok, L2__OP_CONV2D, x, w, b, p, 7);
}

/* Per sample n and group g, with cols = im2col(x[n]):
 *   dx[n] = col2im(W_g^T @ dy[n, g])     (K, L) = (K, Og) @ (Og, L)
 *   dW_g += dy[n, g] @ cols_g^T          (Og, K) = (Og, L) @ (L, K)
 *   db[o] = sum over n and L of dy[n, o] */
l2_status l2__conv2d_backward(l2__node *node, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "conv2d";
    const l2_tensor *x = node->saved[0], *w = node->saved[1];
    conv_geom cg;
    check_nchw(op, x, &cg.n, &cg.c, &cg.h, &cg.w);
    cg.o = w->shape[0];
    cg.g.kh = w->shape[2];
    cg.g.kw = w->shape[3];
    conv_geom_fill(&cg, node->i);
    l2_dtype dt = x->dtype;
    size_t es = l2__esize(dt);
    /* dx: col2im accumulates into zeros; the direct (1x1) path's beta=0 gemm writes it all.
     * dW: the first block of each slot's partial writes it (an empty batch leaves zeros). */
    l2__conv_grads g;
    /* dx written whole by the direct path for a small contraction (issue 12): no zero fill */
    bool small_dx = l2__conv_small_dx_ok(dt, cg.n, cg.o, cg.groups, &cg.g);
    bool ok = l2__conv_grads_start(op, &g, node, gout, cg.o, !cg.direct && !small_dx,
                                   cg.n == 0);
    bool need_x = g.need_x, need_w = g.need_w, db_done = false;
    if (ok && need_x && small_dx) {
        ok = l2__conv_small_dx(op, (const float *)l2__data(g.dy), (const float *)l2__data(g.wc),
                               (float *)l2__data(g.dx), cg.n, cg.o, &cg.g,
                               conv_threads(l2__mul_sat(l2__mul_sat(cg.n, cg.o),
                                                        l2__mul_sat(cg.k, cg.l)), cg.n));
        need_x = false;
    }
    /* The direct path for a small contraction computes dw and db; dx, when needed, takes the
     * column path below (issue 12). */
    if (ok && need_w && l2__conv_small_ok(dt, cg.n, cg.o, cg.groups, &cg.g)) {
        int snt = conv_threads(l2__mul_sat(l2__mul_sat(cg.n, cg.o), l2__mul_sat(cg.k, cg.l)),
                               cg.n);
        ok = l2__conv_small_bwd(op, (const float *)l2__data(g.xc),
                                (const float *)l2__data(g.dy), (float *)l2__data(g.dw),
                                g.need_b ? (float *)l2__data(g.db) : NULL, cg.n, cg.o, &cg.g,
                                snt);
        need_w = false;
        db_done = g.need_b;
    }
    /* Slots: L2__CONV_BWD_SLOTS fixed sample ranges (fewer for a small batch), whatever the
     * thread count, each with its own partial dW, summed in slot order: the same dW at any
     * thread count. */
    int64_t slots = cg.n < L2__CONV_BWD_SLOTS ? cg.n : L2__CONV_BWD_SLOTS;
    int64_t work = l2__mul_sat(l2__mul_sat(cg.n, cg.o), l2__mul_sat(cg.k, cg.l));
    int nt = conv_threads(l2__mul_sat(work, (int64_t)need_x + need_w), slots);
    conv_job j = {.dt = dt, .es = es, .cg = &cg,
                  .gmax = block_samples(&cg, es, slots ? (cg.n + slots - 1) / slots : 1)};
    size_t csz = cg.direct ? 0 : (size_t)(cg.k * cg.groups * cg.l * j.gmax) * es;
    size_t tsz = j.gmax > 1 ? (size_t)(cg.o * cg.l * j.gmax) * es : 0;
    size_t pwsz = (size_t)(cg.o * cg.k) * es, pwall = slots > 1 && need_w ? pwsz : 0;
    char *buf = NULL;
    if (ok && (need_x || need_w) && slots > 0 &&
        !(buf = l2__malloc(slot_bytes(csz + tsz, nt, pwall * (size_t)slots), op)))
        ok = false;
    if (ok && (need_x || need_w) && slots > 0) {
        j.x = g.xc ? l2__data(g.xc) : NULL;
        j.w = g.wc ? l2__data(g.wc) : NULL;
        j.dy = l2__data(g.dy);
        j.dx = g.dx ? l2__data(g.dx) : NULL;
        char *pws = buf + (csz + tsz) * (size_t)nt; /* the slots' partial dW, when slots > 1 */
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
        for (int t = 0; t < nt; t++) {
            char *mine = buf + (csz + tsz) * (size_t)t;
            for (int64_t sl = l2__part(slots, t, nt); sl < l2__part(slots, t + 1, nt); sl++) {
                char *pw = !need_w ? NULL : slots > 1 ? pws + pwsz * (size_t)sl : l2__data(g.dw);
                conv_bwd_slot(&j, l2__part(cg.n, sl, slots), l2__part(cg.n, sl + 1, slots),
                              mine, mine + csz, pw);
            }
        }
        if (need_w && slots > 1)
            sum_slots(dt, pws, slots, cg.o * cg.k, l2__data(g.dw));
    }
    if (ok && g.need_b && !db_done)
        l2__conv_bias_grad(dt, l2__data(g.dy), cg.n, cg.o, cg.l, l2__data(g.db));
    l2__free(buf);
    return l2__conv_grads_end(&g, ok, gin);
}

/* conv2 (issue 14): im2col and col2im for the transposed convolution (conv-transpose.c). */
void l2__conv_im2col(l2_dtype dt, const char *x, char *cols, int64_t ld, const win *g)
{
    im2col(dt, x, cols, ld, g);
}

void l2__conv_col2im(l2_dtype dt, const char *cols, int64_t ld, char *dx, const win *g)
{
    col2im(dt, (char *)cols, ld, dx, g, false); /* not flat: cols is only read */
}
