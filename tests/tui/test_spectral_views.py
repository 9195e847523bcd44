"""The spectral views in the app: they appear, toggle with their keys, follow paging, show REM, build in the
background (progress in the status bar, keys working, cancelled on quit, errors in one line)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import xarray as xr

from loupe_tui.api import make_app
from loupe_tui.config import SpectrogramConfig, TraceConfig
from loupe_tui.config_spectral import SpectralViews
from loupe_tui.errors import LoupeConfigError
from loupe_tui.io.spectral.cache import SpectralBuildCancelled
from loupe_tui.tui.widgets.draw import GUTTER
from loupe_tui.tui.widgets.halfblock import UPPER_HALF
from tui_helpers import SIZE, screen_text, sync, wait_ready


async def wait_spectral(pilot, timeout: float = 60.0) -> None:
    """Until the spectral views are open (built in a thread worker)."""
    await wait_ready(pilot)
    t = time.monotonic()
    while not pilot.app.screen.spectral.opened:
        await pilot.pause(0.05)
        assert time.monotonic() - t < timeout, "the spectral views never opened"
    await pilot.pause()


async def wait_fine(pilot, timeout: float = 10.0) -> None:
    """Until the window spectrogram shows its fine columns (computed in its own thread)."""
    page = pilot.app.screen.spectral.page
    t = time.monotonic()
    while page._late is not None:
        await pilot.pause(0.02)
        assert time.monotonic() - t < timeout, "the fine page never came"
    await pilot.pause()


async def wait_limits(pilot, limits, timeout: float = 10.0) -> None:
    """Until both spectrograms draw with these colour limits."""
    sp = pilot.app.screen.spectral
    t = time.monotonic()
    while not sp.page.limits == sp.overview.limits == limits:
        await pilot.pause(0.02)
        assert time.monotonic() - t < timeout, (sp.page.limits, limits)


@pytest.fixture
def spectral_app(demo, pyramid_cache, labels_file):
    def make(**kw):
        traces = TraceConfig.from_path(demo.recording, group=demo.eeg_group)
        spectral = SpectrogramConfig(traces.data, channel="EEG", emg_channel="EMG")
        args = dict(interval_labels=labels_file, state_definitions="rodent_sleep", window=False,
                    cache_dir=pyramid_cache, title="demo")
        args.update(kw)
        return make_app([traces, spectral], **args)
    return make


def colours(widget) -> list[tuple]:
    """The widget's cells as (character, fg RGB, bg RGB), every row, gutter left out (what the terminal shows)."""
    out = []
    for y in range(widget.size.height):
        for seg in list(widget.render_line(y))[1:]:
            fg, bg = (tuple(c.get_truecolor()) if c else None for c in (seg.style.color, seg.style.bgcolor))
            out += [(ch, fg, bg) for ch in seg.text]
    return out


def rows_of(text: str, gutter: str) -> list[str]:
    return [line[GUTTER:] for line in text.splitlines() if line[:GUTTER].rstrip() == gutter]


@sync
async def test_the_views_appear_and_toggle_with_their_keys(spectral_app):
    app = spectral_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_spectral(pilot)
        scr = app.screen
        sp = scr.spectral
        assert sp.page.display and sp.overview.display and sp.bands.display
        assert "spectral views ready: EEG spectrogram and band power, EMG level" in scr.status_bar.message
        text = screen_text(app)
        for label in ("delta", "theta", "th/delta", "EMG", " 30 Hz", " 0 Hz"):
            assert any(line.startswith(label) for line in text.splitlines()), label
        assert text.count(UPPER_HALF) > 500                          # two images of half blocks
        # the bands sit on the hypnogram's columns: the line under the last band is the hypnogram's first
        lines = text.splitlines()
        emg = next(i for i, line in enumerate(lines) if line.startswith("EMG") and "▁" in line)
        assert lines[emg + 1].startswith("Wake")
        await pilot.press("alt+s")
        assert not sp.overview.display and "whole-recording spectrogram hidden" in scr.status_bar.message
        await pilot.press("alt+w", "alt+p")
        assert not sp.page.display and not sp.bands.display
        assert UPPER_HALF not in screen_text(app) and "th/delta" not in screen_text(app)
        await pilot.press("alt+s", "alt+w", "alt+p")
        assert sp.page.display and sp.overview.display and sp.bands.display
        spec = sp.page.spectrogram
        assert sp.page.limits == sp.overview.limits == spec.limits(2.5, 97.5)
        await pilot.press("right_curly_bracket")                     # "}": more contrast
        assert scr.view.spectral.settings.pct == (5.0, 95.0)
        assert scr.status_bar.message == "spectrogram colours: 5th-95th percentile"
        await wait_limits(pilot, spec.limits(5.0, 95.0))              # computed in a thread, then drawn
        await pilot.press("alt+down", "left_curly_bracket")          # darker: 7.5-97.5; less contrast
        assert scr.view.spectral.settings.pct == (5.0, 100.0)
        await wait_limits(pilot, spec.limits(5.0, 100.0))


