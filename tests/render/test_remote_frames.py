"""The GL window over a remote X connection: no round trips on the frame path, one frame per key,
one frame when it opens, and a resize still lays out and shows the whole frame (issue 11).

The real window draws through :class:`loupe_tui.xproxy.XProxy` (on 127.0.0.1) in front of a
private Xvfb without MIT-SHM, as over ``ssh -X``: every frame crosses the proxy as PutImage
and every request that waits for the server is counted. What is on the screen is read back
from the X server itself (``XGetImage`` on its own socket, not through the proxy) and compared,
pixel for pixel, with the window's own offscreen snapshot of the same state. With ``CI`` set a
missing Xvfb fails these tests, as the other GL tests do.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time

import numpy as np
import pytest

from gl_harness import STATES, Harness, in_ci, labels_message, sine_traces
from loupe_tui import protocol as P
from loupe_tui.config import TraceConfig
from loupe_tui.viewspec import build_spec
from loupe_tui.xproxy import TO_SERVER, XProxy, XServer
from render.xput import XImage

W, H = 640, 400
QUIET_S = 0.4


# -- reading the screen from the X server ------------------------------------------------------
class XScreen:
    """Finds the window by its title, resizes it and reads what it shows (Xlib through ctypes)."""

    def __init__(self, display: str):
        x = self.x = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
        x.XOpenDisplay.restype = ctypes.c_void_p
        x.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x.XDefaultRootWindow.restype = ctypes.c_ulong
        x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        x.XQueryTree.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong),
                                 ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.POINTER(ctypes.c_ulong)),
                                 ctypes.POINTER(ctypes.c_uint)]
        x.XFetchName.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(ctypes.c_char_p)]
        x.XResizeWindow.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_uint, ctypes.c_uint]
        x.XGetImage.restype = ctypes.POINTER(XImage)
        x.XGetImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int, ctypes.c_uint,
                                ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
        x.XDestroyImage.argtypes = [ctypes.POINTER(XImage)]
        x.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        x.XCloseDisplay.argtypes = [ctypes.c_void_p]
        x.XFree.argtypes = [ctypes.c_void_p]
        self.dpy = x.XOpenDisplay(display.encode())
        assert self.dpy, f"cannot open {display}"

    def window(self, title: str = "loupe-tui") -> int:
        x, found = self.x, []

        def walk(w: int) -> None:
            name = ctypes.c_char_p()
            if x.XFetchName(self.dpy, w, ctypes.byref(name)) and name.value == title.encode():
                found.append(w)
            root, parent = ctypes.c_ulong(), ctypes.c_ulong()
            kids, n = ctypes.POINTER(ctypes.c_ulong)(), ctypes.c_uint()
            if x.XQueryTree(self.dpy, w, ctypes.byref(root), ctypes.byref(parent), ctypes.byref(kids), ctypes.byref(n)):
                for i in range(n.value):
                    walk(kids[i])
                if kids:
                    x.XFree(kids)

        walk(x.XDefaultRootWindow(self.dpy))
        assert len(found) == 1, f"windows titled {title!r}: {found}"
        return found[0]

    def resize(self, win: int, w: int, h: int) -> None:
        self.x.XResizeWindow(self.dpy, win, w, h)
        self.x.XSync(self.dpy, 0)

    def grab(self, win: int, w: int, h: int) -> np.ndarray:
        """``(h, w, 3)`` uint8 RGB of what the window shows (depth 24, 32 bits a pixel)."""
        img = self.x.XGetImage(self.dpy, win, 0, 0, w, h, 0xFFFFFFFF, 2)  # ZPixmap
        assert img, "XGetImage failed"
        im = img.contents
        assert im.bits_per_pixel == 32 and im.byte_order == 0, (im.bits_per_pixel, im.byte_order)
        raw = ctypes.string_at(im.data, im.bytes_per_line * im.height)
        px = np.frombuffer(raw, np.uint8).reshape(im.height, im.bytes_per_line // 4, 4)[:, :im.width]
        out = px[..., 2::-1].copy()   # BGRX -> RGB
        self.x.XDestroyImage(img)
        return out

    def cover(self, win: int, w: int, h: int) -> None:
        """Map a plain window over the top-left of ``win`` and take it away: ``win`` is exposed."""
        x = self.x
        x.XCreateSimpleWindow.restype = ctypes.c_ulong
        x.XCreateSimpleWindow.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int, ctypes.c_uint,
                                          ctypes.c_uint, ctypes.c_uint, ctypes.c_ulong, ctypes.c_ulong]
        for name in ("XMapRaised", "XUnmapWindow", "XDestroyWindow"):
            getattr(x, name).argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        x.XTranslateCoordinates.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_int,
                                            ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int),
                                            ctypes.POINTER(ctypes.c_ulong)]
        root = x.XDefaultRootWindow(self.dpy)
        rx, ry, child = ctypes.c_int(), ctypes.c_int(), ctypes.c_ulong()
        x.XTranslateCoordinates(self.dpy, win, root, 0, 0, ctypes.byref(rx), ctypes.byref(ry), ctypes.byref(child))
        over = x.XCreateSimpleWindow(self.dpy, root, rx.value, ry.value, w, h, 0, 0, 0x00FF00)
        x.XMapRaised(self.dpy, over)
        x.XSync(self.dpy, 0)
        time.sleep(0.2)
        x.XUnmapWindow(self.dpy, over)
        x.XDestroyWindow(self.dpy, over)
        x.XSync(self.dpy, 0)

    def close(self) -> None:
        self.x.XCloseDisplay(self.dpy)


# -- the window through the proxy ---------------------------------------------------------------
class Remote:
    """A private Xvfb (no MIT-SHM), the proxy in front of it, and a reader of its screen."""

    def __init__(self, tmp):
        self.tmp = tmp
        try:
            self.server = XServer((1024, 768))
            self.server.start()
        except RuntimeError as exc:
            if in_ci():
                pytest.fail(f"the remote-display tests need Xvfb: {exc}")
            pytest.skip(f"no Xvfb: {exc}")
        self.proxy = XProxy(self.server.display, lifetime_s=600)
        self.proxy.start()
        self.screen = XScreen(self.server.display)
        self.win: Harness | None = None
        self.seq = 100

    def open(self, size=(W, H)) -> None:
        """The window as the terminal app opens it: LoadSession and the full state, then the full
        state again once it is up (``Bridge.start``)."""
        self.win = Harness(self.proxy.env(), self.tmp, size=size, hidden=False)
        initial, full = session_messages(self.tmp)
        self.win.start(initial)
        self.win.send(*full)
        self.win.wait_for(lambda m: isinstance(m, P.FrameDrawn) and m.seq == 1)
        assert self.proxy.wait_quiet(0.8, timeout=30)
        self.proxy.drain()

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def event(self, name: str, *msgs, seq: int | None = None):
        """Send ``msgs`` in one write; wait for the frame of ``seq`` and for the X link to go quiet.
        Returns the proxy's stats of the event and the FrameDrawn it caused."""
        win, px = self.win, self.proxy
        n = len(win.events)
        ev = px.mark(name)
        win.send(*msgs)
        if seq is not None:
            win.wait_for(lambda m: isinstance(m, P.FrameDrawn) and m.seq == seq, since=n)
            wait_started(ev)
        else:
            time.sleep(0.3)
        assert px.wait_quiet(QUIET_S, timeout=30)
        px.drain()
        time.sleep(0.1)                                   # a second frame would have been reported by now
        return ev, frames_since(win, n)

    def close(self) -> None:
        if self.win is not None:
            self.win.close()
        self.screen.close()
        self.proxy.stop()
        self.server.stop()


