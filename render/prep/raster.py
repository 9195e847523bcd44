"""Raster plots: the events of a window as ticks, or as a density image when they outnumber the cells.

One :class:`RasterIndex` per :class:`loupe_tui.io.events.RasterPanel` (one
``split_by`` subplot). It sorts the events by time once, so a window is two
``searchsorted`` calls. Rows come from the panel: row ``r`` is its ``r``-th
``order_by`` value (sorted), drawn top to bottom. Colours are the panel's:
``color`` > ``hue``/``palette`` > light grey, with ``alpha_by`` mapped onto
``alpha_range`` already in the alpha channel.

Each event is a vertical tick at its time, centred in its row, spanning
``event_height`` of the row height, ``thickness_px`` wide
(:meth:`RasterIndex.window`). When a window holds more events than
``n_rows * n_px`` cells (e.g. 24 h of 2 M spikes), :meth:`RasterIndex.density`
gives instead one RGBA value per (row, pixel column) cell, whose opacity
grows with the number of events in the cell (:func:`density_level`). It
costs O(cells x log events), whatever the number of events in the window:
the index also keeps the events in (row, time) order with running sums of
their opacity, so a cell's count and opacity sum are differences of two
``searchsorted`` results. (``window(..., decimate=True)`` keeps one tick per
cell instead; it costs a pass over the window's events and draws up to one
rectangle per cell, which is what made a 24 h frame slow.)

:func:`subplot_heights` sizes the subplots: Loupe's "Proportional Raster
Plots" (on by default) gives each subplot a height proportional to its row
count, so rows are equally tall in every subplot; off, subplots are equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

from loupe_tui.io.columns import column_borders

#: A cell is fully opaque (before ``brightness``) at this percentile of the window's non-empty cells.
FULL_PERCENTILE = 99.0


@dataclass(frozen=True, eq=False)
class RasterFrame:
    """The ticks of one window of one raster subplot, in pixel coordinates.

    Attributes
    ----------
    t : ndarray
        ``(m,)`` float64 event times, increasing.
    x : ndarray
        ``(m,)`` float32 pixels from the left edge (``t0`` -> 0, ``t1`` -> ``n_px``).
    row : ndarray
        ``(m,)`` int32 display row (0 = top).
    y0, y1 : ndarray
        ``(m,)`` float32 top and bottom of each tick, pixels from the top.
    rgba : ndarray
        ``(m, 4)`` uint8 colour (``brightness`` applied).
    thickness_px : float
        Line width to draw with.
    n_in_window : int
        Events in the window before decimation.
    decimated : bool
        Whether the (row, column) decimation was applied.
    """

    t: np.ndarray
    x: np.ndarray
    row: np.ndarray
    y0: np.ndarray
    y1: np.ndarray
    rgba: np.ndarray
    thickness_px: float
    n_in_window: int
    decimated: bool

    def __len__(self) -> int:
        return len(self.t)

    def vertices(self) -> np.ndarray:
        """``(2m, 2)`` float32 ``(x, y)`` pairs, top then bottom of each tick, for ``GL_LINES``."""
        v = np.empty((2 * len(self.t), 2), np.float32)
        v[0::2, 0] = self.x
        v[1::2, 0] = self.x
        v[0::2, 1] = self.y0
        v[1::2, 1] = self.y1
        return v

    def vertex_colors(self) -> np.ndarray:
        """``(2m, 4)`` uint8: each tick's colour for both of its vertices."""
        return np.repeat(self.rgba, 2, axis=0)


