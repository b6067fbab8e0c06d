/* test-random.c: random fills (libl2/random.c). Same seed, same values at 1, 2 and 3 threads
 * (contiguous and transposed targets, odd sizes); consecutive fills differ; and seeded statistical
 * bounds: mean, variance, lag-1 correlation and the Kolmogorov-Smirnov distance of rand / randn /
 * uniform / normal against their distributions (bounds at about 5 standard errors: a correct
 * generator fails them with probability far below 1e-6; a repeated or constant block or a wrong
 * transform does not pass them), lag correlations 1 to 32 (a lane repeating its neighbour's
 * pair); float32 normal and uniform fills (issue 12) against the documented streams recomputed
 * here from the seed, and the vector and generic kernels giving the same bits. No timing. */
#include "tap.h"

#include <l2.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double get(const l2_tensor *t, int64_t i)
{
    return l2_dtype_of(t) == L2_FLOAT32 ? ((const float *)l2_data_ptr(t))[i]
                                        : ((const double *)l2_data_ptr(t))[i];
}

static double cdf_uniform(double x, double lo, double hi)
{
    return x <= lo ? 0 : x >= hi ? 1 : (x - lo) / (hi - lo);
}
static double cdf_normal(double x, double mu, double sd)
{
    return 0.5 * erfc(-(x - mu) / (sd * sqrt(2.0)));
}

/* Mean, variance and KS distance of t's n values against (mu, var, cdf(p0, p1)). */
static void stats(const char *name, const l2_tensor *t, double mu, double var, bool normal,
                  double p0, double p1)
{
    int64_t n = l2_numel(t);
    double *v = malloc((size_t)n * sizeof *v);
    double s = 0, s2 = 0;
    for (int64_t i = 0; i < n; i++) {
        v[i] = get(t, i);
        s += v[i];
    }
    double m = s / (double)n;
    for (int64_t i = 0; i < n; i++)
        s2 += (v[i] - m) * (v[i] - m);
    double vr = s2 / (double)(n - 1);
    /* lag-1 correlation (Box-Muller pairs, neighbouring blocks): about N(0, 1 / n) */
    double c1 = 0;
    for (int64_t i = 0; i + 1 < n; i++)
        c1 += (v[i] - m) * (v[i + 1] - m);
    c1 /= s2;
    ok(fabs(c1) * sqrt((double)n) < 5, "%s: lag-1 correlation %.2g within 5 / sqrt(n)", name, c1);
    /* lags 2..32 (one lane of a vector kernel copying another's pair): the largest */
    double cmax = 0;
    int lmax = 0;
    for (int lag = 2; lag <= 32; lag++) {
        double c = 0;
        for (int64_t i = 0; i + lag < n; i++)
            c += (v[i] - m) * (v[i + lag] - m);
        if (fabs(c / s2) > cmax) {
            cmax = fabs(c / s2);
            lmax = lag;
        }
    }
    ok(cmax * sqrt((double)n) < 5.5, "%s: lag-2..32 correlations within 5.5 / sqrt(n) (largest "
       "%.2g at lag %d)", name, cmax, lmax);
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    double dks = 0;
    for (int64_t i = 0; i < n; i++) {
        double f = normal ? cdf_normal(v[i], p0, p1) : cdf_uniform(v[i], p0, p1);
        double d1 = fabs(f - (double)i / (double)n), d2 = fabs(f - (double)(i + 1) / (double)n);
        dks = fmax(dks, fmax(d1, d2));
    }
    /* standard errors: mean sqrt(var / n); variance about var sqrt(2 / n) (normal) or less */
    double se_m = sqrt(var / (double)n), se_v = var * sqrt(2.0 / (double)n);
    if (!ok(fabs(m - mu) <= 5 * se_m, "%s: mean %.6g within 5 se of %g", name, m, mu))
        tap_diag("se %g", se_m);
    if (!ok(fabs(vr - var) <= 5 * se_v, "%s: variance %.6g within 5 se of %g", name, vr, var))
        tap_diag("se %g", se_v);
    /* KS: P(sqrt(n) D > 1.95) ~ 0.001; 2.3 ~ 5e-5 */
    ok(dks * sqrt((double)n) < 2.3, "%s: Kolmogorov-Smirnov sqrt(n) D = %.3f < 2.3", name,
       dks * sqrt((double)n));
    free(v);
}

