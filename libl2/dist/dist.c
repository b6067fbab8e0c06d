/* dist.c: libl2-dist's MPI part: init/finalize, rank and size, barrier, abort, the bucketed
 * broadcast of parameters and all-reduce of gradients. Every collective is non-blocking and polled
 * against the timeout (l2__dist_wait_all), so a rank that stops taking part gives L2_ERR_COMM
 * instead of a hang. The communicator is a duplicate of MPI_COMM_WORLD with MPI_ERRORS_RETURN. The
 * sampler is in sampler.c (no MPI there). */
#include "dist-internal.h"

#include <limits.h>
#include <stdint.h>
#include <math.h>
#include <mpi.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

MPI_Comm l2__dist_comm = MPI_COMM_NULL;
static int my_rank = -1;
int l2__dist_size = -1;
static bool we_initialised_mpi = false;
bool l2__dist_broken = false; /* a collective failed or timed out: the communicator is lost */
static double timeout_s = 1800.0;
/* Messages are at most this many bytes (a multiple of 8). Splitting buckets into 1 MB messages
 * was measured (make bench-dist) and gained nothing clear on this machine. */
#define L2__CHUNK ((size_t)1 << 30)
/* The packing buffer, kept between calls (a model's gradients are reduced every step). */
static unsigned char *pack_buf = NULL;
static size_t pack_cap = 0;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* An MPI return code as L2_ERR_COMM with MPI's own message. */
l2_status l2__dist_mpi_fail(const char *fn, const char *what, int rc)
{
    char msg[MPI_MAX_ERROR_STRING + 1];
    int len = 0;
    if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS)
        len = snprintf(msg, sizeof msg, "error code %d", rc);
    msg[len < 0 ? 0 : len > MPI_MAX_ERROR_STRING ? MPI_MAX_ERROR_STRING : len] = '\0';
    l2__dist_broken = true;
    return l2_set_error(L2_ERR_COMM, "%s: %s failed: %s", fn, what, msg);
}

l2_status l2__dist_check_ready(const char *fn)
{
    if (l2__dist_comm == MPI_COMM_NULL)
        return l2_set_error(L2_ERR_ARG, "%s: l2_dist_init has not been called", fn);
    if (l2__dist_broken)
        return l2_set_error(L2_ERR_COMM,
                            "%s: an earlier collective failed or timed out; the communicator "
                            "is unusable (call l2_dist_abort)",
                            fn);
    return L2_OK;
}

/* Poll n requests until all complete, an MPI error, or the timeout. */
l2_status l2__dist_wait_all(const char *fn, int n, MPI_Request *reqs)
{
    double deadline = timeout_s > 0 ? now_s() + timeout_s : INFINITY;
    for (unsigned long spin = 0;; spin++) {
        int done = 0;
        int rc = MPI_Testall(n, reqs, &done, MPI_STATUSES_IGNORE);
        if (rc != MPI_SUCCESS)
            return l2__dist_mpi_fail(fn, "MPI_Testall", rc);
        if (done)
            return L2_OK;
        if ((spin & 63) == 0 && now_s() > deadline) {
            l2__dist_broken = true;
            return l2_set_error(L2_ERR_COMM,
                                "%s: timed out after %g s waiting for the other ranks (one may "
                                "have died, hung or skipped this call); call l2_dist_abort",
                                fn, timeout_s);
        }
        /* Give the core away between polls: with more ranks than free cores (oversubscribed,
         * or a busy machine) the rank being waited for runs sooner. On an idle core
         * sched_yield returns at once. fashion_mnist, 2 ranks on this busy 2-core machine:
         * 5747 examples/s yielding after 10 polls, 2111 after 100000. */
        if (spin > 16)
            sched_yield();
    }
}

