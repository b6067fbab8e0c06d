/* test-loader.c: the data loader and the progress reporter (issue 16). TAP. */
#include <l2.h>

#include "tap.h"

#include <fcntl.h>
#include <poll.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* images (N, 2, 3) float32 with element (i, j, k) = 100 i + 10 j + k, labels (N) int64 = i. */
static void dataset(int64_t n, l2_tensor **x, l2_tensor **y)
{
    l2_scope_begin();
    l2_tensor *i = l2_mul_scalar(l2_reshape(l2_arange(0, (double)n, 1, L2_FLOAT32),
                                            L2_SHAPE(n, 1, 1)),
                                 100);
    l2_tensor *jk = l2_add(l2_mul_scalar(l2_reshape(l2_arange(0, 2, 1, L2_FLOAT32),
                                                    L2_SHAPE(1, 2, 1)),
                                         10),
                           l2_reshape(l2_arange(0, 3, 1, L2_FLOAT32), L2_SHAPE(1, 1, 3)));
    *x = l2_keep(l2_contiguous(l2_add(i, jk)));
    *y = l2_keep(l2_arange(0, (double)n, 1, L2_INT64));
    l2_scope_end();
}

/* Whether batch row r of x holds example i (all 6 values) and y's row r is i. */
static int row_is(const l2_tensor *x, const l2_tensor *y, int64_t r, int64_t i)
{
    const float *px = l2_data_ptr(x);
    const int64_t *py = l2_data_ptr(y);
    for (int j = 0; j < 2; j++)
        for (int k = 0; k < 3; k++)
            if (px[r * 6 + j * 3 + k] != (float)(100 * i + 10 * j + k))
                return 0;
    return py[r] == i;
}

/* One epoch: the labels in order into seen (returns the count), checking rows match labels and
 * the batch sizes (b full batches of bs, then the rest). */
static int64_t epoch(l2_loader *ld, int64_t bs, int64_t *seen, int *rows_ok, int *sizes_ok)
{
    l2_tensor *b[2];
    int64_t m = 0, nb = 0, len = l2_loader_len(ld), n = l2_loader_size(ld);
    *rows_ok = *sizes_ok = 1;
    while (l2_loader_next(ld, b)) {
        int64_t rows = l2_size(b[0], 0);
        int64_t want = (nb + 1) * bs <= n ? bs : n - nb * bs;
        if (rows != want || l2_size(b[1], 0) != rows || l2_ndim(b[0]) != 3)
            *sizes_ok = 0;
        const int64_t *py = l2_data_ptr(b[1]);
        for (int64_t r = 0; r < rows; r++) {
            if (!row_is(b[0], b[1], r, py[r]))
                *rows_ok = 0;
            seen[m++] = py[r];
        }
        nb++;
    }
    if (nb != len)
        *sizes_ok = 0;
    return m;
}

