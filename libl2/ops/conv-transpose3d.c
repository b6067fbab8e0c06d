/* conv-transpose3d.c: 3-d transposed convolution (torch.nn.functional.conv_transpose3d; issue 15),
 * float32 and float64: the input gradient of conv3d, as torch's slow_conv_transpose3d computes
 * it: per sample one GEMM per group (W^T @ x; the library's sgemm where gemm.h's policy takes
 * it, else BLAS) and conv3d.c's col2vol into the output; the backward is conv3d's forward
 * (vol2col of dy, then GEMMs for dx and dW). Only real input cells meet the weights (no
 * inserted zeros). Samples run in sequence; the GEMMs thread.
 * Letters: N batch, C input channels, O output channels, D,H,W input size, T,P,Q output size,
 * L = D H W input positions, kk = kD kH kW. */
#include "conv-impl.h"

#include <limits.h>
#include <string.h>

/* The geometry of one call: the conv3d whose input gradient this op is maps an output sample
 * (O, T, P, Q) to an input sample (C, D, H, W); its window (g) slides over (T, P, Q) and has
 * (D, H, W) positions, so vol2col of dy and col2vol into y use it unchanged. */
typedef struct {
    int64_t n, c, o, groups, cg, og; /* cg = C / groups, og = O / groups */
    geom3 g; /* c = O, in = (T, P, Q), out = (D, H, W), l = D H W, dhw = T P Q */
} tgeom3;

/* Forward, per sample and group gi (cols (O kk, L), group gi's rows are its Og kk outputs):
 *   cols_gi (Og kk, L) = W_gi^T (Og kk, Cg) @ x[n, gi] (Cg, L)
 *   y[n] = bias (or 0), then col2vol(cols) adds every window's contribution. */
static void tconv3_fwd(const tgeom3 *t, l2_dtype dt, const char *x, const char *w,
                       const char *b, char *y, char *cols)
{
    size_t es = l2__esize(dt);
    int64_t okk = t->og * t->g.kk, l = t->g.l, tpq = t->g.dhw;
    for (int64_t n = 0; n < t->n; n++) {
        const char *xn = x + (size_t)(n * t->c * l) * es;
        char *yn = y + (size_t)(n * t->o * tpq) * es;
        for (int64_t gi = 0; gi < t->groups; gi++)
            l2__conv_gemm(dt, true, false, okk, l, t->cg, w + (size_t)(gi * t->cg * okk) * es,
                          okk, xn + (size_t)(gi * t->cg * l) * es, l, 0,
                          cols + (size_t)(gi * okk * l) * es, l);
        for (int64_t o = 0; o < t->o; o++) {
            double v = b ? (dt == L2_FLOAT32 ? ((const float *)b)[o] : ((const double *)b)[o])
                         : 0;
            if (dt == L2_FLOAT32)
                for (int64_t k = 0; k < tpq; k++)
                    ((float *)yn)[o * tpq + k] = (float)v;
            else
                for (int64_t k = 0; k < tpq; k++)
                    ((double *)yn)[o * tpq + k] = v;
        }
        l2__conv_col2vol(dt, cols, yn, &t->g);
    }
}

