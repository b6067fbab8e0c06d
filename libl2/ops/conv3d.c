/* conv3d.c: 3-d cross-correlation (torch.nn.functional.conv3d; issue 14, conv3), float32 and
 * float64, with stride, padding, dilation, groups and bias, batched (N, C, D, H, W) or unbatched
 * (C, D, H, W). Per sample: vol2col (the 3-d im2col) and one GEMM per group (the library's own
 * sgemm where gemm.h's policy takes it, else BLAS); the backward recomputes the columns for dW
 * and adds W^T dy back through col2vol for dx. Samples run in sequence; the GEMMs thread.
 * Letters: N batch, C input channels, O output channels, D,H,W input size, T,P,Q output size,
 * L = T P Q output positions, K = C/groups kD kH kW rows of a group's column matrix. */
#include "conv-impl.h"
#include "gemm.h"

#include <cblas.h>
#include <limits.h>
#include <string.h>

/* vol2col of one sample x (C, D, H, W) into cols (C kk, L): row (c kk + (i kH + j) kW + m),
 * column (t P + p) Q + q holds x[c, t sD - pD + i dD, p sH - pH + j dH, q sW - pW + m dW], 0
 * in the padding. */
#define L2__VOL2COL(SUF, T)                                                                  \
    static void vol2col_##SUF(const T *x, T *cols, const geom3 *g)                           \
    {                                                                                        \
        int64_t r = 0;                                                                       \
        for (int64_t c = 0; c < g->c; c++)                                                   \
            for (int64_t i = 0; i < g->k[0]; i++)                                            \
                for (int64_t j = 0; j < g->k[1]; j++)                                        \
                    for (int64_t m = 0; m < g->k[2]; m++, r++) {                             \
                        T *row = cols + r * g->l;                                            \
                        for (int64_t t = 0; t < g->out[0]; t++) {                            \
                            int64_t z = t * g->s[0] - g->p[0] + i * g->d[0];                 \
                            for (int64_t p = 0; p < g->out[1]; p++) {                        \
                                int64_t y = p * g->s[1] - g->p[1] + j * g->d[1];             \
                                T *dst = row + (t * g->out[1] + p) * g->out[2];              \
                                bool in = z >= 0 && z < g->in[0] && y >= 0 && y < g->in[1];  \
                                const T *src = x + ((c * g->in[0] + z) * g->in[1] + y) *     \
                                                       g->in[2];                             \
                                for (int64_t q = 0; q < g->out[2]; q++) {                    \
                                    int64_t xx = q * g->s[2] - g->p[2] + m * g->d[2];        \
                                    dst[q] = in && xx >= 0 && xx < g->in[2] ? src[xx] : 0;   \
                                }                                                            \
                            }                                                                \
                        }                                                                    \
                    }                                                                        \
    }

/* col2vol: the adjoint of vol2col, adding every column entry into its cell of dx (C, D, H, W). */
#define L2__COL2VOL(SUF, T)                                                                  \
    static void col2vol_##SUF(const T *cols, T *dx, const geom3 *g)                          \
    {                                                                                        \
        int64_t r = 0;                                                                       \
        for (int64_t c = 0; c < g->c; c++)                                                   \
            for (int64_t i = 0; i < g->k[0]; i++)                                            \
                for (int64_t j = 0; j < g->k[1]; j++)                                        \
                    for (int64_t m = 0; m < g->k[2]; m++, r++) {                             \
                        const T *row = cols + r * g->l;                                      \
                        for (int64_t t = 0; t < g->out[0]; t++) {                            \
                            int64_t z = t * g->s[0] - g->p[0] + i * g->d[0];                 \
                            if (z < 0 || z >= g->in[0])                                      \
                                continue;                                                    \
                            for (int64_t p = 0; p < g->out[1]; p++) {                        \
                                int64_t y = p * g->s[1] - g->p[1] + j * g->d[1];             \
                                if (y < 0 || y >= g->in[1])                                  \
                                    continue;                                                \
                                const T *src = row + (t * g->out[1] + p) * g->out[2];        \
                                T *dst = dx + ((c * g->in[0] + z) * g->in[1] + y) * g->in[2];\
                                for (int64_t q = 0; q < g->out[2]; q++) {                    \
                                    int64_t xx = q * g->s[2] - g->p[2] + m * g->d[2];        \
                                    if (xx >= 0 && xx < g->in[2])                            \
                                        dst[xx] += src[q];                                   \
                                }                                                            \
                            }                                                                \
                        }                                                                    \
                    }                                                                        \
    }

