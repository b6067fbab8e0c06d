/* test-linalg-solve.c: the LAPACK solvers of issue 15, area la1 (libl2/ops/linalg-solve.c):
 * linalg_solve, inv, det, slogdet and cholesky against hand-computed values (pivoting included), residual
 * checks on batched, broadcast and non-contiguous inputs, singular and empty inputs,
 * finite-difference gradients in float64, the error paths and an out-of-memory sweep. */
#include <l2.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

/* A well-conditioned batch: uniform(-1, 1) + n I, shape (*, n, n). */
static l2_tensor *wellcond(int nd, const int64_t *shape, l2_dtype dt)
{
    int64_t n = shape[nd - 1];
    l2_tensor *u = l2_uniform(nd, shape, -1, 1, dt);
    l2_tensor *e = l2_eye(n, n, dt);
    l2_tensor *s = l2_mul_scalar(e, (double)n);
    l2_tensor *a = l2_add(u, s);
    l2_tensor_release(u);
    l2_tensor_release(e);
    l2_tensor_release(s);
    return a;
}

static void test_values(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    double tol = dt == L2_FLOAT32 ? 1e-6 : 1e-14;
    l2_tensor *A = mat(2, 2, (double[]){2, 1, 1, 3}, dt);
    l2_tensor *b = vec1d(2, (double[]){1, 2}, dt);
    l2_tensor *x = l2_linalg_solve(A, b);
    ok(x && l2_ndim(x) == 1 && fabs(flat(x, 0) - 0.2) < tol && fabs(flat(x, 1) - 0.6) < tol,
       "%s solve [[2,1],[1,3]] x = [1,2]: x = [%g, %g] (want [0.2, 0.6])", dn,
       x ? flat(x, 0) : NAN, x ? flat(x, 1) : NAN);
    l2_tensor *y = l2_linalg_inv(A);
    double want[4] = {0.6, -0.2, -0.2, 0.4}, err = 0;
    for (int i = 0; i < 4; i++)
        err = fmax(err, y ? fabs(flat(y, i) - want[i]) : INFINITY);
    ok(err < tol, "%s inv of [[2,1],[1,3]]: max error %g", dn, err);
    is_near(itemr(l2_linalg_det(A)), 5.0, 4 * tol, "det of [[2,1],[1,3]] is 5");
    /* a permutation: the pivots' sign */
    l2_tensor *P = mat(3, 3, (double[]){0, 1, 0, 0, 0, 1, 1, 0, 0}, dt);
    l2_tensor *Q = mat(3, 3, (double[]){0, 1, 0, 1, 0, 0, 0, 0, 2}, dt);
    is_near(itemr(l2_linalg_det(P)), 1.0, 0, "det of a cyclic permutation is 1");
    is_near(itemr(l2_linalg_det(Q)), -2.0, 0, "det of a swap times diag(1,1,2) is -2");
    l2_tensor *la = NULL, *s = l2_linalg_slogdet(Q, &la);
    ok(s && la && item(s) == -1 && fabs(item(la) - log(2.0)) < tol,
       "%s slogdet of it: sign %g, logabsdet %g (want -1, log 2)", dn, item(s), item(la));
    l2_tensor *la2 = NULL, *s2 = l2_linalg_slogdet(A, &la2);
    ok(s2 && la2 && item(s2) == 1 && fabs(item(la2) - log(5.0)) < tol,
       "%s slogdet [[2,1],[1,3]]: sign %g, logabsdet %g", dn, item(s2), item(la2));
    l2_tensor *tmp[] = {A, b, x, y, P, Q, la, s, la2, s2};
    for (size_t i = 0; i < sizeof tmp / sizeof tmp[0]; i++)
        l2_tensor_release(tmp[i]);
}

