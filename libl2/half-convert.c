/* half-convert.c: contiguous runs of bfloat16 / float16 <-> float32 conversions (issue 16), the
 * copy kernel's fast path for the half route: AVX2 (+F16C for float16) eight lanes at a time
 * when the CPU has them (checked once at run time), the scalar conversions of half.h otherwise
 * and for the tails. Bit for bit the scalar results: round to nearest even, NaN to the quiet
 * NaN half.h makes (0x7fc0 for bfloat16, sign | 0x7e00 for float16). */
#include "l2-impl.h"
#include "half.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define HALF_X86 1

/* AVX2 (which implies the OS saves the AVX state) and F16C (CPUID leaf 1, ECX; clang 14's
 * __builtin_cpu_supports does not know "f16c"). */
static bool have_simd(void)
{
    static int cached = -1;
    if (cached < 0) {
        unsigned a = 0, b = 0, c = 0, d = 0;
        bool f16c = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
        cached = __builtin_cpu_supports("avx2") && f16c;
    }
    return cached;
}

__attribute__((target("avx2"))) static int64_t bf16_to_f32_avx2(float *o, const uint16_t *a,
                                                                  int64_t n)
{
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(a + i)));
        _mm256_storeu_si256((__m256i *)(o + i), _mm256_slli_epi32(w, 16));
    }
    return i;
}

__attribute__((target("avx2"))) static int64_t f32_to_bf16_avx2(uint16_t *o, const float *a,
                                                                  int64_t n)
{
    const __m256i bias = _mm256_set1_epi32(0x7fff), one = _mm256_set1_epi32(1);
    const __m256i qnan = _mm256_set1_epi32(0x7fc0);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 f = _mm256_loadu_ps(a + i);
        __m256i u = _mm256_castps_si256(f);
        __m256i odd = _mm256_and_si256(_mm256_srli_epi32(u, 16), one);
        __m256i r = _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(bias, odd)), 16);
        __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(f, f, _CMP_UNORD_Q));
        r = _mm256_blendv_epi8(r, qnan, nan);
        /* 32 -> 16 bits: the values fit, packus packs within 128-bit lanes, then reorder */
        __m256i pk = _mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0x08);
        _mm_storeu_si128((__m128i *)(o + i), _mm256_castsi256_si128(pk));
    }
    return i;
}

__attribute__((target("avx2,f16c"))) static int64_t f16_to_f32_avx2(float *o, const uint16_t *a,
                                                                     int64_t n)
{
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(o + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + i))));
    return i;
}

__attribute__((target("avx2,f16c"))) static int64_t f32_to_f16_avx2(uint16_t *o, const float *a,
                                                                     int64_t n)
{
    const __m128i qnan = _mm_set1_epi16(0x7e00), sign = _mm_set1_epi16((short)0x8000);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 f = _mm256_loadu_ps(a + i);
        __m128i h = _mm256_cvtps_ph(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        /* NaN lanes: the sign and 0x7e00, as the scalar conversion (not the payload) */
        __m256i nan32 = _mm256_castps_si256(_mm256_cmp_ps(f, f, _CMP_UNORD_Q));
        __m128i nan = _mm_packs_epi32(_mm256_castsi256_si128(nan32),
                                      _mm256_extracti128_si256(nan32, 1));
        __m128i fix = _mm_or_si128(_mm_and_si128(h, sign), qnan);
        _mm_storeu_si128((__m128i *)(o + i), _mm_blendv_epi8(h, fix, nan));
    }
    return i;
}
#endif

void l2__half_to_f32_run(float *o, const uint16_t *a, int64_t n, l2_dtype src)
{
    int64_t i = 0;
#ifdef HALF_X86
    if (have_simd())
        i = src == L2_BFLOAT16 ? bf16_to_f32_avx2(o, a, n) : f16_to_f32_avx2(o, a, n);
#endif
    if (src == L2_BFLOAT16)
        for (; i < n; i++)
            o[i] = l2__bf16_to_f32(a[i]);
    else
        for (; i < n; i++)
            o[i] = l2__f16_to_f32(a[i]);
}

void l2__f32_to_half_run(uint16_t *o, const float *a, int64_t n, l2_dtype dst)
{
    int64_t i = 0;
#ifdef HALF_X86
    if (have_simd())
        i = dst == L2_BFLOAT16 ? f32_to_bf16_avx2(o, a, n) : f32_to_f16_avx2(o, a, n);
#endif
    if (dst == L2_BFLOAT16)
        for (; i < n && !l2__fault("half_cvt_tail"); i++) /* mutation test: tail left out */
            o[i] = l2__f32_to_bf16(a[i]);
    else
        for (; i < n; i++)
            o[i] = l2__f32_to_f16(a[i]);
}
