/* test-conv2.c: the conv2 family (issue 14): conv_transpose2d and conv_transpose1d against a
 * scatter loop written here (strides, padding, output_padding, dilation, groups, unbatched
 * inputs), their gradients by finite differences, their errors (nothing returned, message
 * names the op), the out-of-memory sweep and the scope (no intermediate left behind). Values
 * against torch: the oracle (oracle/reg_conv2.py). */
#include <l2.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

/* The transposed convolution as the scatter it is: y[n, g Og + o, i s - p + ki d, ...] +=
 * x[n, g Cg + c, i, j] w[g Cg + c, o, ki, kj]. x (N, C, H, W), w (C, Og, kH, kW). y is filled
 * into a flat (N, O, P, Q) double array. */
static void tconv_ref(const l2_tensor *x, const l2_tensor *w, const l2_tensor *b,
                      const int64_t *s, const int64_t *p, const int64_t *d, int64_t g,
                      int64_t P, int64_t Q, double *y)
{
    const int64_t *xs = l2_shape(x), *ws = l2_shape(w);
    int64_t N = xs[0], C = xs[1], H = xs[2], W = xs[3], og = ws[1], O = og * g, cg = C / g;
    for (int64_t n = 0; n < N; n++)
        for (int64_t o = 0; o < O; o++)
            for (int64_t k = 0; k < P * Q; k++)
                y[(n * O + o) * P * Q + k] = b ? at(b, (int64_t[]){o}) : 0;
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t i = 0; i < H; i++)
                for (int64_t j = 0; j < W; j++) {
                    double xv = at(x, (int64_t[]){n, c, i, j});
                    int64_t grp = c / cg;
                    for (int64_t o = 0; o < og; o++)
                        for (int64_t ki = 0; ki < ws[2]; ki++)
                            for (int64_t kj = 0; kj < ws[3]; kj++) {
                                int64_t py = i * s[0] - p[0] + ki * d[0];
                                int64_t qx = j * s[1] - p[1] + kj * d[1];
                                if (py < 0 || py >= P || qx < 0 || qx >= Q)
                                    continue;
                                int64_t oo = grp * og + o;
                                y[((n * O + oo) * P + py) * Q + qx] +=
                                    xv * at(w, (int64_t[]){c, o, ki, kj});
                            }
                }
}

/* N, C, H, W, Og, kH, kW, sH, sW, pH, pW, opH, opW, dH, dW, groups */
static const int64_t cfg[][16] = {
    {2, 3, 4, 5, 2, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1},
    {1, 2, 3, 3, 3, 2, 2, 2, 2, 0, 0, 1, 1, 1, 1, 1},
    {2, 4, 3, 4, 1, 3, 2, 2, 3, 1, 0, 1, 2, 1, 1, 2},
    {1, 2, 5, 4, 2, 3, 3, 1, 2, 2, 1, 1, 0, 2, 1, 1},
    {2, 6, 2, 3, 2, 1, 1, 3, 2, 0, 0, 2, 1, 1, 1, 3},
    {1, 1, 1, 1, 2, 4, 3, 5, 7, 1, 1, 0, 0, 1, 2, 1},
    {1, 2, 5, 4, 1, 3, 3, 1, 1, 3, 2, 0, 0, 1, 1, 1}, /* padding crops past d (k - 1) */
    {2, 2, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 0, 1, 1, 2}, /* the same at stride 2 */
};
#define NCFG ((int)(sizeof cfg / sizeof cfg[0]))

static int64_t tout(int64_t in, int64_t k, int64_t s, int64_t p, int64_t op, int64_t d)
{
    return (in - 1) * s - 2 * p + d * (k - 1) + op + 1;
}

