/* conv-small.c: conv2d's direct path (issue 12): float32, stride 1, dilation 1, one group, K =
 * C kH kW at most L2__CONV_SMALL_K, on AVX2+FMA, for images whose padded width wastes little
 * (L2__CONV_SMALL_WASTE). No column matrix: each sample is copied once into a zero-padded image
 * xp (C, Hp, Wp), Hp = H + 2 pH, Wp = W + 2 pW, in which tap t = (c, i, j) of output position
 * (y, x) is the cell at the flat index y Wp + x + off[t], off[t] = c Hp Wp + i Wp + j. Over the
 * flat positions p = y Wp + x (x < Wp: the columns x >= Q are computed and thrown away) every
 * tap is a contiguous run of xp, so the kernels are plain vector loads and FMAs:
 *   forward   y[o, p] = b[o] + sum_t w[o, t] xp[p + off[t]]     (4 channels x 24 positions)
 *   backward  dw[o, t] += sum_p dyp[o, p] xp[p + off[t]]        (4 channels x 3 taps)
 *             db[o] += sum_p dyp[o, p]
 *             dx = the forward of dy with the kernel flipped    (padding at most k - 1)
 * with dyp dy laid out on the same padded positions (0 at the thrown-away ones, whose cells are
 * masked out). Sums run in a fixed order: taps in order per output (forward); per slot of
 * samples eight float32 lanes in sample order, the lanes in order, the slots in float64 in slot
 * order (dw, db), so nothing depends on the thread count.
 * Other CPUs, L2_NO_VEC and the other convolutions take conv2d.c's im2col + GEMM path. */
#include "conv-impl.h"
#include "../vmath.h"

#include <string.h>

#if defined(__GNUC__) && !defined(__clang__)
#define L2__NO_LIBCALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define L2__NO_LIBCALLS
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#define SMALL_X86 1
#include <immintrin.h>
#endif

enum { OB = 4, PB = 24, TB = 3 }; /* channels, positions, taps per register block */

/* One row of a 4x3 register block: a0..a2 += s * v0..v2 (FMA), and its store. */
#define FMA3(a0, a1, a2, s, v0, v1, v2)                                                      \
    do {                                                                                     \
        __m256 s_ = (s);                                                                     \
        a0 = _mm256_fmadd_ps(s_, v0, a0);                                                    \
        a1 = _mm256_fmadd_ps(s_, v1, a1);                                                    \
        a2 = _mm256_fmadd_ps(s_, v2, a2);                                                    \
    } while (0)
#define STORE3(p, a0, a1, a2)                                                                \
    do {                                                                                     \
        _mm256_storeu_ps((p), a0);                                                           \
        _mm256_storeu_ps((p) + 8, a1);                                                       \
        _mm256_storeu_ps((p) + 16, a2);                                                      \
    } while (0)

/* Sizes of one call: positions Lp = P Wp, rounded up to whole position blocks (Lr); O rounded
 * to OB (Op), K to TB (Kp); floats of the padded image (with the slack the last block's
 * loads read). */
typedef struct {
    int64_t n, c, h, w, o, kh, kw, ph, pw, oh, ow;
    int64_t hp, wp, k, lr, op, kp, xsz;
} small_geom;

static bool small_geom_fill(small_geom *s, int64_t n, int64_t o, const win *g)
{
    int64_t lp, k, t;
    *s = (small_geom){.n = n, .c = g->c, .h = g->h, .w = g->w, .o = o, .kh = g->kh, .kw = g->kw,
                      .ph = g->ph, .pw = g->pw, .oh = g->oh, .ow = g->ow};
    /* the padded sizes fit: out_size checked in + 2 pad */
    s->hp = g->h + 2 * g->ph;
    s->wp = g->w + 2 * g->pw;
    if (l2__mul_ovf(g->c, g->kh, &k) || l2__mul_ovf(k, g->kw, &k) || k > L2__CONV_SMALL_K ||
        l2__mul_ovf(s->oh, s->wp, &lp) || l2__mul_ovf(s->c, s->hp, &t) ||
        l2__mul_ovf(t, s->wp, &t))
        return false;
    s->k = k;
    s->lr = (lp + PB - 1) / PB * PB;
    s->op = (o + OB - 1) / OB * OB;
    s->kp = (k + TB - 1) / TB * TB;
    /* the largest index read: lr - 1 + off[K-1] = (lr - lp) + C Hp Wp + kW - 2 (lp + (kH - 1)
     * Wp = Hp Wp) */
    s->xsz = t + (s->lr - lp) + s->kw;
    /* the thrown-away positions at most L2__CONV_SMALL_WASTE percent of the kept ones (the
     * products fit: Lr <= 2^20 / Op below); per-thread buffers stay bounded: the padded image
     * and the (Op, Lr) staging */
    int64_t staging;
    return s->xsz <= L2__CONV_SMALL_FLOATS && !l2__mul_ovf(s->op, s->lr, &staging) &&
           staging <= L2__CONV_SMALL_FLOATS &&
           s->lr * 100 <= L2__CONV_SMALL_WASTE * s->oh * s->ow;
}

