"""The ``loupe-tui`` command.

Each subcommand lives in ``loupe_tui/commands/<name>.py`` and exposes
``register(subparsers)``, which adds its parser and sets ``func(args) -> int``.
User errors (:class:`~loupe_tui.errors.LoupeError`) are printed as one line,
without a traceback, and exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from loupe_tui.errors import LoupeError

# Order is the order shown in --help.
COMMAND_MODULES = ("demo", "labels", "keymap")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="loupe-tui",
        description="Keyboard-first scorer for long time-series recordings.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(f"loupe_tui.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except LoupeError as exc:
        print(f"loupe-tui: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
