/* linalg-solve.c: the LAPACK solvers of issue 15 (area la1): linalg_solve, linalg_inv,
 * linalg_det and linalg_slogdet, batched over leading dims, float32 and float64, each with its
 * backward below its forward. Every op factors its matrices with getrf (LU with partial
 * pivoting, lapack.h) on a column-major copy; no factorization is written here. Not here:
 * cholesky, lstsq and the decompositions (qr, eigh, svd: area la2). */
#include "../autograd-impl.h"
#include "../checked.h"
#include "lapack.h"
#include "linalg-impl.h"

#include <float.h>
#include <limits.h>
#include <stdio.h>
#include <math.h>
#include <string.h>

/* Fixed letters: n the matrices' order, k the right-hand sides' count, bnd/bshape the batch
 * dims (the broadcast of the operands' leading dims), nb the number of matrices. */

/* ---- Column-major batches ----------------------------------------------------------------- */

/* (contract in linalg-impl.h) */
l2_tensor *l2__linalg_colmajor(const char *op, const l2_tensor *t, bool vec, int bnd,
                               const int64_t *bshape, l2_dtype dt)
{
    int64_t shape[L2_MAX_DIMS + 1], stride[L2_MAX_DIMS + 1];
    int tb = t->ndim - (vec ? 1 : 2); /* t's batch dims */
    for (int d = 0; d < bnd; d++) {
        int e = d - (bnd - tb);
        shape[d] = bshape[d];
        stride[d] = e >= 0 && t->shape[e] == bshape[d] ? t->stride[e] : 0;
    }
    shape[bnd] = vec ? 1 : t->shape[tb + 1];
    stride[bnd] = vec ? 0 : t->stride[tb + 1];
    shape[bnd + 1] = t->shape[tb];
    stride[bnd + 1] = t->stride[tb];
    l2_tensor *v = l2__alias(t, bnd + 2, shape, stride, t->offset);
    l2_tensor *c = v ? l2__new(op, bnd + 2, shape, dt, false) : NULL;
    if (c)
        l2__copy_kernel(c, v);
    l2_tensor_release(v);
    return c;
}

/* (contract in linalg-impl.h) */
l2_tensor *l2__linalg_rowmajor(const char *op, const l2_tensor *x, bool vec)
{
    int bnd = x->ndim - 2, nd = vec ? bnd + 1 : bnd + 2;
    int64_t shape[L2_MAX_DIMS], stride[L2_MAX_DIMS];
    for (int d = 0; d < bnd; d++) {
        shape[d] = x->shape[d];
        stride[d] = x->stride[d];
    }
    shape[bnd] = x->shape[bnd + 1];
    stride[bnd] = x->stride[bnd + 1];
    if (!vec) {
        shape[bnd + 1] = x->shape[bnd];
        stride[bnd + 1] = x->stride[bnd];
    }
    l2_tensor *v = l2__alias(x, nd, shape, stride, x->offset);
    l2_tensor *r = v ? l2__new(op, nd, shape, x->dtype, false) : NULL;
    if (r)
        l2__copy_kernel(r, v);
    l2_tensor_release(v);
    return r;
}

/* A column-major batch (bshape..., n, n) of scaled identities: matrix b is scale[b] I (I when
 * scale is NULL). NULL on error. */
static l2_tensor *identities(const char *op, int bnd, const int64_t *bshape, int64_t n,
                             l2_dtype dt, const double *scale)
{
    int64_t shape[L2_MAX_DIMS];
    memcpy(shape, bshape, sizeof(int64_t) * (size_t)bnd);
    shape[bnd] = shape[bnd + 1] = n;
    l2_tensor *e = l2__new(op, bnd + 2, shape, dt, true);
    if (!e)
        return NULL;
    int64_t nb = l2__numel(bnd, bshape);
    char *p = l2__data(e);
    for (int64_t b = 0; b < nb; b++)
        for (int64_t i = 0; i < n; i++)
            l2__store(p + ((b * n + i) * n + i) * (int64_t)l2__esize(dt), dt,
                      scale ? scale[b] : 1.0);
    return e;
}

/* ---- LU ----------------------------------------------------------------------------------- */

/* The LU factors of every matrix of a batch: lu (column-major, from l2__linalg_colmajor)
 * factored in place by getrf, piv its n 1-based row swaps per matrix, bad the first matrix
 * with an exactly zero pivot (-1 when none) and bad_at that pivot (1-based). */
