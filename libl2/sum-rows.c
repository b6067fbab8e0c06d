/* sum-rows.c: the row path of l2__sum_to (autograd.c; area: broadcast gradients, issue 12). A
 * contiguous gradient of R x K elements whose target keeps the K inner elements and sums the R
 * leading rows (a bias of shape (K) or (1, K) broadcast against (R, K)) adds each row into K
 * float64 sums and their Neumaier compensations, vector by vector across neighbouring outputs.
 * Each output still takes its terms in row order with the same compensated step as the generic
 * loop, so the result is bitwise the generic path's, only without its one-output-at-a-time
 * dependency chain. Outputs go in tiles of SR_TILE so that the sums stay in L1 however long a
 * row is; the K % 4 outputs after the last vector run one by one. A float32 gradient whose
 * result is float32 takes l2__sum_rows_f32 instead: plain float64 sums (no compensation: the
 * float64 error of R terms stays far below the one float32 rounding), four rows a pass, straight
 * into the float32 result. */
#include "autograd-impl.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__)
#define SR_HOT __attribute__((target_clones("avx2", "default")))
#else
#define SR_HOT
#endif

enum { SR_W = 4, SR_TILE = 512 };
_Static_assert(L2__SUMTO_ROWS_MIN >= 1, "the row path needs at least one output");

typedef double v4d __attribute__((vector_size(SR_W * sizeof(double))));
typedef int64_t v4i __attribute__((vector_size(SR_W * sizeof(int64_t))));
typedef float v4fu __attribute__((vector_size(SR_W * sizeof(float)), aligned(sizeof(float))));
typedef double v4du __attribute__((vector_size(SR_W * sizeof(double)), aligned(sizeof(double))));

/* |x| of four lanes (the sign bits cleared). */
#define SR_ABS(x) ((v4i)(x) & (v4i){INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX})

/* One Neumaier step on four neighbouring outputs: *a += v, *c += the rounding error. (Macros,
 * not functions: a vector argument would change the ABI between the two clones.) */
#define SR_STEP(a, c, v)                                                                     \
    do {                                                                                     \
        v4d a0_, c0_, v_ = (v);                                                              \
        memcpy(&a0_, (a), sizeof a0_);                                                       \
        memcpy(&c0_, (c), sizeof c0_);                                                       \
        v4d t_ = a0_ + v_;                                                                   \
        v4i big_ = (v4d)SR_ABS(a0_) >= (v4d)SR_ABS(v_);                                      \
        v4d e1_ = (a0_ - t_) + v_, e2_ = (v_ - t_) + a0_;                                    \
        c0_ += (v4d)(((v4i)e1_ & big_) | ((v4i)e2_ & ~big_));                                \
        memcpy((a), &t_, sizeof t_);                                                         \
        memcpy((c), &c0_, sizeof c0_);                                                       \
    } while (0)

static inline void sr_one(double *a, double *c, double v)
{
    double a0 = *a, t = a0 + v;
    *c += fabs(a0) >= fabs(v) ? (a0 - t) + v : (v - t) + a0;
    *a = t;
}

/* rows_f32 / rows_f64: R rows of K into acc (+ comp), tiles of SR_TILE outputs, SR_W at a time
 * (LOAD: the row's SR_W elements at k as a v4d), then the kn % SR_W tail one by one. */
#define SR_ROWS(NAME, T, LOAD)                                                               \
    SR_HOT static void NAME(double *acc, double *comp, const T *g, int64_t R, int64_t K,     \
                            bool skip_tail)                                                  \
    {                                                                                        \
        for (int64_t k0 = 0; k0 < K; k0 += SR_TILE) {                                        \
            int64_t kn = K - k0 < SR_TILE ? K - k0 : SR_TILE;                                \
            int64_t kv = kn - kn % SR_W;                                                     \
            int64_t ke = skip_tail ? kv : kn;                                                \
            for (int64_t r = 0; r < R; r++) {                                                \
                const T *row = g + r * K + k0;                                               \
                double *a = acc + k0, *c = comp + k0;                                        \
                for (int64_t k = 0; k < kv; k += SR_W)                                       \
                    SR_STEP(a + k, c + k, LOAD(row + k));                                    \
                for (int64_t k = kv; k < ke; k++)                                            \
                    sr_one(a + k, c + k, (double)row[k]);                                    \
            }                                                                                \
        }                                                                                    \
    }
#define SR_LOAD_F32(q) __builtin_convertvector(*(const v4fu *)(const void *)(q), v4d)
#define SR_LOAD_F64(q) ((v4d) * (const v4du *)(const void *)(q))
SR_ROWS(rows_f32, float, SR_LOAD_F32)
SR_ROWS(rows_f64, double, SR_LOAD_F64)

/* rows_f32_plain: out[k] = sum over r of g[r, k] in float64, rounded once to float32. Tiles of
 * SR_TILE outputs whose sums stay in L1; rows in groups of SR_RG = 4, each vector of sums loaded
 * once, the four rows added in row order, stored once; the R % 4 rows after the last group one
 * at a time. The AVX2 form takes eight outputs a step (its K % 8 tail one by one); the generic
 * form one output a step. Both add the same terms in the same order: bitwise equal results. */
enum { SR_RG = 4 };

