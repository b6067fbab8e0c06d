/* test-rnn.c: the recurrent cells, l2_rnn and l2_rnn_layer (libl2/nn/rnn.c): cell values
 * against a scalar reference in float64 and float32, the sequence function against a loop of
 * reference cells (both directions, two layers, batch_first, unbatched), finite-difference
 * gradients of every input and weight, the layer's parameters and names, error paths and an
 * out-of-memory sweep. */
#include <l2.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

static double sigm(double x) { return 1 / (1 + exp(-x)); }

static double get2(const l2_tensor *t, int64_t i, int64_t j)
{
    int64_t idx[2] = {i, j};
    return at(t, idx);
}

/* The scalar reference of one cell for batch row b: x (I), h, c (H), weights as tensors (read
 * with l2_get); writes h' and c' into ho, co. */
static void ref_cell(l2_rnn_mode mode, const double *x, int64_t in, const double *h,
                     const double *c, int64_t hid, const l2_tensor *wih, const l2_tensor *whh,
                     const l2_tensor *bih, const l2_tensor *bhh, double *ho, double *co)
{
    int64_t g = mode == L2_LSTM ? 4 : mode == L2_GRU ? 3 : 1;
    double gi[4 * 64], gh[4 * 64];
    for (int64_t r = 0; r < g * hid; r++) {
        double a = bih ? flat(bih, r) : 0, b = bhh ? flat(bhh, r) : 0;
        for (int64_t k = 0; k < in; k++)
            a += get2(wih, r, k) * x[k];
        for (int64_t k = 0; k < hid; k++)
            b += get2(whh, r, k) * h[k];
        gi[r] = a;
        gh[r] = b;
    }
    for (int64_t j = 0; j < hid; j++) {
        if (mode == L2_RNN_TANH)
            ho[j] = tanh(gi[j] + gh[j]);
        else if (mode == L2_RNN_RELU)
            ho[j] = fmax(gi[j] + gh[j], 0);
        else if (mode == L2_LSTM) {
            double i = sigm(gi[j] + gh[j]), f = sigm(gi[hid + j] + gh[hid + j]);
            double gg = tanh(gi[2 * hid + j] + gh[2 * hid + j]);
            double o = sigm(gi[3 * hid + j] + gh[3 * hid + j]);
            co[j] = f * c[j] + i * gg;
            ho[j] = o * tanh(co[j]);
        } else {
            double r = sigm(gi[j] + gh[j]), z = sigm(gi[hid + j] + gh[hid + j]);
            double n = tanh(gi[2 * hid + j] + r * gh[2 * hid + j]);
            ho[j] = (1 - z) * n + z * h[j];
        }
    }
}

static const char *mname(l2_rnn_mode m)
{
    return m == L2_LSTM ? "lstm" : m == L2_GRU ? "gru" : m == L2_RNN_RELU ? "rnn_relu"
                                                                          : "rnn_tanh";
}

static int64_t gates(l2_rnn_mode m) { return m == L2_LSTM ? 4 : m == L2_GRU ? 3 : 1; }

static l2_tensor *call_cell(l2_rnn_mode m, const l2_tensor *x, const l2_tensor *h,
                            const l2_tensor *c, l2_tensor *const *w, l2_tensor **cy)
{
    switch (m) {
    case L2_RNN_TANH: return l2_rnn_tanh_cell(x, h, w[0], w[1], w[2], w[3]);
    case L2_RNN_RELU: return l2_rnn_relu_cell(x, h, w[0], w[1], w[2], w[3]);
    case L2_LSTM: return l2_lstm_cell(x, h, c, w[0], w[1], w[2], w[3], cy);
    default: return l2_gru_cell(x, h, w[0], w[1], w[2], w[3]);
    }
}

