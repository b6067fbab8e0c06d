#!/usr/bin/env python3
"""torch_saves.py: which ops' backward nodes save something in torch 1.13.

torch raises on a second backward without retain_graph exactly when a node it runs had saved
something (a tensor or a wrapped number), which its first backward freed. For each op of
libl2's op table (libl2/ops/list-*.h) this runs every variant libl2 records under that op as
y = op(x); y.sum().backward(); y.sum().backward() and prints one line per op:

    name  yes|no|mixed  (variants that raised / variants)

"yes" ops carry L2__SAVES in the op table (the node counts as having saved something even when
libl2 itself saves nothing); "no" and "mixed" ops rely on what libl2 saved. With --check, the
op table's flags are compared with torch and the exit status is 1 on a difference.
"""
import os
import re
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))


def x(*shape):  # the leaf: each variant differentiates one operand
    return torch.rand(*shape, dtype=torch.float64) + 0.5


def c(*shape):
    return torch.rand(*shape, dtype=torch.float64) + 0.5


I = torch.tensor([0, 2, 1])
M = torch.tensor([[True, False, True], [False, True, False]])

# op name -> list of variants; each variant takes the leaf tensors and returns the output.
# (shapes of the leaves, function)
V = {
    "view": [((2, 3), lambda a: a.view(6))],
    "permute": [((2, 3), lambda a: a.permute(1, 0))],
    "expand": [((1, 3), lambda a: a.expand(2, 3))],
    "slice": [((4, 3), lambda a: a[1:3])],
    "select": [((4, 3), lambda a: a[1])],
    "as_strided": [((6,), lambda a: a.as_strided((2, 2), (1, 2)))],
    "clone": [((2, 3), lambda a: a.clone())],
    "to_dtype": [((2, 3), lambda a: a.to(torch.float32))],
    "cat": [((2, 3), lambda a: torch.cat([a, a.clone()], 0))],
    "copy_": [((2, 3), lambda a: c(2, 3).copy_(a))],
    "add": [((2, 3), lambda a: a + c(2, 3)), ((2, 3), lambda a: a + 2.0),
            ((2, 3), lambda a: torch.add(a, a, alpha=2))],
    "sub": [((2, 3), lambda a: a - c(2, 3)), ((2, 3), lambda a: a - 2.0),
            ((2, 3), lambda a: 2.0 - a)],
    "mul": [((2, 3), lambda a: a * c(2, 3)), ((2, 3), lambda a: a * 2.0),
            ((2, 3), lambda a: a * a), ((2, 3), lambda a: a.clone().mul_(2.0))],
    "div": [((2, 3), lambda a: a / c(2, 3)), ((2, 3), lambda a: a / 2.0),
            ((2, 3), lambda a: c(2, 3) / a)],
    "pow": [((2, 3), lambda a: a ** c(2, 3)), ((2, 3), lambda a: a ** 2.0),
            ((2, 3), lambda a: 2.0 ** a)],
    "maximum": [((2, 3), lambda a: torch.maximum(a, c(2, 3)))],
    "minimum": [((2, 3), lambda a: torch.minimum(a, c(2, 3)))],
    "atan2": [((2, 3), lambda a: torch.atan2(a, c(2, 3)))],
    "fmod": [((2, 3), lambda a: torch.fmod(a, c(2, 3))), ((2, 3), lambda a: torch.fmod(a, 2.0)),
             ((2, 3), lambda a: torch.fmod(a, a.clone() + 1))],
    "remainder": [((2, 3), lambda a: torch.remainder(a, c(2, 3))),
                  ((2, 3), lambda a: torch.remainder(a, 2.0)),
                  ((2, 3), lambda a: torch.remainder(a, a.clone() + 1))],
    "where": [((2, 3), lambda a: torch.where(M, a, c(2, 3)))],
    "masked_fill": [((2, 3), lambda a: a.masked_fill(M, 1.0))],
    "fill_": [((2, 3), lambda a: a.clone().fill_(1.0))],
    "zero_": [((2, 3), lambda a: a.clone().zero_())],
    "neg": [((2, 3), torch.neg)], "abs": [((2, 3), torch.abs)], "sign": [((2, 3), torch.sign)],
    "exp": [((2, 3), torch.exp)], "exp2": [((2, 3), torch.exp2)],
    "expm1": [((2, 3), torch.expm1)], "log": [((2, 3), torch.log)],
    "log2": [((2, 3), torch.log2)], "log10": [((2, 3), torch.log10)],
    "log1p": [((2, 3), torch.log1p)], "sqrt": [((2, 3), torch.sqrt)],
    "rsqrt": [((2, 3), torch.rsqrt)], "square": [((2, 3), torch.square)],
    "reciprocal": [((2, 3), torch.reciprocal)], "sin": [((2, 3), torch.sin)],
    "cos": [((2, 3), torch.cos)], "tan": [((2, 3), torch.tan)],
    "asin": [((2, 3), lambda a: torch.asin(a - 0.9))],
    "acos": [((2, 3), lambda a: torch.acos(a - 0.9))], "atan": [((2, 3), torch.atan)],
    "sinh": [((2, 3), torch.sinh)], "cosh": [((2, 3), torch.cosh)],
    "tanh": [((2, 3), torch.tanh)], "sigmoid": [((2, 3), torch.sigmoid)],
    "relu": [((2, 3), torch.relu)], "silu": [((2, 3), F.silu)], "erf": [((2, 3), torch.erf)],
    "floor": [((2, 3), torch.floor)], "ceil": [((2, 3), torch.ceil)],
    "round": [((2, 3), torch.round)], "trunc": [((2, 3), torch.trunc)],
    "leaky_relu": [((2, 3), F.leaky_relu)], "elu": [((2, 3), F.elu)],
    "gelu": [((2, 3), F.gelu)], "softplus": [((2, 3), F.softplus)],
    "clamp": [((2, 3), lambda a: torch.clamp(a, 0.6, 1.2))],
    "sum": [((2, 3), torch.sum), ((2, 3), lambda a: a.sum(0))],
    "mean": [((2, 3), torch.mean), ((2, 3), lambda a: a.mean(0))],
    "prod": [((2, 3), torch.prod), ((2, 3), lambda a: a.prod(0))],
    "max": [((2, 3), torch.max)], "min": [((2, 3), torch.min)],
    "max_dim": [((2, 3), lambda a: a.max(0)[0])], "min_dim": [((2, 3), lambda a: a.min(0)[0])],
    "var": [((2, 3), torch.var), ((2, 3), lambda a: a.var(0))],
    "std": [((2, 3), torch.std), ((2, 3), lambda a: a.std(0))],
    "logsumexp": [((2, 3), lambda a: torch.logsumexp(a, 0))],
    "norm": [((2, 3), torch.norm), ((2, 3), lambda a: a.norm(dim=0))],
    "cumsum": [((2, 3), lambda a: a.cumsum(0))],
    "matmul": [((2, 3), lambda a: a @ c(3, 4))], "mm": [((2, 3), lambda a: a.mm(c(3, 4)))],
    "bmm": [((2, 2, 3), lambda a: a.bmm(c(2, 3, 4)))],
    "mv": [((2, 3), lambda a: a.mv(c(3)))], "dot": [((3,), lambda a: a.dot(c(3)))],
    "outer": [((3,), lambda a: torch.outer(a, c(2)))],
    "addmm": [((2, 4), lambda a: torch.addmm(a, c(2, 3), c(3, 4))),
              ((2, 3), lambda a: torch.addmm(c(2, 4), a, c(3, 4)))],
    "linear": [((2, 3), lambda a: F.linear(a, c(4, 3), c(4)))],
    "baddbmm": [((2, 2, 4), lambda a: torch.baddbmm(a, c(2, 2, 3), c(2, 3, 4))),  # issue 15
                ((2, 2, 3), lambda a: torch.baddbmm(c(2, 2, 4), a, c(2, 3, 4)))],
    "index_select": [((4, 3), lambda a: a.index_select(0, I))],
    "gather": [((4, 3), lambda a: a.gather(0, torch.tensor([[0, 1, 2]])))],
    "scatter_add": [((4, 3), lambda a: a.scatter_add(0, torch.tensor([[0, 1, 2]]), c(1, 3))),
                    ((1, 3), lambda a: c(4, 3).scatter_add(0, torch.tensor([[0, 1, 2]]), a))],
    "embedding": [((4, 3), lambda a: F.embedding(I, a))],
    "take": [((4, 3), lambda a: torch.take(a, torch.tensor([[0, -1], [5, 5]])))],  # index2
    # interpolation, unfold and fold (issue 14): libl2's upsample2d node serves every mode
    "upsample2d": [((1, 2, 3, 4), lambda a: F.interpolate(a, scale_factor=2, mode="nearest")),
                   ((1, 2, 3, 4), lambda a: F.interpolate(a, size=(5, 7),
                                                          mode="nearest-exact")),
                   ((1, 2, 3, 4), lambda a: F.interpolate(a, scale_factor=2, mode="bilinear")),
                   ((1, 2, 3, 4), lambda a: F.interpolate(a, size=(5, 7), mode="bicubic",
                                                          align_corners=True))],
    "unfold": [((1, 2, 4, 4), lambda a: F.unfold(a, 2))],
    "fold": [((1, 8, 9), lambda a: F.fold(a, (4, 4), 2))],
    # sorting and selection (issue 14, sort)
    "sort": [((2, 5), lambda a: torch.sort(a, 1)[0])],
    "topk": [((2, 5), lambda a: torch.topk(a, 2, 1)[0])],
    "kthvalue": [((2, 5), lambda a: torch.kthvalue(a, 2, 1)[0])],
    "median": [((2, 5), lambda a: torch.median(a))],
    "median_dim": [((2, 5), lambda a: torch.median(a, 1)[0])],
    "mode": [((2, 5), lambda a: torch.mode(a, 1)[0])],
    "diagonal": [((3, 4), lambda a: torch.diagonal(a, 1, 0, 1))],  # shape
    # sample (issue 14): a in [0.5, 1.5), shifted into [0, 1) for bernoulli (SubBackward0
    # saves nothing)
    "bernoulli": [((2, 3), lambda a: torch.bernoulli(a - 0.5))],
    "normal": [((2, 3), lambda a: torch.normal(a, c(2, 3))),
               ((2, 3), lambda a: torch.normal(c(2, 3), a)),
               ((2, 3), lambda a: torch.normal(a, 2.0)),
               ((2, 3), lambda a: torch.normal(1.0, a))],
    "group_norm": [((2, 4, 3), lambda a: F.group_norm(a, 2)),
                   ((4,), lambda a: F.group_norm(c(2, 4, 3), 2, a)),
                   ((4,), lambda a: F.group_norm(c(2, 4, 3), 2, c(4), a))],
    "amax": [((4, 3), lambda a: torch.amax(a, 1)), ((4, 3), lambda a: torch.amax(a))],  # scan
    "amin": [((4, 3), lambda a: torch.amin(a, (0, 1), True))],
    "cumprod": [((4, 3), lambda a: torch.cumprod(a, 1))],
    "cummax": [((4, 3), lambda a: torch.cummax(a, 0)[0])],
    "cummin": [((4, 3), lambda a: torch.cummin(a, 1)[0])],
    "logcumsumexp": [((4, 3), lambda a: torch.logcumsumexp(a, 0))],
    "index_fill": [((4, 3), lambda a: a.index_fill(0, I, 2.0))],  # index3
    "index_copy": [((4, 3), lambda a: a.index_copy(0, torch.tensor([2, 0]), c(2, 3)))],
    "index_add": [((4, 3), lambda a: a.index_add(0, torch.tensor([2, 2]), c(2, 3))),
                  ((2, 3), lambda a: c(4, 3).index_add(0, torch.tensor([2, 2]), a))],
    "masked_select": [((2, 3), lambda a: a.masked_select(torch.tensor([True, False, True])))],
    "masked_scatter": [((2, 3), lambda a: a.masked_scatter(torch.tensor([True, False, True]),
                                                           c(6)))],
    "scatter": [((4, 3), lambda a: a.scatter(0, torch.tensor([[2, 0, 1]]), c(1, 3))),  # uniq
                ((1, 3), lambda a: c(4, 3).scatter(0, torch.tensor([[2, 0, 1]]), a))],
    "scatter_value": [((4, 3), lambda a: a.scatter(0, torch.tensor([[2, 0, 1]]), 2.0))],
    "scatter_reduce": [((4, 3), lambda a: a.scatter_reduce(0, torch.tensor([[2, 0, 1]]),
                                                           c(1, 3), "sum"))],
    # linear algebra through LAPACK (issue 15): well-conditioned, symmetric, positive-definite
    "linalg_solve": [((3, 3), lambda a: torch.linalg.solve(a + 3 * torch.eye(3), c(3, 2))),
                     ((3, 2), lambda a: torch.linalg.solve(c(3, 3) + 3 * torch.eye(3), a))],
    "linalg_inv": [((3, 3), lambda a: torch.linalg.inv(a + 3 * torch.eye(3)))],
    "linalg_det": [((3, 3), lambda a: torch.linalg.det(a + 3 * torch.eye(3)))],
    "linalg_slogdet": [((3, 3), lambda a: torch.linalg.slogdet(a + 3 * torch.eye(3))[1])],
    "linalg_cholesky": [((3, 3), lambda a: torch.linalg.cholesky(a @ a.T + 3 * torch.eye(3)))],
    "linalg_qr": [((4, 3), lambda a: torch.linalg.qr(a)[0])],
    "linalg_eigh": [((3, 3), lambda a: torch.linalg.eigh(a + a.T)[0])],
    "linalg_svd": [((4, 3), lambda a: torch.linalg.svd(a)[1]),  # svd (issue 15)
                   ((3, 4), lambda a: torch.linalg.svdvals(a))],
    "linalg_pinv": [((4, 3), lambda a: torch.linalg.pinv(a)),
                    ((3, 3), lambda a: torch.linalg.pinv(a + a.T, hermitian=True))],
    # lsqnorm (issue 15): cholesky_solve of both operands; vector_norm's own node (ord 0, < 0,
    # -inf)
    "cholesky_solve": [
        ((3, 2), lambda a: torch.cholesky_solve(a, c(3, 3).tril() + 3 * torch.eye(3))),
        ((3, 3), lambda a: torch.cholesky_solve(c(3, 2), a.tril() + 3 * torch.eye(3)))],
    "linalg_vector_norm": [((2, 3), lambda a: torch.linalg.vector_norm(a, -1)),
                           ((2, 3), lambda a: torch.linalg.vector_norm(a, -float("inf"), 1)),
                           ((2, 3), lambda a: torch.linalg.vector_norm(a, 0))],
    "linalg_lstsq": [((4, 3), lambda a: torch.linalg.lstsq(a, c(4, 2)).solution),
                     ((4, 2), lambda a: torch.linalg.lstsq(c(4, 3), a).solution)],
    "softmax": [((2, 3), lambda a: torch.softmax(a, 1))],
    "log_softmax": [((2, 3), lambda a: torch.log_softmax(a, 1))],
    "dropout": [((2, 3), lambda a: F.dropout(a, 0.5, True))],
    "cross_entropy": [((2, 3), lambda a: F.cross_entropy(a, torch.tensor([0, 2])))],
    "nll_loss": [((2, 3), lambda a: F.nll_loss(a, torch.tensor([0, 2])))],
    "mse_loss": [((2, 3), lambda a: F.mse_loss(a, c(2, 3)))],
    "l1_loss": [((2, 3), lambda a: F.l1_loss(a, c(2, 3)))],
    "binary_cross_entropy": [((2, 3), lambda a: F.binary_cross_entropy(a * 0.5, c(2, 3) - 0.5))],
    "binary_cross_entropy_with_logits": [
        ((2, 3), lambda a: F.binary_cross_entropy_with_logits(a, c(2, 3) - 0.5))],
    "layer_norm": [((2, 3), lambda a: F.layer_norm(a, (3,)))],
    "batch_norm": [((2, 3), lambda a: F.batch_norm(a, None, None, training=True))],
    "conv2d": [((1, 1, 4, 4), lambda a: F.conv2d(a, c(1, 1, 2, 2)))],
    "max_pool2d": [((1, 1, 4, 4), lambda a: F.max_pool2d(a, 2))],
    "avg_pool2d": [((1, 1, 4, 4), lambda a: F.avg_pool2d(a, 2))],
    "adaptive_avg_pool2d": [((1, 1, 4, 4), lambda a: F.adaptive_avg_pool2d(a, 2))],
    "constant_pad_nd": [((2, 3), lambda a: F.pad(a, (1, 1)))],
    # act (issue 14): the pointwise activations (relu6 records hardtanh's node)
    "hardtanh": [((2, 3), lambda a: F.hardtanh(a, -0.5, 0.5)), ((2, 3), F.relu6)],
    "hardsigmoid": [((2, 3), F.hardsigmoid)], "hardswish": [((2, 3), F.hardswish)],
    "mish": [((2, 3), F.mish)], "selu": [((2, 3), F.selu)], "celu": [((2, 3), F.celu)],
    "logsigmoid": [((2, 3), F.logsigmoid)], "softsign": [((2, 3), F.softsign)],
    "tanhshrink": [((2, 3), F.tanhshrink)],
    "prelu": [((2, 3), lambda a: F.prelu(a, c(3)))],  # speed12 (issue 12): a node of its own
    # conv2 (issue 14)
    "conv_transpose2d": [((1, 1, 3, 3), lambda a: F.conv_transpose2d(a, c(1, 1, 2, 2))),
                         ((1, 1, 2, 2), lambda a: F.conv_transpose2d(c(1, 1, 3, 3), a))],
    "max_pool2d_ex": [((1, 1, 4, 4), lambda a: F.max_pool2d(a, 2, 1, 1, 2, True))],
    "avg_pool2d_ex": [((1, 1, 4, 4), lambda a: F.avg_pool2d(a, 3, 2, 1, True, False, 2))],
    # conv3 (issue 14)
    "conv3d": [((1, 1, 3, 3, 3), lambda a: F.conv3d(a, c(1, 1, 2, 2, 2))),
               ((1, 1, 2, 2, 2), lambda a: F.conv3d(c(1, 1, 3, 3, 3), a))],
    "conv_transpose3d": [((1, 1, 3, 3, 3), lambda a: F.conv_transpose3d(a, c(1, 1, 2, 2, 2))),
                         ((1, 1, 2, 2, 2), lambda a: F.conv_transpose3d(c(1, 1, 3, 3, 3), a))],
    "max_pool3d": [((1, 1, 4, 4, 4), lambda a: F.max_pool3d(a, 2, 1, 1, 2, True))],
    "avg_pool3d": [((1, 1, 4, 4, 4), lambda a: F.avg_pool3d(a, 3, 2, 1, True, False, 2))],
    "adaptive_max_pool2d": [((1, 1, 4, 4), lambda a: F.adaptive_max_pool2d(a, 3))],
    "max_unpool2d": [((1, 1, 2, 2), lambda a: F.max_unpool2d(
        a, torch.tensor([[[[0, 3], [9, 14]]]]), 2))],
}

