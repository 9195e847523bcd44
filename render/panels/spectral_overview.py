"""The whole-recording spectrogram: a strip just above the hypnogram, the window marked on it.

Its columns line up with the hypnogram's (same x, same time range: the
whole recording, or the hypnogram's zoomed stretch), so a REM bout in the
hypnogram sits over its theta band here. It shows the first spectral entry
with a spectrogram, from the cached epochs (``Spectrogram.image``: the coarse
level when a column holds many epochs), coloured like the window's
spectrogram (the same colour map and limits). The current window is a
translucent region with edges, as on the hypnogram; the cursor a thin line.

Clicks map to recording time (``Clicked(panel="spectral_overview")``).

Options: ``spectral_overview`` ``{"visible": bool}`` (hidden, it gives its
height back to the video column).
"""

from __future__ import annotations

import numpy as np

from render.layout import Rect
from render.panels.base import Frame
from render.panels.hypnogram import NAME_W, WINDOW_EDGE_RGBA, WINDOW_RGBA
from render.prep.spectral import spectrum_rgba
from render.visuals.image import ImageQuad
from render.visuals.rects import Rects

CURSOR_RGBA = (255, 215, 0, 200)


class SpectralOverview:
    """The strip; ``panel`` (a :class:`~render.panels.spectrogram.SpectrogramPanel`) gives the data,
    colour map and limits, so both spectrograms always agree."""

    def __init__(self, panel=None):
        self.panel = panel
        self.rect: Rect | None = None
        self.bars: Rect | None = None
        self._image = ImageQuad()
        self._marks = Rects()
        self._bg = Rects()
        self._key: tuple | None = None
        self._texts: list[tuple[str, float, float]] = []
        self.view = (0.0, 1.0)

    @property
    def available(self) -> bool:
        """Whether the session has a spectrogram to show."""
        return self.panel is not None

    def set_rect(self, rect: Rect | None) -> None:
        self.rect = rect
        self.bars = None if rect is None else Rect(rect.x + NAME_W, rect.y + 2, rect.w - NAME_W - 4, rect.h - 4)

    def time_at(self, x: float) -> float | None:
        """Recording time under canvas pixel x (None outside the strip)."""
        if self.bars is None or not (self.bars.x <= x < self.bars.x1):
            return None
        a, b = self.view
        return a + (x - self.bars.x) / self.bars.w * (b - a)

    def update(self, frame: Frame, view: tuple[float, float]) -> None:
        """Colour the strip over ``view`` (the hypnogram's range) and mark the window."""
        if self.bars is None or self.panel is None:
            return
        self.view = a, b = view
        p = self.panel
        n_px, n_rows = max(int(self.bars.w), 1), max(int(self.bars.h), 1)
        key = (a, b, self.bars, p.cmap, p.limits_pct)
        if key != self._key:
            self._key = key
            img = p.sg.image(a, b, n_px)
            self._image.set_image(spectrum_rgba(img.on_rows(n_rows, p.fmin, p.fmax), p.limits, p.cmap))
            name = p.views.eeg_name or "EEG"
            self._texts = [(name, self.rect.x + 4, self.bars.y + self.bars.h / 2 - 5),
                           (f"{p.fmin:g}-{p.fmax:g} Hz", self.rect.x + 4, self.bars.y + self.bars.h / 2 + 6)]
        span = max(b - a, 1e-9)
        x0 = self.bars.x + (frame.t0 - a) / span * self.bars.w
        x1 = self.bars.x + (frame.t1 - a) / span * self.bars.w
        x0, x1 = max(x0, self.bars.x), min(max(x1, x0 + 2), self.bars.x1)
        y0, y1 = self.bars.y, self.bars.y1
        rects = [(x0, y0, x1, y1), (x0 - 0.5, y0, x0 + 0.5, y1), (x1 - 0.5, y0, x1 + 0.5, y1)]
        colors = [WINDOW_RGBA, WINDOW_EDGE_RGBA, WINDOW_EDGE_RGBA]
        cursor = frame.state.cursor
        if cursor is not None and a <= cursor <= b:
            xc = self.bars.x + (cursor - a) / span * self.bars.w
            rects.append((xc - 0.5, y0, xc + 0.5, y1))
            colors.append(CURSOR_RGBA)
        self._marks.set(np.array(rects, np.float32), np.array(colors, np.float32))
        self._bg.set(np.array([(self.rect.x, self.rect.y, self.rect.x1, self.rect.y1),
                               (self.bars.x, self.bars.y, self.bars.x1, self.bars.y1)], np.float32),
                     np.array([(24, 24, 30, 255), (14, 14, 18, 255)], np.float32))

    def draw(self, frame: Frame) -> None:
        if self.bars is None or self.panel is None:
            return
        frame.whole()
        self._bg.draw(frame.size)
        frame.viewport(self.bars)
        self._image.draw()
        frame.whole()
        self._marks.draw(frame.size)

    def texts(self) -> list[tuple[str, float, float]]:
        """The channel's name and the frequency range, left of the strip."""
        return self._texts if self.bars is not None and self.panel is not None else []