/* A X = B by residual, over batched, broadcast and non-contiguous operands. */
static void test_residuals(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    double tol = dt == L2_FLOAT32 ? 1e-4 : 1e-11;
    /* A (2,1,4,4) with B (3,4,2): X (2,3,4,2) */
    l2_tensor *A = wellcond(4, (int64_t[]){2, 1, 4, 4}, dt);
    l2_tensor *B = l2_randn(3, (int64_t[]){3, 4, 2}, dt);
    l2_tensor *X = l2_linalg_solve(A, B);
    ok(same_shape(X, 4, (int64_t[]){2, 3, 4, 2}), "%s solve broadcasts (2,1,4,4), (3,4,2)", dn);
    l2_tensor *AX = X ? l2_matmul(A, X) : NULL;
    l2_tensor *Be = l2_expand(B, 4, (int64_t[]){2, 3, 4, 2});
    ok(maxdiff(AX, Be) < tol, "%s A X = B: residual %g", dn, maxdiff(AX, Be));
    /* batched vectors: B shaped A.shape[:-1] */
    l2_tensor *A2 = wellcond(3, (int64_t[]){5, 3, 3}, dt);
    l2_tensor *b2 = l2_randn(2, (int64_t[]){5, 3}, dt);
    l2_tensor *x2 = l2_linalg_solve(A2, b2);
    ok(same_shape(x2, 2, (int64_t[]){5, 3}), "%s B (5,3) beside A (5,3,3) is a batch of vectors",
       dn);
    l2_tensor *x2u = x2 ? l2_unsqueeze(x2, -1) : NULL;
    l2_tensor *Ax2 = x2u ? l2_matmul(A2, x2u) : NULL;
    l2_tensor *b2u = l2_unsqueeze(b2, -1);
    ok(maxdiff(Ax2, b2u) < tol, "%s batched vectors: residual %g", dn, maxdiff(Ax2, b2u));
    /* non-contiguous: A transposed, B a stepped slice */
    l2_tensor *At = l2_transpose(A2, -2, -1);
    l2_tensor *Bw = l2_randn(3, (int64_t[]){5, 3, 4}, dt);
    l2_tensor *Bs = l2_slice(Bw, 2, 0, 4, 2);
    l2_tensor *x3 = l2_linalg_solve(At, Bs);
    l2_tensor *Ax3 = x3 ? l2_matmul(At, x3) : NULL;
    ok(maxdiff(Ax3, Bs) < tol, "%s transposed A, sliced B: residual %g", dn, maxdiff(Ax3, Bs));
    /* inv: A inv(A) = I for the transposed batch; det(A^T) = det(A) */
    l2_tensor *Yi = l2_linalg_inv(At);
    l2_tensor *I = Yi ? l2_matmul(At, Yi) : NULL;
    l2_tensor *e = l2_eye(3, 3, dt);
    l2_tensor *Ie = l2_expand(e, 3, (int64_t[]){5, 3, 3});
    ok(maxdiff(I, Ie) < tol, "%s A inv(A) = I (transposed A): %g", dn, maxdiff(I, Ie));
    l2_tensor *d1 = l2_linalg_det(A2), *d2 = l2_linalg_det(At);
    ok(same_shape(d1, 1, (int64_t[]){5}) && maxdiff(d1, d2) < tol * 30,
       "%s det(A^T) = det(A) batched: %g", dn, maxdiff(d1, d2));
    l2_tensor *tmp[] = {A, B, X, AX, Be, A2, b2, x2, x2u, Ax2, b2u, At, Bw, Bs, x3, Ax3,
                        Yi, I, e, Ie, d1, d2};
    for (size_t i = 0; i < sizeof tmp / sizeof tmp[0]; i++)
        l2_tensor_release(tmp[i]);
}

