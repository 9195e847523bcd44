"""The GL window crashes, is closed, or hangs: the real terminal app (Textual Pilot) with
the real window process on a private Xvfb keeps scoring, says what happened and how to
restart (F5), and F5 brings back a window with the full state, edits made while it was
down included (checked on the window's own frame: a Snapshot).

* crash: SIGKILL the window process;
* closed: the user closes the window (a WM_DELETE_WINDOW client message, what a window
  manager sends when its close button is clicked);
* hang: SIGSTOP the window process; state keys keep their latency, the link never blocks
  on the full socket, the watchdog reports "not responding", F5 kills it and restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
import time

import numpy as np
import pytest

import gl_harness
from gl_harness import spans, until
from loupe_tui import protocol as P
from loupe_tui.api import make_app
from loupe_tui.config import TraceConfig
from loupe_tui.core.labels import journal_path_for
from loupe_tui.demo import ensure_demo
from loupe_tui.link import RenderLink
from render.layout import compute_layout
from render.panels.marks import CURSOR_RGBA
from render.window import PANEL_RGBA

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs X11 and POSIX signals")

TERMINAL = (140, 42)


@pytest.fixture(scope="module")
def private_display():
    """Always a private Xvfb (even with $DISPLAY set): real key events need a known screen."""
    with gl_harness.private_display("the GL failure tests") as env:
        yield env


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return ensure_demo(tmp_path_factory.mktemp("demo"), hours=0.1, video_minutes=0.1, progress=lambda line: None)


class _ClientMessage(ctypes.Structure):   # XClientMessageEvent
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                ("display", ctypes.c_void_p), ("window", ctypes.c_ulong), ("message_type", ctypes.c_ulong),
                ("format", ctypes.c_int), ("l", ctypes.c_long * 5)]


class _XEvent(ctypes.Union):
    _fields_ = [("xclient", _ClientMessage), ("pad", ctypes.c_long * 24)]


class X11Close:
    """Close a window as a window manager does: a WM_DELETE_WINDOW ClientMessage (libX11 by ctypes)."""

    def __init__(self, display: str):
        x = self.x = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
        x.XOpenDisplay.restype = ctypes.c_void_p
        x.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x.XDefaultRootWindow.restype = ctypes.c_ulong
        x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        x.XInternAtom.restype = ctypes.c_ulong
        x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        x.XQueryTree.argtypes = [ctypes.c_void_p, ctypes.c_ulong] + [ctypes.c_void_p] * 4
        x.XGetWindowProperty.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_long,
                                         ctypes.c_long, ctypes.c_int, ctypes.c_ulong] + [ctypes.c_void_p] * 5
        x.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
        x.XFree.argtypes = [ctypes.c_void_p]
        x.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        x.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self.dpy = x.XOpenDisplay(display.encode())
        assert self.dpy, f"cannot open {display}"

    def windows_of(self, pid: int) -> list[int]:
        """Top-level windows whose _NET_WM_PID is ``pid``."""
        x, c = self.x, ctypes
        root, parent, children, n = c.c_ulong(), c.c_ulong(), c.POINTER(c.c_ulong)(), c.c_uint()
        x.XQueryTree(self.dpy, x.XDefaultRootWindow(self.dpy), c.byref(root), c.byref(parent),
                     c.byref(children), c.byref(n))
        wm_pid = x.XInternAtom(self.dpy, b"_NET_WM_PID", 0)
        out = []
        for i in range(n.value):
            w = children[i]
            typ, fmt, nitems, after, data = c.c_ulong(), c.c_int(), c.c_ulong(), c.c_ulong(), c.POINTER(c.c_long)()
            if x.XGetWindowProperty(self.dpy, w, wm_pid, 0, 1, 0, 0, c.byref(typ), c.byref(fmt), c.byref(nitems),
                                    c.byref(after), c.byref(data)) == 0 and data:
                if nitems.value and data[0] == pid:
                    out.append(w)
                x.XFree(data)
        if children:
            x.XFree(children)
        return out

    def close(self, window: int) -> None:
        ev = _XEvent()
        ev.xclient.type = 33  # ClientMessage
        ev.xclient.window = window
        ev.xclient.message_type = self.x.XInternAtom(self.dpy, b"WM_PROTOCOLS", 0)
        ev.xclient.format = 32
        ev.xclient.l[0] = self.x.XInternAtom(self.dpy, b"WM_DELETE_WINDOW", 0)
        ev.xclient.l[1] = 0  # CurrentTime
        assert self.x.XSendEvent(self.dpy, window, 0, 0, ctypes.byref(ev))
        self.x.XSync(self.dpy, 0)

    def disconnect(self) -> None:
        self.x.XCloseDisplay(self.dpy)


class Scene:
    """The app with its GL window, ready; helpers to see what the window shows."""

    def __init__(self, app, pilot, tmp_path, log):
        self.app, self.pilot, self.tmp, self.log = app, pilot, tmp_path, log
        self.screen = app.main
        self.session, self.bridge = self.screen.session, self.screen.bridge
        self.events: list[P.Message] = []
        dispatch = self.bridge.on_event

        def tee(msg):
            self.events.append(msg)
            return dispatch(msg)

        self.bridge.on_event = tee
        self._snap = 0

    def why(self) -> str:
        tail = self.log.read_text(errors="replace")[-600:] if self.log.exists() else "(no render.log)"
        return f"status:\n{self.status}\nevents: {self.events[-8:]}\nrender.log: {tail}"

    @property
    def status(self) -> str:
        return self.screen.status_bar.text

    async def ready(self, timeout: float = 45) -> P.Ready:
        await until(self.pilot, lambda: self.bridge.alive and self.bridge.last_draw_ms is not None
                    and "GL: " in self.status, "GL window ready", timeout, self.why)
        return self.bridge.link.ready

    async def score(self, keys: str) -> list[float]:
        """Press state keys in the terminal; the handler time of each (ms)."""
        out = []
        for k in keys:
            n = len(self.screen.key_ms)
            await self.pilot.press(k)
            assert len(self.screen.key_ms) == n + 1, f"key {k!r} not handled"
            out.append(self.screen.key_ms[-1])
        return out

    async def snapshot(self) -> np.ndarray:
        self._snap += 1
        path = self.tmp / f"snap{self._snap}.npy"
        self.bridge.send(P.Snapshot(str(path), 9000 + self._snap))
        await until(self.pilot, lambda: any(isinstance(m, P.SnapshotSaved) and m.seq == 9000 + self._snap
                                            for m in self.events), "snapshot", 20, self.why)
        return np.load(path)[..., :3].astype(int)

    def check_frame(self, img: np.ndarray, ready: P.Ready, scored: list[tuple[float, float, str]]) -> None:
        """The label strip shows ``scored`` at the session's window, nothing after; the cursor line is where it is."""
        s, states = self.session, self.screen.states
        lay = compute_layout(ready.width, ready.height, [(1.0, 0.0)])
        data, strip = lay.data, lay.strip
        t0, t1 = s.window_start, s.window_end
        x_of = lambda t: data.x + (t - t0) / (t1 - t0) * data.w  # noqa: E731
        cols = lambda a, b: slice(int(np.ceil(x_of(a))) + 1, int(x_of(b)) - 1)  # noqa: E731
        row = img[int(strip.y + strip.h / 2)]
        assert scored, "nothing to check"
        for a, b, name in scored:
            assert t0 <= a < b <= t1, (a, b, t0, t1)
            rgb = np.array(states.color_for(name)[:3])
            assert (np.abs(row[cols(a, b)] - rgb) <= 1).all(), f"{name} at {a}-{b} s in the strip: {self.why()}"
        end = max(b for _, b, _ in scored)
        if end < t1 - 1:
            assert (np.abs(row[cols(end, t1)] - np.array(PANEL_RGBA[:3])) <= 1).all(), "nothing after the labels"
        plot = img[int(data.y):int(data.y1)]
        yellow = (plot[:, int(data.x):int(data.x1)] == CURSOR_RGBA[:3]).all(axis=-1).sum(axis=0)
        line = data.x + np.nonzero(yellow > 0.8 * plot.shape[0])[0]
        assert len(line) and abs(line.mean() + 0.5 - x_of(s.cursor)) <= 1.0, ("cursor", line, x_of(s.cursor))


