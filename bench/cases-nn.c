/* cases-nn.c: benchmark cases added for issue 11: the transcendental set on positive inputs
 * (log, gelu, erf, pow), layer_norm, batch_norm, embedding and max_pool2d forward and backward,
 * optimizer steps (SGD with momentum, Adam) over 1M parameters, and safetensors save and load.
 * These ops are all declared in l2.h, so they are called directly (cases-ops.c resolves its ops
 * at run time). bench/torch_bench.py builds the torch twin of each from its name.
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "cases.h"

/* ---- positive n x n inputs: p[1] n, p[3] layout; t[0] = a, t[1] = b in [0.5, 1.5) ---- */

static void *setup_positive(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    int64_t n = c->p[1];
    l2_tensor *a = l2_uniform(L2_SHAPE(n, n), 0.5, 1.5, L2_FLOAT32);
    l2_tensor *b = c->p[3] == LAYOUT_BROADCAST ? l2_uniform(L2_SHAPE(n), 0.5, 1.5, L2_FLOAT32)
                                                : l2_uniform(L2_SHAPE(n, n), 0.5, 1.5,
                                                             L2_FLOAT32);
    if (c->p[3] == LAYOUT_TRANSPOSED) {
        d->t[0] = a ? l2_t(a) : NULL;
        d->t[1] = b ? l2_t(b) : NULL;
        l2_tensor_release(a);
        l2_tensor_release(b);
    } else {
        d->t[0] = a;
        d->t[1] = b;
    }
    return bdata_check(d, 2);
}

static int run_log(void *p) { return bench_consume(l2_log(((bdata *)p)->t[0])); }
static int run_gelu(void *p) { return bench_consume(l2_gelu(((bdata *)p)->t[0], false)); }
static int run_erf(void *p) { return bench_consume(l2_erf(((bdata *)p)->t[0])); }

static int run_pow(void *p)
{
    bdata *d = p;
    return bench_consume(l2_pow(d->t[0], d->t[1]));
}

static void add_square(const char *op, const char *variant, int64_t n, int layout,
                       int (*run)(void *), double bytes_per_elem)
{
    bench_case c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "%s/f32/%s/%lldx%lld", op, variant, (long long)n,
             (long long)n);
    c.setup = setup_positive;
    c.run = run;
    c.teardown = bdata_free;
    c.p[1] = n;
    c.p[3] = layout;
    c.items = (double)(n * n);
    c.bytes = bytes_per_elem * (double)(n * n);
    bench_add(c, NULL);
}

static void add_transcendental(int64_t n)
{
    static const char *layouts[] = {"contig", "transposed", "broadcast"};
    for (int l = 0; l < 2; l++) {
        add_square("log", layouts[l], n, l, run_log, 8);
        add_square("gelu", layouts[l], n, l, run_gelu, 8);
        add_square("erf", layouts[l], n, l, run_erf, 8);
    }
    for (int l = 0; l < 3; l++)
        add_square("pow", layouts[l], n, l, run_pow, l == LAYOUT_BROADCAST ? 8 : 12);
}

/* ---- layer_norm over the last dim: x (p[1], p[2]), weight and bias (p[2]) ---- */

static void *setup_layer_norm(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    int64_t r = c->p[1], k = c->p[2];
    d->t[0] = l2_randn(L2_SHAPE(r, k), L2_FLOAT32);
    d->t[1] = l2_uniform(L2_SHAPE(k), 0.5, 1.5, L2_FLOAT32);
    d->t[2] = l2_randn(L2_SHAPE(k), L2_FLOAT32);
    return grad_epilogue(d, 3, 0, 2, 2, (const int64_t[]){r, k});
}

static l2_tensor *layer_norm_of(bdata *d)
{
    int64_t k = d->c->p[2];
    return l2_layer_norm(d->t[0], 1, &k, d->t[1], d->t[2], 1e-5);
}

static int run_layer_norm(void *p) { return bench_consume(layer_norm_of(p)); }
static int run_layer_norm_bwd(void *p) { return nn_finish_bwd(p, layer_norm_of(p), 0, 2); }

