"""The raster's cost in a GL frame: the same windows with and without the raster, same run.

Two GL windows are started on the same display, one with the traces and the
raster, one with the traces alone, and flipped in turn (A, B, A, B ...) so
both see the same machine load. Each flip is SetWindow + SetCursor to
FrameDrawn received, as the terminal app sends them; ``draw_ms`` is the
window's own figure (prepare + draw + swap + glFinish) from FrameDrawn.

Data:

* full: the demo (``loupe-tui demo``, built once if missing, 35 s): 24 h of
  EEG/EMG at 1 kHz and 2.25 M spikes from 30 units, split by region, opacity
  by SNR, exactly as ``loupe-tui demo`` opens them. Windows of 10 s, 1 h and
  24 h (every 24 h flip moves the window a minute).
* quick (the smoke run): generated, 24 h of 2 channels at 20 Hz and 300,000
  spikes from 30 units; 10 s and 24 h windows, a few flips each.

Rows:

* ``flip <len>``: median / p95 ms with the raster and without, and
  ``ratio`` = with / without (the target at 24 h: at most 2); ``mode`` says
  what the raster drew (ticks, or cells when events outnumber them).
* ``prep 24 h``: in this process, the raster's data for one 24 h frame
  (every subplot, 1,400 columns): the density image
  (:meth:`RasterIndex.density`) beside one tick per cell
  (``window(decimate=True)``, what the panel drew before) and every event
  (``decimate=False``), median ms.

The window is 1600x900 on ``$DISPLAY`` or a private Xvfb with Mesa llvmpipe.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZE = (1600, 900)
DAY = 86_400.0
STATES = {"Wake": [0, 209, 40, 255], "NREM": [41, 30, 255, 255], "REM": [255, 48, 144, 255]}
BENCH_DIR = Path(os.environ.get("LOUPE_BENCH_DIR", "/tmp/loupe-tui-bench"))
FULL = {"10 s": (10.0, 40), "1 h": (3600.0, 30), "24 h": (DAY, 30)}   # name: (length, flips per window)
QUICK = {"10 s": (10.0, 8), "24 h": (DAY, 8)}


def _windows(length: float, n: int, span: float) -> list[tuple[float, float]]:
    if length >= span:
        return [(k * 60.0, k * 60.0 + length) for k in range(n)]
    rng = np.random.default_rng(2)
    starts = rng.uniform(0, span - length, n)
    return [(float(s), float(s) + length) for s in starts]


def _stats(ms) -> tuple[float, float]:
    a = np.asarray(ms, np.float64)
    return float(np.median(a)), float(np.percentile(a, 95))


# -- data ---------------------------------------------------------------------------------
def _demo_configs():
    """The demo's EEG/EMG and spikes, configured as ``loupe-tui demo`` opens them."""
    from loupe_tui.config import RasterConfig, TraceConfig
    from loupe_tui.demo import ensure_demo

    paths = ensure_demo(progress=lambda s: print(f"   demo: {s}", file=sys.stderr))
    traces = TraceConfig.from_path(paths.recording, group=paths.eeg_group)
    raster = RasterConfig.from_parquet(paths.spikes, time_col="time", order_by="unit_id", split_by="region",
                                       alpha_by="snr")
    return traces, raster, f"demo {paths.root}"


