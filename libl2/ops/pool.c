/* pool.c: max, average and adaptive average 2-d pooling, each with its backward below it.
 * Float32 and float64, NCHW or unbatched CHW. Not here: ceil_mode, pooling dilation,
 * count_include_pad=false. Letters: N batch, C channels, H,W input size, P,Q output size. */
#include "conv-impl.h"

#include <immintrin.h>
#include <math.h>
#include <string.h>

/* ---- kernels (float and double) ---------------------------------------------------------- */

/* The input window [y0, y1) x [x0, x1) of output (oy, ox), clipped to the input (padding left
 * out). Declares its four bounds. */
#define L2__POOL_WINDOW(G, OY, OX, Y0, Y1, X0, X1)                                           \
    int64_t Y0 = (OY) * (G)->sh - (G)->ph, X0 = (OX) * (G)->sw - (G)->pw;                   \
    int64_t Y1 = Y0 + (G)->kh < (G)->h ? Y0 + (G)->kh : (G)->h;                             \
    int64_t X1 = X0 + (G)->kw < (G)->w ? X0 + (G)->kw : (G)->w;                             \
    Y0 = Y0 < 0 ? 0 : Y0;                                                                    \
    X0 = X0 < 0 ? 0 : X0

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
                    L2__POOL_WINDOW(g, oy, ox, y0, y1, x0, x1);                              \
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

/* One 2x2 window at column x0 of rows r0, r1: its maximum into M and which cell holds it into
 * K (0, 1: row r0; 2, 3: row r1), in the general kernel's order and tie rule (a later cell
 * wins when it is greater or NaN). Branch-free, so that a block of windows vectorises. */
#define L2__MAX2X2(T, r0, r1, x0, M, K)                                                      \
    do {                                                                                     \
        T b_ = (r0)[(x0) + 1], c_ = (r1)[(x0)], d_ = (r1)[(x0) + 1];                         \
        T m_ = (r0)[(x0)];                                                                   \
        int k_ = 0, t_;                                                                      \
        t_ = b_ > m_ || b_ != b_;                                                            \
        m_ = t_ ? b_ : m_;                                                                   \
        k_ = t_ ? 1 : k_;                                                                    \
        t_ = c_ > m_ || c_ != c_;                                                            \
        m_ = t_ ? c_ : m_;                                                                   \
        k_ = t_ ? 2 : k_;                                                                    \
        t_ = d_ > m_ || d_ != d_;                                                            \
        (M) = t_ ? d_ : m_;                                                                  \
        (K) = t_ ? 3 : k_;                                                                   \
    } while (0)

/* The flat input position y*W + x of cell k of the window at column x0 of row base / W. */
#define L2__CELL2X2(base, w, x0, k) ((base) + (x0) + ((k) & 1) + ((k) >> 1) * (w))

/* Plain stores of the first n lanes (n <= 8 floats, n <= 4 int64) of a vector (issue 12, cnn):
 * a whole vector goes out as one unmasked store, a partial one through a stack copy. The AVX2
 * masked stores (vmaskmov) this replaces cost many micro-ops each on this machine's AMD cores
 * (half the 2x2 pool's time in the CNN step's profile). */
__attribute__((target("avx2"))) static inline void store_ps_n(float *p, __m256 v, int n)
{
    if (n >= 8) {
        _mm256_storeu_ps(p, v);
        return;
    }
    float t[8];
    _mm256_storeu_ps(t, v);
    n -= n > 1 && l2__fault("pool2x2_tail"); /* mutation test: a partial vector one short */
    for (int i = 0; i < n; i++)
        p[i] = t[i];
}

/* float32 2x2 windows by eights on AVX2 (issue 12): the n outputs of one output row, the last
 * partial eight through masked loads and stores (no read past the row's 2n cells); r0, r1 the
 * two input rows; co (if not NULL) receives each maximum's cell 0..3 as L2__MAX2X2's K. The
 * same comparisons in the same order as L2__MAX2X2 (a later cell wins when it is greater or
 * NaN), as vector compares and blends, so the results and the cells are the scalar loop's. */
