/* linalg-svd.c: the singular value decomposition through LAPACK's gesdd (lapack.h):
 * linalg_svd and linalg_svdvals with torch 1.13's svd_backward, batched over leading dims,
 * float32 and float64; and linalg_pinv, composed of linalg_svd (or linalg_eigh for hermitian
 * input) and differentiable ops, so autograd gives its gradient. No factorisation is written
 * here. As in linalg-decomp.c, the results of one call are views of one packed tensor P that
 * carries the autograd node; backwards run in float64 and round once.
 *
 * Dimension letters: B the batch (the leading dims folded), M rows, N columns, K = min(M, N);
 * MU: U's columns (M full, K reduced, 0 for values only), KV: Vh's rows (N, K or 0). */
#include "../autograd-impl.h"
#include "../checked.h"
#include "lapack.h"
#include "linalg-impl.h"

#include <cblas.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>

/* ---- linalg_svd, linalg_svdvals ---------------------------------------------------------- */

/* Decompose the B matrices of a (contiguous (B, M, N)) into p: per matrix U (M x MU, row-major),
 * S (K, descending), Vh (KV x N, row-major). LAPACK works on a column-major copy of A in w
 * (as torch hands it over, so both get LAPACK's same signs); u: M x MU and vt: KV x N
 * column-major; lw: lwork elements; iw: 8K ints. K = 0 gives U = I and Vh = I when full.
 * Returns 0, or the first failing matrix's LAPACK info with its index in *bad_b. */
#define DEF_SVD(NAME, T, GESDD)                                                              \
    static int NAME(const T *a, T *p, int64_t B, int m, int n, char jobz, int mu, int kv,   \
                    T *w, T *u, T *vt, T *lw, int lwork, l2__lapack_int *iw, int64_t *bad_b) \
    {                                                                                        \
        int k = m < n ? m : n, lda = m > 1 ? m : 1, ldu = lda, ldvt = kv > 1 ? kv : 1, info; \
        int bad = 0;                                                                         \
        int64_t per = (int64_t)m * mu + k + (int64_t)kv * n;                                 \
        for (int64_t b = 0; b < B; b++) {                                                    \
            const T *x = a + b * (int64_t)m * n;                                             \
            T *U = p + b * per, *S = U + (int64_t)m * mu, *V = S + k;                        \
            if (k == 0) { /* p is zeroed: U = I (M x M), Vh = I (N x N) when full */         \
                for (int i = 0; i < m && i < mu; i++)                                        \
                    U[(int64_t)i * mu + i] = 1;                                              \
                for (int i = 0; i < kv && i < n; i++)                                        \
                    V[(int64_t)i * n + i] = 1;                                               \
                continue;                                                                    \
            }                                                                                \
            for (int i = 0; i < m; i++)                                                      \
                for (int j = 0; j < n; j++)                                                  \
                    w[i + (int64_t)j * lda] = x[(int64_t)i * n + j];                         \
            GESDD(&jobz, &m, &n, w, &lda, S, u, &ldu, vt, &ldvt, lw, &lwork, iw, &info, 1);  \
            if (info && !bad) {                                                              \
                bad = info;                                                                  \
                *bad_b = b;                                                                  \
            }                                                                                \
            for (int i = 0; i < m; i++)                                                      \
                for (int j = 0; j < mu; j++)                                                 \
                    U[(int64_t)i * mu + j] = u[i + (int64_t)j * ldu];                        \
            for (int i = 0; i < kv; i++)                                                     \
                for (int j = 0; j < n; j++)                                                  \
                    V[(int64_t)i * n + j] = vt[i + (int64_t)j * ldvt];                       \
        }                                                                                    \
        return bad;                                                                          \
    }
DEF_SVD(svd_f32, float, sgesdd_)
DEF_SVD(svd_f64, double, dgesdd_)

