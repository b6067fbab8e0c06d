/* half.h: bfloat16 and float16 bit conversions (issue 16), as torch's c10::BFloat16 and
 * c10::Half do them: to float32 exactly; from float32 rounding to nearest, ties to even. */
#ifndef L2_HALF_H
#define L2_HALF_H

#include <stdint.h>
#include <string.h>

static inline uint32_t l2__f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}
static inline float l2__bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline float l2__bf16_to_f32(uint16_t h) { return l2__bits_f32((uint32_t)h << 16); }

/* Round to nearest even on the top 16 bits; a NaN becomes the quiet NaN 0x7fc0 (as c10). */
static inline uint16_t l2__f32_to_bf16(float f)
{
    if (f != f)
        return UINT16_C(0x7fc0);
    uint32_t u = l2__f32_bits(f);
    u += UINT32_C(0x7fff) + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

static inline float l2__f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0) { /* zero or subnormal: m * 2^-24, exact in float32 */
        float v = (float)m * 0x1p-24f;
        return sign ? -v : v;
    }
    if (e == 31)
        return l2__bits_f32(sign | UINT32_C(0x7f800000) | (m << 13));
    return l2__bits_f32(sign | ((e + 112u) << 23) | (m << 13));
}

/* IEEE binary16, round to nearest even, subnormals kept, overflow to inf; NaN -> (sign) 0x7e00
 * as the FP16 library c10 uses. */
static inline uint16_t l2__f32_to_f16(float f)
{
    uint32_t x = l2__f32_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t a = x & UINT32_C(0x7fffffff);
    if (a > UINT32_C(0x7f800000))
        return sign | UINT16_C(0x7e00);
    if (a >= UINT32_C(0x477ff000)) /* 65520 and up round to inf */
        return sign | UINT16_C(0x7c00);
    if (a >= UINT32_C(0x38800000)) { /* normal: 2^-14 and up */
        uint32_t r = a + UINT32_C(0xfff) + ((a >> 13) & 1u);
        return sign | (uint16_t)((r - UINT32_C(0x38000000)) >> 13);
    }
    uint32_t e = a >> 23;
    if (e < 102) /* below 2^-25 (and 2^-25 itself ties to 0) */
        return sign;
    uint32_t mant = (a & UINT32_C(0x7fffff)) | UINT32_C(0x800000), s = 126 - e;
    uint32_t q = mant >> s, rem = mant & ((UINT32_C(1) << s) - 1), half = UINT32_C(1) << (s - 1);
    if (rem > half || (rem == half && (q & 1u)))
        q++;
    return sign | (uint16_t)q;
}

#endif
