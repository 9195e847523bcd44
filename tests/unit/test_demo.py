"""The demo recording: files open, signals follow the hidden schedule, cache works."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import polars as pl
import pytest
import xarray as xr

from loupe_tui.cli import main
from loupe_tui.demo import DemoPaths, ensure_demo
from loupe_tui.demo.schedule import NREM, REM, STATES, WAKE, make_schedule
from loupe_tui.demo.video import GOP, read_frame_index
from loupe_tui.errors import LoupeConfigError

HOURS = 0.1  # 6 min: the fixed opening cycle gives Wake, NREM and REM epochs
VIDEO_MIN = 0.5


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> DemoPaths:
    return ensure_demo(tmp_path_factory.mktemp("demo") / "demo", hours=HOURS, video_minutes=VIDEO_MIN,
                       progress=lambda line: None)


def _truth_epochs(paths: DemoPaths) -> np.ndarray:
    truth = pl.read_csv(paths.truth)
    n = int(truth["end_s"].max() // 4)
    states = np.empty(n, np.int64)
    for start, end, label in truth.select("start_s", "end_s", "label").iter_rows():
        states[int(start // 4) : int(end // 4)] = STATES.index(label)
    return states


def test_files_exist_and_open(demo):
    assert demo.built and demo.keymap == "rodent_sleep"
    eeg = xr.open_zarr(demo.recording, group=demo.eeg_group)
    assert eeg["data"].dims == ("channel", "time")
    assert list(eeg["channel"].values) == ["EEG", "EMG"]
    assert eeg["data"].dtype == np.float32 and eeg["time"].dtype == np.float64
    assert eeg["data"].attrs["units"] == "uV" and eeg["data"].attrs["fs"] == 1000.0
    assert eeg.sizes["time"] == int(HOURS * 3600 * 1000)
    ca = xr.open_zarr(demo.recording, group=demo.calcium_group)
    assert ca["dff"].dims == ("cell", "time") and ca.sizes["cell"] == 40
    assert {"depth_um", "region"} <= set(ca.coords)
    spikes = pl.read_parquet(demo.spikes)
    assert spikes.columns == ["time", "unit_id", "region", "snr"]
    assert spikes["time"].dtype == pl.Float64 and spikes["region"].dtype == pl.String
    assert 20 <= spikes["unit_id"].n_unique() <= 40
    assert set(spikes["region"].unique()) == {"CA1", "cortex"}
    assert spikes["time"].is_sorted() and spikes["time"].min() >= 0 and spikes["time"].max() < HOURS * 3600
    manifest = json.loads(demo.manifest.read_text())
    assert manifest["params"]["hours"] == HOURS and manifest["stats"]["n_spikes"] == spikes.height


def test_time_coordinates_are_exact(demo):
    eeg = xr.open_zarr(demo.recording, group=demo.eeg_group)
    t = eeg["time"].values
    assert np.array_equal(t, np.arange(t.size) / 1000.0)
    ca = xr.open_zarr(demo.recording, group=demo.calcium_group)
    assert np.array_equal(ca["time"].values, np.arange(ca.sizes["time"]) / 10.0)


def test_signal_follows_hidden_schedule(demo):
    states = _truth_epochs(demo)
    data = xr.open_zarr(demo.recording, group=demo.eeg_group)["data"].values
    n = states.size
    eeg = data[0, : n * 4000].reshape(n, 4000).astype(np.float64)
    emg = data[1, : n * 4000].reshape(n, 4000).astype(np.float64)
    f = np.fft.rfftfreq(4000, 1 / 1000)
    power = np.abs(np.fft.rfft(eeg - eeg.mean(1, keepdims=True), axis=1)) ** 2
    delta = power[:, (f >= 0.5) & (f < 4)].sum(1)
    theta = power[:, (f >= 6) & (f < 9)].sum(1)
    emg_rms = emg.std(1)
    wake, nrem, rem = (states == s for s in (WAKE, NREM, REM))
    assert wake.sum() >= 5 and nrem.sum() >= 5 and rem.sum() >= 5
    assert np.median(delta[nrem]) > 5 * np.median(delta[wake])
    assert np.median(theta[rem] / delta[rem]) > 10 * np.median(theta[nrem] / delta[nrem])
    assert np.median(emg_rms[wake]) > 4 * np.median(emg_rms[rem])
    # Every single REM epoch has a flatter EMG than every Wake epoch (atonia).
    assert emg_rms[rem].max() < emg_rms[wake].min()


def test_no_clicks_at_epoch_borders(demo):
    data = xr.open_zarr(demo.recording, group=demo.eeg_group)["data"].values
    for channel in data:
        step = np.abs(np.diff(channel.astype(np.float64)))
        borders = np.arange(4000, channel.size - 5, 4000)
        near = step[(borders[:, None] + np.arange(-5, 5)).ravel()]
        assert near.max() < 1.5 * np.percentile(step, 99.99)


def test_video_frames_match_frame_times(demo):
    times = np.load(demo.frame_times)
    assert times.dtype == np.float64 and np.all(np.diff(times) > 0)
    assert 12.0 < times[0] < 12.6 and len(times) == int(VIDEO_MIN * 60 * 30)
    jitter = np.diff(times) - 1 / 30
    assert 0 < np.std(jitter) < 0.003
    with av.open(str(demo.video)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        frames = [read_frame_index(fr.to_ndarray(format="gray")) for fr in container.decode(video=0)]
    assert frames == list(range(len(times)))  # count matches and each frame shows its own index


def test_keyframe_interval_is_long(demo):
    with av.open(str(demo.video)) as container:
        packets = [p for p in container.demux(video=0) if p.size]
    key = [i for i, p in enumerate(packets) if p.is_keyframe]
    assert key[0] == 0 and len(key) >= 3
    assert min(np.diff(key)) >= 200 and max(np.diff(key)) <= GOP


def test_labels_are_partial_and_human_like(demo):
    labels = pl.read_csv(demo.labels, schema_overrides={"note": pl.String})
    assert labels.columns == ["start_s", "end_s", "label", "note"]
    start, end = labels["start_s"].to_numpy(), labels["end_s"].to_numpy()
    assert np.all(start < end) and np.all(end[:-1] <= start[1:])
    assert set(labels["label"]) <= set(STATES)
    assert start[0] == 0 and end[-1] <= HOURS * 3600 / 2
    assert labels["note"].drop_nulls().len() >= 2
    truth = _truth_epochs(demo)
    scored = np.empty(int(end[-1] // 4), np.int64)
    for s, e, lab in zip(start, end, labels["label"]):
        scored[int(s // 4) : int(e // 4)] = STATES.index(lab)
    differ = np.count_nonzero(scored != truth[: scored.size])
    assert 1 <= differ <= 0.1 * scored.size


def test_cache_reuse_rebuild_and_parameter_change(tmp_path):
    out = tmp_path / "demo"
    quiet = {"progress": lambda line: None, "video_minutes": 0.1}
    first = ensure_demo(out, hours=0.02, **quiet)
    mtime = first.manifest.stat().st_mtime_ns
    again = ensure_demo(out, hours=0.02, **quiet)
    assert first.built and not again.built
    assert again.manifest.stat().st_mtime_ns == mtime
    rebuilt = ensure_demo(out, hours=0.02, rebuild=True, **quiet)
    assert rebuilt.built and rebuilt.manifest.stat().st_mtime_ns != mtime
    changed = ensure_demo(out, hours=0.03, **quiet)
    assert changed.built
    assert json.loads(changed.manifest.read_text())["params"]["hours"] == 0.03
    assert [p.name for p in tmp_path.iterdir()] == ["demo"]  # no temp or old directories left


def test_interrupted_build_leaves_no_demo(tmp_path):
    out = tmp_path / "demo"

    def interrupt(line: str) -> None:
        if line.startswith("spikes"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ensure_demo(out, hours=0.02, video_minutes=0.1, progress=interrupt)
    assert list(tmp_path.iterdir()) == []


def test_refuses_foreign_directory_and_bad_hours(tmp_path):
    (tmp_path / "mine.txt").write_text("not a demo")
    with pytest.raises(LoupeConfigError, match="not a loupe-tui demo"):
        ensure_demo(tmp_path, hours=0.02, progress=lambda line: None)
    assert (tmp_path / "mine.txt").exists()
    with pytest.raises(LoupeConfigError, match="hours"):
        ensure_demo(tmp_path / "d", hours=0)


@pytest.mark.parametrize("make_out", [
    lambda tmp: tmp / "file.csv",              # --out is a file
    lambda tmp: tmp / "file.csv" / "sub",      # a file in the way
    lambda tmp: Path("/proc/loupe-tui-demo"),  # a parent where nothing can be created
], ids=["file", "under-a-file", "proc"])
def test_unusable_out_is_a_one_line_error_naming_it(tmp_path, capsys, make_out):
    (tmp_path / "file.csv").write_text("start_s,end_s,label\n")
    out = make_out(tmp_path)
    if out.parts[:2] == ("/", "proc") and not Path("/proc/self").exists():
        pytest.skip("no /proc")
    assert main(["demo", "--out", str(out), "--hours", "0.02", "--build-only"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"loupe-tui: error: {out}: ") and "\n" not in err and "--out" in err
    assert (tmp_path / "file.csv").read_text() == "start_s,end_s,label\n"


def test_schedule_is_a_realistic_mouse_day():
    hyp = make_schedule(24, seed=0)
    assert hyp.n_epochs == 21600
    assert np.array_equal(hyp.states, make_schedule(24, seed=0).states)
    light, dark = hyp.fractions(0, 12 * 3600), hyp.fractions(12 * 3600)
    assert light["Wake"] < 0.45 and dark["Wake"] > 0.55
    assert 0.04 < light["REM"] < 0.15
    bouts = hyp.bouts()
    for prev, cur in zip(bouts, bouts[1:]):
        if cur[2] == "REM":
            assert prev[2] == "NREM"
    rem = [e - s for s, e, lab in bouts if lab == "REM"]
    assert 40 <= np.median(rem) <= 120
    assert np.median([e - s for s, e, lab in bouts if lab == "NREM"]) >= 60


def test_cli_build_only_prints_each_part(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--hours", "0.02", "--build-only"]) == 0
    text = capsys.readouterr().out
    for name in ("recording.zarr", "spikes.parquet", "video.mp4", "video_frame_times.npy", "labels.csv",
                 "truth_hypnogram.csv", "rodent_sleep"):
        assert name in text
    assert main(["demo", "--out", str(out), "--hours", "0.02", "--build-only"]) == 0
    assert "cached" in capsys.readouterr().out


def test_importing_the_demo_does_not_load_pyav():
    code = "import sys, loupe_tui.demo, loupe_tui.commands.demo; print('av' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
