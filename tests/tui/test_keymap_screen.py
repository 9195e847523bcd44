"""KeymapScreen: rebind by key capture, clash refusal and stealing, saves with comments (Pilot)."""

from __future__ import annotations

import asyncio
import json
import shutil

import pytest
from textual.app import App
from textual.widgets import DataTable

from loupe_tui.core.keymap_file import bundled_keymap
from loupe_tui.core.states import StateConfig
from loupe_tui.tui.screens.keymap_screen import KeymapScreen

UNSET = object()


class Host(App):
    def __init__(self, config, path, config_dir):
        super().__init__()
        self.args = (config, path, config_dir)
        self.result, self.changes = UNSET, []

    def on_mount(self) -> None:
        config, path, config_dir = self.args
        self.push_screen(KeymapScreen(config, path, config_dir=config_dir), self.done)

    def done(self, result) -> None:
        self.result = result

    def on_keymap_screen_changed(self, m: KeymapScreen.Changed) -> None:
        self.changes.append((m.state_config, m.path))


@pytest.fixture
def toml_keymap(tmp_path):
    path = tmp_path / "my_keymap.toml"
    shutil.copy(bundled_keymap("rodent_sleep"), path)
    return path


def drive(config, path, config_dir, body):
    async def main():
        app = Host(config, path, config_dir)
        async with app.run_test(size=(130, 45)) as pilot:
            await pilot.pause()
            await body(app, pilot, app.screen)
    asyncio.run(main())


async def goto(pilot, screen, row_key: str) -> None:
    """Move the highlight to ``row_key`` with Up/Down only."""
    table = screen.query_one(DataTable)
    target = table.get_row_index(row_key)
    step = "down" if target > table.cursor_row else "up"
    for _ in range(abs(target - table.cursor_row)):
        await pilot.press(step)
    assert table.cursor_row == target


def test_rebind_a_state_saves_with_comments_and_posts_changed(toml_keymap, tmp_path):
    config = StateConfig.from_file(toml_keymap)

    async def body(app, pilot, screen):
        await goto(pilot, screen, "state:REM")
        await pilot.press("enter")
        assert "Press the new key for state 'REM'" in screen.status_text
        await pilot.press("v")
        await pilot.pause()
        text = toml_keymap.read_text()
        assert '[states.REM]\nkeys = ["v"]\ncolor = "#ff5cc8"    # pink' in text
        assert "# loupe-tui keymap: rodent sleep scoring" in text              # comments kept
        cfg, path = app.changes[-1]
        assert path == toml_keymap and cfg.keys_for("REM") == ("v",) and cfg.lookup("v") == ("state", "REM")
        assert "Saved to" in screen.status_text
        await pilot.press("a", "V")                                             # add a second key
        await pilot.pause()
        assert StateConfig.from_file(toml_keymap).keys_for("REM") == ("v", "V")
        await pilot.press("escape")
        await pilot.pause()
        assert app.result == StateConfig.from_file(toml_keymap)
    drive(config, toml_keymap, tmp_path / "cfg", body)


def test_clash_is_refused_with_the_owner_named_then_stolen_on_confirmation(toml_keymap, tmp_path):
    config = StateConfig.from_file(toml_keymap)
    before = toml_keymap.read_text()

    async def body(app, pilot, screen):
        await goto(pilot, screen, "state:REM")
        await pilot.press("enter", "w")                       # Wake's key
        await pilot.pause()
        assert "w is already the key of state 'Wake'" in screen.status_text
        assert "Press y" in screen.status_text
        await pilot.press("n")                                # anything but y: keep it
        await pilot.pause()
        assert toml_keymap.read_text() == before and app.changes == []
        assert "Nothing changed" in screen.status_text
        await pilot.press("enter", "ctrl+s")                  # an action's key
        await pilot.pause()
        assert "Ctrl+S is already the key of action labels.save (Save labels)" in screen.status_text
        await pilot.press("escape")
        await pilot.pause()
        assert toml_keymap.read_text() == before
        await pilot.press("enter", "w", "y")                  # second confirmation: take it
        await pilot.pause()
        cfg = StateConfig.from_file(toml_keymap)
        assert cfg.keys_for("REM") == ("w",) and cfg.keys_for("Wake") == ("1",)
        assert "# green" in toml_keymap.read_text()
        assert app.changes[-1][0] == cfg
    drive(config, toml_keymap, tmp_path / "cfg", body)


