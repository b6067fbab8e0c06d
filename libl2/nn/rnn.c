/* rnn.c: torch 1.13's recurrent cells (rnn_tanh, rnn_relu, lstm, gru), the multi-layer,
 * optionally bidirectional sequence function l2_rnn and the l2_rnn_layer struct. Everything is
 * composed of public differentiable ops, so autograd supplies the backward; there is no fused
 * node. Not implemented: dropout between layers and LSTM's proj_size.
 * Letters: B batch, T time, I input size, H hidden size, G gates, L layers, D directions. */
#include "../autograd-impl.h"

#include <math.h>
#include <stdio.h>

/* Gates per mode: rnn 1, lstm 4 (i, f, g, o), gru 3 (r, z, n). */
static int64_t n_gates(l2_rnn_mode mode)
{
    return mode == L2_LSTM ? 4 : mode == L2_GRU ? 3 : 1;
}

static const char *mode_name(l2_rnn_mode mode)
{
    return mode == L2_LSTM ? "lstm" : mode == L2_GRU ? "gru" : mode == L2_RNN_RELU ? "rnn_relu"
                                                                                : "rnn_tanh";
}

/* A list of intermediates released together; once an op fails, the K() macro stops calling. */
enum { TL_CAP = 32 };
typedef struct {
    l2_tensor *t[TL_CAP];
    int n;
    bool bad;
} tlist;

static l2_tensor *tl_keep(tlist *L, l2_tensor *t)
{
    if (!t)
        L->bad = true;
    else
        L->t[L->n++] = t;
    return t;
}

static void tl_drop(tlist *L)
{
    for (int k = 0; k < L->n; k++)
        l2_tensor_release(L->t[k]);
    L->n = 0;
}

#define K(expr) (L.bad ? NULL : tl_keep(&L, (expr)))

/* Chunk t (B, G*H) into its G gates along dim 1, kept in L. */
static void gates_chunk(tlist *L, const l2_tensor *t, int64_t g, l2_tensor **out)
{
    for (int64_t k = 0; k < g; k++)
        out[k] = NULL;
    if (L->bad)
        return;
    int64_t cnt = 0;
    if (l2_chunk(t, g, 1, out, g, &cnt) != L2_OK || cnt != g) {
        for (int64_t k = 0; k < cnt && k < g; k++)
            l2_tensor_release(out[k]);
        L->bad = true;
        return;
    }
    for (int64_t k = 0; k < g; k++)
        tl_keep(L, out[k]);
}

/* One step from the input projection gi = linear(x, w_ih, b_ih) (B, G*H) and the state h, c
 * (B, H): returns h' (a new reference) and, for LSTM, c' through *c_out. Called between
 * l2__enter and l2__leave; NULL (error set) on failure with nothing leaked. */
static l2_tensor *cell_step(l2_rnn_mode mode, const l2_tensor *gi, const l2_tensor *h,
                            const l2_tensor *c, const l2_tensor *w_hh, const l2_tensor *b_hh,
                            l2_tensor **c_out)
{
    tlist L = {.n = 0, .bad = false};
    l2_tensor *res = NULL;
    l2_tensor *gh = K(l2_linear(h, w_hh, b_hh));
    if (mode == L2_RNN_TANH || mode == L2_RNN_RELU) {
        l2_tensor *s = K(l2_add(gi, gh));
        if (!L.bad)
            res = mode == L2_RNN_TANH ? l2_tanh(s) : l2_relu(s);
    } else if (mode == L2_LSTM) {
        /* gates = gi + gh; c' = sigmoid(f) c + sigmoid(i) tanh(g); h' = sigmoid(o) tanh(c') */
        l2_tensor *q[4];
        l2_tensor *gates = K(l2_add(gi, gh));
        gates_chunk(&L, gates, 4, q);
        l2_tensor *ig = K(l2_sigmoid(q[0]));
        l2_tensor *fg = K(l2_sigmoid(q[1]));
        l2_tensor *gg = K(l2_tanh(q[2]));
        l2_tensor *og = K(l2_sigmoid(q[3]));
        l2_tensor *fc = K(l2_mul(fg, c));
        l2_tensor *igg = K(l2_mul(ig, gg));
        l2_tensor *cy = L.bad ? NULL : l2_add(fc, igg);
        l2_tensor *tc = cy ? K(l2_tanh(cy)) : NULL;
        res = tc ? l2_mul(og, tc) : NULL;
        if (res)
            *c_out = cy;
        else
            l2_tensor_release(cy);
    } else {
        /* r = sigmoid(gi_r + gh_r), z = sigmoid(gi_z + gh_z), n = tanh(gi_n + r gh_n),
         * h' = (h - n) z + n */
        l2_tensor *a[3], *b[3];
        gates_chunk(&L, gi, 3, a);
        gates_chunk(&L, gh, 3, b);
        l2_tensor *sr = K(l2_add(a[0], b[0]));
        l2_tensor *r = K(l2_sigmoid(sr));
        l2_tensor *sz = K(l2_add(a[1], b[1]));
        l2_tensor *z = K(l2_sigmoid(sz));
        l2_tensor *rn = K(l2_mul(r, b[2]));
        l2_tensor *sn = K(l2_add(a[2], rn));
        l2_tensor *n = K(l2_tanh(sn));
        l2_tensor *hn = K(l2_sub(h, n));
        l2_tensor *d = K(l2_mul(hn, z));
        res = L.bad ? NULL : l2_add(d, n);
    }
    tl_drop(&L);
    return res;
}

