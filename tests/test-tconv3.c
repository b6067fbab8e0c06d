/* test-tconv3.c: l2_conv_transpose3d (issue 15, session 15; libl2/ops/conv-transpose3d.c)
 * against a direct scatter loop written here (stride, padding, output_padding, dilation, groups,
 * bias, unbatched input), its gradients by finite differences (float64) with the out-of-memory
 * sweep, its errors (nothing returned, the message names the op, the inputs unchanged) and a
 * 0-size batch. Values against torch: the oracle (oracle/reg_conv3.py); second derivatives:
 * test-cg-conv. */
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

/* N, C, D, H, W, Og, kD, kH, kW, sD, sH, sW, pD, pH, pW, opD, opH, opW, dD, dH, dW, groups,
 * bias */
static const int64_t cfg[][23] = {
    {2, 3, 2, 3, 2, 2, 3, 2, 2, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1},
    {1, 2, 3, 2, 3, 3, 2, 2, 3, 2, 1, 2, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0},
    {2, 4, 2, 3, 2, 1, 2, 3, 2, 1, 2, 1, 1, 1, 0, 0, 1, 0, 2, 1, 2, 2, 1},
    {1, 6, 2, 2, 2, 2, 1, 1, 1, 3, 2, 1, 0, 0, 0, 2, 1, 0, 1, 1, 1, 3, 1},
    {1, 2, 2, 2, 3, 2, 2, 3, 2, 1, 1, 1, 1, 1, 0, 1, 0, 1, 2, 1, 2, 1, 1},
};
#define NCFG ((int)(sizeof cfg / sizeof cfg[0]))

static int64_t tout(const int64_t *c, int i)
{
    return (c[2 + i] - 1) * c[9 + i] - 2 * c[12 + i] + c[18 + i] * (c[6 + i] - 1) + c[15 + i] +
           1;
}

/* y[n, gi Og + o, t sD - pD + i dD, ...] += x[n, gi Cg + c, t, p, q] w[gi Cg + c, o, i, j, m]
 * (cells outside the output dropped), plus b, into a flat double array. */
static void tconv3_ref(const l2_tensor *x, const l2_tensor *w, const l2_tensor *b,
                       const int64_t *c, const int64_t *out, double *y)
{
    int64_t N = c[0], C = c[1], G = c[21], og = c[5], cg = C / G, O = og * G;
    int64_t vol = out[0] * out[1] * out[2];
    for (int64_t n = 0; n < N; n++)
        for (int64_t o = 0; o < O; o++)
            for (int64_t v = 0; v < vol; v++)
                y[(n * O + o) * vol + v] = b ? flat(b, o) : 0;
    for (int64_t n = 0; n < N; n++)
        for (int64_t ci = 0; ci < C; ci++)
            for (int64_t t = 0; t < c[2]; t++)
                for (int64_t p = 0; p < c[3]; p++)
                    for (int64_t q = 0; q < c[4]; q++) {
                        double xv = flat(x, (((n * C + ci) * c[2] + t) * c[3] + p) * c[4] + q);
                        int64_t gi = ci / cg;
                        for (int64_t o = 0; o < og; o++)
                            for (int64_t i = 0; i < c[6]; i++)
                                for (int64_t j = 0; j < c[7]; j++)
                                    for (int64_t m = 0; m < c[8]; m++) {
                                        int64_t z = t * c[9] - c[12] + i * c[18];
                                        int64_t yy = p * c[10] - c[13] + j * c[19];
                                        int64_t xx = q * c[11] - c[14] + m * c[20];
                                        if (z < 0 || z >= out[0] || yy < 0 || yy >= out[1] ||
                                            xx < 0 || xx >= out[2])
                                            continue;
                                        double wv = flat(w, (((ci * og + o) * c[6] + i) * c[7] +
                                                             j) * c[8] + m);
                                        y[(((n * O + gi * og + o) * out[0] + z) * out[1] + yy) *
                                              out[2] + xx] += xv * wv;
                                    }
                    }
}

static l2_tensor *call(const l2_tensor *x, const l2_tensor *w, const l2_tensor *b,
                       const int64_t *c)
{
    return l2_conv_transpose3d(x, w, b, c + 9, c + 12, c + 15, c[21], c + 18);
}

