"""Pixel facts about frames the real window draws (hidden window under Xvfb + Mesa).

One window serves the module; every test loads its own session and state,
snapshots the frame and checks where colours are. Geometry for a 1000x600
window: data area x in [104, 738), label strip y in [4, 16), plots from y=20
to the time axis at y=578, hypnogram bars x in [806, 990), y in [420, 578).
"""

from __future__ import annotations

import numpy as np
import pytest

from gl_harness import DENSE_PALETTE, STATES, Harness, dense_traces, labels_message, sine_traces
from loupe_tui import protocol as P
from loupe_tui.config import SampleMarkers, TraceConfig, Zip
from loupe_tui.viewspec import build_spec
from render.layout import compute_layout
from render.panels.marks import CURSOR_RGBA
from render.window import PANEL_RGBA

W, H = 1000, 600
DATA_X0, DATA_W = 104, 634
LABELS = [(0.0, 10.0, "Wake"), (10.0, 20.0, "REM"), (20.0, 30.0, "NREM")]


@pytest.fixture(scope="module")
def win(gl_env, tmp_path_factory):
    h = Harness(gl_env, tmp_path_factory.mktemp("pixels"), size=(W, H))
    h.start([])
    yield h
    h.close()


def show(win, tmp_path, configs, *, window=(0.0, 30.0), labels=LABELS, options=None, extra=()):
    spec = build_spec(configs, labels_states_colors=STATES, cache_dir=tmp_path / "cache",
                      pyramid_cache=tmp_path / "pyr")
    msgs = [P.LoadSession(spec), P.SetStateColors(STATES), labels_message(labels),
            P.SetViewOption("label_overlays", {"visible": True, "alpha": 100}),
            P.SetWindow(*window, 1), P.SetCursor(-1.0, 1), P.SetSelection(None, None)]
    msgs += [P.SetViewOption(t, o) for t, o in (options or {}).items()]
    n = len(win.events)
    win.send(*msgs, *extra)
    img = win.snapshot().astype(int)
    assert not win.errors(n), win.errors(n)
    return img


def x_of(t, t0=0.0, t1=30.0):
    return DATA_X0 + (t - t0) / (t1 - t0) * DATA_W


def blend(bg, rgb, alpha):
    a = alpha / 255
    return np.round(np.array(bg[:3]) * (1 - a) + np.array(rgb[:3]) * a)


def test_rem_span_is_rem_coloured_in_the_strip_and_overlay(win, tmp_path):
    img = show(win, tmp_path, [TraceConfig(sine_traces(tmp_path))])
    strip = img[10]
    rem, wake, nrem = (np.array(STATES[s][:3]) for s in ("REM", "Wake", "NREM"))
    a, b = int(np.ceil(x_of(10))), int(x_of(20))
    assert (strip[a + 1:b - 1] == rem).all(), "REM columns of the label strip"
    assert (strip[int(x_of(0)) + 1:a - 1] == wake).all() and (strip[b + 2:int(x_of(30)) - 1] == nrem).all()
    assert not (strip[a - 3] == rem).all() and not (strip[b + 2] == rem).all(), "REM stops at its span"
    # Overlay at alpha 100 over the ramp's row (the ramp is low there, so this pixel is background).
    lay = compute_layout(W, H, [(4.5, 66)])
    row2_top = int(lay.panels[0].y + 2 * lay.panels[0].h / 3) + 6
    got = img[row2_top, int(x_of(10.7))]
    np.testing.assert_allclose(got, blend(PANEL_RGBA, rem, 100), atol=2)


def test_overlay_toggle_and_alpha(win, tmp_path):
    lay = compute_layout(W, H, [(4.5, 66)])
    y = int(lay.panels[0].y + 2 * lay.panels[0].h / 3) + 6
    x = int(x_of(10.7))
    img = show(win, tmp_path, [TraceConfig(sine_traces(tmp_path))],
               options={"label_overlays": {"alpha": 200}})
    np.testing.assert_allclose(img[y, x], blend(PANEL_RGBA, STATES["REM"], 200), atol=2)
    img = show(win, tmp_path, [TraceConfig(sine_traces(tmp_path))], options={"label_overlays": {"visible": False}})
    np.testing.assert_allclose(img[y, x], PANEL_RGBA[:3], atol=1)


