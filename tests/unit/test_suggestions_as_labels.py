"""Suggestions as interval labels (the agreement report's "suggestions" scorer): runs of equal states,
epochs without a suggestion left unlabelled, on the suggestions' own grid."""

from __future__ import annotations

import numpy as np

from loupe_tui.core.labels.agreement import UNSCORED_CODE, compare
from loupe_tui.io.suggest import Suggestions, suggestions_as_labels


def made(codes, first=10.0, step=4.0, states=("Wake", "NREM", "REM")) -> Suggestions:
    codes = np.asarray(codes, np.int8)
    conf = np.where(codes >= 0, 0.9, np.nan).astype(np.float32)
    return Suggestions(tuple(states), codes, conf, first, step, 0, {}, 0.0, 0.0, "")


def spans(labels) -> list[tuple[float, float, str]]:
    return [(float(a), float(b), labels.label_names[c]) for a, b, c in zip(labels.starts, labels.ends, labels.codes)]


def test_runs_of_equal_states_become_intervals_and_gaps_stay_unlabelled():
    labels = suggestions_as_labels(made([0, 0, 1, -1, -1, 1, 2, 2]))
    assert spans(labels) == [(10.0, 18.0, "Wake"), (18.0, 22.0, "NREM"), (30.0, 34.0, "NREM"), (34.0, 42.0, "REM")]
    assert labels.source_path is None and labels.journal_path is None     # in memory: never saved


def test_no_suggestion_at_all_gives_no_labels():
    assert len(suggestions_as_labels(made([-1, -1]))) == 0
    assert len(suggestions_as_labels(made([]))) == 0


def test_compared_epoch_by_epoch_the_gaps_are_unscored_and_left_out():
    s = made([0, 1, -1, 2], first=0.0)
    labels = suggestions_as_labels(s)
    codes = compare([labels, labels], ["a", "suggestions"], epoch_s=4.0).grid.codes[1]
    assert codes.tolist() == [0, 1, UNSCORED_CODE, 2]