L2__VOL2COL(f32, float)
L2__VOL2COL(f64, double)
L2__COL2VOL(f32, float)
L2__COL2VOL(f64, double)

void l2__conv_vol2col(l2_dtype dt, const char *x, char *cols, const geom3 *g)
{
    if (dt == L2_FLOAT32)
        vol2col_f32((const float *)x, (float *)cols, g);
    else
        vol2col_f64((const double *)x, (double *)cols, g);
}

void l2__conv_col2vol(l2_dtype dt, const char *cols, char *dx, const geom3 *g)
{
    if (dt == L2_FLOAT32)
        col2vol_f32((const float *)cols, (float *)dx, g);
    else
        col2vol_f64((const double *)cols, (double *)dx, g);
}

/* Forward, per sample n and group gi:
 *   cols = vol2col(x[n]) (C kk, L)
 *   y[n, gi] (Og, L) = W_gi (Og, Cg kk) @ cols_gi (Cg kk, L) + bias */
static void conv3_fwd(const geom3 *g, l2_dtype dt, const char *x, const char *w, const char *b,
                      char *y, char *cols)
{
    size_t es = l2__esize(dt);
    int64_t K = g->cg * g->kk;
    for (int64_t n = 0; n < g->n; n++) {
        char *yn = y + (size_t)(n * g->o * g->l) * es;
        l2__conv_vol2col(dt, x + (size_t)(n * g->c * g->dhw) * es, cols, g);
        for (int64_t gi = 0; gi < g->groups; gi++)
            l2__conv_gemm(dt, false, false, g->og, g->l, K, w + (size_t)(gi * g->og * K) * es, K,
                  cols + (size_t)(gi * K * g->l) * es, g->l, 0,
                  yn + (size_t)(gi * g->og * g->l) * es, g->l);
        for (int64_t o = 0; b && o < g->o; o++) {
            if (dt == L2_FLOAT32) {
                float v = ((const float *)b)[o], *yo = (float *)yn + o * g->l;
                for (int64_t i = 0; i < g->l; i++)
                    yo[i] += v;
            } else {
                double v = ((const double *)b)[o], *yo = (double *)yn + o * g->l;
                for (int64_t i = 0; i < g->l; i++)
                    yo[i] += v;
            }
        }
    }
}

