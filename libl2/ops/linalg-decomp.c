/* linalg-decomp.c: matrix decompositions through LAPACK (lapack.h): linalg_qr,
 * linalg_eigh and linalg_eigvalsh, batched
 * over leading dims, float32 and float64. No factorisation is written here: LAPACK computes it.
 * An op with several differentiable results computes them into one packed tensor P (per matrix:
 * the results' elements one after the other, row-major) which carries the autograd node; the
 * results are views of P, so the gradients of all of them reach one backward (torch's node
 * with several outputs). Backwards run in float64 by plain loops and round once.
 *
 * Dimension letters: B the batch (the leading dims folded), M rows, N columns, K = min(M, N). */
#include <cblas.h>
#include "../autograd-impl.h"
#include "../checked.h"
#include "lapack.h"
#include "linalg-impl.h"

#include <limits.h>
#include <string.h>

/* ---- shared with linalg-svd.c (declared in linalg-impl.h) ---------------------------------- */

/* A: a float32/float64 tensor of >= 2 dims whose matrix sizes fit LAPACK's integers. */
bool l2__la_check_matrix(const char *op, const l2_tensor *A)
{
    L2__CHECK_TN(A, false, op, "A");
    L2__CHECK(l2__is_float(A->dtype), false, L2_ERR_DTYPE,
              "%s: expected a floating point tensor as input, got %s", op,
              l2_dtype_name(A->dtype));
    L2__CHECK(A->ndim >= 2, false, L2_ERR_DIM,
              "%s: the input tensor A must have at least 2 dimensions (it has %d)", op, A->ndim);
    L2__CHECK(A->shape[A->ndim - 1] <= INT_MAX && A->shape[A->ndim - 2] <= INT_MAX, false,
              L2_ERR_OVERFLOW, "%s: matrix size %lldx%lld exceeds LAPACK's int range", op,
              (long long)A->shape[A->ndim - 2], (long long)A->shape[A->ndim - 1]);
    return true;
}

/* The product of the leading (batch) dims of t, all but the last two. */
int64_t l2__la_batch(const l2_tensor *t)
{
    int64_t b = 1;
    for (int d = 0; d < t->ndim - 2; d++)
        b *= t->shape[d]; /* a sub-product of t's valid element count (or after a 0) */
    return b;
}

/* A new zeroed packed tensor (A's leading dims..., per), or NULL (error set). */
l2_tensor *l2__la_new_packed(const char *op, const l2_tensor *A, int64_t per)
{
    int64_t shape[L2_MAX_DIMS], total;
    int nd = A->ndim - 1;
    memcpy(shape, A->shape, (size_t)(nd - 1) * sizeof *shape);
    shape[nd - 1] = per;
    L2__CHECK(!l2__mul_ovf(l2__la_batch(A), per, &total), NULL, L2_ERR_OVERFLOW,
              "%s: the results' size overflows", op);
    return l2__new(op, nd, shape, A->dtype, true);
}

/* The view of P's last dim [off, off + rows * cols) as (leading dims..., rows, cols): a new
 * reference, or NULL (error set). Library code: run between l2__enter and l2__leave. */
l2_tensor *l2__la_piece(const l2_tensor *P, int64_t off, int64_t rows, int64_t cols)
{
    int nd = P->ndim;
    int64_t shape[L2_MAX_DIMS];
    memcpy(shape, P->shape, (size_t)(nd - 1) * sizeof *shape);
    shape[nd - 1] = rows;
    shape[nd] = cols;
    l2_tensor *s = l2_narrow(P, nd - 1, off, rows * cols);
    l2_tensor *r = s ? l2_reshape(s, nd + 1, shape) : NULL;
    l2_tensor_release(s);
    return r;
}

/* Record op on the packed result P of A (saving P) with the ints in node->i, when A needs a
 * gradient: see linalg-impl.h. */
bool l2__la_record_packed(int op, l2_tensor *P, const l2_tensor *A, int ni,
                          const int64_t *ints)
{
    if (!l2__needs_grad(1, &A))
        return true;
    l2__node *node = l2__record_save((l2__op)op, P, 1, &A, 1, (const l2_tensor *const *)&P);
    if (!node)
        return false;
    memcpy(node->i, ints, (size_t)ni * sizeof *ints);
    node->ni = ni;
    return true;
}

