/* sort-cg.c: the differentiable backwards (create_graph, issue 15) of the ops that select
 * elements (sort, topk, kthvalue, median_dim, mode of sort.c; cummax, cummin of scan.c), of
 * median of everything and of logcumsumexp: the same derivatives as their backward, with
 * recorded public ops. */
#include "sort-impl.h"

#include <float.h>

/* dx = zeros_like(x).scatter_add(dim, idx, dy) along the node's dim nd->i[0] with the saved
 * int64 indices (torch 1.13's value_selecting_reduction_backward and cummaxmin_backward): the
 * second derivative in dy is the gather at the indices, in x zero. keep: the indices keep the
 * reduced dim (else dy and the indices are unsqueezed there first). */
static l2_status pick_cg(l2__node *nd, const l2_tensor *gout, l2_tensor **gin, bool keep)
{
    int d = (int)nd->i[0];
    if (nd->in_ndim[0] == 0) { /* a 0-d input: dy itself */
        gin[0] = l2_tensor_ref((l2_tensor *)gout);
        return L2_OK;
    }
    l2_tensor *z = l2_zeros(nd->in_ndim[0], nd->in_shape[0], gout->dtype);
    l2_tensor *g = keep ? l2_tensor_ref((l2_tensor *)gout) : l2_unsqueeze(gout, d);
    l2_tensor *ix = keep ? l2_tensor_ref(nd->saved[0]) : l2_unsqueeze(nd->saved[0], d);
    gin[0] = z && g && ix ? l2_scatter_add(z, d, ix, g) : NULL;
    l2_tensor_release(z);
    l2_tensor_release(g);
    l2_tensor_release(ix);
    return gin[0] ? L2_OK : l2_last_status();
}

static bool keeps(const l2__node *nd) { return nd->ni < 2 || nd->i[1]; }

l2_status l2__sort_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return pick_cg(n, gout, gin, keeps(n));
}

l2_status l2__topk_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return pick_cg(n, gout, gin, keeps(n));
}

l2_status l2__kthvalue_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return pick_cg(n, gout, gin, keeps(n));
}

l2_status l2__median_dim_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return pick_cg(n, gout, gin, keeps(n));
}

l2_status l2__mode_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return pick_cg(n, gout, gin, keeps(n));
}

/* cummax / cummin: the indices have the input's shape (scan.c records one int parameter) */
l2_status l2__cummax_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return pick_cg(n, gout, gin, true);
}

l2_status l2__cummin_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return pick_cg(n, gout, gin, true);
}

/* median of everything (torch's evenly_distribute_backward): dx = where(w != 0, dy * w, 0) with
 * w = 1 / count at the ties, the plain backward's on a 0-d one */
l2_status l2__median_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    l2_tensor *t[5] = {NULL};
    l2_status st = L2_OK;
    if (!(t[0] = l2_ones(gout->ndim, gout->shape, gout->dtype)))
        return l2_last_status();
    if ((st = l2__median_backward(n, t[0], &t[1])) == L2_OK &&
        (!(t[2] = l2_mul(gout, t[1])) || !(t[3] = l2_ne_scalar(t[1], 0)) ||
         !(t[4] = l2_scalar(0, t[2]->dtype)) || !(gin[0] = l2_where(t[3], t[2], t[4]))))
        st = l2_last_status();
    for (int i = 0; i < 5; i++)
        l2_tensor_release(t[i]);
    return st;
}

/* flip(logcumsumexp(flip(x, d), d), d), or NULL */
static l2_tensor *rev_lcse(const l2_tensor *x, int d)
{
    l2_tensor *a = l2_flip(x, 1, &d), *b = a ? l2_logcumsumexp(a, d) : NULL;
    l2_tensor *r = b ? l2_flip(b, 1, &d) : NULL;
    l2_tensor_release(a);
    l2_tensor_release(b);
    return r;
}

/* logcumsumexp (scan.c): torch 1.13's logcumsumexp_backward for real inputs: dy itself for a
 * 0-d or empty dy; else with L = log|dy| where dy > 0 (resp. < 0) and the dtype's lowest value
 * elsewhere, dx = exp(rev_lcse(Lpos - out) + x) - exp(rev_lcse(Lneg - out) + x), out
 * recomputed from the attached x. */
l2_status l2__logcumsumexp_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int d = (int)n->i[0];
    if (gout->ndim == 0 || l2_numel(gout) == 0) {
        gin[0] = l2_tensor_ref((l2_tensor *)gout);
        return L2_OK;
    }
    l2_tensor *x = l2__saved_graph(n, 0), *t[16] = {NULL};
    l2_status st = L2_OK;
    double lowest = gout->dtype == L2_FLOAT32 ? -FLT_MAX : -DBL_MAX;
    if (!x || !(t[0] = l2_logcumsumexp(x, d)) || !(t[1] = l2_scalar(lowest, gout->dtype)) ||
        !(t[2] = l2_abs(gout)) || !(t[3] = l2_log(t[2])) || !(t[4] = l2_gt_scalar(gout, 0)) ||
        !(t[5] = l2_lt_scalar(gout, 0)) || !(t[6] = l2_where(t[4], t[3], t[1])) ||
        !(t[7] = l2_where(t[5], t[3], t[1])) || !(t[8] = l2_sub(t[6], t[0])) ||
        !(t[9] = l2_sub(t[7], t[0])) || !(t[10] = rev_lcse(t[8], d)) ||
        !(t[11] = rev_lcse(t[9], d)) || !(t[12] = l2_add(t[10], x)) ||
        !(t[13] = l2_add(t[11], x)) || !(t[14] = l2_exp(t[12])) || !(t[15] = l2_exp(t[13])) ||
        !(gin[0] = l2_sub(t[14], t[15])))
        st = l2_last_status();
    for (int i = 0; i < 16; i++)
        l2_tensor_release(t[i]);
    l2_tensor_release(x);
    return st;
}