def run_scene(private_display, demo, tmp_path, monkeypatch, body) -> dict:
    """Run the app with its window, call ``await body(scene)``, quit; returns what body stored."""
    for k in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("DISPLAY", private_display["DISPLAY"])
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    labels_path = tmp_path / "labels.csv"
    app = make_app([TraceConfig.from_path(demo.recording, group=demo.eeg_group)], interval_labels=labels_path,
                   state_definitions="rodent_sleep", window=True, cache_dir=tmp_path / "pyramids", title="fail")
    app.context.link_log = log = tmp_path / "render.log"
    result: dict = {"labels_path": labels_path}

    async def scenario() -> None:
        async with app.run_test(size=TERMINAL) as pilot:
            scene = Scene(app, pilot, tmp_path, log)
            try:
                await body(scene, result)
            finally:
                for pid in result.get("stopped", ()):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGCONT)
                if scene.bridge.link is not None and scene.bridge.link.alive:
                    await scene.bridge.stop()

    asyncio.run(scenario())
    return result


def journal_lines(labels_path) -> int:
    j = journal_path_for(labels_path)
    return len(j.read_bytes().splitlines()) if j.exists() else 0


async def score_while_down(sc: Scene, labels_path, keys: str = "rwn") -> list[tuple[float, float, str]]:
    """Page once and score epochs by terminal keys while the window is down; check labels and journal."""
    before, lines = spans(sc.session.labels), journal_lines(labels_path)
    await sc.pilot.press("]")
    e, c0 = sc.session.epoch_len, sc.session.cursor
    await sc.score(keys)
    names = {"r": "REM", "w": "Wake", "n": "NREM"}
    new = [(c0 + i * e, c0 + (i + 1) * e, names[k]) for i, k in enumerate(keys)]
    assert spans(sc.session.labels) == before + new, spans(sc.session.labels)
    assert sc.session.cursor == c0 + len(keys) * e
    assert journal_lines(labels_path) > lines, "every edit is journaled while the window is down"
    return new