/* The start of a packed result's backward: see linalg-impl.h. */
l2_status l2__la_bwd_start(const char *op, const l2__node *nd, const l2_tensor *g, int64_t m,
                           int64_t n, size_t nb, l2__la_bwd *w)
{
    const l2_tensor *P = nd->saved[0];
    int64_t shape[L2_MAX_DIMS];
    int nd0 = P->ndim + 1;
    memset(w, 0, sizeof *w);
    w->B = 1;
    for (int d = 0; d < P->ndim - 1; d++) {
        shape[d] = P->shape[d];
        w->B *= shape[d];
    }
    shape[nd0 - 2] = m;
    shape[nd0 - 1] = n;
    l2_status s = l2__grad_start(op, g, nd0, shape, false, &w->dy, &w->dx);
    if (s != L2_OK)
        return s;
    w->pc = l2__convert(op, P, P->dtype, true);
    w->buf = w->pc ? l2__malloc((nb ? nb : 1) * sizeof(double), op) : NULL;
    if (!w->buf) {
        l2_tensor_release(w->pc);
        l2_tensor_release(w->dy);
        l2_tensor_release(w->dx);
        memset(w, 0, sizeof *w);
        return l2_last_status();
    }
    w->pp = l2__data(w->pc);
    w->gp = l2__data(w->dy);
    w->out = l2__data(w->dx);
    return L2_OK;
}

/* The end: gin[0] = the gradient; the rest released. */
l2_status l2__la_bwd_end(l2__la_bwd *w, l2_tensor **gin)
{
    l2__free(w->buf);
    l2_tensor_release(w->pc);
    l2_tensor_release(w->dy);
    gin[0] = w->dx;
    return L2_OK;
}

/* ---- linalg_qr --------------------------------------------------------------------------- */

enum { QR_REDUCED = L2__QR_REDUCED, QR_COMPLETE = L2__QR_COMPLETE, QR_R = L2__QR_R };

/* Whether linalg_qr in mode md of an M x N matrix has a gradient: L2_OK, or L2_ERR_AUTOGRAD
 * with torch's message (mode 'r': no Q; 'complete' with M > N). */
l2_status l2__la_qr_grad_check(int md, int64_t m, int64_t n)
{
    L2__CHECK_ST(md != QR_R, L2_ERR_AUTOGRAD,
                 "linalg_qr: the derivative of linalg_qr depends on Q, which is not computed "
                 "when mode='r'; use mode='reduced' to differentiate through linalg_qr");
    L2__CHECK_ST(md != QR_COMPLETE || m <= n, L2_ERR_AUTOGRAD,
                 "linalg_qr: the QR decomposition is not differentiable when mode='complete' "
                 "and nrows > ncols");
    return L2_OK;
}

/* Factor the B matrices of a (contiguous (B, M, N)) into p: per matrix Q (M x mq) then R
 * (rr x N), row-major. w: a column-major M x max(N, mq) work matrix, tau: K reflector scales,
 * lw: LAPACK's workspace of lwork elements. */
#define DEF_QR(NAME, T, GEQRF, ORGQR)                                                        \
    static void NAME(const T *a, T *p, int64_t B, int m, int n, int mq, int rr, T *w, T *tau,  \
                     T *lw, int lwork)                                                       \
    {                                                                                        \
        int k = m < n ? m : n, lda = m > 1 ? m : 1, info;                                    \
        int64_t per = (int64_t)m * mq + (int64_t)rr * n;                                     \
        for (int64_t b = 0; b < B; b++) {                                                    \
            const T *x = a + b * (int64_t)m * n;                                             \
            T *q = p + b * per, *r = q + (int64_t)m * mq;                                    \
            for (int i = 0; i < m; i++)                                                      \
                for (int j = 0; j < n; j++)                                                  \
                    w[i + (int64_t)j * lda] = x[(int64_t)i * n + j];                         \
            if (k > 0)                                                                       \
                GEQRF(&m, &n, w, &lda, tau, lw, &lwork, &info);                              \
            /* R: the upper triangle of the first rr rows (rows from K on are zero) */       \
            for (int i = 0; i < rr && i < k; i++)                                            \
                for (int j = i; j < n; j++)                                                  \
                    r[(int64_t)i * n + j] = w[i + (int64_t)j * lda];                         \
            if (mq == 0)                                                                     \
                continue;                                                                    \
            if (k > 0) {                                                                     \
                ORGQR(&m, &mq, &k, w, &lda, tau, lw, &lwork, &info);                         \
            } else { /* no reflectors: Q = I */                                              \
                for (int j = 0; j < mq; j++)                                                 \
                    for (int i = 0; i < m; i++)                                              \
                        w[i + (int64_t)j * lda] = (T)(i == j);                               \
            }                                                                                \
            for (int i = 0; i < m; i++)                                                      \
                for (int j = 0; j < mq; j++)                                                 \
                    q[(int64_t)i * mq + j] = w[i + (int64_t)j * lda];                        \
        }                                                                                    \
    }
