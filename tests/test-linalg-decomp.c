/* test-linalg-decomp.c: the LAPACK decompositions of issue 15, area la2
 * (libl2/ops/linalg-decomp.c): linalg_qr's factors by their defining properties (Q^T Q = I,
 * Q R = A, R upper triangular) for every mode, batched, float32 and float64, contiguous and
 * transposed inputs; empty sizes; float64 finite-difference gradients of losses reading Q and R;
 * the backward that torch refuses; the error paths and an out-of-memory sweep. */
#include <l2.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

/* max |t| (0 for an empty t), releasing nothing (runs inside a scope) */
static double maxabs(const l2_tensor *t)
{
    if (l2_numel(t) == 0)
        return 0;
    return item(l2_max(l2_abs(t)));
}

/* max |Q^T Q - I|, max |Q R - A| and max |tril(R, -1)| of one factorisation */
static void qr_props(const l2_tensor *A, const l2_tensor *Q, const l2_tensor *R, double *orth,
                     double *rec, double *low)
{
    l2_dtype dt = l2_dtype_of(A);
    int64_t k = l2_size(Q, -1);
    l2_tensor *qtq = l2_matmul(l2_transpose(Q, -2, -1), Q);
    *orth = maxabs(l2_sub(qtq, l2_eye(k, k, dt)));
    *rec = maxabs(l2_sub(l2_matmul(Q, R), A));
    *low = maxabs(l2_tril(R, -1));
}

static void test_forward(void)
{
    static const int64_t shapes[][4] = {{0, 5, 3}, {0, 3, 5}, {0, 4, 4}, {2, 6, 3},
                                        {2, 3, 6}, {3, 1, 1}, {0, 17, 9}};
    static const char *const modes[] = {"reduced", "complete", "r"};
    for (int d = 0; d < 2; d++) {
        l2_dtype dt = d ? L2_FLOAT64 : L2_FLOAT32;
        double tol = d ? 1e-12 : 1e-5;
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            for (int mi = 0; mi < 3; mi++) {
                for (int tr = 0; tr < 2; tr++) {
                    l2_scope_begin();
                    int64_t b = shapes[s][0], m = shapes[s][1], n = shapes[s][2];
                    int nd = b ? 3 : 2;
                    int64_t sh[3] = {b, tr ? n : m, tr ? m : n};
                    l2_tensor *A0 = l2_randn(nd, b ? sh : sh + 1, dt);
                    /* tr: A is the transposed view of an (N, M) matrix (non-contiguous) */
                    l2_tensor *A = tr ? l2_transpose(A0, -2, -1) : A0;
                    l2_tensor *R = NULL;
                    l2_tensor *Q = l2_linalg_qr(A, modes[mi], &R);
                    int64_t k = m < n ? m : n, rr = mi == 1 ? m : k, mq = mi == 1 ? m : k;
                    int good = Q && R && l2_size(R, -2) == rr && l2_size(R, -1) == n;
                    if (good && mi == 2) {
                        good = l2_ndim(Q) == 1 && l2_numel(Q) == 0;
                        /* R of mode r is reduced mode's R */
                        l2_tensor *R2 = NULL;
                        l2_tensor *Q2 = l2_linalg_qr(A, "reduced", &R2);
                        good = good && Q2 && maxabs(l2_sub(R, R2)) == 0;
                    } else if (good) {
                        double orth, rec, low;
                        good = l2_size(Q, -2) == m && l2_size(Q, -1) == mq;
                        qr_props(A, Q, R, &orth, &rec, &low);
                        good = good && orth < tol && rec < tol * 10 && low == 0;
                        if (!good)
                            printf("#   orth %g rec %g low %g\n", orth, rec, low);
                    }
                    ok(good, "qr %s %s [%lld,%lld,%lld]%s", l2_dtype_name(dt), modes[mi],
                       (long long)b, (long long)m, (long long)n, tr ? " transposed" : "");
                    l2_scope_end();
                }
            }
        }
    }
}

/* Empty sizes: torch's shapes; complete mode of an (M, 0) matrix gives Q = I. */
static void test_empty(void)
{
    l2_scope_begin();
    l2_tensor *R = NULL;
    l2_tensor *Q = l2_linalg_qr(l2_zeros(2, (const int64_t[]){3, 0}, L2_FLOAT64), "complete", &R);
    ok(Q && same_shape(Q, 2, (const int64_t[]){3, 3}) && same_shape(R, 2, (const int64_t[]){3, 0})
           && maxabs(l2_sub(Q, l2_eye(3, 3, L2_FLOAT64))) == 0,
       "qr complete of a 3x0 matrix: Q = I (3x3), R 3x0");
    Q = l2_linalg_qr(l2_zeros(3, (const int64_t[]){0, 2, 4}, L2_FLOAT32), NULL, &R);
    ok(Q && same_shape(Q, 3, (const int64_t[]){0, 2, 2}) &&
           same_shape(R, 3, (const int64_t[]){0, 2, 4}),
       "qr of an empty batch: shapes (0,2,2), (0,2,4)");
    Q = l2_linalg_qr(l2_zeros(2, (const int64_t[]){0, 3}, L2_FLOAT32), "reduced", &R);
    ok(Q && same_shape(Q, 2, (const int64_t[]){0, 0}) &&
           same_shape(R, 2, (const int64_t[]){0, 3}),
       "qr of a 0x3 matrix: Q 0x0, R 0x3");
    l2_scope_end();
}

/* ---- gradients ---------------------------------------------------------------------------- */

typedef struct {
    const char *mode;
    int transposed; /* the leaf is (N, M): A is its transposed view */
    l2_tensor *wq, *wr; /* fixed random weights of the loss sum(Q wq) + sum(R wr) */
} qctx;

