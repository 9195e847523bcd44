"""Display filters against scipy's whole-signal sosfiltfilt, on synthetic and real recordings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from loupe_tui.errors import LoupeConfigError
from loupe_tui.io import zero_phase
from loupe_tui.io.filters import (PRESETS, DisplayFilter, FilterChain, FilteredSource, filtered_name,
                                  parse_filter)
from loupe_tui.io.pyramid import Pyramid
from loupe_tui.io.source import ArraySource, TimeAxis

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
EOG = DATA / "yasa_eog_rem_256hz.npz"
DREAMS = DATA / "edf" / "dreams" / "excerpt1.txt"
needs_data = pytest.mark.skipif(not EOG.exists() or not DREAMS.exists(),
                                reason=f"sample recordings not found under {DATA}")
EEG_NOTCH = FilterChain((PRESETS["eeg"], PRESETS["notch50"]))


def eog() -> tuple[np.ndarray, float]:
    d = np.load(EOG)
    # What the source gives: float32 samples (the reference must see the same numbers).
    return d["data"].astype(np.float32).astype(np.float64), float(d["sf"])


def dreams() -> np.ndarray:
    return np.loadtxt(DREAMS, skiprows=1).astype(np.float32).astype(np.float64)


def source_of(x: np.ndarray, fs: float, segments=None) -> ArraySource:
    x = np.atleast_2d(x)
    return ArraySource(x, TimeAxis(n=x.shape[1], t0=0.0, fs=fs, segments=segments))


def runs_reference(sos, x: np.ndarray, bounds) -> np.ndarray:
    """scipy's sosfiltfilt over each ``[a, b)`` of ``bounds`` on its own; NaN elsewhere."""
    y = np.full_like(x, np.nan)
    for a, b in bounds:
        y[a:b] = signal.sosfiltfilt(sos, x[a:b])
    return y


def assert_windows_match(src: FilteredSource, channel: int, ref: np.ndarray, windows) -> None:
    scale = np.nanmax(np.abs(ref))
    for i0, i1 in windows:
        got = src.read(i0, i1, [channel], dtype=np.float64)[0]
        np.testing.assert_allclose(got, ref[i0:i1], rtol=0, atol=1e-10 * scale, err_msg=f"window {i0}-{i1}")
        got32 = src.read(i0, i1, [channel])[0]
        assert got32.dtype == np.float32
        np.testing.assert_array_equal(np.isnan(got32), np.isnan(ref[i0:i1]))
        np.testing.assert_allclose(got32, ref[i0:i1], rtol=1e-6, atol=1e-6 * scale)


# -- zero_phase.sosfiltfilt is scipy's -------------------------------------------------------------
@pytest.mark.parametrize("sos_of", [
    lambda: signal.butter(4, (0.3, 35), "bandpass", output="sos", fs=256),
    lambda: signal.butter(2, 0.5, "highpass", output="sos", fs=100),
    lambda: signal.butter(8, 30, "lowpass", output="sos", fs=500),
    lambda: signal.tf2sos(*signal.iirnotch(50, 30, fs=256)),
    lambda: EEG_NOTCH.sos(256),
])
@pytest.mark.parametrize("n", [40, 1000, 50_003])
def test_zero_phase_sosfiltfilt_equals_scipy(sos_of, n):
    sos = sos_of()
    x = np.random.default_rng(n).standard_normal(n).cumsum() + 7.0
    if n <= zero_phase.default_padlen(sos):
        with pytest.raises(ValueError, match="longer than padlen"):
            zero_phase.sosfiltfilt(sos, x)
        with pytest.raises(ValueError):
            signal.sosfiltfilt(sos, x)
        return
    np.testing.assert_allclose(zero_phase.sosfiltfilt(sos, x), signal.sosfiltfilt(sos, x), rtol=1e-9,
                               atol=1e-12 * np.abs(x).max())
    for padlen in (0, 5):
        np.testing.assert_allclose(zero_phase.sosfiltfilt(sos, x, padlen=padlen),
                                   signal.sosfiltfilt(sos, x, padlen=padlen), rtol=1e-9, atol=1e-12 * 50)


