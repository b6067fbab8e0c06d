/* attention.c: multi-head attention as torch 1.13's F.multi_head_attention_forward and
 * nn.MultiheadAttention, composed of public differentiable ops (linear, reshape, transpose, bmm,
 * baddbmm, softmax, masked_fill), so autograd gives every gradient. Not implemented: dropout
 * during training, bias_k/bias_v, add_zero_attn, static_k/static_v (refused with L2_ERR_ARG).
 * Letters: L target length, S source length, N batch, E embed dim, H heads, D = E / H. */
#include "../autograd-impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

l2_mha_args l2_mha_defaults(void)
{
    return (l2_mha_args){.need_weights = true, .average_attn_weights = true, .training = true};
}

/* t's shape is (nd, s)? */
static bool shape_is(const l2_tensor *t, int nd, const int64_t *s)
{
    if (t->ndim != nd)
        return false;
    for (int i = 0; i < nd; i++)
        if (t->shape[i] != s[i])
            return false;
    return true;
}

/* A weight or bias: NULL allowed when opt, else of shape (nd, s) and dtype dt. */
static bool check_param(const char *op, const char *name, const l2_tensor *t, bool opt, int nd,
                        const int64_t *s, l2_dtype dt)
{
    char b1[L2__SHAPE_STR], b2[L2__SHAPE_STR];
    if (!t) {
        L2__CHECK(opt, false, L2_ERR_NULL, "%s: argument '%s' is NULL", op, name);
        return true;
    }
    L2__CHECK_TN(t, false, op, name);
    L2__CHECK(shape_is(t, nd, s), false, L2_ERR_SHAPE, "%s: %s has shape %s, expected %s", op,
              name, l2__shape_str(b1, t->ndim, t->shape), l2__shape_str(b2, nd, s));
    L2__CHECK(t->dtype == dt, false, L2_ERR_DTYPE, "%s: %s has dtype %s, expected %s (query's)",
              op, name, l2_dtype_name(t->dtype), l2_dtype_name(dt));
    return true;
}

