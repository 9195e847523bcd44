"""Dense traces: many traces on one axis, EEG style, with vertical paging.

The spec holds every trace of the config (before ``step``). The panel shows
every ``step``-th of them, ``traces_per_page`` at a time (pages counted among
the stepped traces: ``ceil(ceil(n / step) / traces_per_page)`` pages, the last
one showing the last ``traces_per_page`` traces); a scrollbar at the right
edge shows where the page is. Each shown trace is mean-subtracted (mean of
the window), scaled by one panel-wide amplitude times ``gain``, and offset
vertically: evenly, or by its ``order_by`` value when that is numeric (depth).

Names are shortened in the middle to fit the gutter; where they would overlap,
some are left out (top to bottom, always the same ones for the same layout). A
Y scale bar in the data's units sits at the bottom of the gutter.

Options (target ``dense`` or ``panel:<i>``): ``{"gain": 2.0}`` (absolute),
``{"step": 2}``, ``{"traces_per_page": 10}`` (None: all), ``{"page": 1}`` (from 0),
``{"first": 32}`` (first shown trace, counted among the stepped ones),
``{"visible": false}``.

Display filters (:mod:`render.filtered`): traces with a chain are read filtered and named with
it, as stacked traces are.
"""

from __future__ import annotations

import numpy as np

from loupe_tui.io.filters import filtered_name
from render.filtered import PENDING, DisplayFilters, FilteredReader
from render.panels.base import (
    GUTTER_TEXT_X, LINE_PX, SCALE_BAR_DX, SCALE_RGBA, SCALE_ROOM_PX, Frame, Panel, fit_gutter, format_amount,
    scale_bar, spread,
)
from render.visuals.columns import TraceColumns
from render.visuals.rects import Rects

#: Target peak-to-peak of a typical trace, in trace spacings, at gain 1.
SPACING_FILL = 0.6
OPTIONS = ("gain", "step", "traces_per_page", "page", "first", "visible")


