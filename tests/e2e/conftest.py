"""End-to-end tests that run the real GL window reuse the render tests' helpers (gl_harness)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "render"))
