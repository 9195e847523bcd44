"""The demo drawn the way Loupe draws it (pyqtgraph in Qt), driven over a pipe: ``bench_remote``'s reference.

``bench_remote`` runs this module in a subprocess with ``DISPLAY`` on its X
proxy and ``QT_QPA_PLATFORM=xcb``, so what Qt sends to the X server (its
backing store: PutImage of the region it repainted, as MIT-SHM is off) is
counted like the GL window's frames.

What it shows, as Loupe would (one window, ``size`` pixels):

* left, one ``GraphicsLayoutWidget``, plots stacked and X-linked:

  - EEG and EMG: one ``PlotDataItem`` per trace over the whole recording held
    in memory, ``setDownsampling(auto=True, method="peak")``,
    ``setClipToView(True)``, y auto-ranged (``bench_pageflip``'s reference
    draws its traces the same way: :func:`trace_plots`);
  - the calcium heatmap: an ``ImageItem`` of the window's samples (cells split
    by region, ordered by depth; ``magma``, fixed levels), set on every page;
  - the spike raster: a ``ScatterPlotItem`` of ``|`` marks, rows split by
    region and ordered by unit, alpha by SNR, the window's spikes set on
    every page;
  - labels: per interval a ``LinearRegionItem`` on every plot, in the
    state's colour at alpha 60; after an edit every label region is removed
    and added again (Loupe's redraw of its label list);
  - the cursor: an ``InfiniteLine`` on every plot;

* right: the video frame at the cursor in a ``QLabel`` (scaled to the label,
  smooth), the frames the benchmark's cursor visits decoded at start-up; the
  hypnogram overview below it: a plot of the whole recording with a region
  per label and one marking the window (both redrawn as Loupe does).

Not drawn: Loupe's toolbar, navigation slider and status text, the frame
counter over the video.

What Qt repaints (and so sends): a page flip paints the plots twice, as
pyqtgraph applies a new view range during the first paint and the clipped,
re-downsampled curves then ask for a second; a label edit repaints the
visible part of every label region it removes or adds, so splitting an
interval that spans the window repaints the plots' whole width (touching
only the changed regions instead of redrawing them all saves about a
tenth); a cursor step repaints the cursor lines and the whole video label.

Protocol. argv[1] is a JSON file (:func:`config`). The process loads
everything, opens the window and, once it has painted, writes
``{"ready": ...}`` to stdout. Then each stdin line is
``{"seq": n, "msgs": [...]}`` with messages ``["labels", removed, added]``
(spans ``[start, end, label]``), ``["window", t0, t1]`` and
``["cursor", t]``; the process applies them, lets Qt paint and writes
``{"drawn": n, "draw_ms": ...}``. ``{"quit": true}`` or end of input ends
it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

LABEL_ALPHA = 60           # Loupe's label shading
CURSOR_PEN = (255, 255, 255, 120)
PIP = "pip install pyqtgraph PySide6-Essentials (on Python < 3.12: 'PySide6-Essentials<6.12')"


def available() -> str:
    """'' when pyqtgraph and a Qt binding import (and the pair is known to last a run), else why not."""
    try:
        import pyqtgraph  # noqa: F401
        from pyqtgraph.Qt import QT_LIB, QtCore  # noqa: F401
    except Exception as exc:   # ImportError, or the binding's own error (no Qt binding found)
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    if QT_LIB == "PySide6" and sys.version_info < (3, 12):
        import PySide6

        if tuple(int(v) for v in PySide6.__version__.split(".")[:2]) >= (6, 12):
            # Seen with 6.12.0: every repaint of these plots releases None thousands of times more
            # than it took it; on Python < 3.12 (None not immortal) the process dies within a few
            # dozen events ("Fatal Python error: none_dealloc"). 6.9-6.11 do not.
            return (f"PySide6 {PySide6.__version__} on Python {sys.version_info[0]}.{sys.version_info[1]} "
                    "over-releases None and crashes; pip install 'PySide6-Essentials<6.12'")
    return ""


def config(paths, size: tuple[int, int], labels: list, colors: dict, window: tuple[float, float], cursor: float,
           visit: list[float]) -> dict:
    """What the subprocess is told: where the demo is (``loupe_tui.demo`` paths), the window size, the
    labels ``[(start, end, label)]``, state colours ``{name: RGBA}``, the first window and cursor and
    the cursor times whose video frames it decodes up front."""
    return {"recording": str(paths.recording), "eeg_group": paths.eeg_group,
            "calcium_group": paths.calcium_group, "spikes": str(paths.spikes), "video": str(paths.video),
            "frame_times": str(paths.frame_times), "size": list(size),
            "labels": [[float(s), float(e), str(k)] for s, e, k in labels],
            "colors": {k: list(v) for k, v in colors.items()}, "window": list(window), "cursor": cursor,
            "visit": sorted({round(float(t), 6) for t in visit})}


def environment(display: str, base: dict | None = None) -> dict:
    """The subprocess's environment: Qt on X (xcb) at ``display``, never MIT-SHM, no scaling."""
    env = dict(os.environ if base is None else base)
    env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", QT_XCB_NO_MITSHM="1", QT_ENABLE_HIGHDPI_SCALING="0",
               QT_SCALE_FACTOR="1", PYTHONUNBUFFERED="1")
    env.pop("WAYLAND_DISPLAY", None)
    return env


