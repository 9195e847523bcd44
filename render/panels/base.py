"""What every plot panel is, and what it is given to draw a frame.

A panel is given its rectangle and its spec, draws the window ``[t0, t1)``
and never reads the socket (STYLE.md). :class:`Frame` carries the per-frame
context: the canvas, the window, the view state, and helpers that point GL
at a rectangle.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from vispy import gloo
from vispy.gloo import gl

from loupe_tui.viewspec import OpenPanel
from render.layout import Rect
from render.state import ViewState
from render.visuals.text import screen_dpi, text_width


@dataclass
class Frame:
    """Per-frame drawing context.

    Attributes
    ----------
    canvas : vispy Canvas
    size : (w, h)
        Framebuffer size in pixels.
    t0, t1 : float
        The window drawn.
    state : ViewState
    ratio : float
        Framebuffer pixels per logical pixel (text and mouse use logical pixels).
    """

    canvas: object
    size: tuple[int, int]
    t0: float
    t1: float
    state: ViewState
    ratio: float = 1.0

    def viewport(self, r: Rect) -> tuple[int, int]:
        """Point GL (viewport and scissor) at ``r``; returns its size in pixels."""
        x, w, h = int(round(r.x)), max(int(round(r.w)), 1), max(int(round(r.h)), 1)
        y = int(round(self.size[1] - r.y - r.h))
        gloo.set_viewport(x, y, w, h)
        gl.glEnable(gl.GL_SCISSOR_TEST)
        gl.glScissor(x, y, w, h)
        return w, h

    def whole(self) -> tuple[int, int]:
        """Point GL at the whole canvas."""
        gloo.set_viewport(0, 0, *self.size)
        gl.glDisable(gl.GL_SCISSOR_TEST)
        return self.size

    def x_of(self, t, data: Rect) -> np.ndarray:
        """Pixel x (canvas) of times ``t`` in the data area."""
        return data.x + (np.asarray(t, np.float64) - self.t0) / (self.t1 - self.t0) * data.w


#: Name-gutter text: left margin, font size (points) and a generous average advance, in pixels.
GUTTER_TEXT_X = 9.0
NAME_PT = 8.0
FOCUS_RGBA = (110, 140, 255, 255)
GUTTER_CHAR_PX = 6.2
#: Height of one line of gutter text (8 pt at 96-100 dpi is 11 px): labels closer than this overlap.
LINE_PX = 12.0
#: Y scale of a trace row: the bar's x (pixels left of the data area), colour, label font size.
SCALE_BAR_DX = 6.0
SCALE_RGBA = (165, 165, 178, 255)
SCALE_PT = 7.0
#: Room the scale bar takes from the right end of the names.
SCALE_ROOM_PX = 12.0


def shorten_middle(text: str, n: int) -> str:
    """``text`` in at most ``n`` characters, its middle replaced by an ellipsis.

    Both ends are kept (the tail gets the odd character): names that share a head
    (``region=CA1``, ``region=cortex``) or a tail (``CA1-left``, ``CA3-left``) stay
    told apart.
    """
    if len(text) <= n:
        return text
    if n < 2:
        return text[:max(n, 0)]
    keep = n - 1
    tail = (keep + 1) // 2
    return text[:keep - tail] + "…" + text[len(text) - tail:]


def fit_gutter(text: str, room_px: float, suffix: str = "", font_size: float = NAME_PT) -> str:
    """``text + suffix`` shortened in the middle so that it fits ``room_px`` (measured with
    the font's own advances); the suffix is kept whole while at least 4 characters of
    ``text`` fit beside it.

    ``room_px`` below a few characters (no gutter: names are drawn over the
    plot) leaves the text as it is.
    """
    return _fit(text, float(room_px), suffix, font_size, screen_dpi())  # the dpi is part of the key


@functools.lru_cache(maxsize=16384)
def _fit(text: str, room_px: float, suffix: str, font_size: float, _dpi: float) -> str:
    if room_px < 4 * GUTTER_CHAR_PX or text_width(text + suffix, font_size) <= room_px:
        return text + suffix
    for tail, shortest in ((suffix, 4), ("", 2)):
        for n in range(len(text) - 1, shortest - 1, -1):
            cut = shorten_middle(text, n) + tail
            if text_width(cut, font_size) <= room_px:
                return cut
    return shorten_middle(text, 2)


def spread(ys, min_gap: float = LINE_PX) -> list[int]:
    """Indices of the labels to draw at heights ``ys`` so that none overlaps another.

    Top to bottom, a label is kept when it is at least ``min_gap`` below the last one
    kept (ties in height keep the earlier index): the same labels for the same layout.
    """
    ys = np.asarray(ys, np.float64)
    keep: list[int] = []
    last = -np.inf
    for i in np.argsort(ys, kind="stable"):
        if ys[i] - last >= min_gap:
            keep.append(int(i))
            last = ys[i]
    return sorted(keep)


def nice_amount(limit: float) -> float:
    """The largest 1, 2 or 5 x 10^k not above ``limit`` (> 0)."""
    if not np.isfinite(limit) or limit <= 0:
        return 0.0
    k = np.floor(np.log10(limit))
    for m in (5.0, 2.0, 1.0):
        v = m * 10.0 ** k
        if v <= limit * (1 + 1e-9):
            return float(v)
    return float(10.0 ** (k - 1) * 5.0)


def format_amount(value: float, units: str) -> str:
    """``"100 uV"``, ``"0.5 dF/F"``, ``"2e+04"``: a scale value and its unit."""
    text = f"{value:.4g}"
    return f"{text} {units}" if units else text


def scale_bar(units_per_px: float, max_px: float, min_px: float = 4.0) -> tuple[float, float] | None:
    """``(value, length in pixels)`` of a round Y scale bar at most ``max_px`` long, or None
    when no round value is at least ``min_px`` long (a flat or degenerate row)."""
    if not np.isfinite(units_per_px) or units_per_px <= 0 or max_px < min_px:
        return None
    value = nice_amount(units_per_px * max_px)
    px = value / units_per_px
    return (value, px) if px >= min_px else None


class Panel:
    """Base of plot panels (traces, dense, zip, heatmap, raster).

    Subclasses set :attr:`kind` and implement :meth:`update` and :meth:`draw`.

    Parameters
    ----------
    op : OpenPanel
        The panel's spec with its sources opened.
    index : int
        Position in the panel list (target ``panel:<index>``).
    state : ViewState
        Read-only view of what the window was told.

    Attributes
    ----------
    ordinal : int
        Position among the panels of the same kind (target ``heatmap:<ordinal>``).
    """

    kind: ClassVar[str] = ""

    def __init__(self, op: OpenPanel, index: int, state: ViewState):
        self.op = op
        self.spec = op.spec
        self.index = index
        self.ordinal = 0
        self.state = state
        self.rect = Rect(0, 0, 1, 1)
        self.data = Rect(0, 0, 1, 1)

    # -- layout --------------------------------------------------------------
    def weight(self) -> tuple[float, float]:
        """(share of the plot height, minimum height in pixels)."""
        return 4.0, 40.0

    def set_geometry(self, rect: Rect, data: Rect) -> None:
        """Whole panel rectangle (with the name gutter) and its data part."""
        self.rect, self.data = rect, data

    # -- targets and options ---------------------------------------------------
    def targets(self) -> list[str]:
        """Names this panel answers to in SetViewOption / SetFocus."""
        return [f"panel:{self.index}"]

    def target_at(self, x: float, y: float) -> str:
        """The most specific target under canvas pixel ``(x, y)``."""
        return f"panel:{self.index}"

    def set_option(self, target: str, options: dict) -> list[str]:
        """Apply options addressed to ``target``; return the option names not understood."""
        return list(options)

    def set_filters(self, filters, cache_dir) -> bool:
        """Display filters changed (:class:`render.filtered.DisplayFilters`); True when what the
        panel draws changed. Panels of traces implement it; the others draw no traces."""
        return False

    # -- drawing ---------------------------------------------------------------
    def update(self, t0: float, t1: float, n_px: int) -> None:
        """Fetch and upload what the window ``[t0, t1)`` in ``n_px`` columns needs."""

    def pending(self) -> bool:
        """Whether data of the window is still being fetched off the GL thread."""
        return False

    def poll(self) -> bool:
        """Take data that arrived off the GL thread; True when the panel must be drawn again."""
        return False

    def settle(self, timeout: float) -> None:
        """Wait at most ``timeout`` seconds for data still being fetched (then :meth:`poll`)."""

    def draw(self, frame: Frame) -> None:
        """Draw the data (viewport is up to the panel)."""

    def texts(self) -> list[tuple[str, float, float]]:
        """Labels for the name gutter: ``(text, x, y)`` in framebuffer pixels."""
        return []

    def scale_texts(self) -> list[tuple[str, float, float]]:
        """Y scale labels, right-aligned at ``x``: ``(text, x, y)`` in framebuffer pixels."""
        return []

    @property
    def shaded(self) -> bool:
        """Whether label shading goes over this panel by default. Not over heatmaps: a tint
        changes the colours that the colormap gives meaning to (a thin state band goes
        above them instead)."""
        return self.kind != "heatmap"

    def draw_focus_bar(self, frame: Frame) -> None:
        """A bar at the gutter's left edge while Tab has focused this panel (heatmaps, rasters:
        their data is opaque or sparse, so the highlight goes beside it)."""
        st = frame.state
        if st.focus not in (f"{self.kind}:{self.ordinal}", f"panel:{self.index}"):
            return
        if getattr(self, "_focus_bar", None) is None:
            from render.visuals.rects import Rects

            self._focus_bar = Rects()
        size = frame.viewport(self.rect)
        self._focus_bar.set(np.array([(0.0, 0.0, 3.0, self.rect.h)], np.float32), FOCUS_RGBA)
        self._focus_bar.draw(size)

    @property
    def gutter_room(self) -> float:
        """Pixels a gutter text has before it would run into the data."""
        return self.data.x - self.rect.x - GUTTER_TEXT_X - 4.0
