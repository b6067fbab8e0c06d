/* The singular value decomposition (libl2/ops/linalg-svd.c): its node sits on its packed result
 * (linalg_svd, and linalg_svdvals when a gradient is needed). */
#define L2__OPS_SVD(X) X(LINALG_SVD, linalg_svd, L2__SAVES)
