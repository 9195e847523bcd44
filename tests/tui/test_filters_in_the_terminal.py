"""Display filters in the app: ``:filter`` and Ctrl+F change what the preview draws (a 50 Hz hum goes with
notch50), the trace is named with its chain, a bad chain is one line, the GL window is told (also when it
restarts); and a recording that stops being readable is one line in the status bar, while scoring goes on."""

from __future__ import annotations

import time

import numpy as np
import pytest
import xarray as xr

import loupe_tui.tui.bridge as bridge_mod
from loupe_tui import protocol as P
from loupe_tui.api import make_app
from loupe_tui.config import TraceConfig
from loupe_tui.core.labels import IntervalLabelSet
from loupe_tui.core.session import Session
from loupe_tui.core.states import StateConfig
from loupe_tui.errors import LoupeConfigError
from loupe_tui.tui.bridge import full_state, view_messages
from loupe_tui.tui.filter_settings import DisplayFilters
from loupe_tui.tui.view import FocusTarget, ViewModel
from tui_helpers import FakeLink, SIZE, screen_text, sync, wait_ready

FS = 500.0


def hum_recording(minutes: float = 4.0) -> xr.DataArray:
    """EEG: a slow 0.5 Hz wave under a 50 Hz hum three times its size; EMG: noise."""
    t = np.arange(int(minutes * 60 * FS)) / FS
    eeg = np.sin(2 * np.pi * 0.5 * t) + 3 * np.sin(2 * np.pi * 50 * t)
    emg = np.random.default_rng(0).normal(size=len(t))
    return xr.DataArray(np.stack([eeg, emg]).astype(np.float32), dims=("channel", "time"),
                        coords={"channel": ["EEG", "EMG"], "time": t}, attrs={"units": "uV"})


@pytest.fixture
def hum_app(tmp_path):
    def make(**kw):
        args = dict(state_definitions="rodent_sleep", window=False, cache_dir=tmp_path / "cache", title="hum")
        args.update(kw)
        return make_app([TraceConfig(hum_recording())], **args)
    return make


async def command(pilot, text: str) -> None:
    await pilot.press(":")
    pilot.app.screen.query_one("#command-line").value = text
    await pilot.press("enter")


def dots(preview, trace: int = 0) -> int:
    """Braille dots lit in one trace's rows of the preview: a wide hum lights most of them, a slow line few."""
    preview._render_all()
    return sum(bin(ord(c) - 0x2800).count("1") for row in preview._data[trace] for c in row if "\u2800" <= c <= "\u28ff")


async def wait_built(pilot, name: str = "EEG", timeout: float = 30.0) -> None:
    filters = pilot.app.screen.view.filters
    t = time.monotonic()
    while name not in filters.built:
        await pilot.pause(0.05)
        assert time.monotonic() - t < timeout, "the filtered pyramid was never built"
    await pilot.pause()


@sync
async def test_notch50_takes_the_hum_off_the_preview_and_ctrl_f_brings_it_back(hum_app):
    app = hum_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        scr = app.screen
        raw = dots(scr.traces)
        await command(pilot, "filter notch50")
        assert scr.status_bar.message == "display filter of EEG [notch 50 Hz]"
        await wait_built(pilot)
        filtered = dots(scr.traces)
        assert filtered < raw / 3, (raw, filtered)
        assert "EEG [notch 50 Hz]" in screen_text(app)              # named with its chain
        await pilot.press("ctrl+f")                                    # every filter off: the hum again
        assert scr.status_bar.message == "display filters off (EEG)"
        assert dots(scr.traces) == raw and "[notch 50 Hz]" not in screen_text(app)
        await pilot.press("ctrl+f")
        assert dots(scr.traces) == filtered
        await command(pilot, "filter off")
        assert dots(scr.traces) == raw and scr.view.filters.chains == {}


@sync
async def test_a_long_window_draws_from_the_filtered_pyramid(hum_app):
    app = hum_app(window_len=240.0)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        scr = app.screen
        raw = dots(scr.traces)
        await command(pilot, "filter eeg, notch50")
        await wait_built(pilot)
        (pyr, name), = scr.traces._filtered.values()
        assert name == "EEG [0.3-35 Hz, notch 50 Hz]"
        wd = pyr.window(0.0, 240.0, 100, channels=[0])
        assert wd.level >= 0 and float(np.nanmedian(wd.hi)) < 1.2       # the levels: the hum is gone
        assert float(np.nanmedian(scr.traces._pyramids[0].window(0.0, 240.0, 100, channels=[0]).hi)) > 3.5
        assert dots(scr.traces) != raw


@sync
async def test_a_bad_chain_is_one_line_and_changes_nothing(hum_app):
    app = hum_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        scr = app.screen
        await command(pilot, "filter 35-0.3")
        bar = scr.status_bar
        assert bar.level == "error" and "\n" not in bar.message
        assert "the low edge must be below the high edge" in bar.message
        await command(pilot, "filter lp:300")                        # above Nyquist of a 500 Hz trace
        assert bar.level == "error" and "Nyquist" in bar.message
        assert scr.view.filters.chains == {} and not scr.traces._filtered
        await pilot.press("alt+c")                                      # the prompt refuses it too
        assert type(app.screen).__name__ == "Prompt"
        await pilot.press("escape")


