/* test-layout.c: the elementwise output layout rule (l2.h, "Output layout": results follow the
 * inputs' memory order, the first input deciding) and the tiled loop for mixed layouts (both
 * sides of the tile_min threshold, partial tiles at the edges, 1, 2 and 3 threads). Values are
 * checked element by element against l2_get of the inputs. */
#include <l2.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "tap.h"

/* An (r, c) float32 tensor with distinct values (i * c + j, a little negative half the time). */
static l2_tensor *grid(int64_t r, int64_t c, double shift)
{
    l2_tensor *t = l2_arange(0, (double)(r * c), 1, L2_FLOAT32);
    l2_tensor *s = l2_sub_scalar(t, shift);
    l2_tensor *v = l2_view(s, 2, (const int64_t[]){r, c});
    l2_tensor_release(t);
    l2_tensor_release(s);
    return v;
}

/* Strides of t equal want on its dims of size > 1. */
static bool strides_are(const l2_tensor *t, const int64_t *want)
{
    if (!t)
        return false;
    for (int d = 0; d < l2_ndim(t); d++)
        if (l2_shape(t)[d] > 1 && l2_strides(t)[d] != want[d])
            return false;
    return true;
}

static void show_strides(const l2_tensor *t)
{
    if (!t)
        return;
    printf("#   strides");
    for (int d = 0; d < l2_ndim(t); d++)
        printf(" %lld", (long long)l2_strides(t)[d]);
    printf("\n");
}

typedef double (*ref2)(double, double);
static double r_add(double a, double b) { return (float)(a + b); } /* float32 results */
static double r_mul(double a, double b) { return (float)(a * b); }

/* Every element of out (2-d) equals f(a[i,j], b[i,j]) (b may be NULL: f(a, 0)). */
static bool values_ok(const l2_tensor *out, const l2_tensor *a, const l2_tensor *b, ref2 f,
                      const char *name)
{
    if (!out)
        return false;
    int64_t r = l2_shape(out)[0], c = l2_shape(out)[1];
    for (int64_t i = 0; i < r; i++) {
        for (int64_t j = 0; j < c; j++) {
            const int64_t idx[2] = {i, j};
            double x = NAN, y = 0, got = NAN;
            l2_get(a, idx, &x);
            if (b)
                l2_get(b, idx, &y);
            l2_get(out, idx, &got);
            double want = f(x, y);
            if (got != want) {
                printf("#   %s: element (%lld, %lld): got %g, want %g\n", name, (long long)i,
                       (long long)j, got, want);
                return false;
            }
        }
    }
    return true;
}

static double r_first(double a, double b)
{
    (void)b;
    return a;
}
static double r_relu(double a, double b)
{
    (void)b;
    return a > 0 ? a : 0;
}

