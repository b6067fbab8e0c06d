"""report_plots.py: the plots of bench/report.py (ratios.png, sizes.png, history.png) and the
steps in the per-machine history; split from report.py to keep each file short."""
import math
import os
import re
import statistics


def log(msg):
    print(msg, flush=True)


def shape_key(name):
    """The first size of a case (for plotting against size)."""
    parts = name.split("/")
    nums = [int(x) for x in re.findall(r"\d+", parts[3])]
    total = 1
    for x in nums[:2]:
        total *= x
    return total


def plots(rows, outdir, history, title):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        log(f"report: no plots ({e}); install python3-matplotlib")
        return []
    files = []

    # 1. Every ratio, slowest first.
    both = [r for r in rows if r.get("ratio")]
    if both:
        both = sorted(both, key=lambda r: -r["ratio"])
        h = max(4, 0.16 * len(both) + 1)
        fig, ax = plt.subplots(figsize=(9, h))
        colors = ["tab:red" if r["ratio"] > 1 else "tab:green" for r in both]
        ax.barh(range(len(both)), [r["ratio"] for r in both], color=colors)
        ax.set_yticks(range(len(both)))
        ax.set_yticklabels([r["name"] for r in both], fontsize=6)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.axvline(1.0, color="black", lw=0.8)
        ax.set_xlabel("libl2 time / torch time (log; < 1: libl2 faster)")
        ax.set_title(title)
        fig.tight_layout()
        fig.savefig(os.path.join(outdir, "ratios.png"), dpi=110)
        plt.close(fig)
        files.append("ratios.png")

    # 2. Ratio against size: one panel per op, one line per variant, dtype and thread count.
    series = {}
    for r in rows:
        if r.get("ratio") is None:
            continue
        op, dt, variant, _, th = r["name"].split("/")
        series.setdefault(op, {}).setdefault(f"{variant}/{dt}/{th}", []).append(r)
    panels = {op: v for op, v in series.items() if any(len(rs) > 1 for rs in v.values())}
    if panels:
        cols = 5
        nrows = (len(panels) + cols - 1) // cols
        fig, axes = plt.subplots(nrows, cols, figsize=(3.2 * cols, 2.6 * nrows), squeeze=False)
        for ax, (op, lines) in zip(axes.flat, panels.items()):
            for label, rs in sorted(lines.items()):
                rs = sorted(rs, key=lambda r: shape_key(r["name"]))
                style = "-" if label.endswith("t:1") else "--"
                ax.plot([shape_key(r["name"]) for r in rs], [r["ratio"] for r in rs], style,
                        marker="o", ms=3, lw=1, label=label)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.axhline(1.0, color="black", lw=0.6)
            ax.set_title(op, fontsize=9)
            ax.tick_params(labelsize=6)
            ax.legend(fontsize=5)
        for ax in list(axes.flat)[len(panels):]:
            ax.axis("off")
        fig.suptitle("libl2 time / torch time against elements (solid: 1 thread, dashed: more)")
        fig.tight_layout()
        fig.savefig(os.path.join(outdir, "sizes.png"), dpi=100)
        plt.close(fig)
        files.append("sizes.png")

    # 3. History: each case's ratio over the recorded runs on this machine.
    if history:
        fig, ax = plt.subplots(figsize=(9, 5))
        names = sorted({n for rec in history for n in rec["cases"]})
        xs = list(range(len(history)))
        for n in names:
            ys = [rec["cases"].get(n, {}).get("ratio") for rec in history]
            ax.plot(xs, [y if y else float("nan") for y in ys], lw=0.6, alpha=0.5, marker=".")
        gm = [rec.get("geomean_ratio") or float("nan") for rec in history]
        ax.plot(xs, gm, lw=2.5, color="black", marker="o", label="geometric mean")
        ax.set_xticks(xs)
        ax.set_xticklabels([rec["commit"][:8] + ("+" if rec.get("dirty") else "")
                            for rec in history], rotation=45, fontsize=7)
        ax.set_yscale("log")
        ax.axhline(1.0, color="grey", lw=0.8)
        ax.set_ylabel("libl2 time / torch time")
        ax.set_title(f"Ratio per case over commits ({len(names)} cases, {len(history)} runs)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(os.path.join(outdir, "history.png"), dpi=110)
        plt.close(fig)
        files.append("history.png")
    return files


def history_steps(history, window=5, threshold=0.05):
    """Cases whose latest ratio differs from the rolling median of the previous `window` records
    by more than threshold: [(case, median before, latest)]."""
    if len(history) < 2:
        return []
    steps = []
    last = history[-1]["cases"]
    for name, cur in last.items():
        prev = [rec["cases"][name]["ratio"] for rec in history[-1 - window:-1]
                if rec["cases"].get(name, {}).get("ratio")]
        if len(prev) >= 3 and cur.get("ratio"):
            med = statistics.median(prev)
            if abs(cur["ratio"] / med - 1) > threshold:
                steps.append((name, med, cur["ratio"]))
    return sorted(steps, key=lambda s: -abs(math.log(s[2] / s[1])))
