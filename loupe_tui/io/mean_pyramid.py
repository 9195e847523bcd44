"""Sum pyramid for the heatmap's ``"mean"`` decimation: O(pixels) window means.

The min/max pyramid (:mod:`loupe_tui.io.pyramid`) cannot give means, so this
one stores, per channel and bin, the **sum of the non-NaN samples** (float32,
accumulated in float64) and, only when the source holds NaN, their **count**.
Bins are the same as the min/max pyramid's (4, 32, 256 ... samples), so a
window query reduces between 1 and 8 bins per column of the coarsest level
whose bin fits in a column; below 4 samples per column it reads the samples.

Built once per source in blocks (never the whole recording in memory) and
cached beside the min/max pyramids, keyed by the source fingerprint, with the
same atomic commit::

    <cache>/<key>/meta.json      written last
    <cache>/<key>/sumsKK.npy     float32 (n_channels, n_bins)
    <cache>/<key>/countsKK.npy   float32, only when the source has NaN

Size: 1 float32 per 4 samples and 8/7 for all levels, i.e. 29 % of float32
raw data (57 % with counts).

When this machine has none, :meth:`MeanPyramid.open` looks in the shared caches of the
recording, as :meth:`loupe_tui.io.pyramid.Pyramid.open` does (``loupe-tui prepare --heatmap``
publishes them), and reads their levels lazily
(:mod:`loupe_tui.io.remote.shared_pyramid`) instead of building its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np

from loupe_tui.errors import DataFileError, file_error
from loupe_tui.io.columns import binned_means, column_borders, column_starts, reduce_mean, samples_per_column
from loupe_tui.io.minmax import BIN0, FACTOR
from loupe_tui.io.pyramid import DEFAULT_MEMORY_BUDGET, PyramidBuildCancelled, block_length, default_cache_dir
from loupe_tui.io.pyramid_store import commit_dir, level_bins, remove_stale, temp_dir
from loupe_tui.io.remote.shared_pyramid import SharedLevels, find_shared_levels
from loupe_tui.io.remote.urls import is_url
from loupe_tui.io.source import TraceSource

FORMAT_VERSION = 1
#: Bins of a level per chunk when building the level above (bounded memory).
_CHUNK_BINS = FACTOR * 32768
_NO_COUNTS = np.zeros((0, 0), np.float32)

Progress = Callable[[float, str], None]


@dataclass(frozen=True, eq=False)
class MeanWindow:
    """Per-column means of a window.

    Attributes
    ----------
    mean : ndarray
        ``(n_rows, n_px)`` float32 mean of the non-NaN samples of each column;
        NaN when the column holds none.
    edges : ndarray
        ``(n_px + 1,)`` int64 sample borders: column ``j`` is the mean of
        samples ``[edges[j], edges[j + 1])`` (borders rounded to the level's
        bins, at most half a pixel off); empty when they are equal.
    level, bin : int
        Level used and its samples per bin (``-1`` and ``1`` for raw samples).
    """

    mean: np.ndarray
    edges: np.ndarray
    level: int
    bin: int


def mean_cache_key(fingerprint: str) -> str:
    """Directory name of a source's mean pyramid (distinct from its min/max pyramid's)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"loupe-mean-pyramid v{FORMAT_VERSION} bin0={BIN0} factor={FACTOR}\0{fingerprint}".encode())
    return h.hexdigest() + "-mean"


def shared_mean_meta(source: TraceSource, fingerprint: str) -> dict:
    """What a shared mean pyramid's ``meta.json`` must say to be ``source``'s (keyed by
    ``fingerprint``, its content fingerprint) in this format."""
    return dict(format=FORMAT_VERSION, fingerprint=fingerprint, n_samples=int(source.n_samples),
                n_channels=int(source.n_channels), bins=level_bins(source.n_samples))