/* fill(seed) at 1, 2 and 3 threads gives the same bytes. */
typedef l2_tensor *(*maker)(int64_t n, l2_dtype dt);
static l2_tensor *mk_randn(int64_t n, l2_dtype dt) { return l2_randn(1, &n, dt); }
static l2_tensor *mk_rand(int64_t n, l2_dtype dt) { return l2_rand(1, &n, dt); }
static l2_tensor *mk_uniform(int64_t n, l2_dtype dt) { return l2_uniform(1, &n, -2, 3, dt); }
/* normal_ into the transpose of a (n / 7, 7) matrix: the non-contiguous path */
static l2_tensor *mk_normal_t(int64_t n, l2_dtype dt)
{
    int64_t sh[2] = {n / 7, 7};
    l2_tensor *m = l2_zeros(2, sh, dt), *t = l2_t(m);
    l2_normal_(t, 1.5, 2.0);
    l2_tensor_release(t);
    return m;
}

static void same_at_threads(const char *name, maker f, int64_t n, l2_dtype dt)
{
    l2_tensor *ref = NULL;
    for (int th = 1; th <= 3; th++) {
        l2_set_num_threads(th);
        l2_manual_seed(1234);
        l2_tensor *t = f(n, dt);
        if (th == 1) {
            ref = t;
            continue;
        }
        int64_t k = l2_numel(t);
        bool same = t && ref && memcmp(l2_data_ptr(t), l2_data_ptr(ref),
                                       (size_t)k * l2_dtype_size(dt)) == 0;
        if (!ok(same, "%s %s n=%lld: same values at 1 and %d threads", name,
                l2_dtype_name(dt), (long long)n, th))
            for (int64_t i = 0; i < k && t && ref; i++)
                if (get(t, i) != get(ref, i)) {
                    tap_diag("first difference at %lld: %g vs %g", (long long)i, get(t, i),
                             get(ref, i));
                    break;
                }
        l2_tensor_release(t);
    }
    l2_set_num_threads(1);
    l2_tensor_release(ref);
}

/* The documented generator (l2.h): xoshiro256** seeded through splitmix64; a fill's key is its
 * first draw; element i's value is mix(key + (i + 1) golden). */
static uint64_t sm_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static uint64_t first_draw(uint64_t seed)
{
    uint64_t s[4], x = seed;
    for (int i = 0; i < 4; i++) {
        x += 0x9e3779b97f4a7c15ULL;
        s[i] = sm_mix(x);
    }
    uint64_t y = s[1] * 5;
    y = (y << 7) | (y >> 57);
    return y * 9;
}

/* float32 normal(mu, sd) of n elements from seed against the stream recomputed in float64
 * (l2.h: pair j takes the value of element 2j, u1 = 1 - (v >> 40) 2^-24, u2 = ((v >> 16) mod
 * 2^24) 2^-24): every value within 6e-7 (|z| + 1) sd. */
static void normal_f32_reference(int64_t n, double mu, double sd, int threads)
{
    l2_set_num_threads(threads);
    l2_manual_seed(4321);
    l2_tensor *t = l2_normal(1, &n, mu, sd, L2_FLOAT32);
    l2_set_num_threads(1);
    uint64_t key = first_draw(4321);
    const float *p = t ? (const float *)l2_data_ptr(t) : NULL;
    double worst = 0;
    int64_t at = -1;
    for (int64_t i = 0; p && i < n; i++) {
        uint64_t v = sm_mix(key + (uint64_t)(i - i % 2 + 1) * 0x9e3779b97f4a7c15ULL);
        double u1 = 1.0 - (double)(v >> 40) * 0x1.0p-24;
        double u2 = (double)((v >> 16) & 0xffffff) * 0x1.0p-24;
        double r = sqrt(-2.0 * log(u1)), a = 2 * M_PI * u2;
        double z = i % 2 ? r * sin(a) : r * cos(a);
        double err = fabs((double)p[i] - (mu + sd * z)) / (sd * (fabs(z) + 1));
        if (err > worst) {
            worst = err;
            at = i;
        }
    }
    if (!ok(p && worst < 6e-7, "normal float32 n=%lld at %d threads: the documented stream "
            "(largest error %.3g (|z| + 1) sd)", (long long)n, threads, worst))
        tap_diag("at element %lld", (long long)at);
    l2_tensor_release(t);
}

/* float32 uniform(lo, hi) of n elements from seed against the documented stream recomputed
 * here (l2.h: float(lo + (hi - lo) u), u = (v >> 11) 2^-53; a value that rounds to high redrawn
 * from key ^ mix(1), mix(2), ...): the same bits. */
