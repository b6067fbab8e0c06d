/* test-nn.c: the nn family: softmax/log_softmax, cross_entropy, nll_loss, mse/l1/bce losses,
 * dropout, layer_norm, batch_norm. Forward values are checked against direct formulas computed
 * here (float32 and float64), and every error path for its status and message. (Gradients,
 * autograd and threads: test-nn-grad.c.) */
#include <l2.h>
#include <stdint.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

/* A tensor of dtype dt holding the float64 values v (row-major). */
static l2_tensor *mk(l2_dtype dt, int ndim, const int64_t *shape, const double *v)
{
    l2_tensor *d = l2_from_data(v, ndim, shape, L2_FLOAT64);
    if (dt == L2_FLOAT64)
        return d;
    l2_tensor *r = l2_to_dtype(d, dt);
    l2_tensor_release(d);
    return r;
}

static l2_tensor *mk_i64(int ndim, const int64_t *shape, const int64_t *v)
{
    return l2_from_data(v, ndim, shape, L2_INT64);
}

#define IDX(...) ((const int64_t[]){__VA_ARGS__})

static double tol_of(l2_dtype dt) { return dt == L2_FLOAT32 ? 2e-6 : 1e-12; }

/* A failed call: NULL, the status, and a message. Releases t if the call wrongly succeeded. */
static void err_is(l2_tensor *t, l2_status want, const char *what)
{
    ok(!t && l2_last_status() == want && l2_last_error()[0] != '\0', "%s -> %s: %s", what,
       l2_status_name(want), l2_last_error());
    l2_tensor_release(t);
}

/* ---- forward values ---- */

static void test_softmax(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    double tol = tol_of(dt);
    l2_tensor *x = mk(dt, L2_SHAPE(3), (const double[]){1, 2, 3});
    l2_tensor *y = l2_softmax(x, 0), *ly = l2_log_softmax(x, -1);
    double s = exp(1) + exp(2) + exp(3);
    for (int k = 0; k < 3; k++) {
        is_near(at(y, IDX(k)), exp(k + 1) / s, tol, "softmax [1,2,3]");
        is_near(at(ly, IDX(k)), (k + 1) - log(s), 4 * tol, "log_softmax [1,2,3]");
    }
    ok(l2_dtype_of(y) == dt, "softmax keeps %s", dn);
    l2_tensor_release(y);
    l2_tensor_release(ly);
    l2_tensor_release(x);

    /* Stable for huge logits: exp(1000) would overflow without the max subtraction. */
    x = mk(dt, L2_SHAPE(2), (const double[]){1000, 1000});
    y = l2_softmax(x, 0);
    ly = l2_log_softmax(x, 0);
    is_near(at(y, IDX(1)), 0.5, tol, "softmax of [1000,1000] is stable");
    is_near(at(ly, IDX(0)), -log(2), tol * 1000, "log_softmax of [1000,1000] is stable");
    l2_tensor_release(y);
    l2_tensor_release(ly);
    l2_tensor_release(x);

    /* dim 0 of a transposed (2,3) -> (3,2) input: lanes are strided in memory. */
    double v[6] = {0.5, -1, 2, 3, 0.25, -2};
    l2_tensor *b = mk(dt, L2_SHAPE(2, 3), v);
    l2_tensor *bt = l2_t(b); /* bt[i][j] = v[j*3 + i] */
    y = l2_softmax(bt, 0);
    ly = l2_log_softmax(bt, 0);
    for (int j = 0; j < 2; j++) {
        double z = 0;
        for (int i = 0; i < 3; i++)
            z += exp(v[j * 3 + i]);
        for (int i = 0; i < 3; i++) {
            is_near(at(y, IDX(i, j)), exp(v[j * 3 + i]) / z, tol, "softmax dim 0, transposed");
            is_near(at(ly, IDX(i, j)), v[j * 3 + i] - log(z), 4 * tol,
                    "log_softmax dim 0, transposed");
        }
    }
    l2_tensor_release(y);
    l2_tensor_release(ly);
    /* dim 1 of the same transposed view, and dim -2 of the base */
    y = l2_softmax(bt, 1);
    double z = exp(v[1]) + exp(v[4]);
    is_near(at(y, IDX(1, 1)), exp(v[4]) / z, tol, "softmax dim 1, transposed");
    l2_tensor_release(y);
    l2_tensor_release(bt);
    l2_tensor_release(b);

    /* 0-d: softmax is 1, log_softmax 0 */
    x = mk(dt, 0, NULL, (const double[]){7});
    y = l2_softmax(x, 0);
    ly = l2_log_softmax(x, -1);
    is_near(item(y), 1, 0, "softmax of a 0-d tensor");
    is_near(item(ly), 0, 0, "log_softmax of a 0-d tensor");
    l2_tensor_release(y);
    l2_tensor_release(ly);
    l2_tensor_release(x);
}

/* Every kernel path of softmax against the direct formula: lanes along the last dim, column
 * blocks along inner dims of a contiguous input (140 columns: two full blocks and a partial
 * one), -inf entries (exact zeros) and NaN (the whole lane becomes NaN). */
