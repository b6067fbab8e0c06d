/* test-conv.c: conv2d, max/avg/adaptive-avg pooling and constant pad: hand-computed values,
 * comparisons with direct nested-loop references written here (strides, padding, dilation,
 * groups, bias, unbatched and strided inputs) in float32 and float64, error paths, and
 * finite-difference gradients on contiguous, transposed, stepped-slice and broadcast inputs. */
#include <l2.h>
#include <stdint.h>
#include <stdlib.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

/* The values of t in row-major order as doubles (malloc'd; the caller frees). */
static double *vals(const l2_tensor *t)
{
    l2_tensor *d = l2_to_dtype(t, L2_FLOAT64);
    l2_tensor *c = l2_contiguous(d);
    int64_t n = l2_numel(c);
    double *v = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    memcpy(v, l2_data_ptr(c), sizeof(double) * (size_t)n);
    l2_tensor_release(c);
    l2_tensor_release(d);
    return v;
}

/* Largest |got - want| over n values; prints the first mismatch beyond tol. */
static int close_to(const l2_tensor *got, const double *want, int64_t n, double tol,
                    const char *name)
{
    if (!got || l2_numel(got) != n) {
        printf("# %s: %s\n", name, got ? "wrong element count" : l2_last_error());
        return 0;
    }
    double *g = vals(got);
    int good = 1;
    for (int64_t k = 0; k < n && good; k++)
        if (!(fabs(g[k] - want[k]) <= tol * (1 + fabs(want[k])))) {
            printf("#   %s: element %lld: got %.9g want %.9g\n", name, (long long)k, g[k],
                   want[k]);
            good = 0;
        }
    free(g);
    return good;
}

/* ---- direct references ---- */

typedef struct {
    int64_t n, c, h, w, o, kh, kw, s[2], p[2], d[2], groups;
    int bias;
} conv_case;

static int64_t osz(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d)
{
    return (in + 2 * p - d * (k - 1) - 1) / s + 1;
}

/* y[n][o][i][j] = b[o] + sum over c in o's group, a, e of
 *     x[n][c][i s - p + a d][j s - p + e d] w[o][c - group start][a][e] */
static double *ref_conv(const conv_case *k, const double *x, const double *w, const double *b)
{
    int64_t P = osz(k->h, k->kh, k->s[0], k->p[0], k->d[0]);
    int64_t Q = osz(k->w, k->kw, k->s[1], k->p[1], k->d[1]);
    int64_t cg = k->c / k->groups, og = k->o / k->groups;
    double *y = calloc((size_t)(k->n * k->o * P * Q) + 1, sizeof(double));
    for (int64_t n = 0; n < k->n; n++)
        for (int64_t o = 0; o < k->o; o++)
            for (int64_t i = 0; i < P; i++)
                for (int64_t j = 0; j < Q; j++) {
                    double s = b ? b[o] : 0;
                    int64_t g = o / og;
                    for (int64_t cc = 0; cc < cg; cc++)
                        for (int64_t a = 0; a < k->kh; a++)
                            for (int64_t e = 0; e < k->kw; e++) {
                                int64_t yy = i * k->s[0] - k->p[0] + a * k->d[0];
                                int64_t xx = j * k->s[1] - k->p[1] + e * k->d[1];
                                if (yy < 0 || yy >= k->h || xx < 0 || xx >= k->w)
                                    continue;
                                int64_t c = g * cg + cc;
                                s += x[((n * k->c + c) * k->h + yy) * k->w + xx] *
                                     w[((o * cg + cc) * k->kh + a) * k->kw + e];
                            }
                    y[((n * k->o + o) * P + i) * Q + j] = s;
                }
    return y;
}

/* Pooling reference over (planes, H, W): mode 0 max, 1 avg (count_include_pad). */
static double *ref_pool(int mode, const double *x, int64_t planes, int64_t h, int64_t w,
                        const int64_t *k, const int64_t *s, const int64_t *p)
{
    int64_t P = osz(h, k[0], s[0], p[0], 1), Q = osz(w, k[1], s[1], p[1], 1);
    double *y = calloc((size_t)(planes * P * Q) + 1, sizeof(double));
    for (int64_t pl = 0; pl < planes; pl++)
        for (int64_t i = 0; i < P; i++)
            for (int64_t j = 0; j < Q; j++) {
                double acc = mode == 0 ? -INFINITY : 0;
                for (int64_t a = 0; a < k[0]; a++)
                    for (int64_t e = 0; e < k[1]; e++) {
                        int64_t yy = i * s[0] - p[0] + a, xx = j * s[1] - p[1] + e;
                        if (yy < 0 || yy >= h || xx < 0 || xx >= w)
                            continue;
                        double v = x[(pl * h + yy) * w + xx];
                        acc = mode == 0 ? (v > acc ? v : acc) : acc + v;
                    }
                y[(pl * P + i) * Q + j] = mode == 0 ? acc : acc / (double)(k[0] * k[1]);
            }
    return y;
}

/* ---- conv2d forward ---- */

