/* l2_dist.h: data-parallel training on MPI (libl2-dist, issue 17), the way PyTorch's
 * DistributedDataParallel works: every rank (process) holds the whole model, trains on its own
 * shard of each batch, and the gradients are all-reduced (averaged) before every optimizer step,
 * so all ranks take the same step. This header is the specification of libl2-dist; the core
 * library (l2.h) knows nothing of MPI. Link with `pkg-config --libs l2-dist` and start with
 * `mpirun -np N program ...`.
 *
 *     l2_dist_init(&argc, &argv);
 *     ... make the model (params: a list of n tensors) and the optimizer ...
 *     l2_dist_broadcast_params(n, params, 0);           // all ranks start from rank 0's values
 *     l2_dist_sampler *s = l2_dist_sampler_new(N, l2_dist_world_size(), l2_dist_rank(),
 *                                              l2_dist_sampler_defaults());
 *     for (epoch ...) {
 *         l2_dist_sampler_set_epoch(s, epoch);
 *         l2_tensor *idx = l2_dist_sampler_indices(s);  // this rank's examples this epoch
 *         for (batch of idx) {
 *             ... forward, loss, l2_backward ...
 *             if (l2_dist_allreduce_grads(n, params, L2_DIST_MEAN, 0) != L2_OK) {
 *                 fprintf(stderr, "%s\n", l2_last_error());
 *                 l2_dist_abort(1);                     // stop every rank now
 *             }
 *             l2_optimizer_step(opt);
 *         }
 *     }
 *     l2_dist_finalize();
 *
 * Errors: as in l2.h, every call returns a status (or -1 / NULL) and sets l2_last_status() and a
 * one-line l2_last_error() naming the function. MPI's own failures come back as L2_ERR_COMM with
 * MPI's error string: libl2-dist sets MPI_ERRORS_RETURN on its communicator and never aborts by
 * itself (only l2_dist_abort does). MPI_Init failing is the one exception: Open MPI's default
 * handler applies before any communicator exists.
 *
 * Failure of another rank. Every collective is non-blocking (MPI_Ibarrier, MPI_Ibcast,
 * MPI_Iallreduce) and polled with MPI_Test until it completes or the timeout expires
 * (l2_dist_set_timeout, 1800 s by default as torch.distributed's default timeout). With timeout 0
 * (no limit) the broadcast and all-reduce use the blocking MPI_Bcast / MPI_Allreduce instead,
 * bucket after bucket: Open MPI's blocking collectives are faster than its non-blocking ones for
 * large buffers (make bench-dist), at the price of waiting forever for a stuck rank. What a user
 * sees when a rank fails:
 *   - a rank that exits with a non-zero status or is killed: mpirun (Open MPI's error manager)
 *     kills the other ranks at once and exits non-zero, printing "mpirun detected that one or
 *     more processes exited with non-zero status" and the rank and exit code;
 *   - a rank that stops taking part (stuck, or it skipped a collective): the others' call
 *     returns L2_ERR_COMM "...: timed out after T s waiting for the other ranks ..." when the
 *     timeout expires. The collective is then abandoned: every later collective fails at once
 *     with L2_ERR_COMM, and l2_dist_finalize does not call MPI_Finalize (it could wait forever);
 *     call l2_dist_abort(code) to end every rank.
 *   - a rank that gets an error status from libl2 itself should call l2_dist_abort(code).
 *
 * Threads: call libl2-dist from one thread (MPI_THREAD_FUNNELED). Dtypes: gradients float32 or
 * float64; broadcast copies bytes and takes every dtype (BatchNorm's int64 num_batches_tracked
 * included). Tensors must be contiguous.
 */
#ifndef L2_DIST_H
#define L2_DIST_H

#include <l2.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Initialise MPI (MPI_Init_thread, FUNNELED; argc/argv may be NULL) or, when the program already
 * initialised MPI, join it (and leave MPI_Finalize to the program). Duplicates MPI_COMM_WORLD into
 * libl2-dist's own communicator with MPI_ERRORS_RETURN. L2_ERR_ARG if already initialised by
 * l2_dist_init (without a finalize in between) or if MPI was already finalised; L2_ERR_COMM for
 * an MPI failure. */
L2_API l2_status l2_dist_init(int *argc, char ***argv);
/* Free the communicator and, if l2_dist_init initialised MPI, call MPI_Finalize (collective: every
 * rank calls it). L2_ERR_ARG if not initialised; L2_ERR_COMM after a failed or timed-out
 * collective (MPI_Finalize is then skipped: use l2_dist_abort) or an MPI failure. */
