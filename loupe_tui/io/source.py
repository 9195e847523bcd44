"""The lazy trace-source protocol shared by loaders and the decimation pyramid.

A :class:`TraceSource` is a 2-D signal ``(channels, samples)`` on one time
axis that is read in blocks, never as a whole. Loaders (xarray/zarr/netCDF,
npy pairs, in-memory arrays) produce sources; the pyramid builder and the
render process consume them. Nothing here imports a GUI toolkit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class TimeAxis:
    """Where each sample sits in time (seconds).

    One of three kinds:

    * regular (``fs`` set, ``times`` and ``segments`` None): sample ``i`` is
      at ``t0 + i / fs``;
    * segmented (``fs`` and ``segments`` set): regular runs at ``fs`` with
      gaps between them (EDF+D). ``segments`` is ``(k, 2)`` float64, one row
      ``(first sample index, its time)`` per run, both increasing; the first
      row is ``(0, t0)``. Nothing is held per sample: 24 h at 256 Hz in 1 s
      records costs at most a row per record;
    * irregular (``times`` set): a 1-D float64 array, possibly a memmap,
      strictly increasing, one entry per sample.
    """

    n: int
    t0: float
    fs: float | None = None
    times: np.ndarray | None = None
    segments: np.ndarray | None = None

    @property
    def regular(self) -> bool:
        return self.times is None and self.segments is None

    @property
    def first(self) -> float:
        """Time of the first sample (``t0`` when empty)."""
        if self.times is None or self.n == 0:
            return self.t0
        return float(self.times[0])

    @property
    def t_end(self) -> float:
        """Time just past the last sample (half-open end of the recording)."""
        if self.n == 0:
            return self.t0
        if self.segments is not None:
            i, t = self.segments[-1]
            return float(t + (self.n - i) / self.fs)
        if self.times is None:
            return self.t0 + self.n / self.fs
        last = float(self.times[-1])
        if self.n > 1:
            return last + (last - float(self.times[0])) / (self.n - 1)
        return last

    def time_of(self, i: np.ndarray | int) -> np.ndarray | float:
        """Time of sample index ``i`` (vectorised)."""
        if self.segments is not None:
            ii = np.asarray(i, dtype=np.float64)
            k = np.clip(np.searchsorted(self.segments[:, 0], ii, side="right") - 1, 0, None)
            return self.segments[k, 1] + (ii - self.segments[k, 0]) / self.fs
        if self.times is None:
            return self.t0 + np.asarray(i, dtype=np.float64) / self.fs
        return np.asarray(self.times)[i]

    def times_between(self, i0: int, i1: int) -> np.ndarray:
        """float64 times of samples ``[i0, i1)``."""
        i0, i1 = max(int(i0), 0), min(int(i1), self.n)
        if self.times is not None:
            return np.array(self.times[i0:i1], dtype=np.float64)
        return np.asarray(self.time_of(np.arange(i0, max(i0, i1), dtype=np.int64)), dtype=np.float64)

    def index_of(self, t: np.ndarray | float) -> np.ndarray | int:
        """First sample index whose time is ``>= t``, clipped to ``[0, n]``."""
        if self.segments is not None:
            tt = np.asarray(t, dtype=np.float64)
            starts, times = self.segments[:, 0], self.segments[:, 1]
            k = np.clip(np.searchsorted(times, tt, side="right") - 1, 0, None)
            idx = starts[k] + np.ceil((tt - times[k]) * self.fs - 1e-9)
            idx = np.maximum(idx, starts[k])
            # past the end of its run (in a gap): the next run's first sample
            ends = np.r_[starts[1:], self.n]
            idx = np.where(idx > ends[k], ends[k], idx)
            return np.clip(idx, 0, self.n).astype(np.int64)
        if self.times is None:
            idx = np.ceil((np.asarray(t, dtype=np.float64) - self.t0) * self.fs - 1e-9)
            return np.clip(idx, 0, self.n).astype(np.int64)
        return np.searchsorted(self.times, t, side="left")

    def sample_at(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The sample covering each time (sample ``i`` covers ``[time(i), time(i + 1))``) as int64,
        and whether the time is covered at all (False in a gap of a segmented axis)."""
        tt = np.asarray(t, dtype=np.float64)
        if self.segments is not None:
            starts, times = self.segments[:, 0], self.segments[:, 1]
            k = np.clip(np.searchsorted(times, tt, side="right") - 1, 0, None)
            off = np.floor((tt - times[k]) * self.fs)
            ends = np.r_[starts[1:], self.n]
            return (starts[k] + off).astype(np.int64), (off >= 0) & (starts[k] + off < ends[k])
        if self.times is None:
            idx = np.floor((tt - self.t0) * self.fs).astype(np.int64)
        else:
            idx = np.searchsorted(self.times, tt, side="right").astype(np.int64) - 1
        return idx, np.ones(idx.shape, bool)

    def gaps_in(self, i0: int, i1: int) -> np.ndarray:
        """Indices ``j`` in ``(i0, i1)`` where a run starts: a gap lies between samples ``j - 1`` and ``j``."""
        if self.segments is None:
            return np.zeros(0, np.int64)
        starts = self.segments[1:, 0].astype(np.int64)
        return starts[(starts > i0) & (starts < i1)]


