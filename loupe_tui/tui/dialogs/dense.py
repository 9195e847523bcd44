"""Dense View Controls (Ctrl+G): gain, step, traces per page, page.

Returns a :class:`DenseResult` whose settings the view model takes
(``page`` counted from 0, ``traces_per_page`` None for all).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loupe_tui.tui.dialogs.form import Field, FormDialog
from loupe_tui.tui.view import DenseSettings

__all__ = ["DenseSettings", "DenseResult", "DenseDialog"]


@dataclass(frozen=True)
class DenseResult:
    """New ``settings`` for the dense panel ``target`` (``"dense"`` or ``"dense:<i>"``)."""

    settings: DenseSettings
    target: str = "dense"


class DenseDialog(FormDialog[DenseResult]):
    """Gain, step, traces per page and page of a dense trace panel.

    Parameters
    ----------
    current : DenseSettings, optional
    n_traces : int, optional
        Traces in the panel (bounds the page number).
    target : str
        SetViewOption target of the panel.
    """

    TITLE_TEXT = "Dense view controls"

    def __init__(self, current: DenseSettings | None = None, n_traces: int | None = None,
                 target: str = "dense"):
        self.current = current or DenseSettings()
        self.n_traces = n_traces
        self.target = target
        super().__init__()

    def rows(self) -> list[tuple[str, list[Field]]]:
        c = self.current
        return [("Gain", [Field("gain", "gain", "float", c.gain, gt=0, hi=1e6)]),
                ("Step (every n-th)", [Field("step", "step", "int", c.step, lo=1,
                                             hi=self.n_traces or None)]),
                ("Traces per page", [Field("traces_per_page", "traces per page", "int", c.traces_per_page,
                                           lo=1, optional=True, placeholder="all")]),
                ("Page", [Field("page", "page", "int", c.page + 1, lo=1)])]

    def check(self, values: dict[str, Any]) -> dict[str, str]:
        if self.n_traces is None:
            return {}
        s = DenseSettings(values["gain"], values["step"], values["traces_per_page"], values["page"] - 1)
        pages = s.pages(self.n_traces)
        if values["page"] > pages:
            return {"page": f"page: there {'is' if pages == 1 else 'are'} {pages} page"
                            f"{'' if pages == 1 else 's'} with these settings"}
        return {}

    def make_result(self, values: dict[str, Any]) -> DenseResult:
        return DenseResult(DenseSettings(float(values["gain"]), values["step"], values["traces_per_page"],
                                         values["page"] - 1), self.target)