/* ---- batch_norm, training mode: x (p[1], p[2], p[3], p[3]), running stats, weight, bias ---- */

static void *setup_batch_norm(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    int64_t n = c->p[1], ch = c->p[2], hw = c->p[3];
    d->t[0] = l2_randn(L2_SHAPE(n, ch, hw, hw), L2_FLOAT32);
    d->t[1] = l2_ones(L2_SHAPE(ch), L2_FLOAT32);
    d->t[2] = l2_zeros(L2_SHAPE(ch), L2_FLOAT32);
    d->t[3] = l2_zeros(L2_SHAPE(ch), L2_FLOAT32); /* running mean */
    d->t[4] = l2_ones(L2_SHAPE(ch), L2_FLOAT32);  /* running var */
    return grad_epilogue(d, 5, 0, 2, 4, (const int64_t[]){n, ch, hw, hw});
}

static l2_tensor *batch_norm_of(bdata *d)
{
    return l2_batch_norm(d->t[0], d->t[3], d->t[4], d->t[1], d->t[2], true, 0.1, 1e-5);
}

static int run_batch_norm(void *p) { return bench_consume(batch_norm_of(p)); }
static int run_batch_norm_bwd(void *p) { return nn_finish_bwd(p, batch_norm_of(p), 0, 2); }

/* ---- embedding: weight (p[1], p[2]), p[3] int64 indices ---- */

static void *setup_embedding(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    int64_t v = c->p[1], dim = c->p[2], m = c->p[3];
    d->t[0] = l2_randn(L2_SHAPE(v, dim), L2_FLOAT32);
    d->t[1] = l2_randint(0, v, L2_SHAPE(m));
    return grad_epilogue(d, 2, 0, 0, 2, (const int64_t[]){m, dim});
}

static int run_embedding(void *p)
{
    bdata *d = p;
    return bench_consume(l2_embedding(d->t[0], d->t[1]));
}

static int run_embedding_bwd(void *p)
{
    bdata *d = p;
    return nn_finish_bwd(d, l2_embedding(d->t[0], d->t[1]), 0, 0);
}

/* ---- max_pool2d, kernel 2: x (p[1], p[2], p[3], p[3]) ---- */

static void *setup_pool(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    int64_t n = c->p[1], ch = c->p[2], hw = c->p[3];
    d->t[0] = l2_randn(L2_SHAPE(n, ch, hw, hw), L2_FLOAT32);
    return grad_epilogue(d, 1, 0, 0, 4, (const int64_t[]){n, ch, hw / 2, hw / 2});
}

static l2_tensor *pool_of(bdata *d)
{
    static const int64_t k2[2] = {2, 2};
    return l2_max_pool2d(d->t[0], k2, NULL, NULL);
}

static int run_pool(void *p) { return bench_consume(pool_of(p)); }
static int run_pool_bwd(void *p) { return nn_finish_bwd(p, pool_of(p), 0, 0); }

