/* pad.c: constant padding (l2_pad, torch's constant_pad_nd) of any dtype, negative pads
 * cropping, and its backward. Not here: reflect / replicate / circular padding. */
#include "../autograd-impl.h"

/* ---- constant padding -------------------------------------------------------------------- */

/* Per dim d of a pad: where x's kept part starts in x (src) and in the result (dst), and its
 * length; npad pads apply to the last npad/2 dims, last dim first. Returns the first dim whose
 * arithmetic overflows int64 (a pad of INT64_MIN, or a result size beyond INT64_MAX), or -1. */
static int pad_regions(int ndim, const int64_t *shape, int npad, const int64_t *pad,
                       int64_t *src, int64_t *dst, int64_t *len, int64_t *out)
{
    for (int d = 0; d < ndim; d++) {
        int k = 2 * (ndim - 1 - d);
        int64_t lo = k < npad ? pad[k] : 0, hi = k + 1 < npad ? pad[k + 1] : 0;
        int64_t cut_hi;
        if (l2__add_ovf(shape[d], lo, &out[d]) || l2__add_ovf(out[d], hi, &out[d]) ||
            l2__sub_ovf(0, lo < 0 ? lo : 0, &src[d]) || l2__sub_ovf(0, hi < 0 ? hi : 0, &cut_hi))
            return d;
        dst[d] = lo > 0 ? lo : 0;
        /* shape - src - cut_hi: both subtrahends are >= 0, so only a huge cut can go below. */
        if (l2__sub_ovf(shape[d], src[d], &len[d]) || l2__sub_ovf(len[d], cut_hi, &len[d]))
            len[d] = 0;
        if (len[d] < 0)
            len[d] = 0;
    }
    return -1;
}

/* A view of t over the box start[d] .. start[d] + len[d]. */
static l2_tensor *box(const l2_tensor *t, const int64_t *start, const int64_t *len)
{
    int64_t off = t->offset;
    for (int d = 0; d < t->ndim; d++)
        off += start[d] * t->stride[d]; /* inside t: the box is non-empty (callers check) */
    return l2__alias(t, t->ndim, len, t->stride, off);
}

l2_tensor *l2_pad(const l2_tensor *x, int npad, const int64_t *pad, double value)
{
    const char *op = "pad";
    L2__CHECK_T(x, NULL, op);
    L2__CHECK(npad >= 0 && npad % 2 == 0, NULL, L2_ERR_ARG, "%s: padding length must be even "
              "and non-negative (got %d)", op, npad);
    L2__CHECK(npad / 2 <= x->ndim, NULL, L2_ERR_ARG, "%s: padding length %d is too large for a "
              "tensor of rank %d (at most %d)", op, npad, x->ndim, 2 * x->ndim);
    L2__CHECK(npad == 0 || pad, NULL, L2_ERR_NULL, "%s: argument 'pad' is NULL", op);
    int64_t src[L2_MAX_DIMS], dst[L2_MAX_DIMS], len[L2_MAX_DIMS], out[L2_MAX_DIMS];
    int bad = pad_regions(x->ndim, x->shape, npad, pad, src, dst, len, out);
    L2__CHECK(bad < 0, NULL, L2_ERR_OVERFLOW, "%s: padding (%lld, %lld) of dimension %d (size "
              "%lld) overflows int64", op, (long long)pad[2 * (x->ndim - 1 - bad)],
              (long long)pad[2 * (x->ndim - 1 - bad) + 1], bad, (long long)x->shape[bad]);
    /* torch 1.13's rules: negative pads narrow first (a negative length is an error); when any
     * pad is positive, every padded dim must come out with size > 0. */
    bool all_nonpos = true;
    for (int k = 0; k < npad; k++)
        all_nonpos &= pad[k] <= 0;
    for (int d = 0; d < x->ndim; d++) {
        int k = 2 * (x->ndim - 1 - d);
        if (k >= npad)
            continue;
        int64_t cur = x->shape[d];
        bool ok = (pad[k] >= 0 || (cur += pad[k]) >= 0) &&
                  (pad[k + 1] >= 0 || (cur += pad[k + 1]) >= 0) && (all_nonpos || out[d] > 0);
        L2__CHECK(ok, NULL, L2_ERR_SHAPE, "%s: the input size %lld, plus negative padding %lld "
                  "and %lld resulted in a negative output size, which is invalid. Check "
                  "dimension %d of your input", op, (long long)x->shape[d], (long long)pad[k],
                  (long long)pad[k + 1], d);
    }
    l2_tensor *r = l2__new(op, x->ndim, out, x->dtype, false);
    if (!r)
        return NULL;
    int64_t total = l2__numel(r->ndim, r->shape), kept = l2__numel(x->ndim, len);
    l2_tensor *from = kept ? box(x, src, len) : NULL, *to = kept ? box(r, dst, len) : NULL;
    if (kept && (!from || !to))
        goto fail;
    char cell[8];
    l2__store(cell, x->dtype, value); /* converted as l2_full converts */
    L2__DISPATCH(x->dtype, {
        T v;
        memcpy(&v, cell, sizeof v);
        T *o = (T *)l2__data(r);
        for (int64_t k = 0; k < total; k++)
            o[k] = v;
    });
    if (kept)
        l2__copy_kernel(to, from);
    l2_tensor_release(from);
    l2_tensor_release(to);
    if (l2__is_float(x->dtype) && l2__needs_grad(1, &x)) {
        l2__node *node = l2__record(L2__OP_CONSTANT_PAD_ND, r, 1, &x);
        if (!node) {
            l2_tensor_release(r);
            return NULL;
        }
        node->i[0] = npad;
        memcpy(node->i + 1, pad, sizeof(int64_t) * (size_t)npad);
        node->ni = 1 + npad;
    }
    return l2__ret(r);
fail:
    l2_tensor_release(from);
    l2_tensor_release(to);
    l2_tensor_release(r);
    return NULL;
}

/* dx = dy over the kept box (the interior for positive pads), 0 where x was cropped away. */
l2_status l2__constant_pad_nd_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int nd = n->in_ndim[0];
    int64_t src[L2_MAX_DIMS], dst[L2_MAX_DIMS], len[L2_MAX_DIMS], out[L2_MAX_DIMS];
    (void)pad_regions(nd, n->in_shape[0], (int)n->i[0], n->i + 1, src, dst, len, out);
    l2_tensor *dx = l2__new("pad", nd, n->in_shape[0], gout->dtype, true);
    if (!dx)
        return l2_last_status();
    if (l2__numel(nd, len) > 0) {
        l2_tensor *from = box(gout, dst, len), *to = from ? box(dx, src, len) : NULL;
        if (!to) {
            l2_tensor_release(from);
            l2_tensor_release(dx);
            return l2_last_status();
        }
        l2__copy_kernel(to, from);
        l2_tensor_release(from);
        l2_tensor_release(to);
    }
    gin[0] = dx;
    return L2_OK;
}
