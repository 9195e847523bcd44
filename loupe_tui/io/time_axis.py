"""Build a :class:`TimeAxis` from a time coordinate read in chunks.

A 24 h recording at 1 kHz has an 86.4 M-entry time coordinate (691 MB as
float64), so the coordinate is never held whole just to check it: it is read
chunk by chunk, checked for finite, strictly increasing values, and compared
against the straight line through its first and last entries. When every
entry sits on that line (within a small tolerance) the axis is described by
``TimeAxis(n, t0, fs)`` and nothing is kept; otherwise the values are kept in
an array, or in a memory map when they are large.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable

import numpy as np

from loupe_tui.io.source import TimeAxis

#: Read the time coordinate this many entries at a time (8 MB of float64).
DEFAULT_CHUNK = 1 << 20
#: Irregular time axes longer than this go to a memory map instead of RAM.
MEMMAP_THRESHOLD = 1 << 24
#: A sample may sit this fraction of a sample period off the regular grid.
REGULAR_TOLERANCE = 1e-3

Reader = Callable[[int, int], np.ndarray]


class InputProblem(ValueError):
    """Input data is unusable; the message says why, the caller adds where."""


class TimeProblem(InputProblem):
    """The time values are unusable (NaN, not increasing, empty ...)."""


def to_seconds(values: np.ndarray, ref: np.datetime64 | None = None) -> np.ndarray:
    """Convert raw coordinate values to float64 seconds.

    ``timedelta64`` becomes seconds; ``datetime64`` becomes seconds since
    ``ref`` (the first timestamp), because labels and windows are in seconds
    from the start of the recording.
    """
    values = np.asarray(values)
    kind = values.dtype.kind
    if kind == "m":
        return values / np.timedelta64(1, "s")
    if kind == "M":
        base = values[0] if ref is None else ref
        return (values - base) / np.timedelta64(1, "s")
    if kind not in "iuf":
        raise TimeProblem(f"time values must be numbers (seconds), got dtype {values.dtype}")
    return values.astype(np.float64, copy=False)


def scan_time(read: Reader, n: int, chunk: int = DEFAULT_CHUNK) -> TimeAxis:
    """Check a time coordinate chunk by chunk and describe it as a TimeAxis.

    Parameters
    ----------
    read : callable ``(i0, i1) -> float64 array`` returning entries ``[i0, i1)``
        in seconds.
    n : number of entries.
    chunk : entries read at once (memory stays O(chunk)).

    Returns
    -------
    TimeAxis
        Regular (``fs`` set, no array held) when every entry lies on the line
        through the first and last ones; otherwise irregular with ``times``.

    Raises
    ------
    TimeProblem
        Empty axis, NaN/inf, or not strictly increasing (the message gives the
        first offending index).
    """
    if n <= 0:
        raise TimeProblem("time axis is empty")
    chunk = max(1, int(chunk))
    first = float(read(0, 1)[0])
    last = float(read(n - 1, n)[0])
    dt = (last - first) / (n - 1) if n > 1 else 0.0
    regular = n > 1 and np.isfinite(dt) and dt > 0
    # Float rounding of stored times grows with magnitude; never ask for more
    # precision than the dtype can hold.
    tol = max(REGULAR_TOLERANCE * dt, 8 * np.finfo(np.float64).eps * max(abs(first), abs(last)))
    prev = None
    for i0 in range(0, n, chunk):
        i1 = min(n, i0 + chunk)
        v = read(i0, i1)
        _check_block(v, i0, prev)
        if regular:
            # In place: one scratch array per chunk, not four.
            dev = np.arange(i0, i1, dtype=np.float64)
            dev *= dt
            dev += first
            np.subtract(v, dev, out=dev)
            np.abs(dev, out=dev)
            regular = float(dev.max()) <= tol
        prev = float(v[-1])
    if regular:
        return TimeAxis(n=n, t0=first, fs=_nice_rate(1.0 / dt))
    return TimeAxis(n=n, t0=first, times=_collect(read, n, chunk))


def axis_from_array(times: np.ndarray) -> TimeAxis:
    """:func:`scan_time` over an in-memory or memory-mapped 1-D array."""
    times = np.asarray(times) if not isinstance(times, np.memmap) else times
    if times.ndim != 1:
        raise TimeProblem(f"time must be 1-D, got shape {times.shape}")
    if times.dtype.kind not in "iuf":
        raise TimeProblem(f"time values must be numbers (seconds), got dtype {times.dtype}")
    return scan_time(lambda i0, i1: np.asarray(times[i0:i1], dtype=np.float64), len(times))


def same_axis(a: TimeAxis, b: TimeAxis) -> bool:
    """True when two axes put every sample at the same time (within tolerance)."""
    if a.n != b.n:
        return False
    if a.regular and b.regular:
        tol = REGULAR_TOLERANCE / a.fs
        end_a, end_b = a.t0 + (a.n - 1) / a.fs, b.t0 + (b.n - 1) / b.fs
        return abs(a.t0 - b.t0) <= tol and abs(end_a - end_b) <= tol
    # Compare chunk by chunk so neither axis is expanded whole.
    for i0 in range(0, a.n, DEFAULT_CHUNK):
        idx = np.arange(i0, min(a.n, i0 + DEFAULT_CHUNK))
        ta, tb = np.asarray(a.time_of(idx)), np.asarray(b.time_of(idx))
        span = np.abs(np.diff(ta)).min() if len(ta) > 1 else 1.0
        if not np.allclose(ta, tb, rtol=0, atol=REGULAR_TOLERANCE * span):
            return False
    return True


def _check_block(v: np.ndarray, i0: int, prev: float | None) -> None:
    finite = np.isfinite(v)
    if not finite.all():
        k = i0 + int(np.argmin(finite))
        raise TimeProblem(f"time has a non-finite value ({v[k - i0]}) at index {k}")
    if prev is not None and not v[0] > prev:
        raise TimeProblem(f"time must be strictly increasing: t[{i0 - 1}]={prev!r} >= t[{i0}]={float(v[0])!r}")
    if len(v) > 1:
        bad = np.diff(v) <= 0
        if bad.any():
            k = int(np.argmax(bad))
            raise TimeProblem(f"time must be strictly increasing: t[{i0 + k}]={float(v[k])!r} "
                              f">= t[{i0 + k + 1}]={float(v[k + 1])!r}")


def _nice_rate(fs: float) -> float:
    # 1 / ((t_last - t0) / (n - 1)) of a 1 kHz clock gives 999.9999999997;
    # snap to the integer rate when the difference is only rounding.
    r = round(fs)
    return float(r) if r > 0 and abs(fs - r) <= 1e-9 * fs else fs


def _collect(read: Reader, n: int, chunk: int) -> np.ndarray:
    if n > MEMMAP_THRESHOLD:
        fd, path = tempfile.mkstemp(prefix="loupe-time-", suffix=".npy")
        os.close(fd)
        out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(n,))
        # The mapping stays valid after unlink and the file vanishes with it.
        os.unlink(path)
    else:
        out = np.empty(n, dtype=np.float64)
    for i0 in range(0, n, chunk):
        i1 = min(n, i0 + chunk)
        out[i0:i1] = read(i0, i1)
    return out
