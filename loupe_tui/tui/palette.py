"""Command palette (Ctrl+P): every action of the registry, by name.

:class:`ActionsProvider` lists each action of
:data:`loupe_tui.core.actions.ACTIONS` with its description and current keys,
and runs the chosen one through a hook the app implements.

Hook the app must provide::

    class LoupeApp(App):
        COMMANDS = App.COMMANDS | {ActionsProvider}

        def run_registry_action(self, action_id: str) -> None:
            ...  # the same code path a key press takes (e.g. "nav.page_next")

        # optional: keys to show (default: the registry's default keys)
        def registry_action_keys(self) -> Mapping[str, tuple[str, ...]]:
            return self.state_config.action_keys

        # optional: hide actions that do nothing now (e.g. video without videos)
        def registry_action_available(self, action_id: str) -> bool: ...

Without ``run_registry_action`` the provider shows nothing (and logs why).

:class:`ChoicesProvider` lists what the app offers beside the actions (the
spectral views' channels: "Spectrogram of Fpz-Cz"), from the optional hook
``palette_choices() -> [(text, callable)]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from loupe_tui.core.actions import ACTIONS, Action, default_action_keys
from loupe_tui.core.keys import display

__all__ = ["ActionsProvider", "ChoicesProvider", "HIDDEN"]

#: Actions the palette does not list (opening the palette from the palette).
HIDDEN: frozenset[str] = frozenset({"app.palette"})


class ActionsProvider(Provider):
    """Palette entries for the action registry; see the module docstring for the app hook."""

    def _entries(self) -> list[tuple[Action, str]]:
        app: Any = self.app
        keys_of = getattr(app, "registry_action_keys", None)
        keys: Mapping[str, tuple[str, ...]] = keys_of() if callable(keys_of) else default_action_keys()
        available = getattr(app, "registry_action_available", None)
        out = []
        for a in ACTIONS:
            if a.id in HIDDEN or (callable(available) and not available(a.id)):
                continue
            out.append((a, "  ".join(display(k) for k in keys.get(a.id, ())) or "no key"))
        return out

    def _runner(self):
        run = getattr(self.app, "run_registry_action", None)
        if not callable(run):
            self.app.log.warning("ActionsProvider: the app has no run_registry_action(action_id) hook")
            return None
        return run

    @staticmethod
    def _display(text: Content, keys: str) -> Content:
        return text.append_text(f"   {keys}", "dim")

    async def discover(self) -> Hits:
        """Every action, in registry order (the palette before anything is typed)."""
        run = self._runner()
        if run is None:
            return
        for a, keys in self._entries():
            yield DiscoveryHit(self._display(Content(a.description), keys), partial(run, a.id),
                               text=a.description, help=f"{a.id} ({a.group})")

    async def search(self, query: str) -> Hits:
        """Actions whose description or id matches ``query`` (fuzzy), best first."""
        run = self._runner()
        if run is None:
            return
        matcher = self.matcher(query)
        for a, keys in self._entries():
            score = max(matcher.match(a.description), matcher.match(a.id) * 0.9)
            if score > 0:
                plain = "[" in a.description or not matcher.match(a.description)  # highlight() reads markup
                shown = Content(a.description) if plain else matcher.highlight(a.description)
                yield Hit(score, self._display(shown, keys), partial(run, a.id), text=a.description,
                          help=f"{a.id} ({a.group})")


class ChoicesProvider(Provider):
    """Palette entries from the app's ``palette_choices()`` hook (none without it)."""

    def _choices(self) -> list[tuple[str, Any]]:
        hook = getattr(self.app, "palette_choices", None)
        return list(hook()) if callable(hook) else []

    async def discover(self) -> Hits:
        for text, run in self._choices():
            yield DiscoveryHit(Content(text), run, text=text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, run in self._choices():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), run, text=text)
