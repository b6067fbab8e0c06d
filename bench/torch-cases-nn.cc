// torch-cases-nn.cc: libtorch twins of the nn cases: softmax, log_softmax, cross_entropy,
// layer_norm, batch_norm, embedding, conv2d, max_pool2d (each +bwd), the MLP and CNN training
// steps with manual SGD, and the SGD-momentum and Adam steps over K x R x C parameters. The two
// optimizers are written with the ATen calls of torch 1.13's single-tensor torch.optim code (the
// default on CPU there). safetensors save/load has no twin here (torch has no safetensors reader:
// torch_bench.py times a numpy one); those cases are skipped with that note.
#include "torch-cases.h"

#include <cmath>

#define NO_SAFETENSORS "not timed on the libtorch side (libtorch has no safetensors reader)"

namespace {

const std::vector<int64_t> &shape(const tb_name &n, size_t i)
{
    return n.dims.at(i);
}

at::Tensor leaf(at::Tensor t, bool grad)
{
    return grad ? t.requires_grad_(true) : t;
}

// softmax/log_softmax over dim 1 of (R, K) randn.
tb_run softmax_like(const tb_name &n, std::string *why)
{
    int64_t r = shape(n, 0).at(0), k = shape(n, 0).at(1);
    at::Tensor a = leaf(at::randn({r, k}), n.bwd);
    bool log = n.base == "log_softmax";
    auto f = [a, log]() { return log ? at::log_softmax(a, 1) : at::softmax(a, 1); };
    if (n.bwd)
        return tb_backward(f, at::ones({r, k}), {a});
    return [f]() { tb_keep(f()); };
}

tb_run cross_entropy(const tb_name &n, std::string *why)
{
    int64_t r = shape(n, 0).at(0), k = shape(n, 0).at(1);
    at::Tensor a = leaf(at::randn({r, k}), n.bwd), tgt = at::randint(0, k, {r});
    auto f = [a, tgt]() { return at::cross_entropy_loss(a, tgt); };
    if (n.bwd)
        return tb_backward(f, at::Tensor(), {a});
    return [f]() { tb_keep(f()); };
}

tb_run layer_norm(const tb_name &n, std::string *why)
{
    int64_t r = shape(n, 0).at(0), k = shape(n, 0).at(1);
    at::Tensor x = leaf(at::randn({r, k}), n.bwd);
    at::Tensor w = leaf(at::empty({k}).uniform_(0.5, 1.5), n.bwd);
    at::Tensor b = leaf(at::randn({k}), n.bwd);
    auto f = [x, w, b, k]() { return at::layer_norm(x, {k}, w, b, 1e-5); };
    if (n.bwd)
        return tb_backward(f, at::ones({r, k}), {x, w, b});
    return [f]() { tb_keep(f()); };
}

// Training-mode batch_norm of (N, C, H, W), momentum 0.1, eps 1e-5 (running stats updated).
tb_run batch_norm(const tb_name &n, std::string *why)
{
    const std::vector<int64_t> &s = shape(n, 0);
    int64_t c = s.at(1);
    at::Tensor x = leaf(at::randn(s), n.bwd);
    at::Tensor w = leaf(at::ones({c}), n.bwd), b = leaf(at::zeros({c}), n.bwd);
    at::Tensor rm = at::zeros({c}), rv = at::ones({c});
    auto f = [x, w, b, rm, rv]() { return at::batch_norm(x, w, b, rm, rv, true, 0.1, 1e-5, true); };
    if (n.bwd)
        return tb_backward(f, at::ones(s), {x, w, b});
    return [f]() { tb_keep(f()); };
}

// Shape "VxD-M": a (V, D) table, M indices.
tb_run embedding(const tb_name &n, std::string *why)
{
    int64_t v = shape(n, 0).at(0), d = shape(n, 0).at(1), m = shape(n, 1).at(0);
    at::Tensor w = leaf(at::randn({v, d}), n.bwd), idx = at::randint(0, v, {m});
    auto f = [w, idx]() { return at::embedding(w, idx); };
    if (n.bwd)
        return tb_backward(f, at::ones({m, d}), {w});
    return [f]() { tb_keep(f()); };
}

tb_run max_pool2d(const tb_name &n, std::string *why)
{
    const std::vector<int64_t> &s = shape(n, 0);
    at::Tensor x = leaf(at::randn(s), n.bwd);
    auto f = [x]() { return at::max_pool2d(x, {2, 2}); };
    if (n.bwd)
        return tb_backward(f, at::ones({s.at(0), s.at(1), s.at(2) / 2, s.at(3) / 2}), {x});
    return [f]() { tb_keep(f()); };
}

// Shape "NxCxHxW-OxCx3x3", padding 1, with a bias.
tb_run conv2d(const tb_name &n, std::string *why)
{
    const std::vector<int64_t> &xs = shape(n, 0), &ws = shape(n, 1);
    at::Tensor x = leaf(at::randn(xs), n.bwd), w = leaf(at::randn(ws), n.bwd);
    at::Tensor bias = leaf(at::randn({ws.at(0)}), n.bwd);
    auto f = [x, w, bias]() { return at::conv2d(x, w, bias, {1, 1}, {1, 1}); };
    if (n.bwd)
        return tb_backward(f, at::ones({xs.at(0), ws.at(0), xs.at(2), xs.at(3)}), {x, w, bias});
    return [f]() { tb_keep(f()); };
}

// A parameter uniform in +-fan^-0.5 that requires grad (torch_bench.py's u()).
at::Tensor param(at::IntArrayRef sizes, int64_t fan)
{
    double r = 1.0 / std::sqrt((double)fan);
    return at::empty(sizes).uniform_(-r, r).requires_grad_(true);
}

// loss.backward(), then p -= 0.01 * p.grad under no_grad, then the grads dropped.
void sgd_finish(const at::Tensor &loss, const std::vector<at::Tensor> &params)
{
    loss.backward();
    {
        at::NoGradGuard no_grad;
        for (const at::Tensor &p : params)
            p.sub_(at::mul(p.grad(), 0.01));
    }
    for (const at::Tensor &p : params)
        tb_drop_grad(p);
}

// "BxIN-H-OUT": linear, relu, linear, cross_entropy.
tb_run mlp_step(const tb_name &n, std::string *why)
{
    int64_t bsz = shape(n, 0).at(0), nin = shape(n, 0).at(1);
    int64_t nh = shape(n, 1).at(0), nout = shape(n, 2).at(0);
    at::Tensor w1 = param({nh, nin}, nin), b1 = param({nh}, nin);
    at::Tensor w2 = param({nout, nh}, nh), b2 = param({nout}, nh);
    at::Tensor x = at::randn({bsz, nin}), y = at::randint(0, nout, {bsz});
    std::vector<at::Tensor> params = {w1, b1, w2, b2};
    return [=]() {
        at::Tensor h = at::relu(at::linear(x, w1, b1));
        sgd_finish(at::cross_entropy_loss(at::linear(h, w2, b2), y), params);
    };
}

// "BxCxHxW-C1-C2-OUT": two conv3x3+relu+maxpool2 blocks, then linear and cross_entropy.
tb_run cnn_step(const tb_name &n, std::string *why)
{
    const std::vector<int64_t> &xs = shape(n, 0);
    int64_t cin = xs.at(1), hh = xs.at(2), ww = xs.at(3);
    int64_t c1 = shape(n, 1).at(0), c2 = shape(n, 2).at(0), nout = shape(n, 3).at(0);
    int64_t nflat = c2 * (hh / 4) * (ww / 4);
    at::Tensor w1 = param({c1, cin, 3, 3}, cin * 9), b1 = param({c1}, cin * 9);
    at::Tensor w2 = param({c2, c1, 3, 3}, c1 * 9), b2 = param({c2}, c1 * 9);
    at::Tensor w3 = param({nout, nflat}, nflat), b3 = param({nout}, nflat);
    at::Tensor x = at::rand(xs), y = at::randint(0, nout, {xs.at(0)});
    std::vector<at::Tensor> params = {w1, b1, w2, b2, w3, b3};
    return [=]() {
        at::Tensor h = at::max_pool2d(at::relu(at::conv2d(x, w1, b1, {1, 1}, {1, 1})), {2, 2});
        h = at::max_pool2d(at::relu(at::conv2d(h, w2, b2, {1, 1}, {1, 1})), {2, 2});
        sgd_finish(at::cross_entropy_loss(at::linear(h.flatten(1), w3, b3), y), params);
    };
}

// Optimizer state over "KxRxC": K parameters of (R, C) whose grads are ones.
struct opt_state {
    std::vector<at::Tensor> params, bufs, sqs, steps;
};

std::shared_ptr<opt_state> opt_params(const tb_name &n)
{
    int64_t k = shape(n, 0).at(0), r = shape(n, 0).at(1), c = shape(n, 0).at(2);
    auto s = std::make_shared<opt_state>();
    for (int64_t i = 0; i < k; i++) {
        at::Tensor p = at::randn({r, c}).requires_grad_(true);
        p.mutable_grad() = at::ones({r, c});
        s->params.push_back(p);
    }
    return s;
}

// torch.optim.SGD(lr=0.01, momentum=0.9).step(): buf = grad on the first step, then
// buf = 0.9 buf + grad; p -= lr buf.
tb_run sgd_step(const tb_name &n, std::string *why)
{
    std::shared_ptr<opt_state> s = opt_params(n);
    s->bufs.resize(s->params.size());
    return [s]() {
        at::NoGradGuard no_grad;
        for (size_t i = 0; i < s->params.size(); i++) {
            const at::Tensor &g = s->params[i].grad();
            if (!s->bufs[i].defined())
                s->bufs[i] = at::clone(g).detach();
            else
                s->bufs[i].mul_(0.9).add_(g, 1.0);
            s->params[i].add_(s->bufs[i], -0.01);
        }
    };
}

// torch.optim.Adam() (lr 1e-3, betas 0.9/0.999, eps 1e-8).step(), single-tensor form.
tb_run adam_step(const tb_name &n, std::string *why)
{
    std::shared_ptr<opt_state> s = opt_params(n);
    for (const at::Tensor &p : s->params) {
        s->bufs.push_back(at::zeros_like(p));
        s->sqs.push_back(at::zeros_like(p));
        s->steps.push_back(at::zeros({}));
    }
    return [s]() {
        const double lr = 1e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        at::NoGradGuard no_grad;
        for (size_t i = 0; i < s->params.size(); i++) {
            const at::Tensor &g = s->params[i].grad();
            s->steps[i].add_(1);
            double step = s->steps[i].item<double>();
            s->bufs[i].mul_(b1).add_(g, 1 - b1);
            s->sqs[i].mul_(b2).addcmul_(g, g, 1 - b2);
            double bc1 = 1 - std::pow(b1, step), bc2 = 1 - std::pow(b2, step);
            at::Tensor denom = (s->sqs[i].sqrt() / std::sqrt(bc2)).add_(eps);
            s->params[i].addcdiv_(s->bufs[i], denom, -lr / bc1);
        }
    };
}

// The composed conv members (issue 14): conv1d "NxCxL-OxCxK" padding 1 with a bias; the 1-d
// pools kernel 2; pixel_shuffle / pixel_unshuffle with factor 2.
tb_run conv1d(const tb_name &n, std::string *why)
{
    const std::vector<int64_t> &xs = shape(n, 0), &ws = shape(n, 1);
    at::Tensor x = leaf(at::randn(xs), n.bwd), w = leaf(at::randn(ws), n.bwd);
    at::Tensor bias = leaf(at::randn({ws.at(0)}), n.bwd);
    auto f = [x, w, bias]() { return at::conv1d(x, w, bias, {1}, {1}); };
    if (n.bwd)
        return tb_backward(f, at::ones({xs.at(0), ws.at(0), xs.at(2)}), {x, w, bias});
    return [f]() { tb_keep(f()); };
}

tb_run pool1d(const tb_name &n, std::string *why)
{
    const std::vector<int64_t> &s = shape(n, 0);
    at::Tensor x = leaf(at::randn(s), n.bwd);
    bool avg = n.op.rfind("avg", 0) == 0;
    auto f = [x, avg]() { return avg ? at::avg_pool1d(x, {2}) : at::max_pool1d(x, {2}); };
    if (n.bwd)
        return tb_backward(f, at::ones({s.at(0), s.at(1), s.at(2) / 2}), {x});
    return [f]() { tb_keep(f()); };
}

tb_run shuffle(const tb_name &n, std::string *why)
{
    const std::vector<int64_t> &s = shape(n, 0);
    at::Tensor x = leaf(at::randn(s), n.bwd);
    bool up = n.op.rfind("pixel_shuffle", 0) == 0;
    auto f = [x, up]() { return up ? at::pixel_shuffle(x, 2) : at::pixel_unshuffle(x, 2); };
    std::vector<int64_t> out = up ? std::vector<int64_t>{s.at(0), s.at(1) / 4, s.at(2) * 2,
                                                         s.at(3) * 2}
                                  : std::vector<int64_t>{s.at(0), s.at(1) * 4, s.at(2) / 2,
                                                         s.at(3) / 2};
    if (n.bwd)
        return tb_backward(f, at::ones(out), {x});
    return [f]() { tb_keep(f()); };
}

// interpolate "NxCxHxW" bilinear to twice the size, align_corners false.
tb_run interpolate(const tb_name &n, std::string *why)
{
    const std::vector<int64_t> &s = shape(n, 0);
    at::Tensor x = leaf(at::randn(s), n.bwd);
    int64_t oh = s.at(2) * 2, ow = s.at(3) * 2;
    auto f = [x, oh, ow]() { return at::upsample_bilinear2d(x, {oh, ow}, false); };
    if (n.bwd)
        return tb_backward(f, at::ones({s.at(0), s.at(1), oh, ow}), {x});
    return [f]() { tb_keep(f()); };
}

// unfold "NxCxHxW" / fold "NxKxL" (back to 28x28), kernel 3, padding 1.
tb_run unfold_fold(const tb_name &n, std::string *why)
{
    const std::vector<int64_t> &s = shape(n, 0);
    at::Tensor x = leaf(at::randn(s), n.bwd);
    bool unfold = n.op.rfind("unfold", 0) == 0;
    auto f = [x, unfold]() {
        return unfold ? at::im2col(x, {3, 3}, {1, 1}, {1, 1}, {1, 1})
                      : at::col2im(x, {28, 28}, {3, 3}, {1, 1}, {1, 1}, {1, 1});
    };
    std::vector<int64_t> out = unfold ? std::vector<int64_t>{s.at(0), s.at(1) * 9,
                                                             s.at(2) * s.at(3)}
                                      : std::vector<int64_t>{s.at(0), s.at(1) / 9, 28, 28};
    if (n.bwd)
        return tb_backward(f, at::ones(out), {x});
    return [f]() { tb_keep(f()); };
}

// Sampling and more norms (issue 14, sample): group_norm (8 groups), instance_norm (running
// statistics updated), local_response_norm (size 5) of "NxCxHxW" with weight and bias of ones /
// zeros; bernoulli of rand probabilities; multinomial of rand (R, K) weights, 10 samples with
// ("repl10") or without replacement; normal with a (R, 1) mean and a (K) std.
tb_run sample_norm(const tb_name &n, std::string *why)
{
    const std::vector<int64_t> &s = shape(n, 0);
    if (n.base == "bernoulli") {
        at::Tensor p = at::rand(s);
        return [p]() { tb_keep(at::bernoulli(p)); };
    }
    if (n.base == "multinomial") {
        at::Tensor w = at::rand(s);
        bool repl = n.variant == "repl10";
        return [w, repl]() { tb_keep(at::multinomial(w, 10, repl)); };
    }
    if (n.base == "normal") {
        at::Tensor m = at::randn(s), sd = at::rand(shape(n, 1));
        return [m, sd]() { tb_keep(at::normal(m, sd)); };
    }
    if (n.base == "local_response_norm") {
        // torch 1.13's C++ API has no local_response_norm: torch.nn.functional's composition
        at::Tensor x = leaf(at::randn(s), n.bwd);
        auto lrn = [x]() {
            auto sz = x.sizes();
            at::Tensor d = x.mul(x).unsqueeze(1).view({sz[0], 1, sz[1], sz[2], -1});
            d = at::constant_pad_nd(d, {0, 0, 0, 0, 2, 2}, 0);
            d = at::avg_pool3d(d, {5, 1, 1}, {1, 1, 1}).squeeze(1).view(sz);
            return x / d.mul(1e-4).add(1.0).pow(0.75);
        };
        if (n.bwd)
            return tb_backward(lrn, at::ones(s), {x});
        return [lrn]() { tb_keep(lrn()); };
    }
    int64_t c = s.at(1);
    at::Tensor x = leaf(at::randn(s), n.bwd), w = leaf(at::ones({c}), n.bwd);
    at::Tensor b = leaf(at::zeros({c}), n.bwd), rm = at::zeros({c}), rv = at::ones({c});
    bool group = n.base == "group_norm";
    auto f = [x, w, b, rm, rv, group]() {
        return group ? at::group_norm(x, 8, w, b, 1e-5)
                     : at::instance_norm(x, w, b, rm, rv, true, 0.1, 1e-5, false);
    };
    if (n.bwd)
        return tb_backward(f, at::ones(s), {x, w, b});
    return [f]() { tb_keep(f()); };
}

} // namespace

const tb_entry tb_nn_table[] = {
    {"softmax", softmax_like},     {"log_softmax", softmax_like}, {"cross_entropy", cross_entropy},
    {"layer_norm", layer_norm},    {"batch_norm", batch_norm},    {"embedding", embedding},
    {"max_pool2d", max_pool2d},    {"conv2d", conv2d},            {"mlp_step", mlp_step},
    {"cnn_step", cnn_step},        {"sgd_step", sgd_step},        {"adam_step", adam_step},
    {"conv1d", conv1d},            {"max_pool1d", pool1d},        {"avg_pool1d", pool1d},
    {"pixel_shuffle", shuffle},    {"pixel_unshuffle", shuffle},  {"interpolate", interpolate},
    {"unfold", unfold_fold},       {"fold", unfold_fold},
    {"group_norm", sample_norm},   {"instance_norm", sample_norm}, /* sample (issue 14) */
    {"local_response_norm", sample_norm}, {"bernoulli", sample_norm},
    {"multinomial", sample_norm},  {"normal", sample_norm},
    {"safetensors_save", nullptr, NO_SAFETENSORS},
    {"safetensors_load", nullptr, NO_SAFETENSORS},
    {nullptr, nullptr},
};