/* ---- validation ---- */

static bool check_float_same(const char *op, const l2_tensor *ref, const l2_tensor *t,
                             const char *name)
{
    if (!t)
        return true;
    L2__CHECK(l2__is_float(t->dtype) && t->dtype == ref->dtype, false, L2_ERR_DTYPE,
              "%s: %s has dtype %s, expected the input's float dtype (%s)", op, name,
              l2_dtype_name(t->dtype), l2_dtype_name(ref->dtype));
    return true;
}

/* w_ih (G*H, in), w_hh (G*H, H), biases (G*H): H from w_hh; false with the error set. */
static bool check_weights(const char *op, int64_t g, int64_t in, const l2_tensor *w_ih,
                          const l2_tensor *w_hh, const l2_tensor *b_ih, const l2_tensor *b_hh,
                          const char *where, int64_t *hidden)
{
    L2__CHECK(w_hh->ndim == 2 && w_ih->ndim == 2, false, L2_ERR_SHAPE,
              "%s: %sweights must be 2-d (got %d-d w_ih and %d-d w_hh)", op, where, w_ih->ndim,
              w_hh->ndim);
    int64_t h = w_hh->shape[1], gh;
    L2__CHECK(!l2__mul_ovf(g, h, &gh) && w_hh->shape[0] == gh, false, L2_ERR_SHAPE,
              "%s: %sw_hh has %lld rows, expected %lld (%lld gates x hidden size %lld)", op,
              where, (long long)w_hh->shape[0], (long long)(g * h), (long long)g, (long long)h);
    L2__CHECK(w_ih->shape[0] == g * h && w_ih->shape[1] == in, false, L2_ERR_SHAPE,
              "%s: %sw_ih has shape [%lld,%lld], expected [%lld,%lld] (input has inconsistent "
              "input_size)", op, where, (long long)w_ih->shape[0], (long long)w_ih->shape[1],
              (long long)(g * h), (long long)in);
    const l2_tensor *bs[2] = {b_ih, b_hh};
    for (int k = 0; k < 2; k++)
        L2__CHECK(!bs[k] || (bs[k]->ndim == 1 && bs[k]->shape[0] == g * h), false,
                  L2_ERR_SHAPE, "%s: %s%s must have shape [%lld]", op, where,
                  k ? "b_hh" : "b_ih", (long long)(g * h));
    *hidden = h;
    return true;
}

/* ---- cells ---- */

