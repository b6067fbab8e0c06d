/* elementwise-cg.c: the differentiable backwards (create_graph, issue 15) of the binary
 * elementwise ops of elementwise.c: the same derivatives as their backward, computed with
 * recorded public ops from the saved operands attached to their graphs (l2__saved_graph).
 *
 * Node layout (elementwise.c, binary_impl): i[0] bit s set when operand s is a number (its value
 * in f[2 + s]), i[1 + s] the saved slot of operand s or -1, f[0] alpha (negated for sub). */
#include "elementwise-impl.h"

/* Operand side of n attached to its graph (converted to dtype dt when not a float tensor), or
 * the number as a 0-d tensor of dtype dt. New reference; NULL with the error set. */
static l2_tensor *operand(l2__node *n, int side, l2_dtype dt)
{
    if (n->i[0] & (1 << side))
        return l2_scalar(n->f[2 + side], dt);
    int slot = (int)n->i[1 + side];
    if (slot < 0) {
        l2__fail(L2_ERR_AUTOGRAD, "backward: create_graph: operand %d was not saved", side);
        return NULL;
    }
    l2_tensor *t = l2__saved_graph(n, slot);
    if (!t || l2__is_float(t->dtype))
        return t;
    /* an integer or bool operand (no gradient): in g's dtype, as the plain backward reads it */
    l2_tensor *c = l2_to_dtype(t, dt);
    l2_tensor_release(t);
    return c;
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
        if (o && l2__fault("cg_mul_const")) { /* mutation test: the operand as a constant */
            l2_tensor *c = l2_detach(o);
            l2_tensor_release(o);
            o = c;
        }
        if (!o)
            return l2_last_status();
        gin[side] = l2_mul(g, o);
        l2_tensor_release(o);
        if (!gin[side])
            return l2_last_status();
    }
    return L2_OK;
}

/* ---- helpers ------------------------------------------------------------------------------ */

/* The constant coefficient of a gradient linear in g (maximum's and minimum's split, fmod's and
 * remainder's -trunc / -floor): the plain backward run on ones of g's shape, so the values are
 * the plain backward's own. *coef receives side's coefficient (a new tensor requiring no grad). */
static l2_status coefficient(l2__backward_fn plain, l2__node *n, const l2_tensor *g, int side,
                             l2_tensor **coef)
{
    l2_tensor *ones = l2_ones(g->ndim, g->shape, g->dtype), *tmp[2] = {NULL, NULL};
    if (!ones)
        return l2_last_status();
    l2_status st = plain(n, ones, tmp);
    l2_tensor_release(ones);
    *coef = tmp[side];
    l2_tensor_release(tmp[1 - side]);
    if (st != L2_OK) {
        l2_tensor_release(*coef);
        *coef = NULL;
    }
    return st;
}

/* out = g * c for a constant c, or NULL (error set). */
static l2_tensor *times(const l2_tensor *g, l2_tensor *c)
{
    l2_tensor *r = c ? l2_mul(g, c) : NULL;
    l2_tensor_release(c);
    return r;
}

/* Release the n tensors of ts (NULLs allowed). */
static void drop(int n, l2_tensor **ts)
{
    for (int i = 0; i < n; i++)
        l2_tensor_release(ts[i]);
}

/* ---- div, pow, atan2 ---------------------------------------------------------------------- */

/* da = g / b, db = -g * ((a / b) / b) (torch 1.13's div_tensor_*_backward) */
l2_status l2__div_backward_cg(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    /* a is saved only when b wants a gradient */
    l2_tensor *b = operand(n, 1, g->dtype), *a = NULL, *t[4] = {NULL};
    if (b && l2__edge_of(n, 1))
        a = operand(n, 0, g->dtype);
    l2_status st = b && (a || !l2__edge_of(n, 1)) ? L2_OK : l2_last_status();
    if (st == L2_OK && l2__edge_of(n, 0) && !(gin[0] = l2_div(g, b)))
        st = l2_last_status();
    if (st == L2_OK && l2__edge_of(n, 1) &&
        (!(t[0] = l2_div(a, b)) || !(t[1] = l2_div(t[0], b)) || !(t[2] = l2_mul(g, t[1])) ||
         !(gin[1] = l2_neg(t[2]))))
        st = l2_last_status();
    drop(4, t);
    l2_tensor_release(a);
    l2_tensor_release(b);
    return st;
}

/* torch 1.13's pow_backward_self / pow_backward: da = where(b == 0, 0, g * (b * a^(b - 1)));
 * pow_backward_exponent: db = g * where(a == 0 & b >= 0, 0, a^b * log(a)). */
l2_status l2__pow_backward_cg(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    if ((n->i[0] & 2) && n->f[3] == 0) { /* torch: zeros_like(self), no history */
        gin[0] = l2_zeros(g->ndim, g->shape, g->dtype);
        return gin[0] ? L2_OK : l2_last_status();
    }
    l2_tensor *a = operand(n, 0, g->dtype), *b = a ? operand(n, 1, g->dtype) : NULL;
    l2_tensor *z = b ? l2_scalar(0, g->dtype) : NULL, *t[11] = {NULL};
    l2_status st = z ? L2_OK : l2_last_status();
    bool number_b = n->i[0] & 2;
    if (st == L2_OK && l2__edge_of(n, 0)) {
        if (number_b ? !(t[0] = l2_pow_scalar(a, n->f[3] - 1))
                     : (!(t[9] = l2_sub_scalar(b, 1)) || !(t[0] = l2_pow(a, t[9]))))
            st = l2_last_status();
        else if (!(t[1] = l2_mul(b, t[0])) || !(t[2] = l2_mul(g, t[1])) ||
                 !(t[3] = l2_eq_scalar(b, 0)) || !(gin[0] = l2_where(t[3], z, t[2])))
            st = l2_last_status();
    }
    if (st == L2_OK && l2__edge_of(n, 1)) {
        if (!(t[4] = l2_pow(a, b)) || !(t[5] = l2_log(a)) || !(t[6] = l2_mul(t[4], t[5])) ||
            !(t[7] = l2_eq_scalar(a, 0)) || !(t[8] = l2_ge_scalar(b, 0)) ||
            !(t[10] = l2_logical_and(t[7], t[8])))
            st = l2_last_status();
        l2_tensor *w = st == L2_OK ? l2_where(t[10], z, t[6]) : NULL;
        if (st == L2_OK && !(gin[1] = times(g, w)))
            st = l2_last_status();
    }
    drop(11, t);
    l2_tensor_release(z);
    l2_tensor_release(a);
    l2_tensor_release(b);
    return st;
}

