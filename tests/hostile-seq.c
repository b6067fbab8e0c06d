/* hostile-seq.c: the hostile-input entries of the seq family (issue 15, recurrent layers and
 * multi-head attention): the rnn cells, l2_rnn, l2_rnn_layer_*, l2_mha_defaults,
 * l2_multi_head_attention, l2_multihead_attention_layer_*. */
#include "hostile.h"

#include <string.h>

static bool is_float(l2_dtype dt)
{
    return dt == L2_FLOAT32 || dt == L2_FLOAT64;
}

static const int64_t bad_sizes[] = {
    0, -1, INT64_MIN, INT64_MAX, (int64_t)1 << 40, (int64_t)1 << 62};
#define N_BAD_SIZES 6

/* ---- Cells: form 0 rnn_tanh, 1 rnn_relu, 2 lstm, 3 gru; I = H = 3 so mk_kind's (2,3) fits
 * input and hidden state. For LSTM, cx is a copy of hx's shape (NULL with hx). */
static const int cell_g[4] = {1, 1, 4, 3};
static const char *const cell_name[4] = {"rnn_tanh", "rnn_relu", "lstm", "gru"};

static l2_tensor *cell(int form, const l2_tensor *in, const l2_tensor *hx, const l2_tensor *wih,
                       const l2_tensor *whh, const l2_tensor *bih, const l2_tensor *bhh)
{
    switch (form) {
    case 0:
        return l2_rnn_tanh_cell(in, hx, wih, whh, bih, bhh);
    case 1:
        return l2_rnn_relu_cell(in, hx, wih, whh, bih, bhh);
    case 2: {
        l2_tensor *cy = (l2_tensor *)&cy; /* sentinel: must become a tensor or NULL */
        l2_tensor *cx = hx ? l2_zeros(l2_ndim(hx), l2_shape(hx), l2_dtype_of(hx)) : NULL;
        l2_tensor *r = l2_lstm_cell(in, hx, cx, wih, whh, bih, bhh, &cy);
        if (!r && cy)
            h_bad(__LINE__, "lstm_cell failed but *cy is not NULL");
        if (r && !cy)
            h_bad(__LINE__, "lstm_cell succeeded but *cy is NULL");
        return r;
    }
    default:
        return l2_gru_cell(in, hx, wih, whh, bih, bhh);
    }
}

static void sweep_cell(int form)
{
    const int64_t G = cell_g[form], H = 3;
    CASE("%s NULLs", cell_name[form])
    {
        FAIL_T(L2_ERR_NULL, cell(form, NULL, NULL, MK(L2_FLOAT32, G * H, 3),
                                 MK(L2_FLOAT32, G * H, H), NULL, NULL));
        FAIL_T(L2_ERR_NULL, cell(form, MK(L2_FLOAT32, 2, 3), NULL, NULL,
                                 MK(L2_FLOAT32, G * H, H), NULL, NULL));
        FAIL_T(L2_ERR_NULL, cell(form, MK(L2_FLOAT32, 2, 3), NULL, MK(L2_FLOAT32, G * H, 3),
                                 NULL, NULL, NULL));
        OK_T(cell(form, MK(L2_FLOAT32, 2, 3), NULL, MK(L2_FLOAT32, G * H, 3),
                  MK(L2_FLOAT32, G * H, H), NULL, NULL));
    }
    CASE("%s valid, biases, unbatched, B = 0", cell_name[form])
    {
        l2_tensor *wih = MK(L2_FLOAT64, G * H, 3), *whh = MK(L2_FLOAT64, G * H, H);
        l2_tensor *b = MK(L2_FLOAT64, G * H);
        OK_T(cell(form, MK(L2_FLOAT64, 2, 3), MK(L2_FLOAT64, 2, H), wih, whh, b, b));
        OK_T(cell(form, MK(L2_FLOAT64, 3), MK(L2_FLOAT64, H), wih, whh, b, NULL));
        OK_T(cell(form, MK(L2_FLOAT64, 3), NULL, wih, whh, NULL, b));
        OK_T(cell(form, MK(L2_FLOAT64, 0, 3), MK(L2_FLOAT64, 0, H), wih, whh, b, b));
        OK_T(cell(form, MK(L2_FLOAT64, 0, 3), NULL, wih, whh, b, b));
        OK_T(cell(form, mk_leaf(L2_FLOAT64), mk_leaf(L2_FLOAT64), wih, whh, b, b));
    }
    CASE("%s shapes", cell_name[form])
    {
        l2_tensor *wih = MK(L2_FLOAT32, G * H, 3), *whh = MK(L2_FLOAT32, G * H, H);
        l2_tensor *in = MK(L2_FLOAT32, 2, 3), *hx = MK(L2_FLOAT32, 2, H);
        FAIL_T(L2_ERR_SHAPE, cell(form, mk_kind(K_0D, L2_FLOAT32), NULL, wih, whh, NULL, NULL));
        FAIL_T(L2_ERR_SHAPE, cell(form, MK(L2_FLOAT32, 1, 2, 3), NULL, wih, whh, NULL, NULL));
        FAIL_T(L2_ERR_SHAPE, cell(form, MK(L2_FLOAT32, 2, 4), NULL, wih, whh, NULL, NULL));
        FAIL_T(L2_ERR_SHAPE, cell(form, in, NULL, MK(L2_FLOAT32, G * H * 3), whh, NULL, NULL));
        FAIL_T(L2_ERR_SHAPE, cell(form, in, NULL, wih, MK(L2_FLOAT32, G * H * H), NULL, NULL));
        FAIL_T(L2_ERR_SHAPE,
               cell(form, in, NULL, MK(L2_FLOAT32, 1, G * H, 3), whh, NULL, NULL));
        FAIL_T(L2_ERR_SHAPE, cell(form, in, NULL, MK(L2_FLOAT32, G * H + 1, 3),
                                  MK(L2_FLOAT32, G * H + 1, H), NULL, NULL));
        FAIL_T(L2_ERR_SHAPE, cell(form, in, NULL, MK(L2_FLOAT32, G * H + G, 3), whh, NULL,
                                  NULL));
        FAIL_T(L2_ERR_SHAPE, cell(form, in, NULL, wih, MK(L2_FLOAT32, G * H, H + 1), NULL,
                                  NULL));
        FAIL_T(L2_ERR_SHAPE, cell(form, in, MK(L2_FLOAT32, 3, H), wih, whh, NULL, NULL));
        FAIL_T(L2_ERR_SHAPE, cell(form, in, MK(L2_FLOAT32, 2, H + 1), wih, whh, NULL, NULL));
        FAIL_T(L2_ERR_SHAPE, cell(form, in, MK(L2_FLOAT32, H), wih, whh, NULL, NULL));
        FAIL_T(L2_ERR_SHAPE, cell(form, MK(L2_FLOAT32, 3), MK(L2_FLOAT32, 1, H), wih, whh, NULL,
                                  NULL));
        FAIL_T(L2_ERR_SHAPE, cell(form, in, MK(L2_FLOAT32, 1, 2, H), wih, whh, NULL, NULL));
        FAIL_T(L2_ERR_SHAPE, cell(form, in, hx, wih, whh, MK(L2_FLOAT32, G * H + 1), NULL));
        FAIL_T(L2_ERR_SHAPE, cell(form, in, hx, wih, whh, NULL, MK(L2_FLOAT32, 1, G * H)));
        FAIL_T(L2_ERR_SHAPE, cell(form, in, hx, wih, whh, NULL, mk_kind(K_0D, L2_FLOAT32)));
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++) {
        l2_dtype dt = h_dtypes[d];
        CASE("%s all %s", cell_name[form], l2_dtype_name(dt))
        {
            l2_tensor *r = ANY_T(cell(form, MK(dt, 2, 3), MK(dt, 2, H), MK(dt, G * H, 3),
                                      MK(dt, G * H, H), MK(dt, G * H), MK(dt, G * H)));
            EXPECT((r != NULL) == is_float(dt), "%s: %s", l2_dtype_name(dt),
                   r ? "accepted" : "refused");
            if (!is_float(dt))
                FAIL_T(L2_ERR_DTYPE, cell(form, MK(dt, 2, 3), NULL, MK(dt, G * H, 3),
                                          MK(dt, G * H, H), NULL, NULL));
        }
        CASE("%s input %s, rest float32", cell_name[form], l2_dtype_name(dt))
        {
            l2_tensor *wih = MK(L2_FLOAT32, G * H, 3), *whh = MK(L2_FLOAT32, G * H, H);
            if (dt != L2_FLOAT32) {
                FAIL_T(L2_ERR_DTYPE, cell(form, MK(dt, 2, 3), NULL, wih, whh, NULL, NULL));
                FAIL_T(L2_ERR_DTYPE, cell(form, MK(L2_FLOAT32, 2, 3), MK(dt, 2, H), wih, whh,
                                          NULL, NULL));
                FAIL_T(L2_ERR_DTYPE, cell(form, MK(L2_FLOAT32, 2, 3), NULL, wih, MK(dt, G * H, H),
                                          NULL, NULL));
                FAIL_T(L2_ERR_DTYPE, cell(form, MK(L2_FLOAT32, 2, 3), NULL, wih, whh, NULL,
                                          MK(dt, G * H)));
            }
        }
        for (int k = 0; k < K_COUNT; k++) {
            CASE("%s %s %s input", cell_name[form], l2_dtype_name(dt), h_kind_name[k])
            ANY_T(cell(form, mk_kind(k, dt), NULL, MK(dt, G * H, 3), MK(dt, G * H, H), NULL,
                       NULL));
            CASE("%s %s %s hx", cell_name[form], l2_dtype_name(dt), h_kind_name[k])
            ANY_T(cell(form, MK(dt, 2, 3), mk_kind(k, dt), MK(dt, G * H, 3), MK(dt, G * H, H),
                       MK(dt, G * H), NULL));
            CASE("%s %s %s w_hh", cell_name[form], l2_dtype_name(dt), h_kind_name[k])
            ANY_T(cell(form, MK(dt, 2, 3), NULL, MK(dt, G * H, 3), mk_kind(k, dt), NULL, NULL));
        }
    }
}

