/* conv-cg.c: the differentiable backwards (create_graph, issue 15) of the convolutions, pools and
 * constant padding (conv2d.c, conv-transpose.c, pool.c, pool2.c, pool3.c, unpool.c, pad.c): the
 * same derivatives as their backwards, computed with recorded public ops from gout and the
 * saved operands attached to their graphs (l2__saved_graph), so that they can be differentiated
 * again:
 *   conv2d            dx = conv_transpose2d(dy, w), dw = sum over the batch of dy @ unfold(x)^T
 *                     per group, db = dy summed over batch and space;
 *   conv_transpose2d  dx = conv2d(dy, w), dw = sum of x @ unfold(dy)^T per group, db as conv2d;
 *   the max pools     dx = scatter_add of dy into zeros at each window's maximum (the argmax the
 *                     forward kept: constant), so d(dx)/dx = 0 and d(dx)/d(dy) is the gather, as
 *                     torch's max_pool double backward;
 *   the average pools separable: dx = M_h^T dy M_w (and M_d for 3-d) with M_a (out x in) the
 *                     per-axis window weights (constant matrices; the divisor of each window is
 *                     the product of per-axis counts, or divisor_override);
 *   max_unpool2d      dx = dy gathered at the indices;
 *   constant_pad_nd   dx = constant_pad_nd(dy, -pad) (torch's formula).
 *   conv3d            dx = conv_transpose3d(dy, w), dw = a conv3d of x by dy (batch and channels
 *                     exchanged, stride and dilation exchanged), db as conv2d;
 *   conv_transpose3d  dx = conv3d(dy, w), dw = a conv3d of dy by x likewise. */
#include "../autograd-impl.h"
#include "conv-impl.h"

#include <string.h>

/* Temporaries of one cg backward, released together. */
typedef struct {
    l2_tensor *t[24];
    int n;
} tmps;

/* Keep t in the list (NULL passes through: the caller checks). */
static l2_tensor *keep(tmps *k, l2_tensor *t)
{
    if (t)
        k->t[k->n++] = t;
    return t;
}

static void drop(tmps *k)
{
    for (int i = 0; i < k->n; i++)
        l2_tensor_release(k->t[i]);
    k->n = 0;
}

/* t (batched rank r or unbatched rank r - 1) as a batched tensor: a 1-batch view when unbatched.
 * New reference. */
static l2_tensor *batched(const l2_tensor *t, int rank)
{
    if (t->ndim == rank)
        return l2_tensor_ref((l2_tensor *)t);
    return l2_unsqueeze(t, 0);
}

/* g reshaped to the shape of input i of n (the unbatched form drops the 1-batch). */
static l2_tensor *as_input(const l2__node *n, int i, const l2_tensor *g)
{
    return l2_reshape(g, n->in_ndim[i], n->in_shape[i]);
}

/* ---- conv2d and conv_transpose2d --------------------------------------------------------- */

/* db = dy summed over batch and space (dy batched 4-d). */
static l2_status conv_db(const l2_tensor *g4, l2_tensor **gin)
{
    const int dims[3] = {0, 2, 3};
    gin[2] = l2_sum_dims(g4, 3, dims, false);
    return gin[2] ? L2_OK : l2_last_status();
}

/* sum over the batch of a (N, G, A, L) @ b(N, G, B, L)^T, reshaped to shape (4-d). */
static l2_tensor *group_outer(tmps *k, const l2_tensor *a, const l2_tensor *b,
                              const int64_t *shape)
{
    l2_tensor *bt = keep(k, l2_transpose(b, 2, 3));
    l2_tensor *m = bt ? keep(k, l2_matmul(a, bt)) : NULL;
    const int d0 = 0;
    l2_tensor *s = m ? keep(k, l2_sum_dims(m, 1, &d0, false)) : NULL;
    return s ? l2_reshape(s, 4, shape) : NULL;
}

