"""Agreement between scorers: two or more label files of one recording, compared epoch by epoch.

The epoch grid
--------------
Every file is cut into the same epochs: ``epoch_s`` long, from the earliest
label start of any file to the latest end. The epoch length is given, or
taken from the files: the longest of 30, 20, 10, 5, 4, 2, 1 s on which 95 %
of all their label boundaries fall (:meth:`Session.guess_epoch_len
<loupe_tui.core.session.Session.guess_epoch_len>`, the rule the scorer uses).
An epoch's state in a file is the state that covers most of it, unlabelled
time counting as one more candidate; when unlabelled time covers most, or
two candidates tie for most, the epoch is **unscored** in that file.

Names
-----
When the files' state names differ, every name is read in the one stage
style that fits them all best (:mod:`.sleep_stats`): R&K against AASM reads
S1 -> N1, S2 -> N2, S3 and S4 -> N3, REM -> R, Wake -> W. Files that use the
same names are compared as they are (two R&K scorings keep S3 and S4 apart).
Artifact states (Art, Artifact, MT, Movement time ...) and unscored ones
(?, Unscored ...) are never stages: see :data:`.sleep_stats.ARTIFACT_NAMES`
and :data:`.sleep_stats.UNSCORED_NAMES`.

What is compared
----------------
An epoch that is artifact or unscored in *any* file is left out of every
number below (and counted, per file); all numbers are over the same epochs.

* **accuracy**: the fraction of compared epochs on which every file has the
  same state;
* **kappa**: Cohen's for two files, Fleiss' for three or more (chance
  agreement from the pooled state frequencies);
* each other file against the **first as reference**: its own accuracy and
  Cohen's kappa, the confusion matrix (rows: the first file's states,
  columns: the other's), and per state precision (of the other file's
  epochs of that state, the fraction the first agrees with), recall (of the
  first file's epochs of that state, the fraction the other found) and F1;
  undefined values (0/0) are NaN;
* **disagreements**: runs of consecutive compared epochs on which the files
  differ, a run ending where any file's state changes.

Each kappa and matrix is a few lines of numpy; the tests check them against
scikit-learn.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from loupe_tui.core.labels.sleep_stats import ARTIFACT, UNSCORED, best_style, excluded_kind
from loupe_tui.core.session import Session
from loupe_tui.errors import LoupeConfigError

#: Epoch codes that are not a state.
UNSCORED_CODE = -1
ARTIFACT_CODE = -2
#: More epochs than this is a mistaken epoch length, not a recording.
MAX_EPOCHS = 20_000_000


@dataclass(frozen=True)
class EpochGrid:
    """Per-epoch states of several files on one grid.

    Attributes
    ----------
    files : the files' names, as reports show them
    t0, epoch_s : epoch ``k`` is ``[t0 + k * epoch_s, t0 + (k + 1) * epoch_s)``
    states : the states compared (stages first, in their usual order)
    codes : ``(n_files, n_epochs)`` int array: an index into ``states``,
        :data:`UNSCORED_CODE` or :data:`ARTIFACT_CODE`
    renamed : per file, each state name read as another name (``{"S4": "N3"}``)
    excluded : per file, its state names that are artifact or unscored
    """

    files: tuple[str, ...]
    t0: float
    epoch_s: float
    states: tuple[str, ...]
    codes: np.ndarray
    renamed: tuple[dict[str, str], ...]
    excluded: tuple[dict[str, str], ...]

    @property
    def n_epochs(self) -> int:
        return self.codes.shape[1]

    def state_of(self, code: int) -> str:
        return ARTIFACT if code == ARTIFACT_CODE else UNSCORED if code == UNSCORED_CODE else self.states[code]


def epoch_grid(label_sets: Sequence, files: Sequence[str], epoch_s: float | None = None) -> EpochGrid:
    """The files' states on one epoch grid (see the module doc).

    Parameters
    ----------
    label_sets : IntervalLabelSet, one per file
    files : their names, for reports and messages
    epoch_s : the epoch length; None takes it from the files

    Raises
    ------
    LoupeConfigError
        A file has no labels, the epoch length is not a positive number, or
        it cannot be told from the files.
    """
    for labels, name in zip(label_sets, files, strict=True):
        if not len(labels.starts):
            raise LoupeConfigError(f"{name}: no labels to compare")
    names = [[ls.label_names[c] for c in ls.codes.tolist()] for ls in label_sets]
    renames = _common_names(names)
    states = _state_order([[renames[f].get(n, n) for n in file_names] for f, file_names in enumerate(names)])
    t0 = min(float(ls.starts[0]) for ls in label_sets)
    t_end = max(float(ls.ends[-1]) for ls in label_sets)
    if epoch_s is None:
        epoch_s = Session.guess_epoch_len(np.concatenate([ls.starts for ls in label_sets]),
                                          np.concatenate([ls.ends for ls in label_sets]), t0, default=math.nan)
        if math.isnan(epoch_s):
            raise LoupeConfigError(f"cannot tell the scoring epoch of {', '.join(files)}: their label boundaries "
                                   "fit no grid of 30, 20, 10, 5, 4, 2 or 1 s; give it (--epoch SECONDS)")
    if isinstance(epoch_s, bool) or not isinstance(epoch_s, numbers.Real) or not (math.isfinite(epoch_s)
                                                                               and epoch_s > 0):
        raise LoupeConfigError(f"epoch length {epoch_s!r}: must be a positive number of seconds")
    n_epochs = max(1, math.ceil((t_end - t0) / epoch_s - 1e-9))
    if n_epochs > MAX_EPOCHS:
        raise LoupeConfigError(f"epoch length {epoch_s:g} s cuts {n_epochs:,} epochs; give a longer one")
    edges = t0 + epoch_s * np.arange(n_epochs + 1)
    codes = np.stack([_epoch_codes(ls, names[f], renames[f], states, edges, epoch_s)
                      for f, ls in enumerate(label_sets)])
    excluded = tuple({name: kind for name in dict.fromkeys(file_names) if (kind := excluded_kind(name))}
                     for file_names in names)
    renamed = tuple({a: b for a, b in sorted(r.items(), key=lambda ab: (states.index(ab[1]), ab[0])) if a != b}
                    for r in renames)
    return EpochGrid(tuple(files), t0, float(epoch_s), states, codes, renamed, excluded)


def _common_names(names: list[list[str]]) -> list[dict[str, str]]:
    """Per file, name -> the name it is compared as: itself when all files use the same names."""
    vocabularies = [{n for n in file_names if excluded_kind(n) is None} for file_names in names]
    if all(v == vocabularies[0] for v in vocabularies):
        return [{} for _ in names]
    style, _ = best_style(set().union(*vocabularies))
    if style is None:
        return [{} for _ in names]
    return [{n: style.canonical(n) for n in v} for v in vocabularies]


def _state_order(names: list[list[str]]) -> tuple[str, ...]:
    """The stages in their style's order, then any other state in order of first use."""
    used = list(dict.fromkeys(n for file_names in names for n in file_names if excluded_kind(n) is None))
    style, _ = best_style(used)
    known = [s for s in style.stages if s in used] if style is not None else []
    return tuple(known + [n for n in used if n not in known])


