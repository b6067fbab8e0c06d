/* dist-overlap.c: l2_dist_ddp, the all-reduce overlapped with backward (run by tests/dist.sh
 * under mpirun, 2 ranks; TAP from rank 0, each check agreed across ranks).
 *   dist-overlap overlap  k steps of SGD with momentum and of Adam through l2_dist_ddp give
 *                         bitwise the parameters of l2_dist_allreduce_grads (and of one process
 *                         with batch 2B within the tolerance), with buckets of one tensor, of
 *                         256 bytes and the default; the first bucket's MPI_Iallreduce starts
 *                         during backward, before the last gradient is ready; .grad is replaced;
 *                         parameters without a gradient; a failed backward discarded on one rank
 *                         gives L2_ERR_COMM on the other with nothing changed; argument errors.
 *   dist-overlap stall    rank 1 does its backward but skips l2_dist_ddp_wait at step 3 and
 *                         sleeps: rank 0's wait times out (2 s) with L2_ERR_COMM, it aborts (4).
 */
#include <l2_dist.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

#define K_ 6 /* steps */
#include "dist-mlp.h"

static l2_optimizer *make_opt(const mlp *m, int adam)
{
    if (adam)
        return l2_adam(4, m->p,
                       (l2_adam_options){.lr = 1e-2, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8});
    return l2_sgd(4, m->p, (l2_sgd_options){.lr = 0.1, .momentum = 0.9});
}

/* K_ steps three ways: through l2_dist_ddp (ov), through l2_dist_allreduce_grads (ar), and one
 * process with batch 2B (ref). *ov_ar: max |ov - ar| (want 0); *ov_ref; *stats of the last step. */
static int equality_run(l2_dtype dt, int adam, int64_t bucket, double *ov_ar, double *ov_ref,
                        l2_dist_ddp_stats *stats)
{
    l2_manual_seed(7);
    l2_tensor *x = l2_randn(2, (int64_t[]){K_ * 2 * B_, I_}, dt);
    l2_tensor *y = l2_randint(0, O_, 1, (int64_t[]){K_ * 2 * B_});
    mlp ov, ar, ref;
    mlp_init(&ov, dt);
    mlp_init(&ar, dt);
    mlp_init(&ref, dt);
    l2_dist_ddp *d = l2_dist_ddp_new(4, ov.p, L2_DIST_MEAN, bucket);
    l2_optimizer *oo = make_opt(&ov, adam), *oa = make_opt(&ar, adam), *orf = make_opt(&ref, adam);
    int bad = !d;
    for (int s = 0; s < K_ && !bad; s++) {
        l2_scope_begin();
        const l2_tensor *xs = l2_narrow(x, 0, s * 2 * B_ + rank * B_, B_);
        const l2_tensor *ys = l2_narrow(y, 0, s * 2 * B_ + rank * B_, B_);
        bad |= l2_backward(mlp_loss(&ov, xs, ys), NULL, false) != L2_OK;
        bad |= l2_dist_ddp_wait(d) != L2_OK;
        bad |= l2_optimizer_step(oo) != L2_OK;
        l2_optimizer_zero_grad(oo, true);
        bad |= l2_backward(mlp_loss(&ar, xs, ys), NULL, false) != L2_OK;
        bad |= l2_dist_allreduce_grads(4, ar.p, L2_DIST_MEAN, bucket) != L2_OK;
        bad |= l2_optimizer_step(oa) != L2_OK;
        l2_optimizer_zero_grad(oa, true);
        bad |= l2_backward(mlp_loss(&ref, l2_narrow(x, 0, s * 2 * B_, 2 * B_),
                                    l2_narrow(y, 0, s * 2 * B_, 2 * B_)),
                           NULL, false) != L2_OK;
        bad |= l2_optimizer_step(orf) != L2_OK;
        l2_optimizer_zero_grad(orf, true);
        l2_scope_end();
    }
    if (bad)
        printf("# rank %d: %s\n", rank, l2_last_error());
    *ov_ar = bad ? INFINITY : maxdiff(&ov, &ar);
    *ov_ref = bad ? INFINITY : maxdiff(&ov, &ref);
    if (d)
        l2_dist_ddp_get_stats(d, stats);
    l2_dist_ddp_free(d);
    l2_optimizer_free(oo);
    l2_optimizer_free(oa);
    l2_optimizer_free(orf);
    mlp_free(&ov);
    mlp_free(&ar);
    mlp_free(&ref);
    l2_tensor_release(x);
    l2_tensor_release(y);
    return !bad;
}

