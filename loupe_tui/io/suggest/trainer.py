"""Retraining in the background while the person scores.

One daemon thread per recording, at a lower priority (niceness +10 for that
thread only, on Linux), fed with "the labels changed" notifications:

* :meth:`SuggestionTrainer.submit` takes a :class:`LabelSnapshot` (copies of
  the label arrays, made by the caller in well under a millisecond) and
  returns at once; it never waits for a training.
* Submissions are debounced and coalesced: the thread starts ``debounce_s``
  (1 s) after the last one and uses only the newest. A run of key presses
  costs one training; a run that never pauses (a key held down) still gets
  one every ``MAX_WAIT_S`` (5 s). ``submit(..., now=True)`` skips the wait
  (opening a recording).
* Labels whose per-epoch targets did not change (a note, an undo back to what
  was trained on) do not retrain.
* A result is published even if newer labels arrived during its training (it
  is the best there is until the next one, which follows).
* With a sidecar file, fresh suggestions are read from it instead of trained
  (opening a recording scored in an earlier session), and new ones are written
  to it (:mod:`loupe_tui.io.suggest.sidecar`).
* Each result is published through ``on_suggestions(Suggestions)``; problems
  (not enough scored epochs, a sidecar that cannot be written) through
  ``on_problem(message)``. **Both are called on the trainer's thread**: a UI
  hands them to its own thread (Textual: ``app.call_from_thread``).
* :meth:`close` stops the thread: a training under way finishes in the
  background (scikit-learn cannot be interrupted) but publishes nothing.
* ``process=True`` (what the app asks for): the fitting itself runs in a child
  process of its own (:class:`FitProcess`, started with ``spawn``, niceness
  +10, fed the features once and the targets of each training), so that no
  part of it holds the UI's interpreter lock: keys pressed while it trains
  wait for nothing. The thread only waits for its answers. Closing the
  trainer ends the process (a training under way is stopped).
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np

from loupe_tui.errors import LoupeError, one_line
from loupe_tui.io.suggest.features import EpochFeatures
from loupe_tui.io.suggest.model import Suggestions
from loupe_tui.io.suggest.sidecar import suggestions_for
from loupe_tui.io.suggest.targets import EpochTargets, epoch_targets

#: Seconds after the last submission before training starts.
DEBOUNCE_S = 1.0
#: Longest wait from the first of a run of submissions to its training.
MAX_WAIT_S = 5.0
#: Niceness added to the trainer thread (Linux: that thread only).
NICENESS = 10


@dataclass(frozen=True, eq=False)
class LabelSnapshot:
    """The labels' intervals at one moment, copied so another thread may read them."""

    starts: np.ndarray
    ends: np.ndarray
    codes: np.ndarray
    names: tuple[str, ...]

    @classmethod
    def of(cls, labels) -> LabelSnapshot:
        """Copy an ``IntervalLabelSet``'s arrays (0.01 ms at 10k intervals)."""
        return cls(np.array(labels.starts), np.array(labels.ends), np.array(labels.codes),
                   tuple(labels.label_names))

    def targets(self, features: EpochFeatures, states=None) -> EpochTargets:
        return epoch_targets(self.starts, self.ends, self.codes, self.names, features.first, features.step_s,
                             features.n_epochs, states)