void h_l2_rnn_tanh_cell(void)
{
    sweep_cell(0);
}

void h_l2_rnn_relu_cell(void)
{
    sweep_cell(1);
}

void h_l2_lstm_cell(void)
{
    sweep_cell(2);
    const int64_t G = 4, H = 3;
    CASE("lstm hx without cx, cx without hx, NULL cy")
    {
        l2_tensor *in = MK(L2_FLOAT32, 2, 3), *hx = MK(L2_FLOAT32, 2, H);
        l2_tensor *wih = MK(L2_FLOAT32, G * H, 3), *whh = MK(L2_FLOAT32, G * H, H);
        l2_tensor *cy = (l2_tensor *)&cy;
        FAIL_T(L2_ERR_ARG, l2_lstm_cell(in, hx, NULL, wih, whh, NULL, NULL, &cy));
        EXPECT(cy == NULL, "*cy not NULL on error");
        cy = (l2_tensor *)&cy;
        FAIL_T(L2_ERR_ARG, l2_lstm_cell(in, NULL, hx, wih, whh, NULL, NULL, &cy));
        EXPECT(cy == NULL, "*cy not NULL on error");
        FAIL_T(L2_ERR_NULL, l2_lstm_cell(in, NULL, NULL, wih, whh, NULL, NULL, NULL));
        FAIL_T(L2_ERR_NULL, l2_lstm_cell(in, hx, hx, wih, whh, NULL, NULL, NULL));
        cy = (l2_tensor *)&cy;
        FAIL_T(L2_ERR_SHAPE,
               l2_lstm_cell(in, hx, MK(L2_FLOAT32, 2, H + 1), wih, whh, NULL, NULL, &cy));
        EXPECT(cy == NULL, "*cy not NULL on error");
        cy = (l2_tensor *)&cy;
        FAIL_T(L2_ERR_DTYPE,
               l2_lstm_cell(in, hx, MK(L2_FLOAT64, 2, H), wih, whh, NULL, NULL, &cy));
        EXPECT(cy == NULL, "*cy not NULL on error");
        for (int k = 0; k < K_COUNT; k++) {
            cy = NULL;
            ANY_T(l2_lstm_cell(in, hx, mk_kind(k, L2_FLOAT32), wih, whh, NULL, NULL, &cy));
        }
    }
}

void h_l2_gru_cell(void)
{
    sweep_cell(3);
}

/* ---- l2_rnn: I = 3, H = 2, one layer unless said; weights built for (mode, L, bias, D). */
static const int rnn_g[4] = {1, 1, 4, 3};

static l2_tensor *w_store[64];
static l2_tensor **rnn_weights(l2_rnn_mode mode, int L, bool bias, bool bidir, l2_dtype dt,
                               int64_t I, int64_t H)
{
    int D = bidir ? 2 : 1;
    l2_tensor **w = w_store;
    int64_t G = rnn_g[mode];
    for (int k = 0, j = 0; k < L; k++)
        for (int d = 0; d < D; d++) {
            w[j++] = MK(dt, G * H, k == 0 ? I : D * H);
            w[j++] = MK(dt, G * H, H);
            if (bias) {
                w[j++] = MK(dt, G * H);
                w[j++] = MK(dt, G * H);
            }
        }
    return w;
}

/* l2_rnn with the outputs checked: on error h_n and c_n must be NULL. */
static l2_tensor *rnn_call(l2_rnn_mode mode, const l2_tensor *in, const l2_tensor *hx,
                           const l2_tensor *cx, l2_tensor *const *w, int L, bool bias, bool bf,
                           bool bidir)
{
    l2_tensor *hn = (l2_tensor *)&hn, *cn = (l2_tensor *)&cn;
    l2_tensor *r = l2_rnn(mode, in, hx, cx, w, L, bias, bf, bidir, &hn, &cn);
    if (!r && (hn || cn))
        h_bad(__LINE__, "l2_rnn failed but h_n or c_n is not NULL");
    if (r && !hn)
        h_bad(__LINE__, "l2_rnn succeeded but h_n is NULL");
    if (r && (cn != NULL) != (mode == L2_LSTM))
        h_bad(__LINE__, "l2_rnn: c_n %s for mode %d", cn ? "set" : "NULL", (int)mode);
    return r;
}

