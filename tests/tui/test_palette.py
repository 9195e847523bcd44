"""ActionsProvider: the command palette lists the action registry and runs through the app hook."""

from __future__ import annotations

import asyncio

from textual.app import App
from textual.command import CommandList

from loupe_tui.core.actions import ACTIONS
from loupe_tui.tui.palette import ActionsProvider


class Host(App):
    COMMANDS = {ActionsProvider}

    def __init__(self, keys=None, available=None):
        super().__init__()
        self.ran: list[str] = []
        self._keys, self._available = keys, available

    def run_registry_action(self, action_id: str) -> None:
        self.ran.append(action_id)

    def registry_action_keys(self):
        from loupe_tui.core.actions import default_action_keys
        return {**default_action_keys(), **(self._keys or {})}

    def registry_action_available(self, action_id: str) -> bool:
        return self._available is None or self._available(action_id)


class NoHook(App):
    COMMANDS = {ActionsProvider}


def prompts(app) -> list[str]:
    cl = app.screen.query_one(CommandList)
    return [str(cl.get_option_at_index(i).prompt) for i in range(cl.option_count)]


async def settle(pilot, app, ok, timeout=5.0):
    """Wait until ``ok(prompts)`` (the palette searches in the background)."""
    for _ in range(int(timeout / 0.05)):
        await pilot.pause(0.05)
        if ok(prompts(app)):
            return
    raise AssertionError(f"palette never showed what was expected: {prompts(app)[:5]}")


def drive(app, body):
    async def main():
        async with app.run_test(size=(120, 50)) as pilot:
            await pilot.press("ctrl+p")
            await pilot.pause(0.2)
            await body(app, pilot)
    asyncio.run(main())


def test_typed_search_runs_the_action_and_shows_current_keys():
    async def body(app, pilot):
        await pilot.press(*"save labels")
        await settle(pilot, app, lambda p: p and p[0].startswith("Save labels"))
        shown = prompts(app)
        assert shown[0].startswith("Save labels") and "Ctrl+W" in shown[0]
        await pilot.press("enter")
        await pilot.pause()
        assert app.ran == ["labels.save"]
    drive(Host(keys={"labels.save": ("ctrl+w",)}), body)


def test_discovery_lists_every_action_but_the_palette_itself():
    async def body(app, pilot):
        await pilot.press("down")          # show the discovery list
        await settle(pilot, app, lambda p: len(p) == len(ACTIONS) - 1)
        shown = prompts(app)
        assert len(shown) == len(ACTIONS) - 1
        assert not any(p.startswith("Command palette") for p in shown)
        assert any(p.startswith("Next page") and "]  PgDn" in p for p in shown)
    drive(Host(), body)


def test_unavailable_actions_are_hidden_and_search_matches_ids():
    async def body(app, pilot):
        await pilot.press(*"video.play")
        await pilot.pause(0.3)
        assert prompts(app) == []
        for _ in range(len("video.play")):
            await pilot.press("backspace")
        await pilot.press(*"nav.goto")
        await settle(pilot, app, lambda p: bool(p))
        assert prompts(app)[0].startswith("Go to a time")
        await pilot.press("enter")
        await pilot.pause()
        assert app.ran == ["nav.goto_time"]
    drive(Host(available=lambda a: not a.startswith("video.")), body)


def test_without_the_app_hook_nothing_is_listed():
    async def body(app, pilot):
        await pilot.press(*"save")
        await pilot.pause(0.3)
        assert prompts(app) == []
    drive(NoHook(), body)
