"""Pixel columns on a time axis, and per-column means of samples or of pyramid bins.

One definition for every window query: the min/max pyramid
(:meth:`loupe_tui.io.pyramid.Pyramid.window`), the mean pyramid
(:mod:`loupe_tui.io.mean_pyramid`) and the heatmap (``render/prep``). Column
``j`` of a window ``[t0, t1)`` drawn in ``n_px`` columns covers
``[t0 + j * w, t0 + (j + 1) * w)`` with ``w = (t1 - t0) / n_px``.
"""

from __future__ import annotations

import numba
import numpy as np

from loupe_tui.io.source import TimeAxis

_JIT = dict(cache=True, nogil=True, boundscheck=False)


def column_borders(t0: float, t1: float, n_px: int) -> np.ndarray:
    """``(n_px + 1,)`` float64 times of the column borders (the last is exactly ``t1``)."""
    t0, t1, n_px = float(t0), float(t1), int(n_px)
    if not t1 > t0 or n_px < 1:
        raise ValueError(f"window needs t1 > t0 and n_px >= 1, got [{t0}, {t1}) in {n_px} px")
    tcols = t0 + (t1 - t0) * (np.arange(n_px + 1, dtype=np.float64) / n_px)
    tcols[-1] = t1
    return tcols


def column_starts(ax: TimeAxis, tcols: np.ndarray) -> np.ndarray:
    """First sample index at or after each column border, ``(n_px + 1,)`` int64 in ``[0, n]``."""
    if ax.times is None:
        return np.asarray(ax.index_of(tcols), dtype=np.int64)
    # Locate the window first, then search inside it: touches only the window's
    # part of a possibly memory-mapped time axis.
    a, b = (int(v) for v in np.searchsorted(ax.times, tcols[[0, -1]], side="left"))
    return a + np.searchsorted(ax.times[a:b], tcols, side="left").astype(np.int64)


def samples_per_column(ax: TimeAxis, t0: float, t1: float, n_px: int, starts: np.ndarray) -> float:
    """Mean samples per column over the part of the window that holds data (0 when none)."""
    i0, i1 = int(starts[0]), int(starts[-1])
    if i1 <= i0:
        return 0.0
    first = ax.first
    overlap = min(t1, ax.t_end) - max(t0, first)
    return (i1 - i0) / max(n_px * overlap / (t1 - t0), 1e-12)


@numba.njit(**_JIT)
def column_nan_sums(x, edges, sums, counts):
    """Sums (float64) and counts of the non-NaN samples of ``x[i, edges[j]:edges[j + 1]]``."""
    for i in range(x.shape[0]):
        row = x[i]
        for j in range(edges.shape[0] - 1):
            s = 0.0
            c = 0
            for k in range(edges[j], edges[j + 1]):
                v = row[k]
                if v == v:
                    s += v
                    c += 1
            sums[i, j] = s
            counts[i, j] = c


@numba.njit(**_JIT)
def binned_means(sums, counts, chans, edges, bin_size, n, out):
    """Column means from pyramid bins: ``out[i, j]`` = sum of ``sums[chans[i], edges[j]:edges[j + 1]]``
    over the matching counts, NaN when the count is 0.

    ``counts`` may be an empty ``(0, 0)`` array: the bins are then full (every
    sample counted), so a column's count is its number of samples, the last
    bin holding ``n - (n_bins - 1) * bin_size``.
    """
    full = counts.shape[0] == 0
    for i in range(chans.shape[0]):
        srow = sums[chans[i]]
        for j in range(edges.shape[0] - 1):
            s = 0.0
            for k in range(edges[j], edges[j + 1]):
                s += srow[k]
            if full:
                c = float(min(edges[j + 1] * bin_size, n) - min(edges[j] * bin_size, n))
            else:
                c = 0.0
                crow = counts[chans[i]]
                for k in range(edges[j], edges[j + 1]):
                    c += crow[k]
            out[i, j] = s / c if c > 0 else np.nan


def reduce_mean(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Per column, the mean of the non-NaN samples of ``x[:, edges[j]:edges[j + 1]]`` (NaN when none)."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    sums = np.empty((x.shape[0], len(edges) - 1))
    counts = np.empty_like(sums)
    column_nan_sums(x, np.asarray(edges, np.int64), sums, counts)
    return mean_of(sums, counts)


def mean_of(sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``sums / counts`` as float32, NaN where ``counts == 0``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (sums / counts).astype(np.float32)
    out[np.broadcast_to(counts, out.shape) == 0] = np.nan
    return out
