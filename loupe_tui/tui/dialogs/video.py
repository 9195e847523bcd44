"""Video dialogs: playback speed, frame-step target, visibility per video.

* :class:`PlaybackSpeedDialog`: 0.25x-4x -> :class:`PlaybackResult`.
* :class:`FrameStepTargetDialog`: which video Left/Right step -> :class:`FrameStepResult`.
* :class:`VideoVisibilityDialog`: shown/hidden per video -> :class:`VideoVisibilityResult`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from loupe_tui.tui.dialogs.form import Field, FormDialog, choices
from loupe_tui.tui.view import SPEED_RANGE

__all__ = ["PlaybackResult", "PlaybackSpeedDialog", "FrameStepResult", "FrameStepTargetDialog",
           "VideoVisibilityResult", "VideoVisibilityDialog", "SPEED_RANGE"]


@dataclass(frozen=True)
class PlaybackResult:
    """Playback ``speed`` (1.0 = real time)."""

    speed: float


@dataclass(frozen=True)
class FrameStepResult:
    """``index`` of the video that frame steps (Left/Right) move."""

    index: int


@dataclass(frozen=True)
class VideoVisibilityResult:
    """``visible[i]``: video i is shown."""

    visible: tuple[bool, ...]


class PlaybackSpeedDialog(FormDialog[PlaybackResult]):
    """Playback speed, 0.25x to 4x (typed: ``0.5``, ``2``)."""

    TITLE_TEXT = "Playback speed"

    def __init__(self, speed: float = 1.0):
        self.speed = speed
        super().__init__()

    def rows(self) -> list[tuple[str, list[Field]]]:
        lo, hi = SPEED_RANGE
        return [("Speed (x)", [Field("speed", "speed", "float", self.speed, lo=lo, hi=hi,
                                     placeholder="0.25 - 4")])]

    def make_result(self, values: dict[str, Any]) -> PlaybackResult:
        return PlaybackResult(float(values["speed"]))


class FrameStepTargetDialog(FormDialog[FrameStepResult]):
    """Choose the video that Left/Right step, among ``videos`` (names)."""

    TITLE_TEXT = "Frame step target"

    def __init__(self, videos: Sequence[str], current: int = 0):
        if not videos:
            raise ValueError("FrameStepTargetDialog needs at least one video")
        self.videos, self.current = list(videos), min(max(current, 0), len(videos) - 1)
        super().__init__()

    def rows(self) -> list[tuple[str, list[Field]]]:
        return [("Video", [Field("index", "video", "choice", self.current,
                                 choices=choices(range(len(self.videos)), self.videos))])]

    def make_result(self, values: dict[str, Any]) -> FrameStepResult:
        return FrameStepResult(int(values["index"]))


class VideoVisibilityDialog(FormDialog[VideoVisibilityResult]):
    """Show or hide each video (Space ticks, Enter applies)."""

    TITLE_TEXT = "Videos shown"

    def __init__(self, videos: Sequence[str], visible: Sequence[bool] | None = None):
        self.videos = list(videos)
        self.shown = list(visible) if visible is not None else [True] * len(self.videos)
        if len(self.shown) != len(self.videos):
            raise ValueError("VideoVisibilityDialog: one visible flag per video")
        super().__init__()

    def rows(self) -> list[tuple[str, list[Field]]]:
        return [(f"{i + 1}. {name}", [Field(f"v{i}", "shown", "bool", self.shown[i])])
                for i, name in enumerate(self.videos)]

    def make_result(self, values: dict[str, Any]) -> VideoVisibilityResult:
        return VideoVisibilityResult(tuple(bool(values[f"v{i}"]) for i in range(len(self.videos))))
