"""Style Global Events: colour, line style, width and alpha per event class.

The dialog takes the classes' current styles (``GlobalEventsConfig.class_styles()``
works: anything with ``color``, ``line_style``, ``line_width``, ``line_alpha``)
and returns an :class:`EventStylesResult`: a style per class (the class None
when events are not split into classes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from loupe_tui.tui.dialogs.form import Field, FormDialog, choices
from loupe_tui.tui.view import LINE_STYLES, EventClassStyle

__all__ = ["EventClassStyle", "EventStylesResult", "EventStylesDialog", "LINE_STYLES"]

@dataclass(frozen=True)
class EventStylesResult:
    """``styles``: event class -> :class:`EventClassStyle`, for every class of the dialog."""

    styles: dict[Any, EventClassStyle]


class EventStylesDialog(FormDialog[EventStylesResult]):
    """One row per event class: colour, line style, width (px), alpha (0-255).

    Parameters
    ----------
    styles : mapping
        Class -> current style (``EventStyle`` or :class:`EventClassStyle`);
        the key None stands for "all events" (no classes).
    """

    TITLE_TEXT = "Style global events"

    def __init__(self, styles: Mapping[Any, Any]):
        self.event_classes = list(styles)
        self.current = dict(styles)
        super().__init__()

    def rows(self) -> list[tuple[str, list[Field]]]:
        out = []
        for i, cls in enumerate(self.event_classes):
            s = self.current[cls]
            out.append(("all events" if cls is None else str(cls), [
                Field(f"{i}.color", "colour", "color", tuple(s.color[:3]) + (255,)),
                Field(f"{i}.style", "style", "choice", s.line_style, choices=choices(LINE_STYLES)),
                Field(f"{i}.width", "width", "float", float(s.line_width), gt=0, hi=20),
                Field(f"{i}.alpha", "alpha", "int", int(s.line_alpha), lo=0, hi=255)]))
        return out

    def make_result(self, values: dict[str, Any]) -> EventStylesResult:
        out = {}
        for i, cls in enumerate(self.event_classes):
            r, g, b, _ = values[f"{i}.color"]
            alpha = values[f"{i}.alpha"]
            out[cls] = EventClassStyle((r, g, b, alpha), values[f"{i}.style"], float(values[f"{i}.width"]),
                                       alpha)
        return EventStylesResult(out)
