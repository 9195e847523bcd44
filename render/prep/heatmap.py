"""Heatmap images: per-pixel-column decimation along time, then colour through a LUT.

One :class:`HeatmapRenderer` per :class:`loupe_tui.config.HeatmapPanel`. For a
window ``[t0, t1)`` in ``n_px`` columns it returns an RGBA uint8 image
``(n_rows, n_px, 4)``, row 0 = the panel's top row (first in ``order_by``
order). Every query costs O(n_rows * n_px), whatever the window length:

* fewer than 1 sample per column (zoomed in): each column shows the sample
  covering its centre (imshow look, sample ``i`` lasts until sample ``i + 1``);
* 1 to 4 samples per column: the samples are read and reduced per column;
* more: a pyramid level is reduced, at most 8 bins per column:
  ``"peak"`` from the min/max pyramid of :mod:`loupe_tui.io.pyramid`,
  ``"mean"`` from :class:`loupe_tui.io.mean_pyramid.MeanPyramid`.

``"peak"`` is Loupe's "max-absolute per bin, preserves transients": the
sample of largest magnitude, sign kept (``max(|min|, |max|)``; a tie takes
the max). ``"mean"`` averages the non-NaN samples. A column whose samples are
all NaN gets the NaN colour; a column with no sample at all (outside the
recording, a gap of an irregular time axis) is transparent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from loupe_tui.io.columns import column_borders, column_starts, reduce_mean, samples_per_column
from loupe_tui.io.mean_pyramid import MeanPyramid
from loupe_tui.io.minmax import BIN0
from loupe_tui.io.pyramid import Pyramid
from render.prep._columns import hold_indices, peak_of, reduce_peak
from loupe_tui.colormaps import TRANSPARENT, lut, map_values

DECIM_METHODS = ("peak", "mean")
Progress = Callable[[float, str], None]


@dataclass(frozen=True, eq=False)
class HeatmapValues:
    """Decimated values of one window, before colouring.

    Attributes
    ----------
    values : ndarray
        ``(n_rows, n_px)`` float32; NaN where the column's samples are all NaN
        (or the column is not ``valid``).
    valid : ndarray
        ``(n_px,)`` bool: the column holds data (drawn) or not (transparent).
    method : str
        ``"peak"`` or ``"mean"``.
    mode : str
        ``"hold"`` (< 1 sample per column), ``"samples"`` (1-4, read from the
        source) or ``"pyramid"``.
    level : int
        Pyramid level used, ``-1`` otherwise.
    spans : ndarray
        ``(n_px, 2)`` int64: column ``j`` shows samples ``[spans[j, 0], spans[j, 1])``
        (one sample in hold mode; borders rounded to the level's bins in
        pyramid mode, at most half a pixel off); ``[0, 0)`` when not valid.
    """

    values: np.ndarray
    valid: np.ndarray
    method: str
    mode: str
    level: int
    spans: np.ndarray


class HeatmapRenderer:
    """Images of one heatmap subplot for any window.

    Parameters
    ----------
    panel : HeatmapPanel
        From :meth:`loupe_tui.config.HeatmapConfig.panels` (its ``source``
        lists the rows in ``order_by`` order; ``cmap``, ``vmin``/``vmax``
        (1-99 percentile unless given) and ``decim_method`` are the defaults).
    rows : sequence of int, optional
        Source channels to show, top to bottom (default: all, in order).
    pyramid, means : Pyramid, MeanPyramid, optional
        Already opened pyramids of ``panel.source``; otherwise opened (or
        built, which can take seconds on big data: call :meth:`prepare` in a
        worker first) on the first query that needs them.
    cache_dir : path, optional
        Pyramid cache directory (default :func:`loupe_tui.io.pyramid.default_cache_dir`).
    nan_color : colour, optional
        Colour of all-NaN columns (default :data:`loupe_tui.colormaps.DEFAULT_NAN_RGBA`).

    Attributes ``cmap``, ``vmin``, ``vmax``, ``decim_method`` may be changed
    at run time (the Heatmap Plot Controls); queries use the current values.
    """

    def __init__(self, panel: Any, rows: Sequence[int] | None = None, *, pyramid: Pyramid | None = None,
                 means: MeanPyramid | None = None, cache_dir: str | Path | None = None, nan_color: object = None):
        self.panel = panel
        self.source = panel.source
        n_ch = self.source.n_channels
        self.rows = np.arange(n_ch, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
        if self.rows.ndim != 1 or (self.rows.size and (self.rows.min() < 0 or self.rows.max() >= n_ch)):
            raise ValueError(f"rows must be channel indices 0-{n_ch - 1}, got {rows!r}")
        self.cmap, self.vmin, self.vmax = panel.cmap, float(panel.vmin), float(panel.vmax)
        self.decim_method = panel.decim_method
        self.nan_color = nan_color
        self._pyramid, self._means, self._cache_dir = pyramid, means, cache_dir
        self._last_values: tuple[tuple, HeatmapValues] | None = None
        self._last_image: tuple[tuple, np.ndarray] | None = None

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def row_names(self) -> list[str]:
        """Name of each displayed row, top to bottom."""
        return [self.source.names[i] for i in self.rows]

    def prepare(self, methods: Sequence[str] = DECIM_METHODS, progress: Progress | None = None,
                cancel: Callable[[], bool] | None = None) -> None:
        """Open or build the pyramids ``methods`` need (for a worker thread, before the first draw)."""
        if "peak" in methods and self._pyramid is None:
            self._pyramid = Pyramid.open_or_build(self.source, self._cache_dir, progress, cancel)
        if "mean" in methods and self._means is None:
            self._means = MeanPyramid.open_or_build(self.source, self._cache_dir, progress, cancel)

    def values(self, t0: float, t1: float, n_px: int, method: str | None = None) -> HeatmapValues:
        """Decimated values of ``[t0, t1)`` in ``n_px`` columns (read-only arrays; the last one is cached)."""
        method = self.decim_method if method is None else method
        if method not in DECIM_METHODS:
            raise ValueError(f"decim_method must be 'peak' or 'mean', got {method!r}")
        key = (float(t0), float(t1), int(n_px), method)
        if self._last_values is not None and self._last_values[0] == key:
            return self._last_values[1]
        out = self._compute(float(t0), float(t1), int(n_px), method)
        for a in (out.values, out.valid, out.spans):
            a.flags.writeable = False
        self._last_values = (key, out)
        return out

    def image(self, t0: float, t1: float, n_px: int, *, method: str | None = None, vmin: float | None = None,
              vmax: float | None = None, cmap: Any = None) -> np.ndarray:
        """RGBA image of ``[t0, t1)``: ``(n_rows, n_px, 4)`` uint8, row 0 at the top.

        ``method``, ``vmin``, ``vmax`` and ``cmap`` override the current
        settings for this call. The result of the last call is cached (and
        read-only); changing only the colours re-colours without re-reading.
        """
        method = self.decim_method if method is None else method
        vmin = self.vmin if vmin is None else float(vmin)
        vmax = self.vmax if vmax is None else float(vmax)
        cmap = self.cmap if cmap is None else cmap
        key = (float(t0), float(t1), int(n_px), method, vmin, vmax, _cmap_key(cmap), _cmap_key(self.nan_color))
        if self._last_image is not None and self._last_image[0] == key:
            return self._last_image[1]
        img = colorize(self.values(t0, t1, n_px, method), vmin, vmax, lut(cmap), self.nan_color)
        img.flags.writeable = False
        self._last_image = (key, img)
        return img

    def _compute(self, t0: float, t1: float, n_px: int, method: str) -> HeatmapValues:
        ax = self.source.time
        tcols = column_borders(t0, t1, n_px)
        starts = column_starts(ax, tcols)
        spp = samples_per_column(ax, t0, t1, n_px, starts)
        if spp < 1.0:
            idx, valid = hold_indices(ax, tcols)
            vals = np.full((self.n_rows, n_px), np.nan, np.float32)
            if valid.any() and self.n_rows:
                a, b = int(idx[valid].min()), int(idx[valid].max()) + 1
                x = self._read(a, b)
                vals[:, valid] = x[:, idx[valid] - a]
            spans = np.where(valid[:, None], np.stack([idx, idx + 1], axis=1), 0)
            return HeatmapValues(vals, valid, method, "hold", -1, spans)
        if spp < BIN0 or self.n_rows == 0:
            i0, i1 = int(starts[0]), int(starts[-1])
            x = self._read(i0, i1)
            reduce = reduce_peak if method == "peak" else reduce_mean
            vals = reduce(x, starts - i0)
            return HeatmapValues(vals, np.diff(starts) > 0, method, "samples", -1, _spans(starts))
        self.prepare((method,))
        if method == "peak":
            w = self._pyramid.window(t0, t1, n_px, channels=self.rows)
            vals, edges, level = peak_of(w.lo, w.hi), w.edges, w.level
        else:
            m = self._means.window(t0, t1, n_px, channels=self.rows)
            vals, edges, level = m.mean, m.edges, m.level
        valid = np.diff(edges) > 0
        vals[:, ~valid] = np.nan  # a fresh array from peak_of / the mean pyramid
        return HeatmapValues(vals, valid, method, "pyramid", level, _spans(edges))

    def _read(self, i0: int, i1: int) -> np.ndarray:
        if len(self.rows) == self.source.n_channels and np.array_equal(self.rows, np.arange(len(self.rows))):
            x = self.source.read(i0, i1)
        else:
            x = self.source.read(i0, i1, [int(r) for r in self.rows])
        return np.asarray(x, dtype=np.float32)


def colorize(hv: HeatmapValues, vmin: float, vmax: float, table: np.ndarray, nan_color: object = None) -> np.ndarray:
    """Colour decimated values: LUT for values, NaN colour for NaN, transparent where not ``valid``.

    Returns a new ``(n_rows, n_px, 4)`` uint8 array.
    """
    img = map_values(hv.values, vmin, vmax, table, nan_color)
    img[:, ~hv.valid] = TRANSPARENT
    return img


def _spans(edges: np.ndarray) -> np.ndarray:
    spans = np.stack([edges[:-1], edges[1:]], axis=1).astype(np.int64)
    spans[spans[:, 1] <= spans[:, 0]] = 0
    return spans


def _cmap_key(cmap: Any) -> Any:
    if cmap is None or isinstance(cmap, str):
        return cmap
    if isinstance(cmap, np.ndarray):
        return ("array", cmap.tobytes())
    if isinstance(cmap, (list, tuple)):
        return ("list", repr(cmap))
    return ("object", id(cmap))
