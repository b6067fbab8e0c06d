"""coverage.py: the op oracle's coverage table. Every compared case adds one case to a cell
op x dtype x side (forward/backward) x layout class x size class x thread count; a cell with fewer
than MIN_CASES cases counts as empty. run.py prints a compact summary, writes the whole table with
--coverage-out, and fails when a cell that the committed CI table (oracle/coverage-ci.txt) has
filled is empty now. Only cells matter here, not counts: fewer cases in a filled cell that still
has MIN_CASES is no failure.

Layout class of a case: that of its non-contiguous inputs when they all share one class,
"mixed" when they differ, "contiguous" when every input is. Size class: sizes.size_class(case)
when oracle/sizes.py exists, else the numel of the largest input (0-1, small < 65536,
mid < 262144, large).
"""
import os
from collections import Counter

try:
    import sizes as _sizes
except ImportError:
    _sizes = None

MIN_CASES = 3
THRESHOLDS = {}  # l2lib.Lib.thresholds() of the library under test (run.py sets it)
LAYOUTS = ["contiguous", "transposed", "permuted", "stepped", "offset", "nan_gap", "expanded",
           "mixed", "overlap"]
SCHEME = "sizes.py" if _sizes is not None else "numel (0-1, small < 65536, mid < 262144, large)"
HEADER = "# oracle coverage table"


def layout_class(case):
    ls = set(s.get("layout", "contiguous") for s in case["inputs"] if s is not None)
    ls.discard("contiguous")
    if not ls:
        return "contiguous"
    return ls.pop() if len(ls) == 1 else "mixed"


def _numel(s):
    n = 1
    for x in s["shape"]:
        n *= x
    return n


def size_class(case):
    if _sizes is not None:
        return _sizes.size_class(case, THRESHOLDS)
    n = max([_numel(s) for s in case["inputs"] if s is not None] or [0])
    if n <= 1:
        return "0-1"
    return "small" if n < 65536 else "mid" if n < 262144 else "large"


class Coverage:
    """Case counts per cell; keys (op, dtype, side, layout, size, threads)."""

    def __init__(self):
        self.cells = Counter()

    def add(self, case, side, threads):
        self.cells[(case["op"], case["dtype"], side, layout_class(case), size_class(case),
                    int(threads))] += 1

    # one op's cells travel from the worker to the supervisor as JSON lists
    def export(self, op):
        return [list(k[1:]) + [v] for k, v in sorted(self.cells.items()) if k[0] == op]

    def merge(self, op, rows):
        for r in rows:
            self.cells[(op,) + tuple(r[:-1])] += r[-1]

    def filled(self):
        return {k for k, v in self.cells.items() if v >= MIN_CASES}

    def expected(self, op):
        """The cells one would hope to fill for op: its dtypes x sides x layout classes x size
        classes x thread counts, each as seen anywhere for op in this table."""
        ks = [k for k in self.cells if k[0] == op]
        dims = [set(k[i] for k in ks) for i in (1, 2, 4, 5)]
        n = len(LAYOUTS)
        for d in dims:
            n *= len(d)
        return n

    def summary(self, width=100):
        """Compact lines: per op filled/expected cells, then the totals."""
        ops = sorted(set(k[0] for k in self.cells))
        filled = self.filled()
        items = []
        tot_f = tot_e = 0
        for op in ops:
            f = sum(1 for k in filled if k[0] == op)
            e = self.expected(op)
            tot_f, tot_e = tot_f + f, tot_e + e
            items.append("%s %d/%d" % (op[3:] if op.startswith("l2_") else op, f, e))
        lines, cur = [], "# coverage:"
        for it in items:
            if len(cur) + len(it) + 2 > width:
                lines.append(cur)
                cur = "# coverage:"
            cur += " " + it + ","
        if items:
            lines.append(cur.rstrip(","))
        thin = sum(1 for v in self.cells.values() if v < MIN_CASES)
        lines.append("# coverage totals: %d cells filled (>= %d cases) of %d expected (%.1f%%), "
                     "%d cells with 1-%d cases, %d case runs, %d ops" % (
                         tot_f, MIN_CASES, tot_e, 100.0 * tot_f / max(tot_e, 1), thin,
                         MIN_CASES - 1, sum(self.cells.values()), len(ops)))
        return lines

    def write(self, path, config):
        """One line per op x dtype x side x layout x size, the case counts per thread count in
        columns, sorted."""
        threads = sorted(set(k[5] for k in self.cells))
        rows = {}
        for k, v in self.cells.items():
            rows.setdefault(k[:5], {})[k[5]] = v
        with open(path, "w") as fh:
            fh.write("%s: %s\n" % (HEADER, config))
            fh.write("# size classes: %s\n" % SCHEME)
            fh.write("# a cell with fewer than %d cases counts as empty; regenerate with "
                     "make oracle-coverage\n" % MIN_CASES)
            fh.write("# op dtype side layout size, then cases at threads: %s\n" %
                     " ".join(map(str, threads)))
            for k in sorted(rows):
                fh.write("%s %s %s %s %s %s\n" % (k + (" ".join(
                    str(rows[k].get(t, 0)) for t in threads),)))


