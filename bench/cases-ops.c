/* cases-ops.c: benchmark cases for the op families (elementwise, reduce, linalg, nn, conv) and
 * their backward, plus one MLP training step. The ops are looked up in the running libl2 with
 * dlsym(RTLD_DEFAULT, ...), through local pointer types that follow /work/API-PLAN.md: a case
 * whose ops are missing is listed as missing (bench --l2_list) and not registered, so this file
 * builds and runs whatever subset of the families the library has.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cases.h"

/* Signatures of the planned ops (l2_reduction is passed as an int: NONE 0, MEAN 1, SUM 2). */
typedef l2_tensor *(*fn_t1)(const l2_tensor *);
typedef l2_tensor *(*fn_t2)(const l2_tensor *, const l2_tensor *);
typedef l2_status (*fn_inplace2)(l2_tensor *, const l2_tensor *);
typedef l2_tensor *(*fn_scalar)(const l2_tensor *, double);
typedef l2_tensor *(*fn_dims)(const l2_tensor *, int, const int *, bool);
typedef l2_tensor *(*fn_dim)(const l2_tensor *, int);
typedef l2_tensor *(*fn_maxdim)(const l2_tensor *, int, bool, l2_tensor **);
typedef l2_tensor *(*fn_ce)(const l2_tensor *, const l2_tensor *, int, int64_t, double);
typedef l2_tensor *(*fn_linear)(const l2_tensor *, const l2_tensor *, const l2_tensor *);
typedef l2_tensor *(*fn_conv)(const l2_tensor *, const l2_tensor *, const l2_tensor *,
                              const int64_t *, const int64_t *, const int64_t *, int64_t);

#define L2_REDUCTION_MEAN_ 1

/* The same signatures as prototypes, never called directly (so never linked): once a family's
 * declarations are in l2.h, a signature that differs from these fails to compile here
 * ("conflicting types") instead of crashing through a mistyped pointer. cross_entropy takes the
 * l2_reduction enum, which this branch's l2.h may not have yet, so it is not redeclared. */
l2_tensor *l2_relu(const l2_tensor *t);
l2_tensor *l2_exp(const l2_tensor *t);
l2_tensor *l2_tanh(const l2_tensor *t);
l2_tensor *l2_sigmoid(const l2_tensor *t);
l2_tensor *l2_add(const l2_tensor *a, const l2_tensor *b);
l2_tensor *l2_mul(const l2_tensor *a, const l2_tensor *b);
l2_tensor *l2_div(const l2_tensor *a, const l2_tensor *b);
l2_status l2_add_(l2_tensor *a, const l2_tensor *b);
l2_status l2_sub_(l2_tensor *a, const l2_tensor *b);
l2_tensor *l2_mul_scalar(const l2_tensor *a, double s);
l2_tensor *l2_sum(const l2_tensor *t);
l2_tensor *l2_mean(const l2_tensor *t);
l2_tensor *l2_sum_dims(const l2_tensor *t, int ndims, const int *dims, bool keepdim);
l2_tensor *l2_max_dim(const l2_tensor *t, int dim, bool keepdim, l2_tensor **indices);
l2_tensor *l2_mm(const l2_tensor *a, const l2_tensor *b);
l2_tensor *l2_bmm(const l2_tensor *a, const l2_tensor *b);
l2_tensor *l2_softmax(const l2_tensor *t, int dim);
l2_tensor *l2_log_softmax(const l2_tensor *t, int dim);
l2_tensor *l2_linear(const l2_tensor *x, const l2_tensor *w, const l2_tensor *b);
l2_tensor *l2_conv2d(const l2_tensor *x, const l2_tensor *w, const l2_tensor *b,
                     const int64_t stride[2], const int64_t padding[2], const int64_t dilation[2],
                     int64_t groups);

static void *sym(const char *name) { return dlsym(RTLD_DEFAULT, name); }

/* NULL when every symbol in names (NULL-terminated) exists, else "l2_x not in libl2". */
static const char *missing(const char *const *names)
{
    static char buf[96];
    for (int i = 0; names[i]; i++) {
        if (!sym(names[i])) {
            snprintf(buf, sizeof buf, "%s not in libl2", names[i]);
            return buf;
        }
    }
    return NULL;
}

