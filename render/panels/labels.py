"""Labels in the window: the label strip above the plots and faint shading across them.

All come from the same ``1 x n_px`` image: per pixel column the state that
covers most of it (see :meth:`render.labelspans.LabelSpans.columns`). The
strip draws it opaque: that is where the states are read. The shading draws
it over the trace and raster panels at the ``label_overlays`` alpha (0-255,
Loupe's "interval label alpha"; faint by default,
:data:`~loupe_tui.core.colors.LABEL_SHADING_ALPHA`, so that traces keep their
colour). Heatmaps are not shaded, since a tint would change the colours their
colormap gives meaning to; each gets a thin opaque band of the states just
above it instead (``"heatmaps": true`` shades them too).

Options: ``label_overlays`` ``{"visible": bool, "alpha": 0-255, "heatmaps": bool}``,
``label_strip`` ``{"visible": bool}``.
"""

from __future__ import annotations

from loupe_tui.core.colors import LABEL_SHADING_ALPHA
from render.labelspans import column_colors
from render.layout import Rect
from render.panels.base import Frame
from render.visuals.image import ImageQuad

DEFAULT_ALPHA = LABEL_SHADING_ALPHA
#: The state band above a panel that is not shaded: its height and its gap to the panel (pixels).
BAND_PX = 3.0
BAND_GAP_PX = 1.0


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

    def draw_overlays(self, frame: Frame, panel_rects: list[Rect], shaded: list[bool] | None = None) -> None:
        """Shade the data rectangles of the plot panels; ``shaded[i]`` False (heatmaps) gets
        the thin band above it instead, unless the ``heatmaps`` option asks for shading."""
        st = frame.state
        if not st.option("label_overlays", "visible", True):
            return
        alpha = float(st.option("label_overlays", "alpha", DEFAULT_ALPHA)) / 255.0
        everywhere = bool(st.option("label_overlays", "heatmaps", False))
        for i, r in enumerate(panel_rects):
            if everywhere or shaded is None or shaded[i]:
                frame.viewport(r)
                self._image.draw(alpha=alpha)
            else:
                frame.viewport(Rect(r.x, r.y - BAND_PX - BAND_GAP_PX, r.w, BAND_PX))
                self._image.draw(alpha=1.0)

    def draw_strip(self, frame: Frame, strip: Rect | None) -> None:
        if strip is None or not frame.state.option("label_strip", "visible", True):
            return
        frame.viewport(strip)
        self._image.draw(alpha=1.0)
