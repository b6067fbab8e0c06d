// torch-cases-full14.cc: libtorch twins of issue 14's full-profile cases that had none, the same
// calls and inputs as their torch-py twins: conv3d, max_pool3d, avg_pool3d, adaptive_max_pool2d,
// max_unpool2d, conv_transpose3d (bench/cases-conv3.c, torch_conv3.py); threshold and the
// losses (cases-loss2.c, torch_loss2.py; gaussian_nll_loss written as 1.13's functional.py
// composes it, kl_div 'batchmean' as its sum over the batch size); einsum (cases-compose.c,
// torch_compose.py); index_tensors and index_put (cases-adv.c, torch_adv.py). A "+bwd" case
// backpropagates contiguous ones shaped as the result.
#include "torch-cases.h"

namespace {

template <typename F>
tb_run fwd_or_bwd(const tb_name &n, F f, std::vector<at::Tensor> leaves)
{
    if (!n.bwd)
        return [f]() { tb_keep(f()); };
    at::Tensor g;
    {
        at::NoGradGuard ng;
        g = at::ones(f().sizes());
    }
    return tb_backward(f, g, leaves);
}

at::Tensor leaf(at::Tensor t, bool grad)
{
    return grad ? t.detach().requires_grad_(true) : t;
}

const std::vector<int64_t> &dims(const tb_name &n, size_t i)
{
    return n.dims.at(i);
}

tb_run conv3(const tb_name &n, std::string *why)
{
    const std::string &b = n.base;
    bool gr = n.bwd;
    if (b == "conv3d" || b == "conv_transpose3d") {
        bool tr = b == "conv_transpose3d";
        at::Tensor x = leaf(at::randn(dims(n, 0)), gr), w = leaf(at::randn(dims(n, 1)), gr);
        at::Tensor bias = leaf(at::randn({dims(n, 1).at(tr ? 1 : 0)}), gr);
        if (tr)
            return fwd_or_bwd(n, [x, w, bias]() {
                return at::conv_transpose3d(x, w, bias, {2, 2, 2}, {1, 1, 1}, {1, 1, 1});
            }, {x, w, bias});
        return fwd_or_bwd(n, [x, w, bias]() {
            return at::conv3d(x, w, bias, {1, 1, 1}, {1, 1, 1});
        }, {x, w, bias});
    }
    if (b == "max_unpool2d") {
        const std::vector<int64_t> &s = dims(n, 0);
        auto yi = at::max_pool2d_with_indices(at::randn({s.at(0), s.at(1), 2 * s.at(2),
                                                         2 * s.at(3)}),
                                              {2, 2}, {2, 2});
        at::Tensor x = leaf(std::get<0>(yi), gr), i = std::get<1>(yi);
        int64_t h = 2 * s.at(2), w = 2 * s.at(3);
        return fwd_or_bwd(n, [x, i, h, w]() { return at::max_unpool2d(x, i, {h, w}); }, {x});
    }
    at::Tensor x = leaf(at::randn(dims(n, 0)), gr);
    if (b == "max_pool3d")
        return fwd_or_bwd(n, [x]() {
            return std::get<0>(at::max_pool3d_with_indices(x, {2, 2, 2}, {2, 2, 2}));
        }, {x});
    if (b == "avg_pool3d")
        return fwd_or_bwd(n, [x]() { return at::avg_pool3d(x, {2, 2, 2}, {2, 2, 2}); }, {x});
    if (b == "adaptive_max_pool2d")
        return fwd_or_bwd(n, [x]() { return std::get<0>(at::adaptive_max_pool2d(x, {7, 7})); },
                          {x});
    *why = "no libtorch twin for " + n.op;
    return tb_run();
}

at::Tensor pm1(at::IntArrayRef s)
{
    return at::where(at::rand(s) < 0.5, at::ones(s), -at::ones(s));
}

tb_run loss2(const tb_name &n, std::string *why)
{
    const std::string &b = n.base;
    const std::vector<int64_t> &s = dims(n, 0);
    bool gr = n.bwd;
    const int64_t mean = at::Reduction::Mean;
    if (b == "nn_threshold") {
        at::Tensor x = leaf(at::randn(s), gr);
        return fwd_or_bwd(n, [x]() { return at::threshold(x, 0.1, 0.0); }, {x});
    }
    if (b == "smooth_l1_loss" || b == "huber_loss") {
        at::Tensor x = leaf(at::randn(s), gr), t = leaf(at::randn(s), gr);
        bool sl = b == "smooth_l1_loss";
        return fwd_or_bwd(n, [x, t, sl, mean]() {
            return sl ? at::smooth_l1_loss(x, t, mean, 1.0) : at::huber_loss(x, t, mean, 1.0);
        }, {x, t});
    }
    if (b == "kl_div") {
        at::Tensor x = leaf(at::log_softmax(at::randn(s), 1), gr), t = at::rand(s);
        return fwd_or_bwd(n, [x, t]() {
            return at::kl_div(x, t, at::Reduction::Sum, false) / x.size(0);
        }, {x});
    }
    if (b == "margin_ranking_loss" || b == "cosine_embedding_loss") {
        bool mr = b == "margin_ranking_loss";
        at::Tensor a = leaf(at::randn(s), gr), c = leaf(at::randn(s), gr);
        at::Tensor lab = mr ? pm1(s) : pm1({s.at(0)});
        return fwd_or_bwd(n, [a, c, lab, mr, mean]() {
            return mr ? at::margin_ranking_loss(a, c, lab, 0.1, mean)
                      : at::cosine_embedding_loss(a, c, lab, 0.0, mean);
        }, {a, c});
    }
    if (b == "hinge_embedding_loss") {
        at::Tensor x = leaf(at::randn(s), gr), lab = pm1(s);
        return fwd_or_bwd(n, [x, lab, mean]() {
            return at::hinge_embedding_loss(x, lab, 1.0, mean);
        }, {x});
    }
    if (b == "poisson_nll_loss") {
        at::Tensor x = leaf(at::randn(s), gr), t = at::rand(s);
        return fwd_or_bwd(n, [x, t, mean]() {
            return at::poisson_nll_loss(x, t, true, false, 1e-8, mean);
        }, {x});
    }
    if (b == "gaussian_nll_loss") { // 1.13's F.gaussian_nll_loss (full false, eps 1e-6, mean)
        at::Tensor x = leaf(at::randn(s), gr), t = leaf(at::randn(s), gr), v = at::rand(s);
        return fwd_or_bwd(n, [x, t, v]() {
            at::Tensor var = v.clone();
            {
                at::NoGradGuard ng;
                var.clamp_min_(1e-6);
            }
            return (0.5 * (at::log(var) + (x - t).pow(2) / var)).mean();
        }, {x, t});
    }
    *why = "no libtorch twin for " + n.op;
    return tb_run();
}

tb_run einsum(const tb_name &n, std::string *why)
{
    const std::vector<int64_t> &s = dims(n, 0);
    bool gr = n.bwd;
    at::Tensor a = leaf(at::randn(s), gr), b = leaf(at::randn(s), gr);
    if (n.base == "einsum_bmm")
        return fwd_or_bwd(n, [a, b]() { return at::einsum("bij,bjk->bik", {a, b}); }, {a, b});
    at::Tensor c = leaf(at::randn(s), gr);
    return fwd_or_bwd(n, [a, b, c]() { return at::einsum("ij,jk,kl->il", {a, b, c}); },
                      {a, b, c});
}

// index_tensors/rows (x[i], i any rows), index_put/acc (repeats allowed, accumulate) and
// index_put/noacc (distinct rows).
tb_run adv(const tb_name &n, std::string *why)
{
    const std::vector<int64_t> &s0 = dims(n, 0), &s1 = dims(n, 1);
    bool gr = n.bwd, distinct = n.variant == "noacc";
    at::Tensor i = distinct ? at::randperm(s0.at(0)).slice(0, 0, s1.at(0))
                            : at::randint(0, s0.at(0), {s1.at(0)});
    at::Tensor x = leaf(at::randn(s0), gr);
    c10::List<c10::optional<at::Tensor>> idx;
    idx.push_back(i);
    if (n.base == "index_tensors")
        return fwd_or_bwd(n, [x, idx]() { return at::index(x, idx); }, {x});
    at::Tensor src = leaf(at::randn(s1), gr);
    bool acc = n.variant == "acc";
    return fwd_or_bwd(n, [x, idx, src, acc]() { return at::index_put(x, idx, src, acc); },
                      {x, src});
}

} // namespace

extern const tb_entry tb_full14_table[] = {
    {"conv3d", conv3}, {"max_pool3d", conv3}, {"avg_pool3d", conv3},
    {"adaptive_max_pool2d", conv3}, {"max_unpool2d", conv3}, {"conv_transpose3d", conv3},
    {"nn_threshold", loss2}, {"smooth_l1_loss", loss2}, {"huber_loss", loss2},
    {"kl_div", loss2}, {"margin_ranking_loss", loss2}, {"hinge_embedding_loss", loss2},
    {"cosine_embedding_loss", loss2}, {"poisson_nll_loss", loss2}, {"gaussian_nll_loss", loss2},
    {"einsum_bmm", einsum}, {"einsum_chain3", einsum},
    {"index_tensors", adv}, {"index_put", adv},
    {nullptr, nullptr},
};
