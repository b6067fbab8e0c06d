/* linalg-la-cg.c: the differentiable backwards (create_graph, issue 15) of the LAPACK solvers
 * (linalg-solve.c, linalg-cholesky.c) and of eigh (linalg-decomp.c): torch 1.13's formulas in
 * its grad-mode form (the one it differentiates again: solves recomputed from A rather than
 * from saved LU factors), written
 * with recorded public ops (l2_linalg_solve, l2_linalg_inv, l2_matmul, ...) over the saved A and
 * outputs attached to their graphs (l2__saved_graph):
 *   solve     X = A^{-1} B: gB = solve(A^T, gX), gA = -gB X^T;
 *   inv       Y = A^{-1}: gA = -Y^T gY Y^T;
 *   det       d = det A: gA = (g d) A^{-T} (d the attached output);
 *   slogdet   l = log|det A|: gA = g A^{-T};
 *   cholesky  A = L L^T: P = L^T gL, Phi = tril(P) with its diagonal halved,
 *             gA = sym(L^{-T} Phi L^{-1}).
 * Differences from torch: det of an exactly singular matrix (a zero pivot) fails the create_graph
 * backward with L2_ERR_AUTOGRAD (torch 1.13 switches to an SVD formula below |det| < 100 eps;
 * libl2 has no differentiable SVD here); slogdet of a singular matrix fails as torch's solve
 * does. */
#include "../autograd-impl.h"
#include "linalg-impl.h"

#include <stdio.h>
#include <string.h>

/* Temporaries of one backward, released together. */
typedef struct {
    l2_tensor *t[48]; /* more than any backward here keeps */
    int n;
} tmps;

static l2_tensor *keep(tmps *k, l2_tensor *t)
{
    if (t)
        k->t[k->n++] = t;
    return t;
}

static l2_status drop(tmps *k, l2_status st)
{
    for (int i = 0; i < k->n; i++)
        l2_tensor_release(k->t[i]);
    k->n = 0;
    return st;
}

static l2_tensor *mT(const l2_tensor *t)
{
    return l2_transpose(t, -2, -1);
}

/* X = solve(A, B): saved A (0) and X (1); i[0]: B a batch of vectors. */
l2_status l2__linalg_solve_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    bool vec = n->i[0] != 0;
    tmps k = {.n = 0};
    l2_tensor *A = keep(&k, l2__saved_graph(n, 0));
    l2_tensor *At = A ? keep(&k, mT(A)) : NULL;
    /* vectors as one-column matrices, so that the batch dims broadcast as matrices */
    l2_tensor *gx = At ? keep(&k, vec ? l2_unsqueeze(gout, -1) : l2_tensor_ref((l2_tensor *)gout))
                       : NULL;
    l2_tensor *gb = gx ? keep(&k, l2_linalg_solve(At, gx)) : NULL;
    if (!gb)
        return drop(&k, l2_last_status());
    if (l2__edge_of(n, 0)) {
        l2_tensor *X = keep(&k, l2__saved_graph(n, 1));
        l2_tensor *xm = X ? keep(&k, vec ? l2_unsqueeze(X, -1) : l2_tensor_ref(X)) : NULL;
        l2_tensor *xt = xm ? keep(&k, mT(xm)) : NULL;
        l2_tensor *p = xt ? keep(&k, l2_matmul(gb, xt)) : NULL;
        if (!p || !(gin[0] = l2_neg(p)))
            return drop(&k, l2_last_status());
    }
    if (l2__edge_of(n, 1) && !(gin[1] = vec ? l2_squeeze_dim(gb, -1) : l2_tensor_ref(gb)))
        return drop(&k, l2_last_status());
    return drop(&k, L2_OK);
}