L2_API l2_status l2_dist_finalize(void);
/* Whether l2_dist_init succeeded and l2_dist_finalize was not called yet. */
L2_API bool l2_dist_is_initialized(void);
/* This process's rank (0..W-1) and the number of ranks W; -1 with L2_ERR_ARG before
 * l2_dist_init. */
L2_API int l2_dist_rank(void);
L2_API int l2_dist_world_size(void);
/* How long a collective waits for the other ranks before it fails with L2_ERR_COMM: seconds > 0,
 * or 0 for no limit. Default 1800 (torch.distributed's). Local to this rank (no MPI call; may be
 * called before l2_dist_init). L2_ERR_ARG for a negative or non-finite value. */
L2_API l2_status l2_dist_set_timeout(double seconds);
L2_API double l2_dist_get_timeout(void);
/* Wait until every rank has called it (MPI_Ibarrier). L2_ERR_ARG before init; L2_ERR_COMM on an
 * MPI failure or the timeout. */
L2_API l2_status l2_dist_barrier(void);
/* End every rank of the job now (MPI_Abort with code on libl2-dist's communicator, or on
 * MPI_COMM_WORLD before l2_dist_init); when MPI is not initialised (or finalised), end this
 * process with _Exit(code). Does not return. */
L2_API void l2_dist_abort(int code);

/* Bucket size for the two calls below: 0 means this default, torch DDP's bucket_cap_mb = 25. */
#define L2_DIST_BUCKET_DEFAULT ((int64_t)25 * 1024 * 1024)

/* Copy rank 0's values of n tensors into every other rank's (as DDP does at construction, for
 * parameters and buffers; pass l2_params_state_tensors to include buffers). The tensors are packed
 * into flat buckets of about bucket_bytes (0: L2_DIST_BUCKET_DEFAULT; a tensor larger than that is
 * a bucket of its own) sent with MPI_Ibcast, all in flight at once. The values are written in
 * place (memcpy, under no autograd: the tensors' version counters do not change). Every rank
 * must pass tensors of the same shapes and dtypes in the same order: this is checked (one small
 * MPI_Iallreduce) and a mismatch is L2_ERR_COMM on every rank, with nothing changed.
 * Errors (nothing changed, no MPI call): L2_ERR_ARG before init, for n < 0, bucket_bytes < 0, a
 * non-contiguous tensor or one above INT_MAX bytes; L2_ERR_NULL for a NULL array (n > 0) or entry.
 * L2_ERR_NOMEM; L2_ERR_COMM for an MPI failure or the timeout (the values are then unspecified). */
L2_API l2_status l2_dist_broadcast_params(int n, l2_tensor *const *params, int64_t bucket_bytes);

typedef enum { L2_DIST_SUM = 0, L2_DIST_MEAN = 1 } l2_dist_reduce;
/* All-reduce the gradients of n parameters across ranks, in place: SUM leaves every rank with the
 * sum over ranks; MEAN (DDP's) divides each gradient by W before summing, as torch's default
 * communication hook. Parameters whose grad is NULL (unused in this step, or not requiring grad)
 * are skipped, as DDP with find_unused_parameters; every rank must then skip the same ones
 * (checked, see below). The gradients are packed in reverse parameter order (the order backward
 * produces them, as DDP) into flat buckets of about bucket_bytes (0: L2_DIST_BUCKET_DEFAULT;
 * consecutive gradients of one dtype; a larger gradient is a bucket of its own; 1 gives one
 * message per tensor; a bucket of one tensor is reduced in the gradient itself, the others are
 * packed into a buffer kept between calls), and each bucket's MPI_Iallreduce starts as soon as it
 * is packed, while the next is packed; all are waited at the end, polled against the timeout
 * (timeout 0: a blocking MPI_Allreduce per bucket, no overlap). (For the overlap with backward, see
 * l2_dist_ddp below.) Before sending,
 * the ranks check (one small MPI_Iallreduce) that they reduce the same list of shapes and dtypes; a
 * mismatch is L2_ERR_COMM on every rank with nothing changed. Errors (nothing changed, no MPI
 * call): L2_ERR_ARG before init, for n < 0, an op other than SUM or MEAN, bucket_bytes < 0, a
 * non-contiguous grad or one above INT_MAX bytes; L2_ERR_NULL for a NULL array (n > 0) or entry;
 * L2_ERR_DTYPE for a grad that is not float32 or float64; L2_ERR_NOMEM. L2_ERR_COMM for an MPI
 * failure or the timeout (the gradients are then unspecified).
 */
