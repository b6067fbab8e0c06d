/* test-copies.c: copies of issue 12's area rr against plain loops here. Transposed copies
 * (contiguous of a transpose, copy_ of a transpose into a contiguous tensor, a batch of
 * transposes): shapes on both sides of l2_threshold("tile_min"), sides with and without a
 * remainder of 8 and of the 32-element tile, float32 (the 8 x 8 register transpose) and float64
 * (the generic tiles), at 1, 2 and 3 threads. Broadcast sources (stride 0): contiguous of an
 * expanded row, column and scalar, copy_ from them, and sum's gradient (ones), in float32,
 * float64 and bool. cat along dim 1 (issue 12, area cat: whole result rows at a time) of inputs of
 * several widths around l2_threshold("cat_piece_min") and the 32-byte moves, at 1, 2 and 3
 * threads, against the inputs' own elements. The exact bits are compared. */
#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Element (i, j) of a 2-d view through strides (elements), as a double. */
static double el(const l2_tensor *t, int64_t i, int64_t j)
{
    int64_t idx[2] = {i, j};
    return at(t, idx);
}

/* r == the (R, C) matrix with r[i][j] = f(i, j) for t, compared element by element. */
static bool same2(const l2_tensor *r, const l2_tensor *t, int64_t R, int64_t C)
{
    if (!r || !t || l2_ndim(r) != 2 || l2_shape(r)[0] != R || l2_shape(r)[1] != C)
        return false;
    for (int64_t i = 0; i < R; i++)
        for (int64_t j = 0; j < C; j++) {
            double a = el(r, i, j), b = el(t, i, j);
            if (a != b && !(isnan(a) && isnan(b))) {
                tap_diag("(%lld, %lld): %g, want %g", (long long)i, (long long)j, a, b);
                return false;
            }
        }
    return true;
}

/* contiguous(m.t()) and copy_(out, m.t()) for an (C, R) matrix m of distinct values. */
static void transposed(int64_t R, int64_t C, l2_dtype dt, int th)
{
    l2_set_num_threads(th);
    int64_t sh[2] = {C, R}, shr[2] = {R, C};
    l2_tensor *m = ar(2, sh, dt), *t = l2_t(m);
    l2_tensor *c = l2_contiguous(t);
    ok(c && l2_is_contiguous(c) && same2(c, t, R, C), "contiguous of a transposed (%lld, %lld) "
       "%s at %d threads", (long long)C, (long long)R, l2_dtype_name(dt), th);
    l2_tensor *o = l2_zeros(2, shr, dt);
    ok(o && l2_copy_(o, t) == L2_OK && same2(o, t, R, C), "copy_ of a transposed (%lld, %lld) "
       "%s into a contiguous tensor at %d threads", (long long)C, (long long)R, l2_dtype_name(dt),
       th);
    /* and back: copy_ of a contiguous matrix into a transposed view */
    l2_tensor *z = l2_zeros(2, sh, dt), *zt = l2_t(z);
    ok(zt && l2_copy_(zt, c) == L2_OK && same2(zt, t, R, C), "copy_ into a transposed view "
       "(%lld, %lld) %s at %d threads", (long long)R, (long long)C, l2_dtype_name(dt), th);
    l2_tensor_release(zt);
    l2_tensor_release(z);
    l2_tensor_release(o);
    l2_tensor_release(c);
    l2_tensor_release(t);
    l2_tensor_release(m);
    l2_set_num_threads(1);
}

/* A batch (B, C, R) transposed in its last two dims, made contiguous: each matrix checked. */
static void batch(int64_t B, int64_t R, int64_t C, int th)
{
    l2_set_num_threads(th);
    int64_t sh[3] = {B, C, R};
    l2_tensor *m = ar(3, sh, L2_FLOAT32), *t = l2_transpose(m, 1, 2), *c = l2_contiguous(t);
    bool good = c != NULL;
    for (int64_t b = 0; good && b < B; b++)
        for (int64_t i = 0; good && i < R; i++)
            for (int64_t j = 0; good && j < C; j++) {
                int64_t idx[3] = {b, i, j};
                double want = (double)((b * C + j) * R + i);
                if (at(c, idx) != want) {
                    tap_diag("(%lld, %lld, %lld): %g, want %g", (long long)b, (long long)i,
                             (long long)j, at(c, idx), want);
                    good = false;
                }
            }
    ok(good, "contiguous of a (%lld, %lld, %lld) batch transposed at %d threads", (long long)B,
       (long long)C, (long long)R, th);
    l2_tensor_release(c);
    l2_tensor_release(t);
    l2_tensor_release(m);
    l2_set_num_threads(1);
}

