"""Min/max decimation pyramid: built once per source, cached on disk, memory-mapped.

Level ``k`` holds, per channel, the min and max of consecutive bins of
``BIN0 * FACTOR**k`` samples (4, 32, 256, ...). Level 0 is made from the raw
samples in blocks; every other level from the level below. A window query
picks the coarsest level whose bin fits in one pixel column and reduces the
few bins under each column, so it costs O(pixels) whatever the window length.
See ``docs/decimation.md`` for the layout and the numbers.

On disk, one directory per source fingerprint under the cache dir::

    <cache>/<key>/meta.json          identity and shape; written last
    <cache>/<key>/level00.npy ...    float32 (2, n_channels, n_bins): [0]=min, [1]=max

A build writes into ``<key>.tmp-<host>-<pid>-<rand>/`` and renames it to
``<key>`` when complete, so a killed build is never opened.

When this machine has no pyramid of a source, :meth:`Pyramid.open` looks in the shared
caches of its recording (``<recording>.loupe/``, ``$LOUPE_TUI_SHARED_CACHE``: what
``loupe-tui prepare`` publishes), keyed by the recording's content, and reads those
levels lazily (:mod:`loupe_tui.io.remote.shared_pyramid`) instead of building its own.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from loupe_tui.core.paths import user_cache_dir
from loupe_tui.errors import DataFileError, LoupeError, file_error
from loupe_tui.io import minmax
from loupe_tui.io.columns import column_borders, column_starts, samples_per_column
from loupe_tui.io.minmax import BIN0, FACTOR
from loupe_tui.io.pyramid_store import PyramidWriter, commit_dir, level_bins, remove_stale, temp_dir
from loupe_tui.io.remote.shared_pyramid import SharedLevels, find_shared_levels
from loupe_tui.io.remote.urls import is_url
from loupe_tui.io.source import TimeAxis, TraceSource

FORMAT_VERSION = 2  # 2: infinities are gaps, like NaN
#: Bytes a build may hold at once (read block plus level buffers).
DEFAULT_MEMORY_BUDGET = 64 << 20
#: Below this many samples per pixel column, :meth:`Pyramid.window` returns raw samples.
RAW_BELOW = 2.0
# Read blocks are multiples of this, so levels 0-3 never carry bins between blocks.
_BLOCK_ALIGN = BIN0 * FACTOR**3
#: Level files at least this big are mapped with ``MADV_RANDOM`` (no kernel
#: readahead) and each query asks for exactly its bins with ``MADV_WILLNEED``.
#: Smaller ones are left to the kernel: mapping all of one costs little.
RANDOM_ACCESS_BYTES = 256 << 20
#: Such a level's mapping is dropped (``MADV_DONTNEED``; the pages stay in the
#: page cache) after queries have faulted in about this many bytes of it.
MAPPED_BUDGET = 64 << 20
_MADV_RANDOM = getattr(mmap, "MADV_RANDOM", None)  # Linux, macOS; not Windows
_MADV_WILLNEED = getattr(mmap, "MADV_WILLNEED", None)
_MADV_DONTNEED = getattr(mmap, "MADV_DONTNEED", None)
# Bytes a page fault may map beyond what a query reads (the kernel's fault-around window).
_FAULT_AROUND = 64 << 10

Progress = Callable[[float, str], None]


class PyramidBuildCancelled(LoupeError):
    """The ``cancel`` hook of :func:`build_pyramid` asked to stop; nothing was cached."""


@dataclass(frozen=True, eq=False)
class WindowData:
    """What one panel needs to draw the window ``[t0, t1)`` in ``n_px`` columns.

    Attributes
    ----------
    t0, t1 : float
        The window asked for (seconds, half-open).
    n_px : int
        Number of pixel columns; column ``j`` covers
        ``[t0 + j * w, t0 + (j + 1) * w)`` with ``w = (t1 - t0) / n_px``.
    lo, hi : ndarray of float32
        Not raw: ``(n_ch, n_px)`` min and max of the samples in each column;
        NaN where the column holds no sample (outside the recording, a gap
        of an irregular axis) or only NaN samples.
        Raw: both are the same ``(n_ch, m)`` array of samples.
    level : int
        Pyramid level used, ``-1`` when computed from source samples.
    bin : int
        Samples per bin of that level (``1`` for source samples).
    raw : bool
        True when the window holds fewer than ``RAW_BELOW`` samples per
        column: ``lo``/``hi`` are then the samples themselves, to be drawn as
        a line through ``times``.
    times : ndarray of float64 or None
        Raw only: ``(m,)`` time of each sample. One sample on each side
        beyond the window is included, so the line reaches both edges.
    edges : ndarray of int64
        Not raw: ``(n_px + 1,)`` sample indices; column ``j`` is exactly the
        reduction of samples ``[edges[j], edges[j + 1])``. Column borders are
        rounded to the chosen level's bins, so they are off the ideal pixel
        borders by at most half a bin (half a pixel). Raw: ``[i0, i1]``.
    channels : ndarray of int64
        Source channel index of each row.
    problem : str
        Why the window is empty when the data could not be read over the network (a
        recording or shared cache at a URL whose server does not answer): its one-line
        error. "" otherwise.
    """

    t0: float
    t1: float
    n_px: int
    lo: np.ndarray
    hi: np.ndarray
    level: int
    bin: int
    raw: bool
    times: np.ndarray | None
    edges: np.ndarray
    channels: np.ndarray
    problem: str = ""


def default_cache_dir() -> Path:
    """Pyramid cache directory: ``$LOUPE_TUI_CACHE/pyramids`` if set, else
    ``$XDG_CACHE_HOME/loupe-tui/pyramids`` (``~/.cache`` when unset or relative);
    see :func:`loupe_tui.core.paths.user_cache_dir`."""
    return user_cache_dir() / "pyramids"


def shared_meta(source: TraceSource, fingerprint: str) -> dict:
    """What a shared pyramid's ``meta.json`` must say to be ``source``'s (keyed by ``fingerprint``,
    its content fingerprint) in this format."""
    return dict(format=FORMAT_VERSION, fingerprint=fingerprint, n_samples=int(source.n_samples),
                n_channels=int(source.n_channels), bins=level_bins(source.n_samples))


def cache_key(fingerprint: str) -> str:
    """Directory name of a source's pyramid: a hash of its fingerprint and the format."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"loupe-pyramid v{FORMAT_VERSION} bin0={BIN0} factor={FACTOR}\0{fingerprint}".encode())
    return h.hexdigest()


