"""The zoomed hypnogram's one rule: 20 windows or 30 min around the window, never past the recording."""

from __future__ import annotations

import pytest

from loupe_tui.core.overview import zoom_range


def test_zoom_is_twenty_windows_or_half_an_hour_around_the_window():
    assert zoom_range((0.0, 86_400.0), 40_000.0, 40_030.0) == pytest.approx((39_115.0, 40_915.0))   # 30 min
    assert zoom_range((0.0, 86_400.0), 40_000.0, 40_600.0) == pytest.approx((34_300.0, 46_300.0))   # 20 windows


def test_zoom_slides_inside_the_recording_and_never_goes_past_it():
    assert zoom_range((0.0, 86_400.0), 0.0, 20.0) == (0.0, 1800.0)
    assert zoom_range((0.0, 86_400.0), 86_380.0, 86_400.0) == (84_600.0, 86_400.0)
    assert zoom_range((0.0, 86_400.0), 0.0, 86_400.0) == (0.0, 86_400.0)     # a 24 h window: the whole day
    assert zoom_range((0.0, 720.0), 100.0, 120.0) == (0.0, 720.0)            # shorter than 30 min


def test_both_hypnograms_follow_the_rule_with_a_whole_day_window():
    from loupe_tui.tui.widgets.draw import ViewState
    from loupe_tui.tui.widgets.hypnogram import Hypnogram as TerminalHypnogram
    from render.panels.base import Frame
    from render.panels.hypnogram import Hypnogram as GLHypnogram
    from render.state import ViewState as GLViewState
    from loupe_tui import protocol as P

    term = TerminalHypnogram()
    term.zoomed = True
    term._view = ViewState(0.0, 86_400.0, 0.0, None, 4.0, 0.0, (0.0, 86_400.0))
    assert term._span() == (0.0, 86_400.0)
    st = GLViewState()
    st.apply(P.SetViewOption("hypnogram", {"zoom": True}))
    gl = GLHypnogram((0.0, 86_400.0))
    assert gl.view_range(Frame(None, (1600, 900), 0.0, 86_400.0, st)) == (0.0, 86_400.0)
    term._view = ViewState(40_000.0, 40_030.0, 40_000.0, None, 4.0, 0.0, (0.0, 86_400.0))
    assert term._span() == gl.view_range(Frame(None, (1600, 900), 40_000.0, 40_030.0, st))