/* Cells against the reference: B 3, I 5, H 4, with and without biases, in dt. */
static void test_cell_values(l2_rnn_mode m, l2_dtype dt, bool bias)
{
    const int64_t B = 3, I = 5, H = 4, G = gates(m);
    l2_tensor *x = l2_uniform(2, (int64_t[]){B, I}, -1, 1, dt);
    l2_tensor *h = l2_uniform(2, (int64_t[]){B, H}, -1, 1, dt);
    l2_tensor *c = l2_uniform(2, (int64_t[]){B, H}, -1, 1, dt);
    l2_tensor *w[4] = {l2_uniform(2, (int64_t[]){G * H, I}, -0.8, 0.8, dt),
                       l2_uniform(2, (int64_t[]){G * H, H}, -0.8, 0.8, dt),
                       bias ? l2_uniform(1, (int64_t[]){G * H}, -0.5, 0.5, dt) : NULL,
                       bias ? l2_uniform(1, (int64_t[]){G * H}, -0.5, 0.5, dt) : NULL};
    l2_tensor *cy = NULL;
    l2_tensor *hy = call_cell(m, x, h, m == L2_LSTM ? c : NULL, w, &cy);
    double worst = 0;
    for (int64_t b = 0; hy && b < B; b++) {
        double xv[8], hv[8], cv[8], ho[8], co[8];
        for (int64_t k = 0; k < I; k++)
            xv[k] = get2(x, b, k);
        for (int64_t k = 0; k < H; k++) {
            hv[k] = get2(h, b, k);
            cv[k] = get2(c, b, k);
        }
        ref_cell(m, xv, I, hv, cv, H, w[0], w[1], w[2], w[3], ho, co);
        for (int64_t k = 0; k < H; k++) {
            worst = fmax(worst, fabs(get2(hy, b, k) - ho[k]));
            if (m == L2_LSTM)
                worst = fmax(worst, fabs(get2(cy, b, k) - co[k]));
        }
    }
    double tol = dt == L2_FLOAT64 ? 1e-13 : 2e-6;
    ok(hy && (m != L2_LSTM || cy) && worst <= tol, "%s cell %s%s: reference (worst %.3g)",
       mname(m), l2_dtype_name(dt), bias ? "" : " no bias", worst);
    l2_tensor *all[] = {x, h, c, w[0], w[1], w[2], w[3], hy, cy};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        l2_tensor_release(all[k]);
}

/* Unbatched (1-d) input equals a batch of one, and NULL states equal zeros. */
static void test_cell_unbatched(l2_rnn_mode m)
{
    const int64_t I = 3, H = 2, G = gates(m);
    l2_tensor *x = l2_uniform(1, (int64_t[]){I}, -1, 1, L2_FLOAT64);
    l2_tensor *h = l2_uniform(1, (int64_t[]){H}, -1, 1, L2_FLOAT64);
    l2_tensor *c = l2_uniform(1, (int64_t[]){H}, -1, 1, L2_FLOAT64);
    l2_tensor *w[4] = {l2_uniform(2, (int64_t[]){G * H, I}, -1, 1, L2_FLOAT64),
                       l2_uniform(2, (int64_t[]){G * H, H}, -1, 1, L2_FLOAT64),
                       l2_uniform(1, (int64_t[]){G * H}, -1, 1, L2_FLOAT64), NULL};
    l2_tensor *x2 = l2_unsqueeze(x, 0), *h2 = l2_unsqueeze(h, 0), *c2 = l2_unsqueeze(c, 0);
    l2_tensor *cy1 = NULL, *cy2 = NULL, *cz = NULL, *cz2 = NULL;
    l2_tensor *y1 = call_cell(m, x, h, m == L2_LSTM ? c : NULL, w, &cy1);
    l2_tensor *y2 = call_cell(m, x2, h2, m == L2_LSTM ? c2 : NULL, w, &cy2);
    l2_tensor *zh = l2_zeros(1, &H, L2_FLOAT64);
    l2_tensor *yz = call_cell(m, x, NULL, NULL, w, &cz);
    l2_tensor *yz2 = call_cell(m, x, zh, m == L2_LSTM ? zh : NULL, w, &cz2);
    int good = y1 && y2 && l2_ndim(y1) == 1 && l2_shape(y1)[0] == H && yz && yz2;
    for (int64_t k = 0; good && k < H; k++) {
        good = flat(y1, k) == flat(y2, k) && flat(yz, k) == flat(yz2, k);
        if (m == L2_LSTM)
            good = good && l2_ndim(cy1) == 1 && flat(cy1, k) == flat(cy2, k);
    }
    ok(good, "%s cell: unbatched input is a batch of one; NULL state is zeros", mname(m));
    l2_tensor *all[] = {x, h, c, w[0], w[1], w[2], x2, h2, c2, cy1, cy2, cz, cz2, y1, y2, zh, yz,
                        yz2};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        l2_tensor_release(all[k]);
}

/* ---- gradchecks ---- */

