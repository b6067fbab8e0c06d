/* dist-bench.c: libl2-dist's all-reduce under mpirun (make bench-dist; not in CI).
 *   1. bandwidth: l2_dist_allreduce_grads (SUM) of one float32 gradient of 1 to 100 MB, against
 *      a plain blocking MPI_Allreduce of the same buffer, with the default timeout (non-blocking
 *      collectives polled) and with timeout 0 (blocking); algorithm bandwidth = bytes / time;
 *   2. bucketing: the gradients of a realistic parameter list (a 4-layer transformer, d 512, and
 *      a 10000 x 512 embedding: 66 tensors, 17.7 M floats) reduced with one message per tensor
 *      (bucket_bytes 1), 1 MB buckets and the default 25 MB buckets;
 *   3. overlap: one training step's forward and backward over that list (loss = the sum over the
 *      tensors of sum(tanh(p) * p), each term computed in parameter order, so backward produces
 *      the gradients roughly in reverse order while there is work left) alone, followed by
 *      l2_dist_allreduce_grads (MEAN), and with l2_dist_ddp (the all-reduce started during
 *      backward, then l2_dist_ddp_wait), 1 MB and default buckets.
 * Each figure is the median of several runs, timed on rank 0 between barriers. */
#include <l2_dist.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#define REPS 7

/* Median seconds of one all-reduce of the n params' grads (bucket: bucket_bytes; -1: plain
 * MPI_Allreduce of the first grad). */
static double timeit(int n, l2_tensor **p, int64_t bucket)
{
    double t[REPS];
    for (int r = 0; r < REPS; r++) {
        l2_dist_barrier();
        double t0 = now();
        if (bucket < 0) {
            l2_tensor *g = l2_grad(p[0]);
            MPI_Allreduce(MPI_IN_PLACE, l2_data_ptr(g), (int)l2_numel(g), MPI_FLOAT, MPI_SUM,
                          MPI_COMM_WORLD);
        } else if (l2_dist_allreduce_grads(n, p, L2_DIST_SUM, bucket) != L2_OK) {
            fprintf(stderr, "dist-bench: %s\n", l2_last_error());
            l2_dist_abort(1);
        }
        t[r] = now() - t0;
    }
    qsort(t, REPS, sizeof t[0], cmp);
    return t[REPS / 2];
}

/* Median seconds of a step: forward + backward, then (mode 0) nothing, (1) l2_dist_allreduce_grads,
 * (2) l2_dist_ddp_wait on d (created by the caller: its hook runs during backward). */
static double step_time(int n, l2_tensor **p, int mode, int64_t bucket, l2_dist_ddp *d)
{
    double t[REPS];
    for (int r = 0; r < REPS; r++) {
        for (int i = 0; i < n; i++)
            l2_set_grad_none(p[i]);
        l2_dist_barrier();
        double t0 = now();
        l2_scope_begin();
        l2_tensor *loss = NULL;
        for (int i = 0; i < n; i++) {
            l2_tensor *term = l2_sum(l2_mul(l2_tanh(p[i]), p[i]));
            loss = loss ? l2_add(loss, term) : term;
        }
        l2_status st = l2_backward(loss, NULL, false);
        if (st == L2_OK && mode == 1)
            st = l2_dist_allreduce_grads(n, p, L2_DIST_MEAN, bucket);
        else if (st == L2_OK && mode == 2)
            st = l2_dist_ddp_wait(d);
        l2_scope_end();
        if (st != L2_OK) {
            fprintf(stderr, "dist-bench: %s\n", l2_last_error());
            l2_dist_abort(1);
        }
        t[r] = now() - t0;
    }
    qsort(t, REPS, sizeof t[0], cmp);
    return t[REPS / 2];
}

/* A leaf with a grad of ones, of the given shape. */
static l2_tensor *param(int ndim, const int64_t *shape)
{
    l2_tensor *p = l2_zeros(ndim, shape, L2_FLOAT32);
    l2_set_requires_grad(p, true);
    l2_tensor *s = l2_sum(p);
    l2_backward(s, NULL, false);
    l2_tensor_release(s);
    return p;
}

