"""The label strip: the current window's labels as a coloured band, plus the epoch grid.

Row 1 colours each cell by the state covering most of it and writes the
state's name at the start of each run when there is room. Row 2 marks the
epoch borders, the selection and the cursor, so the strip alone is enough
to score with.
"""

from __future__ import annotations

import math

import numpy as np
from textual.strip import Strip

from loupe_tui.tui.widgets.draw import (BG, CachedLines, CURSOR, DIM, GUTTER, SELECTION, StripPainter, ViewState,
                                         column_range, dominant_codes, rgba_tuple, text_on)


class LabelStrip(CachedLines):
    """Labels of the window, the epoch grid, the selection and the cursor."""

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self._view: ViewState | None = None
        self._labels = None
        self._colors: dict[str, tuple] = {}
        self._painter = StripPainter()

    def show(self, view: ViewState, labels, colors: dict[str, tuple]) -> None:
        self._view, self._labels, self._colors = view, labels, colors
        self.invalidate()

    def _render_all(self) -> list[Strip]:
        width, height = self.size.width, self.size.height
        p = self._painter
        n = width - GUTTER
        v = self._view
        if v is None or self._labels is None or n < 4:
            return [Strip.blank(width, p.style(bg=BG))] * height
        out = [self._label_row(v, n, width)]
        if height > 1:
            out.append(self._grid_row(v, n, width))
        return out + [Strip.blank(width, p.style(bg=BG))] * (height - len(out))

    def _label_row(self, v: ViewState, n: int, width: int) -> Strip:
        p = self._painter
        vis = self._labels.visible_arrays(v.t0, v.t1)
        dom = dominant_codes(vis.starts, vis.ends, vis.codes, v.t0, v.t1, n, sub=4)
        text = ["·"] * n
        styles = [p.style(DIM, BG)]
        code_style: dict[int, int] = {}
        for c in np.unique(dom[dom >= 0]).tolist():
            col = rgba_tuple(self._colors.get(vis.names[c]))
            styles.append(p.style(text_on(col), col, bold=True))
            code_style[c] = len(styles) - 1
        keys = np.zeros(n, np.int64)
        for c, k in code_style.items():
            keys[dom == c] = k
        # the state's name at the start of each run that has room for it
        starts = np.flatnonzero(np.diff(np.concatenate([[-2], dom])) != 0)
        ends = np.concatenate([starts[1:], [n]])
        for a, b in zip(starts.tolist(), ends.tolist()):
            if dom[a] >= 0:
                name = vis.names[dom[a]]
                word = name if b - a > len(name) + 1 else name[: max(0, b - a)]
                for m in range(b - a):
                    text[a + m] = word[m] if m < len(word) else " "
        return p.strip("".join(text), keys, styles, width, [p.gutter("labels", DIM, BG)])

    def _grid_row(self, v: ViewState, n: int, width: int) -> Strip:
        p = self._painter
        text = [" "] * n
        keys = np.zeros(n, np.int64)
        styles = [p.style(DIM, BG), p.style(SELECTION, BG, bold=True), p.style(CURSOR, BG, bold=True)]
        span = v.t1 - v.t0
        k0 = math.ceil((v.t0 - v.t_start) / v.epoch_len - 1e-9)
        n_ep = int(span / v.epoch_len) + 2
        if n_ep <= n // 2:
            for k in range(k0, k0 + n_ep):
                col = int(math.floor((v.t_start + k * v.epoch_len - v.t0) / span * n + 1e-9))
                if 0 <= col < n:
                    text[col] = "╵"
        if v.selection is not None:
            a, b = column_range(*v.selection, v.t0, v.t1, n)
            for m in range(a, b):
                text[m] = "━"
            keys[a:b] = 1
        c = int(math.floor((v.cursor - v.t0) / span * n))
        if 0 <= c < n:
            text[c], keys[c] = "▲", 2
        return p.strip("".join(text), keys, styles, width, [p.gutter("epochs", DIM, BG)])
