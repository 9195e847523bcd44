"""The suggestion model: a gradient-boosted tree classifier trained on the scored epochs.

scikit-learn's ``HistGradientBoostingClassifier``: it bins each feature into
at most 255 levels once, so training on thousands of epochs takes well under
a second on one thread, and it takes missing values (a neighbour outside the
recording) as they are.

Hyper-parameters (:data:`PARAMS`), measured on the 24 h demo with
``bench/bench_suggest.py`` (numbers in ``docs/suggestions.md``):

* ``max_iter=100`` boosting rounds, ``learning_rate=0.1`` (scikit-learn's
  defaults), ``max_leaf_nodes=15`` (default 31): three states and 35
  features need no deeper trees; 15 leaves fitted 21,600 epochs in 0.78 s
  instead of 1.0 s with the same kappa.
* ``early_stopping=False``: early stopping would hold out 10 % of the scored
  epochs as a validation set and make the time depend on the data; a fixed
  100 rounds is predictable.
* no ``class_weight``: ``"balanced"`` made fitting 3-6x slower (5.1 s against
  0.9 s for 21,600 epochs, over the 2 s budget) and was no better on any
  split measured, though REM is only 6 % of the epochs (kappa 0.9949 against
  0.9964 after the first 1 %; within 0.001 elsewhere).
* ``random_state=0``: the same labels give the same suggestions.

At most :data:`MAX_TRAIN` (10,000) epochs are trained on: with more scored
(a fully scored 24 h mouse recording has 21,600; other recordings add
theirs), a random 10,000 of them (seeded: the same labels pick the same
ones). Fitting costs about 0.35 s plus 0.03 s per thousand epochs (0.57 s
at 10,000, 0.97 s at 21,600, 2.3 s at 60,000), so this bounds a retraining
however much is scored and however many recordings are added, with no loss
the benchmark can see (after a random half of the 24 h demo, fitted on all
10,778 or on 10,000 of them: kappa 0.9998 both).

The fit and the prediction run on one thread (threadpoolctl), so the model
never competes with the UI for the other cores.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
from threadpoolctl import threadpool_limits

from loupe_tui.errors import LoupeConfigError
from loupe_tui.io.suggest.features import EpochFeatures
from loupe_tui.io.suggest.targets import EpochTargets

#: Scored epochs each state needs before a model is trained.
MIN_PER_STATE = 20
#: Most epochs trained on; more scored ones are sampled down to this many.
MAX_TRAIN = 10_000
#: The classifier's parameters (see the module docstring for why).
PARAMS = {"max_iter": 100, "learning_rate": 0.1, "max_leaf_nodes": 15, "min_samples_leaf": 20,
          "l2_regularization": 0.0, "early_stopping": False, "random_state": 0}


def model_kind(params: dict, max_train: int | None = MAX_TRAIN) -> str:
    """The model's name and parameters, as sidecars record it."""
    return (f"sklearn HistGradientBoostingClassifier max_train={max_train},"
            + ",".join(f"{k}={v}" for k, v in sorted(params.items())))


#: What the sidecar records as the model (a change here makes old sidecars stale).
MODEL_KIND = model_kind(PARAMS)


class NotEnoughLabels(LoupeConfigError):
    """Some state has fewer than :data:`MIN_PER_STATE` scored epochs.

    ``missing`` maps each such state to how many it has; ``without_features`` maps states to
    their scored epochs that cannot be used because their features are missing (NaN).
    """

    def __init__(self, missing: dict[str, int], needed: int = MIN_PER_STATE,
                 without_features: dict[str, int] | None = None):
        self.missing, self.needed = dict(missing), needed
        self.without_features = {s: n for s, n in (without_features or {}).items() if n and s in missing}
        parts = [f"{state} has {n} of the {needed} needed"
                 + (f" ({k:,} more without features: NaN spectral values)"
                    if (k := self.without_features.get(state)) else "")
                 for state, n in missing.items()]
        super().__init__("not enough scored epochs: " + (", ".join(parts) if parts else "nothing is scored"))


@dataclass(frozen=True, eq=False)
class Suggestions:
    """The newest suggestion for every epoch: immutable, safe to hand between threads.

    A pretrained model (:mod:`~loupe_tui.io.suggest.yasa_staging`) trains on nothing here:
    its ``n_train`` is 0, ``train_counts`` empty, ``labels_hash`` ``""``, and ``model`` names it.

    Attributes
    ----------
    states : tuple of str
        The states, in code order.
    codes : ndarray of int8 (n_epochs,)
        ``states[codes[k]]`` is epoch ``k``'s suggestion; -1 where there is none (its
        features are missing). Read-only.
    confidence : ndarray of float32 (n_epochs,)
        The model's probability of the suggested state (the largest class probability),
        NaN where there is no suggestion. Read-only.
    first, step_s : float
        The grid: epoch ``k`` is ``[first + k * step_s, first + (k + 1) * step_s)``.
    n_train : int
        Epochs the model was fitted on (at most :data:`MAX_TRAIN`).
    train_counts : mapping (read-only)
        Scored epochs with features per state (this recording's and any others given), before
        sampling down to :data:`MAX_TRAIN`.
    train_seconds : float
        Time to train and predict.
    made_at : float
        ``time.time()`` when they were made.
    labels_hash : str
        :meth:`EpochTargets.content_hash` of this recording's targets they were trained on.
    model : str
        :data:`MODEL_KIND`.
    from_sidecar : bool
        Read back from the sidecar file (trained in an earlier session) rather than trained now.
    """

    states: tuple[str, ...]
    codes: np.ndarray
    confidence: np.ndarray
    first: float
    step_s: float
    n_train: int
    train_counts: Mapping[str, int]
    train_seconds: float
    made_at: float
    labels_hash: str
    model: str = MODEL_KIND
    from_sidecar: bool = False

    @property
    def n_epochs(self) -> int:
        return len(self.codes)

    def state_at(self, k: int) -> tuple[str | None, float]:
        """``(state, confidence)`` of epoch ``k``; ``(None, nan)`` without a suggestion."""
        c = int(self.codes[k])
        return (None, float("nan")) if c < 0 else (self.states[c], float(self.confidence[k]))

    def labels(self) -> np.ndarray:
        """Object array of state names per epoch (None without a suggestion)."""
        names = np.array([*self.states, None], dtype=object)
        return names[np.where(self.codes >= 0, self.codes, len(self.states))]