static void add_nn_layers(void)
{
    char shape[64];
    bench_case c;
    for (int grad = 0; grad < 2; grad++) {
        /* layer_norm over 1024 features, 64 rows (a transformer block's width). */
        c = nn_case("layer_norm", grad, "last", "64x1024", setup_layer_norm,
                    grad ? run_layer_norm_bwd : run_layer_norm);
        c.p[1] = 64;
        c.p[2] = 1024;
        c.items = 64.0 * 1024;
        bench_add(c, NULL);
        /* batch_norm at the CNN's first feature map: (64, 16, 28, 28). */
        c = nn_case("batch_norm", grad, "train", "64x16x28x28", setup_batch_norm,
                    grad ? run_batch_norm_bwd : run_batch_norm);
        c.p[1] = 64;
        c.p[2] = 16;
        c.p[3] = 28;
        c.items = 64.0 * 16 * 28 * 28;
        bench_add(c, NULL);
        /* embedding: 2048 lookups in a 10000 x 128 table. */
        c = nn_case("embedding", grad, "rows", "10000x128-2048", setup_embedding,
                    grad ? run_embedding_bwd : run_embedding);
        c.p[1] = 10000;
        c.p[2] = 128;
        c.p[3] = 2048;
        c.items = 2048;
        c.bytes = 2048.0 * 128 * 4 * 2;
        bench_add(c, NULL);
        /* max_pool2d 2x2 at the CNN's sizes: after conv1 and after conv2. */
        static const int64_t pools[][3] = {{64, 16, 28}, {64, 32, 14}};
        for (int s = 0; s < 2; s++) {
            int64_t n = pools[s][0], ch = pools[s][1], hw = pools[s][2];
            snprintf(shape, sizeof shape, "%lldx%lldx%lldx%lld", (long long)n, (long long)ch,
                     (long long)hw, (long long)hw);
            c = nn_case("max_pool2d", grad, "k2", shape, setup_pool,
                        grad ? run_pool_bwd : run_pool);
            c.p[1] = n;
            c.p[2] = ch;
            c.p[3] = hw;
            c.items = (double)(n * ch * hw * hw);
            c.bytes = 5.0 / 4.0 * 4.0 * c.items;
            bench_add(c, NULL);
        }
    }
}

/* ---- optimizer steps: p[1] tensors of (p[2], p[3]), grads of ones; p[5] 0 SGD, 1 Adam ---- */

typedef struct {
    l2_tensor *params[8];
    l2_optimizer *opt;
    int n;
} optdata;

static void optdata_free(void *p)
{
    optdata *o = p;
    if (!o)
        return;
    l2_optimizer_free(o->opt);
    for (int i = 0; i < o->n; i++)
        l2_tensor_release(o->params[i]);
    free(o);
}

static void *setup_optimizer(const bench_case *c)
{
    optdata *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->n = (int)c->p[1];
    for (int i = 0; i < o->n; i++) {
        l2_tensor *w = l2_randn(L2_SHAPE(c->p[2], c->p[3]), L2_FLOAT32);
        o->params[i] = w;
        if (!w || l2_set_requires_grad(w, true) != L2_OK) {
            optdata_free(o);
            return NULL;
        }
        /* grad = ones: the backward of sum(w). */
        l2_tensor *s = l2_sum(w);
        int bad = !s || l2_backward(s, NULL, false) != L2_OK;
        l2_tensor_release(s);
        if (bad) {
            optdata_free(o);
            return NULL;
        }
    }
    if (c->p[5]) {
        o->opt = l2_adam(o->n, o->params, l2_adam_defaults());
    } else {
        l2_sgd_options so = l2_sgd_defaults(0.01);
        so.momentum = 0.9;
        o->opt = l2_sgd(o->n, o->params, so);
    }
    if (!o->opt) {
        optdata_free(o);
        return NULL;
    }
    return o;
}

static int run_optimizer(void *p) { return l2_optimizer_step(((optdata *)p)->opt) != L2_OK; }

static void add_optimizers(void)
{
    /* 4 tensors of 512 x 512: 1M parameters (1,048,576). */
    for (int adam = 0; adam < 2; adam++) {
        bench_case c;
        memset(&c, 0, sizeof c);
        snprintf(c.name, sizeof c.name, "%s/f32/%s/4x512x512", adam ? "adam_step" : "sgd_step",
                 adam ? "default" : "momentum");
        c.setup = setup_optimizer;
        c.run = run_optimizer;
        c.teardown = optdata_free;
        c.p[1] = 4;
        c.p[2] = 512;
        c.p[3] = 512;
        c.p[5] = adam;
        c.items = 4.0 * 512 * 512;
        /* Bytes read and written per parameter: SGD p, g, buf (r) + p, buf (w); Adam 7. */
        c.bytes = c.items * 4.0 * (adam ? 7.0 : 5.0);
        bench_add(c, NULL);
    }
}

/* ---- safetensors: one float32 tensor (p[1], p[2]) saved to / loaded from a file ---- */

typedef struct {
    l2_tensor *t;
    char path[256];
    int load;
} stdata;

