"""The keymap screen (Ctrl+K): every state and action key, rebindable.

Rows are grouped: states (with a colour swatch) first, then the actions of
each group of the registry. On a row: Enter then a key replaces its keys, ``a``
then a key adds one, Delete unbinds it. A key that belongs to another state or
action is refused with a message naming the owner; pressing ``y`` then takes
it away from that owner (a second confirmation), anything else keeps things
as they are. Each change is saved at once with comments kept
(:func:`~loupe_tui.core.keymap_edit.save_binding`) and announced with
:class:`KeymapScreen.Changed`.

Files that must not be edited in place are never written: a Loupe JSON file
(no room for comments or actions), a keymap bundled with loupe-tui, or a
keymap given as a dict. The first change then writes a TOML copy into the
user's config folder (``keymap.toml`` if free, else ``<name>.toml``), says
where, and edits that copy from then on.
"""

from __future__ import annotations

from pathlib import Path
from rich.style import Style
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from loupe_tui.core.actions import actions_by_group, get_action
from loupe_tui.core.colors import to_hex
from loupe_tui.core.keymap_edit import save_binding, to_toml
from loupe_tui.core.keymap_file import bundled_keymaps, guess_format, read_text, user_config_dir
from loupe_tui.core.keys import display, from_textual
from loupe_tui.core.states import StateConfig
from loupe_tui.errors import LoupeConfigError

__all__ = ["KeymapScreen", "editable_path"]


def _describe(config: StateConfig, kind: str, name: str) -> str:
    return f"state {name!r}" if kind == "state" else f"action {name} ({get_action(name).description})"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def editable_path(path: str | Path | None, config: StateConfig, config_dir: Path) -> tuple[Path, str | None]:
    """The TOML file a rebinding may be saved to, creating a copy if needed.

    Parameters
    ----------
    path : path or None
        The keymap file in use (None: the keymap came from a dict / overrides).
    config : StateConfig
        The keymap in use (converted when there is no TOML to copy).
    config_dir : Path
        Where copies go (the user's config folder).

    Returns
    -------
    (Path, str or None)
        The file to edit and, when a copy was made, a sentence saying why and where.
    """
    p = Path(path) if path is not None else None
    if p is not None and p.is_file():
        text = read_text(p)
        bundled = {q.resolve() for q in bundled_keymaps().values()}
        if guess_format(p, text) == "toml" and p.resolve() not in bundled:
            return p, None
        why = ("is bundled with loupe-tui" if p.resolve() in bundled
               else "is a Loupe JSON file (no room for comments or action keys)")
        content = text if guess_format(p, text) == "toml" else to_toml(config)
        stem = p.stem
    else:
        why, content, stem = "was not read from a file", to_toml(config), "keymap"
    config_dir.mkdir(parents=True, exist_ok=True)
    target = config_dir / "keymap.toml"
    k = 1
    while target.exists():
        target = config_dir / (f"{stem}.toml" if k == 1 else f"{stem}-{k}.toml")
        k += 1
    target.write_text(content, encoding="utf-8")
    what = p.name if p is not None else "the keymap"
    use = ("it is your default keymap now" if target.name == "keymap.toml"
           else f"use it next time with --keymap {target}")
    return target, f"{what} {why}: saved a TOML copy to {target} ({use})"


