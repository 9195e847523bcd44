"""Heatmap Plot Controls (Ctrl+Shift+H or Ctrl+H): vmin, vmax, colormap, decimation.

One heatmap at a time (choose it in the first field; its values load), or
every heatmap at once with *apply to all arrays*. Blank vmin/vmax means
automatic (the 1-99 percentile). Returns a :class:`HeatmapResult`: the
settings and the heatmaps they are for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from loupe_tui.tui.dialogs.form import Field, FormDialog, choices
from loupe_tui.tui.view import DECIM_METHODS, HeatmapSettings

__all__ = ["HeatmapSettings", "HeatmapResult", "HeatmapDialog", "DECIM_METHODS"]


def _cmap_names() -> tuple[str, ...]:
    from loupe_tui.config_validation import CMAP_NAMES  # the names the GL window knows

    return tuple(n for name in CMAP_NAMES for n in (name, f"{name}_r"))


@dataclass(frozen=True)
class HeatmapResult:
    """``settings`` for the heatmaps ``panels`` (indices; all of them with "apply to all")."""

    panels: tuple[int, ...]
    settings: HeatmapSettings


class HeatmapDialog(FormDialog[HeatmapResult]):
    """vmin, vmax, colormap and decimation of a heatmap, or of all.

    Parameters
    ----------
    panels : sequence of str
        Heatmap titles, in panel order.
    current : sequence of HeatmapSettings
        Settings now, one per panel.
    index : int
        The heatmap to start with (e.g. the focused one).
    cmaps : sequence of str, optional
        Colormap names offered (default: every name the window supports, also reversed).
    """

    TITLE_TEXT = "Heatmap plot controls"

    def __init__(self, panels: Sequence[str], current: Sequence[HeatmapSettings], index: int = 0,
                 cmaps: Sequence[str] | None = None):
        if len(panels) != len(current) or not panels:
            raise ValueError("HeatmapDialog needs one HeatmapSettings per panel (and at least one panel)")
        self.panels, self.current = list(panels), list(current)
        self.index = min(max(index, 0), len(panels) - 1)
        self.cmaps = tuple(cmaps) if cmaps is not None else _cmap_names()
        super().__init__()

    def rows(self) -> list[tuple[str, list[Field]]]:
        c = self.current[self.index]
        cmaps = self.cmaps if c.cmap in self.cmaps else (c.cmap, *self.cmaps)
        return [("Heatmap", [Field("panel", "heatmap", "choice", self.index,
                                   choices=choices(range(len(self.panels)), self.panels))]),
                ("vmin", [Field("vmin", "vmin", "float", c.vmin, optional=True)]),
                ("vmax", [Field("vmax", "vmax", "float", c.vmax, optional=True)]),
                ("Colormap", [Field("cmap", "colormap", "choice", c.cmap, choices=choices(cmaps))]),
                ("Decimation", [Field("decim_method", "decimation", "choice", c.decim_method,
                                      choices=choices(DECIM_METHODS))]),
                ("", [Field("all", "Apply to all arrays", "bool", False)])]

    def on_field_changed(self, key: str, value: Any) -> None:
        if key != "panel" or value == self.index:
            return
        self.index = int(value)
        c = self.current[self.index]
        self.set_raw("vmin", c.vmin)
        self.set_raw("vmax", c.vmax)
        if c.cmap in self.cmaps:
            self.set_raw("cmap", c.cmap)
        self.set_raw("decim_method", c.decim_method)

    def check(self, values: dict[str, Any]) -> dict[str, str]:
        lo, hi = values["vmin"], values["vmax"]
        if lo is not None and hi is not None and not lo < hi:
            return {"vmin": f"vmin ({lo:g}) must be below vmax ({hi:g})"}
        return {}

    def make_result(self, values: dict[str, Any]) -> HeatmapResult:
        panels = tuple(range(len(self.panels))) if values["all"] else (int(values["panel"]),)
        return HeatmapResult(panels, HeatmapSettings(values["vmin"], values["vmax"], values["cmap"],
                                                     values["decim_method"]))