/* Y = inv(A): saved Y (0), the node's own output. */
l2_status l2__linalg_inv_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    tmps k = {.n = 0};
    l2_tensor *Y = keep(&k, l2__saved_graph(n, 0));
    l2_tensor *yt = Y ? keep(&k, mT(Y)) : NULL;
    l2_tensor *p = yt ? keep(&k, l2_matmul(yt, gout)) : NULL;
    l2_tensor *q = p ? keep(&k, l2_matmul(p, yt)) : NULL;
    if (!q || !(gin[0] = l2_neg(q)))
        return drop(&k, l2_last_status());
    return drop(&k, L2_OK);
}

/* c A^{-T} with c (batch-shaped) broadcast over each matrix; what names the op in the singular
 * case's message (NULL: the inverse's own error stands). */
static l2_tensor *scaled_inv_t(tmps *k, const l2_tensor *A, const l2_tensor *c, const char *what)
{
    l2_tensor *inv = keep(k, l2_linalg_inv(A));
    if (!inv) {
        if (what && l2_last_status() == L2_ERR_ARG) {
            char why[256];
            snprintf(why, sizeof why, "%s", l2_last_error());
            l2__fail(L2_ERR_AUTOGRAD, "backward: create_graph: the second derivative of %s at a "
                     "singular matrix is not supported yet (torch 1.13 uses an SVD there): %s",
                     what, why);
        }
        return NULL;
    }
    l2_tensor *it = keep(k, mT(inv));
    l2_tensor *c1 = it ? keep(k, l2_unsqueeze(c, -1)) : NULL;
    l2_tensor *c2 = c1 ? keep(k, l2_unsqueeze(c1, -1)) : NULL;
    return c2 ? l2_mul(it, c2) : NULL;
}

/* d = det(A): saved A (0) and d (1, the node's output). */
l2_status l2__linalg_det_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    /* 0x0 matrices: no gradient, as the plain backward (torch 1.13: None) */
    if (n->in_shape[0][n->in_ndim[0] - 1] == 0)
        return L2_OK;
    tmps k = {.n = 0};
    l2_tensor *A = keep(&k, l2__saved_graph(n, 0));
    l2_tensor *d = A ? keep(&k, l2__saved_graph(n, 1)) : NULL;
    l2_tensor *c = d ? keep(&k, l2_mul(gout, d)) : NULL;
    if (!c || !(gin[0] = scaled_inv_t(&k, A, c, "linalg_det")))
        return drop(&k, l2_last_status());
    return drop(&k, L2_OK);
}

/* logabsdet = log|det A|: saved A (0). */
l2_status l2__linalg_slogdet_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    tmps k = {.n = 0};
    l2_tensor *A = keep(&k, l2__saved_graph(n, 0));
    if (!A || !(gin[0] = scaled_inv_t(&k, A, gout, NULL)))
        return drop(&k, l2_last_status());
    return drop(&k, L2_OK);
}

/* A = L L^T (or U^T U when i[0]): saved the factor (0, the node's output). */
l2_status l2__linalg_cholesky_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    bool upper = n->i[0] != 0;
    int64_t m = n->out_shape[n->out_ndim - 1];
    tmps k = {.n = 0};
    l2_tensor *F = keep(&k, l2__saved_graph(n, 0));
    l2_tensor *L = F ? keep(&k, upper ? mT(F) : l2_tensor_ref(F)) : NULL;
    l2_tensor *gL = L ? keep(&k, upper ? mT(gout) : l2_tensor_ref((l2_tensor *)gout)) : NULL;
    l2_tensor *Lt = gL ? keep(&k, mT(L)) : NULL;
    l2_tensor *P = Lt ? keep(&k, l2_matmul(Lt, gL)) : NULL;
    l2_tensor *low = P ? keep(&k, l2_tril(P, -1)) : NULL;
    l2_tensor *eye = low ? keep(&k, l2_eye(m, m, F->dtype)) : NULL;
    l2_tensor *dg = eye ? keep(&k, l2_mul(P, eye)) : NULL;
    l2_tensor *hd = dg ? keep(&k, l2_mul_scalar(dg, 0.5)) : NULL;
    l2_tensor *phi = hd ? keep(&k, l2_add(low, hd)) : NULL;
    l2_tensor *li = phi ? keep(&k, l2_linalg_inv(L)) : NULL;
    l2_tensor *lit = li ? keep(&k, mT(li)) : NULL;
    l2_tensor *p = lit ? keep(&k, l2_matmul(lit, phi)) : NULL;
    l2_tensor *q = p ? keep(&k, l2_matmul(p, li)) : NULL;
    l2_tensor *qt = q ? keep(&k, mT(q)) : NULL;
    l2_tensor *s = qt ? keep(&k, l2_add(q, qt)) : NULL;
    if (!s || !(gin[0] = l2_mul_scalar(s, 0.5)))
        return drop(&k, l2_last_status());
    return drop(&k, L2_OK);
}