static void test_errors(void)
{
    l2_tensor *x, *y;
    dataset(10, &x, &y);
    l2_tensor *ts[2] = {x, y};
    l2_loader_options o = l2_loader_defaults();
    ok(o.batch_size == 1 && !o.shuffle && !o.drop_last && o.seed == 0, "defaults as torch");
    int64_t live = l2_live_tensors();
    ok(!l2_loader_new(2, NULL, o) && l2_last_status() == L2_ERR_NULL, "NULL array: L2_ERR_NULL");
    l2_tensor *tn[2] = {x, NULL};
    ok(!l2_loader_new(2, tn, o) && l2_last_status() == L2_ERR_NULL, "NULL tensor: L2_ERR_NULL");
    ok(!l2_loader_new(0, ts, o) && l2_last_status() == L2_ERR_ARG, "n 0: L2_ERR_ARG");
    l2_tensor *t65[65];
    for (int i = 0; i < 65; i++)
        t65[i] = x;
    ok(!l2_loader_new(65, t65, o) && l2_last_status() == L2_ERR_ARG, "n 65: L2_ERR_ARG");
    o.batch_size = 0;
    ok(!l2_loader_new(2, ts, o) && l2_last_status() == L2_ERR_ARG &&
           strstr(l2_last_error(), "batch_size"),
       "batch_size 0: L2_ERR_ARG naming batch_size");
    o.batch_size = -5;
    ok(!l2_loader_new(2, ts, o) && l2_last_status() == L2_ERR_ARG, "batch_size -5: L2_ERR_ARG");
    o.batch_size = 4;
    l2_tensor *s = l2_scalar(1, L2_FLOAT32);
    l2_tensor *t0[2] = {x, s};
    ok(!l2_loader_new(2, t0, o) && l2_last_status() == L2_ERR_DIM, "0-d tensor: L2_ERR_DIM");
    l2_tensor *y9 = l2_arange(0, 9, 1, L2_INT64);
    l2_tensor *tm[2] = {x, y9};
    ok(!l2_loader_new(2, tm, o) && l2_last_status() == L2_ERR_SHAPE &&
           strstr(l2_last_error(), "9") && strstr(l2_last_error(), "10"),
       "dim 0 10 vs 9: L2_ERR_SHAPE naming both sizes");
    /* An expanded dataset of 2^60 elements is read in place (no copy): batches of 4 rows work;
     * a batch of 2^40 rows (2^62 bytes) cannot be made. */
    l2_scope_begin();
    l2_tensor *huge = l2_expand(l2_full(L2_SHAPE(1, 1), 3, L2_FLOAT32),
                                L2_SHAPE(INT64_C(1) << 40, INT64_C(1) << 20));
    l2_tensor *th[1] = {huge}, *hb[1];
    o.batch_size = 4;
    l2_loader *hl = l2_loader_new(1, th, o);
    if (!hl)
        tap_diag("%s", l2_last_error());
    ok(hl && l2_loader_next(hl, hb) && l2_size(hb[0], 1) == INT64_C(1) << 20 &&
           ((const float *)l2_data_ptr(hb[0]))[4 * (1 << 20) - 1] == 3,
       "an expanded dataset of 2^60 elements: batches of 4 rows, read in place");
    l2_loader_free(hl);
    o.batch_size = INT64_C(1) << 40;
    ok(!l2_loader_new(1, th, o) && l2_last_status() == L2_ERR_NOMEM,
       "a batch buffer of 2^62 bytes: L2_ERR_NOMEM");
    l2_scope_end();
    l2_tensor_release(s);
    l2_tensor_release(y9);
    ok(l2_live_tensors() == live, "failed calls keep no tensor");
    ok(!l2_loader_next(NULL, (l2_tensor *[2]){0}) && l2_last_status() == L2_ERR_NULL,
       "next(NULL): L2_ERR_NULL");
    l2_loader *ld = l2_loader_new(2, ts, o);
    ok(!l2_loader_next(ld, NULL) && l2_last_status() == L2_ERR_NULL && l2_loader_epoch(ld) == 0,
       "next(ld, NULL): L2_ERR_NULL, epoch unchanged");
    ok(l2_loader_set_epoch(ld, -1) == L2_ERR_ARG, "set_epoch(-1): L2_ERR_ARG");
    ok(l2_loader_set_epoch(NULL, 0) == L2_ERR_NULL && l2_loader_reset(NULL) == L2_ERR_NULL,
       "set_epoch, reset on NULL: L2_ERR_NULL");
    ok(l2_loader_len(NULL) == -1 && l2_loader_size(NULL) == -1 && l2_loader_epoch(NULL) == -1 &&
           l2_last_status() == L2_ERR_NULL,
       "len, size, epoch of NULL: -1, L2_ERR_NULL");
    l2_loader_free(ld);
    l2_loader_free(NULL);
    ok(!l2_loader_from_named(NULL, 0, NULL, o) && l2_last_status() == L2_ERR_NULL,
       "from_named(NULL): L2_ERR_NULL");
    ok(l2_live_tensors() == live, "a freed loader keeps no tensor");
    l2_tensor_release(x);
    l2_tensor_release(y);
}

