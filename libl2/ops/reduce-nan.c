/* reduce-nan.c: nansum and nanmean of float inputs in one pass (issue 12, area speed11): the
 * sum kernel's scheme with each NaN masked to 0 (a blend, not a branch) and, for nanmean, the
 * count of the other elements in the same pass. Rows: contiguous float32 rows widen 16 lanes of
 * masked elements into float64 vectors (AVX2 where the CPU has it), the n % 16 tail one by one,
 * each row into the compensated accumulator; other rows add element by element into it. Outer
 * dims: the cols loop keeps float64 partials per output for a tile of rows, then adds them to the
 * compensated accumulators, as sum's. reduce3.c runs this when no gradient is recorded (the
 * composed path, masked_fill and sum, keeps its autograd record otherwise). */
#include "reduce-impl.h"

#include <string.h>

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>

/* The sum of the non-NaN elements of q[0, n) and their count (k). */
__attribute__((target("avx2"))) static double nanrow_avx2(const float *q, int64_t n, int64_t *k)
{
    __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
    int64_t j = 0, cnt = 0;
    for (; j + 16 <= n; j += 16) {
        __m256 v0 = _mm256_loadu_ps(q + j), v1 = _mm256_loadu_ps(q + j + 8);
        __m256 m0 = _mm256_cmp_ps(v0, v0, _CMP_ORD_Q), m1 = _mm256_cmp_ps(v1, v1, _CMP_ORD_Q);
        /* mutation test: NaN is not masked (it reaches the sum) */
        if (!l2__fault("nansum_mask")) {
            v0 = _mm256_and_ps(v0, m0);
            v1 = _mm256_and_ps(v1, m1);
        }
        cnt += __builtin_popcount((unsigned)_mm256_movemask_ps(m0)) +
               __builtin_popcount((unsigned)_mm256_movemask_ps(m1));
        a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(_mm256_castps256_ps128(v0)));
        a1 = _mm256_add_pd(a1, _mm256_cvtps_pd(_mm256_extractf128_ps(v0, 1)));
        a2 = _mm256_add_pd(a2, _mm256_cvtps_pd(_mm256_castps256_ps128(v1)));
        a3 = _mm256_add_pd(a3, _mm256_cvtps_pd(_mm256_extractf128_ps(v1, 1)));
    }
    __m256d t = _mm256_add_pd(_mm256_add_pd(a0, a2), _mm256_add_pd(a1, a3));
    double l[4];
    _mm256_storeu_pd(l, t);
    double s = (l[0] + l[2]) + (l[1] + l[3]);
    /* the n % 16 tail; mutation test: it is skipped */
    for (j = l2__fault("nansum_tail") ? n : j; j < n; j++) {
        bool ok = q[j] == q[j];
        s += ok ? (double)q[j] : 0.0;
        cnt += ok;
    }
    *k = cnt;
    return s;
}
#define NAN_AVX2() __builtin_cpu_supports("avx2")
#else
#define NAN_AVX2() 0
#define nanrow_avx2(q, n, k) 0.0
#endif

static void nan_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                    const void *ctx)
{
    (void)pos;
    const rctx *c = ctx;
    if (c->dt == L2_FLOAT32 && step[0] == (int64_t)sizeof(float) && NAN_AVX2()) {
        int64_t k = 0;
        double s = nanrow_avx2((const float *)(const void *)ptr[0], n, &k);
        acc_add(a, s);
        a->k += k;
        return;
    }
    int64_t k = 0;
    L2__DISPATCH_FLOAT(c->dt, {
        for (int64_t j = 0; j < n; j++) {
            double v = (double)*(const T *)(ptr[0] + j * step[0]);
            bool ok = v == v;
            acc_add(a, ok ? v : 0.0);
            k += ok;
        }
    });
    a->k += k;
}

/* A block of nb outputs (colctx), n rows: float64 partials per output, then into the
 * compensated accumulators. */
static void nan_cols(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *unused,
                     const void *vcc)
{
    (void)pos, (void)unused;
    const colctx *cc = vcc;
    const rctx *c = cc->ctx;
    const int64_t nb = cc->nb, os = cc->ostep;
    double s[TILE_OUT];
    int64_t k[TILE_OUT];
    memset(s, 0, sizeof(double) * (size_t)nb);
    memset(k, 0, sizeof(int64_t) * (size_t)nb);
    L2__DISPATCH_FLOAT(c->dt, {
        for (int64_t i = 0; i < n; i++) {
            const char *q = ptr[0] + i * step[0];
            if (os == (int64_t)sizeof(T)) { /* contiguous outputs: GCC vectorises */
                const T *e = (const T *)(const void *)q;
                for (int64_t j = 0; j < nb; j++) {
                    T v = e[j];
                    bool ok = v == v;
                    s[j] += ok ? (double)v : 0.0;
                    k[j] += ok;
                }
            } else {
                for (int64_t j = 0; j < nb; j++) {
                    T v = *(const T *)(const void *)(q + j * os);
                    bool ok = v == v;
                    s[j] += ok ? (double)v : 0.0;
                    k[j] += ok;
                }
            }
        }
    });
    for (int64_t j = 0; j < nb; j++) {
        acc_add(&cc->acc[j], s[j]);
        cc->acc[j].k += k[j];
    }
}

/* M_OUT: the sum; M_MEAN: the sum over the count (NaN when every element is NaN or none). */
static void nan_final(const racc *a, int64_t o, void *ctx)
{
    rctx *c = ctx;
    double v = sum_value(a);
    l2__rput(c, o, c->mode == M_MEAN ? v / (double)a->k : v, 0);
}

const rkern l2__rk_nansum = {.init = l2__rinit_zero,
                             .row = nan_row,
                             .combine = l2__rcombine_sum,
                             .final = nan_final,
                             .cols = nan_cols};
