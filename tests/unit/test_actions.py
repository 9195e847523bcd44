"""The action registry: complete, consistent, clash-free, documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from loupe_tui.core.actions import (ACTIONS, GROUPS, action_ids, actions_by_group, default_action_keys,
                                    get_action, suggest_action)
from loupe_tui.core.keys import display, is_canonical
from loupe_tui.core.states import StateConfig, bundled_keymaps

DOCS = Path(__file__).resolve().parents[2] / "docs" / "keymaps.md"

# What the terminal scorer needs (the spec's list); ids are a stable interface.
REQUIRED = {
    "nav.page_next": ("]", "pagedown"), "nav.page_prev": ("[", "pageup"), "nav.goto_time": ("g",),
    "labels.clear": ("0",), "labels.delete_last": ("backspace",), "labels.undo": ("ctrl+z",),
    "labels.redo": ("ctrl+y",), "labels.note": ("ctrl+shift+n",), "labels.save": ("ctrl+s",),
    "nav.epoch_jumper": ("ctrl+j",), "app.help": ("f1", "?"), "view.hypnogram": ("h",),
    "view.hypnogram_zoom": ("z",), "view.label_strip": ("ctrl+l",), "view.label_overlays": ("ctrl+shift+l",),
    "view.y_scale": ("ctrl+d",), "view.y_zoom_in": ("ctrl+1",), "view.y_zoom_out": ("ctrl+2",),
    "view.dense_controls": ("ctrl+g",), "view.heatmap_controls": ("ctrl+shift+h",),
    "view.raster_controls": ("ctrl+shift+r",), "video.frame_next": ("right",), "video.frame_prev": ("left",),
    "video.play_pause": ("space",), "app.palette": ("ctrl+p",), "app.command_line": (":",),
    **{f"video.toggle_{i}": (f"ctrl+shift+{i}",) for i in range(1, 10)},
}
OTHERS = ["nav.epoch_next", "nav.epoch_prev", "nav.window_longer", "nav.window_shorter",
          "score.set_epoch_length", "score.toggle_auto_advance", "sel.mark_start", "sel.extend_next",
          "sel.extend_fine_next", "nav.next_unscored", "nav.next_change", "nav.prev_change",
          "nav.match_next", "nav.match_prev", "labels.export", "view.focus_next", "video.cycle_target",
          "view.restart_gl", "app.keymap", "app.quit"]


def test_ids_unique_groups_known_keys_canonical():
    assert len(action_ids()) == len(ACTIONS)
    for a in ACTIONS:
        assert a.group in GROUPS
        assert a.id.count(".") == 1 and a.id == a.id.lower()
        assert a.description  # keys may be empty: menu-only dialogs are reached from the palette and ':'
        assert all(is_canonical(k) for k in a.keys), a


def test_required_actions_with_loupe_defaults():
    for aid, keys in REQUIRED.items():
        assert set(keys) <= set(get_action(aid).keys), aid
    for aid in OTHERS:
        get_action(aid)


def test_default_keys_never_clash_with_each_other():
    owners: dict[str, str] = {}
    for a in ACTIONS:
        for k in a.keys:
            assert k not in owners, f"{k} bound to {owners.get(k)} and {a.id}"
            owners[k] = a.id


def test_letters_and_digits_left_for_states():
    single = {k for a in ACTIONS for k in a.keys if len(k) == 1 and k.isalnum()}
    assert single == {"g", "h", "z", "0"}


def test_bundled_keymaps_never_clash_with_actions():
    assert set(bundled_keymaps()) >= {"rodent_sleep", "aasm_human", "behaviour"}
    for path in bundled_keymaps().values():
        cfg = StateConfig.from_file(path)  # raises on any clash
        assert not set(cfg.keymap) & set(cfg.key_to_action)


def test_groups_and_lookup():
    groups = actions_by_group()
    assert list(groups) == list(GROUPS)
    assert sum(len(v) for v in groups.values()) == len(ACTIONS)
    assert default_action_keys()["nav.page_next"] == ("]", "pagedown")
    with pytest.raises(KeyError, match="did you mean 'nav.page_next'"):
        get_action("nav.page_nxt")
    assert suggest_action("page_next") == "nav.page_next"
    assert suggest_action("zzzzzzzz") is None


def test_docs_list_every_action_with_its_default_keys():
    text = DOCS.read_text(encoding="utf-8")
    for a in ACTIONS:
        row = next((line for line in text.splitlines() if line.startswith(f"| `{a.id}`")), None)
        assert row is not None, f"{a.id} missing from docs/keymaps.md"
        for k in a.keys:
            assert f"`{display(k)}`" in row, f"{a.id}: key {display(k)} missing from its docs row"


# -- terminals without full modifier reporting ------------------------------------------------
# What tmux (3.3, measured with `tmux send-keys`), xterm and VTE (the Xlib convention for Ctrl
# with digits) send for a chord they cannot report, as bytes; [] = nothing arrives (tmux drops
# Ctrl+1, Ctrl+3..9, Ctrl+!...). Ctrl+Shift+digit: a US layout's Shift+digit symbol with Ctrl.
# docs/tui.md ("Keys in terminals without full modifier reporting") has this table.
_CTRL_DIGIT_X11 = {"1": "1", "2": "\x00", "3": "\x1b", "4": "\x1c", "5": "\x1d", "6": "\x1e", "7": "\x1f",
                   "8": "\x7f", "9": "9", "0": "0"}
_SHIFTED_DIGIT = dict(zip("1234567890", "!@#$%^&*()"))


def legacy_bytes(key: str) -> list[str]:
    """Every byte string a legacy terminal may send for canonical ``key`` (none when it is exact)."""
    *mods, base = key.split("+") if not key.endswith("++") else [*key[:-2].split("+"), "+"]
    if len(base) != 1 or "ctrl" not in mods or "alt" in mods:
        return []          # named keys (arrows, F-keys, Tab) and Alt chords arrive with their modifiers
    if base.isalpha():     # Ctrl(+Shift)+letter: the C0 control byte, Shift lost
        return [chr(ord(base.upper()) & 0x1F)]
    if base.isdigit():
        if "shift" in mods:
            sym = _SHIFTED_DIGIT[base]
            return [chr(ord(sym) & 0x1F) if "@" <= sym <= "_" else sym]
        return [_CTRL_DIGIT_X11[base], *(["\x00"] if base == "2" else [])]
    return [chr(ord(base) & 0x1F)] if "@" <= base <= "_" else [base]


def degraded(key: str) -> set[str]:
    """Canonical keys the app sees for ``key`` typed in a legacy terminal (via Textual's own parser)."""
    from textual._xterm_parser import XTermParser

    from loupe_tui.core.keys import from_cursor_report, from_textual

    out = set()
    for seq in legacy_bytes(key):
        parser = XTermParser()
        for ev in [*parser.feed(seq), *parser.feed("")]:   # "" = end of input: a lone ESC is Escape
            if hasattr(ev, "key"):
                out.add(from_textual(ev.key, ev.character))
            elif hasattr(ev, "x"):                     # a cursor report: modifier+F3 (LoupeApp recovers it)
                out.add(from_cursor_report(ev.x, ev.y))
    return out - {key}


# Collisions that are known, harmless or unavoidable, and documented in docs/tui.md.
ALLOWED_DEGRADATIONS = {
    ("ctrl+shift+l", "ctrl+l"),   # overlays -> label strip: a view toggle (alt+l is the safe key)
    ("ctrl+1", "1"),              # xterm/VTE send a bare "1" (tmux sends nothing); Ctrl+Up is the safe key
}


def test_no_default_key_degrades_into_another_key_in_legacy_terminals():
    pytest.importorskip("textual")
    owner = {k: a.id for a in ACTIONS for k in a.keys}
    state_keys: dict[str, str] = {}
    for name, path in bundled_keymaps().items():
        for k, state in StateConfig.from_file(path).keymap.items():
            state_keys.setdefault(k, f"{name}:{state}")
    bad = []
    for a in ACTIONS:
        for k in a.keys:
            for d in degraded(k):
                if d in a.keys or (k, d) in ALLOWED_DEGRADATIONS:
                    continue
                if d in owner or d in state_keys:
                    bad.append(f"{a.id} {k} arrives as {d} ({owner.get(d) or state_keys[d]})")
    assert not bad, bad


def test_the_degradation_table_is_what_textual_makes_of_the_bytes():
    pytest.importorskip("textual")
    assert degraded("ctrl+shift+h") == {"ctrl+h"}          # \x08: not Backspace (see keys.from_textual)
    assert degraded("ctrl+shift+s") == {"ctrl+s"}          # why Export is not Ctrl+Shift+S
    assert degraded("ctrl+8") == {"backspace"}             # \x7f
    assert degraded("ctrl+2") == {"ctrl+space"} and degraded("ctrl+3") == {"escape"}
    assert degraded("ctrl+shift+1") == {"!"} and degraded("ctrl+shift+2") == {"ctrl+space"}
    assert degraded("ctrl+i") == {"tab"} and degraded("ctrl+m") == {"enter"} and degraded("ctrl+[") == {"escape"}
    assert degraded("ctrl+right") == set() and degraded("shift+f3") == set()
