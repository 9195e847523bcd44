"""``loupe-tui keymap``: check, list, install and convert keymap files.

* ``keymap check [FILE]``: validate a keymap (default: the one the scorer
  would use) and print its states (keys, colour) and actions (keys).
* ``keymap list``: the bundled keymaps.
* ``keymap init NAME``: copy a bundled keymap to the user's config folder.
* ``keymap convert IN OUT``: any keymap -> commented TOML (``OUT.toml``) or
  Loupe's state-definitions JSON (``OUT.json``), by OUT's extension.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from loupe_tui.core.actions import actions_by_group
from loupe_tui.core.colors import to_hex
from loupe_tui.core.keys import display
from loupe_tui.core.states import (StateConfig, bundled_keymap, bundled_keymaps, find_keymap,
                                   user_config_dir)
from loupe_tui.errors import LoupeConfigError


def register(sub) -> None:
    p = sub.add_parser("keymap", help="check, list, install or convert keymaps (state hotkeys, action keys)",
                       description="State hotkeys, colours and action keys. Format: docs/keymaps.md.")
    ks = p.add_subparsers(dest="keymap_command", metavar="SUBCOMMAND")
    ks.required = True

    c = ks.add_parser("check", help="validate a keymap and print its states and actions")
    c.add_argument("file", nargs="?", help="keymap .toml / state definitions .json, or a bundled name "
                                           "(default: the user's keymap)")
    c.add_argument("--states-only", action="store_true", help="print the states table only")
    c.set_defaults(func=_check)

    ls = ks.add_parser("list", help="list the bundled keymaps")
    ls.set_defaults(func=_list)

    i = ks.add_parser("init", help="copy a bundled keymap to the config folder as keymap.toml")
    i.add_argument("name", help="bundled keymap name (see `keymap list`)")
    i.add_argument("--force", action="store_true", help="overwrite an existing keymap.toml")
    i.set_defaults(func=_init)

    cv = ks.add_parser("convert", help="convert a keymap: OUT.toml (commented TOML) or OUT.json (Loupe JSON)",
                       description="Read any keymap (TOML, Loupe state-definitions JSON, or a bundled "
                                   "name) and write it in the format of OUTPUT's extension: .toml gives "
                                   "a commented TOML keymap, .json Loupe's state-definitions JSON.")
    cv.add_argument("input")
    cv.add_argument("output", help="file to write: .toml or .json")
    cv.add_argument("--force", action="store_true", help="overwrite OUTPUT")
    cv.set_defaults(func=_convert)


def _keys(keys: tuple[str, ...]) -> str:
    return " ".join(display(k) for k in keys) or "-"


def _check(args: argparse.Namespace) -> int:
    cfg = StateConfig.from_file(find_keymap(args.file)) if args.file else StateConfig.resolve()
    print(f"{cfg.source}: OK" + (f" - {cfg.description}" if cfg.description else ""))
    print()
    width = max(len(s) for s in cfg.states)
    print(f"{'STATE':<{width}}  {'COLOUR':<9}  KEYS")
    for s in cfg.states:
        print(f"{s:<{width}}  {to_hex(cfg.colors[s]) if s in cfg.colors else '-':<9}  {_keys(cfg.keys_for(s))}")
    if args.states_only:
        return 0
    width = max(len(a.id) for group in actions_by_group().values() for a in group)
    for group, actions in actions_by_group().items():
        print(f"\n{group.upper()}")
        for a in actions:
            mark = " *" if a.id in cfg.action_overrides else ""
            print(f"  {a.id:<{width}}  {_keys(cfg.action_keys[a.id]):<22}  {a.description}{mark}")
    if cfg.action_overrides:
        print("\n* changed by this keymap")
    return 0


def _list(args: argparse.Namespace) -> int:
    found = bundled_keymaps()
    if not found:
        print("no bundled keymaps found")
        return 1
    width = max(len(n) for n in found)
    for name, path in found.items():
        cfg = StateConfig.from_file(path)
        print(f"{name:<{width}}  {cfg.description or ', '.join(cfg.states)}")
    print(f"\nInstall one with `loupe-tui keymap init NAME` (to {user_config_dir() / 'keymap.toml'}).")
    return 0


def _init(args: argparse.Namespace) -> int:
    src = bundled_keymap(args.name)
    dest = user_config_dir() / "keymap.toml"
    if dest.exists() and not args.force:
        raise LoupeConfigError(f"{dest}: already exists (use --force to replace it)")
    from loupe_tui.core.fsutil import atomic_write_bytes

    dest.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(dest, src.read_bytes(), error=LoupeConfigError)
    print(f"wrote {dest} (from {src.name}); edit it, then `loupe-tui keymap check`")
    return 0


def _convert(args: argparse.Namespace) -> int:
    from loupe_tui.core.fsutil import atomic_write_bytes
    from loupe_tui.core.keymap_edit import to_json, to_toml

    out = Path(args.output)
    writers = {".toml": ("toml", to_toml), ".json": ("json", to_json)}
    if out.suffix.lower() not in writers:
        raise LoupeConfigError(f"{out}: cannot tell the keymap format from {out.suffix or 'no extension'!r}; "
                               "name the output .toml (TOML keymap) or .json (Loupe state definitions)")
    fmt, write = writers[out.suffix.lower()]
    if out.exists() and not args.force:
        raise LoupeConfigError(f"{out}: already exists (use --force to replace it)")
    src = StateConfig.from_file(find_keymap(args.input))
    text = write(src)
    back = StateConfig.from_text(text, format=fmt, source=out)  # the output must load back, the same
    if back != src:  # pragma: no cover - a converter bug, not a user error
        raise RuntimeError(f"keymap convert: {out} would not load back as {args.input}")
    atomic_write_bytes(out, text.encode("utf-8"), error=LoupeConfigError)
    print(f"wrote {out} ({fmt})")
    return 0
