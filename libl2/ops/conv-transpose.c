/* conv-transpose.c: transposed convolution (torch.nn.functional.conv_transpose2d, and
 * conv_transpose1d over a height of 1), float32 and float64: the input gradient of conv2d, as
 * torch's slow_conv_transpose2d computes it: per sample one GEMM per group (W^T @ x; the
 * library's sgemm where gemm.h's policy takes it, else BLAS) and
 * conv2d.c's col2im into the output; the backward is conv2d's forward (im2col of dy, then
 * GEMMs for dx and dW). Only real input cells meet the weights (no inserted zeros: inf * 0
 * never happens where torch has none). Samples run in sequence; BLAS and im2col thread.
 * Letters: N batch, C input channels, O output channels, H,W input size, P,Q output size. */
#include "conv-impl.h"

#include <cblas.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* The geometry of one call: the conv2d whose input gradient this op is maps an output sample
 * (O, P, Q) to an input sample (C, H, W); its window (g) slides over (P, Q) and has (H, W)
 * positions, so im2col of dy and col2im into y use it unchanged. */
typedef struct {
    int64_t n, c, o, groups, cg, og; /* cg = C / groups, og = O / groups */
    int64_t l, kk;                   /* L = H W input positions, kk = kH kW */
    win g;                           /* c = O, h = P, w = Q, oh = H, ow = W */
} tgeom;

/* Forward, per sample and group gi (cols (O kk, L), group gi's rows are its Og kk outputs):
 *   cols_gi (Og kk, L) = W_gi^T (Og kk, Cg) @ x[n, gi] (Cg, L)
 *   y[n] = bias (or 0), then col2im(cols) adds every window's contribution. */
static void tconv_fwd(const tgeom *t, l2_dtype dt, const char *x, const char *w, const char *b,
                      char *y, char *cols)
{
    size_t es = l2__esize(dt);
    int64_t okk = t->og * t->kk, ysz = t->o * t->g.h * t->g.w, pq = t->g.h * t->g.w;
    for (int64_t n = 0; n < t->n; n++) {
        const char *xn = x + (size_t)(n * t->c * t->l) * es;
        char *yn = y + (size_t)(n * ysz) * es;
        for (int64_t gi = 0; gi < t->groups; gi++)
            l2__conv_gemm(dt, true, false, okk, t->l, t->cg, w + (size_t)(gi * t->cg * okk) * es,
                          okk, xn + (size_t)(gi * t->cg * t->l) * es, t->l, 0,
                          cols + (size_t)(gi * okk * t->l) * es, t->l);
        for (int64_t o = 0; o < t->o; o++) {
            double v = b ? (dt == L2_FLOAT32 ? ((const float *)b)[o] : ((const double *)b)[o])
                         : 0;
            if (dt == L2_FLOAT32)
                for (int64_t k = 0; k < pq; k++)
                    ((float *)yn)[o * pq + k] = (float)v;
            else
                for (int64_t k = 0; k < pq; k++)
                    ((double *)yn)[o * pq + k] = v;
        }
        l2__conv_col2im(dt, cols, t->l, yn, &t->g);
    }
}

