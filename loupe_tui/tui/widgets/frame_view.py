"""The GL window's frame shown in the terminal's own cells, with kitty graphics or sixel.

For plain SSH with no X: the render process draws offscreen and writes each
frame into the session's frame buffer file (:mod:`loupe_tui.framebuffer`);
the screen reads it and hands the pixels to :meth:`FrameView.show_frame`.
The frame is drawn at :attr:`FrameView.pixel_size`, the widget's cells times
the cell size the terminal reported (8x16 when it reported none); a
:class:`FrameView.PixelSizeChanged` message says when that changes, so the
render process can draw at the new size.

How the pixels reach the terminal: through Textual's own output, in order
with the text and inside its synchronized updates, never written beside it.
The widget's cells are blank; the last line of what :meth:`render_lines`
returns ends with the image's escape sequences, wrapped in save-cursor, a
move to the widget's top-left cell and restore-cursor. A new frame refreshes
that one line only (a few hundred bytes of cells), so a frame costs its image
and little else; a frame equal to the one shown costs nothing at all, and so
does an idle screen. A sixel image lives in the cells, so whenever Textual
repaints the widget for another reason (a dialog closed over it, a resize)
the sixel is sent again; a kitty image floats above the cells and is sent
again only when it was removed or the widget's size changed.

Kitty images float above the cells, so the widget removes its image when it
is drawn as the dimmed background of a dialog (its screen is not active),
and sends it again when the dialog goes. Before hiding or removing the
widget in kitty mode, call :meth:`FrameView.release` and hide it after the
next refresh, or the image would stay on the screen.

In sixel mode a widget touching the screen's last row leaves that row out of
the image (a sixel reaching the bottom would scroll the screen).
"""

from __future__ import annotations

from itertools import count

import numpy as np
from rich.control import Control
from rich.segment import ControlType, Segment
from textual.dom import NoScreen
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from loupe_tui.tui.graphics import TerminalGraphics
from loupe_tui.tui.graphics import kitty, sixel

SAVE_CURSOR, RESTORE_CURSOR = "\x1b7", "\x1b8"
_CONTROL = ((ControlType.CURSOR_FORWARD, 0),)       # a zero-width segment Textual writes as it is
_IDS = count(0x4C0001)                               # kitty image ids of this process ("L" 0 1 ...)


def encode_frame(protocol: str, rgb: np.ndarray, cols: int, rows: int, image_id: int) -> str:
    """The escape sequences that draw ``rgb`` in ``cols`` x ``rows`` cells at the cursor.

    Pure and thread-safe: a worker may encode and hand the result to
    :meth:`FrameView.show_frame`.
    """
    if protocol == "kitty":
        return kitty.transmit(rgb, image_id, cols, rows)
    if protocol == "sixel":
        return sixel.encode(rgb)
    raise ValueError(f"no graphics protocol {protocol!r}")


