"""Before/after benchmark runs: run them interleaved, compare the medians.

Issue 9 asks that the page-flip and keypress benchmarks stay within 10 %
(median of 3 interleaved runs before and after). Two commands:

``run``: run benchmarks (full mode unless ``--quick``) in one or more source
trees, interleaved: for each round, each benchmark, each tree (the order of
the trees alternates between rounds so drift in the machine's load does not
favour one side). Each run is ``python bench/run.py NAME --json`` in that
tree, with that tree first on ``PYTHONPATH`` and as the working directory
(the GL window, ``python -m render``, is imported from the working
directory); the output goes to ``OUT/bench_<label>_<round>_<name>.json``,
and the tree the run really imported is checked::

    .venv/bin/python bench/compare_runs.py run --tree baseline=/tmp/baseline \\
        --tree after=/work/main --runs 3 pageflip tui

``compare``: read such files and print, per benchmark, row and metric, the
median over the runs of each side, side by side with the change in %::

    .venv/bin/python bench/compare_runs.py compare \\
        --before /tmp/bench_baseline_*_pageflip.json /tmp/bench_baseline_*_tui.json \\
        --after /tmp/bench_after_*_pageflip.json /tmp/bench_after_*_tui.json

A file may hold several benchmarks (``bench/run.py a b --json``). Rows are
matched by their text fields (``case``, ``path`` ...); counts (``n``,
``labels`` ...) are not compared. ``!`` marks a time (``*_ms``, ``*_s``) more
than ``--limit`` % (default 10) slower after.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Numeric fields that are counts or settings, not measurements.
NOT_MEASURED = {"n", "gl_n", "runs", "calls", "labels", "intervals", "target_p95_ms", "over_s", "flips", "frames",
                "samples", "events", "cells", "px", "hours", "channels", "fs", "keyframes", "queries", "pages",
                "edits", "bytes", "units"}


# ------------------------------------------------------------------ reading
FIGURE = re.compile(r"^\s*[-+\d.,]+\s*->\s*[-+\d.,]+\s*$")


def row_key(row: dict) -> tuple:
    """What a row is about: its text fields, except texts that are figures (``"149 -> 151"``)."""
    return tuple((k, v) for k, v in row.items() if isinstance(v, str) and not FIGURE.match(v))


def label(key: tuple) -> str:
    return ", ".join(str(v) for _, v in key) or "(row)"


def metrics(row: dict) -> dict[str, float]:
    return {k: float(v) for k, v in row.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in NOT_MEASURED}


def read(files: list[str]) -> tuple[dict, list[dict]]:
    """{(bench, row key, metric): [value per file]} and the files' run info, in file order."""
    values: dict[tuple, list[float]] = {}
    info = []
    for f in files:
        d = json.loads(Path(f).read_text())
        for name, res in d.get("benchmarks", {}).items():
            info.append({"file": f, "bench": name, "source": d.get("source", {}), "quick": d.get("quick"),
                         "started": d.get("started"), "wall_s": res.get("wall_s"),
                         "load": res.get("loadavg_before"), "load_after": res.get("loadavg_after")})
            for row in res.get("results", []):
                k = row_key(row)
                for m, v in metrics(row).items():
                    values.setdefault((name, k, m), []).append(v)
    return values, info


def median(vs: list[float]) -> float:
    vs = [v for v in vs if not math.isnan(v)]
    return statistics.median(vs) if vs else float("nan")


def fmt(v: float) -> str:
    if math.isnan(v):
        return "-"
    return f"{v:.4g}"


