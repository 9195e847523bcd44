"""The strips under the label strip: the suggestions (``suggest``) and each compared scorer.

One row each, on the label strip's columns (the same gutter and the same
``[t0, t1)``). A suggestion's cell is its state's colour blended toward the
background by its confidence (true colour), and shows ``?`` when the
confidence is below the threshold; another scorer's cells are its states'
colours. The rows come ready from
:meth:`SuggestionReview.strip_rows <loupe_tui.tui.suggestions.SuggestionReview.strip_rows>`.
"""

from __future__ import annotations

import numpy as np
from textual.strip import Strip

from loupe_tui.tui.widgets.draw import BG, DIM, GUTTER, CachedLines, StripPainter, blend, rgba_tuple, text_on


class SuggestionStrip(CachedLines):
    """Rows of suggested / other scorers' states for the window."""

    def __init__(self, rows_for, *, id: str | None = None):
        super().__init__(id=id)
        self._rows_for = rows_for          # (t0, t1, n) -> list of StripRow
        self._view = None
        self._colors: dict[str, tuple] = {}
        self._painter = StripPainter()
        self._shown = None                 # what the cached rows were drawn from

    def show(self, view, colors, version=None) -> None:
        """Draw ``view``'s window. ``version`` says what the rows depend on besides the window and the
        colours (:meth:`SuggestionReview.strip_version`): when none of it changed (a state key without
        blind scoring), the rows drawn stay."""
        self._view, self._colors = view, colors
        shown = (view.t0, view.t1, dict(colors), version)
        if version is not None and shown == self._shown:
            return
        self._shown = shown
        self.invalidate()

    def _render_all(self) -> list[Strip]:
        width, height = self.size.width, self.size.height
        p, n, v = self._painter, width - GUTTER, self._view
        blank = Strip.blank(width, p.style(bg=BG))
        if v is None or n < 4:
            return [blank] * height
        out = [self._row(r, n, width) for r in self._rows_for(v.t0, v.t1, n)[:height]]
        return out + [blank] * (height - len(out))

    def _row(self, row, n: int, width: int) -> Strip:
        p = self._painter
        styles = [p.style(DIM, BG)]
        index: dict[tuple, int] = {}
        keys = np.zeros(n, np.int64)
        text = []
        for i, (state, alpha, unsure) in enumerate(zip(row.states, row.alpha.tolist(), row.unsure.tolist())):
            if state is None:
                text.append("·")
                continue
            bg = blend(rgba_tuple(self._colors.get(state)), BG, round(alpha * 8) / 8)   # few distinct styles
            key = (bg, unsure)
            if key not in index:
                styles.append(p.style(text_on(bg), bg, bold=True))
                index[key] = len(styles) - 1
            keys[i] = index[key]
            text.append("?" if unsure else " ")
        return p.strip("".join(text), keys, styles, width, [p.gutter(row.title, DIM, BG)])
