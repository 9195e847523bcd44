"""``loupe-tui snapshot`` draws what ``loupe-tui open`` shows (issue 10, items 5 and 14).

Both commands take the same options (``commands/sources.py``), resolve labels
with the same function (``api.open_labels``: the saved ``.scored`` sibling and
the journal of unsaved edits, as the scorer opens them) and describe the
window with the app's own bridge. These tests compare the messages a
snapshot sends with those the app would send, without a display; one test
draws a real frame when Xvfb is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from loupe_tui import protocol as P
from loupe_tui.cli import build_parser
from loupe_tui.commands.open import CLI_CONTEXT, build_view_args
from loupe_tui.commands.snapshot import initial_messages
from loupe_tui.core.labels import IntervalLabelSet


@pytest.fixture(autouse=True)
def private_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("LOUPE_TUI_CACHE", str(tmp_path / "cache"))


def snapshot_msgs(*argv):
    args = build_parser().parse_args(["snapshot", *map(str, argv), "--out", "unused.png"])
    msgs, _ = initial_messages(args)
    return msgs


def app_msgs(*argv):
    """What the app sends a new window for ``loupe-tui open ARGV`` (its bridge, not run)."""
    from loupe_tui.api import make_context
    from loupe_tui.tui.bridge import Bridge

    args = build_parser().parse_args(["open", *map(str, argv), "--no-window"])
    ctx = make_context(**build_view_args(args), **CLI_CONTEXT)
    try:
        return Bridge(ctx, on_event=lambda m: None).initial(ctx.session, ctx.view_model(), ctx.states)
    finally:
        ctx.labels.close()


def first(msgs, kind):
    return next(m for m in msgs if isinstance(m, kind))


def test_snapshot_draws_the_saved_sibling_and_the_journal_as_the_app_opens_them(demo, tmp_path):
    labels = tmp_path / "night.csv"
    shutil.copy(demo.labels, labels)
    with IntervalLabelSet.load(labels) as ls:
        ls.add(0.0, 8.0, "REM")
        ls.save()                                  # -> night.scored.csv; night.csv untouched
        ls.add(8.0, 12.0, "Artifact")              # only in the journal
    assert (tmp_path / "night.scored.csv").exists() and (tmp_path / "night.csv.loupe-journal").exists()
    common = [demo.recording, "--group", "eeg", "--labels", labels]
    snap = first(snapshot_msgs(*common, "--window", 0, 30), P.SetLabels)
    spans = list(zip(snap.starts, snap.ends, snap.labels))
    assert (0.0, 8.0, "REM") in spans and (8.0, 12.0, "Artifact") in spans
    app = app_msgs(*common)
    assert snap == first(app, P.SetLabels)
    assert first(snapshot_msgs(*common, "--window", 0, 30), P.SetStateColors) == first(app, P.SetStateColors)
    # nothing was saved or lost by drawing: the journal still holds the unsaved edit
    with IntervalLabelSet.load(labels) as again:
        assert again.recovered_edits == 1 and again.at_time(9.0).label == "Artifact"


def test_snapshot_draws_heatmaps_rasters_and_events_as_open_shows_them(demo, tmp_path):
    events = tmp_path / "stims.parquet"
    pl.DataFrame({"time": [30.0, 90.0, 150.0], "kind": ["a", "b", "a"]}).write_parquet(events)
    common = [demo.recording, "--group", "eeg", "--heatmap", "calcium:dff", "--heatmap-split", "region",
              "--heatmap-order", "depth_um", "--raster", demo.spikes, "--events", events, "--events-by", "kind",
              "--labels", demo.labels]
    snap = first(snapshot_msgs(*common, "--window", 0, 60), P.LoadSession).spec
    app = first(app_msgs(*common), P.LoadSession).spec
    assert [p["kind"] for p in snap["panels"]] == ["traces", "heatmap", "heatmap", "raster"]
    assert [p.get("title") for p in snap["panels"]] == [p.get("title") for p in app["panels"]]
    assert [p.get("title") for p in snap["panels"]][1:3] == ["region=L2/3", "region=L5"]
    assert len(snap["events"]) == 2 and snap["events"] == app["events"]
    assert snap["states"] == app["states"] and [s for s, _ in snap["states"]][:3] == ["Wake", "NREM", "REM"]


def test_snapshot_takes_a_folder_of_npy_pairs(tmp_path):
    t = np.arange(3000) / 100.0
    for name in ("eeg", "emg"):
        np.save(tmp_path / f"{name}_t.npy", t)
        np.save(tmp_path / f"{name}_y.npy", np.sin(t).astype(np.float32))
    spec = first(snapshot_msgs(tmp_path, "--window", 0, 10), P.LoadSession).spec
    assert [p["names"] for p in spec["panels"]] == [["eeg"], ["emg"]]
    assert spec["states"] == []                   # no labels, no keymap: nothing to colour


def test_snapshot_of_a_missing_labels_file_is_an_error(demo, tmp_path, capsys):
    from loupe_tui.cli import main

    code = main(["snapshot", str(demo.recording), "--group", "eeg", "--window", "0", "10",
                 "--labels", str(tmp_path / "none.csv"), "--out", str(tmp_path / "o.png")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err == f"loupe-tui: error: {tmp_path / 'none.csv'}: no such labels file"


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb to draw a frame")
def test_a_real_snapshot_with_every_kind_of_panel(demo, tmp_path):
    events = tmp_path / "stims.parquet"
    pl.DataFrame({"time": [30.0, 90.0]}).write_parquet(events)
    out = tmp_path / "all.png"
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "LOUPE_TUI_CACHE": str(tmp_path / "cache")}
    env.pop("DISPLAY", None)
    r = subprocess.run([sys.executable, "-m", "loupe_tui", "snapshot", str(demo.recording), "--group", "eeg",
                        "--heatmap", "calcium:dff", "--raster", str(demo.spikes), "--events", str(events),
                        "--labels", str(demo.labels), "--window", "0", "120", "--size", "800x600",
                        "--out", str(out)], env=env, capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "states from the bundled keymap rodent_sleep" in r.stderr   # said, as open's status line says it


def test_labels_on_a_read_only_mount_are_drawn_saved_sibling_first(tmp_path):
    """A snapshot only reads: labels on a read-only mount (a shared dataset) are drawn, as the scorer
    would open them (the saved sibling), and a journal it cannot replay there is said, not ignored."""
    from loupe_tui.api import open_labels
    from loupe_tui.errors import LabelFileError

    d = tmp_path / "ro"
    d.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(d)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        (d / "night.csv").write_text("start_s,end_s,label,note\n0,4,Wake,\n")
        (d / "night.scored.csv").write_text("start_s,end_s,label,note\n0,4,REM,\n")
        (d / "day.csv").write_text("start_s,end_s,label,note\n0,4,Wake,\n")
        (d / "day.csv.loupe-journal").write_text("{}\n")
        if subprocess.run(["mount", "-o", "remount,ro", str(d)], capture_output=True).returncode:
            pytest.skip("cannot remount read-only")
        got = open_labels(d / "night.csv", read_only=True)
        assert [(r.start, r.end, r.label) for r in got] == [(0.0, 4.0, "REM")]
        with pytest.raises(LabelFileError, match=r"day\.csv\.loupe-journal: holds unsaved edits, but its folder "
                                                 r"is read-only"):
            open_labels(d / "day.csv", read_only=True)
        assert sorted(p.name for p in d.iterdir()) == ["day.csv", "day.csv.loupe-journal", "night.csv",
                                                       "night.scored.csv"]
    finally:
        subprocess.run(["umount", "-l", str(d)], capture_output=True)