def trace_plots(layout, x: np.ndarray, ys, names=None, *, pens=None, first_row: int = 0, link_to=None) -> list:
    """Loupe's traces: a plot per trace in ``layout`` (a ``GraphicsLayoutWidget``), one ``PlotDataItem``
    each over all of ``x``, peak auto-downsampling, clip to view, every plot X-linked to the first
    (or to ``link_to``). Returns ``[(PlotItem, PlotDataItem)]``."""
    import pyqtgraph as pg

    out = []
    for k, y in enumerate(ys):
        p = layout.addPlot(row=first_row + k, col=0)
        pen = pens[k] if pens is not None else pg.mkPen(pg.intColor(k), width=1)
        item = p.plot(x, y, pen=pen)
        item.setDownsampling(auto=True, method="peak")
        item.setClipToView(True)
        if names is not None:
            p.setLabel("left", names[k])
        master = link_to if link_to is not None else (out[0][0] if out else None)
        if master is not None:
            p.setXLink(master)
        out.append((p, item))
    return out


class _Demo:
    """The demo's data, in memory as Loupe holds it."""

    def __init__(self, cfg: dict):
        import polars as pl
        import xarray as xr

        t = time.perf_counter()
        eeg = xr.open_zarr(cfg["recording"], group=cfg["eeg_group"])
        self.trace_names = [str(c) for c in eeg["channel"].values]
        self.y = np.asarray(eeg["data"].values, np.float32)
        self.x = np.asarray(eeg["time"].values, np.float64)
        ca = xr.open_zarr(cfg["recording"], group=cfg["calcium_group"])
        regions = np.array([str(r) for r in ca["region"].values])
        order = np.lexsort((np.asarray(ca["depth_um"].values, np.float64), regions))
        self.dff = np.asarray(ca["dff"].values, np.float32)[order]
        self.ca_t = np.asarray(ca["time"].values, np.float64)
        lo, hi = np.nanpercentile(self.dff[:, : min(self.dff.shape[1], 36000)], [1, 99.5])
        self.dff_levels = (float(lo), float(hi))
        sp = pl.read_parquet(cfg["spikes"], columns=["time", "unit_id", "region", "snr"]).sort("time")
        units = sp.select("region", "unit_id").unique().sort("region", "unit_id")
        row = {(r, u): k for k, (r, u) in enumerate(units.iter_rows())}
        self.n_units = len(row)
        self.sp_t = sp["time"].to_numpy()
        self.sp_row = self._rows(sp, row)
        snr = sp["snr"].to_numpy().astype(np.float32)
        self.sp_alpha = np.clip(60 + 195 * (snr - snr.min()) / max(float(np.ptp(snr)), 1e-9), 60, 255).astype(int)
        self.frame_t = np.load(cfg["frame_times"]).astype(np.float64)
        self.frames = self._decode(cfg["video"], cfg["visit"])
        self.load_s = time.perf_counter() - t

    @staticmethod
    def _rows(sp, row: dict) -> np.ndarray:
        import polars as pl

        keys = pl.DataFrame({"region": [r for r, _ in row], "unit_id": [u for _, u in row],
                             "row": list(row.values())}, schema_overrides={"unit_id": sp["unit_id"].dtype})
        return sp.join(keys, on=["region", "unit_id"], how="left", maintain_order="left")["row"].to_numpy()

    def frame_index(self, t: float) -> int:
        i = int(np.searchsorted(self.frame_t, t))
        if i <= 0:
            return 0
        if i >= len(self.frame_t):
            return len(self.frame_t) - 1
        return i - 1 if t - self.frame_t[i - 1] <= self.frame_t[i] - t else i

    def _decode(self, path: str, visit: list[float]) -> dict[int, np.ndarray]:
        """RGB frames the cursor will show (Loupe decodes on demand, with a cache; decoding is not
        what is measured here)."""
        import av

        want = {self.frame_index(t) for t in visit if self.frame_t[0] <= t <= self.frame_t[-1]}
        out: dict[int, np.ndarray] = {}
        if not want:
            return out
        last = max(want)
        with av.open(path) as c:
            for k, frame in enumerate(c.decode(video=0)):
                if k in want:
                    out[k] = frame.to_ndarray(format="rgb24")
                if k >= last:
                    break
        return out