def test_zero_phase_sosfiltfilt_refuses_input_not_longer_than_padlen():
    sos = signal.butter(4, 10, output="sos", fs=100)
    pad = zero_phase.default_padlen(sos)
    with pytest.raises(ValueError, match=f"padlen={pad}"):
        zero_phase.sosfiltfilt(sos, np.ones(pad))
    zero_phase.sosfiltfilt(sos, np.ones(pad + 1))  # one more is enough, as in scipy
    with pytest.raises(ValueError):
        zero_phase.sosfiltfilt(sos, np.ones((2, 100)))


# -- windows equal the whole recording filtered at once ---------------------------------------------
def test_windows_equal_whole_signal_sosfiltfilt_synthetic():
    fs, n = 250.0, 250 * 400
    rng = np.random.default_rng(3)
    t = np.arange(n) / fs
    x = (rng.standard_normal(n).cumsum() * 3 + 40 * np.sin(2 * np.pi * 50 * t) + 200).astype(np.float32)
    src = FilteredSource(source_of(np.vstack([x, x]), fs), {1: EEG_NOTCH})
    ref = signal.sosfiltfilt(EEG_NOTCH.sos(fs), x.astype(np.float64))
    # both ends, the middle, windows shorter than the padding, and the whole recording
    windows = [(0, 2500), (n - 7500, n), (40_000, 47_500), (123, 129), (n - 1, n), (0, n)]
    assert_windows_match(src, 1, ref, windows)
    np.testing.assert_array_equal(src.read(10, 20, [0])[0], x[10:20])  # no chain: unchanged
    both = src.read(1000, 3000)
    np.testing.assert_array_equal(both[0], x[1000:3000])
    np.testing.assert_array_equal(both[1], src.read(1000, 3000, slice(1, 2))[0])
    assert src.read(5, 5).shape == (2, 0)


@needs_data
def test_windows_equal_whole_signal_sosfiltfilt_on_real_eog_and_dreams():
    x, fs = eog()
    src = FilteredSource(source_of(x, fs), {0: EEG_NOTCH, 1: FilterChain((PRESETS["emg"],))})
    n = x.shape[1]
    windows = [(0, 30 * 256), (n - 30 * 256, n), (100_000, 107_680), (150_000, 150_512)]
    assert_windows_match(src, 0, signal.sosfiltfilt(EEG_NOTCH.sos(fs), x[0]), windows)
    assert_windows_match(src, 1, signal.sosfiltfilt(PRESETS["emg"].sos(fs), x[1]), windows)
    d = dreams()
    chain = FilterChain.parse("hp:0.5, lp:35")
    src = FilteredSource(source_of(d, 100.0), {0: chain})
    assert_windows_match(src, 0, signal.sosfiltfilt(chain.sos(100.0), d),
                         [(0, 3000), (90_000, 93_000), (len(d) - 3000, len(d))])


# -- what the filters do -----------------------------------------------------------------------------
def amplitude(y: np.ndarray, f: float, fs: float) -> float:
    t = np.arange(len(y)) / fs
    return 2 * abs(np.mean(y * np.exp(-2j * np.pi * f * t)))


def test_notch_removes_50_hz_and_keeps_10_hz():
    fs, n = 500.0, 500 * 60
    t = np.arange(n) / fs
    x = np.sin(2 * np.pi * 50 * t) + np.sin(2 * np.pi * 10 * t)
    y = FilteredSource(source_of(x, fs), {0: FilterChain.parse("notch50")}).read(0, n, dtype=np.float64)[0]
    mid = slice(5000, n - 5000)  # away from the ends' transients
    assert 20 * np.log10(amplitude(y[mid], 50, fs)) < -40
    assert amplitude(y[mid], 10, fs) == pytest.approx(1.0, abs=1e-3)


def test_eeg_band_pass_removes_dc_and_100_hz_and_keeps_10_hz():
    fs, n = 1000.0, 1000 * 400
    t = np.arange(n) / fs
    x = 500.0 + np.sin(2 * np.pi * 100 * t) + np.sin(2 * np.pi * 10 * t)
    y = FilteredSource(source_of(x, fs), {0: FilterChain.parse("eeg")}).read(150_000, 250_000,
                                                                             dtype=np.float64)[0]
    assert abs(y.mean()) < 1e-3
    assert 20 * np.log10(amplitude(y, 100, fs)) < -40
    assert amplitude(y, 10, fs) == pytest.approx(1.0, abs=1e-2)


