/* test-coverage-nn.c: the layer structs (Linear, Conv2d, BatchNorm2d, LayerNorm, Embedding) and
 * parameter lists: initial values and shapes, forward results against the ops they stand for,
 * parameter names, loading weights by name (all or nothing), and every argument error; each init
 * also runs with every allocation failing in turn (L2_ERR_NOMEM, the struct left empty). */
#include "tap.h"

#include <l2.h>
#include <math.h>
#include <stdlib.h>

static int shape_is(const l2_tensor *t, int ndim, const int64_t *shape)
{
    if (!t || l2_ndim(t) != ndim)
        return 0;
    for (int i = 0; i < ndim; i++)
        if (l2_shape(t)[i] != shape[i])
            return 0;
    return 1;
}

static double max_abs_diff(const l2_tensor *a, const l2_tensor *b)
{
    l2_tensor *d = l2_sub(a, b);
    l2_tensor *ad = l2_abs(d);
    l2_tensor *m = l2_max(ad);
    double v = NAN;
    if (m)
        l2_item(m, &v);
    l2_tensor_release(m);
    l2_tensor_release(ad);
    l2_tensor_release(d);
    return v;
}

static double scalar_of(l2_tensor *t)
{
    double v = NAN;
    if (t)
        l2_item(t, &v);
    l2_tensor_release(t);
    return v;
}

/* Every allocation failing in turn: init returns L2_ERR_NOMEM with the weight NULL, until it
 * succeeds. Returns the number of failing runs seen. */
typedef l2_status (*init_fn)(void *m);
static int oom_sweep(const char *name, init_fn init, void (*fr)(void *), void *m, size_t size)
{
    int failures = 0, bad = 0;
    for (int k = 0; k < 64; k++) {
        memset(m, 0, size);
        l2_debug_fail_alloc_after(k);
        l2_status st = init(m);
        l2_debug_fail_alloc_after(-1);
        if (st == L2_OK) {
            fr(m);
            break;
        }
        failures++;
        if (st != L2_ERR_NOMEM || *(l2_tensor **)m != NULL)
            bad++;
    }
    ok(failures > 0 && bad == 0, "%s: %d out-of-memory runs fail cleanly (%d bad)", name, failures,
       bad);
    return failures;
}

static l2_status lin_init(void *m) { return l2_linear_layer_init(m, 3, 2, true, L2_FLOAT32); }
static void lin_free(void *m) { l2_linear_layer_free(m); }
static l2_status conv_init(void *m)
{
    return l2_conv2d_layer_init(m, 2, 4, 3, 1, 1, 2, true, L2_FLOAT64);
}
static void conv_free(void *m) { l2_conv2d_layer_free(m); }
static l2_status bn_init(void *m) { return l2_batchnorm2d_layer_init(m, 3, L2_FLOAT32); }
static void bn_free(void *m) { l2_batchnorm2d_layer_free(m); }
static l2_status ln_init(void *m) { return l2_layernorm_layer_init(m, 4, L2_FLOAT64); }
static void ln_free(void *m) { l2_layernorm_layer_free(m); }
static l2_status emb_init(void *m) { return l2_embedding_layer_init(m, 5, 3, L2_FLOAT32); }
static void emb_free(void *m) { l2_embedding_layer_free(m); }

