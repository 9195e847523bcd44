"""Page flips in the GL window with and without the spectral views (issue 13), side by side.

Data: ``bench_pageflip``'s (24 h x 16 channels x 1 kHz, 21,600 labels; see
``bench/pageflip_data.py``), drawn as it draws it, in a 1600x900 window on
``$DISPLAY`` or a private Xvfb (Mesa llvmpipe). The spectral views are those
of channel 0 (a copy of the demo's EEG: spectrogram and band powers) and
channel 1 (its EMG: the EMG level), 4 s epochs, rodent defaults; their cache
is built here first (as the terminal app builds it before it starts the
window), so the window only opens it. The ``with`` window shows the
spectrogram panel, the band-power and EMG-level panels and the
whole-recording spectrogram above the hypnogram.

Both windows are open at once and flipped in turns, a run of consecutive
pages each, with a pause of ``PAUSE_S`` after each run (the window that
waits has nothing left to draw), so both see the same load.
Rows, for 10 s, 1 h and 24 h windows: a flip is SetWindow (+ SetCursor) sent
to FrameDrawn received, one at a time, in runs of consecutive pages from
random places (as ``bench_pageflip``): a held key; ``draw`` is the window's
own time for the frame (FrameDrawn.draw_ms). A 10 s page holds 2.5 epochs,
so its spectrogram is computed from the samples on a finer step
(``Spectrogram.page``), on a thread: the first flip of a run shows the
cached epochs and starts that (the next flips run beside it), the rest of
the run flips past pages that are never computed, and the last page is
computed once the run stops (see ``render/panels/spectrogram.py``). Target
(issue 13): median under 30 ms with the views on.

``quick``: the quick pageflip data (1 h x 4 channels), fewer flips.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_pageflip import STATES, _command, _flips, lengths  # noqa: E402
from pageflip_data import ensure_data, load_labels, sizes  # noqa: E402

EPOCH_S = 4.0
#: After each run of flips: time for the window to finish (a fine page, its frame) before the other flips.
PAUSE_S = 0.3


def _spectral_config(paths: dict):
    from loupe_tui.config import TraceConfig
    from loupe_tui.config_spectral import SpectrogramConfig

    data = TraceConfig.from_path(paths["zarr"], group="eeg").data
    return SpectrogramConfig(data, channel=0, emg_channel=1)


def _initial(paths: dict, spectral: bool) -> list:
    from loupe_tui import protocol as P
    from loupe_tui.config import TraceConfig
    from loupe_tui.viewspec import build_spec

    cfg = TraceConfig.from_path(paths["zarr"], group="eeg")
    extra = {"spectral": [_spectral_config(paths)], "epoch_s": EPOCH_S} if spectral else {}
    spec = build_spec([cfg], labels_states_colors=STATES, cache_dir=paths["root"] / "session",
                      pyramid_cache=paths["pyramids"], **extra)
    starts, ends, labels = load_labels(paths["labels"])
    return [P.LoadSession(spec), P.SetStateColors(STATES), P.SetLabels(starts, ends, labels),
            P.SetViewOption("epochs", {"epoch_len": EPOCH_S, "t_start": 0.0}), P.SetWindow(0, 10, 0)]


class _Window:
    """One GL window on its own link, flipped one page at a time."""

    def __init__(self, paths: dict, env: dict, name: str):
        from loupe_tui.link import RenderLink

        self.inbox: asyncio.Queue = asyncio.Queue()
        self.link = RenderLink(self.inbox.put_nowait, env=env, log_path=paths["root"] / f"render-{name}.log",
                               command=_command())
        self.seq = 0

    async def until(self, pred, timeout: float = 300.0):
        from loupe_tui import protocol as P

        while True:
            m = await asyncio.wait_for(self.inbox.get(), timeout)
            if isinstance(m, P.ErrorRaised):
                raise RuntimeError(f"the window reported: {m.message}")
            if pred(m):
                return m

    async def start(self, initial: list) -> str:
        from loupe_tui import protocol as P

        ready = await self.link.start(initial)
        await self.until(lambda m: isinstance(m, P.FrameDrawn) and m.seq == 0)
        return f"{ready.renderer} / GL {ready.gl_version}"

    async def flip(self, t0: float, t1: float) -> tuple[float, float]:
        """(SetWindow sent to FrameDrawn received, the window's draw_ms), in ms."""
        from loupe_tui import protocol as P

        self.seq += 1
        seq = self.seq
        t = time.perf_counter()
        self.link.send(P.SetWindow(t0, t1, seq))
        self.link.send(P.SetCursor(t0, seq))
        m = await self.until(lambda m: isinstance(m, P.FrameDrawn) and m.seq == seq)
        return (time.perf_counter() - t) * 1000, m.draw_ms


async def _gl(paths: dict, quick: bool, env: dict) -> dict:
    """Both windows open at once (the one not flipping sleeps: it draws nothing), flipped in turns,
    a run of consecutive pages each, so that both see the same machine load."""
    _, hours = sizes(quick)
    span = hours * 3600.0
    wins = {"without": _Window(paths, env, "without"), "with": _Window(paths, env, "with")}
    out: dict = {name: {} for name in wins}
    try:
        for name, w in wins.items():
            out["renderer"] = await w.start(_initial(paths, spectral=name == "with"))
            t_w = min(3600.0, span / 2)
            for _ in range(3):
                await w.flip(t_w, t_w + 10)  # warm-up: shaders, text atlas, numba
        n = [30, 10, 6] if quick else [200, 48, 30]
        for k, (label, length) in zip(n, lengths(quick).items()):
            flips = _flips(length, k, span)
            run = max(1, min(10, int(span // length))) if length < span else 3
            for name in wins:
                out[name][label] = []
            for i in range(0, len(flips), run):
                for name, w in wins.items():
                    out[name][label] += [await w.flip(*f) for f in flips[i:i + run]]
                    await asyncio.sleep(PAUSE_S)
    finally:
        for w in wins.values():
            await w.link.stop()
    return out


def _row(name: str, without: list, with_: list) -> dict:
    a, b = np.asarray(without), np.asarray(with_)
    return {"case": f"flip {name}", "without_median_ms": float(np.median(a[:, 0])),
            "with_median_ms": float(np.median(b[:, 0])), "without_p95_ms": float(np.percentile(a[:, 0], 95)),
            "with_p95_ms": float(np.percentile(b[:, 0], 95)), "without_draw_ms": float(np.median(a[:, 1])),
            "with_draw_ms": float(np.median(b[:, 1])), "n": len(b)}


def run(quick: bool = False) -> dict:
    paths = ensure_data(progress=lambda s: print(f"   {s}", file=sys.stderr), quick=quick)
    n_ch, hours = sizes(quick)
    t = time.perf_counter()
    _spectral_config(paths).open(EPOCH_S, cache_dir=paths["pyramids"])   # the app builds it before the window
    build_s = time.perf_counter() - t
    from loupe_tui.xvfb import display_env

    with display_env() as env:
        gl = asyncio.run(_gl(paths, quick, env))
    rows = [_row(name, gl["without"][name], gl["with"][name]) for name in lengths(quick)]
    notes = (f"renderer {gl['renderer']}; 1600x900; both windows open, flipped in turns (a run of pages "
             f"each); {n_ch} ch x {hours:g} h x 1 kHz; spectral views of channels 0 (EEG) and 1 (EMG), "
             f"4 s epochs; spectral cache opened or built in {build_s:.1f} s "
             f"before the windows start; flips = SetWindow sent to FrameDrawn received, draw = FrameDrawn.draw_ms")
    return {"title": "GL page flips with and without the spectral views", "results": rows, "notes": notes}


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv), indent=1))
