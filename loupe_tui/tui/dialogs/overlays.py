"""Label overlays (View > Adjust Interval Label Alpha): alpha 0-255 and visibility.

Returns an :class:`OverlayResult` (alpha and shown) for the view model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loupe_tui.core.colors import LABEL_SHADING_ALPHA
from loupe_tui.tui.dialogs.form import Field, FormDialog

__all__ = ["OverlayResult", "LabelOverlayDialog", "DEFAULT_ALPHA"]

#: The GL window's label shading until the user sets one.
DEFAULT_ALPHA = LABEL_SHADING_ALPHA


@dataclass(frozen=True)
class OverlayResult:
    """Shading of labels over the traces: ``alpha`` 0-255, ``visible``."""

    alpha: int = 60
    visible: bool = True


class LabelOverlayDialog(FormDialog[OverlayResult]):
    """Alpha and visibility of the label shading over the traces.

    Parameters
    ----------
    alpha : int
        Current alpha, 0 (invisible) to 255 (opaque).
    visible : bool
        Overlays shown now.
    """

    TITLE_TEXT = "Interval label overlays"

    def __init__(self, alpha: int = DEFAULT_ALPHA, visible: bool = True):
        self.alpha, self.shown = alpha, visible
        super().__init__()

    def rows(self) -> list[tuple[str, list[Field]]]:
        return [("Alpha (0-255)", [Field("alpha", "alpha", "int", self.alpha, lo=0, hi=255)]),
                ("Overlays", [Field("visible", "shown", "bool", self.shown)])]

    def make_result(self, values: dict[str, Any]) -> OverlayResult:
        return OverlayResult(values["alpha"], bool(values["visible"]))
