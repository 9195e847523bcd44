"""The ``loupe-tui`` command.

Each subcommand lives in ``loupe_tui/commands/<name>.py`` and exposes
``register(subparsers)``, which adds its parser and sets ``func(args) -> int``.
User errors (:class:`~loupe_tui.errors.LoupeError`) are printed as one line,
without a traceback, and exit with status 2. Output cut short by a closed pipe
(``loupe-tui keymap check | head``) ends quietly with status 141 (128 + SIGPIPE).
Command modules import heavy packages (xarray, polars, numba) inside their
``func``, so ``--help`` and argument errors stay fast.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from loupe_tui.commands import demo, keymap, labels, prepare, snapshot, suggest, video
from loupe_tui.commands import open as open_command
from loupe_tui.errors import LoupeError

# Order is the order shown in --help.
COMMAND_MODULES = (open_command, demo, labels, keymap, snapshot, suggest, video, prepare)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="loupe-tui",
        description="Keyboard-first scorer for long time-series recordings.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        try:
            code = int(args.func(args) or 0)
        except LoupeError as exc:
            print(f"loupe-tui: error: {exc}", file=sys.stderr)
            # A failed zarr read can leave zarr's own asyncio tasks pending; at exit
            # asyncio would log "Task was destroyed but it is pending!" under the one
            # line the user is promised. The process is ending on a reported error.
            logging.getLogger("asyncio").setLevel(logging.CRITICAL)
            code = 2
        sys.stdout.flush()  # here, not at exit: a closed pipe must land in the handler below
        return code
    except SystemExit:  # --help, usage errors: their output may meet a closed pipe too
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _silence_stdout()
            return 141
        raise
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 141


def _silence_stdout() -> None:
    """The reader went away (``| head``): point stdout at /dev/null so that the
    interpreter's final flush does not print a second BrokenPipeError."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout without a file descriptor (tests)
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
