/* index-cg.c: the differentiable backwards (create_graph, issue 15) of the indexing ops of
 * index.c (index_select, gather, scatter_add, embedding), index2.c (take), index3.c and index4.c
 * (index_fill, index_copy, index_add, masked_select, masked_scatter) and scatter.c (scatter,
 * scatter_value): the same derivatives as their backward, with recorded public ops. All are
 * linear in the gradient; the saved tensors they read are the (int64) index or the (bool) mask,
 * which carry no gradient (n->saved[0] directly). As in the plain backwards, a gradient with no
 * elements never reads an index (torch does not check it then). */
#include "../autograd-impl.h"
#include "cg-scratch.h"

static bool wants(const l2__node *n, int i)
{
    return l2__edge_of(n, i);
}

/* zeros of input i's shape in g's dtype (no history: a constant). */
static l2_tensor *zeros_in(const l2__node *n, int i, const l2_tensor *g)
{
    return l2_zeros(n->in_ndim[i], n->in_shape[i], g->dtype);
}

/* t (smaller or equal in every dim) padded with zeros after its end to (ndim, shape), with
 * recorded cats; a new reference. */
static l2_tensor *pad_to(const l2_tensor *t, int ndim, const int64_t *shape)
{
    l2_tensor *cur = l2_tensor_ref((l2_tensor *)t);
    for (int d = 0; cur && d < ndim; d++) {
        if (cur->shape[d] == shape[d])
            continue;
        int64_t zs[L2_MAX_DIMS];
        for (int k = 0; k < ndim; k++)
            zs[k] = cur->shape[k];
        zs[d] = shape[d] - cur->shape[d];
        l2_tensor *z = l2_zeros(ndim, zs, t->dtype);
        l2_tensor *parts[2] = {cur, z};
        l2_tensor *next = z ? l2_cat(2, parts, d) : NULL;
        l2_tensor_release(z);
        l2_tensor_release(cur);
        cur = next;
    }
    return cur;
}

/* ---- index.c ----------------------------------------------------------------------------- */

/* dx = zeros(x).index_add(dim, index, dy). Node: saved[0] index (1-d), i[0] dim. */
l2_status l2__index_select_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    l2_tensor *z = zeros_in(n, 0, gout);
    gin[0] = z ? l2_index_add(z, (int)n->i[0], n->saved[0], gout, 1.0) : NULL;
    l2_tensor_release(z);
    return gin[0] ? L2_OK : l2_last_status();
}

/* dweight = zeros(weight).index_add(0, indices.flatten(), dy.reshape(-1, D)). */
l2_status l2__embedding_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const l2_tensor *idx = n->saved[0];
    int64_t m = l2_numel(idx), rows[2] = {m, n->in_shape[0][1]};
    l2_tensor *z = zeros_in(n, 0, gout);
    l2_tensor *fi = z ? l2_reshape(idx, 1, &m) : NULL;
    l2_tensor *g2 = fi ? l2_reshape(gout, 2, rows) : NULL;
    gin[0] = g2 ? l2_index_add(z, 0, fi, g2, 1.0) : NULL;
    l2_tensor_release(g2);
    l2_tensor_release(fi);
    l2_tensor_release(z);
    return gin[0] ? L2_OK : l2_last_status();
}

/* dx = zeros(x).scatter_add(dim, index, dy). Node: saved[0] index, i[0] dim. */
l2_status l2__gather_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    l2_tensor *z = zeros_in(n, 0, gout);
    gin[0] = z ? l2_scatter_add(z, (int)n->i[0], n->saved[0], gout) : NULL;
    l2_tensor_release(z);
    return gin[0] ? L2_OK : l2_last_status();
}

/* dy.gather(dim, index) in zeros of input i's shape (scatter's and scatter_add's dsrc). */
static l2_tensor *gathered(l2__node *n, const l2_tensor *gout, int i)
{
    l2_tensor *g = l2_gather(gout, (int)n->i[0], n->saved[0]);
    l2_tensor *r = g ? pad_to(g, n->in_ndim[i], n->in_shape[i]) : NULL;
    l2_tensor_release(g);
    return r;
}

/* dt = dy, dsrc = dy.gather(dim, index). */
l2_status l2__scatter_add_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    if (wants(n, 0) && !(gin[0] = l2_tensor_ref((l2_tensor *)gout)))
        return L2_ERR_NOMEM;
    if (wants(n, 1) && !(gin[1] = gathered(n, gout, 1)))
        return l2_last_status();
    return L2_OK;
}

/* ---- index2.c: take ---------------------------------------------------------------------- */

/* dx = zeros(numel).index_add(0, index.flatten(), dy.flatten()).reshape(x's shape); the saved
 * index holds non-negative flat positions. */
