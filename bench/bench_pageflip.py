"""Page flips in the GL window, against the way Loupe draws (pyqtgraph), same data, same run.

Data (built once, see ``bench/pageflip_data.py``): 24 h x 16 channels x 1 kHz
(1.38 G samples) like the demo's, its min/max pyramid, 21,600 label spans
(4 s epochs), the hypnogram. The window is 1600x900, on ``$DISPLAY`` or a
private Xvfb with Mesa llvmpipe.

Rows:

* ``flip <len>``: SetWindow (+ SetCursor, as the terminal app sends them)
  to FrameDrawn received, one flip at a time, for 10 s, 1 h and 24 h
  windows; beside it ``pyqtgraph``: one PlotDataItem per trace (stacked,
  X-linked, ``setDownsampling(auto=True, method='peak')``,
  ``setClipToView(True)``, Qt offscreen), ``setXRange`` + render, on the same
  samples loaded in memory as Loupe does. ``ratio`` = pyqtgraph / GL median.
* ``ipc round trip``: Ping -> Pong while idle, on a second window started
  with the same session after the first one quit. It talks the protocol on
  its own socket (Hello/Ready, the same initial messages, then Ping/Pong):
  :class:`~loupe_tui.link.RenderLink` keeps every Pong for its watchdog, so
  none reaches ``on_event``. What the link adds on top (its send queue and
  writer task) is not in this figure.
* ``memory``: RSS of this (terminal-side) process and of the window before
  and after paging the whole recording (10 s pages spread over 24 h, then
  every hour), which must not grow with the recording.
* ``idle cpu``: the window's CPU use over 5 s with nothing to draw.

Target (lead, quiet machine): 10 s flip median < 30 ms, p95 < 60 ms; 1 h and
24 h no more than twice that.

``quick`` (smoke run): the same rows on 1 h x 4 channels (flips of 10 s,
10 min and the whole hour), fewer flips, 2 s of idle CPU.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pageflip_data import ensure_data, load_labels, sizes  # noqa: E402

SIZE = (1600, 900)
DAY = 86_400.0
STATES = {"Wake": [0, 209, 40, 255], "NREM": [41, 30, 255, 255], "REM": [255, 48, 144, 255]}
LENGTHS = {"10 s": 10.0, "1 h": 3600.0, "24 h": DAY}
QUICK_LENGTHS = {"10 s": 10.0, "10 min": 600.0, "1 h": 3600.0}  # the quick recording is 1 h long


def lengths(quick: bool) -> dict[str, float]:
    return QUICK_LENGTHS if quick else LENGTHS


def _flips(length: float, n: int, span: float = DAY) -> list[tuple[float, float]]:
    rng = np.random.default_rng(1)
    if length >= span:
        return [(k * 60.0, k * 60.0 + span) for k in range(n)]  # every flip moves the whole recording a minute
    starts = []
    per_run = max(1, min(10, int(span // length)))
    for _ in range(-(-n // per_run)):  # runs of consecutive pages from random places
        s = float(rng.integers(0, max(int((span - per_run * length) // length), 1))) * length
        starts += [s + i * length for i in range(per_run)]
    return [(s, s + length) for s in starts[:n]]


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident MB of ``pid``: ``VmRSS`` (all), ``RssAnon`` (its own memory) or ``RssFile`` (mapped files)."""
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def mem(pid: int) -> tuple[float, float]:
    """(anonymous MB, file-backed MB): the pyramid is memory-mapped, so its touched
    pages count in RSS as shared page cache, not as memory the process owns."""
    return rss_mb(pid, "RssAnon"), rss_mb(pid, "RssFile")


def cpu_s(pid: int) -> float:
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def _stats(ms: list[float]) -> dict:
    a = np.asarray(ms)
    return {"median_ms": float(np.median(a)), "p95_ms": float(np.percentile(a, 95)), "n": len(a)}


def _command() -> list[str]:
    return [sys.executable, "-m", "render", "--size", f"{SIZE[0]}x{SIZE[1]}"]


def _initial(paths: dict) -> list:
    """What the window is sent first: the session, colours, labels, epochs, the first window (seq 0)."""
    from loupe_tui import protocol as P
    from loupe_tui.config import TraceConfig
    from loupe_tui.viewspec import build_spec

    cfg = TraceConfig.from_path(paths["zarr"], group="eeg")
    spec = build_spec([cfg], labels_states_colors=STATES, cache_dir=paths["root"] / "session",
                      pyramid_cache=paths["pyramids"])
    starts, ends, labels = load_labels(paths["labels"])
    return [P.LoadSession(spec), P.SetStateColors(STATES), P.SetLabels(starts, ends, labels),
            P.SetViewOption("epochs", {"epoch_len": 4.0, "t_start": 0.0}), P.SetWindow(0, 10, 0)]