static void stdata_free(void *p)
{
    stdata *s = p;
    if (!s)
        return;
    l2_tensor_release(s->t);
    unlink(s->path);
    free(s);
}

static void *setup_safetensors(const bench_case *c)
{
    stdata *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    const char *dir = getenv("TMPDIR");
    snprintf(s->path, sizeof s->path, "%s/l2bench-%ld.safetensors", dir && *dir ? dir : "/tmp",
             (long)getpid());
    s->load = (int)c->p[5];
    s->t = l2_randn(L2_SHAPE(c->p[1], c->p[2]), L2_FLOAT32);
    const char *name = "w";
    if (!s->t || (s->load && l2_save_safetensors(s->path, 1, &name, &s->t) != L2_OK)) {
        stdata_free(s);
        return NULL;
    }
    return s;
}

static int run_safetensors(void *p)
{
    stdata *s = p;
    if (s->load) {
        l2_named_tensors *d = l2_load_safetensors(s->path);
        if (!d)
            return 1;
        bench_do_not_optimize(l2_data_ptr(l2_named_tensor(d, 0)));
        l2_named_free(d);
        return 0;
    }
    const char *name = "w";
    return l2_save_safetensors(s->path, 1, &name, &s->t) != L2_OK;
}

static void add_safetensors(void)
{
    /* quick: 4 MB (1000 x 1000 float32); full: 100 MB (5000 x 5000). */
    int64_t n = bench_full_profile() ? 5000 : 1000;
    for (int load = 0; load < 2; load++) {
        bench_case c;
        memset(&c, 0, sizeof c);
        snprintf(c.name, sizeof c.name, "%s/f32/file/%lldx%lld",
                 load ? "safetensors_load" : "safetensors_save", (long long)n, (long long)n);
        c.setup = setup_safetensors;
        c.run = run_safetensors;
        c.teardown = stdata_free;
        c.p[1] = n;
        c.p[2] = n;
        c.p[5] = load;
        c.bytes = 4.0 * (double)(n * n);
        bench_add(c, NULL);
    }
}

/* ---- the composed conv members (issue 14; full profile only): p[5] picks the op ---- */

enum {
    CC_CONV1D,
    CC_MAXPOOL1D,
    CC_AVGPOOL1D,
    CC_SHUFFLE,
    CC_UNSHUFFLE,
    CC_INTERP,
    CC_UNFOLD,
    CC_FOLD,
    CC_COUNT
};

static void *setup_compose(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    switch (c->p[5]) {
    case CC_CONV1D:
        d->t[0] = l2_randn(L2_SHAPE(64, 16, 256), L2_FLOAT32);
        d->t[1] = l2_randn(L2_SHAPE(32, 16, 3), L2_FLOAT32);
        d->t[2] = l2_randn(L2_SHAPE(32), L2_FLOAT32);
        return grad_epilogue(d, 3, 0, 2, 3, (const int64_t[]){64, 32, 256});
    case CC_MAXPOOL1D:
    case CC_AVGPOOL1D:
        d->t[0] = l2_randn(L2_SHAPE(64, 16, 256), L2_FLOAT32);
        return grad_epilogue(d, 1, 0, 0, 3, (const int64_t[]){64, 16, 128});
    case CC_SHUFFLE:
        d->t[0] = l2_randn(L2_SHAPE(64, 64, 16, 16), L2_FLOAT32);
        return grad_epilogue(d, 1, 0, 0, 4, (const int64_t[]){64, 16, 32, 32});
    case CC_INTERP:
        d->t[0] = l2_randn(L2_SHAPE(64, 16, 32, 32), L2_FLOAT32);
        return grad_epilogue(d, 1, 0, 0, 4, (const int64_t[]){64, 16, 64, 64});
    case CC_UNFOLD:
        d->t[0] = l2_randn(L2_SHAPE(64, 16, 28, 28), L2_FLOAT32);
        return grad_epilogue(d, 1, 0, 0, 3, (const int64_t[]){64, 144, 784});
    case CC_FOLD:
        d->t[0] = l2_randn(L2_SHAPE(64, 144, 784), L2_FLOAT32);
        return grad_epilogue(d, 1, 0, 0, 4, (const int64_t[]){64, 16, 28, 28});
    default:
        d->t[0] = l2_randn(L2_SHAPE(64, 16, 32, 32), L2_FLOAT32);
        return grad_epilogue(d, 1, 0, 0, 4, (const int64_t[]){64, 64, 16, 16});
    }
}

