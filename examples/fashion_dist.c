/* fashion_dist.c: examples/fashion_mnist's --distributed mode (issue 17): every rank trains on
 * its shard of each epoch (l2_dist_sampler, as torch's DistributedSampler), the gradients are
 * averaged across ranks (MEAN, 25 MB buckets: during backward with l2_dist_ddp, or with --overlap
 * no after it with l2_dist_allreduce_grads) and
 * all ranks start from rank 0's weights (l2_dist_broadcast_params). Rank 0 prints. Built without
 * MPI, --distributed says so. */
#include "fashion_dist.h"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

int fashion_dist_overlap = 1;

#ifdef L2_HAVE_MPI
#include "dist/l2_dist.h"

static l2_dist_sampler *sampler = NULL;
static l2_dist_ddp *ddp = NULL;

int fashion_dist_init(int *argc, char ***argv, int64_t batch)
{
    if (l2_dist_init(argc, argv) != L2_OK) {
        fprintf(stderr, "fashion_mnist: %s\n", l2_last_error());
        return -1;
    }
    int rank = l2_dist_rank(), world = l2_dist_world_size();
    if (rank != 0 && !freopen("/dev/null", "w", stdout)) {
        fprintf(stderr, "fashion_mnist: rank %d: cannot silence stdout\n", rank);
        l2_dist_abort(1);
    }
    printf("distributed: %d ranks, batch %lld per rank (%lld per step); each epoch's loss, "
           "accuracy and examples/s are rank 0's (the job processes %d times the examples)\n",
           world, (long long)batch, (long long)(batch * world), world);
    return rank;
}

l2_loader *fashion_dist_loader(l2_loader *old, l2_tensor *x, l2_tensor *y, l2_loader_options opts,
                               int64_t epoch)
{
    l2_loader_free(old);
    if (!sampler) {
        l2_dist_sampler_options so = l2_dist_sampler_defaults();
        so.shuffle = opts.shuffle;
        so.seed = opts.seed;
        sampler = l2_dist_sampler_new(l2_size(x, 0), l2_dist_world_size(), l2_dist_rank(), so);
    }
    l2_loader *ld = NULL;
    if (sampler && l2_dist_sampler_set_epoch(sampler, epoch) == L2_OK) {
        l2_scope_begin();
        l2_tensor *idx = l2_dist_sampler_indices(sampler);
        l2_tensor *xs = idx ? l2_index_select(x, 0, idx) : NULL;
        l2_tensor *ys = xs ? l2_index_select(y, 0, idx) : NULL;
        opts.shuffle = false; /* the sampler's order, as a DataLoader with a sampler */
        if (ys)
            ld = l2_loader_new(2, (l2_tensor *[]){xs, ys}, opts);
        l2_scope_end();
    }
    if (!ld) {
        fprintf(stderr, "fashion_mnist: rank %d: the shard of epoch %lld: %s\n", l2_dist_rank(),
                (long long)epoch, l2_last_error());
        l2_dist_abort(1);
    }
    return ld;
}

void fashion_dist_broadcast(l2_params *p)
{
    if (l2_dist_broadcast_params(l2_params_state_count(p), l2_params_state_tensors(p), 0)) {
        fprintf(stderr, "fashion_mnist: rank %d: %s\n", l2_dist_rank(), l2_last_error());
        l2_dist_abort(1);
    }
    if (fashion_dist_overlap &&
        !(ddp = l2_dist_ddp_new(l2_params_count(p), l2_params_tensors(p), L2_DIST_MEAN, 0))) {
        fprintf(stderr, "fashion_mnist: rank %d: %s\n", l2_dist_rank(), l2_last_error());
        l2_dist_abort(1);
    }
}

void fashion_dist_allreduce(l2_params *p)
{
    if (ddp ? l2_dist_ddp_wait(ddp)
            : l2_dist_allreduce_grads(l2_params_count(p), l2_params_tensors(p), L2_DIST_MEAN, 0)) {
        fprintf(stderr, "fashion_mnist: rank %d: %s\n", l2_dist_rank(), l2_last_error());
        l2_dist_abort(1);
    }
}

void fashion_dist_finalize(void)
{
    l2_dist_sampler_free(sampler);
    sampler = NULL;
    l2_dist_ddp_free(ddp);
    ddp = NULL;
    if (l2_dist_finalize() != L2_OK)
        fprintf(stderr, "fashion_mnist: %s\n", l2_last_error());
}

#else /* no MPI: --distributed is refused by fashion_dist_init; the rest is never reached */

int fashion_dist_init(int *argc, char ***argv, int64_t batch)
{
    (void)argc, (void)argv, (void)batch;
    fprintf(stderr, "fashion_mnist: --distributed needs libl2-dist, and this build has no MPI "
                    "(install libopenmpi-dev openmpi-bin and configure --with-mpi)\n");
    return -1;
}

l2_loader *fashion_dist_loader(l2_loader *old, l2_tensor *x, l2_tensor *y, l2_loader_options opts,
                               int64_t epoch)
{
    (void)old, (void)x, (void)y, (void)opts, (void)epoch;
    abort();
}

void fashion_dist_broadcast(l2_params *p)
{
    (void)p;
    abort();
}
void fashion_dist_allreduce(l2_params *p)
{
    (void)p;
    abort();
}
void fashion_dist_finalize(void) {}
#endif
