/* pool-arg.c: what the max pools that keep each window's argmax share (max_pool2d_ex in
 * pool2.c, max_pool3d in pool3.c, adaptive_max_pool2d in unpool.c): the end of the forward
 * (indices, the autograd record holding the argmax offsets) and the backward (the gradient
 * scattered to each window's maximum). */
#include "../autograd-impl.h"
#include "conv-impl.h"

#include <string.h>

l2_tensor *l2__argpool_end(l2__op node_op, const l2_tensor *x, l2_tensor *xc, l2_tensor *r,
                           l2_tensor *ix, int64_t *arg, size_t n, l2_tensor **indices)
{
    if (!arg)
        goto fail;
    if (ix)
        memcpy(l2__data(ix), arg, sizeof(int64_t) * n);
    if (l2__needs_grad(1, &x)) {
        l2__node *node = l2__record(node_op, r, 1, &x);
        if (!node)
            goto fail;
        node->extra = arg;
        arg = NULL;
    }
    l2__free(arg);
    l2_tensor_release(xc);
    if (indices)
        *indices = l2__ret(ix);
    return l2__ret(r);
fail:
    l2__free(arg);
    l2_tensor_release(ix);
    l2_tensor_release(r);
    l2_tensor_release(xc);
    return NULL;
}

#define L2__ARGPOOL_BWD(SUF, T)                                                              \
    static void argpool_bwd_##SUF(const T *dy, const int64_t *arg, T *dx, int64_t planes,    \
                                  int64_t in, int64_t out)                                   \
    {                                                                                        \
        for (int64_t p = 0; p < planes; p++)                                                 \
            for (int64_t o = 0; o < out; o++)                                                \
                if (arg[p * out + o] >= 0 && arg[p * out + o] < in)                          \
                    dx[p * in + arg[p * out + o]] += dy[p * out + o];                        \
    }
L2__ARGPOOL_BWD(f32, float)
L2__ARGPOOL_BWD(f64, double)

l2_status l2__argpool_backward(const char *op, const l2__node *n, const l2_tensor *gout,
                               int64_t planes, int64_t in, int64_t out, l2_tensor **gin)
{
    l2_tensor *dy, *dx;
    if (l2__grad_start(op, gout, n->in_ndim[0], n->in_shape[0], true, &dy, &dx) != L2_OK)
        return l2_last_status();
    if (dx->dtype == L2_FLOAT32)
        argpool_bwd_f32((const float *)l2__data(dy), n->extra, (float *)l2__data(dx), planes,
                        in, out);
    else
        argpool_bwd_f64((const double *)l2__data(dy), n->extra, (double *)l2__data(dx), planes,
                        in, out);
    l2_tensor_release(dy);
    gin[0] = dx;
    return L2_OK;
}

/* (conv-impl.h) */
int64_t l2__pool_out(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil)
{
    int64_t num, span;
    if (l2__mul_ovf(p, 2, &num) || l2__add_ovf(num, in, &num) || l2__mul_ovf(d, k - 1, &span) ||
        l2__sub_ovf(num, span, &num) || l2__sub_ovf(num, 1, &num) ||
        (ceil && l2__add_ovf(num, s - 1, &num)) || num == INT64_MIN)
        return -2;
    /* floor division, written so that no step overflows (num > INT64_MIN here) */
    int64_t o = (num >= 0 ? num / s : -(-num / s) - (-num % s != 0)) + 1;
    if (ceil && o > 0) {
        int64_t last, lim;
        if (l2__mul_ovf(o - 1, s, &last) || l2__add_ovf(in, p, &lim) || last >= lim)
            o--;
    }
    return o;
}
