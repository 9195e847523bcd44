"""SVG snapshots of the key screens, compared with ``tests/tui/snapshots/*.svg``.

Run with ``LOUPE_UPDATE_SNAPSHOTS=1`` to accept new output after a deliberate
change (then look at the SVGs in a browser before committing them). On a
mismatch the new SVG is written next to the reference as ``*.actual.svg``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from loupe_tui.api import make_app
from loupe_tui.config import TraceConfig
from tui_helpers import sync, wait_ready

SNAPSHOTS = Path(__file__).parent / "snapshots"
SIZE = (120, 36)


def normalise(svg: str) -> str:
    # Rich puts a random id in every class name; the rest is deterministic.
    return re.sub(r"\bterminal-\d+-", "terminal-", svg)


def check(app, name: str) -> None:
    got = normalise(app.export_screenshot(title=name))
    ref = SNAPSHOTS / f"{name}.svg"
    actual = SNAPSHOTS / f"{name}.actual.svg"
    if os.environ.get("LOUPE_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOTS.mkdir(exist_ok=True)
        ref.write_text(got)
        actual.unlink(missing_ok=True)
        return
    assert ref.exists(), f"no snapshot {ref}: run with LOUPE_UPDATE_SNAPSHOTS=1 to create it"
    if ref.read_text() != got:
        actual.write_text(got)
        raise AssertionError(f"{name}: screen differs from {ref.name}; see {actual} "
                             "(LOUPE_UPDATE_SNAPSHOTS=1 accepts it)")
    actual.unlink(missing_ok=True)


@pytest.fixture
def new_app(labels_file, pyramid_cache):
    """Synthetic sines (exactly reproducible on any machine) with the demo's labels."""
    t = np.arange(60_000) / 100.0
    eeg = np.sin(2 * np.pi * 0.7 * t) + 0.3 * np.sin(2 * np.pi * 11 * t)
    emg = 0.2 * np.sin(2 * np.pi * 23 * t) * (1 + (t % 200 > 100))
    da = xr.DataArray(np.stack([eeg, emg]).astype(np.float32), dims=("channel", "time"),
                      coords={"channel": ["EEG", "EMG"], "time": t}, name="sines")

    def make(**kw):
        return make_app([TraceConfig(da)], interval_labels=labels_file, state_definitions="rodent_sleep",
                        window=False, cache_dir=pyramid_cache, title="sines", **kw)

    return make


@sync
async def test_snapshot_main_screen_scoring(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        app.screen.session.goto(340.0)
        await pilot.press("r", "n", "enter", "shift+right")
        await pilot.pause()
        check(app, "main_scoring")


@sync
async def test_snapshot_help(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("f1")
        await pilot.pause()
        check(app, "help")


@sync
async def test_snapshot_command_line_and_hypnogram_zoom(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("z", "ctrl+l", ":")
        cl = app.screen.query_one("#command-line")
        cl.cursor_blink = False
        cl.value = "jump REM"
        await pilot.pause()
        check(app, "command_line_zoomed_hypnogram")
