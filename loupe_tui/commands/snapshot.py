"""``loupe-tui snapshot``: draw one frame of the GL window to a PNG (figures, reports, CI).

The frame is drawn by the real window process (same panels, same code) with
its window hidden, then written offscreen. It needs an X display; without
one (SSH, CI) the command starts a private Xvfb when Xvfb is installed, and
otherwise says how to get one.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from loupe_tui.errors import LoupeConfigError, LoupeError

_EPILOG = """\
examples:
  loupe-tui snapshot recording.zarr --group eeg --window 3600 3630 --out page.png
  loupe-tui snapshot recording.zarr --group eeg --window 0 86400 --labels labels.csv --keymap rodent_sleep --out day.png
  loupe-tui snapshot data.nc --variable lfp --mode dense --window 10 20 --size 1920x1080 --out lfp.png
  loupe-tui snapshot rec.zarr --window 600 630 --cursor 612.4 --video cam.mp4 cam_times.npy --out page.png

Needs a display: $DISPLAY, or Xvfb installed (apt-get install xvfb libgl1-mesa-dri), which is then
started for the snapshot and stopped after.
"""


def register(sub) -> None:
    p = sub.add_parser("snapshot", help="draw one frame of the GL window to a PNG file",
                       description="Draw one frame of the GL window to a PNG (figures, reports, CI): the "
                                   "real window, hidden, drawn offscreen.", epilog=_EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", metavar="DATA", help="zarr store or netCDF file")
    p.add_argument("--group", default=None, help="group inside the store")
    p.add_argument("--variable", default=None, help="variable (default: the only one with a time dim)")
    p.add_argument("--mode", choices=("stacked", "dense"), default="stacked", help="trace layout (default stacked)")
    p.add_argument("--window", nargs=2, type=float, required=True, metavar=("T0", "T1"), help="window in seconds")
    p.add_argument("--cursor", type=float, default=None, metavar="T",
                   help="cursor time (default: none); videos show their frame at the cursor")
    p.add_argument("--video", nargs=2, action="append", metavar=("VIDEO", "TIMES"), default=[],
                   help="a video and its per-frame times (.npy); repeatable; A.mp4,B.mp4 A.npy,B.npy "
                        "plays files as one video")
    p.add_argument("--labels", default=None, metavar="FILE", help="interval labels (.csv .htsv .parquet .txt)")
    p.add_argument("--keymap", default=None, metavar="FILE|NAME", help="state colours (keymap file or bundled name)")
    p.add_argument("--size", default="1600x900", metavar="WxH", help="image size (default 1600x900)")
    p.add_argument("--out", required=True, metavar="PNG", help="output file")
    p.add_argument("--timeout", type=float, default=120.0, help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise LoupeConfigError(f"--size: expected WxH (e.g. 1600x900), got {text!r}") from None
    if w < 200 or h < 150 or w > 8192 or h > 8192:
        raise LoupeConfigError(f"--size: {text} is outside 200x150 .. 8192x8192")
    return w, h


def _labels(path: str | None):
    if path is None:
        return (), (), ()
    from loupe_tui.core.labels.formats import read_labels

    t = read_labels(path)
    return tuple(t.starts.tolist()), tuple(t.ends.tolist()), tuple(t.names[c] for c in t.codes.tolist())


def _colors(keymap: str | None, names: tuple[str, ...]) -> dict:
    from loupe_tui.core.colors import cycle

    colors: dict = {}
    if keymap is not None:
        from loupe_tui.core.states import StateConfig

        sc = StateConfig.resolve(keymap)
        colors = {s: list(sc.colors[s]) for s in sc.states if s in sc.colors}
    for i, n in enumerate(dict.fromkeys(names)):
        colors.setdefault(n, list(cycle(i)))
    return colors


def run(args: argparse.Namespace) -> int:
    t0, t1 = args.window
    if not t1 > t0:
        raise LoupeConfigError(f"--window: T1 must be after T0, got {t0:g} {t1:g}")
    size = _size(args.size)
    out = Path(args.out).resolve()
    from loupe_tui import protocol as P
    from loupe_tui.config import TraceConfig
    from loupe_tui.viewspec import build_spec

    from loupe_tui.commands.open import video_configs

    cfg = TraceConfig.from_path(args.data, group=args.group, variable=args.variable, mode=args.mode)
    videos = video_configs(args.video)
    starts, ends, names = _labels(args.labels)
    colors = _colors(args.keymap, names)
    with tempfile.TemporaryDirectory(prefix="loupe-snapshot-") as tmp:
        spec = build_spec([cfg], labels_states_colors=colors, videos=videos, cache_dir=tmp)
        initial = [P.LoadSession(spec), P.SetStateColors(colors), P.SetLabels(starts, ends, names),
                   P.SetWindow(t0, t1, 1), P.SetCursor(args.cursor if args.cursor is not None else t0 - 1.0, 1)]
        asyncio.run(snapshot(initial, out, size, Path(tmp) / "render.log", args.timeout))
    print(out)
    return 0


async def snapshot(initial: list, out: Path, size: tuple[int, int], log: Path, timeout: float = 120.0) -> None:
    """Start a hidden window with ``initial``, write its frame to ``out``, stop it.

    Raises
    ------
    LoupeError
        No display and no Xvfb, the window failed, or it reported an error.
    """
    from loupe_tui import protocol as P
    from loupe_tui.link import LinkUnavailable, RenderLink, display_available
    from loupe_tui.xvfb import Xvfb, XvfbError

    xvfb = None
    env = None
    if not display_available()[0]:
        xvfb = Xvfb()
        try:
            xvfb.start()
        except XvfbError as exc:
            raise LoupeError(f"snapshot needs a display: none is set and {exc}") from None
        env = xvfb.env()
    inbox: asyncio.Queue = asyncio.Queue()
    link = RenderLink(inbox.put_nowait, env=env, log_path=log,
                      command=[sys.executable, "-m", "render", "--hidden", "--size", f"{size[0]}x{size[1]}"])
    try:
        try:
            await link.start(initial)
        except LinkUnavailable as exc:
            raise LoupeError(f"snapshot: {exc}") from None
        link.send(P.Snapshot(str(out), 1))
        while True:
            m = await asyncio.wait_for(inbox.get(), timeout)
            if isinstance(m, P.SnapshotSaved):
                return
            if isinstance(m, P.ErrorRaised):
                if m.message.startswith("video ") and not m.fatal:  # drawn in its panel; the rest is fine
                    print(f"loupe-tui: warning: {m.message}", file=sys.stderr, flush=True)
                    continue
                raise LoupeError(f"snapshot: {m.message}")
    finally:
        await link.stop()
        if xvfb is not None:
            xvfb.stop()