/* Validation of everything before any op runs (all-or-nothing). */
static bool mha_check(const char *op, const l2_tensor *q, const l2_tensor *k, const l2_tensor *v,
                      int64_t H, const l2_mha_args *a)
{
    char b1[L2__SHAPE_STR], b2[L2__SHAPE_STR];
    L2__CHECK_TN(q, false, op, "query");
    L2__CHECK_TN(k, false, op, "key");
    L2__CHECK_TN(v, false, op, "value");
    L2__CHECK(a, false, L2_ERR_NULL, "%s: argument 'args' is NULL", op);
    const l2_tensor *kpm = a->key_padding_mask, *am = a->attn_mask;
    if (kpm)
        L2__CHECK_TN(kpm, false, op, "key_padding_mask");
    if (am)
        L2__CHECK_TN(am, false, op, "attn_mask");
    int nd = q->ndim;
    L2__CHECK(nd == 2 || nd == 3, false, L2_ERR_SHAPE,
              "%s: query should be unbatched 2D or batched 3D tensor but received %d-D query "
              "tensor", op, nd);
    L2__CHECK(k->ndim == nd && v->ndim == nd, false, L2_ERR_SHAPE,
              "%s: for %d-D query, expected key and value to be %d-D but found %d-D and %d-D",
              op, nd, nd, k->ndim, v->ndim);
    L2__CHECK(!kpm || kpm->ndim == nd - 1, false, L2_ERR_SHAPE,
              "%s: for %d-D query, expected key_padding_mask to be NULL or %d-D but found %d-D",
              op, nd, nd - 1, kpm ? kpm->ndim : 0);
    L2__CHECK(!am || am->ndim == 2 || am->ndim == 3, false, L2_ERR_SHAPE,
              "%s: expected attn_mask to be NULL, 2-D or 3-D but found %d-D", op,
              am ? am->ndim : 0);
    /* torch's _mha_shape_check: an unbatched 3-d attn_mask is (H, L, S) */
    L2__CHECK(!am || nd == 3 || am->ndim == 2 ||
                  (am->shape[0] == H && am->shape[1] == q->shape[0] &&
                   am->shape[2] == k->shape[0]), false, L2_ERR_SHAPE,
              "%s: expected attn_mask shape to be [%lld,%lld,%lld] but got %s", op, (long long)H,
              (long long)q->shape[0], (long long)k->shape[0],
              l2__shape_str(b1, am ? am->ndim : 0, am ? am->shape : NULL));
    bool bf = a->batch_first && nd == 3;
    /* the dims of L, N, E in query (N absent when unbatched) */
    int dl = bf ? 1 : 0, dn = bf ? 0 : 1;
    int64_t L = q->shape[dl], S = k->shape[dl], N = nd == 3 ? q->shape[dn] : 1;
    int64_t E = q->shape[nd - 1];
    L2__CHECK(!kpm || kpm->dtype == L2_BOOL || l2__is_float(kpm->dtype), false, L2_ERR_DTYPE,
              "%s: only bool and floating types of key_padding_mask are supported (got %s)", op,
              l2_dtype_name(kpm ? kpm->dtype : L2_BOOL));
    L2__CHECK(l2__is_float(q->dtype), false, L2_ERR_DTYPE,
              "%s: query must be float32 or float64 (got %s)", op, l2_dtype_name(q->dtype));
    L2__CHECK(H > 0, false, L2_ERR_ARG, "%s: num_heads must be positive (got %lld)", op,
              (long long)H);
    L2__CHECK(E % H == 0, false, L2_ERR_ARG, "%s: embed_dim %lld not divisible by num_heads %lld",
              op, (long long)E, (long long)H);
    L2__CHECK(!a->bias_k && !a->bias_v, false, L2_ERR_ARG,
              "%s: bias_k and bias_v are not supported yet", op);
    L2__CHECK(!a->add_zero_attn, false, L2_ERR_ARG, "%s: add_zero_attn is not supported yet", op);
    L2__CHECK(!a->training || a->dropout_p == 0, false, L2_ERR_ARG,
              "%s: dropout in training mode is not supported yet (dropout_p %g)", op,
              a->dropout_p);
    l2_dtype dt = q->dtype;
    int64_t kdim = E, vdim = E;
    if (a->use_separate_proj_weight) {
        L2__CHECK(k->shape[dl] == v->shape[dl] && (nd == 2 || k->shape[dn] == v->shape[dn]),
                  false, L2_ERR_SHAPE, "%s: key's sequence and batch dims %s do not match value's"
                  " %s", op, l2__shape_str(b1, nd - 1, k->shape),
                  l2__shape_str(b2, nd - 1, v->shape));
        kdim = k->shape[nd - 1];
        vdim = v->shape[nd - 1];
        if (!check_param(op, "q_proj_weight", a->q_proj_weight, false, 2,
                         (const int64_t[]){E, E}, dt) ||
            !check_param(op, "k_proj_weight", a->k_proj_weight, false, 2,
                         (const int64_t[]){E, kdim}, dt) ||
            !check_param(op, "v_proj_weight", a->v_proj_weight, false, 2,
                         (const int64_t[]){E, vdim}, dt))
            return false;
    } else {
        L2__CHECK(shape_is(k, v->ndim, v->shape), false, L2_ERR_SHAPE,
                  "%s: key shape %s does not match value shape %s", op,
                  l2__shape_str(b1, k->ndim, k->shape), l2__shape_str(b2, v->ndim, v->shape));
        if (!check_param(op, "in_proj_weight", a->in_proj_weight, false, 2,
                         (const int64_t[]){3 * E, E}, dt))
            return false;
    }
    L2__CHECK(k->shape[nd - 1] == kdim && (nd == 2 || k->shape[dn] == N), false, L2_ERR_SHAPE,
              "%s: key of shape %s does not fit query of shape %s", op,
              l2__shape_str(b1, k->ndim, k->shape), l2__shape_str(b2, nd, q->shape));
    if (!check_param(op, "in_proj_bias", a->in_proj_bias, true, 1, (const int64_t[]){3 * E},
                     dt) ||
        !check_param(op, "out_proj_weight", a->out_proj_weight, false, 2,
                     (const int64_t[]){E, E}, dt) ||
        !check_param(op, "out_proj_bias", a->out_proj_bias, true, 1, &E, dt))
        return false;
    /* N*H and L*N: the sizes of the head and output views */
    int64_t NH, LN;
    L2__CHECK(!l2__mul_ovf(N, H, &NH) && !l2__mul_ovf(L, N, &LN), false, L2_ERR_OVERFLOW,
              "%s: batch times num_heads or length times batch overflows", op);
    if (am) {
        L2__CHECK(am->dtype == L2_BOOL || l2__is_float(am->dtype), false, L2_ERR_DTYPE,
                  "%s: only float and bool types are supported for attn_mask, not %s", op,
                  l2_dtype_name(am->dtype));
        int64_t s3[3] = {nd == 3 ? NH : H, L, S};
        if (am->ndim == 2)
            L2__CHECK(shape_is(am, 2, s3 + 1), false, L2_ERR_SHAPE,
                      "%s: the shape of the 2D attn_mask is %s, but should be %s", op,
                      l2__shape_str(b1, 2, am->shape), l2__shape_str(b2, 2, s3 + 1));
        else
            L2__CHECK(shape_is(am, 3, s3), false, L2_ERR_SHAPE,
                      "%s: the shape of the 3D attn_mask is %s, but should be %s", op,
                      l2__shape_str(b1, 3, am->shape), l2__shape_str(b2, 3, s3));
    }
    if (kpm) {
        int64_t s2[2] = {N, S};
        L2__CHECK(shape_is(kpm, nd - 1, nd == 3 ? s2 : s2 + 1), false, L2_ERR_SHAPE,
                  "%s: expecting key_padding_mask shape of %s, but got %s", op,
                  l2__shape_str(b1, nd - 1, nd == 3 ? s2 : s2 + 1),
                  l2__shape_str(b2, kpm->ndim, kpm->shape));
        /* torch merges a key padding mask into a float attn_mask with masked_fill */
        L2__CHECK(!am || am->dtype == L2_BOOL || kpm->dtype == L2_BOOL, false, L2_ERR_DTYPE,
                  "%s: a float key_padding_mask with a float attn_mask: masked_fill only "
                  "supports boolean masks", op);
    }
    return true;
}