bool l2__conv_small_ok(l2_dtype dt, int64_t n, int64_t o, int64_t groups, const win *g)
{
    small_geom s;
    if (dt != L2_FLOAT32 || groups != 1 || g->sh != 1 || g->sw != 1 || g->dh != 1 ||
        g->dw != 1 || n < 1 || o < 1 || !small_geom_fill(&s, n, o, g))
        return false;
#ifdef SMALL_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           l2__vmath_f32(L2__VM_EXP) != NULL; /* the vector switch (L2_NO_VEC) */
#else
    return false;
#endif
}

#ifdef SMALL_X86
/* Sample x (C, H, W) into xp (C, Hp, Wp) with zeros around, and zeros in the slack; each cell
 * written once. */
static void pad_sample(const small_geom *s, const float *x, float *xp)
{
    int64_t plane = s->hp * s->wp;
    for (int64_t c = 0; c < s->c; c++) {
        float *d = xp + c * plane;
        memset(d, 0, sizeof(float) * (size_t)(s->ph * s->wp));
        for (int64_t y = 0; y < s->h; y++) {
            float *r = d + (s->ph + y) * s->wp;
            memset(r, 0, sizeof(float) * (size_t)s->pw);
            memcpy(r + s->pw, x + (c * s->h + y) * s->w, sizeof(float) * (size_t)s->w);
            memset(r + s->pw + s->w, 0, sizeof(float) * (size_t)s->pw);
        }
        memset(d + (s->ph + s->h) * s->wp, 0, sizeof(float) * (size_t)(s->ph * s->wp));
    }
    memset(xp + s->c * plane, 0, sizeof(float) * (size_t)(s->xsz - s->c * plane));
}

/* The taps' offsets into xp, in (c, i, j) order, then 0 for the padded taps up to Kp. */
static void tap_offsets(const small_geom *s, int64_t *off)
{
    int64_t t = 0;
    for (int64_t c = 0; c < s->c; c++)
        for (int64_t i = 0; i < s->kh; i++)
            for (int64_t j = 0; j < s->kw; j++)
                off[t++] = (c * s->hp + i) * s->wp + j;
    /* mutation test: the last tap reads one cell to the right */
    off[s->k - 1] += s->k > 1 && l2__fault("conv_small_tap");
    for (; t < s->kp; t++)
        off[t] = 0;
}

/* Copy n floats (short rows: no library call per row). */
L2__NO_LIBCALLS __attribute__((target("avx2,fma"))) static inline void
copy_row(float *restrict d, const float *restrict src, int64_t n)
{
    int64_t k = 0;
    for (; k + 8 <= n; k += 8)
        _mm256_storeu_ps(d + k, _mm256_loadu_ps(src + k));
    for (; k < n; k++)
        d[k] = src[k];
}

/* Forward of one sample: st (Op, Lr) = the block kernel over xp (4 channels x 24 positions in
 * 12 accumulators); y gets the valid columns. */
