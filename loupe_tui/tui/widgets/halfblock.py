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

The colour maps are the GL window's (:mod:`loupe_tui.colormaps`), so both
windows colour a spectrogram alike.
"""

from __future__ import annotations

import functools

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from loupe_tui.colormaps import lut
from loupe_tui.config_spectral import SPECTRAL_CMAPS

#: Levels of the colour map a value is quantised to: smooth to the eye, and a flip draws 20 % fewer
#: segments than with 64 (a 256-colour terminal shows fewer still: viridis has 14 there).
LEVELS = 32
UPPER_HALF = "\u2580"
#: The marker drawn over an image cell (the window on the overview, the cursor on the page).
MARK = "\u25bc"

@functools.lru_cache(maxsize=16)
def color_table(cmap: str, levels: int = LEVELS) -> tuple[tuple[int, int, int], ...]:
    """``levels`` RGB colours of colour map ``cmap`` (one of the spectrogram's,
    ``SPECTRAL_CMAPS``), from its low end to its high end: the GL window's table
    (:func:`loupe_tui.colormaps.lut`) sampled at ``levels`` evenly spaced entries."""
    if cmap.lower() not in SPECTRAL_CMAPS:
        raise ValueError(f"no terminal colour map {cmap!r}; known: {', '.join(SPECTRAL_CMAPS)}")
    table = lut(cmap.lower())[np.round(np.linspace(0.0, 255.0, levels)).astype(int), :3]
    return tuple(tuple(int(c) for c in row) for row in table)


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