/* ---- eigh (linalg-decomp.c) ---------------------------------------------------------------- */

/* The packed result P (*, N + N N) of eigh / eigvalsh: L = P[..., :N], V = P[..., N:] as (*, N,
 * N), P the node's own output (saved 0), i[0] = N. torch 1.13's linalg_eig_backward (real
 * symmetric case) over recorded ops:
 *   S = (V^T gV - gV^T V) / 2,  E_ij = L_j - L_i (1 on the diagonal),
 *   gA = V (S / E + diag(gL)) V^T;
 * a matrix whose gV is zero (eigvalsh, or only L used) takes torch's shortcut V diag(gL) V^T
 * (its E is replaced by ones: S is 0 there), finite for repeated eigenvalues. */
l2_status l2__linalg_eigh_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "linalg_eigh_backward";
    int64_t m = n->i[0];
    int nd = n->out_ndim; /* P: (*, N + N N); the matrices: nd + 1 dims */
    int64_t vs[L2_MAX_DIMS], zs[L2_MAX_DIMS], nb = 1;
    for (int d = 0; d < nd - 1; d++) {
        vs[d] = zs[d] = n->out_shape[d];
        nb *= vs[d];
    }
    vs[nd - 1] = m, vs[nd] = m;
    zs[nd - 1] = 1, zs[nd] = 1;
    tmps k = {.n = 0};
    /* per matrix: 1 when its gV is not all zero (a constant) */
    l2_tensor *gc = keep(&k, l2__convert(op, gout, L2_FLOAT64, true));
    l2_tensor *z = gc ? keep(&k, l2__new(op, nd + 1, zs, gout->dtype, false)) : NULL;
    if (!z)
        return drop(&k, l2_last_status());
    for (int64_t b = 0; b < nb; b++) {
        const double *gv = (const double *)l2__data(gc) + b * (m + m * m) + m;
        bool any = false;
        for (int64_t i = 0; i < m * m && !any; i++)
            any = gv[i] != 0;
        if (gout->dtype == L2_FLOAT32)
            ((float *)l2__data(z))[b] = any ? 1.0f : 0.0f;
        else
            ((double *)l2__data(z))[b] = any ? 1.0 : 0.0;
    }
    l2_tensor *P = keep(&k, l2__saved_graph(n, 0));
    l2_tensor *L = P ? keep(&k, l2_narrow(P, nd - 1, 0, m)) : NULL;
    l2_tensor *Vf = L ? keep(&k, l2_narrow(P, nd - 1, m, m * m)) : NULL;
    l2_tensor *V = Vf ? keep(&k, l2_reshape(Vf, nd + 1, vs)) : NULL;
    l2_tensor *gL = V ? keep(&k, l2_narrow(gout, nd - 1, 0, m)) : NULL;
    l2_tensor *gVf = gL ? keep(&k, l2_narrow(gout, nd - 1, m, m * m)) : NULL;
    l2_tensor *gV = gVf ? keep(&k, l2_reshape(gVf, nd + 1, vs)) : NULL;
    l2_tensor *Vt = gV ? keep(&k, mT(V)) : NULL;
    l2_tensor *M = Vt ? keep(&k, l2_matmul(Vt, gV)) : NULL;
    l2_tensor *Mt = M ? keep(&k, mT(M)) : NULL;
    l2_tensor *Md = Mt ? keep(&k, l2_sub(M, Mt)) : NULL;
    l2_tensor *S = Md ? keep(&k, l2_mul_scalar(Md, 0.5)) : NULL;
    l2_tensor *Lr = S ? keep(&k, l2_unsqueeze(L, -2)) : NULL; /* L_j */
    l2_tensor *Lc = Lr ? keep(&k, l2_unsqueeze(L, -1)) : NULL; /* L_i */
    l2_tensor *E = Lc ? keep(&k, l2_sub(Lr, Lc)) : NULL;
    l2_tensor *eye = E ? keep(&k, l2_eye(m, m, gout->dtype)) : NULL;
    l2_tensor *E1 = eye ? keep(&k, l2_add(E, eye)) : NULL;
    /* E z + (1 - z): ones for a matrix without gV */
    l2_tensor *Ez = E1 ? keep(&k, l2_mul(E1, z)) : NULL;
    l2_tensor *zn = Ez ? keep(&k, l2_neg(z)) : NULL;
    l2_tensor *one = zn ? keep(&k, l2_scalar(1.0, gout->dtype)) : NULL;
    l2_tensor *z1 = one ? keep(&k, l2_add(zn, one)) : NULL;
    l2_tensor *Ef = z1 ? keep(&k, l2_add(Ez, z1)) : NULL;
    l2_tensor *K0 = Ef ? keep(&k, l2_div(S, Ef)) : NULL;
    l2_tensor *gLr = K0 ? keep(&k, l2_unsqueeze(gL, -2)) : NULL;
    l2_tensor *D = gLr ? keep(&k, l2_mul(gLr, eye)) : NULL; /* diag(gL) */
    l2_tensor *K = D ? keep(&k, l2_add(K0, D)) : NULL;
    l2_tensor *VK = K ? keep(&k, l2_matmul(V, K)) : NULL;
    if (!VK || !(gin[0] = l2_matmul(VK, Vt)))
        return drop(&k, l2_last_status());
    return drop(&k, L2_OK);
}