@pytest.fixture(scope="module")
def remote(tmp_path_factory):
    r = Remote(tmp_path_factory.mktemp("remote"))
    try:
        r.open()
        yield r
    finally:
        r.close()


def session_messages(tmp):
    spec = build_spec([TraceConfig(sine_traces(tmp))], labels_states_colors=STATES, cache_dir=tmp / "c",
                      pyramid_cache=tmp / "p")
    full = [P.SetStateColors(STATES), labels_message([(0.0, 8.0, "NREM"), (8.0, 12.0, "REM")]),
            P.SetWindow(0.0, 20.0, 1), P.SetCursor(0.0, 1), P.SetSelection(None, None),
            P.SetViewOption("epochs", {"epoch_len": 4.0, "t_start": 0.0}),
            P.SetViewOption("label_overlays", {"visible": True, "alpha": 32})]
    return [P.LoadSession(spec), *full], full


def wait_started(ev, grace_s: float = 0.5) -> None:
    """The frame is written before FrameDrawn is sent; give the proxy's threads the moment to read it
    (with no round trip in a frame, nothing else keeps the proxy from looking quiet meanwhile)."""
    end = time.monotonic() + grace_s
    while not ev.bytes[TO_SERVER] and time.monotonic() < end:
        time.sleep(0.005)


