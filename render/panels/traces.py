"""Stacked traces: one row per trace, each with its own Y range.

Every source drawn here is a *layer* (the traces themselves, each overlay
array, or each array of a Zip): all channels of a layer go through one
:class:`~render.visuals.columns.TraceColumns` program and one draw call. Rows
share an x axis; their Y range is per row: autorange over the window
(default), the whole recording (``"yrange": "global"``) or fixed
(``ymin``/``ymax``), times a Y zoom.

Each row has a Y scale in the data's units (``units`` of the spec, from the
DataArray's ``attrs["units"]``): a bar of a round amount (1-2-5) at the right
edge of the name gutter, at most half the row tall, labelled ``"100 uV"``. It
follows the row's range, so Y zoom and fixed ranges change it.

Options (target ``trace:<name>``, or ``traces`` / ``panel:<i>`` for all rows):
``{"autorange": true}``, ``{"yrange": "auto" | "global"}``,
``{"ymin": a, "ymax": b}``, ``{"yzoom": 2.0}``, ``{"visible": false}``.

Display filters (:mod:`render.filtered`, the window's ``filters`` option): the traces
themselves (not overlays) with a chain read through a :class:`~render.filtered.FilteredReader`
and are named with the chain, or ``(filtering…)`` while a long window still comes from the
raw pyramid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loupe_tui.io.filters import filtered_name
from loupe_tui.io.pyramid import Pyramid
from render.filtered import PENDING, DisplayFilters, FilteredReader
from render.panels.base import (
    GUTTER_TEXT_X, LINE_PX, NAME_PT, SCALE_BAR_DX, SCALE_PT, SCALE_RGBA, SCALE_ROOM_PX, Frame, Panel, fit_gutter,
    format_amount, scale_bar,
)
from render.visuals.columns import TraceColumns
from render.visuals.rects import Rects
from render.visuals.text import text_width

ROW_PAD_PX = 2.0
MARKER_PX = 5.0
#: Rows at least this tall write the scale under the name; lower ones beside it.
TWO_LINE_ROW_PX = 26.0
#: Beside the scale, a name keeps at least this room (about 9 characters) or the scale is left out.
ONE_LINE_NAME_PX = 48.0
#: The scale bar is at most this share of the row's usable height.
SCALE_SHARE = 0.5


@dataclass(eq=False)
class Layer:
    """One source's channels in this panel: channel ``channels[k]`` drawn in row ``rows[k]``."""

    pyramid: Pyramid
    channels: np.ndarray
    rows: np.ndarray
    colors: np.ndarray
    lines: TraceColumns
    lo: np.ndarray | None = None  # per entry: window min / max (for autorange)
    hi: np.ndarray | None = None
    reader: FilteredReader | None = None   # display filters on: what the window is read through
    filtered: bool = True                   # the last window came filtered where a chain is set

    def window(self, t0: float, t1: float, n_px: int):
        if self.reader is None:
            return self.pyramid.window(t0, t1, n_px, self.channels)
        wd, self.filtered = self.reader.window(t0, t1, n_px, self.channels)
        return wd


