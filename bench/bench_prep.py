"""GL-free preparation of heatmaps, rasters and global events: time per window query.

Rows, each with its reference measured in the same run on the same data:

* ``heatmap_build``: min/max pyramid and mean pyramid builds of a 24 h x 10 Hz
  calcium-like recording (40 and 500 cells) from a lazily generated source,
  into a fresh temporary cache (page cache, fsync included).
* ``heatmap``: :meth:`HeatmapRenderer.image` (decimate + colour) at 1600 px
  for 10 s, 1 h and 24 h windows, peak and mean, median of several windows at
  different places (so the one-entry cache never answers). Reference: read
  the window's raw samples from the same source and reduce them with numpy
  (``nanmax``/``nanmin`` or ``nanmean`` per column), skipped when the window
  holds more than 50 M samples.
* ``raster``: :meth:`RasterIndex.window` on 2.25 M synthetic spikes (columns
  time, unit_id, region, snr like the demo's spikes.parquet; 30 units, hue by
  region, alpha by snr) at 1600 x 300 px. Reference: a boolean mask over all
  events, then a numpy lexsort keeping the max-alpha event per (row, column).
* ``events``: :meth:`GlobalEventMarkers.window` on 200 k events in 5 classes.

Single-threaded (numpy, numba without ``parallel``).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from loupe_tui.config import GlobalEventsConfig, HeatmapPanel, RasterConfig  # noqa: E402
from loupe_tui.io import minmax  # noqa: E402
from loupe_tui.io.mean_pyramid import MeanPyramid  # noqa: E402
from loupe_tui.io.pyramid import Pyramid  # noqa: E402
from loupe_tui.io.source import TimeAxis  # noqa: E402
from render.prep.events import GlobalEventMarkers  # noqa: E402
from render.prep.heatmap import HeatmapRenderer  # noqa: E402
from render.prep.raster import RasterIndex  # noqa: E402

FS = 10.0
DAY = 86_400.0
N_PX = 1600
WINDOWS = (("10 s", 10.0), ("1 h", 3600.0), ("24 h", DAY))


class CalciumSource:
    """A lazily generated ``(cells, samples)`` source: a periodic table of sparse
    transients plus noise, so 24 h x 500 cells costs no memory to "hold"."""

    def __init__(self, n_cells: int, n_samples: int, period: int = 20_011):
        self.time = TimeAxis(n=n_samples, t0=0.0, fs=FS)
        self.names = [f"cell{i}" for i in range(n_cells)]
        self.fingerprint = f"bench-prep-calcium v1 {n_cells}x{n_samples}"
        rng = np.random.default_rng(3)
        t = rng.standard_normal((n_cells, period), dtype=np.float32) * 0.05
        spikes = rng.random((n_cells, period)) < 0.002
        for k in range(1, 30):  # exponential decay after each event
            t[:, k:] += spikes[:, :-k] * np.float32(np.exp(-k / 8.0))
        t[0, 100:400] = np.nan
        self._table = t

    n_channels = property(lambda self: self._table.shape[0])
    n_samples = property(lambda self: self.time.n)
    preferred_block = property(lambda self: 1 << 16)

    def read(self, i0: int, i1: int, channels=None) -> np.ndarray:
        p = self._table.shape[1]
        tab = self._table if channels is None else self._table[channels]
        out = np.empty((tab.shape[0], i1 - i0), np.float32)
        i = i0
        while i < i1:
            j = min(i1, i + p - i % p)
            out[:, i - i0:j - i0] = tab[:, i % p:i % p + (j - i)]
            i = j
        return out


def _median_ms(fn, args_list) -> float:
    fn(*args_list[0])  # warm (JIT, page cache)
    ts = []
    for args in args_list[1:]:
        t = time.perf_counter()
        fn(*args)
        ts.append(time.perf_counter() - t)
    return round(1e3 * float(np.median(ts)), 3)


def _starts(span: float, total: float, k: int) -> list[tuple[float, float]]:
    room = max(total - span, 0.0)
    if room:
        return [(s, s + span) for s in np.linspace(0.0, room, k)]
    return [(-5.0 * i, span - 5.0 * i) for i in range(k)]  # the whole recording, shifted: no cache hit


def _numpy_reference(src: CalciumSource, t0: float, t1: float, method: str) -> None:
    i0, i1 = int(t0 * FS), int(t1 * FS)
    x = src.read(i0, i1)
    edges = np.linspace(0, x.shape[1], N_PX + 1).astype(int)
    if method == "peak":
        hi = np.fmax.reduceat(x, edges[:-1], axis=1)
        lo = np.fmin.reduceat(x, edges[:-1], axis=1)
        np.where(np.abs(hi) >= np.abs(lo), hi, lo)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            np.add.reduceat(np.nan_to_num(x), edges[:-1], axis=1) / np.diff(edges)


def bench_heatmap(quick: bool) -> list[dict]:
    hours = 2.0 if quick else 24.0
    n = int(hours * 3600 * FS)
    rows = []
    for n_cells in (40, 500):
        src = CalciumSource(n_cells, n)
        with tempfile.TemporaryDirectory() as cache:
            t = time.perf_counter()
            pyr = Pyramid.open_or_build(src, cache)
            t_minmax = time.perf_counter() - t
            t = time.perf_counter()
            means = MeanPyramid.build(src, cache)
            t_mean = time.perf_counter() - t
            rows.append({"case": "heatmap_build", "cells": n_cells, "hours": hours, "samples": n * n_cells,
                         "minmax_pyramid_s": round(t_minmax, 2), "mean_pyramid_s": round(t_mean, 2),
                         "mean_pyramid_MB": round(means.nbytes / 2**20, 1),
                         "mean_has_counts": means.counts is not None})
            panel = HeatmapPanel(None, "", "magma", 0.0, 1.0, "peak", src)
            r = HeatmapRenderer(panel, pyramid=pyr, means=means)
            for label, span in WINDOWS:
                if span > hours * 3600:
                    continue
                for method in ("peak", "mean"):
                    wins = _starts(span, hours * 3600, 7)
                    ms = _median_ms(lambda a, b: r.image(a, b, N_PX, method=method), wins)
                    mode = r.values(*wins[-1], N_PX, method).mode
                    row = {"case": "heatmap", "cells": n_cells, "window": label, "method": method, "px": N_PX,
                           "mode": mode, "image_ms": ms}
                    if span * FS * n_cells <= 50e6:
                        row["numpy_raw_ms"] = _median_ms(lambda a, b: _numpy_reference(src, a, b, method), wins[:4])
                    rows.append(row)
    return rows


def spikes_frame(n_events: int, n_units: int = 30, seed: int = 4) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rates = rng.lognormal(0.0, 1.0, n_units)
    unit = rng.choice(n_units, n_events, p=rates / rates.sum()).astype(np.int32)
    return pl.DataFrame({
        "time": np.sort(rng.uniform(0.0, DAY, n_events)),
        "unit_id": unit,
        "region": np.where(unit < 17, "cortex", "CA1"),
        "snr": np.round(rng.uniform(3.0, 12.0, n_events), 1).astype(np.float32),
    })


def _raster_reference(times, rows, alpha, t0, t1, n_rows):
    m = (times >= t0) & (times < t1)
    t, r, a = times[m], rows[m], alpha[m]
    col = np.clip(((t - t0) * (N_PX / (t1 - t0))).astype(np.int64), 0, N_PX - 1)
    cell = r.astype(np.int64) * N_PX + col
    order = np.lexsort((-a.astype(np.int16), cell))
    keep = order[np.r_[True, cell[order][1:] != cell[order][:-1]]]
    return np.sort(keep)


def bench_raster(quick: bool) -> list[dict]:
    n_events = 225_000 if quick else 2_250_000
    df = spikes_frame(n_events)
    t = time.perf_counter()
    cfg = RasterConfig(df, time_col="time", order_by="unit_id", alpha_by="snr", hue="region")
    (panel,) = cfg.panels()
    t_cfg = time.perf_counter() - t
    t = time.perf_counter()
    idx = RasterIndex(panel)
    t_index = time.perf_counter() - t
    rows = [{"case": "raster_index", "events": n_events, "units": idx.n_rows,
             "config_panels_s": round(t_cfg, 3), "index_build_s": round(t_index, 3)}]
    for label, span in WINDOWS:
        wins = _starts(span, DAY, 9)
        ms = _median_ms(lambda a, b: idx.window(a, b, N_PX, 300.0), wins)
        f = idx.window(*wins[-1], N_PX, 300.0)
        ref = _median_ms(lambda a, b: _raster_reference(idx.times, idx.rows, idx.rgba[:, 3], a, b, idx.n_rows),
                         wins[:4])
        rows.append({"case": "raster", "window": label, "px": N_PX, "events_in_window": f.n_in_window,
                     "drawn": len(f), "decimated": f.decimated, "window_ms": ms, "numpy_mask_lexsort_ms": ref})
    return rows


def bench_events(quick: bool) -> list[dict]:
    rng = np.random.default_rng(9)
    n = 20_000 if quick else 200_000
    df = pl.DataFrame({"time": rng.uniform(0, DAY, n), "kind": rng.choice(["a", "b", "c", "d", "e"], n)})
    m = GlobalEventMarkers(GlobalEventsConfig(df, style_events_on="kind"))
    rows = []
    for label, span in WINDOWS:
        wins = _starts(span, DAY, 9)
        ms = _median_ms(lambda a, b: [f.vertices(300.0) for f in m.window(a, b, N_PX)], wins)
        frames = m.window(*wins[-1], N_PX)
        rows.append({"case": "events", "window": label, "events": n, "px": N_PX,
                     "in_window": sum(f.n_in_window for f in frames), "drawn": sum(len(f) for f in frames),
                     "window_plus_vertices_ms": ms})
    return rows


def run(quick: bool = False) -> dict:
    minmax.warmup()
    rows = bench_heatmap(quick) + bench_raster(quick) + bench_events(quick)
    return {"title": "heatmap / raster / global-event preparation per window (1600 px)", "results": rows,
            "notes": ("heatmap image_ms = decimation + LUT colouring of an (n_cells, 1600, 4) uint8 image; "
                      "10 s at 10 Hz is 100 samples: hold mode (sample under each column). "
                      "quick: 2 h recording, 225 k spikes, 20 k events.")}


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=1))
