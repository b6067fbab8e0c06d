/* test-threshold.c: the threshold query (l2_threshold, l2_threshold_name): every name listed
 * answers its value, the values are the ones the kernels use (l2-impl.h), unknown names fail
 * with L2_ERR_ARG; and an outer-dim int64 sum (the tiled reduction) at sizes one below, at and
 * one above the tiling and parallel thresholds, at 1 and 3 threads, equals a plain loop. */
#include "tap.h"

#include <l2-impl.h> /* the threshold macros only */
#include <l2.h>
#undef l2_tensor_release /* the internal alias is not exported: call the public function */
#include <stdint.h>
#include <stdlib.h>

static const struct {
    const char *name;
    int64_t value;
} want[] = {
#define L2__THRESHOLD(name, value) {#name, value},
#include <threshold-list.h>
#undef L2__THRESHOLD
};
enum { NWANT = (int)(sizeof want / sizeof want[0]) };

static void query(void)
{
    int n = 0;
    while (l2_threshold_name(n) != NULL && n < 1000)
        n++;
    is_int(n, NWANT, "l2_threshold_name lists every threshold, then NULL");
    ok(l2_threshold_name(-1) == NULL, "l2_threshold_name(-1) is NULL");
    for (int i = 0; i < NWANT; i++) {
        l2_clear_error();
        int64_t v = l2_threshold(want[i].name);
        if (!ok(v == want[i].value && l2_last_status() == L2_OK, "l2_threshold(\"%s\") = %lld",
                want[i].name, (long long)want[i].value))
            tap_diag("got %lld (%s)", (long long)v, l2_last_error());
        const char *nm = l2_threshold_name(i);
        int found = 0;
        for (int j = 0; j < NWANT; j++)
            found += nm && strcmp(nm, want[j].name) == 0;
        ok(found == 1, "name %d (%s) is one of the documented names", i, nm ? nm : "NULL");
    }
    l2_clear_error();
    int64_t v = l2_threshold("no_such_threshold");
    ok(v == -1 && l2_last_status() == L2_ERR_ARG && l2_last_error()[0],
       "unknown name: -1 and L2_ERR_ARG (%s)", l2_last_error());
    l2_clear_error();
    v = l2_threshold(NULL);
    ok(v == -1 && l2_last_status() == L2_ERR_NULL && l2_last_error()[0],
       "NULL name: -1 and L2_ERR_NULL (%s)", l2_last_error());
}

/* sum over dim 0 of an (R, O) int64 matrix with x[r, o] = (r * 7 + o * 3) % 11 - 5, checked
 * against a plain loop. Reduced over the outer dim, it takes the tiled path. */
static void outer_sum(int64_t R, int64_t O, int threads)
{
    int64_t *x = malloc(sizeof(int64_t) * (size_t)(R * O));
    if (!x) {
        ok(0, "malloc of %lld elements", (long long)(R * O));
        return;
    }
    for (int64_t r = 0; r < R; r++)
        for (int64_t o = 0; o < O; o++)
            x[r * O + o] = (r * 7 + o * 3) % 11 - 5;
    int64_t shape[2] = {R, O};
    l2_set_num_threads(threads);
    l2_tensor *t = l2_from_data(x, 2, shape, L2_INT64);
    int dim0 = 0;
    l2_tensor *s = t ? l2_sum_dims(t, 1, &dim0, false) : NULL;
    int64_t bad = -1;
    if (s) {
        const int64_t *got = l2_data_ptr(s);
        for (int64_t o = 0; o < O && bad < 0; o++) {
            int64_t acc = 0;
            for (int64_t r = 0; r < R; r++)
                acc += x[r * O + o];
            if (got[o] != acc)
                bad = o;
        }
    }
    if (!ok(s && bad < 0, "sum over dim 0 of (%lld, %lld) int64 at %d threads", (long long)R,
            (long long)O, threads))
        tap_diag("%s; first wrong output %lld", s ? "wrong" : l2_last_error(), (long long)bad);
    l2_tensor_release(s);
    l2_tensor_release(t);
    l2_set_num_threads(1);
    free(x);
}

int main(void)
{
    query();
    int64_t to = l2_threshold("reduce_tile_out"), tr = l2_threshold("reduce_tile_red");
    int64_t buf = l2_threshold("reduce_tile_buffer"), grain = l2_threshold("parallel_grain");
    for (int threads = 1; threads <= 3; threads += 2) {
        for (int64_t d = -1; d <= 1; d++) {
            outer_sum(tr + d, to + d, threads);          /* one tile, both sides */
            outer_sum(buf / to + d, to, threads);         /* tile buffer from buf */
            outer_sum(grain / (2 * to) + d, 2 * to + 1, threads); /* parallel grain */
        }
        outer_sum(3 * tr + 5, 5 * to + 3, threads); /* well beyond: many tiles, 3 threads */
    }
    return tap_done();
}
