"""graph_known.py: the graph oracle's known divergences, each a named predicate with its
premise (graph_oracle.py)."""
import os
import re

import graph_ir
from graph_ir import INPLACE, Graph
from graph_run import make_buffers, run_torch, zero_like_none

# ---- known divergences -----------------------------------------------------------------------
# Each predicate sees the failure's context; it returns None when the failure does not have its
# signature, True when it does and its premise holds (a known divergence: counted), False when
# the signature matches but the premise does not (a failure: the predicate is too wide or the
# behaviour changed). Predicates with a broad signature (any gradient mismatch, any version
# error) return None when their premise fails, so that the next one may explain the failure;
# the failure stands when none does.

class Ctx:
    def __init__(self, g, lr, tr, phase, dtype, lib):
        self.g, self.lr, self.tr, self.phase, self.dtype, self.lib = g, lr, tr, phase, dtype, lib
        self.grad_mismatch = False
        self.first_bad = None


def known_linear_1d_pruning(c):
    """Found by this oracle after issue 13 #1 was fixed (libl2/ops/linalg.c): torch 1.13's
    linear of a 1-d input is two nodes, a product and an add of the bias, so autograd_grad over
    the bias alone runs only the add; libl2's linear is one node, which also checks the saved
    weight's version. Premise: libl2's error is a saved tensor of linear, torch succeeded, and a
    linear of a 1-d input is in the graph."""
    if c.phase != "autograd_grad":
        return None
    lp = [p for p in c.lr.phases if p[0] == c.phase]
    tp = [p for p in c.tr.phases if p[0] == c.phase]
    if not (lp and tp and not lp[0][1] and tp[0][1] and
            re.search(r"saved tensor \d+ of linear is at version", lp[0][2])):
        return None
    lins = [v["ins"][0] for v in c.g.vals if v["op"] == "linear"]
    tenv = run_torch_prefix(c, len(c.g.vals))
    return any(x < len(tenv) and tenv[x].dim() == 1 for x in lins)


def known_no_copyslices(c):
    """Documented in l2.h (not a bug): libl2 has no CopySlices, so an in-place op that records
    history on a view of a tensor that requires grad is refused with L2_ERR_UNSUPPORTED where
    torch rewrites the base's history. Premise: the target is a view in torch (_is_view) and the
    op would record history (the target or the source requires grad, grad mode on)."""
    if c.phase != "forward" or c.lr.fail_at is None:
        return None
    if not ("in-place operation on a view of a tensor that requires grad is not supported"
            in c.lr.msg or "copying a tensor that requires grad into a view" in c.lr.msg or
            "on a view with an operand that requires grad is not supported" in c.lr.msg):
        return None
    i = c.lr.fail_at
    if c.tr.fail_at is not None and c.tr.fail_at < i:
        return None  # torch refused first: another divergence
    v = c.g.vals[i]
    tenv = run_torch_prefix(c, i)
    x = tenv[v["ins"][0]]
    src_rg = len(v["ins"]) > 1 and tenv[v["ins"][1]].requires_grad
    return bool(x._is_view() and not v["ng"] and (x.requires_grad or src_rg))


def run_torch_prefix(c, i):
    """torch's values just before value i is made (a fresh run of the graph's prefix)."""
    bufs, ups = make_buffers(c.lib, c.g, c.dtype)
    try:
        g2 = Graph()
        g2.vals = c.g.vals[:i]
        g2.outputs, g2.mode, g2.ups = [], "backward", []
        return run_torch(g2, bufs, [], c.dtype, keep_env=True).env
    finally:
        for b in list(bufs.values()) + [u for u in ups if u is not None]:
            b.release()


def known_nograd_view(c):
    """Found by this oracle (libl2 has no such rule): torch forbids an in-place op with grad mode
    on when the tensor is a view made under no_grad (or its base or another view of it was so
    modified), and later uses of such a view; libl2 accepts them. Premise: torch's message is
    that rule and libl2 got at least as far."""
    if c.phase != "forward" or c.tr.fail_at is None:
        return None
    if "A view was created in no_grad mode" not in c.tr.msg:
        return None
    if c.lr.fail_at is not None and c.lr.fail_at < c.tr.fail_at:
        return None  # libl2 refused first: another divergence
    return c.lr.fail_at is None or c.lr.fail_at > c.tr.fail_at


