/* test-conv3.c: the conv3 family (issue 14): conv3d against a direct loop written here (stride,
 * padding, dilation, groups, bias, unbatched input), max_pool3d and avg_pool3d against window
 * loops, adaptive_max_pool2d's windows, ties and NaN, max_unpool2d as the inverse scatter of
 * max_pool2d_ex; gradients by finite differences, errors (nothing returned, the message names
 * the op), the out-of-memory sweep and the scope. Values against torch: the oracle
 * (oracle/reg_conv3.py). */
#include <l2.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

/* A call that must fail with status st, return NULL and name op in its message. */
static void fails(l2_tensor *r, l2_status st, const char *op, const char *what)
{
    bool good = !r && l2_last_status() == st && strncmp(l2_last_error(), op, strlen(op)) == 0;
    ok(good, "%s: %s fails with %s (got %s: %s)", op, what, l2_status_name(st),
       l2_status_name(r ? L2_OK : l2_last_status()), r ? "a result" : l2_last_error());
    l2_tensor_release(r);
}

/* The largest |r - ref| over r's flat elements (INFINITY for a NULL r or another count). */
static double max_diff(const l2_tensor *r, const double *ref, int64_t n)
{
    if (!r || l2_numel(r) != n)
        return INFINITY;
    double m = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs(flat(r, i) - ref[i]);
        m = d > m || isnan(d) ? d : m;
    }
    return m;
}

/* ---- conv3d --------------------------------------------------------------------------------- */

/* N, C, D, H, W, Og, kD, kH, kW, s (all axes), pD, pH, pW, dD, dH, dW, groups, bias */
static const int64_t ccfg[][18] = {
    {2, 3, 4, 5, 3, 2, 3, 3, 2, 1, 0, 0, 0, 1, 1, 1, 1, 1},
    {1, 2, 5, 4, 6, 3, 2, 2, 3, 2, 1, 0, 1, 1, 1, 1, 1, 0},
    {2, 4, 3, 4, 5, 1, 2, 3, 2, 1, 1, 1, 0, 2, 1, 2, 2, 1},
    {1, 6, 3, 3, 3, 2, 1, 1, 1, 3, 0, 0, 0, 1, 1, 1, 3, 1},
    {1, 2, 2, 3, 4, 2, 3, 3, 3, 1, 2, 1, 2, 1, 2, 1, 1, 1},
};
#define NCCFG ((int)(sizeof ccfg / sizeof ccfg[0]))

/* y[n, o, t, p, q] = b[o] + sum over c, i, j, m of x[n, gi Cg + c, t s - pD + i dD, ...] w[o, c,
 * i, j, m] (cells outside the input skipped), into a flat double array. */
static void conv3_ref(const l2_tensor *x, const l2_tensor *w, const l2_tensor *b,
                      const int64_t *c, const int64_t *out, double *y)
{
    int64_t N = c[0], C = c[1], O = c[5] * c[16], cg = C / c[16], k = 0;
    for (int64_t n = 0; n < N; n++)
        for (int64_t o = 0; o < O; o++)
            for (int64_t t = 0; t < out[0]; t++)
                for (int64_t p = 0; p < out[1]; p++)
                    for (int64_t q = 0; q < out[2]; q++, k++) {
                        double acc = b ? at(b, (int64_t[]){o}) : 0;
                        int64_t gi = o / c[5];
                        for (int64_t ci = 0; ci < cg; ci++)
                            for (int64_t i = 0; i < c[6]; i++)
                                for (int64_t j = 0; j < c[7]; j++)
                                    for (int64_t m = 0; m < c[8]; m++) {
                                        int64_t z = t * c[9] - c[10] + i * c[13];
                                        int64_t yy = p * c[9] - c[11] + j * c[14];
                                        int64_t xx = q * c[9] - c[12] + m * c[15];
                                        if (z < 0 || z >= c[2] || yy < 0 || yy >= c[3] ||
                                            xx < 0 || xx >= c[4])
                                            continue;
                                        acc += at(x, (int64_t[]){n, gi * cg + ci, z, yy, xx}) *
                                               at(w, (int64_t[]){o, ci, i, j, m});
                                    }
                        y[k] = acc;
                    }
}

