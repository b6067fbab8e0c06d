/* test-attention.c: multi-head attention (libl2/nn/attention.c): values and weights against a
 * plain scalar reference in float64 (self and cross attention, both mask kinds, batch_first,
 * unbatched, averaged and per-head weights), a fully masked row (NaN, as torch 1.13),
 * finite-difference gradients of every input and weight, the error paths (nothing returned,
 * *attn_weights NULL), the layer (torch's initialisation bounds, parameter names, loading a
 * state dict through l2_params_load) and an out-of-memory sweep. */
#include <l2.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

/* ---- scalar reference: x[l][n][e] contiguous (L, N, E) doubles ------------------------------ */

/* element (i, j, k) of a 3-d tensor of shape (a, b, c) read through l2_get */
static double g3(const l2_tensor *t, int64_t i, int64_t j, int64_t k)
{
    return at(t, (const int64_t[]){i, j, k});
}
static double g2(const l2_tensor *t, int64_t i, int64_t j) { return at(t, (const int64_t[]){i, j}); }

typedef struct {
    int64_t L, S, N, E, H;
    const l2_tensor *q, *k, *v; /* (L|S, N, E) */
    const l2_tensor *w_in, *b_in, *w_out, *b_out;
    const l2_tensor *kpm;  /* (N, S) bool or float, or NULL */
    const l2_tensor *am;   /* (L, S) bool or float, or NULL */
} ref_in;

/* out (L, N, E) and weights (N, H, L, S) as flat arrays */
static void ref_mha(const ref_in *r, double *out, double *wts)
{
    int64_t L = r->L, S = r->S, N = r->N, E = r->E, H = r->H, D = E / H;
    double *qp = calloc((size_t)(L * N * E), sizeof(double));
    double *kp = calloc((size_t)(S * N * E), sizeof(double));
    double *vp = calloc((size_t)(S * N * E), sizeof(double));
    double *att = calloc((size_t)(L * N * E), sizeof(double));
    const l2_tensor *src[3] = {r->q, r->k, r->v};
    double *dst[3] = {qp, kp, vp};
    for (int p = 0; p < 3; p++)
        for (int64_t t = 0; t < (p ? S : L); t++)
            for (int64_t n = 0; n < N; n++)
                for (int64_t o = 0; o < E; o++) {
                    double s = r->b_in ? at(r->b_in, (const int64_t[]){p * E + o}) : 0;
                    for (int64_t i = 0; i < E; i++)
                        s += g2(r->w_in, p * E + o, i) * g3(src[p], t, n, i);
                    dst[p][(t * N + n) * E + o] = s;
                }
    double *sc = calloc((size_t)(S > 0 ? S : 1), sizeof(double));
    for (int64_t n = 0; n < N; n++)
        for (int64_t h = 0; h < H; h++)
            for (int64_t l = 0; l < L; l++) {
                double mx = -INFINITY, sum = 0;
                for (int64_t s = 0; s < S; s++) {
                    double d = 0;
                    for (int64_t j = 0; j < D; j++)
                        d += qp[(l * N + n) * E + h * D + j] / sqrt((double)D) *
                             kp[(s * N + n) * E + h * D + j];
                    if (r->am) {
                        double m = g2(r->am, l, s);
                        d = l2_dtype_of(r->am) == L2_BOOL ? (m != 0 ? -INFINITY : d) : d + m;
                    }
                    if (r->kpm) { /* or-ed (as != 0) into a bool attn_mask, as torch */
                        double m = g2(r->kpm, n, s);
                        bool as_bool = l2_dtype_of(r->kpm) == L2_BOOL ||
                                       (r->am && l2_dtype_of(r->am) == L2_BOOL);
                        d = as_bool ? (m != 0 ? -INFINITY : d) : d + m;
                    }
                    sc[s] = d;
                    mx = d > mx ? d : mx;
                }
                for (int64_t s = 0; s < S; s++)
                    sum += sc[s] = exp(sc[s] - mx);
                for (int64_t s = 0; s < S; s++) {
                    double w = sc[s] / sum;
                    wts[((n * H + h) * L + l) * S + s] = w;
                    for (int64_t j = 0; j < D; j++)
                        att[(l * N + n) * E + h * D + j] += w * vp[(s * N + n) * E + h * D + j];
                }
            }
    for (int64_t t = 0; t < L * N; t++)
        for (int64_t o = 0; o < E; o++) {
            double s = r->b_out ? at(r->b_out, (const int64_t[]){o}) : 0;
            for (int64_t i = 0; i < E; i++)
                s += g2(r->w_out, o, i) * att[t * E + i];
            out[t * E + o] = s;
        }
    free(qp), free(kp), free(vp), free(att), free(sc);
}

