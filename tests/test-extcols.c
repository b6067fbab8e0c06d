/* test-extcols.c (issue 12, area speed11): nansum / nanmean in one pass (reduce-nan.c: rows with
 * and without a tail of 16, columns, NaN every 7th element), and amax / amin / aminmax over an
 * outer dim (the cols loop of libl2/ops/reduce-extcols.c): (R, nb) matrices reduced over dim 0,
 * float32 and float64, with nb a tail only, one vector, blocks with and without a vector and a
 * tail, and more outputs than a tile; R over several row tiles; NaN at every row of a column (it
 * propagates); the extreme at each row; infinities; a transposed view (outputs not contiguous:
 * the scalar loop); two reduced dims; 1, 2 and 3 threads on a large case. Each against a plain
 * loop here (the extremes bit for bit). */
#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t lcg = 777;
static double rnd(void)
{
    lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)((lcg >> 40) & 0xffff) / 4096.0 - 8.0; /* with ties */
}

/* Column j's extreme over rows [0, r) of m (stride ld), NaN if any. */
static double ref(const double *m, int64_t r, int64_t ld, int64_t j, bool mn)
{
    double b = m[j];
    for (int64_t i = 0; i < r; i++) {
        double v = m[i * ld + j];
        if (isnan(v))
            return v;
        if (mn ? v < b : v > b)
            b = v;
    }
    return b;
}

