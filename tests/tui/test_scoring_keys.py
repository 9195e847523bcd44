"""Every scoring and navigation key, pressed through Pilot, checked on the session and the labels.

The demo's labels (12 min, 4 s epochs): Wake 0-52, NREM 52-208, REM 208-280,
Wake 280-304, NREM 304-360; unscored from 360 s.
"""

from __future__ import annotations

import json

import pytest

from tui_helpers import SIZE, press_backspace, spans, sync, wait_ready


@sync
async def test_state_key_labels_the_epoch_journals_it_and_advances(new_app, labels_file):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        s = app.screen.session
        s.goto(400.0)
        await pilot.press("r")
        assert (400.0, 404.0, "REM") in spans(s.labels)
        assert s.epoch_index() == 101 and s.cursor == 404.0          # auto-advance
        await pilot.press("2", "W")                                   # "2" is NREM; "W" is no key
        assert (404.0, 408.0, "NREM") in spans(s.labels) and s.cursor == 408.0
        journal = labels_file.with_name("labels.csv.loupe-journal")
        entries = [json.loads(x) for x in journal.read_text().splitlines()[1:]]
        assert len(entries) == 2 and entries[0]["op"] == "add"


@sync
async def test_auto_advance_toggle_and_labelling_a_selection(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        s = app.screen.session
        s.goto(400.0)
        await pilot.press("ctrl+t", "w")
        assert not s.auto_advance and s.cursor == 400.0
        await pilot.press("enter", "shift+right", "shift+right")
        assert s.selection == (400.0, 412.0)
        await pilot.press("n")                                        # a hotkey labels the selection
        assert (400.0, 412.0, "NREM") in spans(s.labels) and s.selection is None
        await pilot.press("enter", "ctrl+shift+right")                # fine step: a hundredth of the window
        a, b = s.selection
        assert b - a == pytest.approx(4.0 + s.fine_step)
        await pilot.press("escape")
        assert s.selection is None


@sync
async def test_clear_delete_last_undo_redo(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        s = app.screen.session
        s.goto(8.0)
        await pilot.press("0")                                        # clear the cursor epoch
        assert s.labels.at_time(9.0) is None
        await pilot.press("ctrl+z")
        assert s.labels.at_time(9.0).label == "Wake"
        await pilot.press("ctrl+y")
        assert s.labels.at_time(9.0) is None
        s.goto(400.0)
        await pilot.press("a", "a")
        assert s.labels.at_time(405.0).label == "Artifact"
        await press_backspace(pilot)                                  # the last label made goes
        assert s.labels.at_time(405.0) is None and s.labels.at_time(401.0).label == "Artifact"
        assert s.cursor == 404.0


@sync
async def test_paging_stepping_and_window_keys(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        s = app.screen.session
        assert (s.window_start, s.window_len) == (0.0, 20.0)
        await pilot.press("]", "pagedown")
        assert s.window_start == 40.0 and s.cursor == 40.0
        await pilot.press("[")
        assert s.window_start == 20.0
        await pilot.press("pageup", ".", ".", ",")
        assert s.cursor == 4.0
        await pilot.press("-")
        assert s.window_len == 40.0
        await pilot.press("+", "=")
        assert s.window_len == 10.0
        await pilot.press("end")
        assert s.epoch_index() == s.n_epochs - 1
        await pilot.press("home")
        assert s.cursor == 0.0


@sync
async def test_jumps_unscored_and_state_changes(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        s = app.screen.session
        await pilot.press("ctrl+u")
        assert s.cursor == 360.0
        s.goto(0.0)
        await pilot.press(">")
        assert s.cursor == 52.0
        await pilot.press(">", "<")
        assert s.cursor == 52.0


@sync
async def test_goto_prompt_and_epoch_length_prompt(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        s = app.screen.session
        await pilot.press("g", *"5:10", "enter")
        assert s.cursor == 310.0 and s.window_start <= 310.0 < s.window_end
        await pilot.press("g", *"nonsense", "enter")                  # refused: the prompt stays open
        assert type(app.screen).__name__ == "Prompt"
        await pilot.press("escape")
        assert s.cursor == 310.0
        await pilot.press("ctrl+e", "ctrl+a", "ctrl+k", *"30", "enter")
        assert s.epoch_len == 30.0


@sync
async def test_note_prompt_sets_the_note(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        s = app.screen.session
        s.goto(60.0)
        await pilot.press("ctrl+n", *"spindles", "enter")
        assert s.labels.at_time(60.0).note == "spindles"
        s.goto(500.0)
        await pilot.press("ctrl+n")                                   # unlabelled: a message, no prompt
        assert type(app.screen).__name__ == "MainScreen"
        assert "no label" in app.screen.query_one("#status").message


@sync
async def test_window_events_act_like_keys(new_app):
    from loupe_tui import protocol as P

    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        scr = app.screen
        s = scr.session
        s.goto(400.0)
        scr.post_message(scr.WindowEvent(P.KeyPressed("r")))
        await pilot.pause()
        assert s.labels.at_time(401.0).label == "REM" and s.cursor == 404.0
        scr.post_message(scr.WindowEvent(P.Clicked(406.5)))
        scr.post_message(scr.WindowEvent(P.Dragged(410.0, 402.0, True)))
        await pilot.pause()
        assert s.cursor == 406.5 and s.selection == (402.0, 410.0)
        start = s.window_start
        scr.post_message(scr.WindowEvent(P.KeyPressed("w")))
        scr.post_message(scr.WindowEvent(P.Scrolled(1.0, ())))           # the wheel pages
        await pilot.pause()
        assert s.labels.at_time(409.0).label == "Wake" and s.window_start == start + s.window_len
        cursor = s.cursor
        scr.post_message(scr.WindowEvent(P.Scrolled(-1.0, ())))          # back a page
        await pilot.pause()
        assert s.window_start == start and s.cursor == cursor - s.window_len
        epoch = s.epoch_index()
        scr.post_message(scr.WindowEvent(P.Scrolled(2.0, ("shift",))))   # Shift+wheel: epoch by epoch
        await pilot.pause()
        assert s.epoch_index() == epoch + 2
        scr.post_message(scr.WindowEvent(P.ErrorRaised("GL context lost", True)))
        await pilot.pause()
        assert "F5" in scr.query_one("#status").message