/* in: x, h, [c for LSTM], w_ih, w_hh, b_ih, b_hh. */
static l2_tensor *f_cell(l2_tensor *const *in, void *ctx)
{
    l2_rnn_mode m = *(l2_rnn_mode *)ctx;
    l2_tensor *cy = NULL;
    bool lstm = m == L2_LSTM;
    l2_tensor *h = call_cell(m, in[0], in[1], lstm ? in[2] : NULL, in + (lstm ? 3 : 2), &cy);
    if (!lstm || !h)
        return h;
    /* Both outputs in one: h' * 0.7 + c' under gradcheck's random upstream. */
    l2_tensor *a = l2_mul_scalar(h, 0.7);
    l2_tensor *r = l2_add(a, cy);
    l2_tensor_release(a);
    l2_tensor_release(h);
    l2_tensor_release(cy);
    return r;
}

static void test_cell_grad(l2_rnn_mode m)
{
    const int64_t B = 2, I = 3, H = 3, G = gates(m);
    bool lstm = m == L2_LSTM;
    l2_tensor *in[7];
    int n = 0;
    in[n++] = gc_leaf(2, (int64_t[]){B, I}, -1, 1);
    in[n++] = gc_leaf(2, (int64_t[]){B, H}, -1, 1);
    if (lstm)
        in[n++] = gc_leaf(2, (int64_t[]){B, H}, -1, 1);
    in[n++] = gc_leaf(2, (int64_t[]){G * H, I}, -1, 1);
    in[n++] = gc_leaf(2, (int64_t[]){G * H, H}, -1, 1);
    in[n++] = gc_leaf(1, (int64_t[]){G * H}, -1, 1);
    in[n++] = gc_leaf(1, (int64_t[]){G * H}, -1, 1);
    ok(gradcheck(mname(m), f_cell, n, in, &m), "%s cell: finite differences, every input",
       mname(m));
    if (m == L2_GRU)
        oom_check("gru_cell", f_cell, n, in, &m);
    for (int k = 0; k < n; k++)
        l2_tensor_release(in[k]);
}

typedef struct {
    l2_rnn_mode mode;
    int layers;
    bool bias, batch_first, bidir, unbatched;
    int nw;
} seqctx;

/* in: input, h0, [c0], weights...; returns the output, h_n and c_n flattened and joined. */
static l2_tensor *f_seq(l2_tensor *const *in, void *vctx)
{
    const seqctx *c = vctx;
    bool lstm = c->mode == L2_LSTM;
    l2_tensor *hn = NULL, *cn = NULL;
    l2_tensor *y = l2_rnn(c->mode, in[0], in[1], lstm ? in[2] : NULL, (l2_tensor *const *)in +
                          (lstm ? 3 : 2), c->layers, c->bias, c->batch_first, c->bidir, &hn,
                          lstm ? &cn : NULL);
    if (!y)
        return NULL;
    /* Every element of every output, flattened into one vector. */
    l2_tensor *f[3] = {l2_flatten(y, 0, -1), l2_flatten(hn, 0, -1), cn ? l2_flatten(cn, 0, -1)
                                                                        : NULL};
    l2_tensor *r = f[0] && f[1] && (!cn || f[2]) ? l2_cat(cn ? 3 : 2, f, 0) : NULL;
    l2_tensor *all[] = {y, hn, cn, f[0], f[1], f[2]};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        l2_tensor_release(all[k]);
    return r;
}

