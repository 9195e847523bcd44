"""Text labels (tick labels, trace names, titles) in canvas pixels, cheap to change.

VisPy's ``TextVisual`` lays out every string again whenever one changes and
costs a few milliseconds per draw; tick labels change on every page flip. This
visual keeps VisPy's signed-distance-field font atlas (glyphs are rasterised
once) but lays out each distinct string once, caches its quads, and per frame
only concatenates cached quads with their anchor points: one upload, one
draw call, well under a millisecond.
"""

from __future__ import annotations

import functools

import numpy as np
from vispy import gloo
from vispy.visuals.text.text import FontManager, _text_to_vbo

VERT = """
attribute vec2 a_anchor;      // canvas pixels, origin top-left
attribute vec2 a_position;    // glyph corner, font units (y up)
attribute vec2 a_texcoord;
uniform vec2 u_size;          // canvas size in pixels
uniform float u_npix;         // pixels per font unit
varying vec2 v_texcoord;
void main() {
    vec2 p = a_anchor + vec2(a_position.x, -a_position.y) * u_npix;
    gl_Position = vec4(2.0 * p.x / u_size.x - 1.0, 1.0 - 2.0 * p.y / u_size.y, 0.0, 1.0);
    v_texcoord = a_texcoord;
}
"""

FRAG = """
uniform sampler2D u_atlas;
uniform vec4 u_color;
varying vec2 v_texcoord;
float contour(float d, float w) { return smoothstep(0.5 - w, 0.5 + w, d); }
void main() {
    float d = texture2D(u_atlas, v_texcoord).r;
    float w = 0.5 * fwidth(d);
    float alpha = contour(d, w);
    // supersample: small text is otherwise ragged (as VisPy's TextVisual does)
    vec2 duv = 0.35355 * (dFdx(v_texcoord) + dFdy(v_texcoord));
    vec4 box = vec4(v_texcoord - duv, v_texcoord + duv);
    float asum = contour(texture2D(u_atlas, box.xy).r, w) + contour(texture2D(u_atlas, box.zw).r, w)
               + contour(texture2D(u_atlas, box.xw).r, w) + contour(texture2D(u_atlas, box.zy).r, w);
    alpha = (alpha + 0.5 * asum) / 3.0;
    if (alpha <= 0.0) discard;
    gl_FragColor = vec4(u_color.rgb, u_color.a * alpha);
}
"""

_FONTS = FontManager(method="cpu")  # one atlas per process, shared by every Labels
_DPI = [96.0]                       # the screen's, set by the window (text sizes are in points)


def set_dpi(dpi: float | None) -> None:
    """The canvas's dots per inch, which turn font points into pixels (for :func:`text_width`)."""
    if dpi and dpi > 0:
        _DPI[0] = float(dpi)


def screen_dpi() -> float:
    """The dots per inch text is laid out with (96 until the window says)."""
    return _DPI[0]


def text_width(text: str, font_size: float, bold: bool = False) -> float:
    """Width in pixels of ``text`` as :class:`Labels` lays it out (advances and kerning of
    the glyphs; no GL needed), so that names are cut only when they do not fit."""
    return _em_width(text, bold) * font_size / 72.0 * _DPI[0]


@functools.lru_cache(maxsize=16384)
def _em_width(text: str, bold: bool) -> float:
    font = _FONTS.get_font("OpenSans", bold, False)
    ratio = 1.0 / font.ratio
    total, prev = 0.0, None
    for ch in text:
        glyph = font[ch]
        total += glyph["advance"] * ratio + (glyph["kerning"].get(prev, 0.0) * ratio if prev is not None else 0.0)
        prev = ch
    return total / font._lowres_size


class Labels:
    """Many strings of one colour, size and anchor, drawn in one call.

    Parameters
    ----------
    color : RGBA floats 0-1
    font_size : points
    anchor_x : ``"left"``, ``"center"`` or ``"right"``
    anchor_y : ``"top"``, ``"center"`` or ``"bottom"``
    bold : bool
    """

    def __init__(self, color=(0.85, 0.85, 0.85, 1.0), font_size: float = 8.0, anchor_x: str = "left",
                 anchor_y: str = "center", bold: bool = False):
        self._font = _FONTS.get_font("OpenSans", bold, False)
        self._anchor = (anchor_x, anchor_y)
        self._font_size = float(font_size)
        self._program = gloo.Program(VERT, FRAG)
        self._program["u_color"] = tuple(color)
        self._cache: dict[str, np.ndarray] = {}
        self._key: tuple | None = None
        self._n = 0
        self._vbo: gloo.VertexBuffer | None = None
        self._ibo: gloo.IndexBuffer | None = None

    def _quads(self, text: str) -> np.ndarray:
        q = self._cache.get(text)
        if q is None:
            if len(self._cache) > 4096:  # tick labels of a long session: forget old ones
                self._cache.clear()
            q = self._cache[text] = _text_to_vbo(text, self._font, *self._anchor, self._font._lowres_size, 1.1)
        return q

    def set(self, texts: list[str], positions: list[tuple[float, float]]) -> None:
        """Strings and their anchor points in canvas pixels (top-left origin)."""
        key = (tuple(texts), tuple((round(x, 1), round(y, 1)) for x, y in positions))
        if key == self._key:
            return
        self._key = key
        quads = [self._quads(t) for t in texts]
        n = sum(len(q) for q in quads)
        self._n = n // 4
        if not n:
            return
        data = np.zeros(n, [("a_anchor", np.float32, 2), ("a_position", np.float32, 2),
                            ("a_texcoord", np.float32, 2)])
        i = 0
        for q, (x, y) in zip(quads, positions):
            data["a_position"][i:i + len(q)] = q["a_position"]
            data["a_texcoord"][i:i + len(q)] = q["a_texcoord"]
            data["a_anchor"][i:i + len(q)] = (x, y)
            i += len(q)
        if self._vbo is None:
            self._vbo = gloo.VertexBuffer(data)
            self._program.bind(self._vbo)
        else:
            self._vbo.set_data(data)
        idx = (np.array([0, 1, 2, 0, 2, 3], np.uint32) + np.arange(0, n, 4, dtype=np.uint32)[:, None]).ravel()
        if self._ibo is None or self._ibo.size < idx.size:
            self._ibo = gloo.IndexBuffer(idx)
        elif self._ibo.size != idx.size:
            self._ibo.set_data(idx)

    def draw(self, size: tuple[float, float]) -> None:
        """Draw on a canvas of ``size`` logical pixels (the viewport must be the whole canvas).

        The size is passed in (the window keeps it from resize events): asking
        the canvas for it would ask the X server, a round trip over X forwarding.
        """
        if not self._n:
            return
        w, h = size
        self._program["u_size"] = (float(w), float(h))
        self._program["u_npix"] = self._font_size / 72.0 * _DPI[0]
        self._program["u_atlas"] = self._font._atlas
        self._program.draw("triangles", self._ibo)
