/* dist-train.c: libl2-dist under mpirun (run by tests/dist.sh; TAP from rank 0, each check
 * agreed across ranks).
 *   dist-train train   (2 ranks) broadcast makes the ranks start equal; k steps of SGD with
 *                      momentum and of Adam with per-rank batch B and the MEAN all-reduce give
 *                      the parameters of one process with batch 2B over the same samples
 *                      (float32 and float64, small and default buckets); SUM; a rank passing a
 *                      different list gets L2_ERR_COMM on every rank with nothing changed.
 *   dist-train die     rank 1 calls _exit(3) at step 3; rank 0 goes on (mpirun ends the job).
 *   dist-train stall   rank 1 skips the all-reduce at step 3 and sleeps; rank 0's call times out
 *                      (timeout 2 s): it prints the L2_ERR_COMM message and calls l2_dist_abort(4).
 */
#include <l2_dist.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

#define K_ 8 /* steps */
#include "dist-mlp.h"

/* Largest |p - rank 0's p| over the parameters, on every rank (plain MPI: independent of
 * libl2-dist). */
static double cross_rank_diff(const mlp *m)
{
    double d = 0;
    for (int i = 0; i < 4; i++) {
        l2_tensor *c = l2_to_dtype(m->p[i], L2_FLOAT64);
        int64_t n = l2_numel(c);
        double *mine = l2_data_ptr(c), *r0 = malloc(sizeof *r0 * (size_t)n);
        memcpy(r0, mine, sizeof *r0 * (size_t)n);
        MPI_Bcast(r0, (int)n, MPI_DOUBLE, 0, MPI_COMM_WORLD);
        for (int64_t k = 0; k < n; k++)
            d = fmax(d, fabs(mine[k] - r0[k]));
        free(r0);
        l2_tensor_release(c);
    }
    double all = 0;
    MPI_Allreduce(&d, &all, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    return all;
}

static l2_optimizer *make_opt(const mlp *m, int adam)
{
    if (adam)
        return l2_adam(4, m->p,
                       (l2_adam_options){.lr = 1e-2, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8});
    return l2_sgd(4, m->p, (l2_sgd_options){.lr = 0.1, .momentum = 0.9});
}

/* K_ steps of one optimizer, distributed (each rank its B_ rows of every 2 B_) and, on every rank,
 * the single-process reference with batch 2 B_; returns the largest difference (max over ranks). */
static double equality_run(l2_dtype dt, int adam, int64_t bucket, double *ranks_diff)
{
    l2_manual_seed(7);
    l2_tensor *x = l2_randn(2, (int64_t[]){K_ * 2 * B_, I_}, dt);
    l2_tensor *y = l2_randint(0, O_, 1, (int64_t[]){K_ * 2 * B_});
    mlp d, ref;
    mlp_init(&d, dt);
    mlp_init(&ref, dt);
    l2_dist_broadcast_params(4, d.p, bucket);
    l2_optimizer *od = make_opt(&d, adam), *oref = make_opt(&ref, adam);
    int bad = 0;
    for (int s = 0; s < K_; s++) {
        l2_scope_begin();
        l2_tensor *loss = mlp_loss(&d, l2_narrow(x, 0, s * 2 * B_ + rank * B_, B_),
                                   l2_narrow(y, 0, s * 2 * B_ + rank * B_, B_));
        bad |= l2_backward(loss, NULL, false) != L2_OK;
        bad |= l2_dist_allreduce_grads(4, d.p, L2_DIST_MEAN, bucket) != L2_OK;
        bad |= l2_optimizer_step(od) != L2_OK;
        l2_optimizer_zero_grad(od, true);
        l2_tensor *lr = mlp_loss(&ref, l2_narrow(x, 0, s * 2 * B_, 2 * B_),
                                 l2_narrow(y, 0, s * 2 * B_, 2 * B_));
        bad |= l2_backward(lr, NULL, false) != L2_OK;
        bad |= l2_optimizer_step(oref) != L2_OK;
        l2_optimizer_zero_grad(oref, true);
        l2_scope_end();
    }
    if (bad)
        printf("# rank %d: %s\n", rank, l2_last_error());
    double diff = bad ? INFINITY : maxdiff(&d, &ref), all = 0;
    MPI_Allreduce(&diff, &all, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    *ranks_diff = cross_rank_diff(&d);
    l2_optimizer_free(od);
    l2_optimizer_free(oref);
    mlp_free(&d);
    mlp_free(&ref);
    l2_tensor_release(x);
    l2_tensor_release(y);
    return all;
}

static int train(void)
{
    /* (b) broadcast: rank 1 starts from other values (a fill); afterwards all equal rank 0's,
     * bitwise, with one bucket per tensor and with one bucket for all. */
    for (int dti = 0; dti < 2; dti++) {
        l2_dtype dt = dti ? L2_FLOAT64 : L2_FLOAT32;
        for (int bi = 0; bi < 3; bi++) {
            mlp m;
            mlp_init(&m, dt);
            if (rank != 0) {
                l2_no_grad_begin();
                for (int i = 0; i < 4; i++)
                    l2_fill_(m.p[i], 3.0 + i);
                l2_no_grad_end();
            }
            double before = cross_rank_diff(&m);
            l2_dist_set_timeout(bi == 2 ? 0 : 1800);
            l2_status st = l2_dist_broadcast_params(4, m.p, bi ? 0 : 1);
            l2_dist_set_timeout(1800);
            double after = cross_rank_diff(&m);
            char name[256];
            snprintf(name, sizeof name, "broadcast %s, %s: ranks differ by %g before, %g after",
                     l2_dtype_name(dt),
                     bi == 2 ? "blocking"
                     : bi    ? "default bucket"
                             : "a bucket per tensor",
                     before, after);
            all_ok(st == L2_OK && before > 1 && after == 0, name);
            mlp_free(&m);
        }
    }
    /* (a) DDP equals one process with batch 2B. Tolerance: float32 1e-6, float64 1e-14 (the
     * per-rank means are halved and summed where the reference averages 2B rows at once:
     * rounding differs in the last bits, and K_ steps carry it on). */
    double worst32 = 0;
    for (int dti = 0; dti < 2; dti++)
        for (int adam = 0; adam < 2; adam++)
            for (int bi = 0; bi < 4; bi++) {
                l2_dtype dt = dti ? L2_FLOAT64 : L2_FLOAT32;
                /* 256: two packed buckets of two tensors; 0: one packed bucket; 1: every
                 * tensor reduced in place (a bucket of its own) */
                int64_t bucket = bi == 3 ? 1 : bi ? 0 : 256;
                double ranks = INFINITY;
                l2_dist_set_timeout(bi == 2 ? 0 : 1800); /* 0: the blocking collectives */
                double d = equality_run(dt, adam, bucket, &ranks);
                l2_dist_set_timeout(1800);
                double tol = dti ? 1e-14 : 1e-6;
                if (!dti)
                    worst32 = fmax(worst32, d);
                char name[256];
                snprintf(name, sizeof name,
                         "%s %s, bucket %lld%s: %d ranks x batch %d vs 1 x %d after %d steps: "
                         "largest difference %.3g (tol %g), ranks differ by %g",
                         adam ? "Adam" : "SGD momentum 0.9", l2_dtype_name(dt), (long long)bucket,
                         bi == 2 ? " (timeout 0, blocking)" : "", world, B_, world * B_, K_, d, tol,
                         ranks);
                all_ok(d <= tol && ranks == 0, name);
            }
    if (rank == 0)
        printf("# largest float32 difference, DDP vs one process: %.3g\n", worst32);
    /* SUM: rank r's grads are all r + 1: the sum is W (W + 1) / 2 everywhere; a parameter
     * without a grad is skipped on every rank. */
    {
        mlp m;
        mlp_init(&m, L2_FLOAT32);
        l2_scope_begin();
        for (int i = 0; i < 3; i++) {
            l2_tensor *s = l2_sum(l2_mul_scalar(m.p[i], rank + 1.0));
            l2_backward(s, NULL, false);
        }
        l2_status st = l2_dist_allreduce_grads(4, m.p, L2_DIST_SUM, 16);
        double lo = INFINITY, hi = -INFINITY, want = world * (world + 1) / 2.0;
        for (int i = 0; i < 3; i++) {
            double a = NAN, b = NAN;
            l2_item(l2_min(l2_grad(m.p[i])), &a);
            l2_item(l2_max(l2_grad(m.p[i])), &b);
            lo = fmin(lo, a);
            hi = fmax(hi, b);
        }
        l2_scope_end();
        all_ok(st == L2_OK && lo == want && hi == want && !l2_grad(m.p[3]),
               "SUM: every grad is W (W + 1) / 2, the grad-less parameter skipped");
        /* A rank that passes another list: L2_ERR_COMM on every rank, grads unchanged. */
        st = l2_dist_allreduce_grads(rank == 0 ? 4 : 2, m.p, L2_DIST_SUM, 0);
        double g = NAN;
        l2_scope_begin();
        l2_item(l2_max(l2_grad(m.p[0])), &g);
        l2_scope_end();
        all_ok(st == L2_ERR_COMM && strstr(l2_last_error(), "different tensors") && g == want,
               "different lists on the ranks: L2_ERR_COMM everywhere, nothing changed");
        if (rank == 0)
            printf("# %s\n", l2_last_error());
        mlp_free(&m);
    }
    /* (e) bad arguments after init: an error status and message, checked before any MPI call
     * (every rank passes the same bad arguments). */
    {
        mlp m;
        mlp_init(&m, L2_FLOAT32);
        l2_tensor *bad[2] = {m.p[0], NULL};
        l2_tensor *tr = l2_transpose(m.p[0], 0, 1);
        l2_tensor *nc[1] = {tr};
        struct {
            l2_status got, want;
            const char *msg, *name;
        } e[] = {
            {l2_dist_allreduce_grads(-1, m.p, L2_DIST_MEAN, 0), L2_ERR_ARG, "n must be >= 0",
             "all-reduce n -1"},
            {l2_dist_allreduce_grads(2, NULL, L2_DIST_MEAN, 0), L2_ERR_NULL, "params is NULL",
             "all-reduce NULL array"},
            {l2_dist_allreduce_grads(2, bad, L2_DIST_MEAN, 0), L2_ERR_NULL, "params[1] is NULL",
             "all-reduce NULL entry"},
            {l2_dist_allreduce_grads(4, m.p, (l2_dist_reduce)7, 0), L2_ERR_ARG,
             "op must be L2_DIST_SUM or L2_DIST_MEAN", "all-reduce op 7"},
            {l2_dist_allreduce_grads(4, m.p, L2_DIST_SUM, -5), L2_ERR_ARG,
             "bucket_bytes must be >= 0", "all-reduce bucket -5"},
            {l2_dist_broadcast_params(1, nc, 0), L2_ERR_ARG, "is not contiguous",
             "broadcast of a transposed view"},
            {l2_dist_broadcast_params(-2, m.p, 0), L2_ERR_ARG, "n must be >= 0", "broadcast n -2"},
            {l2_dist_broadcast_params(1, bad + 1, 0), L2_ERR_NULL, "params[0] is NULL",
             "broadcast NULL entry"},
        };
        for (size_t i = 0; i < sizeof e / sizeof e[0]; i++) {
            int good = e[i].got == e[i].want;
            char name[256];
            snprintf(name, sizeof name, "%s: %s", e[i].name, l2_status_name(e[i].got));
            all_ok(good, name);
        }
        /* the messages (the last one set is the last call's) */
        all_ok(strstr(l2_last_error(), "l2_dist_broadcast_params: params[0] is NULL") != NULL,
               "the message names the function and the argument");
        all_ok(l2_dist_allreduce_grads(0, NULL, L2_DIST_MEAN, 0) == L2_OK &&
                   l2_dist_broadcast_params(0, NULL, 0) == L2_OK,
               "n = 0 with NULL: nothing to do, L2_OK");
        l2_tensor_release(tr);
        mlp_free(&m);
    }
    /* A barrier, and the rank and size. */
    all_ok(l2_dist_barrier() == L2_OK && world == 2 && rank >= 0 && rank < world,
           "barrier; rank and world size");
    return 0;
}

/* die / stall: a training loop in which rank 1 fails at step 3. */
static int fail_run(int die)
{
    l2_dist_set_timeout(2.0);
    mlp m;
    mlp_init(&m, L2_FLOAT32);
    l2_manual_seed(7);
    l2_tensor *x = l2_randn(2, (int64_t[]){B_, I_}, L2_FLOAT32);
    l2_tensor *y = l2_randint(0, O_, 1, (int64_t[]){B_});
    for (int s = 0; s < 100; s++) {
        if (rank == 1 && s == 3) {
            if (die) {
                fprintf(stderr, "dist-train: rank 1 exits with status 3 at step 3\n");
                _exit(3);
            }
            fprintf(stderr, "dist-train: rank 1 skips the all-reduce at step 3 and sleeps\n");
            sleep(30);
            _exit(0);
        }
        l2_scope_begin();
        l2_backward(mlp_loss(&m, x, y), NULL, false);
        l2_status st = l2_dist_allreduce_grads(4, m.p, L2_DIST_MEAN, 0);
        l2_scope_end();
        if (st != L2_OK) {
            printf("rank %d, step %d: %s: %s\n", rank, s, l2_status_name(st), l2_last_error());
            fflush(stdout);
            l2_dist_abort(4);
        }
        for (int i = 0; i < 4; i++)
            l2_set_grad_none(m.p[i]);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "train";
    /* train: the program initialises MPI itself and libl2-dist joins it; die/stall: l2_dist_init
     * initialises MPI. */
    bool join = !strcmp(mode, "train");
    if (join)
        MPI_Init(&argc, &argv);
    if (l2_dist_init(&argc, &argv) != L2_OK) {
        fprintf(stderr, "dist-train: %s\n", l2_last_error());
        return 1;
    }
    rank = l2_dist_rank();
    world = l2_dist_world_size();
    setvbuf(stdout, NULL, _IOLBF, 0);
    int rc = 0;
    if (join) {
        l2_status again = l2_dist_init(&argc, &argv);
        all_ok(again == L2_ERR_ARG && strstr(l2_last_error(), "already initialised") &&
                   l2_dist_is_initialized(),
               "l2_dist_init joins an initialised MPI; a second call is L2_ERR_ARG");
        rc = train();
        int fin = 1;
        l2_status st = l2_dist_finalize();
        MPI_Finalized(&fin);
        all_ok(st == L2_OK && !fin && !l2_dist_is_initialized(),
               "l2_dist_finalize after joining leaves MPI to the program");
        st = l2_dist_init(NULL, NULL);
        all_ok(st == L2_OK && l2_dist_rank() == rank && l2_dist_barrier() == L2_OK,
               "join again after finalize");
        l2_dist_finalize();
        MPI_Finalize();
        /* After MPI_Finalize: no MPI call may follow; l2_dist_init refuses. */
        l2_status late = l2_dist_init(NULL, NULL);
        int good = late == L2_ERR_ARG && strstr(l2_last_error(), "already finalised");
        if (rank == 0)
            ok(good, "l2_dist_init after MPI_Finalize: L2_ERR_ARG");
        else if (!good)
            rc = 1;
    } else {
        rc = fail_run(!strcmp(mode, "die"));
        l2_dist_finalize();
    }
    return rank == 0 ? tap_done() : rc;
}