/* The MLP step needs several ops; they are resolved once here. */
static struct {
    fn_linear linear;
    fn_t1 relu;
    fn_ce cross_entropy;
    fn_scalar mul_scalar;
    fn_inplace2 sub_;
} mlp_ops;

/* ---- generic runs: c->fn is the op ---- */

static int run_unary(void *p)
{
    bdata *d = p;
    return bench_consume(((fn_t1)d->c->fn)(d->t[0]));
}

static int run_binary(void *p)
{
    bdata *d = p;
    return bench_consume(((fn_t2)d->c->fn)(d->t[0], d->t[1]));
}

static int run_inplace(void *p)
{
    bdata *d = p;
    return ((fn_inplace2)d->c->fn)(d->t[0], d->t[1]) != L2_OK;
}

static int run_scalar(void *p)
{
    bdata *d = p;
    return bench_consume(((fn_scalar)d->c->fn)(d->t[0], 1.0001));
}

/* Reduce along dim p[5] (keepdim false). */
static int run_dims(void *p)
{
    bdata *d = p;
    int dim = (int)d->c->p[5];
    return bench_consume(((fn_dims)d->c->fn)(d->t[0], 1, &dim, false));
}

/* max along dim 1, values and indices (as torch.max(t, 1)). */
static int run_maxdim(void *p)
{
    bdata *d = p;
    l2_tensor *idx = NULL;
    l2_tensor *v = ((fn_maxdim)d->c->fn)(d->t[0], 1, false, &idx);
    l2_tensor_release(idx);
    return bench_consume(v);
}

static int run_softmax(void *p)
{
    bdata *d = p;
    return bench_consume(((fn_dim)d->c->fn)(d->t[0], 1));
}

static int run_ce(void *p)
{
    bdata *d = p;
    return bench_consume(((fn_ce)d->c->fn)(d->t[0], d->t[1], L2_REDUCTION_MEAN_, -100, 0.0));
}

static int run_conv(void *p)
{
    bdata *d = p;
    static const int64_t pad[2] = {1, 1};
    return bench_consume(((fn_conv)d->c->fn)(d->t[0], d->t[1], d->t[2], NULL, pad, NULL, 1));
}

/* ---- backward runs: forward, backward with t[7] as the upstream gradient (NULL for a
 * scalar), then every input's grad dropped (as `x.grad = None` in torch) ---- */

static int finish_bwd(bdata *d, l2_tensor *y, int ninputs)
{
    int bad = !y || l2_backward(y, d->t[7], false) != L2_OK;
    l2_tensor_release(y);
    for (int i = 0; i < ninputs; i++)
        l2_set_grad_none(d->t[i]);
    return bad;
}

static int run_unary_bwd(void *p)
{
    bdata *d = p;
    return finish_bwd(d, ((fn_t1)d->c->fn)(d->t[0]), 1);
}

static int run_binary_bwd(void *p)
{
    bdata *d = p;
    return finish_bwd(d, ((fn_t2)d->c->fn)(d->t[0], d->t[1]), 2);
}

static int run_softmax_bwd(void *p)
{
    bdata *d = p;
    return finish_bwd(d, ((fn_dim)d->c->fn)(d->t[0], 1), 1);
}

static int run_ce_bwd(void *p)
{
    bdata *d = p;
    l2_tensor *y = ((fn_ce)d->c->fn)(d->t[0], d->t[1], L2_REDUCTION_MEAN_, -100, 0.0);
    return finish_bwd(d, y, 1);
}

static int run_conv_bwd(void *p)
{
    bdata *d = p;
    static const int64_t pad[2] = {1, 1};
    l2_tensor *y = ((fn_conv)d->c->fn)(d->t[0], d->t[1], d->t[2], NULL, pad, NULL, 1);
    return finish_bwd(d, y, 3);
}

/* ---- setups ---- */

/* Make t[0..n-1] leaves that require grad. */
static void require_grad(bdata *d, int n)
{
    for (int i = 0; i < n; i++)
        if (d->t[i])
            l2_set_requires_grad(d->t[i], true);
}

/* bench_setup_square plus, for backward cases (p[4]), an upstream gradient of ones in t[7]
 * shaped like the output (n x n, or none for a scalar output when p[6] is set). */
