"""The main screen opens the jumper, keymap screen, dialogs, palette and label table, and applies
what they return (each is dismissed here with a result, as its own tests drive its form)."""

from __future__ import annotations

import numpy as np

from loupe_tui import protocol as P
from loupe_tui.config import VideoConfig
from loupe_tui.core.states import StateConfig, bundled_keymap
from tui_helpers import SIZE, sync, wait_ready


async def command(pilot, text: str) -> None:
    await pilot.press(":")
    pilot.app.screen.query_one("#command-line").value = text
    await pilot.press("enter")


def screen_name(app) -> str:
    return type(app.screen).__name__


@sync
async def test_jumper_result_moves_the_cursor_and_f3_steps_through_matches(new_app):
    from loupe_tui.tui.screens.jumper import JumpFilters, JumpResult

    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("ctrl+j")
        assert screen_name(app) == "EpochJumper"
        app.screen.dismiss(JumpResult(52.0, np.array([52.0, 304.0]), "NREM: 2 matches", 1, JumpFilters("NREM")))
        await pilot.pause()
        s = app.screen.session
        assert s.cursor == 52.0 and "NREM: 2 matches" in app.screen.query_one("#status").message
        await pilot.press("f3")
        assert s.cursor == 304.0
        await pilot.press("shift+f3")
        assert s.cursor == 52.0


@sync
async def test_keymap_screen_result_switches_the_keymap(new_app, tmp_path):
    km = tmp_path / "km.toml"
    km.write_text(bundled_keymap("rodent_sleep").read_text().replace('keys = ["w", "1"]', 'keys = ["v", "1"]'))
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("ctrl+k")
        assert screen_name(app) == "KeymapScreen"
        app.screen.path = km                      # as if the screen had saved a rebinding there
        app.screen.dismiss(StateConfig.from_file(km))
        await pilot.pause()
        s = app.screen.session
        s.goto(400.0)
        await pilot.press("v")
        assert s.labels.at_time(401.0).label == "Wake"
        assert app.screen.context.keymap_watcher.path == km


@sync
async def test_y_scale_and_overlay_dialogs_apply_to_the_preview(new_app):
    from loupe_tui.tui.dialogs.overlays import OverlayResult
    from loupe_tui.tui.dialogs.yscale import YRange, YScaleResult

    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("ctrl+d")
        assert screen_name(app) == "YScaleDialog"
        app.screen.dismiss(YScaleResult({"EEG": YRange(False, -50.0, 50.0), "EMG": YRange()}))
        await pilot.pause()
        traces = app.screen.query_one("#traces")
        assert traces._ylim(0) == (-50.0, 50.0) and 1 not in traces._fixed
        await command(pilot, "alpha")
        assert screen_name(app) == "LabelOverlayDialog"
        app.screen.dismiss(OverlayResult(alpha=128, visible=False))
        await pilot.pause()
        assert (app.screen.view.overlays, app.screen.view.overlay_alpha) == (False, 128)


@sync
async def test_palette_runs_registry_actions(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("ctrl+p")
        assert screen_name(app) == "CommandPalette"
        await pilot.press(*"next page")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert screen_name(app) == "MainScreen" and app.screen.session.window_start == 20.0


@sync
async def test_label_table_jumps_and_edits_through_the_journal(new_app, labels_file):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await command(pilot, "table")
        await pilot.pause()
        main = app.screen
        assert screen_name(app) == "MainScreen"                 # a panel of the main screen, not a screen
        table = main.query_one("#label-table")
        assert table.grid.has_focus
        table.post_message(table.CellEdited(table, 2, "note", "checked"))
        await pilot.pause()
        assert main.session.labels.row(2).note == "checked"
        assert "checked" in labels_file.with_name("labels.csv.loupe-journal").read_text()
        await pilot.press("home", "down", "enter")
        await pilot.pause()
        assert main.session.cursor == 52.0                     # row 1 starts at 52 s
        assert table.grid.has_focus and table.cursor_index == 1


@sync
async def test_docked_label_table_follows_the_cursor_and_lets_state_keys_score(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        main = app.screen
        s = main.session
        await pilot.press("f4")
        await pilot.pause()
        table = main.query_one("#label-table")
        assert table.grid.has_focus and table.cursor_index == 0
        for _ in range(3):
            await pilot.press("]")                              # paging works while the table has focus
        await pilot.pause()
        assert s.window_start == 60.0 and table.cursor_index == 1          # NREM 52-208: it followed
        main.apply(s.goto(400.0))                                # unscored, after the last interval
        await pilot.press("r")                                   # a state key scores with the table focused
        await pilot.pause()
        assert s.labels.at_time(401.0).label == "REM" and s.cursor == 404.0
        i = table.cursor_index
        assert s.labels.row(i).label == "REM" and s.labels.starts[i] == 400.0   # the new row, highlighted
        assert table.row_count == len(s.labels)
        await pilot.press("escape")                              # focus back to the traces; table stays
        await pilot.pause()
        assert app.focused is None and main.query_one("#label-panel").display
        await pilot.press("escape")                              # now Escape is the main screen's again
        await pilot.press("f4")                                  # focus the table again, then hide it
        await pilot.pause()
        assert table.grid.has_focus
        await pilot.press("f4")
        await pilot.pause()
        assert not main.query_one("#label-panel").display and app.focused is None


@sync
async def test_window_keys_reach_the_label_table(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        main = app.screen
        await pilot.press("f4")
        await pilot.pause()
        table = main.query_one("#label-table")
        main.post_message(main.WindowEvent(P.KeyPressed("down")))
        main.post_message(main.WindowEvent(P.KeyPressed("enter")))
        await pilot.pause(0.1)
        assert table.cursor_index == 1 and main.session.cursor == 52.0


@sync
async def test_video_dialogs_set_target_speed_and_visibility(new_app, demo, monkeypatch):
    from loupe_tui.tui.dialogs.video import FrameStepResult, PlaybackResult, VideoVisibilityResult

    app = new_app(videos=[VideoConfig(demo.video, demo.frame_times, name="a"),
                          VideoConfig(demo.video, demo.frame_times, name="b")])
    sent = []
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        monkeypatch.setattr(app.screen.bridge, "send", sent.append)
        for cmd, result in (("target", FrameStepResult(1)), ("speed", PlaybackResult(4.0)),
                            ("videos", VideoVisibilityResult((True, False)))):
            await command(pilot, cmd)
            app.screen.dismiss(result)
            await pilot.pause()
        scr = app.screen
        assert scr.view.video_target == 1 and scr.view.play_speed == 4.0
        assert scr.view.video_visible[1] is False
        assert P.SetViewOption("video:1", {"visible": False}) in sent
        await pilot.press("ctrl+o")                                   # cycles the target
        assert scr.view.video_target == 0
        app.run_registry_action("video.position")                     # from the palette
        await pilot.pause()
        assert sent[-1] == P.SetViewOption("video", {"position": "below"})
        app.run_registry_action("video.position")
        await pilot.pause()
        assert sent[-1] == P.SetViewOption("video", {"position": "right"})
