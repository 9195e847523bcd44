"""Labels in the window: the label strip above the plots and translucent overlays across them.

Both come from the same ``1 x n_px`` image: per pixel column the state that
covers most of it (see :meth:`render.labelspans.LabelSpans.columns`). The
strip draws it opaque; the overlay draws it over every plot panel at the
``label_overlays`` alpha (0-255, Loupe's "interval label alpha").

Options: ``label_overlays`` ``{"visible": bool, "alpha": 0-255}``,
``label_strip`` ``{"visible": bool}``.
"""

from __future__ import annotations

from render.labelspans import column_colors
from render.layout import Rect
from render.panels.base import Frame
from render.visuals.image import ImageQuad

DEFAULT_ALPHA = 60


class LabelLayers:
    """Label strip and label overlays (one texture, drawn twice)."""

    def __init__(self):
        self._image = ImageQuad()
        self._key: tuple | None = None

    def update(self, frame: Frame, n_px: int) -> None:
        st = frame.state
        key = (frame.t0, frame.t1, n_px, st.labels.version, tuple(st.colors.items()))
        if key == self._key:
            return
        self._key = key
        cols = st.labels.columns(frame.t0, frame.t1, n_px)
        palette = st.palette()
        palette[:, 3] = 255  # opaque here; the overlay's alpha is an option, the strip is solid
        self._image.set_image(column_colors(cols, palette)[None])

    def draw_overlays(self, frame: Frame, panel_rects: list[Rect]) -> None:
        st = frame.state
        if not st.option("label_overlays", "visible", True):
            return
        alpha = float(st.option("label_overlays", "alpha", DEFAULT_ALPHA)) / 255.0
        for r in panel_rects:
            frame.viewport(r)
            self._image.draw(alpha=alpha)

    def draw_strip(self, frame: Frame, strip: Rect | None) -> None:
        if strip is None or not frame.state.option("label_strip", "visible", True):
            return
        frame.viewport(strip)
        self._image.draw(alpha=1.0)
