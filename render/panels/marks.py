"""Marks across all plot panels: the cursor line, the selection span, epoch borders.

All plot panels share one x range, so each mark is one rectangle spanning
the data area from the first panel's top to the last panel's bottom. Epoch
borders go under the plots; the selection (translucent) and the cursor go
over them, so they show on opaque panels (heatmaps) too.

Options: ``epochs`` ``{"epoch_len": s, "t_start": s}`` (borders are drawn
when at least 8 pixels apart), ``cursor`` / ``selection`` ``{"visible": bool}``,
``ruler`` ``{"marks": [t0, t1]}`` (the keyboard ruler's ends, cyan lines with a
faint band between them; the reading is in the terminal's status line).
"""

from __future__ import annotations

import math

import numpy as np

from render.layout import Rect
from render.panels.base import Frame
from render.visuals.rects import Rects

CURSOR_RGBA = (255, 215, 0, 255)
SELECTION_RGBA = (120, 170, 255, 70)
SELECTION_EDGE_RGBA = (120, 170, 255, 200)
RULER_RGBA = (0, 220, 220, 255)
RULER_BAND_RGBA = (0, 220, 220, 40)
EPOCH_RGBA = (255, 255, 255, 28)
MIN_EPOCH_PX = 8.0


class Marks:
    """Cursor, selection and epoch borders."""

    def __init__(self):
        self._under = Rects()       # epoch borders: under the plots
        self._selection = Rects()   # over the plots (a heatmap is opaque), under events and the cursor
        self._cursor = Rects()

    def update(self, frame: Frame, data: Rect) -> None:
        st = frame.state
        rects, colors = [], []
        ep = st.options.get("epochs", {})
        length = float(ep.get("epoch_len", 0) or 0)
        if length > 0 and data.w * length / (frame.t1 - frame.t0) >= MIN_EPOCH_PX:
            start = float(ep.get("t_start", 0.0))
            k0 = math.ceil((frame.t0 - start) / length)
            k1 = math.floor((frame.t1 - start) / length)
            if k1 - k0 < 2000:
                xs = frame.x_of(start + np.arange(k0, k1 + 1) * length, data)
                rects += [(x - 0.5, data.y, x + 0.5, data.y1) for x in xs]
                colors += [EPOCH_RGBA] * len(xs)
        self._under.set(np.array(rects, np.float32).reshape(-1, 4), np.array(colors, np.float32).reshape(-1, 4))
        rects, colors = [], []
        if st.selection is not None and st.option("selection", "visible", True):
            a, b = frame.x_of(np.array(st.selection), data)
            a, b = max(a, data.x), min(b, data.x1)
            if b > a:
                rects += [(a, data.y, b, data.y1), (a - 0.5, data.y, a + 0.5, data.y1), (b - 0.5, data.y, b + 0.5, data.y1)]
                colors += [SELECTION_RGBA, SELECTION_EDGE_RGBA, SELECTION_EDGE_RGBA]
        marks = [float(t) for t in st.option("ruler", "marks", None) or []]
        xs = [float(frame.x_of(t, data)) for t in marks]
        if len(xs) == 2 and min(xs[1], data.x1) > max(xs[0], data.x):
            rects.append((max(xs[0], data.x), data.y, min(xs[1], data.x1), data.y1))
            colors.append(RULER_BAND_RGBA)
        for x in xs:
            if data.x - 1 <= x <= data.x1 + 1:
                rects.append((x - 1.0, data.y, x + 1.0, data.y1))
                colors.append(RULER_RGBA)
        self._selection.set(np.array(rects, np.float32).reshape(-1, 4), np.array(colors, np.float32).reshape(-1, 4))
        cur = []
        if st.cursor is not None and st.option("cursor", "visible", True):
            x = float(frame.x_of(st.cursor, data))
            if data.x - 1 <= x <= data.x1 + 1:
                cur.append((x - 1.0, data.y, x + 1.0, data.y1))
        self._cursor.set(np.array(cur, np.float32).reshape(-1, 4), CURSOR_RGBA)

    def draw_under(self, frame: Frame) -> None:
        frame.whole()
        self._under.draw(frame.size)

    def draw_selection(self, frame: Frame) -> None:
        frame.whole()
        self._selection.draw(frame.size)

    def draw_cursor(self, frame: Frame) -> None:
        frame.whole()
        self._cursor.draw(frame.size)
