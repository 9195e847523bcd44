"""``open s3://...``: a recording in object storage is read lazily, cached locally by its content,
its labels kept on this machine; a prepared shared cache is used instead of a local build."""

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
from loupe_tui.config import TraceConfig
from loupe_tui.errors import DataFileError
from loupe_tui.io.pyramid import Pyramid, cache_key
from loupe_tui.io.remote.urls import parse_storage_options
from loupe_tui.io.xarray_open import open_variable


def open_args(url, s3, *more):
    return build_parser().parse_args(["open", url, "--storage-option", f"endpoint_url={s3.endpoint}",
                                      "--keymap", "rodent_sleep", "--no-window", *more])


def test_storage_options_parse_json_values_and_dotted_keys():
    opts = parse_storage_options(["endpoint_url=http://h:9000", "anon=true", "config_kwargs.read_timeout=10",
                                  "config_kwargs.retries={\"max_attempts\": 1}"])
    assert opts == {"endpoint_url": "http://h:9000", "anon": True,
                    "config_kwargs": {"read_timeout": 10, "retries": {"max_attempts": 1}}}
    with pytest.raises(Exception, match="--storage-option: expected KEY=VALUE"):
        parse_storage_options(["endpoint_url"])


def test_open_reads_a_bucket_lazily_and_keeps_labels_locally(s3, tmp_path):
    da = recording(600.0)
    write_recording("s3://lab/m01.zarr", da, s3.options)
    kw = open_cmd.build_view_args(open_args("s3://lab/m01.zarr", s3))
    cfg = kw["configs"][0]
    assert isinstance(cfg, TraceConfig) and cfg.trace_names() == ["EEG", "EMG"] and kw["title"] == "m01.zarr"
    # labels: on this machine, in a folder named after the URL, never in the bucket
    labels = kw["interval_labels"]
    assert labels.parent.parent == tmp_path / "labels" and labels.name == "m01.labels.csv"
    assert labels.parent.is_dir() and "lab_m01.zarr" in labels.parent.name
    src = cfg.source()
    np.testing.assert_array_equal(src.read(1000, 3000), da.values[:, 1000:3000])
    # this machine's cache is keyed by the content (ETags), not a path: the same bytes elsewhere match
    write_recording("s3://lab/copy/m01.zarr", da, s3.options)
    copy = TraceConfig(open_variable("s3://lab/copy/m01.zarr", storage_options=s3.options)).source()
    assert copy.fingerprint == src.fingerprint == src.content_fingerprint
    pyr = Pyramid.open_or_build(src)
    assert pyr.path.name == cache_key(src.fingerprint) and pyr.shared_url is None
    w = pyr.window(60.0, 90.0, 400)
    seg = da.values[:, int(60 * 250):int(90 * 250)]
    assert np.nanmin(w.lo) == pytest.approx(seg.min()) and np.nanmax(w.hi) == pytest.approx(seg.max())
    # a rewritten chunk changes the identity: the old pyramid is not used for the new data
    da2 = da.copy(data=da.values.copy())
    da2.values[:, 50_000] += 1000.0
    write_recording("s3://lab/copy/m01.zarr", da2, s3.options)
    changed = TraceConfig(open_variable("s3://lab/copy/m01.zarr", storage_options=s3.options)).source()
    assert changed.fingerprint != src.fingerprint


def test_remote_time_axis_is_remembered(s3, tmp_path):
    write_recording("s3://lab/m02.zarr", recording(120.0), s3.options)
    a = TraceConfig(open_variable("s3://lab/m02.zarr", storage_options=s3.options)).time_axis
    memo = list((tmp_path / "cache" / "time-axes").glob("*.json"))
    assert len(memo) == 1 and a.regular and a.fs == 250.0
    b = TraceConfig(open_variable("s3://lab/m02.zarr", storage_options=s3.options)).time_axis
    assert (b.n, b.t0, b.fs) == (a.n, a.t0, a.fs)


def test_errors_name_the_url_on_one_line(s3):
    with pytest.raises(DataFileError, match=r"s3://lab/none.zarr: no zarr store there"):
        open_variable("s3://lab/none.zarr", storage_options=s3.options)
    s3.fs().pipe_file("lab/rec.nc", b"CDF\x01....")
    with pytest.raises(DataFileError, match="only zarr stores are read from URLs"):
        open_variable("s3://lab/rec.nc", storage_options=s3.options)


