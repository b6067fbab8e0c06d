/* fill.c: the creation kernels (issue 12, fills area): a constant fill (full, ones, fill_,
 * zero_: memset when the value's bytes are all zero, else a typed store loop over each
 * contiguous run) and arange by torch 1.13's CPU formula. Both split across threads above the
 * elementwise grain (the fill through the iterator, arange by element ranges). They never fail;
 * the op wrappers validate and allocate. */
#include "l2-impl.h"

#include <math.h>
#include <string.h>

/* An AVX2 copy besides the baseline one, picked once at load time (x86-64 ELF only). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__)
#define L2__FILL_HOT __attribute__((target_clones("avx2", "default")))
#define L2__FILL_FMA __attribute__((target_clones("fma", "default")))
#else
#define L2__FILL_HOT
#define L2__FILL_FMA
#endif

/* n elements of width `es` at p, each a copy of the es bytes at v, p contiguous. */
L2__FILL_HOT static void fill_run(char *p, int64_t n, size_t es, const void *v)
{
    unsigned char zero[8] = {0};
    if (memcmp(v, zero, es) == 0) {
        memset(p, 0, (size_t)n * es);
        return;
    }
    /* mutation test: the last element of a run with a vector tail (n % 8) keeps its old bytes */
    if (l2__fault("fill_tail") && n % 8 != 0)
        n--;
    switch (es) {
    case 1: memset(p, *(const unsigned char *)v, (size_t)n); break;
    case 2: { /* bfloat16, float16 (issue 16) */
        uint16_t x, *o = (uint16_t *)(void *)p;
        memcpy(&x, v, 2);
        _Pragma("omp simd") for (int64_t i = 0; i < n; i++) o[i] = x;
        break;
    }
    case 4: {
        uint32_t x, *o = (uint32_t *)(void *)p;
        memcpy(&x, v, 4);
        _Pragma("omp simd") for (int64_t i = 0; i < n; i++) o[i] = x;
        break;
    }
    default: {
        uint64_t x, *o = (uint64_t *)(void *)p;
        memcpy(&x, v, 8);
        _Pragma("omp simd") for (int64_t i = 0; i < n; i++) o[i] = x;
        break;
    }
    }
}

typedef struct {
    size_t es;
    const void *v;
} fill_ctx;

static void fill_loop(int64_t n, char **p, const int64_t *s, void *vctx)
{
    const fill_ctx *c = vctx;
    if (s[0] == (int64_t)c->es) {
        fill_run(p[0], n, c->es, c->v);
        return;
    }
    for (int64_t i = 0; i < n; i++)
        memcpy(p[0] + i * s[0], c->v, c->es);
}

void l2__fill_kernel(l2_tensor *t, const void *v)
{
    const l2_tensor *ops[1] = {t};
    l2__iter it;
    l2__iter_init(&it, 1, ops);
    fill_ctx c = {l2__esize(t->dtype), v};
    l2__iter_run(&it, fill_loop, &c);
}

/* arange, as torch 1.13's CPU kernel computes it with one thread (its vectorised loop over
 * blocks of 2 vectors, then a scalar tail): element i of the first n - n % (2 W) is
 * base + (i % W) * step with base = start + (i - i % W) * step rounded to the dtype, the rest
 * start + i * step; W = 8 float32 or 4 float64 lanes, every a + b * c one fused multiply-add
 * in double. Elements [b, e). */
L2__FILL_FMA static void arange_f32(float *o, int64_t b, int64_t e, int64_t n, double start,
                                    double step)
{
    int64_t body = n - n % 16;
    int64_t i = b;
    bool plain = l2__fault("arange_lane"); /* mutation test: lanes from start, not the base */
    for (; i < e && i < body && i % 8 != 0; i++)
        o[i] = (float)fma((double)(i % 8), step, (double)(float)fma(step, (double)(i - i % 8),
                                                                     start));
    for (; i + 8 <= e && i + 8 <= body; i += 8) {
        double base = (double)(float)fma(step, (double)i, start);
        if (plain)
            base = start + step * (double)i;
        for (int k = 0; k < 8; k++)
            o[i + k] = (float)fma((double)k, step, base);
    }
    for (; i < e && i < body; i++)
        o[i] = (float)fma((double)(i % 8), step, (double)(float)fma(step, (double)(i - i % 8),
                                                                     start));
    for (; i < e; i++)
        o[i] = (float)fma(step, (double)i, start);
}

L2__FILL_FMA static void arange_f64(double *o, int64_t b, int64_t e, int64_t n, double start,
                                    double step)
{
    int64_t body = n - n % 8;
    bool plain = l2__fault("arange_lane");
    for (int64_t i = b; i < e; i++) {
        if (i < body) {
            double base = plain ? start : fma(step, (double)(i - i % 4), start);
            o[i] = fma((double)(plain ? i : i % 4), step, base);
        } else {
            o[i] = fma(step, (double)i, start);
        }
    }
}

static void arange_range(l2_tensor *t, int64_t b, int64_t e, int64_t n, double start,
                         double step)
{
    char *d = l2__data(t);
    switch (t->dtype) {
    case L2_FLOAT32: arange_f32((float *)(void *)d, b, e, n, start, step); break;
    case L2_FLOAT64: arange_f64((double *)(void *)d, b, e, n, start, step); break;
    default: /* int64: start + i * step in double, stored as l2_full converts */
        for (int64_t i = b; i < e; i++)
            l2__store(d + i * 8, t->dtype, start + (double)i * step);
        break;
    }
}

void l2__arange_kernel(l2_tensor *t, double start, double step)
{
    int64_t n = t->ndim ? t->shape[0] : 1;
    int nt = l2__threads_for(n);
    if (nt <= 1) {
        arange_range(t, 0, n, n, start, step);
        return;
    }
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int k = 0; k < nt; k++)
        arange_range(t, l2__part(n, k, nt), l2__part(n, k + 1, nt), n, start, step);
}
