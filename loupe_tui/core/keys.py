"""Key notation: one canonical string per key.

The keymap files, the terminal app (Textual) and the GL window (glfw) all speak
this notation, so a key read from any of them can be looked up in one table.

Canonical form
--------------
* A printable character is itself, case-sensitive: ``w`` and ``W`` differ,
  ``[`` is ``[``. The one exception is the space bar, spelled ``space``.
* Named keys are lowercase: ``pageup pagedown home end insert delete left
  right up down enter escape tab backspace space f1 .. f24``.
* Modifiers come first, in the fixed order ``ctrl+alt+shift+<key>``.
* Shift alone on a letter is folded into the letter (``shift+w`` -> ``W``).
  With Ctrl or Alt the letter is lowercase and Shift is explicit
  (``Ctrl+Shift+N`` -> ``ctrl+shift+n``; ``Ctrl+S`` -> ``ctrl+s``), because
  that is how menus and manuals write such keys.
* ``f13`` .. ``f24`` are ``shift+f1`` .. ``shift+f12`` (xterm's and
  terminfo's convention: many terminals report Shift+F1 as F13).

Terminals without full modifier reporting (tmux, xterm, VTE: see
``docs/tui.md``) send Ctrl+H and Backspace as two different bytes, ``\x08``
and ``\x7f``, which Textual both names ``backspace``; :func:`from_textual`
tells them apart by the character, so ``\x08`` (also what Ctrl+Shift+H
degrades to) is ``ctrl+h`` and never deletes a label.

This module must not import Textual (``loupe_tui.core`` stays headless): the
few Textual key names it needs are copied as data, and a test compares them
with Textual's own table.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

from loupe_tui.errors import LoupeConfigError

MODIFIERS: tuple[str, ...] = ("ctrl", "alt", "shift")

NAMED_KEYS: tuple[str, ...] = (
    "pageup", "pagedown", "home", "end", "insert", "delete", "left", "right", "up", "down",
    "enter", "escape", "tab", "backspace", "space", *(f"f{i}" for i in range(1, 25)),
)

# User spellings of modifiers (lowercased); "meta"/"option" are Alt on the
# keyboards our users have (Linux terminals, macOS Terminal with Option-as-Meta).
_MODIFIER_ALIASES: dict[str, str] = {
    "ctrl": "ctrl", "control": "ctrl", "ctl": "ctrl", "c": "ctrl",
    "alt": "alt", "meta": "alt", "option": "alt", "opt": "alt", "m": "alt", "a": "alt",
    "shift": "shift", "s": "shift",
}

# User spellings of named keys, compared after lowercasing and dropping "_", "-"
# and spaces (so "Page_Up", "page-up" and "PgUp" all land here).
_NAMED_ALIASES: dict[str, str] = {
    "pgup": "pageup", "prior": "pageup", "pgdn": "pagedown", "pgdown": "pagedown", "next": "pagedown",
    "esc": "escape", "return": "enter", "ret": "enter", "cr": "enter", "kpenter": "enter",
    "del": "delete", "ins": "insert", "bs": "backspace", "bksp": "backspace",
    "spc": "space", "spacebar": "space", "arrowleft": "left", "arrowright": "right",
    "arrowup": "up", "arrowdown": "down",
    **{name: name for name in NAMED_KEYS},
}

# Names of punctuation keys: Textual's names (derived from Unicode names, see
# ``_character_name``) plus common X11 keysym and everyday names.
_CHAR_ALIASES: dict[str, str] = {
    "plus": "+", "minus": "-", "dash": "-", "hyphen": "-", "equal": "=", "equals": "=",
    "period": ".", "dot": ".", "comma": ",", "colon": ":", "semicolon": ";",
    "slash": "/", "backslash": "\\", "question": "?", "exclam": "!", "bang": "!",
    "at": "@", "hash": "#", "pound": "#", "dollar": "$", "percent": "%", "caret": "^",
    "ampersand": "&", "asterisk": "*", "star": "*", "underscore": "_",
    "bracketleft": "[", "lbracket": "[", "bracketright": "]", "rbracket": "]",
    "braceleft": "{", "lbrace": "{", "braceright": "}", "rbrace": "}",
    "parenleft": "(", "lparen": "(", "parenright": ")", "rparen": ")",
    "less": "<", "greater": ">", "lt": "<", "gt": ">", "bar": "|", "pipe": "|",
    "apostrophe": "'", "quote": "'", "quotedbl": '"', "doublequote": '"',
    "grave": "`", "backtick": "`", "tilde": "~",
}

# Textual turns a punctuation character into a key name from its Unicode name,
# then replaces a few obscure names (copied from ``textual.keys``).
TEXTUAL_NAME_REPLACEMENTS: dict[str, str] = {
    "solidus": "slash",
    "reverse_solidus": "backslash",
    "commercial_at": "at",
    "hyphen_minus": "minus",
    "plus_sign": "plus",
    "low_line": "underscore",
}
_TEXTUAL_REPLACED = {v: k for k, v in TEXTUAL_NAME_REPLACEMENTS.items()}

# Textual event names that are not characters and differ from ours.
_TEXTUAL_SPECIAL: dict[str, str] = {"return": "enter", "ctrl+@": "ctrl+space",  # NUL: what Ctrl+Space sends
                                    "ctrl+space": "ctrl+space", "newline": "ctrl+j"}

_DISPLAY: dict[str, str] = {
    "pageup": "PgUp", "pagedown": "PgDn", "escape": "Esc", "delete": "Del", "insert": "Ins",
    "backspace": "Backspace", "enter": "Enter", "tab": "Tab", "space": "Space",
    "home": "Home", "end": "End", "left": "Left", "right": "Right", "up": "Up", "down": "Down",
}

_EMACS = re.compile(r"^((?:(?:ctrl|control|alt|meta|shift|[CMASs])-)+)(.+)$", re.IGNORECASE)


def _squash(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "").replace(" ", "")


def _character_name(char: str) -> str:
    """Textual's key name of a single character (mirrors ``textual.keys._character_to_key``)."""
    if char.isalnum():
        return char
    try:
        name = unicodedata.name(char).lower().replace("-", "_").replace(" ", "_")
    except ValueError:
        name = {"\t": "tab"}.get(char, char)
    return TEXTUAL_NAME_REPLACEMENTS.get(name, name)


