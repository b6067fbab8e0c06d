/* index4.c: mask-driven indexing ops of issue 14 (family index3): masked_select, nonzero and
 * masked_scatter (out of place), with their backwards below them. Operands are broadcast into
 * contiguous copies first and then walked once in row-major order; serial kernels, no fast
 * paths. nonzero has no gradient (an int64 result). */
#include "../autograd-impl.h"

#include <string.h>

/* A contiguous copy of t broadcast to (nd, shape) (which t's shape must broadcast to). */
static l2_tensor *bcast_copy(const char *op, const l2_tensor *t, int nd, const int64_t *shape)
{
    int64_t st[L2_MAX_DIMS];
    int off = nd - t->ndim;
    for (int k = 0; k < nd; k++)
        st[k] = k < off || t->shape[k - off] != shape[k] ? 0 : t->stride[k - off];
    l2_tensor *v = l2__alias(t, nd, shape, st, t->offset);
    l2_tensor *c = v ? l2__new(op, nd, shape, t->dtype, false) : NULL;
    if (c)
        l2__copy_kernel(c, v);
    l2_tensor_release(v);
    return c;
}

/* Check t and a bool mask and broadcast them together into contiguous copies *tb and *mb with
 * shape (*nd, shape). False (error set, nothing allocated) on failure. */
static bool masked_front(const char *op, const l2_tensor *t, const l2_tensor *mask, int *nd,
                         int64_t *shape, l2_tensor **tb, l2_tensor **mb)
{
    L2__CHECK_T(t, false, op);
    L2__CHECK_T(mask, false, op);
    L2__CHECK(mask->dtype == L2_BOOL, false, L2_ERR_DTYPE, "%s: expected BoolTensor for mask "
              "(got %s)", op, l2_dtype_name(mask->dtype));
    *nd = l2__broadcast_shapes(op, t->ndim, t->shape, mask->ndim, mask->shape, shape);
    if (*nd < 0)
        return false;
    *tb = bcast_copy(op, t, *nd, shape);
    *mb = *tb ? bcast_copy(op, mask, *nd, shape) : NULL;
    if (!*mb) {
        l2_tensor_release(*tb);
        return false;
    }
    return true;
}

static int64_t count_true(const l2_tensor *mb)
{
    const bool *m = (const bool *)l2__data(mb);
    int64_t n = l2__numel(mb->ndim, mb->shape), c = 0;
    for (int64_t k = 0; k < n; k++)
        c += m[k];
    return c;
}

/* ---- masked_select ----------------------------------------------------------------------- */

l2_tensor *l2_masked_select(const l2_tensor *t, const l2_tensor *mask)
{
    const char *op = "masked_select";
    int nd;
    int64_t shape[L2_MAX_DIMS];
    l2_tensor *tb, *mb;
    if (!masked_front(op, t, mask, &nd, shape, &tb, &mb))
        return NULL;
    int64_t c = count_true(mb), n = l2__numel(nd, shape);
    l2_tensor *r = l2__new(op, 1, &c, t->dtype, false);
    if (!r)
        goto done;
    size_t es = l2__esize(t->dtype);
    const bool *m = (const bool *)l2__data(mb);
    const char *s = l2__data(tb);
    char *o = l2__data(r);
    for (int64_t k = 0, j = 0; k < n; k++)
        if (m[k])
            memcpy(o + (size_t)j++ * es, s + (size_t)k * es, es);
    if (l2__is_float(t->dtype) && l2__needs_grad(1, &t)) {
        const l2_tensor *save[1] = {mb};
        if (!l2__record_save(L2__OP_MASKED_SELECT, r, 1, &t, 1, save)) {
            l2_tensor_release(r);
            r = NULL;
        }
    }
done:
    l2_tensor_release(tb);
    l2_tensor_release(mb);
    return l2__ret(r);
}

/* out (mask's shape) = zeros; out[mask] = dy (in order), or, with fill, out = a copy of y with
 * out[mask] = 0. The engine sums the broadcast gradient back to t's shape. */
static l2_tensor *scatter_grad(const char *op, const l2_tensor *mb, const l2_tensor *gout,
                               bool fill)
{
    l2_tensor *dy = l2__convert(op, gout, gout->dtype, true);
    if (!dy)
        return NULL;
    l2_tensor *dx = l2__new(op, mb->ndim, mb->shape, gout->dtype, !fill);
    if (dx) {
        size_t es = l2__esize(dx->dtype);
        const bool *m = (const bool *)l2__data(mb);
        const char *y = l2__data(dy);
        char *x = l2__data(dx);
        int64_t n = l2__numel(mb->ndim, mb->shape);
        if (fill) {
            memcpy(x, y, (size_t)n * es);
            for (int64_t k = 0; k < n; k++)
                if (m[k])
                    memset(x + (size_t)k * es, 0, es);
        } else {
            for (int64_t k = 0, j = 0; k < n; k++)
                if (m[k])
                    memcpy(x + (size_t)k * es, y + (size_t)j++ * es, es);
        }
    }
    l2_tensor_release(dy);
    return dx;
}

