"""Helpers shared by the terminal app's tests (imported as ``tui_helpers``)."""

from __future__ import annotations

import asyncio
import functools
import io
import time

from rich.console import Console

SIZE = (140, 42)

#: The ``scored`` fixture's labels (conftest): NREM in the demo's truth, left unscored
#: (15 epochs to accept; not compared).
GAP = (100.0, 160.0)
#: The ``scored`` fixture's labels: NREM in the truth, scored REM (a disagreement).
WRONG = (60.0, 64.0)


def sync(fn):
    """Run an async test with asyncio.run (no pytest-asyncio needed); fixtures still apply."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))
    return wrapper


async def wait_ready(pilot, timeout: float = 20.0) -> None:
    """Until the trace preview has its pyramids (built in a thread worker)."""
    t = time.monotonic()
    while time.monotonic() - t < timeout:
        await pilot.pause(0.02)
        if pilot.app.screen.query_one("#traces")._pyramids:
            await pilot.pause()
            return
    raise AssertionError("trace preview never got its pyramids")


def screen_text(app) -> str:
    """The screen as plain text (what a terminal would show)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


def spans(labels) -> list[tuple[float, float, str]]:
    names = labels.label_names
    return [(float(s), float(e), names[c]) for s, e, c in zip(labels.starts, labels.ends, labels.codes)]


async def press_backspace(pilot) -> None:
    """The Backspace key as terminals send it (``\\x7f``); Pilot's "backspace" sends ``\\x08``, which is Ctrl+H."""
    from textual import events

    pilot.app.post_message(events.Key("backspace", "\x7f"))
    await pilot.pause()


class FakeLink:
    """Stands in for the GL window's link (``bridge.RenderLink``, or set as ``bridge.link``): keeps
    what it is sent and the initial state of each (re)start. ``FakeLink.instances``: every link
    made, for a test that patches ``RenderLink`` (reset it first)."""

    instances: list = []
    status, frames_path = "GL window: fake", None

    def __init__(self, on_event=None, **kw):
        self.sent, self.initial, self.restarts, self.alive, self.hung = [], [], 0, True, False
        FakeLink.instances.append(self)

    async def start(self, initial):
        self.initial = list(initial)

    async def restart(self, initial):
        self.restarts += 1
        self.initial = list(initial)

    def send(self, msg):
        self.sent.append(msg)

    async def stop(self):
        self.alive = False