static void test_conv_hand(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    /* 1-channel 4x4 arange with a 2x2 ones kernel, stride 2: window sums by hand. */
    l2_tensor *x = ar(L2_SHAPE(1, 1, 4, 4), dt);
    l2_tensor *ones = l2_ones(L2_SHAPE(1, 1, 2, 2), dt);
    l2_tensor *y = l2_conv2d(x, ones, NULL, (const int64_t[]){2, 2}, NULL, NULL, 1);
    ok(same_shape(y, L2_SHAPE(1, 1, 2, 2)), "conv2d 4x4 * 2x2 stride 2: shape (%s)", dn);
    ok(close_to(y, (const double[]){0 + 1 + 4 + 5, 2 + 3 + 6 + 7, 8 + 9 + 12 + 13,
                                    10 + 11 + 14 + 15}, 4, 0, "hand"),
       "conv2d 4x4 * 2x2 stride 2: values (%s)", dn);
    l2_tensor_release(y);

    /* A known 3x3 kernel (a Laplacian-like stencil plus an asymmetric corner) with bias 0.5 and
     * padding 1, against a direct nested loop over the 4x4 image. */
    const double kv[9] = {0, 1, 0, 1, -4, 1, 2, 0, 0};
    l2_tensor *k3 = l2_from_data(dt == L2_FLOAT32 ? (const void *)(const float[]){0, 1, 0, 1, -4,
                                                                                  1, 2, 0, 0}
                                                  : (const void *)kv,
                                 L2_SHAPE(1, 1, 3, 3), dt);
    l2_tensor *b = l2_full(L2_SHAPE(1), 0.5, dt);
    y = l2_conv2d(x, k3, b, NULL, (const int64_t[]){1, 1}, NULL, 1);
    double want[16];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            double s = 0.5;
            for (int a = 0; a < 3; a++)
                for (int e = 0; e < 3; e++) {
                    int yy = i - 1 + a, xx = j - 1 + e;
                    if (yy >= 0 && yy < 4 && xx >= 0 && xx < 4)
                        s += (yy * 4 + xx) * kv[a * 3 + e];
                }
            want[i * 4 + j] = s;
        }
    ok(same_shape(y, L2_SHAPE(1, 1, 4, 4)) && close_to(y, want, 16, 1e-6, "stencil"),
       "conv2d 4x4 with a known 3x3 kernel, padding 1, bias (%s)", dn);
    /* By hand: corner x[0][0]*-4 + x[0][1]*1 + x[1][0]*0 + x[1][1]*0 + 0.5 = 1.5; at (1,1)
     * 1*1 + 1*4 - 4*5 + 1*6 + 2*8 + 0.5 = 7.5. */
    is_near(want[0], 1.5, 0, "reference corner value by hand");
    is_near(want[5], 7.5, 0, "reference interior value by hand");
    l2_tensor_release(y);

    /* Unbatched (C, H, W) input gives an unbatched result. */
    l2_tensor *x3 = ar(L2_SHAPE(1, 4, 4), dt);
    y = l2_conv2d(x3, k3, b, NULL, (const int64_t[]){1, 1}, NULL, 1);
    ok(same_shape(y, L2_SHAPE(1, 4, 4)) && close_to(y, want, 16, 1e-6, "unbatched"),
       "conv2d unbatched input (%s)", dn);
    l2_tensor_release(y);
    l2_tensor *list[] = {x, ones, k3, b, x3};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

static const conv_case conv_cases[] = {
    /* n  c  h  w  o kh kw  stride   padding  dilation groups bias */
    {2, 3, 5, 6, 4, 3, 3, {1, 1}, {0, 0}, {1, 1}, 1, 1},
    {1, 2, 7, 5, 3, 3, 2, {2, 1}, {1, 0}, {1, 1}, 1, 0},
    {2, 4, 6, 6, 6, 2, 2, {1, 2}, {1, 1}, {1, 1}, 2, 1},
    {1, 3, 8, 7, 2, 3, 3, {1, 1}, {2, 1}, {2, 3}, 1, 1},
    {3, 4, 5, 5, 4, 3, 3, {2, 2}, {1, 1}, {1, 1}, 4, 0}, /* depthwise */
    {2, 6, 4, 4, 3, 1, 1, {1, 1}, {0, 0}, {1, 1}, 3, 1}, /* 1x1: the direct path */
    {1, 2, 5, 4, 2, 1, 1, {2, 2}, {1, 0}, {1, 1}, 1, 1}, /* 1x1 with stride and padding */
    {2, 3, 9, 9, 4, 3, 3, {3, 2}, {1, 2}, {2, 1}, 1, 1},
    {0, 2, 4, 4, 2, 3, 3, {1, 1}, {0, 0}, {1, 1}, 1, 1}, /* empty batch */
    {1, 2, 5, 6, 2, 2, 2, {1, 1}, {3, 4}, {1, 1}, 1, 1}, /* rows wholly in the padding */
    {2, 3, 7, 11, 2, 1, 5, {1, 3}, {0, 2}, {1, 1}, 1, 0}, /* a strided gather, both edges */
    {1, 1, 3, 3, 1, 5, 5, {1, 1}, {2, 2}, {1, 1}, 1, 0},  /* every row clipped */
};