L2__NO_LIBCALLS __attribute__((target("avx2,fma"))) static void
small_fwd_sample(const small_geom *s, const float *wp, const float *bp, const int64_t *off,
                 const float *xp, float *st, float *y)
{
    const int64_t k = s->k, lr = s->lr;
    for (int64_t ob = 0; ob < s->op; ob += OB) {
        const float *w0 = wp + ob * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
        for (int64_t p = 0; p < lr; p += PB) {
            __m256 a00 = _mm256_broadcast_ss(bp + ob), a01 = a00, a02 = a00;
            __m256 a10 = _mm256_broadcast_ss(bp + ob + 1), a11 = a10, a12 = a10;
            __m256 a20 = _mm256_broadcast_ss(bp + ob + 2), a21 = a20, a22 = a20;
            __m256 a30 = _mm256_broadcast_ss(bp + ob + 3), a31 = a30, a32 = a30;
            const float *xq = xp + p;
            for (int64_t t = 0; t < k; t++) {
                const float *xt = xq + off[t];
                __m256 x0 = _mm256_loadu_ps(xt), x1 = _mm256_loadu_ps(xt + 8),
                       x2 = _mm256_loadu_ps(xt + 16);
                FMA3(a00, a01, a02, _mm256_broadcast_ss(w0 + t), x0, x1, x2);
                FMA3(a10, a11, a12, _mm256_broadcast_ss(w1 + t), x0, x1, x2);
                FMA3(a20, a21, a22, _mm256_broadcast_ss(w2 + t), x0, x1, x2);
                FMA3(a30, a31, a32, _mm256_broadcast_ss(w3 + t), x0, x1, x2);
            }
            float *d = st + ob * lr + p;
            STORE3(d, a00, a01, a02);
            STORE3(d + lr, a10, a11, a12);
            STORE3(d + 2 * lr, a20, a21, a22);
            STORE3(d + 3 * lr, a30, a31, a32);
        }
    }
    /* mutation test: the last output row of every channel one cell short */
    const int64_t short_last = l2__fault("conv_small_out") ? 1 : 0;
    for (int64_t o = 0; o < s->o; o++)
        for (int64_t oy = 0; oy < s->oh; oy++)
            copy_row(y + (o * s->oh + oy) * s->ow, st + o * lr + oy * s->wp,
                     s->ow - (oy == s->oh - 1 ? short_last : 0));
}

/* Backward of one sample: dyp (Op, Lr) from dy (O, P, Q) on the padded positions, then per
 * lane e of eight: vw[(o Kp + t) 8 + e] += sum over p = e mod 8 of dyp[o, p] xp[p + off[t]]
 * (4 channels x 3 taps in 12 accumulators, kept as vectors across the samples of a slot) over
 * the kept positions (vm: all bits set at a kept position, 0 at a thrown-away one) and
 * vb[o 8 + e] += sum over p = e mod 8 of dyp[o, p] (vb may be NULL). */
L2__NO_LIBCALLS __attribute__((target("avx2,fma"))) static void
small_bwd_sample(const small_geom *s, const int64_t *off, const float *vm, const float *xp,
                 const float *dy, float *dyp, float *vw, float *vb)
{
    const int64_t lr = s->lr;
    for (int64_t o = 0; o < s->op; o++) {
        float *r = dyp + o * lr;
        int64_t q = 0;
        for (int64_t oy = 0; oy < s->oh && o < s->o; oy++, q += s->wp) {
            copy_row(r + q, dy + (o * s->oh + oy) * s->ow, s->ow);
            for (int64_t e = s->ow; e < s->wp; e++)
                r[q + e] = 0;
        }
        for (; q < lr; q++)
            r[q] = 0;
    }
    for (int64_t ob = 0; ob < s->op; ob += OB) {
        const float *d0 = dyp + ob * lr, *d1 = d0 + lr, *d2 = d1 + lr, *d3 = d2 + lr;
        for (int64_t tb = 0; tb < s->kp; tb += TB) {
            float *v0w = vw + ((ob + 0) * s->kp + tb) * 8, *v1w = v0w + s->kp * 8;
            float *v2w = v1w + s->kp * 8, *v3w = v2w + s->kp * 8;
            __m256 a00 = _mm256_loadu_ps(v0w), a01 = _mm256_loadu_ps(v0w + 8),
                   a02 = _mm256_loadu_ps(v0w + 16), a10 = _mm256_loadu_ps(v1w),
                   a11 = _mm256_loadu_ps(v1w + 8), a12 = _mm256_loadu_ps(v1w + 16),
                   a20 = _mm256_loadu_ps(v2w), a21 = _mm256_loadu_ps(v2w + 8),
                   a22 = _mm256_loadu_ps(v2w + 16), a30 = _mm256_loadu_ps(v3w),
                   a31 = _mm256_loadu_ps(v3w + 8), a32 = _mm256_loadu_ps(v3w + 16);
            const float *x0 = xp + off[tb], *x1 = xp + off[tb + 1], *x2 = xp + off[tb + 2];
            for (int64_t p = 0; p < lr; p += 8) {
                /* the thrown-away positions' cells masked to 0: 0 * inf there is no NaN */
                __m256 m = _mm256_loadu_ps(vm + p);
                __m256 v0 = _mm256_and_ps(m, _mm256_loadu_ps(x0 + p)),
                       v1 = _mm256_and_ps(m, _mm256_loadu_ps(x1 + p)),
                       v2 = _mm256_and_ps(m, _mm256_loadu_ps(x2 + p));
                FMA3(a00, a01, a02, _mm256_loadu_ps(d0 + p), v0, v1, v2);
                FMA3(a10, a11, a12, _mm256_loadu_ps(d1 + p), v0, v1, v2);
                FMA3(a20, a21, a22, _mm256_loadu_ps(d2 + p), v0, v1, v2);
                FMA3(a30, a31, a32, _mm256_loadu_ps(d3 + p), v0, v1, v2);
            }
            STORE3(v0w, a00, a01, a02);
            STORE3(v1w, a10, a11, a12);
            STORE3(v2w, a20, a21, a22);
            STORE3(v3w, a30, a31, a32);
        }
    }
    if (!vb)
        return;
    /* mutation test: each row's last position block left out of the bias gradient */
    int64_t end = lr - (l2__fault("conv_small_db") ? PB : 0);
    for (int64_t o = 0; o < s->o; o++) {
        const float *r = dyp + o * lr;
        __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0; /* three chains, then in order */
        for (int64_t p = 0; p < end; p += PB) {
            c0 = _mm256_add_ps(c0, _mm256_loadu_ps(r + p));
            c1 = _mm256_add_ps(c1, _mm256_loadu_ps(r + p + 8));
            c2 = _mm256_add_ps(c2, _mm256_loadu_ps(r + p + 16));
        }
        __m256 sum = _mm256_add_ps(_mm256_add_ps(c0, c1), c2);
        _mm256_storeu_ps(vb + o * 8, _mm256_add_ps(_mm256_loadu_ps(vb + o * 8), sum));
    }
}
#endif

