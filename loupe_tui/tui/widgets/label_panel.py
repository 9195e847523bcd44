"""The label table docked beside the views (F4), with its one-line hint.

A panel, not a screen: it follows the cursor as you score, and while it has
focus it takes only its own navigation keys; everything else (state keys,
paging ...) reaches the main screen as usual.
"""

from __future__ import annotations

from textual.containers import Vertical
from textual.widgets import Static

from loupe_tui.tui.widgets.label_table import LabelTable


class LabelPanel(Vertical):
    """:class:`LabelTable` of ``labels`` under a hint line (``times``: clock or elapsed, a TimeDisplay)."""

    def __init__(self, labels, state_colors: dict, times=None):
        self.labels = labels
        self.hint = Static(id="label-table-hint")
        self.table = LabelTable(labels, state_colors, times=times, id="label-table")
        super().__init__(self.hint, self.table, id="label-panel")
        self.update_hint()

    def update_hint(self) -> None:
        self.hint.update(f"{len(self.labels):,} intervals · Enter: go there · e/F2: edit · "
                         "Esc: back to the traces · F4: hide")

    def has(self, widget) -> bool:
        """``widget`` (the focused one) is inside the table."""
        return widget is not None and self.table in widget.ancestors_with_self

    def show_changes(self, diff, cursor: float, moved: bool) -> None:
        """After an edit (``diff``, None for none) or a move: refresh the rows and follow ``cursor``."""
        if not self.display:
            return
        if diff is not None:
            self.table.refresh_labels(diff)
            self.update_hint()
        if moved or diff is not None:
            self.table.follow(cursor)