VIEWISH = ("view", "reshape", "flatten", "transpose", "permute", "slice", "select", "unsqueeze",
           "expand")


def identity(g, i):
    """The value an in-place op's result is (in-place ops return their target)."""
    while g.vals[i]["op"] in INPLACE:
        i = g.vals[i]["ins"][0]
    return i


def layout_made_view(c, i):
    """True when value i is, in libl2, a view through a reshape/flatten that torch had to copy
    because torch's input kept a non-contiguous layout that libl2's did not. contiguous of a
    contiguous input is that input itself in both libraries, so the walk goes through it."""
    tenv = None
    i = identity(c.g, i)
    while c.g.vals[i]["op"] in VIEWISH or (c.g.vals[i]["op"] == "contiguous" and c.lr.contig.get(
            identity(c.g, c.g.vals[i]["ins"][0]))):
        x = c.g.vals[i]["ins"][0]
        if c.g.vals[i]["op"] in ("reshape", "flatten") and c.lr.contig.get(identity(c.g, x)):
            if tenv is None:
                tenv = run_torch_prefix(c, i)
            if not tenv[x].is_contiguous():
                return True
        i = identity(c.g, x)
    return False


def known_layout(c):
    """Found by this oracle: torch's elementwise and copy results keep a non-contiguous input's
    layout (TensorIterator's stride propagation), libl2's are contiguous, so torch's view refuses
    what libl2's accepts. Premise: torch refused a view as incompatible with the strides while
    libl2's input to that view was contiguous and torch's was not."""
    if c.phase != "forward":
        return None
    if c.lr.fail_at is not None and (c.tr.fail_at is None or c.tr.fail_at > c.lr.fail_at) \
            and "view" in c.lr.msg and c.g.vals[c.lr.fail_at]["op"] in INPLACE:
        # the same cause seen from the other side: torch's reshape copied, so its result is no
        # view and torch allows the in-place op that libl2 refuses on its view
        return True if layout_made_view(c, c.g.vals[c.lr.fail_at]["ins"][0]) else None
    if c.lr.fail_at is not None and (c.tr.fail_at is None or c.tr.fail_at > c.lr.fail_at) \
            and c.g.vals[c.lr.fail_at]["op"] == "view" and "is not compatible" in c.lr.msg:
        # the other way round: libl2's input is not contiguous where torch's (stride-propagated)
        # one is, so torch's view accepts what libl2's refuses
        x = c.g.vals[c.lr.fail_at]["ins"][0]
        if c.g.vals[x]["op"] == "leaf" or c.lr.contig.get(identity(c.g, x), True):
            return False
        return run_torch_prefix(c, c.lr.fail_at)[x].is_contiguous()
    if c.tr.fail_at is None:
        return None
    v = c.g.vals[c.tr.fail_at]
    if v["op"] != "view" or "view size is not compatible" not in c.tr.msg:
        return None
    if c.lr.fail_at is not None and c.lr.fail_at <= c.tr.fail_at:
        return None
    x = v["ins"][0]
    if c.g.vals[x]["op"] == "leaf" or not c.lr.contig.get(x):
        return False
    tenv = run_torch_prefix(c, c.tr.fail_at)
    return not tenv[x].is_contiguous()


def known_mean_saves(c):
    """Found by this oracle (torch's quirk, not libl2's): torch 1.13's mean over dims saves its
    input (derivatives.yaml uses self.sym_numel()), so an in-place write to that input makes
    torch's backward fail although the gradient does not read it; libl2 saves nothing there.
    Premise: with every mean_dims computed as sum_dims times 1/N, torch no longer raises."""
    if c.phase == "forward" or not any(v["op"] == "mean_dims" for v in c.g.vals):
        return None
    lp = [p for p in c.lr.phases if p[0] == c.phase]
    tp = [p for p in c.tr.phases if p[0] == c.phase]
    if not (lp and tp and lp[0][1] and not tp[0][1] and
            "modified by an inplace operation" in tp[0][2]):
        return None
    bufs, ups = make_buffers(c.lib, c.g, c.dtype)
    graph_ir.MEAN_AS_SUM[0] = True
    try:
        again = run_torch(c.g, bufs, ups, c.dtype)
    finally:
        graph_ir.MEAN_AS_SUM[0] = False
        for b in list(bufs.values()) + [u for u in ups if u is not None]:
            b.release()
    ap = [p for p in again.phases if p[0] == c.phase]
    return True if ap and ap[0][1] else None  # else another predicate may explain it