static void test_softmax_paths(l2_dtype dt)
{
    enum { A = 3, B = 70, D = 2 };
    double v[A * B * D];
    for (int i = 0; i < A * B * D; i++)
        v[i] = 6 * sin(0.7 * i + 0.3);
    l2_tensor *x = mk(dt, L2_SHAPE(A, B, D), v);
    int64_t sh[3] = {A, B, D}, st[3] = {B * D, D, 1};
    for (int dim = 0; dim < 3; dim++) {
        l2_tensor *y = l2_softmax(x, dim), *ly = l2_log_softmax(x, dim);
        double worst = 0, lworst = 0;
        for (int i = 0; i < A * B * D; i++) {
            int64_t idx[3] = {i / (B * D), i / D % B, i % D};
            double mx = -INFINITY, z = 0;
            for (int64_t k = 0; k < sh[dim]; k++) {
                double a = v[i - idx[dim] * st[dim] + k * st[dim]];
                mx = a > mx ? a : mx;
            }
            for (int64_t k = 0; k < sh[dim]; k++)
                z += exp(v[i - idx[dim] * st[dim] + k * st[dim]] - mx);
            double want = exp(v[i] - mx) / z, lwant = v[i] - mx - log(z);
            double e = fabs(at(y, idx) - want) / want, le = fabs(at(ly, idx) - lwant);
            worst = e > worst ? e : worst;
            lworst = le > lworst ? le : lworst;
        }
        ok(worst < (dt == L2_FLOAT32 ? 1e-5 : 1e-13), "softmax dim %d of (3,70,2) %s: worst "
           "relative error %g", dim, l2_dtype_name(dt), worst);
        ok(lworst < (dt == L2_FLOAT32 ? 1e-5 : 1e-13), "log_softmax dim %d of (3,70,2) %s: worst "
           "error %g", dim, l2_dtype_name(dt), lworst);
        l2_tensor_release(y);
        l2_tensor_release(ly);
    }
    l2_tensor_release(x);
    /* masks and NaN, along the last dim (lanes) and along dim 0 (columns) */
    x = mk(dt, L2_SHAPE(3, 2), (const double[]){-INFINITY, NAN, 0, 1, 1, 2});
    l2_tensor *y0 = l2_softmax(x, 0), *l0 = l2_log_softmax(x, 0);
    l2_tensor *xt = l2_t(x), *y1 = l2_softmax(xt, 1); /* the same lanes, as rows */
    for (int k = 0; k < 2; k++) {
        l2_tensor *y = k ? y1 : y0;
        int64_t i0[2] = {0, 0}, i1[2] = {1, 0}, n0[2] = {0, 1};
        if (k)
            i0[0] = 0, i0[1] = 0, i1[0] = 0, i1[1] = 1, n0[0] = 1, n0[1] = 0;
        ok(at(y, i0) == 0, "softmax of -inf is exactly 0 (%s)", k ? "lanes" : "columns");
        is_near(at(y, i1), 1 / (1 + exp(1)), 1e-6, "softmax next to -inf");
        ok(isnan(at(y, n0)), "a NaN makes its lane NaN (%s)", k ? "lanes" : "columns");
    }
    ok(isinf(at(l0, IDX(0, 0))) && at(l0, IDX(0, 0)) < 0, "log_softmax of -inf is -inf");
    l2_tensor *tl[] = {x, y0, l0, xt, y1};
    for (size_t i = 0; i < sizeof tl / sizeof tl[0]; i++)
        l2_tensor_release(tl[i]);
}

/* Direct cross entropy of (N, C) logits x with class targets, for the test's expectations. */
static double ce_ref(const double *x, int N, int C, const int64_t *t, int64_t ign, double e,
                     l2_reduction red, double *per)
{
    double sum = 0;
    int cnt = 0;
    for (int n = 0; n < N; n++) {
        per[n] = 0;
        if (t[n] == ign)
            continue;
        double z = 0;
        for (int c = 0; c < C; c++)
            z += exp(x[n * C + c]);
        double nll = -(x[n * C + t[n]] - log(z)), smooth = 0;
        for (int c = 0; c < C; c++)
            smooth += -(x[n * C + c] - log(z)) / C;
        per[n] = (1 - e) * nll + e * smooth;
        sum += per[n];
        cnt++;
    }
    return red == L2_REDUCTION_MEAN ? sum / cnt : sum;
}

