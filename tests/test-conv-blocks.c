/* test-conv-blocks.c: conv2d's batched driver (issue 12): samples in blocks of column matrices
 * bounded by the conv_cols_bytes threshold (a partial last block), split over 1, 2 and 3
 * threads, the backward in conv_bwd_slots sample ranges. Forward and backward against direct
 * nested-loop references in double, with groups, stride, dilation and bias; dW must be the same
 * bits at every thread count. The float32 direct path for a small contraction (conv-small.c):
 * the same references, and its own checks. Not here: the im2col edge cases (test-conv.c). */
#include <l2.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

typedef struct {
    int64_t n, c, h, w, o, kh, kw, s[2], p[2], d[2], groups;
} ccase;

static int64_t osz(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d)
{
    return (in + 2 * p - d * (k - 1) - 1) / s + 1;
}

/* Calls f(x index, w index, y index) for every product of the convolution. */
#define FOR_TERMS(K, P, Q, BODY)                                                                \
    for (int64_t n = 0; n < (K)->n; n++)                                                        \
        for (int64_t o = 0; o < (K)->o; o++)                                                    \
            for (int64_t cc = 0; cc < (K)->c / (K)->groups; cc++)                               \
                for (int64_t a = 0; a < (K)->kh; a++)                                           \
                    for (int64_t e = 0; e < (K)->kw; e++)                                       \
                        for (int64_t i = 0; i < (P); i++)                                       \
                            for (int64_t j = 0; j < (Q); j++) {                                 \
                                int64_t yy = i * (K)->s[0] - (K)->p[0] + a * (K)->d[0];         \
                                int64_t xx = j * (K)->s[1] - (K)->p[1] + e * (K)->d[1];         \
                                if (yy < 0 || yy >= (K)->h || xx < 0 || xx >= (K)->w)           \
                                    continue;                                                   \
                                int64_t c = o / ((K)->o / (K)->groups) * ((K)->c / (K)->groups) \
                                            + cc;                                               \
                                int64_t xi = ((n * (K)->c + c) * (K)->h + yy) * (K)->w + xx;    \
                                int64_t wi = ((o * ((K)->c / (K)->groups) + cc) * (K)->kh + a)  \
                                             * (K)->kw + e;                                     \
                                int64_t yi = ((n * (K)->o + o) * (P) + i) * (Q) + j;            \
                                BODY;                                                           \
                            }

static double *dvals(const l2_tensor *t)
{
    l2_tensor *d = l2_to_dtype(t, L2_FLOAT64), *c = l2_contiguous(d);
    int64_t n = l2_numel(c);
    double *v = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    memcpy(v, l2_data_ptr(c), sizeof(double) * (size_t)n);
    l2_tensor_release(c);
    l2_tensor_release(d);
    return v;
}

/* |got - want| <= tol * (1 + mag) per element, mag the element's sum of |terms|; prints the
 * first mismatch. */
static int near(const l2_tensor *got, const double *want, const double *mag, int64_t n,
                double tol, const char *what)
{
    if (!got || l2_numel(got) != n) {
        printf("#   %s: %s\n", what, got ? "wrong size" : l2_last_error());
        return 0;
    }
    double *g = dvals(got);
    int good = 1;
    for (int64_t k = 0; k < n && good; k++)
        if (!(fabs(g[k] - want[k]) <= tol * (1 + mag[k]))) {
            printf("#   %s[%lld]: got %.9g want %.9g\n", what, (long long)k, g[k], want[k]);
            good = 0;
        }
    free(g);
    return good;
}

