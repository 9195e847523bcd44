"""Load: big label files, a day-long 256-channel recording, a long scoring session.

Rows (``tests/unit/test_load.py`` asserts the behaviours at CI sizes):

* ``labels``: open / page through / edit+save N intervals (1 M, and 5 M
  unless --quick) as csv and parquet; the reference is polars reading the
  same file (``read_ref_s``), the floor of any open.
* ``day_pyramid``: a lazily generated 24 h x 256 channel source (blocks made
  on demand, nothing held) and the same at 6 h, each in a fresh process:
  pyramid build time, window queries across the whole day (1 h, 10 min and
  30 s pages, 1600 columns, all 256 channels), tracemalloc peak and peak RSS.
  Memory should not grow with the length (the 6 h row is the reference).
* ``day_zarr``: a zarr store of 24 h (and 6 h) x 256 channels whose data
  chunks are mostly unwritten (read as the fill value; only the time
  coordinate and two chunks exist on disk): open (time axis check) and raw
  reads of every 10 min page, tracemalloc peak and peak RSS, fresh process.
* ``session``: 8 h and 24 h of 4 s epochs scored in order with the journal
  on (background durability): p95 per-edit latency per chunk of 1,000
  edits; the first chunk is the reference for the last.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STATES = ("Wake", "NREM", "REM")


# -- labels -----------------------------------------------------------------

def _frame(n: int):
    import polars as pl

    rng = np.random.default_rng(0)
    s = np.arange(n) * 4.0
    return pl.DataFrame({"start_s": s, "end_s": s + 4.0, "label": np.asarray(STATES)[rng.integers(0, 3, n)],
                         "note": pl.Series([None] * n, dtype=pl.String)})


def bench_labels(quick: bool) -> list[dict]:
    import polars as pl

    from loupe_tui.core.labels import IntervalLabelSet
    from loupe_tui.core.session import Session

    rows = []
    for n in ((200_000,) if quick else (1_000_000, 5_000_000)):
        df = _frame(n)
        for ext in ("csv", "parquet"):
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / f"labels.{ext}"
                df.write_csv(path) if ext == "csv" else df.write_parquet(path)
                t = time.perf_counter()
                (pl.read_csv if ext == "csv" else pl.read_parquet)(path)
                ref = time.perf_counter() - t
                t = time.perf_counter()
                ls = IntervalLabelSet.load(path, durable=False)
                t_open = time.perf_counter() - t
                s = Session(ls, 0.0, n * 4.0, epoch_len=4.0)
                s.set_window_len(600.0)
                pages = 0
                t = time.perf_counter()
                while s.page(1).window:
                    ls.visible_arrays(s.window_start, s.window_end)
                    pages += 1
                t_page = time.perf_counter() - t
                t = time.perf_counter()
                s.label("REM")
                edit = time.perf_counter() - t
                t = time.perf_counter()
                ls.save()
                t_save = time.perf_counter() - t
                ls.close()
            rows.append({"case": "labels", "intervals": n, "format": ext, "open_s": t_open, "read_ref_s": ref,
                         "pages": pages, "page_us": 1e6 * t_page / max(pages, 1), "edit_ms": 1e3 * edit,
                         "save_s": t_save})
    return rows


# -- a day of 256 channels, in a fresh process each -------------------------------

class SynthSource:
    """Blocks made on demand from a periodic noise table (contiguous copies) plus a drift."""

    def __init__(self, hours: float, n_ch: int, fs: float, period: int = 65_537):
        from loupe_tui.io.source import TimeAxis

        self.time = TimeAxis(n=int(hours * 3600 * fs), t0=0.0, fs=fs)
        self.names = [f"ch{i}" for i in range(n_ch)]
        self.fingerprint = f"bench-load v1 {n_ch}x{self.time.n}@{fs}"
        self._table = np.random.default_rng(7).standard_normal((n_ch, period), dtype=np.float32)
        self._table[0, 1000:1500] = np.nan

    n_channels = property(lambda self: self._table.shape[0])
    n_samples = property(lambda self: self.time.n)
    preferred_block = property(lambda self: 1 << 16)

    def read(self, i0: int, i1: int, channels=None) -> np.ndarray:
        tab = self._table if channels is None else self._table[channels]
        p = tab.shape[1]
        out = np.empty((tab.shape[0], i1 - i0), np.float32)
        i = i0
        while i < i1:
            j = min(i1, i + p - i % p)
            out[:, i - i0:j - i0] = tab[:, i % p:i % p + (j - i)]
            i = j
        out += np.float32(i0 // p % 100) * 0.01
        return out


def _rss_peak_mib() -> float:
    """Peak RSS since the last :func:`_reset_rss_peak` (VmHWM; ru_maxrss survives exec from the parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _reset_rss_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # Linux >= 4.0: reset VmHWM to the current RSS
    except OSError:
        pass


def child_day_pyramid(hours: float, fs: float, n_ch: int, cache: str) -> dict:
    from loupe_tui.io.pyramid import build_pyramid

    build_pyramid(SynthSource(0.2, 4, fs), Path(cache) / "warm").window(0.0, 60.0, 10)  # JIT, imports
    _reset_rss_peak()
    rss0 = _rss_peak_mib()
    src = SynthSource(hours, n_ch, fs)
    tracemalloc.start()
    t = time.perf_counter()
    pyr = build_pyramid(src, Path(cache) / "day")
    build = time.perf_counter() - t
    lat = []
    span = hours * 3600.0
    for length, step in ((3600.0, 3600.0), (600.0, 600.0), (30.0, 900.0)):
        for t0 in np.arange(0.0, span - length + 1e-9, step):
            q = time.perf_counter()
            pyr.window(float(t0), float(t0) + length, 1600)
            lat.append(time.perf_counter() - q)
    q = time.perf_counter()
    pyr.window(0.0, span, 1600)
    whole = time.perf_counter() - q
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"case": "day_pyramid", "hours": hours, "channels": n_ch, "fs": fs,
            "samples_G": src.n_samples * n_ch / 1e9, "build_s": build, "queries": len(lat),
            "query_p50_ms": 1e3 * float(np.median(lat)), "query_p95_ms": 1e3 * float(np.percentile(lat, 95)),
            "whole_day_ms": 1e3 * whole, "traced_peak_MiB": peak / 2**20,
            "rss_peak_growth_MiB": _rss_peak_mib() - rss0, "pyramid_MiB": pyr.nbytes / 2**20}