static void *setup_square_bwd(const bench_case *c)
{
    bdata *d = bench_setup_square(c);
    if (!d)
        return NULL;
    if (c->p[4] && !c->p[6]) {
        d->t[7] = l2_ones(L2_SHAPE(c->p[1], c->p[1]), (l2_dtype)c->p[2]);
        if (!d->t[7]) {
            bdata_free(d);
            return NULL;
        }
    }
    return d;
}

/* Batched: t[0], t[1] of shape (p[5], n, n). */
static void *setup_batched(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    int64_t b = c->p[5], n = c->p[1];
    d->t[0] = l2_randn(L2_SHAPE(b, n, n), (l2_dtype)c->p[2]);
    d->t[1] = l2_randn(L2_SHAPE(b, n, n), (l2_dtype)c->p[2]);
    return bdata_check(d, 2);
}

/* Rows x cols logits in t[0] (p[1] rows, p[5] cols); for cross_entropy (p[6]) int64 targets in
 * t[1]; for backward (p[4]) t[0] requires grad and t[7] is a ones gradient (softmax only). */
static void *setup_rows(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    int64_t r = c->p[1], k = c->p[5];
    d->t[0] = l2_randn(L2_SHAPE(r, k), L2_FLOAT32);
    d->t[1] = c->p[6] ? l2_randint(0, k, L2_SHAPE(r)) : l2_zeros(L2_SHAPE(1), L2_FLOAT32);
    if (c->p[4] && !c->p[6])
        d->t[7] = l2_ones(L2_SHAPE(r, k), L2_FLOAT32);
    if (c->p[4])
        require_grad(d, 1);
    if (!bdata_check(d, 2))
        return NULL;
    if (c->p[4] && !c->p[6] && !d->t[7]) {
        bdata_free(d);
        return NULL;
    }
    return d;
}

/* conv2d: x (p[1], p[2], p[3], p[3]), w (p[5], p[2], 3, 3), bias (p[5]); padding 1 keeps H, W.
 * Backward: all three require grad, t[7] = ones of the output shape. */
static void *setup_conv(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    int64_t n = c->p[1], ch = c->p[2], hw = c->p[3], o = c->p[5];
    d->t[0] = l2_randn(L2_SHAPE(n, ch, hw, hw), L2_FLOAT32);
    d->t[1] = l2_randn(L2_SHAPE(o, ch, 3, 3), L2_FLOAT32);
    d->t[2] = l2_randn(L2_SHAPE(o), L2_FLOAT32);
    if (c->p[4]) {
        d->t[7] = l2_ones(L2_SHAPE(n, o, hw, hw), L2_FLOAT32);
        require_grad(d, 3);
        if (!d->t[7]) {
            bdata_free(d);
            return NULL;
        }
    }
    return bdata_check(d, 3);
}

/* ---- the MLP training step: 784-256-10, batch 64, manual SGD (lr 0.01) ----
 * t[0] x (64, 784), t[1] labels (64) int64, t[2] w1 (256, 784), t[3] b1 (256), t[4] w2 (10, 256),
 * t[5] b2 (10): nn.Linear's layout, weights scaled like its default initialisation. */
static void *setup_mlp_sized(const bench_case *c, int64_t in, int64_t hid)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    double b1 = 1.0 / sqrt((double)in), b2 = 1.0 / sqrt((double)hid);
    d->t[0] = l2_randn(L2_SHAPE(64, in), L2_FLOAT32);
    d->t[1] = l2_randint(0, 10, L2_SHAPE(64));
    d->t[2] = l2_uniform(L2_SHAPE(hid, in), -b1, b1, L2_FLOAT32);
    d->t[3] = l2_uniform(L2_SHAPE(hid), -b1, b1, L2_FLOAT32);
    d->t[4] = l2_uniform(L2_SHAPE(10, hid), -b2, b2, L2_FLOAT32);
    d->t[5] = l2_uniform(L2_SHAPE(10), -b2, b2, L2_FLOAT32);
    for (int i = 2; i < 6; i++)
        if (d->t[i])
            l2_set_requires_grad(d->t[i], true);
    return bdata_check(d, 6);
}

static void *setup_mlp(const bench_case *c)
{
    return setup_mlp_sized(c, 784, 256);
}