l2_status l2_dist_init(int *argc, char ***argv)
{
    if (l2__dist_comm != MPI_COMM_NULL)
        return l2_set_error(L2_ERR_ARG, "l2_dist_init: already initialised");
    int inited = 0, finalized = 0;
    MPI_Finalized(&finalized);
    if (finalized)
        return l2_set_error(L2_ERR_ARG, "l2_dist_init: MPI was already finalised");
    MPI_Initialized(&inited);
    if (!inited) {
        int provided = 0;
        int rc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
        if (rc != MPI_SUCCESS)
            return l2__dist_mpi_fail("l2_dist_init", "MPI_Init_thread", rc);
        we_initialised_mpi = true;
    }
    MPI_Comm c = MPI_COMM_NULL;
    /* A program that initialised MPI keeps its own error handler on MPI_COMM_WORLD. */
    if (we_initialised_mpi)
        MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int rc = MPI_Comm_dup(MPI_COMM_WORLD, &c);
    if (rc == MPI_SUCCESS)
        rc = MPI_Comm_set_errhandler(c, MPI_ERRORS_RETURN);
    if (rc == MPI_SUCCESS)
        rc = MPI_Comm_rank(c, &my_rank);
    if (rc == MPI_SUCCESS)
        rc = MPI_Comm_size(c, &l2__dist_size);
    if (rc != MPI_SUCCESS) {
        if (c != MPI_COMM_NULL)
            MPI_Comm_free(&c);
        l2_status s = l2__dist_mpi_fail("l2_dist_init", "setting up the communicator", rc);
        l2__dist_broken = false;
        return s;
    }
    l2__dist_comm = c;
    l2__dist_broken = false;
    return L2_OK;
}

l2_status l2_dist_finalize(void)
{
    if (l2__dist_comm == MPI_COMM_NULL)
        return l2_set_error(L2_ERR_ARG, "l2_dist_finalize: l2_dist_init has not been called");
    free(pack_buf);
    pack_buf = NULL;
    pack_cap = 0;
    if (l2__dist_broken) {
        l2__dist_comm = MPI_COMM_NULL;
        return l2_set_error(L2_ERR_COMM,
                            "l2_dist_finalize: an earlier collective failed or timed out; "
                            "MPI_Finalize skipped (call l2_dist_abort)");
    }
    int rc = MPI_Comm_free(&l2__dist_comm);
    l2__dist_comm = MPI_COMM_NULL;
    my_rank = l2__dist_size = -1;
    if (rc != MPI_SUCCESS)
        return l2__dist_mpi_fail("l2_dist_finalize", "MPI_Comm_free", rc);
    if (we_initialised_mpi) {
        we_initialised_mpi = false;
        rc = MPI_Finalize();
        if (rc != MPI_SUCCESS)
            return l2__dist_mpi_fail("l2_dist_finalize", "MPI_Finalize", rc);
    }
    return L2_OK;
}

bool l2_dist_is_initialized(void)
{
    return l2__dist_comm != MPI_COMM_NULL;
}

int l2_dist_rank(void)
{
    if (l2__dist_comm == MPI_COMM_NULL) {
        l2_set_error(L2_ERR_ARG, "l2_dist_rank: l2_dist_init has not been called");
        return -1;
    }
    return my_rank;
}

int l2_dist_world_size(void)
{
    if (l2__dist_comm == MPI_COMM_NULL) {
        l2_set_error(L2_ERR_ARG, "l2_dist_world_size: l2_dist_init has not been called");
        return -1;
    }
    return l2__dist_size;
}

l2_status l2_dist_set_timeout(double seconds)
{
    if (!(seconds >= 0) || isinf(seconds))
        return l2_set_error(L2_ERR_ARG,
                            "l2_dist_set_timeout: seconds must be finite and >= 0 (0: no "
                            "limit), got %g",
                            seconds);
    timeout_s = seconds;
    return L2_OK;
}

double l2_dist_get_timeout(void)
{
    return timeout_s;
}

l2_status l2_dist_barrier(void)
{
    l2_status s = l2__dist_check_ready("l2_dist_barrier");
    if (s)
        return s;
    MPI_Request r;
    int rc = MPI_Ibarrier(l2__dist_comm, &r);
    if (rc != MPI_SUCCESS)
        return l2__dist_mpi_fail("l2_dist_barrier", "MPI_Ibarrier", rc);
    return l2__dist_wait_all("l2_dist_barrier", 1, &r);
}

