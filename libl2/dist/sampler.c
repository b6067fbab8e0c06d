/* sampler.c: l2_dist_sampler, torch.utils.data.distributed.DistributedSampler's index lists.
 * The shuffled order is torch's: a mt19937 seeded with seed + epoch (torch.Generator's
 * manual_seed) drives torch's CPU randperm (a forward Fisher-Yates with random() % (n - i)).
 * No MPI here: the sampler only needs the world size and rank it is given. */
#include "l2_dist.h"

#include <stdlib.h>

struct l2_dist_sampler {
    int64_t n, num_samples, epoch;
    int num_replicas, rank;
    l2_dist_sampler_options opts;
};

/* The 32-bit Mersenne Twister (Matsumoto and Nishimura, 1998), seeded as std::mt19937 with the
 * seed's low 32 bits, as torch's CPU generator. */
typedef struct {
    uint32_t s[624];
    int i;
} mt19937;

static void mt_seed(mt19937 *m, uint64_t seed)
{
    m->s[0] = (uint32_t)seed;
    for (int j = 1; j < 624; j++)
        m->s[j] = 1812433253u * (m->s[j - 1] ^ (m->s[j - 1] >> 30)) + (uint32_t)j;
    m->i = 624;
}

static uint32_t mt_next(mt19937 *m)
{
    if (m->i >= 624) {
        for (int j = 0; j < 624; j++) {
            uint32_t y = (m->s[j] & 0x80000000u) | (m->s[(j + 1) % 624] & 0x7fffffffu);
            m->s[j] = m->s[(j + 397) % 624] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
        }
        m->i = 0;
    }
    uint32_t y = m->s[m->i++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    return y ^ (y >> 18);
}

l2_dist_sampler_options l2_dist_sampler_defaults(void)
{
    return (l2_dist_sampler_options){.shuffle = true, .seed = 0, .drop_last = false};
}

l2_dist_sampler *l2_dist_sampler_new(int64_t n, int num_replicas, int rank,
                                     l2_dist_sampler_options opts)
{
    if (n < 0) {
        l2_set_error(L2_ERR_ARG, "l2_dist_sampler_new: n must be >= 0, got %lld", (long long)n);
        return NULL;
    }
    if (num_replicas < 1 || rank < 0 || rank >= num_replicas) {
        l2_set_error(L2_ERR_ARG,
                     "l2_dist_sampler_new: invalid rank %d, rank should be in the interval "
                     "[0, %d] (num_replicas %d)",
                     rank, num_replicas - 1, num_replicas);
        return NULL;
    }
    if (opts.seed > (uint64_t)INT64_MAX) {
        l2_set_error(L2_ERR_ARG, "l2_dist_sampler_new: seed %llu is above INT64_MAX",
                     (unsigned long long)opts.seed);
        return NULL;
    }
    if (opts.shuffle && n >= (int64_t)(UINT32_MAX / 20)) {
        l2_set_error(L2_ERR_UNSUPPORTED,
                     "l2_dist_sampler_new: shuffling n = %lld >= 214748364 examples is not "
                     "supported yet (torch's randperm takes another path there)",
                     (long long)n);
        return NULL;
    }
    l2_dist_sampler *s = malloc(sizeof *s);
    if (!s) {
        l2_set_error(L2_ERR_NOMEM, "l2_dist_sampler_new: out of memory");
        return NULL;
    }
    /* torch: ceil((n - W) / W) with drop_last and a remainder (= floor(n / W)), else ceil(n / W).
     */
    int64_t w = num_replicas;
    s->num_samples = opts.drop_last ? n / w : n / w + (n % w != 0);
    s->n = n;
    s->epoch = 0;
    s->num_replicas = num_replicas;
    s->rank = rank;
    s->opts = opts;
    return s;
}

l2_status l2_dist_sampler_set_epoch(l2_dist_sampler *s, int64_t epoch)
{
    if (!s)
        return l2_set_error(L2_ERR_NULL, "l2_dist_sampler_set_epoch: s is NULL");
    if (epoch < 0 || (uint64_t)epoch > (uint64_t)INT64_MAX - s->opts.seed)
        return l2_set_error(L2_ERR_ARG,
                            "l2_dist_sampler_set_epoch: epoch %lld is negative or seed + epoch "
                            "overflows int64",
                            (long long)epoch);
    s->epoch = epoch;
    return L2_OK;
}

int64_t l2_dist_sampler_len(const l2_dist_sampler *s)
{
    if (!s) {
        l2_set_error(L2_ERR_NULL, "l2_dist_sampler_len: s is NULL");
        return -1;
    }
    return s->num_samples;
}

l2_tensor *l2_dist_sampler_indices(const l2_dist_sampler *s)
{
    if (!s) {
        l2_set_error(L2_ERR_NULL, "l2_dist_sampler_indices: s is NULL");
        return NULL;
    }
    int64_t n = s->n, w = s->num_replicas, len = s->num_samples;
    int64_t *perm = malloc((size_t)(n ? n : 1) * sizeof *perm);
    int64_t *mine = malloc((size_t)(len ? len : 1) * sizeof *mine);
    if (!perm || !mine) {
        free(perm);
        free(mine);
        l2_set_error(L2_ERR_NOMEM, "l2_dist_sampler_indices: out of memory for %lld indices",
                     (long long)n);
        return NULL;
    }
    for (int64_t i = 0; i < n; i++)
        perm[i] = i;
    if (s->opts.shuffle) {
        /* torch's randperm_cpu: for i < n - 1, z = random() % (n - i), swap entries i and i + z. */
        static _Thread_local mt19937 m;
        mt_seed(&m, s->opts.seed + (uint64_t)s->epoch);
        for (int64_t i = 0; i + 1 < n; i++) {
            int64_t z = (int64_t)(mt_next(&m) % (uint64_t)(n - i));
            int64_t t = perm[i];
            perm[i] = perm[i + z];
            perm[i + z] = t;
        }
    }
    /* Entry k of the padded (or cut) list of len * w entries is perm[k % n]; rank r takes
     * k = r, r + w, ... */
    for (int64_t j = 0; j < len; j++)
        mine[j] = perm[(s->rank + j * w) % n];
    l2_tensor *t = l2_from_data(mine, 1, (int64_t[]){len}, L2_INT64);
    free(perm);
    free(mine);
    return t;
}

void l2_dist_sampler_free(l2_dist_sampler *s)
{
    free(s);
}
