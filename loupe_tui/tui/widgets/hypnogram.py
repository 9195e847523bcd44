"""The whole recording's hypnogram in coloured blocks, with the window marked.

One row per state (the keymap's order, then any other label in the file).
A column shows a full block in the row of the state covering most of it and
a thin bar in the rows of other states it holds, so a 4 s REM epoch is still
visible on a 24 h overview (like min/max decimation, for states). The
current window's columns are highlighted; ``zoomed`` shows a stretch around
it instead of the whole recording, by the rule the GL window's hypnogram
follows too (:func:`loupe_tui.core.overview.zoom_range`).
"""

from __future__ import annotations

import numpy as np
from textual.strip import Strip

from loupe_tui.core.overview import zoom_range
from loupe_tui.tui.widgets.draw import (BG, CachedLines, CURSOR, DIM, GUTTER, WINDOW_BG, StripPainter, ViewState,
                                         column_of, column_range, dominant_codes, nice_step,
                                         present_codes, rgba_tuple)


class Hypnogram(CachedLines):
    """Overview of every label of the recording."""

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self.zoomed = False
        self._view: ViewState | None = None
        self._labels = None
        self._states: list[str] = []
        self._colors: dict[str, tuple] = {}
        self._painter = StripPainter()
        self._cols_key = None
        self._cols: tuple[np.ndarray, np.ndarray, list[str]] | None = None

    def show(self, view: ViewState, labels, states: list[str], colors: dict[str, tuple],
             labels_changed: bool = False) -> None:
        """Draw ``labels`` with the window of ``view`` marked; ``labels_changed`` recomputes columns."""
        self._view, self._labels, self._colors = view, labels, colors
        if labels_changed or states != self._states:
            self._cols_key = None
        self._states = list(states)
        self.invalidate()

    def toggle_zoom(self) -> bool:
        self.zoomed = not self.zoomed
        self._cols_key = None
        self.invalidate()
        return self.zoomed

    def rows_needed(self) -> int:
        names = set(self._states)
        extra = [n for n in (self._labels.label_names if self._labels is not None else ()) if n not in names]
        return max(1, len(self._states) + len(extra)) + 1

    def _span(self) -> tuple[float, float]:
        v = self._view
        lo, hi = v.span
        return zoom_range((lo, hi), v.t0, v.t1) if self.zoomed else (lo, hi)

    def _columns(self, n: int, span: tuple[float, float]):
        key = (n, span, tuple(self._states))
        if key == self._cols_key:
            return self._cols
        ls = self._labels
        names = list(ls.label_names)
        rows = list(self._states) + [s for s in names if s not in self._states]
        # label code -> row
        to_row = np.array([rows.index(nm) for nm in names], np.int64) if names else np.empty(0, np.int64)
        codes = to_row[ls.codes] if len(ls.codes) else np.empty(0, np.int64)
        dom = dominant_codes(ls.starts, ls.ends, codes, span[0], span[1], n)
        pres = present_codes(ls.starts, ls.ends, codes, len(rows), span[0], span[1], n)
        self._cols, self._cols_key = (dom, pres, rows), key
        return self._cols

    def _render_all(self) -> list[Strip]:
        width, height = self.size.width, self.size.height
        p = self._painter
        n = width - GUTTER
        if self._view is None or self._labels is None or n < 4 or height < 2:
            return [Strip.blank(width, p.style(bg=BG))] * height
        span = self._span()
        dom, pres, rows = self._columns(n, span)
        win = np.zeros(n, bool)
        a, b = column_range(self._view.t0, self._view.t1, span[0], span[1], n)
        win[a:b] = True
        out: list[Strip] = []
        for r, state in enumerate(rows[: height - 1]):
            col = rgba_tuple(self._colors.get(state))
            chars = np.where(dom == r, "█", np.where(pres[r], "▏", " "))
            keys = win.astype(np.int64)
            styles = [p.style(col, BG), p.style(col, WINDOW_BG)]
            out.append(p.strip("".join(chars.tolist()), keys, styles, width, [p.gutter(state, col, BG)]))
        while len(out) < height - 1:
            out.append(Strip.blank(width, p.style(bg=BG)))
        out.append(self._axis(span, n, win, width))
        return out

    def _axis(self, span: tuple[float, float], n: int, win: np.ndarray, width: int) -> Strip:
        p = self._painter
        text = ["─"] * n
        keys = win.astype(np.int64)
        lo, hi = span
        step = nice_step((hi - lo) / max(1, n // 10))
        c = column_of(self._view.cursor, lo, hi, n)
        if 0 <= c < n:
            text[c] = "▲"
            keys[c] = 2
        times = self._view.times
        shift = times.start_s if times.clock else 0.0        # on the clock: ticks on round clock times
        t = np.ceil((lo + shift) / step) * step - shift
        while t < hi:
            k = column_of(t, lo, hi, n)
            label = "┴" + times.format(t).removesuffix(":00") if step >= 60 else "┴" + times.format(t)
            # never over the cursor, and a cell to spare after it, so the two never run together
            # (the cursor on the tick itself stands for the tick: "▲0:05")
            if 0 <= k and k + len(label) <= n and all(ch == "─" for ch in text[k + 1:k + len(label) + 1]):
                text[k + 1:k + len(label)] = list(label[1:])
                if text[k] == "─":
                    text[k] = label[0]
            t += step
        styles = [p.style(DIM, BG), p.style(DIM, WINDOW_BG), p.style(CURSOR, BG, bold=True)]
        tag = "zoom" if self.zoomed else "all"
        return p.strip("".join(text), keys, styles, width, [p.gutter(tag, DIM, BG)])
