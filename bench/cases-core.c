/* cases-core.c: benchmark cases for what the libl2 core provides: creation, contiguous copies
 * of transposed tensors, views and slicing (pure per-call overhead), cat/stack, to_dtype,
 * copy_ with broadcasting, and the backward of clone and cat. Tensors are n x n float32 unless
 * the name says otherwise; inputs are made in setup, never timed.
 */
#include <stdint.h>
#include <string.h>

#include "cases.h"

/* See cases.h. A transposed operand is l2_t of a contiguous n x n tensor. */
void *bench_setup_square(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    int64_t n = c->p[1];
    l2_dtype dt = (l2_dtype)c->p[2];
    l2_tensor *a = l2_randn(L2_SHAPE(n, n), dt);
    l2_tensor *b = c->p[3] == LAYOUT_BROADCAST ? l2_randn(L2_SHAPE(n), dt)
                                                : l2_randn(L2_SHAPE(n, n), dt);
    if (c->p[3] == LAYOUT_TRANSPOSED) {
        d->t[0] = a ? l2_t(a) : NULL;
        d->t[1] = b ? l2_t(b) : NULL;
        l2_tensor_release(a);
        l2_tensor_release(b);
    } else {
        d->t[0] = a;
        d->t[1] = b;
    }
    d->t[2] = l2_ones(L2_SHAPE(n, n), dt);
    if (c->p[4] && d->t[0] && d->t[1]) {
        /* Leaves that require grad: make them contiguous-or-view leaves by detaching. */
        for (int i = 0; i < 2; i++) {
            l2_tensor *leaf = l2_detach(d->t[i]);
            l2_tensor_release(d->t[i]);
            d->t[i] = leaf;
            if (leaf)
                l2_set_requires_grad(leaf, true);
        }
    }
    return bdata_check(d, 3);
}

/* ---- creation: p[1] n (n x n float32) ---- */

static void *setup_none(const bench_case *c) { return bdata_new(c); }

#define CREATE_RUN(name, expr)                                                               \
    static int run_##name(void *p)                                                           \
    {                                                                                        \
        const bench_case *c = ((bdata *)p)->c;                                               \
        int64_t n = c->p[1];                                                                 \
        (void)n;                                                                             \
        return bench_consume(expr);                                                          \
    }
CREATE_RUN(empty, l2_empty(L2_SHAPE(n, n), L2_FLOAT32))
CREATE_RUN(zeros, l2_zeros(L2_SHAPE(n, n), L2_FLOAT32))
CREATE_RUN(ones, l2_ones(L2_SHAPE(n, n), L2_FLOAT32))
CREATE_RUN(full, l2_full(L2_SHAPE(n, n), 1.5, L2_FLOAT32))
CREATE_RUN(rand, l2_rand(L2_SHAPE(n, n), L2_FLOAT32))
CREATE_RUN(randn, l2_randn(L2_SHAPE(n, n), L2_FLOAT32))
CREATE_RUN(arange, l2_arange(0, (double)(n * n), 1, L2_FLOAT32))

/* ---- copies ---- */

static int run_clone(void *p) { return bench_consume(l2_clone(((bdata *)p)->t[0])); }
static int run_contiguous(void *p) { return bench_consume(l2_contiguous(((bdata *)p)->t[0])); }
static int run_to_f64(void *p)
{
    return bench_consume(l2_to_dtype(((bdata *)p)->t[0], L2_FLOAT64));
}
static int run_to_f32(void *p)
{
    return bench_consume(l2_to_dtype(((bdata *)p)->t[0], L2_FLOAT32));
}

static int run_cat0(void *p)
{
    bdata *d = p;
    return bench_consume(l2_cat(2, d->t, 0));
}

static int run_cat1(void *p)
{
    bdata *d = p;
    return bench_consume(l2_cat(2, d->t, 1));
}

static int run_stack0(void *p)
{
    bdata *d = p;
    return bench_consume(l2_stack(2, d->t, 0));
}

/* copy_ into a contiguous n x n destination (t[2]) from t[1] (contiguous, transposed or a row). */
static int run_copy_(void *p)
{
    bdata *d = p;
    return l2_copy_(d->t[2], d->t[1]) != L2_OK;
}

/* ---- views on a 64 x 64 tensor (t[0]) and a 1 x 64 row (t[1] reshaped): pure overhead ---- */

static int run_view(void *p) { return bench_consume(l2_view(((bdata *)p)->t[0], L2_SHAPE(-1))); }
static int run_reshape(void *p)
{
    return bench_consume(l2_reshape(((bdata *)p)->t[0], L2_SHAPE(16, -1)));
}
static int run_transpose(void *p) { return bench_consume(l2_transpose(((bdata *)p)->t[0], 0, 1)); }
static int run_slice(void *p)
{
    return bench_consume(l2_slice(((bdata *)p)->t[0], 1, 1, INT64_MAX, 2));
}
static int run_index(void *p) { return bench_consume(l2_index(((bdata *)p)->t[0], "1:3, ::2")); }
static int run_select(void *p) { return bench_consume(l2_select(((bdata *)p)->t[0], 0, 1)); }
static int run_narrow(void *p) { return bench_consume(l2_narrow(((bdata *)p)->t[0], 1, 1, 8)); }
static int run_unsqueeze(void *p) { return bench_consume(l2_unsqueeze(((bdata *)p)->t[0], 0)); }
static int run_permute(void *p)
{
    static const int perm[] = {1, 0};
    return bench_consume(l2_permute(((bdata *)p)->t[0], perm));
}
static int run_expand(void *p)
{
    bdata *d = p;
    int64_t n = d->c->p[1];
    return bench_consume(l2_expand(d->t[3], L2_SHAPE(n, n)));
}

