/* linalg-svd-cg.c: the differentiable backwards (create_graph, issue 15) of linalg_svd (and so
 * of linalg_svdvals, whose gradient goes through the same node) and linalg_pinv
 * (linalg-svd.c): torch 1.13's svd_backward and pinv_backward written with recorded public ops
 * (l2_matmul, l2_div, l2_mul, transposes, ...) over the saved results attached to their graphs
 * (l2__saved_graph): the packed SVD result P (U, S, Vh) is the node's own output, pinv saves A
 * and its result A+. Their second derivatives are those of the formulas, as torch's. */
#define CG_MAX_TMP 64
#include "cg-scratch.h"
#include "linalg-impl.h"

#include <string.h>

static l2_tensor *mT(const l2_tensor *t)
{
    return l2_transpose(t, -2, -1);
}

/* X - X^T over the last two dims (kept in s). */
static l2_tensor *skew(cg_scratch *s, const l2_tensor *X)
{
    l2_tensor *Xt = cg_keep(s, mT(X));
    return Xt ? cg_keep(s, l2_sub(X, Xt)) : NULL;
}

/* A zero gradient of shape (ndim, shape), numel 0, recorded from gout (an empty view of it), so
 * that it requires grad when gout does, as torch's formulas' results on empty matrices. */
l2_tensor *l2__la_empty_grad(const l2_tensor *gout, int ndim, const int64_t *shape)
{
    l2_tensor *f = l2_flatten(gout, 0, -1);
    l2_tensor *e = f ? l2_narrow(f, 0, 0, 0) : NULL;
    l2_tensor *r = e ? l2_reshape(e, ndim, shape) : NULL;
    l2_tensor_release(f);
    l2_tensor_release(e);
    return r;
}

static l2_status zero_grad(const l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return (gin[0] = l2__la_empty_grad(gout, n->in_ndim[0], n->in_shape[0])) ? L2_OK
                                                                              : l2_last_status();
}

/* Whether gout's elements [off, off + len) of each of its B rows of per are not all zero:
 * torch's "defined" for gU / gVh (a gradient reached the result somewhere in the batch). */
static bool any_nonzero(const l2_tensor *g64, int64_t B, int64_t per, int64_t off, int64_t len)
{
    const double *g = (const double *)l2__data(g64);
    for (int64_t b = 0; b < B; b++)
        for (int64_t i = 0; i < len; i++)
            if (g[b * per + off + i] != 0)
                return true;
    return false;
}

/* The packed result P (*, M MU + K + KV N) of linalg_svd / svdvals, the node's own output
 * (saved 0), i[] = M, N, MU, KV. torch 1.13's svd_backward (real case) on U: (M, K), S: (K),
 * Vh: (K, N) (full matrices narrowed to their first K columns / rows, as torch's
 * derivatives.yaml does), with skew(X) = X - X^T, E_ij = S_j^2 - S_i^2 (E_ii = 1):
 *   no gradient reached U or Vh (all zero, torch's undefined: svdvals): gA = U diag(gS) Vh;
 *   otherwise R = (skew(U^T gU) S_j + S_i skew(Vh gVh^T)) / E + diag(gS) (a term only when its
 *   gradient reached it, in torch's order of operations), and
 *     M > N with gU: gA = (U R + gU / S_j - U (U^T (gU / S_j))) Vh,
 *     M < N with gVh: gA = U (R Vh + gVh / S_i - ((gVh / S_i) Vh^T) Vh),
 *     else gA = U R Vh.
 * Whether U / Vh got a gradient is read from gout's values, as the plain backward does. */
