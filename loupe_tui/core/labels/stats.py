"""Summaries and searches of an interval-label set: time per state, coverage, gaps, find."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from loupe_tui.core.labels.store import IntervalStore
from loupe_tui.errors import LoupeConfigError


@dataclass(frozen=True)
class Coverage:
    """How much of ``[t0, t1)`` is labelled.

    Attributes
    ----------
    t0, t1 : the span considered (default: first start to last end)
    labelled_s : seconds inside some interval
    n_gaps, gap_total_s : unlabelled stretches inside the span
    largest_gap : ``(start, end)`` of the longest gap, or None
    """

    t0: float
    t1: float
    labelled_s: float
    n_gaps: int
    gap_total_s: float
    largest_gap: tuple[float, float] | None

    @property
    def span_s(self) -> float:
        return max(0.0, self.t1 - self.t0)

    @property
    def fraction(self) -> float:
        return self.labelled_s / self.span_s if self.span_s > 0 else math.nan


def time_per_state(store: IntervalStore) -> dict[str, float]:
    """Seconds labelled with each state present, in order of first use."""
    if not len(store):
        return {}
    totals = np.bincount(store.codes, weights=store.ends - store.starts, minlength=len(store.names))
    present = np.bincount(store.codes, minlength=len(store.names)) > 0
    return {store.names[k]: float(totals[k]) for k in range(len(store.names)) if present[k]}


def coverage(store: IntervalStore, t0: float | None = None, t1: float | None = None) -> Coverage:
    """Labelled time and gaps within ``[t0, t1)`` (intervals are clipped for counting only)."""
    n = len(store)
    if t0 is None:
        t0 = float(store.starts[0]) if n else 0.0
    if t1 is None:
        t1 = float(store.ends[-1]) if n else t0
    i, j = store.overlapping(t0, t1)
    s = np.clip(store.starts[i:j], t0, t1)
    e = np.clip(store.ends[i:j], t0, t1)
    # Gaps: before the first interval, between intervals, after the last.
    gap_starts = np.concatenate(([t0], e))
    gap_ends = np.concatenate((s, [t1]))
    size = gap_ends - gap_starts
    has = size > 0
    n_gaps = int(has.sum())
    largest = None
    if n_gaps:
        k = int(np.argmax(np.where(has, size, -1.0)))
        largest = (float(gap_starts[k]), float(gap_ends[k]))
    return Coverage(t0, t1, float((e - s).sum()), n_gaps, float(size[has].sum()), largest)


def find(store: IntervalStore, state: str | None, note: str | None, extras: dict[str, Any]) -> np.ndarray:
    """Indices of intervals matching every filter (see :meth:`IntervalLabelSet.find`)."""
    st = store
    mask = np.ones(len(st), dtype=bool)
    if state is not None:
        code = st.names.index(state) if state in st.names else -1
        mask &= st.codes == code
    if note is not None:
        needle = note.casefold()
        mask &= np.fromiter(((n is not None and needle in n.casefold()) for n in st.notes),
                            dtype=bool, count=len(st))
    for col, want in extras.items():
        if col not in st.extra_cols:
            raise LoupeConfigError(f"no extra column {col!r}; the labels have {list(st.extra_cols)}")
        values = st.extras[st.extra_cols.index(col)]
        if isinstance(want, str):
            w = want.casefold()
            hit = ((v is not None and w in str(v).casefold()) for v in values)
        else:
            hit = (v == want for v in values)
        mask &= np.fromiter(hit, dtype=bool, count=len(st))
    return np.flatnonzero(mask)