/* One step: loss = cross_entropy(linear(relu(linear(x, w1, b1)), w2, b2), y); backward;
 * p -= lr * p.grad under no-grad; grads dropped. Intermediates live in a scope. */
static int run_mlp(void *p)
{
    bdata *d = p;
    int bad = l2_scope_begin() != L2_OK;
    if (bad)
        return 1;
    l2_tensor *h = mlp_ops.relu(mlp_ops.linear(d->t[0], d->t[2], d->t[3]));
    l2_tensor *logits = h ? mlp_ops.linear(h, d->t[4], d->t[5]) : NULL;
    l2_tensor *loss =
        logits ? mlp_ops.cross_entropy(logits, d->t[1], L2_REDUCTION_MEAN_, -100, 0.0) : NULL;
    bad = !loss || l2_backward(loss, NULL, false) != L2_OK;
    l2_no_grad_begin();
    for (int i = 2; i < 6 && !bad; i++) {
        l2_tensor *step = mlp_ops.mul_scalar(l2_grad(d->t[i]), 0.01);
        bad = !step || mlp_ops.sub_(d->t[i], step) != L2_OK;
    }
    l2_no_grad_end();
    for (int i = 2; i < 6; i++)
        l2_set_grad_none(d->t[i]);
    l2_scope_end();
    return bad;
}

/* ---- the CNN training step of examples/fashion_mnist: batch 64 of 1x28x28, conv 3x3 (pad 1) 16
 * -> relu -> maxpool 2 -> conv 3x3 32 -> relu -> maxpool 2 -> linear 32*7*7 -> 10, manual SGD.
 * t[0] x, t[1] labels, t[2] w1 (16,1,3,3), t[3] b1, t[4] w2 (32,16,3,3), t[5] b2,
 * t[6] w3 (10,1568), t[7] b3. */
typedef l2_tensor *(*fn_pool)(const l2_tensor *, const int64_t *, const int64_t *,
                              const int64_t *);
static struct {
    fn_conv conv2d;
    fn_pool max_pool2d;
} cnn_ops;

static void *setup_cnn(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    d->t[0] = l2_rand(L2_SHAPE(64, 1, 28, 28), L2_FLOAT32);
    d->t[1] = l2_randint(0, 10, L2_SHAPE(64));
    d->t[2] = l2_uniform(L2_SHAPE(16, 1, 3, 3), -0.333, 0.333, L2_FLOAT32);
    d->t[3] = l2_uniform(L2_SHAPE(16), -0.333, 0.333, L2_FLOAT32);
    d->t[4] = l2_uniform(L2_SHAPE(32, 16, 3, 3), -0.083, 0.083, L2_FLOAT32);
    d->t[5] = l2_uniform(L2_SHAPE(32), -0.083, 0.083, L2_FLOAT32);
    d->t[6] = l2_uniform(L2_SHAPE(10, 1568), -0.025, 0.025, L2_FLOAT32);
    d->t[7] = l2_uniform(L2_SHAPE(10), -0.025, 0.025, L2_FLOAT32);
    for (int i = 2; i < 8; i++)
        if (d->t[i])
            l2_set_requires_grad(d->t[i], true);
    return bdata_check(d, 8);
}

static int run_cnn(void *p)
{
    bdata *d = p;
    const int64_t pad[2] = {1, 1}, k2[2] = {2, 2};
    if (l2_scope_begin() != L2_OK)
        return 1;
    l2_tensor *h = cnn_ops.conv2d(d->t[0], d->t[2], d->t[3], NULL, pad, NULL, 1);
    h = h ? cnn_ops.max_pool2d(mlp_ops.relu(h), k2, NULL, NULL) : NULL;
    h = h ? cnn_ops.conv2d(h, d->t[4], d->t[5], NULL, pad, NULL, 1) : NULL;
    h = h ? cnn_ops.max_pool2d(mlp_ops.relu(h), k2, NULL, NULL) : NULL;
    l2_tensor *logits = h ? mlp_ops.linear(l2_flatten(h, 1, -1), d->t[6], d->t[7]) : NULL;
    l2_tensor *loss =
        logits ? mlp_ops.cross_entropy(logits, d->t[1], L2_REDUCTION_MEAN_, -100, 0.0) : NULL;
    int bad = !loss || l2_backward(loss, NULL, false) != L2_OK;
    l2_no_grad_begin();
    for (int i = 2; i < 8 && !bad; i++) {
        l2_tensor *step = mlp_ops.mul_scalar(l2_grad(d->t[i]), 0.01);
        bad = !step || mlp_ops.sub_(d->t[i], step) != L2_OK;
    }
    l2_no_grad_end();
    for (int i = 2; i < 8; i++)
        l2_set_grad_none(d->t[i]);
    l2_scope_end();
    return bad;
}