class StackedTraces(Panel):
    """``TraceConfig(mode="stacked")`` with its overlays and sample markers."""

    kind = "traces"
    _filters = DisplayFilters()     # none until the window gives some (immutable: a safe class default)

    def __init__(self, op, index, state):
        super().__init__(op, index, state)
        self.row_names = self._row_names()
        self.row_units = self._row_units()
        self.layers = self._build_layers()
        n = len(self.row_names)
        self.row_opts: list[dict] = [{} for _ in range(n)]
        self._ranges = np.tile([-1.0, 1.0], (n, 1))
        self._global: np.ndarray | None = None
        self._markers = Rects()
        self._chrome = Rects()
        self._window: tuple[float, float, int] | None = None
        self._fetched: list = []  # WindowData of each layer for the current window
        self._filters = DisplayFilters()
        self._filter_key: tuple = ()

    # -- construction (Zip overrides these) ----------------------------------
    def _row_names(self) -> list[str]:
        return list(self.spec["names"])

    def _row_units(self) -> list[str]:
        """The unit of each row's values ("" when unknown): the data's per-trace units (EDF), else
        the panel's."""
        rows = self.spec.get("row_units")
        if rows and len(rows) == len(self.row_names):
            return [str(u or "") for u in rows]
        return [str(self.spec.get("units") or "")] * len(self.row_names)

    def _build_layers(self) -> list[Layer]:
        n = len(self.spec["names"])
        idx = np.arange(n)
        layers = [Layer(self.op.sources[0].pyramid, idx, idx, np.asarray(self.spec["colors"], np.float32),
                        TraceColumns())]
        for ov, src in zip(self.spec.get("overlays", []), self.op.sources[1:]):
            layers.append(Layer(src.pyramid, idx, idx, np.tile(np.asarray(ov["color"], np.float32), (n, 1)),
                                TraceColumns()))
        return layers

    # -- layout and options --------------------------------------------------
    def weight(self):
        n = len(self.row_names)
        return 1.5 * n, 22.0 * n

    def targets(self):
        return [*super().targets(), "traces", *(f"trace:{n}" for n in self.row_names)]

    def row_at(self, y: float) -> int | None:
        n = len(self.row_names)
        if not n or not self.rect.contains(self.rect.x, y):
            return None
        return int(min(max((y - self.data.y) / (self.data.h / n), 0), n - 1))

    def target_at(self, x, y):
        r = self.row_at(y)
        return f"trace:{self.row_names[r]}" if r is not None else super().target_at(x, y)

    def set_option(self, target, options):
        rows = ([self.row_names.index(target[6:])] if target.startswith("trace:") else range(len(self.row_names)))
        known = {"autorange", "yrange", "ymin", "ymax", "yzoom", "visible"}
        for r in rows:
            opts = self.row_opts[r]
            if options.get("autorange") or options.get("yrange") in ("auto", "global"):
                opts.pop("ymin", None), opts.pop("ymax", None)
                opts["yrange"] = "global" if options.get("yrange") == "global" else "auto"
            if "ymin" in options and "ymax" in options and options["ymax"] > options["ymin"]:
                opts.update(ymin=float(options["ymin"]), ymax=float(options["ymax"]), yrange="fixed")
            if "yzoom" in options and float(options["yzoom"]) > 0:
                opts["yzoom"] = float(options["yzoom"])
            if "visible" in options:
                opts["visible"] = bool(options["visible"])
        self._update_table()
        return [k for k in options if k not in known]

    def set_filters(self, filters: DisplayFilters, cache_dir) -> bool:
        """Display filters changed: read the traces with a chain filtered (or raw again when off).
        True when what is drawn changes (the window is fetched again at once)."""
        if self.kind != "traces":       # Zip rows hold several arrays: not filtered (yet)
            return False
        names = list(self.spec["names"])
        active = {n: c for n, c in filters.active().items() if n in names}
        key = (tuple(sorted((n, c.key) for n, c in active.items())),
               tuple(sorted(n for n in active if n in filters.pyramids)))
        if key == self._filter_key:
            return False
        layer = self.layers[0]
        built = bool(active) and all(n in filters.pyramids for n in active)
        layer.reader = FilteredReader(layer.pyramid, names, active, built, cache_dir) if active else None
        self._filter_key, self._filters = key, filters     # after the reader: a chain it refuses changes nothing
        layer.filtered = True
        if self._window is not None:
            self.update(*self._window)
        return True

    def display_name(self, r: int) -> tuple[str, str]:
        """Row ``r``'s name as shown and the suffix kept whole: the chain while filters are on,
        ``(filtering…)`` while its long window still comes from the raw pyramid."""
        name = self.row_names[r]
        chain = self._filters.active().get(name) if self.kind == "traces" else None
        if chain is None:
            return name, ""
        if not self.layers[0].filtered:
            return name, PENDING
        return filtered_name(name, chain), ""

    # -- data ------------------------------------------------------------------
    def update(self, t0, t1, n_px):
        self._window = (t0, t1, n_px)
        self._fetched = []
        for layer in self.layers:
            wd = layer.window(t0, t1, n_px)
            if wd.raw:
                layer.lines.set_samples(wd.lo, (wd.times - t0) / (t1 - t0), n_px)
            else:
                layer.lines.set_columns(wd.lo, wd.hi)
            self._fetched.append(wd)
            with np.errstate(all="ignore"):
                layer.lo = _nan_reduce(np.fmin.reduce, wd.lo)
                layer.hi = _nan_reduce(np.fmax.reduce, wd.hi)
        self._update_table()

    def _row_range(self, r: int) -> tuple[float, float]:
        opts = self.row_opts[r]
        mode = opts.get("yrange", "auto")
        if mode == "fixed":
            lo, hi = opts["ymin"], opts["ymax"]
        elif mode == "global":
            lo, hi = self._global_range(r)
        else:
            lo, hi = np.nan, np.nan
            for layer in self.layers:
                sel = layer.rows == r
                if layer.lo is not None and sel.any():  # fmin/fmax skip NaN (empty windows) quietly
                    lo = np.fmin(lo, np.fmin.reduce(layer.lo[sel]))
                    hi = np.fmax(hi, np.fmax.reduce(layer.hi[sel]))
            if not np.isfinite(lo) or not np.isfinite(hi):
                lo, hi = -1.0, 1.0
        if hi - lo < 1e-12 * max(abs(hi), abs(lo), 1.0):
            lo, hi = lo - 1.0, hi + 1.0
        mid, half = (lo + hi) / 2, (hi - lo) / 2 / opts.get("yzoom", 1.0)
        return mid - half, mid + half

    def _global_range(self, r: int) -> tuple[float, float]:
        if self._global is None:
            n = len(self.row_names)
            g = np.tile([np.inf, -np.inf], (n, 1))
            for layer in self.layers:
                lo, hi = layer.pyramid.levels[-1]
                with np.errstate(all="ignore"):
                    for k, (c, row) in enumerate(zip(layer.channels, layer.rows)):
                        g[row, 0] = np.fmin(g[row, 0], np.nanmin(lo[c]))
                        g[row, 1] = np.fmax(g[row, 1], np.nanmax(hi[c]))
            self._global = g
        lo, hi = self._global[r]
        return (lo, hi) if np.isfinite(lo) and np.isfinite(hi) else (-1.0, 1.0)

    def _update_table(self) -> None:
        n = len(self.row_names)
        if not n:
            return
        h = max(self.data.h, 1.0)
        pad = 2.0 * ROW_PAD_PX / h
        top = 1.0 - 2.0 * np.arange(n) / n
        bottom = top - 2.0 / n
        self._ranges = np.array([self._row_range(r) for r in range(n)])
        mid = self._ranges.mean(axis=1)
        scale = (top - bottom - 2 * pad) / (self._ranges[:, 1] - self._ranges[:, 0])
        hidden = np.array([not o.get("visible", True) for o in self.row_opts])
        for layer in self.layers:
            rows = layer.rows
            rgba = layer.colors.copy()
            rgba[hidden[rows], 3] = 0
            layer.lines.set_table(mid[rows], scale[rows], (top[rows] + bottom[rows]) / 2, bottom[rows], top[rows], rgba)
        self._update_markers()

    def y_pixel(self, row: int, values: np.ndarray) -> np.ndarray:
        """Canvas pixel y of ``values`` in ``row`` (for markers)."""
        n = len(self.row_names)
        rh = self.data.h / n
        lo, hi = self._ranges[row]
        usable = rh - 2 * ROW_PAD_PX
        return self.data.y + row * rh + ROW_PAD_PX + (hi - np.asarray(values, np.float64)) / (hi - lo) * usable

    # -- drawing ---------------------------------------------------------------
    def draw(self, frame: Frame) -> None:
        size = frame.viewport(self.rect)
        self._draw_chrome(frame, size)
        data_size = frame.viewport(self.data)
        for layer in self.layers:
            layer.lines.draw(data_size)
        self._markers.draw(data_size)

    def _draw_chrome(self, frame: Frame, size) -> None:
        """Row separators, colour chips by the names, focus highlight (panel pixels)."""
        n = len(self.row_names)
        rh = self.data.h / max(n, 1)
        gx = self.data.x - self.rect.x
        rects, colors = [], []
        scales = {r: self.scales()[r] for r, _, label, _, _ in self._gutter() if label is not None}
        for r in range(n):
            y = r * rh
            if f"trace:{self.row_names[r]}" == frame.state.focus or (frame.state.focus in (f"panel:{self.index}",)):
                rects.append((gx, y, gx + self.data.w, y + rh))
                colors.append((60, 60, 90, 255))
            if r:
                rects.append((gx, y - 0.5, gx + self.data.w, y + 0.5))
                colors.append((48, 48, 56, 255))
            chip = y + rh / 2 - (LINE_PX / 2 if r in scales and rh >= TWO_LINE_ROW_PX else 0.0)  # by the name
            rects.append((2, chip - 4, 6, chip + 4))
            colors.append(self.layers[0].colors[r] if r < len(self.layers[0].colors) else (200, 200, 200, 255))
        for r, (_, px) in scales.items():          # Y scale: a bar with caps towards the data
            cy, x = (r + 0.5) * rh, gx - SCALE_BAR_DX
            y0, y1 = cy - px / 2, cy + px / 2
            rects += [(x - 1, y0, x + 1, y1), (x - 1, y0 - 1, x + 3, y0 + 1), (x - 1, y1 - 1, x + 3, y1 + 1)]
            colors += [SCALE_RGBA] * 3
        self._chrome.set(np.array(rects).reshape(-1, 4), np.array(colors).reshape(-1, 4))
        self._chrome.draw(size)

    def _update_markers(self) -> None:
        """Sample markers of the window: on the trace (raw) or on the column's max (decimated)."""
        markers = self.spec.get("markers") or []
        self._markers.set(np.zeros((0, 4)), np.zeros((0, 4)))
        if not markers or self._window is None or not self.layers:
            return
        t0, t1, n_px = self._window
        pyr = self.layers[0].pyramid
        wd = self._fetched[0] if self._fetched else None
        rects, colors = [], []
        for i, m in enumerate(markers):
            samples = self.op.arrays.get(f"marker{i}")
            if samples is None or wd is None:
                continue
            i0, i1 = int(pyr.time.index_of(t0)), int(pyr.time.index_of(t1))
            a, b = np.searchsorted(samples, [i0, i1])
            s = samples[a:b]
            if not len(s):
                continue
            t = np.asarray(pyr.time.time_of(s), np.float64)
            col = np.clip(((t - t0) / (t1 - t0) * n_px).astype(np.int64), 0, n_px - 1)
            col, first = np.unique(col, return_index=True)  # one marker per pixel column is enough
            s = s[first]
            rows = range(len(self.row_names)) if m.get("row") is None else [int(m["row"])]
            for r in rows:
                if wd.raw:
                    v = wd.lo[r][np.clip(s - wd.edges[0], 0, wd.lo.shape[1] - 1)]
                    x = (np.asarray(pyr.time.time_of(s)) - t0) / (t1 - t0) * self.data.w
                else:
                    v = wd.hi[r][col]
                    x = (col + 0.5) / n_px * self.data.w
                y = self.y_pixel(r, v) - self.data.y
                ok = np.isfinite(y)
                h = MARKER_PX / 2
                rects += [np.stack([x[ok] - h, y[ok] - h, x[ok] + h, y[ok] + h], axis=-1)]
                colors += [np.tile(m["color"], (int(ok.sum()), 1))]
        if rects:
            self._markers.set(np.concatenate(rects), np.concatenate(colors))

    # -- Y scale and names ----------------------------------------------------------
    def scales(self) -> dict[int, tuple[float, float]]:
        """Per shown row: ``(amount, bar length in pixels)`` of its Y scale (rows too low
        for one, hidden rows and panels without a name gutter have none)."""
        n = len(self.row_names)
        rh = self.data.h / max(n, 1)
        usable = rh - 2 * ROW_PAD_PX
        if self.gutter_room < 40 or rh < LINE_PX or len(self._ranges) != n:
            return {}
        out = {}
        for r in range(n):
            lo, hi = self._ranges[r]
            if not self.row_opts[r].get("visible", True):
                continue
            bar = scale_bar((hi - lo) / usable, SCALE_SHARE * usable)
            if bar is not None:
                out[r] = bar
        return out

    def _gutter(self) -> list[tuple[int, str, str | None, float, float]]:
        """Per row with a name: ``(row, name, scale label or None, y of the name, y of the label)``.

        Rows too low for two lines write the scale beside the name, when every such
        name keeps room for about nine characters (or fits whole); otherwise those rows
        have no scale (names come first, and no bar goes without its amount).
        """
        n = len(self.row_names)
        rh = self.data.h / max(n, 1)
        step = max(1, int(np.ceil(LINE_PX / max(rh, 1e-6))))
        room = self.gutter_room - SCALE_ROOM_PX
        scales = self.scales()
        one_line = rh < TWO_LINE_ROW_PX
        if one_line and any(not self._beside("".join(self.display_name(r)), scales[r][0], r, room)
                            for r in range(0, n, step) if r in scales):
            scales = {}
        out = []
        for r in range(0, n, step):
            cy = self.data.y + (r + 0.5) * rh
            (name, suffix), label = self.display_name(r), None
            if r in scales:
                label = format_amount(scales[r][0], self.row_units[r])
            if label is None:
                out.append((r, fit_gutter(name, self.gutter_room, suffix), None, cy, cy))
            elif rh >= TWO_LINE_ROW_PX:      # the name above the row's middle, the scale under it
                out.append((r, fit_gutter(name, room, suffix), label, cy - LINE_PX / 2, cy + LINE_PX / 2))
            else:                            # one line: the name gives up room to the scale
                left = room - text_width(label, SCALE_PT) - 6
                out.append((r, fit_gutter(name, left, suffix), label, cy, cy))
        return out

    def _beside(self, name: str, amount: float, r: int, room: float) -> bool:
        """Whether ``name`` keeps enough room with the scale label of row ``r`` beside it."""
        left = room - text_width(format_amount(amount, self.row_units[r]), SCALE_PT) - 6
        return text_width(name, NAME_PT) <= left or left >= ONE_LINE_NAME_PX

    def texts(self):
        return [(name, GUTTER_TEXT_X, y) for _, name, _, y, _ in self._gutter()]

    def scale_texts(self):
        x = self.data.x - SCALE_BAR_DX - 5
        return [(label, x, y) for _, _, label, _, y in self._gutter() if label is not None]


def _nan_reduce(fn, a: np.ndarray) -> np.ndarray:
    """Row-wise reduction that ignores NaN (``fmin``/``fmax`` skip NaN) -> ``(n_ch,)``."""
    if a.shape[1] == 0:
        return np.full(a.shape[0], np.nan)
    return fn(a, axis=1)
