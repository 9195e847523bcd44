"""Spectral estimates against independent scipy references, on real recordings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from loupe_tui.errors import LoupeConfigError
from loupe_tui.io.source import ArraySource, TimeAxis
from loupe_tui.io.spectral import SpectralParams, band_power, emg_level, spectrogram

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
EOG = DATA / "yasa_eog_rem_256hz.npz"
DREAMS = DATA / "edf" / "dreams" / "excerpt1.txt"
needs_data = pytest.mark.skipif(not EOG.exists() or not DREAMS.exists(),
                                reason=f"sample recordings not found under {DATA}")


def eog() -> tuple[np.ndarray, float]:
    d = np.load(EOG)
    # What the source gives: float32 samples (the reference must see the same numbers).
    return d["data"].astype(np.float32).astype(np.float64), float(d["sf"])


def dreams() -> np.ndarray:
    return np.loadtxt(DREAMS, skiprows=1).astype(np.float32).astype(np.float64)


def source_of(x: np.ndarray, fs: float) -> ArraySource:
    return ArraySource(np.atleast_2d(x), TimeAxis(n=np.atleast_2d(x).shape[1], t0=0.0, fs=fs))


class LargestRead:
    """A source wrapper that records the longest read."""

    def __init__(self, src):
        self._src, self.largest = src, 0
        self.time, self.names, self.fingerprint = src.time, src.names, src.fingerprint
        self.n_samples, self.n_channels, self.preferred_block = src.n_samples, src.n_channels, 1 << 20

    def read(self, i0, i1, channels=None):
        self.largest = max(self.largest, i1 - i0)
        return self._src.read(i0, i1, channels)


# -- spectrogram vs scipy -----------------------------------------------------------------------
@needs_data
def test_welch_matches_scipy_welch_per_window_on_dreams():
    x, fs = dreams(), 100.0
    p = SpectralParams.defaults(30.0, method="welch")  # 30 s windows, 4 s Hann sub-segments
    times, freqs, power = spectrogram(source_of(x, fs), 0, p, log=False, block_samples=20_000)
    n = 3000
    assert power.shape[1] == len(x) // n and np.allclose(times, (np.arange(power.shape[1]) + 0.5) * 30)
    ref_f, ref = signal.welch(x[: power.shape[1] * n].reshape(-1, n), fs, window="hann", nperseg=400,
                              noverlap=200, detrend="constant", scaling="density", axis=-1)
    sel = (ref_f >= 0.5) & (ref_f <= 25)
    np.testing.assert_allclose(freqs, ref_f[sel])
    np.testing.assert_allclose(power, ref[:, sel].T, rtol=1e-6)


@needs_data
def test_welch_with_whole_window_segments_matches_scipy_spectrogram():
    x, fs = eog()
    p = SpectralParams(method="welch", window_s=4.0, step_s=4.0, fmin=0, fmax=30, welch_segment_s=4.0)
    _, freqs, power = spectrogram(source_of(x, fs), 1, p, log=False, block_samples=50_000)
    f, _, ref = signal.spectrogram(x[1], fs, window="hann", nperseg=1024, noverlap=0,
                                   detrend="constant", scaling="density")
    sel = f <= 30
    np.testing.assert_allclose(power, ref[sel][:, : power.shape[1]], rtol=1e-6)


@needs_data
def test_multitaper_matches_mean_of_dpss_periodograms_rodent_defaults():
    x, fs = eog()
    p = SpectralParams.defaults(4.0)  # 5 s window centred on each 4 s epoch: 0.5 s into each neighbour
    times, freqs, power = spectrogram(source_of(x[0], fs), 0, p, log=False, block_samples=30_000)
    n_win, step, off = 1280, 1024, -128
    tapers = signal.windows.dpss(n_win, 2.0, Kmax=3)
    assert np.isnan(power[:, 0]).all()  # the first window starts before the recording
    last = (len(x[0]) - n_win - off) // step
    assert np.isnan(power[:, last + 1:]).all() and np.isfinite(power[:, 1:last + 1]).all()
    for k in (1, 2, 57, last):
        seg = x[0, k * step + off: k * step + off + n_win]
        ref = np.mean([signal.periodogram(seg, fs, window=w, detrend="constant")[1] for w in tapers], axis=0)
        f = np.fft.rfftfreq(n_win, 1 / fs)
        np.testing.assert_allclose(power[:, k], ref[f <= 30], rtol=1e-6)
    # log output is log10 of the same, in float32
    _, _, logp = spectrogram(source_of(x[0], fs), 0, p)
    assert logp.dtype == np.float32
    np.testing.assert_allclose(logp[:, 1:last + 1], np.log10(power[:, 1:last + 1]), atol=1e-5)


@needs_data
def test_multitaper_human_defaults_on_dreams_and_memory_is_bounded():
    x, fs = dreams(), 100.0
    src = LargestRead(source_of(x, fs))
    p = SpectralParams.defaults(30.0)
    _, freqs, power = spectrogram(src, 0, p, log=False, block_samples=10_000)
    assert src.largest <= 10_000 and freqs[0] == pytest.approx(0.5, abs=1 / 30)
    tapers = signal.windows.dpss(3000, 2.0, Kmax=3)
    for k in (0, 31, power.shape[1] - 1):
        seg = x[k * 3000:(k + 1) * 3000]
        f, _ = signal.periodogram(seg, fs)
        ref = np.mean([signal.periodogram(seg, fs, window=w)[1] for w in tapers], axis=0)
        np.testing.assert_allclose(power[:, k], ref[(f >= 0.5 - 1e-9) & (f <= 25 + 1e-9)], rtol=1e-6)
    whole = spectrogram(source_of(x, fs), 0, p, log=False, block_samples=1 << 22)[2]
    np.testing.assert_array_equal(power, whole)  # blocks do not change the result


@needs_data
def test_nan_sample_blanks_only_its_windows_and_t0_t1_select_epochs():
    x, fs = dreams(), 100.0
    x = x.copy()
    x[3000 * 5 + 17] = np.nan
    p = SpectralParams.defaults(30.0)
    times, _, power = spectrogram(source_of(x, fs), 0, p, log=False)
    assert np.isnan(power[:, 5]).all() and np.isfinite(np.delete(power, 5, axis=1)).all()
    t2, _, part = spectrogram(source_of(x, fs), 0, p, t0=60.0, t1=150.0, log=False)
    np.testing.assert_allclose(t2, [75.0, 105.0, 135.0])
    np.testing.assert_array_equal(part, power[:, 2:5])


def test_segmented_axis_blanks_windows_across_gaps_and_irregular_is_refused():
    fs = 100.0
    x = np.random.default_rng(0).standard_normal(2000)
    # two runs of 10 s; the second starts at t=25 s (a 5 s gap)
    axis = TimeAxis(n=2000, t0=0.0, fs=fs, segments=np.array([[0, 0.0], [1000, 25.0]]))
    p = SpectralParams(method="welch", window_s=4.0, step_s=4.0, fmax=40, welch_segment_s=2.0)
    times, _, power = spectrogram(ArraySource(x[None], axis), 0, p, log=False)
    ok = np.isfinite(power).all(axis=0)
    # epochs [0,4) [4,8) fit run 1; [8,12) runs past it; [12,24) in the gap; [24,28) starts before run 2
    # the axis ends at 35 s: 8 epochs. [0,4) [4,8) fit run 1; [8,12) runs past it; [12,24) lie
    # in the gap; [24,28) starts in it; [28,32) is samples 1300-1700 of run 2
    np.testing.assert_array_equal(ok, [1, 1, 0, 0, 0, 0, 0, 1])
    ref = spectrogram(source_of(x[1300:1700], fs), 0, p, log=False)[2][:, 0]
    np.testing.assert_allclose(power[:, 7], ref, rtol=1e-12)
    irregular = TimeAxis(n=2000, t0=0.0, times=np.cumsum(np.full(2000, 0.01)))
    with pytest.raises(LoupeConfigError, match="^source: .*irregular"):
        spectrogram(ArraySource(x[None], irregular), 0, p)


# -- band power -----------------------------------------------------------------------------------
@needs_data
def test_band_power_integrates_the_density_and_theta_delta():
    x, fs = dreams(), 100.0
    p = SpectralParams.defaults(30.0)
    bp = band_power(source_of(x, fs), 0, p)
    times, freqs, power = spectrogram(source_of(x, fs), 0, p.with_(fmin=0.5, fmax=30), log=False)
    df = freqs[1] - freqs[0]
    delta = power[(freqs >= 0.5) & (freqs < 4)].sum(axis=0) * df
    theta = power[(freqs >= 4) & (freqs < 8)].sum(axis=0) * df
    total = power[(freqs >= 0.5) & (freqs < 30)].sum(axis=0) * df
    assert bp.names == ("delta", "theta", "alpha", "sigma", "beta")
    np.testing.assert_allclose(bp.absolute[0], delta, rtol=1e-12)
    np.testing.assert_allclose(bp.theta_delta, theta / delta, rtol=1e-12)
    np.testing.assert_allclose(bp.relative.sum(axis=0), 1.0, rtol=1e-9)  # human bands partition 0.5-30
    assert np.all(bp.absolute > 0) and bp.absolute.shape == (5, len(x) // 3000)


# -- EMG level ------------------------------------------------------------------------------------
@needs_data
def test_emg_level_matches_whole_signal_filtfilt_then_rms():
    x, fs = eog()
    src = LargestRead(source_of(x[0], fs))
    times, level = emg_level(src, 0, 4.0, band=(20, 50), order=4, block_samples=40_000)
    b, a = signal.butter(4, (20, 50), btype="bandpass", fs=fs)
    y = signal.filtfilt(b, a, x[0])
    n = 1024
    m = len(x[0]) // n
    ref = np.log10(np.sqrt(np.mean(y[: m * n].reshape(m, n) ** 2, axis=1)))
    assert level.dtype == np.float32 and len(level) == m
    np.testing.assert_allclose(10 ** level.astype(np.float64), 10 ** ref, rtol=1e-4)  # ends included
    assert src.largest < 40_000 + 2 * 2000


def test_emg_level_nan_splits_runs():
    fs = 250.0
    x = np.random.default_rng(1).standard_normal(250 * 40)
    x[250 * 20 + 3] = np.nan
    _, level = emg_level(source_of(x, fs), 0, 4.0, band=(20, 50))
    assert np.isnan(level[5]) and np.isfinite(np.delete(level, 5)).all()
    # the run before the NaN, filtered as a whole recording of its own
    ref = emg_level(source_of(x[: 250 * 20 + 3], fs), 0, 4.0)[1]
    np.testing.assert_allclose(level[:5], ref, rtol=1e-6)


# -- parameters -----------------------------------------------------------------------------------
def test_defaults_for_rodent_and_human_epochs():
    r = SpectralParams.defaults(4.0)
    assert (r.method, r.window_s, r.step_s, r.nw, r.n_tapers, r.fmin, r.fmax) == \
        ("multitaper", 5.0, 4.0, 2.0, 3, 0.0, 30.0)
    assert r.bands["theta"] == (6.0, 10.0) and r.emg_band == (20.0, 50.0)
    assert SpectralParams.defaults(10.0).window_s == 10.0
    h = SpectralParams.defaults(30.0)
    assert (h.window_s, h.step_s, h.fmin, h.fmax, h.welch_segment_s) == (30.0, 30.0, 0.5, 25.0, 4.0)
    assert dict(h.bands) == {"delta": (0.5, 4.0), "theta": (4.0, 8.0), "alpha": (8.0, 12.0),
                             "sigma": (12.0, 16.0), "beta": (16.0, 30.0)}
    assert SpectralParams.defaults(4.0, method="welch").welch_segment_s == 2.5


@pytest.mark.parametrize("kw, start", [
    (dict(method="fft"), "method: "),
    (dict(window_s=0), "window_s: "),
    (dict(step_s=-1), "step_s: "),
    (dict(fmin=10, fmax=5), "fmin/fmax: "),
    (dict(nw=0), "nw: "),
    (dict(n_tapers=5), "n_tapers: "),
    (dict(n_tapers=1.5), "n_tapers: "),
    (dict(method="welch", welch_segment_s=9), "welch_segment_s: "),
    (dict(bands={"delta": (4, 0.5)}), "bands['delta']: "),
    (dict(bands={}), "bands: "),
    (dict(emg_band=(0, 50)), "emg_band: "),
])
def test_bad_parameters_give_one_line_errors_naming_them(kw, start):
    with pytest.raises(LoupeConfigError) as exc:
        SpectralParams.defaults(4.0, **kw)
    msg = str(exc.value)
    assert msg.startswith(start) and "\n" not in msg


def test_errors_that_depend_on_the_source():
    src = source_of(np.zeros(10_000), 100.0)
    with pytest.raises(LoupeConfigError, match="^fmax: 60 Hz is above the Nyquist"):
        spectrogram(src, 0, SpectralParams.defaults(4.0, fmax=60))
    with pytest.raises(LoupeConfigError, match="^band: 50 Hz is not below the Nyquist"):
        emg_level(src, 0, 4.0)
    with pytest.raises(LoupeConfigError, match="^epoch_s: "):
        SpectralParams.defaults(0)