def _lazy_zarr(path: Path, hours: float, n_ch: int, fs: float) -> Path:
    import zarr

    n = int(hours * 3600 * fs)
    g = zarr.open_group(path, mode="w", zarr_format=3)
    a = g.create_array("eeg", shape=(n_ch, n), chunks=(n_ch, 4096), dtype="f4", fill_value=0.0,
                       dimension_names=("channel", "time"))
    t = g.create_array("time", shape=(n,), chunks=(1 << 20,), dtype="f8", fill_value=0.0,
                       dimension_names=("time",))
    for i in range(0, n, 1 << 20):  # the time coordinate, chunk by chunk
        t[i:min(n, i + (1 << 20))] = np.arange(i, min(n, i + (1 << 20))) / fs
    rng = np.random.default_rng(0)
    a[:, 4096:8192] = rng.standard_normal((n_ch, 4096)).astype("f4")
    a[:, n - 4096:] = rng.standard_normal((n_ch, 4096)).astype("f4")
    return path


def child_day_zarr(hours: float, fs: float, n_ch: int, tmp: str) -> dict:
    from loupe_tui.config import TraceConfig

    store = _lazy_zarr(Path(tmp) / "day.zarr", hours, n_ch, fs)
    disk = sum(f.stat().st_size for f in store.rglob("*") if f.is_file())
    _reset_rss_peak()
    rss0 = _rss_peak_mib()
    tracemalloc.start()
    t = time.perf_counter()
    src = TraceConfig.from_path(store).source()
    t_open = time.perf_counter() - t
    page = int(600 * fs)
    lat = []
    for i0 in range(0, src.n_samples, page):
        q = time.perf_counter()
        src.read(i0, min(src.n_samples, i0 + page))
        lat.append(time.perf_counter() - q)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"case": "day_zarr", "hours": hours, "channels": n_ch, "fs": fs, "store_on_disk_MiB": disk / 2**20,
            "full_size_MiB": n_ch * hours * 3600 * fs * 4 / 2**20, "open_s": t_open, "pages": len(lat),
            "page_p50_ms": 1e3 * float(np.median(lat)), "page_p95_ms": 1e3 * float(np.percentile(lat, 95)),
            "traced_peak_MiB": peak / 2**20, "rss_peak_growth_MiB": _rss_peak_mib() - rss0}


