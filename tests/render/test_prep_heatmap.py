"""Heatmap values and images against brute-force numpy over the raw samples."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from loupe_tui.config import HeatmapConfig, HeatmapPanel
from loupe_tui.io.mean_pyramid import MeanPyramid
from loupe_tui.io.pyramid import Pyramid
from loupe_tui.io.source import ArraySource, TimeAxis
from loupe_tui.colormaps import DEFAULT_NAN_RGBA, lut, map_values
from render.prep.heatmap import HeatmapRenderer, colorize

FS = 10.0
N = 40_000  # 4000 s at 10 Hz


class CountingSource(ArraySource):
    """An ArraySource that remembers how many samples per channel each read asked for."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.reads: list[int] = []

    def read(self, i0, i1, channels=None):
        self.reads.append(i1 - i0)
        return super().read(i0, i1, channels)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((6, N)).astype(np.float32)
    x[1, 5000:9000] = np.nan  # an all-NaN stretch
    x[2, rng.integers(0, N, 400)] = np.nan  # scattered NaN
    x[3, 20_000] = 40.0  # a transient
    x[4, 20_010] = -50.0  # a negative one
    return x


@pytest.fixture(scope="module")
def renderer(data, tmp_path_factory):
    src = CountingSource(data, TimeAxis(n=N, t0=100.0, fs=FS))
    panel = HeatmapPanel(None, "", "viridis", -2.0, 2.0, "peak", src)
    return HeatmapRenderer(panel, cache_dir=tmp_path_factory.mktemp("pyr"))


def brute(x: np.ndarray, spans: np.ndarray, method: str) -> np.ndarray:
    out = np.full((x.shape[0], len(spans)), np.nan, np.float32)
    for j, (a, b) in enumerate(spans):
        for r in range(x.shape[0]):
            seg = x[r, a:b]
            seg = seg[~np.isnan(seg)]
            if seg.size == 0:
                continue
            if method == "mean":
                out[r, j] = seg.astype(np.float64).mean()
            else:
                lo, hi = seg.min(), seg.max()
                out[r, j] = hi if abs(hi) >= abs(lo) else lo
    return out


WINDOWS = [  # (t0, t1, n_px, expected mode, expected level)
    (1000.0, 1010.0, 400, "hold", -1),
    (1000.0, 1100.0, 400, "samples", -1),  # 2.5 samples per column
    (1000.0, 1300.0, 400, "pyramid", 0),  # 7.5
    (300.0, 3300.0, 500, "pyramid", 1),  # 60
    (100.0, 4100.0, 100, "pyramid", 2),  # 400: the whole recording
]