__attribute__((target("avx2"))) static void maxpool2x2_row_avx2(const float *r0, const float *r1,
                                                                float *yo, uint8_t *co,
                                                                int64_t n)
{
    /* mutation test: the last cell of each window reported as the third */
    const int k3 = l2__fault("pool2x2_vec") ? 2 : 3;
    const __m256 one = _mm256_castsi256_ps(_mm256_set1_epi32(1));
    const __m256 two = _mm256_castsi256_ps(_mm256_set1_epi32(2));
    const __m256 three = _mm256_castsi256_ps(_mm256_set1_epi32(k3));
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), all = _mm256_set1_epi32(-1);
    for (int64_t ox = 0; ox < n; ox += 8) {
        int m = n - ox < 8 ? (int)(n - ox) : 8; /* outputs in this eight */
        __m256i l0 = all, l1 = all;
        if (m < 8) {
            l0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(2 * m), iota);
            l1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(2 * m - 8), iota);
        }
        const float *p0 = r0 + 2 * ox, *p1 = r1 + 2 * ox;
        __m256 a0 = _mm256_maskload_ps(p0, l0), a1 = _mm256_maskload_ps(p0 + 8, l1);
        __m256 b0 = _mm256_maskload_ps(p1, l0), b1 = _mm256_maskload_ps(p1 + 8, l1);
        /* even and odd columns, in order: shuffle within lanes, then put the 64-bit pairs
         * back in place */
        __m256 ae = _mm256_castpd_ps(_mm256_permute4x64_pd(
            _mm256_castps_pd(_mm256_shuffle_ps(a0, a1, 0x88)), 0xD8));
        __m256 ao_ = _mm256_castpd_ps(_mm256_permute4x64_pd(
            _mm256_castps_pd(_mm256_shuffle_ps(a0, a1, 0xDD)), 0xD8));
        __m256 be = _mm256_castpd_ps(_mm256_permute4x64_pd(
            _mm256_castps_pd(_mm256_shuffle_ps(b0, b1, 0x88)), 0xD8));
        __m256 bo = _mm256_castpd_ps(_mm256_permute4x64_pd(
            _mm256_castps_pd(_mm256_shuffle_ps(b0, b1, 0xDD)), 0xD8));
        __m256 mx = ae, k = _mm256_setzero_ps();
        __m256 t = _mm256_or_ps(_mm256_cmp_ps(ao_, mx, _CMP_GT_OQ),
                                _mm256_cmp_ps(ao_, ao_, _CMP_UNORD_Q));
        mx = _mm256_blendv_ps(mx, ao_, t);
        k = _mm256_blendv_ps(k, one, t);
        t = _mm256_or_ps(_mm256_cmp_ps(be, mx, _CMP_GT_OQ), _mm256_cmp_ps(be, be, _CMP_UNORD_Q));
        mx = _mm256_blendv_ps(mx, be, t);
        k = _mm256_blendv_ps(k, two, t);
        t = _mm256_or_ps(_mm256_cmp_ps(bo, mx, _CMP_GT_OQ), _mm256_cmp_ps(bo, bo, _CMP_UNORD_Q));
        mx = _mm256_blendv_ps(mx, bo, t);
        k = _mm256_blendv_ps(k, three, t);
        store_ps_n(yo + ox, mx, m);
        if (!co)
            continue;
        /* the eight cells (int32 0..3) as eight bytes */
        __m256i ki = _mm256_castps_si256(k);
        __m128i w16 = _mm_packus_epi32(_mm256_castsi256_si128(ki),
                                       _mm256_extracti128_si256(ki, 1));
        __m128i b8 = _mm_packus_epi16(w16, w16);
        if (m == 8) {
            _mm_storel_epi64((__m128i *)(co + ox), b8);
        } else {
            uint8_t t8[16];
            _mm_storeu_si128((__m128i *)t8, b8);
            memcpy(co + ox, t8, (size_t)m);
        }
    }
}

/* The adjoint of maxpool2x2_row_avx2 on one output row (float32, AVX2): each of the n windows
 * writes its four cells, dy at the cell its code names and 0 at the others (as the scalar
 * loop). */
