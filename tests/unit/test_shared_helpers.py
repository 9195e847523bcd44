"""One helper each: atomic writes, directory fsync, XDG folders, time formatting."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from loupe_tui.core import fsutil
from loupe_tui.core.fsutil import atomic_write_bytes, tree_signature
from loupe_tui.core.paths import default_demo_dir, user_cache_dir, user_config_dir
from loupe_tui.errors import LabelFileError


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "LOUPE_TUI_CACHE"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def test_relative_xdg_values_are_ignored_everywhere(home, monkeypatch):
    from loupe_tui.demo import default_demo_dir as demo_dir
    from loupe_tui.io.pyramid import default_cache_dir

    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/config")
    assert default_cache_dir() == home / ".cache" / "loupe-tui" / "pyramids"
    assert demo_dir() == default_demo_dir() == home / ".cache" / "loupe-tui" / "demo"
    assert user_config_dir() == home / ".config" / "loupe-tui"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "xdg"))
    assert demo_dir() == home / "xdg" / "loupe-tui" / "demo"
    assert default_cache_dir() == home / "xdg" / "loupe-tui" / "pyramids"
    monkeypatch.setenv("LOUPE_TUI_CACHE", str(home / "mine"))
    assert user_cache_dir() == home / "mine" and demo_dir() == home / "mine" / "demo"


def test_atomic_write_replaces_keeps_mode_syncs_dir_and_cleans_up(tmp_path, monkeypatch):
    synced = []
    monkeypatch.setattr(fsutil, "fsync_dir", lambda d: synced.append(Path(d)))
    target = tmp_path / "a.csv"
    atomic_write_bytes(target, b"one")
    os.chmod(target, 0o600)
    seen = []
    st = atomic_write_bytes(target, b"two", lambda tmp: seen.append(tmp.read_bytes()))
    assert target.read_bytes() == b"two" and seen == [b"two"] and st.st_size == 3
    assert (target.stat().st_mode & 0o777) == 0o600 and synced == [tmp_path, tmp_path]
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]
    with pytest.raises(LabelFileError, match=r"missing/a.csv: cannot write \("):
        atomic_write_bytes(tmp_path / "missing" / "a.csv", b"x", error=LabelFileError)
    with pytest.raises(OSError):
        atomic_write_bytes(tmp_path / "missing" / "a.csv", b"x")


def test_label_and_pyramid_writers_share_the_helpers():
    from loupe_tui.core import keymap_edit
    from loupe_tui.core.labels import files as label_files
    from loupe_tui.core.labels import formats as label_formats
    from loupe_tui.core.labels import journal
    from loupe_tui.io import pyramid_store

    assert label_files.atomic_write_bytes is label_formats.atomic_write_bytes is atomic_write_bytes
    assert keymap_edit.atomic_write_bytes is atomic_write_bytes
    assert journal.fsync_dir is pyramid_store.fsync_dir is fsutil.fsync_dir
    assert not hasattr(keymap_edit, "_atomic_write") and not hasattr(pyramid_store, "_fsync_dir")


def test_tree_signature_sees_any_rewritten_file(tmp_path):
    chunk = tmp_path / "data" / "c" / "0" / "7"
    chunk.parent.mkdir(parents=True)
    chunk.write_bytes(b"abc")
    (tmp_path / "data" / "zarr.json").write_text("{}")
    before = tree_signature(tmp_path / "data")
    assert tree_signature(tmp_path / "data") == before
    chunk.write_bytes(b"abd")  # same size
    os.utime(chunk, ns=(1, chunk.stat().st_mtime_ns + 1000))
    assert tree_signature(tmp_path / "data") != before
    assert tree_signature(tmp_path / "nowhere") == tree_signature(tmp_path / "nowhere2")


def test_labels_info_formats_times_with_timefmt(tmp_path, capsys):
    from loupe_tui.cli import main
    from loupe_tui.core.labels import stats as label_stats
    from loupe_tui.core.timefmt import format_time

    p = tmp_path / "a.csv"
    p.write_text("start_s,end_s,label\n0,1.25,W\n")
    assert main(["labels", "info", str(p)]) == 0
    assert f"W  {format_time(1.25):>10}" in capsys.readouterr().out
    assert not hasattr(label_stats, "format_hms")
