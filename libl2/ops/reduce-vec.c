/* reduce-vec.c: vector loops for the float sums of the reductions (sum and mean, var's squared
 * deviations, the 2-norm's squares): a contiguous block of elements into L2__REDUCE_VEC_BLOCK
 * float64 lanes, and blocks of that many neighbouring outputs of an outer-dim sum advancing
 * together through the reduced rows. Accumulation stays in float64, so the results keep the
 * scalar loops' accuracy. Each loop is written once (a macro) over GCC's vector extensions (GCC
 * and clang) and built twice: a generic copy, and on x86-64 an AVX2 copy with intrinsic loads
 * (GCC 12 splits a converted unaligned load into halves), picked per call by the CPU's features.
 * Not here: the strided cases, integer sums (reduce-kern.c). */
#include "reduce-impl.h"

#include <string.h>

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define RV_X86(...) __VA_ARGS__
#define X86_ATTR __attribute__((target("avx2")))
#define X86_float(p) _mm256_cvtps_pd(_mm_loadu_ps(p))
#define X86_double(p) _mm256_loadu_pd(p)
#define RV_USE_AVX2() __builtin_cpu_supports("avx2")
typedef __m256 X86_v8f;
#define X86_f8(p) _mm256_loadu_ps(p)
/* lo += float64 of f's lanes 0..3, hi += of its lanes 4..7 */
#define X86_widen(lo, hi, f)                                                                 \
    do {                                                                                     \
        lo += _mm256_cvtps_pd(_mm256_castps256_ps128(f));                                    \
        hi += _mm256_cvtps_pd(_mm256_extractf128_ps(f, 1));                                  \
    } while (0)
#else
#define RV_X86(...)
#endif
#define GEN_ATTR

/* VB lanes in NV = 4 vectors of VW float64 (written out below as a0..a3). */
enum { VB = L2__REDUCE_VEC_BLOCK, VW = 4, NV = VB / VW };
_Static_assert(NV == 4, "the loops below hold four vectors");

typedef double v4d __attribute__((vector_size(4 * sizeof(double))));
/* Element-aligned vectors, for loads at any element offset. */
typedef float v4fu __attribute__((vector_size(4 * sizeof(float)), aligned(sizeof(float))));
typedef double v4du __attribute__((vector_size(4 * sizeof(double)), aligned(sizeof(double))));

/* Four float64 from p (float or double elements). */
#define GEN_float(p) __builtin_convertvector(*(const v4fu *)(const void *)(p), v4d)
#define GEN_double(p) ((v4d) * (const v4du *)(const void *)(p))
typedef float GEN_v8f __attribute__((vector_size(8 * sizeof(float))));
typedef float v8fu __attribute__((vector_size(8 * sizeof(float)), aligned(sizeof(float))));
#define GEN_f8(p) ((GEN_v8f) * (const v8fu *)(const void *)(p))
#define GEN_widen(lo, hi, f)                                                                 \
    do {                                                                                     \
        float t_[8];                                                                         \
        memcpy(t_, &f, sizeof t_);                                                           \
        lo += GEN_float(t_);                                                                 \
        hi += GEN_float(t_ + VW);                                                            \
    } while (0)

/* float32 sums add groups of FG = 8 float32 vector steps per lane as a pairwise tree before
 * widening the group's sum into the float64 lanes: a group's rounding error is at most 3 u times
 * its sum of |x| (u = 2^-24), far inside the oracle's 16 eps, and the conversions cost 1/8.
 * TREE8(L): the tree over L(0) .. L(7). Steps left over after the last full group are widened
 * one by one. */
enum { FG = 8 };
#define TREE8_AT(L, o)                                                                       \
    (((L((o) + 0) + L((o) + 1)) + (L((o) + 2) + L((o) + 3))) +                               \
     ((L((o) + 4) + L((o) + 5)) + (L((o) + 6) + L((o) + 7))))