DEF_QR(qr_f32, float, sgeqrf_, sorgqr_)
DEF_QR(qr_f64, double, dgeqrf_, dorgqr_)

/* LAPACK's workspace size for geqrf (M x N) and orgqr (M x mq, K reflectors), at least 1. */
static int qr_lwork(l2_dtype dt, int m, int n, int mq)
{
    int k = m < n ? m : n, lda = m > 1 ? m : 1, q = -1, info;
    double best = 1;
    if (k == 0)
        return 1;
    if (dt == L2_FLOAT64) {
        double w, one = 0;
        dgeqrf_(&m, &n, &one, &lda, &one, &w, &q, &info);
        best = w > best ? w : best;
        if (mq > 0) {
            dorgqr_(&m, &mq, &k, &one, &lda, &one, &w, &q, &info);
            best = w > best ? w : best;
        }
    } else {
        float w, one = 0;
        sgeqrf_(&m, &n, &one, &lda, &one, &w, &q, &info);
        best = w > best ? w : best;
        if (mq > 0) {
            sorgqr_(&m, &mq, &k, &one, &lda, &one, &w, &q, &info);
            best = w > best ? w : best;
        }
    }
    return best > INT_MAX ? INT_MAX : (int)best;
}

l2_tensor *l2_linalg_qr(const l2_tensor *A, const char *mode, l2_tensor **R)
{
    const char *op = "linalg_qr";
    if (R)
        *R = NULL;
    if (!l2__la_check_matrix(op, A))
        return NULL;
    int md;
    if (!mode || !strcmp(mode, "reduced"))
        md = QR_REDUCED;
    else if (!strcmp(mode, "complete"))
        md = QR_COMPLETE;
    else if (!strcmp(mode, "r"))
        md = QR_R;
    else
        return l2__fail(L2_ERR_ARG,
                        "%s: received unrecognized mode '%s' but expected one of 'reduced' "
                        "(default), 'r', or 'complete'", op, mode), NULL;
    int m = (int)A->shape[A->ndim - 2], n = (int)A->shape[A->ndim - 1], k = m < n ? m : n;
    int mq = md == QR_R ? 0 : md == QR_COMPLETE ? m : k, rr = md == QR_COMPLETE ? m : k;
    int c = n > mq ? n : mq;
    int64_t per = (int64_t)m * mq + (int64_t)rr * n, B = l2__la_batch(A);
    size_t es = l2__esize(A->dtype);
    int lwork = qr_lwork(A->dtype, m, n, mq);
    size_t wn = (size_t)(m > 1 ? m : 1) * (size_t)(c > 1 ? c : 1) + (size_t)k + (size_t)lwork;
    l2_tensor *a = l2__convert(op, A, A->dtype, true);
    l2_tensor *P = a ? l2__la_new_packed(op, A, per) : NULL;
    void *w = P ? l2__malloc(wn * es, "linalg_qr workspace") : NULL;
    l2_tensor *Q = NULL, *Rt = NULL;
    if (!w)
        goto fail;
    if (A->dtype == L2_FLOAT64) {
        double *wd = w;
        qr_f64((const double *)l2__data(a), (double *)l2__data(P), B, m, n, mq, rr, wd,
               wd + (size_t)(m > 1 ? m : 1) * (size_t)(c > 1 ? c : 1),
               wd + (size_t)(m > 1 ? m : 1) * (size_t)(c > 1 ? c : 1) + k, lwork);
    } else {
        float *wf = w;
        qr_f32((const float *)l2__data(a), (float *)l2__data(P), B, m, n, mq, rr, wf,
               wf + (size_t)(m > 1 ? m : 1) * (size_t)(c > 1 ? c : 1),
               wf + (size_t)(m > 1 ? m : 1) * (size_t)(c > 1 ? c : 1) + k, lwork);
    }
    l2__free(w);
    w = NULL;
    l2_tensor_release(a);
    a = NULL;
    if (!l2__la_record_packed(L2__OP_LINALG_QR, P, A, 3, (const int64_t[]){md, m, n}))
        goto fail;
    l2__enter();
    if (md == QR_R)
        Q = l2__new(op, 1, (const int64_t[]){0}, A->dtype, false);
    else
        Q = l2__la_piece(P, 0, m, mq);
    if (Q && R)
        Rt = l2__la_piece(P, (int64_t)m * mq, rr, n);
    l2__leave();
    if (!Q || (R && !Rt))
        goto fail;
    l2_tensor_release(P);
    if (R)
        *R = l2__ret(Rt);
    return l2__ret(Q);
fail:
    l2__free(w);
    l2_tensor_release(a);
    l2_tensor_release(P);
    l2_tensor_release(Q);
    l2_tensor_release(Rt);
    return NULL;
}