class SuggestionTrainer:
    """Trains the suggestion model on a background thread; see the module docstring.

    Parameters
    ----------
    features : EpochFeatures
        The recording's features (computed once; they do not change with the labels).
    on_suggestions : callable(Suggestions)
        Called on the trainer's thread with every new result.
    on_problem : callable(str), optional
        Called on the trainer's thread with one line when there is nothing to publish (not
        enough scored epochs) or the sidecar could not be written.
    states : sequence of str, optional
        The states to suggest (e.g. the keymap's); default those the labels use.
    extra : list of (EpochFeatures, EpochTargets)
        Other scored recordings to train on as well.
    sidecar : path, optional
        Where suggestions are kept between sessions (:func:`~loupe_tui.io.suggest.sidecar.sidecar_path`).
    debounce_s : float
    """

    def __init__(self, features: EpochFeatures, on_suggestions: Callable[[Suggestions], None],
                 on_problem: Callable[[str], None] | None = None, *, states=None, extra=(),
                 sidecar: str | Path | None = None, debounce_s: float = DEBOUNCE_S, process: bool = False):
        self._features, self._extra = features, list(extra)
        self._process: FitProcess | None = FitProcess(features, self._extra, sidecar) if process else None
        self._states = None if states is None else tuple(states)
        self._sidecar = None if sidecar is None else Path(sidecar)
        self._on_suggestions, self._on_problem = on_suggestions, on_problem
        self._debounce = float(debounce_s)
        self._cv = threading.Condition()
        self._pending: LabelSnapshot | None = None
        self._due = 0.0
        self._since = 0.0            # when the oldest submission not yet trained on arrived
        self._urgent = False         # it asked for no debounce (now=True)
        self._stopped = False
        self._last_hash: str | None = None
        self.trainings = 0          # models trained (not read from the sidecar): for tests and the status line
        self.busy = False           # a snapshot is being trained on now (for benchmarks and tests)
        self._thread = threading.Thread(target=self._run, name="suggestion-trainer", daemon=True)
        self._thread.start()

    def submit(self, snapshot: LabelSnapshot, now: bool = False) -> None:
        """The labels changed: retrain ``debounce_s`` after the last submission (at once with
        ``now``), on the newest snapshot. Returns immediately."""
        with self._cv:
            if self._stopped:
                return
            t = time.monotonic()
            if self._pending is None:
                self._since, self._urgent = t, False
            self._pending = snapshot
            self._urgent = self._urgent or now       # a later edit does not delay an urgent run
            self._due = self._since if self._urgent else min(t + self._debounce,
                                                                     self._since + max(MAX_WAIT_S, self._debounce))
            self._cv.notify()

    def close(self, timeout: float = 1.0) -> None:
        """Stop: nothing is published after this returns. Waits up to ``timeout`` s for the thread
        (a training under way is left to finish on its own, the thread is a daemon; with
        ``process=True`` its process is ended at once)."""
        with self._cv:
            self._stopped = True
            self._pending = None
            self._cv.notify()
        if self._process is not None:
            self._process.close()        # a fit under way ends here; the thread's wait for it fails
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def closed(self) -> bool:
        return self._stopped

    def _next(self) -> LabelSnapshot | None:
        """Wait for a submission and its debounce; None once stopped."""
        with self._cv:
            while not self._stopped:
                if self._pending is None:
                    self._cv.wait()
                    continue
                wait = self._due - time.monotonic()
                if wait > 0:
                    self._cv.wait(wait)
                    continue
                snapshot, self._pending = self._pending, None
                return snapshot
            return None

    def _run(self) -> None:
        _lower_this_threads_priority()
        while (snapshot := self._next()) is not None:
            self.busy = True
            try:
                self._once(snapshot)
            except Exception as exc:  # noqa: BLE001 - the thread must survive anything; the UI hears of it
                self._problem(f"suggestions: {type(exc).__name__}: {one_line(exc)}")
            finally:
                self.busy = False

    def _once(self, snapshot: LabelSnapshot) -> None:
        if self._process is not None:        # the targets too are computed there, off this interpreter
            digest, outcome = self._process.fit_labels(snapshot, self._states, self._last_hash)
        else:
            digest, outcome = self._fit_here(snapshot)
        if outcome is None:                  # the targets are those last trained on
            return
        made, problem = outcome
        self._last_hash = digest
        if isinstance(made, LoupeError):     # NotEnoughLabels, mismatched features
            self._problem(str(made))
            return
        self.trainings += 0 if made.from_sidecar else 1
        if self._stopped:
            return
        self._on_suggestions(made)
        if problem is not None:
            self._problem(f"suggestions not kept for the next session: {problem}")

    def _fit_here(self, snapshot: LabelSnapshot) -> tuple[str, tuple | None]:
        """What :meth:`FitProcess.fit_labels` answers, computed on this thread."""
        targets = snapshot.targets(self._features, self._states)
        digest = targets.content_hash()
        if digest == self._last_hash:
            return digest, None
        try:
            return digest, suggestions_for(self._features, targets, self._sidecar, self._extra)
        except LoupeError as exc:
            return digest, (exc, None)

    def _problem(self, message: str) -> None:
        if self._on_problem is not None and not self._stopped:
            self._on_problem(message)


