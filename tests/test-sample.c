/* test-sample.c: the sampling ops (libl2/ops/sample.c): bernoulli, bernoulli_p, multinomial and
 * the tensor forms of normal. Statistical checks with fixed seeds (frequencies and moments within
 * bounds computed from the sample size: 6 standard deviations), exact properties (p = 0 and 1,
 * std = 0, zero weights, no repeats without replacement), the documented draws, reproducibility
 * under one seed, independence of the thread count, edge cases (empty, 0-d, non-contiguous),
 * torch 1.13's errors (a failure draws nothing), zero gradients and an out-of-memory sweep. */
#include <l2.h>
#include <stdint.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

/* a and b have the same shape, dtype and values (bitwise for floats: compared as doubles). */
static int same_values(const l2_tensor *a, const l2_tensor *b)
{
    if (!a || !b || l2_dtype_of(a) != l2_dtype_of(b) || l2_numel(a) != l2_numel(b) ||
        l2_ndim(a) != l2_ndim(b))
        return 0;
    for (int64_t i = 0; i < l2_numel(a); i++) {
        double x = flat(a, i), y = flat(b, i);
        if (x != y && !(isnan(x) && isnan(y)))
            return 0;
    }
    return 1;
}

/* |got - want| within 6 standard deviations, plus 1 for the discreteness of counts. */
static void within_(double got, double want, double sd, double slack, const char *name)
{
    if (!ok(fabs(got - want) <= 6 * sd + slack, "%s", name))
        printf("#   got %.6g, want %.6g +- 6 x %.4g\n", got, want, sd);
}
#define within(got, want, sd, name) within_(got, want, sd, 1, name)

/* ---- bernoulli --------------------------------------------------------------------------- */