# Unicode names with hyphens ("HYPHEN-MINUS") cannot be rebuilt from the
# underscore form, so ASCII punctuation gets an explicit reverse table.
_NAME_TO_CHAR: dict[str, str] = {
    _character_name(chr(c)): chr(c) for c in range(33, 127) if not chr(c).isalnum()}


def _character_from_name(name: str) -> str | None:
    """Inverse of :func:`_character_name` for punctuation names, else ``None``."""
    if name in _NAME_TO_CHAR:
        return _NAME_TO_CHAR[name]
    words = _TEXTUAL_REPLACED.get(name, name).upper().split("_")
    if len(words) > 8:
        return None
    # Textual turned both " " and "-" into "_": try each gap both ways
    for mask in range(1 << (len(words) - 1)):
        candidate = words[0] + "".join(("-" if mask >> i & 1 else " ") + w for i, w in enumerate(words[1:]))
        try:
            char = unicodedata.lookup(candidate)
        except (KeyError, ValueError):
            continue
        if len(char) == 1 and char.isprintable() and not char.isspace():
            return char
    return None


# F13..F24 are Shift+F1..F12 (xterm, terminfo kf13..kf24): one canonical spelling.
_SHIFTED_F = {f"f{i + 12}": f"f{i}" for i in range(1, 13)}

#: What the Ctrl+H byte (and a degraded Ctrl+Shift+H) arrives as; Backspace sends ``\x7f``.
CTRL_H_CHARACTER = "\x08"


