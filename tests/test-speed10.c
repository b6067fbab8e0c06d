/* test-speed10.c: the shape family's fast gradients (issue 12, speed10). The gradients of the
 * pieces of unbind, split, chunk, narrow and diagonal are added into one gradient buffer of
 * their input in place (autograd-engine.c, region_add): pieces without a gradient leave zeros,
 * a piece used twice adds twice, overlapping pieces add up, a non-leaf input, retain_graph,
 * autograd_grad, a shared gradient (general path), float64, and allocation failures. */
#include <l2.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

/* Whether t (any shape) holds v[0..n) in row-major order; prints the first mismatch. */
static int flat_is(const l2_tensor *t, int64_t n, const double *v, const char *name)
{
    int64_t m = 1;
    for (int d = 0; t && d < l2_ndim(t); d++)
        m *= l2_shape(t)[d];
    if (!t || m != n) {
        tap_diag("%s: %s", name, t ? "wrong size" : "no tensor");
        return 0;
    }
    for (int64_t i = 0; i < n; i++)
        if (flat(t, i) != v[i]) {
            tap_diag("%s: element %lld is %g, wanted %g", name, (long long)i, flat(t, i), v[i]);
            return 0;
        }
    return 1;
}

/* sum_k w[k] * sum(p[k]) over the pieces with w[k] != 0 (a scalar; NULL when none). */
static l2_tensor *weighted(l2_tensor **p, int64_t n, const double *w)
{
    l2_tensor *y = NULL;
    for (int64_t k = 0; k < n; k++) {
        if (w[k] == 0)
            continue;
        l2_tensor *s = l2_sum(l2_mul_scalar(p[k], w[k]));
        y = y ? l2_add(y, s) : s;
    }
    return y;
}

static void test_unbind(l2_dtype dt)
{
    const char *nm = dt == L2_FLOAT64 ? "f64" : "f32";
    char name[96];
    l2_scope_begin();
    l2_tensor *x = ar(2, (const int64_t[]){4, 3}, dt);
    l2_set_requires_grad(x, true);
    l2_tensor *p[4];
    int64_t n = 0;
    ok(l2_unbind(x, 0, p, 4, &n) == L2_OK && n == 4, "unbind %s: 4 pieces", nm);
    /* pieces 1 and 3 get no gradient; piece 2 is used twice (3 + 4) */
    l2_tensor *y = weighted(p, 4, (const double[]){1, 0, 3, 0});
    y = l2_add(y, l2_sum(l2_mul_scalar(p[2], 4)));
    ok(l2_backward(y, NULL, false) == L2_OK, "unbind %s: backward", nm);
    snprintf(name, sizeof name, "unbind %s: some pieces, one used twice", nm);
    ok(flat_is(l2_grad(x), 12, (const double[]){1, 1, 1, 0, 0, 0, 7, 7, 7, 0, 0, 0}, name),
       "%s", name);
    l2_scope_end();
}

/* Overlapping narrows of one input: their gradients add up where they overlap. */
static void test_overlap(void)
{
    l2_scope_begin();
    l2_tensor *x = ar(1, (const int64_t[]){6}, L2_FLOAT32);
    l2_set_requires_grad(x, true);
    l2_tensor *p[3] = {l2_narrow(x, 0, 0, 4), l2_narrow(x, 0, 2, 4), l2_narrow(x, 0, 1, 1)};
    l2_tensor *y = weighted(p, 3, (const double[]){1, 10, 100});
    ok(l2_backward(y, NULL, false) == L2_OK, "overlap: backward");
    ok(flat_is(l2_grad(x), 6, (const double[]){1, 101, 11, 11, 10, 10}, "overlap"),
       "overlap: narrows add where they overlap");
    l2_scope_end();
}