static void test_conv_cases(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    l2_manual_seed(3);
    for (size_t ci = 0; ci < sizeof conv_cases / sizeof conv_cases[0]; ci++) {
        const conv_case *k = &conv_cases[ci];
        l2_tensor *x = l2_randn(L2_SHAPE(k->n, k->c, k->h, k->w), dt);
        l2_tensor *w = l2_randn(L2_SHAPE(k->o, k->c / k->groups, k->kh, k->kw), dt);
        l2_tensor *b = k->bias ? l2_randn(L2_SHAPE(k->o), dt) : NULL;
        l2_tensor *y = l2_conv2d(x, w, b, k->s, k->p, k->d, k->groups);
        double *xv = vals(x), *wv = vals(w), *bv = b ? vals(b) : NULL;
        double *want = ref_conv(k, xv, wv, bv);
        int64_t P = osz(k->h, k->kh, k->s[0], k->p[0], k->d[0]);
        int64_t Q = osz(k->w, k->kw, k->s[1], k->p[1], k->d[1]);
        ok(same_shape(y, L2_SHAPE(k->n, k->o, P, Q)) &&
               close_to(y, want, k->n * k->o * P * Q, dt == L2_FLOAT32 ? 1e-5 : 1e-12, "conv"),
           "conv2d case %zu (stride %lld,%lld pad %lld,%lld dil %lld,%lld groups %lld) (%s)", ci,
           (long long)k->s[0], (long long)k->s[1], (long long)k->p[0], (long long)k->p[1],
           (long long)k->d[0], (long long)k->d[1], (long long)k->groups, dn);
        l2_tensor_release(y);
        /* The same through a transposed-then-transposed-back (non-contiguous) x and w. */
        l2_tensor *xt = l2_transpose(x, 2, 3), *xc = l2_contiguous(xt);
        l2_tensor *xs = l2_transpose(xc, 2, 3);
        l2_tensor *wt = l2_transpose(w, 0, 1), *wc = l2_contiguous(wt);
        l2_tensor *ws = l2_transpose(wc, 0, 1);
        y = l2_conv2d(xs, ws, b, k->s, k->p, k->d, k->groups);
        ok(close_to(y, want, k->n * k->o * P * Q, dt == L2_FLOAT32 ? 1e-5 : 1e-12, "strided"),
           "conv2d case %zu with non-contiguous x and w (%s)", ci, dn);
        l2_tensor_release(y);
        free(xv);
        free(wv);
        free(bv);
        free(want);
        l2_tensor *list[] = {x, w, b, xt, xc, xs, wt, wc, ws};
        for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
            l2_tensor_release(list[i]);
    }
}

/* ---- pooling and pad forward ---- */

static void test_pool_hand(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    l2_tensor *x = ar(L2_SHAPE(1, 1, 4, 4), dt);
    const int64_t k2[2] = {2, 2};
    l2_tensor *y = l2_max_pool2d(x, k2, NULL, NULL);
    ok(same_shape(y, L2_SHAPE(1, 1, 2, 2)) && close_to(y, (const double[]){5, 7, 13, 15}, 4, 0,
                                                       "max"),
       "max_pool2d 2x2 on 4x4 arange (%s)", dn);
    l2_tensor_release(y);
    y = l2_avg_pool2d(x, k2, NULL, NULL);
    ok(close_to(y, (const double[]){2.5, 4.5, 10.5, 12.5}, 4, 0, "avg"),
       "avg_pool2d 2x2 on 4x4 arange (%s)", dn);
    l2_tensor_release(y);
    /* kernel 3, stride 2, padding 1: 2x2 output; the corner window covers x[0:2,0:2]. */
    const int64_t k3[2] = {3, 3}, s2[2] = {2, 2}, p1[2] = {1, 1};
    y = l2_avg_pool2d(x, k3, s2, p1);
    ok(close_to(y, (const double[]){(0 + 1 + 4 + 5) / 9.0, (1 + 2 + 3 + 5 + 6 + 7) / 9.0,
                                    (4 + 5 + 8 + 9 + 12 + 13) / 9.0,
                                    (5 + 6 + 7 + 9 + 10 + 11 + 13 + 14 + 15) / 9.0},
                4, 1e-6, "avg pad"),
       "avg_pool2d counts padding in the divisor (%s)", dn);
    l2_tensor_release(y);
    y = l2_max_pool2d(x, k3, s2, p1);
    ok(close_to(y, (const double[]){5, 7, 13, 15}, 4, 0, "max pad"),
       "max_pool2d kernel 3 stride 2 padding 1 (%s)", dn);
    l2_tensor_release(y);
    /* Negative values: padding never wins. */
    l2_tensor *neg = l2_full(L2_SHAPE(1, 2, 2), -3, dt);
    y = l2_max_pool2d(neg, k2, (const int64_t[]){1, 1}, (const int64_t[]){1, 1});
    ok(same_shape(y, L2_SHAPE(1, 3, 3)) &&
           close_to(y, (const double[]){-3, -3, -3, -3, -3, -3, -3, -3, -3}, 9, 0, "neg"),
       "max_pool2d: padding cells never win, unbatched (%s)", dn);
    l2_tensor_release(y);
    /* Adaptive: H = 5 -> 3 rows: [0,2), [1,4), [3,5); W = 4 -> 2 columns: [0,2), [2,4). */
    l2_tensor *x5 = ar(L2_SHAPE(1, 5, 4), dt);
    y = l2_adaptive_avg_pool2d(x5, (const int64_t[]){3, 2});
    double want[6];
    const int r0[3] = {0, 1, 3}, r1[3] = {2, 4, 5}, c0[2] = {0, 2}, c1[2] = {2, 4};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++) {
            double s = 0;
            for (int a = r0[i]; a < r1[i]; a++)
                for (int e = c0[j]; e < c1[j]; e++)
                    s += a * 4 + e;
            want[i * 2 + j] = s / ((r1[i] - r0[i]) * (c1[j] - c0[j]));
        }
    is_near(want[2], (4 + 5 + 8 + 9 + 12 + 13) / 6.0, 1e-12, "adaptive reference by hand");
    ok(same_shape(y, L2_SHAPE(1, 3, 2)) && close_to(y, want, 6, 1e-6, "adaptive"),
       "adaptive_avg_pool2d 5x4 -> 3x2 (%s)", dn);
    l2_tensor_release(y);
    y = l2_adaptive_avg_pool2d(x5, (const int64_t[]){1, 1});
    ok(close_to(y, (const double[]){9.5}, 1, 1e-6, "global"), "adaptive to 1x1 is the mean (%s)",
       dn);
    l2_tensor_release(y);
    l2_tensor_release(x5);
    l2_tensor_release(neg);
    l2_tensor_release(x);
}

