"""Pixel facts about the spectral views the real window draws (hidden window under Xvfb + Mesa).

The recording (``test_spectral_prep.delta_then_theta``): EEG a 2 Hz sine for
120 s then a 7 Hz sine, EMG ten times louder in the second half; 4 s epochs.
Panels, top to bottom: the traces (EEG, EMG), the spectrogram, the band
powers, the EMG level; the whole-recording spectrogram sits above the
hypnogram. Where each lies comes from :func:`compute_layout` with the
panels' weights, as the window computes it.
"""

from __future__ import annotations

import numpy as np
import pytest

from gl_harness import STATES, Harness, labels_message
from loupe_tui import protocol as P
from loupe_tui.config import TraceConfig
from loupe_tui.config_spectral import SpectrogramConfig
from loupe_tui.viewspec import build_spec
from render.layout import Rect, compute_layout
from render.panels.epoch_traces import BAND_COLORS, EMG_RGBA, BandPowerPanel, EmgLevelPanel
from render.panels.hypnogram import NAME_W
from render.panels.spectrogram import SpectrogramPanel
from loupe_tui.colormaps import lut
from test_spectral_prep import DUR, delta_then_theta

W, H = 1000, 600
TRACES = (3.0, 44.0)          # StackedTraces.weight() of two traces
FMIN, FMAX = 0.0, 30.0
DEFAULTS = {"spectrogram": {"visible": True, "limits_pct": [2.5, 97.5], "cmap": "viridis"},
            "band_power": {"visible": True}, "emg_level": {"visible": True},
            "spectral_overview": {"visible": True}, "label_overlays": {"visible": True}}


@pytest.fixture(scope="module")
def win(gl_env, tmp_path_factory):
    h = Harness(gl_env, tmp_path_factory.mktemp("spectral"), size=(W, H))
    h.start([])
    yield h
    h.close()


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("spectral-spec")
    da = delta_then_theta()
    cfg = SpectrogramConfig(da, channel="Fpz-Cz", emg_channel="EMG")
    return build_spec([TraceConfig(da)], labels_states_colors=STATES, cache_dir=tmp / "cache",
                      pyramid_cache=tmp / "pyr", spectral=[cfg], epoch_s=4.0)


def layout(spectrogram=True, bands=True, emg=True, overview=True):
    off = (0.0, 0.0)
    return compute_layout(W, H, [TRACES, SpectrogramPanel.WEIGHT if spectrogram else off,
                                 BandPowerPanel.WEIGHT if bands else off, EmgLevelPanel.WEIGHT if emg else off],
                          overview=overview)


def show(win, spec, window=(0.0, DUR), options=None, extra=()):
    labels = labels_message([(0.0, 120.0, "NREM"), (120.0, 240.0, "REM")])
    msgs = [P.LoadSession(spec), P.SetStateColors(STATES), labels, P.SetWindow(*window, 1), P.SetCursor(-1.0, 1),
            P.SetSelection(None, None)]
    opts = {k: dict(v) for k, v in DEFAULTS.items()}   # the window keeps options across sessions
    for k, v in (options or {}).items():
        opts.setdefault(k, {}).update(v)
    msgs += [P.SetViewOption(t, o) for t, o in opts.items()]
    n = len(win.events)
    win.send(*msgs, *extra)
    img = win.snapshot().astype(int)
    assert not win.errors(n), win.errors(n)
    return img


def lut_index(pixels: np.ndarray, cmap: str = "viridis") -> tuple[np.ndarray, np.ndarray]:
    """Per pixel: the nearest entry of the colour map and its distance (0-255 units)."""
    table = lut(cmap)[:, :3].astype(int)
    d = np.abs(pixels[..., None, :] - table).max(axis=-1)
    return d.argmin(axis=-1), d.min(axis=-1)


def crop(img, r: Rect, inset: int = 1) -> np.ndarray:
    return img[int(r.y) + inset:int(r.y1) - inset, int(r.x) + inset:int(r.x1) - inset]


def peak_hz(region: np.ndarray, r: Rect, cmap: str = "viridis") -> float:
    """The frequency of the brightest row (highest colour-map entry on average) of a spectrogram crop."""
    idx, _ = lut_index(region, cmap)
    y = int(np.argmax(idx.mean(axis=1))) + int(r.y) + 1 + 0.5
    return FMIN + (r.y1 - y) / r.h * (FMAX - FMIN)


def test_the_spectrogram_shows_delta_then_theta_in_the_colour_map(win, spec):
    img = show(win, spec)
    sg = layout().data_rect(1)
    region = crop(img, sg)
    _, dist = lut_index(region)
    x = lambda t: int((t / DUR) * sg.w) - 1  # noqa: E731 - column in the crop
    inside = dist[:, x(8):x(232)]            # the first and last epochs have no whole window: background
    assert (inside <= 2).mean() > 0.98, "the panel is coloured through viridis"
    first, second = region[:, x(20):x(100)], region[:, x(140):x(220)]
    assert abs(peak_hz(first, sg) - 2.0) < 1.0, peak_hz(first, sg)
    assert abs(peak_hz(second, sg) - 7.0) < 1.0, peak_hz(second, sg)


