"""Scoring suggestions (issue 14): a model trained on the epochs scored so far suggests the rest
(or, for human PSG, YASA's pretrained one: :mod:`.yasa_staging`, imported on its own).

================  ================================================================
module            concern
================  ================================================================
``targets``       interval labels -> one training target per epoch (majority state)
``features``      per-epoch features from the spectral cache, standardised per recording
``model``         the classifier: train on scored epochs, suggest state + confidence
``intervals``     the suggestions read per label interval (the label table, the jumper)
``sidecar``       suggestions kept beside the labels file, with what they came from
``trainer``       the background thread that retrains as the labels change
``as_labels``     suggestions as interval labels (a scorer for the agreement report)
``yasa_staging``  human PSG in 30 s epochs: YASA's pretrained staging (extra ``[yasa]``)
================  ================================================================

No UI here. See ``docs/suggestions.md``.
"""

from loupe_tui.io.suggest.as_labels import suggestions_as_labels
from loupe_tui.io.suggest.features import EpochFeatures, epoch_features
from loupe_tui.io.suggest.intervals import EpochSums, IntervalSuggestions, interval_suggestions
from loupe_tui.io.suggest.model import MIN_PER_STATE, NotEnoughLabels, Suggestions, train_and_predict
from loupe_tui.io.suggest.sidecar import sidecar_path, suggestions_for
from loupe_tui.io.suggest.targets import EpochTargets, epoch_targets, targets_of
from loupe_tui.io.suggest.trainer import LabelSnapshot, SuggestionTrainer

__all__ = ["EpochFeatures", "EpochSums", "EpochTargets", "IntervalSuggestions", "LabelSnapshot", "MIN_PER_STATE",
           "NotEnoughLabels", "SuggestionTrainer", "Suggestions", "epoch_features", "epoch_targets",
           "interval_suggestions", "sidecar_path", "suggestions_as_labels", "suggestions_for", "targets_of",
           "train_and_predict"]
