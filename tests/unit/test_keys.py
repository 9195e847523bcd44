"""Key notation: user spellings, Textual names, display."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loupe_tui.core.keys import (NAMED_KEYS, display, from_cursor_report, from_textual, is_canonical, make_key,
                                 normalize_key, to_textual, to_textual_event)
from loupe_tui.errors import LoupeConfigError


@pytest.mark.parametrize("text, canonical", [
    ("w", "w"), ("W", "W"), ("shift+w", "W"), ("Shift+W", "W"), ("S-w", "W"),
    ("Ctrl+S", "ctrl+s"), ("C-s", "ctrl+s"), ("control-s", "ctrl+s"), ("ctrl+S", "ctrl+s"),
    ("PgUp", "pageup"), ("Page_Up", "pageup"), ("page-down", "pagedown"), ("PgDn", "pagedown"),
    ("Esc", "escape"), ("Return", "enter"), ("Enter", "enter"), ("Del", "delete"), ("BS", "backspace"),
    ("?", "?"), ("question_mark", "?"), ("[", "["), ("left_square_bracket", "["), ("bracketright", "]"),
    ("Ctrl+Shift+N", "ctrl+shift+n"), ("shift+ctrl+n", "ctrl+shift+n"), ("ctrl+N", "ctrl+n"),
    (" ", "space"), ("Space", "space"), ("F1", "f1"), ("f12", "f12"),
    ("+", "+"), ("plus", "+"), ("ctrl++", "ctrl++"), ("-", "-"), ("minus", "-"), ("C--", "ctrl+-"),
    ("full_stop", "."), ("comma", ","), ("colon", ":"), ("less_than_sign", "<"),
    ("alt+shift+ctrl+pagedown", "ctrl+alt+shift+pagedown"), ("M-x", "alt+x"), ("Meta+x", "alt+x"),
    ("Alt+W", "alt+w"), ("alt+shift+w", "alt+shift+w"), ("shift+tab", "shift+tab"),
    ("ctrl+shift+1", "ctrl+shift+1"), ("S-Left", "shift+left"), ("0", "0"), ("é", "é"),
])
def test_normalize_key_spellings(text, canonical):
    assert normalize_key(text) == canonical
    assert normalize_key(canonical) == canonical
    assert is_canonical(canonical)


@pytest.mark.parametrize("bad, says", [
    ("", "empty"), ("   ", "empty"), ("foo", "unknown key name"), ("pageupp", "did you mean 'pageup'"),
    ("hyper+x", "unknown modifier"), ("ctrl+", "no key"), ("shift+1", "character that Shift types"),
    ("\x01", "not a printable"), ("\t", "empty"), (5, "must be a string"),
])
def test_normalize_key_rejects_nonsense(bad, says):
    with pytest.raises(LoupeConfigError, match=None) as info:
        normalize_key(bad)
    assert says in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("canonical, shown", [
    ("ctrl+s", "Ctrl+S"), ("pagedown", "PgDn"), ("pageup", "PgUp"), ("[", "["), ("W", "W"), ("w", "w"),
    ("ctrl+shift+n", "Ctrl+Shift+N"), ("escape", "Esc"), ("space", "Space"), ("f1", "F1"),
    ("shift+f3", "Shift+F3"), ("ctrl++", "Ctrl++"),
])
def test_display(canonical, shown):
    assert display(canonical) == shown


def test_make_key_for_glfw():
    assert make_key("w", shift=True) == "W"
    assert make_key("n", ctrl=True, shift=True) == "ctrl+shift+n"
    assert make_key("?", shift=True) == "?"  # glfw's char callback already applied Shift
    assert make_key("pagedown", alt=True) == "alt+pagedown"


# -- Textual ---------------------------------------------------------------
textual_keys = pytest.importorskip("textual.keys")
ALL_CHARS = [c for c in string.printable if c.isprintable() and c != " "] + ["é", "§", "ß", "€", "£"]


def test_character_names_match_textual():
    """Our copy of Textual's key-name rules must agree with Textual itself."""
    from loupe_tui.core import keys

    for c in ALL_CHARS:
        assert keys._character_name(c) == textual_keys._character_to_key(c), c
    assert keys.TEXTUAL_NAME_REPLACEMENTS == textual_keys.KEY_NAME_REPLACEMENTS
    values = {k.value for k in textual_keys.Keys}
    assert set(NAMED_KEYS) - {"space", "enter", "tab", "backspace"} <= values  # the last four are aliases
    assert {"space", "enter", "tab", "backspace"} <= values


@pytest.mark.parametrize("char", ALL_CHARS)
def test_textual_round_trip_of_characters(char):
    from textual.binding import BindingsMap

    name = textual_keys._character_to_key(char)
    assert from_textual(name, char) == char
    assert from_textual(name, None) == char
    canon = normalize_key(char)
    # what Textual turns a BINDINGS entry into is what to_textual gives
    # ("," separates keys in a BINDINGS string, so Textual itself needs "comma")
    (binding,) = BindingsMap([(char if char != "," else "comma", "x")]).key_to_bindings
    assert to_textual(canon) == binding


