/* elementwise-cg.c: the differentiable backwards (create_graph, issue 15) of the binary
 * elementwise ops of elementwise.c: the same derivatives as their backward, computed with
 * recorded public ops from the saved operands attached to their graphs (l2__saved_graph).
 *
 * Node layout (elementwise.c, binary_impl): i[0] bit s set when operand s is a number (its value
 * in f[2 + s]), i[1 + s] the saved slot of operand s or -1, f[0] alpha (negated for sub). */
#include "elementwise-impl.h"

/* Operand side of n attached to its graph, or the number as a 0-d tensor of dtype dt. New
 * reference; NULL with the error set. */
static l2_tensor *operand(l2__node *n, int side, l2_dtype dt)
{
    if (n->i[0] & (1 << side))
        return l2_scalar(n->f[2 + side], dt);
    int slot = (int)n->i[1 + side];
    if (slot < 0) {
        l2__fail(L2_ERR_AUTOGRAD, "backward: create_graph: operand %d was not saved", side);
        return NULL;
    }
    return l2__saved_graph(n, slot);
}

/* da = g, db = alpha g (sub: alpha negated at recording) */
static l2_status add_sub_cg(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    if (l2__edge_of(n, 0) && !(gin[0] = l2_tensor_ref((l2_tensor *)g)))
        return L2_ERR_NOMEM;
    if (l2__edge_of(n, 1)) {
        gin[1] = n->f[0] == 1 ? l2_tensor_ref((l2_tensor *)g) : l2_mul_scalar(g, n->f[0]);
        if (!gin[1])
            return l2_last_status();
    }
    return L2_OK;
}

l2_status l2__add_backward_cg(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    return add_sub_cg(n, g, gin);
}

l2_status l2__sub_backward_cg(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    return add_sub_cg(n, g, gin);
}

/* da = g b, db = g a */
l2_status l2__mul_backward_cg(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    for (int side = 0; side < 2; side++) {
        if (!l2__edge_of(n, side))
            continue;
        l2_tensor *o = operand(n, 1 - side, g->dtype);
        if (!o)
            return l2_last_status();
        gin[side] = l2_mul(g, o);
        l2_tensor_release(o);
        if (!gin[side])
            return l2_last_status();
    }
    return L2_OK;
}
