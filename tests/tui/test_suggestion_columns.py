"""Suggestions in the label table and the jumper (issue 14): the ``suggested`` column and the
jumper's suggestion filter (Pilot)."""

from __future__ import annotations

import asyncio
from types import MappingProxyType

import numpy as np
import polars as pl
from textual.app import App, ComposeResult
from textual.widgets import Select

from loupe_tui.core.labels import IntervalLabelSchema, IntervalLabelSet
from loupe_tui.io.suggest import Suggestions
from loupe_tui.tui.screens.jumper import EpochJumper, JumpFilters, JumpResult, SuggestionFacts
from loupe_tui.tui.widgets.label_table import LabelTable

COLORS = {"Wake": "#2ed15a", "NREM": "#4f8cff", "REM": "#ff5cc8"}
STATES = ("Wake", "NREM", "REM")
SIZE = (110, 30)


def make_labels(n: int) -> IntervalLabelSet:
    """``n`` touching 4 s intervals: Wake, NREM, REM, Wake ..."""
    starts = np.arange(n) * 4.0
    df = pl.DataFrame({"start_s": starts, "end_s": starts + 4.0,
                       "label": np.array(STATES)[np.arange(n) % 3],
                       "note": [("spindle" if i % 5 == 0 else None) for i in range(n)]})
    return IntervalLabelSet.from_frame(df, IntervalLabelSchema())


def make_suggestions(n: int) -> Suggestions:
    """One 4 s epoch per interval: NREM everywhere but Wake on every third (so every REM
    interval is suggested NREM), 0.5 sure on every 4th epoch, none on every 10th (from 7)."""
    codes = np.where(np.arange(n) % 3 == 0, 0, 1).astype(np.int8)
    conf = np.where(np.arange(n) % 4 == 1, 0.5, 0.93).astype(np.float32)
    codes[7::10], conf[7::10] = -1, np.nan
    return Suggestions(STATES, codes, conf, 0.0, 4.0, 0, MappingProxyType({}), 0.0, 0.0, "")


class TableHost(App):
    def __init__(self, labels):
        super().__init__()
        self.labels = labels

    def compose(self) -> ComposeResult:
        yield LabelTable(self.labels, COLORS, id="table")


def drive_table(labels, body):
    async def main():
        app = TableHost(labels)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await body(app, pilot, app.query_one(LabelTable))
    asyncio.run(main())


def cells(table: LabelTable, y: int) -> dict[str, str]:
    """Row ``y`` of the screen (0: the header) as ``{column key: its text}``."""
    text = table.grid.render_line(y).text
    out, x = {}, 0
    for c in table.grid.columns:
        out[c.key] = text[x:x + c.width].strip()
        x += c.width + 1
    return out


def segment_of(table: LabelTable, y: int, text: str):
    return next(s for s in table.grid.render_line(y) if s.text.strip() == text)


def test_the_table_shows_each_intervals_suggestion_marking_the_ones_that_differ_or_are_unsure():
    n = 40
    labels = make_labels(n)

    async def body(app, pilot, table):
        before = [table.grid.render_line(y).text for y in range(5)]
        table.set_suggestions(make_suggestions(n), 0.8)
        await pilot.pause()
        head = table.grid.render_line(0).text.split()
        assert head[head.index("state") + 1] == "suggested"          # right after the state
        assert cells(table, 1)["suggested"] == "Wake  .93"         # interval 0: Wake, agrees
        assert cells(table, 2)["suggested"] == "NREM  .50?"        # 1: NREM at 0.5, below 0.8
        assert cells(table, 3)["suggested"] == "≠NREM  .93"        # 2: labelled REM, suggested NREM
        assert cells(table, 8)["suggested"] == ""                  # 7: no suggestion
        assert cells(table, 3)["state"] == "REM"
        # a suggestion that differs is drawn in the suggested state's colour; one that agrees is not
        assert segment_of(table, 3, "≠NREM  .93").style.bgcolor.triplet.hex == COLORS["NREM"]
        assert segment_of(table, 1, "Wake  .93").style.bgcolor != segment_of(table, 1, "Wake").style.bgcolor
        # a higher threshold makes more of them unsure; None takes the column away again
        table.set_suggestions(make_suggestions(n), 0.95)
        assert cells(table, 1)["suggested"] == "Wake  .93?"
        table.set_suggestions(None, 0.8)
        assert [table.grid.render_line(y).text for y in range(5)] == before
    drive_table(labels, body)


def test_the_column_follows_label_edits():
    n = 40
    labels = make_labels(n)

    async def body(app, pilot, table):
        table.set_suggestions(make_suggestions(n), 0.8)
        await pilot.pause()
        assert cells(table, 3)["suggested"] == "≠NREM  .93"
        assert cells(table, 4)["start"] == "0:00:12"
        # the user takes the suggestion for [8, 12): it merges with the NREM before it into [4, 12)
        table.refresh_labels(labels.add(8.0, 12.0, "NREM"))
        await pilot.pause()
        row = cells(table, 2)
        assert (row["end"], row["state"]) == ("0:00:12", "NREM")
        assert row["suggested"] == "NREM  .72?"     # agrees now; both epochs NREM, (0.5 + 0.93) / 2 < 0.8
        # the rows after it moved up one, and their suggestions with them
        assert cells(table, 3)["start"] == "0:00:12" and cells(table, 3)["suggested"] == "Wake  .93"
        assert cells(table, 4)["suggested"] == "NREM  .93"
    drive_table(labels, body)


