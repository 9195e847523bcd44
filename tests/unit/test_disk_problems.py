"""A full disk or a read-only labels folder is reported before any edit is accepted.

:meth:`IntervalLabelSet.load` (the path the TUI and ``loupe-tui open`` use)
probes the labels' folder: a file is created, written, fsync'ed and removed,
and the free space is checked. When that fails the load raises one
LabelFileError line naming the folder, the problem and where edits can go,
so the scorer never starts on labels whose edits could not be journaled.

Real filesystems where possible (as root, chmod does not stop writes): a
64 KiB tmpfs (full), a tmpfs filled to ENOSPC, a tmpfs remounted read-only.
Without permission to mount, those tests skip; the in-process fault
injection tests (os.open/os.write raising EROFS/ENOSPC) run everywhere.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
import sys

import pytest

from loupe_tui.core.labels import IntervalLabelSet, journal_path_for
from loupe_tui.core.labels import files as label_files
from loupe_tui.errors import LabelFileError

LABELS = "start_s,end_s,label,note\n0,4,Wake,\n4,8,NREM,\n"


@contextlib.contextmanager
def tmpfs(path, size: str):
    path.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                         capture_output=True, text=True)
    if out.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({out.stderr.strip()}); fault-injection tests cover it")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def remount_ro(path) -> None:
    out = subprocess.run(["mount", "-o", "remount,ro", str(path)], capture_output=True, text=True)
    if out.returncode:
        pytest.skip(f"cannot remount read-only ({out.stderr.strip()})")


def names(ls) -> list[str]:
    return ls.to_frame()["label"].to_list()


def assert_reported(exc: pytest.ExceptionInfo, folder, problem: str) -> None:
    msg = str(exc.value)
    assert "\n" not in msg
    assert msg.startswith(f"{folder.resolve()}: cannot score ")
    assert problem in msg, msg
    assert "none accepted" in msg and "writable folder" in msg and "--labels" in msg and "save_as" in msg


# -- real filesystems ----------------------------------------------------------
def test_read_only_folder_is_reported_at_load(tmp_path):
    with tmpfs(tmp_path / "ro", "8m") as d:
        (d / "night.csv").write_text(LABELS)
        remount_ro(d)
        with pytest.raises(LabelFileError) as exc:
            IntervalLabelSet.load(d / "night.csv")
        assert_reported(exc, d, "read-only")
        assert (d / "night.csv").read_text() == LABELS
        assert not journal_path_for(d / "night.csv").exists()
        # reading (no scoring) still works, and a copy can go elsewhere
        ls = IntervalLabelSet.read(d / "night.csv")
        ls.save_as(tmp_path / "night.csv")
        assert names(IntervalLabelSet.read(tmp_path / "night.csv")) == ["Wake", "NREM"]


def test_read_only_folder_with_pending_journal_is_reported_and_journal_kept(tmp_path):
    with tmpfs(tmp_path / "ro", "8m") as d:
        (d / "night.csv").write_text(LABELS)
        ls = IntervalLabelSet.load(d / "night.csv")
        ls.add(8, 12, "REM")
        ls.close()
        journal = journal_path_for(d / "night.csv").read_bytes()
        remount_ro(d)
        with pytest.raises(LabelFileError) as exc:
            IntervalLabelSet.load(d / "night.csv")
        assert_reported(exc, d, "read-only")
        assert journal_path_for(d / "night.csv").read_bytes() == journal


def test_small_nearly_full_disk_is_reported_at_load(tmp_path):
    with tmpfs(tmp_path / "full", "64k") as d:          # 64 KiB free: below the 1 MiB floor
        (d / "night.csv").write_text(LABELS)
        with pytest.raises(LabelFileError) as exc:
            IntervalLabelSet.load(d / "night.csv")
        assert_reported(exc, d, "the disk is full")
        assert sorted(p.name for p in d.iterdir()) == ["night.csv"]   # the probe is gone


def test_disk_filled_to_enospc_is_reported_at_load(tmp_path):
    with tmpfs(tmp_path / "full", "8m") as d:
        (d / "night.csv").write_text(LABELS)
        fd = os.open(d / "filler", os.O_WRONLY | os.O_CREAT)
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 65536)
        os.close(fd)
        with pytest.raises(LabelFileError) as exc:
            IntervalLabelSet.load(d / "night.csv")
        assert_reported(exc, d, "the disk is full")
        # once space is freed, scoring works and edits are journaled
        (d / "filler").unlink()
        ls = IntervalLabelSet.load(d / "night.csv")
        ls.add(8, 12, "REM")
        assert journal_path_for(d / "night.csv").exists()
        ls.save()
        assert names(IntervalLabelSet.read(ls.save_path)) == ["Wake", "NREM", "REM"]


def test_cli_open_on_read_only_folder_prints_one_line_and_exits_2(tmp_path):
    from loupe_tui.demo import ensure_demo

    demo = ensure_demo(tmp_path / "demo", hours=0.05, video_minutes=0.05, progress=lambda line: None)
    with tmpfs(tmp_path / "ro", "8m") as d:
        shutil.copy(demo.labels, d / "night.csv")
        remount_ro(d)
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        env.update({"LOUPE_TUI_CACHE": str(tmp_path / "cache"), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
                    "XDG_DATA_HOME": str(tmp_path / "share")})
        out = subprocess.run([sys.executable, "-m", "loupe_tui", "open", str(demo.recording), "--group", "eeg",
                              "--labels", str(d / "night.csv"), "--keymap", "rodent_sleep", "--no-window"],
                             capture_output=True, text=True, env=env, timeout=60, stdin=subprocess.DEVNULL)
    assert out.returncode == 2, out.stderr
    errors = [ln for ln in out.stderr.splitlines() if "error" in ln]
    assert len(errors) == 1, out.stderr
    assert errors[0].startswith("loupe-tui: error: ")
    assert f"{d.resolve()}: cannot score night.csv here: the folder is read-only" in errors[0]
    assert f"{tmp_path / 'share' / 'loupe-tui' / 'night.csv'}" in errors[0]


# -- in-process fault injection (runs without root) ----------------------------
@pytest.mark.parametrize(("err", "problem"), [(errno.EROFS, "read-only"), (errno.EACCES, "read-only"),
                                              (errno.ENOSPC, "the disk is full"),
                                              (errno.EIO, "cannot write there")])
def test_probe_open_failure_is_reported(tmp_path, monkeypatch, err, problem):
    (tmp_path / "night.csv").write_text(LABELS)
    real_open = os.open

    def failing_open(path, flags, *a, **kw):
        if ".loupe-probe." in str(path):
            raise OSError(err, os.strerror(err), str(path))
        return real_open(path, flags, *a, **kw)

    monkeypatch.setattr(label_files.os, "open", failing_open)
    with pytest.raises(LabelFileError) as exc:
        IntervalLabelSet.load(tmp_path / "night.csv")
    assert_reported(exc, tmp_path, problem)


def test_probe_write_enospc_is_reported_and_probe_removed(tmp_path, monkeypatch):
    (tmp_path / "night.csv").write_text(LABELS)

    def failing_write(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(label_files.os, "write", failing_write)
    with pytest.raises(LabelFileError) as exc:
        IntervalLabelSet.load(tmp_path / "night.csv")
    monkeypatch.undo()
    assert_reported(exc, tmp_path, "the disk is full")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["night.csv"]


def test_low_free_space_is_reported(tmp_path, monkeypatch):
    (tmp_path / "night.csv").write_text(LABELS)
    monkeypatch.setattr(label_files.shutil, "disk_usage",
                        lambda p: shutil._ntuple_diskusage(10 << 30, 10 << 30, 4096))
    with pytest.raises(LabelFileError) as exc:
        IntervalLabelSet.load(tmp_path / "night.csv")
    assert_reported(exc, tmp_path, "the disk is full (4,096 bytes free)")


def test_missing_folder_is_reported(tmp_path):
    with pytest.raises(LabelFileError, match="no such folder"):
        IntervalLabelSet.load(tmp_path / "nope" / "night.csv")


def test_writable_folder_loads_and_leaves_no_probe(tmp_path):
    (tmp_path / "night.csv").write_text(LABELS)
    ls = IntervalLabelSet.load(tmp_path / "night.csv")
    assert names(ls) == ["Wake", "NREM"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["night.csv"]
    ls.close()