l2_status l2__linalg_svd_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "linalg_svd_backward";
    int64_t m = n->i[0], nc = n->i[1], mu = n->i[2], kv = n->i[3], k = m < nc ? m : nc;
    int nd = n->out_ndim; /* P: (*, per); the matrices: nd + 1 dims */
    if (k == 0)
        return zero_grad(n, gout, gin);
    int64_t per = n->out_shape[nd - 1], B = 1;
    for (int d = 0; d < nd - 1; d++)
        B *= n->out_shape[d];
    l2_tensor *g64 = l2__convert(op, gout, L2_FLOAT64, true);
    if (!g64)
        return l2_last_status();
    bool hu = any_nonzero(g64, B, per, 0, m * mu);
    bool hv = any_nonzero(g64, B, per, m * mu + k, kv * nc);
    l2_tensor_release(g64);
    cg_scratch S = {.n = 0, .st = L2_OK};
    l2_tensor *P = CG(l2__saved_graph(n, 0));
    l2_tensor *Uf = CG(l2__la_piece(P, 0, m, mu));
    l2_tensor *U = mu == k ? Uf : CG(l2_narrow(Uf, nd, 0, k));
    l2_tensor *Sv = CG(l2_narrow(P, nd - 1, m * mu, k));
    l2_tensor *Vf = CG(l2__la_piece(P, m * mu + k, kv, nc));
    l2_tensor *Vh = kv == k ? Vf : CG(l2_narrow(Vf, nd - 1, 0, k));
    l2_tensor *gUf = CG(l2__la_piece(gout, 0, m, mu));
    l2_tensor *gU = mu == k ? gUf : CG(l2_narrow(gUf, nd, 0, k));
    l2_tensor *gS = CG(l2_narrow(gout, nd - 1, m * mu, k));
    l2_tensor *gVf = CG(l2__la_piece(gout, m * mu + k, kv, nc));
    l2_tensor *gVh = kv == k ? gVf : CG(l2_narrow(gVf, nd - 1, 0, k));
    l2_tensor *gSr = CG(l2_unsqueeze(gS, -2)); /* gS_j along a row */
    l2_tensor *G = NULL;
    if (!hu && !hv) { /* U diag(gS) Vh */
        l2_tensor *UgS = CG(l2_mul(U, gSr));
        G = CG(l2_matmul(UgS, Vh));
        return cg_finish(&S, G, gin);
    }
    l2_tensor *Sj = CG(l2_unsqueeze(Sv, -2)), *Si = CG(l2_unsqueeze(Sv, -1));
    l2_tensor *S2 = CG(l2_mul(Sv, Sv));
    l2_tensor *S2j = CG(l2_unsqueeze(S2, -2)), *S2i = CG(l2_unsqueeze(S2, -1));
    l2_tensor *E0 = CG(l2_sub(S2j, S2i));
    l2_tensor *eye = CG(l2_eye(k, k, gout->dtype));
    l2_tensor *E = CG(l2_add(E0, eye));
    l2_tensor *Uh = CG(mT(U)), *R = NULL;
    l2_tensor *UhgU = NULL, *VhgV = NULL;
    if (hu) {
        l2_tensor *X = CG(l2_matmul(Uh, gU));
        UhgU = X ? skew(&S, X) : NULL;
    }
    if (hv) {
        l2_tensor *gV = CG(mT(gVh));
        l2_tensor *X = CG(l2_matmul(Vh, gV));
        VhgV = X ? skew(&S, X) : NULL;
    }
    if (hu && hv) {
        l2_tensor *a = CG(l2_mul(UhgU, Sj)), *b = CG(l2_mul(Si, VhgV));
        l2_tensor *ab = CG(l2_add(a, b));
        R = CG(l2_div(ab, E));
    } else if (hu) {
        l2_tensor *a = CG(l2_div(UhgU, E));
        R = CG(l2_mul(a, Sj));
    } else {
        l2_tensor *b = CG(l2_div(VhgV, E));
        R = CG(l2_mul(Si, b));
    }
    l2_tensor *D = CG(l2_mul(gSr, eye)); /* diag(gS) */
    R = CG(l2_add(R, D));
    if (m > nc && hu) {
        l2_tensor *UR = CG(l2_matmul(U, R));
        l2_tensor *W = CG(l2_div(gU, Sj));
        l2_tensor *UhW = CG(l2_matmul(Uh, W));
        l2_tensor *UUhW = CG(l2_matmul(U, UhW));
        l2_tensor *T1 = CG(l2_add(UR, W));
        l2_tensor *T2 = CG(l2_sub(T1, UUhW));
        G = CG(l2_matmul(T2, Vh));
    } else if (m < nc && hv) {
        l2_tensor *RV = CG(l2_matmul(R, Vh));
        l2_tensor *W = CG(l2_div(gVh, Si));
        l2_tensor *V = CG(mT(Vh));
        l2_tensor *WV = CG(l2_matmul(W, V));
        l2_tensor *WVV = CG(l2_matmul(WV, Vh));
        l2_tensor *T1 = CG(l2_add(RV, W));
        l2_tensor *T2 = CG(l2_sub(T1, WVV));
        G = CG(l2_matmul(U, T2));
    } else {
        l2_tensor *RV = CG(l2_matmul(R, Vh));
        G = CG(l2_matmul(U, RV));
    }
    return cg_finish(&S, G, gin);
}