@sync
async def test_the_filter_acts_on_the_focused_trace(hum_app):
    app = hum_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        scr = app.screen
        await pilot.press("tab")                                        # EMG
        await command(pilot, "filter emg")
        assert set(scr.view.filters.chains) == {"EMG"}
        await wait_built(pilot, "EMG")
        assert "EMG [10-100 Hz]" in screen_text(app)


def test_the_filters_go_to_the_gl_window_in_one_option_and_again_on_restart():
    s = Session(IntervalLabelSet(), 0.0, 100.0, epoch_len=4.0)
    st = StateConfig({"Wake": ["w"]}, {"Wake": "#00ff00"})
    view = ViewModel(focus_source=[FocusTarget("trace:EEG", "EEG", "EEG")])
    assert not [m for m in full_state(s, view, st) if getattr(m, "target", "") == "filters"]   # none set: nothing
    msgs = view_messages(view.filters.set_chain("EEG", "EEG,Notch50", fs=256.0))
    assert msgs == [P.SetViewOption("filters", {"on": True, "chains": {"EEG": "eeg, notch50"}, "pyramids": []})]
    assert view_messages(view.filters.set_built(["EEG"]))[0].options["pyramids"] == ["EEG"]
    assert view_messages(view.filters.toggle())[0].options["on"] is False
    restart = [m for m in full_state(s, view, st) if getattr(m, "target", "") == "filters"]
    assert restart == [P.SetViewOption("filters", {"on": False, "chains": {"EEG": "eeg, notch50"},
                                                   "pyramids": ["EEG"]})]


def test_display_filters_alone():
    f = DisplayFilters()
    assert f.name("EEG") == "EEG" and not f.toggle().options            # nothing to toggle: says how
    with pytest.raises(LoupeConfigError, match="cannot read 'eegg'"):
        f.set_chain("EEG", "eegg")
    with pytest.raises(LoupeConfigError, match="Nyquist"):
        f.set_chain("EEG", "emg", fs=128.0)
    assert f.chains == {} and not f.touched
    f.set_chain("EEG", "0.5-30")
    assert f.name("EEG") == "EEG [0.5-30 Hz]" and f.name("EMG") == "EMG"
    f.toggle()
    assert f.name("EEG") == "EEG" and f.chain("EEG") is None
    f.set_chain("EMG", "notch:60")                                      # setting one turns them on again
    assert f.on and f.name("EEG") == "EEG [0.5-30 Hz]"
    assert "it had none" in f.set_chain("ECG", "off").message


@sync
async def test_the_running_gl_window_is_told_through_the_bridge(hum_app, monkeypatch):
    monkeypatch.setattr(bridge_mod, "RenderLink", FakeLink)
    monkeypatch.setattr(bridge_mod.Bridge, "initial", lambda self, s, v, st: [P.LoadSession({}), *full_state(s, v, st)])
    FakeLink.instances = []
    app = hum_app(window=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.pause(0.1)
        link = FakeLink.instances[-1]
        await command(pilot, "filter notch50")
        await wait_built(pilot)
        told = [m.options for m in link.sent if isinstance(m, P.SetViewOption) and m.target == "filters"]
        assert told[0] == {"on": True, "chains": {"EEG": "notch50"}, "pyramids": []}
        assert told[-1] == {"on": True, "chains": {"EEG": "notch50"}, "pyramids": ["EEG"]}
        await pilot.press("f5")                                          # a restarted window is told again
        await pilot.pause(0.1)
        assert P.SetViewOption("filters", {"on": True, "chains": {"EEG": "notch50"}, "pyramids": ["EEG"]}) \
            in link.initial


class FailingSource:
    """A TraceSource that reads like ``source`` until ``broken`` is set, then raises OSError as a file gone."""

    def __init__(self, source):
        self.source, self.broken = source, False

    def __getattr__(self, name):
        return getattr(self.source, name)

    def read(self, i0, i1, channels=None, **kw):
        if self.broken:
            raise OSError(5, "Input/output error")
        return self.source.read(i0, i1, channels, **kw)


@sync
async def test_a_recording_that_cannot_be_read_is_one_line_and_scoring_goes_on(hum_app):
    app = hum_app(window_len=1.0)                                     # short windows read the source itself
    cfg = app.context.configs[0]
    failing = FailingSource(cfg.source())
    cfg.source = lambda: failing
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        scr = app.screen
        failing.broken = True
        await pilot.press("]")
        await pilot.pause(0.05)
        bar = scr.status_bar
        assert bar.level == "error" and "EEG: cannot read the recording (OSError" in bar.message
        assert bar.message.endswith("; scoring goes on")
        await pilot.press("w", "]")                                   # scoring and paging go on
        await pilot.pause(0.05)
        assert list(scr.session.labels.label_names) == ["Wake"] and scr.traces.problem
        assert "cannot read" not in bar.message                          # said once, not again every frame
        failing.broken = False
        await command(pilot, "goto 0")
        await pilot.pause(0.05)
        assert scr.traces.problem == "" and dots(scr.traces) > 0        # reads work again
