/* test-alloc.c: the caching allocator (libl2/alloc.c) and the memory work of autograd. Blocks on
 * both sides of each allocator threshold (alloc_small, alloc_mmap, size-class edges) are made,
 * written with a pattern, freed and made again from 1, 2 and 3 threads at once, and no two live
 * blocks may share bytes; zeros from a reused block are zeros; the statistics count hits, misses
 * and cached bytes, and l2_empty_cache empties the cache. A small MLP trains for 10,000 steps and
 * the bytes in use plus cached must not grow after warm-up. Gradients adopted as .grad, and seeds
 * used without a copy, never alias a tensor the caller holds. */
#include <l2.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

static l2_memory_stats stats(void)
{
    l2_memory_stats s;
    l2_get_memory_stats(&s);
    return s;
}

/* The sizes in bytes to try: each threshold -1, at, +1, and the edges of a size class. */
static int64_t sizes[16];
static int n_sizes;

static void plan_sizes(void)
{
    int64_t small = l2_threshold("alloc_small"), mm = l2_threshold("alloc_mmap");
    int64_t s[] = {1, small - 1, small, small + 1, small + small / 4, small + small / 4 + 1,
                   2 * small - 1, 3 * small, mm - 1, mm, mm + 1, mm + mm / 4 + 4096};
    n_sizes = (int)(sizeof s / sizeof s[0]);
    memcpy(sizes, s, sizeof s);
}

/* A bool tensor of n bytes (one byte per element). */
static l2_tensor *block(int64_t n) { return l2_empty(L2_SHAPE(n), L2_BOOL); }

/* The byte pattern of block `id` at position i (never 0, so zeroed memory does not match). */
static unsigned char pat(int64_t id, int64_t i)
{
    return (unsigned char)(1 + (id * 131 + i) % 251);
}

static void fill(l2_tensor *t, int64_t id)
{
    unsigned char *p = l2_data_ptr(t);
    int64_t n = l2_numel(t);
    for (int64_t i = 0; i < n; i++)
        p[i] = pat(id, i);
}

/* Bytes of t that differ from its pattern (every 61st byte and the last one: quick on 2 MiB). */
static int64_t bad_bytes(const l2_tensor *t, int64_t id)
{
    const unsigned char *p = l2_data_ptr(t);
    int64_t n = l2_numel(t), bad = 0;
    for (int64_t i = 0; i < n; i += (i + 61 < n ? 61 : (n - 1 - i > 0 ? n - 1 - i : 1)))
        bad += p[i] != pat(id, i);
    return bad;
}

/* Every size, several live at once per thread: fill, check, free, again. */
static void threaded(int nthreads)
{
    int64_t errors = 0, nulls = 0;
    enum { ROUNDS = 6, LIVE = 4 };
    int total = n_sizes * ROUNDS;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nthreads) schedule(dynamic, 1) reduction(+ : errors, nulls)
#endif
    for (int k = 0; k < total; k++) {
        l2_tensor *live[LIVE];
        int64_t id0 = (int64_t)k * LIVE;
        for (int j = 0; j < LIVE; j++) {
            live[j] = block(sizes[(k + j) % n_sizes]);
            if (!live[j]) {
                nulls++;
                continue;
            }
            fill(live[j], id0 + j);
        }
        for (int j = 0; j < LIVE; j++)
            if (live[j])
                errors += bad_bytes(live[j], id0 + j);
        for (int j = 0; j < LIVE; j++)
            l2_tensor_release(live[j]);
    }
    ok(nulls == 0, "%d threads: every allocation succeeds (%lld failed)", nthreads,
       (long long)nulls);
    ok(errors == 0, "%d threads: live blocks on both sides of alloc_small and alloc_mmap keep "
       "their own bytes (%lld bytes wrong)", nthreads, (long long)errors);
}

