"""The keyboard ruler's reading: time between the marks and the peak-to-peak amplitude, exact."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from loupe_tui.config import TraceConfig
from loupe_tui.io.pyramid import Pyramid
from loupe_tui.tui.context import PreviewTrace
from loupe_tui.tui.ruler import MAX_RAW_SAMPLES, Ruler, measure
from loupe_tui.tui.view import FocusTarget, ViewModel


@pytest.fixture
def eeg(tmp_path):
    # 1 kHz, 2 h; a 75 uV (peak-to-peak) 1 Hz slow wave from 100 s to 101 s on a 10 uV 20 Hz background
    fs = 1000.0
    t = np.arange(int(2 * 3600 * fs)) / fs
    x = 5 * np.sin(2 * np.pi * 20 * t)
    wave = (t >= 100) & (t < 101)
    x[wave] = -37.5 * np.cos(2 * np.pi * (t[wave] - 100))   # down at 100 s, up at 100.5 s
    x[5000] = np.nan
    da = xr.DataArray(x[None].astype(np.float32), dims=("channel", "time"), coords={"channel": ["EEG"], "time": t},
                      attrs={"units": "uV"})
    tc = TraceConfig(da)
    return PreviewTrace("EEG", tc.source(), 0, (255, 255, 255, 255), "uV"), tmp_path


def test_a_slow_wave_reads_its_duration_and_peak_to_peak(eeg):
    trace, _ = eeg
    m = measure(trace, 100.0, 101.0)
    assert m.duration == pytest.approx(1.0) and m.peak_to_peak == pytest.approx(75.0, abs=0.01)
    assert m.t_lo == pytest.approx(100.0, abs=2e-3) and m.t_hi == pytest.approx(100.5, abs=2e-3)
    assert m.describe().startswith("ruler EEG: 1 s (1 Hz), 75 uV peak-to-peak (min -37.5 at 0:01:40")
    assert measure(trace, 4.0, 6.0).peak_to_peak == pytest.approx(10.0, abs=0.05)   # NaN samples are skipped


def test_long_spans_read_the_pyramids_exact_extremes(eeg):
    trace, tmp = eeg
    pyr = Pyramid.open_or_build(trace.source, tmp / "pyr")
    long = measure(trace, 0.0, 7000.0, pyramid=pyr)
    assert 7000 * 1000 > MAX_RAW_SAMPLES and long.peak_to_peak == pytest.approx(75.0, abs=0.01)
    assert abs(long.t_lo - 100.0) < 7000 / 4000 and abs(long.t_hi - 100.5) < 7000 / 4000


def test_the_ruler_key_marks_reads_and_clears(eeg):
    trace, _ = eeg
    cursor = [100.0]
    view = ViewModel(focus_source=[FocusTarget("trace:EEG", "EEG", "EEG")])
    ruler = Ruler(view, lambda: cursor[0])
    ruler.set_traces([trace], [None])
    first = ruler.press()
    assert view.ruler == (100.0,) and first.options == (("ruler", {"marks": [100.0]}),)
    cursor[0] = 101.0
    second = ruler.press()
    assert view.ruler == (100.0, 101.0) and "75 uV peak-to-peak" in second.message
    assert ruler.press().options == (("ruler", {"marks": []}),) and view.ruler == ()