/* LAPACK's gesdd workspace size for an M x N matrix and jobz, at least 1. */
static int svd_lwork(l2_dtype dt, char jobz, int m, int n, int kv)
{
    int k = m < n ? m : n, lda = m > 1 ? m : 1, ldvt = kv > 1 ? kv : 1, q = -1, info;
    l2__lapack_int iw = 0;
    double best = 1;
    if (k == 0)
        return 1;
    if (dt == L2_FLOAT64) {
        double wq = 0, z = 0;
        dgesdd_(&jobz, &m, &n, &z, &lda, &z, &z, &lda, &z, &ldvt, &wq, &q, &iw, &info, 1);
        best = wq > best ? wq : best;
    } else {
        float wq = 0, z = 0;
        sgesdd_(&jobz, &m, &n, &z, &lda, &z, &z, &lda, &z, &ldvt, &wq, &q, &iw, &info, 1);
        best = wq > best ? wq : best;
    }
    return best > INT_MAX ? INT_MAX : (int)best;
}

/* The packed result (*, M * MU + K + KV * N) of the SVD of A, with its node when A needs a
 * gradient (node->i: M, N, MU, KV). full: U and Vh complete; vecs: U and Vh are wanted at all
 * (svdvals: not, unless a gradient needs them, as torch computes them then). NULL on error. */
static l2_tensor *svd_packed(const char *op, const l2_tensor *A, bool full, bool vecs)
{
    if (!l2__la_check_matrix(op, A))
        return NULL;
    int m = (int)A->shape[A->ndim - 2], n = (int)A->shape[A->ndim - 1], k = m < n ? m : n;
    bool grad = l2__needs_grad(1, &A);
    char jobz = full ? 'A' : vecs || grad ? 'S' : 'N';
    int mu = jobz == 'A' ? m : jobz == 'S' ? k : 0, kv = jobz == 'A' ? n : jobz == 'S' ? k : 0;
    int64_t per, wt, B = l2__la_batch(A);
    /* per = M MU + K + KV N; the work: A (M x N), u (M x MU), vt (KV x N), LAPACK's lwork */
    int lwork = svd_lwork(A->dtype, jobz, m, n, kv);
    int64_t mn = (int64_t)m * n, mmu = (int64_t)m * mu, kvn = (int64_t)kv * n;
    size_t es = l2__esize(A->dtype);
    L2__CHECK(!l2__add_ovf(mmu, k, &per) && !l2__add_ovf(per, kvn, &per) &&
                  !l2__add_ovf(mn, mmu, &wt) && !l2__add_ovf(wt, kvn, &wt) &&
                  !l2__add_ovf(wt, (int64_t)lwork + 3, &wt) &&
                  !l2__mul_ovf(wt, (int64_t)es, &(int64_t){0}),
              NULL, L2_ERR_OVERFLOW, "%s: the results' size overflows", op);
    size_t wn = (size_t)wt;
    l2_tensor *a = l2__convert(op, A, A->dtype, true);
    l2_tensor *P = a ? l2__la_new_packed(op, A, per) : NULL;
    void *w = P ? l2__malloc(wn * es, "linalg_svd workspace") : NULL;
    l2__lapack_int *iw = w ? l2__malloc((size_t)(8 * (int64_t)k + 1) * sizeof *iw,
                                        "linalg_svd iwork")
                           : NULL;
    int bad = 0;
    int64_t bad_b = 0;
    if (iw) {
        /* w: A's column-major copy, then u, vt, LAPACK's work (each at least one element) */
        size_t o1 = (size_t)mn + 1, o2 = o1 + (size_t)mmu + 1, o3 = o2 + (size_t)kvn + 1;
        if (A->dtype == L2_FLOAT64) {
            double *wd = w;
            bad = svd_f64((const double *)l2__data(a), (double *)l2__data(P), B, m, n, jobz, mu,
                          kv, wd, wd + o1, wd + o2, wd + o3, lwork, iw, &bad_b);
        } else {
            float *wf = w;
            bad = svd_f32((const float *)l2__data(a), (float *)l2__data(P), B, m, n, jobz, mu,
                          kv, wf, wf + o1, wf + o2, wf + o3, lwork, iw, &bad_b);
        }
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
        if (A->ndim > 2)
            return l2__fail(L2_ERR_ARG,
                            "%s: (Batch element %lld): The algorithm failed to converge because "
                            "the input matrix contained non-finite values (error code: %d)",
                            op, (long long)bad_b, bad), NULL;
        return l2__fail(L2_ERR_ARG,
                        "%s: The algorithm failed to converge because the input matrix "
                        "contained non-finite values (error code: %d)", op, bad), NULL;
    }
    if (grad && !l2__la_record_packed(L2__OP_LINALG_SVD, P, A, 4,
                                      (const int64_t[]){m, n, mu, kv})) {
        l2_tensor_release(P);
        return NULL;
    }
    return P;
}