/* Backward (torch 1.13's linalg_qr_backward, real case), per matrix, with Q: (M, K), R: (K, N)
 * and the upstream gQ, gR (zero where a result got no gradient):
 *   MH = gR R^T - Q^T gQ                                               (K x K)
 *   M >= N: gA = (gQ + Q syminv(triu(MH))) R^-T, syminv(U) = U + U^T with the diagonal halved
 *   M <  N: gA = [Q tril(W - W^T) R1^-T, 0] + Q gR with W = -MH and R1 = R[:, :M]
 * (R^-T by back substitution, row by row: X R^T = Y <=> R x_i = y_i). mode 'r' (no Q) and
 * 'complete' with M > N have no gradient: L2_ERR_AUTOGRAD, as torch raises. */
l2_status l2__linalg_qr_backward(l2__node *nd, const l2_tensor *g, l2_tensor **gin)
{
    const char *op = "linalg_qr_backward";
    int md = (int)nd->i[0];
    int64_t m = nd->i[1], n = nd->i[2], k = m < n ? m : n;
    gin[0] = NULL;
    l2_status st = l2__la_qr_grad_check(md, m, n);
    if (st != L2_OK)
        return st;
    /* Q, R, gQ, gR, MH, Y (M x K), X (M x N: Q gR, or K x K scratch) */
    size_t nb = (size_t)(2 * m * k + 2 * k * n + k * k + m * k + m * n + k * k);
    l2__la_bwd w;
    l2_status s = l2__la_bwd_start(op, nd, g, m, n, nb, &w);
    if (s != L2_OK)
        return s;
    double *buf = w.buf;
    int64_t B = w.B;
    double *Q = buf, *R = Q + m * k, *gQ = R + k * n, *gR = gQ + m * k, *MH = gR + k * n,
           *Y = MH + k * k, *X = Y + m * k;
    int64_t per = m * k + k * n;
    const char *pp = w.pp, *gp = w.gp;
    char *out = w.out;
    l2_dtype pt = w.pc->dtype, gt = w.dy->dtype;
    for (int64_t b = 0; b < B; b++) {
        for (int64_t i = 0; i < per; i++) {
            double v = l2__la_ld(pp, pt, b * per + i), gv = l2__la_ld(gp, gt, b * per + i);
            if (i < m * k) {
                Q[i] = v;
                gQ[i] = gv;
            } else {
                R[i - m * k] = v;
                gR[i - m * k] = gv;
            }
        }
        if (m == 0 || n == 0)
            continue;
        int mi = (int)m, ni = (int)n, ki = (int)k;
        /* MH = gR R^T - Q^T gQ (BLAS, float64) */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, ki, ki, ni, 1.0, gR, ni, R, ni, 0.0,
                    MH, ki);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, ki, ki, mi, -1.0, Q, ki, gQ, ki,
                    1.0, MH, ki);
        /* S (in gR's place when m >= n, where gR is no longer read; else in X as scratch) =
         * syminv(triu(MH)) (M >= N) or tril(W - W^T), W = -MH */
        double *S = m >= n ? gR : X;
        for (int64_t l = 0; l < k; l++)
            for (int64_t j = 0; j < k; j++)
                S[l * k + j] = m >= n ? (l <= j ? MH[l * k + j] : MH[j * k + l])
                                      : (l > j ? MH[j * k + l] - MH[l * k + j] : 0);
        /* Y = (gQ +) Q S */
        if (m >= n)
            memcpy(Y, gQ, (size_t)(m * k) * sizeof(double));
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, mi, ki, ki, 1.0, Q, ki, S, ki,
                    m >= n ? 1.0 : 0.0, Y, ki);
        /* Y R1^-T: solve X R1^T = Y in place (R1 upper triangular, the first K columns of R) */
        cblas_dtrsm(CblasRowMajor, CblasRight, CblasUpper,
                    l2__fault("qr_trsm") ? CblasNoTrans : CblasTrans, /* mutation test */
                    CblasNonUnit, mi, ki, 1.0, R, ni, Y, ki);
        /* gA = [Y, 0] (+ Q gR when M < N) */
        if (m < n)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, mi, ni, ki, 1.0, Q, ki, gR, ni,
                        0.0, X, ni);
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) {
                double v = (j < k ? Y[i * k + j] : 0) + (m < n ? X[i * n + j] : 0);
                l2__la_st(out, w.dx->dtype, (b * m + i) * n + j, v);
            }
    }
    return l2__la_bwd_end(&w, gin);
}