#define TREE8(L) TREE8_AT(L, 0)
/* Step k of a row group (lanes 0..7, 8..15) and row k of a cols group (outputs j.., j + 8..). */
#define X86_row0(k) X86_f8(q + j + (k) * VB)
#define X86_row1(k) X86_f8(q + j + (k) * VB + 2 * VW)
#define GEN_row0(k) GEN_f8(q + j + (k) * VB)
#define GEN_row1(k) GEN_f8(q + j + (k) * VB + 2 * VW)
#define COLP(k) ((const float *)(const void *)(p + (i + (k)) * step) + j)
#define X86_col0(k) X86_f8(COLP(k))
#define X86_col1(k) X86_f8(COLP(k) + 2 * VW)
#define GEN_col0(k) GEN_f8(COLP(k))
#define GEN_col1(k) GEN_f8(COLP(k) + 2 * VW)

/* The total of the VB lanes a0..a3, pairwise (lane k + VB/2 into lane k, halving): as vectors
 * (a0 + a2) + (a1 + a3), then within the vector. */
#define LANES_TOTAL(a0, a1, a2, a3, out)                                                     \
    do {                                                                                     \
        /* mutation test: the last lane's partial is dropped */                              \
        if (l2__fault("vred_lane"))                                                          \
            a3[VW - 1] = 0;                                                                  \
        v4d t_ = (a0 + a2) + (a1 + a3);                                                      \
        double l_[VW];                                                                       \
        memcpy(l_, &t_, sizeof l_);                                                          \
        out = (l_[0] + l_[2]) + (l_[1] + l_[3]);                                             \
    } while (0)

/* The n % VB tail of a row sum: element j + k (v, then EXPR of v) into lane k of a0..a3. */
#define VROW_TAIL(EXPR)                                                                      \
    do {                                                                                     \
        double l[VB];                                                                        \
        memset(l, 0, sizeof l);                                                              \
        for (int k = 0; j < n; j++, k++) {                                                   \
            double v = (double)q[j];                                                         \
            l[k] = (EXPR);                                                                   \
        }                                                                                    \
        a0 += GEN_double(l);                                                                 \
        a1 += GEN_double(l + VW);                                                            \
        a2 += GEN_double(l + 2 * VW);                                                        \
        a3 += GEN_double(l + 3 * VW);                                                        \
    } while (0)

/* double NAME(const T *q, int64_t n, double m): the sum of EXPR (of the element v, with the
 * parameter m) over q[0..n). Element j goes to lane j mod VB, the n % VB tail to lanes 0.. . */
#define VROW_FN(NAME, CPU, T, EXPR)                                                          \
    CPU##_ATTR static double NAME(const T *q, int64_t n, double m)                           \
    {                                                                                        \
        v4d a0 = {0, 0, 0, 0}, a1 = a0, a2 = a0, a3 = a0;                                    \
        int64_t j = 0;                                                                       \
        for (; j + VB <= n; j += VB) {                                                       \
            v4d v = CPU##_##T(q + j);                                                        \
            a0 += (EXPR);                                                                    \
            v = CPU##_##T(q + j + VW);                                                       \
            a1 += (EXPR);                                                                    \
            v = CPU##_##T(q + j + 2 * VW);                                                   \
            a2 += (EXPR);                                                                    \
            v = CPU##_##T(q + j + 3 * VW);                                                   \
            a3 += (EXPR);                                                                    \
        }                                                                                    \
        if (j < n) { /* the n % VB tail: element j + k into lane k */                        \
            VROW_TAIL(EXPR);                                                                 \
        }                                                                                    \
        double r;                                                                            \
        LANES_TOTAL(a0, a1, a2, a3, r);                                                      \
        return r;                                                                            \
    }

