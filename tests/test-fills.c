/* test-fills.c: the creation kernels of issue 12 (libl2/fill.c) and the contiguous dtype cast:
 * arange against torch 1.13's float values (FNV-1a hashes of its bytes, made with torch at one
 * thread), full/ones/zeros/fill_ at sizes around the parallel grain with and without a vector
 * tail, at 1, 2 and 3 threads, and to_dtype against a scalar cast. */
#include <l2.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"

static uint64_t fnv(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* torch.arange(start, end, step, dtype=dt) with torch.set_num_threads(1): length and hash. */
static const struct {
    l2_dtype dt;
    double start, end, step;
    int64_t n;
    uint64_t hash;
} ar_cases[] = {
    {L2_FLOAT32, 0.1, 1000.0, 0.37, 2703, 0xed801e5b12340481ull},
    {L2_FLOAT32, -3.3, 50.0, 0.013, 4100, 0x3fc5ce41db8b434bull},
    {L2_FLOAT32, 0.25, 210000.25, 0.7, 300000, 0x009fdc1f48f7371aull},
    {L2_FLOAT32, 1.0, 78643.9, 0.3, 262143, 0xd8376900efabcfb1ull},
    {L2_FLOAT32, 0.5, 26214.850000000002, 0.1, 262144, 0x87d70ee23daa2505ull},
    {L2_FLOAT64, 0.1, 1000.0, 0.37, 2703, 0xbb1d267eebecc04aull},
    {L2_FLOAT64, -3.3, 50.0, 0.013, 4100, 0xc508ec48dc179f57ull},
    {L2_FLOAT64, 0.25, 210000.25, 0.7, 300000, 0x3f907c58340e6cf3ull},
    {L2_FLOAT64, 1.0, 78643.9, 0.3, 262143, 0x37ee0438bfc6c66bull},
    {L2_FLOAT64, 0.5, 26214.850000000002, 0.1, 262144, 0xed03bdd2e1959365ull},
};

static void test_arange(int nt)
{
    for (size_t c = 0; c < sizeof ar_cases / sizeof ar_cases[0]; c++) {
        l2_tensor *t = l2_arange(ar_cases[c].start, ar_cases[c].end, ar_cases[c].step,
                                 ar_cases[c].dt);
        int64_t n = t ? l2_numel(t) : -1;
        uint64_t h = t ? fnv(l2_data_ptr(t), (size_t)n * (ar_cases[c].dt == L2_FLOAT32 ? 4 : 8))
                       : 0;
        ok(n == ar_cases[c].n && h == ar_cases[c].hash,
           "arange(%g, %g, %g, %s) at %d threads: n %lld (want %lld), hash %016llx (want "
           "%016llx)", ar_cases[c].start, ar_cases[c].end, ar_cases[c].step,
           l2_dtype_name(ar_cases[c].dt), nt, (long long)n, (long long)ar_cases[c].n,
           (unsigned long long)h, (unsigned long long)ar_cases[c].hash);
        l2_tensor_release(t);
    }
    /* int64 and integral float values: start + i * step exactly. */
    l2_tensor *t = l2_arange(-5, 300000, 3, L2_INT64);
    int64_t bad = -1, n = t ? l2_numel(t) : 0;
    const int64_t *p = t ? l2_data_ptr(t) : NULL;
    for (int64_t i = 0; p && i < n; i++)
        if (p[i] != -5 + 3 * i) {
            bad = i;
            break;
        }
    ok(t && n == 100002 && bad < 0, "arange int64 at %d threads: n %lld, first wrong %lld", nt,
       (long long)n, (long long)bad);
    l2_tensor_release(t);
}

/* Every element of t (contiguous, float32) equals v bitwise; returns the first wrong index or
 * -1. */
static int64_t check_f32(const l2_tensor *t, float v)
{
    const float *p = l2_data_ptr(t);
    for (int64_t i = 0; i < l2_numel(t); i++)
        if (memcmp(&p[i], &v, 4) != 0)
            return i;
    return -1;
}

static void test_fill(int nt)
{
    int64_t grain = l2_threshold("parallel_grain");
    int64_t sizes[] = {1, 7, 8, 17, grain - 1, grain, grain + 1, 3 * grain + 5};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int64_t n = sizes[k];
        l2_tensor *f = l2_full(1, &n, -0.0, L2_FLOAT32);
        l2_tensor *o = l2_ones(1, &n, L2_FLOAT32);
        l2_tensor *z = l2_zeros(1, &n, L2_FLOAT32);
        l2_tensor *d = l2_full(1, &n, 2.5, L2_FLOAT64);
        l2_tensor *b = l2_full(1, &n, 1, L2_BOOL);
        int64_t wf = f ? check_f32(f, -0.0f) : -2, wo = o ? check_f32(o, 1.0f) : -2;
        ok(wf == -1 && wo == -1, "full -0.0 / ones n=%lld at %d threads: first wrong %lld %lld",
           (long long)n, nt, (long long)wf, (long long)wo);
        /* fill_ over data that is not zero, then zero_ */
        int64_t wz = -2, wz2 = -2, wd = -1, wb = -1;
        if (z && l2_fill_(z, 3.25) == L2_OK)
            wz = check_f32(z, 3.25f);
        if (z && l2_zero_(z) == L2_OK)
            wz2 = check_f32(z, 0.0f);
        const double *pd = d ? l2_data_ptr(d) : NULL;
        const bool *pb = b ? l2_data_ptr(b) : NULL;
        for (int64_t i = 0; pd && pb && i < n; i++) {
            if (pd[i] != 2.5 && wd < 0)
                wd = i;
            if (pb[i] != true && wb < 0)
                wb = i;
        }
        ok(wz == -1 && wz2 == -1 && wd == -1 && wb == -1 && pd && pb,
           "fill_ / zero_ / full f64 / full bool n=%lld at %d threads: first wrong %lld %lld "
           "%lld %lld", (long long)n, nt, (long long)wz, (long long)wz2, (long long)wd,
           (long long)wb);
        l2_tensor_release(f);
        l2_tensor_release(o);
        l2_tensor_release(z);
        l2_tensor_release(d);
        l2_tensor_release(b);
    }
    /* fill_ of a strided view writes exactly its elements */
    l2_tensor *m = l2_zeros(L2_SHAPE(600, 601), L2_FLOAT32);
    l2_tensor *col = m ? l2_select(m, 1, 3) : NULL;
    int64_t bad = -2;
    if (col && l2_fill_(col, 7) == L2_OK) {
        const float *p = l2_data_ptr(m);
        bad = -1;
        for (int64_t i = 0; i < 600 * 601; i++)
            if (p[i] != (i % 601 == 3 ? 7.0f : 0.0f)) {
                bad = i;
                break;
            }
    }
    ok(bad == -1, "fill_ of a column at %d threads: first wrong %lld", nt, (long long)bad);
    l2_tensor_release(col);
    l2_tensor_release(m);
}

