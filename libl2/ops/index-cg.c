/* index-cg.c: the differentiable backwards (create_graph, issue 15) of the indexing ops of
 * index.c (index_select, gather, scatter_add, embedding), index2.c (take), index3.c and index4.c
 * (index_fill, index_copy, index_add, masked_select, masked_scatter) and scatter.c (scatter,
 * scatter_value, scatter_reduce): the same derivatives as their backward, with recorded public
 * ops. All are linear in the gradient; the saved tensors they read are the (int64) index or
 * the (bool) mask, which carry no gradient (n->saved[0] directly), and scatter_reduce's t, src
 * (attached: l2__saved_graph; prod's gradients depend on them) and result. As in the plain
 * backwards, a gradient with no elements never reads an index (torch does not check it then). */
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

/* ---- scatter.c: scatter_reduce -------------------------------------------------------------- */

/* Release the n tensors of ts (NULLs allowed). */
static void drop_all(int n, l2_tensor **ts)
{
    for (int i = 0; i < n; i++)
        l2_tensor_release(ts[i]);
}

/* src (attached) cut to the index's shape (the elements the index reaches). */
static l2_tensor *src_reached(const l2_tensor *src, const l2_tensor *idx)
{
    l2_tensor *cur = l2_tensor_ref((l2_tensor *)src);
    for (int d = 0; cur && d < src->ndim && d < idx->ndim; d++)
        if (cur->shape[d] != idx->shape[d]) {
            l2_tensor *next = l2_narrow(cur, d, 0, idx->shape[d]);
            l2_tensor_release(cur);
            cur = next;
        }
    return cur;
}

/* (a == b) or (a == 0 when b is NULL) as a 0/1 tensor of dtype dt (a constant). */
static l2_tensor *eq_as(const l2_tensor *a, const l2_tensor *b, l2_dtype dt)
{
    l2_tensor *m = b ? l2_eq(a, b) : l2_eq_scalar(a, 0);
    l2_tensor *r = m ? l2_to_dtype(m, dt) : NULL;
    l2_tensor_release(m);
    return r;
}

/* torch 1.13's scatter_reduce_backward with recorded ops (I the saved index, S src cut to I's
 * shape, R the node's output, all comparisons constants):
 *   sum:  dt = dy, dS = dy.gather(I)
 *   mean: N = (include_self ? 1 : 0).scatter_add(I, 1), 0 read as 1; dt = dy / N,
 *         dS = dy.gather(I) / N.gather(I)
 *   amax, amin: M = (t == R) scatter_add(I, S == R.gather(I)); dt = (t == R) dy / M,
 *         dS = (S == R.gather(I)) (dy / M).gather(I)
 *   prod: t' = t with zeros as 1; dt = dy scatter_reduce(t', I, S) / t'; Z = S == 0,
 *         one = Z where one zero of S reaches the position; dS = where(one, (dy
 *         scatter_reduce(t, I, S with one's zeros as 1)).gather(I), (dy R).gather(I) / (S
 *         with zeros as 1))
 * and without include_self dt is zeroed at I; dsrc is dS padded with zeros to src's shape.
 * prod with more than one zero of src reaching a position: torch 1.13's double backward through
 * dsrc raises ("Double backward is unsupported for src when >1 zeros in src are scattered to
 * the same position in self"); libl2 refuses the create_graph backward itself then
 * (L2_ERR_AUTOGRAD), when src wants a gradient. */