/* ---- resident memory over many steps (l2bench --l2_rss, never timed) ---- */

/* Resident set now (/proc/self/statm) and its peak (getrusage), in KiB. */
static void rss_kib(long *now, long *peak)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = -1;
    if (f)
        fclose(f);
    *now = resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
    struct rusage ru;
    *peak = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

int bench_rss_main(const char *model, long first, long last, int threads)
{
    bench_case c;
    memset(&c, 0, sizeof c);
    c.threads = threads;
    int mlp = strcmp(model, "mlp") == 0;
    if (!mlp && strcmp(model, "small") != 0) {
        fprintf(stderr, "l2bench --l2_rss: model %s is not mlp or small\n", model);
        return 2;
    }
    if (!mlp_ops.linear || first < 1 || last < first) {
        fprintf(stderr, "l2bench --l2_rss: %s\n",
                mlp_ops.linear ? "need 1 <= first <= last steps" : "the MLP's ops are missing");
        return 2;
    }
    l2_set_num_threads(threads);
    bdata *d = mlp ? setup_mlp(&c) : setup_mlp_sized(&c, 64, 32);
    if (!d) {
        fprintf(stderr, "l2bench --l2_rss: setup failed: %s\n", l2_last_error());
        return 1;
    }
    long now[2] = {0, 0}, peak[2] = {0, 0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int bad = 0;
    for (long step = 1; step <= last && !bad; step++) {
        bad = run_mlp(d);
        if (step == first)
            rss_kib(&now[0], &peak[0]);
    }
    rss_kib(&now[1], &peak[1]);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    bdata_free(d);
    if (bad) {
        fprintf(stderr, "l2bench --l2_rss: a step failed: %s\n", l2_last_error());
        return 1;
    }
    printf("{\"model\": \"%s\", \"threads\": %d, \"steps\": [%ld, %ld], "
           "\"rss_kib\": [%ld, %ld], \"maxrss_kib\": [%ld, %ld], \"seconds\": %.3f}\n",
           mlp ? "mlp_step/f32/sgd/64x784-256-10" : "mlp_step/f32/sgd/64x64-32-10", threads,
           first, last, now[0], now[1], peak[0], peak[1],
           (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
    return 0;
}

/* ---- registration ---- */

typedef struct {
    const char *op, *variant;
    int layout;
} sq_spec;

/* Register an n x n case for op symbol `symbol` (NULL-terminated extra symbols in more). */
static void add_case(bench_case c, const char *symbol)
{
    const char *names[] = {symbol, NULL};
    const char *why = missing(names);
    c.fn = why ? NULL : sym(symbol);
    if (!c.teardown)
        c.teardown = bdata_free;
    bench_add(c, why);
}

static bench_case square_case(const char *op, const char *variant, int64_t n, l2_dtype dt,
                              int layout, int grad, int (*run)(void *), double bytes_per_elem)
{
    bench_case c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "%s/%s/%s/%lldx%lld", op, bench_dtype_tag(dt), variant,
             (long long)n, (long long)n);
    c.setup = setup_square_bwd;
    c.run = run;
    c.p[1] = n;
    c.p[2] = dt;
    c.p[3] = layout;
    c.p[4] = grad;
    c.items = (double)(n * n);
    c.bytes = bytes_per_elem * (double)(n * n);
    return c;
}

static void add_elementwise(int64_t n)
{
    static const char *unary[] = {"relu", "exp", "tanh", "sigmoid"};
    static const char *binary[] = {"add", "mul", "div"};
    static const char *layouts[] = {"contig", "transposed", "broadcast"};
    char symbol[64];
    for (size_t k = 0; k < 4; k++) {
        snprintf(symbol, sizeof symbol, "l2_%s", unary[k]);
        for (int l = 0; l < 2; l++)
            add_case(square_case(unary[k], layouts[l], n, L2_FLOAT32, l, 0, run_unary, 8),
                     symbol);
    }
    for (size_t k = 0; k < 3; k++) {
        snprintf(symbol, sizeof symbol, "l2_%s", binary[k]);
        for (int l = 0; l < 3; l++)
            add_case(square_case(binary[k], layouts[l], n, L2_FLOAT32, l, 0, run_binary,
                                 l == LAYOUT_BROADCAST ? 8 : 12),
                     symbol);
    }
    add_case(square_case("add_", "contig", n, L2_FLOAT32, LAYOUT_CONTIG, 0, run_inplace, 12),
             "l2_add_");
    add_case(square_case("mul_scalar", "contig", n, L2_FLOAT32, LAYOUT_CONTIG, 0, run_scalar, 8),
             "l2_mul_scalar");
    /* Backward of the family: y = f(x) or f(a, b), dy = ones. */
    add_case(square_case("tanh+bwd", "contig", n, L2_FLOAT32, LAYOUT_CONTIG, 1, run_unary_bwd,
                         24),
             "l2_tanh");
    add_case(square_case("relu+bwd", "contig", n, L2_FLOAT32, LAYOUT_CONTIG, 1, run_unary_bwd,
                         24),
             "l2_relu");
    add_case(square_case("mul+bwd", "contig", n, L2_FLOAT32, LAYOUT_CONTIG, 1, run_binary_bwd,
                         36),
             "l2_mul");
    add_case(square_case("mul+bwd", "broadcast", n, L2_FLOAT32, LAYOUT_BROADCAST, 1,
                         run_binary_bwd, 32),
             "l2_mul");
}

static void add_reductions(int64_t n)
{
    bench_case c = square_case("sum", "all", n, L2_FLOAT32, LAYOUT_CONTIG, 0, run_unary, 4);
    add_case(c, "l2_sum");
    c = square_case("mean", "all", n, L2_FLOAT32, LAYOUT_CONTIG, 0, run_unary, 4);
    add_case(c, "l2_mean");
    c = square_case("sum", "dim0", n, L2_FLOAT32, LAYOUT_CONTIG, 0, run_dims, 4);
    c.p[5] = 0;
    add_case(c, "l2_sum_dims");
    c = square_case("sum", "dim1", n, L2_FLOAT32, LAYOUT_CONTIG, 0, run_dims, 4);
    c.p[5] = 1;
    add_case(c, "l2_sum_dims");
    c = square_case("max", "dim1", n, L2_FLOAT32, LAYOUT_CONTIG, 0, run_maxdim, 4);
    add_case(c, "l2_max_dim");
    /* sum(a).backward(): the gradient is a broadcast of ones. */
    c = square_case("sum+bwd", "all", n, L2_FLOAT32, LAYOUT_CONTIG, 1, run_unary_bwd, 8);
    c.p[6] = 1;
    add_case(c, "l2_sum");
}

static void add_matmul(void)
{
    const int64_t *sizes;
    int ns = bench_matmul_sizes(&sizes);
    bool full = bench_full_profile();
    for (int s = 0; s < ns; s++) {
        int64_t n = sizes[s];
        double flops = 2.0 * (double)n * (double)n * (double)n;
        for (int f64 = 0; f64 < 2; f64++) {
            l2_dtype dt = f64 ? L2_FLOAT64 : L2_FLOAT32;
            bench_case c = square_case("mm", "contig", n, dt, LAYOUT_CONTIG, 0, run_binary, 0);
            c.bytes = 3.0 * (double)(n * n) * (double)l2_dtype_size(dt);
            c.flops = flops;
            add_case(c, "l2_mm");
        }
    }
    static const int64_t tq[] = {256}, tf[] = {256, 1024};
    const int64_t *ts = full ? tf : tq;
    for (int s = 0; s < (full ? 2 : 1); s++) {
        int64_t n = ts[s];
        bench_case c = square_case("mm", "transposed", n, L2_FLOAT32, LAYOUT_TRANSPOSED, 0,
                                   run_binary, 12);
        c.flops = 2.0 * (double)n * (double)n * (double)n;
        add_case(c, "l2_mm");
    }
    /* Batched: (B, n, n) @ (B, n, n). */
    static const int64_t bq[][2] = {{8, 64}}, bf[][2] = {{8, 64}, {32, 128}, {8, 512}};
    const int64_t(*bs)[2] = full ? bf : bq;
    for (int s = 0; s < (full ? 3 : 1); s++) {
        int64_t b = bs[s][0], n = bs[s][1];
        bench_case c;
        memset(&c, 0, sizeof c);
        snprintf(c.name, sizeof c.name, "bmm/f32/contig/%lldx%lldx%lld", (long long)b,
                 (long long)n, (long long)n);
        c.setup = setup_batched;
        c.run = run_binary;
        c.p[1] = n;
        c.p[2] = L2_FLOAT32;
        c.p[5] = b;
        c.items = (double)(b * n * n);
        c.bytes = 12.0 * (double)(b * n * n);
        c.flops = 2.0 * (double)b * (double)n * (double)n * (double)n;
        add_case(c, "l2_bmm");
    }
    /* mm backward: da = dy b^T, db = a^T dy (three matmuls in all). */
    static const int64_t gq[] = {64}, gf[] = {64, 256, 1024};
    const int64_t *gs = full ? gf : gq;
    for (int s = 0; s < (full ? 3 : 1); s++) {
        int64_t n = gs[s];
        bench_case c = square_case("mm+bwd", "contig", n, L2_FLOAT32, LAYOUT_CONTIG, 1,
                                   run_binary_bwd, 24);
        c.flops = 6.0 * (double)n * (double)n * (double)n;
        add_case(c, "l2_mm");
    }
}

static bench_case rows_case(const char *op, const char *variant, int64_t r, int64_t k, int grad,
                            int ce, int (*run)(void *))
{
    bench_case c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "%s/f32/%s/%lldx%lld", op, variant, (long long)r,
             (long long)k);
    c.setup = setup_rows;
    c.run = run;
    c.p[1] = r;
    c.p[5] = k;
    c.p[4] = grad;
    c.p[6] = ce;
    c.items = (double)(r * k);
    c.bytes = (grad ? 16.0 : 8.0) * (double)(r * k);
    return c;
}

static void add_nn(void)
{
    bool full = bench_full_profile();
    static const int64_t sq[][2] = {{64, 1000}}, sf[][2] = {{64, 1000}, {1024, 1024}};
    const int64_t(*ss)[2] = full ? sf : sq;
    for (int s = 0; s < (full ? 2 : 1); s++) {
        int64_t r = ss[s][0], k = ss[s][1];
        add_case(rows_case("softmax", "dim1", r, k, 0, 0, run_softmax), "l2_softmax");
        add_case(rows_case("log_softmax", "dim1", r, k, 0, 0, run_softmax), "l2_log_softmax");
        add_case(rows_case("softmax+bwd", "dim1", r, k, 1, 0, run_softmax_bwd), "l2_softmax");
        add_case(rows_case("log_softmax+bwd", "dim1", r, k, 1, 0, run_softmax_bwd),
                 "l2_log_softmax");
    }
    static const int64_t cq[][2] = {{64, 10}}, cf[][2] = {{64, 10}, {256, 1000}};
    const int64_t(*cs)[2] = full ? cf : cq;
    for (int s = 0; s < (full ? 2 : 1); s++) {
        int64_t r = cs[s][0], k = cs[s][1];
        add_case(rows_case("cross_entropy", "mean", r, k, 0, 1, run_ce), "l2_cross_entropy");
        add_case(rows_case("cross_entropy+bwd", "mean", r, k, 1, 1, run_ce_bwd),
                 "l2_cross_entropy");
    }
}

static void add_conv(void)
{
    /* (N, C, HW, O): x (N, C, HW, HW), w (O, C, 3, 3), padding 1. The first two are the
     * CNN's (examples/fashion_mnist, batch 64): conv1 and conv2. */
    static const int64_t q[][4] = {{64, 1, 28, 16}, {64, 16, 14, 32}, {8, 3, 32, 16}},
                         f[][4] = {{64, 1, 28, 16}, {64, 16, 14, 32}, {8, 3, 32, 16},
                                   {8, 64, 32, 64}};
    bool full = bench_full_profile();
    const int64_t(*cs)[4] = full ? f : q;
    for (int s = 0; s < (full ? 4 : 3); s++) {
        int64_t n = cs[s][0], ch = cs[s][1], hw = cs[s][2], o = cs[s][3];
        for (int grad = 0; grad < 2; grad++) {
            bench_case c;
            memset(&c, 0, sizeof c);
            snprintf(c.name, sizeof c.name, "%s/f32/pad1/%lldx%lldx%lldx%lld-%lldx%lldx3x3",
                     grad ? "conv2d+bwd" : "conv2d", (long long)n, (long long)ch, (long long)hw,
                     (long long)hw, (long long)o, (long long)ch);
            c.setup = setup_conv;
            c.run = grad ? run_conv_bwd : run_conv;
            c.p[1] = n;
            c.p[2] = ch;
            c.p[3] = hw;
            c.p[4] = grad;
            c.p[5] = o;
            c.items = (double)(n * o * hw * hw);
            c.flops = (grad ? 3.0 : 1.0) * 2.0 * (double)(n * o * hw * hw) * (double)(ch * 9);
            add_case(c, "l2_conv2d");
        }
    }
}

static void add_mlp(void)
{
    static const char *const names[] = {"l2_linear", "l2_relu", "l2_cross_entropy",
                                        "l2_mul_scalar", "l2_sub_", NULL};
    bench_case c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "mlp_step/f32/sgd/64x784-256-10");
    c.setup = setup_mlp;
    c.run = run_mlp;
    c.teardown = bdata_free;
    c.items = 64;
    /* Forward 2*64*(784*256 + 256*10); backward about twice that (no gradient for x). */
    c.flops = 3.0 * 2.0 * 64.0 * (784.0 * 256.0 + 256.0 * 10.0);
    const char *why = missing(names);
    if (!why) {
        mlp_ops.linear = (fn_linear)sym("l2_linear");
        mlp_ops.relu = (fn_t1)sym("l2_relu");
        mlp_ops.cross_entropy = (fn_ce)sym("l2_cross_entropy");
        mlp_ops.mul_scalar = (fn_scalar)sym("l2_mul_scalar");
        mlp_ops.sub_ = (fn_inplace2)sym("l2_sub_");
    }
    bench_add(c, why);
}

