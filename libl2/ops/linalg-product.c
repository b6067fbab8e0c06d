/* linalg-product.c: the one internal matrix product every op of linalg.c goes through (a batch
 * of (M,K) @ (K,N) over broadcast batch dims, out = beta * c + alpha * (a @ b)) and its kernels:
 * float operands BLAS (or libl2's own float32 kernel, gemm.c) can read in place go there without
 * a copy, others are copied once; int64 uses the plain reference loops, which also check the
 * BLAS path in the tests.
 *
 * Dimension letters: B batch, M rows of a, K the contracted dim, N columns of b. */
#include "../autograd-impl.h"
#include "gemm.h"
#include "linalg-impl.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>

/* The largest value a BLAS integer argument can take. */
#define BLAS_MAX ((int64_t)(sizeof(blasint) == 4 ? INT_MAX : INT64_MAX))

/* Test switches (per thread): use the reference loops for everything; count operand copies. */
static _Thread_local bool use_reference = false;
static _Thread_local int64_t n_copies = 0;

void l2_debug_linalg_reference(bool on) { use_reference = on; }
int64_t l2_debug_linalg_copies(void) { return n_copies; }

/* ---- kernels ----------------------------------------------------------------------------- */

/* One matrix operand: element (i, j) is at p + (i * rs + j * cs) elements. */
typedef struct {
    char *p;
    int64_t rs, cs;
} mat;

/* The kernel contract, shared by the reference and the BLAS kernels:
 *     c = beta * c + alpha * (a @ b),   a: (M,K), b: (K,N), c: (M,N) row-major with row stride ldc.
 * When beta is 0 c is only written (it may hold anything before, NaN included: BLAS does not
 * read C when beta is 0). K >= 1, M >= 1, N >= 1 and alpha != 0 (the driver handles the
 * degenerate cases by scaling or zeroing c). Kernels never fail. */

/* c[i,j] = beta * c[i,j] + alpha * sum_k a[i,k] * b[k,j], accumulated in ACC. */
#define GEMM_REF(T, ACC)                                                                     \
    do {                                                                                     \
        const T *ap = (const T *)a.p, *bp = (const T *)b.p;                                  \
        T *cp = (T *)c;                                                                      \
        ACC al = (ACC)alpha, be = (ACC)beta;                                                 \
        _Pragma("omp parallel for if ((double)M * N * K > L2__GEMM_PARALLEL && M > 1)")     \
        for (int64_t i = 0; i < M; i++) {                                                    \
            for (int64_t j = 0; j < N; j++) {                                                \
                ACC s = 0;                                                                   \
                for (int64_t k = 0; k < K; k++)                                              \
                    s += (ACC)ap[i * a.rs + k * a.cs] * (ACC)bp[k * b.rs + j * b.cs];        \
                T *o = &cp[i * ldc + j];                                                     \
                *o = (T)(be == 0 ? al * s : be * (ACC)*o + al * s);                          \
            }                                                                                \
        }                                                                                    \
    } while (0)

/* The int64 kernel: wrapping two's complement arithmetic as torch's integer matmul (computed in
 * uint64, so overflow is defined); alpha and beta are integral here. */
static void gemm_i64(int64_t M, int64_t N, int64_t K, double alpha, mat a, mat b, double beta,
                     char *c, int64_t ldc)
{
    const int64_t *ap = (const int64_t *)a.p, *bp = (const int64_t *)b.p;
    int64_t *cp = (int64_t *)c, al = (int64_t)alpha, be = (int64_t)beta;
    _Pragma("omp parallel for if ((double)M * N * K > L2__GEMM_PARALLEL && M > 1)")
    for (int64_t i = 0; i < M; i++) {
        for (int64_t j = 0; j < N; j++) {
            int64_t s = 0;
            for (int64_t k = 0; k < K; k++)
                s = l2__wadd(s, l2__wmul(ap[i * a.rs + k * a.cs], bp[k * b.rs + j * b.cs]));
            int64_t *o = &cp[i * ldc + j];
            *o = be == 0 ? l2__wmul(al, s) : l2__wadd(l2__wmul(be, *o), l2__wmul(al, s));
        }
    }
}

/* The plain reference kernel: a triple loop over any strides. */
static void gemm_ref(l2_dtype dt, int64_t M, int64_t N, int64_t K, double alpha, mat a, mat b,
                     double beta, char *c, int64_t ldc)
{
    switch (dt) {
    case L2_FLOAT32: GEMM_REF(float, double); break;
    case L2_FLOAT64: GEMM_REF(double, double); break;
    case L2_INT64: gemm_i64(M, N, K, alpha, a, b, beta, c, ldc); break;
    default: break;
    }
}