static void rows_f32_plain(float *out, const float *g, int64_t R, int64_t K, bool skip_rows)
{
    double acc[SR_TILE];
    int64_t rg = R - R % SR_RG, re = skip_rows ? rg : R;
    for (int64_t k0 = 0; k0 < K; k0 += SR_TILE) {
        int64_t kn = K - k0 < SR_TILE ? K - k0 : SR_TILE;
        memset(acc, 0, (size_t)kn * sizeof acc[0]);
        for (int64_t r = 0; r < rg; r += SR_RG) {
            const float *r0 = g + r * K + k0, *r1 = r0 + K, *r2 = r1 + K, *r3 = r2 + K;
            for (int64_t k = 0; k < kn; k++)
                acc[k] = (((acc[k] + (double)r0[k]) + (double)r1[k]) + (double)r2[k]) +
                         (double)r3[k];
        }
        for (int64_t r = rg; r < re; r++)
            for (int64_t k = 0; k < kn; k++)
                acc[k] += (double)g[r * K + k0 + k];
        for (int64_t k = 0; k < kn; k++)
            out[k0 + k] = (float)acc[k];
    }
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#include <immintrin.h>
#define SR_HAVE_AVX2 1

/* Eight float32 at q widened to two float64 vectors lo, hi and added to them. */
#define SR_ADD8(lo, hi, q)                                                                   \
    do {                                                                                     \
        lo = _mm256_add_pd(lo, _mm256_cvtps_pd(_mm_loadu_ps(q)));                            \
        hi = _mm256_add_pd(hi, _mm256_cvtps_pd(_mm_loadu_ps((q) + 4)));                      \
    } while (0)

__attribute__((target("avx2"))) static void rows_f32_plain_avx2(float *out, const float *g,
                                                                int64_t R, int64_t K,
                                                                bool skip_rows, bool skip_tail)
{
    double acc[SR_TILE] __attribute__((aligned(32)));
    int64_t rg = R - R % SR_RG, re = skip_rows ? rg : R;
    for (int64_t k0 = 0; k0 < K; k0 += SR_TILE) {
        int64_t kn = K - k0 < SR_TILE ? K - k0 : SR_TILE;
        int64_t kv = kn - kn % 8;
        int64_t ke = skip_tail ? kv : kn;
        memset(acc, 0, (size_t)kn * sizeof acc[0]);
        for (int64_t r = 0; r < rg; r += SR_RG) {
            const float *r0 = g + r * K + k0, *r1 = r0 + K, *r2 = r1 + K, *r3 = r2 + K;
            for (int64_t k = 0; k < kv; k += 8) {
                __m256d lo = _mm256_load_pd(acc + k), hi = _mm256_load_pd(acc + k + 4);
                SR_ADD8(lo, hi, r0 + k);
                SR_ADD8(lo, hi, r1 + k);
                SR_ADD8(lo, hi, r2 + k);
                SR_ADD8(lo, hi, r3 + k);
                _mm256_store_pd(acc + k, lo);
                _mm256_store_pd(acc + k + 4, hi);
            }
            for (int64_t k = kv; k < ke; k++)
                acc[k] = (((acc[k] + (double)r0[k]) + (double)r1[k]) + (double)r2[k]) +
                         (double)r3[k];
        }
        for (int64_t r = rg; r < re; r++) {
            const float *row = g + r * K + k0;
            for (int64_t k = 0; k < kv; k += 8) {
                __m256d lo = _mm256_load_pd(acc + k), hi = _mm256_load_pd(acc + k + 4);
                SR_ADD8(lo, hi, row + k);
                _mm256_store_pd(acc + k, lo);
                _mm256_store_pd(acc + k + 4, hi);
            }
            for (int64_t k = kv; k < ke; k++)
                acc[k] += (double)row[k];
        }
        for (int64_t k = 0; k < kn; k++)
            out[k0 + k] = (float)acc[k];
    }
}
#else
#define SR_HAVE_AVX2 0
#endif

bool l2__sum_rows_f32(l2_tensor *out, const l2_tensor *g, int64_t R, int64_t K)
{
    if (K < L2__SUMTO_ROWS_MIN || !l2__is_contiguous(g) || g->dtype != L2_FLOAT32 ||
        out->dtype != L2_FLOAT32)
        return false;
    bool skip_rows = l2__fault("sumto_rows4"); /* mutation test: the R % 4 last rows left out */
    bool skip_tail = l2__fault("sumto_tail");  /* mutation test: the K % 8 outputs left out */
    float *o = (float *)l2__data(out);
    const float *gf = (const float *)(const void *)l2__data(g);
#if SR_HAVE_AVX2
    if (__builtin_cpu_supports("avx2")) {
        rows_f32_plain_avx2(o, gf, R, K, skip_rows, skip_tail);
        return true;
    }
#endif
    rows_f32_plain(o, gf, R, K, skip_rows);
    return true;
}

bool l2__sum_rows(double *acc, double *comp, const l2_tensor *g, int64_t R, int64_t K)
{
    if (K < L2__SUMTO_ROWS_MIN || !l2__is_contiguous(g))
        return false;
    bool skip_tail = l2__fault("sumto_tail"); /* mutation test: the K % 4 outputs left out */
    const char *base = l2__data(g);
    if (g->dtype == L2_FLOAT32)
        rows_f32(acc, comp, (const float *)(const void *)base, R, K, skip_tail);
    else if (g->dtype == L2_FLOAT64)
        rows_f64(acc, comp, (const double *)(const void *)base, R, K, skip_tail);
    else
        return false;
    return true;
}
