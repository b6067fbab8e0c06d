/* test-linalg-lstsq.c: cholesky_solve and linalg_lstsq of issue 15, area lsqnorm
 * (libl2/ops/linalg-lstsq.c): hand-computed values, residual checks on batched, broadcast and
 * non-contiguous inputs, empty inputs, float64 finite-difference gradients, the error paths and
 * out-of-memory sweeps. */
#include <l2.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

/* A lower-triangular factor with a well-away-from-zero diagonal: tril(uniform(-1, 1)) + 2 I,
 * shape (*, n, n); its transpose when upper. */
static l2_tensor *factor(int nd, const int64_t *shape, l2_dtype dt, bool upper)
{
    int64_t n = shape[nd - 1];
    l2_tensor *u = l2_uniform(nd, shape, -1, 1, dt);
    l2_tensor *t = upper ? l2_triu(u, 0) : l2_tril(u, 0);
    l2_tensor *e = l2_eye(n, n, dt);
    l2_tensor *s = l2_mul_scalar(e, 2.0);
    l2_tensor *a = l2_add(t, s);
    RELEASE(u, t, e, s);
    return a;
}

/* ---- cholesky_solve --------------------------------------------------------------------------- */

static void test_chol_values(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    double tol = dt == L2_FLOAT32 ? 1e-6 : 1e-14;
    /* L = [[2, 0], [1, 2]]: A = L L^T = [[4, 2], [2, 5]], det 16, A^{-1} = [[5, -2], [-2, 4]] / 16;
     * A x = [2, 7]: x = [10 - 14, -4 + 28] / 16 = [-0.25, 1.5] */
    l2_tensor *L = mat(2, 2, (double[]){2, 0, 1, 2}, dt);
    l2_tensor *B = mat(2, 1, (double[]){2, 7}, dt);
    l2_tensor *x = l2_cholesky_solve(B, L, false);
    ok(same_shape(x, 2, (int64_t[]){2, 1}) && fabs(flat(x, 0) + 0.25) < tol &&
           fabs(flat(x, 1) - 1.5) < tol,
       "%s cholesky_solve with L [[2,0],[1,2]]: x = [%g, %g] (want [-0.25, 1.5])", dn,
       x ? flat(x, 0) : NAN, x ? flat(x, 1) : NAN);
    /* the upper factor U = L^T gives the same x; the unread triangle holds garbage (99) */
    l2_tensor *U = mat(2, 2, (double[]){2, 1, 99, 2}, dt);
    l2_tensor *xu = l2_cholesky_solve(B, U, true);
    ok(maxdiff(x, xu) < tol, "%s upper: the same x, the lower triangle never read (%g off)", dn,
       maxdiff(x, xu));
    l2_tensor *Lg = mat(2, 2, (double[]){2, 99, 1, 2}, dt);
    l2_tensor *xl = l2_cholesky_solve(B, Lg, false);
    ok(maxdiff(x, xl) < tol, "%s lower: the upper triangle never read (%g off)", dn,
       maxdiff(x, xl));
    RELEASE(L, B, x, U, xu, Lg, xl);
}