/* max |t - ref| over t's elements in row-major order (NaN anywhere: NaN unless both NaN) */
static double maxdiff_ref(const l2_tensor *t, const double *ref)
{
    double worst = 0;
    for (int64_t i = 0; i < l2_numel(t); i++) {
        double a = flat(t, i), b = ref[i];
        if (isnan(a) && isnan(b))
            continue;
        double d = fabs(a - b);
        if (!(d <= worst))
            worst = d;
    }
    return worst;
}

static l2_tensor *rnd(int nd, const int64_t *s, l2_dtype dt)
{
    return l2_uniform(nd, s, -1, 1, dt);
}

/* ---- values against the reference ----------------------------------------------------------- */

static void test_values(bool self, int kpm_kind, int am_kind, bool bf, l2_dtype dt)
{
    int64_t L = 3, S = self ? 3 : 4, N = 2, E = 6, H = 2;
    l2_tensor *q = rnd(3, (const int64_t[]){L, N, E}, dt);
    l2_tensor *k = self ? l2_tensor_ref(q) : rnd(3, (const int64_t[]){S, N, E}, dt);
    l2_tensor *v = self ? l2_tensor_ref(q) : rnd(3, (const int64_t[]){S, N, E}, dt);
    l2_tensor *w_in = rnd(2, (const int64_t[]){3 * E, E}, dt);
    l2_tensor *b_in = rnd(1, (const int64_t[]){3 * E}, dt);
    l2_tensor *w_out = rnd(2, (const int64_t[]){E, E}, dt);
    l2_tensor *b_out = rnd(1, (const int64_t[]){E}, dt);
    l2_tensor *kpm = NULL, *am = NULL;
    if (kpm_kind == 1) { /* bool: the last key of batch 1 ignored */
        kpm = l2_zeros(2, (const int64_t[]){N, S}, L2_BOOL);
        l2_set(kpm, (const int64_t[]){1, S - 1}, 1);
    } else if (kpm_kind == 2) {
        kpm = rnd(2, (const int64_t[]){N, S}, dt);
    }
    if (am_kind == 1) { /* bool: causal-like */
        am = l2_zeros(2, (const int64_t[]){L, S}, L2_BOOL);
        for (int64_t l = 0; l < L; l++)
            for (int64_t s = l + 1; s < S; s++)
                l2_set(am, (const int64_t[]){l, s}, 1);
    } else if (am_kind == 2) {
        am = rnd(2, (const int64_t[]){L, S}, dt);
    }
    double *ro = calloc((size_t)(L * N * E), sizeof(double));
    double *rw = calloc((size_t)(N * H * L * S), sizeof(double));
    ref_in r = {L, S, N, E, H, q, k, v, w_in, b_in, w_out, b_out, kpm, am};
    ref_mha(&r, ro, rw);
    l2_mha_args a = l2_mha_defaults();
    a.in_proj_weight = w_in, a.in_proj_bias = b_in, a.out_proj_weight = w_out;
    a.out_proj_bias = b_out, a.key_padding_mask = kpm, a.attn_mask = am;
    double tol = dt == L2_FLOAT64 ? 1e-12 : 2e-5;
    for (int avg = 0; avg < 2; avg++) {
        a.average_attn_weights = avg;
        a.batch_first = bf;
        l2_tensor *qi = q, *ki = k, *vi = v, *tq = NULL, *tk = NULL, *tv = NULL;
        if (bf) { /* (N, L, E) views; identities kept for self-attention */
            qi = tq = l2_transpose(q, 0, 1);
            ki = self ? qi : (tk = l2_transpose(k, 0, 1));
            vi = self ? qi : (tv = l2_transpose(v, 0, 1));
        }
        l2_tensor *w = NULL;
        l2_tensor *o = l2_multi_head_attention(qi, ki, vi, H, &a, &w);
        l2_tensor *ob = o && bf ? l2_transpose(o, 0, 1) : l2_tensor_ref(o);
        ok(o && same_shape(o, 3, bf ? (const int64_t[]){N, L, E} : (const int64_t[]){L, N, E}),
           "mha self %d kpm %d am %d bf %d %s: output shape", self, kpm_kind, am_kind, bf,
           l2_dtype_name(dt));
        double d = ob ? maxdiff_ref(ob, ro) : NAN;
        ok(d <= tol, "mha self %d kpm %d am %d bf %d avg %d %s: output (max diff %g)", self,
           kpm_kind, am_kind, bf, avg, l2_dtype_name(dt), d);
        double *rwa = calloc((size_t)(N * L * S), sizeof(double));
        if (avg)
            for (int64_t n = 0; n < N; n++)
                for (int64_t h = 0; h < H; h++)
                    for (int64_t i = 0; i < L * S; i++)
                        rwa[n * L * S + i] += rw[(n * H + h) * L * S + i] / (double)H;
        int good = avg ? same_shape(w, 3, (const int64_t[]){N, L, S})
                       : same_shape(w, 4, (const int64_t[]){N, H, L, S});
        d = good ? maxdiff_ref(w, avg ? rwa : rw) : NAN;
        ok(good && d <= tol, "mha self %d kpm %d am %d avg %d %s: weights (max diff %g)", self,
           kpm_kind, am_kind, avg, l2_dtype_name(dt), d);
        free(rwa);
        l2_tensor_release(o), l2_tensor_release(ob), l2_tensor_release(w);
        l2_tensor_release(tq), l2_tensor_release(tk), l2_tensor_release(tv);
    }
    /* need_weights false: no weights, the same output */
    a.need_weights = false;
    a.batch_first = false;
    l2_tensor *w = q; /* must be overwritten with NULL */
    l2_tensor *o = l2_multi_head_attention(q, k, v, H, &a, &w);
    ok(o && w == NULL && maxdiff_ref(o, ro) <= tol, "mha need_weights false: output, no weights");
    l2_tensor_release(o);
    free(ro), free(rw);
    l2_tensor *all[] = {q, k, v, w_in, b_in, w_out, b_out, kpm, am};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        l2_tensor_release(all[i]);
}

