/* unpool.c: the index-carrying 2-d pools (issue 14, conv3): adaptive_max_pool2d with its
 * indices and max_unpool2d, the scatter of max_pool2d's maxima back to their cells; each with
 * its backward below it. Float32 and float64, NCHW or unbatched CHW; plain loops (one thread),
 * torch 1.13's CPU kernels' window, tie and index rules.
 * Letters: N batch, C channels, H,W input size, P,Q output size. */
#include "conv-impl.h"

#include <math.h>
#include <string.h>

/* ---- adaptive_max_pool2d -------------------------------------------------------------------- */

/* Output cell (i, j) takes the max over rows floor(i H / P) .. ceil((i + 1) H / P) - 1 and the
 * same columns; arg gets the flat position y W + x of the maximum, starting at the window's
 * first cell; a later cell wins when greater or NaN (torch 1.13's kernel). */
#define L2__ADAPTIVE_MAX(SUF, T)                                                             \
    static void adaptive_max_##SUF(const T *x, T *y, int64_t *arg, int64_t planes,           \
                                   const win *g)                                             \
    {                                                                                        \
        int64_t hw = g->h * g->w, o = 0;                                                     \
        for (int64_t p = 0; p < planes; p++)                                                 \
            for (int64_t oy = 0; oy < g->oh; oy++) {                                         \
                int64_t y0 = oy * g->h / g->oh;                                              \
                int64_t y1 = ((oy + 1) * g->h + g->oh - 1) / g->oh;                          \
                for (int64_t ox = 0; ox < g->ow; ox++, o++) {                                \
                    int64_t x0 = ox * g->w / g->ow;                                          \
                    int64_t x1 = ((ox + 1) * g->w + g->ow - 1) / g->ow;                      \
                    T best = (T)-INFINITY;                                                   \
                    int64_t at = y0 * g->w + x0;                                             \
                    for (int64_t iy = y0; iy < y1; iy++)                                     \
                        for (int64_t ix = x0; ix < x1; ix++) {                               \
                            T v = x[p * hw + iy * g->w + ix];                                \
                            if (v > best || isnan(v)) {                                      \
                                best = v;                                                    \
                                at = iy * g->w + ix;                                         \
                            }                                                                \
                        }                                                                    \
                    y[o] = best;                                                             \
                    arg[o] = at;                                                             \
                }                                                                            \
            }                                                                                \
    }

L2__ADAPTIVE_MAX(f32, float)
L2__ADAPTIVE_MAX(f64, double)

l2_tensor *l2_adaptive_max_pool2d(const l2_tensor *x, const int64_t output_size[2],
                                  l2_tensor **indices)
{
    const char *op = "adaptive_max_pool2d";
    char sh[L2__SHAPE_STR];
    if (indices)
        *indices = NULL;
    L2__CHECK_T(x, NULL, op);
    L2__CHECK(output_size, NULL, L2_ERR_NULL, "%s: argument 'output_size' is NULL", op);
    L2__CHECK(l2__is_float(x->dtype), NULL, L2_ERR_DTYPE, "%s: expected a float32 or float64 "
              "input, got %s", op, l2_dtype_name(x->dtype));
    L2__CHECK(x->ndim == 3 || x->ndim == 4, NULL, L2_ERR_SHAPE, "%s: Expected 3D or 4D tensor, "
              "but got: %s", op, l2__shape_str(sh, x->ndim, x->shape));
    int b = x->ndim - 3;
    for (int i = b; i < x->ndim; i++)
        L2__CHECK(x->shape[i] > 0, NULL, L2_ERR_SHAPE, "%s: Expected input to have non-zero "
                  "size for non-batch dimensions, but input has sizes %s with dimension %d "
                  "being empty", op, l2__shape_str(sh, x->ndim, x->shape), i);
    L2__CHECK(output_size[0] >= 0 && output_size[1] >= 0, NULL, L2_ERR_ARG, "%s: output size "
              "must be non-negative, got (%lld, %lld)", op, (long long)output_size[0],
              (long long)output_size[1]);
    win g = {.c = x->shape[b], .h = x->shape[b + 1], .w = x->shape[b + 2],
             .oh = output_size[0], .ow = output_size[1]};
    /* The windows are computed as (i + 1) H + P - 1 over P: that must fit in int64. */
    int64_t t1, t2;
    L2__CHECK(!l2__mul_ovf(g.oh, g.h + 1, &t1) && !l2__mul_ovf(g.ow, g.w + 1, &t2), NULL,
              L2_ERR_OVERFLOW, "%s: output size (%lld, %lld) for input size (%lld, %lld) "
              "overflows int64 window arithmetic", op, (long long)g.oh, (long long)g.ow,
              (long long)g.h, (long long)g.w);
    int64_t shape[4];
    memcpy(shape, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    shape[b + 1] = g.oh;
    shape[b + 2] = g.ow;
    int64_t numel;
    if (!l2__check_shape(op, x->ndim, shape, x->dtype, &numel))
        return NULL;
    int64_t planes = (b ? x->shape[0] : 1) * g.c;
    l2_tensor *xc = l2__convert(op, x, x->dtype, true);
    l2_tensor *r = xc ? l2__new(op, x->ndim, shape, x->dtype, false) : NULL;
    l2_tensor *ix = r && indices ? l2__new(op, x->ndim, shape, L2_INT64, false) : NULL;
    int64_t *arg = r && (!indices || ix) ? l2__malloc(sizeof(int64_t) * (size_t)numel + 1, op)
                                         : NULL;
    if (arg && x->dtype == L2_FLOAT32)
        adaptive_max_f32((const float *)l2__data(xc), (float *)l2__data(r), arg, planes, &g);
    else if (arg)
        adaptive_max_f64((const double *)l2__data(xc), (double *)l2__data(r), arg, planes, &g);
    return l2__argpool_end(L2__OP_ADAPTIVE_MAX_POOL2D, x, xc, r, ix, arg, (size_t)numel, indices);
}

/* dx[argmax] += dy: each output's gradient goes to its window's maximum. */
l2_status l2__adaptive_max_pool2d_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int nd = n->in_ndim[0];
    const int64_t *is = n->in_shape[0];
    return l2__argpool_backward("adaptive_max_pool2d", n, gout,
                                (nd == 4 ? is[0] : 1) * is[nd - 3], is[nd - 2] * is[nd - 1],
                                n->out_shape[nd - 2] * n->out_shape[nd - 1], gin);
}