/* torch 1.13's atan2_backward: r = 1 / (a^2 + b^2), da = g * b * r, db = g * -a * r */
l2_status l2__atan2_backward_cg(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    l2_tensor *a = operand(n, 0, g->dtype), *b = a ? operand(n, 1, g->dtype) : NULL;
    l2_tensor *t[8] = {NULL};
    l2_status st = L2_OK;
    if (!b || !(t[0] = l2_mul(a, a)) || !(t[1] = l2_mul(b, b)) || !(t[2] = l2_add(t[0], t[1])) ||
        !(t[3] = l2_reciprocal(t[2])))
        st = l2_last_status();
    if (st == L2_OK && l2__edge_of(n, 0) &&
        (!(t[4] = l2_mul(g, b)) || !(gin[0] = l2_mul(t[4], t[3]))))
        st = l2_last_status();
    if (st == L2_OK && l2__edge_of(n, 1) &&
        (!(t[5] = l2_neg(a)) || !(t[6] = l2_mul(g, t[5])) || !(gin[1] = l2_mul(t[6], t[3]))))
        st = l2_last_status();
    drop(8, t);
    l2_tensor_release(a);
    l2_tensor_release(b);
    return st;
}

/* ---- ops whose gradient is g times a constant --------------------------------------------- */

/* maximum / minimum: g times the plain backward's split (1, 1/2 at ties, 0): the second
 * derivative in the operands is zero, in g the split (torch: where(a == b, g / 2, g) masked). */
static l2_status split_cg(l2__backward_fn plain, l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    for (int side = 0; side < 2; side++) {
        if (!l2__edge_of(n, side))
            continue;
        l2_tensor *c = NULL;
        l2_status st = coefficient(plain, n, g, side, &c);
        if (st != L2_OK)
            return st;
        if (!(gin[side] = times(g, c)))
            return l2_last_status();
    }
    return L2_OK;
}

l2_status l2__maximum_backward_cg(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    return split_cg(l2__maximum_backward, n, g, gin);
}

l2_status l2__minimum_backward_cg(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    return split_cg(l2__minimum_backward, n, g, gin);
}

/* fmod: da = g, db = g * -trunc(a / b); remainder: db = g * -floor(a / b) (torch's rounding
 * divisions have a zero derivative) */
static l2_status divmod_cg(l2__backward_fn plain, l2__node *n, const l2_tensor *g,
                           l2_tensor **gin)
{
    if (l2__edge_of(n, 0) && !(gin[0] = l2_tensor_ref((l2_tensor *)g)))
        return L2_ERR_NOMEM;
    if (!l2__edge_of(n, 1))
        return L2_OK;
    l2_tensor *c = NULL;
    l2_status st = coefficient(plain, n, g, 1, &c);
    if (st == L2_OK && !(gin[1] = times(g, c)))
        st = l2_last_status();
    return st;
}

l2_status l2__fmod_backward_cg(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    return divmod_cg(l2__fmod_backward, n, g, gin);
}

l2_status l2__remainder_backward_cg(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    return divmod_cg(l2__remainder_backward, n, g, gin);
}

/* ---- where.c's ops ------------------------------------------------------------------------ */

/* da = where(cond, g, 0), db = where(cond, 0, g); the saved condition is bool (no gradient) */
l2_status l2__where_backward_cg(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    l2_tensor *z = l2_scalar(0, g->dtype);
    if (!z)
        return l2_last_status();
    for (int side = 0; side < 2; side++)
        if (l2__edge_of(n, side) &&
            !(gin[side] = l2_where(n->saved[0], side ? z : g, side ? g : z)))
            break;
    l2_tensor_release(z);
    return (l2__edge_of(n, 0) && !gin[0]) || (l2__edge_of(n, 1) && !gin[1]) ? l2_last_status()
                                                                            : L2_OK;
}

/* dt = masked_fill(g, mask, 0) */
l2_status l2__masked_fill_backward_cg(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    gin[0] = l2_masked_fill(g, n->saved[0], 0);
    return gin[0] ? L2_OK : l2_last_status();
}

/* dt_old = 0: not differentiable (no history) */
l2_status l2__fill__backward_cg(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    (void)n;
    gin[0] = l2_zeros(g->ndim, g->shape, g->dtype);
    return gin[0] ? L2_OK : l2_last_status();
}

l2_status l2__zero__backward_cg(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    return l2__fill__backward_cg(n, g, gin);
}

/* l2_set: dt_old = g with the written element (flat row-major index i[0]) zeroed */
l2_status l2__set__backward_cg(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    l2_tensor *m = l2_zeros(g->ndim, g->shape, L2_BOOL);
    if (!m)
        return l2_last_status();
    ((bool *)l2__data(m))[n->i[0]] = true;
    gin[0] = l2_masked_fill(g, m, 0);
    l2_tensor_release(m);
    return gin[0] ? L2_OK : l2_last_status();
}