async def ping_pong(initial: list, env: dict, log_path: Path, n: int, timeout: float = 60.0) -> list[float]:
    """Ping -> Pong round trips (ms) with an idle window, over the bare protocol.

    Starts ``python -m render --connect SOCKET`` on a socket of its own, does
    the handshake, sends ``initial`` and waits for its frame (seq 0), then
    times ``n`` Pings one after the other. Only the public protocol is used:
    the link (:class:`~loupe_tui.link.RenderLink`) answers Pongs itself (its
    watchdog) and never passes them on.
    """
    from loupe_tui import protocol as P

    tmp = Path(tempfile.mkdtemp(prefix="loupe-bench-rtt-"))
    loop = asyncio.get_running_loop()
    connected: asyncio.Future = loop.create_future()

    def on_connect(reader, writer):
        if connected.done():
            writer.close()
        else:
            connected.set_result((reader, writer))

    server = await asyncio.start_unix_server(on_connect, path=str(tmp / "link.sock"))
    proc = None
    writer = None
    try:
        with open(log_path, "ab") as logf:
            proc = await asyncio.create_subprocess_exec(
                *_command(), "--connect", str(tmp / "link.sock"), stdin=subprocess.DEVNULL, stdout=logf,
                stderr=subprocess.STDOUT, start_new_session=True, env=env)
        reader, writer = await asyncio.wait_for(connected, timeout)

        async def until(pred):
            while True:
                line = await asyncio.wait_for(reader.readline(), timeout)
                if not line:
                    raise RuntimeError(f"the window exited (code {proc.returncode}); see {log_path}")
                m = P.decode(line)
                if isinstance(m, P.ErrorRaised) and m.fatal:
                    raise RuntimeError(f"the window failed: {m.message}")
                if pred(m):
                    return m

        writer.write(P.encode(P.Hello()))
        await until(lambda m: isinstance(m, P.Ready))
        writer.write(b"".join(P.encode(m) for m in initial))
        await writer.drain()
        await until(lambda m: isinstance(m, P.FrameDrawn) and m.seq == 0)
        await asyncio.sleep(0.5)  # let it settle into its idle wait
        rtt = []
        for k in range(1, n + 1):
            t = time.perf_counter()
            writer.write(P.encode(P.Ping(k)))
            await writer.drain()
            await until(lambda m: isinstance(m, P.Pong) and m.seq == k)
            rtt.append((time.perf_counter() - t) * 1000)
        writer.write(P.encode(P.Quit()))
        await writer.drain()
        await asyncio.wait_for(proc.wait(), 5.0)
        return rtt
    finally:
        server.close()
        if writer is not None:
            writer.close()
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, 9)
            await proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


async def _gl(paths: dict, quick: bool, env: dict) -> dict:
    from loupe_tui import protocol as P
    from loupe_tui.link import RenderLink

    inbox: asyncio.Queue = asyncio.Queue()
    log = paths["root"] / "render.log"
    link = RenderLink(inbox.put_nowait, env=env, log_path=log, command=_command())
    initial = _initial(paths)
    _, hours = sizes(quick)
    span = hours * 3600.0
    seq = 0

    async def until(pred, timeout=120.0):
        while True:
            m = await asyncio.wait_for(inbox.get(), timeout)
            if pred(m):
                return m

    async def flip(t0, t1) -> float:
        nonlocal seq
        seq += 1
        t = time.perf_counter()
        link.send(P.SetWindow(t0, t1, seq))
        link.send(P.SetCursor(t0, seq))
        await until(lambda m: isinstance(m, P.FrameDrawn) and m.seq == seq)
        return (time.perf_counter() - t) * 1000

    out: dict = {}
    ready = await link.start(list(initial))
    try:
        out["renderer"] = f"{ready.renderer} / GL {ready.gl_version}"
        await until(lambda m: isinstance(m, P.FrameDrawn) and m.seq == 0)
        t_w = min(3600.0, span / 2)
        for _ in range(3):
            await flip(t_w, t_w + 10)  # warm-up: shaders, text atlas
        me, win = os.getpid(), ready.pid
        out["rss_start"] = (mem(me), mem(win))
        n = [30, 10, 6] if quick else [200, 48, 30]
        for k, (name, length) in zip(n, lengths(quick).items()):
            out[name] = [await flip(*w) for w in _flips(length, k, span)]
        # Page the whole recording: 10 s pages at 500 places over 24 h, then every hour.
        for s in np.linspace(0, span - 10, 60 if quick else 500):
            await flip(float(s), float(s) + 10)
        for h in range(int(hours)):
            await flip(h * 3600.0, (h + 1) * 3600.0)
        out["rss_end"] = (mem(me), mem(win))
        await asyncio.sleep(1.0)
        idle_s = 2.0 if quick else 5.0
        c0 = cpu_s(win)
        await asyncio.sleep(idle_s)
        out["idle_cpu"] = (cpu_s(win) - c0) / idle_s
        out["idle_s"] = idle_s
    finally:
        await link.stop()
    out["rtt"] = await ping_pong(initial, env, log, 30 if quick else 300)
    return out