l2_tensor *l2_linalg_svd(const l2_tensor *A, bool full_matrices, l2_tensor **S,
                         l2_tensor **Vh)
{
    const char *op = "linalg_svd";
    if (S)
        *S = NULL;
    if (Vh)
        *Vh = NULL;
    l2_tensor *P = svd_packed(op, A, full_matrices, true);
    if (!P)
        return NULL;
    int64_t m = A->shape[A->ndim - 2], n = A->shape[A->ndim - 1], k = m < n ? m : n;
    int64_t mu = full_matrices ? m : k, kv = full_matrices ? n : k;
    l2__enter();
    l2_tensor *U = l2__la_piece(P, 0, m, mu);
    l2_tensor *St = U && S ? l2_narrow(P, P->ndim - 1, m * mu, k) : NULL;
    l2_tensor *Vt = U && Vh && (St || !S) ? l2__la_piece(P, m * mu + k, kv, n) : NULL;
    l2__leave();
    l2_tensor_release(P);
    if (!U || (S && !St) || (Vh && !Vt)) {
        l2_tensor_release(U);
        l2_tensor_release(St);
        l2_tensor_release(Vt);
        return NULL;
    }
    if (S)
        *S = l2__ret(St);
    if (Vh)
        *Vh = l2__ret(Vt);
    return l2__ret(U);
}

l2_tensor *l2_linalg_svdvals(const l2_tensor *A)
{
    l2_tensor *P = svd_packed("linalg_svdvals", A, false, false);
    if (!P)
        return NULL;
    int64_t m = A->shape[A->ndim - 2], n = A->shape[A->ndim - 1], k = m < n ? m : n;
    /* U precedes S only when a gradient made LAPACK compute it */
    int64_t off = P->shape[P->ndim - 1] == k ? 0 : m * k;
    l2__enter();
    l2_tensor *St = l2_narrow(P, P->ndim - 1, off, k);
    l2__leave();
    l2_tensor_release(P);
    return St ? l2__ret(St) : NULL;
}

/* c (r x c_, row-major, ld c_) = op(a) op(b) with inner size kk, through cblas_dgemm; an empty
 * inner size gives zeros, an empty result nothing. ta/tb: a, b read transposed. */
static void dmm(bool ta, bool tb, int64_t r, int64_t c_, int64_t kk, const double *a,
                int64_t lda, const double *b, int64_t ldb, double beta, double *c)
{
    if (r == 0 || c_ == 0)
        return;
    if (kk == 0) {
        if (beta == 0)
            memset(c, 0, (size_t)(r * c_) * sizeof *c);
        return;
    }
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                (int)r, (int)c_, (int)kk, 1.0, a, (int)(lda > 1 ? lda : 1), b,
                (int)(ldb > 1 ? ldb : 1), beta, c, (int)(c_ > 1 ? c_ : 1));
}

/* Backward (torch 1.13's svd_backward, real case), per matrix with U: (M, K), S: (K),
 * Vh: (K, N) (full matrices narrowed to their first K columns / rows, as torch's formula) and
 * the upstream gU, gS, gVh:
 *   no gradient reached U or Vh (all zero: torch's undefined): gA = U diag(gS) Vh;
 *   otherwise, with skew(X) = X - X^T, E_ij = S_j^2 - S_i^2 (E_ii = 1),
 *     R = (skew(U^T gU) S_j + S_i skew(Vh gVh^T)) / E + diag(gS)  (a term only when its
 *     gradient is non-zero)
 *     M > N, gU: gA = (U R + gU / S_j - U (U^T (gU / S_j))) Vh
 *     M < N, gVh: gA = U (R Vh + gVh / S_i - ((gVh / S_i) Vh^T) Vh)
 *     else: gA = U R Vh.
 * Repeated singular values divide by E_ij = 0 (inf/NaN, as torch) when U or Vh has a gradient;
 * a zero singular value of a rectangular A divides by S. */