@runtime_checkable
class TraceSource(Protocol):
    """A lazily read multi-channel signal.

    Attributes
    ----------
    names : list of str
        One name per channel (flattened traces are named like ``ch0-syn0``).
    time : TimeAxis
        The sample clock.
    fingerprint : str
        Stable identity of the underlying data (path, variable, selection,
        size, mtime ...) used to key on-disk caches such as the pyramid.
    """

    names: list[str]
    time: TimeAxis
    fingerprint: str

    @property
    def n_channels(self) -> int: ...

    @property
    def n_samples(self) -> int: ...

    def read(self, i0: int, i1: int, channels: slice | list[int] | None = None) -> np.ndarray:
        """Samples ``[i0, i1)`` of the chosen channels as float32 ``(n_ch, i1 - i0)``."""
        ...

    @property
    def preferred_block(self) -> int:
        """A block length (samples) that reads efficiently (e.g. the zarr chunk)."""
        ...


class ArraySource:
    """A :class:`TraceSource` over an in-memory (or memmapped) 2-D array.

    Parameters
    ----------
    data : array ``(n_channels, n_samples)``
    time : TimeAxis
    names : channel names (default ``ch0``, ``ch1`` ...)
    fingerprint : identity for caches (default: derived from a hash of a data sample)
    """

    def __init__(self, data: np.ndarray, time: TimeAxis, names: list[str] | None = None,
                 fingerprint: str | None = None):
        data = np.asarray(data) if not isinstance(data, np.memmap) else data
        if data.ndim == 1:
            data = data[None, :]
        if data.ndim != 2:
            raise ValueError("ArraySource needs a 2-D (channels, samples) array")
        if data.shape[1] != time.n:
            raise ValueError(f"ArraySource: {data.shape[1]} samples but time axis has {time.n}")
        self._data = data
        self.time = time
        self.names = list(names) if names is not None else [f"ch{i}" for i in range(data.shape[0])]
        self.fingerprint = fingerprint or _array_fingerprint(data, time)

    @property
    def n_channels(self) -> int:
        return self._data.shape[0]

    @property
    def n_samples(self) -> int:
        return self._data.shape[1]

    @property
    def preferred_block(self) -> int:
        return 1 << 20

    def read(self, i0: int, i1: int, channels: slice | list[int] | None = None) -> np.ndarray:
        # Slice time first: indexing channels with a list copies whole rows.
        block = self._data[:, i0:i1]
        if channels is not None:
            block = block[channels]
        return np.ascontiguousarray(block, dtype=np.float32)


def _array_fingerprint(data: np.ndarray, time: TimeAxis) -> str:
    import hashlib

    h = hashlib.blake2b(digest_size=16)
    h.update(repr((data.shape, str(data.dtype), time.n, time.t0, time.fs)).encode())
    # Hash a strided sample plus both ends: cheap, and changes when the data does.
    flat = data.reshape(data.shape[0], -1)
    step = max(1, flat.shape[1] // 4096)
    h.update(np.ascontiguousarray(flat[:, ::step]).tobytes())
    h.update(np.ascontiguousarray(flat[:, -64:]).tobytes())
    if time.times is not None:
        h.update(np.ascontiguousarray(time.times[:: max(1, time.n // 4096)]).tobytes())
    if time.segments is not None:
        h.update(np.ascontiguousarray(time.segments).tobytes())
    return h.hexdigest()