static l2_tensor *compose_of(bdata *d)
{
    static const int64_t k3[2] = {3, 3}, p1[2] = {1, 1};
    switch (d->c->p[5]) {
    case CC_CONV1D: return l2_conv1d(d->t[0], d->t[1], d->t[2], 1, 1, 1, 1);
    case CC_MAXPOOL1D: return l2_max_pool1d(d->t[0], 2, 0, 0);
    case CC_AVGPOOL1D: return l2_avg_pool1d(d->t[0], 2, 0, 0);
    case CC_SHUFFLE: return l2_pixel_shuffle(d->t[0], 2);
    case CC_INTERP:
        return l2_interpolate(d->t[0], (const int64_t[]){64, 64}, NULL, L2_INTERP_BILINEAR, false);
    case CC_UNFOLD: return l2_unfold(d->t[0], k3, NULL, p1, NULL);
    case CC_FOLD: return l2_fold(d->t[0], (const int64_t[]){28, 28}, k3, NULL, p1, NULL);
    default: return l2_pixel_unshuffle(d->t[0], 2);
    }
}

static int run_compose(void *p) { return bench_consume(compose_of(p)); }

static int run_compose_bwd(void *p)
{
    bdata *d = p;
    return nn_finish_bwd(d, compose_of(d), 0, d->c->p[5] == CC_CONV1D ? 2 : 0);
}

static void add_conv_compose(void)
{
    static const char *names[CC_COUNT][3] = {
        {"conv1d", "pad1", "64x16x256-32x16x3"}, {"max_pool1d", "k2", "64x16x256"},
        {"avg_pool1d", "k2", "64x16x256"},       {"pixel_shuffle", "r2", "64x64x16x16"},
        {"pixel_unshuffle", "r2", "64x16x32x32"}, {"interpolate", "bilinear", "64x16x32x32"},
        {"unfold", "k3p1", "64x16x28x28"},       {"fold", "k3p1", "64x144x784"},
    };
    if (!bench_full_profile())
        return;
    for (int grad = 0; grad < 2; grad++)
        for (int k = 0; k < CC_COUNT; k++) {
            bench_case c = nn_case(names[k][0], grad, names[k][1], names[k][2], setup_compose,
                                   grad ? run_compose_bwd : run_compose);
            c.p[5] = k;
            c.items = k == CC_CONV1D      ? 64.0 * 32 * 256
                      : k <= CC_AVGPOOL1D ? 64.0 * 16 * 256
                      : k == CC_INTERP    ? 64.0 * 16 * 64 * 64
                      : k >= CC_UNFOLD    ? 64.0 * 144 * 784
                                          : 64.0 * 64 * 16 * 16;
            c.bytes = 8.0 * c.items;
            bench_add(c, NULL);
        }
}

/* ---- sampling and more norms (issue 14, sample; full profile only): p[5] picks the op ---- */

enum { SN_GROUP, SN_INSTANCE, SN_LRN, SN_BERNOULLI, SN_MULTI_R, SN_MULTI_N, SN_NORMAL, SN_COUNT };