static void test_singular_and_empty(void)
{
    l2_tensor *S = mat(2, 2, (double[]){1, 2, 2, 4}, L2_FLOAT64);
    l2_tensor *b = vec1d(2, (double[]){1, 1}, L2_FLOAT64);
    is_err(l2_linalg_solve(S, b), L2_ERR_ARG, "singular", "solve of a singular matrix");
    is_err(l2_linalg_inv(S), L2_ERR_ARG, "diagonal element 2 of U is zero",
           "inv of a singular matrix names the pivot");
    l2_tensor *S3 = l2_zeros(3, (int64_t[]){3, 2, 2}, L2_FLOAT32);
    is_err(l2_linalg_inv(S3), L2_ERR_ARG, "(batch element 0)", "batched: names the element");
    is_near(itemr(l2_linalg_det(S)), 0.0, 0, "det of a singular matrix is 0");
    l2_tensor *la = NULL, *s = l2_linalg_slogdet(S, &la);
    ok(item(s) == 0 && item(la) == -INFINITY, "slogdet of it: sign %g, logabsdet %g", item(s),
       item(la));
    /* the det gradient at a singular matrix: zero, as torch 1.13 */
    l2_set_requires_grad(S, true);
    l2_tensor *d = l2_linalg_det(S);
    l2_tensor *g = l2_scalar(1.5, L2_FLOAT64);
    l2_tensor *z = l2_zeros(2, (int64_t[]){2, 2}, L2_FLOAT64);
    ok(d && l2_backward(d, g, false) == L2_OK && maxdiff(l2_grad(S), z) == 0,
       "det's gradient at an exactly singular matrix is 0 (%g off)", maxdiff(l2_grad(S), z));
    l2_tensor_release(z);
    /* empty */
    l2_tensor *E = l2_zeros(2, (int64_t[]){0, 0}, L2_FLOAT32);
    is_near(itemr(l2_linalg_det(E)), 1.0, 0, "det of a 0x0 matrix is 1");
    l2_tensor *Eb = l2_zeros(3, (int64_t[]){0, 3, 3}, L2_FLOAT64);
    l2_tensor *Ebi = l2_linalg_inv(Eb), *Ebd = l2_linalg_det(Eb);
    ok(same_shape(Ebi, 3, (int64_t[]){0, 3, 3}) && same_shape(Ebd, 1, (int64_t[]){0}),
       "an empty batch gives empty results");
    l2_tensor *Bz = l2_zeros(2, (int64_t[]){3, 0}, L2_FLOAT64);
    l2_tensor *I3 = l2_eye(3, 3, L2_FLOAT64);
    l2_tensor *Xz = l2_linalg_solve(I3, Bz);
    ok(same_shape(Xz, 2, (int64_t[]){3, 0}), "k = 0 right-hand sides");
    l2_tensor *tmp[] = {S, b, S3, la, s, d, g, E, Eb, Ebi, Ebd, Bz, I3, Xz};
    for (size_t i = 0; i < sizeof tmp / sizeof tmp[0]; i++)
        l2_tensor_release(tmp[i]);
}

static void test_errors(void)
{
    l2_tensor *A = l2_randn(2, (int64_t[]){3, 3}, L2_FLOAT32);
    l2_tensor *A64 = l2_randn(2, (int64_t[]){3, 3}, L2_FLOAT64);
    l2_tensor *R = l2_randn(2, (int64_t[]){3, 4}, L2_FLOAT32);
    l2_tensor *v = l2_randn(1, (int64_t[]){3}, L2_FLOAT32);
    l2_tensor *v4 = l2_randn(1, (int64_t[]){4}, L2_FLOAT32);
    l2_tensor *I = l2_zeros(2, (int64_t[]){3, 3}, L2_INT64);
    l2_tensor *s0 = l2_scalar(1, L2_FLOAT32);
    is_err(l2_linalg_solve(NULL, v), L2_ERR_NULL, "'A'", "solve: NULL A");
    is_err(l2_linalg_solve(A, NULL), L2_ERR_NULL, "'B'", "solve: NULL B");
    is_err(l2_linalg_solve(A, v4), L2_ERR_SHAPE, "incompatible", "solve: B of the wrong n");
    is_err(l2_linalg_solve(A, s0), L2_ERR_SHAPE, "0-d", "solve: 0-d B");
    is_err(l2_linalg_solve(A64, v), L2_ERR_DTYPE, "same dtype", "solve: mixed dtypes");
    is_err(l2_linalg_solve(R, v), L2_ERR_SHAPE, "square", "solve: non-square A");
    is_err(l2_linalg_inv(v), L2_ERR_DIM, "at least 2", "inv: 1-d input");
    is_err(l2_linalg_inv(I), L2_ERR_DTYPE, "int64", "inv: int64 input");
    is_err(l2_linalg_det(R), L2_ERR_SHAPE, "square", "det: non-square");
    l2_tensor *la = v;
    is_err(l2_linalg_slogdet(R, &la), L2_ERR_SHAPE, "square", "slogdet: non-square");
    ok(la == NULL, "slogdet: failure sets *logabsdet to NULL");
    l2_tensor *Ab = l2_randn(3, (int64_t[]){2, 3, 3}, L2_FLOAT32);
    l2_tensor *Bb = l2_randn(3, (int64_t[]){3, 3, 1}, L2_FLOAT32);
    is_err(l2_linalg_solve(Ab, Bb), L2_ERR_SHAPE, "broadcast", "solve: batch dims (2) vs (3)");
    l2_tensor *tmp[] = {A, A64, R, v, v4, I, s0, Ab, Bb};
    for (size_t i = 0; i < sizeof tmp / sizeof tmp[0]; i++)
        l2_tensor_release(tmp[i]);
}