/* Unbatched (L, E) equals batched with N = 1; a fully masked row is NaN (torch 1.13). */
static void test_unbatched_nan(void)
{
    int64_t L = 2, E = 4, H = 2;
    l2_tensor *x = rnd(2, (const int64_t[]){L, E}, L2_FLOAT64);
    l2_tensor *w_in = rnd(2, (const int64_t[]){3 * E, E}, L2_FLOAT64);
    l2_tensor *w_out = rnd(2, (const int64_t[]){E, E}, L2_FLOAT64);
    l2_mha_args a = l2_mha_defaults();
    a.in_proj_weight = w_in, a.out_proj_weight = w_out;
    l2_tensor *w = NULL, *w3 = NULL;
    l2_tensor *o = l2_multi_head_attention(x, x, x, H, &a, &w);
    l2_tensor *x3 = l2_unsqueeze(x, 1);
    l2_tensor *o3 = l2_multi_head_attention(x3, x3, x3, H, &a, &w3);
    l2_tensor *o3s = l2_squeeze_dim(o3, 1), *w3s = l2_squeeze_dim(w3, 0);
    ok(same_shape(o, 2, (const int64_t[]){L, E}) && same_shape(w, 2, (const int64_t[]){L, L}),
       "mha unbatched: shapes (L, E) and (L, S)");
    int same = o && o3s && w && w3s && l2_numel(o) == l2_numel(o3s) &&
               l2_numel(w) == l2_numel(w3s);
    for (int64_t i = 0; same && i < l2_numel(o); i++)
        same = flat(o, i) == flat(o3s, i);
    for (int64_t i = 0; same && i < l2_numel(w); i++)
        same = flat(w, i) == flat(w3s, i);
    ok(same, "mha unbatched equals batched N=1");
    /* key padding mask hiding every key: NaN output and weights */
    l2_tensor *kpm = l2_ones(1, (const int64_t[]){L}, L2_BOOL);
    a.key_padding_mask = kpm;
    l2_tensor *wn = NULL;
    l2_tensor *on = l2_multi_head_attention(x, x, x, H, &a, &wn);
    ok(on && wn && isnan(flat(on, 0)) && isnan(flat(wn, 0)), "mha fully masked row: NaN");
    l2_tensor *all[] = {x, w_in, w_out, w, w3, o, x3, o3, o3s, w3s, kpm, wn, on};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        l2_tensor_release(all[i]);
}