def known_torch_assert(c):
    """torch 1.13 misbehaves: an INTERNAL ASSERT (met on in-place ops on views of views made
    under no_grad). Nothing to compare; counted."""
    msgs = [c.tr.msg] + [p[2] for p in c.tr.phases]
    return True if any("INTERNAL ASSERT FAILED" in m for m in msgs) else None


def known_nograd_view_requires_grad(c):
    """torch's quirk: a view made under no_grad of a tensor that requires grad still requires
    grad (a leaf-like view with no grad_fn that receives nothing), so in torch what is computed
    from it with grad mode on requires grad and has history (backward through it succeeds and
    delivers nothing, and checks the saved tensors on the way); in libl2 it does not. Premise:
    such a view exists in torch and a later op with grad mode on uses it; for the narrow
    signature (libl2's backward says the output does not require grad, torch's succeeded) also
    that torch delivered no gradient at all."""
    if c.phase == "forward":
        return None
    lp = [p for p in c.lr.phases if p[0] == c.phase]
    tp = [p for p in c.tr.phases if p[0] == c.phase]
    narrow = bool(lp and tp and not lp[0][1] and tp[0][1] and
                  "does not require grad" in lp[0][2])
    tenv = run_torch_prefix(c, len(c.g.vals))
    found = False
    for j, v in enumerate(c.g.vals[:len(tenv)]):
        if v["op"] == "leaf" or not v["ng"] or not tenv[j].requires_grad or \
                not tenv[j]._is_view():
            continue
        if any(j in w.get("ins", []) and not w["ng"] for w in c.g.vals[j + 1:]):
            found = True
            break
    if narrow:
        return found and all(zero_like_none(x) for x in tp[0][3].values())
    return True if found else None


def known_stale_view(c):
    """Found by this oracle; libl2 has no view rebase (l2.h): a view made before an in-place op
    that records history on its base (or on another view of the same storage) keeps its old
    history, where torch regenerates its grad_fn from the base's new one; libl2's gradients then
    miss that op's contribution (or libl2 finds an input unused). Premise: a divergence in a
    backward call, and the graph has such a view: made before a recording in-place op on a
    tensor sharing its storage, and used after it."""
    upto = len(c.g.vals)
    if c.phase == "forward":
        # also when torch refuses an in-place op on such a view (torch then treats the view as
        # requiring grad, libl2 does not): the divergence is torch's refusal
        if c.tr.fail_at is None or (c.lr.fail_at is not None and c.lr.fail_at <= c.tr.fail_at):
            return None
        upto = c.tr.fail_at
    elif c.phase == "values":
        return None
    tenv = run_torch_prefix(c, upto)
    for k, v in enumerate(c.g.vals[:len(tenv)]):
        if v["op"] not in INPLACE or v["ng"]:
            continue
        tgt = identity(c.g, v["ins"][0])
        if not tenv[k].requires_grad:
            continue
        ptr = tenv[tgt].storage().data_ptr()
        for j in range(k):
            shares = tenv[j].storage().data_ptr() == ptr and identity(c.g, j) != tgt
            used_after = any(j in w.get("ins", []) for w in c.g.vals[k + 1:upto + 1]) or \
                (j in c.g.outputs and c.phase != "forward")
            if shares and used_after and (tenv[j]._is_view() or tenv[tgt]._is_view()):
                return True
    return None  # a broad signature: another predicate may explain it


