"""Mean pyramid: level sums, counts only with NaN, cache round trip, window means."""

from __future__ import annotations

import numpy as np
import pytest

from loupe_tui.io.columns import binned_means, reduce_mean
from loupe_tui.io.mean_pyramid import MeanPyramid, mean_cache_key
from loupe_tui.io.pyramid import PyramidBuildCancelled
from loupe_tui.io.source import ArraySource, TimeAxis

N = 10_007  # not a multiple of any bin: every level ends with a short bin


def source(nan: bool, seed: int = 0) -> ArraySource:
    rng = np.random.default_rng(seed)
    x = rng.normal(3.0, 1.0, (3, N)).astype(np.float32)
    if nan:
        x[0, 100:900] = np.nan
        x[2, rng.integers(0, N, 300)] = np.nan
    return ArraySource(x, TimeAxis(n=N, t0=0.0, fs=100.0))


def brute_levels(x: np.ndarray, bins: list[int]):
    for b in bins:
        nb = -(-x.shape[1] // b)
        s = np.zeros((x.shape[0], nb))
        c = np.zeros((x.shape[0], nb))
        for j in range(nb):
            seg = x[:, j * b:(j + 1) * b]
            s[:, j] = np.nansum(seg.astype(np.float64), axis=1)
            c[:, j] = (~np.isnan(seg)).sum(axis=1)
        yield s, c


@pytest.mark.parametrize("nan", [False, True])
def test_levels_are_bin_sums_and_counts(nan, tmp_path):
    src = source(nan)
    pyr = MeanPyramid.build(src, tmp_path)
    assert pyr.bins == [4, 32, 256, 2048, 16384]
    assert (pyr.counts is not None) == nan
    for k, (s, c) in enumerate(brute_levels(src._data, pyr.bins)):
        np.testing.assert_allclose(pyr.sums[k], s, rtol=1e-6)
        if nan:
            np.testing.assert_array_equal(pyr.counts[k], c)
    files = sorted(p.name for p in (tmp_path / mean_cache_key(src.fingerprint)).iterdir())
    assert ("counts00.npy" in files) == nan and "meta.json" in files


@pytest.mark.parametrize("nan", [False, True])
def test_cache_round_trip_and_memory_build_agree(nan, tmp_path):
    src = source(nan)
    built = MeanPyramid.build(src, tmp_path)
    opened = MeanPyramid.open(src, tmp_path)
    mem = MeanPyramid.build(src, in_memory=True)
    assert opened is not None and opened.path == built.path and mem.path is None
    for a, b in zip(opened.sums, mem.sums):
        np.testing.assert_array_equal(a, b)
    assert MeanPyramid.open(source(nan, seed=1), tmp_path) is None  # another source: no cache
    assert MeanPyramid.open_or_build(src, tmp_path).path == built.path


def test_damaged_cache_is_no_cache(tmp_path):
    src = source(False)
    pyr = MeanPyramid.build(src, tmp_path)
    (pyr.path / "sums02.npy").write_bytes(b"junk")
    assert MeanPyramid.open(src, tmp_path) is None


@pytest.mark.parametrize("nan", [False, True])
@pytest.mark.parametrize("t0,t1,n_px,level", [(1.0, 5.0, 200, -1), (0.0, 60.0, 400, 0), (5.0, 95.0, 100, 1),
                                              (0.0, 100.07, 30, 2), (-20.0, 130.0, 7, 3)])
def test_window_means_equal_brute_force_on_their_edges(nan, t0, t1, n_px, level, tmp_path):
    src = source(nan)
    pyr = MeanPyramid.build(src, in_memory=True)
    w = pyr.window(t0, t1, n_px, channels=[2, 0])
    assert w.level == level and w.mean.shape == (2, n_px)
    x = src._data[[2, 0]]
    want = reduce_mean(x, w.edges)
    np.testing.assert_array_equal(np.isnan(w.mean), np.isnan(want))
    np.testing.assert_allclose(w.mean, want, rtol=2e-6)
    brute = np.array([[np.nanmean(x[r, a:b]) if b > a and not np.isnan(x[r, a:b]).all() else np.nan
                       for a, b in zip(w.edges[:-1], w.edges[1:])] for r in range(2)])
    np.testing.assert_allclose(w.mean, brute, rtol=2e-6)


def test_window_outside_the_recording(tmp_path):
    pyr = MeanPyramid.build(source(False), in_memory=True)
    w = pyr.window(500.0, 600.0, 50)
    assert np.isnan(w.mean).all() and (np.diff(w.edges) == 0).all()


def test_infinity_stays_in_its_column():
    x = np.zeros((1, 64), np.float32)
    x[0, 10] = np.inf
    assert reduce_mean(x, np.array([0, 8, 16, 32, 64])).tolist() == [[0.0, np.inf, 0.0, 0.0]]
    sums = np.zeros((1, 16), np.float32)  # bins of 4 samples, full (no counts)
    sums[0, 3] = np.inf
    out = np.empty((1, 4), np.float32)
    binned_means(sums, np.zeros((0, 0), np.float32), np.array([0]), np.array([0, 2, 4, 8, 16]), 4, 62, out)
    assert out.tolist() == [[0.0, np.inf, 0.0, 0.0]]


def test_binned_means_count_the_short_last_bin():
    sums = np.array([[4.0, 4.0, 2.0]], np.float32)  # 10 samples of 1.0 in bins of 4: the last holds 2
    out = np.empty((1, 2), np.float32)
    binned_means(sums, np.zeros((0, 0), np.float32), np.array([0]), np.array([0, 2, 3]), 4, 10, out)
    assert out.tolist() == [[1.0, 1.0]]
    binned_means(sums, np.array([[4.0, 3.0, 0.0]], np.float32), np.array([0]), np.array([0, 2, 3]), 4, 10, out)
    assert out[0, 0] == pytest.approx(8 / 7) and np.isnan(out[0, 1])


def test_cancel_leaves_nothing(tmp_path):
    with pytest.raises(PyramidBuildCancelled):
        MeanPyramid.build(source(False), tmp_path, cancel=lambda: True)
    assert list(tmp_path.iterdir()) == []
