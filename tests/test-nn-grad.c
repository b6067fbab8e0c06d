/* test-nn-grad.c: the nn family's gradients by finite differences on contiguous, transposed,
 * stepped-slice and broadcast inputs, its autograd bookkeeping, and results that do not depend
 * on the thread count. (Forward values and errors: test-nn.c.) */
#include <l2.h>
#include <stdint.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

static l2_tensor *mk_i64(int ndim, const int64_t *shape, const int64_t *v)
{
    return l2_from_data(v, ndim, shape, L2_INT64);
}

#define IDX(...) ((const int64_t[]){__VA_ARGS__})

/* ---- gradients ---- */

enum { V_CONTIG, V_TRANSPOSED, V_STEPPED, V_BROADCAST, V_COUNT };
static const char *const vname[V_COUNT] = {"contiguous", "transposed", "stepped slice",
                                           "broadcast"};

/* A float64 leaf for variant v such that vview() of it has shape (m, n). */
static l2_tensor *vleaf(int v, int64_t m, int64_t n, double lo, double hi)
{
    switch (v) {
    case V_TRANSPOSED: return gc_leaf(L2_SHAPE(n, m), lo, hi);
    case V_STEPPED: return gc_leaf(L2_SHAPE(m, 2 * n), lo, hi);
    case V_BROADCAST: return gc_leaf(L2_SHAPE(1, n), lo, hi);
    default: return gc_leaf(L2_SHAPE(m, n), lo, hi);
    }
}

/* The (m, n) view of a vleaf (inside the caller's scope). */
static l2_tensor *vview(l2_tensor *t, int v, int64_t m)
{
    switch (v) {
    case V_TRANSPOSED: return l2_t(t);
    case V_STEPPED: return l2_slice(t, 1, 1, INT64_MAX, 2);
    case V_BROADCAST: return l2_expand(t, L2_SHAPE(m, l2_shape(t)[1]));
    default: return t;
    }
}

typedef struct {
    int v, dim, red;
    int64_t m;
    double eps;
    const l2_tensor *aux; /* targets etc. */
    bool flag;
} gctx;

static l2_tensor *f_softmax(l2_tensor *const *in, void *vc)
{
    const gctx *c = vc;
    l2_scope_begin();
    l2_tensor *x = vview(in[0], c->v, c->m);
    l2_tensor *r = l2_keep(c->flag ? l2_log_softmax(x, c->dim) : l2_softmax(x, c->dim));
    l2_scope_end();
    return r;
}

static l2_tensor *f_ce(l2_tensor *const *in, void *vc)
{
    const gctx *c = vc;
    l2_scope_begin();
    l2_tensor *x = vview(in[0], c->v, c->m);
    l2_tensor *r = l2_keep(c->flag ? l2_nll_loss(x, c->aux, c->red, 1)
                                   : l2_cross_entropy(x, c->aux, c->red, 1, c->eps));
    l2_scope_end();
    return r;
}

static l2_tensor *f_ce_prob(l2_tensor *const *in, void *vc)
{
    const gctx *c = vc;
    l2_scope_begin();
    l2_tensor *x = vview(in[0], c->v, c->m), *t = vview(in[1], c->v, c->m);
    l2_tensor *r = l2_keep(l2_cross_entropy(x, t, c->red, -100, c->eps));
    l2_scope_end();
    return r;
}

static l2_tensor *f_ce3(l2_tensor *const *in, void *vc)
{
    const gctx *c = vc;
    return l2_cross_entropy(in[0], c->aux, c->red, 0, c->eps);
}

typedef l2_tensor *(*loss_fn)(const l2_tensor *, const l2_tensor *, l2_reduction);
static loss_fn pw_fns[4] = {l2_mse_loss, l2_l1_loss, l2_binary_cross_entropy,
                            l2_binary_cross_entropy_with_logits};
static const char *const pw_names[4] = {"mse_loss", "l1_loss", "binary_cross_entropy",
                                        "binary_cross_entropy_with_logits"};

