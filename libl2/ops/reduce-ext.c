/* reduce-ext.c: the vector row loop of max / min with the index of the first extreme element
 * (issue 12): contiguous float32 rows of at least L2__REDUCE_EXT_VEC elements on x86-64 CPUs with
 * AVX2. One pass keeps the running extreme in four vectors of 8 lanes and whether a NaN was seen;
 * a second pass finds the first element equal to the extreme (or the first NaN, as torch: NaN
 * propagates and its first index is returned). The value is read back from that element, so +0
 * and -0 come out as the scalar loop's. Not here: other dtypes, strided rows, other CPUs (the
 * scalar loop ext_row in reduce-kern.c serves them). */
#include "reduce-impl.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>

/* The first index in q[0, n) whose element is unordered (NaN), or equals best. */
__attribute__((target("avx2"))) static int64_t first_at(const float *q, int64_t n, float best,
                                                        bool nan)
{
    const __m256 b = _mm256_set1_ps(best);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(q + i);
        __m256 hit = nan ? _mm256_cmp_ps(v, v, _CMP_UNORD_Q) : _mm256_cmp_ps(v, b, _CMP_EQ_OQ);
        int m = _mm256_movemask_ps(hit);
        if (m)
            return i + __builtin_ctz((unsigned)m);
    }
    for (; i < n; i++)
        if (nan ? isnan(q[i]) : q[i] == best)
            return i;
    return n - 1; /* not reached: the extreme is an element */
}

/* The extreme of q[0, n), n >= 32, and whether a NaN occurs, by OP (_mm256_max_ps or min). */
#define EXT_PASS(NAME, OP, CMP)                                                              \
    __attribute__((target("avx2"))) static float NAME(const float *q, int64_t n, bool *nan)  \
    {                                                                                        \
        __m256 m0 = _mm256_loadu_ps(q), m1 = _mm256_loadu_ps(q + 8);                         \
        __m256 m2 = _mm256_loadu_ps(q + 16), m3 = _mm256_loadu_ps(q + 24);                   \
        __m256 un = _mm256_or_ps(_mm256_cmp_ps(m0, m1, _CMP_UNORD_Q),                        \
                                 _mm256_cmp_ps(m2, m3, _CMP_UNORD_Q));                       \
        int64_t i = 32;                                                                      \
        for (; i + 32 <= n; i += 32) {                                                       \
            __m256 v0 = _mm256_loadu_ps(q + i), v1 = _mm256_loadu_ps(q + i + 8);             \
            __m256 v2 = _mm256_loadu_ps(q + i + 16), v3 = _mm256_loadu_ps(q + i + 24);       \
            un = _mm256_or_ps(un, _mm256_or_ps(_mm256_cmp_ps(v0, v1, _CMP_UNORD_Q),          \
                                               _mm256_cmp_ps(v2, v3, _CMP_UNORD_Q)));        \
            m0 = OP(m0, v0);                                                                 \
            m1 = OP(m1, v1);                                                                 \
            m2 = OP(m2, v2);                                                                 \
            m3 = OP(m3, v3);                                                                 \
        }                                                                                    \
        for (; i + 8 <= n; i += 8) {                                                         \
            __m256 v = _mm256_loadu_ps(q + i);                                               \
            un = _mm256_or_ps(un, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));                        \
            m0 = OP(m0, v);                                                                  \
        }                                                                                    \
        /* mutation test: NaN is not looked for (the extreme of the other elements wins) */  \
        if (l2__fault("maxrow_nan"))                                                         \
            un = _mm256_setzero_ps();                                                        \
        float t[8];                                                                          \
        _mm256_storeu_ps(t, OP(OP(m0, m1), OP(m2, m3)));                                     \
        float best = t[0];                                                                   \
        for (int k = 1; k < 8; k++)                                                          \
            best = t[k] CMP best ? t[k] : best;                                              \
        bool seen = _mm256_movemask_ps(un) != 0;                                             \
        /* the n % 8 tail; mutation test: the tail is skipped */                             \
        for (i = l2__fault("maxrow_tail") ? n : i; i < n; i++) {                             \
            seen = seen || isnan(q[i]);                                                      \
            best = q[i] CMP best ? q[i] : best;                                              \
        }                                                                                    \
        *nan = seen;                                                                         \
        return best;                                                                         \
    }
EXT_PASS(pass_max, _mm256_max_ps, >)
EXT_PASS(pass_min, _mm256_min_ps, <)

int64_t l2__vrow_ext_f32(const float *q, int64_t n, bool is_min)
{
    if (n < L2__REDUCE_EXT_VEC || !__builtin_cpu_supports("avx2"))
        return -1;
    bool nan = false;
    float best = is_min ? pass_min(q, n, &nan) : pass_max(q, n, &nan);
    return first_at(q, n, best, nan);
}
#else
int64_t l2__vrow_ext_f32(const float *q, int64_t n, bool is_min)
{
    (void)q, (void)n, (void)is_min;
    return -1;
}
#endif