def test_cursor_is_at_its_time_across_the_plots(win, tmp_path):
    img = show(win, tmp_path, [TraceConfig(sine_traces(tmp_path))], extra=[P.SetCursor(7.5, 2)])
    plot = img[30:570, DATA_X0:DATA_X0 + DATA_W]
    yellow = (plot == CURSOR_RGBA[:3]).all(axis=-1).sum(axis=0)
    cols = DATA_X0 + np.nonzero(yellow > 0.8 * plot.shape[0])[0]
    assert len(cols) and abs(cols.mean() + 0.5 - x_of(7.5)) <= 1.0, (cols, x_of(7.5))  # pixel i is centred at i + 0.5
    assert yellow.sum() < 3 * plot.shape[0], "one cursor line only"


def test_each_stacked_trace_fills_its_own_row(win, tmp_path):
    cfg = TraceConfig(sine_traces(tmp_path))
    img = show(win, tmp_path, [cfg], labels=[])
    lay = compute_layout(W, H, [(4.5, 66)])
    rh = lay.panels[0].h / 3
    for r, rgba in enumerate(cfg.trace_colors()[:2]):  # amplitude 1 and amplitude 1000
        band = img[int(lay.panels[0].y + r * rh):int(lay.panels[0].y + (r + 1) * rh), DATA_X0:DATA_X0 + DATA_W]
        rows = (band == np.array(rgba[:3])).all(axis=-1).any(axis=1)
        assert rows.sum() > 0.8 * rh, f"trace {r} spans {rows.sum()} of {rh:.0f} px"


def test_dense_page_shows_the_right_traces(win, tmp_path):
    cfg = TraceConfig(dense_traces(), mode="dense", traces_per_page=2, hue="grp", palette=DENSE_PALETTE)
    img = show(win, tmp_path, [cfg], labels=[], options={"dense": {"page": 1}})
    area = img[20:578, DATA_X0:DATA_X0 + DATA_W]
    counts = {k: int((area == np.array(_rgb(c))).all(axis=-1).sum()) for k, c in DENSE_PALETTE.items()}
    assert counts[2] > 200 and counts[3] > 200, counts
    assert all(counts[k] == 0 for k in (0, 1, 4, 5)), counts


def test_raw_samples_are_drawn_as_a_line(win, tmp_path):
    cfg = TraceConfig(sine_traces(tmp_path))
    img = show(win, tmp_path, [cfg], window=(10.0, 11.0), labels=[])  # 100 samples in 634 px
    lay = compute_layout(W, H, [(4.5, 66)])
    band = img[int(lay.panels[0].y):int(lay.panels[0].y + lay.panels[0].h / 3), DATA_X0:DATA_X0 + DATA_W]
    cols = (band == np.array(cfg.trace_colors()[0][:3])).all(axis=-1).any(axis=0)
    assert cols.mean() > 0.95, "a connected line reaches nearly every column"


def test_hypnogram_marks_the_window(win, tmp_path):
    img = show(win, tmp_path, [TraceConfig(sine_traces(tmp_path))], window=(30.0, 60.0))
    bars_x0, bars_w, bars_y0, bars_h = 806, 184, 420, 158
    rem_row = int(bars_y0 + 2.5 * bars_h / 3)
    x = lambda t: bars_x0 + t / 120.0 * bars_w  # noqa: E731  (recording spans 0-120 s)
    inside, outside = img[rem_row, int(x(45))], img[rem_row, int(x(100))]
    np.testing.assert_allclose(outside, (14, 14, 18), atol=1)
    np.testing.assert_allclose(inside, blend((14, 14, 18), (255, 255, 255), 70), atol=2)
    assert (img[rem_row, int(x(12)):int(x(18))] == np.array(STATES["REM"][:3])).all(), "REM bout in its row"


