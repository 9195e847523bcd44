"""The frame path without GL: what makes the window draw, and how often (issue 11).

* the socket reader hands the loop every message written together as one batch (one key: one
  frame), a single message at once, a line cut in two as one message;
* a message that repeats the state draws nothing, a new ``seq`` alone is reported, not drawn,
  and nothing is drawn before the first messages;
* the canvas size comes from resize events, and the copy-sub-buffer presenter learns the size of
  Mesa's buffer only on the first frame and after a resize, never presenting a rectangle larger
  than that buffer.

The real window over a real X connection is in ``test_remote_frames.py``.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from loupe_tui import protocol as P
from render.canvas_size import CanvasSize
from render.connection import Connection
from render.present import CopySubBufferPresenter, SwapPresenter
from render.state import ViewState


# -- the socket reader ---------------------------------------------------------------------------
@pytest.fixture
def link(tmp_path):
    """A Connection to a socket this test writes to; yields (connection, server socket, wakes)."""
    path = str(tmp_path / "s.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    conn = Connection(path)
    peer, _ = server.accept()
    wakes = []

    def wake():
        wakes.append(time.monotonic())

    conn.wake = wake
    yield conn, peer, wakes
    conn.close()
    peer.close()
    server.close()


def wait_batches(conn, n: int, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while conn.batches < n:
        assert time.monotonic() < end, f"{conn.batches} batches, waited for {n}"
        time.sleep(0.002)


def test_messages_written_together_are_one_batch_and_one_wake(link):
    conn, peer, wakes = link
    peer.sendall(P.encode(P.ApplyLabelDiff((), ((0.0, 4.0, "REM"),))) + P.encode(P.SetCursor(4.0, 7)))
    wait_batches(conn, 1)
    assert [type(m).__name__ for m in conn.drain()] == ["ApplyLabelDiff", "SetCursor"]
    assert len(wakes) == 1 and conn.batches == 1


def test_a_big_write_in_many_pieces_is_one_batch(link):
    conn, peer, wakes = link
    labels = P.SetLabels(tuple(float(i) for i in range(20_000)), tuple(i + 1.0 for i in range(20_000)),
                         ("NREM",) * 20_000)
    data = P.encode(P.SetWindow(0.0, 20.0, 1)) + P.encode(labels) + P.encode(P.SetCursor(1.0, 1))
    assert len(data) > 300_000                          # more than one read, more than the socket buffer
    t = threading.Thread(target=peer.sendall, args=(data,))
    t.start()
    t.join(10)
    wait_batches(conn, 1)
    time.sleep(0.05)
    assert conn.batches == 1 and len(wakes) == 1
    assert [type(m).__name__ for m in conn.drain()] == ["SetWindow", "SetLabels", "SetCursor"]


def test_a_line_cut_in_two_is_waited_for(link):
    conn, peer, wakes = link
    data = P.encode(P.SetWindow(0.0, 20.0, 3)) + P.encode(P.SetCursor(2.0, 3))
    peer.sendall(data[:-10])
    time.sleep(0.1)
    assert conn.batches == 0 and not conn.drain()       # a whole line is there, but the next is cut
    peer.sendall(data[-10:])
    wait_batches(conn, 1)
    assert [type(m).__name__ for m in conn.drain()] == ["SetWindow", "SetCursor"]


def test_a_single_message_comes_at_once_and_batches_stay_apart(link):
    conn, peer, wakes = link
    for k in range(3):
        t0 = time.monotonic()
        peer.sendall(P.encode(P.SetCursor(float(k), k)))
        wait_batches(conn, k + 1)
        assert time.monotonic() - t0 < 0.05
        time.sleep(0.02)
    assert [m.seq for m in conn.drain()] == [0, 1, 2] and len(wakes) == 3


def test_wait_takes_one_message_at_a_time_and_drain_the_rest(link):
    conn, peer, _ = link
    peer.sendall(P.encode(P.Hello()) + P.encode(P.SetCursor(1.0, 1)))
    assert isinstance(conn.wait(5), P.Hello)
    assert [type(m).__name__ for m in conn.drain()] == ["SetCursor"]


def test_a_bad_line_is_answered_and_the_others_kept(link):
    conn, peer, _ = link
    peer.sendall(b"not json\n" + P.encode(P.SetCursor(1.0, 1)))
    wait_batches(conn, 1)
    assert [type(m).__name__ for m in conn.drain()] == ["SetCursor"]
    peer.settimeout(5)
    assert b"ErrorRaised" in peer.recv(4096)


def test_the_end_of_the_stream_is_noticed(link):
    conn, peer, wakes = link
    peer.sendall(P.encode(P.SetCursor(1.0, 1)))
    peer.shutdown(socket.SHUT_WR)
    end = time.monotonic() + 5
    while not conn.closed and time.monotonic() < end:
        time.sleep(0.01)
    assert conn.closed and [m.seq for m in conn.drain()] == [1]


# -- what is dirty -----------------------------------------------------------------------------
def test_repeating_the_state_marks_nothing():
    st = ViewState()
    msgs = [P.SetStateColors({"REM": [255, 0, 0], "NREM": [0, 0, 255]}),
            P.SetLabels((0.0, 4.0), (4.0, 8.0), ("REM", "NREM")), P.SetWindow(0.0, 20.0, 0),
            P.SetCursor(4.0, 0), P.SetSelection(None, None), P.SetFocus("trace:EEG"),
            P.SetViewOption("label_overlays", {"visible": True, "alpha": 32})]
    for m in msgs:
        assert st.apply(m)
    assert st.take_dirty() >= {"colors", "labels", "window", "cursor", "options", "focus"}
    for m in msgs:                                       # the full state, sent a second time
        assert st.apply(m)
    assert st.take_dirty() == set()
    st.apply(P.ApplyLabelDiff((), ((0.0, 4.0, "REM"),)))  # already there
    st.apply(P.ApplyLabelDiff(((9.0, 10.0, "REM"),), ()))  # not there
    assert st.take_dirty() == set()
    st.apply(P.SetViewOption("label_overlays", {"alpha": 32}))
    assert st.take_dirty() == set() and st.options_changed == {}
    st.apply(P.SetViewOption("label_overlays", {"alpha": 64, "visible": True}))
    assert st.take_dirty() == {"options"} and st.options_changed == {"alpha": 64}
    st.apply(P.SetViewOption("hypnogram", {"visible": True}))
    assert st.take_dirty() == {"options", "layout"}
    st.apply(P.SetViewOption("hypnogram", {"visible": True}))
    assert st.take_dirty() == set()


def test_a_new_seq_alone_is_reported_not_drawn():
    st = ViewState()
    st.apply(P.SetWindow(0.0, 20.0, 1))
    st.apply(P.SetCursor(4.0, 1))
    assert st.take_dirty() >= {"window", "cursor", "frame", "seq"}
    st.apply(P.SetWindow(0.0, 20.0, 2))
    st.apply(P.SetCursor(4.0, 2))
    assert st.take_dirty() == {"seq"} and st.seq == 2
    st.apply(P.SetCursor(8.0, 2))                        # moved under the same seq: drawn
    assert st.take_dirty() == {"cursor", "frame"}


class FakeCanvas:
    """What Window and the presenters use of a VisPy canvas."""

    def __init__(self, size=(1000, 600)):
        self.size = self.physical_size = size
        self.swaps = 0
        self._resize = []
        canvas = self

        class events:
            class resize:
                connect = staticmethod(lambda f: canvas._resize.append(f))

            class draw:
                connect = staticmethod(lambda f: None)

        self.events = events

    def swap_buffers(self):
        self.swaps += 1

    def resize(self, w, h):
        self.size = self.physical_size = (w, h)
        ev = type("ResizeEvent", (), {"size": (w, h), "physical_size": (w, h)})()
        for f in self._resize:
            f(ev)


def test_nothing_is_drawn_before_the_first_messages_and_a_repeated_seq_is_only_reported():
    from render.window import Window

    win = Window(FakeCanvas(), lambda m: None)
    win.state.dirty.add("expose")                        # the map's Expose, before any message
    assert win.state.dirty and not win.needs_frame
    win.apply(P.SetWindow(0.0, 20.0, 1))
    assert win.needs_frame and not win.report_only()
    win.state.take_dirty()
    win.apply(P.SetWindow(0.0, 20.0, 2))
    assert not win.needs_frame and win.report_only() and not win.state.dirty


def test_the_canvas_size_comes_from_resize_events():
    canvas = FakeCanvas((800, 500))
    size = CanvasSize(canvas)
    assert size.size == size.physical == (800, 500) and size.ratio == 1.0
    canvas.size = canvas.physical_size = None             # reading it again would fail now
    canvas.resize(640, 400)
    assert size.physical == (640, 400)
    size.set_physical((1280, 800))
    assert size.size == (1280, 800)
    hidpi = CanvasSize(size=(800, 500), physical=(1600, 1000))
    assert hidpi.ratio == 2.0
    hidpi.set_physical((1200, 800))
    assert hidpi.size == (600, 400)


def test_a_resize_marks_the_layout_only_when_the_size_changed():
    from render.window import Window

    canvas = FakeCanvas((1000, 600))
    win = Window(canvas, lambda m: None)
    win._relayout(win.size.physical)                    # what a frame lays out (no GL here)
    win.state.take_dirty()
    assert win.layout.size == (1000, 600)
    canvas.resize(1000, 600)                             # the map's ConfigureNotify: same size
    assert not win.state.dirty
    canvas.resize(900, 500)
    assert win.state.dirty == {"layout"} and win.size.physical == (900, 500)


# -- the presenter -------------------------------------------------------------------------------
class FakeServer:
    """The window's size as the X server gives it; ``sizes`` are the answers of successive reads."""

    def __init__(self, size):
        self.size = size
        self.sizes: list = []
        self.reads = 0
        self.mesa = None              # what Mesa's buffer got at its last validation
        self.copies: list = []

    def fb_size(self):
        self.reads += 1
        if self.sizes:
            self.size = self.sizes.pop(0)
        return self.size

    def validate(self):
        self.mesa = self.size

    def copy(self, x, y, w, h):
        assert (w, h) == self.mesa, f"copied {w}x{h} out of Mesa's {self.mesa} buffer"
        self.copies.append((x, y, w, h))


