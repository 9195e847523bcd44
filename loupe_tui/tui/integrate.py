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


def open_labels_table(screen, toggle: bool = True) -> Change | None:
    """Show the label table beside the views and focus it (F4 again hides it; Esc leaves it open)."""
    if _module("loupe_tui.tui.widgets.label_table") is None:
        return _missing("label table")
    return screen.toggle_label_table(toggle)


# -- panel focus (Tab) and Y zoom ----------------------------------------------------------------
def focus_targets(screen) -> list:
    """The GL window's panel targets Tab cycles (traces, dense, heatmaps, rasters), built once."""
    targets = getattr(screen, "_focus_targets", None)
    if targets is None:
        targets = screen._focus_targets = screen.context.focus_targets()
    return targets


def focused_target(screen):
    """The focused :class:`~loupe_tui.tui.context.FocusTarget`, or None when there is no panel."""
    targets = focus_targets(screen)
    return targets[getattr(screen, "focus_target_index", 0) % len(targets)] if targets else None


_FOCUS_ACTIONS = {"trace": ("view.y_zoom_in", "Y zoom"), "dense": ("view.dense_controls", "dense controls"),
                  "heatmap": ("view.heatmap_controls", "heatmap controls"),
                  "raster": ("view.raster_controls", "raster controls")}


def focus_panel(screen, step: int) -> Change:
    """Move the panel focus by ``step``; the terminal preview and the GL window follow."""
    from loupe_tui import protocol as P
    from loupe_tui.core.keys import display

    targets = focus_targets(screen)
    if not targets:
        return Change(message="no panel to focus")
    k = screen.focus_target_index = (getattr(screen, "focus_target_index", 0) + step) % len(targets)
    ft = targets[k]
    screen.traces.focus_name(ft.trace)
    screen.bridge.send(P.SetFocus(ft.target))
    action, what = _FOCUS_ACTIONS[ft.kind]
    keys = screen.states.action_keys.get(action, ())
    hint = f"; {display(keys[0])}: {what}" if keys else ""
    return Change(message=f"focus: {ft.label} ({k + 1}/{len(targets)}){hint}")


def y_zoom(screen, factor: float) -> Change:
    """Zoom the focused trace by ``factor`` around its own range (autorange stays on)."""
    from loupe_tui import protocol as P

    ft = focused_target(screen)
    if ft is None or ft.kind != "trace":
        what = f"{ft.label} is focused" if ft is not None else "there is none"
        return Change(message=f"Y zoom acts on a trace; {what} (Tab moves the focus)")
    gains = screen.__dict__.setdefault("y_gain", {})
    g = gains[ft.target] = min(max(gains.get(ft.target, 1.0) * factor, 1 / 64), 1024.0)
    if ft.trace is not None:
        screen.traces.set_gain(ft.trace, g)
    screen.bridge.send(P.SetViewOption(ft.target, {"yzoom": g}))
    return Change(message=f"{ft.label}: y zoom x{g:.3g}")


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
    ft = focused_target(screen)
    focused = ft.trace if ft is not None and ft.trace is not None else traces.trace_names[traces.focus_index]
    dialog = mod.YScaleDialog(traces.trace_names, ranges, focused=focused)

    def apply(result):
        from loupe_tui import protocol as P

        screen.y_ranges = dict(result.ranges)
        gains = screen.__dict__.setdefault("y_gain", {})
        for name, r in result.ranges.items():
            traces.set_ylim(name, None if r.autorange else (r.ymin, r.ymax))
            if not r.autorange and gains.pop(f"trace:{name}", 1.0) != 1.0:   # a fixed range is shown as typed
                screen.bridge.send(P.SetViewOption(f"trace:{name}", {"yzoom": 1.0}))
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
    ft = focused_target(screen)
    index = int(ft.target.split(":")[1]) if ft is not None and ft.kind == "heatmap" else 0

    def apply(result):
        settings = list(current)
        for i in result.panels:
            settings[i] = result.settings
        screen.heatmap_settings = settings
    return mod.HeatmapDialog([p.title or f"heatmap {i + 1}" for i, p in enumerate(panels)], current,
                             index=index), apply


def _raster(screen, mod):
    if not _configs(screen, "RasterConfig"):
        return Change(message="no raster plots")
    ft = focused_target(screen)
    target = ft.target if ft is not None and ft.kind == "raster" else "raster"   # the focused one, else all
    settings = screen.__dict__.setdefault("raster_settings", {})

    def apply(result):
        if result.target == "raster":
            settings.clear()
        settings[result.target] = result.settings
        return f"raster controls applied to {ft.label if result.target != 'raster' else 'every raster'}"
    return mod.RasterDialog(settings.get(target, settings.get("raster")), target=target), apply


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