def test_killed_window_scoring_goes_on_and_f5_restores_the_full_state(private_display, demo, tmp_path,
                                                                       monkeypatch):
    async def body(sc: Scene, res: dict) -> None:
        ready = await sc.ready()
        await sc.score("r")                                   # one label before the crash
        first = spans(sc.session.labels)
        os.kill(ready.pid, signal.SIGKILL)
        await until(sc.pilot, lambda: not sc.bridge.alive and "died" in sc.status, "death reported", 10, sc.why)
        assert "F5" in sc.status and "exited unexpectedly" in sc.status, sc.status
        new = await score_while_down(sc, res["labels_path"])
        assert "F5" in sc.status and "died" in sc.status, "the GL line keeps saying so"
        t = time.monotonic()
        await sc.pilot.press("f5")
        ready2 = await sc.ready()
        res["restart_s"] = time.monotonic() - t
        assert ready2.pid != ready.pid
        with pytest.raises(ProcessLookupError):
            os.kill(ready.pid, 0)
        sc.check_frame(await sc.snapshot(), ready2, new)
        assert spans(sc.session.labels) == first + new

    run_scene(private_display, demo, tmp_path, monkeypatch, body)


def test_window_closed_by_the_user_scoring_goes_on_and_f5_reopens(private_display, demo, tmp_path, monkeypatch):
    x = X11Close(private_display["DISPLAY"])

    async def body(sc: Scene, res: dict) -> None:
        ready = await sc.ready()
        wins = x.windows_of(ready.pid)
        assert len(wins) == 1, f"the window of pid {ready.pid}: {wins}"
        x.close(wins[0])
        await until(sc.pilot, lambda: not sc.bridge.alive and "closed" in sc.status, "close reported", 10, sc.why)
        assert "F5" in sc.status and "died" not in sc.status and "unexpectedly" not in sc.status, sc.status
        assert any(isinstance(m, P.Closed) for m in sc.events)
        new = await score_while_down(sc, res["labels_path"])
        await sc.pilot.press("f5")
        ready2 = await sc.ready()
        assert ready2.pid != ready.pid and len(x.windows_of(ready2.pid)) == 1
        sc.check_frame(await sc.snapshot(), ready2, new)

    try:
        run_scene(private_display, demo, tmp_path, monkeypatch, body)
    finally:
        x.disconnect()


