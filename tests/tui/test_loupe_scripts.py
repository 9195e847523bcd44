"""A Loupe script runs with one change, its import (issue 10, item 15).

The script below is put together from the examples of Loupe's documentation
(``../shared/reference/000_*.txt``; the test checks that its lines are the
reference's own) with ``from loupe import`` changed to ``from loupe_tui
import``, and nothing else. It runs as a user runs it, in this process with
no display: ``view()`` opens the real app, here headless with an autopilot
that scores one epoch and quits, and returns the labels.

There is deliberately no top-level ``loupe`` module: it would shadow the real
Loupe package for anyone who has both installed.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

from tui_helpers import wait_ready

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"
SCRIPT = '''\
import xarray as xr
from loupe_tui import view, IntervalLabelSchema, TraceConfig
ds = xr.open_zarr("data.zarr", group="dmd_2")
da = ds["data"].sel(syn_id=slice(3, 6), time=slice(0, 1800)).load()
schema = IntervalLabelSchema(
    start_col="start_time",
    end_col="end_time",
    duration_col="duration",
    label_col="state",
    extra_cols=("scorer", "confidence"),
)
labels = view(
    TraceConfig(da),
    interval_labels="hypnogram.htsv", interval_label_schema=schema,
    keymap={"Wake": ["w", "W"], "NREM": ["1", "n"]},
    label_colors={"Wake": "#00d128", "NREM": "#291effA0"},
)
'''
#: Lines of SCRIPT quoted from the reference as they are (whitespace aside); the import is the one change.
QUOTED = ['import xarray as xr', 'ds = xr.open_zarr("data.zarr", group="dmd_2")',
          'da = ds["data"].sel(syn_id=slice(3, 6), time=slice(0, 1800)).load()',
          'schema = IntervalLabelSchema(', 'start_col="start_time",', 'end_col="end_time",',
          'duration_col="duration",', 'label_col="state",', 'extra_cols=("scorer", "confidence"),',
          'TraceConfig(da),', 'keymap={"Wake": ["w", "W"], "NREM": ["1", "n"]},',
          'label_colors={"Wake": "#00d128", "NREM": "#291effA0"},']


def reference_text() -> str:
    files = sorted(REFERENCE.glob("000_*.txt"))
    if not files:
        pytest.skip(f"the Loupe reference is not at {REFERENCE} (../shared/reference)")
    return files[0].read_text()


def test_the_script_is_the_references_with_only_its_import_changed():
    ref = " ".join(reference_text().split())
    assert "from loupe import view, IntervalLabelSchema, TraceConfig" in ref
    for line in QUOTED:
        assert line in SCRIPT and line in ref, line
    changed = [ln for ln in SCRIPT.splitlines() if "loupe" in ln]
    assert changed == ["from loupe_tui import view, IntervalLabelSchema, TraceConfig"]


def test_no_top_level_loupe_module_is_shipped():
    assert importlib.util.find_spec("loupe") is None
    root = Path(__file__).resolve().parents[2]
    assert not (root / "loupe").exists() and not (root / "loupe.py").exists()


@pytest.fixture
def loupe_folder(tmp_path, monkeypatch):
    """The files the script reads, in the folder it runs in: data.zarr (dmd_2/data) and hypnogram.htsv."""
    import xarray as xr

    t = np.arange(0, 2400, 0.1)
    data = np.sin(t[None] * np.arange(1, 11)[:, None]).astype("f4")
    da = xr.DataArray(data, dims=("syn_id", "time"), coords={"syn_id": np.arange(10), "time": t}, name="data")
    da.to_dataset().to_zarr(tmp_path / "data.zarr", group="dmd_2", mode="w", zarr_format=2, consolidated=True)
    (tmp_path / "hypnogram.htsv").write_text(
        "start_time\tend_time\tduration\tstate\tscorer\tconfidence\n"
        "0\t30\t30\tWake\tab\t0.9\n30\t90\t60\tNREM\tab\t0.8\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DISPLAY", raising=False)          # no display: the terminal views only
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("LOUPE_TUI_CACHE", str(tmp_path / "cache"))
    return tmp_path


def test_a_loupe_script_builds_the_scorer_and_returns_the_labels(loupe_folder, monkeypatch):
    from loupe_tui.tui.app import LoupeApp

    seen = {}
    run = LoupeApp.run

    def headless(self, **kwargs):
        async def autopilot(pilot):
            try:
                await wait_ready(pilot)
                s = pilot.app.screen.session
                seen.update(states=list(pilot.app.context.states.states),
                            status=pilot.app.screen.query_one("#status").text,
                            traces=[t.name for t in pilot.app.context.preview_traces()])
                await pilot.press("end", "n")              # score the last epoch NREM
                seen["scored"] = s.labels.at_time(s.cursor)
                await pilot.press("ctrl+q")
            except BaseException as exc:                   # say it, and never leave the app running
                seen["error"] = exc
            finally:
                if pilot.app.is_running:
                    pilot.app.exit()

        return run(self, headless=True, size=(140, 42), auto_pilot=autopilot)

    monkeypatch.setattr(LoupeApp, "run", headless)
    env: dict = {"__name__": "__main__"}
    exec(compile(SCRIPT, "loupe_script.py", "exec"), env)
    labels = env["labels"]
    assert "error" not in seen, seen["error"]
    assert seen["states"] == ["Wake", "NREM"]
    assert seen["traces"] == ["syn3", "syn4", "syn5", "syn6"]
    assert "unavailable" in seen["status"] or "no display" in seen["status"], seen["status"]
    assert seen["scored"] is not None and seen["scored"].label == "NREM"
    assert labels.schema.label_col == "state" and labels.extra_cols == ("scorer", "confidence")
    spans = [(r.start, r.end, r.label) for r in labels]
    assert spans[:2] == [(0.0, 30.0, "Wake"), (30.0, 90.0, "NREM")] and spans[-1][2] == "NREM"
    assert re.match(r"hypnogram\.htsv", labels.source_path.name)
    labels.close()