def test_zip_coplots_each_array_in_its_colour(win, tmp_path):
    a = sine_traces(tmp_path)
    z = Zip([TraceConfig(a), TraceConfig(a * 0.5)], on="channel", colors=["#ff0000", "#00ff00"])
    img = show(win, tmp_path, [z], labels=[])
    lay = compute_layout(W, H, [(4.5, 66)])
    rh = lay.panels[0].h / 3
    for r in range(3):
        band = img[int(lay.panels[0].y + r * rh):int(lay.panels[0].y + (r + 1) * rh), DATA_X0:DATA_X0 + DATA_W]
        for rgb in ((255, 0, 0), (0, 255, 0)):
            assert (band == np.array(rgb)).all(axis=-1).sum() > 100, (r, rgb)


def test_sample_markers_and_names(win, tmp_path):
    marks = [SampleMarkers(np.array([1500]), trace="sine", color="#00ffff")]
    img = show(win, tmp_path, [TraceConfig(sine_traces(tmp_path), sample_markers=marks)], labels=[])
    x = int(x_of(15.0))
    lay = compute_layout(W, H, [(4.5, 66)])
    row0 = img[int(lay.panels[0].y):int(lay.panels[0].y + lay.panels[0].h / 3)]
    cyan = (row0 == np.array([0, 255, 255])).all(axis=-1)
    assert cyan.any() and abs(np.nonzero(cyan)[1].mean() - x) <= 3
    gutter = img[int(lay.panels[0].y):int(lay.panels[0].y1), 8:100]
    assert (gutter.max(axis=-1) > 150).sum() > 30, "trace names are written in the gutter"


def _rgb(hex_color: str) -> tuple[int, int, int]:
    return tuple(int(hex_color[i:i + 2], 16) for i in (1, 3, 5))


def test_global_event_line_is_drawn_above_the_label_overlay(win, tmp_path):
    import polars as pl

    from loupe_tui.config import GlobalEventsConfig

    ev = GlobalEventsConfig(pl.DataFrame({"time": [15.0], "kind": ["stim"]}), style_events_on="kind",
                            style_kwargs={"stim": {"line_color": "#ff8800", "line_alpha": 255, "line_style": "solid",
                                                   "line_width": 3.0}})
    spec = build_spec([TraceConfig(sine_traces(tmp_path))], labels_states_colors=STATES, global_events=ev,
                      cache_dir=tmp_path / "cache", pyramid_cache=tmp_path / "pyr")
    n = len(win.events)
    win.send(P.LoadSession(spec), P.SetStateColors(STATES), labels_message(LABELS),
             P.SetViewOption("label_overlays", {"visible": True, "alpha": 100}), P.SetWindow(0.0, 30.0, 1),
             P.SetCursor(-1.0, 1))
    img = win.snapshot().astype(int)
    assert not win.errors(n), win.errors(n)
    lay = compute_layout(W, H, [(4.5, 66)])
    y = int(lay.panels[0].y + 2 * lay.panels[0].h / 3) + 6  # background of the ramp row, inside the REM span
    x = int(x_of(15.0))
    np.testing.assert_array_equal(img[y, x], (255, 136, 0))
    np.testing.assert_allclose(img[y, x + 6], blend(PANEL_RGBA, STATES["REM"], 100), atol=2)


def test_heatmap_rows_follow_the_colormap(win, tmp_path):
    import xarray as xr

    from loupe_tui.config import HeatmapConfig

    t = np.arange(3000) / 100.0
    values = np.repeat(np.arange(4, dtype=np.float32)[:, None], len(t), axis=1)
    da = xr.DataArray(values, dims=("cell", "time"), coords={"time": t, "cell": [0, 1, 2, 3]}, name="v")
    img = show(win, tmp_path, [HeatmapConfig(da, cmap="gray", vmin=0, vmax=3)], labels=[])
    lay = compute_layout(W, H, [(4.25, 40)])
    top, h = lay.panels[0].y, lay.panels[0].h
    rows = [img[int(top + (k + 0.5) * h / 4), DATA_X0 + 10:DATA_X0 + DATA_W - 10].mean(axis=0) for k in range(4)]
    lum = [r.mean() for r in rows]
    assert lum[0] < 5 and lum[3] > 250 and lum[0] < lum[1] < lum[2] < lum[3], lum