void h_l2_rnn(void)
{
    for (int mi = 0; mi < 4; mi++) {
        l2_rnn_mode mode = (l2_rnn_mode)mi;
        bool lstm = mode == L2_LSTM;
        CASE("%s NULLs", cell_name[mi])
        {
            l2_tensor **w = rnn_weights(mode, 1, true, false, L2_FLOAT32, 3, 2);
            FAIL_T(L2_ERR_NULL, rnn_call(mode, NULL, NULL, NULL, w, 1, true, false, false));
            FAIL_T(L2_ERR_NULL, rnn_call(mode, MK(L2_FLOAT32, 4, 2, 3), NULL, NULL, NULL, 1,
                                         true, false, false));
            for (int j = 0; j < 4; j++) {
                l2_tensor *s = w[j];
                w[j] = NULL;
                FAIL_T(L2_ERR_NULL, rnn_call(mode, MK(L2_FLOAT32, 4, 2, 3), NULL, NULL, w, 1,
                                             true, false, false));
                w[j] = s;
            }
            FAIL_T(L2_ERR_NULL, l2_rnn(mode, NULL, NULL, NULL, w, 1, true, false, false, NULL,
                                       NULL));
            OK_T(l2_rnn(mode, MK(L2_FLOAT32, 4, 2, 3), NULL, NULL, w, 1, true, false, false, NULL,
                        NULL));
        }
        CASE("%s valid forms", cell_name[mi])
        {
            for (int L = 1; L <= 2; L++)
                for (int f = 0; f < 8; f++) {
                    bool bias = f & 1, bf = f & 2, bi = f & 4;
                    l2_tensor **w = rnn_weights(mode, L, bias, bi, L2_FLOAT64, 3, 2);
                    int64_t LD = L * (bi ? 2 : 1);
                    OK_T(rnn_call(mode, MK(L2_FLOAT64, 4, 2, 3), NULL, NULL, w, L, bias, bf, bi));
                    OK_T(rnn_call(mode, MK(L2_FLOAT64, 4, 3), NULL, NULL, w, L, bias, bf, bi));
                    OK_T(rnn_call(mode, MK(L2_FLOAT64, 4, 0, 3), NULL, NULL, w, L, bias, false,
                                  bi));
                    l2_tensor *h = MK(L2_FLOAT64, LD, bf ? 4 : 2, 2);
                    OK_T(rnn_call(mode, MK(L2_FLOAT64, 4, 2, 3), h, lstm ? h : NULL, w, L, bias,
                                  bf, bi));
                    l2_tensor *h1 = MK(L2_FLOAT64, LD, 2);
                    OK_T(rnn_call(mode, MK(L2_FLOAT64, 4, 3), h1, lstm ? h1 : NULL, w, L, bias,
                                  bf, bi));
                }
        }
        CASE("%s arguments", cell_name[mi])
        {
            l2_tensor **w = rnn_weights(mode, 1, true, false, L2_FLOAT32, 3, 2);
            l2_tensor *in = MK(L2_FLOAT32, 4, 2, 3), *h = MK(L2_FLOAT32, 1, 2, 2);
            const int bad_layers[] = {0, -1, INT_MIN};
            for (int i = 0; i < 3; i++)
                FAIL_T(L2_ERR_ARG, rnn_call(mode, in, NULL, NULL, w, bad_layers[i], true, false,
                                            false));
            FAIL_T(L2_ERR_ARG, rnn_call(mode, MK(L2_FLOAT32, 0, 2, 3), NULL, NULL, w, 1, true,
                                        false, false));
            FAIL_T(L2_ERR_ARG, rnn_call(mode, MK(L2_FLOAT32, 2, 0, 3), NULL, NULL, w, 1, true,
                                        true, false));
            FAIL_T(L2_ERR_ARG, rnn_call(mode, MK(L2_FLOAT32, 0, 3), NULL, NULL, w, 1, true, false,
                                        false));
            if (lstm) {
                FAIL_T(L2_ERR_ARG, rnn_call(mode, in, h, NULL, w, 1, true, false, false));
                FAIL_T(L2_ERR_ARG, rnn_call(mode, in, NULL, h, w, 1, true, false, false));
            } else {
                FAIL_T(L2_ERR_ARG, rnn_call(mode, in, h, h, w, 1, true, false, false));
                FAIL_T(L2_ERR_ARG, rnn_call(mode, in, NULL, h, w, 1, true, false, false));
            }
        }
        CASE("%s shapes", cell_name[mi])
        {
            l2_tensor **w = rnn_weights(mode, 1, true, false, L2_FLOAT32, 3, 2);
            l2_tensor *in = MK(L2_FLOAT32, 4, 2, 3);
            FAIL_T(L2_ERR_SHAPE, rnn_call(mode, MK(L2_FLOAT32, 3), NULL, NULL, w, 1, true, false,
                                          false));
            FAIL_T(L2_ERR_SHAPE, rnn_call(mode, mk_kind(K_0D, L2_FLOAT32), NULL, NULL, w, 1,
                                          true, false, false));
            FAIL_T(L2_ERR_SHAPE, rnn_call(mode, MK(L2_FLOAT32, 1, 4, 2, 3), NULL, NULL, w, 1,
                                          true, false, false));
            FAIL_T(L2_ERR_SHAPE, rnn_call(mode, MK(L2_FLOAT32, 4, 2, 4), NULL, NULL, w, 1, true,
                                          false, false));
            for (int j = 0; j < 4; j++) {
                l2_tensor *s = w[j];
                w[j] = j < 2 ? MK(L2_FLOAT32, 1 + l2_shape(s)[0], l2_shape(s)[1])
                             : MK(L2_FLOAT32, 1 + l2_shape(s)[0]);
                FAIL_T(L2_ERR_SHAPE, rnn_call(mode, in, NULL, NULL, w, 1, true, false, false));
                w[j] = mk_kind(K_0D, L2_FLOAT32);
                FAIL_T(L2_ERR_SHAPE, rnn_call(mode, in, NULL, NULL, w, 1, true, false, false));
                w[j] = s;
            }
            /* two layers with layer 1's w_ih sized for I instead of D*H */
            l2_tensor **w2 = rnn_weights(mode, 2, false, true, L2_FLOAT32, 3, 2);
            w2[4] = MK(L2_FLOAT32, rnn_g[mi] * 2, 3);
            FAIL_T(L2_ERR_SHAPE, rnn_call(mode, in, NULL, NULL, w2, 2, false, false, true));
            w = rnn_weights(mode, 1, true, false, L2_FLOAT32, 3, 2);
            const int64_t hs[][3] = {{2, 2, 2}, {1, 3, 2}, {1, 2, 3}, {1, 2, 0}};
            for (int i = 0; i < 4; i++) {
                l2_tensor *h = mk(L2_FLOAT32, 3, hs[i]);
                FAIL_T(L2_ERR_SHAPE, rnn_call(mode, in, h, lstm ? h : NULL, w, 1, true, false,
                                              false));
            }
            l2_tensor *h2 = MK(L2_FLOAT32, 1, 2);
            FAIL_T(L2_ERR_SHAPE, rnn_call(mode, in, h2, lstm ? h2 : NULL, w, 1, true, false,
                                          false));
            l2_tensor *h3 = MK(L2_FLOAT32, 1, 2, 2);
            FAIL_T(L2_ERR_SHAPE, rnn_call(mode, MK(L2_FLOAT32, 4, 3), h3, lstm ? h3 : NULL, w, 1,
                                          true, false, false));
            if (lstm)
                FAIL_T(L2_ERR_SHAPE, rnn_call(mode, in, h3, MK(L2_FLOAT32, 1, 2, 3), w, 1, true,
                                              false, false));
        }
        for (int d = 0; d < L2_DTYPE_COUNT; d++) {
            l2_dtype dt = h_dtypes[d];
            CASE("%s all %s", cell_name[mi], l2_dtype_name(dt))
            {
                l2_tensor **w = rnn_weights(mode, 1, true, false, dt, 3, 2);
                l2_tensor *h = MK(dt, 1, 2, 2);
                if (is_float(dt))
                    OK_T(rnn_call(mode, MK(dt, 4, 2, 3), h, lstm ? h : NULL, w, 1, true, false,
                                  false));
                else
                    FAIL_T(L2_ERR_DTYPE, rnn_call(mode, MK(dt, 4, 2, 3), h, lstm ? h : NULL, w,
                                                  1, true, false, false));
            }
            if (dt != L2_FLOAT32)
                CASE("%s one %s among float32", cell_name[mi], l2_dtype_name(dt))
                {
                    l2_tensor **w = rnn_weights(mode, 1, true, false, L2_FLOAT32, 3, 2);
                    l2_tensor *in = MK(L2_FLOAT32, 4, 2, 3), *h = MK(L2_FLOAT32, 1, 2, 2);
                    FAIL_T(L2_ERR_DTYPE, rnn_call(mode, MK(dt, 4, 2, 3), NULL, NULL, w, 1, true,
                                                  false, false));
                    FAIL_T(L2_ERR_DTYPE, rnn_call(mode, in, MK(dt, 1, 2, 2),
                                                  lstm ? h : NULL, w, 1, true, false, false));
                    for (int j = 0; j < 4; j++) {
                        l2_tensor *s = w[j];
                        w[j] = mk(dt, l2_ndim(s), l2_shape(s));
                        FAIL_T(L2_ERR_DTYPE,
                               rnn_call(mode, in, NULL, NULL, w, 1, true, false, false));
                        w[j] = s;
                    }
                }
            for (int k = 0; k < K_COUNT; k++)
                CASE("%s %s %s input (unbatched T=2, I=3)", cell_name[mi], l2_dtype_name(dt),
                     h_kind_name[k])
                {
                    l2_tensor **w = rnn_weights(mode, 1, true, true, dt, 3, 2);
                    ANY_T(rnn_call(mode, mk_kind(k, dt), NULL, NULL, w, 1, true, false, true));
                    ANY_T(rnn_call(mode, mk_kind(k, dt), NULL, NULL, w, 1, true, true, true));
                }
        }
        CASE("%s leaves", cell_name[mi])
        {
            l2_tensor **w = rnn_weights(mode, 1, false, false, L2_FLOAT32, 3, 2);
            if (mi == 0 || mi == 1)
                w[0] = mk_leaf(L2_FLOAT32);
            l2_set_requires_grad(w[1], true);
            OK_T(rnn_call(mode, MK(L2_FLOAT32, 4, 2, 3), NULL, NULL, w, 1, false, false, false));
        }
    }
    CASE("mode outside the enum")
    {
        l2_tensor **w = rnn_weights(L2_RNN_TANH, 1, true, false, L2_FLOAT32, 3, 2);
        const int modes[] = {-1, 4, INT_MAX, INT_MIN};
        for (int i = 0; i < 4; i++)
            FAIL_T(L2_ERR_ARG, rnn_call((l2_rnn_mode)modes[i], MK(L2_FLOAT32, 4, 2, 3), NULL,
                                        NULL, w, 1, true, false, false));
    }
}