/* L L^T X = B by residual over batched, broadcast and non-contiguous operands. */
static void test_chol_residuals(l2_dtype dt, bool upper)
{
    const char *dn = l2_dtype_name(dt);
    double tol = dt == L2_FLOAT32 ? 1e-4 : 1e-11;
    /* L (2,1,4,4) with B (3,4,2): X (2,3,4,2) */
    l2_tensor *L = factor(4, (int64_t[]){2, 1, 4, 4}, dt, upper);
    l2_tensor *B = l2_randn(3, (int64_t[]){3, 4, 2}, dt);
    l2_tensor *X = l2_cholesky_solve(B, L, upper);
    ok(same_shape(X, 4, (int64_t[]){2, 3, 4, 2}), "%s%s cholesky_solve broadcasts (3,4,2) and "
       "(2,1,4,4)", dn, upper ? " upper" : "");
    l2_tensor *Lt = l2_transpose(L, -2, -1);
    l2_tensor *A = upper ? l2_matmul(Lt, L) : l2_matmul(L, Lt);
    l2_tensor *AX = X ? l2_matmul(A, X) : NULL;
    l2_tensor *Be = l2_expand(B, 4, (int64_t[]){2, 3, 4, 2});
    ok(maxdiff(AX, Be) < tol, "%s A X = B: residual %g", dn, maxdiff(AX, Be));
    /* non-contiguous: the factor given transposed (an upper factor read as lower), B sliced */
    l2_tensor *Bw = l2_randn(3, (int64_t[]){2, 4, 6}, dt);
    l2_tensor *Bs = l2_slice(Bw, 2, 1, 6, 2);
    l2_tensor *X2 = l2_cholesky_solve(Bs, Lt, !upper);
    l2_tensor *Be2 = l2_expand(Bs, 4, (int64_t[]){2, 2, 4, 3});
    l2_tensor *AX2 = X2 ? l2_matmul(A, X2) : NULL;
    ok(maxdiff(AX2, Be2) < tol, "%s transposed factor, sliced B: residual %g", dn,
       maxdiff(AX2, Be2));
    RELEASE(L, B, X, Lt, A, AX, Be, Bw, Bs, X2, Be2, AX2);
}

static void test_chol_empty_and_errors(void)
{
    l2_tensor *L = factor(2, (int64_t[]){3, 3}, L2_FLOAT32, false);
    l2_tensor *E0 = l2_zeros(2, (int64_t[]){0, 0}, L2_FLOAT32);
    l2_tensor *B00 = l2_zeros(2, (int64_t[]){0, 2}, L2_FLOAT32);
    l2_tensor *x0 = l2_cholesky_solve(B00, E0, false);
    ok(same_shape(x0, 2, (int64_t[]){0, 2}), "cholesky_solve: n = 0");
    l2_tensor *Bk = l2_zeros(2, (int64_t[]){3, 0}, L2_FLOAT32);
    l2_tensor *xk = l2_cholesky_solve(Bk, L, false);
    ok(same_shape(xk, 2, (int64_t[]){3, 0}), "cholesky_solve: k = 0");
    l2_tensor *Bb = l2_zeros(3, (int64_t[]){0, 3, 2}, L2_FLOAT32);
    l2_tensor *xb = l2_cholesky_solve(Bb, L, false);
    ok(same_shape(xb, 3, (int64_t[]){0, 3, 2}), "cholesky_solve: an empty batch");
    l2_tensor *v = l2_zeros(1, (int64_t[]){3}, L2_FLOAT32);
    l2_tensor *B = l2_randn(2, (int64_t[]){3, 2}, L2_FLOAT32);
    l2_tensor *B4 = l2_randn(2, (int64_t[]){4, 2}, L2_FLOAT32);
    l2_tensor *B64 = l2_randn(2, (int64_t[]){3, 2}, L2_FLOAT64);
    l2_tensor *R = l2_randn(2, (int64_t[]){3, 4}, L2_FLOAT32);
    l2_tensor *Li = l2_zeros(2, (int64_t[]){3, 3}, L2_INT64);
    l2_tensor *Bi = l2_zeros(2, (int64_t[]){3, 2}, L2_INT64);
    l2_tensor *Bb2 = l2_randn(3, (int64_t[]){2, 3, 2}, L2_FLOAT32);
    l2_tensor *Lb3 = factor(3, (int64_t[]){3, 3, 3}, L2_FLOAT32, false);
    is_err(l2_cholesky_solve(NULL, L, false), L2_ERR_NULL, "'B'", "cholesky_solve: NULL B");
    is_err(l2_cholesky_solve(B, NULL, false), L2_ERR_NULL, "'L'", "cholesky_solve: NULL L");
    is_err(l2_cholesky_solve(v, L, false), L2_ERR_DIM, "at least 2", "cholesky_solve: 1-d B");
    is_err(l2_cholesky_solve(B, v, false), L2_ERR_DIM, "at least 2", "cholesky_solve: 1-d L");
    is_err(l2_cholesky_solve(B4, L, false), L2_ERR_SHAPE, "incompatible",
           "cholesky_solve: B with 4 rows against a 3x3 factor");
    is_err(l2_cholesky_solve(B, R, false), L2_ERR_SHAPE, "square",
           "cholesky_solve: non-square L");
    is_err(l2_cholesky_solve(B64, L, false), L2_ERR_DTYPE, "same dtype",
           "cholesky_solve: mixed dtypes");
    is_err(l2_cholesky_solve(Bi, Li, false), L2_ERR_DTYPE, "int64", "cholesky_solve: int64");
    is_err(l2_cholesky_solve(Bb2, Lb3, false), L2_ERR_SHAPE, "broadcast",
           "cholesky_solve: batch dims (2) and (3)");
    RELEASE(L, E0, B00, x0, Bk, xk, Bb, xb, v, B, B4, B64, R, Li, Bi, Bb2, Lb3);
}