typedef struct {
    l2_tensor *lu;
    int *piv;
    int64_t nb;
    int n;
    int64_t bad;
    int bad_at;
} lu_fact;

static void lu_free(lu_fact *f)
{
    l2_tensor_release(f->lu);
    l2__free(f->piv);
    f->lu = NULL;
    f->piv = NULL;
}

/* Factors the matrices of A (..., n, n) broadcast to the batch shape. False (error set,
 * nothing held) on out of memory. */
static bool lu_factor(const char *op, const l2_tensor *A, int bnd, const int64_t *bshape,
                      lu_fact *f)
{
    memset(f, 0, sizeof *f);
    f->n = (int)A->shape[A->ndim - 1];
    f->nb = l2__numel(bnd, bshape);
    f->bad = -1;
    /* (the copy first: its allocation checks the batch's size) */
    f->lu = l2__linalg_colmajor(op, A, false, bnd, bshape, A->dtype);
    if (!f->lu)
        return false;
    int64_t npiv, nbytes;
    if (l2__mul_ovf(f->nb, f->n, &npiv) || l2__mul_ovf(npiv + 1, (int64_t)sizeof(int), &nbytes)) {
        l2__fail(L2_ERR_OVERFLOW, "%s: %lld matrices of order %d are too many", op,
                 (long long)f->nb, f->n);
        lu_free(f);
        return false;
    }
    f->piv = l2__malloc((size_t)nbytes, op);
    if (!f->piv) {
        lu_free(f);
        return false;
    }
    int n = f->n, lda = n > 1 ? n : 1;
    if (n == 0)
        return true;
    char *a = l2__data(f->lu);
    size_t msz = (size_t)n * (size_t)n * l2__esize(A->dtype);
    for (int64_t b = 0; b < f->nb; b++) {
        int info = 0;
        if (A->dtype == L2_FLOAT32)
            sgetrf_(&n, &n, (float *)(void *)(a + (size_t)b * msz), &lda, f->piv + b * n, &info);
        else
            dgetrf_(&n, &n, (double *)(void *)(a + (size_t)b * msz), &lda, f->piv + b * n,
                    &info);
        if (info > 0 && f->bad < 0) {
            f->bad = b;
            f->bad_at = info;
        }
    }
    return true;
}

/* Replaces each exactly zero diagonal element of the factors by the dtype's epsilon (torch
 * 1.13's perturbation in det's backward). */
static void lu_fix_zeros(lu_fact *f)
{
    int64_t n = f->n;
    char *a = l2__data(f->lu);
    for (int64_t b = 0; b < f->nb; b++)
        for (int64_t i = 0; i < n; i++) {
            int64_t at = (b * n + i) * n + i;
            if (f->lu->dtype == L2_FLOAT32 && ((float *)(void *)a)[at] == 0)
                ((float *)(void *)a)[at] = FLT_EPSILON;
            else if (f->lu->dtype == L2_FLOAT64 && ((double *)(void *)a)[at] == 0)
                ((double *)(void *)a)[at] = DBL_EPSILON;
        }
}

/* Solves A_b X = B_b (or A_b^T X = B_b when trans) for every matrix of the batch, in place in
 * x (column-major (bshape..., k, n)). Cannot fail. */
static void lu_solve_kernel(const lu_fact *f, l2_tensor *x, bool trans)
{
    int n = f->n, k = (int)x->shape[x->ndim - 2], ld = n > 1 ? n : 1;
    if (n == 0 || k == 0)
        return;
    const char *tr = trans ? "T" : "N";
    size_t es = l2__esize(x->dtype), msz = (size_t)n * (size_t)n * es, rsz = (size_t)n * k * es;
    char *a = l2__data(f->lu), *bp = l2__data(x);
    for (int64_t b = 0; b < f->nb; b++) {
        int info = 0;
        if (x->dtype == L2_FLOAT32)
            sgetrs_(tr, &n, &k, (const float *)(void *)(a + b * msz), &ld, f->piv + b * n,
                    (float *)(void *)(bp + b * rsz), &ld, &info, 1);
        else
            dgetrs_(tr, &n, &k, (const double *)(void *)(a + b * msz), &ld, f->piv + b * n,
                    (double *)(void *)(bp + b * rsz), &ld, &info, 1);
    }
}

/* The singular-input error of solve and inv, torch's wording: the batch element (when
 * batched) and the zero pivot. */
