/* conv-compose.c: the members of the convolution family that torch itself composes from others:
 * conv1d, max_pool1d and avg_pool1d (the 2-d op over a height of 1, as torch's conv1d and
 * pooling do) and pixel_shuffle / pixel_unshuffle (a reshape, a permutation and a copy). Their
 * gradients are those of the ops composed; each wrapper checks what the 1-d or shuffle op itself
 * states (ranks, factors) and renames an error of the 2-d op it calls. The public calls inside
 * run between l2__enter and l2__leave, so that their intermediates stay out of the caller's
 * scope; the result goes back through l2__ret. */
#include "../autograd-impl.h" /* l2__enter, l2__leave */

#include <stdio.h>
#include <string.h>

/* After a failed call of the 2-d op, restate its error under op's name: "conv2d: msg" becomes
 * "conv1d: msg (computed as conv2d over a height of 1)". */
static void restate(const char *op, const char *op2d)
{
    char msg[512];
    snprintf(msg, sizeof msg, "%s", l2_last_error());
    const char *tail = msg;
    size_t n = strlen(op2d);
    if (strncmp(msg, op2d, n) == 0 && msg[n] == ':')
        tail = msg + n + 1 + (msg[n + 1] == ' ');
    l2__fail(l2_last_status(), "%s: %s (computed as %s over a height of 1)", op, tail, op2d);
}

/* r (the 2-d result, (N, C, 1, L) or (C, 1, L)) without its height dim, as a view; r is
 * released. NULL (error set) when r is NULL or on out-of-memory. */
static l2_tensor *drop_height(l2_tensor *r)
{
    if (!r)
        return NULL;
    int64_t shape[3];
    int nd = l2_ndim(r) - 1;
    for (int i = 0, j = 0; i <= nd; i++)
        if (i != nd - 1)
            shape[j++] = l2_shape(r)[i];
    l2_tensor *v = l2_view(r, nd, shape);
    l2_tensor_release(r);
    return v;
}

l2_tensor *l2_conv1d(const l2_tensor *x, const l2_tensor *w, const l2_tensor *b, int64_t stride,
                     int64_t padding, int64_t dilation, int64_t groups)
{
    L2__HALF_ROUTE(l2_conv1d(H_[0], H_[1], H_[2], stride, padding, dilation, groups), x, w, b);
    const char *op = "conv1d";
    char s[L2__SHAPE_STR];
    L2__CHECK_T(x, NULL, op);
    L2__CHECK_T(w, NULL, op);
    L2__CHECK(x->ndim == 2 || x->ndim == 3, NULL, L2_ERR_SHAPE, "%s: expected 2D (unbatched) or "
              "3D (batched) input, but got input of size: %s", op,
              l2__shape_str(s, x->ndim, x->shape));
    L2__CHECK(w->ndim == 3, NULL, L2_ERR_SHAPE, "%s: expected 3-dimensional weight (O, "
              "C/groups, kL), but got weight of size %s", op, l2__shape_str(s, w->ndim, w->shape));
    l2__enter();
    l2_tensor *xv = l2_unsqueeze(x, -2), *wv = xv ? l2_unsqueeze(w, -2) : NULL;
    l2_tensor *r = NULL;
    if (wv) {
        r = l2_conv2d(xv, wv, b, (const int64_t[]){1, stride}, (const int64_t[]){0, padding},
                      (const int64_t[]){1, dilation}, groups);
        if (!r)
            restate(op, "conv2d");
    }
    l2_tensor_release(xv);
    l2_tensor_release(wv);
    r = drop_height(r);
    l2__leave();
    return l2__ret(r);
}

/* The 1-d pools: x (N, C, L) or (C, L) through the 2-d pool with kernel {1, k}. */
static l2_tensor *pool1d(const char *op, const char *op2d,
                         l2_tensor *(*pool2d)(const l2_tensor *, const int64_t *,
                                              const int64_t *, const int64_t *),
                         const l2_tensor *x, int64_t kernel, int64_t stride, int64_t padding)
{
    char s[L2__SHAPE_STR];
    L2__CHECK_T(x, NULL, op);
    L2__CHECK(x->ndim == 2 || x->ndim == 3, NULL, L2_ERR_SHAPE, "%s: expected 2D or 3D (batch "
              "mode) input, but got input of size %s", op, l2__shape_str(s, x->ndim, x->shape));
    L2__CHECK(stride >= 0, NULL, L2_ERR_ARG, "%s: stride must be greater than zero, but got "
              "%lld", op, (long long)stride);
    L2__CHECK(kernel > 0, NULL, L2_ERR_ARG, "%s: kernel_size must be greater than zero, but got "
              "%lld", op, (long long)kernel);
    L2__CHECK(padding >= 0 && padding <= kernel / 2, NULL, L2_ERR_ARG, "%s: padding should be "
              "at least 0 and at most half of kernel size, but got padding=%lld and "
              "kernel_size=%lld", op, (long long)padding, (long long)kernel);
    l2__enter();
    l2_tensor *xv = l2_unsqueeze(x, -2), *r = NULL;
    if (xv) {
        r = pool2d(xv, (const int64_t[]){1, kernel}, (const int64_t[]){1, stride ? stride : kernel},
                   (const int64_t[]){0, padding});
        if (!r)
            restate(op, op2d);
    }
    l2_tensor_release(xv);
    r = drop_height(r);
    l2__leave();
    return l2__ret(r);
}

