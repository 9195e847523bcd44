"""Global event markers: vertical lines across every pane, styled per class.

For a window, :meth:`GlobalEventMarkers.window` gives one
:class:`EventClassFrame` per class (in the config's class order; draw them in
that order, after everything else, so markers stay on top of label shading):
the x positions of the class's events in ``[t0, t1)`` (at most one per
pixel column: the first event in each column), and its resolved style
(RGBA with ``line_alpha``, width in px, line style).

Line styles follow Qt's pen patterns (Loupe draws with Qt), in units of the
line width: ``dashed`` 4 on / 2 off, ``dotted`` 1 / 2, ``dashdot`` 4 / 2 / 1 / 2,
``dashdotdot`` 4 / 2 / 1 / 2 / 1 / 2. The pattern starts at the top of each
pane (y = 0, y grows downwards). A GL panel can use either

* :func:`dash_segments`: the on-runs ``[y0, y1)`` of a pane ``height_px``
  tall, the same for every line of the class, so
  :meth:`EventClassFrame.vertices` is one ``GL_LINES`` draw per class; or
* :func:`dash_mask`: one period of the pattern as a 1-D uint8 texture
  (255 on, 0 off, one texel per pixel) for a fragment shader that discards
  where ``mask[int(y) % period] == 0``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from loupe_tui.io.events import LINE_STYLES, EventStyle

#: On/off run lengths of each line style, in line widths (Qt's pen patterns).
DASH_PATTERNS: dict[str, tuple[float, ...]] = {
    "solid": (),
    "dashed": (4.0, 2.0),
    "dotted": (1.0, 2.0),
    "dashdot": (4.0, 2.0, 1.0, 2.0),
    "dashdotdot": (4.0, 2.0, 1.0, 2.0, 1.0, 2.0),
}
assert set(DASH_PATTERNS) == set(LINE_STYLES)


def _check_style(line_style: str) -> tuple[float, ...]:
    if line_style not in DASH_PATTERNS:
        raise ValueError(f"line style must be one of {', '.join(LINE_STYLES)}, got {line_style!r}")
    return DASH_PATTERNS[line_style]


def dash_runs(line_style: str, width_px: float) -> np.ndarray:
    """On/off run lengths in pixels (on first), the pattern scaled by ``max(width_px, 1)``; empty for solid."""
    return np.asarray(_check_style(line_style), dtype=np.float64) * max(float(width_px), 1.0)


def dash_segments(line_style: str, width_px: float, height_px: float, phase_px: float = 0.0) -> np.ndarray:
    """The drawn runs of a vertical line ``height_px`` tall: ``(k, 2)`` float32 ``[y0, y1)`` from the top.

    ``phase_px`` shifts the pattern up (the run that starts at ``y = phase_px``
    in the unshifted pattern starts at ``y = 0``). Solid gives one segment
    ``[0, height_px)``; a zero height gives none.
    """
    h = float(height_px)
    if h <= 0:
        return np.zeros((0, 2), np.float32)
    runs = dash_runs(line_style, width_px)
    if runs.size == 0:
        return np.array([[0.0, h]], np.float32)
    period = runs.sum()
    ends = np.cumsum(runs)
    on0, on1 = (ends - runs)[0::2], ends[0::2]  # on-runs within one period
    phase = float(phase_px) % period
    reps = np.arange(int(np.ceil((h + phase) / period)) + 1)[:, None] * period - phase
    y0, y1 = (on0[None, :] + reps).ravel(), (on1[None, :] + reps).ravel()
    y0, y1 = np.clip(y0, 0, h), np.clip(y1, 0, h)
    keep = y1 > y0
    return np.stack([y0[keep], y1[keep]], axis=1).astype(np.float32)


def dash_mask(line_style: str, width_px: float) -> np.ndarray:
    """One period of the pattern, one uint8 texel per pixel (255 on, 0 off); ``[255]`` for solid.

    Runs are rounded to whole pixels, at least 1 each.
    """
    runs = dash_runs(line_style, width_px)
    if runs.size == 0:
        return np.array([255], np.uint8)
    px = np.maximum(np.round(runs).astype(np.int64), 1)
    return np.repeat(np.tile(np.array([255, 0], np.uint8), len(px) // 2), px)


@dataclass(frozen=True, eq=False)
class EventClassFrame:
    """The markers of one event class in one window.

    Attributes
    ----------
    key : the class value (None without ``style_events_on``).
    style : its :class:`loupe_tui.io.events.EventStyle`.
    rgba : ``(4,)`` uint8 colour, alpha = ``line_alpha``.
    width_px : line width in pixels.
    line_style : ``"solid"``, ``"dashed"``, ``"dotted"``, ``"dashdot"`` or ``"dashdotdot"``.
    t : ``(m,)`` float64 times of the drawn events, increasing.
    x : ``(m,)`` float32 pixels from the left edge (``t0`` -> 0, ``t1`` -> ``n_px``).
    n_in_window : events of the class in the window before the one-per-column cut.
    """

    key: Any
    style: EventStyle
    rgba: np.ndarray
    width_px: float
    line_style: str
    t: np.ndarray
    x: np.ndarray
    n_in_window: int

    def __len__(self) -> int:
        return len(self.t)

    def segments(self, height_px: float, phase_px: float = 0.0) -> np.ndarray:
        """:func:`dash_segments` of this class's style for a pane ``height_px`` tall."""
        return dash_segments(self.line_style, self.width_px, height_px, phase_px)

    def vertices(self, height_px: float, phase_px: float = 0.0) -> np.ndarray:
        """``(2 * m * k, 2)`` float32 ``(x, y)`` pairs of every drawn run of every line, for ``GL_LINES``."""
        seg = self.segments(height_px, phase_px)
        m, k = len(self.x), len(seg)
        v = np.empty((m, k, 2, 2), np.float32)
        v[..., 0] = self.x[:, None, None]
        v[..., 1] = seg[None, :, :]
        return v.reshape(2 * m * k, 2)


