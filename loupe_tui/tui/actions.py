"""The one action table: every action id of the registry -> the callable of the object that owns it.

:data:`loupe_tui.core.actions.ACTIONS` says which actions exist, their keys
and help; :func:`action_table` says who does each one: the
:class:`~loupe_tui.core.session.Session` (scoring, paging), the
:class:`~loupe_tui.tui.view.ViewModel` (what is shown), the
:class:`~loupe_tui.tui.navigation.Navigator` (searches, frame steps), the
:class:`~loupe_tui.tui.ruler.Ruler` (time and amplitude between two marks), the
:class:`~loupe_tui.tui.openers.Openers` (prompts, dialogs, screens) or the
main screen (files, the label table, playback, the window, quitting), or its
:class:`~loupe_tui.tui.suggestions.SuggestionReview` (accepting suggestions, their jumps); the
spectral views' settings are the view model's part
:class:`~loupe_tui.tui.spectral_settings.SpectralDisplay`. Each
callable takes no argument and returns a ``Change``, a ``ViewChange`` or
None (a prompt applies its result later). :func:`table_problems` names an
id with no handler or a handler with no id; ``tests/tui/test_action_table.py``
fails on either.

:func:`run_command` runs a parsed ``:`` command with the same owners.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Protocol

from loupe_tui.core.actions import action_ids
from loupe_tui.core.session import Change, Session
from loupe_tui.core.timefmt import parse_time
from loupe_tui.errors import LoupeConfigError
from loupe_tui.tui.colon import Command
from loupe_tui.tui.navigation import Navigator
from loupe_tui.tui.suggestions import SuggestionReview
from loupe_tui.tui.trace_filters import TraceFilters
from loupe_tui.tui.view import ViewChange, ViewModel

Handler = Callable[[], "Change | ViewChange | None"]


class ScreenActions(Protocol):
    """What the main screen itself does (files, the label table, playback, the window, quitting), its
    view model (``:time``, and ``:goto`` reading times as they are shown), its display filters
    (``:filter``) and its suggestions (accept, the jumps)."""

    view: ViewModel
    trace_filters: TraceFilters
    suggestions: SuggestionReview

    def save(self, then_quit: bool = False) -> Change | None: ...
    def export(self, path: str) -> Change: ...
    def toggle_label_table(self) -> Change: ...
    def toggle_play(self) -> Change: ...
    def restart_window(self) -> Change: ...
    def open_command_line(self) -> None: ...
    def export_figure(self) -> Change: ...
    def request_quit(self) -> Change | None: ...
    def quit_now(self) -> None: ...


def action_table(session: Session, view: ViewModel, nav: Navigator, openers, ruler, screen: ScreenActions
                 ) -> dict[str, Handler]:
    """``{action id: handler}`` for every action of the registry."""
    s, v, o = session, view, openers
    return {
        "nav.page_next": partial(s.page, 1),
        "nav.page_prev": partial(s.page, -1),
        "nav.epoch_next": partial(s.step_epoch, 1),
        "nav.epoch_prev": partial(s.step_epoch, -1),
        "nav.start": lambda: s.goto_epoch(0),
        "nav.end": lambda: s.goto_epoch(s.n_epochs - 1),
        "nav.goto_time": o.ask_goto,
        "nav.window_longer": partial(s.zoom, 2.0),
        "nav.window_shorter": partial(s.zoom, 0.5),
        "nav.next_unscored": partial(s.next_unscored, 1),
        "nav.next_change": partial(s.next_state_change, 1),
        "nav.prev_change": partial(s.next_state_change, -1),
        "nav.match_next": partial(nav.repeat_search, 1),
        "nav.match_prev": partial(nav.repeat_search, -1),
        "nav.epoch_jumper": o.open_jumper,
        "nav.label_table": screen.toggle_label_table,
        "score.set_epoch_length": o.ask_epoch_len,
        "score.toggle_auto_advance": s.toggle_auto_advance,
        "sel.mark_start": s.mark,
        "sel.extend_next": partial(s.extend_selection, 1),
        "sel.extend_prev": partial(s.extend_selection, -1),
        "sel.extend_fine_next": lambda: s.extend_selection(dt=s.fine_step),
        "sel.extend_fine_prev": lambda: s.extend_selection(dt=-s.fine_step),
        "sel.clear": s.clear_selection,
        "labels.clear": s.clear,
        "labels.agreement": partial(o.open_dialog, "agreement"),
        "labels.delete_last": s.delete_last,
        "labels.undo": s.undo,
        "labels.redo": s.redo,
        "labels.note": o.ask_note,
        "labels.save": screen.save,
        "labels.export": o.ask_export,
        "suggest.accept": screen.suggestions.accept,
        "suggest.accept_window": screen.suggestions.accept_window,
        "suggest.accept_run": screen.suggestions.accept_run,
        "suggest.next_low_confidence": screen.suggestions.next_unsure,
        "suggest.next_disagreement": screen.suggestions.next_disagreement,
        "suggest.threshold": o.ask_threshold,
        "suggest.blind": screen.suggestions.toggle_blind,
        "view.hypnogram": v.toggle_hypnogram,
        "view.hypnogram_zoom": v.toggle_hypnogram_zoom,
        "view.label_strip": v.toggle_label_strip,
        "view.label_overlays": v.toggle_label_overlays,
        "view.y_scale": partial(o.open_dialog, "y_scale"),
        "view.y_zoom_in": partial(v.y_zoom, 1.25),
        "view.y_zoom_out": partial(v.y_zoom, 0.8),
        "view.ruler": ruler.press,
        "view.focus_next": partial(v.focus, 1),
        "view.focus_prev": partial(v.focus, -1),
        "view.dense_controls": partial(o.open_dialog, "dense"),
        "view.heatmap_controls": partial(o.open_dialog, "heatmap"),
        "view.raster_controls": partial(o.open_dialog, "raster"),
        "view.event_styles": partial(o.open_dialog, "events"),
        "view.overlay_alpha": partial(o.open_dialog, "alpha"),
        "view.spectrogram": partial(v.spectral.toggle, "overview"),
        "view.window_spectrogram": partial(v.spectral.toggle, "page"),
        "view.band_power": partial(v.spectral.toggle, "bands"),
        "view.spectral_contrast_more": partial(v.spectral.contrast, 1),
        "view.spectral_contrast_less": partial(v.spectral.contrast, -1),
        "view.spectral_brighter": partial(v.spectral.brightness, 1),
        "view.spectral_darker": partial(v.spectral.brightness, -1),
        "view.filters": v.filters.toggle,
        "view.filter_chain": o.ask_filter,
        "view.restart_gl": screen.restart_window,
        "view.clock_time": v.toggle_time_display,
        "video.choose_target": partial(o.open_dialog, "target"),
        "video.speed": partial(o.open_dialog, "speed"),
        "video.visibility": partial(o.open_dialog, "videos"),
        "video.position": v.toggle_video_position,
        "video.frame_next": partial(nav.frame_step, 1),
        "video.frame_prev": partial(nav.frame_step, -1),
        "video.play_pause": screen.toggle_play,
        "video.cycle_target": v.cycle_video_target,
        **{f"video.toggle_{i}": partial(v.toggle_video, i - 1) for i in range(1, 10)},
        "app.command_line": screen.open_command_line,
        "app.palette": o.open_palette,
        "app.help": o.open_help,
        "app.keymap": o.open_keymap,
        "app.figure": screen.export_figure,
        "app.quit": screen.request_quit,
    }


def table_problems(table: dict[str, Handler]) -> list[str]:
    """What is wrong with ``table``: registry ids without a handler, handlers without an id, non-callables."""
    ids = set(action_ids())
    return ([f"{i}: no handler" for i in sorted(ids - set(table))]
            + [f"{i}: a handler but no action of that id in the registry" for i in sorted(set(table) - ids)]
            + [f"{i}: not callable" for i, h in table.items() if not callable(h)])


#: ``:`` commands that are an action of the table (the rest take an argument).
COMMAND_ACTIONS = {"unscored": "nav.next_unscored", "w": "labels.save", "q": "app.quit", "help": "app.help",
                   "table": "nav.label_table", "events": "view.event_styles", "alpha": "view.overlay_alpha",
                   "speed": "video.speed", "target": "video.choose_target", "videos": "video.visibility",
                   "undo": "labels.undo", "redo": "labels.redo"}


def run_command(cmd: Command, table: dict[str, Handler], session: Session, nav: Navigator,
                screen: ScreenActions) -> Change | ViewChange | None:
    """Run a parsed ``:`` command; LoupeConfigError for a bad argument."""
    s, a, n, view = session, cmd.arg, cmd.name, screen.view
    if n == "w" and a:
        n = "export"
    if n in COMMAND_ACTIONS:
        return table[COMMAND_ACTIONS[n]]()
    if n == "goto":
        return s.goto(view.times.parse(a))      # on the clock or elapsed, as times are shown
    if n == "filter":
        return screen.trace_filters.set_focused(a)
    if n == "time":
        return view.set_time_display(a.lower()) if a else view.toggle_time_display()
    if n == "epoch":
        return s.goto_epoch(_int(a) - 1)
    if n == "window":
        return s.set_window_len(parse_time(a))
    if n == "epochlen":
        return s.set_epoch_len(parse_time(a))
    if n in ("jump", "back"):
        return nav.jump_to_state(a, 1 if n == "jump" else -1)
    if n == "find":
        return nav.search("note", a)
    if n == "label":
        return s.label(nav.state(a, known_only=False))
    if n == "note":
        return s.set_note(a or None)
    if n == "auto":
        if a and (a.lower() in ("on", "1", "yes")) == s.auto_advance:
            return Change(message=f"auto-advance already {'on' if s.auto_advance else 'off'}")
        return s.toggle_auto_advance()
    if n == "export":
        return screen.export(a)
    if n == "wq":
        return screen.save(then_quit=True)
    if n == "q!":
        return screen.quit_now()
    return Change(message=f":{n}: not handled")


def _int(text: str) -> int:
    try:
        return int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise LoupeConfigError(f"not a number: {text!r}") from None