static void test_bernoulli(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    const int64_t n = 40000;
    l2_manual_seed(1);
    l2_tensor *p = l2_full(L2_SHAPE(n), 0.3, dt);
    l2_tensor *y = l2_bernoulli(p);
    double s = 0;
    int binary = y && l2_dtype_of(y) == dt && same_shape(y, L2_SHAPE(n));
    for (int64_t i = 0; binary && i < n; i++) {
        double v = flat(y, i);
        binary = v == 0 || v == 1;
        s += v;
    }
    ok(binary, "bernoulli: p's shape and dtype, values 0 and 1 (%s)", dn);
    within(s, 0.3 * n, sqrt(n * 0.3 * 0.7), "bernoulli: frequency of ones for p = 0.3");
    /* the documented draw: u = l2_rand(shape, float64), y = u < p */
    l2_manual_seed(1);
    l2_tensor *u = l2_rand(L2_SHAPE(n), L2_FLOAT64);
    int same = u != NULL;
    for (int64_t i = 0; same && i < n; i++)
        same = flat(y, i) == (flat(u, i) < flat(p, i));
    ok(same, "bernoulli: y = l2_rand(shape, float64) < p, as documented (%s)", dn);
    /* p = 0 and p = 1 exactly, in a transposed (non-contiguous) p */
    l2_tensor *pm = l2_from_data((const double[]){0, 1, 1, 0, 0, 1}, L2_SHAPE(2, 3), L2_FLOAT64);
    l2_tensor *pc = l2_to_dtype(pm, dt), *pt = l2_t(pc);
    l2_tensor *yt = l2_bernoulli(pt);
    ok(same_shape(yt, L2_SHAPE(3, 2)) && at(yt, (const int64_t[]){0, 0}) == 0 &&
           at(yt, (const int64_t[]){1, 0}) == 1 && at(yt, (const int64_t[]){2, 0}) == 1 &&
           at(yt, (const int64_t[]){0, 1}) == 0 && at(yt, (const int64_t[]){1, 1}) == 0 &&
           at(yt, (const int64_t[]){2, 1}) == 1,
       "bernoulli: p = 0 gives 0 and p = 1 gives 1, transposed p (%s)", dn);
    /* 0-d and empty */
    l2_tensor *p0 = l2_scalar(1, dt), *y0 = l2_bernoulli(p0);
    ok(y0 && l2_ndim(y0) == 0 && item(y0) == 1, "bernoulli of a 0-d p (%s)", dn);
    l2_tensor *pe = l2_zeros(L2_SHAPE(2, 0), dt), *ye = l2_bernoulli(pe);
    ok(same_shape(ye, L2_SHAPE(2, 0)), "bernoulli of an empty p (%s)", dn);
    l2_tensor *list[] = {p, y, u, pm, pc, pt, yt, p0, y0, pe, ye};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

static void test_bernoulli_p(void)
{
    const l2_dtype dts[] = {L2_FLOAT32, L2_FLOAT64, L2_INT64, L2_BOOL};
    const int64_t n = 30000;
    for (int k = 0; k < 4; k++) {
        l2_manual_seed(2);
        l2_tensor *t = l2_full(L2_SHAPE(3, n / 3), 7, dts[k]);
        l2_tensor *y = l2_bernoulli_p(t, 0.75);
        double s = 0;
        int binary = y && l2_dtype_of(y) == dts[k] && same_shape(y, L2_SHAPE(3, n / 3));
        for (int64_t i = 0; binary && i < n; i++) {
            double v = flat(y, i);
            binary = v == 0 || v == 1;
            s += v;
        }
        ok(binary, "bernoulli_p: t's shape and dtype, values 0 and 1 (%s)",
           l2_dtype_name(dts[k]));
        within(s, 0.75 * n, sqrt(n * 0.75 * 0.25), "bernoulli_p: frequency of ones, p = 0.75");
        l2_tensor *y0 = l2_bernoulli_p(t, 0), *y1 = l2_bernoulli_p(t, 1);
        l2_tensor *s0 = y0 ? l2_sum(y0) : NULL, *s1 = y1 ? l2_sum(y1) : NULL;
        ok(item(s0) == 0 && item(s1) == n, "bernoulli_p: p = 0 all zeros, p = 1 all ones (%s)",
           l2_dtype_name(dts[k]));
        l2_tensor *list[] = {t, y, y0, y1, s0, s1};
        for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
            l2_tensor_release(list[i]);
    }
}

/* ---- multinomial ------------------------------------------------------------------------- */

static void test_multinomial_with(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    const double w[5] = {1, 0, 3, 4, 2}; /* total 10 */
    l2_tensor *wd = l2_from_data(w, L2_SHAPE(5), L2_FLOAT64), *wt = l2_to_dtype(wd, dt);
    const int64_t n = 50000;
    l2_manual_seed(3);
    l2_tensor *y = l2_multinomial(wt, n, true);
    int64_t cnt[5] = {0};
    int good = y && l2_dtype_of(y) == L2_INT64 && same_shape(y, L2_SHAPE(n));
    for (int64_t i = 0; good && i < n; i++) {
        double v = flat(y, i);
        good = v >= 0 && v < 5;
        if (good)
            cnt[(int)v]++;
    }
    ok(good, "multinomial with replacement: (n) int64 indices in [0, K) (%s)", dn);
    is_int(cnt[1], 0, "multinomial: a zero weight is never drawn");
    for (int c = 0; c < 5; c++) {
        double q = w[c] / 10;
        char name[80];
        snprintf(name, sizeof name, "multinomial with replacement: frequency of category %d", c);
        within((double)cnt[c], n * q, sqrt(n * q * (1 - q)), name);
    }
    /* the documented draw: u = l2_rand((1, n)), the first c with cumsum > u * total */
    l2_manual_seed(3);
    l2_tensor *u = l2_rand(L2_SHAPE(1, n), L2_FLOAT64);
    good = u != NULL;
    for (int64_t i = 0; good && i < n; i++) {
        double t = flat(u, i) * 10, cum = 0;
        int c = 0;
        for (; c < 5; c++) {
            cum += w[c];
            if (cum > t)
                break;
        }
        good = flat(y, i) == c;
    }
    ok(good, "multinomial with replacement: the documented draw (%s)", dn);
    /* rows: (2, 3) weights, each row its own distribution; a transposed layout */
    l2_tensor *m = l2_from_data((const double[]){0, 5, 1, 0, 0, 0}, L2_SHAPE(3, 2), L2_FLOAT64);
    l2_tensor *mc = l2_to_dtype(m, dt), *mt = l2_t(mc); /* rows [0, 1, 0], [5, 0, 0] */
    l2_tensor *r = l2_multinomial(mt, 7, true);
    good = same_shape(r, L2_SHAPE(2, 7));
    for (int64_t j = 0; good && j < 7; j++)
        good = at(r, (const int64_t[]){0, j}) == 1 && at(r, (const int64_t[]){1, j}) == 0;
    ok(good, "multinomial: each row of transposed weights draws its own only category (%s)", dn);
    l2_tensor *list[] = {wd, wt, y, u, m, mc, mt, r};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

static void test_multinomial_without(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    /* (R, K) rows of weights [1, 2, 0, 3, 0, 4]: no repeats, zero weights last */
    const int64_t R = 4000, K = 6;
    const double w[6] = {1, 2, 0, 3, 0, 4};
    l2_tensor *row = l2_from_data(w, L2_SHAPE(1, K), L2_FLOAT64), *rd = l2_to_dtype(row, dt);
    l2_tensor *ws = l2_expand(rd, L2_SHAPE(R, K)); /* an expanded (stride-0) input */
    l2_manual_seed(4);
    l2_tensor *y = l2_multinomial(ws, K, false);
    int good = same_shape(y, L2_SHAPE(R, K)), zero_last = 1;
    int64_t first[6] = {0};
    for (int64_t r = 0; good && r < R; r++) {
        int seen[6] = {0};
        for (int64_t j = 0; good && j < K; j++) {
            double v = at(y, (const int64_t[]){r, j});
            good = v >= 0 && v < K && !seen[(int)v];
            if (good) {
                seen[(int)v] = 1;
                if (j < 4 && w[(int)v] == 0)
                    zero_last = 0;
            }
        }
        if (good)
            first[(int)at(y, (const int64_t[]){r, 0})]++;
    }
    ok(good, "multinomial without replacement: every row a permutation of 0..K-1 (%s)", dn);
    ok(zero_last, "multinomial without replacement: zero weights only after the others");
    for (int c = 0; c < K; c++) {
        double q = w[c] / 10;
        char name[80];
        snprintf(name, sizeof name, "multinomial without replacement: first draw %d", c);
        within((double)first[c], R * q, sqrt(R * q * (1 - q)), name);
    }
    /* the second draw given the first: P(second = 1 | first = 3) = 2 / 7 */
    int64_t n3 = 0, n31 = 0;
    for (int64_t r = 0; r < R; r++)
        if (at(y, (const int64_t[]){r, 0}) == 3) {
            n3++;
            n31 += at(y, (const int64_t[]){r, 1}) == 1;
        }
    within((double)n31, n3 * 2.0 / 7, sqrt(n3 * (2.0 / 7) * (5.0 / 7)),
           "multinomial without replacement: second draw given the first");
    /* one sample (the argmax of the race) from a 1-d weight vector; the empty (0, K) input */
    l2_tensor *one = l2_multinomial(rd, 1, false);
    ok(one && l2_ndim(one) == 2 && l2_shape(one)[1] == 1 && at(one, (const int64_t[]){0, 0})
       != 2, "multinomial: one sample from a (1, K) row (%s)", dn);
    l2_tensor *e = l2_zeros(L2_SHAPE(0, 3), dt), *ye = l2_multinomial(e, 2, false);
    ok(same_shape(ye, L2_SHAPE(0, 2)), "multinomial of (0, K) weights: (0, n) (%s)", dn);
    l2_tensor *list[] = {row, rd, ws, y, one, e, ye};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

/* Without replacement, 10 of 1000 categories (the kept-heap path): the documented race,
 * u = l2_rand((R, K)), the 10 smallest keys -log(1 - u) / w in order, zero weights last. */
static void test_multinomial_race(void)
{
    const int64_t R = 4, K = 1000, n = 10;
    l2_manual_seed(8);
    l2_tensor *w = l2_rand(L2_SHAPE(R, K), L2_FLOAT64);
    l2_tensor *z = l2_narrow(w, 1, 0, 995); /* row 3: 5 positive weights, 995 zeros */
    l2_tensor *r3 = l2_select(z, 0, 3);
    l2_fill_(r3, 0);
    l2_manual_seed(9);
    l2_tensor *y = l2_multinomial(w, n, false);
    l2_manual_seed(9);
    l2_tensor *u = l2_rand(L2_SHAPE(R, K), L2_FLOAT64);
    int good = same_shape(y, L2_SHAPE(R, n)) && u;
    for (int64_t r = 0; good && r < R; r++) {
        double last = -1;
        int last_cls = 0;
        for (int64_t j = 0; good && j < n; j++) {
            int64_t c = (int64_t)at(y, (const int64_t[]){r, j});
            double wc = at(w, (const int64_t[]){r, c}), uc = at(u, (const int64_t[]){r, c});
            int cls = wc > 0 ? 0 : 1;
            double key = cls ? uc : -log1p(-uc) / wc;
            /* in order, and no category outside the samples beats the last one taken */
            good = cls > last_cls || (cls == last_cls && key >= last);
            last = key;
            last_cls = cls;
        }
        for (int64_t c = 0; good && c < K; c++) {
            int taken = 0;
            for (int64_t j = 0; j < n; j++)
                taken |= at(y, (const int64_t[]){r, j}) == c;
            double wc = at(w, (const int64_t[]){r, c}), uc = at(u, (const int64_t[]){r, c});
            int cls = wc > 0 ? 0 : 1;
            double key = cls ? uc : -log1p(-uc) / wc;
            good = taken || cls > last_cls || (cls == last_cls && key >= last);
        }
    }
    ok(good, "multinomial, 10 of 1000 without replacement: the documented race order");
    l2_tensor *list[] = {w, z, r3, y, u};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

/* ---- normal ------------------------------------------------------------------------------ */

static void test_normal(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    const int64_t n = 20000;
    /* mean (2, 1) = [[-3], [5]] and std (n) = 2 broadcast to (2, n) */
    l2_tensor *md = l2_from_data((const double[]){-3, 5}, L2_SHAPE(2, 1), L2_FLOAT64);
    l2_tensor *mean = l2_to_dtype(md, dt), *std = l2_full(L2_SHAPE(n), 2, L2_INT64);
    l2_manual_seed(5);
    l2_tensor *y = l2_normal_tensor_tensor(mean, std);
    ok(same_shape(y, L2_SHAPE(2, n)) && l2_dtype_of(y) == dt,
       "normal(Tensor, Tensor): the broadcast shape, mean's dtype (%s)", dn);
    for (int r = 0; y && r < 2; r++) {
        double s = 0, s2 = 0;
        for (int64_t j = 0; j < n; j++) {
            double v = at(y, (const int64_t[]){r, j});
            s += v;
            s2 += v * v;
        }
        double m = s / n, var = s2 / n - m * m;
        within_(m, r ? 5 : -3, 2 / sqrt(n), 0, "normal: sample mean");
        /* the variance of the sample variance of a normal: 2 sigma^4 / n */
        within_(var, 4, sqrt(2.0 * 16 / n), 0, "normal: sample variance");
    }
    /* the documented draw: mean + std * l2_randn(shape, dtype) */
    l2_manual_seed(5);
    l2_tensor *z = l2_randn(L2_SHAPE(2, n), dt);
    int good = z != NULL;
    for (int64_t j = 0; good && j < n; j += 97)
        good = at(y, (const int64_t[]){1, j}) == (dt == L2_FLOAT32 ?
                   (double)(float)(5 + 2 * at(z, (const int64_t[]){1, j})) :
                   5 + 2 * at(z, (const int64_t[]){1, j}));
    ok(good, "normal: mean + std * l2_randn, as documented (%s)", dn);
    /* std = 0 gives mean exactly; the tensor-float and float-tensor forms */
    l2_tensor *y0 = l2_normal_tensor_float(mean, 0);
    ok(same_shape(y0, L2_SHAPE(2, 1)) && at(y0, (const int64_t[]){0, 0}) == -3 &&
           at(y0, (const int64_t[]){1, 0}) == 5, "normal(Tensor, 0) is mean (%s)", dn);
    l2_tensor *sd = l2_zeros(L2_SHAPE(3), dt), *y1 = l2_normal_float_tensor(1.5, sd);
    ok(same_shape(y1, L2_SHAPE(3)) && l2_dtype_of(y1) == dt && at(y1, (const int64_t[]){2})
       == 1.5, "normal(1.5, zeros) is 1.5 (%s)", dn);
    l2_tensor *e = l2_zeros(L2_SHAPE(0, 2), dt), *ye = l2_normal_tensor_float(e, 1);
    ok(same_shape(ye, L2_SHAPE(0, 2)), "normal of an empty mean (%s)", dn);
    l2_tensor *list[] = {md, mean, std, y, z, y0, sd, y1, e, ye};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

/* ---- reproducibility, threads, errors, gradients ----------------------------------------- */

/* Each sampling op on large inputs, from seed 9. */
static void sample_all(l2_tensor **out)
{
    l2_manual_seed(9);
    l2_tensor *p = l2_full(L2_SHAPE(300, 700), 0.4, L2_FLOAT32);
    l2_tensor *w = l2_rand(L2_SHAPE(50, 300), L2_FLOAT64);
    l2_tensor *m = l2_zeros(L2_SHAPE(300, 1), L2_FLOAT32), *s = l2_ones(L2_SHAPE(700), L2_FLOAT32);
    out[0] = l2_bernoulli(p);
    out[1] = l2_bernoulli_p(p, 0.2);
    out[2] = l2_multinomial(w, 200, true);
    out[3] = l2_multinomial(w, 200, false);
    out[4] = l2_normal_tensor_tensor(m, s);
    out[5] = l2_normal_float_tensor(1, s);
    l2_tensor_release(p);
    l2_tensor_release(w);
    l2_tensor_release(m);
    l2_tensor_release(s);
}

static void test_reproducible(void)
{
    l2_tensor *a[6], *b[6], *c[6];
    int nt = l2_get_num_threads();
    l2_set_num_threads(1);
    sample_all(a);
    sample_all(b);
    l2_set_num_threads(3);
    sample_all(c);
    l2_set_num_threads(nt);
    static const char *names[6] = {"bernoulli", "bernoulli_p", "multinomial (replacement)",
                                   "multinomial", "normal(Tensor, Tensor)",
                                   "normal(float, Tensor)"};
    for (int k = 0; k < 6; k++) {
        ok(same_values(a[k], b[k]), "%s: the same seed gives the same samples", names[k]);
        ok(same_values(a[k], c[k]), "%s: the same samples at 1 and 3 threads", names[k]);
    }
    for (int k = 0; k < 6; k++) {
        l2_tensor_release(a[k]);
        l2_tensor_release(b[k]);
        l2_tensor_release(c[k]);
    }
}

/* A failing call draws nothing: the next draw is the one a fresh seed gives. */
static void draws_nothing(l2_tensor *r, const char *name)
{
    l2_tensor_release(r);
    l2_tensor *got = l2_rand(L2_SHAPE(4), L2_FLOAT64);
    l2_manual_seed(6);
    l2_tensor *want = l2_rand(L2_SHAPE(4), L2_FLOAT64);
    ok(same_values(got, want), "%s: the failed call left the generator alone", name);
    l2_tensor_release(got);
    l2_tensor_release(want);
}

static void test_errors(void)
{
    l2_tensor *p = l2_from_data((const float[]){0.5f, 1.5f}, L2_SHAPE(2), L2_FLOAT32);
    l2_tensor *pn = l2_from_data((const double[]){0.5, NAN}, L2_SHAPE(2), L2_FLOAT64);
    l2_tensor *ip = l2_zeros(L2_SHAPE(2), L2_INT64), *bp = l2_zeros(L2_SHAPE(2), L2_BOOL);
    l2_manual_seed(6);
    is_err(l2_bernoulli(p), L2_ERR_ARG, "p_in >= 0 && p_in <= 1", "bernoulli: p = 1.5");
    draws_nothing(NULL, "bernoulli");
    l2_manual_seed(6);
    is_err(l2_bernoulli(pn), L2_ERR_ARG, "p_in >= 0", "bernoulli: p = NaN");
    is_err(l2_bernoulli(ip), L2_ERR_DTYPE, "not implemented for 'int64'", "bernoulli: int64 p");
    is_err(l2_bernoulli(bp), L2_ERR_DTYPE, "not implemented", "bernoulli: bool p");
    is_err(l2_bernoulli(NULL), L2_ERR_NULL, "", "bernoulli: NULL p");
    is_err(l2_bernoulli_p(ip, -0.5), L2_ERR_ARG, "expects p to be in [0, 1], but got p=-0.5",
           "bernoulli_p: p = -0.5");
    is_err(l2_bernoulli_p(ip, NAN), L2_ERR_ARG, "expects p", "bernoulli_p: p = NaN");
    draws_nothing(NULL, "bernoulli_p");
    is_err(l2_bernoulli_p(NULL, 0.5), L2_ERR_NULL, "", "bernoulli_p: NULL t");
    /* multinomial */
    l2_tensor *w = l2_from_data((const float[]){1, 2, 3}, L2_SHAPE(3), L2_FLOAT32);
    l2_tensor *w3 = l2_ones(L2_SHAPE(2, 2, 2), L2_FLOAT32), *w0 = l2_scalar(1, L2_FLOAT32);
    l2_tensor *wi = l2_ones(L2_SHAPE(3), L2_INT64);
    l2_tensor *wneg = l2_from_data((const double[]){1, -2, 3}, L2_SHAPE(3), L2_FLOAT64);
    l2_tensor *winf = l2_from_data((const double[]){1, INFINITY, 3}, L2_SHAPE(3), L2_FLOAT64);
    l2_tensor *wnan = l2_from_data((const double[]){1, NAN, 3}, L2_SHAPE(3), L2_FLOAT64);
    l2_tensor *wz = l2_from_data((const double[]){1, 2, 0, 0}, L2_SHAPE(2, 2), L2_FLOAT64);
    l2_tensor *wk0 = l2_zeros(L2_SHAPE(2, 0), L2_FLOAT32);
    l2_manual_seed(6);
    is_err(l2_multinomial(w3, 1, true), L2_ERR_SHAPE, "prob_dist must be 1 or 2 dim",
           "multinomial: 3-d weights");
    is_err(l2_multinomial(w0, 1, true), L2_ERR_SHAPE, "prob_dist must be 1 or 2 dim",
           "multinomial: 0-d weights");
    is_err(l2_multinomial(wi, 1, true), L2_ERR_DTYPE, "only supports floating-point dtypes",
           "multinomial: int64 weights");
    is_err(l2_multinomial(w, 0, true), L2_ERR_ARG, "cannot sample n_sample <= 0 samples",
           "multinomial: 0 samples");
    is_err(l2_multinomial(w, 4, false), L2_ERR_ARG, "cannot sample n_sample > prob_dist.size(-1)",
           "multinomial: 4 of 3 without replacement");
    is_err(l2_multinomial(wneg, 1, true), L2_ERR_ARG, "`inf`, `nan` or element < 0",
           "multinomial: a negative weight");
    is_err(l2_multinomial(winf, 2, false), L2_ERR_ARG, "`inf`, `nan` or element < 0",
           "multinomial: an infinite weight");
    is_err(l2_multinomial(wnan, 1, true), L2_ERR_ARG, "`inf`, `nan` or element < 0",
           "multinomial: a NaN weight");
    is_err(l2_multinomial(wz, 1, true), L2_ERR_ARG, "sum of probabilities <= 0) in row 1",
           "multinomial: a row of zeros");
    is_err(l2_multinomial(wk0, 1, true), L2_ERR_ARG, "sum of probabilities <= 0",
           "multinomial: no categories");
    draws_nothing(NULL, "multinomial");
    int64_t big = (1 << 24) + 1;
    l2_tensor *wbig = l2_ones(1, &big, L2_FLOAT32);
    is_err(l2_multinomial(wbig, 1, true), L2_ERR_ARG, "cannot exceed 2^24",
           "multinomial: 2^24 + 1 categories");
    is_err(l2_multinomial(w, INT64_MAX, true), L2_ERR_OVERFLOW, "too many elements",
           "multinomial: INT64_MAX draws");
    is_err(l2_multinomial(NULL, 1, true), L2_ERR_NULL, "", "multinomial: NULL weights");
    /* normal */
    l2_tensor *m = l2_zeros(L2_SHAPE(3), L2_FLOAT32), *s4 = l2_ones(L2_SHAPE(4), L2_FLOAT32);
    l2_tensor *sneg = l2_from_data((const double[]){1, -1, 1}, L2_SHAPE(3), L2_FLOAT64);
    l2_tensor *snan = l2_from_data((const float[]){1, NAN, 1}, L2_SHAPE(3), L2_FLOAT32);
    l2_tensor *mi = l2_zeros(L2_SHAPE(3), L2_INT64), *mb = l2_zeros(L2_SHAPE(3), L2_BOOL);
    l2_manual_seed(6);
    is_err(l2_normal_tensor_tensor(m, s4), L2_ERR_SHAPE, "", "normal: shapes that do not "
           "broadcast");
    is_err(l2_normal_tensor_tensor(m, sneg), L2_ERR_ARG, "all elements of std >= 0.0",
           "normal: a negative std element");
    is_err(l2_normal_tensor_tensor(m, snan), L2_ERR_ARG, "all elements of std >= 0.0",
           "normal: a NaN std element");
    is_err(l2_normal_tensor_tensor(mi, m), L2_ERR_DTYPE, "not implemented for 'int64'",
           "normal: int64 mean");
    is_err(l2_normal_tensor_float(m, -1), L2_ERR_ARG, "normal expects std >= 0.0, but found std",
           "normal(Tensor, -1)");
    is_err(l2_normal_tensor_float(m, NAN), L2_ERR_ARG, "std >= 0.0", "normal(Tensor, NaN)");
    is_err(l2_normal_tensor_float(mb, 1), L2_ERR_DTYPE, "'bool'", "normal: bool mean");
    is_err(l2_normal_float_tensor(0, mi), L2_ERR_DTYPE, "'int64'", "normal(0, int64 std)");
    is_err(l2_normal_float_tensor(0, sneg), L2_ERR_ARG, "std >= 0.0", "normal(0, negative std)");
    draws_nothing(NULL, "normal");
    is_err(l2_normal_tensor_tensor(NULL, m), L2_ERR_NULL, "", "normal: NULL mean");
    is_err(l2_normal_tensor_tensor(m, NULL), L2_ERR_NULL, "", "normal: NULL std");
    is_err(l2_normal_tensor_float(NULL, 1), L2_ERR_NULL, "", "normal: NULL mean (float std)");
    is_err(l2_normal_float_tensor(0, NULL), L2_ERR_NULL, "", "normal: NULL std (float mean)");
    l2_tensor *list[] = {p, pn, ip, bp, w, w3, w0, wi, wneg, winf, wnan, wz, wk0, wbig, m, s4,
                         sneg, snan, mi, mb};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

static l2_tensor *f_bern(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_bernoulli(in[0]);
}

static l2_tensor *f_normal(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_normal_tensor_tensor(in[0], in[1]);
}

static l2_tensor *f_normal_tf(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_normal_tensor_float(in[0], 2);
}

/* Every gradient is zero (a tensor of zeros of the input's shape, as torch's). */
static int zero_grad_of(const l2_tensor *x, int ndim, const int64_t *shape)
{
    l2_tensor *g = l2_grad(x);
    if (!same_shape(g, ndim, shape))
        return 0;
    for (int64_t i = 0; i < l2_numel(g); i++)
        if (flat(g, i) != 0)
            return 0;
    return 1;
}

static void test_grads(void)
{
    l2_manual_seed(7);
    l2_tensor *p = l2_rand(L2_SHAPE(2, 3), L2_FLOAT64);
    l2_tensor *m = l2_randn(L2_SHAPE(2, 1), L2_FLOAT32), *s = l2_rand(L2_SHAPE(3), L2_FLOAT32);
    l2_set_requires_grad(p, true);
    l2_set_requires_grad(m, true);
    l2_set_requires_grad(s, true);
    l2_tensor *y = l2_bernoulli(p);
    l2_tensor *g = l2_ones_like(y);
    is_str(l2_grad_fn_name(y), "bernoulli", "grad_fn of bernoulli");
    ok(y && l2_backward(y, g, false) == L2_OK && zero_grad_of(p, L2_SHAPE(2, 3)),
       "bernoulli: the gradient of p is zero (torch 1.13)");
    l2_tensor *yp = l2_bernoulli_p(p, 0.5);
    ok(yp && !l2_requires_grad(yp), "bernoulli_p: not differentiable (as torch)");
    l2_tensor *yn = l2_normal_tensor_tensor(m, s), *gn = l2_ones_like(yn);
    is_str(l2_grad_fn_name(yn), "normal", "grad_fn of normal");
    ok(yn && l2_backward(yn, gn, false) == L2_OK && zero_grad_of(m, L2_SHAPE(2, 1)) &&
           zero_grad_of(s, L2_SHAPE(3)), "normal: zero gradients of broadcast mean and std");
    l2_tensor *ym = l2_multinomial(p, 2, false);
    ok(ym && !l2_requires_grad(ym), "multinomial: not differentiable");
    l2_tensor *ins[2] = {m, s};
    oom_check("bernoulli", f_bern, 1, &p, NULL);
    oom_check("normal(Tensor, Tensor)", f_normal, 2, ins, NULL);
    oom_check("normal(Tensor, float)", f_normal_tf, 1, ins, NULL);
    l2_set_requires_grad(p, false);
    l2_debug_fail_alloc_after(0);
    ok(l2_multinomial(p, 2, true) == NULL && l2_last_status() == L2_ERR_NOMEM,
       "multinomial: out of memory at the first allocation");
    l2_debug_fail_alloc_after(-1);
    l2_tensor *list[] = {p, m, s, y, g, yp, yn, gn, ym};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

int main(void)
{
    test_bernoulli(L2_FLOAT32);
    test_bernoulli(L2_FLOAT64);
    test_bernoulli_p();
    test_multinomial_with(L2_FLOAT32);
    test_multinomial_with(L2_FLOAT64);
    test_multinomial_without(L2_FLOAT32);
    test_multinomial_without(L2_FLOAT64);
    test_multinomial_race();
    test_normal(L2_FLOAT32);
    test_normal(L2_FLOAT64);
    test_reproducible();
    test_errors();
    test_grads();
    return tap_done();
}
