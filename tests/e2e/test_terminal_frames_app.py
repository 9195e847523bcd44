"""Terminal graphics end to end: the real scorer in a pty, as over plain SSH with no X display (issue 11).

``loupe-tui open`` runs in a pseudo-terminal without ``DISPLAY``; this side
plays the terminal: it answers the graphics queries as kitty does, or lists
sixel in its device attributes, or stays silent, and reads every byte the
app writes. The app starts the GL window offscreen (on a private Xvfb) and
shows its frames in place of the braille preview. A page flip's image,
decoded as a terminal decodes it (``tests/tui/term_images.py``, independent
of the encoders), is compared with the frame the render process wrote into
its frame buffer file (found in the session's private folder, under the
``XDG_RUNTIME_DIR`` given to the app): kitty carries it losslessly (zlib),
so they must be equal bit for bit; sixel reduces it to 256 colours, so it
must be the same picture within a few levels. With ``CI`` set a missing
Xvfb fails these tests instead of skipping them.
"""

from __future__ import annotations

import asyncio
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

import fcntl
import numpy as np
import pytest

from gl_harness import in_ci
from loupe_tui.demo import ensure_demo
from loupe_tui.framebuffer import FrameReader
from loupe_tui.xvfb import have_xvfb

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "tui"))

from term_images import kitty_commands, kitty_image, sixel_images  # noqa: E402

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a Linux pty")

CELL = (8, 16)
KITTY = b"\x1b_Gi=4011;OK\x1b\\\x1b[?62;22c"      # the graphics query answered OK, then DA1
SIXEL = b"\x1b[?62;4;22c"                        # DA1 listing sixel (4)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return ensure_demo(tmp_path_factory.mktemp("demo"), hours=0.05, video_minutes=0.05, progress=lambda line: None)


@pytest.fixture
def needs_xvfb():
    """Frames are drawn on a private Xvfb: without one, CI fails and elsewhere the test skips."""
    if not have_xvfb():
        if in_ci():
            pytest.fail("terminal graphics tests need Xvfb (apt-get install xvfb libgl1-mesa-dri)")
        pytest.skip("needs Xvfb")