static void test_values(void)
{
    for (int t = 0; t < NCFG; t++) {
        const int64_t *c = cfg[t];
        int64_t g = c[15];
        l2_tensor *x = l2_randn(L2_SHAPE(c[0], c[1], c[2], c[3]), L2_FLOAT64);
        l2_tensor *w = l2_randn(L2_SHAPE(c[1], c[4], c[5], c[6]), L2_FLOAT64);
        l2_tensor *b = t % 2 ? NULL : l2_randn(L2_SHAPE(c[4] * g), L2_FLOAT64);
        int64_t P = tout(c[2], c[5], c[7], c[9], c[11], c[13]);
        int64_t Q = tout(c[3], c[6], c[8], c[10], c[12], c[14]);
        l2_tensor *y = l2_conv_transpose2d(x, w, b, c + 7, c + 9, c + 11, g, c + 13);
        int64_t O = c[4] * g, n = c[0] * O * P * Q;
        double *ref = calloc((size_t)n, sizeof *ref), worst = y ? 0 : INFINITY;
        tconv_ref(x, w, b, c + 7, c + 9, c + 13, g, P, Q, ref);
        bool shaped = y && same_shape(y, 4, (int64_t[]){c[0], O, P, Q});
        for (int64_t i = 0; shaped && i < n; i++) {
            int64_t idx[4] = {i / (O * P * Q), i / (P * Q) % O, i / Q % P, i % Q};
            double e = fabs(at(y, idx) - ref[i]);
            worst = e > worst ? e : worst;
        }
        ok(shaped && worst < 1e-12, "conv_transpose2d case %d: shape (%lld, %lld, %lld, %lld), "
           "worst %g (%s)", t, (long long)c[0], (long long)O, (long long)P, (long long)Q, worst,
           y ? "" : l2_last_error());
        /* float32 agrees with the float64 result */
        l2_tensor *x32 = l2_to_dtype(x, L2_FLOAT32), *w32 = l2_to_dtype(w, L2_FLOAT32);
        l2_tensor *b32 = b ? l2_to_dtype(b, L2_FLOAT32) : NULL;
        l2_tensor *y32 = l2_conv_transpose2d(x32, w32, b32, c + 7, c + 9, c + 11, g, c + 13);
        double w32e = y32 && shaped ? 0 : INFINITY;
        for (int64_t i = 0; y32 && shaped && i < n; i++) {
            int64_t idx[4] = {i / (O * P * Q), i / (P * Q) % O, i / Q % P, i % Q};
            double e = fabs(at(y32, idx) - ref[i]);
            w32e = e > w32e ? e : w32e;
        }
        ok(w32e < 1e-4, "conv_transpose2d case %d float32: worst %g", t, w32e);
        /* unbatched: sample 0 alone */
        l2_tensor *x0 = l2_select(x, 0, 0);
        l2_tensor *y0 = l2_conv_transpose2d(x0, w, b, c + 7, c + 9, c + 11, g, c + 13);
        double d0 = y0 && same_shape(y0, 3, (int64_t[]){O, P, Q}) ? 0 : INFINITY;
        for (int64_t i = 0; d0 == 0 && i < O * P * Q; i++)
            d0 = fabs(at(y0, (int64_t[]){i / (P * Q), i / Q % P, i % Q}) - ref[i]) < 1e-12
                     ? 0 : INFINITY;
        ok(d0 == 0, "conv_transpose2d case %d unbatched equals sample 0", t);
        /* conv_transpose1d: the width axis alone (height 1 of the same data) */
        l2_tensor *xr = l2_select(x, 2, 0), *wr = l2_select(w, 2, 0);
        l2_tensor *y1 = l2_conv_transpose1d(xr, wr, b, c[8], c[10], c[12], g, c[14]);
        int64_t P1 = tout(1, 1, 1, 0, 0, 1), n1 = c[0] * O * Q;
        double *r1 = calloc((size_t)n1, sizeof *r1);
        l2_tensor *x4 = l2_unsqueeze(xr, 2), *w4 = l2_unsqueeze(wr, 2);
        tconv_ref(x4, w4, b, (const int64_t[]){1, c[8]}, (const int64_t[]){0, c[10]},
                  (const int64_t[]){1, c[14]}, g, P1, Q, r1);
        double e1 = y1 && same_shape(y1, 3, (int64_t[]){c[0], O, Q}) ? 0 : INFINITY;
        for (int64_t i = 0; e1 < INFINITY && i < n1; i++) {
            double e = fabs(at(y1, (int64_t[]){i / (O * Q), i / Q % O, i % Q}) - r1[i]);
            e1 = e > e1 ? e : e1;
        }
        ok(e1 < 1e-12, "conv_transpose1d case %d: worst %g", t, e1);
        l2_tensor *ts[] = {x, w, b, y, x32, w32, b32, y32, x0, y0, xr, wr, y1, x4, w4};
        for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
            l2_tensor_release(ts[i]);
        free(ref);
        free(r1);
    }
}