l2_status l2__linalg_svd_backward(l2__node *nd, const l2_tensor *g, l2_tensor **gin)
{
    const char *op = "linalg_svd_backward";
    int64_t m = nd->i[0], n = nd->i[1], mu = nd->i[2], kv = nd->i[3], k = m < n ? m : n;
    gin[0] = NULL;
    /* U, gU, T1 (M x K); S, gS (K); Vh, gVh, T2 (K x N); R, X (K x K); G (M x N) */
    size_t nb = (size_t)(3 * m * k + 2 * k + 3 * k * n + 2 * k * k + m * n);
    l2__la_bwd w;
    l2_status s = l2__la_bwd_start(op, nd, g, m, n, nb, &w);
    if (s != L2_OK)
        return s;
    double *buf = w.buf;
    int64_t B = w.B;
    double *U = buf, *gU = U + m * k, *T1 = gU + m * k, *S = T1 + m * k, *gS = S + k,
           *Vh = gS + k, *gVh = Vh + k * n, *T2 = gVh + k * n, *R = T2 + k * n, *X = R + k * k,
           *G = X + k * k;
    int64_t per = m * mu + k + kv * n;
    const char *pp = w.pp, *gp = w.gp;
    char *out = w.out;
    l2_dtype pt = w.pc->dtype, gt = w.dy->dtype;
    /* torch's "defined": a gradient reached U (or Vh) somewhere in the batch */
    bool hu = false, hv = false;
    for (int64_t b = 0; b < B && !(hu && hv); b++) {
        for (int64_t i = 0; i < m * mu && !hu; i++)
            hu = l2__la_ld(gp, gt, b * per + i) != 0;
        for (int64_t i = 0; i < kv * n && !hv; i++)
            hv = l2__la_ld(gp, gt, b * per + m * mu + k + i) != 0;
    }
    for (int64_t b = 0; b < B; b++) {
        const int64_t o = b * per;
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < k; j++) {
                U[i * k + j] = l2__la_ld(pp, pt, o + i * mu + j);
                gU[i * k + j] = l2__la_ld(gp, gt, o + i * mu + j);
            }
        for (int64_t i = 0; i < k; i++) {
            S[i] = l2__la_ld(pp, pt, o + m * mu + i);
            gS[i] = l2__la_ld(gp, gt, o + m * mu + i);
        }
        for (int64_t i = 0; i < k * n; i++) {
            Vh[i] = l2__la_ld(pp, pt, o + m * mu + k + i);
            gVh[i] = l2__la_ld(gp, gt, o + m * mu + k + i);
        }
        if (!hu && !hv) {
            /* gA = U diag(gS) Vh */
            for (int64_t i = 0; i < m; i++)
                for (int64_t j = 0; j < k; j++)
                    T1[i * k + j] = U[i * k + j] * gS[j];
            dmm(false, false, m, n, k, T1, k, Vh, n, 0, G);
        } else {
            /* R: X = U^T gU, then R_ij = (X_ij - X_ji) S_j; the Vh term with X = Vh gVh^T */
            for (int64_t i = 0; i < k * k; i++)
                R[i] = 0;
            if (hu) {
                dmm(true, false, k, k, m, U, k, gU, k, 0, X);
                for (int64_t i = 0; i < k; i++)
                    for (int64_t j = 0; j < k; j++)
                        R[i * k + j] = (X[i * k + j] - X[j * k + i]) * S[j];
            }
            if (hv) {
                dmm(false, true, k, k, n, Vh, n, gVh, n, 0, X);
                for (int64_t i = 0; i < k; i++)
                    for (int64_t j = 0; j < k; j++)
                        R[i * k + j] += S[i] * (X[i * k + j] - X[j * k + i]);
            }
            for (int64_t i = 0; i < k; i++)
                for (int64_t j = 0; j < k; j++) {
                    double e = i == j ? 1 : S[j] * S[j] - S[i] * S[i];
                    R[i * k + j] = R[i * k + j] / e + (i == j ? gS[i] : 0);
                }
            if (m > n && hu) {
                /* T1 = U R + W - U (U^T W) with W = gU / S_j; G = T1 Vh */
                for (int64_t i = 0; i < m; i++)
                    for (int64_t j = 0; j < k; j++)
                        gU[i * k + j] /= S[j];
                dmm(true, false, k, k, m, U, k, gU, k, 0, X);
                for (int64_t i = 0; i < k * k; i++)
                    R[i] -= X[i];
                memcpy(T1, gU, (size_t)(m * k) * sizeof *T1);
                dmm(false, false, m, k, k, U, k, R, k, 1, T1);
                dmm(false, false, m, n, k, T1, k, Vh, n, 0, G);
            } else if (m < n && hv) {
                /* T2 = R Vh + W - (W Vh^T) Vh with W = gVh / S_i; G = U T2 */
                for (int64_t i = 0; i < k; i++)
                    for (int64_t j = 0; j < n; j++)
                        gVh[i * n + j] /= S[i];
                dmm(false, true, k, k, n, gVh, n, Vh, n, 0, X);
                for (int64_t i = 0; i < k * k; i++)
                    R[i] -= X[i];
                memcpy(T2, gVh, (size_t)(k * n) * sizeof *T2);
                dmm(false, false, k, n, k, R, k, Vh, n, 1, T2);
                dmm(false, false, m, n, k, U, k, T2, n, 0, G);
            } else {
                dmm(false, false, k, n, k, R, k, Vh, n, 0, T2);
                dmm(false, false, m, n, k, U, k, T2, n, 0, G);
            }
        }
        for (int64_t i = 0; i < m * n; i++)
            l2__la_st(out, w.dx->dtype, b * m * n + i, G[i]);
    }
    return l2__la_bwd_end(&w, gin);
}

