"""The hidden Wake/NREM/REM schedule that drives every demo signal.

A semi-Markov model of a mouse hypnogram in 4 s epochs, starting at lights-on
(ZT0): the light phase (first 12 h of each day) is mostly sleep in NREM bouts
of minutes broken by brief awakenings, with short REM bouts that only follow
NREM; the dark phase is mostly long wake. The result is saved beside the data
as the truth (``truth_hypnogram.csv``) so tests and scorers can be checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

EPOCH_S = 4.0
STATES = ("Wake", "NREM", "REM")
WAKE, NREM, REM = 0, 1, 2
LIGHT_PHASE_S = 12 * 3600.0

# The first minutes are fixed (awake at lights-on, falls asleep, one REM bout,
# wakes) so that even a few-minute demo, as the tests build, shows all three
# states. Lengths in epochs.
OPENING = ((WAKE, 12), (NREM, 38), (REM, 20), (WAKE, 6))


@dataclass(frozen=True)
class Hypnogram:
    """One state per epoch.

    Attributes
    ----------
    states : ndarray of int8
        ``WAKE``, ``NREM`` or ``REM`` per epoch.
    epoch_s : float
        Epoch length in seconds; epoch ``i`` is ``[i * epoch_s, (i + 1) * epoch_s)``.
    """

    states: np.ndarray
    epoch_s: float = EPOCH_S

    @property
    def n_epochs(self) -> int:
        return int(self.states.size)

    @property
    def duration_s(self) -> float:
        return self.n_epochs * self.epoch_s

    def state_at(self, t: np.ndarray | float) -> np.ndarray:
        """State at time(s) ``t`` in seconds (clipped to the recording)."""
        idx = np.floor(np.asarray(t, dtype=np.float64) / self.epoch_s).astype(np.int64)
        return self.states[np.clip(idx, 0, self.n_epochs - 1)]

    def bouts(self) -> list[tuple[float, float, str]]:
        """Runs of equal state as ``(start_s, end_s, label)``, half-open."""
        return states_to_bouts(self.states, self.epoch_s)

    def fractions(self, t0: float = 0.0, t1: float | None = None) -> dict[str, float]:
        """Fraction of epochs in each state within ``[t0, t1)`` seconds."""
        i0 = int(t0 // self.epoch_s)
        i1 = self.n_epochs if t1 is None else int(t1 // self.epoch_s)
        part = self.states[i0:i1]
        return {name: float(np.mean(part == k)) if part.size else 0.0 for k, name in enumerate(STATES)}


def states_to_bouts(states: np.ndarray, epoch_s: float = EPOCH_S) -> list[tuple[float, float, str]]:
    """Merge consecutive equal epochs into ``(start_s, end_s, label)`` bouts."""
    states = np.asarray(states)
    if states.size == 0:
        return []
    change = np.flatnonzero(np.diff(states)) + 1
    starts = np.concatenate(([0], change))
    ends = np.concatenate((change, [states.size]))
    return [(s * epoch_s, e * epoch_s, STATES[int(states[s])]) for s, e in zip(starts, ends)]


def _lognormal_epochs(rng: np.random.Generator, median_s: float, sigma: float, lo_s: float, hi_s: float) -> int:
    seconds = float(np.clip(median_s * np.exp(sigma * rng.standard_normal()), lo_s, hi_s))
    return max(1, int(round(seconds / EPOCH_S)))


def _next_bout(rng: np.random.Generator, prev: int, light: bool) -> tuple[int, int]:
    """Pick the state and length (epochs) of the bout that follows ``prev``.

    Numbers are rough mouse values (C57BL/6): in the light phase ~65 % sleep,
    NREM bouts of a few minutes, REM ~6-8 % of sleep in 1-2 min bouts, many
    brief (<20 s) awakenings; in the dark phase long wake bouts dominate.
    """
    if prev == NREM:
        p_rem = 0.35 if light else 0.25
        state = REM if rng.random() < p_rem else WAKE
    elif prev == REM:
        # Mice nearly always wake (often briefly) after REM.
        state = WAKE if rng.random() < 0.9 else NREM
    else:
        state = NREM  # REM never follows wake
    if state == NREM:
        n = _lognormal_epochs(rng, 200.0 if light else 150.0, 0.6, 20.0, 1500.0)
    elif state == REM:
        n = _lognormal_epochs(rng, 72.0, 0.35, 20.0, 240.0)
    else:
        brief = rng.random() < (0.55 if light else 0.35)
        if brief:
            n = int(rng.integers(1, 5))  # brief awakening, 4-16 s
        elif light:
            n = _lognormal_epochs(rng, 120.0, 1.2, 20.0, 1800.0)
        else:
            n = _lognormal_epochs(rng, 500.0, 0.9, 60.0, 7200.0)
    return state, n


def make_schedule(hours: float, seed: int) -> Hypnogram:
    """Draw a deterministic hypnogram of ``hours`` starting at lights-on.

    Parameters
    ----------
    hours : float
        Recording length; the number of epochs is ``round(hours * 900)``.
    seed : int
        Seed of the schedule's own random stream.

    Returns
    -------
    Hypnogram
    """
    n_epochs = max(1, int(round(hours * 3600.0 / EPOCH_S)))
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    states = np.empty(n_epochs, dtype=np.int8)
    pos = 0
    prev = WAKE
    for state, n in OPENING:
        take = min(n, n_epochs - pos)
        states[pos : pos + take] = state
        pos += take
        prev = state
    while pos < n_epochs:
        light = (pos * EPOCH_S) % (2 * LIGHT_PHASE_S) < LIGHT_PHASE_S
        state, n = _next_bout(rng, prev, light)
        take = min(n, n_epochs - pos)
        states[pos : pos + take] = state
        pos += take
        prev = state
    return Hypnogram(states)


def write_bouts_csv(path: str | Path, bouts: list[tuple[float, float, str]],
                    notes: dict[int, str] | None = None) -> None:
    """Write bouts in the legacy label schema ``start_s,end_s,label,note``.

    ``notes`` maps a bout index to its note; other notes are empty.
    """
    notes = notes or {}
    lines = ["start_s,end_s,label,note"]
    for i, (start, end, label) in enumerate(bouts):
        note = notes.get(i, "")
        if any(c in note for c in ',"\n'):
            note = '"' + note.replace('"', '""') + '"'
        lines.append(f"{start:.1f},{end:.1f},{label},{note}")
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