static void test_order(void)
{
    l2_tensor *x, *y;
    dataset(10, &x, &y);
    l2_tensor *ts[2] = {x, y};
    int64_t seen[16];
    int rows_ok, sizes_ok;
    l2_loader_options o = l2_loader_defaults();
    o.batch_size = 3;
    l2_loader *ld = l2_loader_new(2, ts, o);
    ok(l2_loader_len(ld) == 4 && l2_loader_size(ld) == 10, "N 10, batch 3: 4 batches");
    for (int e = 0; e < 2; e++) {
        int64_t m = epoch(ld, 3, seen, &rows_ok, &sizes_ok);
        int inorder = m == 10;
        for (int64_t i = 0; i < m; i++)
            inorder &= seen[i] == i;
        ok(inorder && rows_ok && sizes_ok && l2_last_status() == L2_OK,
           "no shuffle, epoch %d: 3, 3, 3, 1 examples in file order, rows match labels", e);
        ok(l2_loader_epoch(ld) == e + 1, "epoch count %d after the epoch", e + 1);
    }
    l2_loader_free(ld);
    o.drop_last = true;
    ld = l2_loader_new(2, ts, o);
    int64_t m = epoch(ld, 3, seen, &rows_ok, &sizes_ok);
    ok(l2_loader_len(ld) == 3 && m == 9 && seen[8] == 8 && rows_ok && sizes_ok,
       "drop_last: 3 batches of 3, example 9 skipped");
    l2_loader_free(ld);
    o.batch_size = 5; /* divides N: drop_last changes nothing */
    ld = l2_loader_new(2, ts, o);
    m = epoch(ld, 5, seen, &rows_ok, &sizes_ok);
    ok(l2_loader_len(ld) == 2 && m == 10 && rows_ok && sizes_ok, "drop_last, batch 5: 2 batches");
    l2_loader_free(ld);
    o.batch_size = 64;
    o.drop_last = false;
    ld = l2_loader_new(2, ts, o);
    m = epoch(ld, 64, seen, &rows_ok, &sizes_ok);
    ok(l2_loader_len(ld) == 1 && m == 10 && rows_ok && sizes_ok, "batch 64 > N 10: one batch of 10");
    l2_loader_free(ld);
    o.drop_last = true;
    ld = l2_loader_new(2, ts, o);
    ok(l2_loader_len(ld) == 0 && epoch(ld, 64, seen, &rows_ok, &sizes_ok) == 0,
       "batch 64 > N 10 with drop_last: no batch");
    l2_loader_free(ld);
    /* A non-contiguous dataset tensor (a transposed view) gives its logical rows. */
    l2_tensor *xt = l2_transpose(l2_contiguous(l2_transpose(x, 0, 2)), 0, 2);
    l2_tensor *tt[2] = {xt, y};
    o = l2_loader_defaults();
    o.batch_size = 4;
    ld = l2_loader_new(2, tt, o);
    m = epoch(ld, 4, seen, &rows_ok, &sizes_ok);
    ok(!l2_is_contiguous(xt) && m == 10 && rows_ok && sizes_ok, "a non-contiguous dataset tensor");
    l2_loader_free(ld);
    l2_tensor_release(xt);
    l2_tensor_release(x);
    l2_tensor_release(y);
}

