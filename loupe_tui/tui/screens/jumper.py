"""Jump to epochs (Ctrl+J): find intervals by state, note, extra columns and suggestion.

:class:`EpochJumper` is a modal screen. The filters combine (AND); the
matches update as you type and are listed in a virtualised
:class:`~loupe_tui.tui.widgets.label_table.LabelTable`. Enter goes to the
highlighted match and dismisses with a :class:`JumpResult`, whose
``matches`` let the app step through the rest (F3 / Shift+F3); Escape
dismisses with None.

With scoring suggestions the list shows them (the ``suggested`` column) and a
``suggestion`` filter keeps the intervals whose suggestion disagrees with the
label, is below the confidence threshold, or agrees (:class:`SuggestionFacts`,
read once when the jumper opens).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from loupe_tui.io.suggest.intervals import interval_suggestions
from loupe_tui.tui.dialogs.form import KeySelect
from loupe_tui.tui.widgets.label_table import LabelTable

__all__ = ["EpochJumper", "JumpFilters", "JumpResult", "SUGGESTION_CHOICES", "SuggestionFacts"]

#: The suggestion filter's choices: value -> what the list says (``None`` is any suggestion).
SUGGESTION_CHOICES = {"disagrees": "disagrees with the label", "unsure": "below the threshold",
                      "agrees": "agrees with the label"}


@dataclass(frozen=True, eq=False)
class SuggestionFacts:
    """Per interval of some labels: what its suggestion says about it (no suggestion: all False).

    Attributes
    ----------
    disagrees, unsure, agrees : ndarray of bool
        The suggested state is not the label's; its confidence is below the threshold; it is.
        A label the model does not suggest (an artifact state) neither agrees nor disagrees.
    """

    disagrees: np.ndarray
    unsure: np.ndarray
    agrees: np.ndarray

    @classmethod
    def of(cls, labels: Any, sugg: Any, threshold: float) -> SuggestionFacts:
        """Read ``sugg`` (``Suggestions``) for every interval of ``labels`` (O(n) numpy)."""
        per = interval_suggestions(sugg, labels.starts, labels.ends)
        # the label's state as a suggestion code (-1: a state never suggested, e.g. an artifact)
        lut = np.array([sugg.states.index(n) if n in sugg.states else -1 for n in labels.label_names] + [-1],
                       np.int64)
        label = lut[np.asarray(labels.codes, np.int64)] if len(labels) else np.zeros(0, np.int64)
        has = per.codes >= 0
        same = has & (per.codes == label)
        return cls(has & (label >= 0) & ~same, has & (per.confidence < threshold), same)


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
    suggestion : str or None
        A key of :data:`SUGGESTION_CHOICES` (``"disagrees"``, ``"unsure"``, ``"agrees"``),
        or None for any interval, with or without a suggestion.
    """

    state: str | None = None
    note: str = ""
    extras: tuple[tuple[str, str], ...] = ()
    suggestion: str | None = None

    def find(self, labels: Any, suggested: SuggestionFacts | None = None) -> np.ndarray:
        """Indices of the intervals of ``labels`` that match (``IntervalLabelSet.find``).

        Raises
        ------
        ValueError
            A suggestion filter without ``suggested`` (the facts of these labels).
        """
        extras = {c: v for c, v in self.extras if v and c in labels.extra_cols}
        found = labels.find(state=self.state, note=self.note or None, **extras)
        if self.suggestion is None:
            return found
        if suggested is None:
            raise ValueError(f"the suggestion filter {self.suggestion!r} needs the suggestions")
        keep = getattr(suggested, self.suggestion)
        return found[keep[found]]

    def describe(self) -> str:
        """``"REM, note contains 'spindle'"`` (``"every interval"`` without filters)."""
        parts = [self.state] if self.state else []
        if self.note:
            parts.append(f"note contains {self.note!r}")
        parts += [f"{c} contains {v!r}" for c, v in self.extras if v]
        if self.suggestion is not None:
            parts.append(f"suggestion {SUGGESTION_CHOICES[self.suggestion]}")
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
    suggestions : Suggestions, optional
        Scoring suggestions: the list shows them and the suggestion filter is offered
        (without them a suggestion filter in ``filters`` is dropped).
    threshold : float
        The confidence below which a suggestion is unsure.
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
                 filters: JumpFilters | None = None, t: float | None = None, times=None,
                 suggestions: Any = None, threshold: float = 0.8):
        super().__init__()
        self.labels = labels
        self._colors = dict(states_colors or {})
        self.threshold = threshold
        self.suggested = None if suggestions is None else SuggestionFacts.of(labels, suggestions, threshold)
        self._start = filters or JumpFilters()
        if self.suggested is None and self._start.suggestion is not None:
            self._start = replace(self._start, suggestion=None)
        self._t = t
        self.filters = self._start
        self.matches = self._start.find(labels, self.suggested)
        cols = ("index", "start", "state", "suggested", *(f"extra:{c}" for c in labels.extra_cols), "note")
        self.table = LabelTable(labels, self._colors, columns=cols, rows=self.matches, editable=False,
                                times=times, id="matches")
        if suggestions is not None:
            self.table.set_suggestions(suggestions, threshold)

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
            if self.suggested is not None:
                with Horizontal(classes="field"):
                    yield Label("Suggestion")
                    choices = {**SUGGESTION_CHOICES, "unsure": f"below the threshold ({self.threshold:g})"}
                    yield KeySelect([(text, key) for key, text in choices.items()], prompt="any suggestion",
                                    value=f.suggestion or Select.NULL, id="suggestion")
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
        suggestion = (self.query_one("#suggestion", Select).value if self.suggested is not None
                      else Select.NULL)
        return JumpFilters(None if state is Select.NULL else str(state),
                           self.query_one("#note", Input).value,
                           tuple((c, v) for c, v in extras if v),
                           None if suggestion is Select.NULL else str(suggestion))

    @on(Input.Changed)
    @on(Select.Changed)
    def _refilter(self, event: Any) -> None:
        event.stop()
        self.filters = self.current_filters()
        self.matches = self.filters.find(self.labels, self.suggested)
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
