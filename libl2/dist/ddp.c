/* ddp.c: l2_dist_ddp, the all-reduce of gradients overlapped with backward (as torch's
 * DistributedDataParallel) through libl2's grad-ready hook; see l2_dist.h. */
#include "dist-internal.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct l2_dist_ddp {
    int n;              /* parameters */
    l2_tensor **params; /* owned references */
    l2_dist_reduce op;
    int nb; /* buckets: [start[b], start[b+1]) of the reversed parameter list */
    int *start;
    int *of;       /* of[k]: the bucket of reversed entry k */
    size_t *at;    /* at[k]: its byte offset in buf */
    size_t *bytes; /* bytes[k] */
    int *rev;      /* rev[k]: the parameter index of reversed entry k (n - 1 - k) */
    unsigned char *buf;
    size_t total;
    /* leaves sorted by address for the hook's look-up: sorted[j] = reversed entry k */
    int *sorted;
    /* this step */
    bool *got;         /* got[k]: the hook gave entry k's gradient */
    int *ready;        /* ready[b]: entries of bucket b seen */
    bool *started;     /* started[b]: bucket b's MPI_Iallreduce is in flight (the buckets start
                          in order: b < n_started) */
    MPI_Request *reqs; /* reqs[b] */
    int n_started;
    bool failed; /* a hook failed this step: only discard is allowed */
    l2_dist_ddp_stats stats;
    int seen; /* gradients seen this step */
};

static l2_dist_ddp *hook_owner = NULL;

/* Start bucket b (entries whose gradient never came are zeros in it). */
static l2_status ddp_start(l2_dist_ddp *d, int b, const char *fn)
{
    size_t off = d->at[d->start[b]], len = 0;
    for (int k = d->start[b]; k < d->start[b + 1]; k++)
        len += d->bytes[k];
    l2_dtype dt = l2_dtype_of(d->params[d->rev[d->start[b]]]);
    int count = (int)(len / l2_dtype_size(dt));
    int rc =
        MPI_Iallreduce(MPI_IN_PLACE, d->buf + off, count, dt == L2_FLOAT32 ? MPI_FLOAT : MPI_DOUBLE,
                       MPI_SUM, l2__dist_comm, &d->reqs[b]);
    if (rc != MPI_SUCCESS)
        return l2__dist_mpi_fail(fn, "MPI_Iallreduce", rc);
    d->started[b] = true;
    d->n_started++;
    return L2_OK;
}

/* Copy (MEAN: divided by W) one gradient into its place in the bucket buffer. */
static void ddp_pack(l2_dist_ddp *d, int k, const void *src)
{
    unsigned char *dst = d->buf + d->at[k];
    size_t bytes = d->bytes[k];
    l2_dtype dt = l2_dtype_of(d->params[d->rev[k]]);
    if (!src)
        memset(dst, 0, bytes);
    else if (d->op == L2_DIST_SUM)
        memcpy(dst, src, bytes);
    else if (dt == L2_FLOAT32) {
        const float *g = src;
        float *o = (float *)dst, w = (float)l2__dist_size;
        for (size_t i = 0; i < bytes / 4; i++)
            o[i] = g[i] / w;
    } else {
        const double *g = src;
        double *o = (double *)dst, w = (double)l2__dist_size;
        for (size_t i = 0; i < bytes / 8; i++)
            o[i] = g[i] / w;
    }
}