static void test_linear(void)
{
    l2_manual_seed(1);
    l2_linear_layer m = {0};
    is_int(l2_linear_layer_init(&m, 4, 3, true, L2_FLOAT32), L2_OK, "linear init");
    ok(shape_is(m.weight, 2, (int64_t[]){3, 4}) && shape_is(m.bias, 1, (int64_t[]){3}),
       "linear weight (3,4), bias (3)");
    ok(l2_requires_grad(m.weight) && l2_is_leaf(m.weight), "linear weight is a leaf parameter");
    /* Values within +-1/sqrt(in) = 0.5. */
    double mx = scalar_of(l2_max(m.weight)), mn = scalar_of(l2_min(m.weight));
    ok(mx < 0.5 && mn >= -0.5 && mx > mn, "linear weight uniform in [-0.5, 0.5) (%g..%g)", mn, mx);

    l2_tensor *x = l2_randn(2, (int64_t[]){5, 4}, L2_FLOAT32);
    l2_tensor *y = l2_linear_layer_forward(&m, x);
    l2_tensor *want = l2_linear(x, m.weight, m.bias);
    ok(shape_is(y, 2, (int64_t[]){5, 3}), "linear forward (5,4) -> (5,3)");
    is_near(max_abs_diff(y, want), 0, 0, "linear forward equals l2_linear");
    l2_tensor_release(want);
    l2_tensor_release(y);

    l2_params *p = l2_params_new();
    is_int(l2_linear_layer_params(&m, p, "fc"), L2_OK, "linear params");
    is_int(l2_params_count(p), 2, "linear has two parameters");
    is_str(l2_params_names(p)[0], "fc.weight", "first name fc.weight");
    is_str(l2_params_names(p)[1], "fc.bias", "second name fc.bias");
    ok(l2_params_tensors(p)[0] == m.weight, "params hold the weight itself");
    is_int(l2_linear_layer_params(&m, p, "fc"), L2_ERR_ARG, "adding fc again: duplicate names");
    is_int(l2_params_count(p), 2, "failed add leaves the list as it was");
    l2_params_free(p);

    l2_linear_layer nb = {0};
    is_int(l2_linear_layer_init(&nb, 2, 2, false, L2_FLOAT64), L2_OK, "linear without bias");
    ok(nb.bias == NULL, "no bias tensor");
    p = l2_params_new();
    is_int(l2_linear_layer_params(&nb, p, NULL), L2_OK, "params without prefix");
    is_int(l2_params_count(p), 1, "one parameter without bias");
    is_str(l2_params_names(p)[0], "weight", "no prefix: plain name");
    l2_params_free(p);
    is_int(l2_linear_layer_params(&nb, NULL, "x"), L2_ERR_NULL, "params into NULL list");
    l2_linear_layer_free(&nb);
    ok(nb.weight == NULL, "free clears the struct");
    l2_linear_layer_free(&nb);
    l2_linear_layer_free(NULL);

    is_int(l2_linear_layer_init(NULL, 1, 1, true, L2_FLOAT32), L2_ERR_NULL, "linear init NULL");
    is_int(l2_linear_layer_init(&nb, 0, 1, true, L2_FLOAT32), L2_ERR_ARG, "linear in 0");
    is_int(l2_linear_layer_init(&nb, 1, -1, true, L2_FLOAT32), L2_ERR_ARG, "linear out -1");
    is_int(l2_linear_layer_init(&nb, 1, 1, true, L2_INT64), L2_ERR_DTYPE, "linear int64");
    ok(strstr(l2_last_error(), "int64") != NULL, "message names the dtype: %s", l2_last_error());
    ok(l2_linear_layer_forward(NULL, x) == NULL && l2_last_status() == L2_ERR_NULL,
       "linear forward NULL layer");
    ok(l2_linear_layer_forward(&nb, x) == NULL && l2_last_status() == L2_ERR_NULL,
       "linear forward of a freed layer");
    is_int(l2_linear_layer_params(NULL, NULL, NULL), L2_ERR_NULL, "linear params NULL");
    l2_tensor_release(x);
    l2_linear_layer_free(&m);
}

