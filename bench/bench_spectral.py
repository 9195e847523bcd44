"""Spectral estimates (issue 13): the build time for the demo's EEG and EMG, beside scipy.

Data: the bench demo (``$LOUPE_BENCH_DIR/demo24``, like ``bench_remote``'s):
24 h of EEG and EMG at 1 kHz (2 x 86.4 M samples, zarr). Each row builds one
estimate for the whole recording, one channel at a time, on one core, read
block by block from the recording (``loupe_tui.io.spectral``):

* ``multitaper`` and ``welch`` spectrograms at the rodent defaults for 4 s
  epochs (5 s windows stepped by 4 s, 0-30 Hz; ``SpectralParams.defaults(4)``);
* ``emg level``: the 20-50 Hz zero-phase band-pass and log RMS per epoch;

beside ``scipy.signal.spectrogram`` (Hann, the same 5 s windows stepped by
4 s) on the same samples already in memory (the reference: it needs the
channel loaded whole), and one read pass over the data (``source.read`` in
the same blocks, the limit). The issue's goal: under 5 s for both channels.

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
    from scipy import signal

    from loupe_tui.config import TraceConfig
    from loupe_tui.demo import ensure_demo
    from loupe_tui.io.spectral import SpectralParams, emg_level, spectrogram

    hours = 1.0 if quick else 24.0
    paths = ensure_demo(BENCH_DIR / ("demo1h" if quick else "demo24"), hours=hours, video_minutes=1.0,
                        progress=lambda line: None)
    src = TraceConfig.from_path(paths.recording, group=paths.eeg_group).source()
    n, fs = src.n_samples, float(src.time.fs)
    block = 1 << 21
    rows = []
    totals = {"multitaper": 0.0, "welch": 0.0, "emg level": 0.0, "read pass": 0.0}
    for ch, name in enumerate(src.names):
        t = time.perf_counter()
        for i0 in range(0, n, block):
            src.read(i0, i0 + block, [ch])
        totals["read pass"] += time.perf_counter() - t
        for method in ("multitaper", "welch"):
            params = SpectralParams.defaults(EPOCH_S, method=method)
            t = time.perf_counter()
            spectrogram(src, ch, params)
            totals[method] += time.perf_counter() - t
        t = time.perf_counter()
        emg_level(src, ch, EPOCH_S)
        totals["emg level"] += time.perf_counter() - t
    # the reference: scipy on one channel in memory, the same windows (the load is not timed)
    x = np.concatenate([src.read(i0, i0 + block, [0])[0] for i0 in range(0, n, block)]).astype(np.float64)
    params = SpectralParams.defaults(EPOCH_S)
    nper, step = int(round(params.window_s * fs)), int(round(params.step_s * fs))
    t = time.perf_counter()
    signal.spectrogram(x, fs=fs, window="hann", nperseg=nper, noverlap=nper - step, detrend="constant",
                       scaling="density")
    scipy_s = time.perf_counter() - t
    n_ch = len(src.names)
    for what, secs in totals.items():
        rows.append({"estimate": what, "channels": n_ch, "seconds": round(secs, 2),
                     "M_samples_per_s": round(n_ch * n / secs / 1e6, 1)})
    rows.append({"estimate": "scipy.signal.spectrogram (Hann, one channel in memory) x channels",
                 "channels": n_ch, "seconds": round(scipy_s * n_ch, 2),
                 "M_samples_per_s": round(n / scipy_s / 1e6, 1)})
    notes = (f"{hours:g} h demo, {n_ch} channels ({', '.join(src.names)}) at {fs:g} Hz, {n:,} samples each; "
             f"rodent defaults for {EPOCH_S:g} s epochs ({params.window_s:g} s windows, step {params.step_s:g} s, "
             f"{params.fmin:g}-{params.fmax:g} Hz); goal (issue 13): under 5 s for the 24 h demo; "
             f"load average {os.getloadavg()[0]:.2f}")
    return {"title": "spectral estimates: build time beside scipy and a read pass", "results": rows, "notes": notes}


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=1, default=str))
