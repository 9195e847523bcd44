"""``python -m render --connect SOCKET``: the GL window process.

Started by :class:`loupe_tui.link.RenderLink` with stdin closed and output
going to a log file; it connects to the terminal app's socket, answers the
handshake and draws what it is told until ``Quit``, until its window is
closed, or until the terminal app goes away. With ``--frames PATH`` it draws
offscreen for the terminal instead (:mod:`render.offscreen`).
"""

from __future__ import annotations

import argparse
import os
import sys


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WxH, e.g. 1600x900, got {text!r}") from None
    if w < 64 or h < 64:
        raise argparse.ArgumentTypeError(f"window too small: {text}")
    return w, h


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m render", description=__doc__.splitlines()[0])
    ap.add_argument("--connect", required=True, metavar="SOCKET", help="Unix socket of the terminal app")
    ap.add_argument("--size", type=_size, default=(1600, 900), metavar="WxH", help="window size (default 1600x900)")
    ap.add_argument("--hidden", action="store_true", help="do not show the window (snapshots, tests)")
    ap.add_argument("--frames", metavar="PATH", help="offscreen mode, for terminal graphics: the window stays "
                    "hidden and every frame, drawn at --size (then at each SetFrameSize), is written to the "
                    "frame buffer file PATH (its folder must be private)")
    args = ap.parse_args(argv)
    from render.loop import run

    return run(args.connect, size=args.size, visible=not (args.hidden or args.frames), frames_path=args.frames)


if __name__ == "__main__":
    code = main()
    # Out without the interpreter's shutdown: a daemon thread still inside native code (the
    # spectrogram's page and prefetch threads in scipy.fft or a zarr codec) is ended there with a
    # forced unwind, which C++ turns into abort() (exit code -6 instead of 0, one quit in four).
    # Everything the window owns is closed by then (render.loop.run).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