static void test_seq_grad(l2_rnn_mode m, int layers, bool bias, bool batch_first, bool bidir,
                          bool unbatched)
{
    const int64_t T = 3, B = 2, I = 2, H = 2, G = gates(m), D = bidir ? 2 : 1;
    seqctx c = {m, layers, bias, batch_first, bidir, unbatched, 0};
    bool lstm = m == L2_LSTM;
    l2_tensor *in[64];
    int n = 0;
    if (unbatched)
        in[n++] = gc_leaf(2, (int64_t[]){T, I}, -1, 1);
    else
        in[n++] = gc_leaf(3, batch_first ? (int64_t[]){B, T, I} : (int64_t[]){T, B, I}, -1, 1);
    for (int k = 0; k < (lstm ? 2 : 1); k++)
        in[n++] = unbatched ? gc_leaf(2, (int64_t[]){layers * D, H}, -1, 1)
                            : gc_leaf(3, (int64_t[]){layers * D, B, H}, -1, 1);
    for (int k = 0; k < layers; k++)
        for (int d = 0; d < D; d++) {
            in[n++] = gc_leaf(2, (int64_t[]){G * H, k ? D * H : I}, -1, 1);
            in[n++] = gc_leaf(2, (int64_t[]){G * H, H}, -1, 1);
            if (bias) {
                in[n++] = gc_leaf(1, (int64_t[]){G * H}, -1, 1);
                in[n++] = gc_leaf(1, (int64_t[]){G * H}, -1, 1);
            }
        }
    ok(gradcheck(mname(m), f_seq, n, in, &c),
       "%s: finite differences, %d layer(s)%s%s%s%s", mname(m), layers, bias ? "" : ", no bias",
       batch_first ? ", batch_first" : "", bidir ? ", bidirectional" : "",
       unbatched ? ", unbatched" : "");
    for (int k = 0; k < n; k++)
        l2_tensor_release(in[k]);
}

/* ---- the sequence function against reference cells ---- */

/* l2_rnn (2 layers, T 4, B 2, I 3, H 3) against reference cells looped in double. */
static void test_seq_values(l2_rnn_mode m, bool bidir, bool batch_first, l2_dtype dt)
{
    enum { T = 4, B = 2, I = 3, H = 3, NL = 2 };
    const int64_t G = gates(m), D = bidir ? 2 : 1;
    l2_tensor *x = l2_uniform(3, batch_first ? (int64_t[]){B, T, I} : (int64_t[]){T, B, I}, -1, 1,
                              dt);
    l2_tensor *h0 = l2_uniform(3, (int64_t[]){NL * D, B, H}, -1, 1, dt);
    l2_tensor *c0 = l2_uniform(3, (int64_t[]){NL * D, B, H}, -1, 1, dt);
    l2_tensor *w[16];
    int n = 0;
    for (int k = 0; k < NL; k++)
        for (int d = 0; d < D; d++) {
            w[n++] = l2_uniform(2, (int64_t[]){G * H, k ? D * H : I}, -0.7, 0.7, dt);
            w[n++] = l2_uniform(2, (int64_t[]){G * H, H}, -0.7, 0.7, dt);
            w[n++] = l2_uniform(1, (int64_t[]){G * H}, -0.5, 0.5, dt);
            w[n++] = l2_uniform(1, (int64_t[]){G * H}, -0.5, 0.5, dt);
        }
    l2_tensor *hn = NULL, *cn = NULL;
    bool lstm = m == L2_LSTM;
    l2_tensor *y = l2_rnn(m, x, h0, lstm ? c0 : NULL, w, NL, true, batch_first, bidir, &hn,
                          lstm ? &cn : NULL);
    /* Reference: seq[t][b][*] per layer. */
    double seq[T][B][2 * H], nxt[T][B][2 * H];
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            for (int k = 0; k < I; k++)
                seq[t][b][k] = at(x, batch_first ? (int64_t[]){b, t, k} : (int64_t[]){t, b, k});
    double worst = 0;
    int64_t in = I;
    for (int k = 0; y && k < NL; k++) {
        for (int d = 0; d < D; d++) {
            int st = k * (int)D + d;
            for (int b = 0; b < B; b++) {
                double h[H], c[H], ho[H], co[H];
                for (int j = 0; j < H; j++) {
                    h[j] = at(h0, (int64_t[]){st, b, j});
                    c[j] = at(c0, (int64_t[]){st, b, j});
                }
                for (int s = 0; s < T; s++) {
                    int t = d ? T - 1 - s : s;
                    ref_cell(m, seq[t][b], in, h, c, H, w[st * 4], w[st * 4 + 1], w[st * 4 + 2],
                             w[st * 4 + 3], ho, co);
                    for (int j = 0; j < H; j++) {
                        h[j] = ho[j];
                        c[j] = lstm ? co[j] : c[j];
                        nxt[t][b][d * H + j] = ho[j];
                    }
                }
                for (int j = 0; j < H; j++) {
                    worst = fmax(worst, fabs(at(hn, (int64_t[]){st, b, j}) - h[j]));
                    if (lstm)
                        worst = fmax(worst, fabs(at(cn, (int64_t[]){st, b, j}) - c[j]));
                }
            }
        }
        memcpy(seq, nxt, sizeof seq);
        in = D * H;
    }
    for (int t = 0; y && t < T; t++)
        for (int b = 0; b < B; b++)
            for (int j = 0; j < D * H; j++)
                worst = fmax(worst, fabs(at(y, batch_first ? (int64_t[]){b, t, j}
                                                           : (int64_t[]){t, b, j}) - seq[t][b][j]));
    double tol = dt == L2_FLOAT64 ? 1e-12 : 5e-6;
    int64_t ys[3] = {batch_first ? B : T, batch_first ? T : B, D * H};
    ok(y && same_shape(y, 3, ys) && same_shape(hn, 3, (int64_t[]){NL * D, B, H}) &&
           (!lstm || same_shape(cn, 3, (int64_t[]){NL * D, B, H})) && worst <= tol,
       "%s %s%s%s: two layers against reference cells (worst %.3g)", mname(m),
       l2_dtype_name(dt), bidir ? ", bidirectional" : "", batch_first ? ", batch_first" : "",
       worst);
    for (int k = 0; k < n; k++)
        l2_tensor_release(w[k]);
    l2_tensor *all[] = {x, h0, c0, y, hn, cn};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        l2_tensor_release(all[k]);
}

