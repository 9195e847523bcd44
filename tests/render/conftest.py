"""GL test fixtures: a display (own Xvfb when needed) and a window harness; see gl_harness.py."""

from gl_harness import gl_env  # noqa: F401  (fixture)
