"""The spectral views' cache: built once, fingerprinted, atomic, and what its queries return."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from loupe_tui.config import SpectrogramConfig, TraceConfig
from loupe_tui.errors import LoupeConfigError
from loupe_tui.io.source import ArraySource, TimeAxis
from loupe_tui.io.spectral import SpectralParams, band_power, emg_level, spectrogram
from loupe_tui.io.spectral import cache as sc

ROOT = Path(__file__).resolve().parents[2]
MOUSE = ROOT.parent / "shared" / "data" / "edf" / "mouse_misleep_10min.edf"
FS = 250.0


def recording(minutes: float = 20.0, seed: int = 3) -> np.ndarray:
    """EEG: delta (2 Hz) in the first half, theta (7 Hz) in the second; EMG: loud then quiet."""
    rng = np.random.default_rng(seed)
    n = int(minutes * 60 * FS)
    t = np.arange(n) / FS
    half = n // 2
    eeg = rng.normal(0, 0.3, n)
    eeg[:half] += 3 * np.sin(2 * np.pi * 2.0 * t[:half])
    eeg[half:] += 3 * np.sin(2 * np.pi * 7.0 * t[half:])
    emg = rng.normal(0, 1.0, n) * np.where(np.arange(n) < half, 2.0, 0.2)
    return np.stack([eeg, emg]).astype(np.float32)


def source(x=None) -> ArraySource:
    x = recording() if x is None else x
    return ArraySource(x, TimeAxis(n=x.shape[1], t0=0.0, fs=FS), names=["EEG", "EMG"])


def files(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "spectral").iterdir()) if (root / "spectral").exists() else []


def test_built_once_then_opened_from_disk(tmp_path):
    src, p = source(), SpectralParams.defaults(4.0)
    said = []
    first = sc.open_or_build_spectrogram(src, 0, p, tmp_path, progress=lambda f, m: said.append(m))
    assert "spectrogram" in said[-1] and "cached" not in said[-1]
    said.clear()
    again = sc.open_or_build_spectrogram(src, 0, p, tmp_path, progress=lambda f, m: said.append(m))
    assert said == ["spectrogram: cached"] and again.path == first.path
    np.testing.assert_array_equal(np.asarray(again.epochs), np.asarray(first.epochs))
    # one entry, no leftovers of the build
    assert files(tmp_path) == [first.path.name]


def test_the_key_follows_data_channel_and_parameters(tmp_path):
    x = recording()
    a = sc.open_or_build_spectrogram(source(x), 0, SpectralParams.defaults(4.0), tmp_path)
    other_params = sc.open_or_build_spectrogram(source(x), 0, SpectralParams.defaults(4.0, method="welch"), tmp_path)
    other_channel = sc.open_or_build_spectrogram(source(x), 1, SpectralParams.defaults(4.0), tmp_path)
    y = x * 1.5
    other_data = sc.open_or_build_spectrogram(source(y), 0, SpectralParams.defaults(4.0), tmp_path)
    assert len({a.path, other_params.path, other_channel.path, other_data.path}) == 4
    # the page view's window is display only: it shares the cache
    shared = sc.open_or_build_spectrogram(source(x), 0, SpectralParams.defaults(4.0, page_window_s=1.0), tmp_path)
    assert shared.path == a.path


def test_a_cancelled_build_leaves_nothing_and_the_next_open_builds(tmp_path):
    src, p = source(), SpectralParams.defaults(4.0)
    with pytest.raises(sc.SpectralBuildCancelled):
        sc.open_or_build_spectrogram(src, 0, p, tmp_path, cancel=lambda: True)
    assert files(tmp_path) == []
    assert sc.open_or_build_spectrogram(src, 0, p, tmp_path).n_epochs == 300


def test_a_build_killed_midway_is_never_opened(tmp_path):
    """A process killed while building leaves a temporary folder only; it is not taken for a cache."""
    script = f"""
import os, sys, numpy as np
sys.path.insert(0, {str(ROOT)!r})
from loupe_tui.io.source import ArraySource, TimeAxis
from loupe_tui.io.spectral import SpectralParams
from loupe_tui.io.spectral import cache as sc
x = np.random.default_rng(0).normal(size=(1, 250 * 600)).astype(np.float32)
src = ArraySource(x, TimeAxis(n=x.shape[1], t0=0.0, fs=250.0))
np_save = np.save
def save(path, arr):
    np_save(path, arr)
    os._exit(9)          # killed after the first file