static l2_tensor *f_tconv(l2_tensor *const *in, void *ctx)
{
    const int64_t *c = ctx;
    return l2_conv_transpose2d(in[0], in[1], in[2], c + 7, c + 9, c + 11, c[15], c + 13);
}

static l2_tensor *f_tconv1(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_conv_transpose1d(in[0], in[1], in[2], 2, 1, 1, 2, 1);
}

static void test_grads(void)
{
    for (int t = 0; t < NCFG; t++) {
        const int64_t *c = cfg[t];
        l2_tensor *in[3] = {gc_leaf(L2_SHAPE(c[0], c[1], c[2], c[3]), -1, 1),
                            gc_leaf(L2_SHAPE(c[1], c[4], c[5], c[6]), -1, 1),
                            gc_leaf(L2_SHAPE(c[4] * c[15]), -1, 1)};
        ok(gradcheck("conv_transpose2d", f_tconv, 3, in, (void *)c),
           "conv_transpose2d case %d: gradients of x, w and b match finite differences", t);
        for (int i = 0; i < 3; i++)
            l2_tensor_release(in[i]);
    }
    l2_tensor *in[3] = {gc_leaf(L2_SHAPE(2, 4, 5), -1, 1), gc_leaf(L2_SHAPE(4, 3, 3), -1, 1),
                        gc_leaf(L2_SHAPE(6), -1, 1)};
    ok(gradcheck("conv_transpose1d", f_tconv1, 3, in, NULL),
       "conv_transpose1d: gradients of x, w and b match finite differences");
    oom_check("conv_transpose1d", f_tconv1, 3, in, NULL);
    for (int i = 0; i < 3; i++)
        l2_tensor_release(in[i]);
}

/* A call that must fail with status st, return NULL and name op in its message. */
static void fails(l2_tensor *r, l2_status st, const char *op, const char *what)
{
    bool good = !r && l2_last_status() == st && strncmp(l2_last_error(), op, strlen(op)) == 0;
    ok(good, "%s: %s fails with %s (got %s: %s)", op, what, l2_status_name(st),
       l2_status_name(r ? L2_OK : l2_last_status()), r ? "a result" : l2_last_error());
    l2_tensor_release(r);
}