l2_tensor *l2_conv_transpose2d(const l2_tensor *x, const l2_tensor *w, const l2_tensor *b,
                               const int64_t stride[2], const int64_t padding[2],
                               const int64_t output_padding[2], int64_t groups,
                               const int64_t dilation[2])
{
    L2__HALF_ROUTE(l2_conv_transpose2d(H_[0], H_[1], H_[2], stride, padding, output_padding, groups, dilation),
                   x, w, b);
    const char *op = "conv_transpose2d";
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
    L2__CHECK_T(x, NULL, op);
    L2__CHECK_T(w, NULL, op);
    int64_t n, c, h, wd;
    if (!check_nchw(op, x, &n, &c, &h, &wd))
        return NULL;
    L2__CHECK(w->dtype == x->dtype, NULL, L2_ERR_DTYPE, "%s: input type (%s) and weight type "
              "(%s) should be the same", op, l2_dtype_name(x->dtype), l2_dtype_name(w->dtype));
    L2__CHECK(w->ndim == 4, NULL, L2_ERR_SHAPE, "%s: expected 4-dimensional weight (C, O/groups, "
              "kH, kW), but got weight of size %s", op, l2__shape_str(s1, w->ndim, w->shape));
    int64_t s[2], p[2], op2[2], d[2];
    pair(stride, 1, 1, s);
    pair(padding, 0, 0, p);
    pair(output_padding, 0, 0, op2);
    pair(dilation, 1, 1, d);
    L2__CHECK(s[0] > 0 && s[1] > 0, NULL, L2_ERR_ARG, "%s: non-positive stride is not supported "
              "(got %lld, %lld)", op, (long long)s[0], (long long)s[1]);
    L2__CHECK(p[0] >= 0 && p[1] >= 0, NULL, L2_ERR_ARG, "%s: negative padding is not supported "
              "(got %lld, %lld)", op, (long long)p[0], (long long)p[1]);
    L2__CHECK(op2[0] >= 0 && op2[1] >= 0, NULL, L2_ERR_ARG, "%s: negative output_padding is not "
              "supported (got %lld, %lld)", op, (long long)op2[0], (long long)op2[1]);
    L2__CHECK(d[0] > 0 && d[1] > 0, NULL, L2_ERR_ARG, "%s: dilation must be positive (got %lld, "
              "%lld)", op, (long long)d[0], (long long)d[1]);
    L2__CHECK(groups > 0, NULL, L2_ERR_ARG, "%s: non-positive groups is not supported (got "
              "%lld)", op, (long long)groups);
    L2__CHECK((op2[0] < s[0] || op2[0] < d[0]) && (op2[1] < s[1] || op2[1] < d[1]), NULL,
              L2_ERR_ARG, "%s: output padding must be smaller than either stride or dilation, "
              "but got output_padding_height: %lld output_padding_width: %lld stride_height: "
              "%lld stride_width: %lld dilation_height: %lld dilation_width: %lld", op,
              (long long)op2[0], (long long)op2[1], (long long)s[0], (long long)s[1],
              (long long)d[0], (long long)d[1]);
    L2__CHECK(w->shape[0] >= groups && w->shape[0] % groups == 0, NULL, L2_ERR_SHAPE, "%s: given "
              "groups=%lld, expected weight %s to be divisible by %lld (and at least %lld) at "
              "dimension 0", op, (long long)groups, l2__shape_str(s1, w->ndim, w->shape),
              (long long)groups, (long long)groups);
    L2__CHECK(c == w->shape[0], NULL, L2_ERR_SHAPE, "%s: given transposed=1, weight of size %s, "
              "expected input %s to have %lld channels, but got %lld channels instead", op,
              l2__shape_str(s1, w->ndim, w->shape), l2__shape_str(s2, x->ndim, x->shape),
              (long long)w->shape[0], (long long)c);
    int64_t o;
    L2__CHECK(!l2__mul_ovf(w->shape[1], groups, &o), NULL, L2_ERR_OVERFLOW, "%s: output channels "
              "%lld * groups %lld overflow int64", op, (long long)w->shape[1], (long long)groups);
    if (b) {
        L2__CHECK(b->dtype == x->dtype, NULL, L2_ERR_DTYPE, "%s: input type (%s) and bias type "
                  "(%s) should be the same", op, l2_dtype_name(x->dtype),
                  l2_dtype_name(b->dtype));
        L2__CHECK(b->ndim == 1 && b->shape[0] == o, NULL, L2_ERR_SHAPE, "%s: expected bias to be "
                  "1-dimensional with %lld elements, but got bias of size %s", op, (long long)o,
                  l2__shape_str(s1, b->ndim, b->shape));
    }
    L2__CHECK(w->shape[2] > 0 && w->shape[3] > 0, NULL, L2_ERR_SHAPE, "%s: expected a kernel "
              "of at least 1 x 1, but got weight of size %s", op,
              l2__shape_str(s1, w->ndim, w->shape));
    L2__CHECK(h > 0 && wd > 0, NULL, L2_ERR_SHAPE, "%s: only zero batch or zero channel inputs "
              "are supported, but got input shape: %s", op, l2__shape_str(s1, x->ndim, x->shape));
    int64_t ph, qw;
    L2__CHECK(l2__conv_tout_size(h, w->shape[2], s[0], p[0], d[0], op2[0], &ph) &&
              l2__conv_tout_size(wd, w->shape[3], s[1], p[1], d[1], op2[1], &qw), NULL,
              L2_ERR_OVERFLOW, "%s: the output size of input (%lld x %lld) overflows int64", op,
              (long long)h, (long long)wd);
    L2__CHECK(ph > 0 && qw > 0, NULL, L2_ERR_SHAPE, "%s: given input size per channel: (%lld x "
              "%lld). Calculated output size per channel: (%lld x %lld). Output size is too "
              "small", op, (long long)h, (long long)wd, (long long)ph, (long long)qw);
    int64_t oshape[4] = {n, o, ph, qw};
    if (!l2__check_shape(op, 4, oshape, x->dtype, NULL))
        return NULL;
    tgeom t = {.n = n, .c = c, .o = o, .groups = groups, .cg = c / groups,
               .og = w->shape[1], .kk = l2__mul_sat(w->shape[2], w->shape[3]),
               .g = {.c = o, .h = ph, .w = qw, .kh = w->shape[2], .kw = w->shape[3],
                     .sh = s[0], .sw = s[1], .ph = p[0], .pw = p[1], .dh = d[0], .dw = d[1],
                     .oh = h, .ow = wd}};
    int64_t colsz;
    L2__CHECK(!l2__mul_ovf(h, wd, &t.l) && t.l <= INT_MAX && t.cg <= INT_MAX &&
              !l2__mul_ovf(t.og, t.kk, &colsz) && colsz <= INT_MAX &&
              !l2__mul_ovf(colsz, groups, &colsz) && !l2__mul_ovf(colsz, t.l, &colsz) &&
              colsz <= INT64_MAX / 8, NULL, L2_ERR_OVERFLOW, "%s: the column matrix (%lld x "
              "%lld per group) is too large for BLAS", op,
              (long long)l2__mul_sat(t.og, t.kk), (long long)l2__mul_sat(h, wd));
    int rank = x->ndim;
    const int64_t *osh = rank == 4 ? oshape : oshape + 1;
    l2__conv_io io;
    bool ok = l2__conv_io_start(op, &io, x, w, b, rank, osh);
    size_t es = l2__esize(x->dtype);
    char *cols = ok && n > 0 ? l2__malloc((size_t)colsz * es + 1, op) : NULL;
    ok = ok && (n == 0 || cols);
    if (ok && n > 0)
        tconv_fwd(&t, x->dtype, l2__data(io.xc), l2__data(io.wc),
                  io.bc ? l2__data(io.bc) : NULL, l2__data(io.r), cols);
    l2__free(cols);
    int64_t ip[7] = {s[0], s[1], p[0], p[1], d[0], d[1], groups};
    return l2__conv_io_end(&io, ok, L2__OP_CONV_TRANSPOSE2D, x, w, b, ip, 7);
}

