"""The footer: the live state hotkeys and the footer actions, with their current keys.

Built from the active :class:`StateConfig` and the action registry every time
the keymap changes, so it always shows the keys that work right now. When the
line is too narrow, whole entries go, least important first (:data:`PRIORITY`),
never half a word: the state keys stay, then quit, help, save, undo ...
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget

from loupe_tui.core.actions import ACTIONS
from loupe_tui.core.keys import display
from loupe_tui.tui.widgets.draw import hex_color, rgba_tuple, text_on

# Short footer names; the help screen has the full descriptions.
SHORT = {"labels.clear": "clear", "labels.undo": "undo", "nav.page_next": "next", "nav.page_prev": "prev", "nav.goto_time": "go to", "labels.save": "save",
         "app.palette": "palette", "app.help": "help", "app.quit": "quit"}

#: Footer actions, most important first: the last ones are dropped first when space runs out.
PRIORITY = ("app.quit", "app.help", "labels.save", "labels.undo", "nav.page_next", "nav.page_prev",
            "labels.clear", "nav.goto_time", "app.palette")


def _entries(states) -> list[tuple[int, list[tuple[str, str]]]]:
    """``(priority, [(text, style), ...])`` per footer entry, in display order (states rank first)."""
    out = []
    for name in states.states:
        keys = states.keys_for(name)
        if not keys:
            continue
        col = rgba_tuple(states.colors.get(name))
        out.append((-1, [(" " + "/".join(display(k) for k in keys) + " ",
                          f"bold {hex_color(text_on(col))} on {hex_color(col)}"), (f" {name} ", "#c8c8d0")]))
    for a in ACTIONS:
        keys = states.action_keys.get(a.id, ())
        if not (a.footer or a.id in SHORT) or not keys:
            continue
        rank = PRIORITY.index(a.id) if a.id in PRIORITY else len(PRIORITY)
        out.append((rank, [(f" {display(keys[0])} ", "bold #e8e8f0 on #3a3a52"),
                           (f" {SHORT.get(a.id, a.description)} ", "#a0a0b0")]))
    return out


def footer_text(states, width: int | None = None) -> Text:
    """The footer line for this keymap, fitted to ``width`` cells by dropping whole entries."""
    entries = _entries(states)
    if width is not None:
        size = sum(cell_len(t) for _, parts in entries for t, _ in parts)
        for _, (rank, parts) in sorted(enumerate(entries), key=lambda e: (-e[1][0], -e[0])):  # last first
            if size <= width:
                break
            entries = [e for e in entries if e[1] is not parts]
            size -= sum(cell_len(t) for t, _ in parts)
    t = Text(no_wrap=True, overflow="ellipsis")
    for _, parts in entries:
        for text, style in parts:
            t.append(text, style)
    return t


class KeyFooter(Widget):
    """One line of keys; :meth:`show` rebuilds it from a keymap, fitted to the width on render."""

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self._states = None

    def show(self, states) -> None:
        self._states = states
        self.refresh()

    def render(self) -> Text:
        return footer_text(self._states, self.size.width) if self._states is not None else Text()
