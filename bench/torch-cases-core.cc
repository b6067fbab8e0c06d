// torch-cases-core.cc: the case-name parser and the libtorch twins of cases-core.c: creation,
// views and slicing, clone/contiguous, cat/stack, to_dtype, copy_ and their backward cases, each
// as torch_bench.py builds it (ops, reductions, matmul: torch-cases-ops.cc; nn: torch-cases-nn.cc).
#include "torch-cases.h"

#include <ATen/TensorIndexing.h>

#include <cstdlib>
#include <sstream>

using at::indexing::None;
using at::indexing::Slice;

bool tb_parse(const std::string &name, tb_name *n, std::string *why)
{
    std::vector<std::string> parts;
    std::istringstream in(name);
    for (std::string p; std::getline(in, p, '/');)
        parts.push_back(p);
    if (parts.size() < 5 || parts.back().rfind("t:", 0) != 0) {
        *why = "not op/dtype/variant/shape/t:threads";
        return false;
    }
    n->full = name;
    n->op = parts[0];
    size_t plus = n->op.find('+');
    n->base = n->op.substr(0, plus);
    n->bwd = plus != std::string::npos && n->op.substr(plus + 1) == "bwd";
    n->dtype = parts[1];
    n->variant = parts[2];
    n->threads = std::atoi(parts.back().c_str() + 2);
    n->dims.clear();
    std::istringstream shape(parts[3]);
    for (std::string piece; std::getline(shape, piece, '-');) {
        std::vector<int64_t> d;
        std::istringstream ps(piece);
        for (std::string x; std::getline(ps, x, 'x');) {
            char *end;
            long long v = std::strtoll(x.c_str(), &end, 10);
            if (x.empty() || *end || v < 0) {
                *why = "bad shape " + parts[3];
                return false;
            }
            d.push_back(v);
        }
        n->dims.push_back(d);
    }
    if (n->threads < 1 || n->dims.empty() || n->dims[0].empty()) {
        *why = "bad threads or shape";
        return false;
    }
    return true;
}

void tb_seed()
{
    at::manual_seed(0);
}

namespace {

int64_t side(const tb_name &n)
{
    return n.dims.at(0).at(0);
}

// variant "new": torch.empty/zeros/... of (n, n) float32.
tb_run create(const tb_name &n, std::string *why)
{
    int64_t s = side(n);
    const std::string &op = n.op;
    if (op == "empty")
        return [s]() { tb_keep(at::empty({s, s})); };
    if (op == "zeros")
        return [s]() { tb_keep(at::zeros({s, s})); };
    if (op == "ones")
        return [s]() { tb_keep(at::ones({s, s})); };
    if (op == "full")
        return [s]() { tb_keep(at::full({s, s}, 1.5)); };
    if (op == "rand")
        return [s]() { tb_keep(at::rand({s, s})); };
    if (op == "randn")
        return [s]() { tb_keep(at::randn({s, s})); };
    if (op == "arange")
        return [s]() { tb_keep(at::arange(0, s * s, 1, at::kFloat)); };
    *why = "no creation twin for " + op;
    return tb_run();
}

// variant "view": a is (n, n), r is (1, n); the Python indexing is at::indexing here.
tb_run view(const tb_name &n, std::string *why)
{
    int64_t s = side(n);
    at::Tensor a = at::randn({s, s}), r = at::randn({1, s});
    const std::string &op = n.op;
    if (op == "view")
        return [a]() { tb_keep(a.view(-1)); };
    if (op == "reshape")
        return [a]() { tb_keep(a.reshape({16, -1})); };
    if (op == "transpose")
        return [a]() { tb_keep(a.transpose(0, 1)); };
    if (op == "slice")
        return [a]() { tb_keep(a.index({Slice(), Slice(1, None, 2)})); };
    if (op == "index")
        return [a]() { tb_keep(a.index({Slice(1, 3), Slice(None, None, 2)})); };
    if (op == "select")
        return [a]() { tb_keep(a.select(0, 1)); };
    if (op == "narrow")
        return [a]() { tb_keep(a.narrow(1, 1, 8)); };
    if (op == "unsqueeze")
        return [a]() { tb_keep(a.unsqueeze(0)); };
    if (op == "permute")
        return [a]() { tb_keep(a.permute({1, 0})); };
    if (op == "expand")
        return [r, s]() { tb_keep(r.expand({s, s})); };
    *why = "no view twin for " + op;
    return tb_run();
}

tb_run clone_like(const tb_name &n, std::string *why)
{
    at::Tensor a, b;
    tb_square(n, n.variant, false, &a, &b);
    if (n.op == "clone")
        return [a]() { tb_keep(a.clone()); };
    return [a]() { tb_keep(a.contiguous()); };
}

tb_run cat_like(const tb_name &n, std::string *why)
{
    at::Tensor a, b;
    tb_square(n, "contig", n.bwd, &a, &b);
    int64_t dim = n.variant.back() - '0';
    if (n.bwd) {
        int64_t s = side(n);
        at::Tensor g = at::ones({2 * s, s}, a.options().requires_grad(false));
        return tb_backward([a, b]() { return at::cat({a, b}, 0); }, g, {a, b});
    }
    if (n.base == "stack")
        return [a, b, dim]() { tb_keep(at::stack({a, b}, dim)); };
    return [a, b, dim]() { tb_keep(at::cat({a, b}, dim)); };
}

tb_run to_dtype(const tb_name &n, std::string *why)
{
    at::Tensor a, b;
    tb_square(n, "contig", false, &a, &b);
    at::ScalarType to = tb_dtype(n.variant);
    return [a, to]() { tb_keep(a.to(to)); };
}

tb_run copy(const tb_name &n, std::string *why)
{
    at::Tensor a, b;
    tb_square(n, n.variant, false, &a, &b);
    int64_t s = side(n);
    at::Tensor d = at::ones({s, s}, at::TensorOptions().dtype(tb_dtype(n.dtype)));
    return [d, b]() mutable { tb_keep(d.copy_(b)); };
}

tb_run clone_bwd(const tb_name &n, std::string *why)
{
    at::Tensor a, b;
    tb_square(n, "contig", true, &a, &b);
    int64_t s = side(n);
    at::Tensor g = at::ones({s, s}, at::TensorOptions().dtype(tb_dtype(n.dtype)));
    return tb_backward([a]() { return a.clone(); }, g, {a});
}

// Dispatch on the variant for the creation and view families (their op names are many).
tb_run by_variant(const tb_name &n, std::string *why)
{
    if (n.variant == "new")
        return create(n, why);
    if (n.variant == "view")
        return view(n, why);
    *why = "variant " + n.variant + " not known for " + n.op;
    return tb_run();
}

} // namespace

const tb_entry tb_core_table[] = {
    {"empty", by_variant},     {"zeros", by_variant},   {"ones", by_variant},
    {"full", by_variant},      {"rand", by_variant},    {"randn", by_variant},
    {"arange", by_variant},    {"view", by_variant},    {"reshape", by_variant},
    {"transpose", by_variant}, {"slice", by_variant},   {"index", by_variant},
    {"select", by_variant},    {"narrow", by_variant},  {"unsqueeze", by_variant},
    {"permute", by_variant},   {"expand", by_variant},  {"clone", clone_like},
    {"contiguous", clone_like}, {"cat", cat_like},      {"stack", cat_like},
    {"to_dtype", to_dtype},    {"copy_", copy},         {"clone+bwd", clone_bwd},
    {nullptr, nullptr},
};