static void test_conv(void)
{
    l2_conv2d_layer m = {0};
    is_int(l2_conv2d_layer_init(&m, 4, 6, 3, 2, 1, 2, true, L2_FLOAT32), L2_OK, "conv init");
    ok(shape_is(m.weight, 4, (int64_t[]){6, 2, 3, 3}) && shape_is(m.bias, 1, (int64_t[]){6}),
       "conv weight (6,2,3,3), bias (6)");
    ok(m.stride[0] == 2 && m.stride[1] == 2 && m.padding[1] == 1 && m.dilation[0] == 1 &&
           m.groups == 2,
       "conv stride, padding, dilation, groups stored");
    double bound = 1.0 / sqrt(2.0 * 9.0);
    double mx = scalar_of(l2_max(m.weight));
    ok(mx < bound && mx > 0, "conv weight below 1/sqrt(fan_in) = %g (max %g)", bound, mx);
    l2_tensor *x = l2_randn(4, (int64_t[]){1, 4, 5, 5}, L2_FLOAT32);
    l2_tensor *y = l2_conv2d_layer_forward(&m, x);
    l2_tensor *want = l2_conv2d(x, m.weight, m.bias, m.stride, m.padding, m.dilation, 2);
    ok(shape_is(y, 4, (int64_t[]){1, 6, 3, 3}), "conv forward (1,4,5,5) -> (1,6,3,3)");
    is_near(max_abs_diff(y, want), 0, 0, "conv forward equals l2_conv2d");
    l2_tensor_release(want);
    l2_tensor_release(y);
    l2_params *p = l2_params_new();
    is_int(l2_conv2d_layer_params(&m, p, "c1"), L2_OK, "conv params");
    is_str(l2_params_names(p)[1], "c1.bias", "conv bias name");
    l2_params_free(p);
    is_int(l2_conv2d_layer_params(NULL, NULL, NULL), L2_ERR_NULL, "conv params NULL");
    l2_conv2d_layer_free(&m);
    ok(l2_conv2d_layer_forward(&m, x) == NULL && l2_last_status() == L2_ERR_NULL,
       "conv forward of a freed layer");
    l2_tensor_release(x);
    l2_conv2d_layer_free(NULL);

    is_int(l2_conv2d_layer_init(NULL, 1, 1, 1, 1, 0, 1, true, L2_FLOAT32), L2_ERR_NULL,
           "conv init NULL");
    is_int(l2_conv2d_layer_init(&m, 3, 4, 3, 1, 0, 2, true, L2_FLOAT32), L2_ERR_ARG,
           "conv in_channels not divisible by groups");
    is_int(l2_conv2d_layer_init(&m, 4, 3, 3, 1, 0, 2, true, L2_FLOAT32), L2_ERR_ARG,
           "conv out_channels not divisible by groups");
    is_int(l2_conv2d_layer_init(&m, 1, 1, 1, 0, 0, 1, true, L2_FLOAT32), L2_ERR_ARG,
           "conv stride 0");
    is_int(l2_conv2d_layer_init(&m, 1, 1, 1, 1, -1, 1, true, L2_FLOAT32), L2_ERR_ARG,
           "conv padding -1");
    is_int(l2_conv2d_layer_init(&m, 1, 1, 0, 1, 0, 1, true, L2_FLOAT32), L2_ERR_ARG,
           "conv kernel 0");
    is_int(l2_conv2d_layer_init(&m, 1, 1, 1, 1, 0, 0, true, L2_FLOAT32), L2_ERR_ARG,
           "conv groups 0");
    is_int(l2_conv2d_layer_init(&m, 1, 1, 1, 1, 0, 1, false, L2_BOOL), L2_ERR_DTYPE,
           "conv bool");
    is_int(l2_conv2d_layer_init(&m, 1, 2, 1, 1, 0, 1, false, L2_FLOAT64), L2_OK,
           "conv without bias");
    ok(m.bias == NULL, "conv without bias has none");
    l2_conv2d_layer_free(&m);
}

