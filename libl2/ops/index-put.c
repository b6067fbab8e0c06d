/* index-put.c: torch.index_put / index_put_ (family adv, issue 14): x[i0, i1, ...] = values
 * (or += with accumulate). Composed of public ops between l2__enter and l2__leave, on the
 * linear index index-adv.c builds (adv-impl.h): the advanced dims are brought together and
 * flattened into one, and values (broadcast to the indexed shape) go in with one index_copy
 * (accumulate=false: the last duplicate in row-major order wins, at any thread count) or one
 * index_add (accumulate=true). The gradients are theirs: dself = dy with the put positions
 * zeroed (or dy), dvalues = dy gathered at them, summed back to values' shape. The in-place
 * form computes the result first and then copies it in with l2_copy_ (all or nothing). */
#include "../autograd-impl.h" /* l2__enter, l2__leave */
#include "adv-impl.h"
#include "elementwise-impl.h" /* l2__ew_check_inplace */


/* values must broadcast to (o, oshape) without new dims in front of it (torch's expand), then
 * have x's dtype (torch's order). */
static bool put_check_values(const char *op, const l2_tensor *x, const l2_tensor *v, int o,
                             const int64_t *oshape)
{
    bool good = v->ndim <= o;
    for (int k = 0; good && k < v->ndim; k++) {
        int64_t s = v->shape[v->ndim - 1 - k];
        good = s == 1 || s == oshape[o - 1 - k];
    }
    if (good) {
        L2__CHECK(v->dtype == x->dtype, false, L2_ERR_DTYPE, "%s: Index put requires the source "
                  "and destination dtypes match, got %s for the destination and %s for the "
                  "source", op, l2_dtype_name(x->dtype), l2_dtype_name(v->dtype));
        return true;
    }
    char a[L2__SHAPE_STR], b[L2__SHAPE_STR];
    l2__fail(L2_ERR_SHAPE, "%s: shape mismatch: value tensor of shape %s cannot be broadcast "
             "to indexing result of shape %s", op, l2__shape_str(a, v->ndim, v->shape),
             l2__shape_str(b, o, oshape));
    return false;
}

/* No advanced entry: every element is put (torch 1.13 asserts internally here). */
static l2_tensor *put_all(const char *op, const l2_tensor *x, const l2_tensor *v, bool acc)
{
    if (!put_check_values(op, x, v, x->ndim, x->shape))
        return NULL;
    l2_tensor *e = l2_expand(v, x->ndim, x->shape);
    l2_tensor *r = e ? (acc ? l2_add(x, e) : l2_clone(e)) : NULL;
    l2_tensor_release(e);
    return r;
}

static l2_tensor *put_lin(const char *op, const l2_tensor *x, int m, const int *pos,
                          l2_tensor *const *idx, const l2_tensor *v, bool acc)
{
    l2__adv_lay L;
    int nb;
    int64_t bshape[L2_MAX_DIMS];
    if (!l2__adv_bshape(op, m, idx, &nb, bshape) ||
        !l2__adv_layout(op, x, m, pos, nb, bshape, &L) ||
        !put_check_values(op, x, v, L.o, L.oshape))
        return NULL;
    /* values checked first, the index entries then (torch's order) */
    l2_tensor *lin = l2__adv_linear(op, x, m, pos, idx, &nb, bshape);
    if (!lin)
        return NULL;
    int64_t vshape[L2_MAX_DIMS];
    int inv[L2_MAX_DIMS];
    bool ident = true;
    for (int d = 0; d < L.r; d++)
        vshape[d] = d == L.base ? L.nlin : L.rshape[d];
    for (int d = 0; d < x->ndim; d++) {
        inv[L.perm[d]] = d;
        ident = ident && L.perm[d] == d;
    }
    if (l2__fault("put_acc_first") && acc)
        acc = false;
    l2_tensor *ve = l2_expand(v, L.o, L.oshape);
    l2_tensor *vr = ve ? l2_reshape(ve, L.r, vshape) : NULL;
    l2_tensor *xp = vr ? l2_permute(x, L.perm) : NULL;
    l2_tensor *xr = xp ? l2_reshape(xp, L.r, L.rshape) : NULL;
    l2_tensor *l1 = xr ? l2_reshape(lin, 1, &L.nlin) : NULL;
    l2_tensor *y = NULL, *yp = NULL, *yq = NULL, *res = NULL;
    if (l1)
        y = acc ? l2_index_add(xr, L.base, l1, vr, 1.0) : l2_index_copy(xr, L.base, l1, vr);
    yp = y ? l2_reshape(y, x->ndim, L.pshape) : NULL;
    if (yp && ident)
        res = yp;
    else if (yp) {
        yq = l2_permute(yp, inv);
        res = yq ? l2_contiguous(yq) : NULL;
        l2_tensor_release(yp);
    }
    l2_tensor *tmp[] = {lin, ve, vr, xp, xr, l1, y, yq};
    for (size_t k = 0; k < sizeof tmp / sizeof tmp[0]; k++)
        l2_tensor_release(tmp[k]);
    return res;
}

