"""Spectral cache entries in a shared cache: published by ``prepare``, adopted by ``open``.

The spectral views' entries (:mod:`loupe_tui.io.spectral.cache`) are small (13 MB for a
day's spectrogram of one channel, 0.01 MB for its EMG level), and the views map them as
``.npy`` files. So a shared entry is not read in place: :func:`adopt_spectral` copies the
shared entries of a recording into this machine's spectral cache, under the key this
machine's source gives them, before the views open; they then find them as if built here.

Shared layout, under the recording's content key (see :mod:`loupe_tui.io.remote.shared`)::

    <root>/spectral/<content key>/<entry id>/meta.json    the local entry's meta + "arrays"; last
    <root>/spectral/<content key>/<entry id>/<name>/      one zarr array per .npy file

``<entry id>`` names what the entry depends on (kind, channel, parameters), not a path.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np

from loupe_tui.io.pyramid_store import commit_dir, remove_stale, temp_dir
from loupe_tui.io.remote.shared import SharedRoot, shared_roots
from loupe_tui.io.remote.urls import remote_error, zarr_store
from loupe_tui.io.source import TraceSource
from loupe_tui.io.spectral.cache import FORMAT_VERSION, emg_key, spectral_dir, spectrogram_key


def entry_id(meta: dict) -> str:
    """What a spectral entry depends on besides the recording, as a short hash."""
    what = {k: meta.get(k) for k in ("kind", "channel", "params", "epoch_s", "band")}
    return hashlib.blake2b(json.dumps(what, sort_keys=True).encode(), digest_size=12).hexdigest()


def is_published(root: SharedRoot, content_key: str, meta: dict) -> bool:
    """Whether ``root`` holds a current copy of the entry that ``meta`` describes."""
    try:
        shared = root.read_meta("spectral", content_key, entry_id(meta))
    except Exception:
        return False
    return shared is not None and shared.get("format") == meta.get("format") and entry_id(shared) == entry_id(meta)


def publish_spectral(local_entry: Path, root: SharedRoot, content_key: str) -> None:
    """Copy one local spectral entry (``meta.json`` + ``*.npy``) into the shared cache, meta last.

    ``content_key`` is the recording's content fingerprint: the folder, and the fingerprint
    the shared ``meta.json`` names (this machine's own is no use elsewhere)."""
    import zarr

    meta = json.loads((local_entry / "meta.json").read_text())
    eid = entry_id(meta)
    names = sorted(p.stem for p in local_entry.glob("*.npy"))
    for name in names:
        a = np.load(local_entry / f"{name}.npy")
        url = root.child("spectral", content_key, eid, name)
        try:
            arr = zarr.create_array(store=zarr_store(url, root.storage_options, read_only=False), shape=a.shape,
                                    dtype=a.dtype, overwrite=True, compressors=None)
            arr[...] = a
        except Exception as exc:
            raise remote_error(url, exc, "cannot write the shared spectral cache") from exc
    try:
        root.write_meta({**meta, "fingerprint": content_key, "arrays": names}, "spectral", content_key, eid)
    except Exception as exc:
        raise remote_error(root.child("spectral", content_key, eid), exc, "cannot write the shared spectral cache") \
            from exc


def adopt_spectral(source: TraceSource, root: SharedRoot, content_key: str,
                   cache_dir: str | Path | None = None) -> int:
    """Copy the shared spectral entries of ``source`` that this machine lacks into its cache.

    Returns how many were copied. Entries of another cache format are left where they are.
    A root that cannot be listed adopts nothing (the views then build their own).
    """
    import zarr

    fs, path = root.fs()
    base = f"{path.rstrip('/')}/spectral/{content_key}"
    try:
        entries = [p.rstrip("/").rsplit("/", 1)[-1] for p in fs.ls(base, detail=False)]
    except Exception:                  # none there, or the server is away: nothing to adopt
        return 0
    local_root, done = spectral_dir(cache_dir), 0
    for eid in sorted(entries):
        meta = root.read_meta("spectral", content_key, eid)
        if meta is None or meta.get("format") != FORMAT_VERSION:
            continue
        if meta.get("kind") == "spectrogram":
            key = spectrogram_key(source, int(meta["channel"]), _StoredParams(meta["params"]))
        elif meta.get("kind") == "emg":
            key = emg_key(source, int(meta["channel"]), float(meta["epoch_s"]), tuple(meta["band"]))
        else:
            continue
        if (local_root / key / "meta.json").exists():
            continue
        local_root.mkdir(parents=True, exist_ok=True)
        remove_stale(local_root)
        tmp = temp_dir(local_root, key)
        try:
            for name in meta.get("arrays", []):
                arr = zarr.open_array(store=zarr_store(root.child("spectral", content_key, eid, name),
                                                       root.storage_options), mode="r")
                np.save(tmp / f"{name}.npy", np.asarray(arr[...]))
            local = {k: v for k, v in meta.items() if k != "arrays"}
            local["fingerprint"] = source.fingerprint
            commit_dir(tmp, local_root / key, json.dumps(local))
        except Exception:              # a half-read entry is dropped; the views build their own
            shutil.rmtree(tmp, ignore_errors=True)
            continue
        done += 1
    return done


def adopt_shared(sources: list, cache_dir: str | Path | None = None) -> int:
    """:func:`adopt_spectral` for every source that has a shared cache (``open`` calls this before
    its views open). Best effort: a cache that cannot be read is passed over. Returns the count."""
    done = 0
    for src in sources:
        origin = getattr(src, "origin", None)
        if origin is None:
            continue
        for root in shared_roots(origin, getattr(src, "storage_options", None)):
            if not root.exists():
                continue
            try:
                key = src.content_fingerprint
                done += adopt_spectral(src, root, key, cache_dir) if key else 0
            except Exception:     # the views build what could not be adopted
                continue
    return done


class _StoredParams:
    """Stands for a :class:`~loupe_tui.io.spectral.params.SpectralParams` whose identity was stored."""

    def __init__(self, identity: dict):
        self._identity = identity

    def identity(self) -> dict:
        return self._identity
