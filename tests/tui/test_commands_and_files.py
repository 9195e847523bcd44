"""The ``:`` command line, saving (sibling / writeback), export, quitting and journal recovery."""

from __future__ import annotations

import polars as pl

from loupe_tui.core.labels import IntervalLabelSet
from tui_helpers import SIZE, screen_text, spans, sync, wait_ready


async def command(pilot, text: str) -> None:
    """Open the command line with ':', fill it (typing each key through Pilot is slow), Enter."""
    await pilot.press(":")
    pilot.app.screen.query_one("#command-line").value = text
    await pilot.press("enter")


@sync
async def test_command_line_navigation_and_scoring(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        s = app.screen.session
        await command(pilot, "goto 5:10")
        assert s.cursor == 310.0
        await command(pilot, "epoch 10")
        assert s.epoch_index() == 9
        await command(pilot, "window 30")
        assert s.window_len == 30.0
        await command(pilot, "jump rem")                          # case-insensitive state names
        assert s.cursor == 208.0
        s.goto(0.0)
        await pilot.press("f3")                                   # repeats the last jump
        assert s.cursor == 208.0
        await command(pilot, "label Artifact")
        assert s.labels.at_time(209.0).label == "Artifact"
        await command(pilot, "note odd spike")
        await command(pilot, "find ODD")
        assert s.labels.at_time(s.cursor).note == "odd spike"
        await command(pilot, "auto off")
        assert not s.auto_advance
        await command(pilot, "frobnicate")
        bar = app.screen.query_one("#status")
        assert bar.level == "error" and "unknown command" in bar.message


@sync
async def test_command_line_tab_completion_and_escape(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        cl = app.screen.query_one("#command-line")
        await pilot.press(":", "j", "u", "tab", "n", "tab")
        assert cl.value == "jump NREM"
        await pilot.press("escape")
        assert app.focused is None and not cl.has_class("-active")
        await pilot.press("]")                                    # keys act again once it is closed
        assert app.screen.session.window_start == 20.0


@sync
async def test_save_goes_to_the_sibling_without_writeback(new_app, labels_file):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        app.screen.session.goto(400.0)
        await pilot.press("w", "ctrl+s")
        sibling = labels_file.with_name("labels.scored.csv")
        assert sibling.exists() and "400.0,404.0,Wake" in sibling.read_text()
        assert "400.0" not in labels_file.read_text()
        assert "all saved" in screen_text(app)
        out = labels_file.parent / "copy.parquet"
        await command(pilot, f"export {out}")
        assert pl.read_parquet(out).height == len(app.screen.session.labels)


@sync
async def test_writeback_overwrites_the_source(new_app, labels_file):
    app = new_app(interval_labels_writeback=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        assert "overwrite" in screen_text(app)
        app.screen.session.goto(400.0)
        await pilot.press("r")
        await command(pilot, "w")
        assert "400.0,404.0,REM" in labels_file.read_text()


@sync
async def test_quit_asks_when_unsaved_and_returns_the_labels(new_app, labels_file):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        app.screen.session.goto(400.0)
        await pilot.press("n", "ctrl+q")
        assert type(app.screen).__name__ == "Choice"
        await pilot.press("escape")
        assert type(app.screen).__name__ == "MainScreen"
        await pilot.press("ctrl+q", "y")
        await pilot.pause()
    assert isinstance(app.return_value, IntervalLabelSet)
    assert (400.0, 404.0, "NREM") in spans(app.return_value)
    assert "400.0,404.0,NREM" in labels_file.with_name("labels.scored.csv").read_text()


@sync
async def test_quit_without_edits_does_not_ask(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_value is app.labels


@sync
async def test_journal_recovery_is_announced(new_app, labels_file):
    ls = IntervalLabelSet.load(labels_file)
    ls.add(400.0, 404.0, "REM")
    ls.add(404.0, 408.0, "Wake")
    ls.close()                                   # like a killed process: edits only in the journal
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        assert app.screen.session.labels.at_time(405.0).label == "Wake"
        text = screen_text(app)
        assert "recovered 2 unsaved edit(s)" in text


@sync
async def test_in_memory_labels_save_asks_for_a_file(new_app, tmp_path):
    df = pl.DataFrame({"start_s": [0.0], "end_s": [4.0], "label": ["Wake"], "note": [None]},
                      schema={"start_s": pl.Float64, "end_s": pl.Float64, "label": pl.String, "note": pl.String})
    app = new_app(interval_labels=df)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("ctrl+s")
        assert type(app.screen).__name__ == "Prompt"
        target = tmp_path / "mem.csv"
        inp = app.screen.query_one("#prompt-input")
        inp.value = str(target)
        await pilot.press("enter")
        assert target.exists() and "Wake" in target.read_text()


@sync
async def test_a_success_clears_an_old_error_and_undo_redo_say_what_they_did(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        main = app.screen
        s = main.session
        status = lambda: (main.status_bar.message, main.status_bar.level)   # noqa: E731
        await command(pilot, "label Nope-not-a-state")            # fine: any name is a state for :label
        await command(pilot, "jump Nowhere")                       # an error
        assert status()[1] == "error"
        await command(pilot, "goto 400")
        await command(pilot, "label REM")
        assert status() == ("", "info")                           # the stale error went
        await pilot.press("ctrl+z")
        assert status()[0] == "undid: REM 0:06:40–0:06:44"
        await pilot.press("ctrl+y")
        assert status()[0] == "redid: REM 0:06:40–0:06:44"
        await command(pilot, "goto 401")
        await pilot.press("0")                                    # clear the REM epoch
        await pilot.press("ctrl+z")
        assert status()[0] == "undid: clear 0:06:40–0:06:44"
        assert s.labels.at_time(401.0).label == "REM"


@sync
async def test_status_names_where_saves_go_for_a_new_file_and_how_the_window_was_turned_off(new_app, tmp_path):
    app = new_app(interval_labels=tmp_path / "night1.csv")
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        text = app.screen.status_bar.text
        assert "labels night1.csv (new file) → saves to night1.csv" in text
        assert "GL window: off (window=False)" in text and "--no-window" not in text