def read(path):
    """(config, scheme, Coverage) of a table written by Coverage.write."""
    cov = Coverage()
    config = scheme = None
    threads = []
    with open(path) as fh:
        for line in fh:
            if line.startswith(HEADER + ": "):
                config = line[len(HEADER) + 2:].strip()
            elif line.startswith("# size classes: "):
                scheme = line[len("# size classes: "):].strip()
            elif line.startswith("# op ") and "threads:" in line:
                threads = [int(x) for x in line.split("threads:")[1].split()]
            elif line.strip() and not line.startswith("#"):
                f = line.split()
                for t, n in zip(threads, f[5:]):
                    if int(n):
                        cov.cells[(f[0], f[1], f[2], f[3], f[4], t)] = int(n)
    return config, scheme, cov


def project(cells):
    """Cells with the layout class merged: (op, dtype, side, size, threads) -> cases."""
    out = Counter()
    for k, v in cells.items():
        out[k[:3] + k[4:]] += v
    return out


def check(path, cov, config):
    """Compare cov with the committed table at path: (ok, one-line message, detail lines). A
    cell filled there and empty here fails; the check is skipped when this run's configuration
    (profile, seed, budget, threads, ops) is not the committed table's."""
    if not os.path.exists(path):
        return True, "# SKIP no committed table %s (make oracle-coverage)" % path, []
    old_config, scheme, old = read(path)
    if old_config != config:
        return True, "# SKIP this run (%s) is not the committed table's (%s)" % (
            config, old_config), []
    if scheme != SCHEME:
        return False, "the committed table's size classes (%s) are not this oracle's (%s): " \
            "regenerate it with make oracle-coverage" % (scheme, SCHEME), []
    now = cov.filled()
    lost = sorted(k for k in old.filled() if k not in now)
    # the same, layouts merged: op x dtype x side x size class x threads (the sized cases, a few
    # per threshold class and op, spread over the layouts: their cells are these)
    pnow, pold = project(cov.cells), project(old.cells)
    plost = sorted(k for k, v in pold.items() if v >= MIN_CASES and pnow.get(k, 0) < MIN_CASES)
    lost += [k[:3] + ("any",) + k[3:] for k in plost]
    cells = lambda c: sum(1 for v in c.values() if v >= MIN_CASES)  # noqa: E731
    if not lost:
        return True, "%d cells filled, all %d cells filled in %s still are; layouts merged: " \
            "%d filled, all %d committed still are" % (
                len(now), len(old.filled()), os.path.basename(path), cells(pnow),
                cells(pold)), []
    allc = dict(cov.cells)
    allc.update({k[:3] + ("any",) + k[3:]: v for k, v in pnow.items()})
    oldc = dict(old.cells)
    oldc.update({k[:3] + ("any",) + k[3:]: v for k, v in pold.items()})
    detail = ["#   now empty: %s %s %s %s %s threads %d: %d cases (committed: %d)" % (
        k + (allc.get(k, 0), oldc[k])) for k in lost[:20]]
    if len(lost) > 20:
        detail.append("#   ... and %d more" % (len(lost) - 20))
    return False, "%d cells filled in %s are empty now (fewer than %d cases)" % (
        len(lost), os.path.basename(path), MIN_CASES), detail
