/* test-linalg-decomp.c: the LAPACK decompositions of issue 15, area la2
 * (libl2/ops/linalg-decomp.c): linalg_qr's factors by their defining properties (Q^T Q = I,
 * Q R = A, R upper triangular) for every mode, batched, float32 and float64, contiguous and
 * transposed inputs; empty sizes; float64 finite-difference gradients of losses reading Q and R;
 * the backward that torch refuses; eigh/eigvalsh by A V = V diag(L), V^T V = I, ascending values
 * and the triangle read, gradients of sign-invariant losses, repeated eigenvalues; the error
 * paths and out-of-memory sweeps. */
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

/* ---- eigh, eigvalsh ----------------------------------------------------------------------- */

static void test_eigh_forward(void)
{
    for (int d = 0; d < 2; d++) {
        l2_dtype dt = d ? L2_FLOAT64 : L2_FLOAT32;
        double tol = d ? 1e-12 : 2e-5;
        for (int n = 0; n <= 6; n += 3) {
            for (int u = 0; u < 2; u++) {
                l2_scope_begin();
                l2_tensor *X = l2_randn(3, (const int64_t[]){2, n, n}, dt);
                /* only the uplo triangle is read: poison the other one */
                l2_tensor *S = l2_add(l2_tril(X, 0), l2_transpose(l2_tril(X, -1), -2, -1));
                l2_tensor *A = u ? l2_add(l2_tril(X, -1), l2_transpose(l2_tril(X, 0), -2, -1))
                                 : l2_add(l2_tril(X, 0), l2_mul(l2_sub(X, l2_tril(X, 0)),
                                                               l2_scalar(1e3, dt)));
                l2_tensor *Au = u ? l2_transpose(A, -2, -1) : A; /* non-contiguous for U */
                l2_tensor *V = NULL;
                l2_tensor *L = l2_linalg_eigh(u ? Au : A, u ? "U" : "L", &V);
                l2_tensor *Lv = l2_linalg_eigvalsh(u ? Au : A, u ? "U" : "L");
                int good = L && V && Lv && l2_size(L, -1) == n;
                double orth = 0, rec = 0, asc = 0, same = 0;
                if (good && n) {
                    orth = maxabs(l2_sub(l2_matmul(l2_transpose(V, -2, -1), V),
                                         l2_eye(n, n, dt)));
                    /* A V = V diag(L) for the symmetric matrix of the triangle read */
                    l2_tensor *Lr = l2_unsqueeze(L, -2);
                    rec = maxabs(l2_sub(l2_matmul(S, V), l2_mul(V, Lr))) / 10;
                    for (int64_t b = 0; b < 2; b++)
                        for (int64_t i = 0; i + 1 < n; i++) {
                            double l0 = at(L, (const int64_t[]){b, i});
                            double l1 = at(L, (const int64_t[]){b, i + 1});
                            asc = fmax(asc, l0 - l1);
                        }
                    same = maxabs(l2_sub(L, Lv));
                }
                good = good && orth < tol && rec < tol && asc <= 0 && same < tol;
                if (!good)
                    printf("#   orth %g rec %g asc %g same %g\n", orth, rec, asc, same);
                ok(good, "eigh %s n=%d uplo %s: V^T V = I, A V = V diag(L), ascending, = eigvalsh",
                   l2_dtype_name(dt), n, u ? "U" : "L");
                l2_scope_end();
            }
        }
    }
}

typedef struct {
    int vecs;
    l2_tensor *wl, *wv;
} ectx;

/* sum(L wl) + sum(|V| wv) of the symmetric (X + X^T) / 2: sign-invariant in V. Step by step:
 * a NULL passed on would turn an out-of-memory status into L2_ERR_NULL. */
static l2_tensor *f_eigh(l2_tensor *const *in, void *vctx)
{
    ectx *c = vctx;
    l2_scope_begin();
    l2_tensor *xt = l2_transpose(in[0], -2, -1), *h = xt ? l2_scalar(0.5, L2_FLOAT64) : NULL;
    l2_tensor *s = h ? l2_add(in[0], xt) : NULL, *A = s ? l2_mul(s, h) : NULL;
    l2_tensor *V = NULL, *t = NULL, *L = NULL;
    if (A)
        L = c->vecs ? l2_linalg_eigh(A, "L", &V) : l2_linalg_eigvalsh(A, "U");
    l2_tensor *ml = L ? l2_mul(L, c->wl) : NULL, *sl = ml ? l2_sum(ml) : NULL;
    if (sl && c->vecs) {
        l2_tensor *av = l2_abs(V), *mv = av ? l2_mul(av, c->wv) : NULL;
        l2_tensor *sv = mv ? l2_sum(mv) : NULL;
        t = sv ? l2_add(sl, sv) : NULL;
    } else {
        t = sl;
    }
    l2_tensor *r = t ? l2_keep(t) : NULL;
    l2_scope_end();
    return r;
}

