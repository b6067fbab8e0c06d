/* sum-rows.c: the row path of l2__sum_to (autograd.c; area: broadcast gradients, issue 12). A
 * contiguous gradient of R x K elements whose target keeps the K inner elements and sums the R
 * leading rows (a bias of shape (K) or (1, K) broadcast against (R, K)) adds each row into K
 * float64 sums and their Neumaier compensations, vector by vector across neighbouring outputs.
 * Each output still takes its terms in row order with the same compensated step as the generic
 * loop, so the result is bitwise the generic path's, only without its one-output-at-a-time
 * dependency chain. Outputs go in tiles of SR_TILE so that the sums stay in L1 however long a
 * row is; the K % 4 outputs after the last vector run one by one. */
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
