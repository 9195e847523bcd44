"""One action table: every registry id has exactly one handler on the object that owns it, every ``:``
command is handled, and the GL window's playback asks the app to page (the app owns the window)."""

from __future__ import annotations

import pytest

from loupe_tui import protocol as P
from loupe_tui.core.actions import action_ids
from loupe_tui.tui.actions import COMMAND_ACTIONS, run_command, table_problems
from loupe_tui.tui.colon import COMMANDS, parse
from tui_helpers import SIZE, sync, wait_ready

ARGS = {"time": "0:01:00", "int": "3", "state": "REM", "text": "spindle", "path": "{tmp}/copy.csv", "onoff": "on",
        "clock": "elapsed", "chain": "eeg, notch50", "": ""}


@sync
async def test_every_action_id_has_one_handler_and_every_handler_an_id(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        table = app.screen.actions
        assert table_problems(table) == []
        owners = [h.func.__self__ if hasattr(h, "func") else getattr(h, "__self__", None) for h in table.values()]
        names = {type(o).__name__ for o in owners if o is not None}
        assert {"Session", "ViewModel", "Navigator", "Openers", "MainScreen"} <= names   # each its owner's


def test_the_table_check_fails_on_a_missing_or_an_extra_handler():
    table = {i: (lambda: None) for i in action_ids()}
    del table["nav.page_next"]
    table["nav.page_sideways"] = lambda: None
    table["view.hypnogram"] = "not a function"
    assert table_problems(table) == ["nav.page_next: no handler",
                                     "nav.page_sideways: a handler but no action of that id in the registry",
                                     "view.hypnogram: not callable"]


@sync
async def test_every_colon_command_is_handled(new_app, tmp_path):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        main = app.screen
        assert set(COMMAND_ACTIONS.values()) <= set(main.actions)
        for spec in COMMANDS:
            if spec.name in ("q", "q!", "wq"):      # leave the app running; quitting is tested elsewhere
                continue
            arg = ARGS[spec.arg].format(tmp=tmp_path)
            cmd = parse(f"{spec.name} {arg}".strip())
            result = run_command(cmd, main.actions, main.session, main.nav, main)
            assert result is None or "not handled" not in (result.message or ""), spec.name
            while app.screen is not main:           # a dialog or prompt it opened
                await pilot.press("escape")
                await pilot.pause()


@sync
async def test_playback_pages_through_the_app_when_the_window_asks(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        main, s = app.screen, app.screen.session
        w = s.window_len
        assert (s.window_start, s.window_end) == pytest.approx((0.0, w))
        main.post_message(main.WindowEvent(P.PageRequested(w + 0.3)))   # the window's clock left the page
        await pilot.pause()
        assert s.cursor == pytest.approx(w + 0.3) and (s.window_start, s.window_end) == pytest.approx((w, 2 * w))
        await pilot.press("g")                      # with a prompt open the window's request still pages
        main.post_message(main.WindowEvent(P.PageRequested(2 * w + 0.1)))
        await pilot.pause()
        assert s.window_start == pytest.approx(2 * w)
