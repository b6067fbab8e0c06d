"""report_targets.py: issue 12's targets for bench/report.py: the training steps' limits (raw
sgemm at every GEMM shape of the step plus the streaming time of its SGD update, measured in the
same run as limit.step_gemm / limit.step_update), the resident-memory check (l2bench --l2_rss),
one PASS/FAIL line per target, and the history's rules version (which records compare)."""
import json
import os
import re
import subprocess

# The rules a history record was made under. Records of different rules do not compare:
#   1: threads not pinned per side, glibc's dynamic malloc thresholds, OpenMP spinning (the
#      records of 2026-11-25; they carry no "headlines").
#   2: one process set per thread count with OPENBLAS/OMP threads pinned, OMP_WAIT_POLICY=PASSIVE,
#      malloc thresholds fixed (32/64 MiB), trusted cases only in the headlines.
RULES = 2
RULES_NOTE = {1: "threads unpinned, dynamic malloc thresholds",
              2: "threads pinned per process set, PASSIVE waits, fixed malloc thresholds"}

STEPS = {"mlp": "mlp_step/f32/sgd/64x784-256-10", "cnn": "cnn_step/f32/sgd/64x1x28x28-16-32-10"}
# Resident memory: run the MLP step this many steps (untimed); flat = growth within RSS_SLACK_KIB.
RSS_STEPS = (1000, 10000)
RSS_SLACK_KIB = 1024


def rules_of(rec):
    """A history record's rules version; records from before the field existed are inferred
    (rules 2 records were the first to carry per-thread "headlines")."""
    return rec.get("rules") or (2 if "headlines" in rec else 1)


def comparable(history, record):
    """The records that compare with `record`: same rules, profile and thread counts."""
    return [h for h in history if rules_of(h) == rules_of(record)
            and h.get("profile") == record.get("profile")
            and h.get("threads") == record.get("threads")]


def add_record_fields(record, tgts, rss, lim_steps, seconds):
    """The history record's fields for issue 12: rules version, targets, resident memory, step
    limits (wall and CPU seconds per thread count) and the report's own duration."""
    record.update({"rules": RULES, "targets": tgts, "rss": rss, "report_seconds": round(seconds),
                   "step_limits": {f"{m}/t:{th}": {"time": v["time"], "cpu": v["cpu"]}
                                   for (m, th), v in lim_steps.items()}})
    return record


def step_limits(limit_times, threads, limit_cpu=None):
    """{(model, threads): {"time": s, "cpu": s or None, "parts": [(name, s)]}}: the sum of the
    step's raw GEMMs and its update, from the wall (and CPU) medians of the limit.step_* cases;
    absent if a part is missing."""
    out = {}
    for model in STEPS:
        for th in threads:
            parts = sorted((k, v) for k, v in limit_times.items()
                           if k.startswith(("limit.step_gemm/f32/" + model + ".",
                                            "limit.step_update/f32/" + model + "."))
                           and k.endswith(f"/t:{th}"))
            gemms = [p for p in parts if p[0].startswith("limit.step_gemm/")]
            if gemms and len(gemms) < len(parts) and all(v for _, v in parts):
                cpu = [(limit_cpu or {}).get(k) for k, _ in parts]
                out[(model, th)] = {"time": sum(v for _, v in parts), "parts": parts,
                                    "cpu": sum(cpu) if all(cpu) else None}
    return out


def measure_rss(l2bench, env, log, steps=RSS_STEPS):
    """Resident memory of the MLP step after steps[0] and steps[1] steps (one thread, untimed):
    the dict l2bench --l2_rss prints, or {"error": ...}."""
    cmd = [l2bench, f"--l2_rss=mlp,{steps[0]},{steps[1]}"]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        return {"error": (p.stderr.strip() or f"status {p.returncode}")[-200:]}
    try:
        r = json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": "no JSON from l2bench --l2_rss"}
    log(f"  rss: {r['model']}: {r['rss_kib']} KiB resident (peak {r['maxrss_kib']}) after "
        f"{r['steps']} steps, {r['seconds']:.1f} s")
    return r


def _row(rows, name, th):
    return next((r for r in rows if r["name"] == f"{name}/t:{th}"), None)


def _ref(row):
    """The torch column a target compares with: libtorch when measured (its second-round value
    when the case was measured again: report_confirm.py), else torch-py."""
    if row and row.get("confirm") and row.get("ratio_cpp"):
        return row["confirm"]["ratio"], "libtorch", True
    for col, label in (("cpp", "libtorch"), ("py", "torch-py")):
        if row and row.get("ratio_" + col):
            return row["ratio_" + col], label, row["why"][col] == []
    return None, None, False


def known_exceptions(path=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                        "exceptions.txt")):
    """[(regex, reason)] from bench/exceptions.txt: one "regex<TAB>reason" per line, the regex
    matched against a case name without its "/t:N"; # starts a comment."""
    out = []
    try:
        with open(path) as f:
            for line in f:
                if line.strip() and not line.startswith("#"):
                    pat, _, reason = line.rstrip("\n").partition("\t")
                    out.append((pat, reason.strip()))
    except OSError:
        pass
    return out


