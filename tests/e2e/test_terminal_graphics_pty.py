"""Terminal graphics through a real pty: the bytes a terminal gets, decoded back into the frames.

``bench/frame_view_app.py`` (a Textual app showing frames with FrameView)
runs in a pseudo-terminal, as over SSH. This side of the pty plays the
terminal: it answers the graphics queries like kitty, or stays silent like
a terminal that knows none of them. Everything the app writes is read and
decoded as a terminal would: the frame shown after a page flip is the frame
sent, pixel for pixel; a flip costs the image and a line of cells; the same
frame again, and idling, cost nothing.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import fcntl
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "tui"))

from term_images import kitty_commands, kitty_image, sixel_images  # noqa: E402

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a Linux pty")

COLS, ROWS, CELL = 80, 24, (8, 16)
KITTY_ANSWER = b"\x1b_Gi=4011;OK\x1b\\\x1b[?62;22c"


def frames(n: int = 2) -> np.ndarray:
    w, h = COLS * CELL[0], ROWS * CELL[1]
    rng = np.random.default_rng(0)
    out = np.zeros((n, h, w, 3), np.uint8)
    for i in range(n):
        out[i] = (18, 18, 24)
        out[i, 40:200] = (30, 45, 35)
        out[i, 40:200, rng.integers(0, w, 300)] = 255                       # a raster
        y = (300 + 40 * np.sin(np.arange(w) / (5 + i))).astype(int)
        out[i, y, np.arange(w)] = (230, 230, 160)                            # a trace
        out[i, 220:260, :w // 2] = rng.integers(0, 256, (40, w // 2, 3))    # a heatmap
    return out


class Pty:
    """The app in a pty; ``read_until_quiet`` returns what it wrote, answering queries with ``answer``."""

    def __init__(self, tmp: Path, env_graphics: str | None, answer: bytes | None):
        self.frames = frames()
        np.save(tmp / "frames.npy", self.frames)
        self.report = tmp / "report.json"
        env = {**os.environ, "TERM": "xterm-256color"}
        env.pop("LOUPE_TUI_GRAPHICS", None)
        if env_graphics is not None:
            env["LOUPE_TUI_GRAPHICS"] = env_graphics
        self.main, child = pty.openpty()
        fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, COLS * CELL[0], ROWS * CELL[1]))
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "frame_view_app.py"),
                                      str(tmp / "frames.npy"), str(self.report)],
                                     stdin=child, stdout=child, stderr=child, env=env, start_new_session=True)
        os.close(child)
        self.answer = answer

    def read_until_quiet(self, quiet: float = 0.6, limit: float = 30.0) -> bytes:
        got, end, last = b"", time.monotonic() + limit, time.monotonic()
        while time.monotonic() < end and time.monotonic() - last < quiet:
            ready, _, _ = select.select([self.main], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self.main, 1 << 16)
                except OSError:
                    break
                got, last = got + chunk, time.monotonic()
                if self.answer is not None and b"\x1b[c" in got:
                    os.write(self.main, self.answer)
                    self.answer = None
        return got

    def press(self, key: bytes) -> bytes:
        os.write(self.main, key)
        return self.read_until_quiet()

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(5)
        os.close(self.main)


@pytest.fixture
def app_in_pty(tmp_path):
    made = []

    def start(env_graphics, answer=None):
        made.append(Pty(tmp_path, env_graphics, answer))
        return made[-1]
    yield start
    for p in made:
        p.close()


def transmissions(out: bytes) -> list[dict]:
    return [c for c in kitty_commands(out.decode("utf-8", "replace")) if c["keys"].get("a") == "T"]


def test_kitty_detected_and_a_page_flip_decodes_to_the_frame(app_in_pty):
    p = app_in_pty(None, answer=KITTY_ANSWER)          # auto: this "terminal" answers as kitty does
    start = p.read_until_quiet(1.0)
    report = json.loads(p.report.read_text())
    assert report["protocol"] == "kitty" and report["pixel_size"] == [COLS * 8, ROWS * 16]
    (first,) = transmissions(start)
    assert np.array_equal(kitty_image(first), p.frames[0])
    flip = p.press(b"n")
    (second,) = transmissions(flip)
    assert np.array_equal(kitty_image(second), p.frames[1]), "the terminal shows the frame sent"
    image = sum(len(m) for m in flip.split(b"\x1b_G")[1:])
    assert len(flip) - image < 1500, f"a flip costs the image and one line of cells, not {len(flip) - image} B"
    assert p.press(b"r") == b"", "the same frame again writes nothing"
    assert p.read_until_quiet(1.5) == b"", "idle writes nothing"


def test_a_silent_terminal_gets_the_text_fallback(app_in_pty):
    p = app_in_pty(None, answer=None)
    start = p.read_until_quiet(1.5)
    report = json.loads(p.report.read_text())
    assert report["protocol"] == "off" and "did not answer" in report["reason"]
    assert transmissions(start) == [] and b"\x1bP" not in start.split(b"\x1b[c", 1)[1]
    assert b"waiting for the GL window" in start


def test_forced_off_asks_nothing_and_draws_no_graphics(app_in_pty):
    p = app_in_pty("off", answer=KITTY_ANSWER)
    start = p.read_until_quiet(1.0) + p.press(b"n")
    assert json.loads(p.report.read_text())["protocol"] == "off"
    assert b"\x1b_G" not in start and b"\x1b[c" not in start and b"\x1bP" not in start


def test_forced_sixel_draws_the_frame_above_the_last_row(app_in_pty):
    p = app_in_pty("sixel", answer=b"\x1b[?62;22c")
    p.read_until_quiet(1.0)
    report = json.loads(p.report.read_text())
    assert report["protocol"] == "sixel" and report["pixel_size"] == [COLS * 8, (ROWS - 1) * 16]
    flip = p.press(b"n").decode("ascii", "replace")
    (img,) = sixel_images(flip)
    w, h = report["pixel_size"]
    assert img.shape == (h, w, 3)
    assert np.abs(img - p.frames[1][:h, :w].astype(np.int16)).mean() < 3
    assert p.press(b"r") == b""