static void test_shuffle(void)
{
    enum { N = 23, B = 5 };
    l2_tensor *x, *y;
    dataset(N, &x, &y);
    l2_tensor *ts[2] = {x, y};
    l2_loader_options o = {.batch_size = B, .shuffle = true, .seed = 1234};
    l2_loader *ld = l2_loader_new(2, ts, o);
    /* The rule of l2.h: epoch e's order is the (e+1)-th l2_randperm(N) after l2_manual_seed(seed).
     * The thread's generator is reseeded here to compute the expected orders, then checked to be
     * untouched by the loader. */
    l2_manual_seed(1234);
    int64_t want[4][N];
    for (int e = 0; e < 4; e++) {
        l2_tensor *p = l2_randperm(N);
        memcpy(want[e], l2_data_ptr(p), sizeof want[e]);
        l2_tensor_release(p);
    }
    l2_manual_seed(99);
    double r0 = 0, r1 = 0;
    l2_tensor *a = l2_rand(L2_SHAPE(1), L2_FLOAT64);
    l2_item(a, &r0);
    l2_tensor_release(a);
    l2_manual_seed(99);
    int64_t seen[4][N];
    int all_rows = 1, all_sizes = 1;
    for (int e = 0; e < 4; e++) {
        int rows_ok, sizes_ok;
        int64_t m = epoch(ld, B, seen[e], &rows_ok, &sizes_ok);
        all_rows &= rows_ok && m == N;
        all_sizes &= sizes_ok;
        int count[N] = {0}, once = 1;
        for (int i = 0; i < N; i++)
            count[seen[e][i]]++;
        for (int i = 0; i < N; i++)
            once &= count[i] == 1;
        ok(once, "shuffle, epoch %d: every example exactly once", e);
        ok(!memcmp(seen[e], want[e], sizeof want[e]),
           "shuffle, epoch %d: the order is the %d-th randperm(%d) after manual_seed(1234)", e,
           e + 1, N);
    }
    ok(all_rows && all_sizes, "shuffled rows match labels; batches 5, 5, 5, 5, 3");
    ok(memcmp(seen[0], seen[1], sizeof seen[0]) && memcmp(seen[1], seen[2], sizeof seen[0]),
       "a new order each epoch");
    a = l2_rand(L2_SHAPE(1), L2_FLOAT64);
    l2_item(a, &r1);
    l2_tensor_release(a);
    ok(r0 == r1, "the thread's generator is neither read nor advanced by the loader");
    /* set_epoch replays; a second loader with the same seed agrees, at another thread count. */
    int64_t again[N];
    int rows_ok, sizes_ok;
    ok(l2_loader_set_epoch(ld, 2) == L2_OK && l2_loader_epoch(ld) == 2, "set_epoch(2)");
    epoch(ld, B, again, &rows_ok, &sizes_ok);
    ok(!memcmp(again, seen[2], sizeof again), "set_epoch(2) gives epoch 2's order");
    int th = l2_get_num_threads();
    l2_set_num_threads(th > 1 ? 1 : 2);
    l2_loader *ld2 = l2_loader_new(2, ts, o);
    epoch(ld2, B, again, &rows_ok, &sizes_ok);
    ok(!memcmp(again, seen[0], sizeof again), "the same seed, another thread count: same order");
    l2_set_num_threads(th);
    /* reset mid-epoch: the next call starts the next epoch at its first batch. */
    l2_tensor *b[2];
    l2_loader_set_epoch(ld2, 0);
    l2_loader_next(ld2, b);
    ok(l2_loader_reset(ld2) == L2_OK && l2_loader_epoch(ld2) == 1, "reset mid-epoch: epoch 1");
    ok(l2_loader_reset(ld2) == L2_OK && l2_loader_epoch(ld2) == 1, "reset between epochs: nothing");
    epoch(ld2, B, again, &rows_ok, &sizes_ok);
    ok(!memcmp(again, seen[1], sizeof again), "after reset: epoch 1's whole order");
    l2_loader_free(ld2);
    o.seed = 1235;
    ld2 = l2_loader_new(2, ts, o);
    epoch(ld2, B, again, &rows_ok, &sizes_ok);
    ok(memcmp(again, seen[0], sizeof again), "another seed: another order");
    l2_loader_free(ld2);
    /* drop_last with shuffle: the first 20 of the permutation. */
    o.seed = 1234;
    o.drop_last = true;
    ld2 = l2_loader_new(2, ts, o);
    int64_t m = epoch(ld2, B, again, &rows_ok, &sizes_ok);
    ok(m == 20 && !memcmp(again, want[0], 20 * sizeof(int64_t)) && rows_ok && sizes_ok,
       "shuffle with drop_last: the permutation's first 20 examples, 4 batches");
    l2_loader_free(ld2);
    l2_loader_free(ld);
    l2_tensor_release(x);
    l2_tensor_release(y);
}

