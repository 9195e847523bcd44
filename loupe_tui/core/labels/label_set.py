"""Interval labels: half-open ``[start, end)`` states on a time axis.

:class:`IntervalLabelSet` is the scorer's label store. Intervals are always
sorted and non-overlapping. Every edit returns a :class:`LabelDiff`, is
written to a journal before the call returns, and can be undone. The rows
live in numpy arrays (O(log n) lookups, ~0.1 ms edits at 100k intervals); the
polars frame (:meth:`IntervalLabelSet.to_frame`) is built on demand with the
user's column names. The set holds a
:class:`~loupe_tui.core.labels.persistence.LabelPersistence` for its file and
journal; file handling (sibling, writeback, recovery) is described in
:mod:`loupe_tui.core.labels.files` and ``docs/labels.md``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from loupe_tui.core.labels import stats
from loupe_tui.core.labels.diff import Hunk, LabelDiff, LabelRow
from loupe_tui.core.labels.files import check_labels_dir, open_source
from loupe_tui.core.labels.formats import format_of, read_labels, write_labels
from loupe_tui.core.labels.frame import LabelTable, Where, frame_from_store, table_from_frame
from loupe_tui.core.labels.history import LabelHistory
from loupe_tui.core.labels.journal import JournalWriter, check_durable, journal_path_for
from loupe_tui.core.labels.persistence import LabelPersistence, frame_identity
from loupe_tui.core.labels.schema import LEGACY_SCHEMA, FrameLayout, IntervalLabelSchema, as_schema
from loupe_tui.core.labels.store import IntervalStore, VisibleLabels
from loupe_tui.errors import LabelFileError, LoupeConfigError


class IntervalLabelSet:
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
        self._frame: pl.DataFrame | None = None
        self._files = LabelPersistence()
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
        hunks = self._store.plan_revert(diff)
        return None if hunks is None else self._edit(hunks, "revert")

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
        with self._files.batch():
            yield

    def _edit(self, hunks: tuple[Hunk, ...], op: str) -> LabelDiff:
        diff = LabelDiff(hunks, op)
        if diff:
            self._apply(diff)
            self._history.record(diff)
        return diff

    def _apply(self, diff: LabelDiff) -> None:
        # Journal first: if it cannot be written the edit is refused, not lost later.
        self._files.record(diff, self.extra_cols, self.schema)
        self._store.apply(diff.hunks)
        self._frame = None

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

    # -- files --------------------------------------------------------------------------
    @classmethod
    def _from_table(cls, table: LabelTable | None, schema: IntervalLabelSchema | None,
                    files: LabelPersistence) -> IntervalLabelSet:
        ls = cls(schema) if table is None else cls(table.schema, extra_cols=table.extra_cols)
        if table is not None:
            ls._store, ls._layout = table.to_store(), table.layout
        ls._files = files
        return ls

    @classmethod
    def load(cls, path: str | Path, schema: IntervalLabelSchema | dict | None = None, *, writeback: bool = False,
             durable: bool | str = "background", hypnogram=None) -> IntervalLabelSet:
        """Open a labels file, replaying a pending journal.

        Parameters
        ----------
        path : labels file (.csv, .htsv, .parquet; read-only .txt, .edf, .bdf). A path that does not
            exist yet starts an empty set (saved to that path).
        schema : column names: an :class:`IntervalLabelSchema` or a dict of its
            fields (default: legacy ``start_s,end_s,label,note``)
        writeback : allow :meth:`save` to overwrite ``path``; otherwise saves go
            to the sibling ``<stem>.scored<ext>``, which a later open loads.
        durable : "background" (default): each journal entry is written to the
            OS before the edit returns (survives a killed process) and
            fdatasync'ed on a helper thread within milliseconds; True:
            fdatasync before the edit returns (survives power loss, costs the
            disk's sync time per edit); False: write() only. See
            ``docs/labels.md`` for measured costs.
        hypnogram : :class:`~loupe_tui.core.labels.hypnogram_txt.HypnogramOptions` for .txt,
            :class:`~loupe_tui.core.labels.edf_stages.EdfStageOptions` for .edf/.bdf

        Sets :attr:`recovered_edits`, :attr:`recovery_message`, :attr:`messages`.
        Raises LabelFileError before anything is loaded if the labels' folder is
        read-only or full (edits could not be journaled; see ``docs/labels.md``).
        """
        schema = as_schema(schema)
        check_durable(durable)
        check_labels_dir(path)
        opened = open_source(path, schema, writeback, hypnogram, durable)
        binding = opened.binding
        files = LabelPersistence(binding, journal_path_for(binding.source), durable=durable)
        ls = cls._from_table(opened.table, schema, files)
        ls.messages = list(binding.messages)
        if opened.contents is not None:
            ls._recover(opened.journal, opened.contents, str(binding.source))
        return ls

    @classmethod
    def read(cls, path: str | Path, schema: IntervalLabelSchema | dict | None = None, *,
             hypnogram=None) -> IntervalLabelSet:
        """The labels in exactly this file: no journal replay, no sibling, no journaling.

        For tools that inspect or convert a file. :meth:`save` is unavailable;
        :meth:`save_as` writes copies. :attr:`messages` says what reading left
        out (an EDF's annotations that are not sleep stages).
        """
        schema = as_schema(schema)
        table = read_labels(path, schema, hypnogram)
        ls = cls._from_table(table, schema, LabelPersistence())
        ls.messages = list(table.messages)
        return ls

    @classmethod
    def from_frame(cls, df: pl.DataFrame, schema: IntervalLabelSchema | dict | None = None, *,
                   journal: str | Path | None = None, durable: bool | str = "background") -> IntervalLabelSet:
        """Labels from an in-memory polars DataFrame.

        With ``journal=path`` every edit is journaled there; calling again with
        the same frame and journal replays the edits (a journal made for a
        different frame raises LabelFileError). :meth:`save` is unavailable
        (no file): use :meth:`save_as`.
        """
        if not isinstance(df, pl.DataFrame):
            raise LoupeConfigError(f"from_frame needs a polars DataFrame, got {type(df).__name__}")
        schema = as_schema(schema)
        table = table_from_frame(df, schema or LEGACY_SCHEMA, Where("DataFrame"), LoupeConfigError)
        durable = check_durable(durable)
        ls = cls._from_table(table, schema, LabelPersistence(durable=durable))
        if journal is None:
            return ls
        base = frame_identity(ls._store)
        ls._files = LabelPersistence(journal_path=Path(journal), base=base, durable=durable)
        if Path(journal).exists():
            writer, contents = JournalWriter.open_existing(Path(journal), durable)
            if contents.header.get("base") != base:
                writer.close()
                raise LabelFileError(f"{journal}: journal was made for a different DataFrame; "
                                     "not applying it (kept; move it away to start afresh)")
            ls._recover(writer, contents, "DataFrame")
        return ls

    def _recover(self, writer: JournalWriter, contents, what: str) -> None:
        self.recovered_edits, self.recovery_message = self._files.recover(
            writer, contents, what, self._store, self._history)

    def to_frame(self, schema: IntervalLabelSchema | dict | None = None) -> pl.DataFrame:
        """The labels as a polars DataFrame.

        Without ``schema``: the set's own column names, in the order and dtypes
        of the file it was read from. With ``schema`` (an
        :class:`IntervalLabelSchema` or a dict of its fields): every column that
        schema names (a note column even when no interval has a note; end and
        duration when it names both), then the extra columns.
        """
        schema = as_schema(schema)
        if schema is not None:
            return frame_from_store(self._store, schema, self._layout, all_roles=True)
        if self._frame is None:
            self._frame = frame_from_store(self._store, self.schema, self._layout)
        return self._frame

    @property
    def durable(self) -> bool | str:
        """Journal sync mode: True (fdatasync per edit), False (write only), "background"."""
        return self._files.durable

    @durable.setter
    def durable(self, value: bool | str) -> None:
        self._files.durable = value

    @property
    def source_path(self) -> Path | None:
        """The file that was opened (None for in-memory sets)."""
        return self._files.binding.source if self._files.binding else None

    @property
    def save_path(self) -> Path | None:
        """Where :meth:`save` writes: the source with writeback, else the sibling."""
        return self._files.binding.target if self._files.binding else None

    @property
    def writeback(self) -> bool:
        return bool(self._files.binding and self._files.binding.writeback)

    @property
    def journal_path(self) -> Path | None:
        return self._files.journal_path

    @property
    def has_unsaved_edits(self) -> bool:
        return self._files.unsaved

    def save(self) -> Path:
        """Save atomically to :attr:`save_path` and clear the journal.

        Raises LabelFileError if that file changed on disk since it was loaded
        or last saved (use :meth:`save_as` to write elsewhere).
        """
        if self._files.binding is None:
            raise LoupeConfigError("these labels have no file: use save_as(path)")
        return self._files.save(self.to_frame())

    def save_to_source(self) -> Path:
        """Overwrite the opened file; LoupeConfigError unless loaded with ``writeback=True``."""
        b = self._files.binding
        if b is None or not b.writeback:
            hint = f"; save() writes {b.target.name}" if b else ""
            raise LoupeConfigError("writeback is not enabled: load(path, writeback=True) to overwrite "
                                   f"the source{hint}")
        return self.save()

    def save_as(self, path: str | Path, schema: IntervalLabelSchema | dict | None = None) -> Path:
        """Write a copy to ``path`` (format by extension; ``.txt`` refused).

        ``schema`` names the output columns (see :meth:`to_frame`; default:
        the set's own, as read). Writing to :attr:`save_path` is a
        :meth:`save` (with ``schema``, later saves keep it). The original
        source is refused unless writeback is on.
        """
        schema = as_schema(schema)
        p = Path(path)
        format_of(p, writing=True)
        b = self._files.binding
        if b is not None and _same_file(p, b.target):
            if schema is None:
                return self.save()
            frame = self.to_frame(schema)
            self.schema, self._frame = schema, None
            return self._files.save(frame)
        if b is not None and _same_file(p, b.source) and p.exists():
            raise LoupeConfigError(f"{p}: is the original labels file; it is only overwritten with "
                                   f"writeback (load(..., writeback=True)); save() writes {b.target.name}")
        write_labels(p, self.to_frame(schema))
        return p

    def close(self) -> None:
        """Release the journal (edits stay in it until a save)."""
        self._files.close()

    def __enter__(self) -> IntervalLabelSet:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

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
        return tuple(stats.time_per_state(self._store))

    def find(self, state: str | None = None, note: str | None = None, **extras: Any) -> np.ndarray:
        """Indices of intervals matching every given filter, in time order.

        Parameters
        ----------
        state : exact label, or None for any
        note : text the note contains (case-insensitive), or None for any
        **extras : extra column -> value; a string value matches as a
            case-insensitive substring, anything else by equality
        """
        return stats.find(self._store, state, note, extras)

    def time_per_state(self) -> dict[str, float]:
        """Seconds per label."""
        return stats.time_per_state(self._store)

    def coverage(self, t0: float | None = None, t1: float | None = None) -> stats.Coverage:
        """Labelled time and gaps in ``[t0, t1)`` (default: first start to last end)."""
        return stats.coverage(self._store, t0, t1)

    def __repr__(self) -> str:
        binding = self._files.binding
        where = f" {binding.source}" if binding else ""
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


def _same_file(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()