static void test_errors(void)
{
    l2_tensor *x = l2_randn(L2_SHAPE(1, 2, 3, 3), L2_FLOAT32);
    l2_tensor *w = l2_randn(L2_SHAPE(2, 3, 2, 2), L2_FLOAT32);
    l2_tensor *wd = l2_randn(L2_SHAPE(2, 3, 2, 2), L2_FLOAT64);
    l2_tensor *w3 = l2_randn(L2_SHAPE(3, 3, 2, 2), L2_FLOAT32);
    l2_tensor *b4 = l2_randn(L2_SHAPE(4), L2_FLOAT32);
    l2_tensor *xe = l2_randn(L2_SHAPE(1, 2, 0, 3), L2_FLOAT32);
    l2_tensor *xi = l2_zeros(L2_SHAPE(1, 2, 3, 3), L2_INT64);
    const char *op = "conv_transpose2d";
    fails(l2_conv_transpose2d(NULL, w, NULL, NULL, NULL, NULL, 1, NULL), L2_ERR_NULL, op, "NULL x");
    fails(l2_conv_transpose2d(x, NULL, NULL, NULL, NULL, NULL, 1, NULL), L2_ERR_NULL, op, "NULL w");
    fails(l2_conv_transpose2d(xi, w, NULL, NULL, NULL, NULL, 1, NULL), L2_ERR_DTYPE, op, "int x");
    fails(l2_conv_transpose2d(x, wd, NULL, NULL, NULL, NULL, 1, NULL), L2_ERR_DTYPE, op,
          "mixed dtypes");
    fails(l2_conv_transpose2d(x, w, NULL, NULL, NULL, (const int64_t[]){1, 0}, 1, NULL),
          L2_ERR_ARG, op, "output_padding 1 at stride 1, dilation 1");
    fails(l2_conv_transpose2d(x, w, NULL, (const int64_t[]){0, 1}, NULL, NULL, 1, NULL),
          L2_ERR_ARG, op, "stride 0");
    fails(l2_conv_transpose2d(x, w, NULL, NULL, (const int64_t[]){0, -1}, NULL, 1, NULL),
          L2_ERR_ARG, op, "negative padding");
    fails(l2_conv_transpose2d(x, w, NULL, NULL, NULL, NULL, 1, (const int64_t[]){1, 0}),
          L2_ERR_ARG, op, "dilation 0");
    fails(l2_conv_transpose2d(x, w, NULL, NULL, NULL, NULL, 0, NULL), L2_ERR_ARG, op,
          "groups 0");
    fails(l2_conv_transpose2d(x, w3, NULL, NULL, NULL, NULL, 1, NULL), L2_ERR_SHAPE, op,
          "channels");
    fails(l2_conv_transpose2d(x, w3, NULL, NULL, NULL, NULL, 2, NULL), L2_ERR_SHAPE, op,
          "w.size(0) not divisible by groups");
    fails(l2_conv_transpose2d(x, w, b4, NULL, NULL, NULL, 1, NULL), L2_ERR_SHAPE, op, "bias");
    fails(l2_conv_transpose2d(x, w, NULL, NULL, (const int64_t[]){3, 3}, NULL, 1, NULL),
          L2_ERR_SHAPE, op, "output too small");
    fails(l2_conv_transpose2d(xe, w, NULL, NULL, NULL, NULL, 1, NULL), L2_ERR_SHAPE, op,
          "empty height");
    fails(l2_conv_transpose2d(x, w, NULL, (const int64_t[]){INT64_MAX / 2, 1}, NULL, NULL, 1,
                              NULL), L2_ERR_OVERFLOW, op, "output size overflow");
    l2_tensor *x1 = l2_select(x, 2, 0), *w1 = l2_select(w, 2, 0);
    fails(l2_conv_transpose1d(x1, w1, NULL, 1, 0, 1, 1, 1), L2_ERR_ARG, "conv_transpose1d",
          "output_padding 1 at stride 1");
    fails(l2_conv_transpose1d(x, w1, NULL, 1, 0, 0, 1, 1), L2_ERR_SHAPE, "conv_transpose1d",
          "rank 4 x");
    l2_tensor *ts[] = {x, w, wd, w3, b4, xe, xi, x1, w1};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        l2_tensor_release(ts[i]);
    /* the zero batch: an empty result of the right shape */
    l2_tensor *xz = l2_randn(L2_SHAPE(0, 2, 3, 3), L2_FLOAT32);
    l2_tensor *wz = l2_randn(L2_SHAPE(2, 3, 2, 2), L2_FLOAT32);
    l2_tensor *yz = l2_conv_transpose2d(xz, wz, NULL, NULL, NULL, NULL, 1, NULL);
    ok(yz && same_shape(yz, 4, (int64_t[]){0, 3, 4, 4}), "conv_transpose2d: batch 0 -> "
       "(0, 3, 4, 4)");
    l2_tensor_release(xz);
    l2_tensor_release(wz);
    l2_tensor_release(yz);
}