def check_enough(counts: dict[str, int], needed: int = MIN_PER_STATE,
                 without_features: dict[str, int] | None = None) -> None:
    """Raise :class:`NotEnoughLabels` naming every state with fewer than ``needed`` epochs."""
    missing = {s: n for s, n in counts.items() if n < needed}
    if missing or not counts:
        raise NotEnoughLabels(missing, needed, without_features)


def train_and_predict(features: EpochFeatures, targets: EpochTargets,
                      extra: list[tuple[EpochFeatures, EpochTargets]] = (), params: dict | None = None,
                      max_train: int | None = MAX_TRAIN) -> Suggestions:
    """Train on the scored epochs (and those of ``extra`` recordings), then suggest every epoch.

    Parameters
    ----------
    features : EpochFeatures
        This recording's.
    targets : EpochTargets
        This recording's scored epochs, on the same grid.
    extra : list of (EpochFeatures, EpochTargets)
        Other scored recordings to train on too (their states are matched by name;
        states this recording does not suggest are left out).
    params : dict, optional
        Classifier parameters to change from :data:`PARAMS` (the benchmark compares some).
    max_train : int or None
        Most epochs to fit on (None: all).

    Raises
    ------
    NotEnoughLabels
        A state of ``targets.states`` has fewer than :data:`MIN_PER_STATE` epochs in all.
    LoupeConfigError
        Features and targets of different lengths, or other recordings' features differ.
    """
    t0 = time.perf_counter()
    if len(targets.codes) != features.n_epochs:
        raise LoupeConfigError(f"suggestions: {len(targets.codes)} targets for {features.n_epochs} epochs")
    xs, ys = [], []
    unusable = np.zeros(len(targets.states), np.int64)
    for f, t in [(features, targets), *extra]:
        if f.names != features.names:
            raise LoupeConfigError("suggestions: another recording's features differ from this one's "
                                   f"({', '.join(f.names[:7])} vs {', '.join(features.names[:7])}): give both "
                                   "the same channels (--spectrogram, --emg) and epoch")
        codes = _recode(t, targets.states)
        use = f.valid & (codes >= 0)
        unusable += np.bincount(codes[(codes >= 0) & ~f.valid], minlength=len(targets.states))
        xs.append(f.values[use])
        ys.append(codes[use])
    x, y = np.concatenate(xs), np.concatenate(ys)
    counts = {s: int(n) for s, n in zip(targets.states, np.bincount(y, minlength=len(targets.states)))}
    check_enough(counts, without_features={s: int(n) for s, n in zip(targets.states, unusable)})
    if max_train is not None and len(y) > max_train:
        keep = np.sort(np.random.default_rng(0).choice(len(y), size=max_train, replace=False))
        x, y = x[keep], y[keep]
    params = {**PARAMS, **(params or {})}
    from sklearn.ensemble import HistGradientBoostingClassifier   # here: scikit-learn takes 1.6 s to import

    model = HistGradientBoostingClassifier(**params)
    codes = np.full(features.n_epochs, -1, np.int8)
    confidence = np.full(features.n_epochs, np.nan, np.float32)
    with threadpool_limits(limits=1):
        model.fit(x, y)
        proba = (model.predict_proba(features.values[features.valid]) if features.valid.any()
                 else np.zeros((0, len(targets.states))))
    best = np.argmax(proba, axis=1)
    codes[features.valid] = model.classes_[best].astype(np.int8)
    confidence[features.valid] = proba[np.arange(len(best)), best]
    codes.flags.writeable = False
    confidence.flags.writeable = False
    return Suggestions(targets.states, codes, confidence, features.first, features.step_s, len(y),
                       MappingProxyType(counts), time.perf_counter() - t0, time.time(), targets.content_hash(),
                       model_kind(params, max_train))


def _recode(targets: EpochTargets, states: tuple[str, ...]) -> np.ndarray:
    """``targets.codes`` in the order of ``states`` (-1 for a state not among them)."""
    if targets.states == states:
        return np.asarray(targets.codes)
    table = np.array([states.index(s) if s in states else -1 for s in targets.states] + [-1], np.int16)
    return table[np.where(targets.codes >= 0, targets.codes, len(targets.states))]


__all__ = ["MAX_TRAIN", "MIN_PER_STATE", "MODEL_KIND", "NotEnoughLabels", "PARAMS", "Suggestions", "check_enough",
           "model_kind", "train_and_predict"]