static void test_cross_entropy(l2_dtype dt)
{
    double tol = dt == L2_FLOAT32 ? 1e-5 : 1e-12;
    double x[12] = {0.2, -1.0, 3.0, 0.5, 1.5, 0.0, -0.3, 2.2, -2.0, 0.7, 0.1, 0.9};
    int64_t t[3] = {2, -100, 0}, t2[3] = {1, 3, 0};
    l2_tensor *in = mk(dt, L2_SHAPE(3, 4), x), *tg = mk_i64(L2_SHAPE(3), t);
    double per[3], want;
    for (int ls = 0; ls < 2; ls++) {
        double e = ls ? 0.2 : 0.0;
        l2_tensor *none = l2_cross_entropy(in, tg, L2_REDUCTION_NONE, -100, e);
        l2_tensor *mean = l2_cross_entropy(in, tg, L2_REDUCTION_MEAN, -100, e);
        l2_tensor *sum = l2_cross_entropy(in, tg, L2_REDUCTION_SUM, -100, e);
        want = ce_ref(x, 3, 4, t, -100, e, L2_REDUCTION_MEAN, per);
        for (int n = 0; n < 3; n++)
            is_near(at(none, IDX(n)), per[n], tol, "cross_entropy none (ignore, smoothing)");
        is_near(item(mean), want, tol, "cross_entropy mean over non-ignored targets");
        is_near(item(sum), ce_ref(x, 3, 4, t, -100, e, L2_REDUCTION_SUM, per), tol,
                "cross_entropy sum");
        ok(l2_ndim(mean) == 0 && l2_ndim(none) == 1 && l2_dtype_of(mean) == dt,
           "cross_entropy result shapes and dtype");
        l2_tensor_release(none);
        l2_tensor_release(mean);
        l2_tensor_release(sum);
    }
    /* A different ignore_index: -100 is then a real (out-of-range) class. */
    l2_tensor *tg2 = mk_i64(L2_SHAPE(3), t2);
    l2_tensor *m = l2_cross_entropy(in, tg2, L2_REDUCTION_MEAN, 3, 0.1);
    is_near(item(m), ce_ref(x, 3, 4, t2, 3, 0.1, L2_REDUCTION_MEAN, per), tol,
            "cross_entropy ignore_index 3");
    l2_tensor_release(m);
    /* All ignored: the mean is 0/0 = NaN (torch). */
    l2_tensor *ti = mk_i64(L2_SHAPE(3), (const int64_t[]){-1, -1, -1});
    m = l2_cross_entropy(in, ti, L2_REDUCTION_MEAN, -1, 0.0);
    ok(m && isnan(item(m)), "cross_entropy mean with every target ignored is NaN");
    l2_tensor_release(m);
    m = l2_cross_entropy(in, ti, L2_REDUCTION_SUM, -1, 0.0);
    is_near(item(m), 0, 0, "cross_entropy sum with every target ignored is 0");
    l2_tensor_release(m);

    /* Class probabilities: loss_n = -sum_c p'_c log_softmax(x)_c, p' = p (1-e) + e/C. */
    double p[12] = {0.1, 0.2, 0.3, 0.4, 1, 0, 0, 0, 0.25, 0.25, 0.25, 0.25};
    l2_tensor *tp = mk(dt, L2_SHAPE(3, 4), p);
    l2_tensor *pn = l2_cross_entropy(in, tp, L2_REDUCTION_NONE, -100, 0.3);
    l2_tensor *pm = l2_cross_entropy(in, tp, L2_REDUCTION_MEAN, -100, 0.3);
    double total = 0;
    for (int n = 0; n < 3; n++) {
        double z = 0, l = 0;
        for (int c = 0; c < 4; c++)
            z += exp(x[n * 4 + c]);
        for (int c = 0; c < 4; c++)
            l -= (p[n * 4 + c] * 0.7 + 0.3 / 4) * (x[n * 4 + c] - log(z));
        is_near(at(pn, IDX(n)), l, tol, "cross_entropy with probabilities, none");
        total += l;
    }
    is_near(item(pm), total / 3, tol, "cross_entropy with probabilities, mean over N");
    l2_tensor *tl[] = {pn, pm, tp, ti, tg2, tg, in};
    for (size_t i = 0; i < sizeof tl / sizeof tl[0]; i++)
        l2_tensor_release(tl[i]);

    /* (N, C, d) input with (N, d) targets; (C) input with a 0-d target. */
    double x3[12]; /* (2, 3, 2) */
    for (int i = 0; i < 12; i++)
        x3[i] = sin(i + 1.0);
    in = mk(dt, L2_SHAPE(2, 3, 2), x3);
    tg = mk_i64(L2_SHAPE(2, 2), (const int64_t[]){2, 0, 1, 1});
    l2_tensor *r = l2_cross_entropy(in, tg, L2_REDUCTION_NONE, -100, 0);
    double z = 0;
    for (int c = 0; c < 3; c++)
        z += exp(x3[1 * 6 + c * 2 + 0]); /* n = 1, d = 0, target 1 */
    is_near(at(r, IDX(1, 0)), log(z) - x3[1 * 6 + 1 * 2 + 0], tol, "cross_entropy (N,C,d)");
    l2_tensor_release(r);
    l2_tensor *v = l2_select(in, 0, 1), *v0 = l2_select(v, 1, 0); /* (3) logits, strided */
    l2_tensor *t0 = mk_i64(0, NULL, (const int64_t[]){1});
    r = l2_cross_entropy(v0, t0, L2_REDUCTION_MEAN, -100, 0);
    is_near(item(r), log(z) - x3[1 * 6 + 1 * 2 + 0], tol, "cross_entropy (C) with 0-d target");
    l2_tensor_release(r);
    r = l2_nll_loss(v0, t0, L2_REDUCTION_SUM, -100);
    is_near(item(r), -x3[1 * 6 + 1 * 2 + 0], tol, "nll_loss (C) with 0-d target");
    l2_tensor_release(r);
    r = l2_nll_loss(in, tg, L2_REDUCTION_MEAN, 0); /* ignores the class-0 target */
    is_near(item(r), -(x3[0 * 6 + 2 * 2 + 0] + x3[1 * 6 + 1 * 2 + 0] + x3[1 * 6 + 1 * 2 + 1]) / 3,
            tol, "nll_loss (N,C,d) mean with ignore_index 0");
    l2_tensor *tl2[] = {r, t0, v0, v, tg, in};
    for (size_t i = 0; i < sizeof tl2 / sizeof tl2[0]; i++)
        l2_tensor_release(tl2[i]);
}