def _base_key(token: str, original: str) -> str:
    """Canonical base key (no modifiers) for one user token, or raise."""
    if len(token) == 1:
        if token == " ":
            return "space"
        if not token.isprintable() or token.isspace():
            raise LoupeConfigError(f"key {original!r}: {token!r} is not a printable key")
        return token
    squashed = _squash(token)
    if squashed in _NAMED_ALIASES:
        return _NAMED_ALIASES[squashed]
    if squashed in _CHAR_ALIASES:
        return _CHAR_ALIASES[squashed]
    char = _character_from_name(token.lower().replace("-", "_").replace(" ", "_"))
    if char is not None:
        return char
    hint = difflib.get_close_matches(squashed, [*_NAMED_ALIASES, *_CHAR_ALIASES], n=1)
    extra = f" (did you mean {hint[0]!r}?)" if hint else ""
    raise LoupeConfigError(f"key {original!r}: unknown key name {token!r}{extra}")


def _split(text: str) -> tuple[list[str], str]:
    """Split a user key string into modifier tokens and the base token."""
    m = _EMACS.match(text)
    if m and len(text) > 2:
        return [p for p in m.group(1).split("-") if p], m.group(2)
    if text == "+" or "+" not in text:
        return [], text
    if text.endswith("++"):
        return text[:-2].split("+"), "+"
    head, _, base = text.rpartition("+")
    return head.split("+"), base


def _combine(mods: set[str], base: str, original: str, *, strict: bool) -> str:
    """Apply the folding rules (see module docstring) and order the modifiers."""
    if base in _SHIFTED_F:
        mods, base = mods | {"shift"}, _SHIFTED_F[base]
    if len(base) == 1 and base.lower() != base.upper() and len(base.upper()) == 1:
        if mods & {"ctrl", "alt"}:
            if base.isupper():  # "ctrl+N" means the key N, typed with Shift held
                mods = mods | ({"shift"} if not strict else set())
            base = base.lower()
        elif "shift" in mods:
            mods, base = mods - {"shift"}, base.upper()
    elif len(base) == 1 and "shift" in mods and not mods & {"ctrl", "alt"}:
        if strict:
            raise LoupeConfigError(
                f"key {original!r}: write the character that Shift types (e.g. '!' or '?') instead of shift+{base}")
        mods = mods - {"shift"}
    return "+".join([m for m in MODIFIERS if m in mods] + [base])


def normalize_key(text: str) -> str:
    """Return the canonical spelling of a key written by a user.

    Parameters
    ----------
    text : str
        e.g. ``"Ctrl+S"``, ``"C-s"``, ``"PgUp"``, ``"Page_Up"``, ``"Esc"``,
        ``"Return"``, ``"?"``, ``"question_mark"``, ``"["``,
        ``"left_square_bracket"``, ``"Ctrl+Shift+N"``, ``" "``.

    Returns
    -------
    str
        The canonical key, e.g. ``"ctrl+s"``, ``"pageup"``, ``"?"``, ``"ctrl+shift+n"``, ``"space"``.

    Raises
    ------
    LoupeConfigError
        When ``text`` is not a key (empty, unknown name, unknown modifier, ...).
    """
    if not isinstance(text, str):
        raise LoupeConfigError(f"key {text!r}: a key must be a string")
    if text == " ":
        return "space"
    s = text.strip()
    if not s:
        raise LoupeConfigError(f"key {text!r}: empty key")
    mod_tokens, base_token = _split(s)
    mods: set[str] = set()
    for tok in mod_tokens:
        name = tok.strip().lower()
        if name not in _MODIFIER_ALIASES:
            raise LoupeConfigError(f"key {text!r}: unknown modifier {tok!r} (use ctrl, alt, shift)")
        mods.add(_MODIFIER_ALIASES[name])
    base_token = base_token if len(base_token) == 1 else base_token.strip()
    if not base_token:
        raise LoupeConfigError(f"key {text!r}: no key after the modifiers")
    return _combine(mods, _base_key(base_token, text), text, strict=True)


def make_key(base: str, *, ctrl: bool = False, alt: bool = False, shift: bool = False) -> str:
    """Canonical key from a base key and modifier flags (for the GL window's glfw events).

    A Shift flag on a non-letter character is dropped, because the character
    already says what Shift produced (glfw reports ``'?'`` with Shift held).
    """
    mods = {m for m, on in (("ctrl", ctrl), ("alt", alt), ("shift", shift)) if on}
    return _combine(mods, _base_key(base, base), base, strict=False)


