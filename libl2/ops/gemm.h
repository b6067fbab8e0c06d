/* gemm.h: libl2's own float32 matrix product (gemm.c), used by linalg.c and conv2d.c in place of
 * cblas_sgemm when l2__sgemm_wanted says so (policy: L2_GEMM, l2_debug_gemm in l2.h). */
#ifndef L2_GEMM_H
#define L2_GEMM_H

#include "../l2-impl.h"

/* c = alpha * (a @ b) + beta * c with BLAS semantics: a: (M,K) with element (i,k) at
 * a[i * ars + k * acs], b: (K,N) with element (k,j) at b[k * brs + j * bcs] (any strides, so a
 * transposed or stepped operand needs no copy), c: (M,N) row-major with row stride ldc. When beta
 * is 0, c is only written (NaN in it is ignored). M, N, K >= 1. Float32 accumulation over K in
 * blocks of L2__SGEMM_KC; each element of c is computed by one thread in the same order, so the
 * result does not depend on the thread count. Returns false, with c untouched and no error set,
 * when its packing workspace (about 330 KiB per thread) cannot be allocated: the caller then
 * takes BLAS. */
/* With N below a micro-tile's width and M at least one, the transposed product is computed
 * into a scratch and written back (the same contract). */
bool l2__sgemm(int64_t M, int64_t N, int64_t K, float alpha, const float *a, int64_t ars,
               int64_t acs, const float *b, int64_t brs, int64_t bcs, float beta, float *c,
               int64_t ldc);

/* Whether a float32 (M,K) @ (K,N) product (M, N > 1) should take l2__sgemm instead of BLAS under
 * the current policy (L2_GEMM / l2_debug_gemm). */
bool l2__sgemm_wanted(int64_t M, int64_t N, int64_t K);

#endif /* L2_GEMM_H */