static void test_pointwise_losses(l2_dtype dt)
{
    double tol = dt == L2_FLOAT32 ? 1e-5 : 1e-12;
    double a[6] = {0.5, -1, 2, 0, 3, -0.5}, b[3] = {1, -1, 0.5};
    l2_tensor *x = mk(dt, L2_SHAPE(2, 3), a), *t = mk(dt, L2_SHAPE(3), b);
    l2_tensor *mn = l2_mse_loss(x, t, L2_REDUCTION_NONE);
    l2_tensor *mm = l2_mse_loss(x, t, L2_REDUCTION_MEAN);
    l2_tensor *ln = l2_l1_loss(x, t, L2_REDUCTION_NONE), *ls = l2_l1_loss(x, t, L2_REDUCTION_SUM);
    double sq = 0, ab = 0;
    for (int i = 0; i < 6; i++) {
        double d = a[i] - b[i % 3];
        is_near(at(mn, IDX(i / 3, i % 3)), d * d, tol, "mse_loss none, target broadcast");
        is_near(at(ln, IDX(i / 3, i % 3)), fabs(d), tol, "l1_loss none, target broadcast");
        sq += d * d;
        ab += fabs(d);
    }
    is_near(item(mm), sq / 6, tol, "mse_loss mean");
    is_near(item(ls), ab, tol, "l1_loss sum");
    l2_tensor *tl[] = {mn, mm, ln, ls, x, t};
    for (size_t i = 0; i < sizeof tl / sizeof tl[0]; i++)
        l2_tensor_release(tl[i]);

    /* binary_cross_entropy, with the logs clamped at -100: input 0 with target 1 costs 100. */
    double pa[4] = {0.25, 0.9, 0, 1}, pb[4] = {0, 0.5, 1, 1};
    x = mk(dt, L2_SHAPE(4), pa);
    t = mk(dt, L2_SHAPE(4), pb);
    l2_tensor *bn = l2_binary_cross_entropy(x, t, L2_REDUCTION_NONE);
    is_near(at(bn, IDX(0)), -log(0.75), tol, "bce(0.25, 0)");
    is_near(at(bn, IDX(1)), -(0.5 * log(0.9) + 0.5 * log(0.1)), tol, "bce(0.9, 0.5)");
    is_near(at(bn, IDX(2)), 100, tol * 100, "bce(0, 1) = 100: log clamped at -100");
    is_near(at(bn, IDX(3)), 0, tol, "bce(1, 1) = 0");
    l2_tensor *bm = l2_binary_cross_entropy(x, t, L2_REDUCTION_MEAN);
    is_near(item(bm), (-log(0.75) - (0.5 * log(0.9) + 0.5 * log(0.1)) + 100) / 4, tol * 100,
            "bce mean");
    l2_tensor_release(bn);
    l2_tensor_release(bm);
    l2_tensor_release(x);
    /* with logits: stable for large |x| (log(1 + exp(100)) would be 100 in float, fine, but
     * exp(1000) overflows) */
    double la[4] = {0.3, -2, 1000, -1000};
    x = mk(dt, L2_SHAPE(4), la);
    bn = l2_binary_cross_entropy_with_logits(x, t, L2_REDUCTION_NONE);
    for (int i = 0; i < 2; i++) {
        double sg = 1 / (1 + exp(-la[i]));
        is_near(at(bn, IDX(i)), -(pb[i] * log(sg) + (1 - pb[i]) * log(1 - sg)), tol,
                "bce_with_logits matches bce of the sigmoid");
    }
    is_near(at(bn, IDX(2)), 0, tol, "bce_with_logits(1000, 1) = 0, no overflow");
    is_near(at(bn, IDX(3)), 1000, tol * 1000, "bce_with_logits(-1000, 1) = 1000, no overflow");
    bm = l2_binary_cross_entropy_with_logits(x, t, L2_REDUCTION_SUM);
    ok(isfinite(item(bm)), "bce_with_logits sum is finite");
    l2_tensor_release(bn);
    l2_tensor_release(bm);
    l2_tensor_release(x);
    l2_tensor_release(t);

    /* Mixed dtypes promote; an empty mean is NaN. */
    x = mk(L2_FLOAT32, L2_SHAPE(2), (const double[]){1, 2});
    t = mk(L2_FLOAT64, L2_SHAPE(2), (const double[]){0, 0});
    mm = l2_mse_loss(x, t, L2_REDUCTION_SUM);
    ok(mm && l2_dtype_of(mm) == L2_FLOAT64, "mse_loss float32 with float64 gives float64");
    is_near(item(mm), 5, 0, "mse_loss mixed dtypes value");
    l2_tensor_release(mm);
    l2_tensor_release(x);
    l2_tensor_release(t);
    x = l2_zeros(L2_SHAPE(0, 3), dt);
    mm = l2_mse_loss(x, x, L2_REDUCTION_MEAN);
    ok(mm && isnan(item(mm)), "mse_loss mean of nothing is NaN");
    l2_tensor_release(mm);
    l2_tensor_release(x);
}

