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
