"""``loupe-tui demo``: placeholder until its module is written."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("demo", help="(not yet available)")
    p.set_defaults(func=lambda args: (print("loupe-tui demo: not yet available"), 1)[1])
