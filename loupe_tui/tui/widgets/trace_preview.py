"""A text trace preview of the current window: braille min/max columns per channel.

So scoring works without any display: each shown channel is drawn from its
decimation pyramid (:meth:`Pyramid.window`, O(columns)) as braille dots, two
dot columns and four dot rows per cell. Label shading, the selection and the
cursor are cell backgrounds; the last row holds times and global events.
The widget never reads the session: the screen calls :meth:`show`.

A trace with a display filter (:meth:`set_filtered`) is drawn from the
pyramid of its filtered source, named with its chain at the right of its top
row. A window that cannot be read (a recording at a URL whose server went
away: ``WindowData.problem``; a file that went away) draws empty, and the
widget posts :class:`TracePreview.Problem` when the problem starts and when
it ends, never once per frame.
"""

from __future__ import annotations

import math

import numpy as np
from rich.segment import Segment
from textual.message import Message
from textual.strip import Strip

from loupe_tui.core.timefmt import format_time
from loupe_tui.errors import LoupeError
from loupe_tui.tui.context import PreviewTrace
from loupe_tui.tui.widgets.draw import (BG, CachedLines, CURSOR, DIM, GUTTER, SELECTION, StripPainter, ViewState, blend,
                                         braille_rows, column_range, nice_step, range_columns, rgba_tuple)

MAX_TRACES = 6