static void test_dropout(l2_dtype dt)
{
    int64_t n = 2000;
    l2_tensor *x = l2_full(L2_SHAPE(n / 20, 20), 3.0, dt);
    l2_manual_seed(5);
    l2_tensor *y = l2_dropout(x, 0.25, true);
    l2_manual_seed(5);
    l2_tensor *y2 = l2_dropout(x, 0.25, true);
    int64_t zeros = 0, scaled = 0, same = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = at(y, IDX(i / 20, i % 20));
        zeros += v == 0;
        scaled += fabs(v - 3.0 / 0.75) < 1e-6;
        same += v == at(y2, IDX(i / 20, i % 20));
    }
    ok(zeros + scaled == n, "dropout: every element is 0 or x / (1 - p)");
    ok(zeros > n / 4 - 100 && zeros < n / 4 + 100, "dropout drops about p of the elements: %lld",
       (long long)zeros);
    ok(same == n, "dropout: the same seed gives the same mask");
    l2_tensor_release(y);
    l2_tensor_release(y2);
    y = l2_dropout(x, 0.25, false);
    ok(y == x, "dropout in eval mode returns t itself");
    l2_tensor_release(y);
    y = l2_dropout(x, 1.0, true);
    ok(y && at(y, IDX(3, 7)) == 0 && at(y, IDX(0, 0)) == 0, "dropout p=1 gives zeros");
    l2_tensor_release(y);
    y = l2_dropout(x, 0.0, true);
    ok(y == x, "dropout p=0 returns t itself");
    l2_tensor_release(y);
    l2_tensor_release(x);
}

static void test_layer_norm(l2_dtype dt)
{
    double tol = dt == L2_FLOAT32 ? 1e-5 : 1e-12;
    double v[6] = {1, 2, 4, -1, 0, 7}, w[3] = {0.5, 2, -1}, b[3] = {0, 1, 0.25};
    l2_tensor *x = mk(dt, L2_SHAPE(2, 3), v), *tw = mk(dt, L2_SHAPE(3), w);
    l2_tensor *tb = mk(dt, L2_SHAPE(3), b);
    l2_tensor *y = l2_layer_norm(x, 1, IDX(3), tw, tb, 1e-5);
    l2_tensor *y0 = l2_layer_norm(x, 1, IDX(3), NULL, NULL, 1e-5);
    l2_tensor *yall = l2_layer_norm(x, 2, IDX(2, 3), NULL, NULL, 0.0);
    for (int r = 0; r < 2; r++) {
        double m = (v[r * 3] + v[r * 3 + 1] + v[r * 3 + 2]) / 3, var = 0;
        for (int j = 0; j < 3; j++)
            var += (v[r * 3 + j] - m) * (v[r * 3 + j] - m) / 3; /* biased */
        for (int j = 0; j < 3; j++) {
            double h = (v[r * 3 + j] - m) / sqrt(var + 1e-5);
            is_near(at(y, IDX(r, j)), h * w[j] + b[j], tol, "layer_norm with weight and bias");
            is_near(at(y0, IDX(r, j)), h, tol, "layer_norm without weight and bias");
        }
    }
    double m = 13.0 / 6, var = 0;
    for (int i = 0; i < 6; i++)
        var += (v[i] - m) * (v[i] - m) / 6;
    is_near(at(yall, IDX(1, 2)), (7 - m) / sqrt(var), tol, "layer_norm over two dims");
    l2_tensor_release(yall);
    l2_tensor_release(y0);
    l2_tensor_release(y);
    /* transposed input: rows are strided */
    l2_tensor *xt = l2_t(x); /* (3, 2) */
    y = l2_layer_norm(xt, 1, IDX(2), NULL, NULL, 0.0);
    is_near(at(y, IDX(2, 0)), (4 - 5.5) / 1.5, tol, "layer_norm of a transposed input");
    l2_tensor_release(y);
    l2_tensor_release(xt);
    l2_tensor_release(tb);
    l2_tensor_release(tw);
    l2_tensor_release(x);
}