class GlobalEventMarkers:
    """All global event classes, ready for window queries.

    Parameters
    ----------
    events : GlobalEventsConfig or sequence of ``(key, EventStyle, times)``
        A config (its :meth:`~loupe_tui.config.GlobalEventsConfig.events`) or
        the same triples; times need not be sorted.
    """

    def __init__(self, events: Any):
        triples = events.events() if hasattr(events, "events") else list(events)
        self.classes: list[tuple[Any, EventStyle, np.ndarray]] = []
        for key, style, times in triples:
            _check_style(style.line_style)
            t = np.sort(np.asarray(times, dtype=np.float64))
            t.flags.writeable = False
            self.classes.append((key, style, t))

    def window(self, t0: float, t1: float, n_px: int, one_per_column: bool = True) -> list[EventClassFrame]:
        """Markers of ``[t0, t1)`` in ``n_px`` columns, one frame per class (empty ones included).

        With ``one_per_column`` (default) a class keeps only its first event in
        each pixel column, so thousands of events cost at most ``n_px`` lines.
        """
        t0, t1, n_px = float(t0), float(t1), int(n_px)
        if not t1 > t0 or n_px < 1:
            raise ValueError(f"window needs t1 > t0 and n_px >= 1, got [{t0}, {t1}) in {n_px} px")
        scale = n_px / (t1 - t0)
        out = []
        for key, style, times in self.classes:
            i, j = np.searchsorted(times, [t0, t1], side="left")
            t = times[i:j]
            if one_per_column and len(t) > 1:
                cols = np.clip(np.floor((t - t0) * scale), 0, n_px - 1)
                t = t[np.r_[True, cols[1:] != cols[:-1]]]
            out.append(EventClassFrame(key=key, style=style, rgba=np.asarray(style.color, np.uint8),
                                       width_px=float(style.line_width), line_style=style.line_style,
                                       t=t, x=((t - t0) * scale).astype(np.float32), n_in_window=int(j - i)))
        return out