/* With colsd = im2col(dy[n]) (O kk, L) (the conv2d of dy by w, before its GEMM):
 *   dx[n, gi] (Cg, L) = W_gi (Cg, Og kk) @ colsd_gi (Og kk, L)
 *   dW_gi (Cg, Og kk) += x[n, gi] (Cg, L) @ colsd_gi^T (L, Og kk)
 *   db[o] = sum over n, P and Q of dy[n, o] */
l2_status l2__conv_transpose2d_backward(l2__node *node, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "conv_transpose2d";
    const l2_tensor *x = node->saved[0], *w = node->saved[1];
    const int64_t *ip = node->i;
    tgeom t;
    int b0 = x->ndim - 3; /* x was checked by the forward */
    int64_t h = x->shape[b0 + 1], wd = x->shape[b0 + 2];
    t.n = b0 ? x->shape[0] : 1;
    t.c = x->shape[b0];
    t.groups = ip[6];
    t.cg = t.c / t.groups;
    t.og = w->shape[1];
    t.o = t.og * t.groups;
    t.kk = w->shape[2] * w->shape[3];
    t.l = h * wd;
    int nd = gout->ndim;
    t.g = (win){.c = t.o, .h = gout->shape[nd - 2], .w = gout->shape[nd - 1], .kh = w->shape[2],
                .kw = w->shape[3], .sh = ip[0], .sw = ip[1], .ph = ip[2], .pw = ip[3],
                .dh = ip[4], .dw = ip[5], .oh = h, .ow = wd};
    l2_dtype dt = x->dtype;
    size_t es = l2__esize(dt);
    int64_t okk = t.og * t.kk, pq = t.g.h * t.g.w;
    l2__conv_grads gr;
    bool ok = l2__conv_grads_start(op, &gr, node, gout, t.o, false, t.n == 0);
    bool need_x = gr.need_x, need_w = gr.need_w;
    char *cols = NULL;
    if (ok && (need_x || need_w) && t.n > 0 &&
        !(cols = l2__malloc((size_t)(t.o * t.kk * t.l) * es + 1, op)))
        ok = false;
    for (int64_t n = 0; ok && (need_x || need_w) && n < t.n; n++) {
        l2__conv_im2col(dt, l2__data(gr.dy) + (size_t)(n * t.o * pq) * es, cols, t.l, &t.g);
        for (int64_t gi = 0; gi < t.groups; gi++) {
            const char *cg = cols + (size_t)(gi * okk * t.l) * es;
            size_t xoff = (size_t)((n * t.c + gi * t.cg) * t.l) * es;
            size_t woff = (size_t)(gi * t.cg * okk) * es;
            if (need_x)
                l2__conv_gemm(dt, false, false, t.cg, t.l, okk, l2__data(gr.wc) + woff, okk, cg,
                              t.l, 0, l2__data(gr.dx) + xoff, t.l);
            if (need_w)
                l2__conv_gemm(dt, false, true, t.cg, okk, t.l, l2__data(gr.xc) + xoff, t.l, cg,
                              t.l, n ? 1 : 0, l2__data(gr.dw) + woff, okk);
        }
    }
    if (ok && gr.need_b)
        l2__conv_bias_grad(dt, l2__data(gr.dy), t.n, t.o, pq, l2__data(gr.db));
    l2__free(cols);
    return l2__conv_grads_end(&gr, ok, gin);
}

