"""An idle scorer sends nothing to its terminal: over SSH, idle must cost no bytes (issue 11).

The real command runs in a pseudo-terminal (as over SSH); once its screen is
drawn and settled, every byte it writes during several seconds of idling is
counted. It used to repaint its status header once a second (805 B/s).
"""

from __future__ import annotations

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
import pytest

from loupe_tui.demo import ensure_demo

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a Linux pty")


def drain(fd: int, seconds: float) -> int:
    """Bytes the program writes to its terminal within ``seconds``."""
    n, end = 0, time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                n += len(os.read(fd, 65536))
            except OSError:
                break
    return n


def test_an_idle_scorer_writes_nothing_to_the_terminal(tmp_path):
    demo = ensure_demo(tmp_path / "demo", hours=0.05, video_minutes=0.05, progress=lambda line: None)
    labels = tmp_path / "labels.csv"
    labels.write_bytes(Path(demo.labels).read_bytes())
    env = {**os.environ, "TERM": "xterm-256color", "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "COLUMNS": "160", "LINES": "45"}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 45, 160, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "loupe_tui", "open", str(demo.recording), "--group",
                             demo.eeg_group, "--labels", str(labels), "--keymap", "rodent_sleep", "--no-window"],
                            stdin=child, stdout=child, stderr=child, env=env, start_new_session=True, cwd=tmp_path)
    os.close(child)
    try:
        start = drain(main, 8.0)                     # start-up: the screen, the pyramid, its progress
        assert start > 2000, f"the app drew {start} bytes"
        os.write(main, b"]")                         # page once, then let it settle
        assert drain(main, 2.0) > 0
        idle = drain(main, 4.0)
        assert idle == 0, f"{idle} bytes in 4 s of idling"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
        os.close(main)
