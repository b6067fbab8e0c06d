#!/usr/bin/env python3
"""gradgrad.py: second derivatives (issue 15, create_graph) of every differentiable op. TAP: one
point per op, after gradcheck.py's registry entries, generators and Runner.

For a case of op (x the differentiable float inputs, y_k = op(x) every float output, of a
multi-output op too, at most MAX_OUTPUTS of them): v_k random of y_k's shape requiring grad,
g = l2_autograd_grad_ex(y, x, v, create_graph, allow_unused) over the outputs that require grad
(g = grad(sum_k <y_k, v_k>, x)), s = sum_j sum(g_j * u_j) for random constants u_j (built with
l2_mul, l2_sum, l2_add), and h = l2_autograd_grad(s, x + every v_k, allow_unused). Gauges:
eigh's and svd's singular vectors come sign-aligned by recorded ops on both sides (the
registry's op.call and op.ref, reg_decomp.py and reg_svd.py): a gauge-invariant function,
compared directly (oracle/README.md).
1. Against torch (torch.autograd.grad(..., create_graph=True) then grad of the same s): float32 and
   float64 cases from the op's generator with its layouts (strided, expanded, overlapping inputs;
   v in any layout class), value kinds made smooth as in gradcheck.py (no special values or
   ties). g and h are compared per element with torch's float64 result on the same inputs; element
   i may differ by K x eps x (|ref_i| + mag_i) (+ 2 x torch float32's own error there), K the op's
   tolerance class factor x 4 for a gradient (compare.py) and x SECOND_K = 4 more for h (a second
   derivative chains two rounded backwards), mag_i the largest of element i's sensitivities to
   relative perturbations of x, v and u of 2^-20 and 2^-48, torch float32's error in eps units
   and (ops whose first-order magnitudes are "abs") the same result on |x|, |v|, |u|, all times
   1 + log2(n) (summed terms). torch gets contiguous copies (see KEEP_STRIDES).
   None-ness: torch None <=> libl2 NULL, except that a NULL equals an all-zero torch result.
   Cases where torch raises in its double backward are skipped and the ops listed.
2. Independent of torch (float64, contiguous smooth cases of gradcheck.py): for random directions
   w of each input, <h_x, w> == (<g(x + eps w), u> - <g(x - eps w), u>) / 2 eps with g computed by
   libl2's first-order l2_autograd_grad, and the same for v (<h_v, w_v>); eps 1e-6, atol 1e-5,
   rtol 1e-3 (torch.autograd.gradgradcheck's). torch's h is checked against the same differences
   and the ops where it disagrees are listed (the oracle must not follow a wrong torch).
Last, the graph oracle's random graphs in the gradient penalty pattern (gradgrad_graph.py).
Each op's cases must leave l2_live_tensors unchanged (a leaking recorded backward fails).
3. An op whose create_graph call fails with "not differentiable yet" is a SKIP, unless listed in
   oracle/gradgrad_ops.txt (the ops that must be supported): then it fails.

    gradgrad.py                         # CI profile (make check: tests/gradgrad.sh)
    gradgrad.py --profile deep          # more cases (make oracle-gradgrad)
    gradgrad.py --ops l2_exp,l2_mm      # some ops
    gradgrad.py --listed                # the ops of gradgrad_ops.txt
    gradgrad.py --case '{"op": ...}'    # replay one case (its repro JSON)
"""
import argparse
import json
import math
import os
import sys
import time
import warnings
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

try:
    import numpy as np
    import torch
except ImportError as e:
    print("1..0 # SKIP torch not found (%s)" % e)
    sys.exit(0)

import compare as CMP  # noqa: E402
import gen as G  # noqa: E402
import gradcheck as GC  # noqa: E402
import l2lib  # noqa: E402
import registry as R  # noqa: E402

EPS, ATOL, RTOL = 1e-6, 1e-5, 1e-3
SECOND_K = 4.0
MAX_NUMEL = 2048
NOT_DIFF = "not differentiable yet"
MAX_OUTPUTS = 64  # l2_autograd_grad's n_outputs limit (l2.h): the outputs compared at most
GG = {"l2_autograd_grad_ex": "S:iAAiAPbbb", "l2_autograd_grad": "S:iAAiAPbb",
      "l2_mul": "T:TT", "l2_add": "T:TT", "l2_sum": "T:T"}
# per op: strided cases per dtype (part 1), contiguous float64 cases (parts 1 and 2), draws tried
PROFILES = {"ci": {"cases": 2, "fd": 2, "tries": 16, "dirs": 2, "graphs": 300},
            "deep": {"cases": 6, "fd": 4, "tries": 60, "dirs": 3, "graphs": 3000}}
OPS_FILE = os.path.join(HERE, "gradgrad_ops.txt")


def must_support():
    """The ops listed in gradgrad_ops.txt (one l2_ name per line, # comments)."""
    try:
        with open(OPS_FILE) as f:
            return {ln.split("#")[0].strip() for ln in f if ln.split("#")[0].strip()}
    except OSError:
        return set()


