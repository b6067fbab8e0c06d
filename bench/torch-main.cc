// torch-main.cc: bench/torchbench, the libtorch (C++, no interpreter) twin of bench/l2bench.
// It takes l2bench's case list (`l2bench --l2_list`: names and per-iteration items, bytes and
// FLOPs), builds the torch twin of each case from its name (bench/torch-cases-*.cc) and times it
// with Google Benchmark under the same name, so the two JSON outputs pair case by case. Cases
// without a twin (limit.*, safetensors) are skipped with a note on stderr and in the context.
//
//   bench/torchbench [--torch_list=FILE|-] [--torch_list_cases] [Google Benchmark flags]
//
// Without --torch_list it runs the l2bench next to itself. Each case sets ATen's threads
// (at::set_num_threads) and OpenBLAS's (openblas_set_num_threads, found in the process) to its
// "/t:<n>"; bench/torch-run.sh also pins OMP_NUM_THREADS and OPENBLAS_NUM_THREADS per process.
#include "torchbench.h"

#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <torch/version.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <dlfcn.h>
#include <exception>
#include <sstream>
#include <string>

namespace {

// One case of the list: its name, its work per iteration, and its builder (or why none).
struct tcase {
    tb_name name;
    double items = 0, bytes = 0, flops = 0;
    tb_builder build = nullptr;
    std::string skip;
};

using blas_threads_fn = void (*)(int);
blas_threads_fn blas_threads = nullptr;

bool split_list_line(const std::string &line, tcase *c, std::string *name)
{
    std::istringstream in(line);
    std::string status, items, bytes, flops;
    if (!std::getline(in, *name, '\t') || name->empty())
        return false;
    std::getline(in, status, '\t');
    if (std::getline(in, items, '\t'))
        c->items = std::atof(items.c_str());
    if (std::getline(in, bytes, '\t'))
        c->bytes = std::atof(bytes.c_str());
    if (std::getline(in, flops, '\t'))
        c->flops = std::atof(flops.c_str());
    return true;
}

// The table entry of n's op (its full name first, then its base), or NULL.
const tb_entry *find_entry(const tb_name &n)
{
    if (const tb_entry *e = tb_ops14_find(n)) // first: "gelu/exact" is not the [0.5, 1.5) gelu
        return e;
    const tb_entry *tables[] = {tb_core_table, tb_ops_table, tb_nn_table, tb_la_table,
                                tb_train_table, tb_full14_table};
    for (const std::string &key : {n.op, n.base}) {
        for (const tb_entry *t : tables) {
            for (; t->op; t++) {
                if (key == t->op)
                    return t;
            }
        }
    }
    return nullptr;
}

// The first line of an exception's message (c10::Error appends a backtrace).
std::string first_line(const std::exception &e)
{
    std::string s = e.what();
    return s.substr(0, s.find('\n'));
}

// Read the list (a file, "-" for stdin, or the output of the l2bench beside argv[0]).
bool read_list(const char *path, const char *argv0, std::deque<tcase> *out, std::string *src)
{
    FILE *f;
    bool piped = false;
    if (path && std::strcmp(path, "-") == 0) {
        f = stdin;
        *src = "stdin";
    } else if (path) {
        f = std::fopen(path, "r");
        *src = path;
    } else {
        std::string dir = argv0;
        size_t slash = dir.rfind('/');
        dir = slash == std::string::npos ? "." : dir.substr(0, slash);
        *src = dir + "/l2bench --l2_list";
        f = popen(("'" + dir + "/l2bench' --l2_list").c_str(), "r");
        piped = true;
    }
    if (!f) {
        std::fprintf(stderr, "torchbench: cannot read the case list from %s\n", src->c_str());
        return false;
    }
    char buf[1024];
    while (std::fgets(buf, sizeof buf, f)) {
        std::string line(buf);
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
            line.pop_back();
        tcase c;
        std::string name, why;
        if (!split_list_line(line, &c, &name))
            continue;
        if (!tb_parse(name, &c.name, &why)) {
            c.name.full = name;
            c.skip = why;
        } else if (c.name.base.rfind("limit.", 0) == 0) {
            c.skip = "a machine limit, measured in C only";
        } else if (const tb_entry *e = find_entry(c.name)) {
            c.build = e->build;
            if (!c.build)
                c.skip = e->none ? e->none : "no libtorch twin";
        } else {
            c.skip = "no libtorch twin for op " + c.name.op;
        }
        out->push_back(c);
    }
    int rc = piped ? pclose(f) : (f == stdin ? 0 : std::fclose(f));
    if (rc != 0 || out->empty()) {
        std::fprintf(stderr, "torchbench: no cases from %s\n", src->c_str());
        return false;
    }
    return true;
}

void set_threads(int n)
{
    at::set_num_threads(n);
    if (blas_threads)
        blas_threads(n);
}

// Build case c (untimed); an empty result with *why when it has no twin or the build threw.
tb_run build(const tcase &c, std::string *why)
{
    set_threads(c.name.threads);
    tb_seed();
    try {
        tb_run r = c.build(c.name, why);
        if (!r && why->empty())
            *why = "no libtorch twin";
        return r;
    } catch (const std::exception &e) {
        *why = "setup threw: " + first_line(e);
        return tb_run();
    }
}

// One call from Google Benchmark: build, time, set the counters l2bench sets.
void run_case(benchmark::State &st, const tcase *c)
{
    static thread_local std::string err;
    tb_run run = build(*c, &err);
    if (!run) {
        st.SkipWithError(err.c_str());
        return;
    }
    try {
        for (auto _ : st)
            run();
    } catch (const std::exception &e) {
        err = "run threw: " + first_line(e);
        st.SkipWithError(err.c_str());
        return;
    }
    double it = (double)st.iterations();
    if (c->items > 0)
        st.SetItemsProcessed((int64_t)(c->items * it));
    if (c->bytes > 0)
        st.SetBytesProcessed((int64_t)(c->bytes * it));
    if (c->flops > 0)
        st.counters["FLOP/s"] = benchmark::Counter(c->flops * it, benchmark::Counter::kIsRate);
}

} // namespace

