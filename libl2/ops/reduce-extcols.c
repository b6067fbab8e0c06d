/* reduce-extcols.c: max / min values (no index) over an outer dim (issue 12, area speed11): the
 * cols loop of l2__rk_extv (amax, amin, aminmax). A block of nb neighbouring outputs advances
 * through the reduced rows together, each output's running extreme in a float32 or float64 lane
 * of a vector (8 or 4 per step across the contiguous inner run, AVX2 where the CPU has it, the
 * nb % width outputs left one by one). NaN propagates as in torch: once a lane has seen a NaN it
 * keeps NaN. Each lane keeps the first of equal values (strict comparison), as the row loop. Not
 * here: the index (max_dim, argmax keep l2__rk_ext's row loop), integer dtypes (a scalar loop). */
#include "reduce-impl.h"

#include <string.h>

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>

/* b[j] = the extreme of b[j] and rows p, p + step, ... (n rows) of nb elements, by OP
 * (_mm256_max_ps(v, b) is v > b ? v : b: a NaN in v is blended in, a NaN in b stays). */
#define EXTCOLS(NAME, T, V, LOAD, STORE, OP, UNORD, BLEND, W, CMP)                          \
    __attribute__((target("avx2"))) static void NAME(const char *p, int64_t step, int64_t n,  \
                                                     int64_t nb, T *b)                       \
    {                                                                                        \
        int64_t j = 0;                                                                       \
        for (; j + 4 * W <= nb; j += 4 * W) {                                                \
            V b0 = LOAD(b + j), b1 = LOAD(b + j + W);                                        \
            V b2 = LOAD(b + j + 2 * W), b3 = LOAD(b + j + 3 * W);                            \
            for (int64_t i = 0; i < n; i++) {                                                \
                const T *q = (const T *)(const void *)(p + i * step) + j;                    \
                V v0 = LOAD(q), v1 = LOAD(q + W), v2 = LOAD(q + 2 * W), v3 = LOAD(q + 3 * W);  \
                b0 = BLEND(OP(v0, b0), v0, UNORD(v0, v0));                                   \
                b1 = BLEND(OP(v1, b1), v1, UNORD(v1, v1));                                   \
                b2 = BLEND(OP(v2, b2), v2, UNORD(v2, v2));                                   \
                b3 = BLEND(OP(v3, b3), v3, UNORD(v3, v3));                                   \
            }                                                                                \
            STORE(b + j, b0);                                                                \
            STORE(b + j + W, b1);                                                            \
            STORE(b + j + 2 * W, b2);                                                        \
            STORE(b + j + 3 * W, b3);                                                        \
        }                                                                                    \
        for (; j + W <= nb; j += W) {                                                        \
            V b0 = LOAD(b + j);                                                              \
            for (int64_t i = 0; i < n; i++) {                                                \
                V v0 = LOAD((const T *)(const void *)(p + i * step) + j);                    \
                /* mutation test: a NaN in the rows is not propagated */                    \
                b0 = l2__fault("extcols_nan") ? OP(v0, b0)                                   \
                                              : BLEND(OP(v0, b0), v0, UNORD(v0, v0));        \
            }                                                                                \
            STORE(b + j, b0);                                                                \
        }                                                                                    \
        /* the nb % W outputs left; mutation test: they are skipped */                       \
        for (j = l2__fault("extcols_tail") ? nb : j; j < nb; j++) {                          \
            T m = b[j];                                                                      \
            for (int64_t i = 0; i < n; i++) {                                                \
                T v = ((const T *)(const void *)(p + i * step))[j];                          \
                m = v CMP m || v != v ? v : m;                                               \
            }                                                                                \
            b[j] = m;                                                                        \
        }                                                                                    \
    }

#define UNORD_PS(a, b) _mm256_cmp_ps(a, b, _CMP_UNORD_Q)
#define UNORD_PD(a, b) _mm256_cmp_pd(a, b, _CMP_UNORD_Q)
EXTCOLS(max_f32, float, __m256, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_max_ps, UNORD_PS,
        _mm256_blendv_ps, 8, >)
