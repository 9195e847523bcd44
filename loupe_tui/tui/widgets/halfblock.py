"""Images in text cells: two pixels per cell with the upper half block, through a colour map.

Each character cell is ``▀`` (U+2580) with the upper pixel's colour as its
foreground and the lower pixel's as its background, so ``n`` text rows show
``2 n`` rows of pixels. Values go through a colour map quantised to
:data:`LEVELS` levels, and each (upper, lower) pair of levels gets one cached
Rich style; a run of equal cells is one segment.

Colours are given as RGB. In a terminal without true colour, Textual writes
each style with the colour downgraded by Rich (``Color.downgrade``: the
nearest entry of the xterm 6x6x6 cube or grey ramp in 256 colours), so the
same strips serve both; ``tests/tui/test_spectral_views.py`` checks the codes
either way.

The colour maps are a copy of the anchors of ``render/prep/colormaps.py``
(matplotlib's maps within one unit) for the spectrogram's maps only
(``SPECTRAL_CMAPS``): the terminal app may not import ``render``.
"""

from __future__ import annotations

import functools

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

#: Levels of the colour map a value is quantised to: smooth to the eye, and a flip draws 20 % fewer
#: segments than with 64 (a 256-colour terminal shows fewer still: viridis has 14 there).
LEVELS = 32
UPPER_HALF = "\u2580"
#: The marker drawn over an image cell (the window on the overview, the cursor on the page).
MARK = "\u25bc"

# name -> "index:RRGGBB" anchors of a 256-entry table, linearly interpolated (render/prep/colormaps.py)
_ANCHORS = {
    "viridis": "0:440154 8:470d60 23:482173 29:482979 50:414287 81:32648e 120:23898e 132:1f948c 139:1e9b8a "
               "151:21a685 157:25ac82 166:2fb47c 177:40bd72 190:5ac864 203:77d153 233:c5e021 239:d5e21a "
               "242:dde318 246:e7e419 251:f4e61e 255:fde725",
    "magma": "0:000004 2:010106 12:06051a 25:140e36 32:1d1147 42:2c115f 48:36106b 58:471078 66:54137d "
             "74:601880 93:7e2482 120:aa337d 129:b83779 149:d8456c 156:e24d66 170:f1605d 179:f7705c 192:fc8961 "
             "205:fea16e 216:feb67c 235:fed89a 255:fcfdbf",
    "inferno": "0:000004 2:010106 6:02020e 15:0a0722 26:180c3c 40:2f0a5b 48:3d0965 54:470b6a 64:57106e 88:7d1e6d "
               "110:a02a63 132:c13a50 144:d24644 166:ea632a 175:f1711f 189:f8890c 193:fa9008 199:fb9b06 "
               "202:fca108 209:fcae12 222:f9c72f 232:f5db4c 241:f1ec6d 246:f2f482 251:f6fa96 255:fcffa4",
    "plasma": "0:0d0887 7:20068f 23:3e049c 37:5502a4 45:6100a7 62:7b02a8 68:8405a7 78:920fa3 92:a51f99 "
              "123:c7427c 148:dd5e66 161:e76e5b 188:f79044 215:feb72d 229:fccd25 235:fbd724 250:f3f027 "
              "253:f1f525 255:f0f921",
    "turbo": "0:30123b 6:372466 10:3b2f80 14:3f3b97 22:4451bf 27:455ed3 34:4771e9 41:4682f8 46:448ffe "
             "52:3d9efe 58:33adf7 61:2eb4f2 69:20c7df 73:1bd0d5 77:18d7ca 82:18e0bd 89:20eaac 94:2cf09e "
             "98:38f491 108:5dfc6f 119:88ff4e 123:96fe44 131:acfb38 137:bcf534 142:c8ef34 148:d7e535 "
             "155:e5d938 158:ebd339 164:f4c73a 170:faba39 177:fea933 183:fe992c 195:f9751d 202:f26014 "
             "208:eb500e 215:e14109 226:cc2b04 237:b21a01 242:a41301 255:7a0403",
    "gray": "0:000000 255:ffffff",
}