/* y = conv2d(x, w, b): ip = stride, padding, dilation pairs, groups. */
l2_status l2__conv2d_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const int64_t *ip = n->i, groups = ip[6];
    const int64_t *xs = n->in_shape[0] + (n->in_ndim[0] - 3), *ws = n->in_shape[1];
    int64_t N = n->in_ndim[0] == 4 ? n->in_shape[0][0] : 1, C = xs[0], H = xs[1], W = xs[2];
    int64_t O = ws[0], kh = ws[2], kw = ws[3];
    tmps k = {.n = 0};
    l2_status st = L2_OK;
    l2_tensor *g4 = keep(&k, batched(gout, 4));
    if (!g4)
        goto fail;
    int64_t P = g4->shape[2], Q = g4->shape[3];
    if (l2__edge_of(n, 0)) {
        l2_tensor *w = keep(&k, l2__saved_graph(n, 1));
        /* the rows and columns the last window leaves out come back as output padding */
        int64_t op[2] = {H + 2 * ip[2] - ip[4] * (kh - 1) - 1 - (P - 1) * ip[0],
                         W + 2 * ip[3] - ip[5] * (kw - 1) - 1 - (Q - 1) * ip[1]};
        l2_tensor *dx = w ? keep(&k, l2_conv_transpose2d(g4, w, NULL, ip, ip + 2, op, groups,
                                                          ip + 4))
                          : NULL;
        if (!dx || !(gin[0] = as_input(n, 0, dx)))
            goto fail;
    }
    if (l2__edge_of(n, 1)) {
        l2_tensor *x = keep(&k, l2__saved_graph(n, 0));
        l2_tensor *x4 = x ? keep(&k, batched(x, 4)) : NULL;
        int64_t kern[2] = {kh, kw};
        l2_tensor *u = x4 ? keep(&k, l2_unfold(x4, kern, ip + 4, ip + 2, ip)) : NULL;
        int64_t us[4] = {N, groups, C / groups * kh * kw, P * Q}, gs[4] = {N, groups,
                                                                            O / groups, P * Q};
        l2_tensor *ur = u ? keep(&k, l2_reshape(u, 4, us)) : NULL;
        l2_tensor *gr = ur ? keep(&k, l2_reshape(g4, 4, gs)) : NULL;
        if (!gr || !(gin[1] = group_outer(&k, gr, ur, ws)))
            goto fail;
    }
    if (l2__edge_of(n, 2) && conv_db(g4, gin) != L2_OK)
        goto fail;
    drop(&k);
    return L2_OK;
fail:
    st = l2_last_status();
    drop(&k);
    return st;
}

/* y = conv_transpose2d(x, w, b): ip = stride, padding, dilation pairs, groups; w (C, O/G, kH,
 * kW). */
