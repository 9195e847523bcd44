"""Terminal graphics over plain SSH: bytes written to the pty per page flip, kitty and sixel (issue 11).

The GL window's frames of the demo (``loupe-tui snapshot`` of the 0.2 h demo,
``ensure_demo`` under ``$LOUPE_BENCH_DIR/demo-tg``, as ``open`` shows it:
traces, heatmap, raster, video, hypnogram, labels; a 20 s window paged from
20-40 s to 40-60 s, the cursor at the window's start) at 1280x720, the pixel
size of a 160x45 terminal with 8x16 cells, are shown by
``bench/frame_view_app.py`` (FrameView, full screen) in a real pty of
160x45 cells that reports 1280x720 pixels, with the protocol forced
(``LOUPE_TUI_GRAPHICS``). Every byte the app writes is counted:

* ``page flip``: from the key that shows the next frame until the app is
  quiet for 0.6 s (the image, the cursor moves, one line of cells);
* ``same frame``: the same pixels shown again (must be 0);
* ``idle 2 s``: nothing happening (must be 0).

``ms_at_20Mbit`` is bytes * 8 / 20e6, the link time issue 11's goal uses
(under 150 KB and 150 ms a flip); ``encode_ms`` is the median of three
encodings of the frame in this process (the widget does it once per frame).
For comparison, in the same call: the frame as a base64 PNG at level 2
(what textual-image sends) and at level 6.

``quick``: synthetic 640x384 frames (80x24 cells) and no snapshot, so no GL
and no Xvfb; a few seconds. Without a working snapshot (no Xvfb, no GL) the
full run uses synthetic frames too and says so in the notes.
"""

from __future__ import annotations

import base64
import io
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import fcntl
import numpy as np
import termios

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DIR = Path(os.environ.get("LOUPE_BENCH_DIR", "/tmp/loupe-tui-bench"))
LINK_BPS = 20e6
CELL = (8, 16)
PAGES = ((20.0, 40.0), (40.0, 60.0))
QUIET_S = 0.6


def synthetic_frames(w: int, h: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    out = np.zeros((2, h, w, 3), np.uint8)
    for i in range(2):
        out[i] = (18, 18, 24)
        out[i, h // 10: h // 2] = (30, 45, 35)
        out[i, h // 10: h // 2, rng.integers(0, w, w // 3)] = 255
        y = (h * 0.75 + h / 12 * np.sin(np.arange(w) / (5 + i))).astype(int)
        out[i, y, np.arange(w)] = (230, 230, 160)
    return out


def demo_frames(w: int, h: int) -> tuple[np.ndarray | None, str]:
    """Two pages of the demo's GL window drawn by ``loupe-tui snapshot``, or None and why not."""
    from PIL import Image

    from loupe_tui.demo import ensure_demo

    d = ensure_demo(BENCH_DIR / "demo-tg", hours=0.2, video_minutes=1.0, progress=lambda line: None)
    env = {**os.environ, "LOUPE_TUI_CACHE": str(BENCH_DIR / "demo-tg-cache")}
    env.pop("DISPLAY", None)              # the snapshot's own private Xvfb
    frames = []
    for t0, t1 in PAGES:
        out = BENCH_DIR / f"demo-tg-{int(t0)}-{w}x{h}.png"
        if not out.exists():
            r = subprocess.run([sys.executable, "-m", "loupe_tui", "snapshot", str(d.recording), "--group",
                                d.eeg_group, "--heatmap", f"{d.calcium_group}:dff", "--raster", str(d.spikes),
                                "--video", str(d.video), str(d.frame_times), "--labels", str(d.labels),
                                "--window", str(t0), str(t1), "--cursor", str(t0), "--size", f"{w}x{h}",
                                "--out", str(out)], env=env, capture_output=True, text=True, timeout=600)
            if r.returncode != 0:
                return None, f"snapshot failed ({r.stderr.strip().splitlines()[-1:]})"
        frames.append(np.asarray(Image.open(out).convert("RGB")))
    return np.stack(frames), "the demo's GL window (loupe-tui snapshot)"


class AppInPty:
    """``bench/frame_view_app.py`` in a pty of ``cols`` x ``rows`` cells of 8x16 pixels."""

    def __init__(self, frames_file: Path, report: Path, protocol: str, cols: int, rows: int):
        env = {**os.environ, "TERM": "xterm-256color", "LOUPE_TUI_GRAPHICS": protocol}
        self.main, child = pty.openpty()
        fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, cols * CELL[0], rows * CELL[1]))
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "frame_view_app.py"), str(frames_file),
                                      str(report)], stdin=child, stdout=child, stderr=child, env=env,
                                     start_new_session=True)
        os.close(child)
        self.answered = False

    def drain(self, quiet: float = QUIET_S, limit: float = 60.0) -> int:
        n, got_tail, end, last = 0, b"", time.monotonic() + limit, time.monotonic()
        while time.monotonic() < end and time.monotonic() - last < quiet:
            ready, _, _ = select.select([self.main], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self.main, 1 << 16)
                except OSError:
                    break
                n, last = n + len(chunk), time.monotonic()
                got_tail = (got_tail + chunk)[-64:]
                if not self.answered and b"\x1b[c" in got_tail:   # the cell-size and DA1 queries: answer
                    os.write(self.main, b"\x1b[?62;22c")
                    self.answered = True
        return n

    def press(self, key: bytes) -> int:
        os.write(self.main, key)
        return self.drain()

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(10)
        os.close(self.main)


