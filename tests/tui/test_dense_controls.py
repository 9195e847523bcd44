"""Dense controls (Ctrl+G) on TraceConfig(mode="dense", step=2, traces_per_page=10): pages are counted over
every trace (the window applies the step), and the settings reach the window as options it knows."""

from __future__ import annotations

import numpy as np
import xarray as xr

from loupe_tui import protocol as P
from loupe_tui.api import make_app
from loupe_tui.config import TraceConfig
from tui_helpers import SIZE, sync, wait_ready

CLEAR = ("home", "ctrl+k")


@sync
async def test_dense_page_two_exists_and_a_new_step_is_sent(tmp_path, pyramid_cache, monkeypatch):
    t = np.arange(0, 120, 0.01)
    da = xr.DataArray(np.random.default_rng(1).standard_normal((40, len(t))).astype(np.float32),
                      dims=("channel", "time"), coords={"channel": [f"c{k}" for k in range(40)], "time": t})
    app = make_app([TraceConfig(da, mode="dense", step=2, traces_per_page=10)], interval_labels=tmp_path / "l.csv",
                   state_definitions="rodent_sleep", window=False, cache_dir=pyramid_cache, title="dense")
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        main = app.screen
        sent: list = []
        monkeypatch.setattr(main.bridge, "send", sent.append)
        await pilot.press("ctrl+g")
        dlg = app.screen
        assert type(dlg).__name__ == "DenseDialog"
        await pilot.press("tab", "tab", "tab", *CLEAR, "2", "enter")     # page 2 of 2 (20 traces shown, 10 a page)
        await pilot.pause()
        assert app.screen is main, getattr(dlg, "error_text", "")
        assert sent[-1] == P.SetViewOption("dense", {"gain": 1.0, "step": 2, "traces_per_page": 10, "page": 1})
        await pilot.press("ctrl+g", "tab", *CLEAR, "1", "tab", "tab", *CLEAR, "4", "enter")   # step 1: 4 pages
        await pilot.pause()
        assert app.screen is main
        assert sent[-1] == P.SetViewOption("dense", {"gain": 1.0, "step": 1, "traces_per_page": 10, "page": 3})
        await pilot.press("ctrl+g", "tab", "tab", "tab", *CLEAR, "5", "enter")   # there is no page 5
        await pilot.pause()
        assert app.screen.error_text == "page: there are 4 pages with these settings"