def _quick_configs(n_spikes: int = 300_000, n_units: int = 30):
    """A small generated stand-in: 2 channels x 24 h x 20 Hz, ``n_spikes`` Poisson spikes."""
    import polars as pl
    import xarray as xr

    from loupe_tui.config import RasterConfig, TraceConfig

    fs = 20.0
    t = np.arange(int(DAY * fs)) / fs
    rng = np.random.default_rng(0)
    data = np.stack([np.sin(2 * np.pi * t / 600.0), rng.standard_normal(t.size)]).astype(np.float32)
    da = xr.DataArray(data, dims=("channel", "time"), name="sig", coords={"channel": ["a", "b"], "time": t})
    rates = rng.uniform(0.2, 3.0, n_units)
    unit = rng.choice(n_units, n_spikes, p=rates / rates.sum()).astype(np.int32)
    spikes = pl.DataFrame({"time": np.sort(rng.uniform(0, DAY, n_spikes)), "unit_id": unit,
                           "region": np.where(unit < n_units // 2, "A", "B"),
                           "snr": rng.uniform(3.0, 12.0, n_spikes)})
    raster = RasterConfig(spikes, time_col="time", order_by="unit_id", split_by="region", alpha_by="snr")
    return TraceConfig(da), raster, f"generated: 2 ch x 24 h x {fs:g} Hz, {n_spikes:,} spikes, {n_units} units"


def _specs(quick: bool):
    from loupe_tui.viewspec import build_spec

    traces, raster, what = _quick_configs() if quick else _demo_configs()
    root = BENCH_DIR / ("raster-quick" if quick else "raster")
    kw = dict(labels_states_colors=STATES, cache_dir=root / "session", pyramid_cache=root / "pyramids")
    return build_spec([traces, raster], **kw), build_spec([traces], **kw), what, raster


def _prep(raster, n: int, n_px: int = 1400) -> dict:
    """Median ms for the raster data of one 24 h frame (all subplots), three ways."""
    from render.prep.raster import RasterIndex

    idx = [RasterIndex(p) for p in raster.panels()]
    ways = {"density": lambda i, a, b: i.density(a, b, n_px),
            "tick_per_cell": lambda i, a, b: i.window(a, b, n_px, 300.0, decimate=True),
            "every_event": lambda i, a, b: i.window(a, b, n_px, 300.0, decimate=False)}
    out = {}
    for name, f in ways.items():
        for i in idx:
            f(i, 0.0, DAY)  # the numba kernel's first call, caches
        ms = []
        for a, b in _windows(DAY, n, DAY):
            t = time.perf_counter()
            for i in idx:
                f(i, a, b)
            ms.append((time.perf_counter() - t) * 1000)
        out[name] = float(np.median(ms))
    out["cells"] = sum(i.n_rows for i in idx) * n_px
    return out


# -- the two windows ------------------------------------------------------------------------
class _Window:
    def __init__(self, spec: dict, env: dict, log: Path):
        from loupe_tui import protocol as P
        from loupe_tui.link import RenderLink

        self.P = P
        self.inbox: asyncio.Queue = asyncio.Queue()
        cmd = [sys.executable, "-m", "render", "--size", f"{SIZE[0]}x{SIZE[1]}"]
        self.link = RenderLink(self.inbox.put_nowait, env=env, log_path=log, command=cmd)
        self.initial = [P.LoadSession(spec), P.SetStateColors(STATES), P.SetWindow(0, 10, 0)]
        self.seq = 0

    async def until(self, pred, timeout: float = 300.0):
        while True:
            m = await asyncio.wait_for(self.inbox.get(), timeout)
            if pred(m):
                return m

    async def start(self) -> str:
        ready = await self.link.start(list(self.initial))
        await self.until(lambda m: isinstance(m, self.P.FrameDrawn) and m.seq == 0)
        return f"{ready.renderer} / GL {ready.gl_version}"

    async def flip(self, t0: float, t1: float) -> tuple[float, float]:
        """(round trip ms, the window's draw ms)."""
        P = self.P
        self.seq += 1
        seq = self.seq
        t = time.perf_counter()
        self.link.send(P.SetWindow(t0, t1, seq))
        self.link.send(P.SetCursor(t0, seq))
        m = await self.until(lambda m: isinstance(m, P.FrameDrawn) and m.seq == seq)
        return (time.perf_counter() - t) * 1000, float(m.draw_ms)


def _mode(spec: dict, length: float, n_px: int = 1400) -> str:
    """What the raster draws at this window length (about: events spread evenly, 1,400 columns)."""
    rasters = [p for p in spec["panels"] if p["kind"] == "raster"]
    span = spec["span"][1] - spec["span"][0]
    dense = any(p["n"] * length / span > len(p["row_labels"]) * n_px for p in rasters)
    return "cells" if dense else "ticks"


async def _measure(with_raster: dict, without: dict, env: dict, quick: bool, log_dir: Path) -> dict:
    a, b = _Window(with_raster, env, log_dir / "render-raster.log"), _Window(without, env, log_dir / "render.log")
    out: dict = {}
    try:
        out["renderer"] = await a.start()
        await b.start()
        for w in (a, b):
            for s in (3600.0, 0.0):  # warm-up: shaders, text atlas, the numba kernels, both modes
                await w.flip(s, s + 10)
                await w.flip(s, s + DAY)
        for name, (length, n) in (QUICK if quick else FULL).items():
            res = {"with": [], "without": [], "mode": _mode(with_raster, length)}
            for t0, t1 in _windows(length, n, DAY):
                res["with"].append(await a.flip(t0, t1))
                res["without"].append(await b.flip(t0, t1))
            out[name] = res
    finally:
        for w in (a, b):
            await w.link.stop()
    return out


def run(quick: bool = False) -> dict:
    from loupe_tui.xvfb import display_env

    spec_a, spec_b, what, raster = _specs(quick)
    n_events = sum(len(p.times) for p in raster.panels())
    log_dir = BENCH_DIR / ("raster-quick" if quick else "raster")
    log_dir.mkdir(parents=True, exist_ok=True)
    with display_env() as env:
        res = asyncio.run(_measure(spec_a, spec_b, env, quick, log_dir))
    rows = []
    for name in (QUICK if quick else FULL):
        w, wo = np.asarray(res[name]["with"]), np.asarray(res[name]["without"])
        (m1, p1), (m0, p0) = _stats(w[:, 0]), _stats(wo[:, 0])
        rows.append({"case": f"flip {name}", "mode": res[name]["mode"], "with_raster_median_ms": m1,
                     "with_raster_p95_ms": p1, "without_median_ms": m0, "without_p95_ms": p0, "ratio": m1 / m0,
                     "draw_with_ms": float(np.median(w[:, 1])), "draw_without_ms": float(np.median(wo[:, 1])),
                     "n": len(w)})
    prep = _prep(raster, 5 if quick else 15)
    rows.append({"case": "prep 24 h, all subplots, 1400 px", "density_ms": prep["density"],
                 "tick_per_cell_ms": prep["tick_per_cell"], "every_event_ms": prep["every_event"],
                 "cells": prep["cells"]})
    notes = (f"renderer {res['renderer']}; window {SIZE[0]}x{SIZE[1]}; {what}; {n_events:,} events; "
             "the two windows flipped in turn; ratio = with / without (median)")
    return {"title": "Raster cost in a GL frame: with vs without the raster", "results": rows, "notes": notes}


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv), indent=1))
