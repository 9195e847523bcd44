"""``view()``: Loupe's entry point, opening the terminal scorer.

``view(TraceConfig(da), interval_labels="labels.csv", state_definitions="rodent_sleep")``
validates everything first (so a mistake is one clear ``LoupeConfigError``
before the screen changes), then runs the Textual app in the current terminal
and returns the labels when it exits. :func:`make_app` does the same without
running, for tests and embedding.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from loupe_tui.errors import LoupeConfigError

__all__ = ["view", "make_app", "make_context"]


def view(configs, videos=None, interval_labels=None, interval_label_schema=None,
         interval_labels_writeback: bool = False, state_definitions=None, keymap=None, label_colors=None,
         global_events=None, interval_label_overlays: bool = True, window: bool = True, *,
         epoch_len: float | None = None, window_len: float | None = None, title: str | None = None,
         cache_dir: str | Path | None = None):
    """Score recordings in the terminal (and a GL window beside it); return the labels.

    Parameters
    ----------
    configs : TraceConfig, HeatmapConfig, RasterConfig, Zip, or a list of them
        Top-to-bottom plot order. Bare DataArrays/DataFrames are refused.
    videos : VideoConfig or list of VideoConfig, optional
    interval_labels : path, polars.DataFrame or IntervalLabelSet, optional
        Labels to start from. A path is journaled: every edit is on disk
        before the screen changes, and recovered after a crash.
    interval_label_schema : IntervalLabelSchema, optional
        Column names of the labels (``.htsv`` / ``.parquet`` need one).
    interval_labels_writeback : bool
        Let Ctrl+S overwrite the labels file itself; otherwise saves go to
        the sibling ``<stem>.scored<ext>``.
    state_definitions : path, bundled keymap name, dict or StateConfig, optional
        State hotkeys, colours and action keys; without it the user's keymap.
    keymap, label_colors : mapping, optional
        Per-state overrides on top of ``state_definitions`` (Loupe's forms).
    global_events : GlobalEventsConfig, optional
    interval_label_overlays : bool
        Start with label shading over the traces.
    window : bool
        Open the GL window beside the terminal (False: terminal views only).
    epoch_len : float, optional
        Scoring epoch in seconds; default: the grid of the existing labels, else 4.
    window_len : float, optional
        Initial window length in seconds.
    title : str, optional
        Recording name for the status bar.
    cache_dir : path, optional
        Decimation pyramid cache.

    Returns
    -------
    IntervalLabelSet
        The labels as they are when the app exits (saved or not; unsaved
        edits of a labels file stay in its journal).

    Raises
    ------
    LoupeConfigError
        Invalid configs or arguments, or no state definitions at all.
    """
    app = make_app(configs, videos, interval_labels, interval_label_schema, interval_labels_writeback,
                   state_definitions, keymap, label_colors, global_events, interval_label_overlays, window,
                   epoch_len=epoch_len, window_len=window_len, title=title, cache_dir=cache_dir)
    app.run()
    return app.labels


def make_app(*args, **kwargs):
    """The :class:`~loupe_tui.tui.app.LoupeApp` that :func:`view` runs (same arguments)."""
    from loupe_tui.tui.app import LoupeApp

    return LoupeApp(make_context(*args, **kwargs))


def make_context(configs, videos=None, interval_labels=None, interval_label_schema=None,
                 interval_labels_writeback: bool = False, state_definitions=None, keymap=None,
                 label_colors=None, global_events=None, interval_label_overlays: bool = True,
                 window: bool = True, *, epoch_len: float | None = None, window_len: float | None = None,
                 title: str | None = None, cache_dir: str | Path | None = None, labels_durable=True,
                 window_switch: str = "window=False"):
    """Validate :func:`view`'s arguments into a :class:`~loupe_tui.tui.context.ScorerContext`.

    ``window_switch`` is how the status bar names what turned the window off
    (the command line passes ``"--no-window"``).
    """
    from loupe_tui.config import GlobalEventsConfig, validate_videos, validate_view_configs
    from loupe_tui.core.session import Session
    from loupe_tui.core.states import StateConfig
    from loupe_tui.tui.context import ScorerContext, recording_span

    items = validate_view_configs(configs)
    vids = validate_videos(videos)
    if global_events is not None and not isinstance(global_events, GlobalEventsConfig):
        raise LoupeConfigError(f"global_events: must be a GlobalEventsConfig, got {type(global_events).__name__}")
    for name, v in (("interval_labels_writeback", interval_labels_writeback),
                    ("interval_label_overlays", interval_label_overlays), ("window", window)):
        if not isinstance(v, bool):
            raise LoupeConfigError(f"{name}: must be True or False, got {v!r}")
    states = StateConfig.resolve(state_definitions, keymap, label_colors)
    labels = _labels(interval_labels, interval_label_schema, interval_labels_writeback, labels_durable)
    try:
        t0, t1 = recording_span(items)
    except ValueError as exc:
        raise LoupeConfigError(f"configs: {exc}") from None
    if epoch_len is None:
        epoch_len = Session.guess_epoch_len(labels.starts, labels.ends, t0)
    if not (isinstance(epoch_len, (int, float)) and epoch_len > 0):
        raise LoupeConfigError(f"epoch_len: must be a number of seconds > 0, got {epoch_len!r}")
    if window_len is not None and not (isinstance(window_len, (int, float)) and window_len > 0):
        raise LoupeConfigError(f"window_len: must be a number of seconds > 0, got {window_len!r}")
    session = Session(labels, t0, t1, epoch_len=float(epoch_len),
                      window_len=None if window_len is None else float(window_len))
    def loader(path):
        return StateConfig.resolve(path, keymap, label_colors)

    return ScorerContext(session=session, states=states, title=title or _title(items), configs=items,
                         videos=vids, global_events=global_events, keymap_loader=loader,
                         keymap_watcher=_watcher(state_definitions, loader, states),
                         window=window, window_switch=window_switch, label_overlays=interval_label_overlays,
                         cache_dir=Path(cache_dir) if cache_dir is not None else None)


def _labels(value: Any, schema, writeback: bool, durable):
    import polars as pl

    from loupe_tui.core.labels import IntervalLabelSet

    if isinstance(value, IntervalLabelSet):
        if writeback and not value.writeback:
            raise LoupeConfigError("interval_labels_writeback: the IntervalLabelSet was loaded without "
                                   "writeback; load(path, writeback=True) or pass the path")
        return value
    if writeback and not isinstance(value, (str, Path)):
        raise LoupeConfigError("interval_labels_writeback: needs interval_labels to be a file path")
    if value is None:
        return IntervalLabelSet(schema)
    if isinstance(value, pl.DataFrame):
        return IntervalLabelSet.from_frame(value, schema)
    if isinstance(value, (str, Path)):
        return IntervalLabelSet.load(value, schema, writeback=writeback, durable=durable)
    raise LoupeConfigError(f"interval_labels: expected a path, a polars DataFrame or an IntervalLabelSet, "
                           f"got {type(value).__name__}")


def _watcher(state_definitions, loader, states):
    from loupe_tui.core.states import KeymapWatcher, StateConfig, find_keymap, user_keymap_path

    if isinstance(state_definitions, (StateConfig, Mapping)):
        return None
    path = find_keymap(state_definitions) if state_definitions is not None else user_keymap_path()
    if path is None or not Path(path).is_file():
        return None
    return KeymapWatcher(path, loader=loader, current=states)


def _title(items: list) -> str:
    for c in items:
        data = getattr(c, "data", None)
        src = getattr(data, "encoding", {}).get("source") if data is not None else None
        if src:
            return Path(src).name
        if getattr(data, "name", None):
            return str(data.name)
    return "recording"