static void test_conv3d_values(void)
{
    for (int ci = 0; ci < NCCFG; ci++)
        for (int dt = 0; dt < 2; dt++) {
            const int64_t *c = ccfg[ci];
            l2_dtype t = dt ? L2_FLOAT64 : L2_FLOAT32;
            l2_tensor *x = l2_randn(L2_SHAPE(c[0], c[1], c[2], c[3], c[4]), t);
            l2_tensor *w = l2_randn(L2_SHAPE(c[5] * c[16], c[1] / c[16], c[6], c[7], c[8]), t);
            l2_tensor *b = c[17] ? l2_randn(L2_SHAPE(c[5] * c[16]), t) : NULL;
            int64_t out[3];
            for (int i = 0; i < 3; i++)
                out[i] = (c[2 + i] + 2 * c[10 + i] - c[13 + i] * (c[6 + i] - 1) - 1) / c[9] + 1;
            int64_t n = c[0] * c[5] * c[16] * out[0] * out[1] * out[2];
            double *ref = malloc(sizeof(double) * (size_t)n);
            conv3_ref(x, w, b, c, out, ref);
            const int64_t s[3] = {c[9], c[9], c[9]};
            l2_tensor *y = l2_conv3d(x, w, b, s, c + 10, c + 13, c[16]);
            double tol = dt ? 1e-10 : 1e-4;
            ok(y && same_shape(y, 5, (int64_t[]){c[0], c[5] * c[16], out[0], out[1], out[2]}) &&
               max_diff(y, ref, n) < tol, "conv3d %s config %d matches the direct loop (max "
               "diff %g)", l2_dtype_name(t), ci, max_diff(y, ref, n));
            if (c[0] == 1) { /* unbatched: the same values */
                l2_tensor *x4 = l2_select(x, 0, 0);
                l2_tensor *y4 = l2_conv3d(x4, w, b, s, c + 10, c + 13, c[16]);
                ok(y4 && l2_ndim(y4) == 4 && max_diff(y4, ref, n) < tol,
                   "conv3d %s config %d unbatched", l2_dtype_name(t), ci);
                l2_tensor_release(x4);
                l2_tensor_release(y4);
            }
            free(ref);
            l2_tensor_release(x);
            l2_tensor_release(w);
            l2_tensor_release(b);
            l2_tensor_release(y);
        }
}

static l2_tensor *f_conv3(l2_tensor *const *in, void *ctx)
{
    const int64_t *c = ctx, s[3] = {c[9], c[9], c[9]};
    return l2_conv3d(in[0], in[1], in[2], s, c + 10, c + 13, c[16]);
}

static void test_conv3d_grads(void)
{
    for (int ci = 0; ci < NCCFG; ci++) {
        const int64_t *c = ccfg[ci];
        l2_tensor *in[3] = {gc_leaf(L2_SHAPE(c[0], c[1], c[2], c[3], c[4]), -1, 1),
                            gc_leaf(L2_SHAPE(c[5] * c[16], c[1] / c[16], c[6], c[7], c[8]), -1,
                                    1),
                            gc_leaf(L2_SHAPE(c[5] * c[16]), -1, 1)};
        ok(gradcheck("conv3d", f_conv3, 3, in, (void *)c), "conv3d config %d: gradients of x, "
           "w and b match finite differences", ci);
        if (ci == 2)
            oom_check("conv3d", f_conv3, 3, in, (void *)c);
        for (int i = 0; i < 3; i++)
            l2_tensor_release(in[i]);
    }
}

