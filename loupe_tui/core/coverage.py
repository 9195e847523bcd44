"""Where labels are and are not: searches over the sorted interval arrays.

Pure numpy over ``starts``/``ends`` (sorted, non-overlapping) and label codes;
used by the session's jumps (next unscored epoch, next state change).
"""

from __future__ import annotations

import numpy as np

# Times closer than this are the same time: label edges written as decimal
# text and epoch edges computed as k * epoch_len differ by float noise.
EPS = 1e-6


def first_uncovered_at_or_after(starts: np.ndarray, ends: np.ndarray, t: float) -> float:
    """The first time at or after ``t`` that no interval covers."""
    i = int(np.searchsorted(starts, t + EPS, side="right")) - 1
    if i < 0 or ends[i] <= t + EPS:
        return t  # t itself is in a gap
    # Walk the chain of touching intervals from i to its first break.
    breaks = np.flatnonzero(starts[i + 1:] > ends[i:-1] + EPS)
    return float(ends[i + breaks[0]] if len(breaks) else ends[-1])


def last_uncovered_before(starts: np.ndarray, ends: np.ndarray, t: float, epoch_len: float) -> float:
    """A time inside the last gap before ``t`` (half an epoch before ``t`` if that is uncovered)."""
    # j: the interval holding t - EPS, if any.
    j = int(np.searchsorted(starts, t - EPS, side="right")) - 1
    if j < 0 or ends[j] < t - EPS:
        return t - epoch_len / 2  # the epoch just before t has a gap
    breaks = np.flatnonzero(starts[1:j + 1] > ends[:j] + EPS)
    gap_end = float(starts[breaks[-1] + 1] if len(breaks) else starts[0])
    return gap_end - EPS * 10


def state_changes(starts: np.ndarray, ends: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Sorted times where the state changes: starts of runs of one label and the edges of gaps."""
    if not len(starts):
        return np.empty(0)
    touching = np.abs(starts[1:] - ends[:-1]) < EPS
    same = touching & (codes[1:] == codes[:-1])
    # A boundary inside a run of the same label is no change.
    inner_starts = starts[1:][~same]
    prev_ends = ends[:-1][~touching]
    return np.unique(np.concatenate([starts[:1], inner_starts, prev_ends, ends[-1:]]))
