"""Small prompts: a one-line input (go to time, window, epoch length, note, export path)
and a one-key choice (quit with unsaved edits).

A :class:`Prompt` dismisses with the text typed, or None on Escape; a
``check`` callable may refuse the text with a message, and the prompt stays
open showing it. A :class:`Choice` dismisses with the key of the option.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from loupe_tui.errors import LoupeError


class Prompt(ModalScreen[str | None]):
    """Ask for one line of text.

    Parameters
    ----------
    title : str
        What is asked ("Go to time").
    hint : str
        Forms accepted, shown under the input.
    value : str
        Initial text.
    check : callable, optional
        ``text -> None``; raise :class:`LoupeError` (or ValueError) to refuse it.
    """

    def __init__(self, title: str, hint: str = "", value: str = "",
                 check: Callable[[str], object] | None = None):
        super().__init__()
        self.title_text, self.hint, self.value, self.check = title, hint, value, check

    def compose(self) -> ComposeResult:
        with Vertical(classes="prompt-box"):
            yield Static(Text(self.title_text, style="bold"), classes="prompt-title")
            yield Input(value=self.value, id="prompt-input")
            yield Static(self.hint, classes="prompt-hint", id="prompt-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if self.check is not None:
            try:
                self.check(text)
            except (LoupeError, ValueError) as exc:
                self.query_one("#prompt-hint", Static).update(Text(str(exc), style="bold #ff6b6b"))
                return
        self.dismiss(text)

    def on_key(self, event) -> None:
        if event.key == "escape":
            event.stop()
            self.dismiss(None)


class Choice(ModalScreen[str | None]):
    """Ask a question answered by one key; ``options`` maps keys to their meaning."""

    def __init__(self, question: str, options: dict[str, str]):
        super().__init__()
        self.question, self.options = question, options

    def compose(self) -> ComposeResult:
        keys = "   ".join(f"[b]{k}[/b] {what}" for k, what in self.options.items())
        with Vertical(classes="prompt-box"):
            yield Static(Text(self.question, style="bold"), classes="prompt-title")
            yield Static(keys + "   [b]Esc[/b] cancel", classes="prompt-hint")

    def on_key(self, event) -> None:
        event.stop()
        if event.key == "escape":
            self.dismiss(None)
        elif event.character in self.options:
            self.dismiss(event.character)
