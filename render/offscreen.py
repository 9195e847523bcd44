"""Frames drawn offscreen for the terminal: ``python -m render --frames PATH``.

Over plain SSH with no X display, the terminal app shows the window's frames
in the terminal itself (kitty graphics or sixel). The render process then
keeps its glfw window hidden (on a private Xvfb the app started, for the GL
context) and draws every frame into a framebuffer object of the size the app
asks for (``--size``, then :class:`~loupe_tui.protocol.SetFrameSize`: the
terminal widget's cells times the cell's pixels), reads it back as RGB and
publishes it in the frame buffer file ``PATH``
(:class:`~loupe_tui.framebuffer.FrameWriter`, in the link's private folder);
then the loop sends ``FrameDrawn`` as for a frame on screen. Nothing is
presented and no pixel crosses the message socket.

The file is made for the size asked; a larger size later writes a new file
in its place (the app's reader notices, :meth:`FrameReader.replaced`), a
smaller one reuses it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from vispy import gloo

from loupe_tui.framebuffer import FrameWriter

#: Frame sides are kept in this range (a terminal of 1000 columns of 8 pixels fits; GL allows more).
MIN_SIDE, MAX_SIDE = 16, 8192


def clamp_size(width: int, height: int) -> tuple[int, int]:
    """``(width, height)`` within ``[MIN_SIDE, MAX_SIDE]``."""
    return (min(max(int(width), MIN_SIDE), MAX_SIDE), min(max(int(height), MIN_SIDE), MAX_SIDE))


class OffscreenFrames:
    """An offscreen target of the size the app asks, and the frame buffer file its frames go to.

    Parameters
    ----------
    path : path
        The frame buffer file (its folder must be private: the link makes it).
    size : (int, int)
        The first frame size in pixels.
    """

    def __init__(self, path: str | Path, size: tuple[int, int]):
        self.path = Path(path)
        self.size = clamp_size(*size)
        self._writer = FrameWriter(self.path, *self.size)
        self._fbo: gloo.FrameBuffer | None = None

    def set_size(self, width: int, height: int) -> bool:
        """Draw the next frames at ``width`` x ``height`` (clamped); False when that is the size already."""
        size = clamp_size(width, height)
        if size == self.size:
            return False
        w, h = self._writer.max_w, self._writer.max_h
        if size[0] > w or size[1] > h:                # outgrown: a new file in the old one's place
            writer = FrameWriter(self.path, max(size[0], w), max(size[1], h))   # raising, it changes nothing
            self._writer.close()
            self._writer = writer
        self.size = size
        self._fbo = None                              # made again at the new size by the next frame
        return True

    def draw(self, draw: Callable[[], None]) -> np.ndarray:
        """Run ``draw`` (the window's, which draws the whole frame) into the offscreen target; the pixels
        as (h, w, 3) uint8, top row first (a view of GL's buffer, flipped)."""
        if self._fbo is None:
            shape = self.size[::-1]
            self._fbo = gloo.FrameBuffer(color=gloo.RenderBuffer(shape), depth=gloo.RenderBuffer(shape))
        self._fbo.activate()
        try:
            draw()
            return self._fbo.read(alpha=False)
        finally:
            self._fbo.deactivate()

    def publish(self, rgb: np.ndarray, seq: int) -> None:
        """Write the frame into the file, where the terminal app reads it."""
        self._writer.write(rgb, seq)

    def close(self) -> None:
        self._writer.close()
        self._fbo = None
