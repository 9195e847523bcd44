"""The keyboard ruler in the GL window: cyan lines at both marks and a faint band between them."""

from __future__ import annotations

import numpy as np
import pytest

from gl_harness import STATES, Harness, labels_message, sine_traces
from loupe_tui import protocol as P
from loupe_tui.config import TraceConfig
from loupe_tui.viewspec import build_spec
from render.panels.marks import RULER_RGBA

W, H = 1000, 600
DATA_X0, DATA_W = 104, 634


@pytest.fixture(scope="module")
def win(gl_env, tmp_path_factory):
    h = Harness(gl_env, tmp_path_factory.mktemp("ruler"), size=(W, H))
    h.start([])
    yield h
    h.close()


def frame(win, tmp_path, ruler):
    spec = build_spec([TraceConfig(sine_traces(tmp_path))], labels_states_colors=STATES, cache_dir=tmp_path / "c",
                      pyramid_cache=tmp_path / "p")
    n = len(win.events)
    win.send(P.LoadSession(spec), P.SetStateColors(STATES), labels_message([]), P.SetWindow(0.0, 30.0, 1),
             P.SetCursor(-1.0, 1), P.SetViewOption("ruler", {"marks": ruler}))
    img = win.snapshot().astype(int)
    assert not win.errors(n), win.errors(n)
    return img


def cyan_columns(img) -> np.ndarray:
    rows = img[100:500, DATA_X0:DATA_X0 + DATA_W]
    return np.flatnonzero((rows == RULER_RGBA[:3]).all(axis=-1).sum(axis=0) > 300) + DATA_X0


def test_ruler_marks_are_drawn_where_they_are_and_cleared(win, tmp_path):
    cols = cyan_columns(frame(win, tmp_path, [6.0, 12.0]))
    want = [DATA_X0 + 6.0 / 30 * DATA_W, DATA_X0 + 12.0 / 30 * DATA_W]
    assert len(cols) and all(any(abs(c - x) <= 1.5 for c in cols) for x in want), cols
    assert all(min(abs(c - x) for x in want) <= 1.5 for c in cols), "nothing cyan but the two marks"
    assert not len(cyan_columns(frame(win, tmp_path, [])))