# -- NaN runs and gaps ---------------------------------------------------------------------------------
def test_nan_splits_runs_and_short_runs_read_nan():
    fs, n = 200.0, 200 * 120
    x = (np.random.default_rng(5).standard_normal(n).cumsum() + 30).astype(np.float32).astype(np.float64)
    x[10_000] = np.nan
    x[15_000:15_010] = np.nan        # a run of 20 samples: too short for sosfiltfilt's padding
    x[15_030:15_040] = np.nan
    x[20_000] = np.inf
    chain = FilterChain.parse("eeg")
    assert 20 <= zero_phase.default_padlen(chain.sos(fs))
    src = FilteredSource(source_of(x, fs), {0: chain})
    bounds = [(0, 10_000), (10_001, 15_000), (15_040, 20_000), (20_001, n)]
    ref = runs_reference(chain.sos(fs), x, bounds)
    assert_windows_match(src, 0, ref, [(9_000, 11_000), (14_000, 16_000), (15_005, 15_035),
                                       (19_990, 20_010), (0, n)])
    got = src.read(0, n)[0]
    assert np.isnan(got[15_010:15_030]).all() and np.isnan(got[[10_000, 20_000]]).all()
    assert np.isfinite(np.delete(got, np.r_[10_000, 15_000:15_040, 20_000])).all()


def test_gaps_of_a_segmented_axis_split_runs_on_real_eog():
    x, fs = eog()
    x = x[0, :60_000]
    # runs start at samples 0, 20_000 and 20_025 (a run of 25 samples) and 40_000, with gaps between
    seg = np.array([[0, 0.0], [20_000, 100.0], [20_025, 200.0], [40_000, 300.0]])
    chain = FilterChain.parse("eeg,notch50")
    src = FilteredSource(source_of(x, fs, seg), {0: chain})
    short_ok = 25 > zero_phase.default_padlen(chain.sos(fs))
    bounds = [(0, 20_000), (20_025, 40_000), (40_000, 60_000)] + ([(20_000, 20_025)] if short_ok else [])
    ref = runs_reference(chain.sos(fs), x, bounds)
    assert_windows_match(src, 0, ref, [(19_000, 21_000), (39_990, 40_500), (0, 60_000)])
    if not short_ok:
        assert np.isnan(src.read(20_000, 20_025)).all()


# -- pyramids of filtered sources ----------------------------------------------------------------------
def test_pyramid_of_a_filtered_source_has_its_own_cache_and_filtered_min_max(tmp_path):
    fs, n = 256.0, 256 * 600
    x = (np.random.default_rng(8).standard_normal(n).cumsum() + 100).astype(np.float32)
    raw = source_of(x, fs)
    filt = FilteredSource(raw, {0: EEG_NOTCH})
    other = FilteredSource(raw, {0: FilterChain.parse("eeg")})
    assert len({raw.fingerprint, filt.fingerprint, other.fingerprint}) == 3
    assert filt.fingerprint == FilteredSource(raw, {0: FilterChain.parse("eeg, notch50")}).fingerprint
    p_raw = Pyramid.open_or_build(raw, tmp_path)
    p_filt = Pyramid.open_or_build(filt, tmp_path, memory_budget=1 << 20)  # many padded blocks
    assert p_raw.path != p_filt.path and Pyramid.open(filt, tmp_path).path == p_filt.path
    y = filt.read(0, n)[0]
    for t0, t1, n_px in [(0, 600, 100), (123.4, 345.6, 37)]:
        w = p_filt.window(t0, t1, n_px)
        assert not w.raw and w.level >= 0
        lo = [y[a:b].min() for a, b in zip(w.edges[:-1], w.edges[1:])]
        hi = [y[a:b].max() for a, b in zip(w.edges[:-1], w.edges[1:])]
        np.testing.assert_allclose(w.lo[0], lo, rtol=1e-6, atol=1e-5)
        np.testing.assert_allclose(w.hi[0], hi, rtol=1e-6, atol=1e-5)
        assert np.abs(w.lo[0] - p_raw.window(t0, t1, n_px).lo[0]).max() > 1  # not the raw one