static void singular_error(const char *op, const lu_fact *f, int bnd)
{
    char where[64] = "";
    if (bnd > 0)
        snprintf(where, sizeof where, "(batch element %lld): ", (long long)f->bad);
    l2__fail(L2_ERR_ARG,
             "%s: %sthe diagonal element %d of U is zero: the input matrix is singular, so the "
             "%s could not be completed", op, where, f->bad_at,
             strcmp(op, "linalg_inv") == 0 ? "inversion" : "solve");
}

/* lu_factor, then (check) an exactly singular matrix fails the call (L2_ERR_ARG, nothing
 * held). False on error. */
static bool lu_checked(const char *op, const l2_tensor *A, int bnd, const int64_t *bshape,
                       bool check, lu_fact *f)
{
    if (!lu_factor(op, A, bnd, bshape, f))
        return false;
    if (check && f->bad >= 0) {
        singular_error(op, f, bnd);
        lu_free(f);
        return false;
    }
    return true;
}

/* x (column-major, the batch of right-hand sides; overwritten with the solutions) solved
 * against A broadcast to the batch shape: op(A) X = B. check: an exactly singular matrix fails
 * the call (L2_ERR_ARG); fix: its zero pivots become epsilon (det's backward). False on error. */
static bool solve_into(const char *op, const l2_tensor *A, int bnd, const int64_t *bshape,
                       l2_tensor *x, bool trans, bool check, bool fix)
{
    lu_fact f;
    if (!lu_checked(op, A, bnd, bshape, check, &f))
        return false;
    if (fix)
        lu_fix_zeros(&f);
    lu_solve_kernel(&f, x, trans);
    lu_free(&f);
    return true;
}

/* ---- Argument checks ---------------------------------------------------------------------- */

/* A: a float32/float64 batch of square matrices (..., n, n) with n within LAPACK's int; a rank
 * below 2 is L2_ERR_DIM (the project's rank errors), a non-square matrix L2_ERR_SHAPE. */
static bool check_square(const char *op, const l2_tensor *A)
{
    L2__CHECK_TN(A, false, op, "A");
    L2__CHECK(A->dtype == L2_FLOAT32 || A->dtype == L2_FLOAT64, false, L2_ERR_DTYPE,
              "%s: expected a float32 or float64 tensor as input, got %s", op,
              l2_dtype_name(A->dtype));
    L2__CHECK(A->ndim >= 2, false, L2_ERR_DIM,
              "%s: the input tensor A must have at least 2 dimensions, got %d", op, A->ndim);
    int64_t r = A->shape[A->ndim - 2], c = A->shape[A->ndim - 1];
    L2__CHECK(r == c, false, L2_ERR_SHAPE,
              "%s: A must be batches of square matrices, but they are %lld by %lld matrices", op,
              (long long)r, (long long)c);
    L2__CHECK(c <= INT_MAX, false, L2_ERR_OVERFLOW,
              "%s: matrices of order %lld are beyond LAPACK's int sizes", op, (long long)c);
    return true;
}

/* ---- solve -------------------------------------------------------------------------------- */

/* x = B as a column-major batch (bshape..., n, k) (vec: of vectors), solved against the
 * factors f: the new row-major X of op(A) X = B. NULL on error. */
static l2_tensor *lu_solve_rows(const char *op, const lu_fact *f, const l2_tensor *B, bool vec,
                                int bnd, const int64_t *bshape, bool trans)
{
    l2_tensor *x = l2__linalg_colmajor(op, B, vec, bnd, bshape, f->lu->dtype), *r = NULL;
    if (x) {
        lu_solve_kernel(f, x, trans);
        r = l2__linalg_rowmajor(op, x, vec);
    }
    l2_tensor_release(x);
    return r;
}

/* op(A) X = B for B a batch of matrices (..., n, k) (vec: of vectors (..., n)), the batch dims
 * broadcast: the new row-major X. check as solve_into. keep: A's factors are handed to the
 * caller there (for the backward) instead of freed. NULL on error (nothing kept). */
