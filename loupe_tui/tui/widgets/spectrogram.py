"""A spectrogram in half-block cells: the window's, or the whole recording's beside the hypnogram.

``kind="page"`` draws the window ``[t0, t1)`` over the trace preview's
columns (the same gutter and time per column), with the cursor's column
marked; its fine columns come from :class:`~loupe_tui.tui.spectral_pages.PageImages`
without blocking a key. ``kind="overview"`` draws the hypnogram's range (the
whole recording, or the zoomed stretch by :func:`loupe_tui.core.overview.zoom_range`)
over the hypnogram's columns, with the window's columns marked. Frequencies
rise upwards; the colour limits it is given are percentiles of the whole
recording (``Spectrogram.limits``, computed off the UI thread by the screen's
:class:`~loupe_tui.tui.spectral_panels.SpectralPanels`), so paging never
changes what a colour means.
The widget never reads the session: the screen calls :meth:`show`. Only
what changed is repainted: a cursor or window that moves within the same
image repaints the top row (its marker) alone.
"""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from loupe_tui.core.overview import zoom_range
from loupe_tui.tui.spectral_pages import PageImages
from loupe_tui.tui.widgets.draw import BG, DIM, GUTTER, StripPainter, ViewState, column_of, column_range
from loupe_tui.tui.widgets.halfblock import HalfBlockPainter, color_table, to_levels

NAME = (200, 200, 215)