/* split of a non-leaf (x * 2) along dim 1, retain_graph, then autograd_grad. */
static void test_nonleaf(void)
{
    l2_scope_begin();
    l2_tensor *x = ar(2, (const int64_t[]){2, 5}, L2_FLOAT32);
    l2_set_requires_grad(x, true);
    l2_tensor *h = l2_mul_scalar(x, 2);
    l2_tensor *p[3];
    int64_t n = 0;
    ok(l2_split(h, 2, 1, p, 3, &n) == L2_OK && n == 3, "split: 3 pieces");
    l2_tensor *y = weighted(p, 3, (const double[]){1, 0, 5});
    const double want[10] = {2, 2, 0, 0, 10, 2, 2, 0, 0, 10};
    ok(l2_backward(y, NULL, true) == L2_OK, "split non-leaf: backward, retain_graph");
    ok(flat_is(l2_grad(x), 10, want, "split non-leaf"), "split non-leaf: gradient");
    ok(l2_backward(y, NULL, false) == L2_OK, "split non-leaf: second backward");
    double twice[10];
    for (int i = 0; i < 10; i++)
        twice[i] = 2 * want[i];
    ok(flat_is(l2_grad(x), 10, twice, "split twice"), "split non-leaf: gradients accumulate");
    ok(l2_backward(y, NULL, false) == L2_ERR_AUTOGRAD, "split non-leaf: third backward fails");
    ok(flat_is(l2_grad(x), 10, twice, "split unchanged"), "split: failed backward changes none");

    h = l2_mul_scalar(x, 2); /* a new graph: the last backward freed the first */
    ok(l2_split(h, 2, 1, p, 3, &n) == L2_OK && n == 3, "split: 3 pieces again");
    y = weighted(p, 3, (const double[]){1, 3, 5});
    l2_tensor *g[2] = {NULL, NULL};
    l2_tensor *in[2] = {x, h};
    if (!ok(l2_autograd_grad(1, &y, NULL, 2, in, g, false, false) == L2_OK, "split: autograd_grad"))
        tap_diag("%s", l2_last_error());
    ok(flat_is(g[0], 10, (const double[]){2, 2, 6, 6, 10, 2, 2, 6, 6, 10}, "autograd_grad x"),
       "split: autograd_grad of x");
    ok(flat_is(g[1], 10, (const double[]){1, 1, 3, 3, 5, 1, 1, 3, 3, 5}, "autograd_grad h"),
       "split: autograd_grad of h (non-leaf)");
    l2_scope_end();
}

/* x feeds an add directly and through chunk's pieces: the gradient arriving first may be
 * shared (the general path), the sums are the same. */
static void test_shared(void)
{
    l2_scope_begin();
    l2_tensor *x = ar(1, (const int64_t[]){4}, L2_FLOAT32);
    l2_set_requires_grad(x, true);
    l2_tensor *p[2];
    int64_t n = 0;
    ok(l2_chunk(x, 2, 0, p, 2, &n) == L2_OK && n == 2, "chunk: 2 pieces");
    l2_tensor *y = l2_add(l2_cat(2, p, 0), x);
    l2_tensor *go = l2_full(1, (const int64_t[]){4}, 3.0, L2_FLOAT32);
    ok(l2_backward(y, go, false) == L2_OK, "chunk + x: backward");
    ok(flat_is(l2_grad(x), 4, (const double[]){6, 6, 6, 6}, "chunk + x"), "chunk + x: gradient");
    ok(flat_is(go, 4, (const double[]){3, 3, 3, 3}, "seed"), "chunk + x: the seed unchanged");
    l2_scope_end();
}

/* diagonal views and a select of the same matrix. */
static void test_diagonal(void)
{
    l2_scope_begin();
    l2_tensor *x = ar(2, (const int64_t[]){3, 3}, L2_FLOAT64);
    l2_set_requires_grad(x, true);
    l2_tensor *p[3] = {l2_diagonal(x, 0, 0, 1), l2_diagonal(x, 1, 0, 1), l2_select(x, 1, 0)};
    l2_tensor *y = weighted(p, 3, (const double[]){1, 10, 100});
    ok(l2_backward(y, NULL, false) == L2_OK, "diagonal: backward");
    ok(flat_is(l2_grad(x), 9, (const double[]){101, 10, 0, 100, 1, 10, 100, 0, 1}, "diagonal"),
       "diagonal: two diagonals and a column add up");
    l2_scope_end();
}

