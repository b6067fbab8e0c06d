/* linalg-lsq-cg.c: torch 1.13's norm_backward for every order, composed of public ops (the
 * backward of linalg_vector_norm's own node and, recorded, the differentiable backwards of
 * linalg_vector_norm and norm), and the differentiable backwards (create_graph, issue 15) of
 * cholesky_solve and linalg_lstsq: their plain formulas (linalg-lstsq.c) run on the saved
 * tensors attached to their graphs (l2__saved_graph), so that torch's double backward, the
 * derivative of its backward formula, follows from the recorded ops. lstsq's is the
 * pseudo-inverse formula for a full-rank A (torch differentiates its SVD-based linalg_pinv: the
 * same function there; an exactly rank-deficient A fails as the plain backward does). */
#include "../autograd-impl.h"
#include "cg-scratch.h"
#include "linalg-impl.h"
#include "reduce-impl.h"

#include <math.h>
#include <string.h>

/* ---- norms ----------------------------------------------------------------------------------- */

/* torch 1.13's norm_backward, op for op (its double backward is the derivative of these ops; g
 * and the norm n carry the reduced dims kept, sgn(x) has a zero derivative):
 *   0:          no gradient;
 *   1:          sgn(x) g;
 *   2:          g (x / n).masked_fill(n == 0, 0);
 *   +-inf:      sgn(x) (g / count) mask, mask = (|x| == n) or isnan(|x|), count its sum over
 *               the reduced dims (ties share the gradient evenly);
 *   p < 1:      sgn(x) |x|^(p-1).masked_fill(x == 0, 0) g n^(1-p);
 *   1 < p < 2:  sgn(x) |x|^(p-1) (g / n^(p-1)).masked_fill(n == 0, 0);
 *   p > 2:      x |x|^(p-2) (g / n^(p-1)).masked_fill(n == 0, 0). */