static void test_eigh_grads(void)
{
    for (int vecs = 0; vecs < 2; vecs++)
        for (int n = 1; n <= 5; n += 2) {
            l2_tensor *x = l2_randn(3, (const int64_t[]){2, n, n}, L2_FLOAT64);
            l2_set_requires_grad(x, true);
            ectx c = {vecs, l2_randn(2, (const int64_t[]){2, n}, L2_FLOAT64),
                      l2_randn(3, (const int64_t[]){2, n, n}, L2_FLOAT64)};
            ok(gradcheck(vecs ? "eigh" : "eigvalsh", f_eigh, 1, &x, &c), "%s gradcheck n=%d",
               vecs ? "eigh" : "eigvalsh", n);
            l2_tensor_release(c.wl);
            l2_tensor_release(c.wv);
            l2_tensor_release(x);
        }
    /* repeated eigenvalues: V's gradient divides by L_j - L_i = 0 (torch: inf/NaN); L's alone
     * stays finite */
    for (int vecs = 0; vecs < 2; vecs++) {
        l2_tensor *x = l2_eye(3, 3, L2_FLOAT64);
        l2_set_requires_grad(x, true);
        l2_tensor *V = NULL;
        l2_tensor *L = l2_linalg_eigh(x, NULL, &V);
        l2_tensor *g = l2_randn(2, (const int64_t[]){3, 3}, L2_FLOAT64);
        l2_tensor *gl = l2_ones_like(L);
        l2_status st = vecs ? l2_backward(V, g, false) : l2_backward(L, gl, false);
        l2_tensor_release(gl);
        const l2_tensor *gx = l2_grad(x);
        int fin = 1;
        for (int64_t i = 0; gx && i < 3; i++)
            for (int64_t j = 0; j < 3; j++)
                fin &= isfinite(at(gx, (const int64_t[]){i, j}));
        ok(st == L2_OK && gx && fin == !vecs, "eigh of I: gradient through %s is %s",
           vecs ? "V" : "L", vecs ? "non-finite (as torch)" : "finite");
        l2_tensor_release(g);
        l2_tensor_release(L);
        l2_tensor_release(V);
        l2_tensor_release(x);
    }
}

static void test_eigh_errors(void)
{
    l2_tensor *V = (l2_tensor *)1;
    l2_tensor *ns = l2_randn(2, (const int64_t[]){3, 4}, L2_FLOAT32);
    is_err(l2_linalg_eigh(ns, NULL, &V), L2_ERR_SHAPE, "square", "eigh of 3x4");
    ok(V == NULL, "eigh: *eigenvectors set to NULL on failure");
    is_err(l2_linalg_eigvalsh(ns, NULL), L2_ERR_SHAPE, "square", "eigvalsh of 3x4");
    l2_tensor *a = l2_randn(2, (const int64_t[]){3, 3}, L2_FLOAT64);
    is_err(l2_linalg_eigh(a, "X", &V), L2_ERR_ARG, "UPLO", "eigh uplo X");
    is_err(l2_linalg_eigvalsh(a, "LU"), L2_ERR_ARG, "UPLO", "eigvalsh uplo LU");
    l2_tensor *i = l2_zeros(2, (const int64_t[]){3, 3}, L2_INT64);
    is_err(l2_linalg_eigh(i, NULL, &V), L2_ERR_DTYPE, "floating point", "eigh of int64");
    l2_tensor *v = l2_randn(1, (const int64_t[]){3}, L2_FLOAT64);
    is_err(l2_linalg_eigvalsh(v, NULL), L2_ERR_DIM, "at least 2", "eigvalsh of 1-d");
    is_err(l2_linalg_eigh(NULL, NULL, &V), L2_ERR_NULL, "linalg_eigh", "eigh of NULL");
    l2_tensor_release(ns);
    l2_tensor_release(a);
    l2_tensor_release(i);
    l2_tensor_release(v);
    l2_tensor *x = l2_randn(3, (const int64_t[]){2, 3, 3}, L2_FLOAT64);
    l2_set_requires_grad(x, true);
    ectx c = {1, l2_randn(2, (const int64_t[]){2, 3}, L2_FLOAT64),
              l2_randn(3, (const int64_t[]){2, 3, 3}, L2_FLOAT64)};
    oom_check("eigh", f_eigh, 1, &x, &c);
    l2_tensor_release(c.wl);
    l2_tensor_release(c.wv);
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
    test_eigh_forward();
    test_eigh_grads();
    test_eigh_errors();
    return tap_done();
}
