"""Many traces in one GL program: min/max per pixel column, drawn by the fragment shader.

Per frame only y is uploaded: for every channel the min and max of each pixel
column, as a float texture ``(n_channels, n_columns)``. Each channel is one
quad over the part of the panel its trace can reach; its fragments take the
column from x (the pixel index) and light the pixels between that column's
min and max: a vertical min-max segment per column, in one draw call for all
channels. Where each channel sits (offset, scale, base, band) and its colour
are per-quad attributes (4 vertices per channel), so gain, Y zoom and layout
changes re-upload a few numbers, never the traces.

Why not GL lines: a software rasteriser (Mesa llvmpipe: Xvfb, SSH -X, VMs)
pays per segment and per line fragment; 16 traces x 1150 columns as lines
cost 25-125 ms a frame there, this about 3 ms, and a GPU does both in no time.

Short windows (fewer than two samples per column) are drawn as the polyline
through the samples: :func:`polyline_columns` turns it into the same
per-column min/max (the line's extent in each column), so raw and decimated
windows share this program.
"""

from __future__ import annotations

import numpy as np
from vispy import gloo

#: Marks "no data" in the texture (NaN compares are unreliable in GLSL).
NO_DATA = np.float32(3.0e38)

VERT = """
attribute vec2 a_corner;     // x: 0..1 across the panel, y: 0..1 up the channel's quad
attribute vec4 a_xf;         // offset, scale, base, texture row of the channel
attribute vec4 a_band;       // band lo, band hi, quad lo, quad hi (NDC)
attribute vec4 a_color;
varying vec4 v_xf;
varying vec2 v_band;
varying vec4 v_color;
varying vec2 v_pos;
void main() {
    float y = mix(a_band.z, a_band.w, a_corner.y);
    v_xf = a_xf;
    v_band = a_band.xy;
    v_color = a_color;
    v_pos = vec2(a_corner.x, y);
    gl_Position = vec4(2.0 * a_corner.x - 1.0, y, 0.0, 1.0);
}
"""

FRAG = """
uniform sampler2D u_data;     // n_ch x n_cols: (lo, hi)
uniform float u_n_cols;
uniform float u_height;       // viewport height in pixels
varying vec4 v_xf;
varying vec2 v_band;
varying vec4 v_color;
varying vec2 v_pos;
void main() {
    float u = (floor(v_pos.x * u_n_cols) + 0.5) / u_n_cols;
    vec2 d = texture2D(u_data, vec2(u, v_xf.w)).rg;
    if (d.x >= 1.0e37) discard;
    float lo = max(v_xf.z + (d.x - v_xf.x) * v_xf.y, v_band.x);
    float hi = min(v_xf.z + (d.y - v_xf.x) * v_xf.y, v_band.y);
    float px = 2.0 / u_height;
    if (hi - lo < px) {           // at least one pixel tall: flat signals stay visible
        float mid = 0.5 * (lo + hi);
        lo = mid - 0.5 * px;
        hi = mid + 0.5 * px;
    }
    if (v_pos.y < lo || v_pos.y > hi) discard;
    gl_FragColor = v_color;
}
"""

_VTYPE = [("a_corner", np.float32, 2), ("a_xf", np.float32, 4), ("a_band", np.float32, 4), ("a_color", np.float32, 4)]
_CORNERS = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], np.float32)
_QUAD = np.array([0, 1, 2, 1, 3, 2], np.uint32)