__attribute__((target("avx2"))) static void maxpool2x2_bwd_row_avx2(const float *d,
                                                                    const uint8_t *c, float *r0,
                                                                    float *r1, int64_t n)
{
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), all = _mm256_set1_epi32(-1);
    const __m256i one = _mm256_set1_epi32(1), two = _mm256_set1_epi32(2);
    /* mutation test: the second row's first cell taken for the first row's */
    const bool fault = l2__fault("pool2x2_bwdvec");
    for (int64_t ox = 0; ox < n; ox += 8) {
        int m = n - ox < 8 ? (int)(n - ox) : 8;
        __m256i lo = m < 8 ? _mm256_cmpgt_epi32(_mm256_set1_epi32(m), iota) : all;
        __m256 v = _mm256_maskload_ps(d + ox, lo);
        __m128i b8;
        if (m == 8) {
            b8 = _mm_loadl_epi64((const __m128i *)(c + ox));
        } else {
            uint8_t t8[16] = {0};
            memcpy(t8, c + ox, (size_t)m);
            b8 = _mm_loadu_si128((const __m128i *)t8);
        }
        __m256i k = _mm256_cvtepu8_epi32(b8);
        if (fault) /* code 2 read as 0 */
            k = _mm256_andnot_si256(_mm256_and_si256(_mm256_cmpeq_epi32(k, two), two), k);
        __m256 rr = _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(k, two), two));
        __m256 cc = _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(k, one), one));
        __m256 v0e = _mm256_andnot_ps(_mm256_or_ps(rr, cc), v);
        __m256 v0o = _mm256_and_ps(_mm256_andnot_ps(rr, cc), v);
        __m256 v1e = _mm256_and_ps(_mm256_andnot_ps(cc, rr), v);
        __m256 v1o = _mm256_and_ps(_mm256_and_ps(rr, cc), v);
        int n0 = 2 * m < 8 ? 2 * m : 8, n1 = 2 * m - n0; /* cells in each half */
        __m256 u = _mm256_unpacklo_ps(v0e, v0o), o = _mm256_unpackhi_ps(v0e, v0o);
        store_ps_n(r0 + 2 * ox, _mm256_permute2f128_ps(u, o, 0x20), n0);
        store_ps_n(r0 + 2 * ox + 8, _mm256_permute2f128_ps(u, o, 0x31), n1);
        u = _mm256_unpacklo_ps(v1e, v1o);
        o = _mm256_unpackhi_ps(v1e, v1o);
        store_ps_n(r1 + 2 * ox, _mm256_permute2f128_ps(u, o, 0x20), n0);
        store_ps_n(r1 + 2 * ox + 8, _mm256_permute2f128_ps(u, o, 0x31), n1);
    }
}

static bool have_avx2(void)
{
    static int known = -1;
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    return known == 1;
}

/* The special case kernel 2x2, stride 2, no padding (the same results as maxpool_##SUF): per
 * output row two input rows, the columns in blocks of L2__POOL2X2_BLOCK outputs and then a tail;
 * an odd last input row or column is never read. code (if not NULL) receives each maximum's
 * cell in its window, 0..3 (L2__MAX2X2's K): a byte instead of a flat int64 position (issue 12:
 * an eighth of the memory traffic). */