enum { N_T = 40 };

/* The temporaries of one call, released together. */
typedef struct {
    l2_tensor *t[N_T];
    int n;
    bool failed;
} pool;

/* Keep x in the pool; false (and failed) when x is NULL or an earlier step failed. */
static l2_tensor *keep(pool *p, l2_tensor *x)
{
    if (!x || p->n == N_T) {
        p->failed = true;
        l2_tensor_release(x);
        return NULL;
    }
    return p->t[p->n++] = x;
}

#define STEP(p, expr) ((p)->failed ? NULL : keep((p), (expr)))

/* x (T, N, E') projected by w rows [r0, r0 + rows) and the same bias rows -> (T, N, rows). */
static l2_tensor *proj(pool *p, const l2_tensor *x, const l2_tensor *w, int64_t r0, int64_t rows,
                       const l2_tensor *b)
{
    const l2_tensor *wn = w->shape[0] == rows ? w : STEP(p, l2_narrow(w, 0, r0, rows));
    const l2_tensor *bn = !b ? NULL : b->shape[0] == rows ? b : STEP(p, l2_narrow(b, 0, r0, rows));
    return p->failed ? NULL : STEP(p, l2_linear(x, wn, bn));
}

/* (T, N, E) -> (N*H, T, D): torch's x.contiguous().view(T, N*H, D).transpose(0, 1). */
static l2_tensor *heads(pool *p, const l2_tensor *x, int64_t T, int64_t NH, int64_t D)
{
    l2_tensor *r = STEP(p, l2_reshape(x, 3, (const int64_t[]){T, NH, D}));
    return STEP(p, r ? l2_transpose(r, 0, 1) : NULL);
}