/* How BLAS can read a (rows, cols) operand with element strides rs, cs in place: row-major
 * (trans false) or column-major (trans true, i.e. the transpose of a row-major matrix), with
 * leading dimension ld >= max(1, cols) resp. max(1, rows). False if neither fits (a stride-0 or
 * stepped inner dim, overlapping rows): the operand is then copied. Strides of size-1 dims do not
 * matter. */
static bool blas_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs, bool *trans,
                        int64_t *ld)
{
    int64_t need_r = cols > 1 ? cols : 1, need_c = rows > 1 ? rows : 1;
    if (cols <= 1 || cs == 1) {
        if (rows <= 1 || rs >= need_r) {
            *trans = false;
            *ld = rows <= 1 ? need_r : rs;
            return *ld <= BLAS_MAX;
        }
    }
    if (rows <= 1 || rs == 1) {
        if (cols <= 1 || cs >= need_c) {
            *trans = true;
            *ld = cols <= 1 || l2__fault("blas_lda") ? need_c : cs; /* fault: padding lost */
            return *ld <= BLAS_MAX;
        }
    }
    return false;
}

/* The BLAS kernel: a and b must satisfy blas_layout and every size fit a BLAS integer.
 * M = N = 1 is a dot, N = 1 or M = 1 a gemv, the rest a gemm. */
static void gemm_blas(l2_dtype dt, int64_t M, int64_t N, int64_t K, double alpha, mat a, mat b,
                      double beta, char *c, int64_t ldc)
{
    bool ta, tb;
    int64_t lda, ldb;
    blas_layout(M, K, a.rs, a.cs, &ta, &lda);
    blas_layout(K, N, b.rs, b.cs, &tb, &ldb);
    /* Vector strides (logical): a's row, b's column; >= 1 whenever K > 1 by blas_layout. */
    blasint inca = K > 1 ? (blasint)a.cs : 1, incb = K > 1 ? (blasint)b.rs : 1;
    bool dbl = dt == L2_FLOAT64;
    if (M == 1 && N == 1) {
        double s = dbl ? cblas_ddot((blasint)K, (const double *)a.p, inca, (const double *)b.p,
                                    incb)
                       : cblas_sdot((blasint)K, (const float *)a.p, inca, (const float *)b.p,
                                    incb);
        if (dbl)
            *(double *)c = beta == 0 ? alpha * s : beta * *(double *)c + alpha * s;
        else
            *(float *)c = (float)(beta == 0 ? alpha * s : beta * *(float *)c + alpha * s);
    } else if (N == 1) {
        /* c[:, 0] = beta c[:, 0] + alpha A b[:, 0]: A stored (M,K) row-major or (K,M) if ta. */
        enum CBLAS_TRANSPOSE t = ta ? CblasTrans : CblasNoTrans;
        blasint r = (blasint)(ta ? K : M), q = (blasint)(ta ? M : K);
        if (dbl)
            cblas_dgemv(CblasRowMajor, t, r, q, alpha, (const double *)a.p, (blasint)lda,
                        (const double *)b.p, incb, beta, (double *)c, (blasint)ldc);
        else
            cblas_sgemv(CblasRowMajor, t, r, q, (float)alpha, (const float *)a.p, (blasint)lda,
                        (const float *)b.p, incb, (float)beta, (float *)c, (blasint)ldc);
    } else if (M == 1) {
        /* c[0, :] = beta c[0, :] + alpha B^T a[0, :]: B stored (K,N) or (N,K) if tb. */
        enum CBLAS_TRANSPOSE t = tb ? CblasNoTrans : CblasTrans;
        blasint r = (blasint)(tb ? N : K), q = (blasint)(tb ? K : N);
        if (dbl)
            cblas_dgemv(CblasRowMajor, t, r, q, alpha, (const double *)b.p, (blasint)ldb,
                        (const double *)a.p, inca, beta, (double *)c, 1);
        else
            cblas_sgemv(CblasRowMajor, t, r, q, (float)alpha, (const float *)b.p, (blasint)ldb,
                        (const float *)a.p, inca, (float)beta, (float *)c, 1);
    } else {
        enum CBLAS_TRANSPOSE tA = ta ? CblasTrans : CblasNoTrans;
        enum CBLAS_TRANSPOSE tB = tb ? CblasTrans : CblasNoTrans;
        if (dbl)
            cblas_dgemm(CblasRowMajor, tA, tB, (blasint)M, (blasint)N, (blasint)K, alpha,
                        (const double *)a.p, (blasint)lda, (const double *)b.p, (blasint)ldb,
                        beta, (double *)c, (blasint)ldc);
        else if (!l2__sgemm_wanted(M, N, K) || /* gemm (issue 12): own kernel, any strides */
                 !l2__sgemm(M, N, K, (float)alpha, (const float *)a.p, a.rs, a.cs,
                            (const float *)b.p, b.rs, b.cs, (float)beta, (float *)c, ldc))
            cblas_sgemm(CblasRowMajor, tA, tB, (blasint)M, (blasint)N, (blasint)K, (float)alpha,
                        (const float *)a.p, (blasint)lda, (const float *)b.p, (blasint)ldb,
                        (float)beta, (float *)c, (blasint)ldc);
    }
}

