"""Pixel facts for what a new user reads in the window: the dense controls (step, traces
per page), the Y scale of each trace row, and the faint label shading that leaves
heatmaps untinted. Same geometry as test_window_pixels.py (1000x600 window: data
area x in [104, 738), plots from y=20 to the time axis at y=578)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from gl_harness import DENSE_PALETTE, STATES, Harness, dense_traces, labels_message, sine_traces
from loupe_tui import protocol as P
from loupe_tui.config import HeatmapConfig, TraceConfig
from loupe_tui.core.colors import LABEL_SHADING_ALPHA
from loupe_tui.viewspec import build_spec
from render.layout import compute_layout
from render.panels.base import SCALE_BAR_DX, SCALE_PT, SCALE_RGBA
from render.panels.labels import BAND_GAP_PX, BAND_PX
from render.visuals.text import set_dpi, text_width
from render.window import PANEL_RGBA

W, H = 1000, 600
DATA_X0, DATA_W = 104, 634
LABELS = [(0.0, 10.0, "Wake"), (10.0, 20.0, "REM"), (20.0, 30.0, "NREM")]


@pytest.fixture(scope="module")
def win(gl_env, tmp_path_factory):
    h = Harness(gl_env, tmp_path_factory.mktemp("readability"), size=(W, H))
    h.start([])
    yield h
    h.close()


def show(win, tmp_path, configs, *, labels=(), options=None):
    """Load a session with the window's own defaults (no shading option sent) and snapshot it."""
    spec = build_spec(configs, labels_states_colors=STATES, cache_dir=tmp_path / "cache",
                      pyramid_cache=tmp_path / "pyr")
    msgs = [P.LoadSession(spec), P.SetStateColors(STATES), labels_message(list(labels)),
            P.SetWindow(0.0, 30.0, 1), P.SetCursor(-1.0, 1), P.SetSelection(None, None)]
    msgs += [P.SetViewOption(t, o) for t, o in (options or {}).items()]
    n = len(win.events)
    win.send(*msgs)
    img = win.snapshot().astype(int)
    return img, win.errors(n)


def x_of(t):
    return DATA_X0 + t / 30.0 * DATA_W


def blend(bg, rgb, alpha):
    a = alpha / 255
    return np.round(np.array(bg[:3]) * (1 - a) + np.array(rgb[:3]) * a)


def _rgb(hex_color):
    return np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)])


# -- 1. dense controls --------------------------------------------------------------------
def test_dense_spec_holds_every_trace_and_the_step(tmp_path):
    da = dense_traces()
    da.attrs["units"] = "mV"
    cfg = TraceConfig(da, mode="dense", step=2, traces_per_page=10)
    assert cfg.n_traces == 3 and cfg.trace_names() == ["d0", "d2", "d4"]   # the config applies step ...
    panel = build_spec([cfg], labels_states_colors=STATES, cache_dir=tmp_path / "c",
                       pyramid_cache=tmp_path / "p")["panels"][0]
    # ... the window is given every trace and the step, and applies it once (it may change).
    assert panel["names"] == [f"d{k}" for k in range(6)] and panel["source"]["order"] == list(range(6))
    assert (panel["step"], panel["traces_per_page"], panel["units"]) == (2, 10, "mV")


def _dense_counts(img):
    area = img[20:578, DATA_X0:DATA_X0 + DATA_W]
    return {k: int((area == _rgb(c)).all(axis=-1).sum()) for k, c in DENSE_PALETTE.items()}


def test_dense_step_and_traces_per_page_from_the_dialog(win, tmp_path):
    cfg = TraceConfig(dense_traces(), mode="dense", step=2, traces_per_page=10, hue="grp", palette=DENSE_PALETTE)
    assert cfg.n_traces == 3                      # TraceConfig keeps every step-th trace itself ...
    img, errors = show(win, tmp_path, [cfg])      # the spec's settings (no dense option sent yet to this window)
    counts = _dense_counts(img)                   # ... and the window shows those, applying step once
    assert not errors and all(counts[k] > 200 for k in (0, 2, 4)) and all(counts[k] == 0 for k in (1, 3, 5)), counts
    # What the Dense dialog sends (view.set_dense -> bridge): all four settings at once.
    img, errors = show(win, tmp_path, [cfg], options={"dense": {"gain": 1.0, "step": 1, "traces_per_page": 2,
                                                                "page": 1}})
    counts = _dense_counts(img)
    assert not errors, errors                     # was: "dense: unknown option(s) step, traces_per_page"
    assert counts[2] > 200 and counts[3] > 200 and all(counts[k] == 0 for k in (0, 1, 4, 5)), counts
    img, errors = show(win, tmp_path, [cfg], options={"dense": {"gain": 1.0, "step": 3, "traces_per_page": None,
                                                                "page": 0}})
    counts = _dense_counts(img)
    assert not errors and counts[0] > 200 and counts[3] > 200 and sum(counts.values()) == counts[0] + counts[3]
    # A page change alone (no new window): the panel fetches the traces of the new page itself.
    cfg = TraceConfig(dense_traces(), mode="dense", traces_per_page=2, hue="grp", palette=DENSE_PALETTE)
    _, errors = show(win, tmp_path, [cfg], options={"dense": {"step": 1, "traces_per_page": 2, "page": 0}})
    n = len(win.events)
    win.send(P.SetViewOption("dense", {"page": 2}))
    counts = _dense_counts(win.snapshot().astype(int))
    assert not errors and not win.errors(n)
    assert counts[4] > 200 and counts[5] > 200 and counts[0] == counts[1] == 0, counts


