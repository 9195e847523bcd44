"""The window's spectrogram: time on x (the trace panels' x), frequency on y (``fmin`` at the bottom).

The image is :meth:`Spectrogram.page` of the window (fine columns computed
from the samples for short windows, the cached epochs otherwise), one row
per pixel row, coloured through the config's colour map between limits
taken as percentiles of the whole recording (``Spectrogram.limits``: stable
while paging; YASA's 2.5/97.5 by default). Columns without an estimate
(outside the recording, a gap, NaN samples) are transparent: background.
A frequency scale (round Hz ticks) sits at the right of the name gutter.
Label shading does not tint it (the thin state band goes above it, as
above heatmaps).

A page is fetched on a thread (:class:`~render.prep.spectral.PageFetcher`):
a cached or prefetched page (``Spectrogram.page`` computes the pages before
and after the one shown while the scorer reads it) is there within
``WAIT_S``; a page computed from scratch (a short window's fine columns read
and transform about 12 s of samples, 20-30 ms) would hold up the flip, so the
frame shows the window's cached epochs meanwhile and the fine page is drawn
as soon as it is ready (:meth:`SpectrogramPanel.poll`). The first frame of a
session and snapshots wait for it.

Options (target ``spectrogram``, ``spectrogram:<k>`` or ``panel:<i>``):
``{"visible": bool}`` (a hidden panel gives its height back to the others),
``{"limits_pct": [lo, hi]}`` (colour limits, percentiles 0-100),
``{"cmap": name}`` (any name of :data:`loupe_tui.colormaps.CMAP_NAMES`).
"""

from __future__ import annotations

import sys

import numpy as np

from loupe_tui.errors import LoupeConfigError
from loupe_tui.io.spectral.cache import FINE_BELOW, SpectrumImage
from render.panels.base import GUTTER_TEXT_X, LINE_PX, SCALE_RGBA, Frame, Panel, fit_gutter, spread
from loupe_tui.colormaps import lut
from render.prep.spectral import (
    LIMIT_PCT, MAX_ROWS, PageFetcher, check_limits_pct, freq_label, freq_ticks, spectrum_rgba,
)
from render.visuals.image import ImageQuad
from render.visuals.rects import Rects

OPTIONS = ("visible", "limits_pct", "cmap")
TICK_PX = 4.0          # tick marks, left of the data
TICK_TEXT_DX = 6.0     # labels end this far left of the data
TICK_ROOM_PX = 22.0    # what the tick labels take from the gutter's names
#: How long a frame waits for its page (a cached one takes well under a millisecond)...
WAIT_S = 0.004
#: ... and the first frame of a session (it opens with the finished picture).
FIRST_WAIT_S = 2.0
#: Columns of the cached epochs that stand in for a page being computed (a short window holds a few).
STAND_IN_COLUMNS = 128