l2_tensor *l2_conv3d(const l2_tensor *x, const l2_tensor *w, const l2_tensor *b,
                     const int64_t stride[3], const int64_t padding[3],
                     const int64_t dilation[3], int64_t groups)
{
    L2__HALF_ROUTE(l2_conv3d(H_[0], H_[1], H_[2], stride, padding, dilation, groups), x, w, b);
    const char *op = "conv3d";
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
    L2__CHECK(w->ndim == 5, NULL, L2_ERR_SHAPE, "%s: expected 5-dimensional weight (O, C/groups, "
              "kD, kH, kW), but got weight of size %s", op, l2__shape_str(s1, w->ndim, w->shape));
    geom3 g;
    int bt = x->ndim - 4;
    g.n = bt ? x->shape[0] : 1;
    g.c = x->shape[bt];
    for (int i = 0; i < 3; i++) {
        g.in[i] = x->shape[bt + 1 + i];
        g.k[i] = w->shape[2 + i];
        g.s[i] = stride ? stride[i] : 1;
        g.p[i] = padding ? padding[i] : 0;
        g.d[i] = dilation ? dilation[i] : 1;
        L2__CHECK(g.s[i] > 0, NULL, L2_ERR_ARG, "%s: non-positive stride is not supported (got "
                  "%lld in dim %d)", op, (long long)g.s[i], i);
        L2__CHECK(g.p[i] >= 0, NULL, L2_ERR_ARG, "%s: negative padding is not supported (got "
                  "%lld in dim %d)", op, (long long)g.p[i], i);
        L2__CHECK(g.d[i] > 0, NULL, L2_ERR_ARG, "%s: dilation should be greater than zero (got "
                  "%lld in dim %d)", op, (long long)g.d[i], i);
    }
    L2__CHECK(groups > 0, NULL, L2_ERR_ARG, "%s: non-positive groups is not supported (got "
              "%lld)", op, (long long)groups);
    g.groups = groups;
    g.o = w->shape[0];
    L2__CHECK(g.o % groups == 0, NULL, L2_ERR_SHAPE, "%s: given groups=%lld, expected weight %s "
              "to be divisible by %lld at dimension 0", op, (long long)groups,
              l2__shape_str(s1, w->ndim, w->shape), (long long)groups);
    int64_t wc_total;
    L2__CHECK(!l2__mul_ovf(w->shape[1], groups, &wc_total) && g.c == wc_total, NULL,
              L2_ERR_SHAPE, "%s: given groups=%lld, weight of size %s, expected input %s to have "
              "%lld channels, but got %lld channels instead", op, (long long)groups,
              l2__shape_str(s1, w->ndim, w->shape), l2__shape_str(s2, x->ndim, x->shape),
              (long long)l2__mul_sat(w->shape[1], groups), (long long)g.c);
    if (b) {
        L2__CHECK(b->dtype == x->dtype, NULL, L2_ERR_DTYPE, "%s: input type (%s) and bias type "
                  "(%s) should be the same", op, l2_dtype_name(x->dtype),
                  l2_dtype_name(b->dtype));
        L2__CHECK(b->ndim == 1 && b->shape[0] == g.o, NULL, L2_ERR_SHAPE, "%s: expected bias "
                  "of shape [%lld], got %s", op, (long long)g.o,
                  l2__shape_str(s1, b->ndim, b->shape));
    }
    L2__CHECK(g.k[0] > 0 && g.k[1] > 0 && g.k[2] > 0, NULL, L2_ERR_SHAPE, "%s: expected a "
              "kernel of at least 1 x 1 x 1, but got weight of size %s", op,
              l2__shape_str(s1, w->ndim, w->shape));
    int64_t osz[3];
    for (int i = 0; i < 3; i++) {
        osz[i] = out_size(g.in[i], g.k[i], g.s[i], g.p[i], g.d[i]);
        L2__CHECK(osz[i] != -2, NULL, L2_ERR_OVERFLOW, "%s: padded input size %lld + 2 * %lld "
                  "overflows int64", op, (long long)g.in[i], (long long)g.p[i]);
    }
    L2__CHECK(osz[0] > 0 && osz[1] > 0 && osz[2] > 0, NULL, L2_ERR_SHAPE,
              "%s: calculated "
              "padded input size per channel: (%lld x %lld x %lld). Kernel size: (%lld x %lld x "
              "%lld) (dilated). Kernel size can't be greater than actual input size",
              op, (long long)l2__conv_padded_sat(g.in[0], g.p[0]),
              (long long)l2__conv_padded_sat(g.in[1], g.p[1]),
              (long long)l2__conv_padded_sat(g.in[2], g.p[2]),
              (long long)l2__conv_span_sat(g.k[0], g.d[0]),
              (long long)l2__conv_span_sat(g.k[1], g.d[1]),
              (long long)l2__conv_span_sat(g.k[2], g.d[2]));
    memcpy(g.out, osz, sizeof osz);
    int64_t oshape[5] = {g.n, g.o, g.out[0], g.out[1], g.out[2]};
    if (!l2__check_shape(op, 5, oshape, x->dtype, NULL))
        return NULL;
    g.cg = g.c / groups;
    g.og = g.o / groups;
    g.dhw = g.in[0] * g.in[1] * g.in[2]; /* x exists: its numel fits */
    g.l = g.out[0] * g.out[1] * g.out[2];
    int64_t colsz, K;
    L2__CHECK(!l2__mul_ovf(g.k[0], g.k[1], &g.kk) && !l2__mul_ovf(g.kk, g.k[2], &g.kk) &&
              !l2__mul_ovf(g.kk, g.cg, &K) && K <= INT_MAX && g.l <= INT_MAX &&
              g.o <= INT_MAX && !l2__mul_ovf(K, groups, &colsz) &&
              !l2__mul_ovf(colsz, g.l, &colsz) && colsz <= INT64_MAX / 8, NULL,
              L2_ERR_OVERFLOW, "%s: the column matrix (%lld x %lld per group) is too large for "
              "BLAS", op, (long long)l2__mul_sat(g.kk, g.cg), (long long)g.l);
    int rank = x->ndim;
    const int64_t *osh = rank == 5 ? oshape : oshape + 1;
    l2__conv_io io;
    bool ok = l2__conv_io_start(op, &io, x, w, b, rank, osh);
    size_t es = l2__esize(x->dtype);
    char *cols = ok && g.n > 0 ? l2__malloc((size_t)colsz * es + 1, op) : NULL;
    ok = ok && (g.n == 0 || cols);
    if (ok)
        conv3_fwd(&g, x->dtype, l2__data(io.xc), l2__data(io.wc),
                  io.bc ? l2__data(io.bc) : NULL, l2__data(io.r), cols);
    l2__free(cols);
    int64_t ip[10] = {g.s[0], g.s[1], g.s[2], g.p[0], g.p[1], g.p[2], g.d[0], g.d[1], g.d[2],
                      groups};
    return l2__conv_io_end(&io, ok, L2__OP_CONV3D, x, w, b, ip, 10);
}

