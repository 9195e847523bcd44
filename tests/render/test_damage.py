"""Sending only what changed (render/damage.py, render/present.py): the window always ends up
showing exactly the frame drawn, a small change sends a small rectangle, and flat runs are
filled rather than put.

The X window is modelled here as an array the plan's requests are applied to (``Plan.apply``,
which also checks that every fill is flat in the frame); the real window over a real X
connection is in test_remote_frames.py."""

from __future__ import annotations

import numpy as np
import pytest

from render.canvas_size import CanvasSize
from render.damage import DamageTracker, Plan, plan_frame
from render.present import CopySubBufferPresenter, wants_damage
from test_frame_path import FakeCanvas


def frame(h=90, w=130, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 4, size=(h, w, 4), dtype=np.uint8)


def shown_after(prev, cur, plan: Plan):
    out = prev.copy() if prev is not None else np.full_like(cur, 77)
    plan.apply(out, cur)
    return out


def same_colour(a, b):
    return np.array_equal(a[..., :3], b[..., :3])       # the window ignores the fourth byte


def test_nothing_changed_sends_nothing_and_one_pixel_puts_one_column_of_one_band():
    t = DamageTracker(band=8)
    a = frame()
    assert t.update(a).whole
    assert t.update(a.copy()).empty
    b = a.copy()
    b[37, 101, 1] ^= 1
    p = t.update(b)
    assert p.put_list() == [(101, 32, 1, 8)] and not len(p.fills)