static void test_batchnorm(void)
{
    l2_batchnorm2d_layer m = {0};
    is_int(l2_batchnorm2d_layer_init(&m, 3, L2_FLOAT32), L2_OK, "batchnorm init");
    is_near(scalar_of(l2_sum(m.weight)), 3, 0, "batchnorm weight ones");
    is_near(scalar_of(l2_sum(m.bias)), 0, 0, "batchnorm bias zeros");
    is_near(scalar_of(l2_sum(m.running_var)), 3, 0, "running var ones");
    ok(!l2_requires_grad(m.running_mean) && l2_requires_grad(m.weight),
       "running stats are no parameters, weight is");
    is_near(m.momentum, 0.1, 0, "momentum 0.1");
    is_near(m.eps, 1e-5, 0, "eps 1e-5");
    l2_tensor *x = l2_randn(4, (int64_t[]){2, 3, 2, 2}, L2_FLOAT32);
    l2_tensor *y = l2_batchnorm2d_layer_forward(&m, x, true);
    ok(shape_is(y, 4, (int64_t[]){2, 3, 2, 2}), "batchnorm forward keeps the shape");
    l2_tensor *mean = l2_mean(y);
    is_near(scalar_of(mean), 0, 1e-5, "training output has mean 0");
    double rm = scalar_of(l2_sum(m.running_mean));
    double xm = scalar_of(l2_sum(x)) / 8.0; /* the sum of the 3 channel means */
    is_near(rm, 0.1 * xm, 1e-5, "running mean moved by momentum 0.1 towards the batch mean");
    l2_tensor_release(y);
    l2_tensor *x3 = l2_randn(3, (int64_t[]){3, 2, 2}, L2_FLOAT32);
    ok(l2_batchnorm2d_layer_forward(&m, x3, false) == NULL && l2_last_status() == L2_ERR_SHAPE,
       "batchnorm forward of a 3-d input: %s", l2_last_error());
    ok(l2_batchnorm2d_layer_forward(&m, NULL, false) == NULL &&
           l2_last_status() == L2_ERR_NULL,
       "batchnorm forward NULL input");
    l2_tensor_release(x3);
    l2_params *p = l2_params_new();
    is_int(l2_batchnorm2d_layer_params(&m, p, "bn"), L2_OK, "batchnorm params");
    is_int(l2_params_count(p), 2, "batchnorm: weight and bias only");
    l2_params_free(p);
    is_int(l2_batchnorm2d_layer_params(NULL, NULL, NULL), L2_ERR_NULL, "bn params NULL");
    l2_batchnorm2d_layer_free(&m);
    ok(l2_batchnorm2d_layer_forward(&m, x, true) == NULL && l2_last_status() == L2_ERR_NULL,
       "batchnorm forward of a freed layer");
    l2_batchnorm2d_layer_free(NULL);
    l2_tensor_release(x);
    is_int(l2_batchnorm2d_layer_init(NULL, 3, L2_FLOAT32), L2_ERR_NULL, "bn init NULL");
    is_int(l2_batchnorm2d_layer_init(&m, 0, L2_FLOAT32), L2_ERR_ARG, "bn init 0 features");
    is_int(l2_batchnorm2d_layer_init(&m, 2, L2_INT64), L2_ERR_DTYPE, "bn init int64");
}