/* Per sample n and group gi, with cols = vol2col(x[n]):
 *   dcols_gi (Cg kk, L) = W_gi^T (Cg kk, Og) @ dy[n, gi] (Og, L); dx[n] = col2vol(dcols)
 *   dW_gi (Og, Cg kk) += dy[n, gi] (Og, L) @ cols_gi^T (L, Cg kk)
 *   db[o] = sum over n and L of dy[n, o] */
l2_status l2__conv3d_backward(l2__node *node, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "conv3d";
    const l2_tensor *x = node->saved[0], *w = node->saved[1];
    const int64_t *ip = node->i;
    geom3 g;
    int bt = x->ndim - 4; /* x and w were checked by the forward */
    g.n = bt ? x->shape[0] : 1;
    g.c = x->shape[bt];
    g.o = w->shape[0];
    g.groups = ip[9];
    g.cg = g.c / g.groups;
    g.og = g.o / g.groups;
    g.kk = w->shape[2] * w->shape[3] * w->shape[4];
    for (int i = 0; i < 3; i++) {
        g.in[i] = x->shape[bt + 1 + i];
        g.k[i] = w->shape[2 + i];
        g.s[i] = ip[i];
        g.p[i] = ip[3 + i];
        g.d[i] = ip[6 + i];
        g.out[i] = gout->shape[gout->ndim - 3 + i];
    }
    g.dhw = g.in[0] * g.in[1] * g.in[2];
    g.l = g.out[0] * g.out[1] * g.out[2];
    l2_dtype dt = x->dtype;
    size_t es = l2__esize(dt);
    int64_t K = g.cg * g.kk;
    l2__conv_grads gr;
    bool ok = l2__conv_grads_start(op, &gr, node, gout, g.o, true, true);
    char *cols = NULL;
    if (ok && (gr.need_x || gr.need_w) && g.n > 0 &&
        !(cols = l2__malloc((size_t)(g.c * g.kk * g.l) * es + 1, op)))
        ok = false;
    const char *dy = ok ? l2__data(gr.dy) : NULL;
    for (int64_t n = 0; ok && gr.need_w && n < g.n; n++) {
        l2__conv_vol2col(dt, l2__data(gr.xc) + (size_t)(n * g.c * g.dhw) * es, cols, &g);
        for (int64_t gi = 0; gi < g.groups; gi++)
            l2__conv_gemm(dt, false, true, g.og, K, g.l,
                          dy + (size_t)((n * g.o + gi * g.og) * g.l) * es, g.l,
                          cols + (size_t)(gi * K * g.l) * es, g.l, 1,
                          l2__data(gr.dw) + (size_t)(gi * g.og * K) * es, K);
    }
    for (int64_t n = 0; ok && gr.need_x && n < g.n; n++) {
        for (int64_t gi = 0; gi < g.groups; gi++)
            l2__conv_gemm(dt, true, false, K, g.l, g.og,
                          l2__data(gr.wc) + (size_t)(gi * g.og * K) * es, K,
                          dy + (size_t)((n * g.o + gi * g.og) * g.l) * es, g.l, 0,
                          cols + (size_t)(gi * K * g.l) * es, g.l);
        l2__conv_col2vol(dt, cols, l2__data(gr.dx) + (size_t)(n * g.c * g.dhw) * es, &g);
    }
    if (ok && gr.need_b)
        l2__conv_bias_grad(dt, dy, g.n, g.o, g.l, l2__data(gr.db));
    l2__free(cols);
    return l2__conv_grads_end(&gr, ok, gin);
}