@pytest.mark.parametrize("method", ["peak", "mean"])
@pytest.mark.parametrize("t0,t1,n_px,mode,level", WINDOWS)
def test_values_equal_brute_force_on_their_spans(renderer, data, method, t0, t1, n_px, mode, level):
    hv = renderer.values(t0, t1, n_px, method)
    assert (hv.mode, hv.level, hv.values.shape) == (mode, level, (6, n_px))
    assert hv.valid.all()
    want = brute(data, hv.spans, method)
    np.testing.assert_array_equal(np.isnan(hv.values), np.isnan(want))
    if method == "peak":
        np.testing.assert_array_equal(hv.values, want)  # a sample, exactly
    else:
        np.testing.assert_allclose(hv.values, want, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("t0,t1,n_px,mode,level", WINDOWS[1:])
def test_spans_tile_the_window_within_half_a_bin(renderer, t0, t1, n_px, mode, level):
    hv = renderer.values(t0, t1, n_px, "peak")
    assert (hv.spans[1:, 0] == hv.spans[:-1, 1]).all()
    ideal = (t0 - 100.0 + (t1 - t0) * np.arange(n_px + 1) / n_px) * FS
    bin_ = 1 if level < 0 else 4 * 8**level
    borders = np.r_[hv.spans[:, 0], hv.spans[-1, 1]]
    assert np.abs(borders - ideal).max() <= bin_ / 2 + 1


def test_peak_keeps_transients_of_either_sign_at_every_zoom(renderer):
    for t1 in (2200.0, 2500.0, 4100.0):
        hv = renderer.values(100.0, t1, 200, "peak")
        assert hv.values[3].max() == 40.0
        assert hv.values[4].min() == -50.0
        mean = renderer.values(100.0, t1, 200, "mean")
        assert mean.values[3].max() < 40.0  # the mean smooths it


def test_hold_mode_shows_the_sample_under_each_column_centre(renderer, data):
    hv = renderer.values(1000.0, 1010.0, 400, "peak")
    centres = 1000.0 + (np.arange(400) + 0.5) * 10.0 / 400
    idx = np.floor((centres - 100.0) * FS).astype(int)
    np.testing.assert_array_equal(hv.values, data[:, idx])
    np.testing.assert_array_equal(hv.spans[:, 0], idx)


def test_all_nan_columns_get_the_nan_colour(renderer):
    img = renderer.image(610.0, 990.0, 100, method="mean")  # row 1 is NaN from 600 s to 1000 s
    assert (img[1] == np.asarray(DEFAULT_NAN_RGBA, np.uint8)).all()
    assert not (img[0] == np.asarray(DEFAULT_NAN_RGBA, np.uint8)).all(axis=1).any()


@pytest.mark.parametrize("method", ["peak", "mean"])
@pytest.mark.parametrize("n_px", [50, 400, 3000])
def test_columns_outside_the_recording_are_transparent(renderer, method, n_px):
    # recording: [100, 4100) s. This window covers 3600-4600 s: the last half is empty.
    img = renderer.image(3600.0, 4600.0, n_px, method=method)
    hv = renderer.values(3600.0, 4600.0, n_px, method)
    centres = 3600.0 + (np.arange(n_px) + 0.5) * 1000.0 / n_px
    outside = centres >= 4100.0 + 1000.0 / n_px
    inside = centres < 4100.0 - 1000.0 / n_px
    assert (img[:, outside, 3] == 0).all() and not hv.valid[outside].any()
    assert (img[:, inside, 3] == 255).all() and hv.valid[inside].all()
    before = renderer.image(0.0, 50.0, n_px, method=method)
    assert (before == 0).all()


def test_image_is_the_lut_of_the_values_with_panel_limits(renderer):
    hv = renderer.values(300.0, 3300.0, 500)
    img = renderer.image(300.0, 3300.0, 500)
    want = map_values(hv.values, -2.0, 2.0, lut("viridis"))
    np.testing.assert_array_equal(img, want)
    np.testing.assert_array_equal(img, colorize(hv, -2.0, 2.0, lut("viridis")))


def test_recolouring_reuses_the_values_and_caches_the_image(renderer):
    a = renderer.image(300.0, 3300.0, 500)
    assert renderer.image(300.0, 3300.0, 500) is a
    hv = renderer.values(300.0, 3300.0, 500)
    b = renderer.image(300.0, 3300.0, 500, vmin=-1.0, vmax=1.0, cmap="gray")
    assert renderer.values(300.0, 3300.0, 500) is hv
    np.testing.assert_array_equal(b, map_values(hv.values, -1.0, 1.0, lut("gray")))
    with pytest.raises(ValueError):
        a[0, 0, 0] = 1  # cached results are read-only


def test_long_windows_never_read_the_source(renderer):
    renderer.prepare()
    src = renderer.source
    src.reads.clear()
    renderer.values(100.0, 4100.0, 123, "peak")
    renderer.values(100.0, 4100.0, 124, "mean")
    renderer.values(200.0, 3200.0, 700, "mean")
    assert src.reads == []
    renderer.values(1000.0, 1100.0, 401, "mean")  # 2.5 samples/column: reads the window only
    assert src.reads == [1000]


def test_rows_select_and_reorder(renderer, data):
    r2 = HeatmapRenderer(renderer.panel, rows=[4, 0, 3], pyramid=renderer._pyramid, means=renderer._means)
    for t0, t1, n_px, *_ in WINDOWS:
        for method in ("peak", "mean"):
            full = renderer.values(t0, t1, n_px, method).values
            np.testing.assert_array_equal(r2.values(t0, t1, n_px, method).values, full[[4, 0, 3]])
    assert r2.row_names == ["ch4", "ch0", "ch3"]
    with pytest.raises(ValueError):
        HeatmapRenderer(renderer.panel, rows=[6])


def test_irregular_axis_gap_is_transparent(tmp_path):
    t = np.r_[np.arange(0, 1000) * 0.1, 200.0 + np.arange(0, 1000) * 0.1]  # no samples in [100, 200)
    x = np.arange(2000, dtype=np.float32)[None, :]
    src = ArraySource(x, TimeAxis(n=2000, t0=0.0, times=t))
    r = HeatmapRenderer(HeatmapPanel(None, "", "magma", 0, 2000, "peak", src), cache_dir=tmp_path)
    for method in ("peak", "mean"):
        hv = r.values(0.0, 300.0, 300, method)
        assert not hv.valid[105:195].any()
        assert hv.valid[:99].all() and hv.valid[201:].all()
        np.testing.assert_array_equal(hv.values[:, hv.valid], brute(x, hv.spans, method)[:, hv.valid])


def test_heatmap_config_rows_follow_order_by_and_percentile_limits(tmp_path):
    rng = np.random.default_rng(5)
    vals = rng.standard_normal((4, 2000)).astype(np.float32) + np.arange(4)[:, None] * 10
    da = xr.DataArray(vals, dims=("cell", "time"),
                      coords={"time": np.arange(2000) / FS, "cell": [10, 11, 12, 13], "depth": ("cell", [3, 1, 2, 0])})
    panel = HeatmapConfig(da, order_by="depth", cmap="magma").panels()[0]
    r = HeatmapRenderer(panel, cache_dir=tmp_path)
    assert r.row_names == ["cell13", "cell11", "cell12", "cell10"]  # by depth 0, 1, 2, 3
    hv = r.values(0.0, 200.0, 100, "mean")
    assert np.argsort(hv.values.mean(axis=1)).tolist() == [3, 1, 2, 0]  # row r holds cell row_names[r]
    lo, hi = np.percentile(vals, [1, 99])
    assert (r.vmin, r.vmax) == pytest.approx((lo, hi))
    np.testing.assert_array_equal(r.image(0.0, 200.0, 100, method="mean"), map_values(hv.values, lo, hi, lut("magma")))


def test_bad_method_and_window():
    src = ArraySource(np.zeros((1, 10), np.float32), TimeAxis(n=10, t0=0.0, fs=1.0))
    r = HeatmapRenderer(HeatmapPanel(None, "", "magma", 0, 1, "peak", src))
    with pytest.raises(ValueError):
        r.values(0, 10, 10, "median")
    with pytest.raises(ValueError):
        r.values(5, 5, 10)


def test_given_pyramids_are_used_not_rebuilt(data, tmp_path):
    src = ArraySource(data, TimeAxis(n=N, t0=100.0, fs=FS))
    pyr = Pyramid.open_or_build(src, tmp_path / "a")
    means = MeanPyramid.build(src, in_memory=True)
    r = HeatmapRenderer(HeatmapPanel(None, "", "magma", 0, 1, "peak", src), pyramid=pyr, means=means,
                        cache_dir=tmp_path / "never")
    r.values(100.0, 4100.0, 100, "peak")
    r.values(100.0, 4100.0, 100, "mean")
    assert not (tmp_path / "never").exists()