l2_tensor *l2_multi_head_attention(const l2_tensor *query, const l2_tensor *key,
                                   const l2_tensor *value, int64_t num_heads,
                                   const l2_mha_args *args, l2_tensor **attn_weights)
{
    const char *op = "multi_head_attention";
    if (attn_weights)
        *attn_weights = NULL;
    if (!mha_check(op, query, key, value, num_heads, args))
        return NULL;
    const l2_mha_args *a = args;
    bool batched = query->ndim == 3, bf = a->batch_first && batched;
    int64_t H = num_heads, E = query->shape[query->ndim - 1], D = E / H;
    int dl = bf ? 1 : 0;
    int64_t L = query->shape[dl], S = key->shape[dl], N = batched ? query->shape[bf ? 0 : 1] : 1;
    int64_t NH = N * H; /* both checked in mha_check */
    pool P = {.n = 0}, *p = &P;
    l2__enter();
    /* (L, N, E) views of the inputs: unbatched inputs get N = 1, batch_first ones are
     * transposed (torch's module transposes them and keeps query is key is value) */
    const l2_tensor *in[3] = {query, key, value};
    const l2_tensor *x[3];
    for (int i = 0; i < 3; i++) {
        if (i && in[i] == in[i - 1]) {
            x[i] = x[i - 1];
            continue;
        }
        x[i] = !batched ? STEP(p, l2_unsqueeze(in[i], 1))
               : bf     ? STEP(p, l2_transpose(in[i], 0, 1))
                        : in[i];
    }
    /* in-projection (torch's _in_projection_packed: one product for self-attention, one for
     * key and value when key is value) */
    const l2_tensor *qp, *kp, *vp;
    const l2_tensor *b = a->in_proj_bias;
    if (a->use_separate_proj_weight) {
        qp = proj(p, x[0], a->q_proj_weight, 0, E, b ? STEP(p, l2_narrow(b, 0, 0, E)) : NULL);
        kp = proj(p, x[1], a->k_proj_weight, 0, E, b ? STEP(p, l2_narrow(b, 0, E, E)) : NULL);
        vp = proj(p, x[2], a->v_proj_weight, 0, E,
                  b ? STEP(p, l2_narrow(b, 0, 2 * E, E)) : NULL);
    } else if (key == value && query == key) {
        l2_tensor *all = proj(p, x[0], a->in_proj_weight, 0, 3 * E, b);
        qp = STEP(p, all ? l2_narrow(all, 2, 0, E) : NULL);
        kp = STEP(p, all ? l2_narrow(all, 2, E, E) : NULL);
        vp = STEP(p, all ? l2_narrow(all, 2, 2 * E, E) : NULL);
    } else if (key == value) {
        qp = proj(p, x[0], a->in_proj_weight, 0, E, b);
        l2_tensor *kv = proj(p, x[1], a->in_proj_weight, E, 2 * E, b);
        kp = STEP(p, kv ? l2_narrow(kv, 2, 0, E) : NULL);
        vp = STEP(p, kv ? l2_narrow(kv, 2, E, E) : NULL);
    } else {
        qp = proj(p, x[0], a->in_proj_weight, 0, E, b);
        kp = proj(p, x[1], a->in_proj_weight, E, E, b);
        vp = proj(p, x[2], a->in_proj_weight, 2 * E, E, b);
    }
    /* (N*H, L, D), (N*H, S, D) */
    l2_tensor *qh = p->failed ? NULL : heads(p, qp, L, NH, D);
    l2_tensor *kh = p->failed ? NULL : heads(p, kp, S, NH, D);
    l2_tensor *vh = p->failed ? NULL : heads(p, vp, S, NH, D);
    /* the mask: attn_mask (1 or N*H, L, S) merged with the key padding mask (N*H, 1, S) */
    const l2_tensor *am = a->attn_mask, *kpm = a->key_padding_mask, *m = NULL;
    if (am)
        m = am->ndim == 2 ? STEP(p, l2_unsqueeze(am, 0)) : am;
    if (kpm) {
        l2_tensor *k4 = STEP(p, l2_reshape(kpm, 4, (const int64_t[]){N, 1, 1, S}));
        l2_tensor *ke = STEP(p, k4 ? l2_expand(k4, 4, (const int64_t[]){N, H, 1, S}) : NULL);
        l2_tensor *k3 = STEP(p, ke ? l2_reshape(ke, 3, (const int64_t[]){NH, 1, S}) : NULL);
        if (!m)
            m = k3;
        else if (m->dtype == L2_BOOL)
            m = STEP(p, k3 ? l2_logical_or(m, k3) : NULL);
        else
            m = STEP(p, k3 ? l2_masked_fill(m, k3, -INFINITY) : NULL);
    }
    if (m && m->dtype == L2_BOOL) {
        l2_tensor *z = STEP(p, l2_zeros(m->ndim, m->shape, query->dtype));
        m = STEP(p, z ? l2_masked_fill(z, m, -INFINITY) : NULL);
    } else if (m && m->dtype != query->dtype) {
        /* a float mask of the other float dtype is rounded to query's (torch's baddbmm) */
        m = STEP(p, l2_to_dtype(m, query->dtype));
    }
    /* scores (N*H, L, S) = q / sqrt(D) @ k^T (+ mask); softmax over S; @ v -> (N*H, L, D) */
    l2_tensor *qs = STEP(p, qh ? l2_div_scalar(qh, sqrt((double)D)) : NULL);
    l2_tensor *kt = STEP(p, kh ? l2_transpose(kh, 1, 2) : NULL);
    /* with a mask, one fused baddbmm as torch's _scaled_dot_product_attention (its rounding:
     * the mask is where torch's small-product loop starts accumulating) */
    l2_tensor *sc = STEP(p, !qs || !kt ? NULL : m ? l2_baddbmm(m, qs, kt, 1, 1) : l2_bmm(qs, kt));
    l2_tensor *w = STEP(p, sc ? l2_softmax(sc, 2) : NULL);
    l2_tensor *o = STEP(p, w && vh ? l2_bmm(w, vh) : NULL);
    /* (L, N*H, D) -> (L*N, E) -> out projection -> (L, N, E) */
    l2_tensor *ot = STEP(p, o ? l2_transpose(o, 0, 1) : NULL);
    l2_tensor *o2 = STEP(p, ot ? l2_reshape(ot, 2, (const int64_t[]){L * N, E}) : NULL);
    l2_tensor *lin = STEP(p, o2 ? l2_linear(o2, a->out_proj_weight, a->out_proj_bias) : NULL);
    l2_tensor *out = STEP(p, lin ? l2_view(lin, 3, (const int64_t[]){L, N, E}) : NULL);
    if (out && !batched)
        out = STEP(p, l2_squeeze_dim(out, 1));
    else if (out && bf)
        out = STEP(p, l2_transpose(out, 0, 1));
    /* the weights (N, H, L, S), or averaged over the heads (N, L, S) */
    l2_tensor *wr = NULL;
    if (out && a->need_weights && attn_weights) {
        l2_tensor *w4 = STEP(p, l2_view(w, 4, (const int64_t[]){N, H, L, S}));
        wr = w4;
        if (w4 && a->average_attn_weights) {
            int d1 = 1;
            l2_tensor *ws = STEP(p, l2_sum_dims(w4, 1, &d1, false));
            wr = STEP(p, ws ? l2_div_scalar(ws, (double)H) : NULL);
        }
        if (wr && !batched)
            wr = STEP(p, l2_squeeze_dim(wr, 0));
    }
    l2_tensor *res = NULL, *wres = NULL;
    if (!p->failed) {
        res = l2_tensor_ref(out);
        wres = wr ? l2_tensor_ref(wr) : NULL;
    }
    for (int i = 0; i < p->n; i++)
        l2_tensor_release(p->t[i]);
    l2__leave();
    if (!res)
        return NULL;
    if (attn_weights && wres)
        *attn_weights = l2__ret(wres);
    return l2__ret(res);
}