/* ---- l2_rnn_layer ----------------------------------------------------------------------- */

void h_l2_rnn_layer_init(void)
{
    l2_rnn_layer m;
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_rnn_layer_init(NULL, L2_LSTM, 3, 2, 1, true, false, false,
                                                       L2_FLOAT32));
    CASE("mode outside the enum")
    {
        const int modes[] = {-1, 4, INT_MAX, INT_MIN};
        for (int i = 0; i < 4; i++) {
            memset(&m, 0, sizeof m);
            if (FAIL_S(L2_ERR_ARG, l2_rnn_layer_init(&m, (l2_rnn_mode)modes[i], 3, 2, 1, true,
                                                     false, false, L2_FLOAT32)) == L2_OK)
                l2_rnn_layer_free(&m);
        }
    }
    for (int i = 0; i < N_BAD_SIZES; i++) {
        CASE("input_size %lld", (long long)bad_sizes[i])
        {
            memset(&m, 0, sizeof m);
            if (FAIL_S(H_BIG, l2_rnn_layer_init(&m, L2_GRU, bad_sizes[i], 2, 1, true, false,
                                                false, L2_FLOAT32)) == L2_OK)
                l2_rnn_layer_free(&m);
        }
        CASE("hidden_size %lld", (long long)bad_sizes[i])
        {
            memset(&m, 0, sizeof m);
            if (FAIL_S(H_BIG, l2_rnn_layer_init(&m, L2_LSTM, 3, bad_sizes[i], 1, true, false,
                                                true, L2_FLOAT32)) == L2_OK)
                l2_rnn_layer_free(&m);
        }
    }
    CASE("num_layers 0, -1, INT_MIN")
    {
        const int bad_layers[] = {0, -1, INT_MIN};
        for (int i = 0; i < 3; i++) {
            memset(&m, 0, sizeof m);
            if (FAIL_S(L2_ERR_ARG, l2_rnn_layer_init(&m, L2_RNN_TANH, 3, 2, bad_layers[i], true,
                                                     false, false, L2_FLOAT32)) == L2_OK)
                l2_rnn_layer_free(&m);
        }
    }
    CASE("num_layers INT_MAX, bidirectional (weight count overflows int)")
    {
        memset(&m, 0, sizeof m);
        if (FAIL_S(H_BIG, l2_rnn_layer_init(&m, L2_LSTM, 3, 2, INT_MAX, true, false, true,
                                            L2_FLOAT32)) == L2_OK)
            l2_rnn_layer_free(&m);
    }
    CASE("num_layers INT_MAX / 8 + 1, bidirectional, bias")
    {
        memset(&m, 0, sizeof m);
        if (FAIL_S(H_BIG, l2_rnn_layer_init(&m, L2_GRU, 3, 2, INT_MAX / 8 + 1, true, false, true,
                                            L2_FLOAT32)) == L2_OK)
            l2_rnn_layer_free(&m);
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int mi = 0; mi < 4; mi++)
            CASE("%s %s", cell_name[mi], l2_dtype_name(h_dtypes[d]))
            {
                memset(&m, 0, sizeof m);
                l2_status s = is_float(h_dtypes[d])
                                  ? OK_S(l2_rnn_layer_init(&m, (l2_rnn_mode)mi, 3, 2, 2, mi & 1,
                                                           mi & 2, true, h_dtypes[d]))
                                  : FAIL_S(L2_ERR_DTYPE,
                                           l2_rnn_layer_init(&m, (l2_rnn_mode)mi, 3, 2, 2, true,
                                                             false, false, h_dtypes[d]));
                if (s == L2_OK) {
                    EXPECT(m.nweights == 2 * 2 * ((mi & 1) ? 4 : 2), "nweights %d", m.nweights);
                    l2_rnn_layer_free(&m);
                }
            }
}