# -- filters, chains, names, parsing and errors ---------------------------------------------------------
def test_labels_keys_and_names():
    assert PRESETS["eeg"] == DisplayFilter("bandpass", (0.3, 35)) and PRESETS["eeg"].order == 4
    assert [f.label for f in PRESETS.values()] == ["0.3-35 Hz", "10-100 Hz", "notch 50 Hz", "notch 60 Hz"]
    assert parse_filter("hp:0.5").label == "hp 0.5 Hz" and parse_filter("LP: 35").label == "lp 35 Hz"
    assert EEG_NOTCH.label == "0.3-35 Hz, notch 50 Hz"
    assert filtered_name("EEG", EEG_NOTCH) == "EEG [0.3-35 Hz, notch 50 Hz]" and filtered_name("EMG", None) == "EMG"
    assert EEG_NOTCH.key == "bandpass(0.3,35.0;order=4)+notch(50.0;q=30.0)"
    assert DisplayFilter("bandpass", (0.3, 35), order=2).key != PRESETS["eeg"].key
    assert EEG_NOTCH.sos(256).shape == (5, 6)
    assert parse_filter(" 0.3 - 35 ") == PRESETS["eeg"] and parse_filter("notch:60") == PRESETS["notch60"]
    assert parse_filter("EMG") is PRESETS["emg"]
    src = FilteredSource(source_of(np.zeros((2, 1000)), 256.0), {1: EEG_NOTCH})
    assert src.chain(1) is EEG_NOTCH and src.chain(0) is None and src.names == ["ch0", "ch1"]
    assert src.padding == zero_phase.filter_padding(EEG_NOTCH.sos(256.0))


@pytest.mark.parametrize("text", ["eeeg", "35", "0.3-35-50", "bp:1", "notch:", "hp:-1", "", "0.3..35", "hp:0.5\nx"])
def test_parse_filter_errors_are_one_line_and_name_the_input(text):
    with pytest.raises(LoupeConfigError) as exc:
        parse_filter(text)
    msg = str(exc.value)
    assert msg.startswith("filter: ") and repr(text) in msg and "\n" not in msg


@pytest.mark.parametrize("text, says", [("35-0.3", "edges: the low edge must be below"),
                                        ("0-35", "edges: must be > 0"),
                                        ("notch:0", "edges: must be > 0")])
def test_parse_filter_reports_what_is_wrong_with_the_filter(text, says):
    with pytest.raises(LoupeConfigError, match=f"^filter: '{text}': {says}"):
        parse_filter(text)


@pytest.mark.parametrize("kw, start", [
    (dict(kind="bandstop", edges=(1, 2)), "kind: "),
    (dict(kind="bandpass", edges=30), "edges: "),
    (dict(kind="lowpass", edges=(1, 2)), "edges: "),
    (dict(kind="highpass", edges=float("nan")), "edges: "),
    (dict(kind="highpass", edges=1, order=0), "order: "),
    (dict(kind="highpass", edges=1, order=2.0), "order: "),
    (dict(kind="highpass", edges=1, order=11), "order: "),
    (dict(kind="notch", edges=50, q=0), "q: "),
])
def test_bad_filters_give_one_line_errors_naming_the_parameter(kw, start):
    with pytest.raises(LoupeConfigError) as exc:
        DisplayFilter(**kw)
    assert str(exc.value).startswith(start) and "\n" not in str(exc.value)


def test_edges_at_or_above_nyquist_and_irregular_axes_are_one_line_errors():
    with pytest.raises(LoupeConfigError, match=r"^filter notch 50 Hz: 50 Hz is not below the Nyquist "
                                               r"frequency \(50 Hz\) of a 100 Hz source$"):
        PRESETS["notch50"].sos(100.0)
    with pytest.raises(LoupeConfigError, match=r"^filter 10-100 Hz: 100 Hz .* of a 150 Hz source$"):
        FilteredSource(source_of(np.zeros(1000), 150.0), {0: FilterChain.parse("emg")})
    irregular = TimeAxis(n=100, t0=0.0, times=np.cumsum(np.full(100, 0.01)))
    with pytest.raises(LoupeConfigError, match="^source: .*irregular"):
        FilteredSource(ArraySource(np.zeros((1, 100)), irregular), {0: EEG_NOTCH})
    with pytest.raises(LoupeConfigError, match=r"^chains: no channel 3 \(the source has 1\)"):
        FilteredSource(source_of(np.zeros(1000), 256.0), {3: EEG_NOTCH})
    with pytest.raises(LoupeConfigError, match="^filters: "):
        FilterChain(())
