"""loupe-tui: a keyboard-first scorer for long time-series recordings.

The public API is Loupe's, so Loupe scripts keep working::

    from loupe_tui import TraceConfig, IntervalLabelSet, StateConfig

Names are imported lazily: ``import loupe_tui`` stays cheap (no xarray, no
polars) until one of them is used.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "TraceConfig": "loupe_tui.config",
    "HeatmapConfig": "loupe_tui.config",
    "RasterConfig": "loupe_tui.config",
    "Zip": "loupe_tui.config",
    "VideoConfig": "loupe_tui.config",
    "GlobalEventsConfig": "loupe_tui.config",
    "SampleMarkers": "loupe_tui.config",
    "IntervalLabelSchema": "loupe_tui.core.labels",
    "IntervalLabelSet": "loupe_tui.core.labels",
    "StateConfig": "loupe_tui.core.states",
    "Session": "loupe_tui.core.session",
    "LoupeConfigError": "loupe_tui.errors",
    "LoupeError": "loupe_tui.errors",
    "view": "loupe_tui.api",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'loupe_tui' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