/* ---- linalg_eigh, linalg_eigvalsh -------------------------------------------------------- */

/* The B symmetric N x N matrices of a (contiguous (B, N, N)) into p: per matrix the N
 * eigenvalues (ascending) then the eigenvectors V (N x N, row-major, column j for value j),
 * from the triangle uplo ('L' or 'U' of the row-major matrix). Returns the first non-zero
 * LAPACK info (a failure to converge), 0 when all converged. */
#define DEF_EIGH(NAME, T, SYEVD)                                                             \
    static int NAME(const T *a, T *p, int64_t B, int n, char uplo, T *w, T *lw, int lwork,   \
                    l2__lapack_int *iw, int liwork)                                          \
    {                                                                                        \
        int lda = n > 1 ? n : 1, info, bad = 0;                                              \
        int64_t per = (int64_t)n + (int64_t)n * n;                                           \
        for (int64_t b = 0; b < B && n > 0; b++) {                                           \
            const T *x = a + b * (int64_t)n * n;                                             \
            T *l = p + b * per, *v = l + n;                                                  \
            for (int i = 0; i < n; i++)                                                      \
                for (int j = 0; j < n; j++)                                                  \
                    w[i + (int64_t)j * lda] = x[(int64_t)i * n + j];                         \
            SYEVD("V", &uplo, &n, w, &lda, l, lw, &lwork, iw, &liwork, &info, 1, 1);         \
            if (info && !bad)                                                                \
                bad = info;                                                                  \
            for (int i = 0; i < n; i++)                                                      \
                for (int j = 0; j < n; j++)                                                  \
                    v[(int64_t)i * n + j] = w[i + (int64_t)j * lda];                         \
        }                                                                                    \
        return bad;                                                                          \
    }
DEF_EIGH(eigh_f32, float, ssyevd_)
DEF_EIGH(eigh_f64, double, dsyevd_)

/* The packed result of eigh / eigvalsh of A: (*, N + N * N), with its node when A needs a
 * gradient (node->i: N and whether V is a result). NULL on error. */