static l2_tensor *solve_impl(const char *op, const l2_tensor *A, const l2_tensor *B, bool vec,
                             bool trans, bool check, lu_fact *keep)
{
    int64_t bshape[L2_MAX_DIMS];
    int bnd = l2__broadcast_shapes(op, A->ndim - 2, A->shape, B->ndim - (vec ? 1 : 2), B->shape,
                                   bshape);
    if (bnd < 0)
        return NULL;
    /* A's factors first: an A too large to copy, or singular, fails before B is copied */
    lu_fact f;
    if (!lu_checked(op, A, bnd, bshape, check, &f))
        return NULL;
    l2_tensor *r = lu_solve_rows(op, &f, B, vec, bnd, bshape, trans);
    if (r && keep)
        *keep = f;
    else
        lu_free(&f);
    return r;
}

l2_tensor *l2_linalg_solve(const l2_tensor *A, const l2_tensor *B)
{
    const char *op = "linalg_solve";
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
    if (!check_square(op, A))
        return NULL;
    L2__CHECK_TN(B, NULL, op, "B");
    L2__CHECK(B->dtype == A->dtype, NULL, L2_ERR_DTYPE,
              "%s: expected A and B to have the same dtype, but found A of type %s and B of type "
              "%s", op, l2_dtype_name(A->dtype), l2_dtype_name(B->dtype));
    int an = A->ndim;
    int64_t n = A->shape[an - 1];
    /* torch 1.13: B is a batch of vectors when 1-d or shaped A.shape[:-1] */
    bool vec = B->ndim == 1 ||
               (B->ndim == an - 1 && memcmp(B->shape, A->shape, sizeof(int64_t) * (an - 1)) == 0);
    L2__CHECK(vec || B->ndim >= 2, NULL, L2_ERR_SHAPE,
              "%s: B must have at least 1 dimension, got a 0-d tensor", op);
    int64_t rows = B->shape[B->ndim - (vec ? 1 : 2)];
    L2__CHECK(rows == n, NULL, L2_ERR_SHAPE,
              "%s: incompatible shapes of A and B for the equation AX = B (A %s, B %s: %lld != "
              "%lld)", op, l2__shape_str(s1, an, A->shape), l2__shape_str(s2, B->ndim, B->shape),
              (long long)n, (long long)rows);
    L2__CHECK(vec || B->shape[B->ndim - 1] <= INT_MAX, NULL, L2_ERR_OVERFLOW,
              "%s: %lld right-hand sides are beyond LAPACK's int sizes", op,
              (long long)B->shape[B->ndim - 1]);
    const l2_tensor *in[2] = {A, B};
    bool grad = l2__needs_grad(2, in);
    lu_fact f = {.lu = NULL, .piv = NULL};
    l2_tensor *x = solve_impl(op, A, B, vec, false, true, grad ? &f : NULL);
    if (x && grad) {
        /* the backward solves with A's factors (as torch's, which saves LU and pivots): saved
         * A (0, for create_graph), X (1) and the factors (2), the pivots in node->extra */
        const l2_tensor *save[3] = {A, x, f.lu};
        l2__node *node = l2__record_save(L2__OP_LINALG_SOLVE, x, 2, in, 3, save);
        if (!node) {
            lu_free(&f);
            l2_tensor_release(x);
            return NULL;
        }
        node->i[0] = vec;
        node->ni = 1;
        node->extra = f.piv;
        f.piv = NULL;
    }
    lu_free(&f);
    return l2__ret(x);
}

/* A X = B: dB = A^{-T} dX (a solve with the transpose, through the forward's factors of A
 * broadcast to the batch shape), dA = -dB X^T (vectors: -dB x^T, the outer product); both in
 * the broadcast batch shape, summed back by the engine. */
l2_status l2__linalg_solve_backward(l2__node *nd, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "linalg_solve_backward";
    const l2_tensor *A = nd->saved[0], *X = nd->saved[1];
    bool vec = nd->i[0] != 0;
    lu_fact f = {.lu = nd->saved[2], .piv = nd->extra, .bad = -1};
    int bnd = f.lu->ndim - 2;
    f.n = (int)A->shape[A->ndim - 1];
    f.nb = l2__numel(bnd, f.lu->shape);
    l2_tensor *g = l2__convert(op, gout, A->dtype, false);
    l2_tensor *gb = g ? lu_solve_rows(op, &f, g, vec, bnd, f.lu->shape, true) : NULL;
    l2_tensor_release(g);
    if (!gb)
        return l2_last_status();
    l2_status st = L2_OK;
    if (nd->next[0].fn || nd->next[0].leaf) {
        l2__enter();
        l2_tensor *gm = vec ? l2_unsqueeze(gb, -1) : l2_tensor_ref(gb);
        l2_tensor *xt = vec ? l2_unsqueeze(X, -2) : l2_transpose(X, -2, -1);
        l2_tensor *p = gm && xt ? l2_matmul(gm, xt) : NULL;
        gin[0] = p ? l2_neg(p) : NULL;
        l2_tensor_release(gm);
        l2_tensor_release(xt);
        l2_tensor_release(p);
        l2__leave();
        if (!gin[0])
            st = l2_last_status();
    }
    if (st == L2_OK && (nd->next[1].fn || nd->next[1].leaf))
        gin[1] = l2_tensor_ref(gb);
    l2_tensor_release(gb);
    return st;
}

