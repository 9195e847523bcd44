"""Clock time in the scorer (issue 12): an EDF's header start reaches the app; Ctrl+W and ``:time``
switch the status line, the label table, the axes and the go-to prompt between clock and elapsed
time; ``g 02:30`` and ``d2 02:30`` go to clock times; the GL window is told the start; a recording
without a start refuses clock time with a message; elapsed stays the default."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pytest

from loupe_tui import protocol as P
from loupe_tui.api import make_app, make_context
from loupe_tui.cli import build_parser
from loupe_tui.commands.open import CLI_CONTEXT, build_view_args
from loupe_tui.core.clock import TimeDisplay
from loupe_tui.core.labels import IntervalLabelSet
from loupe_tui.core.session import Session
from loupe_tui.errors import LoupeConfigError
from loupe_tui.tui.bridge import full_state, view_messages
from loupe_tui.tui.view import ViewModel
from tui_helpers import SIZE, screen_text, sync, wait_ready

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from edf_writer import Sig, write_edf  # noqa: E402

START_S = 22 * 3600 + 30 * 60            # the files below start at 22:30:00 (on an anonymised date)


def night_edf(path: Path, hours: float, rate: float = 1.0) -> Path:
    """One channel, ``rate`` Hz, from 22:30:00 on 01.01.85 (an anonymised header)."""
    n = int(hours * 3600 * rate)
    digital = (np.arange(n) % 200 - 100).astype(np.int64)
    return write_edf(path, [Sig("EEG", rate, digital)], record_s=1.0 / rate if rate < 1 else 1.0,
                     start_date="01.01.85", start_time="22.30.00")


@pytest.fixture
def night(tmp_path):
    """A 5 h night scored 22:30:00-22:31:00 (W, then N1), opened as ``loupe-tui open`` would."""
    edf = night_edf(tmp_path / "night.edf", 5.0)
    labels = tmp_path / "night.csv"
    labels.write_text("start_s,end_s,label\n0,30,W\n30,60,N1\n")

    def make(*extra):
        args = build_parser().parse_args(["open", str(edf), "--labels", str(labels), "--keymap", "aasm_human",
                                          "--epoch", "30", "--no-window", "--cache-dir", str(tmp_path / "c"),
                                          *extra])
        return make_app(**build_view_args(args), **CLI_CONTEXT)
    return make


def status(app) -> str:
    return app.screen.query_one("#status").text


async def command(pilot, text: str) -> None:
    await pilot.press(":")
    pilot.app.screen.query_one("#command-line").value = text
    await pilot.press("enter")
    await pilot.pause()


async def go_to(pilot, text: str) -> None:
    await pilot.press("g")
    await pilot.pause()
    pilot.app.screen.query_one("#prompt-input").value = text
    await pilot.press("enter")
    await pilot.pause()


@sync
async def test_ctrl_w_shows_clock_time_in_the_status_line_label_table_and_axes(night):
    app = night()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_ready(pilot)
        main = app.screen
        line1 = status(app).splitlines()[0]
        assert "window 0:00:00" in line1 and "cursor 0:00:00.0" in line1          # elapsed: the default
        assert "recording started 01.01.1985 22:30:00; Ctrl+W: clock times" in main.query_one("#status").message
        await pilot.press("f4")                                                  # the label table
        await pilot.pause()
        await pilot.press("escape")
        await pilot.press("ctrl+w")
        await pilot.pause()
        text = status(app)
        assert "window 22:30:00" in text and "cursor 22:30:00.0" in text, text
        assert "times on the clock (recording started 01.01.1985 22:30:00)" in text
        grid = main.query_one("#label-table").grid
        rows = [grid.render_line(y).text for y in (1, 2)]
        assert "22:30:00" in rows[0] and "22:30:30" in rows[0] and "0:00:30" in rows[0]   # duration stays
        assert "22:30:30" in rows[1] and "22:31:00" in rows[1]
        screen = screen_text(app)
        assert "┴22:30:" in screen and "┴0:00:" not in screen                   # braille and hypnogram axes
        await pilot.press("enter", "shift+right")                                # a selection reads on the clock
        await pilot.pause()
        assert "sel 22:30:00.0–22:31:00.0" in status(app) and "cursor 22:30:59.9" in status(app)
        await pilot.press("ctrl+w")                                              # and back, exactly as before
        await pilot.pause()
        assert "sel 0:00:00.0–0:01:00.0" in status(app) and "cursor 0:00:59.9" in status(app)
        assert "0:00:30" in grid.render_line(1).text and "22:30" not in grid.render_line(1).text
    app.labels.close()


@sync
async def test_g_0230_in_clock_time_goes_to_the_epoch_after_midnight(night):
    app = night("--time", "clock")
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        s = app.screen.session
        assert "cursor 22:30:00.0" in status(app)                                # --time clock starts there
        await pilot.press("g")
        await pilot.pause()
        assert "02:30, 23:14:30, d2 02:30" in str(app.screen.query_one("#prompt-hint").render())
        await pilot.press("escape")
        await go_to(pilot, "02:30")
        assert s.cursor == 4 * 3600.0 and s.epoch_index() == 480                 # 4 h after 22:30
        assert "cursor 02:30:00.0" in status(app) and "epoch 481/600" in status(app)
        await pilot.press("2", "ctrl+z")                                         # messages say clock times too
        await pilot.pause()
        assert app.screen.query_one("#status").message == "undid: N2 02:30:00–02:30:30"
        await pilot.press("'", ".", "'")                                         # and the ruler
        await pilot.pause()
        assert "at 02:30:" in app.screen.query_one("#status").message
        await go_to(pilot, "23:14:30")                                           # the same evening
        assert s.cursor == 44 * 60 + 30.0
        await command(pilot, "goto 1:00:00")                                     # an hour on the clock
        assert s.cursor == 2.5 * 3600
        await command(pilot, "goto 90s")                                         # units: elapsed either way
        assert s.cursor == 90.0
        await go_to(pilot, "25:10")                                              # not a clock time: says so
        assert "hours 0-23" in str(app.screen.query_one("#prompt-hint").render())
        await pilot.press("escape")
        await command(pilot, "time elapsed")                                     # elapsed reads as always
        await command(pilot, "goto 2:30:00")
        assert s.cursor == 2.5 * 3600 and "cursor 2:30:00.0" in status(app)
    app.labels.close()


@sync
async def test_d2_reaches_the_second_day_of_a_longer_recording(tmp_path):
    edf = night_edf(tmp_path / "long.edf", 30.0, rate=0.1)                     # 30 h, 10,800 samples
    args = build_parser().parse_args(["open", str(edf), "--keymap", "aasm_human", "--epoch", "30",
                                      "--no-window", "--time", "clock", "--cache-dir", str(tmp_path / "c")])
    app = make_app(**build_view_args(args), **CLI_CONTEXT)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        s = app.screen.session
        await go_to(pilot, "d2 02:30")
        assert s.cursor == 86_400.0 + 4 * 3600 and "cursor d2 02:30:00.0" in status(app)
        await command(pilot, "goto 02:30")                                       # the first 02:30
        assert s.cursor == 4 * 3600.0
        await command(pilot, "goto d2 22:45")
        assert s.cursor == 86_400.0 + 15 * 60
    app.labels.close()


def test_the_gl_window_is_told_the_start_and_a_new_window_gets_it_back():
    labels = IntervalLabelSet()
    start = dt.datetime(1985, 1, 1, 22, 30, 0)
    session = Session(labels, 0.0, 18_000.0, epoch_len=30.0, times=TimeDisplay(start))
    view = ViewModel(times=session.times)
    names = lambda msgs: [m.target for m in msgs if isinstance(m, P.SetViewOption)]   # noqa: E731
    assert "time_axis" not in names(full_state(session, view, _States()))         # elapsed: as before
    msgs = view_messages(view.toggle_time_display())
    assert msgs == [P.SetViewOption("time_axis", {"clock_start_s": float(START_S)})]
    assert P.SetViewOption("time_axis", {"clock_start_s": float(START_S)}) in full_state(session, view, _States())
    assert view_messages(view.toggle_time_display()) == [P.SetViewOption("time_axis", {"clock_start_s": None})]
    assert P.SetViewOption("time_axis", {"clock_start_s": None}) in full_state(session, view, _States())


class _States:
    """The little of a StateConfig that full_state reads."""

    states: list = []

    def color_for(self, name):
        return (255, 255, 255, 255)


@sync
async def test_a_recording_without_a_start_refuses_clock_time_with_a_message(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        main = app.screen
        assert "recording started" not in main.query_one("#status").message
        for keys in (("ctrl+w",), None):
            if keys:
                await pilot.press(*keys)
                await pilot.pause()
            else:
                await command(pilot, "time clock")
            bar = main.query_one("#status")
            assert bar.message.startswith("no clock time: the recording has no start date and time")
            assert bar.level == "info" and "cursor 0:00:00.0" in bar.text and app.screen is main   # no dialog
        assert not main.view.times.clock


def test_clock_time_arguments_are_checked(demo, tmp_path, capsys):
    from loupe_tui.config import TraceConfig

    cfg = TraceConfig.from_path(demo.recording, group=demo.eeg_group)
    with pytest.raises(LoupeConfigError, match="time_display='clock': needs clock_start"):
        make_context(cfg, state_definitions="rodent_sleep", time_display="clock")
    with pytest.raises(LoupeConfigError, match="time_display: must be one of 'elapsed', 'clock', got 'wall'"):
        make_context(cfg, state_definitions="rodent_sleep", time_display="wall")
    with pytest.raises(LoupeConfigError, match="clock_start: must be a datetime.datetime"):
        make_context(cfg, state_definitions="rodent_sleep", clock_start="22:30")
    ctx = make_context(cfg, state_definitions="rodent_sleep", clock_start=dt.datetime(2024, 5, 1, 23, 0),
                       time_display="clock")
    assert ctx.view_model().times.format(3600.0) == "00:00:00" and ctx.session.times is ctx.view_model().times
    assert ctx.notes == ["times on the clock (recording started 01.05.2024 23:00:00); Ctrl+W: times since the start"]
    # the command line: --time clock on data without a start opens in elapsed time, and says so
    args = build_parser().parse_args(["open", str(demo.recording), "--group", "eeg", "--time", "clock"])
    kw = build_view_args(args)
    assert kw["time_display"] == "elapsed" and kw["clock_start"] is None
    assert kw["notes"] == ["--time clock: recording.zarr has no start date and time, so times are elapsed"]


def test_help_lists_the_key_and_the_command():
    from loupe_tui.core.states import StateConfig
    from loupe_tui.tui.help import help_rows

    rows = dict(help_rows(StateConfig.resolve("aasm_human")))
    assert ("Ctrl+W", "Times on the clock (23:14:30) or since the start (toggle; needs the recording's start "
            "date and time)") in rows["View"]
    assert any(k == ":time/clock [clock|elapsed]" for k, _ in rows["Commands (type : first)"])
