"""Pixels in the terminal: detecting what the terminal can show, and encoding frames for it.

No Textual here: :mod:`.detect` asks the terminal (before the app starts,
while nothing else reads its answers), :mod:`.kitty` and :mod:`.sixel` turn an
RGB frame (a numpy array) into the escape sequences of each protocol. The
widget that places them on the screen is
:class:`loupe_tui.tui.widgets.frame_view.FrameView`.
"""

from loupe_tui.tui.graphics.detect import ENV_VAR, SETTINGS, TerminalGraphics, detect_graphics, graphics_setting

__all__ = ["ENV_VAR", "SETTINGS", "TerminalGraphics", "detect_graphics", "graphics_setting"]
