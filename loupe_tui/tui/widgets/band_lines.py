"""Band power and EMG level as labelled sparklines (``▁▂▃▄▅▆▇█``), over the hypnogram's columns.

One row per series (delta, theta, theta/delta, then the EMG level), each an
:class:`~loupe_tui.io.spectral.cache.EpochSeries`: a column shows the mean of
the epochs in it, scaled between the series' own 2.5th and 97.5th
percentiles over the whole recording (so a row reads the same on every
page: REM is theta up and EMG down). The columns and the time range are the
hypnogram's (zoomed or not), with the window's columns highlighted as there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from textual.strip import Strip

from loupe_tui.core.overview import zoom_range
from loupe_tui.tui.widgets.draw import BG, DIM, GUTTER, WINDOW_BG, CachedLines, StripPainter, ViewState, column_range

SPARKS = np.array(list(" ▁▂▃▄▅▆▇█"))
#: The bands shown, in order, and their colours; then the EMG level.
BAND_COLORS = {"delta": (110, 160, 255), "theta": (250, 170, 80), "theta/delta": (240, 110, 200)}
EMG_COLOR = (120, 220, 140)
#: Gutter names that must be shorter than the band's.
SHORT = {"theta/delta": "th/delta"}


@dataclass(frozen=True)
class SparkSeries:
    """One row: a name for the gutter, the series (an ``EpochSeries``) and its colour."""

    name: str
    series: object
    color: tuple[int, int, int]


def spark_levels(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Per value the index into :data:`SPARKS`: 1 (``▁``) at ``lo`` and below, 8 (``█``) at ``hi`` and
    above, 0 (blank) for NaN."""
    v = np.asarray(values, np.float64)
    x = (v - lo) / (hi - lo) if hi > lo else np.zeros_like(v)
    out = 1 + np.clip(np.floor(np.nan_to_num(x, nan=0.0) * 8), 0, 7).astype(np.int64)
    out[np.isnan(v)] = 0
    return out


def spark_rows(spectrogram=None, emg=None, emg_name: str | None = None) -> list[SparkSeries]:
    """The rows to show: the bands of ``spectrogram`` (a Spectrogram) that it has, then the ``emg``
    level (an EmgLevel) named ``emg_name``."""
    out = []
    if spectrogram is not None:
        out += [SparkSeries(SHORT.get(b, b), spectrogram.bands[b], c) for b, c in BAND_COLORS.items()
                if b in spectrogram.bands]
    if emg is not None:
        out.append(SparkSeries(emg_name or "EMG", emg, EMG_COLOR))
    return out


class BandLines(CachedLines):
    """Sparklines of band power and the EMG level along the hypnogram."""

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self.rows: list[SparkSeries] = []
        self.zoomed = False
        self.message = "band power: waiting"
        self._view: ViewState | None = None
        self._painter = StripPainter()
        self._data_key = None
        self._texts: list[str] = []

    def set_rows(self, rows: list[SparkSeries]) -> None:
        self.rows = list(rows)
        self._data_key = None
        self.invalidate()

    def set_message(self, text: str) -> None:
        self.message = text
        self.invalidate()

    def rows_needed(self) -> int:
        return max(1, len(self.rows))

    def show(self, view: ViewState, zoomed: bool = False) -> None:
        """Draw the hypnogram's range (``zoomed`` or not) with ``view``'s window highlighted."""
        same = (self._view is not None and zoomed == self.zoomed and view.span == self._view.span
                and (view.t0, view.t1) == (self._view.t0, self._view.t1))
        self._view, self.zoomed = view, zoomed
        if not same:                       # a scored epoch or a moved cursor changes nothing here
            self.invalidate()

    def time_range(self) -> tuple[float, float]:
        v = self._view
        return zoom_range(v.span, v.t0, v.t1) if self.zoomed else (float(v.span[0]), float(v.span[1]))

    def _render_all(self) -> list[Strip]:
        width, height = self.size.width, self.size.height
        p = self._painter
        n = width - GUTTER
        blank = Strip.blank(width, p.style(bg=BG))
        if not self.rows or self._view is None or n < 4:
            out = [blank] * height
            if height:
                out[0] = p.strip(self.message, np.zeros(len(self.message), np.int64), [p.style(DIM, BG)], width,
                                 [p.gutter("", bg=BG)])
            return out
        lo, hi = self.time_range()
        texts = self._sparks(lo, hi, n)
        win = np.zeros(n, np.int64)
        a, b = column_range(self._view.t0, self._view.t1, lo, hi, n)
        win[a:b] = 1
        out = []
        for row, text in zip(self.rows[:height], texts):
            styles = [p.style(row.color, BG), p.style(row.color, WINDOW_BG)]
            out.append(p.strip(text, win, styles, width, [p.gutter(row.name, row.color, BG)]))
        return out + [blank] * (height - len(out))

    def _sparks(self, lo: float, hi: float, n: int) -> list[str]:
        key = (lo, hi, n, len(self.rows))
        if key != self._data_key:
            self._texts = ["".join(SPARKS[spark_levels(r.series.columns(lo, hi, n), *r.series.limits())].tolist())
                           for r in self.rows]
            self._data_key = key
        return self._texts