void h_l2_rnn_layer_forward(void)
{
    CASE("NULL layer")
    FAIL_T(L2_ERR_NULL, l2_rnn_layer_forward(NULL, MK(L2_FLOAT32, 4, 2, 3), NULL, NULL, NULL,
                                             NULL));
    CASE("zeroed layer")
    {
        l2_rnn_layer m = {0};
        FAIL_T(H_ANY, l2_rnn_layer_forward(&m, MK(L2_FLOAT32, 4, 2, 3), NULL, NULL, NULL, NULL));
    }
    for (int mi = 0; mi < 4; mi++)
        CASE("%s: NULL, bad input and states, corrupted struct", cell_name[mi])
        {
            l2_rnn_layer m;
            bool lstm = mi == L2_LSTM;
            if (l2_rnn_layer_init(&m, (l2_rnn_mode)mi, 3, 2, 2, true, true, true, L2_FLOAT32) ==
                L2_OK) {
                l2_tensor *hn = (l2_tensor *)&hn, *cn = (l2_tensor *)&cn;
                FAIL_T(L2_ERR_NULL, l2_rnn_layer_forward(&m, NULL, NULL, NULL, &hn, &cn));
                EXPECT(!hn && !cn, "h_n/c_n not NULL on error");
                OK_T(l2_rnn_layer_forward(&m, MK(L2_FLOAT32, 2, 4, 3), NULL, NULL, &hn, &cn));
                OK_T(l2_rnn_layer_forward(&m, MK(L2_FLOAT32, 4, 3), NULL, NULL, NULL, NULL));
                l2_tensor *h = MK(L2_FLOAT32, 4, 2, 2);
                OK_T(l2_rnn_layer_forward(&m, MK(L2_FLOAT32, 2, 4, 3), h, lstm ? h : NULL, NULL,
                                          NULL));
                FAIL_T(L2_ERR_SHAPE, l2_rnn_layer_forward(&m, MK(L2_FLOAT32, 2, 4, 4), NULL, NULL,
                                                          NULL, NULL));
                FAIL_T(L2_ERR_SHAPE, l2_rnn_layer_forward(&m, MK(L2_FLOAT32, 3), NULL, NULL, NULL,
                                                          NULL));
                FAIL_T(L2_ERR_ARG, l2_rnn_layer_forward(&m, MK(L2_FLOAT32, 2, 0, 3), NULL, NULL,
                                                        NULL, NULL));
                l2_tensor *hb = MK(L2_FLOAT32, 2, 2, 2);
                FAIL_T(L2_ERR_SHAPE, l2_rnn_layer_forward(&m, MK(L2_FLOAT32, 2, 4, 3), hb,
                                                          lstm ? hb : NULL, NULL, NULL));
                FAIL_T(L2_ERR_ARG, l2_rnn_layer_forward(&m, MK(L2_FLOAT32, 2, 4, 3), h,
                                                        lstm ? NULL : h, NULL, NULL));
                FAIL_T(L2_ERR_DTYPE, l2_rnn_layer_forward(&m, MK(L2_FLOAT64, 2, 4, 3), NULL, NULL,
                                                          NULL, NULL));
                FAIL_T(L2_ERR_DTYPE, l2_rnn_layer_forward(&m, MK(L2_INT64, 2, 4, 3), NULL, NULL,
                                                          NULL, NULL));
                for (int k = 0; k < K_COUNT; k++)
                    ANY_T(l2_rnn_layer_forward(&m, mk_kind(k, L2_FLOAT32), NULL, NULL, NULL,
                                               NULL));
                l2_rnn_mode mode = m.mode;
                m.mode = (l2_rnn_mode)7;
                FAIL_T(L2_ERR_ARG, l2_rnn_layer_forward(&m, MK(L2_FLOAT32, 2, 4, 3), NULL, NULL,
                                                        NULL, NULL));
                m.mode = mode;
                int nl = m.num_layers;
                m.num_layers = 0;
                FAIL_T(L2_ERR_ARG, l2_rnn_layer_forward(&m, MK(L2_FLOAT32, 2, 4, 3), NULL, NULL,
                                                        NULL, NULL));
                m.num_layers = nl;
                l2_tensor *w0 = m.weights[m.nweights - 1];
                m.weights[m.nweights - 1] = NULL;
                FAIL_T(L2_ERR_NULL, l2_rnn_layer_forward(&m, MK(L2_FLOAT32, 2, 4, 3), NULL, NULL,
                                                         NULL, NULL));
                m.weights[m.nweights - 1] = w0;
                l2_rnn_layer_free(&m);
            }
        }
}

void h_l2_rnn_layer_params(void)
{
    CASE("NULLs, twice")
    {
        l2_rnn_layer m;
        l2_params *p = l2_params_new();
        FAIL_S(L2_ERR_NULL, l2_rnn_layer_params(NULL, p, "rnn"));
        if (l2_rnn_layer_init(&m, L2_LSTM, 3, 2, 2, true, false, true, L2_FLOAT32) == L2_OK) {
            FAIL_S(L2_ERR_NULL, l2_rnn_layer_params(&m, NULL, "rnn"));
            ANY_S(l2_rnn_layer_params(&m, p, NULL));
            OK_S(l2_rnn_layer_params(&m, p, "rnn"));
            int n = l2_params_count(p);
            FAIL_S(L2_ERR_ARG, l2_rnn_layer_params(&m, p, "rnn"));
            EXPECT(l2_params_count(p) == n, "count %d -> %d after a failed call", n,
                   l2_params_count(p));
            l2_rnn_layer_free(&m);
        }
        l2_params_free(p);
    }
    CASE("zeroed layer")
    {
        l2_rnn_layer m = {0};
        l2_params *p = l2_params_new();
        ANY_S(l2_rnn_layer_params(&m, p, "rnn"));
        l2_params_free(p);
    }
}

void h_l2_rnn_layer_free(void)
{
    CASE("NULL, zeroed, twice")
    {
        l2_rnn_layer m = {0};
        l2_rnn_layer_free(NULL);
        l2_rnn_layer_free(&m);
        l2_rnn_layer_free(&m);
    }
    CASE("initialised, twice")
    {
        l2_rnn_layer m;
        if (l2_rnn_layer_init(&m, L2_GRU, 3, 2, 2, false, false, true, L2_FLOAT64) == L2_OK) {
            l2_rnn_layer_free(&m);
            l2_rnn_layer_free(&m);
        }
    }
}

/* ---- Multi-head attention: E = 4, num_heads 2, L = 2, S = 3, N = 2 ------------------------ */

void h_l2_mha_defaults(void)
{
    CASE("defaults")
    {
        l2_mha_args a = l2_mha_defaults();
        EXPECT(a.need_weights && a.average_attn_weights && a.training, "flags not true");
        EXPECT(!a.in_proj_weight && !a.out_proj_weight && !a.attn_mask && !a.key_padding_mask &&
                   !a.bias_k && !a.bias_v && !a.add_zero_attn && !a.batch_first &&
                   !a.use_separate_proj_weight && a.dropout_p == 0,
               "not zero");
    }
}

/* The call with *attn_weights checked: NULL on error. */
static l2_tensor *mha(const l2_tensor *q, const l2_tensor *k, const l2_tensor *v, int64_t h,
                      const l2_mha_args *a)
{
    l2_tensor *w = (l2_tensor *)&w;
    l2_tensor *r = l2_multi_head_attention(q, k, v, h, a, &w);
    if (!r && w)
        h_bad(__LINE__, "failed but *attn_weights is not NULL");
    if (r && a && a->need_weights && !w)
        h_bad(__LINE__, "need_weights but *attn_weights is NULL");
    if (r && a && !a->need_weights && w)
        h_bad(__LINE__, "not need_weights but *attn_weights is set");
    return r;
}

static l2_mha_args mha_args(l2_dtype dt)
{
    l2_mha_args a = l2_mha_defaults();
    a.in_proj_weight = MK(dt, 12, 4);
    a.in_proj_bias = MK(dt, 12);
    a.out_proj_weight = MK(dt, 4, 4);
    a.out_proj_bias = MK(dt, 4);
    return a;
}

