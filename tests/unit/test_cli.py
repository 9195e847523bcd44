"""The ``loupe-tui`` entry point: closed pipes, and a fast parser."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("xarray", "zarr", "numba", "polars", "pandas", "av", "textual", "vispy")


def _run_into_closed_pipe(args: list[str]) -> subprocess.CompletedProcess:
    """Run ``python -m loupe_tui ARGS`` with stdout a pipe whose reader is gone (like ``| head``)."""
    r, w = os.pipe()
    os.close(r)  # every write now fails with EPIPE
    try:
        return subprocess.run([sys.executable, "-m", "loupe_tui", *args], stdout=w, stderr=subprocess.PIPE,
                              text=True, cwd=ROOT, timeout=120)
    finally:
        os.close(w)


@pytest.mark.parametrize("args, codes", [
    (["keymap", "check", "rodent_sleep"], {141}),
    (["keymap", "list"], {141}),
    (["--help"], {0, 141}),  # argparse itself ignores a failed write of the help
], ids=["keymap-check", "keymap-list", "help"])
def test_output_into_a_closed_pipe_ends_quietly(args, codes):
    done = _run_into_closed_pipe(args)
    assert done.stderr == ""  # no BrokenPipeError traceback, no "Exception ignored"
    assert done.returncode in codes


def test_parser_and_help_do_not_import_heavy_packages():
    # `loupe-tui --help` (and any argument error) must not pay for xarray/numba/polars.
    code = ("import json, sys\n"
            "from loupe_tui.cli import build_parser\n"
            "build_parser()\n"
            f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r}))))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_every_help_is_plain_text():
    import argparse

    from loupe_tui.cli import build_parser

    parser = build_parser()
    helps = [parser.format_help()]
    todo = [parser]
    while todo:
        for action in todo.pop()._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    helps.append(sub.format_help())
                    todo.append(sub)
    assert len(helps) > 5
    for text in helps:
        assert "``" not in text and ":func:" not in text, text[:300]
