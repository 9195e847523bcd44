"""The time axis under the plots: ticks at readable steps, ``h:mm:ss`` labels, grid lines.

:func:`ticks` is pure: it picks the step (1-2-5 seconds, then 10/15/30 s,
1/2/5/10/15/30 min, 1/2/3/6/12 h) that puts a label every ~100 pixels.

With the ``time_axis`` option ``{"clock_start_s": S}`` (the recording's start,
``S`` seconds into its day) the labels are clock times (``23:14:30``, ``d2 ...``
once a clock time comes round again; :mod:`loupe_tui.core.clock`) and the
ticks fall on round clock times; ``None`` is time since the start.
"""

from __future__ import annotations

import math

import numpy as np

from loupe_tui.core.clock import format_clock
from loupe_tui.core.timefmt import format_time
from render.layout import Rect
from render.panels.base import Frame
from render.visuals.rects import Rects

STEPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30,
         60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
LABEL_PX = 100.0
EDGE_PX = 24.0  # no label closer to the data edges than this (it would be cut)


def ticks(t0: float, t1: float, width_px: float, label_px: float = LABEL_PX) -> tuple[np.ndarray, float]:
    """Tick times in ``[t0, t1]`` and the step, about one per ``label_px`` pixels."""
    span = max(t1 - t0, 1e-9)
    want = span * label_px / max(width_px, 1.0)
    step = next((s for s in STEPS if s >= want), STEPS[-1] * math.ceil(want / STEPS[-1]))
    first = math.ceil(t0 / step - 1e-9) * step
    return np.arange(first, t1 + 1e-9 * step, step), float(step)


def tick_label(t: float, step: float, clock_start_s: float | None = None) -> str:
    """``h:mm:ss`` (or the clock time, given the start's seconds into its day) with as many
    decimals as the step needs."""
    decimals = 0 if step >= 1 else min(3, int(math.ceil(-math.log10(step) - 1e-9)))
    if clock_start_s is not None:
        return format_clock(t, clock_start_s, decimals)
    return format_time(t, decimals=decimals)


class TimeAxis:
    """Ticks under the data area and faint grid lines across it."""

    def __init__(self):
        self._ticks = Rects()
        self._grid = Rects()
        self._labels: list[tuple[str, float, float]] = []

    def update(self, frame: Frame, axis: Rect, data: Rect) -> None:
        clock = frame.state.option("time_axis", "clock_start_s", None)
        shift = float(clock) if clock is not None else 0.0       # ticks on round clock times
        ts, step = ticks(frame.t0 + shift, frame.t1 + shift, data.w)
        ts = ts - shift
        xs = frame.x_of(ts, data)
        ok = (xs >= data.x) & (xs <= data.x1)
        xs, ts = xs[ok], ts[ok]
        edge = EDGE_PX
        self._labels = [(tick_label(t, step, clock), x, axis.y + 14) for t, x in zip(ts, xs)
                        if data.x + edge <= x <= data.x1 - edge]
        self._ticks.set(np.stack([xs - 0.5, np.full_like(xs, axis.y), xs + 0.5, np.full_like(xs, axis.y + 5)], -1),
                        (150, 150, 160, 255))
        self._grid.set(np.stack([xs - 0.5, np.full_like(xs, data.y), xs + 0.5, np.full_like(xs, data.y1)], -1),
                       (255, 255, 255, 18))

    def draw_grid(self, frame: Frame) -> None:
        frame.whole()
        self._grid.draw(frame.size)

    def draw(self, frame: Frame) -> None:
        frame.whole()
        self._ticks.draw(frame.size)

    def texts(self) -> list[tuple[str, float, float]]:
        return self._labels
