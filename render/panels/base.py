"""What every plot panel is, and what it is given to draw a frame.

A panel is given its rectangle and its spec, draws the window ``[t0, t1)``
and never reads the socket (STYLE.md). :class:`Frame` carries the per-frame
context: the canvas, the window, the view state, and helpers that point GL
at a rectangle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from vispy import gloo
from vispy.gloo import gl

from loupe_tui.viewspec import OpenPanel
from render.layout import Rect
from render.state import ViewState


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


#: Name-gutter text: left margin and a generous average advance of its 8 pt font (96 dpi), in pixels.
GUTTER_TEXT_X = 9.0
FOCUS_RGBA = (110, 140, 255, 255)
GUTTER_CHAR_PX = 6.2


def fit_gutter(text: str, room_px: float, suffix: str = "") -> str:
    """``text + suffix`` cut with an ellipsis so it fits ``room_px`` (the suffix is kept whole).

    ``room_px`` below a few characters (no gutter: names are drawn over the
    plot) leaves the text as it is.
    """
    n = int(room_px // GUTTER_CHAR_PX)
    if n < 4 or len(text) + len(suffix) <= n:
        return text + suffix
    keep = n - len(suffix) - 1
    if keep < 3:                                   # no room for the suffix too
        return text[:n - 1] + "…"
    return text[:keep] + "…" + suffix


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

    # -- drawing ---------------------------------------------------------------
    def update(self, t0: float, t1: float, n_px: int) -> None:
        """Fetch and upload what the window ``[t0, t1)`` in ``n_px`` columns needs."""

    def draw(self, frame: Frame) -> None:
        """Draw the data (viewport is up to the panel)."""

    def texts(self) -> list[tuple[str, float, float]]:
        """Labels for the name gutter: ``(text, x, y)`` in framebuffer pixels."""
        return []

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