static int ddp_find(const l2_dist_ddp *d, const l2_tensor *leaf)
{
    int lo = 0, hi = d->n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        const l2_tensor *p = d->params[d->rev[d->sorted[mid]]];
        if (p == leaf)
            return d->sorted[mid];
        if ((uintptr_t)p < (uintptr_t)leaf)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

static l2_status ddp_hook(l2_tensor *leaf, const l2_tensor *grad, void *ctx)
{
    static const char fn[] = "l2_dist_ddp (grad-ready hook)";
    l2_dist_ddp *d = ctx;
    int k = ddp_find(d, leaf);
    if (k < 0)
        return L2_OK; /* not one of ours */
    l2_status s;
    if (d->failed)
        return l2_set_error(L2_ERR_ARG,
                            "%s: an earlier backward failed after buckets started; "
                            "call l2_dist_ddp_discard first",
                            fn);
    if (d->got[k]) {
        d->failed = true;
        return l2_set_error(L2_ERR_ARG,
                            "%s: params[%d] got a second gradient before l2_dist_ddp_wait "
                            "(one backward per step)",
                            fn, d->rev[k]);
    }
    if ((s = l2__dist_check_ready(fn))) {
        d->failed = true;
        return s;
    }
    /* Open MPI's non-blocking collectives progress only inside MPI calls (no progress thread):
     * poke the ones in flight at every gradient so that they move on during backward. */
    if (d->n_started) {
        int done = 0;
        int rc = MPI_Testall(d->nb, d->reqs, &done, MPI_STATUSES_IGNORE);
        if (rc != MPI_SUCCESS) {
            d->failed = true;
            return l2__dist_mpi_fail(fn, "MPI_Testall", rc);
        }
    }
    l2_tensor *c = NULL;
    const void *src;
    if (l2_is_contiguous(grad))
        src = l2_data_ptr((l2_tensor *)grad);
    else {
        if (!(c = l2_contiguous(grad))) {
            d->failed = true;
            return l2_last_status();
        }
        src = l2_data_ptr(c);
    }
    if (d->seen == 0) {
        d->stats.buckets_started_in_backward = 0;
        d->stats.grads_ready_at_first_start = 0;
    }
    ddp_pack(d, k, src);
    l2_tensor_release(c);
    d->got[k] = true;
    d->seen++;
    d->ready[d->of[k]]++;
    /* Start the full buckets in bucket order, as DDP: every rank must start its collectives in
     * the same order, whatever order its backward produced the gradients in (a full bucket waits
     * for the ones before it). */
    while (d->n_started < d->nb &&
           d->ready[d->n_started] == d->start[d->n_started + 1] - d->start[d->n_started]) {
        if (d->n_started == 0)
            d->stats.grads_ready_at_first_start = d->seen;
        if ((s = ddp_start(d, d->n_started, fn))) {
            d->failed = true;
            return s;
        }
        d->stats.buckets_started_in_backward++;
    }
    return L2_OK;
}

static void ddp_reset(l2_dist_ddp *d)
{
    memset(d->got, 0, sizeof *d->got * (size_t)d->n);
    memset(d->ready, 0, sizeof *d->ready * (size_t)d->nb);
    memset(d->started, 0, sizeof *d->started * (size_t)d->nb);
    for (int b = 0; b < d->nb; b++)
        d->reqs[b] = MPI_REQUEST_NULL;
    d->n_started = 0;
    d->seen = 0;
    d->failed = false;
}

static const l2_dist_ddp *sort_ctx;
static int cmp_leaf(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)sort_ctx->params[sort_ctx->rev[*(const int *)a]];
    uintptr_t y = (uintptr_t)sort_ctx->params[sort_ctx->rev[*(const int *)b]];
    return x < y ? -1 : x > y;
}

void l2_dist_ddp_free(l2_dist_ddp *d)
{
    if (!d)
        return;
    if (hook_owner == d) {
        l2_set_grad_ready_hook(NULL, NULL);
        hook_owner = NULL;
    }
    if (d->n_started && !l2__dist_broken && l2__dist_comm != MPI_COMM_NULL) {
        /* Buckets still in flight: wait them out (the other ranks must free too). */
        l2__dist_wait_all("l2_dist_ddp_free", d->nb, d->reqs);
    }
    for (int i = 0; i < d->n; i++)
        l2_tensor_release(d->params ? d->params[i] : NULL);
    free(d->params);
    free(d->start);
    free(d->of);
    free(d->at);
    free(d->bytes);
    free(d->rev);
    free(d->buf);
    free(d->sorted);
    free(d->got);
    free(d->ready);
    free(d->started);
    free(d->reqs);
    free(d);
}