class CaseSkip(Exception):
    pass


# ---- cases --------------------------------------------------------------------------------

def strided_case(op, dt, k, seed):
    """The k-th curated dt case of op with the generator's layouts, float inputs of the case's
    dtype with smooth value kinds; None if too big."""
    d = G.CuratedDrawer(k, seed, salt=zlib.crc32(("gg" + op.name + dt).encode()))
    r = op.gen(d, dt)
    specs = []
    for s in r["inputs"]:
        if s is None or s["dtype"] not in CMP.FLOATS:
            specs.append(s)
            continue
        sp = G.spec(s["shape"], dt, s.get("layout", "contiguous"),
                    np.random.default_rng(s["seed"]), GC._smooth_kind(s["values"]),
                    seed=s["seed"])
        specs.append(sp)
    if any(s is not None and int(np.prod(s["shape"] or [1])) > MAX_NUMEL for s in specs):
        return None
    lay = d.pick("gglayout", G.LAYOUTS)
    return {"op": op.name, "dtype": dt, "inputs": specs, "args": r["args"], "v_layout": lay,
            "seed": d.int(0, 2**31 - 1)}


def fd_case(op, k, seed):
    c = GC.smooth_case(op, k, seed)
    if c is not None:  # every float input float64 (a generator's mixed dtypes: float32 ones)
        for sp in c["inputs"]:
            if sp is not None and sp["dtype"] == "float32":
                sp["dtype"] = "float64"
    if c is None or any(s is not None and int(np.prod(s["shape"] or [1])) > MAX_NUMEL
                        for s in c["inputs"]):
        return None
    c.update({"dtype": "float64", "v_layout": "contiguous", "seed": k * 7919 + seed, "fd": True})
    return c


def values(specs):
    return [np.asarray(G.spec_values(s), dtype=l2lib.NP_DTYPES[s["dtype"]])
            if s is not None else None for s in specs]


def diff_inputs(op, specs):
    return [i for i in (op.diff if op.diff is not None else range(len(specs)))
            if i < len(specs) and specs[i] is not None and specs[i]["dtype"] in CMP.FLOATS]


# ---- libl2 ---------------------------------------------------------------------------------

def l2_np(lib, t):
    return lib.to_torch_copy(t).numpy() if t else None


def l2_call(run, op, specs, vals, a, diff):
    """The op on buffers of vals (diff requiring grad): (every output, a list that is empty when
    the call fails, gives zero pieces or leaves an output NULL; bufs; extra: the tensors to
    release, outputs included). Runner.call_all, keeping every output of a multi-output op."""
    outs, bufs, extra = run.call_all(op, specs, vals, a, diff)
    return ([] if any(not t for t in outs) else outs), bufs, extra


def _l2_vs(lib, case, outs, vs, bufs, grad):
    """The upstream gradients v_k of the compared outputs (case["_outs"]) as libl2 buffers
    (appended to bufs, requiring grad when grad), and the pairs (output, v_k) of the outputs
    that require grad."""
    vbs = []
    for sp, v in zip(case["_vspecs"], vs):
        vb = l2lib.Buffer(lib, sp, v)
        bufs.append(vb)
        if grad:
            lib.set_requires_grad(vb.l2, True)
        vbs.append(vb.l2)
    pairs = [(outs[k], vb) for k, vb in zip(case["_outs"], vbs) if lib.requires_grad(outs[k])]
    return vbs, pairs


