"""gradgrad_graph.py: the whole-graph second-derivative check of gradgrad.py (issue 15): the graph
oracle's random graphs (graph_gen.py: shared subexpressions, views, in-place ops on
intermediates, no_grad islands, non-contiguous leaves) differentiated in the gradient penalty
pattern, in libl2 and in torch:
    loss = sum_k sum(out_k * up_k)                  (up_k the graph's upstream gradients)
    g    = grad(loss, leaves, create_graph=True)    (the leaves that require grad; every other
                                                     graph backward(create_graph) and .grad)
    pen  = loss + sum_j sum(g_j * g_j)
    h    = grad(pen, leaves)
g and h are compared with torch per element (graph_run.close: float32 against torch's float64
run of the same graph); a NULL equals an all-zero or None torch result. Graphs whose forward
fails (in either: forwards are the graph oracle's business), whose loss does not require grad,
or where torch's backward raises are not compared; a graph that reaches an op whose backward is
not differentiable yet in libl2 is counted apart (its op named), and so is a failing graph
whose first derivative differs from torch's without create_graph too (the graph oracle's
business: libl2 has no CopySlices, graph_known.py).
Afterwards the leaves' .grad are dropped (the cycle a .grad made with create_graph holds)."""
import re
import warnings

import torch

import l2lib
from graph_gen import draw_graph
from graph_ir import torch_call
from graph_run import TD, close, make_buffers, replay_l2, zero_like_none

NOT_DIFF = "not differentiable yet"


class ForwardRaises(Exception):
    pass


def _l2(lib, g, bufs, ups, via_backward, create=True):
    """libl2's (status, g, h, message): status "ok", "skip", "notdiff" or "fail". via_backward:
    g from l2_backward_ex(create_graph) into the leaves' .grad (then dropped: the cycle)."""
    if lib.scope_begin() != 0:
        raise RuntimeError("l2_scope_begin failed: " + lib.error())
    try:
        env, bad, msg = replay_l2(lib, g, bufs)
        if bad is not None:
            return "skip", None, None, "forward fails at v%d: %s" % (bad, msg)
        leaves = [i for i in g.leaves() if g.vals[i]["rg"]]
        loss = None
        for o, u in zip(g.outputs, ups):
            t = env[o] if u is None else lib.mul(env[o], u.l2)
            t = lib.sum(t) if t else None
            loss = t if loss is None or not t else lib.add(loss, t)
            if not loss:
                return "fail", None, None, "building the loss failed: " + lib.error()
        if not leaves or not lib.requires_grad(loss):
            return "skip", None, None, "the loss does not require grad"
        xs = l2lib.tarr([env[i] for i in leaves])
        n = len(leaves)
        res = (l2lib.T * n)()
        lib.clear_error()
        if via_backward:
            st = lib.backward_ex(loss, None, True, create)
            gs = [lib.grad(env[i]) for i in leaves] if st == 0 else []
        else:
            st = lib.autograd_grad_ex(1, l2lib.tarr([loss]), None, n, xs, res, True, create,
                                      True)
            gs = [res[k] for k in range(n)]
        if st:
            m = lib.error()
            return ("notdiff" if NOT_DIFF in m else "fail"), None, None, m
        pen = loss
        for x in gs:
            if x:
                pen = lib.add(pen, lib.sum(lib.mul(x, x)))
                if not pen:
                    return "fail", None, None, "building the penalty failed: " + lib.error()
        res2 = (l2lib.T * n)()
        hs = [None] * n
        if lib.requires_grad(pen):
            lib.clear_error()
            if lib.autograd_grad(1, l2lib.tarr([pen]), None, n, xs, res2, False, True):
                return "fail", None, None, "second autograd_grad failed: " + lib.error()
            hs = [res2[k] for k in range(n)]
        npy = [lib.to_torch_copy(x).numpy() if x else None for x in gs]
        return "ok", npy, [lib.to_torch_copy(x).numpy() if x else None for x in hs], ""
    finally:
        for i in g.leaves():
            if bufs[i].l2:
                lib.set_grad_none(bufs[i].l2)
        lib.scope_end()


def _torch(g, bufs, ups, dtype, via_backward=False):
    """torch's (g, h) in dtype, or raises (forward, or its double backward)."""
    env = []
    with warnings.catch_warnings(), torch.enable_grad():
        warnings.simplefilter("ignore")
        for i, v in enumerate(g.vals):
            if v["op"] == "leaf":
                t = bufs[i].torch.detach().to(TD[dtype]).requires_grad_(v["rg"])
                env.append(t)
                continue
            try:
                with torch.set_grad_enabled(not v["ng"]):
                    env.append(torch_call(v, [env[j] for j in v["ins"]]))
            except Exception as e:  # noqa: BLE001 (the graph oracle compares forwards)
                raise ForwardRaises(str(e).split("\n")[0][:120])
        leaves = [env[i] for i in g.leaves() if g.vals[i]["rg"]]
        loss = None
        for o, u in zip(g.outputs, ups):
            t = env[o] if u is None else env[o] * u.torch.detach().to(TD[dtype])
            loss = t.sum() if loss is None else loss + t.sum()
        if via_backward:
            loss.backward(create_graph=True)
            gs = [x.grad for x in leaves]
        else:
            gs = torch.autograd.grad(loss, leaves, create_graph=True, allow_unused=True)
        pen = loss
        for x in gs:
            if x is not None:
                pen = pen + (x * x).sum()
        hs = [None] * len(leaves)
        if pen.requires_grad:
            hs = torch.autograd.grad(pen, leaves, allow_unused=True)
    f = [None if x is None else x.detach().numpy().copy() for x in gs]
    return f, [None if x is None else x.detach().numpy().copy() for x in hs]