/* ---- linalg_pinv ------------------------------------------------------------------------- */

/* torch 1.13's linalg_pinv forward, through public ops under no-grad (its gradient is
 * pinv_backward's formula, below, not that of these steps, as torch's LinalgPinvBackward):
 *   not hermitian: U, S, Vh = svd(A, full_matrices=False); tol = max(atol, rtol * S[..., :1]);
 *                  A+ = (Vh^T * where(S > tol, 1 / S, 0)[..., None, :]) @ U^T
 *   hermitian:     L, V = eigh(A); tol = max(atol, rtol * max|L|);
 *                  A+ = (V * where(|L| > tol, 1 / L, 0)[..., None, :]) @ V^T
 * The tolerance is computed and compared in float64, as torch's (its atol/rtol tensors are
 * double). An empty A skips the tolerance (torch's early return): A+ = (Vh^T * 1 / S) @ U^T. */
static l2_tensor *pinv_forward(const l2_tensor *A, double at, double rt, bool hermitian)
{
    enum { N_T = 18 };
    l2_tensor *t[N_T] = {NULL};
    l2_tensor *inv = NULL, *r = NULL;
    bool empty = l2_numel(A) == 0;
    /* t[0]: V (svd) or the eigenvectors V, t[1]: U^T or V^T, t[2]: the values x to invert
     * (S or L), t[3]: |x| compared with tol */
    if (empty || !hermitian) {
        t[4] = l2_linalg_svd(A, false, &t[2], &t[5]); /* U, S, Vh */
        t[0] = t[4] ? l2_transpose(t[5], -2, -1) : NULL;
        t[1] = t[0] ? l2_transpose(t[4], -2, -1) : NULL;
        t[3] = t[1] ? l2_tensor_ref(t[2]) : NULL;
    } else {
        t[2] = l2_linalg_eigh(A, "L", &t[0]);
        t[1] = t[2] ? l2_transpose(t[0], -2, -1) : NULL;
        t[3] = t[1] ? l2_abs(t[2]) : NULL;
    }
    t[6] = t[3] ? l2_reciprocal(t[2]) : NULL;
    inv = t[6];
    if (t[6] && !empty) {
        /* tol (*, 1) in float64: max(atol, rtol * max |x|); keep 1 / x where |x| > tol */
        t[7] = hermitian ? l2_amax(t[3], 1, (const int[]){-1}, true) : l2_narrow(t[3], -1, 0, 1);
        t[8] = t[7] ? l2_to_dtype(t[7], L2_FLOAT64) : NULL;
        t[9] = t[8] ? l2_scalar(at, L2_FLOAT64) : NULL;
        t[10] = t[9] ? l2_scalar(rt, L2_FLOAT64) : NULL;
        t[11] = t[10] ? l2_mul(t[8], t[10]) : NULL;
        t[12] = t[11] ? l2_maximum(t[9], t[11]) : NULL;
        t[13] = t[12] ? l2_to_dtype(t[3], L2_FLOAT64) : NULL;
        t[14] = t[13] ? l2_gt(t[13], t[12]) : NULL;
        t[15] = t[14] ? l2_scalar(0, A->dtype) : NULL;
        inv = t[15] ? l2_where(t[14], t[6], t[15]) : NULL;
        t[16] = inv;
    }
    t[17] = inv ? l2_unsqueeze(inv, -2) : NULL;
    l2_tensor *scaled = t[17] ? l2_mul(t[0], t[17]) : NULL;
    r = scaled ? l2_matmul(scaled, t[1]) : NULL;
    l2_tensor_release(scaled);
    for (int i = 0; i < N_T; i++)
        l2_tensor_release(t[i]);
    return r;
}

