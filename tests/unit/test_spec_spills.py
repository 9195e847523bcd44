"""Spilled session arrays: reused while in use, pruned when no session has needed them for long."""

from __future__ import annotations

import os
import time

import numpy as np
import xarray as xr

from loupe_tui.spec_sources import describe_array, prune_spills, save_array


def _age(path, days: float) -> None:
    t = time.time() - days * 86400
    os.utime(path, (t, t))


def test_old_spills_are_pruned_and_reuse_keeps_them(tmp_path):
    da = xr.DataArray(np.arange(20.0).reshape(2, 10), dims=("channel", "time"), name="x")
    desc = describe_array(da, tmp_path)
    store = tmp_path / "arrays" / os.path.basename(desc["path"])
    marker = store.with_name(store.name + ".complete")
    old_npy = save_array(np.arange(5), tmp_path)
    kept_npy = save_array(np.arange(6), tmp_path)
    tmp_left = tmp_path / "arrays" / ".abc.zarr.tmp-123"
    tmp_left.mkdir()
    for p in (marker, old_npy, kept_npy, tmp_left):
        _age(p, 30)
    save_array(np.arange(6), tmp_path)                      # used again: its clock restarts
    assert prune_spills(tmp_path) == 3
    assert not store.exists() and not marker.exists() and not os.path.exists(old_npy) and not tmp_left.exists()
    assert os.path.exists(kept_npy)
    assert prune_spills(tmp_path / "nowhere") == 0


def test_default_render_log_follows_the_cache_root(monkeypatch, tmp_path):
    from loupe_tui.link import default_log_path

    monkeypatch.setenv("LOUPE_TUI_CACHE", str(tmp_path / "c"))
    assert default_log_path() == tmp_path / "c" / "render.log"
