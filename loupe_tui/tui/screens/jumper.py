"""Jump to epochs (Ctrl+J): find intervals by state, note and extra columns.

:class:`EpochJumper` is a modal screen. The filters combine (AND); the
matches update as you type and are listed in a virtualised
:class:`~loupe_tui.tui.widgets.label_table.LabelTable`. Enter goes to the
highlighted match and dismisses with a :class:`JumpResult`, whose
``matches`` let the app step through the rest (F3 / Shift+F3); Escape
dismisses with None.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from loupe_tui.tui.dialogs.form import KeySelect
from loupe_tui.tui.widgets.label_table import LabelTable

__all__ = ["EpochJumper", "JumpFilters", "JumpResult"]


@dataclass(frozen=True)
class JumpFilters:
    """What the jumper searched for (pass it back to reopen with the same search).

    Attributes
    ----------
    state : str or None
        Exact state, or None for any.
    note : str
        Text the note contains (case-insensitive); ``""`` for any.
    extras : tuple of (column, text)
        Text each extra column contains (case-insensitive); empty texts are left out.
    """

    state: str | None = None
    note: str = ""
    extras: tuple[tuple[str, str], ...] = ()

    def find(self, labels: Any) -> np.ndarray:
        """Indices of the intervals of ``labels`` that match (``IntervalLabelSet.find``)."""
        extras = {c: v for c, v in self.extras if v and c in labels.extra_cols}
        return labels.find(state=self.state, note=self.note or None, **extras)

    def describe(self) -> str:
        """``"REM, note contains 'spindle'"`` (``"every interval"`` without filters)."""
        parts = [self.state] if self.state else []
        if self.note:
            parts.append(f"note contains {self.note!r}")
        parts += [f"{c} contains {v!r}" for c, v in self.extras if v]
        return ", ".join(parts) or "every interval"


@dataclass(frozen=True, eq=False)
class JumpResult:
    """Where to go, and the other matches for stepping.

    Attributes
    ----------
    t : float
        Start of the chosen interval (seconds).
    matches : numpy.ndarray
        Start times of every match, sorted (float64).
    description : str
        e.g. ``"REM, note contains 'spindle': 12 matches"``, for the status bar.
    index : int
        Label index of the chosen interval.
    filters : JumpFilters
        The search, to reopen the jumper with it.
    """

    t: float
    matches: np.ndarray
    description: str
    index: int = 0
    filters: JumpFilters = field(default_factory=JumpFilters)


class EpochJumper(ModalScreen["JumpResult | None"]):
    """Find intervals by state, note and extra columns; Enter jumps, Escape cancels.

    Parameters
    ----------
    labels : IntervalLabelSet
    states_colors : mapping, optional
        ``{state: colour}``; also orders the state choices (keymap order first).
    filters : JumpFilters, optional
        Start with this search (e.g. the previous result's ``filters``).
    t : float, optional
        Cursor time: the first match at or after it is highlighted.
    times : TimeDisplay, optional
        How the matches' starts are written (clock or elapsed; default elapsed).
    """

    DEFAULT_CSS = """
    EpochJumper { align: center middle; }
    EpochJumper > #jumper {
        width: 90%; max-width: 120; height: 85%; border: thick $primary; background: $surface;
        padding: 0 1;
    }
    EpochJumper .title { text-style: bold; width: 1fr; content-align: center middle; }
    EpochJumper .field { height: auto; }
    EpochJumper .field > Label { width: 18; padding: 1 1 0 0; }
    EpochJumper .field > Input, EpochJumper .field > Select { width: 1fr; }
    EpochJumper #count { height: 1; color: $text-muted; }
    EpochJumper #matches { height: 1fr; border: round $panel; }
    EpochJumper .help { height: 1; color: $text-muted; }
    """

    AUTO_FOCUS = "#note"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("up", "move('cursor_up')", show=False),
        Binding("down", "move('cursor_down')", show=False),
        Binding("pageup", "move('page_up')", show=False),
        Binding("pagedown", "move('page_down')", show=False),
        Binding("enter", "choose", "Go", show=False),
    ]

    def __init__(self, labels: Any, states_colors: Mapping[str, Any] | None = None, *,
                 filters: JumpFilters | None = None, t: float | None = None, times=None):
        super().__init__()
        self.labels = labels
        self._colors = dict(states_colors or {})
        self._start = filters or JumpFilters()
        self._t = t
        self.filters = self._start
        self.matches = self._start.find(labels)
        cols = ("index", "start", "state", *(f"extra:{c}" for c in labels.extra_cols), "note")
        self.table = LabelTable(labels, self._colors, columns=cols, rows=self.matches, editable=False,
                                times=times, id="matches")

    def _state_options(self) -> list[tuple[str, str]]:
        in_use = set(self.labels.states())
        ordered = [s for s in self._colors if s in in_use] + [s for s in self.labels.states()
                                                               if s not in self._colors]
        return [(s, s) for s in ordered]

    def compose(self) -> ComposeResult:
        f = self._start
        extras = dict(f.extras)
        with Vertical(id="jumper"):
            yield Label("Jump to epochs", classes="title")
            with Horizontal(classes="field"):
                yield Label("State")
                options = self._state_options()
                value = f.state if f.state in dict(options) else Select.NULL
                yield KeySelect(options, prompt="any state", value=value, id="state")
            with Horizontal(classes="field"):
                yield Label("Note contains")
                yield Input(f.note, placeholder="any note (blank: notes not required)", id="note")
            for k, col in enumerate(self.labels.extra_cols):
                with Horizontal(classes="field"):
                    yield Label(f"{col} contains")
                    yield Input(extras.get(col, ""), placeholder="any", id=f"extra-{k}",
                                classes="extra")
            yield Static(id="count")
            yield self.table
            yield Static("Type: filter by note   Shift+Tab: the state list (Space opens it)   Tab: next field   "
                         "Up/Down/PgUp/PgDn: choose   Enter: go   Esc: cancel",
                         classes="help")

    def on_mount(self) -> None:
        self._show_count()
        self._highlight_from(self._t)

    # -- filtering -----------------------------------------------------------------------
    def current_filters(self) -> JumpFilters:
        """The filters as typed now."""
        state = self.query_one("#state", Select).value
        extras = tuple((col, self.query_one(f"#extra-{k}", Input).value)
                       for k, col in enumerate(self.labels.extra_cols))
        return JumpFilters(None if state is Select.NULL else str(state),
                           self.query_one("#note", Input).value,
                           tuple((c, v) for c, v in extras if v))

    @on(Input.Changed)
    @on(Select.Changed)
    def _refilter(self, event: Any) -> None:
        event.stop()
        self.filters = self.current_filters()
        self.matches = self.filters.find(self.labels)
        self.table.set_rows(self.matches)
        self._show_count()
        self._highlight_from(self._t)

    def _show_count(self) -> None:
        n, total = len(self.matches), len(self.labels)
        what = self.filters.describe()
        self.query_one("#count", Static).update(f"{n:,} of {total:,} intervals match ({what})")

    def _highlight_from(self, t: float | None) -> None:
        if t is None or not len(self.matches):
            return
        starts = self.labels.starts[self.matches]
        k = min(int(np.searchsorted(starts, t, side="left")), len(starts) - 1)
        self.table.follow(float(starts[k]))

    # -- keys ----------------------------------------------------------------------------
    def action_move(self, what: str) -> None:
        getattr(self.table, f"action_{what}")()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_choose(self) -> None:
        i = self.table.cursor_index
        if i is None:
            self.app.bell()
            self.notify("nothing matches: change the filters or press Escape", severity="warning")
            return
        starts = np.asarray(self.labels.starts[self.matches], dtype=np.float64)
        n = len(starts)
        desc = f"{self.filters.describe()}: {n:,} match{'es' if n != 1 else ''}"
        self.dismiss(JumpResult(float(self.labels.starts[i]), starts, desc, i, self.filters))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_choose()

    @on(LabelTable.JumpTo)
    def _jump(self, event: LabelTable.JumpTo) -> None:
        event.stop()
        self.action_choose()

    @on(LabelTable.Highlighted)
    def _highlighted(self, event: LabelTable.Highlighted) -> None:
        event.stop()
