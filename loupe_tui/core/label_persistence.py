"""Loading, journaling and saving for :class:`~loupe_tui.core.labels.IntervalLabelSet`.

A mixin, so the label set keeps one public class while its file handling
(which file to open, recovery, atomic saves, sibling and writeback; see
:mod:`loupe_tui.core.label_files`) lives in its own module. It uses the set's
``_store``, ``_history``, ``_layout`` and ``schema``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from loupe_tui.core.interval_store import IntervalStore
from loupe_tui.core.journal import JournalWriter, check_durable, journal_path_for
from loupe_tui.core.label_files import FileBinding, check_labels_dir, open_source, replay, save_frame
from loupe_tui.core.label_frame import LabelTable, Where, frame_from_store, table_from_frame
from loupe_tui.core.label_schema import LEGACY_SCHEMA, IntervalLabelSchema, as_schema
from loupe_tui.errors import LabelFileError, LoupeConfigError
from loupe_tui.io.label_formats import format_of, read_labels, write_labels

if TYPE_CHECKING:
    from loupe_tui.core.labels import IntervalLabelSet


class LabelPersistence:
    """File side of the label set: ``load``, ``from_frame``, ``save``, ``save_as`` ..."""

    _file: FileBinding | None
    _journal: JournalWriter | None
    _journal_path: Path | None
    _journal_base: dict | None

    @classmethod
    def _from_table(cls, table: LabelTable | None, schema: IntervalLabelSchema | None) -> IntervalLabelSet:
        if table is None:
            return cls(schema)
        ls = cls(table.schema, extra_cols=table.extra_cols)
        ls._store, ls._layout = table.to_store(), table.layout
        return ls

    @classmethod
    def load(cls, path: str | Path, schema: IntervalLabelSchema | dict | None = None, *, writeback: bool = False,
             durable: bool | str = "background", hypnogram=None) -> IntervalLabelSet:
        """Open a labels file, replaying a pending journal.

        Parameters
        ----------
        path : labels file (.csv, .htsv, .parquet, .txt). A path that does not
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
        hypnogram : :class:`~loupe_tui.io.hypnogram_txt.HypnogramOptions` for .txt

        Sets :attr:`recovered_edits`, :attr:`recovery_message`, :attr:`messages`.
        Raises LabelFileError before anything is loaded if the labels' folder is
        read-only or full (edits could not be journaled; see ``docs/labels.md``).
        """
        schema = as_schema(schema)
        check_durable(durable)
        check_labels_dir(path)
        opened = open_source(path, schema, writeback, hypnogram, durable)
        ls = cls._from_table(opened.table, schema)
        ls._file, ls.durable = opened.binding, durable
        ls._journal_path = journal_path_for(opened.binding.source)
        ls.messages = list(opened.binding.messages)
        if opened.contents is not None:
            ls._recover(opened.journal, opened.contents, str(opened.binding.source))
        return ls

    @classmethod
    def read(cls, path: str | Path, schema: IntervalLabelSchema | dict | None = None, *,
             hypnogram=None) -> IntervalLabelSet:
        """The labels in exactly this file: no journal replay, no sibling, no journaling.

        For tools that inspect or convert a file. :meth:`save` is unavailable;
        :meth:`save_as` writes copies.
        """
        schema = as_schema(schema)
        return cls._from_table(read_labels(path, schema, hypnogram), schema)

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
        ls = cls._from_table(table, schema)
        ls.durable = check_durable(durable)
        if journal is not None:
            ls._journal_path = Path(journal)
            ls._journal_base = {"kind": "frame", "sha256": _store_hash(ls._store)}
            if ls._journal_path.exists():
                writer, contents = JournalWriter.open_existing(ls._journal_path, durable)
                if contents.header.get("base") != ls._journal_base:
                    writer.close()
                    raise LabelFileError(f"{journal}: journal was made for a different DataFrame; "
                                         "not applying it (kept; move it away to start afresh)")
                ls._recover(writer, contents, "DataFrame")
        return ls

    def _recover(self, writer: JournalWriter, contents, what: str) -> None:
        try:
            n = replay(self._store, self._history, contents, writer.path)
        except BaseException:
            writer.close()
            raise
        self._journal, self.recovered_edits = writer, n
        if n:
            self._dirty = True
            where = f"save() writes {self._file.target.name}" if self._file else "use save_as(path)"
            self.recovery_message = (f"{what}: recovered {n} unsaved edit(s) from {writer.path.name}; "
                                     f"not saved yet ({where})")
            if contents.torn:
                self.recovery_message += "; an incomplete last entry (never acknowledged) was dropped"

    def _journal_for_write(self) -> JournalWriter | None:
        """The open journal, created (with its base header) on the first edit."""
        if self._journal is None and self._journal_path is not None:
            base = self._file.base_identity if self._file else self._journal_base
            source = self._file.source.name if self._file else None
            header = {"loupe_journal": 1, "source": source, "base": base,
                      "extra_cols": list(self.extra_cols), "schema": dataclasses.asdict(self.schema)}
            self._journal = JournalWriter.create(self._journal_path, header, self.durable)
            for _ in range(self._batch):
                self._journal.begin_batch()
        return self._journal

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
    def source_path(self) -> Path | None:
        """The file that was opened (None for in-memory sets)."""
        return self._file.source if self._file else None

    @property
    def save_path(self) -> Path | None:
        """Where :meth:`save` writes: the source with writeback, else the sibling."""
        return self._file.target if self._file else None

    @property
    def writeback(self) -> bool:
        return bool(self._file and self._file.writeback)

    @property
    def journal_path(self) -> Path | None:
        return self._journal_path

    @property
    def has_unsaved_edits(self) -> bool:
        return self._dirty

    def save(self) -> Path:
        """Save atomically to :attr:`save_path` and clear the journal.

        Raises LabelFileError if that file changed on disk since it was loaded
        or last saved (use :meth:`save_as` to write elsewhere).
        """
        if self._file is None:
            raise LoupeConfigError("these labels have no file: use save_as(path)")
        return self._save(self.to_frame())

    def _save(self, frame: pl.DataFrame) -> Path:
        save_frame(self._file, frame, self._journal)
        self._journal = None
        self._dirty = False
        return self._file.target

    def save_to_source(self) -> Path:
        """Overwrite the opened file; LoupeConfigError unless loaded with ``writeback=True``."""
        if self._file is None or not self._file.writeback:
            hint = f"; save() writes {self._file.target.name}" if self._file else ""
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
        b = self._file
        if b is not None and _same_file(p, b.target):
            if schema is None:
                return self.save()
            frame = self.to_frame(schema)
            self.schema, self._frame = schema, None
            return self._save(frame)
        if b is not None and _same_file(p, b.source) and p.exists():
            raise LoupeConfigError(f"{p}: is the original labels file; it is only overwritten with "
                                   f"writeback (load(..., writeback=True)); save() writes {b.target.name}")
        write_labels(p, self.to_frame(schema))
        return p

    def close(self) -> None:
        """Release the journal (edits stay in it until a save)."""
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    def __enter__(self) -> IntervalLabelSet:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _same_file(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def _store_hash(store: IntervalStore) -> str:
    h = hashlib.sha256()
    h.update(store.starts.tobytes())
    h.update(store.ends.tobytes())
    h.update(json.dumps([[store.names[c] for c in store.codes.tolist()], store.notes, store.extras,
                         list(store.extra_cols)], default=str).encode())
    return h.hexdigest()