void l2_dist_abort(int code)
{
    int inited = 0, finalized = 0;
    MPI_Initialized(&inited);
    MPI_Finalized(&finalized);
    if (inited && !finalized)
        MPI_Abort(l2__dist_comm != MPI_COMM_NULL ? l2__dist_comm : MPI_COMM_WORLD, code);
    _Exit(code ? code : 1); /* MPI_Abort does not return; if it did, still end the process */
}

/* ---- Buckets ------------------------------------------------------------------------------- */

static l2_status grow_pack(const char *fn, size_t bytes)
{
    if (bytes <= pack_cap)
        return L2_OK;
    unsigned char *p = realloc(pack_buf, bytes);
    if (!p)
        return l2_set_error(L2_ERR_NOMEM, "%s: out of memory for %zu bytes of buckets", fn, bytes);
    pack_buf = p;
    pack_cap = bytes;
    return L2_OK;
}

/* Check that every rank moves the same list: a signature (count, total bytes, a hash of sizes and
 * dtypes) all-reduced with MAX over (sig, -sig) tells whether all ranks l2__dist_agree. */
l2_status l2__dist_agree(const char *fn, const item *it, int m)
{
    uint64_t h = 1469598103934665603ull, total = 0;
    for (int i = 0; i < m; i++) {
        h = (h ^ (uint64_t)it[i].bytes) * 1099511628211ull;
        h = (h ^ (uint64_t)it[i].dt) * 1099511628211ull;
        total += it[i].bytes;
    }
    /* Three values, each with its negation: max(x) == -max(-x) iff all ranks have the same x. */
    int64_t v[6] = {(int64_t)(h >> 1), (int64_t)total, m, 0, 0, 0};
    for (int k = 0; k < 3; k++)
        v[3 + k] = -v[k];
    MPI_Request r;
    int rc = MPI_Iallreduce(MPI_IN_PLACE, v, 6, MPI_INT64_T, MPI_MAX, l2__dist_comm, &r);
    if (rc != MPI_SUCCESS)
        return l2__dist_mpi_fail(fn, "MPI_Iallreduce (signature)", rc);
    l2_status s = l2__dist_wait_all(fn, 1, &r);
    if (s)
        return s;
    if (v[0] != -v[3] || v[1] != -v[4] || v[2] != -v[5])
        return l2_set_error(L2_ERR_COMM,
                            "%s: the ranks pass different tensors (counts, sizes or dtypes "
                            "differ: %d tensors, %llu bytes here); nothing was changed",
                            fn, m, (unsigned long long)total);
    return L2_OK;
}

/* Validate the n entries of params (their grads when grads) into it[], skipping NULL grads;
 * *m gets the number kept. Sets the error and returns non-zero on bad input. */
static l2_status collect(const char *fn, int n, l2_tensor *const *params, bool grads, item *it,
                         int *m)
{
    *m = 0;
    for (int i = n - 1; i >= 0; i--) { /* reverse order: the order backward produces grads */
        l2_tensor *p = params[i];
        if (!p)
            return l2_set_error(L2_ERR_NULL, "%s: params[%d] is NULL", fn, i);
        l2_tensor *t = grads ? l2_grad(p) : p;
        if (!t)
            continue;
        l2_dtype dt = l2_dtype_of(t);
        if (grads && dt != L2_FLOAT32 && dt != L2_FLOAT64)
            return l2_set_error(L2_ERR_DTYPE,
                                "%s: the grad of params[%d] is %s; float32 and float64 only", fn, i,
                                l2_dtype_name(dt));
        if (!l2_is_contiguous(t))
            return l2_set_error(L2_ERR_ARG, "%s: %s of params[%d] is not contiguous", fn,
                                grads ? "the grad" : "tensor", i);
        int64_t numel = l2_numel(t);
        size_t es = l2_dtype_size(dt);
        if ((uint64_t)numel > (uint64_t)INT_MAX / es)
            return l2_set_error(L2_ERR_ARG,
                                "%s: %s of params[%d] has %lld elements, above INT_MAX bytes "
                                "(one MPI message)",
                                fn, grads ? "the grad" : "tensor", i, (long long)numel);
        it[*m] = (item){.data = l2_data_ptr(t), .bytes = (size_t)numel * es, .dt = dt, .t = t};
        (*m)++;
    }
    return L2_OK;
}

