"""The spectral panels' GL-free parts and the spectral entries of the session spec (no display).

A synthetic recording whose EEG is a 2 Hz sine in its first half and a 7 Hz
sine in its second, and whose EMG is ten times louder in its second half.
"""

from __future__ import annotations

import warnings

import json
import threading
import time

import numpy as np
import pytest
import xarray as xr

from gl_harness import STATES
from loupe_tui.config import TraceConfig
from loupe_tui.config_spectral import SpectrogramConfig
from loupe_tui.io.spectral.cache import SpectrumImage
from loupe_tui.viewspec import build_spec, open_spec
from render.layout import compute_layout
from render.prep.chunk_cache import ChunkCache
from render.prep.spectral import PageFetcher, check_limits_pct, freq_ticks, spectrum_rgba

FS, DUR = 256.0, 240.0


def delta_then_theta() -> xr.DataArray:
    """EEG: 2 Hz (delta) for 120 s, then 7 Hz (theta); EMG: quiet, then 10x louder."""
    t = np.arange(int(FS * DUR)) / FS
    rng = np.random.default_rng(0)
    eeg = np.where(t < DUR / 2, np.sin(2 * np.pi * 2 * t), np.sin(2 * np.pi * 7 * t)) * 3
    eeg = eeg + 0.3 * rng.standard_normal(t.size)
    emg = rng.standard_normal(t.size) * np.where(t < DUR / 2, 0.2, 2.0)
    return xr.DataArray(np.stack([eeg, emg]).astype(np.float32), dims=("channel", "time"), name="rec",
                        coords={"channel": ["Fpz-Cz", "EMG"], "time": t})


def test_spec_entries_open_the_same_cache_the_app_built(tmp_path):
    cfg = SpectrogramConfig(delta_then_theta(), channel="Fpz-Cz", emg_channel="EMG", cmap="magma")
    built = cfg.open(4.0, cache_dir=tmp_path / "pyr")                   # the app builds first
    spec = build_spec([TraceConfig(cfg.data)], labels_states_colors=STATES, cache_dir=tmp_path / "cache",
                      pyramid_cache=tmp_path / "pyr", spectral=[cfg], epoch_s=4.0)
    entry = spec["spectral"][0]
    assert entry["channel"] == 0 and entry["emg_channel"] == 1 and entry["names"] == ["Fpz-Cz", "EMG"]
    assert entry["cmap"] == "magma" and entry["epoch_s"] == 4.0 and entry["params"]["step_s"] == 4.0
    assert spec["span"] == [0.0, DUR]
    session = open_spec(json.loads(json.dumps(spec)))                  # as it crosses the link
    sv = session.spectral[0]
    assert sv.spectrogram.path == built.spectrogram.path, "the window opens the app's cache, not a new one"
    assert sv.emg.path == built.emg.path
    assert sv.eeg_name == "Fpz-Cz" and sv.emg_name == "EMG"
    np.testing.assert_array_equal(sv.spectrogram.page(0, DUR, 60).power, built.spectrogram.page(0, DUR, 60).power)


def test_specs_without_spectral_views_still_open(tmp_path):
    spec = build_spec([TraceConfig(delta_then_theta())], labels_states_colors=STATES, cache_dir=tmp_path / "c",
                      pyramid_cache=tmp_path / "p")
    assert spec["spectral"] == []
    del spec["spectral"]                                                # a spec from before issue 13
    assert open_spec(spec).spectral == []
    cfg = SpectrogramConfig(delta_then_theta(), channel=0)
    with pytest.raises(ValueError, match="epoch_s"):
        build_spec([], labels_states_colors=STATES, cache_dir=tmp_path / "c", spectral=[cfg])


def rows_by_definition(img, n_rows, fmin, fmax):
    """SpectrumImage.on_rows as its docstring defines it, one row at a time."""
    h = (fmax - fmin) / n_rows
    out = np.full((n_rows, img.n_cols), np.nan, np.float32)
    for r in range(n_rows):
        lo, hi = fmin + r * h, fmin + (r + 1) * h
        inside = (img.freqs >= lo - 1e-9) & (img.freqs < hi - 1e-9)
        if inside.any():
            v = np.where(np.isfinite(img.power[inside]), img.power[inside], np.nan)
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                out[r] = np.nanmean(v, axis=0)
        elif img.freqs[0] - h <= (lo + hi) / 2 <= img.freqs[-1] + h:
            out[r] = img.power[np.argmin(np.abs(img.freqs - (lo + hi) / 2))]
    return out


def test_rows_are_on_rows_only_quicker():
    rng = np.random.default_rng(1)
    freqs = np.arange(151) * 0.2
    img = SpectrumImage(0.0, 10.0, freqs, rng.standard_normal((151, 40)).astype(np.float32))
    img.power[:, 3] = np.nan           # a column without an estimate
    img.power[7, 9] = np.nan           # a column with one bad bin
    img.power[0, 20:30] = -np.inf      # log10 of nothing
    for n_rows, fmin, fmax in [(151, 0, 30), (190, 0, 30), (400, 0.5, 25), (60, 0, 30), (17, 0, 30)]:
        np.testing.assert_allclose(img.on_rows(n_rows, fmin, fmax), rows_by_definition(img, n_rows, fmin, fmax),
                                   rtol=1e-5, atol=1e-6, equal_nan=True)       # float32 sums


