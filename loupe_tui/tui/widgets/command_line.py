"""The ``:`` command line: an input that appears at the bottom, with completion and history.

Enter posts :class:`CommandLine.Run`, Escape (or an empty Backspace) posts
:class:`CommandLine.Closed`; Tab completes commands and state names
(:func:`loupe_tui.tui.colon.complete`), Up/Down walk the history.
"""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import Input

from loupe_tui.tui.colon import complete


class CommandLine(Input):
    """Hidden until :meth:`open`; posts what was typed."""

    class Run(Message):
        """A command line was entered."""

        def __init__(self, text: str):
            super().__init__()
            self.text = text

    class Closed(Message):
        """The command line was dismissed without a command."""

    class Completions(Message):
        """Several completions are possible (shown by the screen)."""

        def __init__(self, candidates: list[str]):
            super().__init__()
            self.candidates = candidates

    def __init__(self, *, id: str | None = None):
        super().__init__(placeholder="command (Tab completes, :help lists them)", id=id)
        self.states: list[str] = []
        self.history: list[str] = []
        self._pos = 0

    def open(self) -> None:
        self.value = ""
        self._pos = len(self.history)
        self.add_class("-active")
        self.focus()

    def close(self) -> None:
        self.remove_class("-active")
        self.value = ""
        self.screen.set_focus(None)

    async def _on_key(self, event: events.Key) -> None:
        key = event.key
        if key in ("tab", "escape", "up", "down") or (key == "backspace" and not self.value):
            event.stop()
            event.prevent_default()
            if key == "tab":
                new, cands = complete(self.value, self.states)
                self.value, self.cursor_position = new, len(new)
                if len(cands) > 1:
                    self.post_message(self.Completions(cands))
            elif key in ("up", "down"):
                self._walk(-1 if key == "up" else 1)
            else:
                self.close()
                self.post_message(self.Closed())
            return
        await super()._on_key(event)

    def _walk(self, step: int) -> None:
        if not self.history:
            return
        self._pos = min(max(self._pos + step, 0), len(self.history))
        self.value = self.history[self._pos] if self._pos < len(self.history) else ""
        self.cursor_position = len(self.value)

    async def action_submit(self) -> None:
        text = self.value.strip()
        self.close()
        if text:
            if not self.history or self.history[-1] != text:
                self.history.append(text)
            self.post_message(self.Run(text))
        else:
            self.post_message(self.Closed())
