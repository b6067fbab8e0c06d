// torch-cases-la.cc: libtorch twins of issue 15's bench cases, the same calls and inputs as the
// torch-py twins: linalg_solve, linalg_inv (randn + n I; solve's 8 right-hand sides),
// linalg_eigh (eigenvectors of s + s^T), linalg_qr (Q, reduced) (bench/cases-lapack.c,
// torch_lapack.py); linalg_svd's U (cases-svd.c, torch_svd.py); baddbmm (cases-baddbmm.c,
// torch_baddbmm.py); linalg_vector_norm and linalg_lstsq gelsy (cases-lsq.c, torch_lsq.py); the
// 2-layer LSTM and GRU (at::lstm / at::gru, the fused kernels nn.LSTM and nn.GRU call) and
// 8-head self-attention (cases-rnn.c, torch_rnn.py). The attention twin is written with the
// ATen calls of torch 1.13's F.multi_head_attention_forward for need_weights=False with grad
// (nn.MultiheadAttention's path when its weights require grad): packed in-projection, q scaled
// by 1/sqrt(head dim), bmm, softmax, bmm, out-projection. A "+bwd" case backpropagates ones
// shaped as the result (contiguous), as l2bench does.
#include "torch-cases.h"

#include <cmath>

namespace {

// The timed call of n: forward only, or forward + backward(ones) with the leaves' grads dropped.
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

// randn(shape) + n I, n the last size (torch_lapack.py's _well).
at::Tensor well(const std::vector<int64_t> &s)
{
    return at::randn(s) + (double)s.back() * at::eye(s.back());
}

// Solve's right-hand sides: the shape with its last size replaced by 8.
std::vector<int64_t> rhs(std::vector<int64_t> s, int64_t k)
{
    s.back() = k;
    return s;
}

tb_run lapack(const tb_name &n, std::string *why)
{
    const std::vector<int64_t> &s = n.dims.at(0);
    if (n.base == "linalg_solve") {
        at::Tensor a = leaf(well(s), n.bwd), b = leaf(at::randn(rhs(s, 8)), n.bwd);
        return fwd_or_bwd(n, [a, b]() { return at::linalg_solve(a, b); }, {a, b});
    }
    if (n.base == "linalg_inv") {
        at::Tensor a = leaf(well(s), n.bwd);
        return fwd_or_bwd(n, [a]() { return at::linalg_inv(a); }, {a});
    }
    if (n.base == "linalg_eigh") {
        at::Tensor r = at::randn(s);
        at::Tensor a = leaf(r + r.transpose(-2, -1), n.bwd);
        return fwd_or_bwd(n, [a]() { return std::get<1>(at::linalg_eigh(a)); }, {a});
    }
    if (n.base == "linalg_qr") {
        at::Tensor a = leaf(at::randn(s), n.bwd);
        return fwd_or_bwd(n, [a]() { return std::get<0>(at::linalg_qr(a)); }, {a});
    }
    if (n.base == "linalg_svd") {
        at::Tensor a = leaf(at::randn(s), n.bwd);
        return fwd_or_bwd(n, [a]() { return std::get<0>(at::linalg_svd(a, false)); }, {a});
    }
    *why = "no libtorch twin for " + n.op;
    return tb_run();
}

// Shape "BxMxK-BxKxN": input (N), batches (B,M,K) and (B,K,N); beta 1, alpha 0.125.
tb_run baddbmm(const tb_name &n, std::string *why)
{
    const std::vector<int64_t> &s = n.dims.at(0), &t = n.dims.at(1);
    at::Tensor c = leaf(at::randn({t.at(2)}), n.bwd), a = leaf(at::randn(s), n.bwd);
    at::Tensor b = leaf(at::randn(t), n.bwd);
    return fwd_or_bwd(n, [c, a, b]() { return at::baddbmm(c, a, b, 1, 0.125); }, {c, a, b});
}

tb_run vector_norm(const tb_name &n, std::string *why)
{
    at::Tensor a = leaf(at::randn(n.dims.at(0)), n.bwd);
    if (n.variant == "all")
        return fwd_or_bwd(n, [a]() { return at::linalg_vector_norm(a, 2); }, {a});
    if (n.variant == "dim1")
        return fwd_or_bwd(n, [a]() { return at::linalg_vector_norm(a, 2, {1}); }, {a});
    *why = "no libtorch twin for linalg_vector_norm/" + n.variant;
    return tb_run();
}

// gelsy (torch's CPU default) of (..., M, N) randn with 4 right-hand sides.
tb_run lstsq(const tb_name &n, std::string *why)
{
    const std::vector<int64_t> &s = n.dims.at(0);
    if (n.variant != "gelsy") {
        *why = "no libtorch twin for linalg_lstsq/" + n.variant;
        return tb_run();
    }
    at::Tensor a = leaf(at::randn(s), n.bwd);
    at::Tensor b = leaf(at::randn({s.at(0), s.at(1), 4}), n.bwd);
    return fwd_or_bwd(
        n, [a, b]() { return std::get<0>(at::linalg_lstsq(a, b, c10::nullopt, "gelsy")); },
        {a, b});
}

// nn.Linear's / nn.LSTM's initialisation: uniform(-1/sqrt(fan), 1/sqrt(fan)), requiring grad.
at::Tensor param(std::vector<int64_t> s, double fan)
{
    double k = 1.0 / std::sqrt(fan);
    return at::empty(s).uniform_(-k, k).requires_grad_(true);
}

// 2-layer LSTM / GRU, input and hidden H, over (T, B, H) (shape "TxBxH"), zero initial state.
tb_run rnn(const tb_name &n, std::string *why)
{
    const std::vector<int64_t> &s = n.dims.at(0);
    if (n.variant != "2layers") {
        *why = "no libtorch twin for " + n.op + "/" + n.variant;
        return tb_run();
    }
    int64_t t = s.at(0), b = s.at(1), h = s.at(2), gates = n.base == "lstm" ? 4 : 3;
    at::manual_seed(1);
    std::vector<at::Tensor> w;
    for (int layer = 0; layer < 2; layer++) {
        w.push_back(param({gates * h, h}, (double)h)); // w_ih
        w.push_back(param({gates * h, h}, (double)h)); // w_hh
        w.push_back(param({gates * h}, (double)h));    // b_ih
        w.push_back(param({gates * h}, (double)h));    // b_hh
    }
    at::Tensor x = at::randn({t, b, h}), h0 = at::zeros({2, b, h}), c0 = at::zeros({2, b, h});
    bool lstm = n.base == "lstm";
    auto f = [x, h0, c0, w, lstm]() {
        if (lstm)
            return std::get<0>(at::lstm(x, {h0, c0}, w, true, 2, 0.0, true, false, false));
        return std::get<0>(at::gru(x, h0, w, true, 2, 0.0, true, false, false));
    };
    return fwd_or_bwd(n, f, w);
}

// Self-attention, embed E, 8 heads, over (L, B, E) (shape "LxBxE"), need_weights false.
tb_run mha(const tb_name &n, std::string *why)
{
    const std::vector<int64_t> &s = n.dims.at(0);
    int64_t l = s.at(0), b = s.at(1), e = s.at(2), heads = 8, hd = e / heads;
    if (n.variant != "8heads" || e % heads) {
        *why = "no libtorch twin for " + n.op + "/" + n.variant;
        return tb_run();
    }
    at::manual_seed(1);
    // nn.MultiheadAttention: in_proj xavier_uniform, biases 0, out_proj as nn.Linear, bias 0.
    double xa = std::sqrt(6.0 / (double)(e + 3 * e));
    at::Tensor win = at::empty({3 * e, e}).uniform_(-xa, xa).requires_grad_(true);
    at::Tensor bin = at::zeros({3 * e}).requires_grad_(true);
    at::Tensor wout = param({e, e}, (double)e), bout = at::zeros({e}).requires_grad_(true);
    at::Tensor x = at::randn({l, b, e});
    auto f = [x, win, bin, wout, bout, l, b, e, heads, hd]() {
        std::vector<at::Tensor> qkv = at::linear(x, win, bin).chunk(3, -1);
        auto split = [b, heads, hd](const at::Tensor &t) {
            return t.contiguous().view({t.size(0), b * heads, hd}).transpose(0, 1);
        };
        at::Tensor q = split(qkv[0]), k = split(qkv[1]), v = split(qkv[2]);
        q = q / std::sqrt((double)hd);
        at::Tensor attn = at::softmax(at::bmm(q, k.transpose(-2, -1)), -1);
        at::Tensor o = at::bmm(attn, v).transpose(0, 1).contiguous().view({l * b, e});
        return at::linear(o, wout, bout).view({l, b, e});
    };
    return fwd_or_bwd(n, f, {win, bin, wout, bout});
}

} // namespace

extern const tb_entry tb_la_table[] = {
    {"linalg_solve", lapack}, {"linalg_inv", lapack}, {"linalg_eigh", lapack},
    {"linalg_qr", lapack},    {"linalg_svd", lapack}, {"baddbmm", baddbmm},
    {"linalg_vector_norm", vector_norm},              {"linalg_lstsq", lstsq},
    {"lstm", rnn},            {"gru", rnn},           {"mha", mha},
    {nullptr, nullptr},
};