l2_status l2__dist_check_common(const char *fn, int n, l2_tensor *const *params,
                                int64_t bucket_bytes)
{
    if (l2__dist_comm == MPI_COMM_NULL)
        return l2_set_error(L2_ERR_ARG, "%s: l2_dist_init has not been called", fn);
    if (n < 0)
        return l2_set_error(L2_ERR_ARG, "%s: n must be >= 0, got %d", fn, n);
    if (n > 0 && !params)
        return l2_set_error(L2_ERR_NULL, "%s: params is NULL", fn);
    if (bucket_bytes < 0)
        return l2_set_error(L2_ERR_ARG, "%s: bucket_bytes must be >= 0 (0: default), got %lld", fn,
                            (long long)bucket_bytes);
    return L2_OK;
}

/* Split it[0..m) into buckets: [start[b], start[b+1]) holds consecutive items of one dtype whose
 * bytes reach cap (or the last), never above INT_MAX bytes (each item is at most that). Returns
 * the number of buckets; start has m + 1 entries. */
int l2__dist_make_buckets(const item *it, int m, size_t cap, int *start)
{
    int nb = 0;
    size_t fill = 0;
    for (int i = 0; i < m; i++) {
        if (i == 0 || fill >= cap || it[i].dt != it[i - 1].dt ||
            it[i].bytes > (size_t)INT_MAX - fill) {
            start[nb++] = i;
            fill = 0;
        }
        fill += it[i].bytes;
    }
    start[nb] = m;
    return nb;
}

