"""``loupe-tui demo``: build the demo recording once (cached) and open it.

The command builds the demo (or finds it in the cache), prints where each part
is and what it is, and opens the scorer on it: EEG/EMG traces, the calcium
heatmap, the spike raster, the behaviour video and the partial labels, with the
``rodent_sleep`` keymap (:func:`loupe_tui.commands.open.open_demo`).
``--build-only`` stops after printing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

# Light: the demo builder (xarray, zarr, numba) is imported in run(), not for --help.
from loupe_tui.commands.open import add_graphics_argument
from loupe_tui.core.paths import default_demo_dir


def register(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="build (once, cached) and open a realistic 24 h demo recording",
        description="Build a synthetic 24 h mouse sleep recording (EEG/EMG, spikes, calcium, video, labels) "
                    "once, cache it, and open the scorer on it (traces, calcium heatmap, spike raster, video).",
    )
    p.add_argument("--out", metavar="DIR", default=None,
                   help=f"demo directory (default: {default_demo_dir()})")
    p.add_argument("--rebuild", action="store_true", help="build again even if a current demo exists")
    p.add_argument("--hours", type=float, default=24.0, metavar="H", help="recording length in hours (default 24)")
    p.add_argument("--build-only", action="store_true", help="build (if needed) and print the paths; do not open")
    p.add_argument("--no-window", action="store_true", help="no GL window: terminal views only (SSH, CI)")
    add_graphics_argument(p)
    p.set_defaults(func=run)


def _size(path: Path) -> str:
    from loupe_tui.demo import stored_bytes

    n = float(stored_bytes(path)) if path.exists() else 0.0
    for unit in ("B", "kB", "MB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.2f} GB"


def run(args: argparse.Namespace) -> int:
    from loupe_tui.demo import describe, ensure_demo

    paths = ensure_demo(args.out, hours=args.hours, rebuild=args.rebuild,
                        progress=lambda line: print(f"  {line}", flush=True))
    print(f"demo {'built' if paths.built else 'ready (cached)'}: {paths.root}")
    for name, where, what in describe(paths):
        if isinstance(where, Path):
            print(f"  {name:<12}{_size(where):>9}  {where.name:<22} {what}")
        else:
            print(f"  {name:<12}{'':>9}  {where:<22} {what}")
    if not args.build_only:
        from loupe_tui.commands.open import open_demo
        return open_demo(paths, window=not args.no_window, graphics=args.graphics)
    return 0