static void test_cholesky(void)
{
    /* [[4, 2], [2, 5]] = L L^T with L = [[2, 0], [1, 2]] */
    l2_tensor *A = mat(2, 2, (double[]){4, 2, 2, 5}, L2_FLOAT64);
    l2_tensor *L = l2_linalg_cholesky(A, false), *U = l2_linalg_cholesky(A, true);
    l2_tensor *wl = mat(2, 2, (double[]){2, 0, 1, 2}, L2_FLOAT64);
    l2_tensor *wu = mat(2, 2, (double[]){2, 1, 0, 2}, L2_FLOAT64);
    ok(maxdiff(L, wl) < 1e-15, "cholesky of [[4,2],[2,5]] is [[2,0],[1,2]] (%g off)",
       maxdiff(L, wl));
    ok(maxdiff(U, wu) < 1e-15, "upper: [[2,1],[0,2]] (%g off)", maxdiff(U, wu));
    l2_tensor *N = mat(2, 2, (double[]){1, 2, 2, 1}, L2_FLOAT32);
    is_err(l2_linalg_cholesky(N, false), L2_ERR_ARG, "leading minor of order 2",
           "cholesky of an indefinite matrix names the minor");
    l2_tensor *R = l2_zeros(2, (int64_t[]){2, 3}, L2_FLOAT32);
    is_err(l2_linalg_cholesky(R, false), L2_ERR_SHAPE, "square", "cholesky: non-square");
    is_err(l2_linalg_cholesky(NULL, false), L2_ERR_NULL, "'A'", "cholesky: NULL");
    l2_tensor *tmp[] = {A, L, U, wl, wu, N, R};
    for (size_t i = 0; i < sizeof tmp / sizeof tmp[0]; i++)
        l2_tensor_release(tmp[i]);
}

/* ---- finite differences (float64): A = in[0] + 4 I keeps the matrices well-conditioned ---- */

static l2_tensor *shift(const l2_tensor *a)
{
    int64_t n = l2_shape(a)[l2_ndim(a) - 1];
    l2_tensor *e = l2_eye(n, n, L2_FLOAT64);
    l2_tensor *s = e ? l2_mul_scalar(e, 4.0) : NULL;
    l2_tensor *r = s ? l2_add(a, s) : NULL;
    l2_tensor_release(e);
    l2_tensor_release(s);
    return r;
}

