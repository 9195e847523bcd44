"""The scoring model: window, cursor, selection, epochs and labels, as plain methods.

:class:`Session` is the single source of truth of the scorer. The terminal app
calls one method per key; the GL window is told what changed. Every action
returns a :class:`Change` saying what moved (window, cursor, selection, epoch
length) and which label edit happened, so views update incrementally. No
Textual, no VisPy: every behaviour here is unit-tested without a display.

Conventions
-----------
* Epochs are a fixed grid anchored at the recording start:
  epoch ``k`` is ``[t_start + k * epoch_len, t_start + (k + 1) * epoch_len)``.
* The window is ``[window_start, window_start + window_len)``; paging moves it
  by whole windows; whenever the cursor leaves it, the window pages to it.
* The navigable span is the data's time range joined with the labels' extent,
  so labels past the end of the data can still be reached and seen.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from loupe_tui.core.clock import TimeDisplay
from loupe_tui.core.coverage import EPS, first_uncovered_at_or_after, last_uncovered_before, state_changes
from loupe_tui.core.labels import IntervalLabelSet, LabelDiff
from loupe_tui.core.labels.diff import Hunk, make_hunk

@dataclass
class Change:
    """What one action changed. Falsy when nothing did.

    Attributes
    ----------
    window, cursor, selection, epoch : bool
        The window moved or resized, the cursor moved, the selection changed,
        the epoch length changed.
    labels : LabelDiff or None
        The label edit that happened (spans removed and added).
    message : str or None
        A one-line note for the status bar ("no unscored epoch after 3:25:10").
    """

    window: bool = False
    cursor: bool = False
    selection: bool = False
    epoch: bool = False
    labels: LabelDiff | None = None
    message: str | None = None

    def __bool__(self) -> bool:
        return bool(self.window or self.cursor or self.selection or self.epoch
                    or self.labels is not None or self.message)

    def __or__(self, other: Change) -> Change:
        return Change(self.window or other.window, self.cursor or other.cursor,
                      self.selection or other.selection, self.epoch or other.epoch,
                      other.labels if other.labels is not None else self.labels,
                      other.message or self.message)


@dataclass
class Session:
    """The scoring state of one recording.

    Parameters
    ----------
    labels : IntervalLabelSet
        The labels being scored (journaled; every edit goes through it).
    t_start, t_end : float
        The data's time range in seconds (half-open).
    epoch_len : float
        Scoring epoch in seconds (4 for mice, 30 for human sleep).
    window_len : float or None
        Visible span; default 5 epochs for short epochs, else one epoch.
    auto_advance : bool
        Labelling an epoch moves the cursor to the next one.
    times : TimeDisplay
        How the times in messages are written (clock or elapsed). The view
        model's setting, shared: it switches the mode, the session only
        formats with it.
    """

    labels: IntervalLabelSet
    t_start: float
    t_end: float
    epoch_len: float = 4.0
    window_len: float | None = None
    auto_advance: bool = True
    times: TimeDisplay = field(default_factory=TimeDisplay)
    window_start: float = field(init=False)
    cursor: float = field(init=False)
    selection: tuple[float, float] | None = field(init=False, default=None)
    _anchor: float | None = field(init=False, default=None)
    _moving: float | None = field(init=False, default=None)
    _made: list[tuple[float, LabelDiff]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.t_start) and math.isfinite(self.t_end)) or self.t_end <= self.t_start:
            raise ValueError(f"recording span [{self.t_start}, {self.t_end}) is empty")
        if not self.epoch_len > 0:
            raise ValueError("epoch_len must be > 0")
        if self.window_len is None:
            self.window_len = self.epoch_len * (5 if self.epoch_len < 10 else 1)
        self.window_len = self._clamp_window_len(self.window_len)
        self.window_start = self.t_start
        self.cursor = self.t_start

    @staticmethod
    def guess_epoch_len(starts: np.ndarray, ends: np.ndarray, t_start: float, default: float = 4.0) -> float:
        """The scoring epoch that existing labels were made on, else ``default``.

        The longest of 30, 20, 10, 5, 4, 2, 1 s on whose grid (anchored at
        ``t_start``) at least 95 % of the label boundaries fall.
        """
        edges = np.concatenate([np.asarray(starts, float), np.asarray(ends, float)]) - t_start
        if len(edges) < 4:
            return float(default)
        for e in (30.0, 20.0, 10.0, 5.0, 4.0, 2.0, 1.0):
            off = np.abs(edges / e - np.round(edges / e))
            if np.mean(off < 1e-6) >= 0.95:
                return e
        return float(default)

    # ------------------------------------------------------------ geometry
    @property
    def span(self) -> tuple[float, float]:
        """Navigable span: the data range joined with the labels' extent."""
        lo, hi = self.t_start, self.t_end
        starts, ends = self.labels.starts, self.labels.ends
        if len(starts):
            lo, hi = min(lo, float(starts[0])), max(hi, float(ends[-1]))
        return lo, hi

    @property
    def window_end(self) -> float:
        return self.window_start + self.window_len

    @property
    def n_epochs(self) -> int:
        lo, hi = self.span
        return max(1, math.ceil((hi - self.t_start) / self.epoch_len - EPS))

    def epoch_index(self, t: float | None = None) -> int:
        """Index of the epoch holding ``t`` (default: the cursor)."""
        t = self.cursor if t is None else t
        # Tolerance in epochs, not seconds: 3.9999999999 is epoch 1, but a
        # cursor held just inside the end (t_end - EPS) stays in the last epoch.
        return math.floor((t - self.t_start) / self.epoch_len + 1e-9)

    def epoch_bounds(self, k: int | None = None) -> tuple[float, float]:
        k = self.epoch_index() if k is None else k
        s = self.t_start + k * self.epoch_len
        return s, s + self.epoch_len

    def state_at(self, t: float | None = None) -> str | None:
        """The label at ``t`` (default: the cursor), or None."""
        iv = self.labels.at_time(self.cursor if t is None else t)
        return None if iv is None else iv.label

    def scored_fraction(self) -> float:
        """Fraction of the data range covered by labels."""
        starts, ends = self.labels.starts, self.labels.ends
        if not len(starts):
            return 0.0
        covered = np.clip(ends, self.t_start, self.t_end) - np.clip(starts, self.t_start, self.t_end)
        return float(covered.sum()) / (self.t_end - self.t_start)

    # ---------------------------------------------------------- navigation
    def page(self, n: int = 1) -> Change:
        """Move the window by ``n`` whole windows; the cursor moves with it."""
        lo, hi = self.span
        new = self.window_start + n * self.window_len
        new = min(max(new, lo), max(lo, hi - self.window_len))
        delta = new - self.window_start
        if abs(delta) < EPS:
            return Change(message="at the end of the recording" if n > 0 else "at the start of the recording")
        self.window_start = new
        self.cursor = min(max(self.cursor + delta, lo), hi - EPS)
        self.cursor = min(max(self.cursor, self.window_start), self.window_end - EPS)
        return Change(window=True, cursor=True)

    def step_epoch(self, n: int = 1) -> Change:
        """Move the cursor to the start of the epoch ``n`` epochs away."""
        k = self.epoch_index() + n
        # The grid reaches labels outside the data, before t_start as well.
        lo, hi = self.span
        k_min, k_max = self.epoch_index(lo), self.epoch_index(hi - EPS)
        if k < k_min or k > k_max:
            k = min(max(k, k_min), k_max)
            if self.epoch_bounds(k)[0] == self.cursor:
                return Change(message="at the last epoch" if n > 0 else "at the first epoch")
        return self._move_cursor(self.epoch_bounds(k)[0])

    def step_time(self, dt: float) -> Change:
        """Move the cursor by ``dt`` seconds (fine stepping, video frames)."""
        return self._move_cursor(self.cursor + dt)

    def goto(self, t: float) -> Change:
        """Put the cursor at ``t``; the window is centred on it, snapped to the epoch grid."""
        lo, hi = self.span
        t = min(max(t, lo), hi - EPS)
        self.cursor = t
        start = t - self.window_len / 2
        start = self.t_start + math.floor((start - self.t_start) / self.epoch_len + EPS) * self.epoch_len
        start = min(max(start, lo), max(lo, hi - self.window_len))
        moved = abs(start - self.window_start) > EPS
        self.window_start = start
        self._follow()
        return Change(window=moved, cursor=True)

    def goto_epoch(self, k: int) -> Change:
        """Go to epoch ``k`` (0-based)."""
        k = min(max(k, 0), self.n_epochs - 1)
        return self.goto(self.epoch_bounds(k)[0])

    def set_window_len(self, seconds: float) -> Change:
        """Resize the window; the cursor stays visible."""
        new = self._clamp_window_len(seconds)
        if abs(new - self.window_len) < EPS:
            return Change(message=f"window is already {new:g} s")
        self.window_len = new
        lo, hi = self.span
        self.window_start = min(max(self.window_start, lo), max(lo, hi - new))
        self._follow()
        return Change(window=True)

    def zoom(self, factor: float) -> Change:
        """Multiply the window length by ``factor`` (2 = zoom out)."""
        return self.set_window_len(self.window_len * factor)

    def set_epoch_len(self, seconds: float) -> Change:
        if not (math.isfinite(seconds) and seconds > 0):
            return Change(message=f"epoch length must be > 0 s, not {seconds:g}")
        self.epoch_len = float(seconds)
        return Change(epoch=True, message=f"epoch length {seconds:g} s")

    def toggle_auto_advance(self) -> Change:
        self.auto_advance = not self.auto_advance
        return Change(message=f"auto-advance {'on' if self.auto_advance else 'off'}")

    # ----------------------------------------------------------- selection
    @property
    def fine_step(self) -> float:
        """The fine selection step: a hundredth of the window."""
        return self.window_len / 100

    def mark(self) -> Change:
        """Start a selection at the current epoch (or drop the one there is)."""
        if self.selection is not None:
            return self.clear_selection()
        s, e = self.epoch_bounds()
        self._anchor, self._moving = s, e
        self.selection = (s, e)
        self.cursor = s
        return Change(selection=True, cursor=True)

    def extend_selection(self, n_epochs: int = 0, dt: float = 0.0) -> Change:
        """Move the selection's free end by whole epochs and/or ``dt`` seconds.

        Without a selection, one starts at the current epoch first.
        """
        change = Change()
        if self.selection is None:
            change = self.mark()
        lo, hi = self.span
        moving = self._moving + n_epochs * self.epoch_len + dt
        moving = min(max(moving, lo), hi)
        if abs(moving - self._anchor) < EPS:
            # A zero-length selection is none: step across the anchor instead.
            moving = self._anchor + math.copysign(self.epoch_len if n_epochs else abs(dt), n_epochs or dt)
        self._moving = moving
        a, b = sorted((self._anchor, moving))
        self.selection = (a, b)
        # The cursor shows the free end, kept just inside the selection so the
        # epoch it names is the last one selected.
        cursor = moving - 1e-3 if moving > self._anchor else moving
        return change | self._move_cursor(cursor) | Change(selection=True)

    def select(self, start: float, end: float) -> Change:
        """Set the selection directly (a drag in the GL window)."""
        a, b = sorted((start, end))
        if b - a < EPS:
            return self.clear_selection()
        self._anchor, self._moving = a, b
        self.selection = (a, b)
        return Change(selection=True)

    def clear_selection(self) -> Change:
        if self.selection is None:
            return Change()
        self.selection = self._anchor = self._moving = None
        return Change(selection=True)

    # ------------------------------------------------------------- scoring
    def label(self, state: str) -> Change:
        """Label the selection, or the current epoch and (with auto-advance) step on."""
        if self.selection is not None:
            a, b = self.selection
            diff = self.labels.add(a, b, state)
            self._remember(a, diff)
            return Change(labels=diff) | self.clear_selection()
        s, e = self.epoch_bounds()
        diff = self.labels.add(s, e, state)
        self._remember(s, diff)
        change = Change(labels=diff)
        if self.auto_advance:
            change = change | self.step_epoch(1)
        return change

    def label_spans(self, spans, what: str = "labelled") -> Change:
        """Label several ``(start, end, state)`` spans (sorted, not overlapping) as **one** edit: one
        journal entry and one undo step (accepting many suggestions at once).

        The label set's edits are one span each, so the result is planned on a scratch set holding
        the rows the spans touch (and their neighbours, which may merge) with the same rules as
        :meth:`IntervalLabelSet.add`, then applied as a single replacement of those rows.
        """
        spans = sorted((float(a), float(b), str(st)) for a, b, st in spans if b > a)
        if not spans:
            return Change(message=f"nothing {what}")
        if len(spans) == 1:
            a, b, st = spans[0]
            diff = self.labels.add(a, b, st)
            self._remember(a, diff)
            return Change(labels=diff, message=f"{what}: {self._describe(diff.added, diff.removed)}")
        ls = self.labels
        lo = max(0, int(np.searchsorted(ls.ends, spans[0][0], side="left")) - 1)
        hi = min(len(ls), int(np.searchsorted(ls.starts, spans[-1][1], side="right")) + 1)
        old = tuple(ls.row(i) for i in range(lo, hi))
        scratch = IntervalLabelSet(ls.schema, extra_cols=ls.extra_cols)
        for r in old:
            scratch.add(r.start, r.end, r.label, r.note, **dict(zip(ls.extra_cols, r.extras)))
        for a, b, st in spans:
            scratch.add(a, b, st)
        hunk = make_hunk(lo, old, tuple(scratch))
        if hunk is None:
            return Change(message=f"nothing {what}: the labels already say so")
        # revert() applies "hunk.added -> hunk.removed" as one new undoable edit: give it the inverse
        diff = ls.revert(LabelDiff((Hunk(hunk.index, hunk.added, hunk.removed),), "label_spans"))
        if diff is None:
            return Change(message=f"nothing {what}: the labels changed meanwhile")
        self._remember(spans[0][0], diff)
        return Change(labels=diff, message=f"{what}: {self._describe(diff.added, diff.removed)}")

    def clear(self) -> Change:
        """Remove labels in the selection, or in the current epoch."""
        if self.selection is not None:
            a, b = self.selection
            return Change(labels=self.labels.clear_range(a, b)) | self.clear_selection()
        s, e = self.epoch_bounds()
        return Change(labels=self.labels.clear_range(s, e))

    def delete_last(self) -> Change:
        """Take back the last label made in this session and put the cursor there.

        What the label replaced comes back (a relabelled epoch gets its old
        state again); labels already undone or changed since are skipped.
        """
        while self._made:
            start, made = self._made.pop()
            diff = self.labels.revert(made)
            if diff is not None:
                return (Change(labels=diff, message=f"deleted: {self._describe(diff.removed, diff.added)}")
                        | self._move_cursor(start))
        return Change(message="no label made in this session to delete")

    def undo(self) -> Change:
        diff = self.labels.undo()
        if diff is None:
            return Change(message="nothing to undo")
        # the edit undone had made what the undo removed
        return Change(labels=diff, message=f"undid: {self._describe(diff.removed, diff.added)}") | self._show(diff)

    def redo(self) -> Change:
        diff = self.labels.redo()
        if diff is None:
            return Change(message="nothing to redo")
        return Change(labels=diff, message=f"redid: {self._describe(diff.added, diff.removed)}") | self._show(diff)

    def _describe(self, made, replaced) -> str:
        return describe_edit(made, replaced, fmt=self.times.format)

    def set_note(self, text: str | None) -> Change:
        """Note the current epoch (or the selection's labelled parts); None or "" clears it.

        The note marks exactly that span: a noted epoch inside a bout becomes
        its own interval, so jumping by note text lands on it.
        """
        a, b = self.selection if self.selection is not None else self.epoch_bounds()
        if not len(self.labels.visible_arrays(a, b)):
            return Change(message="no label here to note: label the epoch first")
        diff = self.labels.note_range(a, b, text or None)
        where = f"{self.times.format(a)}–{self.times.format(b)}"
        said = f"note {text!r} set on {where}" if text else f"note cleared on {where}"
        return Change(labels=diff, message=said if diff else f"{said} (it was already)")

    # --------------------------------------------------------------- jumps
    def next_unscored(self, direction: int = 1) -> Change:
        """Go to the next (or previous) epoch that is not fully labelled."""
        k = self.epoch_index()
        if direction > 0:
            t = first_uncovered_at_or_after(self.labels.starts, self.labels.ends, self.epoch_bounds(k + 1)[0])
            if t is None or t >= self.t_end - EPS:
                return Change(message="no unscored epoch after this one")
        else:
            t = last_uncovered_before(self.labels.starts, self.labels.ends, self.epoch_bounds(k)[0],
                                      self.epoch_len)
            if t is None or t < self.t_start:
                return Change(message="no unscored epoch before this one")
        return self._jump_to_epoch_of(t)

    def next_state_change(self, direction: int = 1) -> Change:
        """Go to where the state differs from the state at the cursor."""
        ls = self.labels
        runs = state_changes(ls.starts, ls.ends, ls.codes)
        if direction > 0:
            i = np.searchsorted(runs, self.cursor + EPS, side="left")
            if i >= len(runs):
                return Change(message="no state change after the cursor")
            return self._jump_to(float(runs[i]))
        i = np.searchsorted(runs, self.cursor - EPS, side="left") - 1
        if i < 0:
            return Change(message="no state change before the cursor")
        return self._jump_to(float(runs[i]))

    def next_with_state(self, state: str, direction: int = 1) -> Change:
        """Go to the next (or previous) interval labelled ``state``."""
        ls = self.labels
        code = ls.label_names.index(state) if state in ls.label_names else -1
        hits = np.flatnonzero(ls.codes == code)
        return self._jump_among(ls.starts[hits], direction, f"no {state} epoch")

    def next_with_note(self, text: str, direction: int = 1) -> Change:
        """Go to the next (or previous) interval whose note contains ``text``."""
        hits = self.labels.find(note=text)
        return self._jump_among(self.labels.starts[hits], direction, f"no note with {text!r}")

    def next_matching(self, starts: np.ndarray, direction: int = 1, what: str = "match") -> Change:
        """Go to the next (or previous) of the given sorted start times (jumper matches)."""
        return self._jump_among(np.asarray(starts, dtype=np.float64), direction, f"no {what}")

    # ------------------------------------------------------------ internal
    def _remember(self, start: float, diff: LabelDiff) -> None:
        """Keep a label edit (and where its span starts) for :meth:`delete_last`."""
        if diff:
            self._made.append((start, diff))

    def _clamp_window_len(self, seconds: float) -> float:
        lo, hi = self.span
        return float(min(max(seconds, 0.1), hi - lo))

    def _follow(self) -> bool:
        """Page the window so that it holds the cursor; True if it moved."""
        if self.window_start - EPS <= self.cursor < self.window_end - EPS:
            return False
        lo, hi = self.span
        pages = math.floor((self.cursor - self.window_start) / self.window_len + EPS)
        start = self.window_start + pages * self.window_len
        self.window_start = min(max(start, lo), max(lo, hi - self.window_len))
        if not (self.window_start - EPS <= self.cursor < self.window_end - EPS):
            self.window_start = min(max(self.cursor, lo), max(lo, hi - self.window_len))
        return True

    def _move_cursor(self, t: float) -> Change:
        lo, hi = self.span
        t = min(max(t, lo), hi - EPS)
        if abs(t - self.cursor) < EPS:
            return Change()
        self.cursor = t
        return Change(cursor=True, window=self._follow())

    def _jump_to(self, t: float) -> Change:
        return self.goto(t) if not (self.window_start <= t < self.window_end) else self._move_cursor(t)

    def _jump_to_epoch_of(self, t: float) -> Change:
        return self._jump_to(self.epoch_bounds(self.epoch_index(t))[0])

    def _jump_among(self, times: np.ndarray, direction: int, none_msg: str) -> Change:
        if direction > 0:
            i = np.searchsorted(times, self.epoch_bounds()[1] - EPS, side="left")
            if i >= len(times):
                return Change(message=f"{none_msg} after this one")
        else:
            i = np.searchsorted(times, self.epoch_bounds()[0] - EPS, side="left") - 1
            if i < 0:
                return Change(message=f"{none_msg} before this one")
        return self._jump_to_epoch_of(max(float(times[i]), self.t_start))

    def _show(self, diff: LabelDiff) -> Change:
        """After undo/redo, bring the edited span into view if it is not."""
        if diff.t1 <= self.window_start or diff.t0 >= self.window_end:
            return self.goto(diff.t0)
        return Change()