static l2_tensor *cell(const char *op, l2_rnn_mode mode, const l2_tensor *input,
                       const l2_tensor *hx, const l2_tensor *cx, const l2_tensor *w_ih,
                       const l2_tensor *w_hh, const l2_tensor *b_ih, const l2_tensor *b_hh,
                       l2_tensor **cy)
{
    L2__CHECK_TN(input, NULL, op, "input");
    L2__CHECK_TN(w_ih, NULL, op, "w_ih");
    L2__CHECK_TN(w_hh, NULL, op, "w_hh");
    L2__CHECK(input->ndim == 1 || input->ndim == 2, NULL, L2_ERR_SHAPE,
              "%s: expected input to be 1-d or 2-d, got %d-d", op, input->ndim);
    L2__CHECK(l2__is_float(input->dtype), NULL, L2_ERR_DTYPE,
              "%s: input dtype %s is not a float dtype", op, l2_dtype_name(input->dtype));
    if (mode == L2_LSTM)
        L2__CHECK((hx == NULL) == (cx == NULL), NULL, L2_ERR_ARG,
                  "%s: hx and cx must both be given or both be NULL", op);
    const l2_tensor *all[] = {hx, cx, w_ih, w_hh, b_ih, b_hh};
    const char *names[] = {"hx", "cx", "w_ih", "w_hh", "b_ih", "b_hh"};
    for (int k = 0; k < 6; k++)
        if (!check_float_same(op, input, all[k], names[k]))
            return NULL;
    int64_t h, g = n_gates(mode);
    bool batched = input->ndim == 2;
    int64_t bsz = batched ? input->shape[0] : 1;
    if (!check_weights(op, g, input->shape[input->ndim - 1], w_ih, w_hh, b_ih, b_hh, "", &h))
        return NULL;
    const l2_tensor *hs[2] = {hx, cx};
    for (int k = 0; k < 2; k++) {
        const l2_tensor *s = hs[k];
        if (!s)
            continue;
        L2__CHECK(s->ndim == input->ndim && (!batched || s->shape[0] == bsz) &&
                      s->shape[s->ndim - 1] == h, NULL, L2_ERR_SHAPE,
                  "%s: %s has shape [%lld%s%lld], expected %s[%lld]%s", op, names[k],
                  (long long)s->shape[0], s->ndim == 2 ? "," : "",
                  s->ndim == 2 ? (long long)s->shape[1] : 0LL, batched ? "[B," : "",
                  (long long)h, batched ? " with B the input's batch" : " (unbatched input)");
    }
    if (mode == L2_LSTM) {
        L2__CHECK(cy, NULL, L2_ERR_NULL, "%s: argument 'cy' is NULL", op);
        *cy = NULL;
    }
    /* Unbatched: as nn.RNNCell, run on a batch of one and drop the batch dim. */
    tlist L = {.n = 0, .bad = false};
    l2_tensor *res = NULL, *c1 = NULL;
    l2__enter();
    int64_t zshape[2] = {bsz, h};
    const l2_tensor *x = batched ? input : K(l2_unsqueeze(input, 0));
    const l2_tensor *h0 = hx ? (batched ? hx : K(l2_unsqueeze(hx, 0)))
                             : K(l2_zeros(2, zshape, input->dtype));
    const l2_tensor *c0 = NULL;
    if (mode == L2_LSTM)
        c0 = cx ? (batched ? cx : K(l2_unsqueeze(cx, 0))) : K(l2_zeros(2, zshape, input->dtype));
    l2_tensor *gi = K(l2_linear(x, w_ih, b_ih));
    if (!L.bad)
        res = cell_step(mode, gi, h0, c0, w_hh, b_hh, &c1);
    if (res && !batched) {
        l2_tensor *r2 = l2_squeeze_dim(res, 0);
        l2_tensor *c2 = r2 && c1 ? l2_squeeze_dim(c1, 0) : NULL;
        l2_tensor_release(res);
        l2_tensor_release(c1);
        res = r2;
        c1 = c2;
        if (mode == L2_LSTM && !c1) {
            l2_tensor_release(res);
            res = NULL;
        }
    }
    tl_drop(&L);
    l2__leave();
    if (mode == L2_LSTM && res)
        *cy = l2__ret(c1);
    return l2__ret(res);
}

l2_tensor *l2_rnn_tanh_cell(const l2_tensor *input, const l2_tensor *hx, const l2_tensor *w_ih,
                            const l2_tensor *w_hh, const l2_tensor *b_ih, const l2_tensor *b_hh)
{
    return cell("rnn_tanh_cell", L2_RNN_TANH, input, hx, NULL, w_ih, w_hh, b_ih, b_hh, NULL);
}

l2_tensor *l2_rnn_relu_cell(const l2_tensor *input, const l2_tensor *hx, const l2_tensor *w_ih,
                            const l2_tensor *w_hh, const l2_tensor *b_ih, const l2_tensor *b_hh)
{
    return cell("rnn_relu_cell", L2_RNN_RELU, input, hx, NULL, w_ih, w_hh, b_ih, b_hh, NULL);
}

