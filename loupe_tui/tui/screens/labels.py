"""The label table screen (``:table``): every interval; Enter jumps there, ``e`` edits a cell.

A modal host for :class:`~loupe_tui.tui.widgets.label_table.LabelTable`. It
opens on the interval at the cursor; a cell edit goes through
``IntervalLabelSet.update_cell`` (journaled, undoable) and is applied to the
main screen's views and the GL window like any other edit. Escape closes.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from loupe_tui.core.session import Change
from loupe_tui.errors import LoupeError
from loupe_tui.tui.widgets.label_table import LabelTable


class LabelsScreen(ModalScreen[float | None]):
    """Dismisses with the start time to go to (Enter), or None (Escape)."""

    DEFAULT_CSS = """
    LabelsScreen { align: center middle; }
    LabelsScreen > #labels-box { width: 95%; height: 90%; border: round #6e8cff; background: #1c1c26; }
    LabelsScreen #labels-help { height: 1; color: #a0a0b0; }
    """

    def __init__(self, main):
        super().__init__()
        self.main = main

    def compose(self) -> ComposeResult:
        labels = self.main.session.labels
        with Vertical(id="labels-box"):
            yield Static(f"{len(labels):,} intervals: Enter goes there, e/F2 edits the note or an extra "
                         "cell, Esc closes", id="labels-help")
            yield LabelTable(labels, self.main.states.colors, id="label-table")

    def on_mount(self) -> None:
        table = self.query_one(LabelTable)
        table.focus()
        table.follow(self.main.session.cursor)

    def on_label_table_jump_to(self, event: LabelTable.JumpTo) -> None:
        event.stop()
        self.dismiss(event.t)

    def on_label_table_cell_edited(self, event: LabelTable.CellEdited) -> None:
        event.stop()
        try:
            diff = self.main.session.labels.update_cell(event.index, event.column, event.value)
        except LoupeError as exc:
            self.query_one("#labels-help", Static).update(str(exc))
            return
        self.query_one(LabelTable).refresh_labels(diff)
        self.main.apply(Change(labels=diff))

    def on_key(self, event) -> None:
        if event.key == "escape" and not self.query_one(LabelTable).editing:
            event.stop()
            self.dismiss(None)
