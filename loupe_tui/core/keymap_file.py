"""Reading keymap files: our TOML format and Loupe's state-definitions JSON.

This module turns a file into plain data (:class:`RawKeymap`) and knows where
in the text each item sits, so that :class:`~loupe_tui.core.states.StateConfig`
can report a problem as ``<file>:<line>: <problem>``. It does not validate keys,
colours or clashes; ``states.py`` does. It also knows where keymaps live: the
user's config folder and the bundled ``keymaps/``.

TOML (``.toml``)::

    description = "Rodent sleep"
    [states.Wake]
    keys = ["w", "1"]
    color = "#00d128"
    [actions]
    "nav.page_next" = ["]", "pagedown"]

JSON (``.json``, Loupe's ``state_definitions.json``)::

    {"keymap": {"w": "Wake"} or {"Wake": ["w", "W"]},
     "label_colors": {"Wake": [0, 209, 40, 60]},
     "actions": {"nav.goto_time": ["ctrl+g"]}}      # "actions": our extension
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loupe_tui.core.paths import user_config_dir
from loupe_tui.errors import LoupeConfigError

_TOML_TOP = ("description", "states", "actions")
_TOML_STATE_FIELDS = ("keys", "color", "colour")
USER_FILES = ("keymap.toml", "state_definitions.json")
_JSON_TOP = ("keymap", "label_colors", "actions", "description")


class Where:
    """Where a keymap came from, and how to find the line of an item in it.

    Parameters
    ----------
    source : str
        File path or a label such as ``"keymap="`` for programmatic input.
    text : str, optional
        The file text; without it errors carry no line number.
    fmt : {"toml", "json"}, optional
    forward : bool
        JSON keymap written ``{key: state}`` (changes where a key is found).
    """

    def __init__(self, source: str, text: str | None = None, fmt: str | None = None, forward: bool = False):
        self.source = source
        self.fmt = fmt
        self.forward = forward
        self._text = _blank_toml_comments(text) if (text is not None and fmt == "toml") else text

    def error(self, problem: str, *tokens: str | tuple[str, ...]) -> LoupeConfigError:
        """``LoupeConfigError("<source>[:<line>]: <problem>")``, the line found from ``tokens``."""
        line = self.find_line(*tokens) if tokens else None
        where = f"{self.source}:{line}" if line is not None else self.source
        return LoupeConfigError(f"{where}: {problem}")

    # token paths of the items that validation complains about
    def key(self, state: str, key_text: str) -> tuple:
        if self.fmt == "toml":
            return ("states", state, "keys", key_text)
        return ("keymap", key_text) if self.forward else ("keymap", state, key_text)

    def state(self, state: str) -> tuple:
        return ("states", state) if self.fmt == "toml" else ("keymap", state)

    def color(self, state: str) -> tuple:
        return ("states", state, ("color", "colour")) if self.fmt == "toml" else ("label_colors", state)

    def action(self, action_id: str, key_text: str | None = None) -> tuple:
        tail = action_id.rsplit(".", 1)[-1]
        first = ("actions", (action_id, tail))
        return (*first, key_text) if key_text is not None else first

    def find_line(self, *tokens: str | tuple[str, ...]) -> int | None:
        """1-based line of the last token found when searching the tokens in order.

        Each token is looked up as a quoted string or a bare word, starting on the
        line of the previous token; a tuple holds alternatives. A heuristic, good
        for error messages: it never raises.
        """
        if not self._text:
            return None
        pos, line = 0, None
        for tok in tokens:
            alts = tok if isinstance(tok, tuple) else (tok,)
            best = None
            for alt in alts:
                m = _token_regex(alt).search(self._text, pos)
                if m and (best is None or m.start() < best):
                    best = m.start()
            if best is None:
                break
            line = self._text.count("\n", 0, best) + 1
            pos = self._text.rfind("\n", 0, best) + 1
        return line


def _token_regex(tok: str) -> re.Pattern[str]:
    q = re.escape(tok)
    forms = [f'"{q}"', f"'{q}'", f'"{re.escape(json.dumps(tok)[1:-1])}"']
    if re.fullmatch(r"[A-Za-z0-9_.-]+", tok):
        forms.append(rf"(?<![\w\-]){q}(?![\w\-])")
    return re.compile("|".join(forms))


def _blank_toml_comments(text: str) -> str:
    """Replace TOML comments by spaces, so a state named in a comment is not 'found'."""
    out = []
    for line in text.split("\n"):
        quote, i = None, 0
        while i < len(line):
            c = line[i]
            if quote:
                if c == "\\" and quote == '"':
                    i += 1
                elif c == quote:
                    quote = None
            elif c in "\"'":
                quote = c
            elif c == "#":
                line = line[:i] + " " * (len(line) - i)
                break
            i += 1
        out.append(line)
    return "\n".join(out)


@dataclass
class RawKeymap:
    """A keymap file as plain data, before validation.

    ``keymap`` is ``{key: state}`` (forward) or ``{state: [keys]}`` (inverse)
    as written; ``colors`` maps state -> colour value as written.
    """

    keymap: dict[str, Any]
    colors: dict[str, Any]
    actions: dict[str, Any]
    description: str
    where: Where


def read_text(path: Path) -> str:
    """The file's text, or a one-line LoupeConfigError naming it."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise LoupeConfigError(f"{path}: keymap file not found") from None
    except IsADirectoryError:
        raise LoupeConfigError(f"{path}: is a directory, not a keymap file") from None
    except OSError as exc:
        raise LoupeConfigError(f"{path}: cannot read keymap file ({exc.strerror or exc})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LoupeConfigError(f"{path}:{line}: not UTF-8 text") from None


def guess_format(path: Path, text: str) -> str:
    """``"toml"`` or ``"json"`` from the suffix, else from the first character."""
    suffix = path.suffix.lower()
    if suffix in (".toml", ".json"):
        return suffix[1:]
    return "json" if text.lstrip().startswith("{") else "toml"


def parse_text(text: str, fmt: str, source: str) -> RawKeymap:
    """Parse keymap text (``fmt`` is ``"toml"`` or ``"json"``) into :class:`RawKeymap`."""
    if fmt == "toml":
        return _parse_toml(text, source)
    if fmt == "json":
        return _parse_json(text, source)
    raise LoupeConfigError(f"{source}: unknown keymap format {fmt!r} (use toml or json)")


def _parse_toml(text: str, source: str) -> RawKeymap:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        reason = re.sub(r"\s*\(at .*\)$", "", msg)
        if m:
            raise LoupeConfigError(f"{source}:{m.group(1)}:{m.group(2)}: TOML syntax error: {reason}") from None
        last = text.count("\n") + 1
        raise LoupeConfigError(f"{source}:{last}: TOML syntax error: {reason}") from None
    where = Where(source, text, "toml")
    for name in doc:
        if name not in _TOML_TOP:
            raise where.error(f"unknown top-level entry {name!r} (expected: {', '.join(_TOML_TOP)})", name)
    description = doc.get("description", "")
    if not isinstance(description, str):
        raise where.error("'description' must be a string", "description")
    states = doc.get("states", {})
    if not isinstance(states, dict):
        raise where.error("'states' must be a table: [states.<name>] with keys = [...] and color = ...", "states")
    keymap: dict[str, Any] = {}
    colors: dict[str, Any] = {}
    for state, spec in states.items():
        if not isinstance(spec, dict):
            raise where.error(f"state {state!r} must be a table with 'keys' and 'color' "
                              f"(e.g. [states.{state}] keys = [\"w\"] color = \"#00d128\")", *where.state(state))
        for fld in spec:
            if fld not in _TOML_STATE_FIELDS:
                raise where.error(f"state {state!r}: unknown field {fld!r} (expected keys, color)",
                                  *where.state(state), fld)
        if "color" in spec and "colour" in spec:
            raise where.error(f"state {state!r}: give either 'color' or 'colour', not both", *where.color(state))
        keys = spec.get("keys", [])
        if isinstance(keys, str):
            keys = [keys]
        if not isinstance(keys, list):
            raise where.error(f"state {state!r}: 'keys' must be a list of strings", *where.state(state), "keys")
        keymap[state] = keys
        if "color" in spec or "colour" in spec:
            colors[state] = spec.get("color", spec.get("colour"))
    actions = doc.get("actions", {})
    if not isinstance(actions, dict):
        raise where.error("'actions' must be a table of action id = [keys]", "actions")
    return RawKeymap(keymap, colors, _flatten_actions(actions, where), description, where)


def _flatten_actions(table: dict[str, Any], where: Where, prefix: str = "") -> dict[str, Any]:
    # `nav.page_next = [...]` without quotes is a dotted key, i.e. a nested table
    out: dict[str, Any] = {}
    for name, value in table.items():
        full = f"{prefix}{name}"
        if isinstance(value, dict):
            out.update(_flatten_actions(value, where, f"{full}."))
        else:
            out[full] = value
    return out


def _parse_json(text: str, source: str) -> RawKeymap:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for k, v in pairs:
            if k in seen:
                dup.append(k)
            seen[k] = v
        return seen

    dup: list[str] = []
    try:
        doc = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        raise LoupeConfigError(f"{source}:{exc.lineno}:{exc.colno}: JSON syntax error: {exc.msg}") from None
    except RecursionError:
        raise LoupeConfigError(f"{source}: JSON nested too deeply") from None
    where = Where(source, text, "json")
    if dup:
        line = _nth_line(text, dup[0])
        at = f"{source}:{line}" if line else source
        raise LoupeConfigError(f"{at}: {dup[0]!r} appears twice in one JSON object (the later one would silently win)")
    return _from_doc(doc, where)


def _from_doc(doc: Any, where: Where) -> RawKeymap:
    if not isinstance(doc, Mapping):
        raise where.error("state definitions must be an object with 'keymap' and 'label_colors'")
    for name in doc:
        if not isinstance(name, str) or (name not in _JSON_TOP and not name.startswith("_")):
            raise where.error(f"unknown top-level entry {name!r} (expected: {', '.join(_JSON_TOP)})", str(name))
    parts: dict[str, dict[str, Any]] = {}
    for name in ("keymap", "label_colors", "actions"):
        value = doc.get(name, {})
        if value is None:
            value = {}
        if not isinstance(value, Mapping):
            raise where.error(f"{name!r} must be an object (a dict)", name)
        parts[name] = dict(value)
    description = doc.get("description", "")
    if not isinstance(description, str):
        raise where.error("'description' must be a string", "description")
    km = parts["keymap"]
    where.forward = bool(km) and all(isinstance(v, str) for v in km.values())
    return RawKeymap(km, parts["label_colors"], parts["actions"], description, where)


def _nth_line(text: str, key: str) -> int | None:
    """Line of the second occurrence of the quoted ``key`` (the duplicate)."""
    hits = [m.start() for m in re.finditer(re.escape(json.dumps(key)), text)]
    return text.count("\n", 0, hits[1]) + 1 if len(hits) > 1 else None


def load_raw(path: str | Path) -> RawKeymap:
    """Read and parse a keymap file (TOML or JSON) into :class:`RawKeymap`."""
    p = Path(path)
    text = read_text(p)
    return parse_text(text, guess_format(p, text), str(p))


def mapping_raw(doc: Mapping[str, Any], source: str) -> RawKeymap:
    """A Loupe-style dict (``{"keymap": ..., "label_colors": ...}``) as :class:`RawKeymap`."""
    return _from_doc(doc, Where(source))


# -- where keymaps live -----------------------------------------------------
def user_keymap_path() -> Path | None:
    """The user's keymap file (``keymap.toml`` first, then ``state_definitions.json``), if any."""
    for name in USER_FILES:
        p = user_config_dir() / name
        if p.is_file():
            return p
    return None


def _bundled_dirs() -> list[Path]:
    import loupe_tui  # the package root; keymaps/ sits inside it in a wheel, beside it in the repo

    pkg = Path(loupe_tui.__file__).parent
    return [pkg / "keymaps", pkg.parent / "keymaps"]


def bundled_keymaps() -> dict[str, Path]:
    """``{name: path}`` of the keymaps shipped with loupe-tui, sorted by name."""
    found: dict[str, Path] = {}
    for d in _bundled_dirs():
        if d.is_dir():
            for p in sorted(d.glob("*.toml")):
                found.setdefault(p.stem, p)
    return dict(sorted(found.items()))


def bundled_keymap(name: str) -> Path:
    """Path of the bundled keymap ``name`` (with or without ``.toml``)."""
    stem = name[:-5] if name.endswith(".toml") else name
    found = bundled_keymaps()
    if stem not in found:
        raise LoupeConfigError(f"no bundled keymap {name!r} (bundled: {', '.join(found) or 'none'})")
    return found[stem]


def find_keymap(spec: str | Path) -> Path:
    """A keymap path from a path or a bundled keymap name (``"rodent_sleep"``)."""
    p = Path(spec).expanduser()
    if p.exists() or isinstance(spec, Path) or os.sep in str(spec):
        return p
    if str(spec).removesuffix(".toml") in bundled_keymaps():
        return bundled_keymap(str(spec))
    return p  # reading it will say "not found" with the path