l2_tensor *l2_lstm_cell(const l2_tensor *input, const l2_tensor *hx, const l2_tensor *cx,
                        const l2_tensor *w_ih, const l2_tensor *w_hh, const l2_tensor *b_ih,
                        const l2_tensor *b_hh, l2_tensor **cy)
{
    if (cy)
        *cy = NULL;
    return cell("lstm_cell", L2_LSTM, input, hx, cx, w_ih, w_hh, b_ih, b_hh, cy);
}

l2_tensor *l2_gru_cell(const l2_tensor *input, const l2_tensor *hx, const l2_tensor *w_ih,
                       const l2_tensor *w_hh, const l2_tensor *b_ih, const l2_tensor *b_hh)
{
    return cell("gru_cell", L2_GRU, input, hx, NULL, w_ih, w_hh, b_ih, b_hh, NULL);
}

/* ---- the sequence function ---- */

/* Validate l2_rnn's arguments; sets *t, *b, *h (T, B, H). */
static bool check_seq(const char *op, l2_rnn_mode mode, const l2_tensor *input,
                      const l2_tensor *hx, const l2_tensor *cx, l2_tensor *const *weights,
                      int num_layers, bool bias, bool batch_first, bool bidirectional,
                      int64_t *tlen, int64_t *bsz, int64_t *hid)
{
    L2__CHECK_TN(input, false, op, "input");
    L2__CHECK(weights, false, L2_ERR_NULL, "%s: argument 'weights' is NULL", op);
    L2__CHECK(num_layers >= 1, false, L2_ERR_ARG, "%s: num_layers must be >= 1 (got %d)", op,
              num_layers);
    L2__CHECK(input->ndim == 2 || input->ndim == 3, false, L2_ERR_SHAPE,
              "%s: expected input to be 2-d (unbatched) or 3-d, got %d-d", op, input->ndim);
    L2__CHECK(l2__is_float(input->dtype), false, L2_ERR_DTYPE,
              "%s: input dtype %s is not a float dtype", op, l2_dtype_name(input->dtype));
    L2__CHECK(mode == L2_LSTM || !cx, false, L2_ERR_ARG, "%s: cx is only for LSTM", op);
    L2__CHECK(mode != L2_LSTM || (hx == NULL) == (cx == NULL), false, L2_ERR_ARG,
              "%s: hx and cx must both be given or both be NULL", op);
    bool batched = input->ndim == 3;
    int64_t t = batched && batch_first ? input->shape[1] : input->shape[0];
    int64_t b = batched ? input->shape[batch_first ? 0 : 1] : 1;
    int64_t in = input->shape[input->ndim - 1];
    L2__CHECK(t > 0, false, L2_ERR_ARG,
              "%s: expected sequence length to be larger than 0 (got input shape [%lld,...])", op,
              (long long)input->shape[0]);
    L2__CHECK(t <= INT32_MAX, false, L2_ERR_OVERFLOW, "%s: sequence length %lld is too long", op,
              (long long)t);
    int64_t dirs = bidirectional ? 2 : 1, per = bias ? 4 : 2, g = n_gates(mode);
    int64_t h = -1;
    for (int64_t k = 0; k < num_layers; k++) {
        for (int64_t d = 0; d < dirs; d++) {
            int64_t base = (k * dirs + d) * per;
            char where[64];
            snprintf(where, sizeof where, "layer %lld%s: ", (long long)k,
                     d ? " reverse" : "");
            for (int64_t j = 0; j < per; j++) {
                L2__CHECK(weights[base + j], false, L2_ERR_NULL,
                          "%s: %sweight %lld is NULL", op, where, (long long)(base + j));
                if (!check_float_same(op, input, weights[base + j], "a weight"))
                    return false;
            }
            int64_t hk;
            int64_t want_in = k == 0 ? in : dirs * h; /* h is layer 0's, at most numel */
            if (!check_weights(op, g, want_in, weights[base], weights[base + 1],
                               bias ? weights[base + 2] : NULL, bias ? weights[base + 3] : NULL,
                               where, &hk))
                return false;
            L2__CHECK(h < 0 || hk == h, false, L2_ERR_SHAPE,
                      "%s: %shidden size %lld differs from layer 0's %lld", op, where,
                      (long long)hk, (long long)h);
            h = hk;
        }
    }
    const l2_tensor *hs[2] = {hx, cx};
    for (int k = 0; k < 2; k++) {
        const l2_tensor *s = hs[k];
        if (!s)
            continue;
        if (!check_float_same(op, input, s, k ? "cx" : "hx"))
            return false;
        bool ok = s->ndim == input->ndim && s->shape[0] == num_layers * dirs &&
                  s->shape[s->ndim - 1] == h && (!batched || s->shape[1] == b);
        L2__CHECK(ok, false, L2_ERR_SHAPE,
                  "%s: expected %s of shape %s[%lld,%lld%s%lld] (got %d-d, first size %lld)", op,
                  k ? "cx" : "hx", batched ? "" : "(unbatched) ", (long long)(num_layers * dirs),
                  batched ? (long long)b : (long long)h, batched ? "," : "",
                  batched ? (long long)h : 0LL, s->ndim, (long long)s->shape[0]);
    }
    *tlen = t;
    *bsz = b;
    *hid = h;
    return true;
}

