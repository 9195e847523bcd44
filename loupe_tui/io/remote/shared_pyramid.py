"""A pyramid's levels in a shared cache: chunked zarr, published by ``prepare``, read lazily by ``open``.

The local cache keeps levels as memory-mapped ``.npy`` (:mod:`loupe_tui.io.pyramid`): nothing
is faster on one machine. A cache in object storage cannot be mapped, so there each level is
a zarr array ``(2, n_channels, n_bins)`` float32 in chunks of all channels and
:func:`chunk_bins` bins (about 4 MiB, uncompressed: minima and maxima of signals barely
compress and decoding would cost more than the bytes). A 30 s page of 16 channels at 1 kHz
reads one or two chunks of level 0 (131 s each). A heatmap's mean pyramid
(:mod:`loupe_tui.io.mean_pyramid`) is kept the same way, its levels ``(1 or 2, n_channels,
n_bins)``: the sums, and the counts when the source has NaN (``meta.json`` says ``rows``).

Opening (:func:`open_shared_levels`) reads ``meta.json`` and every level of at most
:data:`EAGER_BYTES` whole (the overview, the robust Y ranges and the dense view's
typical amplitude read those); larger levels are :class:`ZarrLevel`: chunks are read when a
window needs them, kept in an LRU of :data:`CACHE_BYTES`, and the chunks on either side of
the last window are fetched in the background, so paging on is a lookup. What was read
stays readable when the network goes away.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from loupe_tui.errors import DataFileError
from loupe_tui.io.remote.shared import SharedRoot, shared_roots
from loupe_tui.io.remote.urls import remote_error, zarr_store

#: Bytes of one chunk (all channels, min and max).
CHUNK_BYTES = 4 << 20
#: Levels of at most this many bytes are read whole when the pyramid is opened.
EAGER_BYTES = 8 << 20
#: Decoded chunks kept in memory per opened pyramid.
CACHE_BYTES = 64 << 20
#: Level chunks written per zarr call while publishing (zarr writes them concurrently).
WRITE_CHUNKS = 8


def chunk_bins(n_channels: int) -> int:
    """Bins per chunk: a power of two, about :data:`CHUNK_BYTES` for ``n_channels``, at least 1024."""
    per_bin = 2 * 4 * max(int(n_channels), 1)
    return max(1024, 1 << int(np.log2(max(CHUNK_BYTES // per_bin, 1))))


def level_name(k: int) -> str:
    return f"level{k:02d}"


# ------------------------------------------------------------------ publishing
def is_current(root: SharedRoot, key: str, expected: Mapping) -> bool:
    """Whether ``<root>/pyramids/<key>`` is complete and says what ``expected`` says (one read)."""
    try:
        meta = root.read_meta("pyramids", key)
    except Exception:          # unreachable: not current (publishing will say why it fails)
        return False
    return meta is not None and meta.get("storage") == "zarr" and all(meta.get(k) == v for k, v in expected.items())


def publish_pyramid(local_dir: Path, root: SharedRoot, key: str, meta_overrides: Mapping | None = None) -> dict:
    """Copy a local min/max pyramid (``meta.json`` + ``levelKK.npy``) into ``<root>/pyramids/<key>/``.

    The levels are written first, ``meta.json`` (with ``meta_overrides``: the content
    fingerprint in place of this machine's) last, so an upload cut short is never used.
    Returns the meta written.
    """
    import json

    meta = {**json.loads((local_dir / "meta.json").read_text()), **(meta_overrides or {})}
    levels = []
    for k in range(len(meta["bins"])):
        level = np.load(local_dir / f"{level_name(k)}.npy", mmap_mode="r")
        levels.append((level[0], level[1]))
    return publish_levels(levels, root, key, meta)


def publish_mean_pyramid(local_dir: Path, root: SharedRoot, key: str, meta_overrides: Mapping | None = None) -> dict:
    """Copy a local mean pyramid (:mod:`loupe_tui.io.mean_pyramid`: ``meta.json``, ``sumsKK.npy``
    and, when the source has NaN, ``countsKK.npy``) into ``<root>/pyramids/<key>/``: each level
    one zarr array ``(rows, n_channels, n_bins)``, row 0 the sums, row 1 the counts."""
    import json

    meta = {**json.loads((local_dir / "meta.json").read_text()), **(meta_overrides or {})}
    names = ("sums", "counts") if meta.get("counts") else ("sums",)
    levels = [tuple(np.load(local_dir / f"{name}{k:02d}.npy", mmap_mode="r") for name in names)
              for k in range(len(meta["bins"]))]
    return publish_levels(levels, root, key, meta)


def publish_levels(levels: list[tuple], root: SharedRoot, key: str, meta: Mapping) -> dict:
    """Write ``levels`` (per level, its rows: ``(n_channels, n_bins)`` arrays, memory-mapped is
    best) as zarr arrays ``(rows, n_channels, n_bins)`` under ``<root>/pyramids/<key>/``, then
    ``meta`` (with ``storage``, ``chunk_bins`` and ``rows`` added) last. Returns the meta written."""
    import zarr

    n_ch = int(meta["n_channels"])
    cb = chunk_bins(n_ch)
    rows = len(levels[0]) if levels else 2
    for k, parts in enumerate(levels):
        url = root.child("pyramids", key, level_name(k))
        shape = (len(parts), *parts[0].shape)
        try:
            arr = zarr.create_array(store=zarr_store(url, root.storage_options, read_only=False),
                                    shape=shape, chunks=(len(parts), n_ch, cb), dtype="float32",
                                    compressors=None, fill_value=np.nan, overwrite=True)
            step = cb * WRITE_CHUNKS
            for b0 in range(0, shape[2], step):
                arr[:, :, b0:b0 + step] = np.stack([np.asarray(p[:, b0:b0 + step]) for p in parts])
        except DataFileError:
            raise
        except Exception as exc:
            raise remote_error(url, exc, "cannot write the shared pyramid") from exc
    shared = {**meta, "storage": "zarr", "chunk_bins": cb, "rows": rows}
    try:
        root.write_meta(shared, "pyramids", key)
    except Exception as exc:
        raise remote_error(root.child("pyramids", key), exc, "cannot write the shared pyramid") from exc
    return shared


# ------------------------------------------------------------------ reading
@dataclass
class SharedLevels:
    """What :func:`open_shared_levels` found: where, and each level's rows (``(lo, hi)`` of a
    min/max pyramid; ``(sums,)`` or ``(sums, counts)`` of a mean pyramid).

    ``levels[k]`` are numpy arrays for small levels, :class:`LevelHalf` views for large
    ones (``lazy[k]`` is then their :class:`ZarrLevel`, else None).
    """

    url: str
    bins: list[int]
    levels: list[tuple]
    lazy: list


def find_shared_levels(source, key_of: Callable[[str], tuple[str, Mapping]],
                       cache_url: str | None = None) -> SharedLevels | None:
    """The levels of ``source`` in the first of its shared caches that has a current entry.

    ``source`` must tell its recording and content (``origin``, ``storage_options``,
    ``content_fingerprint``, as :class:`~loupe_tui.io.xarray_source.XarraySource` does; others
    have no shared cache). ``key_of(content fingerprint)`` gives the entry's key and what its
    ``meta.json`` must say. A root that does not exist costs one request (a ``stat`` for a local
    path); the content fingerprint is computed only when one does.
    """
    origin = getattr(source, "origin", None)
    if origin is None or not hasattr(source, "content_fingerprint"):
        return None
    roots = [r for r in shared_roots(origin, getattr(source, "storage_options", None), cache_url) if r.exists()]
    fingerprint = source.content_fingerprint if roots else None
    if fingerprint is None:
        return None
    key, expected = key_of(fingerprint)
    for root in roots:
        found = open_shared_levels(root, key, expected)
        if found is not None:
            return found
    return None


def open_shared_levels(root: SharedRoot, key: str, expected: Mapping) -> SharedLevels | None:
    """The levels of ``<root>/pyramids/<key>`` when its ``meta.json`` says what ``expected``
    says (format, fingerprint, shape, bins); None when there is no such current entry."""
    import zarr
    import zarr.api.asynchronous as za
    from zarr.core.sync import sync

    url = root.child("pyramids", key)
    try:
        meta = root.read_meta("pyramids", key)
    except Exception:              # unreachable or unreadable: no shared cache, build locally
        return None
    if meta is None or meta.get("storage") != "zarr" or any(meta.get(k) != v for k, v in expected.items()):
        return None
    cache = ChunkCache(CACHE_BYTES)
    n_ch, n, rows = int(meta["n_channels"]), int(meta["n_samples"]), int(meta.get("rows", 2))

    async def level(k: int):
        arr = await za.open_array(store=zarr_store(root.child("pyramids", key, level_name(k)),
                                                   root.storage_options), mode="r")
        if tuple(arr.shape) != (rows, n_ch, -(-n // int(meta["bins"][k]))) or arr.dtype != np.float32:
            raise ValueError(f"{level_name(k)}: shape {arr.shape} {arr.dtype}")
        if arr.nbytes > EAGER_BYTES:
            z = ZarrLevel(zarr.Array(arr), f"{url}/{level_name(k)}", cache)
            return tuple(LevelHalf(z, r) for r in range(rows)), z
        whole = np.asarray(await arr.getitem(...))
        whole.flags.writeable = False
        return tuple(whole[r] for r in range(rows)), None

    async def every_level():
        return await asyncio.gather(*(level(k) for k in range(len(meta["bins"]))))

    try:    # side by side on zarr's own event loop: each level is a metadata read and (small ones) a chunk
        opened = sync(every_level())
    except Exception:
        return None
    return SharedLevels(url, list(meta["bins"]), [o[0] for o in opened], [o[1] for o in opened])


class ChunkCache:
    """Decoded chunks by ``(level, index)``, least recently used dropped past ``max_bytes``."""

    def __init__(self, max_bytes: int):
        self.max_bytes, self.nbytes = int(max_bytes), 0
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key, value: np.ndarray) -> None:
        with self._lock:
            if key in self._items:
                return
            self._items[key] = value
            self.nbytes += value.nbytes
            while self.nbytes > self.max_bytes and len(self._items) > 1:
                _, old = self._items.popitem(last=False)
                self.nbytes -= old.nbytes


class ZarrLevel:
    """One large level of a shared pyramid, read chunk by chunk (see the module docstring)."""

    def __init__(self, array, url: str, cache: ChunkCache):
        self.array, self.url, self.cache = array, url, cache
        self.shape = tuple(int(n) for n in array.shape)
        self.chunk = int(array.chunks[2])
        self._ahead: _Prefetch | None = None

    @property
    def n_chunks(self) -> int:
        return -(-self.shape[2] // self.chunk)

    def bins(self, b0: int, b1: int, prefetch: bool = True) -> np.ndarray:
        """float32 ``(rows, n_channels, b1 - b0)``: the rows (min and max) of bins ``[b0, b1)``.

        Raises
        ------
        DataFileError
            A chunk that is not cached cannot be read (one line naming the level and why).
        """
        b0, b1 = max(0, int(b0)), min(self.shape[2], int(b1))
        if b1 <= b0:
            return np.empty((self.shape[0], self.shape[1], 0), np.float32)
        c0, c1 = b0 // self.chunk, (b1 - 1) // self.chunk + 1
        parts = self.chunks(c0, c1)
        if prefetch:
            self._prefetch().want([c for c in (c1, c0 - 1) if 0 <= c < self.n_chunks])
        if len(parts) == 1:
            return parts[0][:, :, b0 - c0 * self.chunk:b1 - c0 * self.chunk]
        return np.concatenate(parts, axis=2)[:, :, b0 - c0 * self.chunk:b1 - c0 * self.chunk]

    def chunks(self, c0: int, c1: int) -> list[np.ndarray]:
        """Chunks ``[c0, c1)``, from the cache or read (the missing ones in one zarr call)."""
        got = {c: self.cache.get((id(self), c)) for c in range(c0, c1)}
        missing = [c for c, v in got.items() if v is None]
        if missing:
            m0, m1 = missing[0], missing[-1] + 1
            try:
                block = np.asarray(self.array[:, :, m0 * self.chunk:m1 * self.chunk])
            except Exception as exc:
                raise remote_error(self.url, exc) from exc
            for c in range(m0, m1):
                part = block[:, :, (c - m0) * self.chunk:(c - m0 + 1) * self.chunk]
                part.flags.writeable = False
                got[c] = part
                self.cache.put((id(self), c), part)
        return [got[c] for c in range(c0, c1)]

    def _prefetch(self) -> _Prefetch:
        if self._ahead is None:
            self._ahead = _Prefetch(self)
        return self._ahead


class LevelHalf:
    """One row of a :class:`ZarrLevel` (the minima, ``half`` 0, or maxima, 1), as a read-only
    ``(n_channels, n_bins)`` array-like: indexing reads only the bins it covers."""

    dtype = np.dtype(np.float32)

    def __init__(self, level: ZarrLevel, half: int):
        self.level, self.half = level, int(half)
        self.shape = level.shape[1:]

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape)) * 4

    def __len__(self) -> int:
        return self.shape[0]

    def __array__(self, dtype=None, copy=None):
        out = self.level.bins(0, self.shape[1], prefetch=False)[self.half]
        return out if dtype is None else out.astype(dtype)

    def __getitem__(self, key):
        rows, cols = (key + (slice(None),))[:2] if isinstance(key, tuple) else (key, slice(None))
        if isinstance(cols, slice):
            start, stop, step = cols.indices(self.shape[1])
            if step > 0 and stop > start:
                block = self.level.bins(start, stop, prefetch=False)[self.half]
                return block[rows, ::step]
        return np.asarray(self)[key]


class _Prefetch:
    """One daemon thread reading the chunks next to the last window (newest wish first); it
    ends once its level is gone (it holds the level weakly)."""

    def __init__(self, level: ZarrLevel):
        self._level = weakref.ref(level)
        self._wanted: list[int] = []
        self._cv = threading.Condition()
        threading.Thread(target=self._run, name="shared-pyramid-prefetch", daemon=True).start()

    def want(self, chunks: list[int]) -> None:
        level = self._level()
        with self._cv:
            self._wanted = [c for c in chunks if level is not None and level.cache.get((id(level), c)) is None]
            self._cv.notify()

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._wanted:
                    if not self._cv.wait(timeout=10.0) and self._level() is None:
                        return
                c = self._wanted.pop(0)
            level = self._level()
            if level is None:
                return
            try:
                level.chunks(c, c + 1)
            except DataFileError:       # the window that needs it says so
                pass
            del level
