"""Run benchmarks: ``python bench/run.py [NAME ...] [--json] [--quick]``.

Every ``bench/bench_<name>.py`` defines ``run(quick: bool = False) -> dict``
returning ``{"title": str, "results": [ {metric: value, ...}, ... ],
"notes": str}``: one row per measured case, each row naming what it measures
and what it is compared with (the reference runs in the same call, on the
same data). Benchmarks measure; they assert nothing.

``--quick`` runs each on small data in seconds: ``tests/bench/test_bench_smoke.py``
runs every benchmark that way, so one that stops running fails the tests.
The JSON records which source tree was imported and the load average
around each benchmark; ``bench/compare_runs.py`` runs benchmarks interleaved
in two trees (before/after a change) and compares the medians.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def available() -> dict[str, Path]:
    return {p.stem[len("bench_"):]: p for p in sorted(HERE.glob("bench_*.py"))}


def machine() -> dict:
    import os

    info = {"python": platform.python_version(), "machine": platform.machine(),
            "cpus": os.cpu_count()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return info


def source() -> dict:
    """Which loupe-tui the benchmarks import (a before/after comparison must not time one tree twice)."""
    import subprocess

    import loupe_tui

    root = Path(loupe_tui.__file__).resolve().parent.parent
    info = {"package": str(root)}
    try:
        git = ["git", "-C", str(root)]
        info["commit"] = subprocess.run(git + ["rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                        timeout=10).stdout.strip()
        changed = subprocess.run(git + ["status", "--porcelain", "--untracked-files=no"], capture_output=True,
                                 text=True, timeout=10).stdout.strip()
        info["changed_files"] = len(changed.splitlines()) if changed else 0
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def loadavg() -> list[float]:
    import os

    return [round(x, 2) for x in os.getloadavg()]


def load(path: Path):
    spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    ap.add_argument("--json", action="store_true", help="print results as JSON")
    ap.add_argument("--quick", action="store_true", help="smaller sizes (smoke run)")
    ap.add_argument("--list", action="store_true", help="list benchmarks")
    args = ap.parse_args(argv)
    benches = available()
    if args.list:
        print("\n".join(benches))
        return 0
    names = args.names or list(benches)
    unknown = [n for n in names if n not in benches]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(benches)}", file=sys.stderr)
        return 2
    out = {"machine": machine(), "source": source(), "quick": args.quick,
           "started": time.strftime("%Y-%m-%d %H:%M:%S"), "benchmarks": {}}
    for name in names:
        before = loadavg()  # the machine may be shared: how busy it was is part of the figures
        t = time.perf_counter()
        res = load(benches[name]).run(quick=args.quick)
        res["wall_s"] = round(time.perf_counter() - t, 2)
        res["loadavg_before"], res["loadavg_after"] = before, loadavg()
        out["benchmarks"][name] = res
        if not args.json:
            print(f"== {name}: {res.get('title', '')}  ({res['wall_s']} s; load average "
                  f"{before[0]:.2f} -> {res['loadavg_after'][0]:.2f})")
            for row in res.get("results", []):
                print("   " + "  ".join(f"{k}={fmt(v)}" for k, v in row.items()))
            if res.get("notes"):
                print(f"   note: {res['notes']}")
            sys.stdout.flush()
    if args.json:
        print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
