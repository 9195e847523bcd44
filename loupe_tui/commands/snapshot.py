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

from loupe_tui.commands.open import add_time_argument
from loupe_tui.commands.sources import (add_source_arguments, build_sources, check_videos, labels_exist,
                                       window_size)
from loupe_tui.errors import LoupeConfigError, LoupeError

_EPILOG = """\
examples:
  loupe-tui snapshot recording.zarr --group eeg --window 3600 3630 --out page.png
  loupe-tui snapshot recording.zarr --group eeg --window 0 86400 --labels labels.csv --keymap rodent_sleep --out day.png
  loupe-tui snapshot data.nc --variable lfp --mode dense --window 10 20 --size 1920x1080 --out lfp.png
  loupe-tui snapshot rec.zarr --window 600 630 --cursor 612.4 --video cam.mp4 cam_times.npy --out page.png
  loupe-tui snapshot rec.zarr --group eeg --heatmap calcium:dff --heatmap-split region \\
      --raster spikes.parquet --events stims.parquet --window 600 660 --out all.png
  loupe-tui snapshot night.edf --window 3600 3630 --time clock --out page.png   # clock times on the axis

It takes open's options and draws what `loupe-tui open` would show for them:
the same panels, and the same labels (your saved <stem>.scored sibling and
unsaved journal included, as the scorer opens them) in the same colours.
A video that cannot be decoded, or whose frame times do not fit it, is an
error (status 2), not a picture of the error.

Needs a display: $DISPLAY, or Xvfb installed (apt-get install xvfb libgl1-mesa-dri), which is then
started for the snapshot and stopped after.
"""


def register(sub) -> None:
    p = sub.add_parser("snapshot", help="draw one frame of the GL window to a PNG file",
                       description="Draw one frame of the GL window to a PNG (figures, reports, CI): the "
                                   "real window, hidden, drawn offscreen.", epilog=_EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_source_arguments(p)
    p.add_argument("--mode", choices=("stacked", "dense"), default=None,
                   help="trace layout (default stacked; --dense is the same as --mode dense)")
    p.add_argument("--window", nargs=2, type=float, required=True, metavar=("T0", "T1"), help="window in seconds")
    p.add_argument("--cursor", type=float, default=None, metavar="T",
                   help="cursor time (default: none); videos show their frame at the cursor")
    p.add_argument("--size", default="1600x900", metavar="WxH", help="image size (default 1600x900)")
    p.add_argument("--out", required=True, metavar="PNG", help="output file")
    p.add_argument("--timeout", type=float, default=120.0, help=argparse.SUPPRESS)
    add_time_argument(p)
    p.set_defaults(func=run)


def _say(text: str) -> None:
    print(f"loupe-tui: {text}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    t0, t1 = args.window
    if not t1 > t0:
        raise LoupeConfigError(f"--window: T1 must be after T0, got {t0:g} {t1:g}")
    size = window_size(args.size, "--size")
    out = Path(args.out).resolve()
    initial, warnings = initial_messages(args)
    for w in warnings:
        _say(f"warning: {w}")
    with tempfile.TemporaryDirectory(prefix="loupe-snapshot-") as tmp:
        asyncio.run(snapshot(initial, out, size, Path(tmp) / "render.log", args.timeout, expected=warnings))
    print(out)
    return 0


def initial_messages(args: argparse.Namespace) -> tuple[list, list[str]]:
    """What the window is told (as the scorer would tell it, then the snapshot's window and cursor),
    and the warnings already given about the videos.

    Built from ``open``'s own pieces: :func:`~loupe_tui.commands.sources.build_sources`, the labels
    as :func:`~loupe_tui.api.open_labels` resolves them, the states as ``open`` chooses them
    (:func:`~loupe_tui.api.make_context`), and the messages the app's bridge sends a new window.
    """
    from loupe_tui import protocol as P
    from loupe_tui.api import make_context, open_labels
    from loupe_tui.commands.open import CLI_CONTEXT, time_arguments
    from loupe_tui.core.states import StateConfig, user_keymap_path
    from loupe_tui.tui.bridge import Bridge

    t0, t1 = args.window
    src = build_sources(args, mode=args.mode)
    labels = None
    if src.labels_given or labels_exist(src.labels):
        labels = open_labels(src.labels, src.schema, durable=False, read_only=True)
    times, notes = time_arguments(args, src)
    for note in notes:
        _say(f"warning: {note}")
    try:
        keymap = args.keymap
        if keymap is None and (labels is None or not len(labels)) and user_keymap_path() is None:
            keymap = StateConfig.empty("no labels")   # nothing to colour: no hypnogram rows
        ctx = make_context(src.configs, src.videos or None, labels, state_definitions=keymap,
                           global_events=src.events, window_len=t1 - t0, cache_dir=args.cache_dir,
                           title=src.data.name, **times, **CLI_CONTEXT)
        for note in ctx.labels.messages:
            _say(f"note: {note}")
        warnings = check_videos(ctx.videos, args.cache_dir, at=args.cursor)
        # no --cursor: a window's width left of the window, so that not even its edge pixel shows it
        cursor = args.cursor if args.cursor is not None else t0 - (t1 - t0) - 1.0
        msgs = Bridge(ctx, on_event=lambda m: None).initial(ctx.session, ctx.view_model(), ctx.states)
        msgs += [P.SetWindow(t0, t1, 1), P.SetCursor(cursor, 1)]
    finally:
        if labels is not None:
            labels.close()
    return msgs, warnings


async def snapshot(initial: list, out: Path, size: tuple[int, int], log: Path, timeout: float = 120.0,
                   expected: list[str] = ()) -> None:
    """Start a hidden window with ``initial``, write its frame to ``out``, stop it.

    ``expected`` are warnings already given (a video's truncated tail): the
    window's report of them is not repeated. Any other error it reports,
    a video's included, fails the snapshot.

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
                if m.message in expected and not m.fatal:
                    continue
                raise LoupeError(f"snapshot: {m.message}")
    finally:
        await link.stop()
        if xvfb is not None:
            xvfb.stop()
