#!/usr/bin/env python3
"""graph_oracle.py: whole-graph autograd parity of libl2 with torch 1.13 (the driver; the IR and
its ops are in graph_ir.py, the generator in graph_gen.py, the two runs and the comparison in
graph_run.py, the known divergences in graph_known.py).

Generates seeded random DAGs (3-25 ops over tensors of at most 64 elements) over the public ops:
shared subexpressions and diamonds, views of intermediates, in-place ops on intermediates, leaves
and views (where torch allows them and where it does not), detach and no_grad islands, several
outputs, non-contiguous leaves and random non-contiguous upstream gradients. Each graph runs
through libl2 (ctypes) and torch, in one of four modes:

    backward        every output backward in turn (retain_graph on all but the last)
    twice_retain    backward(out0, retain_graph=True), then backward(out0) again: grads double
    twice_noretain  backward(out0) twice without retain_graph: torch raises only when the graph
                    saved tensors
    grad_subset     autograd_grad over a subset of the leaves (allow_unused drawn both ways)

and compares every op's value when it is made, every leaf's .grad (or autograd_grad's results)
and error parity: torch raises exactly when libl2 fails (at the same op or the same call).
Known divergences (bugs reported but not yet fixed, and libl2's documented lack of CopySlices)
are named predicates in KNOWN; a failure they match is counted, not failed, and a predicate whose
signature matches while its premise does not is a failure.

    graph_oracle.py                          # CI profile: seed 0, 2,500 graphs per dtype
    graph_oracle.py --profile deep [--seed N]  # 20,000 graphs per dtype, random seed printed
    graph_oracle.py --seed S --graph K --dtype float32 -v   # replay one graph, verbosely
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

try:
    import numpy as np
    import torch
except ImportError as e:
    print("1..0 # SKIP torch not found (%s)" % e)
    sys.exit(0)

import gen as G  # noqa: E402
import l2lib  # noqa: E402
from graph_gen import FLOATS, MODES, draw_graph  # noqa: E402
from graph_ir import Graph  # noqa: E402
from graph_known import KNOWN, Ctx, triage  # noqa: E402
from graph_run import close, compare_grads, make_buffers, run_l2, run_torch  # noqa: E402

# ---- one graph -------------------------------------------------------------------------------

def check_graph(lib, g, dtype, known):
    """Run g through libl2 and torch; returns (outcome, failures): outcome is "compared" (every
    phase ran in both and matched), "parity" (both refused at the same point, after matching up
    to it), "known" or "fail"."""
    sets = [make_buffers(lib, g, dtype) for _ in range(3 if dtype == "float32" else 2)]
    try:
        (bufs, ups), (tbufs, tups) = sets[0], sets[1]
        lr = run_l2(lib, g, bufs, ups)
        tr = run_torch(g, tbufs, tups, dtype)
        ref = run_torch(g, sets[2][0], sets[2][1], "float64") if len(sets) > 2 else None
        fails = []
        for i, b in bufs.items():
            if not b.guards_intact():
                fails.append("leaf v%d: guard zone written" % i)
        first_bad = None
        for i in sorted(tr.values):
            if i in lr.values:
                m = close(lr.values[i], tr.values[i], ref.values.get(i) if ref else None, dtype,
                          False)
                if m:
                    first_bad = i if first_bad is None else first_bad
                    fails.append("value v%d (%s): %s" % (i, g.vals[i]["op"], m))
        if fails:
            ctx = Ctx(g, lr, tr, "values", dtype, lib)
            ctx.first_bad = first_bad
            fails = triage(ctx, fails, known)
            return ("fail", fails) if fails else ("known", [])
        if lr.fail_at != tr.fail_at:
            where = lambda r: "v%d (%s): %s" % (r.fail_at, g.vals[r.fail_at]["op"], r.msg) \
                if r.fail_at is not None else "nothing"  # noqa: E731
            fails = ["forward error parity: libl2 refused %s; torch refused %s" % (
                where(lr), where(tr))]
            fails = triage(Ctx(g, lr, tr, "forward", dtype, lib), fails, known)
            return ("fail", fails) if fails else ("known", [])
        if lr.fail_at is not None:
            return "parity", []
        for p in range(max(len(lr.phases), len(tr.phases))):
            if p >= len(lr.phases) or p >= len(tr.phases):
                return "fail", ["phase %d ran in only one library" % p]
            (name, lok, lmsg, lg), (_, tok, tmsg, tg) = lr.phases[p], tr.phases[p]
            if lok != tok:
                fails = ["%s error parity: libl2 %s; torch %s" % (
                    name, "failed: " + lmsg if not lok else "succeeded",
                    "raised " + tmsg if not tok else "succeeded")]
                fails = triage(Ctx(g, lr, tr, name, dtype, lib), fails, known)
                return ("fail", fails) if fails else ("known", [])
            if not lok:  # both refused (torch may have accumulated part of the gradients)
                if not lmsg:
                    return "fail", ["%s: libl2 failed without a message" % name]
                return "parity", []
            rg = ref.phases[p][3] if ref and p < len(ref.phases) else None
            what = "grad of input" if name == "autograd_grad" else "grad of leaf v"
            fails = compare_grads(lg, tg, rg, dtype, what)
            if fails:
                ctx = Ctx(g, lr, tr, name, dtype, lib)
                ctx.grad_mismatch = True
                fails = triage(ctx, ["%s: %s" % (name, f) for f in fails], known)
                return ("fail", fails) if fails else ("known", [])
        return "compared", []
    finally:
        for bufs, ups in sets:
            for b in list(bufs.values()) + [u for u in ups if u is not None]:
                b.release()


# ---- shrinking and replay --------------------------------------------------------------------

def subgraph(g, keep):
    """g restricted to the value ids in keep (renumbered); None when an output or an input of a
    kept node is dropped."""
    m, vals = {}, []
    for i in keep:
        v = dict(g.vals[i])
        if v["op"] != "leaf":
            if any(j not in m for j in v["ins"]):
                return None
            v["ins"] = [m[j] for j in v["ins"]]
        m[i] = len(vals)
        vals.append(v)
    if any(o not in m for o in g.outputs) or any(i not in m for i in g.subset):
        return None
    h = Graph()
    h.vals, h.outputs, h.mode, h.ups = vals, [m[o] for o in g.outputs], g.mode, g.ups
    h.subset, h.allow_unused = [m[i] for i in g.subset], g.allow_unused
    return h


def shrink(lib, g, dtype, first, budget=300):
    """Greedily drop values (last first) while the graph still fails with the same kind of first
    failure; at most budget runs. Returns the smallest failing graph found."""
    kind = first.split(":")[0]
    keep = list(range(len(g.vals)))
    changed = True
    while changed and budget > 0:
        changed = False
        for i in reversed(keep):
            if budget <= 0:
                break
            h = subgraph(g, [j for j in keep if j != i])
            if h is None:
                continue
            budget -= 1
            try:
                out, f = check_graph(lib, h, dtype, {})
            except Exception:  # noqa: BLE001 (a broken subgraph is just not smaller)
                continue
            if out == "fail" and f[0].split(":")[0] == kind:
                keep = [j for j in keep if j != i]
                changed = True
    return subgraph(g, keep)


def graph_json(g, dtype):
    return json.dumps({"dtype": dtype, "vals": g.vals, "outputs": g.outputs, "mode": g.mode,
                       "subset": g.subset, "allow_unused": g.allow_unused, "ups": g.ups},
                      sort_keys=True)


def graph_from_json(text):
    d = json.loads(text)
    g = Graph()
    g.vals, g.outputs, g.mode = d["vals"], d["outputs"], d["mode"]
    g.subset, g.allow_unused, g.ups = d["subset"], d["allow_unused"], d["ups"]
    return g, d["dtype"]


# ---- the issue's examples --------------------------------------------------------------------

def issue_graphs(dtype):
    """The five divergences of issue 13 as fixed graphs: each must compare equal to torch, with
    no known-divergence predicate needed (all five are fixed)."""
    rng = np.random.default_rng(13)

    def leaf(shape, rg=True):
        return {"op": "leaf", "spec": G.spec(shape, dtype, "contiguous", rng), "rg": rg}

    def node(op, ins, **args):
        return {"op": op, "ins": ins, "args": args, "ng": False}

    def graph(vals, outs, mode, subset=(), allow_unused=False, ups=None):
        g = Graph()
        g.vals, g.outputs, g.mode = vals, outs, mode
        g.subset, g.allow_unused = list(subset), allow_unused
        g.ups = ups if ups is not None else [None] * len(outs)
        return g

    up6 = G.spec([6], dtype, "stepped", rng, "normal")
    return [
        ("#1 autograd_grad prunes to the inputs asked for",
         graph([leaf([2]), leaf([2]), node("exp", [1]), node("add_scalar_", [2], s=1.0),
                node("mul_scalar", [0], s=3.0), node("add", [4, 3]), node("sum", [5])],
               [6], "grad_subset", [0])),
        ("#2 a reshape that copied is no view",
         graph([leaf([2, 3]), node("transpose", [0], d0=0, d1=1), node("reshape", [1], shape=[6]),
                node("add_scalar_", [2], s=1.0)], [3], "backward", ups=[up6])),
        ("#3 mm saves only what dA reads",
         graph([leaf([2, 2]), leaf([2, 2], False), node("mul_scalar", [0], s=2.0),
                node("mm", [2, 1]), node("add_scalar_", [2], s=1.0), node("sum", [3])],
               [5], "backward")),
        ("#3 linear saves only what dx reads",
         graph([leaf([3, 2]), leaf([4, 2], False), leaf([4], False),
                node("mul_scalar", [0], s=2.0), node("linear", [3, 1, 2]),
                node("add_scalar_", [3], s=1.0), node("sum", [4])], [6], "backward")),
        ("#4 a second backward through a graph that saved nothing",
         graph([leaf([3]), node("add", [0, 0]), node("sum", [1])], [2], "twice_noretain")),
        ("#5 cat connects a skipped 1-d empty input",
         graph([leaf([2]), leaf([0]), node("cat", [0, 1], dim=0), node("sum", [2])], [3],
               "grad_subset", [0, 1], False)),
    ]


# ---- main ------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--profile", choices=("ci", "deep"), default="ci")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--graphs", type=int, help="graphs per dtype")
    ap.add_argument("--graph", type=int, help="run only graph K (a repro)")
    ap.add_argument("--dtype", choices=FLOATS, help="only this dtype")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every graph")
    ap.add_argument("--replay", metavar="FILE", help="run one graph saved as JSON (a shrunk "
                    "failure), verbosely")
    ap.add_argument("--no-shrink", action="store_true", help="report failures unshrunk")
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else (
        0 if a.profile == "ci" else int.from_bytes(os.urandom(4), "little") & 0x7FFFFFFF)
    n = a.graphs or (2500 if a.profile == "ci" else 20000)
    dtypes = [a.dtype] if a.dtype else list(FLOATS)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    lib = l2lib.Lib()
    lib.set_num_threads(1)
    lib.bind(l2lib.GRAPH)
    if a.replay:
        with open(a.replay) as f:
            g, dt = graph_from_json(f.read())
        print("# graph: " + g.text())
        outcome, fails = check_graph(lib, g, dt, {})
        print("%s 1 - replay %s: %s" % ("not ok" if outcome == "fail" else "ok", a.replay,
                                        outcome))
        for f in fails:
            print("#   " + f)
        print("1..1")
        return 0
    ks = [a.graph] if a.graph is not None else range(n)
    print("# graph oracle: profile %s, seed %d, %d graphs per dtype (%s), library %s" % (
        a.profile, seed, len(ks), ",".join(dtypes), lib.path))
    known = {}
    n_test = 0
    total_fail = 0
    t0 = time.process_time()
    if a.graph is None:
        bad = []
        for dt in dtypes:
            for name, g in issue_graphs(dt):
                outcome, fails = check_graph(lib, g, dt, known)
                if outcome != "compared":
                    bad.append("%s %s: %s %s" % (dt, name, outcome, fails[:1]))
        n_test += 1
        print("%s %d - issue 13 examples: %d graphs, %d not as torch" % (
            "not ok" if bad else "ok", n_test, 6 * len(dtypes), len(bad)))
        for b in bad:
            print("#   " + b)
    for dt in dtypes:
        stats = {m: {"graphs": 0, "compared": 0, "parity": 0, "known": 0, "fail": 0}
                 for m in MODES}
        shown = 0
        for k in ks:
            g = draw_graph(seed, k, dt)
            if a.verbose:
                print("# graph %d: %s" % (k, g.text()))
            try:
                outcome, fails = check_graph(lib, g, dt, known)
            except Exception as e:  # noqa: BLE001 (an oracle bug is a failure too)
                import traceback
                outcome, fails = "fail", ["oracle exception: %r" % e] + [
                    ln for ln in traceback.format_exc().splitlines()[-4:]]
            s = stats[g.mode]
            s["graphs"] += 1
            s[outcome] += 1
            if outcome == "fail":
                total_fail += 1
                if shown < 10 or a.verbose:
                    shown += 1
                    print("# FAIL %s graph %d (%s, %d values): %s" % (
                        dt, k, g.mode, len(g.vals), fails[0]))
                    for f in fails[1:4]:
                        print("#   " + f)
                    print("#   graph: " + g.text())
                    print("#   repro: %s oracle/graph_oracle.py --seed %d --graph %d --dtype %s "
                          "-v" % (sys.executable, seed, k, dt))
                    if not a.no_shrink:
                        h = shrink(lib, g, dt, fails[0])
                        if h is not None and len(h.vals) < len(g.vals):
                            path = os.path.abspath("graph-fail-%d-%d-%s.json" % (seed, k, dt))
                            with open(path, "w") as f:
                                f.write(graph_json(h, dt) + "\n")
                            print("#   shrunk to %d values: %s" % (len(h.vals), h.text()))
                            print("#   replay: %s oracle/graph_oracle.py --replay %s" % (
                                sys.executable, path))
                    sys.stdout.flush()
        for m in MODES:
            s = stats[m]
            n_test += 1
            print("%s %d - %s %s: %d graphs, %d compared, %d error-parity, %d known, %d failed" % (
                "ok" if s["fail"] == 0 else "not ok", n_test, dt, m, s["graphs"], s["compared"],
                s["parity"], s["known"], s["fail"]))
            sys.stdout.flush()
    for name, _ in KNOWN:
        print("# known divergence: %s: %d graphs" % (name, known.get(name, 0)))
    print("# %d failed graphs; %.1f s CPU" % (total_fail, time.process_time() - t0))
    print("1..%d" % n_test)
    return 0


if __name__ == "__main__":
    sys.exit(main())
