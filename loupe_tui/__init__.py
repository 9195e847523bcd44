"""loupe-tui: a keyboard-first scorer for long time-series recordings.

The public API is Loupe's, so Loupe scripts keep working::

    from loupe_tui import TraceConfig, IntervalLabelSet, StateConfig

Names are imported lazily: ``import loupe_tui`` stays cheap (no xarray, no
polars) until one of them is used.
"""

from __future__ import annotations

__version__ = "0.1.0"

_EXPORTS = {
    "TraceConfig": "loupe_tui.config",
    "HeatmapConfig": "loupe_tui.config",
    "RasterConfig": "loupe_tui.config",
    "Zip": "loupe_tui.config",
    "VideoConfig": "loupe_tui.config",
    "GlobalEventsConfig": "loupe_tui.config",
    "SampleMarkers": "loupe_tui.config",
    "SpectrogramConfig": "loupe_tui.config",
    "IntervalLabelSchema": "loupe_tui.core.labels",
    "IntervalLabelSet": "loupe_tui.core.labels",
    "StateConfig": "loupe_tui.core.states",
    "Session": "loupe_tui.core.session",
    "LoupeConfigError": "loupe_tui.errors",
    "LoupeError": "loupe_tui.errors",
    "view": "loupe_tui.api",
    "read_edf": "loupe_tui.io.edf.recording",
    "prepare": "loupe_tui.prepare",
}

__all__ = sorted(_EXPORTS)


def _module(name: str):
    # Plain import statements (not importlib), so that the import-rules test sees them.
    if name == "loupe_tui.config":
        from loupe_tui import config as module
    elif name == "loupe_tui.core.labels":
        from loupe_tui.core import labels as module
    elif name == "loupe_tui.core.states":
        from loupe_tui.core import states as module
    elif name == "loupe_tui.core.session":
        from loupe_tui.core import session as module
    elif name == "loupe_tui.errors":
        from loupe_tui import errors as module
    elif name == "loupe_tui.io.edf.recording":
        from loupe_tui.io.edf import recording as module
    elif name == "loupe_tui.prepare":
        import loupe_tui.prepare as module   # not "from loupe_tui import": that would ask __getattr__ again
    else:
        from loupe_tui import api as module
    return module


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'loupe_tui' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