class FrameView(Widget):
    """An RGB frame drawn in the widget's cells with the terminal's graphics protocol."""

    DEFAULT_CSS = """
    FrameView {
        width: 1fr;
        height: 1fr;
    }
    """

    class PixelSizeChanged(Message):
        """The widget's pixel size changed: frames should now be drawn at ``pixel_size``."""

        def __init__(self, pixel_size: tuple[int, int]):
            super().__init__()
            self.pixel_size = pixel_size

    def __init__(self, graphics: TerminalGraphics, *, id: str | None = None):
        super().__init__(id=id)
        self.graphics = graphics
        self.image_id = next(_IDS)
        self.message = "waiting for the GL window's first frame"
        self.seq: int | None = None              # seq of the frame shown
        self._frame: np.ndarray | None = None    # a copy of the frame shown
        self._payload = ""                       # its escape sequences (without the cursor moves)
        self._placed = False                     # kitty: the terminal holds our image
        self._pending = False                    # a new payload no render has carried yet
        self._rendered = False                   # painted at least once
        self._release = False
        self._pixel_size: tuple[int, int] | None = None

    # -- sizes ------------------------------------------------------------------------
    @property
    def cells(self) -> tuple[int, int]:
        """(columns, rows) the image covers: the widget's size, less the screen's last row in sixel mode."""
        cols, rows = self.size.width, self.size.height
        if self.graphics.protocol == "sixel" and rows > 1 and self._touches_bottom():
            rows -= 1
        return cols, rows

    @property
    def pixel_size(self) -> tuple[int, int]:
        """(width, height) in pixels a frame should have to fill the widget."""
        cw, ch = self.graphics.cell_px
        cols, rows = self.cells
        return cols * cw, rows * ch

    def _touches_bottom(self) -> bool:
        try:
            return self.region.bottom >= self.screen.size.height
        except NoScreen:
            return False

    def on_resize(self) -> None:
        size = self.pixel_size
        if size != self._pixel_size:
            self._pixel_size = size
            if self._frame is not None:              # the frame shown, fitted to the new box until the next
                self._payload, self._pending = self._encode(self._frame), True
            self.post_message(self.PixelSizeChanged(size))

    # -- frames -------------------------------------------------------------------------
    def show_frame(self, rgb: np.ndarray, seq: int = 0, encoded: str | None = None) -> bool:
        """Show ``rgb`` ((h, w, 3) uint8, best at :attr:`pixel_size`); False when nothing changes.

        A frame with the same pixels as the one shown writes nothing.
        ``encoded`` is :func:`encode_frame`'s result for these pixels when a
        worker made it (with :attr:`cells` and :attr:`image_id`, and in sixel
        mode the frame cut to :attr:`pixel_size`); else it is encoded here:
        about 20 ms for 1280x720 in kitty, 175 ms in sixel (bench_terminal_graphics).
        """
        if not self.graphics.enabled:
            return False
        rgb = np.asarray(rgb)
        if self._frame is not None and self._frame.shape == rgb.shape and np.array_equal(self._frame, rgb):
            self.seq = seq
            return False
        self._frame, self.seq = np.array(rgb, copy=True), seq
        self._payload = encoded if encoded is not None else self._encode(self._frame)
        self._pending = True
        width, height = self.size
        if self._rendered and height:                # else the first paint, coming, carries it
            self.refresh(Region(0, height - 1, width, 1))    # the line that carries the image
        return True

    def _encode(self, rgb: np.ndarray) -> str:
        if self.graphics.protocol == "sixel":
            w, h = self.pixel_size
            rgb = rgb[:h, :w]                        # never draw outside the widget's cells
        cols, rows = self.cells
        return encode_frame(self.graphics.protocol, rgb, cols, rows, self.image_id)

    def set_message(self, text: str) -> None:
        """What the widget says while it has no frame (the window starting, a pyramid's progress)."""
        if text != self.message:
            self.message = text
            if self._frame is None:
                self.refresh()

    def clear_frame(self) -> None:
        """Forget the frame (the widget shows its message again)."""
        self._frame, self._payload, self.seq = None, "", None
        self.release()

    def release(self) -> None:
        """Remove the image from the terminal at the next refresh (kitty: before hiding the widget)."""
        self._release = True
        self.refresh()

    # -- drawing ---------------------------------------------------------------------------
    def render_lines(self, crop: Region) -> list[Strip]:
        style = self.rich_style
        blank = Strip.blank(crop.width, style)
        lines = [blank] * crop.height
        if not lines:
            return lines
        if self._frame is None:
            lines[0] = Strip([Segment(" " + self.message, style)]).crop_pad(crop.width, 0, 0, style) \
                if crop.y == 0 else blank
        graphics = self._graphics_now()
        if graphics:
            lines[-1] = Strip([*blank, Segment(graphics, None, _CONTROL)], crop.width)
        return lines

    def _graphics_now(self) -> str:
        """What this render adds to the terminal: the image, its removal, or nothing."""
        try:
            active = self.screen.is_active
        except NoScreen:
            return ""
        kitty_mode = self.graphics.protocol == "kitty"
        self._rendered = True
        if self._release or not active or not self._payload:
            self._release = False
            if kitty_mode and self._placed:
                self._placed = False
                return kitty.delete(self.image_id)
            return ""
        if kitty_mode and self._placed and not self._pending:
            return ""                                # kitty keeps the image over repainted cells
        self._placed, self._pending = True, False
        x, y = self.region.offset
        return SAVE_CURSOR + Control.move_to(x, y).segment.text + self._payload + RESTORE_CURSOR