l2_tensor *l2_linalg_pinv(const l2_tensor *A, double atol, double rtol, bool hermitian)
{
    const char *op = "linalg_pinv";
    L2__CHECK_TN(A, NULL, op, "A");
    char sh[L2__SHAPE_STR];
    /* torch's atol-only path reads dim -2 before its one check */
    L2__CHECK(!(l2__is_float(A->dtype) && A->ndim < 2 && !isnan(atol) && isnan(rtol)), NULL,
              L2_ERR_DIM, "%s: Dimension out of range (expected to be in range of [%d, %d], but "
              "got -2)", op, A->ndim ? -A->ndim : -1, A->ndim ? A->ndim - 1 : 0);
    /* one check, as torch's (L2_ERR_DTYPE for a 1-d float tensor too) */
    L2__CHECK(l2__is_float(A->dtype) && A->ndim >= 2, NULL, L2_ERR_DTYPE,
              "%s(%s%s): expected a tensor with 2 or more dimensions of float or double types",
              op, l2_dtype_name(A->dtype), l2__shape_str(sh, A->ndim, A->shape));
    int64_t m = A->shape[A->ndim - 2], n = A->shape[A->ndim - 1];
    /* torch's get_atol_rtol: no atol is 0; no rtol is eps * max(M, N), or 0 when atol > 0 */
    bool has_atol = !isnan(atol);
    double eps = A->dtype == L2_FLOAT64 ? DBL_EPSILON : FLT_EPSILON;
    double rdef = eps * (double)(m > n ? m : n);
    double at = has_atol ? atol : 0;
    double rt = !isnan(rtol) ? rtol : has_atol && atol > 0 ? 0 : rdef;
    l2__enter();
    l2_no_grad_begin();
    l2_tensor *r = pinv_forward(A, at, rt, hermitian);
    l2_no_grad_end();
    l2__leave();
    if (r && l2__needs_grad(1, &A)) {
        const l2_tensor *save[2] = {A, r};
        l2__node *node = l2__record_save(L2__OP_LINALG_PINV, r, 1, &A, 2, save);
        if (!node) {
            l2_tensor_release(r);
            return NULL;
        }
    }
    return r ? l2__ret(r) : NULL;
}

/* Backward (torch 1.13's pinv_backward), per matrix with A: (M, N), X = A+: (N, M) and the
 * upstream G: (N, M):
 *   M <= N: K = G^T X, gA = -(X K)^T + K X^T - A X K X^T + X^T X (G^T - K A)
 *   M >  N: K = X G^T, gA = -(K X)^T + (G^T - A K) X X^T + X^T K - X^T K X A
 * (A+ is differentiable where the rank does not change: with a value cut by the tolerance this
 * is torch's formula all the same). */
