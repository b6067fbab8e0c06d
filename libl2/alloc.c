/* alloc.c: the one allocator every libl2 allocation goes through: a caching layer (size classes,
 * free lists, a cap on cached bytes, huge-page mmap for large blocks), statistics, fault
 * injection for out-of-memory tests (l2_debug_fail_alloc_after), and the thread-count setting.
 * The cache is off under AddressSanitizer and with L2_ALLOC_CACHE=0 (then every block comes from
 * aligned_alloc and goes back to free at once, so ASan and valgrind see every use after free). */
#include "l2-impl.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define L2__ALIGN 64
/* Each block is preceded by a header of L2__ALIGN bytes (so the block stays 64-byte aligned). */
#define L2__HDR L2__ALIGN

/* A block's header: the size the caller asked for (for the statistics), the block's size class
 * (NO_CLASS: a plain aligned_alloc block outside the cache), whether the bytes are still counted
 * (l2__untrack), whether it is mmap'd, and the next free block while it sits in a free list. */
typedef struct hdr {
    size_t req;
    size_t total; /* bytes from the block's start (header included) to its end */
    struct hdr *next;
    int cls;
    bool tracked;
    bool mapped;
} hdr;
_Static_assert(sizeof(hdr) <= L2__HDR, "the block header fits in L2__HDR bytes");

#define NO_CLASS (-1)
/* Size classes: totals from L2__ALLOC_SMALL up, CLASS_STEPS classes per power of two. */
#define CLASS_STEPS 4
#define N_CLASSES (64 * CLASS_STEPS)
#define HUGE_PAGE ((size_t)2 << 20)

/* Allocations left before injected failures start; negative: never. */
static atomic_llong fail_countdown = -1;

/* Memory statistics (l2_get_memory_stats). */
static atomic_llong bytes_in_use, peak_bytes, n_allocs, n_frees, n_hits, n_misses;

/* The cache: one free list per class under one lock. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static hdr *free_list[N_CLASSES];
static atomic_llong bytes_cached;

/* 1: cache on, 0: off, -1: not read yet (L2_ALLOC_CACHE, L2_ALLOC_CACHE_MAX read once). */
static atomic_int cache_state = -1;
static atomic_llong cache_max;

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

#if defined(__SANITIZE_ADDRESS__)
#define L2__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define L2__ASAN 1
#endif
#endif

static bool cache_on(void)
{
    int s = atomic_load_explicit(&cache_state, memory_order_relaxed);
    if (s >= 0)
        return s;
#ifdef L2__ASAN
    s = 0;
#else
    const char *e = getenv("L2_ALLOC_CACHE");
    s = !(e && strcmp(e, "0") == 0);
#endif
    /* The cap: L2_ALLOC_CACHE_MAX bytes, else a quarter of RAM up to 1 GiB. */
    long long max = 1ll << 30;
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    if (pages > 0 && psz > 0 && (long long)pages / 4 < max / psz)
        max = (long long)pages / 4 * psz;
    const char *m = getenv("L2_ALLOC_CACHE_MAX");
    if (m && *m) {
        char *end;
        long long v = strtoll(m, &end, 10);
        if (*end == '\0' && v >= 0)
            max = v;
    }
    atomic_store(&cache_max, max);
    atomic_store_explicit(&cache_state, s, memory_order_relaxed);
    return s;
}

/* The class of a block of total bytes (> L2__ALLOC_SMALL), and the class's total size: totals
 * are rounded up to a multiple of a quarter of their power of two. */
