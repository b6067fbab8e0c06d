// torchbench.h: the libtorch twin of l2bench (issue 11), shared by bench/torch-*.cc.
// A case name "op/dtype/variant/shape/t:threads" (bench/cases.h) is parsed into a tb_name; a table
// per family maps the op to a builder, which makes the inputs (untimed) and returns the timed
// call. Builders see no Google Benchmark; torch-main.cc sees no ATen op, only at::set_num_threads.
#ifndef L2_BENCH_TORCHBENCH_H
#define L2_BENCH_TORCHBENCH_H

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

// A parsed case name. dims holds one size list per '-'-separated piece of the shape.
struct tb_name {
    std::string full;    // the whole name, "/t:<threads>" included
    std::string op;      // "mul+bwd"
    std::string base;    // "mul"
    bool bwd = false;    // the op ends in "+bwd"
    std::string dtype;   // "f32", "f64"
    std::string variant; // "contig", "dim0", "pad1" ...
    std::vector<std::vector<int64_t>> dims;
    int threads = 1;
};

// One timed iteration (captures its inputs); empty when the case has no twin.
using tb_run = std::function<void()>;

// Make the inputs of case n and return its timed call, or an empty tb_run with the reason in
// *why. May throw (c10::Error on a bad shape): the caller catches.
using tb_builder = tb_run (*)(const tb_name &n, std::string *why);

struct tb_entry {
    const char *op; // a full op ("mul_scalar", "clone+bwd") or a base ("mul", for "mul+bwd" too)
    tb_builder build;
    const char *none = nullptr; // non-NULL (build NULL): the op is known to have no twin, and why
};

// The tables, one per family file; each ends with {nullptr, nullptr}.
extern const tb_entry tb_core_table[];
extern const tb_entry tb_ops_table[];
extern const tb_entry tb_nn_table[];
extern const tb_entry tb_la_table[]; // issue 15: torch-cases-la.cc
extern const tb_entry tb_train_table[]; // issue 16: torch-cases-train.cc
extern const tb_entry tb_full14_table[]; // issue 14, full profile: torch-cases-full14.cc
// The table-driven issue-14 cases (torch-cases-ops14.cc), keyed "op/variant": their entry, or
// NULL when n is not one of them.
const tb_entry *tb_ops14_find(const tb_name &n);

// Parse a case name; false (with *why) when it does not follow the grammar.
bool tb_parse(const std::string &name, tb_name *n, std::string *why);

// Seed torch's generator as torch_bench.py does (torch.manual_seed(0)) before each build.
void tb_seed();

#endif // L2_BENCH_TORCHBENCH_H