int main(int argc, char **argv)
{
    if (l2_dist_init(&argc, &argv) != L2_OK) {
        fprintf(stderr, "dist-bench: %s\n", l2_last_error());
        return 1;
    }
    int rank = l2_dist_rank(), world = l2_dist_world_size();
    if (rank == 0)
        printf("dist-bench: %d ranks\n\n| buffer | l2_dist_allreduce_grads (timeout 1800 s: "
               "non-blocking, polled) | l2_dist_allreduce_grads (timeout 0: blocking) | "
               "MPI_Allreduce |\n|---:|---:|---:|---:|\n",
               world);
    static const double mb[] = {1, 4, 16, 64, 100};
    for (int i = 0; i < 5; i++) {
        int64_t n = (int64_t)(mb[i] * 1e6 / 4);
        l2_tensor *p = param(1, (int64_t[]){n});
        double a = timeit(1, &p, 0), b = timeit(1, &p, -1);
        l2_dist_set_timeout(0);
        double c = timeit(1, &p, 0);
        l2_dist_set_timeout(1800);
        if (rank == 0)
            printf("| %g MB | %.3f ms, %.0f MB/s | %.3f ms, %.0f MB/s | %.3f ms, %.0f MB/s |\n",
                   mb[i], a * 1e3, mb[i] / a, c * 1e3, mb[i] / c, b * 1e3, mb[i] / b);
        l2_tensor_release(p);
    }
    /* A realistic list. */
    l2_tensor *ps[80];
    int n = 0;
    ps[n++] = param(2, (int64_t[]){10000, 512});
    for (int l = 0; l < 4; l++) {
        ps[n++] = param(2, (int64_t[]){1536, 512});
        ps[n++] = param(1, (int64_t[]){1536});
        ps[n++] = param(2, (int64_t[]){512, 512});
        ps[n++] = param(1, (int64_t[]){512});
        ps[n++] = param(1, (int64_t[]){512});
        ps[n++] = param(1, (int64_t[]){512});
        ps[n++] = param(2, (int64_t[]){2048, 512});
        ps[n++] = param(1, (int64_t[]){2048});
        ps[n++] = param(2, (int64_t[]){512, 2048});
        ps[n++] = param(1, (int64_t[]){512});
        ps[n++] = param(1, (int64_t[]){512});
        ps[n++] = param(1, (int64_t[]){512});
        for (int k = 0; k < 4; k++)
            ps[n++] = param(1, (int64_t[]){64});
    }
    ps[n++] = param(1, (int64_t[]){512});
    int64_t total = 0;
    for (int i = 0; i < n; i++)
        total += l2_numel(ps[i]);
    static const int64_t buckets[] = {1, 1 << 20, 0};
    static const char *names[] = {"one message per tensor", "1 MB buckets",
                                  "25 MB buckets (default)"};
    if (rank == 0)
        printf("\n%d tensors, %.1f M floats (%.1f MB):\n\n| all-reduce | time | MB/s |\n"
               "|---|---:|---:|\n",
               n, total / 1e6, total * 4 / 1e6);
    for (int blocking = 0; blocking < 2; blocking++) {
        l2_dist_set_timeout(blocking ? 0 : 1800);
        for (int b = 0; b < 3; b++) {
            double t = timeit(n, ps, buckets[b]);
            if (rank == 0)
                printf("| %s, %s | %.2f ms | %.0f |\n", names[b],
                       blocking ? "timeout 0 (blocking)" : "timeout 1800 s (non-blocking)", t * 1e3,
                       total * 4 / 1e6 / t);
        }
    }
    l2_dist_set_timeout(1800);
    /* 3. Overlap with a real backward. */
    double alone = step_time(n, ps, 0, 0, NULL);
    if (rank == 0)
        printf("\none step over the %d tensors (forward + backward of sum(tanh(p) * p), MEAN):\n\n"
               "| step | time |\n|---|---:|\n| forward + backward alone | %.2f ms |\n",
               n, alone * 1e3);
    static const int64_t obuckets[] = {1 << 20, 0};
    static const char *onames[] = {"1 MB buckets", "25 MB buckets (default)"};
    for (int b = 0; b < 2; b++) {
        double after = step_time(n, ps, 1, obuckets[b], NULL);
        l2_dist_ddp *d = l2_dist_ddp_new(n, ps, L2_DIST_MEAN, obuckets[b]);
        if (!d) {
            fprintf(stderr, "dist-bench: %s\n", l2_last_error());
            l2_dist_abort(1);
        }
        double ov = step_time(n, ps, 2, 0, d);
        l2_dist_ddp_stats st;
        l2_dist_ddp_get_stats(d, &st);
        l2_dist_ddp_free(d);
        if (rank == 0)
            printf("| %s, all-reduce after backward (l2_dist_allreduce_grads) | %.2f ms |\n"
                   "| %s, overlapped (l2_dist_ddp: %d of %d buckets started during backward, the "
                   "first with %d of %d gradients ready) | %.2f ms |\n",
                   onames[b], after * 1e3, onames[b], st.buckets_started_in_backward, st.buckets,
                   st.grads_ready_at_first_start, n, ov * 1e3);
    }
    for (int i = 0; i < n; i++)
        l2_tensor_release(ps[i]);
    l2_dist_finalize();
    return 0;
}