l2_status l2__scatter_reduce_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const l2_tensor *I = n->saved[0];
    const int d = (int)n->i[0], mode = (int)n->i[1];
    const bool self = n->i[2] != 0, want_t = wants(n, 0), want_s = wants(n, 1);
    const l2_dtype dt = gout->dtype;
    enum { T, SRC, S, R, A, B, C, D, E, F, G, H, K, L, M, NT };
    l2_tensor *k[NT] = {NULL}, *gt = NULL, *gs = NULL;
    l2_status st = L2_OK;
    if (!(k[T] = l2__saved_graph(n, 1)) || !(k[SRC] = l2__saved_graph(n, 2)) ||
        !(k[S] = src_reached(k[SRC], I)))
        goto fail;
    switch (mode) {
    case L2_SCATTER_SUM:
        if ((want_t && !(gt = l2_tensor_ref((l2_tensor *)gout))) ||
            (want_s && !(gs = l2_gather(gout, d, I))))
            goto fail;
        break;
    case L2_SCATTER_MEAN: /* A: N; B: ones of I's shape; C: N == 0 */
        if (!(k[A] = self ? l2_ones_like(k[T]) : l2_zeros_like(k[T])) ||
            !(k[B] = l2_ones(I->ndim, I->shape, dt)) ||
            !(k[C] = l2_scatter_add(k[A], d, I, k[B])) || !(k[D] = l2_eq_scalar(k[C], 0)) ||
            !(k[E] = l2_masked_fill(k[C], k[D], 1)))
            goto fail;
        if (want_t && !(gt = l2_div(gout, k[E])))
            goto fail;
        if (want_s && (!(k[F] = l2_gather(gout, d, I)) || !(k[G] = l2_gather(k[E], d, I)) ||
                       !(gs = l2_div(k[F], k[G]))))
            goto fail;
        break;
    case L2_SCATTER_AMAX:
    case L2_SCATTER_AMIN: /* A: t == R; B: R.gather; C: S == value; D: M; E: dy / M */
        if (!(k[A] = eq_as(k[T], n->saved[3], dt)) || !(k[B] = l2_gather(n->saved[3], d, I)) ||
            !(k[C] = eq_as(k[S], k[B], dt)) || !(k[D] = l2_scatter_add(k[A], d, I, k[C])) ||
            !(k[E] = l2_div(gout, k[D])))
            goto fail;
        if (want_t && !(gt = l2_mul(k[A], k[E])))
            goto fail;
        if (want_s && (!(k[F] = l2_gather(k[E], d, I)) || !(gs = l2_mul(k[C], k[F]))))
            goto fail;
        break;
    case L2_SCATTER_PROD:
        /* A: t == 0; B: t'; C: scatter_reduce(t', I, S); D: Z (0/1); E: zeros reaching each
         * position, gathered; F: one (bool); G: S with one's zeros as 1; H: its result;
         * K, L, M: the two branches */
        if (want_t && (!(k[A] = l2_eq_scalar(k[T], 0)) ||
                       !(k[B] = l2_masked_fill(k[T], k[A], 1)) ||
                       !(k[C] = l2_scatter_reduce(k[B], d, I, k[S], L2_SCATTER_PROD, self)) ||
                       !(k[K] = l2_mul(gout, k[C])) || !(gt = l2_div(k[K], k[B]))))
            goto fail;
        if (want_s) {
            l2_tensor_release(k[A]);
            l2_tensor_release(k[K]);
            k[A] = k[K] = NULL;
            double many = 0;
            if (!(k[D] = eq_as(k[S], NULL, dt)) || !(k[A] = l2_zeros_like(k[T])) ||
                !(k[K] = l2_scatter_add(k[A], d, I, k[D])) || !(k[E] = l2_gather(k[K], d, I)))
                goto fail;
            {
                l2_tensor *gt1 = l2_gt_scalar(k[E], 1), *an = gt1 ? l2_any(gt1) : NULL;
                st = an ? l2_item(an, &many) : l2_last_status();
                l2_tensor_release(gt1);
                l2_tensor_release(an);
                if (st != L2_OK)
                    goto fail;
            }
            if (many != 0) {
                l2__fail(L2_ERR_AUTOGRAD,
                              "scatter_reduce: create_graph: double backward is unsupported for "
                              "src when more than one zero of src is scattered to the same "
                              "position (prod), as torch 1.13");
                goto fail;
            }
            l2_tensor *z = l2_ne_scalar(k[D], 0), *o = z ? l2_eq_scalar(k[E], 1) : NULL;
            k[F] = o ? l2_logical_and(z, o) : NULL;
            l2_tensor_release(z);
            l2_tensor_release(o);
            l2_tensor *r = NULL, *zb = NULL, *sz = NULL;
            if (!k[F] || !(k[G] = l2_masked_fill(k[S], k[F], 1)) ||
                !(k[H] = l2_scatter_reduce(k[T], d, I, k[G], L2_SCATTER_PROD, self)) ||
                !(k[L] = l2_mul(gout, k[H])) || !(k[M] = l2_gather(k[L], d, I)) ||
                !(r = l2__saved_graph(n, 3)) || !(zb = l2_eq_scalar(k[S], 0)) ||
                !(sz = l2_masked_fill(k[S], zb, 1))) {
                l2_tensor_release(r);
                l2_tensor_release(zb);
                goto fail;
            }
            l2_tensor *gr = l2_mul(gout, r), *gg = gr ? l2_gather(gr, d, I) : NULL;
            l2_tensor *q = gg ? l2_div(gg, sz) : NULL;
            gs = q ? l2_where(k[F], k[M], q) : NULL;
            l2_tensor *tmp[] = {r, zb, sz, gr, gg, q};
            drop_all(6, tmp);
            if (!gs)
                goto fail;
        }
        break;
    default:
        l2__fail(L2_ERR_AUTOGRAD, "scatter_reduce: create_graph: unknown reduce %d", mode);
        goto fail;
    }
    if (want_t && !self) {
        l2_tensor *z = scattered_zeroed(n, gt);
        l2_tensor_release(gt);
        if (!(gt = z))
            goto fail;
    }
    if (want_s) {
        l2_tensor *p = pad_to(gs, n->in_ndim[1], n->in_shape[1]);
        l2_tensor_release(gs);
        if (!(gs = p))
            goto fail;
    }
    gin[0] = gt;
    gin[1] = gs;
    drop_all(NT, k);
    return L2_OK;
fail:
    st = l2_last_status();
    l2_tensor_release(gt);
    l2_tensor_release(gs);
    drop_all(NT, k);
    return st;
}
