"""The raster's density image (more events than cells) against brute force: counts, opacity, colour, brightness."""

from __future__ import annotations

import numpy as np
import pytest

from loupe_tui.io.columns import column_borders
from loupe_tui.io.events import RasterPanel
from render.prep.raster import FULL_PERCENTILE, RasterIndex, density_level


def random_panel(n: int = 30_000, n_rows: int = 7, seed: int = 0, span: float = 1000.0, mixed: bool = False):
    rng = np.random.default_rng(seed)
    times = rng.uniform(0, span, n)
    times[:40] = 500.0  # ties, on a column border of [0, 1000) in 1000 or 8 px
    times[40:60] = 100.0
    rows = rng.integers(0, n_rows, n).astype(np.int32)
    colors = np.zeros((n, 4), np.uint8)
    if mixed:
        colors[:, :3] = rng.integers(0, 256, (n, 3))
    else:
        colors[:, :3] = (np.arange(n_rows)[:, None] * [30, 20, 10] + [40, 60, 80])[rows]  # one colour a row
    colors[:, 3] = rng.integers(0, 5, n) * 60
    return RasterPanel(key=None, title="", times=times, rows=rows, row_labels=list(range(n_rows)), colors=colors)


def brute_cells(panel, t0, t1, n_px):
    """(counts, summed opacity 0-1, opacity-weighted RGB sums) per (row, column) by a loop over events."""
    n_rows = len(panel.row_labels)
    borders = column_borders(t0, t1, n_px)
    counts = np.zeros((n_rows, n_px), np.int64)
    weights = np.zeros((n_rows, n_px))
    rgb = np.zeros((n_rows, n_px, 3))
    for t, r, c in zip(panel.times, panel.rows, panel.colors):
        if t0 <= t < t1:
            j = int(np.searchsorted(borders, t, side="right")) - 1
            counts[r, j] += 1
            weights[r, j] += c[3] / 255.0
            rgb[r, j] += c[:3].astype(float) * c[3]
    return counts, weights, rgb


@pytest.mark.parametrize("t0,t1,n_px", [(0.0, 1000.0, 1000), (0.0, 1000.0, 8), (123.4, 567.8, 301),
                                        (-50.0, 5.0, 40), (990.0, 2000.0, 7)])
@pytest.mark.parametrize("mixed", [False, True])
def test_cells_count_every_event_of_their_row_and_column(t0, t1, n_px, mixed):
    panel = random_panel(n=6_000, mixed=mixed)
    d = RasterIndex(panel).density(t0, t1, n_px)
    counts, weights, rgb = brute_cells(panel, t0, t1, n_px)
    np.testing.assert_array_equal(d.counts, counts)
    np.testing.assert_allclose(d.weights, weights, atol=1e-9)
    assert d.n_in_window == counts.sum()
    assert d.rgba.shape == (7, n_px, 4) and d.rgba.dtype == np.uint8
    busy = weights > 0
    mean = rgb[busy] / (weights[busy] * 255.0)[:, None]
    np.testing.assert_allclose(d.rgba[busy][:, :3], mean, atol=0.51)  # the mean, rounded
    assert (d.rgba[counts == 0] == 0).all(), "a cell without events is transparent"


def test_opacity_grows_with_the_events_in_a_cell_and_follows_their_alpha():
    # Row 0: k full-opacity events in column k (k = 0..49); row 1: 10 events of alpha 51 per column.
    times = np.concatenate([k + np.linspace(0.05, 0.95, k) for k in range(50)] + [np.arange(50) + 0.5] * 10)
    n0 = len(times) - 500
    rows = np.r_[np.zeros(n0, np.int32), np.ones(500, np.int32)]
    colors = np.tile(np.array([200, 100, 50, 255], np.uint8), (len(times), 1))
    colors[n0:, 3] = 51
    idx = RasterIndex(RasterPanel(None, "", times, rows, [0, 1], colors))
    assert idx.wants_density(0.0, 50.0, 50)
    d = idx.density(0.0, 50.0, 50)
    a0 = d.rgba[0, :, 3].astype(int)
    assert a0[0] == 0 and (np.diff(a0[1:40]) > 0).all() and a0[1] < a0[10] < a0[40] < a0[49] == 255
    assert a0[1] >= 40, "one event next to cells of 49 is still visible"
    # Weight, not count: 10 events at alpha 0.2 weigh 2, drawn like a cell of 2 opaque events.
    assert (d.rgba[1, :, 3] == a0[2]).all()
    assert (d.rgba[0, 1:, :3] == [200, 100, 50]).all()
    busy = d.weights[d.weights > 0]
    assert d.full == pytest.approx(np.percentile(busy, FULL_PERCENTILE))
    np.testing.assert_allclose(d.rgba[..., 3], np.round(255 * density_level(d.weights, d.full)), atol=0.51)


def test_brightness_scales_colour_and_opacity_like_the_ticks():
    idx = RasterIndex(random_panel())
    base = idx.density(0.0, 1000.0, 200).rgba.astype(float)
    for b in (0.5, 3.0):
        got = idx.density(0.0, 1000.0, 200, brightness=b).rgba
        np.testing.assert_allclose(got, np.minimum(np.round(base * b), 255), atol=1.01)
    assert (idx.density(0.0, 1000.0, 200, brightness=0.0).rgba == 0).all()
    with pytest.raises(ValueError):
        idx.density(0.0, 1000.0, 200, brightness=-1.0)


def test_a_lone_weak_event_looks_like_its_tick():
    # Nothing busier in the window: full is 1, so one event of opacity a gets about a.
    panel = RasterPanel(None, "", np.array([1.5, 3.5]), np.array([0, 1], np.int32), [0, 1],
                        np.array([[255, 255, 255, 255], [255, 255, 255, 102]], np.uint8))
    d = RasterIndex(panel).density(0.0, 10.0, 10)
    assert d.full == 1.0
    assert d.rgba[0, 1, 3] == 255 and abs(int(d.rgba[1, 3, 3]) - 102) <= 30


def test_density_is_chosen_only_when_events_outnumber_cells():
    idx = RasterIndex(random_panel(n=20_000, n_rows=7))
    assert not idx.wants_density(0.0, 10.0, 100)  # ~200 events < 700 cells
    assert idx.wants_density(0.0, 1000.0, 100)  # 20 000 > 700
    assert not idx.wants_density(0.0, 1000.0, 3000)  # 20 000 < 21 000


def test_empty_panel_and_empty_window():
    empty = RasterPanel(None, "", np.zeros(0), np.zeros(0, np.int32), [], np.zeros((0, 4), np.uint8))
    d = RasterIndex(empty).density(0.0, 1.0, 10)
    assert d.rgba.shape == (0, 10, 4) and d.n_in_window == 0
    d = RasterIndex(random_panel()).density(2000.0, 3000.0, 10)
    assert d.n_in_window == 0 and not d.rgba.any()
    with pytest.raises(ValueError):
        RasterIndex(random_panel()).density(5.0, 5.0, 10)


def test_many_rows_use_wide_keys():
    # 40 000 rows x 60 000 events is past int32 keys: the same counts as brute force.
    rng = np.random.default_rng(3)
    n, n_rows = 60_000, 40_000
    panel = RasterPanel(None, "", rng.uniform(0, 100, n), rng.integers(0, n_rows, n).astype(np.int32),
                        list(range(n_rows)), np.full((n, 4), 255, np.uint8))
    idx = RasterIndex(panel)
    d = idx.density(10.0, 90.0, 4)
    counts, _, _ = brute_cells(panel, 10.0, 90.0, 4)
    np.testing.assert_array_equal(d.counts, counts)