static void test_conv3d_errors(void)
{
    const char *op = "conv3d";
    l2_tensor *x = l2_randn(L2_SHAPE(1, 2, 3, 3, 3), L2_FLOAT32);
    l2_tensor *w = l2_randn(L2_SHAPE(2, 2, 2, 2, 2), L2_FLOAT32);
    l2_tensor *wd = l2_randn(L2_SHAPE(2, 2, 2, 2, 2), L2_FLOAT64);
    l2_tensor *w3 = l2_randn(L2_SHAPE(3, 1, 2, 2, 2), L2_FLOAT32);
    l2_tensor *w4 = l2_randn(L2_SHAPE(2, 2, 2, 2), L2_FLOAT32);
    l2_tensor *b3 = l2_randn(L2_SHAPE(3), L2_FLOAT32);
    l2_tensor *xi = l2_zeros(L2_SHAPE(1, 2, 3, 3, 3), L2_INT64);
    const int64_t z[3] = {1, 0, 1}, neg[3] = {0, -1, 0};
    fails(l2_conv3d(NULL, w, NULL, NULL, NULL, NULL, 1), L2_ERR_NULL, op, "NULL x");
    fails(l2_conv3d(x, NULL, NULL, NULL, NULL, NULL, 1), L2_ERR_NULL, op, "NULL w");
    fails(l2_conv3d(xi, w, NULL, NULL, NULL, NULL, 1), L2_ERR_DTYPE, op, "int x");
    fails(l2_conv3d(x, wd, NULL, NULL, NULL, NULL, 1), L2_ERR_DTYPE, op, "mixed dtypes");
    fails(l2_conv3d(x, w4, NULL, NULL, NULL, NULL, 1), L2_ERR_SHAPE, op, "rank 4 w");
    fails(l2_conv3d(b3, w, NULL, NULL, NULL, NULL, 1), L2_ERR_SHAPE, op, "rank 1 x");
    fails(l2_conv3d(x, w, NULL, z, NULL, NULL, 1), L2_ERR_ARG, op, "stride 0");
    fails(l2_conv3d(x, w, NULL, NULL, neg, NULL, 1), L2_ERR_ARG, op, "negative padding");
    fails(l2_conv3d(x, w, NULL, NULL, NULL, z, 1), L2_ERR_ARG, op, "dilation 0");
    fails(l2_conv3d(x, w, NULL, NULL, NULL, NULL, 0), L2_ERR_ARG, op, "groups 0");
    fails(l2_conv3d(x, w3, NULL, NULL, NULL, NULL, 2), L2_ERR_SHAPE, op, "O not divisible");
    fails(l2_conv3d(x, w3, NULL, NULL, NULL, NULL, 3), L2_ERR_SHAPE, op, "channels");
    fails(l2_conv3d(x, w, b3, NULL, NULL, NULL, 1), L2_ERR_SHAPE, op, "bias");
    fails(l2_conv3d(x, w, NULL, NULL, NULL, (const int64_t[]){1, 3, 1}, 1), L2_ERR_SHAPE, op,
          "dilated kernel larger than the input");
    fails(l2_conv3d(x, w, NULL, NULL, (const int64_t[]){INT64_MAX / 2, 0, 0}, NULL, 1),
          L2_ERR_OVERFLOW, op, "padded size overflow");
    l2_tensor *ts[] = {x, w, wd, w3, w4, b3, xi};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        l2_tensor_release(ts[i]);
    l2_tensor *xz = l2_randn(L2_SHAPE(0, 2, 3, 3, 3), L2_FLOAT32);
    l2_tensor *wz = l2_randn(L2_SHAPE(4, 2, 2, 2, 2), L2_FLOAT32);
    l2_tensor *yz = l2_conv3d(xz, wz, NULL, NULL, NULL, NULL, 1);
    ok(yz && same_shape(yz, 5, (int64_t[]){0, 4, 2, 2, 2}), "conv3d: batch 0 -> (0, 4, 2, 2, "
       "2)");
    l2_tensor_release(xz);
    l2_tensor_release(wz);
    l2_tensor_release(yz);
}

/* ---- max_pool3d and avg_pool3d ------------------------------------------------------------- */

static int64_t pout(int64_t n, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil)
{
    int64_t num = n + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0);
    int64_t o = (num >= 0 ? num / s : -((-num + s - 1) / s)) + 1;
    if (ceil && (o - 1) * s >= n + p)
        o--;
    return o;
}

