"""Global event markers: vertical lines across every plot panel, on top of label shading.

Which events a window shows (at most one per pixel column and class) and how
each class looks (colour with ``line_alpha``, width, solid/dashed/dotted ...)
come from :class:`render.prep.events.GlobalEventMarkers`; here each line is a
thin rectangle per panel, dashed by the fragment shader with the class's
pattern, which restarts at the top of every panel. All classes, all panels:
one draw call.

Options (target ``events``): ``{"visible": bool}``.
"""

from __future__ import annotations

import numpy as np

from loupe_tui.io.events import EventStyle
from render.layout import Rect
from render.panels.base import Frame
from render.prep.events import GlobalEventMarkers, dash_mask
from render.visuals.rects import Rects


class EventLines:
    """The spec's global events (``spec["events"]``), drawn over the plot panels."""

    def __init__(self, events: list[dict]):
        triples = [(e.get("cls"), EventStyle(color=tuple(int(c) for c in e["color"]), line_style=e["line_style"],
                                             line_width=float(e["line_width"]), line_alpha=int(e["color"][3])),
                    np.asarray(e["times"], np.float64)) for e in events]
        self.markers = GlobalEventMarkers(triples)
        self._rects = Rects()
        self._rects.set_patterns([dash_mask(s.line_style, s.line_width) for _, s, _ in self.markers.classes])
        self._solid = [s.line_style == "solid" for _, s, _ in self.markers.classes]

    def __len__(self) -> int:
        return len(self.markers.classes)

    def update(self, frame: Frame, data: Rect, panels: list[Rect]) -> None:
        rects, colors, pattern = [], [], []
        if len(self) and panels:
            n_px = max(int(round(data.w)), 1)
            for k, cls in enumerate(self.markers.window(frame.t0, frame.t1, n_px)):
                if not len(cls):
                    continue
                x = data.x + cls.x.astype(np.float64)
                half = max(cls.width_px, 1.0) / 2
                for p in panels:
                    r = np.stack([x - half, np.full_like(x, p.y), x + half, np.full_like(x, p.y1)], axis=-1)
                    rects.append(r)
                    colors.append(np.tile(cls.rgba.astype(np.float32), (len(x), 1)))
                    pattern.append(np.full(len(x), -1 if self._solid[k] else k))
        if rects:
            self._rects.set(np.concatenate(rects), np.concatenate(colors), np.concatenate(pattern))
        else:
            self._rects.set(np.zeros((0, 4)), np.zeros((0, 4)))

    def draw(self, frame: Frame) -> None:
        if frame.state.option("events", "visible", True):
            frame.whole()
            self._rects.draw(frame.size)
