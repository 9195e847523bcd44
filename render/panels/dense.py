"""Dense traces: many traces on one axis, EEG style, with vertical paging.

Each visible trace is mean-subtracted (mean of the window), scaled by one
panel-wide amplitude times ``gain``, and offset vertically: evenly, or by
its ``order_by`` value when that is numeric (depth). With
``traces_per_page`` only one page of traces is fetched and drawn; a
scrollbar at the right edge shows where the page is.

Options (target ``dense`` or ``panel:<i>``): ``{"gain": 2.0}`` (absolute),
``{"page": 1}``, ``{"first": 32}`` (first trace shown), ``{"visible": false}``.
"""

from __future__ import annotations

import numpy as np

from render.panels.base import Frame, Panel
from render.visuals.columns import TraceColumns
from render.visuals.rects import Rects

#: Target peak-to-peak of a typical trace, in trace spacings, at gain 1.
SPACING_FILL = 0.6


class DenseTraces(Panel):
    """``TraceConfig(mode="dense")``."""

    kind = "dense"

    def __init__(self, op, index, state):
        super().__init__(op, index, state)
        self.names = list(self.spec["names"])
        self.colors = np.asarray(self.spec["colors"], np.float32)
        self.pyramid = op.sources[0].pyramid
        n = len(self.names)
        self.per_page = int(self.spec.get("traces_per_page") or n) or 1
        self.first = 0
        self.gain = float(self.spec.get("gain", 1.0))
        self.visible = True
        self.lines = TraceColumns()
        self._chrome = Rects()
        self._typical = _typical_peak_to_peak(self.pyramid)
        self._positions = _positions(self.spec.get("order_values"), n)
        self._mean: np.ndarray | None = None

    def weight(self):
        return 8.0, 120.0

    def targets(self):
        return [*super().targets(), "dense"]

    def target_at(self, x, y):
        return "dense"

    @property
    def shown(self) -> np.ndarray:
        """Indices of the traces on the current page."""
        return np.arange(self.first, min(self.first + self.per_page, len(self.names)))

    def set_option(self, target, options):
        n = len(self.names)
        if "gain" in options and float(options["gain"]) > 0:
            self.gain = float(options["gain"])
        if "page" in options:
            self.first = int(options["page"]) * self.per_page
        if "first" in options:
            self.first = int(options["first"])
        self.first = int(min(max(self.first, 0), max(n - self.per_page, 0)))
        if "visible" in options:
            self.visible = bool(options["visible"])
        self._update_table()
        return [k for k in options if k not in ("gain", "page", "first", "visible")]

    def update(self, t0, t1, n_px):
        wd = self.pyramid.window(t0, t1, n_px, self.shown)
        if wd.raw:
            self.lines.set_samples(wd.lo, (wd.times - t0) / (t1 - t0), n_px)
            mids = wd.lo
        else:
            self.lines.set_columns(wd.lo, wd.hi)
            mids = (wd.lo + wd.hi) / 2
        with np.errstate(all="ignore"):
            s = np.nansum(mids, axis=1)
            c = np.isfinite(mids).sum(axis=1)
            self._mean = np.where(c > 0, s / np.maximum(c, 1), 0.0)
        self._update_table()

    def _bases(self) -> np.ndarray:
        """NDC y of each shown trace (top to bottom) and the spacing between them."""
        pos = self._positions[self.shown]
        lo, hi = pos.min(), pos.max()
        k = len(pos)
        margin = 1.0 / max(k, 1)
        frac = (pos - lo) / (hi - lo) if hi > lo else np.full(k, 0.5)
        return 1.0 - margin - frac * (2.0 - 2 * margin)

    def _update_table(self) -> None:
        shown = self.shown
        k = len(shown)
        if self._mean is None or len(self._mean) != k:
            return
        spacing = 2.0 / max(k, 1)
        scale = np.full(k, self.gain * SPACING_FILL * spacing / self._typical)
        rgba = self.colors[shown].copy()
        if not self.visible:
            rgba[:, 3] = 0
        self.lines.set_table(self._mean, scale, self._bases(), np.full(k, -1.0), np.full(k, 1.0), rgba)

    def draw(self, frame: Frame) -> None:
        size = frame.viewport(self.rect)
        n = len(self.names)
        rects, colors = [], []
        if frame.state.focus in ("dense", f"panel:{self.index}"):
            gx = self.data.x - self.rect.x
            rects.append((gx, 0, gx + self.data.w, self.rect.h))
            colors.append((40, 40, 64, 255))
        if self.per_page < n:  # scrollbar in the right padding
            x = self.data.x1 - self.rect.x + 3
            top = self.first / n * self.rect.h
            bottom = (self.first + len(self.shown)) / n * self.rect.h
            rects += [(x, 0, x + 6, self.rect.h), (x, top, x + 6, bottom)]
            colors += [(40, 40, 48, 255), (150, 150, 170, 255)]
        if rects:
            self._chrome.set(np.array(rects, np.float32), np.array(colors, np.float32))
            self._chrome.draw(size)
        self.lines.draw(frame.viewport(self.data))

    def texts(self):
        shown = self.shown
        ys = self.data.y + (1.0 - self._bases()) / 2.0 * self.data.h
        gap = self.data.h / max(len(shown), 1)
        step = max(1, int(np.ceil(11.0 / max(gap, 1e-6))))
        return [(self.names[i], 9.0, y) for i, y in list(zip(shown, ys))[::step]]


def _positions(order_values, n: int) -> np.ndarray:
    """Vertical position of every trace (0 = top): by numeric ``order_by`` value, else evenly."""
    if order_values is not None and len(order_values) == n:
        try:
            v = np.asarray(order_values, np.float64)
            if np.isfinite(v).all() and np.ptp(v) > 0:
                # Display order is already sorted by value; keep direction (descending stays descending).
                return np.abs(v - v[0]) / np.ptp(v) * (n - 1)
        except (TypeError, ValueError):
            pass
    return np.arange(n, dtype=np.float64)


def _typical_peak_to_peak(pyr) -> float:
    """Median over channels of the median min-max range of ~2 s bins (from the pyramid)."""
    ax = pyr.time
    fs = ax.fs if ax.fs else max(ax.n / max(ax.t_end - float(ax.time_of(0)), 1e-9), 1e-9)
    k = int(np.clip(np.searchsorted(pyr.bins, fs, side="left"), 0, len(pyr.bins) - 1))
    lo, hi = pyr.levels[k]
    step = max(1, lo.shape[1] // 2000)
    with np.errstate(all="ignore"):
        ptp = np.nanmedian(np.asarray(hi[:, ::step]) - np.asarray(lo[:, ::step]), axis=1)
        v = float(np.nanmedian(ptp)) if np.isfinite(ptp).any() else 1.0
    return v if v > 0 else 1.0