/* D, H, W, k (3), s (3), p (3), d (3), ceil */
static const int64_t pcfg[][16] = {
    {4, 5, 6, 2, 2, 2, 2, 2, 2, 0, 0, 0, 1, 1, 1, 0},
    {5, 4, 7, 3, 2, 3, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1},
    {3, 6, 5, 2, 3, 2, 1, 2, 3, 1, 1, 0, 2, 1, 1, 1},
    {6, 3, 4, 3, 1, 2, 3, 1, 1, 0, 0, 1, 1, 1, 1, 0},
};
#define NPCFG ((int)(sizeof pcfg / sizeof pcfg[0]))

/* Window reference of one output cell: max (and its first flat position) or average. */
static void pool3_ref(const l2_tensor *x, int64_t pl, const int64_t *c, const int64_t o[3],
                      bool avg, bool inc, double *val, int64_t *arg)
{
    double best = -INFINITY, sum = 0;
    int64_t cnt = 0, first = -1, lo[3], hi[3], pool = 1;
    for (int a = 0; a < 3; a++) {
        lo[a] = o[a] * c[6 + a] - c[9 + a];
        hi[a] = lo[a] + (c[3 + a] - 1) * c[12 + a] + 1;
        int64_t e = lo[a] + c[3 + a] < c[a] + c[9 + a] ? lo[a] + c[3 + a] : c[a] + c[9 + a];
        pool *= e - lo[a];
    }
    for (int64_t z = lo[0]; z < hi[0]; z += c[12])
        for (int64_t y = lo[1]; y < hi[1]; y += c[13])
            for (int64_t xx = lo[2]; xx < hi[2]; xx += c[14]) {
                if (z < 0 || z >= c[0] || y < 0 || y >= c[1] || xx < 0 || xx >= c[2])
                    continue;
                int64_t f = (z * c[1] + y) * c[2] + xx;
                double v = flat(x, pl * c[0] * c[1] * c[2] + f);
                first = first < 0 ? f : first;
                sum += v;
                cnt++;
                if (v > best) {
                    best = v;
                    *arg = f;
                }
            }
    if (best == -INFINITY)
        *arg = first;
    *val = avg ? (cnt ? sum / (double)(inc ? pool : cnt) : 0) : best;
}

static void test_pool3d_values(void)
{
    for (int ci = 0; ci < NPCFG; ci++) {
        const int64_t *c = pcfg[ci];
        bool ceil = c[15];
        l2_tensor *x = l2_randn(L2_SHAPE(2, 2, c[0], c[1], c[2]), L2_FLOAT64);
        int64_t out[3], n = 4, bad = 0, badi = 0, bada = 0, badb = 0;
        for (int a = 0; a < 3; a++)
            n *= out[a] = pout(c[a], c[3 + a], c[6 + a], c[9 + a], c[12 + a], ceil);
        l2_tensor *ix = NULL;
        l2_tensor *y = l2_max_pool3d(x, c + 3, c + 6, c + 9, c + 12, ceil, &ix);
        l2_tensor *ya = c[12] == 1 && c[13] == 1 && c[14] == 1
                            ? l2_avg_pool3d(x, c + 3, c + 6, c + 9, ceil, true, 0) : NULL;
        l2_tensor *yb = ya ? l2_avg_pool3d(x, c + 3, c + 6, c + 9, ceil, false, 0) : NULL;
        for (int64_t k = 0; y && ix && k < n; k++) {
            int64_t r = k, o[3], arg = -1;
            o[2] = r % out[2], r /= out[2];
            o[1] = r % out[1], r /= out[1];
            o[0] = r % out[0], r /= out[0];
            double v;
            pool3_ref(x, r, c, o, false, false, &v, &arg);
            bad += flat(y, k) != v;
            badi += (int64_t)flat(ix, k) != arg;
            if (ya) {
                pool3_ref(x, r, c, o, true, true, &v, &arg);
                bada += fabs(flat(ya, k) - v) > 1e-12;
                pool3_ref(x, r, c, o, true, false, &v, &arg);
                badb += fabs(flat(yb, k) - v) > 1e-12;
            }
        }
        ok(y && ix && l2_numel(y) == n && !bad && !badi, "max_pool3d config %d: %lld values, "
           "%lld indices differ from the window loop", ci, (long long)bad, (long long)badi);
        if (ya)
            ok(yb && !bada && !badb, "avg_pool3d config %d: %lld (count_include_pad) and %lld "
               "values differ from the window loop", ci, (long long)bada, (long long)badb);
        l2_tensor_release(x);
        l2_tensor_release(y);
        l2_tensor_release(ix);
        l2_tensor_release(ya);
        l2_tensor_release(yb);
    }
    /* all -inf: the index of each window's first cell, as torch */
    l2_tensor *x = l2_full(L2_SHAPE(1, 2, 4, 4), -INFINITY, L2_FLOAT32), *ix = NULL;
    l2_tensor *y = l2_max_pool3d(x, (const int64_t[]){1, 2, 2}, (const int64_t[]){1, 1, 1}, NULL,
                                 NULL, false, &ix);
    ok(ix && flat(ix, 0) == 0 && flat(ix, 1) == 1 && flat(ix, 3) == 4 && flat(ix, 9) == 16,
       "max_pool3d: all -inf windows name their first cell (0, 1, 4, 16: got %g %g %g %g)",
       flat(ix, 0), flat(ix, 1), flat(ix, 3), flat(ix, 9));
    l2_tensor_release(x);
    l2_tensor_release(y);
    l2_tensor_release(ix);
}