/* ---- qr (linalg-decomp.c) ------------------------------------------------------------------ */

/* The packed result P (*, M K + K N) of linalg_qr: Q = P[..., :M K] as (*, M, K) and
 * R = P[..., M K:] as (*, K, N) in every mode with a gradient (K = min(M, N)), P the node's own
 * output (saved 0), i[0] the mode, i[1] = M, i[2] = N. torch 1.13's linalg_qr_backward (real
 * case) over recorded ops, with MH = gR R^T - Q^T gQ:
 *   M >= N: gA = (gQ + Q syminvadj(triu(MH))) R^{-T}, syminvadj(T) = T + T^T, diagonal halved
 *           (= triu(MH) + triu(MH, 1)^T);
 *   M <  N: gA = [Q tril(MH^T - MH) R1^{-T}, 0] + Q gR, R1 = R[..., :M];
 * X R^{-T} as solve(triu(R), X^T)^T: torch's solve_triangular, whose gradient of R is
 * upper triangular, as triu's is (a general solve's full one differs only by rounding once
 * pushed back through the QR node, but torch's exact zeros would not be). Modes 'r' and
 * 'complete' with M > N fail as the plain backward (torch raises). An empty A: a zero gradient
 * recorded from gout (torch's, from its formula, requires grad too). */
