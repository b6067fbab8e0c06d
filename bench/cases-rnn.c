/* cases-rnn.c: the recurrent and attention layers of issue 15 (libl2/nn/rnn.c, attention.c): a
 * 2-layer LSTM and a 2-layer GRU (input and hidden 256) over seq 35, batch 20, and a multi-head
 * self-attention layer (embed 256, 8 heads, need_weights false) over the same (35, 20, 256),
 * float32, forward + backward (the output's gradient ones, every weight requiring grad), in
 * every profile. The torch twins are in bench/torch_rnn.py (same names: nn.LSTM / nn.GRU,
 * torch's fused CPU kernels; nn.MultiheadAttention). */
#include "cases.h"

enum { R_LSTM, R_GRU, R_COUNT };

static void layer_free(void *p)
{
    bdata *d = p;
    if (d && d->extra)
        l2_rnn_layer_free(d->extra);
    bdata_free(d);
}

static void *setup_rnn(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    l2_rnn_layer *m = calloc(1, sizeof *m);
    d->extra = m;
    l2_manual_seed(1);
    if (!m || l2_rnn_layer_init(m, c->p[5] == R_LSTM ? L2_LSTM : L2_GRU, 256, 256, 2, true, false,
                                false, L2_FLOAT32) != L2_OK) {
        if (m)
            m->weights = NULL;
        layer_free(d);
        return NULL;
    }
    d->t[0] = l2_randn(L2_SHAPE(35, 20, 256), L2_FLOAT32);
    d->t[7] = l2_ones(L2_SHAPE(35, 20, 256), L2_FLOAT32);
    if (!d->t[0] || !d->t[7]) {
        layer_free(d);
        return NULL;
    }
    return d;
}

static int run_rnn_bwd(void *p)
{
    bdata *d = p;
    l2_rnn_layer *m = d->extra;
    l2_tensor *y = l2_rnn_layer_forward(m, d->t[0], NULL, NULL, NULL, NULL);
    int bad = !y || l2_backward(y, d->t[7], false) != L2_OK;
    l2_tensor_release(y);
    for (int k = 0; k < m->nweights; k++)
        l2_set_grad_none(m->weights[k]);
    return bad;
}

void bench_cases_rnn(void)
{
    const char *ops[R_COUNT] = {"lstm", "gru"};
    for (int k = 0; k < R_COUNT; k++) {
        bench_case c = nn_case(ops[k], 1, "2layers", "35x20x256", setup_rnn, run_rnn_bwd);
        c.teardown = layer_free;
        c.p[5] = k;
        c.items = 35.0 * 20;
        /* forward: input and hidden products of 2 layers; backward about twice */
        c.flops = 3.0 * 2 * 2 * 35 * 20 * 256.0 * (k == R_LSTM ? 4 : 3) * 256 * 2;
        bench_add(c, NULL);
    }
}

static void mha_free(void *p)
{
    bdata *d = p;
    if (d && d->extra) {
        l2_multihead_attention_layer_free(d->extra);
        free(d->extra);
        d->extra = NULL;
    }
    bdata_free(d);
}

static void *setup_mha(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    l2_multihead_attention_layer *m = calloc(1, sizeof *m);
    d->extra = m;
    l2_manual_seed(1);
    if (!m || l2_multihead_attention_layer_init(m, 256, 8, true, false, L2_FLOAT32) != L2_OK) {
        free(m);
        d->extra = NULL;
        bdata_free(d);
        return NULL;
    }
    d->t[0] = l2_randn(L2_SHAPE(35, 20, 256), L2_FLOAT32);
    d->t[7] = l2_ones(L2_SHAPE(35, 20, 256), L2_FLOAT32);
    if (!d->t[0] || !d->t[7]) {
        mha_free(d);
        return NULL;
    }
    return d;
}

static int run_mha_bwd(void *p)
{
    bdata *d = p;
    l2_multihead_attention_layer *m = d->extra;
    l2_tensor *y = l2_multihead_attention_layer_forward(m, d->t[0], d->t[0], d->t[0], NULL, false,
                                                        NULL, true, NULL);
    int bad = !y || l2_backward(y, d->t[7], false) != L2_OK;
    l2_tensor_release(y);
    l2_set_grad_none(m->in_proj_weight);
    l2_set_grad_none(m->in_proj_bias);
    l2_set_grad_none(m->out_proj.weight);
    l2_set_grad_none(m->out_proj.bias);
    return bad;
}

void bench_cases_mha(void)
{
    bench_case c = nn_case("mha", 1, "8heads", "35x20x256", setup_mha, run_mha_bwd);
    c.teardown = mha_free;
    c.items = 35.0 * 20;
    /* projections 4 (L N E E) and scores + weighted sum 2 (N L L E), backward about twice */
    c.flops = 3.0 * 2 * (4.0 * 35 * 20 * 256 * 256 + 2.0 * 20 * 35 * 35 * 256);
    bench_add(c, NULL);
}