static l2_tensor *f_mp3(l2_tensor *const *in, void *ctx)
{
    const int64_t *c = ctx;
    return l2_max_pool3d(in[0], c + 3, c + 6, c + 9, c + 12, c[15], NULL);
}

static l2_tensor *f_ap3(l2_tensor *const *in, void *ctx)
{
    const int64_t *c = ctx;
    return l2_avg_pool3d(in[0], c + 3, c + 6, c + 9, c[15], false, 0);
}

static void test_pool3d_grads(void)
{
    for (int ci = 0; ci < NPCFG; ci++) {
        const int64_t *c = pcfg[ci];
        /* distinct values (no ties for finite differences): a shuffled arange */
        l2_tensor *x = gc_leaf(L2_SHAPE(1, 2, c[0], c[1], c[2]), -1, 1);
        ok(gradcheck("max_pool3d", f_mp3, 1, &x, (void *)c), "max_pool3d config %d: gradient "
           "matches finite differences", ci);
        if (c[12] == 1 && c[13] == 1 && c[14] == 1)
            ok(gradcheck("avg_pool3d", f_ap3, 1, &x, (void *)c), "avg_pool3d config %d: "
               "gradient matches finite differences", ci);
        if (ci == 1) {
            oom_check("max_pool3d", f_mp3, 1, &x, (void *)c);
            oom_check("avg_pool3d", f_ap3, 1, &x, (void *)pcfg[0]);
        }
        l2_tensor_release(x);
    }
    /* a dilated window with no cell in the input: -inf, an index past the volume, no gradient */
    l2_tensor *x = gc_leaf(L2_SHAPE(1, 1, 1, 2), -1, 1), *ix = NULL;
    l2_tensor *y = l2_max_pool3d(x, (const int64_t[]){1, 1, 2}, (const int64_t[]){1, 1, 1},
                                 (const int64_t[]){0, 0, 1}, (const int64_t[]){1, 1, 3}, false,
                                 &ix);
    ok(y && l2_numel(y) == 1 && isinf(flat(y, 0)) && flat(ix, 0) == 2, "max_pool3d: a window "
       "wholly in the padding gives -inf and the index past the volume (got %g, index %g)",
       flat(y, 0), flat(ix, 0));
    l2_tensor *s = y ? l2_sum(y) : NULL;
    const l2_tensor *g = s && l2_backward(s, NULL, false) == L2_OK ? l2_grad(x) : NULL;
    ok(s && (!g || (flat(g, 0) == 0 && flat(g, 1) == 0)), "max_pool3d: no gradient from it");
    l2_tensor_release(s);
    l2_tensor_release(x);
    l2_tensor_release(y);
    l2_tensor_release(ix);
}