# Variants where another operand is the one that requires grad (torch 1.13 skips some saves
# then: addmm and linear with only the bias, for example).
OTHER_OPERAND = {
    "matmul": [((3, 4), lambda a: c(2, 3) @ a)],
    "mm": [((3, 4), lambda a: c(2, 3).mm(a))],
    "bmm": [((2, 3, 4), lambda a: c(2, 2, 3).bmm(a))],
    "baddbmm": [((2, 3, 4), lambda a: torch.baddbmm(c(4), c(2, 2, 3), a))],
    "mv": [((3,), lambda a: c(2, 3).mv(a))],
    "outer": [((2,), lambda a: torch.outer(c(3), a))],
    "linear": [((4,), lambda a: F.linear(c(2, 3), c(4, 3), a)),
               ((4, 3), lambda a: F.linear(c(2, 3), a)),
               ((4,), lambda a: F.linear(c(2, 2, 3), c(4, 3), a))],
    "maximum": [((2, 3), lambda a: torch.maximum(c(2, 3), a))],
    "minimum": [((2, 3), lambda a: torch.minimum(c(2, 3), a))],
    "atan2": [((2, 3), lambda a: torch.atan2(c(2, 3), a))],
    "where": [((2, 3), lambda a: torch.where(M, c(2, 3), a))],
    "mse_loss": [((2, 3), lambda a: F.mse_loss(c(2, 3), a))],
    "l1_loss": [((2, 3), lambda a: F.l1_loss(c(2, 3), a))],
    "binary_cross_entropy_with_logits": [
        ((2, 3), lambda a: F.binary_cross_entropy_with_logits(c(2, 3), a - 0.5))],
    "layer_norm": [((3,), lambda a: F.layer_norm(c(2, 3), (3,), a)),
                   ((3,), lambda a: F.layer_norm(c(2, 3), (3,), None, a))],
    "batch_norm": [((3,), lambda a: F.batch_norm(c(2, 3), None, None, a, training=True)),
                   ((3,), lambda a: F.batch_norm(c(2, 3), None, None, None, a, training=True))],
    "conv2d": [((1, 1, 2, 2), lambda a: F.conv2d(c(1, 1, 4, 4), a)),
               ((1,), lambda a: F.conv2d(c(1, 1, 4, 4), c(1, 1, 2, 2), a))],
}
for _k, _v in OTHER_OPERAND.items():
    V[_k] = V[_k] + _v

