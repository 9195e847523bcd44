"""Scoring suggestions and other scorers on the main screen (issue 14): train, show, review.

The main screen owns one :class:`SuggestionReview`. Where its suggestions come from (the
background trainer, YASA's staging, a shared cache) is :class:`SuggestionSources`
(:mod:`loupe_tui.tui.suggestion_sources`); here is the rest:

* the newest :class:`~loupe_tui.io.suggest.Suggestions` and the confidence threshold;
* what the ``suggested`` and ``compare:i`` strips show, in the terminal
  (:class:`~loupe_tui.tui.widgets.suggestion_strip.SuggestionStrip`) and in the GL window
  (``SetLabelLayer`` messages, which the bridge also sends to every new window);
* the review actions: accept (one epoch, the window, the run; many at once is one undo step via
  :meth:`Session.label_spans <loupe_tui.core.session.Session.label_spans>`), and the jumps to
  the next unsure epoch and the next disagreement.

Blind scoring (``open --blind``, ``view(blind=True)``, Alt+H): the suggestions and the other
scorers show, in both windows, only on the epochs the person has scored (at least half of the
epoch labelled, :func:`revealed_epochs`), so that a comparison stays honest; accepting is off,
and the jumps go only to epochs that are shown. The GL window's layers follow the labels a
moment after each edit (:data:`BLIND_RESEND_S`, so that a run of keys sends them once).

Suggestions are a layer of their own: nothing here writes a label except the
accept actions, which are ordinary journaled edits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from loupe_tui import protocol as P
from loupe_tui.core import keys
from loupe_tui.core.session import Change
from loupe_tui.io.suggest import LabelSnapshot, SuggestionTrainer, Suggestions, targets_of
from loupe_tui.tui.suggestion_sources import SuggestionSources

#: The confidence threshold the jump and the strip's "?" start with.
THRESHOLD = 0.8
#: Confidences are merged into runs to this step in the GL window's layer.
CONF_STEP = 0.05
#: In blind mode, the GL window's layers are sent again this long after the last label edit.
BLIND_RESEND_S = 0.25


# -- pure helpers (numpy only) ---------------------------------------------------------------------
def layer_runs(codes: np.ndarray, confidence: np.ndarray | None, first: float, step: float,
               names) -> tuple[tuple, tuple, tuple, tuple]:
    """``(starts, ends, labels, confidence)``: runs of epochs with equal code (and confidence to
    :data:`CONF_STEP`) merged; epochs without a code left out."""
    codes = np.asarray(codes)
    conf = (np.zeros(len(codes)) if confidence is None
            else np.round(np.nan_to_num(np.asarray(confidence, float)) / CONF_STEP) * CONF_STEP)
    key = codes.astype(np.int64) * 1000 + np.round(conf * 100).astype(np.int64)
    cut = np.flatnonzero(np.diff(key) != 0) + 1
    a = np.concatenate([[0], cut]).astype(np.int64)
    b = np.concatenate([cut, [len(codes)]]).astype(np.int64)
    keep = codes[a] >= 0 if len(codes) else np.zeros(0, bool)
    a, b = a[keep], b[keep]
    return (tuple((first + a * step).tolist()), tuple((first + b * step).tolist()),
            tuple(names[int(c)] for c in codes[a]),
            () if confidence is None else tuple(round(float(c), 2) for c in conf[a]))


def unscored(starts: np.ndarray, ends: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per span ``[a, b)``: no label overlaps it at all (sorted, non-overlapping labels)."""
    i = np.searchsorted(ends, a, side="right")          # the first label ending after a
    hit = i < len(starts)
    hit[hit] = starts[i[hit]] < b[hit]
    return ~hit