@functools.lru_cache(maxsize=16)
def color_table(cmap: str, levels: int = LEVELS) -> tuple[tuple[int, int, int], ...]:
    """``levels`` RGB colours of colour map ``cmap``, from its low end to its high end."""
    spec = _ANCHORS.get(cmap.lower())
    if spec is None:
        raise ValueError(f"no terminal colour map {cmap!r}; known: {', '.join(_ANCHORS)}")
    idx, rgb = [], []
    for tok in spec.split():
        i, hexrgb = tok.split(":")
        idx.append(int(i))
        rgb.append([int(hexrgb[k:k + 2], 16) for k in (0, 2, 4)])
    rgb_a = np.asarray(rgb, np.float64)
    x = np.linspace(0.0, 255.0, levels)
    table = np.stack([np.round(np.interp(x, idx, rgb_a[:, c])) for c in range(3)], axis=1).astype(int)
    return tuple(tuple(row) for row in table.tolist())


def to_levels(values: np.ndarray, lo: float, hi: float, levels: int = LEVELS) -> np.ndarray:
    """int16 level per value: ``floor(levels * (v - lo) / (hi - lo))`` clipped to ``0..levels-1``; NaN -> -1."""
    v = np.asarray(values, np.float32)
    scale = levels / (hi - lo) if hi > lo else 0.0
    x = (v - np.float32(lo)) * np.float32(scale)
    nan = np.isnan(x)
    out = np.clip(np.floor(np.where(nan, 0, x)), 0, levels - 1).astype(np.int16)
    out[nan] = -1
    return out


class HalfBlockPainter:
    """Strips of half-block cells from quantised levels; one cached style per pair of levels.

    Parameters
    ----------
    table : sequence of RGB
        The colour of each level (:func:`color_table`).
    background : RGB
        The colour of a pixel with no value (level -1).
    mark : RGB
        The colour of a :data:`MARK` drawn over a cell.
    """

    def __init__(self, table, background, mark=(255, 255, 255)):
        self.table = tuple(tuple(int(c) for c in rgb) for rgb in table)
        self.background = tuple(int(c) for c in background)
        self._mark = Color.from_rgb(*mark)
        # index len(table) is the background: a pixel with no value
        self._colors = [Color.from_rgb(*rgb) for rgb in (*self.table, self.background)]
        self._styles: dict[int, Style] = {}

    def style(self, upper: int, lower: int) -> Style:
        """The style of a ``▀`` cell whose upper pixel has level ``upper`` and lower pixel ``lower`` (-1: none)."""
        n = len(self._colors)
        return self._style(upper % n * n + lower % n)

    def _style(self, key: int) -> Style:
        s = self._styles.get(key)
        if s is None:
            n = len(self._colors)
            if key < 0:          # a mark over the upper pixel's colour
                s = Style(color=self._mark, bgcolor=self._colors[-key - 1], bold=True)
            else:
                s = Style(color=self._colors[key // n], bgcolor=self._colors[key % n])
            self._styles[key] = s
        return s

    def rows(self, levels: np.ndarray, width: int, gutters: list[Segment] | None = None,
             marks: np.ndarray | None = None) -> list[Strip]:
        """One strip per two pixel rows.

        Parameters
        ----------
        levels : int array (2 * n_rows, n_cols)
            Pixel levels, row 0 at the top; -1 where there is no value.
        width : int
            The strips' width in cells (gutter included).
        gutters : list of Segment, optional
            One segment per text row, before the image.
        marks : bool array (n_cols,), optional
            Columns where the top text row shows :data:`MARK` (on the upper pixel's colour).
        """
        n = len(self._colors)
        idx = np.asarray(levels, np.int64)
        idx = np.where(idx < 0, n - 1, idx)
        if idx.shape[0] % 2:
            idx = np.vstack([idx, np.full((1, idx.shape[1]), n - 1)])
        out = []
        for r in range(idx.shape[0] // 2):
            upper, lower = idx[2 * r], idx[2 * r + 1]
            keys = upper * n + lower
            if r == 0 and marks is not None:
                keys = np.where(marks, -upper - 1, keys)
            out.append(self._strip(keys, width, [gutters[r]] if gutters else []))
        return out

    def _strip(self, keys: np.ndarray, width: int, prefix: list[Segment]) -> Strip:
        segs = list(prefix)
        count = len(keys)
        if count:
            cut = np.flatnonzero(np.diff(keys)) + 1
            bounds = [0, *cut.tolist(), count]
            for a, b in zip(bounds[:-1], bounds[1:]):
                k = int(keys[a])
                segs.append(Segment((MARK if k < 0 else UPPER_HALF) * (b - a), self._style(k)))
        cells = count + sum(len(s.text) for s in prefix)
        return Strip(segs, width) if cells == width else Strip(segs).adjust_cell_length(width)