/* Views need a 1 x n row in t[3] for expand. */
static void *setup_views(const bench_case *c)
{
    bdata *d = bench_setup_square(c);
    if (!d)
        return NULL;
    d->t[3] = l2_randn(L2_SHAPE(1, c->p[1]), L2_FLOAT32);
    return bdata_check(d, 4);
}

/* ---- core backward: forward + backward with a ones gradient, grads dropped after ---- */

/* y = clone(a); dy/da = identity. */
static int run_clone_bwd(void *p)
{
    bdata *d = p;
    l2_tensor *y = l2_clone(d->t[0]);
    int bad = !y || l2_backward(y, d->t[2], false) != L2_OK;
    l2_tensor_release(y);
    l2_set_grad_none(d->t[0]);
    return bad;
}

/* y = cat([a, b], 0); the gradient splits back into the two halves. */
static int run_cat_bwd(void *p)
{
    bdata *d = p;
    l2_tensor *y = l2_cat(2, d->t, 0);
    int bad = !y || l2_backward(y, d->t[3], false) != L2_OK;
    l2_tensor_release(y);
    l2_set_grad_none(d->t[0]);
    l2_set_grad_none(d->t[1]);
    return bad;
}

static void *setup_cat_bwd(const bench_case *c)
{
    bdata *d = bench_setup_square(c);
    if (!d)
        return NULL;
    d->t[3] = l2_ones(L2_SHAPE(2 * c->p[1], c->p[1]), (l2_dtype)c->p[2]);
    return bdata_check(d, 4);
}

/* ---- registration ---- */

static void add_square(const char *op, const char *variant, int64_t n, l2_dtype dt, int layout,
                       int grad, void *(*setup)(const bench_case *), int (*run)(void *),
                       double bytes_per_elem)
{
    bench_case c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "%s/%s/%s/%lldx%lld", op, bench_dtype_tag(dt), variant,
             (long long)n, (long long)n);
    c.setup = setup;
    c.run = run;
    c.teardown = bdata_free;
    c.p[1] = n;
    c.p[2] = dt;
    c.p[3] = layout;
    c.p[4] = grad;
    c.items = (double)(n * n);
    c.bytes = bytes_per_elem * (double)(n * n);
    bench_add(c, NULL);
}

void bench_cases_core(void)
{
    const int64_t *sizes;
    int ns = bench_square_sizes(&sizes);
    static const struct {
        const char *op;
        int (*run)(void *);
    } create[] = {{"empty", run_empty}, {"zeros", run_zeros}, {"ones", run_ones},
                  {"full", run_full},   {"rand", run_rand},   {"randn", run_randn},
                  {"arange", run_arange}};
    for (int s = 0; s < ns; s++) {
        int64_t n = sizes[s];
        for (size_t k = 0; k < sizeof create / sizeof create[0]; k++)
            add_square(create[k].op, "new", n, L2_FLOAT32, LAYOUT_CONTIG, 0, setup_none,
                       create[k].run, k == 0 ? 0 : 4);
        add_square("clone", "contig", n, L2_FLOAT32, LAYOUT_CONTIG, 0, bench_setup_square,
                   run_clone, 8);
        add_square("contiguous", "transposed", n, L2_FLOAT32, LAYOUT_TRANSPOSED, 0,
                   bench_setup_square, run_contiguous, 8);
        add_square("cat", "dim0", n, L2_FLOAT32, LAYOUT_CONTIG, 0, bench_setup_square, run_cat0,
                   16);
        add_square("cat", "dim1", n, L2_FLOAT32, LAYOUT_CONTIG, 0, bench_setup_square, run_cat1,
                   16);
        add_square("stack", "dim0", n, L2_FLOAT32, LAYOUT_CONTIG, 0, bench_setup_square,
                   run_stack0, 16);
        add_square("to_dtype", "f64", n, L2_FLOAT32, LAYOUT_CONTIG, 0, bench_setup_square,
                   run_to_f64, 12);
        add_square("to_dtype", "f32", n, L2_FLOAT64, LAYOUT_CONTIG, 0, bench_setup_square,
                   run_to_f32, 12);
        add_square("copy_", "contig", n, L2_FLOAT32, LAYOUT_CONTIG, 0, bench_setup_square,
                   run_copy_, 8);
        add_square("copy_", "transposed", n, L2_FLOAT32, LAYOUT_TRANSPOSED, 0,
                   bench_setup_square, run_copy_, 8);
        add_square("copy_", "broadcast", n, L2_FLOAT32, LAYOUT_BROADCAST, 0, bench_setup_square,
                   run_copy_, 4);
        add_square("clone+bwd", "contig", n, L2_FLOAT32, LAYOUT_CONTIG, 1, bench_setup_square,
                   run_clone_bwd, 16);
        add_square("cat+bwd", "dim0", n, L2_FLOAT32, LAYOUT_CONTIG, 1, setup_cat_bwd,
                   run_cat_bwd, 32);
    }
    /* Views: the size does not matter, the per-call overhead does. */
    static const struct {
        const char *op;
        int (*run)(void *);
    } views[] = {{"view", run_view},       {"reshape", run_reshape}, {"transpose", run_transpose},
                 {"slice", run_slice},     {"index", run_index},     {"select", run_select},
                 {"narrow", run_narrow},   {"unsqueeze", run_unsqueeze},
                 {"permute", run_permute}, {"expand", run_expand}};
    for (size_t k = 0; k < sizeof views / sizeof views[0]; k++)
        add_square(views[k].op, "view", 64, L2_FLOAT32, LAYOUT_CONTIG, 0, setup_views,
                   views[k].run, 0);
}