static void test_layernorm_embedding(void)
{
    l2_layernorm_layer ln = {0};
    is_int(l2_layernorm_layer_init(&ln, 4, L2_FLOAT64), L2_OK, "layernorm init");
    is_int(ln.features, 4, "layernorm features");
    l2_tensor *x = l2_randn(2, (int64_t[]){3, 4}, L2_FLOAT64);
    l2_tensor *y = l2_layernorm_layer_forward(&ln, x);
    l2_tensor *want = l2_layer_norm(x, 1, (int64_t[]){4}, ln.weight, ln.bias, 1e-5);
    is_near(max_abs_diff(y, want), 0, 0, "layernorm forward equals l2_layer_norm");
    is_near(scalar_of(l2_mean(y)), 0, 1e-12, "layernorm output has mean 0");
    l2_tensor_release(want);
    l2_tensor_release(y);
    l2_params *p = l2_params_new();
    is_int(l2_layernorm_layer_params(&ln, p, "ln"), L2_OK, "layernorm params");
    is_str(l2_params_names(p)[0], "ln.weight", "layernorm weight name");
    l2_params_free(p);
    is_int(l2_layernorm_layer_params(NULL, NULL, NULL), L2_ERR_NULL, "ln params NULL");
    l2_layernorm_layer_free(&ln);
    ok(l2_layernorm_layer_forward(&ln, x) == NULL && l2_last_status() == L2_ERR_NULL,
       "layernorm forward of a freed layer");
    l2_layernorm_layer_free(NULL);
    l2_tensor_release(x);
    is_int(l2_layernorm_layer_init(NULL, 4, L2_FLOAT32), L2_ERR_NULL, "ln init NULL");
    is_int(l2_layernorm_layer_init(&ln, -4, L2_FLOAT32), L2_ERR_ARG, "ln init -4");
    is_int(l2_layernorm_layer_init(&ln, 4, L2_BOOL), L2_ERR_DTYPE, "ln init bool");

    l2_embedding_layer e = {0};
    is_int(l2_embedding_layer_init(&e, 5, 3, L2_FLOAT32), L2_OK, "embedding init");
    ok(shape_is(e.weight, 2, (int64_t[]){5, 3}) && l2_requires_grad(e.weight),
       "embedding weight (5,3) requires grad");
    int64_t iv[] = {4, 0, 4};
    l2_tensor *idx = l2_from_data(iv, 1, (int64_t[]){3}, L2_INT64);
    l2_tensor *out = l2_embedding_layer_forward(&e, idx);
    ok(shape_is(out, 2, (int64_t[]){3, 3}), "embedding forward (3) -> (3,3)");
    l2_tensor *row = l2_select(e.weight, 0, 4), *got = l2_select(out, 0, 2);
    is_near(max_abs_diff(row, got), 0, 0, "embedding row 2 is weight row 4");
    l2_tensor_release(row);
    l2_tensor_release(got);
    l2_tensor_release(out);
    p = l2_params_new();
    is_int(l2_embedding_layer_params(&e, p, "emb"), L2_OK, "embedding params");
    is_str(l2_params_names(p)[0], "emb.weight", "embedding weight name");
    l2_params_free(p);
    is_int(l2_embedding_layer_params(NULL, NULL, NULL), L2_ERR_NULL, "emb params NULL");
    l2_embedding_layer_free(&e);
    ok(l2_embedding_layer_forward(&e, idx) == NULL && l2_last_status() == L2_ERR_NULL,
       "embedding forward of a freed layer");
    l2_embedding_layer_free(NULL);
    l2_tensor_release(idx);
    is_int(l2_embedding_layer_init(NULL, 1, 1, L2_FLOAT32), L2_ERR_NULL, "emb init NULL");
    is_int(l2_embedding_layer_init(&e, 1, 0, L2_FLOAT32), L2_ERR_ARG, "emb init dim 0");
    is_int(l2_embedding_layer_init(&e, 1, 1, L2_INT64), L2_ERR_DTYPE, "emb init int64");
}

