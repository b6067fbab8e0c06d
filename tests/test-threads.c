/* test-threads.c: tensors large enough for libl2's OpenMP and tiled paths (the parallel grain is
 * 262,144 element operations, tiled reductions gather from 65,536), each run at 1, 2 and 3
 * threads and compared element by element with a plain C reference, so that a chunk boundary
 * or a tile edge computed wrongly at any thread count fails. Odd counts give uneven chunks. */
#include <config.h>
#include <dlfcn.h>
#include <l2.h>
#include <stdio.h>
#include <math.h>
#include <stdint.h>

#include "tap.h"

/* Elements of got (contiguous float64, n of them) further than tol * (1 + |want|) from want;
 * the first such index in *first (-1 if none). */
static int64_t mismatches(const l2_tensor *got, const double *want, int64_t n, double tol,
                          int64_t *first)
{
    *first = -1;
    if (!got || l2_numel(got) != n)
        return n > 0 ? n : 1;
    const double *g = l2_data_ptr(got);
    int64_t bad = 0;
    for (int64_t i = 0; i < n; i++) {
        int same = (isnan(g[i]) && isnan(want[i])) ||
                   fabs(g[i] - want[i]) <= tol * (1 + fabs(want[i]));
        if (!same && bad++ == 0)
            *first = i;
    }
    return bad;
}

/* One check line: name at nt threads, with the first mismatch if any. */
static void check(const char *name, int nt, l2_tensor *got, const double *want, int64_t n,
                  double tol)
{
    int64_t first;
    int64_t bad = mismatches(got, want, n, tol, &first);
    int good = ok(bad == 0, "%s at %d thread%s: all %lld elements match", name, nt,
                  nt > 1 ? "s" : "", (long long)n);
    if (!good && first < 0)
        printf("#   no result of %lld elements: %s\n", (long long)n, l2_last_error());
    else if (!good)
        printf("#   %lld wrong, first at %lld: got %.17g, want %.17g\n", (long long)bad,
               (long long)first, ((const double *)l2_data_ptr(got))[first], want[first]);
    l2_tensor_release(got);
}

/* Elementwise ops through the strided iterator: 300,007 elements (an odd count, so that every
 * chunk boundary falls mid-row at 2 and 3 threads). */
static void test_elementwise(int nt)
{
    enum { N = 300007 };
    static double want[N];
    l2_manual_seed(3);
    l2_tensor *a = l2_randn(1, (const int64_t[]){N}, L2_FLOAT64);
    l2_tensor *b = l2_randn(1, (const int64_t[]){N}, L2_FLOAT64);
    const double *pa = l2_data_ptr(a), *pb = l2_data_ptr(b);
    for (int64_t i = 0; i < N; i++)
        want[i] = pa[i] + pb[i];
    check("add (300007,)", nt, l2_add(a, b), want, N, 0);
    for (int64_t i = 0; i < N; i++)
        want[i] = exp(pa[i]);
    check("exp (300007,)", nt, l2_exp(a), want, N, 1e-15);
    /* a transposed (547, 548) view copied: the iterator walks the source with a stride */
    l2_tensor *head = l2_narrow(a, 0, 0, 547 * 548);
    l2_tensor *m = l2_reshape(head, 2, (const int64_t[]){547, 548});
    l2_tensor *mt = l2_transpose(m, 0, 1);
    for (int64_t i = 0; i < 548; i++)
        for (int64_t j = 0; j < 547; j++)
            want[i * 547 + j] = pa[j * 548 + i];
    check("contiguous of a transposed (547, 548)", nt, l2_contiguous(mt), want, 547 * 548, 0);
    l2_tensor_release(mt);
    l2_tensor_release(m);
    l2_tensor_release(head);
    l2_tensor_release(a);
    l2_tensor_release(b);
}

/* Reductions split by outputs (many outputs, each a short row) and the tiled path (outputs
 * neighbouring in memory, reduced over dim 0 in tiles; 300 = 4 tiles of 64 and one of 44). */
static void test_reduce(int nt)
{
    enum { R = 3001, C = 101, TR = 300, TC = 1001 };
    static double want[R > TC ? R : TC];
    l2_manual_seed(5);
    l2_tensor *a = l2_randn(2, (const int64_t[]){R, C}, L2_FLOAT64);
    const double *pa = l2_data_ptr(a);
    for (int64_t i = 0; i < R; i++) {
        double s = 0;
        for (int64_t j = 0; j < C; j++)
            s += pa[i * C + j];
        want[i] = s;
    }
    check("sum over dim 1 of (3001, 101)", nt, l2_sum_dims(a, 1, (const int[]){1}, false), want,
          R, 1e-13);
    for (int64_t i = 0; i < R; i++) {
        double m = -INFINITY;
        for (int64_t j = 0; j < C; j++)
            m = fmax(m, pa[i * C + j]);
        want[i] = m;
    }
    check("max over dim 1 of (3001, 101)", nt, l2_max_dim(a, 1, false, NULL), want, R, 0);
    l2_tensor_release(a);

    l2_tensor *b = l2_randn(2, (const int64_t[]){TR, TC}, L2_FLOAT64);
    const double *pb = l2_data_ptr(b);
    for (int64_t j = 0; j < TC; j++) {
        double m = -INFINITY;
        for (int64_t i = 0; i < TR; i++)
            m = fmax(m, pb[i * TC + j]);
        want[j] = m;
    }
    check("max over dim 0 of (300, 1001)", nt, l2_max_dim(b, 0, false, NULL), want, TC, 0);
    for (int64_t j = 0; j < TC; j++) {
        double s = 0;
        for (int64_t i = 0; i < TR; i++)
            s += pb[i * TC + j] * pb[i * TC + j];
        want[j] = sqrt(s);
    }
    check("2-norm over dim 0 of (300, 1001)", nt, l2_norm(b, 2, 1, (const int[]){0}, false),
          want, TC, 1e-13);
    /* (300, 301): above the tile gather's 65,536 but below the parallel grain */
    l2_tensor *c = l2_narrow(b, 1, 0, 301);
    for (int64_t j = 0; j < 301; j++) {
        double m = -INFINITY;
        for (int64_t i = 0; i < TR; i++)
            m = fmax(m, pb[i * TC + j]);
        want[j] = m;
    }
    check("max over dim 0 of a (300, 301) narrowed view", nt, l2_max_dim(c, 0, false, NULL),
          want, 301, 0);
    l2_tensor_release(c);
    l2_tensor_release(b);
}

