/* dist-args.c: libl2-dist without mpirun and without any MPI call (run by tests/dist.sh):
 * every function's error statuses for NULL and bad arguments before l2_dist_init, and the
 * sampler: each epoch the ranks together cover the dataset exactly once (padding: the first
 * indices repeated; drop_last: the tail dropped), the same permutation on every rank, a new one
 * per epoch. `dist-args dump` prints index lists for tests/dist_sampler_torch.py instead;
 * `dist-args abort` calls l2_dist_abort(5) before init (the exit status must be 5). */
#include <l2_dist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static void is_status(l2_status got, l2_status want, const char *msg, const char *name)
{
    int good = got == want && l2_last_status() == want && strstr(l2_last_error(), msg);
    if (!ok(good, "%s", name))
        printf("#   got %s \"%s\", want %s \"%s\"\n", l2_status_name(got), l2_last_error(),
               l2_status_name(want), msg);
}

/* This rank's indices as a malloc'd array (len entries). */
static int64_t *indices(l2_dist_sampler *s, int64_t *len)
{
    l2_tensor *t = l2_dist_sampler_indices(s);
    *len = l2_numel(t);
    int64_t *a = malloc(sizeof *a * (size_t)(*len ? *len : 1));
    if (*len)
        memcpy(a, l2_data_ptr(t), sizeof *a * (size_t)*len);
    l2_tensor_release(t);
    return a;
}

static void dump(void)
{
    static const int64_t ns[] = {0, 1, 5, 10, 17, 100};
    for (size_t a = 0; a < sizeof ns / sizeof ns[0]; a++)
        for (int w = 1; w <= 4; w++)
            for (int f = 0; f < 4; f++)
                for (int64_t epoch = 0; epoch < 2; epoch++)
                    for (int r = 0; r < w; r++) {
                        l2_dist_sampler_options o = {
                            .shuffle = f & 1, .drop_last = f >> 1, .seed = 42};
                        l2_dist_sampler *s = l2_dist_sampler_new(ns[a], w, r, o);
                        l2_dist_sampler_set_epoch(s, epoch);
                        int64_t len;
                        int64_t *ix = indices(s, &len);
                        printf("%lld %d %d %d %d %lld %lld:", (long long)ns[a], w, r, f & 1, f >> 1,
                               (long long)epoch, (long long)l2_dist_sampler_len(s));
                        for (int64_t k = 0; k < len; k++)
                            printf(" %lld", (long long)ix[k]);
                        printf("\n");
                        free(ix);
                        l2_dist_sampler_free(s);
                    }
}

