// torch-cases-ops.cc: libtorch twins of the op cases of cases-ops.c: elementwise unary and binary
// (contig, transposed, broadcast, +bwd), in-place, the transcendental set on [0.5, 1.5),
// reductions (all, dim0, dim1), mm (f32/f64, transposed, +bwd) and bmm, as torch_bench.py does.
// A new elementwise op is one line in its table below.
#include "torch-cases.h"

namespace {

using unary_fn = at::Tensor (*)(const at::Tensor &);
using binary_fn = at::Tensor (*)(const at::Tensor &, const at::Tensor &);

struct unary_op {
    const char *name;
    unary_fn f;
};
struct binary_op {
    const char *name;
    binary_fn f;
};

// torch_bench.py's UNARY (randn inputs) and POSITIVE (inputs in [0.5, 1.5)) sets.
const unary_op unary_ops[] = {
    {"relu", [](const at::Tensor &a) { return at::relu(a); }},
    {"exp", [](const at::Tensor &a) { return at::exp(a); }},
    {"tanh", [](const at::Tensor &a) { return at::tanh(a); }},
    {"sigmoid", [](const at::Tensor &a) { return at::sigmoid(a); }},
    {"log", [](const at::Tensor &a) { return at::log(a); }},
    {"gelu", [](const at::Tensor &a) { return at::gelu(a); }},
    {"erf", [](const at::Tensor &a) { return at::erf(a); }},
};
const char *const positive_ops[] = {"log", "gelu", "erf", "pow"};

const binary_op binary_ops[] = {
    {"add", [](const at::Tensor &a, const at::Tensor &b) { return at::add(a, b); }},
    {"mul", [](const at::Tensor &a, const at::Tensor &b) { return at::mul(a, b); }},
    {"div", [](const at::Tensor &a, const at::Tensor &b) { return at::div(a, b); }},
    {"pow", [](const at::Tensor &a, const at::Tensor &b) { return at::pow(a, b); }},
};

bool positive(const std::string &op)
{
    for (const char *p : positive_ops) {
        if (op == p)
            return true;
    }
    return false;
}

// Inputs for an elementwise case: randn (tb_square) or, for the positive set, uniform [0.5, 1.5)
// made contiguous and then transposed, as torch_bench.py does.
void elementwise_inputs(const tb_name &n, at::Tensor *a, at::Tensor *b)
{
    if (!positive(n.base)) {
        tb_square(n, n.variant, n.bwd, a, b);
        return;
    }
    int64_t s = n.dims.at(0).at(0);
    *a = at::empty({s, s}).uniform_(0.5, 1.5);
    *b = (n.variant == "broadcast" ? at::empty({s}) : at::empty({s, s})).uniform_(0.5, 1.5);
    if (n.variant == "transposed") {
        *a = a->t();
        *b = b->t();
    }
}

at::Tensor ones_like_square(const tb_name &n)
{
    int64_t s = n.dims.at(0).at(0);
    return at::ones({s, s}, at::TensorOptions().dtype(tb_dtype(n.dtype)));
}

tb_run unary(const tb_name &n, std::string *why)
{
    for (const unary_op &u : unary_ops) {
        if (n.base != u.name)
            continue;
        at::Tensor a, b;
        elementwise_inputs(n, &a, &b);
        unary_fn f = u.f;
        if (n.bwd) {
            if (positive(n.base)) {
                *why = "torch_bench.py has no backward twin for " + n.base;
                return tb_run();
            }
            return tb_backward([f, a]() { return f(a); }, ones_like_square(n), {a});
        }
        return [f, a]() { tb_keep(f(a)); };
    }
    return tb_run();
}

tb_run binary(const tb_name &n, std::string *why)
{
    for (const binary_op &o : binary_ops) {
        if (n.base != o.name)
            continue;
        at::Tensor a, b;
        elementwise_inputs(n, &a, &b);
        binary_fn f = o.f;
        if (n.bwd) {
            if (positive(n.base)) {
                *why = "torch_bench.py has no backward twin for " + n.base;
                return tb_run();
            }
            return tb_backward([f, a, b]() { return f(a, b); }, ones_like_square(n), {a, b});
        }
        return [f, a, b]() { tb_keep(f(a, b)); };
    }
    return tb_run();
}

tb_run add_inplace(const tb_name &n, std::string *why)
{
    at::Tensor a, b;
    tb_square(n, n.variant, false, &a, &b);
    return [a, b]() { tb_keep(a.add_(b)); };
}

tb_run mul_scalar(const tb_name &n, std::string *why)
{
    at::Tensor a, b;
    tb_square(n, n.variant, false, &a, &b);
    return [a]() { tb_keep(at::mul(a, at::Scalar(1.0001))); };
}

// sum/mean/max over all elements or dim0/dim1; "+bwd" is sum(a).backward() (torch_bench.py).
tb_run reduce(const tb_name &n, std::string *why)
{
    at::Tensor a, b;
    tb_square(n, "contig", n.bwd, &a, &b);
    if (n.bwd)
        return tb_backward([a]() { return at::sum(a); }, at::Tensor(), {a});
    bool all = n.variant == "all";
    int64_t dim = n.variant.back() - '0';
    if (!all && n.variant != "dim0" && n.variant != "dim1") {
        *why = "reduction variant " + n.variant + " not known";
        return tb_run();
    }
    if (n.base == "sum")
        return all ? tb_run([a]() { tb_keep(at::sum(a)); })
                   : tb_run([a, dim]() { tb_keep(at::sum(a, dim)); });
    if (n.base == "mean")
        return all ? tb_run([a]() { tb_keep(at::mean(a)); })
                   : tb_run([a, dim]() { tb_keep(at::mean(a, dim)); });
    return all ? tb_run([a]() { tb_keep(at::max(a)); })
               : tb_run([a, dim]() { tb_keep(std::get<0>(at::max(a, dim))); });
}

tb_run mm(const tb_name &n, std::string *why)
{
    at::Tensor a, b;
    tb_square(n, n.variant, n.bwd, &a, &b);
    if (n.bwd)
        return tb_backward([a, b]() { return at::mm(a, b); }, ones_like_square(n), {a, b});
    return [a, b]() { tb_keep(at::mm(a, b)); };
}

tb_run bmm(const tb_name &n, std::string *why)
{
    auto opt = at::TensorOptions().dtype(tb_dtype(n.dtype));
    at::Tensor a = at::randn(n.dims.at(0), opt), b = at::randn(n.dims.at(0), opt);
    return [a, b]() { tb_keep(at::bmm(a, b)); };
}

} // namespace

const tb_entry tb_ops_table[] = {
    {"relu", unary},        {"exp", unary},           {"tanh", unary},   {"sigmoid", unary},
    {"log", unary},         {"gelu", unary},          {"erf", unary},    {"add", binary},
    {"mul", binary},        {"div", binary},          {"pow", binary},   {"add_", add_inplace},
    {"mul_scalar", mul_scalar}, {"sum", reduce},      {"mean", reduce},  {"max", reduce},
    {"mm", mm},             {"bmm", bmm},             {nullptr, nullptr},
};
