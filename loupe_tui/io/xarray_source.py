"""A lazy :class:`TraceSource` over an xarray DataArray (zarr, netCDF or memory).

Nothing here loads a whole variable: blocks ``[i0, i1)`` along time are
sliced with ``isel`` and only then converted to numpy, so a lazily opened
store reads just the chunks that hold the block. The time coordinate is
checked chunk by chunk (:func:`loupe_tui.io.time_axis.scan_time`).

Two identities: :attr:`XarraySource.fingerprint` keys this machine's caches (cheap: the
files' paths, sizes, mtimes and inodes); :attr:`XarraySource.content_fingerprint` keys
shared caches and is the same on every machine (object ETags, checksums of local files:
:mod:`loupe_tui.io.remote.signature`). A recording read from a URL has only the second.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence

import numpy as np
import xarray as xr

from loupe_tui.core.fsutil import tree_signature
from loupe_tui.errors import DataFileError
from loupe_tui.io.remote import time_memo
from loupe_tui.io.remote.signature import content_signature, variable_dirs
from loupe_tui.io.remote.urls import STORAGE_OPTIONS_KEY, is_url
from loupe_tui.io.source import TimeAxis
from loupe_tui.io.time_axis import DEFAULT_CHUNK, InputProblem, scan_time, to_seconds
from loupe_tui.io.xarray_layout import TIME, other_dims, trace_labels


def check_data_array(da: object) -> None:
    """Raise :class:`InputProblem` unless ``da`` is a usable trace array.

    Checks: a DataArray, a ``time`` dim with a 1-D ``time`` coordinate,
    numeric values, and no empty dim. The time values are checked by
    :func:`time_axis_of`.
    """
    if not isinstance(da, xr.DataArray):
        hint = " (pick a variable: ds['name'])" if isinstance(da, xr.Dataset) else ""
        raise InputProblem(f"must be an xarray.DataArray, got {type(da).__name__}{hint}")
    if TIME not in da.dims:
        raise InputProblem(f"needs a 'time' dimension, has dims {tuple(da.dims)}")
    if TIME not in da.coords:
        raise InputProblem("the 'time' dimension needs coordinates (seconds): assign_coords(time=...)")
    if da.coords[TIME].dims != (TIME,):
        raise InputProblem(f"the 'time' coordinate must lie along the 'time' dim only, has dims {da.coords[TIME].dims}")
    empty = [d for d in da.dims if da.sizes[d] == 0]
    if empty:
        raise InputProblem(f"is empty (dim {empty[0]!r} has size 0)")
    if da.dtype.kind not in "biuf":
        raise InputProblem(f"values must be numeric, got dtype {da.dtype}")


def time_chunk(var: xr.Variable | xr.DataArray, dim: str = TIME) -> int | None:
    """The storage chunk length along ``dim`` (zarr/netCDF encoding), if known."""
    enc = var.encoding
    pref = enc.get("preferred_chunks") or {}
    if dim in pref:
        return int(pref[dim])
    chunks = enc.get("chunks") or enc.get("chunksizes")
    if chunks and len(chunks) == len(var.dims):
        return int(chunks[list(var.dims).index(dim)])
    return None


def time_reader(da: xr.DataArray):
    """``(read, n)``: ``read(i0, i1)`` returns time ``[i0, i1)`` in float64 seconds."""
    tvar = da.coords[TIME].variable
    n = tvar.shape[0]
    ref = None
    if tvar.dtype.kind == "M":
        ref = np.asarray(tvar[0:1].values)[0]

    def read(i0: int, i1: int) -> np.ndarray:
        try:
            values = np.asarray(tvar[i0:i1].values)
        except Exception as exc:  # a corrupt or unreadable chunk: zarr/netCDF raise anything
            raise InputProblem(f"cannot read time [{i0}:{i1}]: {' '.join(str(exc).split()) or type(exc).__name__}"
                               ) from None
        return to_seconds(values, ref)

    return read, n


#: Where a reader that computes its time coordinate (EDF) leaves the coordinate's TimeAxis: its encoding.
TIME_AXIS_KEY = "loupe_time_axis"


def time_axis_of(da: xr.DataArray) -> TimeAxis:
    """Check ``da``'s time coordinate chunk by chunk and describe it (lazy).

    A reader that computes the coordinate (EDF, :mod:`loupe_tui.io.edf.recording`) leaves its
    :class:`TimeAxis` in the coordinate's encoding (``loupe_time_axis``); it is taken as it is
    when the coordinate still has its length and ends (not sliced since), in O(1)."""
    tvar = da.coords[TIME].variable
    known = tvar.encoding.get(TIME_AXIS_KEY)
    if isinstance(known, TimeAxis) and known.n == tvar.shape[0] and known.n > 0:
        ends = np.asarray(tvar[[0, known.n - 1]].values, np.float64)
        if np.allclose(ends, known.time_of(np.array([0, known.n - 1])), rtol=0, atol=1e-9):
            return known
    read, n = time_reader(da)
    memo = time_memo.remote_key(da)
    if memo is not None:    # a remote store: its checked axis may be remembered (no coordinate read)
        known = time_memo.recall(da.encoding["source"], memo, da.encoding.get(STORAGE_OPTIONS_KEY))
        if known is not None and known.n == n:
            return known
    storage = time_chunk(da.coords[TIME].variable) or DEFAULT_CHUNK
    # Whole storage chunks, about DEFAULT_CHUNK entries per read.
    chunk = max(storage, (DEFAULT_CHUNK // storage) * storage)
    axis = scan_time(read, n, chunk)
    if memo is not None:
        time_memo.remember(memo, axis)
    return axis


def time_index_range(da: xr.DataArray, start: float | None, stop: float | None) -> slice:
    """Index slice of samples with ``start <= t <= stop`` by bisection (lazy, O(log n) reads)."""
    read, n = time_reader(da)

    def first(pred) -> int:
        lo, hi = 0, n
        while lo < hi:
            mid = (lo + hi) // 2
            if pred(float(read(mid, mid + 1)[0])):
                hi = mid
            else:
                lo = mid + 1
        return lo

    i0 = 0 if start is None else first(lambda t: t >= start)
    i1 = n if stop is None else first(lambda t: t > stop)
    return slice(i0, max(i0, i1))


class XarraySource:
    """A :class:`TraceSource` reading flattened traces of a DataArray lazily.

    Parameters
    ----------
    da : DataArray with a ``time`` dim (any position) and any other dims.
    time : its checked :class:`TimeAxis` (see :func:`time_axis_of`).
    dims : non-time dims in flattening order (default: ``da``'s order).
    order : flat trace indices exposed as channels 0, 1, ... (default: all,
        in flat order). This is how ``order_by``/``step`` reach the reader.
    names : one name per exposed channel (default: :func:`trace_labels`).
    where : file or parameter named in read errors.
    fingerprint : cache identity; computed on first use when not given.
    """

    def __init__(self, da: xr.DataArray, time: TimeAxis, dims: Sequence[str] | None = None,
                 order: Sequence[int] | None = None, names: Sequence[str] | None = None,
                 where: str = "data", fingerprint: str | None = None):
        self._da = da
        self.time = time
        self._dims = tuple(other_dims(da) if dims is None else dims)
        if sorted(self._dims) != sorted(other_dims(da)):
            raise ValueError(f"dims {self._dims} do not match the array's non-time dims {other_dims(da)}")
        self._shape = tuple(da.sizes[d] for d in self._dims)
        total = int(np.prod(self._shape, dtype=np.int64))
        self._order = np.arange(total) if order is None else np.asarray(order, dtype=np.int64)
        labels = names if names is not None else [trace_labels(da, self._dims)[i] for i in self._order]
        self.names = list(labels)
        self._where = where
        self._fingerprint = fingerprint
        self._content_fingerprint: str | None = None

    @property
    def n_channels(self) -> int:
        return len(self._order)

    @property
    def n_samples(self) -> int:
        return self.time.n

    @property
    def preferred_block(self) -> int:
        chunk = time_chunk(self._da) or (1 << 16)
        return int(min(max(chunk, 1024), 1 << 20))

    @property
    def data_array(self) -> xr.DataArray:
        """The underlying (lazy) DataArray."""
        return self._da

    @property
    def origin(self) -> str | None:
        """The store, file or URL the samples are read from (None for an array in memory);
        a shared cache sits beside it (:mod:`loupe_tui.io.remote.shared`)."""
        src = self._da.encoding.get("source")
        return str(src) if src else None

    @property
    def storage_options(self) -> dict:
        """fsspec options of a URL :attr:`origin` ({} otherwise)."""
        return dict(self._da.encoding.get(STORAGE_OPTIONS_KEY) or {})

    def read(self, i0: int, i1: int, channels: slice | list[int] | None = None) -> np.ndarray:
        """Samples ``[i0, i1)`` of the chosen channels as float32 ``(n_ch, i1 - i0)``."""
        i0, i1 = max(0, int(i0)), min(self.time.n, int(i1))
        rows = self._order if channels is None else self._order[channels]
        rows = np.atleast_1d(rows)
        n = max(0, i1 - i0)
        if len(rows) == 0 or n == 0:
            return np.zeros((len(rows), n), dtype=np.float32)
        if not self._dims:
            sel, index = {}, (np.zeros(len(rows), dtype=np.int64),)
        else:
            # Read only the needed positions of each dim (outer indexing), then
            # pick the rows: a few channels of a 64-channel store cost a few.
            per_dim = np.unravel_index(rows, self._shape)
            sel, index = {}, []
            for d, size, pos in zip(self._dims, self._shape, per_dim):
                uniq, inv = np.unique(pos, return_inverse=True)
                if len(uniq) == size:
                    sel[d] = slice(None)
                elif uniq[-1] - uniq[0] + 1 == len(uniq):
                    # a run of positions as a slice: an array here takes the backend's outer-indexing
                    # path, 7x slower on zarr for one channel of two (bench_spectral's read pass)
                    sel[d] = slice(int(uniq[0]), int(uniq[-1]) + 1)
                else:
                    sel[d] = uniq
                index.append(inv if len(uniq) != size else pos)
            index = tuple(index)
        try:
            sub = self._da.isel(sel).isel({TIME: slice(i0, i1)})
            # Transpose in numpy: a lazy transpose would turn the read into a
            # vectorised (point-wise) backend read.
            axes = [sub.dims.index(d) for d in (*self._dims, TIME)]
            block = np.transpose(np.asarray(sub.values), axes)
        except Exception as exc:  # any backend failure is a bad file for the user
            msg = " ".join(str(exc).split()) or type(exc).__name__
            raise DataFileError(f"{self._where}: cannot read samples {i0}:{i1}: {msg}") from exc
        if not self._dims:
            block = block[None, :]
        if self._dims and len(index) == 1 and block.shape[0] == len(rows) and \
                np.array_equal(index[0], np.arange(len(rows))):
            out = block              # every row read, in order: no second copy (a pyramid build's case)
        else:
            out = block[index] if self._dims else block[np.zeros(len(rows), dtype=np.int64)]
        return np.ascontiguousarray(out, dtype=np.float32)

    @property
    def fingerprint(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = self._compute_fingerprint()
        return self._fingerprint

    @property
    def content_fingerprint(self) -> str | None:
        """The cache identity shared caches use, the same on every machine: the content
        signature of the stored objects instead of paths and mtimes; None for an array
        with no file. For a local recording the first call checksums its files (remembered
        per machine; see :mod:`loupe_tui.io.remote.signature`)."""
        src = self.origin
        if src is None or not (is_url(src) or os.path.exists(src)):
            return None
        if self._content_fingerprint is None:
            h = hashlib.blake2b(digest_size=16)
            h.update(b"content\0")
            h.update(content_signature(src, variable_dirs(src, self._da), self.storage_options))
            self._content_fingerprint = self._identity(h)
        return self._content_fingerprint

    def _compute_fingerprint(self) -> str:
        src = self.origin
        if src and is_url(src):
            return self.content_fingerprint
        h = hashlib.blake2b(digest_size=16)
        da = self._da
        if src and os.path.exists(src):
            h.update(os.path.abspath(src).encode())
            h.update(storage_signature(src, da))
        return self._identity(h)

    def _identity(self, h) -> str:
        """``h`` updated with the selection, shape, time axis and a sample of the data; its hex digest."""
        da = self._da
        t = self.time
        h.update(repr((da.name, self._dims, self._shape, str(da.dtype), t.n, t.t0, t.fs)).encode())
        h.update(self._order.tobytes())
        # by name: a store's coordinates come in no fixed order (zarr keeps them as a set), and the
        # identity must not change from one open to the next
        for name, coord in sorted(da.coords.items(), key=lambda item: str(item[0])):
            if TIME not in coord.dims:
                h.update(repr((name, np.asarray(coord.values).tolist())).encode())
        if t.times is not None:
            h.update(np.ascontiguousarray(t.times[:: max(1, t.n // 4096)]).tobytes())
        if t.segments is not None:
            h.update(np.ascontiguousarray(t.segments).tobytes())
        # What tells apart same-shape selections of one store (e.g. positions along a dim
        # without coordinate); the storage signature above is what notices a rewritten chunk
        # anywhere in the file. Over a network, the positions selected from the stored
        # variable, when xarray's wrappers say them: two samples would cost two chunk downloads
        # (30 MB for chunks of 16 x 262144 float32). Otherwise a bounded sample of the data.
        backend = backend_array(da) if is_url(self.origin or "") else None
        if backend is not None:
            h.update(repr((type(backend[0]).__name__, _jsonable_key(backend[1]))).encode())
        else:
            k = min(256, t.n)
            h.update(self.read(0, k).tobytes())
            h.update(self.read(t.n - k, t.n).tobytes())
        return h.hexdigest()


def backend_array(da: xr.DataArray) -> tuple[object, tuple | None] | None:
    """``(backend array, key)``: what xarray reads ``da`` from (a zarr or netCDF4 wrapper, an EDF
    reader) and the positions of the stored variable that ``da`` holds (None: all of it); None
    when ``da`` is not a lazy selection of one stored variable (in memory, computed)."""
    from xarray.core import indexing

    x, key = da.variable._data, None
    while True:
        if isinstance(x, (indexing.CopyOnWriteArray, indexing.MemoryCachedArray)):
            x = x.array
        elif isinstance(x, indexing.LazilyIndexedArray):
            if key is not None:  # xarray folds nested selections into one; anything else is unusual
                return None
            key, x = x.key.tuple, x.array
        else:
            break
    if isinstance(x, np.ndarray) or type(x).__module__.startswith("xarray.core"):
        return None                     # in memory (a numpy array or xarray's adapter of one)
    return x, key


def _jsonable_key(key: tuple | None):
    if key is None:
        return None
    return [[k.start, k.stop, k.step] if isinstance(k, slice) else np.asarray(k).tolist() for k in key]


def storage_signature(source: str | os.PathLike, da: xr.DataArray) -> bytes:
    """A digest that changes whenever the stored samples of ``da`` or its time may have.

    * netCDF/HDF5 (a file): its size, ``mtime_ns`` and inode.
    * zarr (a directory): ``(relative path, size, mtime_ns, inode)`` of every
      file of the variable's array and of the ``time`` array (chunks and
      metadata, any layout: ``c/0/17``, ``0.17``, shards). Other groups and
      variables of the store do not count, so adding results to a store keeps
      its pyramids. When the group is unknown
      (a store opened outside :func:`~loupe_tui.io.xarray_open.open_variable`)
      the whole store is walked.

    Cost: one ``stat`` per file (about 2 us): a few ms for thousands of chunks.
    """
    src = os.fspath(source)
    if not os.path.isdir(src):
        st = os.stat(src)
        return repr((st.st_size, st.st_mtime_ns, st.st_ino)).encode()
    group = da.encoding.get("loupe_group")
    if group is None or da.name is None:
        return tree_signature(src)
    gdir = os.path.join(src, *[p for p in str(group).split("/") if p])
    return tree_signature(os.path.join(gdir, str(da.name))) + tree_signature(os.path.join(gdir, TIME))


def percentile_limits(source, q: tuple[float, float] = (1.0, 99.0), budget: int = 1 << 21,
                      windows: int = 16) -> tuple[float, float]:
    """Percentile colour limits from a bounded sample of a source.

    Small sources are read whole; larger ones in ``windows`` evenly spaced
    blocks totalling about ``budget`` values, so a lazy store is never read
    in full. NaNs are ignored; an all-NaN or constant sample gives a unit
    range around its value.
    """
    n, nch = source.n_samples, source.n_channels
    if n * nch <= budget:
        starts, width = [0], n
    else:
        width = max(1, budget // (nch * windows))
        starts = np.linspace(0, n - width, windows).astype(np.int64).tolist()
    sample = np.concatenate([source.read(s, s + width).ravel() for s in starts])
    sample = sample[np.isfinite(sample)]
    if sample.size == 0:
        return 0.0, 1.0
    lo, hi = np.percentile(sample, q)
    if not hi > lo:
        lo, hi = float(lo) - 0.5, float(hi) + 0.5
    return float(lo), float(hi)


def color_limits(source, vmin: float | None, vmax: float | None) -> tuple[float, float]:
    """Heatmap colour limits: the given ones, the missing ones from :func:`percentile_limits`."""
    if vmin is not None and vmax is not None:
        return float(vmin), float(vmax)
    plo, phi = percentile_limits(source)
    lo = plo if vmin is None else float(vmin)
    hi = phi if vmax is None else float(vmax)
    if not hi > lo:
        # One limit given and the sampled one on its wrong side: keep the given one.
        lo, hi = (hi - 1.0, hi) if vmin is None else (lo, lo + 1.0)
    return lo, hi