static l2_tensor *f_pw(l2_tensor *const *in, void *vc)
{
    const gctx *c = vc;
    l2_scope_begin();
    l2_tensor *x = vview(in[0], c->v, c->m), *t = in[1];
    if (c->dim >= 2) /* the bce pair needs equal shapes: view the target the same way */
        t = vview(in[1], c->v, c->m);
    l2_tensor *r = l2_keep(pw_fns[c->dim](x, t, c->red));
    l2_scope_end();
    return r;
}

static l2_tensor *f_dropout(l2_tensor *const *in, void *vc)
{
    const gctx *c = vc;
    l2_scope_begin();
    l2_manual_seed(99); /* the same mask on every evaluation */
    l2_tensor *r = l2_keep(l2_dropout(vview(in[0], c->v, c->m), 0.4, true));
    l2_scope_end();
    return r;
}

static l2_tensor *f_layer_norm(l2_tensor *const *in, void *vc)
{
    const gctx *c = vc;
    l2_scope_begin();
    l2_tensor *x = vview(in[0], c->v, c->m);
    l2_tensor *r = l2_keep(l2_layer_norm(x, 1, l2_shape(x) + 1, c->flag ? in[1] : NULL,
                                         c->flag ? in[2] : NULL, 1e-5));
    l2_scope_end();
    return r;
}

static l2_tensor *f_batch_norm(l2_tensor *const *in, void *vc)
{
    const gctx *c = vc;
    l2_scope_begin();
    l2_tensor *x = vview(in[0], c->v, c->m); /* (m, C) */
    l2_tensor *r;
    if (c->flag) { /* training, no running statistics (they would change between calls) */
        r = l2_batch_norm(x, NULL, NULL, in[1], in[2], true, 0.1, 1e-5);
    } else {
        l2_tensor *rm = l2_full(L2_SHAPE(l2_shape(x)[1]), 0.2, L2_FLOAT64);
        l2_tensor *rv = l2_full(L2_SHAPE(l2_shape(x)[1]), 1.5, L2_FLOAT64);
        r = l2_batch_norm(x, rm, rv, in[1], in[2], false, 0.1, 1e-5);
    }
    r = l2_keep(r);
    l2_scope_end();
    return r;
}

static l2_tensor *f_batch_norm4(l2_tensor *const *in, void *vc)
{
    const gctx *c = vc;
    l2_tensor *rm = l2_full(L2_SHAPE(3), -0.3, L2_FLOAT64), *rv = l2_full(L2_SHAPE(3), 0.7,
                                                                         L2_FLOAT64);
    l2_tensor *r = l2_batch_norm(in[0], c->flag ? NULL : rm, c->flag ? NULL : rv, in[1], in[2],
                                 c->flag, 0.1, 1e-5);
    l2_tensor_release(rm);
    l2_tensor_release(rv);
    return r;
}