/* ---- inv ---------------------------------------------------------------------------------- */

l2_tensor *l2_linalg_inv(const l2_tensor *A)
{
    const char *op = "linalg_inv";
    if (!check_square(op, A))
        return NULL;
    int bnd = A->ndim - 2;
    l2_tensor *x = identities(op, bnd, A->shape, A->shape[bnd], A->dtype, NULL);
    l2_tensor *y = NULL;
    if (x && solve_into(op, A, bnd, A->shape, x, false, true, false))
        y = l2__linalg_rowmajor(op, x, false);
    l2_tensor_release(x);
    if (y && l2__needs_grad(1, &A)) {
        const l2_tensor *save[1] = {y};
        if (!l2__record_save(L2__OP_LINALG_INV, y, 1, &A, 1, save)) {
            l2_tensor_release(y);
            return NULL;
        }
    }
    return l2__ret(y);
}

/* Y = A^{-1}: dA = -Y^T dY Y^T. */
l2_status l2__linalg_inv_backward(l2__node *nd, const l2_tensor *gout, l2_tensor **gin)
{
    const l2_tensor *Y = nd->saved[0];
    l2__enter();
    l2_tensor *yt = l2_transpose(Y, -2, -1);
    l2_tensor *p = yt ? l2_matmul(yt, gout) : NULL;
    l2_tensor *q = p ? l2_matmul(p, yt) : NULL;
    gin[0] = q ? l2_neg(q) : NULL;
    l2_tensor_release(yt);
    l2_tensor_release(p);
    l2_tensor_release(q);
    l2__leave();
    return gin[0] ? L2_OK : l2_last_status();
}

/* ---- det and slogdet ---------------------------------------------------------------------- */

/* From the factors: det (when det is not NULL) and sign, log|det| (when sign is not NULL) of
 * every matrix, written into the batch-shaped outputs. det of a 0x0 matrix is 1; a singular
 * matrix has det 0, sign 0 and logabsdet -inf. */
static void det_kernel(const lu_fact *f, l2_tensor *det, l2_tensor *sign, l2_tensor *logabs)
{
    int64_t n = f->n;
    l2_dtype dt = f->lu->dtype;
    size_t es = l2__esize(dt);
    const char *a = l2__data(f->lu);
    for (int64_t b = 0; b < f->nb; b++) {
        /* the product of U's diagonal in the dtype (as torch's prod), its log-sum in the
         * dtype's own accuracy accumulated in double */
        double prod = 1, labs = 0;
        float prodf = 1;
        bool neg = false;
        for (int64_t i = 0; i < n; i++) {
            double u = l2__load(a + (size_t)((b * n + i) * n + i) * es, dt);
            prod *= u;
            prodf *= (float)u;
            labs += log(fabs(u));
            if (u < 0)
                neg = !neg;
            if (f->piv[b * n + i] != i + 1)
                neg = !neg, prod = -prod, prodf = -prodf;
        }
        if (det)
            l2__store((char *)l2__data(det) + (size_t)b * es, dt,
                      dt == L2_FLOAT32 ? (double)prodf : prod);
        if (sign) {
            double s = isnan(labs) ? NAN : labs == -INFINITY ? 0.0 : neg ? -1.0 : 1.0;
            l2__store((char *)l2__data(sign) + (size_t)b * es, dt, s);
            l2__store((char *)l2__data(logabs) + (size_t)b * es, dt, labs);
        }
    }
}