/* ---- the layer (nn.MultiheadAttention) ---------------------------------------------------- */

/* A (n) or (r, c) leaf requiring grad: uniform on +-bound, or zeros when bound is 0. */
static l2_tensor *param(int nd, const int64_t *s, double bound, l2_dtype dt)
{
    l2__enter();
    l2_tensor *t = bound > 0 ? l2_uniform(nd, s, -bound, bound, dt) : l2_zeros(nd, s, dt);
    l2__leave();
    if (t)
        l2_set_requires_grad(t, true);
    return t;
}

l2_status l2_multihead_attention_layer_init(l2_multihead_attention_layer *m, int64_t embed_dim,
                                            int64_t num_heads, bool bias, bool batch_first,
                                            l2_dtype dt)
{
    const char *op = "multihead_attention_layer_init";
    L2__CHECK_ST(m, L2_ERR_NULL, "%s: layer is NULL", op);
    memset(m, 0, sizeof *m);
    L2__CHECK_ST(embed_dim > 0 && num_heads > 0 && embed_dim % num_heads == 0, L2_ERR_ARG,
                 "%s: embed_dim %lld and num_heads %lld must be positive, num_heads dividing "
                 "embed_dim", op, (long long)embed_dim, (long long)num_heads);
    L2__CHECK_ST(l2__is_float(dt), L2_ERR_DTYPE, "%s: dtype %s is not a float dtype", op,
                 l2_dtype_name(dt));
    int64_t E = embed_dim, E3;
    L2__CHECK_ST(!l2__mul_ovf(E, 3, &E3), L2_ERR_OVERFLOW, "%s: 3 * embed_dim overflows", op);
    /* xavier_uniform: fan_in E, fan_out 3E */
    m->in_proj_weight = param(2, (const int64_t[]){E3, E}, sqrt(6.0 / ((double)E + (double)E3)),
                              dt);
    l2_status st = m->in_proj_weight ? L2_OK : l2_last_status();
    if (!st) /* Linear's default weight, then torch's _reset_parameters zeroes its bias */
        st = l2_linear_layer_init(&m->out_proj, E, E, false, dt);
    if (!st && bias) {
        m->in_proj_bias = param(1, &E3, 0, dt);
        m->out_proj.bias = m->in_proj_bias ? param(1, &E, 0, dt) : NULL;
        st = m->out_proj.bias ? L2_OK : l2_last_status();
    }
    if (st) {
        l2_multihead_attention_layer_free(m);
        return st;
    }
    m->embed_dim = E;
    m->num_heads = num_heads;
    m->batch_first = batch_first;
    return L2_OK;
}

