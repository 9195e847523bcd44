"""Videos in the real GL window (hidden, under Xvfb + Mesa): the frame drawn at the cursor is the
expected one pixel for pixel, gaps say so, a broken file shows its error while the traces draw,
visibility and the step target, playback at the video's rate that stops when paused.

Window 1600x900: the video column is ``compute_layout(...).video``; a 320x240 video fits there
at scale 1, so the decoded pixels land on the screen unchanged.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from gl_harness import STATES, Harness, sine_traces
from loupe_tui import protocol as P
from loupe_tui.config import TraceConfig, VideoConfig
from loupe_tui.viewspec import build_spec
from render.layout import compute_layout
from render.panels.video import PLACEHOLDER_RGBA, TARGET_RGBA, place_slots
from test_video_source import frame_times, make_video, reference_frames

pytest.importorskip("av")

W, H = 1600, 900


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    d = tmp_path_factory.mktemp("media")
    a, b = make_video(d / "a.mp4", 120), make_video(d / "b.mp4", 60, first=120)
    ta = frame_times(120, 5.0, gap_after=59, gap_s=1.0)
    tb = frame_times(60, float(ta[-1]) + 0.5, seed=1)
    np.save(d / "a.npy", ta)
    np.save(d / "b.npy", tb)
    broken = d / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64)
    refs = reference_frames(a)
    refs.update({120 + k: v for k, v in reference_frames(b).items()})
    return {"dir": d, "cam": VideoConfig([a, b], [d / "a.npy", d / "b.npy"], name="cam"),
            "broken": VideoConfig(broken, d / "b.npy", name="broken"), "times": np.concatenate([ta, tb]),
            "ref": refs}


@pytest.fixture(scope="module")
def win(gl_env, tmp_path_factory, media):
    tmp = tmp_path_factory.mktemp("videowin")
    h = Harness(gl_env, tmp, size=(W, H))
    h.start([])
    spec = build_spec([TraceConfig(sine_traces(tmp))], labels_states_colors=STATES,
                      videos=[media["cam"], media["broken"]], cache_dir=tmp / "cache", pyramid_cache=tmp / "pyr")
    h.send(P.LoadSession(spec), P.SetStateColors(STATES), P.SetWindow(0.0, 30.0, 1), P.SetCursor(5.0, 1))
    h.snapshot()
    yield h
    h.close()


def slots(visible=(True, True)):
    lay = compute_layout(W, H, [])
    sizes = [(320, 240) if i == 0 else (640, 480) for i, v in enumerate(visible) if v]  # broken: no size known
    return place_slots(lay.video, sizes)


def crop(img, rect):
    return img[int(rect.y):int(rect.y1), int(rect.x):int(rect.x1)]


def at(win, t, seq=[10]):
    seq[0] += 1
    win.send(P.SetCursor(float(t), seq[0]))
    return win.snapshot()


def test_the_frame_at_the_cursor_is_drawn_pixel_for_pixel(win, media):
    times, ref = media["times"], media["ref"]
    place = slots()[0]
    assert place.scale == 1 and place.out_size == (320, 240)
    rng = np.random.default_rng(4)
    picks = [int(i) for i in rng.integers(0, 180, 8)] + [39, 40, 41, 119, 120, 121, 0, 179]
    for i in picks:  # random, around a keyframe (every 40), across the file boundary (119 | 120)
        t = times[i] + rng.uniform(-0.005, 0.005)
        got = crop(at(win, t), place.image)
        np.testing.assert_array_equal(got, ref[i], err_msg=f"frame {i} at t={t}")


def test_a_gap_in_the_frame_times_shows_no_frame(win, media):
    times = media["times"]
    place = slots()[0]
    img = at(win, (times[59] + times[60]) / 2)
    got = crop(img, place.image)
    assert (got == PLACEHOLDER_RGBA[:3]).all(axis=-1).mean() > 0.9      # background and a line of text
    assert not any(np.array_equal(got, r) for r in media["ref"].values())
    img = at(win, times[0] - 1.0)                                         # before the first frame
    assert (crop(img, place.image) == PLACEHOLDER_RGBA[:3]).all(axis=-1).mean() > 0.9


def test_a_broken_video_shows_its_error_while_the_traces_and_other_video_draw(win, media):
    assert any("broken.mp4" in e for e in win.errors()), win.errors()
    img = at(win, media["times"][10])
    broken = crop(img, slots()[1].area)
    assert (broken != PLACEHOLDER_RGBA[:3]).any(axis=-1).sum() > 200       # its error text
    np.testing.assert_array_equal(crop(img, slots()[0].image), media["ref"][10])
    lay = compute_layout(W, H, [(4.5, 66)])
    plots = img[int(lay.data.y):int(lay.data.y1), int(lay.data.x):int(lay.data.x1)]
    assert (np.abs(plots.astype(int) - 22).sum(axis=-1) > 120).sum() > 2000  # trace pixels


def test_hiding_a_video_gives_its_room_to_the_others_and_the_step_target_is_framed(win, media):
    win.send(P.SetViewOption("video:1", {"visible": False}))
    img = at(win, media["times"][20])
    one = slots((True, False))[0]
    np.testing.assert_array_equal(crop(img, one.image), media["ref"][20])
    win.send(P.SetViewOption("video:1", {"visible": True}), P.SetViewOption("video", {"step_target": 1}))
    img = at(win, media["times"][20])
    im = slots()[1].image
    assert (img[int(im.y) - 1, int(im.x):int(im.x1)] == TARGET_RGBA[:3]).all()
    win.send(P.SetViewOption("video", {"step_target": 0}))


def test_playback_draws_at_the_video_rate_and_stops_when_paused(win, media):
    times = media["times"]
    at(win, times[2])
    n = len(win.events)
    win.send(P.VideoCommand("play", 0, 1.0))
    time.sleep(1.0)
    drawn = [m for m in win.events[n:] if isinstance(m, P.FrameDrawn)]
    win.send(P.VideoCommand("pause", 0))
    time.sleep(0.3)
    n2 = len(win.events)
    time.sleep(1.2)
    idle = [m for m in win.events[n2:] if isinstance(m, P.FrameDrawn)]
    assert len(drawn) >= 12, f"{len(drawn)} frames in 1 s of playback"  # ~30 when the machine is quiet
    assert not idle, "the window keeps drawing while paused"
    img = win.snapshot()                                   # the window's cursor moved ~1 s on
    got = crop(img, slots()[0].image)
    shown = [i for i, r in media["ref"].items() if np.array_equal(got, r)]
    assert len(shown) == 1 and 25 <= shown[0] <= 60, shown