class LoupeView:
    """The window (see the module docstring); :meth:`apply` takes the pipe's messages."""

    def __init__(self, cfg: dict, demo: _Demo):
        import pyqtgraph as pg
        from pyqtgraph.Qt import QtCore, QtWidgets

        pg.setConfigOptions(antialias=False, background="k", foreground="w", imageAxisOrder="row-major")
        self.pg, self.QtCore, self.QtWidgets = pg, QtCore, QtWidgets
        self.d = demo
        self.colors = {k: tuple(v[:3]) for k, v in cfg["colors"].items()}
        self.labels = [(float(s), float(e), str(k)) for s, e, k in cfg["labels"]]
        self.unmatched = 0
        self.win = QtWidgets.QWidget()
        self.win.setWindowTitle("pyqtgraph (Loupe's way)")
        box = QtWidgets.QHBoxLayout(self.win)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(4)
        self.glw = pg.GraphicsLayoutWidget()
        box.addWidget(self.glw, 3)
        right = QtWidgets.QWidget()
        rbox = QtWidgets.QVBoxLayout(right)
        rbox.setContentsMargins(0, 0, 0, 0)
        self.video = QtWidgets.QLabel()
        self.video.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.video.setMinimumSize(1, 1)
        self.video.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Ignored)
        rbox.addWidget(self.video, 3)
        self.hyp = pg.PlotWidget()
        self.hyp.setMouseEnabled(x=False, y=False)
        self.hyp.hideAxis("left")
        rbox.addWidget(self.hyp, 2)
        box.addWidget(right, 1)

        # traces, heatmap, raster: stacked, X-linked, only the last with a time axis
        pens = [pg.mkPen((230, 240, 190), width=1), pg.mkPen((40, 170, 180), width=1)]
        traces = trace_plots(self.glw, demo.x, demo.y, demo.trace_names, pens=pens)
        master = traces[0][0]
        self.heat_plot = self.glw.addPlot(row=len(traces), col=0)
        self.heat_plot.setXLink(master)
        self.heat = pg.ImageItem(axisOrder="row-major")
        self.heat.setColorMap(pg.colormap.get("magma"))
        self.heat_plot.addItem(self.heat)
        self.heat_plot.setYRange(0, demo.dff.shape[0], padding=0)
        self.heat_plot.setLabel("left", f"heatmap ({demo.dff.shape[0]})")
        self.raster_plot = self.glw.addPlot(row=len(traces) + 1, col=0)
        self.raster_plot.setXLink(master)
        self.raster = pg.ScatterPlotItem(symbol="|", size=8, pxMode=True)
        self.raster_plot.addItem(self.raster)
        self.raster_plot.setYRange(-0.5, demo.n_units - 0.5, padding=0)
        self.raster_plot.setLabel("left", f"raster ({demo.n_units})")
        self.plots = [p for p, _ in traces] + [self.heat_plot, self.raster_plot]
        for p in self.plots:
            p.setMouseEnabled(x=False, y=False)
            if p is not self.raster_plot:
                p.hideAxis("bottom")
        for k, stretch in enumerate([1] * len(traces) + [4, 5]):
            self.glw.ci.layout.setRowStretchFactor(k, stretch)
        self.cursor_lines = []
        for p in self.plots:
            line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(CURSOR_PEN))
            p.addItem(line)
            self.cursor_lines.append(line)
        self.hyp.setXRange(float(demo.x[0]), float(demo.x[-1]), padding=0)
        self.hyp.setYRange(0, 1, padding=0)
        self.hyp_window = pg.LinearRegionItem(values=(0, 1), brush=pg.mkBrush(255, 255, 255, 50), movable=False)
        self.hyp_window.setZValue(10)
        self.hyp.addItem(self.hyp_window)
        self.label_items: list = []
        self.hyp_items: list = []
        self._pixmap = None
        self._frame = None
        self.redraw_labels()
        self.set_window(*cfg["window"])
        self.set_cursor(cfg["cursor"])
        self.win.resize(*cfg["size"])

    # -- what a message changes -------------------------------------------------------------------------
    def apply(self, msgs: list) -> None:
        for m in msgs:
            if m[0] == "labels":
                self.edit_labels(m[1], m[2])
            elif m[0] == "window":
                self.set_window(m[1], m[2])
            elif m[0] == "cursor":
                self.set_cursor(m[1])

    def edit_labels(self, removed: list, added: list) -> None:
        gone = {(float(s), float(e), str(k)) for s, e, k in removed}
        kept = [lab for lab in self.labels if tuple(lab) not in gone]
        self.unmatched += len(gone) - (len(self.labels) - len(kept))   # spans it was told to remove but has not
        self.labels = sorted(kept + [(float(s), float(e), str(k)) for s, e, k in added])
        self.redraw_labels()

    def redraw_labels(self) -> None:
        """Loupe's way after an edit: every label region removed, then one per label added on every plot."""
        pg = self.pg
        for p, item in self.label_items:
            p.removeItem(item)
        for item in self.hyp_items:
            self.hyp.removeItem(item)
        self.label_items, self.hyp_items = [], []
        for s, e, name in self.labels:
            brush = pg.mkBrush(*self.colors.get(name, (150, 150, 150)), LABEL_ALPHA)
            for p in self.plots:
                reg = pg.LinearRegionItem(values=(s, e), brush=brush, movable=False)
                reg.setZValue(-20)
                p.addItem(reg)
                self.label_items.append((p, reg))
            reg = pg.LinearRegionItem(values=(s, e), brush=pg.mkBrush(*self.colors.get(name, (150, 150, 150)), 200),
                                      movable=False, pen=pg.mkPen(None))
            self.hyp.addItem(reg)
            self.hyp_items.append(reg)

    def set_window(self, t0: float, t1: float) -> None:
        d = self.d
        self.plots[0].setXRange(t0, t1, padding=0)
        i0, i1 = np.searchsorted(d.ca_t, [t0, t1])
        self.heat.setImage(d.dff[:, i0:i1], levels=d.dff_levels, autoLevels=False)
        self.heat.setRect(float(t0), 0.0, float(t1 - t0), float(d.dff.shape[0]))
        j0, j1 = np.searchsorted(d.sp_t, [t0, t1])
        pens = [self.pg.mkPen(255, 255, 255, int(a)) for a in d.sp_alpha[j0:j1]]
        self.raster.setData(x=d.sp_t[j0:j1], y=d.sp_row[j0:j1], pen=pens)
        self.hyp_window.setRegion((t0, t1))

    def set_cursor(self, t: float) -> None:
        for line in self.cursor_lines:
            line.setValue(t)
        k = self.d.frame_index(t)
        if k != self._frame and (k in self.d.frames or not self.d.frames):
            self._frame = k
            self.show_frame()

    def show_frame(self) -> None:
        from pyqtgraph.Qt import QtCore, QtGui

        rgb = self.d.frames.get(self._frame)
        if rgb is None:
            return
        h, w, _ = rgb.shape
        img = QtGui.QImage(rgb.data, w, h, 3 * w, QtGui.QImage.Format.Format_RGB888).copy()
        self._pixmap = QtGui.QPixmap.fromImage(img)
        self.video.setPixmap(self._pixmap.scaled(self.video.size(), QtCore.Qt.AspectRatioMode.KeepAspectRatio,
                                                 QtCore.Qt.TransformationMode.SmoothTransformation))