static void test_rule(void)
{
    l2_tensor *x = grid(4, 6, 10), *y = grid(6, 4, 3);
    l2_tensor *xt = l2_t(x); /* (6, 4), strides (1, 6) */
    l2_tensor *r = l2_relu(xt);
    ok(strides_are(r, (const int64_t[]){1, 6}), "relu(t(x)) has t(x)'s strides");
    show_strides(r);
    ok(values_ok(r, xt, NULL, r_relu, "relu"), "relu(t(x)) values");
    l2_tensor_release(r);

    r = l2_add(xt, y);
    ok(strides_are(r, (const int64_t[]){1, 6}), "add(t(x), y): the first input's order wins");
    ok(values_ok(r, xt, y, r_add, "add"), "add(t(x), y) values");
    l2_tensor_release(r);
    r = l2_add(y, xt);
    ok(strides_are(r, (const int64_t[]){4, 1}), "add(y, t(x)) is laid out like y");
    ok(values_ok(r, xt, y, r_add, "add"), "add(y, t(x)) values");
    l2_tensor_release(r);

    /* A broadcast input has no say over the dims it broadcasts. */
    l2_tensor *row = l2_view(y, 1, (const int64_t[]){24});
    l2_tensor *b = l2_narrow(row, 0, 0, 4);
    r = l2_mul(b, xt);
    ok(strides_are(r, (const int64_t[]){1, 6}), "mul(row, t(x)) is laid out like t(x)");
    l2_tensor_release(r);
    l2_tensor_release(b);
    l2_tensor_release(row);

    /* An input converted to the computed dtype counts as its dense copy: an expanded int64
     * column becomes a row-major float32 tensor, which then decides (torch converts first). */
    l2_tensor *col = l2_arange(0, 6, 1, L2_INT64);
    l2_tensor *col6 = l2_view(col, 2, (const int64_t[]){6, 1});
    l2_tensor *ce = l2_expand(col6, 2, (const int64_t[]){6, 4});
    r = l2_add(ce, xt);
    ok(strides_are(r, (const int64_t[]){4, 1}), "add(expanded int64, t(x)): row-major");
    show_strides(r);
    l2_tensor_release(r);
    l2_tensor *cf = l2_to_dtype(col6, L2_FLOAT32);
    l2_tensor *cfe = l2_expand(cf, 2, (const int64_t[]){6, 4});
    r = l2_add(cfe, xt);
    ok(strides_are(r, (const int64_t[]){1, 6}), "add(expanded float32, t(x)) like t(x)");
    l2_tensor_release(r);
    l2_tensor_release(cfe);
    l2_tensor_release(cf);
    /* integer remainder by zero of an empty result: no error (torch) */
    l2_tensor *e0 = l2_zeros(2, (const int64_t[]){2, 0}, L2_INT64);
    l2_tensor *z1 = l2_zeros(1, (const int64_t[]){1}, L2_INT64);
    r = l2_remainder(e0, z1);
    ok(r != NULL, "remainder of an empty int64 tensor by zero: %s", r ? "ok" : l2_last_error());
    l2_tensor_release(r);
    l2_tensor_release(z1);
    l2_tensor_release(e0);
    l2_tensor_release(ce);
    l2_tensor_release(col6);
    l2_tensor_release(col);

    /* where: cond first, then a, b. */
    l2_tensor *cond = l2_gt_scalar(y, 5);
    ok(strides_are(cond, (const int64_t[]){4, 1}), "gt(y, 5) contiguous");
    r = l2_where(cond, xt, y);
    ok(strides_are(r, (const int64_t[]){4, 1}), "where(cond, t(x), y) follows cond");
    l2_tensor *ct = l2_gt_scalar(xt, 5);
    ok(strides_are(ct, (const int64_t[]){1, 6}), "gt(t(x), 5) follows t(x)");
    l2_tensor *r2 = l2_where(ct, y, xt);
    ok(strides_are(r2, (const int64_t[]){1, 6}), "where(t-cond, y, t(x)) follows cond");
    /* masked_fill is contiguous (torch clones self contiguous) */
    l2_tensor *mf = l2_masked_fill(xt, ct, 1);
    ok(l2_is_contiguous(mf), "masked_fill(t(x)) contiguous");
    l2_tensor_release(mf);
    l2_tensor_release(r2);
    l2_tensor_release(ct);
    l2_tensor_release(r);
    l2_tensor_release(cond);

    /* A 3-d permutation, dtype conversion and a stepped (non-dense) input. */
    l2_tensor *z = l2_arange(0, 24, 1, L2_FLOAT64);
    l2_tensor *z3 = l2_view(z, 3, (const int64_t[]){2, 3, 4});
    l2_tensor *zp = l2_permute(z3, (const int[]){2, 0, 1}); /* (4, 2, 3), strides (1, 12, 4) */
    r = l2_tanh(zp);
    ok(strides_are(r, (const int64_t[]){1, 12, 4}), "tanh(permute(z)) keeps the permutation");
    show_strides(r);
    l2_tensor_release(r);
    r = l2_to_dtype(zp, L2_FLOAT32);
    ok(strides_are(r, (const int64_t[]){1, 12, 4}), "to_dtype(permute(z)) keeps it");
    l2_tensor_release(r);
    l2_tensor *zi = l2_to_dtype(zp, L2_INT64);
    r = l2_sin(zi);
    ok(strides_are(r, (const int64_t[]){1, 12, 4}), "sin of a permuted int64 tensor keeps it");
    l2_tensor_release(r);
    l2_tensor_release(zi);
    l2_tensor *w = grid(6, 8, 0);
    l2_tensor *ws = l2_slice(w, 1, 0, 8, 2); /* (6, 4), strides (8, 2) */
    l2_tensor *wt = l2_t(ws);                 /* (4, 6), strides (2, 8) */
    r = l2_neg(wt);
    ok(strides_are(r, (const int64_t[]){1, 4}), "neg of a stepped transposed view: dense, "
                                                 "transposed order");
    show_strides(r);
    l2_tensor_release(r);
    l2_tensor_release(wt);
    l2_tensor_release(ws);
    l2_tensor_release(w);
    l2_tensor_release(zp);
    l2_tensor_release(z3);
    l2_tensor_release(z);
    l2_tensor_release(xt);
    l2_tensor_release(x);
    l2_tensor_release(y);
}

