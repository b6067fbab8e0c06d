/* test-cg-nn.c: second derivatives (create_graph, issue 15) of the nn ops (softmax, log_softmax,
 * dropout, cross_entropy, nll_loss, mse_loss, l1_loss, binary_cross_entropy(_with_logits), the
 * normalisations), checked by gradgradcheck (tests/gradcheck.h: float64 central differences of
 * libl2's own first derivative, for every input and the upstream gradient); and a whole model's
 * gradient penalty (loss + sum of squared input gradients through linear, a nonlinearity and
 * cross_entropy) against central differences of that penalised loss. */
#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

#include <l2.h>
#include <string.h>

enum {
    SOFTMAX, LOG_SOFTMAX, DROPOUT, CE, CE_PROB, NLL, MSE, L1, BCE, BCE_LOGITS, LN, BN, NORMAL,
    BERNOULLI, GN,
};

typedef struct {
    int op;
    int dim;          /* softmax dim */
    l2_reduction red;
    int64_t ignore;   /* cross_entropy / nll_loss */
    double eps;       /* label smoothing; dropout p; normalisation eps */
    int nparams;      /* layer_norm / batch_norm: 0 none, 1 weight, 2 weight and bias */
    int nnorm;        /* layer_norm: normalised dims; batch_norm: 1 training, 0 eval;
                       * group_norm: groups */
    l2_tensor *target; /* a constant target (class indices), or NULL: in[1] is the target */
} nn_ctx;

static l2_tensor *nn_op(l2_tensor *const *in, void *vc)
{
    const nn_ctx *c = vc;
    l2_tensor *t = c->target ? c->target : in[1];
    switch (c->op) {
    case SOFTMAX: return l2_softmax(in[0], c->dim);
    case LOG_SOFTMAX: return l2_log_softmax(in[0], c->dim);
    case DROPOUT: {
        l2_manual_seed(7); /* the same mask at every evaluation */
        l2_tensor *d = l2_dropout(in[0], c->eps, true), *r = d ? l2_mul(d, in[0]) : NULL;
        l2_tensor_release(d);
        return r;
    }
    case CE:
    case CE_PROB: return l2_cross_entropy(in[0], t, c->red, c->ignore, c->eps);
    case NLL: return l2_nll_loss(in[0], t, c->red, c->ignore);
    case MSE: return l2_mse_loss(in[0], t, c->red);
    case L1: return l2_l1_loss(in[0], t, c->red);
    case BCE: return l2_binary_cross_entropy(in[0], t, c->red);
    case BCE_LOGITS: return l2_binary_cross_entropy_with_logits(in[0], t, c->red);
    case LN: {
        int nd = l2_ndim(in[0]);
        const int64_t *sh = l2_shape(in[0]) + nd - c->nnorm;
        return l2_layer_norm(in[0], c->nnorm, sh, c->nparams > 0 ? in[1] : NULL,
                             c->nparams > 1 ? in[2] : NULL, c->eps);
    }
    case BN: {
        int64_t C = l2_shape(in[0])[1];
        l2_tensor *rm = l2_full(1, &C, 0.25, L2_FLOAT64), *rv = l2_full(1, &C, 0.8, L2_FLOAT64);
        l2_tensor *r = l2_batch_norm(in[0], rm, rv, c->nparams > 0 ? in[1] : NULL,
                                     c->nparams > 1 ? in[2] : NULL, c->nnorm != 0, 0.1, c->eps);
        l2_tensor_release(rm);
        l2_tensor_release(rv);
        return r;
    }
    case NORMAL:
    case BERNOULLI: { /* a draw (zero gradient, as torch) times mean: the product's curvature */
        l2_manual_seed(9);
        l2_tensor *d = c->op == NORMAL ? l2_normal_tensor_tensor(in[0], in[1]) : l2_bernoulli(in[1]);
        l2_tensor *r = d ? l2_mul(d, in[0]) : NULL;
        l2_tensor_release(d);
        return r;
    }
    case GN:
        return l2_group_norm(in[0], c->nnorm, c->nparams > 0 ? in[1] : NULL,
                             c->nparams > 1 ? in[2] : NULL, c->eps);
    }
    return NULL;
}

