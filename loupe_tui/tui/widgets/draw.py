"""Shared drawing for the terminal views: what is on screen, and cells to strips.

:class:`ViewState` is a snapshot of the session the views draw (built once per
change by the screen). The numpy helpers turn label intervals into per-column
states and min/max columns into braille; :class:`StripPainter` turns a row of
characters with per-cell style indices into a Textual ``Strip`` with one
segment per run, so a wide view costs a few dozen segments, not one per cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from loupe_tui.core.clock import TimeDisplay
from loupe_tui.core.colors import RGBA

BG = (18, 18, 24)
WINDOW_BG = (44, 44, 68)
SELECTION = (70, 110, 200)
CURSOR = (230, 230, 120)
DIM = (110, 110, 120)
GUTTER = 9


@dataclass(frozen=True)
class ViewState:
    """What the terminal views show: a snapshot of the session.

    Attributes
    ----------
    t0, t1 : float
        The window.
    cursor : float
    selection : tuple of float or None
    epoch_len, t_start : float
        The epoch grid (epoch k starts at ``t_start + k * epoch_len``).
    span : tuple of float
        The navigable span of the recording.
    times : TimeDisplay
        How times are written (clock or elapsed; the session's).
    """

    t0: float
    t1: float
    cursor: float
    selection: tuple[float, float] | None
    epoch_len: float
    t_start: float
    span: tuple[float, float]
    times: TimeDisplay = field(default_factory=TimeDisplay)

    @classmethod
    def of(cls, session) -> ViewState:
        return cls(session.window_start, session.window_end, session.cursor, session.selection,
                   session.epoch_len, session.t_start, session.span, session.times)


def hex_color(rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(int(v) for v in rgb[:3]))


def blend(fg, bg, alpha: float) -> tuple[int, int, int]:
    """``alpha`` of ``fg`` over ``bg``."""
    return tuple(int(round(alpha * f + (1 - alpha) * b)) for f, b in zip(fg[:3], bg[:3]))


def text_on(rgb) -> tuple[int, int, int]:
    """Black or white, whichever reads better on ``rgb``."""
    r, g, b = rgb[:3]
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 140 else (255, 255, 255)


def column_of(t: float, t0: float, t1: float, n: int) -> int:
    """Cell column holding time ``t`` (may be outside ``0..n-1``)."""
    return int(np.floor((t - t0) / (t1 - t0) * n))


def column_range(a: float, b: float, t0: float, t1: float, n: int) -> tuple[int, int]:
    """Cells ``[i, j)`` overlapped by ``[a, b)`` (at least one cell when it overlaps at all)."""
    i = max(0, column_of(a, t0, t1, n))
    j = min(n, int(np.ceil((b - t0) / (t1 - t0) * n)))
    return (i, max(j, i + 1)) if i < n and j > 0 else (0, 0)


def nice_step(seconds: float) -> float:
    """The smallest round tick step (0.1 s ... 1 day) of at least ``seconds``."""
    for s in (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
              43200, 86400):
        if s >= seconds:
            return float(s)
    return 86400.0 * np.ceil(seconds / 86400.0)


def dominant_codes(starts: np.ndarray, ends: np.ndarray, codes: np.ndarray, t0: float, t1: float,
                   n: int, sub: int = 8) -> np.ndarray:
    """Per column, the label code covering most of it (-1 where mostly unlabelled)."""
    if n <= 0:
        return np.empty(0, np.int64)
    ts = t0 + (np.arange(n * sub) + 0.5) * ((t1 - t0) / (n * sub))
    if not len(starts):
        return np.full(n, -1, np.int64)
    i = np.searchsorted(starts, ts, side="right") - 1
    ok = i >= 0
    i = np.maximum(i, 0)
    ok &= ts < ends[i]
    k = int(codes.max()) + 1 if len(codes) else 0
    c = np.where(ok, codes[i], k).astype(np.int64)          # k = unlabelled, last so labels win ties
    counts = np.bincount(np.repeat(np.arange(n), sub) * (k + 1) + c, minlength=n * (k + 1))
    best = counts.reshape(n, k + 1).argmax(axis=1)
    return np.where(best == k, -1, best).astype(np.int64)


def present_codes(starts: np.ndarray, ends: np.ndarray, codes: np.ndarray, n_codes: int,
                  t0: float, t1: float, n: int) -> np.ndarray:
    """``(n_codes, n)`` bool: does any interval of that code overlap the column? Exact."""
    out = np.zeros((n_codes, n), bool)
    if not len(starts) or n <= 0:
        return out
    edges = t0 + (t1 - t0) * np.arange(n + 1) / n
    lo = np.searchsorted(ends, edges[:-1], side="right")     # first interval ending after column start
    hi = np.searchsorted(starts, edges[1:], side="left")     # intervals starting before column end
    for k in range(n_codes):
        cum = np.concatenate([[0], np.cumsum(codes == k)])
        out[k] = cum[np.maximum(hi, lo)] - cum[lo] > 0
    return out


_BRAILLE = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], np.uint32)


def braille_rows(top: np.ndarray, bot: np.ndarray, rows: int) -> list[str]:
    """Braille text of a vertical-range plot.

    Parameters
    ----------
    top, bot : ndarray of float, shape (2 * width,)
        Per dot column the first and last lit dot row (0 = top); NaN = empty.
    rows : int
        Text rows (4 dot rows each).
    """
    w2 = len(top)
    width = w2 // 2
    h = rows * 4
    r = np.arange(h)[:, None]
    ok = ~(np.isnan(top) | np.isnan(bot))
    t = np.where(ok, top, h + 1)
    b = np.where(ok, bot, -1)
    grid = (r >= t[None, :]) & (r <= b[None, :])                    # (h, 2w)
    g = grid[:, : width * 2].reshape(rows, 4, width, 2)
    codes = 0x2800 + np.einsum("rywx,yx->rw", g.astype(np.uint32), _BRAILLE)
    codes = np.where(codes == 0x2800, 0x20, codes).astype("<u4")
    return [row.tobytes().decode("utf-32-le") for row in codes]


def range_columns(lo: np.ndarray, hi: np.ndarray, ymin: float, ymax: float, dots: int) -> tuple[np.ndarray, np.ndarray]:
    """Map per-column min/max values to dot rows, joined to the previous column so lines connect."""
    scale = (dots - 1) / (ymax - ymin) if ymax > ymin else 0.0
    top = np.clip(np.floor((ymax - hi) * scale), 0, dots - 1)
    bot = np.clip(np.ceil((ymax - lo) * scale), 0, dots - 1)
    mid = (top + bot) / 2
    prev = np.concatenate([[np.nan], mid[:-1]])
    has = ~np.isnan(prev) & ~np.isnan(top)
    top = np.where(has, np.fmin(top, np.floor(prev)), top)
    bot = np.where(has, np.fmax(bot, np.ceil(prev)), bot)
    return top, bot


class StripPainter:
    """Builds strips from text plus a per-cell style index, caching rich Styles."""

    def __init__(self):
        self._styles: dict[tuple, Style] = {}

    def style(self, fg=None, bg=None, bold: bool = False) -> Style:
        key = (fg, bg, bold)
        s = self._styles.get(key)
        if s is None:
            s = Style(color=hex_color(fg) if fg is not None else None,
                      bgcolor=hex_color(bg) if bg is not None else None, bold=bold)
            self._styles[key] = s
        return s

    def strip(self, text: str, keys: np.ndarray, styles: list[Style], width: int,
              prefix: list[Segment] | None = None) -> Strip:
        """``text`` (one char per cell) where cell ``i`` uses ``styles[keys[i]]``."""
        segs = list(prefix or [])
        n = len(text)
        if n:
            cut = np.flatnonzero(np.diff(keys)) + 1
            bounds = [0, *cut.tolist(), n]
            for a, b in zip(bounds[:-1], bounds[1:]):
                segs.append(Segment(text[a:b], styles[int(keys[a])]))
        if n + sum(len(s.text) for s in prefix or ()) == width:
            return Strip(segs, width)          # every cell is one column wide: no measuring
        return Strip(segs).adjust_cell_length(width)

    def gutter(self, text: str, fg=None, bg=None, bold: bool = False, width: int = GUTTER) -> Segment:
        return Segment(text[: width - 1].ljust(width), self.style(fg, bg, bold))


def rgba_tuple(c: RGBA | None) -> tuple[int, int, int]:
    return (128, 128, 128) if c is None else (int(c[0]), int(c[1]), int(c[2]))


class CachedLines(Widget):
    """A widget drawn whole into strips, cached until :meth:`invalidate` or a resize.

    Subclasses implement ``_render_all() -> list[Strip]`` (one per line). The
    cache is keyed by the widget's size: a width change (the label table docking
    beside it) redraws too, not only a height change.
    """

    _strips: list[Strip] | None = None
    _strips_size: tuple[int, int] | None = None

    def invalidate(self) -> None:
        self._strips = None
        self.refresh()

    def render_line(self, y: int) -> Strip:
        size = (self.size.width, self.size.height)
        if self._strips is None or self._strips_size != size:
            self._strips, self._strips_size = self._render_all(), size
        return self._strips[y] if y < len(self._strips) else Strip.blank(self.size.width)

    def _render_all(self) -> list[Strip]:
        raise NotImplementedError


class StateColors(dict):
    """State name -> RGB, filled on demand from the keymap (``StateConfig.color_for``: the GL
    window gets the same colours through :func:`~loupe_tui.tui.bridge.state_colors`)."""

    def __init__(self, states):
        super().__init__()
        self.states = states

    def __missing__(self, name: str):
        rgb = rgba_tuple(self.states.color_for(name))
        self[name] = rgb
        return rgb

    def get(self, name, default=None):  # noqa: ARG002 - every name has a colour
        return self[name]
