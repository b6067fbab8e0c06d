/* shape-diag.c: shape ops about dims and diagonals (issue 14): movedim (a permute view),
 * diagonal (a view with its own node: the gradient is written into the diagonal of zeros),
 * tril and triu (where over a triangle mask), diag (a vector onto a diagonal, or a matrix's
 * diagonal copied out). */
#include "../autograd-impl.h"
#include "../checked.h"

#include <string.h>

/* ---- movedim ----------------------------------------------------------------------------- */

l2_tensor *l2_movedim(const l2_tensor *t, int n, const int *source, const int *destination)
{
    const char *op = "movedim";
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(n >= 0, NULL, L2_ERR_ARG, "%s: %d dims", op, n);
    L2__CHECK((source && destination) || n == 0, NULL, L2_ERR_NULL,
              "%s: argument 'source' or 'destination' is NULL", op);
    int nd = t->ndim, rank = nd > 0 ? nd : 1;
    L2__CHECK(n <= rank, NULL, L2_ERR_DIM, "%s: %d dims moved in a tensor of rank %d", op, n, nd);
    int src[L2_MAX_DIMS], dst[L2_MAX_DIMS];
    bool sseen[L2_MAX_DIMS] = {false}, dseen[L2_MAX_DIMS] = {false};
    for (int i = 0; i < n; i++) {
        src[i] = l2__wrap_dim(op, source[i], nd);
        dst[i] = src[i] < 0 ? -1 : l2__wrap_dim(op, destination[i], nd);
        if (dst[i] < 0)
            return NULL;
    }
    for (int i = 0; i < n; i++) {
        L2__CHECK(!sseen[src[i]], NULL, L2_ERR_DIM, "%s: repeated dim in `source` (dim %d)", op,
                  source[i]);
        sseen[src[i]] = true;
    }
    for (int i = 0; i < n; i++) {
        L2__CHECK(!dseen[dst[i]], NULL, L2_ERR_DIM, "%s: repeated dim in `destination` (dim %d)",
                  op, destination[i]);
        dseen[dst[i]] = true;
    }
    /* order[dst[i]] = src[i]; the other places take the other dims in increasing order */
    int order[L2_MAX_DIMS];
    for (int i = 0; i < nd; i++)
        order[i] = -1;
    for (int i = 0; i < n && nd > 0; i++)
        order[dst[i]] = src[i];
    for (int i = 0, k = 0; i < nd; i++) {
        if (order[i] >= 0)
            continue;
        while (sseen[k])
            k++;
        order[i] = k++;
    }
    return l2_permute(t, order);
}

/* ---- diagonal ---------------------------------------------------------------------------- */

/* The geometry of t.diagonal(offset, d1, d2): other dims in order, then the diagonal. */
static void diag_geom(int nd, const int64_t *shape, const int64_t *stride, int64_t offset0,
                      int64_t off, int d1, int d2, int64_t *sh, int64_t *st, int64_t *offset)
{
    int64_t n1 = shape[d1], n2 = shape[d2], len;
    if (off >= 0)
        len = off >= n2 ? 0 : (n1 < n2 - off ? n1 : n2 - off);
    else
        len = off <= -n1 ? 0 : (n1 + off < n2 ? n1 + off : n2);
    int j = 0;
    for (int i = 0; i < nd; i++) {
        if (i == d1 || i == d2)
            continue;
        sh[j] = shape[i];
        st[j++] = stride[i];
    }
    sh[j] = len;
    st[j] = stride[d1] + stride[d2];
    *offset = offset0;
    if (len > 0)
        *offset += off >= 0 ? off * stride[d2] : -off * stride[d1];
}

l2_tensor *l2_diagonal(const l2_tensor *t, int64_t offset, int dim1, int dim2)
{
    const char *op = "diagonal";
    L2__CHECK_T(t, NULL, op);
    int d1 = l2__wrap_dim(op, dim1, t->ndim);
    int d2 = d1 < 0 ? -1 : l2__wrap_dim(op, dim2, t->ndim);
    if (d2 < 0)
        return NULL;
    L2__CHECK(d1 != d2, NULL, L2_ERR_ARG, "%s: diagonal dimensions cannot be identical %d, %d",
              op, dim1, dim2);
    int64_t sh[L2_MAX_DIMS], st[L2_MAX_DIMS], off;
    diag_geom(t->ndim, t->shape, t->stride, t->offset, offset, d1, d2, sh, st, &off);
    l2_tensor *v = l2__alias(t, t->ndim - 1, sh, st, off);
    if (!v)
        return NULL;
    v->is_view = true;
    if (l2__needs_grad(1, &t)) {
        l2__node *nd = l2__record(L2__OP_DIAGONAL, v, 1, &t);
        if (!nd) {
            l2_tensor_release(v);
            return NULL;
        }
        nd->i[0] = offset;
        nd->i[1] = d1;
        nd->i[2] = d2;
    }
    return l2__ret(v);
}

/* The diagonal of z (a tensor of the input's shape) that n's output gradient fills. */
l2_tensor *l2__diagonal_part(const l2__node *n, l2_tensor *z)
{
    int64_t sh[L2_MAX_DIMS], st[L2_MAX_DIMS], off;
    diag_geom(z->ndim, z->shape, z->stride, z->offset, n->i[0], (int)n->i[1], (int)n->i[2], sh,
              st, &off);
    return l2__alias(z, z->ndim - 1, sh, st, off);
}