def test_hung_window_does_not_freeze_the_app_is_reported_and_f5_replaces_it(private_display, demo, tmp_path,
                                                                            monkeypatch):
    monkeypatch.setattr(RenderLink, "PING_INTERVAL_S", 0.5)
    monkeypatch.setattr(RenderLink, "HANG_TIMEOUT_S", 2.0)

    async def body(sc: Scene, res: dict) -> None:
        ready = await sc.ready()
        base = await sc.score("r")                         # latency with a live window
        os.kill(ready.pid, signal.SIGSTOP)
        res["stopped"] = [ready.pid]
        t_stop = time.monotonic()
        # The app does not freeze: state keys complete at their usual latency.
        t = time.perf_counter()
        new = await score_while_down(sc, res["labels_path"], "rw")
        res["keys_wall_ms"] = (time.perf_counter() - t) * 1e3 / 3
        res["key_ms"] = sc.screen.key_ms[-2:]
        res["base_ms"] = base
        assert max(res["key_ms"]) < 100, res["key_ms"]
        assert res["keys_wall_ms"] < 500, "a key through the whole Pilot round trip: no freeze"
        # Flood the link while nobody reads: send() never blocks, the socket fills, the rest waits in memory.
        link = sc.bridge.link
        t = time.perf_counter()
        for k in range(20_000):
            sc.bridge.send(P.Ping(-1 - k))       # negative seq: never mistaken for the watchdog's Ping
        res["flood_ms"] = (time.perf_counter() - t) * 1e3
        await sc.pilot.pause(0.3)
        assert res["flood_ms"] < 1000, res["flood_ms"]
        assert link._writer is not None and link._writer.transport.get_write_buffer_size() > 0, \
            "the socket is full and the writer waits (without blocking the app)"
        res["flood_key_ms"] = await sc.score("n")
        assert res["flood_key_ms"][0] < 100
        # The watchdog: "not responding" after HANG_TIMEOUT_S.
        await until(sc.pilot, lambda: "not responding" in sc.status, "hang reported", 10, sc.why)
        res["detect_s"] = time.monotonic() - t_stop
        assert "F5" in sc.status and link.hung, sc.status
        scored = spans(sc.session.labels)
        # F5 kills the stopped process (no Quit handshake: it cannot answer) and starts a new window.
        t = time.monotonic()
        await sc.pilot.press("f5")
        ready2 = await sc.ready()
        res["restart_s"] = time.monotonic() - t
        assert ready2.pid != ready.pid and not sc.bridge.link.hung
        await until(sc.pilot, lambda: not os.path.exists(f"/proc/{ready.pid}"), "hung process gone", 5, sc.why)
        e = sc.session.epoch_len
        c = new[-1][1]
        assert scored[-1] == (c, c + e, "NREM")
        sc.check_frame(await sc.snapshot(), ready2, new + [scored[-1]])

    res = run_scene(private_display, demo, tmp_path, monkeypatch, body)
    print(f"\nhang: keys {res['base_ms']} ms live, {res['key_ms']} ms stopped (wall {res['keys_wall_ms']:.0f} ms/key);"
          f" 20000 sends {res['flood_ms']:.0f} ms; reported after {res['detect_s']:.1f} s;"
          f" F5 to ready {res['restart_s']:.1f} s")