/* A+ = pinv(A): saved A (0) and A+ (1, the node's own output); G: (*, N, M). torch 1.13's
 * pinv_backward over recorded ops, with X = A+:
 *   M <= N: K = G^T X, gA = -(X K)^T + K X^T - (A X) (K X^T) + (X^T X) (G^T - K A)
 *   M >  N: K = X G^T, gA = -(K X)^T + ((G^T - A K) X) X^T + X^T K - ((X^T K) X) A */
l2_status l2__linalg_pinv_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int nd = n->in_ndim[0];
    int64_t m = n->in_shape[0][nd - 2], nc = n->in_shape[0][nd - 1];
    if (m == 0 || nc == 0)
        return zero_grad(n, gout, gin);
    cg_scratch S = {.n = 0, .st = L2_OK};
    l2_tensor *A = CG(l2__saved_graph(n, 0));
    l2_tensor *X = CG(l2__saved_graph(n, 1));
    l2_tensor *Xh = CG(mT(X)), *Gh = CG(mT(gout)), *r = NULL;
    if (m <= nc) {
        l2_tensor *K = CG(l2_matmul(Gh, X));
        l2_tensor *KXh = CG(l2_matmul(K, Xh));
        l2_tensor *XK = CG(l2_matmul(X, K));
        l2_tensor *t1 = CG(mT(XK));
        l2_tensor *AX = CG(l2_matmul(A, X));
        l2_tensor *t3 = CG(l2_matmul(AX, KXh));
        l2_tensor *XhX = CG(l2_matmul(Xh, X));
        l2_tensor *KA = CG(l2_matmul(K, A));
        l2_tensor *GKA = CG(l2_sub(Gh, KA));
        l2_tensor *t4 = CG(l2_matmul(XhX, GKA));
        l2_tensor *s1 = CG(l2_sub(KXh, t1));
        l2_tensor *s2 = CG(l2_sub(s1, t3));
        r = CG(l2_add(s2, t4));
    } else {
        l2_tensor *K = CG(l2_matmul(X, Gh));
        l2_tensor *XhK = CG(l2_matmul(Xh, K));
        l2_tensor *KX = CG(l2_matmul(K, X));
        l2_tensor *t1 = CG(mT(KX));
        l2_tensor *AK = CG(l2_matmul(A, K));
        l2_tensor *GAK = CG(l2_sub(Gh, AK));
        l2_tensor *GX = CG(l2_matmul(GAK, X));
        l2_tensor *t2 = CG(l2_matmul(GX, Xh));
        l2_tensor *XhKX = CG(l2_matmul(XhK, X));
        l2_tensor *t4 = CG(l2_matmul(XhKX, A));
        l2_tensor *s1 = CG(l2_sub(t2, t1));
        l2_tensor *s2 = CG(l2_add(s1, XhK));
        r = CG(l2_sub(s2, t4));
    }
    return cg_finish(&S, r, gin);
}
