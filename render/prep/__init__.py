"""GL-free data preparation for heatmaps, rasters and global event markers.

Pure numpy (plus the project's numba kernels): the GL panels wrap these in
texture uploads and line draws. See ``docs/heatmaps-rasters-events.md``.
"""

from loupe_tui.colormaps import CMAP_NAMES, DEFAULT_NAN_RGBA, TRANSPARENT, lut, map_values, nan_rgba
from render.prep.events import (
    DASH_PATTERNS, EventClassFrame, GlobalEventMarkers, dash_mask, dash_runs, dash_segments,
)
from render.prep.heatmap import HeatmapRenderer, HeatmapValues, colorize
from render.prep.raster import RasterFrame, RasterIndex, raster_indexes, subplot_heights



def warmup() -> None:
    """Compile (or load from numba's cache) every kernel the queries use; call once in a worker at start-up."""
    import numpy as np

    from loupe_tui.io import columns, minmax
    from render.prep import _columns, raster

    minmax.warmup()
    x = np.zeros((1, 8), np.float32)
    edges = np.array([0, 4, 8], np.int64)
    out = np.empty((1, 2))
    ro = x.copy()
    ro.flags.writeable = False  # cached levels are read-only maps
    columns.column_nan_sums(x, edges, out, out.copy())
    mean = np.empty((1, 2), np.float32)
    chans = np.zeros(1, np.int64)
    for sums in (x, ro):
        for counts in (np.zeros((0, 0), np.float32), sums):
            columns.binned_means(sums, counts, chans, edges, 4, 8, mean)
    _columns.peak_of(x, x)
    best = np.full(2, -1, np.int32)
    raster._best_per_cell(np.zeros(1), np.zeros(1, np.int32), np.zeros(1, np.uint8), 0.0, 1.0, 2, best)


__all__ = [
    "CMAP_NAMES", "DEFAULT_NAN_RGBA", "TRANSPARENT", "lut", "map_values", "nan_rgba",
    "DASH_PATTERNS", "EventClassFrame", "GlobalEventMarkers", "dash_mask", "dash_runs", "dash_segments",
    "HeatmapRenderer", "HeatmapValues", "colorize",
    "RasterFrame", "RasterIndex", "raster_indexes", "subplot_heights", "warmup",
]