static bool same(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

/* amax and amin (and aminmax) of m (r, nb) over dim 0 in dtype dt against ref. */
static void check(const char *what, const double *m, int64_t r, int64_t nb, l2_dtype dt)
{
    int64_t sh[2] = {r, nb};
    l2_tensor *t64 = l2_from_data(m, 2, sh, L2_FLOAT64);
    l2_tensor *t = l2_to_dtype(t64, dt);
    const int d0 = 0;
    l2_tensor *mx = NULL;
    l2_tensor *mi = l2_aminmax(t, &d0, false, &mx);
    for (int mn = 0; mn < 2; mn++) {
        l2_tensor *v = mn ? l2_amin(t, 1, &d0, false) : l2_amax(t, 1, &d0, false);
        l2_tensor *v64 = v ? l2_to_dtype(v, L2_FLOAT64) : NULL;
        l2_tensor *w = mn ? mi : mx;
        l2_tensor *w64 = w ? l2_to_dtype(w, L2_FLOAT64) : NULL;
        bool good = v64 && w64;
        for (int64_t j = 0; good && j < nb; j++) {
            double want = ref(m, r, nb, j, mn);
            if (dt == L2_FLOAT32)
                want = (double)(float)want;
            double got = ((const double *)l2_data_ptr(v64))[j];
            double got2 = ((const double *)l2_data_ptr(w64))[j];
            if (!same(got, want) || !same(got2, want)) {
                good = false;
                tap_diag("column %lld: %g / aminmax %g, want %g", (long long)j, got, got2, want);
            }
        }
        ok(good, "%s %s %s (%lld, %lld)", mn ? "amin" : "amax", dt == L2_FLOAT32 ? "f32" : "f64",
           what, (long long)r, (long long)nb);
        l2_tensor_release(v);
        l2_tensor_release(v64);
        l2_tensor_release(w64);
    }
    l2_tensor_release(mi);
    l2_tensor_release(mx);
    l2_tensor_release(t);
    l2_tensor_release(t64);
}

/* kind 0: random with ties; 1: NaN in column j at row j % r; 2: the extreme (+-100) of column j
 * at row (3 j) % r; 3: -inf / +inf everywhere but one finite row. */
static void fill(double *m, int64_t r, int64_t nb, int kind)
{
    for (int64_t i = 0; i < r * nb; i++)
        m[i] = kind == 3 ? (i % 2 ? INFINITY : -INFINITY) : rnd();
    for (int64_t j = 0; j < nb; j++) {
        if (kind == 1 && j % 5 != 4) /* every fifth column without NaN */
            m[(j % r) * nb + j] = NAN;
        if (kind == 2) {
            m[((3 * j) % r) * nb + j] = 100.0;
            m[((3 * j + 1) % r) * nb + j] = -100.0;
        }
        if (kind == 3)
            m[((j + 1) % r) * nb + j] = 1.5;
    }
}

/* nansum / nanmean (reduce-nan.c) of (r, n) float32 rows over dim 1 (rows of n, a tail of
 * n % 16 or none) and over dim 0 (the cols loop), NaN at some positions, against plain sums. */
static void check_nan(int64_t r, int64_t n)
{
    double *m = malloc((size_t)(r * n) * sizeof *m);
    fill(m, r, n, 0);
    for (int64_t i = 0; i < r * n; i++)
        if (i % 7 == 3 || i == r * n - 1)
            m[i] = NAN;
    int64_t sh[2] = {r, n};
    l2_tensor *t64 = l2_from_data(m, 2, sh, L2_FLOAT64);
    l2_tensor *t = l2_to_dtype(t64, L2_FLOAT32);
    for (int dim = 0; dim < 2; dim++)
        for (int mean = 0; mean < 2; mean++) {
            l2_tensor *v = mean ? l2_nanmean(t, 1, &dim, false) : l2_nansum(t, 1, &dim, false);
            bool good = v != NULL;
            int64_t no = dim ? r : n, nr = dim ? n : r;
            for (int64_t o = 0; good && o < no; o++) {
                double s = 0;
                int64_t k = 0;
                for (int64_t i = 0; i < nr; i++) {
                    double x = (float)(dim ? m[o * n + i] : m[i * n + o]);
                    if (!isnan(x)) {
                        s += x;
                        k++;
                    }
                }
                double want = mean ? s / (double)k : s, got = ((const float *)l2_data_ptr(v))[o];
                bool close = fabs(got - want) <= 1e-5 * (1 + fabs(want));
                if (!close && !(isnan(got) && isnan(want))) {
                    good = false;
                    tap_diag("output %lld: %g, want %g", (long long)o, got, want);
                }
            }
            ok(good, "%s f32 (%lld, %lld) dim %d", mean ? "nanmean" : "nansum", (long long)r,
               (long long)n, dim);
            l2_tensor_release(v);
        }
    l2_tensor_release(t);
    l2_tensor_release(t64);
    free(m);
}

int main(void)
{
    static const int64_t nn[] = {1, 7, 15, 16, 17, 33, 100, 1031};
    for (size_t a = 0; a < sizeof nn / sizeof nn[0]; a++) {
        check_nan(3, nn[a]);
        check_nan(70, nn[a]);
    }
    static const int64_t nbs[] = {1, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 1030};
    static const int64_t rs[] = {1, 2, 65, 131};
    for (size_t a = 0; a < sizeof nbs / sizeof nbs[0]; a++)
        for (size_t b = 0; b < sizeof rs / sizeof rs[0]; b++)
            for (int kind = 0; kind < 4; kind++) {
                int64_t r = rs[b], nb = nbs[a];
                if (nb == 1030 && kind != 1)
                    continue;
                double *m = malloc((size_t)(r * nb) * sizeof *m);
                fill(m, r, nb, kind);
                static const char *kinds[] = {"random", "nan", "extreme", "inf"};
                check(kinds[kind], m, r, nb, L2_FLOAT32);
                check(kinds[kind], m, r, nb, L2_FLOAT64);
                free(m);
            }
    /* a transposed view: the reduced dim contiguous, outputs strided; and two reduced dims */
    {
        int64_t sh[3] = {67, 5, 13};
        double *m = malloc(67 * 5 * 13 * sizeof *m);
        fill(m, 67 * 5, 13, 1);
        l2_tensor *t64 = l2_from_data(m, 3, sh, L2_FLOAT64);
        l2_tensor *t = l2_to_dtype(t64, L2_FLOAT32);
        l2_tensor_release(t64);
        const int dd[2] = {0, 1};
        l2_tensor *v = l2_amax(t, 2, dd, false);
        bool good = v != NULL;
        for (int64_t j = 0; good && j < 13; j++) {
            double want = (float)ref(m, 67 * 5, 13, j, false);
            good = same(((const float *)l2_data_ptr(v))[j], want);
        }
        ok(good, "amax f32 over two dims (67, 5, 13)");
        l2_tensor_release(v);
        l2_tensor *tt = l2_transpose(t, 0, 2); /* (13, 5, 67): reduce dims 1 and 2 */
        const int d12[2] = {1, 2};
        v = tt ? l2_amin(tt, 2, d12, false) : NULL;
        good = v != NULL;
        for (int64_t j = 0; good && j < 13; j++) {
            double want = (float)ref(m, 67 * 5, 13, j, true);
            good = same(((const float *)l2_data_ptr(v))[j], want);
        }
        ok(good, "amin f32 of a transposed view over two dims");
        l2_tensor_release(v);
        l2_tensor_release(tt);
        l2_tensor_release(t);
        free(m);
    }
    /* threads: a large case over 1, 2 and 3 threads */
    {
        int64_t r = 301, nb = 2053;
        double *m = malloc((size_t)(r * nb) * sizeof *m);
        fill(m, r, nb, 1);
        for (int th = 1; th <= 3; th++) {
            l2_set_num_threads(th);
            check("nan threads", m, r, nb, L2_FLOAT32);
        }
        l2_set_num_threads(1);
        free(m);
    }
    return tap_done();
}