static void reuse(bool on)
{
    l2_empty_cache();
    l2_memory_stats s0 = stats();
    is_int(s0.bytes_cached, 0, "l2_empty_cache leaves nothing cached");
    int64_t bad = 0, zero_bad = 0, hits = 0, misses = 0, same_class = 0;
    for (int i = 0; i < n_sizes; i++) {
        int64_t n = sizes[i];
        l2_empty_cache(); /* so that only this size's blocks are cached */
        l2_tensor *a = block(n);
        fill(a, 7 * i);
        l2_memory_stats s1 = stats();
        void *pa = l2_data_ptr(a);
        l2_tensor_release(a);
        l2_memory_stats s2 = stats();
        /* The block of a is in the cache (if cacheable); the next one of its size reuses it. */
        l2_tensor *b = block(n), *c = block(n);
        same_class += l2_data_ptr(b) == pa;
        fill(b, 7 * i + 1);
        fill(c, 7 * i + 2);
        bad += bad_bytes(b, 7 * i + 1) + bad_bytes(c, 7 * i + 2);
        l2_memory_stats s3 = stats();
        if (n >= l2_threshold("alloc_small")) {
            hits += s3.n_cache_hits - s2.n_cache_hits;
            misses += s3.n_cache_misses - s1.n_cache_misses;
        }
        l2_tensor_release(b);
        l2_tensor_release(c);
        /* zeros on a dirty reused block */
        l2_tensor *z = l2_zeros(L2_SHAPE(n), L2_BOOL);
        const unsigned char *pz = l2_data_ptr(z);
        for (int64_t j = 0; j < n; j++)
            zero_bad += pz[j] != 0;
        l2_tensor_release(z);
    }
    is_int(bad, 0, "a reused block and a new one of the same size keep their own bytes");
    is_int(zero_bad, 0, "l2_zeros on a reused block is all zeros");
    int big = 0;
    for (int i = 0; i < n_sizes; i++)
        big += sizes[i] >= l2_threshold("alloc_small");
    if (on) {
        is_int(hits, big, "each cacheable size is served from the cache after a free");
        is_int(misses, big, "and the second live block of the size is a miss");
        ok(same_class >= big, "the freed block itself is handed out again (%lld of %d sizes)",
           (long long)same_class, big);
        ok(stats().bytes_cached > 0, "freed blocks are cached (%lld bytes)",
           (long long)stats().bytes_cached);
    } else {
        is_int(hits + stats().bytes_cached, 0, "cache off: no hits, nothing cached");
        for (int k = 0; k < 3; k++)
            printf("ok %d # SKIP cache off\n", ++tap_n);
    }
    l2_empty_cache();
    is_int(stats().bytes_cached, 0, "l2_empty_cache returns the cached blocks");
    /* An injected failure still fails with a warm cache, and changes no statistics. */
    l2_tensor *w = block(3 * l2_threshold("alloc_small"));
    l2_tensor_release(w);
    l2_memory_stats f0 = stats();
    l2_debug_fail_alloc_after(0);
    l2_tensor *f = block(3 * l2_threshold("alloc_small"));
    l2_debug_fail_alloc_after(-1);
    l2_memory_stats f1 = stats();
    ok(!f && l2_last_status() == L2_ERR_NOMEM, "an injected failure fails with a warm cache");
    is_int(f1.bytes_in_use - f0.bytes_in_use, 0, "and counts no bytes");
    l2_tensor_release(f);
}

/* A small MLP trained with plain SGD for many steps: bytes in use + cached after warm-up is the
 * most it ever holds. */
static void mlp_flat(void)
{
    l2_manual_seed(3);
    l2_tensor *x = l2_randn(L2_SHAPE(64, 32), L2_FLOAT32);
    l2_tensor *y = l2_randn(L2_SHAPE(64, 8), L2_FLOAT32);
    l2_tensor *w1 = l2_randn(L2_SHAPE(64, 32), L2_FLOAT32);
    l2_tensor *w2 = l2_randn(L2_SHAPE(8, 64), L2_FLOAT32);
    l2_tensor *ws[] = {w1, w2};
    l2_set_requires_grad(w1, true);
    l2_set_requires_grad(w2, true);
    int64_t warm_total = 0, max_total = 0;
    int64_t hits0 = 0, failures = 0;
    double loss0 = NAN, loss1 = NAN;
    enum { STEPS = 10000, WARM = 100 };
    for (int step = 0; step < STEPS; step++) {
        l2_scope_begin();
        l2_tensor *h = l2_relu(l2_linear(x, w1, NULL));
        l2_tensor *loss = l2_mse_loss(l2_linear(h, w2, NULL), y, L2_REDUCTION_MEAN);
        if (!loss || l2_backward(loss, NULL, false) != L2_OK)
            failures++;
        for (int k = 0; k < 2; k++) {
            l2_tensor *g = l2_grad(ws[k]);
            l2_no_grad_begin();
            if (!g || l2_sub_(ws[k], l2_mul_scalar(g, 0.01)) != L2_OK)
                failures++;
            l2_no_grad_end();
            l2_set_grad_none(ws[k]);
        }
        if (step == 0)
            loss0 = item(loss);
        loss1 = item(loss);
        l2_scope_end();
        l2_memory_stats s = stats();
        int64_t total = s.bytes_in_use + s.bytes_cached;
        if (step == WARM) {
            warm_total = total;
            hits0 = s.n_cache_hits;
        } else if (step > WARM && total > max_total) {
            max_total = total;
        }
    }
    ok(failures == 0, "MLP: %d steps without an error (%lld failed)", STEPS,
       (long long)failures);
    ok(loss1 < loss0, "MLP: the loss falls (%.4f -> %.4f)", loss0, loss1);
    ok(max_total <= warm_total, "MLP: bytes in use + cached do not grow after warm-up "
       "(%lld after step %d, at most %lld later)", (long long)warm_total, WARM,
       (long long)max_total);
    if (l2_alloc_cache_enabled())
        ok(stats().n_cache_hits - hits0 >= STEPS, "MLP: steps reuse cached blocks (%lld hits)",
           (long long)(stats().n_cache_hits - hits0));
    else
        printf("ok %d # SKIP cache off\n", ++tap_n);
    l2_tensor *all[] = {x, y, w1, w2};
    for (int i = 0; i < 4; i++)
        l2_tensor_release(all[i]);
}

