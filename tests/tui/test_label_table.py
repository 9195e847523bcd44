"""LabelTable: virtual rows, keys, follow, in-place editing, incremental refresh (Pilot)."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import polars as pl
import pytest
from textual.app import App, ComposeResult

from loupe_tui.core.labels import IntervalLabelSchema, IntervalLabelSet
from loupe_tui.tui.widgets.label_table import LabelTable

COLORS = {"Wake": "#2ed15a", "NREM": "#4f8cff", "REM": "#ff5cc8"}
SIZE = (110, 30)          # 30 lines: 1 header + 29 rows


def make_labels(n: int) -> IntervalLabelSet:
    starts = np.arange(n) * 4.0
    df = pl.DataFrame({
        "start_s": starts, "end_s": starts + 4.0,
        "label": np.array(["Wake", "NREM", "REM"])[np.arange(n) % 3],
        "note": [("spindle" if i % 7 == 0 else None) for i in range(n)],
        "scorer": ["ab" if i % 2 else "cd" for i in range(n)],
        "confidence": [0.5] * n,
    })
    return IntervalLabelSet.from_frame(df, IntervalLabelSchema(extra_cols=("scorer", "confidence")))


class Host(App):
    """Stands in for the main screen: applies edits the way it must."""

    def __init__(self, labels, **kw):
        super().__init__()
        self.labels, self.kw, self.msgs = labels, kw, []

    def compose(self) -> ComposeResult:
        yield LabelTable(self.labels, COLORS, id="table", **self.kw)

    def on_mount(self) -> None:
        self.query_one(LabelTable).focus()

    def on_label_table_jump_to(self, m: LabelTable.JumpTo) -> None:
        self.msgs.append(("jump", m.t, m.index))

    def on_label_table_highlighted(self, m: LabelTable.Highlighted) -> None:
        self.msgs.append(("highlighted", m.index))

    def on_label_table_cell_edited(self, m: LabelTable.CellEdited) -> None:
        self.msgs.append(("edit", m.index, m.column, m.value))
        m.table.refresh_labels(self.labels.update_cell(m.index, m.column, m.value))


def drive(labels, body, **kw):
    async def main():
        app = Host(labels, **kw)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await body(app, pilot, app.query_one(LabelTable))
    asyncio.run(main())


def line(table: LabelTable, y: int) -> str:
    return table.grid.render_line(y).text


def test_100k_opens_fast_and_draws_only_the_visible_rows():
    labels = make_labels(100_000)

    async def main():
        app = App()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            t0 = time.perf_counter()
            table = LabelTable(labels, COLORS)
            await app.mount(table)
            await pilot.pause()
            assert time.perf_counter() - t0 < 1.0     # the bench measures ~15 ms to first paint
            grid = table.grid
            assert grid.body_height == SIZE[1] - 1
            assert grid.rendered_rows == set(range(grid.body_height))   # exactly the rows on screen
            header, first, last = (line(table, y) for y in (0, 1, 29))
            assert header.split()[:6] == ["#", "start", "end", "duration", "state", "scorer"]
            assert first.split()[:5] == ["1", "0:00:00", "0:00:04", "0:00:04", "Wake"]
            assert "spindle" in first
            assert last.split()[0] == "29"
    asyncio.run(main())


def test_keys_move_the_highlight_and_enter_posts_jump_to():
    labels = make_labels(1000)

    async def body(app, pilot, table):
        await pilot.press("down", "down", "down", "enter")
        await pilot.pause()
        assert app.msgs[-1] == ("jump", 12.0, 3)
        await pilot.press("pagedown")
        assert table.cursor_index == 3 + table.grid.body_height
        await pilot.press("end", "enter")
        await pilot.pause()
        assert app.msgs[-1] == ("jump", 999 * 4.0, 999)
        top = int(table.grid.scroll_offset.y)
        assert top <= 999 < top + table.grid.body_height          # scrolled into view
        await pilot.press("home", "up", "enter")
        await pilot.pause()
        assert app.msgs[-1] == ("jump", 0.0, 0)
        assert ("highlighted", 999) in app.msgs
    drive(labels, body)


def test_follow_highlights_and_scrolls_without_posting():
    labels = make_labels(100_000)
    labels.clear_range(400.0, 404.0)          # a gap: row 100 is gone

    async def body(app, pilot, table):
        table.follow(50_001.0)
        await pilot.pause()
        i = table.cursor_index
        assert labels.starts[i] <= 50_001.0 < labels.ends[i]
        top = int(table.grid.scroll_offset.y)
        assert top <= table.grid.cursor < top + table.grid.body_height
        assert f"{i + 1}" in line(table, table.grid.cursor - top + 1)
        table.follow(402.0)                   # in the gap: the interval before it
        await pilot.pause()
        assert labels.ends[table.cursor_index] == 400.0
        assert app.msgs == []                 # following the cursor posts nothing
    drive(labels, body)


def test_edit_note_in_place_posts_cell_edited_and_repaints_only_that_row():
    labels = make_labels(1000)

    async def body(app, pilot, table):
        await pilot.press("down", "e")
        assert table.editing and table.editor.value == ""
        await pilot.press(*"arousal", "enter")
        await pilot.pause()
        assert app.msgs[-1] == ("edit", 1, "note", "arousal")
        assert labels.row(1).note == "arousal"
        assert not table.editing and app.focused is table.grid
        assert "arousal" in line(table, 2)
        # an edit that keeps the row count repaints just its row
        table.grid.rendered_rows.clear()
        diff = labels.update_cell(5, "note", "later")
        table.refresh_labels(diff)
        await pilot.pause()
        assert table.grid.rendered_rows == {5}
        assert "later" in line(table, 6)
    drive(labels, body)


def test_edit_extra_columns_typed_and_validated():
    labels = make_labels(100)

    async def body(app, pilot, table):
        await pilot.press("left", "e")                       # note -> confidence (float column)
        assert table.editor.value == "0.5"
        await pilot.press("backspace", "backspace", "backspace", *"high", "enter")
        await pilot.pause()
        assert table.editing and not [m for m in app.msgs if m[0] == "edit"]   # refused, still open
        await pilot.press("escape")
        assert not table.editing
        await pilot.press("e", *(["backspace"] * 4), *"0.9", "enter")
        await pilot.pause()
        assert app.msgs[-1] == ("edit", 0, "confidence", 0.9)
        await pilot.press("left", "e", "backspace", "backspace", "z", "z", "enter")   # scorer: text
        await pilot.pause()
        assert app.msgs[-1] == ("edit", 0, "scorer", "zz")
        assert labels.row(0).extras == ("zz", 0.9)
    drive(labels, body)


def test_incremental_refresh_after_edits_that_change_the_row_count():
    labels = make_labels(1000)

    async def body(app, pilot, table):
        table.follow(2000.0)                                  # row 500
        await pilot.pause()
        assert table.cursor_index == 500
        table.refresh_labels(labels.add(10.0, 14.0, "REM"))   # splits rows before the cursor
        await pilot.pause()
        assert table.row_count == len(labels)
        assert labels.starts[table.cursor_index] == 2000.0    # still on the same interval
        table.refresh_labels(labels.clear_range(0.0, 40.0))
        await pilot.pause()
        assert labels.starts[table.cursor_index] == 2000.0
        table.refresh_labels(labels.add(2000.5, 2001.5, "Wake"))   # fractions: ms columns appear
        await pilot.pause()
        assert ".500" in " ".join(line(table, y) for y in range(1, 30))
        table.refresh_labels(labels.undo())
        table.refresh_labels()
        await pilot.pause()
        assert table.row_count == len(labels)
    drive(labels, body)


def test_state_cells_use_state_colours():
    labels = make_labels(10)

    async def body(app, pilot, table):
        strip = table.grid.render_line(2)                     # row 1: NREM
        seg = next(s for s in strip if s.text.strip() == "NREM")
        assert seg.style.bgcolor.triplet.hex == "#4f8cff"
        table.set_state_colors({"NREM": (10, 20, 30, 255)})
        seg = next(s for s in table.grid.render_line(2) if s.text.strip() == "NREM")
        assert seg.style.bgcolor.triplet.hex == "#0a141e"
    drive(labels, body)


def test_subset_columns_and_read_only():
    labels = make_labels(100)
    rows = labels.find(note="spindle")

    async def body(app, pilot, table):
        assert table.row_count == len(rows)
        assert line(table, 0).split() == ["start", "state", "note"]
        await pilot.press("down", "e", "enter")
        await pilot.pause()
        assert not table.editing                              # "e" is not taken when read-only
        assert app.msgs[-1] == ("jump", float(labels.starts[rows[1]]), int(rows[1]))
        table.follow(float(labels.starts[rows[3]]) + 1.0)
        assert table.cursor_index == rows[3]
    drive(labels, body, rows=rows, columns=("start", "state", "note"), editable=False)


@pytest.mark.parametrize("n", [0, 1])
def test_tiny_tables(n):
    labels = make_labels(n)

    async def body(app, pilot, table):
        await pilot.press("down", "pagedown", "end", "enter", "e")
        await pilot.pause()
        jumps = [m for m in app.msgs if m[0] == "jump"]
        assert len(jumps) == n
        if n == 0:
            assert "no intervals" in line(table, 1)
            table.follow(5.0)
            assert table.cursor_index is None
    drive(labels, body)


def test_an_edit_under_the_open_editor_cancels_it_one_after_it_does_not():
    labels = make_labels(100)

    async def body(app, pilot, table):
        await pilot.press("down", "down", "e", *"draft")
        table.refresh_labels(labels.update_cell(50, "note", "elsewhere"))    # after row 2: keep typing
        assert table.editing
        table.refresh_labels(labels.update_cell(1, "note", "above"))          # at/before: cancelled
        await pilot.pause()
        assert not table.editing and app.focused is table.grid
        assert labels.row(2).note is None
    drive(labels, body)


def test_editing_a_cell_keeps_its_text_and_types_at_the_end():
    labels = make_labels(100)                                 # row 0's note is "spindle"

    async def body(app, pilot, table):
        await pilot.press("e")
        await pilot.pause()
        assert table.editor.value == "spindle" and table.editor.cursor_position == len("spindle")
        await pilot.press("s", "enter")                       # the first key must not wipe the note
        await pilot.pause()
        assert labels.row(0).note == "spindles"
    drive(labels, body)


def test_short_recordings_keep_whole_headers():
    labels = make_labels(10)                                  # times fit 7 cells; "duration" needs 8

    async def body(app, pilot, table):
        assert line(table, 0).split()[:5] == ["#", "start", "end", "duration", "state"]
    drive(labels, body)
