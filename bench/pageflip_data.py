"""Data for ``bench_pageflip``: a 24 h, 16-channel, 1 kHz zarr like the demo's, built once.

The 16 channels are the demo's EEG and EMG (24 h demo, built first if
needed), each copy shifted by a different number of samples and scaled, so
channels differ but look like real EEG/EMG. Labels are the demo's hidden
schedule cut into 4 s epochs: 21,600 spans. Everything is cached under
``$LOUPE_BENCH_DIR`` (default ``/tmp/loupe-tui-bench``) and reused.

``quick=True`` (``bench/run.py --quick``, the smoke test) builds the same
kind of data small: 1 h x 4 channels from a 1 h demo (900 spans), in a few
seconds, beside the full set (``pageflip-quick``).

Run as a script to build it: ``python bench/pageflip_data.py [--quick]``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DIR = Path(os.environ.get("LOUPE_BENCH_DIR", "/tmp/loupe-tui-bench"))
N_CH, FS, HOURS, EPOCH_S = 16, 1000.0, 24.0, 4.0
QUICK_N_CH, QUICK_HOURS = 4, 1.0
SHIFT = 1009  # samples between copies
VERSION = 1


def sizes(quick: bool = False) -> tuple[int, float]:
    """(channels, hours) of the full or the quick data."""
    return (QUICK_N_CH, QUICK_HOURS) if quick else (N_CH, HOURS)


def paths(quick: bool = False) -> dict[str, Path]:
    n_ch, _ = sizes(quick)
    root = BENCH_DIR / ("pageflip-quick" if quick else "pageflip")
    return {"root": root, "zarr": root / f"rec{n_ch}.zarr", "labels": root / "labels_4s.npz",
            "pyramids": root / "pyramids", "done": root / "done.json", "demo": BENCH_DIR / ("demo1h" if quick else "demo24")}


def ensure_data(progress=print, quick: bool = False) -> dict[str, Path]:
    """Build (once) the 16-channel store, the 21,600 epoch labels and the pyramid (small with ``quick``)."""
    p = paths(quick)
    n_ch, hours = sizes(quick)
    try:
        if json.loads(p["done"].read_text()).get("version") == VERSION:
            return p
    except (OSError, ValueError):
        pass
    from loupe_tui.demo import ensure_demo

    p["root"].mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    demo = ensure_demo(p["demo"], hours=hours, video_minutes=1.0, progress=lambda s: None)
    progress(f"demo ready ({time.perf_counter() - t:.0f} s)")
    if not (p["root"] / "store.done").exists():
        _write_store(demo.recording, p["zarr"], progress, n_ch)
        (p["root"] / "store.done").write_text("1")
    _write_labels(demo.truth, p["labels"])
    from loupe_tui.config import TraceConfig
    from loupe_tui.io.pyramid import Pyramid

    t = time.perf_counter()
    cfg = TraceConfig.from_path(p["zarr"], group="eeg")
    Pyramid.open_or_build(cfg.source(), p["pyramids"])
    progress(f"pyramid built ({time.perf_counter() - t:.0f} s)")
    p["done"].write_text(json.dumps({"version": VERSION}))
    return p


def _write_store(demo_zarr: Path, dest: Path, progress, n_ch: int = N_CH) -> None:
    import xarray as xr

    from loupe_tui.demo._store import BlockWriter, consolidate

    src = xr.open_zarr(demo_zarr, group="eeg")["data"]
    n = src.sizes["time"]
    chunk = 1 << 20
    shutil.rmtree(dest, ignore_errors=True)
    names = np.array([f"{'EEG' if k % 2 == 0 else 'EMG'}{k // 2 + 1}" for k in range(n_ch)], dtype=object)
    scale = (0.7 + 0.04 * np.arange(n_ch, dtype=np.float32))[:, None]
    writer = None
    t = time.perf_counter()
    pad = SHIFT * n_ch
    for i0 in range(0, n, chunk):
        i1 = min(i0 + chunk, n)
        j1 = min(i1 + pad, n)
        block = np.asarray(src[:, i0:j1].values, np.float32)
        if j1 - i0 < i1 - i0 + pad:  # wrap around at the end
            block = np.concatenate([block, np.asarray(src[:, : i1 - i0 + pad - (j1 - i0)].values, np.float32)], axis=1)
        out = np.empty((n_ch, i1 - i0), np.float32)
        for k in range(n_ch):
            out[k] = block[k % 2, k * SHIFT: k * SHIFT + (i1 - i0)]
        out *= scale
        np.multiply(np.round(out * 8), 0.125, out=out)
        if writer is None:
            writer = BlockWriter(dest, "eeg", "data", out, n, FS, chunk, coords={"channel": names},
                                 attrs={"units": "uV", "fs": FS}, group_attrs={"fs": FS})
        else:
            writer.write(i0, out)
        if (i0 // chunk) % 10 == 0:
            progress(f"{n_ch}-ch store: {i1 / n:.0%} ({time.perf_counter() - t:.0f} s)")
    consolidate(dest)


def _write_labels(truth_csv: Path, dest: Path) -> None:
    import polars as pl

    bouts = pl.read_csv(truth_csv)
    starts, labels = [], []
    for s, e, lb in zip(bouts["start_s"], bouts["end_s"], bouts["label"]):
        k = np.arange(round(s / EPOCH_S), round(e / EPOCH_S))
        starts.append(k * EPOCH_S)
        labels += [lb] * len(k)
    st = np.concatenate(starts)
    np.savez(dest, starts=st, ends=st + EPOCH_S, labels=np.array(labels))


def load_labels(path: Path) -> tuple[tuple, tuple, tuple]:
    z = np.load(path)
    return tuple(z["starts"].tolist()), tuple(z["ends"].tolist()), tuple(z["labels"].tolist())


if __name__ == "__main__":
    ensure_data(quick="--quick" in sys.argv)