/* Multiply every element of the contiguous tensor t by s in place. */
void l2__linalg_scale(l2_tensor *t, double s)
{
    int64_t n = l2__numel(t->ndim, t->shape);
    if (s == 1 || n == 0)
        return;
    switch (t->dtype) {
    case L2_FLOAT32: {
        float *p = (float *)l2__data(t);
        for (int64_t i = 0; i < n; i++)
            p[i] = (float)(s * p[i]);
        break;
    }
    case L2_FLOAT64: {
        double *p = (double *)l2__data(t);
        for (int64_t i = 0; i < n; i++)
            p[i] *= s;
        break;
    }
    case L2_INT64: {
        int64_t *p = (int64_t *)l2__data(t), k = (int64_t)s;
        for (int64_t i = 0; i < n; i++)
            p[i] = l2__wmul(p[i], k);
        break;
    }
    default: break;
    }
}

/* ---- the batched product driver ---------------------------------------------------------- */

/* A view of t broadcast to (ndim, shape) (t's shape must broadcast to it without changing it):
 * stride 0 on the new and size-1 dims. NULL on out-of-memory. */
static l2_tensor *broadcast_view(const l2_tensor *t, int ndim, const int64_t *shape)
{
    int64_t st[L2_MAX_DIMS];
    for (int i = 0; i < ndim; i++) {
        int j = i - (ndim - t->ndim);
        st[i] = (j < 0 || t->shape[j] == 1) ? 0 : t->stride[j];
    }
    return l2__alias(t, ndim, shape, st, t->offset);
}

/* True when t's shape broadcasts to (ndim, shape) without changing it. */
bool l2__linalg_broadcasts_to(const l2_tensor *t, int ndim, const int64_t *shape)
{
    if (t->ndim > ndim)
        return false;
    for (int j = 0; j < t->ndim; j++) {
        int64_t s = shape[j + ndim - t->ndim];
        if (t->shape[j] != 1 && t->shape[j] != s)
            return false;
    }
    return true;
}

/* A contiguous copy of t (counted for the tests), or NULL on out-of-memory. */
static l2_tensor *copy_operand(const char *op, const l2_tensor *t)
{
    l2_tensor *r = l2__new(op, t->ndim, t->shape, t->dtype, false);
    if (r) {
        l2__copy_kernel(r, t);
        n_copies++;
    }
    return r;
}

/* The product out = beta * c + alpha * (a @ b) over broadcast batch dims, without autograd.
 * a: (Ba..., M, K), b: (Bb..., K, N), both of rank >= 2, one dtype (float32, float64 or int64),
 * K equal and Ba, Bb broadcastable to Bo (the caller has checked all this). The result is a new
 * contiguous tensor of shape (out_ndim, out_shape), whose numel is |Bo| * M * N (the caller drops
 * dims promoted from 1-d operands). c is NULL or broadcasts to out_shape; it is not read when
 * beta is 0. Returns NULL (error set) only on out-of-memory. */
