"""Raster windows against brute force: selection, rows, colours, decimation, layout."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from loupe_tui.config import RasterConfig
from loupe_tui.io.events import RasterPanel
from render.prep.raster import RasterIndex, raster_indexes, subplot_heights


def random_panel(n: int = 20_000, n_rows: int = 7, seed: int = 0, span: float = 1000.0) -> RasterPanel:
    rng = np.random.default_rng(seed)
    times = rng.uniform(0, span, n)  # unsorted, as a DataFrame may hold them
    times[:50] = times[50]  # duplicate times
    rows = rng.integers(0, n_rows, n).astype(np.int32)
    colors = rng.integers(0, 256, (n, 4)).astype(np.uint8)
    colors[:, 3] = rng.integers(0, 4, n) * 60  # few alpha levels: many ties
    return RasterPanel(key=None, title="", times=times, rows=rows, row_labels=list(range(n_rows)), colors=colors)


def brute_window(panel: RasterPanel, t0: float, t1: float):
    order = np.argsort(panel.times, kind="stable")
    t, r, c = panel.times[order], panel.rows[order], panel.colors[order]
    m = (t >= t0) & (t < t1)
    return t[m], r[m], c[m]


@pytest.mark.parametrize("t0,t1", [(0.0, 1000.0), (10.0, 11.0), (123.4, 567.8), (-50.0, 5.0), (999.0, 2000.0)])
def test_window_without_decimation_is_exactly_the_events_in_it(t0, t1):
    panel = random_panel()
    idx = RasterIndex(panel)
    f = idx.window(t0, t1, 1600, 350.0, decimate=False)
    t, r, c = brute_window(panel, t0, t1)
    np.testing.assert_array_equal(f.t, t)
    np.testing.assert_array_equal(f.row, r)
    np.testing.assert_array_equal(f.rgba, c)
    np.testing.assert_allclose(f.x, (t - t0) / (t1 - t0) * 1600, rtol=1e-6, atol=1e-3)
    assert f.n_in_window == len(t) and not f.decimated
    assert ((f.x >= 0) & (f.x <= 1600)).all()


@pytest.mark.parametrize("n_px", [1, 13, 200, 1600])
def test_decimation_keeps_every_cell_and_its_max_alpha(n_px):
    panel = random_panel()
    idx = RasterIndex(panel)
    t0, t1 = 100.0, 900.0
    f = idx.window(t0, t1, n_px, 100.0, decimate=True)
    t, r, c = brute_window(panel, t0, t1)
    col = np.clip(np.floor((t - t0) / (t1 - t0) * n_px), 0, n_px - 1).astype(int)
    cells = r * n_px + col
    got_col = np.clip(np.floor((f.t - t0) / (t1 - t0) * n_px), 0, n_px - 1).astype(int)
    got_cells = f.row * n_px + got_col
    assert sorted(got_cells) == sorted(set(cells.tolist()))  # no cell lost, one event per cell
    assert (np.diff(f.t) >= 0).all()
    for k, a in zip(got_cells, f.rgba[:, 3]):
        assert a == c[cells == k, 3].max()
    # the kept event is the first (in time) of max alpha in its cell
    for k in got_cells[:50]:
        in_cell = np.flatnonzero(cells == k)
        best = in_cell[np.argmax(c[in_cell, 3])]
        kept = np.flatnonzero(got_cells == k)[0]
        assert f.t[kept] == t[best] and f.row[kept] == r[best]
    assert f.decimated and len(f) <= idx.n_rows * n_px


def test_decimation_is_automatic_only_when_events_outnumber_cells():
    idx = RasterIndex(random_panel(n=20_000, n_rows=7))
    assert not idx.window(0.0, 10.0, 100, 70.0).decimated  # ~200 events < 700 cells
    assert idx.window(0.0, 1000.0, 100, 70.0).decimated  # 20 000 > 700
    assert not idx.window(0.0, 1000.0, 100, 70.0, decimate=False).decimated


def test_empty_windows_and_panels():
    idx = RasterIndex(random_panel())
    for t0, t1 in ((-100.0, -1.0), (1000.0, 1100.0)):
        f = idx.window(t0, t1, 1600, 100.0)
        assert len(f) == 0 and f.vertices().shape == (0, 2) and f.rgba.shape == (0, 4)
    empty = RasterPanel(None, "", np.zeros(0), np.zeros(0, np.int32), [], np.zeros((0, 4), np.uint8))
    f = RasterIndex(empty).window(0.0, 1.0, 10, 10.0, decimate=True)
    assert len(f) == 0 and not f.decimated


def test_tick_geometry_brightness_and_vertices():
    idx = RasterIndex(random_panel(n=500, n_rows=5))
    f = idx.window(0.0, 1000.0, 800, 200.0, event_height=0.5, thickness_px=2.5, decimate=False)
    row_h = 40.0
    np.testing.assert_allclose(f.y0, (f.row + 0.25) * row_h)
    np.testing.assert_allclose(f.y1, (f.row + 0.75) * row_h)
    assert f.thickness_px == 2.5
    v, vc = f.vertices(), f.vertex_colors()
    assert v.shape == (2 * len(f), 2) and v.dtype == np.float32 and vc.shape == (2 * len(f), 4)
    np.testing.assert_array_equal(v[0::2, 0], f.x)
    np.testing.assert_array_equal(v[1::2, 1], f.y1)
    np.testing.assert_array_equal(vc[1::2], f.rgba)
    dim = idx.window(0.0, 1000.0, 800, 200.0, brightness=0.5, decimate=False)
    np.testing.assert_array_equal(dim.rgba, np.round(f.rgba * 0.5).astype(np.uint8))
    bright = idx.window(0.0, 1000.0, 800, 200.0, brightness=3.0, decimate=False)
    np.testing.assert_array_equal(bright.rgba, np.minimum(np.round(f.rgba.astype(float) * 3), 255))
    with pytest.raises(ValueError):
        idx.window(0.0, 1000.0, 800, 200.0, event_height=1.5)


def test_config_order_by_split_by_alpha_by_and_colour_precedence():
    df = pl.DataFrame({
        "t": [5.0, 1.0, 3.0, 2.0, 4.0, 6.0],
        "unit": [30, 10, 20, 10, 30, 20],
        "shank": ["b", "a", "a", "b", "a", "b"],
        "snr": [1.0, 2.0, 3.0, 4.0, 5.0, 5.0],
        "region": ["CA1", "CA1", "PFC", "PFC", "CA1", "PFC"],
    })
    cfg = RasterConfig(df, time_col="t", order_by="unit", split_by="shank", alpha_by="snr", alpha_range=(0.2, 1.0),
                       hue="region", palette={"CA1": "#ff0000", "PFC": "#0000ff"})
    a, b = raster_indexes(cfg)
    assert (a.key, b.key) == (("a",), ("b",))
    assert a.row_labels == [10, 20, 30] and b.row_labels == [10, 20, 30]
    fa = a.window(0.0, 10.0, 100, 30.0)
    np.testing.assert_array_equal(fa.t, [1.0, 3.0, 4.0])
    np.testing.assert_array_equal(fa.row, [0, 1, 2])  # units 10, 20, 30
    np.testing.assert_array_equal(fa.rgba[:, :3], [[255, 0, 0], [0, 0, 255], [255, 0, 0]])
    # snr 1..5 -> alpha 0.2..1.0 of 255
    np.testing.assert_array_equal(fa.rgba[:, 3], np.round(255 * (0.2 + 0.8 * (np.array([2, 3, 5]) - 1) / 4)))
    fb = b.window(0.0, 10.0, 100, 30.0)
    np.testing.assert_array_equal(fb.t, [2.0, 5.0, 6.0])
    np.testing.assert_array_equal(fb.row, [0, 2, 1])
    solid = RasterConfig(df, time_col="t", order_by="unit", hue="region", color="#00ff00")  # color wins
    f = raster_indexes(solid)[0].window(0.0, 10.0, 100, 30.0)
    assert (f.rgba == [0, 255, 0, 255]).all() and len(f) == 6


def test_subplot_heights_proportional_and_equal():
    h = subplot_heights([10, 30, 60], 1000)
    assert h.tolist() == [100, 300, 600]
    h = subplot_heights([1, 2], 100, gap_px=4)
    assert h.sum() == 96 and abs(h[1] - 2 * h[0]) <= 1
    assert subplot_heights([1, 100], 300, proportional=False).tolist() == [150, 150]
    h = subplot_heights([1, 1000], 50)
    assert h.sum() == 50 and h.min() >= 1
    assert subplot_heights([], 100).tolist() == []
    assert subplot_heights([3, 3, 3], 2).sum() == 2
