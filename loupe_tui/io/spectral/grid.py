"""Where each spectral window (or epoch) lies in the samples of a source.

The grid is in time. With ``start`` the grid's first time (the recording's
first sample unless asked otherwise), epoch ``k`` is
``[start + k * step, start + (k + 1) * step)`` and its window is centred on the
epoch: it covers ``[centre - window / 2, centre + window / 2)`` with
``centre = start + (k + 0.5) * step``. When the window equals the step (human
30 s epochs) the window *is* the epoch; a 5 s window over a 4 s rodent epoch
reaches 0.5 s into each neighbour, as AccuSleePy's does. Each window starts at
the sample nearest its start time, computed from ``k`` directly, so a step
that is not a whole number of samples never drifts.

A window is *invalid* (its column is NaN, never dropped: column ``k`` stays
epoch ``k``) when it runs past either end of the recording or, on a segmented
axis, crosses a gap. Irregular axes (one time per sample) have no ``fs`` and
are refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from loupe_tui.errors import LoupeConfigError
from loupe_tui.io.source import TimeAxis

_EPS = 1e-6  # of a sample: k * step * fs that should be whole but is 127.9999999


@dataclass(frozen=True)
class WindowGrid:
    """Windows of ``length`` samples starting at ``starts`` (int64); ``valid`` marks usable ones."""

    fs: float
    length: int
    starts: np.ndarray
    valid: np.ndarray
    centres: np.ndarray  # float64 s

    def __len__(self) -> int:
        return len(self.starts)


def regular_fs(axis: TimeAxis) -> float:
    """The axis's sample rate; a one-line error for irregular axes."""
    if axis.times is not None or axis.fs is None:
        raise LoupeConfigError("source: spectral estimates need a sample rate, and this source "
                               "has irregular sample times")
    return float(axis.fs)


def window_grid(axis: TimeAxis, window_s: float, step_s: float,
                t0: float | None = None, t1: float | None = None) -> WindowGrid:
    """Windows centred on the epochs of ``[t0, t1)`` (whole epochs only; see module doc)."""
    fs = regular_fs(axis)
    start = axis.first if t0 is None else float(t0)
    stop = axis.t_end if t1 is None else float(t1)
    n_win = max(0, int(math.floor((stop - start) / step_s + _EPS)))
    length = int(round(window_s * fs))
    if length < 2:
        raise LoupeConfigError(f"window_s: {window_s} s is under two samples at {fs:g} Hz")
    k = np.arange(n_win, dtype=np.float64)
    centres = start + (k + 0.5) * step_s
    t_first = centres - window_s / 2  # float time of each window's first sample
    if axis.segments is None:
        run_idx, run_t = np.zeros(n_win), np.full(n_win, axis.t0)
        run_end = np.full(n_win, axis.n)
    else:
        seg = axis.segments
        r = np.clip(np.searchsorted(seg[:, 1], t_first, side="right") - 1, 0, None)
        run_idx, run_t = seg[r, 0], seg[r, 1]
        run_end = np.r_[seg[1:, 0], axis.n][r]
    # In samples from the run's first sample, offset rounded to the nearest sample.
    pos = (start - run_t) * fs + k * (step_s * fs) + (step_s - window_s) * fs / 2
    starts = (run_idx + np.floor(pos + 0.5 + _EPS)).astype(np.int64)
    valid = (starts >= run_idx) & (starts + length <= run_end)
    return WindowGrid(fs, length, starts, valid, centres)


def groups(grid: WindowGrid, block_samples: int):
    """Runs ``(k0, k1, i0, i1)`` of consecutive valid windows whose samples
    ``[i0, i1)`` fit in ``max(block_samples, window length)``: one read each."""
    idx = np.flatnonzero(grid.valid)
    budget = max(int(block_samples), grid.length)
    j = 0
    while j < len(idx):
        k0 = idx[j]
        i0 = int(grid.starts[k0])
        # The last window of the group must end within the budget.
        ends = grid.starts[idx[j:]] + grid.length
        m = int(np.searchsorted(ends, i0 + budget, side="right"))
        m = max(m, 1)
        k1 = idx[j + m - 1] + 1
        yield int(k0), int(k1), i0, int(grid.starts[k1 - 1] + grid.length)
        j += m