def _binding() -> str:
    import pyqtgraph.Qt as Qt

    return str(getattr(Qt, "QT_LIB", "?"))


def _settle(app) -> None:
    """Let Qt run what the change posted (pyqtgraph's deferred view updates, the scene's dirty
    regions, the repaint) so the frame is painted and flushed before it says so."""
    from pyqtgraph.Qt import QtCore

    for _ in range(4):
        QtCore.QCoreApplication.sendPostedEvents()
        app.processEvents()


def main(argv: list[str]) -> int:
    cfg = json.loads(Path(argv[1]).read_text())
    from pyqtgraph.Qt import QtCore, QtWidgets

    out = sys.stdout

    def say(obj: dict) -> None:
        out.write(json.dumps(obj) + "\n")
        out.flush()

    t0 = time.perf_counter()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["pyqtgraph-remote"])
    demo = _Demo(cfg)
    view = LoupeView(cfg, demo)
    view.win.show()
    _settle(app)
    view.show_frame()      # the label has its size now
    _settle(app)
    say({"ready": True, "pid": os.getpid(), "load_s": round(demo.load_s, 2),
         "start_s": round(time.perf_counter() - t0, 2), "platform": app.platformName(),
         "qt": QtCore.qVersion(), "binding": _binding(),
         "size": [view.win.width(), view.win.height()]})

    buf = bytearray()
    fd = sys.stdin.fileno()
    notifier = QtCore.QSocketNotifier(fd, QtCore.QSocketNotifier.Type.Read)

    def on_input() -> None:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            app.quit()
            return
        buf.extend(chunk)
        while b"\n" in buf:
            line, _, rest = bytes(buf).partition(b"\n")
            buf[:] = rest
            cmd = json.loads(line)
            if cmd.get("quit"):
                app.quit()
                return
            s = time.perf_counter()
            view.apply(cmd["msgs"])
            _settle(app)
            say({"drawn": cmd["seq"], "draw_ms": round(1000 * (time.perf_counter() - s), 1),
                 "unmatched_labels": view.unmatched})

    notifier.activated.connect(on_input)
    app.exec()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