static void test_batch_norm(l2_dtype dt)
{
    double tol = dt == L2_FLOAT32 ? 1e-5 : 1e-12;
    /* x: (N=2, C=2, S=3) */
    double v[12] = {1, 2, 3, -1, 0, 1, 4, 5, 9, 2, 2, 5};
    l2_tensor *x = mk(dt, L2_SHAPE(2, 2, 3), v);
    l2_tensor *w = mk(dt, L2_SHAPE(2), (const double[]){2, -0.5});
    l2_tensor *b = mk(dt, L2_SHAPE(2), (const double[]){0.1, 1});
    l2_tensor *rm = mk(dt, L2_SHAPE(2), (const double[]){0.5, -1});
    l2_tensor *rv = mk(dt, L2_SHAPE(2), (const double[]){1, 2});
    l2_tensor *y = l2_batch_norm(x, rm, rv, w, b, true, 0.1, 1e-5);
    double mean[2], var[2], wv[2] = {2, -0.5}, bv[2] = {0.1, 1};
    for (int c = 0; c < 2; c++) {
        double s = 0, q = 0;
        for (int n = 0; n < 2; n++)
            for (int k = 0; k < 3; k++)
                s += v[n * 6 + c * 3 + k];
        mean[c] = s / 6;
        for (int n = 0; n < 2; n++)
            for (int k = 0; k < 3; k++)
                q += (v[n * 6 + c * 3 + k] - mean[c]) * (v[n * 6 + c * 3 + k] - mean[c]);
        var[c] = q / 6;
        for (int n = 0; n < 2; n++)
            for (int k = 0; k < 3; k++)
                is_near(at(y, IDX(n, c, k)),
                        (v[n * 6 + c * 3 + k] - mean[c]) / sqrt(var[c] + 1e-5) * wv[c] + bv[c],
                        tol, "batch_norm training output (batch statistics, biased)");
        is_near(at(rm, IDX(c)), 0.9 * (c ? -1 : 0.5) + 0.1 * mean[c], tol,
                "batch_norm updates running_mean with momentum");
        is_near(at(rv, IDX(c)), 0.9 * (c ? 2 : 1) + 0.1 * q / 5, tol,
                "batch_norm updates running_var with the unbiased variance");
    }
    l2_tensor_release(y);
    /* eval: the running statistics, unchanged */
    double rmv[2] = {at(rm, IDX(0)), at(rm, IDX(1))}, rvv[2] = {at(rv, IDX(0)), at(rv, IDX(1))};
    y = l2_batch_norm(x, rm, rv, w, b, false, 0.1, 1e-5);
    for (int c = 0; c < 2; c++)
        is_near(at(y, IDX(1, c, 2)), (v[6 + c * 3 + 2] - rmv[c]) / sqrt(rvv[c] + 1e-5) * wv[c] +
                bv[c], tol, "batch_norm eval uses the running statistics");
    is_near(at(rm, IDX(1)), rmv[1], 0, "batch_norm eval leaves running_mean alone");
    l2_tensor_release(y);
    /* (N, C) input, no parameters, no running statistics */
    l2_tensor *x2 = mk(dt, L2_SHAPE(2, 2), (const double[]){1, 5, 3, 5});
    y = l2_batch_norm(x2, NULL, NULL, NULL, NULL, true, 0.1, 1e-5);
    is_near(at(y, IDX(1, 0)), 1 / sqrt(1 + 1e-5), tol, "batch_norm (N,C)");
    is_near(at(y, IDX(1, 1)), 0, tol, "batch_norm (N,C) constant channel gives 0");
    l2_tensor *tl[] = {y, x2, x, w, b, rm, rv};
    for (size_t i = 0; i < sizeof tl / sizeof tl[0]; i++)
        l2_tensor_release(tl[i]);
}