/* Inside a scope only the result is registered: ending the scope frees everything. */
static void test_scope(void)
{
    int64_t before = l2_live_tensors();
    l2_tensor *x = l2_randn(L2_SHAPE(1, 2, 3, 3), L2_FLOAT32);
    l2_tensor *w = l2_randn(L2_SHAPE(2, 1, 3, 3), L2_FLOAT32);
    l2_set_requires_grad(w, true);
    l2_scope_begin();
    l2_tensor *y = l2_conv_transpose2d(x, w, NULL, (const int64_t[]){2, 2}, NULL, NULL, 2,
                                       (const int64_t[]){1, 2});
    l2_tensor *s = y ? l2_sum(y) : NULL;
    ok(s && l2_backward(s, NULL, false) == L2_OK, "conv_transpose2d in a scope: backward runs");
    l2_scope_end();
    l2_tensor_release(x);
    l2_tensor_release(w);
    ok(l2_live_tensors() == before, "conv_transpose2d in a scope leaves nothing alive (%lld "
       "-> %lld)", (long long)before, (long long)l2_live_tensors());
}

/* ---- max_pool2d_ex ---------------------------------------------------------------------- */

/* torch's output size with ceil_mode (the last window starts inside the input or left pad). */
static int64_t pout(int64_t n, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil)
{
    int64_t num = n + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0);
    int64_t o = (num >= 0 ? num / s : -((-num + s - 1) / s)) + 1;
    if (ceil && (o - 1) * s >= n + p)
        o--;
    return o;
}

/* H, W, kH, kW, sH, sW, pH, pW, dH, dW, ceil */
static const int64_t pcfg[][11] = {
    {5, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1}, {5, 6, 2, 3, 2, 2, 1, 1, 2, 1, 0},
    {7, 4, 3, 2, 3, 1, 1, 0, 2, 3, 1}, {4, 4, 2, 2, 2, 2, 1, 1, 1, 1, 1},
    {3, 3, 2, 2, 2, 2, 1, 1, 2, 2, 1}, {6, 5, 4, 3, 3, 2, 2, 1, 1, 1, 1},
};
#define NPCFG ((int)(sizeof pcfg / sizeof pcfg[0]))

static void test_max_pool_ex(void)
{
    for (int t = 0; t < NPCFG; t++) {
        const int64_t *c = pcfg[t];
        bool ceil = c[10];
        int64_t N = 2, C = 3, H = c[0], W = c[1];
        int64_t P = pout(H, c[2], c[4], c[6], c[8], ceil);
        int64_t Q = pout(W, c[3], c[5], c[7], c[9], ceil);
        l2_tensor *x = l2_randn(L2_SHAPE(N, C, H, W), L2_FLOAT64), *ix = NULL;
        l2_tensor *y = l2_max_pool2d_ex(x, c + 2, c + 4, c + 6, c + 8, ceil, &ix);
        bool shaped = y && ix && same_shape(y, 4, (int64_t[]){N, C, P, Q}) &&
                      same_shape(ix, 4, (int64_t[]){N, C, P, Q}) && l2_dtype_of(ix) == L2_INT64;
        int bad = shaped ? 0 : 1;
        for (int64_t n = 0; shaped && n < N; n++)
            for (int64_t ch = 0; ch < C; ch++)
                for (int64_t oy = 0; oy < P; oy++)
                    for (int64_t ox = 0; ox < Q; ox++) {
                        double best = -INFINITY;
                        int64_t pos = -1;
                        for (int64_t i = 0; i < c[2]; i++)
                            for (int64_t j = 0; j < c[3]; j++) {
                                int64_t iy = oy * c[4] - c[6] + i * c[8];
                                int64_t jx = ox * c[5] - c[7] + j * c[9];
                                if (iy < 0 || iy >= H || jx < 0 || jx >= W)
                                    continue;
                                double v = at(x, (int64_t[]){n, ch, iy, jx});
                                if (v > best) {
                                    best = v;
                                    pos = iy * W + jx;
                                }
                            }
                        int64_t idx[4] = {n, ch, oy, ox};
                        bad += at(y, idx) != best || (int64_t)at(ix, idx) != pos;
                    }
        ok(!bad, "max_pool2d_ex case %d: (%lld, %lld) output, values and indices (%d bad)", t,
           (long long)P, (long long)Q, bad);
        /* without indices, and unbatched: the same values */
        l2_tensor *y2 = l2_max_pool2d_ex(x, c + 2, c + 4, c + 6, c + 8, ceil, NULL);
        l2_tensor *x0 = l2_select(x, 0, 0), *i0 = NULL;
        l2_tensor *y0 = l2_max_pool2d_ex(x0, c + 2, c + 4, c + 6, c + 8, ceil, &i0);
        int diff = y2 && y0 && i0 && same_shape(y0, 3, (int64_t[]){C, P, Q}) ? 0 : 1;
        for (int64_t k = 0; !diff && k < C * P * Q; k++) {
            int64_t i4[4] = {0, k / (P * Q), k / Q % P, k % Q}, i3[3] = {i4[1], i4[2], i4[3]};
            diff += at(y2, i4) != at(y, i4) || at(y0, i3) != at(y, i4) ||
                    at(i0, i3) != at(ix, i4);
        }
        ok(!diff, "max_pool2d_ex case %d: without indices and unbatched agree", t);
        l2_tensor *ts[] = {x, ix, y, y2, x0, i0, y0};
        for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
            l2_tensor_release(ts[i]);
    }
}

