"""Heatmap-only column reductions: the "peak" value and the zoomed-in (imshow) sample.

The column geometry and the means they share with the pyramids are in
:mod:`loupe_tui.io.columns`.
"""

from __future__ import annotations

import numba
import numpy as np

from loupe_tui.io import minmax
from loupe_tui.io.source import TimeAxis

_JIT = dict(cache=True, nogil=True, boundscheck=False)


def hold_indices(ax: TimeAxis, tcols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sample covering each column's centre, for windows zoomed in below one sample per column.

    Sample ``i`` covers ``[time(i), time(i + 1))``; the last one covers up to
    :attr:`TimeAxis.t_end`. Returns ``(index, valid)``: ``(n_px,)`` int64
    (clipped to ``[0, n - 1]``) and bool (centre inside ``[first sample, t_end)``).
    """
    centres = 0.5 * (tcols[:-1] + tcols[1:])
    if ax.n == 0:
        return np.zeros(len(centres), np.int64), np.zeros(len(centres), bool)
    idx, inside = ax.sample_at(centres)
    valid = inside & (centres >= ax.first) & (centres < ax.t_end) & (idx >= 0) & (idx < ax.n)
    return np.clip(idx, 0, ax.n - 1), valid


def peak_of(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The value of largest magnitude given each column's min and max (ties take the max; NaN stays NaN).

    Returns a new float32 array of the same 2-D shape.
    """
    out = np.empty(lo.shape, np.float32)
    _peak_of(np.ascontiguousarray(lo, np.float32), np.ascontiguousarray(hi, np.float32), out)
    return out


@numba.njit(**_JIT)
def _peak_of(lo, hi, out):
    for i in range(lo.shape[0]):
        for j in range(lo.shape[1]):
            a = lo[i, j]
            b = hi[i, j]
            out[i, j] = b if abs(b) >= abs(a) else a  # NaN: both are NaN (the pyramid's gap marker)


def reduce_peak(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Per column, the sample of largest magnitude (sign kept) among ``x[:, edges[j]:edges[j + 1]]``.

    NaN samples are skipped; an empty or all-NaN column gives NaN.
    """
    x = np.ascontiguousarray(x, dtype=np.float32)
    n_px = len(edges) - 1
    lo = np.empty((x.shape[0], n_px), np.float32)
    hi = np.empty_like(lo)
    minmax.columns(x, x, np.arange(x.shape[0], dtype=np.int64), np.asarray(edges, np.int64), lo, hi)
    return peak_of(lo, hi)
