"""Screens, dialogs and the palette that live in their own modules, opened from the main screen.

Each opener imports its module when first used; a module that is not there
leaves its action bound, with a clear status message instead of a crash.
Dialog results go two ways: what the terminal views show (Y ranges, label
shading, playback) is applied here, and every result's ``view_options()``
is sent to the GL window.
"""

from __future__ import annotations

import importlib

from loupe_tui.core.session import Change


def _module(name: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            return None
        raise


def _missing(what: str) -> Change:
    return Change(message=f"{what}: not available in this build")


def _send_options(screen, result) -> None:
    for msg in result.view_options():
        screen.bridge.send(msg)


# -- screens -----------------------------------------------------------------
def open_palette(screen) -> Change | None:
    mod = _module("loupe_tui.tui.palette")
    if mod is None:
        return _missing("command palette")
    from textual.command import CommandPalette

    screen.app.push_screen(CommandPalette(providers=[mod.ActionsProvider], placeholder="Search for an action…",
                                          id="--command-palette"))
    return None


def open_jumper(screen) -> Change | None:
    mod = _module("loupe_tui.tui.screens.jumper")
    if mod is None:
        return _missing("epoch jumper")
    d = screen.dispatcher
    last = d.last_search[1] if d.last_search and d.last_search[0] == "matches" else None

    def done(result) -> None:
        if result is not None:
            d.last_search = ("matches", result)
            screen.run_safely(lambda: screen.session.goto(result.t) | Change(message=result.description))

    screen.app.push_screen(mod.EpochJumper(screen.session.labels, screen.states.colors,
                                           filters=getattr(last, "filters", None), t=screen.session.cursor), done)
    return None


def open_keymap(screen) -> Change | None:
    mod = _module("loupe_tui.tui.screens.keymap_screen")
    if mod is None:
        return _missing("keymap screen")
    watcher = screen.context.keymap_watcher
    km = mod.KeymapScreen(screen.states, watcher.path if watcher is not None else None)

    def done(config) -> None:
        if config is None:
            return
        from loupe_tui.core.states import KeymapWatcher

        if km.path is not None and (watcher is None or km.path != watcher.path):
            screen.context.keymap_watcher = KeymapWatcher(km.path, loader=screen.context.keymap_loader,
                                                          current=config)
        elif watcher is not None:
            watcher.poll()                      # take in our own save, so it is not announced twice
        screen.set_states(config)
        screen.notify_status(f"keymap saved to {km.path}", "ok")

    screen.app.push_screen(km, done)
    return None


def open_labels_table(screen) -> Change | None:
    if _module("loupe_tui.tui.widgets.label_table") is None:
        return _missing("label table")
    from loupe_tui.tui.screens.labels import LabelsScreen

    def done(t) -> None:
        if t is not None:
            screen.run_safely(lambda: screen.session.goto(t))

    screen.app.push_screen(LabelsScreen(screen), done)
    return None


# -- dialogs -------------------------------------------------------------------
DIALOGS = {"y_scale": "Y scale", "dense": "dense trace controls", "heatmap": "heatmap controls",
           "raster": "raster controls", "events": "global event styles", "alpha": "label overlay alpha",
           "speed": "playback speed", "target": "frame step target", "videos": "video visibility"}


def open_dialog(screen, kind: str) -> Change | None:
    mod = _module(f"loupe_tui.tui.dialogs.{_MODULE[kind]}")
    if mod is None:
        return _missing(DIALOGS[kind] + " dialog")
    opened = _OPENERS[kind](screen, mod)
    if isinstance(opened, Change):
        return opened
    dialog, apply = opened

    def done(result) -> None:
        if result is not None:
            msg = apply(result)
            _send_options(screen, result)
            screen.apply(Change(message=msg or f"{DIALOGS[kind]} applied"))

    screen.app.push_screen(dialog, done)
    return None


def _configs(screen, kind: str) -> list:
    from loupe_tui import config as C

    return [c for c in screen.context.configs if isinstance(c, getattr(C, kind))]


def _y_scale(screen, mod):
    traces = screen.traces
    if not traces.trace_names:
        return Change(message="no traces to scale")
    ranges = getattr(screen, "y_ranges", {})
    dialog = mod.YScaleDialog(traces.trace_names, ranges, focused=traces.trace_names[traces.focus_index])

    def apply(result):
        screen.y_ranges = dict(result.ranges)
        for name, r in result.ranges.items():
            traces.set_ylim(name, None if r.autorange else (r.ymin, r.ymax))
    return dialog, apply


def _dense(screen, mod):
    dense = [c for c in _configs(screen, "TraceConfig") if c.mode == "dense"]
    if not dense:
        return Change(message="no dense traces (TraceConfig(mode='dense'))")
    current = getattr(screen, "dense_settings", None) or mod.DenseSettings(
        gain=dense[0].gain, step=dense[0].step, traces_per_page=dense[0].traces_per_page)

    def apply(result):
        screen.dense_settings = result.settings
    return mod.DenseDialog(current, n_traces=dense[0].n_traces), apply


def _heatmap(screen, mod):
    maps = _configs(screen, "HeatmapConfig")
    if not maps:
        return Change(message="no heatmaps")
    panels = [p for c in maps for p in c.panels()]
    current = getattr(screen, "heatmap_settings", None) or [
        mod.HeatmapSettings(p.vmin, p.vmax, p.cmap, p.decim_method) for p in panels]

    def apply(result):
        settings = list(current)
        for i in result.panels:
            settings[i] = result.settings
        screen.heatmap_settings = settings
    return mod.HeatmapDialog([p.title or f"heatmap {i + 1}" for i, p in enumerate(panels)], current), apply


def _raster(screen, mod):
    if not _configs(screen, "RasterConfig"):
        return Change(message="no raster plots")

    def apply(result):
        screen.raster_settings = result.settings
    return mod.RasterDialog(getattr(screen, "raster_settings", None)), apply


def _events(screen, mod):
    ev = screen.context.global_events
    if ev is None:
        return Change(message="no global events (view(global_events=...) / --events)")
    styles = getattr(screen, "event_styles", None) or ev.class_styles()

    def apply(result):
        screen.event_styles = dict(result.styles)
    return mod.EventStylesDialog(styles), apply


def _alpha(screen, mod):
    opts = screen.options["label_overlays"]

    def apply(result):
        opts.update(alpha=result.alpha, visible=result.visible)
        screen.traces.overlay_alpha = min(0.8, result.alpha / 255)
        screen.refresh_views(Change())
    return mod.LabelOverlayDialog(opts.get("alpha", 60), opts["visible"]), apply


def _speed(screen, mod):
    def apply(result):
        screen.play_speed = result.speed
        return f"playback speed {result.speed:g}x"
    return mod.PlaybackSpeedDialog(screen.play_speed), apply


def _videos(screen, mod, target: bool):
    names = [v.name for v in screen.context.videos]
    if not names:
        return Change(message="no videos")
    if target:
        def apply(result):
            screen.dispatcher.video_target = result.index
            return f"frame steps move video {result.index + 1} ({names[result.index]})"
        return mod.FrameStepTargetDialog(names, screen.dispatcher.video_target), apply
    shown = [screen.options[f"video:{i}"]["visible"] for i in range(len(names))]

    def apply(result):
        for i, v in enumerate(result.visible):
            screen.options[f"video:{i}"]["visible"] = v
    return mod.VideoVisibilityDialog(names, shown), apply


_MODULE = {"y_scale": "yscale", "dense": "dense", "heatmap": "heatmap", "raster": "raster", "events": "events",
           "alpha": "overlays", "speed": "video", "target": "video", "videos": "video"}
_OPENERS = {"y_scale": _y_scale, "dense": _dense, "heatmap": _heatmap, "raster": _raster, "events": _events,
            "alpha": _alpha, "speed": _speed, "target": lambda s, m: _videos(s, m, True),
            "videos": lambda s, m: _videos(s, m, False)}