/* ---- max_unpool2d --------------------------------------------------------------------------- */

/* Forward (bwd false): y[p, idx[p, i]] = x[p, i] into a zeroed y, in order (a repeated index
 * keeps the last value, as torch's CPU kernel). Backward (bwd true): dx[p, i] = dy[p, idx[p,
 * i]] (x is dy, y is dx). idx holds per plane `hw` entries, each in [0, pq). */
#define L2__UNPOOL(SUF, T)                                                                   \
    static void unpool_##SUF(const T *x, const int64_t *idx, T *y, int64_t planes,           \
                             int64_t hw, int64_t pq, bool bwd)                               \
    {                                                                                        \
        for (int64_t p = 0; p < planes; p++)                                                 \
            for (int64_t i = 0; i < hw; i++) {                                               \
                if (bwd)                                                                     \
                    y[p * hw + i] = x[p * pq + idx[p * hw + i]];                             \
                else                                                                         \
                    y[p * pq + idx[p * hw + i]] = x[p * hw + i];                             \
            }                                                                                \
    }

L2__UNPOOL(f32, float)
L2__UNPOOL(f64, double)

/* The default output size along one axis, (in - 1) s - 2 p + k; false on int64 overflow. */
static bool unpool_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t *out)
{
    int64_t a, b;
    return !l2__mul_ovf(in - 1, s, &a) && !l2__add_ovf(a, k, &a) && !l2__mul_ovf(p, 2, &b) &&
           !l2__sub_ovf(a, b, out);
}