/* (c) coverage of one configuration over two epochs. */
static void coverage(int64_t n, int w, bool drop_last)
{
    int bad = 0;
    int64_t *first = NULL, first_len = 0;
    for (int64_t epoch = 0; epoch < 2; epoch++) {
        int64_t *count = calloc((size_t)(n ? n : 1), sizeof *count), total = 0;
        for (int r = 0; r < w; r++) {
            l2_dist_sampler_options o = l2_dist_sampler_defaults();
            o.drop_last = drop_last;
            o.seed = 5;
            l2_dist_sampler *s = l2_dist_sampler_new(n, w, r, o);
            l2_dist_sampler_set_epoch(s, epoch);
            int64_t len;
            int64_t *ix = indices(s, &len);
            bad |= len != l2_dist_sampler_len(s);
            bad |= len != (drop_last ? n / w : (n + w - 1) / w);
            for (int64_t k = 0; k < len; k++) {
                bad |= ix[k] < 0 || ix[k] >= n;
                if (ix[k] >= 0 && ix[k] < n)
                    count[ix[k]]++;
            }
            total += len;
            if (epoch == 0 && r == 0) {
                first = ix;
                first_len = len;
            } else if (epoch == 1 && r == 0) {
                /* a new permutation each epoch (for n large enough to tell) */
                if (n >= 20)
                    bad |= first_len == len && !memcmp(first, ix, sizeof *ix * (size_t)len);
                free(ix);
            } else
                free(ix);
            l2_dist_sampler_free(s);
        }
        /* Exactly once; with padding the first total - n of the permutation once more (each
         * example seen floor(total / n) or ceil(total / n) times: n < W repeats more than once);
         * with drop_last n % W examples not at all. */
        int64_t lo = INT64_MAX, hi = 0, at_hi = 0, none = 0, sum = 0;
        for (int64_t i = 0; i < n; i++) {
            lo = count[i] < lo ? count[i] : lo;
            hi = count[i] > hi ? count[i] : hi;
            none += count[i] == 0;
            sum += count[i];
        }
        for (int64_t i = 0; i < n; i++)
            at_hi += count[i] == hi;
        bad |= sum != total;
        if (drop_last)
            bad |= total != n - n % w || none != n % w || hi > 1;
        else if (n > 0)
            bad |= total != ((n + w - 1) / w) * w || none || hi - lo > 1 ||
                   hi != (total + n - 1) / n || (total % n && at_hi != total % n);
        else
            bad |= total != 0;
        free(count);
    }
    free(first);
    ok(!bad, "sampler n %lld, %d ranks%s: each example once per epoch%s, a new order each epoch",
       (long long)n, w, drop_last ? ", drop_last" : "",
       drop_last ? " (the tail dropped)" : " (padding repeats the first ones)");
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "abort"))
        l2_dist_abort(5); /* before init: ends this process with 5 */
    if (argc > 1 && !strcmp(argv[1], "dump")) {
        dump();
        return 0;
    }
    /* (e) before l2_dist_init: errors, no MPI call (this program never runs under mpirun). */
    ok(!l2_dist_is_initialized(), "not initialised");
    ok(l2_dist_rank() == -1 && l2_last_status() == L2_ERR_ARG, "rank before init: -1, L2_ERR_ARG");
    ok(l2_dist_world_size() == -1 && l2_last_status() == L2_ERR_ARG,
       "world size before init: -1, L2_ERR_ARG");
    is_status(l2_dist_barrier(), L2_ERR_ARG, "l2_dist_init has not been called", "barrier");
    is_status(l2_dist_finalize(), L2_ERR_ARG, "l2_dist_init has not been called", "finalize");
    l2_tensor *p = l2_zeros(1, (int64_t[]){3}, L2_FLOAT32);
    is_status(l2_dist_broadcast_params(1, &p, 0), L2_ERR_ARG, "l2_dist_init has not been called",
              "broadcast before init");
    is_status(l2_dist_allreduce_grads(1, &p, L2_DIST_MEAN, 0), L2_ERR_ARG,
              "l2_dist_init has not been called", "all-reduce before init");
    ok(!l2_dist_ddp_new(1, &p, L2_DIST_MEAN, 0) && l2_last_status() == L2_ERR_ARG &&
           strstr(l2_last_error(), "l2_dist_init has not been called"),
       "l2_dist_ddp_new before init: NULL, L2_ERR_ARG");
    l2_dist_ddp_stats ds;
    is_status(l2_dist_ddp_wait(NULL), L2_ERR_NULL, "d is NULL", "l2_dist_ddp_wait(NULL)");
    is_status(l2_dist_ddp_discard(NULL), L2_ERR_NULL, "d is NULL", "l2_dist_ddp_discard(NULL)");
    is_status(l2_dist_ddp_get_stats(NULL, &ds), L2_ERR_NULL, "d is NULL", "ddp stats d NULL");
    l2_dist_ddp_free(NULL);
    l2_tensor_release(p);
    is_status(l2_dist_set_timeout(-1), L2_ERR_ARG, "finite and >= 0", "timeout -1");
    is_status(l2_dist_set_timeout(NAN), L2_ERR_ARG, "finite and >= 0", "timeout NaN");
    is_status(l2_dist_set_timeout(INFINITY), L2_ERR_ARG, "finite and >= 0", "timeout inf");
    ok(l2_dist_get_timeout() == 1800, "the default timeout is 1800 s, unchanged by the errors");
    ok(l2_dist_set_timeout(0) == L2_OK && l2_dist_get_timeout() == 0, "timeout 0: no limit");
    /* Sampler arguments. */
    l2_dist_sampler_options o = l2_dist_sampler_defaults();
    ok(o.shuffle && o.seed == 0 && !o.drop_last, "sampler defaults as torch's");
    l2_dist_sampler *s = l2_dist_sampler_new(-1, 2, 0, o);
    is_status(s ? L2_OK : l2_last_status(), L2_ERR_ARG, "n must be >= 0", "sampler n -1");
    s = l2_dist_sampler_new(10, 0, 0, o);
    is_status(s ? L2_OK : l2_last_status(), L2_ERR_ARG, "invalid rank", "sampler 0 replicas");
    s = l2_dist_sampler_new(10, 2, 2, o);
    is_status(s ? L2_OK : l2_last_status(), L2_ERR_ARG, "invalid rank 2", "sampler rank 2 of 2");
    s = l2_dist_sampler_new(10, 2, -1, o);
    is_status(s ? L2_OK : l2_last_status(), L2_ERR_ARG, "invalid rank -1", "sampler rank -1");
    o.seed = (uint64_t)INT64_MAX + 1;
    s = l2_dist_sampler_new(10, 2, 0, o);
    is_status(s ? L2_OK : l2_last_status(), L2_ERR_ARG, "above INT64_MAX", "sampler seed 2^63");
    o.seed = 0;
    s = l2_dist_sampler_new((int64_t)1 << 40, 2, 0, o);
    is_status(s ? L2_OK : l2_last_status(), L2_ERR_UNSUPPORTED, "not supported yet",
              "sampler: shuffling 2^40 examples");
    is_status(l2_dist_sampler_set_epoch(NULL, 1), L2_ERR_NULL, "s is NULL", "set_epoch(NULL)");
    ok(l2_dist_sampler_len(NULL) == -1 && l2_last_status() == L2_ERR_NULL, "len(NULL)");
    ok(!l2_dist_sampler_indices(NULL) && l2_last_status() == L2_ERR_NULL, "indices(NULL)");
    l2_dist_sampler_free(NULL);
    o.seed = (uint64_t)INT64_MAX - 1;
    s = l2_dist_sampler_new(10, 2, 1, o);
    ok(s != NULL, "seed INT64_MAX - 1 is accepted");
    is_status(l2_dist_sampler_set_epoch(s, -1), L2_ERR_ARG, "epoch -1", "set_epoch(-1)");
    is_status(l2_dist_sampler_set_epoch(s, 2), L2_ERR_ARG, "overflows", "seed + epoch overflow");
    ok(l2_dist_sampler_set_epoch(s, 1) == L2_OK, "seed + epoch = INT64_MAX is accepted");
    l2_dist_sampler_free(s);
    /* (c) coverage. */
    static const int64_t ns[] = {0, 1, 7, 10, 64, 101};
    for (size_t a = 0; a < sizeof ns / sizeof ns[0]; a++)
        for (int w = 1; w <= 4; w++)
            for (int d = 0; d < 2; d++)
                coverage(ns[a], w, d);
    return tap_done();
}