/* dt = zeros(broadcast shape).masked_scatter(mask, dy), summed to t's shape by the engine. */
l2_status l2__masked_select_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    gin[0] = scatter_grad("masked_select", n->saved[0], gout, false);
    return gin[0] ? L2_OK : l2_last_status();
}

/* ---- nonzero ----------------------------------------------------------------------------- */

l2_tensor *l2_nonzero(const l2_tensor *t)
{
    const char *op = "nonzero";
    L2__CHECK_T(t, NULL, op);
    l2_tensor *c = l2__convert(op, t, t->dtype, true);
    if (!c)
        return NULL;
    int64_t n = l2__numel(c->ndim, c->shape), cnt = 0;
    const char *p = l2__data(c);
    size_t es = l2__esize(t->dtype);
    for (int64_t k = 0; k < n; k++)
        cnt += l2__load(p + (size_t)k * es, t->dtype) != 0;
    int64_t shape[2] = {cnt, t->ndim};
    l2_tensor *r = l2__new(op, 2, shape, L2_INT64, false);
    if (r) {
        int64_t *o = (int64_t *)l2__data(r);
        int64_t pos[L2_MAX_DIMS] = {0};
        for (int64_t k = 0; k < n; k++) {
            if (l2__load(p + (size_t)k * es, t->dtype) != 0) {
                memcpy(o, pos, sizeof(int64_t) * (size_t)t->ndim);
                o += t->ndim;
            }
            for (int d = t->ndim - 1; d >= 0; d--) { /* the next row-major position */
                if (++pos[d] < t->shape[d])
                    break;
                pos[d] = 0;
            }
        }
    }
    l2_tensor_release(c);
    return l2__ret(r);
}

/* ---- masked_scatter ---------------------------------------------------------------------- */

l2_tensor *l2_masked_scatter(const l2_tensor *t, const l2_tensor *mask, const l2_tensor *source)
{
    const char *op = "masked_scatter";
    L2__CHECK_T(source, NULL, op);
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(source->dtype == t->dtype, NULL, L2_ERR_DTYPE, "%s: expected self and source to "
              "have same dtypes but got %s and %s", op, l2_dtype_name(t->dtype),
              l2_dtype_name(source->dtype));
    int nd;
    int64_t shape[L2_MAX_DIMS];
    l2_tensor *r, *mb, *src = NULL;
    if (!masked_front(op, t, mask, &nd, shape, &r, &mb))
        return NULL;
    int64_t c = count_true(mb), n = l2__numel(nd, shape);
    int64_t ns = l2__numel(source->ndim, source->shape);
    if (c > ns) {
        l2__fail(L2_ERR_SHAPE, "%s: Number of elements of source < number of ones in mask (%lld "
                 "< %lld)", op, (long long)ns, (long long)c);
        goto fail;
    }
    src = l2__convert(op, source, source->dtype, true);
    if (!src)
        goto fail;
    size_t es = l2__esize(t->dtype);
    const bool *m = (const bool *)l2__data(mb);
    const char *s = l2__data(src);
    char *o = l2__data(r);
    for (int64_t k = 0, j = 0; k < n; k++)
        if (m[k])
            memcpy(o + (size_t)k * es, s + (size_t)j++ * es, es);
    const l2_tensor *ins[2] = {t, source};
    if (l2__is_float(t->dtype) && l2__needs_grad(2, ins)) {
        const l2_tensor *save[1] = {mb};
        if (!l2__record_save(L2__OP_MASKED_SCATTER, r, 2, ins, 1, save))
            goto fail;
    }
    l2_tensor_release(src);
    l2_tensor_release(mb);
    return l2__ret(r);
fail:
    l2_tensor_release(src);
    l2_tensor_release(mb);
    l2_tensor_release(r);
    return NULL;
}

/* dt = dy.masked_fill(mask, 0) (summed to t's shape by the engine); dsource = zeros(source's
 * shape) whose first count(mask) elements (row-major) are dy.masked_select(mask). */
l2_status l2__masked_scatter_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "masked_scatter";
    const l2_tensor *mb = n->saved[0];
    if (n->next[0].fn || n->next[0].leaf) {
        gin[0] = scatter_grad(op, mb, gout, true);
        if (!gin[0])
            return l2_last_status();
    }
    if (n->next[1].fn || n->next[1].leaf) {
        l2_tensor *dy = l2__convert(op, gout, gout->dtype, true);
        l2_tensor *ds = dy ? l2__new(op, n->in_ndim[1], n->in_shape[1], gout->dtype, true) : NULL;
        if (!ds) {
            l2_tensor_release(dy);
            return l2_last_status();
        }
        size_t es = l2__esize(ds->dtype);
        const bool *m = (const bool *)l2__data(mb);
        const char *y = l2__data(dy);
        char *x = l2__data(ds);
        int64_t nm = l2__numel(mb->ndim, mb->shape);
        for (int64_t k = 0, j = 0; k < nm; k++)
            if (m[k])
                memcpy(x + (size_t)j++ * es, y + (size_t)k * es, es);
        l2_tensor_release(dy);
        gin[1] = ds;
    }
    return L2_OK;
}
