"""What the docs tell a new user matches what the commands do (issue 10, items 15 and 16)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", ["docs/demo.md", "loupe_tui/commands/demo.py"])
def test_the_demo_no_longer_says_the_app_does_not_exist(path):
    text = (ROOT / path).read_text()
    for stale in ("Until the terminal app exists", "terminal app does not exist yet"):
        assert stale not in text, f"{path}: {stale!r}"
    assert "heatmap" in text and "raster" in text          # it says what it opens


def test_demo_help_says_it_opens_the_scorer(capsys):
    from loupe_tui.cli import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["demo", "--help"])
    out = capsys.readouterr().out
    assert "open the scorer on it" in " ".join(out.split()) and "--no-window" in out


@pytest.mark.parametrize("path", ["README.md", "docs/python-api.md"])
def test_loupe_scripts_are_told_their_one_change(path):
    text = " ".join((ROOT / path).read_text().split())
    assert "keep working" not in text and "runs unchanged" not in text
    assert "from loupe import view" in text and "from loupe_tui import view" in text
    assert "one change" in text and "shadow" in text
