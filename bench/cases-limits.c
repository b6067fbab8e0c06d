/* cases-limits.c: the machine's limits, measured in the same run as the cases: raw OpenBLAS
 * cblas_sgemm / cblas_dgemm GFLOP/s at the matmul sizes, and the GB/s of a streaming float32 add
 * (c = a + b over 16M elements, preallocated output, OpenMP over the threads of the case).
 * The training steps' limits: raw sgemm at each GEMM shape of the MLP and CNN steps
 * (limit.step_gemm) and the streaming time of their SGD update (limit.step_update); the report
 * adds them up per step. The report divides each case's rate by the matching limit.
 * Named "limit.*"; no torch twin.
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

/* ---- the training steps' limits ----
 * Every GEMM of one step of bench/cases-ops.c's mlp_step and cnn_step (batch 64), as
 * C(M,N) = op(A) op(B) with row-major operands, transposes as libl2 issues them: linear
 * y = x w^T is NT, its dw = dy^T x is TN, dx = dy w is NN. The CNN's convolutions are the im2col
 * GEMMs over the whole batch (L = 64 x output positions, K = C x 3 x 3): forward W(O,K) col(K,L)
 * NN, dcol = W^T dy (TN), dW = dy col^T (NT); conv1's input needs no gradient, so no dcol.
 * Together: MLP 0.2 GFLOP, CNN 0.38 GFLOP per step. */
typedef struct {
    const char *role; /* model.layer.product: mlp.fc1.fwd */
    int ta, tb;
    int m, n, k;
} step_gemm;

static const step_gemm step_gemms[] = {
    {"mlp.fc1.fwd", 0, 1, 64, 256, 784},
    {"mlp.fc2.fwd", 0, 1, 64, 10, 256},
    {"mlp.fc2.dx", 0, 0, 64, 256, 10},
    {"mlp.fc2.dw", 1, 0, 10, 256, 64},
    {"mlp.fc1.dw", 1, 0, 256, 784, 64},
    {"cnn.conv1.fwd", 0, 0, 16, 64 * 28 * 28, 9},
    {"cnn.conv2.fwd", 0, 0, 32, 64 * 14 * 14, 144},
    {"cnn.fc.fwd", 0, 1, 64, 10, 1568},
    {"cnn.fc.dx", 0, 0, 64, 1568, 10},
    {"cnn.fc.dw", 1, 0, 10, 1568, 64},
    {"cnn.conv2.dcol", 1, 0, 144, 64 * 14 * 14, 32},
    {"cnn.conv2.dw", 0, 1, 32, 144, 64 * 14 * 14},
    {"cnn.conv1.dw", 0, 1, 16, 9, 64 * 28 * 28},
};

/* Parameter counts of the two models (weights and biases), for the update's streaming time. */
static const struct {
    const char *role;
    int64_t n;
} step_params[] = {
    {"mlp.sgd", 256 * 784 + 256 + 10 * 256 + 10},
    {"cnn.sgd", 16 * 9 + 16 + 32 * 144 + 32 + 10 * 1568 + 10},
};

/* t[0] A, t[1] B, t[2] C, in the shapes op(A) (M,K) and op(B) (K,N) need; c->fn the spec. */
static void *setup_step_gemm(const bench_case *c)
{
    const step_gemm *g = c->fn;
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    d->t[0] = g->ta ? l2_randn(L2_SHAPE(g->k, g->m), L2_FLOAT32)
                    : l2_randn(L2_SHAPE(g->m, g->k), L2_FLOAT32);
    d->t[1] = g->tb ? l2_randn(L2_SHAPE(g->n, g->k), L2_FLOAT32)
                    : l2_randn(L2_SHAPE(g->k, g->n), L2_FLOAT32);
    d->t[2] = l2_full(L2_SHAPE(g->m, g->n), 0.5, L2_FLOAT32);
    return bdata_check(d, 3);
}

static int run_step_gemm(void *p)
{
    bdata *d = p;
    const step_gemm *g = d->c->fn;
    cblas_sgemm(CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans,
                g->tb ? CblasTrans : CblasNoTrans, g->m, g->n, g->k, 1.0f,
                l2_data_ptr(d->t[0]), g->ta ? g->m : g->k, l2_data_ptr(d->t[1]),
                g->tb ? g->k : g->n, 0.0f, l2_data_ptr(d->t[2]), g->n);
    bench_do_not_optimize(l2_data_ptr(d->t[2]));
    return 0;
}

/* SGD's update p -= lr * g over all parameters at once: t[0] p, t[1] g (p[1] elements). */
static void *setup_update(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    d->t[0] = l2_full(L2_SHAPE(c->p[1]), 0.5, L2_FLOAT32);
    d->t[1] = l2_full(L2_SHAPE(c->p[1]), 1e-3, L2_FLOAT32);
    return bdata_check(d, 2);
}

static int run_update(void *p)
{
    bdata *d = p;
    int64_t n = d->c->p[1];
    float *restrict w = l2_data_ptr(d->t[0]);
    const float *restrict g = l2_data_ptr(d->t[1]);
    int nt = d->c->threads;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t i = 0; i < n; i++)
        w[i] -= 0.01f * g[i];
    bench_do_not_optimize(w);
    return 0;
}

static void add_step_limits(void)
{
    for (size_t i = 0; i < sizeof step_gemms / sizeof step_gemms[0]; i++) {
        const step_gemm *g = &step_gemms[i];
        bench_case c;
        memset(&c, 0, sizeof c);
        snprintf(c.name, sizeof c.name, "limit.step_gemm/f32/%s.%s%s/%dx%dx%d", g->role,
                 g->ta ? "T" : "N", g->tb ? "T" : "N", g->m, g->n, g->k);
        c.setup = setup_step_gemm;
        c.run = run_step_gemm;
        c.teardown = bdata_free;
        c.fn = (void *)g;
        c.flops = 2.0 * g->m * g->n * g->k;
        bench_add(c, NULL);
    }
    for (size_t i = 0; i < sizeof step_params / sizeof step_params[0]; i++) {
        bench_case c;
        memset(&c, 0, sizeof c);
        snprintf(c.name, sizeof c.name, "limit.step_update/f32/%s/%lld", step_params[i].role,
                 (long long)step_params[i].n);
        c.setup = setup_update;
        c.run = run_update;
        c.teardown = bdata_free;
        c.p[1] = step_params[i].n;
        c.items = (double)step_params[i].n;
        c.bytes = 12.0 * (double)step_params[i].n; /* read p and g, write p */
        bench_add(c, NULL);
    }
}

void bench_cases_limits(void)
{
    add_step_limits();
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
