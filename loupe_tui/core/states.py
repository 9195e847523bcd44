"""States (hotkeys + colours) and action keys: :class:`StateConfig`.

A StateConfig is what the scorer needs from a keymap: which key scores which
state, each state's colour, and the keys of every action (defaults from
:mod:`loupe_tui.core.actions`, overridden by the file). It is built from our
TOML keymap, from Loupe's ``state_definitions.json`` (forward or inverse), or
from dicts; every way is validated the same, and every problem is one
:class:`~loupe_tui.errors.LoupeConfigError` line naming the file, line and key.

Where states come from (:meth:`StateConfig.resolve`): an explicit file, else the
user's ``$XDG_CONFIG_HOME/loupe-tui/keymap.toml`` (or ``state_definitions.json``),
then ``keymap=`` / ``label_colors=`` override per state. There are no silent
defaults: no definitions at all is an error that says how to fix it (the
command line then falls back on a bundled keymap or the labels' own states,
and says so: :mod:`loupe_tui.core.keymap_choice`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from loupe_tui.core.actions import default_action_keys, get_action, suggest_action
from loupe_tui.core.colors import RGBA, distinct_color, parse_color
from loupe_tui.core.keymap_file import (USER_FILES, RawKeymap, Where, bundled_keymap, bundled_keymaps,
                                        find_keymap, load_raw, mapping_raw, parse_text, user_config_dir,
                                        user_keymap_path)
from loupe_tui.core.keys import normalize_key
from loupe_tui.errors import LoupeConfigError

# where keymaps live is keymap_file's business; re-exported here for callers
__all__ = ["StateConfig", "KeymapWatcher", "bundled_keymap", "bundled_keymaps", "find_keymap",
           "nothing_found_message", "user_config_dir", "user_keymap_path"]

class StateConfig:
    """State hotkeys, state colours and action keys; immutable and validated.

    Parameters
    ----------
    keymap : mapping
        ``{key: state}`` (forward) or ``{state: [keys]}`` (inverse), any key spelling.
    colors : mapping
        ``{state: colour}`` in any form :func:`~loupe_tui.core.colors.parse_color` reads.
    actions : mapping, optional
        ``{action id: [keys]}`` overriding the default keys (``[]`` unbinds).
    source : str or Path, optional
        Where the definitions came from, for messages and the status bar.
    description : str
        One line describing the keymap.

    Raises
    ------
    LoupeConfigError
        Bad key or colour, a key bound to two states or two actions, a state key
        that is also an action key, a hotkey state without colour, no states.
    """

    def __init__(self, keymap: Mapping[Any, Any], colors: Mapping[Any, Any],
                 actions: Mapping[str, Any] | None = None, *, source: str | Path | None = None,
                 description: str = "", _where: Where | None = None, _allow_empty: bool = False):
        where = _where or Where(str(source) if source is not None else "state definitions")
        self.source = source
        self.description = description
        state_keys, spelled = _inverse(keymap, where)
        self._colors = _colors(colors, where)
        self._overrides = _action_overrides(actions or {}, where)
        action_keys = {**default_action_keys(), **self._overrides}
        self._key_to_action = _action_owners(action_keys, self._overrides, where)
        self._action_keys = action_keys
        for state, keys in state_keys.items():
            for key in keys:
                if key in self._key_to_action:
                    aid = self._key_to_action[key]
                    raise where.error(
                        f"key {spelled[state, key]!r} of state {state!r} is also the key of action {aid!r} "
                        f"({get_action(aid).description}); choose another key for the state or rebind "
                        f"the action (\"{aid}\" = [...] under [actions])", *where.key(state, spelled[state, key]))
            if keys and state not in self._colors:
                raise where.error(f"state {state!r} has hotkeys but no colour (add color = \"#RRGGBB\")",
                                  *where.state(state))
        if not state_keys and not self._colors and not _allow_empty:
            raise where.error("no states defined (add [states.<name>] tables with keys and color, "
                              "or a Loupe 'keymap' and 'label_colors')")
        self._states = tuple(state_keys) + tuple(s for s in self._colors if s not in state_keys)
        self._state_keys = {s: tuple(state_keys.get(s, ())) for s in self._states}
        self._keymap = {k: s for s, keys in self._state_keys.items() for k in keys}

    # -- constructors -------------------------------------------------------
    @classmethod
    def empty(cls, source: str = "no states") -> StateConfig:
        """No states at all, default action keys: for drawing recordings without labels
        (``loupe-tui snapshot`` with neither labels nor a keymap), never for scoring."""
        return cls({}, {}, source=source, _allow_empty=True)

    @classmethod
    def from_file(cls, path: str | Path) -> StateConfig:
        """Load a TOML keymap or a Loupe state-definitions JSON file."""
        return cls._from_raw(load_raw(path), Path(path))

    @classmethod
    def from_text(cls, text: str, *, format: str = "toml", source: str | Path = "<text>") -> StateConfig:
        """Parse keymap text (``format`` is ``"toml"`` or ``"json"``)."""
        return cls._from_raw(parse_text(text, format, str(source)), source)

    @classmethod
    def from_mapping(cls, doc: Mapping[str, Any], *, source: str = "state_definitions") -> StateConfig:
        """Loupe's state-definitions dict: ``{"keymap": ..., "label_colors": ...}``."""
        return cls._from_raw(mapping_raw(doc, source), source)

    @classmethod
    def _from_raw(cls, raw: RawKeymap, source: str | Path) -> StateConfig:
        return cls(raw.keymap, raw.colors, raw.actions, source=source, description=raw.description,
                   _where=raw.where)

    @classmethod
    def resolve(cls, state_definitions: str | Path | Mapping[str, Any] | StateConfig | None = None,
                keymap: Mapping[Any, Any] | None = None, label_colors: Mapping[Any, Any] | None = None,
                actions: Mapping[str, Any] | None = None) -> StateConfig:
        """The definitions to score with, following Loupe's rules.

        Parameters
        ----------
        state_definitions : path, bundled keymap name, dict or StateConfig, optional
            Explicit definitions. Without them the user's keymap is read from
            :func:`user_config_dir` (``keymap.toml``, else ``state_definitions.json``).
        keymap : mapping, optional
            Forward or inverse; each state named here gets exactly these keys
            (taking them from any other state of the file).
        label_colors : mapping, optional
            Per-state colours on top of the file's.
        actions : mapping, optional
            Action key overrides on top of the file's.

        Raises
        ------
        LoupeConfigError
            Nothing defines any state (the message says where it looked), or
            the result is invalid.
        """
        base: StateConfig | None
        if isinstance(state_definitions, StateConfig):
            base = state_definitions
        elif isinstance(state_definitions, Mapping):
            base = cls.from_mapping(state_definitions)
        elif state_definitions is not None:
            base = cls.from_file(find_keymap(state_definitions))
        else:
            found = user_keymap_path()
            base = cls.from_file(found) if found is not None else None
        if keymap is None and label_colors is None and actions is None:
            if base is None:
                raise LoupeConfigError(nothing_found_message())
            return base
        label = "/".join(n + "=" for n, v in (("keymap", keymap), ("label_colors", label_colors),
                                               ("actions", actions)) if v is not None)
        where = Where(label if base is None else f"{label} on top of {base.source}")
        over, _ = _inverse(keymap or {}, where)
        taken = {k for keys in over.values() for k in keys}
        state_keys: dict[str, list[str]] = {}
        for state, keys in (base._state_keys.items() if base else ()):
            state_keys[state] = [k for k in keys if k not in taken]
        state_keys.update(over)
        colors = {**(base._colors if base else {}), **(label_colors or {})}
        merged_actions = {**(base._overrides if base else {}), **(actions or {})}
        return cls(state_keys, colors, merged_actions, source=where.source,
                   description=base.description if base else "", _where=where)

    # -- lookups ------------------------------------------------------------
    @property
    def keymap(self) -> Mapping[str, str]:
        """Canonical key -> state."""
        return MappingProxyType(self._keymap)

    @property
    def colors(self) -> Mapping[str, RGBA]:
        """State -> ``(R, G, B, A)`` ints."""
        return MappingProxyType(self._colors)

    @property
    def states(self) -> list[str]:
        """States in file order (hotkey states first, then colour-only ones)."""
        return list(self._states)

    @property
    def action_keys(self) -> Mapping[str, tuple[str, ...]]:
        """Action id -> keys (defaults merged with the file's overrides)."""
        return MappingProxyType(self._action_keys)

    @property
    def action_overrides(self) -> Mapping[str, tuple[str, ...]]:
        """Only the action keys the file changed."""
        return MappingProxyType(self._overrides)

    @property
    def key_to_action(self) -> Mapping[str, str]:
        """Canonical key -> action id."""
        return MappingProxyType(self._key_to_action)

    def keys_for(self, state: str) -> tuple[str, ...]:
        """Hotkeys of ``state`` (empty for an unknown or colour-only state)."""
        return self._state_keys.get(state, ())

    def color_for(self, state: str) -> RGBA:
        """Colour of ``state``; for a state the keymap does not know, a palette colour chosen by its
        name, never grey and never close to a keymap colour (:func:`~loupe_tui.core.colors.distinct_color`)."""
        if state in self._colors:
            return self._colors[state]
        return distinct_color(state, list(self._colors.values()))

    def lookup(self, key: str) -> tuple[str, str] | None:
        """``("state", name)`` or ``("action", id)`` for a canonical key, else ``None``."""
        if key in self._keymap:
            return ("state", self._keymap[key])
        if key in self._key_to_action:
            return ("action", self._key_to_action[key])
        return None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StateConfig):
            return NotImplemented
        return (self._state_keys, self._colors, self._action_keys) == (
            other._state_keys, other._colors, other._action_keys)

    def __repr__(self) -> str:
        return f"StateConfig(states={self.states!r}, source={str(self.source)!r})"