def _epoch_codes(labels, names: list[str], renamed: dict[str, str], states: tuple[str, ...],
                 edges: np.ndarray, epoch_s: float) -> np.ndarray:
    """One file's state per epoch: the candidate covering most of it (see the module doc)."""
    starts, ends = np.asarray(labels.starts, float), np.asarray(labels.ends, float)
    index = {s: k for k, s in enumerate(states)}
    by_name = {n: len(states) if (kind := excluded_kind(n)) == ARTIFACT else -1 if kind == UNSCORED
               else index[renamed.get(n, n)] for n in set(names)}
    column = np.array([by_name[n] for n in names], dtype=np.int64)
    cover = epoch_cover(starts, ends, column, len(states) + 1, edges)   # states..., artifact, unlabelled
    best, tie = majority(cover, epoch_s)
    codes = np.where(best == len(states), ARTIFACT_CODE, best)
    return np.where(tie | (best == len(states) + 1), UNSCORED_CODE, codes)


def epoch_cover(starts: np.ndarray, ends: np.ndarray, column: np.ndarray, n_columns: int,
                edges: np.ndarray) -> np.ndarray:
    """How long each candidate covers each epoch: ``(n_epochs, n_columns + 1)`` seconds.

    ``[starts[i], ends[i])`` (sorted, disjoint) counts for candidate ``column[i]`` (-1: for none);
    epoch ``k`` is ``[edges[k], edges[k + 1])``; the last column is the time no candidate covers.
    Shared by ``labels compare`` and the suggestions' training targets (one rule for both).
    """
    starts, ends = np.asarray(starts, float), np.asarray(ends, float)
    column = np.asarray(column, np.int64)
    cover = np.zeros((len(edges) - 1, n_columns + 1))
    for c in range(n_columns):
        mine = column == c
        if mine.any():
            cover[:, c] = np.diff(_covered_before(starts[mine], ends[mine], edges))
    cover[:, -1] = np.diff(edges) - cover[:, :-1].sum(axis=1)
    return cover