def _child(kind: str, hours: float, fs: float, n_ch: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="loupe-bench-load-") as tmp:
        out = subprocess.run([sys.executable, __file__, kind, str(hours), str(fs), str(n_ch), tmp],
                             cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_day(quick: bool) -> list[dict]:
    fs_pyr, fs_zarr = (10.0, 10.0) if quick else (50.0, 50.0)  # 24 h x 256 ch x 50 Hz: 1.1 G samples, 2.4 GB pyramid
    rows = []
    for hours in (6.0, 24.0):
        rows.append(_child("pyramid", hours, fs_pyr, 256))
    for hours in (6.0, 24.0):
        rows.append(_child("zarr", hours, fs_zarr, 256))
    return rows


# -- long scoring sessions ----------------------------------------------------------

def bench_session(quick: bool) -> list[dict]:
    from loupe_tui.core.labels import IntervalLabelSet
    from loupe_tui.core.session import Session

    rows = []
    for hours in ((8.0,) if quick else (8.0, 24.0)):
        n = int(hours * 3600 / 4)
        with tempfile.TemporaryDirectory() as tmp:
            ls = IntervalLabelSet.load(Path(tmp) / "night.csv")
            s = Session(ls, 0.0, hours * 3600.0, epoch_len=4.0)
            rng = np.random.default_rng(5)
            state, lat = "Wake", []
            for k in range(n):
                if rng.random() < 0.05:
                    state = STATES[int(rng.integers(0, 3))]
                epoch = s.epoch_index()
                t = time.perf_counter()
                s.label(state)
                lat.append(time.perf_counter() - t)
                if k % 97 == 96:
                    s.undo()
                    s.goto_epoch(epoch)
                    s.label(STATES[(STATES.index(state) + 1) % 3])
            t = time.perf_counter()
            ls.save()
            t_save = time.perf_counter() - t
            ls.close()
        p95 = [1e3 * float(np.percentile(lat[i:i + 1000], 95)) for i in range(0, n - n % 1000, 1000)]
        rows.append({"case": "session", "hours": hours, "edits": n, "p95_first_ms": p95[0],
                     "p95_last_ms": p95[-1], "p95_max_ms": max(p95), "last_over_first": p95[-1] / p95[0],
                     "intervals": len(ls), "save_ms": 1e3 * t_save})
    return rows


def run(quick: bool = False) -> dict:
    results = bench_labels(quick) + bench_day(quick) + bench_session(quick)
    return {"title": "1-5 M intervals, 24 h x 256 ch lazily, 8-24 h scoring sessions",
            "results": results,
            "notes": "day_* rows run in fresh processes; memory should match between 6 h and 24 h rows. "
                     "Session rows: last_over_first ~1 means per-edit cost does not grow with the session."}


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] in ("pyramid", "zarr"):
        kind, hours, fs, n_ch, tmp = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
        fn = child_day_pyramid if kind == "pyramid" else child_day_zarr
        print(json.dumps(fn(hours, fs, n_ch, tmp)))
    else:
        print(json.dumps(run(quick="--quick" in sys.argv), indent=1))