static void test_pool_cases(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    struct {
        int64_t n, c, h, w, k[2], s[2], p[2];
    } cases[] = {
        {2, 3, 7, 6, {3, 2}, {2, 1}, {1, 1}},
        {1, 2, 5, 5, {2, 2}, {2, 2}, {0, 0}},
        {1, 1, 6, 9, {3, 4}, {1, 3}, {1, 2}},
        {3, 2, 4, 4, {4, 4}, {1, 1}, {2, 0}},
    };
    l2_manual_seed(4);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        l2_tensor *x = l2_randn(L2_SHAPE(cases[ci].n, cases[ci].c, cases[ci].h, cases[ci].w), dt);
        double *xv = vals(x);
        for (int mode = 0; mode < 2; mode++) {
            double *want = ref_pool(mode, xv, cases[ci].n * cases[ci].c, cases[ci].h,
                                    cases[ci].w, cases[ci].k, cases[ci].s, cases[ci].p);
            l2_tensor *y = mode ? l2_avg_pool2d(x, cases[ci].k, cases[ci].s, cases[ci].p)
                                : l2_max_pool2d(x, cases[ci].k, cases[ci].s, cases[ci].p);
            int64_t P = osz(cases[ci].h, cases[ci].k[0], cases[ci].s[0], cases[ci].p[0], 1);
            int64_t Q = osz(cases[ci].w, cases[ci].k[1], cases[ci].s[1], cases[ci].p[1], 1);
            ok(same_shape(y, L2_SHAPE(cases[ci].n, cases[ci].c, P, Q)) &&
                   close_to(y, want, cases[ci].n * cases[ci].c * P * Q, 1e-6, "pool"),
               "%s case %zu against the direct loop (%s)", mode ? "avg_pool2d" : "max_pool2d",
               ci, dn);
            l2_tensor_release(y);
            free(want);
        }
        free(xv);
        l2_tensor_release(x);
    }
}

/* max_pool2d 2x2 stride 2 without padding (its own loop, output columns in blocks of
 * l2_threshold("pool2x2_block")): values and the gradient's routing against a direct loop, on
 * small integers (ties: the first maximum wins) with a NaN in some windows (a NaN wins, the last
 * one when several), output widths on both sides of the block and odd input sizes (the last
 * row and column are never read), a large case at 1, 2 and 3 threads. */
static void test_pool2x2(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    int64_t blk = l2_threshold("pool2x2_block");
    ok(blk >= 1, "threshold pool2x2_block is %lld", (long long)blk);
    struct {
        int64_t n, c, h, w;
    } cases[] = {{1, 1, 2, 2}, {2, 3, 5, blk * 2 - 1}, {1, 2, 4, blk * 2},
                 {2, 1, 3, blk * 2 + 1}, {1, 3, 7, blk * 4 + 7}, {2, 4, 129, 259}};
    int nth[3] = {1, 2, 3}, keep = l2_get_num_threads();
    uint64_t seed = 12345;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        int64_t n = cases[ci].n, c = cases[ci].c, h = cases[ci].h, w = cases[ci].w;
        int64_t P = h / 2, Q = w / 2, planes = n * c, sz = planes * h * w, osz2 = planes * P * Q;
        double *xv = malloc(sizeof(double) * (size_t)sz);
        double *gv = malloc(sizeof(double) * (size_t)osz2);
        double *yw = malloc(sizeof(double) * (size_t)osz2);
        double *dxw = calloc((size_t)sz, sizeof(double));
        for (int64_t k = 0; k < sz; k++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            xv[k] = (double)((seed >> 33) % 5) - 2;
            if ((seed >> 20) % 97 == 0)
                xv[k] = NAN;
        }
        for (int64_t k = 0; k < osz2; k++)
            gv[k] = (double)(k % 7) + 0.5;
        for (int64_t pl = 0; pl < planes; pl++)
            for (int64_t i = 0; i < P; i++)
                for (int64_t j = 0; j < Q; j++) {
                    double best = -INFINITY;
                    int64_t arg = (2 * i) * w + 2 * j;
                    for (int64_t a = 0; a < 2; a++)
                        for (int64_t e = 0; e < 2; e++) {
                            double v = xv[pl * h * w + (2 * i + a) * w + 2 * j + e];
                            if (v > best || isnan(v)) {
                                best = v;
                                arg = (2 * i + a) * w + 2 * j + e;
                            }
                        }
                    yw[(pl * P + i) * Q + j] = best;
                    dxw[pl * h * w + arg] += gv[(pl * P + i) * Q + j];
                }
        l2_tensor *x64 = l2_from_data(xv, 4, (const int64_t[]){n, c, h, w}, L2_FLOAT64);
        l2_tensor *g64 = l2_from_data(gv, 4, (const int64_t[]){n, c, P, Q}, L2_FLOAT64);
        l2_tensor *x = l2_to_dtype(x64, dt), *g = l2_to_dtype(g64, dt);
        for (int t = 0; t < 3; t++) {
            if (ci + 1 < sizeof cases / sizeof cases[0] && t > 0)
                break; /* small cases run on one thread whatever the count */
            l2_set_num_threads(nth[t]);
            l2_set_requires_grad(x, true);
            l2_tensor *y = l2_max_pool2d(x, (const int64_t[]){2, 2}, (const int64_t[]){2, 2},
                                         (const int64_t[]){0, 0});
            int good = y && l2_backward(y, g, false) == L2_OK && l2_grad(x);
            double *yv = good ? vals(y) : NULL, *dv = good ? vals(l2_grad(x)) : NULL;
            int64_t bad = -1;
            for (int64_t k = 0; good && k < osz2 && bad < 0; k++)
                if (!(yv[k] == yw[k] || (isnan(yv[k]) && isnan(yw[k]))))
                    bad = k;
            ok(good && bad < 0, "max_pool2d 2x2/2 %lldx%lldx%lldx%lld values, %d threads (%s)",
               (long long)n, (long long)c, (long long)h, (long long)w, nth[t], dn);
            if (bad >= 0)
                printf("#   output %lld: got %g want %g\n", (long long)bad, yv[bad], yw[bad]);
            bad = -1;
            for (int64_t k = 0; good && k < sz && bad < 0; k++)
                if (dv[k] != dxw[k])
                    bad = k;
            ok(good && bad < 0, "max_pool2d 2x2/2 %lldx%lldx%lldx%lld gradient, %d threads (%s)",
               (long long)n, (long long)c, (long long)h, (long long)w, nth[t], dn);
            if (bad >= 0)
                printf("#   input %lld: got %g want %g\n", (long long)bad, dv[bad], dxw[bad]);
            free(yv);
            free(dv);
            l2_tensor_release(y);
            l2_set_grad_none(x);
        }
        l2_set_num_threads(keep);
        l2_tensor *list[] = {x64, g64, x, g};
        for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
            l2_tensor_release(list[i]);
        free(xv);
        free(gv);
        free(yw);
        free(dxw);
    }
}

