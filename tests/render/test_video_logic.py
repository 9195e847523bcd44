"""Video logic without a display: slot placement, the playback clock, what the panel shows and
requests (stale frames never shown, prefetch hints), the window's playback tick, `--video` parsing."""

from __future__ import annotations

import numpy as np
import pytest

from loupe_tui import protocol as P
from loupe_tui.errors import LoupeConfigError
from render.layout import Rect
from render.panels.video import TITLE_H, VideoPanel, place_slots
from render.state import PlaybackClock


def test_slots_stack_and_fit_on_whole_pixels():
    rect = Rect(1200, 4, 390, 618)
    small, big = place_slots(rect, [(320, 240), (1920, 1080)])
    assert small.scale == 1 and small.out_size == (320, 240)            # fits: drawn as decoded
    assert (small.image.w, small.image.h) == (320, 240) and small.image.x == int(small.image.x)
    assert big.scale == 1 and big.out_size[0] <= 382 and abs(big.out_size[0] / big.out_size[1] - 16 / 9) < 0.02
    assert big.area.y >= small.area.y1                                   # one above the other
    tiny = place_slots(rect, [(100, 75)])[0]
    assert tiny.scale == 3 and tiny.out_size == (100, 75) and tiny.image.w == 300  # blown up by a whole factor
    assert tiny.area.y == rect.y + TITLE_H


def test_playback_clock_follows_wall_time_and_ignores_the_app_following_along():
    c = PlaybackClock()
    c.play(100.0, now=0.0, speed=2.0)
    assert c.time(1.5) == 103.0
    assert not c.sync(103.05, now=1.5)          # the app's cursor, close to ours: keep our clock
    assert c.time(1.5) == 103.0
    assert c.sync(500.0, now=1.5)               # a jump: follow it
    assert c.time(2.0) == 501.0
    c.set_speed(10.0, now=2.0)                  # clamped to 4x
    assert c.speed == 4.0 and c.time(2.5) == 503.0
    assert c.pause(3.0) == 505.0 and c.time(99.0) == 505.0 and not c.sync(1.0, now=99.0)


class FakeSource:
    """Frames 0..99 at 10 fps from t=0; ``ready`` says which are decoded."""

    def __init__(self):
        self.times = np.arange(100) / 10.0
        self.n_frames, self.rate, self.native_size, self.warnings = 100, 10.0, (64, 48), []
        self.ready: dict[int, np.ndarray] = {}
        self.requests, self.hints, self.size = [], [], None

    def frame_index_at(self, t):
        i = int(np.argmin(np.abs(self.times - t)))
        return i if abs(self.times[i] - t) <= 0.04 else None

    def cached(self, i):
        return self.ready.get(i)

    def error_at(self, i):
        return "cam.mp4: frame 66 cannot be decoded" if i == 66 else None

    def request(self, i):
        self.requests.append(i)

    def prefetch(self, hints):
        self.hints.append(tuple(hints))

    def set_output_size(self, size):
        self.size = size

    def close(self):
        pass


def panel_with(src):
    panel = VideoPanel([{"name": "cam"}])
    panel.slots[0].source = src
    panel.set_rect(Rect(0, 0, 400, 600))
    return panel


def test_the_panel_shows_only_the_frame_at_the_cursor():
    src = FakeSource()
    panel = panel_with(src)
    slot = panel.slots[0]
    assert src.size == (64, 48)
    src.ready[10] = np.zeros((48, 64, 3), np.uint8)
    panel.update(1.0, 0.0, 5.0)
    assert slot.shown == 10 and slot.status == ""
    src.ready[11] = np.ones((48, 64, 3), np.uint8)   # decoded for an older request...
    panel.update(3.0, 0.0, 5.0)                      # ...but the cursor is at frame 30 now
    assert slot.shown == 10 and slot.want == 30 and src.requests[-1] == 30
    assert slot.status == "decoding..." and panel.pending()
    panel.update(3.03, 0.0, 5.0, playing=True)       # while playing: no "decoding" flash
    assert slot.status == ""
    panel.update(2.95, 0.0, 5.0)                     # in no frame's tolerance: say so
    assert slot.want is None and slot.status == "no frame at this time" and src.requests[-1] is None
    panel.update(6.6, 0.0, 5.0)
    assert "cannot be decoded" in slot.status
    assert panel.texts()[0][0] == "cam"