l2_status l2__linalg_pinv_backward(l2__node *nd, const l2_tensor *g, l2_tensor **gin)
{
    const char *op = "linalg_pinv_backward";
    const l2_tensor *A0 = nd->saved[0], *X0 = nd->saved[1];
    int nd0 = A0->ndim;
    int64_t m = A0->shape[nd0 - 2], n = A0->shape[nd0 - 1], B = l2__la_batch(A0);
    gin[0] = NULL;
    l2_tensor *dy, *dx;
    l2_status s = l2__grad_start(op, g, nd0, A0->shape, false, &dy, &dx);
    if (s != L2_OK)
        return s;
    l2_tensor *ac = l2__convert(op, A0, A0->dtype, true);
    l2_tensor *xc = ac ? l2__convert(op, X0, X0->dtype, true) : NULL;
    int64_t q = m < n ? m : n, p = m < n ? n : m;
    /* A, X, G (M x N each), K (P x P), T1, T2, T3 (M x N), W (Q x Q), out (M x N) */
    size_t nb = (size_t)(7 * m * n + p * p + q * q);
    double *buf = xc ? l2__malloc((nb ? nb : 1) * sizeof(double), "linalg_pinv backward") : NULL;
    if (!buf) {
        l2_tensor_release(ac);
        l2_tensor_release(xc);
        l2_tensor_release(dy);
        l2_tensor_release(dx);
        return l2_last_status();
    }
    double *a = buf, *x = a + m * n, *gg = x + m * n, *K = gg + m * n, *T1 = K + p * p,
           *T2 = T1 + m * n, *T3 = T2 + m * n, *W = T3 + m * n, *o = W + q * q;
    const char *ap = l2__data(ac), *xp = l2__data(xc), *gp = l2__data(dy);
    char *out = l2__data(dx);
    for (int64_t b = 0; b < B; b++) {
        for (int64_t i = 0; i < m * n; i++) {
            a[i] = l2__la_ld(ap, ac->dtype, b * m * n + i);
            x[i] = l2__la_ld(xp, xc->dtype, b * m * n + i);
            gg[i] = l2__la_ld(gp, dy->dtype, b * m * n + i);
        }
        if (m <= n) {
            dmm(true, false, m, m, n, gg, m, x, m, 0, K);   /* K = G^T X        (M x M) */
            dmm(false, true, m, n, m, K, m, x, m, 0, T1);   /* T1 = K X^T       (M x N) */
            dmm(false, false, m, m, n, a, n, x, m, 0, W);   /* W = A X          (M x M) */
            dmm(false, false, m, n, m, W, m, T1, n, 0, T2); /* T2 = A X K X^T   (M x N) */
            dmm(false, false, m, n, m, K, m, a, n, 0, T3);  /* T3 = K A         (M x N) */
            for (int64_t i = 0; i < m; i++)                 /* T3 = G^T - K A */
                for (int64_t j = 0; j < n; j++)
                    T3[i * n + j] = gg[j * m + i] - T3[i * n + j];
            dmm(true, false, m, m, n, x, m, x, m, 0, W);    /* W = X^T X        (M x M) */
            dmm(false, false, m, n, m, W, m, T3, n, 0, o);  /* o = X^T X (G^T - K A) */
            dmm(true, true, m, n, m, K, m, x, m, 0, T3);    /* T3 = (X K)^T = K^T X^T */
            for (int64_t i = 0; i < m * n; i++)
                o[i] += T1[i] - T2[i] - T3[i];
        } else {
            dmm(false, true, n, n, m, x, m, gg, m, 0, K);   /* K = X G^T        (N x N) */
            dmm(true, false, m, n, n, x, m, K, n, 0, T1);   /* T1 = X^T K       (M x N) */
            dmm(false, false, m, n, n, a, n, K, n, 0, T2);  /* T2 = A K         (M x N) */
            for (int64_t i = 0; i < m; i++)                 /* T2 = G^T - A K */
                for (int64_t j = 0; j < n; j++)
                    T2[i * n + j] = gg[j * m + i] - T2[i * n + j];
            dmm(false, true, n, n, m, x, m, x, m, 0, W);    /* W = X X^T        (N x N) */
            dmm(false, false, m, n, n, T2, n, W, n, 0, o);  /* o = (G^T - A K) X X^T */
            dmm(false, false, n, n, m, x, m, a, n, 0, W);   /* W = X A          (N x N) */
            dmm(false, false, m, n, n, T1, n, W, n, 0, T2); /* T2 = X^T K X A */
            dmm(true, true, m, n, n, x, m, K, n, 0, T3);    /* T3 = (K X)^T = X^T K^T */
            for (int64_t i = 0; i < m * n; i++)
                o[i] += T1[i] - T2[i] - T3[i];
        }
        for (int64_t i = 0; i < m * n; i++)
            l2__la_st(out, dx->dtype, b * m * n + i, o[i]);
    }
    l2__free(buf);
    l2_tensor_release(ac);
    l2_tensor_release(xc);
    l2_tensor_release(dy);
    gin[0] = dx;
    return L2_OK;
}