class SpectrogramPanel(Panel):
    """The spectrogram of one spectral entry (``OpenPanel.spectral``)."""

    kind = "spectrogram"
    #: (share of the plot height, minimum height) when shown.
    WEIGHT = (2.5, 60.0)

    def __init__(self, op, index, state):
        super().__init__(op, index, state)
        self.views = op.spectral
        self.sg = self.views.spectrogram
        p = self.sg.params
        top = float(self.sg.freqs[-1]) if len(self.sg.freqs) else p.fmax
        self.fmin, self.fmax = float(p.fmin), float(min(p.fmax, max(top, p.fmin + 1e-6)))
        self.visible = True
        self.limits_pct = LIMIT_PCT
        self.cmap = str(self.spec.get("cmap") or "viridis")
        self._image = ImageQuad()
        self._chrome = Rects()
        self._rows: np.ndarray | None = None
        self._n_rows = 1
        self._window: tuple | None = None
        self._shown: tuple | None = None     # (t0, t1, n_px, n_rows) of the rows in the texture
        self._pages = PageFetcher(lambda key: self.sg.page(*key))
        self._pending: tuple | None = None   # the page being fetched while the epochs stand in
        self._wait_s = FIRST_WAIT_S

    # -- layout and options ------------------------------------------------------
    def weight(self):
        return self.WEIGHT if self.visible else (0.0, 0.0)

    @property
    def shaded(self) -> bool:
        return False

    def targets(self):
        return [*super().targets(), "spectrogram", f"spectrogram:{self.ordinal}"]

    def target_at(self, x, y):
        return f"spectrogram:{self.ordinal}"

    def set_option(self, target, options):
        """Raises ValueError (and changes nothing) for a bad ``limits_pct`` or ``cmap``."""
        unknown = [k for k in options if k not in OPTIONS]
        pct = check_limits_pct(options["limits_pct"]) if "limits_pct" in options else self.limits_pct
        if "cmap" in options:
            if not isinstance(options["cmap"], str):
                raise ValueError(f"cmap: needs a colour map name, got {options['cmap']!r}")
            try:
                lut(options["cmap"])
            except LoupeConfigError as exc:
                raise ValueError(str(exc)) from None
        self.limits_pct = pct
        self.cmap = str(options.get("cmap", self.cmap))
        if "visible" in options:
            self.visible = bool(options["visible"])
        if self._rows is not None and ("limits_pct" in options or "cmap" in options):
            self._recolor()
        return unknown

    @property
    def limits(self) -> tuple[float, float]:
        """The colour limits (log10 density) of the current ``limits_pct``."""
        return self.sg.limits(*self.limits_pct)

    # -- data ------------------------------------------------------------------------
    def update(self, t0, t1, n_px):
        self._window = (t0, t1, n_px)
        if not self.visible:
            return   # a hidden spectrogram computes nothing; showing it again lays out and updates
        n_rows = int(min(max(self.data.h, 1), MAX_ROWS))
        key = (t0, t1, n_px, n_rows)
        if key == self._shown:
            return
        self._shown, self._n_rows, self._pending = key, n_rows, None
        wait, self._wait_s = self._wait_s, WAIT_S
        if (t1 - t0) / self.sg.step_s >= FINE_BELOW:     # the cached epochs: a millisecond or two
            self._set_image(self.sg.page(t0, t1, n_px))
            return
        ready = self.sg.cached_page(t0, t1, n_px)     # prefetched: no hop through the page thread
        if ready is not None:
            self._set_image(ready)
            self.sg.prefetch_around(t0, t1, n_px)
            return
        page = self._pages.get((t0, t1, n_px), wait)
        if isinstance(page, SpectrumImage):
            self._set_image(page)
        else:                          # not ready (or failed): the cached epochs meanwhile
            self._pending = None if isinstance(page, Exception) else (t0, t1, n_px)
            self._set_image(self.sg.image(t0, t1, min(n_px, STAND_IN_COLUMNS)))
            if isinstance(page, Exception):
                print(f"spectrogram page {t0:g}-{t1:g} s: {type(page).__name__}: {page}", file=sys.stderr)

    def pending(self) -> bool:
        return self._pending is not None

    def poll(self) -> bool:
        if self._pending is None:
            return False
        page = self._pages.take(self._pending)
        if page is None:
            return False
        self._pending = None
        if isinstance(page, Exception):       # the epochs stay; the log says why
            print(f"spectrogram page: {type(page).__name__}: {page}", file=sys.stderr)
            return False
        self._set_image(page)
        return True

    def settle(self, timeout: float) -> None:
        if self._pending is not None:
            self._pages.get(self._pending, timeout)

    def _set_image(self, img: SpectrumImage) -> None:
        self._rows = img.on_rows(self._n_rows, self.fmin, self.fmax)
        self._recolor()

    def _recolor(self) -> None:
        self._image.set_image(spectrum_rgba(self._rows, self.limits, self.cmap))

    def y_of(self, f) -> np.ndarray:
        """Canvas pixel y of frequencies ``f`` (``fmin`` at the bottom of the data)."""
        d = self.data
        return d.y1 - (np.asarray(f, np.float64) - self.fmin) / (self.fmax - self.fmin) * d.h

    def _ticks(self) -> tuple[np.ndarray, np.ndarray]:
        fs = freq_ticks(self.fmin, self.fmax, self.data.h)
        ys = self.y_of(fs)
        keep = (ys >= self.data.y + 4) & (ys <= self.data.y1 - 1)   # no label cut at the top
        return fs[keep], ys[keep]

    # -- drawing -----------------------------------------------------------------------
    def draw(self, frame: Frame) -> None:
        if not self.visible or self.data.h < 1:
            return
        self.draw_focus_bar(frame)
        size = frame.viewport(self.rect)
        _, ys = self._ticks()
        gx = self.data.x - self.rect.x
        ys = ys - self.rect.y
        rects = np.stack([np.full_like(ys, gx - TICK_PX), ys - 0.5, np.full_like(ys, gx), ys + 0.5], -1)
        self._chrome.set(rects.reshape(-1, 4), SCALE_RGBA)
        self._chrome.draw(size)
        frame.viewport(self.data)
        self._image.draw()

    def texts(self):
        if not self.visible or self.data.h < 1:
            return []
        p = self.sg.params
        room = self.gutter_room - TICK_ROOM_PX
        lines = [self.views.eeg_name or "EEG", "spectrogram", f"{self.fmin:g}-{self.fmax:g} Hz", p.method]
        n = max(1, min(len(lines), int((self.data.h - 2) // LINE_PX)))
        return [(fit_gutter(s, room), GUTTER_TEXT_X, self.data.y + 8 + k * LINE_PX) for k, s in enumerate(lines[:n])]

    def scale_texts(self):
        if not self.visible or self.data.h < 1:
            return []
        fs, ys = self._ticks()
        keep = spread(ys, LINE_PX - 2)
        x = self.data.x - TICK_TEXT_DX
        return [(freq_label(fs[i]), x, ys[i]) for i in keep]