l2_tensor *l2_conv_transpose3d(const l2_tensor *x, const l2_tensor *w, const l2_tensor *b,
                               const int64_t stride[3], const int64_t padding[3],
                               const int64_t output_padding[3], int64_t groups,
                               const int64_t dilation[3])
{
    L2__HALF_ROUTE(l2_conv_transpose3d(H_[0], H_[1], H_[2], stride, padding, output_padding, groups, dilation),
                   x, w, b);
    const char *op = "conv_transpose3d";
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
    L2__CHECK_T(x, NULL, op);
    L2__CHECK_T(w, NULL, op);
    L2__CHECK(l2__is_float(x->dtype), NULL, L2_ERR_DTYPE, "%s: expected a float32 or float64 "
              "input, got %s", op, l2_dtype_name(x->dtype));
    L2__CHECK(x->ndim == 4 || x->ndim == 5, NULL, L2_ERR_SHAPE, "%s: expected 4D (unbatched) or "
              "5D (batched) input, but got input of size %s", op,
              l2__shape_str(s1, x->ndim, x->shape));
    L2__CHECK(w->dtype == x->dtype, NULL, L2_ERR_DTYPE, "%s: input type (%s) and weight type "
              "(%s) should be the same", op, l2_dtype_name(x->dtype), l2_dtype_name(w->dtype));
    L2__CHECK(w->ndim == 5, NULL, L2_ERR_SHAPE, "%s: expected 5-dimensional weight (C, "
              "O/groups, kD, kH, kW), but got weight of size %s", op,
              l2__shape_str(s1, w->ndim, w->shape));
    int bt = x->ndim - 4;
    int64_t n = bt ? x->shape[0] : 1, c = x->shape[bt];
    int64_t in[3], k[3], s[3], p[3], opd[3], d[3], out[3];
    for (int i = 0; i < 3; i++) {
        in[i] = x->shape[bt + 1 + i];
        k[i] = w->shape[2 + i];
        s[i] = stride ? stride[i] : 1;
        p[i] = padding ? padding[i] : 0;
        opd[i] = output_padding ? output_padding[i] : 0;
        d[i] = dilation ? dilation[i] : 1;
        L2__CHECK(s[i] > 0, NULL, L2_ERR_ARG, "%s: non-positive stride is not supported (got "
                  "%lld in dim %d)", op, (long long)s[i], i);
        L2__CHECK(p[i] >= 0, NULL, L2_ERR_ARG, "%s: negative padding is not supported (got "
                  "%lld in dim %d)", op, (long long)p[i], i);
        L2__CHECK(opd[i] >= 0, NULL, L2_ERR_ARG, "%s: negative output_padding is not supported "
                  "(got %lld in dim %d)", op, (long long)opd[i], i);
        L2__CHECK(d[i] > 0, NULL, L2_ERR_ARG, "%s: dilation should be greater than zero (got "
                  "%lld in dim %d)", op, (long long)d[i], i);
    }
    L2__CHECK(groups > 0, NULL, L2_ERR_ARG, "%s: non-positive groups is not supported (got "
              "%lld)", op, (long long)groups);
    L2__CHECK((opd[0] < s[0] || opd[0] < d[0]) && (opd[1] < s[1] || opd[1] < d[1]) &&
              (opd[2] < s[2] || opd[2] < d[2]), NULL, L2_ERR_ARG, "%s: output padding must be "
              "smaller than either stride or dilation, but got output_padding: (%lld, %lld, "
              "%lld) stride: (%lld, %lld, %lld) dilation: (%lld, %lld, %lld)", op,
              (long long)opd[0], (long long)opd[1], (long long)opd[2], (long long)s[0],
              (long long)s[1], (long long)s[2], (long long)d[0], (long long)d[1],
              (long long)d[2]);
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
    L2__CHECK(k[0] > 0 && k[1] > 0 && k[2] > 0, NULL, L2_ERR_SHAPE, "%s: expected a kernel of "
              "at least 1 x 1 x 1, but got weight of size %s", op,
              l2__shape_str(s1, w->ndim, w->shape));
    L2__CHECK(in[0] > 0 && in[1] > 0 && in[2] > 0, NULL, L2_ERR_SHAPE, "%s: only zero batch or "
              "zero channel inputs are supported, but got input shape: %s", op,
              l2__shape_str(s1, x->ndim, x->shape));
    for (int i = 0; i < 3; i++)
        L2__CHECK(l2__conv_tout_size(in[i], k[i], s[i], p[i], d[i], opd[i], &out[i]), NULL,
                  L2_ERR_OVERFLOW,
                  "%s: the output size of input (%lld x %lld x %lld) overflows int64", op,
                  (long long)in[0], (long long)in[1], (long long)in[2]);
    L2__CHECK(out[0] > 0 && out[1] > 0 && out[2] > 0, NULL, L2_ERR_SHAPE, "%s: given input size "
              "per channel: (%lld x %lld x %lld). Calculated output size per channel: (%lld x "
              "%lld x %lld). Output size is too small", op, (long long)in[0], (long long)in[1],
              (long long)in[2], (long long)out[0], (long long)out[1], (long long)out[2]);
    int64_t oshape[5] = {n, o, out[0], out[1], out[2]};
    if (!l2__check_shape(op, 5, oshape, x->dtype, NULL))
        return NULL;
    tgeom3 t = {.n = n, .c = c, .o = o, .groups = groups, .cg = c / groups, .og = w->shape[1]};
    t.g.c = o;
    for (int i = 0; i < 3; i++) {
        t.g.in[i] = out[i];
        t.g.out[i] = in[i];
        t.g.k[i] = k[i];
        t.g.s[i] = s[i];
        t.g.p[i] = p[i];
        t.g.d[i] = d[i];
    }
    t.g.dhw = out[0] * out[1] * out[2]; /* the output's numel fits (checked above) */
    int64_t colsz;
    L2__CHECK(!l2__mul_ovf(in[0], in[1], &t.g.l) && !l2__mul_ovf(t.g.l, in[2], &t.g.l) &&
              t.g.l <= INT_MAX && t.cg <= INT_MAX && !l2__mul_ovf(k[0], k[1], &t.g.kk) &&
              !l2__mul_ovf(t.g.kk, k[2], &t.g.kk) && !l2__mul_ovf(t.og, t.g.kk, &colsz) &&
              colsz <= INT_MAX && !l2__mul_ovf(colsz, groups, &colsz) &&
              !l2__mul_ovf(colsz, t.g.l, &colsz) && colsz <= INT64_MAX / 8, NULL,
              L2_ERR_OVERFLOW, "%s: the column matrix (%lld x %lld per group) is too large for "
              "BLAS", op, (long long)l2__mul_sat(t.og, l2__mul_sat(l2__mul_sat(k[0], k[1]), k[2])),
              (long long)l2__mul_sat(l2__mul_sat(in[0], in[1]), in[2]));
    int rank = x->ndim;
    const int64_t *osh = rank == 5 ? oshape : oshape + 1;
    l2__conv_io io;
    bool ok = l2__conv_io_start(op, &io, x, w, b, rank, osh);
    size_t es = l2__esize(x->dtype);
    char *cols = ok && n > 0 ? l2__malloc((size_t)colsz * es + 1, op) : NULL;
    ok = ok && (n == 0 || cols);
    if (ok && n > 0)
        tconv3_fwd(&t, x->dtype, l2__data(io.xc), l2__data(io.wc),
                   io.bc ? l2__data(io.bc) : NULL, l2__data(io.r), cols);
    l2__free(cols);
    int64_t ip[10] = {s[0], s[1], s[2], p[0], p[1], p[2], d[0], d[1], d[2], groups};
    return l2__conv_io_end(&io, ok, L2__OP_CONV_TRANSPOSE3D, x, w, b, ip, 10);
}

