"""EpochJumper (Ctrl+J): live filters by state, note and extra columns; Enter jumps (Pilot)."""

from __future__ import annotations

import asyncio

import numpy as np
import polars as pl
from textual.app import App
from textual.widgets import Select

from loupe_tui.core.labels import IntervalLabelSchema, IntervalLabelSet
from loupe_tui.tui.screens.jumper import EpochJumper, JumpFilters, JumpResult

COLORS = {"Wake": "#2ed15a", "NREM": "#4f8cff", "REM": "#ff5cc8"}
UNSET = object()


def make_labels(n: int = 21_600) -> IntervalLabelSet:
    starts = np.arange(n) * 4.0
    df = pl.DataFrame({
        "start_s": starts, "end_s": starts + 4.0,
        "label": np.array(["Wake", "NREM", "REM"])[np.arange(n) % 3],
        "note": [("Spindle burst" if i % 7 == 0 else ("arousal" if i % 11 == 0 else None)) for i in range(n)],
        "scorer": ["ab" if i % 2 else "cd" for i in range(n)],
    })
    return IntervalLabelSet.from_frame(df, IntervalLabelSchema(extra_cols=("scorer",)))


class Host(App):
    def __init__(self, labels, **kw):
        super().__init__()
        self.labels, self.kw, self.result = labels, kw, UNSET

    def on_mount(self) -> None:
        self.push_screen(EpochJumper(self.labels, COLORS, **self.kw), self.done)

    def done(self, result) -> None:
        self.result = result


def drive(labels, body, **kw):
    async def main():
        app = Host(labels, **kw)
        async with app.run_test(size=(110, 40)) as pilot:
            await pilot.pause()
            await body(app, pilot)
    asyncio.run(main())


def count_text(screen) -> str:
    return str(screen.query_one("#count").content)


def test_state_note_and_extra_filters_combine_live_and_enter_jumps():
    labels = make_labels()

    async def body(app, pilot):
        jumper = app.screen
        assert isinstance(jumper, EpochJumper)
        assert count_text(jumper).startswith("21,600 of 21,600")
        await pilot.press(*"SPIN")                           # note filter, case-insensitive
        await pilot.pause()
        want = labels.find(note="spin")
        assert jumper.table.row_count == len(want) == 3086
        assert count_text(jumper).startswith("3,086 of 21,600")
        await pilot.press("tab", "a", "b")                   # extra column "scorer"
        await pilot.pause()
        want = labels.find(note="spin", scorer="ab")
        assert jumper.table.row_count == len(want)
        await pilot.press("shift+tab", "shift+tab", "space", "down", "down", "enter")   # state: NREM
        await pilot.pause()
        assert jumper.query_one("#state", Select).value == "NREM"
        want = labels.find(state="NREM", note="spin", scorer="ab")
        assert 0 < jumper.table.row_count == len(want)
        assert np.array_equal(jumper.matches, want)
        await pilot.press("tab", "down", "down", "enter")     # back in the note field: 3rd match
        await pilot.pause()
        res = app.result
        assert isinstance(res, JumpResult)
        assert res.index == want[2] and res.t == labels.starts[want[2]]
        assert np.array_equal(res.matches, labels.starts[want])
        assert res.description == f"NREM, note contains 'SPIN', scorer contains 'ab': {len(want)} matches"
        assert res.filters == JumpFilters("NREM", "SPIN", (("scorer", "ab"),))
    drive(labels, body)


def test_the_hint_matches_where_the_focus_starts():
    async def body(app, pilot):
        hint = str(app.screen.query_one(".help").content)
        assert app.focused.id == "note" and hint.startswith("Type: filter by note")
        await pilot.press("shift+tab", "space")               # what the hint says reaches the state list
        await pilot.pause()
        assert app.focused.id == "state" or app.focused.parent.id == "state"
    drive(make_labels(50), body)


def test_highlight_starts_at_the_first_match_after_the_cursor():
    labels = make_labels()

    async def body(app, pilot):
        await pilot.press(*"arousal")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        hits = labels.find(note="arousal")
        first_after = hits[np.searchsorted(labels.starts[hits], 10_000.0)]
        assert app.result.index == first_after
        assert app.result.t >= 10_000.0
    drive(labels, body, t=10_000.0)


def test_reopen_with_previous_filters_and_escape_cancels():
    labels = make_labels(2000)

    async def body(app, pilot):
        jumper = app.screen
        assert jumper.query_one("#note").value == "arousal"
        assert jumper.table.row_count == len(labels.find(state="REM", note="arousal"))
        await pilot.press("escape")
        await pilot.pause()
        assert app.result is None
    drive(labels, body, filters=JumpFilters("REM", "arousal"))


def test_no_match_enter_stays_open():
    labels = make_labels(500)

    async def body(app, pilot):
        await pilot.press(*"no such note", "enter")
        await pilot.pause()
        assert app.result is UNSET and isinstance(app.screen, EpochJumper)
        assert count_text(app.screen).startswith("0 of 500")
        for _ in range(len("no such note")):
            await pilot.press("backspace")
        await pilot.press("pagedown", "up", "enter")
        await pilot.pause()
        assert isinstance(app.result, JumpResult)
        assert len(app.result.matches) == 500
    drive(labels, body)


def test_filters_describe_and_find_without_textual():
    labels = make_labels(300)
    f = JumpFilters(None, "", (("scorer", "cd"),))
    assert f.describe() == "scorer contains 'cd'"
    assert np.array_equal(f.find(labels), labels.find(scorer="cd"))
    assert JumpFilters().describe() == "every interval"
