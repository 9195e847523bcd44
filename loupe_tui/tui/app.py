"""The terminal app: one screen, keys from the live keymap, layout in ``app.tcss``.

Textual's own bindings (Ctrl+Q quit, Ctrl+C, Ctrl+P palette, Tab focus) are
switched off: every key goes through the action registry and the keymap, so
each one can be remapped (see :mod:`loupe_tui.tui.screens.main`).

:meth:`LoupeApp.run` first decides whether the GL window's frames are shown
in the terminal (:func:`~loupe_tui.tui.terminal_frames.choose_graphics`),
asking the terminal when it must: before Textual starts reading the
terminal, which would take the answers for keys.
"""

from __future__ import annotations

from functools import partial

from textual import events
from textual.app import App

from loupe_tui.core import keys
from loupe_tui.tui.graphics import TerminalGraphics
from loupe_tui.tui.screens.main import MainScreen
from loupe_tui.tui.terminal_frames import choose_graphics


class LoupeApp(App, inherit_bindings=False):
    """The scorer; ``run()`` returns the :class:`IntervalLabelSet` when it exits.

    Parameters
    ----------
    context : ScorerContext
        The session, keymap, configs and options to score with.
    graphics : TerminalGraphics, optional
        What the terminal shows; default: decided when :meth:`run` starts
        (``context.graphics``, ``LOUPE_TUI_GRAPHICS``, asking the terminal),
        and the text views when the app runs otherwise (``run_test``, headless).
    """

    CSS_PATH = "app.tcss"
    TITLE = "loupe-tui"
    ENABLE_COMMAND_PALETTE = False   # Ctrl+P is the registry's "app.palette"

    def __init__(self, context, graphics: TerminalGraphics | None = None):
        super().__init__()
        self.context = context
        self.graphics = graphics
        self.use_command_palette = True   # opened by the action, not by a Textual binding

    def run(self, *args, **kwargs):
        """Run the app in this terminal (Textual's ``App.run``), once it is known what it shows."""
        if self.graphics is None and not kwargs.get("headless"):
            self.graphics = choose_graphics(self.context.graphics, self.context.window)
        return super().run(*args, **kwargs)

    def on_mount(self) -> None:
        self.main = MainScreen(self.context, self.graphics)
        self.push_screen(self.main)

    def type_key(self, key: str) -> None:
        """Deliver canonical ``key`` to the active screen exactly as if it was typed in the terminal."""
        name, character = keys.to_textual_event(key)
        # sent by the app, as the driver's keys are: bubbling then reaches the app's binding check
        # (a key "sent" by the main screen would stop there, and Enter would never submit a prompt)
        self.post_message(events.Key(name, character).set_sender(self))

    def on_cursor_position(self, event: events.CursorPosition) -> None:
        # Shift/Ctrl/Alt+F3 in xterm-style terminals and tmux: ESC[1;<m>R, which Textual parses
        # as a cursor position report (the app never asks for one; see keys.from_cursor_report).
        key = None if self.is_inline else keys.from_cursor_report(event.x, event.y)
        if key is not None:
            self.type_key(key)

    @property
    def labels(self):
        return self.context.session.labels

    # hooks of the command palette's provider (loupe_tui.tui.palette)
    def run_registry_action(self, action_id: str) -> None:
        self.main.run_action(action_id)

    def registry_action_keys(self):
        return self.main.states.action_keys

    def palette_choices(self):
        """Beside the actions: the spectral views' channels to choose from, and YASA's staging of each."""
        offered = [*self.main.spectral.choices(), *self.main.suggestions.choices()]
        return [(text, partial(self.main.run_safely, choose)) for text, choose in offered]

    def registry_action_available(self, action_id: str) -> bool:
        n = len(self.context.videos)
        if action_id.startswith("video.toggle_"):
            return int(action_id.rsplit("_", 1)[1]) <= n
        return n > 0 or action_id != "video.cycle_target"
