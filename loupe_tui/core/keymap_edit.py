"""Editing TOML keymaps in place, keeping the user's comments (tomlkit).

The keymap screen rebinds a key and saves it back with :func:`save_binding`;
:func:`with_binding` is the same edit on text, for tests and previews. Every
edit is validated before anything is written, so a rebinding that clashes
raises and leaves the file untouched.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import InlineTable, Item, Table

from loupe_tui.core.actions import default_action_keys, suggest_action
from loupe_tui.core.colors import parse_color, to_hex
from loupe_tui.core.fsutil import atomic_write_bytes
from loupe_tui.core.keymap_file import guess_format, read_text
from loupe_tui.core.keys import normalize_key
from loupe_tui.core.states import StateConfig
from loupe_tui.errors import LoupeConfigError


def with_binding(text: str, *, state: str | None = None, action: str | None = None,
                 keys: Sequence[str] | None = None, color: Any = None, steal: bool = False,
                 source: str = "<keymap>") -> str:
    """Return TOML keymap ``text`` with one state or action rebound; comments are kept.

    Parameters
    ----------
    text : str
        A TOML keymap (our format).
    state, action : str
        Exactly one: the state (created if new; then ``color`` is needed) or
        the action id to rebind.
    keys : sequence of str, optional
        The new keys (any spelling; written canonical). ``None`` leaves a
        state's keys alone (to change only its colour); ``[]`` unbinds.
    color : colour, optional
        New colour of ``state``, written as ``#RRGGBB[AA]``.
    steal : bool
        Take ``keys`` away from whichever other state or action has them,
        instead of failing on the clash.
    source : str
        Name for error messages.

    Raises
    ------
    LoupeConfigError
        Bad input, or the edited keymap is invalid (a clash when not stealing).
    """
    if (state is None) == (action is None):
        raise LoupeConfigError(f"{source}: rebind either a state or an action")
    canon = [normalize_key(k) for k in keys] if keys is not None else None
    if canon is not None:
        canon = list(dict.fromkeys(canon))
    try:
        doc = tomlkit.parse(text)
    except Exception as exc:  # tomlkit raises several types; report as the file's problem
        raise LoupeConfigError(f"{source}: TOML syntax error: {exc}") from None
    if steal and canon:
        before = StateConfig.from_text(text, format="toml", source=source)
        _steal(doc, before, canon, keep_state=state, keep_action=action)
    if state is not None:
        _set_state(doc, state, canon, color, source)
    else:
        assert action is not None
        if action not in default_action_keys():
            hint = suggest_action(action)
            raise LoupeConfigError(f"{source}: unknown action {action!r}"
                                   + (f" (did you mean {hint!r}?)" if hint else ""))
        _set_action(doc, action, canon if canon is not None else list(default_action_keys()[action]))
    out = tomlkit.dumps(doc)
    StateConfig.from_text(out, format="toml", source=source)  # validate before anyone writes it
    return out


def save_binding(path: str | Path, **edit: Any) -> StateConfig:
    """Apply :func:`with_binding` to the TOML keymap at ``path`` and save it atomically.

    Returns the new :class:`StateConfig`. JSON state definitions have no room
    for comments or actions: convert them first (``loupe-tui keymap convert``).
    """
    p = Path(path)
    text = read_text(p)
    if guess_format(p, text) != "toml":
        raise LoupeConfigError(f"{p}: only TOML keymaps can be edited; convert it with "
                               f"`loupe-tui keymap convert {p} keymap.toml`")
    new = with_binding(text, source=str(p), **edit)
    atomic_write_bytes(p, new.encode("utf-8"), error=LoupeConfigError)
    return StateConfig.from_file(p)


def to_toml(config: StateConfig) -> str:
    """A commented TOML keymap with the same states, colours and action overrides."""
    doc = tomlkit.document()
    doc.add(tomlkit.comment("loupe-tui keymap. Format: docs/keymaps.md"))
    if config.source is not None:
        doc.add(tomlkit.comment(f"converted from {config.source}"))
    if config.description:
        doc["description"] = config.description
    doc.add(tomlkit.nl())
    states = tomlkit.table(is_super_table=True)
    for s in config.states:
        t = tomlkit.table()
        t["keys"] = list(config.keys_for(s))
        t["color"] = to_hex(config.colors[s]) if s in config.colors else to_hex(config.color_for(s))
        t.add(tomlkit.nl())
        states[s] = t
    doc["states"] = states
    if config.action_overrides:
        doc["actions"] = {a: list(k) for a, k in config.action_overrides.items()}
    return tomlkit.dumps(doc)


def to_json(config: StateConfig) -> str:
    """Loupe's state-definitions JSON with the same states, colours and action overrides.

    The keymap is written in the inverse form ``{state: [keys]}`` (keeps the
    state order, several keys per state, and states without keys); colours are
    ``[R, G, B, A]`` lists as Loupe writes them. ``actions`` (our extension,
    ignored by Loupe) and ``description`` are included when set.
    """
    doc: dict[str, Any] = {}
    if config.description:
        doc["description"] = config.description
    doc["keymap"] = {s: list(config.keys_for(s)) for s in config.states}
    doc["label_colors"] = {s: list(config.colors[s] if s in config.colors else config.color_for(s))
                           for s in config.states}
    if config.action_overrides:
        doc["actions"] = {a: list(k) for a, k in config.action_overrides.items()}
    # One line per state / action: as readable as the TOML form.
    lines = []
    for key, value in doc.items():
        if isinstance(value, dict):
            inner = ",\n".join(f"    {json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}"
                               for k, v in value.items())
            lines.append(f"  {json.dumps(key)}: {{\n{inner}\n  }}" if value else f"  {json.dumps(key)}: {{}}")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _set_keys(container: Any, name: str, keys: list[str]) -> None:
    old = container.get(name)
    if isinstance(old, tomlkit.items.Array):
        old.clear()  # in place: keeps the comment after the array
        old.extend(keys)
        return
    new = tomlkit.array()
    new.extend(keys)
    if isinstance(old, Item):
        new.trivia.comment, new.trivia.comment_ws = old.trivia.comment, old.trivia.comment_ws
    container[name] = new


def _states_table(doc: Any) -> Any:
    if "states" not in doc:
        doc["states"] = tomlkit.table(is_super_table=True)
    return doc["states"]


def _set_state(doc: Any, state: str, keys: list[str] | None, color: Any, source: str) -> None:
    states = _states_table(doc)
    if state not in states:
        if color is None:
            raise LoupeConfigError(f"{source}: new state {state!r} needs a colour")
        inline = any(isinstance(v, InlineTable) for v in states.values())
        t = tomlkit.inline_table() if inline else tomlkit.table()
        t["keys"] = tomlkit.array()
        t["color"] = ""
        if not inline:
            t.add(tomlkit.nl())
        states[state] = t
    entry = states[state]
    if not isinstance(entry, (Table, InlineTable)):
        raise LoupeConfigError(f"{source}: state {state!r} is not a table")
    if keys is not None:
        _set_keys(entry, "keys", keys)
    if color is not None:
        field = "colour" if "colour" in entry else "color"
        entry[field] = to_hex(parse_color(color, where=f"{source}: colour of state {state!r}"))


def _action_entry(actions: Any, action: str) -> tuple[Any, str] | None:
    """The container and name holding ``action`` (flat ``"a.b"`` or dotted ``a.b``)."""
    if action in actions:
        return actions, action
    group, _, name = action.partition(".")
    if group in actions and isinstance(actions[group], (Table, InlineTable)) and name in actions[group]:
        return actions[group], name
    return None


def _set_action(doc: Any, action: str, keys: list[str]) -> None:
    if "actions" not in doc:
        if keys == list(default_action_keys()[action]):
            return
        doc.add(tomlkit.nl())
        doc["actions"] = tomlkit.table()
    actions = doc["actions"]
    found = _action_entry(actions, action)
    if keys == list(default_action_keys()[action]):
        if found is not None:  # back to the default: drop the override
            del found[0][found[1]]
        return
    if found is not None:
        _set_keys(found[0], found[1], keys)
    else:
        arr = tomlkit.array()
        arr.extend(keys)
        actions[action] = arr


def _steal(doc: Any, before: StateConfig, keys: list[str], *, keep_state: str | None,
           keep_action: str | None) -> None:
    taken = set(keys)
    owners = {before.keymap[k] for k in keys if k in before.keymap} - {keep_state}
    for owner in owners:
        _set_keys(_states_table(doc)[owner], "keys", [k for k in before.keys_for(owner) if k not in taken])
    aids = {before.key_to_action[k] for k in keys if k in before.key_to_action} - {keep_action}
    for aid in aids:
        _set_action(doc, aid, [k for k in before.action_keys[aid] if k not in taken])


def keymap_changes(old: StateConfig, new: StateConfig, limit: int = 3) -> str:
    """What a reloaded keymap changed, in a few words (``"REM colour, w: Wake -> Wet"``); "no change"."""
    words = [f"+{s}" for s in new.states if s not in old.states]
    words += [f"-{s}" for s in old.states if s not in new.states]
    for s in (s for s in new.states if s in old.states):
        if new.keys_for(s) != old.keys_for(s):
            words.append(f"{s} keys {' '.join(new.keys_for(s)) or 'none'}")
        if tuple(new.color_for(s)) != tuple(old.color_for(s)):
            words.append(f"{s} colour {to_hex(new.color_for(s))}")
    moved = [a for a in new.action_keys if new.action_keys[a] != old.action_keys.get(a)]
    words += [f"{a} keys {' '.join(new.action_keys[a]) or 'none'}" for a in moved]
    if not words:
        return "no change"
    return ", ".join(words[:limit]) + (f" and {len(words) - limit} more" if len(words) > limit else "")

