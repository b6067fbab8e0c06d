#!/usr/bin/env python3
"""gradcheck.py: a float64 finite-difference check of every differentiable op's gradient,
independent of torch's autograd (issue 10). TAP: one point per op.

For each registry op with a float64 gradient, a few float64 cases from the op's own generator
(contiguous inputs; value kinds without ties or special values, so inputs stay away from kinks
and ties; ops whose output is piecewise constant are skipped): with v a random upstream gradient,
libl2's l2_backward gives J^T v; for a few random directions u of each differentiable input,
    (<v, f(x + h u)> - <v, f(x - h u)>) / 2h   must equal   <J^T v, u>
within atol 1e-5 + rtol 1e-3 (torch.autograd.gradcheck's tolerances, h = 1e-6). In-place ops are
checked on a clone (y = clone(x); op_(y, ...)). torch's own float64 gradient is checked against
the same differences: where it disagrees the op is listed (the oracle must not follow torch).

    gradcheck.py                      # every op (make check: tests/gradcheck.sh)
    gradcheck.py --ops l2_exp,l2_mm   # some ops
"""
import argparse
import json
import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

try:
    import numpy as np
    import torch
except ImportError as e:
    print("1..0 # SKIP torch not found (%s)" % e)
    sys.exit(0)

import compare  # noqa: E402
import gen as G  # noqa: E402
import l2lib  # noqa: E402
import registry as R  # noqa: E402

EPS, ATOL, RTOL = 1e-6, 1e-5, 1e-3
CASES, TRIES, DIRECTIONS = 6, 24, 3
MAX_NUMEL = 4096            # finite differences test the math: small inputs suffice
PIECEWISE_CONSTANT = {"l2_floor", "l2_ceil", "l2_round", "l2_trunc", "l2_sign"}
# value kinds with ties, exact halves/integers or special values: replaced by smooth ones
SMOOTH = {"ties": "normal", "halves": "normal", "small_int": "normal", "special": "uniform",
          # the stress kinds (gen.py): specials, overflow, huge quotients (fmod's floor(a/b)
          # steps closer than the difference step) are no place for finite differences
          "special_finite": "uniform", "wide": "uniform", "near_overflow": "uniform",
          "near_zero": "positive", "int_big": "uniform", "special_finite_acc": "uniform"}


# issue 15: the symmetric-input ops read one triangle and their gradients (torch's) hold for
# symmetric perturbations only: the directions of input 0 are symmetrised (as torch's own
# gradcheck wraps these ops in A -> (A + A^T) / 2)
SYMMETRIC_INPUT = {"l2_linalg_eigh", "l2_linalg_eigvalsh", "l2_linalg_cholesky"}
# (and l2_linalg_pinv with hermitian: torch's gradient is the general pinv's, which holds for
# symmetric directions)
# lsqnorm (issue 15): cholesky_solve reads one triangle of its factor (input 1); torch's
# gradient of the factor (-C L, dense) is the derivative only for a truly triangular factor:
# the factor's other triangle is zeroed and its directions stay in the triangle read
TRIANGULAR_INPUT = {"l2_cholesky_solve": 1}
# matrix value kinds with no derivative there (singular, repeated or rank-deficient spectra,
# where torch 1.13's gradient, which libl2 follows, is not the finite difference's) replaced by
# well-conditioned ones of the same size
MATRIX_SMOOTH = {"sqmat:singular": "sqmat:well", "sqmat:ill": "sqmat:well",
                 "mat:symrep": "mat:sym", "mat:rankdef": "mat:cond", "mat:svrep": "mat:cond"}