l2_status l2__take_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int64_t m = l2_numel(n->saved[0]), numel = 1;
    for (int d = 0; d < n->in_ndim[0]; d++)
        numel *= n->in_shape[0][d]; /* the input's numel fits */
    l2_tensor *z = l2_zeros(1, &numel, gout->dtype);
    l2_tensor *fi = z ? l2_reshape(n->saved[0], 1, &m) : NULL;
    l2_tensor *fg = fi ? l2_reshape(gout, 1, &m) : NULL;
    l2_tensor *s = fg ? l2_index_add(z, 0, fi, fg, 1.0) : NULL;
    gin[0] = s ? l2_reshape(s, n->in_ndim[0], n->in_shape[0]) : NULL;
    l2_tensor_release(s);
    l2_tensor_release(fg);
    l2_tensor_release(fi);
    l2_tensor_release(z);
    return gin[0] ? L2_OK : l2_last_status();
}

/* ---- index3.c / index4.c ----------------------------------------------------------------- */

/* dy with the slices index (along i[0]) zeroed; dy itself when it has no elements. */
static l2_tensor *rows_zeroed(l2__node *n, const l2_tensor *gout)
{
    if (l2_numel(gout) == 0)
        return l2_tensor_ref((l2_tensor *)gout);
    return l2_index_fill(gout, (int)n->i[0], n->saved[0], 0.0);
}

/* alpha dy.index_select(dim, index) (index_copy's and index_add's dsource). */
static l2_tensor *rows_selected(l2__node *n, const l2_tensor *gout, double alpha)
{
    if (l2_numel(gout) == 0)
        return cg_zeros_of_empty(gout, n->in_ndim[1], n->in_shape[1]);
    l2_tensor *s = l2_index_select(gout, (int)n->i[0], n->saved[0]);
    if (!s || alpha == 1.0)
        return s;
    l2_tensor *r = l2_mul_scalar(s, alpha);
    l2_tensor_release(s);
    return r;
}

/* index_fill: dt = dy with the filled slices zeroed (the value is a constant). */
l2_status l2__index_fill_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    gin[0] = rows_zeroed(n, gout);
    return gin[0] ? L2_OK : l2_last_status();
}

/* index_copy: dt = dy with the copied slices zeroed, dsource = dy.index_select(dim, index). */
l2_status l2__index_copy_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    if (wants(n, 0) && !(gin[0] = rows_zeroed(n, gout)))
        return l2_last_status();
    if (wants(n, 1) && !(gin[1] = rows_selected(n, gout, 1.0)))
        return l2_last_status();
    return L2_OK;
}

/* index_add: dt = dy, dsource = alpha dy.index_select(dim, index). Node: f[0] alpha. */
l2_status l2__index_add_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    if (wants(n, 0) && !(gin[0] = l2_tensor_ref((l2_tensor *)gout)))
        return L2_ERR_NOMEM;
    if (wants(n, 1) && !(gin[1] = rows_selected(n, gout, n->f[0])))
        return l2_last_status();
    return L2_OK;
}

/* masked_select: dt = zeros(broadcast shape).masked_scatter(mask, dy) (summed to t's shape by
 * the engine). Node: saved[0] the broadcast mask. */
l2_status l2__masked_select_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const l2_tensor *mb = n->saved[0];
    l2_tensor *z = l2_zeros(mb->ndim, mb->shape, gout->dtype);
    gin[0] = z ? l2_masked_scatter(z, mb, gout) : NULL;
    l2_tensor_release(z);
    return gin[0] ? L2_OK : l2_last_status();
}

/* masked_scatter: dt = dy with the true positions zeroed; dsource = zeros of source's shape
 * with its first count(mask) elements dy.masked_select(mask). */
l2_status l2__masked_scatter_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const l2_tensor *mb = n->saved[0];
    if (wants(n, 0) && !(gin[0] = l2_masked_fill(gout, mb, 0.0)))
        return l2_last_status();
    if (wants(n, 1)) {
        int64_t m = 1;
        for (int d = 0; d < n->in_ndim[1]; d++)
            m *= n->in_shape[1][d]; /* source's numel fits */
        l2_tensor *s = l2_masked_select(gout, mb);
        l2_tensor *f = s ? pad_to(s, 1, &m) : NULL;
        gin[1] = f ? l2_reshape(f, n->in_ndim[1], n->in_shape[1]) : NULL;
        l2_tensor_release(f);
        l2_tensor_release(s);
        if (!gin[1])
            return l2_last_status();
    }
    return L2_OK;
}

/* ---- scatter.c --------------------------------------------------------------------------- */

/* dy with the scattered positions zeroed. Node: saved[0] index, i[0] dim. */
static l2_tensor *scattered_zeroed(l2__node *n, const l2_tensor *gout)
{
    if (l2_numel(n->saved[0]) == 0)
        return l2_tensor_ref((l2_tensor *)gout);
    return l2_scatter_value(gout, (int)n->i[0], n->saved[0], 0.0);
}

/* scatter: dt = dy.scatter(dim, index, 0), dsrc = dy.gather(dim, index). */
l2_status l2__scatter_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    if (wants(n, 0) && !(gin[0] = scattered_zeroed(n, gout)))
        return l2_last_status();
    if (wants(n, 1) && !(gin[1] = gathered(n, gout, 1)))
        return l2_last_status();
    return L2_OK;
}

/* scatter_value: dt = dy.scatter(dim, index, 0) (the value is a constant). */
l2_status l2__scatter_value_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    gin[0] = scattered_zeroed(n, gout);
    return gin[0] ? L2_OK : l2_last_status();
}
