"""An RGBA image of rows x pixel columns, each row drawn as a band centred in its row.

The raster's density image (:meth:`render.prep.raster.RasterIndex.density`):
texel ``(r, j)`` colours pixel column ``j`` of row ``r`` over the middle
``band`` fraction of the row's height. Each row is one rectangle with the
corners of a tick of ``event_height = band`` in that row, so the rasterizer
lights exactly the pixels the ticks light (also where an edge falls on a
pixel centre) and switching between ticks and cells keeps rows where they
were. Only the bands are shaded: one texture upload of ``rows x columns``
texels and ``rows`` rectangles per frame, whatever the number of events.
"""

from __future__ import annotations

import numpy as np
from vispy import gloo

VERT = """
attribute vec2 a_pos;         // pixels from the viewport's top-left
attribute float a_row;        // image row of the band
uniform vec2 u_size;          // viewport size in pixels
varying float v_x;
varying float v_row;
void main() {
    v_x = a_pos.x;
    v_row = a_row;
    gl_Position = vec4(2.0 * a_pos.x / u_size.x - 1.0, 1.0 - 2.0 * a_pos.y / u_size.y, 0.0, 1.0);
}
"""

FRAG = """
uniform sampler2D u_image;    // n_rows x n_cols
uniform vec2 u_shape;         // (n_cols, n_rows)
uniform vec2 u_size;          // viewport size (n_cols wide when a texel is a pixel column)
varying float v_x;
varying float v_row;
void main() {
    vec4 c = texture2D(u_image, vec2((floor(v_x) + 0.5) / u_size.x, (floor(v_row) + 0.5) / u_shape.y));
    if (c.a <= 0.0) discard;
    gl_FragColor = c;
}
"""

_CORNERS = np.array([[0, 0], [1, 0], [0, 1], [1, 0], [1, 1], [0, 1]], np.float32)  # two triangles


class RowBands:
    """A ``(rows, columns, 4)`` uint8 image drawn one texel per pixel column, rows as centred bands."""

    def __init__(self):
        self._program = gloo.Program(VERT, FRAG)
        self._pos = gloo.VertexBuffer(np.zeros((6, 2), np.float32))
        self._row = gloo.VertexBuffer(np.zeros(6, np.float32))
        self._program["a_pos"] = self._pos
        self._program["a_row"] = self._row
        self._texture = gloo.Texture2D(np.zeros((1, 1, 4), np.uint8), interpolation="nearest")
        self._program["u_image"] = self._texture
        self._shape = (0, 0)
        self._geometry: tuple | None = None

    def set_image(self, rgba: np.ndarray) -> None:
        """``(rows, columns, 4)`` uint8; row 0 at the top; an empty image draws nothing."""
        a = np.ascontiguousarray(rgba, np.uint8)
        self._shape = (a.shape[1], a.shape[0])
        if a.size:
            self._texture.set_data(a)

    def draw(self, size: tuple[int, int], row_h: float, band: float) -> None:
        """Draw into the current viewport of ``size = (w, h)`` pixels.

        Parameters
        ----------
        size : the viewport size; one pixel column per image column.
        row_h : pixels per row (row ``r`` spans ``[r * row_h, (r + 1) * row_h)`` from the top).
        band : fraction (0-1] of each row drawn, centred in it.
        """
        n_cols, n_rows = self._shape
        if not (n_cols and n_rows) or row_h <= 0:
            return
        geometry = (n_rows, float(size[0]), float(row_h), float(band))
        if geometry != self._geometry:
            self._geometry = geometry
            self._pos.set_data(band_corners(n_rows, float(size[0]), row_h, band))
            self._row.set_data(np.repeat(np.arange(n_rows, dtype=np.float32), 6))
        p = self._program
        p["u_size"] = (float(size[0]), float(size[1]))
        p["u_shape"] = (float(n_cols), float(n_rows))
        p.draw("triangles")


def band_corners(n_rows: int, width: float, row_h: float, band: float) -> np.ndarray:
    """``(6 n_rows, 2)`` float32 triangle corners of each row's band, as the ticks' (render.prep.raster)."""
    mid = (np.arange(n_rows, dtype=np.float32) + np.float32(0.5)) * np.float32(row_h)
    half = np.float32(0.5 * band * row_h)
    y0, y1 = mid - half, mid + half
    c = np.empty((n_rows, 6, 2), np.float32)
    c[..., 0] = _CORNERS[:, 0] * np.float32(width)
    c[..., 1] = np.where(_CORNERS[:, 1] == 0, y0[:, None], y1[:, None])
    return c.reshape(-1, 2)