static void test_errors(void)
{
    l2_tensor *x = l2_zeros(L2_SHAPE(2, 3), L2_FLOAT32), *i = l2_zeros(L2_SHAPE(2), L2_INT64);
    l2_tensor *s0 = l2_scalar(1, L2_FLOAT32), *f2 = l2_zeros(L2_SHAPE(2), L2_FLOAT32);
    l2_tensor *ti = mk_i64(L2_SHAPE(2), (const int64_t[]){0, 3});
    l2_tensor *tn = mk_i64(L2_SHAPE(2), (const int64_t[]){-1, 0});
    l2_tensor *t3 = l2_zeros(L2_SHAPE(3), L2_INT64);
    err_is(l2_softmax(NULL, 0), L2_ERR_NULL, "softmax NULL");
    err_is(l2_softmax(i, 0), L2_ERR_DTYPE, "softmax int64");
    err_is(l2_log_softmax(x, 2), L2_ERR_DIM, "log_softmax dim 2 of rank 2");
    err_is(l2_cross_entropy(x, t3, L2_REDUCTION_MEAN, -100, 0), L2_ERR_SHAPE,
           "cross_entropy wrong target shape");
    err_is(l2_cross_entropy(x, ti, L2_REDUCTION_MEAN, -100, 0), L2_ERR_INDEX,
           "cross_entropy class 3 of 3");
    err_is(l2_cross_entropy(x, tn, L2_REDUCTION_MEAN, -100, 0), L2_ERR_INDEX,
           "cross_entropy class -1");
    err_is(l2_nll_loss(x, ti, L2_REDUCTION_SUM, -100), L2_ERR_INDEX, "nll_loss class 3 of 3");
    err_is(l2_cross_entropy(x, f2, L2_REDUCTION_MEAN, -100, 0), L2_ERR_DTYPE,
           "cross_entropy float target of another shape");
    err_is(l2_cross_entropy(x, x, L2_REDUCTION_MEAN, 0, 0), L2_ERR_ARG,
           "cross_entropy probabilities with ignore_index 0");
    err_is(l2_cross_entropy(x, i, L2_REDUCTION_MEAN, -100, 1.5), L2_ERR_ARG,
           "cross_entropy label_smoothing 1.5");
    err_is(l2_cross_entropy(x, i, (l2_reduction)7, -100, 0), L2_ERR_ARG,
           "cross_entropy reduction 7");
    err_is(l2_cross_entropy(s0, i, L2_REDUCTION_MEAN, -100, 0), L2_ERR_DIM,
           "cross_entropy 0-d input");
    err_is(l2_cross_entropy(i, i, L2_REDUCTION_MEAN, -100, 0), L2_ERR_DTYPE,
           "cross_entropy int64 input");
    err_is(l2_nll_loss(x, NULL, L2_REDUCTION_MEAN, -100), L2_ERR_NULL, "nll_loss NULL target");
    err_is(l2_nll_loss(x, x, L2_REDUCTION_MEAN, -100), L2_ERR_DTYPE, "nll_loss float target");
    err_is(l2_mse_loss(x, f2, L2_REDUCTION_MEAN), L2_ERR_SHAPE, "mse_loss [2,3] and [2]");
    err_is(l2_l1_loss(i, i, L2_REDUCTION_MEAN), L2_ERR_DTYPE, "l1_loss int64");
    {
        /* torch 1.13's dtype rules for the pointwise losses beyond promotion. */
        l2_tensor *fb = l2_ones(L2_SHAPE(2), L2_BOOL), *fd = l2_ones(L2_SHAPE(2), L2_FLOAT64);
        l2_tensor *fh = l2_full(L2_SHAPE(2), 0.5, L2_FLOAT32);
        err_is(l2_l1_loss(f2, fb, L2_REDUCTION_MEAN), L2_ERR_DTYPE, "l1_loss float32, bool");
        err_is(l2_binary_cross_entropy(fh, fd, L2_REDUCTION_MEAN), L2_ERR_DTYPE,
               "binary_cross_entropy float32, float64");
        err_is(l2_binary_cross_entropy(fh, i, L2_REDUCTION_MEAN), L2_ERR_DTYPE,
               "binary_cross_entropy float32, int64");
        err_is(l2_binary_cross_entropy_with_logits(i, f2, L2_REDUCTION_MEAN), L2_ERR_DTYPE,
               "binary_cross_entropy_with_logits int64 input");
        err_is(l2_binary_cross_entropy_with_logits(f2, fb, L2_REDUCTION_MEAN), L2_ERR_DTYPE,
               "binary_cross_entropy_with_logits bool target");
        l2_tensor *ok1 = l2_binary_cross_entropy_with_logits(f2, fd, L2_REDUCTION_MEAN);
        ok(ok1 && l2_dtype_of(ok1) == L2_FLOAT64, "bce_with_logits float32, float64 -> float64");
        l2_tensor *ok2 = l2_mse_loss(fb, f2, L2_REDUCTION_MEAN);
        ok(ok2 != NULL, "mse_loss bool, float32 is allowed (as torch)");
        l2_tensor_release(ok2);
        l2_tensor_release(ok1);
        l2_tensor_release(fh);
        l2_tensor_release(fd);
        l2_tensor_release(fb);
    }
    err_is(l2_mse_loss(x, NULL, L2_REDUCTION_MEAN), L2_ERR_NULL, "mse_loss NULL");
    err_is(l2_binary_cross_entropy(x, s0, L2_REDUCTION_MEAN), L2_ERR_SHAPE,
           "binary_cross_entropy target of another shape");
    err_is(l2_binary_cross_entropy_with_logits(x, f2, L2_REDUCTION_MEAN), L2_ERR_SHAPE,
           "binary_cross_entropy_with_logits target of another shape");
    l2_tensor *big = l2_full(L2_SHAPE(2), 1.5, L2_FLOAT32);
    err_is(l2_binary_cross_entropy(big, f2, L2_REDUCTION_MEAN), L2_ERR_ARG,
           "binary_cross_entropy input 1.5");
    err_is(l2_dropout(x, 1.5, true), L2_ERR_ARG, "dropout p 1.5");
    err_is(l2_dropout(x, -0.1, false), L2_ERR_ARG, "dropout p -0.1");
    err_is(l2_dropout(x, NAN, true), L2_ERR_ARG, "dropout p NaN");
    err_is(l2_dropout(i, 0.5, true), L2_ERR_DTYPE, "dropout int64");
    err_is(l2_layer_norm(x, 1, IDX(2), NULL, NULL, 1e-5), L2_ERR_SHAPE,
           "layer_norm normalized_shape [2] for [2,3]");
    err_is(l2_layer_norm(x, 3, IDX(1, 2, 3), NULL, NULL, 1e-5), L2_ERR_SHAPE,
           "layer_norm normalized_shape longer than the input");
    err_is(l2_layer_norm(x, 0, IDX(3), NULL, NULL, 1e-5), L2_ERR_ARG, "layer_norm 0 dims");
    err_is(l2_layer_norm(x, 1, NULL, NULL, NULL, 1e-5), L2_ERR_NULL, "layer_norm NULL shape");
    err_is(l2_layer_norm(x, 1, IDX(3), f2, NULL, 1e-5), L2_ERR_SHAPE,
           "layer_norm weight of shape [2]");
    err_is(l2_layer_norm(x, 1, IDX(3), NULL, t3, 1e-5), L2_ERR_DTYPE, "layer_norm int64 bias");
    l2_tensor *rm = l2_zeros(L2_SHAPE(3), L2_FLOAT32), *rv = l2_ones(L2_SHAPE(3), L2_FLOAT32);
    err_is(l2_batch_norm(x, NULL, rv, NULL, NULL, false, 0.1, 1e-5), L2_ERR_NULL,
           "batch_norm eval without running_mean");
    err_is(l2_batch_norm(f2, NULL, NULL, NULL, NULL, true, 0.1, 1e-5), L2_ERR_DIM,
           "batch_norm 1-d input");
    err_is(l2_batch_norm(x, rm, rv, f2, NULL, true, 0.1, 1e-5), L2_ERR_SHAPE,
           "batch_norm weight of shape [2]");
    l2_tensor *one = l2_zeros(L2_SHAPE(1, 3), L2_FLOAT32);
    err_is(l2_batch_norm(one, rm, rv, NULL, NULL, true, 0.1, 1e-5), L2_ERR_ARG,
           "batch_norm training with one value per channel");
    ok(at(rv, IDX(0)) == 1 && at(rm, IDX(2)) == 0, "a failed batch_norm leaves running stats");
    l2_tensor *tl[] = {x, i, s0, f2, ti, tn, t3, big, rm, rv, one};
    for (size_t k = 0; k < sizeof tl / sizeof tl[0]; k++)
        l2_tensor_release(tl[k]);
}