def _share(row):
    """A row's share of its limit: the second round's when measured again."""
    if row and row.get("confirm_share"):
        return row["confirm_share"]["share"]
    return row.get("share") if row else None


def _line(target, value, goal, ok, trusted=True, note=""):
    verdict = "NOT MEASURED" if ok is None else ("PASS" if ok else "FAIL")
    if ok is not None and not trusted:
        verdict += " (untrusted)"
    return {"target": target, "value": value, "goal": goal, "verdict": verdict, "note": note}


def targets(rows, heads, train, limits_by_step, rss, threads, profile, max_load=None):
    """One dict per target of issue 12: target, value (text), goal, verdict, note."""
    T = []
    for model, goal_torch in (("mlp", 0.9), ("cnn", 0.6)):
        row = _row(rows, STEPS[model], 1)
        lim = limits_by_step.get((model, 1))
        l2t = row["l2"].get("median") if row else None
        ok_trust = bool(row) and row["why"]["py"] in ([], None) and \
            row["why"]["cpp"] in ([], None)
        if model == "mlp":
            v = l2t / lim["time"] if l2t and lim else None
            cpu = row["l2"].get("cpu_median") if row else None
            vc = cpu / lim["cpu"] if cpu and lim and lim.get("cpu") else None
            T.append(_line("MLP step within 10% of its limit (step time / limit time)",
                           f"{v:.2f}" if v else "-", "<= 1.10",
                           None if v is None else v <= 1.10, ok_trust,
                           (f"limit {lim['time'] * 1e3:.3f} ms" if lim else "no limit measured")
                           + (f"; in CPU time {vc:.2f}" if vc else "")))
        ratio, col, tr = _ref(row)
        T.append(_line(f"{model.upper()} step time / torch", f"{ratio:.2f}" if ratio else "-",
                       f"<= {goal_torch}", None if ratio is None else ratio <= goal_torch, tr,
                       f"against {col}" if col else ""))
    one = [r for r in rows if r["threads"] == 1]
    judged, slow, slow_untrusted, col_used, cleared = 0, [], 0, set(), 0
    for r in one:
        ratio, col, tr = _ref(r)
        if ratio is None:
            continue
        if not tr:
            slow_untrusted += ratio > 1.10
            continue
        judged += 1
        col_used.add(col)
        cleared += bool(r.get("confirm")) and ratio <= 1.10
        if ratio > 1.10:
            slow.append((ratio, r["name"].rsplit("/t:", 1)[0]))
    slow.sort(reverse=True)
    reasons = known_exceptions()
    why = [(x, n, next((t for pat, t in reasons if re.search(pat, n)), None)) for x, n in slow]
    # A verdict over fewer than half the cases is marked untrusted; every exception must have
    # its reason in bench/exceptions.txt (the "any exception listed with its reason").
    T.append(_line("No op-class case slower than torch by more than 10%",
                   f"{len(slow)} of {judged} trusted cases above 1.10", "0 above 1.10, or "
                   "each exception's reason in bench/exceptions.txt",
                   None if not judged else all(w for _, _, w in why), 2 * judged >= len(one),
                   f"against {'/'.join(sorted(col_used))}; {cleared} first-round exceptions "
                   "at or below 1.10 in the second round; "
                   f"{slow_untrusted} untrusted cases "
                   "above 1.10 not judged; exceptions: "
                   + ("; ".join(f"{n} {x:.2f} ({w or 'NO REASON RECORDED'})"
                                for x, n, w in why) if why else "none")))
    for th in threads:
        h = heads.get(th, {}).get("cpp")
        T.append(_line(f"Geometric mean vs libtorch at {th} thread(s)",
                       f"{h[0]:.3f} ({h[1]} trusted of {h[2]})" if h and h[0] else "-",
                       "<= 0.8", None if not (h and h[0]) else h[0] <= 0.8,
                       bool(h) and 2 * h[1] >= h[2],
                       "" if h else "libtorch not measured (bench/torchbench not built)"))
    for op in ("add", "mul"):
        row = _row(rows, f"{op}/f32/contig/4096x4096", 1)
        share = _share(row)
        T.append(_line(f"{op} of 16M elements into a fresh output, share of the streaming limit",
                       f"{100 * share:.0f}%" if share else "-", ">= 60%",
                       None if share is None else share >= 0.6,
                       bool(row) and (bool(row.get("confirm_share"))
                                      or row["why"]["py"] in ([], None)),
                       "second round" if row and row.get("confirm_share") else ""))
    mms = sorted((int(r["name"].split("/")[3].split("x")[0]), r) for r in one
                 if r["name"].startswith("mm/f32/contig/"))
    mms = [(n, r) for n, r in mms if 256 <= n <= 2048 and _share(r)]
    worst = min(mms, key=lambda x: _share(x[1])) if mms else None
    T.append(_line("mm at >= 0.97 of raw sgemm from 256 to 2048 (lowest share)",
                   f"{_share(worst[1]):.2f} at {worst[0]}" if worst else "-", ">= 0.97",
                   None if not worst else _share(worst[1]) >= 0.97,
                   all(r.get("confirm_share") or r["why"]["py"] in ([], None) for _, r in mms),
                   f"{profile} profile measured sizes {', '.join(str(n) for n, _ in mms)}"
                   + ("" if any(n == 2048 for n, _ in mms) else "; 2048 only in the full "
                      "profile")))
    ok_train = train and not train[0].get("error")
    for model, goal1 in (("mlp", 1.1), ("cnn", 1.5)):
        for th in threads:
            t = next((x for x in train if x.get("model") == model and x.get("threads") == th),
                     None) if ok_train else None
            goal = goal1 if th == 1 else 1.0
            v = t["l2_eps"] / t["torch_eps"] if t and t["torch_eps"] else None
            tr = bool(t) and t["l2_spread"] <= 0.25 and t["torch_spread"] <= 0.25 and \
                not (th > 1 and max_load is not None and t.get("load", 0) > max_load)
            T.append(_line(f"Fashion-MNIST {model.upper()} trainer at {th} thread(s): "
                           "libl2 / torch examples/s", f"{v:.2f}x" if v else "-",
                           f">= {goal}x", None if v is None else v >= goal, tr))
    if rss and not rss.get("error"):
        grow = rss["rss_kib"][1] - rss["rss_kib"][0]
        grow_peak = rss["maxrss_kib"][1] - rss["maxrss_kib"][0]
        T.append(_line(f"Resident memory flat over {rss['steps'][1]} steps",
                       f"{grow:+d} KiB resident, {grow_peak:+d} KiB peak from step "
                       f"{rss['steps'][0]} to {rss['steps'][1]}",
                       f"growth <= {RSS_SLACK_KIB} KiB",
                       max(grow, grow_peak) <= RSS_SLACK_KIB, True,
                       f"{rss['model']}, {rss['threads']} thread, {rss['rss_kib'][1]} KiB at the "
                       f"end, {rss['seconds']:.0f} s untimed"))
    else:
        T.append(_line("Resident memory flat over 10000 steps", "-",
                       f"growth <= {RSS_SLACK_KIB} KiB", None, True,
                       (rss or {}).get("error", "not run (--no-rss)")))
    return T


