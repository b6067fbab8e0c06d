// torch-cases-ops14.cc: libtorch twins of the table-driven cases of issue 14's ops
// (bench/cases-ops14.c, cases-ops14b.c, cases-ops14c.c, cases-uniq.c), the same rows as
// torch_ops14.py's ROWS and torch_uniq.py's: one row per "op/variant" with the C row's input
// kind (IN_*, bench/cases.h), the inputs that require grad in the +bwd case (bit i: input i),
// the forward, and for the ops returning pieces
// the expression the backward goes through. torch-main.cc asks tb_ops14_find first.
// torch.nn.functional's Python compositions (softsign, tanhshrink, normalize) are written out
// as 1.13's functional.py writes them.
#include "torch-cases.h"

namespace {

enum { IN_RANDN, IN_RAND, IN_RELU, IN_SORT0, IN_INDEX, IN_INDEX_ANY, IN_MASK, IN_GATHER, IN_TAKE,
       IN_CONV, IN_INTS, IN_INTS_SORTED, IN_SCATTER0, IN_SCATTER1 };

using tv = std::vector<at::Tensor>;
using op_fn = at::Tensor (*)(const tv &t);

struct row {
    const char *key; // "op/variant"
    int in;
    unsigned grad;
    op_fn fwd;
    op_fn bwd = nullptr; // what +bwd differentiates (nullptr: fwd)
};

// The inputs of kind `in` from the case's shape pieces, as cases-ops14.c's make_inputs.
tv make_inputs(int in, const std::vector<std::vector<int64_t>> &s)
{
    tv t;
    switch (in) {
    case IN_RAND:
        for (const auto &p : s)
            t.push_back(at::rand(p));
        break;
    case IN_RELU: t.push_back(at::relu(at::randn(s.at(0)))); break;
    case IN_SORT0:
        t.push_back(std::get<0>(at::sort(at::randn(s.at(0)), -1)));
        for (size_t i = 1; i < s.size(); i++)
            t.push_back(at::randn(s[i]));
        break;
    case IN_INDEX:
    case IN_INDEX_ANY: {
        int64_t n = s.at(0).at(0), k = s.at(1).at(0);
        t.push_back(at::randn(s[0]));
        t.push_back(in == IN_INDEX ? at::randperm(n).slice(0, 0, k) : at::randint(0, n, {k}));
        if (s[1].size() > 1)
            t.push_back(at::randn(s[1]));
        break;
    }
    case IN_MASK:
        t.push_back(at::randn(s.at(0)));
        t.push_back(at::rand(s[0]) < 0.5);
        if (s.size() > 1)
            t.push_back(at::randn(s[1]));
        break;
    case IN_GATHER:
    case IN_TAKE: {
        at::Tensor x = at::randn(s.at(0));
        t.push_back(x);
        t.push_back(at::randint(0, in == IN_TAKE ? x.numel() : s[0].back(), s[0]));
        break;
    }
    case IN_INTS:
    case IN_INTS_SORTED: { // uniq (bench9): float32 values from 0..63, sorted along the last dim
        at::Tensor x = at::randint(0, 64, s.at(0)).to(at::kFloat);
        t.push_back(in == IN_INTS_SORTED ? std::get<0>(at::sort(x, -1)) : x);
        break;
    }
    case IN_SCATTER0:
    case IN_SCATTER1: // uniq (bench9): the index over the destination's size at dim 0 / 1
        t.push_back(at::randn(s.at(0)));
        t.push_back(at::randint(0, s[0].at(in == IN_SCATTER1), s.at(1)));
        t.push_back(at::randn(s[1]));
        break;
    case IN_CONV:
        t.push_back(at::randn(s.at(0)));
        t.push_back(at::randn(s.at(1)));
        t.push_back(at::randn({s[1].at(1)}));
        break;
    default:
        for (const auto &p : s)
            t.push_back(at::randn(p));
        break;
    }
    return t;
}

at::Tensor first(const tv &pieces)
{
    return pieces.at(0);
}

// scatter_reduce along dim 0 (cases-uniq.c's rows)
at::Tensor scatter_reduce0(const tv &t, const char *mode, bool self)
{
    return at::scatter_reduce(t[0], 0, t[1], t[2], mode, self);
}

const row rows[] = {
    // cases-ops14.c (session 7)
    {"sort/dim1", IN_RANDN, 1, [](const tv &t) { return std::get<0>(at::sort(t[0], 1)); }},
    {"topk/k10", IN_RANDN, 1, [](const tv &t) { return std::get<0>(at::topk(t[0], 10, 1)); }},
    {"cumprod/dim1", IN_RANDN, 1, [](const tv &t) { return at::cumprod(t[0], 1); }},
    {"cummax/dim1", IN_RANDN, 1, [](const tv &t) { return std::get<0>(at::cummax(t[0], 1)); }},
    {"logcumsumexp/dim1", IN_RANDN, 1, [](const tv &t) { return at::logcumsumexp(t[0], 1); }},
    {"amax/dim0", IN_RANDN, 1, [](const tv &t) { return at::amax(t[0], {0}); }},
    {"nansum/dim1", IN_RANDN, 1, [](const tv &t) { return at::nansum(t[0], {1}); }},
    {"hardswish/contig", IN_RANDN, 1, [](const tv &t) { return at::hardswish(t[0]); }},
    {"mish/contig", IN_RANDN, 1, [](const tv &t) { return at::mish(t[0]); }},
    {"flip/dim0", IN_RANDN, 1, [](const tv &t) { return at::flip(t[0], {0}); }},
    {"roll/s1d1", IN_RANDN, 1, [](const tv &t) { return at::roll(t[0], {1}, {1}); }},
    {"tril/d0", IN_RANDN, 1, [](const tv &t) { return at::tril(t[0]); }},
    {"repeat/2x2", IN_RANDN, 1, [](const tv &t) { return t[0].repeat({2, 2}); }},
    {"index_add/dim0", IN_INDEX_ANY, 5,
     [](const tv &t) { return t[0].index_add(0, t[1], t[2]); }},
    {"masked_select/half", IN_MASK, 1, [](const tv &t) { return at::masked_select(t[0], t[1]); }},
    {"take/perm", IN_TAKE, 1, [](const tv &t) { return at::take(t[0], t[1]); }},
    {"conv_transpose2d/s2p1", IN_CONV, 7,
     [](const tv &t) { return at::conv_transpose2d(t[0], t[1], t[2], {2, 2}, {1, 1}); }},
    // cases-ops14b.c
    {"argsort/dim1", IN_RANDN, 0, [](const tv &t) { return at::argsort(t[0], 1, false); }},
    {"msort/dim0", IN_RANDN, 1, [](const tv &t) { return at::msort(t[0]); }},
    {"kthvalue/k512dim1", IN_RANDN, 1,
     [](const tv &t) { return std::get<0>(at::kthvalue(t[0], 512, 1)); }},
    {"median/all", IN_RANDN, 1, [](const tv &t) { return at::median(t[0]); }},
    {"median/dim1", IN_RANDN, 1, [](const tv &t) { return std::get<0>(at::median(t[0], 1)); }},
    {"mode/dim1", IN_RANDN, 1, [](const tv &t) { return std::get<0>(at::mode(t[0], 1)); }},
    {"searchsorted/rows", IN_SORT0, 0, [](const tv &t) { return at::searchsorted(t[0], t[1]); }},
    {"bucketize/b1024", IN_SORT0, 0, [](const tv &t) { return at::bucketize(t[1], t[0]); }},
    {"cummin/dim1", IN_RANDN, 1, [](const tv &t) { return std::get<0>(at::cummin(t[0], 1)); }},
    {"amin/dim0", IN_RANDN, 1, [](const tv &t) { return at::amin(t[0], {0}); }},
    {"aminmax/dim1", IN_RANDN, 0, [](const tv &t) { return std::get<0>(at::aminmax(t[0], 1)); }},
    {"nanmean/dim1", IN_RANDN, 1,
     [](const tv &t) { return at::nanmean(t[0], at::IntArrayRef{1}); }},
    {"count_nonzero/half", IN_RELU, 0,
     [](const tv &t) { return at::count_nonzero(t[0], at::IntArrayRef{1}); }},
    {"var_mean/dim1", IN_RANDN, 1,
     [](const tv &t) { return std::get<0>(at::var_mean(t[0], at::IntArrayRef{1}, true)); }},
    {"std_mean/dim1", IN_RANDN, 1,
     [](const tv &t) { return std::get<0>(at::std_mean(t[0], at::IntArrayRef{1}, true)); }},
    {"bernoulli_p/p0.5", IN_RAND, 0, [](const tv &t) { return at::bernoulli(t[0], 0.5); }},
    {"hardtanh/m1p1", IN_RANDN, 1, [](const tv &t) { return at::hardtanh(t[0], -1.0, 1.0); }},
    {"relu6/contig", IN_RANDN, 1, [](const tv &t) { return at::relu6(t[0]); }},
    {"hardsigmoid/contig", IN_RANDN, 1, [](const tv &t) { return at::hardsigmoid(t[0]); }},
    {"selu/contig", IN_RANDN, 1, [](const tv &t) { return at::selu(t[0]); }},
    {"celu/a1", IN_RANDN, 1, [](const tv &t) { return at::celu(t[0], 1.0); }},
    {"logsigmoid/contig", IN_RANDN, 1, [](const tv &t) { return at::log_sigmoid(t[0]); }},
    {"softsign/contig", IN_RANDN, 1, [](const tv &t) { return t[0] / (t[0].abs() + 1); }},
    {"tanhshrink/contig", IN_RANDN, 1, [](const tv &t) { return t[0] - t[0].tanh(); }},
    {"prelu/c16", IN_RANDN, 3, [](const tv &t) { return at::prelu(t[0], t[1]); }},
    {"glu/dim1", IN_RANDN, 1, [](const tv &t) { return at::glu(t[0], 1); }},
    {"gelu/tanh", IN_RANDN, 1, [](const tv &t) { return at::gelu(t[0], "tanh"); }},
    {"gelu/exact", IN_RANDN, 1, [](const tv &t) { return at::gelu(t[0]); }},
    {"cosine_similarity/dim1", IN_RANDN, 3,
     [](const tv &t) { return at::cosine_similarity(t[0], t[1], 1, 1e-8); }},
    {"pairwise_distance/p2", IN_RANDN, 3,
     [](const tv &t) { return at::pairwise_distance(t[0], t[1], 2.0, 1e-6, false); }},
    {"normalize/p2dim1", IN_RANDN, 1,
     [](const tv &t) {
         return t[0] / at::norm(t[0], 2, {1}, true).clamp_min(1e-12).expand_as(t[0]);
     }},
    // cases-ops14c.c
    {"split/s256d1", IN_RANDN, 1, [](const tv &t) { return first(at::split(t[0], 256, 1)); },
     [](const tv &t) { return at::cat(at::split(t[0], 256, 1), 1); }},
    {"chunk/c4d0", IN_RANDN, 1, [](const tv &t) { return first(at::chunk(t[0], 4, 0)); },
     [](const tv &t) { return at::cat(at::chunk(t[0], 4, 0), 0); }},
    {"unbind/dim0", IN_RANDN, 1, [](const tv &t) { return first(at::unbind(t[0], 0)); },
     [](const tv &t) { return at::stack(at::unbind(t[0], 0), 0); }},
    {"tensor_split/s3d1", IN_RANDN, 1,
     [](const tv &t) { return first(at::tensor_split(t[0], 3, 1)); },
     [](const tv &t) { return at::cat(at::tensor_split(t[0], 3, 1), 1); }},
    {"movedim/1to3", IN_RANDN, 1, [](const tv &t) { return at::movedim(t[0], 1, 3); }},
    {"triu/d0", IN_RANDN, 1, [](const tv &t) { return at::triu(t[0], 0); }},
    {"diag/vec", IN_RANDN, 1, [](const tv &t) { return at::diag(t[0], 0); }},
    {"diagonal/o0", IN_RANDN, 1, [](const tv &t) { return at::diagonal(t[0], 0, 0, 1); }},
    {"tile/2x2", IN_RANDN, 1, [](const tv &t) { return at::tile(t[0], {2, 2}); }},
    {"repeat_interleave/r2d1", IN_RANDN, 1,
     [](const tv &t) { return at::repeat_interleave(t[0], 2, 1); }},
    {"rot90/k1", IN_RANDN, 1, [](const tv &t) { return at::rot90(t[0], 1, {0, 1}); }},
    {"meshgrid/ij", IN_RANDN, 3,
     [](const tv &t) { return first(at::meshgrid({t[0], t[1]}, "ij")); },
     [](const tv &t) {
         tv g = at::meshgrid({t[0], t[1]}, "ij");
         return at::add(g[0], g[1]);
     }},
    {"index_fill/dim0", IN_INDEX, 1, [](const tv &t) { return t[0].index_fill(0, t[1], -1.0); }},
    {"index_copy/dim0", IN_INDEX, 5, [](const tv &t) { return t[0].index_copy(0, t[1], t[2]); }},
    {"nonzero/half", IN_RELU, 0, [](const tv &t) { return at::nonzero(t[0]); }},
    {"masked_scatter/half", IN_MASK, 5,
     [](const tv &t) { return t[0].masked_scatter(t[1], t[2]); }},
    {"take_along_dim/dim1", IN_GATHER, 1,
     [](const tv &t) { return at::take_along_dim(t[0], t[1], 1); }},
    {"conv_transpose1d/s2p1", IN_CONV, 7,
     [](const tv &t) { return at::conv_transpose1d(t[0], t[1], t[2], 2, 1, 0, 1, 1); }},
    {"max_pool2d_ex/k3s2d2ceil", IN_RANDN, 1,
     [](const tv &t) { return at::max_pool2d(t[0], {3, 3}, {2, 2}, {0, 0}, {2, 2}, true); }},
    {"avg_pool2d_ex/k3s2p1nopad", IN_RANDN, 1,
     [](const tv &t) { return at::avg_pool2d(t[0], {3, 3}, {2, 2}, {1, 1}, false, false); }},
    // cases-uniq.c (bench9): the unique ops keep the values (sorted=true: libl2 always sorts)
    {"unique/sorted_inv_cnt", IN_INTS, 0,
     [](const tv &t) { return std::get<0>(at::_unique2(t[0], true, true, true)); }},
    {"unique_dim/dim0_inv_cnt", IN_INTS, 0,
     [](const tv &t) { return std::get<0>(at::unique_dim(t[0], 0, true, true, true)); }},
    {"unique_consecutive/inv_cnt", IN_INTS_SORTED, 0,
     [](const tv &t) { return std::get<0>(at::unique_consecutive(t[0], true, true)); }},
    {"scatter/dim0", IN_SCATTER0, 5, [](const tv &t) { return at::scatter(t[0], 0, t[1], t[2]); }},
    {"scatter/dim1", IN_SCATTER1, 5, [](const tv &t) { return at::scatter(t[0], 1, t[1], t[2]); }},
    {"scatter_value/dim1", IN_SCATTER1, 1,
     [](const tv &t) { return at::scatter(t[0], 1, t[1], -1.0); }},
    {"scatter_reduce/sum_self", IN_SCATTER0, 5,
     [](const tv &t) { return scatter_reduce0(t, "sum", true); }},
    {"scatter_reduce/sum_noself", IN_SCATTER0, 5,
     [](const tv &t) { return scatter_reduce0(t, "sum", false); }},
    {"scatter_reduce/prod_self", IN_SCATTER0, 5,
     [](const tv &t) { return scatter_reduce0(t, "prod", true); }},
    {"scatter_reduce/prod_noself", IN_SCATTER0, 5,
     [](const tv &t) { return scatter_reduce0(t, "prod", false); }},
    {"scatter_reduce/mean_self", IN_SCATTER0, 5,
     [](const tv &t) { return scatter_reduce0(t, "mean", true); }},
    {"scatter_reduce/mean_noself", IN_SCATTER0, 5,
     [](const tv &t) { return scatter_reduce0(t, "mean", false); }},
    {"scatter_reduce/amax_self", IN_SCATTER0, 5,
     [](const tv &t) { return scatter_reduce0(t, "amax", true); }},
    {"scatter_reduce/amax_noself", IN_SCATTER0, 5,
     [](const tv &t) { return scatter_reduce0(t, "amax", false); }},
    {"scatter_reduce/amin_self", IN_SCATTER0, 5,
     [](const tv &t) { return scatter_reduce0(t, "amin", true); }},
    {"scatter_reduce/amin_noself", IN_SCATTER0, 5,
     [](const tv &t) { return scatter_reduce0(t, "amin", false); }},
};

tb_run ops14(const tb_name &n, std::string *why)
{
    std::string key = n.base + "/" + n.variant;
    for (const row &r : rows) {
        if (key != r.key)
            continue;
        if (n.bwd && !r.grad) {
            *why = "no gradient in torch";
            return tb_run();
        }
        tv t = make_inputs(r.in, n.dims);
        if (!n.bwd) {
            op_fn f = r.fwd;
            return [f, t]() { tb_keep(f(t)); };
        }
        tv leaves;
        for (size_t i = 0; i < t.size(); i++)
            if (r.grad >> i & 1u) {
                t[i].requires_grad_(true);
                leaves.push_back(t[i]);
            }
        op_fn f = r.bwd ? r.bwd : r.fwd;
        at::Tensor g;
        {
            at::NoGradGuard no_grad;
            g = at::ones(f(t).sizes()); // contiguous, as l2bench's
        }
        return tb_backward([f, t]() { return f(t); }, g, leaves);
    }
    *why = "no row " + key + " in torch-cases-ops14.cc"; // not reached: tb_ops14_find checked
    return tb_run();
}

} // namespace

const tb_entry *tb_ops14_find(const tb_name &n)
{
    static const tb_entry entry = {"ops14", ops14};
    std::string key = n.base + "/" + n.variant;
    for (const row &r : rows)
        if (key == r.key)
            return &entry;
    return nullptr;
}
