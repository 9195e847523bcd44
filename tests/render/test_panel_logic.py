"""Plot panels' pure parts, without GL: Y zoom keeps autorange, gutter texts stay in the gutter."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from loupe_tui import protocol as P
from render.layout import GUTTER, Rect
from render.panels.base import GUTTER_TEXT_X, NAME_PT, fit_gutter
from render.panels.raster import RasterPanel
from render.panels.traces import StackedTraces
from render.visuals.text import text_width


def _traces(lo: float, hi: float) -> StackedTraces:
    p = object.__new__(StackedTraces)           # the row-range logic only: no sources, no GL
    p.row_names = ["eeg"]
    p.row_opts = [{}]
    p.layers = [SimpleNamespace(rows=np.array([0]), lo=np.array([lo]), hi=np.array([hi]),
                                colors=np.zeros((1, 4), np.float32), lines=SimpleNamespace(set_table=lambda *a: None))]
    p._global, p._window, p.spec = None, None, {}
    p._markers, p.index = SimpleNamespace(set=lambda *a: None), 0
    p.data = Rect(GUTTER, 0, 600, 100)
    return p


def test_yzoom_above_one_makes_the_trace_taller_and_keeps_autorange():
    p = _traces(-2.0, 2.0)
    assert p._row_range(0) == (-2.0, 2.0)                     # autorange: the window's min..max
    p.set_option("trace:eeg", {"yzoom": 1.25})                # what Ctrl+Up / Ctrl+1 sends
    lo, hi = p._row_range(0)
    assert hi - lo == 4.0 / 1.25 and p.row_opts[0].get("yrange", "auto") == "auto"
    p._ranges = np.array([[lo, hi]])
    top, bottom = p.y_pixel(0, np.array([2.0, -2.0]))
    p._ranges = np.array([[-2.0, 2.0]])
    top1, bottom1 = p.y_pixel(0, np.array([2.0, -2.0]))
    assert bottom - top > bottom1 - top1                      # the same peaks span more pixels: taller
    p.layers[0].lo, p.layers[0].hi = np.array([-8.0]), np.array([8.0])   # the next window: still autorange
    assert p._row_range(0) == (-8.0 / 1.25, 8.0 / 1.25)
    p.set_option("trace:eeg", {"yzoom": 0.8})                 # Ctrl+Down: smaller than the window's range
    lo, hi = p._row_range(0)
    assert hi - lo > 16.0


def test_fit_gutter_cuts_the_middle_and_keeps_the_suffix():
    assert fit_gutter("EEG", 90.0) == "EEG"
    got = fit_gutter("region=hippocampus-CA1-left", 90.0, " (12)")
    assert got.startswith("region") and got.endswith("left (12)") and "…" in got   # both ends kept
    assert text_width(got, NAME_PT) <= 90.0
    assert fit_gutter("a long name over the plot", 0.0) == "a long name over the plot"   # no gutter at all


def test_raster_titles_stay_in_the_gutter():
    p = object.__new__(RasterPanel)
    p.spec = {"title": "region=hippocampus_CA1_left_hemisphere"}
    p.events = SimpleNamespace(n_rows=120)
    p.rect, p.data = Rect(0, 20, 738, 200), Rect(GUTTER, 20, 634, 200)
    (text, x, _), = p.texts()
    assert x == GUTTER_TEXT_X and x + text_width(text, NAME_PT) <= GUTTER
    assert text.startswith("regio") and text.endswith("phere (120)") and "…" in text
    p.spec = {"title": "A"}
    assert p.texts()[0][0] == "A (120 rows)"


def test_yzoom_option_reaches_the_row():
    p = _traces(-1.0, 1.0)
    assert p.set_option("trace:eeg", {"yzoom": 2.0, "autorange": True}) == []
    assert p.row_opts[0]["yzoom"] == 2.0 and p.row_opts[0]["yrange"] == "auto"
    assert P.SetViewOption("trace:eeg", {"yzoom": 2.0}).target in p.targets()
