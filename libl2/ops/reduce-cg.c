/* reduce-cg.c: the differentiable backwards (create_graph, issue 15) of the reductions of
 * reduce.c and reduce-stats.c, with recorded public ops. */
#include "reduce-impl.h"

l2_tensor *l2__expand_grad_cg(const l2__node *n, const rdims *rd, const l2_tensor *g)
{
    int64_t keep[L2_MAX_DIMS];
    for (int d = 0; d < rd->ndim; d++)
        keep[d] = rd->red[d] ? 1 : n->in_shape[0][d];
    l2_tensor *k = l2_reshape(g, rd->ndim, keep);
    if (!k)
        return NULL;
    l2_tensor *r = l2_expand(k, rd->ndim, n->in_shape[0]);
    l2_tensor_release(k);
    return r;
}

/* dx = expand(dy) */
l2_status l2__sum_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    rdims rd;
    l2__node_rdims(n, &rd);
    gin[0] = l2__expand_grad_cg(n, &rd, gout);
    return gin[0] ? L2_OK : l2_last_status();
}

/* Release the n tensors of ts (NULLs allowed). */
static void drop(int n, l2_tensor **ts)
{
    for (int i = 0; i < n; i++)
        l2_tensor_release(ts[i]);
}

/* dx = expand(dy) / N (torch: grad.expand(sizes) / numel) */
l2_status l2__mean_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    rdims rd;
    l2__node_rdims(n, &rd);
    l2_tensor *e = l2__expand_grad_cg(n, &rd, gout);
    gin[0] = e ? l2_div_scalar(e, (double)rd.nred) : NULL;
    l2_tensor_release(e);
    return gin[0] ? L2_OK : l2_last_status();
}

/* A gradient that is expand(dy) times a constant weight w per input element (max and min of
 * everything: 1 / count at the ties; max_dim and min_dim: 1 at the index; amax and amin): w is
 * the plain backward run on ones, and dx = where(w != 0, expand(dy) * w, 0), so that the zeros
 * stay zeros whatever dy holds. The second derivative in x is zero, in dy the weight (torch's
 * evenly_distribute_backward, value_selecting_reduction_backward, scale_grad_by_count). */
l2_status l2__weighted_grad_cg(l2__backward_fn plain, l2__node *n, const l2_tensor *gout,
                               l2_tensor **gin)
{
    rdims rd;
    l2__node_rdims(n, &rd);
    l2_tensor *t[6] = {NULL};
    l2_status st = L2_OK;
    if (!(t[0] = l2_ones(gout->ndim, gout->shape, gout->dtype)))
        return l2_last_status();
    if ((st = plain(n, t[0], &t[1])) == L2_OK &&
        (!(t[2] = l2__expand_grad_cg(n, &rd, gout)) || !(t[3] = l2_mul(t[2], t[1])) ||
         !(t[4] = l2_ne_scalar(t[1], 0)) || !(t[5] = l2_scalar(0, t[3]->dtype)) ||
         !(gin[0] = l2_where(t[4], t[3], t[5]))))
        st = l2_last_status();
    drop(6, t);
    return st;
}

l2_status l2__max_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return l2__weighted_grad_cg(l2__max_backward, n, gout, gin);
}

l2_status l2__min_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return l2__weighted_grad_cg(l2__min_backward, n, gout, gin);
}

l2_status l2__max_dim_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return l2__weighted_grad_cg(l2__max_dim_backward, n, gout, gin);
}

l2_status l2__min_dim_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return l2__weighted_grad_cg(l2__min_dim_backward, n, gout, gin);
}

/* The reduced dims of rd as a list; returns their count. */
static int red_list(const rdims *rd, int *dims)
{
    int k = 0;
    for (int d = 0; d < rd->ndim; d++)
        if (rd->red[d])
            dims[k++] = d;
    return k;
}