class TraceColumns:
    """Draws ``n_ch`` traces into the current viewport (one draw call).

    Channel ``c`` maps value ``y`` to NDC ``base + (y - offset) * scale`` and
    is clipped to its band ``[band_lo, band_hi]``; where channels overlap, the
    later one is on top.
    """

    def __init__(self):
        self._program = gloo.Program(VERT, FRAG)
        self._data = gloo.Texture2D(np.zeros((1, 1, 2), np.float32), internalformat="rg32f", format="rg", interpolation="nearest")
        self._program["u_data"] = self._data
        self._vbo = gloo.VertexBuffer(np.zeros(4, _VTYPE))
        self._program.bind(self._vbo)
        self._ibo: gloo.IndexBuffer | None = None
        self._extent: np.ndarray | None = None   # per channel: min lo, max hi of the window
        self._tab: dict | None = None
        self._quads_key: tuple | None = None
        self._n_quads = 0
        self._n_ch = 0
        self.visible = True

    @property
    def n_channels(self) -> int:
        return self._n_ch

    def set_table(self, offset, scale, base, band_lo, band_hi, rgba) -> None:
        """Per channel: ``y -> base + (y - offset) * scale`` (NDC), its band, colour (``(n, 4)`` 0-255)."""
        f = lambda a: np.asarray(a, np.float64).ravel()  # noqa: E731
        self._tab = dict(offset=f(offset), scale=f(scale), base=f(base), band_lo=f(band_lo), band_hi=f(band_hi),
                         rgba=np.asarray(rgba, np.float32).reshape(-1, 4) / 255.0)
        self._quads_key = None

    def set_columns(self, lo: np.ndarray, hi: np.ndarray) -> None:
        """Min and max per pixel column, ``(n_ch, n_px)`` each (NaN: no data)."""
        lo = np.asarray(lo, np.float32)
        hi = np.asarray(hi, np.float32)
        n_ch, n_px = lo.shape
        d = np.empty((n_ch, n_px, 2), np.float32)
        d[..., 0], d[..., 1] = _connect(lo, hi)
        bad = np.isnan(d[..., 0]) | np.isnan(d[..., 1])
        with np.errstate(all="ignore"):
            self._extent = np.stack([np.fmin.reduce(d[..., 0], axis=1), np.fmax.reduce(d[..., 1], axis=1)], axis=1)
        d[bad] = NO_DATA
        if self._data.shape[:2] != d.shape[:2]:
            # A resize through set_data would forget the float format (and clamp to 0..1).
            self._data = gloo.Texture2D(d, internalformat="rg32f", format="rg", interpolation="nearest")
            self._program["u_data"] = self._data
        else:
            self._data.set_data(d)
        self._program["u_n_cols"] = float(n_px)
        self._n_ch = n_ch
        self._quads_key = None

    def set_samples(self, y: np.ndarray, x01: np.ndarray, n_px: int) -> None:
        """Raw samples ``(n_ch, m)`` at window positions ``x01`` (0 = left edge, 1 = right): their polyline."""
        lo, hi = polyline_columns(np.asarray(y, np.float32), np.asarray(x01, np.float64), n_px)
        self.set_columns(lo, hi)

    def _update_quads(self, height: int) -> None:
        if self._quads_key == (height,) or self._tab is None or self._extent is None:
            return
        self._quads_key = (height,)
        t = self._tab
        n = min(self._n_ch, len(t["offset"]))
        with np.errstate(all="ignore"):
            a = t["base"][:n] + (self._extent[:n, 0] - t["offset"][:n]) * t["scale"][:n]
            b = t["base"][:n] + (self._extent[:n, 1] - t["offset"][:n]) * t["scale"][:n]
        px = 2.0 / max(height, 1)
        qlo = np.maximum(np.fmin(a, b), t["band_lo"][:n]) - px
        qhi = np.minimum(np.fmax(a, b), t["band_hi"][:n]) + px
        keep = np.flatnonzero(np.isfinite(qlo) & np.isfinite(qhi) & (qhi > qlo) & (t["rgba"][:n, 3] > 0))
        self._n_quads = len(keep)
        if not len(keep):
            return
        v = np.zeros((len(keep), 4), _VTYPE)
        v["a_corner"] = _CORNERS
        xf = np.stack([t["offset"][keep], t["scale"][keep], t["base"][keep], (keep + 0.5) / self._n_ch], axis=-1)
        band = np.stack([t["band_lo"][keep], t["band_hi"][keep], qlo[keep], qhi[keep]], axis=-1)
        v["a_xf"] = xf[:, None, :]
        v["a_band"] = band[:, None, :]
        v["a_color"] = t["rgba"][keep][:, None, :]
        if self._vbo.size != v.size:
            self._vbo = gloo.VertexBuffer(v.ravel())  # bind() views keep their size: rebind on resize
            self._program.bind(self._vbo)
        else:
            self._vbo.set_data(v.ravel())
        idx = (_QUAD[None, :] + 4 * np.arange(len(keep), dtype=np.uint32)[:, None]).ravel()
        if self._ibo is None:
            self._ibo = gloo.IndexBuffer(idx)
        else:
            self._ibo.set_data(idx)

    def draw(self, size: tuple[int, int]) -> None:
        """Draw into the current viewport of ``size = (w, h)`` pixels."""
        if not self.visible or not self._n_ch or self._tab is None:
            return
        self._update_quads(int(size[1]))
        if self._n_quads and self._ibo is not None:
            self._program["u_height"] = float(size[1])
            self._program.draw("triangles", self._ibo)


def _connect(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stretch each column's segment to reach its left neighbour's, so the trace is unbroken
    (what the connecting segments of a line strip through ``lo0, hi0, lo1, hi1 ...`` draw)."""
    lo2, hi2 = lo.copy(), hi.copy()
    if lo.shape[1] > 1:
        with np.errstate(invalid="ignore"):
            np.fmin(lo2[:, 1:], hi[:, :-1], out=lo2[:, 1:])
            np.fmax(hi2[:, 1:], lo[:, :-1], out=hi2[:, 1:])
        lo2[np.isnan(lo)] = np.nan
        hi2[np.isnan(hi)] = np.nan
    return lo2, hi2


def polyline_columns(y: np.ndarray, x01: np.ndarray, n_px: int) -> tuple[np.ndarray, np.ndarray]:
    """Extent, per pixel column, of the polyline through samples ``y`` at ``x01 * n_px``.

    Parameters
    ----------
    y : ``(n_ch, m)`` samples (NaN breaks the line)
    x01 : ``(m,)`` increasing positions, 0 = left edge, 1 = right edge of the window
    n_px : number of columns

    Returns
    -------
    lo, hi : ``(n_ch, n_px)`` float32, NaN where the line does not pass.
    """
    n_ch, m = y.shape
    xs = np.asarray(x01, np.float64) * n_px
    edges = np.arange(n_px + 1, dtype=np.float64)
    ye = np.empty((n_ch, n_px + 1), np.float32)
    for c in range(n_ch):
        ye[c] = np.interp(edges, xs, y[c], left=np.nan, right=np.nan) if m else np.nan
    with np.errstate(invalid="ignore"):
        lo = np.fmin(ye[:, :-1], ye[:, 1:])
        hi = np.fmax(ye[:, :-1], ye[:, 1:])
    inside = (xs >= 0) & (xs < n_px)
    if inside.any():
        cols = xs[inside].astype(np.int64)
        vals = y[:, inside].T
        np.fmin.at(lo.T, cols, vals)
        np.fmax.at(hi.T, cols, vals)
    return lo, hi