static l2_tensor *eigh_packed(const char *op, const l2_tensor *A, const char *uplo, bool vecs)
{
    if (!l2__la_check_matrix(op, A))
        return NULL;
    int64_t m = A->shape[A->ndim - 2], n64 = A->shape[A->ndim - 1];
    char sh[L2__SHAPE_STR];
    L2__CHECK(m == n64, NULL, L2_ERR_SHAPE,
              "%s: A must be batches of square matrices, but they are %lld by %lld matrices "
              "(shape %s)", op, (long long)m, (long long)n64,
              l2__shape_str(sh, A->ndim, A->shape));
    L2__CHECK(!uplo || ((uplo[0] == 'L' || uplo[0] == 'U' || uplo[0] == 'l' || uplo[0] == 'u')
                        && uplo[1] == 0),
              NULL, L2_ERR_ARG, "%s: expected UPLO argument to be 'L' or 'U', but got %s", op,
              uplo);
    /* the row-major matrix's lower triangle is the column-major copy's lower triangle */
    char ul = !uplo || uplo[0] == 'L' || uplo[0] == 'l' ? 'L' : 'U';
    int n = (int)n64, lwork = 1, liwork = 1, info, lda = n > 1 ? n : 1;
    int64_t per = (int64_t)n + (int64_t)n * n, B = l2__la_batch(A);
    if (n > 0) { /* workspace query */
        l2__lapack_int q = -1, iwq = 0;
        if (A->dtype == L2_FLOAT64) {
            double wq = 0, z = 0;
            dsyevd_("V", &ul, &n, &z, &lda, &z, &wq, &q, &iwq, &q, &info, 1, 1);
            lwork = wq > INT_MAX ? INT_MAX : (int)wq;
        } else {
            float wq = 0, z = 0;
            ssyevd_("V", &ul, &n, &z, &lda, &z, &wq, &q, &iwq, &q, &info, 1, 1);
            lwork = wq > INT_MAX ? INT_MAX : (int)wq;
        }
        liwork = iwq > 1 ? iwq : 1;
        lwork = lwork > 1 ? lwork : 1;
    }
    size_t es = l2__esize(A->dtype), wn = (size_t)lda * (size_t)lda + (size_t)lwork;
    l2_tensor *a = l2__convert(op, A, A->dtype, true);
    l2_tensor *P = a ? l2__la_new_packed(op, A, per) : NULL;
    void *w = P ? l2__malloc(wn * es, "linalg_eigh workspace") : NULL;
    l2__lapack_int *iw = w ? l2__malloc((size_t)liwork * sizeof *iw, "linalg_eigh iwork") : NULL;
    int bad = 0;
    if (iw) {
        if (A->dtype == L2_FLOAT64)
            bad = eigh_f64((const double *)l2__data(a), (double *)l2__data(P), B, n, ul,
                           (double *)w, (double *)w + (size_t)lda * (size_t)lda, lwork, iw,
                           liwork);
        else
            bad = eigh_f32((const float *)l2__data(a), (float *)l2__data(P), B, n, ul,
                           (float *)w, (float *)w + (size_t)lda * (size_t)lda, lwork, iw,
                           liwork);
    }
    l2__free(iw);
    l2__free(w);
    l2_tensor_release(a);
    if (!iw) {
        l2_tensor_release(P);
        return NULL;
    }
    if (bad) {
        l2_tensor_release(P);
        return l2__fail(L2_ERR_ARG,
                        "%s: the algorithm failed to converge because the input matrix is "
                        "ill-conditioned or has too many repeated eigenvalues (error code: %d)",
                        op, bad), NULL;
    }
    if (!l2__la_record_packed(L2__OP_LINALG_EIGH, P, A, 2, (const int64_t[]){n, vecs})) {
        l2_tensor_release(P);
        return NULL;
    }
    return P;
}

l2_tensor *l2_linalg_eigh(const l2_tensor *A, const char *uplo, l2_tensor **eigenvectors)
{
    const char *op = "linalg_eigh";
    if (eigenvectors)
        *eigenvectors = NULL;
    l2_tensor *P = eigh_packed(op, A, uplo, true);
    if (!P)
        return NULL;
    int64_t n = A->shape[A->ndim - 1];
    l2__enter();
    l2_tensor *L = l2_narrow(P, P->ndim - 1, 0, n);
    l2_tensor *V = L && eigenvectors ? l2__la_piece(P, n, n, n) : NULL;
    l2__leave();
    l2_tensor_release(P);
    if (!L || (eigenvectors && !V)) {
        l2_tensor_release(L);
        return NULL;
    }
    if (eigenvectors)
        *eigenvectors = l2__ret(V);
    return l2__ret(L);
}

