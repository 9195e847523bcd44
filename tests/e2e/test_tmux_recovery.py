"""End to end in a real terminal: ``loupe-tui open ... --no-window`` in a detached tmux.

Score epochs by sending keys, kill the process with SIGKILL (no chance to
save), start it again, and find every label: the journal is replayed, the
status line says so, and saving writes them all.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

import pytest

from loupe_tui.core.labels import IntervalLabelSet
from loupe_tui.demo import ensure_demo

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")

SCORED = [(120.0, "Wake"), (124.0, "NREM"), (128.0, "REM"), (132.0, "Artifact"),
          (136.0, "Wake"), (140.0, "NREM"), (144.0, "REM"), (148.0, "Wake")]
KEYS = ["w", "n", "r", "a", "w", "n", "r", "1"]        # "1" is Wake's second key


class Tmux:
    """A private tmux server (its own socket) running one command at 160x45."""

    def __init__(self, name: str, env: dict):
        self.base = ["tmux", "-L", name, "-f", "/dev/null"]
        self.env = env

    def run(self, *args: str, check: bool = True) -> str:
        out = subprocess.run([*self.base, *args], env=self.env, capture_output=True, text=True, timeout=30)
        if check and out.returncode:
            raise AssertionError(f"tmux {' '.join(args)}: {out.stderr}")
        return out.stdout

    def start(self, cmd: list[str]) -> int:
        self.run("new-session", "-d", "-s", "e2e", "-x", "160", "-y", "45", "exec " + shlex.join(cmd))
        return int(self.run("display-message", "-p", "-t", "e2e", "#{pane_pid}").strip())

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "e2e", check=False)

    def keys(self, *keys: str) -> None:
        for k in keys:
            self.run("send-keys", "-t", "e2e", k)
            time.sleep(0.08)

    def wait_for(self, text: str, timeout: float = 60.0, regex: bool = False) -> str:
        """The screen once ``text`` (or the regex) is on it: a capture can land
        mid-repaint, so every fact about the screen is waited for, never assumed."""
        t = time.monotonic()
        while time.monotonic() - t < timeout:
            screen = self.screen()
            if (re.search(text, screen) if regex else text in screen):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; screen:\n{self.screen()}")

    def kill_server(self) -> None:
        self.run("kill-server", check=False)


def test_kill_9_then_restart_recovers_every_label(tmp_path):
    demo = ensure_demo(tmp_path / "demo", hours=0.1, video_minutes=0.1, progress=lambda line: None)
    labels = tmp_path / "night.csv"
    shutil.copy(demo.labels, labels)
    # pytest-xdist workers export COLUMNS=80 LINES=24, which Textual would take
    # over the real size of the tmux pane: the app must see the terminal.
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env.update({"LOUPE_TUI_CACHE": str(tmp_path / "cache"), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
                "TERM": "xterm-256color", "COLORTERM": "truecolor"})
    cmd = [sys.executable, "-m", "loupe_tui", "open", str(demo.recording), "--group", "eeg",
           "--labels", str(labels), "--keymap", "rodent_sleep", "--no-window"]
    tmux = Tmux(f"loupe-e2e-{os.getpid()}", env)
    try:
        pid = tmux.start(cmd)
        tmux.wait_for("▶EEG")                                  # traces drawn: the app is up
        tmux.keys(":")
        tmux.keys(*"goto 2:00", "Enter")
        tmux.wait_for("cursor 0:02:00.0")
        tmux.keys(*KEYS)
        tmux.wait_for("cursor 0:02:32.0")                      # auto-advanced past 8 epochs
        tmux.wait_for("unsaved edits (safe in the journal)")
        os.kill(pid, signal.SIGKILL)
        t = time.monotonic()
        while "e2e" in tmux.run("list-sessions", check=False) and time.monotonic() - t < 10:
            time.sleep(0.1)
        assert labels.with_name("night.csv.loupe-journal").exists()
        assert not labels.with_name("night.scored.csv").exists()

        tmux.start(cmd)
        tmux.wait_for("▶EEG")
        # (a key that re-labels an epoch with its own state is no edit: count only what changed)
        tmux.wait_for(r"recovered \d+ unsaved edit\(s\) from night.csv.loupe-journal", regex=True)
        tmux.keys("C-q")
        tmux.wait_for("Save to night.scored.csv")
        tmux.keys("y")
        t = time.monotonic()
        while not labels.with_name("night.scored.csv").exists() and time.monotonic() - t < 10:
            time.sleep(0.1)
    finally:
        tmux.kill_server()
    saved = IntervalLabelSet.read(labels.with_name("night.scored.csv"))
    for start, state in SCORED:
        assert saved.at_time(start + 1.0).label == state, start
    assert not labels.with_name("night.csv.loupe-journal").exists()   # a save clears the journal