class MeanPyramid:
    """Per-bin sums (and counts) of one :class:`TraceSource`; see the module doc.

    Make one with :meth:`open`, :meth:`build` or :meth:`open_or_build`.
    """

    def __init__(self, source: TraceSource, bins: list[int], sums: list[np.ndarray],
                 counts: list[np.ndarray] | None, path: Path | None = None, shared: SharedLevels | None = None):
        self.source, self.bins, self.sums, self.counts, self.path = source, bins, sums, counts, path
        #: The shared cache entry the levels are read from (None: this machine's cache or memory).
        self.shared_url = shared.url if shared is not None else None
        # Per level: the ZarrLevel of a lazily read shared level, else None.
        self._lazy = list(shared.lazy) if shared is not None else [None] * len(bins)
        self._remote = shared is not None or is_url(str(getattr(source, "origin", None) or ""))
        #: The last network failure of a window query ("" after one succeeds), as ``Pyramid.problem``.
        self.problem = ""

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.sums) + sum(a.nbytes for a in (self.counts or []))

    @classmethod
    def open(cls, source: TraceSource, cache_dir: str | Path | None = None, shared: bool = True
             ) -> MeanPyramid | None:
        """The cached mean pyramid of ``source``, or None when there is no complete, matching one.

        This machine's cache first; then, when ``shared``, a current entry of the recording's
        shared caches, read lazily (:func:`~loupe_tui.io.remote.shared_pyramid.find_shared_levels`)."""
        pyr = cls._open_local(source, cache_dir)
        if pyr is None and shared:
            found = find_shared_levels(source, lambda fp: (mean_cache_key(fp), shared_mean_meta(source, fp)))
            if found is not None:
                sums = [rows[0] for rows in found.levels]
                counts = [rows[1] for rows in found.levels] if len(found.levels[0]) > 1 else None
                pyr = cls(source, found.bins, sums, counts, shared=found)
        return pyr

    @classmethod
    def _open_local(cls, source: TraceSource, cache_dir: str | Path | None = None) -> MeanPyramid | None:
        path = (Path(cache_dir) if cache_dir is not None else default_cache_dir()) / mean_cache_key(source.fingerprint)
        try:
            meta = json.loads((path / "meta.json").read_text())
            bins = level_bins(source.n_samples)
            if (meta.get("format") != FORMAT_VERSION or meta.get("fingerprint") != source.fingerprint
                    or meta.get("n_samples") != source.n_samples or meta.get("n_channels") != source.n_channels
                    or meta.get("bins") != bins):
                return None
            sums, counts = [], ([] if meta.get("counts") else None)
            for k, b in enumerate(bins):
                shape = (source.n_channels, -(-source.n_samples // b))
                for name, dest in (("sums", sums), ("counts", counts)):
                    if dest is None:
                        continue
                    arr = np.load(path / f"{name}{k:02d}.npy", mmap_mode="r")
                    if arr.dtype != np.float32 or arr.shape != shape:
                        return None
                    dest.append(arr.view(np.ndarray))  # numba takes plain arrays; the mapping stays alive
        except (OSError, ValueError, TypeError, AttributeError):  # a damaged cache is no cache
            return None
        return cls(source, bins, sums, counts, path)

    @classmethod
    def open_or_build(cls, source: TraceSource, cache_dir: str | Path | None = None,
                      progress: Progress | None = None, cancel: Callable[[], bool] | None = None) -> MeanPyramid:
        """The cached mean pyramid, built first when missing (see :meth:`build`)."""
        pyr = cls.open(source, cache_dir)
        return pyr if pyr is not None else cls.build(source, cache_dir, progress, cancel)

    @classmethod
    def build(cls, source: TraceSource, cache_dir: str | Path | None = None, progress: Progress | None = None,
              cancel: Callable[[], bool] | None = None, memory_budget: int = DEFAULT_MEMORY_BUDGET,
              in_memory: bool = False) -> MeanPyramid:
        """Build the pyramid, reading ``source`` front to back in blocks.

        Parameters
        ----------
        source : TraceSource
        cache_dir : path, optional
            Where to cache it (default: the min/max pyramids' directory).
        progress : callable(fraction, message), optional
        cancel : callable() -> bool, optional
            Polled before every block; True deletes the partial build and
            raises :class:`PyramidBuildCancelled`.
        memory_budget : int
            Bytes a read block may take (half of it, as for the min/max pyramid).
        in_memory : bool
            Keep the levels in memory and write nothing (tests, small data).
        """
        n, n_ch = int(source.n_samples), int(source.n_channels)
        bins = level_bins(n)
        root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        tmp = None
        if not in_memory:
            try:
                root.mkdir(parents=True, exist_ok=True)
                remove_stale(root)
                tmp = temp_dir(root, mean_cache_key(source.fingerprint))
            except OSError as exc:
                problem = f"cannot write the pyramid cache ({exc.strerror or exc})"
                raise file_error(DataFileError, root, problem) from exc
        try:
            sums, counts = _build_levels(source, bins, tmp, progress, cancel, memory_budget)
            if tmp is None:
                return cls(source, bins, sums, counts)
            del sums, counts  # flushed and unmapped: now make them durable before the commit
            for f in tmp.glob("*.npy"):
                fd = os.open(f, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            meta = dict(format=FORMAT_VERSION, fingerprint=source.fingerprint, n_samples=n, n_channels=n_ch,
                        bins=bins, counts=(tmp / "counts00.npy").exists())
            commit_dir(tmp, root / mean_cache_key(source.fingerprint), json.dumps(meta, indent=1))
        except BaseException:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            raise
        pyr = cls.open(source, root, shared=False)
        if pyr is None:
            raise file_error(DataFileError, root, "mean pyramid unreadable right after it was built")
        return pyr

    def window(self, t0: float, t1: float, n_px: int, channels: slice | list[int] | np.ndarray | None = None
               ) -> MeanWindow:
        """Mean of every column of ``[t0, t1)`` in ``n_px`` columns, for ``channels`` (default all), in order.

        Costs O(n_px * channels): at most 8 bins per column of the chosen
        level, or at most ``4 * n_px`` samples per channel read from the source.

        A shared level (or a recording at a URL) that cannot be read gives NaN columns and
        says why in :attr:`problem`, as :meth:`Pyramid.window <loupe_tui.io.pyramid.Pyramid.window>` does.
        """
        try:
            out = self._window(t0, t1, n_px, channels)
        except DataFileError as exc:
            if not self._remote:
                raise
            self.problem = str(exc)
            n_rows = len(np.atleast_1d(np.arange(self.source.n_channels)[channels if channels is not None
                                                                         else slice(None)]))
            edges = column_starts(self.source.time, column_borders(t0, t1, n_px))
            return MeanWindow(np.full((n_rows, int(n_px)), np.nan, np.float32), edges, -1, 1)
        self.problem = ""
        return out

    def _window(self, t0: float, t1: float, n_px: int, channels) -> MeanWindow:
        ax = self.source.time
        tcols = column_borders(t0, t1, n_px)
        starts = column_starts(ax, tcols)
        chans = np.atleast_1d(np.arange(self.source.n_channels)[channels if channels is not None else slice(None)])
        spp = samples_per_column(ax, float(t0), float(t1), int(n_px), starts)
        i0, i1 = int(starts[0]), int(starts[-1])
        if i1 <= i0:
            return MeanWindow(np.full((len(chans), n_px), np.nan, np.float32), starts, -1, 1)
        if spp < self.bins[0]:
            x = _read(self.source, i0, i1, chans)
            return MeanWindow(reduce_mean(x, starts - i0), starts, -1, 1)
        k = int(np.searchsorted(self.bins, spp, side="right")) - 1
        b, nb = self.bins[k], self.sums[k].shape[1]
        e = np.where(starts >= ax.n, nb, (starts + b // 2) // b).astype(np.int64)
        mean = np.empty((len(chans), n_px), np.float32)
        if self._lazy[k] is not None:     # a shared level: read (or find cached) just these bins
            block = np.ascontiguousarray(self._lazy[k].bins(int(e[0]), int(e[-1])))
            counts = block[1] if self.counts is not None else _NO_COUNTS
            # bins from e[0] on: shift the borders and the recording's end with them
            binned_means(block[0], counts, chans.astype(np.int64), e - e[0], b, ax.n - int(e[0]) * b, mean)
            return MeanWindow(mean, np.minimum(e * b, ax.n), k, b)
        counts = self.counts[k] if self.counts is not None else _NO_COUNTS
        binned_means(self.sums[k], counts, chans.astype(np.int64), e, b, ax.n, mean)
        return MeanWindow(mean, np.minimum(e * b, ax.n), k, b)


def _read(source: TraceSource, i0: int, i1: int, chans: np.ndarray) -> np.ndarray:
    if len(chans) == source.n_channels and np.array_equal(chans, np.arange(source.n_channels)):
        return source.read(i0, i1)
    return source.read(i0, i1, [int(c) for c in chans])


def _new_level(tmp: Path | None, name: str, shape: tuple[int, int]) -> np.ndarray:
    if tmp is None:
        return np.empty(shape, np.float32)
    return np.lib.format.open_memmap(tmp / f"{name}.npy", mode="w+", dtype=np.float32, shape=shape)


def _build_levels(source, bins, tmp, progress, cancel, memory_budget):
    """Level 0 from the samples in blocks, then each level from the one below in chunks."""
    n, n_ch = int(source.n_samples), int(source.n_channels)
    sizes = [-(-n // b) for b in bins]
    sums = [_new_level(tmp, "sums00", (n_ch, sizes[0]))]
    counts = [_new_level(tmp, "counts00", (n_ch, sizes[0]))]  # dropped below when nothing is NaN
    has_nan, buf = False, None
    block = block_length(source, memory_budget)  # a multiple of BIN0: blocks never split a bin
    for i0 in range(0, n, block):
        if cancel is not None and cancel():
            raise PyramidBuildCancelled("mean pyramid build cancelled")
        i1 = min(i0 + block, n)
        x = np.asarray(source.read(i0, i1), dtype=np.float32)
        if x.shape != (n_ch, i1 - i0):
            raise DataFileError(f"source {source.fingerprint!r}: read({i0}, {i1}) gave shape {x.shape}")
        nb = -(-(i1 - i0) // BIN0)
        if buf is None or buf[0].shape[1] != nb:
            buf = (np.empty((n_ch, nb), np.float32), np.empty((n_ch, nb), np.float32))
        has_nan |= _bin_sums(np.ascontiguousarray(x), BIN0, *buf)
        b0 = i0 // BIN0
        sums[0][:, b0:b0 + nb] = buf[0]
        counts[0][:, b0:b0 + nb] = buf[1]
        if progress is not None:
            progress(i1 / n, f"mean pyramid: {i1 / 1e6:.1f} of {n / 1e6:.1f} M samples")
        del x
    if not has_nan:  # every bin is full: counts follow from the bin sizes
        counts = None
        if tmp is not None:
            (tmp / "counts00.npy").unlink()
    for k in range(1, len(bins)):
        sums.append(_new_level(tmp, f"sums{k:02d}", (n_ch, sizes[k])))
        if counts is not None:
            counts.append(_new_level(tmp, f"counts{k:02d}", (n_ch, sizes[k])))
        for a in range(0, sizes[k - 1], _CHUNK_BINS):
            z = min(a + _CHUNK_BINS, sizes[k - 1])
            dst = slice(a // FACTOR, -(-z // FACTOR))
            sums[k][:, dst] = _group_sums(np.asarray(sums[k - 1][:, a:z]), FACTOR)
            if counts is not None:
                counts[k][:, dst] = _group_sums(np.asarray(counts[k - 1][:, a:z]), FACTOR)
    for arr in sums + (counts or []):
        if isinstance(arr, np.memmap):
            arr.flush()
    return sums, counts


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _bin_sums(x, size, sums, counts):
    """Per bin of ``size`` samples (the last may be short): sum and count of the non-NaN samples.

    Returns whether any sample was NaN.
    """
    any_nan = False
    m = x.shape[1]
    for c in range(x.shape[0]):
        row = x[c]
        for b in range(sums.shape[1]):
            s = 0.0
            k = 0
            for i in range(b * size, min((b + 1) * size, m)):
                v = row[i]
                if v == v:
                    s += v
                    k += 1
            sums[c, b] = s
            counts[c, b] = k
            any_nan = any_nan or k < min((b + 1) * size, m) - b * size
    return any_nan


def _group_sums(a: np.ndarray, size: int) -> np.ndarray:
    """Sums of groups of ``size`` bins (the last group may be short), accumulated in float64."""
    n_ch, m = a.shape
    full = m // size * size
    out = np.empty((n_ch, -(-m // size)), np.float32)
    out[:, :full // size] = a[:, :full].reshape(n_ch, -1, size).sum(axis=2, dtype=np.float64)
    if full < m:
        out[:, -1] = a[:, full:].sum(axis=1, dtype=np.float64)
    return out