/* One direction of one layer over x (T, B, in): returns its outputs (T, B, H) stacked in time
 * order, and the final h (and c) through *h_last, *c_last (new references). */
static l2_tensor *run_dir(l2_rnn_mode mode, const l2_tensor *x, l2_tensor *const *w, bool bias,
                          bool reverse, const l2_tensor *h0, const l2_tensor *c0, int64_t tlen,
                          l2_tensor **h_last, l2_tensor **c_last)
{
    l2_tensor **steps = l2__calloc((size_t)tlen * sizeof *steps, "rnn: step outputs");
    if (!steps)
        return NULL;
    l2_tensor *out = NULL, *c = NULL;
    l2_tensor *xw = l2_linear(x, w[0], bias ? w[2] : NULL); /* (T, B, G*H), one product */
    const l2_tensor *h = h0;
    if (xw && c0)
        c = l2_tensor_ref((l2_tensor *)c0);
    bool ok = xw != NULL;
    for (int64_t s = 0; ok && s < tlen; s++) {
        int64_t t = reverse ? tlen - 1 - s : s;
        l2_tensor *gi = l2_select(xw, 0, t);
        l2_tensor *c1 = NULL;
        steps[t] = gi ? cell_step(mode, gi, h, c, w[1], bias ? w[3] : NULL, &c1) : NULL;
        l2_tensor_release(gi);
        ok = steps[t] != NULL;
        if (ok && mode == L2_LSTM) {
            l2_tensor_release(c);
            c = c1;
        }
        if (ok)
            h = steps[t];
    }
    if (ok)
        out = l2_stack((int)tlen, steps, 0);
    if (out) {
        *h_last = l2_tensor_ref((l2_tensor *)h);
        *c_last = c;
    } else {
        l2_tensor_release(c);
    }
    for (int64_t t = 0; t < tlen; t++)
        l2_tensor_release(steps[t]);
    l2__free(steps);
    l2_tensor_release(xw);
    return out;
}