/* Broadcast sources: a row (1, C), a column (R, 1) and a scalar expanded to (R, C). */
static void broadcast(int64_t R, int64_t C, l2_dtype dt, int th)
{
    l2_set_num_threads(th);
    int64_t shr[2] = {1, C}, shc[2] = {R, 1}, sh[2] = {R, C};
    l2_dtype at_dt = dt == L2_BOOL ? L2_FLOAT32 : dt; /* bool: odd / even as true / false */
    l2_tensor *src[3] = {ar(2, shr, at_dt), ar(2, shc, at_dt), l2_full(0, NULL, 1.0, dt)};
    for (int k = 0; k < 2 && dt == L2_BOOL; k++) {
        l2_tensor *two = l2_full(0, NULL, 2.0, at_dt), *r = l2_remainder(src[k], two);
        l2_tensor_release(src[k]);
        src[k] = l2_to_dtype(r, dt);
        l2_tensor_release(r);
        l2_tensor_release(two);
    }
    const char *name[3] = {"row", "column", "scalar"};
    for (int k = 0; k < 3; k++) {
        l2_tensor *e = l2_expand(src[k], 2, sh), *c = l2_contiguous(e), *o = l2_zeros(2, sh, dt);
        bool okc = same2(c, e, R, C);
        bool oko = o && l2_copy_(o, src[k]) == L2_OK && same2(o, e, R, C);
        ok(okc && oko, "contiguous and copy_ of a %s expanded to (%lld, %lld) %s at %d threads",
           name[k], (long long)R, (long long)C, l2_dtype_name(dt), th);
        l2_tensor_release(o);
        l2_tensor_release(c);
        l2_tensor_release(e);
        l2_tensor_release(src[k]);
    }
    l2_set_num_threads(1);
}

/* sum(x).backward(): x.grad is all ones. */
static void sum_grad(int64_t R, int64_t C, l2_dtype dt)
{
    int64_t sh[2] = {R, C};
    l2_tensor *x = l2_zeros(2, sh, dt);
    l2_set_requires_grad(x, true);
    l2_tensor *s = l2_sum(x);
    bool good = s && l2_backward(s, NULL, false) == L2_OK && l2_grad(x);
    for (int64_t i = 0; good && i < R; i++)
        for (int64_t j = 0; good && j < C; j++)
            good = el(l2_grad(x), i, j) == 1.0;
    ok(good, "sum backward: the (%lld, %lld) %s gradient is all ones", (long long)R,
       (long long)C, l2_dtype_name(dt));
    l2_tensor_release(s);
    l2_tensor_release(x);
}

/* Distinct values of dtype dt in shape (R, w, C) (bool: a pattern of both values). */
static l2_tensor *cat_input(int64_t R, int64_t w, int64_t C, int64_t off, l2_dtype dt)
{
    int64_t sh[3] = {R, w, C}, n = R * w * C;
    l2_tensor *f = l2_arange((double)off, (double)(off + n), 1, dt == L2_BOOL ? L2_FLOAT32 : dt);
    l2_tensor *v = f && dt == L2_BOOL ? l2_sin(f) : NULL, *b = v ? l2_gt_scalar(v, 0) : NULL;
    l2_tensor *r = l2_reshape(dt == L2_BOOL ? b : f, 3, sh);
    l2_tensor_release(b);
    l2_tensor_release(v);
    l2_tensor_release(f);
    return r;
}

/* cat of n inputs (R, w[k], C) along dim 1 (each transposed in its last two dims when tr[k]
 * is set, which the whole-row path leaves to the iterator), at th threads: every element of the
 * result against its input's. */
static void cat_rows(int64_t R, int n, const int64_t *w, const bool *tr, int64_t C, l2_dtype dt,
                     int th)
{
    l2_set_num_threads(th);
    l2_tensor *in[8] = {0}, *v[8] = {0};
    int64_t W = 0;
    for (int k = 0; k < n; k++) {
        in[k] = tr[k] ? cat_input(R, C, w[k], 7919 * k, dt) : cat_input(R, w[k], C, 7919 * k, dt);
        v[k] = tr[k] ? l2_transpose(in[k], 1, 2) : l2_tensor_ref(in[k]);
        W += w[k];
    }
    l2_tensor *r = l2_cat(n, v, 1);
    bool good = r && l2_ndim(r) == 3 && l2_shape(r)[1] == W;
    int64_t pos = 0;
    for (int k = 0; good && k < n; pos += w[k], k++)
        for (int64_t i = 0; good && i < R; i++)
            for (int64_t j = 0; good && j < w[k]; j++)
                for (int64_t c = 0; good && c < C; c++) {
                    int64_t ir[3] = {i, pos + j, c}, ix[3] = {i, j, c};
                    double a = at(r, ir), b = at(v[k], ix);
                    if (a != b) {
                        tap_diag("input %d (%lld, %lld, %lld): %g, want %g", k, (long long)i,
                                 (long long)j, (long long)c, a, b);
                        good = false;
                    }
                }
    char ws[64] = "";
    for (int k = 0; k < n; k++)
        snprintf(ws + strlen(ws), sizeof ws - strlen(ws), "%s%lld%s", k ? ", " : "",
                 (long long)w[k], tr[k] ? "t" : "");
    ok(good, "cat along dim 1 of (%lld, [%s], %lld) %s at %d threads", (long long)R, ws,
       (long long)C, l2_dtype_name(dt), th);
    l2_tensor_release(r);
    for (int k = 0; k < n; k++) {
        l2_tensor_release(v[k]);
        l2_tensor_release(in[k]);
    }
    l2_set_num_threads(1);
}