static void test_empty_and_reuse(void)
{
    l2_tensor *x, *y;
    dataset(0, &x, &y);
    l2_tensor *ts[2] = {x, y}, *b[2] = {NULL, NULL};
    l2_loader_options o = {.batch_size = 4, .shuffle = true};
    l2_loader *ld = l2_loader_new(2, ts, o);
    l2_clear_error();
    ok(ld && l2_loader_len(ld) == 0 && l2_loader_size(ld) == 0, "0 examples: 0 batches");
    ok(!l2_loader_next(ld, b) && l2_last_status() == L2_OK && l2_loader_epoch(ld) == 1 && !b[0],
       "0 examples: an empty epoch, status OK");
    l2_loader_free(ld);
    l2_tensor_release(x);
    l2_tensor_release(y);

    dataset(50, &x, &y);
    ts[0] = x;
    ts[1] = y;
    o = (l2_loader_options){.batch_size = 8, .shuffle = true, .seed = 7};
    ld = l2_loader_new(2, ts, o);
    l2_tensor *first[2] = {NULL, NULL}, *lastb[2] = {NULL, NULL};
    int same = 1;
    for (int e = 0; e < 2; e++) {
        int64_t k = 0;
        while (l2_loader_next(ld, b)) {
            if (e == 0 && k == 0)
                memcpy(first, b, sizeof first);
            if (k < 6 && (b[0] != first[0] || b[1] != first[1]))
                same = 0;
            if (k == 6) {
                if (e == 0)
                    memcpy(lastb, b, sizeof lastb);
                else if (b[0] != lastb[0])
                    same = 0;
            }
            k++;
        }
    }
    ok(same && l2_size(lastb[0], 0) == 2 && l2_shares_storage(first[0], lastb[0]),
       "the same batch tensors every batch and epoch (the last partial one a view of them)");
    l2_memory_stats m0, m1;
    l2_get_memory_stats(&m0);
    int64_t live = l2_live_tensors(), rows = 0;
    for (int e = 0; e < 3; e++)
        while (l2_loader_next(ld, b))
            rows += l2_size(b[0], 0);
    l2_get_memory_stats(&m1);
    ok(rows == 150 && m1.n_allocs == m0.n_allocs && l2_live_tensors() == live,
       "3 more epochs: no allocation, no new tensor (%lld allocations)",
       (long long)(m1.n_allocs - m0.n_allocs));
    l2_debug_fail_alloc_after(0);
    rows = 0;
    while (l2_loader_next(ld, b))
        rows += l2_size(b[0], 0);
    l2_debug_fail_alloc_after(-1);
    ok(rows == 50 && l2_last_status() == L2_OK, "an epoch with every allocation failing");
    /* A graph that saved an older batch refuses its backward. */
    l2_tensor *w = l2_ones(L2_SHAPE(3), L2_FLOAT32);
    l2_set_requires_grad(w, true);
    l2_loader_next(ld, b);
    l2_tensor *loss = l2_sum(l2_mul(b[0], w));
    l2_loader_next(ld, b);
    ok(l2_backward(loss, NULL, false) == L2_ERR_AUTOGRAD,
       "backward through an overwritten batch: L2_ERR_AUTOGRAD");
    l2_tensor_release(loss);
    l2_tensor_release(w);
    l2_loader_free(ld);
    l2_tensor_release(x);
    l2_tensor_release(y);
}

