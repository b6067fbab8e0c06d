// shim.cc: the C API of shim.h over Google Benchmark (Debian's libbenchmark-dev 1.7.1).
// It owns registration and the timing loop; the cases themselves are plain C (bench/cases-*.c).
// Every case is timed on the wall clock (UseRealTime: libl2 and OpenBLAS use worker threads) and
// on the process CPU clock (MeasureProcessCPUTime: every thread's CPU time, so the report can
// check CPU time <= threads x wall time), and reports items/s, bytes/s and FLOP/s from the
// per-iteration counts the case declares.
extern "C" {
#include <l2.h>
#include "shim.h"
}

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <dlfcn.h>
#include <unistd.h>

namespace {

struct listed {
    std::string name, status;
    double items, bytes, flops;
};

// Stable addresses: registered lambdas keep pointers into these.
std::deque<bench_case> &cases()
{
    static std::deque<bench_case> v;
    return v;
}

std::deque<listed> &listing()
{
    static std::deque<listed> v;
    return v;
}

std::string full_name(const bench_case *c)
{
    return std::string(c->name) + "/t:" + std::to_string(c->threads);
}

// One call from Google Benchmark: set the threads, set up, time run(), tear down, set counters.
void run_case(benchmark::State &st, const bench_case *c)
{
    static thread_local std::string err;
    l2_set_num_threads(c->threads);
    l2_clear_error();
    void *data = c->setup(c);
    if (!data) {
        err = std::string("setup failed: ") + l2_last_error();
        st.SkipWithError(err.c_str());
        return;
    }
    bool failed = false;
    for (auto _ : st) {
        if (c->run(data) != 0) {
            err = std::string("run failed: ") + l2_last_error();
            st.SkipWithError(err.c_str());
            failed = true;
            break;
        }
    }
    if (c->teardown)
        c->teardown(data);
    if (failed)
        return;
    double it = (double)st.iterations();
    if (c->items > 0)
        st.SetItemsProcessed((int64_t)(c->items * it));
    if (c->bytes > 0)
        st.SetBytesProcessed((int64_t)(c->bytes * it));
    if (c->flops > 0)
        st.counters["FLOP/s"] = benchmark::Counter(c->flops * it, benchmark::Counter::kIsRate);
}

} // namespace

extern "C" int bench_register(const bench_case *c)
{
    if (!c || !c->setup || !c->run || c->threads < 1 || !c->name[0])
        return -1;
    cases().push_back(*c);
    const bench_case *kept = &cases().back();
    std::string name = full_name(kept);
    listing().push_back({name, "ok", c->items, c->bytes, c->flops});
    benchmark::RegisterBenchmark(name.c_str(), [kept](benchmark::State &st) {
        run_case(st, kept);
    })->UseRealTime()->MeasureProcessCPUTime();
    return 0;
}

extern "C" void bench_register_missing(const bench_case *c, const char *reason)
{
    listing().push_back({full_name(c), std::string("missing: ") + reason, c->items, c->bytes,
                         c->flops});
}

extern "C" void bench_do_not_optimize(const void *p)
{
    benchmark::DoNotOptimize(p);
    benchmark::ClobberMemory();
}

extern "C" bool bench_full_profile(void)
{
    const char *p = getenv("L2_BENCH_PROFILE");
    return p && strcmp(p, "full") == 0;
}

extern "C" int bench_thread_counts(int *out2)
{
    // L2_BENCH_THREADS="1" or "1,2" overrides the default (1 and the online core count).
    const char *env = getenv("L2_BENCH_THREADS");
    if (env && *env) {
        int a = 0, b = 0;
        int n = sscanf(env, "%d,%d", &a, &b);
        if (n >= 1 && a >= 1) {
            out2[0] = a;
            if (n == 2 && b >= 1 && b != a) {
                out2[1] = b;
                return 2;
            }
            return 1;
        }
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    out2[0] = 1;
    if (cores > 1) {
        out2[1] = (int)cores;
        return 2;
    }
    return 1;
}

extern "C" int bench_main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--l2_list") == 0) {
            for (const listed &l : listing())
                printf("%s\t%s\t%.17g\t%.17g\t%.17g\n", l.name.c_str(), l.status.c_str(), l.items,
                       l.bytes, l.flops);
            return 0;
        }
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    benchmark::AddCustomContext("l2_profile", bench_full_profile() ? "full" : "quick");
    // The kernel set OpenBLAS chose for this CPU (DYNAMIC_ARCH builds fall back to an old one,
    // such as Prescott, on a CPU they do not know): looked up at run time, no link dependency.
    typedef char *(*corename_fn)(void);
    if (void *f = dlsym(RTLD_DEFAULT, "openblas_get_corename"))
        benchmark::AddCustomContext("l2_blas_core", reinterpret_cast<corename_fn>(f)());
    size_t missing = 0;
    for (const listed &l : listing())
        missing += l.status != "ok";
    benchmark::AddCustomContext("l2_cases_missing", std::to_string(missing));
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