int main(void)
{
    const int64_t tm = l2_threshold("tile_min"), tile = l2_threshold("tile");
    ok(tm > 64 && tile >= 8, "tile_min %lld, tile %lld", (long long)tm, (long long)tile);
    /* (R, C): below tile_min, at it, sides with tails of 8 and of the tile, large */
    const int64_t shapes[][2] = {{8, tm / 8 - 1}, {9, 17}, {tm / 40, 40}, {40, tm / 40 + 1},
                                 {tile + 3, 2 * tile + 7}, {2 * tile, 3 * tile}, {257, 263},
                                 {1024, 37}, {5, 1000}};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
        for (int th = 1; th <= 3; th += (k % 2 ? 2 : 1))
            for (int d = 0; d < 2; d++)
                transposed(shapes[k][0], shapes[k][1], d ? L2_FLOAT64 : L2_FLOAT32, th);
    batch(3, 45, 67, 1);
    batch(4, 64, 64, 3);
    /* and (area opsp, issue 12) the repeated-row copy below and at the parallel grain */
    const int64_t g = l2_threshold("parallel_grain");
    const int64_t bs[][2] = {{3, 5}, {7, 9}, {33, 71}, {300, 301}, {g / 256 - 1, 256},
                             {g / 256, 256}};
    for (size_t k = 0; k < sizeof bs / sizeof bs[0]; k++) {
        for (int d = 0; d < 3; d++) {
            l2_dtype dt = d == 0 ? L2_FLOAT32 : d == 1 ? L2_FLOAT64 : L2_BOOL;
            broadcast(bs[k][0], bs[k][1], dt, 1);
            if (k >= 3)
                broadcast(bs[k][0], bs[k][1], dt, 3);
        }
        sum_grad(bs[k][0], bs[k][1], L2_FLOAT32);
        sum_grad(bs[k][0], bs[k][1], L2_FLOAT64);
    }
    /* cat (area cat): pieces of 1 element (below cat_piece_min), at it, of 2-3 bytes (bool),
     * under and over 32 bytes, several inputs of different widths, a transposed input, an empty
     * one; large ones at 2 and 3 threads (also with fewer rows than threads) */
    const int64_t pm = l2_threshold("cat_piece_min");
    ok(pm >= 2, "cat_piece_min %lld", (long long)pm);
    const bool no[4] = {0}, tr1[3] = {false, true, false};
    const int64_t w1[2] = {pm - 1, pm}, w1b[2] = {pm, pm}, w2[3] = {pm, pm + 1, 5};
    const int64_t w3[3] = {7, 8, 9}, w4[4] = {31, 33, 64, 3}, w5[3] = {0, 17, 40};
    const int64_t w6[3] = {100, 200, 37};
    for (int d = 0; d < 4; d++) {
        l2_dtype dt = d == 0 ? L2_FLOAT32 : d == 1 ? L2_FLOAT64 : d == 2 ? L2_INT64 : L2_BOOL;
        cat_rows(5, 2, w1, no, 1, dt, 1);
        cat_rows(6, 2, w1b, no, 1, dt, 1);
        cat_rows(7, 3, w2, no, 1, dt, 1);
        cat_rows(4, 3, w3, no, 3, dt, 1);
        cat_rows(3, 4, w4, no, 1, dt, 1);
        cat_rows(3, 3, w5, no, 2, dt, 1);
        cat_rows(5, 3, w3, tr1, 4, dt, 1);
        for (int th = 2; th <= 3; th++) {
            cat_rows(1001, 3, w6, no, 1, dt, th);
            cat_rows(2, 3, w6, no, 450, dt, th);
        }
    }
    return tap_done();
}