/* torch 1.13's var_backward: dx = (2 / (N - correction)) * expand(gv) * (x - mean(x, dims,
 * keepdim)); std_backward first: gv = (dy / (2 std)).masked_fill(std == 0, 0) */
static l2_status var_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin, bool is_std)
{
    rdims rd;
    l2__node_rdims(n, &rd);
    int dims[L2_MAX_DIMS];
    int nd = red_list(&rd, dims);
    l2_tensor *x = l2__saved_graph(n, 0), *t[9] = {NULL};
    const l2_tensor *gv = gout;
    l2_status st = x ? L2_OK : l2_last_status();
    if (st == L2_OK && is_std &&
        (!(t[0] = l2__saved_graph(n, 1)) || !(t[1] = l2_mul_scalar(t[0], 2)) ||
         !(t[2] = l2_div(gout, t[1])) || !(t[3] = l2_eq_scalar(t[0], 0)) ||
         !(t[4] = l2_masked_fill(t[2], t[3], 0))))
        st = l2_last_status();
    if (is_std)
        gv = t[4];
    /* a 0-d input: mean over every dim (nd 0 means all of them) */
    if (st == L2_OK &&
        (!(t[5] = l2__expand_grad_cg(n, &rd, gv)) ||
         !(t[6] = l2_mul_scalar(t[5], 2.0 / ((double)rd.nred - n->f[0]))) ||
         !(t[7] = l2_mean_dims(x, nd, dims, true)) || !(t[8] = l2_sub(x, t[7])) ||
         !(gin[0] = l2_mul(t[6], t[8]))))
        st = l2_last_status();
    drop(9, t);
    l2_tensor_release(x);
    return st;
}

l2_status l2__var_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return var_cg(n, gout, gin, false);
}

l2_status l2__std_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return var_cg(n, gout, gin, true);
}

/* torch 1.13's logsumexp_backward: dx = expand(dy) * exp(x - expand(out)) */
l2_status l2__logsumexp_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    rdims rd;
    l2__node_rdims(n, &rd);
    l2_tensor *t[6] = {NULL};
    l2_status st = L2_OK;
    if (!(t[0] = l2__saved_graph(n, 0)) || !(t[1] = l2__saved_graph(n, 1)) ||
        !(t[2] = l2__expand_grad_cg(n, &rd, t[1])) || !(t[3] = l2_sub(t[0], t[2])) ||
        !(t[4] = l2_exp(t[3])) || !(t[5] = l2__expand_grad_cg(n, &rd, gout)) ||
        !(gin[0] = l2_mul(t[5], t[4])))
        st = l2_last_status();
    drop(6, t);
    return st;
}

/* torch 1.13's cumsum_backward: dy itself when it has at most one element or dim has size 1,
 * else flip(cumsum(flip(dy, dim), dim), dim) */
l2_status l2__cumsum_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int d = (int)n->i[0];
    if (l2_numel(gout) <= 1 || gout->ndim == 0 || gout->shape[d] == 1) {
        gin[0] = l2_tensor_ref((l2_tensor *)gout);
        return L2_OK;
    }
    l2_tensor *f = l2_flip(gout, 1, &d), *c = f ? l2_cumsum(f, d) : NULL;
    gin[0] = c ? l2_flip(c, 1, &d) : NULL;
    l2_tensor_release(f);
    l2_tensor_release(c);
    return gin[0] ? L2_OK : l2_last_status();
}

/* amax / amin (scan family, reduce3.c): torch's scale_grad_by_count, (dy / count) at the ties */
l2_status l2__amax_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return l2__weighted_grad_cg(l2__amax_backward, n, gout, gin);
}

l2_status l2__amin_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return l2__weighted_grad_cg(l2__amin_backward, n, gout, gin);
}

/* torch 1.13's prod_safe_zeros_backward along dim d of the 1-D-or-more x: g (the gradient with
 * dim d kept) times the products of the elements before and after each one, from exclusive
 * cumprods (no division, so zeros are fine). New reference or NULL. */