l2_status l2__conv_transpose2d_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const int64_t *ip = n->i, groups = ip[6];
    const int64_t *xs = n->in_shape[0] + (n->in_ndim[0] - 3), *ws = n->in_shape[1];
    int64_t N = n->in_ndim[0] == 4 ? n->in_shape[0][0] : 1, C = xs[0], H = xs[1], W = xs[2];
    int64_t og = ws[1], kh = ws[2], kw = ws[3];
    tmps k = {.n = 0};
    l2_status st = L2_OK;
    l2_tensor *g4 = keep(&k, batched(gout, 4));
    if (!g4)
        goto fail;
    if (l2__edge_of(n, 0)) {
        /* conv2d of dy gives H + floor(output_padding / stride) rows: the first H are dx's */
        l2_tensor *w = keep(&k, l2__saved_graph(n, 1));
        l2_tensor *c = w ? keep(&k, l2_conv2d(g4, w, NULL, ip, ip + 2, ip + 4, groups)) : NULL;
        l2_tensor *ch = c ? keep(&k, l2_narrow(c, 2, 0, H)) : NULL;
        l2_tensor *dx = ch ? keep(&k, l2_narrow(ch, 3, 0, W)) : NULL;
        if (!dx || !(gin[0] = as_input(n, 0, dx)))
            goto fail;
    }
    if (l2__edge_of(n, 1)) {
        int64_t kern[2] = {kh, kw};
        l2_tensor *u = keep(&k, l2_unfold(g4, kern, ip + 4, ip + 2, ip));
        int64_t O = og * groups;
        /* unfold's blocks: (P + 2 p - d (k - 1) - 1) / s + 1 >= H per axis */
        int64_t bh = (g4->shape[2] + 2 * ip[2] - ip[4] * (kh - 1) - 1) / ip[0] + 1;
        int64_t bw = (g4->shape[3] + 2 * ip[3] - ip[5] * (kw - 1) - 1) / ip[1] + 1;
        int64_t u4[4] = {N, O * kh * kw, bh, bw};
        l2_tensor *ur = u ? keep(&k, l2_reshape(u, 4, u4)) : NULL;
        l2_tensor *un = ur ? keep(&k, l2_narrow(ur, 2, 0, H)) : NULL;
        un = un ? keep(&k, l2_narrow(un, 3, 0, W)) : NULL;
        int64_t us[4] = {N, groups, og * kh * kw, H * W}, xr[4] = {N, groups, C / groups, H * W};
        l2_tensor *ug = un ? keep(&k, l2_reshape(un, 4, us)) : NULL;
        l2_tensor *x = ug ? keep(&k, l2__saved_graph(n, 0)) : NULL;
        l2_tensor *x4 = x ? keep(&k, batched(x, 4)) : NULL;
        l2_tensor *xg = x4 ? keep(&k, l2_reshape(x4, 4, xr)) : NULL;
        if (!xg || !(gin[1] = group_outer(&k, xg, ug, ws)))
            goto fail;
    }
    if (l2__edge_of(n, 2) && conv_db(g4, gin) != L2_OK)
        goto fail;
    drop(&k);
    return L2_OK;
fail:
    st = l2_last_status();
    drop(&k);
    return st;
}

/* ---- conv3d and conv_transpose3d (issue 15, session 15) ---------------------------------- */

/* The weight gradient of a 3-d convolution without a 3-d unfold:
 *   r[gi Cb + b, a, i] = sum over n and t of in[n, gi Ca + a, i d - p + t s] ker[n, gi Cb + b, t]
 * (i, t: triples; G groups) for i < k, a (G Cb, Ca, k0, k1, k2) tensor: the conv3d of in as
 * (Ca, G N, ...) (batch Ca) by ker as (G Cb, N, ...) with groups G, stride d, padding p and
 * dilation s, narrowed to k. conv3d's dw: in = x, ker = dy; conv_transpose3d's: in = dy,
 * ker = x. in5, ker5 batched (5-d). */
static l2_tensor *wgrad3(tmps *k, const l2_tensor *in5, const l2_tensor *ker5, int64_t G,
                         const int64_t *s, const int64_t *p, const int64_t *d, const int64_t *kern)
{
    int64_t N = in5->shape[0], Ca = in5->shape[1] / G, Cb = ker5->shape[1] / G;
    const int64_t *is = in5->shape + 2, *ks = ker5->shape + 2;
    int64_t a6[6] = {N, G, Ca, is[0], is[1], is[2]}, b6[6] = {N, G, Cb, ks[0], ks[1], ks[2]};
    int64_t a5[5] = {Ca, G * N, is[0], is[1], is[2]}, b5[5] = {G * Cb, N, ks[0], ks[1], ks[2]};
    const int pa[6] = {2, 1, 0, 3, 4, 5}, pb[6] = {1, 2, 0, 3, 4, 5}, back[5] = {1, 0, 2, 3, 4};
    l2_tensor *t = keep(k, l2_reshape(in5, 6, a6));
    t = t ? keep(k, l2_permute(t, pa)) : NULL;
    l2_tensor *a = t ? keep(k, l2_reshape(t, 5, a5)) : NULL;
    t = a ? keep(k, l2_reshape(ker5, 6, b6)) : NULL;
    t = t ? keep(k, l2_permute(t, pb)) : NULL;
    l2_tensor *bk = t ? keep(k, l2_reshape(t, 5, b5)) : NULL;
    l2_tensor *r = bk ? keep(k, l2_conv3d(a, bk, NULL, d, p, s, G)) : NULL;
    for (int i = 0; i < 3 && r; i++)
        r = keep(k, l2_narrow(r, 2 + i, 0, kern[i]));
    r = r ? keep(k, l2_permute(r, back)) : NULL;
    return r ? l2_contiguous(r) : NULL;
}

