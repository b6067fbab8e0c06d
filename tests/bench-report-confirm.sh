#!/bin/sh
# bench-report-confirm.sh: the bench report's second round (bench/report_confirm.py) on made-up
# first-round rows and a fake benchmark runner (no binary is run, no time is measured). Checks
# which cases it measures again (1 thread, first-round ratio above SLOW = 1.10, trusted or not;
# not at 1.10, not at 2 threads), the confirmed values (median of the rounds: a slow case
# confirmed, one refuted, a noisy round dropped by the median, a failed round left out) and how
# report_targets.py judges them. TAP; SKIP without Python.
py=${PYTHON_TORCH:-python3}
if ! "$py" -c 'import statistics' >/dev/null 2>&1; then
    echo "1..0 # SKIP no Python"
    exit 0
fi
exec "$py" - "${L2_SRCDIR:-.}/bench" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import report_confirm as rc
import report_targets as rt

n = 0


def ok(cond, what):
    global n
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, what))


def row(name, th, ratio, trusted=True):
    return {"name": "%s/t:%d" % (name, th), "threads": th, "ratio_cpp": ratio,
            "why": {"cpp": [] if trusted else ["spread"], "py": None},
            "l2": {"median": 1.0}}


rows = [row("a/f32/contig/64", 1, 1.30),         # slow, stays slow: confirmed
        row("b/f32/contig/64", 1, 1.40),         # slow in round 1 only: refuted
        row("c/f32/contig/64", 1, 1.15, False),  # untrusted, just above SLOW: measured,
                                                   # one noisy round (3.0) and one failed one
        row("d/f32/contig/64", 1, 1.10),         # at SLOW: not measured again
        row("e/f32/contig/64", 2, 1.60)]         # 2 threads: not measured again
# per round: libl2's and libtorch's median CPU time per case (None: that case failed)
L2 = {"a": [1.3, 1.2, 1.25, 1.3, 1.2], "b": [1.0, 1.02, 0.98, 1.0, 1.01],
      "c": [1.0, 3.0, None, 1.01, 0.99]}
CPP = {"a": [1.0] * 5, "b": [1.0] * 5, "c": [1.0] * 5}
calls = {"l2": 0, "cpp": 0}
asked = {"l2": set(), "cpp": set()}


def fake_run(binary, env, regex, prof, extra, commit, to_stdout=False):
    """report.run_gbench's interface: (results by case name, raw)."""
    side, table = ("l2", L2) if binary == "L2BENCH" else ("cpp", CPP)
    k = calls[side]
    calls[side] += 1
    res = {}
    for r in rows:
        short = r["name"].split("/")[0]
        if rc.re.match(regex, r["name"]):
            asked[side].add(short)
            v = table.get(short, [1.0] * 5)[k]
            res[r["name"]] = {"cpu_median": v} if v is not None else {"error": "failed"}
    return res, None


got = rc.confirm(rows, [], fake_run, "L2BENCH", "TORCHBENCH", {}, "commit", lambda m: None)
by = {r["name"].split("/")[0]: r for r in rows}
ok(got == 3 and asked["l2"] == {"a", "b", "c"} and asked["cpp"] == {"a", "b", "c"},
   "measured again: the 1-thread cases above %.2f (a 1.30, b 1.40, c 1.15 untrusted), not d "
   "(1.10) or e (2 threads): %d cases, l2 %s, torch %s" % (rc.SLOW, got, sorted(asked["l2"]),
                                                          sorted(asked["cpp"])))
ok(calls == {"l2": rc.ROUNDS, "cpp": rc.ROUNDS}, "%d rounds per side (%s)" % (rc.ROUNDS, calls))
ca = by["a"].get("confirm") or {}
ok(ca.get("ratio") == 1.25 and ca.get("rounds") == 5 and ca["ratio"] > rc.SLOW,
   "a confirmed slow: median of the rounds 1.25 > %.2f (%s)" % (rc.SLOW, ca))
cb = by["b"].get("confirm") or {}
ok(cb.get("ratio") == 1.0 and cb.get("lo") == 0.98 and cb.get("hi") == 1.02,
   "b refuted: first round 1.40, second 1.00 (0.98-1.02) (%s)" % cb)
cc = by["c"].get("confirm") or {}
ok(cc.get("rounds") == 4 and cc.get("ratio") == 1.005 and cc.get("hi") == 3.0,
   "c: the failed round left out (4 rounds), the noisy one (3.0) dropped by the median: 1.005 "
   "(%s)" % cc)
ok("confirm" not in by["d"] and "confirm" not in by["e"], "d and e keep their first round")
# the targets judge the second round: a stays an exception, b and c are cleared
ok(rt._ref(by["a"])[0] == 1.25 and rt._ref(by["b"])[0] == 1.0 and rt._ref(by["d"])[0] == 1.10,
   "report_targets judges the confirmed ratio where there is one (a 1.25, b 1.00, d 1.10)")
tg = rt.targets(rows, {1: {"cpp": None, "py": None}}, [], {}, {"error": "x"}, [1], "quick")
line = next((t for t in tg if t["target"].startswith("No op-class case slower")), None)
ok(line is not None and line["value"] == "1 of 4 trusted cases above 1.10" and
   "2 first-round exceptions at or below 1.10 in the second round" in line["note"],
   "the op-class target: 1 case above 1.10 (a) of 4 judged (c, untrusted in round 1, judged "
   "on its second), b and c cleared by their second round (%s)" %
   ((line and (line["value"], line["note"][:120])),))
md = rc.markdown(rows)
ok(len(md) == 8 and "| a/f32/contig/64 / libtorch | 1.30 | 1.25 (1.20-1.30) | 5 |" in md,
   "the report's second-round table: 3 rows (%d lines)" % len(md))
ok(rc._regex(["x.y/f32/(a)/t:1"]) == r"^(x\.y/f32/\(a\)/t:1)(/|$)",
   "case names escaped for Google Benchmark's regex")
print("1..%d" % n)
PY