static void test_pad(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    l2_tensor *x = ar(L2_SHAPE(2, 3), dt); /* [[0,1,2],[3,4,5]] */
    /* last dim (1, 2), first dim (1, 0): (3, 6) */
    l2_tensor *y = l2_pad(x, 4, (const int64_t[]){1, 2, 1, 0}, -1);
    const double want[18] = {-1, -1, -1, -1, -1, -1, -1, 0, 1, 2, -1, -1, -1, 3, 4, 5, -1, -1};
    ok(same_shape(y, L2_SHAPE(3, 6)) && close_to(y, want, 18, 0, "pad"),
       "pad (1,2,1,0) with value -1 (%s)", dn);
    l2_tensor_release(y);
    /* Negative pads crop: last dim (-1, 1), first dim (0, -1): [[1, 2, 7]] */
    y = l2_pad(x, 4, (const int64_t[]){-1, 1, 0, -1}, 7);
    ok(same_shape(y, L2_SHAPE(1, 3)) && close_to(y, (const double[]){1, 2, 7}, 3, 0, "crop"),
       "pad with negative values crops (%s)", dn);
    l2_tensor_release(y);
    /* A transposed input and only the last dim padded. */
    l2_tensor *xt = l2_t(x); /* [[0,3],[1,4],[2,5]] */
    y = l2_pad(xt, 2, (const int64_t[]){0, 1}, 0);
    ok(same_shape(y, L2_SHAPE(3, 3)) &&
           close_to(y, (const double[]){0, 3, 0, 1, 4, 0, 2, 5, 0}, 9, 0, "pad t"),
       "pad of a transposed input (%s)", dn);
    l2_tensor_release(y);
    y = l2_pad(x, 0, NULL, 0);
    ok(same_shape(y, L2_SHAPE(2, 3)) && close_to(y, (const double[]){0, 1, 2, 3, 4, 5}, 6, 0,
                                                 "pad none"),
       "pad with no pads copies (%s)", dn);
    l2_tensor_release(y);
    y = l2_pad(x, 2, (const int64_t[]){-3, 0}, 0);
    ok(same_shape(y, L2_SHAPE(2, 0)), "pad cropping everything leaves an empty dim (%s)", dn);
    l2_tensor_release(y);
    l2_tensor_release(xt);
    l2_tensor_release(x);
}

static void test_pad_int(void)
{
    l2_tensor *x = ar(L2_SHAPE(2), L2_INT64);
    l2_tensor *y = l2_pad(x, 2, (const int64_t[]){1, 1}, 9);
    int64_t v = 0;
    ok(same_shape(y, L2_SHAPE(4)) && l2_dtype_of(y) == L2_INT64 &&
           l2_get_int64(y, (const int64_t[]){0}, &v) == L2_OK && v == 9,
       "pad of an int64 tensor");
    l2_tensor_release(y);
    l2_tensor_release(x);
}

/* ---- errors ---- */