/* ---- gradients by finite differences ------------------------------------------------------- */

typedef struct {
    int mode; /* 0 self, 1 cross, 2 separate projections (kdim 3, vdim 5) */
    bool bf, avg_w;
    const l2_tensor *kpm, *am;
} gctx;

/* in: q, k, v, w_in (or wq, wk, wv), b_in, w_out, b_out; the output plus the weights scaled
 * (so both reach the upstream gradient) */
static l2_tensor *f_mha(l2_tensor *const *in, void *vctx)
{
    const gctx *c = vctx;
    l2_mha_args a = l2_mha_defaults();
    int i = 3;
    if (c->mode == 2) {
        a.use_separate_proj_weight = true;
        a.q_proj_weight = in[i++], a.k_proj_weight = in[i++], a.v_proj_weight = in[i++];
    } else {
        a.in_proj_weight = in[i++];
    }
    a.in_proj_bias = in[i++], a.out_proj_weight = in[i++], a.out_proj_bias = in[i++];
    a.key_padding_mask = c->kpm, a.attn_mask = c->am, a.batch_first = c->bf;
    a.average_attn_weights = c->avg_w;
    l2_tensor *k = c->mode == 0 ? in[0] : in[1], *v = c->mode == 0 ? in[0] : in[2];
    l2_tensor *w = NULL;
    l2_tensor *o = l2_multi_head_attention(in[0], k, v, 2, &a, &w);
    if (!o || !w) {
        l2_tensor_release(o);
        l2_tensor_release(w);
        return NULL;
    }
    l2_tensor *ws = l2_sum(w);
    l2_tensor *os = ws ? l2_sum_dims(o, 1, (const int[]){-1}, false) : NULL;
    l2_tensor *r = os ? l2_add(os, ws) : NULL; /* (L, N) or (N, L) */
    l2_tensor_release(o), l2_tensor_release(w), l2_tensor_release(ws), l2_tensor_release(os);
    return r;
}

static void test_grads(void)
{
    int64_t L = 3, S = 4, N = 2, E = 4;
    for (int mode = 0; mode < 3; mode++)
        for (int variant = 0; variant < 2; variant++) {
            bool bf = variant == 1;
            int64_t Sx = mode == 0 ? L : S, kd = mode == 2 ? 3 : E, vd = mode == 2 ? 5 : E;
            l2_tensor *in[10];
            int n = 0;
            in[n++] = gc_leaf(3, bf ? (const int64_t[]){N, L, E} : (const int64_t[]){L, N, E},
                              -1, 1);
            in[n++] = gc_leaf(3, bf ? (const int64_t[]){N, Sx, kd} : (const int64_t[]){Sx, N, kd},
                              -1, 1);
            in[n++] = gc_leaf(3, bf ? (const int64_t[]){N, Sx, vd} : (const int64_t[]){Sx, N, vd},
                              -1, 1);
            if (mode == 2) {
                in[n++] = gc_leaf(2, (const int64_t[]){E, E}, -1, 1);
                in[n++] = gc_leaf(2, (const int64_t[]){E, kd}, -1, 1);
                in[n++] = gc_leaf(2, (const int64_t[]){E, vd}, -1, 1);
            } else {
                in[n++] = gc_leaf(2, (const int64_t[]){3 * E, E}, -1, 1);
            }
            in[n++] = gc_leaf(1, (const int64_t[]){3 * E}, -1, 1);
            in[n++] = gc_leaf(2, (const int64_t[]){E, E}, -1, 1);
            in[n++] = gc_leaf(1, (const int64_t[]){E}, -1, 1);
            /* variant 1: a bool key padding mask and a float attn_mask (differentiable) */
            l2_tensor *kpm = NULL, *am = NULL;
            if (variant) {
                kpm = l2_zeros(2, (const int64_t[]){N, Sx}, L2_BOOL);
                l2_set(kpm, (const int64_t[]){0, 1}, 1);
                am = gc_leaf(2, (const int64_t[]){L, Sx}, -1, 1);
            }
            gctx c = {mode, bf, variant == 0, kpm, am};
            if (am)
                in[n++] = am; /* the float mask's gradient too (f_mha reads it from c) */
            ok(gradcheck("mha", f_mha, n, in, &c), "mha gradcheck mode %d variant %d", mode,
               variant);
            for (int i = 0; i < n; i++)
                l2_tensor_release(in[i]);
            l2_tensor_release(kpm);
        }
}

