/* test-prelu.c: the vector paths of speed12 (issue 12). prelu (libl2/ops/prelu.c) against a
 * float64 reference, forward, dx and dweight, over its segment kinds (rows of C weights, rows
 * of I elements with one weight each, a single weight) with row lengths 7, 8, 9, 17 (a tail
 * only, none, vectors and a tail) at 1, 2 and 3 threads, and shapes around the parallel grain
 * whose thread ranges start mid-row; hardtanh and relu6 (vectorised clamps) keep a NaN at every
 * position of a contiguous vector body and tail. */
#include <l2.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

/* prelu of a random x (N, C, I) against the reference: y, and the gradients of sum(y G). */
static int check_prelu(int ndim, const int64_t *shape, int wkind, l2_dtype dt, double tol)
{
    int64_t c = ndim >= 2 ? shape[1] : 1, n = 1;
    for (int d = 0; d < ndim; d++)
        n *= shape[d];
    int64_t nw = wkind == 2 ? c : 1;
    l2_tensor *x = l2_randn(ndim, shape, dt), *gm = l2_randn(ndim, shape, dt);
    l2_tensor *w = wkind == 0 ? l2_full(0, NULL, 0.25, dt) : l2_randn(1, &nw, dt);
    if (!x || !gm || !w)
        return 0;
    l2_set_requires_grad(x, true);
    l2_set_requires_grad(w, true);
    l2_tensor *y = l2_prelu(x, w), *p = y ? l2_mul(y, gm) : NULL, *s = p ? l2_sum(p) : NULL;
    int good = s && l2_backward(s, NULL, false) == L2_OK;
    const l2_tensor *dx = good ? l2_grad(x) : NULL, *dw = good ? l2_grad(w) : NULL;
    good = good && dx && dw;
    int64_t inner = c > 1 && nw > 1 ? n / (shape[0] * c) : 1;
    double dwr[64] = {0}, dwmag[64] = {0};
    for (int64_t i = 0; good && i < n; i++) {
        int64_t ch = nw > 1 ? (i / inner) % c : 0;
        double xv = flat(x, i), g = flat(gm, i), wv = nw > 1 ? flat(w, ch) : flat(w, 0);
        double yr = xv > 0 ? xv : wv * xv, dxr = xv > 0 ? g : wv * g;
        if (!(xv > 0)) {
            dwr[ch] += g * xv;
            dwmag[ch] += fabs(g * xv);
        }
        good = fabs(flat(y, i) - yr) <= tol * fabs(yr) && fabs(flat(dx, i) - dxr) <= tol *
               fabs(dxr);
    }
    for (int64_t ch = 0; good && ch < nw; ch++)
        good = fabs(flat(dw, ch) - dwr[ch]) <= tol * (dwmag[ch] + 1e-30);
    l2_tensor *list[] = {x, gm, w, y, p, s};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
    return good;
}

static void test_prelu(void)
{
    static const int64_t rows[4] = {7, 8, 9, 17};
    static const char *kinds[3] = {"0-d weight", "one weight", "C weights"};
    l2_manual_seed(12);
    for (int nt = 1; nt <= 3; nt++) {
        l2_set_num_threads(nt);
        for (int d = 0; d < 2; d++) {
            l2_dtype dt = d ? L2_FLOAT64 : L2_FLOAT32;
            double tol = d ? 1e-12 : 1e-5;
            for (int k = 0; k < 4; k++) {
                int64_t r = rows[k];
                int good = check_prelu(L2_SHAPE(5, r), 2, dt, tol) &&
                           check_prelu(L2_SHAPE(3, 4, r), 2, dt, tol) &&
                           check_prelu(L2_SHAPE(2, 3, r), 1, dt, tol) &&
                           check_prelu(L2_SHAPE(r), 0, dt, tol);
                ok(good, "prelu %s, rows of %lld, %d threads: values, dx, dweight",
                   l2_dtype_name(dt), (long long)r, nt);
            }
            /* 262,155 and 262,140 elements: at and below the parallel grain, 15 rows of
             * 17,477 / 17,476; (29,128, 9): rows of C weights split across threads */
            for (int w = 0; w < 3; w++)
                ok(check_prelu(L2_SHAPE(3, 5, 17477), w, dt, tol) &&
                   check_prelu(L2_SHAPE(3, 5, 17476), w, dt, tol),
                   "prelu %s around the parallel grain, %s, %d threads", l2_dtype_name(dt),
                   kinds[w], nt);
            ok(check_prelu(L2_SHAPE(29128, 9), 2, dt, tol),
               "prelu %s (29128, 9) with C weights, %d threads", l2_dtype_name(dt), nt);
        }
    }
    l2_set_num_threads(1);
}

/* hardtanh(-1, 1) and relu6 of zeros with a NaN at position p: NaN there, 0 elsewhere. */
static void test_clamp_nan(void)
{
    static const int64_t lens[4] = {7, 8, 9, 17};
    for (int d = 0; d < 2; d++) {
        l2_dtype dt = d ? L2_FLOAT64 : L2_FLOAT32;
        int good = 1;
        for (int k = 0; k < 4 && good; k++) {
            for (int64_t p = 0; p < lens[k] && good; p++) {
                l2_tensor *x = l2_zeros(1, &lens[k], dt);
                l2_set(x, &p, NAN);
                l2_tensor *a = l2_hardtanh(x, -1, 1), *b = l2_relu6(x);
                for (int64_t i = 0; good && i < lens[k]; i++) {
                    double u = flat(a, i), v = flat(b, i);
                    good = i == p ? isnan(u) && isnan(v) : u == 0 && v == 0;
                }
                l2_tensor_release(x);
                l2_tensor_release(a);
                l2_tensor_release(b);
            }
        }
        ok(good, "hardtanh and relu6 %s keep NaN at every position of 7, 8, 9, 17 elements",
           l2_dtype_name(dt));
    }
}

int main(void)
{
    test_prelu();
    test_clamp_nan();
    return tap_done();
}