/* With colsd = vol2col(dy[n]) (O kk, L) (the conv3d of dy by w, before its GEMM):
 *   dx[n, gi] (Cg, L) = W_gi (Cg, Og kk) @ colsd_gi (Og kk, L)
 *   dW_gi (Cg, Og kk) += x[n, gi] (Cg, L) @ colsd_gi^T (L, Og kk)
 *   db[o] = sum over n, T, P and Q of dy[n, o] */
l2_status l2__conv_transpose3d_backward(l2__node *node, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "conv_transpose3d";
    const l2_tensor *x = node->saved[0], *w = node->saved[1];
    const int64_t *ip = node->i;
    tgeom3 t;
    int bt = x->ndim - 4; /* x and w were checked by the forward */
    t.n = bt ? x->shape[0] : 1;
    t.c = x->shape[bt];
    t.groups = ip[9];
    t.cg = t.c / t.groups;
    t.og = w->shape[1];
    t.o = t.og * t.groups;
    t.g.c = t.o;
    t.g.kk = w->shape[2] * w->shape[3] * w->shape[4];
    for (int i = 0; i < 3; i++) {
        t.g.out[i] = x->shape[bt + 1 + i];
        t.g.in[i] = gout->shape[gout->ndim - 3 + i];
        t.g.k[i] = w->shape[2 + i];
        t.g.s[i] = ip[i];
        t.g.p[i] = ip[3 + i];
        t.g.d[i] = ip[6 + i];
    }
    t.g.l = t.g.out[0] * t.g.out[1] * t.g.out[2];
    t.g.dhw = t.g.in[0] * t.g.in[1] * t.g.in[2];
    l2_dtype dt = x->dtype;
    size_t es = l2__esize(dt);
    int64_t okk = t.og * t.g.kk, l = t.g.l, tpq = t.g.dhw;
    l2__conv_grads gr;
    bool ok = l2__conv_grads_start(op, &gr, node, gout, t.o, false, t.n == 0);
    bool need_x = gr.need_x, need_w = gr.need_w;
    char *cols = NULL;
    if (ok && (need_x || need_w) && t.n > 0 &&
        !(cols = l2__malloc((size_t)(t.o * t.g.kk * l) * es + 1, op)))
        ok = false;
    for (int64_t n = 0; ok && (need_x || need_w) && n < t.n; n++) {
        l2__conv_vol2col(dt, l2__data(gr.dy) + (size_t)(n * t.o * tpq) * es, cols, &t.g);
        for (int64_t gi = 0; gi < t.groups; gi++) {
            const char *cg = cols + (size_t)(gi * okk * l) * es;
            size_t xoff = (size_t)((n * t.c + gi * t.cg) * l) * es;
            size_t woff = (size_t)(gi * t.cg * okk) * es;
            if (need_x)
                l2__conv_gemm(dt, false, false, t.cg, l, okk, l2__data(gr.wc) + woff, okk, cg, l,
                              0, l2__data(gr.dx) + xoff, l);
            if (need_w)
                l2__conv_gemm(dt, false, true, t.cg, okk, l, l2__data(gr.xc) + xoff, l, cg, l,
                              n ? 1 : 0, l2__data(gr.dw) + woff, okk);
        }
    }
    if (ok && gr.need_b)
        l2__conv_bias_grad(dt, l2__data(gr.dy), t.n, t.o, tpq, l2__data(gr.db));
    l2__free(cols);
    return l2__conv_grads_end(&gr, ok, gin);
}