l2_tensor *l2_conv_transpose1d(const l2_tensor *x, const l2_tensor *w, const l2_tensor *b,
                               int64_t stride, int64_t padding, int64_t output_padding,
                               int64_t groups, int64_t dilation)
{
    L2__HALF_ROUTE(l2_conv_transpose1d(H_[0], H_[1], H_[2], stride, padding, output_padding, groups, dilation),
                   x, w, b);
    const char *op = "conv_transpose1d";
    char s[L2__SHAPE_STR];
    L2__CHECK_T(x, NULL, op);
    L2__CHECK_T(w, NULL, op);
    L2__CHECK(x->ndim == 2 || x->ndim == 3, NULL, L2_ERR_SHAPE, "%s: expected 2D (unbatched) or "
              "3D (batched) input, but got input of size: %s", op,
              l2__shape_str(s, x->ndim, x->shape));
    L2__CHECK(w->ndim == 3, NULL, L2_ERR_SHAPE, "%s: expected 3-dimensional weight (C, "
              "O/groups, kL), but got weight of size %s", op,
              l2__shape_str(s, w->ndim, w->shape));
    l2__enter();
    l2_tensor *xv = l2_unsqueeze(x, -2), *wv = xv ? l2_unsqueeze(w, -2) : NULL;
    l2_tensor *r = NULL;
    if (wv) {
        r = l2_conv_transpose2d(xv, wv, b, (const int64_t[]){1, stride},
                                (const int64_t[]){0, padding}, (const int64_t[]){0, output_padding},
                                groups, (const int64_t[]){1, dilation});
        if (!r) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", l2_last_error());
            const char *tail = strncmp(msg, "conv_transpose2d: ", 18) ? msg : msg + 18;
            l2__fail(l2_last_status(), "%s: %s (computed as conv_transpose2d over a height of "
                     "1)", op, tail);
        }
    }
    l2_tensor_release(xv);
    l2_tensor_release(wv);
    l2_tensor *v = NULL;
    if (r) {
        int64_t shape[3];
        int nd = l2_ndim(r) - 1;
        for (int i = 0, j = 0; i <= nd; i++)
            if (i != nd - 1)
                shape[j++] = l2_shape(r)[i];
        v = l2_view(r, nd, shape);
        l2_tensor_release(r);
    }
    l2__leave();
    return l2__ret(v);
}