/* The per-call tables: wp (Op, K) (zero rows past O; all zeros without w), bp (Op) (zeros past
 * O or without a bias), off (Kp); from one allocation, NULL when it fails (the error set). */
static float *small_tables(const char *op, const small_geom *s, const float *w, const float *b,
                           int64_t **off)
{
    size_t nf = (size_t)(s->op * s->k + s->op);
    float *t = l2__malloc(sizeof(float) * nf + sizeof(int64_t) * (size_t)s->kp, op);
    if (!t)
        return NULL;
    memset(t, 0, sizeof(float) * nf);
    if (w)
        memcpy(t, w, sizeof(float) * (size_t)(s->o * s->k));
    if (b)
        memcpy(t + s->op * s->k, b, sizeof(float) * (size_t)s->o);
    *off = (int64_t *)(void *)(t + nf);
    return t;
}

bool l2__conv_small_fwd(const char *op, const float *x, const float *w, const float *b, float *y,
                        int64_t n, int64_t o, const win *g, int nt)
{
    small_geom s;
    small_geom_fill(&s, n, o, g);
    int64_t *off;
    float *tab = small_tables(op, &s, w, b, &off);
    if (nt > n)
        nt = (int)n;
    size_t per = (size_t)(s.xsz + s.op * s.lr);
    float *buf = tab ? l2__malloc(sizeof(float) * per * (size_t)nt, op) : NULL;
    if (!buf) {
        l2__free(tab);
        return false;
    }
#ifdef SMALL_X86
    tap_offsets(&s, off);
    const float *wp = tab, *bp = tab + s.op * s.k;
    int64_t xs = s.c * s.h * s.w, ys = s.o * s.oh * s.ow;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int t = 0; t < nt; t++) {
        float *xp = buf + per * (size_t)t, *st = xp + s.xsz;
        for (int64_t i = l2__part(n, t, nt); i < l2__part(n, t + 1, nt); i++) {
            pad_sample(&s, x + i * xs, xp);
            small_fwd_sample(&s, wp, bp, off, xp, st, y + i * ys);
        }
    }
#else
    (void)x;
    (void)y;
#endif
    l2__free(buf);
    l2__free(tab);
    return true;
}

