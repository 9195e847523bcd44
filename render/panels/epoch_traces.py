"""Small panels of per-epoch values over the window: band powers and the EMG level.

Each series is an :class:`~loupe_tui.io.spectral.cache.EpochSeries` (one value
per epoch, cached beside the pyramids); per frame it gives one value per
pixel column (``columns``: the mean of the epochs in a column, or the epoch
under it when zoomed in), drawn as a step line through
:class:`~render.visuals.columns.TraceColumns` (one draw call for all series).
Each series fills the panel's height between its own limits, the 2.5th and
97.5th percentiles over the whole recording (``limits()``: stable while
paging); values beyond them are pinned to the edge. NaN columns are not
drawn (background).

* :class:`BandPowerPanel` (target ``band_power``): delta, theta and the
  theta/delta ratio of the spectrogram's channel, each normalised to its own
  limits, with a colour legend in the name gutter.
* :class:`EmgLevelPanel` (target ``emg_level``): the EMG level (log10 RMS of
  the band-passed EMG per epoch).

Options (those targets, their ``:<k>`` forms or ``panel:<i>``): ``{"visible": bool}``
(a hidden panel gives its height back to the others).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from render.panels.base import GUTTER_TEXT_X, LINE_PX, Frame, Panel, fit_gutter
from render.prep.spectral import clipped
from render.visuals.columns import TraceColumns
from render.visuals.rects import Rects

PAD_PX = 3.0
CHIP_PX = 8.0
BAND_COLORS = {"delta": (90, 160, 255, 255), "theta": (255, 150, 50, 255), "theta/delta": (235, 235, 235, 255)}
EMG_RGBA = (120, 220, 140, 255)


class EpochTracesPanel(Panel):
    """Series of one spectral entry, each between its limits, overlaid in one panel."""

    kind: ClassVar[str] = ""
    #: (weight, minimum height) when shown.
    WEIGHT: ClassVar[tuple[float, float]] = (1.0, 36.0)

    def __init__(self, op, index, state):
        super().__init__(op, index, state)
        self.views = op.spectral
        self.series, self.names, colors = self._series()
        self.colors = np.asarray(colors, np.float32).reshape(-1, 4)
        self.limits = [s.limits() for s in self.series]
        self.visible = True
        self._lines = TraceColumns()
        self._chips = Rects()
        self._window: tuple | None = None
        self._table_h: float | None = None

    def _series(self) -> tuple[list, list[str], list]:
        """(series, legend names, colours)."""
        raise NotImplementedError

    def title(self) -> list[str]:
        """The gutter's first lines (above the legend)."""
        raise NotImplementedError

    # -- layout and options --------------------------------------------------------
    def weight(self):
        return self.WEIGHT if self.visible else (0.0, 0.0)

    def targets(self):
        return [*super().targets(), self.kind, f"{self.kind}:{self.ordinal}"]

    def target_at(self, x, y):
        return f"{self.kind}:{self.ordinal}"

    def set_option(self, target, options):
        if "visible" in options:
            self.visible = bool(options["visible"])
        return [k for k in options if k != "visible"]

    # -- data ------------------------------------------------------------------------
    def update(self, t0, t1, n_px):
        self._window = (t0, t1, n_px)
        if not self.visible or not self.series:
            return
        cols = np.stack([clipped(s.columns(t0, t1, n_px), lim) for s, lim in zip(self.series, self.limits)])
        self._lines.set_columns(cols, cols)
        self._set_table()

    def _set_table(self) -> None:
        """Series ``k`` maps its limits onto the panel's height (less ``PAD_PX`` at each end)."""
        h = max(self.data.h, 1.0)
        if self._table_h == h:
            return
        self._table_h = h
        pad = 2.0 * PAD_PX / h
        lo = np.array([a for a, _ in self.limits], np.float64)
        hi = np.array([b for _, b in self.limits], np.float64)
        span = np.where(hi > lo, hi - lo, 1.0)
        n = len(self.series)
        self._lines.set_table(lo, (2.0 - 2 * pad) / span, np.full(n, -1.0 + pad), np.full(n, -1.0),
                              np.full(n, 1.0), self.colors)

    def set_geometry(self, rect, data):
        super().set_geometry(rect, data)
        self._table_h = None
        if self._window is not None and self.series:
            self._set_table()

    # -- drawing -----------------------------------------------------------------------
    def draw(self, frame: Frame) -> None:
        if not self.visible or self.data.h < 1:
            return
        size = frame.viewport(self.rect)
        chips = [(2.0, y - self.rect.y - CHIP_PX / 2, 6.0, y - self.rect.y + CHIP_PX / 2)
                 for (_, _, y), k in self._legend() if k is not None]
        colors = [self.colors[k] for _, k in self._legend() if k is not None]
        self._chips.set(np.array(chips, np.float32).reshape(-1, 4), np.array(colors, np.float32).reshape(-1, 4))
        self._chips.draw(size)
        self._lines.draw(frame.viewport(self.data))

    def _legend(self) -> list[tuple[tuple[str, float, float], int | None]]:
        """Gutter lines ``((text, x, y), series index or None)``: the title, then one line per
        series with its colour chip, as many as the panel's height holds (series first)."""
        fit = max(1, int((self.data.h - 2) // LINE_PX))
        title = self.title()
        legend = self.names if len(self.names) > 1 else []
        n_title = min(len(title), max(1, fit - len(legend)))
        lines = ([(s, None) for s in title[:n_title]] + [(s, k) for k, s in enumerate(legend)])[:fit]
        return [((fit_gutter(text, self.gutter_room), GUTTER_TEXT_X, self.data.y + 8 + i * LINE_PX), k)
                for i, (text, k) in enumerate(lines)]

    def texts(self):
        if not self.visible or self.data.h < 1:
            return []
        return [t for t, _ in self._legend()]


class BandPowerPanel(EpochTracesPanel):
    """delta, theta and theta/delta of the spectrogram's channel."""

    kind = "band_power"
    WEIGHT = (1.2, 40.0)

    def _series(self):
        bands = self.views.spectrogram.bands
        names = [n for n in BAND_COLORS if n in bands]
        return [bands[n] for n in names], names, [BAND_COLORS[n] for n in names]

    def title(self):
        return [f"{self.views.eeg_name or 'EEG'} bands"]


class EmgLevelPanel(EpochTracesPanel):
    """The EMG level of the entry's EMG channel."""

    kind = "emg_level"
    WEIGHT = (0.8, 30.0)

    def _series(self):
        return [self.views.emg], ["EMG level"], [EMG_RGBA]

    def title(self):
        return [self.views.emg_name or "EMG", "EMG level", "log10 RMS"]
