/* gemm.c: libl2's own float32 matrix product (l2__sgemm, see gemm.h) and the policy that chooses
 * it over OpenBLAS's sgemm (L2_GEMM, l2_debug_gemm). Operands are packed from any strides into
 * panels of MR rows of a and NR columns of b (a panel whose rows or columns run along K, as in a
 * weight gradient's dy and columns, through AVX2 8x8 transposes), blocked by KC (the contracted
 * dim), MC and NC, and multiplied by an MR x NR micro-kernel: AVX2+FMA (6x16, 12 ymm
 * accumulators) chosen at run time, or a portable C one (other CPUs, L2_NO_VEC,
 * l2_debug_vector_math(false)). Edge tiles go through a small temporary tile. Threads split the columns (or rows) of c. No float64 or int64 here.
 *
 * Dimension letters: M rows of a and c, N columns of b and c, K the contracted dim. */
#include "gemm.h"
#include "../vmath.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MR L2__SGEMM_MR
#define NR L2__SGEMM_NR
#define KC L2__SGEMM_KC
#define MC L2__SGEMM_MC
#define NC L2__SGEMM_NC

_Static_assert(MR == 6 && NR == 16, "the AVX2 micro-kernel is 6x16");
_Static_assert(MC % MR == 0 && NC % NR == 0, "blocks hold whole panels");

#if defined(__x86_64__) && defined(__GNUC__)
#define GEMM_X86 1
#include <immintrin.h>
#endif

/* A micro-kernel: c[i,j] (i < MR, j < NR, row stride ldc) = alpha * acc[i,j] + beta * c[i,j]
 * with acc[i,j] = sum_k a[k * MR + i] * b[k * NR + j], k < kc, accumulated in k order. When beta
 * is 0 c is not read. */
typedef void (*kernel_fn)(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                          float alpha, float beta);

/* The portable micro-kernel. */
static void kernel_c(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                     float alpha, float beta)
{
    float acc[MR][NR] = {{0}};
    for (int64_t k = 0; k < kc; k++, a += MR, b += NR)
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++)
                acc[i][j] += a[i] * b[j];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) {
            float *o = &c[i * ldc + j];
            *o = beta == 0 ? alpha * acc[i][j] : alpha * acc[i][j] + beta * *o;
        }
}

#ifdef GEMM_X86
/* The AVX2+FMA micro-kernel: per k, two 8-float loads of b, six broadcasts of a, 12 FMAs. */
__attribute__((target("avx2,fma"))) static void
kernel_avx2(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, float alpha,
            float beta)
{
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (int64_t k = 0; k < kc; k++, a += MR, b += NR) {
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8), ai;
        ai = _mm256_broadcast_ss(a + 0);
        c00 = _mm256_fmadd_ps(ai, b0, c00);
        c01 = _mm256_fmadd_ps(ai, b1, c01);
        ai = _mm256_broadcast_ss(a + 1);
        c10 = _mm256_fmadd_ps(ai, b0, c10);
        c11 = _mm256_fmadd_ps(ai, b1, c11);
        ai = _mm256_broadcast_ss(a + 2);
        c20 = _mm256_fmadd_ps(ai, b0, c20);
        c21 = _mm256_fmadd_ps(ai, b1, c21);
        ai = _mm256_broadcast_ss(a + 3);
        c30 = _mm256_fmadd_ps(ai, b0, c30);
        c31 = _mm256_fmadd_ps(ai, b1, c31);
        ai = _mm256_broadcast_ss(a + 4);
        c40 = _mm256_fmadd_ps(ai, b0, c40);
        c41 = _mm256_fmadd_ps(ai, b1, c41);
        ai = _mm256_broadcast_ss(a + 5);
        c50 = _mm256_fmadd_ps(ai, b0, c50);
        c51 = _mm256_fmadd_ps(ai, b1, c51);
    }
    __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                         {c30, c31}, {c40, c41}, {c50, c51}};
    const __m256 al = _mm256_set1_ps(alpha), be = _mm256_set1_ps(beta);
    for (int i = 0; i < MR; i++) {
        float *o = c + i * ldc;
        for (int h = 0; h < 2; h++) {
            __m256 r = _mm256_mul_ps(al, acc[i][h]);
            if (beta != 0)
                r = _mm256_fmadd_ps(be, _mm256_loadu_ps(o + 8 * h), r);
            _mm256_storeu_ps(o + 8 * h, r);
        }
    }
}
#endif