l2_status l2__norm_grad(const l2_tensor *x, const l2_tensor *nv, const l2_tensor *gout, double p,
                        int nrd, const int *rd, bool keepdim, l2_tensor **gx)
{
    *gx = NULL;
    if (p == 0)
        return L2_OK;
    /* the keepdim shape of the result */
    int64_t ks[L2_MAX_DIMS];
    memcpy(ks, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    for (int k = 0; k < nrd; k++)
        ks[rd[k]] = 1;
    cg_scratch S = {.n = 0, .st = L2_OK};
    l2__enter();
    l2_tensor *g = CG(keepdim ? l2_tensor_ref((l2_tensor *)gout) : l2_reshape(gout, x->ndim, ks));
    l2_tensor *n = CG(keepdim ? l2_tensor_ref((l2_tensor *)nv) : l2_reshape(nv, x->ndim, ks));
    l2_tensor *r = NULL;
    if (p == 1) {
        r = CG(l2_mul(CG(l2_sign(x)), g));
    } else if (p == 2) {
        l2_tensor *q = CG(l2_div(x, n));
        r = CG(l2_mul(g, CG(l2_masked_fill(q, CG(l2_eq_scalar(n, 0)), 0))));
    } else if (isinf(p)) {
        l2_tensor *a = CG(l2_abs(x));
        l2_tensor *m = CG(l2_logical_or(CG(l2_eq(a, n)), CG(l2_ne(a, a))));
        l2_tensor *mf = CG(l2_to_dtype(m, x->dtype));
        l2_tensor *c = CG(l2_sum_dims(mf, nrd, rd, true));
        r = CG(l2_mul(CG(l2_sign(x)), CG(l2_mul(CG(l2_div(g, c)), mf))));
    } else if (p < 1) {
        l2_tensor *a = CG(l2_pow_scalar(CG(l2_abs(x)), p - 1));
        l2_tensor *s = CG(l2_mul(CG(l2_sign(x)), CG(l2_masked_fill(a, CG(l2_eq_scalar(x, 0)), 0))));
        r = CG(l2_mul(CG(l2_mul(s, g)), CG(l2_pow_scalar(n, 1 - p))));
    } else {
        l2_tensor *a = CG(l2_pow_scalar(CG(l2_abs(x)), p < 2 ? p - 1 : p - 2));
        l2_tensor *s = CG(l2_mul(CG(p < 2 ? l2_sign(x) : l2_tensor_ref((l2_tensor *)x)), a));
        l2_tensor *v = CG(l2_div(g, CG(l2_pow_scalar(n, p - 1))));
        r = CG(l2_mul(s, CG(l2_masked_fill(v, CG(l2_eq_scalar(n, 0)), 0))));
    }
    l2__leave();
    return cg_finish(&S, r, gx);
}

/* linalg_vector_norm's node (orders 0, -inf and below 0): saved x (0) and the norm (1, the
 * node's output); f[0] the order, i[0] keepdim, i[1] the count of reduced dims, i[2...] them. */
static l2_status vn_grad(l2__node *nd, const l2_tensor *x, const l2_tensor *nv,
                         const l2_tensor *gout, l2_tensor **gin)
{
    int nrd = (int)nd->i[1], rd[L2_MAX_DIMS];
    for (int k = 0; k < nrd; k++)
        rd[k] = (int)nd->i[2 + k];
    return l2__norm_grad(x, nv, gout, nd->f[0], nrd, rd, nd->i[0] != 0, &gin[0]);
}

l2_status l2__linalg_vector_norm_backward(l2__node *nd, const l2_tensor *gout, l2_tensor **gin)
{
    return vn_grad(nd, nd->saved[0], nd->saved[1], gout, gin);
}

/* The saved tensors 0 and 1 of nd attached to their graphs (NULL: error set). */
static bool saved2(l2__node *nd, l2_tensor **a, l2_tensor **b)
{
    *a = l2__saved_graph(nd, 0);
    *b = *a ? l2__saved_graph(nd, 1) : NULL;
    if (*b)
        return true;
    l2_tensor_release(*a);
    *a = NULL;
    return false;
}

l2_status l2__linalg_vector_norm_backward_cg(l2__node *nd, const l2_tensor *gout,
                                             l2_tensor **gin)
{
    l2_tensor *x, *nv;
    if (!saved2(nd, &x, &nv))
        return l2_last_status();
    l2_status st = vn_grad(nd, x, nv, gout, gin);
    l2_tensor_release(x);
    l2_tensor_release(nv);
    return st;
}

/* norm (reduce-stats.c, p > 0): saved x (0) and the norm (1, the node's output), f[0] = p, the
 * reduced dims in the node's rdims. */
l2_status l2__norm_backward_cg(l2__node *nd, const l2_tensor *gout, l2_tensor **gin)
{
    rdims rdm;
    l2__node_rdims(nd, &rdm);
    int rd[L2_MAX_DIMS], nrd = 0;
    for (int d = 0; d < rdm.ndim; d++)
        if (rdm.red[d])
            rd[nrd++] = d;
    l2_tensor *x, *nv;
    if (!saved2(nd, &x, &nv))
        return l2_last_status();
    l2_status st = l2__norm_grad(x, nv, gout, nd->f[0], nrd, rd, rdm.keepdim, &gin[0]);
    l2_tensor_release(x);
    l2_tensor_release(nv);
    return st;
}

/* ---- cholesky_solve, lstsq ------------------------------------------------------------------- */

/* X = cholesky_solve(B, L): saved L (0) and X (1, the node's output); i[0] upper. */
l2_status l2__cholesky_solve_backward_cg(l2__node *nd, const l2_tensor *gout, l2_tensor **gin)
{
    l2_tensor *L, *X;
    if (!saved2(nd, &L, &X))
        return l2_last_status();
    l2_status st = l2__cholesky_solve_grad(L, X, gout, nd->i[0] != 0, l2__edge_of(nd, 0),
                                           l2__edge_of(nd, 1), gin);
    l2_tensor_release(L);
    l2_tensor_release(X);
    return st;
}

/* X = lstsq(A, B): saved A (0), B (1) and X (2, the node's output); i[0] B a batch of vectors. */
l2_status l2__linalg_lstsq_backward_cg(l2__node *nd, const l2_tensor *gout, l2_tensor **gin)
{
    l2_tensor *A, *B, *X = NULL;
    if (!saved2(nd, &A, &B) || !(X = l2__saved_graph(nd, 2))) {
        if (A) {
            l2_tensor_release(A);
            l2_tensor_release(B);
        }
        return l2_last_status();
    }
    l2_status st = l2__linalg_lstsq_grad(A, B, X, gout, nd->i[0] != 0, l2__edge_of(nd, 0),
                                         l2__edge_of(nd, 1), gin);
    l2_tensor_release(A);
    l2_tensor_release(B);
    l2_tensor_release(X);
    return st;
}
