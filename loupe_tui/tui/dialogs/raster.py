"""Raster controls (Ctrl+Shift+R or Ctrl+R): brightness, event height, thickness, proportional rows.

:func:`to_view_options` gives one ``SetViewOption(target, {...})`` with the four values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from loupe_tui.protocol import SetViewOption
from loupe_tui.tui.dialogs.form import Field, FormDialog

__all__ = ["RasterSettings", "RasterResult", "RasterDialog", "to_view_options"]


@dataclass(frozen=True)
class RasterSettings:
    """How raster plots are drawn.

    Attributes
    ----------
    brightness : float
        Multiplies event opacity (0 < b <= 10).
    event_height : float
        Height of an event line as a fraction of its row (0 < h <= 1).
    thickness : float
        Line width in pixels (0.5-10).
    proportional : bool
        Size raster subplots by their number of rows (Loupe's Proportional Raster Plots).
    """

    brightness: float = 1.0
    event_height: float = 0.8
    thickness: float = 1.0
    proportional: bool = True


@dataclass(frozen=True)
class RasterResult:
    """New ``settings`` for the raster panels ``target`` (``"raster"`` = all)."""

    settings: RasterSettings
    target: str = "raster"

    def view_options(self) -> list[SetViewOption]:
        return [SetViewOption(self.target, asdict(self.settings))]


def to_view_options(result: RasterResult) -> list[SetViewOption]:
    """Messages for the GL window: one ``SetViewOption(target, settings)``."""
    return result.view_options()


class RasterDialog(FormDialog[RasterResult]):
    """Brightness, event height, thickness and proportional heights of raster plots.

    Parameters
    ----------
    current : RasterSettings, optional
    target : str
        SetViewOption target (default ``"raster"``: every raster panel).
    """

    TITLE_TEXT = "Raster controls"

    def __init__(self, current: RasterSettings | None = None, target: str = "raster"):
        self.current = current or RasterSettings()
        self.target = target
        super().__init__()

    def rows(self) -> list[tuple[str, list[Field]]]:
        c = self.current
        return [("Brightness", [Field("brightness", "brightness", "float", c.brightness, gt=0, hi=10)]),
                ("Event height (0-1)", [Field("event_height", "event height", "float", c.event_height,
                                              gt=0, hi=1)]),
                ("Thickness (px)", [Field("thickness", "thickness", "float", c.thickness, lo=0.5, hi=10)]),
                ("Row heights", [Field("proportional", "proportional to rows", "bool", c.proportional)])]

    def make_result(self, values: dict[str, Any]) -> RasterResult:
        return RasterResult(RasterSettings(float(values["brightness"]), float(values["event_height"]),
                                           float(values["thickness"]), bool(values["proportional"])),
                            self.target)