# -- validation helpers -----------------------------------------------------
def _inverse(keymap: Any, where: Where) -> tuple[dict[str, list[str]], dict[tuple[str, str], str]]:
    """Validated ``{state: [canonical keys]}`` and the keys as spelled (for messages)."""
    if not isinstance(keymap, Mapping):
        raise where.error("keymap must be a mapping {key: state} or {state: [keys]}", "keymap")
    forward = bool(keymap) and all(isinstance(v, str) for v in keymap.values())
    pairs: list[tuple[Any, Any]] = []
    inv: dict[str, list[str]] = {}
    if forward:
        pairs = [(state, key) for key, state in keymap.items()]
    else:
        for state, keys in keymap.items():
            _check_state_name(state, where)
            if isinstance(keys, str):
                keys = [keys]
            if not isinstance(keys, (list, tuple)) or not all(isinstance(k, str) for k in keys):
                raise where.error(f"state {state!r}: keys must be a list of strings, got {keys!r}",
                                  *where.state(state))
            inv.setdefault(state, [])
            pairs += [(state, k) for k in keys]
    owner: dict[str, str] = {}
    spelled: dict[tuple[str, str], str] = {}
    for state, text in pairs:
        _check_state_name(state, where)
        try:
            key = normalize_key(text)
        except LoupeConfigError as exc:
            hint = " (keymap read as {key: state}; for {state: [keys]} give lists)" if forward else ""
            raise where.error(f"state {state!r}: {exc}{hint}", *where.key(state, str(text))) from None
        if owner.get(key, state) != state:
            raise where.error(f"key {text!r} is bound to two states, {owner[key]!r} and {state!r}",
                              *where.key(state, text))
        owner[key] = state
        spelled.setdefault((state, key), text)
        if key not in inv.setdefault(state, []):
            inv[state].append(key)
    return inv, spelled


