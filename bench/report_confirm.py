"""report_confirm.py: the report's second round for the 1-thread cases its verdicts hinge on.

The first round measures each case once per side, a group at a time, and trusts it when the
spread of its repetitions is small; a spread can be small while the machine was slower for one
side's whole group (another process, a frequency step), so a case can look 20-70% slower than
torch in one run and equal in the next. A ratio the verdicts depend on is therefore measured
again before it is judged: every 1-thread case whose first-round ratio against libtorch is above
SLOW (trusted or not: an untrusted one is then judged on the second round), and the cases of
the share targets (mm against raw sgemm, add/mul of 16M elements against the streaming add,
each with its limit case), in ROUNDS rounds of fresh processes, the sides interleaved (the first
side alternates per round), per-round ratios of median CPU time (steadier than wall time here;
at 1 thread the two agree). The median of the per-round ratios is the confirmed value; the
targets judge it instead of the first round's, and the report lists both.
"""
import re
import statistics

ROUNDS = 5
PROF = {"min_time": 0.05, "reps": 3}
SLOW = 1.10


def _escape(name):
    """name as a literal in Google Benchmark's regex (re.escape's "\\-" is no valid escape
    there: only the characters special in an extended regex get a backslash)."""
    return re.sub(r"([.\[\](){}*+?|^$\\])", r"\\\1", name)


def _regex(names):
    return "^(" + "|".join(_escape(n) for n in sorted(set(names))) + ")(/|$)"


def _cpu(res, name):
    r = res.get(name) or {}
    return r.get("cpu_median") if not r.get("error") else None


def share_cases(rows, cases):
    """[(row, limit case name, work ratio)] for the share targets at 1 thread: the row's time
    against the limit case's, scaled by case work / limit work (flops for mm, bytes for add)."""
    by_name = {c["name"]: c for c in cases}
    out = []
    for r in rows:
        if r["threads"] != 1:
            continue
        op, dt, variant, shape, th = r["name"].split("/")
        lim = None
        if op == "mm" and dt == "f32" and variant == "contig":
            n = int(shape.split("x")[0])
            if 256 <= n <= 2048:
                lim = f"limit.sgemm/f32/raw/{n}x{n}/{th}"
                work = "flops"
        elif op in ("add", "mul") and dt == "f32" and variant == "contig" and shape == "4096x4096":
            lim = next((c["name"] for c in cases if c["name"].startswith("limit.stream_add/")
                        and c["name"].endswith("/" + th)), None)
            work = "bytes"
        if lim and lim in by_name and by_name[lim][work] > 0:
            out.append((r, lim, r["case"][work] / by_name[lim][work]))
    return out


def slow_rows(rows):
    """1-thread rows whose first-round ratio against libtorch is above SLOW, trusted or not (an
    untrusted one is judged on its second round instead of being left out)."""
    return [r for r in rows if r["threads"] == 1 and r.get("ratio_cpp") and r["ratio_cpp"] > SLOW
            and not (r.get("l2") or {}).get("error")]


def confirm(rows, cases, run, l2bench, torchbench, env, commit, log):
    """Measure the slow rows and the share rows again (env: the 1-thread environment; run: the
    report's run_gbench). Sets row["confirm"] = {"ratio", "lo", "hi", "rounds"} (libl2 /
    libtorch) and row["confirm_share"] = {"share", "lo", "hi", "rounds"}. Returns the number of
    cases measured again."""
    slow = slow_rows(rows) if torchbench else []
    shares = share_cases(rows, cases)
    l2_names = [r["name"] for r in slow] + [r["name"] for r, _, _ in shares] + \
        [lim for _, lim, _ in shares]
    if not l2_names:
        return 0
    log(f"report: second round: {len(slow)} slow case(s), {len(shares)} share case(s), "
        f"{ROUNDS} interleaved rounds")
    rounds = []
    for i in range(ROUNDS):
        sides = [("l2", l2bench, l2_names)] + ([("cpp", torchbench, [r["name"] for r in slow])]
                                                if slow else [])
        if i % 2:
            sides.reverse()
        got = {}
        for key, binary, names in sides:
            got[key], _ = run(binary, env, _regex(names), PROF, "", commit, to_stdout=True)
        rounds.append(got)
    for r in slow:
        per = [a / b for a, b in ((_cpu(g["l2"], r["name"]), _cpu(g["cpp"], r["name"]))
                                  for g in rounds) if a and b]
        if per:
            r["confirm"] = {"ratio": statistics.median(per), "lo": min(per), "hi": max(per),
                            "rounds": len(per)}
    for r, lim, work in shares:
        per = [b / a * work for a, b in ((_cpu(g["l2"], r["name"]), _cpu(g["l2"], lim))
                                         for g in rounds) if a and b]
        if per:
            r["confirm_share"] = {"share": statistics.median(per), "lo": min(per),
                                  "hi": max(per), "rounds": len(per), "limit": lim}
    return len(slow) + len(shares)


def markdown(rows):
    """The report's "Second round" section (lines)."""
    sel = [r for r in rows if r.get("confirm") or r.get("confirm_share")]
    if not sel:
        return []
    L = ["## Second round: the cases the verdicts hinge on, measured again\n",
         f"1 thread; {ROUNDS} rounds of fresh processes, sides interleaved (the first side "
         "alternating), per-round ratio of median CPU time; the median of the rounds is the "
         "value the targets judge (bench/report_confirm.py).\n",
         "| case | first round | second round (lo-hi) | rounds |", "|---|---|---|---|"]
    for r in sel:
        name = r["name"].rsplit("/t:", 1)[0]
        if r.get("confirm"):
            c = r["confirm"]
            L.append(f"| {name} / libtorch | {r['ratio_cpp']:.2f} | {c['ratio']:.2f} "
                     f"({c['lo']:.2f}-{c['hi']:.2f}) | {c['rounds']} |")
        if r.get("confirm_share"):
            c = r["confirm_share"]
            first = f"{r['share']:.2f}" if r.get("share") else "-"
            L.append(f"| {name} share of {c['limit'].split('/')[0]} | {first} | "
                     f"{c['share']:.2f} ({c['lo']:.2f}-{c['hi']:.2f}) | {c['rounds']} |")
    L.append("")
    return L
