"""Spectral estimates (issue 13): the build time for the demo's EEG and EMG, beside scipy.

Data: the bench demo (``$LOUPE_BENCH_DIR/demo24``, like ``bench_remote``'s):
24 h of EEG and EMG at 1 kHz (2 x 86.4 M samples, zarr). On one core:

* the build as the app does it (``io.spectral.cache.open_or_build``): the EEG's
  spectrogram and band powers and the EMG's level, in one pass over the
  recording, written to an empty cache; multitaper (the default) and Welch;
* one read pass over both channels in the same blocks (the limit);
* ``scipy.signal.spectrogram`` (Hann, the same 5 s windows stepped by 4 s) on
  the EEG already in memory (the reference: it needs the channel loaded whole);
* the cache's size against the raw data, and what the views ask of it.

The issue's goals: the build under 5 s, the cache at most 10 % of the raw data.

``quick``: the 1 h demo.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DIR = Path(os.environ.get("LOUPE_BENCH_DIR", "/tmp/loupe-tui-bench"))
EPOCH_S = 4.0


def run(quick: bool = False) -> dict:
    import shutil
    import tempfile

    from scipy import signal

    from loupe_tui.config import TraceConfig
    from loupe_tui.demo import ensure_demo
    from loupe_tui.io.spectral import SpectralParams
    from loupe_tui.io.spectral.cache import open_or_build

    hours = 1.0 if quick else 24.0
    paths = ensure_demo(BENCH_DIR / ("demo1h" if quick else "demo24"), hours=hours, video_minutes=1.0,
                        progress=lambda line: None)
    src = TraceConfig.from_path(paths.recording, group=paths.eeg_group).source()
    n, fs = src.n_samples, float(src.time.fs)
    cores = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cores[0]})          # the goal is for one core
    rows = []
    block = 1 << 21

    def timed(what, fn, repeat=2):
        best = min(_once(fn) for _ in range(repeat))
        rows.append({"what": what, "seconds": round(best, 3), "M_samples_per_s": round(2 * n / best / 1e6, 1)})
        return best

    tmp = Path(tempfile.mkdtemp(prefix="bench-spectral-"))
    try:
        for method in ("multitaper", "welch"):
            params = SpectralParams.defaults(EPOCH_S, method=method)

            def build(params=params):
                shutil.rmtree(tmp / "c", ignore_errors=True)
                open_or_build(src, 0, 1, params, EPOCH_S, tmp / "c")

            timed(f"build: {method} spectrogram + band powers (EEG) and EMG level, one pass, cached on disk",
                  build)
        timed("read pass: both channels, the same blocks (the limit)",
              lambda: [src.read(i0, i0 + block, [0, 1]) for i0 in range(0, n, block)])
        x = np.concatenate([src.read(i0, i0 + block, [0])[0] for i0 in range(0, n, block)]).astype(np.float64)
        params = SpectralParams.defaults(EPOCH_S)
        nper, step = int(round(params.window_s * fs)), int(round(params.step_s * fs))
        timed("scipy.signal.spectrogram (Hann, the same windows) on the EEG already in memory (the reference)",
              lambda: signal.spectrogram(x, fs=fs, window="hann", nperseg=nper, noverlap=nper - step,
                                         detrend="constant", scaling="density"), repeat=1)
        rows[-1]["M_samples_per_s"] = round(n / rows[-1]["seconds"] / 1e6, 1)
        del x
        spec, emg = open_or_build(src, 0, 1, params, EPOCH_S, tmp / "c")
        size = sum(f.stat().st_size for d in (spec.path, emg.path) for f in d.iterdir())
        raw = 2 * n * 4
        t = time.perf_counter()
        open_or_build(src, 0, 1, params, EPOCH_S, tmp / "c")
        opened = time.perf_counter() - t
        queries = {"open (cached)": opened * 1e3}
        mid = round(n / fs / 2)
        fresh = iter(range(10, 100))
        spec.page(mid - 10.0, mid, 1600)                  # the page before: the next one is prefetched
        time.sleep(0.5)
        queries["10 s page after the one before (prefetched)"] = _once(lambda: spec.page(mid, mid + 10.0, 1600)) * 1e3
        queries["overview, 1600 columns"] = _once(lambda: spec.overview(1600)) * 1e3    # then it is kept
        for what, fn in (("6 h window, 1600 columns", lambda: spec.page(mid, mid + 6 * 3600, 1600)),
                         ("30 min window, 1600 columns", lambda: spec.page(mid, mid + 1800, 1600)),
                         ("10 s page, computed from the samples (a jump)", lambda: _jump(spec, mid, fresh)),
                         ("EMG level, 1600 columns", lambda: emg.columns(0, n / fs, 1600))):
            queries[what] = min(_once(fn) for _ in range(5)) * 1e3
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        os.sched_setaffinity(0, set(cores))
    rows.append({"what": f"cache size at the defaults, for {raw / 1e6:.0f} MB of raw float32 (goal: at most 10 %)",
                 "cache_MB": round(size / 1e6, 2), "percent_of_raw": round(100 * size / raw, 2)})
    for what, ms in queries.items():
        rows.append({"what": f"query: {what}", "seconds": round(ms / 1e3, 5), "M_samples_per_s": None})
    notes = (f"{hours:g} h demo, 2 channels ({', '.join(src.names)}) at {fs:g} Hz, {n:,} samples each, on "
             f"one core (sched_setaffinity); rodent defaults for {EPOCH_S:g} s epochs ({params.window_s:g} s "
             f"windows, step {params.step_s:g} s, {params.fmin:g}-{params.fmax:g} Hz, multitaper NW 2, 3 tapers); "
             f"best of 2 builds from an empty cache; goal (issue 13): build under 5 s for the 24 h demo; "
             f"load average {os.getloadavg()[0]:.2f}")
    return {"title": "spectral views: build time beside scipy and a read pass; cache size; queries",
            "results": rows, "notes": notes}


def _jump(spec, mid: float, fresh) -> None:
    t0 = mid + 20.0 * next(fresh)       # a page never asked before: nothing cached or prefetched
    spec._fine(t0, t0 + 10.0, 128)


def _once(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=1, default=str))