static l2_tensor *f_qr(l2_tensor *const *in, void *vctx)
{
    qctx *c = vctx;
    l2_scope_begin();
    l2_tensor *A = c->transposed ? l2_transpose(in[0], -2, -1) : in[0];
    l2_tensor *R = NULL;
    l2_tensor *Q = l2_linalg_qr(A, c->mode, &R);
    l2_tensor *r = NULL;
    /* step by step: a NULL passed on would turn an out-of-memory status into L2_ERR_NULL */
    l2_tensor *mq = Q && R ? l2_mul(Q, c->wq) : NULL, *mr = mq ? l2_mul(R, c->wr) : NULL;
    l2_tensor *sq = mr ? l2_sum(mq) : NULL, *sr = sq ? l2_sum(mr) : NULL;
    l2_tensor *t = sr ? l2_add(sq, sr) : NULL;
    if (t)
        r = l2_keep(t);
    l2_scope_end();
    return r;
}

static void test_grads(void)
{
    static const int64_t shapes[][3] = {{0, 5, 3}, {0, 3, 5}, {0, 4, 4}, {2, 4, 3},
                                        {2, 3, 4}, {0, 1, 1}, {0, 1, 4}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        for (int mi = 0; mi < 2; mi++) {
            for (int tr = 0; tr < 2; tr++) {
                int64_t b = shapes[s][0], m = shapes[s][1], n = shapes[s][2];
                int64_t k = m < n ? m : n;
                if (mi == 1 && m > n)
                    continue; /* no gradient there (test_no_grad) */
                int nd = b ? 3 : 2;
                int64_t sh[3] = {b, tr ? n : m, tr ? m : n};
                int64_t shq[3] = {b, m, mi ? m : k}, shr[3] = {b, mi ? m : k, n};
                l2_tensor *x = l2_randn(nd, b ? sh : sh + 1, L2_FLOAT64);
                l2_set_requires_grad(x, true);
                qctx c = {mi ? "complete" : "reduced", tr, l2_randn(nd, b ? shq : shq + 1,
                                                                   L2_FLOAT64),
                          l2_randn(nd, b ? shr : shr + 1, L2_FLOAT64)};
                ok(gradcheck("qr", f_qr, 1, &x, &c), "qr gradcheck %s [%lld,%lld,%lld]%s",
                   c.mode, (long long)b, (long long)m, (long long)n, tr ? " transposed" : "");
                l2_tensor_release(c.wq);
                l2_tensor_release(c.wr);
                l2_tensor_release(x);
            }
        }
    }
}

/* mode 'r' and complete mode with M > N: the forward works, the backward fails as torch's. */
static void test_no_grad(void)
{
    static const char *const modes[] = {"r", "complete"};
    for (int i = 0; i < 2; i++) {
        l2_tensor *x = l2_randn(2, (const int64_t[]){5, 3}, L2_FLOAT64);
        l2_set_requires_grad(x, true);
        l2_tensor *R = NULL;
        l2_tensor *Q = l2_linalg_qr(x, modes[i], &R);
        l2_tensor *s = R ? l2_sum(R) : NULL;
        l2_status st = s ? l2_backward(s, NULL, false) : L2_ERR_ARG;
        ok(Q && R && st == L2_ERR_AUTOGRAD && strstr(l2_last_error(), "linalg_qr") &&
               l2_grad(x) == NULL,
           "qr mode %s of a 5x3 matrix: backward fails with L2_ERR_AUTOGRAD (%s)", modes[i],
           l2_last_error());
        l2_tensor_release(s);
        l2_tensor_release(Q);
        l2_tensor_release(R);
        l2_tensor_release(x);
    }
}

static void test_errors(void)
{
    l2_tensor *R = (l2_tensor *)1;
    is_err(l2_linalg_qr(NULL, NULL, &R), L2_ERR_NULL, "linalg_qr", "qr of NULL");
    ok(R == NULL, "qr: *R set to NULL on failure");
    l2_tensor *v = l2_randn(1, (const int64_t[]){4}, L2_FLOAT32);
    is_err(l2_linalg_qr(v, NULL, &R), L2_ERR_DIM, "at least 2 dimensions", "qr of a 1-d tensor");
    l2_tensor *i = l2_zeros(2, (const int64_t[]){3, 3}, L2_INT64);
    is_err(l2_linalg_qr(i, NULL, &R), L2_ERR_DTYPE, "floating point", "qr of int64");
    l2_tensor *a = l2_randn(2, (const int64_t[]){3, 3}, L2_FLOAT32);
    is_err(l2_linalg_qr(a, "full", &R), L2_ERR_ARG, "unrecognized mode 'full'", "qr mode full");
    l2_tensor_release(v);
    l2_tensor_release(i);
    l2_tensor_release(a);
}

static void test_oom(void)
{
    l2_tensor *x = l2_randn(3, (const int64_t[]){2, 4, 3}, L2_FLOAT64);
    l2_set_requires_grad(x, true);
    qctx c = {"reduced", 0, l2_randn(3, (const int64_t[]){2, 4, 3}, L2_FLOAT64),
              l2_randn(3, (const int64_t[]){2, 3, 3}, L2_FLOAT64)};
    oom_check("qr", f_qr, 1, &x, &c);
    l2_tensor_release(c.wq);
    l2_tensor_release(c.wr);
    l2_tensor_release(x);
}

int main(void)
{
    l2_manual_seed(15);
    test_forward();
    test_empty();
    test_grads();
    test_no_grad();
    test_errors();
    test_oom();
    return tap_done();
}