#ifdef GEMM_X86
/* Transpose the 8x8 block r[0..7] in registers: r[i] lane j becomes r[j] lane i. */
__attribute__((target("avx2,fma"))) static inline void transpose8(__m256 r[8])
{
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/* pack_a for MR whole rows, each contiguous along k (a row-major a: the weight gradient's dy),
 * 8 k at a time through a transpose; returns the k done (a multiple of 8). Each k's 6 values
 * are stored as 8 lanes whose last two the next k overwrites; the last k of all stores 6. */
__attribute__((target("avx2,fma"))) static int64_t pack_a_rows_avx2(int64_t kc, const float *a,
                                                                     int64_t rs, float *p)
{
    /* mutation test: two k of each group of 8 packed in each other's place */
    const int swap = l2__fault("gemm_tpack") ? 1 : 0;
    const __m256i six = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
    int64_t k = 0;
    for (; k + 8 <= kc; k += 8) {
        __m256 r[8];
        for (int i = 0; i < MR; i++)
            r[i] = _mm256_loadu_ps(a + i * rs + k);
        r[6] = r[7] = _mm256_setzero_ps();
        transpose8(r);
        for (int j = 0; j < 8; j++) {
            int64_t dst = k + (j ^ swap);
            if (dst == kc - 1)
                _mm256_maskstore_ps(p + dst * MR, six, r[j]);
            else
                _mm256_storeu_ps(p + dst * MR, r[j]);
        }
    }
    return k;
}

/* pack_b for NR whole columns, each contiguous along k (a transposed b: the weight gradient's
 * columns), 8 k of 8 columns at a time through a transpose; returns the k done. */
__attribute__((target("avx2,fma"))) static int64_t pack_b_cols_avx2(int64_t kc, const float *b,
                                                                     int64_t cs, float *p)
{
    const int swap = l2__fault("gemm_tpack") ? 1 : 0;
    int64_t k = 0;
    for (; k + 8 <= kc; k += 8)
        for (int h = 0; h < NR; h += 8) {
            __m256 r[8];
            for (int j = 0; j < 8; j++)
                r[j] = _mm256_loadu_ps(b + (h + j) * cs + k);
            transpose8(r);
            for (int i = 0; i < 8; i++)
                _mm256_storeu_ps(p + (k + (i ^ swap)) * NR + h, r[i]);
        }
    return k;
}
#endif

/* Pack rows [0, mr) of a's block (mr <= MR rows, kc columns; element (i,k) at a[i*rs + k*cs])
 * into p[k * MR + i], zeros for rows mr..MR-1; vec: the AVX2 transposing copy may run. */
static void pack_a(int64_t mr, int64_t kc, const float *a, int64_t rs, int64_t cs, float *p,
                   bool vec)
{
    if (mr == MR && rs == 1) {
        for (int64_t k = 0; k < kc; k++)
            memcpy(p + k * MR, a + k * cs, MR * sizeof(float));
        return;
    }
#ifdef GEMM_X86
    if (mr == MR && cs == 1 && vec) {
        int64_t k0 = pack_a_rows_avx2(kc, a, rs, p);
        for (int64_t k = k0; k < kc; k++)
            for (int64_t i = 0; i < MR; i++)
                p[k * MR + i] = a[i * rs + k];
        return;
    }
#endif
    if (cs == 1) { /* rows contiguous along k: read them one by one */
        for (int64_t i = 0; i < mr; i++)
            for (int64_t k = 0; k < kc; k++)
                p[k * MR + i] = a[i * rs + k];
    } else {
        for (int64_t k = 0; k < kc; k++)
            for (int64_t i = 0; i < mr; i++)
                p[k * MR + i] = a[i * rs + k * cs];
    }
    for (int64_t i = mr; i < MR; i++)
        for (int64_t k = 0; k < kc; k++)
            p[k * MR + i] = 0.0f;
}

/* Pack columns [0, nr) of b's block (kc rows, nr <= NR columns; element (k,j) at b[k*rs + j*cs])
 * into p[k * NR + j], zeros for columns nr..NR-1; vec: the AVX2 transposing copy may run. */
static void pack_b(int64_t kc, int64_t nr, const float *b, int64_t rs, int64_t cs, float *p,
                   bool vec)
{
    if (nr == NR && cs == 1) {
        for (int64_t k = 0; k < kc; k++)
            memcpy(p + k * NR, b + k * rs, NR * sizeof(float));
        return;
    }
#ifdef GEMM_X86
    if (nr == NR && rs == 1 && vec) {
        int64_t k0 = pack_b_cols_avx2(kc, b, cs, p);
        for (int64_t j = 0; j < NR; j++)
            for (int64_t k = k0; k < kc; k++)
                p[k * NR + j] = b[k + j * cs];
        return;
    }
#endif
    if (nr < NR)
        memset(p, 0, (size_t)(kc * NR) * sizeof(float));
    for (int64_t j = 0; j < nr; j++)
        for (int64_t k = 0; k < kc; k++)
            p[k * NR + j] = b[k * rs + j * cs];
}

/* One thread's share: c's rows [m0, m1) x columns [n0, n1), all of K. Packing buffers in ws
 * (WS_FLOATS floats, 64-byte aligned: about 330 KiB with the defaults, from the heap: a thread
 * of the caller's may have a small stack). */
typedef struct {
    int64_t M, N, K;
    float alpha, beta;
    const float *a, *b;
    int64_t ars, acs, brs, bcs;
    float *c;
    int64_t ldc;
    kernel_fn kern;
} job;

#define WS_FLOATS (MC * KC + KC * NC + MR * NR)
_Static_assert((MC * KC) % 16 == 0 && (KC * NC) % 16 == 0 && WS_FLOATS % 16 == 0,
               "each packing buffer starts 64-byte aligned");

static void run_block(const job *g, int64_t m0, int64_t m1, int64_t n0, int64_t n1, float *ws)
{
    float *ap = ws, *bp = ws + MC * KC, *tile = bp + KC * NC;
    memset(tile, 0, MR * NR * sizeof(float));
    /* mutation tests: the 2nd K block dropped; edge tiles lose their last column */
    const bool drop_kc = l2__fault("gemm_kc"), edge_short = l2__fault("gemm_edge");
    for (int64_t jc = n0; jc < n1; jc += NC) {
        int64_t nc = n1 - jc < NC ? n1 - jc : NC;
        for (int64_t pc = 0; pc < g->K; pc += KC) {
            int64_t kc = g->K - pc < KC ? g->K - pc : KC;
            if (pc == KC && drop_kc)
                continue;
            float beta = pc == 0 ? g->beta : 1.0f;
            for (int64_t jr = 0; jr < nc; jr += NR) {
                int64_t nr = nc - jr < NR ? nc - jr : NR;
                pack_b(kc, nr, g->b + pc * g->brs + (jc + jr) * g->bcs, g->brs, g->bcs,
                       bp + jr * KC, g->kern != kernel_c);
            }
            for (int64_t ic = m0; ic < m1; ic += MC) {
                int64_t mc = m1 - ic < MC ? m1 - ic : MC;
                for (int64_t ir = 0; ir < mc; ir += MR) {
                    int64_t mr = mc - ir < MR ? mc - ir : MR;
                    pack_a(mr, kc, g->a + (ic + ir) * g->ars + pc * g->acs, g->ars, g->acs,
                           ap + ir * KC, g->kern != kernel_c);
                }
                for (int64_t jr = 0; jr < nc; jr += NR) {
                    int64_t nr = nc - jr < NR ? nc - jr : NR;
                    for (int64_t ir = 0; ir < mc; ir += MR) {
                        int64_t mr = mc - ir < MR ? mc - ir : MR;
                        float *cp = g->c + (ic + ir) * g->ldc + jc + jr;
                        if (mr == MR && nr == NR) {
                            g->kern(kc, ap + ir * KC, bp + jr * KC, cp, g->ldc, g->alpha, beta);
                            continue;
                        }
                        /* Edge tile: the same kernel on a copy, then the valid part back. */
                        if (beta != 0)
                            for (int64_t i = 0; i < mr; i++)
                                memcpy(tile + i * NR, cp + i * g->ldc,
                                       (size_t)nr * sizeof(float));
                        g->kern(kc, ap + ir * KC, bp + jr * KC, tile, NR, g->alpha, beta);
                        int64_t keep = nr > 1 && edge_short ? nr - 1 : nr;
                        for (int64_t i = 0; i < mr; i++)
                            memcpy(cp + i * g->ldc, tile + i * NR, (size_t)keep * sizeof(float));
                    }
                }
            }
        }
    }
}

/* ---- policy ------------------------------------------------------------------------------- */

/* 0: not decided; else L2_GEMM_AUTO + 1, L2_GEMM_OWN + 1 or L2_GEMM_BLAS + 1. */
static atomic_int gemm_mode;
/* Whether auto mode prefers the own kernel on this machine: -1 not decided, 0 no, 1 yes. */
static atomic_int auto_own = -1;

extern char *openblas_get_corename(void);

static bool cpu_avx2_fma(void)
{
#ifdef GEMM_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

/* True when OpenBLAS runs kernels with AVX2 (it recognised the CPU): Haswell and later cores. */
static bool blas_core_fast(void)
{
    static const char *const fast[] = {"haswell", "zen", "skylakex", "cooperlake",
                                       "sapphirerapids", "excavator"};
    const char *name = openblas_get_corename();
    if (!name)
        return false;
    for (size_t i = 0; i < sizeof fast / sizeof fast[0]; i++)
        if (strcasecmp(name, fast[i]) == 0)
            return true;
    return false;
}

static int mode_decide(void)
{
    int m = atomic_load(&gemm_mode);
    if (m)
        return m - 1;
    const char *e = getenv("L2_GEMM");
    m = L2_GEMM_AUTO;
    if (e && strcmp(e, "own") == 0)
        m = L2_GEMM_OWN;
    else if (e && strcmp(e, "blas") == 0)
        m = L2_GEMM_BLAS;
    int expect = 0;
    atomic_compare_exchange_strong(&gemm_mode, &expect, m + 1);
    return atomic_load(&gemm_mode) - 1;
}

int l2_debug_gemm(int mode)
{
    L2__CHECK(mode >= L2_GEMM_AUTO && mode <= L2_GEMM_BLAS, -1, L2_ERR_ARG,
              "debug_gemm: mode must be L2_GEMM_AUTO, _OWN or _BLAS (got %d)", mode);
    int old = mode_decide();
    atomic_store(&gemm_mode, mode + 1);
    return old;
}

bool l2__sgemm_wanted(int64_t M, int64_t N, int64_t K)
{
    if ((double)M * (double)N * (double)K < L2__SGEMM_MIN)
        return false;
    int m = mode_decide();
    if (m != L2_GEMM_AUTO)
        return m == L2_GEMM_OWN;
    /* Fewer columns and fewer rows than one micro-tile: the padded tile wastes most of the
     * kernel's work and packing dominates, so auto leaves these to BLAS. Few columns but a
     * tile's rows: l2__sgemm takes the transposed product (16x9x50176 NT, the CNN's conv1
     * weight gradient, was 0.95 ms untransposed against BLAS's 0.80). */
    if (N < NR && M < NR)
        return false;
    int a = atomic_load(&auto_own);
    if (a < 0) {
        a = cpu_avx2_fma() && !blas_core_fast();
        atomic_store(&auto_own, a);
    }
    /* The vector switch off (L2_NO_VEC) means no AVX2 kernel: BLAS is then the faster. */
    return a && l2__vmath_f32(L2__VM_EXP) != NULL;
}

/* ---- driver ------------------------------------------------------------------------------- */

static bool sgemm_run(int64_t M, int64_t N, int64_t K, float alpha, const float *a,
                      int64_t ars, int64_t acs, const float *b, int64_t brs, int64_t bcs,
                      float beta, float *c, int64_t ldc);

/* Fewer columns than one micro-tile but at least a tile's rows (fc layers' N = 10, the conv
 * weight gradient of a few taps): the transposed product c^T = b^T a^T, whose columns fill the
 * tiles, into a scratch (N, M), then c = scratch^T + beta c. */
bool l2__sgemm(int64_t M, int64_t N, int64_t K, float alpha, const float *a, int64_t ars,
               int64_t acs, const float *b, int64_t brs, int64_t bcs, float beta, float *c,
               int64_t ldc)
{
    if (N >= NR || M < NR)
        return sgemm_run(M, N, K, alpha, a, ars, acs, b, brs, bcs, beta, c, ldc);
    float *t = l2__try_malloc((size_t)M * (size_t)N * sizeof(float));
    if (!t || !sgemm_run(N, M, K, alpha, b, bcs, brs, a, acs, ars, 0.0f, t, M)) {
        l2__free(t);
        return false;
    }
    /* mutation test: the scratch read row-major, not transposed */
    bool bad = l2__fault("gemm_swap");
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            float v = bad ? t[i * N + j] : t[j * M + i];
            c[i * ldc + j] = beta == 0.0f ? v : v + beta * c[i * ldc + j];
        }
    l2__free(t);
    return true;
}

static bool sgemm_run(int64_t M, int64_t N, int64_t K, float alpha, const float *a,
                      int64_t ars, int64_t acs, const float *b, int64_t brs, int64_t bcs,
                      float beta, float *c, int64_t ldc)
{
    job g = {M, N, K, alpha, beta, a, b, ars, acs, brs, bcs, c, ldc, kernel_c};
#ifdef GEMM_X86
    if (cpu_avx2_fma() && l2__vmath_f32(L2__VM_EXP) != NULL)
        g.kern = kernel_avx2;
#endif

    /* Threads: at least L2__SGEMM_GRAIN multiply-adds each, over whole panels of the longer
     * side in panels (columns when there are enough of them). */
    int64_t pn = (N + NR - 1) / NR, pm = (M + MR - 1) / MR;
    bool by_cols = pn >= pm || pn >= 4 * (int64_t)l2__num_threads();
    int64_t panels = by_cols ? pn : pm;
    double work = (double)M * (double)N * (double)K;
    int64_t nt = l2__num_threads();
    if (work < (double)L2__SGEMM_GRAIN * nt)
        nt = (int64_t)(work / L2__SGEMM_GRAIN);
    if (nt > panels)
        nt = panels;
    if (nt < 1)
        nt = 1;
    int nti = (int)nt;
    /* One workspace per thread (WS_FLOATS is a multiple of 16 floats: each stays 64-byte
     * aligned); none to be had: the caller takes BLAS, with no error set. */
    float *ws = l2__try_malloc((size_t)nti * WS_FLOATS * sizeof(float));
    if (!ws)
        return false;
    _Pragma("omp parallel for num_threads(nti) schedule(static) if (nti > 1)")
    for (int t = 0; t < nti; t++) {
        int64_t p0 = panels * t / nti, p1 = panels * (t + 1) / nti;
        float *w = ws + (size_t)t * WS_FLOATS;
        if (p0 == p1)
            continue;
        if (by_cols)
            run_block(&g, 0, M, p0 * NR, p1 * NR < N ? p1 * NR : N, w);
        else
            run_block(&g, p0 * MR, p1 * MR < M ? p1 * MR : M, 0, N, w);
    }
    l2__free(ws);
    return true;
}