int main(int argc, char **argv)
{
    const char *list = nullptr;
    bool list_cases = false;
    int kept = 1;
    for (int i = 1; i < argc; i++) {
        if (std::strncmp(argv[i], "--torch_list=", 13) == 0)
            list = argv[i] + 13;
        else if (std::strcmp(argv[i], "--torch_list_cases") == 0)
            list_cases = true;
        else
            argv[kept++] = argv[i];
    }
    argc = kept;
    blas_threads = (blas_threads_fn)dlsym(RTLD_DEFAULT, "openblas_set_num_threads");

    static std::deque<tcase> cases; // registered lambdas keep pointers into it
    std::string src;
    if (!read_list(list, argv[0], &cases, &src))
        return 1;
    size_t skipped = 0;
    if (list_cases) {
        // Every case with "ok" or "skip: <why>"; a case whose builder declines counts as skip.
        for (const tcase &c : cases) {
            std::string why = c.skip;
            if (why.empty() && !build(c, &why))
                why = why.empty() ? "no libtorch twin" : why;
            skipped += !why.empty();
            std::printf("%s\t%s\n", c.name.full.c_str(),
                        why.empty() ? "ok" : ("skip: " + why).c_str());
        }
        std::fprintf(stderr, "torchbench: %zu of %zu cases have a libtorch twin\n",
                     cases.size() - skipped, cases.size());
        return 0;
    }

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    for (const tcase &c : cases) {
        if (!c.skip.empty()) {
            skipped++;
            std::fprintf(stderr, "torchbench: skip %s: %s\n", c.name.full.c_str(),
                         c.skip.c_str());
            continue;
        }
        const tcase *p = &c;
        benchmark::RegisterBenchmark(c.name.full.c_str(), [p](benchmark::State &st) {
            run_case(st, p);
        })->MeasureProcessCPUTime()->UseRealTime();
    }
    benchmark::AddCustomContext("torchbench_libtorch", TORCH_VERSION);
    benchmark::AddCustomContext("torchbench_list", src);
    benchmark::AddCustomContext("torchbench_cases_skipped", std::to_string(skipped));
    benchmark::AddCustomContext("torchbench_blas_threads",
                                blas_threads ? "openblas_set_num_threads per case"
                                             : "not settable: OPENBLAS_NUM_THREADS only");
    std::string par = at::get_parallel_info(); // several lines: one, for the console header
    for (char &ch : par)
        ch = ch == '\n' ? ';' : ch == '\t' ? ' ' : ch;
    benchmark::AddCustomContext("torchbench_parallel", par);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