static void test_values(void)
{
    for (int ci = 0; ci < NCFG; ci++)
        for (int dt = 0; dt < 2; dt++) {
            const int64_t *c = cfg[ci];
            l2_dtype t = dt ? L2_FLOAT64 : L2_FLOAT32;
            int64_t O = c[5] * c[21], out[3] = {tout(c, 0), tout(c, 1), tout(c, 2)};
            l2_tensor *x = l2_randn(L2_SHAPE(c[0], c[1], c[2], c[3], c[4]), t);
            l2_tensor *w = l2_randn(L2_SHAPE(c[1], c[5], c[6], c[7], c[8]), t);
            l2_tensor *b = c[22] ? l2_randn(L2_SHAPE(O), t) : NULL;
            int64_t n = c[0] * O * out[0] * out[1] * out[2];
            double *ref = malloc(sizeof(double) * (size_t)n);
            tconv3_ref(x, w, b, c, out, ref);
            l2_tensor *y = call(x, w, b, c);
            double tol = dt ? 1e-10 : 1e-4;
            ok(y && same_shape(y, 5, (int64_t[]){c[0], O, out[0], out[1], out[2]}) &&
               max_diff(y, ref, n) < tol, "conv_transpose3d %s config %d matches the direct "
               "loop (max diff %g)", l2_dtype_name(t), ci, max_diff(y, ref, n));
            if (c[0] == 1) { /* unbatched: the same values */
                l2_tensor *x4 = l2_select(x, 0, 0);
                l2_tensor *y4 = call(x4, w, b, c);
                ok(y4 && l2_ndim(y4) == 4 && max_diff(y4, ref, n) < tol,
                   "conv_transpose3d %s config %d unbatched", l2_dtype_name(t), ci);
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

static l2_tensor *f_tconv3(l2_tensor *const *in, void *ctx)
{
    return call(in[0], in[1], in[2], ctx);
}

static void test_grads(void)
{
    for (int ci = 0; ci < NCFG; ci++) {
        const int64_t *c = cfg[ci];
        l2_tensor *in[3] = {gc_leaf(L2_SHAPE(c[0], c[1], c[2], c[3], c[4]), -1, 1),
                            gc_leaf(L2_SHAPE(c[1], c[5], c[6], c[7], c[8]), -1, 1),
                            gc_leaf(L2_SHAPE(c[5] * c[21]), -1, 1)};
        ok(gradcheck("conv_transpose3d", f_tconv3, 3, in, (void *)c), "conv_transpose3d config "
           "%d: gradients of x, w and b match finite differences", ci);
        if (ci == 2)
            oom_check("conv_transpose3d", f_tconv3, 3, in, (void *)c);
        for (int i = 0; i < 3; i++)
            l2_tensor_release(in[i]);
    }
}

static void test_errors(void)
{
    const char *op = "conv_transpose3d";
    l2_tensor *x = l2_randn(L2_SHAPE(1, 2, 3, 3, 3), L2_FLOAT32);
    l2_tensor *w = l2_randn(L2_SHAPE(2, 2, 2, 2, 2), L2_FLOAT32);
    l2_tensor *wd = l2_randn(L2_SHAPE(2, 2, 2, 2, 2), L2_FLOAT64);
    l2_tensor *w3 = l2_randn(L2_SHAPE(3, 1, 2, 2, 2), L2_FLOAT32);
    l2_tensor *w4 = l2_randn(L2_SHAPE(2, 2, 2, 2), L2_FLOAT32);
    l2_tensor *wk = l2_randn(L2_SHAPE(2, 2, 2, 0, 2), L2_FLOAT32);
    l2_tensor *b3 = l2_randn(L2_SHAPE(3), L2_FLOAT32);
    l2_tensor *bd = l2_randn(L2_SHAPE(2), L2_FLOAT64);
    l2_tensor *xi = l2_zeros(L2_SHAPE(1, 2, 3, 3, 3), L2_INT64);
    l2_tensor *x0 = l2_randn(L2_SHAPE(1, 2, 3, 0, 3), L2_FLOAT32);
    l2_tensor *x1 = l2_randn(L2_SHAPE(1, 2, 1, 1, 1), L2_FLOAT32);
    l2_tensor *xc = l2_clone(x);
    const int64_t z[3] = {1, 0, 1}, neg[3] = {0, -1, 0}, big[3] = {INT64_MAX / 2, 1, 1};
    fails(l2_conv_transpose3d(NULL, w, NULL, NULL, NULL, NULL, 1, NULL), L2_ERR_NULL, op,
          "NULL x");
    fails(l2_conv_transpose3d(x, NULL, NULL, NULL, NULL, NULL, 1, NULL), L2_ERR_NULL, op,
          "NULL w");
    fails(l2_conv_transpose3d(xi, w, NULL, NULL, NULL, NULL, 1, NULL), L2_ERR_DTYPE, op, "int x");
    fails(l2_conv_transpose3d(x, wd, NULL, NULL, NULL, NULL, 1, NULL), L2_ERR_DTYPE, op,
          "mixed dtypes");
    fails(l2_conv_transpose3d(x, w, bd, NULL, NULL, NULL, 1, NULL), L2_ERR_DTYPE, op,
          "float64 bias");
    fails(l2_conv_transpose3d(x, w4, NULL, NULL, NULL, NULL, 1, NULL), L2_ERR_SHAPE, op,
          "rank 4 w");
    fails(l2_conv_transpose3d(b3, w, NULL, NULL, NULL, NULL, 1, NULL), L2_ERR_SHAPE, op,
          "rank 1 x");
    fails(l2_conv_transpose3d(x, w, NULL, z, NULL, NULL, 1, NULL), L2_ERR_ARG, op, "stride 0");
    fails(l2_conv_transpose3d(x, w, NULL, NULL, neg, NULL, 1, NULL), L2_ERR_ARG, op,
          "negative padding");
    fails(l2_conv_transpose3d(x, w, NULL, NULL, NULL, neg, 1, NULL), L2_ERR_ARG, op,
          "negative output_padding");
    fails(l2_conv_transpose3d(x, w, NULL, NULL, NULL, NULL, 1, z), L2_ERR_ARG, op, "dilation 0");
    fails(l2_conv_transpose3d(x, w, NULL, NULL, NULL, NULL, 0, NULL), L2_ERR_ARG, op,
          "groups 0");
    fails(l2_conv_transpose3d(x, w, NULL, (const int64_t[]){2, 2, 2}, NULL,
                              (const int64_t[]){0, 2, 0}, 1, NULL),
          L2_ERR_ARG, op, "output_padding = stride (dilation 1)");
    fails(l2_conv_transpose3d(x, w, NULL, NULL, NULL, (const int64_t[]){0, 0, 2}, 1,
                              (const int64_t[]){1, 1, 2}),
          L2_ERR_ARG, op, "output_padding = dilation > stride");
    fails(l2_conv_transpose3d(x, w3, NULL, NULL, NULL, NULL, 2, NULL), L2_ERR_SHAPE, op,
          "w.size(0) not divisible by groups");
    fails(l2_conv_transpose3d(x, w3, NULL, NULL, NULL, NULL, 1, NULL), L2_ERR_SHAPE, op,
          "channels");
    fails(l2_conv_transpose3d(x, w, b3, NULL, NULL, NULL, 1, NULL), L2_ERR_SHAPE, op, "bias");
    fails(l2_conv_transpose3d(x, wk, NULL, NULL, NULL, NULL, 1, NULL), L2_ERR_SHAPE, op,
          "kernel size 0");
    fails(l2_conv_transpose3d(x0, w, NULL, NULL, NULL, NULL, 1, NULL), L2_ERR_SHAPE, op,
          "input height 0");
    fails(l2_conv_transpose3d(x1, w, NULL, NULL, (const int64_t[]){1, 1, 1}, NULL, 1, NULL),
          L2_ERR_SHAPE, op, "output size 0");
    fails(l2_conv_transpose3d(x, w, NULL, big, NULL, NULL, 1, NULL), L2_ERR_OVERFLOW, op,
          "output size overflow");
    fails(l2_conv_transpose3d(x, w, NULL, NULL, NULL, NULL, INT64_MAX, NULL), L2_ERR_SHAPE, op,
          "huge groups");
    ok(maxdiff(x, xc) == 0, "conv_transpose3d: failed calls leave x unchanged");
    l2_tensor *ts[] = {x, w, wd, w3, w4, wk, b3, bd, xi, x0, x1, xc};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        l2_tensor_release(ts[i]);
    /* a 0-size batch: an empty result of the right shape, and a zero weight gradient */
    l2_tensor *xz = l2_randn(L2_SHAPE(0, 2, 3, 3, 3), L2_FLOAT32);
    l2_tensor *wz = l2_randn(L2_SHAPE(2, 4, 2, 2, 2), L2_FLOAT32);
    l2_set_requires_grad(wz, true);
    l2_tensor *yz = l2_conv_transpose3d(xz, wz, NULL, NULL, NULL, NULL, 1, NULL);
    ok(yz && same_shape(yz, 5, (int64_t[]){0, 4, 4, 4, 4}), "conv_transpose3d: batch 0 -> (0, "
       "4, 4, 4, 4)");
    l2_tensor *s = yz ? l2_sum(yz) : NULL;
    l2_tensor *zw = l2_zeros_like(wz);
    ok(s && l2_backward(s, NULL, false) == L2_OK && l2_grad(wz) && maxdiff(l2_grad(wz), zw) == 0,
       "conv_transpose3d: batch 0 gives a zero weight gradient");
    l2_tensor_release(s);
    l2_tensor_release(zw);
    l2_tensor_release(xz);
    l2_tensor_release(wz);
    l2_tensor_release(yz);
}

int main(void)
{
    int64_t live0 = l2_live_tensors();
    l2_manual_seed(15);
    test_values();
    test_grads();
    test_errors();
    ok(l2_live_tensors() == live0, "no tensor leaked (%lld live)",
       (long long)(l2_live_tensors() - live0));
    return tap_done();
}
