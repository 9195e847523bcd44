"""The ruler from the keyboard: ' marks, the cursor moves, ' reads the focused trace; both windows show it."""

from __future__ import annotations

import re

from loupe_tui import protocol as P
from tui_helpers import SIZE, sync, wait_ready


@sync
async def test_ruler_reads_the_focused_trace_between_two_marks(new_app, monkeypatch):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        main = app.screen
        sent: list = []
        monkeypatch.setattr(main.bridge, "send", sent.append)
        status = lambda: main.query_one("#status").message   # noqa: E731
        main.session.goto(100.0)
        await pilot.press("'")
        assert "first end marked" in status() and sent[-1] == P.SetViewOption("ruler", {"marks": [100.0]})
        await pilot.press(".", ".")                                    # two epochs on
        await pilot.press("'")
        m = re.match(r"ruler EEG: 8 s \(0\.125 Hz\), ([\d.]+) uV peak-to-peak", status())
        assert m and float(m.group(1)) > 0, status()
        assert sent[-1] == P.SetViewOption("ruler", {"marks": [100.0, 108.0]})
        assert main.traces.ruler == (100.0, 108.0)                     # the terminal preview marks both ends
        await pilot.press("tab", "'")                                  # a third press clears, whatever is focused
        assert main.view.ruler == () and sent[-1] == P.SetViewOption("ruler", {"marks": []})