/* ---- errors ---------------------------------------------------------------------------------- */

static void test_errors(void)
{
    int64_t L = 2, N = 2, E = 4;
    l2_tensor *q = rnd(3, (const int64_t[]){L, N, E}, L2_FLOAT32);
    l2_tensor *q64 = rnd(3, (const int64_t[]){L, N, E}, L2_FLOAT64);
    l2_tensor *q4 = rnd(4, (const int64_t[]){1, L, N, E}, L2_FLOAT32);
    l2_tensor *k5 = rnd(3, (const int64_t[]){L, N, E + 1}, L2_FLOAT32);
    l2_tensor *w_in = rnd(2, (const int64_t[]){3 * E, E}, L2_FLOAT32);
    l2_tensor *w_bad = rnd(2, (const int64_t[]){3 * E, E + 1}, L2_FLOAT32);
    l2_tensor *w_out = rnd(2, (const int64_t[]){E, E}, L2_FLOAT32);
    l2_tensor *fm = rnd(2, (const int64_t[]){N, L}, L2_FLOAT32);
    l2_tensor *fa = rnd(2, (const int64_t[]){L, L}, L2_FLOAT32);
    l2_tensor *am_bad = l2_zeros(2, (const int64_t[]){L + 1, L}, L2_BOOL);
    l2_tensor *am_int = l2_zeros(2, (const int64_t[]){L, L}, L2_INT64);
    l2_tensor *kpm_bad = l2_zeros(2, (const int64_t[]){N, L + 1}, L2_BOOL);
    l2_tensor *bk = rnd(3, (const int64_t[]){1, 1, E}, L2_FLOAT32);
    l2_mha_args a = l2_mha_defaults();
    a.in_proj_weight = w_in, a.out_proj_weight = w_out;
    l2_tensor *w = q;
    l2_tensor *o = l2_multi_head_attention(q, q, q, 2, &a, &w);
    ok(o && w, "mha errors: the valid call works");
    l2_tensor_release(o), l2_tensor_release(w);
#define CALL(qq, kk, vv, h, args) (w = q, l2_multi_head_attention(qq, kk, vv, h, args, &w))
#define ERR(call, st, msg, name)                                                                 \
    do {                                                                                         \
        l2_tensor *r_ = (call);                                                                  \
        is_err(r_, st, msg, name);                                                               \
        ok(w == NULL, "%s: attn_weights set to NULL", name);                                     \
        l2_tensor_release(r_);                                                                   \
    } while (0)
    ERR(CALL(NULL, q, q, 2, &a), L2_ERR_NULL, "query", "mha NULL query");
    ERR(CALL(q, q, q, 2, NULL), L2_ERR_NULL, "args", "mha NULL args");
    ERR(CALL(q4, q4, q4, 2, &a), L2_ERR_SHAPE, "4-D query", "mha 4-d query");
    ERR(CALL(q, k5, k5, 2, &a), L2_ERR_SHAPE, "does not fit", "mha key of another embed dim");
    ERR(CALL(q, q, k5, 2, &a), L2_ERR_SHAPE, "does not match value", "mha key vs value shape");
    ERR(CALL(q, q, q, 3, &a), L2_ERR_ARG, "not divisible", "mha heads not dividing E");
    ERR(CALL(q, q, q, 0, &a), L2_ERR_ARG, "positive", "mha 0 heads");
    ERR(CALL(q64, q64, q64, 2, &a), L2_ERR_DTYPE, "in_proj_weight has dtype", "mha mixed dtypes");
    l2_mha_args b = a;
    b.in_proj_weight = NULL;
    ERR(CALL(q, q, q, 2, &b), L2_ERR_NULL, "in_proj_weight", "mha missing in_proj_weight");
    b = a, b.in_proj_weight = w_bad;
    ERR(CALL(q, q, q, 2, &b), L2_ERR_SHAPE, "in_proj_weight has shape", "mha bad in_proj shape");
    b = a, b.use_separate_proj_weight = true;
    ERR(CALL(q, q, q, 2, &b), L2_ERR_NULL, "q_proj_weight", "mha separate without weights");
    b = a, b.attn_mask = am_bad;
    ERR(CALL(q, q, q, 2, &b), L2_ERR_SHAPE, "2D attn_mask", "mha attn_mask shape");
    b = a, b.attn_mask = am_int;
    ERR(CALL(q, q, q, 2, &b), L2_ERR_DTYPE, "attn_mask", "mha int64 attn_mask");
    b = a, b.key_padding_mask = kpm_bad;
    ERR(CALL(q, q, q, 2, &b), L2_ERR_SHAPE, "key_padding_mask shape", "mha kpm shape");
    b = a, b.key_padding_mask = fm, b.attn_mask = fa;
    ERR(CALL(q, q, q, 2, &b), L2_ERR_DTYPE, "masked_fill", "mha float kpm with float attn_mask");
    b = a, b.dropout_p = 0.1;
    ERR(CALL(q, q, q, 2, &b), L2_ERR_ARG, "dropout", "mha dropout in training");
    b.training = false;
    o = CALL(q, q, q, 2, &b);
    ok(o != NULL, "mha dropout_p ignored when not training");
    l2_tensor_release(o), l2_tensor_release(w);
    b = a, b.bias_k = bk, b.bias_v = bk;
    ERR(CALL(q, q, q, 2, &b), L2_ERR_ARG, "bias_k", "mha bias_k refused");
    b = a, b.add_zero_attn = true;
    ERR(CALL(q, q, q, 2, &b), L2_ERR_ARG, "add_zero_attn", "mha add_zero_attn refused");
#undef CALL
#undef ERR
    l2_tensor *all[] = {q, q64, q4, k5, w_in, w_bad, w_out, fm, fa, am_bad, am_int, kpm_bad, bk};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        l2_tensor_release(all[i]);
}