def from_textual(key: str, character: str | None = None) -> str:
    """Canonical key for a Textual key event (``event.key``, ``event.character``).

    Never raises: an event that has no canonical spelling (``super+x``,
    ``media_play``) is returned unchanged, so it simply matches no binding.
    """
    parts = key.split("+")
    mods = [p for p in parts[:-1] if p]
    base = parts[-1] if key != "+" else "+"
    if key.endswith("++"):
        mods, base = [p for p in key[:-2].split("+") if p], "+"
    if any(m not in MODIFIERS for m in mods):
        return key
    if key in _TEXTUAL_SPECIAL:
        return _TEXTUAL_SPECIAL[key]
    if key == "backspace" and character == CTRL_H_CHARACTER:
        return "ctrl+h"   # the Backspace key sends \x7f; \x08 is Ctrl+H (or a degraded Ctrl+Shift+H)
    if (character and len(character) == 1 and character.isprintable() and not character.isspace()
            and "ctrl" not in mods and "alt" not in mods):
        return character
    if len(base) != 1:
        if base in _TEXTUAL_SPECIAL:
            base = _TEXTUAL_SPECIAL[base]
        elif base not in _NAMED_ALIASES:
            char = _character_from_name(base)
            if char is None:
                return key
            base = char
        else:
            base = _NAMED_ALIASES[base]
    return _combine(set(mods), base, key, strict=False)


def to_textual(canonical: str) -> str:
    """Textual ``BINDINGS`` key string for a canonical key (``'['`` -> ``'left_square_bracket'``).

    Textual writes modifiers in alphabetical order (``alt+ctrl+shift``), which
    is what its kitty-protocol parser produces, so bindings match events.
    """
    mods, base = _split_canonical(canonical)
    name = base if len(base) != 1 else _character_name(base)
    return "+".join(sorted(mods) + [name])


def from_cursor_report(x: int, y: int) -> str | None:
    """The key behind a cursor position report nobody asked for, or None.

    xterm-style terminals (and tmux) send Shift/Ctrl/Alt+F3 as ``ESC [ 1 ; m R``,
    which is also the answer to a cursor position query, so Textual reports it
    as a ``CursorPosition(x=m-1, y=0)`` event instead of a key. A full-screen
    app never asks for the cursor position, so such a report is modifier+F3.
    """
    if y != 0 or not 1 <= x <= 7:
        return None
    return make_key("f3", shift=bool(x & 1), alt=bool(x & 2), ctrl=bool(x & 4))


_EVENT_CHARACTERS = {"space": " ", "enter": "\r", "tab": "\t", "backspace": "\x7f", "escape": "\x1b"}


def to_textual_event(canonical: str) -> tuple[str, str | None]:
    """``(key, character)`` of the Textual key event a terminal would deliver for ``canonical``.

    For keys from the GL window that must act exactly as if typed in the
    terminal (into a prompt, a dialog, the label table): ``from_textual`` of
    the result gives ``canonical`` back.
    """
    name = to_textual(canonical)
    if canonical in _EVENT_CHARACTERS:
        return name, _EVENT_CHARACTERS[canonical]
    mods, base = _split_canonical(canonical)
    return name, (base if len(base) == 1 and not mods else None)


def display(canonical: str) -> str:
    """Short human spelling for help screens and the footer (``'ctrl+s'`` -> ``'Ctrl+S'``)."""
    mods, base = _split_canonical(canonical)
    if base in _DISPLAY:
        shown = _DISPLAY[base]
    elif len(base) > 1:  # f1..f24
        shown = base.upper()
    else:
        shown = base.upper() if mods else base
    return "+".join([m.capitalize() for m in mods] + [shown])


def _split_canonical(canonical: str) -> tuple[list[str], str]:
    if canonical.endswith("++"):
        return canonical[:-2].split("+") if len(canonical) > 2 else [], "+"
    if canonical == "+":
        return [], "+"
    *mods, base = canonical.split("+")
    return mods, base


def is_canonical(text: str) -> bool:
    """True when ``text`` is already in canonical form."""
    try:
        return normalize_key(text) == text
    except LoupeConfigError:
        return False
