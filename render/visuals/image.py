"""An RGBA image stretched over a rectangle, with an overall opacity.

Used wherever something is already one value per pixel column (or per row
and column): label overlays and the label strip (``1 x n_px``), the
hypnogram (``n_states x n_px``), heatmaps (``rows x n_px``). Nearest
filtering keeps column borders crisp.
"""

from __future__ import annotations

import numpy as np
from vispy import gloo

VERT = """
attribute vec2 a_corner;      // (0, 0) .. (1, 1)
uniform vec4 u_rect;          // x0, y0, x1, y1 in NDC of the viewport
varying vec2 v_uv;
void main() {
    v_uv = vec2(a_corner.x, 1.0 - a_corner.y);    // image row 0 at the top
    gl_Position = vec4(mix(u_rect.xy, u_rect.zw, a_corner), 0.0, 1.0);
}
"""

FRAG = """
uniform sampler2D u_image;
uniform float u_alpha;
varying vec2 v_uv;
void main() {
    vec4 c = texture2D(u_image, v_uv);
    gl_FragColor = vec4(c.rgb, c.a * u_alpha);
}
"""


class ImageQuad:
    """One texture, drawn into a rectangle of the current viewport."""

    def __init__(self):
        self._program = gloo.Program(VERT, FRAG)
        self._program["a_corner"] = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], np.float32)
        self._texture = gloo.Texture2D(np.zeros((1, 1, 4), np.uint8), interpolation="nearest")
        self._program["u_image"] = self._texture
        self._program["u_alpha"] = 1.0
        self._program["u_rect"] = (-1.0, -1.0, 1.0, 1.0)
        self._has_image = False

    def set_image(self, rgba: np.ndarray) -> None:
        """``(rows, cols, 4)`` uint8 (a ``(cols, 4)`` array is one row)."""
        a = np.ascontiguousarray(rgba, np.uint8)
        if a.ndim == 2:
            a = a[None]
        self._texture.set_data(a)
        self._has_image = a.shape[0] > 0 and a.shape[1] > 0

    def draw(self, rect_ndc=(-1.0, -1.0, 1.0, 1.0), alpha: float = 1.0) -> None:
        """Draw over ``(x0, y0, x1, y1)`` (NDC, y up) with opacity ``alpha`` (0-1)."""
        if not self._has_image or alpha <= 0:
            return
        self._program["u_rect"] = tuple(float(v) for v in rect_ndc)
        self._program["u_alpha"] = float(alpha)
        self._program.draw("triangle_strip")
