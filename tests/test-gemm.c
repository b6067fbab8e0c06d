/* test-gemm.c: libl2's own float32 product (libl2/ops/gemm.c, issue 12) through mm and addmm with
 * the own kernel forced (l2_debug_gemm(L2_GEMM_OWN)), AVX2 and portable micro-kernels, against a
 * float64 product computed here: every transpose combination, sizes at and one past multiples of
 * the micro-tile and of the K block, a padded leading dimension, beta 0 with NaN in c, beta 1,
 * alpha != 1, K = 1, empty products; the same bits at 1, 2 and 3 threads; conv2d against the BLAS
 * path; the mode setter's errors. */
#include <l2.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

/* A random float32 (r, c) tensor; as the transposed view of a (c, r) one when trans; with a
 * padded row (leading dimension c + 3) when pad. */
static l2_tensor *operand(int64_t r, int64_t c, bool trans, bool pad)
{
    int64_t rows = trans ? c : r, cols = trans ? r : c;
    l2_tensor *big = l2_randn(L2_SHAPE(rows, cols + (pad ? 3 : 0)), L2_FLOAT32);
    l2_tensor *m = pad ? l2_narrow(big, 1, 1, cols) : l2_contiguous(big);
    l2_tensor_release(big);
    if (!trans)
        return m;
    l2_tensor *t = l2_t(m);
    l2_tensor_release(m);
    return t;
}

/* A contiguous float64 copy's data (the copy goes to *keep, for the caller to release). */
static const double *f64(const l2_tensor *t, l2_tensor **keep)
{
    l2_tensor *d = l2_to_dtype(t, L2_FLOAT64);
    *keep = l2_contiguous(d);
    l2_tensor_release(d);
    return *keep ? (const double *)l2_data_ptr(*keep) : NULL;
}

/* Check r = beta c + alpha a @ b (c NULL: beta 0) per element within a float32 accumulation's
 * allowance, 2^-24 x (K + 8) x (sum |alpha a b| + |beta c|). Returns the worst error/allowance. */
static double check_product(const l2_tensor *r, const l2_tensor *c, const l2_tensor *a,
                            const l2_tensor *b, double beta, double alpha)
{
    int64_t M = l2_shape(a)[0], K = l2_shape(a)[1], N = l2_shape(b)[1];
    l2_tensor *ka = NULL, *kb = NULL, *kc = NULL, *kr = NULL;
    const double *pa = f64(a, &ka), *pb = f64(b, &kb), *pr = f64(r, &kr);
    const double *pc = c ? f64(c, &kc) : NULL;
    double worst = pr ? 0 : INFINITY;
    for (int64_t i = 0; pr && i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double s = 0, mag = 0;
            for (int64_t k = 0; k < K; k++) {
                s += pa[i * K + k] * pb[k * N + j];
                mag += fabs(pa[i * K + k] * pb[k * N + j]);
            }
            double want = alpha * s, allow = fabs(alpha) * mag;
            if (pc) {
                want += beta * pc[i * N + j];
                allow += fabs(beta * pc[i * N + j]);
            }
            allow = allow * (double)(K + 8) * ldexp(1, -24) + 1e-30;
            double e = fabs(pr[i * N + j] - want) / allow;
            if (!(e <= worst))
                worst = e;
        }
    l2_tensor_release(ka);
    l2_tensor_release(kb);
    l2_tensor_release(kc);
    l2_tensor_release(kr);
    return worst;
}

/* Whether two float32 tensors of one shape hold the same bits. */
static bool same_bits(const l2_tensor *x, const l2_tensor *y)
{
    l2_tensor *cx = x ? l2_contiguous(x) : NULL, *cy = y ? l2_contiguous(y) : NULL;
    bool same = cx && cy && l2_numel(cx) == l2_numel(cy) &&
                memcmp(l2_data_ptr(cx), l2_data_ptr(cy), (size_t)l2_numel(cx) * 4) == 0;
    l2_tensor_release(cx);
    l2_tensor_release(cy);
    return same;
}