def test_colours_put_the_highest_frequency_on_top_and_no_data_transparent():
    rows = np.array([[0.0, np.nan], [1.0, 1.0]], np.float32)          # row 0: the lowest frequency
    rgba = spectrum_rgba(rows, (0.0, 1.0), "gray")
    assert tuple(rgba[0, 0]) == (255, 255, 255, 255), "the top texture row is the highest frequency"
    assert tuple(rgba[1, 0]) == (0, 0, 0, 255)
    assert rgba[1, 1, 3] == 0, "no estimate: transparent (the panel's background)"


def test_frequency_ticks_and_option_checks():
    assert freq_ticks(0, 30, 200).tolist() == [0, 5, 10, 15, 20, 25, 30]
    assert freq_ticks(0, 30, 60).tolist() == [0, 10, 20, 30]
    assert freq_ticks(0.5, 25, 300).tolist()[:3] == [2, 4, 6]
    assert check_limits_pct([5, 95]) == (5.0, 95.0)
    for bad in ([50, 10], [0, 101], "x", [1]):
        with pytest.raises(ValueError, match="limits_pct"):
            check_limits_pct(bad)


def test_layout_puts_the_overview_just_above_the_hypnogram_and_collapses_hidden_panels():
    lay = compute_layout(1000, 600, [(3.0, 44.0), (2.5, 60.0), (1.2, 40.0)], overview=True)
    assert lay.overview is not None and lay.overview.x == lay.hypnogram.x and lay.overview.w == lay.hypnogram.w
    assert 0 <= lay.hypnogram.y - lay.overview.y1 <= 6 and lay.video.y1 <= lay.overview.y
    hidden = compute_layout(1000, 600, [(3.0, 44.0), (0.0, 0.0), (1.2, 40.0)], overview=True)
    assert hidden.panels[1].h == 0 and hidden.panels[2].y == hidden.panels[0].y1 + 6, "no gap for a hidden panel"
    assert hidden.panels[0].h > lay.panels[0].h, "the others take its height"
    below = compute_layout(1000, 600, [(1.0, 40.0)], overview=True, video_below=True)
    assert below.overview.y1 <= below.hypnogram.y and below.overview.x == below.hypnogram.x


def test_chunk_cache_reads_what_the_source_reads():
    cfg = SpectrogramConfig(delta_then_theta(), channel=0)
    src = cfg.source
    cache = ChunkCache(src)
    assert cache.fingerprint == src.fingerprint and cache.block >= 1 << 18
    n = src.n_samples
    for i0, i1, ch in [(0, 100, [0]), (n - 50, n + 10, [1]), (1000, 5000, None), (0, n, [0, 1])]:
        np.testing.assert_array_equal(cache.read(i0, i1, ch), src.read(i0, i1, ch))
    small = ChunkCache(src)
    small.block = 4096                     # reads across block edges are joined
    np.testing.assert_array_equal(small.read(4000, 9000, [0]), src.read(4000, 9000, [0]))


def test_page_fetcher_waits_briefly_then_hands_over_the_newest_page():
    gate = threading.Event()

    def slow(key):
        gate.wait(5)
        return ("page", key)

    f = PageFetcher(slow)
    assert f.get("a", wait_s=0.01) is None, "not ready within the wait: None, computed meanwhile"
    assert f.get("b", wait_s=0.0) is None
    gate.set()
    end = time.monotonic() + 5
    while f.take("b") is None and time.monotonic() < end:
        time.sleep(0.01)
    assert f.take("b") == ("page", "b")
    assert f.get("b", wait_s=0.0) == ("page", "b")
    f2 = PageFetcher(lambda key: 1 / 0)
    assert isinstance(f2.get("x", wait_s=2.0), ZeroDivisionError), "a failure is handed over, not raised"


def test_pages_flipped_past_under_a_held_key_are_never_computed():
    computed = []
    f = PageFetcher(lambda key: computed.append(key) or key, settle_s=0.2)
    assert f.get(0, wait_s=2.0) == 0, "a lone wish is fetched at once"
    for k in range(1, 6):                                  # a held key: a wish every 20 ms
        assert f.get(k, wait_s=0.05) is None, "no wait under a held key"
        time.sleep(0.02)
    end = time.monotonic() + 5
    while f.take(5) is None and time.monotonic() < end:
        time.sleep(0.01)
    assert f.take(5) == 5 and computed == [0, 5], computed


def test_an_idle_page_thread_ends_and_comes_back():
    def pages():
        return [t for t in threading.enumerate() if t.name == "spectral-page"]

    before = len(pages())
    f = PageFetcher(lambda key: key, settle_s=0.0)
    f.IDLE_S = 0.05
    assert f.get(1, wait_s=2.0) == 1 and len(pages()) == before + 1
    end = time.monotonic() + 5
    while len(pages()) > before and time.monotonic() < end:
        time.sleep(0.01)
    assert len(pages()) == before, "no thread left behind"
    assert f.get(2, wait_s=2.0) == 2
