/* unfold.c: torch.nn.functional.unfold (im2col: the sliding blocks of an image as columns) and
 * fold (col2im: columns summed back into an image), each the other's adjoint and so each the
 * other's backward. Row r = (c kH + i) kW + j of a block matrix holds channel c at kernel
 * offset (i, j); column l = p Q + q is the block at output position (p, q). */
#include "../autograd-impl.h"

#include <string.h>

/* The geometry: channels, image size, kernel, dilation, padding, stride, blocks per axis. */
typedef struct {
    int64_t c, h, w, kh, kw, dh, dw, ph, pw, sh, sw, p, q;
} fgeom;

/* im2col (fold false: img -> cols) or col2im (fold true: cols -> img, summing; img zeroed by the
 * caller) over n images of contiguous data. */
#define L2__UNFOLD(SUF, T)                                                                   \
    static void unfold_##SUF(T *img, T *cols, int64_t n, const fgeom *g, bool fold)          \
    {                                                                                        \
        int64_t hw = g->h * g->w, L = g->p * g->q, rows = g->c * g->kh * g->kw;              \
        for (int64_t b = 0; b < n; b++) {                                                    \
            T *im = img + b * g->c * hw, *co = cols + b * rows * L;                          \
            for (int64_t r = 0; r < rows; r++) {                                             \
                int64_t c = r / (g->kh * g->kw), i = r / g->kw % g->kh, j = r % g->kw;       \
                T *row = co + r * L;                                                         \
                for (int64_t p = 0; p < g->p; p++) {                                         \
                    int64_t y = p * g->sh - g->ph + i * g->dh;                               \
                    for (int64_t q = 0; q < g->q; q++) {                                     \
                        int64_t x = q * g->sw - g->pw + j * g->dw;                           \
                        bool in = y >= 0 && y < g->h && x >= 0 && x < g->w;                  \
                        if (fold) {                                                          \
                            if (in)                                                          \
                                im[c * hw + y * g->w + x] += row[p * g->q + q];              \
                        } else {                                                             \
                            row[p * g->q + q] = in ? im[c * hw + y * g->w + x] : (T)0;       \
                        }                                                                    \
                    }                                                                        \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
    }

L2__UNFOLD(f32, float)
L2__UNFOLD(f64, double)

static void run_unfold(l2_dtype dt, char *img, char *cols, int64_t n, const fgeom *g, bool fold)
{
    if (dt == L2_FLOAT32)
        unfold_f32((float *)img, (float *)cols, n, g, fold);
    else
        unfold_f64((double *)img, (double *)cols, n, g, fold);
}

/* Blocks along one axis: floor((size + 2 pad - dil (k - 1) - 1) / stride) + 1, or a value
 * < 1 when the dilated kernel does not fit (-1 when that arithmetic overflows int64). */
static int64_t blocks(int64_t size, int64_t k, int64_t dil, int64_t pad, int64_t stride)
{
    int64_t span, padded, t;
    if (l2__mul_ovf(dil, k - 1, &span) || l2__mul_ovf(pad, 2, &padded) ||
        l2__add_ovf(size, padded, &t))
        return -1;
    if (span >= t) /* the dilated kernel does not fit (span + 1 may not be representable) */
        return 0;
    return (t - span - 1) / stride + 1;
}

/* Check the pairs and fill g's kernel, dilation, padding and stride (NULL: 1, 0, 1). */
static bool check_params(const char *op, fgeom *g, const int64_t kernel[2],
                         const int64_t dilation[2], const int64_t padding[2],
                         const int64_t stride[2])
{
    L2__CHECK(kernel, false, L2_ERR_NULL, "%s: argument 'kernel_size' is NULL", op);
    g->kh = kernel[0];
    g->kw = kernel[1];
    g->dh = dilation ? dilation[0] : 1;
    g->dw = dilation ? dilation[1] : 1;
    g->ph = padding ? padding[0] : 0;
    g->pw = padding ? padding[1] : 0;
    g->sh = stride ? stride[0] : 1;
    g->sw = stride ? stride[1] : 1;
    L2__CHECK(g->kh > 0 && g->kw > 0, false, L2_ERR_ARG, "%s: kernel size should be greater "
              "than zero, but got kernel_height: %lld kernel_width: %lld", op, (long long)g->kh,
              (long long)g->kw);
    L2__CHECK(g->dh > 0 && g->dw > 0, false, L2_ERR_ARG, "%s: dilation should be greater than "
              "zero, but got dilation_height: %lld dilation_width: %lld", op, (long long)g->dh,
              (long long)g->dw);
    L2__CHECK(g->ph >= 0 && g->pw >= 0, false, L2_ERR_ARG, "%s: padding should be non-negative, "
              "but got pad_height: %lld pad_width: %lld", op, (long long)g->ph,
              (long long)g->pw);
    L2__CHECK(g->sh > 0 && g->sw > 0, false, L2_ERR_ARG, "%s: stride should be greater than "
              "zero, but got stride_height: %lld stride_width: %lld", op, (long long)g->sh,
              (long long)g->sw);
    g->p = blocks(g->h, g->kh, g->dh, g->ph, g->sh);
    g->q = blocks(g->w, g->kw, g->dw, g->pw, g->sw);
    L2__CHECK(g->p != -1 && g->q != -1, false, L2_ERR_OVERFLOW, "%s: the padded size or the "
              "dilated kernel overflows int64", op);
    L2__CHECK(g->p > 0 && g->q > 0, false, L2_ERR_SHAPE, "%s: given spatial size (%lld, %lld), "
              "kernel_size=(%lld, %lld), dilation=(%lld, %lld), padding=(%lld, %lld), the "
              "array of sliding blocks is empty; its shape must be positive", op,
              (long long)g->h, (long long)g->w, (long long)g->kh, (long long)g->kw,
              (long long)g->dh, (long long)g->dw, (long long)g->ph, (long long)g->pw);
    return true;
}

static void save_geom(l2__node *node, const fgeom *g)
{
    int64_t v[13] = {g->c, g->h, g->w, g->kh, g->kw, g->dh, g->dw, g->ph, g->pw, g->sh, g->sw,
                     g->p, g->q};
    memcpy(node->i, v, sizeof v);
    node->ni = 13;
}

static fgeom geom_of(const l2__node *node)
{
    const int64_t *v = node->i;
    return (fgeom){v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11],
                   v[12]};
}

/* The shared body: in (contiguous copy of x) -> a new result of (ndim, shape), recorded as op. */
static l2_tensor *apply(const char *op, l2__op node_op, const l2_tensor *x, const fgeom *g,
                        int64_t n, int ndim, const int64_t *shape, bool fold)
{
    if (!l2__check_shape(op, ndim, shape, x->dtype, NULL))
        return NULL;
    l2_tensor *xc = l2__convert(op, x, x->dtype, true);
    l2_tensor *r = xc ? l2__new(op, ndim, shape, x->dtype, fold) : NULL;
    if (!r) {
        l2_tensor_release(xc);
        return NULL;
    }
    if (fold)
        run_unfold(x->dtype, l2__data(r), l2__data(xc), n, g, true);
    else
        run_unfold(x->dtype, l2__data(xc), l2__data(r), n, g, false);
    l2_tensor_release(xc);
    if (l2__needs_grad(1, &x)) {
        l2__node *node = l2__record(node_op, r, 1, &x);
        if (!node) {
            l2_tensor_release(r);
            return NULL;
        }
        save_geom(node, g);
    }
    return l2__ret(r);
}

l2_tensor *l2_unfold(const l2_tensor *x, const int64_t kernel[2], const int64_t dilation[2],
                     const int64_t padding[2], const int64_t stride[2])
{
    const char *op = "unfold";
    char sh[L2__SHAPE_STR];
    L2__CHECK_T(x, NULL, op);
    L2__CHECK(l2__is_float(x->dtype), NULL, L2_ERR_DTYPE, "%s: expected a float32 or float64 "
              "input, got %s", op, l2_dtype_name(x->dtype));
    L2__CHECK(x->ndim == 3 || x->ndim == 4, NULL, L2_ERR_SHAPE, "%s: expected 3D or 4D (batch "
              "mode) tensor, but got input of size %s", op, l2__shape_str(sh, x->ndim, x->shape));
    int b = x->ndim - 3;
    fgeom g = {.c = x->shape[b], .h = x->shape[b + 1], .w = x->shape[b + 2]};
    if (!check_params(op, &g, kernel, dilation, padding, stride))
        return NULL;
    int64_t rows, L;
    L2__CHECK(!l2__mul_ovf(g.c, l2__mul_sat(g.kh, g.kw), &rows) && !l2__mul_ovf(g.p, g.q, &L),
              NULL, L2_ERR_OVERFLOW, "%s: the block matrix's size overflows int64", op);
    int64_t shape[3] = {b ? x->shape[0] : 0, rows, L};
    return apply(op, L2__OP_UNFOLD, x, &g, b ? x->shape[0] : 1, 2 + b, shape + 1 - b, false);
}

/* The shared backward: the gradient of unfold is fold of dy (into a zeroed image: to_image), the
 * gradient of fold is unfold of dy. */
static l2_status backward(const char *op, l2__node *n, const l2_tensor *gout, l2_tensor **gin,
                          bool to_image)
{
    fgeom g = geom_of(n);
    int nd = n->in_ndim[0];
    l2_tensor *dy = l2__convert(op, gout, gout->dtype, true);
    l2_tensor *dx = dy ? l2__new(op, nd, n->in_shape[0], gout->dtype, to_image) : NULL;
    if (!dx) {
        l2_tensor_release(dy);
        return l2_last_status();
    }
    int64_t images = nd == (to_image ? 4 : 3) ? n->in_shape[0][0] : 1;
    if (to_image)
        run_unfold(dx->dtype, l2__data(dx), l2__data(dy), images, &g, true);
    else
        run_unfold(dx->dtype, l2__data(dy), l2__data(dx), images, &g, false);
    l2_tensor_release(dy);
    gin[0] = dx;
    return L2_OK;
}

l2_status l2__unfold_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return backward("unfold", n, gout, gin, true);
}

l2_tensor *l2_fold(const l2_tensor *x, const int64_t output_size[2], const int64_t kernel[2],
                   const int64_t dilation[2], const int64_t padding[2], const int64_t stride[2])
{
    const char *op = "fold";
    char sh[L2__SHAPE_STR];
    L2__CHECK_T(x, NULL, op);
    L2__CHECK(output_size, NULL, L2_ERR_NULL, "%s: argument 'output_size' is NULL", op);
    L2__CHECK(l2__is_float(x->dtype), NULL, L2_ERR_DTYPE, "%s: expected a float32 or float64 "
              "input, got %s", op, l2_dtype_name(x->dtype));
    L2__CHECK(x->ndim == 2 || x->ndim == 3, NULL, L2_ERR_SHAPE, "%s: expected 2D or 3D (batch "
              "mode) tensor, but got input of size %s", op, l2__shape_str(sh, x->ndim, x->shape));
    L2__CHECK(output_size[0] > 0 && output_size[1] > 0, NULL, L2_ERR_ARG, "%s: expected "
              "output spatial size to be positive, but got: output_size=(%lld, %lld)", op,
              (long long)output_size[0], (long long)output_size[1]);
    int b = x->ndim - 2;
    fgeom g = {.h = output_size[0], .w = output_size[1]};
    if (!check_params(op, &g, kernel, dilation, padding, stride))
        return NULL;
    int64_t rows = x->shape[b], L = x->shape[b + 1], kk = l2__mul_sat(g.kh, g.kw);
    L2__CHECK(rows % kk == 0, NULL, L2_ERR_SHAPE, "%s: expected size of input's dimension %d to "
              "be divisible by the product of kernel_size, but got input.size(%d)=%lld and "
              "kernel_size=(%lld, %lld)", op, b, b, (long long)rows, (long long)g.kh,
              (long long)g.kw);
    L2__CHECK(L == l2__mul_sat(g.p, g.q), NULL, L2_ERR_SHAPE, "%s: given output_size=(%lld, "
              "%lld), kernel_size=(%lld, %lld), dilation=(%lld, %lld), padding=(%lld, %lld), "
              "stride=(%lld, %lld), expected size of input's dimension %d to match the "
              "calculated number of sliding blocks %lld * %lld = %lld, but got input.size(%d)="
              "%lld", op, (long long)g.h, (long long)g.w, (long long)g.kh, (long long)g.kw,
              (long long)g.dh, (long long)g.dw, (long long)g.ph, (long long)g.pw,
              (long long)g.sh, (long long)g.sw, b + 1, (long long)g.p, (long long)g.q,
              (long long)l2__mul_sat(g.p, g.q), b + 1, (long long)L);
    g.c = rows / kk;
    int64_t shape[4] = {b ? x->shape[0] : 0, g.c, g.h, g.w};
    return apply(op, L2__OP_FOLD, x, &g, b ? x->shape[0] : 1, 3 + b, shape + 1 - b, true);
}

l2_status l2__fold_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return backward("fold", n, gout, gin, false);
}

/* create_graph (issue 15): the same adjoints with the recorded public ops (unfold's gradient
 * is fold of dy, fold's is unfold of dy), from the geometry saved in the node. */
static l2_status backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin, bool to_image)
{
    fgeom g = geom_of(n);
    const int64_t k[2] = {g.kh, g.kw}, dil[2] = {g.dh, g.dw}, pad[2] = {g.ph, g.pw},
                  st[2] = {g.sh, g.sw}, size[2] = {g.h, g.w};
    gin[0] = to_image ? l2_fold(gout, size, k, dil, pad, st) : l2_unfold(gout, k, dil, pad, st);
    return gin[0] ? L2_OK : l2_last_status();
}

l2_status l2__unfold_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return backward_cg(n, gout, gin, true);
}

l2_status l2__fold_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return backward_cg(n, gout, gin, false);
}