l2_tensor *l2_max_pool1d(const l2_tensor *x, int64_t kernel, int64_t stride, int64_t padding)
{
    return pool1d("max_pool1d", "max_pool2d", l2_max_pool2d, x, kernel, stride, padding);
}

l2_tensor *l2_avg_pool1d(const l2_tensor *x, int64_t kernel, int64_t stride, int64_t padding)
{
    return pool1d("avg_pool1d", "avg_pool2d", l2_avg_pool2d, x, kernel, stride, padding);
}

/* pixel_shuffle (up = true) and pixel_unshuffle: x (*, C, H, W) seen as (B, C', r, r, H', W')
 * or (B, C', H', r, W', r), permuted to the other order and copied out. */
static l2_tensor *shuffle(const l2_tensor *x, int64_t r, bool up)
{
    const char *op = up ? "pixel_shuffle" : "pixel_unshuffle";
    const char *fac = up ? "upscale_factor" : "downscale_factor";
    L2__CHECK_T(x, NULL, op);
    int nd = x->ndim;
    L2__CHECK(nd >= 3, NULL, L2_ERR_SHAPE, "%s: expects input to have at least 3 dimensions, "
              "but got input with %d dimension(s)", op, nd);
    L2__CHECK(r > 0, NULL, L2_ERR_ARG, "%s: expects a positive %s, but got %lld", op, fac,
              (long long)r);
    int64_t c = x->shape[nd - 3], h = x->shape[nd - 2], w = x->shape[nd - 1], rr, oc, oh, ow;
    int64_t lead = l2__numel(nd - 3, x->shape);
    if (up) {
        L2__CHECK(!l2__mul_ovf(r, r, &rr) && c % rr == 0, NULL, L2_ERR_SHAPE, "%s: expects its "
                  "input's 'channel' dimension to be divisible by the square of %s, but "
                  "input.size(-3)=%lld is not divisible by %lld", op, fac, (long long)c,
                  (long long)l2__mul_sat(r, r));
        oc = c / rr;
        L2__CHECK(!l2__mul_ovf(h, r, &oh) && !l2__mul_ovf(w, r, &ow), NULL, L2_ERR_OVERFLOW,
                  "%s: output size (%lld x %lld) * %lld overflows int64", op, (long long)h,
                  (long long)w, (long long)r);
    } else {
        L2__CHECK(h % r == 0, NULL, L2_ERR_SHAPE, "%s: expects height to be divisible by %s, but "
                  "input.size(-2)=%lld is not divisible by %lld", op, fac, (long long)h,
                  (long long)r);
        L2__CHECK(w % r == 0, NULL, L2_ERR_SHAPE, "%s: expects width to be divisible by %s, but "
                  "input.size(-1)=%lld is not divisible by %lld", op, fac, (long long)w,
                  (long long)r);
        L2__CHECK(!l2__mul_ovf(r, r, &rr) && !l2__mul_ovf(c, rr, &oc), NULL, L2_ERR_OVERFLOW,
                  "%s: output channels %lld * %lld^2 overflow int64", op, (long long)c,
                  (long long)r);
        oh = h / r;
        ow = w / r;
    }
    /* The six-dim view (through a copy when x cannot be viewed so) and its permutation. */
    int64_t six[6];
    static const int perm_up[6] = {0, 1, 4, 2, 5, 3}, perm_down[6] = {0, 1, 3, 5, 2, 4};
    if (up)
        memcpy(six, (int64_t[]){lead, oc, r, r, h, w}, sizeof six);
    else
        memcpy(six, (int64_t[]){lead, c, oh, r, ow, r}, sizeof six);
    int64_t oshape[L2_MAX_DIMS];
    memcpy(oshape, x->shape, sizeof(int64_t) * (size_t)(nd - 3));
    oshape[nd - 3] = oc;
    oshape[nd - 2] = oh;
    oshape[nd - 1] = ow;
    l2__enter();
    l2_tensor *v = l2_reshape(x, 6, six), *p = v ? l2_permute(v, up ? perm_up : perm_down) : NULL;
    l2_tensor *res = p ? l2_reshape(p, nd, oshape) : NULL;
    if (res && l2_shares_storage(res, x)) { /* r = 1 of a viewable x: torch still copies */
        l2_tensor *cp = l2_clone(res);
        l2_tensor_release(res);
        res = cp;
    }
    l2_tensor_release(v);
    l2_tensor_release(p);
    l2__leave();
    return l2__ret(res);
}

l2_tensor *l2_pixel_shuffle(const l2_tensor *x, int64_t upscale_factor)
{
    return shuffle(x, upscale_factor, true);
}

l2_tensor *l2_pixel_unshuffle(const l2_tensor *x, int64_t downscale_factor)
{
    return shuffle(x, downscale_factor, false);
}
