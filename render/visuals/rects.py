"""Axis-aligned filled rectangles in pixels, one draw call for a batch.

Vertical lines are thin rectangles too (cursor, grid, event markers, raster
ticks), which gives any width without wide-line support. A rectangle may be
dashed along y: it names one of the batch's dash patterns (one period, one
texel per pixel, 255 = drawn, as :func:`render.prep.events.dash_mask` makes
them), which repeats from the rectangle's top.
"""

from __future__ import annotations

import numpy as np
from vispy import gloo

VERT = """
attribute vec2 a_pos;          // pixels, origin at the viewport's top-left
attribute vec4 a_color;
attribute vec3 a_dash;         // pattern row (-1: solid), period (px), top of the rectangle (px)
uniform vec2 u_size;
varying vec4 v_color;
varying vec3 v_dash;
varying float v_y;
void main() {
    v_color = a_color;
    v_dash = a_dash;
    v_y = a_pos.y;
    gl_Position = vec4(2.0 * a_pos.x / u_size.x - 1.0, 1.0 - 2.0 * a_pos.y / u_size.y, 0.0, 1.0);
}
"""

FRAG = """
uniform sampler2D u_masks;     // n_patterns x longest period
uniform vec2 u_masks_shape;    // (longest period, n_patterns)
varying vec4 v_color;
varying vec3 v_dash;
varying float v_y;
void main() {
    if (v_dash.x >= 0.0) {
        float k = mod(floor(v_y - v_dash.z), v_dash.y);
        float on = texture2D(u_masks, vec2((k + 0.5) / u_masks_shape.x, (v_dash.x + 0.5) / u_masks_shape.y)).r;
        if (on < 0.5) discard;
    }
    gl_FragColor = v_color;
}
"""

_CORNERS = np.array([[0, 1], [2, 1], [0, 3], [2, 1], [2, 3], [0, 3]])  # (x index, y index) into x0 y0 x1 y1


class Rects:
    """A batch of rectangles ``(x0, y0, x1, y1)`` in viewport pixels with RGBA colours."""

    def __init__(self):
        self._program = gloo.Program(VERT, FRAG)
        self._pos = gloo.VertexBuffer(np.zeros((6, 2), np.float32))
        self._color = gloo.VertexBuffer(np.zeros((6, 4), np.float32))
        self._dash = gloo.VertexBuffer(np.full((6, 3), -1.0, np.float32))
        self._masks = gloo.Texture2D(np.full((1, 1), 255, np.uint8), interpolation="nearest")
        self._program["a_pos"] = self._pos
        self._program["a_color"] = self._color
        self._program["a_dash"] = self._dash
        self._program["u_masks"] = self._masks
        self._program["u_masks_shape"] = (1.0, 1.0)
        self._periods = np.ones(1, np.float32)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def set_patterns(self, masks: list[np.ndarray]) -> None:
        """Dash patterns the rectangles may name: one period each, uint8 per pixel (0 = gap)."""
        masks = [np.asarray(m, np.uint8).ravel() for m in masks] or [np.full(1, 255, np.uint8)]
        width = max(len(m) for m in masks)
        table = np.zeros((len(masks), width), np.uint8)
        for i, m in enumerate(masks):
            table[i, :len(m)] = m
        self._masks.set_data(table)
        self._program["u_masks_shape"] = (float(width), float(len(masks)))
        self._periods = np.array([len(m) for m in masks], np.float32)

    def set(self, rects: np.ndarray, colors, pattern=None) -> None:
        """Replace the batch.

        Parameters
        ----------
        rects : array ``(n, 4)``
            ``x0, y0, x1, y1`` in pixels of the viewport it is drawn into.
        colors : array ``(n, 4)`` or one RGBA, 0-255
        pattern : array ``(n,)`` of int, optional
            Index into :meth:`set_patterns` per rectangle, -1 = solid (default).
        """
        r = np.asarray(rects, np.float32).reshape(-1, 4)
        n = len(r)
        self._n = n
        if n == 0:
            return
        pos = np.empty((n, 6, 2), np.float32)
        pos[..., 0] = r[:, _CORNERS[:, 0]]
        pos[..., 1] = r[:, _CORNERS[:, 1]]
        col = np.broadcast_to(np.asarray(colors, np.float32).reshape(-1, 4) / 255.0, (n, 4))
        dash = np.full((n, 3), -1.0, np.float32)
        if pattern is not None:
            p = np.broadcast_to(np.asarray(pattern, np.int64), (n,))
            on = p >= 0
            dash[on, 0] = p[on]
            dash[on, 1] = self._periods[p[on]]
            dash[on, 2] = r[on, 1]
        self._pos.set_data(pos.reshape(-1, 2))
        self._color.set_data(np.repeat(col, 6, axis=0).astype(np.float32))
        self._dash.set_data(np.repeat(dash, 6, axis=0))

    def draw(self, size: tuple[int, int]) -> None:
        """Draw into the current viewport of ``size = (w, h)`` pixels."""
        if self._n:
            self._program["u_size"] = (float(size[0]), float(size[1]))
            self._program.draw("triangles")