def check_graph(lib, g, dtype, via_backward=False):
    """(outcome, message): "compared", "skip", "notdiff" (message: the op), "torch" (torch's
    double backward raises) or "fail"."""
    bl, ul = make_buffers(lib, g, dtype)
    bt, ut = make_buffers(lib, g, dtype)
    try:
        st, lg, lh, msg = _l2(lib, g, bl, ul, via_backward)
        if st == "notdiff":
            m = re.search(r"backward of (\w+)", msg)
            return "notdiff", m.group(1) if m else msg
        try:
            tg, th = _torch(g, bt, ut, dtype, via_backward)
        except ForwardRaises as e:  # the graph oracle's business (error parity, known ones)
            return "skip", "torch's forward raises: %s" % e
        except Exception as e:  # noqa: BLE001 (torch's refusal: nothing to compare)
            if st == "ok":
                return "torch", str(e).split("\n")[0][:120]
            return "skip", msg
        if st != "ok":
            return ("fail" if st == "fail" else "skip"), msg
        ref = (None, None)
        if dtype == "float32":
            b64, u64 = make_buffers(lib, g, "float32")
            try:
                ref = _torch(g, b64, u64, "float64", via_backward)
            except Exception:  # noqa: BLE001
                pass
            finally:
                for b in list(b64.values()) + [u for u in u64 if u is not None]:
                    b.release()
        fails = []
        for what, ls, ts, rs in (("g", lg, tg, ref[0]), ("h", lh, th, ref[1])):
            for k, (a, b) in enumerate(zip(ls, ts)):
                if a is None or b is None:
                    if not (zero_like_none(a) and zero_like_none(b)):
                        fails.append("%s of leaf %d: libl2 %s, torch %s" % (
                            what, k, "NULL" if a is None else "a gradient",
                            "None" if b is None else "a nonzero gradient"))
                    continue
                r = rs[k] if rs is not None else None
                m = close(a, b, r, dtype, True)
                if m:
                    fails.append("%s of leaf %d: %s" % (what, k, m))
        if fails:
            # a first-order divergence (libl2's documented lack of CopySlices: a view of a base
            # modified in place later keeps its old history; graph_known.py) shows without
            # create_graph too: the graph oracle's business, counted apart
            b1, u1 = make_buffers(lib, g, dtype)
            try:
                st1, lg1, _, _ = _l2(lib, g, b1, u1, via_backward, create=False)
            finally:
                for b in list(b1.values()) + [u for u in u1 if u is not None]:
                    b.release()
            if st1 == "ok" and any(
                    (a is None) != (b is None) or (a is not None and close(
                        a, b, r, dtype, True)) for a, b, r in zip(
                        lg1, tg, ref[0] if ref[0] is not None else [None] * len(tg))):
                return "known", "first-order: " + fails[0][:200]
            return "fail", "; ".join(fails)
        return "compared", ""
    finally:
        for b in list(bl.values()) + list(bt.values()) + [u for u in ul + ut if u is not None]:
            b.release()


def run(lib, n, seed, dtypes, first):
    """TAP points first, first + 1, ...: one per dtype. Returns (lines, points)."""
    lib.bind(l2lib.GRAPH)
    lib.bind({"l2_backward_ex": "S:TTbb", "l2_set_grad_none": "S:T"})
    out = []
    for j, dt in enumerate(dtypes):
        cnt = {"compared": 0, "skip": 0, "notdiff": 0, "torch": 0, "fail": 0, "known": 0}
        ops, msgs = {}, []
        for k in range(n):
            g = draw_graph(seed, k, dt)
            try:
                oc, m = check_graph(lib, g, dt, k % 2 == 1)
            except Exception as e:  # noqa: BLE001 (an oracle bug is a failure too)
                oc, m = "fail", "oracle exception: %r" % e
            cnt[oc] += 1
            if oc == "notdiff":
                ops[m] = ops.get(m, 0) + 1
            if oc == "fail" and len(msgs) < 3:
                msgs.append("#   graph %d: %s\n#   %s\n#   replay: oracle/graph_oracle.py "
                            "--seed %d --graph %d --dtype %s -v (the graph)" % (
                                k, m[:600], g.text()[:600], seed, k, dt))
        out.append("%s %d - whole graphs, %s: %d graphs, %d compared (gradient penalty), "
                   "%d failed, %d torch raises, %d not compared (forward fails or no grad), "
                   "%d not differentiable yet, %d first-order divergences (graph oracle's)" % (
                       "not ok" if cnt["fail"] else "ok", first + j, dt, n, cnt["compared"],
                       cnt["fail"], cnt["torch"], cnt["skip"], cnt["notdiff"], cnt["known"]))
        out.extend(msgs)
        if ops:
            out.append("#   not differentiable yet, graphs per op: " + ", ".join(
                "%s %d" % kv for kv in sorted(ops.items(), key=lambda kv: -kv[1])))
    return out, len(dtypes)
