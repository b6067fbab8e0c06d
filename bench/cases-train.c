/* cases-train.c: training utilities (issue 16), in every profile: l2_clip_grad_norm_ (max_norm 1,
 * norm type 2) over the Fashion-MNIST CNN's parameter list ("cnn": one shape piece per
 * parameter) and over 40 float32 512x512 parameters ("10m": 10.5M elements), the grads made by
 * backward of sum(w * w) in setup (each call scales them in place, as a training step would);
 * and one shuffled epoch of l2_loader_next over a Fashion-MNIST-sized dataset (60,000 float32
 * 28x28 images and int64 labels, batch 128, drop_last false). Twins: torch_train.py
 * (torch.nn.utils.clip_grad_norm_; DataLoader(TensorDataset) with a seeded generator) and
 * torch-cases-train.cc (clip_grad_norm_ in 1.13's ATen calls; the loader has no libtorch twin:
 * torch's DataLoader is Python). */
#include "cases.h"

/* The parameter list of a clip case. */
typedef struct {
    int n;
    l2_tensor *p[64];
} clipdata;

static void clipdata_free(void *v)
{
    clipdata *s = v;
    if (!s)
        return;
    for (int i = 0; i < s->n; i++)
        l2_tensor_release(s->p[i]);
    free(s);
}

/* A parameter of shape (nd, shape) with grad 2w (backward of sum(w * w)). */
static l2_tensor *param(int nd, const int64_t *shape)
{
    l2_tensor *w = l2_randn(nd, shape, L2_FLOAT32);
    if (!w || l2_set_requires_grad(w, true) != L2_OK) {
        l2_tensor_release(w);
        return NULL;
    }
    l2_tensor *sq = l2_mul(w, w), *sum = sq ? l2_sum(sq) : NULL;
    bool good = sum && l2_backward(sum, NULL, false) == L2_OK;
    l2_tensor_release(sq);
    l2_tensor_release(sum);
    if (!good) {
        l2_tensor_release(w);
        return NULL;
    }
    return w;
}

static void *setup_clip(const bench_case *c)
{
    clipdata *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    static const int64_t cnn[6][4] = {{16, 1, 3, 3}, {16}, {32, 16, 3, 3}, {32}, {10, 1568}, {10}};
    static const int cnn_nd[6] = {4, 1, 4, 1, 2, 1};
    static const int64_t big[2] = {512, 512};
    bool is_cnn = c->p[5] == 0;
    int n = is_cnn ? 6 : 40;
    for (int i = 0; i < n; i++) {
        s->p[i] = is_cnn ? param(cnn_nd[i], cnn[i]) : param(2, big);
        s->n = i + 1;
        if (!s->p[i]) {
            clipdata_free(s);
            return NULL;
        }
    }
    return s;
}

static int run_clip(void *v)
{
    clipdata *s = v;
    double total;
    int bad = l2_clip_grad_norm_(s->n, s->p, 1.0, 2.0, false, &total) != L2_OK;
    bench_do_not_optimize(&total);
    return bad;
}

/* The loader: t[0] images, t[1] labels; extra the loader. */
static void loader_free(void *v)
{
    bdata *d = v;
    if (d)
        l2_loader_free(d->extra);
    if (d)
        d->extra = NULL;
    bdata_free(d);
}

static void *setup_loader(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    l2_manual_seed(0);
    d->t[0] = l2_randn(L2_SHAPE(60000, 28, 28), L2_FLOAT32);
    d->t[1] = l2_randint(0, 10, L2_SHAPE(60000));
    if (!bdata_check(d, 2))
        return NULL;
    l2_loader_options o = {.batch_size = 128, .shuffle = true, .drop_last = false, .seed = 0};
    d->extra = l2_loader_new(2, d->t, o);
    if (!d->extra) {
        bdata_free(d);
        return NULL;
    }
    return d;
}

/* One epoch (469 batches). */
static int run_loader(void *v)
{
    bdata *d = v;
    l2_tensor *b[2];
    int64_t k = 0;
    while (l2_loader_next(d->extra, b)) {
        bench_do_not_optimize(l2_data_ptr(b[0]));
        k++;
    }
    return l2_last_status() != L2_OK || k != 469;
}

void bench_cases_train(void)
{
    static const char *const shapes[2] = {"16x1x3x3-16-32x16x3x3-32-10x1568-10", "40x512x512"};
    static const double elems[2] = {16 * 9 + 16 + 32 * 16 * 9 + 32 + 10 * 1568 + 10,
                                    40.0 * 512 * 512};
    for (int k = 0; k < 2; k++) {
        bench_case c = nn_case("clip_grad_norm_", 0, k ? "10m" : "cnn", shapes[k], setup_clip,
                               run_clip);
        c.teardown = clipdata_free;
        c.p[5] = k;
        c.items = elems[k];
        c.bytes = 3 * 4.0 * elems[k]; /* read twice (norm, scale), written once */
        bench_add(c, NULL);
    }
    bench_case c = nn_case("loader_next", 0, "shuffle128", "60000x28x28-60000", setup_loader,
                           run_loader);
    c.teardown = loader_free;
    c.items = 60000;
    c.bytes = 2 * 60000 * (28 * 28 * 4.0 + 8); /* rows read and copied into the batch buffers */
    bench_add(c, NULL);
}
