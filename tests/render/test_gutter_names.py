"""Names in the gutter: shortened in the middle so that similar names stay apart, never
overlapping (dense labels), and the Y scale label beside or under a trace's name."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from render.layout import GUTTER, Rect
from render.panels.base import (
    GUTTER_TEXT_X, LINE_PX, NAME_PT, SCALE_PT, fit_gutter, format_amount, nice_amount, scale_bar, shorten_middle,
    spread,
)
from render.panels.dense import DenseTraces, trace_positions
from render.panels.traces import StackedTraces
from render.visuals.text import text_width


def test_shorten_middle_keeps_both_ends():
    assert shorten_middle("region=cortex", 20) == "region=cortex"
    assert shorten_middle("region=cortex", 9) == "regi…rtex"
    assert shorten_middle("ch-CA1-left", 8) == "ch-…left"
    assert len(shorten_middle("abcdefghij", 5)) == 5


def test_names_that_share_a_head_stay_apart_and_fit():
    # The raster titles of the demo were cut to "region=C... (13)" and "region=c... (17)".
    titles = [("region=CA1", " (13)"), ("region=cortex", " (17)"), ("region=thalamus", " (9)")]
    for room in (91.0, 70.0, 55.0):
        got = [fit_gutter(t, room, s) for t, s in titles]
        assert len(set(g.rsplit(" ", 1)[0] for g in got)) == len(got), got
        assert all(text_width(g, NAME_PT) <= room for g in got), got
        assert all(g.endswith(s) for g, (_, s) in zip(got, titles)), got
    assert fit_gutter("region=CA1", 91.0, " (13)") == "region=CA1 (13)"   # fits whole: measured, not guessed


def test_names_that_share_a_tail_stay_apart():
    names = [f"probe{k}-shank-left-hemisphere" for k in range(4)]
    got = [fit_gutter(n, 80.0) for n in names]
    assert len(set(got)) == 4 and all("…" in g for g in got), got


def test_spread_never_lets_labels_overlap_and_is_deterministic():
    rng = np.random.default_rng(1)
    ys = np.sort(rng.uniform(0, 200, 60))
    keep = spread(ys)
    assert keep == spread(ys) and keep[0] == 0
    kept = ys[keep]
    assert (np.diff(kept) >= LINE_PX).all()
    # Every label left out would have overlapped one that was kept.
    out = np.setdiff1d(np.arange(len(ys)), keep)
    assert all(np.abs(kept - ys[i]).min() < LINE_PX for i in out)


def _dense(names, order_values=None, h=300.0) -> DenseTraces:
    p = object.__new__(DenseTraces)     # the layout logic only: no sources, no GL
    p.names = list(names)
    p.units = "uV"
    p.step, p.per_page, p.first, p.gain, p.visible = 1, None, 0, 1.0, True
    p._typical = 100.0
    p._window = p._fetched = p._mean = None
    p._positions = trace_positions(order_values, len(names))
    p.colors = np.zeros((len(names), 4), np.float32)
    p.lines = SimpleNamespace(set_table=lambda *a: None)
    p.index, p.spec = 0, {}
    p.rect, p.data = Rect(0, 20, 738, h), Rect(GUTTER, 20, 634, h)
    return p


def test_dense_labels_never_overlap_even_when_depths_cluster():
    depth = np.r_[np.linspace(0, 40, 12), np.linspace(400, 1000, 20)]   # 12 sites close together, then sparse
    p = _dense([f"site-{d:.0f}-um-shank-A" for d in depth], order_values=depth)
    texts = p.texts()
    ys = sorted(y for _, _, y in texts)
    assert (np.diff(ys) >= LINE_PX).all(), np.diff(ys)
    assert len(texts) > 10
    assert all(x == GUTTER_TEXT_X and x + text_width(t, NAME_PT) <= GUTTER for t, x, _ in texts)
    assert p.texts() == texts                                           # the same labels every time
    (label, x, y), = p.scale_texts()                                    # the panel's Y scale
    assert label.endswith(" uV") and all(abs(y - ty) >= LINE_PX for _, _, ty in texts)


def test_dense_step_and_pages_pick_the_traces():
    p = _dense([f"d{k}" for k in range(10)])
    assert p.set_option("dense", {"step": 2, "traces_per_page": 2, "page": 1}) == []
    assert p.stepped.tolist() == [0, 2, 4, 6, 8] and p.shown.tolist() == [4, 6]
    p.set_option("dense", {"page": 2})
    assert p.shown.tolist() == [6, 8]                                   # the last page is full
    p.set_option("dense", {"step": 1})                                  # the page starts where it did
    assert p.shown.tolist() == [6, 7]
    p.set_option("dense", {"traces_per_page": None, "step": 3})
    assert p.shown.tolist() == [0, 3, 6, 9]
    assert p.set_option("dense", {"gain": 2.0, "bogus": 1}) == ["bogus"]


def _stacked(names, ranges, h, units="uV") -> StackedTraces:
    p = object.__new__(StackedTraces)
    p.row_names = list(names)
    p.row_units = [units] * len(names)
    p.row_opts = [{} for _ in names]
    p._ranges = np.asarray(ranges, np.float64)
    p.index, p.spec = 0, {}
    p.rect, p.data = Rect(0, 20, 738, h), Rect(GUTTER, 20, 634, h)
    return p


def test_each_row_has_a_round_scale_in_its_units():
    p = _stacked(["EEG", "EMG"], [[-300.0, 300.0], [-40.0, 40.0]], 400.0)
    usable = 200.0 - 4.0
    scales = p.scales()
    assert scales[0][0] == 200.0 and abs(scales[0][1] - 200.0 / 600.0 * usable) < 1e-9   # at most half the row
    assert scales[1][0] == 20.0
    labels = [t for t, _, _ in p.scale_texts()]
    assert labels == ["200 uV", "20 uV"]
    p._ranges = np.array([[-150.0, 150.0], [-40.0, 40.0]])             # what Y zoom x2 does to the range
    assert [t for t, _, _ in p.scale_texts()][0] == "100 uV"


def test_low_rows_put_the_scale_beside_the_name_or_leave_it_out():
    p = _stacked(["EEG Fpz-Cz", "EMG"], [[-1.0, 1.0], [-1.0, 1.0]], 48.0, units="mV")   # 24 px rows: one line
    names, scales = p.texts(), p.scale_texts()
    assert [t for t, _, _ in scales] == ["1 mV"] * 2 and names[1][0] == "EMG"
    assert names[0][0].startswith("EEG") and names[0][0].endswith("Cz")
    for (name, nx, ny), (label, sx, sy) in zip(names, scales):
        assert ny == sy and nx + text_width(name, NAME_PT) < sx - text_width(label, SCALE_PT), (name, label)
    # A name that would keep too little room beside it: the names win, in every row alike.
    p = _stacked(["region=hippocampus-CA1-shank0", "cell2"], [[-0.1, 0.1], [-0.1, 0.1]], 48.0, units="dF/F")
    assert p.scale_texts() == [] and p.texts()[0][0].endswith("shank0")


def test_scale_amounts_are_round():
    assert [nice_amount(v) for v in (0.7, 1, 3.3, 7, 19, 450)] == [0.5, 1, 2, 5, 10, 200]
    assert scale_bar(2.0, 100.0) == (200.0, 100.0) and scale_bar(2.0, 3.0) is None
    assert format_amount(0.05, "dF/F") == "0.05 dF/F" and format_amount(2000.0, "") == "2000"
