"""Pixel facts about the raster when its events outnumber the cells: a density image, not one tick per cell.

A 1000x600 hidden window (data area x in [104, 738), 634 px) shows one
raster of three white rows over ``[0, 634)`` s: one pixel column a second.
Row 0 holds 40 events a second over ``[0, 300)``, row 1 one event every 3 s
(at ``3k + 0.5``), row 2 40 a second over ``[300, 634)``: 25,000 events for
1,902 cells, so the panel draws cells whose brightness follows their count.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from gl_harness import STATES, Harness
from loupe_tui import protocol as P
from loupe_tui.config import RasterConfig
from loupe_tui.viewspec import build_spec

W, H = 1000, 600
DATA_X0, DATA_W = 104, 634
PLOT_Y = slice(20, 578)


@pytest.fixture(scope="module")
def win(gl_env, tmp_path_factory):
    h = Harness(gl_env, tmp_path_factory.mktemp("raster-density"), size=(W, H))
    h.start([])
    yield h
    h.close()


def events(dense: bool = True) -> pl.DataFrame:
    per_s = 40 if dense else 0
    t0 = np.arange(300 * per_s) / per_s + 0.01 if dense else np.array([10.2])
    t1 = np.arange(100) * 3.0 + 0.5
    t2 = 300 + np.arange(334 * per_s) / per_s + 0.01 if dense else np.array([400.2])
    return pl.DataFrame({"time": np.concatenate([t0, t1, t2]),
                         "unit": np.repeat([0, 1, 2], [len(t0), len(t1), len(t2)])})


def show(win, tmp_path, df, options=None):
    spec = build_spec([RasterConfig(df, time_col="time", order_by="unit", color="#ffffff")],
                      labels_states_colors=STATES, cache_dir=tmp_path / "cache", pyramid_cache=tmp_path / "pyr")
    msgs = [P.LoadSession(spec), P.SetStateColors(STATES), P.SetLabels((), (), ()),
            P.SetWindow(0.0, float(DATA_W), 1), P.SetCursor(-1.0, 1), P.SetSelection(None, None)]
    # View options outlive a session: set all of them every time.
    msgs.append(P.SetViewOption("raster", {"brightness": 1.0, "event_height": 0.8, **(options or {})}))
    n = len(win.events)
    win.send(*msgs)
    img = win.snapshot().astype(int)
    assert not win.errors(n), win.errors(n)
    return img[..., 0]  # white on grey: one channel says it all


def background(col: np.ndarray) -> int:
    """The panel's colour in a pixel column (white events on it are brighter; a grid line shifts it all)."""
    return int(col.min())


def runs(col: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` y ranges (from y=20) where ``col`` is lit (differs from its background)."""
    lit = np.abs(col - background(col)) > 6
    edges = np.flatnonzero(np.diff(np.r_[0, lit.astype(int), 0]))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


def test_a_cell_of_one_event_is_dimmer_than_a_cell_of_forty(win, tmp_path):
    img = show(win, tmp_path, events())[PLOT_Y]
    x = DATA_X0 + 150          # t in [150, 151): 40 events in row 0, one (150.5) in row 1, none in row 2
    busy0, sparse1 = runs(img[:, x])
    (busy2,) = runs(img[:, DATA_X0 + 450])  # t in [450, 451): row 2 only
    assert runs(img[:, DATA_X0 + 151]) == [busy0], "no event of row 1 in [151, 152)"
    bright = img[busy0[0]:busy0[1], x]
    dim = img[sparse1[0]:sparse1[1], x]
    bg = background(img[:, x])
    assert (bright >= 250).all(), "40 events: full white"
    assert (dim > bg + 25).all(), "one event is still visible"
    assert (dim < 200).all(), f"one event is dimmer than forty: {dim.max()} (one tick per cell drew it white)"
    assert busy0[1] - busy0[0] == sparse1[1] - sparse1[0] == busy2[1] - busy2[0], "the same band in every row"
    assert busy0[1] <= sparse1[0] and sparse1[1] <= busy2[0], "rows top to bottom"


@pytest.mark.parametrize("event_height", [0.5, 0.8, 0.33])
def test_bands_sit_where_the_ticks_do(win, tmp_path, event_height):
    opts = {"event_height": event_height}
    cells = show(win, tmp_path, events(), opts)[PLOT_Y]
    ticks = show(win, tmp_path, events(dense=False), opts)[PLOT_Y]  # 102 events < 1,902 cells: ticks
    for row, t in ((0, 10.2), (1, 150.5), (2, 400.2)):
        (tick,) = runs(ticks[:, DATA_X0 + int(t)])
        band = runs(cells[:, DATA_X0 + int(t)])
        assert tick in band, f"row {row}: tick {tick}, cells {band}"


def test_brightness_and_event_height_apply_to_cells(win, tmp_path):
    x = DATA_X0 + 150
    base = show(win, tmp_path, events())[PLOT_Y]
    _, sparse = runs(base[:, x])
    dim = base[sparse[0]:sparse[1], x].mean()
    bright = show(win, tmp_path, events(), {"brightness": 3.0})[PLOT_Y]
    assert bright[sparse[0]:sparse[1], x].mean() > dim + 40, "brightness lifts a cell of one event"
    thin = show(win, tmp_path, events(), {"event_height": 0.4})[PLOT_Y]
    busy, _ = runs(thin[:, x])
    full, _ = runs(base[:, x])
    assert abs((busy[1] - busy[0]) - (full[1] - full[0]) / 2) <= 1, "event height 0.4 is half of 0.8"
