"""View dialogs: modal forms that return a result dataclass via ``dismiss``.

Every result has ``view_options() -> list[SetViewOption]``; :func:`to_view_options`
calls it for any dialog's result, so the screen can do::

    def done(result):
        if result is not None:
            for msg in to_view_options(result):
                link.send(msg)
    self.app.push_screen(DenseDialog(settings, n_traces), done)
"""

from __future__ import annotations

from typing import Any

from loupe_tui.protocol import SetViewOption


def to_view_options(result: Any) -> list[SetViewOption]:
    """``result.view_options()`` for any dialog result (an empty list for None)."""
    return [] if result is None else list(result.view_options())