def l2_second(run, op, case, vals, diff, vs, us):
    """libl2's g (create_graph) and h: g = grad(sum_k <out_k, v_k>, x) over the compared
    outputs k that require grad, h = grad(sum_j <g_j, u_j>, x + every v_k). Returns {"g": [...],
    "h": [...]} (numpy or None), or {"notdiff": msg} / {"err": msg}."""
    lib = run.lib
    specs, a = case["inputs"], case["args"]
    outs, bufs, extra = l2_call(run, op, specs, vals, a, diff)
    tmp = []
    try:
        if not outs:
            return {"err": "forward failed: " + lib.error()}
        vbs, pairs = _l2_vs(lib, case, outs, vs, bufs, True)
        if not pairs:
            return {"err": "no compared output requires grad"}
        ubs = [l2lib.Buffer(lib, G.spec(list(u.shape), str(u.dtype), "contiguous",
                                        np.random.default_rng(0), "normal", seed=0), u)
               for u in us]
        bufs.extend(ubs)
        xs = [bufs[i].l2 for i in diff]
        n, nv = len(xs), len(vbs)
        res = (l2lib.T * max(n, 1))()
        lib.clear_error()
        st = lib.autograd_grad_ex(len(pairs), l2lib.tarr([o for o, _ in pairs]),
                                  l2lib.tarr([vb for _, vb in pairs]), n, l2lib.tarr(xs),
                                  res, True, True, True)
        if st != 0:
            m = lib.error()
            if NOT_DIFF in m and "create_graph" in m:
                return {"notdiff": m}
            return {"err": "autograd_grad_ex(create_graph) failed (%d): %s" % (st, m)}
        gs = [res[k] for k in range(n)]
        tmp.extend(x for x in gs if x)
        s = None
        for g, ub in zip(gs, ubs):
            if not g:
                continue
            p = lib.mul(g, ub.l2)
            tmp.append(p)
            q = lib.sum(p) if p else None
            tmp.append(q)
            if q and s is not None:
                q = lib.add(s, q)
                tmp.append(q)
            if not q:
                return {"err": "building s failed: " + lib.error()}
            s = q
        h = [None] * (n + nv)
        if s is not None and lib.requires_grad(s):
            res2 = (l2lib.T * (n + nv))()
            lib.clear_error()
            st = lib.autograd_grad(1, l2lib.tarr([s]), None, n + nv,
                                   l2lib.tarr(xs + vbs), res2, False, True)
            if st != 0:
                return {"err": "second autograd_grad failed (%d): %s" % (st, lib.error())}
            hs = [res2[k] for k in range(n + nv)]
            tmp.extend(x for x in hs if x)
            h = [l2_np(lib, x) for x in hs]
        return {"g": [l2_np(lib, x) for x in gs], "h": h,
                "g_rg": [bool(x) and lib.requires_grad(x) for x in gs]}
    finally:
        for t in tmp:
            if t:
                lib.tensor_release(t)
        run.release(bufs, extra)


def l2_first_dot(run, op, case, vals, diff, vs, us):
    """<g(x; v), u> with libl2's first-order l2_autograd_grad (float64), or None."""
    lib = run.lib
    outs, bufs, extra = l2_call(run, op, case["inputs"], vals, case["args"], diff)
    tmp = []
    try:
        if not outs:
            return None
        _, pairs = _l2_vs(lib, case, outs, vs, bufs, False)
        if not pairs:
            return None
        xs = [bufs[i].l2 for i in diff]
        res = (l2lib.T * max(len(xs), 1))()
        if lib.autograd_grad(len(pairs), l2lib.tarr([o for o, _ in pairs]),
                             l2lib.tarr([vb for _, vb in pairs]), len(xs),
                             l2lib.tarr(xs), res, False, True) != 0:
            return None
        gs = [res[k] for k in range(len(xs))]
        tmp.extend(x for x in gs if x)
        return float(sum(np.sum(l2_np(lib, g).astype(np.float64) * u)
                         for g, u in zip(gs, us) if g))
    finally:
        for t in tmp:
            lib.tensor_release(t)
        run.release(bufs, extra)


# ---- torch ---------------------------------------------------------------------------------

class TorchRaises(Exception):
    pass


# torch gets contiguous copies of the inputs and of v (libl2 alone sees the layouts: torch 1.13's
# batch_norm family computes wrong gradients for some strides, see known.WORKAROUNDS; an
# instance_norm with running statistics and a permuted upstream gradient is another), except the
# ops whose result depends on the input's storage
KEEP_STRIDES = {"l2_as_strided"}


def torch_second(op, xs, a, diff, vts, uts, outs):
    """torch's g (create_graph) and h on the leaves xs (detached torch tensors or None) and the
    upstream gradients vts of the outputs numbered outs (those that require grad take part):
    ([g numpy or None], [h numpy or None] of the leaves and then of every v_k, ...).
    TorchRaises when its double backward raises; CaseSkip when the forward or first backward
    does."""
    keep = op.name in KEEP_STRIDES
    xs = [(x.detach() if keep else x.detach().contiguous()) if isinstance(x, torch.Tensor) else x
          for x in xs]
    for i in diff:
        xs[i].requires_grad_(True)
    vts = [vt.detach().contiguous().requires_grad_(True) for vt in vts]
    leaves = [xs[i] for i in diff]
    with warnings.catch_warnings(), torch.enable_grad():
        warnings.simplefilter("ignore")
        try:
            if op.inplace is not None:
                y = xs[op.inplace].clone()
                op.ref([y if j == op.inplace else t for j, t in enumerate(xs)], a)
            else:
                y = op.ref(xs, a)
            ys = list(y) if isinstance(y, (tuple, list)) else [y]
        except Exception as e:
            raise CaseSkip("torch forward raises: %s" % str(e).split("\n")[0][:120])
        if max(outs) >= len(ys):
            raise CaseSkip("torch gives %d outputs, libl2 more" % len(ys))
        pairs = [(ys[k], vt) for k, vt in zip(outs, vts)
                 if isinstance(ys[k], torch.Tensor) and ys[k].requires_grad]
        if not pairs:
            raise CaseSkip("torch's output does not require grad")
        try:
            gs = torch.autograd.grad([y for y, _ in pairs], leaves, [v for _, v in pairs],
                                     create_graph=True, allow_unused=True)
        except Exception as e:
            raise CaseSkip("torch backward raises: %s" % str(e).split("\n")[0][:120])
        try:
            terms = [(g * u).sum() for g, u in zip(gs, uts) if g is not None]
            s = None
            for t in terms:
                s = t if s is None else s + t
            hs = [None] * (len(leaves) + len(vts))
            if s is not None and s.requires_grad:
                hs = torch.autograd.grad(s, leaves + vts, allow_unused=True)
        except Exception as e:
            raise TorchRaises(str(e).split("\n")[0][:160])
    npy = [None if x is None else x.detach().numpy().copy() for x in gs]
    hs = [None if x is None else x.detach().numpy().copy() for x in hs]
    return npy, hs, has_node(gs, TORCH_BAD_NODES), [x is not None and x.requires_grad for x in gs]


