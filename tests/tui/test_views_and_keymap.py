"""View toggles, help, footer, the live keymap (reload, remap, broken edits) and Textual's own keys."""

from __future__ import annotations

import os

from loupe_tui.config import VideoConfig
from loupe_tui.core.states import bundled_keymap
from tui_helpers import SIZE, screen_text, sync, wait_ready


@sync
async def test_terminal_views_show_labels_traces_and_status(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        text = screen_text(app)
        for want in ("window 0:00:00 +20 s", "epoch 1/180 (4 s)", "labels.csv → saves to labels.scored.csv",
                     "GL window: off", "▶EEG", "EMG", "Wake", "NREM", "REM", "Artifact", "w/1", "F1"):
            assert want in text, want
        assert any(0x2800 < ord(c) <= 0x28FF for c in text)          # braille traces


@sync
async def test_toggles_hide_and_show_views(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        scr = app.screen
        hyp, strip = scr.query_one("#hypnogram"), scr.query_one("#label-strip")
        await pilot.press("h", "ctrl+l")
        assert not hyp.display and not strip.display
        await pilot.press("h", "ctrl+l", "z")
        assert hyp.display and strip.display and hyp.zoomed
        await pilot.press("ctrl+shift+l")
        assert scr.view.overlays is False
        traces = scr.query_one("#traces")
        await pilot.press("tab")                                     # focus the next trace, not a widget
        assert traces.focus_index == 1 and app.focused is None
        await pilot.press("ctrl+up")
        assert traces._gain[1] == 1.25 and "EMG: y" in scr.query_one("#status").message


@sync
async def test_help_is_generated_from_the_live_keymap(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("f1")
        assert type(app.screen).__name__ == "HelpScreen"
        text = screen_text(app)
        assert "Wake" in text and "Next page" in text and "rodent_sleep.toml" in text
        await pilot.press("escape", "question_mark")
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        assert type(app.screen).__name__ == "MainScreen"


@sync
async def test_keymap_file_is_reread_live_and_a_broken_edit_keeps_the_old_one(new_app, tmp_path):
    km = tmp_path / "km.toml"
    km.write_text(bundled_keymap("rodent_sleep").read_text())
    app = new_app(state_definitions=str(km))
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        scr = app.screen
        s = scr.session
        s.goto(400.0)
        km.write_text(km.read_text().replace('keys = ["w", "1"]', 'keys = ["x", "1"]')
                      + '\n[actions]\n"nav.page_next" = ["]", "l"]\n')
        os.utime(km, ns=(1, 1))                                      # a new stamp even within one mtime tick
        scr.poll()
        assert scr.query_one("#status").message == ("keymap reloaded from km.toml: Wake keys x 1, "
                                                    "nav.page_next keys ] l")   # says what changed
        await pilot.press("x")
        assert s.labels.at_time(401.0).label == "Wake"
        assert "x/1" in screen_text(app)                              # the footer follows
        start = s.window_start
        await pilot.press("l")                                       # a remapped action key
        assert s.window_start == start + s.window_len
        km.write_text(km.read_text().replace('keys = ["x", "1"]', 'keys = ["x", "2"]'))  # 2 is NREM's too
        os.utime(km, ns=(2, 2))
        scr.poll()
        assert scr.query_one("#status").level == "error" and "two states" in scr.query_one("#status").message
        s.goto(500.0)
        await pilot.press("x")                                       # the previous keymap is still active
        assert s.labels.at_time(501.0).label == "Wake"


@sync
async def test_textual_bindings_do_not_fight_the_registry(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("ctrl+c")                                   # not a quit, not a copy
        assert app.is_running and "quits" in app.screen.query_one("#status").message
        await pilot.press("ctrl+p")                                   # the registry's palette action
        assert type(app.screen).__name__ != "CommandPalette" or app.screen.id == "--command-palette"
        await pilot.press("escape")
        assert app.is_running


@sync
async def test_video_frame_steps_follow_the_frame_times(new_app, demo):
    app = new_app(videos=[VideoConfig(demo.video, demo.frame_times)])
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        s = app.screen.session
        times = app.screen.context.frame_times(0)
        s.goto(20.0)
        await pilot.press("right")
        assert s.cursor == float(times[times > 20.0][0])
        await pilot.press("left")
        assert s.cursor == float(times[times < 20.0][-1])
        await pilot.press("space")
        await pilot.pause(0.35)
        await pilot.press("space")
        assert s.cursor > float(times[times < 20.0][-1]) + 0.1      # playback moved the cursor
        await pilot.press("ctrl+shift+2")
        assert "no video 2" in app.screen.query_one("#status").message


@sync
async def test_global_events_marked_and_raster_only_recordings_score(new_app, demo):
    import polars as pl

    from loupe_tui.api import make_app
    from loupe_tui.config import GlobalEventsConfig, RasterConfig

    app = new_app(global_events=GlobalEventsConfig(pl.DataFrame({"time": [5.0, 12.5]})))
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        axis = [line for line in screen_text(app).splitlines() if line.startswith("20 s")][0]
        assert axis.count("▼") == 2
    raster = RasterConfig.from_parquet(demo.spikes, time_col="time", order_by="unit_id")
    app = make_app(raster, state_definitions="rodent_sleep", window=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)
        assert "no traces to preview" in screen_text(app)
        await pilot.press("r")
        assert app.screen.session.labels.at_time(app.screen.session.t_start + 1).label == "REM"
        assert app.registry_action_available("video.toggle_1") is False


@sync
async def test_a_new_state_gets_its_colour_in_the_terminal_and_the_window(new_app, monkeypatch):
    from loupe_tui import protocol as P

    app = new_app()
    sent: list = []
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        scr = app.screen
        monkeypatch.setattr(scr.bridge, "send", sent.append)
        scr.session.goto(400.0)
        scr.query_one("#command-line").open()
        scr.query_one("#command-line").value = "label Spindle"
        await pilot.press("enter")
        colors = [m for m in sent if isinstance(m, P.SetStateColors)]
        assert len(colors) == 1 and "Spindle" in colors[0].colors              # told once, when it appeared
        rgb = tuple(colors[0].colors["Spindle"][:3])
        assert scr.state_colors["Spindle"] == rgb                               # the terminal's colour too
        assert rgb != (128, 128, 128) and max(rgb) - min(rgb) > 60             # not grey like Artifact
        scr.session.goto(420.0)
        await pilot.press(":")
        scr.query_one("#command-line").value = "label Spindle"
        await pilot.press("enter")
        assert len([m for m in sent if isinstance(m, P.SetStateColors)]) == 1  # known now: not again