/* repeat of arange(shape) by reps (n >= ndim): each output element against its source, and
 * the gradient of sum(y * arange(y's shape)) against the sums of the copies' weights. */
static void check_repeat(int nd, const int64_t *shape, int n, const int64_t *reps,
                         const char *name)
{
    l2_scope_begin();
    l2_tensor *x = ar(nd, shape, L2_FLOAT64);
    l2_set_requires_grad(x, true);
    l2_tensor *y = l2_repeat(x, n, reps);
    int64_t ys[L2_MAX_DIMS], xs[L2_MAX_DIMS], ny = 1, nx = 1;
    for (int i = 0; i < n; i++) {
        xs[i] = i < n - nd ? 1 : shape[i - (n - nd)];
        ys[i] = xs[i] * reps[i];
        ny *= ys[i];
        nx *= xs[i];
    }
    int good = y && same_shape(y, n, ys);
    double want[4096] = {0};
    for (int64_t o = 0; good && o < ny; o++) {
        int64_t rest = o, src = 0, mul = 1;
        for (int i = n - 1; i >= 0; i--) {
            src += (rest % ys[i]) % xs[i] * mul;
            mul *= xs[i];
            rest /= ys[i];
        }
        good = flat(y, o) == (double)src;
        want[src] += (double)o;
    }
    if (!ok(good, "%s: values", name))
        tap_diag("%s", y ? "a value differs" : l2_last_error());
    l2_tensor *w = ar(n, ys, L2_FLOAT64);
    ok(y && l2_backward(l2_sum(l2_mul(y, w)), NULL, false) == L2_OK, "%s: backward", name);
    char gname[96];
    snprintf(gname, sizeof gname, "%s: gradient", name);
    ok(nx <= 4096 && flat_is(l2_grad(x), nx, want, gname), "%s", gname);
    l2_scope_end();
}

static l2_tensor *stack_unbind(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    l2_tensor *p[8];
    int64_t n = 0;
    if (l2_unbind(in[0], 1, p, 8, &n) != L2_OK)
        return NULL;
    l2_tensor *r = l2_stack((int)n - 1, p + 1, 0); /* piece 0 gets no gradient */
    for (int64_t k = 0; k < n; k++)
        l2_tensor_release(p[k]);
    return r;
}

int main(void)
{
    test_unbind(L2_FLOAT32);
    test_unbind(L2_FLOAT64);
    test_overlap();
    test_nonleaf();
    test_shared();
    test_diagonal();
    check_repeat(2, (const int64_t[]){3, 4}, 2, (const int64_t[]){2, 3}, "repeat 3x4 by 2x3");
    check_repeat(2, (const int64_t[]){1, 5}, 3, (const int64_t[]){2, 3, 1}, "repeat 1x5 by 2x3x1");
    check_repeat(2, (const int64_t[]){2, 3}, 2, (const int64_t[]){0, 2}, "repeat by 0");
    /* five pairs need ten dims: the index path */
    check_repeat(5, (const int64_t[]){2, 2, 2, 2, 2}, 5, (const int64_t[]){2, 2, 2, 2, 2},
                 "repeat rank 5 (index path)");
    l2_tensor *x = gc_leaf(2, (const int64_t[]){3, 5}, -1, 1);
    oom_check("unbind + stack", stack_unbind, 1, &x, NULL);
    ok(gradcheck("unbind + stack", stack_unbind, 1, &x, NULL), "unbind + stack: gradcheck");
    l2_tensor_release(x);
    return tap_done();
}
