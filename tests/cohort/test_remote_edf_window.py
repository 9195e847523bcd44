"""A remote EDF as the terminal and the GL window read it: ranged reads of the records a window needs,
annotations read once per machine, its own sleep stages as labels; ``view()`` adopting the shared
spectral entries as ``open`` does. Against moto's S3 server (its byte counts are what clients read)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from cohort_helpers import recording, write_recording
from loupe_tui.api import make_context
from loupe_tui.cli import build_parser
from loupe_tui.commands import open as open_cmd
from loupe_tui.config import SpectrogramConfig, TraceConfig
from loupe_tui.io.xarray_open import open_variable

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "render"))
from gl_harness import STATES, Harness, gl_env, labels_message  # noqa: E402,F401  (gl_env: a fixture)

EDF_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "edf"


def shared_file(name: str) -> Path:
    path = EDF_DATA / name
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path}: the shared test data must be there in CI")
        pytest.skip(f"{path}: no shared test data here")
    return path


def open_args(url, s3, *more):
    return build_parser().parse_args(["open", url, "--storage-option", f"endpoint_url={s3.endpoint}",
                                      "--keymap", "aasm_human", "--no-window", *more])


@pytest.mark.slow
def test_the_gl_window_reads_a_remote_edf_in_ranges_from_the_shared_pyramid(s3, tmp_path, monkeypatch, gl_env):
    """The window opens the file at the URL itself (no copy of it in the session cache): one 30 s page
    of a real 10 min EDF+C reads a few % of it; the annotations the terminal read are remembered."""
    from loupe_tui import protocol as P
    from loupe_tui.prepare import prepare
    from loupe_tui.viewspec import build_spec

    local = shared_file("mouse_misleep_10min.edf")
    size, key, url = local.stat().st_size, "lab/mice/m1.edf", "s3://lab/mice/m1.edf"
    s3.fs().put_file(str(local), key)
    assert not prepare([url], workers=0, storage_options=s3.options).failed       # the lab's shared pyramid
    monkeypatch.setenv("LOUPE_TUI_CACHE", str(tmp_path / "scorer"))                # a scorer's empty cache
    s3.clear_counts()
    kw = open_cmd.build_view_args(open_args(url, s3))
    # 1 s records of 4 KB: the annotation slices are read as whole records, once, then remembered
    assert s3.served[key] <= 1.05 * size and list((tmp_path / "scorer" / "remote-slices").glob("*.npy"))
    s3.clear_counts()
    spec = build_spec(kw["configs"], labels_states_colors=STATES, cache_dir=tmp_path / "session")
    array = spec["panels"][0]["source"]["array"]
    assert array["path"] == url and array["edf"] and array["storage_options"] == {"endpoint_url": s3.endpoint}
    assert not (tmp_path / "session" / "arrays").exists(), "nothing of the recording is copied"
    env = {k: os.environ[k] for k in ("LOUPE_TUI_CACHE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                      "AWS_DEFAULT_REGION")}
    win = Harness({**gl_env, **env}, tmp_path, size=(1000, 400))
    try:
        win.start([])
        win.send(P.LoadSession(spec), P.SetStateColors(STATES), labels_message([]), P.SetWindow(300.0, 330.0, 1),
                 P.SetCursor(-5.0, 1))
        img = win.snapshot().astype(int)
        assert not win.errors(), win.errors()
    finally:
        win.close()
    read = s3.served[key]
    assert 0 < read < 0.12 * size, f"the window read {read} of {size} bytes"
    assert any(k.startswith("lab/mice/m1.edf.loupe/pyramids/") and n for k, n in s3.served.items())
    built = [p.name for p in (tmp_path / "scorer" / "pyramids").glob("*") if p.name != "spectral"]
    assert built == [], "no pyramid was built on this machine"
    # the four traces: bright pixels in most columns of the data area, in each quarter of its height
    area = img[30:400 - 60, 110:720]
    bright = area.max(axis=-1) > 150
    assert bright.any(axis=0).mean() > 0.6
    bands = np.array_split(bright, 4, axis=0)
    assert all(b.any(axis=0).mean() > 0.3 for b in bands), [b.any(axis=0).mean() for b in bands]


def test_view_adopts_the_shared_spectral_entries(s3, tmp_path, monkeypatch):
    """``view(TraceConfig, SpectrogramConfig)`` of a prepared recording: its setup (make_context, what
    view() runs before the app) copies the shared spectral entries, and the views open them unbuilt."""
    from loupe_tui.prepare import prepare

    write_recording("s3://lab/m05.zarr", recording(900.0), s3.options)
    assert not prepare(["s3://lab/m05.zarr"], workers=0, storage_options=s3.options, spectrogram="EEG",
                       emg="EMG").failed
    monkeypatch.setenv("LOUPE_TUI_CACHE", str(tmp_path / "second"))
    da = open_variable("s3://lab/m05.zarr", storage_options=s3.options)
    spectral = SpectrogramConfig(da, channel="EEG", emg_channel="EMG")
    ctx = make_context([TraceConfig(da), spectral], state_definitions="rodent_sleep", window=False,
                       epoch_len=4.0)
    ctx.labels.close()
    adopted = {p: p.stat().st_mtime_ns for p in (tmp_path / "second" / "pyramids" / "spectral").glob("*/meta.json")}
    assert len(adopted) == 2
    views = spectral.open(4.0)
    assert {views.spectrogram.path / "meta.json", views.emg.path / "meta.json"} == set(adopted)
    assert all(p.stat().st_mtime_ns == t for p, t in adopted.items()), "opened as they were, not rebuilt"


def test_a_remote_edf_plus_gives_its_own_sleep_stages_as_labels(s3, tmp_path):
    """As a local EDF+: its stages open read-only as labels, saves go to ``<name>.scored.csv`` (here in the
    URL's labels folder); its annotations are read once on this machine."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
    from edf_writer import Sig, sine, write_edf

    from loupe_tui.core.labels import IntervalLabelSet
    from loupe_tui.core.labels.edf_annotations import read_edf_annotations_file

    hypno = read_edf_annotations_file(shared_file("hmc_SN001_hypnogram.edf")).annotations
    stages = [(a.onset, a.duration, a.text) for a in hypno if a.text.startswith("Sleep stage")]
    seconds = int(max(o + d for o, d, _ in stages))
    local = write_edf(tmp_path / "sn001.edf", [Sig("EEG F4-A1", 100.0, sine(100.0, seconds, 7.0))], 30.0,
                      plus="C", annotations=stages + [(60.0, None, "Lights off")], ann_bytes=120)
    size, key, url = local.stat().st_size, "lab/psg/sn001.edf", "s3://lab/psg/sn001.edf"
    s3.fs().put_file(str(local), key)
    here = IntervalLabelSet.read(local)           # how a local file's own stages open
    assert len(here) > 50

    s3.clear_counts()
    kw = open_cmd.build_view_args(open_args(url, s3))
    first = s3.served[key]
    source = Path(kw["interval_labels"])
    assert source.name == "sn001.edf" and source.parent.parent == tmp_path / "labels"
    assert source.stat().st_size < 0.05 * size, "the local copy holds the annotations only"
    ctx = make_context(**kw, **open_cmd.CLI_CONTEXT)
    try:
        got = ctx.labels
        np.testing.assert_array_equal(got.starts, here.starts)
        np.testing.assert_array_equal(got.ends, here.ends)
        assert got.label_names == here.label_names
        assert got.save_path == source.with_name("sn001.scored.csv")
        assert [e for e in kw["global_events"].events()][0][0] == "Lights off"
        got.add(0.0, 30.0, "N3")
        got.save()
    finally:
        ctx.labels.close()
    # again: what this machine remembered, and the saved work
    s3.clear_counts()
    kw = open_cmd.build_view_args(open_args(url, s3))
    assert s3.served[key] < 0.05 * size <= first
    ctx = make_context(**kw, **open_cmd.CLI_CONTEXT)
    try:
        assert source.with_name("sn001.scored.csv").exists()
        assert ctx.labels.at_time(10.0).label == "N3" and len(ctx.labels) == len(here) + 1     # 0-30 s split off
    finally:
        ctx.labels.close()


def test_strided_slices_read_alike_either_way_and_once(s3):
    """An annotation signal's bytes: a ranged request per slice or whole records, the same bytes; then
    from this machine's cache (the object's ETag and size) with no request."""
    from loupe_tui.io.remote.files import RemoteFile

    raw = np.random.default_rng(1).integers(0, 256, 300_000, dtype=np.uint8)
    s3.fs().pipe_file("lab/f.bin", raw.tobytes())
    want = np.stack([raw[1000 + 2900 * i:1000 + 2900 * i + 120] for i in range(100)])
    f = RemoteFile("s3://lab/f.bin", s3.options)
    for how in ("slices", "blocks"):
        s3.clear_counts()
        np.testing.assert_array_equal(f.read_strided(1000, 2900, 120, 100, how=how, remember=False), want)
        assert s3.requests["lab/f.bin"] == (100 if how == "slices" else 1)
    np.testing.assert_array_equal(f.read_strided(1000, 2900, 120, 100), want)
    s3.clear_counts()
    np.testing.assert_array_equal(RemoteFile("s3://lab/f.bin", s3.options).read_strided(1000, 2900, 120, 100), want)
    assert s3.served["lab/f.bin"] == 0
    s3.fs().pipe_file("lab/f.bin", raw[::-1].tobytes())       # new content, new ETag: read again
    assert not np.array_equal(RemoteFile("s3://lab/f.bin", s3.options).read_strided(1000, 2900, 120, 100), want)