/* dx = zeros(x's shape); dx.diagonal(offset, d1, d2) = dy. */
l2_status l2__diagonal_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    l2_tensor *dx = l2__new("diagonal_backward", n->in_ndim[0], n->in_shape[0], gout->dtype,
                            true);
    l2_tensor *v = dx ? l2__diagonal_part(n, dx) : NULL;
    if (!v) {
        l2_tensor_release(dx);
        return l2_last_status();
    }
    if (!l2__fault("diagonal_bwd")) /* fault: the gradient never reaches the diagonal */
        l2__copy_kernel(v, gout);
    l2_tensor_release(v);
    gin[0] = dx;
    return L2_OK;
}

/* ---- tril, triu -------------------------------------------------------------------------- */

/* where(mask, t, 0) with mask[i][j] = j - i <= k (lower) or j - i >= k over the last two dims. */
static l2_tensor *triangle(const char *op, const l2_tensor *t, int64_t k, bool lower)
{
    L2__CHECK_T(t, NULL, op);
    if (t->ndim < 2 && l2__numel(t->ndim, t->shape) == 0) /* torch: an empty copy */
        return l2_clone(t);
    L2__CHECK(t->ndim >= 2, NULL, L2_ERR_DIM, "%s: input tensor must have at least 2 dimensions",
              op);
    int64_t rc[2] = {t->shape[t->ndim - 2], t->shape[t->ndim - 1]};
    l2_tensor *mask = l2__new(op, 2, rc, L2_BOOL, false);
    if (!mask)
        return NULL;
    bool *m = (bool *)l2__data(mask);
    for (int64_t i = 0; i < rc[0]; i++)
        for (int64_t j = 0; j < rc[1]; j++)
            m[i * rc[1] + j] = lower ? j - i <= k : j - i >= k;
    l2__enter();
    l2_tensor *zero = l2_zeros(0, NULL, t->dtype);
    l2_tensor *r = zero ? l2_where(mask, t, zero) : NULL;
    l2_tensor_release(zero);
    l2_tensor_release(mask);
    l2__leave();
    return l2__ret(r);
}

l2_tensor *l2_tril(const l2_tensor *t, int64_t diagonal)
{
    return triangle("tril", t, diagonal, true);
}

l2_tensor *l2_triu(const l2_tensor *t, int64_t diagonal)
{
    return triangle("triu", t, diagonal, false);
}

/* ---- diag -------------------------------------------------------------------------------- */

/* A vector v (n) onto diagonal k of an m x m matrix, m = n + |k|: where(mask_k, w, 0) with w the
 * row vector w[c] = v[c - max(k, 0)] (clamped into v outside the diagonal's columns, where the
 * mask drops it) expanded over the rows. */
static l2_tensor *diag_embed1(const char *op, const l2_tensor *v, int64_t k)
{
    int64_t n = v->shape[0], m, ak = k < 0 ? -(k + 1) : k; /* |k| - (k < 0) */
    L2__CHECK(!l2__add_ovf(n, ak, &m) && !l2__add_ovf(m, k < 0, &m), NULL, L2_ERR_OVERFLOW,
              "%s: the result's size overflows int64", op);
    int64_t mm[2] = {m, m}, lo = k > 0 ? k : 0;
    if (n == 0) { /* zeros; a float v still reaches the graph (its gradient is empty) */
        l2_tensor *z = l2_zeros(2, mm, v->dtype);
        if (!z || !l2__is_float(v->dtype) || !l2__needs_grad(1, &v))
            return z;
        l2_tensor *s = l2_sum(v);
        l2_tensor *r = s ? l2_add(z, s) : NULL;
        l2_tensor_release(s);
        l2_tensor_release(z);
        return r;
    }
    l2_tensor *mask = l2__new(op, 2, mm, L2_BOOL, false);
    l2_tensor *ix = mask ? l2__new(op, 1, &m, L2_INT64, false) : NULL;
    l2_tensor *r = NULL;
    if (ix) {
        bool *p = (bool *)l2__data(mask);
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < m; j++)
                p[i * m + j] = j - i == k;
        int64_t *q = (int64_t *)l2__data(ix);
        for (int64_t c = 0; c < m; c++)
            q[c] = c < lo ? 0 : (c - lo >= n ? n - 1 : c - lo);
        l2_tensor *w = l2_index_select(v, 0, ix);
        l2_tensor *we = w ? l2_expand(w, 2, mm) : NULL;
        l2_tensor *zero = we ? l2_zeros(0, NULL, v->dtype) : NULL;
        r = zero ? l2_where(mask, we, zero) : NULL;
        l2_tensor_release(zero);
        l2_tensor_release(we);
        l2_tensor_release(w);
    }
    l2_tensor_release(ix);
    l2_tensor_release(mask);
    return r;
}

l2_tensor *l2_diag(const l2_tensor *t, int64_t diagonal)
{
    const char *op = "diag";
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(t->ndim == 1 || t->ndim == 2, NULL, L2_ERR_DIM, "%s: matrix or a vector expected "
              "(got %d dims)", op, t->ndim);
    l2__enter();
    l2_tensor *r;
    if (t->ndim == 1) {
        r = diag_embed1(op, t, diagonal);
    } else if ((diagonal >= 0 && diagonal > t->shape[1]) ||
               (diagonal < 0 && diagonal < -t->shape[0])) {
        /* torch 1.13 refuses a diagonal whose length would be negative */
        l2__fail(L2_ERR_ARG, "%s: diagonal %lld is outside the %lldx%lld matrix", op,
                 (long long)diagonal, (long long)t->shape[0], (long long)t->shape[1]);
        r = NULL;
    } else {
        l2_tensor *d = l2_diagonal(t, diagonal, 0, 1);
        r = d ? l2_clone(d) : NULL;
        l2_tensor_release(d);
    }
    l2__leave();
    return l2__ret(r);
}
