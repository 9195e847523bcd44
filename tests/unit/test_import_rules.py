"""DESIGN.md's import rules, checked two ways.

Statically: no source file in a headless layer has an import (anywhere, even
inside a function) of a forbidden package. At run time: importing every
headless module in a fresh interpreter pulls none of them into sys.modules.

Also statically, STYLE.md's "layers point down": core imports no loader,
config or UI; io imports no config; no module reaches into another package's
``_private`` module; and no import hides behind ``importlib`` or an
``except ImportError``, so that every dependency is a plain import statement
that these checks (and a reader) can see.
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
    ("loupe_tui/validate.py", GUI),
    ("loupe_tui/colormaps.py", GUI),                # both windows' colour maps
    ("loupe_tui/errors.py", GUI),
    ("loupe_tui/framebuffer.py", GUI),                # both processes map it
    ("loupe_tui/tui/graphics", GUI),                   # encoders and the terminal query: no Textual
    ("loupe_tui/tui", {"vispy", "glfw"}),
    ("render", {"loupe_tui.tui", "textual"}),
]


# Layers above each one (STYLE.md: layers point down). ``validate`` sits
# between core and io; ``config_validation`` above io.
ABOVE_CORE = {"loupe_tui.io", "loupe_tui.validate", "loupe_tui.config", "loupe_tui.config_validation",
              "loupe_tui.tui", "render"}
ABOVE_IO = {"loupe_tui.config", "loupe_tui.config_validation", "loupe_tui.tui", "render"}
LAYER_RULES = [
    ("loupe_tui/core", ABOVE_CORE),
    ("loupe_tui/validate.py", ABOVE_CORE),
    ("loupe_tui/io", ABOVE_IO),
]
# Where the private-module and hidden-import rules apply.
SOURCES = ("loupe_tui", "render")
IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError"}


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _imports(path: Path, module: str | None = None) -> list[tuple[int, str]]:
    """(line, dotted name) of every import: ``from a import b`` gives ``a`` and ``a.b``.

    Relative imports are resolved when ``module`` (the file's dotted name) is given.
    """
    tree = ast.parse(path.read_text(), filename=str(path))
    package = None
    if module is not None:
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module
            elif package is None:
                continue
            else:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - (node.level - 1)] + ([node.module] if node.module else []))
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{a.name}") for a in node.names if a.name != "*"]
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            found.append((node.lineno, str(node.args[0].value)))
    return found


def _private_module(name: str) -> str | None:
    """The first private project module ``name`` reaches (``render.prep._columns``), or None.

    Private: its last component starts with ``_`` (not a dunder). Only names
    that are modules of this project count, not private functions.
    """
    parts = name.split(".")
    for k in range(1, len(parts) + 1):
        last = parts[k - 1]
        if last.startswith("_") and not last.startswith("__"):
            path = ROOT.joinpath(*parts[:k])
            if path.with_suffix(".py").is_file() or (path / "__init__.py").is_file():
                return ".".join(parts[:k])
            return None  # a private name inside a module, not a module
    return None


def _private_violations(path: Path, module: str) -> list[str]:
    """Imports by ``module`` of a private module of a package it is not inside."""
    bad = []
    for line, name in _imports(path, module):
        private = _private_module(name)
        if private is None:
            continue
        owner = private.rpartition(".")[0]
        if module != owner and not module.startswith(owner + "."):
            bad.append(f"{path.name}:{line} imports {private} from outside {owner}")
    return sorted(set(bad))


def _hidden_imports(path: Path) -> list[str]:
    """Imports made by ``importlib.import_module``/``__import__`` or guarded by ``except ImportError``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            fn = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if fn in ("import_module", "__import__"):
                bad.append(f"{path.name}:{node.lineno} calls {fn}")
            elif fn == "suppress" and any(_names(a) & IMPORT_ERRORS for a in node.args):
                bad.append(f"{path.name}:{node.lineno} suppresses ImportError")
        elif isinstance(node, ast.Try):
            for h in node.handlers:
                if h.type is not None and _names(h.type) & IMPORT_ERRORS:
                    bad.append(f"{path.name}:{h.lineno} catches {', '.join(sorted(_names(h.type) & IMPORT_ERRORS))}")
    return bad


def _names(expr: ast.expr) -> set[str]:
    """Exception names in a handler's type: ``ImportError``, ``(OSError, builtins.ImportError)``."""
    if isinstance(expr, ast.Tuple):
        return set().union(*(_names(e) for e in expr.elts))
    if isinstance(expr, ast.Attribute):
        return {expr.attr}
    return {expr.id} if isinstance(expr, ast.Name) else set()


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


@pytest.mark.parametrize("rel,banned", LAYER_RULES, ids=[r for r, _ in LAYER_RULES])
def test_layers_point_down(rel, banned):
    bad = [f"{f.relative_to(ROOT)}:{line} imports {name}"
           for f in _files(rel) for line, name in _imports(f, _module_name(f)) if _forbidden(name, banned)]
    assert not bad, "layer rule broken:\n" + "\n".join(bad)


@pytest.mark.parametrize("rel", SOURCES)
def test_no_import_of_another_packages_private_module(rel):
    bad = [f"{f.relative_to(ROOT).parent}/{v}" for f in _files(rel) for v in _private_violations(f, _module_name(f))]
    assert not bad, "private module imported from outside its package:\n" + "\n".join(bad)


@pytest.mark.parametrize("rel", SOURCES)
def test_no_hidden_imports(rel):
    bad = [f"{f.relative_to(ROOT).parent}/{v}" for f in _files(rel) for v in _hidden_imports(f)]
    assert not bad, "import hidden from the reader:\n" + "\n".join(bad)


def test_rules_cover_real_files():
    # A rule over an empty folder proves nothing: the core layers must exist.
    assert len(_files("loupe_tui/core")) >= 3
    assert len(_files("loupe_tui/io")) >= 2


def test_headless_modules_import_no_gui_package():
    modules = sorted(
        _module_name(f)
        for rel in ("loupe_tui/core", "loupe_tui/io", "loupe_tui/protocol.py", "loupe_tui/config.py",
                    "loupe_tui/config_validation.py", "loupe_tui/validate.py", "loupe_tui/errors.py",
                    "loupe_tui/framebuffer.py")
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


def test_layer_detector_catches_upward_imports(tmp_path):
    f = tmp_path / "bad.py"
    f.write_text("from loupe_tui.io.pyramid import Pyramid\n"
                 "def f():\n    from loupe_tui import config_validation\n    import render.prep\n")
    names = [n for _, n in _imports(f)]
    assert [n for n in names if _forbidden(n, ABOVE_CORE)] == [
        "loupe_tui.io.pyramid", "loupe_tui.io.pyramid.Pyramid", "loupe_tui.config_validation", "render.prep"]
    assert _forbidden("loupe_tui.config_validation", ABOVE_IO) and not _forbidden("loupe_tui.core.colors", ABOVE_IO)


def test_relative_imports_are_resolved(tmp_path):
    pkg = tmp_path / "loupe_tui" / "core"
    pkg.mkdir(parents=True)
    f = pkg / "bad.py"
    f.write_text("from ..io import pyramid\nfrom . import colors\n")
    assert [n for _, n in _imports(f, "loupe_tui.core.bad")] == [
        "loupe_tui.io", "loupe_tui.io.pyramid", "loupe_tui.core", "loupe_tui.core.colors"]


def test_private_module_detector(tmp_path):
    f = tmp_path / "bad.py"
    f.write_text("from loupe_tui.demo import _dsp\nimport loupe_tui.demo._store\n"
                 "from render.prep._columns import peak_of\nfrom render.prep.raster import _best_per_cell\n")
    outside = ["bad.py:1 imports loupe_tui.demo._dsp from outside loupe_tui.demo",
               "bad.py:2 imports loupe_tui.demo._store from outside loupe_tui.demo",
               "bad.py:3 imports render.prep._columns from outside render.prep"]
    assert _private_violations(f, "render.panels.bad") == outside  # line 4: a private function, not a module
    assert _private_violations(f, "render.prep.heatmap") == outside[:2]  # inside render.prep
    assert _private_violations(f, "loupe_tui.demo") == outside[2:]  # the package itself


def test_hidden_import_detector(tmp_path):
    f = tmp_path / "bad.py"
    f.write_text("import contextlib, importlib\n"
                 "m = importlib.import_module('vispy')\n"
                 "n = __import__('glfw')\n"
                 "try:\n    import av\nexcept ImportError:\n    av = None\n"
                 "try:\n    import numba\nexcept (OSError, ModuleNotFoundError):\n    numba = None\n"
                 "with contextlib.suppress(ImportError):\n    import textual\n"
                 "try:\n    open('x')\nexcept OSError:\n    pass\n")
    assert sorted(_hidden_imports(f)) == sorted([
        "bad.py:2 calls import_module", "bad.py:3 calls __import__", "bad.py:6 catches ImportError",
        "bad.py:10 catches ModuleNotFoundError", "bad.py:12 suppresses ImportError"])
