"""The window drawing offscreen for the terminal (``python -m render --frames PATH``, issue 11).

The real window process, under Xvfb, with its frames going to the frame
buffer file instead of a window: what the terminal app reads there must be,
pixel for pixel, what a window of the same size shows, at whatever size the
terminal asks for (``SetFrameSize``); the file and the socket live in one
private folder that goes with the window. With ``CI`` set a missing Xvfb
fails these tests, as the other GL tests do.
"""

from __future__ import annotations

import stat

import numpy as np

from gl_harness import STATES, Harness, labels_message, sine_traces
from loupe_tui import protocol as P
from loupe_tui.config import TraceConfig
from loupe_tui.framebuffer import FrameReader
from loupe_tui.viewspec import build_spec

LABELS = [(0.0, 10.0, "Wake"), (10.0, 20.0, "NREM"), (20.0, 30.0, "REM")]


def initial(tmp) -> list[P.Message]:
    spec = build_spec([TraceConfig(sine_traces(tmp))], labels_states_colors=STATES, cache_dir=tmp / "c",
                      pyramid_cache=tmp / "p")
    return [P.LoadSession(spec), labels_message(LABELS), P.SetWindow(0.0, 30.0, 1), P.SetCursor(12.0, 1)]


def frame_after(h: Harness, *msgs: P.Message) -> P.FrameDrawn:
    n = len(h.events)
    h.send(*msgs)
    return h.wait_for(lambda m: isinstance(m, P.FrameDrawn), since=n)


def test_offscreen_frames_are_the_windows_frames_at_the_size_the_terminal_asks(gl_env, tmp_path):
    (tmp_path / "off").mkdir()
    (tmp_path / "ref").mkdir()
    off = Harness(gl_env, tmp_path / "off", size=(640, 384), frames=True)
    ref = Harness(gl_env, tmp_path / "ref", size=(800, 480))          # a window on the display, hidden
    try:
        msgs = initial(tmp_path)
        ready = off.start(msgs)
        assert (ready.width, ready.height) == (640, 384)
        path = off.link.frames_path
        folder = path.parent
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, "only this user can enter it"
        assert {p.name for p in folder.iterdir()} >= {"link.sock", "frames"}, "socket and frames: one folder"
        first = off.wait_for(lambda m: isinstance(m, P.FrameDrawn))
        reader = FrameReader(path)
        seq, small = reader.read(copy=True)
        assert seq == first.seq == 1 and small.shape == (384, 640, 3)

        # The terminal grew: a bigger file replaces the first, and the frame is laid out anew.
        assert frame_after(off, P.SetFrameSize(800, 480)).seq == 1
        assert reader.replaced()
        reader.close()
        reader = FrameReader(path)
        _, big = reader.read(copy=True)
        ref.start(msgs)
        shown = ref.snapshot()
        assert big.shape == shown.shape == (480, 800, 3)
        # What a window of that size shows: the same layout, names, ticks and hypnogram. Not always
        # bit for bit: the glyph atlas is filled in the order strings first appear (here at 640x384
        # first), so a few antialiased text pixels may differ by a level or two. A window started
        # at 800x480 offscreen is bit for bit its on-screen twin.
        diff = np.abs(big.astype(np.int16) - shown).max(axis=2)
        assert diff.max() <= 2 and np.count_nonzero(diff) <= 20, (diff.max(), np.count_nonzero(diff))

        # A page flip publishes the next window's frame with its seq; it is read once.
        assert frame_after(off, P.SetWindow(30.0, 60.0, 2), P.SetCursor(31.0, 2)).seq == 2
        assert reader.changed()
        seq, flipped = reader.read(copy=True)
        assert seq == 2 and not np.array_equal(flipped, big) and not reader.changed()

        # Smaller: the same file serves.
        frame_after(off, P.SetFrameSize(320, 200))
        assert not reader.replaced()
        assert reader.read(copy=True)[1].shape == (200, 320, 3)

        # A window on the display has no frame buffer: it says so and goes on drawing.
        n = len(ref.events)
        ref.send(P.SetFrameSize(100, 100))
        err = ref.wait_for(lambda m: isinstance(m, P.ErrorRaised), since=n)
        assert "started without --frames" in err.message and not err.fatal
        assert ref.snapshot().shape == (480, 800, 3)
        reader.close()
    finally:
        off.close()
        ref.close()
    assert not folder.exists(), "the private folder goes with the window"