/* Bucketed MPI_Ibcast (grads false) or MPI_Iallreduce (grads true) of the collected items. */
static l2_status run(const char *fn, int n, l2_tensor *const *params, bool grads, l2_dist_reduce op,
                     int64_t bucket_bytes)
{
    l2_status s = l2__dist_check_common(fn, n, params, bucket_bytes);
    if (s)
        return s;
    if (grads && op != L2_DIST_SUM && op != L2_DIST_MEAN)
        return l2_set_error(L2_ERR_ARG, "%s: op must be L2_DIST_SUM or L2_DIST_MEAN, got %d", fn,
                            (int)op);
    item *it = malloc(sizeof *it * (size_t)(n ? n : 1));
    int *start = malloc(sizeof *start * (size_t)(n + 1));
    MPI_Request *reqs = NULL;
    if (!it || !start) {
        s = l2_set_error(L2_ERR_NOMEM, "%s: out of memory", fn);
        goto out;
    }
    int m = 0;
    if ((s = collect(fn, n, params, grads, it, &m)))
        goto out;
    size_t total = 0;
    for (int i = 0; i < m; i++)
        total += it[i].bytes;
    if ((s = grow_pack(fn, total ? total : 1)))
        goto out;
    /* Each bucket goes as messages of at most L2__CHUNK bytes: at most total / L2__CHUNK + m. */
    reqs = malloc(sizeof *reqs * (total / L2__CHUNK + (size_t)m + 1));
    if (!reqs) {
        s = l2_set_error(L2_ERR_NOMEM, "%s: out of memory", fn);
        goto out;
    }
    if ((s = l2__dist_check_ready(fn)) || (s = l2__dist_agree(fn, it, m)))
        goto out;
    size_t cap = bucket_bytes ? (size_t)bucket_bytes : (size_t)L2_DIST_BUCKET_DEFAULT;
    int nb = l2__dist_make_buckets(it, m, cap, start), started = 0;
    size_t off = 0;
    for (int b = 0; b < nb; b++) {
        /* A bucket of one tensor is sent from (and received into) the tensor itself; the others
         * are packed into pack_buf. */
        bool direct = start[b + 1] - start[b] == 1;
        unsigned char *buf = direct ? it[start[b]].data : pack_buf + off;
        size_t len = 0;
        for (int i = start[b]; i < start[b + 1]; i++) {
            unsigned char *dst = buf + len;
            it[i].at = direct ? SIZE_MAX : off + len;
            if (!grads || op == L2_DIST_SUM) {
                if (!direct && it[i].bytes && (grads || my_rank == 0))
                    memcpy(dst, it[i].data, it[i].bytes);
            } else if (it[i].dt == L2_FLOAT32) {
                /* MEAN: g / W before the sum, as torch's allreduce hook (div_ then allreduce). */
                const float *g = (const float *)it[i].data;
                float *d = (float *)dst, w = (float)l2__dist_size;
                for (size_t k = 0; k < it[i].bytes / 4; k++)
                    d[k] = g[k] / w;
            } else {
                const double *g = (const double *)it[i].data;
                double *d = (double *)dst, w = (double)l2__dist_size;
                for (size_t k = 0; k < it[i].bytes / 8; k++)
                    d[k] = g[k] / w;
            }
            len += it[i].bytes;
        }
        if (!direct)
            off += len;
        /* l2__dist_make_buckets keeps every bucket within INT_MAX bytes: one message each. */
        for (size_t c0 = 0; c0 < len; c0 += L2__CHUNK) {
            int bytes = (int)(len - c0 < L2__CHUNK ? len - c0 : L2__CHUNK), rc;
            if (timeout_s == 0) {
                /* No timeout: the blocking collectives (Open MPI's tuned ones, faster than the
                 * non-blocking libnbc ones for large buffers), one bucket at a time. */
                if (!grads)
                    rc = MPI_Bcast(buf + c0, bytes, MPI_BYTE, 0, l2__dist_comm);
                else {
                    l2_dtype dt = it[start[b]].dt;
                    rc = MPI_Allreduce(MPI_IN_PLACE, buf + c0, bytes / (int)l2_dtype_size(dt),
                                       dt == L2_FLOAT32 ? MPI_FLOAT : MPI_DOUBLE, MPI_SUM,
                                       l2__dist_comm);
                }
                if (rc != MPI_SUCCESS) {
                    s = l2__dist_mpi_fail(fn, grads ? "MPI_Allreduce" : "MPI_Bcast", rc);
                    goto out;
                }
                continue;
            }
            if (!grads) {
                rc = MPI_Ibcast(buf + c0, bytes, MPI_BYTE, 0, l2__dist_comm, &reqs[started]);
            } else {
                l2_dtype dt = it[start[b]].dt;
                rc = MPI_Iallreduce(MPI_IN_PLACE, buf + c0, bytes / (int)l2_dtype_size(dt),
                                    dt == L2_FLOAT32 ? MPI_FLOAT : MPI_DOUBLE, MPI_SUM,
                                    l2__dist_comm, &reqs[started]);
            }
            if (rc != MPI_SUCCESS) {
                s = l2__dist_mpi_fail(fn, grads ? "MPI_Iallreduce" : "MPI_Ibcast", rc);
                goto out;
            }
            started++;
        }
    }
    if ((s = l2__dist_wait_all(fn, started, reqs)))
        goto out;
    /* Unpack: every packed tensor gets its slice of the buckets back. */
    for (int i = 0; i < m; i++)
        if (it[i].at != SIZE_MAX && it[i].bytes && (grads || my_rank != 0))
            memcpy(it[i].data, pack_buf + it[i].at, it[i].bytes);
out:
    free(it);
    free(start);
    free(reqs);
    return s;
}

l2_status l2_dist_broadcast_params(int n, l2_tensor *const *params, int64_t bucket_bytes)
{
    return run("l2_dist_broadcast_params", n, params, false, L2_DIST_SUM, bucket_bytes);
}

l2_status l2_dist_allreduce_grads(int n, l2_tensor *const *params, l2_dist_reduce op,
                                  int64_t bucket_bytes)
{
    return run("l2_dist_allreduce_grads", n, params, true, op, bucket_bytes);
}