static void run_case(const ccase *k, l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    int64_t P = osz(k->h, k->kh, k->s[0], k->p[0], k->d[0]);
    int64_t Q = osz(k->w, k->kw, k->s[1], k->p[1], k->d[1]);
    int64_t nx = k->n * k->c * k->h * k->w, nw = k->o * (k->c / k->groups) * k->kh * k->kw;
    int64_t ny = k->n * k->o * P * Q;
    l2_manual_seed(7);
    l2_tensor *x = l2_randn(L2_SHAPE(k->n, k->c, k->h, k->w), dt);
    l2_tensor *w = l2_randn(L2_SHAPE(k->o, k->c / k->groups, k->kh, k->kw), dt);
    l2_tensor *b = l2_randn(L2_SHAPE(k->o), dt);
    l2_tensor *g = l2_randn(L2_SHAPE(k->n, k->o, P, Q), dt);
    double *xv = dvals(x), *wv = dvals(w), *bv = dvals(b), *gv = dvals(g);
    double *y = calloc((size_t)ny, sizeof(double)), *ym = calloc((size_t)ny, sizeof(double));
    double *dx = calloc((size_t)nx, sizeof(double)), *dxm = calloc((size_t)nx, sizeof(double));
    double *dw = calloc((size_t)nw, sizeof(double)), *dwm = calloc((size_t)nw, sizeof(double));
    double *db = calloc((size_t)k->o, sizeof(double)), *dbm = calloc((size_t)k->o, sizeof(double));
    FOR_TERMS(k, P, Q, {
        y[yi] += xv[xi] * wv[wi];
        ym[yi] += fabs(xv[xi] * wv[wi]);
        dx[xi] += gv[yi] * wv[wi];
        dxm[xi] += fabs(gv[yi] * wv[wi]);
        dw[wi] += gv[yi] * xv[xi];
        dwm[wi] += fabs(gv[yi] * xv[xi]);
    })
    for (int64_t i = 0; i < ny; i++) {
        int64_t o = i / (P * Q) % k->o;
        y[i] += bv[o];
        ym[i] += fabs(bv[o]);
        db[o] += gv[i];
        dbm[o] += fabs(gv[i]);
    }
    double tol = dt == L2_FLOAT32 ? 1e-5 : 1e-12;
    int keep = l2_get_num_threads();
    double *dw1 = NULL;
    for (int t = 1; t <= 3; t++) {
        l2_set_num_threads(t);
        l2_set_requires_grad(x, true);
        l2_set_requires_grad(w, true);
        l2_set_requires_grad(b, true);
        l2_tensor *r = l2_conv2d(x, w, b, k->s, k->p, k->d, k->groups);
        ok(near(r, y, ym, ny, tol, "y"), "conv2d %lldx%lldx%lldx%lld o %lld groups %lld: "
           "values, %d threads (%s)", (long long)k->n, (long long)k->c, (long long)k->h,
           (long long)k->w, (long long)k->o, (long long)k->groups, t, dn);
        int good = r && l2_backward(r, g, false) == L2_OK;
        ok(good && near(l2_grad(x), dx, dxm, nx, tol, "dx") &&
               near(l2_grad(w), dw, dwm, nw, tol, "dw") &&
               near(l2_grad(b), db, dbm, k->o, tol, "db"),
           "conv2d %lldx%lldx%lldx%lld: dx, dw, db, %d threads (%s)", (long long)k->n,
           (long long)k->c, (long long)k->h, (long long)k->w, t, dn);
        if (good && l2_grad(w)) {
            l2_tensor *gw = l2_contiguous(l2_grad(w));
            size_t bytes = (size_t)nw * (dt == L2_FLOAT32 ? 4 : 8);
            if (!dw1) {
                dw1 = malloc(bytes);
                memcpy(dw1, l2_data_ptr(gw), bytes);
            } else {
                ok(memcmp(dw1, l2_data_ptr(gw), bytes) == 0,
                   "conv2d: dw at %d threads has the 1-thread bits (%s)", t, dn);
            }
            l2_tensor_release(gw);
        }
        l2_tensor_release(r);
        l2_set_grad_none(x);
        l2_set_grad_none(w);
        l2_set_grad_none(b);
    }
    l2_set_num_threads(keep);
    free(dw1);
    double *list[] = {xv, wv, bv, gv, y, ym, dx, dxm, dw, dwm, db, dbm};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        free(list[i]);
    l2_tensor_release(x);
    l2_tensor_release(w);
    l2_tensor_release(b);
    l2_tensor_release(g);
}

/* The gradients of a float32 conv2d (x, w, b) with upstream g, x requiring a gradient or not;
 * *dw, *db contiguous float32 copies (NULL on failure). */
static void grads32(const l2_tensor *x0, const l2_tensor *w0, const l2_tensor *b0,
                    const l2_tensor *g, const int64_t *pad, bool need_x, l2_tensor **dw,
                    l2_tensor **db, l2_tensor **dx)
{
    l2_tensor *x = l2_clone(x0), *w = l2_clone(w0), *b = l2_clone(b0);
    l2_set_requires_grad(x, need_x);
    l2_set_requires_grad(w, true);
    l2_set_requires_grad(b, true);
    l2_tensor *r = l2_conv2d(x, w, b, NULL, pad, NULL, 1);
    bool good = r && l2_backward(r, g, false) == L2_OK;
    *dw = good ? l2_contiguous(l2_grad(w)) : NULL;
    *db = good ? l2_contiguous(l2_grad(b)) : NULL;
    *dx = good && l2_grad(x) ? l2_contiguous(l2_grad(x)) : NULL;
    l2_tensor_release(r);
    l2_tensor_release(x);
    l2_tensor_release(w);
    l2_tensor_release(b);
}

static bool same_bits(const l2_tensor *a, const l2_tensor *b)
{
    return a && b && l2_numel(a) == l2_numel(b) &&
           memcmp(l2_data_ptr(a), l2_data_ptr(b), (size_t)l2_numel(a) * 4) == 0;
}

/* conv2d's direct path for a small contraction (conv-small.c, issue 12): its weight and bias
 * gradients do not depend on whether x needs one (a first layer's input does not, then the
 * column path is not run at all); the positions it computes and throws away (the padded width's
 * last columns) never reach dw, even when x holds an infinity there (0 * inf). */
