"""The keyboard ruler: mark two times on the focused trace, read the time between them and the
peak-to-peak amplitude, as scorers do to check a slow wave (e.g. the AASM's 75 uV).

:func:`measure` reads the samples between the marks (the pyramid's exact
min/max for long spans, so a keypress never reads hours of data) and
:class:`Ruler` turns the ruler key into a view change whose message is the
reading. The marks themselves are view state (``ViewModel.ruler``), drawn in
both windows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from loupe_tui.core.timefmt import format_time
from loupe_tui.tui.context import PreviewTrace
from loupe_tui.tui.view import ViewChange, ViewModel

#: Spans with more samples than this are measured from the pyramid (exact extremes, column times).
MAX_RAW_SAMPLES = 2_000_000


@dataclass(frozen=True)
class Measurement:
    """What the ruler reads on ``trace`` between ``t0`` and ``t1``."""

    trace: str
    t0: float
    t1: float
    lo: float
    hi: float
    t_lo: float
    t_hi: float
    units: str = ""

    @property
    def duration(self) -> float:
        return self.t1 - self.t0

    @property
    def peak_to_peak(self) -> float:
        return self.hi - self.lo

    def describe(self, fmt: Callable[[float], str] = format_time) -> str:
        """The reading in one line; ``fmt`` writes the times of the extremes (elapsed by default)."""
        u = f" {self.units}" if self.units else ""
        if not np.isfinite(self.peak_to_peak):
            return f"ruler {self.trace}: {self.duration:.3g} s, no samples between the marks"
        return (f"ruler {self.trace}: {self.duration:.3g} s ({1 / self.duration:.3g} Hz), "
                f"{self.peak_to_peak:.3g}{u} peak-to-peak (min {self.lo:.3g} at {fmt(self.t_lo)}, "
                f"max {self.hi:.3g} at {fmt(self.t_hi)})")


def measure(trace: PreviewTrace, t0: float, t1: float, pyramid=None) -> Measurement:
    """Min, max and their times of ``trace`` in ``[t0, t1]`` (samples; the pyramid for long spans)."""
    ax = trace.source.time
    i0, i1 = int(ax.index_of(t0)), int(ax.index_of(t1)) + 1
    i1 = min(i1, trace.source.n_samples)
    nan = Measurement(trace.name, t0, t1, np.nan, np.nan, t0, t0, trace.units)
    if i1 <= i0:
        return nan
    if i1 - i0 <= MAX_RAW_SAMPLES or pyramid is None:
        x = trace.source.read(i0, i1, [trace.channel])[0].astype(np.float64)
        x[~np.isfinite(x)] = np.nan
        if np.isnan(x).all():
            return nan
        k_lo, k_hi = int(np.nanargmin(x)), int(np.nanargmax(x))
        return Measurement(trace.name, t0, t1, float(x[k_lo]), float(x[k_hi]), float(ax.time_of(i0 + k_lo)),
                           float(ax.time_of(i0 + k_hi)), trace.units)
    n = 4000
    wd = pyramid.window(t0, t1, n, channels=[trace.channel])
    lo, hi = np.asarray(wd.lo[0], np.float64), np.asarray(wd.hi[0], np.float64)
    if np.isnan(lo).all():
        return nan
    k_lo, k_hi = int(np.nanargmin(lo)), int(np.nanargmax(hi))
    col = (t1 - t0) / len(lo)
    return Measurement(trace.name, t0, t1, float(lo[k_lo]), float(hi[k_hi]), t0 + (k_lo + 0.5) * col,
                       t0 + (k_hi + 0.5) * col, trace.units)


class Ruler:
    """The ruler key: marks in the view model, the reading of the focused trace in the status line.

    Parameters
    ----------
    view : ViewModel
    cursor : callable
        The session's cursor time.
    """

    def __init__(self, view: ViewModel, cursor):
        self.view, self.cursor = view, cursor
        self.traces: list[PreviewTrace] = []
        self.pyramids: list = []

    def set_traces(self, traces: list[PreviewTrace], pyramids: list) -> None:
        self.traces, self.pyramids = list(traces), list(pyramids)

    def press(self) -> ViewChange:
        change = self.view.ruler_press(self.cursor())
        if len(self.view.ruler) < 2:
            return change
        if self.view.ruler[1] - self.view.ruler[0] <= 0:
            return ViewChange(change.options, terminal=True, message="ruler: both ends at the same time")
        k = self._trace_index()
        if k is None:
            return ViewChange(change.options, terminal=True,
                              message="ruler: focus a trace (Tab) to read its amplitude")
        m = measure(self.traces[k], *self.view.ruler, pyramid=self.pyramids[k])
        times = self.view.times       # on the clock, milliseconds too: where a peak is matters
        return ViewChange(change.options, terminal=True,
                          message=m.describe(lambda t: times.format(t, decimals=3 if times.clock else None)))

    def _trace_index(self) -> int | None:
        names = [t.name for t in self.traces]
        ft = self.view.focused
        name = ft.trace if ft is not None else (names[0] if names else None)
        return names.index(name) if name in names else None