def test_rebind_add_and_unbind_an_action(toml_keymap, tmp_path):
    config = StateConfig.from_file(toml_keymap)

    async def body(app, pilot, screen):
        await goto(pilot, screen, "action:nav.page_next")
        await pilot.press("enter", "ctrl+b")
        await pilot.pause()
        assert StateConfig.from_file(toml_keymap).action_keys["nav.page_next"] == ("ctrl+b",)
        await pilot.press("a", "f9")
        await pilot.pause()
        assert StateConfig.from_file(toml_keymap).action_keys["nav.page_next"] == ("ctrl+b", "f9")
        await pilot.press("a", "f9")
        await pilot.pause()
        assert "already a key of action nav.page_next" in screen.status_text
        await pilot.press("delete")
        await pilot.pause()
        cfg = StateConfig.from_file(toml_keymap)
        assert cfg.action_keys["nav.page_next"] == ()
        assert "Unbound action nav.page_next" in screen.status_text
        assert "(none)" in str(screen.query_one(DataTable).get_row("action:nav.page_next")[-1])
        assert "# Uncomment to move an action" in toml_keymap.read_text()
    drive(config, toml_keymap, tmp_path / "cfg", body)


def test_json_keymap_gets_a_toml_copy_in_the_config_folder(tmp_path):
    src = tmp_path / "state_definitions.json"
    doc = {"keymap": {"w": "Wake", "n": "NREM"}, "label_colors": {"Wake": "#00d128", "NREM": [41, 30, 255]}}
    src.write_text(json.dumps(doc))
    config = StateConfig.from_file(src)
    cfg_dir = tmp_path / "cfg"

    async def body(app, pilot, screen):
        await goto(pilot, screen, "state:NREM")
        await pilot.press("enter", "2")
        await pilot.pause()
        copy = cfg_dir / "keymap.toml"
        assert copy.is_file() and json.loads(src.read_text()) == doc           # JSON untouched
        assert StateConfig.from_file(copy).keys_for("NREM") == ("2",)
        assert f"saved a TOML copy to {copy}" in screen.status_text
        assert "Loupe JSON" in screen.status_text
        assert app.changes[-1][1] == copy and screen.path == copy
        await pilot.press("enter", "3")                       # later edits go to the copy
        await pilot.pause()
        assert StateConfig.from_file(copy).keys_for("NREM") == ("3",)
        assert sorted(p.name for p in cfg_dir.iterdir()) == ["keymap.toml"]
    drive(config, src, cfg_dir, body)


def test_bundled_keymap_is_never_written(tmp_path):
    bundled = bundled_keymap("rodent_sleep")
    before = bundled.read_text()
    cfg_dir = tmp_path / "cfg"
    cfg_dir.mkdir()
    (cfg_dir / "keymap.toml").write_text("# the user's own\n")      # taken: the copy gets another name

    async def body(app, pilot, screen):
        await goto(pilot, screen, "state:Wake")
        await pilot.press("enter", "q")
        await pilot.pause()
        assert bundled.read_text() == before
        copy = cfg_dir / "rodent_sleep.toml"
        assert StateConfig.from_file(copy).keys_for("Wake") == ("q",)
        assert "# loupe-tui keymap: rodent sleep scoring" in copy.read_text()
        assert "bundled with loupe-tui" in screen.status_text and "--keymap" in screen.status_text
        assert (cfg_dir / "keymap.toml").read_text() == "# the user's own\n"
    drive(StateConfig.from_file(bundled), bundled, cfg_dir, body)


def test_escape_without_changes_returns_none(toml_keymap, tmp_path):
    async def body(app, pilot, screen):
        await pilot.press("enter", "escape")                  # cancel the capture
        await pilot.pause()
        assert "Nothing changed" in screen.status_text
        await pilot.press("escape")
        await pilot.pause()
        assert app.result is None
    drive(StateConfig.from_file(toml_keymap), toml_keymap, tmp_path / "cfg", body)