static void small_path_checks(void)
{
    l2_manual_seed(11);
    const int64_t pad1[2] = {1, 1}, pad0[2] = {0, 0};
    l2_tensor *x = l2_randn(L2_SHAPE(7, 1, 28, 28), L2_FLOAT32);
    l2_tensor *w = l2_randn(L2_SHAPE(16, 1, 3, 3), L2_FLOAT32);
    l2_tensor *b = l2_randn(L2_SHAPE(16), L2_FLOAT32);
    l2_tensor *g = l2_randn(L2_SHAPE(7, 16, 28, 28), L2_FLOAT32);
    l2_tensor *dw[2], *db[2], *dx[2];
    for (int i = 0; i < 2; i++)
        grads32(x, w, b, g, pad1, i == 1, &dw[i], &db[i], &dx[i]);
    ok(same_bits(dw[0], dw[1]) && same_bits(db[0], db[1]) && !dx[0] && dx[1],
       "conv2d small K: dw and db the same bits with and without dx (float32)");
    for (int i = 0; i < 2; i++) {
        l2_tensor_release(dw[i]);
        l2_tensor_release(db[i]);
        l2_tensor_release(dx[i]);
    }
    /* x (1, 1, 25, 24) with an infinity at the end of its first row, a 2x2 kernel without
     * padding: the output has 23 columns, the flat positions 24 a row, and the thrown-away 24th
     * column's first tap is the infinity. dw against float64 (im2col + GEMM): the same cells
     * finite. */
    l2_tensor *xi = l2_randn(L2_SHAPE(1, 1, 25, 24), L2_FLOAT32);
    float *xd = l2_data_ptr(xi);
    xd[23] = INFINITY;
    l2_tensor *wi = l2_randn(L2_SHAPE(2, 1, 2, 2), L2_FLOAT32);
    l2_tensor *bi = l2_randn(L2_SHAPE(2), L2_FLOAT32);
    l2_tensor *gi = l2_randn(L2_SHAPE(1, 2, 24, 23), L2_FLOAT32);
    l2_tensor *d32, *b32, *x32;
    grads32(xi, wi, bi, gi, pad0, false, &d32, &b32, &x32);
    l2_tensor *x64 = l2_to_dtype(xi, L2_FLOAT64), *w64 = l2_to_dtype(wi, L2_FLOAT64);
    l2_set_requires_grad(w64, true);
    l2_tensor *r64 = l2_conv2d(x64, w64, NULL, NULL, pad0, NULL, 1);
    l2_tensor *g64 = l2_to_dtype(gi, L2_FLOAT64);
    int good = d32 && r64 && l2_backward(r64, g64, false) == L2_OK;
    l2_tensor *want = good ? l2_contiguous(l2_grad(w64)) : NULL;
    for (int64_t k = 0; good && k < 8; k++) {
        double got = ((const float *)l2_data_ptr(d32))[k];
        double ref = ((const double *)l2_data_ptr(want))[k];
        good = isnan(got) == isnan(ref) && (isinf(ref) ? got == ref : fabs(got - ref) <=
                                            1e-5 * (1 + fabs(ref)));
        if (!good)
            printf("#   dw[%lld]: got %g want %g\n", (long long)k, got, ref);
    }
    ok(good, "conv2d small K: an infinity read only at thrown-away positions stays out of dw");
    l2_tensor *list[] = {x, w, b, g, xi, wi, bi, gi, d32, b32, x32, x64, w64, r64, g64, want};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

int main(void)
{
    int64_t cb = l2_threshold("conv_cols_bytes"), slots = l2_threshold("conv_bwd_slots");
    ok(cb > 0 && slots > 0 && l2_threshold("conv_grain") > 0, "conv thresholds: cols bytes "
       "%lld, backward slots %lld", (long long)cb, (long long)slots);
    /* A sample's column matrix (C kH kW, L) of about cb / 3 float64 bytes (cb / 6 float32):
     * blocks of 3 (6) samples, and a batch that leaves a partial block at every thread count. */
    int64_t l = cb / 3 / 8 / 18, side = (int64_t)sqrt((double)l);
    const ccase cases[] = {
        {2 * slots + 1, 2, side, side, 4, 3, 3, {1, 1}, {1, 1}, {1, 1}, 1},
        {slots + 1, 4, side, side + 3, 6, 3, 3, {1, 1}, {1, 1}, {1, 1}, 2},
        {slots - 1, 3, 2 * side, side, 5, 3, 3, {2, 2}, {2, 0}, {2, 1}, 1},
        {5, 6, 9, 8, 6, 1, 1, {1, 1}, {0, 0}, {1, 1}, 3}, /* 1x1: no column matrix */
        /* conv-small.c's direct path in float32 (K = 9, 16 channels; K = 32, 7 channels) */
        {slots + 3, 1, 28, 28, 16, 3, 3, {1, 1}, {1, 1}, {1, 1}, 1},
        {3, 2, 23, 21, 7, 4, 4, {1, 1}, {2, 1}, {1, 1}, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_case(&cases[i], L2_FLOAT32);
        run_case(&cases[i], L2_FLOAT64);
    }
    small_path_checks();
    return tap_done();
}