#define L2__MAXPOOL2X2(SUF, T, VEC)                                                          \
    static void maxpool2x2_##SUF(const T *x, T *y, uint8_t *code, int64_t planes,            \
                                 const win *g)                                               \
    {                                                                                        \
        int64_t w = g->w, hw = g->h * g->w, ow = g->ow, pq = g->oh * g->ow;                  \
        int64_t full = ow - ow % L2__POOL2X2_BLOCK;                                          \
        bool vec = VEC && have_avx2();                                                       \
        int nt = l2__threads_for(l2__mul_sat(planes, pq * 4));                               \
        _Pragma("omp parallel for num_threads(nt) schedule(static) if (nt > 1)")             \
        for (int64_t p = 0; p < planes; p++)                                                 \
            for (int64_t oy = 0; oy < g->oh; oy++) {                                         \
                const T *r0 = x + p * hw + 2 * oy * w, *r1 = r0 + w;                         \
                T *yo = y + p * pq + oy * ow;                                                \
                uint8_t *co = code ? code + p * pq + oy * ow : NULL;                         \
                int64_t ox = 0;                                                              \
                if (vec) {                                                                   \
                    L2__POOL2X2_VEC_##SUF(r0, r1, yo, co, ow);                               \
                    ox = ow;                                                                 \
                }                                                                            \
                for (; ox < full; ox += L2__POOL2X2_BLOCK) {                                 \
                    int k[L2__POOL2X2_BLOCK];                                                \
                    for (int e = 0; e < L2__POOL2X2_BLOCK; e++)                              \
                        L2__MAX2X2(T, r0, r1, 2 * (ox + e), yo[ox + e], k[e]);               \
                    if (co)                                                                  \
                        for (int e = 0; e < L2__POOL2X2_BLOCK; e++)                          \
                            co[ox + e] = (uint8_t)k[e];                                      \
                }                                                                            \
                for (; ox < ow; ox++) {                                                      \
                    int k;                                                                   \
                    L2__MAX2X2(T, r0, r1, 2 * ox, yo[ox], k);                                \
                    if (co)                                                                  \
                        co[ox] = (uint8_t)k;                                                 \
                }                                                                            \
                if (ow > 1 && l2__fault("pool2x2_edge")) { /* mutation test: wrong window */ \
                    int k;                                                                   \
                    L2__MAX2X2(T, r0, r1, 2 * ow - 3, yo[ow - 1], k);                        \
                    if (co) /* the window one column left, as its cell in the last window */ \
                        co[ow - 1] = (uint8_t)(k & 1 ? k - 1 : k);                           \
                }                                                                            \
            }                                                                                \
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

/* The adjoint of the 2x2 stride-2 loop without padding: the windows tile the input without
 * overlap, so each one writes its four cells (dy at the maximum, its code, 0 at the others) and
 * an odd last row or column gets 0: dx needs no zero fill first. */
#define L2__MAXPOOL2X2_BWD(SUF, T, VEC)                                                      \
    static void maxpool2x2_bwd_##SUF(const T *dy, const uint8_t *code, T *dx,                \
                                     int64_t planes, const win *g)                           \
    {                                                                                        \
        int64_t w = g->w, hw = g->h * g->w, ow = g->ow, pq = g->oh * g->ow;                  \
        bool vec = VEC && have_avx2() && !l2__fault("pool2x2_bwd");                          \
        int nt = l2__threads_for(l2__mul_sat(planes, hw));                                   \
        _Pragma("omp parallel for num_threads(nt) schedule(static) if (nt > 1)")             \
        for (int64_t p = 0; p < planes; p++) {                                               \
            T *xp = dx + p * hw;                                                             \
            for (int64_t oy = 0; oy < g->oh; oy++) {                                         \
                T *r0 = xp + 2 * oy * w, *r1 = r0 + w;                                       \
                const T *d = dy + p * pq + oy * ow;                                          \
                const uint8_t *c = code + p * pq + oy * ow;                                  \
                int64_t ox0 = 0;                                                             \
                if (vec) {                                                                   \
                    L2__POOL2X2_BWD_VEC_##SUF(d, c, r0, r1, ow);                             \
                    ox0 = ow;                                                                \
                }                                                                            \
                for (int64_t ox = ox0; ox < ow; ox++) {                                      \
                    int at = c[ox]; /* 0, 1: row r0; 2, 3: row r1 */                         \
                    /* mutation test: the last column's gradient to the cell beside */       \
                    at ^= ox == ow - 1 && l2__fault("pool2x2_bwd");                          \
                    T v = d[ox];                                                             \
                    r0[2 * ox] = at == 0 ? v : (T)0;                                         \
                    r0[2 * ox + 1] = at == 1 ? v : (T)0;                                     \
                    r1[2 * ox] = at == 2 ? v : (T)0;                                         \
                    r1[2 * ox + 1] = at == 3 ? v : (T)0;                                     \
                }                                                                            \
                if (w % 2) {                                                                 \
                    r0[w - 1] = 0;                                                           \
                    r1[w - 1] = 0;                                                           \
                }                                                                            \
            }                                                                                \
            if (g->h % 2)                                                                    \
                memset(xp + (g->h - 1) * w, 0, sizeof(T) * (size_t)w);                       \
        }                                                                                    \
    }

/* One cell of average pooling over rows y0..y1-1 and columns x0..x1-1 of plane p, output o,
 * with weight inv; with bwd set, the adjoint (x is dy, y is dx). */