def describe_edit(made, replaced, limit: int = 2, fmt: Callable[[float], str] | None = None) -> str:
    """What an edit did, in a few words: ``"REM 0:02:00–0:02:04"``, ``"clear 0:02:00–0:02:04"``.

    ``made`` are the rows the edit put in, ``replaced`` the rows it took out.
    Only what changed is named: the parts of the made rows that no replaced
    row of the same state (and note) already covered (a bout grown by one
    epoch names that epoch, a split bout's rest is not news), else the parts
    of the replaced rows that nothing covers any more (a clear). ``fmt`` writes a time
    (:meth:`TimeDisplay.format <loupe_tui.core.clock.TimeDisplay.format>`: elapsed by default).
    """
    fmt = fmt or TimeDisplay().format

    def span(a: float, b: float) -> str:
        return f"{fmt(a)}–{fmt(b)}"

    def minus(pieces, rows):
        for r in rows:
            pieces = [p for a, b in pieces for p in ((a, min(b, r.start)), (max(a, r.end), b)) if p[1] > p[0]]
        return pieces

    def listed(words: list[str]) -> str:
        return ", ".join(words[:limit]) + (f" and {len(words) - limit} more" if len(words) > limit else "")

    def joined(pieces):       # (start, end, key) sorted; touching pieces with one key become one
        out: list = []
        for a, b, k in sorted(pieces, key=lambda p: p[0]):
            if out and out[-1][2] == k and a <= out[-1][1] + EPS:
                out[-1] = (out[-1][0], max(b, out[-1][1]), k)
            else:
                out.append((a, b, k))
        return out

    made, replaced = list(made)[:500], list(replaced)[:500]
    new = []
    for r in made:
        same = [q for q in replaced if q.label == r.label and q.note == r.note and q.extras == r.extras]
        new += [(a, b, (r.label, bool(r.note))) for a, b in minus([(r.start, r.end)], same)]
    if new:
        return listed([f"{lb} {span(a, b)}" + (" (note)" if note else "") for a, b, (lb, note) in joined(new)])
    gone = minus([(q.start, q.end) for q in replaced], made)   # nothing new: a clear; where did labels go?
    if gone:
        return "clear " + listed([span(a, b) for a, b, _ in joined([(a, b, None) for a, b in gone])])
    return "an edit"