L2_API l2_status l2_dist_allreduce_grads(int n, l2_tensor *const *params, l2_dist_reduce op,
                                         int64_t bucket_bytes);

/* Overlap of the all-reduce with backward, as torch's DistributedDataParallel: an l2_dist_ddp
 * installs libl2's grad-ready hook (l2_set_grad_ready_hook, on the calling thread) for n
 * parameters (float32 or float64 leaves that require grad, each at most INT_MAX bytes, no
 * duplicates). The parameters are taken in reverse order (the order backward produces their
 * gradients) into flat buckets of about bucket_bytes (0: L2_DIST_BUCKET_DEFAULT; consecutive
 * parameters of one dtype; a larger one is a bucket of its own), fixed at creation. During each
 * l2_backward, as each parameter's gradient becomes ready the hook copies it (MEAN: divided by
 * W, as torch's hook) into its place in its bucket and, as soon as the bucket's last gradient
 * has arrived, starts the bucket's MPI_Iallreduce while backward goes on (in bucket order, as
 * DDP: a full bucket waits for the ones before it, so that every rank starts the same
 * collectives in the same order whatever order its backward produced them in). After the backward,
 * l2_dist_ddp_wait (collective) starts the buckets not started yet (a parameter that got no
 * gradient on this rank counts as zeros), waits for all of them against the timeout (l2_dist_
 * set_timeout; 0: no limit), agrees with the other ranks that none of them discarded the step
 * (one small all-reduce) and writes the reduced values into the .grad fields.
 * The reduced gradient REPLACES .grad: the hook sees only this backward's gradient, so whatever
 * .grad held before the backward is discarded (zero the gradients, or set them to none, before
 * each backward as usual: the result is then what l2_dist_allreduce_grads gives, bit for bit).
 * A parameter whose .grad is NULL after the backward (no gradient on this rank) stays NULL and
 * its reduced value is dropped: as with l2_dist_allreduce_grads, every rank must skip the same
 * ones; its bucket, and so the buckets after it, start only at the wait. One backward per step: a second gradient for a parameter before the wait fails that
 * backward (L2_ERR_ARG). Leaves that are not among the parameters are ignored by the hook.
 * The object keeps a reference to each parameter and holds the hook until l2_dist_ddp_free; only
 * one l2_dist_ddp exists at a time (the hook is one per thread). Use it from the thread that
 * created it, and free it before l2_dist_finalize (a backward after the finalize fails in the
 * hook). It always uses the non-blocking collectives (with timeout 0 they are waited without a
 * limit), and pokes those in flight at each gradient, as Open MPI progresses them only inside
 * MPI calls.
 *
 * l2_dist_ddp_new (collective: checks with one small all-reduce that every rank builds the same
 * buckets): NULL with L2_ERR_ARG before init, for n < 0, an op other than SUM or MEAN,
 * bucket_bytes < 0, a parameter that is not a leaf requiring grad, above INT_MAX bytes, or given
 * twice, or while another l2_dist_ddp exists; L2_ERR_NULL for a NULL array (n > 0) or entry;
 * L2_ERR_DTYPE for a parameter that is not float32 or float64; L2_ERR_NOMEM; L2_ERR_COMM for an
 * MPI failure, the timeout, or ranks whose lists differ (on every rank). Nothing is installed on
 * failure. During backward, the hook fails the backward (nothing committed to .grad) with
 * L2_ERR_COMM when an MPI call fails or the communicator is already broken, L2_ERR_ARG for a
 * second gradient in one step or after an earlier failed backward not yet discarded.
 *
 * A backward that fails after some buckets started (out of memory, an error in a hook): the
 * started collectives cannot be taken back. Call l2_dist_ddp_discard instead of the wait
 * (collective: it completes every bucket with the other ranks, zeros for what this rank did not
 * send, and throws the result away): .grad stays as the failed backward left it (unchanged), the
 * object is ready for the next step, and the ranks that called l2_dist_ddp_wait for that step get
 * L2_ERR_COMM ("another rank discarded this step") with their .grad unchanged too.
 *
 * l2_dist_ddp_wait: L2_ERR_NULL for d NULL; L2_ERR_ARG, no MPI call and nothing changed, after a
 * failed backward (use discard) or when a parameter's .grad is not a contiguous tensor of the
 * parameter's dtype and size; L2_ERR_COMM for an MPI failure or the timeout (the communicator is
 * then unusable: call l2_dist_abort; .grad is unchanged) or a rank that discarded the step.
 * l2_dist_ddp_discard: L2_ERR_NULL; L2_ERR_COMM (MPI failure, timeout).
 * l2_dist_ddp_free: NULL does nothing; uninstalls the hook; waits for buckets still in flight
 * (against the timeout) and releases the parameters. */
