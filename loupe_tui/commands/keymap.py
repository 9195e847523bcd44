"""``loupe-tui keymap``: placeholder until its module is written."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("keymap", help="(not yet available)")
    p.set_defaults(func=lambda args: (print("loupe-tui keymap: not yet available"), 1)[1])
