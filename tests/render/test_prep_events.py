"""Global event markers: window selection, one per column, styles, dash patterns."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from loupe_tui.config import GlobalEventsConfig
from loupe_tui.io.events import EventStyle
from render.prep.events import DASH_PATTERNS, GlobalEventMarkers, dash_mask, dash_runs, dash_segments

ROOT = Path(__file__).resolve().parents[2]


def config() -> GlobalEventsConfig:
    df = pl.DataFrame({"time": [5.0, 12.5, 20.0, 33.3, 47.1, 12.75],
                       "kind": ["stim", "lick", "stim", "blink", "lick", "lick"]})
    return GlobalEventsConfig(df, style_events_on="kind", style_kwargs={
        "stim": {"line_color": "#ff8800", "line_width": 2.0},
        "lick": {"line_color": (100, 200, 255), "line_style": "dashed"},
        "blink": {"line_alpha": 100}})


def test_window_per_class_with_resolved_styles():
    frames = GlobalEventMarkers(config()).window(10.0, 40.0, 300)
    assert [f.key for f in frames] == ["blink", "lick", "stim"]  # config class order (sorted)
    blink, lick, stim = frames
    np.testing.assert_array_equal(lick.t, [12.5, 12.75])
    np.testing.assert_allclose(lick.x, [25.0, 27.5], atol=1e-4)
    assert lick.line_style == "dashed" and tuple(lick.rgba) == (100, 200, 255, 200)
    assert stim.t.tolist() == [20.0] and stim.width_px == 2.0 and tuple(stim.rgba) == (255, 136, 0, 200)
    assert blink.t.tolist() == [33.3] and blink.rgba[3] == 100 and blink.width_px == 1.5


def test_events_outside_the_window_are_left_out():
    m = GlobalEventMarkers(config())
    assert all(len(f) == 0 for f in m.window(50.0, 60.0, 100))
    assert all(len(f) == 0 for f in m.window(-10.0, 5.0, 100))  # half-open: 5.0 is not in [-10, 5)
    assert [len(f) for f in m.window(5.0, 5.1, 100)] == [0, 0, 1]


def test_one_per_pixel_column_keeps_every_column():
    rng = np.random.default_rng(2)
    times = rng.uniform(0, 100, 50_000)
    style = EventStyle((200, 200, 200, 200), "solid", 1.5, 200)
    m = GlobalEventMarkers([("x", style, times)])
    t0, t1, n_px = 10.0, 90.0, 640
    (f,) = m.window(t0, t1, n_px)
    inside = np.sort(times[(times >= t0) & (times < t1)])
    cols = np.floor((inside - t0) / (t1 - t0) * n_px).astype(int)
    got = np.floor(f.x).astype(int)
    assert f.n_in_window == len(inside) and len(f) <= n_px
    assert got.tolist() == sorted(set(cols.tolist()))  # every column with an event, once
    first = {c: t for c, t in zip(cols[::-1], inside[::-1])}  # first event of each column
    assert f.t.tolist() == [first[c] for c in got]
    (full,) = m.window(t0, t1, n_px, one_per_column=False)
    np.testing.assert_array_equal(full.t, inside)


def test_dash_runs_scale_with_width():
    assert dash_runs("solid", 3).size == 0
    np.testing.assert_array_equal(dash_runs("dashed", 1.5), [6.0, 3.0])
    np.testing.assert_array_equal(dash_runs("dotted", 0.5), [1.0, 2.0])  # at least 1 px per width unit
    np.testing.assert_array_equal(dash_runs("dashdotdot", 2), [8, 4, 2, 4, 2, 4])
    with pytest.raises(ValueError):
        dash_runs("wavy", 1)


@pytest.mark.parametrize("style", sorted(DASH_PATTERNS))
@pytest.mark.parametrize("width,height,phase", [(1.0, 100.0, 0.0), (1.5, 37.0, 0.0), (3.0, 500.0, 7.25)])
def test_dash_segments_match_a_per_pixel_brute_force(style, width, height, phase):
    seg = dash_segments(style, width, height, phase)
    assert seg.dtype == np.float32 and (seg[:, 1] > seg[:, 0]).all()
    assert (seg[1:, 0] >= seg[:-1, 1]).all() and seg.min() >= 0 and seg.max() <= height
    runs = dash_runs(style, width)
    ys = np.arange(0, height, 0.25) + 0.125  # sample points
    if runs.size == 0:
        want = np.ones(len(ys), bool)
    else:
        pos = (ys + phase) % runs.sum()
        ends = np.cumsum(runs)
        want = np.searchsorted(ends, pos, side="right") % 2 == 0  # even run index: on
    drawn = ((ys[:, None] >= seg[None, :, 0]) & (ys[:, None] < seg[None, :, 1])).any(axis=1)
    np.testing.assert_array_equal(drawn, want)


def test_dash_segments_edge_cases():
    assert dash_segments("solid", 2, 50).tolist() == [[0.0, 50.0]]
    assert dash_segments("dashed", 1, 0).shape == (0, 2)
    assert dash_segments("dashed", 1, 3).tolist() == [[0.0, 3.0]]  # shorter than one dash


def test_dash_mask_periods():
    assert dash_mask("solid", 4).tolist() == [255]
    assert dash_mask("dashed", 1).tolist() == [255] * 4 + [0] * 2
    assert dash_mask("dotted", 1.5).tolist() == [255, 255, 0, 0, 0]  # 1.5 -> 2 on, 3 -> 3 off
    m = dash_mask("dashdot", 1)
    assert len(m) == 9 and m.dtype == np.uint8


def test_vertices_pair_every_line_with_every_run():
    (f,) = [fr for fr in GlobalEventMarkers(config()).window(0.0, 50.0, 500) if fr.key == "lick"]
    seg = f.segments(30.0)
    v = f.vertices(30.0)
    assert v.shape == (2 * len(f) * len(seg), 2)
    np.testing.assert_array_equal(v[: 2 * len(seg), 0], f.x[0])
    np.testing.assert_array_equal(v[: 2 * len(seg), 1], seg.ravel())


def test_render_prep_imports_no_gui_toolkit():
    code = ("import sys, render.prep; bad = [m for m in ('vispy', 'glfw', 'textual', 'av') if m in sys.modules];"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