/* IDX and safetensors files feed the loader. */
static void test_files(void)
{
    char dir[] = "/tmp/l2-loader-XXXXXX", path[600];
    if (!mkdtemp(dir)) {
        ok(0, "mkdtemp");
        return;
    }
    /* An IDX file of 5 examples of 2x2 unsigned bytes: example i holds 10 i + j. */
    snprintf(path, sizeof path, "%s/x.idx", dir);
    FILE *f = fopen(path, "wb");
    unsigned char hdr[16] = {0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 2, 0, 0, 0, 2};
    fwrite(hdr, 1, 16, f);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++)
            fputc(10 * i + j, f);
    fclose(f);
    l2_tensor *xi = l2_load_idx(path, false);
    l2_tensor *yi = l2_arange(0, 5, 1, L2_INT64);
    l2_loader_options o = {.batch_size = 2, .shuffle = true, .seed = 3};
    l2_loader *ld = l2_loader_new(2, (l2_tensor *[]){xi, yi}, o);
    l2_tensor *b[2];
    int good = ld != NULL, n = 0;
    while (ld && l2_loader_next(ld, b)) {
        const int64_t *px = l2_data_ptr(b[0]), *py = l2_data_ptr(b[1]);
        for (int64_t r = 0; r < l2_size(b[0], 0); r++, n++)
            for (int j = 0; j < 4; j++)
                good &= px[r * 4 + j] == 10 * py[r] + j;
    }
    ok(good && n == 5, "a loader over l2_load_idx's tensor");
    l2_loader_free(ld);
    /* safetensors: by names (in the order asked) and every tensor in file order. */
    snprintf(path, sizeof path, "%s/d.safetensors", dir);
    const char *names[2] = {"images", "labels"};
    l2_tensor *xs = l2_mul_scalar(l2_arange(0, 12, 1, L2_FLOAT64), 2);
    l2_tensor *xs2 = l2_reshape(xs, L2_SHAPE(6, 2));
    l2_tensor *ys = l2_arange(0, 6, 1, L2_INT64);
    l2_save_safetensors(path, 2, names, (l2_tensor *[]){xs2, ys});
    l2_named_tensors *d = l2_load_safetensors(path);
    o = (l2_loader_options){.batch_size = 4};
    l2_loader *l1 = l2_loader_from_named(d, 2, (const char *[]){"labels", "images"}, o);
    l2_loader *l2 = l2_loader_from_named(d, 0, NULL, o);
    ok(!l2_loader_from_named(d, 1, (const char *[]){"nope"}, o) && l2_last_status() == L2_ERR_ARG &&
           strstr(l2_last_error(), "nope"),
       "from_named: a missing name is L2_ERR_ARG naming it");
    l2_named_free(d);
    good = l1 && l2;
    if (good) {
        l2_tensor *b1[2], *b2[2];
        l2_loader_next(l1, b1);
        l2_loader_next(l2, b2);
        const int64_t *y1 = l2_data_ptr(b1[0]), *y2 = l2_data_ptr(b2[1]);
        const double *x1 = l2_data_ptr(b1[1]);
        good = l2_dtype_of(b1[0]) == L2_INT64 && l2_dtype_of(b2[0]) == L2_FLOAT64 &&
               y1[3] == 3 && y2[3] == 3 && x1[7] == 14 && l2_size(b1[1], 1) == 2;
    }
    ok(good, "from_named: the named tensors in the order asked, or the file's order");
    l2_loader_free(l1);
    l2_loader_free(l2);
    l2_tensor_release(xi);
    l2_tensor_release(yi);
    l2_tensor_release(xs);
    l2_tensor_release(xs2);
    l2_tensor_release(ys);
    unlink(path);
    snprintf(path, sizeof path, "%s/x.idx", dir);
    unlink(path);
    rmdir(dir);
}

/* ---- progress ---------------------------------------------------------------------------- */