static l2_tensor *prod_safe(const l2_tensor *g, const l2_tensor *x, int d)
{
    int64_t S = x->shape[d], osh[L2_MAX_DIMS];
    for (int k = 0; k < x->ndim; k++)
        osh[k] = k == d ? 1 : x->shape[k];
    l2_tensor *t[11] = {NULL}, *r = NULL;
    if ((t[0] = l2_ones(x->ndim, osh, x->dtype)) && (t[1] = l2_narrow(x, d, 0, S - 1)) &&
        (t[2] = l2_cat(2, (l2_tensor *[]){t[0], t[1]}, d)) && (t[3] = l2_cumprod(t[2], d)) &&
        (t[4] = l2_narrow(x, d, 1, S - 1)) && (t[5] = l2_flip(t[4], 1, &d)) &&
        (t[6] = l2_cat(2, (l2_tensor *[]){t[0], t[5]}, d)) && (t[7] = l2_cumprod(t[6], d)) &&
        (t[8] = l2_flip(t[7], 1, &d)) && (t[9] = l2_mul(t[3], t[8])))
        r = l2_mul(g, t[9]);
    drop(11, t);
    return r;
}

/* torch 1.13's prod_backward: a 0-d input gets dy; without zeros dx = expand(dy) * (expand(out)
 * / x) (out recomputed from the attached x); with zeros the exclusive-cumprod form (prod of
 * everything: over x flattened). */
l2_status l2__prod_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    if (n->in_ndim[0] == 0) {
        gin[0] = l2_tensor_ref((l2_tensor *)gout);
        return L2_OK;
    }
    rdims rd;
    l2__node_rdims(n, &rd);
    int dims[L2_MAX_DIMS], nd = red_list(&rd, dims);
    if (rd.nred == 0 || rd.nout == 0) { /* nothing multiplied: a zero gradient */
        gin[0] = l2_zeros(n->in_ndim[0], n->in_shape[0], gout->dtype);
        return gin[0] ? L2_OK : l2_last_status();
    }
    l2_tensor *x = l2__saved_graph(n, 0), *t[8] = {NULL};
    l2_status st = x ? L2_OK : l2_last_status();
    bool zeros = false;
    if (st == L2_OK) {
        l2_tensor *z = l2_eq_scalar(n->saved[0], 0), *a = z ? l2_any(z) : NULL;
        double v = 0;
        if (!a || l2_item(a, &v) != L2_OK)
            st = l2_last_status();
        zeros = v != 0;
        l2_tensor_release(z);
        l2_tensor_release(a);
    }
    if (st != L2_OK) {
    } else if (!zeros) {
        bool all = nd != 1 || rd.ndim == 1;
        if (!(t[0] = all ? l2_prod(x) : l2_prod_dim(x, dims[0], rd.keepdim)) ||
            !(t[1] = l2__expand_grad_cg(n, &rd, t[0])) || !(t[2] = l2_div(t[1], x)) ||
            !(t[3] = l2__expand_grad_cg(n, &rd, gout)) || !(gin[0] = l2_mul(t[3], t[2])))
            st = l2_last_status();
    } else if (nd == 1) {
        int64_t keep[L2_MAX_DIMS];
        for (int d = 0; d < rd.ndim; d++)
            keep[d] = rd.red[d] ? 1 : n->in_shape[0][d];
        if (!(t[0] = l2_reshape(gout, rd.ndim, keep)) || !(gin[0] = prod_safe(t[0], x, dims[0])))
            st = l2_last_status();
    } else {
        int64_t m = l2_numel(x);
        if (!(t[0] = l2_reshape(x, 1, &m)) || !(t[1] = l2_reshape(gout, 1, (int64_t[]){1})) ||
            !(t[2] = prod_safe(t[1], t[0], 0)) ||
            !(gin[0] = l2_reshape(t[2], n->in_ndim[0], n->in_shape[0])))
            st = l2_last_status();
    }
    drop(8, t);
    l2_tensor_release(x);
    return st;
}