/* Threads area (issue 12): the math class (exp, sin, their gradients) runs in parallel from
 * grain_math elements, well below the cheap class's grain: sizes at grain_math - 1, at it and
 * an odd size between the two grains, with fresh values for every thread count (so that a
 * skipped range cannot find the previous run's right answer in a reused buffer). */
static void test_math_grain(int nt)
{
    int64_t g = l2_threshold("grain_math");
    const int64_t sizes[] = {g - 1, g, 5 * g + 3};
    static double want[5 * (1 << 16) + 3];
    if (5 * g + 3 > (int64_t)(sizeof want / sizeof want[0])) {
        ok(false, "grain_math %lld fits the test's buffer", (long long)g);
        return;
    }
    for (int si = 0; si < 3; si++) {
        int64_t n = sizes[si];
        char name[64];
        l2_manual_seed((uint64_t)(100 * nt + si));
        l2_tensor *a = l2_randn(1, (const int64_t[]){n}, L2_FLOAT64);
        const double *pa = l2_data_ptr(a);
        for (int64_t i = 0; i < n; i++)
            want[i] = exp(pa[i]);
        snprintf(name, sizeof name, "exp (%lld,)", (long long)n);
        check(name, nt, l2_exp(a), want, n, 1e-15);
        /* sin and its gradient g cos(x) (both the math class) */
        l2_set_requires_grad(a, true);
        l2_tensor *y = l2_sin(a), *up = l2_randn(1, (const int64_t[]){n}, L2_FLOAT64);
        const double *pu = l2_data_ptr(up);
        for (int64_t i = 0; i < n; i++)
            want[i] = sin(pa[i]);
        snprintf(name, sizeof name, "sin (%lld,)", (long long)n);
        check(name, nt, l2_tensor_ref(y), want, n, 1e-15);
        l2_backward(y, up, false);
        for (int64_t i = 0; i < n; i++)
            want[i] = pu[i] * cos(pa[i]);
        snprintf(name, sizeof name, "sin backward (%lld,)", (long long)n);
        check(name, nt, l2_tensor_ref(l2_grad(a)), want, n, 1e-15);
        l2_tensor_release(up);
        l2_tensor_release(y);
        l2_tensor_release(a);
    }
}

/* One thread pool: the library links OpenBLAS's OpenMP build when configure found it, and
 * l2_set_num_threads sets OpenMP's and OpenBLAS's counts to its own. */
static void test_blas_pool(void)
{
    int (*par)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "openblas_get_parallel");
    int (*bnt)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "openblas_get_num_threads");
    int (*omt)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "omp_get_max_threads");
    ok(par && bnt, "OpenBLAS is loaded (openblas_get_parallel found)");
    if (!par || !bnt)
        return;
    Dl_info info = {0};
    dladdr((void *)par, &info);
#if defined(L2_BLAS_OPENMP)
    ok(par() == 2, "the OpenMP build of OpenBLAS is the one loaded (parallel mode %d, %s)", par(),
       info.dli_fname ? info.dli_fname : "?");
#elif defined(L2_BLAS_PTHREAD)
    ok(par() == 1, "the pthreads build of OpenBLAS is the one loaded (parallel mode %d, %s)",
       par(), info.dli_fname ? info.dli_fname : "?");
#else
    printf("# OpenBLAS parallel mode %d (%s)\n", par(), info.dli_fname ? info.dli_fname : "?");
#endif
    for (int nt = 1; nt <= 3; nt++) {
        l2_set_num_threads(nt);
        ok(l2_get_num_threads() == nt && bnt() == nt && (!omt || omt() == nt),
           "set_num_threads(%d): libl2 %d, OpenBLAS %d, OpenMP %d", nt, l2_get_num_threads(),
           bnt(), omt ? omt() : -1);
    }
}

int main(void)
{
    int def = l2_get_num_threads();
    for (int nt = 1; nt <= 3; nt++) {
        ok(l2_set_num_threads(nt) == L2_OK, "set_num_threads(%d)", nt);
        test_elementwise(nt);
        test_reduce(nt);
        test_math_grain(nt);
    }
    test_blas_pool();
    l2_set_num_threads(def);
    ok(l2_live_tensors() == 0, "no tensor left alive (%lld)", (long long)l2_live_tensors());
    return tap_done();
}