static void add_cnn(void)
{
    static const char *const names[] = {"l2_linear", "l2_relu", "l2_cross_entropy",
                                        "l2_mul_scalar", "l2_sub_", "l2_conv2d",
                                        "l2_max_pool2d", NULL};
    bench_case c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "cnn_step/f32/sgd/64x1x28x28-16-32-10");
    c.setup = setup_cnn;
    c.run = run_cnn;
    c.teardown = bdata_free;
    c.items = 64;
    /* Forward MACs per image: 28*28*16*9 + 14*14*32*16*9 + 1568*10; x2 FLOPs, x3 with backward. */
    c.flops = 3.0 * 2.0 * 64.0 * (28.0 * 28 * 16 * 9 + 14.0 * 14 * 32 * 16 * 9 + 1568.0 * 10);
    const char *why = missing(names);
    if (!why) {
        cnn_ops.conv2d = (fn_conv)sym("l2_conv2d");
        cnn_ops.max_pool2d = (fn_pool)sym("l2_max_pool2d");
    }
    bench_add(c, why);
}

void bench_cases_ops(void)
{
    const int64_t *sizes;
    int ns = bench_square_sizes(&sizes);
    for (int s = 0; s < ns; s++)
        add_elementwise(sizes[s]);
    for (int s = 0; s < ns; s++)
        add_reductions(sizes[s]);
    add_matmul();
    add_nn();
    add_conv();
    add_mlp();
    add_cnn();
    /* The targets' add and mul of 16M elements into a fresh output: the full profile has them
     * among the square sizes; the quick one adds these two. */
    if (!bench_full_profile()) {
        add_case(square_case("add", "contig", 4096, L2_FLOAT32, LAYOUT_CONTIG, 0, run_binary, 12),
                 "l2_add");
        add_case(square_case("mul", "contig", 4096, L2_FLOAT32, LAYOUT_CONTIG, 0, run_binary, 12),
                 "l2_mul");
    }
}