typedef struct l2_dist_ddp l2_dist_ddp;
typedef struct {
    int buckets;                     /* buckets per step */
    int buckets_started_in_backward; /* in the last backward, started by the hook */
    int grads_ready_at_first_start;  /* in the last backward: gradients seen when the first
                                        bucket started (0: none started during backward); less
                                        than the number of parameters proves the overlap */
    int64_t steps;                   /* successful l2_dist_ddp_wait calls */
} l2_dist_ddp_stats;
L2_API l2_dist_ddp *l2_dist_ddp_new(int n, l2_tensor *const *params, l2_dist_reduce op,
                                    int64_t bucket_bytes);
L2_API l2_status l2_dist_ddp_wait(l2_dist_ddp *d);
L2_API l2_status l2_dist_ddp_discard(l2_dist_ddp *d);
/* Counters (for tests and benchmarks): L2_ERR_NULL for a NULL argument. */
L2_API l2_status l2_dist_ddp_get_stats(const l2_dist_ddp *d, l2_dist_ddp_stats *out);
L2_API void l2_dist_ddp_free(l2_dist_ddp *d);

/* A sampler that shards a dataset of n examples across num_replicas ranks per epoch, as
 * torch.utils.data.distributed.DistributedSampler (same index lists, checked against torch):
 * shuffle: the permutation torch.randperm(n) draws from a torch.Generator seeded with
 * seed + epoch (the same on every rank: torch's mt19937 and its randperm), else 0..n-1;
 * drop_last false: the list is padded to a multiple of num_replicas by repeating it from its
 * start; drop_last true: its tail is dropped instead. Rank r takes the entries r, r + W, r + 2W...
 * so every rank gets l2_dist_sampler_len = ceil(n / W) examples (drop_last: floor(n / W)), and
 * without padding the ranks together cover each example exactly once per epoch. The sampler
 * makes no MPI call: pass l2_dist_world_size() and l2_dist_rank(), or any values. */
typedef struct l2_dist_sampler l2_dist_sampler;
typedef struct {
    bool shuffle;   /* default true */
    uint64_t seed;  /* default 0 */
    bool drop_last; /* default false */
} l2_dist_sampler_options;
L2_API l2_dist_sampler_options l2_dist_sampler_defaults(void);
/* NULL with L2_ERR_ARG for n < 0, num_replicas < 1, rank outside [0, num_replicas) (torch's
 * ValueError), a seed above INT64_MAX (torch's manual_seed refuses it); L2_ERR_UNSUPPORTED for
 * shuffle with n >= 214748364 (UINT32_MAX / 20: torch's randperm uses another algorithm from there
 * on, not reproduced yet); L2_ERR_NOMEM. Free with
 * l2_dist_sampler_free. */
L2_API l2_dist_sampler *l2_dist_sampler_new(int64_t n, int num_replicas, int rank,
                                            l2_dist_sampler_options opts);
/* The epoch whose permutation l2_dist_sampler_indices gives (default 0; torch's set_epoch).
 * L2_ERR_NULL; L2_ERR_ARG for a negative epoch or seed + epoch above INT64_MAX. */
L2_API l2_status l2_dist_sampler_set_epoch(l2_dist_sampler *s, int64_t epoch);
/* Examples per rank per epoch (torch's len(sampler)); -1 with L2_ERR_NULL. */
L2_API int64_t l2_dist_sampler_len(const l2_dist_sampler *s);
/* This rank's indices for the current epoch: a new int64 tensor of l2_dist_sampler_len entries
 * (use with l2_index_select). NULL with L2_ERR_NULL or L2_ERR_NOMEM. */
L2_API l2_tensor *l2_dist_sampler_indices(const l2_dist_sampler *s);
/* NULL does nothing. */
L2_API void l2_dist_sampler_free(l2_dist_sampler *s);

#ifdef __cplusplus
}
#endif
#endif