static l2_tensor *f_mpool(l2_tensor *const *in, void *ctx)
{
    const int64_t *c = ctx;
    return l2_max_pool2d_ex(in[0], c + 2, c + 4, c + 6, c + 8, c[10], NULL);
}

static void test_max_pool_ex_grad(void)
{
    for (int t = 0; t < NPCFG; t++) {
        const int64_t *c = pcfg[t];
        l2_tensor *x = gc_leaf(L2_SHAPE(2, 2, c[0], c[1]), -1, 1);
        ok(gradcheck("max_pool2d_ex", f_mpool, 1, &x, (void *)c),
           "max_pool2d_ex case %d: gradient matches finite differences", t);
        if (t == 0)
            oom_check("max_pool2d_ex", f_mpool, 1, &x, (void *)c);
        l2_tensor_release(x);
    }
    /* ties: the first maximum takes the gradient; NaN wins */
    double v[9] = {1, 3, 3, 3, 2, 0, NAN, 1, 5};
    l2_tensor *x = l2_from_data(v, 4, (const int64_t[]){1, 1, 3, 3}, L2_FLOAT64), *ix = NULL;
    l2_set_requires_grad(x, true);
    l2_tensor *y = l2_max_pool2d_ex(x, (const int64_t[]){2, 2}, (const int64_t[]){1, 1}, NULL,
                                    NULL, false, &ix);
    l2_tensor *s = y ? l2_sum(y) : NULL;
    ok(s && l2_backward(s, NULL, false) == L2_OK && at(ix, (int64_t[]){0, 0, 0, 0}) == 1 &&
       at(ix, (int64_t[]){0, 0, 1, 0}) == 6 && isnan(at(y, (int64_t[]){0, 0, 1, 0})) &&
       at(l2_grad(x), (int64_t[]){0, 0, 0, 1}) == 2 && at(l2_grad(x), (int64_t[]){0, 0, 0, 2}) == 0
       && at(l2_grad(x), (int64_t[]){0, 0, 2, 0}) == 1, "max_pool2d_ex: ties go to the first "
       "maximum, NaN wins");
    l2_tensor_release(s);
    l2_tensor_release(y);
    l2_tensor_release(ix);
    l2_tensor_release(x);
}

/* A dilated window whose cells straddle a height-1 input: -inf, torch's index (its first cell
 * past the top-left padding, outside the plane) and no gradient. */