def frames_since(win, n):
    return [m for m in win.events[n:] if isinstance(m, P.FrameDrawn)]


def one_frame_bytes(w: int, h: int) -> int:
    """The pixels of a whole frame as PutImage sends them (32 bits a pixel, no row padded)."""
    return w * h * 4


def assert_shows(screen: np.ndarray, snapshot: np.ndarray) -> None:
    """The screen shows the frame the window draws offscreen: the same pixels, but for a few
    that blending rounds one unit apart in the window's framebuffer and in the offscreen one."""
    assert screen.shape == snapshot.shape
    d = np.abs(screen.astype(int) - snapshot.astype(int))
    assert d.max() <= 1 and (d > 0).mean() < 1e-3, (d.max(), int((d > 0).sum()))


def test_opening_draws_one_frame(tmp_path):
    r = Remote(tmp_path)
    try:
        opened = r.proxy.mark("open")
        r.open()
        frames = frames_since(r.win, 0)
        assert len(frames) == 1, frames
        whole = one_frame_bytes(W, H)
        # the frame (its flat parts filled, not put), the connection's set-up and glfw's first
        # swap (1x1): less than the pixels of one whole frame
        assert whole / 10 < opened.bytes[TO_SERVER] < whole, opened.bytes[TO_SERVER]
        assert_shows(r.screen.grab(r.screen.window(), W, H), r.win.snapshot())
        assert not r.win.errors()
    finally:
        r.close()


def test_a_page_flip_a_state_key_and_a_cursor_step_wait_for_nothing_and_put_only_what_changed(remote):
    """Over a network X connection a frame sends only what it changed (render/damage.py): a state
    key or a cursor step under a tenth of the window's pixels, a page flip under half; and after a
    run of such partial frames the window shows exactly what a whole frame of the same state shows."""
    whole = one_frame_bytes(W, H)
    xwin = remote.screen.window()
    for i in range(4):
        t = 20.0 * (i + 1)
        s = remote.next_seq()
        k = remote.next_seq()
        c = remote.next_seq()
        steps = [("page flip", (P.SetWindow(t, t + 20.0, s), P.SetCursor(t, s)), s, whole / 2),
                 ("state key", (P.ApplyLabelDiff((), ((t, t + 4.0, ("REM", "Wake")[i % 2]),)),
                                P.SetCursor(t + 4.0, k)), k, whole / 10),
                 ("cursor step", (P.SetCursor(t, c),), c, whole / 10)]
        for name, msgs, seq, bound in steps:
            ev, frames = remote.event(name, *msgs, seq=seq)
            assert len(frames) == 1, (name, frames)
            assert sum(ev.replies.values()) == 0, (name, dict(ev.replies))
            assert 0 < ev.bytes[TO_SERVER] < bound, (name, ev.bytes[TO_SERVER], bound)
    shown = remote.screen.grab(xwin, W, H)
    assert_shows(shown, remote.win.snapshot())
    # a whole frame of the same state: resizing away and back puts all of it
    for w2, h2 in ((W - 64, H - 64), (W, H)):
        n = len(remote.win.events)
        remote.screen.resize(xwin, w2, h2)
        remote.win.wait_for(lambda m: isinstance(m, P.FrameDrawn), since=n)
        assert remote.proxy.wait_quiet(QUIET_S, timeout=30)
    redrawn = remote.screen.grab(xwin, W, H)
    assert np.array_equal(shown, redrawn), int((shown != redrawn).any(axis=2).sum())
    assert not remote.win.errors()