/* db = dy summed over batch and space (dy batched 5-d). */
static l2_status conv3_db(const l2_tensor *g5, l2_tensor **gin)
{
    const int dims[4] = {0, 2, 3, 4};
    gin[2] = l2_sum_dims(g5, 4, dims, false);
    return gin[2] ? L2_OK : l2_last_status();
}

/* y = conv3d(x, w, b): ip = stride, padding, dilation triples, groups. */
l2_status l2__conv3d_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const int64_t *ip = n->i, groups = ip[9];
    const int64_t *xs = n->in_shape[0] + (n->in_ndim[0] - 3), *ws = n->in_shape[1];
    tmps k = {.n = 0};
    l2_status st = L2_OK;
    l2_tensor *g5 = keep(&k, batched(gout, 5));
    if (!g5)
        goto fail;
    if (l2__edge_of(n, 0)) {
        l2_tensor *w = keep(&k, l2__saved_graph(n, 1));
        if (w && l2__fault("cg_conv3d_w_const")) /* mutation test: w as a constant in dx */
            w = keep(&k, l2_detach(w));
        /* the cells the last window leaves out come back as output padding */
        int64_t op[3];
        for (int i = 0; i < 3; i++)
            op[i] = xs[i] + 2 * ip[3 + i] - ip[6 + i] * (ws[2 + i] - 1) - 1 -
                    (g5->shape[2 + i] - 1) * ip[i];
        l2_tensor *dx = w ? keep(&k, l2_conv_transpose3d(g5, w, NULL, ip, ip + 3, op, groups,
                                                          ip + 6))
                          : NULL;
        if (!dx || !(gin[0] = as_input(n, 0, dx)))
            goto fail;
    }
    if (l2__edge_of(n, 1)) {
        l2_tensor *x = keep(&k, l2__saved_graph(n, 0));
        l2_tensor *x5 = x ? keep(&k, batched(x, 5)) : NULL;
        if (!x5 || !(gin[1] = wgrad3(&k, x5, g5, groups, ip, ip + 3, ip + 6, ws + 2)))
            goto fail;
    }
    if (l2__edge_of(n, 2) && conv3_db(g5, gin) != L2_OK)
        goto fail;
    drop(&k);
    return L2_OK;
fail:
    st = l2_last_status();
    drop(&k);
    return st;
}

/* y = conv_transpose3d(x, w, b): ip = stride, padding, dilation triples, groups; w (C, O/G, kD,
 * kH, kW). */
l2_status l2__conv_transpose3d_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const int64_t *ip = n->i, groups = ip[9];
    const int64_t *xs = n->in_shape[0] + (n->in_ndim[0] - 3), *ws = n->in_shape[1];
    tmps k = {.n = 0};
    l2_status st = L2_OK;
    l2_tensor *g5 = keep(&k, batched(gout, 5));
    if (!g5)
        goto fail;
    if (l2__edge_of(n, 0)) {
        /* conv3d of dy gives D + floor(output_padding / stride) cells: the first D are dx's */
        l2_tensor *w = keep(&k, l2__saved_graph(n, 1));
        l2_tensor *c = w ? keep(&k, l2_conv3d(g5, w, NULL, ip, ip + 3, ip + 6, groups)) : NULL;
        for (int i = 0; i < 3 && c; i++)
            c = keep(&k, l2_narrow(c, 2 + i, 0, xs[i]));
        if (!c || !(gin[0] = as_input(n, 0, c)))
            goto fail;
    }
    if (l2__edge_of(n, 1)) {
        l2_tensor *x = keep(&k, l2__saved_graph(n, 0));
        l2_tensor *x5 = x ? keep(&k, batched(x, 5)) : NULL;
        if (!x5 || !(gin[1] = wgrad3(&k, g5, x5, groups, ip, ip + 3, ip + 6, ws + 2)))
            goto fail;
    }
    if (l2__edge_of(n, 2) && conv3_db(g5, gin) != L2_OK)
        goto fail;
    drop(&k);
    return L2_OK;