static void test_pool3d_errors(void)
{
    l2_tensor *x = l2_randn(L2_SHAPE(1, 2, 3, 3, 3), L2_FLOAT32);
    l2_tensor *x3 = l2_randn(L2_SHAPE(2, 3, 3), L2_FLOAT32);
    const int64_t two[3] = {2, 2, 2}, four[3] = {4, 4, 4}, z[3] = {2, 0, 2};
    const char *mp = "max_pool3d", *ap = "avg_pool3d";
    fails(l2_max_pool3d(NULL, two, NULL, NULL, NULL, false, NULL), L2_ERR_NULL, mp, "NULL x");
    fails(l2_max_pool3d(x, NULL, NULL, NULL, NULL, false, NULL), L2_ERR_NULL, mp, "NULL kernel");
    fails(l2_max_pool3d(x3, two, NULL, NULL, NULL, false, NULL), L2_ERR_SHAPE, mp, "rank 3");
    fails(l2_max_pool3d(x, z, NULL, NULL, NULL, false, NULL), L2_ERR_ARG, mp, "kernel 0");
    fails(l2_max_pool3d(x, two, z, NULL, NULL, false, NULL), L2_ERR_ARG, mp, "stride 0");
    fails(l2_max_pool3d(x, two, NULL, NULL, z, false, NULL), L2_ERR_ARG, mp, "dilation 0");
    fails(l2_max_pool3d(x, two, NULL, (const int64_t[]){0, 2, 0}, NULL, false, NULL),
          L2_ERR_ARG, mp, "padding over half the kernel");
    fails(l2_max_pool3d(x, four, NULL, NULL, NULL, false, NULL), L2_ERR_SHAPE, mp,
          "output too small");
    l2_tensor *y = l2_max_pool3d(x, four, NULL, (const int64_t[]){1, 1, 1}, NULL, false, NULL);
    ok(y != NULL, "max_pool3d: a kernel larger than the input fits with padding");
    l2_tensor_release(y);
    fails(l2_avg_pool3d(x, four, NULL, (const int64_t[]){1, 1, 1}, false, true, 0),
          L2_ERR_SHAPE, ap, "input smaller than the kernel (torch checks it for avg_pool3d)");
    fails(l2_avg_pool3d(x3, two, NULL, NULL, false, true, 0), L2_ERR_SHAPE, ap, "rank 3");
    l2_tensor_release(x);
    l2_tensor_release(x3);
}

/* ---- adaptive_max_pool2d --------------------------------------------------------------------- */

