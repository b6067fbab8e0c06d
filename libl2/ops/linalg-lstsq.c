/* linalg-lstsq.c: the LAPACK solvers of issue 15, area lsqnorm: cholesky_solve (potrs) and
 * linalg_lstsq (gelsy), batched over broadcast leading dims, float32 and float64, each with its
 * backward below its forward. The factorizations are LAPACK's (lapack.h) on column-major copies
 * (l2__linalg_colmajor); none is written here. Not here: the other solvers (linalg-solve.c). */
#include "../autograd-impl.h"
#include "../checked.h"
#include "lapack.h"
#include "linalg-impl.h"

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
 * engine sums them back); dL is dense: it reaches the triangle potrs never reads, as torch's. */
l2_status l2__cholesky_solve_backward(l2__node *nd, const l2_tensor *gout, l2_tensor **gin)
{
    const l2_tensor *L = nd->saved[0], *X = nd->saved[1];
    bool upper = nd->i[0] != 0;
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
    if (nd->next[0].fn || nd->next[0].leaf)
        gin[0] = l2_tensor_ref(gb);
    if (nd->next[1].fn || nd->next[1].leaf)
        gin[1] = l2_tensor_ref(gl);
    l2_tensor_release(gb);
    l2_tensor_release(gl);
    return L2_OK;
}