@sync
async def test_paging_moves_the_window_spectrogram_and_the_overview_marker(spectral_app):
    app = spectral_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_spectral(pilot)
        sp = app.screen.spectral
        await wait_fine(pilot)
        first = colours(sp.page)
        assert len({fg for _, fg, _ in first}) > 10                   # an image, not a flat colour
        assert sp.page.time_range() == (0.0, 20.0)
        mark_at = rows_of(screen_text(app), "EEG")[1].index("▼")       # the overview's window marker
        for _ in range(6):
            await pilot.press("]")
        await wait_fine(pilot)
        assert sp.page.time_range() == (120.0, 140.0)
        assert colours(sp.page) != first
        assert rows_of(screen_text(app), "EEG")[1].index("▼") > mark_at
        await pilot.press("z")                                         # zoomed: the hypnogram's range
        assert sp.overview.zoomed and sp.bands.zoomed
        assert sp.overview.time_range() == sp.bands.time_range() == app.screen.hypnogram._span()


@sync
async def test_a_small_terminal_keeps_every_view_and_the_hypnogram_axis(spectral_app):
    app = spectral_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_spectral(pilot)
        await pilot.pause(0.1)
        lines = screen_text(app).splitlines()
        assert lines[-2].startswith("all ")                          # the hypnogram's axis, above the footer
        assert any(line.startswith("th/delta") for line in lines)
        assert app.screen.query_one("#traces").size.height >= 4


def synthetic(minutes: float = 30.0, fs: float = 250.0) -> xr.DataArray:
    """EEG and EMG: NREM (delta, some EMG), then REM (theta, almost no EMG), then Wake (fast EEG, loud EMG)."""
    rng = np.random.default_rng(3)
    t = np.arange(int(minutes * 60 * fs)) / fs
    third = t[-1] / 3
    nrem, rem = t < third, (t >= third) & (t < 2 * third)
    wake = ~(nrem | rem)
    eeg = 10 * rng.standard_normal(len(t))
    eeg += np.where(nrem, 120 * np.sin(2 * np.pi * 2.0 * t), 0) + np.where(rem, 80 * np.sin(2 * np.pi * 7.0 * t), 0)
    emg = rng.standard_normal(len(t)) * np.where(rem, 2.0, np.where(nrem, 15.0, 60.0))
    return xr.DataArray(np.stack([eeg, emg]).astype("float32"), dims=("channel", "time"),
                        coords={"channel": ["EEG", "EMG"], "time": t}, name="synthetic", attrs={"units": "uV"})


@sync
async def test_the_sparklines_show_the_emg_dropping_and_theta_rising_in_rem(tmp_path):
    da = synthetic()
    app = make_app([TraceConfig(da), SpectrogramConfig(da, channel="EEG", emg_channel="EMG")],
                   interval_labels=tmp_path / "labels.csv", state_definitions="rodent_sleep", window=False,
                   cache_dir=tmp_path / "cache", title="synthetic")
    async with app.run_test(size=SIZE) as pilot:
        await wait_spectral(pilot)
        text = screen_text(app)
        n = SIZE[0] - GUTTER
        third = n // 3
        sparks = " ▁▂▃▄▅▆▇█"

        def mean_level(row: str, a: int, b: int) -> float:
            return float(np.mean([sparks.index(c) for c in row[a + 2:b - 2]]))

        emg = next(line[GUTTER:] for line in text.splitlines() if line.startswith("EMG ") and "▁" in line)
        nrem, rem, wake = (mean_level(emg, k * third, (k + 1) * third) for k in range(3))
        assert rem < 2 and rem < nrem - 2 and wake > nrem                 # the EMG drops in REM
        ratio = rows_of(text, "th/delta")[0]
        assert mean_level(ratio, third, 2 * third) > mean_level(ratio, 0, third) + 3   # theta/delta up in REM
        delta = rows_of(text, "delta")[0]
        assert mean_level(delta, 0, third) > mean_level(delta, third, 2 * third) + 3   # delta in NREM