@dataclass(frozen=True, eq=False)
class RasterDensity:
    """One window of one raster subplot as cells: one RGBA value per (row, pixel column).

    Cell ``(r, j)`` holds the events of row ``r`` in pixel column ``j``,
    ``[t0 + j * w, t0 + (j + 1) * w)`` with ``w = (t1 - t0) / n_px`` (the
    columns of :func:`loupe_tui.io.columns.column_borders`).

    Attributes
    ----------
    rgba : ndarray
        ``(n_rows, n_px, 4)`` uint8, row 0 at the top: the events' colour
        (their opacity-weighted mean when a row mixes colours) and an opacity
        from :func:`density_level`, both times ``brightness`` (clipped).
        Cells without events are transparent.
    counts : ndarray
        ``(n_rows, n_px)`` int64 events per cell.
    weights : ndarray
        ``(n_rows, n_px)`` float64 sum of the events' opacities (0-1 each):
        what a cell's brightness follows, so ``alpha_by`` still fades weak events.
    full : float
        The weight drawn fully opaque (before ``brightness``): the
        ``FULL_PERCENTILE`` of the non-empty cells' weights, at least 1.
    n_in_window : int
        Events in the window.
    """

    rgba: np.ndarray
    counts: np.ndarray
    weights: np.ndarray
    full: float
    n_in_window: int


def density_level(weights: np.ndarray, full: float) -> np.ndarray:
    """Opacity (0-1) of cells whose events' opacities sum to ``weights``.

    ``log1p(weights) / log1p(full)``, clipped to 1: a cell holding one fully
    opaque event next to cells of a hundred is still visible, and busier
    cells are brighter. With ``full = 1`` a cell of one event of opacity
    ``a`` gets about ``a`` (``log1p(a) / log 2``), close to its tick.
    """
    return np.minimum(np.log1p(np.asarray(weights, np.float64)) / np.log1p(max(float(full), 1.0)), 1.0)