l2_status l2__linalg_qr_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int64_t m = n->i[1], nc = n->i[2], k = m < nc ? m : nc;
    l2_status st = l2__la_qr_grad_check((int)n->i[0], m, nc);
    if (st != L2_OK)
        return st;
    int nd = n->out_ndim; /* P: (*, per); A: nd + 1 dims */
    int64_t as[L2_MAX_DIMS];
    memcpy(as, n->out_shape, (size_t)(nd - 1) * sizeof *as);
    as[nd - 1] = m, as[nd] = nc;
    if (k == 0)
        return (gin[0] = l2__la_empty_grad(gout, nd + 1, as)) ? L2_OK : l2_last_status();
    tmps t = {.n = 0};
    l2_tensor *P = keep(&t, l2__saved_graph(n, 0));
    l2_tensor *Q = P ? keep(&t, l2__la_piece(P, 0, m, k)) : NULL;
    l2_tensor *R = Q ? keep(&t, l2__la_piece(P, m * k, k, nc)) : NULL;
    l2_tensor *gQ = R ? keep(&t, l2__la_piece(gout, 0, m, k)) : NULL;
    l2_tensor *gR = gQ ? keep(&t, l2__la_piece(gout, m * k, k, nc)) : NULL;
    l2_tensor *Rt = gR ? keep(&t, mT(R)) : NULL;
    l2_tensor *Qt = Rt ? keep(&t, mT(Q)) : NULL;
    l2_tensor *a1 = Qt ? keep(&t, l2_matmul(gR, Rt)) : NULL;
    l2_tensor *a2 = a1 ? keep(&t, l2_matmul(Qt, gQ)) : NULL;
    l2_tensor *MH = a2 ? keep(&t, l2_sub(a1, a2)) : NULL;
    l2_tensor *Y = NULL, *R1 = NULL;
    if (MH && m >= nc) {
        l2_tensor *up = keep(&t, l2_triu(MH, 0));
        l2_tensor *su = up ? keep(&t, l2_triu(MH, 1)) : NULL;
        l2_tensor *sut = su ? keep(&t, mT(su)) : NULL;
        l2_tensor *S = sut ? keep(&t, l2_add(up, sut)) : NULL;
        l2_tensor *QS = S ? keep(&t, l2_matmul(Q, S)) : NULL;
        Y = QS ? keep(&t, l2_add(gQ, QS)) : NULL;
        R1 = Y ? keep(&t, l2_triu(R, 0)) : NULL;
    } else if (MH) {
        l2_tensor *MHt = keep(&t, mT(MH));
        l2_tensor *W = MHt ? keep(&t, l2_sub(MHt, MH)) : NULL;
        l2_tensor *Z = W ? keep(&t, l2_tril(W, 0)) : NULL;
        Y = Z ? keep(&t, l2_matmul(Q, Z)) : NULL;
        l2_tensor *Rn = Y ? keep(&t, l2_narrow(R, nd, 0, m)) : NULL;
        R1 = Rn ? keep(&t, l2_triu(Rn, 0)) : NULL;
    }
    /* X = Y R1^{-T} = solve(R1, Y^T)^T */
    l2_tensor *Yt = R1 ? keep(&t, mT(Y)) : NULL;
    l2_tensor *Xt = Yt ? keep(&t, l2_linalg_solve(R1, Yt)) : NULL;
    l2_tensor *X = Xt ? keep(&t, mT(Xt)) : NULL;
    if (!X)
        return drop(&t, l2_last_status());
    if (m >= nc) {
        gin[0] = l2_tensor_ref(X);
        return drop(&t, L2_OK);
    }
    int64_t zs[L2_MAX_DIMS];
    memcpy(zs, as, (size_t)(nd + 1) * sizeof *zs);
    zs[nd] = nc - m;
    l2_tensor *z = keep(&t, l2_zeros(nd + 1, zs, X->dtype));
    l2_tensor *XZ = z ? keep(&t, l2_cat(2, (l2_tensor *[]){X, z}, nd)) : NULL;
    l2_tensor *QgR = XZ ? keep(&t, l2_matmul(Q, gR)) : NULL;
    if (!QgR || !(gin[0] = l2_add(XZ, QgR)))
        return drop(&t, l2_last_status());
    return drop(&t, L2_OK);
}