class SlowConfig:
    """A SpectrogramConfig stand-in whose build reports progress until it is cancelled."""

    names = ("EEG", None)

    def __init__(self):
        self.cancelled = threading.Event()

    def open(self, epoch_s, cache_dir=None, progress=None, cancel=None):
        for k in range(2000):
            if cancel():
                self.cancelled.set()
                raise SpectralBuildCancelled("spectrogram: build cancelled")
            progress(min(k / 100, 0.5), "EEG: spectrogram")
            time.sleep(0.01)
        raise AssertionError("never cancelled")


class BrokenConfig:
    names = ("EEG", "EMG")

    def open(self, epoch_s, cache_dir=None, progress=None, cancel=None):
        raise LoupeConfigError("channel 'EEG': the recording has no samples there")


@sync
async def test_the_build_shows_progress_keys_work_and_quitting_cancels_it(new_app):
    app = new_app()
    slow = SlowConfig()
    app.context.spectral = [slow]
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        scr = app.screen
        t = time.monotonic()
        while "EEG: spectrogram 50 %" not in scr.status_bar.text:
            await pilot.pause(0.05)
            assert time.monotonic() - t < 10, scr.status_bar.text
        assert "building: EEG: spectrogram" in screen_text(app)      # the views say it too
        start = scr.session.window_start
        await pilot.press("]")                                          # keys never wait for the build
        assert scr.session.window_start > start
        app.exit()
    assert slow.cancelled.wait(5)


@sync
async def test_a_failed_build_is_one_line_and_the_views_go(new_app):
    app = new_app()
    app.context.spectral = [BrokenConfig()]
    async with app.run_test(size=SIZE) as pilot:
        await wait_spectral(pilot)
        bar, sp = app.screen.status_bar, app.screen.spectral
        assert bar.level == "error"
        assert bar.message == "spectral views: channel 'EEG': the recording has no samples there"
        assert not (sp.page.display or sp.overview.display or sp.bands.display)


@sync
async def test_without_spectral_configs_the_keys_say_how_to_get_them(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        sp = app.screen.spectral
        assert not (sp.page.display or sp.overview.display or sp.bands.display)
        await pilot.press("alt+w")
        assert "no spectral views for this recording (open it with --spectrogram" in app.screen.status_bar.message


@sync
async def test_the_label_table_docks_beside_the_spectral_views(spectral_app):
    app = spectral_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_spectral(pilot)
        scr = app.screen
        sp = scr.spectral
        await pilot.press("f4")
        await pilot.pause(0.2)
        width = sp.page.size.width
        assert scr.query_one("#label-panel").display and width < SIZE[0]
        assert sp.overview.size.width == sp.bands.size.width == scr.hypnogram.size.width == width
        cells = colours(sp.overview)
        assert len(cells) == (width - GUTTER) * sp.overview.size.height      # drawn at the new width
        await pilot.press("escape", "alt+p")                          # the traces have the keys again
        assert not sp.bands.display


@sync
async def test_the_gl_window_is_described_with_the_spectral_views(spectral_app):
    app = spectral_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_spectral(pilot)
        scr = app.screen
        load = scr.bridge.initial(scr.session, scr.view, scr.states)[0]
        (entry,) = load.spec["spectral"]
        assert (entry["channel"], entry["emg_channel"]) == (0, 1)
        assert scr.view.spectral.targets == {"spectrogram", "band_power", "emg_level", "spectral_overview"}


class GatedConfig:
    """A SpectrogramConfig stand-in whose build finishes when the test says so (with nothing to show)."""

    names = ("EEG", None)

    def __init__(self):
        self.go = threading.Event()

    def open(self, epoch_s, cache_dir=None, progress=None, cancel=None):
        while not self.go.wait(0.02):
            if cancel():
                raise SpectralBuildCancelled("spectrogram: build cancelled")
        return SpectralViews(None, None, "EEG", None, "viridis", epoch_s)


@sync
async def test_the_gl_window_starts_once_the_spectral_caches_are_built(new_app):
    app = new_app(window=True)
    gated = GatedConfig()
    app.context.spectral = [gated]
    starts = []
    async with app.run_test(size=SIZE) as pilot:
        app.main.start_window = lambda restart=False: starts.append(restart)   # no real window here
        await wait_ready(pilot)
        await pilot.pause(0.2)
        assert starts == []                              # the pyramids are there, the spectral caches not yet
        gated.go.set()
        t = time.monotonic()
        while not starts:
            await pilot.pause(0.02)
            assert time.monotonic() - t < 10
        assert starts == [False]
