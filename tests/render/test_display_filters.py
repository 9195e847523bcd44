"""Display filters in the GL window (issue 13): what a filtered trace reads and is called
(pure, the panels' data path) and what the window draws (pixels, hidden window under Xvfb)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy.signal import sosfiltfilt

from gl_harness import STATES, Harness
from loupe_tui import protocol as P
from loupe_tui.config import TraceConfig
from loupe_tui.errors import LoupeConfigError
from loupe_tui.io.filters import FilterChain
from loupe_tui.io.pyramid import Pyramid
from loupe_tui.viewspec import build_spec, filter_source, open_reader, open_spec
from render import filtered
from render.filtered import DisplayFilters
from render.layout import compute_layout
from render.panels import make_panel
from render.state import ViewState

FS, SECONDS = 500.0, 240
W, H = 1000, 600
DATA_X0, DATA_W = 104, 634
NOTCH = {"eeg": "notch50"}


def hum_traces() -> xr.DataArray:
    """``eeg``: a slow 0.05 Hz wave (amplitude 1) under a 50 Hz hum (0.8); ``emg``: the same, never filtered."""
    t = np.arange(int(FS * SECONDS)) / FS
    x = np.sin(2 * np.pi * 0.05 * t) + 0.8 * np.sin(2 * np.pi * 50 * t)
    return xr.DataArray(np.stack([x, x]).astype(np.float32), dims=("channel", "time"), name="sig",
                        coords={"channel": ["eeg", "emg"], "time": t})


def spec_of(tmp_path):
    return build_spec([TraceConfig(hum_traces())], labels_states_colors=STATES, cache_dir=tmp_path / "cache",
                      pyramid_cache=tmp_path / "pyr")


def panel_of(spec):
    return make_panel(open_spec(spec).panels[0], 0, ViewState())


def build_filtered_pyramid(spec, chains=NOTCH):
    p = spec["panels"][0]
    src = filter_source(open_reader(p["source"]), p["names"], {n: FilterChain.parse(c) for n, c in chains.items()})
    return Pyramid.open_or_build(src, spec["pyramid_cache"])


# -- the data path (no GL) ---------------------------------------------------------------
def test_short_window_reads_the_whole_recording_filtered_and_names_the_chain(tmp_path):
    spec = spec_of(tmp_path)
    panel = panel_of(spec)
    chain = FilterChain.parse("notch50")
    ref = sosfiltfilt(chain.sos(FS), hum_traces().values[0].astype(np.float64))
    panel.update(100.0, 101.0, 600)                                    # 500 samples: drawn raw
    assert np.ptp(panel._fetched[0].lo[0]) > 1.5                       # the hum is there
    assert panel.set_filters(DisplayFilters.parse({"on": True, "chains": NOTCH}), spec["pyramid_cache"])
    wd = panel._fetched[0]
    assert wd.raw
    i0 = int(wd.edges[0])
    np.testing.assert_allclose(wd.lo[0], ref[i0:i0 + wd.lo.shape[1]], atol=1e-5)
    np.testing.assert_array_equal(wd.lo[1], hum_traces().values[1][i0:i0 + wd.lo.shape[1]])   # emg: no chain
    assert panel.display_name(0) == ("eeg [notch 50 Hz]", "") and panel.display_name(1) == ("emg", "")
    assert panel.set_filters(DisplayFilters.parse({"on": False, "chains": NOTCH}), spec["pyramid_cache"])
    assert np.ptp(panel._fetched[0].lo[0]) > 1.5 and panel.display_name(0) == ("eeg", "")


def test_long_window_uses_the_filtered_pyramid_only_once_it_is_listed(tmp_path, monkeypatch):
    monkeypatch.setattr(filtered, "DIRECT_SAMPLES", 50_000)            # the recording is 120,000 samples
    spec = spec_of(tmp_path)
    build_filtered_pyramid(spec)                                       # built, but not listed yet
    panel = panel_of(spec)
    on = {"on": True, "chains": NOTCH}
    panel.set_filters(DisplayFilters.parse(on), spec["pyramid_cache"])
    panel.update(0.0, 60.0, 600)                                       # 30,000 samples: from the samples
    assert panel._fetched[0].level == -1 and np.nanmedian(panel._fetched[0].hi[0] - panel._fetched[0].lo[0]) < 0.2
    panel.update(0.0, 240.0, 600)                                      # past DIRECT_SAMPLES: the raw pyramid
    wd = panel._fetched[0]
    assert wd.level >= 0 and np.nanmedian(wd.hi[0] - wd.lo[0]) > 1.5
    assert panel.display_name(0) == ("eeg", " (filtering…)")
    panel.set_filters(DisplayFilters.parse({**on, "pyramids": ["eeg"]}), spec["pyramid_cache"])
    wd = panel._fetched[0]
    assert wd.level >= 0 and np.nanmedian(wd.hi[0] - wd.lo[0]) < 0.2  # the filtered pyramid: no hum
    assert np.nanmedian(wd.hi[1] - wd.lo[1]) > 1.5                    # emg is raw in it too
    assert panel.display_name(0) == ("eeg [notch 50 Hz]", "")


def test_bad_chains_are_refused():
    with pytest.raises(LoupeConfigError, match="eeg"):
        DisplayFilters.parse({"on": True, "chains": {"eeg": "notch:fifty"}})
    with pytest.raises(LoupeConfigError, match="unknown"):
        DisplayFilters.parse({"on": True, "colour": 1})
    assert DisplayFilters.parse({"chains": {"eeg": "eeg"}}).active() == {}


# -- pixels ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def win(gl_env, tmp_path_factory):
    h = Harness(gl_env, tmp_path_factory.mktemp("filters"), size=(W, H))
    h.start([])
    yield h
    h.close()


def eeg_row_pixels(img, color) -> np.ndarray:
    """Pixels of the eeg trace's colour per data column in its row (the first of two)."""
    lay = compute_layout(W, H, [(3.0, 44.0)])
    p = lay.panels[0]
    band = img[int(p.y) + 3:int(p.y + p.h / 2) - 3, DATA_X0 + 2:DATA_X0 + DATA_W - 2]
    return (np.abs(band.astype(int) - np.array(color[:3])).max(axis=-1) <= 2).sum(axis=0)


