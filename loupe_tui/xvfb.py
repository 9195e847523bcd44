"""A private virtual X display (Xvfb) for headless GL: snapshots, tests, CI.

The GL window needs a display. Where there is none (SSH without X
forwarding, CI), ``loupe-tui snapshot`` and the test suite start their own
Xvfb with Mesa's software OpenGL (llvmpipe) and stop it when done. Nothing
here imports a GUI toolkit.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager


class XvfbError(RuntimeError):
    """Xvfb is missing or did not start; the message says which and how to fix it."""


class Xvfb:
    """One Xvfb server on a free display number (``-displayfd``), as a context manager.

    Parameters
    ----------
    size : (w, h)
        Screen size.
    timeout : float
        Seconds to wait for the server to come up.
    extra_args : sequence of str
        More Xvfb arguments (``["-extension", "MIT-SHM"]``).
    linger : int, optional
        The server exits by itself once it has had no client for this many
        seconds (Xvfb's ``-terminate``; its own start-up probe counts as one),
        so that it cannot outlive the process it serves even when that is
        killed. Default: it runs until :meth:`stop`.
    """

    def __init__(self, size: tuple[int, int] = (1920, 1080), timeout: float = 10.0, extra_args=(),
                 linger: int | None = None):
        self.size, self.timeout, self.extra_args = size, timeout, list(extra_args)
        self.linger = linger
        self.display: str | None = None
        self._proc: subprocess.Popen | None = None
        self._log = None

    def start(self) -> str:
        """Start the server; returns the display name (``":421"``).

        Display numbers are drawn at random from a high range (several test
        runs and ``xvfb-run`` may start servers at the same time); a taken
        number makes Xvfb exit at once and the next one is tried.
        """
        exe = shutil.which("Xvfb")
        if exe is None:
            raise XvfbError("Xvfb is not installed (Debian/Ubuntu: apt-get install xvfb libgl1-mesa-dri)")
        rng = random.Random()
        err = b""
        for _ in range(8):
            number = rng.randrange(100, 30000)
            if os.path.exists(f"/tmp/.X{number}-lock"):
                continue
            got, err = self._try(exe, number)
            if got:
                self.display = f":{got}"
                return self.display
        raise XvfbError(f"Xvfb did not start: {err.decode(errors='replace').strip()[-300:] or 'no display number'}")

    def _try(self, exe: str, number: int) -> tuple[str, bytes]:
        r, w = os.pipe()
        self._log = tempfile.TemporaryFile()  # never a pipe: a full pipe would stall the server
        try:
            self._proc = subprocess.Popen(
                # -noreset: by default Xvfb resets when its last client leaves (our readiness
                # probe is one), and a client connecting during the reset fails to open the
                # display: that was an intermittent "Failed to open display" under load.
                # -terminate N (linger) does not reset either: it exits after N s without clients.
                [exe, f":{number}", "-displayfd", str(w), "-screen", "0", f"{self.size[0]}x{self.size[1]}x24",
                 "-nolisten", "tcp", *self._lifetime(), "+extension", "GLX", *self.extra_args],
                pass_fds=(w,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log,
                start_new_session=True)
        finally:
            os.close(w)
        got = _read_line(r, self.timeout)
        os.close(r)
        if got and _wait_for_socket(int(got), self.timeout):
            return got, b""
        self.stop()
        self._log.seek(0)
        err = self._log.read()
        self._log.close()
        return "", err

    def _lifetime(self) -> list[str]:
        return ["-noreset"] if self.linger is None else ["-terminate", str(int(self.linger))]

    @property
    def running(self) -> bool:
        """The server was started and has not exited (a lingering one ends by itself)."""
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def env(self, base: dict | None = None) -> dict:
        """``base`` (default ``os.environ``) with DISPLAY set to this server and no Wayland."""
        env = dict(os.environ if base is None else base)
        env["DISPLAY"] = self.display or ""
        env.pop("WAYLAND_DISPLAY", None)
        return env

    def __enter__(self) -> Xvfb:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _read_line(fd: int, timeout: float) -> str:
    import select

    buf = b""
    end = time.monotonic() + timeout
    while b"\n" not in buf:
        left = end - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            break
        chunk = os.read(fd, 64)
        if not chunk:
            break
        buf += chunk
    return buf.decode().strip()


def _wait_for_socket(number: int, timeout: float) -> bool:
    """True once the server accepts connections (the display number is announced a bit earlier)."""
    path = f"/tmp/.X11-unix/X{number}"
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            try:
                s.connect(path)
                return True
            except OSError:
                time.sleep(0.02)
    return False


def have_xvfb() -> bool:
    """True when the Xvfb binary is on PATH."""
    return shutil.which("Xvfb") is not None


@contextmanager
def display_env(size: tuple[int, int] = (1920, 1080)) -> Iterator[dict]:
    """An environment with a display: this one's when ``DISPLAY`` is set, else a private Xvfb's (stopped after)."""
    if os.environ.get("DISPLAY"):
        yield dict(os.environ)
        return
    with Xvfb(size=size) as xvfb:
        yield xvfb.env()

