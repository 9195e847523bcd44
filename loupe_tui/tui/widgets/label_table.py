"""The label table: every interval, instant at 100,000 rows.

:class:`LabelTable` shows start, end, duration, state, the schema's extra
columns and the note of every interval of an
:class:`~loupe_tui.core.labels.IntervalLabelSet`. Only the rows on screen are
drawn (see :mod:`~loupe_tui.tui.widgets.label_grid`), so opening it over a
24 h recording costs the same as over one hour.

It never changes the labels itself. It posts messages and the screen acts:

* :class:`LabelTable.JumpTo` (Enter): go to this interval.
* :class:`LabelTable.CellEdited` (``e``/F2, type, Enter): the screen calls
  ``labels.update_cell(index, column, value)`` and hands the diff back with
  :meth:`LabelTable.refresh_labels`.
* :class:`LabelTable.Highlighted`: the user moved the highlight with a key.

Given scoring suggestions (:meth:`LabelTable.set_suggestions`), a ``suggested``
column after ``state`` shows each interval's: ``≠`` and the suggested
state's colour where it differs from the label, ``?`` below the threshold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from textual import events, on
from textual.app import ComposeResult
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input

from loupe_tui.core.clock import TimeDisplay
from loupe_tui.core.labels.diff import LabelDiff
from loupe_tui.tui.widgets.label_columns import cell_text, parse_cell
from loupe_tui.tui.widgets.label_grid import LabelGrid

__all__ = ["LabelTable", "LabelGrid"]


class LabelTable(Widget):
    """A virtualised table of interval labels that follows the cursor.

    Parameters
    ----------
    labels : IntervalLabelSet
        The labels to show (read on demand; call :meth:`refresh_labels` after an edit).
    states_colors : mapping, optional
        ``{state: colour}`` in any form ``parse_color`` reads (``StateConfig.colors`` works);
        state cells get that background.
    columns : sequence of str, optional
        Keys of the columns to show, in order: ``"index"``, ``"start"``, ``"end"``,
        ``"duration"``, ``"state"``, ``"suggested"``, ``"extra:<name>"``, ``"note"``
        (default: all; ``"suggested"`` only while there are suggestions).
    rows : array of int, optional
        Show only these label indices (sorted), e.g. search matches.
    editable : bool
        Allow ``e``/F2 editing of the note and extra cells.
    times : TimeDisplay, optional
        How start and end are written: on the clock or since the start (default
        elapsed); after its mode changes, :meth:`refresh_labels` rewrites them.

    Keys (while it has focus; see :attr:`KEYS`): Up/Down/PgUp/PgDn/Home/End move
    the highlight, Enter jumps, Left/Right choose the editable column, ``e`` or
    F2 edits it (Enter commits, Escape cancels). Other keys reach the screen.
    """

    DEFAULT_CSS = """
    LabelTable { height: 1fr; }
    LabelTable > LabelGrid { height: 1fr; width: 1fr; }
    LabelTable > Input.-cell-editor {
        position: absolute; display: none; height: 1; border: none; padding: 0 0;
        background: $boost; color: $foreground;
    }
    LabelTable > Input.-cell-editor.-open { display: block; }
    """

    #: Keys the table handles itself (in ``on_key``, so a screen that routes
    #: keys in its own ``on_key`` still lets the focused table have them).
    KEYS: dict[str, tuple[str, tuple[Any, ...]]] = {
        "up": ("cursor_up", ()), "down": ("cursor_down", ()), "pageup": ("page_up", ()),
        "pagedown": ("page_down", ()), "home": ("first", ()), "end": ("last", ()),
        "enter": ("jump", ()), "e": ("edit", ()), "f2": ("edit", ()),
        "left": ("column", (-1,)), "right": ("column", (1,)),
    }

    class JumpTo(Message):
        """Enter on a row: go to ``t`` (its start), the interval ``index``."""

        def __init__(self, table: LabelTable, t: float, index: int):
            super().__init__()
            self.table, self.t, self.index = table, t, index

        @property
        def control(self) -> LabelTable:
            return self.table

    class CellEdited(Message):
        """A cell edit was committed: call ``labels.update_cell(index, column, value)``.

        ``column`` is the schema's note column name or an extra column name;
        ``value`` is typed like the column (None when cleared).
        """

        def __init__(self, table: LabelTable, index: int, column: str, value: Any):
            super().__init__()
            self.table, self.index, self.column, self.value = table, index, column, value

        @property
        def control(self) -> LabelTable:
            return self.table

    class Highlighted(Message):
        """The user moved the highlight to interval ``index`` (start ``t``) with a key."""

        def __init__(self, table: LabelTable, index: int, t: float):
            super().__init__()
            self.table, self.index, self.t = table, index, t

        @property
        def control(self) -> LabelTable:
            return self.table

    def __init__(self, labels: Any, states_colors: Mapping[str, Any] | None = None, *,
                 columns: Sequence[str] | None = None, rows: np.ndarray | None = None,
                 editable: bool = True, times: TimeDisplay | None = None, name: str | None = None,
                 id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.grid = LabelGrid(labels, states_colors, keys=columns, rows=rows, edit_cells=editable, times=times)
        self.editor = Input(classes="-cell-editor", select_on_focus=False)   # editing keeps the text
        self._editing: tuple[int, str] | None = None
        self._pending_follow: float | None = None

    def compose(self) -> ComposeResult:
        yield self.grid
        yield self.editor

    def focus(self, scroll_visible: bool = True) -> LabelTable:
        """Focus the rows (the table itself is only a frame)."""
        self.grid.focus(scroll_visible)
        return self

    # -- public API --------------------------------------------------------------------
    @property
    def labels(self) -> Any:
        return self.grid.labels

    @property
    def row_count(self) -> int:
        """Rows shown (all intervals, or the ``rows`` subset)."""
        return self.grid.row_count

    @property
    def cursor_index(self) -> int | None:
        """Label index of the highlighted row (None when the table is empty)."""
        return self.grid.label_index(self.grid.cursor) if self.grid.row_count else None

    @property
    def editing(self) -> bool:
        """True while the cell editor is open."""
        return self._editing is not None

    def refresh_labels(self, diff: LabelDiff | None = None) -> None:
        """Show the labels as they are now.

        Parameters
        ----------
        diff : LabelDiff, optional
            The edit just made (``update_cell``, ``add``, ``undo`` ...). With it
            the table shifts its highlight and repaints only the changed rows
            (O(size of the edit)); without it, or on a ``rows`` subset, it
            re-measures everything (O(n) numpy, a few ms at 100k rows).
        """
        g = self.grid
        if diff is None or g.rows is not None:
            g.rebuild()
            g.refresh()
            return
        if not diff:
            return
        g.cursor = _shift(g.cursor, diff)
        if g.widen(diff.added):
            g.refresh()                       # columns changed width: every visible row moves
        elif all(len(h.added) == len(h.removed) for h in diff.hunks):
            for h in diff.hunks:              # rows stay where they were: repaint just these
                g.refresh_rows(h.index, h.index + len(h.added))
        else:
            g.refresh_rows(diff.hunks[0].index, g.row_count + 1)
        if self._editing is not None and self._editing[0] >= diff.hunks[0].index:
            self._close_editor()              # its row changed or moved under the editor
            self.notify("cell edit cancelled: the labels changed under it", severity="warning")

    def set_rows(self, rows: np.ndarray | None) -> None:
        """Show only label indices ``rows`` (sorted), or every interval with None."""
        g = self.grid
        g.rows = None if rows is None else np.asarray(rows, dtype=np.int64)
        g.cursor = 0
        g.rebuild()
        g.scroll_to(y=0, animate=False, immediate=True)
        g.refresh()

    def set_suggestions(self, sugg: Any, threshold: float = 0.8) -> None:
        """Show scoring suggestions in a ``suggested`` column (None: no column, as without).

        Parameters
        ----------
        sugg : Suggestions or None
            The newest suggestions. Each interval shows the state suggested for most of it
            and their mean confidence (:func:`~loupe_tui.io.suggest.interval_suggestions`),
            read for the rows drawn only; after label edits (:meth:`refresh_labels`) the rows
            are read again as they are drawn.
        threshold : float
            Confidences below it are marked ``?``.
        """
        self.grid.set_suggestions(sugg, threshold)

    def set_state_colors(self, states_colors: Mapping[str, Any] | None) -> None:
        """New state colours (after a keymap change)."""
        self.grid.set_colors(states_colors)

    def follow(self, t: float) -> None:
        """Highlight the interval at time ``t`` (or the last one before it) and scroll to it.

        Called by the screen as the cursor moves; posts nothing. While a cell is
        being edited the move waits until the editor closes.
        """
        if self.editing:
            self._pending_follow = t
            return
        g = self.grid
        labels = g.labels
        if not len(labels):
            return
        i = labels.index_at(t)
        if i is None:
            i = max(int(np.searchsorted(labels.starts, t, side="right")) - 1, 0)
        self._move(g.display_row(i), post=False, center=True)

    # -- keys --------------------------------------------------------------------------
    def on_key(self, event: events.Key) -> None:
        if self.editing:
            if event.key == "escape":
                event.stop()
                event.prevent_default()
                self.action_cancel_edit()
            return  # the editor (an Input) takes every other key
        action, args = self.KEYS.get(event.key, (None, ()))
        if action is None or not self.check_action(action, args):
            return  # not ours: the screen gets it (state hotkeys, Escape ...)
        event.stop()
        event.prevent_default()
        getattr(self, f"action_{action}")(*args)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # A key that does nothing here falls through to the screen (Escape
        # clears the selection, Left/Right step video when nothing is editable).
        if action == "cancel_edit":
            return self.editing
        if action in ("edit", "column"):
            return bool(self.grid.editable_columns) and not self.editing
        return not self.editing
    def _move(self, k: int, *, post: bool = True, center: bool = False) -> None:
        g = self.grid
        if not g.row_count or self.editing:
            return
        k = min(max(k, 0), g.row_count - 1)
        old, g.cursor = g.cursor, k
        g.refresh_rows(old, old + 1)
        g.refresh_rows(k, k + 1)
        g.scroll_to_row(k, center=center)
        if post and k != old:
            i = g.label_index(k)
            self.post_message(self.Highlighted(self, i, float(g.labels.starts[i])))

    def action_cursor_up(self) -> None:
        self._move(self.grid.cursor - 1)

    def action_cursor_down(self) -> None:
        self._move(self.grid.cursor + 1)

    def action_page_up(self) -> None:
        self._move(self.grid.cursor - self.grid.body_height)

    def action_page_down(self) -> None:
        self._move(self.grid.cursor + self.grid.body_height)

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        self._move(self.grid.row_count - 1)

    def action_jump(self) -> None:
        i = self.cursor_index
        if i is not None and not self.editing:
            self.post_message(self.JumpTo(self, float(self.labels.starts[i]), i))

    def action_column(self, step: int) -> None:
        g = self.grid
        cols = g.editable_columns
        if not cols or self.editing:
            return
        g.col = (g.col + step) % len(cols)
        g.scroll_to_column(cols[g.col])
        g.refresh_rows(g.cursor, g.cursor + 1)

    def action_edit(self) -> None:
        g = self.grid
        cols = g.editable_columns
        if not cols or not g.row_count or self.editing:
            self.app.bell()
            return
        col = cols[g.col]
        g.scroll_to_row(g.cursor)
        g.scroll_to_column(col)
        i = g.label_index(g.cursor)
        self._editing = (i, col.edit_column)
        ed = self.editor
        ed.value = cell_text(col, g.labels.row(i), i, g.decimals, g.labels, g.times)
        x = g.column_x(col) - int(g.scroll_offset.x)
        y = g.cursor - int(g.scroll_offset.y) + 1
        ed.styles.offset = (x, y)
        ed.styles.width = max(min(max(col.width + 1, 24), g.scrollable_content_region.width - x), 4)
        ed.add_class("-open")
        ed.focus()
        ed.cursor_position = len(ed.value)

    def action_cancel_edit(self) -> None:
        if self.editing:
            self._close_editor()

    @on(Input.Submitted, ".-cell-editor")
    def _commit(self, event: Input.Submitted) -> None:
        event.stop()
        if self._editing is None:
            return
        index, column = self._editing
        try:
            value = parse_cell(event.value, self._typed_like(index, column))
        except ValueError as exc:
            self.app.bell()
            self.notify(f"{column}: {exc}", severity="error")
            return
        self._close_editor()
        if value != self._current(index, column):
            self.post_message(self.CellEdited(self, index, column, value))

    def on_descendant_blur(self, event: Any) -> None:
        if event.widget is self.editor and self.editing:
            self._close_editor(refocus=False)

    def _close_editor(self, refocus: bool = True) -> None:
        self._editing = None
        self.editor.remove_class("-open")
        if refocus:
            self.grid.focus()
        if self._pending_follow is not None:
            t, self._pending_follow = self._pending_follow, None
            self.follow(t)

    def _current(self, index: int, column: str) -> Any:
        row = self.labels.row(index)
        if column in self.labels.extra_cols:
            return row.extras[self.labels.extra_cols.index(column)]
        return row.note

    def _typed_like(self, index: int, column: str) -> Any:
        """A non-null value of ``column`` (this row's, else the first in the set) for its type."""
        if column not in self.labels.extra_cols:
            return ""
        value = self._current(index, column)
        if value is not None:
            return value
        k = self.labels.extra_cols.index(column)
        for j in range(min(len(self.labels), 2000)):
            v = self.labels.row(j).extras[k]
            if v is not None:
                return v
        return ""


def _shift(cursor: int, diff: LabelDiff) -> int:
    """Where display row ``cursor`` moves when ``diff`` is applied (full table)."""
    shift = 0
    for h in diff.hunks:
        end = h.index + len(h.removed)
        if cursor >= end:
            shift += len(h.added) - len(h.removed)
        elif cursor >= h.index:
            return h.index + shift + min(cursor - h.index, max(len(h.added) - 1, 0))
    return cursor + shift