def majority(cover: np.ndarray, epoch_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Per epoch, the column covering most of it and whether two columns tie for that."""
    best = np.argmax(cover, axis=1)
    if cover.shape[1] < 2:
        return best, np.zeros(len(best), bool)
    top2 = np.sort(cover, axis=1)[:, -2:]
    return best, top2[:, 1] - top2[:, 0] <= 1e-6 * epoch_s


def _covered_before(starts: np.ndarray, ends: np.ndarray, t: np.ndarray) -> np.ndarray:
    """For each time in ``t``: how long sorted, disjoint ``[starts, ends)`` cover before it."""
    lengths = ends - starts
    before = np.concatenate(([0.0], np.cumsum(lengths)))
    j = np.searchsorted(starts, t, side="right")               # intervals starting at or before t
    last = np.maximum(j - 1, 0)
    partial = np.clip(t - starts[last], 0.0, lengths[last])
    return np.where(j > 0, before[last] + partial, 0.0)


def confusion_matrix(reference: np.ndarray, other: np.ndarray, n_states: int) -> np.ndarray:
    """Counts: row = the reference's state, column = the other's."""
    return np.bincount(reference * n_states + other, minlength=n_states * n_states).reshape(n_states, n_states)


def cohen_kappa(confusion: np.ndarray) -> float:
    """Cohen's kappa of a confusion matrix; NaN when chance agreement is 1 (or no epochs)."""
    cm = np.asarray(confusion, float)
    n = cm.sum()
    if n == 0:
        return math.nan
    observed = np.trace(cm) / n
    chance = float(cm.sum(axis=1) @ cm.sum(axis=0)) / n ** 2
    return (observed - chance) / (1 - chance) if chance < 1 else math.nan


def fleiss_kappa(counts: np.ndarray) -> float:
    """Fleiss' kappa of ``counts[subject, category]``: how many raters put each subject in each
    category (every subject rated by the same number of raters, at least two)."""
    counts = np.asarray(counts, float)
    n_subjects = counts.shape[0]
    raters = counts.sum(axis=1)
    if n_subjects == 0 or raters[0] < 2 or np.any(raters != raters[0]):
        return math.nan
    r = raters[0]
    per_subject = ((counts ** 2).sum(axis=1) - r) / (r * (r - 1))
    share = counts.sum(axis=0) / (n_subjects * r)
    chance = float((share ** 2).sum())
    return (float(per_subject.mean()) - chance) / (1 - chance) if chance < 1 else math.nan


@dataclass(frozen=True)
class PairAgreement:
    """One file against a reference, over the compared epochs.

    ``confusion[i, j]``: epochs the reference scored ``states[i]`` and the other ``states[j]``.
    """

    reference: str
    other: str
    states: tuple[str, ...]
    confusion: np.ndarray

    @property
    def n(self) -> int:
        return int(self.confusion.sum())

    @property
    def accuracy(self) -> float:
        return float(np.trace(self.confusion)) / self.n if self.n else math.nan

    @property
    def kappa(self) -> float:
        return cohen_kappa(self.confusion)

    @property
    def support(self) -> np.ndarray:
        """Epochs of each state in the reference."""
        return self.confusion.sum(axis=1)

    @property
    def precision(self) -> np.ndarray:
        return _ratio(np.diag(self.confusion), self.confusion.sum(axis=0))

    @property
    def recall(self) -> np.ndarray:
        return _ratio(np.diag(self.confusion), self.support)

    @property
    def f1(self) -> np.ndarray:
        tp = np.diag(self.confusion)
        return _ratio(2 * tp, self.confusion.sum(axis=0) + self.support)

    @property
    def row_percent(self) -> np.ndarray:
        """The confusion matrix as % of each row (the reference's epochs of that state)."""
        return 100 * _ratio(self.confusion, self.support[:, None])


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.divide(a, b, out=np.full(np.broadcast(a, b).shape, np.nan), where=b > 0)


@dataclass(frozen=True)
class Disagreement:
    """A run of consecutive compared epochs on which the files differ, each with one state."""

    start: float
    end: float
    n_epochs: int
    states: tuple[str, ...]


@dataclass(frozen=True)
class Agreement:
    """Everything :func:`compare` measured (definitions: the module doc).

    Attributes
    ----------
    grid : the files' states per epoch
    compared : bool per epoch: no file has it artifact or unscored
    pairs : each other file against the first
    disagreements : runs of disagreeing epochs, in time order
    """

    grid: EpochGrid
    compared: np.ndarray
    accuracy: float
    kappa: float
    pairs: tuple[PairAgreement, ...]
    disagreements: tuple[Disagreement, ...]

    @property
    def kappa_name(self) -> str:
        return "Cohen's kappa" if len(self.grid.files) == 2 else "Fleiss' kappa"

    @property
    def n_compared(self) -> int:
        return int(self.compared.sum())

    def epochs_per_state(self) -> np.ndarray:
        """``(n_files, n_states + 2)`` epoch counts: each state, then artifact, then unscored."""
        k = len(self.grid.states)
        codes = np.where(self.grid.codes == ARTIFACT_CODE, k, np.where(self.grid.codes == UNSCORED_CODE, k + 1,
                                                                       self.grid.codes))
        return np.stack([np.bincount(row, minlength=k + 2) for row in codes])


def compare(label_sets: Sequence, files: Sequence[str], epoch_s: float | None = None) -> Agreement:
    """Agreement of two or more scorings of one recording (see the module doc).

    Parameters
    ----------
    label_sets : IntervalLabelSet, one per file; the first is the reference
    files : their names, for reports and messages
    epoch_s : the epoch length; None takes it from the files
    """
    if len(label_sets) < 2:
        raise LoupeConfigError("compare needs two or more label files")
    grid = epoch_grid(label_sets, files, epoch_s)
    codes, k = grid.codes, len(grid.states)
    compared = np.all(codes >= 0, axis=0)
    kept = codes[:, compared]
    same = np.all(kept == kept[:1], axis=0)
    pairs = tuple(PairAgreement(grid.files[0], grid.files[f], grid.states, confusion_matrix(kept[0], kept[f], k))
                  for f in range(1, len(files)))
    if len(files) == 2:
        kappa = pairs[0].kappa
    else:
        kappa = fleiss_kappa(np.stack([np.bincount(col, minlength=k) for col in kept.T]) if kept.size
                             else np.zeros((0, k)))
    return Agreement(grid, compared, float(same.mean()) if same.size else math.nan, kappa, pairs,
                     _disagreements(grid, compared))


def _disagreements(grid: EpochGrid, compared: np.ndarray) -> tuple[Disagreement, ...]:
    codes = grid.codes
    differ = compared & np.any(codes != codes[:1], axis=0)
    idx = np.flatnonzero(differ)
    if not len(idx):
        return ()
    # A run breaks at a skipped epoch or where any file's state changes.
    breaks = (np.diff(idx) > 1) | np.any(np.diff(codes[:, idx], axis=1) != 0, axis=0)
    firsts = np.concatenate(([0], np.flatnonzero(breaks) + 1))
    lasts = np.concatenate((firsts[1:] - 1, [len(idx) - 1]))
    e = grid.epoch_s
    return tuple(Disagreement(grid.t0 + idx[a] * e, grid.t0 + (idx[b] + 1) * e, int(b - a + 1),
                              tuple(grid.states[c] for c in codes[:, idx[a]].tolist()))
                 for a, b in zip(firsts.tolist(), lasts.tolist()))