def _pyqtgraph(paths: dict, quick: bool) -> dict:
    """Run the pyqtgraph reference in a fresh process (it holds the recording in memory)."""
    try:
        import pyqtgraph  # noqa: F401
    except ImportError:
        return {"error": "pyqtgraph reference skipped: not installed (pip install pyqtgraph PySide6-Essentials)"}
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    cmd = [sys.executable, __file__, "--pyqtgraph", str(paths["zarr"])] + (["--quick"] if quick else [])
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600)
    if r.returncode != 0:
        return {"error": f"pyqtgraph run failed: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.returncode}"}
    return json.loads(r.stdout.strip().splitlines()[-1])


def pyqtgraph_main(zarr_path: str, quick: bool) -> None:
    """The reference: Loupe's way, 16 PlotDataItems, peak auto-downsampling, clip to view."""
    import pyqtgraph as pg
    import xarray as xr
    from pyqtgraph.Qt import QtWidgets

    t = time.perf_counter()
    da = xr.open_zarr(zarr_path, group="eeg")["data"].load()
    y = np.asarray(da.values, np.float32)
    x = np.asarray(da["time"].values, np.float64)
    load_s = time.perf_counter() - t
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    w = pg.GraphicsLayoutWidget()
    w.resize(*SIZE)
    plots = []
    for k in range(y.shape[0]):
        p = w.addPlot(row=k, col=0)
        item = p.plot(x, y[k], pen=pg.mkPen(pg.intColor(k), width=1))
        item.setDownsampling(auto=True, method="peak")
        item.setClipToView(True)
        p.hideAxis("bottom") if k < y.shape[0] - 1 else None
        if plots:
            p.setXLink(plots[0])
        plots.append(p)
    w.show()
    app.processEvents()

    def flip(t0, t1) -> float:
        s = time.perf_counter()
        plots[0].setXRange(t0, t1, padding=0)
        app.processEvents()
        w.grab()  # paint everything now
        return (time.perf_counter() - s) * 1000

    for _ in range(2):
        flip(3600, 3610)
    out = {"load_s": load_s, "rss_mb": rss_mb(os.getpid())}
    n = [20, 6, 3] if quick else [100, 24, 8]
    span = float(x[-1] - x[0])
    for k, (name, length) in zip(n, lengths(quick).items()):
        out[name] = [flip(*win) for win in _flips(length, k, span)]
    print(json.dumps(out))


def run(quick: bool = False) -> dict:
    paths = ensure_data(progress=lambda s: print(f"   {s}", file=sys.stderr), quick=quick)
    n_ch, hours = sizes(quick)
    from loupe_tui.xvfb import display_env

    with display_env() as env:
        gl = asyncio.run(_gl(paths, quick, env))
    ref = _pyqtgraph(paths, quick)
    rows = []
    for name in lengths(quick):
        row = {"case": f"flip {name}", **{f"gl_{k}": v for k, v in _stats(gl[name]).items()}}
        if name in ref:
            s = _stats(ref[name])
            row.update(pyqtgraph_median_ms=s["median_ms"], pyqtgraph_p95_ms=s["p95_ms"],
                       ratio=s["median_ms"] / row["gl_median_ms"])
        rows.append(row)
    rtt = np.asarray(gl["rtt"])
    rows.append({"case": "ipc round trip (Ping/Pong)", "median_ms": float(np.median(rtt)),
                 "p99_ms": float(np.percentile(rtt, 99)), "n": len(rtt)})
    (ta, tf), (wa, wf) = gl["rss_start"]
    (ta2, tf2), (wa2, wf2) = gl["rss_end"]
    rows.append({"case": f"memory while paging {hours:g} h (MB, start -> end)",
                 "tui_anon": f"{ta:.0f} -> {ta2:.0f}", "window_anon": f"{wa:.0f} -> {wa2:.0f}",
                 "window_mapped_files": f"{wf:.0f} -> {wf2:.0f}",
                 "tui_anon_growth_mb": round(ta2 - ta, 1), "window_anon_growth_mb": round(wa2 - wa, 1),
                 "window_mapped_growth_mb": round(wf2 - wf, 1),
                 **({"pyqtgraph_rss": round(ref["rss_mb"])} if "rss_mb" in ref else {})})
    rows.append({"case": "window idle cpu", "fraction_of_core": gl["idle_cpu"], "over_s": gl["idle_s"]})
    n_labels = len(np.load(paths["labels"])["starts"])
    notes = (f"renderer {gl['renderer']}; window {SIZE[0]}x{SIZE[1]}; {n_ch} ch x {hours:g} h x 1 kHz, "
             f"{n_labels:,} labels; ipc round trip on the bare socket of a second window (RenderLink keeps Pongs)")
    if "error" in ref:
        notes += f"; {ref['error']}"
    elif "load_s" in ref:
        notes += f"; pyqtgraph needs the recording in memory (load {ref['load_s']:.0f} s)"
    return {"title": "GL window page flips vs pyqtgraph (Loupe)", "results": rows, "notes": notes}


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--pyqtgraph":
        pyqtgraph_main(sys.argv[2], "--quick" in sys.argv)
    else:
        print(json.dumps(run(quick="--quick" in sys.argv), indent=1))