def test_the_notch_takes_the_hum_off_the_drawn_trace_and_off_restores_it(win, tmp_path):
    spec = spec_of(tmp_path)
    color = spec["panels"][0]["colors"][0]
    n = len(win.events)
    win.send(P.LoadSession(spec), P.SetStateColors(STATES), P.SetLabels(), P.SetWindow(100.0, 102.0, 1),
             P.SetViewOption("filters", {"on": False, "chains": {}, "pyramids": []}))
    raw = eeg_row_pixels(win.snapshot(), color)
    win.send(P.SetViewOption("filters", {"on": True, "chains": NOTCH}))
    filtered = eeg_row_pixels(win.snapshot(), color)
    win.send(P.SetViewOption("filters", {"on": False}))
    again = eeg_row_pixels(win.snapshot(), color)
    assert not win.errors(n), win.errors(n)
    # With the hum the line zig-zags over the row (tens of pixels a column); filtered it is a thin curve.
    assert np.median(raw) > 20 and np.median(filtered) <= 4, (np.median(raw), np.median(filtered))
    np.testing.assert_array_equal(raw, again)


def test_a_bad_chain_is_an_error_and_changes_nothing(win, tmp_path):
    spec = spec_of(tmp_path)
    color = spec["panels"][0]["colors"][0]
    win.send(P.LoadSession(spec), P.SetStateColors(STATES), P.SetLabels(), P.SetWindow(100.0, 102.0, 1),
             P.SetViewOption("filters", {"on": True, "chains": NOTCH, "pyramids": []}))
    before = win.snapshot()
    n = len(win.events)
    win.send(P.SetViewOption("filters", {"chains": {"eeg": "notch:400"}}))    # above Nyquist at 500 Hz
    after = win.snapshot()
    assert any("400" in e for e in win.errors(n)), win.errors(n)
    np.testing.assert_array_equal(before, after)
    assert np.median(eeg_row_pixels(after, color)) <= 4
