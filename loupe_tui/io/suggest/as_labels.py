"""Suggestions as interval labels: one more scorer for ``labels compare``'s agreement report.

Each run of consecutive epochs with the same suggested state becomes one
interval; an epoch without a suggestion (its features are missing) is left
unlabelled, so the agreement report counts it as unscored and leaves it out.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from loupe_tui.core.labels import IntervalLabelSet
from loupe_tui.io.suggest.model import Suggestions


def suggestions_as_labels(suggestions: Suggestions) -> IntervalLabelSet:
    """The suggestions as an in-memory :class:`IntervalLabelSet` (no file, no journal).

    Parameters
    ----------
    suggestions : Suggestions
        Epoch ``k`` is ``[first + k * step_s, first + (k + 1) * step_s)``, suggested
        ``states[codes[k]]`` (none where the code is -1).

    Returns
    -------
    IntervalLabelSet
        One interval per run of equal suggested states, in time order.
    """
    codes = np.asarray(suggestions.codes, np.int64)
    cut = np.flatnonzero(np.diff(codes) != 0) + 1
    a = np.concatenate([[0], cut]).astype(np.int64)
    b = np.concatenate([cut, [len(codes)]]).astype(np.int64)
    keep = codes[a] >= 0 if len(codes) else np.zeros(0, bool)
    a, b = a[keep], b[keep]
    first, step = float(suggestions.first), float(suggestions.step_s)
    frame = pl.DataFrame({"start_s": first + a * step, "end_s": first + b * step,
                          "label": [suggestions.states[c] for c in codes[a].tolist()]},
                         schema={"start_s": pl.Float64, "end_s": pl.Float64, "label": pl.String})
    return IntervalLabelSet.from_frame(frame)


__all__ = ["suggestions_as_labels"]
