"""A remote recording's checked time axis, remembered so that opening it again reads no time.

Opening a store checks its ``time`` coordinate chunk by chunk
(:func:`~loupe_tui.io.xarray_source.time_axis_of`): free on a local disk, but over a
network that is the whole coordinate (29 MB for an hour at 1 kHz, 691 MB for a day). A
regular axis is three numbers, so once checked it is remembered, keyed by the content
signature of the time array's objects (one listing: a rewritten time array is checked
again):

* in this machine's cache, ``<cache>/time-axes/<key>.json``, by every open;
* in the recording's shared caches, ``<root>/time-axes/<key>.json``, by ``prepare``, so
  that a scorer's first open reads it instead of the coordinate.

Irregular axes are not remembered (their values are the axis).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from loupe_tui.core.fsutil import atomic_write_bytes
from loupe_tui.core.paths import user_cache_dir
from loupe_tui.io.remote.shared import SharedRoot, shared_roots
from loupe_tui.io.remote.signature import content_signature, variable_dirs
from loupe_tui.io.remote.urls import STORAGE_OPTIONS_KEY, is_url
from loupe_tui.io.source import TimeAxis

FOLDER = "time-axes"


def remote_key(da) -> str | None:
    """The memo key of a remote store's time array (one listing); None for anything else.
    (A time slice of the store gives another ``n``: the remembered axis is then not used.)"""
    src = da.encoding.get("source")
    dirs = variable_dirs(str(src), da) if src and is_url(str(src)) else None
    if dirs is None:
        return None
    return content_signature(str(src), [dirs[1]], da.encoding.get(STORAGE_OPTIONS_KEY)).hex()


def recall(url: str, key: str, storage_options: Mapping | None) -> TimeAxis | None:
    """The remembered axis: this machine's memo, else a shared cache's; None when neither has it."""
    try:
        return _axis(json.loads((user_cache_dir() / FOLDER / f"{key}.json").read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    for root in shared_roots(url, storage_options):
        try:
            fs, path = root.fs()
            axis = _axis(json.loads(fs.cat_file(f"{path.rstrip('/')}/{FOLDER}/{key}.json")))
        except Exception:          # not there, or not reachable: check the coordinate
            continue
        remember(key, axis)
        return axis
    return None


def remember(key: str, axis: TimeAxis) -> None:
    """Keep a regular ``axis`` in this machine's memo (an unwritable cache is no error)."""
    if not axis.regular:
        return
    path = user_cache_dir() / FOLDER / f"{key}.json"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, json.dumps(_describe(axis)).encode())
    except OSError:
        pass


def publish(root: SharedRoot, key: str, axis: TimeAxis) -> None:
    """Put a regular ``axis`` into a shared cache (``prepare`` does, for every recording)."""
    if axis.regular:
        fs, path = root.fs()
        fs.pipe_file(f"{path.rstrip('/')}/{FOLDER}/{key}.json", json.dumps(_describe(axis)).encode())


def _describe(axis: TimeAxis) -> dict:
    return {"n": int(axis.n), "t0": float(axis.t0), "fs": float(axis.fs)}


def _axis(d: dict) -> TimeAxis:
    return TimeAxis(n=int(d["n"]), t0=float(d["t0"]), fs=float(d["fs"]))
