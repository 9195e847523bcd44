"""Raster controls (Ctrl+Shift+R or Ctrl+R): brightness, event height, thickness, proportional rows.

Returns a :class:`RasterResult`: the settings and the raster(s) they are for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loupe_tui.tui.dialogs.form import Field, FormDialog
from loupe_tui.tui.view import RasterSettings

__all__ = ["RasterSettings", "RasterResult", "RasterDialog"]


@dataclass(frozen=True)
class RasterResult:
    """New ``settings`` for the raster panels ``target`` (``"raster"`` = all)."""

    settings: RasterSettings
    target: str = "raster"


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