l2_tensor *l2_linalg_det(const l2_tensor *A)
{
    const char *op = "linalg_det";
    if (!check_square(op, A))
        return NULL;
    int bnd = A->ndim - 2;
    lu_fact f;
    l2_tensor *d = l2__new(op, bnd, A->shape, A->dtype, false);
    if (!d || !lu_factor(op, A, bnd, A->shape, &f)) {
        l2_tensor_release(d);
        return NULL;
    }
    det_kernel(&f, d, NULL, NULL);
    lu_free(&f);
    if (l2__needs_grad(1, &A)) {
        const l2_tensor *save[2] = {A, d};
        if (!l2__record_save(L2__OP_LINALG_DET, d, 1, &A, 2, save)) {
            l2_tensor_release(d);
            return NULL;
        }
    }
    return l2__ret(d);
}

/* The gradient g_b c_b A_b^{-T} for every matrix b, from its LU factors, where c is the
 * batch-shaped det (or NULL: 1). fix: exactly zero pivots become epsilon first, so that a
 * singular matrix (det 0) gets a finite product (zero: torch 1.13's first-order formula). */
static l2_tensor *scaled_inv_t(const char *op, const l2_tensor *A, const l2_tensor *gout,
                               const l2_tensor *c, bool fix)
{
    int bnd = A->ndim - 2;
    int64_t nb = l2__numel(bnd, A->shape);
    l2_tensor *g = l2__convert(op, gout, L2_FLOAT64, true);
    l2_tensor *cc = c && g ? l2__convert(op, c, L2_FLOAT64, true) : NULL;
    double *scale = g && (!c || cc) ? l2__malloc(sizeof(double) * (size_t)(nb + 1), op) : NULL;
    l2_tensor *x = NULL, *r = NULL;
    if (scale) {
        for (int64_t b = 0; b < nb; b++)
            scale[b] = ((const double *)l2__data(g))[b] *
                       (cc ? ((const double *)l2__data(cc))[b] : 1.0);
        x = identities(op, bnd, A->shape, A->shape[bnd], A->dtype, scale);
    }
    if (x && solve_into(op, A, bnd, A->shape, x, true, false, fix))
        r = l2__linalg_rowmajor(op, x, false);
    l2_tensor_release(x);
    l2_tensor_release(g);
    l2_tensor_release(cc);
    l2__free(scale);
    return r;
}

/* d = det(A): dA = g d A^{-T} (the cofactor matrix), with torch 1.13's perturbation of exactly
 * zero pivots (a matrix whose LU has one gets 0). */
l2_status l2__linalg_det_backward(l2__node *nd, const l2_tensor *gout, l2_tensor **gin)
{
    /* 0x0 matrices: no gradient (undefined in torch 1.13, as A.grad stays None) */
    if (nd->saved[0]->shape[nd->saved[0]->ndim - 1] == 0)
        return L2_OK;
    gin[0] = scaled_inv_t("linalg_det_backward", nd->saved[0], gout, nd->saved[1], true);
    return gin[0] ? L2_OK : l2_last_status();
}

l2_tensor *l2_linalg_slogdet(const l2_tensor *A, l2_tensor **logabsdet)
{
    const char *op = "linalg_slogdet";
    if (logabsdet)
        *logabsdet = NULL;
    if (!check_square(op, A))
        return NULL;
    int bnd = A->ndim - 2;
    lu_fact f;
    l2_tensor *s = l2__new(op, bnd, A->shape, A->dtype, false);
    l2_tensor *l = s ? l2__new(op, bnd, A->shape, A->dtype, false) : NULL;
    if (!l || !lu_factor(op, A, bnd, A->shape, &f)) {
        l2_tensor_release(s);
        l2_tensor_release(l);
        return NULL;
    }
    det_kernel(&f, NULL, s, l);
    lu_free(&f);
    if (logabsdet && l2__needs_grad(1, &A)) {
        const l2_tensor *save[1] = {A};
        if (!l2__record_save(L2__OP_LINALG_SLOGDET, l, 1, &A, 1, save)) {
            l2_tensor_release(s);
            l2_tensor_release(l);
            return NULL;
        }
    }
    if (logabsdet)
        *logabsdet = l2__ret(l);
    else
        l2_tensor_release(l);
    return l2__ret(s);
}

/* logabsdet = log|det A|: dA = g A^{-T} (inf or NaN for a singular A, as torch). */
l2_status l2__linalg_slogdet_backward(l2__node *nd, const l2_tensor *gout, l2_tensor **gin)
{
    gin[0] = scaled_inv_t("linalg_slogdet_backward", nd->saved[0], gout, NULL, false);
    return gin[0] ? L2_OK : l2_last_status();
}