/* ---- out of memory ------------------------------------------------------------------------ */

static void test_oom(void)
{
    int64_t L = 3, N = 2, E = 4;
    l2_tensor *in[7] = {
        gc_leaf(3, (const int64_t[]){L, N, E}, -1, 1), gc_leaf(3, (const int64_t[]){L, N, E}, -1, 1),
        gc_leaf(3, (const int64_t[]){L, N, E}, -1, 1), gc_leaf(2, (const int64_t[]){3 * E, E}, -1, 1),
        gc_leaf(1, (const int64_t[]){3 * E}, -1, 1), gc_leaf(2, (const int64_t[]){E, E}, -1, 1),
        gc_leaf(1, (const int64_t[]){E}, -1, 1)};
    l2_tensor *kpm = l2_zeros(2, (const int64_t[]){N, L}, L2_BOOL);
    gctx c = {1, false, true, kpm, NULL};
    oom_check("mha", f_mha, 7, in, &c);
    for (int i = 0; i < 7; i++)
        l2_tensor_release(in[i]);
    l2_tensor_release(kpm);
}

/* ---- the layer ------------------------------------------------------------------------------ */

static void test_layer(void)
{
    l2_multihead_attention_layer m;
    int64_t E = 8, H = 2;
    ok(l2_multihead_attention_layer_init(&m, E, H, true, false, L2_FLOAT64) == L2_OK,
       "mha layer init");
    double bx = sqrt(6.0 / (double)(E + 3 * E)), bl = 1.0 / sqrt((double)E);
    double mx = 0, ml = 0, mb = 0;
    for (int64_t i = 0; i < 3 * E * E; i++)
        mx = fmax(mx, fabs(flat(m.in_proj_weight, i)));
    for (int64_t i = 0; i < E * E; i++)
        ml = fmax(ml, fabs(flat(m.out_proj.weight, i)));
    for (int64_t i = 0; i < 3 * E; i++)
        mb = fmax(mb, fabs(flat(m.in_proj_bias, i)));
    for (int64_t i = 0; i < E; i++)
        mb = fmax(mb, fabs(flat(m.out_proj.bias, i)));
    ok(mx <= bx && mx > 0.5 * bx, "mha layer in_proj_weight xavier bound %g (max %g)", bx, mx);
    ok(ml <= bl && ml > 0.5 * bl, "mha layer out_proj.weight bound %g (max %g)", bl, ml);
    ok(mb == 0, "mha layer biases zero");
    ok(l2_requires_grad(m.in_proj_weight) && l2_requires_grad(m.out_proj.bias),
       "mha layer parameters require grad");
    l2_params *p = l2_params_new();
    ok(l2_multihead_attention_layer_params(&m, p, "enc.attn") == L2_OK &&
           l2_params_count(p) == 4 &&
           !strcmp(l2_params_names(p)[0], "enc.attn.in_proj_weight") &&
           !strcmp(l2_params_names(p)[1], "enc.attn.in_proj_bias") &&
           !strcmp(l2_params_names(p)[2], "enc.attn.out_proj.weight") &&
           !strcmp(l2_params_names(p)[3], "enc.attn.out_proj.bias"),
       "mha layer params: torch's names");
    l2_tensor *x = rnd(3, (const int64_t[]){4, 3, E}, L2_FLOAT64), *w = NULL;
    l2_tensor *o = l2_multihead_attention_layer_forward(&m, x, x, x, NULL, true, NULL, false, &w);
    ok(same_shape(o, 3, (const int64_t[]){4, 3, E}) &&
           same_shape(w, 4, (const int64_t[]){3, H, 4, 4}), "mha layer forward shapes");
    l2_tensor_release(o), l2_tensor_release(w), l2_tensor_release(x);
    l2_params_free(p);
    l2_multihead_attention_layer_free(&m);
    l2_multihead_attention_layer_free(&m); /* twice: nothing */
    ok(l2_multihead_attention_layer_init(&m, E, H, false, true, L2_FLOAT32) == L2_OK &&
           !m.in_proj_bias && !m.out_proj.bias && m.batch_first,
       "mha layer without bias");
    l2_multihead_attention_layer_free(&m);
    ok(l2_multihead_attention_layer_init(&m, 6, 4, true, false, L2_FLOAT32) == L2_ERR_ARG,
       "mha layer: heads not dividing embed_dim");
    ok(l2_multihead_attention_layer_init(&m, 8, 2, true, false, L2_INT64) == L2_ERR_DTYPE,
       "mha layer: int64 dtype");
    ok(l2_multihead_attention_layer_init(NULL, 8, 2, true, false, L2_FLOAT32) == L2_ERR_NULL,
       "mha layer: NULL");
    ok(l2_multihead_attention_layer_forward(NULL, NULL, NULL, NULL, NULL, true, NULL, true,
                                            NULL) == NULL && l2_last_status() == L2_ERR_NULL,
       "mha layer forward: NULL layer");
}

int main(void)
{
    l2_manual_seed(15);
    for (int self = 0; self < 2; self++)
        for (int km = 0; km < 3; km++)
            for (int am = 0; am < 3; am++)
                if (km != 2 || am != 2) /* refused: tested in test_errors */
                    test_values(self, km, am, (km + am) % 2 == 1, L2_FLOAT64);
    test_values(false, 1, 2, true, L2_FLOAT32);
    test_values(true, 2, 1, false, L2_FLOAT32);
    test_unbatched_nan();
    test_grads();
    test_errors();
    test_oom();
    test_layer();
    return tap_done();
}