l2_tensor *l2_max_unpool2d(const l2_tensor *x, const l2_tensor *indices, const int64_t kernel[2],
                           const int64_t stride[2], const int64_t padding[2],
                           const int64_t output_size[2])
{
    const char *op = "max_unpool2d";
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
    L2__CHECK_T(x, NULL, op);
    L2__CHECK_T(indices, NULL, op);
    L2__CHECK(kernel, NULL, L2_ERR_NULL, "%s: argument 'kernel' is NULL", op);
    L2__CHECK(x->ndim >= 2, NULL, L2_ERR_SHAPE, "%s: expected an input of at least 2 "
              "dimensions, but got input of size %s", op, l2__shape_str(s1, x->ndim, x->shape));
    int64_t k[2], s[2], p[2], def[2], out[2];
    pair(kernel, 0, 0, k);
    pair(stride, k[0], k[1], s);
    pair(padding, 0, 0, p);
    for (int i = 0; i < 2; i++) {
        int64_t in = x->shape[x->ndim - 2 + i];
        L2__CHECK(unpool_size(in, k[i], s[i], p[i], &def[i]), NULL, L2_ERR_OVERFLOW, "%s: the "
                  "default output size of input %s overflows int64", op,
                  l2__shape_str(s1, x->ndim, x->shape));
        out[i] = output_size ? output_size[i] : def[i];
        int64_t lo, hi;
        if (output_size)
            L2__CHECK(!l2__sub_ovf(def[i], s[i], &lo) && !l2__add_ovf(def[i], s[i], &hi) &&
                      lo < out[i] && out[i] < hi, NULL, L2_ERR_ARG, "%s: invalid output_size "
                      "\"(%lld, %lld)\" (dim %d must be between %lld and %lld)", op,
                      (long long)output_size[0], (long long)output_size[1], i,
                      (long long)l2__wsub(def[i], s[i]), (long long)l2__wadd(def[i], s[i]));
    }
    L2__CHECK(indices->dtype == L2_INT64, NULL, L2_ERR_DTYPE, "%s: elements in indices should "
              "be type int64 but got: %s", op, l2_dtype_name(indices->dtype));
    L2__CHECK(x->ndim == 3 || x->ndim == 4, NULL, L2_ERR_SHAPE, "%s: Input to max_unpooling2d "
              "should be a 3d or 4d Tensor, but got a tensor with %d dimensions.", op, x->ndim);
    L2__CHECK(l2__is_float(x->dtype), NULL, L2_ERR_DTYPE, "%s: expected a float32 or float64 "
              "input, got %s", op, l2_dtype_name(x->dtype));
    bool same = indices->ndim == x->ndim;
    for (int i = 0; same && i < x->ndim; i++)
        same = indices->shape[i] == x->shape[i];
    L2__CHECK(same, NULL, L2_ERR_SHAPE, "%s: Expected shape of indices to be same as that of the "
              "input tensor (%s) but got indices tensor with shape: %s", op,
              l2__shape_str(s1, x->ndim, x->shape),
              l2__shape_str(s2, indices->ndim, indices->shape));
    for (int i = 1; i < x->ndim; i++)
        L2__CHECK(x->shape[i] > 0, NULL, L2_ERR_SHAPE, "%s: Expected input to have non-zero size "
                  "for non-batch dimensions, but got %s with dimension %d being empty.", op,
                  l2__shape_str(s1, x->ndim, x->shape), i);
    L2__CHECK(out[0] >= 0 && out[1] >= 0, NULL, L2_ERR_SHAPE, "%s: the output size (%lld, %lld) "
              "is negative", op, (long long)out[0], (long long)out[1]);
    int b = x->ndim - 3;
    int64_t shape[4], numel, pq;
    memcpy(shape, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    shape[b + 1] = out[0];
    shape[b + 2] = out[1];
    if (!l2__check_shape(op, x->ndim, shape, x->dtype, &numel))
        return NULL;
    pq = out[0] * out[1];
    int64_t planes = (b ? x->shape[0] : 1) * x->shape[b];
    int64_t hw = x->shape[b + 1] * x->shape[b + 2];
    l2_tensor *ic = l2__convert(op, indices, L2_INT64, true);
    if (!ic)
        return NULL;
    const int64_t *idx = (const int64_t *)l2__data(ic);
    for (int64_t i = 0; i < planes * hw; i++)
        if (idx[i] < 0 || idx[i] >= pq) {
            l2__fail(L2_ERR_INDEX, "%s: Found an invalid max index: %lld (output volumes are of "
                     "size %lldx%lld", op, (long long)idx[i], (long long)out[0],
                     (long long)out[1]);
            l2_tensor_release(ic);
            return NULL;
        }
    bool grad = l2__needs_grad(1, &x);
    l2_tensor *xc = l2__convert(op, x, x->dtype, true);
    l2_tensor *r = xc ? l2__new(op, x->ndim, shape, x->dtype, true) : NULL;
    int64_t *keep = r && grad ? l2__malloc(sizeof(int64_t) * (size_t)(planes * hw) + 1, op)
                              : NULL;
    if (!r || (grad && !keep))
        goto fail;
    if (x->dtype == L2_FLOAT32)
        unpool_f32((const float *)l2__data(xc), idx, (float *)l2__data(r), planes, hw, pq,
                   false);
    else
        unpool_f64((const double *)l2__data(xc), idx, (double *)l2__data(r), planes, hw, pq,
                   false);
    if (grad) {
        l2__node *node = l2__record(L2__OP_MAX_UNPOOL2D, r, 1, &x);
        if (!node)
            goto fail;
        memcpy(keep, idx, sizeof(int64_t) * (size_t)(planes * hw));
        node->extra = keep;
    }
    l2_tensor_release(xc);
    l2_tensor_release(ic);
    return l2__ret(r);
fail:
    l2__free(keep);
    l2_tensor_release(r);
    l2_tensor_release(xc);
    l2_tensor_release(ic);
    return NULL;
}

/* dx[p, i] = dy[p, idx[p, i]]: the gather of dy at the indices. */
l2_status l2__max_unpool2d_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "max_unpool2d";
    int nd = n->in_ndim[0];
    const int64_t *is = n->in_shape[0];
    int64_t planes = (nd == 4 ? is[0] : 1) * is[nd - 3], hw = is[nd - 2] * is[nd - 1];
    int64_t pq = n->out_shape[nd - 2] * n->out_shape[nd - 1];
    l2_tensor *dy = l2__convert(op, gout, gout->dtype, true);
    l2_tensor *dx = dy ? l2__new(op, nd, is, gout->dtype, false) : NULL;
    if (!dx) {
        l2_tensor_release(dy);
        return l2_last_status();
    }
    if (dx->dtype == L2_FLOAT32)
        unpool_f32((const float *)l2__data(dy), n->extra, (float *)l2__data(dx), planes, hw, pq,
                   true);
    else
        unpool_f64((const double *)l2__data(dy), n->extra, (double *)l2__data(dx), planes, hw,
                   pq, true);
    l2_tensor_release(dy);
    gin[0] = dx;
    return L2_OK;
}
