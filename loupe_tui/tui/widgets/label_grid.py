"""The virtual row view behind :class:`~loupe_tui.tui.widgets.label_table.LabelTable`.

A Line-API :class:`~textual.scroll_view.ScrollView` whose virtual height is
the number of rows (+1 for a header that stays on top). Textual asks for the
lines on screen only, and each line reads its interval from the
:class:`~loupe_tui.core.labels.IntervalLabelSet` arrays when it is drawn, so
the cost of opening, scrolling or editing does not grow with the number of
intervals. The ``suggested`` column is read the same way, for the rows drawn
(:class:`~loupe_tui.tui.widgets.label_columns.SuggestedColumn`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from loupe_tui.core.clock import TimeDisplay
from loupe_tui.core.colors import parse_color
from loupe_tui.tui.widgets.label_columns import (SUGGESTED, TIME_KINDS, Column, SuggestedColumn, build_columns,
                                                 cell_text, fit, time_decimals, widen_for, with_suggested)


def state_styles(colors: Mapping[str, Any] | None) -> dict[str, Style]:
    """``{state: rich Style}`` with the state colour as background and readable text."""
    out: dict[str, Style] = {}
    for state, value in (colors or {}).items():
        try:
            r, g, b, _ = parse_color(value, where=f"colour of {state!r}")
        except Exception:  # a bad colour only loses the swatch, never the table
            continue
        fg = "black" if (0.299 * r + 0.587 * g + 0.114 * b) > 140 else "white"
        out[state] = Style(bgcolor=f"#{r:02x}{g:02x}{b:02x}", color=fg)
    return out


class LabelGrid(ScrollView, can_focus=True, inherit_bindings=False):
    """Rows of a label set, drawn on demand. Use it through ``LabelTable``."""

    COMPONENT_CLASSES = {"label-grid--header", "label-grid--cursor", "label-grid--cell-cursor",
                         "label-grid--empty", "label-grid--suggested-differs", "label-grid--suggested-unsure"}
    DEFAULT_CSS = """
    LabelGrid {
        background: $surface;
        color: $foreground;
        & > .label-grid--header { text-style: bold; background: $panel; color: $foreground; }
        & > .label-grid--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
        }
        &:focus > .label-grid--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
        }
        & > .label-grid--cell-cursor { text-style: reverse underline; }
        & > .label-grid--empty { color: $text-muted; text-style: italic; }
        /* a suggestion other than the label (when its state has no colour), one below the threshold */
        & > .label-grid--suggested-differs { color: $warning; text-style: bold; }
        & > .label-grid--suggested-unsure { text-style: italic; }
    }
    """

    def __init__(self, labels: Any, colors: Mapping[str, Any] | None, *, keys: Sequence[str] | None,
                 rows: np.ndarray | None, edit_cells: bool, times: TimeDisplay | None = None, **kw: Any):
        super().__init__(**kw)
        self.labels = labels
        self.times = times if times is not None else TimeDisplay()   # clock or elapsed starts and ends
        self.keys = tuple(keys) if keys is not None else None
        self.edit_cells = edit_cells
        self.rows: np.ndarray | None = None if rows is None else np.asarray(rows, dtype=np.int64)
        self.cursor = 0            # display row
        self.col = 0               # index into editable_columns
        self.decimals = 0
        self.columns: list[Column] = []
        #: Display rows drawn since this set was last cleared (tests, benchmarks).
        self.rendered_rows: set[int] = set()
        self._state_styles = state_styles(colors)
        self.suggested: SuggestedColumn | None = None   # the suggestions' column, when there are some
        self.rebuild()
        keys = [c.key for c in self.editable_columns]
        self.col = keys.index("note") if "note" in keys else 0   # notes are what people edit most

    # -- model ------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self.labels) if self.rows is None else len(self.rows)

    def label_index(self, k: int) -> int:
        """Label-set index of display row ``k``."""
        return int(k) if self.rows is None else int(self.rows[k])

    def display_row(self, index: int) -> int:
        """Display row of label index ``index`` (or of the last shown row before it)."""
        if self.rows is None:
            return index
        return max(int(np.searchsorted(self.rows, index, side="right")) - 1, 0)

    @property
    def editable_columns(self) -> list[Column]:
        return [c for c in self.columns if c.edit_column is not None] if self.edit_cells else []

    def rebuild(self) -> None:
        """Recompute decimals, column widths and the virtual size (O(n) numpy + a sample)."""
        self.decimals = time_decimals(self.labels)
        self.columns = build_columns(self.labels, self.keys, self.decimals, self.times, self.suggested)
        self._resize_virtual()

    def widen(self, added: Sequence[Any]) -> bool:
        """Make room for rows an edit added (looks at those rows only); True if widths changed."""
        before = [c.width for c in self.columns]
        if self.decimals == 0 and any(abs(v - round(v)) >= 5e-4 for r in added for v in (r.start, r.end)):
            self.rebuild()
        else:
            self.columns = widen_for(self.columns, added, self.labels, self.decimals, self.times)
            self._resize_virtual()
        return [c.width for c in self.columns] != before

    def set_suggestions(self, sugg: Any, threshold: float) -> None:
        """Show ``sugg`` (a ``Suggestions``, or None: no column) with ``threshold``."""
        if sugg is None:
            self.suggested = None
        elif self.suggested is not None and self.suggested.sugg is sugg:
            self.suggested.threshold = float(threshold)     # the same suggestions: nothing to read again
        else:
            self.suggested = SuggestedColumn(sugg, threshold)
        self.columns = with_suggested(self.columns, self.keys, self.suggested)
        self._resize_virtual()
        self.refresh()

    def _indices(self, k0: int, k1: int) -> np.ndarray:
        """Label indices of display rows ``[k0, k1)`` (clipped to the rows)."""
        k1 = min(k1, self.row_count)
        return np.arange(k0, k1) if self.rows is None else self.rows[k0:k1]

    def set_colors(self, colors: Mapping[str, Any] | None) -> None:
        self._state_styles = state_styles(colors)
        self.refresh()

    def _resize_virtual(self) -> None:
        self.cursor = min(max(self.cursor, 0), max(self.row_count - 1, 0))
        self.col = min(self.col, max(len(self.editable_columns) - 1, 0))
        width = sum(c.width + 1 for c in self.columns)
        self.virtual_size = Size(width, self.row_count + 1)

    def column_x(self, column: Column) -> int:
        """x of ``column`` in the virtual (unscrolled) row."""
        x = 0
        for c in self.columns:
            if c is column:
                return x
            x += c.width + 1
        return x

    # -- scrolling --------------------------------------------------------------------
    @property
    def body_height(self) -> int:
        """Rows that fit under the header."""
        return max(self.scrollable_content_region.height - 1, 1)

    def scroll_to_row(self, k: int, *, center: bool = False) -> None:
        top = int(self.scroll_offset.y)
        h = self.body_height
        if center and not top <= k < top + h:
            target = k - h // 2
        elif k < top:
            target = k
        elif k >= top + h:
            target = k - h + 1
        else:
            return
        self.scroll_to(y=max(target, 0), animate=False, immediate=True)

    def scroll_to_column(self, column: Column) -> None:
        x, w = self.column_x(column), self.scrollable_content_region.width
        left = int(self.scroll_offset.x)
        if x < left:
            self.scroll_to(x=x, animate=False, immediate=True)
        elif x + column.width > left + w:
            self.scroll_to(x=max(x + column.width - w, 0), animate=False, immediate=True)

    def refresh_rows(self, k0: int, k1: int) -> None:
        """Repaint display rows ``[k0, k1)`` that are on screen."""
        top = int(self.scroll_offset.y)
        lo, hi = max(k0, top), min(k1, top + self.body_height)
        if hi > lo:
            self.refresh(Region(0, lo - top + 1, self.size.width, hi - lo))

    # -- rendering ---------------------------------------------------------------------
    def render_lines(self, crop: Region) -> list[Strip]:
        self._base = self.rich_style  # computed once per paint, not per line
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        sx = int(self.scroll_offset.x)
        if y == 0:
            style = self.get_component_rich_style("label-grid--header")
            segs = [Segment(fit(c.header, c.width, right=c.key in TIME_KINDS) + " ", style)
                    for c in self.columns]
            return Strip(segs).crop_extend(sx, sx + width, style)
        k = int(self.scroll_offset.y) + y - 1
        base = getattr(self, "_base", None) or self.rich_style
        if k >= self.row_count:
            if k == 0:
                return Strip([Segment(" no intervals", self.get_component_rich_style("label-grid--empty"))]
                             ).extend_cell_length(width, base)
            return Strip.blank(width, base)
        self.rendered_rows.add(k)
        return self._row_strip(k, base).crop_extend(sx, sx + width, self._row_style(k, base))

    def _row_style(self, k: int, base: Style) -> Style:
        return base + self.get_component_rich_style("label-grid--cursor") if k == self.cursor else base

    def _row_strip(self, k: int, base: Style) -> Strip:
        i = self.label_index(k)
        row = self.labels.row(i)
        style = self._row_style(k, base)
        edit = self.editable_columns
        cell_cursor = edit[self.col] if (k == self.cursor and edit) else None
        segs = []
        for c in self.columns:
            if c.key == SUGGESTED:
                segs += [self._suggested_segment(c, k, row, style), Segment(" ", style)]
                continue
            text = fit(cell_text(c, row, i, self.decimals, self.labels, self.times), c.width,
                       right=c.key in TIME_KINDS or c.key == "index")
            s = style
            if c.key == "state" and row.label in self._state_styles:
                s = style + self._state_styles[row.label]
            if c is cell_cursor:
                s = s + self.get_component_rich_style("label-grid--cell-cursor")
            segs += [Segment(text, s), Segment(" ", style)]
        return Strip(segs)

    def _suggested_segment(self, column: Column, k: int, row: Any, style: Style) -> Segment:
        """A suggestion other than the label is drawn in its state's colour (else the warning
        style); one below the threshold in italics."""
        cell = self.suggested.cell(k, row, self._indices, self.labels)
        s = style
        if cell.differs:
            s = s + (self._state_styles.get(cell.state)
                     or self.get_component_rich_style("label-grid--suggested-differs"))
        if cell.unsure:
            s = s + self.get_component_rich_style("label-grid--suggested-unsure")
        return Segment(fit(cell.text, column.width), s)