fail:
    st = l2_last_status();
    drop(&k);
    return st;
}

/* ---- max pools: scatter to the argmax ----------------------------------------------------- */

/* dx = scatter_add of dy (planes x out) into zeros (planes x in) at arg (flat positions; one
 * outside [0, in) gets no gradient, as the plain backward), reshaped to input 0's shape. */
static l2_status argmax_scatter(l2__node *n, const l2_tensor *gout, const int64_t *arg,
                                int64_t planes, int64_t in, int64_t out, l2_tensor **gin)
{
    const char *op = "max_pool_backward";
    tmps k = {.n = 0};
    l2_status st = L2_OK;
    int64_t ps[2] = {planes, out}, zs[2] = {planes, in};
    l2_tensor *idx = keep(&k, l2__new(op, 2, ps, L2_INT64, false));
    l2_tensor *mask = NULL;
    if (!idx)
        goto fail;
    int64_t *ix = (int64_t *)l2__data(idx), m = planes * out;
    bool outside = false;
    for (int64_t j = 0; j < m; j++) {
        outside |= arg[j] < 0 || arg[j] >= in;
        ix[j] = arg[j] < 0 || arg[j] >= in ? 0 : arg[j];
    }
    if (outside) {
        if (!(mask = keep(&k, l2__new(op, 2, ps, gout->dtype, false))))
            goto fail;
        for (int64_t j = 0; j < m; j++) {
            double v = arg[j] < 0 || arg[j] >= in ? 0.0 : 1.0;
            if (gout->dtype == L2_FLOAT32)
                ((float *)l2__data(mask))[j] = (float)v;
            else
                ((double *)l2__data(mask))[j] = v;
        }
    }
    l2_tensor *g = keep(&k, l2_reshape(gout, 2, ps));
    if (g && mask)
        g = keep(&k, l2_mul(g, mask));
    l2_tensor *z = g ? keep(&k, l2_zeros(2, zs, gout->dtype)) : NULL;
    l2_tensor *dx = z ? keep(&k, l2_scatter_add(z, 1, idx, g)) : NULL;
    if (!dx || !(gin[0] = as_input(n, 0, dx)))
        goto fail;
    drop(&k);
    return L2_OK;
fail:
    st = l2_last_status();
    drop(&k);
    return st;
}

/* planes, in and out of a node whose input is (N, C, *sp) or (C, *sp) with nsp spatial dims. */
static void pool_sizes(const l2__node *n, int nsp, int64_t *planes, int64_t *in, int64_t *out)
{
    int nd = n->in_ndim[0];
    const int64_t *is = n->in_shape[0];
    *planes = (nd == nsp + 2 ? is[0] : 1) * is[nd - nsp - 1];
    *in = *out = 1;
    for (int d = nd - nsp; d < nd; d++) {
        *in *= is[d];
        *out *= n->out_shape[d];
    }
}

/* The backward of a max pool over nsp spatial dims whose forward kept the flat argmax positions
 * arg (one per output; every max pool but max_pool2d's 2x2 loop keeps them in n->extra). */
static l2_status max_pool_cg(l2__node *n, const l2_tensor *gout, int nsp, const int64_t *arg,
                             l2_tensor **gin)
{
    int64_t planes, in, out;
    pool_sizes(n, nsp, &planes, &in, &out);
    return argmax_scatter(n, gout, arg, planes, in, out, gin);
}

/* pool.c's max_pool2d: the 2x2 stride-2 unpadded loop keeps a byte per output (the cell of its
 * window, 0 1 on the first row, 2 3 on the second), the others flat positions. */