def test_prefetch_hints_are_the_next_frame_pages_and_epochs_or_read_ahead_when_playing():
    src = FakeSource()
    panel = panel_with(src)
    panel.update(3.0, 0.0, 2.0, epoch=(1.0, 0.0))
    assert src.hints[-1] == (31, 50, 10, 40, 20, 29)  # next frame, next/previous page, next/previous epoch, previous frame
    panel.update(3.0, 0.0, 2.0, playing=True)
    assert src.hints[-1][0] == 31 and len(src.hints[-1]) >= 2


def test_video_options_and_targets():
    panel = VideoPanel([{"name": "a"}, {"name": "b"}])
    assert panel.set_option("video", {"step_target": 1, "speed": 2.0, "bogus": 1}) == ["bogus"]
    assert panel.step_target == 1 and panel.speed == 2.0
    panel.set_option("video:0", {"visible": False})
    assert not panel.visible(0) and panel.visible(1)
    panel.set_rect(Rect(0, 0, 400, 600))
    assert panel.slots[0].place is None and panel.slots[1].place is not None
    assert panel.target_at(10, 300) == "video:1"


def test_the_window_plays_on_its_own_clock_and_asks_the_app_to_page(monkeypatch):
    from render import window as W

    class Canvas:
        size = physical_size = (1000, 600)

        class events:
            class resize:
                connect = staticmethod(lambda f: None)

            class draw:
                connect = staticmethod(lambda f: None)

    sent = []
    win = W.Window(Canvas(), sent.append)
    now = [1000.0]
    monkeypatch.setattr(W.time, "monotonic", lambda: now[0])
    win.state.apply(P.SetWindow(0.0, 10.0, 1))
    win.state.apply(P.SetCursor(9.5, 1))
    win.apply(P.VideoCommand("play", 0, 1.0))
    now[0] += 0.25
    win.tick()
    assert win.state.cursor == pytest.approx(9.75) and not [m for m in sent if isinstance(m, P.PageRequested)]
    now[0] += 0.75
    win.tick()                                  # past the window: the app is asked to page, once
    assert win.state.cursor == pytest.approx(10.5) and (win.state.t0, win.state.t1) == (0.0, 10.0)
    now[0] += 0.1
    win.tick()
    assert [m.t for m in sent if isinstance(m, P.PageRequested)] == [pytest.approx(10.5)]
    win.apply(P.SetWindow(10.0, 20.0, 6))       # the app paged
    win.apply(P.SetCursor(10.55, 7))            # the app following: not applied, its seq is
    win.tick()
    assert win.state.cursor == pytest.approx(10.6) and win.state.seq == 7
    win.apply(P.VideoCommand("pause", 0))
    now[0] += 5.0
    win.state.take_dirty()
    win.tick()
    assert win.state.cursor == pytest.approx(10.6) and not win.needs_frame   # paused: nothing to draw
    assert win.wait_timeout(1.0) == 1.0
    win.apply(P.VideoCommand("rewind", 0))
    assert "unknown video action" in sent[-1].message


def test_video_arguments_join_files_with_commas(tmp_path):
    from loupe_tui.commands.open import video_configs

    for name in ("a.mp4", "b.mp4"):
        (tmp_path / name).write_bytes(b"")
    for name, start in (("a.npy", 0.0), ("b.npy", 10.0)):
        np.save(tmp_path / name, start + np.arange(5) / 10)
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    one, both = video_configs([(a + ".mp4", a + ".npy"), (f"{a}.mp4,{b}.mp4", f"{a}.npy,{b}.npy")])
    assert len(one.video_paths) == 1 and len(both.video_paths) == 2 and len(both.frame_times()) == 10
    with pytest.raises(LoupeConfigError, match="2 video files but 1 frame-times files"):
        video_configs([(f"{a}.mp4,{b}.mp4", a + ".npy")])


def test_frame_steps_land_on_frame_times():
    panel = panel_with(FakeSource())
    assert panel.step_time(0, 3.0, 1) == pytest.approx(3.1) and panel.step_time(0, 3.0, -2) == pytest.approx(2.8)
    assert panel.step_time(0, 3.02, -1) == pytest.approx(3.0) and panel.step_time(0, 9.9, 5) == pytest.approx(9.9)
    assert panel.step_time(1, 3.0, 1) is None