static void test_errors(void)
{
    l2_tensor *x = l2_zeros(L2_SHAPE(1, 2, 4, 4), L2_FLOAT32);
    l2_tensor *w = l2_zeros(L2_SHAPE(3, 2, 3, 3), L2_FLOAT32);
    l2_tensor *w64 = l2_zeros(L2_SHAPE(3, 2, 3, 3), L2_FLOAT64);
    l2_tensor *w5 = l2_zeros(L2_SHAPE(3, 2, 5, 5), L2_FLOAT32);
    l2_tensor *wg = l2_zeros(L2_SHAPE(3, 1, 3, 3), L2_FLOAT32);
    l2_tensor *b2 = l2_zeros(L2_SHAPE(2), L2_FLOAT32);
    l2_tensor *xi = l2_zeros(L2_SHAPE(1, 2, 4, 4), L2_INT64);
    l2_tensor *x2 = l2_zeros(L2_SHAPE(4, 4), L2_FLOAT32);
    is_err(l2_conv2d(NULL, w, NULL, NULL, NULL, NULL, 1), L2_ERR_NULL, "'x'", "conv2d: NULL x");
    is_err(l2_conv2d(x, w64, NULL, NULL, NULL, NULL, 1), L2_ERR_DTYPE, "weight type",
           "conv2d: dtype mismatch");
    is_err(l2_conv2d(xi, w, NULL, NULL, NULL, NULL, 1), L2_ERR_DTYPE, "int64",
           "conv2d: int64 input");
    is_err(l2_conv2d(x2, w, NULL, NULL, NULL, NULL, 1), L2_ERR_SHAPE, "[4,4]",
           "conv2d: 2-D input");
    is_err(l2_conv2d(x, w5, NULL, NULL, NULL, NULL, 1), L2_ERR_SHAPE,
           "(4 x 4). Kernel size: (5 x 5)", "conv2d: kernel larger than the input");
    is_err(l2_conv2d(x, w, NULL, NULL, NULL, (const int64_t[]){2, 2}, 1), L2_ERR_SHAPE,
           "Kernel size: (5 x 5)", "conv2d: dilated kernel larger than the input");
    is_err(l2_conv2d(x, wg, NULL, NULL, NULL, NULL, 1), L2_ERR_SHAPE, "to have 1 channels",
           "conv2d: channel mismatch");
    is_err(l2_conv2d(x, wg, NULL, NULL, NULL, NULL, 2), L2_ERR_SHAPE, "divisible by 2",
           "conv2d: O not divisible by groups");
    is_err(l2_conv2d(x, w, b2, NULL, NULL, NULL, 1), L2_ERR_SHAPE, "bias",
           "conv2d: bias of the wrong size");
    is_err(l2_conv2d(x, w, NULL, (const int64_t[]){0, 1}, NULL, NULL, 1), L2_ERR_ARG, "stride",
           "conv2d: stride 0");
    is_err(l2_conv2d(x, w, NULL, NULL, (const int64_t[]){-1, 0}, NULL, 1), L2_ERR_ARG,
           "negative padding", "conv2d: negative padding");
    is_err(l2_conv2d(x, w, NULL, NULL, NULL, (const int64_t[]){1, 0}, 1), L2_ERR_ARG,
           "dilation", "conv2d: dilation 0");
    is_err(l2_conv2d(x, w, NULL, NULL, NULL, NULL, 0), L2_ERR_ARG, "groups", "conv2d: groups 0");

    const int64_t k5[2] = {5, 5}, k2[2] = {2, 2};
    is_err(l2_max_pool2d(x, k5, NULL, NULL), L2_ERR_SHAPE, "(2x4x4) and kernel size (5x5)",
           "max_pool2d: output too small names input and kernel");
    is_err(l2_avg_pool2d(x, k5, NULL, NULL), L2_ERR_SHAPE, "Output size is too small",
           "avg_pool2d: output too small");
    is_err(l2_max_pool2d(x, k2, NULL, (const int64_t[]){2, 0}), L2_ERR_ARG, "half",
           "max_pool2d: padding above kernel/2");
    is_err(l2_avg_pool2d(x, (const int64_t[]){0, 2}, NULL, NULL), L2_ERR_ARG, "kernel",
           "avg_pool2d: kernel 0");
    is_err(l2_max_pool2d(x, k2, (const int64_t[]){2, 0}, NULL), L2_ERR_ARG, "stride",
           "max_pool2d: stride 0");
    is_err(l2_max_pool2d(x, NULL, NULL, NULL), L2_ERR_NULL, "kernel", "max_pool2d: NULL kernel");
    is_err(l2_max_pool2d(x2, k2, NULL, NULL), L2_ERR_SHAPE, "3D", "max_pool2d: 2-D input");
    is_err(l2_avg_pool2d(xi, k2, NULL, NULL), L2_ERR_DTYPE, "int64", "avg_pool2d: int64");
    is_err(l2_adaptive_avg_pool2d(x, (const int64_t[]){-1, 2}), L2_ERR_ARG, "non-negative",
           "adaptive_avg_pool2d: negative size");
    is_err(l2_adaptive_avg_pool2d(x, NULL), L2_ERR_NULL, "output_size",
           "adaptive_avg_pool2d: NULL size");
    l2_tensor *e = l2_zeros(L2_SHAPE(1, 0, 3), L2_FLOAT32);
    is_err(l2_adaptive_avg_pool2d(e, (const int64_t[]){1, 1}), L2_ERR_SHAPE, "non-zero",
           "adaptive_avg_pool2d: empty spatial dim");

    is_err(l2_pad(x2, 3, (const int64_t[]){1, 1, 1}, 0), L2_ERR_ARG, "even", "pad: odd length");
    is_err(l2_pad(x2, 6, (const int64_t[]){1, 1, 1, 1, 1, 1}, 0), L2_ERR_ARG, "too large",
           "pad: longer than 2 ndim");
    is_err(l2_pad(x2, 2, (const int64_t[]){-3, -2}, 0), L2_ERR_SHAPE, "negative output size",
           "pad: crop below zero");
    is_err(l2_pad(x2, 2, NULL, 0), L2_ERR_NULL, "pad", "pad: NULL pads");
    is_err(l2_pad(NULL, 0, NULL, 0), L2_ERR_NULL, "'x'", "pad: NULL x");
    l2_tensor *list[] = {x, w, w64, w5, wg, b2, xi, x2, e};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

/* ---- gradients ---- */

enum { AS_IS, TRANSPOSED, STEPPED, BROADCAST };
static const char *layout_names[] = {"contiguous", "transposed", "stepped slice", "broadcast"};

/* A float64 leaf for an operand of shape (a, b, h, w) reached through a layout:
 * TRANSPOSED stores (a, b, w, h) and swaps the last two dims back; STEPPED stores w doubled and
 * slices ::2; BROADCAST stores a = 1 and expands. */
static l2_tensor *leaf4(int layout, int64_t a, int64_t b, int64_t h, int64_t w)
{
    switch (layout) {
    case TRANSPOSED: return gc_leaf(L2_SHAPE(a, b, w, h), -1, 1);
    case STEPPED: return gc_leaf(L2_SHAPE(a, b, h, 2 * w), -1, 1);
    case BROADCAST: return gc_leaf(L2_SHAPE(1, b, h, w), -1, 1);
    default: return gc_leaf(L2_SHAPE(a, b, h, w), -1, 1);
    }
}

static l2_tensor *operand4(l2_tensor *t, int layout, int64_t a)
{
    switch (layout) {
    case TRANSPOSED: return l2_transpose(t, 2, 3);
    case STEPPED: return l2_slice(t, 3, 0, INT64_MAX, 2);
    case BROADCAST: {
        const int64_t *s = l2_shape(t);
        return l2_expand(t, L2_SHAPE(a, s[1], s[2], s[3]));
    }
    default: return l2_tensor_ref(t);
    }
}

typedef struct {
    int layout;
    const conv_case *k;
    int pool; /* 0 max, 1 avg, 2 adaptive */
} gctx;

static l2_tensor *f_conv(l2_tensor *const *in, void *vctx)
{
    const gctx *c = vctx;
    l2_tensor *x = operand4(in[0], c->layout, c->k->n);
    l2_tensor *r = l2_conv2d(x, in[1], c->k->bias ? in[2] : NULL, c->k->s, c->k->p, c->k->d,
                             c->k->groups);
    l2_tensor_release(x);
    return r;
}

static l2_tensor *f_pool(l2_tensor *const *in, void *vctx)
{
    const gctx *c = vctx;
    l2_tensor *x = operand4(in[0], c->layout, 2);
    l2_tensor *r = NULL;
    if (c->pool == 0)
        r = l2_max_pool2d(x, (const int64_t[]){3, 2}, (const int64_t[]){2, 1},
                          (const int64_t[]){1, 1});
    else if (c->pool == 1)
        r = l2_avg_pool2d(x, (const int64_t[]){3, 2}, (const int64_t[]){2, 1},
                          (const int64_t[]){1, 1});
    else
        r = l2_adaptive_avg_pool2d(x, (const int64_t[]){3, 2});
    l2_tensor_release(x);
    return r;
}

static l2_tensor *f_pad(l2_tensor *const *in, void *vctx)
{
    const gctx *c = vctx;
    l2_tensor *x = operand4(in[0], c->layout, 2);
    l2_tensor *r = l2_pad(x, 6, (const int64_t[]){1, -1, 2, 0, -1, 1}, 3);
    l2_tensor_release(x);
    return r;
}

static void test_grads(void)
{
    l2_manual_seed(11);
    static const conv_case gcases[] = {
        {2, 2, 5, 4, 3, 3, 2, {2, 1}, {1, 1}, {1, 1}, 1, 1},
        {2, 4, 5, 5, 2, 2, 3, {1, 2}, {0, 1}, {2, 1}, 2, 1},
        {2, 2, 3, 4, 4, 1, 1, {1, 1}, {0, 0}, {1, 1}, 2, 0},
    };
    for (size_t ci = 0; ci < sizeof gcases / sizeof gcases[0]; ci++) {
        const conv_case *k = &gcases[ci];
        for (int layout = AS_IS; layout <= BROADCAST; layout++) {
            l2_tensor *x = leaf4(layout, k->n, k->c, k->h, k->w);
            l2_tensor *w = gc_leaf(L2_SHAPE(k->o, k->c / k->groups, k->kh, k->kw), -1, 1);
            l2_tensor *b = gc_leaf(L2_SHAPE(k->o), -1, 1);
            gctx c = {layout, k, 0};
            ok(gradcheck("conv2d", f_conv, k->bias ? 3 : 2, (l2_tensor *[]){x, w, b}, &c),
               "gradcheck: conv2d case %zu, x %s (dx, dw%s)", ci, layout_names[layout],
               k->bias ? ", db" : "");
            l2_tensor_release(x);
            l2_tensor_release(w);
            l2_tensor_release(b);
        }
    }
    /* Unbatched conv, x only. */
    static const conv_case ub = {1, 2, 4, 4, 2, 2, 2, {1, 1}, {1, 0}, {1, 1}, 1, 1};
    l2_tensor *x3 = gc_leaf(L2_SHAPE(2, 4, 4), -1, 1);
    l2_tensor *w = gc_leaf(L2_SHAPE(2, 2, 2, 2), -1, 1);
    l2_tensor *b = gc_leaf(L2_SHAPE(2), -1, 1);
    gctx c = {AS_IS, &ub, 0};
    ok(gradcheck("conv2d unbatched", f_conv, 3, (l2_tensor *[]){x3, w, b}, &c),
       "gradcheck: conv2d unbatched");
    l2_tensor *y = f_conv((l2_tensor *[]){x3, w, b}, &c);
    is_str(l2_grad_fn_name(y), "conv2d", "grad_fn of conv2d");
    l2_tensor_release(y);
    l2_tensor_release(x3);
    l2_tensor_release(w);
    l2_tensor_release(b);

    static const char *pools[] = {"max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"};
    for (int pool = 0; pool < 3; pool++)
        for (int layout = AS_IS; layout <= BROADCAST; layout++) {
            l2_tensor *x = leaf4(layout, 2, 2, 5, 4);
            gctx pc = {layout, NULL, pool};
            ok(gradcheck(pools[pool], f_pool, 1, &x, &pc), "gradcheck: %s (%s)", pools[pool],
               layout_names[layout]);
            l2_tensor_release(x);
        }
    for (int layout = AS_IS; layout <= BROADCAST; layout++) {
        l2_tensor *x = leaf4(layout, 2, 2, 3, 4);
        gctx pc = {layout, NULL, 0};
        ok(gradcheck("pad", f_pad, 1, &x, &pc), "gradcheck: pad with crops (%s)",
           layout_names[layout]);
        l2_tensor_release(x);
    }

    /* max_pool2d on ties sends the whole gradient to the first maximum of each window. */
    l2_tensor *t = l2_ones(L2_SHAPE(1, 1, 2, 4), L2_FLOAT64);
    l2_set_requires_grad(t, true);
    y = l2_max_pool2d(t, (const int64_t[]){2, 2}, NULL, NULL);
    l2_tensor *g1 = l2_ones(L2_SHAPE(1, 1, 1, 2), L2_FLOAT64);
    ok(y && l2_backward(y, g1, false) == L2_OK, "max_pool2d backward on ties runs");
    l2_tensor_release(g1);
    ok(l2_grad(t) && close_to(l2_grad(t), (const double[]){1, 0, 1, 0, 0, 0, 0, 0}, 8, 0, "ties"),
       "max_pool2d ties: gradient to the first maximum");
    l2_tensor_release(y);
    l2_tensor_release(t);
}

/* ---- out of memory ---- */

static void test_oom(void)
{
    static const conv_case k = {2, 4, 5, 5, 2, 2, 3, {1, 2}, {0, 1}, {2, 1}, 2, 1};
    l2_tensor *x = leaf4(AS_IS, 2, 4, 5, 5), *w = gc_leaf(L2_SHAPE(2, 2, 2, 3), -1, 1);
    l2_tensor *b = gc_leaf(L2_SHAPE(2), -1, 1);
    gctx c = {AS_IS, &k, 0};
    oom_check("conv2d", f_conv, 3, (l2_tensor *[]){x, w, b}, &c);
    static const char *pools[] = {"max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"};
    for (c.pool = 0; c.pool < 3; c.pool++)
        oom_check(pools[c.pool], f_pool, 1, &x, &c);
    oom_check("pad", f_pad, 1, &x, &c);
    l2_tensor_release(x);
    l2_tensor_release(w);
    l2_tensor_release(b);
}

int main(void)
{
    test_conv_hand(L2_FLOAT32);
    test_conv_hand(L2_FLOAT64);
    test_conv_cases(L2_FLOAT32);
    test_conv_cases(L2_FLOAT64);
    test_pool_hand(L2_FLOAT32);
    test_pool_hand(L2_FLOAT64);
    test_pool_cases(L2_FLOAT32);
    test_pool_cases(L2_FLOAT64);
    test_pool2x2(L2_FLOAT32);
    test_pool2x2(L2_FLOAT64);
    test_pad(L2_FLOAT32);
    test_pad(L2_FLOAT64);
    test_pad_int();
    test_errors();
    test_grads();
    test_oom();
    {
        /* torch 1.13's pad rules: negative pads narrow; with any positive pad every padded dim
         * must stay > 0 (checked against torch on 3,000 random cases while writing this). */
        l2_tensor *a = l2_zeros(L2_SHAPE(5, 1, 7), L2_FLOAT32);
        l2_tensor *b = l2_zeros(L2_SHAPE(1, 3), L2_FLOAT32);
        l2_tensor *c = l2_zeros(L2_SHAPE(0, 3), L2_FLOAT32), *r;
        r = l2_pad(a, 4, (const int64_t[]){3, 0, -1, 0}, 0);
        ok(!r && l2_last_status() == L2_ERR_SHAPE,
           "pad: a padded dim of size 0 next to a positive pad is refused");
        l2_tensor_release(r);
        r = l2_pad(b, 2, (const int64_t[]){-1, -2}, 0);
        ok(same_shape(r, L2_SHAPE(1, 0)), "pad: only negative pads may narrow to size 0");
        l2_tensor_release(r);
        r = l2_pad(c, 4, (const int64_t[]){0, 0, 1, 1}, 0);
        ok(same_shape(r, L2_SHAPE(2, 3)), "pad: an empty dim grows");
        l2_tensor_release(r);
        ok(!(r = l2_pad(c, 4, (const int64_t[]){0, 1, -1, 2}, 0)), "pad: narrowing an empty dim");
        l2_tensor_release(r);
        l2_tensor_release(a);
        l2_tensor_release(b);
        l2_tensor_release(c);
    }
    return tap_done();
}
