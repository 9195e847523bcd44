"""Where a recording's shared cache is, and the ``meta.json`` that makes an entry current.

A shared cache holds what ``loupe-tui prepare`` built for a cohort, for every scorer to
read instead of building it again. It is never inside the recording (sources stay
read-only): by default beside it, ``<recording>.loupe/`` (``s3://lab/mice/m01.zarr.loupe/``
beside ``s3://lab/mice/m01.zarr``, ``/srv/psg/n1.edf.loupe/`` beside ``/srv/psg/n1.edf``),
or under a cache URL shared by a whole cohort (``prepare --cache-url``; ``open`` finds it
through ``$LOUPE_TUI_SHARED_CACHE``)::

    <root>/pyramids/<key>/meta.json        identity and shape, written last: an entry
                                           without it (an upload cut short) is not used
    <root>/pyramids/<key>/level00/ ...     zarr arrays (2, n_channels, n_bins) float32
    <root>/spectral/<key>/<entry>/meta.json
    <root>/spectral/<key>/<entry>/<name>/  zarr arrays (the spectral cache's .npy files)

``<key>`` is made from the recording's content fingerprint
(:attr:`~loupe_tui.io.xarray_source.XarraySource.content_fingerprint`), never from a path
or an mtime, so an entry matches on every machine and a stale one is never opened.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from loupe_tui.io.remote.urls import filesystem, is_url, join, local_path, protocol_of

#: A cache root for every recording, besides the one beside each (several: separated by ";").
SHARED_CACHE_ENV = "LOUPE_TUI_SHARED_CACHE"
#: What is appended to a recording's URL or path to name the cache beside it.
BESIDE_SUFFIX = ".loupe"


@dataclass(frozen=True)
class SharedRoot:
    """One shared cache folder (a URL or a local path) and the options to reach it."""

    url: str
    storage_options: Mapping = field(default_factory=dict)

    def fs(self):
        """``(fs, path)`` of the root, retries bounded (:func:`~loupe_tui.io.remote.urls.filesystem`)."""
        return filesystem(self.url, self.storage_options)

    def child(self, *parts: str) -> str:
        return join(self.url, *parts)

    def read_meta(self, *parts: str) -> dict | None:
        """``<root>/<parts>/meta.json`` as a dict; None when missing or unreadable."""
        fs, path = self.fs()
        try:
            return json.loads(fs.cat_file(join(path, *parts, "meta.json")))
        except (FileNotFoundError, ValueError):
            return None

    def write_meta(self, meta: dict, *parts: str) -> None:
        """Write ``meta.json`` (last: it is what makes an entry current)."""
        fs, path = self.fs()
        fs.pipe_file(join(path, *parts, "meta.json"), json.dumps(meta, indent=1).encode())

    def exists(self) -> bool:
        """Whether the root is there and readable here (one request, or a ``stat`` for a local
        path). Without fsspec (the ``cohort`` extra) no shared cache is: this machine builds its own."""
        if importlib.util.find_spec("fsspec") is None:
            return False
        if not is_url(self.url):
            return os.path.isdir(local_path(self.url))
        fs, path = self.fs()
        try:
            return bool(fs.exists(path))
        except Exception:            # unreachable: no shared cache for this open (the local one works)
            return False


def beside(origin: str) -> str:
    """The cache folder beside a recording: ``<recording>.loupe``."""
    return str(origin).rstrip("/") + BESIDE_SUFFIX


def shared_roots(origin: str | None, storage_options: Mapping | None = None,
                 cache_url: str | None = None) -> Iterator[SharedRoot]:
    """The shared caches to look in for a recording, in order: ``cache_url``, the roots of
    ``$LOUPE_TUI_SHARED_CACHE``, the folder beside the recording. A root on the recording's
    protocol is reached with its storage options."""
    urls = [cache_url] if cache_url else []
    urls += [u.strip() for u in os.environ.get(SHARED_CACHE_ENV, "").split(";") if u.strip()]
    if origin:
        urls.append(beside(origin))
    same = protocol_of(origin) if origin and is_url(origin) else "file"
    for url in dict.fromkeys(urls):
        opts = storage_options if (protocol_of(url) if is_url(url) else "file") == same else {}
        yield SharedRoot(url, dict(opts or {}))