@pytest.mark.parametrize("h,w", [(90, 130), (64, 64), (7, 5), (901, 1600)])
def test_the_requests_turn_the_old_frame_into_the_new_exactly(h, w):
    rng = np.random.default_rng(h * w)
    prev = frame(h, w, 1)
    prev[: h // 2, : w // 2] = (20, 30, 40, 255)           # flat areas, as behind traces
    for k in range(6):
        cur = prev.copy()
        for _ in range(int(rng.integers(1, 40))):          # scattered dots, lines, flat and noisy blocks
            y, x = int(rng.integers(0, h)), int(rng.integers(0, w))
            dy, dx = int(rng.integers(1, 30)), int(rng.integers(1, 50))
            if rng.random() < 0.5:
                cur[y:y + dy, x:x + dx] = (k, 2 * k, 3 * k, 255)
            else:
                cur[y:y + dy, x:x + dx] += 1
        plan = plan_frame(prev, cur)
        assert same_colour(shown_after(prev, cur, plan), cur)
        for x, y, rw, rh in plan.put_list() + [r for rs in plan.fill_dict().values() for r in rs]:
            assert 0 <= x and 0 <= y and rw > 0 and rh > 0 and x + rw <= w and y + rh <= h
        prev = cur
    whole = plan_frame(None, cur)                           # unknown window: all of it, by fills and puts
    assert whole.whole and same_colour(shown_after(None, cur, whole), cur)


def test_a_change_is_sent_by_its_own_columns_and_a_flat_one_as_a_fill():
    a = frame(96, 400)
    b = a.copy()
    b[:, 200:203] += 1                                  # a noisy line, full height: pixels
    plan = plan_frame(a, b)
    assert plan.put_list() == [(200, 0, 3, 96)] and not len(plan.fills)   # one rectangle, grown down the bands
    c = a.copy()
    c[:, 100:160] = (10, 20, 30, 0)                     # a label band recoloured: one fill
    plan = plan_frame(a, c)
    assert plan.fill_dict() == {0x1E140A: [(100, 0, 60, 96)]} and not len(plan.puts)
    assert plan.request_bytes() < 100 < 60 * 96 * 4


def test_a_fill_ends_where_the_colour_or_the_flatness_does():
    a = np.zeros((16, 50, 4), np.uint8)
    b = a.copy()
    b[:, 0:20] = (1, 1, 1, 0)
    b[:, 20:40] = (2, 2, 2, 0)
    b[3, 30] = (9, 9, 9, 0)                             # a tick in the first band of the second run
    plan = plan_frame(a, b, band=8)
    assert same_colour(shown_after(a, b, plan), b)
    assert plan.fill_dict() == {0x010101: [(0, 0, 20, 16)], 0x020202: [(20, 0, 10, 8), (20, 8, 20, 8), (31, 0, 9, 8)]}
    assert plan.put_list() == [(30, 0, 1, 8)]


def test_past_the_limit_puts_are_joined_and_still_cover_every_change():
    a = frame(64, 400)
    b = a.copy()
    b[:, ::3] += 1                                      # a comb: 134 runs in each band
    plan = plan_frame(a, b, max_puts=10)
    assert len(plan.puts) <= 10
    assert same_colour(shown_after(a, b, plan), b)


def test_a_new_size_or_an_invalidated_window_is_sent_whole():
    t = DamageTracker()
    t.update(frame())
    assert t.update(frame(40, 40)).whole
    assert not t.update(frame(40, 40)).whole
    t.invalidate()
    assert t.update(frame(40, 40)).whole


def test_frames_of_three_channels_compare_too():
    a = frame()[..., :3].copy()
    b = a.copy()
    b[5, 6, 2] += 1
    assert plan_frame(a, b, band=8).put_list() == [(6, 0, 1, 8)]
    with pytest.raises(ValueError, match="shape"):
        plan_frame(a, a[:10])


class Screen:
    """The window on the X server: what it shows, and the bytes each frame put."""

    def __init__(self, size):
        self.size = size
        self.back = np.zeros((size[1], size[0], 4), np.uint8)
        self.shown = np.full_like(self.back, 255)       # unknown until the first put
        self.put = 0
        self.flushes = 0

    def resize(self, w, h):
        self.size = (w, h)
        self.back = np.full((h, w, 4), 5, np.uint8)
        self.shown = np.zeros_like(self.back)

    def fb_size(self):
        return self.size

    def copy(self, x, y, w, h):
        self.shown[y:y + h, x:x + w] = self.back[y:y + h, x:x + w]
        self.put += w * h * 4

    def read_back(self, w, h):
        assert (w, h) == self.size
        return self.back.copy()

    def fence(self):
        return 0

    def wait(self, fence):
        pass

    def forget(self, fence):
        pass

    def send(self, frame, plan):                        # what XPainter does, on the model
        plan.apply(self.shown, frame)
        self.put += plan.request_bytes()
        self.flushes += 1


def damage_presenter(size=(200, 120)):
    canvas = FakeCanvas(size)
    scr = Screen(size)
    p = CopySubBufferPresenter(canvas, CanvasSize(canvas), scr.copy, scr.fb_size, lambda: None,
                               read_back=scr.read_back, damage=DamageTracker(), painter=scr)
    return p, canvas, scr


def test_the_presenter_puts_changes_and_the_window_shows_every_frame_drawn():
    p, canvas, scr = damage_presenter()
    rng = np.random.default_rng(7)
    whole = 200 * 120 * 4
    for k in range(12):
        scr.back[rng.integers(0, 120), :, :] = k       # a row
        scr.back[:, rng.integers(0, 200), 0] = 255 - k  # a column
        scr.put = 0
        p.before_draw()
        p.present()
        assert np.array_equal(scr.shown, scr.back), k
        assert scr.put < whole / 4 if k else p.last_plan.whole
    assert scr.flushes == 12
    scr.put = 0
    p.before_draw()
    p.present()                                         # the same frame again: nothing put
    assert scr.put == 0 and p.last_plan.empty


def test_an_exposed_or_resized_window_is_put_whole_on_the_next_frame():
    p, canvas, scr = damage_presenter()
    p.before_draw()
    p.present()
    scr.shown[:] = 9                                    # another window lay over it
    p.invalidate()
    scr.back[3, 3] = 1
    p.before_draw()
    p.present()
    assert np.array_equal(scr.shown, scr.back)
    scr.resize(150, 100)                                # the server resized it: its pixels are unknown
    canvas.resize(150, 100)
    scr.put = 0
    p.before_draw()
    p.present()
    assert p.last_plan.whole and np.array_equal(scr.shown, scr.back)


@pytest.mark.parametrize("display,mode,expected", [
    ("localhost:10.0", "", True), ("lab-pc:0", "", True), ("127.0.0.1:5", "", True), ("[::1]:11", "", True),
    (":0", "", False), ("unix:0", "", False), ("/tmp/launch-x/org.xquartz:0", "", False),
    (":0", "damage", True), ("localhost:10.0", "full", False)])
def test_damage_is_used_where_the_frame_crosses_a_network_socket(display, mode, expected):
    assert wants_damage(display, mode) is expected


def test_frames_in_a_run_wait_for_the_frame_before_and_a_lone_frame_does_not():
    t = [0.0]
    log = []
    p, canvas, scr = damage_presenter()
    scr.fence = lambda: (log.append(("fence", t[0])), t[0])[1]
    scr.wait = lambda f: log.append(("wait", f))
    scr.forget = lambda f: log.append(("forget", f))
    p._clock = lambda: t[0]
    for k, when in enumerate([0.0, 1.0, 1.1, 1.2, 1.3, 5.0]):   # a lone frame, a run of four, a lone one
        t[0] = when
        scr.back[k, :, 0] = 200 + k
        p.before_draw()
        p.present()
    # the run's frames send fences; each waits for the one of the frame before; the lone frame
    # after the run sends none and forgets the last fence
    assert log == [("fence", 1.1), ("fence", 1.2), ("wait", 1.1), ("fence", 1.3), ("wait", 1.2), ("forget", 1.3)]
    assert p.synced == 2
