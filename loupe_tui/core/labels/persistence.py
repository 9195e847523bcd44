"""The file side of one label set: its file binding, its journal, recovery and saves.

An :class:`~loupe_tui.core.labels.IntervalLabelSet` holds one
:class:`LabelPersistence` and talks to it through its public methods: the set
calls :meth:`~LabelPersistence.record` with every edit *before* applying it
(so an edit whose journal entry cannot be written is refused, not lost
later), and hands it frames to save. The persistence object never reads or
changes the set's rows itself: recovery is given the store and history to
replay into. Which file is opened and where a save goes is decided by
:mod:`loupe_tui.core.labels.files`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from loupe_tui.core.labels.diff import LabelDiff
from loupe_tui.core.labels.files import FileBinding, replay, save_frame
from loupe_tui.core.labels.history import LabelHistory
from loupe_tui.core.labels.journal import JournalContents, JournalWriter
from loupe_tui.core.labels.schema import IntervalLabelSchema
from loupe_tui.core.labels.store import IntervalStore


class LabelPersistence:
    """Where one label set's edits are kept: the file it is bound to and its journal.

    Parameters
    ----------
    binding : FileBinding, optional
        The opened file (None for an in-memory set).
    journal_path : Path, optional
        Where edits are journaled (None: not journaled).
    base : dict, optional
        Identity of the content the journal's edits apply to, for a set
        without a file (an in-memory frame, see :func:`frame_identity`); a
        file's is the binding's (it changes with every save).
    durable : bool or "background"
        Sync mode of the journal (see :class:`~loupe_tui.core.labels.journal.JournalWriter`).
    """

    def __init__(self, binding: FileBinding | None = None, journal_path: Path | None = None,
                 base: dict | None = None, durable: bool | str = "background"):
        self.binding = binding
        self.journal_path = journal_path
        self.base = base
        self.durable = durable
        #: True from the first edit (or a recovery) until a save.
        self.unsaved = False
        self._journal: JournalWriter | None = None
        self._batch = 0

    # -- edits --------------------------------------------------------------------------
    def record(self, diff: LabelDiff, extra_cols: tuple[str, ...], schema: IntervalLabelSchema) -> None:
        """Journal ``diff`` (creating the journal on the first edit); raises if it cannot be written."""
        journal = self._journal_for_write(extra_cols, schema)
        if journal is not None:
            journal.append(diff.to_json())
        self.unsaved = True

    def _journal_for_write(self, extra_cols: tuple[str, ...], schema: IntervalLabelSchema) -> JournalWriter | None:
        """The open journal, created (with its base header) on the first edit."""
        if self._journal is None and self.journal_path is not None:
            # A file's base moves with each save: the journal made after a save applies to the saved file.
            base = self.binding.base_identity if self.binding else self.base
            source = self.binding.source.name if self.binding else None
            header = {"loupe_journal": 1, "source": source, "base": base,
                      "extra_cols": list(extra_cols), "schema": dataclasses.asdict(schema)}
            self._journal = JournalWriter.create(self.journal_path, header, self.durable)
            for _ in range(self._batch):
                self._journal.begin_batch()
        return self._journal

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Group journal entries: one fsync at the end instead of one each."""
        self._batch += 1
        if self._journal is not None:
            self._journal.begin_batch()
        try:
            yield
        finally:
            self._batch -= 1
            if self._journal is not None:
                self._journal.end_batch()

    # -- recovery -----------------------------------------------------------------------
    def recover(self, writer: JournalWriter, contents: JournalContents, what: str, store: IntervalStore,
                history: LabelHistory) -> tuple[int, str | None]:
        """Replay a pending journal into ``store`` and ``history`` and keep journaling to it.

        Returns the number of edits replayed and the sentence that tells the
        user about them (None when there were none).
        """
        try:
            n = replay(store, history, contents, writer.path)
        except BaseException:
            writer.close()
            raise
        self._journal = writer
        if not n:
            return 0, None
        self.unsaved = True
        where = f"save() writes {self.binding.target.name}" if self.binding else "use save_as(path)"
        message = (f"{what}: recovered {n} unsaved edit(s) from {writer.path.name}; "
                   f"not saved yet ({where})")
        if contents.torn:
            message += "; an incomplete last entry (never acknowledged) was dropped"
        return n, message

    # -- saves --------------------------------------------------------------------------
    def save(self, frame: pl.DataFrame) -> Path:
        """Write ``frame`` atomically to the binding's target, then drop the journal."""
        save_frame(self.binding, frame, self._journal)
        self._journal = None
        self.unsaved = False
        return self.binding.target

    def close(self) -> None:
        """Release the journal (edits stay in it until a save)."""
        if self._journal is not None:
            self._journal.close()
            self._journal = None


def frame_identity(store: IntervalStore) -> dict:
    """The journal base of a set made from an in-memory frame: a hash of its rows."""
    h = hashlib.sha256()
    h.update(store.starts.tobytes())
    h.update(store.ends.tobytes())
    h.update(json.dumps([[store.names[c] for c in store.codes.tolist()], store.notes, store.extras,
                         list(store.extra_cols)], default=str).encode())
    return {"kind": "frame", "sha256": h.hexdigest()}
