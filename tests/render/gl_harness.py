"""Fixtures and helpers for tests that run the real GL window (under Xvfb + Mesa).

* :func:`gl_env`: an environment with a display: ``$DISPLAY`` if set, else a
  private Xvfb started here. With ``CI`` set, a missing Xvfb fails the tests
  (they must not pass by skipping); elsewhere they skip with the reason.
* :class:`Harness`: a :class:`~loupe_tui.link.RenderLink` driven from sync
  tests through an asyncio loop in a thread: start, send, wait for events,
  snapshot to a numpy image.
* :class:`FakeInput`: real X key and mouse events (XTest) into the display.
* :func:`pixel_data`: small synthetic recordings whose drawing is predictable.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from loupe_tui import protocol as P
from loupe_tui.link import RenderLink
from loupe_tui.xvfb import Xvfb, XvfbError

SIZE = (1000, 600)
STATES = {"Wake": [0, 200, 40, 255], "NREM": [40, 30, 255, 255], "REM": [255, 40, 150, 255]}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


@contextlib.contextmanager
def private_display(what: str = "GL tests"):
    """A private Xvfb's environment (DISPLAY set, no Wayland) for the block.

    With ``CI`` set a missing or broken Xvfb fails ``what``; elsewhere it skips
    with the reason.
    """
    x = Xvfb()
    try:
        x.start()
    except XvfbError as exc:
        if in_ci():
            pytest.fail(f"{what} need a display: {exc}")
        pytest.skip(f"no display for {what}: {exc}")
    try:
        yield x.env()
    finally:
        x.stop()


@pytest.fixture(scope="session")
def gl_env():
    """Environment with a working display for the window process."""
    if os.environ.get("DISPLAY"):
        yield dict(os.environ)
        return
    with private_display() as env:
        yield env


class Harness:
    """A GL window for one test module, driven synchronously (``frames``: offscreen, for the terminal)."""

    def __init__(self, env: dict, tmp: Path, size=SIZE, hidden: bool = True, frames: bool = False):
        self.env, self.tmp, self.size = env, tmp, size
        self.events: list[P.Message] = []
        self._cond = threading.Condition()
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        cmd = [sys.executable, "-m", "render", "--size", f"{size[0]}x{size[1]}"] + (["--hidden"] if hidden else [])
        self.link = RenderLink(self._on_event, env=env, log_path=tmp / "render.log", command=cmd, frames=frames)
        self._snap = 0

    def _on_event(self, msg: P.Message) -> None:
        with self._cond:
            self.events.append(msg)
            self._cond.notify_all()

    def run(self, coro, timeout: float = 60.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self, initial: list[P.Message]) -> P.Ready:
        return self.run(self.link.start(initial))

    def restart(self, initial: list[P.Message]) -> P.Ready:
        return self.run(self.link.restart(initial))

    def send(self, *msgs: P.Message) -> None:
        """Queue ``msgs`` together, as the app sends the messages of one change (one write)."""
        self.loop.call_soon_threadsafe(lambda: [self.link.send(m) for m in msgs])

    def wait_for(self, pred, timeout: float = 30.0, since: int = 0) -> P.Message:
        """The first event (from index ``since``) for which ``pred`` is true."""
        end = time.monotonic() + timeout
        with self._cond:
            while True:
                for m in self.events[since:]:
                    if pred(m):
                        return m
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no matching event within {timeout} s; got {self.events[since:][-10:]}")
                self._cond.wait(left)

    def snapshot(self) -> np.ndarray:
        """The current frame as ``(h, w, 3)`` uint8 (after every message sent before)."""
        self._snap += 1
        path = self.tmp / f"snap{self._snap}.npy"
        n = len(self.events)
        self.send(P.Snapshot(str(path), self._snap))
        self.wait_for(lambda m: isinstance(m, P.SnapshotSaved) and m.seq == self._snap, since=n)
        return np.load(path)[..., :3]

    def errors(self, since: int = 0) -> list[str]:
        return [m.message for m in self.events[since:] if isinstance(m, P.ErrorRaised)]

    def close(self) -> None:
        try:
            self.run(self.link.stop(), timeout=15)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)


class FakeInput:
    """Real X input events (XTest) into the display the window is on."""

    def __init__(self, display: str):
        import ctypes
        import ctypes.util

        self.x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
        self.xtst = ctypes.CDLL(ctypes.util.find_library("Xtst") or "libXtst.so.6")
        self.x11.XOpenDisplay.restype = ctypes.c_void_p
        self.x11.XStringToKeysym.restype = ctypes.c_ulong
        self.x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        for f in (self.xtst.XTestFakeKeyEvent, self.xtst.XTestFakeButtonEvent, self.xtst.XTestFakeMotionEvent,
                  self.x11.XFlush, self.x11.XCloseDisplay, self.x11.XSync):
            f.argtypes = None
        self.dpy = ctypes.c_void_p(self.x11.XOpenDisplay(display.encode()))
        assert self.dpy.value, f"cannot open {display}"

    def key(self, *names: str) -> None:
        codes = [self.x11.XKeysymToKeycode(self.dpy, self.x11.XStringToKeysym(n.encode())) for n in names]
        for c in codes:
            self.xtst.XTestFakeKeyEvent(self.dpy, c, True, 0)
        for c in reversed(codes):
            self.xtst.XTestFakeKeyEvent(self.dpy, c, False, 0)
        self.x11.XSync(self.dpy, False)

    def move(self, x: int, y: int) -> None:
        self.xtst.XTestFakeMotionEvent(self.dpy, -1, x, y, 0)
        self.x11.XSync(self.dpy, False)

    def button(self, b: int, down: bool) -> None:
        self.xtst.XTestFakeButtonEvent(self.dpy, b, down, 0)
        self.x11.XSync(self.dpy, False)

    def close(self) -> None:
        self.x11.XCloseDisplay(self.dpy)


def sine_traces(tmp: Path) -> xr.DataArray:
    """3 traces, 100 Hz, 120 s: a 1 Hz sine (amplitude 1), a 3 Hz sine (amplitude 1000), a ramp."""
    fs, n = 100.0, 12_000
    t = np.arange(n) / fs
    data = np.stack([np.sin(2 * np.pi * t), 1000 * np.sin(2 * np.pi * 3 * t), t - 60]).astype(np.float32)
    return xr.DataArray(data, dims=("channel", "time"), name="sig",
                        coords={"channel": ["sine", "big", "ramp"], "time": t})


def dense_traces() -> xr.DataArray:
    """6 sines on one axis, each its own hue group (colour)."""
    fs, n = 100.0, 12_000
    t = np.arange(n) / fs
    data = np.stack([np.sin(2 * np.pi * (1 + k) * t) for k in range(6)]).astype(np.float32)
    return xr.DataArray(data, dims=("channel", "time"), name="dense",
                        coords={"channel": [f"d{k}" for k in range(6)], "grp": ("channel", list(range(6))),
                                "time": t})


DENSE_PALETTE = {0: "#ff0000", 1: "#00ff00", 2: "#0000ff", 3: "#ffff00", 4: "#00ffff", 5: "#ff00ff"}


def labels_message(spans) -> P.SetLabels:
    return P.SetLabels(tuple(s for s, _, _ in spans), tuple(e for _, e, _ in spans), tuple(lb for _, _, lb in spans))


# -- helpers for tests that drive the real app (Pilot) with the real window --------------
async def until(pilot, cond, what: str, timeout: float = 20.0, why=lambda: "") -> None:
    """Let the app run until ``cond()`` holds, or fail after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"{what}: not within {timeout:g} s. {why()}")
        await pilot.pause(0.05)


def spans(labels) -> list[tuple[float, float, str]]:
    names = labels.label_names
    return [(float(s), float(e), names[c]) for s, e, c in zip(labels.starts, labels.ends, labels.codes)]
