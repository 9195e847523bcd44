"""View dialogs: keyboard only, inline validation, results, and what the GL window is sent when the
screen hands a result to the view model and the bridge tells the window (Pilot)."""

from __future__ import annotations

import asyncio

from textual.app import App

from loupe_tui.protocol import SetViewOption, decode, encode
from loupe_tui.tui.bridge import view_messages
from loupe_tui.tui.dialogs.dense import DenseDialog, DenseResult, DenseSettings
from loupe_tui.tui.dialogs.events import LINE_STYLES, EventClassStyle, EventStylesDialog, EventStylesResult
from loupe_tui.tui.dialogs.form import FormDialog
from loupe_tui.tui.dialogs.heatmap import HeatmapDialog, HeatmapResult, HeatmapSettings
from loupe_tui.tui.dialogs.overlays import LabelOverlayDialog, OverlayResult
from loupe_tui.tui.dialogs.raster import RasterDialog, RasterResult, RasterSettings
from loupe_tui.tui.dialogs.video import (FrameStepResult, FrameStepTargetDialog, PlaybackResult, PlaybackSpeedDialog,
                                         VideoVisibilityDialog, VideoVisibilityResult)
from loupe_tui.tui.dialogs.yscale import YRange, YScaleDialog, YScaleResult
from loupe_tui.tui.view import ViewModel

UNSET = object()
CLEAR = ("home", "ctrl+k")


class Host(App):
    def __init__(self, dialog):
        super().__init__()
        self.dialog, self.result = dialog, UNSET

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self.done)

    def done(self, result) -> None:
        self.result = result


def drive(dialog, body):
    async def main():
        app = Host(dialog)
        async with app.run_test(size=(120, 45)) as pilot:
            await pilot.pause()
            await body(app, pilot, app.screen)
    asyncio.run(main())


async def apply(pilot):
    await pilot.press("enter")
    await pilot.pause()


def to_view_options(result) -> list:
    """The messages the GL window gets when the screen applies ``result``: view model, then bridge."""
    v = ViewModel(videos=["side", "top", "face"], heatmaps=[HeatmapSettings()] * 2)
    apply = {DenseResult: lambda r: v.set_dense(r.settings, r.target),
             YScaleResult: lambda r: v.set_y_ranges(r.ranges),
             HeatmapResult: lambda r: v.set_heatmaps(r.panels, r.settings),
             EventStylesResult: lambda r: v.set_event_styles(r.styles),
             OverlayResult: lambda r: v.set_overlays(r.alpha, r.visible),
             RasterResult: lambda r: v.set_raster(r.target, r.settings),
             PlaybackResult: lambda r: v.set_play_speed(r.speed),
             FrameStepResult: lambda r: v.set_video_target(r.index),
             VideoVisibilityResult: lambda r: v.set_videos_visible(r.visible)}
    return [] if result is None else view_messages(apply[type(result)](result))


def roundtrips(msgs: list[SetViewOption]) -> bool:
    return all(decode(encode(m)) == SetViewOption(m.target, _tuples(m.options)) for m in msgs)


def _tuples(d):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}


def test_dense_validates_inline_and_maps_to_one_view_option():
    async def body(app, pilot, dlg):
        await pilot.press(*CLEAR, *"abc")
        await apply(pilot)
        assert app.result is UNSET and dlg.error_text == "gain: must be a number"
        await pilot.press(*CLEAR, "0")
        await apply(pilot)
        assert "gain: must be more than 0" in dlg.error_text
        await pilot.press(*CLEAR, "2", ".", "5", "tab", "tab", "tab", *CLEAR, "9")   # page 9 of 4
        await apply(pilot)
        assert dlg.error_text == "page: there are 4 pages with these settings"
        await pilot.press(*CLEAR, "4")
        await apply(pilot)
        assert app.result == DenseResult(DenseSettings(2.5, 1, 16, 3), "dense:1")
        assert to_view_options(app.result) == [SetViewOption(
            "dense:1", {"gain": 2.5, "step": 1, "traces_per_page": 16, "page": 3})]
        assert roundtrips(to_view_options(app.result))
    drive(DenseDialog(DenseSettings(1.0, 1, 16, 0), n_traces=64, target="dense:1"), body)