/* cholesky_solve(B, tril(M) + 3 I) (triu when ctx is not NULL): the factor's unread triangle is
 * masked, so finite differences see every element the gradient reaches. */
static l2_tensor *g_chol_solve(l2_tensor *const *in, void *ctx)
{
    bool upper = ctx != NULL;
    int64_t n = l2_shape(in[1])[l2_ndim(in[1]) - 1];
    l2_tensor *t = upper ? l2_triu(in[1], 0) : l2_tril(in[1], 0);
    l2_tensor *e = l2_eye(n, n, L2_FLOAT64);
    l2_tensor *s = e ? l2_mul_scalar(e, 3.0) : NULL;
    l2_tensor *f = t && s ? l2_add(t, s) : NULL;
    l2_tensor *r = f ? l2_cholesky_solve(in[0], f, upper) : NULL;
    RELEASE(t, e, s, f);
    return r;
}

static void test_chol_gradcheck(void)
{
    int one = 1;
    struct {
        const char *name;
        int nd[2];
        int64_t sh[2][4];
    } cases[] = {
        {"cholesky_solve (3,2), (3,3)", {2, 2}, {{3, 2}, {3, 3}}},
        {"cholesky_solve broadcast (2,1,3,2), (4,3,3)", {4, 3}, {{2, 1, 3, 2}, {4, 3, 3}}},
        {"cholesky_solve 1x1", {2, 2}, {{1, 1}, {1, 1}}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        l2_tensor *in[2];
        for (int i = 0; i < 2; i++)
            in[i] = gc_leaf(cases[c].nd[i], cases[c].sh[i], -1, 1);
        ok(gradcheck(cases[c].name, g_chol_solve, 2, in, NULL), "gradcheck: %s", cases[c].name);
        ok(gradcheck(cases[c].name, g_chol_solve, 2, in, &one), "gradcheck: %s, upper",
           cases[c].name);
        if (c == 1)
            oom_check("cholesky_solve", g_chol_solve, 2, in, NULL);
        RELEASE(in[0], in[1]);
    }
    /* the raw factor's gradient is dense (torch 1.13): the unread triangle gets -C L too */
    l2_tensor *L = factor(2, (int64_t[]){2, 2}, L2_FLOAT64, false);
    l2_tensor *B = mat(2, 1, (double[]){1, 2}, L2_FLOAT64);
    l2_set_requires_grad(L, true);
    l2_tensor *x = l2_cholesky_solve(B, L, false);
    l2_tensor *s = x ? l2_sum(x) : NULL;
    ok(s && l2_backward(s, NULL, false) == L2_OK && l2_grad(L) &&
           at(l2_grad(L), (int64_t[]){0, 1}) != 0,
       "cholesky_solve: the factor's gradient reaches its unread triangle (%g)",
       l2_grad(L) ? at(l2_grad(L), (int64_t[]){0, 1}) : NAN);
    RELEASE(L, B, x, s);
}

/* ---- lstsq ------------------------------------------------------------------------------------ */

static void test_lstsq_values(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    double tol = dt == L2_FLOAT32 ? 1e-5 : 1e-13;
    /* overdetermined: A^T A = [[2, 1], [1, 2]], A^T b = [5, 6]: x = [4/3, 7/3] */
    l2_tensor *A = mat(3, 2, (double[]){1, 0, 0, 1, 1, 1}, dt);
    l2_tensor *b = vec1d(3, (double[]){1, 2, 4}, dt);
    l2_tensor *rk = NULL, *x = l2_linalg_lstsq(A, b, NAN, NULL, &rk);
    ok(same_shape(x, 1, (int64_t[]){2}) && fabs(flat(x, 0) - 4.0 / 3) < tol &&
           fabs(flat(x, 1) - 7.0 / 3) < tol && rk && l2_ndim(rk) == 0 && item(rk) == 2,
       "%s lstsq 3x2, vector b: x = [%g, %g] (want [4/3, 7/3]), rank %g", dn,
       x ? flat(x, 0) : NAN, x ? flat(x, 1) : NAN, item(rk));
    /* underdetermined: the minimum-norm solution of x1 + x2 = 2 is [1, 1] */
    l2_tensor *U = mat(1, 2, (double[]){1, 1}, dt);
    l2_tensor *bu = mat(1, 1, (double[]){2}, dt);
    l2_tensor *xu = l2_linalg_lstsq(U, bu, NAN, "gelsy", NULL);
    ok(same_shape(xu, 2, (int64_t[]){2, 1}) && fabs(flat(xu, 0) - 1) < tol &&
           fabs(flat(xu, 1) - 1) < tol,
       "%s lstsq 1x2: the minimum-norm solution [1, 1] ([%g, %g])", dn, xu ? flat(xu, 0) : NAN,
       xu ? flat(xu, 1) : NAN);
    /* rank-deficient: every row [1, 1]; x1 + x2 = mean(b) = 2, minimum norm [1, 1], rank 1 */
    l2_tensor *D = mat(3, 2, (double[]){1, 1, 1, 1, 1, 1}, dt);
    l2_tensor *bd = vec1d(3, (double[]){1, 2, 3}, dt);
    l2_tensor *rd = NULL, *xd = l2_linalg_lstsq(D, bd, NAN, NULL, &rd);
    ok(xd && fabs(flat(xd, 0) - 1) < tol * 10 && fabs(flat(xd, 1) - 1) < tol * 10 &&
           item(rd) == 1,
       "%s lstsq of a rank-1 matrix: [%g, %g], rank %g", dn, xd ? flat(xd, 0) : NAN,
       xd ? flat(xd, 1) : NAN, item(rd));
    RELEASE(A, b, rk, x, U, bu, xu, D, bd, rd, xd);
}

/* The normal equations A^T (A X - B) = 0 over batched, broadcast and non-contiguous operands. */
static void test_lstsq_residuals(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    double tol = dt == L2_FLOAT32 ? 1e-4 : 1e-11;
    l2_tensor *A = l2_randn(4, (int64_t[]){2, 1, 6, 3}, dt);
    l2_tensor *Bw = l2_randn(4, (int64_t[]){1, 4, 6, 4}, dt);
    l2_tensor *B = l2_slice(Bw, 3, 0, 4, 2); /* (1, 4, 6, 2), stepped */
    l2_tensor *rk = NULL, *X = l2_linalg_lstsq(A, B, NAN, NULL, &rk);
    ok(same_shape(X, 4, (int64_t[]){2, 4, 3, 2}) && same_shape(rk, 2, (int64_t[]){2, 4}),
       "%s lstsq broadcasts (2,1,6,3), (1,4,6,2): X (2,4,3,2), rank (2,4)", dn);
    l2_tensor *AX = X ? l2_matmul(A, X) : NULL;
    l2_tensor *R = AX ? l2_sub(AX, B) : NULL;
    l2_tensor *At = l2_transpose(A, -2, -1);
    l2_tensor *N = R ? l2_matmul(At, R) : NULL;
    l2_tensor *z = l2_zeros(4, (int64_t[]){2, 4, 3, 2}, dt);
    double err = 0;
    for (int64_t i = 0; N && i < l2_numel(N); i++)
        err = fmax(err, fabs(flat(N, i)));
    ok(N && err < tol * 10, "%s normal equations hold: %g", dn, err);
    /* transposed A: underdetermined (3, 6) with b (3,) */
    l2_tensor *A2 = l2_randn(2, (int64_t[]){6, 3}, dt);
    l2_tensor *A2t = l2_transpose(A2, 0, 1);
    l2_tensor *b2 = l2_randn(1, (int64_t[]){3}, dt);
    l2_tensor *x2 = l2_linalg_lstsq(A2t, b2, NAN, NULL, NULL);
    l2_tensor *x2u = x2 ? l2_unsqueeze(x2, -1) : NULL;
    l2_tensor *Ax2 = x2u ? l2_matmul(A2t, x2u) : NULL;
    double e2 = 0;
    for (int64_t i = 0; Ax2 && i < 3; i++)
        e2 = fmax(e2, fabs(flat(Ax2, i) - flat(b2, i)));
    ok(Ax2 && e2 < tol, "%s underdetermined, transposed A: A x = b (%g)", dn, e2);
    RELEASE(A, Bw, B, rk, X, AX, R, At, N, z, A2, A2t, b2, x2, x2u, Ax2);
}

static void test_lstsq_errors(void)
{
    l2_tensor *A = l2_randn(2, (int64_t[]){4, 3}, L2_FLOAT32);
    l2_tensor *B = l2_randn(2, (int64_t[]){4, 2}, L2_FLOAT32);
    l2_tensor *B5 = l2_randn(2, (int64_t[]){5, 2}, L2_FLOAT32);
    l2_tensor *B64 = l2_randn(2, (int64_t[]){4, 2}, L2_FLOAT64);
    l2_tensor *v = l2_randn(1, (int64_t[]){4}, L2_FLOAT32);
    l2_tensor *s = l2_scalar(1, L2_FLOAT32);
    l2_tensor *B4 = l2_randn(4, (int64_t[]){1, 1, 4, 2}, L2_FLOAT32);
    l2_tensor *I = l2_zeros(2, (int64_t[]){4, 3}, L2_INT64);
    l2_tensor *Ab = l2_randn(3, (int64_t[]){2, 4, 3}, L2_FLOAT32);
    l2_tensor *Bb = l2_randn(3, (int64_t[]){3, 4, 2}, L2_FLOAT32);
    l2_tensor *rk = v;
    is_err(l2_linalg_lstsq(NULL, B, NAN, NULL, &rk), L2_ERR_NULL, "'A'", "lstsq: NULL A");
    ok(rk == NULL, "lstsq: a failure sets *rank to NULL");
    is_err(l2_linalg_lstsq(A, NULL, NAN, NULL, NULL), L2_ERR_NULL, "'B'", "lstsq: NULL B");
    is_err(l2_linalg_lstsq(A, B64, NAN, NULL, NULL), L2_ERR_DTYPE, "same dtype",
           "lstsq: mixed dtypes");
    is_err(l2_linalg_lstsq(I, I, NAN, NULL, NULL), L2_ERR_DTYPE, "int64", "lstsq: int64");
    is_err(l2_linalg_lstsq(v, v, NAN, NULL, NULL), L2_ERR_DIM, "at least 2", "lstsq: 1-d A");
    is_err(l2_linalg_lstsq(A, s, NAN, NULL, NULL), L2_ERR_SHAPE, "0-d", "lstsq: 0-d B");
    is_err(l2_linalg_lstsq(A, B4, NAN, NULL, NULL), L2_ERR_ARG, "A.dim()",
           "lstsq: B of a higher rank");
    is_err(l2_linalg_lstsq(A, B5, NAN, NULL, NULL), L2_ERR_SHAPE, "should match",
           "lstsq: B's m differs");
    is_err(l2_linalg_lstsq(Ab, Bb, NAN, NULL, NULL), L2_ERR_SHAPE, "broadcast",
           "lstsq: batch dims (2) and (3)");
    is_err(l2_linalg_lstsq(A, B, NAN, "gelsd", NULL), L2_ERR_ARG, "not supported yet",
           "lstsq: driver gelsd is not supported yet");
    is_err(l2_linalg_lstsq(A, B, NAN, "lu", NULL), L2_ERR_ARG, "should be one of",
           "lstsq: an unknown driver");
    /* empty sizes */
    l2_tensor *E = l2_zeros(2, (int64_t[]){0, 3}, L2_FLOAT64);
    l2_tensor *Eb = l2_zeros(2, (int64_t[]){0, 2}, L2_FLOAT64);
    l2_tensor *r0 = NULL, *x0 = l2_linalg_lstsq(E, Eb, NAN, NULL, &r0);
    ok(same_shape(x0, 2, (int64_t[]){3, 2}) && flat(x0, 0) == 0 && item(r0) == 0,
       "lstsq: m = 0 gives zeros, rank 0");
    l2_tensor *N0 = l2_zeros(2, (int64_t[]){4, 0}, L2_FLOAT64);
    l2_tensor *Bn = l2_ones(2, (int64_t[]){4, 2}, L2_FLOAT64);
    l2_tensor *xn = l2_linalg_lstsq(N0, Bn, NAN, NULL, NULL);
    ok(same_shape(xn, 2, (int64_t[]){0, 2}), "lstsq: n = 0");
    l2_tensor *Zb = l2_zeros(3, (int64_t[]){0, 4, 3}, L2_FLOAT64);
    l2_tensor *Zc = l2_zeros(3, (int64_t[]){0, 4, 2}, L2_FLOAT64);
    l2_tensor *Zr = NULL, *xz = l2_linalg_lstsq(Zb, Zc, NAN, NULL, &Zr);
    ok(same_shape(xz, 3, (int64_t[]){0, 3, 2}) && same_shape(Zr, 1, (int64_t[]){0}),
       "lstsq: an empty batch");
    RELEASE(A, B, B5, B64, v, s, B4, I, Ab, Bb, E, Eb, r0, x0, N0, Bn, xn, Zb, Zc, Zr, xz);
}

static l2_tensor *g_lstsq(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_linalg_lstsq(in[0], in[1], NAN, NULL, NULL);
}

static void test_lstsq_gradcheck(void)
{
    struct {
        const char *name;
        int nd[2];
        int64_t sh[2][4];
    } cases[] = {
        {"lstsq 5x3, (5,2)", {2, 2}, {{5, 3}, {5, 2}}},
        {"lstsq 2x4 (underdetermined), (2,3)", {2, 2}, {{2, 4}, {2, 3}}},
        {"lstsq 3x3, vector", {2, 1}, {{3, 3}, {3}}},
        {"lstsq broadcast (2,1,4,2), (1,3,4,1)", {4, 4}, {{2, 1, 4, 2}, {1, 3, 4, 1}}},
        {"lstsq batched vectors (2,3,4), (2,3)", {3, 2}, {{2, 3, 4}, {2, 3}}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        l2_tensor *in[2];
        for (int i = 0; i < 2; i++)
            in[i] = gc_leaf(cases[c].nd[i], cases[c].sh[i], -1, 1);
        ok(gradcheck(cases[c].name, g_lstsq, 2, in, NULL), "gradcheck: %s", cases[c].name);
        if (c == 0 || c == 1)
            oom_check(cases[c].name, g_lstsq, 2, in, NULL);
        RELEASE(in[0], in[1]);
    }
}

int main(void)
{
    l2_manual_seed(15);
    test_chol_values(L2_FLOAT32);
    test_chol_values(L2_FLOAT64);
    test_chol_residuals(L2_FLOAT32, false);
    test_chol_residuals(L2_FLOAT64, true);
    test_chol_empty_and_errors();
    test_chol_gradcheck();
    test_lstsq_values(L2_FLOAT32);
    test_lstsq_values(L2_FLOAT64);
    test_lstsq_residuals(L2_FLOAT32);
    test_lstsq_residuals(L2_FLOAT64);
    test_lstsq_errors();
    test_lstsq_gradcheck();
    return tap_done();
}
