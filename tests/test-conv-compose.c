/* test-conv-compose.c: conv1d, max_pool1d, avg_pool1d, pixel_shuffle and pixel_unshuffle against
 * plain loops written here (strides, padding, dilation, groups, unbatched inputs, r = 1),
 * their errors (named after the 1-d op, nothing returned), the out-of-memory sweep, and that
 * the gradients flow (values: the oracle compares them with torch). interpolate: linear
 * functions reproduced by bilinear and bicubic, nearest at factors 2 and 1/2, the gradient
 * as the forward's adjoint (<y, g> = <x, dx>), errors. */
#include <l2.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

/* conv1d by loops over (n, o, p): x (N, C, L), w (O, C/g, K). */
static double conv1d_at(const l2_tensor *x, const l2_tensor *w, const l2_tensor *b, int64_t s,
                        int64_t pad, int64_t dil, int64_t g, int64_t n, int64_t o, int64_t p)
{
    int64_t C = l2_shape(x)[1], L = l2_shape(x)[2], O = l2_shape(w)[0], K = l2_shape(w)[2];
    int64_t cg = C / g, og = O / g, grp = o / og;
    double acc = b ? at(b, (int64_t[]){o}) : 0;
    for (int64_t c = 0; c < cg; c++)
        for (int64_t k = 0; k < K; k++) {
            int64_t l = p * s - pad + k * dil;
            if (l >= 0 && l < L)
                acc += at(x, (int64_t[]){n, grp * cg + c, l}) * at(w, (int64_t[]){o, c, k});
        }
    return acc;
}

static void test_conv1d(void)
{
    static const int64_t cfg[][7] = {
        /* N, C, L, O, K, stride, padding (dilation, groups below) */
        {2, 3, 9, 4, 3, 1, 1},
        {1, 4, 11, 2, 2, 2, 0},
        {3, 2, 7, 6, 3, 3, 2},
        {2, 4, 10, 4, 1, 1, 0},
    };
    static const int64_t dil[] = {1, 1, 2, 1}, grp[] = {1, 2, 2, 4};
    for (int t = 0; t < 4; t++) {
        const int64_t *c = cfg[t];
        l2_tensor *x = l2_randn(L2_SHAPE(c[0], c[1], c[2]), L2_FLOAT64);
        l2_tensor *w = l2_randn(L2_SHAPE(c[3], c[1] / grp[t], c[4]), L2_FLOAT64);
        l2_tensor *b = t % 2 ? NULL : l2_randn(L2_SHAPE(c[3]), L2_FLOAT64);
        l2_tensor *y = l2_conv1d(x, w, b, c[5], c[6], dil[t], grp[t]);
        double worst = y ? 0 : INFINITY;
        int64_t P = y ? l2_shape(y)[2] : 0;
        int64_t want_p = (c[2] + 2 * c[6] - dil[t] * (c[4] - 1) - 1) / c[5] + 1;
        for (int64_t n = 0; y && n < c[0]; n++)
            for (int64_t o = 0; o < c[3]; o++)
                for (int64_t p = 0; p < P; p++) {
                    double e = fabs(at(y, (int64_t[]){n, o, p}) -
                                    conv1d_at(x, w, b, c[5], c[6], dil[t], grp[t], n, o, p));
                    worst = e > worst ? e : worst;
                }
        ok(y && same_shape(y, 3, (int64_t[]){c[0], c[3], want_p}) && worst < 1e-12,
           "conv1d case %d: shape (%lld, %lld, %lld), worst %g", t, (long long)c[0],
           (long long)c[3], (long long)want_p, worst);
        /* unbatched: sample 0 alone */
        l2_tensor *x0 = l2_select(x, 0, 0), *y0 = l2_conv1d(x0, w, b, c[5], c[6], dil[t], grp[t]);
        l2_tensor *r0 = y ? l2_select(y, 0, 0) : NULL;
        double d0 = y0 && r0 && same_shape(y0, 2, l2_shape(r0)) ? 0 : INFINITY;
        for (int64_t i = 0; d0 == 0 && i < l2_numel(y0); i++)
            d0 = flat(y0, i) == flat(r0, i) ? 0 : INFINITY;
        ok(d0 == 0, "conv1d case %d unbatched equals sample 0", t);
        l2_tensor *ts[] = {x, w, b, y, x0, y0, r0};
        for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
            l2_tensor_release(ts[i]);
    }
}

