"""Interval labels -> one training target per epoch, and a hash of what was scored.

Epoch ``k`` is ``[first + k * step, first + (k + 1) * step)``, the spectral
cache's grid. Its target is the label that covers most of it, unlabelled time
counting as one more candidate (the rule of ``labels compare``,
:mod:`loupe_tui.core.labels.agreement`): an epoch that is mostly unlabelled,
or on which two candidates tie, has no target (-1) and is neither trained on
nor counted. An epoch whose majority label is not among ``states`` (an
artifact state the model is not asked to suggest) has no target either.

The coverage and the majority are ``core/labels/agreement``'s (``epoch_cover``,
``majority``): one rule for ``labels compare`` and the suggestions, here on the
recording's grid.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from loupe_tui.core.labels.agreement import epoch_cover, majority

@dataclass(frozen=True, eq=False)
class EpochTargets:
    """One state code per epoch (-1: no target).

    Attributes
    ----------
    codes : ndarray of int16
        ``states[codes[k]]`` is epoch ``k``'s target; -1 where it has none. Read-only.
    states : tuple of str
        The states the model may suggest, in code order.
    """

    codes: np.ndarray
    states: tuple[str, ...]

    @property
    def scored(self) -> np.ndarray:
        """Boolean mask of the epochs that have a target."""
        return self.codes >= 0

    def counts(self) -> dict[str, int]:
        """Scored epochs per state (every state of ``states``, zeros included)."""
        n = np.bincount(self.codes[self.codes >= 0], minlength=len(self.states))
        return {s: int(c) for s, c in zip(self.states, n)}

    def content_hash(self) -> str:
        """A digest of exactly what a model trains on: the states and every epoch's target.

        Edits that change no epoch's target (a note, a boundary moved inside an
        epoch without changing its majority) leave it unchanged.
        """
        h = hashlib.blake2b(digest_size=16)
        h.update("\0".join(self.states).encode())
        h.update(b"\0\0")
        h.update(np.ascontiguousarray(self.codes, np.int16).tobytes())
        return h.hexdigest()


def epoch_targets(starts: np.ndarray, ends: np.ndarray, codes: np.ndarray, names, first: float, step: float,
                  n_epochs: int, states=None) -> EpochTargets:
    """The state covering most of each epoch of the grid.

    Parameters
    ----------
    starts, ends, codes : arrays
        The labels' intervals (``IntervalLabelSet.starts``, ``.ends``, ``.codes``): sorted,
        non-overlapping, ``names[codes[i]]`` the label of interval ``i``.
    names : sequence of str
        ``IntervalLabelSet.label_names``.
    first, step : float
        The grid: epoch ``k`` is ``[first + k * step, first + (k + 1) * step)``.
    n_epochs : int
    states : sequence of str, optional
        The states to keep as targets, in this order (e.g. a keymap's states).
        Default: every label that covers an epoch, in order of first appearance.

    Returns
    -------
    EpochTargets
    """
    names = [str(n) for n in names]
    n_epochs = int(n_epochs)
    edges = first + step * np.arange(n_epochs + 1, dtype=np.float64)
    cover = epoch_cover(starts, ends, codes, len(names), edges)      # names..., unlabelled
    best, tie = majority(cover, step)
    labelled = (best < len(names)) & ~tie
    if states is None:
        order = best[labelled]
        _, first_at = np.unique(order, return_index=True)
        states = tuple(names[i] for i in order[np.sort(first_at)]) if len(order) else ()
    states = tuple(str(s) for s in states)
    to_target = np.full(cover.shape[1], -1, np.int16)
    for i, name in enumerate(names):
        if name in states:
            to_target[i] = states.index(name)
    out = np.where(labelled, to_target[best], -1).astype(np.int16)
    out.flags.writeable = False
    return EpochTargets(out, states)


def targets_of(labels, first: float, step: float, n_epochs: int, states=None) -> EpochTargets:
    """:func:`epoch_targets` of an ``IntervalLabelSet`` (or any object with ``starts``,
    ``ends``, ``codes`` and ``label_names``)."""
    return epoch_targets(labels.starts, labels.ends, labels.codes, labels.label_names, first, step, n_epochs,
                         states)


__all__ = ["EpochTargets", "epoch_targets", "targets_of"]