def test_dense_blank_traces_per_page_means_all():
    async def body(app, pilot, dlg):
        await pilot.press("tab", "tab", *CLEAR)
        await apply(pilot)
        assert dlg.error_text == "page: there is 1 page with these settings"
        await pilot.press("tab", *CLEAR, "1")
        await apply(pilot)
        assert app.result.settings.traces_per_page is None and app.result.settings.page == 0
    drive(DenseDialog(DenseSettings(1.0, 2, 8, 1), n_traces=64), body)


def test_yscale_typing_limits_unticks_auto_and_checks_order():
    current = {"EMG": YRange(False, -1.0, 1.0)}

    async def body(app, pilot, dlg):
        assert app.focused is dlg._widgets["1.auto"]          # the focused trace's row
        await pilot.press("shift+tab", "shift+tab", "shift+tab")   # EEG auto box
        assert app.focused is dlg._widgets["0.auto"]
        await pilot.press("tab", *"-5")                       # EEG min: unticks auto
        assert dlg.raw("0.auto") is False
        await apply(pilot)
        assert "EEG: give both min and max, or tick auto" in dlg.error_text
        await pilot.press("tab", *"-6")                       # max below min
        await apply(pilot)
        assert "EEG: min (-5) must be below max (-6)" in dlg.error_text
        await pilot.press(*CLEAR, "5")
        await apply(pilot)
        assert app.result.ranges == {"EEG": YRange(False, -5.0, 5.0), "EMG": YRange(False, -1.0, 1.0)}
        assert to_view_options(app.result) == [
            SetViewOption("trace:EEG", {"autorange": False, "ymin": -5.0, "ymax": 5.0}),
            SetViewOption("trace:EMG", {"autorange": False, "ymin": -1.0, "ymax": 1.0})]
    drive(YScaleDialog(["EEG", "EMG"], current, focused="EMG"), body)


def test_yscale_space_ticks_auto_back():
    async def body(app, pilot, dlg):
        await pilot.press("space")
        await apply(pilot)
        assert app.result.ranges["EMG"] == YRange()
        assert to_view_options(app.result)[1] == SetViewOption("trace:EMG", {"autorange": True})
    drive(YScaleDialog(["EEG", "EMG"], {"EMG": YRange(False, -1.0, 1.0)}, focused="EMG"), body)


def test_heatmap_switching_panel_loads_it_and_apply_to_all():
    current = [HeatmapSettings(), HeatmapSettings(0.0, 5.0, "viridis", "mean")]

    async def body(app, pilot, dlg):
        await pilot.press("space", "down", "enter")            # heatmap: "dF/F" (panel 1)
        await pilot.pause()
        assert dlg.raw("vmax") == "5" and dlg.raw("cmap") == "viridis" and dlg.raw("decim_method") == "mean"
        await pilot.press("tab", *CLEAR, "9")                  # vmin 9 > vmax 5
        await apply(pilot)
        assert dlg.error_text == "vmin (9) must be below vmax (5)"
        await pilot.press(*CLEAR, "1", "tab", "tab", "tab", "tab", "space")   # tick "apply to all"
        await apply(pilot)
        assert app.result.panels == (0, 1)
        assert app.result.settings == HeatmapSettings(1.0, 5.0, "viridis", "mean")
        opts = to_view_options(app.result)
        assert [m.target for m in opts] == ["heatmap:0", "heatmap:1"]
        assert opts[0].options == {"vmin": 1.0, "vmax": 5.0, "cmap": "viridis", "decim_method": "mean"}
    drive(HeatmapDialog(["spikes", "dF/F"], current), body)


def test_heatmap_blank_limits_are_automatic_and_cmap_list_is_the_supported_one():
    async def body(app, pilot, dlg):
        assert "magma_r" in dlg.cmaps and "turbo" in dlg.cmaps
        await pilot.press("tab", *CLEAR, "tab", *CLEAR)
        await apply(pilot)
        assert app.result.panels == (0,) and app.result.settings.vmin is None
        assert app.result.settings.vmax is None
    drive(HeatmapDialog(["h"], [HeatmapSettings(1.0, 2.0)]), body)