def markdown(rows, limits_by_step, limit_times, targets_list, threads):
    """The report's "Targets" and "Training steps against their limits" sections (lines)."""
    L = ["## Targets (issue 12)\n",
         "At 1 thread unless the line says; judged on trusted results (a verdict on an "
         "untrusted one says so).\n",
         "| target | measured | goal | verdict | note |", "|---|---|---|---|---|"]
    for t in targets_list:
        L.append(f"| {t['target']} | {t['value']} | {t['goal']} | **{t['verdict']}** | "
                 f"{t['note']} |")
    L.append("")
    L.append("## Training steps against their limits\n")
    L.append("Limit: raw OpenBLAS sgemm at each of the step's GEMM shapes (the CNN's convolutions "
             "as im2col GEMMs over the whole batch) plus the streaming time of its SGD update "
             "(read p and g, write p), medians measured in this run (limit.step_gemm, "
             "limit.step_update). Share = limit time / step time (1 = at the limit).\n")
    L.append("| step | threads | limit | libl2 | libtorch | torch-py | libl2 share "
             "| libtorch share | torch-py share | CPU time: limit, libl2 share |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    for model, name in STEPS.items():
        for th in threads:
            lim = limits_by_step.get((model, th))
            row = _row(rows, name, th)
            if not lim or not row:
                continue
            times = [row[k].get("median") if row.get(k) else None for k in ("l2", "cpp", "py")]
            cells = [f"{x * 1e3:.3f} ms" if x else "-" for x in times]
            shares = [f"{lim['time'] / x:.2f}" if x else "-" for x in times]
            cpu = row["l2"].get("cpu_median")
            cpu_cell = (f"{lim['cpu'] * 1e3:.3f} ms, {lim['cpu'] / cpu:.2f}"
                        if cpu and lim.get("cpu") else "-")
            L.append(f"| {model} | {th} | {lim['time'] * 1e3:.3f} ms | " + " | ".join(cells)
                     + " | " + " | ".join(shares) + f" | {cpu_cell} |")
    L.append("")
    parts = sorted((k, v) for k, v in limit_times.items() if k.startswith("limit.step_"))
    if parts:
        L.append("Parts of the limits (median per call):\n")
        L.append("| part | threads | time |")
        L.append("|---|---|---|")
        for k, v in parts:
            base, th = k.rsplit("/t:", 1)
            L.append(f"| {base.split('/', 2)[2]} | {th} | {v * 1e6:.1f} us |")
        L.append("")
    return L