def test_raster_ticks_sit_at_their_time_and_row(win, tmp_path):
    import polars as pl

    from loupe_tui.config import RasterConfig

    ev = pl.DataFrame({"time": [5.0, 15.0, 25.0], "unit": [0, 1, 2]})
    img = show(win, tmp_path, [RasterConfig(ev, time_col="time", order_by="unit", color="#ffffff")], labels=[])
    panel = img[20:578, DATA_X0:DATA_X0 + DATA_W]
    white = (panel == 255).all(axis=-1)
    cols = np.nonzero(white.any(axis=0))[0] + DATA_X0
    for t in (5.0, 15.0, 25.0):
        assert np.abs(cols - x_of(t)).min() <= 1.0
    near = lambda t: white[:, int(x_of(t)) - DATA_X0 - 1:int(x_of(t)) - DATA_X0 + 2].any(axis=1)  # noqa: E731
    rows_of = [np.nonzero(near(t))[0].mean() for t in (5.0, 15.0, 25.0)]
    assert rows_of[0] < rows_of[1] < rows_of[2], "unit 0 on top, then 1, then 2"


def test_fixed_y_range_and_zoom_of_one_trace(win, tmp_path):
    cfg = TraceConfig(sine_traces(tmp_path))
    lay = compute_layout(W, H, [(4.5, 66)])
    rh = lay.panels[0].h / 3
    band = lambda img: img[int(lay.panels[0].y + rh):int(lay.panels[0].y + 2 * rh), DATA_X0:DATA_X0 + DATA_W]  # noqa: E731
    rgb = np.array(cfg.trace_colors()[1][:3])
    img = show(win, tmp_path, [cfg], labels=[], options={"trace:big": {"ymin": -4000.0, "ymax": 4000.0}})
    span = (band(img) == rgb).all(axis=-1).any(axis=1).sum()
    assert 0.2 * rh < span < 0.3 * rh, f"amplitude 1000 in a range of 8000: a quarter of the row, got {span}"
    img = show(win, tmp_path, [cfg], labels=[], options={"trace:big": {"yzoom": 2.0}})
    span = (band(img) == rgb).all(axis=-1).any(axis=1).sum()
    assert span > 0.4 * rh, "zoom x2 doubles it"
    img = show(win, tmp_path, [cfg], labels=[], options={"trace:big": {"autorange": True, "yzoom": 1.0}})
    assert (band(img) == rgb).all(axis=-1).any(axis=1).sum() > 0.8 * rh


def test_selection_and_cursor_show_over_an_opaque_heatmap(win, tmp_path):
    import xarray as xr

    from loupe_tui.config import HeatmapConfig
    from render.panels.base import FOCUS_RGBA
    from render.panels.marks import SELECTION_RGBA

    t = np.arange(3000) / 100.0
    da = xr.DataArray(np.zeros((4, len(t)), np.float32), dims=("cell", "time"),
                      coords={"time": t, "cell": [0, 1, 2, 3]}, name="v")
    img = show(win, tmp_path, [HeatmapConfig(da, cmap="gray", vmin=0, vmax=3)], labels=[],
               options={"label_overlays": {"visible": False}},
               extra=[P.SetSelection(10.0, 20.0), P.SetCursor(25.0, 2), P.SetFocus("heatmap:0")])
    lay = compute_layout(W, H, [(4.25, 40)])
    y = int(lay.panels[0].y + lay.panels[0].h / 2)
    outside, inside = img[y, int(x_of(5.0))], img[y, int(x_of(15.0))]
    np.testing.assert_allclose(outside, (0, 0, 0), atol=2)                    # the heatmap's black
    np.testing.assert_allclose(inside, blend((0, 0, 0), SELECTION_RGBA, SELECTION_RGBA[3]), atol=3)
    row = img[y, DATA_X0:DATA_X0 + DATA_W]
    cols = DATA_X0 + np.nonzero((row == CURSOR_RGBA[:3]).all(axis=-1))[0]
    assert len(cols) and abs(cols.mean() + 0.5 - x_of(25.0)) <= 1.0, "the cursor is drawn on the heatmap"
    np.testing.assert_array_equal(img[y, 1], FOCUS_RGBA[:3])                  # Tab focused it: a bar beside it
