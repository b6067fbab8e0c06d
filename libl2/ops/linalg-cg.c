/* linalg-cg.c: the differentiable backwards (create_graph, issue 15) of the matrix products of
 * linalg.c (matmul, mm, bmm, mv, dot, outer, addmm, linear): the same derivatives as their
 * backward, computed with recorded public ops (l2_matmul, l2_transpose, l2_unsqueeze, ...) from
 * the saved operands attached to their graphs (l2__saved_graph), so a gradient can be
 * differentiated again. Each reads a saved operand only when the gradient that needs it is
 * wanted (the other may be a geometry-only stand-in, l2__record_save_needed).
 *
 * Dimension letters: M rows of a, K the contracted dim, N columns of b. */
#include "../autograd-impl.h"
#include "cg-scratch.h"

/* The last two dims of t swapped (recorded view). */
static l2_tensor *mT(const l2_tensor *t)
{
    return l2_transpose(t, -2, -1);
}

/* The gradients of C = A @ B in any of matmul's cases (A = saved 0, B = saved 1), recorded:
 *     dA = dC @ B^T,   dB = A^T @ dC
 * on the promoted (batch..., M, K) @ (batch..., K, N) forms: a 1-d A gets a leading 1 (M = 1),
 * a 1-d B a trailing 1 (N = 1), dC the matching size-1 dims; the promoted dims are squeezed out
 * of the results again and the engine sums broadcast batch dims (recorded). When B is 2-d and A
 * batched, dB is one product over the folded batch: A as (|batch| M, K), dC as (|batch| M, N). */
static l2_status matmul_grads_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    bool need_a = l2__edge_of(n, 0), need_b = l2__edge_of(n, 1);
    l2_tensor *a = NULL, *b = NULL, *g = NULL, *t = NULL, *r = NULL;
    bool a1 = n->in_ndim[0] == 1, b1 = n->in_ndim[1] == 1;
    g = l2_tensor_ref((l2_tensor *)gout);
    if (a1)
        REPLACE(g, l2_unsqueeze(old_, b1 ? old_->ndim : old_->ndim - 1));
    if (b1)
        REPLACE(g, l2_unsqueeze(old_, old_->ndim));
    if (!g)
        goto fail;
    if (need_a) { /* dA = dC @ B^T: (batch..., M, K) */
        if (!(b = l2__saved_graph(n, 1)))
            goto fail;
        if (b1)
            REPLACE(b, l2_unsqueeze(old_, 1));
        if (!b || !(t = mT(b)) || !(r = l2_matmul(g, t)))
            goto fail;
        if (a1)
            REPLACE(r, l2_squeeze_dim(old_, -2));
        if (!r)
            goto fail;
        gin[0] = r;
        r = NULL;
        l2_tensor_release(t);
        t = NULL;
    }
    if (need_b) { /* dB = A^T @ dC: (batch..., K, N) */
        if (!(a = l2__saved_graph(n, 0)))
            goto fail;
        if (a1)
            REPLACE(a, l2_unsqueeze(old_, 0));
        if (!a)
            goto fail;
        int bnd = b1 ? 2 : n->in_ndim[1];
        if (bnd == 2 && a->ndim > 2) {
            int64_t K = a->shape[a->ndim - 1], N = g->shape[g->ndim - 1];
            int64_t rows = l2__numel(a->ndim - 1, a->shape);
            REPLACE(a, l2_reshape(old_, L2_SHAPE(rows, K)));
            REPLACE(g, l2_reshape(old_, L2_SHAPE(rows, N)));
            if (!a || !g)
                goto fail;
        }
        if (!(t = mT(a)) || !(r = l2_matmul(t, g)))
            goto fail;
        if (b1)
            REPLACE(r, l2_squeeze_dim(old_, -1));
        if (!r)
            goto fail;
        gin[1] = r;
        r = NULL;
    }
    release_all((l2_tensor *[]){a, b, g, t}, 4);
    return L2_OK;
fail:
    release_all((l2_tensor *[]){a, b, g, t, r}, 5);
    return l2_last_status();
}

l2_status l2__matmul_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return matmul_grads_cg(n, gout, gin);
}

l2_status l2__mm_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return matmul_grads_cg(n, gout, gin);
}

l2_status l2__bmm_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return matmul_grads_cg(n, gout, gin);
}

l2_status l2__mv_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return matmul_grads_cg(n, gout, gin);
}

