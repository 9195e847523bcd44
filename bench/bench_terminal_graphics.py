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

Then the real scorer end to end (rows ``scorer ...``): ``loupe-tui open`` on
the same demo (traces, heatmap, raster, video, labels) in a pty of 160x45
cells of 8x16 pixels with no ``DISPLAY``, this side answering the graphics
queries as kitty does (or listing sixel in its attributes), so the app
starts the GL window offscreen on a private Xvfb and shows its frames in
place of the braille preview, at the frame view's pixel size (the status
lines, label strip, hypnogram and footer keep their rows: 1280x512). After
one page to settle, the page flip from 20-40 s to 40-60 s is measured:

* ``bytes_to_pty``: everything the app writes from the key until it is
  quiet for 1.2 s (the image, the text views' changes, the status line);
  ``image_bytes`` the image's own escape sequences;
* ``encode_ms``: the median of three encodings, in this process, of the
  frame the render process wrote (read from its frame buffer file);
* ``ms_at_20Mbit``: bytes * 8 / 20e6 plus ``encode_ms``, issue 11's
  measure (goal: under 150 KB and 150 ms a flip);
* ``key_to_image_ms``: from the key written to the image's last byte read
  here (draw offscreen, read back, encode, write; no network);
* ``idle_5s_bytes``: nothing happening for 5 s (must be 0; 1 s when quick).

``quick``: synthetic 640x384 frames (80x24 cells) and no snapshot for the
widget rows, and the scorer, kitty only, on a 3-minute demo (EEG only) in
an 80x24 pty; about half a minute. Without a working snapshot (no Xvfb, no GL) the widget rows
use synthetic frames and say so in the notes; without Xvfb the scorer rows
are left out and the notes say why.
"""

from __future__ import annotations

import base64
import io
import os
import pty
import re
import select
import shutil
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
SCORER_QUIET_S = 1.2        # the status line's ms/frame comes with the next once-a-second poll
KITTY_ANSWER = b"\x1b_Gi=4011;OK\x1b\\\x1b[?62;22c"
SIXEL_ANSWER = b"\x1b[?62;4;22c"


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
        for name in ("COLUMNS", "LINES"):      # the pty's size, not an exported one (pytest-xdist's)
            env.pop(name, None)
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


class ScorerInPty:
    """``loupe-tui open`` in a pty of ``cols`` x ``rows`` cells of 8x16 pixels, no display; queries answered."""

    def __init__(self, args: list[str], answer: bytes, cols: int, rows: int, work: Path):
        self.run_dir = Path(tempfile.mkdtemp(prefix="ltb", dir="/tmp"))    # short: the socket lives here
        os.chmod(self.run_dir, 0o700)
        env = {**os.environ, "TERM": "xterm-256color", "XDG_RUNTIME_DIR": str(self.run_dir),
               "XDG_CONFIG_HOME": str(work / "config")}
        for name in ("DISPLAY", "WAYLAND_DISPLAY", "LOUPE_TUI_GRAPHICS", "COLUMNS", "LINES"):
            env.pop(name, None)
        self.main, child = pty.openpty()
        fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, cols * CELL[0], rows * CELL[1]))
        self.proc = subprocess.Popen([sys.executable, "-m", "loupe_tui", "open", *args], stdin=child, stdout=child,
                                     stderr=child, env=env, start_new_session=True, cwd=work)
        os.close(child)
        self.answer: bytes | None = answer

    def read(self, quiet: float, limit: float = 60.0, until: bytes | None = None) -> tuple[bytes, list]:
        """(bytes, [(monotonic time, bytes so far)]) until quiet for ``quiet`` s and ``until`` was written."""
        got, marks, end, last = b"", [], time.monotonic() + limit, time.monotonic()
        while time.monotonic() < end and (time.monotonic() - last < quiet or (until is not None and until not in got)):
            ready, _, _ = select.select([self.main], [], [], 0.02)
            if ready:
                try:
                    chunk = os.read(self.main, 1 << 16)
                except OSError:
                    break
                got, last = got + chunk, time.monotonic()
                marks.append((last, len(got)))
                if self.answer is not None and b"\x1b[c" in got:
                    os.write(self.main, self.answer)
                    self.answer = None
        return got, marks

    def frame(self) -> np.ndarray | None:
        from loupe_tui.framebuffer import FrameReader

        files = list(self.run_dir.glob("loupe-gl-*/frames"))
        if not files:
            return None
        with FrameReader(files[0]) as reader:
            got = reader.read(copy=True)
        return None if got is None else got[1]

    def close(self) -> None:
        try:
            os.write(self.main, b"\x11")                  # Ctrl+Q: the app stops its window and Xvfb
            self.proc.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        os.close(self.main)
        shutil.rmtree(self.run_dir, ignore_errors=True)


def image_span(out: bytes, protocol: str) -> tuple[int, int]:
    """(bytes, end offset) of the image's escape sequences in ``out`` (0, 0 when there is none)."""
    if protocol == "kitty":
        starts = [m.start() for m in re.finditer(rb"\x1b_G", out)]
        if not starts:
            return 0, 0
        ends = [out.index(b"\x1b\\", i) + 2 for i in starts]
        return sum(e - i for i, e in zip(starts, ends)), max(ends)
    m = re.search(rb"\x1bP[0-9;]*q.*?\x1b\\", out, re.S)
    return (m.end() - m.start(), m.end()) if m else (0, 0)


def scorer_rows(quick: bool) -> tuple[list[dict], str]:
    """The real scorer in a pty, kitty then sixel: bytes and time of a page flip, and of idling."""
    from loupe_tui.demo import ensure_demo
    from loupe_tui.xvfb import have_xvfb

    if not have_xvfb():
        return [], "scorer rows left out: Xvfb is not installed (apt-get install xvfb libgl1-mesa-dri)"
    cols, rows = (80, 24) if quick else (160, 45)
    idle_s = 1.0 if quick else 5.0
    if quick:
        d = ensure_demo(BENCH_DIR / "demo-tg-quick", hours=0.05, video_minutes=0.05, progress=lambda line: None)
        args = [str(d.recording), "--group", d.eeg_group]
    else:
        d = ensure_demo(BENCH_DIR / "demo-tg", hours=0.2, video_minutes=1.0, progress=lambda line: None)
        args = [str(d.recording), "--group", d.eeg_group, "--heatmap", f"{d.calcium_group}:dff", "--raster",
                str(d.spikes), "--video", str(d.video), str(d.frame_times)]
    out = []
    with tempfile.TemporaryDirectory(prefix="loupe-tg-") as tmp:
        work = Path(tmp)
        labels = work / "labels.csv"
        labels.write_bytes(Path(d.labels).read_bytes())
        args += ["--labels", str(labels), "--keymap", "rodent_sleep", "--window", "20"]
        cases = (("kitty", KITTY_ANSWER, b"a=T,"), ("sixel", SIXEL_ANSWER, b"\x1bP0;1;0q"))
        for protocol, answer, first in cases[:1] if quick else cases:
            app = ScorerInPty(args, answer, cols, rows, work)
            try:
                app.read(quiet=1.0 if quick else 2.0, limit=180, until=first)   # the pyramids, the first frame
                os.write(app.main, b"]")                              # 0-20 s -> 20-40 s, then settle
                app.read(quiet=SCORER_QUIET_S)
                t_key = time.monotonic()
                os.write(app.main, b"]")                              # measured: 20-40 s -> 40-60 s
                flip, marks = app.read(quiet=SCORER_QUIET_S)
                image, end = image_span(flip, protocol)
                t_image = next((t for t, n in marks if n >= end), None) if end else None
                frame = app.frame()
                idle, _ = app.read(quiet=idle_s, limit=idle_s)
            finally:
                app.close()
            if frame is None or not image:
                out.append({"case": f"scorer {protocol} page flip", "bytes_to_pty": len(flip), "image_bytes": image,
                            "error": "no frame drawn (see render.log in the cache)"})
                continue
            h, w = frame.shape[:2]
            enc = encode_ms(protocol, frame, w // CELL[0], h // CELL[1])
            out.append({"case": f"scorer {protocol} page flip", "pixels": f"{w}x{h}", "bytes_to_pty": len(flip),
                        "image_bytes": image, "encode_ms": round(enc, 1),
                        "ms_at_20Mbit": round(len(flip) * 8 / LINK_BPS * 1e3 + enc, 1),
                        "key_to_image_ms": round((t_image - t_key) * 1e3, 1) if t_image else None,
                        f"idle_{idle_s:g}s_bytes": len(idle)})
    what = ("a 3-minute demo, EEG only" if quick else
            "the demo's traces, heatmap, raster, video and labels")
    return out, f"scorer rows: loupe-tui open in a {cols}x{rows} pty, no display, {what}"


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
    scorer, scorer_note = scorer_rows(quick)
    results += scorer
    return {"title": f"terminal graphics: bytes per page flip in a {cols}x{rows} pty ({w}x{h} px)",
            "results": results,
            "notes": f"widget rows: {source}; {scorer_note}; goal (issue 11): a flip under 150 KB and 150 ms "
                     "at 20 Mbit/s"}


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=1))