/* Gradients through a transposed input: values right whatever the layouts. */
static void test_grad(void)
{
    l2_tensor *x = grid(5, 7, 17), *y = grid(7, 5, 2);
    l2_set_requires_grad(x, true);
    l2_tensor *xt = l2_t(x);
    l2_tensor *p = l2_mul(xt, y);
    l2_tensor *g = l2_ones(2, (const int64_t[]){7, 5}, L2_FLOAT32);
    ok(l2_backward(p, g, false) == L2_OK, "backward of mul(t(x), y)");
    l2_tensor *gx = l2_grad(x); /* dx = t(y) */
    l2_tensor *yt = l2_t(y);
    ok(values_ok(gx, yt, NULL, r_first, "grad"), "grad of x through mul(t(x), y) is t(y)");
    l2_tensor_release(yt);
    l2_tensor_release(g);
    l2_tensor_release(p);
    l2_tensor_release(xt);
    l2_tensor_release(x);
    l2_tensor_release(y);
}

/* Mixed layouts on both sides of tile_min and past the parallel grain, at 1, 2 and 3 threads:
 * contiguous(t(x)), add(y, t(x)), mul(t(x), y) and an in-place add_ of a transposed operand. */
static void test_tiles(void)
{
    int64_t tile = l2_threshold("tile"), tmin = l2_threshold("tile_min");
    int64_t grain = l2_threshold("parallel_grain");
    ok(tile > 1 && tmin > tile, "tile %lld, tile_min %lld", (long long)tile, (long long)tmin);
    /* (rows, cols) of x before transposing: partial tiles both ways */
    int64_t sizes[4][2] = {{tile + 1, (tmin - 1) / (tile + 1)}, {tile + 3, tmin / (tile + 3) + 1},
                           {7, tmin / 7 + 1}, {0, 0}};
    int64_t side = 1;
    while (side * side < grain)
        side++;
    sizes[3][0] = side + 5;
    sizes[3][1] = side + tile / 2;
    for (int s = 0; s < 4; s++) {
        int64_t rr = sizes[s][0], cc = sizes[s][1];
        for (int nt = 1; nt <= 3; nt++) {
            if (s < 3 && nt > 1)
                continue; /* below the grain threads change nothing */
            l2_set_num_threads(nt);
            l2_tensor *x = grid(rr, cc, 100), *y = grid(cc, rr, 7);
            l2_tensor *xt = l2_t(x);
            char name[96];
            snprintf(name, sizeof name, "(%lld, %lld) at %d threads", (long long)cc,
                     (long long)rr, nt);
            l2_tensor *c = l2_contiguous(xt);
            ok(c && l2_is_contiguous(c) && values_ok(c, xt, NULL, r_first, "contiguous"),
               "contiguous(t(x)) %s", name);
            l2_tensor_release(c);
            l2_tensor *a = l2_add(y, xt);
            ok(values_ok(a, y, xt, r_add, "add"), "add(y, t(x)) %s", name);
            l2_tensor_release(a);
            l2_tensor *m = l2_mul(xt, y);
            ok(values_ok(m, xt, y, r_mul, "mul"), "mul(t(x), y) %s", name);
            l2_tensor *m2 = l2_clone(m);
            ok(l2_add_(m2, xt) == L2_OK, "add_ %s", name);
            l2_tensor *m3 = l2_add(m, xt);
            ok(values_ok(m2, m3, NULL, r_first, "add_"), "add_(m, t(x)) %s", name);
            l2_tensor_release(m3);
            l2_tensor_release(m2);
            l2_tensor_release(m);
            l2_tensor_release(xt);
            l2_tensor_release(x);
            l2_tensor_release(y);
        }
    }
    l2_set_num_threads(1);
}

int main(void)
{
    test_rule();
    test_grad();
    test_tiles();
    return tap_done();
}