def test_a_window_uncovered_is_put_whole_again(remote):
    """Partial frames assume the window still shows the last frame; when the server loses some of
    its pixels (another window lay over it), the next frame sends all of it."""
    xwin = remote.screen.window()
    s = remote.next_seq()
    remote.event("cursor", P.SetWindow(0.0, 20.0, s), P.SetCursor(6.0, s), seq=s)
    n = len(remote.win.events)
    exposed = remote.proxy.mark("expose")
    remote.screen.cover(xwin, W // 2, H // 2)       # a plain window over a quarter, then gone
    remote.win.wait_for(lambda m: isinstance(m, P.FrameDrawn), since=n)
    assert remote.proxy.wait_quiet(QUIET_S, timeout=30)
    remote.proxy.drain()
    assert exposed.bytes[TO_SERVER] > W * H * 4 / 10       # all of it again (its flat parts filled)
    assert_shows(remote.screen.grab(xwin, W, H), remote.win.snapshot())
    # and the next key is partial again
    s = remote.next_seq()
    ev, _ = remote.event("cursor step", P.SetCursor(10.0, s), seq=s)
    assert 0 < ev.bytes[TO_SERVER] < W * H * 4 / 10


def test_what_repeats_the_state_draws_nothing(remote):
    s = remote.next_seq()
    remote.event("set", P.SetWindow(100.0, 120.0, s), P.SetCursor(100.0, s),
                 P.SetViewOption("label_overlays", {"visible": True, "alpha": 32}), seq=s)
    ev, frames = remote.event("same option", P.SetViewOption("label_overlays", {"visible": True, "alpha": 32}))
    assert not frames and ev.bytes[TO_SERVER] == 0
    # the same window and cursor under a new seq: reported as drawn, and nothing crosses
    s = remote.next_seq()
    ev, frames = remote.event("same window", P.SetWindow(100.0, 120.0, s), P.SetCursor(100.0, s), seq=s)
    assert [f.seq for f in frames] == [s]
    assert ev.bytes[TO_SERVER] == 0 and sum(ev.replies.values()) == 0


def test_the_screen_shows_the_whole_frame_and_a_resize_lays_it_out_again(remote):
    win, px, screen = remote.win, remote.proxy, remote.screen
    xwin = screen.window()
    s = remote.next_seq()
    remote.event("cursor", P.SetWindow(0.0, 20.0, s), P.SetCursor(5.0, s), seq=s)
    assert_shows(screen.grab(xwin, W, H), win.snapshot())

    for w2, h2 in ((520, 330), (W, H)):       # smaller, then back
        n = len(win.events)
        resized = px.mark("resize")
        screen.resize(xwin, w2, h2)
        win.wait_for(lambda m: isinstance(m, P.FrameDrawn), since=n)
        assert px.wait_quiet(QUIET_S, timeout=30)
        px.drain()
        assert resized.bytes[TO_SERVER] >= w2 * h2 * 4
        snap = win.snapshot()
        assert snap.shape == (h2, w2, 3)
        assert_shows(screen.grab(xwin, w2, h2), snap)

        # after a resize, events are round-trip free again, at the new size
        s = remote.next_seq()
        ev, frames = remote.event("cursor step", P.SetCursor(9.0 + w2 / 1000, s), seq=s)
        assert len(frames) == 1 and sum(ev.replies.values()) == 0, dict(ev.replies)
        assert 0 < ev.bytes[TO_SERVER] < w2 * h2 * 4 / 10, (ev.bytes[TO_SERVER], dict(ev.requests))
        assert_shows(screen.grab(xwin, w2, h2), win.snapshot())
    assert not win.errors()


def test_playback_on_a_slow_link_drops_frames_instead_of_queueing_them(remote):
    """Played on a link slower than the frames it draws, the window sends each frame only once the
    last one is through: frames are dropped, not queued in the link, so pausing (or any key) is
    on screen after at most about one frame, not after a backlog."""
    from loupe_tui.xproxy import Link

    win, px = remote.win, remote.proxy
    s = remote.next_seq()
    remote.event("start", P.SetWindow(0.0, 60.0, s), P.SetCursor(0.0, s), seq=s)
    px.set_link(Link(0.3e6, 5.0))                       # 0.3 Mbit/s: a cursor frame takes ~40 ms
    try:
        n = len(win.events)
        played = px.mark("playing")
        win.send(P.VideoCommand("play", value=4.0))
        time.sleep(2.5)
        paused = px.mark("paused")
        t_pause = time.monotonic()
        win.send(P.VideoCommand("pause"))
        assert px.wait_quiet(0.3, timeout=30)
        drained_s = time.monotonic() - t_pause - 0.3
        frames = frames_since(win, n)
        sent = played.bytes[TO_SERVER] + paused.bytes[TO_SERVER]
        link_bytes = 0.3e6 / 8 * (2.5 + drained_s)
        # the frames drawn are what the link carried (none left waiting in it): 2.5 s of frames
        # at 0.3 Mbit/s, and the pause on the screen within about one frame's time, not seconds
        assert len(frames) >= 10, len(frames)
        assert sent <= link_bytes * 1.1, (sent, link_bytes)
        assert drained_s < 0.5, drained_s
    finally:
        px.set_link(Link())
        win.send(P.VideoCommand("pause"))
    assert not win.errors()
