"""Columns of the label table: what each shows, how wide it is, how a cell reads.

Pure helpers for :class:`~loupe_tui.tui.widgets.label_table.LabelTable` (no
Textual here). Start and end are written as a
:class:`~loupe_tui.core.clock.TimeDisplay` says (clock or elapsed; durations
are durations either way). Widths come from the time range and from a sample of the notes
and extras, never from a scan of every row, so a table over 100,000 intervals
opens in milliseconds; a longer cell is cut with an ellipsis (the editor shows
it whole).

The ``suggested`` column (after ``state``, only when the table is given
suggestions) is read by :class:`SuggestedColumn` for the rows drawn only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from rich.cells import cell_len, set_cell_size

from loupe_tui.core.clock import TimeDisplay
from loupe_tui.core.labels.diff import LabelRow
from loupe_tui.core.timefmt import format_time
from loupe_tui.io.suggest.intervals import EpochSums

_ELAPSED = TimeDisplay()

#: Column kinds in display order (extras and note are added per schema).
TIME_KINDS = ("start", "end", "duration")
#: The key and header of the suggestions' column.
SUGGESTED = "suggested"
_SAMPLE = 2000          # rows sampled to size the text columns
_MAX_TEXT = 40          # widest a note/extra column gets from sampling


@dataclass(frozen=True)
class Column:
    """One column of the table.

    Attributes
    ----------
    key : str
        ``"index"``, ``"start"``, ``"end"``, ``"duration"``, ``"state"``,
        ``"suggested"``, ``"note"`` or ``"extra:<name>"``.
    header : str
        Text of the header cell.
    width : int
        Cells.
    edit_column : str or None
        The column name :meth:`IntervalLabelSet.update_cell` takes, for the
        editable columns (note and extras); None otherwise.
    """

    key: str
    header: str
    width: int
    edit_column: str | None = None


def time_decimals(labels: Any) -> int:
    """0 when every start and end is a whole second (to the ms), else 3."""
    for a in (labels.starts, labels.ends):
        if len(a) and np.any(np.abs(a - np.round(a)) >= 5e-4):
            return 3
    return 0


def time_width(labels: Any, decimals: int, times: TimeDisplay = _ELAPSED) -> int:
    """Cells for the widest time of the set (at least ``0:00:00``)."""
    n = len(labels)
    hi = float(np.max(np.abs(labels.ends))) if n else 0.0
    neg = 1 if n and float(np.min(labels.starts)) < 0 else 0
    return max(len(times.format(hi if math.isfinite(hi) else 0.0, decimals=decimals)) + neg, 7)


def _sample_rows(n: int) -> range | np.ndarray:
    if n <= _SAMPLE:
        return range(n)
    return np.linspace(0, n - 1, _SAMPLE).astype(int)


def _text_width(values, header: str) -> int:
    widest = max((cell_len(str(v)) for v in values if v is not None), default=0)
    return max(cell_len(header), min(widest, _MAX_TEXT), 4)


def build_columns(labels: Any, keys: Sequence[str] | None = None, decimals: int = 0,
                  times: TimeDisplay = _ELAPSED, suggested: SuggestedColumn | None = None) -> list[Column]:
    """The columns to show for ``labels``.

    Parameters
    ----------
    labels : IntervalLabelSet
    keys : sequence of str, optional
        Column keys to keep, in this order (default: every column:
        index, start, end, duration, state, suggested, extras..., note).
    decimals : int
        Decimals of the time columns.
    times : TimeDisplay
        How start and end are written (clock or elapsed).
    suggested : SuggestedColumn, optional
        The suggestions; without them there is no ``suggested`` column.
    """
    n = len(labels)
    tw = max(time_width(labels, decimals, times), time_width(labels, decimals))   # durations stay elapsed
    sample = [labels.row(int(i)) for i in _sample_rows(n)]
    states = max((cell_len(s) for s in labels.label_names), default=0)
    cols = [Column("index", "#", max(len(str(n)), 1)),
            Column("start", "start", tw), Column("end", "end", tw),
            Column("duration", "duration", max(tw, len("duration"))),   # the header fits, short recordings too
            Column("state", "state", max(states, 5))]
    if suggested is not None:
        cols.append(Column(SUGGESTED, SUGGESTED, suggested.width))
    for k, name in enumerate(labels.extra_cols):
        cols.append(Column(f"extra:{name}", name, _text_width((r.extras[k] for r in sample), name), name))
    note_col = labels.schema.note_col
    if note_col is not None:
        cols.append(Column("note", note_col, _text_width((r.note for r in sample), note_col), note_col))
    if keys is None:
        return cols
    by_key = {c.key: c for c in cols}
    return [by_key[k] for k in keys if k in by_key]


def with_suggested(columns: list[Column], keys: Sequence[str] | None,
                   suggested: SuggestedColumn | None) -> list[Column]:
    """``columns`` with the ``suggested`` column put in (where :func:`build_columns` puts it) or
    taken out: new suggestions re-measure nothing else."""
    cols = [c for c in columns if c.key != SUGGESTED]
    if suggested is None or (keys is not None and SUGGESTED not in keys):
        return cols
    new = Column(SUGGESTED, SUGGESTED, suggested.width)
    if keys is None:
        at = next((k + 1 for k, c in enumerate(cols) if c.key == "state"), len(cols))
    else:
        after = set(keys[list(keys).index(SUGGESTED) + 1:])
        at = next((k for k, c in enumerate(cols) if c.key in after), len(cols))
    return [*cols[:at], new, *cols[at:]]


def widen_for(columns: list[Column], rows: Sequence[LabelRow], labels: Any, decimals: int,
              times: TimeDisplay = _ELAPSED) -> list[Column]:
    """``columns`` widened so that ``rows`` (rows an edit added) fit (capped like sampling)."""
    tw = max(time_width(labels, decimals, times), time_width(labels, decimals))
    out = []
    for c in columns:
        w = c.width
        if c.key in TIME_KINDS:
            w = max(w, tw)
        elif c.key == "index":
            w = max(w, len(str(len(labels))))
        elif c.key == "state":
            w = max([w, *(cell_len(r.label) for r in rows)])
        elif c.key == "note":
            w = max(w, _text_width((r.note for r in rows), c.header))
        elif c.key.startswith("extra:"):
            k = labels.extra_cols.index(c.edit_column)
            w = max(w, _text_width((r.extras[k] for r in rows), c.header))
        out.append(c if w == c.width else Column(c.key, c.header, w, c.edit_column))
    return out


def cell_text(column: Column, row: LabelRow, index: int, decimals: int, labels: Any,
              times: TimeDisplay = _ELAPSED) -> str:
    """The text of one cell (not padded); start and end as ``times`` writes them."""
    key = column.key
    if key == "index":
        return str(index + 1)
    if key == "start":
        return times.format(row.start, decimals=decimals)
    if key == "end":
        return times.format(row.end, decimals=decimals)
    if key == "duration":
        return format_time(row.end - row.start, decimals=decimals)
    if key == "state":
        return row.label
    if key == "note":
        return row.note or ""
    value = row.extras[labels.extra_cols.index(column.edit_column)]
    return "" if value is None else str(value)


@dataclass(frozen=True)
class SuggestedCell:
    """What the ``suggested`` column says about one interval.

    Attributes
    ----------
    text : str
        e.g. ``"≠REM  .62?"``: ``≠`` when it differs from the label, ``?`` when the
        confidence is below the threshold; ``""`` without a suggestion.
    state : str or None
        The suggested state.
    differs, unsure : bool
        It is not the label's state (a label the model does not suggest, e.g. an artifact
        state, is no disagreement); its confidence is below the threshold.
    """

    text: str
    state: str | None = None
    differs: bool = False
    unsure: bool = False


class SuggestedColumn:
    """The ``suggested`` column: per interval, the state suggested for most of it and how sure.

    Made once per new suggestions (their per-state sums, O(epochs)); the rows are read in
    batches of the display rows drawn (:meth:`cell`), and a batch is read again only when a
    row's interval is no longer the one it was read for, so a label edit costs nothing until
    its rows are drawn.

    Parameters
    ----------
    sugg : Suggestions
    threshold : float
        Confidences below it are marked ``?``.
    """

    #: Display rows read at once (more than a screen, so scrolling on rarely reads again).
    BATCH = 128

    def __init__(self, sugg: Any, threshold: float):
        self.sugg = sugg
        self.sums = EpochSums.of(sugg)
        self.threshold = float(threshold)
        self._names = max((cell_len(s) for s in sugg.states), default=1)
        self.width = max(1 + self._names + 5 + 1, cell_len(SUGGESTED))   # ≠ state .93?
        self._k0 = 0
        self._starts = self._ends = self._codes = self._conf = np.zeros(0)

    def cell(self, k: int, row: LabelRow, indices: Callable[[int, int], np.ndarray],
             labels: Any) -> SuggestedCell:
        """The cell of display row ``k`` showing ``row``.

        ``indices(k0, k1)`` gives the label indices of display rows ``[k0, k1)`` (read in a batch).
        """
        j = k - self._k0
        if not (0 <= j < len(self._starts) and self._starts[j] == row.start and self._ends[j] == row.end):
            idx = indices(k, k + self.BATCH)
            self._k0, self._starts, self._ends = k, labels.starts[idx], labels.ends[idx]
            self._codes, self._conf, _ = self.sums.of_intervals(self._starts, self._ends)
            j = 0
        code = int(self._codes[j])
        if code < 0:
            return SuggestedCell("")
        state, conf = self.sums.states[code], float(self._conf[j])
        # a label the model does not suggest (an artifact state) is no disagreement, as in the app
        differs, unsure = state != row.label and row.label in self.sums.states, conf < self.threshold
        c = f"{conf:.2f}"
        c = c[1:] if c.startswith("0") else c                      # .93, but 1.00
        text = f"{'≠' if differs else ' '}{set_cell_size(state, self._names)} {c:>4}{'?' if unsure else ''}"
        return SuggestedCell(text, state, differs, unsure)


def fit(text: str, width: int, *, right: bool = False) -> str:
    """``text`` padded or cut (with an ellipsis) to exactly ``width`` cells."""
    if cell_len(text) > width:
        return set_cell_size(text, max(width - 1, 0)) + ("…" if width else "")
    pad = width - cell_len(text)
    return " " * pad + text if right else text + " " * pad


def parse_cell(text: str, like: Any) -> Any:
    """Typed value for an edited cell: blank is None; numbers stay numbers.

    Parameters
    ----------
    text : str
        What the user typed.
    like : object
        A current value of the column (its type is kept: int, float, bool).

    Raises
    ------
    ValueError
        ``text`` cannot be read as the column's type (message says which).
    """
    s = text.strip()
    if not s:
        return None
    if isinstance(like, bool):
        low = s.lower()
        if low in ("true", "yes", "1", "y"):
            return True
        if low in ("false", "no", "0", "n"):
            return False
        raise ValueError(f"{s!r} is not true/false")
    if isinstance(like, int):
        try:
            return int(s)
        except ValueError:
            raise ValueError(f"{s!r} is not a whole number") from None
    if isinstance(like, float):
        try:
            return float(s)
        except ValueError:
            raise ValueError(f"{s!r} is not a number") from None
    return text
