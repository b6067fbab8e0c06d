/* lapack.h: the Fortran LAPACK routines libl2 calls, as OpenBLAS's libopenblas.so.0 exports them
 * (Debian ships no lapacke header). Column-major matrices, every argument by pointer, 32-bit
 * int sizes (LP64 OpenBLAS), status in info (0 success, < 0 a bad argument, > 0 the routine's
 * own condition, e.g. getrf's exactly zero pivot U(info, info)). Character arguments carry
 * gfortran's hidden length argument at the end. The solvers (linalg-solve.c, linalg-cholesky.c)
 * and the decompositions (linalg-decomp.c, linalg-svd.c; lwork = -1 asks for the workspace size
 * in work[0]).
 * Internal, never installed. */
#ifndef L2_LAPACK_H
#define L2_LAPACK_H

#include <stddef.h>

/* LU factorization with partial pivoting: A = P L U, in place; ipiv 1-based row swaps. */
void sgetrf_(const int *m, const int *n, float *a, const int *lda, int *ipiv, int *info);
void dgetrf_(const int *m, const int *n, double *a, const int *lda, int *ipiv, int *info);
/* Solve A X = B (trans "N") or A^T X = B (trans "T") with getrf's factors; B overwritten. */
void sgetrs_(const char *trans, const int *n, const int *nrhs, const float *a, const int *lda,
             const int *ipiv, float *b, const int *ldb, int *info, size_t trans_len);
void dgetrs_(const char *trans, const int *n, const int *nrhs, const double *a, const int *lda,
             const int *ipiv, double *b, const int *ldb, int *info, size_t trans_len);

/* Cholesky factorization A = L L^T (uplo "L") of a symmetric positive-definite matrix, in place
 * in the lower triangle (the upper one is not touched); info > 0: the leading minor of order
 * info is not positive-definite. */
void spotrf_(const char *uplo, const int *n, float *a, const int *lda, int *info,
             size_t uplo_len);
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info,
             size_t uplo_len);

/* Solve A X = B with potrf's factor of A (uplo "L": A = L L^T, "U": A = U^T U), read from that
 * triangle of a only; B (n x nrhs) overwritten with X (linalg-lstsq.c: cholesky_solve). */
void spotrs_(const char *uplo, const int *n, const int *nrhs, const float *a, const int *lda,
             float *b, const int *ldb, int *info, size_t uplo_len);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda,
             double *b, const int *ldb, int *info, size_t uplo_len);

/* Least squares min ||A X - B|| by complete orthogonal factorization with column pivoting
 * (linalg-lstsq.c): A (m x n) overwritten, B (ldb x nrhs, ldb >= max(m, n)) overwritten with X
 * in its first n rows; jpvt (n, zero on entry: every column free), rcond, rank out. */
void sgelsy_(const int *m, const int *n, const int *nrhs, float *a, const int *lda, float *b,
             const int *ldb, int *jpvt, const float *rcond, int *rank, float *work,
             const int *lwork, int *info);
void dgelsy_(const int *m, const int *n, const int *nrhs, double *a, const int *lda, double *b,
             const int *ldb, int *jpvt, const double *rcond, int *rank, double *work,
             const int *lwork, int *info);

/* ---- decompositions (linalg-decomp.c) ---- */

typedef int l2__lapack_int;

/* QR factorisation A = Q R: R in the upper triangle, Householder reflectors below it and tau. */
void sgeqrf_(const l2__lapack_int *m, const l2__lapack_int *n, float *a, const l2__lapack_int *lda,
             float *tau, float *work, const l2__lapack_int *lwork, l2__lapack_int *info);
void dgeqrf_(const l2__lapack_int *m, const l2__lapack_int *n, double *a,
             const l2__lapack_int *lda, double *tau, double *work, const l2__lapack_int *lwork,
             l2__lapack_int *info);
/* The first n columns of Q (m x n, m >= n >= k) from k reflectors of geqrf. */
void sorgqr_(const l2__lapack_int *m, const l2__lapack_int *n, const l2__lapack_int *k, float *a,
             const l2__lapack_int *lda, const float *tau, float *work,
             const l2__lapack_int *lwork, l2__lapack_int *info);
void dorgqr_(const l2__lapack_int *m, const l2__lapack_int *n, const l2__lapack_int *k, double *a,
             const l2__lapack_int *lda, const double *tau, double *work,
             const l2__lapack_int *lwork, l2__lapack_int *info);

/* Eigenvalues (ascending, w) and, for jobz "V", eigenvectors (overwriting a) of a symmetric
 * matrix from the triangle uplo, by divide and conquer; iwork/liwork: the integer workspace.
 * The trailing lengths are gfortran's hidden string lengths (1 each). */
void ssyevd_(const char *jobz, const char *uplo, const l2__lapack_int *n, float *a,
             const l2__lapack_int *lda, float *w, float *work, const l2__lapack_int *lwork,
             l2__lapack_int *iwork, const l2__lapack_int *liwork, l2__lapack_int *info,
             size_t jobz_len, size_t uplo_len);
void dsyevd_(const char *jobz, const char *uplo, const l2__lapack_int *n, double *a,
             const l2__lapack_int *lda, double *w, double *work, const l2__lapack_int *lwork,
             l2__lapack_int *iwork, const l2__lapack_int *liwork, l2__lapack_int *info,
             size_t jobz_len, size_t uplo_len);

/* ---- singular value decomposition (linalg-svd.c) ---- */

/* A = U diag(s) VT by divide and conquer (a is destroyed): s the min(m, n) singular values in
 * descending order; jobz "A": all of U (m x m) and VT (n x n), "S": the first min(m, n) columns
 * of U and rows of VT, "N": s alone (u, vt not referenced). iwork: 8 min(m, n) integers.
 * info > 0: the iteration did not converge (NaN in a, with OpenBLAS's LAPACK). */
void sgesdd_(const char *jobz, const l2__lapack_int *m, const l2__lapack_int *n, float *a,
             const l2__lapack_int *lda, float *s, float *u, const l2__lapack_int *ldu, float *vt,
             const l2__lapack_int *ldvt, float *work, const l2__lapack_int *lwork,
             l2__lapack_int *iwork, l2__lapack_int *info, size_t jobz_len);
void dgesdd_(const char *jobz, const l2__lapack_int *m, const l2__lapack_int *n, double *a,
             const l2__lapack_int *lda, double *s, double *u, const l2__lapack_int *ldu,
             double *vt, const l2__lapack_int *ldvt, double *work, const l2__lapack_int *lwork,
             l2__lapack_int *iwork, l2__lapack_int *info, size_t jobz_len);

#endif /* L2_LAPACK_H */
