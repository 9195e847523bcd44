"""Prompts, dialogs and screens opened from the main screen, and what their results do.

:class:`Openers` pushes a modal screen and, when it is dismissed with a
result, runs the Session or view-model call that result means through the
screen's ``run`` (which shows errors and applies the change). Dialogs
return settings (:mod:`loupe_tui.tui.view`); nothing here builds a message
for the GL window: the bridge does, from the ``ViewChange`` applied.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.command import CommandPalette

from loupe_tui import config as C
from loupe_tui.core.session import Change, Session
from loupe_tui.core.states import KeymapWatcher
from loupe_tui.core.timefmt import parse_time
from loupe_tui.errors import LoupeConfigError
from loupe_tui.core.labels.formats import format_of
from loupe_tui.io.filters import FilterChain
from loupe_tui.tui.filter_settings import OFF_WORDS
from loupe_tui.tui.dialogs import agreement, dense, events, heatmap, overlays, raster, video, yscale
from loupe_tui.tui.help import HelpScreen
from loupe_tui.tui.navigation import Navigator
from loupe_tui.tui.palette import ActionsProvider, ChoicesProvider
from loupe_tui.tui.prompts import Choice, Prompt
from loupe_tui.tui.screens.jumper import EpochJumper
from loupe_tui.tui.screens.keymap_screen import KeymapScreen
from loupe_tui.tui.view import ViewModel

def check_chain(text: str) -> None:
    """Refuse a filter chain that cannot be read (``off`` and its synonyms are fine)."""
    if text.strip().lower() not in OFF_WORDS:
        FilterChain.parse(text)


def _positive_time(text: str) -> float:
    t = parse_time(text)
    if not t > 0:
        raise LoupeConfigError("must be more than 0 s")
    return t


class Openers:
    """Opens prompts, dialogs and screens for the main screen.

    Parameters
    ----------
    screen : MainScreen
        Pushes screens (``app.push_screen``), runs results (``run_safely``),
        knows the live keymap (``states``, ``set_states``), the previewed
        trace names and how to export.
    session : Session
    view : ViewModel
    nav : Navigator
    """

    def __init__(self, screen, session: Session, view: ViewModel, nav: Navigator):
        self.screen, self.session, self.view, self.nav = screen, session, view, nav
        self.context = screen.context

    def _push(self, modal, then: Callable | None = None) -> None:
        """Show ``modal``; ``then(result)`` (when not cancelled) returns the change to apply."""
        def done(result) -> None:
            if result is not None and then is not None:
                self.screen.run_safely(lambda: then(result))
        self.screen.app.push_screen(modal, done)

    # -- prompts ------------------------------------------------------------------------
    def ask_goto(self) -> None:
        """Go to a typed time: on the clock (``02:30``, ``d2 02:30``) or elapsed, as times are shown."""
        times = self.view.times
        title = "Go to clock time" if times.clock else "Go to time"
        self._push(Prompt(title, times.prompt_hint(), check=times.parse),
                   lambda t: self.session.goto(times.parse(t)))

    def ask_epoch_len(self) -> None:
        s = self.session
        self._push(Prompt("Epoch length (seconds)", "e.g. 4 for mice, 30 for human sleep", f"{s.epoch_len:g}",
                          check=_positive_time), lambda t: s.set_epoch_len(parse_time(t)))

    def ask_threshold(self) -> None:
        """The suggestions' confidence threshold (the unsure jump and the strip's ``?``)."""
        review = self.screen.suggestions
        self._push(Prompt("Suggestion confidence threshold", "0-1: suggestions below it are marked ? and "
                          "visited by the unsure jump", f"{review.threshold:g}", check=_fraction),
                   review.set_threshold)

    def ask_window_len(self) -> None:
        s = self.session
        self._push(Prompt("Window length", "seconds, or 2m, 1:00", f"{s.window_len:g}", check=_positive_time),
                   lambda t: s.set_window_len(parse_time(t)))

    def ask_filter(self) -> None:
        """The focused trace's display filter chain, typed (``eeg, notch50``; ``off`` removes it)."""
        filters = self.screen.trace_filters
        name = filters.focused_trace()
        self._push(Prompt(f"Display filter of {name}", "presets eeg, emg, notch50, notch60; or 0.5-30, hp:0.5, "
                          "lp:35, notch:50; several with commas; off removes it",
                          self.view.filters.texts.get(name, ""), check=check_chain),
                   filters.set_focused)

    def ask_note(self) -> Change | None:
        s = self.session
        row = s.labels.at_time(s.cursor)
        if row is None:
            return Change(message="no label at the cursor to note: label the epoch first")
        fmt = self.view.times.format
        where = f"{row.label} {fmt(row.start)}–{fmt(row.end)}"
        self._push(Prompt(f"Note on {where}", "empty clears the note; Esc cancels", row.note or ""),
                   lambda t: s.set_note(t or None))
        return None

    def ask_export(self) -> None:
        src = self.session.labels.source_path
        value = str(src.with_name(src.stem + ".export.csv")) if src is not None else ""
        self._push(Prompt("Export labels as", ".csv, .htsv or .parquet (columns kept); Esc cancels", value,
                          check=lambda t: format_of(Path(t), writing=True)), self.screen.export)

    def ask_save_before_quit(self) -> None:
        """Unsaved edits: save and quit, quit (the journal keeps them), or stay."""
        labels, screen = self.session.labels, self.screen
        where = labels.save_path.name if labels.save_path is not None else "a file (export)"
        kept = "they stay in the journal and come back next time" if labels.journal_path else "they are lost"

        def chosen(key: str) -> Change | None:
            if key == "y":
                return screen.save(then_quit=True)
            if key == "n":
                screen.quit_now()
            return None
        self._push(Choice(f"Unsaved label edits. Save to {where} before quitting?",
                          {"y": "save and quit", "n": f"quit without saving ({kept})"}), chosen)

    # -- screens --------------------------------------------------------------------------
    def open_help(self) -> None:
        states = self.screen.states
        self._push(HelpScreen(states, str(states.source) if states.source is not None else None))

    def open_palette(self) -> None:
        self._push(CommandPalette(providers=[ActionsProvider, ChoicesProvider], placeholder="Search for an action…",
                                  id="--command-palette"))

    def open_jumper(self) -> None:
        last = self.nav.last_matches

        def done(result) -> Change:
            self.nav.last_search = ("matches", result)
            return self.session.goto(result.t) | Change(message=result.description)
        self._push(EpochJumper(self.session.labels, self.screen.states.colors,
                               filters=getattr(last, "filters", None), t=self.session.cursor,
                               times=self.view.times, suggestions=self.screen.suggestions.current,
                               threshold=self.screen.suggestions.threshold), done)

    def open_keymap(self) -> None:
        ctx = self.context
        watcher = ctx.keymap_watcher
        km = KeymapScreen(self.screen.states, watcher.path if watcher is not None else None)

        def done(config) -> Change:
            if km.path is not None and (watcher is None or km.path != watcher.path):
                ctx.keymap_watcher = KeymapWatcher(km.path, loader=ctx.keymap_loader, current=config)
            elif watcher is not None:
                watcher.poll()                      # take in our own save, so it is not announced twice
            self.screen.set_states(config)
            return Change(message=f"keymap saved to {km.path}")
        self._push(km, done)

    # -- view dialogs -------------------------------------------------------------------------
    def open_dialog(self, kind: str) -> Change | None:
        """Open the view dialog ``kind`` (y_scale, dense, heatmap, raster, events, alpha, speed, target,
        videos, agreement); a Change saying why when there is nothing for it to act on."""
        opened = getattr(self, f"_{kind}")()
        if isinstance(opened, Change):
            return opened
        self._push(*opened)
        return None

    def _configs(self, kind: type) -> list:
        return [c for c in self.context.configs if isinstance(c, kind)]

    def _y_scale(self):
        names = self.screen.trace_names()
        if not names:
            return Change(message="no traces to scale")
        ft = self.view.focused
        focused = ft.trace if ft is not None and ft.trace is not None else names[0]
        return (yscale.YScaleDialog(names, self.view.y_ranges, focused=focused),
                lambda r: self.view.set_y_ranges(r.ranges))

    def _dense(self):
        cfgs = [c for c in self._configs(C.TraceConfig) if c.mode == "dense"]
        if not cfgs:
            return Change(message="no dense traces (TraceConfig(mode='dense'))")
        current = self.view.dense or dense.DenseSettings(gain=cfgs[0].gain, step=cfgs[0].step,
                                                         traces_per_page=cfgs[0].traces_per_page)
        # pages are counted over every trace (the window applies the step to all of them)
        return (dense.DenseDialog(current, n_traces=cfgs[0].n_all_traces),
                lambda r: self.view.set_dense(r.settings))

    def _heatmap(self):
        panels = [p for c in self._configs(C.HeatmapConfig) for p in c.panels()]
        if not panels:
            return Change(message="no heatmaps")
        v = self.view
        ft = v.focused
        index = int(ft.target.split(":")[1]) if ft is not None and ft.kind == "heatmap" else 0
        return (heatmap.HeatmapDialog([p.title or f"heatmap {i + 1}" for i, p in enumerate(panels)], v.heatmaps,
                                      index=index), lambda r: v.set_heatmaps(r.panels, r.settings))

    def _raster(self):
        if not self._configs(C.RasterConfig):
            return Change(message="no raster plots")
        ft = self.view.focused
        focused = ft is not None and ft.kind == "raster"
        target = ft.target if focused else "raster"   # the focused one, else all
        return (raster.RasterDialog(self.view.raster_settings(target), target=target),
                lambda r: self.view.set_raster(r.target, r.settings, ft.label if focused else ""))

    def _events(self):
        ev = self.context.global_events
        if ev is None:
            return Change(message="no global events (view(global_events=...) / --events)")
        styles = self.view.event_styles or ev.class_styles()
        return events.EventStylesDialog(styles), lambda r: self.view.set_event_styles(r.styles)

    def _alpha(self):
        v = self.view
        alpha = v.overlay_alpha if v.overlay_alpha is not None else overlays.DEFAULT_ALPHA
        return overlays.LabelOverlayDialog(alpha, v.overlays), lambda r: v.set_overlays(r.alpha, r.visible)

    def _speed(self):
        return video.PlaybackSpeedDialog(self.view.play_speed), lambda r: self.view.set_play_speed(r.speed)

    def _target(self):
        if not self.view.videos:
            return Change(message="no videos")
        return (video.FrameStepTargetDialog(self.view.videos, self.view.video_target),
                lambda r: self.view.set_video_target(r.index))

    def _videos(self):
        if not self.view.videos:
            return Change(message="no videos")
        return (video.VideoVisibilityDialog(self.view.videos, self.view.video_visible),
                lambda r: self.view.set_videos_visible(r.visible))

    def _agreement(self):
        """The agreement report: the labels against the compared scorers and the suggestions."""
        if self.screen.suggestions.blind:
            key = self.screen.suggestions.key_name("suggest.blind")
            return Change(message=f"blind scoring: the agreement report shows the others' scoring; {key} leaves "
                                  "blind mode first")
        report = agreement.AgreementReport.of(self.session.labels, self.context.compare,
                                              self.screen.suggestions.current, self.session.epoch_len)
        if report is None:
            return Change(message=agreement.NOTHING)
        return report, lambda said: Change(message=said)   # what was written where, once it closes


def _fraction(text: str) -> None:
    if not 0 < float(text) <= 1:
        raise ValueError("a confidence above 0 and at most 1, e.g. 0.8")