void h_l2_multi_head_attention(void)
{
    CASE("NULLs")
    {
        l2_mha_args a = mha_args(L2_FLOAT32);
        l2_tensor *q = MK(L2_FLOAT32, 2, 2, 4), *kv = MK(L2_FLOAT32, 3, 2, 4);
        FAIL_T(L2_ERR_NULL, mha(NULL, kv, kv, 2, &a));
        FAIL_T(L2_ERR_NULL, mha(q, NULL, kv, 2, &a));
        FAIL_T(L2_ERR_NULL, mha(q, kv, NULL, 2, &a));
        FAIL_T(L2_ERR_NULL, mha(q, kv, kv, 2, NULL));
        FAIL_T(L2_ERR_NULL, l2_multi_head_attention(q, kv, kv, 2, NULL, NULL));
        l2_mha_args b = a;
        b.in_proj_weight = NULL;
        FAIL_T(L2_ERR_NULL, mha(q, kv, kv, 2, &b));
        b = a;
        b.out_proj_weight = NULL;
        FAIL_T(L2_ERR_NULL, mha(q, kv, kv, 2, &b));
        b = a;
        b.use_separate_proj_weight = true;
        FAIL_T(L2_ERR_NULL, mha(q, kv, kv, 2, &b));
        b.q_proj_weight = MK(L2_FLOAT32, 4, 4);
        b.k_proj_weight = MK(L2_FLOAT32, 4, 4);
        FAIL_T(L2_ERR_NULL, mha(q, kv, kv, 2, &b));
        b.v_proj_weight = MK(L2_FLOAT32, 4, 4);
        OK_T(mha(q, kv, kv, 2, &b));
        b.k_proj_weight = NULL;
        FAIL_T(L2_ERR_NULL, mha(q, kv, kv, 2, &b));
        b = a;
        b.in_proj_bias = b.out_proj_bias = NULL;
        OK_T(mha(q, kv, kv, 2, &b));
        OK_T(l2_multi_head_attention(q, kv, kv, 2, &a, NULL));
    }
    CASE("valid forms")
    {
        l2_mha_args a = mha_args(L2_FLOAT64);
        l2_tensor *q = MK(L2_FLOAT64, 2, 2, 4), *kv = MK(L2_FLOAT64, 3, 2, 4);
        OK_T(mha(q, kv, kv, 2, &a));
        OK_T(mha(q, q, q, 2, &a));
        OK_T(mha(q, kv, kv, 1, &a));
        OK_T(mha(q, kv, kv, 4, &a));
        a.average_attn_weights = false;
        OK_T(mha(q, kv, kv, 2, &a));
        a.need_weights = false;
        OK_T(mha(q, kv, kv, 2, &a));
        a.need_weights = true;
        OK_T(mha(MK(L2_FLOAT64, 2, 4), MK(L2_FLOAT64, 3, 4), MK(L2_FLOAT64, 3, 4), 2, &a));
        a.batch_first = true;
        OK_T(mha(q, MK(L2_FLOAT64, 2, 3, 4), MK(L2_FLOAT64, 2, 3, 4), 2, &a));
        OK_T(mha(MK(L2_FLOAT64, 2, 4), MK(L2_FLOAT64, 3, 4), MK(L2_FLOAT64, 3, 4), 2, &a));
        a.batch_first = false;
        a.training = false;
        a.dropout_p = 0.5;
        OK_T(mha(q, kv, kv, 2, &a));
        a.dropout_p = 0;
        a.training = true;
        OK_T(mha(MK(L2_FLOAT64, 0, 2, 4), kv, kv, 2, &a));
        OK_T(mha(MK(L2_FLOAT64, 2, 0, 4), MK(L2_FLOAT64, 3, 0, 4), MK(L2_FLOAT64, 3, 0, 4), 2,
                 &a));
        ANY_T(mha(q, MK(L2_FLOAT64, 0, 2, 4), MK(L2_FLOAT64, 0, 2, 4), 2, &a));
        a.key_padding_mask = l2_ones(L2_SHAPE(2, 3), L2_BOOL);
        OK_T(mha(q, kv, kv, 2, &a)); /* all masked: NaN */
        a.attn_mask = l2_zeros(L2_SHAPE(2, 3), L2_BOOL);
        OK_T(mha(q, kv, kv, 2, &a));
        a.attn_mask = MK(L2_FLOAT32, 4, 2, 3);
        OK_T(mha(q, kv, kv, 2, &a));
        a.key_padding_mask = MK(L2_FLOAT64, 2, 3);
        a.attn_mask = l2_ones(L2_SHAPE(2, 3), L2_BOOL);
        OK_T(mha(q, kv, kv, 2, &a));
        a.attn_mask = NULL;
        OK_T(mha(q, kv, kv, 2, &a));
        a.key_padding_mask = mk_kind(K_SPECIAL, L2_FLOAT64);
        OK_T(mha(q, kv, kv, 2, &a));
    }
    CASE("num_heads")
    {
        l2_mha_args a = mha_args(L2_FLOAT32);
        l2_tensor *q = MK(L2_FLOAT32, 2, 2, 4), *kv = MK(L2_FLOAT32, 3, 2, 4);
        const int64_t bad[] = {0, -1, -2, 3, INT64_MIN, INT64_MAX, (int64_t)1 << 62, 8};
        for (int i = 0; i < 8; i++)
            FAIL_T(L2_ERR_ARG, mha(q, kv, kv, bad[i], &a));
    }
    CASE("unsupported options")
    {
        l2_mha_args a = mha_args(L2_FLOAT32);
        l2_tensor *q = MK(L2_FLOAT32, 2, 2, 4), *kv = MK(L2_FLOAT32, 3, 2, 4);
        const double ps[] = {0.5, 1, -1, NAN, INFINITY, 1e-300};
        for (int i = 0; i < 6; i++) {
            l2_mha_args b = a;
            b.dropout_p = ps[i];
            FAIL_T(L2_ERR_ARG, mha(q, kv, kv, 2, &b));
        }
        l2_mha_args b = a;
        b.bias_k = MK(L2_FLOAT32, 1, 1, 4);
        FAIL_T(L2_ERR_ARG, mha(q, kv, kv, 2, &b));
        b = a;
        b.bias_v = MK(L2_FLOAT32, 1, 1, 4);
        FAIL_T(L2_ERR_ARG, mha(q, kv, kv, 2, &b));
        b = a;
        b.add_zero_attn = true;
        FAIL_T(L2_ERR_ARG, mha(q, kv, kv, 2, &b));
    }
    CASE("shapes")
    {
        l2_mha_args a = mha_args(L2_FLOAT32);
        l2_tensor *q = MK(L2_FLOAT32, 2, 2, 4), *kv = MK(L2_FLOAT32, 3, 2, 4);
        FAIL_T(L2_ERR_SHAPE, mha(MK(L2_FLOAT32, 4), MK(L2_FLOAT32, 4), MK(L2_FLOAT32, 4), 2, &a));
        FAIL_T(L2_ERR_SHAPE, mha(mk_kind(K_0D, L2_FLOAT32), kv, kv, 2, &a));
        FAIL_T(L2_ERR_SHAPE, mha(MK(L2_FLOAT32, 1, 2, 2, 4), MK(L2_FLOAT32, 1, 3, 2, 4),
                                 MK(L2_FLOAT32, 1, 3, 2, 4), 2, &a));
        FAIL_T(L2_ERR_SHAPE, mha(q, MK(L2_FLOAT32, 3, 4), MK(L2_FLOAT32, 3, 4), 2, &a));
        FAIL_T(L2_ERR_SHAPE, mha(q, kv, MK(L2_FLOAT32, 4, 2, 4), 2, &a));
        FAIL_T(L2_ERR_SHAPE, mha(q, kv, MK(L2_FLOAT32, 3, 2), 2, &a));
        FAIL_T(L2_ERR_SHAPE, mha(q, MK(L2_FLOAT32, 3, 3, 4), MK(L2_FLOAT32, 3, 3, 4), 2, &a));
        FAIL_T(L2_ERR_SHAPE, mha(q, MK(L2_FLOAT32, 3, 2, 6), MK(L2_FLOAT32, 3, 2, 6), 2, &a));
        FAIL_T(L2_ERR_SHAPE, mha(MK(L2_FLOAT32, 2, 2, 6), kv, kv, 2, &a));
        const struct {
            int which;
            int nd;
            int64_t s[3];
        } bw[] = {{0, 2, {12, 5}}, {0, 2, {11, 4}}, {0, 1, {48}},  {1, 1, {11}},
                  {1, 2, {1, 12}}, {2, 2, {4, 5}},  {2, 2, {5, 4}}, {3, 1, {5}},
                  {3, 0, {0}},     {4, 2, {2, 4}},  {4, 1, {3}},    {4, 2, {3, 2}},
                  {5, 2, {3, 2}},  {5, 3, {2, 2, 3}}, {5, 3, {4, 3, 3}}, {5, 1, {3}}};
        for (size_t i = 0; i < sizeof bw / sizeof bw[0]; i++) {
            l2_mha_args b = a;
            l2_dtype dt = bw[i].which >= 4 ? L2_BOOL : L2_FLOAT32;
            l2_tensor *t = mk(dt, bw[i].nd, bw[i].s);
            switch (bw[i].which) {
            case 0: b.in_proj_weight = t; break;
            case 1: b.in_proj_bias = t; break;
            case 2: b.out_proj_weight = t; break;
            case 3: b.out_proj_bias = t; break;
            case 4: b.key_padding_mask = t; break;
            default: b.attn_mask = t; break;
            }
            FAIL_T(L2_ERR_SHAPE, mha(q, kv, kv, 2, &b));
        }
        l2_mha_args b = a;
        b.use_separate_proj_weight = true;
        b.q_proj_weight = MK(L2_FLOAT32, 4, 4);
        b.k_proj_weight = MK(L2_FLOAT32, 4, 6);
        b.v_proj_weight = MK(L2_FLOAT32, 4, 5);
        OK_T(mha(q, MK(L2_FLOAT32, 3, 2, 6), MK(L2_FLOAT32, 3, 2, 5), 2, &b));
        FAIL_T(L2_ERR_SHAPE, mha(q, MK(L2_FLOAT32, 3, 2, 6), MK(L2_FLOAT32, 4, 2, 5), 2, &b));
        FAIL_T(L2_ERR_SHAPE, mha(q, MK(L2_FLOAT32, 3, 2, 6), MK(L2_FLOAT32, 3, 1, 5), 2, &b));
        FAIL_T(L2_ERR_SHAPE, mha(q, MK(L2_FLOAT32, 3, 2, 5), MK(L2_FLOAT32, 3, 2, 5), 2, &b));
        b.q_proj_weight = MK(L2_FLOAT32, 4, 5);
        FAIL_T(L2_ERR_SHAPE, mha(q, MK(L2_FLOAT32, 3, 2, 6), MK(L2_FLOAT32, 3, 2, 5), 2, &b));
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++) {
        l2_dtype dt = h_dtypes[d];
        CASE("all %s", l2_dtype_name(dt))
        {
            l2_mha_args a = mha_args(dt);
            l2_tensor *q = MK(dt, 2, 2, 4), *kv = MK(dt, 3, 2, 4);
            if (is_float(dt))
                OK_T(mha(q, kv, kv, 2, &a));
            else
                FAIL_T(L2_ERR_DTYPE, mha(q, kv, kv, 2, &a));
        }
        CASE("%s among float32", l2_dtype_name(dt))
        {
            l2_mha_args a = mha_args(L2_FLOAT32);
            l2_tensor *q = MK(L2_FLOAT32, 2, 2, 4), *kv = MK(L2_FLOAT32, 3, 2, 4);
            if (dt != L2_FLOAT32) {
                FAIL_T(L2_ERR_DTYPE, mha(MK(dt, 2, 2, 4), kv, kv, 2, &a));
                FAIL_T(H_ANY, mha(q, MK(dt, 3, 2, 4), MK(dt, 3, 2, 4), 2, &a));
                for (int w = 0; w < 4; w++) {
                    l2_mha_args b = a;
                    const l2_tensor **f = w == 0   ? &b.in_proj_weight
                                          : w == 1 ? &b.in_proj_bias
                                          : w == 2 ? &b.out_proj_weight
                                                   : &b.out_proj_bias;
                    *f = mk(dt, l2_ndim(*f), l2_shape(*f));
                    FAIL_T(L2_ERR_DTYPE, mha(q, kv, kv, 2, &b));
                }
            }
            l2_mha_args b = a;
            b.key_padding_mask = MK(dt, 2, 3);
            if (dt == L2_INT64 || dt == L2_BFLOAT16 || dt == L2_FLOAT16) /* half: issue 16 */
                FAIL_T(L2_ERR_DTYPE, mha(q, kv, kv, 2, &b));
            else
                OK_T(mha(q, kv, kv, 2, &b));
            b = a;
            b.attn_mask = MK(dt, 2, 3);
            if (dt == L2_INT64 || dt == L2_BFLOAT16 || dt == L2_FLOAT16)
                FAIL_T(L2_ERR_DTYPE, mha(q, kv, kv, 2, &b));
            else
                OK_T(mha(q, kv, kv, 2, &b));
            if (is_float(dt)) {
                b.key_padding_mask = MK(L2_FLOAT32, 2, 3);
                FAIL_T(L2_ERR_DTYPE, mha(q, kv, kv, 2, &b));
            }
        }
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s query = key = value (E = 3, 1 and 3 heads)", l2_dtype_name(dt),
                 h_kind_name[k])
            {
                l2_mha_args a = l2_mha_defaults();
                a.in_proj_weight = MK(dt, 9, 3);
                a.out_proj_weight = MK(dt, 3, 3);
                l2_tensor *t = mk_kind(k, dt);
                ANY_T(mha(t, t, t, 1, &a));
                ANY_T(mha(t, t, t, 3, &a));
                ANY_T(mha(t, mk_kind(k, dt), t, 3, &a));
                a.batch_first = true;
                a.key_padding_mask = mk_kind(k, L2_BOOL);
                ANY_T(mha(t, t, t, 3, &a));
                a.key_padding_mask = NULL;
                a.attn_mask = mk_kind(k, dt);
                ANY_T(mha(t, t, t, 1, &a));
            }
    }
    CASE("huge expanded query, key, value")
    {
        l2_mha_args a = mha_args(L2_FLOAT32);
        l2_tensor *s = mk_kind(K_0D, L2_FLOAT32);
        l2_tensor *q = l2_expand(s, 3, (int64_t[]){(int64_t)1 << 31, (int64_t)1 << 31, 4});
        FAIL_T(H_ANY, mha(q, q, q, 2, &a));
        FAIL_T(H_ANY, mha(q, MK(L2_FLOAT32, 3, 2, 4), MK(L2_FLOAT32, 3, 2, 4), 2, &a));
    }
    CASE("leaves")
    {
        l2_mha_args a = mha_args(L2_FLOAT32);
        l2_tensor *q = MK(L2_FLOAT32, 2, 2, 4);
        l2_set_requires_grad(q, true);
        l2_set_requires_grad((l2_tensor *)a.in_proj_weight, true);
        OK_T(mha(q, q, q, 2, &a));
    }
}