class FitProcess:
    """:func:`~loupe_tui.io.suggest.sidecar.suggestions_for` in a child process of its own.

    The child is started with ``spawn`` (the parent has threads: a fork would copy their
    locks) at niceness +:data:`NICENESS`, given the features, the other recordings and the
    sidecar once, then the targets of each training over a pipe. The first answer waits for
    the child to import scikit-learn (a second or two). :meth:`fit` is called from one thread
    at a time (the trainer's).
    """

    def __init__(self, features: EpochFeatures, extra: list, sidecar: str | Path | None):
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_fit_loop, args=(child, features, extra, sidecar), daemon=True,
                                 name="suggestion-fit")
        real = sys.stdout, sys.stderr
        try:       # a UI that captures them (Textual) has no file descriptor behind them: spawn needs one
            sys.stdout, sys.stderr = sys.__stdout__ or real[0], sys.__stderr__ or real[1]
            self._proc.start()
        finally:
            sys.stdout, sys.stderr = real
        child.close()
        self._closed = False

    def fit_labels(self, snapshot: LabelSnapshot, states, last_hash: str | None):
        """``(digest, outcome)`` for the labels of ``snapshot``: their targets' content hash, and
        None when it is ``last_hash`` (nothing to train), else ``(Suggestions or LoupeError,
        problem)``; all of it computed by the child."""
        kind, value, problem, digest = self._ask((snapshot, states, last_hash))
        if kind == "same":
            return digest, None
        if kind == "loupe":
            return digest, (LoupeError(value), None)
        return digest, (_suggestions_from(value), problem)

    def _ask(self, request: tuple) -> tuple:
        if self._closed or not self._proc.is_alive():
            raise RuntimeError("the suggestions' fitting process has stopped")
        try:
            self._conn.send(request)
            answer = self._conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            raise RuntimeError("the suggestions' fitting process has stopped") from None
        if answer[0] == "error":
            raise RuntimeError(answer[1])
        return answer

    def close(self) -> None:
        """End the child at once (a training under way is stopped: its result would be thrown away)."""
        if self._closed:
            return
        self._closed = True
        if self._proc.is_alive():
            self._proc.terminate()
        self._proc.join(timeout=1.0)
        self._conn.close()


def _fit_loop(conn, features: EpochFeatures, extra: list, sidecar) -> None:
    """The child: lower its priority, then answer each targets with suggestions (or a problem)."""
    try:
        os.nice(NICENESS)
    except OSError:
        pass
    devnull = os.open(os.devnull, os.O_WRONLY)      # nothing it might print may reach the UI's terminal
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        digest = None
        try:
            snapshot, states, last_hash = request
            targets = snapshot.targets(features, states)
            digest = targets.content_hash()
            if digest == last_hash:
                conn.send(("same", None, None, digest))
                continue
            made, problem = suggestions_for(features, targets, sidecar, extra)
            conn.send(("ok", _suggestions_fields(made), problem, digest))
        except LoupeError as exc:
            conn.send(("loupe", str(exc), None, digest))
        except Exception as exc:  # noqa: BLE001 - said to the parent, which reports it in one line
            conn.send(("error", f"{type(exc).__name__}: {one_line(exc)}", None, digest))


def _suggestions_fields(made: Suggestions) -> dict:
    """``made`` as plain picklable fields (a MappingProxyType cannot be pickled)."""
    fields = {f.name: getattr(made, f.name) for f in dataclasses.fields(made)}
    fields["train_counts"] = dict(made.train_counts)
    return fields


def _suggestions_from(fields: dict) -> Suggestions:
    fields = dict(fields, train_counts=MappingProxyType(fields["train_counts"]))
    for name in ("codes", "confidence"):
        fields[name].flags.writeable = False
    return Suggestions(**fields)


def _lower_this_threads_priority() -> None:
    """Niceness +``NICENESS`` for the calling thread only. Linux only: there a thread's native
    id is its own scheduling entity; elsewhere the same call would renice a whole process (or
    another one with that number), so nothing is done."""
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(),
                           os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) + NICENESS)
        except OSError:   # a sandbox that forbids it: run at the normal priority
            pass


__all__ = ["DEBOUNCE_S", "FitProcess", "LabelSnapshot", "SuggestionTrainer"]