def known_partial_overlap(c):
    """torch refuses an in-place op (or copy_) whose input partially overlaps the written-to
    tensor when both are dense, and otherwise computes it element by element in place (an
    order-dependent result); libl2 reads such inputs through a temporary (documented for
    l2_copy_). Premise: torch's message is that rule (or the first mismatched value is such an
    in-place op), libl2 got further, and the two operands share storage without being the same
    elements."""
    if c.phase == "values" and c.first_bad is not None:
        v = c.g.vals[c.first_bad]
        if v["op"] not in INPLACE or len(v["ins"]) < 2:
            return None
        tenv = run_torch_prefix(c, c.first_bad)
        a, b = tenv[v["ins"][0]], tenv[v["ins"][1]]
        same = a.data_ptr() == b.data_ptr() and a.stride() == b.stride()
        return True if a.storage().data_ptr() == b.storage().data_ptr() and not same else None
    if c.phase != "forward" or c.tr.fail_at is None:
        return None
    if "refer to a single memory location" not in c.tr.msg or \
            "input tensor and the written-to tensor" not in c.tr.msg:
        return None
    if c.lr.fail_at is not None and c.lr.fail_at <= c.tr.fail_at:
        return None
    v = c.g.vals[c.tr.fail_at]
    if v["op"] not in INPLACE or len(v["ins"]) < 2:
        return False
    tenv = run_torch_prefix(c, c.tr.fail_at)
    a, b = tenv[v["ins"][0]], tenv[v["ins"][1]]
    return a.storage().data_ptr() == b.storage().data_ptr()


ALIAS_OPS = ("contiguous", "reshape", "flatten", "matmul", "linear")


def known_layout_alias(c):
    """The layout difference of known_layout seen through aliasing: torch's contiguous/reshape/
    flatten (and the reshape inside a batched matmul or linear) copies a non-contiguous
    elementwise result that is contiguous in libl2, where the same call returns an alias; an
    in-place op afterwards then writes (or bumps the version of) different tensors in the two
    libraries, so values, gradients or version errors differ. A fallback for any divergence.
    Premise: such a node exists before the divergence, with an in-place op after it."""
    upto = c.first_bad if c.first_bad is not None else len(c.g.vals)
    if c.phase == "forward":
        upto = min(i for i in (c.lr.fail_at, c.tr.fail_at) if i is not None)
    tenv = None
    for j in range(min(upto, len(c.g.vals))):
        v = c.g.vals[j]
        if v["op"] not in ALIAS_OPS:
            continue
        x = v["ins"][0]
        if not any(w["op"] in INPLACE for w in c.g.vals[j + 1:upto + 1]):
            continue
        if tenv is None:
            tenv = run_torch_prefix(c, upto)
        if x >= len(tenv) or tenv[x].is_contiguous():
            continue
        if c.lr.contig.get(identity(c.g, x)):
            return True
        # torch's batched matmul/linear fold a >2-d input with reshape: a non-contiguous one is
        # copied and the copy saved, where libl2 saves the input itself
        if v["op"] in ("matmul", "linear") and tenv[x].dim() > 2:
            return True
    return None


KNOWN = [
    ("torch internal assert (torch misbehaves)", known_torch_assert),
    ("torch: a no_grad view of a tensor that requires grad requires grad",
     known_nograd_view_requires_grad),
    ("no view rebase: a view made before an in-place op on its base keeps its history",
     known_stale_view),
    ("torch 1.13's mean over dims saves its input (libl2 does not)", known_mean_saves),
    ("torch forbids in-place on no_grad views (libl2 has no such rule)", known_nograd_view),
    ("torch keeps the input layout in elementwise results (libl2: contiguous)", known_layout),
    ("torch's linear of a 1-d input is two nodes; autograd_grad over the bias runs one",
     known_linear_1d_pruning),
    ("no CopySlices: in-place on a view that requires grad (documented)", known_no_copyslices),
    ("torch refuses partial overlap of input and written-to tensor", known_partial_overlap),
    ("torch copies in reshape/contiguous what libl2 aliases (layout, see above)",
     known_layout_alias),
]


def triage(c, fails, known):
    """Known-divergence check of a graph's first failure; returns the failures left."""
    if os.environ.get("ORACLE_NO_KNOWN"):
        return fails
    for name, pred in KNOWN:
        m = pred(c)
        if m is None:
            continue
        if m:
            known[name] = known.get(name, 0) + 1
            return []
        return fails + ["known-divergence predicate '%s' matched but its premise is false"
                        % name]
    return fails