def refused(op, specs, a):
    """Cases whose backward libl2 and torch refuse by definition (skipped, not failed): linalg_qr
    in mode "r", and in mode "complete" with more rows than columns; linalg_svd with
    full_matrices and M != N (the extra columns of U or rows of Vh are any orthonormal basis of
    the complement, not a function of A: torch's gradient, and libl2's, ignore theirs)."""
    if not specs or specs[0] is None or len(specs[0]["shape"]) < 2:
        return False  # (an error case: the forward fails)
    if op.name == "l2_linalg_svd":
        m, n = specs[0]["shape"][-2:]
        return bool(a.get("full")) and m != n
    if op.name != "l2_linalg_qr":
        return False
    m, n = specs[0]["shape"][-2:]
    return a.get("mode") == "r" or (a.get("mode") == "complete" and m > n)


def _smooth_kind(vals):
    for k, v in MATRIX_SMOOTH.items():
        if vals.startswith(k + ":"):
            return v + vals[len(k):]
    return SMOOTH.get(vals, vals)


def eligible(op):
    return ("float64" in op.dtypes and not op.nograd and op.check in (None, "argext")
            and op.name not in PIECEWISE_CONSTANT)


def smooth_case(op, k, seed):
    """The k-th curated float64 case of op, made contiguous and smooth; None if unusable."""
    r = op.gen(G.CuratedDrawer(k, seed), "float64")
    specs = []
    for s in r["inputs"]:
        if s is None:
            specs.append(None)
            continue
        vals = s["values"]
        if s["dtype"] in ("float32", "float64"):
            vals = _smooth_kind(vals)
        sp = G.spec(s["shape"], s["dtype"], "contiguous", np.random.default_rng(s["seed"]),
                    vals, seed=s["seed"])
        if int(np.prod(sp["shape"] or [1])) > MAX_NUMEL:
            return None
        specs.append(sp)
    return {"op": op.name, "inputs": specs, "args": r["args"]}


class Runner:
    def __init__(self, lib):
        self.lib = lib

    def call_all(self, op, specs, vals, a, grad_inputs=()):
        """f(inputs with these values): (every output, [] when the call fails or gives zero
        pieces; buffers; extra tensors to release, the outputs included). A multi-output op's
        later outputs may be None (the caller decides whether that fails)."""
        lib = self.lib
        f = lib.fn(op.name, op.sig)
        bufs = [l2lib.Buffer(lib, s, v) if s is not None else None for s, v in zip(specs, vals)]
        for i in grad_inputs:
            lib.set_requires_grad(bufs[i].l2, True)
        xs = [b.l2 if b is not None else None for b in bufs]
        extra = []
        lib.clear_error()
        if op.inplace is not None:
            c = lib.clone(xs[op.inplace])
            if not c:
                return [], bufs, extra
            extra.append(c)
            xs[op.inplace] = c
            return ([c] if op.call(f, xs, a) == 0 else []), bufs, extra
        r = op.call(f, xs, a)
        outs = (list(r) if r else []) if op.outputs > 1 else ([r] if r else [])
        extra.extend(t for t in outs if t)
        if outs and not outs[0]:  # failed, or zero pieces (split_with_sizes of [])
            return [], bufs, extra
        return outs, bufs, extra

    def call(self, op, specs, vals, a, grad_inputs=()):
        """f(inputs with these values): (output 0 or None, buffers, extra tensors)."""
        outs, bufs, extra = self.call_all(op, specs, vals, a, grad_inputs)
        return (outs[0] if outs else None), bufs, extra

    def release(self, bufs, extra):
        for t in extra:
            if t:
                self.lib.tensor_release(t)
        for b in bufs:
            if b is not None:
                b.release()

    def value(self, op, specs, vals, a, v):
        """<v, f(x)> in float64, or None when the call fails."""
        out, bufs, extra = self.call(op, specs, vals, a)
        try:
            if out is None:
                return None
            y = self.lib.to_torch_copy(out).numpy().astype(np.float64)
            return float(np.sum(y * v))
        finally:
            self.release(bufs, extra)