static void test_grads(void)
{
    l2_manual_seed(3);
    const int64_t m = 3, n = 4;
    for (int v = 0; v < V_COUNT; v++) {
        const char *vn = vname[v];
        l2_tensor *x = vleaf(v, m, n, -2, 2);
        for (int lg = 0; lg < 2; lg++)
            for (int dim = 0; dim < 2; dim++) {
                gctx c = {.v = v, .m = m, .dim = dim, .flag = lg};
                ok(gradcheck("softmax", f_softmax, 1, &x, &c), "gradcheck: %s dim %d, %s",
                   lg ? "log_softmax" : "softmax", dim, vn);
            }
        /* class targets, including one ignored (ignore_index 1) */
        l2_tensor *tg = mk_i64(L2_SHAPE(3), (const int64_t[]){3, 1, 0});
        for (int red = 0; red < 3; red++) {
            gctx c = {.v = v, .m = m, .red = red, .eps = 0.15, .aux = tg};
            ok(gradcheck("cross_entropy", f_ce, 1, &x, &c),
               "gradcheck: cross_entropy (ignore, smoothing), reduction %d, %s", red, vn);
            c.flag = true;
            ok(gradcheck("nll_loss", f_ce, 1, &x, &c), "gradcheck: nll_loss, reduction %d, %s",
               red, vn);
        }
        l2_tensor_release(tg);
        /* probability targets: gradients to input and target */
        l2_tensor *p = vleaf(v, m, n, 0, 1);
        for (int red = 0; red < 3; red++) {
            gctx c = {.v = v, .m = m, .red = red, .eps = red == 1 ? 0.2 : 0.0};
            ok(gradcheck("cross_entropy prob", f_ce_prob, 2, (l2_tensor *[]){x, p}, &c),
               "gradcheck: cross_entropy with probabilities, reduction %d, %s", red, vn);
        }
        /* pointwise losses: target (n) broadcast over rows (mse, l1) or of the same view */
        l2_tensor *tb = gc_leaf(L2_SHAPE(n), -1, 1);
        l2_tensor *pr = vleaf(v, m, n, 0.1, 0.9), *pt = vleaf(v, m, n, 0, 1);
        for (int k = 0; k < 4; k++)
            for (int red = 0; red < 3; red++) {
                gctx c = {.v = v, .m = m, .red = red, .dim = k};
                l2_tensor *args[2] = {k == 2 ? pr : x, k < 2 ? tb : pt};
                ok(gradcheck(pw_names[k], f_pw, 2, args, &c),
                   "gradcheck: %s (input and target), reduction %d, %s", pw_names[k], red, vn);
            }
        gctx c = {.v = v, .m = m};
        ok(gradcheck("dropout", f_dropout, 1, &x, &c), "gradcheck: dropout, %s", vn);
        l2_tensor *w = gc_leaf(L2_SHAPE(n), 0.5, 1.5), *b = gc_leaf(L2_SHAPE(n), -1, 1);
        for (int aff = 0; aff < 2; aff++) {
            c.flag = aff;
            ok(gradcheck("layer_norm", f_layer_norm, aff ? 3 : 1, (l2_tensor *[]){x, w, b}, &c),
               "gradcheck: layer_norm %s, %s", aff ? "(x, weight, bias)" : "(x)", vn);
        }
        if (v != V_BROADCAST) /* a broadcast batch has zero variance: not differentiable */
            for (int tr = 0; tr < 2; tr++) {
                c.flag = tr;
                ok(gradcheck("batch_norm", f_batch_norm, 3, (l2_tensor *[]){x, w, b}, &c),
                   "gradcheck: batch_norm %s (x, weight, bias), %s", tr ? "training" : "eval",
                   vn);
            }
        l2_tensor *tl[] = {x, p, tb, pr, pt, w, b};
        for (size_t i = 0; i < sizeof tl / sizeof tl[0]; i++)
            l2_tensor_release(tl[i]);
    }
    /* softmax along dim 0 of (2, 70): two column blocks in the backward */
    l2_tensor *xw = gc_leaf(L2_SHAPE(2, 70), -3, 3);
    for (int lg = 0; lg < 2; lg++) {
        gctx c = {.v = V_CONTIG, .m = 2, .dim = 0, .flag = lg};
        ok(gradcheck("softmax cols", f_softmax, 1, &xw, &c), "gradcheck: %s dim 0 of (2,70)",
           lg ? "log_softmax" : "softmax");
    }
    l2_tensor_release(xw);
    /* (N, C, d) cross entropy and (N, C, H, W) batch norm */
    l2_tensor *x3 = gc_leaf(L2_SHAPE(2, 3, 2), -2, 2);
    l2_tensor *t3 = mk_i64(L2_SHAPE(2, 2), (const int64_t[]){2, 0, 1, 1});
    for (int red = 0; red < 3; red++) {
        gctx c = {.red = red, .eps = 0.1, .aux = t3};
        ok(gradcheck("cross_entropy 3d", f_ce3, 1, &x3, &c),
           "gradcheck: cross_entropy (N,C,d), reduction %d", red);
    }
    l2_tensor *x4 = gc_leaf(L2_SHAPE(2, 3, 2, 2), -2, 2);
    l2_tensor *w = gc_leaf(L2_SHAPE(3), 0.5, 1.5), *b = gc_leaf(L2_SHAPE(3), -1, 1);
    for (int tr = 0; tr < 2; tr++) {
        gctx c = {.flag = tr};
        ok(gradcheck("batch_norm 4d", f_batch_norm4, 3, (l2_tensor *[]){x4, w, b}, &c),
           "gradcheck: batch_norm (N,C,H,W) %s", tr ? "training" : "eval");
    }
    l2_tensor *tl[] = {x3, t3, x4, w, b};
    for (size_t i = 0; i < sizeof tl / sizeof tl[0]; i++)
        l2_tensor_release(tl[i]);
}