/* torch 1.13 takes x[mask] = v (no accumulate, one bool mask and no other index tensor, v of
 * one element) as x.masked_fill_(mask, v.item()): v may be of any dtype and shape then. The
 * mask, or NULL when that is not the case. */
static const l2_tensor *put_one_mask(int n, const l2_tensor *const *ind, const l2_tensor *v,
                                     bool acc)
{
    const l2_tensor *mask = NULL;
    if (acc || l2__numel(v->ndim, v->shape) != 1)
        return NULL;
    for (int i = 0; i < n; i++) {
        if (ind[i] && (ind[i]->dtype != L2_BOOL || mask))
            return NULL;
        mask = ind[i] ? ind[i] : mask;
    }
    return mask;
}

/* x[mask] = v of another dtype by masked_fill (as torch's): v converted as l2_masked_fill
 * converts a number (no gradient). */
static l2_tensor *put_fill(const l2_tensor *x, const l2_tensor *const *ind, const l2_tensor *v)
{
    int lead = 0, k = 0;
    while (!ind[lead])
        lead++;
    const l2_tensor *mask = ind[lead];
    int64_t mshape[L2_MAX_DIMS];
    for (; k < lead; k++)
        mshape[k] = 1;
    for (; k < lead + mask->ndim; k++)
        mshape[k] = mask->shape[k - lead];
    for (; k < x->ndim; k++)
        mshape[k] = 1;
    double val;
    l2_tensor *v0 = l2_reshape(v, 0, NULL);
    l2_tensor *m = v0 && l2_item(v0, &val) == L2_OK ? l2_reshape(mask, x->ndim, mshape) : NULL;
    l2_tensor *r = m ? l2_masked_fill(x, m, val) : NULL; /* checks val against x's dtype */
    if (r && x->dtype <= L2_FLOAT64 && v->dtype <= L2_FLOAT64 && l2_requires_grad(v) &&
        l2_is_grad_enabled()) {
        /* float into float: keep values' gradient as torch's autograd does */
        l2_tensor *vc = l2_to_dtype(v0, x->dtype), *w = vc ? l2_where(m, vc, x) : NULL;
        l2_tensor_release(r);
        r = w;
        l2_tensor_release(vc);
    }
    l2_tensor_release(m);
    l2_tensor_release(v0);
    return r;
}

/* The checks and the put, outside any scope bookkeeping (callers enter/leave). */
static l2_tensor *put(const char *op, const l2_tensor *x, int n, const l2_tensor *const *ind,
                      const l2_tensor *v, bool acc)
{
    L2__CHECK_T(x, NULL, op);
    L2__CHECK(n >= 0, NULL, L2_ERR_ARG, "%s: n must be >= 0 (got %d)", op, n);
    L2__CHECK(n == 0 || ind, NULL, L2_ERR_NULL, "%s: argument 'indices' is NULL", op);
    L2__CHECK(n <= L2_MAX_DIMS, NULL, L2_ERR_INDEX, "%s: too many indices for tensor of "
              "dimension %d", op, x->ndim);
    L2__CHECK_TN(v, NULL, op, "values");
    if (!l2__adv_check(op, x, n, ind))
        return NULL;
    l2_tensor *v0 = NULL;
    if (put_one_mask(n, ind, v, acc)) {
        if (v->dtype != x->dtype)
            return put_fill(x, ind, v);
        v = v0 = l2_reshape(v, 0, NULL);
        if (!v0)
            return NULL;
    }
    int m, pos[L2_MAX_DIMS];
    l2_tensor *idx[L2_MAX_DIMS], *r = NULL;
    if (!l2__adv_collect(n, ind, &m, pos, idx)) {
        l2_tensor_release(v0);
        return NULL;
    }
    if (m == 0) {
        r = put_all(op, x, v, acc);
    } else {
        r = put_lin(op, x, m, pos, idx, v, acc);
    }
    for (int k = 0; k < m; k++)
        l2_tensor_release(idx[k]);
    l2_tensor_release(v0);
    return r;
}

l2_tensor *l2_index_put(const l2_tensor *self, int n, const l2_tensor *const *indices,
                        const l2_tensor *values, bool accumulate)
{
    l2__enter();
    l2_tensor *r = put("index_put", self, n, indices, values, accumulate);
    l2__leave();
    return l2__ret(r);
}

l2_status l2_index_put_(l2_tensor *self, int n, const l2_tensor *const *indices,
                        const l2_tensor *values, bool accumulate)
{
    const char *op = "index_put_";
    L2__CHECK_T(self, l2_last_status(), op);
    if (!l2__ew_check_inplace(op, self, self->dtype))
        return l2_last_status();
    l2__enter();
    l2_tensor *r = put(op, self, n, indices, values, accumulate);
    l2_status st = r ? l2_copy_(self, r) : l2_last_status();
    l2_tensor_release(r);
    l2__leave();
    return st;
}
