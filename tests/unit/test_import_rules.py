"""DESIGN.md's import rules, checked two ways.

Statically: no source file in a headless layer has an import (anywhere, even
inside a function) of a forbidden package. At run time: importing every
headless module in a fresh interpreter pulls none of them into sys.modules.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUI = {"textual", "vispy", "glfw", "av"}

# (files, forbidden top-level packages or module prefixes)
RULES = [
    ("loupe_tui/core", GUI),
    ("loupe_tui/io", GUI),
    ("loupe_tui/protocol.py", GUI),
    ("loupe_tui/config.py", GUI),
    ("loupe_tui/config_validation.py", GUI),
    ("loupe_tui/errors.py", GUI),
    ("loupe_tui/tui", {"vispy", "glfw"}),
    ("render", {"loupe_tui.tui", "textual"}),
]


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            found.append((node.lineno, str(node.args[0].value)))
    return found


def _files(rel: str) -> list[Path]:
    p = ROOT / rel
    if p.is_file():
        return [p]
    return sorted(p.rglob("*.py")) if p.is_dir() else []


def _forbidden(name: str, banned: set[str]) -> bool:
    return any(name == b or name.startswith(b + ".") for b in banned)


@pytest.mark.parametrize("rel,banned", RULES, ids=[r for r, _ in RULES])
def test_no_forbidden_import_in_source(rel, banned):
    bad = [f"{f.relative_to(ROOT)}:{line} imports {name}"
           for f in _files(rel) for line, name in _imports(f) if _forbidden(name, banned)]
    assert not bad, "import rule broken:\n" + "\n".join(bad)


def test_rules_cover_real_files():
    # A rule over an empty folder proves nothing: the core layers must exist.
    assert len(_files("loupe_tui/core")) >= 3
    assert len(_files("loupe_tui/io")) >= 2


def test_headless_modules_import_no_gui_package():
    modules = sorted(
        ".".join(f.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for rel in ("loupe_tui/core", "loupe_tui/io", "loupe_tui/protocol.py", "loupe_tui/config.py",
                    "loupe_tui/config_validation.py", "loupe_tui/errors.py")
        for f in _files(rel))
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(json.dumps(sorted(k for k in sys.modules if k.split('.')[0] in {sorted(GUI)!r})))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_detector_catches_a_violation(tmp_path):
    # The static check must be able to fail.
    f = tmp_path / "bad.py"
    f.write_text("def f():\n    import vispy.scene\n    from textual.app import App\n")
    names = [n for _, n in _imports(f)]
    assert _forbidden(names[0], GUI) and _forbidden(names[1], GUI)
