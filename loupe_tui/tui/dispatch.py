"""Action id -> handler; ``:`` commands and GL window events -> the same handlers.

Every key (terminal or GL window) arrives here as an action id from the
keymap (:meth:`Dispatcher.run`). Scoring actions are one
:class:`~loupe_tui.core.session.Session` call that returns a ``Change``; the
rest are view toggles, prompts and screens, which the :class:`Dispatcher`
asks of the main screen. The screen applies every returned ``Change``
(terminal views, then the GL window).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from loupe_tui import protocol as P
from loupe_tui.core.session import Change
from loupe_tui.core.timefmt import parse_time
from loupe_tui.errors import LoupeConfigError
from loupe_tui.tui.colon import Command

Handler = Callable[["Dispatcher"], "Change | None"]


def _s(method: str, *args, **kw) -> Handler:
    return lambda d: getattr(d.session, method)(*args, **kw)


def _ui(method: str, *args) -> Handler:
    return lambda d: getattr(d.screen, method)(*args)


HANDLERS: dict[str, Handler] = {
    "nav.page_next": _s("page", 1),
    "nav.page_prev": _s("page", -1),
    "nav.epoch_next": _s("step_epoch", 1),
    "nav.epoch_prev": _s("step_epoch", -1),
    "nav.start": lambda d: d.session.goto_epoch(0),
    "nav.end": lambda d: d.session.goto_epoch(d.session.n_epochs - 1),
    "nav.goto_time": _ui("ask_goto"),
    "nav.window_longer": _s("zoom", 2.0),
    "nav.window_shorter": _s("zoom", 0.5),
    "nav.next_unscored": _s("next_unscored", 1),
    "nav.next_change": _s("next_state_change", 1),
    "nav.prev_change": _s("next_state_change", -1),
    "nav.match_next": lambda d: d.repeat_search(1),
    "nav.match_prev": lambda d: d.repeat_search(-1),
    "nav.epoch_jumper": _ui("open_jumper"),
    "score.set_epoch_length": _ui("ask_epoch_len"),
    "score.toggle_auto_advance": _s("toggle_auto_advance"),
    "sel.mark_start": _s("mark"),
    "sel.extend_next": _s("extend_selection", 1),
    "sel.extend_prev": _s("extend_selection", -1),
    "sel.extend_fine_next": lambda d: d.session.extend_selection(dt=d.session.fine_step),
    "sel.extend_fine_prev": lambda d: d.session.extend_selection(dt=-d.session.fine_step),
    "sel.clear": _s("clear_selection"),
    "labels.clear": _s("clear"),
    "labels.delete_last": _s("delete_last"),
    "labels.undo": _s("undo"),
    "labels.redo": _s("redo"),
    "labels.note": _ui("ask_note"),
    "labels.save": _ui("save"),
    "labels.export": _ui("ask_export"),
    "view.hypnogram": _ui("toggle_hypnogram"),
    "view.hypnogram_zoom": _ui("toggle_hypnogram_zoom"),
    "view.label_strip": _ui("toggle_label_strip"),
    "view.label_overlays": _ui("toggle_label_overlays"),
    "view.y_scale": _ui("open_dialog", "y_scale"),
    "view.y_zoom_in": _ui("y_zoom", 1.25),
    "view.y_zoom_out": _ui("y_zoom", 0.8),
    "view.focus_next": _ui("focus_trace", 1),
    "view.focus_prev": _ui("focus_trace", -1),
    "view.dense_controls": _ui("open_dialog", "dense"),
    "view.heatmap_controls": _ui("open_dialog", "heatmap"),
    "view.raster_controls": _ui("open_dialog", "raster"),
    "view.restart_gl": _ui("restart_window"),
    "nav.label_table": _ui("open_labels_table"),
    "view.event_styles": _ui("open_dialog", "events"),
    "view.overlay_alpha": _ui("open_dialog", "alpha"),
    "video.choose_target": _ui("open_dialog", "target"),
    "video.speed": _ui("open_dialog", "speed"),
    "video.visibility": _ui("open_dialog", "videos"),
    "video.position": _ui("toggle_video_position"),
    "video.frame_next": lambda d: d.frame_step(1),
    "video.frame_prev": lambda d: d.frame_step(-1),
    "video.play_pause": _ui("toggle_play"),
    "video.cycle_target": _ui("cycle_video_target"),
    **{f"video.toggle_{i}": _ui("toggle_video", i - 1) for i in range(1, 10)},
    "app.command_line": _ui("open_command_line"),
    "app.palette": _ui("open_palette"),
    "app.help": _ui("open_help"),
    "app.keymap": _ui("open_keymap"),
    "app.quit": _ui("request_quit"),
}


class Dispatcher:
    """Runs actions, commands and window events against a screen and its session.

    Parameters
    ----------
    screen : MainScreen
        Provides ``session`` and the UI methods named in :data:`HANDLERS`.
    """

    def __init__(self, screen):
        self.screen = screen
        self.last_search: tuple[str, object] | None = None
        self.video_target = 0

    @property
    def session(self):
        return self.screen.session

    def run(self, action_id: str) -> Change | None:
        handler = HANDLERS.get(action_id)
        if handler is None:
            return Change(message=f"{action_id}: no handler")
        return handler(self)

    def label(self, state: str) -> Change:
        return self.session.label(state)

    # -- searches and frames ---------------------------------------------------
    def search(self, kind: str, what, direction: int = 1) -> Change:
        """Jump to the next match: ``kind`` "state" (a name), "note" (text) or "matches" (a JumpResult)."""
        self.last_search = (kind, what)
        if kind == "state":
            return self.session.next_with_state(what, direction)
        if kind == "matches":
            return self.session.next_matching(what.matches, direction, "match")
        return self.session.next_with_note(what, direction)

    def repeat_search(self, direction: int) -> Change:
        if self.last_search is None:
            return Change(message="nothing to repeat: :jump STATE or :find TEXT first")
        return self.search(*self.last_search, direction)

    def frame_step(self, n: int) -> Change:
        """Cursor to the next/previous frame of the target video (a fine step without video)."""
        s = self.session
        times = self.screen.context.frame_times(self.video_target)
        if times is None or not len(times):
            return s.step_time(n * s.fine_step)
        if n > 0:
            i = int(np.searchsorted(times, s.cursor + 1e-9, side="right"))
            if i >= len(times):
                return Change(message="at the last video frame")
        else:
            i = int(np.searchsorted(times, s.cursor - 1e-9, side="left")) - 1
            if i < 0:
                return Change(message="at the first video frame")
        return s.step_time(float(times[i]) - s.cursor)

    # -- the command line ------------------------------------------------------
    def command(self, cmd: Command) -> Change | None:
        """Run a parsed ``:`` command; LoupeConfigError for a bad argument."""
        s, ui, a = self.session, self.screen, cmd.arg
        n = cmd.name
        if n == "goto":
            return s.goto(parse_time(a))
        if n == "epoch":
            return s.goto_epoch(_int(a) - 1)
        if n == "window":
            return s.set_window_len(parse_time(a))
        if n == "epochlen":
            return s.set_epoch_len(parse_time(a))
        if n in ("jump", "back"):
            return self.search("state", self._state(a), 1 if n == "jump" else -1)
        if n == "find":
            return self.search("note", a)
        if n == "label":
            return s.label(self._state(a, known_only=False))
        if n == "note":
            return s.set_note(a or None)
        if n == "unscored":
            return s.next_unscored(1)
        if n == "auto":
            if a and (a.lower() in ("on", "1", "yes")) == s.auto_advance:
                return Change(message=f"auto-advance already {'on' if s.auto_advance else 'off'}")
            return s.toggle_auto_advance()
        if n in ("undo", "redo"):
            return getattr(s, n)()
        if n == "export" or (n == "w" and a):
            return ui.export(a)
        if n == "w":
            return ui.save()
        if n == "wq":
            return ui.save(then_quit=True)
        if n == "q":
            return ui.request_quit()
        if n == "q!":
            return ui.quit_now()
        if n == "help":
            return ui.open_help()
        if n == "table":
            return ui.open_labels_table()
        if n in ("events", "alpha", "speed", "target", "videos"):
            return ui.open_dialog(n)
        return Change(message=f":{n}: not handled")

    def _state(self, text: str, known_only: bool = True) -> str:
        names = list(dict.fromkeys([*self.screen.states.states, *self.session.labels.label_names]))
        for nm in names:
            if nm.lower() == text.lower():
                return nm
        hits = [nm for nm in names if nm.lower().startswith(text.lower())]
        if len(hits) == 1:
            return hits[0]
        if known_only or not text:
            raise LoupeConfigError(f"no state {text!r} (states: {', '.join(names)})")
        return text

    # -- GL window events ------------------------------------------------------
    def window_event(self, msg: P.Message) -> Change | None:
        """A click, drag, wheel or key in the GL window acts like the terminal."""
        s = self.session
        if isinstance(msg, P.KeyPressed):
            self.screen.window_key(msg.key)     # to the active screen / focused widget, as if typed
            return None
        if isinstance(msg, P.Clicked):
            return s.clear_selection() | s.step_time(msg.t - s.cursor)
        if isinstance(msg, P.Dragged):
            return s.select(msg.t0, msg.t1)
        if isinstance(msg, P.Scrolled):
            steps = int(np.sign(msg.steps) * max(1, round(abs(msg.steps))))
            if "ctrl" in msg.modifiers:
                return s.zoom(2.0 ** -np.sign(msg.steps))
            if "alt" in msg.modifiers:
                return None                      # gain: the window's own business
            if "shift" in msg.modifiers:
                return s.step_epoch(steps)       # fine: one epoch per notch
            return s.page(steps)                 # the wheel pages: one window per notch
        if isinstance(msg, P.FrameDrawn):
            self.screen.bridge.last_draw_ms = msg.draw_ms
            return None
        if isinstance(msg, P.ErrorRaised):
            tail = " (F5 restarts the window)" if msg.fatal else ""
            self.screen.notify_status(f"GL window: {msg.message}{tail}", "error")
            return None
        if isinstance(msg, P.Closed):
            self.screen.notify_status("GL window closed (F5 opens it again)", "warning")
            return None
        return None


def _int(text: str) -> int:
    try:
        return int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise LoupeConfigError(f"not a number: {text!r}") from None