def torch_grads(lib, op, specs, vals, a, diff, v):
    """torch's float64 J^T v on the same inputs (the oracle's buffers), or None."""
    bufs = []
    try:
        xs = []
        for s, x in zip(specs, vals):
            bufs.append(l2lib.Buffer(lib, s, x) if s is not None else None)
            xs.append(bufs[-1].torch if s is not None else None)
        for i in diff:
            xs[i].requires_grad_(True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if op.inplace is not None:
                y = xs[op.inplace].clone()
                op.ref([y if j == op.inplace else t for j, t in enumerate(xs)], a)
            else:
                y = op.ref(xs, a)
                y = y[0] if isinstance(y, tuple) else y
        gs = torch.autograd.grad(y, [xs[i] for i in diff], torch.from_numpy(v), allow_unused=True)
        return [np.zeros(xs[i].shape) if g is None else g.numpy() for i, g in zip(diff, gs)]
    except Exception:
        return None
    finally:
        for b in bufs:
            if b is not None:
                b.release()


def check_case(run, op, case, rng):
    """(status, message, torch_note): status "ok", "skip" or "fail"."""
    lib = run.lib
    specs, a = case["inputs"], case["args"]
    vals = [np.asarray(G.spec_values(s), dtype=np.float64 if s["dtype"] == "float64" else None)
            if s is not None else None for s in specs]
    ti = TRIANGULAR_INPUT.get(op.name)
    if ti is not None and vals[ti] is not None:
        m = vals[ti].reshape(specs[ti]["shape"])
        vals[ti] = (np.triu(m) if a.get("upper") else np.tril(m)).reshape(vals[ti].shape)
    diff = [i for i in (op.diff if op.diff is not None else range(len(specs)))
            if specs[i] is not None and specs[i]["dtype"] == "float64"
            and int(np.prod(specs[i]["shape"] or [1])) > 0]
    if not diff:
        return "skip", "no differentiable input", None
    if refused(op, specs, a):
        return "skip", "no backward by definition", None
    out, bufs, extra = run.call(op, specs, vals, a, diff)
    try:
        if out is None or lib.numel(out) == 0:
            return "skip", "error or empty", None
        if lib.dtype_of(out) != l2lib.DTYPES["float64"]:
            return "skip", "not float", None
        y = lib.to_torch_copy(out).numpy()
        if not np.all(np.isfinite(y)):
            return "skip", "non-finite output", None
        v = rng.standard_normal(y.shape)
        vsp = G.spec(list(y.shape), "float64", "contiguous", rng, "normal", seed=0)
        vb = l2lib.Buffer(lib, vsp, v.reshape(-1))
        try:
            if lib.backward(out, vb.l2, False) != 0:
                return "fail", "l2_backward failed: " + lib.error(), None
        finally:
            vb.release()
        grads = []
        for i in diff:
            g = lib.grad(bufs[i].l2)
            shape = specs[i]["shape"]
            grads.append(lib.to_torch_copy(g).numpy().reshape(shape) if g else np.zeros(shape))
    finally:
        run.release(bufs, extra)
    if not all(np.all(np.isfinite(g)) for g in grads):
        return "skip", "non-finite gradient", None
    tg = torch_grads(lib, op, specs, vals, a, diff, v)
    fails, tnotes = [], []
    for j, i in enumerate(diff):
        for d in range(DIRECTIONS):
            u = rng.standard_normal(vals[i].shape)
            if i == 0 and (op.name in SYMMETRIC_INPUT or
                           (op.name == "l2_linalg_pinv" and a.get("hermitian"))):
                m = u.reshape(specs[i]["shape"])
                u = ((m + np.swapaxes(m, -1, -2)) / 2).reshape(u.shape)
            if TRIANGULAR_INPUT.get(op.name) == i:
                m = u.reshape(specs[i]["shape"])
                u = (np.triu(m) if a.get("upper") else np.tril(m)).reshape(u.shape)
            vp = [x if k != i else x + EPS * u for k, x in enumerate(vals)]
            vm = [x if k != i else x - EPS * u for k, x in enumerate(vals)]
            lp, lm = run.value(op, specs, vp, a, v), run.value(op, specs, vm, a, v)
            if lp is None or lm is None or not np.isfinite(lp - lm):
                continue
            num = (lp - lm) / (2 * EPS)
            ana = float(np.sum(grads[j].reshape(-1) * u))
            if abs(num - ana) > ATOL + RTOL * abs(ana):
                fails.append("input %d direction %d: finite difference %.10g, libl2 <J^T v, u> "
                             "%.10g" % (i, d, num, ana))
            if tg is not None:
                tana = float(np.sum(tg[j].reshape(-1) * u))
                if abs(num - tana) > ATOL + RTOL * abs(tana):
                    tnotes.append("input %d: finite difference %.10g, torch %.10g, libl2 %.10g"
                                  % (i, num, tana, ana))
    note = "; ".join(tnotes) or None
    if fails:
        return "fail", "; ".join(fails), note
    return "ok", None, note


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ops", default="")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cases", type=int, default=CASES)
    args = ap.parse_args()
    torch.set_num_threads(1)
    lib = l2lib.Lib()
    run = Runner(lib)
    want = [("l2_" + n if not n.startswith("l2_") else n) for n in args.ops.split(",") if n]
    ops = [op for op in R.REGISTRY.values() if eligible(op) and (not want or op.name in want)]
    print("1..%d" % (len(ops) + 1))
    rules = compare.selftest()
    bad = [d for d, held in rules if not held]
    print("%s 1 - tolerance rules: %d of %d examples hold" % ("not ok" if bad else "ok",
                                                             len(rules) - len(bad), len(rules)))
    for d in bad:
        print("#   does not hold: " + d)
    total = {"ok": 0, "fail": 0, "skip": 0, "dirs": 0}
    torch_wrong = []
    for n, op in enumerate(ops, start=2):
        if lib.fn(op.name, op.sig) is None:
            print("ok %d - %s # SKIP not in this libl2" % (n, op.name))
            continue
        rng = np.random.default_rng(args.seed * 1000003 + n)
        st = {"ok": 0, "fail": 0, "skip": 0}
        msgs, notes, nonfloat = [], [], 0
        for k in range(TRIES):
            if st["ok"] + st["fail"] >= args.cases:
                break
            case = smooth_case(op, k, args.seed)
            if case is None:
                continue
            try:
                status, msg, note = check_case(run, op, case, rng)
            except Exception as e:  # an oracle problem, not libl2's
                status, msg, note = "fail", "gradcheck exception: %r" % e, None
            st[status] += 1
            nonfloat += msg == "not float"
            if status == "fail" and len(msgs) < 2:
                msgs.append("#   %s\n#   repro: %s" % (msg, json.dumps(case)))
            if note and len(notes) < 2:
                notes.append("#   torch disagrees with finite differences: %s\n#   case: %s" % (
                    note, json.dumps(case)))
        for key in st:
            total[key] += st[key]
        if notes:
            torch_wrong.append(op.name)
        ok = st["fail"] == 0 and st["ok"] > 0
        line = "%s %d - %s: %d cases checked, %d failed, %d skipped" % (
            "ok" if ok else "not ok", n, op.name, st["ok"] + st["fail"], st["fail"], st["skip"])
        if st["ok"] + st["fail"] == 0:
            line += " (no usable case)"
            if nonfloat:  # comparisons, argmax, all/any
                line = "ok %d - %s # SKIP the output is not float: nothing to differentiate" % (
                    n, op.name)
        print(line)
        for m in msgs + notes:
            print(m)
        sys.stdout.flush()
    print("# gradcheck: %d cases, %d failed, %d skipped; torch's gradient disagrees with finite "
          "differences for: %s" % (total["ok"] + total["fail"], total["fail"], total["skip"],
                                   ", ".join(torch_wrong) or "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