l2_tensor *l2__linalg_product(const char *op, const l2_tensor *a, const l2_tensor *b,
                              const l2_tensor *c, double beta, double alpha, int out_ndim,
                              const int64_t *out_shape)
{
    l2_dtype dt = a->dtype;
    int na = a->ndim, nbm = b->ndim;
    int64_t M = a->shape[na - 2], K = a->shape[na - 1], N = b->shape[nbm - 1];
    int nb = (na > nbm ? na : nbm) - 2;
    int64_t bshape[L2_MAX_DIMS], nbatch = 1;
    for (int i = 0; i < nb; i++) {
        int ia = i - (nb - (na - 2)), ib = i - (nb - (nbm - 2));
        int64_t sa = ia >= 0 ? a->shape[ia] : 1, sb = ib >= 0 ? b->shape[ib] : 1;
        bshape[i] = sa == 1 ? sb : sa;
        nbatch = l2__mul_sat(nbatch, bshape[i]);
    }
    if (!c)
        beta = 0;
    /* Not zeroed: with beta 0 the kernels overwrite every element (K == 0 is zeroed below). */
    l2_tensor *out = l2__new(op, out_ndim, out_shape, dt, false);
    if (!out)
        return NULL;
    if (beta != 0) {
        l2_tensor *cv = broadcast_view(c, out_ndim, out_shape);
        if (!cv) {
            l2_tensor_release(out);
            return NULL;
        }
        l2__copy_kernel(out, cv);
        l2_tensor_release(cv);
    }
    if (nbatch == 0 || M == 0 || N == 0)
        return out;
    if (K == 0 || alpha == 0) { /* a @ b is zero (or ignored, as BLAS does for alpha 0) */
        if (beta == 0)
            memset(l2__data(out), 0, (size_t)l2__numel(out_ndim, out_shape) * l2__esize(dt));
        else
            l2__linalg_scale(out, beta);
        return out;
    }

    /* BLAS or the reference loops; operands BLAS cannot read in place are copied once. */
    bool ref = use_reference || dt == L2_INT64 || M > BLAS_MAX || N > BLAS_MAX || K > BLAS_MAX;
    l2_tensor *ac = NULL, *bc = NULL;
    bool tr;
    int64_t ld;
    if (!ref && !blas_layout(M, K, a->stride[na - 2], a->stride[na - 1], &tr, &ld)) {
        if (!(ac = copy_operand(op, a)))
            goto fail;
        a = ac;
    }
    if (!ref && !blas_layout(K, N, b->stride[nbm - 2], b->stride[nbm - 1], &tr, &ld)) {
        if (!(bc = copy_operand(op, b)))
            goto fail;
        b = bc;
    }

    /* Batch strides in elements, 0 where an operand is broadcast. */
    int64_t sa[L2_MAX_DIMS], sb[L2_MAX_DIMS];
    bool b_shared = true;
    for (int i = 0; i < nb; i++) {
        int ia = i - (nb - (na - 2)), ib = i - (nb - (nbm - 2));
        sa[i] = (ia >= 0 && a->shape[ia] != 1) ? a->stride[ia] : 0;
        sb[i] = (ib >= 0 && b->shape[ib] != 1) ? b->stride[ib] : 0;
        if (bshape[i] > 1 && sb[i] != 0)
            b_shared = false;
    }
    mat ma = {l2__data(a), a->stride[na - 2], a->stride[na - 1]};
    mat mb = {l2__data(b), b->stride[nbm - 2], b->stride[nbm - 1]};
    int64_t rows = M, batches = nbatch;

    /* When every batch uses the same b and a's batch rows are evenly spaced, the batch folds into
     * M: one (|B| * M, K) @ (K, N) product (out is contiguous, so its rows follow suit). */
    if (b_shared && nbatch > 1) {
        int64_t rs = ma.rs, expect = -1;
        bool fold = true;
        if (M > 1)
            expect = rs * M;
        for (int i = nb - 1; i >= 0 && fold; i--) {
            if (bshape[i] == 1)
                continue;
            if (expect < 0) { /* M == 1: the innermost batch stride becomes the row stride */
                rs = sa[i];
                expect = rs;
            }
            fold = sa[i] == expect;
            expect = l2__mul_sat(expect, bshape[i]);
        }
        int64_t rows_f = nbatch * M;
        if (fold && (ref || (rows_f <= BLAS_MAX && blas_layout(rows_f, K, rs, ma.cs, &tr, &ld)))) {
            ma.rs = rs;
            rows = rows_f;
            batches = 1;
        }
    }

    size_t es = l2__esize(dt);
    char *cbase = l2__data(out);
    for (int64_t t = 0; t < batches; t++) {
        int64_t oa = 0, ob = 0, rem = t;
        for (int i = nb - 1; i >= 0 && batches > 1; i--) {
            int64_t idx = rem % bshape[i];
            rem /= bshape[i];
            oa += idx * sa[i];
            ob += idx * sb[i];
        }
        mat at = {ma.p + oa * (int64_t)es, ma.rs, ma.cs};
        mat bt = {mb.p + ob * (int64_t)es, mb.rs, mb.cs};
        char *ct = cbase + t * M * N * (int64_t)es;
        if (ref)
            gemm_ref(dt, rows, N, K, alpha, at, bt, beta, ct, N);
        else
            gemm_blas(dt, rows, N, K, alpha, at, bt, beta, ct, N);
    }
    l2_tensor_release(ac);
    l2_tensor_release(bc);
    return out;
fail:
    l2_tensor_release(ac);
    l2_tensor_release(bc);
    l2_tensor_release(out);
    return NULL;
}
