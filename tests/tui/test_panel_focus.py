"""Tab focuses every panel of the GL window (traces, heatmaps, rasters); Y zoom and the dialogs act
on the focused one; the window is told with its own options (SetFocus, yzoom)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import xarray as xr

from loupe_tui import protocol as P
from loupe_tui.api import make_app
from loupe_tui.config import HeatmapConfig, RasterConfig, TraceConfig
from tui_helpers import SIZE, sync, wait_ready


@pytest.fixture
def panels_app(demo, pyramid_cache, labels_file):
    t = np.arange(0, 720, 0.5)
    heat = xr.DataArray(np.random.default_rng(0).random((2, 3, len(t)), np.float32), dims=("side", "cell", "time"),
                        coords={"time": t, "side": ["L", "R"], "cell": [0, 1, 2]}, name="dff")
    spikes = pl.DataFrame({"time": [1.0, 5.0, 9.0], "unit": [0, 1, 2]})
    configs = [TraceConfig.from_path(demo.recording, group=demo.eeg_group), HeatmapConfig(heat, split_by="side"),
               RasterConfig(spikes, time_col="time", order_by="unit")]
    return make_app(configs, interval_labels=labels_file, state_definitions="rodent_sleep", window=False,
                    cache_dir=pyramid_cache, title="panels")


@sync
async def test_tab_cycles_traces_heatmaps_and_rasters_and_dialogs_follow(panels_app, monkeypatch):
    app = panels_app
    sent: list = []
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        main = app.screen
        monkeypatch.setattr(main.bridge, "send", sent.append)
        status = lambda: main.query_one("#status").message   # noqa: E731
        seen = []
        for _ in range(5):
            await pilot.press("tab")
            seen.append(sent[-1].target)
        assert seen == ["trace:EMG", "heatmap:0", "heatmap:1", "raster:0", "trace:EEG"]
        assert all(isinstance(m, P.SetFocus) for m in sent)
        await pilot.press("shift+tab", "shift+tab")                  # back to heatmap side=R
        assert sent[-1] == P.SetFocus("heatmap:1") and "heatmap side=R (4/5)" in status()
        assert "Ctrl+Shift+H" in status()
        assert not main.traces.focus_shown                            # no trace is marked ▶
        await pilot.press("ctrl+up")                                  # Y zoom is for traces
        assert "acts on a trace" in status() and not any(getattr(m, "options", {}).get("yzoom") for m in sent)
        await pilot.press("ctrl+h")                                   # the focused heatmap's controls
        assert type(app.screen).__name__ == "HeatmapDialog" and app.screen.index == 1
        await pilot.press("escape")
        await pilot.press("tab")                                      # the raster: its own controls
        await pilot.press("ctrl+r")
        assert type(app.screen).__name__ == "RasterDialog" and app.screen.target == "raster:0"
        await pilot.press("escape")


@sync
async def test_y_zoom_sends_the_windows_own_zoom_and_keeps_autorange(new_app, monkeypatch):
    app = new_app()
    sent: list = []
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        main = app.screen
        monkeypatch.setattr(main.bridge, "send", sent.append)
        await pilot.press("ctrl+up")                                  # Ctrl+1 / Ctrl+Up: enlarge
        assert sent == [P.SetViewOption("trace:EEG", {"yzoom": 1.25})]
        assert main.traces._gain[0] == 1.25
        await pilot.press("ctrl+down", "ctrl+down")                   # Ctrl+2 / Ctrl+Down: shrink
        assert sent[-1] == P.SetViewOption("trace:EEG", {"yzoom": pytest.approx(0.8)})
        assert not any({"ymin", "ymax"} & set(m.options) for m in sent)   # autorange is left on
        lo, hi = main.traces._ylim(0)
        r_lo, r_hi = main.traces._yrange[0]
        assert hi - lo == pytest.approx((r_hi - r_lo) / 0.8)          # the preview shrinks the same way
