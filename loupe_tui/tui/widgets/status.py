"""The status header: where you are, what is scored, where saves go, the GL window.

Line 1: recording, window start and span, cursor time and the state there,
epoch k of N, scored fraction, auto-advance; times on the clock or since the
start, as the session's :class:`~loupe_tui.core.clock.TimeDisplay` says. Line 2: the labels file, whether
every edit is saved (or only journaled), where a save writes (sibling or
source), the GL window. Line 3: long work under way in the background (the
spectral views' build, :meth:`StatusBar.set_activity`), then the last message
(errors in red).
"""

from __future__ import annotations

import math

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from loupe_tui.core.timefmt import format_duration
from loupe_tui.tui.widgets.draw import hex_color, rgba_tuple

LEVEL_STYLE = {"info": "#c8c8d0", "ok": "#7ad97a", "warning": "#f0c060", "error": "bold #ff6b6b"}
SEP = ("  │  ", "#55556a")


def labels_status(labels) -> tuple[str, str]:
    """``(where labels live and where a save writes, saved state)`` for line 2."""
    src = labels.source_path
    if src is None:
        where = "labels in memory (no file: export with :export FILE)"
    elif labels.writeback:
        where = f"labels {src.name} → saves overwrite it (writeback)"
    elif labels.save_path is not None and labels.save_path != src:
        where = f"labels {src.name} → saves to {labels.save_path.name}"
    elif labels.save_path is not None:         # a file that does not exist yet: saves create it
        new = "" if src.exists() else " (new file)"
        where = f"labels {src.name}{new} → saves to {labels.save_path.name}"
    else:
        where = f"labels {src.name}"
    if not labels.has_unsaved_edits:
        state = "all saved"
    elif labels.journal_path is not None:
        state = "unsaved edits (safe in the journal)"
    else:
        state = "unsaved edits (in memory only)"
    return where, state


class _Line:
    """One status line as segments (styles parsed once and cached)."""

    _styles: dict[str, Style] = {}

    def __init__(self):
        self.segments: list[Segment] = []

    def append(self, text: str, style: str) -> None:
        st = self._styles.get(style)
        if st is None:
            st = self._styles[style] = Style.parse(style)
        self.segments.append(Segment(text, st))

    @property
    def plain(self) -> str:
        return "".join(s.text for s in self.segments)


class StatusBar(Widget):
    """Three lines of status; the screen calls :meth:`show`."""

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self._lines: list[_Line] = []
        self._strips: list[Strip] | None = None
        self._key: list | None = None
        self.message = ""
        self.level = "info"
        self.activity = ""

    def set_activity(self, text: str | None) -> None:
        """Background work to show on line 2 until it is done (None or "": nothing)."""
        self.activity = text or ""

    def set_message(self, text: str | None, level: str = "info") -> None:
        self.message, self.level = text or "", level

    def show(self, title: str, session, colors: dict[str, tuple], gl_status: str) -> None:
        s = session
        fmt = s.times.format
        one = _Line()
        one.append(f" {title}", "bold #e8e8f0")
        one.append(*SEP)
        one.append(f"window {fmt(s.window_start)} +{format_duration(s.window_len)}", "#c8c8d0")
        one.append(*SEP)
        # floor, not round: a cursor held just inside an epoch's end must not show the next epoch's time
        one.append(f"cursor {fmt(math.floor(s.cursor * 10 + 1e-6) / 10, decimals=1)} ", "#c8c8d0")
        state = s.state_at()
        if state is None:
            one.append("unscored", "#808090")
        else:
            one.append(f" {state} ", f"bold #000000 on {hex_color(rgba_tuple(colors.get(state)))}")
        one.append(*SEP)
        one.append(f"epoch {s.epoch_index() + 1:,}/{s.n_epochs:,} ({s.epoch_len:g} s)", "#c8c8d0")
        one.append(*SEP)
        one.append(f"scored {100 * s.scored_fraction():.1f} %", "#c8c8d0")
        if s.selection is not None:
            a, b = s.selection
            one.append(*SEP)
            one.append(f"sel {fmt(a, decimals=1)}–{fmt(b, decimals=1)}", "bold #6e8cff")
        two = _Line()
        where, saved = labels_status(s.labels)
        two.append(f" {where}", "#c8c8d0")
        two.append(*SEP)
        two.append(saved, "#7ad97a" if saved == "all saved" else "#f0c060")
        two.append(*SEP)
        two.append(f"auto-advance {'on' if s.auto_advance else 'off'}", "#808090")
        two.append(*SEP)
        two.append(gl_status, "#a0a0b0")
        three = _Line()
        if self.activity:
            three.append(f" {self.activity}", "#f0c060")
            three.append(*SEP)
        three.append(self.message if self.activity else f" {self.message}",
                     LEVEL_STYLE.get(self.level, LEVEL_STYLE["info"]))
        key = [tuple((seg.text, seg.style) for seg in line.segments) for line in (one, two, three)]
        if key == self._key:
            return              # nothing changed: no repaint, so an idle scorer sends nothing over SSH
        self._lines, self._key = [one, two, three], key
        self._strips = None
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if self._strips is None or (self._strips and self._strips[0].cell_length != width):
            self._strips = [_fit(line.segments, width) for line in self._lines]
        return self._strips[y] if y < len(self._strips) else Strip.blank(width)

    @property
    def text(self) -> str:
        """The three lines as plain text (untruncated)."""
        return "\n".join(line.plain for line in self._lines)


def _fit(segments: list[Segment], width: int) -> Strip:
    """Crop to ``width`` with an ellipsis, or pad."""
    strip = Strip(segments)
    if strip.cell_length <= width:
        return strip.adjust_cell_length(width)
    cut = strip.crop(0, max(0, width - 1))
    return Strip([*cut, Segment("…", segments[-1].style)], width)