class KeymapScreen(ModalScreen["StateConfig | None"]):
    """View and rebind state and action keys.

    Parameters
    ----------
    config : StateConfig
        The keymap in use.
    path : str or Path, optional
        The file it came from (TOML is edited in place; JSON, bundled or
        None get a TOML copy in ``config_dir`` on the first change).
    config_dir : Path, optional
        Where copies go (default: :func:`user_config_dir`).

    Dismisses with the new :class:`StateConfig` if anything changed, else None.
    """

    DEFAULT_CSS = """
    KeymapScreen { align: center middle; }
    KeymapScreen > #keymap { width: 95%; height: 90%; border: thick $primary; background: $surface; }
    KeymapScreen .title { text-style: bold; width: 1fr; content-align: center middle; }
    KeymapScreen DataTable { height: 1fr; }
    KeymapScreen #status { height: auto; min-height: 2; padding: 0 1; background: $panel; }
    KeymapScreen #status.-error { color: $error; }
    KeymapScreen #status.-ask { color: $warning; text-style: bold; }
    """

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("a", "capture('add')", "Add a key"),
        Binding("delete", "unbind", "Unbind"),
    ]

    class Changed(Message):
        """A rebinding was saved: ``state_config`` is the new keymap, read from ``path``."""

        def __init__(self, state_config: StateConfig, path: Path):
            super().__init__()
            self.state_config, self.path = state_config, path

    def __init__(self, config: StateConfig, path: str | Path | None = None, *,
                 config_dir: Path | None = None):
        super().__init__()
        self.config = config
        self.path = Path(path) if path is not None else None
        self.config_dir = config_dir or user_config_dir()
        self.changed = False
        self._mode: str = "browse"        # browse | capture | confirm
        self._op: str = "replace"         # replace | add
        self._pending: tuple[str, str, list[str]] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="keymap"):
            yield Label("Keymap: Enter rebinds, a adds a key, Delete unbinds, Esc closes", classes="title")
            yield DataTable(cursor_type="row", zebra_stripes=True)
            yield Static(self._source_line(), id="status")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(" ", "state / action", "description", "keys")
        self._fill()
        table.focus()

    def _source_line(self) -> str:
        return f"Keymap file: {self.path}" if self.path else "Keymap not from a file (changes go to a copy)"

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        cfg = self.config
        table.add_row("", Text("States", style="bold"), "", "", key="group:states")
        for s in cfg.states:
            swatch = Text("  ", style=Style(bgcolor=to_hex(cfg.color_for(s))[:7]))
            table.add_row(swatch, s, "score as this state", self._keys(cfg.keys_for(s)), key=f"state:{s}")
        for group, actions in actions_by_group().items():
            table.add_row("", Text(f"Actions: {group}", style="bold"), "", "", key=f"group:{group}")
            for a in actions:
                table.add_row("", a.id, a.description, self._keys(cfg.action_keys.get(a.id, ())),
                              key=f"action:{a.id}")
        table.move_cursor(row=min(max(keep, 1), table.row_count - 1))

    @staticmethod
    def _keys(keys: tuple[str, ...]) -> str:
        return "  ".join(display(k) for k in keys) or "(none)"

    def _say(self, text: str, kind: str = "") -> None:
        status = self.query_one("#status", Static)
        status.set_classes(f"-{kind}" if kind else "")
        status.update(text)

    def _selected(self) -> tuple[str, str] | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or ""
        kind, _, name = key.partition(":")
        return None if kind == "group" else (kind, name)

    # -- keys -------------------------------------------------------------------------
    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_capture("replace")

    def action_capture(self, op: str) -> None:
        item = self._selected()
        if item is None:
            self._say("Choose a state or an action row first.", "error")
            return
        self._mode, self._op = "capture", op
        verb = "to add to" if op == "add" else "for"
        self._say(f"Press the new key {verb} {_describe(self.config, *item)} (Escape cancels).", "ask")

    def action_unbind(self) -> None:
        item = self._selected()
        if item is None:
            return
        self._save(item[0], item[1], [], steal=False, done=f"Unbound {_describe(self.config, *item)}")

    def action_close(self) -> None:
        self.dismiss(self.config if self.changed else None)

    def on_key(self, event: events.Key) -> None:
        if self._mode == "browse":
            return
        event.stop()
        event.prevent_default()
        key = from_textual(event.key, event.character)
        mode, self._mode = self._mode, "browse"
        if mode == "confirm":
            kind, name, keys = self._pending or ("", "", [])
            self._pending = None
            if key == "y":
                self._save(kind, name, keys, steal=True, done=f"Rebound {_describe(self.config, kind, name)}")
            else:
                self._say("Nothing changed.")
            return
        if key == "escape":
            self._say("Nothing changed.")
            return
        item = self._selected()
        if item is None:
            return
        self._rebind(*item, key)

    def _rebind(self, kind: str, name: str, key: str) -> None:
        cfg = self.config
        current = list(cfg.keys_for(name) if kind == "state" else cfg.action_keys.get(name, ()))
        keys = [*current, key] if self._op == "add" else [key]
        if self._op == "add" and key in current:
            self._say(f"{display(key)} is already a key of {_describe(cfg, kind, name)}.", "error")
            return
        owner = cfg.lookup(key)
        if owner is not None and owner != (kind, name):
            self._pending, self._mode = (kind, name, keys), "confirm"
            self._say(f"{display(key)} is already the key of {_describe(cfg, *owner)}. Press y to take it "
                      f"from {owner[1]!r} for {_describe(cfg, kind, name)}, any other key to keep it.", "ask")
            return
        self._save(kind, name, keys, steal=False,
                   done=f"{_cap(_describe(cfg, kind, name))}: {self._keys(tuple(keys))}")

    def _save(self, kind: str, name: str, keys: list[str], *, steal: bool, done: str) -> None:
        try:
            path, note = editable_path(self.path, self.config, self.config_dir)
            new = save_binding(path, **{kind: name}, keys=keys, steal=steal)
        except (LoupeConfigError, OSError) as exc:
            self._say(f"Not saved: {exc}", "error")
            return
        self.path, self.config, self.changed = path, new, True
        self._fill()
        self.post_message(self.Changed(new, path))
        self._say(f"{done}. Saved to {path}." + (f"\n{note}" if note else ""))

    @property
    def status_text(self) -> str:
        """The message line (what the screen last said)."""
        return str(self.query_one("#status", Static).content)