EXTCOLS(min_f32, float, __m256, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_min_ps, UNORD_PS,
        _mm256_blendv_ps, 8, <)
EXTCOLS(max_f64, double, __m256d, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_max_pd, UNORD_PD,
        _mm256_blendv_pd, 4, >)
EXTCOLS(min_f64, double, __m256d, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_min_pd, UNORD_PD,
        _mm256_blendv_pd, 4, <)
#define EXT_AVX2() __builtin_cpu_supports("avx2")
#else
#define EXT_AVX2() 0
#define max_f32(p, s, n, nb, b) (void)0
#define min_f32(p, s, n, nb, b) (void)0
#define max_f64(p, s, n, nb, b) (void)0
#define min_f64(p, s, n, nb, b) (void)0
#endif

/* The portable loop over strided outputs (or CPUs without AVX2): row by row. */
#define COLS_SCALAR(T, B, CMP)                                                               \
    for (int64_t i = 0; i < n; i++) {                                                        \
        const char *q = p + i * step0;                                                       \
        for (int64_t j = 0; j < nb; j++) {                                                   \
            T v = *(const T *)(const void *)(q + j * os);                                    \
            B[j] = v CMP B[j] || v != v ? v : B[j];                                          \
        }                                                                                    \
    }

/* The cols loop: n reduced positions of the block's nb outputs (colctx) from ptr[0]. The
 * accumulators hold the value in s (float) or k (integers), i >= 0 once an element was seen. */
void l2__ext_cols(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *unused,
                  const void *vcc)
{
    (void)unused;
    const colctx *cc = vcc;
    const rctx *c = cc->ctx;
    const int64_t nb = cc->nb, os = cc->ostep;
    racc *acc = cc->acc;
    const bool mn = c->is_min;
    if (n <= 0 || nb <= 0)
        return;
    const char *p = ptr[0];
    int64_t step0 = step[0];
    const bool first = acc[0].i < 0; /* the block's accumulators move together */
    if (l2__is_float(c->dt)) {
        const bool f32 = c->dt == L2_FLOAT32;
        const size_t es = f32 ? sizeof(float) : sizeof(double);
        union {
            float f[TILE_OUT];
            double d[TILE_OUT];
        } b;
        /* the first row starts the extremes */
        for (int64_t j = 0; j < nb; j++) {
            const char *q = p + j * os;
            if (f32)
                b.f[j] = first ? *(const float *)(const void *)q : (float)acc[j].s;
            else
                b.d[j] = first ? *(const double *)(const void *)q : acc[j].s;
        }
        if (first) {
            p += step0;
            n--;
        }
        if (os == (int64_t)es && EXT_AVX2()) {
            if (f32)
                mn ? min_f32(p, step0, n, nb, b.f) : max_f32(p, step0, n, nb, b.f);
            else
                mn ? min_f64(p, step0, n, nb, b.d) : max_f64(p, step0, n, nb, b.d);
        } else if (f32) {
            if (mn)
                COLS_SCALAR(float, b.f, <)
            else
                COLS_SCALAR(float, b.f, >)
        } else if (mn) {
            COLS_SCALAR(double, b.d, <)
        } else {
            COLS_SCALAR(double, b.d, >)
        }
        for (int64_t j = 0; j < nb; j++) {
            acc[j].s = f32 ? (double)b.f[j] : b.d[j];
            acc[j].i = pos;
        }
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        const char *q = p + i * step0;
        for (int64_t j = 0; j < nb; j++) {
            const char *e = q + j * os;
            int64_t v = c->dt == L2_INT64 ? *(const int64_t *)(const void *)e
                                          : (int64_t) * (const bool *)e;
            if (acc[j].i < 0 || (mn ? v < acc[j].k : v > acc[j].k)) {
                acc[j].k = v;
                acc[j].i = pos + i;
            }
        }
    }
}
