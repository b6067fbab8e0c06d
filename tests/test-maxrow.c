/* test-maxrow.c: max / min along the last dim of contiguous float32 rows (issue 12: the vector
 * loop of libl2/ops/reduce-ext.c for rows of at least l2_threshold("reduce_ext_vec") elements,
 * the scalar loop below it). Row lengths on both sides of the threshold, with and without a
 * tail of n % 8; the extreme at every position of the row, a tie after it (the first index
 * wins), NaN at every position (it propagates, the first NaN's index), +0 against -0, infinite
 * rows; long rows split over 1, 2 and 3 threads; l2_max and argmax of a whole vector. Each result
 * against a plain loop here. */
#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t lcg = 12345;
static float rnd(void)
{
    lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((lcg >> 40) & 0xffff) / 65536.0f - 0.5f; /* [-0.5, 0.5), with ties */
}

/* First index of the max (min) of row r[0, n), the first NaN if any. */
static int64_t ref_idx(const float *r, int64_t n, bool mn)
{
    int64_t b = 0;
    for (int64_t j = 0; j < n; j++) {
        if (isnan(r[j]))
            return j;
        if (mn ? r[j] < r[b] : r[j] > r[b])
            b = j;
    }
    return b;
}

/* max_dim / min_dim / argmax_dim / argmin_dim over dim 1 of the (rows, n) matrix m against the
 * plain loop: the same index and the same bits of the value. */
static void check_rows(const char *what, const float *m, int64_t rows, int64_t n)
{
    int64_t sh[2] = {rows, n};
    l2_tensor *t = l2_from_data(m, 2, sh, L2_FLOAT32);
    for (int mn = 0; mn < 2; mn++) {
        l2_tensor *idx = NULL;
        l2_tensor *v = mn ? l2_min_dim(t, 1, false, &idx) : l2_max_dim(t, 1, false, &idx);
        l2_tensor *ai = mn ? l2_argmin_dim(t, 1, false) : l2_argmax_dim(t, 1, false);
        bool good = v && idx && ai;
        int64_t bad = -1;
        for (int64_t r = 0; good && r < rows; r++) {
            const float *row = m + r * n;
            int64_t want = ref_idx(row, n, mn);
            float got = ((const float *)l2_data_ptr(v))[r];
            int64_t gi = ((const int64_t *)l2_data_ptr(idx))[r];
            int64_t ga = ((const int64_t *)l2_data_ptr(ai))[r];
            if (gi != want || ga != want || memcmp(&got, &row[want], sizeof got) != 0) {
                good = false;
                bad = r;
                tap_diag("row %lld: index %lld / argext %lld, value %g; want %lld, %g",
                         (long long)r, (long long)gi, (long long)ga, (double)got,
                         (long long)want, (double)row[want]);
            }
        }
        ok(good, "%s %s n=%lld (%lld rows)", mn ? "min" : "max", what, (long long)n,
           (long long)rows);
        (void)bad;
        l2_tensor_release(v);
        l2_tensor_release(idx);
        l2_tensor_release(ai);
    }
    l2_tensor_release(t);
}

/* Row p of an (n, n) matrix: random values with the extreme (kind 0: +-1 at p and a tie at a
 * later position; kind 1: NaN at p and at a later position, a larger value elsewhere; kind 2: -0
 * at p among +0, the rest; kind 3: -inf everywhere but one finite value at p). */
static void rows_kind(int64_t n, int kind, bool mn)
{
    float *m = malloc((size_t)(n * n) * sizeof *m);
    for (int64_t p = 0; p < n; p++) {
        float *r = m + p * n;
        for (int64_t j = 0; j < n; j++)
            r[j] = kind == 2 ? 0.0f : kind == 3 ? (mn ? INFINITY : -INFINITY) : rnd();
        int64_t later = p + (n - p) / 2 + 1;
        if (kind == 0) {
            r[p] = mn ? -1.0f : 1.0f;
            if (later < n)
                r[later] = r[p];
        } else if (kind == 1) {
            r[p] = NAN;
            if (later < n)
                r[later] = NAN;
            r[(p + 3) % n] = p + 3 < n ? 7.0f : r[(p + 3) % n];
        } else if (kind == 2) {
            r[p] = -0.0f;
        } else {
            r[p] = 2.5f;
        }
    }
    static const char *names[] = {"extreme at each position, a later tie",
                                  "NaN at each position", "-0 among +0", "one finite among inf"};
    check_rows(names[kind], m, n, n);
    free(m);
}

int main(void)
{
    const int64_t w = l2_threshold("reduce_ext_vec");
    ok(w >= 8, "reduce_ext_vec threshold %lld", (long long)w);
    const int64_t ns[] = {1, 7, w - 1, w, w + 1, w + 7, w + 8, 2 * w, 2 * w + 5, 3 * w + 9, 131};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++)
        for (int kind = 0; kind < 4; kind++)
            for (int mn = 0; mn < 2; mn++)
                if (kind != 3 || mn == 0 || ns[k] > 1)
                    rows_kind(ns[k], kind, mn);

    /* long rows split over threads: (3, big), the extreme in the last thread's tail, a NaN in
     * the middle row, a tie across the split */
    const int64_t big = 3 * l2_threshold("parallel_chunk") + 13;
    float *m = malloc((size_t)(3 * big) * sizeof *m);
    for (int64_t i = 0; i < 3 * big; i++)
        m[i] = rnd();
    m[big - 2] = 3.0f;
    m[big + big / 2] = NAN;
    m[2 * big + 5] = 3.0f;
    m[3 * big - 5] = 3.0f;
    m[3 * big - 3] = -3.0f;
    for (int th = 1; th <= 3; th++) {
        l2_set_num_threads(th);
        char what[64];
        snprintf(what, sizeof what, "long rows at %d threads", th);
        check_rows(what, m, 3, big);
        /* the whole matrix: l2_max and l2_argmax (the NaN wins) */
        int64_t sh[1] = {3 * big};
        l2_tensor *t = l2_from_data(m, 1, sh, L2_FLOAT32);
        l2_tensor *mx = l2_max(t), *am = l2_argmax(t);
        ok(isnan(item(mx)) && item(am) == (double)(big + big / 2),
           "max / argmax of %lld elements at %d threads: NaN at %lld (got %g at %g)",
           (long long)sh[0], th, (long long)(big + big / 2), item(mx), item(am));
        l2_tensor_release(mx);
        l2_tensor_release(am);
        l2_tensor_release(t);
    }
    l2_set_num_threads(1);
    free(m);
    return tap_done();
}