/* Parameter lists: add errors, load by name, all or nothing. */
static void test_params(void)
{
    l2_params *p = l2_params_new();
    l2_tensor *a = l2_zeros(1, (int64_t[]){2}, L2_FLOAT32);
    l2_tensor *b = l2_zeros(2, (int64_t[]){2, 2}, L2_FLOAT64);
    is_int(l2_params_add(p, "a", a), L2_OK, "add a");
    is_int(l2_params_add(p, "b", b), L2_OK, "add b");
    is_int(l2_params_add(p, "", a), L2_ERR_ARG, "empty name");
    is_int(l2_params_add(p, NULL, a), L2_ERR_NULL, "NULL name");
    is_int(l2_params_add(p, "c", NULL), L2_ERR_NULL, "NULL tensor");
    is_int(l2_params_add(NULL, "c", a), L2_ERR_NULL, "NULL list");
    is_int(l2_params_count(NULL), 0, "count of NULL");
    /* Grow past the first capacity. */
    char name[16];
    int added = 0;
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "extra%d", i);
        added += l2_params_add(p, name, a) == L2_OK;
    }
    is_int(added, 40, "40 more parameters");
    is_int(l2_params_count(p), 42, "count 42");
    is_str(l2_params_names(p)[41], "extra39", "names keep their order");
    l2_params_free(p);
    l2_params_free(NULL);

    /* Load: values come from the dictionary by name. */
    p = l2_params_new();
    l2_params_add(p, "a", a);
    l2_params_add(p, "b", b);
    const char *path = "test-coverage-nn.safetensors";
    l2_tensor *a1 = l2_full(1, (int64_t[]){2}, 1.5, L2_FLOAT32);
    l2_tensor *b1 = l2_full(2, (int64_t[]){2, 2}, -2, L2_FLOAT64);
    l2_tensor *ts[] = {b1, a1};
    const char *names[] = {"b", "a"};
    is_int(l2_save_safetensors(path, 2, names, ts), L2_OK, "save a and b");
    l2_named_tensors *d = l2_load_safetensors(path);
    ok(d != NULL, "load them back");
    is_int(l2_params_load(p, d), L2_OK, "params_load");
    is_near(scalar_of(l2_sum(a)), 3, 0, "a loaded (sum 3)");
    is_near(scalar_of(l2_sum(b)), -8, 0, "b loaded (sum -8)");
    is_int(l2_params_load(NULL, d), L2_ERR_NULL, "params_load NULL list");
    is_int(l2_params_load(p, NULL), L2_ERR_NULL, "params_load NULL dictionary");
    l2_named_free(d);

    /* A shape mismatch and a missing name change nothing. */
    l2_tensor *a2 = l2_full(1, (int64_t[]){3}, 7, L2_FLOAT32);
    l2_tensor *b2 = l2_full(2, (int64_t[]){2, 2}, 9, L2_FLOAT64);
    l2_tensor *ts2[] = {b2, a2};
    l2_save_safetensors(path, 2, names, ts2);
    d = l2_load_safetensors(path);
    is_int(l2_params_load(p, d), L2_ERR_SHAPE, "params_load: a has another shape");
    ok(strstr(l2_last_error(), "'a'") != NULL, "message names a: %s", l2_last_error());
    is_near(scalar_of(l2_sum(b)), -8, 0, "b unchanged after the failed load");
    l2_named_free(d);
    l2_tensor *ts3[] = {b2};
    l2_save_safetensors(path, 1, names, ts3);
    d = l2_load_safetensors(path);
    is_int(l2_params_load(p, d), L2_ERR_ARG, "params_load: no tensor named a");
    is_near(scalar_of(l2_sum(b)), -8, 0, "b unchanged after the second failed load");
    l2_named_free(d);
    remove(path);
    l2_params_free(p);
    l2_tensor_release(a2);
    l2_tensor_release(b2);
    l2_tensor_release(a1);
    l2_tensor_release(b1);
    l2_tensor_release(a);
    l2_tensor_release(b);
}

/* Two steps with the gradient of sum(c * p) (so grad = c, constant), against the formulas of
 * l2.h computed here in double. kind 0 SGD, 1 Adam, 2 AdamW. */
static double ref_step(int kind, const l2_sgd_options *so, const l2_adam_options *ao, double p,
                       double g, int steps)
{
    double buf = 0, m = 0, v = 0, vmax = 0;
    for (int t = 1; t <= steps; t++) {
        if (kind == 0) {
            double d = so->maximize ? -g : g;
            d += so->weight_decay * p;
            if (so->momentum != 0) {
                buf = t == 1 ? d : so->momentum * buf + (1 - so->dampening) * d;
                d = so->nesterov ? d + so->momentum * buf : buf;
            }
            p -= so->lr * d;
        } else {
            double gk = ao->maximize ? -g : g;
            if (kind == 2)
                p *= 1 - ao->lr * ao->weight_decay;
            else
                gk += ao->weight_decay * p;
            m = ao->beta1 * m + (1 - ao->beta1) * gk;
            v = ao->beta2 * v + (1 - ao->beta2) * gk * gk;
            vmax = vmax > v ? vmax : v;
            double vv = ao->amsgrad ? vmax : v;
            p -= ao->lr / (1 - pow(ao->beta1, t)) * m /
                 (sqrt(vv) / sqrt(1 - pow(ao->beta2, t)) + ao->eps);
        }
    }
    return p;
}