class Pyramid:
    """A memory-mapped min/max pyramid of one :class:`TraceSource`.

    Open it with :meth:`open`, :meth:`open_or_build` or :func:`build_pyramid`.
    Several processes may open the same pyramid: the level files are mapped
    read-only, so they share the page cache.

    Attributes
    ----------
    source : TraceSource
        The decimated source (raw samples for short windows come from it).
    path : Path
        The pyramid's cache directory (for a shared pyramid: where the local one would be,
        so that ``path.parent`` is still this machine's cache folder).
    bins : list of int
        Samples per bin of each level.
    levels : list of (ndarray, ndarray)
        Per level, read-only ``(n_channels, n_bins)`` float32 min and max; a large level
        of a shared pyramid is an array-like that reads only the bins it is indexed with.
    shared_url : str or None
        The shared cache entry the levels are read from (None: this machine's cache).
    """

    def __init__(self, source: TraceSource, path: Path, bins: list[int],
                 levels: list[tuple[np.ndarray, np.ndarray]], shared: SharedLevels | None = None):
        self.source = source
        self.path = path
        self.bins = bins
        self.levels = levels
        self.shared_url = shared.url if shared is not None else None
        # Per level: the ZarrLevel of a lazily read shared level, else None.
        self._lazy = list(shared.lazy) if shared is not None else [None] * len(levels)
        #: The last network failure of a window query ("" after one succeeds): see :meth:`window`.
        self.problem = ""
        self._remote = shared is not None or is_url(str(getattr(source, "origin", None) or ""))
        # Per level: (mapping, byte offset of the data) when read with MADV_RANDOM.
        self._random: list[tuple[mmap.mmap, int] | None] = [None] * len(levels)
        self._prefetched: tuple = ()
        self._mapped = [0] * len(levels)  # estimated bytes faulted in since the last drop

    @property
    def time(self) -> TimeAxis:
        return self.source.time

    @property
    def n_channels(self) -> int:
        return self.source.n_channels

    @property
    def n_samples(self) -> int:
        return self.source.n_samples

    @property
    def nbytes(self) -> int:
        """Bytes of all levels (about ``2/BIN0 * FACTOR/(FACTOR-1)`` = 57 % of float32 raw data)."""
        return sum(lo.nbytes + hi.nbytes for lo, hi in self.levels)

    @classmethod
    def open(cls, source: TraceSource, cache_dir: str | Path | None = None, shared: bool = True) -> Pyramid | None:
        """The cached pyramid of ``source``, or None when there is no complete, matching one.

        This machine's cache first; then, when ``shared``, a shared cache of the
        recording (:meth:`open_shared`)."""
        pyr = cls._open_local(source, cache_dir)
        if pyr is None and shared:
            pyr = cls.open_shared(source, cache_dir)
        return pyr

    @classmethod
    def open_shared(cls, source: TraceSource, cache_dir: str | Path | None = None,
                    cache_url: str | None = None) -> Pyramid | None:
        """The pyramid of ``source`` in a shared cache, its levels read lazily; None when none is current.

        Looked for in ``cache_url``, ``$LOUPE_TUI_SHARED_CACHE`` and beside the recording, for
        sources that know their recording and its content
        (:func:`~loupe_tui.io.remote.shared_pyramid.find_shared_levels`)."""
        found = find_shared_levels(source, lambda fp: (cache_key(fp), shared_meta(source, fp)), cache_url)
        if found is None:
            return None
        local = (Path(cache_dir) if cache_dir is not None else default_cache_dir()) / cache_key(source.fingerprint)
        return cls(source, local, found.bins, found.levels, found)

    @classmethod
    def _open_local(cls, source: TraceSource, cache_dir: str | Path | None = None) -> Pyramid | None:
        path = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        path = path / cache_key(source.fingerprint)
        try:
            meta = json.loads((path / "meta.json").read_text())
            bins = level_bins(source.n_samples)
            if (meta.get("format") != FORMAT_VERSION or meta.get("fingerprint") != source.fingerprint
                    or meta.get("n_samples") != source.n_samples or meta.get("bins") != bins
                    or meta.get("n_channels") != source.n_channels):
                return None
            levels, maps = [], []
            for k, b in enumerate(bins):
                arr, mm, offset = _map_level(path / f"level{k:02d}.npy")
                if arr.dtype != np.float32 or arr.shape != (2, source.n_channels, -(-source.n_samples // b)):
                    return None
                levels.append((arr[0], arr[1]))
                maps.append((mm, offset))
        except (OSError, ValueError, TypeError, AttributeError):  # a damaged cache is no cache
            return None
        pyr = cls(source, path, bins, levels)
        for k, (mm, offset) in enumerate(maps):
            if _MADV_WILLNEED is not None and len(mm) >= RANDOM_ACCESS_BYTES and _advise(mm, _MADV_RANDOM):
                pyr._random[k] = (mm, offset)
        return pyr

    @classmethod
    def open_or_build(cls, source: TraceSource, cache_dir: str | Path | None = None,
                      progress: Progress | None = None, cancel: Callable[[], bool] | None = None,
                      memory_budget: int = DEFAULT_MEMORY_BUDGET) -> Pyramid:
        """The cached pyramid of ``source``, built first if missing; see :func:`build_pyramid`."""
        pyr = cls.open(source, cache_dir)
        if pyr is None:
            return build_pyramid(source, cache_dir, progress, cancel, memory_budget)
        if progress is not None:
            progress(1.0, "decimation pyramid: " + ("shared cache" if pyr.shared_url else "cached"))
        return pyr

    def window(self, t0: float, t1: float, n_px: int,
               channels: slice | list[int] | np.ndarray | None = None) -> WindowData:
        """Per pixel column min and max of the window ``[t0, t1)``.

        Parameters
        ----------
        t0, t1 : float
            Window in seconds; it may reach outside the recording (those
            columns are NaN).
        n_px : int
            Number of pixel columns.
        channels : slice, sequence of int or None
            Channels to return, in this order (default: all).

        Returns
        -------
        WindowData
            Bounded by O(n_px * channels) work: the coarsest level whose bin
            is at most the samples per column is reduced to ``n_px`` columns.
            Below ``BIN0`` samples per column the source itself is read (at
            most ``BIN0 * n_px`` samples per channel), below ``RAW_BELOW``
            its samples are returned as they are.

        A recording or shared level at a URL that cannot be read (the network went
        away) gives an empty window (NaN columns) whose ``problem`` says why, kept in
        :attr:`problem` too, instead of an exception: what is cached still draws and the
        scorer goes on. A local file that cannot be read raises :class:`DataFileError`.
        """
        try:
            wd = self._window(t0, t1, n_px, channels)
        except DataFileError as exc:
            if not self._remote:
                raise
            self.problem = str(exc)
            chans = np.atleast_1d(np.arange(self.n_channels, dtype=np.int64)[
                channels if channels is not None else slice(None)]).astype(np.int64)
            nan = np.full((len(chans), int(n_px)), np.nan, np.float32)
            return WindowData(t0=float(t0), t1=float(t1), n_px=int(n_px), lo=nan, hi=nan.copy(), level=-1, bin=1,
                              raw=False, times=None, edges=column_starts(self.time, column_borders(t0, t1, n_px)),
                              channels=chans, problem=self.problem)
        self.problem = ""
        return wd

    def _window(self, t0: float, t1: float, n_px: int, channels) -> WindowData:
        tcols = column_borders(t0, t1, n_px)
        t0, t1, n_px = float(t0), float(t1), int(n_px)
        chans = np.arange(self.n_channels, dtype=np.int64)[channels if channels is not None else slice(None)]
        chans = np.atleast_1d(chans).astype(np.int64)
        ax = self.time
        starts = column_starts(ax, tcols)
        i0, i1 = int(starts[0]), int(starts[-1])
        spp = samples_per_column(ax, t0, t1, n_px, starts)
        out = dict(t0=t0, t1=t1, n_px=n_px, channels=chans)
        if i1 == i0:
            nan = np.full((len(chans), n_px), np.nan, np.float32)
            return WindowData(lo=nan, hi=nan.copy(), level=-1, bin=1, raw=False, times=None,
                              edges=starts, **out)
        if spp < RAW_BELOW:
            j0, j1 = max(i0 - 1, 0), min(i1 + 1, self.n_samples)
            x = self._read(j0, j1, chans)
            # Infinities are gaps, as in the pyramid's bins (NaN breaks the drawn line).
            x[~np.isfinite(x)] = np.nan
            times = ax.times_between(j0, j1)
            gaps = ax.gaps_in(j0, j1) - j0
            if len(gaps):   # a gap in the recording (EDF+D): a NaN sample between its sides breaks the line
                x = np.insert(x, gaps, np.nan, axis=1)
                times = np.insert(times, gaps, 0.5 * (times[gaps - 1] + times[gaps]))
            return WindowData(lo=x, hi=x, level=-1, bin=1, raw=True, times=times,
                              edges=np.array([j0, j1], np.int64), **out)
        lo = np.empty((len(chans), n_px), np.float32)
        hi = np.empty_like(lo)
        if spp < self.bins[0]:
            x = self._read(i0, i1, chans)
            minmax.columns(x, x, np.arange(len(chans), dtype=np.int64), starts - i0, lo, hi)
            return WindowData(lo=lo, hi=hi, level=-1, bin=1, raw=False, times=None, edges=starts, **out)
        k = int(np.searchsorted(self.bins, spp, side="right")) - 1
        b = self.bins[k]
        nb = self.levels[k][0].shape[1]
        # Round each column border to the nearest bin border; the recording's end
        # maps to the last (possibly short) bin's end.
        e = np.where(starts >= self.n_samples, nb, (starts + b // 2) // b)
        if self._random[k] is not None:
            self._willneed(k, chans, int(e[0]), int(e[-1]))
        if self._lazy[k] is not None:     # a shared level: read (or find cached) just these bins
            block = np.ascontiguousarray(self._lazy[k].bins(int(e[0]), int(e[-1])))   # the kernel's C layout
            minmax.columns(block[0], block[1], chans, e - e[0], lo, hi)
        else:
            minmax.columns(self.levels[k][0], self.levels[k][1], chans, e, lo, hi)
        edges = np.minimum(e * b, self.n_samples)
        return WindowData(lo=lo, hi=hi, level=k, bin=b, raw=False, times=None, edges=edges, **out)

    def _willneed(self, k: int, chans: np.ndarray, b0: int, b1: int) -> None:
        """Before a query of bins ``[b0, b1)`` of ``chans`` on a ``MADV_RANDOM`` level:
        drop the level's mapping once queries have faulted in about
        ``MAPPED_BUDGET`` bytes, then ask the kernel to read these bins now, one
        request per row (without readahead, each page would be a separate
        synchronous read)."""
        key = (k, tuple(chans.tolist()))
        if self._prefetched[:2] == key and self._prefetched[2] <= b0 and b1 <= self._prefetched[3]:
            return  # the same rows and bins as the last query (a redraw)
        mm, offset = self._random[k]
        nb, n_ch, page = self.levels[k][0].shape[1], self.n_channels, mmap.PAGESIZE
        self._mapped[k] += len(key[1]) * 2 * ((b1 - b0) * 4 + _FAULT_AROUND)
        if self._mapped[k] > MAPPED_BUDGET:
            _advise(mm, _MADV_DONTNEED)
            self._mapped[k] = 0
        try:
            for c in key[1]:
                for half in (0, n_ch):
                    row = offset + (half + c) * nb * 4
                    a = row + b0 * 4
                    a -= a % page
                    mm.madvise(_MADV_WILLNEED, a, row + b1 * 4 - a)
        except (OSError, ValueError):  # advice only
            return
        self._prefetched = (*key, b0, b1)

    def _read(self, i0: int, i1: int, chans: np.ndarray) -> np.ndarray:
        """Source samples ``[i0, i1)`` of ``chans``: reads all channels and selects, since
        sources may copy whole channels when given a list."""
        if len(chans) == self.n_channels and np.array_equal(chans, np.arange(self.n_channels)):
            x = self.source.read(i0, i1)
        elif len(chans) and (np.diff(chans) == 1).all():
            x = self.source.read(i0, i1, slice(int(chans[0]), int(chans[-1]) + 1))
        else:
            x = self.source.read(i0, i1)[chans]
        return np.ascontiguousarray(x, dtype=np.float32)

    def __repr__(self) -> str:
        return (f"Pyramid({self.n_channels} ch x {self.n_samples} samples, bins {self.bins}, "
                f"{self.nbytes / 1e6:.1f} MB at {self.shared_url or self.path})")


def _map_level(path: Path) -> tuple[np.ndarray, mmap.mmap, int]:
    """Map a ``.npy`` file read-only: the array, its mapping and the data's byte offset in it.

    Like ``np.load(mmap_mode="r")``, but keeps the ``mmap`` object for
    ``madvise`` (``np.memmap`` hides it).
    """
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f"{path}: unsupported .npy version {version}")
        if fortran:
            raise ValueError(f"{path}: Fortran order")
        offset = f.tell()
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    arr = np.frombuffer(mm, dtype, count=int(np.prod(shape)), offset=offset).reshape(shape)
    return arr, mm, offset  # arr is read-only and keeps the mapping alive


def _advise(mm: mmap.mmap, advice: int | None) -> bool:
    """``mm.madvise(advice)`` where the platform has it; True when it was applied."""
    if advice is None or not hasattr(mm, "madvise"):
        return False
    try:
        mm.madvise(advice)
    except (OSError, ValueError):
        return False
    return True


def build_pyramid(source: TraceSource, cache_dir: str | Path | None = None,
                  progress: Progress | None = None, cancel: Callable[[], bool] | None = None,
                  memory_budget: int = DEFAULT_MEMORY_BUDGET, durable: bool = True) -> Pyramid:
    """Build the pyramid of ``source`` into the cache (replacing any old one) and open it.

    Parameters
    ----------
    source : TraceSource
        Read front to back in blocks of ``preferred_block`` multiples that fit
        in ``memory_budget``; the recording is never held in memory.
    cache_dir : path, optional
        Directory holding pyramids (default :func:`default_cache_dir`).
    progress : callable(fraction, message), optional
        Called after every block, for a progress bar.
    cancel : callable() -> bool, optional
        Polled before every block; when it returns True the partial build is
        deleted and :class:`PyramidBuildCancelled` raised.
    memory_budget : int
        Bytes the build may hold at once (the read block is half of it).
    durable : bool
        ``fsync`` the levels before the commit (default), so that a committed pyramid
        survives a crash. ``prepare`` builds into a scratch folder it copies out and
        deletes: there the writes need never reach the disk.

    Raises
    ------
    DataFileError
        The cache directory cannot be written, or the source returned a bad block.
    PyramidBuildCancelled
        ``cancel`` returned True.
    """
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = cache_key(source.fingerprint)
    n, n_ch = int(source.n_samples), int(source.n_channels)
    try:
        root.mkdir(parents=True, exist_ok=True)
        remove_stale(root)
        tmp = temp_dir(root, key)
    except OSError as exc:
        raise file_error(DataFileError, root, f"cannot write the pyramid cache ({exc.strerror or exc})") from exc
    writer = None
    try:
        writer = PyramidWriter(tmp, n_ch, n)
        block = block_length(source, memory_budget)
        for i0 in range(0, n, block):
            if cancel is not None and cancel():
                raise PyramidBuildCancelled("decimation pyramid build cancelled")
            i1 = min(i0 + block, n)
            x = source.read(i0, i1)
            if x.shape != (n_ch, i1 - i0):
                raise DataFileError(f"source {source.fingerprint!r}: read({i0}, {i1}) gave shape {x.shape}")
            writer.push(x)
            if progress is not None:
                progress(i1 / n, f"decimating: {i1 / 1e6:.1f} of {n / 1e6:.1f} M samples")
            del x  # before the next read: never two blocks alive at once
        writer.finish(durable)
        meta = dict(format=FORMAT_VERSION, fingerprint=source.fingerprint, n_samples=n,
                    n_channels=n_ch, bins=level_bins(n), names=list(source.names))
        commit_dir(tmp, root / key, json.dumps(meta, indent=1))
    except BaseException:
        if writer is not None:
            writer.close()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    pyr = Pyramid.open(source, root, shared=False)
    if pyr is None:
        raise file_error(DataFileError, root / key, "pyramid unreadable right after it was built")
    return pyr


def block_length(source: TraceSource, memory_budget: int = DEFAULT_MEMORY_BUDGET) -> int:
    """Samples per read while building: whole multiples of the source's
    preferred block when they fit in half the budget, and multiples of
    ``BIN0 * FACTOR**3`` so the first levels need no carry between blocks."""
    cap = max(int(memory_budget) // (2 * 4 * max(source.n_channels, 1)), _BLOCK_ALIGN)
    pref = max(int(source.preferred_block), 1)
    blk = (cap // pref) * pref if pref <= cap else cap
    return max(_BLOCK_ALIGN, blk // _BLOCK_ALIGN * _BLOCK_ALIGN)
