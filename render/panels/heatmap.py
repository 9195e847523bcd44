"""Heatmap panels: one row per trace, time on x, coloured through a colormap.

The image (rows x pixel columns, RGBA) comes from
:class:`render.prep.heatmap.HeatmapRenderer` (decimation by peak or mean,
vmin/vmax, colormap, NaN colour); this panel uploads it as one texture and
draws it over its rectangle.

Options (target ``heatmap:<k>``, the k-th heatmap, or ``panel:<i>``):
``{"vmin": a, "vmax": b}``, ``{"cmap": "viridis"}``,
``{"decim_method": "peak" | "mean"}``, ``{"visible": false}``.
"""

from __future__ import annotations

from loupe_tui.config import HeatmapPanel as HeatmapSpec
from render.panels.base import GUTTER_TEXT_X, Frame, Panel, fit_gutter
from render.prep.heatmap import HeatmapRenderer
from render.visuals.image import ImageQuad

OPTIONS = ("vmin", "vmax", "cmap", "decim_method", "visible")


class HeatmapPanel(Panel):
    """One heatmap subplot (``HeatmapConfig`` gives one per ``split_by`` value)."""

    kind = "heatmap"

    def __init__(self, op, index, state):
        super().__init__(op, index, state)
        s = self.spec
        src = op.sources[0]
        panel = HeatmapSpec(key=None, title=s.get("title", ""), cmap=s.get("cmap", "magma"),
                            vmin=float(s["vmin"]), vmax=float(s["vmax"]),
                            decim_method=s.get("decim_method", "peak"), source=src.source)
        self.renderer = HeatmapRenderer(panel, pyramid=src.pyramid, cache_dir=src.pyramid.path.parent)
        self.visible = True
        self._image = ImageQuad()
        self._window: tuple | None = None

    def weight(self):
        n = self.renderer.n_rows
        return 4.0 + min(n, 64) / 16.0, 40.0

    def targets(self):
        return [*super().targets(), f"heatmap:{self.ordinal}", "heatmap"]

    def target_at(self, x, y):
        return f"heatmap:{self.ordinal}"

    def set_option(self, target, options):
        r = self.renderer
        if "vmin" in options:
            r.vmin = float(options["vmin"])
        if "vmax" in options:
            r.vmax = float(options["vmax"])
        if "cmap" in options:
            r.cmap = options["cmap"]
        if "decim_method" in options and options["decim_method"] in ("peak", "mean"):
            r.decim_method = options["decim_method"]
        if "visible" in options:
            self.visible = bool(options["visible"])
        if self._window is not None:
            self.update(*self._window)
        return [k for k in options if k not in OPTIONS]

    def update(self, t0, t1, n_px):
        self._window = (t0, t1, n_px)
        self._image.set_image(self.renderer.image(t0, t1, n_px))

    def draw(self, frame: Frame) -> None:
        self.draw_focus_bar(frame)
        if self.visible:
            frame.viewport(self.data)
            self._image.draw()

    def texts(self):
        title = self.spec.get("title") or "heatmap"
        names = self.renderer.row_names
        room = self.gutter_room
        out = [(fit_gutter(title, room), GUTTER_TEXT_X, self.data.y + 8)]
        if names:
            out.append((fit_gutter(f"{names[0]} .. {names[-1]}", room, f" ({len(names)})"), GUTTER_TEXT_X,
                        self.data.y + 22))
        return out
