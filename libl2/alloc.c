/* alloc.c: the one allocator every libl2 allocation goes through, with fault injection for
 * out-of-memory tests (l2_debug_fail_alloc_after), and the thread-count setting. */
#include "l2-impl.h"

#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define L2__ALIGN 64
/* Each block is preceded by a header of L2__ALIGN bytes (so the block stays 64-byte aligned)
 * holding the size the caller asked for; l2__free reads it to keep the statistics. */
#define L2__HDR L2__ALIGN
/* Header value of a block already taken out of the statistics (l2__untrack). */
#define L2__UNTRACKED SIZE_MAX

/* Allocations left before injected failures start; negative: never. */
static atomic_llong fail_countdown = -1;

/* Memory statistics (l2_get_memory_stats). */
static atomic_llong bytes_in_use, peak_bytes, n_allocs, n_frees;

void l2_debug_fail_alloc_after(int64_t n) { atomic_store(&fail_countdown, n < 0 ? -1 : n); }

static bool injected_failure(void)
{
    long long c = atomic_load(&fail_countdown);
    while (c >= 0) {
        if (c == 0)
            return true;
        if (atomic_compare_exchange_weak(&fail_countdown, &c, c - 1))
            return false;
    }
    return false;
}

static void account_alloc(size_t nbytes)
{
    long long now = atomic_fetch_add(&bytes_in_use, (long long)nbytes) + (long long)nbytes;
    long long peak = atomic_load(&peak_bytes);
    while (now > peak && !atomic_compare_exchange_weak(&peak_bytes, &peak, now)) {
    }
    atomic_fetch_add(&n_allocs, 1);
}

static void account_free(size_t nbytes)
{
    atomic_fetch_sub(&bytes_in_use, (long long)nbytes);
    atomic_fetch_add(&n_frees, 1);
}

static size_t *header_of(void *p) { return (size_t *)(void *)((char *)p - L2__HDR); }

void *l2__malloc(size_t nbytes, const char *what)
{
    char *base = NULL;
    if (!injected_failure()) {
        size_t sz = nbytes ? (nbytes + L2__ALIGN - 1) / L2__ALIGN * L2__ALIGN : L2__ALIGN;
        if (sz >= nbytes && sz <= SIZE_MAX - L2__HDR)
            base = aligned_alloc(L2__ALIGN, sz + L2__HDR);
    }
    if (!base) {
        l2__fail(L2_ERR_NOMEM, "%s: out of memory allocating %zu bytes", what, nbytes);
        return NULL;
    }
    *(size_t *)(void *)base = nbytes;
    account_alloc(nbytes);
    return base + L2__HDR;
}

void *l2__calloc(size_t nbytes, const char *what)
{
    void *p = l2__malloc(nbytes, what);
    if (p)
        memset(p, 0, nbytes);
    return p;
}

/* A new block (so the alignment holds), the old contents copied, the old block freed. On failure
 * p is untouched. */
void *l2__realloc(void *p, size_t nbytes, const char *what)
{
    void *q = l2__malloc(nbytes, what);
    if (q && p) {
        size_t old = *header_of(p);
        if (old != L2__UNTRACKED)
            memcpy(q, p, old < nbytes ? old : nbytes);
        l2__free(p);
    }
    return q;
}

void l2__free(void *p)
{
    if (!p)
        return;
    size_t *h = header_of(p);
    if (*h != L2__UNTRACKED)
        account_free(*h);
    free(h);
}

void l2__untrack(void *p)
{
    size_t *h = header_of(p);
    if (*h != L2__UNTRACKED) {
        account_free(*h);
        *h = L2__UNTRACKED;
    }
}

void l2_free(void *p) { l2__free(p); }

l2_status l2_get_memory_stats(l2_memory_stats *out)
{
    L2__CHECK_ST(out != NULL, L2_ERR_NULL, "get_memory_stats: argument 'out' is NULL");
    out->bytes_in_use = atomic_load(&bytes_in_use);
    out->peak_bytes = atomic_load(&peak_bytes);
    out->n_allocs = atomic_load(&n_allocs);
    out->n_live_allocs = out->n_allocs - atomic_load(&n_frees);
    out->live_tensors = l2_live_tensors();
    out->live_storages = l2__live_storages();
    return L2_OK;
}

void l2_reset_peak_memory(void) { atomic_store(&peak_bytes, atomic_load(&bytes_in_use)); }

/* ---- Threads ---- */

static atomic_int num_threads = 0; /* 0: not set, use OpenMP's default */

extern void openblas_set_num_threads(int);

l2_status l2_set_num_threads(int n)
{
    L2__CHECK_ST(n >= 1, L2_ERR_ARG, "set_num_threads: n must be >= 1 (got %d)", n);
    atomic_store(&num_threads, n);
    /* BLAS follows: OpenBLAS's OpenMP build takes its count from the calling thread's OpenMP
     * setting at each call (so both are set); its pthreads build from its own. */
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
    openblas_set_num_threads(n);
    return L2_OK;
}

int l2__num_threads(void)
{
    int n = atomic_load(&num_threads);
#ifdef _OPENMP
    if (n == 0)
        n = omp_get_max_threads();
#else
    if (n == 0)
        n = 1;
#endif
    return n;
}

int l2_get_num_threads(void) { return l2__num_threads(); }
