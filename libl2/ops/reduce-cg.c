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