sc.np.save = save
sc.open_or_build_spectrogram(src, 0, SpectralParams.defaults(4.0), {str(tmp_path)!r})
"""
    assert subprocess.run([sys.executable, "-c", script]).returncode == 9
    leftovers = files(tmp_path)
    assert leftovers and all(".tmp-" in n for n in leftovers)
    x = np.random.default_rng(0).normal(size=(1, 250 * 600)).astype(np.float32)
    src = ArraySource(x, TimeAxis(n=x.shape[1], t0=0.0, fs=250.0))
    built = sc.open_or_build_spectrogram(src, 0, SpectralParams.defaults(4.0), tmp_path)
    assert built.n_epochs == 150 and files(tmp_path) == [built.path.name]   # the dead build's folder is gone


def test_cached_values_are_the_estimates(tmp_path):
    src, p = source(), SpectralParams.defaults(4.0)
    spec = sc.open_or_build_spectrogram(src, 0, p, tmp_path)
    times, freqs, ref = spectrogram(src, 0, p)
    np.testing.assert_allclose(spec.freqs, freqs)
    np.testing.assert_allclose(np.asarray(spec.epochs).T, ref, rtol=1e-6, equal_nan=True)
    bands = band_power(src, 0, p)
    for i, name in enumerate(bands.names):
        np.testing.assert_allclose(spec.bands[name].values, np.log10(bands.absolute[i]), rtol=1e-5)
    emg = sc.open_or_build_emg(src, 1, 4.0, cache_dir=tmp_path)
    np.testing.assert_allclose(emg.values, emg_level(src, 1, 4.0)[1], rtol=1e-6)


def test_queries_show_delta_then_theta_and_the_emg_falls(tmp_path):
    src = source()
    spec = sc.open_or_build_spectrogram(src, 0, SpectralParams.defaults(4.0), tmp_path)
    emg = sc.open_or_build_emg(src, 1, 4.0, cache_dir=tmp_path)
    over = spec.overview(40)
    rows = over.on_rows(30, 0.0, 30.0)                       # 1 Hz rows, row 0 = 0-1 Hz
    assert rows.shape == (30, 40)
    assert (np.argmax(rows[:, :18], axis=0) == 2).all()      # 2-3 Hz row in the first half
    assert (np.argmax(rows[:, 22:], axis=0) == 7).all()      # 7-8 Hz row in the second
    td = spec.bands["theta/delta"].columns(0, 1200, 10)
    assert td[:4].max() < 0.1 < 10 < td[6:].min()
    level = emg.columns(0, 1200, 10)
    assert level[:4].min() > level[6:].max() + 0.8          # 10x quieter: one decade lower
    lo, hi = spec.limits()
    assert lo < hi and spec.limits(10, 90)[0] > lo


def test_a_page_has_at_least_40_columns_computed_from_the_samples(tmp_path):
    src, p = source(), SpectralParams.defaults(4.0)
    spec = sc.open_or_build_spectrogram(src, 0, p, tmp_path)
    img = spec.page(600.0, 610.0, 200)                        # a 10 s page: two and a half epochs
    assert img.n_cols >= 40 and img.t0 == 600.0 and img.t1 == 610.0
    fine = p.with_(window_s=p.page_window_s, step_s=10.0 / img.n_cols, welch_segment_s=1.0)
    _, freqs, ref = spectrogram(src, 0, fine, 600.0, 610.0)
    np.testing.assert_allclose(img.freqs, freqs)
    np.testing.assert_allclose(img.power, ref, rtol=1e-6, equal_nan=True)
    # across the switch from delta to theta (t = 600 s) the columns change within the page
    sw = spec.page(596.0, 606.0, 200).on_rows(15, 0.0, 15.0)
    assert np.argmax(sw[:, 5]) in (1, 2) and np.argmax(sw[:, -5]) in (6, 7)
    # long windows use the cached epochs
    assert spec.page(0.0, 1200.0, 100).power.shape == (len(spec.freqs), 100)


def test_columns_of_a_zoomed_in_window_repeat_the_epoch_under_them():
    values = np.array([[1.0], [2.0], [np.nan], [4.0]], np.float32)
    a, b, at = sc.epoch_ranges(0.0, 4.0, 4, 0.0, 16.0, 8)   # 2 s columns over 4 s epochs
    np.testing.assert_array_equal(sc.column_means(values, a, b, at)[:, 0], [1, 1, 2, 2, np.nan, np.nan, 4, 4])
    a, b, at = sc.epoch_ranges(0.0, 4.0, 4, 0.0, 16.0, 2)   # 8 s columns: means, NaN ignored
    np.testing.assert_array_equal(sc.column_means(values, a, b, at)[:, 0], [1.5, 4])
    a, b, at = sc.epoch_ranges(0.0, 4.0, 4, -8.0, 0.0, 2)   # before the recording
    assert np.isnan(sc.column_means(values, a, b, at)).all()


@pytest.mark.parametrize("fs", [250.0, 1000.0])
def test_the_cache_is_a_small_fraction_of_the_raw_data(tmp_path, fs):
    """At most 10 % at 250 Hz (a common rodent rate), a few % at the demo's 1 kHz."""
    x = recording(minutes=20.0 * 250.0 / fs)
    src = ArraySource(x, TimeAxis(n=x.shape[1], t0=0.0, fs=fs), names=["EEG", "EMG"])
    spec = sc.open_or_build_spectrogram(src, 0, SpectralParams.defaults(4.0), tmp_path)
    emg = sc.open_or_build_emg(src, 1, 4.0, cache_dir=tmp_path)
    size = sum(f.stat().st_size for d in (spec.path, emg.path) for f in d.iterdir())
    assert size <= (0.10 if fs == 250.0 else 0.03) * x.nbytes, (size, x.nbytes)