# torch 1.13's SgnBackward0 (the double backward of abs, and of l1_loss and whatever reaches
# abs inside torch) returns uninitialized memory for real inputs (x.abs(), g = grad(x.abs(), x,
# v, create_graph=True), grad((g * u).sum(), x): denormals, then values like 2.6 at 153
# elements): where torch's g has such a node, torch's h of the inputs is not compared (the
# finite differences still check libl2's)
TORCH_BAD_NODES = ("SgnBackward0",)


def has_node(ts, names):
    """True when the graph of any tensor of ts has a node of a type named in names."""
    seen, stack = set(), [t.grad_fn for t in ts if t is not None and t.grad_fn is not None]
    alive = []  # every visited node object kept: an id is unique only while its object lives
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        alive.append(fn)
        if type(fn).__name__ in names:
            return True
        stack.extend(f for f, _ in fn.next_functions)
    return False


# Second derivatives whose formula differs from torch's by a known relative amount (l2.h says
# why): binary_cross_entropy's double backward divides by (x + 1e-12)^2 (1 - x + 1e-12)^2 in
# torch, by max(x (1 - x), 1e-12)^2 in libl2 (the derivative of its first backward): ~2e-12 /
# min(x, 1 - x) relative, 1e-8 covering x down to ~1e-4 (the registry's probabilities).
FORMULA_SLACK = {"l2_binary_cross_entropy": 1e-8}


def _copy64(t, tf=None):
    """A float64 copy of t keeping its strides (compare._to64), storage transformed by tf."""
    return CMP._to64(t, tf)


def torch_refs(op, tin, a, diff, vts, uts, rng, outs):
    """(ref g, ref h, mag g, mag h): torch in float64 on the same inputs, and the magnitudes."""
    g0, h0, _, _ = torch_second(op, [_copy64(t) for t in tin], a, diff,
                                [_copy64(vt) for vt in vts], [_copy64(u) for u in uts], outs)
    mg = [None if x is None else np.zeros(x.shape) for x in g0]
    mh = [None if x is None else np.zeros(x.shape) for x in h0]

    def acc(ms, refs, news, scale):
        for j, (r, x) in enumerate(zip(refs, news)):
            if r is None or x is None or x.shape != r.shape:
                continue
            d = np.abs(x - r) / scale if scale else np.abs(x)
            ms[j] = np.maximum(ms[j], np.where(np.isfinite(d), d, 0.0))

    # sensitivities at two scales: 2^-20 (conditioning) and 2^-48 (a few ulps: where an element
    # is rounding noise of cancelling terms, the noise of the perturbed run shows their size).
    # The last run perturbs every element of the inputs on its own (each a contiguous copy),
    # not their storage: an expanded or overlapping input's equal elements stay equal under a
    # storage perturbation, so an exact zero from their cancellation (instance_norm over two
    # positions with an expanded v: v - mean(v) = 0, torch 0.0 exactly, libl2 a 1e-17 rounding
    # of terms of size 1) had no magnitude at all
    def elem64(t, tf):
        t = _copy64(t)
        if not isinstance(t, torch.Tensor) or not t.is_floating_point() or \
                op.name in KEEP_STRIDES:
            return _copy64(t, tf)
        return tf(t.contiguous().reshape(-1)).reshape(t.shape)

    for h, each in ((CMP.PERTURB_H, False), (CMP.PERTURB_H, False), (2.0 ** -48, False),
                    (2.0 ** -48, False), (2.0 ** -48, True)):
        def tf(full, h=h):
            return full * (1 + h * torch.from_numpy(rng.uniform(-1, 1, full.numel())))
        cp = elem64 if each else _copy64
        try:
            g1, h1, _, _ = torch_second(op, [cp(t, tf) for t in tin], a, diff,
                                        [cp(vt, tf) for vt in vts],
                                        [cp(u, tf) for u in uts], outs)
        except (CaseSkip, TorchRaises):
            continue
        acc(mg, g0, g1, h)
        acc(mh, h0, h1, h)
    if "float32" in op.dtypes:
        # a rounding experiment: torch in float32 on the same inputs. Its error, in units of
        # float32's eps, is element i's magnitude where the result cancels (layer_norm over one
        # element: an exact 0 in libl2, -1.8e-15 in torch float64, sensitivity 0)
        def f32(t):
            t = _copy64(t)
            return t.to(torch.float32) if isinstance(t, torch.Tensor) and \
                t.is_floating_point() else t
        try:
            g1, h1, _, _ = torch_second(op, [f32(t) for t in tin], a, diff,
                                        [f32(vt) for vt in vts], [f32(u) for u in uts], outs)
            acc(mg, g0, [None if x is None else x.astype(np.float64) for x in g1], CMP.EPS[
                "float32"])
            acc(mh, h0, [None if x is None else x.astype(np.float64) for x in h1], CMP.EPS[
                "float32"])
        except (CaseSkip, TorchRaises):
            pass
    nfloat = sum(1 for t in tin if isinstance(t, torch.Tensor) and t.is_floating_point())
    if CMP.mag_mode(op, True, nfloat) in ("abs", "absg") or op.tol == "accumulating":
        try:
            g1, h1, _, _ = torch_second(op, [_copy64(t, torch.abs) for t in tin], a, diff,
                                        [_copy64(vt, torch.abs) for vt in vts],
                                        [_copy64(u, torch.abs) for u in uts], outs)
            acc(mg, g0, g1, 0)
            acc(mh, h0, h1, 0)
        except (CaseSkip, TorchRaises):
            pass
    big = max([t.numel() for t in tin if isinstance(t, torch.Tensor)] +
              [vt.numel() for vt in vts] + [1])
    for ms, refs in ((mg, g0), (mh, h0)):
        for j, r in enumerate(refs):
            if r is None:
                continue
            f = 1 + math.log2(max(big / max(r.size, 1), 1))
            ms[j] = f * (np.abs(r) + ms[j]) - np.abs(r)
    slack = FORMULA_SLACK.get(op.name, 0.0)
    for j, r in enumerate(h0):
        if r is not None and slack:
            mh[j] = mh[j] + slack / CMP.EPS["float64"] * np.abs(r)  # (magnitudes: in eps)
    return g0, h0, mg, mh