/* ---- the layer ---- */

static void test_layer(void)
{
    l2_manual_seed(3);
    l2_rnn_layer m;
    ok(l2_rnn_layer_init(&m, L2_LSTM, 5, 4, 2, true, true, true, L2_FLOAT32) == L2_OK &&
           m.nweights == 16, "lstm layer: 2 layers, bidirectional, 16 parameters");
    l2_params *p = l2_params_new();
    ok(l2_rnn_layer_params(&m, p, "rnn") == L2_OK && l2_params_count(p) == 16,
       "lstm layer: params");
    const char *const *names = l2_params_names(p);
    is_str(names[0], "rnn.weight_ih_l0", "name 0");
    is_str(names[3], "rnn.bias_hh_l0", "name 3");
    is_str(names[4], "rnn.weight_ih_l0_reverse", "name 4");
    is_str(names[8], "rnn.weight_ih_l1", "name 8");
    is_str(names[15], "rnn.bias_hh_l1_reverse", "name 15");
    int good = same_shape(m.weights[0], 2, (int64_t[]){16, 5}) &&
               same_shape(m.weights[1], 2, (int64_t[]){16, 4}) &&
               same_shape(m.weights[8], 2, (int64_t[]){16, 8}) &&
               same_shape(m.weights[15], 1, (int64_t[]){16});
    double lo = 1, hi = -1;
    for (int k = 0; k < m.nweights; k++) {
        good = good && l2_requires_grad(m.weights[k]);
        l2_tensor *mn = l2_min(m.weights[k]), *mx = l2_max(m.weights[k]);
        lo = fmin(lo, item(mn));
        hi = fmax(hi, item(mx));
        l2_tensor_release(mn);
        l2_tensor_release(mx);
    }
    ok(good && lo >= -0.5 && hi <= 0.5 && lo < -0.4 && hi > 0.4,
       "lstm layer: shapes, requires grad, uniform on +-1/sqrt(4) (%g..%g)", lo, hi);
    l2_tensor *x = l2_randn(3, (int64_t[]){3, 7, 5}, L2_FLOAT32), *hn = NULL, *cn = NULL;
    l2_tensor *y = l2_rnn_layer_forward(&m, x, NULL, NULL, &hn, &cn);
    ok(same_shape(y, 3, (int64_t[]){3, 7, 8}) && same_shape(hn, 3, (int64_t[]){4, 3, 4}) &&
           same_shape(cn, 3, (int64_t[]){4, 3, 4}), "lstm layer: forward shapes (batch_first)");
    l2_tensor *loss = y ? l2_sum(y) : NULL;
    ok(loss && l2_backward(loss, NULL, false) == L2_OK && l2_grad(m.weights[15]) &&
           l2_grad(m.weights[0]), "lstm layer: backward reaches every weight");
    l2_tensor *all[] = {x, y, hn, cn, loss};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        l2_tensor_release(all[k]);
    l2_params_free(p);
    l2_rnn_layer_free(&m);
    l2_rnn_layer_free(&m); /* twice is harmless */
    ok(l2_rnn_layer_init(&m, L2_GRU, 3, 2, 1, false, false, false, L2_FLOAT64) == L2_OK &&
           m.nweights == 2 && same_shape(m.weights[0], 2, (int64_t[]){6, 3}),
       "gru layer: no bias, 2 parameters");
    l2_rnn_layer_free(&m);
    ok(l2_rnn_layer_init(&m, L2_GRU, 0, 2, 1, false, false, false, L2_FLOAT64) == L2_ERR_ARG,
       "layer: input_size 0 refused");
    ok(l2_rnn_layer_init(&m, (l2_rnn_mode)7, 1, 2, 1, false, false, false, L2_FLOAT64) ==
           L2_ERR_ARG, "layer: bad mode refused");
    ok(l2_rnn_layer_init(&m, L2_LSTM, 1, 2, 1, false, false, false, L2_INT64) == L2_ERR_DTYPE,
       "layer: int64 refused");
    ok(l2_rnn_layer_init(&m, L2_LSTM, 1, INT64_MAX / 2, 1, false, false, false, L2_FLOAT32) ==
           L2_ERR_OVERFLOW, "layer: overflowing hidden size refused");
}

