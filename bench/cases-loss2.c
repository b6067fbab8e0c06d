/* cases-loss2.c: the threshold activation and the losses of issue 14, area loss
 * (libl2/ops/loss2.c), forward and forward + backward, float32, mean reduction (kl_div:
 * batchmean), in the full profile only. One table row per case; the torch twins are in
 * bench/torch_loss2.py (same names). */
#include "cases.h"

enum {
    L_THRESHOLD,
    L_SMOOTH_L1,
    L_HUBER,
    L_KL_DIV,
    L_MARGIN_RANKING,
    L_HINGE,
    L_COSINE,
    L_POISSON,
    L_GAUSSIAN,
    L_COUNT
};

static const struct {
    const char *op, *variant, *shape;
    int nin, ngrad; /* operands; the first ngrad of them require grad in a backward case */
} rows[L_COUNT] = {
    [L_THRESHOLD] = {"nn_threshold", "contig", "1024x1024", 1, 1},
    [L_SMOOTH_L1] = {"smooth_l1_loss", "mean", "1024x1024", 2, 2},
    [L_HUBER] = {"huber_loss", "mean", "1024x1024", 2, 2},
    [L_KL_DIV] = {"kl_div", "batchmean", "1024x1024", 2, 1},
    [L_MARGIN_RANKING] = {"margin_ranking_loss", "mean", "1048576", 3, 2},
    [L_HINGE] = {"hinge_embedding_loss", "mean", "1024x1024", 2, 1},
    [L_COSINE] = {"cosine_embedding_loss", "mean", "1024x1024", 3, 2},
    [L_POISSON] = {"poisson_nll_loss", "mean", "1024x1024", 2, 1},
    [L_GAUSSIAN] = {"gaussian_nll_loss", "mean", "1024x1024", 3, 2},
};

/* A (n) or (1024, 1024) tensor of +-1 (a target of hinge, margin_ranking, cosine). */
static l2_tensor *pm1(int ndim, const int64_t *shape)
{
    l2_tensor *r = l2_rand(ndim, shape, L2_FLOAT32);
    l2_tensor *m = r ? l2_lt_scalar(r, 0.5) : NULL;
    l2_tensor *one = l2_ones(0, NULL, L2_FLOAT32), *neg = l2_full(0, NULL, -1, L2_FLOAT32);
    l2_tensor *y = m && one && neg ? l2_where(m, one, neg) : NULL;
    l2_tensor_release(r);
    l2_tensor_release(m);
    l2_tensor_release(one);
    l2_tensor_release(neg);
    return y;
}

static void *setup_loss2(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    int k = (int)c->p[5];
    l2_manual_seed(1);
    int64_t n = 1024 * 1024;
    switch (k) {
    case L_KL_DIV: {
        l2_tensor *x = l2_randn(L2_SHAPE(1024, 1024), L2_FLOAT32);
        d->t[0] = x ? l2_log_softmax(x, 1) : NULL;
        l2_tensor_release(x);
        d->t[1] = l2_rand(L2_SHAPE(1024, 1024), L2_FLOAT32);
        break;
    }
    case L_MARGIN_RANKING:
        d->t[0] = l2_randn(1, &n, L2_FLOAT32);
        d->t[1] = l2_randn(1, &n, L2_FLOAT32);
        d->t[2] = pm1(1, &n);
        break;
    case L_HINGE:
        d->t[0] = l2_randn(L2_SHAPE(1024, 1024), L2_FLOAT32);
        d->t[1] = pm1(L2_SHAPE(1024, 1024));
        break;
    case L_COSINE:
        d->t[0] = l2_randn(L2_SHAPE(1024, 1024), L2_FLOAT32);
        d->t[1] = l2_randn(L2_SHAPE(1024, 1024), L2_FLOAT32);
        d->t[2] = pm1(L2_SHAPE(1024));
        break;
    case L_POISSON:
        d->t[0] = l2_randn(L2_SHAPE(1024, 1024), L2_FLOAT32);
        d->t[1] = l2_rand(L2_SHAPE(1024, 1024), L2_FLOAT32);
        break;
    case L_GAUSSIAN:
        d->t[0] = l2_randn(L2_SHAPE(1024, 1024), L2_FLOAT32);
        d->t[1] = l2_randn(L2_SHAPE(1024, 1024), L2_FLOAT32);
        d->t[2] = l2_rand(L2_SHAPE(1024, 1024), L2_FLOAT32);
        break;
    default:
        d->t[0] = l2_randn(L2_SHAPE(1024, 1024), L2_FLOAT32);
        if (rows[k].nin > 1)
            d->t[1] = l2_randn(L2_SHAPE(1024, 1024), L2_FLOAT32);
        break;
    }
    if (k == L_THRESHOLD)
        return grad_epilogue(d, 1, 0, 0, 2, (const int64_t[]){1024, 1024});
    return grad_epilogue(d, rows[k].nin, 0, rows[k].ngrad - 1, 0, NULL);
}

static l2_tensor *loss2_of(bdata *d)
{
    l2_tensor **t = d->t;
    switch (d->c->p[5]) {
    case L_THRESHOLD: return l2_nn_threshold(t[0], 0.1, 0);
    case L_SMOOTH_L1: return l2_smooth_l1_loss(t[0], t[1], L2_REDUCTION_MEAN, 1.0);
    case L_HUBER: return l2_huber_loss(t[0], t[1], L2_REDUCTION_MEAN, 1.0);
    case L_KL_DIV: return l2_kl_div(t[0], t[1], L2_REDUCTION_BATCHMEAN, false);
    case L_MARGIN_RANKING:
        return l2_margin_ranking_loss(t[0], t[1], t[2], 0.1, L2_REDUCTION_MEAN);
    case L_HINGE: return l2_hinge_embedding_loss(t[0], t[1], 1.0, L2_REDUCTION_MEAN);
    case L_COSINE: return l2_cosine_embedding_loss(t[0], t[1], t[2], 0.0, L2_REDUCTION_MEAN);
    case L_POISSON: return l2_poisson_nll_loss(t[0], t[1], true, false, 1e-8, L2_REDUCTION_MEAN);
    default: return l2_gaussian_nll_loss(t[0], t[1], t[2], false, 1e-6, L2_REDUCTION_MEAN);
    }
}

static int run_loss2(void *p) { return bench_consume(loss2_of(p)); }

static int run_loss2_bwd(void *p)
{
    bdata *d = p;
    return nn_finish_bwd(d, loss2_of(d), 0, rows[d->c->p[5]].ngrad - 1);
}

void bench_cases_loss2(void)
{
    if (!bench_full_profile())
        return;
    for (int grad = 0; grad < 2; grad++)
        for (int k = 0; k < L_COUNT; k++) {
            bench_case c = nn_case(rows[k].op, grad, rows[k].variant, rows[k].shape,
                                   setup_loss2, grad ? run_loss2_bwd : run_loss2);
            c.p[5] = k;
            c.items = 1024.0 * 1024;
            c.bytes = 4.0 * rows[k].nin * c.items;
            bench_add(c, NULL);
        }
}