class SpectrogramView(Widget):
    """The window's (``kind="page"``) or the recording's (``kind="overview"``) spectrogram."""

    class PageReady(Message):
        """A fine page that was late is computed (posted from the page thread)."""

        def __init__(self, key: tuple):
            super().__init__()
            self.key = key

    class Problem(Message):
        """A page could not be computed (one line for the status bar)."""

        def __init__(self, text: str):
            super().__init__()
            self.text = text

    def __init__(self, kind: str, *, id: str | None = None):
        super().__init__(id=id)
        if kind not in ("page", "overview"):
            raise ValueError(f"kind must be 'page' or 'overview', got {kind!r}")
        self.kind = kind
        self.message = "spectrogram: waiting"
        self.zoomed = False
        self.limits: tuple[float, float] | None = None     # colour limits (log10 density); None: not known yet
        self.spectrogram = None            # a loupe_tui.io.spectral.cache.Spectrogram
        self.name_shown = ""
        self._pages: PageImages | None = None
        self._painter: HalfBlockPainter | None = None
        self._text = StripPainter()
        self._view: ViewState | None = None
        self._levels: np.ndarray | None = None
        self._levels_key = None
        self._late = None                  # the key of a fine page still being computed
        self._reported: str | None = None
        self._lines: list[Strip] = []      # what was drawn, for the key and marks below
        self._lines_key = None
        self._marks_key = None
        self._wanted = None                # (size, key, marks) as of the last show()

    # -- inputs ---------------------------------------------------------------
    def set_spectrogram(self, spectrogram, name: str, cmap: str = "viridis") -> None:
        """Draw ``spectrogram`` (None: only :attr:`message`) named ``name``, through colour map ``cmap``."""
        if self._pages is not None:
            self._pages.close()
        self.spectrogram, self.name_shown = spectrogram, name
        self._painter = HalfBlockPainter(color_table(cmap), BG)
        self._pages = (PageImages(spectrogram, lambda key: self.post_message(self.PageReady(key)))
                       if spectrogram is not None and self.kind == "page" else None)
        self._levels_key = self._lines_key = self._wanted = None
        self.refresh()

    def set_message(self, text: str) -> None:
        self.message = text
        self._lines_key = self._wanted = None
        self.refresh()

    def show(self, view: ViewState, zoomed: bool = False, limits: tuple[float, float] | None = None) -> None:
        """Draw ``view``'s window (page) or the hypnogram's range (overview, ``zoomed`` or not) between
        colour ``limits`` (None: only :attr:`message`, until they are known)."""
        self._view, self.zoomed, self.limits = view, zoomed, limits
        self._wanted = None
        size, key, marks = self._wants()
        if key != self._lines_key:
            self.refresh()
        elif marks.tobytes() != self._marks_key:
            self.refresh(Region(0, 0, size[0], 1))

    def on_unmount(self) -> None:
        if self._pages is not None:
            self._pages.close()

    def on_spectrogram_view_page_ready(self, event: PageReady) -> None:
        event.stop()
        if self._pages is not None and self._pages.error and self._pages.error != self._reported:
            self._reported = self._pages.error
            self.post_message(self.Problem(self._pages.error))
        if event.key == self._late:
            self._levels_key = self._lines_key = None
            self.refresh()

    # -- drawing --------------------------------------------------------------
    def time_range(self) -> tuple[float, float]:
        """The times the columns cover: the window, or the hypnogram's range."""
        v = self._view
        if self.kind == "page":
            return v.t0, v.t1
        return zoom_range(v.span, v.t0, v.t1) if self.zoomed else (float(v.span[0]), float(v.span[1]))

    def _drawable(self) -> bool:
        return (self.spectrogram is not None and self._view is not None and self.limits is not None
                and self.size.width - GUTTER >= 4)

    def _key(self):
        """What the image depends on (not the marks)."""
        size = (self.size.width, self.size.height)
        if not self._drawable():
            return (size, self.message, self.name_shown)
        return (size, self.time_range(), self.limits, id(self.spectrogram))

    def _wants(self) -> tuple:
        """``(size, key, marks)`` for the present size and inputs (kept until either changes)."""
        size = (self.size.width, self.size.height)
        if self._wanted is None or self._wanted[0] != size:
            self._wanted = (size, self._key(), self._marks())
        return self._wanted

    def render_line(self, y: int) -> Strip:
        (width, height), key, marks = self._wants()
        if key != self._lines_key:
            self._lines, self._lines_key, self._marks_key = self._draw(width, height, marks), key, marks.tobytes()
        elif marks.tobytes() != self._marks_key:           # the top row alone: its marker moved
            self._lines[0] = self._painter.rows(self._levels[:2], width, self._gutters(height)[:1], marks)[0]
            self._marks_key = marks.tobytes()
        return self._lines[y] if y < len(self._lines) else Strip.blank(width)

    def _draw(self, width: int, height: int, marks: np.ndarray) -> list[Strip]:
        if not self._drawable() or height < 1:
            blank = Strip.blank(width, self._text.style(bg=BG))
            out = [blank] * height
            if height:
                out[0] = Strip([self._text.gutter(self.name_shown, NAME, BG),
                                Segment(self.message, self._text.style(DIM, BG))]).adjust_cell_length(width)
            return out
        t0, t1 = self.time_range()
        levels = self._image(t0, t1, width - GUTTER, height)
        return self._painter.rows(levels, width, self._gutters(height), marks)

    def _image(self, t0: float, t1: float, n: int, height: int) -> np.ndarray:
        key = (t0, t1, n, height, self.limits)
        if key == self._levels_key:
            return self._levels
        spec = self.spectrogram
        if self._pages is not None:
            img, fine = self._pages.image(t0, t1, n)
            self._late = None if fine else (float(t0), float(t1), int(n))
        else:
            img = spec.image(t0, t1, n)
        p = spec.params
        rows = img.on_rows(2 * height, p.fmin, p.fmax)[::-1]        # row 0 at the top: the highest frequency
        if img.n_cols != n:                                        # a fine page has its own column count
            rows = rows[:, ((np.arange(n) + 0.5) * img.n_cols / n).astype(np.int64)]
        self._levels, self._levels_key = to_levels(rows, *self.limits), key
        return self._levels

    def _marks(self) -> np.ndarray:
        """Columns of the top row that show a marker: the cursor's (page), the window's ends (overview)."""
        if not self._drawable():
            return np.zeros(0, bool)
        n, v = self.size.width - GUTTER, self._view
        marks = np.zeros(n, bool)
        t0, t1 = self.time_range()
        if self.kind == "page":
            c = column_of(v.cursor, t0, t1, n)
            if 0 <= c < n:
                marks[c] = True
            return marks
        a, b = column_range(v.t0, v.t1, t0, t1, n)
        if b > a:
            marks[[a, b - 1]] = True
        return marks

    def _gutters(self, height: int) -> list[Segment]:
        p, params = self._text, self.spectrogram.params
        texts = [""] * height
        texts[0] = self.name_shown
        if height == 2:
            texts[1] = f"{params.fmin:g}-{params.fmax:g}Hz"
        elif height >= 3:
            texts[1], texts[-1] = f" {params.fmax:g} Hz", f" {params.fmin:g} Hz"
        return [p.gutter(t, NAME if r == 0 else DIM, BG) for r, t in enumerate(texts)]
