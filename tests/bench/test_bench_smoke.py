"""Every benchmark still runs: ``python bench/run.py NAME --quick --json`` for each ``bench/bench_*.py``.

Benchmarks measure and assert nothing, so nothing else notices when one stops
running (a module moved, a message the link now keeps to itself). This runs
each in its quick mode, in a fresh process as ``./run bench`` does, and
checks only that it finished and reported its figures: at least one row, and
a number in every row. Speed is not asserted.

The small data is built under a temporary ``$LOUPE_BENCH_DIR`` and cache
(``$LOUPE_TUI_CACHE``), so nothing left by an earlier run or in the user's
cache is reused. Benchmarks that open the GL window get a private Xvfb (the
bench starts it when ``DISPLAY`` is unset); without Xvfb they use
``$DISPLAY``, and with neither they skip, or fail when ``CI`` is set (as the
GL tests do: they must not pass by skipping).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT / "tests" / "render"))

from gl_harness import in_ci  # noqa: E402

from loupe_tui.xvfb import have_xvfb  # noqa: E402

#: Seconds one quick benchmark may take, data building included (they take 1-30 s).
TIMEOUT_S = 300


def bench_names() -> list[str]:
    return sorted(p.stem[len("bench_"):] for p in BENCH.glob("bench_*.py"))


def needs_display(name: str) -> bool:
    """The bench opens the GL window (it drives a RenderLink or starts an Xvfb)."""
    text = (BENCH / f"bench_{name}.py").read_text()
    return "RenderLink" in text or "Xvfb" in text


@pytest.fixture(scope="session")
def bench_env(tmp_path_factory) -> dict:
    """Environment of the benchmark processes: temporary data and cache directories."""
    root = tmp_path_factory.mktemp("bench")
    env = dict(os.environ, LOUPE_BENCH_DIR=str(root / "data"), LOUPE_TUI_CACHE=str(root / "cache"),
               PYTHONUNBUFFERED="1")
    return env


def display_env(env: dict, name: str) -> dict:
    if have_xvfb():
        env = dict(env)
        env.pop("DISPLAY", None)  # the bench starts its own Xvfb: no window on the user's screen
        env.pop("WAYLAND_DISPLAY", None)
        return env
    if env.get("DISPLAY"):
        return env
    why = f"bench {name} needs a display: Xvfb is not installed and DISPLAY is not set"
    if in_ci():
        pytest.fail(why)
    pytest.skip(why)


def has_number(row: dict) -> bool:
    return any(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in row.values())


def test_bench_list_is_not_empty():
    assert {"pageflip", "tui"} <= set(bench_names())


@pytest.mark.slow
@pytest.mark.parametrize("name", bench_names())
def test_bench_runs_quick(name, bench_env):
    env = display_env(bench_env, name) if needs_display(name) else bench_env
    try:
        r = subprocess.run([sys.executable, str(BENCH / "run.py"), name, "--quick", "--json"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        err = (exc.stderr or b"")[-2000:]
        pytest.fail(f"bench {name} --quick did not finish within {TIMEOUT_S} s; stderr ends: {err!r}")
    assert r.returncode == 0, f"bench {name} --quick exited {r.returncode}:\n{r.stderr[-3000:]}"
    out = json.loads(r.stdout)
    res = out["benchmarks"][name]
    assert res.get("title"), res
    rows = res.get("results") or []
    assert rows, f"bench {name} reported no rows: {res}"
    bare = [row for row in rows if not has_number(row)]
    assert not bare, f"bench {name}: rows without a figure: {bare}"
