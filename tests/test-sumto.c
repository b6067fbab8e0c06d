/* test-sumto.c: broadcast gradients (issue 12). The gradient of a bias-like operand b of shape
 * (K) or (1, K) in x * b with x of shape (R, K) is the sum of x's R rows; the row path of
 * l2__sum_to (libl2/sum-rows.c) takes it for K >= l2_threshold("sumto_rows_min"), four outputs a
 * vector, tiles of 512 outputs, and a K % 4 tail; in float32, eight outputs a vector (a K % 8
 * tail) and rows in groups of four (then the R % 4 last rows). Each output is checked against a
 * compensated float64 sum of its column, for K on both sides of the threshold, with and without
 * a tail, across several tiles, and R with every R % 4 and below one group; float64 columns
 * that cancel (1e16, 1, -1e16) must keep the 1 (the Neumaier compensation of every lane), and
 * the result must not depend on the thread count. */
#include <l2.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

/* The value of x[r, k]: varied magnitudes and signs, exact in float32. */
static double xval(int64_t r, int64_t k)
{
    return (double)(((r * 131 + k * 71) % 197) - 98) / 16.0;
}

/* b.grad of sum(x * b), b of shape (K) (or (1, K) when keep1), x filled from xv (R x K doubles)
 * in dtype dt; NULL on any failure. The caller frees the returned array. */
static double *bias_grad(const double *xv, int64_t R, int64_t K, l2_dtype dt, bool keep1)
{
    l2_tensor *x64 = l2_from_data(xv, L2_SHAPE(R, K), L2_FLOAT64);
    l2_tensor *x = x64 ? l2_to_dtype(x64, dt) : NULL;
    l2_tensor *b = keep1 ? l2_ones(L2_SHAPE(1, K), dt) : l2_ones(L2_SHAPE(K), dt);
    l2_set_requires_grad(b, true);
    l2_tensor *y = x && b ? l2_mul(x, b) : NULL;
    l2_tensor *s = y ? l2_sum(y) : NULL;
    double *out = NULL;
    if (s && l2_backward(s, NULL, false) == L2_OK && l2_grad(b)) {
        l2_tensor *g64 = l2_to_dtype(l2_grad(b), L2_FLOAT64);
        out = malloc((size_t)K * sizeof *out);
        if (g64 && out)
            memcpy(out, l2_data_ptr(g64), (size_t)K * sizeof *out);
        l2_tensor_release(g64);
    }
    l2_tensor_release(s);
    l2_tensor_release(y);
    l2_tensor_release(b);
    l2_tensor_release(x);
    l2_tensor_release(x64);
    return out;
}

/* Exact-enough column sums (long double, Neumaier) rounded to dt. */
static double colsum(const double *xv, int64_t R, int64_t K, int64_t k, l2_dtype dt)
{
    long double s = 0, c = 0;
    for (int64_t r = 0; r < R; r++) {
        long double v = xv[r * K + k], t = s + v;
        c += fabsl(s) >= fabsl(v) ? (s - t) + v : (v - t) + s;
        s = t;
    }
    double d = (double)(s + c);
    return dt == L2_FLOAT32 ? (double)(float)d : d;
}

static void check_sizes(l2_dtype dt)
{
    int64_t m = l2_threshold("sumto_rows_min");
    int64_t ks[] = {1, m - 1, m, m + 1, 8, 16, 4 * m + 3, 512, 512 + 7, 3 * 512 + 1};
    int64_t rs[] = {1, 2, 3, 4, 7, 8, 37};
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
        for (size_t j = 0; j < sizeof rs / sizeof rs[0]; j++) {
            int64_t K = ks[i], R = rs[j];
            double *xv = malloc((size_t)(R * K) * sizeof *xv);
            for (int64_t r = 0; r < R; r++)
                for (int64_t k = 0; k < K; k++)
                    xv[r * K + k] = xval(r, k);
            bool keep1 = (i + j) % 2 == 1;
            double *g = bias_grad(xv, R, K, dt, keep1);
            int64_t bad = g ? 0 : K, first = -1;
            for (int64_t k = 0; g && k < K; k++)
                if (g[k] != colsum(xv, R, K, k, dt) && bad++ == 0)
                    first = k;
            ok(bad == 0, "%s b%s.grad, x (%lld, %lld): column sums exact (%lld wrong, first %lld)",
               l2_dtype_name(dt), keep1 ? "(1,K)" : "(K)", (long long)R, (long long)K,
               (long long)bad, (long long)first);
            free(g);
            free(xv);
        }
    }
}

/* Columns that cancel: the compensation must survive in every lane and in the tail. */
static void check_cancel(void)
{
    const int64_t R = 3, K = 4 * l2_threshold("sumto_rows_min") + 3;
    double *xv = malloc((size_t)(R * K) * sizeof *xv);
    for (int64_t k = 0; k < K; k++) {
        xv[k] = 1e16;
        xv[K + k] = 1.0 + (double)k;
        xv[2 * K + k] = -1e16;
    }
    double *g = bias_grad(xv, R, K, L2_FLOAT64, false);
    int64_t bad = g ? 0 : K;
    for (int64_t k = 0; g && k < K; k++)
        bad += g[k] != 1.0 + (double)k;
    ok(bad == 0, "float64 cancelling columns keep their small terms (%lld wrong)", (long long)bad);
    free(g);
    free(xv);
}

/* The same gradient at 1, 2 and 3 threads, bit for bit. */
static void check_threads(void)
{
    const int64_t R = 300, K = 1031;
    double *xv = malloc((size_t)(R * K) * sizeof *xv);
    for (int64_t i = 0; i < R * K; i++)
        xv[i] = xval(i / K, i % K) * (1.0 + 1e-3 * (double)(i % 7));
    double *g1 = NULL;
    int same = 1;
    for (int t = 1; t <= 3; t++) {
        l2_set_num_threads(t);
        double *g = bias_grad(xv, R, K, L2_FLOAT32, false);
        if (!g)
            same = 0;
        else if (!g1)
            g1 = g;
        else {
            same &= memcmp(g, g1, (size_t)K * sizeof *g) == 0;
            free(g);
        }
    }
    l2_set_num_threads(1);
    ok(g1 && same, "float32 b.grad bitwise equal at 1, 2 and 3 threads");
    free(g1);
    free(xv);
}

int main(void)
{
    check_sizes(L2_FLOAT32);
    check_sizes(L2_FLOAT64);
    check_cancel();
    check_threads();
    is_int(l2_live_tensors(), 0, "no tensor leaked");
    return tap_done();
}