def judge(what, got, want, ref, mag, dtype, op, second):
    """None or a failure message for one gradient (numpy or None each)."""
    if want is None:
        if got is not None and got.size:  # (an empty tensor for None: nothing to tell apart)
            return "%s: torch gives None (no dependence), libl2 a tensor %s (max |x| %.3g)" % (
                what, list(got.shape), float(np.max(np.abs(got))) if got.size else 0.0)
        return None
    if got is None:
        if want.size == 0 or not np.any(want):
            return None
        return "%s: libl2 NULL, torch %s with %d non-zero elements" % (
            what, list(want.shape), int(np.count_nonzero(want)))
    if got.shape != want.shape:
        return "%s: shape libl2 %s torch %s" % (what, list(got.shape), list(want.shape))
    if ref is not None and mag is not None and second:
        mag = SECOND_K * (np.abs(ref) + mag) - np.abs(ref)
    m = CMP.compare(got, want.astype(got.dtype), op.tol if op.tol != "exact_unsigned" else
                    "exact", dtype, grad=True,
                    precise_ref=(ref, mag) if ref is not None else None)
    return "%s: %s" % (what, m) if m else None


# ---- one case ------------------------------------------------------------------------------

def check_case(run, op, case, dirs, must):
    """(status, message, notes): status "ok", "skip", "notdiff", "torch" (torch raises in its
    double backward) or "fail"; notes: torch disagreeing with finite differences."""
    lib = run.lib
    specs, a, dt = case["inputs"], case["args"], case["dtype"]
    diff = diff_inputs(op, specs)
    if not diff:
        raise CaseSkip("no differentiable input")
    if GC.refused(op, specs, a):
        raise CaseSkip("no backward by definition")
    vals = values(specs)
    tri = GC.TRIANGULAR_INPUT.get(op.name)
    if tri is not None and vals[tri] is not None:  # a truly triangular factor (gradcheck.py)
        vals[tri] = _triangle(vals[tri], specs[tri]["shape"], a)
    rng = np.random.default_rng(case["seed"])
    # the outputs' shapes and dtypes (a plain forward): every float output is compared (of a
    # multi-output op too: eigh's L and V, qr's Q and R, every piece of split...), each with its
    # own random upstream gradient v_k
    outs, bufs, extra = l2_call(run, op, specs, vals, a, ())
    try:
        if not outs:
            raise CaseSkip("libl2 forward fails: " + lib.error())
        ys = [(k, l2lib.DTYPE_NAMES.get(lib.dtype_of(o)), l2_np(lib, o))
              for k, o in enumerate(outs)]
    finally:
        run.release(bufs, extra)
    ys = [(k, odt, y) for k, odt, y in ys if odt in CMP.FLOATS]
    if len(ys) > MAX_OUTPUTS:  # (unbind of 812 pieces) a spread of them
        ys = [ys[int(j)] for j in np.linspace(0, len(ys) - 1, MAX_OUTPUTS)]
    if not ys:
        raise CaseSkip("not float")
    if not all(np.all(np.isfinite(y)) for _, _, y in ys):
        raise CaseSkip("non-finite output")
    if all(y.size == 0 for _, _, y in ys) and case.get("fd"):
        raise CaseSkip("empty output")  # (the strided cases check empty ones against torch)
    vs = []
    case["_outs"], case["_vspecs"] = [k for k, _, _ in ys], []
    for k, odt, y in ys:
        vs.append(rng.standard_normal(y.shape).astype(l2lib.NP_DTYPES[odt]).reshape(-1))
        case["_vspecs"].append(G.spec(list(y.shape), odt, case["v_layout"], rng, "normal",
                                      seed=0))
    us = [rng.standard_normal(specs[i]["shape"]).astype(l2lib.NP_DTYPES[specs[i]["dtype"]])
          for i in diff]
    r = l2_second(run, op, case, vals, diff, vs, us)
    if "notdiff" in r:
        if op.name in must:
            return "fail", "listed in oracle/gradgrad_ops.txt (must be supported): " + \
                r["notdiff"], None
        return "notdiff", r["notdiff"], None
    if "err" in r:
        return "fail", r["err"], None
    # torch on the very same bytes
    tb = [l2lib.Buffer(lib, s, x) if s is not None else None for s, x in zip(specs, vals)]
    vbufs = [l2lib.Buffer(lib, sp, v) for sp, v in zip(case["_vspecs"], vs)]
    outs = case["_outs"]
    try:
        tin = [b.torch if b is not None else None for b in tb]
        vts = [vb.torch for vb in vbufs]
        uts = [torch.from_numpy(u) for u in us]
        traised, tbad = None, False
        try:
            tg, th, tbad, trg = torch_second(op, tin, a, diff, vts, uts, outs)
            rg, rh, mg, mh = torch_refs(op, tin, a, diff, vts, uts, np.random.default_rng(12345),
                                        outs)
        except TorchRaises as e:
            traised = str(e)
    finally:
        for b in tb + vbufs:
            if b is not None:
                b.release()
    fails = []
    if traised is None:
        names = ["input %d" % i for i in diff] + v_names(outs)
        for j, nm in enumerate(names[:len(diff)]):
            m = judge("g of " + nm, r["g"][j], tg[j], rg[j], mg[j], dt, op, False)
            if m:
                fails.append(m)
            if r["g"][j] is not None and trg[j] and not r["g_rg"][j]:
                fails.append("g of %s does not require grad (torch's does)" % nm)
        for j, nm in enumerate(names):
            if tbad and not nm.startswith("v"):
                continue
            if nm.startswith("v") and empty_nan(specs, diff, r["h"][j], th[j]):
                continue
            m = judge("h of " + nm, r["h"][j], th[j], rh[j], mh[j], dt, op, True)
            if m:
                fails.append(m)
    notes = None
    if case.get("fd"):
        f, notes = fd_check(run, op, case, vals, diff, vs, us, r["h"],
                            None if traised else th, rng, dirs)
        fails.extend(f)
    if fails:
        return "fail", "; ".join(fails), notes
    if traised is None and tbad:
        return "sgn", None, notes
    if traised is not None:
        return "torch", traised, notes
    return "ok", None, notes


