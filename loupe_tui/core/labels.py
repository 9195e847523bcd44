"""Interval labels: half-open ``[start, end)`` states on a time axis.

:class:`IntervalLabelSet` is the scorer's label store. Intervals are always
sorted and non-overlapping. Every edit returns a :class:`LabelDiff`, is
written to a journal before the call returns, and can be undone. The rows
live in numpy arrays (O(log n) lookups, ~0.1 ms edits at 100k intervals); the
polars frame (:meth:`IntervalLabelSet.to_frame`) is built on demand with the
user's column names. File handling (sibling, writeback, recovery) is
described in :mod:`loupe_tui.core.label_files` and ``docs/labels.md``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from loupe_tui.core import label_stats
from loupe_tui.core.interval_store import IntervalStore, VisibleLabels
from loupe_tui.core.journal import JournalWriter, journal_path_for
from loupe_tui.core.label_diff import Hunk, LabelDiff, LabelRow
from loupe_tui.core.label_files import FileBinding, sibling_path
from loupe_tui.core.label_history import LabelHistory
from loupe_tui.core.label_persistence import LabelPersistence
from loupe_tui.core.label_schema import LEGACY_SCHEMA, FrameLayout, IntervalLabelSchema
from loupe_tui.errors import LoupeConfigError

__all__ = ["IntervalLabelSchema", "IntervalLabelSet", "LabelDiff", "LabelRow", "Hunk", "VisibleLabels",
           "LEGACY_SCHEMA", "sibling_path", "journal_path_for"]


class IntervalLabelSet(LabelPersistence):
    """Sorted, non-overlapping interval labels with journal, undo and safe saves.

    Parameters
    ----------
    schema : IntervalLabelSchema, optional
        Column names used by :meth:`to_frame` and :meth:`save` (default: legacy).
    extra_cols : sequence of str, optional
        Extra columns (default: ``schema.extra_cols``).

    Use :meth:`load` for files and :meth:`from_frame` for a polars DataFrame.
    A set built directly has no file and no journal.
    """

    def __init__(self, schema: IntervalLabelSchema | None = None, *, extra_cols=None):
        self.schema = schema or LEGACY_SCHEMA
        extras = tuple(extra_cols) if extra_cols is not None else self.schema.extra_cols
        self._store = IntervalStore(extras)
        self._history = LabelHistory()
        self._layout: FrameLayout | None = None
        self._file: FileBinding | None = None
        self._journal: JournalWriter | None = None
        self._journal_path: Path | None = None
        self._journal_base: dict | None = None
        self._batch = 0
        self._frame: pl.DataFrame | None = None
        self._dirty = False
        #: Journal sync mode: True (fdatasync per edit), False (write only), "background".
        self.durable: bool | str = "background"
        #: Journal entries replayed by :meth:`load` / :meth:`from_frame`.
        self.recovered_edits = 0
        #: Human sentence about the recovery, or None.
        self.recovery_message: str | None = None
        #: Other things the user should be told (e.g. "opened night1.scored.csv").
        self.messages: list[str] = []

    # -- edits --------------------------------------------------------------------------
    def add(self, start: float, end: float, label: str, note: str | None = None, **extras: Any) -> LabelDiff:
        """Label ``[start, end)``, replacing whatever part of other intervals it covers.

        Touching neighbours with the same label merge with it unless their notes
        or extras hold different non-null values (a null takes the other value).
        """
        row = self._row(start, end, label, note, extras)
        return self._edit(self._store.plan_add(row), "add")

    def clear_range(self, start: float, end: float) -> LabelDiff:
        """Unlabel ``[start, end)``, cutting intervals that straddle its edges."""
        s, e = _time(start, "start"), _time(end, "end")
        if not e > s:
            raise LoupeConfigError(f"clear_range: end {e} must be after start {s}")
        return self._edit(self._store.plan_clear(s, e), "clear_range")

    def merge_adjacent(self) -> LabelDiff:
        """Merge every run of touching same-label intervals (same rule as :meth:`add`)."""
        return self._edit(self._store.plan_merge_adjacent(), "merge_adjacent")

    def update_cell(self, index: int, column: str, value: Any) -> LabelDiff:
        """Set one cell. ``column`` is a user column name, ``start``/``end``/``duration``/
        ``label``/``note``, or an extra column. Times may not make the row overlap another."""
        i = self._index(index)
        role = self._role(column)
        old = self._store.row(i)
        if role == "start":
            new = old._replace(start=_time(value, column))
        elif role == "end":
            new = old._replace(end=_time(value, column))
        elif role == "duration":
            new = old._replace(end=old.start + _time(value, column))
        elif role == "label":
            new = old._replace(label=_label(value))
        elif role == "note":
            new = old._replace(note=self._note(value))
        else:
            k = self.extra_cols.index(column)
            new = old._replace(extras=old.extras[:k] + (_plain(value),) + old.extras[k + 1:])
        if not new.end > new.start:
            raise LoupeConfigError(f"update_cell({index}, {column!r}): end {new.end} must be after "
                                   f"start {new.start}")
        try:
            hunks = self._store.plan_replace(i, new)
        except ValueError as exc:
            raise LoupeConfigError(f"update_cell({index}, {column!r}): {exc}") from None
        return self._edit(hunks, "update_cell")

    def delete(self, index: int) -> LabelDiff:
        """Remove row ``index``."""
        return self._edit(self._store.plan_delete(self._index(index)), "delete")

    def note_range(self, start: float, end: float, note: str | None) -> LabelDiff:
        """Set the note of the labelled parts of ``[start, end)``, splitting at its edges.

        One edit (one undo step); unlabelled parts stay unlabelled. A note on
        one epoch of a bout thereby becomes its own interval.
        """
        s, e = _time(start, "start"), _time(end, "end")
        if not e > s:
            raise LoupeConfigError(f"note_range: end {e} must be after start {s}")
        if note is not None and not isinstance(note, str):
            raise LoupeConfigError(f"note_range: note must be text, not {type(note).__name__}")
        return self._edit(self._store.plan_note(s, e, note), "note")

    def revert(self, diff: LabelDiff) -> LabelDiff | None:
        """Undo one earlier edit as a new (undoable) edit.

        Only when every row ``diff`` added is still there unchanged; otherwise
        nothing changes and None is returned (later edits or an undo got there
        first). Used by "delete last label", which must restore what the label
        replaced rather than leave a hole.
        """
        st = self._store
        hunks = []
        for h in diff.hunks:
            if h.added:
                i = st.index_at(h.added[0].start)
                if i is None or not st.matches((Hunk(i, h.added, ()),)):
                    return None
            else:  # the edit only removed rows: their span must still be empty
                i, j = st.overlapping(h.removed[0].start, h.removed[-1].end)
                if i != j:
                    return None
            hunks.append(Hunk(i, h.added, h.removed))
        return self._edit(tuple(hunks), "revert")

    def undo(self) -> LabelDiff | None:
        """Revert the last edit; returns the diff applied (None if nothing to undo)."""
        diff = self._history.next_undo()
        if diff is None:
            return None
        self._apply(diff)
        self._history.did_undo()
        return diff

    def redo(self) -> LabelDiff | None:
        """Re-apply the last undone edit; returns the diff applied (or None)."""
        diff = self._history.next_redo()
        if diff is None:
            return None
        self._apply(diff)
        self._history.did_redo()
        return diff

    @property
    def can_undo(self) -> bool:
        return self._history.can_undo

    @property
    def can_redo(self) -> bool:
        return self._history.can_redo

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Group edits (e.g. a script's bulk edits): one fsync at the end instead of one each."""
        self._batch += 1
        if self._journal is not None:
            self._journal.begin_batch()
        try:
            yield
        finally:
            self._batch -= 1
            if self._journal is not None:
                self._journal.end_batch()

    def _edit(self, hunks: tuple[Hunk, ...], op: str) -> LabelDiff:
        diff = LabelDiff(hunks, op)
        if diff:
            self._apply(diff)
            self._history.record(diff)
        return diff

    def _apply(self, diff: LabelDiff) -> None:
        # Journal first: if it cannot be written the edit is refused, not lost later.
        journal = self._journal_for_write()
        if journal is not None:
            journal.append(diff.to_json())
        self._store.apply(diff.hunks)
        self._frame = None
        self._dirty = True

    def _row(self, start, end, label, note, extras: dict) -> LabelRow:
        s, e = _time(start, "start"), _time(end, "end")
        if not e > s:
            raise LoupeConfigError(f"interval [{s}, {e}): end must be after start")
        unknown = [k for k in extras if k not in self.extra_cols]
        if unknown:
            raise LoupeConfigError(f"unknown extra column {unknown[0]!r} "
                                   f"(extra columns: {', '.join(self.extra_cols) or 'none'})")
        return LabelRow(s, e, _label(label), self._note(note),
                        tuple(_plain(extras.get(c)) for c in self.extra_cols))

    def _note(self, note: Any) -> str | None:
        if note is None:
            return None
        if self.schema.note_col is None:
            raise LoupeConfigError("this labels schema has no note column (set note_col)")
        return str(note)

    def _index(self, index: int) -> int:
        n = len(self._store)
        i = int(index) + n if int(index) < 0 else int(index)
        if not 0 <= i < n:
            raise IndexError(f"label index {index} out of range (0..{n - 1})")
        return i

    def _role(self, column: str) -> str:
        for role, col in self.schema.role_columns().items():
            if column == col:
                return role
        if column in self.extra_cols:
            return "extra"
        if column in ("start", "end", "duration", "label", "note"):
            return column
        cols = [*self.schema.role_columns().values(), *self.extra_cols]
        raise LoupeConfigError(f"unknown column {column!r} (columns: {', '.join(cols)})")

    # -- queries ------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._store)

    def __iter__(self) -> Iterator[LabelRow]:
        return (self._store.row(k) for k in range(len(self._store)))

    def row(self, index: int) -> LabelRow:
        return self._store.row(self._index(index))

    def index_at(self, t: float) -> int | None:
        """Row index of the interval containing ``t`` (O(log n)), or None."""
        return self._store.index_at(t)

    def at_time(self, t: float) -> LabelRow | None:
        """The interval containing ``t``, or None."""
        k = self._store.index_at(t)
        return None if k is None else self._store.row(k)

    def visible_in(self, t0: float, t1: float) -> tuple[LabelRow, ...]:
        """Intervals overlapping ``[t0, t1)``."""
        i, j = self._store.overlapping(t0, t1)
        return self._store.rows(i, j)

    def visible_arrays(self, t0: float, t1: float) -> VisibleLabels:
        """Zero-copy arrays (starts, ends, label codes + names) overlapping ``[t0, t1)``."""
        return self._store.visible(t0, t1)

    @property
    def starts(self) -> np.ndarray:
        """Read-only start times (sorted)."""
        return self._store.starts

    @property
    def ends(self) -> np.ndarray:
        return self._store.ends

    @property
    def codes(self) -> np.ndarray:
        """Read-only label codes; ``label_names[code]`` is the label."""
        return self._store.codes

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(self._store.names)

    @property
    def extra_cols(self) -> tuple[str, ...]:
        return self._store.extra_cols

    def states(self) -> tuple[str, ...]:
        """Labels in use, in order of first use."""
        return tuple(label_stats.time_per_state(self._store))

    def find(self, state: str | None = None, note: str | None = None, **extras: Any) -> np.ndarray:
        """Indices of intervals matching every given filter, in time order.

        Parameters
        ----------
        state : exact label, or None for any
        note : text the note contains (case-insensitive), or None for any
        **extras : extra column -> value; a string value matches as a
            case-insensitive substring, anything else by equality
        """
        st = self._store
        mask = np.ones(len(st), dtype=bool)
        if state is not None:
            code = st.names.index(state) if state in st.names else -1
            mask &= st.codes == code
        if note is not None:
            needle = note.casefold()
            mask &= np.fromiter(((n is not None and needle in n.casefold()) for n in st.notes),
                                dtype=bool, count=len(st))
        for col, want in extras.items():
            if col not in st.extra_cols:
                raise LoupeConfigError(f"no extra column {col!r}; the labels have {list(st.extra_cols)}")
            values = st.extras[st.extra_cols.index(col)]
            if isinstance(want, str):
                w = want.casefold()
                hit = ((v is not None and w in str(v).casefold()) for v in values)
            else:
                hit = (v == want for v in values)
            mask &= np.fromiter(hit, dtype=bool, count=len(st))
        return np.flatnonzero(mask)

    def time_per_state(self) -> dict[str, float]:
        """Seconds per label."""
        return label_stats.time_per_state(self._store)

    def coverage(self, t0: float | None = None, t1: float | None = None) -> label_stats.Coverage:
        """Labelled time and gaps in ``[t0, t1)`` (default: first start to last end)."""
        return label_stats.coverage(self._store, t0, t1)

    def __repr__(self) -> str:
        where = f" {self._file.source}" if self._file else ""
        return f"<IntervalLabelSet{where}: {len(self)} intervals, {len(self.states())} states>"


def _time(value: Any, what: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise LoupeConfigError(f"{what} {value!r} is not a number of seconds") from None
    if not math.isfinite(v):
        raise LoupeConfigError(f"{what} is {v} (times must be finite)")
    return v


def _label(value: Any) -> str:
    if value is None or not str(value).strip():
        raise LoupeConfigError("a label cannot be empty")
    return str(value)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