def test_prepared_bucket_opens_from_a_second_cache_without_a_build(s3, tmp_path, monkeypatch):
    from loupe_tui.prepare import prepare

    da = recording(900.0)
    write_recording("s3://lab/m03.zarr", da, s3.options)
    report = prepare(["s3://lab/m03.zarr"], workers=0, storage_options=s3.options, spectrogram="EEG", emg="EMG")
    assert [o.status for o in report.outcomes] == ["prepared"]
    assert s3.fs().exists("lab/m03.zarr.loupe/pyramids") and not s3.fs().exists("lab/m03.zarr/pyramids")
    # a second machine: an empty cache of its own
    monkeypatch.setenv("LOUPE_TUI_CACHE", str(tmp_path / "second"))
    kw = open_cmd.build_view_args(open_args("s3://lab/m03.zarr", s3, "--spectrogram", "EEG", "--emg", "EMG"))
    make_context(**kw, **open_cmd.CLI_CONTEXT).labels.close()     # what open does before the app starts
    src = kw["configs"][0].source()
    said = []
    pyr = Pyramid.open_or_build(src, progress=lambda f, m: said.append(m))
    assert pyr.shared_url.startswith("s3://lab/m03.zarr.loupe/pyramids/") and said == ["decimation pyramid: shared cache"]
    built = [p.name for p in (tmp_path / "second" / "pyramids").glob("*") if p.name != "spectral"]
    assert built == [], "no local pyramid was built"
    ref = Pyramid.open_or_build(src, tmp_path / "reference", progress=None)   # a local build, to compare
    for t0, t1, n in ((0.0, 900.0, 1600), (300.0, 330.0, 800), (10.0, 20.0, 300), (0.0, 2.0, 1600)):
        a, b = pyr.window(t0, t1, n), ref.window(t0, t1, n)
        assert a.level == b.level
        np.testing.assert_array_equal(a.lo, b.lo)
        np.testing.assert_array_equal(a.hi, b.hi)
    # the spectral entries were adopted by make_context: the views open without a build
    adopted = {p: p.stat().st_mtime_ns for p in (tmp_path / "second" / "pyramids" / "spectral").glob("*/meta.json")}
    assert len(adopted) == 2
    views = kw["configs"][-1].open(4.0)
    assert {views.spectrogram.path / "meta.json", views.emg.path / "meta.json"} == set(adopted)
    assert all(p.stat().st_mtime_ns == t for p, t in adopted.items()), "opened as they were, not rebuilt"


def test_an_edf_file_in_the_bucket_is_read_in_ranges_and_prepared(s3, tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
    from edf_writer import Sig, sine, write_edf

    from loupe_tui.io.edf.recording import read_edf
    from loupe_tui.prepare import prepare

    local = write_edf(tmp_path / "n1.edf", [Sig("EEG Fpz-Cz", 100.0, sine(100.0, 600.0, 2.0)),
                                             Sig("EMG", 50.0, sine(50.0, 600.0, 5.0))], record_s=1.0)
    s3.fs().put_file(str(local), "lab/psg/n1.edf")
    kw = open_cmd.build_view_args(open_args("s3://lab/psg/n1.edf", s3, "--channels", "EEG*,EMG"))
    assert [c.trace_names() for c in kw["configs"]] == [["EEG Fpz-Cz"], ["EMG"]]
    remote, here = kw["configs"][0].source(), read_edf(local).groups["100 Hz"]
    np.testing.assert_array_equal(remote.read(1234, 5678), np.asarray(here.values[:, 1234:5678], np.float32))
    assert remote.origin == "s3://lab/psg/n1.edf" and remote.fingerprint == remote.content_fingerprint
    report = prepare(["s3://lab/psg/n1.edf"], workers=0, storage_options=s3.options, channels=("EEG*", "EMG"))
    assert [o.status for o in report.outcomes] == ["prepared"] and len(report.outcomes[0].built) == 2
    assert s3.fs().exists("lab/psg/n1.edf.loupe/pyramids")
    assert Pyramid.open(kw["configs"][1].source(), tmp_path / "fresh").shared_url is not None


@pytest.mark.slow
def test_the_gl_window_draws_from_the_bucket_and_its_shared_cache(s3, tmp_path, monkeypatch):
    """``snapshot`` starts the real GL window process: it opens the store at the URL (the storage
    options travel in the session spec) and the shared pyramid, and builds nothing here."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "render"))
    from gl_harness import in_ci

    from loupe_tui.cli import main
    from loupe_tui.prepare import prepare
    from loupe_tui.xvfb import have_xvfb

    if not have_xvfb() and not os.environ.get("DISPLAY"):
        if in_ci():
            pytest.fail("no Xvfb and no display: the GL tests must run in CI")
        pytest.skip("no Xvfb and no display")
    write_recording("s3://lab/m04.zarr", recording(600.0), s3.options)
    assert not prepare(["s3://lab/m04.zarr"], workers=0, storage_options=s3.options).failed
    monkeypatch.setenv("LOUPE_TUI_CACHE", str(tmp_path / "second"))
    out = tmp_path / "page.png"
    assert main(["snapshot", "s3://lab/m04.zarr", "--storage-option", f"endpoint_url={s3.endpoint}",
                 "--window", "100", "130", "--out", str(out)]) == 0
    assert out.stat().st_size > 10_000
    assert [p.name for p in (tmp_path / "second" / "pyramids").glob("*") if p.name != "spectral"] == []


@pytest.mark.filterwarnings("ignore:Consolidated metadata")
def test_a_store_over_plain_http(tmp_path):
    """Any fsspec URL: a zarr store served by a plain HTTP server (consolidated metadata)."""
    import functools
    import http.server
    import threading

    import zarr

    write_recording(str(tmp_path / "www" / "rec.zarr"), recording(120.0))
    zarr.consolidate_metadata(str(tmp_path / "www" / "rec.zarr"))

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=tmp_path / "www"))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/rec.zarr"
        src = TraceConfig(open_variable(url)).source()
        np.testing.assert_array_equal(src.read(100, 200), recording(120.0).values[:, 100:200])
        assert src.fingerprint == src.content_fingerprint
        assert Pyramid.open_or_build(src).window(0.0, 30.0, 100).level == 1
    finally:
        server.shutdown()