void h_l2_multihead_attention_layer_init(void)
{
    l2_multihead_attention_layer m;
    CASE("NULL")
    FAIL_S(L2_ERR_NULL, l2_multihead_attention_layer_init(NULL, 4, 2, true, false, L2_FLOAT32));
    for (int i = 0; i < N_BAD_SIZES; i++) {
        CASE("embed_dim %lld", (long long)bad_sizes[i])
        {
            memset(&m, 0, sizeof m);
            if (FAIL_S(H_BIG, l2_multihead_attention_layer_init(&m, bad_sizes[i], 1, true, false,
                                                                L2_FLOAT32)) == L2_OK)
                l2_multihead_attention_layer_free(&m);
        }
        CASE("num_heads %lld", (long long)bad_sizes[i])
        {
            memset(&m, 0, sizeof m);
            if (FAIL_S(L2_ERR_ARG, l2_multihead_attention_layer_init(&m, 4, bad_sizes[i], true,
                                                                     false, L2_FLOAT32)) == L2_OK)
                l2_multihead_attention_layer_free(&m);
        }
    }
    CASE("num_heads not dividing")
    {
        memset(&m, 0, sizeof m);
        if (FAIL_S(L2_ERR_ARG, l2_multihead_attention_layer_init(&m, 4, 3, false, true,
                                                                 L2_FLOAT64)) == L2_OK)
            l2_multihead_attention_layer_free(&m);
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        CASE("%s", l2_dtype_name(h_dtypes[d]))
        {
            memset(&m, 0, sizeof m);
            l2_status s = is_float(h_dtypes[d])
                              ? OK_S(l2_multihead_attention_layer_init(&m, 4, 2, d & 1, true,
                                                                       h_dtypes[d]))
                              : FAIL_S(L2_ERR_DTYPE, l2_multihead_attention_layer_init(
                                                         &m, 4, 2, true, false, h_dtypes[d]));
            if (s == L2_OK)
                l2_multihead_attention_layer_free(&m);
        }
}

static l2_tensor *mha_fwd(const l2_multihead_attention_layer *m, const l2_tensor *q,
                          const l2_tensor *k, const l2_tensor *v, const l2_tensor *kpm, bool nw,
                          const l2_tensor *am, bool avg)
{
    l2_tensor *w = (l2_tensor *)&w;
    l2_tensor *r = l2_multihead_attention_layer_forward(m, q, k, v, kpm, nw, am, avg, &w);
    if (!r && w)
        h_bad(__LINE__, "failed but *attn_weights is not NULL");
    if (r && nw && !w)
        h_bad(__LINE__, "need_weights but *attn_weights is NULL");
    return r;
}

void h_l2_multihead_attention_layer_forward(void)
{
    CASE("NULL layer")
    {
        l2_tensor *q = MK(L2_FLOAT32, 2, 2, 4);
        FAIL_T(L2_ERR_NULL, mha_fwd(NULL, q, q, q, NULL, true, NULL, true));
    }
    CASE("zeroed layer")
    {
        l2_multihead_attention_layer m = {0};
        l2_tensor *q = MK(L2_FLOAT32, 2, 2, 4);
        FAIL_T(H_ANY, mha_fwd(&m, q, q, q, NULL, true, NULL, true));
    }
    for (int bf = 0; bf < 2; bf++)
        CASE("batch_first %d: NULLs, bad inputs, corrupted struct", bf)
        {
            l2_multihead_attention_layer m;
            if (l2_multihead_attention_layer_init(&m, 4, 2, true, bf, L2_FLOAT32) == L2_OK) {
                l2_tensor *q = MK(L2_FLOAT32, 2, 2, 4), *kv = MK(L2_FLOAT32, 2, 3, 4);
                l2_tensor *kv2 = bf ? kv : MK(L2_FLOAT32, 3, 2, 4);
                FAIL_T(L2_ERR_NULL, mha_fwd(&m, NULL, q, q, NULL, true, NULL, true));
                FAIL_T(L2_ERR_NULL, mha_fwd(&m, q, NULL, q, NULL, true, NULL, true));
                FAIL_T(L2_ERR_NULL, mha_fwd(&m, q, q, NULL, NULL, true, NULL, true));
                OK_T(mha_fwd(&m, q, kv2, kv2, NULL, true, NULL, true));
                OK_T(mha_fwd(&m, q, kv2, kv2, NULL, false, NULL, false));
                OK_T(l2_multihead_attention_layer_forward(&m, q, q, q, NULL, true, NULL, true,
                                                          NULL));
                OK_T(mha_fwd(&m, q, kv2, kv2, l2_ones(L2_SHAPE(2, 3), L2_BOOL), true,
                             MK(L2_FLOAT32, 4, 2, 3), false));
                FAIL_T(L2_ERR_SHAPE, mha_fwd(&m, q, kv2, kv2, MK(L2_BOOL, 3, 2), true, NULL,
                                             true));
                FAIL_T(L2_ERR_SHAPE, mha_fwd(&m, q, kv2, kv2, NULL, true, MK(L2_BOOL, 3, 3),
                                             true));
                FAIL_T(L2_ERR_DTYPE, mha_fwd(&m, q, kv2, kv2, MK(L2_INT64, 2, 3), true, NULL,
                                             true));
                FAIL_T(L2_ERR_DTYPE, mha_fwd(&m, q, kv2, kv2, MK(L2_FLOAT32, 2, 3), true,
                                             MK(L2_FLOAT32, 2, 3), true));
                FAIL_T(L2_ERR_SHAPE, mha_fwd(&m, MK(L2_FLOAT32, 2, 2, 6), kv2, kv2, NULL, true,
                                             NULL, true));
                FAIL_T(L2_ERR_DTYPE, mha_fwd(&m, MK(L2_FLOAT64, 2, 2, 4), MK(L2_FLOAT64, 2, 2, 4),
                                             MK(L2_FLOAT64, 2, 2, 4), NULL, true, NULL, true));
                FAIL_T(L2_ERR_DTYPE, mha_fwd(&m, MK(L2_INT64, 2, 2, 4), MK(L2_INT64, 2, 2, 4),
                                             MK(L2_INT64, 2, 2, 4), NULL, true, NULL, true));
                for (int k = 0; k < K_COUNT; k++) {
                    l2_tensor *t = mk_kind(k, L2_FLOAT32);
                    ANY_T(mha_fwd(&m, t, t, t, NULL, true, NULL, true));
                    ANY_T(mha_fwd(&m, q, kv2, kv2, mk_kind(k, L2_BOOL), true, NULL, true));
                    ANY_T(mha_fwd(&m, q, kv2, kv2, NULL, true, mk_kind(k, L2_FLOAT32), true));
                }
                int64_t h = m.num_heads;
                const int64_t bad[] = {0, -1, 3, INT64_MIN, INT64_MAX};
                for (int i = 0; i < 5; i++) {
                    m.num_heads = bad[i];
                    FAIL_T(L2_ERR_ARG, mha_fwd(&m, q, q, q, NULL, true, NULL, true));
                }
                m.num_heads = h;
                l2_tensor *w = m.in_proj_weight;
                m.in_proj_weight = NULL;
                FAIL_T(L2_ERR_NULL, mha_fwd(&m, q, q, q, NULL, true, NULL, true));
                m.in_proj_weight = w;
                w = m.out_proj.weight;
                m.out_proj.weight = NULL;
                FAIL_T(L2_ERR_NULL, mha_fwd(&m, q, q, q, NULL, true, NULL, true));
                m.out_proj.weight = w;
                l2_multihead_attention_layer_free(&m);
            }
        }
}

void h_l2_multihead_attention_layer_params(void)
{
    CASE("NULLs, twice, without bias")
    {
        l2_multihead_attention_layer m;
        l2_params *p = l2_params_new();
        FAIL_S(L2_ERR_NULL, l2_multihead_attention_layer_params(NULL, p, "attn"));
        if (l2_multihead_attention_layer_init(&m, 4, 2, true, false, L2_FLOAT32) == L2_OK) {
            FAIL_S(L2_ERR_NULL, l2_multihead_attention_layer_params(&m, NULL, "attn"));
            ANY_S(l2_multihead_attention_layer_params(&m, p, NULL));
            OK_S(l2_multihead_attention_layer_params(&m, p, "attn"));
            int n = l2_params_count(p);
            FAIL_S(L2_ERR_ARG, l2_multihead_attention_layer_params(&m, p, "attn"));
            EXPECT(l2_params_count(p) == n, "count %d -> %d after a failed call", n,
                   l2_params_count(p));
            l2_multihead_attention_layer_free(&m);
        }
        if (l2_multihead_attention_layer_init(&m, 4, 2, false, false, L2_FLOAT32) == L2_OK) {
            int n = l2_params_count(p);
            OK_S(l2_multihead_attention_layer_params(&m, p, "nb"));
            EXPECT(l2_params_count(p) == n + 2, "without bias: %d params added",
                   l2_params_count(p) - n);
            l2_multihead_attention_layer_free(&m);
        }
        l2_params_free(p);
    }
    CASE("zeroed layer")
    {
        l2_multihead_attention_layer m = {0};
        l2_params *p = l2_params_new();
        ANY_S(l2_multihead_attention_layer_params(&m, p, "attn"));
        l2_params_free(p);
    }
}

void h_l2_multihead_attention_layer_free(void)
{
    CASE("NULL, zeroed, twice")
    {
        l2_multihead_attention_layer m = {0};
        l2_multihead_attention_layer_free(NULL);
        l2_multihead_attention_layer_free(&m);
        l2_multihead_attention_layer_free(&m);
    }
    CASE("initialised, twice")
    {
        l2_multihead_attention_layer m;
        if (l2_multihead_attention_layer_init(&m, 4, 2, false, true, L2_FLOAT64) == L2_OK) {
            l2_multihead_attention_layer_free(&m);
            l2_multihead_attention_layer_free(&m);
        }
    }
}