/* ---- a torch state_dict ---- */

/* tests/data/rnn-lstm.safetensors (written by tests/rnn_state_dict.py from torch 1.13): an
 * nn.LSTM(3, 4, 2 layers, bidirectional, batch_first) state_dict under "rnn.", its input,
 * initial states and results. Loaded into an l2_rnn_layer through l2_params_load. */
static void test_state_dict(void)
{
    const char *src = getenv("L2_SRCDIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/rnn-lstm.safetensors", src ? src : L2_TOP_SRCDIR);
    l2_named_tensors *d = l2_load_safetensors(path);
    if (!ok(d != NULL, "state dict: %s loads", path)) {
        printf("#   %s\n", l2_last_error());
        return;
    }
    l2_rnn_layer m;
    l2_params *p = l2_params_new();
    int good = l2_rnn_layer_init(&m, L2_LSTM, 3, 4, 2, true, true, true, L2_FLOAT32) == L2_OK &&
               l2_rnn_layer_params(&m, p, "rnn") == L2_OK && l2_params_load(p, d) == L2_OK;
    ok(good, "state dict: torch's 16 LSTM parameters load by name (%s)",
       good ? "ok" : l2_last_error());
    l2_tensor *hn = NULL, *cn = NULL;
    l2_tensor *y = good ? l2_rnn_layer_forward(&m, l2_named_get(d, "x"), l2_named_get(d, "h0"),
                                               l2_named_get(d, "c0"), &hn, &cn)
                        : NULL;
    const char *names[3] = {"y", "h_n", "c_n"};
    l2_tensor *got[3] = {y, hn, cn};
    for (int k = 0; k < 3; k++) {
        const l2_tensor *want = l2_named_get(d, names[k]);
        double worst = 0;
        int same = got[k] && want && l2_numel(got[k]) == l2_numel(want) &&
                   l2_ndim(got[k]) == l2_ndim(want);
        for (int64_t i = 0; same && i < l2_numel(want); i++)
            worst = fmax(worst, fabs(flat(got[k], i) - flat(want, i)));
        ok(same && worst <= 1e-6, "state dict: %s equals torch's (worst %.3g)", names[k], worst);
    }
    l2_tensor_release(y);
    l2_tensor_release(hn);
    l2_tensor_release(cn);
    l2_params_free(p);
    l2_rnn_layer_free(&m);
    l2_named_free(d);
}

/* ---- errors ---- */