l2_status l2__max_pool2d_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const int64_t *p = n->i;
    bool two = p[0] == 2 && p[1] == 2 && p[2] == 2 && p[3] == 2 && p[4] == 0 && p[5] == 0;
    if (!two)
        return max_pool_cg(n, gout, 2, n->extra, gin);
    int64_t planes, in, out;
    pool_sizes(n, 2, &planes, &in, &out);
    int nd = n->in_ndim[0];
    int64_t W = n->in_shape[0][nd - 1], ow = n->out_shape[nd - 1], m = planes * out;
    int64_t *arg = l2__malloc(sizeof(int64_t) * (size_t)m + 1, "max_pool2d_backward");
    if (!arg)
        return l2_last_status();
    const uint8_t *code = n->extra;
    for (int64_t j = 0; j < m; j++) {
        int64_t o = j % out, oy = o / ow, ox = o % ow;
        arg[j] = (2 * oy + (code[j] >> 1)) * W + 2 * ox + (code[j] & 1);
    }
    l2_status st = argmax_scatter(n, gout, arg, planes, in, out, gin);
    l2__free(arg);
    return st;
}

l2_status l2__max_pool2d_ex_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return max_pool_cg(n, gout, 2, n->extra, gin);
}

l2_status l2__adaptive_max_pool2d_backward_cg(l2__node *n, const l2_tensor *gout,
                                              l2_tensor **gin)
{
    return max_pool_cg(n, gout, 2, n->extra, gin);
}

l2_status l2__max_pool3d_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return max_pool_cg(n, gout, 3, n->extra, gin);
}

/* max_unpool2d: y[p, idx[p, i]] = x[p, i], so dx[p, i] = dy[p, idx[p, i]] (the indices: n->extra,
 * x's shape, each in [0, oH oW)). */
l2_status l2__max_unpool2d_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int64_t planes, hw, pq;
    pool_sizes(n, 2, &planes, &hw, &pq);
    tmps k = {.n = 0};
    l2_status st = L2_OK;
    int64_t is[2] = {planes, hw}, gs[2] = {planes, pq};
    l2_tensor *idx = keep(&k, l2__new("max_unpool2d_backward", 2, is, L2_INT64, false));
    if (idx && planes * hw > 0)
        memcpy(l2__data(idx), n->extra, sizeof(int64_t) * (size_t)(planes * hw));
    l2_tensor *g = idx ? keep(&k, l2_reshape(gout, 2, gs)) : NULL;
    l2_tensor *dx = g ? keep(&k, l2_gather(g, 1, idx)) : NULL;
    if (!dx || !(gin[0] = as_input(n, 0, dx))) {
        st = l2_last_status();
        drop(&k);
        return st;
    }
    drop(&k);
    return L2_OK;
}

/* ---- average pools: per-axis weight matrices ---------------------------------------------- */

enum { AVG_PAD, AVG_INSIDE, AVG_OVERRIDE, AVG_ADAPTIVE };

/* The (out x in) weights of one axis: output o averages the cells of its window inside the
 * input with weight scale / count, count the window's length within the padded input (AVG_PAD,
 * count_include_pad), its cells inside (AVG_INSIDE), 1 (AVG_OVERRIDE: scale carries the
 * divisor) or torch's adaptive window (AVG_ADAPTIVE: k, s, p unused). */
static l2_tensor *axis_weights(int64_t in, int64_t out, int64_t k, int64_t s, int64_t p, int mode,
                               double scale, l2_dtype dt)
{
    int64_t shape[2] = {out, in};
    l2_tensor *m = l2__new("avg_pool_backward", 2, shape, dt, true);
    if (!m)
        return NULL;
    for (int64_t o = 0; o < out; o++) {
        int64_t a, b, cnt;
        if (mode == AVG_ADAPTIVE) {
            a = o * in / out;
            b = ((o + 1) * in + out - 1) / out;
            cnt = b - a;
        } else {
            a = o * s - p;
            b = a + k < in + p ? a + k : in + p;
            cnt = b - a;
            a = a < 0 ? 0 : a;
            b = b < in ? b : in;
            if (mode == AVG_INSIDE)
                cnt = b - a;
            else if (mode == AVG_OVERRIDE)
                cnt = 1;
        }
        for (int64_t c = a; c < b; c++) {
            double v = scale / (double)cnt;
            if (dt == L2_FLOAT32)
                ((float *)l2__data(m))[o * in + c] = (float)v;
            else
                ((double *)l2__data(m))[o * in + c] = v;
        }
    }
    return m;
}