/* A float64 leaf requiring grad, values in [lo, hi); trans: a transposed view of the last two
 * dims (non-contiguous). */
static l2_tensor *leaf(int nd, const int64_t *sh, double lo, double hi, bool trans)
{
    if (!trans)
        return gc_leaf(nd, sh, lo, hi);
    int64_t s2[L2_MAX_DIMS];
    memcpy(s2, sh, sizeof(int64_t) * (size_t)nd);
    s2[nd - 2] = sh[nd - 1];
    s2[nd - 1] = sh[nd - 2];
    l2_tensor *base = l2_uniform(nd, s2, lo, hi, L2_FLOAT64), *t = l2_transpose(base, -2, -1);
    l2_tensor_release(base);
    l2_set_requires_grad(t, true);
    return t;
}

/* One gradgradcheck of op over x (shape nx) and, when tshape is given, a target leaf (values in
 * [tlo, thi)) as a second input. */
static void check(const char *name, nn_ctx c, int nx, const int64_t *xs, bool trans, double lo,
                  double hi, int nt, const int64_t *ts, double tlo, double thi)
{
    l2_tensor *in[2] = {leaf(nx, xs, lo, hi, trans), NULL};
    int n = 1;
    if (ts && !c.target) {
        in[1] = gc_leaf(nt, ts, tlo, thi);
        n = 2;
    }
    ok(gradgradcheck(name, nn_op, n, in, &c), "gradgradcheck: %s", name);
    cg_oom_sweep(name, nn_op, n, in, &c);
    l2_tensor_release(in[0]);
    l2_tensor_release(in[1]);
}

static l2_tensor *ints(int nd, const int64_t *shape, const int64_t *v)
{
    return l2_from_data(v, nd, shape, L2_INT64);
}

/* ---- the whole model: a gradient penalty ---------------------------------------------------- */

/* logits = linear(a(linear(x, w1, b1)), w2, b2) with the smooth nonlinearity a(h) = h + h^2 / 2
 * (mul and add: tanh and relu get their differentiable backward in another tree), then
 * loss = cross_entropy(logits, y) with label smoothing 0.05. in: x, w1, b1, w2, b2. */
static l2_tensor *model_loss(l2_tensor *const *in, void *ctx)
{
    l2_tensor *y = ctx;
    l2_tensor *h = l2_linear(in[0], in[1], in[2]), *hh = h ? l2_mul(h, h) : NULL;
    l2_tensor *q = hh ? l2_mul_scalar(hh, 0.5) : NULL, *a = q ? l2_add(h, q) : NULL;
    l2_tensor *lg = a ? l2_linear(a, in[3], in[4]) : NULL;
    l2_tensor *r = lg ? l2_cross_entropy(lg, y, L2_REDUCTION_MEAN, -100, 0.05) : NULL;
    l2_tensor *all[] = {h, hh, q, a, lg};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        l2_tensor_release(all[i]);
    return r;
}

/* P = loss + sum(dloss/dx ^ 2) (the input gradient taken with create_graph: P is differentiable
 * in every parameter through it). New 0-d tensor or NULL. */
static l2_tensor *penalised(l2_tensor *const *in, l2_tensor *y)
{
    l2_tensor *loss = model_loss(in, y), *gx = NULL;
    if (!loss || l2_autograd_grad_ex(1, &loss, NULL, 1, in, &gx, true, true, false) != L2_OK) {
        l2_tensor_release(loss);
        return NULL;
    }
    l2_tensor *sq = l2_mul(gx, gx), *s = sq ? l2_sum(sq) : NULL, *p = s ? l2_add(loss, s) : NULL;
    l2_tensor_release(sq);
    l2_tensor_release(s);
    l2_tensor_release(gx);
    l2_tensor_release(loss);
    return p;
}

