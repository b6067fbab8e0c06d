/* cases-limits.c: the machine's limits, measured in the same run as the cases: raw OpenBLAS
 * cblas_sgemm / cblas_dgemm GFLOP/s at the matmul sizes, and the GB/s of a streaming float32 add
 * (c = a + b over 16M elements, preallocated output, OpenMP over the threads of the case).
 * The report divides each case's rate by the matching limit. Named "limit.*"; no torch twin.
 */
#include <cblas.h>
#include <stdint.h>
#include <string.h>

#include "cases.h"

/* Raw gemm on n x n contiguous operands: t[0] a, t[1] b, t[2] c. */
static void *setup_gemm(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    int64_t n = c->p[1];
    l2_dtype dt = (l2_dtype)c->p[2];
    d->t[0] = l2_randn(L2_SHAPE(n, n), dt);
    d->t[1] = l2_randn(L2_SHAPE(n, n), dt);
    d->t[2] = l2_full(L2_SHAPE(n, n), 0.5, dt);
    return bdata_check(d, 3);
}

static int run_sgemm(void *p)
{
    bdata *d = p;
    int n = (int)d->c->p[1];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, l2_data_ptr(d->t[0]),
                n, l2_data_ptr(d->t[1]), n, 0.0f, l2_data_ptr(d->t[2]), n);
    bench_do_not_optimize(l2_data_ptr(d->t[2]));
    return 0;
}

static int run_dgemm(void *p)
{
    bdata *d = p;
    int n = (int)d->c->p[1];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, l2_data_ptr(d->t[0]), n,
                l2_data_ptr(d->t[1]), n, 0.0, l2_data_ptr(d->t[2]), n);
    bench_do_not_optimize(l2_data_ptr(d->t[2]));
    return 0;
}

/* Streaming add: t[0] a, t[1] b, t[2] c, all of p[1] float32 elements. */
static void *setup_stream(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    int64_t n = c->p[1];
    d->t[0] = l2_full(L2_SHAPE(n), 1.5, L2_FLOAT32); /* values do not matter; randn is slow */
    d->t[1] = l2_full(L2_SHAPE(n), 2.5, L2_FLOAT32);
    d->t[2] = l2_full(L2_SHAPE(n), 0.5, L2_FLOAT32); /* written: no page faults when timed */
    return bdata_check(d, 3);
}

static int run_stream(void *p)
{
    bdata *d = p;
    int64_t n = d->c->p[1];
    const float *restrict a = l2_data_ptr(d->t[0]);
    const float *restrict b = l2_data_ptr(d->t[1]);
    float *restrict out = l2_data_ptr(d->t[2]);
    int nt = d->c->threads;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t i = 0; i < n; i++)
        out[i] = a[i] + b[i];
    bench_do_not_optimize(out);
    return 0;
}

void bench_cases_limits(void)
{
    const int64_t *sizes;
    int ns = bench_matmul_sizes(&sizes);
    for (int s = 0; s < ns; s++) {
        int64_t n = sizes[s];
        for (int f64 = 0; f64 < 2; f64++) {
            bench_case c;
            memset(&c, 0, sizeof c);
            snprintf(c.name, sizeof c.name, "limit.%s/%s/raw/%lldx%lld",
                     f64 ? "dgemm" : "sgemm", f64 ? "f64" : "f32", (long long)n, (long long)n);
            c.setup = setup_gemm;
            c.run = f64 ? run_dgemm : run_sgemm;
            c.teardown = bdata_free;
            c.p[1] = n;
            c.p[2] = f64 ? L2_FLOAT64 : L2_FLOAT32;
            c.flops = 2.0 * (double)n * (double)n * (double)n;
            bench_add(c, NULL);
        }
    }
    bench_case c;
    memset(&c, 0, sizeof c);
    int64_t n = 16 << 20;
    snprintf(c.name, sizeof c.name, "limit.stream_add/f32/raw/%lld", (long long)n);
    c.setup = setup_stream;
    c.run = run_stream;
    c.teardown = bdata_free;
    c.p[1] = n;
    c.items = (double)n;
    c.bytes = 12.0 * (double)n;
    bench_add(c, NULL);
}
