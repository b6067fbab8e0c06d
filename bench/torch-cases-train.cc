// torch-cases-train.cc: libtorch twins of bench/cases-train.c (issue 16). clip_grad_norm_ is
// written with the ATen calls of torch 1.13's torch.nn.utils.clip_grad_norm_ for a finite norm
// type (the Python code torch_train.py times): the norm of each grad, the norm of their stack,
// clip_coef = max_norm / (total + 1e-6) (Python's float / tensor: reciprocal, then times
// max_norm), clamp(max=1), every grad multiplied in place. The parameters: one per shape piece
// ("cnn"), or shape[0] of shape[1:] ("10m"), grads from backward of sum(w * w). The loader has
// no libtorch twin: torch's DataLoader is Python (torch_train.py times it).
#include "torch-cases.h"

namespace {

tb_run clip_grad_norm(const tb_name &n, std::string *why)
{
    std::vector<std::vector<int64_t>> pieces = n.dims;
    if (n.variant == "10m") {
        std::vector<int64_t> s(n.dims.at(0).begin() + 1, n.dims.at(0).end());
        pieces.assign((size_t)n.dims.at(0).at(0), s);
    } else if (n.variant != "cnn") {
        *why = "no libtorch twin for clip_grad_norm_/" + n.variant;
        return tb_run();
    }
    std::vector<at::Tensor> grads;
    for (const std::vector<int64_t> &s : pieces) {
        at::Tensor w = at::randn(s).requires_grad_(true);
        (w * w).sum().backward();
        grads.push_back(w.grad());
    }
    return [grads]() {
        const double max_norm = 1.0, norm_type = 2.0;
        std::vector<at::Tensor> norms;
        norms.reserve(grads.size());
        for (const at::Tensor &g : grads)
            norms.push_back(at::norm(g, norm_type));
        at::Tensor total = at::norm(at::stack(norms), norm_type);
        at::Tensor coef = at::reciprocal(total + 1e-6) * max_norm;
        at::Tensor clamped = at::clamp(coef, c10::nullopt, 1.0);
        for (const at::Tensor &g : grads)
            g.mul_(clamped);
        tb_keep(total);
    };
}

} // namespace

extern const tb_entry tb_train_table[] = {
    {"clip_grad_norm_", clip_grad_norm},
    {"loader_next", nullptr, "torch's DataLoader is Python: timed by torch_train.py only"},
    {nullptr, nullptr},
};