#define L2__AVG_CELL(T)                                                                      \
    do {                                                                                     \
        if (bwd) {                                                                           \
            T gv = (T)(x[o] * inv);                                                          \
            for (int64_t iy = y0; iy < y1; iy++)                                             \
                for (int64_t ix = x0; ix < x1; ix++)                                         \
                    y[p * hw + iy * g->w + ix] += gv;                                        \
        } else {                                                                             \
            double s = 0;                                                                    \
            for (int64_t iy = y0; iy < y1; iy++)                                             \
                for (int64_t ix = x0; ix < x1; ix++)                                         \
                    s += x[p * hw + iy * g->w + ix];                                         \
            y[o] = (T)(s * inv);                                                             \
        }                                                                                    \
    } while (0)

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
                    L2__POOL_WINDOW(g, oy, ox, y0, y1, x0, x1);                              \
                    int64_t o = p * pq + oy * g->ow + ox;                                    \
                    L2__AVG_CELL(T);                                                         \
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
                    L2__AVG_CELL(T);                                                         \
                }                                                                            \
            }                                                                                \
    }

L2__MAXPOOL(f32, float)
L2__MAXPOOL(f64, double)
#define L2__POOL2X2_VEC_f32 maxpool2x2_row_avx2
#define L2__POOL2X2_VEC_f64(...) ((void)0)
L2__MAXPOOL2X2(f32, float, true)
L2__MAXPOOL2X2(f64, double, false)
L2__MAXPOOL_BWD(f32, float)
L2__MAXPOOL_BWD(f64, double)
#define L2__POOL2X2_BWD_VEC_f32 maxpool2x2_bwd_row_avx2
#define L2__POOL2X2_BWD_VEC_f64(...) ((void)0)
L2__MAXPOOL2X2_BWD(f32, float, true)
L2__MAXPOOL2X2_BWD(f64, double, false)
L2__AVGPOOL(f32, float)
L2__AVGPOOL(f64, double)
L2__ADAPTIVE(f32, float)
L2__ADAPTIVE(f64, double)

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

/* 2x2 stride 2 without padding: max pooling's special case, with loops of its own. */
static bool is_2x2(const win *g)
{
    return g->kh == 2 && g->kw == 2 && g->sh == 2 && g->sw == 2 && g->ph == 0 && g->pw == 0;
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
    L2__HALF_ROUTE(l2_max_pool2d(H_[0], kernel, stride, padding), x);
    const char *op = "max_pool2d";
    win g;
    int64_t planes, shape[4];
    if (!pool_setup(op, x, kernel, stride, padding, &g, &planes))
        return NULL;
    pool_shape(x, &g, shape);
    bool grad = l2__needs_grad(1, &x);
    l2_tensor *xc = l2__convert(op, x, x->dtype, true);
    l2_tensor *r = xc ? l2__new(op, x->ndim, shape, x->dtype, false) : NULL;
    /* the node's extra: each maximum's cell code (2x2 stride 2, a byte) or flat position */
    bool two = is_2x2(&g);
    size_t esz = two ? sizeof(uint8_t) : sizeof(int64_t);
    void *arg = NULL;
    if (r && grad)
        arg = l2__malloc(esz * (size_t)(planes * g.oh * g.ow) + 1, op);
    if (!r || (grad && !arg)) {
        l2_tensor_release(r);
        l2_tensor_release(xc);
        return NULL;
    }
    if (x->dtype == L2_FLOAT32 && two)
        maxpool2x2_f32((const float *)l2__data(xc), (float *)l2__data(r), arg, planes, &g);
    else if (x->dtype == L2_FLOAT32)
        maxpool_f32((const float *)l2__data(xc), (float *)l2__data(r), arg, planes, &g);
    else if (two)
        maxpool2x2_f64((const double *)l2__data(xc), (double *)l2__data(r), arg, planes, &g);
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
    bool two = is_2x2(&g); /* writes every cell of dx: no zero fill */
    l2_tensor *dx = dy ? l2__new(op, n->in_ndim[0], n->in_shape[0], gout->dtype, !two) : NULL;
    if (!dx) {
        l2_tensor_release(dy);
        return l2_last_status();
    }
    const int64_t *arg = n->extra; /* the 2x2 loop's: byte codes */
    if (two && dx->dtype == L2_FLOAT32)
        maxpool2x2_bwd_f32((const float *)l2__data(dy), n->extra, (float *)l2__data(dx), planes,
                           &g);
    else if (two)
        maxpool2x2_bwd_f64((const double *)l2__data(dy), n->extra, (double *)l2__data(dx),
                           planes, &g);
    else if (dx->dtype == L2_FLOAT32)
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
    L2__HALF_ROUTE(l2_avg_pool2d(H_[0], kernel, stride, padding), x);
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
    L2__HALF_ROUTE(l2_adaptive_avg_pool2d(H_[0], output_size), x);
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
