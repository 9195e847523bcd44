"""Raster panels: discrete events as short vertical ticks, one row per ``order_by`` value.

A window with at most one event per (row, pixel column) cell on average
draws every event as a thin rectangle (:meth:`RasterIndex.window`), in one
call. A window with more events than cells (24 h of 2 M spikes) draws the
cells instead: one texel per cell whose opacity grows with its number of
events (:meth:`RasterIndex.density`), as a band of ``event_height`` of the
row, so a frame costs the same whatever the number of events.

Options (target ``raster`` or ``panel:<i>``): ``{"proportional": bool}``
(Loupe's Proportional Raster Plots, on by default: heights follow row
counts), ``{"brightness": 1.5}``, ``{"event_height": 0.8}``,
``{"thickness": 1.0}``, ``{"visible": false}``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from render.panels.base import GUTTER_CHAR_PX, GUTTER_TEXT_X, Frame, Panel, fit_gutter
from render.prep.raster import RasterIndex
from render.visuals.rects import Rects
from render.visuals.row_bands import RowBands

OPTIONS = ("proportional", "brightness", "event_height", "thickness", "visible")
ROW_PX = 6.0  # height per row when proportional


class RasterPanel(Panel):
    """One raster subplot (``RasterConfig`` gives one per ``split_by`` group)."""

    kind = "raster"

    def __init__(self, op, index, state):
        super().__init__(op, index, state)
        a = op.arrays
        panel = SimpleNamespace(key=None, title=self.spec.get("title", ""), times=a["times"], rows=a["rows"],
                                row_labels=self.spec.get("row_labels") or sorted(set(a["rows"].tolist())),
                                colors=a["colors"])
        self.events = RasterIndex(panel)
        self.opts = {"proportional": True, "brightness": 1.0, "event_height": 0.8, "thickness": 1.0,
                     "visible": True}
        self._ticks = Rects()
        self._cells = RowBands()
        self.draws_cells = False  # the last window drew the density image, not ticks
        self._window: tuple | None = None

    def weight(self):
        n = max(self.events.n_rows, 1)
        if self.opts["proportional"]:
            return n * ROW_PX / 20.0, min(n * 2.0, 80.0)
        return 4.0, 40.0

    def targets(self):
        return [*super().targets(), "raster", f"raster:{self.ordinal}"]

    def target_at(self, x, y):
        return f"raster:{self.ordinal}"

    def set_option(self, target, options):
        for k in OPTIONS:
            if k in options:
                self.opts[k] = bool(options[k]) if k in ("proportional", "visible") else float(options[k])
        if "proportional" in options:
            self.state.dirty.add("layout")
        if self._window is not None:
            self.update(*self._window)
        return [k for k in options if k not in OPTIONS]

    def update(self, t0, t1, n_px):
        self._window = (t0, t1, n_px)
        o = self.opts
        brightness = max(o["brightness"], 0.0)
        self.draws_cells = self.events.wants_density(t0, t1, n_px)
        if self.draws_cells:
            self._cells.set_image(self.events.density(t0, t1, n_px, brightness=brightness).rgba)
            return
        f = self.events.window(t0, t1, n_px, max(self.data.h, 1.0), event_height=self._event_height(),
                               brightness=brightness, thickness_px=max(o["thickness"], 0.5), decimate=False)
        half = f.thickness_px / 2
        rects = np.stack([f.x - half, f.y0, f.x + half, f.y1], axis=-1) if len(f) else np.zeros((0, 4))
        self._ticks.set(rects, f.rgba if len(f) else np.zeros((0, 4)))

    def _event_height(self) -> float:
        return min(max(self.opts["event_height"], 0.05), 1.0)

    def draw(self, frame: Frame) -> None:
        self.draw_focus_bar(frame)
        if not self.opts["visible"]:
            return
        size = frame.viewport(self.data)
        if self.draws_cells:
            self._cells.draw(size, max(self.data.h, 1.0) / max(self.events.n_rows, 1), self._event_height())
        else:
            self._ticks.draw(size)

    def texts(self):
        title = self.spec.get("title") or "raster"
        n = self.events.n_rows
        full = f"{title} ({n} rows)"
        text = full if len(full) * GUTTER_CHAR_PX <= self.gutter_room else fit_gutter(title, self.gutter_room, f" ({n})")
        return [(text, GUTTER_TEXT_X, self.data.y + self.data.h / 2)]