class TracePreview(CachedLines):
    """Braille traces of the window with label shading, selection and cursor."""

    class Problem(Message):
        """Reading the window failed (``text``, one line), or works again (``text`` empty)."""

        def __init__(self, text: str):
            super().__init__()
            self.text = text

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self._traces: list[PreviewTrace] = []
        self._pyramids: list = []          # per trace, a Pyramid or None
        self._filtered: dict[int, tuple] = {}   # trace index -> (filtered pyramid or None: raw, name to show)
        self._filtered_ranges: dict[tuple[int, int], tuple[float, float]] = {}
        self.problem = ""                  # the last reading problem ("" when reads work)
        self._yrange: list[tuple[float, float]] = []
        self._gain: list[float] = []
        self._fixed: dict[int, tuple[float, float]] = {}
        self.focus_index = 0
        self.focus_shown = True            # False while Tab has focused a heatmap/raster/dense panel
        self.overlay_alpha = 0.28
        self.ruler: tuple[float, ...] = ()   # the ruler's marked times
        self.overlays = True
        self.message = "no traces to preview"
        self._view: ViewState | None = None
        self._labels = None
        self._colors: dict[str, tuple] = {}
        self._events = np.empty(0)
        self._painter = StripPainter()
        self._data_key = None
        self._data: list = []                # per shown trace: its braille text rows

    # -- inputs ---------------------------------------------------------------
    def set_traces(self, traces: list[PreviewTrace], pyramids: list) -> None:
        """The channels and their pyramids (None where not built)."""
        self._traces, self._pyramids = list(traces), list(pyramids)
        self._yrange = [_robust_range(p, t.channel) for t, p in zip(traces, pyramids)]
        self._gain = [1.0] * len(traces)
        self.focus_index = min(self.focus_index, max(0, len(traces) - 1))
        self._invalidate(data=True)

    def set_filtered(self, drawn: dict[int, tuple]) -> None:
        """Traces drawn filtered: index -> (the filtered source's Pyramid, or None while it is built:
        drawn raw meanwhile; the name shown, ``"EEG [0.3-35 Hz]"``). Others are drawn raw."""
        if drawn != self._filtered:
            self._filtered = dict(drawn)
            self._invalidate(data=True)

    def _pyramid(self, i: int):
        f = self._filtered.get(i)
        return f[0] if f is not None and f[0] is not None else self._pyramids[i]

    def set_message(self, text: str) -> None:
        self.message = text
        self._invalidate(data=False)

    def set_events(self, times: np.ndarray) -> None:
        self._events = np.asarray(times, dtype=np.float64)

    def show(self, view: ViewState, labels, colors: dict[str, tuple], overlays: bool) -> None:
        """Draw ``view`` with these labels (an IntervalLabelSet) and state colours."""
        self._view, self._labels, self._colors, self.overlays = view, labels, colors, overlays
        self._invalidate(data=False)

    @property
    def trace_names(self) -> list[str]:
        return [t.name for t in self._traces]

    def focus_name(self, name: str | None) -> None:
        """Mark trace ``name`` as focused (None or a name not drawn here: no trace is)."""
        names = self.trace_names
        self.focus_shown = name in names
        if self.focus_shown:
            self.focus_index = names.index(name)
        self._invalidate(data=True)

    def set_gain(self, name: str, gain: float) -> None:
        """Y zoom of trace ``name`` (1: its range as is; 2: twice as tall)."""
        for i, t in enumerate(self._traces):
            if t.name == name:
                self._gain[i] = float(gain)
        self._invalidate(data=True)

    def apply_view(self, view) -> None:
        """Y zoom, fixed Y ranges, the focused trace and the shading alpha of ``view`` (a ViewModel)."""
        for i, t in enumerate(self._traces):
            r = view.y_ranges.get(t.name)
            if r is not None and not r.autorange:
                self._fixed[i] = (float(r.ymin), float(r.ymax))
            else:
                self._fixed.pop(i, None)
            self._gain[i] = view.gain_of(t.name)
        if view.overlay_alpha is not None:
            self.overlay_alpha = min(0.8, view.overlay_alpha / 255)
        self.ruler = view.ruler
        if view.focus_known:
            ft = view.focused
            self.focus_name(ft.trace if ft is not None else None)
        self._invalidate(data=True)

    # -- drawing --------------------------------------------------------------
    def _invalidate(self, data: bool) -> None:
        if data:
            self._data_key = None
        self.invalidate()

    def set_ylim(self, name: str, limits: tuple[float, float] | None) -> None:
        """Fix the Y range of trace ``name`` (None: back to the automatic range)."""
        for i, t in enumerate(self._traces):
            if t.name == name:
                if limits is None:
                    self._fixed.pop(i, None)
                else:
                    self._fixed[i] = (float(limits[0]), float(limits[1]))
                    self._gain[i] = 1.0
        self._invalidate(data=True)

    def _ylim(self, i: int) -> tuple[float, float]:
        auto = self._yrange[i]
        pyr = self._pyramid(i)
        if pyr is not self._pyramids[i]:      # filtered: its own range (a high-pass removes the offset)
            key = (id(pyr), self._traces[i].channel)
            if key not in self._filtered_ranges:
                self._filtered_ranges[key] = _robust_range(pyr, self._traces[i].channel)
            auto = self._filtered_ranges[key]
        lo, hi = self._fixed.get(i, auto)
        mid, half = (lo + hi) / 2, (hi - lo) / 2 / self._gain[i]
        return mid - half, mid + half

    def _shown(self) -> list[int]:
        n = len(self._traces)
        if n <= MAX_TRACES:
            return list(range(n))
        first = min(max(0, self.focus_index - MAX_TRACES // 2), n - MAX_TRACES)
        return list(range(first, first + MAX_TRACES))

    def _render_all(self) -> list[Strip]:
        width, height = self.size.width, self.size.height
        p = self._painter
        blank = [Strip.blank(width, p.style(bg=BG))] * height
        plot_w = width - GUTTER
        view = self._view
        shown = [i for i in self._shown() if self._pyramids[i] is not None]
        if view is None or plot_w < 4 or height < 2 or not shown:
            out = list(blank)
            if height:
                out[min(1, height - 1)] = Strip([p.gutter("", bg=BG), Segment(self.message, p.style(DIM, BG))]
                                                 ).adjust_cell_length(width)
            return out
        rows = max(1, (height - 1) // len(shown))
        self._load(shown, view, plot_w, rows)
        bg_keys, styles = self._backgrounds(view, plot_w)
        out: list[Strip] = []
        for n, i in enumerate(shown):
            tr = self._traces[i]
            fg = rgba_tuple(tr.color)
            texts = self._data[n]
            cell_styles = [p.style(fg, bg) for bg in styles]
            focused = i == self.focus_index and len(self._traces) > 1 and self.focus_shown
            top, bottom = (range_label(v, tr.units) for v in reversed(self._ylim(i)))
            shown_name = self._filtered[i][1] if i in self._filtered else ""
            for r, text in enumerate(texts):
                if r == 0 and shown_name and len(shown_name) + 2 < len(text):
                    text = text[:len(text) - len(shown_name) - 1] + shown_name + " "
                if r == 0:
                    label = ("▶" if focused else " ") + tr.name
                    g = p.gutter(label, fg, BG, bold=focused)
                elif r == 1 and len(texts) > 2:
                    g = p.gutter(top, DIM, BG)            # the Y range in the data's units: top row ...
                elif r == len(texts) - 1 and len(texts) > 2:
                    g = p.gutter(bottom, DIM, BG)         # ... bottom row (Y zoom and fixed ranges change it)
                else:
                    g = p.gutter("", bg=BG)
                out.append(p.strip(text, bg_keys, cell_styles, width, [g]))
        out += blank[len(out):height - 1]
        out.append(self._axis_row(view, plot_w, width))
        return out[:height]

    def _load(self, shown: list[int], view: ViewState, plot_w: int, rows: int) -> None:
        key = (tuple(shown), view.t0, view.t1, plot_w, rows, tuple(self._gain), tuple(self._fixed.items()))
        if key == self._data_key:
            return
        self._data = []
        dots = rows * 4
        problems = []
        for i in shown:
            pyr, tr = self._pyramid(i), self._traces[i]
            try:
                wd = pyr.window(view.t0, view.t1, plot_w * 2, channels=[tr.channel])
                lo, hi = _columns(wd, view.t0, view.t1, plot_w * 2)
                problems.append(wd.problem)
            except (OSError, LoupeError) as exc:   # a local file that went away: drawn empty, said once
                lo = hi = np.full(plot_w * 2, np.nan)
                problems.append(f"{tr.name}: {exc}" if isinstance(exc, LoupeError) else
                                f"{tr.name}: cannot read the recording ({type(exc).__name__}: {exc})")
            self._data.append(braille_rows(*range_columns(lo, hi, *self._ylim(i), dots), rows))
        problem = next((p for p in problems if p), "")
        self._data_key = None if problem else key      # a failed read is tried again on the next draw
        if problem != self.problem:
            self.problem = problem
            self.post_message(self.Problem(problem))

    def _backgrounds(self, view: ViewState, n: int) -> tuple[np.ndarray, list[tuple]]:
        """Per cell a background index, and the backgrounds: labels, selection, cursor."""
        keys = np.zeros(n, np.int64)
        bgs: list[tuple] = [BG]
        if self.overlays and self._labels is not None and len(self._labels):
            vis = self._labels.visible_arrays(view.t0, view.t1)
            for s, e, c in zip(vis.starts.tolist(), vis.ends.tolist(), vis.codes.tolist()):
                a, b = column_range(s, e, view.t0, view.t1, n)
                if b > a:
                    col = self._colors.get(vis.names[c], (128, 128, 128))
                    bgs.append(blend(col, BG, self.overlay_alpha))
                    keys[a:b] = len(bgs) - 1
        if view.selection is not None:
            a, b = column_range(*view.selection, view.t0, view.t1, n)
            if b > a:
                for k in np.unique(keys[a:b]).tolist():
                    bgs.append(blend(SELECTION, bgs[k], 0.55))
                    keys[a:b][keys[a:b] == k] = len(bgs) - 1
        for t in self.ruler:
            c = int(math.floor((t - view.t0) / (view.t1 - view.t0) * n))
            if 0 <= c < n:
                bgs.append(blend(RULER, BG, 0.55))
                keys[c] = len(bgs) - 1
        c = int(math.floor((view.cursor - view.t0) / (view.t1 - view.t0) * n))
        if 0 <= c < n:
            bgs.append(blend(CURSOR, BG, 0.45))
            keys[c] = len(bgs) - 1
        return keys, bgs

    def _axis_row(self, view: ViewState, n: int, width: int) -> Strip:
        p = self._painter
        chars = np.full(n, "─", dtype="<U1")
        keys = np.zeros(n, np.int64)
        styles = [p.style(DIM, BG), p.style((230, 190, 60), BG, bold=True), p.style(CURSOR, BG, bold=True)]
        ev = self._events
        if len(ev):
            i, j = np.searchsorted(ev, [view.t0, view.t1])
            cols = np.floor((ev[i:j] - view.t0) / (view.t1 - view.t0) * n).astype(np.int64)
            chars[cols], keys[cols] = "▼", 1
        c = int(math.floor((view.cursor - view.t0) / (view.t1 - view.t0) * n))
        if 0 <= c < n:
            chars[c], keys[c] = "▲", 2
        text = chars.tolist()
        span = view.t1 - view.t0
        step = nice_step(span / max(1, n // 14))
        times = view.times
        shift = times.start_s if times.clock else 0.0       # on the clock: ticks on round clock times
        t = math.ceil((view.t0 + shift) / step - 1e-9) * step - shift
        while t < view.t1:
            k = int(math.floor((t - view.t0) / span * n + 1e-9))
            label = "┴" + times.format(t, decimals=None if step >= 1 else 1)
            # a tick label goes only where no marker (event, cursor) sits, with a cell to spare after
            # it; a marker on the tick itself stands for the tick ("▲0:06:24")
            if k + len(label) <= n and all(x == 0 for x in keys[k + 1:k + len(label) + 1]):
                text[k + 1:k + len(label)] = list(label[1:])
                if keys[k] == 0:
                    text[k] = label[0]
            t += step
        g = p.gutter(f"{span:g} s" if span < 120 else format_time(span), DIM, BG)
        return p.strip("".join(text), keys, styles, width, [g])


def _columns(wd, t0: float, t1: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-column lo/hi of one channel; raw windows are sampled at column centres."""
    if not wd.raw:
        return wd.lo[0].astype(np.float64), wd.hi[0].astype(np.float64)
    tc = t0 + (np.arange(n) + 0.5) * ((t1 - t0) / n)
    v = np.interp(tc, wd.times, wd.lo[0].astype(np.float64), left=np.nan, right=np.nan)
    return v, v


def _robust_range(pyr, channel: int) -> tuple[float, float]:
    """A Y range that fits most of the recording: percentiles of a coarse level."""
    if pyr is None:
        return (-1.0, 1.0)
    k = 0
    while k + 1 < len(pyr.levels) and pyr.levels[k + 1][0].shape[1] >= 2000:
        k += 1
    lo, hi = (np.asarray(a[channel], dtype=np.float64) for a in pyr.levels[k])
    lo, hi = lo[np.isfinite(lo)], hi[np.isfinite(hi)]
    if not len(lo):
        return (-1.0, 1.0)
    a, b = float(np.percentile(lo, 0.5)), float(np.percentile(hi, 99.5))
    if not b > a:
        a, b = a - 1.0, b + 1.0
    pad = (b - a) * 0.05
    return a - pad, b + pad


#: The ruler's marks (as in the GL window).
RULER = (0, 220, 220)


def range_label(value: float, units: str, width: int = GUTTER - 1) -> str:
    """``" +152uV"``: a Y limit with its unit in the gutter's width (3 significant digits, fewer if needed)."""
    for digits in (3, 2, 1):
        text = f" {value:+.{digits}g}{units}"
        if len(text) <= width:
            return text
    return f" {value:+.0e}"[:width]

