"""What one change of the view settings changed: :class:`ViewChange`, returned by every method of the
view model (:mod:`loupe_tui.tui.view`) and of its parts (:mod:`loupe_tui.tui.spectral_settings`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Options = tuple[tuple[str, dict[str, Any]], ...]


@dataclass(frozen=True)
class ViewChange:
    """What one view action changed. Falsy when nothing did.

    Attributes
    ----------
    options : tuple of (target, settings)
        Settings that changed, per GL window target (``"hypnogram"``, ``"trace:EEG"`` ...).
    focus : str or None
        The newly focused panel target.
    terminal : bool
        The terminal views must redraw (shading, Y range, visibility).
    message : str or None
        A line for the status bar.
    """

    options: Options = ()
    focus: str | None = None
    terminal: bool = False
    message: str | None = None

    def __bool__(self) -> bool:
        return bool(self.options or self.focus or self.terminal or self.message)