def empty_nan(specs, diff, got, want):
    """True where torch's h of an upstream gradient is all NaN and libl2's all 0 because an
    input has no elements: the first derivative is then a sum over nothing, identically 0, and
    so is its derivative in v; torch 1.13 divides by the zero norm of the empty vectors
    (pairwise_distance of (2, 0) inputs, p = 3: NormBackward's masked fill is not differentiated
    as zero). Not a failure."""
    if got is None or want is None or got.shape != want.shape or not want.size:
        return False
    if not any(0 in specs[i]["shape"] for i in diff if specs[i] is not None):
        return False
    return bool(np.all(np.isnan(want)) and np.all(got == 0))


def v_names(outs):
    """The names of the upstream gradients in messages: "v" (one output), "v of output k"."""
    return ["v"] if len(outs) == 1 else ["v of output %d" % k for k in outs]


def _triangle(x, shape, a):
    """x (flat, of the given shape) with the triangle a factor's op does not read zeroed (the
    lower one kept, the upper one when a["upper"]): see gradcheck.py's TRIANGULAR_INPUT. Not a
    matrix (an error case): x unchanged."""
    if len(shape) < 2:
        return x
    m = np.asarray(x).reshape(shape)
    return (np.triu(m) if a.get("upper") else np.tril(m)).reshape(np.shape(x))


