"""IPC tests run the real GL window: they share the render tests' display fixture."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "render"))

from gl_harness import gl_env  # noqa: E402,F401  (fixture)