def presenter(size=(640, 400)):
    canvas = FakeCanvas(size)
    cache = CanvasSize(canvas)
    srv = FakeServer(size)
    p = CopySubBufferPresenter(canvas, cache, srv.copy, srv.fb_size, srv.validate)
    return p, canvas, cache, srv


def test_the_presenter_asks_the_server_only_on_the_first_frame_and_after_a_resize():
    p, canvas, cache, srv = presenter()
    p.before_draw()
    p.present()
    assert canvas.swaps == 1 and srv.reads == 2 and srv.copies == [(0, 0, 640, 400)]
    for _ in range(5):
        p.before_draw()
        p.present()
    assert canvas.swaps == 1 and srv.reads == 2 and len(srv.copies) == 6
    canvas.resize(640, 400)                              # same size (the map): nothing to learn
    p.before_draw()
    p.present()
    assert canvas.swaps == 1 and srv.reads == 2
    srv.size = (500, 300)
    canvas.resize(500, 300)
    p.before_draw()
    p.present()
    assert canvas.swaps == 2 and srv.reads == 4 and srv.copies[-1] == (0, 0, 500, 300)


def test_a_size_that_changes_under_the_presenter_is_never_copied_in_full():
    p, canvas, cache, srv = presenter()
    p.before_draw()
    p.present()
    # a drag in progress: the size changes between every two reads
    srv.sizes = [(600, 380), (590, 370), (580, 360), (570, 350), (560, 340), (550, 330)]
    canvas.resize(600, 380)
    p.before_draw()
    assert cache.physical == (550, 330)                  # the newest size the server gave
    n = len(srv.copies)
    p.present()                                          # unsure of Mesa's buffer: a plain swap
    assert len(srv.copies) == n
    p.before_draw()                                      # the drag stopped: learnt, copied again
    p.present()
    assert srv.copies[-1] == (0, 0, 550, 330) and cache.physical == (550, 330)


def test_the_swap_presenter_swaps():
    canvas = FakeCanvas()
    p = SwapPresenter(canvas)
    p.before_draw()
    p.present()
    p.resized()
    assert canvas.swaps == 1