l2_status l2__dot_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return matmul_grads_cg(n, gout, gin);
}

/* Saved operand k of n in dtype dt (recorded cast when it differs). New reference or NULL. */
static l2_tensor *saved_as(l2__node *n, int k, l2_dtype dt)
{
    l2_tensor *s = l2__saved_graph(n, k);
    if (s && s->dtype != dt)
        REPLACE(s, l2_to_dtype(old_, dt));
    return s;
}

/* outer: C = a b^T (M, N):  da = dC @ b,  db = dC^T @ a (the operands cast to dC's dtype, as
 * the forward promoted them). */
l2_status l2__outer_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    if (l2__edge_of(n, 0)) {
        l2_tensor *b = saved_as(n, 1, gout->dtype);
        gin[0] = b ? l2_matmul(gout, b) : NULL;
        l2_tensor_release(b);
        if (!gin[0])
            return l2_last_status();
    }
    if (l2__edge_of(n, 1)) {
        l2_tensor *a = saved_as(n, 0, gout->dtype), *gt = a ? mT(gout) : NULL;
        gin[1] = gt ? l2_matmul(gt, a) : NULL;
        release_all((l2_tensor *[]){a, gt}, 2);
        if (!gin[1])
            return l2_last_status();
    }
    return L2_OK;
}

/* s * t recorded, or t itself (a new reference) when s is 1. */
static l2_tensor *scaled(const l2_tensor *t, double s)
{
    return s == 1 ? l2_tensor_ref((l2_tensor *)t) : l2_mul_scalar(t, s);
}

/* addmm: out = beta c + alpha a @ b:  dc = beta dC (the engine sums it to c's shape),
 * da = alpha dC @ b^T,  db = alpha a^T @ dC. */
l2_status l2__addmm_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    double beta = n->f[0], alpha = n->f[1];
    if (l2__edge_of(n, 0) && !(gin[0] = scaled(gout, beta)))
        return l2_last_status();
    l2_tensor *ga = NULL;
    if ((l2__edge_of(n, 1) || l2__edge_of(n, 2)) && !(ga = scaled(gout, alpha)))
        return l2_last_status();
    if (l2__edge_of(n, 1)) {
        l2_tensor *b = l2__saved_graph(n, 1), *bt = b ? mT(b) : NULL;
        gin[1] = bt ? l2_matmul(ga, bt) : NULL;
        release_all((l2_tensor *[]){b, bt}, 2);
        if (!gin[1])
            goto fail;
    }
    if (l2__edge_of(n, 2)) {
        l2_tensor *a = l2__saved_graph(n, 0), *at = a ? mT(a) : NULL;
        gin[2] = at ? l2_matmul(at, ga) : NULL;
        release_all((l2_tensor *[]){a, at}, 2);
        if (!gin[2])
            goto fail;
    }
    l2_tensor_release(ga);
    return L2_OK;
fail:
    l2_tensor_release(ga);
    return l2_last_status();
}

/* linear: y = x @ w^T + b:  dx = dy @ w,  dw = dy2^T @ x2 with dy2 = dy as (rows, out) and
 * x2 = x as (rows, in),  db = dy (summed to b's shape by the engine). */
l2_status l2__linear_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    if (l2__edge_of(n, 0)) {
        l2_tensor *w = l2__saved_graph(n, 1);
        gin[0] = w ? l2_matmul(gout, w) : NULL;
        l2_tensor_release(w);
        if (!gin[0])
            return l2_last_status();
    }
    if (l2__edge_of(n, 1)) {
        int64_t out = n->in_shape[1][0], in = n->in_shape[1][1];
        int64_t rows = l2__numel(n->in_ndim[0] - 1, n->in_shape[0]);
        l2_tensor *x = l2__saved_graph(n, 0);
        l2_tensor *x2 = x ? l2_reshape(x, L2_SHAPE(rows, in)) : NULL;
        l2_tensor *g2 = x2 ? l2_reshape(gout, L2_SHAPE(rows, out)) : NULL;
        l2_tensor *g2t = g2 ? mT(g2) : NULL;
        gin[1] = g2t ? l2_matmul(g2t, x2) : NULL;
        release_all((l2_tensor *[]){x, x2, g2, g2t}, 4);
        if (!gin[1])
            return l2_last_status();
    }
    if (l2__edge_of(n, 2) && !(gin[2] = l2_tensor_ref((l2_tensor *)gout)))
        return l2_last_status();
    return L2_OK;
}