#define VROW(NAME, T, EXPR)                                                                  \
    VROW_FN(NAME##_gen, GEN, T, EXPR)                                                        \
    RV_X86(VROW_FN(NAME##_avx2, X86, T, EXPR))                                               \
    double NAME(const T *q, int64_t n, double m)                                             \
    {                                                                                        \
        RV_X86(if (RV_USE_AVX2()) return NAME##_avx2(q, n, m);)                              \
        return NAME##_gen(q, n, m);                                                          \
    }

VROW(l2__vrow_sum_f64, double, v)
VROW(l2__vrow_sq_f32, float, v * v)
VROW(l2__vrow_sq_f64, double, v * v)
VROW(l2__vrow_sqdev_f32, float, (v - m) * (v - m))
VROW(l2__vrow_sqdev_f64, double, (v - m) * (v - m))

/* The four float64 partial vectors of a column block back into s (a0..a3 at s[0..VB)). */
#define VCOLS_STORE(S, A0, A1, A2, A3)                                                       \
    do {                                                                                     \
        memcpy((S), &(A0), sizeof(A0));                                                      \
        memcpy((S) + VW, &(A1), sizeof(A1));                                                 \
        memcpy((S) + 2 * VW, &(A2), sizeof(A2));                                             \
        memcpy((S) + 3 * VW, &(A3), sizeof(A3));                                             \
    } while (0)
/* The outputs j..nb-1 left after the whole blocks, one by one over the n rows of p (element
 * type T, row step `step` bytes). */
#define VCOLS_TAIL(T)                                                                        \
    do {                                                                                     \
        /* mutation test: the last partial block of outputs is not reduced */                \
        if (l2__fault("vred_tail"))                                                          \
            return;                                                                          \
        for (int64_t r_ = 0; r_ < n; r_++) {                                                \
            const T *q = (const T *)(const void *)(p + r_ * step);                           \
            for (int64_t k = j; k < nb; k++)                                                 \
                s[k] += (double)q[k];                                                        \
        }                                                                                    \
    } while (0)

/* void NAME(const char *p, int64_t step, int64_t n, int64_t nb, double *s): s[j] += the sum over
 * rows i < n of element j of row i (row i at p + i * step bytes, its nb elements contiguous).
 * Blocks of VB outputs keep their partials in registers; the nb % VB left run one by one. Each
 * output adds its rows in order, as the scalar loop does. */
#define VCOLS_FN(NAME, CPU, T)                                                               \
    CPU##_ATTR static void NAME(const char *p, int64_t step, int64_t n, int64_t nb, double *s) \
    {                                                                                        \
        int64_t j = 0;                                                                       \
        for (; j + VB <= nb; j += VB) {                                                      \
            v4d a0 = GEN_double(s + j), a1 = GEN_double(s + j + VW);                         \
            v4d a2 = GEN_double(s + j + 2 * VW), a3 = GEN_double(s + j + 3 * VW);            \
            for (int64_t i = 0; i < n; i++) {                                                \
                const T *q = (const T *)(const void *)(p + i * step) + j;                    \
                a0 += CPU##_##T(q);                                                          \
                a1 += CPU##_##T(q + VW);                                                     \
                a2 += CPU##_##T(q + 2 * VW);                                                 \
                a3 += CPU##_##T(q + 3 * VW);                                                 \
            }                                                                                \
            VCOLS_STORE(s + j, a0, a1, a2, a3);                                              \
        }                                                                                    \
        VCOLS_TAIL(T);                                                                       \
    }

#define VCOLS(NAME, T)                                                                       \
    VCOLS_FN(NAME##_gen, GEN, T)                                                             \
    RV_X86(VCOLS_FN(NAME##_avx2, X86, T))                                                    \
    void NAME(const char *p, int64_t step, int64_t n, int64_t nb, double *s)                 \
    {                                                                                        \
        RV_X86(if (RV_USE_AVX2()) {                                                          \
            NAME##_avx2(p, step, n, nb, s);                                                  \
            return;                                                                          \
        })                                                                                   \
        NAME##_gen(p, step, n, nb, s);                                                       \
    }

VCOLS(l2__vcols_sum_f64, double)

/* The float32 sum of q[0..n) (m unused): VROW's lanes, each adding groups of FG elements in
 * float32 (lanes 0..7 in f0, 8..15 in f1) before widening. */
#define VROW32_FN(NAME, CPU)                                                                 \
    CPU##_ATTR static double NAME(const float *q, int64_t n, double m)                       \
    {                                                                                        \
        v4d a0 = {0, 0, 0, 0}, a1 = a0, a2 = a0, a3 = a0;                                    \
        int64_t j = 0;                                                                       \
        for (; j + FG * VB <= n; j += FG * VB) {                                             \
            CPU##_v8f f0 = TREE8(CPU##_row0), f1 = TREE8(CPU##_row1);                        \
            CPU##_widen(a0, a1, f0);                                                         \
            CPU##_widen(a2, a3, f1);                                                         \
        }                                                                                    \
        for (; j + VB <= n; j += VB) {                                                       \
            CPU##_v8f f0 = CPU##_row0(0), f1 = CPU##_row1(0);                                \
            CPU##_widen(a0, a1, f0);                                                         \
            CPU##_widen(a2, a3, f1);                                                         \
        }                                                                                    \
        if (j < n) { /* the n % VB tail: element j + k into lane k */                        \
            VROW_TAIL(v);                                                                    \
        }                                                                                    \
        double r;                                                                            \
        LANES_TOTAL(a0, a1, a2, a3, r);                                                      \
        return r;                                                                            \
    }

VROW32_FN(vrow32_gen, GEN)
RV_X86(VROW32_FN(vrow32_avx2, X86))

double l2__vrow_sum_f32(const float *q, int64_t n, double m)
{
    RV_X86(if (RV_USE_AVX2()) return vrow32_avx2(q, n, m);)
    return vrow32_gen(q, n, m);
}

/* VCOLS for float32: each block of VB outputs adds groups of FG rows in float32 (a tree) before
 * widening into its float64 partials. The row groups are the outer loop (issue 12): a group's
 * rows are swept across all the blocks, so memory is read row after row instead of one column
 * block down all the rows (a 1 KiB stride); each output's operations and their order are
 * unchanged, the partials live in s between groups. Groups of 8 rows, not 32 (speed16): 32 rows
 * a power-of-two stride apart fall in one L1 set and evict each other (sum over dim 0 of
 * 1024 x 1024 float32: 168 us in groups of 32, 69 us in groups of 8; 64 x 4096: 54 and 24 us;
 * 1000 x 1000: 56 us both). */
/* One group of rows i.. (TREE: TREE8 or TREE1) into the whole blocks' partials. */
#define TREE1(L) L(0)
#define VCOLS32_GROUP(CPU, TREE)                                                             \
    for (j = 0; j < full; j += VB) {                                                         \
        v4d a0 = GEN_double(s + j), a1 = GEN_double(s + j + VW);                             \
        v4d a2 = GEN_double(s + j + 2 * VW), a3 = GEN_double(s + j + 3 * VW);                \
        CPU##_v8f f0 = TREE(CPU##_col0), f1 = TREE(CPU##_col1);                              \
        CPU##_widen(a0, a1, f0);                                                             \
        CPU##_widen(a2, a3, f1);                                                             \
        VCOLS_STORE(s + j, a0, a1, a2, a3);                                                  \
    }
#define VCOLS32_FN(NAME, CPU)                                                                \
    CPU##_ATTR static void NAME(const char *p, int64_t step, int64_t n, int64_t nb, double *s) \
    {                                                                                        \
        int64_t i, j, full = nb - nb % VB;                                                   \
        /* mutation test: the first group of 8 rows is skipped */                            \
        for (i = l2__fault("vcols_g8") && n >= 2 * FG ? FG : 0; i + FG <= n; i += FG)        \
            VCOLS32_GROUP(CPU, TREE8)                                                        \
        /* mutation test: the rows after the last whole group are dropped */                 \
        for (i = l2__fault("vcols_rows") ? n : i; i < n; i++)                                \
            VCOLS32_GROUP(CPU, TREE1)                                                        \
        j = full;                                                                            \
        VCOLS_TAIL(float);                                                                   \
    }

VCOLS32_FN(vcols32_gen, GEN)
RV_X86(VCOLS32_FN(vcols32_avx2, X86))

void l2__vcols_sum_f32(const char *p, int64_t step, int64_t n, int64_t nb, double *s)
{
    RV_X86(if (RV_USE_AVX2()) {
        vcols32_avx2(p, step, n, nb, s);
        return;
    })
    vcols32_gen(p, step, n, nb, s);
}