static void test_optimizer_variants(void)
{
    for (int kind = 0; kind < 3; kind++)
        for (int variant = 0; variant < 4; variant++)
            for (int d = 0; d < 2; d++) {
                l2_dtype dt = d ? L2_FLOAT64 : L2_FLOAT32;
                l2_sgd_options so = l2_sgd_defaults(0.1);
                l2_adam_options ao = kind == 2 ? l2_adamw_defaults() : l2_adam_defaults();
                switch (variant) {
                case 0: so.maximize = true; ao.maximize = true; break;
                case 1: so.weight_decay = 0.1; ao.weight_decay = 0.05; break;
                case 2: so.momentum = 0.9; so.dampening = 0.3; ao.amsgrad = true; break;
                default:
                    so.momentum = 0.5;
                    so.nesterov = true;
                    ao.amsgrad = true;
                    ao.maximize = true;
                    break;
                }
                l2_tensor *p = l2_full(1, (int64_t[]){2}, 1.5, dt);
                l2_set_requires_grad(p, true);
                l2_tensor *c = l2_from_data((double[]){0.5, -2}, 1, (int64_t[]){2}, L2_FLOAT64);
                l2_tensor *cd = l2_to_dtype(c, dt);
                l2_optimizer *o = kind == 0   ? l2_sgd(1, &p, so)
                                  : kind == 1 ? l2_adam(1, &p, ao)
                                              : l2_adamw(1, &p, ao);
                int good = o != NULL;
                for (int step = 0; good && step < 2; step++) {
                    l2_tensor *pc = l2_mul(p, cd), *sum = l2_sum(pc);
                    good = l2_backward(sum, NULL, false) == L2_OK &&
                           l2_optimizer_step(o) == L2_OK &&
                           l2_optimizer_zero_grad(o, step == 0) == L2_OK;
                    l2_tensor_release(sum);
                    l2_tensor_release(pc);
                }
                double tol = d ? 1e-12 : 1e-5;
                for (int64_t k = 0; good && k < 2; k++) {
                    double got = 0, want = ref_step(kind, &so, &ao, 1.5, k ? -2 : 0.5, 2);
                    l2_get(p, &k, &got);
                    if (fabs(got - want) > tol * (1 + fabs(want))) {
                        good = 0;
                        printf("# kind %d variant %d %s [%lld]: got %.17g want %.17g\n", kind,
                               variant, l2_dtype_name(dt), (long long)k, got, want);
                    }
                }
                ok(good, "%s variant %d %s: two steps match the formulas of l2.h",
                   kind == 0 ? "sgd" : kind == 1 ? "adam" : "adamw", variant, l2_dtype_name(dt));
                l2_optimizer_free(o);
                l2_tensor_release(cd);
                l2_tensor_release(c);
                l2_tensor_release(p);
            }
    is_near(l2_lr_step(1, 5, 2, 0.5), 0.25, 1e-15, "StepLR: 1 * 0.5^floor(5/2)");
    is_near(l2_lr_cosine(1, 5, 10, 0), 0.5, 1e-15, "cosine at half of t_max");
}

int main(void)
{
    test_linear();
    test_conv();
    test_batchnorm();
    test_layernorm_embedding();
    test_params();
    test_optimizer_variants();
    l2_linear_layer lin;
    l2_conv2d_layer conv;
    l2_batchnorm2d_layer bn;
    l2_layernorm_layer ln;
    l2_embedding_layer emb;
    oom_sweep("linear init", lin_init, lin_free, &lin, sizeof lin);
    oom_sweep("conv2d init", conv_init, conv_free, &conv, sizeof conv);
    oom_sweep("batchnorm2d init", bn_init, bn_free, &bn, sizeof bn);
    oom_sweep("layernorm init", ln_init, ln_free, &ln, sizeof ln);
    oom_sweep("embedding init", emb_init, emb_free, &emb, sizeof emb);
    return tap_done();
}