def test_a_label_the_model_does_not_suggest_is_no_disagreement():
    n = 12
    labels = make_labels(n)
    labels.add(8.0, 12.0, "Artifact")                      # suggested NREM there

    async def body(app, pilot, table):
        table.set_suggestions(make_suggestions(n), 0.8)
        await pilot.pause()
        assert (cells(table, 3)["state"], cells(table, 3)["suggested"]) == ("Artifact", "NREM  .93")
        assert cells(table, 6)["suggested"] == "≠NREM  .50?"    # a REM label still differs
    drive_table(labels, body)
    facts = SuggestionFacts.of(labels, make_suggestions(n), 0.8)
    assert np.flatnonzero(facts.disagrees).tolist() == [5, 8, 11]
    assert not facts.agrees[2] and not facts.disagrees[2]


def test_without_suggestions_the_table_has_no_suggested_column():
    async def body(app, pilot, table):
        assert "suggested" not in table.grid.render_line(0).text
        assert [c.key for c in table.grid.columns] == ["index", "start", "end", "duration", "state", "note"]
    drive_table(make_labels(10), body)


# -- the jumper -----------------------------------------------------------------------------------
class JumperHost(App):
    def __init__(self, labels, **kw):
        super().__init__()
        self.labels, self.kw, self.result = labels, kw, None

    def on_mount(self) -> None:
        self.push_screen(EpochJumper(self.labels, COLORS, **self.kw), self.done)

    def done(self, result) -> None:
        self.result = result


def drive_jumper(labels, body, **kw):
    async def main():
        app = JumperHost(labels, **kw)
        async with app.run_test(size=(110, 40)) as pilot:
            await pilot.pause()
            await body(app, pilot, app.screen)
    asyncio.run(main())


def disagreeing(labels, sugg) -> list[int]:
    """Intervals whose one epoch has a suggestion other than the label, found one by one."""
    return [i for i in range(len(labels))
            if sugg.state_at(i)[0] not in (None, labels.row(i).label) and labels.row(i).label in STATES]


def test_the_jumper_finds_exactly_the_intervals_whose_suggestion_disagrees():
    n = 300
    labels, sugg = make_labels(n), make_suggestions(n)

    async def body(app, pilot, jumper):
        assert "suggested" in jumper.table.grid.render_line(0).text
        jumper.query_one("#suggestion", Select).value = "disagrees"
        await pilot.pause()
        want = disagreeing(labels, sugg)
        assert jumper.matches.tolist() == want
        assert str(jumper.query_one("#count").content) == (
            f"{len(want)} of 300 intervals match (suggestion disagrees with the label)")
        await pilot.press(*"spindle")                                # AND the note filter
        await pilot.pause()
        both = [i for i in want if labels.row(i).note == "spindle"]
        assert jumper.matches.tolist() == both and both
        await pilot.press("enter")
        await pilot.pause()
        res = app.result
        assert isinstance(res, JumpResult) and res.index == both[0]
        assert res.filters == JumpFilters(None, "spindle", (), "disagrees")
        assert res.description == f"note contains 'spindle', suggestion disagrees with the label: {len(both)} matches"
    drive_jumper(labels, body, suggestions=sugg, threshold=0.8)


def test_the_jumpers_unsure_and_agrees_filters():
    n = 120
    labels, sugg = make_labels(n), make_suggestions(n)
    facts = SuggestionFacts.of(labels, sugg, 0.8)
    unsure = [i for i in range(n) if sugg.state_at(i)[0] is not None and sugg.state_at(i)[1] < 0.8]
    agrees = [i for i in range(n) if sugg.state_at(i)[0] == labels.row(i).label]
    assert JumpFilters(suggestion="unsure").find(labels, facts).tolist() == unsure
    assert JumpFilters(suggestion="agrees").find(labels, facts).tolist() == agrees
    assert JumpFilters("Wake", suggestion="agrees").find(labels, facts).tolist() == [
        i for i in agrees if labels.row(i).label == "Wake"]
    assert JumpFilters(suggestion="unsure").describe() == "suggestion below the threshold"


def test_without_suggestions_the_jumper_offers_no_suggestion_filter():
    labels = make_labels(60)

    async def body(app, pilot, jumper):
        assert not jumper.query("#suggestion")
        assert "suggested" not in jumper.table.grid.render_line(0).text
        # a search kept from when there were suggestions reopens without that part
        assert jumper.filters == JumpFilters("REM") and jumper.table.row_count == 20
    drive_jumper(labels, body, filters=JumpFilters("REM", suggestion="disagrees"))