static void test_max_pool_ex_empty(void)
{
    l2_tensor *x = l2_randn(L2_SHAPE(1, 1, 1, 8), L2_FLOAT64), *ix = NULL;
    l2_set_requires_grad(x, true);
    l2_tensor *y = l2_max_pool2d_ex(x, (const int64_t[]){3, 2}, (const int64_t[]){3, 3},
                                    (const int64_t[]){1, 1}, (const int64_t[]){2, 2}, true, &ix);
    l2_tensor *s = y ? l2_sum(y) : NULL;
    bool good = s && l2_backward(s, NULL, false) == L2_OK &&
                same_shape(y, 4, (int64_t[]){1, 1, 1, 3});
    for (int64_t o = 0; good && o < 3; o++)
        good = at(y, (int64_t[]){0, 0, 0, o}) == -INFINITY &&
               at(ix, (int64_t[]){0, 0, 0, o}) == (double[]){9, 10, 13}[o];
    for (int64_t i = 0; good && i < 8; i++)
        good = at(l2_grad(x), (int64_t[]){0, 0, 0, i}) == 0;
    ok(good, "max_pool2d_ex: windows outside the input give -inf, indices 9, 10, 13, no "
       "gradient");
    l2_tensor_release(s);
    l2_tensor_release(y);
    l2_tensor_release(ix);
    l2_tensor_release(x);
}

static void test_max_pool_ex_errors(void)
{
    l2_tensor *x = l2_randn(L2_SHAPE(1, 2, 5, 5), L2_FLOAT32), *ix = (l2_tensor *)1;
    l2_tensor *xe = l2_randn(L2_SHAPE(1, 0, 3, 3), L2_FLOAT32);
    l2_tensor *x1 = l2_randn(L2_SHAPE(1, 2, 1, 1), L2_FLOAT32);
    const char *op = "max_pool2d";
    const int64_t k3[2] = {3, 3}, z[2] = {0, 0};
    fails(l2_max_pool2d_ex(x, k3, NULL, (const int64_t[]){2, 1}, NULL, false, &ix), L2_ERR_ARG,
          op, "padding above half the kernel");
    ok(ix == NULL, "max_pool2d_ex: *indices is NULL after a failure");
    fails(l2_max_pool2d_ex(x, k3, NULL, NULL, z, false, NULL), L2_ERR_ARG, op, "dilation 0");
    fails(l2_max_pool2d_ex(x, k3, z, NULL, NULL, false, NULL), L2_ERR_ARG, op, "stride 0");
    fails(l2_max_pool2d_ex(x, z, NULL, NULL, NULL, false, NULL), L2_ERR_ARG, op, "kernel 0");
    fails(l2_max_pool2d_ex(xe, k3, NULL, NULL, NULL, false, NULL), L2_ERR_SHAPE, op,
          "zero channels");
    fails(l2_max_pool2d_ex(x1, k3, (const int64_t[]){1, 1}, (const int64_t[]){1, 1},
                           (const int64_t[]){2, 2}, true, NULL), L2_ERR_SHAPE, op,
          "output too small");
    l2_tensor_release(x);
    l2_tensor_release(xe);
    l2_tensor_release(x1);
}

/* ---- avg_pool2d_ex ---------------------------------------------------------------------- */

/* H, W, kH, kW, sH, sW, pH, pW, ceil, count_include_pad, divisor */
static const int64_t acfg[][11] = {
    {4, 4, 3, 3, 2, 2, 1, 1, 1, 1, 0}, {4, 4, 3, 3, 2, 2, 1, 1, 1, 0, 0},
    {5, 6, 2, 3, 2, 2, 1, 1, 1, 0, 0}, {7, 4, 3, 2, 3, 1, 1, 0, 0, 0, 0},
    {5, 5, 3, 3, 2, 2, 1, 1, 1, 1, 4}, {6, 5, 4, 3, 3, 2, 2, 1, 1, 0, -3},
};
#define NACFG ((int)(sizeof acfg / sizeof acfg[0]))

