"""The window's pure parts, without GL: key mapping, label columns, layout, ticks, view state."""

from __future__ import annotations

import glfw
import numpy as np
import pytest

from loupe_tui import protocol as P
from render.input import key_from_char, key_from_glfw
from render.labelspans import UNSCORED, LabelSpans
from render.layout import GUTTER, compute_layout
from render.panels.time_axis import tick_label, ticks
from render.state import ViewState


@pytest.mark.parametrize("key,mods,name,want", [
    (glfw.KEY_PAGE_UP, 0, None, "pageup"),
    (glfw.KEY_RIGHT, glfw.MOD_SHIFT, None, "shift+right"),
    (glfw.KEY_SPACE, 0, None, "space"),
    (glfw.KEY_F5, 0, None, "f5"),
    (glfw.KEY_KP_ENTER, 0, None, "enter"),
    (glfw.KEY_S, glfw.MOD_CONTROL, "s", "ctrl+s"),
    (glfw.KEY_N, glfw.MOD_CONTROL | glfw.MOD_SHIFT, "n", "ctrl+shift+n"),
    (glfw.KEY_W, 0, "w", None),                 # plain characters come from the char callback
    (glfw.KEY_LEFT_SHIFT, glfw.MOD_SHIFT, None, None),
])
def test_glfw_keys_become_canonical_keys(key, mods, name, want):
    assert key_from_glfw(key, mods, name) == want


def test_typed_characters_keep_shift_and_layout():
    assert key_from_char(ord("W")) == "W"
    assert key_from_char(ord("]")) == "]"
    assert key_from_char(ord("?")) == "?"
    assert key_from_char(ord(" ")) is None  # space is a named key


def test_label_columns_show_the_majority_state():
    spans = LabelSpans(["Wake", "NREM", "REM"])
    spans.set([0, 10, 20], [10, 20, 30], ["Wake", "REM", "NREM"])
    cols = spans.columns(0, 30, 30)
    assert cols[:10].tolist() == [0] * 10 and cols[10:20].tolist() == [2] * 10 and cols[20:].tolist() == [1] * 10
    assert spans.columns(30, 40, 5).tolist() == [UNSCORED] * 5
    cov = spans.coverage(5, 25, 2)  # seconds per state in [5, 15) and [15, 25)
    np.testing.assert_allclose(cov, [[5, 0], [0, 5], [5, 5]])


def test_label_diffs_and_unknown_states():
    spans = LabelSpans(["Wake"])
    spans.set([0], [10], ["Wake"])
    spans.apply_diff(removed=[(0, 10, "Wake")], added=[(0, 4, "Wake"), (4, 10, "Artifact")])
    assert spans.states == ["Wake", "Artifact"]
    assert spans.columns(0, 10, 10).tolist() == [0] * 4 + [1] * 6


def test_21600_spans_cost_little():
    import time

    starts = np.arange(21_600) * 4.0
    spans = LabelSpans(["A", "B", "C"])
    spans.set(starts, starts + 4, np.array(["A", "B", "C"])[np.arange(21_600) % 3])
    spans.columns(0, 86_400, 1500)  # builds the per-state arrays once
    t = time.perf_counter()
    for _ in range(10):
        spans.columns(1000, 1010, 1500)
        spans.columns(0, 86_400, 1500)
    assert (time.perf_counter() - t) / 20 < 0.01


def test_layout_shares_one_data_area():
    lay = compute_layout(1600, 900, [(3, 60), (8, 120)])
    assert lay.data.x == GUTTER and lay.panels[0].y < lay.panels[1].y
    assert lay.data_rect(0).x == lay.data_rect(1).x == lay.data.x
    assert lay.hypnogram is not None and lay.hypnogram.x >= lay.data.x1
    assert lay.axis.y >= lay.panels[-1].y1
    no_side = compute_layout(400, 300, [(1, 20)])
    assert no_side.hypnogram is None and no_side.video is None


def test_videos_go_beside_or_below_the_plots():
    right = compute_layout(1600, 900, [(1, 60)])
    assert right.video.x >= right.data.x1 and right.video.y1 < right.hypnogram.y  # right column, above the hypnogram
    below = compute_layout(1600, 900, [(1, 60)], video_below=True)
    v = below.video
    assert v.y >= below.axis.y1 and v.x == below.data.x and v.w == below.data.w  # under the time axis, same x range
    assert below.panels[-1].y1 < right.panels[-1].y1  # the plots gave up the height
    assert below.hypnogram.x >= below.data.x1 and below.hypnogram.h > right.hypnogram.h  # hypnogram has the column
    assert v.y1 <= 900


@pytest.mark.parametrize("span,width,step", [(10, 1200, 1), (3600, 1200, 300), (86_400, 1200, 7200)])
def test_ticks_are_readable(span, width, step):
    ts, got = ticks(0, span, width)
    assert got == step and ts[0] == 0
    assert tick_label(3725, 300) == "1:02:05"
    assert tick_label(1.5, 0.5) == "0:00:01.5"


def test_state_remembers_what_changed():
    st = ViewState()
    st.take_dirty()
    st.apply(P.SetWindow(10, 20, 3))
    st.apply(P.SetCursor(12, 4))
    assert st.take_dirty() >= {"window", "cursor"} and st.seq == 4
    st.apply(P.SetWindow(10, 20, 5))  # same window: the seq is reported, nothing drawn or fetched
    d = st.take_dirty()
    assert d == {"seq"} and st.seq == 5
    st.apply(P.SetSelection(30, 25))
    assert st.selection == (25, 30)
    st.apply(P.SetStateColors({"REM": [255, 0, 0]}))
    assert st.colors["REM"] == (255, 0, 0, 255)


def test_hypnogram_zoom_shows_a_stretch_around_the_window():
    from render.layout import Rect
    from render.panels.base import Frame
    from render.panels.hypnogram import Hypnogram

    st = ViewState()
    hyp = Hypnogram((0.0, 86_400.0))
    hyp.set_rect(Rect(1000, 600, 300, 200))
    frame = Frame(None, (1600, 900), 40_000.0, 40_030.0, st)
    assert hyp.view_range(frame) == (0.0, 86_400.0)
    st.apply(P.SetViewOption("hypnogram", {"zoom": True}))
    a, b = hyp.view_range(frame)
    assert b - a == 1800.0 and a < 40_000.0 and b > 40_030.0
    hyp.view = (a, b)
    assert abs(hyp.time_at(hyp.bars.x + hyp.bars.w / 2) - (a + b) / 2) < 1e-6  # clicks map to the zoomed range


def test_every_video_dialog_result_is_accepted_by_the_window():
    # The TUI's dialogs and the window's video panel must agree on targets and
    # option names: a mismatch showed as "no view option target 'video:0'".
    from loupe_tui.tui.bridge import view_messages
    from loupe_tui.tui.view import ViewModel
    from render.panels.video import VideoPlaceholder

    panel = VideoPlaceholder([{"name": "side"}, {"name": "top"}])
    view = ViewModel(videos=["side", "top"])
    changes = [view.set_play_speed(2.0), view.set_video_target(1), view.set_videos_visible((True, False)),
               view.toggle_video_position()]
    for msg in (m for c in changes for m in view_messages(c)):
        assert msg.target in panel.targets(), msg
        assert panel.set_option(msg.target, dict(msg.options)) == [], msg
    assert panel.settings == [{"visible": True, "speed": 2.0, "step_target": 1, "position": "below"},
                              {"visible": False, "speed": 2.0, "step_target": 1, "position": "below"}]