l2_tensor *l2_rnn(l2_rnn_mode mode, const l2_tensor *input, const l2_tensor *hx,
                  const l2_tensor *cx, l2_tensor *const *weights, int num_layers, bool bias,
                  bool batch_first, bool bidirectional, l2_tensor **h_n, l2_tensor **c_n)
{
    if (h_n)
        *h_n = NULL;
    if (c_n)
        *c_n = NULL;
    L2__CHECK((int)mode >= (int)L2_RNN_TANH && (int)mode <= (int)L2_GRU, NULL, L2_ERR_ARG,
              "rnn: mode %d is not an l2_rnn_mode", (int)mode);
    const char *op = mode_name(mode);
    int64_t tlen, bsz, hid;
    if (!check_seq(op, mode, input, hx, cx, weights, num_layers, bias, batch_first,
                   bidirectional, &tlen, &bsz, &hid))
        return NULL;
    bool batched = input->ndim == 3;
    int dirs = bidirectional ? 2 : 1, per = bias ? 4 : 2;
    int64_t nst = (int64_t)num_layers * dirs;
    l2_tensor **fin = l2__calloc(2 * (size_t)nst * sizeof *fin, "rnn: final states");
    if (!fin)
        return NULL;
    l2_tensor **hfin = fin, **cfin = fin + nst;
    tlist L = {.n = 0, .bad = false};
    l2_tensor *res = NULL, *hres = NULL, *cres = NULL, *layer_in = NULL;
    l2__enter();
    /* Everything runs in (T, B, *) with the states (L*D, B, H). */
    const l2_tensor *x = !batched ? K(l2_unsqueeze(input, 1))
                                  : batch_first ? K(l2_transpose(input, 0, 1)) : input;
    int64_t zshape[3] = {nst, bsz, hid};
    const l2_tensor *h0 = hx ? (batched ? hx : K(l2_unsqueeze(hx, 1)))
                             : K(l2_zeros(3, zshape, input->dtype));
    const l2_tensor *c0 = NULL;
    if (mode == L2_LSTM)
        c0 = cx ? (batched ? cx : K(l2_unsqueeze(cx, 1))) : K(l2_zeros(3, zshape, input->dtype));
    if (!L.bad)
        layer_in = l2_tensor_ref((l2_tensor *)x);
    for (int k = 0; layer_in && k < num_layers; k++) {
        l2_tensor *outs[2] = {NULL, NULL};
        bool ok = true;
        for (int d = 0; ok && d < dirs; d++) {
            int64_t st = (int64_t)k * dirs + d;
            l2_tensor *hs = l2_select(h0, 0, st);
            l2_tensor *cs = hs && c0 ? l2_select(c0, 0, st) : NULL;
            ok = hs && (!c0 || cs);
            if (ok)
                outs[d] = run_dir(mode, layer_in, weights + st * per, bias, d == 1, hs, cs, tlen,
                                  &hfin[st], &cfin[st]);
            ok = ok && outs[d];
            l2_tensor_release(hs);
            l2_tensor_release(cs);
        }
        l2_tensor *next = NULL;
        if (ok)
            next = dirs == 2 ? l2_cat(2, outs, 2) : l2_tensor_ref(outs[0]);
        l2_tensor_release(outs[0]);
        l2_tensor_release(outs[1]);
        l2_tensor_release(layer_in);
        layer_in = next;
    }
    if (layer_in) {
        res = !batched ? l2_squeeze_dim(layer_in, 1)
                       : batch_first ? l2_transpose(layer_in, 0, 1)
                                     : l2_tensor_ref(layer_in);
        l2_tensor_release(layer_in);
    }
    if (res && h_n) {
        l2_tensor *hs = l2_stack((int)nst, hfin, 0);
        hres = hs && !batched ? l2_squeeze_dim(hs, 1) : hs ? l2_tensor_ref(hs) : NULL;
        l2_tensor_release(hs);
        if (!hres) {
            l2_tensor_release(res);
            res = NULL;
        }
    }
    if (res && c_n && mode == L2_LSTM) {
        l2_tensor *cs = l2_stack((int)nst, cfin, 0);
        cres = cs && !batched ? l2_squeeze_dim(cs, 1) : cs ? l2_tensor_ref(cs) : NULL;
        l2_tensor_release(cs);
        if (!cres) {
            l2_tensor_release(res);
            l2_tensor_release(hres);
            res = hres = NULL;
        }
    }
    for (int64_t k = 0; k < 2 * nst; k++)
        l2_tensor_release(fin[k]);
    l2__free(fin);
    tl_drop(&L);
    l2__leave();
    if (res && h_n)
        *h_n = l2__ret(hres);
    if (res && c_n && mode == L2_LSTM)
        *c_n = l2__ret(cres);
    return l2__ret(res);
}

/* ---- the layer ---- */

static const char *const suffixes[4] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};

