"""``loupe-tui open``: its help, how it turns files into view() arguments, and its errors."""

from __future__ import annotations

import numpy as np
import pytest

from loupe_tui.cli import build_parser, main
from loupe_tui.commands import open as open_cmd
from loupe_tui.config import GlobalEventsConfig, RasterConfig, TraceConfig


def test_help_lists_every_option(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["open", "--help"])
    out = capsys.readouterr().out
    for opt in ("--group", "--variable", "--labels", "--schema", "--video", "--events", "--keymap", "--epoch",
                "--writeback", "--no-window", "--raster", "examples:"):
        assert opt in out, opt


def args_for(*argv):
    return build_parser().parse_args(["open", *argv])


def test_zarr_store_with_labels_video_events_and_raster(demo, tmp_path):
    import polars as pl

    ev = tmp_path / "ev.parquet"
    pl.DataFrame({"time": [10.0, 20.0], "kind": ["a", "b"]}).write_parquet(ev)
    kw = open_cmd.build_view_args(args_for(
        str(demo.recording), "--group", "eeg", "--labels", str(demo.labels), "--keymap", "rodent_sleep",
        "--video", str(demo.video), str(demo.frame_times), "--events", str(ev), "--events-by", "kind",
        "--raster", str(demo.spikes), "--epoch", "4", "--no-window",
        "--schema", "start=start_s,end=end_s,label=label,note=note"))
    assert isinstance(kw["configs"][0], TraceConfig) and isinstance(kw["configs"][1], RasterConfig)
    assert kw["configs"][0].trace_names() == ["EEG", "EMG"]
    assert isinstance(kw["global_events"], GlobalEventsConfig) and kw["window"] is False
    assert kw["videos"][0].frame_times()[0] == pytest.approx(12.3, abs=0.1)
    assert kw["interval_label_schema"].label_col == "label" and kw["epoch_len"] == 4.0


def test_labels_default_to_a_sibling_of_the_data(demo):
    kw = open_cmd.build_view_args(args_for(str(demo.recording), "--group", "eeg"))
    assert kw["interval_labels"] == demo.recording.with_name("recording.labels.csv")


def test_folder_of_npy_pairs(tmp_path):
    t = np.arange(1000) / 100.0
    for name in ("eeg", "emg"):
        np.save(tmp_path / f"{name}_t.npy", t)
        np.save(tmp_path / f"{name}_y.npy", np.sin(t).astype(np.float32))
    kw = open_cmd.build_view_args(args_for(str(tmp_path), "--keymap", "rodent_sleep"))
    assert [c.trace_names() for c in kw["configs"]] == [["eeg"], ["emg"]]
    assert kw["configs"][0].time_axis.n == 1000


def test_a_bad_graphics_setting_is_one_error_line(demo, capsys, monkeypatch):
    data = [str(demo.recording), "--group", "eeg", "--keymap", "rodent_sleep"]
    with pytest.raises(SystemExit) as exc:
        main(["open", *data, "--graphics", "iterm"])
    assert exc.value.code == 2 and "argument --graphics: invalid choice: 'iterm'" in capsys.readouterr().err
    monkeypatch.setenv("LOUPE_TUI_GRAPHICS", "iterm")
    assert main(["open", *data]) == 2
    err = capsys.readouterr().err
    assert "LOUPE_TUI_GRAPHICS='iterm': must be one of auto, kitty, sixel, off" in err and "Traceback" not in err
    assert open_cmd.build_view_args(args_for(*data, "--graphics", "sixel"))["graphics"] == "sixel"


def test_schema_spec_and_errors(capsys):
    s = open_cmd.parse_schema("start=onset,duration=dur,end=none,label=stage,extra=scorer+conf")
    assert (s.start_col, s.end_col, s.duration_col, s.label_col, s.extra_cols) == (
        "onset", None, "dur", "stage", ("scorer", "conf"))
    assert main(["open", "/no/such/recording.zarr", "--keymap", "rodent_sleep"]) == 2
    assert "no such file" in capsys.readouterr().err
    with pytest.raises(Exception, match="ROLE=COLUMN"):
        open_cmd.parse_schema("begin=x")


def test_demo_command_opens_the_app_with_the_demo(demo, monkeypatch):
    got = {}

    class NoRun:
        def __init__(self, ctx):
            got["ctx"] = ctx
            self.labels = ctx.session.labels

        def run(self):
            got["ran"] = True

    monkeypatch.setattr("loupe_tui.tui.app.LoupeApp", NoRun)
    assert open_cmd.open_demo(demo) == 0
    ctx = got["ctx"]
    assert got["ran"] and ctx.states.source.name == "rodent_sleep.toml"
    assert len(ctx.videos) == 1 and len(ctx.session.labels) == 5
    # the calcium heatmap and the spikes are shown, not only built (issue 10, item 12)
    assert [type(c).__name__ for c in ctx.configs] == ["TraceConfig", "HeatmapConfig", "RasterConfig"]
    targets = [t.target for t in ctx.focus_targets()]
    assert {"heatmap:0", "heatmap:1", "raster:0", "raster:1"} <= set(targets)   # Tab reaches them
    assert [h.cmap for h in ctx.view_model().heatmaps] == ["magma", "magma"]