class RasterIndex:
    """Time-sorted events of one raster subplot, ready for window queries.

    Parameters
    ----------
    panel : RasterPanel
        From :meth:`loupe_tui.config.RasterConfig.panels`.
    """

    def __init__(self, panel: Any):
        self.key, self.title = panel.key, panel.title
        self.row_labels = list(panel.row_labels)
        times = np.asarray(panel.times, dtype=np.float64)
        order = np.argsort(times, kind="stable")
        self.times = np.ascontiguousarray(times[order])
        self.rows = np.ascontiguousarray(np.asarray(panel.rows, dtype=np.int32)[order])
        self.rgba = np.ascontiguousarray(np.asarray(panel.colors, dtype=np.uint8)[order])
        self._alpha = np.ascontiguousarray(self.rgba[:, 3])
        for a in (self.times, self.rows, self.rgba):
            a.flags.writeable = False  # window results may be views of these
        self._build_cells()

    def _build_cells(self) -> None:
        """The (row, time) order behind :meth:`density`: sort keys and running opacity sums.

        An event's key is ``row * n + p``, ``p`` its place in the time order:
        increasing along rows, then times, exact (no float arithmetic), so
        "events of row ``r`` before time ``t``" is one ``searchsorted`` of
        ``r * n + searchsorted(times, t)``. 8 bytes an event for up to 16 M
        events of up to ``2**31 / n`` rows (16 above that).
        """
        n = self.n_events
        by_row = np.argsort(self.rows, kind="stable")  # stable: time order kept within a row
        rows = self.rows[by_row].astype(np.int64)
        top = max(int(rows[-1]) + 1 if n else 0, self.n_rows) + 1
        kdt = np.int32 if top * max(n, 1) < 2**31 else np.int64
        self._keys = (rows * n + by_row).astype(kdt)
        alpha = self._alpha[by_row]
        cdt = np.uint32 if n * 255 < 2**32 else np.uint64
        self._cum_alpha = np.concatenate([np.zeros(1, cdt), np.cumsum(alpha, dtype=cdt)])
        rgb = self.rgba[by_row, :3]
        changes = (rgb[1:] != rgb[:-1]).any(axis=1) & (rows[1:] == rows[:-1])
        self._row_rgb = np.zeros((self.n_rows, 3), np.uint8)
        self._cum_rgb = None
        if changes.any():  # some row mixes colours: running sums of opacity-weighted colour
            w = rgb.astype(np.uint64) * alpha[:, None]
            self._cum_rgb = np.concatenate([np.zeros((1, 3), np.uint64), np.cumsum(w, axis=0, dtype=np.uint64)])
        elif n:
            first = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
            inside = rows[first] < self.n_rows
            self._row_rgb[rows[first][inside]] = rgb[first][inside]

    @property
    def n_rows(self) -> int:
        return len(self.row_labels)

    @property
    def n_events(self) -> int:
        return len(self.times)

    def wants_density(self, t0: float, t1: float, n_px: int) -> bool:
        """Whether ``[t0, t1)`` holds more events than the ``n_rows * n_px`` cells (draw :meth:`density`)."""
        i, j = self.span(t0, t1)
        return j - i > self.n_rows * int(n_px)

    def density(self, t0: float, t1: float, n_px: int, *, brightness: float = 1.0) -> RasterDensity:
        """The cells of ``[t0, t1)`` drawn ``n_px`` wide: counts, opacity sums and their RGBA.

        Parameters
        ----------
        t0, t1 : float
            Window (seconds, half-open).
        n_px : int
            Pixel columns of the subplot.
        brightness : float
            Factor (>= 0) on the colour and opacity of every cell (clipped to 255).

        Returns
        -------
        RasterDensity
        """
        borders = column_borders(t0, t1, n_px)
        if brightness < 0:
            raise ValueError("brightness must be >= 0")
        n, n_rows, n_px = self.n_events, self.n_rows, int(n_px)
        before = np.searchsorted(self.times, borders, side="left")  # events before each border
        query = np.arange(n_rows, dtype=np.int64)[:, None] * n + before[None, :]
        at = np.searchsorted(self._keys, query.astype(self._keys.dtype).ravel(), side="left").reshape(query.shape)
        counts = np.diff(at, axis=1)
        cum = self._cum_alpha[at]
        alpha_sums = (cum[:, 1:] - cum[:, :-1]).astype(np.float64)  # exact: integers below 2**53
        weights = alpha_sums / 255.0
        busy = weights[weights > 0]
        full = max(float(np.percentile(busy, FULL_PERCENTILE)), 1.0) if busy.size else 1.0
        level = density_level(weights, full)
        rgba = np.zeros((n_rows, n_px, 4), np.uint8)
        if self._cum_rgb is None:
            rgb = np.broadcast_to(self._row_rgb[:, None, :].astype(np.float32), (n_rows, n_px, 3))
        else:
            c = self._cum_rgb[at]
            sums = (c[:, 1:] - c[:, :-1]).astype(np.float64)
            rgb = sums / np.maximum(alpha_sums, 1.0)[..., None]
        b = np.float32(brightness)
        rgba[..., :3] = np.clip(np.round(rgb * b), 0, 255)
        rgba[..., 3] = np.clip(np.round(level * (255.0 * b)), 0, 255)
        rgba[counts == 0] = 0
        return RasterDensity(rgba=rgba, counts=counts, weights=weights, full=full,
                             n_in_window=int(before[-1] - before[0]))

    def span(self, t0: float, t1: float) -> tuple[int, int]:
        """Index range ``[i, j)`` of the sorted events with ``t0 <= t < t1``."""
        i, j = np.searchsorted(self.times, [float(t0), float(t1)], side="left")
        return int(i), int(j)

    def window(self, t0: float, t1: float, n_px: int, height_px: float, *, event_height: float = 0.8,
               brightness: float = 1.0, thickness_px: float = 1.0, decimate: bool | None = None) -> RasterFrame:
        """The ticks of ``[t0, t1)`` drawn ``n_px`` wide and ``height_px`` tall.

        Parameters
        ----------
        t0, t1 : float
            Window (seconds, half-open); events outside are left out.
        n_px : int
            Pixel columns of the subplot.
        height_px : float
            Pixel height of the subplot; each row is ``height_px / n_rows``.
        event_height : float
            Fraction (0-1] of the row height a tick spans, centred in the row.
        brightness : float
            Factor (>= 0) on the colour and opacity of every tick (clipped to 255).
        thickness_px : float
            Line width, passed through to :attr:`RasterFrame.thickness_px`.
        decimate : bool or None
            Keep one event per (row, pixel column): None (default) when the
            window holds more than ``n_rows * n_px`` events, True always, False never.
        """
        t0, t1, n_px = float(t0), float(t1), int(n_px)
        if not t1 > t0 or n_px < 1 or not height_px > 0:
            raise ValueError("window needs t1 > t0, n_px >= 1 and height_px > 0, "
                             f"got [{t0}, {t1}), {n_px}, {height_px}")
        if not 0 < event_height <= 1 or brightness < 0 or thickness_px <= 0:
            raise ValueError("event_height must be in (0, 1], brightness >= 0 and thickness_px > 0")
        i, j = self.span(t0, t1)
        n_in = j - i
        do = n_in > self.n_rows * n_px if decimate is None else bool(decimate)
        if do and n_in:
            best = np.full(self.n_rows * n_px, -1, np.int32)
            _best_per_cell(self.times[i:j], self.rows[i:j], self._alpha[i:j], t0, n_px / (t1 - t0), n_px, best)
            sel = best[best >= 0]
            sel.sort()
            sel += i
        else:
            sel = slice(i, j)
        t, rows, rgba = self.times[sel], self.rows[sel], self.rgba[sel]
        if brightness != 1.0:
            rgba = np.clip(rgba.astype(np.float32) * np.float32(brightness), 0, 255).round().astype(np.uint8)
        else:
            rgba = rgba.copy()
        row_h = float(height_px) / max(self.n_rows, 1)
        mid = (rows.astype(np.float32) + np.float32(0.5)) * np.float32(row_h)
        half = np.float32(0.5 * event_height * row_h)
        x = ((t - t0) * (n_px / (t1 - t0))).astype(np.float32)
        return RasterFrame(t=t, x=x, row=rows, y0=mid - half, y1=mid + half, rgba=rgba,
                           thickness_px=float(thickness_px), n_in_window=n_in, decimated=bool(do and n_in))


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _best_per_cell(t, rows, alpha, t0, scale, n_px, best):
    """``best[row * n_px + column]`` = index (into ``t``) of the first event of highest alpha in that cell."""
    for i in range(t.shape[0]):
        c = int((t[i] - t0) * scale)
        if c < 0:
            c = 0
        elif c >= n_px:
            c = n_px - 1
        k = rows[i] * n_px + c
        b = best[k]
        if b < 0 or alpha[i] > alpha[b]:
            best[k] = i