/* max and min of a parameter's grad (NAN when it has none). */
static void grad_range(const l2_tensor *p, double *lo, double *hi)
{
    *lo = *hi = NAN;
    if (!l2_grad(p))
        return;
    l2_scope_begin();
    l2_item(l2_min(l2_grad(p)), lo);
    l2_item(l2_max(l2_grad(p)), hi);
    l2_scope_end();
}

/* Out of memory at every allocation of rank 1's backward in turn (rank 0's succeeds): rank 1
 * discards (its .grad stays none), rank 0's wait is L2_ERR_COMM with its .grad unchanged; the
 * sweep ends when rank 1's backward succeeds, and that step reduces. */
static void oom_sweep(void)
{
    mlp m;
    mlp_init(&m, L2_FLOAT64);
    l2_manual_seed(3);
    l2_tensor *x = l2_randn(2, (int64_t[]){B_, I_}, L2_FLOAT64);
    l2_tensor *y = l2_randint(0, O_, 1, (int64_t[]){B_});
    l2_dist_ddp *d = l2_dist_ddp_new(4, m.p, L2_DIST_MEAN, 1);
    int good = d != NULL, failures = 0, late = 0, done = 0;
    for (int k = 0; k < 400 && good && !done; k++) {
        for (int i = 0; i < 4; i++)
            l2_set_grad_none(m.p[i]);
        l2_scope_begin();
        l2_tensor *loss = mlp_loss(&m, x, y);
        if (rank == 1)
            l2_debug_fail_alloc_after(k);
        l2_status st = l2_backward(loss, NULL, false);
        l2_debug_fail_alloc_after(-1);
        int ok1 = st == L2_OK, all = 0;
        MPI_Allreduce(&ok1, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
        if (rank == 1 && !ok1) {
            l2_dist_ddp_stats ds;
            l2_dist_ddp_get_stats(d, &ds);
            late += ds.buckets_started_in_backward > 0;
            failures++;
            good &= l2_dist_ddp_discard(d) == L2_OK;
            for (int i = 0; i < 4; i++)
                good &= l2_grad(m.p[i]) == NULL;
        } else if (!all) {
            l2_tensor *before = l2_clone(l2_grad(m.p[0]));
            l2_status w = l2_dist_ddp_wait(d);
            double diff = INFINITY;
            l2_item(l2_max(l2_abs(l2_sub(before, l2_grad(m.p[0])))), &diff);
            good &= w == L2_ERR_COMM && strstr(l2_last_error(), "another rank discarded") &&
                    diff == 0;
        } else {
            good &= st == L2_OK && l2_dist_ddp_wait(d) == L2_OK;
            done = 1;
        }
        l2_scope_end();
        if (!good)
            printf("# rank %d, oom sweep k %d: %s\n", rank, k, l2_last_error());
    }
    MPI_Bcast(&failures, 1, MPI_INT, 1, MPI_COMM_WORLD);
    MPI_Bcast(&late, 1, MPI_INT, 1, MPI_COMM_WORLD);
    char name[300];
    snprintf(name, sizeof name,
             "out of memory in rank 1's backward at each of its %d allocations (%d of them after "
             "buckets had started): rank 1 discards, rank 0's wait is L2_ERR_COMM, .grad "
             "unchanged on both; then a step reduces",
             failures, late);
    all_ok(good && done && failures > 0 && late > 0, name);
    l2_dist_ddp_free(d);
    l2_tensor_release(x);
    l2_tensor_release(y);
    mlp_free(&m);
}

static int overlap(void)
{
    /* Bitwise equal to l2_dist_allreduce_grads; near one process with batch 2B. */
    for (int dti = 0; dti < 2; dti++)
        for (int adam = 0; adam < 2; adam++)
            for (int bi = 0; bi < 3; bi++) {
                l2_dtype dt = dti ? L2_FLOAT64 : L2_FLOAT32;
                /* 1: a bucket per tensor (4); 256: two buckets; 0: the default, one bucket */
                int64_t bucket = bi == 0 ? 1 : bi == 1 ? 256 : 0;
                double a = INFINITY, r = INFINITY, tol = dti ? 1e-14 : 1e-6;
                l2_dist_ddp_stats st = {0};
                int good = equality_run(dt, adam, bucket, &a, &r, &st);
                char name[300];
                snprintf(name, sizeof name,
                         "overlap, %s %s, bucket %lld (%d buckets, %d started in backward): "
                         "vs l2_dist_allreduce_grads %g (want 0), vs 1 x batch %d %.3g (tol %g)",
                         adam ? "Adam" : "SGD momentum 0.9", l2_dtype_name(dt), (long long)bucket,
                         st.buckets, st.buckets_started_in_backward, a, world * B_, r, tol);
                all_ok(good && a == 0 && r <= tol && st.steps == K_ &&
                           st.buckets == (bi == 0   ? 4
                                          : bi == 1 ? 2
                                                    : 1) &&
                           st.buckets_started_in_backward == st.buckets,
                       name);
                if (bi == 0) {
                    /* The proof of the overlap: the first bucket (b2, the last parameter) started
                     * from the hook while the other parameters' gradients were not ready yet. */
                    snprintf(name, sizeof name,
                             "overlap, %s %s, bucket 1: the first MPI_Iallreduce started when "
                             "%d of 4 gradients were ready",
                             adam ? "Adam" : "SGD", l2_dtype_name(dt),
                             st.grads_ready_at_first_start);
                    all_ok(st.grads_ready_at_first_start >= 1 && st.grads_ready_at_first_start < 4,
                           name);
                }
            }
    oom_sweep();
    /* .grad replaced; SUM; a parameter without a gradient (its bucket finished at the wait). */
    {
        mlp m;
        mlp_init(&m, L2_FLOAT32);
        l2_dist_ddp *d = l2_dist_ddp_new(4, m.p, L2_DIST_SUM, 1);
        l2_scope_begin();
        /* an old .grad on p[0] (5 everywhere) that the reduced gradient must replace */
        l2_backward(l2_sum(l2_mul_scalar(m.p[0], 5.0)), NULL, false);
        l2_dist_ddp_discard(d); /* that backward fed the hook: throw it away */
        l2_status st = L2_OK;
        for (int i = 0; i < 3 && st == L2_OK; i++)
            st = l2_backward(l2_sum(l2_mul_scalar(m.p[i], rank + 1.0)), NULL, false);
        l2_dist_ddp_stats s0 = {0};
        l2_dist_ddp_get_stats(d, &s0);
        if (st == L2_OK)
            st = l2_dist_ddp_wait(d);
        l2_scope_end();
        double want = world * (world + 1) / 2.0, lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < 3; i++) {
            double a, b;
            grad_range(m.p[i], &a, &b);
            lo = fmin(lo, a);
            hi = fmax(hi, b);
        }
        char name[300];
        snprintf(name, sizeof name,
                 "overlap SUM: grads %g..%g (want %g: .grad replaced, not added to), the "
                 "parameter without a gradient stays without one; %d of 4 buckets started in "
                 "backward (0: the first bucket, the gradient-less parameter, holds back the "
                 "others until the wait)",
                 lo, hi, want, s0.buckets_started_in_backward);
        all_ok(st == L2_OK && lo == want && hi == want && !l2_grad(m.p[3]) &&
                   s0.buckets_started_in_backward == 0,
               name);
        /* One backward per step: a second one fails in the hook (nothing committed); this rank
         * discards, the other (rank 0) waits and gets L2_ERR_COMM; grads unchanged on both. */
        for (int i = 0; i < 4; i++)
            l2_set_grad_none(m.p[i]);
        l2_scope_begin();
        st = l2_backward(l2_sum(l2_mul_scalar(m.p[0], rank + 1.0)), NULL, false);
        l2_status second = L2_OK, fin;
        char msg2[256] = "";
        if (rank == 1) {
            second = l2_backward(l2_sum(l2_mul_scalar(m.p[0], 10.0)), NULL, false);
            snprintf(msg2, sizeof msg2, "%s", l2_last_error());
            l2_status w = l2_dist_ddp_wait(d); /* refused: use discard */
            int refused = w == L2_ERR_ARG && strstr(l2_last_error(), "discard");
            fin = l2_dist_ddp_discard(d);
            if (!refused)
                fin = L2_ERR_UNSUPPORTED;
        } else {
            fin = l2_dist_ddp_wait(d);
        }
        double lo0, hi0;
        grad_range(m.p[0], &lo0, &hi0);
        l2_scope_end();
        int good =
            st == L2_OK &&
            (rank == 1 ? second == L2_ERR_ARG && strstr(msg2, "second gradient") && fin == L2_OK
                       : fin == L2_ERR_COMM && strstr(l2_last_error(), "another rank discarded")) &&
            lo0 == rank + 1.0 && hi0 == rank + 1.0;
        if (!good)
            printf("# rank %d: %s %s %s lo %g hi %g\n", rank, l2_status_name(st),
                   l2_status_name(second), l2_status_name(fin), lo0, hi0);
        all_ok(good, "a second backward fails in the hook; that rank discards, the other's wait "
                     "is L2_ERR_COMM; .grad unchanged on both");
        /* and the next step works again */
        for (int i = 0; i < 4; i++)
            l2_set_grad_none(m.p[i]);
        l2_scope_begin();
        st = l2_backward(l2_sum(l2_mul_scalar(m.p[0], rank + 1.0)), NULL, false);
        if (st == L2_OK)
            st = l2_dist_ddp_wait(d);
        grad_range(m.p[0], &lo0, &hi0);
        l2_scope_end();
        all_ok(st == L2_OK && lo0 == want && hi0 == want, "after a discarded step the next one "
                                                          "reduces again");
        /* Argument errors (every rank passes the same ones; no MPI call). */
        l2_tensor *bad[2] = {m.p[0], NULL};
        l2_tensor *dup[2] = {m.p[0], m.p[0]};
        l2_tensor *tmp = l2_mul_scalar(m.p[0], 2.0); /* not a leaf */
        l2_tensor *ints = l2_zeros(1, (int64_t[]){3}, L2_INT64);
        l2_tensor *nl[1] = {tmp}, *in[1] = {ints};
        l2_dist_ddp *again = l2_dist_ddp_new(4, m.p, L2_DIST_MEAN, 0);
        int eg = !again && l2_last_status() == L2_ERR_ARG &&
                 strstr(l2_last_error(), "another l2_dist_ddp");
        l2_dist_ddp_free(again);
        l2_dist_ddp_free(d);
        all_ok(eg, "l2_dist_ddp_new while another exists: NULL, L2_ERR_ARG");
        /* statuses and messages, one call each */
        struct {
            l2_status want;
            const char *msg;
            int which;
        } e3[] = {{L2_ERR_ARG, "n must be >= 0", 0},     {L2_ERR_NULL, "params is NULL", 1},
                  {L2_ERR_NULL, "params[1] is NULL", 2}, {L2_ERR_ARG, "op must be", 3},
                  {L2_ERR_ARG, "bucket_bytes", 4},       {L2_ERR_ARG, "same tensor", 5},
                  {L2_ERR_ARG, "not a leaf", 6},         {L2_ERR_DTYPE, "float64 only", 7}};
        int allgood = 1;
        for (size_t i = 0; i < sizeof e3 / sizeof e3[0]; i++) {
            l2_dist_ddp *g = NULL;
            switch (e3[i].which) {
            case 0:
                g = l2_dist_ddp_new(-1, m.p, L2_DIST_MEAN, 0);
                break;
            case 1:
                g = l2_dist_ddp_new(2, NULL, L2_DIST_MEAN, 0);
                break;
            case 2:
                g = l2_dist_ddp_new(2, bad, L2_DIST_MEAN, 0);
                break;
            case 3:
                g = l2_dist_ddp_new(4, m.p, (l2_dist_reduce)7, 0);
                break;
            case 4:
                g = l2_dist_ddp_new(4, m.p, L2_DIST_SUM, -5);
                break;
            case 5:
                g = l2_dist_ddp_new(2, dup, L2_DIST_SUM, 0);
                break;
            case 6:
                g = l2_dist_ddp_new(1, nl, L2_DIST_SUM, 0);
                break;
            default:
                g = l2_dist_ddp_new(1, in, L2_DIST_SUM, 0);
                break;
            }
            int okk = !g && l2_last_status() == e3[i].want && strstr(l2_last_error(), e3[i].msg);
            if (!okk)
                printf("# rank %d case %zu: %s %s\n", rank, i, l2_status_name(l2_last_status()),
                       l2_last_error());
            allgood &= okk;
            l2_dist_ddp_free(g);
        }
        all_ok(allgood, "l2_dist_ddp_new: each bad argument gives its status and message");
        l2_dist_ddp_stats sx;
        all_ok(l2_dist_ddp_wait(NULL) == L2_ERR_NULL && l2_dist_ddp_discard(NULL) == L2_ERR_NULL &&
                   l2_dist_ddp_get_stats(NULL, &sx) == L2_ERR_NULL,
               "NULL object: L2_ERR_NULL; l2_dist_ddp_free(NULL) does nothing");
        l2_dist_ddp_free(NULL);
        /* Ranks with different lists: L2_ERR_COMM on every rank, nothing installed. */
        l2_dist_ddp *dm = l2_dist_ddp_new(rank == 0 ? 4 : 2, m.p, L2_DIST_MEAN, 0);
        all_ok(!dm && l2_last_status() == L2_ERR_COMM &&
                   strstr(l2_last_error(), "different tensors"),
               "l2_dist_ddp_new with different lists on the ranks: L2_ERR_COMM everywhere");
        /* nothing installed: a backward no longer touches buckets, and a new object works */
        dm = l2_dist_ddp_new(4, m.p, L2_DIST_MEAN, 0);
        all_ok(dm != NULL, "a new l2_dist_ddp after the failed ones and the freed one");
        l2_dist_ddp_free(dm);
        l2_tensor_release(tmp);
        l2_tensor_release(ints);
        mlp_free(&m);
    }
    return 0;
}