def png_b64_bytes(rgb: np.ndarray, level: int) -> int:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="png", compress_level=level)
    return len(base64.standard_b64encode(buf.getvalue()))


def encode_ms(protocol: str, rgb: np.ndarray, cols: int, rows: int) -> float:
    from loupe_tui.tui.widgets.frame_view import encode_frame

    times = []
    for _ in range(3):
        t = time.perf_counter()
        encode_frame(protocol, rgb, cols, rows, 1)
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def run(quick: bool = False) -> dict:
    cols, rows = (80, 24) if quick else (160, 45)
    w, h = cols * CELL[0], rows * CELL[1]
    frames, source = (None, "synthetic frames (quick)") if quick else demo_frames(w, h)
    if frames is None:
        source = f"synthetic frames: {source}"
        frames = synthetic_frames(w, h)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        frames_file = Path(tmp) / "frames.npy"
        np.save(frames_file, frames)
        for protocol in ("kitty", "sixel"):
            app = AppInPty(frames_file, Path(tmp) / f"{protocol}.json", protocol, cols, rows)
            try:
                start = app.drain(1.0)
                flip = app.press(b"n")
                same = app.press(b"r")
                idle = app.drain(quiet=2.0, limit=2.0)
            finally:
                app.close()
            sixel_rows = rows - 1 if protocol == "sixel" else rows    # sixel leaves the last row out
            results.append({"case": f"{protocol} page flip", "pixels": f"{w}x{sixel_rows * CELL[1]}",
                            "bytes_to_pty": flip, "ms_at_20Mbit": round(flip * 8 / LINK_BPS * 1e3, 1),
                            "encode_ms": round(encode_ms(protocol, frames[1][:sixel_rows * CELL[1]], cols,
                                                         sixel_rows), 1),
                            "same_frame_bytes": same, "idle_2s_bytes": idle, "start_bytes": start})
    for level in (2, 6):
        n = png_b64_bytes(frames[1], level)
        results.append({"case": f"reference: base64 PNG level {level}" + (" (textual-image)" if level == 2 else ""),
                        "pixels": f"{w}x{h}", "bytes_to_pty": n, "ms_at_20Mbit": round(n * 8 / LINK_BPS * 1e3, 1)})
    return {"title": f"terminal graphics: bytes per page flip in a {cols}x{rows} pty ({w}x{h} px)",
            "results": results,
            "notes": f"{source}; goal (issue 11): a flip under 150 KB and 150 ms at 20 Mbit/s"}


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=1))
