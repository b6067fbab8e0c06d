/* linalg-cholesky.c: linalg_cholesky of issue 15, area la1, through LAPACK's potrf (lapack.h),
 * batched over leading dims, float32 and float64, with its backward below. Reads only the lower
 * triangle of A (upper: the upper one), as torch. Not here: cholesky_solve, cholesky_ex. */
#include "../autograd-impl.h"
#include "lapack.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

l2_tensor *l2_linalg_cholesky(const l2_tensor *A, bool upper)
{
    const char *op = "linalg_cholesky";
    L2__CHECK_TN(A, NULL, op, "A");
    L2__CHECK(A->dtype == L2_FLOAT32 || A->dtype == L2_FLOAT64, NULL, L2_ERR_DTYPE,
              "%s: expected a float32 or float64 tensor as input, got %s", op,
              l2_dtype_name(A->dtype));
    L2__CHECK(A->ndim >= 2, NULL, L2_ERR_DIM,
              "%s: the input tensor A must have at least 2 dimensions, got %d", op, A->ndim);
    int bnd = A->ndim - 2;
    int64_t r = A->shape[bnd], c = A->shape[bnd + 1];
    L2__CHECK(r == c, NULL, L2_ERR_SHAPE,
              "%s: A must be batches of square matrices, but they are %lld by %lld matrices", op,
              (long long)r, (long long)c);
    L2__CHECK(c <= INT_MAX, NULL, L2_ERR_OVERFLOW,
              "%s: matrices of order %lld are beyond LAPACK's int sizes", op, (long long)c);
    /* x[b][j][i] = A[b][i][j]: column-major copies (the copy of a transposed alias) */
    int64_t shape[L2_MAX_DIMS], stride[L2_MAX_DIMS];
    memcpy(shape, A->shape, sizeof(int64_t) * (size_t)A->ndim);
    memcpy(stride, A->stride, sizeof(int64_t) * (size_t)A->ndim);
    stride[bnd] = A->stride[bnd + 1];
    stride[bnd + 1] = A->stride[bnd];
    l2_tensor *v = l2__alias(A, A->ndim, shape, stride, A->offset);
    l2_tensor *x = v ? l2__new(op, A->ndim, shape, A->dtype, false) : NULL;
    l2_tensor *out = x ? l2__new(op, A->ndim, shape, A->dtype, false) : NULL;
    if (!out) {
        l2_tensor_release(v);
        l2_tensor_release(x);
        return NULL;
    }
    l2__copy_kernel(x, v);
    l2_tensor_release(v);
    int n = (int)c, ld = n > 1 ? n : 1;
    int64_t nb = l2__numel(bnd, A->shape), bad = -1;
    int bad_at = 0;
    size_t es = l2__esize(A->dtype), msz = (size_t)n * (size_t)n * es;
    char *a = l2__data(x);
    for (int64_t b = 0; n > 0 && b < nb; b++) {
        int info = 0;
        if (A->dtype == L2_FLOAT32)
            spotrf_(upper ? "U" : "L", &n, (float *)(void *)(a + b * msz), &ld, &info, 1);
        else
            dpotrf_(upper ? "U" : "L", &n, (double *)(void *)(a + b * msz), &ld, &info, 1);
        if (info > 0 && bad < 0) {
            bad = b;
            bad_at = info;
        }
    }
    if (bad >= 0) {
        char where[64] = "";
        if (bnd > 0)
            snprintf(where, sizeof where, "(batch element %lld): ", (long long)bad);
        l2__fail(L2_ERR_ARG,
                 "%s: %sthe factorization could not be completed because the input is not "
                 "positive-definite (the leading minor of order %d is not positive-definite)",
                 op, where, bad_at);
        l2_tensor_release(x);
        l2_tensor_release(out);
        return NULL;
    }
    /* x holds L (or U, from A's upper triangle when upper, as torch) column-major in its lower
     * (upper) triangle: out gets it row-major, zero elsewhere */
    char *o = l2__data(out);
    for (int64_t b = 0; b < nb; b++)
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++) {
                /* element (i, j) of the result is x[b][j][i] */
                bool keep = upper ? j >= i : j <= i;
                int64_t src = (b * n + j) * n + i;
                double val = keep ? l2__load(a + (size_t)src * es, A->dtype) : 0.0;
                l2__store(o + (size_t)((b * n + i) * n + j) * es, A->dtype, val);
            }
    l2_tensor_release(x);
    if (l2__needs_grad(1, &A)) {
        const l2_tensor *save[1] = {out};
        l2__node *node = l2__record_save(L2__OP_LINALG_CHOLESKY, out, 1, &A, 1, save);
        if (!node) {
            l2_tensor_release(out);
            return NULL;
        }
        node->i[0] = upper;
        node->ni = 1;
    }
    return l2__ret(out);
}

/* A = L L^T: with P = L^T dL, Phi = tril(P) with its diagonal halved,
 * dA = L^{-T} Phi L^{-1}, symmetrized (dA + dA^T) / 2 (torch 1.13's cholesky_backward; the
 * upper case works on L = U^T, dL = dU^T). */
l2_status l2__linalg_cholesky_backward(l2__node *nd, const l2_tensor *gout, l2_tensor **gin)
{
    const l2_tensor *F = nd->saved[0];
    bool upper = nd->i[0] != 0;
    int64_t n = F->shape[F->ndim - 1];
    l2__enter();
    l2_tensor *t[12] = {NULL};
    t[0] = upper ? l2_transpose(F, -2, -1) : l2_tensor_ref((l2_tensor *)F);           /* L */
    t[1] = upper ? l2_transpose(gout, -2, -1) : l2_tensor_ref((l2_tensor *)gout);     /* dL */
    t[2] = t[0] ? l2_transpose(t[0], -2, -1) : NULL;                                    /* L^T */
    t[3] = t[2] && t[1] ? l2_matmul(t[2], t[1]) : NULL;                                 /* P */
    t[4] = t[3] ? l2_tril(t[3], -1) : NULL;
    t[5] = l2_eye(n, n, F->dtype);
    t[6] = t[5] && t[3] ? l2_mul(t[3], t[5]) : NULL;                                    /* diag */
    t[7] = t[6] ? l2_mul_scalar(t[6], 0.5) : NULL;
    t[8] = t[4] && t[7] ? l2_add(t[4], t[7]) : NULL;                                    /* Phi */
    t[9] = t[0] ? l2_linalg_inv(t[0]) : NULL;                                           /* L^-1 */
    t[10] = t[9] ? l2_transpose(t[9], -2, -1) : NULL;
    l2_tensor *p = t[10] && t[8] ? l2_matmul(t[10], t[8]) : NULL;
    l2_tensor *q = p ? l2_matmul(p, t[9]) : NULL;
    l2_tensor *qt = q ? l2_transpose(q, -2, -1) : NULL;
    l2_tensor *s = qt ? l2_add(q, qt) : NULL;
    gin[0] = s ? l2_mul_scalar(s, 0.5) : NULL;
    for (int i = 0; i < 12; i++)
        l2_tensor_release(t[i]);
    l2_tensor_release(p);
    l2_tensor_release(q);
    l2_tensor_release(qt);
    l2_tensor_release(s);
    l2__leave();
    return gin[0] ? L2_OK : l2_last_status();
}