/* mm and addmm at one size over the 4 transpose combinations (and a padded a). */
static void check_size(int64_t M, int64_t N, int64_t K, const char *kernel)
{
    for (int combo = 0; combo < 5; combo++) {
        bool ta = combo & 1, tb = combo & 2, pad = combo == 4;
        l2_tensor *a = operand(M, K, ta, pad), *b = operand(K, N, tb, false);
        l2_tensor *r = l2_mm(a, b);
        double w = check_product(r, NULL, a, b, 0, 1);
        ok(w <= 1, "%s mm %lldx%lldx%lld ta=%d tb=%d pad=%d (error/allowance %.3g)", kernel,
           (long long)M, (long long)N, (long long)K, ta, tb, pad, w);
        /* beta 0 with NaN in c: c is not read. */
        l2_tensor *nan = l2_full(L2_SHAPE(M, N), NAN, L2_FLOAT32);
        l2_tensor *r0 = l2_addmm(nan, a, b, 0, 1.5);
        w = check_product(r0, NULL, a, b, 0, 1.5);
        ok(w <= 1, "%s addmm beta 0, NaN c, alpha 1.5 ta=%d tb=%d (%.3g)", kernel, ta, tb, w);
        /* beta 1 and beta 0.25 with alpha -2. */
        l2_tensor *c = l2_randn(L2_SHAPE(M, N), L2_FLOAT32);
        l2_tensor *r1 = l2_addmm(c, a, b, 1, 1);
        double w1 = check_product(r1, c, a, b, 1, 1);
        l2_tensor *r2 = l2_addmm(c, a, b, 0.25, -2);
        double w2 = check_product(r2, c, a, b, 0.25, -2);
        ok(w1 <= 1 && w2 <= 1, "%s addmm beta 1 / beta 0.25 alpha -2 ta=%d tb=%d (%.3g, %.3g)",
           kernel, ta, tb, w1, w2);
        /* The same bits at 1, 2 and 3 threads. */
        bool same = true;
        for (int nt = 1; nt <= 3; nt++) {
            l2_set_num_threads(nt);
            l2_tensor *rt = l2_addmm(c, a, b, 0.25, -2);
            same = same && same_bits(rt, r2);
            l2_tensor_release(rt);
        }
        l2_set_num_threads(2);
        ok(same, "%s %lldx%lldx%lld ta=%d tb=%d: same bits at 1, 2, 3 threads", kernel,
           (long long)M, (long long)N, (long long)K, ta, tb);
        l2_tensor *objs[] = {a, b, r, nan, r0, c, r1, r2};
        for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
            l2_tensor_release(objs[i]);
    }
}