def compare(before: list[str], after: list[str], limit: float = 10.0, out=sys.stdout) -> int:
    """Print the table; returns how many times got more than ``limit`` % slower."""
    b, binfo = read(before)
    a, ainfo = read(after) if after else ({}, [])
    for side, info in (("before", binfo), ("after", ainfo)):
        for i in info:
            src = i["source"]
            load = i["load"] or []
            print(f"# {side}: {i['file']}: {i['bench']} from {src.get('package', '?')} @ {src.get('commit', '?')}"
                  f"{' (quick)' if i['quick'] else ''}, {i['started']}, {i['wall_s']} s, load average "
                  f"{' '.join(f'{x:.2f}' for x in load[:1])} -> "
                  f"{' '.join(f'{x:.2f}' for x in (i['load_after'] or [])[:1])}", file=out)
    pkgs = {i["source"].get("package") for i in binfo} & {i["source"].get("package") for i in ainfo}
    if pkgs and not ({(i["source"].get("package"), i["source"].get("commit")) for i in binfo}
                     - {(i["source"].get("package"), i["source"].get("commit")) for i in ainfo}):
        print(f"# WARNING: before and after imported the same tree ({', '.join(map(str, pkgs))})", file=out)
    keys = list(b) + [k for k in a if k not in b]
    worse = 0
    bench = row = None
    w = 44
    print(f"\n{'metric':<{w}} {'before':>10} {'after':>10} {'change':>8}   (median of runs: before n, after n)",
          file=out)
    for key in keys:
        name, rk, m = key
        if name != bench:
            bench, row = name, None
            print(f"== {name}", file=out)
        if rk != row:
            row = rk
            print(f"  {label(rk)}", file=out)
        vb, va = b.get(key, []), a.get(key, [])
        mb, ma = median(vb), median(va)
        change = (ma - mb) / mb * 100 if vb and va and mb not in (0.0,) and not math.isnan(mb) else float("nan")
        timed = m.endswith("_ms") or m.endswith("_s") or m.endswith("_us")
        flag = "!" if timed and not math.isnan(change) and change > limit else ""
        worse += bool(flag)
        ch = f"{change:+.1f} %" if not math.isnan(change) else ""
        print(f"    {m:<{w - 4}} {fmt(mb):>10} {fmt(ma) if va else '':>10} {ch:>8} {flag:1}  ({len(vb)}, {len(va)})",
              file=out)
    if after:
        print(f"\n{worse} time(s) more than {limit:g} % slower after (marked !)", file=out)
    return worse


# ------------------------------------------------------------------ running
def run(trees: list[tuple[str, Path]], names: list[str], rounds: int, out_dir: Path, quick: bool,
        python: str) -> list[Path]:
    """Interleaved runs; returns the files written."""
    written = []
    out_dir.mkdir(parents=True, exist_ok=True)
    for r in range(1, rounds + 1):
        order = trees if r % 2 else trees[::-1]
        for name in names:
            for lab, tree in order:
                dest = out_dir / f"bench_{lab}_{r}_{name}.json"
                env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tree)] + (
                    [os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])))
                cmd = [python, str(tree / "bench" / "run.py"), name, "--json"] + (["--quick"] if quick else [])
                load = os.getloadavg()[0]
                print(f"[{time.strftime('%H:%M:%S')}] round {r}: {name} in {lab} ({tree}), load average "
                      f"{load:.2f} -> {dest}", file=sys.stderr, flush=True)
                p = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
                if p.returncode != 0:
                    sys.stderr.write(p.stderr[-3000:])
                    raise SystemExit(f"{name} in {tree} failed (exit {p.returncode})")
                d = json.loads(p.stdout)
                got = Path(d.get("source", {}).get("package", "")).resolve()
                if got != tree.resolve():
                    raise SystemExit(f"{name} in {tree} imported loupe_tui from {got}, not from {tree}")
                dest.write_text(p.stdout)
                written.append(dest)
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare", help="medians side by side")
    c.add_argument("--before", nargs="+", required=True, metavar="JSON")
    c.add_argument("--after", nargs="*", default=[], metavar="JSON")
    c.add_argument("--limit", type=float, default=10.0, help="%% slower that is flagged (default 10)")
    r = sub.add_parser("run", help="interleaved runs in several trees, then compare the first with the last")
    r.add_argument("names", nargs="+", help="benchmarks (bench/run.py names)")
    r.add_argument("--tree", action="append", required=True, metavar="LABEL=DIR",
                   help="a source tree and its label (repeat; the first is 'before', the last 'after')")
    r.add_argument("--runs", type=int, default=3)
    r.add_argument("--out-dir", type=Path, default=Path("/tmp"))
    r.add_argument("--quick", action="store_true")
    r.add_argument("--python", default=sys.executable, help="interpreter (default: this one)")
    r.add_argument("--limit", type=float, default=10.0)
    args = ap.parse_args(argv)
    if args.cmd == "compare":
        compare(args.before, args.after, args.limit)
        return 0
    trees = []
    for t in args.tree:
        lab, sep, d = t.partition("=")
        if not sep or not (Path(d) / "bench" / "run.py").is_file():
            ap.error(f"--tree {t}: expected LABEL=DIR with DIR/bench/run.py")
        trees.append((lab, Path(d)))
    files = run(trees, args.names, args.runs, args.out_dir, args.quick, args.python)
    first = [str(f) for f in files if f.name.startswith(f"bench_{trees[0][0]}_")]
    last = [str(f) for f in files if f.name.startswith(f"bench_{trees[-1][0]}_")] if len(trees) > 1 else []
    compare(first, last, args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