/* dP/dparam (through the recorded input gradient) against central differences of P. */
static void penalty_check(void)
{
    l2_manual_seed(3);
    int64_t B = 4, D = 3, H = 5, K = 3;
    l2_tensor *in[5] = {gc_leaf(L2_SHAPE(B, D), -1, 1), gc_leaf(L2_SHAPE(H, D), -1, 1),
                        gc_leaf(L2_SHAPE(H), -0.5, 0.5), gc_leaf(L2_SHAPE(K, H), -1, 1),
                        gc_leaf(L2_SHAPE(K), -0.5, 0.5)};
    l2_tensor *y = ints(L2_SHAPE(4), (int64_t[]){0, 2, 1, 2});
    l2_tensor *p = penalised(in, y), *grads[5] = {0};
    l2_status st = p ? l2_autograd_grad(1, &p, NULL, 5, in, grads, false, false) : L2_ERR_NULL;
    ok(st == L2_OK, "gradient penalty through linear, a polynomial, linear, cross_entropy: "
       "differentiable (%s)", st == L2_OK ? "ok" : l2_last_error());
    double worst = 0;
    int good = st == L2_OK;
    for (int i = 1; i < 5 && good; i++) { /* the parameters */
        int64_t m = l2_numel(in[i]);
        for (int64_t k = 0; k < m && good; k++) {
            int64_t idx[2] = {0, 0};
            if (l2_ndim(in[i]) == 2) {
                idx[0] = k / l2_shape(in[i])[1];
                idx[1] = k % l2_shape(in[i])[1];
            } else {
                idx[0] = k;
            }
            double x0, a, fp = 0, fm = 0;
            const double h = 1e-6;
            l2_get(in[i], idx, &x0);
            l2_no_grad_begin();
            l2_set(in[i], idx, x0 + h);
            l2_no_grad_end();
            l2_tensor *pp = penalised(in, y);
            l2_no_grad_begin();
            l2_set(in[i], idx, x0 - h);
            l2_no_grad_end();
            l2_tensor *pm = penalised(in, y);
            l2_no_grad_begin();
            l2_set(in[i], idx, x0);
            l2_no_grad_end();
            good = pp && pm;
            if (good) {
                l2_get(pp, (int64_t[]){0}, &fp);
                l2_get(pm, (int64_t[]){0}, &fm);
                l2_get(grads[i], idx, &a);
                double num = (fp - fm) / (2 * h), err = fabs(a - num) / (1e-5 + 1e-3 * fabs(num));
                worst = err > worst ? err : worst;
            }
            l2_tensor_release(pp);
            l2_tensor_release(pm);
        }
    }
    if (!ok(good && worst <= 1, "gradient penalty: d(loss + |dloss/dx|^2)/dparams matches "
            "central differences"))
        printf("#   worst error / tolerance %g\n", worst);
    ok(gradgradcheck("model loss (linear, polynomial, linear, cross_entropy)", model_loss, 5, in,
                     y),
       "gradgradcheck: the whole model's loss in x, w1, b1, w2, b2 and the upstream gradient");
    for (int i = 0; i < 5; i++) {
        l2_tensor_release(in[i]);
        l2_tensor_release(grads[i]);
    }
    l2_tensor_release(p);
    l2_tensor_release(y);
}

