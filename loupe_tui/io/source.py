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

    Either regular (``times is None``: sample ``i`` is at ``t0 + i / fs``) or
    irregular (``times`` is a 1-D float64 array, possibly a memmap, strictly
    increasing, one entry per sample).
    """

    n: int
    t0: float
    fs: float | None = None
    times: np.ndarray | None = None

    @property
    def regular(self) -> bool:
        return self.times is None

    @property
    def t_end(self) -> float:
        """Time just past the last sample (half-open end of the recording)."""
        if self.n == 0:
            return self.t0
        if self.times is None:
            return self.t0 + self.n / self.fs
        last = float(self.times[-1])
        if self.n > 1:
            return last + (last - float(self.times[0])) / (self.n - 1)
        return last

    def time_of(self, i: np.ndarray | int) -> np.ndarray | float:
        """Time of sample index ``i`` (vectorised)."""
        if self.times is None:
            return self.t0 + np.asarray(i, dtype=np.float64) / self.fs
        return np.asarray(self.times)[i]

    def index_of(self, t: np.ndarray | float) -> np.ndarray | int:
        """First sample index whose time is ``>= t``, clipped to ``[0, n]``."""
        if self.times is None:
            idx = np.ceil((np.asarray(t, dtype=np.float64) - self.t0) * self.fs - 1e-9)
            return np.clip(idx, 0, self.n).astype(np.int64)
        return np.searchsorted(self.times, t, side="left")


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
    return h.hexdigest()
