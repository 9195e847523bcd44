"""The label state as the window needs it: per state, sorted spans and how much
of any time range they cover.

Labels reach the window as a full set (``SetLabels``) and then as edits
(``ApplyLabelDiff``). Drawing asks one question per pixel column: how many
seconds of each state fall in it. With per-state sorted, non-overlapping
spans and prefix sums of their lengths, that is two binary searches per
column border, so 21,600 spans cost the same as 20 for any window.
"""

from __future__ import annotations

import itertools

import numpy as np

UNSCORED = -1
_LAYER_VERSIONS = itertools.count(1)


class LabelSpans:
    """Half-open spans ``[start, end)`` with a state each; states indexed by :attr:`states`.

    Parameters
    ----------
    states : list of str
        Known states, in hypnogram order; labels of other names are appended.
    """

    def __init__(self, states: list[str] | None = None):
        self.states: list[str] = list(states or [])
        self._spans: dict[tuple[float, float, str], None] = {}
        self._per_state: list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
        self.version = 0
        self._extent: tuple[int, tuple[float, float] | None] = (-1, None)   # (version, extent)

    def __len__(self) -> int:
        return len(self._spans)

    def set_states(self, states: list[str]) -> bool:
        """Order of states (hypnogram rows); labels of unknown names keep rows after them.
        False when the order is the one already set."""
        extra = [s for s in self.states if s not in states]
        new = list(states) + extra
        if new == self.states:
            return False
        self.states = new
        self._changed()
        return True

    def set(self, starts, ends, labels) -> bool:
        """Replace every span; False when they are the spans already held (nothing to redraw)."""
        spans = {(float(s), float(e), str(lb)): None for s, e, lb in zip(starts, ends, labels)}
        if spans == self._spans:
            return False
        self._spans = spans
        self._changed()
        return True

    def apply_diff(self, removed, added) -> bool:
        """Remove then add ``(start, end, label)`` spans; False when that changed nothing."""
        changed = False
        for s, e, lb in removed:
            key = (float(s), float(e), str(lb))
            if key in self._spans:
                del self._spans[key]
                changed = True
        for s, e, lb in added:
            key = (float(s), float(e), str(lb))
            if key not in self._spans:
                self._spans[key] = None
                changed = True
        if changed:
            self._changed()
        return changed

    def spans(self) -> list[tuple[float, float, str]]:
        return sorted(self._spans)

    def _changed(self) -> None:
        self._per_state = None
        self.version += 1
        for _, _, lb in self._spans:
            if lb not in self.states:
                self.states.append(lb)

    def _arrays(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        if self._per_state is None:
            index = {s: i for i, s in enumerate(self.states)}
            buckets: list[list[tuple[float, float]]] = [[] for _ in self.states]
            for s, e, lb in self._spans:
                if e > s:
                    buckets[index[lb]].append((s, e))
            self._per_state = []
            for b in buckets:
                a = np.array(sorted(b), np.float64).reshape(-1, 2)
                lengths = a[:, 1] - a[:, 0]
                self._per_state.append((a[:, 0].copy(), a[:, 1].copy(), np.concatenate([[0.0], np.cumsum(lengths)])))
        return self._per_state

    def covered_before(self, t: np.ndarray) -> np.ndarray:
        """``(n_states, len(t))``: seconds of each state before each time ``t``."""
        t = np.asarray(t, np.float64)
        out = np.zeros((len(self.states), t.size))
        for i, (starts, ends, cum) in enumerate(self._arrays()):
            if not len(starts):
                continue
            k = np.searchsorted(starts, t, side="right")  # spans starting at or before t
            last = np.maximum(k - 1, 0)
            partial = np.clip(np.minimum(ends[last], t) - starts[last], 0.0, None)
            out[i] = np.where(k > 0, cum[last] + partial, 0.0)
        return out

    def coverage(self, t0: float, t1: float, n: int) -> np.ndarray:
        """``(n_states, n)``: seconds of each state in each of ``n`` equal columns of ``[t0, t1)``."""
        edges = np.linspace(t0, t1, n + 1)
        return np.diff(self.covered_before(edges), axis=1)

    def columns(self, t0: float, t1: float, n: int) -> np.ndarray:
        """State index shown in each column, or :data:`UNSCORED`.

        A column shows the state covering most of it, when labels cover at
        least half of the column (so a span's edges land within one column).
        """
        if not self.states or not self._spans:
            return np.full(n, UNSCORED, np.int64)
        cov = self.coverage(t0, t1, n)
        best = cov.argmax(axis=0)
        enough = cov.sum(axis=0) >= 0.5 * (t1 - t0) / n
        return np.where(enough, best, UNSCORED)

    def extent(self) -> tuple[float, float] | None:
        """``(first start, last end)`` of the spans, None without any; kept until they change
        (every frame asks it: over 21,600 spans that took 8 ms)."""
        if self._extent[0] != self.version:
            ext = (min(s for s, _, _ in self._spans), max(e for _, e, _ in self._spans)) if self._spans else None
            self._extent = (self.version, ext)
        return self._extent[1]


def column_colors(cols: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """RGBA ``(n, 4)`` uint8 per column from state indices (``UNSCORED`` -> transparent)."""
    out = np.zeros((len(cols), 4), np.uint8)
    ok = cols >= 0
    if ok.any() and len(palette):
        out[ok] = palette[np.minimum(cols[ok], len(palette) - 1)]
    return out


class LayerSpans:
    """One read-only label layer (the suggestions, another scorer's labels), as drawn: its spans
    sorted once, with prefix sums of each state's time and of confidence x time, so that a
    window's columns cost two binary searches per column border, as :class:`LabelSpans`.

    Parameters
    ----------
    title : str
        What the strip is called in the gutter.
    starts, ends, labels : sequences
        The spans (non-overlapping; an overlapping span is cut at the next one's start).
    confidence : sequence of float, optional
        Per span, 0-1 (the suggestions); empty: every span is certain.
    visible : bool
    """

    def __init__(self, title: str, starts, ends, labels, confidence=(), visible: bool = True):
        self.title, self.visible = str(title), bool(visible)
        self.version = next(_LAYER_VERSIONS)    # each SetLabelLayer builds a new one
        s = np.asarray(starts, np.float64).reshape(-1)
        e = np.asarray(ends, np.float64).reshape(-1)
        labels = np.asarray([str(x) for x in labels], dtype=object)
        conf = np.asarray(confidence, np.float64).reshape(-1)
        if len(conf) != len(s):
            conf = np.ones(len(s))
        if not len(e) == len(labels) == len(s):
            raise ValueError(f"label layer {title!r}: {len(s)} starts, {len(e)} ends, {len(labels)} labels")
        order = np.argsort(s, kind="stable")
        s, e, labels, conf = s[order], e[order], labels[order], np.clip(conf[order], 0.0, 1.0)
        if len(s) > 1:
            e[:-1] = np.minimum(e[:-1], s[1:])
        e = np.maximum(e, s)
        self.states: list[str] = list(dict.fromkeys(labels.tolist()))
        index = {name: i for i, name in enumerate(self.states)}
        self.starts, self.ends, self.confidence = s, e, conf
        self.codes = np.array([index[x] for x in labels.tolist()], np.int64)
        lengths = e - s
        per_state = np.zeros((len(self.states), len(s)))
        per_state[self.codes, np.arange(len(s))] = lengths
        self._cum = np.concatenate([np.zeros((len(self.states), 1)), np.cumsum(per_state, axis=1)], axis=1)
        self._cum_conf = np.concatenate([[0.0], np.cumsum(lengths * conf)])

    def __len__(self) -> int:
        return len(self.starts)

    def _before(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Seconds of each state ``(n_states, len(t))`` and confidence x seconds ``(len(t),)`` before ``t``."""
        k = np.searchsorted(self.starts, t, side="right")
        last = np.maximum(k - 1, 0)
        partial = np.where(k > 0, np.clip(np.minimum(self.ends[last], t) - self.starts[last], 0.0, None), 0.0)
        cov = self._cum[:, last].copy()
        cov[self.codes[last], np.arange(len(t))] += partial
        return cov, self._cum_conf[last] + partial * self.confidence[last]

    def columns(self, t0: float, t1: float, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Per column of ``[t0, t1)`` in ``n``: the state index shown (the one covering most of the
        column, when spans cover at least half of it; else :data:`UNSCORED`) and the mean
        confidence of the spans in it."""
        if not len(self.starts):
            return np.full(n, UNSCORED, np.int64), np.ones(n)
        cov, conf = self._before(np.linspace(t0, t1, n + 1))
        cov, conf = np.diff(cov, axis=1), np.diff(conf)
        total = cov.sum(axis=0)
        best = np.where(total >= 0.5 * (t1 - t0) / n, cov.argmax(axis=0), UNSCORED)
        return best, np.where(total > 0, conf / np.maximum(total, 1e-300), 1.0)