/* Autograd bookkeeping: op names, the saved output guarded against in-place writes. */
static void test_autograd(void)
{
    l2_tensor *x = gc_leaf(L2_SHAPE(2, 3), -1, 1);
    l2_tensor *y = l2_softmax(x, 1);
    is_str(l2_grad_fn_name(y), "softmax", "softmax grad_fn name");
    l2_set(y, IDX(0, 0), 5);
    l2_tensor *g = l2_ones_like(y);
    ok(l2_backward(y, g, false) == L2_ERR_AUTOGRAD, "backward after writing into softmax's "
       "saved output fails: %s", l2_last_error());
    l2_tensor_release(y);
    l2_tensor *t = mk_i64(L2_SHAPE(2), (const int64_t[]){0, 2});
    y = l2_cross_entropy(x, t, L2_REDUCTION_MEAN, -100, 0);
    is_str(l2_grad_fn_name(y), "cross_entropy", "cross_entropy grad_fn name");
    l2_tensor_release(y);
    l2_no_grad_begin();
    y = l2_layer_norm(x, 1, IDX(3), NULL, NULL, 1e-5);
    ok(y && !l2_requires_grad(y), "no graph under no_grad");
    l2_no_grad_end();
    l2_tensor_release(y);
    l2_tensor_release(t);
    l2_tensor_release(g);
    l2_tensor_release(x);
}

/* Large inputs run the OpenMP paths: results must not depend on the thread count. */
static void test_threads(void)
{
    l2_manual_seed(11);
    l2_tensor *x = l2_randn(L2_SHAPE(400, 130), L2_FLOAT32);
    l2_tensor *t = l2_randint(0, 130, L2_SHAPE(400));
    l2_tensor *w = l2_rand(L2_SHAPE(130), L2_FLOAT32);
    int nt = l2_get_num_threads(); /* OpenMP's default (OMP_NUM_THREADS) */
    l2_tensor *r[2][4];
    for (int k = 0; k < 2; k++) {
        l2_set_num_threads(k ? nt : 1);
        r[k][0] = l2_softmax(x, 1);
        r[k][1] = l2_log_softmax(x, 0);
        r[k][2] = l2_cross_entropy(x, t, L2_REDUCTION_MEAN, -100, 0.1);
        r[k][3] = l2_layer_norm(x, 1, IDX(130), w, NULL, 1e-5);
    }
    l2_set_num_threads(nt);
    const char *names[4] = {"softmax", "log_softmax dim 0", "cross_entropy", "layer_norm"};
    for (int i = 0; i < 4; i++) {
        int64_t idx[2] = {397, 129};
        double a = i == 2 ? item(r[0][i]) : at(r[0][i], idx);
        double b = i == 2 ? item(r[1][i]) : at(r[1][i], idx);
        ok(a == b && !isnan(a), "%s: one thread and %d agree (%g, %g)%s", names[i], nt, a, b,
           nt > 1 ? "" : " # SKIP one thread only");
        l2_tensor_release(r[0][i]);
        l2_tensor_release(r[1][i]);
    }
    /* the parallel softmax row still sums to 1 */
    l2_tensor *s = l2_softmax(x, 1);
    double sum = 0;
    for (int64_t j = 0; j < 130; j++)
        sum += at(s, IDX(250, j));
    is_near(sum, 1, 1e-5, "large softmax row sums to 1");
    l2_tensor_release(s);
    l2_tensor_release(w);
    l2_tensor_release(t);
    l2_tensor_release(x);
}

int main(void)
{
    test_grads();
    test_autograd();
    test_threads();
    return tap_done();
}
