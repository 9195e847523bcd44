"""Where loupe-tui keeps per-user files (XDG base directories).

Relative ``$XDG_*`` values are ignored, as the XDG Base Directory spec
requires ("If an implementation encounters a relative path in any of these
variables it should consider the path invalid and ignore it").

* config: ``$XDG_CONFIG_HOME/loupe-tui`` (``~/.config/loupe-tui``) - keymaps.
* cache: ``$LOUPE_TUI_CACHE`` if set, else ``$XDG_CACHE_HOME/loupe-tui``
  (``~/.cache/loupe-tui``) - decimation pyramids (``pyramids/``) and the demo
  recording (``demo/``).
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "loupe-tui"


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var, "")
    return Path(value) if value and os.path.isabs(value) else Path.home() / fallback


def user_config_dir() -> Path:
    """``$XDG_CONFIG_HOME/loupe-tui`` (``~/.config/loupe-tui`` when unset or relative)."""
    return _xdg("XDG_CONFIG_HOME", ".config") / APP


def user_cache_dir() -> Path:
    """``$LOUPE_TUI_CACHE`` if set, else ``$XDG_CACHE_HOME/loupe-tui``
    (``~/.cache/loupe-tui`` when unset or relative)."""
    env = os.environ.get("LOUPE_TUI_CACHE")
    if env:
        return Path(env).expanduser()
    return _xdg("XDG_CACHE_HOME", ".cache") / APP


def default_demo_dir() -> Path:
    """Where ``loupe-tui demo`` builds the demo: ``<cache>/demo`` (see :func:`user_cache_dir`)."""
    return user_cache_dir() / "demo"