def labelled_before(starts: np.ndarray, ends: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Per time in ``t``: the labelled time before it (sorted, non-overlapping labels)."""
    cum = np.concatenate([[0.0], np.cumsum(ends - starts)])
    i = np.searchsorted(starts, t, side="right")           # labels starting at or before t
    j = np.maximum(i - 1, 0)
    over = np.where(i > 0, np.clip(ends[j] - t, 0.0, None), 0.0) if len(starts) else 0.0
    return cum[i] - over


def revealed_epochs(starts: np.ndarray, ends: np.ndarray, first: float, step: float, n: int) -> np.ndarray:
    """Per epoch of the grid: at least half of it is labelled (what blind scoring shows)."""
    edges = first + step * np.arange(n + 1, dtype=np.float64)
    covered = np.diff(labelled_before(np.asarray(starts, float), np.asarray(ends, float), edges))
    return covered >= 0.5 * step - 1e-9


def disagreements(columns: list[np.ndarray], pairs: list[tuple[int, int]]) -> np.ndarray:
    """Per epoch: some pair ``(i, j)`` of ``columns`` (codes in one name space, -1 none) both have a
    state and the states differ."""
    out = np.zeros(len(columns[0]), bool)
    for i, j in pairs:
        x, y = columns[i], columns[j]
        out |= (x >= 0) & (y >= 0) & (x != y)
    return out


@dataclass(frozen=True)
class StripRow:
    """One row of the terminal strip: per column, a state (None: none) and its shade (0-1), and
    whether it is below the threshold."""

    title: str
    states: list
    alpha: np.ndarray
    unsure: np.ndarray


class SuggestionReview(SuggestionSources):
    """The suggestions of the main ``screen``: where they come from (:class:`SuggestionSources`),
    what is shown of them, blind scoring, the review actions."""

    def __init__(self, screen):
        self.screen = screen
        self.trainer: SuggestionTrainer | None = None
        self.current: Suggestions | None = None
        self.threshold = THRESHOLD
        self.problem: str | None = None        # why there are none (said once in the status line)
        self._said_problem = False
        self._announced = False
        self.blind = bool(screen.context.blind)
        self.method = screen.context.suggest       # "classifier", "yasa" or "off"
        self._views: list = []
        self.shared = False                        # self.current came from a shared cache (prepare --suggest)
        self._revealed: tuple | None = None        # ((first, step, n), mask), dropped at every label edit
        self._compare_codes: dict = {}             # (i, grid) -> (codes, states) of compare file i
        self._resend = None                        # the pending blind-mode resend timer
        self._labels_version = 0                   # label edits so far (blind strips depend on them)

    @property
    def session(self):
        return self.screen.session

    @property
    def compare(self) -> list:
        return list(self.screen.context.compare)

    def labels_changed(self) -> None:
        """After every label edit: the trainer retrains (debounced, on its thread)."""
        self._revealed = None
        self._labels_version += 1
        if self.trainer is not None:
            self.trainer.submit(LabelSnapshot.of(self.session.labels))
        if self.blind and self.rows_wanted():
            if self._resend is not None:
                self._resend.stop()
            self._resend = self.screen.set_timer(BLIND_RESEND_S, self._send_layers)

    def _send_layers(self) -> None:
        self._resend = None
        self.screen.show_suggestions(every=True)

    # -- what is shown -----------------------------------------------------------------------
    def grid(self) -> tuple[float, float, int]:
        """``(first, step, n)``: the suggestions' epoch grid, else the session's."""
        if self.current is not None:
            return self.current.first, self.current.step_s, self.current.n_epochs
        s = self.session
        return s.t_start, s.epoch_len, s.n_epochs

    def index(self, t: float) -> int:
        first, step, _ = self.grid()
        return math.floor((t - first) / step + 1e-9)

    def layer_messages(self) -> list[P.Message]:
        """Every layer for the GL window: the suggestions (when there are some) and each compared scorer."""
        out: list[P.Message] = []
        s = self.current
        shown = self.revealed()
        if s is not None:
            codes = s.codes if shown is None else np.where(shown, s.codes, -1)
            starts, ends, names, conf = layer_runs(codes, s.confidence, s.first, s.step_s, s.states)
            out.append(P.SetLabelLayer("suggestions", "suggested", starts, ends, names, conf))
        first, step, _ = self.grid()
        for i, (name, labels) in enumerate(self.compare):
            title = Path(str(name)).name
            if shown is None:
                out.append(P.SetLabelLayer(f"compare:{i}", title, tuple(labels.starts.tolist()),
                                           tuple(labels.ends.tolist()),
                                           tuple(labels.label_names[c] for c in labels.codes.tolist())))
                continue
            codes, states = self._compare_epochs(i)
            starts, ends, names, _ = layer_runs(np.where(shown, codes, -1), None, first, step, states)
            out.append(P.SetLabelLayer(f"compare:{i}", title, starts, ends, names))
        return out

    # -- blind scoring -----------------------------------------------------------------------
    def revealed(self) -> np.ndarray | None:
        """Per epoch of :meth:`grid`: shown in blind mode (scored by the person); None when not blind."""
        if not self.blind:
            return None
        grid = self.grid()
        if self._revealed is None or self._revealed[0] != grid:
            labels = self.session.labels
            self._revealed = (grid, revealed_epochs(labels.starts, labels.ends, *grid))
        return self._revealed[1]

    def _compare_epochs(self, i: int) -> tuple[np.ndarray, tuple]:
        """Compare file ``i`` on the grid, an epoch's state the one covering most of it (read-only
        files: computed once per grid)."""
        key = (i, self.grid())
        if key not in self._compare_codes:
            t = targets_of(self.compare[i][1], *key[1])
            self._compare_codes[key] = (t.codes, t.states)
        return self._compare_codes[key]

    def toggle_blind(self) -> Change:
        """Blind scoring on or off (both windows follow at once)."""
        self.blind = not self.blind
        self._revealed = None
        self.screen.show_suggestions(every=True)
        if self.blind:
            return Change(message="blind scoring: suggestions and other scorers show only on the epochs you "
                                  f"have scored ({self.key_name('suggest.blind')} shows them all)")
        return Change(message="blind scoring off: suggestions and other scorers show on every epoch")

    def _blind_refusal(self) -> Change:
        return Change(message=f"blind scoring: score the epoch yourself ({self.key_name('suggest.blind')} "
                              f"leaves blind mode to accept suggestions)")

    def strip_rows(self, t0: float, t1: float, n: int) -> list[StripRow]:
        """The terminal strip's rows for ``[t0, t1)`` in ``n`` columns."""
        rows = []
        ts = t0 + (np.arange(n) + 0.5) * ((t1 - t0) / max(n, 1))
        shown = self.revealed()
        if shown is not None:                  # blind: the columns whose epoch the person has scored
            first, step, m = self.grid()
            k = np.floor((ts - first) / step + 1e-9).astype(np.int64)
            shown = ((k >= 0) & (k < m)) & shown[np.clip(k, 0, max(m - 1, 0))] if m else np.zeros(n, bool)
        s = self.current
        if s is not None:
            k = np.floor((ts - s.first) / s.step_s + 1e-9).astype(np.int64)
            ok = (k >= 0) & (k < s.n_epochs) & (True if shown is None else shown)
            kk = np.clip(k, 0, max(s.n_epochs - 1, 0))
            codes = np.where(ok, s.codes[kk], -1)
            conf = np.where(codes >= 0, s.confidence[kk], np.nan)
            floor = 1.0 / max(len(s.states), 1)
            alpha = 0.25 + 0.75 * np.clip((np.nan_to_num(conf) - floor) / max(1 - floor, 1e-9), 0, 1)
            rows.append(StripRow("suggest", [s.states[c] if c >= 0 else None for c in codes.tolist()], alpha,
                                 (codes >= 0) & (conf < self.threshold)))
        for name, labels in self.compare:
            i = np.searchsorted(labels.starts, ts, side="right") - 1
            hit = (i >= 0) & (ts < labels.ends[np.maximum(i, 0)]) if len(labels) else np.zeros(n, bool)
            if shown is not None:
                hit &= shown
            states = [labels.label_names[labels.codes[j]] if h else None for j, h in zip(i.tolist(), hit.tolist())]
            rows.append(StripRow(Path(str(name)).stem, states, np.ones(n), np.zeros(n, bool)))
        return rows

    def strip_version(self) -> tuple:
        """Everything the strips show besides the window and the colours: the suggestions, the
        threshold, blind scoring and (only then) the labels."""
        return (id(self.current), self.threshold, self.blind, self._labels_version if self.blind else 0)

    def rows_wanted(self) -> int:
        return (self.current is not None) + len(self.compare)

    # -- review actions ----------------------------------------------------------------------
    def _none(self) -> Change:
        if self.method == "off":
            return Change(message="no suggestions: turned off (--suggest off)")
        why = self.problem or ("they come once the spectral views are open and enough epochs are scored"
                               if self.screen.context.spectral else
                               "they need the spectral views (open --spectrogram EEG --emg EMG)")
        return Change(message=f"no suggestions: {why}")

    def accept(self) -> Change:
        """Label the cursor's epoch with its suggestion and step to the next epoch."""
        s = self.current
        if s is None:
            return self._none()
        if self.blind:
            return self._blind_refusal()
        a, b = self.session.epoch_bounds()
        k = self.index(a)
        state = s.state_at(k)[0] if 0 <= k < s.n_epochs else None
        if state is None:
            return Change(message="no suggestion for this epoch (its features are missing)")
        return self.session.label_spans([(a, b, state)], "accepted") | self.session.step_epoch(1)

    def accept_window(self) -> Change:
        """Accept every suggestion in the window where nothing is scored: one undo step."""
        ses = self.session
        return self._accept_range(self.index(ses.window_start), self.index(ses.window_end - 1e-6), "in the window")

    def accept_run(self) -> Change:
        """Accept the run of equal suggestions the cursor is in (where nothing is scored), one undo
        step, and go to the epoch after it."""
        s = self.current
        if s is None:
            return self._none()
        if self.blind:
            return self._blind_refusal()
        j = self.index(self.session.epoch_bounds()[0])
        if not (0 <= j < s.n_epochs) or s.codes[j] < 0:
            return Change(message="no suggestion for this epoch")
        cuts = np.flatnonzero(np.diff(s.codes) != 0) + 1        # where each run starts
        lo = int(cuts[cuts <= j][-1]) if (cuts <= j).any() else 0
        hi = (int(cuts[cuts > j][0]) if (cuts > j).any() else s.n_epochs) - 1
        change = self._accept_range(lo, hi, "in this run")
        return change | self.session.step_epoch(hi + 1 - j)

    def _accept_range(self, lo: int, hi: int, where: str) -> Change:
        s = self.current
        if s is None:
            return self._none()
        if self.blind:
            return self._blind_refusal()
        lo, hi = max(lo, 0), min(hi, s.n_epochs - 1)
        if hi < lo:
            return Change(message=f"no suggestion {where}")
        k = np.arange(lo, hi + 1)
        a, b = s.first + k * s.step_s, s.first + (k + 1) * s.step_s
        labels = self.session.labels
        take = (s.codes[k] >= 0) & unscored(labels.starts, labels.ends, a, b)
        if not take.any():
            return Change(message=f"nothing to accept {where}: every suggested epoch is scored")
        starts, ends, states, _ = layer_runs(np.where(take, s.codes[k], -1), None, float(a[0]), s.step_s, s.states)
        return self.session.label_spans(list(zip(starts, ends, states)),
                                        f"accepted {int(take.sum()):,} epochs {where}")

    def next_unsure(self) -> Change:
        """Go to the next epoch whose suggestion's confidence is below the threshold."""
        s = self.current
        if s is None:
            return self._none()
        j = self.index(self.session.epoch_bounds()[0])
        shown = self.revealed()
        low = np.flatnonzero((s.codes >= 0) & (s.confidence < self.threshold) & (True if shown is None else shown))
        nxt = low[low > j]
        if not len(nxt):
            blind = " among the epochs you have scored (blind)" if shown is not None else ""
            return Change(message=f"no suggestion below {self.threshold:g} after this epoch{blind}")
        k = int(nxt[0])
        state, conf = s.state_at(k)
        return self.session.step_epoch(k - j) | Change(message=f"suggested {state} at {conf:.2f} "
                                                            f"(below {self.threshold:g})")

    def next_disagreement(self) -> Change:
        """Go to the next epoch where the labels and the suggestions disagree, or any two of the labels
        and the compared scorers do."""
        if self.current is None and not self.compare:
            return self._none()
        first, step, n = self.grid()
        sources = [("labels", self.session.labels), *self.compare]
        names: dict[str, int] = {}
        columns = []
        for _, ls in sources:
            t = targets_of(ls, first, step, n)
            lut = np.array([names.setdefault(x, len(names)) for x in t.states] + [-1], np.int64)
            columns.append(lut[np.where(t.codes >= 0, t.codes, len(t.states))])
        pairs = [(i, j) for i in range(len(sources)) for j in range(i + 1, len(sources))]
        s = self.current
        if s is not None:
            lut = np.array([names.setdefault(x, len(names)) for x in s.states] + [-1], np.int64)
            columns.append(lut[np.where(s.codes >= 0, s.codes, len(s.states))])
            pairs.append((0, len(columns) - 1))
        j = self.index(self.session.epoch_bounds()[0])
        shown = self.revealed()
        hits = np.flatnonzero(disagreements(columns, pairs) & (True if shown is None else shown))
        nxt = hits[hits > j]
        if not len(nxt):
            blind = " among the epochs you have scored (blind)" if shown is not None else ""
            return Change(message=f"no disagreement after this epoch{blind}")
        k = int(nxt[0])
        inv = {v: key for key, v in names.items()}
        said = ", ".join(f"{Path(str(nm)).stem if i else 'labels'} {inv.get(int(c[k]), '-')}"
                         for i, ((nm, _), c) in enumerate(zip(sources, columns)))
        if s is not None:
            said += f", suggested {inv.get(int(columns[-1][k]), '-')}"
        return self.session.step_epoch(k - j) | Change(message=f"disagreement: {said}")

    def set_threshold(self, text: str) -> Change:
        value = float(text)
        if not 0 < value <= 1:
            raise ValueError("a confidence between 0 and 1")
        self.threshold = value
        self.screen.show_suggestions(send=False)
        return Change(message=f"confidence threshold {value:g}: {self.key_name('suggest.next_low_confidence')} goes "
                              f"to the next suggestion below it")

    def key_name(self, action: str) -> str:
        """How the keymap writes the first key of ``action`` (the action id when it has none)."""
        k = self.screen.states.action_keys.get(action, ())
        return keys.display(k[0]) if k else action
