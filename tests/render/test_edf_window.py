"""An EDF in the real GL window: an EDF+D file's gap is drawn as a gap, and the time axis can
show clock time (the recording's start from its header)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from gl_harness import STATES, Harness, labels_message
from loupe_tui import protocol as P
from loupe_tui.config import TraceConfig
from loupe_tui.core.clock import seconds_of_day
from loupe_tui.io.edf.recording import read_edf
from loupe_tui.viewspec import build_spec

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from edf_writer import Sig, sine, write_edf  # noqa: E402

W, H = 1000, 400


@pytest.fixture(scope="module")
def win(gl_env, tmp_path_factory):
    h = Harness(gl_env, tmp_path_factory.mktemp("edfwin"), size=(W, H))
    h.start([])
    yield h
    h.close()


def show(win, tmp_path, *extra):
    # runs at 0-4 s and 16-20 s of a 20 s window: the middle 12 s hold no record
    path = write_edf(tmp_path / "d.edf", [Sig("EEG", 200, sine(200, 8, 3, 3000))], 1.0, plus="D",
                     onsets=[0, 1, 2, 3, 16, 17, 18, 19], start_time="23.59.50")
    rec = read_edf(path)
    spec = build_spec([TraceConfig(rec.groups["200 Hz"])], labels_states_colors=STATES, cache_dir=tmp_path / "c",
                      pyramid_cache=tmp_path / "p")
    n = len(win.events)
    win.send(P.LoadSession(spec), P.SetStateColors(STATES), labels_message([]), P.SetWindow(0.0, 20.0, 1),
             P.SetCursor(-5.0, 1), *extra)
    img = win.snapshot().astype(int)
    assert not win.errors(n), win.errors(n)
    return img, rec


def trace_columns(img):
    """Columns right of the names and left of the video panel with bright trace pixels (the
    background is dark): index 0 is the window's column 100."""
    rows = img[40:H - 60, 100:int(0.74 * W)]
    return (rows.max(axis=-1) > 150).sum(axis=0) > 0


def test_the_gap_of_an_edf_plus_d_file_is_empty(win, tmp_path):
    img, _ = show(win, tmp_path)
    cols = np.flatnonzero(trace_columns(img))
    x0, x1 = cols.min(), cols.max()                          # the data area's drawn extent
    span = x1 - x0
    gap = trace_columns(img)[int(x0 + 0.25 * span) + 3:int(x0 + 0.75 * span) - 3]
    assert not gap.any(), np.flatnonzero(gap)                # nothing joins 4 s to 16 s
    assert trace_columns(img)[x0:int(x0 + 0.2 * span)].mean() > 0.6      # drawn where there are records


def test_clock_time_changes_the_axis_labels_only(win, tmp_path):
    elapsed, rec = show(win, tmp_path)
    clock, _ = show(win, tmp_path, P.SetViewOption("time_axis", {"clock_start_s": seconds_of_day(rec.start)}))
    diff = (elapsed != clock).any(axis=-1)
    rows = np.flatnonzero(diff.any(axis=1))
    assert len(rows) and rows.min() > H - 60                 # the labels under the plots, nothing above