/* The 1-d pools against loops: padding cells never win the max and count in the mean. */
static void test_pool1d(void)
{
    static const int64_t cfg[][3] = {{2, 0, 0}, {3, 2, 1}, {3, 1, 1}, {4, 3, 2}, {1, 1, 0}};
    for (int t = 0; t < 5; t++) {
        int64_t k = cfg[t][0], s = cfg[t][1] ? cfg[t][1] : k, pad = cfg[t][2], L = 10;
        l2_tensor *x = l2_randn(L2_SHAPE(2, 3, L), L2_FLOAT64);
        l2_tensor *mx = l2_max_pool1d(x, k, cfg[t][1], pad), *av = l2_avg_pool1d(x, k, cfg[t][1],
                                                                                pad);
        int64_t P = (L + 2 * pad - k) / s + 1;
        double worst = mx && av ? 0 : INFINITY;
        for (int64_t n = 0; mx && av && n < 2; n++)
            for (int64_t c = 0; c < 3; c++)
                for (int64_t p = 0; p < P; p++) {
                    double m = -INFINITY, sum = 0;
                    for (int64_t j = 0; j < k; j++) {
                        int64_t l = p * s - pad + j;
                        if (l < 0 || l >= L)
                            continue;
                        double v = at(x, (int64_t[]){n, c, l});
                        m = v > m ? v : m;
                        sum += v;
                    }
                    double e1 = fabs(at(mx, (int64_t[]){n, c, p}) - m);
                    double e2 = fabs(at(av, (int64_t[]){n, c, p}) - sum / (double)k);
                    worst = e1 > worst ? e1 : worst;
                    worst = e2 > worst ? e2 : worst;
                }
        ok(same_shape(mx, 3, (int64_t[]){2, 3, P}) && same_shape(av, 3, (int64_t[]){2, 3, P}) &&
               worst < 1e-12,
           "pool1d kernel %lld stride %lld padding %lld: worst %g", (long long)k,
           (long long)cfg[t][1], (long long)pad, worst);
        l2_tensor_release(x);
        l2_tensor_release(mx);
        l2_tensor_release(av);
    }
    l2_tensor *u = l2_randn(L2_SHAPE(3, 7), L2_FLOAT32), *m = l2_max_pool1d(u, 2, 0, 0);
    ok(same_shape(m, 2, (int64_t[]){3, 3}) && at(m, (int64_t[]){1, 2}) ==
           fmax(at(u, (int64_t[]){1, 4}), at(u, (int64_t[]){1, 5})),
       "max_pool1d unbatched (3, 7) -> (3, 3)");
    l2_tensor_release(u);
    l2_tensor_release(m);
}

/* pixel_shuffle by its formula, then pixel_unshuffle gives x back; r = 1 copies. */
static void test_shuffle(void)
{
    for (int r = 1; r <= 3; r++) {
        int64_t C = 2, H = 3, W = 2;
        l2_tensor *x = ar(L2_SHAPE(2, 1, C * r * r, H, W), r == 2 ? L2_INT64 : L2_FLOAT32);
        l2_tensor *xt = l2_transpose(x, 0, 1); /* a non-contiguous input too */
        l2_tensor *y = l2_pixel_shuffle(xt, r);
        int bad = !same_shape(y, 5, (int64_t[]){1, 2, C, H * r, W * r});
        for (int64_t n = 0; !bad && n < 2; n++)
            for (int64_t c = 0; c < C; c++)
                for (int64_t h = 0; h < H * r; h++)
                    for (int64_t w = 0; w < W * r; w++) {
                        int64_t i = h % r, j = w % r;
                        double want = at(xt, (int64_t[]){0, n, c * r * r + i * r + j, h / r,
                                                         w / r});
                        bad += at(y, (int64_t[]){0, n, c, h, w}) != want;
                    }
        ok(!bad && l2_dtype_of(y) == l2_dtype_of(x) && !l2_shares_storage(y, x),
           "pixel_shuffle r=%d: values by the formula, a new tensor", r);
        l2_tensor *z = l2_pixel_unshuffle(y, r);
        int back = z && same_shape(z, 5, l2_shape(xt)) && !l2_shares_storage(z, y);
        for (int64_t i = 0; back && i < l2_numel(z); i++)
            back = flat(z, i) == flat(xt, i);
        ok(back, "pixel_unshuffle(pixel_shuffle(x, %d), %d) == x", r, r);
        l2_tensor_release(x);
        l2_tensor_release(xt);
        l2_tensor_release(y);
        l2_tensor_release(z);
    }
}

