/* view-cg.c: the differentiable backwards (create_graph, issue 15) of the view and copy ops of
 * view.c and copy.c (permute, slice, select, clone, to_dtype, cat, copy_) and of the shape
 * family's diagonal (shape-diag.c): the same derivatives as their backward, with recorded public
 * ops. Every one is linear in the gradient, so none reads a saved tensor: slice, select and
 * diagonal write the gradient into zeros of the input's shape with l2_index_copy (recorded;
 * its own derivative in the gradient is index_select: torch's slice_backward, select_backward
 * and diagonal_backward differentiate to slice, select and diagonal). */
#include "../autograd-impl.h"
#include "cg-scratch.h"

/* dx = dy.permute(inverse) (already recorded). */
l2_status l2__permute_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return l2__permute_backward(n, gout, gin);
}

/* zeros(n's input shape) with slices pos, pos + step, ... (len of them) along dim d replaced by
 * the slices of g (g has the input's shape with len at d): a recorded index_copy. */
static l2_tensor *scatter_slices(l2__node *n, const l2_tensor *g, int d, int64_t pos,
                                 int64_t step, int64_t len)
{
    if (len == 0 || l2_numel(g) == 0)
        return cg_zeros_of_empty(g, n->in_ndim[0], n->in_shape[0]);
    l2_tensor *z = l2_zeros(n->in_ndim[0], n->in_shape[0], g->dtype);
    if (!z)
        return NULL;
    l2_tensor *idx = l2_arange((double)pos, (double)pos + (double)step * (double)len,
                               (double)step, L2_INT64);
    l2_tensor *r = idx ? l2_index_copy(z, d, idx, g) : NULL;
    l2_tensor_release(idx);
    l2_tensor_release(z);
    return r;
}

/* dx = zeros with dx[start:stop:step] (along dim) = dy. Node: i[0] dim, i[1] start, i[2] stop,
 * i[3] step (view.c, clamped to the input's size). */
l2_status l2__slice_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int d = (int)n->i[0];
    gin[0] = scatter_slices(n, gout, d, n->i[1], n->i[3], gout->shape[d]);
    return gin[0] ? L2_OK : l2_last_status();
}

/* dx = zeros with dx.select(dim, index) = dy. Node: i[0] dim, i[1] index (non-negative). */
l2_status l2__select_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int d = (int)n->i[0];
    l2_tensor *u = l2_unsqueeze(gout, d);
    gin[0] = u ? scatter_slices(n, u, d, n->i[1], 1, 1) : NULL;
    l2_tensor_release(u);
    return gin[0] ? L2_OK : l2_last_status();
}

/* clone and to_dtype: dx = dy (the engine casts it to x's dtype, recorded). */
l2_status l2__clone_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    (void)n;
    gin[0] = l2_tensor_ref((l2_tensor *)gout);
    return L2_OK;
}

l2_status l2__to_dtype_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return l2__to_dtype_backward(n, gout, gin);
}

/* cat: input k's gradient is dy narrowed to its columns (already recorded; the empty 1-d inputs
 * torch skips get a new empty tensor, which has no history to carry). */
l2_status l2__cat_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return l2__cat_backward(n, gout, gin);
}

/* copy_(dst, src): dsrc = dy (summed and cast by the engine), d(dst's old value) = 0 (a new
 * zero tensor: its derivative in dy is 0). */
l2_status l2__copy__backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return l2__copy__backward(n, gout, gin);
}

/* diagonal(x, offset, d1, d2): dx = zeros with that diagonal = dy. x's dims other than d1, d2
 * (in order) then d1 and d2 flattened into one: the diagonal is at positions
 * (k + r0) s2 + (k + c0), k < L, of that last dim (r0 = max(-offset, 0), c0 = max(offset, 0)),
 * written with a recorded index_copy, then reshaped and permuted back. Node: i[0] offset, i[1]
 * d1, i[2] d2 (shape-diag.c, wrapped). */
l2_status l2__diagonal_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int nd = n->in_ndim[0], d1 = (int)n->i[1], d2 = (int)n->i[2];
    const int64_t *sh = n->in_shape[0];
    int64_t off = n->i[0], s1 = sh[d1], s2 = sh[d2];
    int64_t r0 = off < 0 ? -off : 0, c0 = off > 0 ? off : 0;
    int64_t L = gout->shape[gout->ndim - 1];
    int64_t flat[L2_MAX_DIMS], full[L2_MAX_DIMS];
    int perm[L2_MAX_DIMS], k = 0;
    for (int d = 0; d < nd; d++) {
        if (d == d1 || d == d2)
            continue;
        perm[d] = k;
        flat[k] = full[k] = sh[d];
        k++;
    }
    perm[d1] = k;
    perm[d2] = k + 1;
    full[k] = s1;
    full[k + 1] = s2;
    l2_tensor *z = NULL, *y = NULL, *r = NULL;
    if (L > 0 && l2_numel(gout) > 0) {
        flat[k] = s1 * s2; /* a non-empty input's numel fits: so does this */
        if (!(z = l2_zeros(k + 1, flat, gout->dtype)))
            return l2_last_status();
        double start = (double)(r0 * s2 + c0), step = (double)(s2 + 1);
        l2_tensor *idx = l2_arange(start, start + step * (double)L, step, L2_INT64);
        y = idx ? l2_index_copy(z, k, idx, gout) : NULL;
        l2_tensor_release(idx);
        l2_tensor_release(z);
        r = y ? l2_reshape(y, k + 2, full) : NULL;
        l2_tensor_release(y);
    } else {
        r = cg_zeros_of_empty(gout, k + 2, full);
    }
    gin[0] = r ? l2_permute(r, perm) : NULL;
    l2_tensor_release(r);
    return gin[0] ? L2_OK : l2_last_status();
}