static void test_errors(void)
{
    l2_tensor *x = l2_randn(2, (int64_t[]){2, 3}, L2_FLOAT32);
    l2_tensor *h = l2_randn(2, (int64_t[]){2, 4}, L2_FLOAT32);
    l2_tensor *wi = l2_randn(2, (int64_t[]){16, 3}, L2_FLOAT32);
    l2_tensor *wh = l2_randn(2, (int64_t[]){16, 4}, L2_FLOAT32);
    l2_tensor *wh12 = l2_randn(2, (int64_t[]){12, 4}, L2_FLOAT32);
    l2_tensor *b = l2_randn(1, (int64_t[]){16}, L2_FLOAT32);
    l2_tensor *b5 = l2_randn(1, (int64_t[]){5}, L2_FLOAT32);
    l2_tensor *x5 = l2_randn(2, (int64_t[]){2, 5}, L2_FLOAT32);
    l2_tensor *x3d = l2_randn(3, (int64_t[]){1, 2, 3}, L2_FLOAT32);
    l2_tensor *h3 = l2_randn(2, (int64_t[]){3, 4}, L2_FLOAT32);
    l2_tensor *xd = l2_randn(2, (int64_t[]){2, 3}, L2_FLOAT64);
    l2_tensor *cy = (l2_tensor *)1;
    is_err(l2_lstm_cell(NULL, h, h, wi, wh, b, b, &cy), L2_ERR_NULL, "input", "lstm_cell: NULL");
    ok(cy == NULL, "lstm_cell: *cy cleared on error");
    is_err(l2_lstm_cell(x, h, h, wi, wh, b, b, NULL), L2_ERR_NULL, "cy", "lstm_cell: NULL cy");
    is_err(l2_lstm_cell(x, h, NULL, wi, wh, b, b, &cy), L2_ERR_ARG, "both", "lstm_cell: hx only");
    is_err(l2_lstm_cell(x5, h, h, wi, wh, b, b, &cy), L2_ERR_SHAPE, "input_size",
           "lstm_cell: input size");
    is_err(l2_lstm_cell(x3d, h, h, wi, wh, b, b, &cy), L2_ERR_SHAPE, "1-d or 2-d",
           "lstm_cell: 3-d input");
    is_err(l2_lstm_cell(x, h3, h3, wi, wh, b, b, &cy), L2_ERR_SHAPE, "hx",
           "lstm_cell: hx batch");
    is_err(l2_lstm_cell(x, h, h, wi, wh12, b, b, &cy), L2_ERR_SHAPE, "rows",
           "lstm_cell: w_hh rows");
    is_err(l2_lstm_cell(x, h, h, wi, wh, b5, b, &cy), L2_ERR_SHAPE, "b_ih", "lstm_cell: bias");
    is_err(l2_lstm_cell(xd, h, h, wi, wh, b, b, &cy), L2_ERR_DTYPE, "dtype", "lstm_cell: dtype");
    is_err(l2_gru_cell(x, h, wi, wh, NULL, NULL), L2_ERR_SHAPE, "rows", "gru_cell: 4 gates");
    is_err(l2_rnn_tanh_cell(x, h, wi, NULL, NULL, NULL), L2_ERR_NULL, "w_hh", "rnn cell: NULL");
    /* the sequence function */
    l2_tensor *s = l2_randn(3, (int64_t[]){5, 2, 3}, L2_FLOAT32);
    l2_tensor *s0 = l2_randn(3, (int64_t[]){0, 2, 3}, L2_FLOAT32);
    l2_tensor *w[4] = {wi, wh, b, b};
    l2_tensor *hn = (l2_tensor *)1, *cn = (l2_tensor *)1;
    is_err(l2_rnn(L2_LSTM, s0, NULL, NULL, w, 1, true, false, false, &hn, &cn), L2_ERR_ARG,
           "sequence length", "lstm: T = 0");
    ok(hn == NULL && cn == NULL, "lstm: outputs cleared on error");
    l2_tensor *wn[4] = {wi, NULL, b, b};
    is_err(l2_rnn(L2_LSTM, x3d, NULL, NULL, wn, 1, true, false, false, &hn, &cn), L2_ERR_NULL,
           "NULL", "lstm: a NULL weight");
    l2_tensor *w2[8] = {wi, wh, b, b, wi, wh, b, b};
    is_err(l2_rnn(L2_LSTM, x3d, NULL, NULL, w2, 2, true, false, false, &hn, &cn), L2_ERR_SHAPE,
           "layer 1", "lstm: layer 1's w_ih must take H inputs");
    is_err(l2_rnn(L2_LSTM, s, h, NULL, w, 1, true, false, false, &hn, &cn), L2_ERR_ARG, "both",
           "lstm: h0 without c0");
    is_err(l2_rnn(L2_GRU, s, NULL, h, w, 1, true, false, false, &hn, NULL), L2_ERR_ARG, "cx",
           "gru: c0 refused");
    is_err(l2_rnn(L2_LSTM, s, h, h, w, 1, true, false, false, &hn, &cn), L2_ERR_SHAPE, "hx",
           "lstm: 2-d h0 for batched input");
    is_err(l2_rnn(L2_LSTM, s, NULL, NULL, w, 0, true, false, false, &hn, &cn), L2_ERR_ARG,
           "num_layers", "lstm: 0 layers");
    is_err(l2_rnn((l2_rnn_mode)9, s, NULL, NULL, w, 1, true, false, false, &hn, &cn), L2_ERR_ARG,
           "mode", "rnn: bad mode");
    is_err(l2_rnn(L2_LSTM, b, NULL, NULL, w, 1, true, false, false, &hn, &cn), L2_ERR_SHAPE,
           "2-d", "lstm: 1-d input");
    is_err(l2_rnn(L2_LSTM, s, NULL, NULL, NULL, 1, true, false, false, &hn, &cn), L2_ERR_NULL,
           "weights", "lstm: NULL weights");
    l2_tensor *all[] = {x, h, wi, wh, wh12, b, b5, x5, x3d, h3, xd, s, s0};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        l2_tensor_release(all[k]);
}