static void test_grads_flow(void)
{
    l2_tensor *x = l2_randn(L2_SHAPE(1, 8, 2, 3), L2_FLOAT64);
    l2_set_requires_grad(x, true);
    l2_tensor *y = l2_pixel_shuffle(x, 2), *yy = l2_mul(y, y), *s = l2_sum(yy);
    ok(s && l2_backward(s, NULL, false) == L2_OK, "pixel_shuffle backward runs");
    /* d sum(y^2)/dx = 2x: the shuffle's gradient is the inverse permutation */
    l2_tensor *g = l2_grad(x);
    double worst = g ? 0 : INFINITY;
    for (int64_t i = 0; g && i < 48; i++)
        worst = fmax(worst, fabs(flat(g, i) - 2 * flat(x, i)));
    ok(worst == 0, "pixel_shuffle gradient is the inverse permutation (worst %g)", worst);
    l2_tensor *w = l2_randn(L2_SHAPE(2, 1, 3), L2_FLOAT64), *xc = l2_randn(L2_SHAPE(1, 1, 6),
                                                                           L2_FLOAT64);
    l2_set_requires_grad(w, true);
    l2_tensor *c = l2_conv1d(xc, w, NULL, 1, 0, 1, 1), *cs = c ? l2_sum(c) : NULL;
    ok(cs && l2_backward(cs, NULL, false) == L2_OK && l2_grad(w) &&
           fabs(at(l2_grad(w), (int64_t[]){1, 0, 2}) -
                (at(xc, (int64_t[]){0, 0, 2}) + at(xc, (int64_t[]){0, 0, 3}) +
                 at(xc, (int64_t[]){0, 0, 4}) + at(xc, (int64_t[]){0, 0, 5}))) < 1e-12,
       "conv1d weight gradient: the sum of the inputs under the tap");
    l2_tensor *ts[] = {x, y, yy, s, w, xc, c, cs};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        l2_tensor_release(ts[i]);
}

