/* shim.h: a small C API over Google Benchmark, so that every libl2 benchmark case is plain C.
 * A case is a name, a setup/run/teardown triple, per-iteration work counts (items, bytes, FLOPs)
 * and a thread count that libl2 and OpenBLAS are set to before setup. bench/shim.cc implements
 * it (the only C++ file); bench/cases-*.c register the cases.
 */
#ifndef L2_BENCH_SHIM_H
#define L2_BENCH_SHIM_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BENCH_MAX_PARAMS 8

typedef struct bench_case bench_case;

struct bench_case {
    /* The full name, "op/dtype/variant/shape"; the shim appends "/t:<threads>". */
    char name[96];
    /* Allocate inputs (timed never). Return the case's data, or NULL to skip the case with
     * l2_last_error() as the reason. c is the registered copy and lives as long as the program. */
    void *(*setup)(const bench_case *c);
    /* One timed iteration. Return 0, or non-zero to stop the case with l2_last_error(). */
    int (*run)(void *data);
    /* Free what setup made (may be NULL). */
    void (*teardown)(void *data);
    /* Work per iteration, for the rates: 0 means none reported. */
    double items, bytes, flops;
    /* Threads for libl2 and OpenBLAS while the case runs (l2_set_num_threads). */
    int threads;
    /* Free parameters for setup (sizes, dims, dtype ...), and an optional function pointer
     * (an op resolved at run time). */
    int64_t p[BENCH_MAX_PARAMS];
    void *fn;
    /* Set by the shim for listing: a case whose op is not in the library is listed, not run. */
    const char *missing;
};

/* Register a copy of c under c->name + "/t:<threads>". Returns 0, -1 on a bad case. */
int bench_register(const bench_case *c);
/* List c (with the reason it cannot run, e.g. "l2_add not in libl2") without registering it. */
void bench_register_missing(const bench_case *c, const char *reason);
/* Keep the compiler from discarding p or the work behind it. */
void bench_do_not_optimize(const void *p);
/* The profile chosen by the L2_BENCH_PROFILE environment variable: false for "quick" (default),
 * true for "full". */
bool bench_full_profile(void);
/* Thread counts to run each case at: 1 and the number of online cores (one entry if that is 1). */
int bench_thread_counts(int *out2);

/* Run: handles --l2_list (print every case, tab-separated: name, status, items, bytes, flops)
 * itself, passes the rest to Google Benchmark. Returns the process exit status. */
int bench_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif /* L2_BENCH_SHIM_H */