static void *setup_sample_norm(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    l2_manual_seed(1);
    switch (c->p[5]) {
    case SN_GROUP:
    case SN_INSTANCE:
        d->t[0] = l2_randn(L2_SHAPE(64, 32, 32, 32), L2_FLOAT32);
        d->t[1] = l2_ones(L2_SHAPE(32), L2_FLOAT32);
        d->t[2] = l2_zeros(L2_SHAPE(32), L2_FLOAT32);
        d->t[3] = l2_zeros(L2_SHAPE(32), L2_FLOAT32); /* running statistics (instance_norm) */
        d->t[4] = l2_ones(L2_SHAPE(32), L2_FLOAT32);
        return grad_epilogue(d, 5, 0, 2, 4, (const int64_t[]){64, 32, 32, 32});
    case SN_LRN:
        d->t[0] = l2_randn(L2_SHAPE(64, 32, 32, 32), L2_FLOAT32);
        return grad_epilogue(d, 1, 0, 0, 4, (const int64_t[]){64, 32, 32, 32});
    case SN_BERNOULLI:
        d->t[0] = l2_rand(L2_SHAPE(1024, 1024), L2_FLOAT32);
        return grad_epilogue(d, 1, 0, 0, 2, (const int64_t[]){1024, 1024});
    case SN_MULTI_R:
    case SN_MULTI_N:
        d->t[0] = l2_rand(L2_SHAPE(1024, 1000), L2_FLOAT32);
        return grad_epilogue(d, 1, 0, 0, 2, (const int64_t[]){1024, 10});
    default:
        d->t[0] = l2_randn(L2_SHAPE(1024, 1), L2_FLOAT32);
        d->t[1] = l2_rand(L2_SHAPE(1024), L2_FLOAT32);
        return grad_epilogue(d, 2, 0, 1, 2, (const int64_t[]){1024, 1024});
    }
}

static l2_tensor *sample_norm_of(bdata *d)
{
    switch (d->c->p[5]) {
    case SN_GROUP: return l2_group_norm(d->t[0], 8, d->t[1], d->t[2], 1e-5);
    case SN_INSTANCE:
        return l2_instance_norm(d->t[0], d->t[3], d->t[4], d->t[1], d->t[2], true, 0.1, 1e-5);
    case SN_LRN: return l2_local_response_norm(d->t[0], 5, 1e-4, 0.75, 1.0);
    case SN_BERNOULLI: return l2_bernoulli(d->t[0]);
    case SN_MULTI_R: return l2_multinomial(d->t[0], 10, true);
    case SN_MULTI_N: return l2_multinomial(d->t[0], 10, false);
    default: return l2_normal_tensor_tensor(d->t[0], d->t[1]);
    }
}

static int run_sample_norm(void *p) { return bench_consume(sample_norm_of(p)); }
static int run_sample_norm_bwd(void *p) { return nn_finish_bwd(p, sample_norm_of(p), 0, 2); }

static void add_sample_norm(void)
{
    static const char *names[SN_COUNT][3] = {
        {"group_norm", "g8", "64x32x32x32"},       {"instance_norm", "stats", "64x32x32x32"},
        {"local_response_norm", "s5", "64x32x32x32"}, {"bernoulli", "p", "1024x1024"},
        {"multinomial", "repl10", "1024x1000"},    {"multinomial", "norepl10", "1024x1000"},
        {"normal", "tensor_tensor", "1024x1-1024"},
    };
    if (!bench_full_profile())
        return;
    for (int grad = 0; grad < 2; grad++)
        for (int k = 0; k < SN_COUNT; k++) {
            if (grad && k > SN_LRN) /* the samplers' gradients are zeros: not timed */
                continue;
            bench_case c = nn_case(names[k][0], grad, names[k][1], names[k][2],
                                   setup_sample_norm, grad ? run_sample_norm_bwd : run_sample_norm);
            c.p[5] = k;
            c.items = k <= SN_LRN ? 64.0 * 32 * 32 * 32 : k == SN_MULTI_R || k == SN_MULTI_N
                                                            ? 1024.0 * 1000 : 1024.0 * 1024;
            c.bytes = 8.0 * c.items;
            bench_add(c, NULL);
        }
}

void bench_cases_nn(void)
{
    const int64_t *sizes;
    int ns = bench_square_sizes(&sizes);
    for (int s = 0; s < ns; s++)
        add_transcendental(sizes[s]);
    add_nn_layers();
    add_optimizers();
    add_safetensors();
    add_conv_compose();
    add_sample_norm();
}