static int class_of(size_t total, size_t *class_total)
{
    int lg = 63 - __builtin_clzll((unsigned long long)total); /* 2^lg <= total */
    size_t step = ((size_t)1 << lg) / CLASS_STEPS;
    size_t k = (total - ((size_t)1 << lg) + step - 1) / step; /* 0..CLASS_STEPS */
    *class_total = ((size_t)1 << lg) + k * step;
    int small_lg = 63 - __builtin_clzll((unsigned long long)L2__ALLOC_SMALL);
    return (lg - small_lg) * CLASS_STEPS + (int)k;
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

static hdr *header_of(void *p) { return (hdr *)(void *)((char *)p - L2__HDR); }

/* A new block of total bytes from the system: mmap'd on a huge-page boundary (madvise'd for
 * transparent huge pages) if mapped, else from aligned_alloc. *zeroed tells whether its bytes
 * are known to be zero. */
static hdr *system_block(size_t total, bool mapped, bool *zeroed)
{
    hdr *h;
    if (mapped) {
        if (total > SIZE_MAX - HUGE_PAGE)
            return NULL;
        size_t len = total + HUGE_PAGE;
        char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            return NULL;
        char *a = (char *)(((uintptr_t)m + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
        size_t psz = (size_t)sysconf(_SC_PAGESIZE);
        size_t used = (total + psz - 1) / psz * psz;
        if (a > m)
            munmap(m, (size_t)(a - m));
        if (m + len > a + used)
            munmap(a + used, (size_t)(m + len - (a + used)));
#ifdef MADV_HUGEPAGE
        madvise(a, used, MADV_HUGEPAGE);
#endif
        h = (hdr *)(void *)a;
        h->mapped = true;
        *zeroed = true;
    } else {
        h = aligned_alloc(L2__ALIGN, total);
        if (!h)
            return NULL;
        h->mapped = false;
        *zeroed = false;
    }
    h->total = total;
    return h;
}

static void system_release(hdr *h)
{
    if (h->mapped) {
        size_t psz = (size_t)sysconf(_SC_PAGESIZE);
        munmap(h, (h->total + psz - 1) / psz * psz);
    } else {
        free(h);
    }
}

/* A block for nbytes, or NULL. *zeroed: its bytes are known to be zero. */
static hdr *get_block(size_t nbytes, bool *zeroed)
{
    size_t sz = nbytes ? (nbytes + L2__ALIGN - 1) / L2__ALIGN * L2__ALIGN : L2__ALIGN;
    if (sz < nbytes || sz > SIZE_MAX / 2 - L2__HDR)
        return NULL;
    size_t total = sz + L2__HDR;
    if (!cache_on() || nbytes < L2__ALLOC_SMALL) {
        hdr *h = aligned_alloc(L2__ALIGN, total);
        if (h) {
            h->cls = NO_CLASS;
            h->mapped = false;
            h->total = total;
        }
        *zeroed = false;
        return h;
    }
    size_t ctotal;
    int c = class_of(total, &ctotal);
    pthread_mutex_lock(&cache_lock);
    hdr *h = free_list[c];
    if (h) {
        /* mutation test: the block stays in its free list while handed out */
        if (!l2__fault("alloc_reuse"))
            free_list[c] = h->next;
        atomic_fetch_sub(&bytes_cached, (long long)h->total);
    }
    pthread_mutex_unlock(&cache_lock);
    if (h) {
        atomic_fetch_add(&n_hits, 1);
        *zeroed = false;
    } else {
        atomic_fetch_add(&n_misses, 1);
        bool mapped = nbytes >= L2__ALLOC_MMAP;
        h = system_block(ctotal, mapped, zeroed);
        if (!h) {
            /* Out of memory: give the cache back to the system and try once more. */
            l2_empty_cache();
            h = system_block(ctotal, mapped, zeroed);
        }
    }
    if (h)
        h->cls = c;
    return h;
}

static void *alloc(size_t nbytes, const char *what, bool zero)
{
    hdr *h = NULL;
    bool zeroed = false;
    if (!injected_failure())
        h = get_block(nbytes, &zeroed);
    if (!h) {
        l2__fail(L2_ERR_NOMEM, "%s: out of memory allocating %zu bytes", what, nbytes);
        return NULL;
    }
    h->req = nbytes;
    h->tracked = true;
    h->next = NULL;
    account_alloc(nbytes);
    char *p = (char *)h + L2__HDR;
    if (zero && !zeroed)
        memset(p, 0, nbytes);
    return p;
}

void *l2__malloc(size_t nbytes, const char *what) { return alloc(nbytes, what, false); }

/* As l2__malloc, but a failure sets no error: for a caller with another way (the own GEMM's
 * workspace: BLAS instead). Injected failures count here too. */
void *l2__try_malloc(size_t nbytes)
{
    hdr *h = NULL;
    bool zeroed;
    if (!injected_failure())
        h = get_block(nbytes, &zeroed);
    if (!h)
        return NULL;
    h->req = nbytes;
    h->tracked = true;
    h->next = NULL;
    account_alloc(nbytes);
    return (char *)h + L2__HDR;
}

/* A cached block is zeroed here; a fresh mmap is zero already. */
void *l2__calloc(size_t nbytes, const char *what) { return alloc(nbytes, what, true); }

/* A new block (so the alignment holds), the old contents copied, the old block freed. On failure
 * p is untouched. */
void *l2__realloc(void *p, size_t nbytes, const char *what)
{
    void *q = l2__malloc(nbytes, what);
    if (q && p) {
        size_t old = header_of(p)->req;
        memcpy(q, p, old < nbytes ? old : nbytes);
        l2__free(p);
    }
    return q;
}

void l2__free(void *p)
{
    if (!p)
        return;
    hdr *h = header_of(p);
    if (h->tracked)
        account_free(h->req);
    if (h->cls == NO_CLASS) {
        free(h);
        return;
    }
    bool kept = false;
    pthread_mutex_lock(&cache_lock);
    if (atomic_load(&bytes_cached) + (long long)h->total <= atomic_load(&cache_max)) {
        h->next = free_list[h->cls];
        free_list[h->cls] = h;
        atomic_fetch_add(&bytes_cached, (long long)h->total);
        kept = true;
    }
    pthread_mutex_unlock(&cache_lock);
    if (!kept)
        system_release(h);
}

void l2__untrack(void *p)
{
    hdr *h = header_of(p);
    if (h->tracked) {
        account_free(h->req);
        h->tracked = false;
    }
}

void l2_free(void *p) { l2__free(p); }

void l2_empty_cache(void)
{
    hdr *lists[N_CLASSES];
    pthread_mutex_lock(&cache_lock);
    for (int c = 0; c < N_CLASSES; c++) {
        lists[c] = free_list[c];
        free_list[c] = NULL;
    }
    atomic_store(&bytes_cached, 0);
    pthread_mutex_unlock(&cache_lock);
    for (int c = 0; c < N_CLASSES; c++) {
        /* (a block handed out twice by the alloc_reuse fault can link to itself) */
        for (hdr *h = lists[c], *next; h; h = next == h ? NULL : next) {
            next = h->next;
            system_release(h);
        }
    }
}

l2_status l2_get_memory_stats(l2_memory_stats *out)
{
    L2__CHECK_ST(out != NULL, L2_ERR_NULL, "get_memory_stats: argument 'out' is NULL");
    out->bytes_in_use = atomic_load(&bytes_in_use);
    out->peak_bytes = atomic_load(&peak_bytes);
    out->n_allocs = atomic_load(&n_allocs);
    out->n_live_allocs = out->n_allocs - atomic_load(&n_frees);
    out->live_tensors = l2_live_tensors();
    out->live_storages = l2__live_storages();
    out->bytes_cached = atomic_load(&bytes_cached);
    out->n_cache_hits = atomic_load(&n_hits);
    out->n_cache_misses = atomic_load(&n_misses);
    return L2_OK;
}

bool l2_alloc_cache_enabled(void) { return cache_on(); }

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