def raster_indexes(config: Any) -> list[RasterIndex]:
    """One :class:`RasterIndex` per subplot of a :class:`loupe_tui.config.RasterConfig`, in subplot order."""
    return [RasterIndex(p) for p in config.panels()]


def subplot_heights(row_counts: Sequence[int], total_px: int, proportional: bool = True, gap_px: int = 0
                    ) -> np.ndarray:
    """Pixel height of each raster subplot.

    Parameters
    ----------
    row_counts : rows of each subplot (``RasterIndex.n_rows``).
    total_px : pixels for all subplots together, gaps included.
    proportional : Loupe's "Proportional Raster Plots": heights proportional
        to the row counts (every row equally tall); False: equal heights.
    gap_px : pixels between consecutive subplots.

    Returns
    -------
    ndarray
        int64 heights summing to ``total_px - gap_px * (n - 1)`` (largest
        remainders get the spare pixels; every subplot gets at least 1 px
        when there is room).
    """
    counts = np.asarray(row_counts, dtype=np.float64)
    n = len(counts)
    if n == 0:
        return np.zeros(0, np.int64)
    avail = max(int(total_px) - int(gap_px) * (n - 1), 0)
    weights = np.maximum(counts, 1.0) if proportional else np.ones(n)
    ideal = avail * weights / weights.sum()
    out = np.floor(ideal).astype(np.int64)
    spare = avail - int(out.sum())
    if spare > 0:
        out[np.argsort(-(ideal - out), kind="stable")[:spare]] += 1
    if avail >= n:  # a subplot too small to see still gets a pixel, from the tallest
        for i in np.flatnonzero(out == 0):
            out[np.argmax(out)] -= 1
            out[i] = 1
    return out
