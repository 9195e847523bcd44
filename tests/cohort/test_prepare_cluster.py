"""``loupe-tui prepare`` on a real ``distributed.LocalCluster`` of 2 workers: a cohort of 6 recordings in
the bucket, one of them broken: 5 prepared, 1 error line, exit status 1; a second run skips all 5."""

from __future__ import annotations

import pytest

from cohort_helpers import recording, write_recording
from loupe_tui.cli import build_parser, main
from loupe_tui.prepare import PrepareOptions, prepare_recording


def test_help_names_the_options(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["prepare", "--help"])
    out = capsys.readouterr().out
    for opt in ("--list", "--scheduler", "--workers", "--cache-url", "--storage-option", "--spectrogram",
                "--emg", "--epoch", "examples:"):
        assert opt in out, opt


def test_no_recordings_is_one_error_line(capsys):
    assert main(["prepare"]) == 2
    assert capsys.readouterr().err.strip() == "loupe-tui: error: prepare: name recordings (REC ...) or --list FILE"


@pytest.fixture(scope="module")
def cluster(aws_env):
    """A ``distributed.LocalCluster`` of 2 worker processes (started by the test, closed after)."""
    import logging

    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as c:
        yield c


@pytest.mark.slow
def test_local_cluster_prepares_a_cohort_and_a_second_run_skips_it(s3, tmp_path, capsys, cluster):
    urls = [f"s3://lab/cohort/m{i}.zarr" for i in range(6)]
    for i, url in enumerate(urls[:5]):
        write_recording(url, recording(300.0, seed=i), s3.options)
    s3.fs().pipe_file("lab/cohort/m5.zarr/zarr.json", b'{"zarr_format": 3, "node_type": "group"}')  # no variables
    cohort = tmp_path / "cohort.txt"
    cohort.write_text("# six mice\n" + "\n".join(urls) + "\n\n")
    argv = ["prepare", "--list", str(cohort), "--scheduler", cluster.scheduler_address,
            "--storage-option", f"endpoint_url={s3.endpoint}"]

    assert main(argv) == 1
    out, err = capsys.readouterr()
    errors = [ln for ln in err.splitlines() if "error" in ln]
    assert errors == ["loupe-tui: error: s3://lab/cohort/m5.zarr: no variable with a 'time' dimension (variables: "
                      "none)"], err
    assert out.count(" prepared ") == 5 and "5 prepared, 0 already current, 1 failed" in out and "2 workers" in out
    assert sum("[" in ln and "/6]" in ln for ln in err.splitlines()) == 5          # progress for the cohort
    for url in urls[:5]:                       # published beside each recording; the recordings untouched
        key = url.removeprefix("s3://")
        assert s3.fs().exists(f"{key}.loupe/pyramids") and not s3.fs().exists(f"{key}/pyramids")

    assert main(argv) == 1
    out, err = capsys.readouterr()
    assert "0 prepared, 5 already current, 1 failed" in out
    assert len([ln for ln in err.splitlines() if "error" in ln]) == 1


def test_a_task_never_raises(tmp_path):
    out = prepare_recording(str(tmp_path / "missing.zarr"), PrepareOptions())
    assert out.status == "failed" and out.error.startswith(f"{tmp_path / 'missing.zarr'}: ") and "\n" not in out.error


def test_local_recordings_get_a_cache_beside_them_keyed_by_content(tmp_path, monkeypatch):
    """A cohort on a file server: ``<rec>.loupe/`` beside each, keyed by checksums (a copy elsewhere,
    with other mtimes and inodes, finds the same entry)."""
    import shutil

    from loupe_tui.config import TraceConfig
    from loupe_tui.io.pyramid import Pyramid

    rec = tmp_path / "srv" / "n1.zarr"
    write_recording(str(rec), recording(120.0))
    out = prepare_recording(str(rec), PrepareOptions())
    assert out.status == "prepared" and (tmp_path / "srv" / "n1.zarr.loupe" / "pyramids").is_dir()
    assert prepare_recording(str(rec), PrepareOptions()).status == "current"
    copy = tmp_path / "elsewhere" / "n1.zarr"
    shutil.copytree(rec, copy)
    shutil.copytree(tmp_path / "srv" / "n1.zarr.loupe", tmp_path / "elsewhere" / "n1.zarr.loupe")
    monkeypatch.setenv("LOUPE_TUI_CACHE", str(tmp_path / "other-machine"))
    src = TraceConfig.from_path(copy).source()
    pyr = Pyramid.open(src)
    assert pyr is not None and pyr.shared_url.startswith(str(copy) + ".loupe")


def test_the_python_api_is_loupe_tui_prepare(tmp_path):
    import loupe_tui

    write_recording(str(tmp_path / "m.zarr"), recording(60.0))
    report = loupe_tui.prepare([str(tmp_path / "m.zarr"), str(tmp_path / "none.zarr")], workers=0)
    assert [o.status for o in report.outcomes] == ["prepared", "failed"] and len(report.failed) == 1
    assert "1 prepared, 0 already current, 1 failed" in report.table()
    import loupe_tui.prepare as module              # the module of the same name calls the function too

    assert module([str(tmp_path / "m.zarr")], workers=0).outcomes[0].status == "current"