/* Out of memory: a one-step bidirectional tanh RNN through oom_check (forward and backward),
 * and the forward of a bidirectional LSTM with allocation k failing for every k until it
 * succeeds: each failure is L2_ERR_NOMEM and leaves no tensor behind. */
static void test_seq_oom(void)
{
    const int64_t H = 2, I = 2;
    for (int mode = 0; mode < 2; mode++) {
        l2_rnn_mode m = mode ? L2_LSTM : L2_RNN_TANH;
        int64_t G = gates(m);
        seqctx c = {m, 1, true, false, true, false, 0};
        l2_tensor *in[11];
        int n = 0;
        in[n++] = gc_leaf(3, (int64_t[]){1, 1, I}, -1, 1);
        in[n++] = gc_leaf(3, (int64_t[]){2, 1, H}, -1, 1);
        if (m == L2_LSTM)
            in[n++] = gc_leaf(3, (int64_t[]){2, 1, H}, -1, 1);
        for (int d = 0; d < 2; d++) {
            in[n++] = gc_leaf(2, (int64_t[]){G * H, I}, -1, 1);
            in[n++] = gc_leaf(2, (int64_t[]){G * H, H}, -1, 1);
            in[n++] = gc_leaf(1, (int64_t[]){G * H}, -1, 1);
            in[n++] = gc_leaf(1, (int64_t[]){G * H}, -1, 1);
        }
        if (m == L2_RNN_TANH) {
            oom_check("rnn_tanh bidirectional", f_seq, n, in, &c);
        } else {
            int64_t live = l2_live_tensors();
            int runs = 0, bad = 0;
            for (int k = 0; k < 5000; k++) {
                l2_debug_fail_alloc_after(k);
                l2_tensor *r = f_seq(in, &c);
                l2_debug_fail_alloc_after(-1);
                runs++;
                if (r) {
                    l2_tensor_release(r);
                    break;
                }
                bad += l2_last_status() != L2_ERR_NOMEM || l2_live_tensors() != live;
            }
            ok(bad == 0 && runs > 1 && l2_live_tensors() == live,
               "lstm bidirectional forward under injected allocation failures: %d runs, %d bad",
               runs, bad);
        }
        for (int k = 0; k < n; k++)
            l2_tensor_release(in[k]);
    }
}

int main(void)
{
    l2_manual_seed(1);
    const l2_rnn_mode modes[4] = {L2_RNN_TANH, L2_RNN_RELU, L2_LSTM, L2_GRU};
    for (int k = 0; k < 4; k++) {
        test_cell_values(modes[k], L2_FLOAT64, true);
        test_cell_values(modes[k], L2_FLOAT32, true);
        test_cell_values(modes[k], L2_FLOAT64, false);
        test_cell_unbatched(modes[k]);
        test_cell_grad(modes[k]);
        test_seq_values(modes[k], false, false, L2_FLOAT64);
        test_seq_values(modes[k], true, true, L2_FLOAT64);
        test_seq_values(modes[k], true, false, L2_FLOAT32);
        test_seq_grad(modes[k], 2, true, false, true, false);
        test_seq_grad(modes[k], 1, false, true, false, false);
    }
    test_seq_grad(L2_LSTM, 2, true, true, true, true);
    test_seq_grad(L2_GRU, 1, true, false, true, true);
    test_layer();
    test_state_dict();
    test_errors();
    test_seq_oom();
    ok(l2_live_tensors() == 0, "no tensor leaked (%lld live)", (long long)l2_live_tensors());
    return tap_done();
}