class Terminal:
    """``loupe-tui open`` on the demo EEG in a pty of ``cols`` x ``rows`` cells of 8x16 pixels, no display.

    ``answer`` is written once the app sends DA1 (``ESC [ c``), as a terminal answers its queries.
    """

    def __init__(self, tmp: Path, demo, answer: bytes | None, cols: int = 120, rows: int = 32):
        self.run_dir = Path(tempfile.mkdtemp(prefix="lt", dir="/tmp"))    # short: the socket lives here
        os.chmod(self.run_dir, 0o700)
        labels = tmp / "labels.csv"
        labels.write_bytes(Path(demo.labels).read_bytes())
        env = {**os.environ, "TERM": "xterm-256color", "XDG_RUNTIME_DIR": str(self.run_dir),
               "XDG_CACHE_HOME": str(tmp / "cache"), "XDG_CONFIG_HOME": str(tmp / "config")}
        # pytest-xdist workers export COLUMNS=80 LINES=24, which Textual would take over the pty's size
        for name in ("DISPLAY", "WAYLAND_DISPLAY", "LOUPE_TUI_GRAPHICS", "LOUPE_TUI_CACHE", "COLUMNS", "LINES"):
            env.pop(name, None)
        self.main, child = pty.openpty()
        fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, cols * CELL[0], rows * CELL[1]))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "loupe_tui", "open", str(demo.recording), "--group", demo.eeg_group,
             "--labels", str(labels), "--keymap", "rodent_sleep"],
            stdin=child, stdout=child, stderr=child, env=env, start_new_session=True, cwd=tmp)
        os.close(child)
        self.answer = answer
        self.asked = b""

    def read(self, quiet: float = 1.0, limit: float = 60.0, until: bytes | None = None) -> bytes:
        """What the app writes until it is quiet for ``quiet`` s (and ``until`` was written), at most ``limit`` s."""
        got, end, last = b"", time.monotonic() + limit, time.monotonic()
        while time.monotonic() < end and (time.monotonic() - last < quiet or (until is not None and until not in got)):
            ready, _, _ = select.select([self.main], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(self.main, 1 << 16)
            except OSError:
                break
            got, last = got + chunk, time.monotonic()
            if b"\x1b[c" in got and not self.asked:
                self.asked = got
                if self.answer is not None:
                    os.write(self.main, self.answer)
        return got

    def press(self, key: bytes, **kw) -> bytes:
        os.write(self.main, key)
        return self.read(**kw)

    def frame_file(self) -> Path:
        (path,) = self.run_dir.glob("loupe-gl-*/frames")
        return path

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        os.close(self.main)
        shutil.rmtree(self.run_dir, ignore_errors=True)


@pytest.fixture
def terminal(tmp_path, demo):
    made = []

    def start(answer, **kw):
        made.append(Terminal(tmp_path, demo, answer, **kw))
        return made[-1]
    yield start
    for t in made:
        t.close()


def transmissions(out: bytes) -> list[dict]:
    return [c for c in kitty_commands(out.decode("utf-8", "replace")) if c["keys"].get("a") == "T"]


def framebuffer_frame(term: Terminal) -> np.ndarray:
    with FrameReader(term.frame_file()) as reader:
        return reader.read(copy=True)[1]


def xvfb_children(pid: int) -> list[int]:
    """Pids of the Xvfb processes started by ``pid`` (read from /proc: the screen may cut the
    status line that names the display)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
            comm = stat.read_text().split("(", 1)[1].rsplit(")", 1)[0]
            ppid = int(fields[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if comm == "Xvfb" and ppid == pid:
            out.append(int(stat.parent.name))
    return out


def test_kitty_page_flip_is_the_render_process_frame_and_idle_writes_nothing(terminal, needs_xvfb):
    t = terminal(KITTY)
    start = t.read(quiet=1.5, limit=90, until=b"a=T,")
    assert b"\x1b_Gi=4011" in t.asked and b"\x1b[?1049h" not in t.asked, "asked before the screen changed"
    text = start.decode("utf-8", "replace")
    assert "frames in the terminal: kitty graphics (the terminal answered the query)" in text
    xvfb = xvfb_children(t.proc.pid)
    assert len(xvfb) == 1, f"one private Xvfb under the app: {xvfb}"
    (first,) = transmissions(start)

    flip = t.press(b"]", quiet=1.5)                 # page to the next window
    (sent,) = transmissions(flip)
    shown = kitty_image(sent)
    assert np.array_equal(shown, framebuffer_frame(t)), "the terminal shows the render process's frame, exactly"
    assert not np.array_equal(shown, kitty_image(first)), "a new page"
    cols, rows = int(sent["keys"]["c"]), int(sent["keys"]["r"])
    assert cols == 120 and shown.shape == (rows * CELL[1], cols * CELL[0], 3), "drawn at the cells' pixel size"
    assert "window 0:00:20" in flip.decode("utf-8", "replace")

    assert t.read(quiet=2.0, limit=2.0) == b"", "an idle scorer writes nothing"

    t.press(b"\x11", quiet=0.5, limit=10)          # Ctrl+Q: no unsaved edits, it quits
    assert t.proc.wait(15) == 0
    end = time.monotonic() + 10
    while Path(f"/proc/{xvfb[0]}").exists() and time.monotonic() < end:
        time.sleep(0.1)
    assert not Path(f"/proc/{xvfb[0]}").exists(), "its private Xvfb went with it"
    assert not list(t.run_dir.glob("loupe-gl-*")), "and so did the folder of the socket and the frames"


def test_sixel_terminal_shows_the_page_in_256_colours(terminal, needs_xvfb):
    t = terminal(SIXEL, cols=80, rows=30)
    start = t.read(quiet=1.5, limit=90, until=b"\x1bP0;1;0q")
    assert "frames in the terminal: sixel (the terminal lists it" in start.decode("utf-8", "replace")
    flip = t.press(b"]", quiet=1.5)
    (img,) = sixel_images(flip.decode("utf-8", "replace"))
    frame = framebuffer_frame(t)
    assert img.shape == frame.shape and (img >= 0).all(), "every pixel of the frame drawn, none past it"
    err = np.abs(img - frame.astype(np.int16)).max(axis=2)
    assert err.mean() < 2 and np.mean(err <= 8) > 0.99, (err.mean(), np.mean(err <= 8))


def test_a_silent_terminal_gets_the_text_views_and_the_scorer_works(terminal):
    t = terminal(None)
    start = t.read(quiet=1.0, limit=60, until=b"text views")
    text = start.decode("utf-8", "replace")
    after_query = start.split(b"\x1b[c", 1)[1]
    assert b"\x1b_G" not in after_query and b"\x1bP" not in after_query, "no graphics sent"
    # the status line may cut the end of the reason at this width: its start says it
    assert "terminal graphics off (the terminal did not answer" in text
    assert sum(0x2800 <= ord(c) <= 0x28FF for c in text) > 200, "the braille trace preview is drawn"
    assert "window 0:00:20" in t.press(b"]").decode("utf-8", "replace"), "keys page as before"


def test_frames_give_way_to_the_text_preview_while_the_window_is_down(demo, tmp_path, monkeypatch, needs_xvfb):
    """Pilot, with the real window offscreen: killed, the braille preview is back; F5 brings the frames back."""
    from loupe_tui.api import make_context
    from loupe_tui.config import TraceConfig
    from loupe_tui.tui.app import LoupeApp
    from loupe_tui.tui.graphics import TerminalGraphics

    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LOUPE_TUI_CACHE", str(tmp_path / "cache"))
    labels = tmp_path / "labels.csv"
    labels.write_bytes(Path(demo.labels).read_bytes())
    ctx = make_context([TraceConfig.from_path(demo.recording, group=demo.eeg_group)], interval_labels=labels,
                       state_definitions="rodent_sleep", title="demo")
    app = LoupeApp(ctx, graphics=TerminalGraphics("kitty", reason="kitty (test)"))

    async def until(pilot, cond, what, timeout=45.0):
        end = time.monotonic() + timeout
        while not cond():
            assert time.monotonic() < end, f"{what}: not within {timeout} s ({app.screen.bridge.status})"
            await pilot.pause(0.05)

    async def body():
        async with app.run_test(size=(120, 36)) as pilot:
            screen = app.screen
            frame, traces = screen.query_one("#frame"), screen.query_one("#traces")
            assert frame.display and not traces.display
            await until(pilot, lambda: frame.seq is not None, "the first frame")
            assert frame.pixel_size == (120 * 8, frame.size.height * 16)
            os.kill(screen.bridge.link.pid, signal.SIGKILL)
            await until(pilot, lambda: traces.display and not frame.display, "the braille preview back")
            assert "died" in screen.query_one("#status").text
            await pilot.press("f5")
            await until(pilot, lambda: frame.display and not traces.display and frame.seq is not None,
                        "frames again after F5")
            await pilot.press("ctrl+q")
            await pilot.pause(0.5)
    asyncio.run(body())
