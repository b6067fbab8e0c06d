/* lapack-decomp.h: the Fortran LAPACK routines the decompositions call (libl2/ops/linalg-decomp.c),
 * as Debian's OpenBLAS exports them (libopenblas.so.0; no LAPACKE header there). Column-major,
 * every argument by pointer, 32-bit Fortran integers (OpenBLAS's LP64 build); lwork = -1 asks
 * for the workspace size in work[0]. Internal, never installed. */
#ifndef L2_LAPACK_DECOMP_H
#define L2_LAPACK_DECOMP_H

#include <stddef.h>

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

#endif /* L2_LAPACK_DECOMP_H */
