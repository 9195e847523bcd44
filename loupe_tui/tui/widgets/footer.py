"""The footer: the live state hotkeys and the footer actions, with their current keys.

Built from the active :class:`StateConfig` and the action registry every time
the keymap changes, so it always shows the keys that work right now.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from loupe_tui.core.actions import ACTIONS
from loupe_tui.core.keys import display
from loupe_tui.tui.widgets._draw import hex_color, rgba_tuple, text_on

# Short footer names; the help screen has the full descriptions.
SHORT = {"labels.clear": "clear", "labels.undo": "undo", "nav.page_next": "next", "nav.page_prev": "prev", "nav.goto_time": "go to", "labels.save": "save",
         "app.palette": "palette", "app.help": "help", "app.quit": "quit"}


def footer_text(states) -> Text:
    """The footer line for this keymap."""
    t = Text(no_wrap=True, overflow="ellipsis")
    for name in states.states:
        keys = states.keys_for(name)
        if not keys:
            continue
        col = rgba_tuple(states.colors.get(name))
        t.append(" " + "/".join(display(k) for k in keys) + " ", f"bold {hex_color(text_on(col))} on {hex_color(col)}")
        t.append(f" {name} ", "#c8c8d0")
    for a in ACTIONS:
        keys = states.action_keys.get(a.id, ())
        if not (a.footer or a.id in SHORT) or not keys:
            continue
        t.append(f" {display(keys[0])} ", "bold #e8e8f0 on #3a3a52")
        t.append(f" {SHORT.get(a.id, a.description)} ", "#a0a0b0")
    return t


class KeyFooter(Widget):
    """One line of keys; :meth:`show` rebuilds it from a keymap."""

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self._text = Text()

    def show(self, states) -> None:
        self._text = footer_text(states)
        self.refresh()

    def render(self) -> Text:
        return self._text
