/* conv-impl.h: what the convolution and pooling files share (conv2d.c, pool.c): the sliding
 * window geometry, optional pair arguments, the NCHW input check and the output size rule.
 * Letters: N batch, C input channels, O output channels, H,W input size, P,Q output size. */
#ifndef L2_CONV_IMPL_H
#define L2_CONV_IMPL_H

#include "../autograd-impl.h"

/* Read an optional pair: p ? p[0..1] : (def0, def1). */
static inline void pair(const int64_t *p, int64_t def0, int64_t def1, int64_t *out)
{
    out[0] = p ? p[0] : def0;
    out[1] = p ? p[1] : def1;
}

/* Check that x is a float tensor of rank 3 (C,H,W) or 4 (N,C,H,W); sets *n, *c, *h, *w. */
static inline bool check_nchw(const char *op, const l2_tensor *x, int64_t *n, int64_t *c,
                              int64_t *h, int64_t *w)
{
    char s[L2__SHAPE_STR];
    L2__CHECK(l2__is_float(x->dtype), false, L2_ERR_DTYPE, "%s: expected a float32 or float64 "
              "input, got %s", op, l2_dtype_name(x->dtype));
    L2__CHECK(x->ndim == 3 || x->ndim == 4, false, L2_ERR_SHAPE, "%s: expected 3D (unbatched) "
              "or 4D (batched) input, but got input of size %s", op,
              l2__shape_str(s, x->ndim, x->shape));
    int b = x->ndim - 3;
    *n = b ? x->shape[0] : 1;
    *c = x->shape[b];
    *h = x->shape[b + 1];
    *w = x->shape[b + 2];
    return true;
}

/* Geometry of a 2-d sliding window over one (C, H, W) sample. */
typedef struct {
    int64_t c, h, w;       /* input channels (per im2col call) and size */
    int64_t kh, kw;        /* kernel */
    int64_t sh, sw;        /* stride */
    int64_t ph, pw;        /* padding */
    int64_t dh, dw;        /* dilation */
    int64_t oh, ow;        /* output size */
} win;

/* Output size along one dim: floor((in + 2 pad - dil (k - 1) - 1) / stride) + 1, or -1 when the
 * (dilated) kernel does not fit in the padded input, or -2 when the padded input in + 2 pad does
 * not fit in int64. Arguments are in range (in, pad >= 0; k, s, d >= 1). Every window index
 * the kernels form (o s + j d - pad, o < out, j < k) then lies in [-pad, in + pad). */
static inline int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d)
{
    int64_t padded, span;
    if (l2__mul_ovf(p, 2, &padded) || l2__add_ovf(padded, in, &padded))
        return -2;
    /* The dilated kernel spans d (k - 1) + 1 cells; when that overflows it cannot fit. */
    if (l2__mul_ovf(d, k - 1, &span) || span >= padded)
        return -1;
    return (padded - span - 1) / s + 1;
}

/* conv2 (issue 14): conv2d.c's im2col (cols (C kH kW, L), rows ld apart, from one (C, H, W)
 * sample) and its adjoint col2im (adds into dx), for conv-transpose.c. */
void l2__conv_im2col(l2_dtype dt, const char *x, char *cols, int64_t ld, const win *g);
void l2__conv_col2im(l2_dtype dt, const char *cols, int64_t ld, char *dx, const win *g);

/* Max pools that keep each output's argmax (pool-arg.c: max_pool2d_ex, max_pool3d,
 * adaptive_max_pool2d). arg[p * out + o] is output o's maximum's offset within plane p of the
 * input; an offset outside [0, in) (a window with no cell in the input) gets no gradient.
 * l2__argpool_end ends the forward: copies arg into ix (when asked), records op with arg as the
 * node's extra when x needs a gradient, releases xc, hands ix to *indices; arg NULL (an
 * allocation failed) releases everything and returns NULL. */
l2_tensor *l2__argpool_end(l2__op node_op, const l2_tensor *x, l2_tensor *xc, l2_tensor *r,
                           l2_tensor *ix, int64_t *arg, size_t n, l2_tensor **indices);
/* dx (the input's shape, zeroed) with dx[p, arg[p, o]] += dy[p, o]. */
l2_status l2__argpool_backward(const char *op, const l2__node *n, const l2_tensor *gout,
                               int64_t planes, int64_t in, int64_t out, l2_tensor **gin);

#endif /* L2_CONV_IMPL_H */