def fd_check(run, op, case, vals, diff, vs, us, h, th, rng, dirs):
    """Part 2: libl2's h against central differences of <g, u> (g by libl2's first order)."""
    fails, tnotes = [], []
    specs = case["inputs"]

    def one(what, ana, tana, p, m):
        if p is None or m is None or not np.isfinite(p - m):
            return
        num = (p - m) / (2 * EPS)
        if abs(num - ana) > ATOL + RTOL * abs(ana):
            fails.append("fd %s: finite difference %.10g, libl2 <h, w> %.10g" % (what, num, ana))
        if tana is not None and abs(num - tana) > ATOL + RTOL * abs(tana):
            tnotes.append("%s: finite difference %.10g, torch %.10g, libl2 %.10g" % (
                what, num, tana, ana))

    def dot(x, w):
        return 0.0 if x is None else float(np.sum(x.astype(np.float64).reshape(-1) * w))

    for j, i in enumerate(diff):
        for d in range(dirs):
            w = rng.standard_normal(vals[i].shape)
            if i == 0 and op.name in GC.SYMMETRIC_INPUT:
                mm = w.reshape(specs[i]["shape"])
                w = ((mm + np.swapaxes(mm, -1, -2)) / 2).reshape(w.shape)
            if GC.TRIANGULAR_INPUT.get(op.name) == i:  # directions in the triangle read
                w = _triangle(w, specs[i]["shape"], case["args"])
            vp = [x if k != i else x + EPS * w for k, x in enumerate(vals)]
            vm = [x if k != i else x - EPS * w for k, x in enumerate(vals)]
            one("input %d direction %d" % (i, d), dot(h[j], w),
                None if th is None else dot(th[j], w),
                l2_first_dot(run, op, case, vp, diff, vs, us),
                l2_first_dot(run, op, case, vm, diff, vs, us))
    for j, nm in enumerate(v_names(case["_outs"])):
        w = rng.standard_normal(vs[j].shape)
        hj = h[len(diff) + j]
        thj = None if th is None else th[len(diff) + j]
        one(nm, dot(hj, w), None if th is None else dot(thj, w),
            l2_first_dot(run, op, case, vals, diff,
                         [x + EPS * w if q == j else x for q, x in enumerate(vs)], us),
            l2_first_dot(run, op, case, vals, diff,
                         [x - EPS * w if q == j else x for q, x in enumerate(vs)], us))
    return fails, ("; ".join(tnotes) or None)


# ---- driver --------------------------------------------------------------------------------

def eligible(op):
    return GC.eligible(op) and op.check is None


