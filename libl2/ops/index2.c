/* index2.c: indexing ops of issue 14 beyond index.c: take (torch.take: t read as 1-D at int64
 * indices, negative ones counting from the end, with its backward next to it) and
 * take_along_dim (composed as torch 1.13 composes it: both operands broadcast apart from dim,
 * then gather, so its node is gather's). */
#include "../autograd-impl.h"

#include <string.h>

/* ---- take -------------------------------------------------------------------------------- */

/* A contiguous int64 copy of index with negative entries wrapped by n; NULL (error set) if an
 * entry lies outside [-n, n). Nothing else is touched. */
static l2_tensor *take_index(const char *op, const l2_tensor *index, int64_t n)
{
    l2_tensor *c = l2__new(op, index->ndim, index->shape, L2_INT64, false);
    if (!c)
        return NULL;
    l2__copy_kernel(c, index);
    int64_t *p = (int64_t *)l2__data(c), m = l2__numel(c->ndim, c->shape);
    for (int64_t k = 0; k < m; k++) {
        int64_t v = p[k];
        if (v < -n || v >= n + l2__fault("take_bounds")) { /* fault: n accepted */
            l2_tensor_release(c);
            l2__fail(L2_ERR_INDEX, "%s: out of range: tried to access index %lld on a tensor of "
                     "%lld elements", op, (long long)v, (long long)n);
            return NULL;
        }
        p[k] = v < 0 ? v + n : v;
    }
    return c;
}

l2_tensor *l2_take(const l2_tensor *t, const l2_tensor *index)
{
    const char *op = "take";
    L2__CHECK_T(t, NULL, op);
    L2__CHECK_TN(index, NULL, op, "index");
    L2__CHECK(index->dtype == L2_INT64, NULL, L2_ERR_DTYPE, "%s: Expected a long tensor for "
              "index, but got %s", op, l2_dtype_name(index->dtype));
    int64_t n = l2__numel(t->ndim, t->shape), m = l2__numel(index->ndim, index->shape);
    L2__CHECK(n > 0 || m == 0, NULL, L2_ERR_INDEX, "%s: tried to take from an empty tensor", op);
    l2_tensor *idx = take_index(op, index, n);
    if (!idx)
        return NULL;
    l2_tensor *src = l2__convert(op, t, t->dtype, true);
    l2_tensor *r = src ? l2__new(op, index->ndim, index->shape, t->dtype, false) : NULL;
    if (!r)
        goto fail;
    size_t es = l2__esize(t->dtype);
    const int64_t *ip = (const int64_t *)l2__data(idx);
    const char *s = l2__data(src);
    char *o = l2__data(r);
    for (int64_t k = 0; k < m; k++)
        memcpy(o + (size_t)k * es, s + (size_t)ip[k] * es, es);
    if (!l2__record_indexed(L2__OP_TAKE, r, 1, &t, idx, 0, NULL))
        goto fail;
    l2_tensor_release(src);
    l2_tensor_release(idx);
    return l2__ret(r);
fail:
    l2_tensor_release(r);
    l2_tensor_release(src);
    l2_tensor_release(idx);
    return NULL;
}

/* dx = zeros_like(x); dx.view(-1)[index[k]] += dy[k] (repeated indices add up). */
l2_status l2__take_backward(l2__node *nd, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "take";
    l2_tensor *dy, *dx;
    if (l2__grad_start(op, gout, nd->in_ndim[0], nd->in_shape[0], true, &dy, &dx) != L2_OK)
        return l2_last_status();
    const l2_tensor *idx = nd->saved[0];
    const int64_t *ip = (const int64_t *)l2__data(idx);
    int64_t m = l2__numel(idx->ndim, idx->shape);
    if (dx->dtype == L2_FLOAT32) {
        float *x = (float *)l2__data(dx);
        const float *y = (const float *)l2__data(dy);
        for (int64_t k = 0; k < m; k++)
            x[ip[k]] += y[k];
    } else {
        double *x = (double *)l2__data(dx);
        const double *y = (const double *)l2__data(dy);
        for (int64_t k = 0; k < m; k++)
            x[ip[k]] += y[k];
    }
    l2_tensor_release(dy);
    gin[0] = dx;
    return L2_OK;
}

/* ---- take_along_dim ---------------------------------------------------------------------- */

l2_tensor *l2_take_along_dim(const l2_tensor *t, const l2_tensor *indices, int dim)
{
    const char *op = "take_along_dim";
    L2__CHECK_T(t, NULL, op);
    L2__CHECK_TN(indices, NULL, op, "indices");
    L2__CHECK(indices->dtype == L2_INT64, NULL, L2_ERR_DTYPE, "%s: dtype of indices should be "
              "Long but got %s", op, l2_dtype_name(indices->dtype));
    L2__CHECK(t->ndim > 0, NULL, L2_ERR_DIM, "%s: Dimension specified as %d but tensor has no "
              "dimensions", op, dim);
    int d = l2__wrap_dim(op, dim, t->ndim);
    if (d < 0)
        return NULL;
    L2__CHECK(t->ndim == indices->ndim, NULL, L2_ERR_SHAPE, "%s: input and indices should have "
              "the same number of dimensions, but got %d dimensions for input, and %d dimensions "
              "for indices", op, t->ndim, indices->ndim);
    int nd = t->ndim;
    int64_t ts[L2_MAX_DIMS], is[L2_MAX_DIMS];
    for (int k = 0; k < nd; k++) {
        int64_t a = t->shape[k], b = indices->shape[k];
        int64_t s = a;
        if (k != d) {
            L2__CHECK(a == b || a == 1 || b == 1, NULL, L2_ERR_SHAPE, "%s: The size of tensor a "
                      "(%lld) must match the size of tensor b (%lld) at non-singleton dimension "
                      "%d", op, (long long)a, (long long)b, k);
            s = a == 1 ? b : a;
        }
        ts[k] = k == d ? a : s;
        is[k] = k == d ? b : s;
    }
    /* public calls inside: their results stay out of the caller's scope (l2__enter) */
    l2__enter();
    l2_tensor *tb = l2_broadcast_to(t, nd, ts);
    l2_tensor *ib = tb ? l2_broadcast_to(indices, nd, is) : NULL;
    l2_tensor *r = ib ? l2_gather(tb, d, ib) : NULL;
    l2_tensor_release(ib);
    l2_tensor_release(tb);
    l2__leave();
    return l2__ret(r);
}