l2_status l2_rnn_layer_init(l2_rnn_layer *m, l2_rnn_mode mode, int64_t input_size,
                            int64_t hidden_size, int num_layers, bool bias, bool batch_first,
                            bool bidirectional, l2_dtype dt)
{
    const char *op = "rnn_layer_init";
    L2__CHECK_ST(m, L2_ERR_NULL, "%s: layer is NULL", op);
    m->weights = NULL;
    m->nweights = 0;
    L2__CHECK_ST((int)mode >= (int)L2_RNN_TANH && (int)mode <= (int)L2_GRU, L2_ERR_ARG,
                 "%s: mode %d is not an l2_rnn_mode", op, (int)mode);
    L2__CHECK_ST(input_size > 0 && hidden_size > 0 && num_layers > 0 && num_layers <= 1 << 20,
                 L2_ERR_ARG, "%s: sizes must be positive (input %lld, hidden %lld, layers %d)",
                 op, (long long)input_size, (long long)hidden_size, num_layers);
    L2__CHECK_ST(l2__is_float(dt), L2_ERR_DTYPE, "%s: dtype %s is not a float dtype", op,
                 l2_dtype_name(dt));
    int64_t g = n_gates(mode), gh, h2;
    L2__CHECK_ST(!l2__mul_ovf(g, hidden_size, &gh) && !l2__mul_ovf(2, hidden_size, &h2),
                 L2_ERR_OVERFLOW,
                 "%s: %lld gates x hidden size %lld overflows", op, (long long)g,
                 (long long)hidden_size);
    int dirs = bidirectional ? 2 : 1, per = bias ? 4 : 2;
    int nw = num_layers * dirs * per;
    l2_tensor **w = l2__calloc((size_t)nw * sizeof *w, "rnn_layer_init: weights");
    if (!w)
        return L2_ERR_NOMEM;
    double bound = 1.0 / sqrt((double)hidden_size);
    bool ok = true;
    for (int k = 0; ok && k < nw; k++) {
        int layer = k / (dirs * per), j = k % per;
        int64_t in = layer == 0 ? input_size : dirs * hidden_size;
        int64_t shape[2] = {gh, j == 0 ? in : hidden_size};
        l2__enter();
        w[k] = l2_uniform(j < 2 ? 2 : 1, shape, -bound, bound, dt);
        l2__leave();
        ok = w[k] && l2_set_requires_grad(w[k], true) == L2_OK;
    }
    if (!ok) {
        l2_status st = l2_last_status();
        for (int k = 0; k < nw; k++)
            l2_tensor_release(w[k]);
        l2__free(w);
        return st;
    }
    *m = (l2_rnn_layer){.mode = mode, .input_size = input_size, .hidden_size = hidden_size,
                        .num_layers = num_layers, .bias = bias, .batch_first = batch_first,
                        .bidirectional = bidirectional, .nweights = nw, .weights = w};
    return L2_OK;
}

l2_tensor *l2_rnn_layer_forward(const l2_rnn_layer *m, const l2_tensor *input,
                                const l2_tensor *h0, const l2_tensor *c0, l2_tensor **h_n,
                                l2_tensor **c_n)
{
    if (h_n)
        *h_n = NULL;
    if (c_n)
        *c_n = NULL;
    L2__CHECK(m && m->weights, NULL, L2_ERR_NULL, "rnn_layer_forward: layer is NULL");
    return l2_rnn(m->mode, input, h0, c0, m->weights, m->num_layers, m->bias, m->batch_first,
                  m->bidirectional, h_n, c_n);
}

l2_status l2_rnn_layer_params(const l2_rnn_layer *m, l2_params *p, const char *prefix)
{
    L2__CHECK_ST(m && m->weights, L2_ERR_NULL, "rnn_layer_params: layer is NULL");
    L2__CHECK_ST(p, L2_ERR_NULL, "rnn_layer_params: list is NULL");
    int dirs = m->bidirectional ? 2 : 1, per = m->bias ? 4 : 2;
    for (int k = 0; k < m->nweights; k++) {
        char name[512];
        int layer = k / (dirs * per), d = (k / per) % dirs, j = k % per;
        snprintf(name, sizeof name, "%s%s%s_l%d%s", prefix ? prefix : "",
                 prefix && prefix[0] ? "." : "", suffixes[j], layer, d ? "_reverse" : "");
        l2_status st = l2_params_add(p, name, m->weights[k]);
        if (st != L2_OK)
            return st;
    }
    return L2_OK;
}

void l2_rnn_layer_free(l2_rnn_layer *m)
{
    if (!m)
        return;
    for (int k = 0; k < m->nweights && m->weights; k++)
        l2_tensor_release(m->weights[k]);
    l2__free(m->weights);
    m->weights = NULL;
    m->nweights = 0;
}
