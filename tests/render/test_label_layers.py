"""Label layers (issue 14): suggestions and other scorers' labels as thin strips under the label
strip; pure columns and the real window's pixels (hidden window under Xvfb + Mesa)."""

from __future__ import annotations

import numpy as np
import pytest

from gl_harness import STATES, Harness, labels_message, sine_traces
from loupe_tui import protocol as P
from loupe_tui.config import TraceConfig
from loupe_tui.viewspec import build_spec
from render.labelspans import UNSCORED, LayerSpans
from render.layout import LAYER_GAP, LAYER_H, compute_layout
from render.panels.label_layers import MIN_OPACITY
from render.window import PANEL_RGBA

W, H = 1000, 600
DATA_X0, DATA_W = 104, 634
SUGGESTED = [(0.0, 10.0, "Wake", 1.0), (10.0, 20.0, "REM", 0.3), (20.0, 30.0, "NREM", 1.0)]
OTHER = [(0.0, 15.0, "NREM"), (15.0, 30.0, "Wake")]


def layer(name, title, spans, confidence=True, visible=True) -> P.SetLabelLayer:
    return P.SetLabelLayer(name, title, tuple(s[0] for s in spans), tuple(s[1] for s in spans),
                           tuple(s[2] for s in spans), tuple(s[3] for s in spans) if confidence else (), visible)


def removal(name) -> P.SetLabelLayer:
    return P.SetLabelLayer(name, "", (), (), (), (), False)


def test_layer_columns_take_the_majority_state_and_its_confidence():
    s = LayerSpans("suggested", [10, 0, 20], [20, 10, 30], ["REM", "Wake", "NREM"], [0.3, 1.0, 0.9])
    cols, conf = s.columns(0, 30, 6)
    assert [s.states[c] for c in cols] == ["Wake", "Wake", "REM", "REM", "NREM", "NREM"]
    np.testing.assert_allclose(conf, [1, 1, 0.3, 0.3, 0.9, 0.9])
    cols, conf = s.columns(5, 15, 1)                            # half Wake at 1.0, half REM at 0.3
    assert conf[0] == pytest.approx(0.65)
    assert s.columns(40, 50, 3)[0].tolist() == [UNSCORED] * 3
    assert LayerSpans("x", [], [], []).columns(0, 1, 2)[0].tolist() == [UNSCORED] * 2


@pytest.fixture(scope="module")
def win(gl_env, tmp_path_factory):
    h = Harness(gl_env, tmp_path_factory.mktemp("layers"), size=(W, H))
    h.start([])
    yield h
    h.close()


def load(win, tmp_path, *extra) -> np.ndarray:
    spec = build_spec([TraceConfig(sine_traces(tmp_path))], labels_states_colors=STATES,
                      cache_dir=tmp_path / "cache", pyramid_cache=tmp_path / "pyr")
    n = len(win.events)
    win.send(P.LoadSession(spec), P.SetStateColors(STATES), labels_message([]), P.SetWindow(0.0, 30.0, 1),
             P.SetCursor(-1.0, 1), *extra)
    img = win.snapshot().astype(int)
    assert not win.errors(n), win.errors(n)
    return img


def x_of(t):
    return int(DATA_X0 + t / 30.0 * DATA_W)


def strip_y(k: int) -> int:
    """Middle row of the k-th layer strip."""
    return int(compute_layout(W, H, [(4.5, 66)], layers=k + 1).layers[k].y + LAYER_H // 2)


def test_layers_stack_in_state_colours_with_low_confidence_faded_and_hatched(win, tmp_path):
    img = load(win, tmp_path, layer("suggestions", "suggested", SUGGESTED),
               layer("compare:0", "other.csv", OTHER, confidence=False))
    y0, y1 = strip_y(0), strip_y(1)
    wake, rem, nrem = (np.array(STATES[s][:3]) for s in ("Wake", "REM", "NREM"))
    sug = img[y0]
    assert (sug[x_of(1):x_of(9)] == wake).all() and (sug[x_of(21):x_of(29)] == nrem).all()  # confidence 1.0
    faded = np.round(np.array(PANEL_RGBA[:3]) * (1 - (MIN_OPACITY + (1 - MIN_OPACITY) * 0.3)) +
                     rem * (MIN_OPACITY + (1 - MIN_OPACITY) * 0.3))
    low = img[y0 - 2:y0 + 2, x_of(11):x_of(19)].reshape(-1, 3)
    is_faded = (np.abs(low - faded) <= 2).all(axis=1)
    is_bg = (np.abs(low - np.array(PANEL_RGBA[:3])) <= 1).all(axis=1)
    assert is_faded.mean() > 0.6 and is_bg.mean() > 0.15 and (is_faded | is_bg).all(), (is_faded.mean(), is_bg.mean())
    assert not (low == rem).all(axis=1).any(), "confidence 0.3 is never the full colour"
    other = img[y1]                                           # the second layer, under the first
    assert (other[x_of(1):x_of(14)] == nrem).all() and (other[x_of(16):x_of(29)] == wake).all()
    # The plots start below the strips.
    lay = compute_layout(W, H, [(4.5, 66)], layers=2)
    assert lay.panels[0].y >= lay.layers[1].y1 and lay.layers[1].y == lay.layers[0].y1 + LAYER_GAP


def test_a_layer_is_removed_and_a_new_session_keeps_none(win, tmp_path):
    img = load(win, tmp_path, layer("suggestions", "suggested", SUGGESTED),
               layer("compare:0", "other.csv", OTHER, confidence=False), removal("suggestions"))
    nrem, wake = np.array(STATES["NREM"][:3]), np.array(STATES["Wake"][:3])
    row = img[strip_y(0)]                                     # compare:0 moved up into the first strip
    assert (row[x_of(1):x_of(14)] == nrem).all() and (row[x_of(16):x_of(29)] == wake).all()
    assert not (img[strip_y(1), x_of(1):x_of(29)] == nrem).all(axis=-1).any()
    bare = load(win, tmp_path)                                # LoadSession again: no layer is left
    for k in (0, 1):
        band = bare[strip_y(k), x_of(1):x_of(29)]
        assert not any((band == np.array(STATES[s][:3])).all(axis=-1).sum() > 50 for s in STATES), k


def test_a_hidden_layer_gives_its_strip_back(win, tmp_path):
    hidden = layer("suggestions", "suggested", SUGGESTED, visible=False)
    img = load(win, tmp_path, layer("suggestions", "suggested", SUGGESTED), hidden)
    band = img[strip_y(0), x_of(1):x_of(9)]
    assert not (band == np.array(STATES["Wake"][:3])).all(axis=-1).any()