def test_event_styles_per_class():
    styles = {"stim": EventClassStyle((255, 136, 0, 200), "solid", 2.0, 200),
              "lick": EventClassStyle((100, 200, 255, 255), "dashed", 1.5, 255)}

    async def body(app, pilot, dlg):
        await pilot.press(*CLEAR, *"nope")
        await apply(pilot)
        assert dlg.error_text.startswith("colour:")
        await pilot.press(*CLEAR, *"#00ff00", "tab", "space", "down", "enter", "tab", *CLEAR, "3",
                          "tab", *CLEAR, *"300")
        await apply(pilot)
        assert dlg.error_text == "alpha: must be between 0 and 255"
        await pilot.press(*CLEAR, *"128")
        await apply(pilot)
        stim = app.result.styles["stim"]
        assert stim == EventClassStyle((0, 255, 0, 128), "dashed", 3.0, 128)
        assert app.result.styles["lick"] == styles["lick"]
        opts = to_view_options(app.result)
        assert opts[0] == SetViewOption("events", {"class": "stim", "line_color": "#00ff00",
                                                   "line_style": "dashed", "line_width": 3.0, "line_alpha": 128})
        assert roundtrips(opts)
    drive(EventStylesDialog(styles), body)


def test_event_styles_accept_the_io_event_style_and_share_its_names():
    from loupe_tui.io.events import LINE_STYLES as IO_STYLES
    from loupe_tui.io.events import EventStyle

    assert LINE_STYLES == IO_STYLES

    async def body(app, pilot, dlg):
        await apply(pilot)
        assert to_view_options(app.result)[0].options["class"] is None
    drive(EventStylesDialog({None: EventStyle((200, 200, 200, 200), "dotted", 1.5, 200)}), body)


def test_label_overlay_alpha_and_visibility():
    async def body(app, pilot, dlg):
        await pilot.press(*CLEAR, *"256")
        await apply(pilot)
        assert dlg.error_text == "alpha: must be between 0 and 255"
        await pilot.press(*CLEAR, *"90", "tab", "space")
        await apply(pilot)
        assert app.result == OverlayResult(90, False)
        assert to_view_options(app.result) == [SetViewOption("label_overlays", {"alpha": 90, "visible": False})]
    drive(LabelOverlayDialog(60, True), body)


def test_raster_controls_with_apply_button():
    async def body(app, pilot, dlg):
        await pilot.press("tab", *CLEAR, *"1.5")
        await apply(pilot)
        assert dlg.error_text == "event height: must be more than 0 and at most 1"
        await pilot.press(*CLEAR, *"0.5", "tab", *CLEAR, "2", "tab", "space", "tab", "enter")  # Apply button
        await pilot.pause()
        assert app.result == RasterResult(RasterSettings(1.0, 0.5, 2.0, False))
        assert to_view_options(app.result) == [SetViewOption("raster", {
            "brightness": 1.0, "event_height": 0.5, "thickness": 2.0, "proportional": False})]
    drive(RasterDialog(), body)


def test_playback_speed_range():
    async def body(app, pilot, dlg):
        await pilot.press(*CLEAR, "8")
        await apply(pilot)
        assert dlg.error_text == "speed: must be between 0.25 and 4"
        await pilot.press(*CLEAR, *"0.5")
        await apply(pilot)
        assert to_view_options(app.result) == [SetViewOption("video", {"speed": 0.5})]
    drive(PlaybackSpeedDialog(1.0), body)


def test_frame_step_target_and_visibility():
    async def body(app, pilot, dlg):
        await pilot.press("space", "down", "enter")           # Space opens the list, Enter picks
        await pilot.pause()
        await apply(pilot)                                    # Enter on the closed list applies
        assert to_view_options(app.result) == [SetViewOption("video", {"step_target": 2})]
    drive(FrameStepTargetDialog(["side", "top", "face"], current=1), body)

    async def vis(app, pilot, dlg):
        await pilot.press("tab", "space")
        await apply(pilot)
        assert to_view_options(app.result) == [SetViewOption("video:0", {"visible": True}),
                                               SetViewOption("video:1", {"visible": True})]
    drive(VideoVisibilityDialog(["side", "top"], [True, False]), vis)


def test_escape_cancels_every_dialog():
    dialogs: list[FormDialog] = [
        YScaleDialog(["a"]), DenseDialog(), HeatmapDialog(["h"], [HeatmapSettings()]),
        EventStylesDialog({None: EventClassStyle((1, 2, 3, 255))}), LabelOverlayDialog(),
        RasterDialog(), PlaybackSpeedDialog(), FrameStepTargetDialog(["v"]), VideoVisibilityDialog(["v"])]

    async def main():
        for d in dialogs:
            app = Host(d)
            async with app.run_test(size=(120, 45)) as pilot:
                await pilot.pause()
                await pilot.press("escape")
                await pilot.pause()
                assert app.result is None, type(d).__name__
    asyncio.run(main())
    assert to_view_options(None) == []