static void test_to_dtype(int nt)
{
    int64_t sizes[] = {13, 4100, l2_threshold("parallel_grain") + 3};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int64_t n = sizes[k];
        l2_tensor *a = l2_randn(1, &n, L2_FLOAT64);
        l2_tensor *f = a ? l2_to_dtype(a, L2_FLOAT32) : NULL;
        l2_tensor *g = f ? l2_to_dtype(f, L2_FLOAT64) : NULL;
        int64_t bad = f && g ? -1 : -2;
        const double *pa = a ? l2_data_ptr(a) : NULL, *pg = g ? l2_data_ptr(g) : NULL;
        const float *pf = f ? l2_data_ptr(f) : NULL;
        for (int64_t i = 0; bad == -1 && i < n; i++)
            if (pf[i] != (float)pa[i] || pg[i] != (double)pf[i])
                bad = i;
        ok(bad == -1, "to_dtype f64 -> f32 -> f64 n=%lld at %d threads: first wrong %lld",
           (long long)n, nt, (long long)bad);
        l2_tensor_release(a);
        l2_tensor_release(f);
        l2_tensor_release(g);
    }
}

int main(void)
{
    for (int nt = 1; nt <= 3; nt++) {
        l2_set_num_threads(nt);
        test_arange(nt);
        test_fill(nt);
        test_to_dtype(nt);
    }
    return tap_done();
}
