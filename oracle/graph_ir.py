"""graph_ir.py: the graph oracle's IR (Graph) and its ops, each with the libl2 call and the torch
call that the two runs make (graph_oracle.py)."""
import torch

import l2lib

class Graph:
    """The IR: a list of values in creation order, each a leaf {"op": "leaf", "spec", "rg"} or
    a node {"op", "ins" (earlier value ids), "args", "ng" (made under no_grad)}; the output ids,
    the mode, and for grad_subset the input ids and allow_unused; one upstream gradient spec
    per output (None: the implicit 1 of a 0-d output)."""

    def __init__(self):
        self.vals = []
        self.outputs = []
        self.mode = "backward"
        self.subset = []
        self.allow_unused = True
        self.ups = []

    def leaves(self):
        return [i for i, v in enumerate(self.vals) if v["op"] == "leaf"]

    def text(self):
        parts = []
        for i, v in enumerate(self.vals):
            if v["op"] == "leaf":
                s = v["spec"]
                parts.append("v%d=leaf(%s,%s%s)" % (i, list(s["shape"]), s["layout"],
                                                   ",rg" if v["rg"] else ""))
                continue
            a = ",".join("%s=%s" % kv for kv in sorted(v["args"].items()))
            parts.append("v%d=%s%s(%s%s)" % (i, "nograd:" if v["ng"] else "", v["op"],
                                             ",".join("v%d" % j for j in v["ins"]),
                                             (";" + a) if a else ""))
        m = "mode=%s outputs=%s" % (self.mode, ",".join("v%d" % o for o in self.outputs))
        if self.mode == "grad_subset":
            m += " inputs=%s allow_unused=%s" % (",".join("v%d" % i for i in self.subset),
                                                 self.allow_unused)
        return "; ".join(parts) + " | " + m


# ---- the ops ---------------------------------------------------------------------------------
# Each op: kind, libl2 call (lib, xs, args) -> pointer or status, torch call (xs, args) -> tensor
# (in-place ops return their target). Shape inference lives in the generator.

def L(name, sig):
    return (name, sig)


UNARY = {
    "exp": (L("l2_exp", "T:T"), torch.exp),
    "tanh": (L("l2_tanh", "T:T"), torch.tanh),
    "sigmoid": (L("l2_sigmoid", "T:T"), torch.sigmoid),
    "sin": (L("l2_sin", "T:T"), torch.sin),
    "square": (L("l2_square", "T:T"), torch.square),
    "neg": (L("l2_neg", "T:T"), torch.neg),
    "abs": (L("l2_abs", "T:T"), torch.abs),
    "relu": (L("l2_relu", "T:T"), torch.relu),
    "clone": (L("l2_clone", "T:T"), torch.clone),
    "contiguous": (L("l2_contiguous", "T:T"), lambda x: x.contiguous()),
    "detach": (L("l2_detach", "T:T"), lambda x: x.detach()),
}
BINARY = {
    "add": (L("l2_add", "T:TT"), torch.add),
    "sub": (L("l2_sub", "T:TT"), torch.sub),
    "mul": (L("l2_mul", "T:TT"), torch.mul),
    "div": (L("l2_div", "T:TT"), torch.div),
    "mm": (L("l2_mm", "T:TT"), torch.mm),
    "matmul": (L("l2_matmul", "T:TT"), torch.matmul),
}
INPLACE = {  # name -> (libl2, torch, takes a tensor operand)
    "add_": (L("l2_add_", "S:TT"), lambda x, y: x.add_(y), True),
    "mul_": (L("l2_mul_", "S:TT"), lambda x, y: x.mul_(y), True),
    "copy_": (L("l2_copy_", "S:TT"), lambda x, y: x.copy_(y), True),
    "add_scalar_": (L("l2_add_scalar_", "S:Td"), None, False),
    "mul_scalar_": (L("l2_mul_scalar_", "S:Td"), None, False),
    "relu_": (L("l2_relu_", "S:T"), lambda x: x.relu_(), False),
}


