"""Y scale per trace (Ctrl+D): autorange, or a fixed min and max.

One row per trace: tick *auto* for autorange, or type min and max (typing a
limit unticks *auto*). The focused trace's row gets the focus. The result
maps every trace to a :class:`~loupe_tui.tui.view.YRange`, for the view model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from loupe_tui.tui.dialogs.form import Field, FormDialog
from loupe_tui.tui.view import YRange

__all__ = ["YRange", "YScaleResult", "YScaleDialog"]


@dataclass(frozen=True)
class YScaleResult:
    """``ranges``: trace name -> :class:`YRange`, for every trace of the dialog."""

    ranges: dict[str, YRange]


class YScaleDialog(FormDialog[YScaleResult]):
    """Per-trace Y range.

    Parameters
    ----------
    traces : sequence of str
        Trace names, top to bottom.
    current : mapping, optional
        Trace -> :class:`YRange` now (default: autorange).
    focused : str, optional
        The trace whose row gets the focus.
    """

    TITLE_TEXT = "Y scale per trace"

    def __init__(self, traces: Sequence[str], current: Mapping[str, YRange] | None = None,
                 focused: str | None = None):
        self.traces = list(traces)
        self.current = dict(current or {})
        self.focused_trace = focused
        super().__init__()

    def rows(self) -> list[tuple[str, list[Field]]]:
        out = []
        for i, name in enumerate(self.traces):
            r = self.current.get(name, YRange())
            out.append((name, [Field(f"{i}.auto", "auto", "bool", r.autorange),
                               Field(f"{i}.min", "min", "float", r.ymin, optional=True),
                               Field(f"{i}.max", "max", "float", r.ymax, optional=True)]))
        return out

    def first_focus(self) -> str | None:
        if self.focused_trace in self.traces:
            return f"{self.traces.index(self.focused_trace)}.auto"
        return None

    def on_field_changed(self, key: str, value: Any) -> None:
        i, _, part = key.partition(".")
        if part in ("min", "max") and str(value).strip():
            self.set_raw(f"{i}.auto", False)

    def check(self, values: dict[str, Any]) -> dict[str, str]:
        errors = {}
        for i, name in enumerate(self.traces):
            if values[f"{i}.auto"]:
                continue
            lo, hi = values[f"{i}.min"], values[f"{i}.max"]
            if lo is None or hi is None:
                errors[f"{i}.min"] = f"{name}: give both min and max, or tick auto"
            elif not lo < hi:
                errors[f"{i}.min"] = f"{name}: min ({lo:g}) must be below max ({hi:g})"
        return errors

    def make_result(self, values: dict[str, Any]) -> YScaleResult:
        return YScaleResult({name: (YRange() if values[f"{i}.auto"]
                                    else YRange(False, values[f"{i}.min"], values[f"{i}.max"]))
                             for i, name in enumerate(self.traces)})