static char *slurp(FILE *f)
{
    static char buf[8192];
    rewind(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    return buf;
}

static void test_progress(void)
{
    ok(!l2_progress_new(NULL, "x", 10, 1, false) && l2_last_status() == L2_ERR_NULL,
       "progress_new(NULL out): L2_ERR_NULL");
    ok(!l2_progress_new(stderr, "x", -1, 1, false) && l2_last_status() == L2_ERR_ARG,
       "progress_new(total -1): L2_ERR_ARG");
    ok(l2_progress_update(NULL, 1, NULL) == L2_ERR_NULL &&
           l2_progress_finish(NULL, NULL) == L2_ERR_NULL,
       "update, finish on NULL: L2_ERR_NULL");
    l2_progress_free(NULL);
    /* A file is not a terminal: plain lines every 3 steps and at the last, without force. */
    FILE *f = tmpfile();
    l2_progress *p = l2_progress_new(f, "epoch 1", 10, 3, false);
    char info[32];
    for (int i = 1; i <= 10; i++) {
        snprintf(info, sizeof info, "loss %.2f", 1.0 / i);
        l2_progress_update(p, i, info);
    }
    ok(l2_progress_update(p, 11, NULL) == L2_ERR_ARG && l2_progress_update(p, -1, NULL) ==
                                                            L2_ERR_ARG,
       "update beyond total or negative: L2_ERR_ARG");
    l2_progress_finish(p, "done");
    l2_progress_free(p);
    char *s = slurp(f);
    int lines = 0, good = 1;
    const int at[4] = {3, 6, 9, 10};
    for (char *ln = strtok(s, "\n"); ln; ln = strtok(NULL, "\n"), lines++) {
        long long done, total;
        double pct, rate;
        char eta[32], inf[64];
        int k = sscanf(ln, "epoch 1: %lld/%lld (%lf%%), %lf it/s, ETA %31[^,], %63[^\n]", &done,
                       &total, &pct, &rate, eta, inf);
        char want_info[32];
        snprintf(want_info, sizeof want_info, "loss %.2f", lines < 4 ? 1.0 / at[lines] : 0);
        int m1, s1;
        if (lines >= 4 || k != 6 || done != at[lines] || total != 10 ||
            fabs(pct - 10.0 * (double)done) > 0.051 || rate <= 0 ||
            sscanf(eta, "%d:%2d", &m1, &s1) != 2 || strcmp(inf, want_info)) {
            good = 0;
            tap_diag("bad line %d: \"%s\"", lines, ln);
        }
    }
    ok(good && lines == 4, "non-terminal: lines at 3, 6, 9, 10 of 10, \"label: d/t (p%%), r it/s, "
                           "ETA m:ss, info\"; finish adds none");
    fclose(f);
    /* every <= 0: a line per tenth; total 0: unknown; no info. */
    f = tmpfile();
    p = l2_progress_new(f, "", 0, 2, true);
    for (int i = 1; i <= 5; i++)
        l2_progress_update(p, i, NULL);
    l2_progress_finish(p, "");
    l2_progress_free(p);
    s = slurp(f);
    long long d1, d2, d3;
    char r1[16];
    ok(sscanf(s, "%lld/?, %15s it/s\n%lld/?, %*s it/s\n%lld/?, %*s it/s\n", &d1, r1, &d2, &d3) ==
               4 &&
           d1 == 2 && d2 == 4 && d3 == 5 && !strchr(s, '%') && !strstr(s, "ETA"),
       "total 0: \"d/?, r it/s\" every 2 steps, the last at finish");
    fclose(f);
    f = tmpfile();
    p = l2_progress_new(f, "x", 100, 0, true);
    for (int i = 0; i <= 100; i++)
        l2_progress_update(p, i, NULL);
    l2_progress_free(p);
    s = slurp(f);
    lines = 0;
    for (char *c = s; *c; c++)
        lines += *c == '\n';
    ok(lines == 10 && !strncmp(s, "x: 10/100 (10.0%), ", 19), "every 0: a line per tenth");
    fclose(f);
    /* A terminal (a pseudo-terminal): a bar redrawn in place, a newline at finish. */
    int mfd = posix_openpt(O_RDWR | O_NOCTTY);
    if (mfd < 0 || grantpt(mfd) || unlockpt(mfd)) {
        ok(1, "# SKIP no pseudo-terminal");
        return;
    }
    FILE *tty = fopen(ptsname(mfd), "w");
    p = tty ? l2_progress_new(tty, "ep", 4, 1, false) : NULL;
    for (int i = 1; i <= 4; i++)
        l2_progress_update(p, i, "loss 1");
    l2_progress_finish(p, "loss 1");
    l2_progress_free(p);
    if (tty)
        fclose(tty);
    /* A pty passes data on asynchronously: read until finish's newline (or 5 s of silence). */
    char buf[2048];
    ssize_t n = 0;
    buf[0] = '\0';
    while (!strchr(buf, '\n') && n < (ssize_t)sizeof buf - 1) {
        struct pollfd pf = {.fd = mfd, .events = POLLIN};
        if (poll(&pf, 1, 5000) <= 0)
            break;
        ssize_t r = read(mfd, buf + n, sizeof buf - 1 - (size_t)n);
        if (r <= 0)
            break;
        n += r;
        buf[n] = '\0';
    }
    close(mfd);
    ok(strstr(buf, "\rep [######..................]  1/4  ") &&
           strstr(buf, "\rep [########################]  4/4  ") && strstr(buf, "ETA 0:00  loss 1") &&
           !strstr(buf, "ep: "),
       "terminal: \"\\rlabel [bar]  d/t  r it/s  ETA m:ss  info\"");

}

int main(void)
{
    test_errors();
    /* Scopes own the intermediates (the explicit releases take the scope's references). */
    void (*fns[])(void) = {test_order, test_shuffle, test_empty_and_reuse, test_files};
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        l2_scope_begin();
        fns[i]();
        l2_scope_end();
    }
    test_progress();
    return tap_done();
}