def l2_call(lib, node, xs):
    """Run one node through libl2; returns a pointer (NULL on failure) or a status."""
    op, a = node["op"], node["args"]
    if op in UNARY:
        return lib.fn(*UNARY[op][0])(xs[0])
    if op in BINARY:
        return lib.fn(*BINARY[op][0])(xs[0], xs[1])
    if op in INPLACE:
        f = lib.fn(*INPLACE[op][0])
        if op in ("add_scalar_", "mul_scalar_"):
            return f(xs[0], a["s"])
        return f(*xs)
    if op == "add_scalar":
        return lib.fn("l2_add_scalar", "T:Td")(xs[0], a["s"])
    if op == "mul_scalar":
        return lib.fn("l2_mul_scalar", "T:Td")(xs[0], a["s"])
    if op == "linear":
        return lib.fn("l2_linear", "T:TTT")(xs[0], xs[1], xs[2] if len(xs) > 2 else None)
    if op in ("view", "reshape"):
        return lib.fn("l2_" + op, "T:TiL")(xs[0], len(a["shape"]), l2lib.i64a(a["shape"]))
    if op == "transpose":
        return lib.fn("l2_transpose", "T:Tii")(xs[0], a["d0"], a["d1"])
    if op == "permute":
        return lib.fn("l2_permute", "T:TI")(xs[0], l2lib.i32a(a["perm"]))
    if op == "slice":
        return lib.fn("l2_slice", "T:Tilll")(xs[0], a["dim"], a["start"], a["stop"], a["step"])
    if op == "select":
        return lib.fn("l2_select", "T:Til")(xs[0], a["dim"], a["index"])
    if op == "unsqueeze":
        return lib.fn("l2_unsqueeze", "T:Ti")(xs[0], a["dim"])
    if op == "expand":
        return lib.fn("l2_expand", "T:TiL")(xs[0], len(a["shape"]), l2lib.i64a(a["shape"]))
    if op == "flatten":
        return lib.fn("l2_flatten", "T:Tii")(xs[0], 0, -1)
    if op == "sum":
        return lib.fn("l2_sum", "T:T")(xs[0])
    if op in ("sum_dims", "mean_dims"):
        return lib.fn("l2_" + op, "T:TiIb")(xs[0], len(a["dims"]), l2lib.i32a(a["dims"]),
                                            a["keepdim"])
    if op in ("cat", "stack"):
        return lib.fn("l2_" + op, "T:iAi")(len(xs), l2lib.tarr(xs), a["dim"])
    raise ValueError("unknown op " + op)


MEAN_AS_SUM = [False]


def torch_call(node, xs):
    op, a = node["op"], node["args"]
    if op in UNARY:
        return UNARY[op][1](xs[0])
    if op in BINARY:
        return BINARY[op][1](xs[0], xs[1])
    if op == "add_scalar_":
        return xs[0].add_(a["s"])
    if op == "mul_scalar_":
        return xs[0].mul_(a["s"])
    if op in INPLACE:
        return INPLACE[op][1](*xs)
    if op == "add_scalar":
        return xs[0] + a["s"]
    if op == "mul_scalar":
        return xs[0] * a["s"]
    if op == "linear":
        return torch.nn.functional.linear(xs[0], xs[1], xs[2] if len(xs) > 2 else None)
    if op == "view":
        return xs[0].view(a["shape"])
    if op == "reshape":
        return xs[0].reshape(a["shape"])
    if op == "transpose":
        return xs[0].transpose(a["d0"], a["d1"])
    if op == "permute":
        return xs[0].permute(a["perm"])
    if op == "slice":
        idx = [slice(None)] * xs[0].dim()
        idx[a["dim"]] = slice(a["start"], a["stop"], a["step"])
        return xs[0][tuple(idx)]
    if op == "select":
        return xs[0].select(a["dim"], a["index"])
    if op == "unsqueeze":
        return xs[0].unsqueeze(a["dim"])
    if op == "expand":
        return xs[0].expand(a["shape"])
    if op == "flatten":
        return xs[0].flatten()
    if op == "sum":
        return xs[0].sum()
    if op == "sum_dims":
        return xs[0].sum(a["dims"], keepdim=a["keepdim"])
    if op == "mean_dims":
        if MEAN_AS_SUM[0]:  # the same values without torch's saved input (known_mean_saves)
            n = 1
            for d in a["dims"]:
                n *= xs[0].shape[d]
            return xs[0].sum(a["dims"], keepdim=a["keepdim"]) * (1.0 / n if n else float("nan"))
        return xs[0].mean(a["dims"], keepdim=a["keepdim"])
    if op == "cat":
        return torch.cat(xs, a["dim"])
    if op == "stack":
        return torch.stack(xs, a["dim"])
    raise ValueError("unknown op " + op)