def test_a_short_window_is_drawn_fine_and_follows_paging(win, spec):
    img = show(win, spec, window=(100.0, 130.0))
    sg = layout().data_rect(1)
    region = crop(img, sg)
    x = lambda t: int((t - 100.0) / 30.0 * sg.w) - 1  # noqa: E731
    assert abs(peak_hz(region[:, x(101):x(117)], sg) - 2.0) < 1.0
    assert abs(peak_hz(region[:, x(123):x(129)], sg) - 7.0) < 1.0
    # paging on: the window moves and the spectrogram with it
    n = len(win.events)
    win.send(P.SetWindow(160.0, 190.0, 2))
    region = crop(win.snapshot().astype(int), sg)
    assert not win.errors(n)
    assert abs(peak_hz(region, sg) - 7.0) < 1.0


def test_band_powers_and_the_emg_level_follow_the_recording(win, spec):
    img = show(win, spec, options={"label_overlays": {"visible": False}})   # shading tints the lines
    lay = layout()
    bands, emg = lay.data_rect(2), lay.data_rect(3)
    half = lambda r, a, b: crop(img, Rect(r.x + a * r.w, r.y, (b - a) * r.w, r.h))  # noqa: E731

    def mean_y(region, rgba):
        ys, _ = np.nonzero((np.abs(region - np.array(rgba[:3])) <= 2).all(axis=-1))
        assert len(ys) > 20, f"{rgba} drawn"
        return ys.mean() / region.shape[0]          # 0: top, 1: bottom

    assert mean_y(half(emg, 0.1, 0.45), EMG_RGBA) > 0.7 and mean_y(half(emg, 0.55, 0.9), EMG_RGBA) < 0.3
    theta = BAND_COLORS["theta"]
    assert mean_y(half(bands, 0.1, 0.45), theta) > 0.6 and mean_y(half(bands, 0.55, 0.9), theta) < 0.4


def test_the_overview_marks_the_window_above_the_hypnogram(win, spec):
    lay = layout()
    ov = lay.overview
    assert ov is not None and 0 <= lay.hypnogram.y - ov.y1 <= 6
    bars = Rect(ov.x + NAME_W, ov.y + 2, ov.w - NAME_W - 4, ov.h - 4)
    a = crop(show(win, spec, window=(60.0, 90.0)), bars).mean(axis=(0, 2))
    b = crop(show(win, spec, window=(180.0, 210.0)), bars).mean(axis=(0, 2))
    col = lambda t: int(t / DUR * bars.w) - 1  # noqa: E731
    assert (a - b)[col(63):col(87)].min() > 20, "the window is lit where it is"
    assert (b - a)[col(183):col(207)].min() > 20
    assert np.abs(a - b)[col(100):col(170)].max() < 2, "nothing else changes"


def test_toggling_visibility_hides_a_panel_and_gives_its_height_back(win, spec):
    full = layout()
    img = show(win, spec, options={"spectrogram": {"visible": False}})
    hidden = layout(spectrogram=False)
    _, dist = lut_index(crop(img, full.data_rect(1)))
    assert (dist <= 2).mean() < 0.5, "no spectrogram where it was"
    assert hidden.panels[0].h > full.panels[0].h, "the traces took its height"
    img = show(win, spec, options={"band_power": {"visible": False}, "emg_level": {"visible": False},
                                   "spectral_overview": {"visible": False}, "label_overlays": {"visible": False}})
    plots = crop(img, Rect(0, 0, full.data.x1, full.axis.y))
    for rgba in (*BAND_COLORS.values(), EMG_RGBA):
        assert not (np.abs(plots - np.array(rgba[:3])) <= 1).all(axis=-1).sum() > 10, f"{rgba} still drawn"
    assert layout(bands=False, emg=False, overview=False).overview is None
    _, dist = lut_index(crop(img, full.overview))
    assert (dist <= 2).mean() < 0.2, "no overview strip"


def test_limits_and_colour_map_change_the_colours(win, spec):
    sg = layout().data_rect(1)
    base = crop(show(win, spec), sg)
    wide = crop(show(win, spec, options={"spectrogram": {"limits_pct": [0, 100]}}), sg)
    i_base, _ = lut_index(base)
    i_wide, _ = lut_index(wide)
    # the bins far below the 2.5th percentile (0 Hz, the edges) stretch the map: the background moves up it
    assert np.median(i_wide) > np.median(i_base) + 10, (np.median(i_wide), np.median(i_base))
    assert abs(peak_hz(wide[:, : sg.w // 3], sg) - 2.0) < 1.0, "the peak stays the brightest"
    magma = crop(show(win, spec, options={"spectrogram": {"cmap": "magma"}}), sg)
    x = int(0.1 * sg.w), int(0.9 * sg.w)
    _, dist = lut_index(magma[:, x[0]:x[1]], "magma")
    assert (dist <= 2).mean() > 0.98
    n = len(win.events)
    win.send(P.SetViewOption("spectrogram", {"limits_pct": [60, 10]}))
    win.wait_for(lambda m: isinstance(m, P.ErrorRaised) and "limits_pct" in m.message, since=n)