static void test_adaptive_max(void)
{
    const int64_t sizes[][4] = {{5, 7, 2, 3}, {4, 4, 4, 4}, {3, 5, 6, 7}, {7, 3, 1, 1}};
    for (int ci = 0; ci < 4; ci++) {
        const int64_t *c = sizes[ci];
        l2_tensor *x = l2_randn(L2_SHAPE(2, 3, c[0], c[1]), L2_FLOAT32), *ix = NULL;
        l2_tensor *y = l2_adaptive_max_pool2d(x, c + 2, &ix);
        int64_t bad = 0, n = 6 * c[2] * c[3];
        for (int64_t k = 0; y && ix && k < n; k++) {
            int64_t pl = k / (c[2] * c[3]), i = k / c[3] % c[2], j = k % c[3];
            int64_t y0 = i * c[0] / c[2], y1 = ((i + 1) * c[0] + c[2] - 1) / c[2];
            int64_t x0 = j * c[1] / c[3], x1 = ((j + 1) * c[1] + c[3] - 1) / c[3];
            double best = -INFINITY;
            int64_t arg = -1;
            for (int64_t a = y0; a < y1; a++)
                for (int64_t b = x0; b < x1; b++)
                    if (flat(x, pl * c[0] * c[1] + a * c[1] + b) > best) {
                        best = flat(x, pl * c[0] * c[1] + a * c[1] + b);
                        arg = a * c[1] + b;
                    }
            bad += flat(y, k) != best || (int64_t)flat(ix, k) != arg;
        }
        ok(y && ix && l2_numel(y) == n && !bad, "adaptive_max_pool2d (%lld, %lld) -> (%lld, "
           "%lld): %lld cells differ from the window loop", (long long)c[0], (long long)c[1],
           (long long)c[2], (long long)c[3], (long long)bad);
        l2_tensor_release(x);
        l2_tensor_release(y);
        l2_tensor_release(ix);
    }
    /* ties: the first maximum; NaN: the last NaN (torch's `v > best || isnan(v)`) */
    double v[6] = {1, 3, 3, NAN, 2, NAN};
    l2_tensor *t = vec1d(6, v, L2_FLOAT64), *x = l2_reshape(t, L2_SHAPE(1, 2, 3)), *ix = NULL;
    l2_tensor *y = l2_adaptive_max_pool2d(x, (const int64_t[]){2, 1}, &ix);
    ok(y && flat(y, 0) == 3 && flat(ix, 0) == 1 && isnan(flat(y, 1)) && flat(ix, 1) == 5,
       "adaptive_max_pool2d: a tie keeps the first maximum (index %g), NaN the last (%g)",
       flat(ix, 0), flat(ix, 1));
    l2_tensor_release(t);
    l2_tensor_release(x);
    l2_tensor_release(y);
    l2_tensor_release(ix);
    const char *op = "adaptive_max_pool2d";
    x = l2_randn(L2_SHAPE(2, 3, 3), L2_FLOAT32);
    y = l2_adaptive_max_pool2d(x, (const int64_t[]){0, 2}, NULL);
    ok(y && same_shape(y, 3, (int64_t[]){2, 0, 2}), "adaptive_max_pool2d: output size 0");
    l2_tensor_release(y);
    fails(l2_adaptive_max_pool2d(x, (const int64_t[]){-1, 2}, NULL), L2_ERR_ARG, op,
          "negative output size");
    fails(l2_adaptive_max_pool2d(x, NULL, NULL), L2_ERR_NULL, op, "NULL output size");
    l2_tensor_release(x);
    x = l2_randn(L2_SHAPE(2, 0, 3), L2_FLOAT32);
    fails(l2_adaptive_max_pool2d(x, (const int64_t[]){1, 1}, NULL), L2_ERR_SHAPE, op, "H = 0");
    l2_tensor_release(x);
}

static l2_tensor *f_amp(l2_tensor *const *in, void *ctx)
{
    return l2_adaptive_max_pool2d(in[0], ctx, NULL);
}

static void test_adaptive_max_grad(void)
{
    static const int64_t out[2] = {3, 2};
    l2_tensor *x = gc_leaf(L2_SHAPE(2, 2, 5, 4), -1, 1);
    ok(gradcheck("adaptive_max_pool2d", f_amp, 1, &x, (void *)out), "adaptive_max_pool2d: "
       "gradient matches finite differences (overlapping windows)");
    oom_check("adaptive_max_pool2d", f_amp, 1, &x, (void *)out);
    l2_tensor_release(x);
}

/* ---- max_unpool2d ---------------------------------------------------------------------------- */

static l2_tensor *f_unpool(l2_tensor *const *in, void *ctx)
{
    return l2_max_unpool2d(in[0], ctx, (const int64_t[]){2, 2}, NULL, NULL,
                           (const int64_t[]){5, 7});
}

