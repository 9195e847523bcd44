"""Where the videos go: for now a dark placeholder naming the session's videos.

Decoding and drawing frames (PyAV, keyframe index, prefetch) is a later
issue; this panel holds the place in the layout so nothing moves when it lands.
"""

from __future__ import annotations

import numpy as np

from render.layout import Rect
from render.panels.base import Frame
from render.visuals.rects import Rects

PLACEHOLDER_RGBA = (20, 20, 24, 255)


class VideoPlaceholder:
    """Dark area with the video names (or "no video")."""

    OPTIONS = ("visible", "speed", "step_target")

    def __init__(self, videos: list[dict]):
        self.videos = videos
        self.rect: Rect | None = None
        self._bg = Rects()
        # Per-video settings from the TUI's dialogs; the video issue draws by them.
        self.settings: list[dict] = [{"visible": True, "speed": 1.0} for _ in videos]

    def targets(self) -> list[str]:
        return ["video"] + [f"video:{i}" for i in range(len(self.videos))]

    def set_option(self, target: str, options: dict) -> list[str]:
        """Store ``visible``/``speed``/``step_target`` for one video (``video:N``) or all (``video``); returns unknown keys."""
        unknown = [k for k in options if k not in self.OPTIONS]
        which = range(len(self.videos)) if target == "video" else [int(target.split(":", 1)[1])]
        for i in which:
            self.settings[i].update({k: v for k, v in options.items() if k in self.OPTIONS})
        return unknown

    def set_rect(self, rect: Rect | None) -> None:
        self.rect = rect
        if rect is not None:
            self._bg.set(np.array([(rect.x, rect.y, rect.x1, rect.y1)], np.float32), PLACEHOLDER_RGBA)

    def draw(self, frame: Frame) -> None:
        if self.rect is not None:
            frame.whole()
            self._bg.draw(frame.size)

    def texts(self) -> list[tuple[str, float, float]]:
        if self.rect is None:
            return []
        names = [(v.get("name") or "video") + ("" if st["visible"] else " (hidden)")
                 for v, st in zip(self.videos, self.settings)]
        lines = [f"video: {n} (not drawn yet)" for n in names] or ["no video"]
        cx, cy = self.rect.x + self.rect.w / 2, self.rect.y + self.rect.h / 2
        return [(line, cx, cy + 14 * (i - (len(lines) - 1) / 2)) for i, line in enumerate(lines)]