class DenseTraces(Panel):
    """``TraceConfig(mode="dense")``."""

    kind = "dense"
    _filters = DisplayFilters()     # none until the window gives some (immutable: a safe class default)

    def __init__(self, op, index, state):
        super().__init__(op, index, state)
        self.names = list(self.spec["names"])
        self.colors = np.asarray(self.spec["colors"], np.float32)
        self.units = str(self.spec.get("units") or "")
        self.pyramid = op.sources[0].pyramid
        self.step = max(int(self.spec.get("step") or 1), 1)
        self.per_page: int | None = int(self.spec["traces_per_page"]) if self.spec.get("traces_per_page") else None
        self.first = 0
        self.gain = float(self.spec.get("gain", 1.0))
        self.visible = True
        self.lines = TraceColumns()
        self._chrome = Rects()
        self._typical = _typical_peak_to_peak(self.pyramid)
        self._positions = trace_positions(self.spec.get("order_values"), len(self.names))
        self._mean: np.ndarray | None = None
        self._window: tuple[float, float, int] | None = None
        self._fetched: np.ndarray | None = None   # the traces whose columns are uploaded
        self._filters = DisplayFilters()
        self._filter_key: tuple = ()
        self._reader: FilteredReader | None = None
        self._filtered = True   # the last window came filtered where a chain is set

    def weight(self):
        return 8.0, 120.0

    def targets(self):
        return [*super().targets(), "dense"]

    def target_at(self, x, y):
        return "dense"

    @property
    def stepped(self) -> np.ndarray:
        """Indices (into the spec's traces) of every ``step``-th trace: what pages go through."""
        return np.arange(0, len(self.names), self.step)

    @property
    def page_size(self) -> int:
        return min(self.per_page or len(self.stepped), len(self.stepped)) or 1

    @property
    def shown(self) -> np.ndarray:
        """Indices (into the spec's traces) of the traces on the current page."""
        return self.stepped[self.first:self.first + self.page_size]

    def set_option(self, target, options):
        before = self.shown
        first_shown = int(before[0]) if len(before) else 0
        if "gain" in options and options["gain"] is not None and float(options["gain"]) > 0:
            self.gain = float(options["gain"])
        if "step" in options and options["step"] is not None and int(options["step"]) >= 1:
            self.step = int(options["step"])
            self.first = first_shown // self.step        # the page starts where it did
        if "traces_per_page" in options:
            tpp = options["traces_per_page"]
            self.per_page = int(tpp) if tpp is not None and int(tpp) >= 1 else None
        if "page" in options and options["page"] is not None:
            self.first = int(options["page"]) * self.page_size
        if "first" in options and options["first"] is not None:
            self.first = int(options["first"])
        self.first = int(min(max(self.first, 0), max(len(self.stepped) - self.page_size, 0)))
        if "visible" in options:
            self.visible = bool(options["visible"])
        if self._window is not None and not np.array_equal(self.shown, self._fetched):
            self.update(*self._window)                  # other traces: fetch their columns now
        else:
            self._update_table()
        return [k for k in options if k not in OPTIONS]

    def update(self, t0, t1, n_px):
        self._window = (t0, t1, n_px)
        self._fetched = shown = self.shown
        if self._reader is None:
            wd = self.pyramid.window(t0, t1, n_px, shown)
        else:
            wd, self._filtered = self._reader.window(t0, t1, n_px, shown)
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

    def set_filters(self, filters: DisplayFilters, cache_dir) -> bool:
        """Display filters changed: traces with a chain read filtered (see :mod:`render.filtered`)."""
        active = {n: c for n, c in filters.active().items() if n in self.names}
        key = (tuple(sorted((n, c.key) for n, c in active.items())),
               tuple(sorted(n for n in active if n in filters.pyramids)))
        if key == self._filter_key:
            return False
        built = bool(active) and all(n in filters.pyramids for n in active)
        self._reader = FilteredReader(self.pyramid, self.names, active, built, cache_dir) if active else None
        self._filter_key, self._filters = key, filters     # after the reader: a chain it refuses changes nothing
        self._filtered = True
        if self._window is not None:
            self.update(*self._window)
        return True

    def display_name(self, i: int) -> tuple[str, str]:
        """Trace ``i``'s name as shown and the suffix kept whole (see :meth:`StackedTraces.display_name`)."""
        name = self.names[i]
        chain = self._filters.active().get(name)
        if chain is None:
            return name, ""
        return (name, PENDING) if not self._filtered else (filtered_name(name, chain), "")

    def _bases(self) -> np.ndarray:
        """NDC y of each shown trace (top to bottom)."""
        pos = self._positions[self.shown]
        if not len(pos):
            return np.zeros(0)
        lo, hi = pos.min(), pos.max()
        k = len(pos)
        margin = 1.0 / max(k, 1)
        frac = (pos - lo) / (hi - lo) if hi > lo else np.full(k, 0.5)
        return 1.0 - margin - frac * (2.0 - 2 * margin)

    def _scale(self) -> float:
        """NDC per data unit (the same for every shown trace)."""
        return self.gain * SPACING_FILL * (2.0 / max(len(self.shown), 1)) / self._typical

    def _update_table(self) -> None:
        shown = self.shown
        k = len(shown)
        if self._mean is None or len(self._mean) != k:
            return
        rgba = self.colors[shown].copy()
        if not self.visible:
            rgba[:, 3] = 0
        self.lines.set_table(self._mean, np.full(k, self._scale()), self._bases(), np.full(k, -1.0), np.full(k, 1.0),
                             rgba)

    def scale(self) -> tuple[float, float] | None:
        """``(amount, bar length in pixels)`` of the panel's Y scale, or None."""
        if self.gutter_room < 40 or not self.visible:
            return None
        px_per_unit = self._scale() * self.data.h / 2.0
        spacing_px = self.data.h / max(len(self.shown), 1)
        return scale_bar(1.0 / px_per_unit, min(0.4 * self.data.h, max(spacing_px, 30.0)))

    def draw(self, frame: Frame) -> None:
        size = frame.viewport(self.rect)
        m = len(self.stepped)
        gx = self.data.x - self.rect.x
        rects, colors = [], []
        if frame.state.focus in ("dense", f"panel:{self.index}"):
            rects.append((gx, 0, gx + self.data.w, self.rect.h))
            colors.append((40, 40, 64, 255))
        if self.page_size < m:  # scrollbar in the right padding
            x = self.data.x1 - self.rect.x + 3
            top = self.first / m * self.rect.h
            bottom = (self.first + len(self.shown)) / m * self.rect.h
            rects += [(x, 0, x + 6, self.rect.h), (x, top, x + 6, bottom)]
            colors += [(40, 40, 48, 255), (150, 150, 170, 255)]
        bar = self.scale()
        if bar is not None:
            x, y1 = gx - SCALE_BAR_DX, self.data.y1 - self.rect.y - 3
            y0 = y1 - bar[1]
            rects += [(x - 1, y0, x + 1, y1), (x - 1, y0 - 1, x + 3, y0 + 1), (x - 1, y1 - 1, x + 3, y1 + 1)]
            colors += [SCALE_RGBA] * 3
        if rects:
            self._chrome.set(np.array(rects, np.float32), np.array(colors, np.float32))
            self._chrome.draw(size)
        self.lines.draw(frame.viewport(self.data))

    def _scale_label(self) -> tuple[str, float] | None:
        bar = self.scale()
        if bar is None:
            return None
        return format_amount(bar[0], self.units), self.data.y1 - 3 - bar[1] / 2

    def texts(self):
        shown = self.shown
        ys = self.data.y + (1.0 - self._bases()) / 2.0 * self.data.h
        label = self._scale_label()
        free = np.ones(len(ys), bool) if label is None else np.abs(ys - label[1]) >= LINE_PX
        idx = np.flatnonzero(free)
        room = self.gutter_room - SCALE_ROOM_PX
        names = [self.display_name(shown[i]) for i in range(len(shown))]
        return [(fit_gutter(names[i][0], room, names[i][1]), GUTTER_TEXT_X, float(ys[i])) for i in idx[spread(ys[idx])]]

    def scale_texts(self):
        label = self._scale_label()
        return [] if label is None else [(label[0], self.data.x - SCALE_BAR_DX - 5, label[1])]


def trace_positions(order_values, n: int) -> np.ndarray:
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
