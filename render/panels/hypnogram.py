"""The hypnogram: labels of the whole recording, one row per state, with the
current window as a translucent region.

A row is lit in every pixel column where its state covers any time, so a
brief REM bout stays visible at 24 h. Zoomed (``hypnogram`` option
``{"zoom": true}``, Loupe's ``z``), it shows a stretch around the window
instead (:func:`loupe_tui.core.overview.zoom_range`: 20 windows or 30 min,
whichever is longer, never past the recording; the terminal's follows the
same rule).

Clicks map to recording time (``Clicked(panel="hypnogram")``).
"""

from __future__ import annotations

import numpy as np

from loupe_tui.core.overview import zoom_range
from render.layout import Rect
from render.panels.base import Frame
from render.panels.time_axis import tick_label, ticks
from render.visuals.image import ImageQuad
from render.visuals.rects import Rects

NAME_W = 52
AXIS_H = 14
WINDOW_RGBA = (255, 255, 255, 70)
WINDOW_EDGE_RGBA = (255, 255, 255, 170)


class Hypnogram:
    """Whole-recording label overview."""

    def __init__(self, span: tuple[float, float]):
        self.span = (float(span[0]), float(span[1]))
        self.rect: Rect | None = None
        self.bars: Rect | None = None
        self._image = ImageQuad()
        self._marks = Rects()
        self._bg = Rects()
        self._key: tuple | None = None
        self._texts: list[tuple[str, float, float]] = []
        self.view = self.span

    def set_rect(self, rect: Rect | None) -> None:
        self.rect = rect
        self.bars = None if rect is None else Rect(rect.x + NAME_W, rect.y + 4, rect.w - NAME_W - 4,
                                                   rect.h - AXIS_H - 8)

    def view_range(self, frame: Frame) -> tuple[float, float]:
        """Time range shown: the whole recording (and labels), or a zoomed stretch."""
        a, b = self.span
        ext = frame.state.labels.extent()
        if ext is not None:
            a, b = min(a, ext[0]), max(b, ext[1])
        b = max(b, a + 1e-6)
        if not frame.state.option("hypnogram", "zoom", False):
            return a, b
        return zoom_range((a, b), frame.t0, frame.t1)

    def time_at(self, x: float) -> float | None:
        """Recording time under canvas pixel x (None outside the bars)."""
        if self.bars is None or not (self.bars.x <= x < self.bars.x1):
            return None
        a, b = self.view
        return a + (x - self.bars.x) / self.bars.w * (b - a)

    def update(self, frame: Frame) -> None:
        if self.bars is None or not frame.state.option("hypnogram", "visible", True):
            return
        st = frame.state
        self.view = a, b = self.view_range(frame)
        n_px = max(int(self.bars.w), 1)
        clock = st.option("time_axis", "clock_start_s", None)
        key = (a, b, self.bars, st.labels.version, tuple(st.colors.items()), clock)   # bars: names and ticks move
        n_states = len(st.labels.states)
        if key != self._key:
            self._key = key
            img = np.zeros((max(n_states, 1), n_px, 4), np.uint8)
            if n_states:
                cov = st.labels.coverage(a, b, n_px)
                pal = st.palette()
                pal[:, 3] = 255
                for i in range(n_states):
                    img[i, cov[i] > 0] = pal[i]
            self._image.set_image(img)
            rh = self.bars.h / max(n_states, 1)
            self._texts = [(s, self.rect.x + 4, self.bars.y + (i + 0.5) * rh) for i, s in enumerate(st.labels.states)]
            shift = float(clock) if clock is not None else 0.0        # round clock times on the clock
            ts, step = ticks(a + shift, b + shift, self.bars.w, 80)
            ts = ts - shift
            xs = self.bars.x + (ts - a) / (b - a) * self.bars.w
            self._ticks = [(tick_label(t, max(step, 1), clock), x, self.bars.y1 + 9) for t, x in zip(ts, xs)
                           if self.bars.x + 20 <= x <= self.bars.x1 - 20]
        x0 = self.bars.x + (frame.t0 - a) / (b - a) * self.bars.w
        x1 = self.bars.x + (frame.t1 - a) / (b - a) * self.bars.w
        x0, x1 = max(x0, self.bars.x), min(max(x1, x0 + 2), self.bars.x1)
        y0, y1 = self.bars.y, self.bars.y1
        rects = [(x0, y0, x1, y1), (x0 - 0.5, y0, x0 + 0.5, y1), (x1 - 0.5, y0, x1 + 0.5, y1)]
        colors = [WINDOW_RGBA, WINDOW_EDGE_RGBA, WINDOW_EDGE_RGBA]
        if st.cursor is not None and a <= st.cursor <= b:
            xc = self.bars.x + (st.cursor - a) / (b - a) * self.bars.w
            rects.append((xc - 0.5, y0, xc + 0.5, y1))
            colors.append((255, 215, 0, 200))
        self._marks.set(np.array(rects, np.float32), np.array(colors, np.float32))
        self._bg.set(np.array([(self.rect.x, self.rect.y, self.rect.x1, self.rect.y1),
                               (self.bars.x, self.bars.y, self.bars.x1, self.bars.y1)], np.float32),
                     np.array([(24, 24, 30, 255), (14, 14, 18, 255)], np.float32))

    def draw(self, frame: Frame) -> None:
        if self.bars is None or not frame.state.option("hypnogram", "visible", True):
            return
        frame.whole()
        self._bg.draw(frame.size)
        frame.viewport(self.bars)
        self._image.draw()
        frame.whole()
        self._marks.draw(frame.size)

    def texts(self) -> tuple[list, list]:
        """(state names, tick labels)."""
        if self.bars is None:
            return [], []
        return self._texts, getattr(self, "_ticks", [])