int main(void)
{
    int64_t live0 = l2_live_tensors();
    l2_manual_seed(15);
    nn_ctx c = {0};

    c.op = SOFTMAX;
    c.dim = 1;
    check("softmax (2,3) dim 1", c, L2_SHAPE(2, 3), false, -2, 2, 0, NULL, 0, 0);
    c.dim = 0;
    check("softmax (2,3)^T dim 0", c, L2_SHAPE(2, 3), true, -2, 2, 0, NULL, 0, 0);
    c.dim = -1;
    check("softmax (2,2,3) dim -1", c, L2_SHAPE(2, 2, 3), false, -2, 2, 0, NULL, 0, 0);
    c.op = LOG_SOFTMAX;
    c.dim = 1;
    check("log_softmax (2,3) dim 1", c, L2_SHAPE(2, 3), false, -2, 2, 0, NULL, 0, 0);
    c.dim = 0;
    check("log_softmax (3,2)^T dim 0", c, L2_SHAPE(3, 2), true, -2, 2, 0, NULL, 0, 0);
    c.dim = 0;
    check("log_softmax (4) dim 0", c, L2_SHAPE(4), false, -2, 2, 0, NULL, 0, 0);

    c = (nn_ctx){.op = DROPOUT, .eps = 0.4};
    check("dropout p 0.4 (times x)", c, L2_SHAPE(3, 4), false, -1, 1, 0, NULL, 0, 0);

    l2_tensor *y1 = ints(L2_SHAPE(3), (int64_t[]){2, 0, 3});
    l2_tensor *y2 = ints(L2_SHAPE(3), (int64_t[]){1, -100, 0});
    l2_tensor *y3 = ints(L2_SHAPE(2, 2), (int64_t[]){1, 0, 2, 1});
    l2_tensor *y0 = ints(0, NULL, (int64_t[]){1});
    c = (nn_ctx){.op = CE, .red = L2_REDUCTION_MEAN, .ignore = -100, .target = y1};
    check("cross_entropy (3,4) mean", c, L2_SHAPE(3, 4), false, -2, 2, 0, NULL, 0, 0);
    c.red = L2_REDUCTION_SUM;
    c.eps = 0.2;
    check("cross_entropy (3,4)^T sum, smoothing 0.2", c, L2_SHAPE(3, 4), true, -2, 2, 0, NULL, 0,
          0);
    c.red = L2_REDUCTION_NONE;
    c.target = y2;
    c.eps = 0.1;
    check("cross_entropy none, ignore_index hit, smoothing", c, L2_SHAPE(3, 2), false, -2, 2, 0,
          NULL, 0, 0);
    c.red = L2_REDUCTION_MEAN;
    check("cross_entropy mean, ignore_index hit, smoothing", c, L2_SHAPE(3, 2), false, -2, 2, 0,
          NULL, 0, 0);
    c.target = y3;
    c.eps = 0;
    check("cross_entropy (2,3,2) mean", c, L2_SHAPE(2, 3, 2), false, -2, 2, 0, NULL, 0, 0);
    c.target = y0;
    check("cross_entropy (3) with a 0-d target", c, L2_SHAPE(3), false, -2, 2, 0, NULL, 0, 0);
    c = (nn_ctx){.op = CE_PROB, .red = L2_REDUCTION_MEAN, .ignore = -100, .eps = 0.15};
    check("cross_entropy probabilities (target requires grad), smoothing", c, L2_SHAPE(3, 4),
          false, -2, 2, L2_SHAPE(3, 4), 0, 1);
    c.red = L2_REDUCTION_NONE;
    c.eps = 0;
    check("cross_entropy probabilities none, x^T", c, L2_SHAPE(2, 3), true, -2, 2,
          L2_SHAPE(2, 3), 0, 1);
    c = (nn_ctx){.op = NLL, .red = L2_REDUCTION_MEAN, .ignore = -100, .target = y2};
    check("nll_loss mean, ignore_index hit", c, L2_SHAPE(3, 2), false, -2, 0, 0, NULL, 0, 0);
    c.red = L2_REDUCTION_NONE;
    c.target = y3;
    check("nll_loss none (2,3,2)", c, L2_SHAPE(2, 3, 2), false, -2, 0, 0, NULL, 0, 0);

    c = (nn_ctx){.op = MSE, .red = L2_REDUCTION_MEAN};
    check("mse_loss mean, target (3) broadcast", c, L2_SHAPE(2, 3), false, -1, 1, L2_SHAPE(3),
          -1, 1);
    c.red = L2_REDUCTION_NONE;
    check("mse_loss none, x^T", c, L2_SHAPE(2, 3), true, -1, 1, L2_SHAPE(2, 3), -1, 1);
    c = (nn_ctx){.op = L1, .red = L2_REDUCTION_SUM};
    check("l1_loss sum, target (2,1) broadcast", c, L2_SHAPE(2, 3), false, -1, 1,
          L2_SHAPE(2, 1), -1, 1);
    /* binary_cross_entropy: x in (0.05, 0.95) (away from the clamp at x (1 - x) = 1e-12) */
    c = (nn_ctx){.op = BCE, .red = L2_REDUCTION_MEAN};
    check("binary_cross_entropy mean", c, L2_SHAPE(2, 3), false, 0.05, 0.95, L2_SHAPE(2, 3), 0,
          1);
    c.red = L2_REDUCTION_NONE;
    check("binary_cross_entropy none, x^T", c, L2_SHAPE(3, 2), true, 0.05, 0.95,
          L2_SHAPE(3, 2), 0, 1);
    c.red = L2_REDUCTION_SUM;
    check("binary_cross_entropy sum", c, L2_SHAPE(4), false, 0.05, 0.95, L2_SHAPE(4), 0, 1);
    c = (nn_ctx){.op = BCE_LOGITS, .red = L2_REDUCTION_SUM};
    check("binary_cross_entropy_with_logits sum", c, L2_SHAPE(2, 3), false, -2, 2,
          L2_SHAPE(2, 3), 0, 1);
    c.red = L2_REDUCTION_MEAN;
    check("binary_cross_entropy_with_logits mean, x^T", c, L2_SHAPE(3, 2), true, -2, 2,
          L2_SHAPE(3, 2), 0, 1);
    l2_tensor_release(y0);
    l2_tensor_release(y1);
    l2_tensor_release(y2);
    l2_tensor_release(y3);

    /* layer_norm, batch_norm, group_norm (training: the statistics recomputed with recorded ops;
     * eval: the running ones, constants) */
    {
        struct {
            const char *name;
            int op, nparams, nnorm, nd;
            int64_t xs[4], ps[3];
            int pnd;
            bool trans;
        } nc[] = {
            {"layer_norm (3,4) over 1 dim, weight and bias", LN, 2, 1, 2, {3, 4}, {4}, 1, false},
            {"layer_norm (2,2,3) over 2 dims, weight", LN, 1, 2, 3, {2, 2, 3}, {2, 3}, 2, false},
            {"layer_norm (3,4)^T, no parameters", LN, 0, 1, 2, {3, 4}, {4}, 1, true},
            {"batch_norm training (4,3), weight and bias", BN, 2, 1, 2, {4, 3}, {3}, 1, false},
            {"batch_norm training (2,3,2)^T, no parameters", BN, 0, 1, 3, {2, 3, 2}, {3}, 1,
             true},
            {"batch_norm eval (2,3,2), weight and bias", BN, 2, 0, 3, {2, 3, 2}, {3}, 1, false},
            {"group_norm (2,4,3) 2 groups, weight and bias", GN, 2, 2, 3, {2, 4, 3}, {4}, 1,
             false},
            {"group_norm (2,4) 4 groups (instance-like), weight", GN, 1, 4, 2, {2, 4}, {4}, 1,
             false},
            {"group_norm (2,2,3)^T 1 group, no parameters", GN, 0, 1, 3, {2, 2, 3}, {2}, 1,
             true},
        };
        for (size_t k = 0; k < sizeof nc / sizeof *nc; k++) {
            c = (nn_ctx){.op = nc[k].op, .eps = 1e-5, .nparams = nc[k].nparams,
                         .nnorm = nc[k].nnorm};
            l2_tensor *in[3] = {leaf(nc[k].nd, nc[k].xs, -2, 2, nc[k].trans), NULL, NULL};
            for (int i = 0; i < nc[k].nparams; i++)
                in[1 + i] = gc_leaf(nc[k].pnd, nc[k].ps, 0.5, 1.5);
            ok(gradgradcheck(nc[k].name, nn_op, 1 + nc[k].nparams, in, &c), "gradgradcheck: %s",
               nc[k].name);
            cg_oom_sweep(nc[k].name, nn_op, 1 + nc[k].nparams, in, &c);
            for (int i = 0; i < 3; i++)
                l2_tensor_release(in[i]);
        }
    }

    /* normal's zero gradient (torch's convention) is not the derivative of the draw in mean and
     * std that differences see: its constant-zeros cg is checked by the oracle only */
    c = (nn_ctx){.op = BERNOULLI};
    check("bernoulli(p) * x (zero gradient of the draw)", c, L2_SHAPE(2, 3), false, -1, 1,
          L2_SHAPE(2, 3), 0.2, 0.8);

    penalty_check();
    ok(l2_live_tensors() == live0, "no tensor leaked (%lld live, %lld at start)",
       (long long)l2_live_tensors(), (long long)live0);
    return tap_done();
}