# loss (issue 14): threshold and the losses with a node (cosine_embedding is composed); the
# composed torch losses raise when any node of theirs saved
PM1 = torch.tensor([[1.0, -1.0, 1.0], [-1.0, 1.0, -1.0]], dtype=torch.float64)
V.update({
    "nn_threshold": [((2, 3), lambda a: F.threshold(a, 0.7, 0.0))],
    "smooth_l1_loss": [((2, 3), lambda a: F.smooth_l1_loss(a, c(2, 3), beta=0.5)),
                       ((2, 3), lambda a: F.smooth_l1_loss(c(2, 3), a, beta=0.5))],
    "huber_loss": [((2, 3), lambda a: F.huber_loss(a, c(2, 3), delta=0.5)),
                   ((2, 3), lambda a: F.huber_loss(c(2, 3), a, delta=0.5))],
    "kl_div": [((2, 3), lambda a: F.kl_div(a, c(2, 3))), ((2, 3), lambda a: F.kl_div(c(2, 3), a)),
               ((2, 3), lambda a: F.kl_div(a, c(2, 3), log_target=True))],
    "margin_ranking_loss": [((2, 3), lambda a: F.margin_ranking_loss(a, c(2, 3), PM1)),
                            ((2, 3), lambda a: F.margin_ranking_loss(c(2, 3), c(2, 3), a))],
    "hinge_embedding_loss": [((2, 3), lambda a: F.hinge_embedding_loss(a, PM1))],
    "poisson_nll_loss": [((2, 3), lambda a: F.poisson_nll_loss(a, c(2, 3))),
                         ((2, 3), lambda a: F.poisson_nll_loss(c(2, 3), a, full=True))],
    "gaussian_nll_loss": [((2, 3), lambda a: F.gaussian_nll_loss(a, c(2, 3), c(2, 3))),
                          ((2, 3), lambda a: F.gaussian_nll_loss(c(2, 3), c(2, 3), a))],
})

