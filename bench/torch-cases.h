// torch-cases.h: ATen helpers for the builders of bench/torch-cases-*.cc. Each helper makes the
// inputs torch_bench.py makes for the same case name (shapes, dtypes, layouts, requires_grad), so
// that torchbench and torch_bench.py time the same torch calls, one from C++, one from Python.
#ifndef L2_BENCH_TORCH_CASES_H
#define L2_BENCH_TORCH_CASES_H

#include "torchbench.h"

#include <ATen/ATen.h>
#include <benchmark/benchmark.h>

// The dtype of a tag ("f64"; anything else is float32, as torch_bench.py's DTYPES.get).
inline at::ScalarType tb_dtype(const std::string &tag)
{
    return tag == "f64" ? at::kDouble : at::kFloat;
}

// Keep a result alive past the optimiser.
inline void tb_keep(const at::Tensor &t)
{
    benchmark::DoNotOptimize(t.unsafeGetTensorImpl());
}

// Drop a leaf's gradient (torch_bench.py's `a.grad = None`).
inline void tb_drop_grad(const at::Tensor &t)
{
    t.mutable_grad() = at::Tensor();
}

// a, b for an n x n case in layout `variant` (contig, transposed, broadcast: b is a row of n),
// as torch_bench.py's square_inputs.
inline void tb_square(const tb_name &n, const std::string &variant, bool grad, at::Tensor *a,
                      at::Tensor *b)
{
    int64_t s = n.dims.at(0).at(0);
    auto opt = at::TensorOptions().dtype(tb_dtype(n.dtype));
    *a = at::randn({s, s}, opt);
    *b = variant == "broadcast" ? at::randn({s}, opt) : at::randn({s, s}, opt);
    if (variant == "transposed") {
        *a = a->t();
        *b = b->t();
    }
    if (grad) {
        *a = a->detach().requires_grad_(true);
        *b = b->detach().requires_grad_(true);
    }
}

// The timed call of a "+bwd" case: y = f(); y.backward(g) (g undefined: a scalar y); then the
// leaves' gradients are dropped.
template <typename F>
tb_run tb_backward(F f, at::Tensor g, std::vector<at::Tensor> leaves)
{
    return [f, g, leaves]() {
        at::Tensor y = f();
        y.backward(g);
        for (const at::Tensor &t : leaves)
            tb_drop_grad(t);
    };
}

#endif // L2_BENCH_TORCH_CASES_H
