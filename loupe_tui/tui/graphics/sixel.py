"""Frames as sixel images (foot, WezTerm, iTerm2, Windows Terminal, xterm -ti vt340, mlterm ...).

Sixel has no compression but run lengths and at most 256 colours (the
registers most terminals give; xterm needs ``numColorRegisters: 256``), so a
frame is first reduced to 256 colours with Pillow's median cut, without
dithering (dithering turns flat panels into noise, which costs bytes), and
then written band by band: six pixel rows per band, one pass per colour
present in the band, each pass a row of sixel characters with runs of four
or more written as ``!n``. The passes are built with numpy (six vectorised
stores per band), the run lengths with one regular expression per pass.

Why median cut: on the demo's 1280x720 page (1,044 colours) it keeps the
mean error at 0.07 levels (the backgrounds exact) in 46 ms; the fast octree
(6 ms) leaves 88 colours and a mean error of 1.6, and max coverage (19 ms)
does well there but moves a background by 13 levels once a heatmap of
noise takes its colours.

Pixels of no colour are left as they were (``P2=1``), so a frame whose
height is not a multiple of six leaves the rest of its last band alone.
"""

from __future__ import annotations

import re

import numpy as np
from PIL import Image

COLORS = 256
_RUN = re.compile(rb"(.)\1{3,}")


def _run_length(m: re.Match) -> bytes:
    return b"!%d%c" % (m.end() - m.start(), m.group(1)[0])


def quantize(rgb: np.ndarray, colors: int = COLORS) -> tuple[np.ndarray, np.ndarray]:
    """(indices (h, w) uint8, palette (n, 3) uint8) of ``rgb`` in at most ``colors`` colours."""
    img = Image.fromarray(np.ascontiguousarray(rgb[..., :3]))       # (h, w, 3) uint8: RGB
    q = img.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    idx = np.asarray(q, dtype=np.uint8)
    n = int(idx.max()) + 1           # uint8 max is 255: n <= 256
    palette = np.asarray(q.getpalette()[:3 * n], dtype=np.uint8).reshape(n, 3)
    return idx, palette


def encode(rgb: np.ndarray, colors: int = COLORS) -> str:
    """The sixel image (DCS ... ST) of ``rgb`` ((h, w, 3 or 4) uint8)."""
    idx, palette = quantize(rgb, colors)
    h, w = idx.shape
    out = [b"\x1bP0;1;0q", b'"1;1;%d;%d' % (w, h)]
    pct = (palette.astype(np.int32) * 100 + 127) // 255
    out += [b"#%d;2;%d;%d;%d" % (i, r, g, b) for i, (r, g, b) in enumerate(pct.tolist())]
    cols = np.arange(w)
    for top in range(0, h, 6):
        band = idx[top:top + 6]
        present = np.unique(band)
        rank = np.zeros(256, np.intp)
        rank[present] = np.arange(len(present))
        codes = np.zeros((len(present), w), np.uint8)
        for r in range(band.shape[0]):
            codes[rank[band[r]], cols] |= np.uint8(1 << r)
        chars = codes + np.uint8(63)
        passes = []
        for color, row in zip(present.tolist(), chars):
            text = row.tobytes().rstrip(b"?")          # '?' is no pixel: the end of the row stays as it is
            passes.append(b"#%d%s" % (color, _RUN.sub(_run_length, text)))
        out.append(b"$".join(passes) + (b"-" if top + 6 < h else b""))
    out.append(b"\x1b\\")
    return b"".join(out).decode("ascii")