def _check_state_name(state: Any, where: Where) -> None:
    if not isinstance(state, str) or not state.strip():
        raise where.error(f"state name {state!r} must be a non-empty string", "keymap")


def _colors(colors: Any, where: Where) -> dict[str, RGBA]:
    if not isinstance(colors, Mapping):
        raise where.error("label colours must be a mapping {state: colour}", "label_colors")
    out: dict[str, RGBA] = {}
    for state, value in colors.items():
        _check_state_name(state, where)
        try:
            out[state] = parse_color(value, where=f"colour of state {state!r}")
        except LoupeConfigError as exc:
            raise where.error(str(exc), *where.color(state)) from None
    return out


def _action_overrides(actions: Any, where: Where) -> dict[str, tuple[str, ...]]:
    if not isinstance(actions, Mapping):
        raise where.error("actions must be a mapping {action id: [keys]}", "actions")
    defaults = default_action_keys()
    out: dict[str, tuple[str, ...]] = {}
    for aid, keys in actions.items():
        if aid not in defaults:
            hint = suggest_action(str(aid))
            raise where.error(f"unknown action {aid!r}" + (f" (did you mean {hint!r}?)" if hint else "")
                              + " - `loupe-tui keymap check` lists them", *where.action(str(aid)))
        if isinstance(keys, str):
            keys = [keys]
        if not isinstance(keys, (list, tuple)) or not all(isinstance(k, str) for k in keys):
            raise where.error(f"action {aid!r}: keys must be a list of strings, got {keys!r}", *where.action(aid))
        canon: list[str] = []
        for text in keys:
            try:
                key = normalize_key(text)
            except LoupeConfigError as exc:
                raise where.error(f"action {aid!r}: {exc}", *where.action(aid, text)) from None
            if key not in canon:
                canon.append(key)
        out[aid] = tuple(canon)
    return out