# -- the config ----------------------------------------------------------------------------------
def da_of(x: np.ndarray, names=("Fpz-Cz", "EMG submental")) -> xr.DataArray:
    return xr.DataArray(x, dims=("channel", "time"),
                        coords={"channel": list(names), "time": np.arange(x.shape[1]) / FS})


def test_config_by_name_or_position_and_its_errors(tmp_path):
    da = da_of(recording(minutes=5.0))
    by_name = SpectrogramConfig(da, channel="Fpz-Cz", emg_channel="EMG submental")
    by_pos = SpectrogramConfig(da, channel=0, emg_channel=1)
    assert by_name.channels == by_pos.channels == (0, 1)
    assert by_name.names == ("Fpz-Cz", "EMG submental")
    views = by_name.open(4.0, tmp_path)
    assert views.spectrogram.n_epochs == 75 and len(views.emg.values) == 75
    assert by_name.params(30.0).fmin == 0.5 and by_name.params(4.0).window_s == 5.0
    assert SpectrogramConfig(da, channel=0, method="welch", fmax=20.0).params(4.0).fmax == 20.0
    for kwargs, part in [({"channel": "C3"}, "channel: no channel named 'C3'; channels: Fpz-Cz, EMG submental"),
                         ({"channel": 5}, "channel: channel 5 is out of range"),
                         ({}, "channel: give channel="),
                         ({"channel": 0, "cmap": "rainbow"}, "cmap: must be one of"),
                         ({"channel": 0, "fmax": -1.0}, "fmin/fmax"),
                         ({"emg_channel": 1, "emg_band": (50, 20)}, "emg_band")]:
        with pytest.raises(LoupeConfigError) as exc:
            SpectrogramConfig(da, **kwargs)
        assert part in str(exc.value) and "\n" not in str(exc.value)


def test_view_takes_it_beside_the_traces(tmp_path):
    from loupe_tui.api import make_context

    da = da_of(recording(minutes=5.0))
    ctx = make_context([TraceConfig(da), SpectrogramConfig(da, channel=0)], window=False,
                       state_definitions="rodent_sleep", cache_dir=tmp_path)
    assert [type(c).__name__ for c in ctx.configs] == ["TraceConfig"] and len(ctx.spectral) == 1
    assert ctx.spectral_candidates() == ["Fpz-Cz", "EMG submental"]
    made = ctx.choose_spectral("Fpz-Cz", "EMG submental")
    assert ctx.spectral == [made] and made.channels == (0, 1)
    with pytest.raises(LoupeConfigError, match="no channel named 'EEG'; channels: Fpz-Cz, EMG submental"):
        ctx.choose_spectral("EEG")
    with pytest.raises(LoupeConfigError, match="pass a TraceConfig"):
        make_context([SpectrogramConfig(da, channel=0)], window=False, state_definitions="rodent_sleep")


@pytest.mark.skipif(not MOUSE.exists(), reason=f"{MOUSE} not found")
def test_cli_names_the_channels_of_a_real_mouse_recording(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    out = subprocess.run([sys.executable, "-m", "loupe_tui", "open", str(MOUSE), "--spectrogram", "EEG",
                          "--no-window", "--cache-dir", str(tmp_path)], capture_output=True, text=True,
                         env=env, stdin=subprocess.DEVNULL, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1] == ("loupe-tui: error: --spectrogram: no channel named 'EEG'; channels: "
                                  "Channel1, Channel2, Channel3, Channel4")


@pytest.mark.skipif(not MOUSE.exists(), reason=f"{MOUSE} not found")
def test_real_mouse_recording_builds_and_pages(tmp_path):
    from loupe_tui.io.edf.recording import read_edf

    da = next(iter(read_edf(MOUSE).groups.values()))
    views = SpectrogramConfig(da, channel="Channel1", emg_channel="Channel3").open(4.0, tmp_path)
    epochs = np.asarray(views.spectrogram.epochs)
    # a 5 s window centred on a 4 s epoch runs 0.5 s past the recording at both ends: those two are NaN
    assert epochs.shape[0] == 150 and np.isfinite(epochs[1:-1]).all() and np.isnan(epochs[[0, -1]]).all()
    img = views.spectrogram.page(100.0, 110.0, 80)
    assert img.n_cols == 80 and np.isfinite(img.power).all()
    assert np.isfinite(views.emg.values).all()


def test_a_few_artifact_epochs_do_not_squash_a_series_limits():
    rng = np.random.default_rng(1)
    values = rng.normal(1.0, 0.1, 150).astype(np.float32)
    values[:7] = 6.0                                          # a loose electrode in the first 28 s
    lo, hi = sc.EpochSeries("delta", "log10 power", 0.0, 4.0, values).limits()
    assert hi < 1.5 and lo < 0.9                              # the rest spans the sparkline's rows
    clean = sc.EpochSeries("delta", "log10 power", 0.0, 4.0, values[7:]).limits()
    assert clean == pytest.approx(sc.percentiles(values[7:], 2.5, 97.5))   # no artifact: the percentiles