/* .grad never aliases what the caller holds: not the seed (grad_output), not a gradient the
 * graph hands through unchanged, and the adopted buffer is not shared with another .grad. */
static void grad_alias(void)
{
    int64_t n = 3 * l2_threshold("alloc_small"); /* cacheable sizes */
    l2_tensor *x = l2_ones(L2_SHAPE(n), L2_FLOAT32);
    l2_tensor *z = l2_ones(L2_SHAPE(n), L2_FLOAT32);
    l2_set_requires_grad(x, true);
    l2_set_requires_grad(z, true);
    l2_tensor *go = l2_full(L2_SHAPE(n), 2.0, L2_FLOAT32);
    /* y = x + z: both gradients are the seed itself */
    l2_tensor *y = l2_add(x, z);
    ok(l2_backward(y, go, false) == L2_OK, "backward of x + z with grad_output");
    ok(!l2_shares_storage(l2_grad(x), go) && !l2_shares_storage(l2_grad(z), go),
       "x.grad and z.grad do not share the grad_output's memory");
    ok(!l2_shares_storage(l2_grad(x), l2_grad(z)), "x.grad and z.grad are distinct");
    float *pg = l2_data_ptr(go);
    pg[0] = 100;
    is_near(at(l2_grad(x), (int64_t[]){0}), 2.0, 0, "writing grad_output afterwards leaves x.grad");
    /* a leaf root: its gradient is the seed */
    l2_set_grad_none(x);
    ok(l2_backward(x, go, false) == L2_OK, "backward of a leaf with grad_output");
    ok(l2_grad(x) && !l2_shares_storage(l2_grad(x), go), "the leaf's .grad is a copy of the seed");
    /* y = 3 * x: x.grad is the uniquely owned product, adopted; accumulation adds into it */
    l2_set_grad_none(x);
    for (int r = 0; r < 2; r++) {
        l2_tensor *y3 = l2_mul_scalar(x, 3.0);
        l2_backward(y3, go, false);
        l2_tensor_release(y3);
    }
    is_near(at(l2_grad(x), (int64_t[]){1}), 12.0, 1e-6, "an adopted .grad accumulates (2 x 3 x 2)");
    is_near(at(l2_grad(x), (int64_t[]){0}), 600.0, 1e-3, "with the seed's values at each backward");
    l2_tensor *all[] = {x, z, go, y};
    for (int i = 0; i < 4; i++)
        l2_tensor_release(all[i]);
}

int main(void)
{
    plan_sizes();
    bool on = l2_alloc_cache_enabled();
    tap_diag("cache %s; alloc_small %lld, alloc_mmap %lld", on ? "on" : "off",
             (long long)l2_threshold("alloc_small"), (long long)l2_threshold("alloc_mmap"));
    reuse(on);
    for (int t = 1; t <= 3; t++)
        threaded(t);
    grad_alias();
    l2_empty_cache();
    mlp_flat();
    l2_empty_cache();
    is_int(stats().bytes_cached, 0, "nothing cached at the end");
    is_int(l2_live_tensors(), 0, "no tensor leaked");
    return tap_done();
}