l2_dist_ddp *l2_dist_ddp_new(int n, l2_tensor *const *params, l2_dist_reduce op,
                             int64_t bucket_bytes)
{
    static const char fn[] = "l2_dist_ddp_new";
    if (l2__dist_check_common(fn, n, params, bucket_bytes))
        return NULL;
    if (op != L2_DIST_SUM && op != L2_DIST_MEAN) {
        l2_set_error(L2_ERR_ARG, "%s: op must be L2_DIST_SUM or L2_DIST_MEAN, got %d", fn, (int)op);
        return NULL;
    }
    if (hook_owner) {
        l2_set_error(L2_ERR_ARG,
                     "%s: another l2_dist_ddp holds the grad-ready hook (free it "
                     "first)",
                     fn);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        l2_tensor *p = params[i];
        if (!p) {
            l2_set_error(L2_ERR_NULL, "%s: params[%d] is NULL", fn, i);
            return NULL;
        }
        l2_dtype dt = l2_dtype_of(p);
        if (dt != L2_FLOAT32 && dt != L2_FLOAT64) {
            l2_set_error(L2_ERR_DTYPE, "%s: params[%d] is %s; float32 and float64 only", fn, i,
                         l2_dtype_name(dt));
            return NULL;
        }
        if (!l2_is_leaf(p) || !l2_requires_grad(p)) {
            l2_set_error(L2_ERR_ARG, "%s: params[%d] is not a leaf that requires grad", fn, i);
            return NULL;
        }
        if ((uint64_t)l2_numel(p) > (uint64_t)INT_MAX / l2_dtype_size(dt)) {
            l2_set_error(L2_ERR_ARG, "%s: params[%d] is above INT_MAX bytes (one MPI message)", fn,
                         i);
            return NULL;
        }
        for (int j = 0; j < i; j++)
            if (params[j] == p) {
                l2_set_error(L2_ERR_ARG, "%s: params[%d] and params[%d] are the same tensor", fn, j,
                             i);
                return NULL;
            }
    }
    l2_dist_ddp *d = calloc(1, sizeof *d);
    size_t nn = (size_t)(n ? n : 1);
    if (d) {
        d->params = calloc(nn, sizeof *d->params);
        d->start = malloc(sizeof *d->start * (nn + 1));
        d->of = malloc(sizeof *d->of * nn);
        d->at = malloc(sizeof *d->at * nn);
        d->bytes = malloc(sizeof *d->bytes * nn);
        d->rev = malloc(sizeof *d->rev * nn);
        d->sorted = malloc(sizeof *d->sorted * nn);
        d->got = calloc(nn, sizeof *d->got);
        d->ready = calloc(nn, sizeof *d->ready);
        d->started = calloc(nn, sizeof *d->started);
        d->reqs = malloc(sizeof *d->reqs * nn);
    }
    if (!d || !d->params || !d->start || !d->of || !d->at || !d->bytes || !d->rev || !d->sorted ||
        !d->got || !d->ready || !d->started || !d->reqs) {
        l2_dist_ddp_free(d);
        l2_set_error(L2_ERR_NOMEM, "%s: out of memory", fn);
        return NULL;
    }
    d->n = n;
    d->op = op;
    item *it = malloc(sizeof *it * nn);
    if (!it) {
        l2_dist_ddp_free(d);
        l2_set_error(L2_ERR_NOMEM, "%s: out of memory", fn);
        return NULL;
    }
    for (int k = 0; k < n; k++) { /* reversed: the order backward produces gradients */
        l2_tensor *p = params[n - 1 - k];
        l2_dtype dt = l2_dtype_of(p);
        d->rev[k] = n - 1 - k;
        d->bytes[k] = (size_t)l2_numel(p) * l2_dtype_size(dt);
        d->at[k] = d->total;
        d->total += d->bytes[k];
        d->sorted[k] = k;
        it[k] = (item){.bytes = d->bytes[k], .dt = dt};
    }
    size_t cap = bucket_bytes ? (size_t)bucket_bytes : (size_t)L2_DIST_BUCKET_DEFAULT;
    d->nb = l2__dist_make_buckets(it, n, cap, d->start);
    for (int b = 0; b < d->nb; b++)
        for (int k = d->start[b]; k < d->start[b + 1]; k++)
            d->of[k] = b;
    ddp_reset(d);
    d->buf = malloc(d->total ? d->total : 1);
    if (!d->buf) {
        free(it);
        l2_dist_ddp_free(d);
        l2_set_error(L2_ERR_NOMEM, "%s: out of memory for %zu bytes of buckets", fn, d->total);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        d->params[i] = l2_tensor_ref(params[i]);
    sort_ctx = d;
    qsort(d->sorted, (size_t)n, sizeof *d->sorted, cmp_leaf);
    /* Every rank must build the same buckets. */
    l2_status s = l2__dist_check_ready(fn);
    if (!s)
        s = l2__dist_agree(fn, it, n);
    free(it);
    if (s) {
        l2_dist_ddp_free(d);
        return NULL;
    }
    hook_owner = d;
    l2_set_grad_ready_hook(ddp_hook, d);
    return d;
}

/* Start the buckets not started yet (missing gradients as zeros), wait for all, then l2__dist_agree
 * on whether every rank keeps the result (ok: this rank's vote). */
static l2_status ddp_finish(l2_dist_ddp *d, const char *fn, bool ok, bool *all_ok)
{
    l2_status s = l2__dist_check_ready(fn);
    if (s)
        return s;
    for (int b = 0; b < d->nb; b++) /* in bucket order, after those already started */
        if (!d->started[b]) {
            for (int k = d->start[b]; k < d->start[b + 1]; k++)
                if (!d->got[k])
                    ddp_pack(d, k, NULL);
            if ((s = ddp_start(d, b, fn)))
                return s;
        }
    if ((s = l2__dist_wait_all(fn, d->nb, d->reqs)))
        return s;
    int v = ok, all = 0;
    MPI_Request r;
    int rc = MPI_Iallreduce(&v, &all, 1, MPI_INT, MPI_MIN, l2__dist_comm, &r);
    if (rc != MPI_SUCCESS)
        return l2__dist_mpi_fail(fn, "MPI_Iallreduce (vote)", rc);
    if ((s = l2__dist_wait_all(fn, 1, &r)))
        return s;
    *all_ok = all != 0;
    return L2_OK;
}

l2_status l2_dist_ddp_wait(l2_dist_ddp *d)
{
    static const char fn[] = "l2_dist_ddp_wait";
    if (!d)
        return l2_set_error(L2_ERR_NULL, "%s: d is NULL", fn);
    if (d->failed)
        return l2_set_error(L2_ERR_ARG,
                            "%s: a backward failed after buckets started this "
                            "step; call l2_dist_ddp_discard",
                            fn);
    /* Check every .grad before any MPI call, so that a bad one changes nothing. */
    for (int k = 0; k < d->n; k++) {
        l2_tensor *g = l2_grad(d->params[d->rev[k]]);
        if (!g)
            continue;
        if (l2_dtype_of(g) != l2_dtype_of(d->params[d->rev[k]]) || !l2_is_contiguous(g) ||
            (size_t)l2_numel(g) * l2_dtype_size(l2_dtype_of(g)) != d->bytes[k])
            return l2_set_error(L2_ERR_ARG,
                                "%s: the grad of params[%d] is not a contiguous "
                                "tensor of the parameter's dtype and size",
                                fn, d->rev[k]);
    }
    bool all_ok = false;
    d->stats.buckets = d->nb;
    l2_status s = ddp_finish(d, fn, true, &all_ok);
    if (s)
        return s;
    if (!all_ok) {
        ddp_reset(d);
        return l2_set_error(L2_ERR_COMM,
                            "%s: another rank discarded this step (its backward "
                            "failed); the gradients were not changed",
                            fn);
    }
    for (int k = 0; k < d->n; k++) {
        l2_tensor *g = l2_grad(d->params[d->rev[k]]);
        if (g && d->bytes[k])
            memcpy(l2_data_ptr(g), d->buf + d->at[k], d->bytes[k]);
    }
    ddp_reset(d);
    d->stats.steps++;
    return L2_OK;
}

l2_status l2_dist_ddp_discard(l2_dist_ddp *d)
{
    static const char fn[] = "l2_dist_ddp_discard";
    if (!d)
        return l2_set_error(L2_ERR_NULL, "%s: d is NULL", fn);
    bool all_ok = false;
    l2_status s = ddp_finish(d, fn, false, &all_ok);
    ddp_reset(d);
    return s;
}

l2_status l2_dist_ddp_get_stats(const l2_dist_ddp *d, l2_dist_ddp_stats *out)
{
    if (!d || !out)
        return l2_set_error(L2_ERR_NULL, "l2_dist_ddp_get_stats: %s is NULL", d ? "out" : "d");
    *out = d->stats;
    return L2_OK;
}