static void check_kernel(const char *kernel)
{
    int64_t mr = l2_threshold("sgemm_mr"), nr = l2_threshold("sgemm_nr");
    int64_t kc = l2_threshold("sgemm_kc"), mc = l2_threshold("sgemm_mc");
    int64_t nc = l2_threshold("sgemm_nc");
    /* Whole tiles; one past in M, N and K; K over two and three blocks; a block edge of M and
     * N; K = 1; tiny M with long N (the conv shapes' kind). */
    int64_t sizes[][3] = {
        {2 * mr, 2 * nr, kc},         {2 * mr + 1, 2 * nr + 1, kc + 1},
        {mr + 1, nr - 1, 2 * kc + 1}, {mc + 1, nc + 1, 9},
        {mc, nc, 3 * kc},             {200, 300, 1},
        {3, 2000, 40},                {40, 7, 300},
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        check_size(sizes[i][0], sizes[i][1], sizes[i][2], kernel);
}

/* conv2d (forward and backward) with the own kernel near the BLAS path's result. */
static void check_conv(void)
{
    l2_scope_begin();
    l2_tensor *x = l2_randn(L2_SHAPE(2, 5, 15, 13), L2_FLOAT32);
    l2_tensor *w = l2_randn(L2_SHAPE(7, 5, 3, 3), L2_FLOAT32);
    l2_set_requires_grad(x, true);
    l2_set_requires_grad(w, true);
    const int64_t one[2] = {1, 1};
    l2_tensor *got[2][3];
    for (int m = 0; m < 2; m++) {
        l2_debug_gemm(m == 0 ? L2_GEMM_OWN : L2_GEMM_BLAS);
        got[m][0] = l2_conv2d(x, w, NULL, one, one, one, 1);
        l2_backward(l2_sum(l2_mul(got[m][0], got[m][0])), NULL, false);
        got[m][1] = l2_contiguous(l2_grad(x));
        got[m][2] = l2_contiguous(l2_grad(w));
        l2_set_grad_none(x);
        l2_set_grad_none(w);
    }
    const char *names[3] = {"y", "dx", "dw"};
    for (int p = 0; p < 3; p++) {
        double e = item(l2_max(l2_abs(l2_sub(got[0][p], got[1][p]))));
        double s = item(l2_max(l2_abs(got[1][p])));
        ok(e <= 1e-5 * s, "conv2d %s: own kernel vs BLAS max diff %.3g (scale %.3g)", names[p], e,
           s);
    }
    l2_scope_end();
}

/* The own kernel's workspace cannot be allocated: the product falls back to BLAS, right and
 * with no error; any other injected failure fails the call cleanly (L2_ERR_NOMEM). */
static void check_workspace_failure(void)
{
    l2_scope_begin();
    l2_tensor *a = operand(70, 90, false, false), *b = operand(90, 110, true, false);
    l2_memory_stats s0, s1;
    l2_get_memory_stats(&s0);
    l2_tensor *full = l2_mm(a, b);
    l2_get_memory_stats(&s1);
    int64_t need = s1.n_allocs - s0.n_allocs; /* every allocation of one product */
    int first_ok = -1, bad = 0;
    for (int n = 0; n <= need && first_ok < 0; n++) {
        l2_clear_error();
        l2_debug_fail_alloc_after(n);
        l2_tensor *r = l2_mm(a, b);
        l2_debug_fail_alloc_after(-1);
        if (!r) {
            bad += l2_last_status() != L2_ERR_NOMEM;
            continue;
        }
        first_ok = n;
        bad += l2_last_status() != L2_OK;
        bad += !(check_product(r, NULL, a, b, 0, 1) <= 1);
    }
    ok(full && first_ok >= 0 && first_ok < need && bad == 0,
       "workspace failure: mm succeeds after %d of its %lld allocations, via BLAS, no error set",
       first_ok, (long long)need);
    l2_scope_end();
}

int main(void)
{
    srand(12);
    l2_manual_seed(12);
    l2_set_num_threads(2);
    int old = l2_debug_gemm(L2_GEMM_OWN);
    ok(old >= L2_GEMM_AUTO && old <= L2_GEMM_BLAS, "debug_gemm returns the previous mode (%d)",
       old);
    ok(l2_debug_gemm(L2_GEMM_OWN) == L2_GEMM_OWN, "debug_gemm: own is now the mode");
    bool vec = l2_debug_vector_math(true);
    check_kernel(vec ? "avx2" : "portable");
    if (vec) {
        l2_debug_vector_math(false);
        check_kernel("portable");
        l2_debug_vector_math(true);
    }
    /* Empty products (handled before the kernel) and K = 0. */
    l2_scope_begin();
    l2_tensor *e1 = l2_mm(l2_zeros(L2_SHAPE(0, 40), L2_FLOAT32),
                          l2_zeros(L2_SHAPE(40, 50), L2_FLOAT32));
    ok(e1 && l2_numel(e1) == 0, "mm (0,40) @ (40,50) is empty");
    l2_tensor *e2 = l2_mm(l2_ones(L2_SHAPE(40, 0), L2_FLOAT32),
                          l2_ones(L2_SHAPE(0, 50), L2_FLOAT32));
    ok(e2 && item(l2_sum(l2_abs(e2))) == 0, "mm (40,0) @ (0,50) is zeros");
    l2_scope_end();
    check_conv();
    l2_debug_gemm(L2_GEMM_OWN);
    check_workspace_failure();
    /* Errors: an unknown mode changes nothing. */
    l2_debug_gemm(L2_GEMM_BLAS);
    ok(l2_debug_gemm(3) == -1 && l2_last_status() == L2_ERR_ARG && l2_last_error()[0],
       "debug_gemm(3): L2_ERR_ARG (%s)", l2_last_error());
    ok(l2_debug_gemm(-1) == -1 && l2_debug_gemm(L2_GEMM_AUTO) == L2_GEMM_BLAS,
       "debug_gemm(-1) refused, the mode unchanged");
    return tap_done();
}
