/* linalg-lstsq.c: the LAPACK solvers of issue 15, area lsqnorm: cholesky_solve (potrs) and
 * linalg_lstsq (gelsy), batched over broadcast leading dims, float32 and float64, each with its
 * backward below its forward. The factorizations are LAPACK's (lapack.h) on column-major copies
 * (l2__linalg_colmajor); none is written here. Not here: the other solvers (linalg-solve.c). */
#include "../autograd-impl.h"
#include "../checked.h"
#include "lapack.h"
#include "linalg-impl.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Fixed letters: n the factor's order, k the right-hand sides' count, bnd/bshape the batch dims
 * (the broadcast of the operands' leading dims), nb the number of matrices; lstsq: A (m, n),
 * B (m, k), X (n, k). */

/* ---- cholesky_solve ------------------------------------------------------------------------ */

/* X with A X = B for A = L L^T (U^T U when upper), B: (*, n, k), L: (*, n, n), the batch dims
 * broadcast; the new row-major X (bshape..., n, k). The caller checked the arguments. NULL on
 * error. */
static l2_tensor *chol_solve_impl(const char *op, const l2_tensor *B, const l2_tensor *L,
                                  bool upper)
{
    int64_t bshape[L2_MAX_DIMS];
    int bnd = l2__broadcast_shapes(op, B->ndim - 2, B->shape, L->ndim - 2, L->shape, bshape);
    if (bnd < 0)
        return NULL;
    /* the factors first: a refused size of L fails before B's (maybe large) copy is made */
    l2_tensor *f = l2__linalg_colmajor(op, L, false, bnd, bshape, L->dtype);
    l2_tensor *x = f ? l2__linalg_colmajor(op, B, false, bnd, bshape, B->dtype) : NULL;
    if (!x) {
        l2_tensor_release(f);
        return NULL;
    }
    int n = (int)L->shape[L->ndim - 1], k = (int)B->shape[B->ndim - 1], ld = n > 1 ? n : 1;
    int64_t nb = l2__numel(bnd, bshape);
    size_t es = l2__esize(B->dtype), msz = (size_t)n * (size_t)n * es, rsz = (size_t)n * k * es;
    char *a = l2__data(f), *bp = l2__data(x);
    for (int64_t b = 0; n > 0 && k > 0 && b < nb; b++) {
        int info = 0;
        if (B->dtype == L2_FLOAT32)
            spotrs_(upper ? "U" : "L", &n, &k, (const float *)(void *)(a + b * msz), &ld,
                    (float *)(void *)(bp + b * rsz), &ld, &info, 1);
        else
            dpotrs_(upper ? "U" : "L", &n, &k, (const double *)(void *)(a + b * msz), &ld,
                    (double *)(void *)(bp + b * rsz), &ld, &info, 1);
    }
    l2_tensor_release(f);
    l2_tensor *r = l2__linalg_rowmajor(op, x, false);
    l2_tensor_release(x);
    return r;
}

l2_tensor *l2_cholesky_solve(const l2_tensor *B, const l2_tensor *L, bool upper)
{
    const char *op = "cholesky_solve";
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
    L2__CHECK_TN(B, NULL, op, "B");
    L2__CHECK_TN(L, NULL, op, "L");
    L2__CHECK(B->ndim >= 2, NULL, L2_ERR_DIM,
              "%s: B should have at least 2 dimensions, but has %d dimensions instead", op,
              B->ndim);
    L2__CHECK(L->ndim >= 2, NULL, L2_ERR_DIM,
              "%s: L should have at least 2 dimensions, but has %d dimensions instead", op,
              L->ndim);
    L2__CHECK(B->dtype == L->dtype, NULL, L2_ERR_DTYPE,
              "%s: expected B and L to have the same dtype, but found B of type %s and L of type "
              "%s", op, l2_dtype_name(B->dtype), l2_dtype_name(L->dtype));
    L2__CHECK(B->dtype == L2_FLOAT32 || B->dtype == L2_FLOAT64, NULL, L2_ERR_DTYPE,
              "%s: expected float32 or float64 tensors, got %s", op, l2_dtype_name(B->dtype));
    int64_t n = L->shape[L->ndim - 1];
    L2__CHECK(L->shape[L->ndim - 2] == n, NULL, L2_ERR_SHAPE,
              "%s: L must be batches of square matrices, but they are %lld by %lld matrices", op,
              (long long)L->shape[L->ndim - 2], (long long)n);
    L2__CHECK(B->shape[B->ndim - 2] == n, NULL, L2_ERR_SHAPE,
              "%s: incompatible matrix sizes: each L matrix is %lld by %lld but each B matrix is "
              "%lld by %lld (L %s, B %s)", op, (long long)n, (long long)n,
              (long long)B->shape[B->ndim - 2], (long long)B->shape[B->ndim - 1],
              l2__shape_str(s1, L->ndim, L->shape), l2__shape_str(s2, B->ndim, B->shape));
    L2__CHECK(n <= INT_MAX && B->shape[B->ndim - 1] <= INT_MAX, NULL, L2_ERR_OVERFLOW,
              "%s: matrices of %lld by %lld are beyond LAPACK's int sizes", op, (long long)n,
              (long long)B->shape[B->ndim - 1]);
    l2_tensor *x = chol_solve_impl(op, B, L, upper);
    const l2_tensor *in[2] = {B, L};
    if (x && l2__needs_grad(2, in)) {
        const l2_tensor *save[2] = {L, x};
        l2__node *node = l2__record_save(L2__OP_CHOLESKY_SOLVE, x, 2, in, 2, save);
        if (!node) {
            l2_tensor_release(x);
            return NULL;
        }
        node->i[0] = upper;
        node->ni = 1;
    }
    return l2__ret(x);
}

/* X = (L L^T)^{-1} B (torch 1.13's cholesky_solve_backward): dB = cholesky_solve(dX, L),
 * C = dB X^T + X dB^T, dL = -C L (upper: dU = -U C). Both in the broadcast batch shape (the
 * engine sums them back); dL is dense: it reaches the triangle potrs never reads, as torch's.
 * Composed of public ops, so that the create_graph backward (linalg-lsq-cg.c) runs the same
 * code on the saved tensors attached to their graphs. gin[0] (dB) when need_b, gin[1] (dL) when
 * need_l. */
l2_status l2__cholesky_solve_grad(const l2_tensor *L, const l2_tensor *X, const l2_tensor *gout,
                                  bool upper, bool need_b, bool need_l, l2_tensor **gin)
{
    l2__enter();
    l2_tensor *gb = l2_cholesky_solve(gout, L, upper);
    l2_tensor *xt = gb ? l2_transpose(X, -2, -1) : NULL;
    l2_tensor *c1 = xt ? l2_matmul(gb, xt) : NULL;
    l2_tensor *c1t = c1 ? l2_transpose(c1, -2, -1) : NULL;
    l2_tensor *c = c1t ? l2_add(c1, c1t) : NULL;
    l2_tensor *p = c ? (upper ? l2_matmul(L, c) : l2_matmul(c, L)) : NULL;
    l2_tensor *gl = p ? l2_neg(p) : NULL;
    l2_tensor_release(xt);
    l2_tensor_release(c1);
    l2_tensor_release(c1t);
    l2_tensor_release(c);
    l2_tensor_release(p);
    l2__leave();
    if (!gl) {
        l2_tensor_release(gb);
        return l2_last_status();
    }
    if (need_b)
        gin[0] = l2_tensor_ref(gb);
    if (need_l)
        gin[1] = l2_tensor_ref(gl);
    l2_tensor_release(gb);
    l2_tensor_release(gl);
    return L2_OK;
}

l2_status l2__cholesky_solve_backward(l2__node *nd, const l2_tensor *gout, l2_tensor **gin)
{
    return l2__cholesky_solve_grad(nd->saved[0], nd->saved[1], gout, nd->i[0] != 0,
                                   l2__edge_of(nd, 0), l2__edge_of(nd, 1), gin);
}

/* ---- lstsq --------------------------------------------------------------------------------- */

/* Checks of l2_linalg_lstsq in torch 1.13's order; *vec: B is a batch of vectors. */
static bool lstsq_check(const char *op, const l2_tensor *A, const l2_tensor *B,
                        const char *driver, bool *vec)
{
    L2__CHECK_TN(A, false, op, "A");
    L2__CHECK_TN(B, false, op, "B");
    L2__CHECK(A->dtype == L2_FLOAT32 || A->dtype == L2_FLOAT64, false, L2_ERR_DTYPE,
              "%s: expected float32 or float64 tensors, got %s", op, l2_dtype_name(A->dtype));
    L2__CHECK(B->dtype == A->dtype, false, L2_ERR_DTYPE,
              "%s: expected A and B to have the same dtype, but got A's dtype %s and B's dtype "
              "%s", op, l2_dtype_name(A->dtype), l2_dtype_name(B->dtype));
    L2__CHECK(A->ndim >= 2, false, L2_ERR_DIM,
              "%s: A must have at least 2 dimensions, got %d", op, A->ndim);
    L2__CHECK(B->ndim >= 1, false, L2_ERR_SHAPE,
              "%s: B must have at least 1 dimension, got a 0-d tensor", op);
    int diff = A->ndim - B->ndim;
    L2__CHECK(diff == 0 || diff == 1, false, L2_ERR_ARG,
              "%s: A.dim() must be greater or equal to B.dim() and (A.dim() - B.dim()) <= 1 "
              "(got %d and %d)", op, A->ndim, B->ndim);
    *vec = diff == 1;
    int64_t m = A->shape[A->ndim - 2], bm = B->shape[B->ndim - (*vec ? 1 : 2)];
    L2__CHECK(m == bm, false, L2_ERR_SHAPE, "%s: A.size(-2) should match B.size(%d) (%lld != "
              "%lld)", op, *vec ? -1 : -2, (long long)m, (long long)bm);
    bool known = !driver || strcmp(driver, "gelsy") == 0 || strcmp(driver, "gels") == 0 ||
                 strcmp(driver, "gelsd") == 0 || strcmp(driver, "gelss") == 0;
    L2__CHECK(known, false, L2_ERR_ARG,
              "%s: parameter driver should be one of (gels, gelsy, gelsd, gelss), got %s", op,
              driver);
    L2__CHECK(!driver || strcmp(driver, "gelsy") == 0, false, L2_ERR_ARG,
              "%s: driver %s not supported yet (only gelsy, torch's CPU default)", op, driver);
    int64_t n = A->shape[A->ndim - 1], k = *vec ? 1 : B->shape[B->ndim - 1];
    L2__CHECK(m <= INT_MAX && n <= INT_MAX && k <= INT_MAX, false, L2_ERR_OVERFLOW,
              "%s: sizes %lld, %lld, %lld are beyond LAPACK's int sizes", op, (long long)m,
              (long long)n, (long long)k);
    return true;
}

/* The batched gelsy solves: x (bshape..., k, ldb) holds B column-major, padded to ldb =
 * max(m, n, 1) rows, and receives X in its first n rows; a (bshape..., n, m) is A column-major
 * (overwritten); rank the nb ranks. False (error set) on out of memory. */
static bool gelsy_batch(const char *op, l2_tensor *a, l2_tensor *x, int m, int n, int k,
                        int ldb, int64_t nb, double rcond, int64_t *rank)
{
    l2_dtype dt = a->dtype;
    int lda = m > 1 ? m : 1, lwork = -1, info = 0, rk = 0;
    if (m == 0 || n == 0 || k == 0) {
        memset(rank, 0, sizeof(int64_t) * (size_t)nb);
        return true;
    }
    int *jpvt = l2__malloc(sizeof(int) * (size_t)n, op);
    if (!jpvt)
        return false;
    double q = 0;
    float rf = (float)rcond, qf = 0;
    if (dt == L2_FLOAT32)
        sgelsy_(&m, &n, &k, NULL, &lda, NULL, &ldb, jpvt, &rf, &rk, &qf, &lwork, &info);
    else
        dgelsy_(&m, &n, &k, NULL, &lda, NULL, &ldb, jpvt, &rcond, &rk, &q, &lwork, &info);
    lwork = (int)(dt == L2_FLOAT32 ? qf : q) + 1;
    size_t es = l2__esize(dt);
    void *work = l2__malloc(es * (size_t)lwork, op);
    if (!work) {
        l2__free(jpvt);
        return false;
    }
    char *ap = l2__data(a), *xp = l2__data(x);
    size_t asz = (size_t)m * (size_t)n * es, xsz = (size_t)ldb * (size_t)k * es;
    for (int64_t b = 0; b < nb; b++) {
        memset(jpvt, 0, sizeof(int) * (size_t)n);
        if (dt == L2_FLOAT32)
            sgelsy_(&m, &n, &k, (float *)(void *)(ap + b * asz), &lda,
                    (float *)(void *)(xp + b * xsz), &ldb, jpvt, &rf, &rk, work, &lwork, &info);
        else
            dgelsy_(&m, &n, &k, (double *)(void *)(ap + b * asz), &lda,
                    (double *)(void *)(xp + b * xsz), &ldb, jpvt, &rcond, &rk, work, &lwork,
                    &info);
        rank[b] = rk;
    }
    l2__free(work);
    l2__free(jpvt);
    return true;
}

l2_tensor *l2_linalg_lstsq(const l2_tensor *A, const l2_tensor *B, double rcond,
                           const char *driver, l2_tensor **rank)
{
    const char *op = "linalg_lstsq";
    if (rank)
        *rank = NULL;
    bool vec;
    if (!lstsq_check(op, A, B, driver, &vec))
        return NULL;
    int64_t bshape[L2_MAX_DIMS + 2];
    int bnd = l2__broadcast_shapes(op, A->ndim - 2, A->shape, B->ndim - (vec ? 1 : 2), B->shape,
                                   bshape);
    if (bnd < 0)
        return NULL;
    int m = (int)A->shape[A->ndim - 2], n = (int)A->shape[A->ndim - 1];
    int k = vec ? 1 : (int)B->shape[B->ndim - 1];
    int ldb = m > n ? m : n > 1 ? n : 1;
    if (isnan(rcond))
        rcond = (A->dtype == L2_FLOAT32 ? FLT_EPSILON : DBL_EPSILON) * (m > n ? m : n);
    int64_t nb = l2__numel(bnd, bshape);
    /* column-major copies: A (bshape..., n, m), B padded to (bshape..., k, ldb) */
    l2_tensor *a = l2__linalg_colmajor(op, A, false, bnd, bshape, A->dtype);
    l2_tensor *bc = a ? l2__linalg_colmajor(op, B, vec, bnd, bshape, A->dtype) : NULL;
    bshape[bnd] = k;
    bshape[bnd + 1] = ldb;
    l2_tensor *x = bc ? l2__new(op, bnd + 2, bshape, A->dtype, true) : NULL;
    l2_tensor *rk = x ? l2__new(op, bnd, bshape, L2_INT64, false) : NULL;
    l2_tensor *r = NULL;
    if (rk) {
        size_t es = l2__esize(A->dtype);
        const char *src = l2__data(bc);
        char *dst = l2__data(x);
        for (int64_t c = 0; c < nb * k; c++)
            memcpy(dst + (size_t)c * (size_t)ldb * es, src + (size_t)c * (size_t)m * es,
                   (size_t)m * es);
    }
    if (rk && gelsy_batch(op, a, x, m, n, k, ldb, nb, rcond, (int64_t *)(void *)l2__data(rk))) {
        /* X: the first n rows of each column, as a (bshape..., k, n) view */
        int64_t st[L2_MAX_DIMS + 2], sh[L2_MAX_DIMS + 2];
        memcpy(sh, bshape, sizeof(int64_t) * (size_t)bnd);
        sh[bnd] = k;
        sh[bnd + 1] = n;
        st[bnd + 1] = 1;
        st[bnd] = ldb;
        for (int d = bnd - 1; d >= 0; d--) /* x is contiguous (bshape..., k, ldb) */
            st[d] = st[d + 1] * (d + 1 == bnd ? k : sh[d + 1]);
        l2_tensor *v = l2__alias(x, bnd + 2, sh, st, 0);
        r = v ? l2__linalg_rowmajor(op, v, vec) : NULL;
        l2_tensor_release(v);
    }
    l2_tensor_release(a);
    l2_tensor_release(bc);
    l2_tensor_release(x);
    const l2_tensor *in[2] = {A, B};
    if (r && l2__needs_grad(2, in)) {
        const l2_tensor *save[3] = {A, B, r};
        l2__node *node = l2__record_save(L2__OP_LINALG_LSTSQ, r, 2, in, 3, save);
        if (!node) {
            l2_tensor_release(r);
            r = NULL;
        } else {
            node->i[0] = vec;
            node->ni = 1;
        }
    }
    if (!r) {
        l2_tensor_release(rk);
        return NULL;
    }
    if (rank)
        *rank = l2__ret(rk);
    else
        l2_tensor_release(rk);
    return l2__ret(r);
}

/* X = A^+ B for full-rank A (torch 1.13's linalg_lstsq_backward, through the pseudo-inverse
 * P = A^+, here R^{-1} Q^T from the QR of A when m >= n, and Q R^{-T} from that of A^T otherwise):
 *   dB = P^T dX;
 *   dA = -dB X^T + (B - A X) (P dB)^T            (m >= n: the residual's term)
 *   dA = -dB X^T + P^T X (dX - P A dX)^T         (m < n: the null space's term)
 * which is pinv's derivative contracted with dX B^T. An exactly rank-deficient A makes R
 * singular: the backward returns the solve's L2_ERR_ARG (torch differentiates its SVD-based
 * pinv instead). Composed of public ops (the create_graph backward, linalg-lsq-cg.c, runs it on
 * the saved tensors attached to their graphs); gin[0] (dA) when need_a, gin[1] (dB) when
 * need_b. */
l2_status l2__linalg_lstsq_grad(const l2_tensor *A, const l2_tensor *B, const l2_tensor *X,
                               const l2_tensor *gout, bool vec, bool need_a, bool need_b,
                               l2_tensor **gin)
{
    int64_t m = A->shape[A->ndim - 2], n = A->shape[A->ndim - 1];
    l2__enter();
    l2_tensor *t[16] = {NULL};
    /* P from the reduced QR of A (m >= n: A = Q R, P = R^{-1} Q^T) or of A^T (A^T = Q R,
     * P^T = R^{-1} Q^T): cond(R) = cond(A), where the normal equations would square it */
    l2_tensor *R = NULL;
    t[0] = m >= n ? l2_tensor_ref((l2_tensor *)A) : l2_transpose(A, -2, -1);
    t[1] = t[0] ? l2_linalg_qr(t[0], "reduced", &R) : NULL;                  /* Q */
    t[3] = t[1] ? l2_transpose(t[1], -2, -1) : NULL;                         /* Q^T */
    l2_tensor *S = t[3] && R ? l2_linalg_solve(R, t[3]) : NULL;
    l2_tensor_release(R);
    t[2] = m >= n ? S : (S ? l2_transpose(S, -2, -1) : NULL);                /* P */
    t[4] = m >= n ? (S ? l2_transpose(S, -2, -1) : NULL) : S;                /* P^T */
    t[5] = vec ? l2_unsqueeze(gout, -1) : l2_tensor_ref((l2_tensor *)gout);  /* dX */
    t[6] = vec ? l2_unsqueeze(X, -1) : l2_tensor_ref((l2_tensor *)X);        /* X */
    t[7] = t[4] && t[5] ? l2_matmul(t[4], t[5]) : NULL;                      /* dB */
    l2_tensor *ga = NULL, *gb = t[7] ? (vec ? l2_squeeze_dim(t[7], -1) : l2_tensor_ref(t[7]))
                                     : NULL;
    if (gb && need_a) {
        t[8] = t[6] ? l2_transpose(t[6], -2, -1) : NULL;
        t[9] = t[8] ? l2_matmul(t[7], t[8]) : NULL;                          /* dB X^T */
        if (m >= n) {
            t[10] = vec ? l2_unsqueeze(B, -1) : l2_tensor_ref((l2_tensor *)B);
            t[11] = t[6] ? l2_matmul(A, t[6]) : NULL;
            t[12] = t[10] && t[11] ? l2_sub(t[10], t[11]) : NULL;            /* B - A X */
            t[13] = l2_matmul(t[2], t[7]);                                   /* P dB */
            t[14] = t[13] ? l2_transpose(t[13], -2, -1) : NULL;
            t[15] = t[12] && t[14] ? l2_matmul(t[12], t[14]) : NULL;
        } else {
            t[10] = l2_matmul(t[2], A);                                      /* P A */
            t[11] = t[10] ? l2_matmul(t[10], t[5]) : NULL;
            t[12] = t[11] ? l2_sub(t[5], t[11]) : NULL;                      /* dX - P A dX */
            t[13] = t[6] ? l2_matmul(t[4], t[6]) : NULL;                     /* P^T X */
            t[14] = t[12] ? l2_transpose(t[12], -2, -1) : NULL;
            t[15] = t[13] && t[14] ? l2_matmul(t[13], t[14]) : NULL;
        }
        ga = t[15] && t[9] ? l2_sub(t[15], t[9]) : NULL;
    }
    for (int i = 0; i < 16; i++)
        l2_tensor_release(t[i]);
    l2__leave();
    if (!gb || (need_a && !ga)) {
        l2_tensor_release(ga);
        l2_tensor_release(gb);
        return l2_last_status();
    }
    gin[0] = ga;
    if (need_b)
        gin[1] = gb;
    else
        l2_tensor_release(gb);
    return L2_OK;
}

l2_status l2__linalg_lstsq_backward(l2__node *nd, const l2_tensor *gout, l2_tensor **gin)
{
    return l2__linalg_lstsq_grad(nd->saved[0], nd->saved[1], nd->saved[2], gout, nd->i[0] != 0,
                                 l2__edge_of(nd, 0), l2__edge_of(nd, 1), gin);
}
