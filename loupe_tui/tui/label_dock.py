"""The label table beside the views (F4): mounted on first use, then shown, focused and hidden.

The main screen owns one :class:`LabelDock` and tells it every change; the
table's own messages (a jump, an edited cell) still go to the screen, which
applies them as it applies keys.
"""

from __future__ import annotations

from textual.containers import Horizontal

from loupe_tui.core.session import Change
from loupe_tui.tui.bridge import state_colors
from loupe_tui.tui.widgets.label_panel import LabelPanel


class LabelDock:
    """The :class:`LabelPanel` of the main ``screen`` (its ``#body`` row holds it), once F4 asked for it."""

    def __init__(self, screen):
        self.screen = screen
        self.panel: LabelPanel | None = None      # mounted on first use (F4)
        self._clock = screen.session.times.clock  # the time display its starts and ends were written in
        self._suggestions: tuple = (None, 0.8)    # what its "suggested" column shows (also once mounted)

    def _colors(self) -> dict:
        s = self.screen
        return state_colors(s.states, s.session.labels.label_names)

    def focused(self) -> bool:
        """The table (or its cell editor) has the keys."""
        return self.panel is not None and self.panel.has(self.screen.focused)

    def toggle(self) -> Change:
        """Show and focus the label table; F4 on the focused table hides it."""
        screen, panel, mounted = self.screen, self.panel, None
        if panel is None:
            self.panel = panel = LabelPanel(screen.session.labels, self._colors(), screen.session.times)
            panel.table.set_suggestions(*self._suggestions)
            mounted = screen.query_one("#body", Horizontal).mount(panel)
        elif panel.display and self.focused():
            panel.display = False
            screen.set_focus(None)
            return Change(message="label table hidden (F4 shows it)")
        elif not panel.display:
            panel.display = True
            panel.table.refresh_labels()             # edits made while it was hidden (O(n) numpy, a few ms)
            panel.update_hint()

        async def ready() -> None:
            if mounted is not None:
                await mounted
            panel.table.focus()
            screen.call_after_refresh(lambda: panel.table.follow(screen.session.cursor))   # once it has its size
        screen.call_later(ready)
        return Change(message="label table: it follows the cursor; state keys still score")

    def show_changes(self, change: Change, moved: bool) -> None:
        """After ``change`` (``moved``: the cursor or window moved, or every label may have)."""
        if self.panel is None:
            return
        times = self.screen.session.times
        if times.clock != self._clock:              # clock <-> elapsed: every start and end is rewritten
            self._clock = times.clock
            self.panel.table.refresh_labels()
        self.panel.show_changes(change.labels, self.screen.session.cursor, moved)

    def show_suggestions(self, sugg, threshold: float) -> None:
        """New suggestions (a ``Suggestions``, or None: no column) or a new confidence threshold:
        the table's ``suggested`` column shows them (now, or when F4 first mounts it)."""
        self._suggestions = (sugg, threshold)
        if self.panel is not None:
            self.panel.table.set_suggestions(sugg, threshold)

    def set_state_colors(self) -> None:
        if self.panel is not None:
            self.panel.table.set_state_colors(self._colors())