static void uniform_f32_reference(int64_t n, double lo, double hi, int threads)
{
    l2_set_num_threads(threads);
    l2_manual_seed(555);
    l2_tensor *t = l2_uniform(1, &n, lo, hi, L2_FLOAT32);
    l2_set_num_threads(1);
    uint64_t key = first_draw(555);
    const float *p = t ? (const float *)l2_data_ptr(t) : NULL;
    int64_t bad = -1, redrawn = 0;
    for (int64_t i = 0; p && i < n && bad < 0; i++) {
        float want = 0;
        for (uint64_t k = 0;; k++) {
            uint64_t kk = k ? key ^ sm_mix(k) : key;
            uint64_t v = sm_mix(kk + (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ULL);
            want = (float)(lo + (hi - lo) * ((double)(v >> 11) * 0x1.0p-53));
            if (!(want >= (float)hi && (float)lo < (float)hi))
                break;
            redrawn++;
        }
        if (memcmp(&want, &p[i], sizeof want) != 0) {
            bad = i;
            tap_diag("element %lld: %.9g, want %.9g", (long long)i, (double)p[i], (double)want);
        }
    }
    ok(p && bad < 0, "uniform(%g, %g) float32 n=%lld at %d threads: the documented stream "
       "(%lld redrawn)", lo, hi, (long long)n, threads, (long long)redrawn);
    l2_tensor_release(t);
}

/* randn float32 with the vector kernels on and off: the same bits. */
static void vector_same(int64_t n)
{
    l2_tensor *r[2];
    for (int k = 0; k < 2; k++) {
        l2_debug_vector_math(k == 0);
        l2_manual_seed(77);
        r[k] = l2_randn(1, &n, L2_FLOAT32);
    }
    l2_debug_vector_math(true);
    ok(r[0] && r[1] && memcmp(l2_data_ptr(r[0]), l2_data_ptr(r[1]), (size_t)n * 4) == 0,
       "randn float32 n=%lld: vector and generic kernels give the same bits", (long long)n);
    l2_tensor_release(r[0]);
    l2_tensor_release(r[1]);
}

int main(void)
{
    const int64_t big = l2_threshold("parallel_grain") * 3 + 5;
    const int64_t ns[] = {1, 7, 4097, big};
    for (int d = 0; d < 2; d++) {
        l2_dtype dt = d ? L2_FLOAT64 : L2_FLOAT32;
        for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
            same_at_threads("randn", mk_randn, ns[k], dt);
            same_at_threads("rand", mk_rand, ns[k], dt);
            same_at_threads("uniform", mk_uniform, ns[k], dt);
        }
        same_at_threads("normal_ (transposed)", mk_normal_t, 7 * 50001, dt);
    }

    /* float32 normal (issue 12): lanes of 16 pairs; sizes with and without a lane tail, odd */
    const int64_t nv[] = {1, 2, 3, 31, 32, 33, 4097, 100003};
    for (size_t k = 0; k < sizeof nv / sizeof nv[0]; k++)
        vector_same(nv[k]);
    normal_f32_reference(100003, 0, 1, 1);
    normal_f32_reference(big, -1.5, 3, 3);
    uniform_f32_reference(100003, 0, 1, 1);
    uniform_f32_reference(big, -2, 3, 3);
    uniform_f32_reference(4099, 1, 1 + 0x1.0p-20, 2); /* 1 in 16 rounds to high: redraws */
    uniform_f32_reference(33, 1, 1 + 1e-12, 1);       /* low and high the same float32 */

    /* consecutive fills differ (each takes a new key) */
    l2_manual_seed(7);
    int64_t n8 = 8;
    l2_tensor *a = l2_randn(1, &n8, L2_FLOAT64), *b = l2_randn(1, &n8, L2_FLOAT64);
    ok(a && b && memcmp(l2_data_ptr(a), l2_data_ptr(b), 64) != 0, "two randn fills differ");
    l2_tensor_release(a);
    l2_tensor_release(b);

    /* statistics at 3 threads (blocks from several threads) */
    l2_set_num_threads(3);
    l2_manual_seed(99);
    int64_t n = 1000003;
    l2_tensor *t = l2_randn(1, &n, L2_FLOAT32);
    stats("randn float32", t, 0, 1, true, 0, 1);
    l2_tensor_release(t);
    t = l2_randn(1, &n, L2_FLOAT64);
    stats("randn float64", t, 0, 1, true, 0, 1);
    l2_tensor_release(t);
    t = l2_rand(1, &n, L2_FLOAT32);
    stats("rand float32", t, 0.5, 1.0 / 12, false, 0, 1);
    bool in = true;
    for (int64_t i = 0; i < n; i++)
        in = in && get(t, i) >= 0 && get(t, i) < 1;
    ok(in, "rand float32: every value in [0, 1)");
    l2_tensor_release(t);
    t = l2_uniform(1, &n, -2, 3, L2_FLOAT64);
    stats("uniform(-2, 3) float64", t, 0.5, 25.0 / 12, false, -2, 3);
    l2_tensor_release(t);
    t = mk_normal_t(n - n % 7, L2_FLOAT32);
    stats("normal_(1.5, 2) float32 transposed", t, 1.5, 4, true, 1.5, 2);
    l2_tensor_release(t);
    l2_set_num_threads(1);
    return tap_done();
}