/* rank 1 skips the wait at step 3 (its backward has started buckets) and sleeps. */
static int stall(void)
{
    l2_dist_set_timeout(2.0);
    mlp m;
    mlp_init(&m, L2_FLOAT32);
    l2_manual_seed(7);
    l2_tensor *x = l2_randn(2, (int64_t[]){B_, I_}, L2_FLOAT32);
    l2_tensor *y = l2_randint(0, O_, 1, (int64_t[]){B_});
    l2_dist_ddp *d = l2_dist_ddp_new(4, m.p, L2_DIST_MEAN, 1);
    for (int s = 0; s < 100 && d; s++) {
        l2_scope_begin();
        l2_status st = l2_backward(mlp_loss(&m, x, y), NULL, false);
        if (rank == 1 && s == 3) {
            fprintf(stderr, "dist-overlap: rank 1 skips l2_dist_ddp_wait at step 3 and sleeps\n");
            sleep(30);
            _exit(0);
        }
        if (st == L2_OK)
            st = l2_dist_ddp_wait(d);
        l2_scope_end();
        if (st != L2_OK) {
            printf("rank %d, step %d: %s: %s\n", rank, s, l2_status_name(st), l2_last_error());
            fflush(stdout);
            l2_dist_abort(4);
        }
        for (int i = 0; i < 4; i++)
            l2_set_grad_none(m.p[i]);
    }
    return 1;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "overlap";
    if (l2_dist_init(&argc, &argv) != L2_OK) {
        fprintf(stderr, "dist-overlap: %s\n", l2_last_error());
        return 1;
    }
    rank = l2_dist_rank();
    world = l2_dist_world_size();
    setvbuf(stdout, NULL, _IOLBF, 0);
    int rc = !strcmp(mode, "stall") ? stall() : overlap();
    l2_dist_finalize();
    return rank == 0 ? tap_done() : rc;
}
