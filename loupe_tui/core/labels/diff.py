"""What one edit of an interval-label set changed.

An edit replaces a run of consecutive rows by new rows (a :class:`Hunk`); a
:class:`LabelDiff` is one or more hunks plus the affected time span, so a view
can redraw only ``[t0, t1)``. The same records are the journal entries and
the undo history: undoing is applying the inverted diff.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple


class LabelRow(NamedTuple):
    """One interval ``[start, end)``.

    ``extras`` holds the values of the set's extra columns, in the order of
    :attr:`IntervalLabelSet.extra_cols`.
    """

    start: float
    end: float
    label: str
    note: str | None = None
    extras: tuple[Any, ...] = ()


def same_value(a: Any, b: Any) -> bool:
    """Equality where NaN equals NaN (extra columns may hold NaN)."""
    if a is b or a == b:
        return True
    return isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)


def same_row(a: LabelRow, b: LabelRow) -> bool:
    return (a.start == b.start and a.end == b.end and a.label == b.label and a.note == b.note
            and len(a.extras) == len(b.extras)
            and all(same_value(x, y) for x, y in zip(a.extras, b.extras)))


def same_rows(a: tuple[LabelRow, ...], b: tuple[LabelRow, ...]) -> bool:
    return len(a) == len(b) and all(same_row(x, y) for x, y in zip(a, b))


@dataclass(frozen=True)
class Hunk:
    """Replace ``removed`` (the rows at ``index`` ...) by ``added``.

    ``index`` counts rows in the state *before* the diff is applied.
    """

    index: int
    removed: tuple[LabelRow, ...]
    added: tuple[LabelRow, ...]


def make_hunk(index: int, removed: tuple[LabelRow, ...], added: tuple[LabelRow, ...]) -> Hunk | None:
    """A hunk without the rows ``removed`` and ``added`` share at either end (None if no change)."""
    lo = 0
    while lo < len(removed) and lo < len(added) and same_row(removed[lo], added[lo]):
        lo += 1
    hi = 0
    while (hi < len(removed) - lo and hi < len(added) - lo
           and same_row(removed[-1 - hi], added[-1 - hi])):
        hi += 1
    removed = removed[lo:len(removed) - hi]
    added = added[lo:len(added) - hi]
    if not removed and not added:
        return None
    return Hunk(index + lo, removed, added)


@dataclass(frozen=True)
class LabelDiff:
    """The change made by one edit (or undo/redo).

    Attributes
    ----------
    hunks : tuple of Hunk
        Non-overlapping, in increasing row order; indices refer to the rows
        before the diff.
    op : str
        The edit that produced it (``"add"``, ``"clear_range"``, ``"undo"`` ...).

    A diff is falsy when nothing changed. ``t0``/``t1`` bound every removed
    and added row: views redraw ``[t0, t1)`` (NaN when nothing changed).
    """

    hunks: tuple[Hunk, ...] = ()
    op: str = ""

    def __bool__(self) -> bool:
        return bool(self.hunks)

    @property
    def removed(self) -> tuple[LabelRow, ...]:
        """Every row the edit removed (a changed row appears here and in :attr:`added`)."""
        return tuple(r for h in self.hunks for r in h.removed)

    @property
    def added(self) -> tuple[LabelRow, ...]:
        """Every row the edit added."""
        return tuple(r for h in self.hunks for r in h.added)

    @property
    def t0(self) -> float:
        rows = [r for h in self.hunks for r in (*h.removed, *h.added)]
        return min((r.start for r in rows), default=math.nan)

    @property
    def t1(self) -> float:
        rows = [r for h in self.hunks for r in (*h.removed, *h.added)]
        return max((r.end for r in rows), default=math.nan)

    def inverted(self, op: str = "undo") -> LabelDiff:
        """The diff that reverts this one (indices shifted to the post-diff rows)."""
        out, shift = [], 0
        for h in self.hunks:
            out.append(Hunk(h.index + shift, h.added, h.removed))
            shift += len(h.added) - len(h.removed)
        return LabelDiff(tuple(out), op)

    def same_change(self, other: LabelDiff) -> bool:
        """True when both diffs make exactly the same change (``op`` ignored)."""
        return len(self.hunks) == len(other.hunks) and all(
            a.index == b.index and same_rows(a.removed, b.removed) and same_rows(a.added, b.added)
            for a, b in zip(self.hunks, other.hunks))

    # -- journal form -------------------------------------------------------------
    def to_json(self) -> dict:
        return {"op": self.op, "h": [[h.index, [_row_json(r) for r in h.removed],
                                      [_row_json(r) for r in h.added]] for h in self.hunks]}

    @classmethod
    def from_json(cls, obj: dict) -> LabelDiff:
        hunks = tuple(Hunk(int(i), tuple(_row_from(r) for r in rem), tuple(_row_from(r) for r in add))
                      for i, rem, add in obj["h"])
        return cls(hunks, str(obj.get("op", "")))


def _row_json(r: LabelRow) -> list:
    return [r.start, r.end, r.label, r.note, list(r.extras)]


def _row_from(v: list) -> LabelRow:
    start, end, label, note, extras = v
    return LabelRow(float(start), float(end), str(label), note, tuple(extras))