l2_tensor *l2_linalg_eigvalsh(const l2_tensor *A, const char *uplo)
{
    l2_tensor *P = eigh_packed("linalg_eigvalsh", A, uplo, false);
    if (!P)
        return NULL;
    l2__enter();
    l2_tensor *L = l2_narrow(P, P->ndim - 1, 0, A->shape[A->ndim - 1]);
    l2__leave();
    l2_tensor_release(P);
    return L ? l2__ret(L) : NULL;
}

/* Backward (torch 1.13's linalg_eig_backward, real symmetric case), per matrix with L: (N),
 * V: (N, N) and the upstream gL, gV (zero where a result got no gradient):
 *   S = (V^T gV - gV^T V) / 2,  E_ij = L_j - L_i,
 *   gA = V (S / E  with diagonal gL) V^T
 * (not symmetrised, as torch's). Equal eigenvalues divide by 0: inf/NaN, as torch's. When gV
 * is zero (eigvalsh, or only the eigenvalues used) torch's shortcut gA = V diag(gL) V^T. */
l2_status l2__linalg_eigh_backward(l2__node *nd, const l2_tensor *g, l2_tensor **gin)
{
    const char *op = "linalg_eigh_backward";
    int64_t n = nd->i[0];
    gin[0] = NULL;
    /* L, gL, V, gV, M (N x N), T (N x N) */
    size_t nb = (size_t)(2 * n + 4 * n * n);
    l2__la_bwd w;
    l2_status s = l2__la_bwd_start(op, nd, g, n, n, nb, &w);
    if (s != L2_OK)
        return s;
    double *buf = w.buf;
    int64_t B = w.B;
    double *L = buf, *gL = L + n, *V = gL + n, *gV = V + n * n, *M = gV + n * n, *T = M + n * n;
    int64_t per = n + n * n;
    const char *pp = w.pp, *gp = w.gp;
    char *out = w.out;
    const l2_tensor *pc = w.pc, *dy = w.dy, *dx = w.dx;
    for (int64_t b = 0; b < B; b++) {
        for (int64_t i = 0; i < n; i++) {
            L[i] = l2__la_ld(pp, pc->dtype, b * per + i);
            gL[i] = l2__la_ld(gp, dy->dtype, b * per + i);
        }
        for (int64_t i = 0; i < n * n; i++) {
            V[i] = l2__la_ld(pp, pc->dtype, b * per + n + i);
            gV[i] = l2__la_ld(gp, dy->dtype, b * per + n + i);
        }
        /* no gradient reached V (eigvalsh, or only L used): torch's shortcut V diag(gL) V^T,
         * finite for repeated eigenvalues too */
        bool gv = false;
        for (int64_t i = 0; i < n * n && !gv; i++)
            gv = gV[i] != 0;
        /* M = V^T gV (BLAS, float64) */
        int ni = (int)n, ld = ni > 1 ? ni : 1;
        if (gv)
            cblas_dgemm(CblasRowMajor, l2__fault("eigh_gemm") ? CblasNoTrans : CblasTrans,
                        CblasNoTrans, ni, ni, ni, 1.0, V, ld, gV, ld, 0.0, M, ld); /* (mutation) */
        /* K (in gV, no longer needed) with K_ij = (M_ij - M_ji) / 2 / (L_j - L_i), K_ii =
         * gL_i; then T = V K and gA = T V^T */
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++)
                gV[i * n + j] = i == j ? gL[j]
                                : gv   ? 0.5 * (M[i * n + j] - M[j * n + i]) / (L[j] - L[i])
                                       : 0.0;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ni, ni, ni, 1.0, V, ld, gV, ld,
                    0.0, T, ld);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, ni, ni, ni, 1.0, T, ld, V, ld, 0.0,
                    M, ld);
        for (int64_t i = 0; i < n * n; i++)
            l2__la_st(out, dx->dtype, b * n * n + i, M[i]);
    }
    return l2__la_bwd_end(&w, gin);
}