/* Out of memory: every injected allocation failure in a forward or backward returns
 * L2_ERR_NOMEM (and leaks nothing: run under valgrind); eventually the call succeeds. */
enum { OOM_OPS = 10 };
static const char *const oom_names[OOM_OPS] = {
    "softmax", "log_softmax", "cross_entropy", "cross_entropy (probabilities)", "nll_loss",
    "mse_loss", "binary_cross_entropy", "dropout", "layer_norm", "batch_norm"};

static l2_tensor *oom_op(int o, l2_tensor *x, l2_tensor *p, l2_tensor *t, l2_tensor *w)
{
    switch (o) {
    case 0: return l2_softmax(x, 0);
    case 1: return l2_log_softmax(x, 1);
    case 2: return l2_cross_entropy(x, t, L2_REDUCTION_MEAN, -100, 0.1);
    case 3: return l2_cross_entropy(x, p, L2_REDUCTION_SUM, -100, 0.1);
    case 4: return l2_nll_loss(x, t, L2_REDUCTION_NONE, -100);
    case 5: return l2_mse_loss(x, w, L2_REDUCTION_MEAN);
    case 6: return l2_binary_cross_entropy(p, p, L2_REDUCTION_MEAN);
    case 7: return l2_dropout(x, 0.5, true);
    case 8: return l2_layer_norm(x, 1, IDX(4), w, w, 1e-5);
    default: return l2_batch_norm(x, NULL, NULL, w, w, true, 0.1, 1e-5);
    }
}

static void test_oom(void)
{
    l2_tensor *x = gc_leaf(L2_SHAPE(3, 4), -1, 1), *p = gc_leaf(L2_SHAPE(3, 4), 0.1, 0.9);
    l2_tensor *w = gc_leaf(L2_SHAPE(4), 0.5, 1.5);
    l2_tensor *t = mk_i64(L2_SHAPE(3), (const int64_t[]){1, -100, 3});
    for (int o = 0; o < OOM_OPS; o++) {
        bool fwd_ok = true, bwd_ok = true, done = false;
        for (int k = 0; k < 100 && !done; k++) {
            l2_debug_fail_alloc_after(k);
            l2_tensor *y = oom_op(o, x, p, t, w);
            l2_status st = l2_last_status();
            l2_debug_fail_alloc_after(-1);
            if (!y) {
                fwd_ok = fwd_ok && st == L2_ERR_NOMEM;
                continue;
            }
            done = true;
            l2_tensor_release(y);
        }
        ok(fwd_ok && done, "%s: injected allocation failures give L2_ERR_NOMEM", oom_names[o]);
        l2_tensor *y = oom_op(o, x, p, t, w);
        l2_tensor *g = l2_ones_like(y);
        done = false;
        for (int k = 0; k < 100 && !done; k++) {
            l2_debug_fail_alloc_after(k);
            l2_status st = l2_backward(y, g, true);
            l2_debug_fail_alloc_after(-1);
            if (st == L2_OK)
                done = true;
            else
                bwd_ok = bwd_ok && st == L2_ERR_NOMEM;
        }
        ok(bwd_ok && done, "%s: backward under injected allocation failures", oom_names[o]);
        l2_tensor_release(g);
        l2_tensor_release(y);
    }
    l2_tensor *tl[] = {x, p, w, t};
    for (size_t i = 0; i < sizeof tl / sizeof tl[0]; i++)
        l2_tensor_release(tl[i]);
}

int main(void)
{
    l2_dtype dts[2] = {L2_FLOAT32, L2_FLOAT64};
    for (int k = 0; k < 2; k++) {
        test_softmax(dts[k]);
        test_softmax_paths(dts[k]);
        test_cross_entropy(dts[k]);
        test_pointwise_losses(dts[k]);
        test_dropout(dts[k]);
        test_layer_norm(dts[k]);
        test_batch_norm(dts[k]);
    }
    test_errors();
    test_oom();
    return tap_done();
}
