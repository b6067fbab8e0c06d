/* fashion_dist.h: the --distributed part of examples/fashion_mnist (issue 17), on libl2-dist:
 * data-parallel training as torch's DistributedDataParallel with a DistributedSampler. Without
 * MPI (configure found none) the functions say so and --distributed is refused. */
#ifndef FASHION_DIST_H
#define FASHION_DIST_H

#include <l2.h>

/* Initialise MPI (l2_dist_init); on ranks other than 0, stdout goes to /dev/null (rank 0 prints).
 * Returns this rank, or -1 after printing why (no MPI in this build, an MPI failure). */
int fashion_dist_init(int *argc, char ***argv, int64_t batch);
/* A loader over this rank's shard of (x, y) for epoch (l2_dist_sampler: seeded by seed, a new
 * permutation each epoch, padded as torch), in the sampler's order; frees old. Batches of
 * opts.batch_size. Exits with a message on failure. */
l2_loader *fashion_dist_loader(l2_loader *old, l2_tensor *x, l2_tensor *y, l2_loader_options opts,
                               int64_t epoch);
/* --overlap yes|no: 1 (the default) reduces the gradients during backward (l2_dist_ddp). */
extern int fashion_dist_overlap;
/* Rank 0's parameters and buffers to every rank (at the start); with fashion_dist_overlap, also
 * creates the l2_dist_ddp over the parameters (before the first backward). Exits on failure. */
void fashion_dist_broadcast(l2_params *p);
/* The mean of every rank's gradients (after backward, before the step: l2_dist_ddp_wait, or
 * without overlap l2_dist_allreduce_grads); on failure prints the error and ends the job
 * (l2_dist_abort). */
void fashion_dist_allreduce(l2_params *p);
/* l2_dist_finalize. */
void fashion_dist_finalize(void);

#endif