l2_tensor *l2_multihead_attention_layer_forward(const l2_multihead_attention_layer *m,
                                                const l2_tensor *query, const l2_tensor *key,
                                                const l2_tensor *value,
                                                const l2_tensor *key_padding_mask,
                                                bool need_weights, const l2_tensor *attn_mask,
                                                bool average_attn_weights,
                                                l2_tensor **attn_weights)
{
    if (attn_weights)
        *attn_weights = NULL;
    L2__CHECK(m && m->in_proj_weight, NULL, L2_ERR_NULL,
              "multihead_attention_layer_forward: layer is NULL");
    l2_mha_args a = l2_mha_defaults();
    a.in_proj_weight = m->in_proj_weight;
    a.in_proj_bias = m->in_proj_bias;
    a.out_proj_weight = m->out_proj.weight;
    a.out_proj_bias = m->out_proj.bias;
    a.key_padding_mask = key_padding_mask;
    a.attn_mask = attn_mask;
    a.need_weights = need_weights;
    a.average_attn_weights = average_attn_weights;
    a.batch_first = m->batch_first;
    return l2_multi_head_attention(query, key, value, m->num_heads, &a, attn_weights);
}

l2_status l2_multihead_attention_layer_params(const l2_multihead_attention_layer *m,
                                              l2_params *p, const char *prefix)
{
    L2__CHECK_ST(m, L2_ERR_NULL, "multihead_attention_layer_params: layer is NULL");
    L2__CHECK_ST(p, L2_ERR_NULL, "multihead_attention_layer_params: list is NULL");
    char name[512];
    const char *dot = prefix && prefix[0] ? "." : "";
    const char *pre = prefix ? prefix : "";
    const char *sfx[4] = {"in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"};
    l2_tensor *t[4] = {m->in_proj_weight, m->in_proj_bias, m->out_proj.weight, m->out_proj.bias};
    for (int i = 0; i < 4; i++) {
        if (!t[i])
            continue;
        snprintf(name, sizeof name, "%s%s%s", pre, dot, sfx[i]);
        l2_status st = l2_params_add(p, name, t[i]);
        if (st)
            return st;
    }
    return L2_OK;
}

void l2_multihead_attention_layer_free(l2_multihead_attention_layer *m)
{
    if (!m)
        return;
    l2_tensor_release(m->in_proj_weight);
    l2_tensor_release(m->in_proj_bias);
    l2_linear_layer_free(&m->out_proj);
    m->in_proj_weight = m->in_proj_bias = NULL;
}