static l2_tensor *g_solve(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    l2_tensor *a = shift(in[0]);
    l2_tensor *r = a ? l2_linalg_solve(a, in[1]) : NULL;
    l2_tensor_release(a);
    return r;
}
static l2_tensor *g_solve_t(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    l2_tensor *t = l2_transpose(in[0], -2, -1);
    l2_tensor *a = t ? shift(t) : NULL;
    l2_tensor *r = a ? l2_linalg_solve(a, in[1]) : NULL;
    l2_tensor_release(a);
    l2_tensor_release(t);
    return r;
}
static l2_tensor *g_inv(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    l2_tensor *a = shift(in[0]);
    l2_tensor *r = a ? l2_linalg_inv(a) : NULL;
    l2_tensor_release(a);
    return r;
}
static l2_tensor *g_det(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_linalg_det(in[0]);
}
static l2_tensor *g_logabsdet(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    l2_tensor *la = NULL, *s = l2_linalg_slogdet(in[0], &la);
    l2_tensor_release(s);
    return la;
}

/* cholesky(X X^T + 4 I), lower (ctx NULL) or upper */
static l2_tensor *g_chol(l2_tensor *const *in, void *ctx)
{
    l2_tensor *t = l2_transpose(in[0], -2, -1);
    l2_tensor *p = t ? l2_matmul(in[0], t) : NULL;
    l2_tensor *a = p ? shift(p) : NULL;
    l2_tensor *r = a ? l2_linalg_cholesky(a, ctx != NULL) : NULL;
    l2_tensor_release(t);
    l2_tensor_release(p);
    l2_tensor_release(a);
    return r;
}

static void test_gradcheck_cholesky(void)
{
    int one = 1;
    l2_tensor *x = gc_leaf(3, (int64_t[]){2, 3, 3}, -1, 1);
    ok(gradcheck("cholesky", g_chol, 1, &x, NULL), "gradcheck: cholesky");
    ok(gradcheck("cholesky upper", g_chol, 1, &x, &one), "gradcheck: cholesky, upper");
    oom_check("cholesky", g_chol, 1, &x, NULL);
    l2_tensor_release(x);
}

static void test_gradcheck(void)
{
    struct {
        const char *name;
        gc_fn f;
        int n;
        int nd[2];
        int64_t sh[2][4];
    } cases[] = {
        {"solve matrices", g_solve, 2, {2, 2}, {{3, 3}, {3, 2}}},
        {"solve broadcast (2,1,3,3), (4,3,2)", g_solve, 2, {4, 3}, {{2, 1, 3, 3}, {4, 3, 2}}},
        {"solve vector", g_solve, 2, {2, 1}, {{4, 4}, {4}}},
        {"solve batched vectors", g_solve, 2, {3, 2}, {{2, 3, 3}, {2, 3}}},
        {"solve with transposed A", g_solve_t, 2, {3, 3}, {{2, 3, 3}, {2, 3, 1}}},
        {"inv", g_inv, 1, {3}, {{2, 4, 4}}},
        {"det", g_det, 1, {3}, {{2, 3, 3}}},
        {"det 1x1", g_det, 1, {2}, {{1, 1}}},
        {"slogdet's logabsdet", g_logabsdet, 1, {3}, {{3, 3, 3}}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        l2_tensor *in[2] = {NULL, NULL};
        for (int i = 0; i < cases[c].n; i++)
            in[i] = gc_leaf(cases[c].nd[i], cases[c].sh[i], -1, 1);
        ok(gradcheck(cases[c].name, cases[c].f, cases[c].n, in, NULL), "gradcheck: %s",
           cases[c].name);
        if (c == 1)
            oom_check("solve broadcast", cases[c].f, cases[c].n, in, NULL);
        if (c == 5)
            oom_check("inv", cases[c].f, cases[c].n, in, NULL);
        if (c == 6)
            oom_check("det", cases[c].f, cases[c].n, in, NULL);
        if (c == 8)
            oom_check("slogdet", cases[c].f, cases[c].n, in, NULL);
        for (int i = 0; i < cases[c].n; i++)
            l2_tensor_release(in[i]);
    }
}

int main(void)
{
    l2_manual_seed(15);
    test_values(L2_FLOAT32);
    test_values(L2_FLOAT64);
    test_residuals(L2_FLOAT32);
    test_residuals(L2_FLOAT64);
    test_singular_and_empty();
    test_errors();
    test_gradcheck();
    test_cholesky();
    test_gradcheck_cholesky();
    return tap_done();
}