/* dx = gout contracted on each of its last nsp dims with that axis' weights (out x in); ks, ss,
 * ps: the kernel, stride and padding per axis; mode and override as axis_weights. */
static l2_status avg_cg(l2__node *n, const l2_tensor *gout, int nsp, const int64_t *ks,
                        const int64_t *ss, const int64_t *ps, int mode, int64_t divisor,
                        l2_tensor **gin)
{
    tmps k = {.n = 0};
    l2_status st = L2_OK;
    int nd = n->in_ndim[0];
    const l2_tensor *t = gout;
    for (int a = nsp - 1; a >= 0; a--) {
        int d = nd - nsp + a;
        double scale = mode == AVG_OVERRIDE && a == 0 ? 1.0 / (double)divisor : 1.0;
        l2_tensor *m = keep(&k, axis_weights(n->in_shape[0][d], n->out_shape[d],
                                             ks ? ks[a] : 0, ss ? ss[a] : 0, ps ? ps[a] : 0,
                                             mode, scale, gout->dtype));
        /* (..., out) @ (out, in) along dim d, moved last and back */
        l2_tensor *tt = m ? keep(&k, d == nd - 1 ? l2_tensor_ref((l2_tensor *)t)
                                                 : l2_transpose(t, d, nd - 1))
                          : NULL;
        l2_tensor *r = tt ? keep(&k, l2_matmul(tt, m)) : NULL;
        l2_tensor *rb = r ? keep(&k, d == nd - 1 ? l2_tensor_ref(r) : l2_transpose(r, d, nd - 1))
                          : NULL;
        if (!rb)
            goto fail;
        t = rb;
    }
    if (!(gin[0] = l2_contiguous(t)))
        goto fail;
    drop(&k);
    return L2_OK;
fail:
    st = l2_last_status();
    drop(&k);
    return st;
}

/* pool.c: avg_pool2d (count_include_pad, no ceil_mode): i = kernel, stride, padding pairs. */
l2_status l2__avg_pool2d_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const int64_t *p = n->i;
    return avg_cg(n, gout, 2, p, p + 2, p + 4, AVG_PAD, 0, gin);
}

l2_status l2__adaptive_avg_pool2d_backward_cg(l2__node *n, const l2_tensor *gout,
                                              l2_tensor **gin)
{
    return avg_cg(n, gout, 2, NULL, NULL, NULL, AVG_ADAPTIVE, 0, gin);
}

/* pool2.c: i = kernel, stride, padding pairs, count_include_pad, divisor_override. */
l2_status l2__avg_pool2d_ex_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const int64_t *p = n->i;
    int mode = p[7] ? AVG_OVERRIDE : p[6] ? AVG_PAD : AVG_INSIDE;
    return avg_cg(n, gout, 2, p, p + 2, p + 4, mode, p[7], gin);
}

/* pool3.c: i = kernel, stride, padding triples, count_include_pad, divisor_override. */
l2_status l2__avg_pool3d_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const int64_t *p = n->i;
    int mode = p[10] ? AVG_OVERRIDE : p[9] ? AVG_PAD : AVG_INSIDE;
    return avg_cg(n, gout, 3, p, p + 3, p + 6, mode, p[10], gin);
}

/* ---- constant_pad_nd ---------------------------------------------------------------------- */

/* dx = constant_pad_nd(dy, -pad): the kept part of dy, zeros where x was cropped. */
l2_status l2__constant_pad_nd_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int np = (int)n->i[0];
    int64_t neg[2 * L2_MAX_DIMS];
    for (int j = 0; j < np; j++)
        neg[j] = -n->i[1 + j];
    if (l2__numel(n->in_ndim[0], n->in_shape[0]) == 0 || l2_numel(gout) == 0)
        gin[0] = l2_zeros(n->in_ndim[0], n->in_shape[0], gout->dtype);
    else
        gin[0] = l2_pad(gout, np, neg, 0.0);
    return gin[0] ? L2_OK : l2_last_status();
}