def _action_owners(action_keys: Mapping[str, tuple[str, ...]], overrides: Mapping[str, tuple[str, ...]],
                   where: Where) -> dict[str, str]:
    owner: dict[str, str] = {}
    for aid, keys in action_keys.items():
        for key in keys:
            other = owner.get(key)
            if other is None:
                owner[key] = aid
                continue
            # point at the override line; tell the user which default to move too
            blame, kept = (aid, other) if aid in overrides else (other, aid)
            if other in overrides and aid in overrides:  # both in the file: the later line is the news
                blame = max((aid, other), key=lambda a: where.find_line(*where.action(a, key)) or 0)
            fix = "" if kept in overrides else f" (a default: rebind \"{kept}\" too)"
            raise where.error(f"key {key!r} is bound to two actions, {other!r} and {aid!r}{fix}",
                              *where.action(blame, key))
    return owner


def nothing_found_message(switch: str = "state_definitions=", hint: str | None = None) -> str:
    """The one line saying that nothing defines any state, where we looked, and what to pass.

    ``switch`` is how the user passes a keymap (``"--keymap"`` on the command
    line, ``"state_definitions="`` from Python); ``hint`` a more specific
    suggestion (a bundled keymap that has the labels' states).
    """
    tried = " or ".join(str(user_config_dir() / n) for n in USER_FILES)
    names = ", ".join(bundled_keymaps()) or "none"
    if switch.endswith("="):
        how = f"pass {switch} (a keymap file or a bundled name: {names}) or keymap=/label_colors="
    else:
        how = f"pass {switch} FILE_OR_NAME (bundled: {names})"
    return (f"no state definitions: none given and none found at {tried}; "
            + (f"{hint}; " if hint else "")
            + f"{how}, or run `loupe-tui keymap init rodent_sleep` to make your own")


class KeymapWatcher:
    """Re-reads a keymap file when it changes on disk (no threads: call :meth:`poll`).

    Parameters
    ----------
    path : str or Path
    loader : callable, optional
        ``path -> StateConfig``; default :meth:`StateConfig.from_file`. Pass one
        that re-applies ``keymap=``/``label_colors=`` overrides if any.
    current : StateConfig, optional
        The config already loaded from ``path``; then the first poll reports
        only later changes.
    """

    def __init__(self, path: str | Path, *, loader: Callable[[Path], StateConfig] | None = None,
                 current: StateConfig | None = None):
        self.path = Path(path)
        self.current = current
        self.error: LoupeConfigError | None = None
        self._load = loader or StateConfig.from_file
        self._stamp: object = self._stat() if current is not None else object()

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        # the inode changes when an editor saves by rename
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def poll(self) -> StateConfig | LoupeConfigError | None:
        """``None`` if unchanged; else the new config, or the error (``current`` is kept)."""
        stamp = self._stat()
        if stamp == self._stamp:
            return None
        self._stamp = stamp
        try:
            cfg = self._load(self.path)
        except LoupeConfigError as exc:
            self.error = exc
            return exc
        self.current, self.error = cfg, None
        return cfg