def run_op(run, op, prof, seed, must):
    """Counts and messages of one op's cases."""
    st = {"ok": 0, "fail": 0, "skip": 0, "notdiff": 0, "torch": 0, "sgn": 0}
    msgs, notes, traised, reasons, skipped = [], [], [], {}, {}
    plans = [("float64", "cases"), ("float32", "cases"), ("fd", "fd")]
    for dt, key in plans:
        if dt != "fd" and dt not in op.dtypes:
            continue
        done = 0
        for k in range(prof["tries"]):
            if done >= prof[key] or st["notdiff"]:
                break
            case = fd_case(op, k, seed) if dt == "fd" else strided_case(op, dt, k, seed)
            if case is None:
                continue
            try:
                status, msg, note = check_case(run, op, case, prof["dirs"], must)
            except CaseSkip as e:
                st["skip"] += 1
                reasons[str(e).split(":")[0]] = reasons.get(str(e).split(":")[0], 0) + 1
                where = (str(e).split(":")[0], dt)  # (why, the case plan) for the summary
                skipped[where] = skipped.get(where, 0) + 1
                continue
            except Exception as e:  # an oracle problem, not libl2's
                status, msg, note = "fail", "gradgrad exception: %r" % e, None
            st[status] += 1
            done += status != "skip"
            pub = {k_: v_ for k_, v_ in case.items() if not k_.startswith("_")}
            if status == "fail" and len(msgs) < 2:
                msgs.append("#   %s\n#   repro: %s" % (msg, json.dumps(pub)))
            if status == "notdiff" and not msgs:
                msgs.append("#   " + msg)
            if status == "torch" and len(traised) < 1:
                traised.append("#   torch raises in its double backward: " + msg)
            if note and len(notes) < 2:
                notes.append("#   torch's h disagrees with finite differences: %s\n#   case: %s"
                             % (note, json.dumps(pub)))
    st["reasons"], st["skipped"] = reasons, skipped
    return st, msgs, notes, traised


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ops", default="")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--profile", choices=sorted(PROFILES), default="ci")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--case", default="", help="replay one case (a repro line's JSON)")
    ap.add_argument("--listed", action="store_true", help="only the ops of gradgrad_ops.txt")
    ap.add_argument("--graphs", type=int, help="whole graphs per dtype (0: none)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    prof = PROFILES[args.profile]
    lib = l2lib.Lib()
    if lib.fn("l2_autograd_grad_ex", GG["l2_autograd_grad_ex"]) is None:
        print("1..0 # SKIP this libl2 has no l2_autograd_grad_ex (create_graph)")
        return 0
    lib.bind(GG)
    lib.set_num_threads(args.threads)
    run = GC.Runner(lib)
    live = lib.fn("l2_live_tensors", "l:")
    must = must_support()
    if args.case:
        case = json.loads(args.case)
        try:
            print(check_case(run, R.REGISTRY[case["op"]], case, prof["dirs"], must))
        except CaseSkip as e:
            print("skip: %s" % e)
        return 0
    want = [("l2_" + n if not n.startswith("l2_") else n) for n in args.ops.split(",") if n]
    ops = [op for op in R.REGISTRY.values() if eligible(op) and (not want or op.name in want)
           and (not args.listed or op.name in must)]
    unknown = sorted(must - set(R.REGISTRY))
    ngraphs = prof["graphs"] if args.graphs is None else args.graphs
    if want or args.listed:
        ngraphs = args.graphs or 0
    print("1..%d" % (len(ops) + 1 + (2 if ngraphs else 0)))
    print("%s 1 - gradgrad_ops.txt names registry ops%s" % (
        "not ok" if unknown else "ok", (": unknown " + ", ".join(unknown)) if unknown else ""))
    t0 = time.time()
    tot = {"ok": 0, "fail": 0, "skip": 0, "torch": 0, "sgn": 0}
    checked, notdiff, traised_ops, torch_wrong, sgn_ops = [], [], [], [], []
    skips = {}  # why -> ["op (plan N, ...)", ...]: the skipped combinations, for the summary
    for n, op in enumerate(ops, start=2):
        if lib.fn(op.name, op.sig) is None:
            print("ok %d - %s # SKIP not in this libl2" % (n, op.name))
            continue
        before = live() if live else 0
        st, msgs, notes, traised = run_op(run, op, prof, args.seed, must)
        if live and live() != before:  # a backward (or its record) leaked tensors
            st["fail"] += 1
            msgs.insert(0, "#   leak: %d tensors alive before the op's cases, %d after" % (
                before, live()))
        for key in tot:
            tot[key] += st[key]
        for why in sorted({w for w, _ in st["skipped"]}):
            skips.setdefault(why, []).append("%s (%s)" % (op.name[3:], ", ".join(
                "%s %d" % (plan, cnt) for (w, plan), cnt in sorted(st["skipped"].items())
                if w == why)))
        if notes:
            torch_wrong.append(op.name)
        if traised:
            traised_ops.append(op.name)
        if st["sgn"]:
            sgn_ops.append(op.name)
        ran = st["ok"] + st["fail"] + st["torch"] + st["sgn"]
        if st["notdiff"] and not st["fail"]:
            notdiff.append(op.name)
            print("ok %d - %s # SKIP create_graph: not differentiable yet" % (n, op.name))
        elif ran == 0:
            rs = sorted(st["reasons"].items(), key=lambda kv: -kv[1])
            if rs and rs[0][0] == "not float":
                print("ok %d - %s # SKIP the output is not float: nothing to differentiate" % (
                    n, op.name))
            else:
                print("ok %d - %s # SKIP no usable case (%s)" % (
                    n, op.name, ", ".join("%s: %d" % kv for kv in rs)))
        else:
            checked.append(op.name)
            ok = st["fail"] == 0
            rs = sorted(st["reasons"].items(), key=lambda kv: -kv[1])
            print("%s %d - %s: %d cases, %d failed, %d torch-raises, %d skipped%s" % (
                "ok" if ok else "not ok", n, op.name, ran, st["fail"], st["torch"], st["skip"],
                (" (" + ", ".join("%s: %d" % kv for kv in rs) + ")") if rs else ""))
        for m in msgs + traised + notes:
            print(m)
        sys.stdout.flush()
    if ngraphs:
        import gradgrad_graph
        lines, _ = gradgrad_graph.run(lib, ngraphs, args.seed, ["float32", "float64"],
                                      len(ops) + 2)
        print("\n".join(lines))
    print("# second derivatives: %d ops checked, %d not differentiable yet: %s" % (
        len(checked), len(notdiff), ", ".join(notdiff) or "none"))
    print("# gradgrad: %d cases, %d failed, %d skipped; %.1fs" % (
        tot["ok"] + tot["fail"] + tot["torch"] + tot["sgn"], tot["fail"], tot["skip"],
        time.time() - t0))
    # plans: float64 / float32 (strided cases), fd (finite-difference cases)
    print("# gradgrad skipped, by reason: op (case plan: skipped cases): %s" % (
        "; ".join("%s: %s" % (why, ", ".join(v)) for why, v in sorted(skips.items()))
        or "none"))
    print("# torch's double backward raises (not compared) for: %s" % (
        ", ".join(traised_ops) or "none"))
    print("# torch's h of the inputs not compared (its SgnBackward0 returns uninitialized memory) "
          "for: %s" % (", ".join(sgn_ops) or "none"))
    print("# torch's h disagrees with finite differences for: %s" % (
        ", ".join(torch_wrong) or "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
