"""Undo/redo stacks of :class:`~loupe_tui.core.labels.diff.LabelDiff`.

The history only stores diffs; the label set applies them. Moves happen after
the set has journaled and applied the change, so a failed journal write
leaves both the rows and the history as they were.
"""

from __future__ import annotations

from loupe_tui.core.labels.diff import LabelDiff


class LabelHistory:
    """Linear undo history: a new edit discards the redo stack.

    Parameters
    ----------
    limit : int or None
        Keep at most this many undo steps (None: unlimited; a diff of a typical
        edit is a few hundred bytes, so a day of scoring fits easily).
    """

    def __init__(self, limit: int | None = None):
        self.limit = limit
        self._undo: list[LabelDiff] = []
        self._redo: list[LabelDiff] = []

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def record(self, diff: LabelDiff) -> None:
        """Remember a new edit (clears redo)."""
        self._undo.append(diff)
        self._redo.clear()
        if self.limit is not None and len(self._undo) > self.limit:
            del self._undo[0]

    def next_undo(self) -> LabelDiff | None:
        """The diff that would undo the last edit (not yet applied)."""
        return self._undo[-1].inverted("undo") if self._undo else None

    def next_redo(self) -> LabelDiff | None:
        """The diff that would redo the last undone edit."""
        if not self._redo:
            return None
        d = self._redo[-1]
        return LabelDiff(d.hunks, "redo")

    def did_undo(self) -> None:
        self._redo.append(self._undo.pop())

    def did_redo(self) -> None:
        self._undo.append(self._redo.pop())