static void test_avg_pool_ex(void)
{
    for (int t = 0; t < NACFG; t++) {
        const int64_t *c = acfg[t];
        int64_t N = 2, C = 2, H = c[0], W = c[1];
        int64_t P = pout(H, c[2], c[4], c[6], 1, c[8]), Q = pout(W, c[3], c[5], c[7], 1, c[8]);
        l2_tensor *x = l2_randn(L2_SHAPE(N, C, H, W), L2_FLOAT64);
        l2_tensor *y = l2_avg_pool2d_ex(x, c + 2, c + 4, c + 6, c[8], c[9], c[10]);
        double worst = y && same_shape(y, 4, (int64_t[]){N, C, P, Q}) ? 0 : INFINITY;
        for (int64_t n = 0; worst < INFINITY && n < N; n++)
            for (int64_t ch = 0; ch < C; ch++)
                for (int64_t oy = 0; oy < P; oy++)
                    for (int64_t ox = 0; ox < Q; ox++) {
                        double sum = 0;
                        int64_t inside = 0, padded = 0;
                        for (int64_t i = 0; i < c[2]; i++)
                            for (int64_t j = 0; j < c[3]; j++) {
                                int64_t iy = oy * c[4] - c[6] + i, jx = ox * c[5] - c[7] + j;
                                padded += iy < H + c[6] && jx < W + c[7];
                                if (iy < 0 || iy >= H || jx < 0 || jx >= W)
                                    continue;
                                sum += at(x, (int64_t[]){n, ch, iy, jx});
                                inside++;
                            }
                        double div = c[10] ? (double)c[10] : c[9] ? (double)padded : (double)inside;
                        double e = fabs(at(y, (int64_t[]){n, ch, oy, ox}) - sum / div);
                        worst = e > worst ? e : worst;
                    }
        ok(worst < 1e-12, "avg_pool2d_ex case %d: (%lld, %lld) output, worst %g", t,
           (long long)P, (long long)Q, worst);
        l2_tensor_release(x);
        l2_tensor_release(y);
    }
}

static l2_tensor *f_apool(l2_tensor *const *in, void *ctx)
{
    const int64_t *c = ctx;
    return l2_avg_pool2d_ex(in[0], c + 2, c + 4, c + 6, c[8], c[9], c[10]);
}

static void test_avg_pool_ex_grad(void)
{
    for (int t = 0; t < NACFG; t++) {
        const int64_t *c = acfg[t];
        l2_tensor *x = gc_leaf(L2_SHAPE(2, 2, c[0], c[1]), -1, 1);
        ok(gradcheck("avg_pool2d_ex", f_apool, 1, &x, (void *)c),
           "avg_pool2d_ex case %d: gradient matches finite differences", t);
        if (t == 0)
            oom_check("avg_pool2d_ex", f_apool, 1, &x, (void *)c);
        l2_tensor_release(x);
    }
    /* torch's numbers: ones (1, 1, 4, 4), kernel 3, stride 2, padding 1, ceil_mode */
    l2_tensor *x = l2_ones(L2_SHAPE(1, 1, 4, 4), L2_FLOAT32);
    l2_tensor *y = l2_avg_pool2d_ex(x, (const int64_t[]){3, 3}, (const int64_t[]){2, 2},
                                    (const int64_t[]){1, 1}, true, true, 0);
    ok(y && fabs(at(y, (int64_t[]){0, 0, 2, 2}) - 0.25) < 1e-7 &&
       fabs(at(y, (int64_t[]){0, 0, 0, 2}) - 1.0 / 3) < 1e-7, "avg_pool2d_ex: the ceil_mode "
       "window past the right padding divides by its part inside the padded input (0.25, 1/3)");
    l2_tensor_release(x);
    l2_tensor_release(y);
}

int main(void)
{
    l2_manual_seed(7);
    test_values();
    test_grads();
    test_errors();
    test_scope();
    test_max_pool_ex();
    test_max_pool_ex_grad();
    test_max_pool_ex_errors();
    test_max_pool_ex_empty();
    test_avg_pool_ex();
    test_avg_pool_ex_grad();
    return tap_done();
}
