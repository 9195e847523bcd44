"""The help screen, generated from the live keymap and the action registry.

Nothing here is written by hand: the state hotkeys come from the active
:class:`StateConfig`, every action (with its current keys) from
:data:`loupe_tui.core.actions.ACTIONS`, the commands from
:data:`loupe_tui.tui.colon.COMMANDS`. So help cannot drift from behaviour.
"""

from __future__ import annotations

from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from loupe_tui.core.actions import actions_by_group
from loupe_tui.core.keys import display
from loupe_tui.tui.colon import COMMANDS
from loupe_tui.tui.widgets.draw import hex_color, rgba_tuple, text_on

CLOSE_KEYS = ("escape", "q", "f1", "question_mark")


def help_rows(states) -> list[tuple[str, list[tuple[str, str]]]]:
    """``[(section, [(keys, what), ...]), ...]`` for this keymap (plain text, for tests and docs)."""
    out = [("States (label the selection, or the cursor epoch and advance)",
            [(" ".join(display(k) for k in states.keys_for(s)) or "-", s) for s in states.states])]
    for group, actions in actions_by_group().items():
        rows = [(" ".join(display(k) for k in states.action_keys.get(a.id, ())) or "(unbound)", a.description)
                for a in actions]
        out.append((group.capitalize(), rows))
    out.append(("Commands (type : first)", [(":" + "/".join((c.name, *c.aliases)) + _arg(c), c.help)
                                            for c in COMMANDS]))
    return out


def _arg(spec) -> str:
    if not spec.arg:
        return ""
    word = {"time": "TIME", "int": "N", "state": "STATE", "text": "TEXT", "path": "FILE", "onoff": "on|off",
            "clock": "clock|elapsed", "chain": "CHAIN|off"}[spec.arg]
    return f" [{word}]" if spec.optional else f" {word}"


def help_renderables(states) -> list:
    """Rich tables, one per section, states in their colours."""
    out = []
    for title, rows in help_rows(states):
        table = Table(title=title, title_justify="left", title_style="bold #e8e8f0", show_header=False,
                      box=None, padding=(0, 2), expand=True)
        table.add_column(style="bold #e8e8f0", no_wrap=True, min_width=18)
        table.add_column()
        for keys, what in rows:      # Text, not markup: "[on|off]" and "[clock|elapsed]" are shown as typed
            if title.startswith("States"):
                col = rgba_tuple(states.colors.get(what))
                swatch = f"bold {hex_color(text_on(col))} on {hex_color(col)}"
                table.add_row(Text(keys), Text(f" {what} ", style=swatch))
            else:
                table.add_row(Text(keys), Text(what))
        out.append(table)
    return out


class HelpScreen(ModalScreen[None]):
    """Keys and states of the active keymap; Esc, q, F1 or ? closes it."""

    def __init__(self, states, source: str | None = None):
        super().__init__()
        self.states = states
        self.source = source

    def compose(self) -> ComposeResult:
        src = f"keymap {Path(self.source).name}" if self.source else "keymap"
        with VerticalScroll(id="help-body"):
            yield Static(Text(f"loupe-tui help ({src}; Esc closes; keys are remappable in the keymap file)",
                              style="bold"), id="help-title")
            for r in help_renderables(self.states):
                yield Static(r, classes="help-section")

    def on_key(self, event) -> None:
        if event.key in CLOSE_KEYS:
            event.stop()
            self.dismiss(None)
