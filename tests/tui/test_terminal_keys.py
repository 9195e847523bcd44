"""Keys as terminals without full modifier reporting deliver them, and keys typed in the GL window.

Bytes go through Textual's own input parser (``XTermParser``) and the events it
makes are posted to the app, exactly as the terminal driver does.
"""

from __future__ import annotations

from textual._xterm_parser import XTermParser

from loupe_tui import protocol as P
from tui_helpers import SIZE, press_backspace, sync, wait_ready


async def feed(pilot, seq: str) -> None:
    """What the app sees when the terminal sends the bytes ``seq``."""
    parser = XTermParser()
    for event in [*parser.feed(seq), *parser.feed("")]:
        pilot.app.post_message(event)
    await pilot.pause()


def name(app) -> str:
    return type(app.screen).__name__


@sync
async def test_degraded_ctrl_shift_chords_do_what_was_meant_and_never_delete_or_save(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        main = app.screen
        s = main.session
        s.goto(400.0)
        await pilot.press("r")
        n = len(s.labels)
        await feed(pilot, "\x08")                 # Ctrl+Shift+H (or Ctrl+H) in tmux/xterm/VTE
        assert len(s.labels) == n, "Ctrl+H must not delete the last label"
        assert "no heatmaps" in main.status_bar.message      # it asked for the heatmap controls
        await feed(pilot, "\x18")                 # Ctrl+X: Export, which cannot arrive as Save
        assert name(app) == "Prompt" and s.labels.has_unsaved_edits
        await pilot.press("escape")
        assert not s.labels.save_path.exists()   # nothing was saved
        await feed(pilot, "\x1bl")                # Alt+L: label overlays, in every terminal
        assert main.view.overlays is False
        await press_backspace(pilot)              # the real Backspace key (\x7f) still deletes
        assert len(s.labels) == n - 1


@sync
async def test_shift_f3_from_xterm_and_tmux_steps_back(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        main = app.screen
        s = main.session
        main.nav.last_search = ("state", "NREM")      # NREM 52-208 and 304-360
        main.apply(s.goto(250.0))
        await feed(pilot, "\x1b[1;2R")            # Shift+F3: Textual sees a cursor position report
        assert s.cursor < 208.0 and s.labels.at_time(s.cursor).label == "NREM"
        await feed(pilot, "\x1bOR")               # F3
        assert s.cursor >= 304.0


@sync
async def test_window_keys_go_to_whatever_screen_is_open(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        main = app.screen

        async def window(*keys: str) -> None:
            for k in keys:
                main.post_message(main.WindowEvent(P.KeyPressed(k)))
                await pilot.pause()

        await window("f1")
        assert name(app) == "HelpScreen"
        await window("escape")                    # closes help, as in the terminal
        assert name(app) == "MainScreen"
        await window(":", *"goto 2:00")          # typed into the ':' line
        assert main.query_one("#command-line").value == "goto 2:00"
        await window("enter")
        assert main.session.cursor == 120.0
        await window("g")                         # the go-to prompt (a modal screen)
        assert name(app) == "Prompt"
        await window("backspace", *"300", "enter")
        assert name(app) == "MainScreen" and main.session.cursor == 300.0
        main.post_message(main.WindowEvent(P.Clicked(10.0)))   # the mouse still waits for no one: it acts
        await pilot.pause()
        assert main.session.cursor == 10.0
