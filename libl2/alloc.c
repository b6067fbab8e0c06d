/* alloc.c: the one allocator every libl2 allocation goes through, with fault injection for
 * out-of-memory tests (l2_debug_fail_alloc_after), and the thread-count setting. */
#include "l2-impl.h"

#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define L2__ALIGN 64

/* Allocations left before injected failures start; negative: never. */
static atomic_llong fail_countdown = -1;

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

void *l2__malloc(size_t nbytes, const char *what)
{
    void *p = NULL;
    if (!injected_failure()) {
        size_t sz = nbytes ? (nbytes + L2__ALIGN - 1) / L2__ALIGN * L2__ALIGN : L2__ALIGN;
        if (sz >= nbytes)
            p = aligned_alloc(L2__ALIGN, sz);
    }
    if (!p)
        l2__fail(L2_ERR_NOMEM, "%s: out of memory allocating %zu bytes", what, nbytes);
    return p;
}

void *l2__calloc(size_t nbytes, const char *what)
{
    void *p = l2__malloc(nbytes, what);
    if (p)
        memset(p, 0, nbytes);
    return p;
}

void *l2__realloc(void *p, size_t nbytes, const char *what)
{
    void *q = NULL;
    if (!injected_failure())
        q = realloc(p, nbytes ? nbytes : 1);
    if (!q)
        l2__fail(L2_ERR_NOMEM, "%s: out of memory allocating %zu bytes", what, nbytes);
    return q;
}

void l2__free(void *p) { free(p); }

void l2_free(void *p) { free(p); }

/* ---- Threads ---- */

static atomic_int num_threads = 0; /* 0: not set, use OpenMP's default */

extern void openblas_set_num_threads(int);

l2_status l2_set_num_threads(int n)
{
    L2__CHECK_ST(n >= 1, L2_ERR_ARG, "set_num_threads: n must be >= 1 (got %d)", n);
    atomic_store(&num_threads, n);
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