@pytest.mark.parametrize("seq, canonical", [
    ("\x1b[110;6u", "ctrl+shift+n"),   # kitty protocol Ctrl+Shift+N
    ("\x1b[119;2u", "W"),              # kitty Shift+W without text
    ("\x1b[119;2;87u", "W"),           # kitty Shift+W with text
    ("W", "W"), ("[", "["), ("?", "?"), ("+", "+"), ("-", "-"), (" ", "space"),
    ("\x1b[5~", "pageup"), ("\x1b[6~", "pagedown"), ("\x1b[1;2D", "shift+left"),
    ("\x1b[49;6u", "ctrl+shift+1"), ("\x0e", "ctrl+n"), ("\x7f", "backspace"), ("\r", "enter"),
    ("\t", "tab"), ("\x1b[Z", "shift+tab"), ("\x1b[1;5A", "ctrl+up"), ("\x13", "ctrl+s"),
    ("\x1bOP", "f1"), ("\x1b[13;2~", "shift+f3"),
])
def test_textual_parser_events_map_to_canonical(seq, canonical):
    """Bytes a terminal sends -> Textual's key event -> our canonical key."""
    from textual._xterm_parser import XTermParser

    parser = XTermParser()
    events = [e for e in [*parser.feed(seq), *parser.tick()] if hasattr(e, "key")]
    if not events:
        pytest.skip(f"this Textual does not parse {seq!r} on its own")
    assert from_textual(events[0].key, events[0].character) == canonical


def _parse(seq: str):
    from textual._xterm_parser import XTermParser

    parser = XTermParser()
    return [*parser.feed(seq), *parser.tick()]


def test_ctrl_h_and_backspace_are_told_apart_by_the_character():
    """Both bytes are Textual's "backspace"; only \x7f is the Backspace key (tmux/xterm/VTE send
    \x08 for Ctrl+H and for a Ctrl+Shift+H they cannot report)."""
    (bs,), (ctrl_h,) = _parse("\x7f"), _parse("\x08")
    assert (bs.key, bs.character) == ("backspace", "\x7f") and (ctrl_h.key, ctrl_h.character) == ("backspace", "\x08")
    assert from_textual(bs.key, bs.character) == "backspace"
    assert from_textual(ctrl_h.key, ctrl_h.character) == "ctrl+h"
    (kitty,) = _parse("\x1b[104;5u")                     # kitty protocol: exact
    assert from_textual(kitty.key, kitty.character) == "ctrl+h"


def test_shift_f3_arrives_as_a_cursor_report_and_is_recovered():
    """xterm/tmux send Shift+F3 as ESC[1;2R, which Textual 8 parses as a cursor position report."""
    from textual import events

    (ev,) = _parse("\x1b[1;2R")
    assert isinstance(ev, events.CursorPosition) and (ev.x, ev.y) == (1, 0)
    assert from_cursor_report(ev.x, ev.y) == "shift+f3"
    (ev,) = _parse("\x1b[1;5R")
    assert from_cursor_report(ev.x, ev.y) == "ctrl+f3"
    assert from_cursor_report(10, 20) is None           # a real position report (never asked for)


@pytest.mark.parametrize("textual_key, canonical", [
    ("f13", "shift+f1"), ("f15", "shift+f3"), ("f24", "shift+f12"), ("ctrl+f15", "ctrl+shift+f3"), ("f12", "f12"),
])
def test_f13_to_f24_are_shift_f1_to_f12(textual_key, canonical):
    assert from_textual(textual_key, None) == canonical
    assert normalize_key(textual_key.upper()) == canonical


@pytest.mark.parametrize("canonical", ["w", "W", "?", "[", ":", "space", "enter", "escape", "tab", "shift+tab",
                                       "backspace", "ctrl+h", "ctrl+s", "alt+l", "shift+f3", "pagedown", "ctrl+1"])
def test_window_keys_become_the_textual_event_a_terminal_sends(canonical):
    key, character = to_textual_event(canonical)
    assert from_textual(key, character) == canonical
    if canonical in ("w", "space", "enter", "escape", "backspace"):
        assert character == {"w": "w", "space": " ", "enter": "\r", "escape": "\x1b", "backspace": "\x7f"}[canonical]


@pytest.mark.parametrize("textual_key, character, canonical", [
    ("alt+ctrl+x", None, "ctrl+alt+x"), ("alt+shift+w", None, "alt+shift+w"), ("shift+w", "W", "W"),
    ("ctrl+@", None, "ctrl+space"), ("return", None, "enter"),
    ("super+x", None, "super+x"), ("media_play", None, "media_play"),  # no canonical: unchanged
])
def test_from_textual_special_cases(textual_key, character, canonical):
    assert from_textual(textual_key, character) == canonical


@pytest.mark.parametrize("canonical", ["ctrl+alt+shift+x", "alt+pagedown", "ctrl+shift+n", "shift+tab",
                                       "W", "ctrl+[", "ctrl++", "space", "f5", "shift+f3"])
def test_to_textual_round_trip(canonical):
    assert from_textual(to_textual(canonical)) == canonical


# -- fuzzing -----------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(st.text(max_size=20))
def test_normalize_key_raises_only_config_errors_and_is_idempotent(text):
    try:
        key = normalize_key(text)
    except LoupeConfigError as exc:
        assert "\n" not in str(exc).replace(repr(text), "")
        return
    assert normalize_key(key) == key
    assert from_textual(to_textual(key)) == key
    display(key)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["ctrl", "alt", "shift", "Ctrl", "C", "M", "S", "meta"]), max_size=3),
       st.sampled_from(list(NAMED_KEYS) + list("aZ19[]?+-.,;")), st.sampled_from(["+", "-"]))
def test_normalize_key_modifier_combinations(mods, base, sep):
    text = sep.join([*mods, base]) if mods else base
    try:
        key = normalize_key(text)
    except LoupeConfigError:
        return
    assert normalize_key(key) == key
    parts = key.split("+")[:-1] if not key.endswith("++") else key[:-2].split("+")
    order = ["ctrl", "alt", "shift"]
    assert [p for p in parts if p] == [m for m in order if m in parts]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=15), st.one_of(st.none(), st.text(max_size=2)))
def test_from_textual_never_raises(key, character):
    assert isinstance(from_textual(key, character), str)