#define EXPECT_ERR(call, status, word)                                                       \
    do {                                                                                     \
        l2_clear_error();                                                                    \
        l2_tensor *r_ = (call);                                                              \
        ok(!r_ && l2_last_status() == (status) && strstr(l2_last_error(), (word)),           \
           "%s fails: %s", #call, l2_last_error());                                          \
        l2_tensor_release(r_);                                                               \
    } while (0)

static void test_errors(void)
{
    l2_tensor *x3 = l2_ones(L2_SHAPE(1, 2, 5), L2_FLOAT32), *x4 = l2_ones(L2_SHAPE(1, 2, 1, 5),
                                                                          L2_FLOAT32);
    l2_tensor *w = l2_ones(L2_SHAPE(3, 2, 2), L2_FLOAT32), *w4 = l2_ones(L2_SHAPE(3, 2, 1, 2),
                                                                         L2_FLOAT32);
    l2_tensor *wd = l2_ones(L2_SHAPE(3, 2, 2), L2_FLOAT64), *wbig = l2_ones(L2_SHAPE(3, 2, 9),
                                                                            L2_FLOAT32);
    l2_tensor *x2 = l2_ones(L2_SHAPE(4, 3), L2_FLOAT32);
    EXPECT_ERR(l2_conv1d(NULL, w, NULL, 1, 0, 1, 1), L2_ERR_NULL, "conv1d");
    EXPECT_ERR(l2_conv1d(x4, w, NULL, 1, 0, 1, 1), L2_ERR_SHAPE, "conv1d");
    EXPECT_ERR(l2_conv1d(x3, w4, NULL, 1, 0, 1, 1), L2_ERR_SHAPE, "conv1d");
    EXPECT_ERR(l2_conv1d(x3, wd, NULL, 1, 0, 1, 1), L2_ERR_DTYPE, "conv1d");
    EXPECT_ERR(l2_conv1d(x3, w, NULL, 0, 0, 1, 1), L2_ERR_ARG, "conv1d");
    EXPECT_ERR(l2_conv1d(x3, w, NULL, 1, 0, 1, 2), L2_ERR_SHAPE, "conv1d");
    EXPECT_ERR(l2_conv1d(x3, wbig, NULL, 1, 0, 1, 1), L2_ERR_SHAPE, "conv1d");
    EXPECT_ERR(l2_max_pool1d(x4, 2, 0, 0), L2_ERR_SHAPE, "max_pool1d");
    EXPECT_ERR(l2_max_pool1d(x3, 0, 0, 0), L2_ERR_ARG, "max_pool1d");
    EXPECT_ERR(l2_avg_pool1d(x3, 2, -1, 0), L2_ERR_ARG, "avg_pool1d");
    EXPECT_ERR(l2_avg_pool1d(x3, 2, 1, 2), L2_ERR_ARG, "avg_pool1d");
    EXPECT_ERR(l2_max_pool1d(x3, 9, 1, 0), L2_ERR_SHAPE, "max_pool1d");
    EXPECT_ERR(l2_pixel_shuffle(NULL, 2), L2_ERR_NULL, "pixel_shuffle");
    EXPECT_ERR(l2_pixel_shuffle(w, 0), L2_ERR_ARG, "pixel_shuffle");
    EXPECT_ERR(l2_pixel_shuffle(x2, 2), L2_ERR_SHAPE, "pixel_shuffle");
    EXPECT_ERR(l2_pixel_shuffle(x4, 2), L2_ERR_SHAPE, "pixel_shuffle");
    EXPECT_ERR(l2_pixel_shuffle(w, INT64_MAX), L2_ERR_SHAPE, "pixel_shuffle");
    EXPECT_ERR(l2_pixel_unshuffle(x4, 2), L2_ERR_SHAPE, "pixel_unshuffle");
    EXPECT_ERR(l2_pixel_unshuffle(x4, -1), L2_ERR_ARG, "pixel_unshuffle");
    l2_tensor *ts[] = {x3, x4, w, w4, wd, wbig, x2};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        l2_tensor_release(ts[i]);
}

/* Out of memory at every allocation: L2_ERR_NOMEM and nothing leaked (valgrind). */
static l2_tensor *f_conv1d(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_conv1d(in[0], in[1], in[2], 2, 1, 1, 1);
}

static l2_tensor *f_shuffle(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    l2_tensor *t = l2_transpose(in[0], -1, -2), *r = t ? l2_pixel_shuffle(t, 2) : NULL;
    l2_tensor_release(t);
    return r;
}

static l2_tensor *f_interp(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_interpolate(in[0], (const int64_t[]){5, 7}, NULL, L2_INTERP_BICUBIC, false);
}

static l2_tensor *f_unfold(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    l2_tensor *u = l2_unfold(in[0], (const int64_t[]){2, 2}, NULL, (const int64_t[]){1, 0},
                             NULL);
    l2_tensor *f = u ? l2_fold(u, (const int64_t[]){3, 3}, (const int64_t[]){2, 2}, NULL,
                               (const int64_t[]){1, 0}, NULL)
                     : NULL;
    l2_tensor_release(u);
    return f;
}

static void test_oom(void)
{
    l2_tensor *in[3] = {l2_randn(L2_SHAPE(2, 2, 7), L2_FLOAT64),
                        l2_randn(L2_SHAPE(3, 2, 3), L2_FLOAT64), l2_randn(L2_SHAPE(3), L2_FLOAT64)};
    for (int i = 0; i < 3; i++)
        l2_set_requires_grad(in[i], true);
    oom_check("conv1d", f_conv1d, 3, in, NULL);
    l2_tensor *s = l2_randn(L2_SHAPE(2, 8, 3, 3), L2_FLOAT64);
    l2_set_requires_grad(s, true);
    oom_check("pixel_shuffle", f_shuffle, 1, &s, NULL);
    oom_check("interpolate", f_interp, 1, &s, NULL);
    oom_check("unfold and fold", f_unfold, 1, &s, NULL);
    for (int i = 0; i < 3; i++)
        l2_tensor_release(in[i]);
    l2_tensor_release(s);
}

/* x[n, c, h, w] = 3 h - 2 w + c (a linear function of the position). */
static l2_tensor *linear_field(int64_t H, int64_t W)
{
    l2_tensor *x = l2_zeros(L2_SHAPE(2, 2, H, W), L2_FLOAT64);
    for (int64_t n = 0; n < 2; n++)
        for (int64_t c = 0; c < 2; c++)
            for (int64_t h = 0; h < H; h++)
                for (int64_t w = 0; w < W; w++)
                    l2_set(x, (int64_t[]){n, c, h, w}, 3.0 * h - 2.0 * w + c);
    return x;
}

static void test_interp_values(void)
{
    /* align_corners: the source of output i is i (in - 1) / (out - 1); bilinear reproduces the
     * linear field everywhere, bicubic where its four taps stay inside */
    l2_tensor *x = linear_field(8, 6);
    for (int m = L2_INTERP_BILINEAR; m <= L2_INTERP_BICUBIC; m++) {
        l2_tensor *y = l2_interpolate(x, (const int64_t[]){15, 11}, NULL, (l2_interp_mode)m, true);
        double worst = y ? 0 : INFINITY;
        for (int64_t i = 0; y && i < 15; i++)
            for (int64_t j = 0; j < 11; j++) {
                double rh = i * 7.0 / 14.0, rw = j * 5.0 / 10.0;
                bool inside = m == L2_INTERP_BILINEAR ||
                              (rh >= 1 && rh < 6 && rw >= 1 && rw < 4);
                if (inside)
                    worst = fmax(worst, fabs(at(y, (int64_t[]){1, 1, i, j}) -
                                             (3 * rh - 2 * rw + 1)));
            }
        ok(same_shape(y, 4, (int64_t[]){2, 2, 15, 11}) && worst < 1e-12,
           "%s align_corners reproduces a linear field (worst %g)",
           m == L2_INTERP_BILINEAR ? "bilinear" : "bicubic", worst);
        l2_tensor_release(y);
    }
    /* nearest: factor 2 repeats each cell, factor 1/2 keeps cell 2i; nearest-exact at 1/2
     * keeps cell 2i + 1 (floor((i + 0.5) 2)) */
    l2_tensor *up = l2_interpolate(x, NULL, (const double[]){2.0, 2.0}, L2_INTERP_NEAREST, false);
    l2_tensor *dn = l2_interpolate(x, (const int64_t[]){4, 3}, NULL, L2_INTERP_NEAREST, false);
    l2_tensor *dx = l2_interpolate(x, (const int64_t[]){4, 3}, NULL, L2_INTERP_NEAREST_EXACT,
                                   false);
    int bad = !up || !dn || !dx;
    for (int64_t i = 0; !bad && i < 16; i++)
        for (int64_t j = 0; j < 12; j++) {
            bad += at(up, (int64_t[]){0, 1, i, j}) != at(x, (int64_t[]){0, 1, i / 2, j / 2});
            if (i < 4 && j < 3) {
                bad += at(dn, (int64_t[]){1, 0, i, j}) != at(x, (int64_t[]){1, 0, 2 * i, 2 * j});
                bad += at(dx, (int64_t[]){1, 0, i, j}) !=
                       at(x, (int64_t[]){1, 0, 2 * i + 1, 2 * j + 1});
            }
        }
    ok(!bad, "nearest x2 and x1/2, nearest-exact x1/2 pick the expected cells");
    l2_tensor_release(up);
    l2_tensor_release(dn);
    l2_tensor_release(dx);
    l2_tensor_release(x);
}

/* <interp(x), g> = <x, dx> for every mode: the backward is the forward's adjoint. */
static void test_interp_adjoint(void)
{
    static const int64_t sizes[][2] = {{7, 5}, {2, 3}, {4, 9}};
    for (int m = L2_INTERP_NEAREST; m <= L2_INTERP_BICUBIC; m++)
        for (int k = 0; k < 3; k++) {
            l2_tensor *x = l2_randn(L2_SHAPE(2, 3, 4, 6), L2_FLOAT64);
            l2_set_requires_grad(x, true);
            bool align = m >= L2_INTERP_BILINEAR && k == 1;
            l2_tensor *y = k == 2 ? l2_interpolate(x, NULL, (const double[]){1.3, 1.7},
                                                   (l2_interp_mode)m, align)
                                  : l2_interpolate(x, sizes[k], NULL, (l2_interp_mode)m, align);
            l2_tensor *g = y ? l2_randn(l2_ndim(y), l2_shape(y), L2_FLOAT64) : NULL;
            l2_tensor *yg = y ? l2_mul(y, g) : NULL, *s = yg ? l2_sum(yg) : NULL;
            bool run = s && l2_backward(s, NULL, false) == L2_OK && l2_grad(x);
            l2_tensor *xg = run ? l2_mul(x, l2_grad(x)) : NULL;
            double lhs = s ? item(s) : NAN, rhs = xg ? itemr(l2_sum(xg)) : NAN;
            ok(run && fabs(lhs - rhs) < 1e-10 * (1 + fabs(lhs)),
               "interpolate mode %d case %d: <y, g> %.15g = <x, dx> %.15g", m, k, lhs, rhs);
            l2_tensor *ts[] = {x, y, g, yg, s, xg};
            for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
                l2_tensor_release(ts[i]);
        }
}

static void test_interp_errors(void)
{
    l2_tensor *x = l2_ones(L2_SHAPE(1, 1, 3, 3), L2_FLOAT32), *x3 = l2_ones(L2_SHAPE(1, 3, 3),
                                                                         L2_FLOAT32);
    l2_tensor *xi = l2_ones(L2_SHAPE(1, 1, 3, 3), L2_INT64);
    const int64_t sz[2] = {4, 4}, zero[2] = {0, 2};
    const double sf[2] = {2, 2}, huge[2] = {1e300, 1}, nan2[2] = {NAN, 1}, small[2] = {0.2, 1};
    EXPECT_ERR(l2_interpolate(NULL, sz, NULL, L2_INTERP_NEAREST, false), L2_ERR_NULL,
               "interpolate");
    EXPECT_ERR(l2_interpolate(x, sz, sf, L2_INTERP_NEAREST, false), L2_ERR_ARG, "only one");
    EXPECT_ERR(l2_interpolate(x, NULL, NULL, L2_INTERP_NEAREST, false), L2_ERR_ARG, "either");
    EXPECT_ERR(l2_interpolate(x, sz, NULL, L2_INTERP_NEAREST, true), L2_ERR_ARG, "align");
    EXPECT_ERR(l2_interpolate(x, sz, NULL, (l2_interp_mode)7, false), L2_ERR_ARG, "mode");
    EXPECT_ERR(l2_interpolate(x3, sz, NULL, L2_INTERP_BILINEAR, false), L2_ERR_SHAPE, "4-d");
    EXPECT_ERR(l2_interpolate(xi, sz, NULL, L2_INTERP_NEAREST, false), L2_ERR_DTYPE, "float");
    EXPECT_ERR(l2_interpolate(x, zero, NULL, L2_INTERP_BILINEAR, false), L2_ERR_SHAPE,
               "greater than 0");
    EXPECT_ERR(l2_interpolate(x, NULL, small, L2_INTERP_BILINEAR, false), L2_ERR_SHAPE,
               "greater than 0");
    EXPECT_ERR(l2_interpolate(x, NULL, huge, L2_INTERP_BICUBIC, false), L2_ERR_OVERFLOW,
               "finite int64");
    EXPECT_ERR(l2_interpolate(x, NULL, nan2, L2_INTERP_BICUBIC, false), L2_ERR_OVERFLOW,
               "finite int64");
    l2_tensor_release(x);
    l2_tensor_release(x3);
    l2_tensor_release(xi);
}

/* unfold by its formula; fold(unfold(x)) == x for blocks that tile the image; the two are each
 * other's adjoint (<unfold(x), c> = <x, fold(c)>); errors. */
static void test_unfold_fold(void)
{
    const int64_t k[2] = {2, 3}, dil[2] = {2, 1}, pad[2] = {1, 0}, st[2] = {1, 2};
    l2_tensor *x = l2_randn(L2_SHAPE(2, 3, 6, 7), L2_FLOAT64);
    l2_tensor *u = l2_unfold(x, k, dil, pad, st);
    int64_t P = (6 + 2 - 2 - 1) / 1 + 1, Q = (7 - 2 - 1) / 2 + 1;
    int bad = !same_shape(u, 3, (int64_t[]){2, 18, P * Q});
    for (int64_t n = 0; !bad && n < 2; n++)
        for (int64_t r = 0; r < 18; r++)
            for (int64_t p = 0; p < P; p++)
                for (int64_t q = 0; q < Q; q++) {
                    int64_t c = r / 6, i = r / 3 % 2, j = r % 3;
                    int64_t y = p - 1 + 2 * i, xx = 2 * q + j;
                    double want = y >= 0 && y < 6 && xx < 7 ? at(x, (int64_t[]){n, c, y, xx}) : 0;
                    bad += at(u, (int64_t[]){n, r, p * Q + q}) != want;
                }
    ok(!bad, "unfold (2,3,6,7) kernel (2,3) dilation (2,1) padding (1,0) stride (1,2): by formula");
    l2_tensor *t = l2_unfold(x, (const int64_t[]){3, 7}, NULL, NULL, (const int64_t[]){3, 7});
    l2_tensor *back = t ? l2_fold(t, (const int64_t[]){6, 7}, (const int64_t[]){3, 7}, NULL, NULL,
                                  (const int64_t[]){3, 7})
                        : NULL;
    int same = back && same_shape(back, 4, l2_shape(x));
    for (int64_t i = 0; same && i < l2_numel(x); i++)
        same = flat(back, i) == flat(x, i);
    ok(same, "fold(unfold(x)) == x when the blocks tile the image");
    l2_tensor *cgrad = u ? l2_randn(L2_SHAPE(2, 18, P * Q), L2_FLOAT64) : NULL;
    l2_tensor *fc = cgrad ? l2_fold(cgrad, (const int64_t[]){6, 7}, k, dil, pad, st) : NULL;
    l2_tensor *a1 = u ? l2_mul(u, cgrad) : NULL, *a2 = fc ? l2_mul(x, fc) : NULL;
    double lhs = a1 ? itemr(l2_sum(a1)) : NAN, rhs = a2 ? itemr(l2_sum(a2)) : NAN;
    ok(fabs(lhs - rhs) < 1e-10 * (1 + fabs(lhs)), "<unfold(x), c> %.15g = <x, fold(c)> %.15g",
       lhs, rhs);
    l2_tensor *x3 = l2_ones(L2_SHAPE(3, 4, 4), L2_FLOAT32), *xi = l2_ones(L2_SHAPE(1, 1, 4, 4),
                                                                        L2_INT64);
    l2_tensor *c2 = l2_ones(L2_SHAPE(12, 9), L2_FLOAT32);
    const int64_t k2[2] = {2, 2}, out4[2] = {4, 4}, zero[2] = {0, 1}, neg[2] = {-1, 0};
    EXPECT_ERR(l2_unfold(NULL, k2, NULL, NULL, NULL), L2_ERR_NULL, "unfold");
    EXPECT_ERR(l2_unfold(x3, NULL, NULL, NULL, NULL), L2_ERR_NULL, "kernel_size");
    EXPECT_ERR(l2_unfold(x3, zero, NULL, NULL, NULL), L2_ERR_ARG, "kernel size");
    EXPECT_ERR(l2_unfold(x3, k2, zero, NULL, NULL), L2_ERR_ARG, "dilation");
    EXPECT_ERR(l2_unfold(x3, k2, NULL, neg, NULL), L2_ERR_ARG, "padding");
    EXPECT_ERR(l2_unfold(x3, k2, NULL, NULL, zero), L2_ERR_ARG, "stride");
    EXPECT_ERR(l2_unfold(x3, (const int64_t[]){5, 5}, NULL, NULL, NULL), L2_ERR_SHAPE, "empty");
    EXPECT_ERR(l2_unfold(xi, k2, NULL, NULL, NULL), L2_ERR_DTYPE, "float");
    EXPECT_ERR(l2_unfold(c2, k2, NULL, NULL, NULL), L2_ERR_SHAPE, "3D or 4D");
    EXPECT_ERR(l2_unfold(x3, k2, NULL, (const int64_t[]){INT64_MAX / 2, 0}, NULL),
               L2_ERR_OVERFLOW, "overflow");
    EXPECT_ERR(l2_fold(c2, NULL, k2, NULL, NULL, NULL), L2_ERR_NULL, "output_size");
    EXPECT_ERR(l2_fold(c2, zero, k2, NULL, NULL, NULL), L2_ERR_ARG, "positive");
    EXPECT_ERR(l2_fold(c2, out4, (const int64_t[]){2, 3}, NULL, NULL, NULL), L2_ERR_SHAPE,
               "sliding blocks");
    EXPECT_ERR(l2_fold(c2, (const int64_t[]){6, 6}, (const int64_t[]){5, 1}, NULL, NULL, NULL),
               L2_ERR_SHAPE,
               "divisible");
    EXPECT_ERR(l2_fold(x3, out4, k2, NULL, NULL, NULL), L2_ERR_SHAPE,
               "sliding blocks");
    l2_tensor *f3 = l2_fold(c2, out4, k2, NULL, NULL, NULL);
    ok(same_shape(f3, 3, (int64_t[]){3, 4, 4}) && at(f3, (int64_t[]){0, 1, 1}) == 4 &&
           at(f3, (int64_t[]){2, 0, 0}) == 1,
       "fold unbatched (12, 9) -> (3, 4, 4): corners 1, inner cells 4");
    l2_tensor *ts[] = {x, u, t, back, cgrad, fc, a1, a2, x3, xi, c2, f3};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        l2_tensor_release(ts[i]);
}

/* Inside a scope: the composed ops' intermediates must not be left in the caller's scope (they
 * were once, and released twice at l2_scope_end: valgrind and ASan saw it, the caching allocator
 * hid it). Successful and failing calls, then the scope's end. */
static void test_scope(void)
{
    ok(l2_scope_begin() == L2_OK, "scope begins");
    l2_tensor *x = l2_randn(L2_SHAPE(2, 2, 9), L2_FLOAT32), *w = l2_randn(L2_SHAPE(3, 2, 3),
                                                                         L2_FLOAT32);
    l2_tensor *xi = l2_ones(L2_SHAPE(2, 2, 9), L2_INT64), *s4 = l2_randn(L2_SHAPE(1, 8, 2, 2),
                                                                         L2_FLOAT64);
    l2_tensor *x4 = l2_randn(L2_SHAPE(1, 1, 4, 4), L2_FLOAT32);
    l2_tensor *ix = l2_zeros(L2_SHAPE(2, 2, 1), L2_INT64);
    int good = l2_conv1d(x, w, NULL, 1, 1, 1, 1) && l2_max_pool1d(x, 2, 0, 0) &&
               l2_avg_pool1d(x, 3, 1, 1) && l2_pixel_shuffle(s4, 2) &&
               l2_pixel_unshuffle(l2_pixel_shuffle(s4, 2), 2) &&
               l2_interpolate(x4, NULL, (const double[]){1.5, 2}, L2_INTERP_BICUBIC, false) &&
               l2_unfold(x4, (const int64_t[]){2, 2}, NULL, NULL, NULL) &&
               l2_take_along_dim(x, ix, -1);
    int bad = !l2_conv1d(xi, w, NULL, 1, 1, 1, 1) && !l2_max_pool1d(xi, 2, 0, 0) &&
              !l2_avg_pool1d(x, 3, 1, 2) && !l2_conv1d(x, w, NULL, 1, 0, 1, 2) &&
              !l2_pixel_shuffle(s4, 3);
    ok(good && bad, "composed ops inside a scope: results, and errors");
    ok(l2_scope_end() == L2_OK, "the scope ends, releasing each result once");
}

int main(void)
{
    l2_manual_seed(3);
    test_conv1d();
    test_pool1d();
    test_shuffle();
    test_grads_flow();
    test_errors();
    test_oom();
    test_interp_values();
    test_interp_adjoint();
    test_interp_errors();
    test_unfold_fold();
    test_scope();
    return tap_done();
}