static void test_unpool(void)
{
    const char *op = "max_unpool2d";
    const int64_t two[2] = {2, 2};
    l2_tensor *x = l2_randn(L2_SHAPE(2, 3, 5, 7), L2_FLOAT64), *ix = NULL;
    l2_tensor *y = l2_max_pool2d_ex(x, two, NULL, NULL, NULL, false, &ix);
    l2_tensor *u = l2_max_unpool2d(y, ix, two, NULL, NULL, (const int64_t[]){5, 7});
    int64_t bad = 0;
    for (int64_t k = 0; u && k < 6 * 35; k++) {
        int64_t pl = k / 35, c = k % 35, hit = -1;
        for (int64_t i = 0; i < 6; i++)
            if ((int64_t)flat(ix, pl * 6 + i) == c)
                hit = pl * 6 + i;
        bad += flat(u, k) != (hit < 0 ? 0 : flat(y, hit));
    }
    ok(u && same_shape(u, 4, (int64_t[]){2, 3, 5, 7}) && !bad, "max_unpool2d puts each maximum "
       "back at its cell, 0 elsewhere (%lld cells differ)", (long long)bad);
    is_err(l2_max_unpool2d(y, ix, two, NULL, NULL, NULL), L2_ERR_INDEX, "size 4x6",
           "max_unpool2d: the default output size (H - 1) s + k is 4x6, too small for 5x7's "
           "indices");
    l2_tensor *yl = l2_detach(y);
    l2_set_requires_grad(yl, true);
    ok(gradcheck("max_unpool2d", f_unpool, 1, &yl, ix), "max_unpool2d: gradient (a gather of "
       "dy) matches finite differences");
    oom_check("max_unpool2d", f_unpool, 1, &yl, ix);
    fails(l2_max_unpool2d(y, ix, two, NULL, NULL, (const int64_t[]){6, 7}), L2_ERR_ARG, op,
          "an output size outside (default - stride, default + stride)");
    fails(l2_max_unpool2d(y, ix, two, (const int64_t[]){1, 1}, NULL, NULL), L2_ERR_INDEX, op,
          "an index past the output (3x4)");
    l2_tensor *ixf = l2_to_dtype(ix, L2_FLOAT32), *i3 = l2_select(ix, 0, 0);
    fails(l2_max_unpool2d(y, ixf, two, NULL, NULL, NULL), L2_ERR_DTYPE, op, "float indices");
    fails(l2_max_unpool2d(y, i3, two, NULL, NULL, NULL), L2_ERR_SHAPE, op, "indices of another "
          "shape");
    fails(l2_max_unpool2d(y, NULL, two, NULL, NULL, NULL), L2_ERR_NULL, op, "NULL indices");
    l2_tensor *neg = l2_full(L2_SHAPE(2, 3, 2, 3), -1, L2_INT64);
    fails(l2_max_unpool2d(y, neg, two, NULL, NULL, NULL), L2_ERR_INDEX, op, "index -1");
    l2_tensor *ts[] = {x, ix, y, u, yl, ixf, i3, neg};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        l2_tensor_release(ts[i]);
}

/* Inside a scope only the results are registered: ending the scope frees everything. */
static void test_scope(void)
{
    int64_t before = l2_live_tensors();
    l2_tensor *x = l2_randn(L2_SHAPE(1, 2, 3, 4, 4), L2_FLOAT32);
    l2_tensor *w = l2_randn(L2_SHAPE(2, 1, 2, 2, 2), L2_FLOAT32);
    l2_set_requires_grad(w, true);
    l2_scope_begin();
    l2_tensor *ix = NULL, *iy = NULL;
    l2_tensor *y = l2_conv3d(x, w, NULL, NULL, (const int64_t[]){1, 1, 1}, NULL, 2);
    l2_tensor *m = y ? l2_max_pool3d(y, (const int64_t[]){2, 2, 2}, NULL, NULL, NULL, true, &ix)
                     : NULL;
    l2_tensor *a = m ? l2_avg_pool3d(m, (const int64_t[]){1, 2, 2}, NULL, NULL, true, false, 0)
                     : NULL;
    l2_tensor *v = a ? l2_view(a, L2_SHAPE(2, 4, 2)) : NULL;
    l2_tensor *am = v ? l2_adaptive_max_pool2d(v, (const int64_t[]){2, 1}, &iy) : NULL;
    l2_tensor *u = am ? l2_max_unpool2d(am, iy, (const int64_t[]){2, 2}, NULL, NULL, NULL) : NULL;
    l2_tensor *s = u ? l2_sum(u) : NULL;
    ok(s && l2_backward(s, NULL, false) == L2_OK && l2_grad(w), "conv3 ops in a scope: backward "
       "runs through all five");
    l2_scope_end();
    l2_tensor_release(x);
    l2_tensor_release(w);
    ok(l2_live_tensors() == before, "conv3 ops in a scope leave nothing alive (%lld -> %lld)",
       (long long)before, (long long)l2_live_tensors());
}

int main(void)
{
    l2_manual_seed(11);
    test_conv3d_values();
    test_conv3d_grads();
    test_conv3d_errors();
    test_pool3d_values();
    test_pool3d_grads();
    test_pool3d_errors();
    test_adaptive_max();
    test_adaptive_max_grad();
    test_unpool();
    test_scope();
    return tap_done();
}