# Ops of the table without a torch node of their own (left L2__MAY_SAVE).
NO_COUNTERPART = {"set_": "element assignment; torch records CopySlices over the view"}


def raises_twice(shape, f):
    """True when torch's second backward (no retain_graph) through f's node raises."""
    a = x(*shape).requires_grad_()
    y = f(a)
    if y.dtype != torch.float64:
        y = y.double()  # ToCopyBackward0 saves no tensor
    y.sum().backward()
    try:
        y.sum().backward()
    except RuntimeError as e:
        if "second time" not in str(e):
            raise
        return True
    return False


def table_ops():
    """(name, saves) of every op in the op table, in order."""
    ops = []
    ops_dir = os.path.join(HERE, "..", "libl2", "ops")
    with open(os.path.join(ops_dir, "op-table.h")) as f:  # every list the table includes
        lists = re.findall(r'#include "(list-[\w-]+\.h)"', f.read())
    for name in lists:
        with open(os.path.join(ops_dir, name)) as f:
            for m in re.finditer(r"X\((\w+), (\w+), (L2__SAVES|L2__MAY_SAVE)\)", f.read()):
                ops.append((m.group(2), m.group(3) == "L2__SAVES"))
    return ops


def main():
    check = "--check" in sys.argv[1:]
    torch.manual_seed(0)
    bad = 0
    for name, flagged in table_ops():
        if name in NO_COUNTERPART:
            print("%-34s  (%s)" % (name, NO_COUNTERPART[name]))
            bad += check and flagged
            continue
        if name not in V:
            print("%-34s  (no torch variant listed)" % name)
            bad += check
            continue
        r = [raises_twice(s, f) for s, f in V[name]]
        verdict = "yes" if all(r) else "no" if not any(r) else "mixed"
        mark = ""
        if check and flagged != (verdict == "yes"):
            mark = "  <- table says %s" % ("L2__SAVES" if flagged else "L2__MAY_SAVE")
            bad += 1
        print("%-34s  %-5s  (%d/%d)%s" % (name, verdict, sum(r), len(r), mark))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
