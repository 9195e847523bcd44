"""A terminal app that only shows frames with FrameView: terminal graphics measured in a real pty.

``python bench/frame_view_app.py FRAMES.npy REPORT.json``: asks the terminal
what it shows (``LOUPE_TUI_GRAPHICS`` as the scorer would), writes the answer
and the widget's pixel size to REPORT.json, then shows frame 0 of FRAMES.npy
((n, h, w, 3) uint8) full screen. Keys: ``n`` the next frame (a page flip),
``r`` the same frame again, ``q`` quits. Used by
``bench/bench_terminal_graphics.py`` and ``tests/e2e/test_terminal_graphics_pty.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from textual.app import App

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from loupe_tui.tui.graphics import TerminalGraphics, detect_graphics  # noqa: E402
from loupe_tui.tui.widgets.frame_view import FrameView  # noqa: E402


class FramesApp(App):
    CSS = "FrameView { height: 1fr; }"

    def __init__(self, graphics: TerminalGraphics, frames: np.ndarray, report: Path):
        super().__init__()
        self.graphics, self.frames, self.report = graphics, frames, report
        self.index = 0

    def compose(self):
        yield FrameView(self.graphics)

    def on_frame_view_pixel_size_changed(self, event: FrameView.PixelSizeChanged) -> None:
        """Laid out (or resized): say so, and show the frame."""
        self.report.write_text(json.dumps({"protocol": self.graphics.protocol, "reason": self.graphics.reason,
                                           "cell_px": self.graphics.cell_px, "pixel_size": event.pixel_size}))
        self._show()

    def _show(self) -> None:
        self.query_one(FrameView).show_frame(self.frames[self.index % len(self.frames)], seq=self.index)

    def on_key(self, event) -> None:
        if event.key == "q":
            self.exit()
        elif event.key == "n":
            self.index += 1
            self._show()
        elif event.key == "r":
            self._show()


def main(argv: list[str]) -> None:
    frames = np.load(argv[0])
    graphics = detect_graphics()
    FramesApp(graphics, frames, Path(argv[1])).run()


if __name__ == "__main__":
    main(sys.argv[1:])