bool l2__conv_small_bwd(const char *op, const float *x, const float *dy, float *dw, float *db,
                        int64_t n, int64_t o, const win *g, int nt)
{
    small_geom s;
    small_geom_fill(&s, n, o, g);
    int64_t *off;
    float *tab = small_tables(op, &s, NULL, NULL, &off); /* only off is used */
    float *vm = tab ? l2__malloc(sizeof(float) * (size_t)s.lr, op) : NULL;
    if (!vm) {
        l2__free(tab);
        return false;
    }
    for (int64_t p = 0; p < s.lr; p++) {
        int32_t bits = p < s.oh * s.wp && p % s.wp < s.ow ? -1 : 0;
        bits |= l2__fault("conv_small_mask") ? -1 : 0; /* mutation test: nothing masked */
        memcpy(vm + p, &bits, sizeof bits);
    }
    int64_t slots = n < L2__CONV_BWD_SLOTS ? n : L2__CONV_BWD_SLOTS;
    if (nt > slots)
        nt = (int)slots;
    /* per thread: the padded sample, dyp and the slot's lane partials (Op Kp + Op) x 8 */
    size_t pws = (size_t)(s.op * s.kp + s.op), per = (size_t)(s.xsz + s.op * s.lr) + 8 * pws;
    float *buf = tab ? l2__malloc(sizeof(float) * per * (size_t)nt, op) : NULL;
    double *part = buf ? l2__malloc(sizeof(double) * pws * (size_t)slots, op) : NULL;
    if (!part) {
        l2__free(buf);
        l2__free(vm);
        l2__free(tab);
        return false;
    }

#ifdef SMALL_X86
    tap_offsets(&s, off);
    int64_t xs = s.c * s.h * s.w, ys = s.o * s.oh * s.ow;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int t = 0; t < nt; t++) {
        float *xp = buf + per * (size_t)t, *dyp = xp + s.xsz, *vw = dyp + s.op * s.lr;
        float *vb = db ? vw + 8 * s.op * s.kp : NULL;
        for (int64_t sl = l2__part(slots, t, nt); sl < l2__part(slots, t + 1, nt); sl++) {
            memset(vw, 0, sizeof(float) * 8 * pws);
            for (int64_t i = l2__part(n, sl, slots); i < l2__part(n, sl + 1, slots); i++) {
                pad_sample(&s, x + i * xs, xp);
                small_bwd_sample(&s, off, vm, xp, dy + i * ys, dyp, vw, vb);
            }
            /* the lanes in order, into the slot's float64 partial */
            double *pw = part + pws * (size_t)sl;
            for (size_t e = 0; e < pws; e++) {
                float acc = vw[8 * e];
                for (int l = 1; l < 8; l++)
                    acc += vw[8 * e + l];
                pw[e] = acc;
            }
        }
    }
#else
    (void)x;
    (void)dy;
#endif
    /* the slots' partials added in slot order */
    for (int64_t oo = 0; oo < s.o; oo++) {
        for (int64_t t = 0; t < s.k && dw; t++) {
            double acc = 0;
            for (int64_t sl = 0; sl < slots; sl++)
                acc += part[pws * (size_t)sl + (size_t)(oo * s.kp + t)];
            dw[oo * s.k + t] = (float)acc;
        }
        double acc = 0;
        for (int64_t sl = 0; sl < slots && db; sl++)
            acc += part[pws * (size_t)sl + (size_t)(s.op * s.kp + oo)];
        if (db)
            db[oo] = (float)acc;
    }
    l2__free(part);
    l2__free(buf);
    l2__free(vm);
    l2__free(tab);
    return true;
}

/* dx as the forward of dy: for stride 1 and dilation 1, dx[c, y, x] = sum over o, i, j of
 * dy[o, y + pH - i, x + pW - j] w[o, c, i, j], the convolution of dy (O channels, P x Q) with
 * w'[c, o, i, j] = w[o, c, kH-1-i, kW-1-j] and padding (kH-1-pH, kW-1-pW), whose output is H x W.
 * *t: that window (c = O); false when the padding exceeds kH-1 or kW-1. */
static bool dx_window(const win *g, int64_t o, win *t)
{
    if (g->ph > g->kh - 1 || g->pw > g->kw - 1)
        return false;
    *t = (win){o, g->oh, g->ow, g->kh, g->kw, 1, 1, g->kh - 1 - g->ph, g->kw - 1 - g->pw, 1, 1,
               g->h, g->w};
    return true;
}

bool l2__conv_small_dx_ok(l2_dtype dt, int64_t n, int64_t o, int64_t groups, const win *g)
{
    win t;
    return l2__conv_small_ok(dt, n, o, groups, g) && dx_window(g, o, &t) &&
           l2__conv_small_ok(dt, n, g->c, 1, &t);
}

bool l2__conv_small_dx(const char *op, const float *dy, const float *w, float *dx, int64_t n,
                       int64_t o, const win *g, int nt)
{
    win t;
    dx_window(g, o, &t);
    int64_t c = g->c, kk = g->kh * g->kw;
    float *wt = l2__malloc(sizeof(float) * (size_t)(c * o * kk), op);
    if (!wt)
        return false;
    /* mutation test: the kernel not flipped */
    const bool same = l2__fault("conv_small_flip");
    for (int64_t oo = 0; oo < o; oo++)
        for (int64_t cc = 0; cc < c; cc++)
            for (int64_t q = 0; q < kk; q++)
                wt[(cc * o + oo) * kk + (same ? q : kk - 1 - q)] = w[(oo * c + cc) * kk + q];
    bool ok = l2__conv_small_fwd(op, dy, wt, NULL, dx, n, c, &t, nt);
    l2__free(wt);
    return ok;
}