# -- 2. Y scale ---------------------------------------------------------------------------------
def _row(r):
    lay = compute_layout(W, H, [(4.5, 66)])
    rh = lay.panels[0].h / 3
    return lay.panels[0].y + r * rh, rh


def _bar_px(img, r):
    top, rh = _row(r)
    col = img[int(top):int(top + rh), int(DATA_X0 - SCALE_BAR_DX)]
    return int((col == np.array(SCALE_RGBA[:3])).all(axis=-1).sum())


def _label_left(img, r):
    """Leftmost lit pixel of the scale label under the row's name (right-aligned at the bar)."""
    top, rh = _row(r)
    cy = top + rh / 2
    box = img[int(cy + 2):int(cy + 12), 40:int(DATA_X0 - SCALE_BAR_DX - 3)]
    cols = np.flatnonzero((box.max(axis=-1) > 90).any(axis=0))
    return 40 + cols.min() if len(cols) else None


def test_each_trace_row_shows_a_scale_in_its_units_that_follows_y_zoom(win, tmp_path):
    da = sine_traces(tmp_path)
    da.attrs["units"] = "uV"
    cfg = TraceConfig(da)
    usable = _row(1)[1] - 4
    fixed = {"ymin": -4000.0, "ymax": 4000.0}
    img, errors = show(win, tmp_path, [cfg], options={"trace:big": fixed})
    assert not errors, errors
    # Range 8000 over the row: the bar is the largest 1-2-5 amount up to half of it, 2000 uV.
    assert abs(_bar_px(img, 1) - 2000 / 8000 * usable) <= 2.5, (_bar_px(img, 1), usable)
    left_2000 = _label_left(img, 1)
    img, _ = show(win, tmp_path, [cfg], options={"trace:big": {**fixed, "yzoom": 2.0}})
    assert abs(_bar_px(img, 1) - 2000 / 4000 * usable) <= 2.5      # zoom x2: the same 2000 uV, twice as tall
    img, _ = show(win, tmp_path, [cfg], options={"trace:big": {"ymin": -400.0, "ymax": 400.0}})
    left_200 = _label_left(img, 1)                                    # "200 uV": one digit less
    set_dpi(100.0)                                                    # Xvfb's (vispy reads it from the server)
    digit = text_width("2000 uV", SCALE_PT) - text_width("200 uV", SCALE_PT)
    assert left_2000 is not None and left_200 is not None
    assert abs((left_200 - left_2000) - digit) <= 2.0, (left_2000, left_200, digit)
    # The unit is written: without one, the label "2000" is narrower by " uV".
    da2 = sine_traces(tmp_path)
    img, _ = show(win, tmp_path, [TraceConfig(da2)], options={"trace:big": fixed})
    unit = text_width("2000 uV", SCALE_PT) - text_width("2000", SCALE_PT)
    assert abs((_label_left(img, 1) - left_2000) - unit) <= 2.0, (_label_left(img, 1), left_2000, unit)
    set_dpi(96.0)


# -- 3. shading -----------------------------------------------------------------------------------
def test_shading_is_faint_over_traces_and_absent_over_heatmaps(win, tmp_path):
    t = np.arange(3000) / 100.0
    heat = xr.DataArray(np.ones((4, len(t)), np.float32), dims=("cell", "time"),
                        coords={"time": t, "cell": [0, 1, 2, 3]}, name="v")
    traces = sine_traces(tmp_path)
    configs = [TraceConfig(traces), HeatmapConfig(heat, cmap="gray", vmin=0, vmax=3)]
    img, errors = show(win, tmp_path, configs, labels=LABELS)
    assert not errors, errors
    lay = compute_layout(W, H, [(4.5, 66), (4.25, 40)])
    tr, hm = lay.panels
    # The ramp row's background inside the REM span: shaded at the faint default.
    y = int(tr.y + 2 * tr.h / 3) + 6
    np.testing.assert_allclose(img[y, int(x_of(10.7))], blend(PANEL_RGBA, STATES["REM"], LABEL_SHADING_ALPHA), atol=2)
    # The heatmap keeps the colormap's grey (value 1 of 0..3) under every state ...
    gray = img[int(hm.y + hm.h / 2), int(x_of(5)):int(x_of(25))]
    assert np.ptp(gray, axis=0).max() <= 1 and abs(gray[0] - 85).max() <= 2, gray[0]
    # ... and a thin band of the states just above it says where they are.
    band = img[int(hm.y - BAND_GAP_PX - BAND_PX / 2)]
    assert (band[int(x_of(12)):int(x_of(18))] == np.array(STATES["REM"][:3])).all()
    assert (band[int(x_of(2)):int(x_of(8))] == np.array(STATES["Wake"][:3])).all()
    # Shading heatmaps is still one option away.
    img, _ = show(win, tmp_path, configs, labels=LABELS, options={"label_overlays": {"heatmaps": True, "alpha": 100}})
    np.testing.assert_allclose(img[int(hm.y + hm.h / 2), int(x_of(15))], blend((85, 85, 85), STATES["REM"], 100),
                               atol=3)
